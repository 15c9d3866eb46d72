"""Dimension-free (lazy) simulation of rand-s on a huge nominal dimension (issue 3 item 5, THEORY.md §3.2).

The hard chains live on their first K coordinates; the remaining d − K coordinates are inert (zero
gradient forever). A zero-respecting run started at x⁰ = 0 therefore never writes outside the first
K coordinates, and its whole state can be kept on a **window** of width W ≥ K: every vector the
algorithm holds is zero beyond the window, so every message is too.

What rand-s over the nominal d does to such a message is determined by S ∩ [W], the part of the
uniformly random s-subset S ⊂ [d] inside the window. Its law is sampled exactly:

    m = |S ∩ [W]| ~ Hypergeometric(W good, d − W bad, s draws),   then S ∩ [W] uniform of size m

(given m, by exchangeability, the m positions are a uniform m-subset of [W]). The kept entries are
scaled by d/s (unbiased, ω = d/s − 1) or not (contractive, δ = s/d), and the message still costs s
values, as for the dense compressor: bits and constants are those of the nominal dimension.

:class:`LazyRandS` is that compressor (``coupled=True`` instead draws the full s-subset of [d] the
way :class:`constructions.compressors.RandS` does and keeps its window part, which consumes the
generator identically: lazy and dense runs with one seed are then the same run, a test device
whose cost grows with s). :class:`LazyProblem` wraps a problem built on the window (``d = W``) and
records the nominal dimension.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import sympy as sp
from numpy.typing import NDArray

from constructions.compressors import VALUE_BITS, Compressor, _check_messages, index_bits

Array = NDArray[np.float64]

_NUMPY_HYPERGEOMETRIC_MAX = 10**9  # numpy requires ngood, nbad < 10⁹


def window_support(W: int, d: int, s: int, rng: np.random.Generator) -> NDArray[np.intp]:
    """S ∩ [W] for S a uniform s-subset of [d] (0-based indices, sorted), drawn exactly."""
    if d - W < _NUMPY_HYPERGEOMETRIC_MAX:
        m = int(rng.hypergeometric(W, d - W, s)) if d > W else min(s, W)
        return np.sort(rng.choice(W, size=m, replace=False))
    # Sequential selection sampling (Knuth's Algorithm S) over the window: coordinate j is in S
    # with probability (s − chosen)/(d − j) given the past; exact, O(W).
    u = rng.random(W)
    chosen: list[int] = []
    for j in range(W):
        if u[j] * (d - j) < s - len(chosen):
            chosen.append(j)
    return np.array(chosen, dtype=np.intp)


@dataclass(frozen=True)
class LazyRandS(Compressor):
    """Rand-s over the nominal dimension ``d_nominal`` applied to window messages of width W ≤ d.

    ``scaled=True``: unbiased with ω = d/s − 1; ``scaled=False``: contractive with δ = s/d (d the
    nominal dimension, whatever the window). ``shared`` as for RandS: one support per call for all
    workers (the lower-bound adversary) or one per worker.
    """

    s: int
    d_nominal: int
    scaled: bool = True
    shared: bool = True
    coupled: bool = False
    name: ClassVar[str] = "lazy-rand-s"
    exact: ClassVar[bool] = True
    bits_rule: ClassVar[str] = "s·(64 + ⌈log2 d⌉) at the nominal d (indices free with shared randomness)"

    def __post_init__(self) -> None:
        if not isinstance(self.d_nominal, (int, np.integer)) or self.d_nominal < 1:
            raise ValueError(f"d_nominal must be an integer ≥ 1 (got {self.d_nominal!r})")
        if not isinstance(self.s, (int, np.integer)) or not 1 <= self.s <= self.d_nominal:
            raise ValueError(f"s must be an integer with 1 ≤ s ≤ d_nominal = {self.d_nominal} (got {self.s!r})")

    @property
    def unbiased(self) -> bool:  # type: ignore[override]
        return self.scaled

    @property
    def contractive(self) -> bool:  # type: ignore[override]
        return not self.scaled

    @property
    def projection(self) -> bool:  # type: ignore[override]
        return not self.scaled

    def omega_expr(self) -> sp.Expr | None:
        # A constant: the nominal d, not the width of the messages it is applied to.
        return sp.Integer(self.d_nominal) / self.s - 1 if self.scaled else None

    def delta_expr(self) -> sp.Expr | None:
        return None if self.scaled else sp.Integer(self.s) / self.d_nominal

    def symbolic(self) -> dict[str, sp.Expr]:
        return {"omega": self.omega_expr()} if self.scaled else {"delta": self.delta_expr()}

    def window_supports(self, n: int, W: int, rng: np.random.Generator) -> list[NDArray[np.intp]]:
        """One array of window indices per worker (the same array n times when shared)."""
        if W > self.d_nominal:
            raise ValueError(f"the window width must be ≤ d_nominal = {self.d_nominal} (got {W})")
        draws = 1 if self.shared else n
        out = []
        for _ in range(draws):
            if self.coupled:
                S = rng.choice(self.d_nominal, size=self.s, replace=False)
                out.append(np.sort(S[S < W]))
            else:
                out.append(window_support(W, self.d_nominal, self.s, rng))
        return out * n if self.shared else out

    def __call__(self, V: Array, rng: np.random.Generator) -> Array:
        V = _check_messages(V)
        n, W = V.shape
        scale = self.d_nominal / self.s if self.scaled else 1.0
        out = np.zeros_like(V)
        supports = self.window_supports(n, W, rng)
        if self.shared:
            S = supports[0]
            out[:, S] = scale * V[:, S]
        else:
            for i, S in enumerate(supports):
                out[i, S] = scale * V[i, S]
        return out

    def bits(self, M: Array) -> NDArray[np.int64]:
        idx = 0 if self.shared else index_bits(self.d_nominal)
        return np.full(np.asarray(M).shape[0], self.s * (VALUE_BITS + idx), dtype=np.int64)


class LazyProblem:
    """A problem built on the window (its ``d`` = W) standing for the same chain in R^{d_nominal}.

    Everything is delegated to ``problem``; ``d`` stays the window width (the arrays' width), and
    ``nominal_d`` is the dimension the instance claims. The window must hold the whole chain
    (W ≥ K), which is what makes the inert coordinates W+1..d provably untouched.
    """

    def __init__(self, problem: Any, nominal_d: int) -> None:
        W = int(problem.d)
        K = int(getattr(problem, "K", W))
        if K > W:
            raise ValueError(f"the window d = {W} must hold the chain of length K = {K}")
        if not isinstance(nominal_d, (int, np.integer)) or nominal_d < W:
            raise ValueError(f"nominal_d must be an integer ≥ the window width {W} (got {nominal_d!r})")
        self.problem = problem
        self.nominal_d = int(nominal_d)
        self.n = int(problem.n)
        self.d = W

    @property
    def window(self) -> int:
        return self.d

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["problem"], name)

    def grads(self, X: Array) -> Array:
        return self.problem.grads(X)

    def gap(self, x: Array):
        return self.problem.gap(x)

    def prog(self, x: Array) -> int:
        return self.problem.prog(x)

    def lift(self, x: Array) -> Array:
        """The nominal-dimension vector (x, 0, …, 0) (only for small nominal d)."""
        if self.nominal_d > 10**7:
            raise ValueError(f"lift is for small nominal d (got {self.nominal_d})")
        x = np.asarray(x, dtype=np.float64)
        out = np.zeros(x.shape[:-1] + (self.nominal_d,))
        out[..., : self.d] = x
        return out


def nominal_dimension(s: int, one_plus_omega: float) -> int:
    """d = s(1+ω) for rand-s with a given ω (ValueError unless 1+ω is an integer ≥ 1)."""
    r = round(one_plus_omega)
    if not math.isfinite(one_plus_omega) or r < 1 or abs(r - one_plus_omega) > 1e-9 * max(1, r):
        raise ValueError(f"1 + omega must be an integer ≥ 1 for rand-s with s | d (got {one_plus_omega!r})")
    return int(s) * int(r)

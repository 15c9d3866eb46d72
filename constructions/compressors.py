"""Compressors that declare what they are (THEORY.md §1.2, §3.1).

Every compressor acts on all workers' messages at once: ``C(V, rng)`` with ``V`` of shape (n, d)
returns the (n, d) array of compressed messages. It declares

* its class: unbiased with ``omega(d)`` (E C(x) = x, E‖C(x) − x‖² ≤ ω‖x‖²) and/or contractive with
  ``delta(d)`` (E‖C(x) − x‖² ≤ (1 − δ)‖x‖²), both also as sympy expressions of d and its parameters;
* ``shared``: whether one random draw serves every worker in a round (the lower-bound adversary of
  THEORY.md §3.1 shares its support) or each worker draws its own;
* ``bits(M)``: the bits each worker's message costs. We count 64 bits per transmitted float and
  ⌈log2 d⌉ bits per transmitted index; with shared randomness the receiver regenerates the support
  from the common seed, so indices cost nothing. ``bits_rule`` says the count in words;
* ``tightness(d)``: a number τ ∈ (0, 1] with sup_x E‖C(x) − x‖²/‖x‖² ≥ τ·(declared ω, or 1 − δ),
  i.e. how close to attained the declared constant is (1: attained; None: no claim). The
  certifier (:mod:`lowerbounds.certify`) refutes a τ that no vector reaches, which is how an
  over-declared constant (a square lost to operator precedence) is caught;
* ``hard_vectors(d, rng)``: the vectors on which the author knows the constant is (nearly)
  attained, added to the certifier's battery.

The zoo beyond this module lives in :mod:`constructions.zoo` (top-k, quantizers, natural
compression, scaled sign) and :mod:`constructions.compose` (composition, error feedback); the
names the command line uses are in :mod:`constructions.registry`.

Randomness comes only from the generator passed in; no compressor touches global random state.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import sympy as sp
from numpy.typing import NDArray

Array = NDArray[np.float64]

VALUE_BITS = 64
d_sym = sp.Symbol("d", positive=True, integer=True)


def _check_messages(V: Array) -> Array:
    V = np.asarray(V, dtype=np.float64)
    if V.ndim != 2:
        raise ValueError(f"compressor input must have shape (n, d); got shape {V.shape}")
    return V


def index_bits(d: int) -> int:
    """Bits needed to name one of d coordinates."""
    return max(1, math.ceil(math.log2(d))) if d > 1 else 1


class Compressor(ABC):
    """Base class: a (possibly random) map applied row-wise to an (n, d) array of messages."""

    name: ClassVar[str] = "compressor"
    unbiased: ClassVar[bool] = False
    contractive: ClassVar[bool] = False
    shared: bool = False
    #: E‖C(x) − x‖² is the same multiple of ‖x‖² for every x ≠ 0 (identity, rand-s, Bernoulli), so
    #: the declared constant is attained by every vector.
    exact: ClassVar[bool] = False
    #: C(x) keeps a subset of x's coordinates unchanged and zeroes the rest (surely), so
    #: ‖C(x)‖² + ‖C(x) − x‖² = ‖x‖² and supp C(x) ⊆ supp x.
    projection: ClassVar[bool] = False
    #: Carries memory from call to call (error feedback): not a map x ↦ C(x), cannot be certified.
    stateful: ClassVar[bool] = False
    bits_rule: ClassVar[str] = "64 bits per nonzero value + ⌈log2 d⌉ per index (0 if shared)"

    @abstractmethod
    def __call__(self, V: Array, rng: np.random.Generator) -> Array: ...

    def omega_expr(self) -> sp.Expr | None:
        """Declared ω as a sympy expression of d and the parameters (None if not unbiased)."""
        return None

    def delta_expr(self) -> sp.Expr | None:
        """Declared δ as a sympy expression of d and the parameters (None if not contractive)."""
        return None

    def omega(self, d: int) -> float | None:
        e = self.omega_expr()
        return None if e is None else float(e.subs(d_sym, d))

    def delta(self, d: int) -> float | None:
        e = self.delta_expr()
        return None if e is None else float(e.subs(d_sym, d))

    def bits(self, M: Array) -> NDArray[np.int64]:
        """Bits each worker's compressed message M[i] costs (default: nonzeros as values + indices)."""
        M = np.asarray(M)
        nnz = np.count_nonzero(M, axis=1).astype(np.int64)
        idx = 0 if self.shared else index_bits(M.shape[1])
        return nnz * (VALUE_BITS + idx)

    def tightness(self, d: int) -> float | None:
        """τ with sup_x E‖C(x) − x‖²/‖x‖² ≥ τ·(declared constant); None if the author claims nothing."""
        return 1.0 if self.exact else None

    def hard_vectors(self, d: int, rng: np.random.Generator) -> dict[str, Array]:
        """Test vectors on which the declared constant is known to be (nearly) attained."""
        return {}

    def params(self) -> dict[str, object]:
        """The constructor parameters (dataclass fields), for reports."""
        import dataclasses

        if not dataclasses.is_dataclass(self):
            return {}
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if not isinstance(getattr(self, f.name), Compressor)}

    def symbolic(self) -> dict[str, sp.Expr]:
        """Declared constants as sympy expressions of d and the parameter symbols (values in
        :meth:`params`); substituting the values gives :meth:`omega_expr` / :meth:`delta_expr`."""
        out: dict[str, sp.Expr] = {}
        if self.unbiased and self.omega_expr() is not None:
            out["omega"] = self.omega_expr()
        if self.contractive and self.delta_expr() is not None:
            out["delta"] = self.delta_expr()
        return out

    def describe(self) -> str:
        parts = []
        if self.unbiased:
            parts.append(f"unbiased, ω = {self.omega_expr()}")
        if self.contractive:
            parts.append(f"contractive, δ = {self.delta_expr()}")
        parts.append("shared randomness" if self.shared else "independent randomness")
        return f"{self.name} ({'; '.join(parts)})"


@dataclass(frozen=True)
class Identity(Compressor):
    """C(x) = x: unbiased with ω = 0 and contractive with δ = 1. Costs d values."""

    name: ClassVar[str] = "identity"
    unbiased: ClassVar[bool] = True
    contractive: ClassVar[bool] = True
    exact: ClassVar[bool] = True
    projection: ClassVar[bool] = True
    bits_rule: ClassVar[str] = "64·d (every value, no indices)"
    shared: bool = True

    def __call__(self, V: Array, rng: np.random.Generator) -> Array:
        return _check_messages(V).copy()

    def omega_expr(self) -> sp.Expr:
        return sp.Integer(0)

    def delta_expr(self) -> sp.Expr:
        return sp.Integer(1)

    def bits(self, M: Array) -> NDArray[np.int64]:
        M = np.asarray(M)
        return np.full(M.shape[0], VALUE_BITS * M.shape[1], dtype=np.int64)


@dataclass(frozen=True)
class RandS(Compressor):
    """Rand-s sparsifier, the adversary of THEORY.md §3.1.

    Keeps a uniformly random subset S of s coordinates.

    * ``scaled=True`` (unbiased): C(x) = (d/s) Σ_{j∈S} x_j e_j, ω = d/s − 1 exactly.
    * ``scaled=False`` (contractive): C(x) = Σ_{j∈S} x_j e_j, δ = s/d exactly (E‖C(x)−x‖² = (1−s/d)‖x‖²).

    ``shared=True`` draws one support per call for all workers (the lower-bound construction);
    ``shared=False`` draws an independent support per worker (THEORY.md §9 pitfall (a)).
    """

    s: int
    scaled: bool = True
    shared: bool = True
    name: ClassVar[str] = "rand-s"
    exact: ClassVar[bool] = True
    bits_rule: ClassVar[str] = "s·(64 + ⌈log2 d⌉) (indices free with shared randomness)"

    def __post_init__(self) -> None:
        if not isinstance(self.s, (int, np.integer)) or self.s < 1:
            raise ValueError(f"s must be an integer ≥ 1 (got {self.s!r})")

    @property
    def unbiased(self) -> bool:  # type: ignore[override]
        return self.scaled

    @property
    def contractive(self) -> bool:  # type: ignore[override]
        return not self.scaled

    @property
    def projection(self) -> bool:  # type: ignore[override]
        return not self.scaled

    def symbolic(self) -> dict[str, sp.Expr]:
        s = sp.Symbol("s", positive=True, integer=True)
        return {"omega": d_sym / s - 1} if self.scaled else {"delta": s / d_sym}

    def omega_expr(self) -> sp.Expr | None:
        return d_sym / self.s - 1 if self.scaled else None

    def delta_expr(self) -> sp.Expr | None:
        return None if self.scaled else sp.Integer(self.s) / d_sym

    def supports(self, n: int, d: int, rng: np.random.Generator) -> NDArray[np.intp]:
        """The (n, s) supports of one call: identical rows when shared."""
        if self.s > d:
            raise ValueError(f"s must satisfy 1 ≤ s ≤ d = {d} (got s = {self.s})")
        if self.shared:
            S = rng.choice(d, size=self.s, replace=False)
            return np.broadcast_to(S, (n, self.s))
        return np.stack([rng.choice(d, size=self.s, replace=False) for _ in range(n)])

    def __call__(self, V: Array, rng: np.random.Generator) -> Array:
        V = _check_messages(V)
        n, d = V.shape
        S = self.supports(n, d, rng)
        out = np.zeros_like(V)
        scale = d / self.s if self.scaled else 1.0
        if self.shared:  # one support: index columns (same values, about half the time of [rows, S])
            cols = S[0]
            out[:, cols] = scale * V[:, cols]
            return out
        rows = np.arange(n)[:, None]
        out[rows, S] = scale * V[rows, S]
        return out

    def bits(self, M: Array) -> NDArray[np.int64]:
        # s values always travel (a selected coordinate may happen to be zero).
        M = np.asarray(M)
        idx = 0 if self.shared else index_bits(M.shape[1])
        return np.full(M.shape[0], self.s * (VALUE_BITS + idx), dtype=np.int64)


@dataclass(frozen=True)
class BernoulliSparsifier(Compressor):
    """Keep each coordinate independently with probability p (THEORY.md §3.1, real-valued ω or δ).

    * ``scaled=True``: kept entries are multiplied by 1/p; unbiased with ω = 1/p − 1 exactly.
    * ``scaled=False``: contractive with δ = p exactly.

    Each coordinate gets through with probability p, as with rand-s at p = s/d.
    """

    p: float
    scaled: bool = True
    shared: bool = True
    name: ClassVar[str] = "bernoulli"
    exact: ClassVar[bool] = True
    bits_rule: ClassVar[str] = "64 per kept value + ⌈log2 d⌉ per index (0 if shared)"

    def __post_init__(self) -> None:
        if not (isinstance(self.p, (float, int)) and 0.0 < float(self.p) <= 1.0):
            raise ValueError(f"p must lie in (0, 1] (got {self.p!r})")

    @property
    def unbiased(self) -> bool:  # type: ignore[override]
        return self.scaled

    @property
    def contractive(self) -> bool:  # type: ignore[override]
        return not self.scaled

    @property
    def projection(self) -> bool:  # type: ignore[override]
        return not self.scaled

    def symbolic(self) -> dict[str, sp.Expr]:
        p = sp.Symbol("p", positive=True)
        return {"omega": 1 / p - 1} if self.scaled else {"delta": p}

    def omega_expr(self) -> sp.Expr | None:
        return 1 / sp.nsimplify(self.p) - 1 if self.scaled else None

    def delta_expr(self) -> sp.Expr | None:
        return None if self.scaled else sp.nsimplify(self.p)

    def __call__(self, V: Array, rng: np.random.Generator) -> Array:
        V = _check_messages(V)
        n, d = V.shape
        shape = (1, d) if self.shared else (n, d)
        keep = rng.random(shape) < self.p
        scale = 1.0 / self.p if self.scaled else 1.0
        return np.where(keep, scale * V, 0.0)


@dataclass(frozen=True)
class Scaled(Compressor):
    """C'(x) = factor·C(x). With C unbiased (ω) and factor = 1/(1+ω), C' is contractive with
    δ = 1/(1+ω) (THEORY.md §1.2, the link NEOLITHIC uses inside MSC)."""

    inner: Compressor
    factor: float
    name: ClassVar[str] = "scaled"

    @classmethod
    def to_contractive(cls, inner: Compressor, d: int) -> Compressor:
        """The §1.2 conversion: an unbiased C becomes C/(1+ω); a contractive C is returned as is."""
        if inner.contractive:
            return inner
        if not inner.unbiased:
            raise ValueError(f"{inner.name} declares neither ω nor δ; cannot convert it")
        omega = inner.omega(d)
        return cls(inner, 1.0 / (1.0 + omega))

    @property
    def shared(self) -> bool:  # type: ignore[override]
        return self.inner.shared

    @property
    def contractive(self) -> bool:  # type: ignore[override]
        return self.inner.unbiased and self.inner.omega_expr() is not None

    def delta_expr(self) -> sp.Expr | None:
        w = self.inner.omega_expr()
        if w is None:
            return None
        # E‖aC(x) − x‖² = a²(1+ω)‖x‖² − 2a‖x‖² + ‖x‖² for unbiased C with tight ω; a = 1/(1+ω) gives 1 − 1/(1+ω).
        a = sp.nsimplify(self.factor)
        return sp.simplify(1 - (a * a * (1 + w) - 2 * a + 1))

    @property
    def exact(self) -> bool:  # type: ignore[override]
        # E‖aC(x) − x‖² = a²E‖C(x)‖² + (1 − 2a)‖x‖²: a fixed multiple of ‖x‖² when C's is.
        return self.inner.exact

    @property
    def bits_rule(self) -> str:  # type: ignore[override]
        return f"as {self.inner.name}: {self.inner.bits_rule} (the factor is known to the receiver)"

    def tightness(self, d: int) -> float | None:
        # With inner ratio r(x) = E‖C(x) − x‖²/‖x‖² the scaled ratio is a²(1 + r) − 2a + 1,
        # increasing in r; the inner claim sup r ≥ τω therefore carries over exactly.
        if self.inner.exact:
            return 1.0
        tau, w, dl = self.inner.tightness(d), self.inner.omega(d), self.delta(d)
        if tau is None or w is None or dl is None or dl >= 1.0:
            return None
        a = self.factor
        return (a * a * (1.0 + tau * w) - 2.0 * a + 1.0) / (1.0 - dl)

    def hard_vectors(self, d: int, rng: np.random.Generator) -> dict[str, Array]:
        # E‖aC(x) − x‖² grows with E‖C(x)‖², i.e. with the inner variance: same hard vectors.
        return self.inner.hard_vectors(d, rng)

    def __call__(self, V: Array, rng: np.random.Generator) -> Array:
        return self.factor * self.inner(V, rng)

    def bits(self, M: Array) -> NDArray[np.int64]:
        return self.inner.bits(M)

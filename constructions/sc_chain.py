"""Nesterov's strongly convex chain, split across two groups of workers (THEORY.md §2.2).

The global function is

    f(x) = ((L' − μ)/8)·[xᵀA x − 2x₁] + (μ/2)‖x‖²,

    xᵀA x = x₁² + Σ_{i=1}^{d−1} (x_i − x_{i+1})² + c·x_d²,   c = 2/(√κ' + 1),

whose minimiser is x*_i = q^i exactly, q = (√κ' − 1)/(√κ' + 1) (the finite-d boundary fix of
THEORY.md §2.2: the interior stationarity condition gives q + 1/q − 2 = 4/(κ'−1) and the last row
needs a·q − 1 = −4q/(κ'−1) with a = 1 + c = 2 − q).

Split (THEORY.md §2.2, Scaman et al. 2017 style): odd links (x₁−x₂)², (x₃−x₄)², … go to group B;
x₁², the linear term −2x₁ and even links (x₂−x₃)², … go to group A; the boundary term c·x_d² goes to
the group whose link does *not* contain x_d, so every group matrix is a direct sum of 2×2 blocks
[[1,−1],[−1,1]] and diagonal entries ≤ 1, i.e. λ_max(A^(j)) ≤ 2. Worker i of group j holds

    f_i(x) = ((L − μ)/4)·[xᵀA^(j)x − 2x₁·1{j = A}] + (μ/2)‖x‖²,

so its Hessian ((L−μ)/2)·A^(j) + μI has spectrum in [μ, L].

Workers: n ≥ 2. n_g = ⌊n/2⌋ workers hold group A and n_g hold group B. **Odd n (our choice,
THEORY.md is silent for SC):** the last worker holds the zero-link copy f_i(x) = (μ/2)‖x‖², which is
L-smooth, μ-strongly convex and reveals nothing. The average is then the Nesterov chain above with
L' − μ = (2n_g/n)(L − μ), i.e. κ' = 1 + (2n_g/n)(κ − 1) (κ' = κ for even n); q and c use κ'.
Which worker holds which group is a permutation of that default (``assignment``, :meth:`with_groups`);
the average does not depend on it.

Scaling to a given Δ_x = ‖x⁰ − x*‖² with x⁰ = 0: f_i ← s²·f_i(·/s), which for a quadratic only
multiplies the linear term by s; it keeps L and μ and gives x*_i = s·q^i,
s² = Δ_x / Σ_{i=1}^d q^{2i}.

Progress → suboptimality (THEORY.md §2.2): if prog(x) ≤ k then, by μ-strong convexity of f,
f(x) − f* ≥ (μ/2)·Σ_{i>k} (x*_i)² ≥ (μ/2)·q^{2k}·(1 − q^{2(d−k)})·Δ_x (``floor``; ``tail_floor``
is the middle, sharper expression).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from constructions.base import prog as _prog

Array = NDArray[np.float64]

GROUP_A, GROUP_B, GROUP_ZERO = 0, 1, 2


def default_groups(n: int) -> tuple[int, ...]:
    """⌊n/2⌋ workers in group A, ⌊n/2⌋ in group B, and (odd n) one zero worker last."""
    ng = n // 2
    return (GROUP_A,) * ng + (GROUP_B,) * ng + (GROUP_ZERO,) * (n - 2 * ng)


def check_groups(n: int, groups: tuple[int, ...] | None) -> NDArray[np.int64]:
    """Validate a worker → group assignment: a permutation of :func:`default_groups` (n)."""
    if not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n must be an integer ≥ 2: the split needs two groups (got {n!r})")
    if groups is None:
        return np.array(default_groups(int(n)), dtype=np.int64)
    g = np.asarray(groups, dtype=np.int64)
    if g.shape != (n,) or sorted(g.tolist()) != sorted(default_groups(int(n))):
        raise ValueError(
            f"groups must be a permutation of {default_groups(int(n))} (⌊n/2⌋ of group 0 = A, ⌊n/2⌋ "
            f"of group 1 = B, one zero worker 2 for odd n; got {tuple(np.asarray(groups).tolist())})")
    return g


def _finite_positive(name: str, value: float) -> float:
    v = float(value)
    if not math.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a finite number > 0 (got {value!r})")
    return v


@dataclass(frozen=True)
class SCSplitChain:
    """The split SC chain with n workers in dimension d (see the module docstring).

    Parameters: ``L`` ≥ ``mu`` > 0 (κ = L/μ ≥ 1, and κ > 1 for a non-trivial chain), ``d`` ≥ 2,
    ``n`` ≥ 2, ``delta_x`` = ‖x⁰ − x*‖² > 0, ``assignment`` an optional permutation of
    :func:`default_groups` (which worker holds which group; GC and NC call this field ``groups``,
    here ``groups`` is the resolved array, see :meth:`with_groups`).
    """

    L: float
    mu: float
    d: int
    n: int = 2
    delta_x: float = 1.0
    assignment: tuple[int, ...] | None = None
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        L = _finite_positive("L", self.L)
        mu = _finite_positive("mu", self.mu)
        if mu >= L:
            raise ValueError(f"kappa = L/mu must be > 1 (got L = {L}, mu = {mu})")
        if not isinstance(self.d, (int, np.integer)) or self.d < 2:
            raise ValueError(f"d must be an integer ≥ 2 (got {self.d!r})")
        groups = check_groups(self.n, self.assignment)
        _finite_positive("delta_x", self.delta_x)
        self._build(groups)

    # ----------------------------------------------------------------- constants
    @property
    def kappa(self) -> float:
        return self.L / self.mu

    @property
    def n_group(self) -> int:
        return self.n // 2

    @property
    def L_eff(self) -> float:
        """Smoothness constant of the average f: μ + (2n_g/n)(L − μ) (= L for even n)."""
        return self.mu + (2 * self.n_group / self.n) * (self.L - self.mu)

    @property
    def kappa_eff(self) -> float:
        return self.L_eff / self.mu

    @property
    def q(self) -> float:
        r = math.sqrt(self.kappa_eff)
        return (r - 1.0) / (r + 1.0)

    @property
    def boundary(self) -> float:
        """c = 2/(√κ' + 1), so that x*_i = q^i exactly in dimension d."""
        return 2.0 / (math.sqrt(self.kappa_eff) + 1.0)

    @property
    def scale(self) -> float:
        return self._cache["s"]

    @property
    def groups(self) -> NDArray[np.int64]:
        """Group of each worker: 0 = A (x₁², −2x₁, even links), 1 = B (odd links), 2 = zero-link copy."""
        return self._cache["groups"]

    @property
    def worker_groups(self) -> NDArray[np.int64]:
        """The same as :attr:`groups` (the name GC and NC use)."""
        return self._cache["groups"]

    def with_groups(self, groups: tuple[int, ...]) -> "SCSplitChain":
        """The same chain with worker i holding group ``groups[i]`` (a permutation of the default)."""
        return SCSplitChain(L=self.L, mu=self.mu, d=self.d, n=self.n, delta_x=self.delta_x,
                            assignment=tuple(int(g) for g in groups))

    # ----------------------------------------------------------------- construction
    def _build(self, groups: NDArray[np.int64]) -> None:
        d, n, L, mu = int(self.d), int(self.n), float(self.L), float(self.mu)
        q, c = self.q, self.boundary
        # Group matrices A^(A), A^(B) as (diagonal, off-diagonal) of a tridiagonal matrix.
        diag = np.zeros((2, d))
        off = np.zeros((2, d - 1))
        diag[GROUP_A, 0] += 1.0  # the isolated x₁² term
        for link in range(1, d):  # link (x_link − x_{link+1})², 1-based
            g = GROUP_B if link % 2 == 1 else GROUP_A
            diag[g, link - 1] += 1.0
            diag[g, link] += 1.0
            off[g, link - 1] = -1.0
        last_link_group = GROUP_B if (d - 1) % 2 == 1 else GROUP_A
        diag[1 - last_link_group, d - 1] += c
        q2 = q * q
        powers = q ** np.arange(1, d + 1)
        s = math.sqrt(self.delta_x / float(np.sum(powers**2)))
        # Per-worker quadratic f_i(x) = ½ xᵀH_i x − b_iᵀx with H_i = ((L−μ)/2)A^(j) + μI.
        a = (L - mu) / 2.0
        W_diag = np.full((n, d), mu)
        W_off = np.zeros((n, d - 1))
        B = np.zeros((n, d))
        for j in (GROUP_A, GROUP_B):
            rows = groups == j
            W_diag[rows] += a * diag[j]
            W_off[rows] = a * off[j]
        B[groups == GROUP_A, 0] = a * s
        # Tail sums T_k = Σ_{i>k} q^{2i}, k = 0..d, for the floors.
        tails = np.concatenate([np.cumsum((powers**2)[::-1])[::-1], [0.0]])
        self._cache.update(
            group_diag=diag, group_off=off, W_diag=W_diag, W_off=W_off, B=B, s=s,
            groups=groups, x_star=s * powers, tails=tails, q2=q2,
        )

    # ----------------------------------------------------------------- oracle side
    def grads(self, X: Array) -> Array:
        """∇f_i(X[i]) for all workers at once; X has shape (n, d) (a (d,) vector is broadcast)."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 1:
            X = np.broadcast_to(X, (self.n, self.d))
        C = self._cache
        G = C["W_diag"] * X - C["B"]
        G[:, :-1] += C["W_off"] * X[:, 1:]
        G[:, 1:] += C["W_off"] * X[:, :-1]
        return G

    def local_hessian(self, i: int) -> Array:
        """Dense Hessian of worker i (for tests and small d)."""
        C = self._cache
        return np.diag(C["W_diag"][i]) + np.diag(C["W_off"][i], 1) + np.diag(C["W_off"][i], -1)

    def local_f(self, i: int, x: Array) -> float:
        x = np.asarray(x, dtype=np.float64)
        return float(0.5 * x @ (self.local_hessian(i) @ x) - self._cache["B"][i] @ x)

    # ----------------------------------------------------------------- measurement side
    def hessian(self) -> Array:
        """Dense Hessian of the average f."""
        return sum(self.local_hessian(i) for i in range(self.n)) / self.n

    def mean_grad(self, x: Array) -> Array:
        """∇f(x) for the average f (also accepts a batch of points of shape (m, d))."""
        x = np.asarray(x, dtype=np.float64)
        C = self._cache
        wd = C["W_diag"].mean(axis=0)
        wo = C["W_off"].mean(axis=0)
        b = C["B"].mean(axis=0)
        g = wd * x - b
        g[..., :-1] += wo * x[..., 1:]
        g[..., 1:] += wo * x[..., :-1]
        return g

    def f(self, x: Array) -> float | Array:
        """f(x) = (1/n) Σ f_i(x); x may be a batch (m, d), giving m values."""
        x = np.asarray(x, dtype=np.float64)
        b = self._cache["B"].mean(axis=0)
        return 0.5 * np.sum(x * (self.mean_grad(x) + b), axis=-1) - x @ b

    def gap(self, x: Array) -> float | Array:
        """f(x) − f*, computed as ½(x − x*)ᵀH(x − x*) to avoid cancellation near the optimum."""
        e = np.asarray(x, dtype=np.float64) - self.x_star
        b = self._cache["B"].mean(axis=0)
        return 0.5 * np.sum(e * (self.mean_grad(e) + b), axis=-1)

    @property
    def x_star(self) -> Array:
        return self._cache["x_star"]

    @property
    def f_star(self) -> float:
        # At the optimum, f* = −½ b̄ᵀx*.
        return float(-0.5 * self._cache["B"].mean(axis=0) @ self.x_star)

    @property
    def initial_gap(self) -> float:
        """f(x⁰) − f* with x⁰ = 0."""
        return -self.f_star

    def prog(self, x: Array) -> int:
        return _prog(x)

    def floor(self, k: int | NDArray[np.int64]) -> float | Array:
        """THEORY.md §2.2: f(x) − f* ≥ (μ/2)·q^{2k}·(1 − q^{2(d−k)})·Δ_x whenever prog(x) ≤ k."""
        k = np.minimum(np.asarray(k), self.d)
        q2 = self._cache["q2"]
        return 0.5 * self.mu * q2**k * (1.0 - q2 ** (self.d - k)) * self.delta_x

    def tail_floor(self, k: int | NDArray[np.int64]) -> float | Array:
        """The sharper (μ/2)·Σ_{i>k}(x*_i)² ≥ ``floor(k)``: strong convexity plus prog(x) ≤ k."""
        k = np.minimum(np.asarray(k), self.d)
        return 0.5 * self.mu * self.scale**2 * self._cache["tails"][k]

    def progress_needed(self, eps: float) -> int:
        """Smallest k with tail_floor(k) ≤ ε: no point of progress < k is ε-accurate."""
        tf = 0.5 * self.mu * self.scale**2 * self._cache["tails"]
        return int(np.argmax(tf <= eps)) if np.any(tf <= eps) else self.d

    @staticmethod
    def dimension_for(kappa: float, eps_over_mu_dx: float, n: int = 2) -> int:
        """A dimension large enough that accuracy ε = eps_over_mu_dx·μΔ_x needs progress k_ε with
        the tail margin d − k_ε ≥ ln2/(2 ln(1/q)) of THEORY.md §2.2 (floor ≥ ½ q^{2k}μΔ_x/2).

        k_ε solves (μ/2)·q^{2k}·Δ_x/2 = ε, i.e. k_ε = ln(1/(4·eps_over_mu_dx))/(2 ln(1/q)).
        """
        ng = n // 2
        ke = 1.0 + (2 * ng / n) * (kappa - 1.0)
        r = math.sqrt(ke)
        lnq = math.log((r + 1.0) / (r - 1.0))
        k_eps = max(1.0, math.log(1.0 / (4.0 * eps_over_mu_dx)) / (2.0 * lnq))
        margin = math.log(2.0) / (2.0 * lnq)
        return int(math.ceil(k_eps + margin)) + 2

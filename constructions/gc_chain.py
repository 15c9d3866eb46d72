"""Nesterov's convex chain, split across two groups of workers (THEORY.md §2.3).

The chain of length K on R^d (d ≥ K; coordinates K+1..d are inert, THEORY.md §3.2) is

    f_K(x) = (L/4)·[½(x₁² + Σ_{i=1}^{K−1}(x_i − x_{i+1})² + x_K²) − x₁] = (L/8)·xᵀA_K x − (L/4)·x₁,

L-smooth (0 ⪯ A_K ⪯ 4I), with minimiser x̄_i = 1 − i/(K+1) for i ≤ K (0 beyond) and
f_K* = (L/8)(−1 + 1/(K+1)).

Split (THEORY.md §2.3, as §2.2): odd links (x₁−x₂)², (x₃−x₄)², … form A^(B); x₁², the linear
term and even links (x₂−x₃)², … form A^(A); the boundary term x_K² goes to the group whose link does
*not* contain x_K (else the block [[1,−1],[−1,2]] has λ_max > 2). Each A^(j) is a direct sum of
2×2 blocks [[1,−1],[−1,1]] and isolated diagonal ones, so λ_max(A^(j)) ≤ 2 and

    f^A(x) = (L/4)·[xᵀA^(A)x − 2x₁],   f^B(x) = (L/4)·xᵀA^(B)x

are L-smooth and convex; (f^A + f^B)/2 = f_K. Group A reveals coordinate 1 and i+1 for even i
(the odd coordinates), group B reveals i+1 for odd i (the even ones).

Workers: n ≥ 2, n_g = ⌊n/2⌋ hold f^A and n_g hold f^B. **Odd n:** the last worker holds f_i ≡ 0
(as THEORY.md §2.4 does for NC), so f = c·f_K with c = 2n_g/n ∈ [2/3, 1]; x* is unchanged and every
value gap is multiplied by c.

Scaling to Δ_x = ‖x⁰ − x*‖² (x⁰ = 0): f_i ← σ²f_i(·/σ) (σ the ``scale``), which keeps L and only
multiplies the linear term by σ, with σ² = Δ_x/‖x̄‖², ‖x̄‖² = K(2K+1)/(6(K+1)).

Floors (THEORY.md §2.3). For prog(x) ≤ k < K, f restricted to span(e₁..e_k) is c·σ²·f_k(·/σ), so

    f(x) − f* ≥ c·σ²·(L/8)·(1/(k+1) − 1/(K+1))                     (``floor``, exact: attained
                                                                     at σ·x̄^{(k)}, prog = k),

and with ‖x̄‖² ≤ (K+1)/3, i.e. σ² ≥ 3Δ_x/(K+1), the proof's bound (``theory_floor``)

    f(x) − f* ≥ c·3LΔ_x·(K−k)/(8(k+1)(K+1)²),  = c·3LΔ_x/(32(k+1)²) on the chain of length K = 2k+1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from constructions.base import prog as _prog
from constructions.sc_chain import GROUP_A, GROUP_B, GROUP_ZERO, check_groups, default_groups  # noqa: F401

Array = NDArray[np.float64]


def _finite_positive(name: str, value: float) -> float:
    v = float(value)
    if not math.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a finite number > 0 (got {value!r})")
    return v


def split_link_matrices(K: int, d: int) -> tuple[Array, Array]:
    """(diag, off) of A^(A) and A^(B) for the convex chain of length K in R^d, shapes (2, d), (2, d−1).

    Row 0 = group A (x₁², even links, boundary x_K² if link K−1 is odd), row 1 = group B.
    """
    diag = np.zeros((2, d))
    off = np.zeros((2, max(d - 1, 0)))
    diag[GROUP_A, 0] += 1.0  # the isolated x₁² term
    for link in range(1, K):  # link (x_link − x_{link+1})², 1-based
        g = GROUP_B if link % 2 == 1 else GROUP_A
        diag[g, link - 1] += 1.0
        diag[g, link] += 1.0
        off[g, link - 1] = -1.0
    # x_K lies in link K−1 (group B iff K−1 is odd): the boundary goes to the other group.
    boundary_group = GROUP_A if (K - 1) % 2 == 1 else GROUP_B
    diag[boundary_group, K - 1] += 1.0
    return diag, off


@dataclass(frozen=True)
class GCSplitChain:
    """The split convex chain of length ``K`` with ``n`` workers in dimension ``d`` ≥ K.

    Parameters: ``L`` > 0, ``K`` ≥ 1, ``d`` ≥ K (default K), ``n`` ≥ 2, ``delta_x`` = ‖x*‖² > 0,
    ``groups`` an optional permutation of :func:`default_groups` (which worker holds which group).
    """

    L: float
    K: int
    d: int | None = None
    n: int = 2
    delta_x: float = 1.0
    groups: tuple[int, ...] | None = None
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _finite_positive("L", self.L)
        _finite_positive("delta_x", self.delta_x)
        if not isinstance(self.K, (int, np.integer)) or self.K < 1:
            raise ValueError(f"K (chain length) must be an integer ≥ 1 (got {self.K!r})")
        if self.d is None:
            object.__setattr__(self, "d", int(self.K))
        if not isinstance(self.d, (int, np.integer)) or self.d < self.K:
            raise ValueError(f"d must be an integer ≥ K = {self.K} (got {self.d!r})")
        g = check_groups(self.n, self.groups)
        self._build(g)

    # ----------------------------------------------------------------- constants
    @property
    def n_group(self) -> int:
        return self.n // 2

    @property
    def c(self) -> float:
        """f = c·f_K with c = 2⌊n/2⌋/n (1 for even n)."""
        return 2 * self.n_group / self.n

    @property
    def scale(self) -> float:
        return self._cache["s"]

    @property
    def worker_groups(self) -> NDArray[np.int64]:
        return self._cache["groups"]

    def with_groups(self, groups: tuple[int, ...]) -> "GCSplitChain":
        """The same chain with worker i holding group ``groups[i]`` (a permutation of the default)."""
        return GCSplitChain(L=self.L, K=self.K, d=self.d, n=self.n, delta_x=self.delta_x,
                            groups=tuple(int(g) for g in groups))

    def _build(self, groups: NDArray[np.int64]) -> None:
        d, n, K, L = int(self.d), int(self.n), int(self.K), float(self.L)
        diag, off = split_link_matrices(K, d)
        xbar2 = K * (2 * K + 1) / (6.0 * (K + 1))
        s = math.sqrt(self.delta_x / xbar2)
        # f_i = ½xᵀH_i x − b_iᵀx with H_i = (L/2)A^(j) and b_i = (L/2)·σ·e₁ for group A.
        W_diag = np.zeros((n, d))
        W_off = np.zeros((n, max(d - 1, 0)))
        B = np.zeros((n, d))
        for j in (GROUP_A, GROUP_B):
            rows = groups == j
            W_diag[rows] = 0.5 * L * diag[j]
            W_off[rows] = 0.5 * L * off[j]
        B[groups == GROUP_A, 0] = 0.5 * L * s
        x_star = np.zeros(d)
        x_star[:K] = s * (1.0 - np.arange(1, K + 1) / (K + 1.0))
        self._cache.update(W_diag=W_diag, W_off=W_off, B=B, s=s, groups=groups, x_star=x_star,
                           group_diag=diag, group_off=off,
                           mean=(W_diag.mean(axis=0), W_off.mean(axis=0), B.mean(axis=0)))

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
        C = self._cache
        return np.diag(C["W_diag"][i]) + np.diag(C["W_off"][i], 1) + np.diag(C["W_off"][i], -1)

    def local_f(self, i: int, x: Array) -> float:
        x = np.asarray(x, dtype=np.float64)
        return float(0.5 * x @ (self.local_hessian(i) @ x) - self._cache["B"][i] @ x)

    # ----------------------------------------------------------------- measurement side
    def hessian(self) -> Array:
        return sum(self.local_hessian(i) for i in range(self.n)) / self.n

    def mean_grad(self, x: Array) -> Array:
        """∇f(x) (also for a batch of points of shape (m, d))."""
        x = np.asarray(x, dtype=np.float64)
        wd, wo, b = self._cache["mean"]
        g = wd * x - b
        g[..., :-1] += wo * x[..., 1:]
        g[..., 1:] += wo * x[..., :-1]
        return g

    def f(self, x: Array) -> float | Array:
        x = np.asarray(x, dtype=np.float64)
        b = self._cache["mean"][2]
        return 0.5 * np.sum(x * (self.mean_grad(x) + b), axis=-1) - x @ b

    def gap(self, x: Array) -> float | Array:
        """f(x) − f* = ½(x − x*)ᵀH(x − x*) (no cancellation near the optimum)."""
        e = np.asarray(x, dtype=np.float64) - self.x_star
        b = self._cache["mean"][2]
        return 0.5 * np.sum(e * (self.mean_grad(e) + b), axis=-1)

    @property
    def x_star(self) -> Array:
        return self._cache["x_star"]

    @property
    def f_star(self) -> float:
        """c·σ²·(L/8)(−1 + 1/(K+1))."""
        return -self.c * self.scale**2 * self.L / 8.0 * (1.0 - 1.0 / (self.K + 1))

    @property
    def initial_gap(self) -> float:
        return -self.f_star

    def prog(self, x: Array) -> int:
        return _prog(x)

    def restricted_minimiser(self, k: int) -> Array:
        """argmin of f over span(e₁..e_k): σ·x̄^{(k)}, which attains :meth:`floor` (k)."""
        x = np.zeros(self.d)
        k = int(min(k, self.K))
        x[:k] = self.scale * (1.0 - np.arange(1, k + 1) / (k + 1.0))
        return x

    def floor(self, k: int | NDArray[np.int64]) -> float | Array:
        """Exact floor: min{f(x) − f* : prog(x) ≤ k} = c·σ²·(L/8)(1/(k+1) − 1/(K+1)) (THEORY.md §2.3)."""
        k = np.minimum(np.asarray(k, dtype=np.float64), self.K)
        return self.c * self.scale**2 * self.L / 8.0 * (1.0 / (k + 1.0) - 1.0 / (self.K + 1.0))

    def theory_floor(self, k: int | NDArray[np.int64]) -> float | Array:
        """THEORY.md §2.3 via ‖x̄‖² ≤ (K+1)/3: c·3LΔ_x(K−k)/(8(k+1)(K+1)²) ≤ floor(k) for k < K.

        On the chain of length K = 2k+1 this is the proof's c·3LΔ_x/(32(k+1)²).
        """
        k = np.minimum(np.asarray(k, dtype=np.float64), self.K)
        K = float(self.K)
        return self.c * 3.0 * self.L * self.delta_x * (K - k) / (8.0 * (k + 1.0) * (K + 1.0) ** 2)

    def progress_needed(self, eps: float) -> int:
        """Smallest k with floor(k) ≤ ε: no point of progress < k is ε-accurate."""
        ks = np.arange(self.K + 1)
        ok = self.floor(ks) <= eps
        return int(np.argmax(ok))

"""The Carmon–Duchi–Hinder–Sidford zero-chain, split across two groups (THEORY.md §2.4).

Building blocks (computed stably with scipy.special; THEORY.md §9 pitfalls (d), (e)):

    Ψ(t) = 0 for t ≤ ½,  exp(1 − 1/(2t−1)²) for t > ½;   Ψ'(t) = Ψ(t)·4/(2t−1)³ (in log form),
    Φ(t) = √e·∫_{−∞}^t e^{−u²/2}du = √(2πe)·ndtr(t);     Φ'(t) = √e·e^{−t²/2}.

Chain of length K:  F_K(x) = −Ψ(1)Φ(x₁) + Σ_{i=1}^{K−1} Γ_i(x),
Γ_i(x) = Ψ(−x_i)Φ(−x_{i+1}) − Ψ(x_i)Φ(x_{i+1}). Constants (Arjevani et al. Lemma 2): F_K(0) − inf F_K
≤ 12K, ∇F_K is ℓ₁ = 152 Lipschitz, ‖∇F_K‖_∞ ≤ 23, prog_0(∇F_K(x)) ≤ prog_{1/2}(x) + 1, and
prog_1(x) < K ⇒ |∇_{prog_1(x)+1} F_K(x)| > 1.

Split (THEORY.md §2.4, odd/even links as Lu & De Sa and paper A): H^A = −Ψ(1)Φ(x₁) + Σ_{i even} Γ_i,
H^B = Σ_{i odd} Γ_i; Γ_i and its gradient vanish while |x_i| ≤ ½, so group A only reveals the odd
coordinates 1, 3, 5, … and group B the even ones.

Workers (n ≥ 2): n_g = ⌊n/2⌋ hold (Lλ²/ℓ₁)·H^A(x/λ), n_g hold (Lλ²/ℓ₁)·H^B(x/λ) and, for odd n,
the last one holds f_i ≡ 0, so f = c_n·(Lλ²/ℓ₁)·F_K(x/λ) with c_n = n_g/n. With ``split=False``
every worker holds the whole (Lλ²/ℓ₁)·F_K(x/λ) (the homogeneous instance of §2.5, c_n = 1).

Accuracy in NC is ‖∇f(x)‖² (THEORY.md §0); ``gap`` returns it so that the runner reads rounds to
‖∇f‖² ≤ ε. Floor (§3.3): while prog_1(x/λ) < K, ‖∇f(x)‖² > (c_n·Lλ/ℓ₁)².
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy import special

from constructions.base import prog as _prog
from constructions.gc_chain import check_groups
from constructions.sc_chain import GROUP_A, GROUP_B

Array = NDArray[np.float64]

ELL1 = 152.0  # ℓ₁: Lipschitz constant of ∇F_K (Arjevani et al. Lemma 2)
GAMMA_INF = 23.0  # γ_∞: sup ‖∇F_K‖_∞
DELTA0 = 12.0  # F_K(0) − inf F_K ≤ Δ₀·K
_SQRT_E = math.sqrt(math.e)
_SQRT_2PIE = math.sqrt(2.0 * math.pi * math.e)


def psi(t: Array) -> Array:
    t = np.asarray(t, dtype=np.float64)
    u = 2.0 * t - 1.0
    pos = u > 0
    # u is clipped to [1e-100, 1e100] (Ψ is exactly 0 resp. e there in floating point) so that 1/u²
    # stays finite: no warnings to silence, hence no np.errstate (a measurable per-call cost on the
    # short chains the sweeps run, where every round calls this a few times).
    us = np.where(pos, np.clip(u, 1e-100, 1e100), 1.0)
    return np.where(pos, np.exp(1.0 - 1.0 / (us * us)), 0.0)


def dpsi(t: Array) -> Array:
    """Ψ'(t) = exp(1 − 1/u² + ln 4 − 3 ln u), u = 2t − 1 > 0 (no 0·∞ near t = ½⁺)."""
    t = np.asarray(t, dtype=np.float64)
    u = 2.0 * t - 1.0
    pos = u > 0
    us = np.where(pos, np.clip(u, 1e-100, 1e100), 1.0)  # as in psi
    return np.where(pos, np.exp(1.0 - 1.0 / (us * us) + math.log(4.0) - 3.0 * np.log(us)), 0.0)


def phi(t: Array) -> Array:
    return _SQRT_2PIE * special.ndtr(np.asarray(t, dtype=np.float64))


def dphi(t: Array) -> Array:
    t = np.asarray(t, dtype=np.float64)
    return _SQRT_E * np.exp(-0.5 * t * t)


def _links_reference(Z: Array) -> tuple[Array, Array, Array]:
    """Per-link values Γ_i and partials ∂Γ_i/∂x_i, ∂Γ_i/∂x_{i+1} for Z of shape (..., K), written
    term by term from the definition (THEORY.md §2.4); the reference :func:`_links` is tested against."""
    a, b = Z[..., :-1], Z[..., 1:]
    pa, pma = psi(a), psi(-a)
    value = pma * phi(-b) - pa * phi(b)
    d_a = -dpsi(-a) * phi(-b) - dpsi(a) * phi(b)
    d_b = -pma * dphi(-b) - pa * dphi(b)
    return value, d_a, d_b


def _links(Z: Array) -> tuple[Array, Array, Array]:
    """:func:`_links_reference` with a third of the array operations (every round of an NC run calls
    this twice, and on short chains the per-call overhead is the cost): at most one of ±a exceeds ½,
    so Ψ(a), Ψ(−a) and their derivatives come from one exponential E = exp(1 − 1/u²), u = 2|a| − 1,
    with Ψ' = E·4/u³; and Φ' is even, so ∂Γ/∂b = −(Ψ(a) + Ψ(−a))·Φ'(b) = −E·Φ'(b)."""
    a, b = Z[..., :-1], Z[..., 1:]
    u = 2.0 * np.abs(a) - 1.0
    pos = u > 0
    us = np.where(pos, np.minimum(np.maximum(u, 1e-100), 1e100), 1.0)  # as in psi
    E = np.where(pos, np.exp(1.0 - 1.0 / (us * us)), 0.0)
    dE = E * (4.0 / (us * us * us))
    right = a > 0
    nb, nmb = special.ndtr(b), special.ndtr(-b)
    value = _SQRT_2PIE * np.where(right, -E * nb, E * nmb)
    d_a = -_SQRT_2PIE * dE * np.where(right, nb, nmb)
    d_b = -E * dphi(b)
    return value, d_a, d_b


def link_masks(K: int) -> Array:
    """(3, K−1) 0/1 masks of the links Γ_1..Γ_{K−1} held by group A (even i), B (odd i), zero."""
    i = np.arange(1, K)
    m = np.zeros((3, K - 1))
    m[GROUP_A] = i % 2 == 0
    m[GROUP_B] = i % 2 == 1
    return m


def F_K(z: Array) -> Array:
    """The unsplit chain F_K(z), z of shape (..., K) (the chain length is the last axis)."""
    z = np.asarray(z, dtype=np.float64)
    v, _, _ = _links(z)
    return -phi(z[..., 0]) + v.sum(axis=-1)


def grad_F_K(z: Array) -> Array:
    """∇F_K(z) for z of shape (..., K)."""
    z = np.asarray(z, dtype=np.float64)
    _, da, db = _links(z)
    g = np.zeros_like(z)
    g[..., :-1] += da
    g[..., 1:] += db
    g[..., 0] -= dphi(z[..., 0])
    return g


def _check_pos(name: str, value: float) -> float:
    v = float(value)
    if not math.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a finite number > 0 (got {value!r})")
    return v


@dataclass(frozen=True)
class NCSplitChain:
    """f_i = (Lλ²/ℓ₁)·H^{(group i)}(x/λ) on R^d, chain length ``K`` ≤ ``d`` (see module docstring).

    Parameters: ``L`` > 0, ``lam`` = λ > 0, ``K`` ≥ 2, ``d`` ≥ K (default K), ``n`` ≥ 2 (``split``)
    or ≥ 1 (homogeneous), ``groups`` a permutation of the default assignment, ``split``.
    """

    L: float
    lam: float
    K: int
    d: int | None = None
    n: int = 2
    groups: tuple[int, ...] | None = None
    split: bool = True
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_pos("L", self.L)
        _check_pos("lam", self.lam)
        if not isinstance(self.K, (int, np.integer)) or self.K < 2:
            raise ValueError(f"K (chain length) must be an integer ≥ 2 (got {self.K!r})")
        if self.d is None:
            object.__setattr__(self, "d", int(self.K))
        if not isinstance(self.d, (int, np.integer)) or self.d < self.K:
            raise ValueError(f"d must be an integer ≥ K = {self.K} (got {self.d!r})")
        if self.split:
            g = check_groups(self.n, self.groups)
        else:
            if not isinstance(self.n, (int, np.integer)) or self.n < 1:
                raise ValueError(f"n must be an integer ≥ 1 (got {self.n!r})")
            g = np.full(self.n, -1, dtype=np.int64)
        masks = link_masks(int(self.K))
        W = np.ones((self.n, self.K - 1)) if not self.split else masks[g]
        first = np.ones(self.n) if not self.split else (g == GROUP_A).astype(float)
        self._cache.update(groups=g, link_w=W, first_w=first)

    # ----------------------------------------------------------------- constants
    @property
    def c_n(self) -> float:
        return (self.n // 2) / self.n if self.split else 1.0

    @property
    def value_scale(self) -> float:
        """Lλ²/ℓ₁."""
        return self.L * self.lam**2 / ELL1

    @property
    def grad_scale(self) -> float:
        """Lλ/ℓ₁ (a unit of ∇F_K in units of ∇f_i)."""
        return self.L * self.lam / ELL1

    @property
    def worker_groups(self) -> NDArray[np.int64]:
        return self._cache["groups"]

    def with_groups(self, groups: tuple[int, ...]) -> "NCSplitChain":
        """The same chain with worker i holding group ``groups[i]`` (a permutation of the default)."""
        if not self.split:
            raise ValueError("with_groups needs the split chain (split=True); the homogeneous one has no groups")
        return NCSplitChain(L=self.L, lam=self.lam, K=self.K, d=self.d, n=self.n,
                            groups=tuple(int(g) for g in groups))

    @property
    def delta_bound(self) -> float:
        """f(0) − inf f ≤ c_n·(Lλ²/ℓ₁)·12K (THEORY.md §2.4)."""
        return self.c_n * self.value_scale * DELTA0 * self.K

    @property
    def grad_floor_sq(self) -> float:
        """‖∇f(x)‖² > (c_n·Lλ/ℓ₁)² whenever prog_1(x/λ) < K (THEORY.md §3.3)."""
        return (self.c_n * self.grad_scale) ** 2

    # ----------------------------------------------------------------- oracle side
    def grads(self, X: Array) -> Array:
        """∇f_i(X[i]) = (Lλ/ℓ₁)·∇H^{(i)}(X[i]/λ), all workers at once (X of shape (n, d))."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 1:
            X = np.broadcast_to(X, (self.n, self.d))
        K = self.K
        Z = X[:, :K] / self.lam
        _, da, db = _links(Z)
        W = self._cache["link_w"]
        G = np.zeros(X.shape)
        G[:, : K - 1] += W * da
        G[:, 1:K] += W * db
        G[:, 0] -= self._cache["first_w"] * dphi(Z[:, 0])
        G[:, :K] *= self.grad_scale
        return G

    def local_f(self, X: Array) -> Array:
        """f_i(X[i]) for every worker (X of shape (n, d))."""
        X = np.asarray(X, dtype=np.float64)
        Z = X[:, : self.K] / self.lam
        v, _, _ = _links(Z)
        out = (self._cache["link_w"] * v).sum(axis=1) - self._cache["first_w"] * phi(Z[:, 0])
        return self.value_scale * out

    # ----------------------------------------------------------------- measurement side
    def f(self, x: Array) -> float | Array:
        """f(x) = c_n·(Lλ²/ℓ₁)·F_K(x/λ); x may be a batch (m, d)."""
        x = np.asarray(x, dtype=np.float64)
        return self.c_n * self.value_scale * F_K(x[..., : self.K] / self.lam)

    def mean_grad(self, x: Array) -> Array:
        x = np.asarray(x, dtype=np.float64)
        g = np.zeros(x.shape)
        g[..., : self.K] = self.c_n * self.grad_scale * grad_F_K(x[..., : self.K] / self.lam)
        return g

    def grad_norm_sq(self, x: Array) -> float | Array:
        """‖∇f(x)‖², the NC accuracy measure (THEORY.md §0)."""
        return np.sum(self.mean_grad(x) ** 2, axis=-1)

    def gap(self, x: Array) -> float | Array:
        """The accuracy measure the runner reads: ‖∇f(x)‖² in NC (there is no closed-form f*)."""
        return self.grad_norm_sq(x)

    def prog(self, x: Array) -> int:
        return _prog(x)

    def prog_alpha(self, x: Array, alpha: float) -> int:
        """prog_α(x/λ), the scaled progress the proofs use (α = ½ robust, ¼ Arjevani, 1 floor)."""
        return _prog(np.asarray(x) / self.lam, alpha)

    def floor(self, k: int | NDArray[np.int64]) -> float | Array:
        """Lower bound on ‖∇f(x)‖² at points with prog_1(x/λ) = k: (c_nLλ/ℓ₁)² for k < K, else 0."""
        k = np.asarray(k)
        return np.where(k < self.K, self.grad_floor_sq, 0.0)

    @property
    def x_star(self) -> Array:
        raise AttributeError("the NC chain has no closed-form minimiser; accuracy is ‖∇f‖² ≤ ε")

    @property
    def f_star(self) -> float:
        raise AttributeError("the NC chain has no closed-form f*; use delta_bound and grad_norm_sq")

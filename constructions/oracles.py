"""Stochastic first-order oracles and the σ²-term noise instances (THEORY.md §1.1, §2.5, §3.3).

Every oracle implements ``query(X, rng) -> (n, d)``: row i is an unbiased estimate of ∇f_i(X[i]) with
E‖g_i − ∇f_i(X[i])‖² ≤ σ² (the class O_{σ²}); ``sigma`` is the declared bound and ``variance(X)``
the exact per-worker variance at X where it is known in closed form.

* :class:`ExactOracle` (re-exported from :mod:`constructions.base`): σ = 0.
* :class:`GaussianOracle`: g = ∇f_i(x) + (σ/√d)·N(0, I_d), so E‖g − ∇f_i‖² = σ² exactly. It is *not*
  zero-respecting (noise fills every coordinate); it is the oracle of the convex noise instances.
* :class:`BernoulliZeroChainOracle`: Arjevani et al.'s probabilistic zero-chain (§2.5),
  [g]_j = ∇_j f_i(x)·(1 + 1{j > prog_{1/4}(x/λ)}·(ξ_i/p − 1)), ξ_i ~ Bernoulli(p) independently per
  worker. Unbiased; variance ‖∇f_i‖²_∞(1−p)/p ≤ (γ_∞Lλ/ℓ₁)²(1−p)/p; each query advances progress with
  probability ≤ p.

Noise instances (homogeneous, compressor = identity; THEORY.md §3.3). For SC and GC the toolkit uses
the 1-D quadratic family f_i(x) = (h/2)(x − θ)² with Gaussian gradient noise and a Gaussian prior
θ ~ N(0, Δ_x) (so E‖x⁰ − x*‖² = Δ_x): after N = nT samples the Bayes risk of any estimator is
(h/2)/(1/Δ_x + Nh²/σ²) (posterior variance; [D], our Bayesian version of the Le Cam argument):

* SC, h = μ: E f − f* > ε while T < σ²/(2μnε)·(1 − 2ε/(μΔ_x))  — the σ²/(μnε) term;
* GC, h = 4ε/Δ_x ≤ L: E f − f* > ε while T < Δ_xσ²/(16nε²)       — the Δ_xσ²/(nε²) term.

Compression cannot help there: the server at best sees all nT samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from constructions.base import ExactOracle, Problem
from constructions.base import prog as _prog
from constructions.nc_chain import ELL1, GAMMA_INF

Array = NDArray[np.float64]

__all__ = ["ExactOracle", "GaussianOracle", "BernoulliZeroChainOracle", "NoisyQuadratic",
           "bayes_risk"]


def _check_sigma(sigma: float) -> float:
    s = float(sigma)
    if not math.isfinite(s) or s < 0:
        raise ValueError(f"sigma must be a finite number ≥ 0 (got {sigma!r})")
    return s


class GaussianOracle:
    """Additive Gaussian noise with total variance σ²: g = ∇f_i(x) + (σ/√d)·ξ, ξ ~ N(0, I_d)."""

    deterministic: bool = False

    def __init__(self, problem: Problem, sigma: float) -> None:
        self.problem = problem
        self.sigma = _check_sigma(sigma)

    def query(self, X: Array, rng: np.random.Generator) -> Array:
        G = self.problem.grads(X)
        if self.sigma == 0.0:
            return G
        return G + (self.sigma / math.sqrt(G.shape[1])) * rng.standard_normal(G.shape)

    def variance(self, X: Array) -> Array:
        """E‖g_i − ∇f_i‖² per worker: σ² everywhere."""
        return np.full(np.asarray(X).shape[0], self.sigma**2)


class BernoulliZeroChainOracle:
    """Arjevani et al.'s Bernoulli(p) probabilistic zero-chain on a scaled CDHS chain (THEORY.md §2.5).

    ``problem`` must expose ``grads``, ``lam`` (the scale λ), ``L`` and ``n``; progress is prog_{1/4}
    of X[i]/λ per worker and every worker flips its own coin (independent across workers and
    queries). Use :meth:`for_sigma` to pick p from a target σ.
    """

    deterministic: bool = False
    alpha: float = 0.25

    def __init__(self, problem, p: float) -> None:
        p = float(p)
        if not (0.0 < p <= 1.0):
            raise ValueError(f"p must lie in (0, 1] (got {p!r})")
        self.problem = problem
        self.p = p

    @classmethod
    def for_sigma(cls, problem, sigma: float) -> "BernoulliZeroChainOracle":
        """p = min{1, (γ_∞·Lλ/ℓ₁)²/σ²}, so that the variance bound is ≤ σ² (Arjevani Thm 3)."""
        sigma = _check_sigma(sigma)
        g = GAMMA_INF * problem.L * problem.lam / ELL1
        p = 1.0 if sigma == 0.0 else min(1.0, g * g / (sigma * sigma))
        return cls(problem, p)

    @property
    def sigma(self) -> float:
        """The declared bound √((γ_∞Lλ/ℓ₁)²(1−p)/p)."""
        g = GAMMA_INF * self.problem.L * self.problem.lam / ELL1
        return g * math.sqrt((1.0 - self.p) / self.p)

    def frontier(self, X: Array) -> NDArray[np.int64]:
        """prog_{1/4}(X[i]/λ) per worker (0-based index of the first noisy coordinate)."""
        Z = np.abs(np.asarray(X, dtype=np.float64)) > self.alpha * self.problem.lam
        any_ = Z.any(axis=1)
        last = Z.shape[1] - 1 - np.argmax(Z[:, ::-1], axis=1)
        return np.where(any_, last + 1, 0)

    def query(self, X: Array, rng: np.random.Generator) -> Array:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 1:
            X = np.broadcast_to(X, (self.problem.n, X.shape[0]))
        G = self.problem.grads(X)
        if self.p == 1.0:
            return G
        n, d = G.shape
        xi = rng.random(n) < self.p
        factor = np.where(xi, 1.0 / self.p, 0.0)
        beyond = np.arange(d)[None, :] >= self.frontier(X)[:, None]
        return np.where(beyond, G * factor[:, None], G)

    def variance(self, X: Array) -> Array:
        """Exact E‖g_i − ∇f_i‖² = ‖∇_{>prog_{1/4}} f_i‖²·(1−p)/p per worker."""
        X = np.asarray(X, dtype=np.float64)
        G = self.problem.grads(X)
        beyond = np.arange(G.shape[1])[None, :] >= self.frontier(X)[:, None]
        return np.sum(np.where(beyond, G, 0.0) ** 2, axis=1) * (1.0 - self.p) / self.p


def bayes_risk(h: float, delta_x: float, sigma: float, samples: int) -> float:
    """(h/2)/(1/Δ_x + N h²/σ²): the smallest E[(h/2)(x̂ − θ)²] over estimators x̂ built from N noisy
    gradients h(x − θ) + N(0, σ²) of the quadratic, θ ~ N(0, Δ_x) (posterior variance; attained by
    the posterior mean)."""
    prec = 1.0 / delta_x + (samples * h * h / sigma**2 if sigma > 0 else math.inf)
    return 0.5 * h / prec


@dataclass(frozen=True)
class NoisyQuadratic:
    """Homogeneous f_i(x) = (h/2)‖x − θ‖² on R^d, all n workers alike (the SC/GC σ² instance).

    ``theta`` defaults to e₁; the recipes pass √Δ_x·e₁ (one point of the family is what a run uses;
    the certificate is the Bayes risk over θ ~ N(0, Δ_x) in 1-D, see the module docstring).
    """

    h: float
    n: int = 2
    d: int = 1
    theta: tuple[float, ...] | None = None
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not (math.isfinite(float(self.h)) and float(self.h) > 0):
            raise ValueError(f"h must be a finite number > 0 (got {self.h!r})")
        if not isinstance(self.n, (int, np.integer)) or self.n < 1:
            raise ValueError(f"n must be an integer ≥ 1 (got {self.n!r})")
        if not isinstance(self.d, (int, np.integer)) or self.d < 1:
            raise ValueError(f"d must be an integer ≥ 1 (got {self.d!r})")
        th = np.zeros(self.d)
        if self.theta is None:
            th[0] = 1.0
        else:
            th = np.asarray(self.theta, dtype=np.float64)
            if th.shape != (self.d,):
                raise ValueError(f"theta must have length d = {self.d} (got {th.shape})")
        self._cache["theta"] = th

    @property
    def L(self) -> float:
        return float(self.h)

    @property
    def mu(self) -> float:
        return float(self.h)

    def grads(self, X: Array) -> Array:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 1:
            X = np.broadcast_to(X, (self.n, self.d))
        return self.h * (X - self._cache["theta"])

    def f(self, x: Array) -> float | Array:
        e = np.asarray(x, dtype=np.float64) - self._cache["theta"]
        return 0.5 * self.h * np.sum(e * e, axis=-1)

    def gap(self, x: Array) -> float | Array:
        return self.f(x)

    @property
    def x_star(self) -> Array:
        return self._cache["theta"].copy()

    @property
    def f_star(self) -> float:
        return 0.0

    def prog(self, x: Array) -> int:
        return _prog(x)

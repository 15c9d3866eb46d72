"""The papers' synthetic problems: distributed least squares and ℓ2-regularised logistic regression
(issue 3 item 6; THEORY.md §6.2, where the generator is marked [U]: the toolkit's own default in
the style of He–Huang–Yuan 2023, not a reproduction of paper B's data).

Worker i holds M samples (a_ij, b_ij), stored as ``A`` of shape (n, M, d) and ``b`` of shape (n, M):

* **least squares**  f_i(x) = (1/(2M))·‖A_i x − b_i‖², with b_i = A_i x_i* + label noise.
  Local smoothness λ_max(A_iᵀA_i)/M, local strong convexity λ_min(A_iᵀA_i)/M (0 when M < d).
  The global minimiser is the least-squares solution of the stacked system (exact, ``lstsq``).
  Heterogeneity: x_i* = x̄ + h·u_i, with x̄ and u_i ~ N(0, I_d/d) drawn once, so with no label
  noise the local minimisers are exactly the x_i* and their spread (1/n)Σ‖x_i* − mean‖² is h²
  times a fixed number (h = 0: identical local minimisers).
* **logistic regression**  f_i(x) = (1/M)·Σ_j ln(1 + exp(−b_ij a_ijᵀx)) + (ρ/2)‖x‖², b_ij ∈ {±1}.
  ∇²f_i = (1/M)A_iᵀD A_i + ρI with 0 ⪯ D ⪯ ¼I, so f_i is (‖A_i‖²/(4M) + ρ)-smooth (‖·‖ the
  spectral norm; attained at x = 0 where D = ¼I) and ρ-strongly convex. x* is found with
  scipy.optimize (trust-exact with the exact Hessian), to ‖∇f(x*)‖ ≤ 1e-10·max(1, ‖∇f(0)‖).
  Heterogeneity (covariate and concept shift, as FedProx's Synthetic(α, β) with one knob):
  a_ij = z_ij + h·m_i and P(b_ij = +1) = sigmoid(a_ijᵀ(w̄ + h·v_i)), with z_ij ~ N(0, I_d),
  m_i ~ N(0, I_d), w̄, v_i ~ N(0, (signal²/d)·I_d) and the uniform variables deciding the labels
  drawn once, so every random draw is shared by all values of h (h = 0: i.i.d. workers).

Both are generated from a ``numpy.random.Generator`` passed in (same generator state, same
problem), and expose what the toolkit's protocol needs (:mod:`constructions.base`): ``n``, ``d``,
``grads`` ((n, d) in, (n, d) out), ``f``, ``gap`` = f(x) − f*, ``prog`` (dense problems: the last
nonzero coordinate, i.e. d once the iterate is dense), ``x_star``, ``f_star``, ``L`` (the max over
workers of the local smoothness, the class constant of THEORY.md §1.1), ``mu`` (the min over
workers of the local strong convexity) and the global ``L_global``, ``mu_global`` of f.

The noise knob is the oracle (:meth:`oracle`): exact, minibatch sampling (:class:`MinibatchOracle`,
b samples per worker drawn uniformly with replacement), additive Gaussian with total variance σ²
(:class:`constructions.oracles.GaussianOracle`), or both. The minibatch variance is
(1/b)·(1/M)Σ_j‖∇ℓ_ij(x) − ∇f_i(x)‖² (``variance``). For logistic regression every per-sample
gradient deviation is bounded (‖∇ℓ_ij‖ ≤ ‖a_ij‖), so the oracle is in O_{σ²} with
σ² = max_i (1/(bM))Σ_j‖a_ij‖² + σ²_gauss (``sigma``); for least squares it grows with ‖x‖, so
there is no global σ (``sigma`` is ∞ unless M = 1) and only the exact value at x is available.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, special

from constructions.base import ExactOracle
from constructions.base import prog as _prog
from constructions.oracles import GaussianOracle

Array = NDArray[np.float64]

__all__ = ["LeastSquares", "LogisticRegression", "MinibatchOracle", "least_squares",
           "logistic_regression"]


# ---------------------------------------------------------------------------- validation
def _int(name: str, v: object, lo: int) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
        raise ValueError(f"{name} must be an integer ≥ {lo} (got {v!r})")
    return int(v)


def _nonneg(name: str, v: object) -> float:
    x = float(v)  # type: ignore[arg-type]
    if not math.isfinite(x) or x < 0:
        raise ValueError(f"{name} must be a finite number ≥ 0 (got {v!r})")
    return x


def _rng(rng: object) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator (got {type(rng).__name__}); "
                        f"use numpy.random.default_rng(seed)")
    return rng


def _as_workers(X: Array, n: int, d: int) -> Array:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1:
        X = np.broadcast_to(X, (n, d))
    if X.shape != (n, d):
        raise ValueError(f"X must have shape (n, d) = ({n}, {d}) or (d,) (got {X.shape})")
    return X


# ---------------------------------------------------------------------------- shared finite-sum part
@dataclass(frozen=True, eq=False)
class _FiniteSum:
    A: Array  # (n, M, d)
    b: Array  # (n, M)
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        A = np.ascontiguousarray(self.A, dtype=np.float64)
        b = np.ascontiguousarray(self.b, dtype=np.float64)
        if A.ndim != 3 or b.shape != A.shape[:2]:
            raise ValueError(f"A must have shape (n, M, d) and b shape (n, M) (got {A.shape}, {b.shape})")
        if not (np.all(np.isfinite(A)) and np.all(np.isfinite(b))):
            raise ValueError("A and b must be finite")
        A.setflags(write=False)
        b.setflags(write=False)
        object.__setattr__(self, "A", A)
        object.__setattr__(self, "b", b)

    @property
    def n(self) -> int:
        return self.A.shape[0]

    @property
    def M(self) -> int:
        return self.A.shape[1]

    @property
    def d(self) -> int:
        return self.A.shape[2]

    # Subclasses define the per-sample loss through its derivative along a_ijᵀx.
    def _sample_grads(self, X: Array, idx: NDArray[np.intp] | None) -> Array:
        """(n, m, d) per-sample gradients ∇ℓ_ij(X[i]) (regulariser included) for j in idx[i]."""
        raise NotImplementedError

    def grads(self, X: Array) -> Array:
        """∇f_i(X[i]) for all workers at once; X of shape (n, d) (a (d,) vector is broadcast)."""
        raise NotImplementedError

    def minibatch_grads(self, X: Array, idx: NDArray[np.intp]) -> Array:
        """(1/b)Σ_{j ∈ idx[i]} ∇ℓ_ij(X[i]) per worker; idx of shape (n, b)."""
        X = _as_workers(X, self.n, self.d)
        return self._sample_grads(X, idx).mean(axis=1)

    def minibatch_variance(self, X: Array, batch: int) -> Array:
        """Exact E‖minibatch − ∇f_i‖² per worker for b = ``batch`` samples with replacement."""
        X = _as_workers(X, self.n, self.d)
        S = self._sample_grads(X, None)
        dev = S - S.mean(axis=1, keepdims=True)
        return np.einsum("imd,imd->i", dev, dev) / (self.M * batch)

    def local_hessian(self, i: int, x: Array) -> Array:
        raise NotImplementedError

    def hessian(self, x: Array) -> Array:
        """Dense Hessian of f at x (small d)."""
        return sum(self.local_hessian(i, x) for i in range(self.n)) / self.n

    def mean_grad(self, x: Array) -> Array:
        return self.grads(np.asarray(x, dtype=np.float64)).mean(axis=0)

    def prog(self, x: Array) -> int:
        return _prog(x)

    @property
    def x_star(self) -> Array:
        return self._cache["x_star"].copy()

    @property
    def f_star(self) -> float:
        return self._cache["f_star"]

    @property
    def initial_gap(self) -> float:
        """f(x⁰) − f* with x⁰ = 0."""
        return float(self.gap(np.zeros(self.d)))

    @property
    def zeta_star_sq(self) -> float:
        """ζ*² = (1/n)Σ‖∇f_i(x*)‖², the heterogeneity at the optimum (THEORY.md §7)."""
        G = self.grads(self._cache["x_star"])
        return float(np.mean(np.sum(G * G, axis=1)))

    def oracle(self, *, batch: int | None = None, sigma: float = 0.0):
        """The noise knob: exact (default), minibatch of ``batch`` samples, Gaussian σ², or both."""
        sigma = _nonneg("sigma", sigma)
        if batch is None:
            return ExactOracle(self) if sigma == 0.0 else GaussianOracle(self, sigma)
        return MinibatchOracle(self, batch, sigma=sigma)


# ---------------------------------------------------------------------------- least squares
@dataclass(frozen=True, eq=False)
class LeastSquares(_FiniteSum):
    """f_i(x) = (1/(2M))‖A_i x − b_i‖² (module docstring); build with :func:`least_squares`."""

    def __post_init__(self) -> None:
        super().__post_init__()
        A, b = self.A, self.b
        n, M, d = A.shape
        gram = np.einsum("imd,ime->ide", A, A) / M  # local Hessians A_iᵀA_i/M
        ev = np.linalg.eigvalsh(gram)
        x_star = np.linalg.lstsq(A.reshape(n * M, d), b.reshape(n * M), rcond=None)[0]
        H = gram.mean(axis=0)
        evg = np.linalg.eigvalsh(H)
        r = np.einsum("imd,d->im", A, x_star) - b
        self._cache.update(gram=gram, H=H, L=float(ev[:, -1].max()), mu=max(0.0, float(ev[:, 0].min())),
                           L_global=float(evg[-1]), mu_global=max(0.0, float(evg[0])), x_star=x_star,
                           f_star=float(np.sum(r * r) / (2 * n * M)))

    @property
    def L(self) -> float:
        """max_i λ_max(A_iᵀA_i)/M: every f_i is L-smooth."""
        return self._cache["L"]

    @property
    def mu(self) -> float:
        """min_i λ_min(A_iᵀA_i)/M: every f_i is μ-strongly convex (0 if some M < d)."""
        return self._cache["mu"]

    @property
    def L_global(self) -> float:
        return self._cache["L_global"]

    @property
    def mu_global(self) -> float:
        return self._cache["mu_global"]

    def residuals(self, X: Array) -> Array:
        X = _as_workers(X, self.n, self.d)
        return np.einsum("imd,id->im", self.A, X) - self.b

    def grads(self, X: Array) -> Array:
        return np.einsum("imd,im->id", self.A, self.residuals(X)) / self.M

    def _sample_grads(self, X: Array, idx: NDArray[np.intp] | None) -> Array:
        A, b = (self.A, self.b) if idx is None else self._select(idx)
        r = np.einsum("imd,id->im", A, X) - b
        return A * r[:, :, None]

    def _select(self, idx: NDArray[np.intp]) -> tuple[Array, Array]:
        rows = np.arange(self.n)[:, None]
        return self.A[rows, idx], self.b[rows, idx]

    def local_f(self, X: Array) -> Array:
        """f_i(X[i]) for every worker."""
        r = self.residuals(X)
        return np.sum(r * r, axis=1) / (2 * self.M)

    def local_hessian(self, i: int, x: Array | None = None) -> Array:
        return self._cache["gram"][i].copy()

    def local_minimisers(self) -> Array:
        """argmin f_i per worker (least-squares solutions, min-norm if M < d), shape (n, d)."""
        return np.stack([np.linalg.lstsq(self.A[i], self.b[i], rcond=None)[0] for i in range(self.n)])

    def f(self, x: Array) -> float | Array:
        """f(x) = (1/(2nM))Σ_i‖A_i x − b_i‖²; x may be a batch (m, d)."""
        x = np.asarray(x, dtype=np.float64)
        r = np.einsum("imd,...d->...im", self.A, x) - self.b
        return np.sum(r * r, axis=(-2, -1)) / (2 * self.n * self.M)

    def gap(self, x: Array) -> float | Array:
        """f(x) − f* = ½(x − x*)ᵀH(x − x*) (exact for a quadratic with ∇f(x*) = 0; no cancellation)."""
        e = np.asarray(x, dtype=np.float64) - self._cache["x_star"]
        return 0.5 * np.sum(e * (e @ self._cache["H"]), axis=-1)


def least_squares(n: int, d: int, M: int, *, heterogeneity: float = 0.0, label_noise: float = 0.0,
                  rng: np.random.Generator) -> LeastSquares:
    """Distributed least squares with Gaussian A_i (entries N(0, 1)), b_i = A_i x_i* + N(0, label_noise²).

    x_i* = x̄ + h·u_i (h = ``heterogeneity``), x̄, u_i ~ N(0, I_d/d). The draws are made in a fixed
    order (A, x̄, u, label noise) so one generator state gives the same A, x̄ and u for every h.
    """
    n, d, M = _int("n", n, 1), _int("d", d, 1), _int("M", M, 1)
    h, s = _nonneg("heterogeneity", heterogeneity), _nonneg("label_noise", label_noise)
    rng = _rng(rng)
    A = rng.standard_normal((n, M, d))
    xbar = rng.standard_normal(d) / math.sqrt(d)
    U = rng.standard_normal((n, d)) / math.sqrt(d)
    noise = rng.standard_normal((n, M))
    X_loc = xbar + h * U
    b = np.einsum("imd,id->im", A, X_loc) + s * noise
    return LeastSquares(A, b)


# ---------------------------------------------------------------------------- logistic regression
@dataclass(frozen=True, eq=False)
class LogisticRegression(_FiniteSum):
    """f_i(x) = (1/M)Σ_j ln(1 + exp(−b_ij a_ijᵀx)) + (ρ/2)‖x‖²; build with :func:`logistic_regression`."""

    rho: float = 0.0
    x_tol: float = 1e-10

    def __post_init__(self) -> None:
        super().__post_init__()
        rho = _nonneg("rho", self.rho)
        if not np.all(np.abs(self.b) == 1.0):
            raise ValueError("logistic labels b must be ±1")
        n, M, d = self.A.shape
        norms2 = np.linalg.norm(self.A, ord=2, axis=(1, 2)) ** 2  # spectral norms ‖A_i‖²
        stacked = self.A.reshape(n * M, d)
        L_glob = float(np.linalg.norm(stacked, ord=2) ** 2) / (4 * n * M) + rho
        self._cache.update(L=float(norms2.max()) / (4 * M) + rho, L_global=L_glob)
        x_star = self._solve()
        self._cache.update(x_star=x_star, f_star=float(self.f(x_star)))

    @property
    def L(self) -> float:
        """max_i ‖A_i‖²/(4M) + ρ: every f_i is L-smooth (attained at x = 0)."""
        return self._cache["L"]

    @property
    def mu(self) -> float:
        """ρ: every f_i is ρ-strongly convex (0 without regularisation: μ does not exist)."""
        return float(self.rho)

    @property
    def L_global(self) -> float:
        """‖A‖²/(4nM) + ρ for the stacked A: the smoothness of f."""
        return self._cache["L_global"]

    @property
    def mu_global(self) -> float:
        return float(self.rho)

    def margins(self, X: Array) -> Array:
        """z_ij = b_ij a_ijᵀX[i], shape (n, M)."""
        X = _as_workers(X, self.n, self.d)
        return self.b * np.einsum("imd,id->im", self.A, X)

    def grads(self, X: Array) -> Array:
        X = _as_workers(X, self.n, self.d)
        w = -self.b * special.expit(-self.margins(X))  # dℓ/d(aᵀx)
        return np.einsum("imd,im->id", self.A, w) / self.M + self.rho * X

    def _sample_grads(self, X: Array, idx: NDArray[np.intp] | None) -> Array:
        if idx is None:
            A, b = self.A, self.b
        else:
            rows = np.arange(self.n)[:, None]
            A, b = self.A[rows, idx], self.b[rows, idx]
        z = b * np.einsum("imd,id->im", A, X)
        return A * (-b * special.expit(-z))[:, :, None] + self.rho * X[:, None, :]

    def local_f(self, X: Array) -> Array:
        X = _as_workers(X, self.n, self.d)
        return (np.mean(np.logaddexp(0.0, -self.margins(X)), axis=1)
                + 0.5 * self.rho * np.sum(X * X, axis=1))

    def local_hessian(self, i: int, x: Array) -> Array:
        x = np.asarray(x, dtype=np.float64)
        z = self.A[i] @ x  # b² = 1, so the curvature σ(z)σ(−z) does not depend on the label
        D = special.expit(z) * special.expit(-z)
        return (self.A[i].T * D) @ self.A[i] / self.M + self.rho * np.eye(self.d)

    def f(self, x: Array) -> float | Array:
        """f(x) = (1/n)Σ f_i(x); x may be a batch (m, d)."""
        x = np.asarray(x, dtype=np.float64)
        z = self.b * np.einsum("imd,...d->...im", self.A, x)
        return (np.mean(np.logaddexp(0.0, -z), axis=(-2, -1)) + 0.5 * self.rho * np.sum(x * x, axis=-1))

    def gap(self, x: Array) -> float | Array:
        """f(x) − f* (direct difference: rounding of order 1e-16·|f*|)."""
        return self.f(x) - self._cache["f_star"]

    def _solve(self) -> Array:
        """x* by scipy's trust-region Newton (exact Hessian), then Newton polishing; the gradient
        tolerance is checked, not assumed."""
        n, M, d = self.A.shape
        S = self.A.reshape(n * M, d)
        y = self.b.reshape(n * M)
        rho = float(self.rho)

        def fun(x):
            z = y * (S @ x)
            return float(np.mean(np.logaddexp(0.0, -z)) + 0.5 * rho * x @ x)

        def jac(x):
            z = y * (S @ x)
            return S.T @ (-y * special.expit(-z)) / (n * M) + rho * x

        def hess(x):
            z = S @ x
            D = special.expit(z) * special.expit(-z)
            return (S.T * D) @ S / (n * M) + rho * np.eye(d)

        tol = self.x_tol * max(1.0, float(np.linalg.norm(jac(np.zeros(d)))))
        res = optimize.minimize(fun, np.zeros(d), jac=jac, hess=hess, method="trust-exact",
                                options=dict(gtol=tol, maxiter=1000))
        x = res.x
        for _ in range(20):  # full Newton steps from a point inside the quadratic-convergence region
            g = jac(x)
            if np.linalg.norm(g) <= 0.1 * tol:
                break
            x = x - np.linalg.solve(hess(x), g)
        g = jac(x)
        gn = float(np.linalg.norm(g))
        # A small gradient alone is not enough: on separable data with ρ = 0 the gradient vanishes
        # at infinity. Near a true minimiser the Newton step ‖∇²f⁻¹∇f‖ bounds ‖x − x*‖ and is tiny.
        with np.errstate(all="ignore"):
            try:
                newton = float(np.linalg.norm(np.linalg.solve(hess(x), g)))
            except np.linalg.LinAlgError:
                newton = math.inf
        if not (np.all(np.isfinite(x)) and gn <= tol and newton <= 1e-8 * (1.0 + float(np.linalg.norm(x)))):
            raise RuntimeError(f"logistic regression: could not solve for x* to ‖∇f‖ ≤ {tol:.3g} "
                               f"(reached ‖∇f‖ = {gn:.3g}, Newton step {newton:.3g}); with rho = 0 and "
                               f"separable data there is no minimiser")
        return x


def logistic_regression(n: int, d: int, M: int, *, heterogeneity: float = 0.0, rho: float = 1e-2,
                        signal: float = 2.0, rng: np.random.Generator) -> LogisticRegression:
    """ℓ2-regularised logistic regression with covariate and concept shift of size h (module docstring).

    ``signal`` sets ‖w̄‖ ≈ signal, i.e. aᵀw̄ has standard deviation ≈ signal at h = 0.
    """
    n, d, M = _int("n", n, 1), _int("d", d, 1), _int("M", M, 1)
    h, rho, signal = (_nonneg("heterogeneity", heterogeneity), _nonneg("rho", rho),
                      _nonneg("signal", signal))
    rng = _rng(rng)
    Z = rng.standard_normal((n, M, d))
    shift = rng.standard_normal((n, d))
    wbar = rng.standard_normal(d) * signal / math.sqrt(d)
    V = rng.standard_normal((n, d)) * signal / math.sqrt(d)
    U = rng.random((n, M))
    A = Z + h * shift[:, None, :]
    W = wbar + h * V
    p = special.expit(np.einsum("imd,id->im", A, W))
    b = np.where(U < p, 1.0, -1.0)
    return LogisticRegression(A, b, rho=rho)


# ---------------------------------------------------------------------------- minibatch oracle
class MinibatchOracle:
    """Each worker averages ``batch`` per-sample gradients drawn uniformly with replacement from its M
    samples (independently across workers and calls), plus optional Gaussian noise of total variance
    σ² (as :class:`constructions.oracles.GaussianOracle`). Unbiased; ``variance(X)`` is exact."""

    deterministic: bool = False

    def __init__(self, problem: _FiniteSum, batch: int, sigma: float = 0.0) -> None:
        self.problem = problem
        self.batch = _int("batch", batch, 1)
        self.gauss = _nonneg("sigma", sigma)

    def query(self, X: Array, rng: np.random.Generator) -> Array:
        p = self.problem
        X = _as_workers(X, p.n, p.d)
        idx = rng.integers(0, p.M, size=(p.n, self.batch))
        G = p.minibatch_grads(X, idx)
        if self.gauss > 0.0:
            G = G + (self.gauss / math.sqrt(p.d)) * rng.standard_normal(G.shape)
        return G

    def variance(self, X: Array) -> Array:
        """E‖g_i − ∇f_i(X[i])‖² per worker: the minibatch variance plus σ²."""
        return self.problem.minibatch_variance(X, self.batch) + self.gauss**2

    @property
    def sigma(self) -> float:
        """A bound σ with E‖g_i − ∇f_i‖² ≤ σ² everywhere (THEORY.md §1.1), or ∞ when there is none.

        Logistic: ‖∇ℓ_ij − ∇f_i‖ has mean square ≤ (1/M)Σ_j‖a_ij‖² (the ρx term cancels and
        |dℓ/dz| ≤ 1), so σ² = max_i (1/(bM))Σ_j‖a_ij‖² + σ²_gauss. Least squares: the per-sample
        residuals grow with ‖x‖, so the minibatch variance is unbounded unless M = 1.
        """
        p = self.problem
        if isinstance(p, LogisticRegression):
            s2 = float(np.max(np.sum(p.A * p.A, axis=(1, 2)))) / (p.M * self.batch)
            return math.sqrt(s2 + self.gauss**2)
        return self.gauss if p.M == 1 else math.inf

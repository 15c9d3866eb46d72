"""The papers' synthetic problems (issue 3 item 6, THEORY.md §6.2): gradients, constants L and μ,
the optimum, the heterogeneity and noise knobs, reproducibility, and a run through the algorithms'
oracle interface. Monte Carlo tolerances are 5 standard errors of the estimated quantity."""

from __future__ import annotations

import math

import numpy as np
import pytest

from algorithms.cgd import CompressedGD
from constructions.base import ExactOracle, Problem
from constructions.compressors import Identity, RandS
from constructions.oracles import GaussianOracle
from constructions.synthetic import (LeastSquares, LogisticRegression, MinibatchOracle, least_squares,
                                     logistic_regression)
from lowerbounds.measure import run

Z5 = 5.0


def ls(seed=0, **kw):
    kw = {"heterogeneity": 1.0, "label_noise": 0.1, **kw}
    return least_squares(5, 8, 30, rng=np.random.default_rng(seed), **kw)


def logreg(seed=0, **kw):
    kw = {"heterogeneity": 1.0, "rho": 0.05, **kw}
    return logistic_regression(5, 8, 30, rng=np.random.default_rng(seed), **kw)


BOTH = [pytest.param(ls, id="least-squares"), pytest.param(logreg, id="logistic")]


def fd_grads(p, X, h=1e-6):
    """Central finite differences of every worker's local_f, all coordinates: (n, d)."""
    G = np.zeros_like(X)
    for j in range(p.d):
        E = np.zeros_like(X)
        E[:, j] = h
        G[:, j] = (p.local_f(X + E) - p.local_f(X - E)) / (2 * h)
    return G


# ----------------------------------------------------------------------------- gradients, values
@pytest.mark.parametrize("make", BOTH)
def test_gradients_match_central_finite_differences(make):
    p = make()
    assert isinstance(p, Problem)
    rng = np.random.default_rng(1)
    for scale in (0.1, 1.0, 3.0):
        X = scale * rng.standard_normal((p.n, p.d))
        G = p.grads(X)
        # central differences: O(h²) truncation plus O(1e-16·|f|/h) rounding, both ≲ 1e-8 here
        assert np.max(np.abs(G - fd_grads(p, X))) <= 1e-7 * max(1.0, np.max(np.abs(G)))
        x = X[0]
        assert float(p.f(x)) == pytest.approx(float(np.mean(p.local_f(np.broadcast_to(x, (p.n, p.d))))),
                                              rel=1e-13)
        assert np.allclose(p.mean_grad(x), p.grads(x).mean(axis=0))
    # f accepts a batch of points and gives one value per point
    assert np.allclose(p.f(X[:3]), [float(p.f(x)) for x in X[:3]], rtol=1e-14)


def test_least_squares_gradient_is_the_textbook_formula():
    p = ls()
    X = np.random.default_rng(2).standard_normal((p.n, p.d))
    ref = np.stack([p.A[i].T @ (p.A[i] @ X[i] - p.b[i]) / p.M for i in range(p.n)])
    assert np.allclose(p.grads(X), ref, rtol=1e-13, atol=1e-13)


def test_logistic_gradient_is_the_textbook_formula():
    p = logreg()
    X = np.random.default_rng(3).standard_normal((p.n, p.d))
    ref = np.stack([
        sum(-p.b[i, j] * p.A[i, j] / (1 + math.exp(p.b[i, j] * p.A[i, j] @ X[i])) for j in range(p.M)) / p.M
        + p.rho * X[i] for i in range(p.n)])
    assert np.allclose(p.grads(X), ref, rtol=1e-12, atol=1e-14)


# ----------------------------------------------------------------------------- constants
def test_least_squares_L_mu_are_hessian_eigenvalues():
    """Hessians read off the gradient map (linear: columns ∇f_i(e_j) − ∇f_i(0), exact), then eigvalsh."""
    for M in (30, 5):  # M < d: some f_i is not strongly convex, μ = 0
        p = least_squares(4, 8, M, heterogeneity=0.5, rng=np.random.default_rng(M))
        g0 = p.grads(np.zeros(p.d))
        H = np.stack([np.stack([p.grads(np.eye(p.d)[j])[i] - g0[i] for j in range(p.d)], axis=1)
                      for i in range(p.n)])
        ev = np.linalg.eigvalsh((H + H.transpose(0, 2, 1)) / 2)
        assert p.L == pytest.approx(ev[:, -1].max(), rel=1e-10)
        assert p.mu == pytest.approx(max(0.0, ev[:, 0].min()), rel=1e-10, abs=1e-12)
        evg = np.linalg.eigvalsh(H.mean(axis=0))
        assert p.L_global == pytest.approx(evg[-1], rel=1e-10)
        assert p.mu_global == pytest.approx(max(evg[0], 0.0), rel=1e-8, abs=1e-12)
        assert p.mu_global >= p.mu and p.L_global <= p.L * (1 + 1e-12)
        if M < p.d:
            assert p.mu == 0.0 and p.mu_global > 0  # the stacked system (nM = 20 ≥ d) is still full rank


def test_logistic_hessian_between_rho_and_L_and_L_attained_at_zero():
    p = logreg()
    rng = np.random.default_rng(4)
    h = 1e-6
    for scale in (0.0, 0.3, 1.0, 5.0):
        x = scale * rng.standard_normal(p.d)
        for i in range(p.n):
            H = p.local_hessian(i, x)
            # the dense Hessian itself checked against differences of the gradients
            E = np.eye(p.d) * h
            Hfd = np.stack([(p.grads(x + E[j])[i] - p.grads(x - E[j])[i]) / (2 * h) for j in range(p.d)], axis=1)
            assert np.max(np.abs(H - Hfd)) <= 1e-7 * p.L
            ev = np.linalg.eigvalsh(H)
            assert ev[0] >= p.mu * (1 - 1e-12) and ev[-1] <= p.L * (1 + 1e-12)
    # D = ¼I at x = 0: the bound ‖A_i‖²/(4M) + ρ is attained by the worst worker (the constant is tight)
    assert max(np.linalg.eigvalsh(p.local_hessian(i, np.zeros(p.d)))[-1] for i in range(p.n)) == \
        pytest.approx(p.L, rel=1e-12)
    assert np.linalg.eigvalsh(p.hessian(np.zeros(p.d)))[-1] == pytest.approx(p.L_global, rel=1e-12)
    assert p.mu == p.rho == p.mu_global


# ----------------------------------------------------------------------------- optimum
def test_least_squares_optimum_exact():
    p = ls()
    g = p.mean_grad(p.x_star)
    assert np.linalg.norm(g) <= 1e-13 * max(1.0, np.linalg.norm(p.mean_grad(np.zeros(p.d))))
    # normal equations solved independently
    Hs = sum(p.A[i].T @ p.A[i] for i in range(p.n))
    rhs = sum(p.A[i].T @ p.b[i] for i in range(p.n))
    assert np.allclose(p.x_star, np.linalg.solve(Hs, rhs), rtol=1e-10, atol=1e-12)
    assert p.f_star == pytest.approx(float(p.f(p.x_star)), rel=1e-14) and p.f_star > 0  # label noise
    # gap two ways (quadratic form vs difference of values) and f ≥ f* around x*
    rng = np.random.default_rng(5)
    X = p.x_star + rng.standard_normal((200, p.d)) * rng.choice([1e-3, 1e-1, 1.0], size=(200, 1))
    gaps = p.gap(X)
    assert np.all(gaps > 0)
    assert np.allclose(gaps, p.f(X) - p.f_star, rtol=1e-6, atol=1e-14)
    assert float(p.gap(p.x_star)) == 0.0 and p.initial_gap == pytest.approx(float(p.f(np.zeros(p.d))) - p.f_star)


@pytest.mark.parametrize("rho", [0.05, 1e-4])
def test_logistic_optimum_to_high_accuracy(rho):
    p = logreg(rho=rho)
    g0 = np.linalg.norm(p.mean_grad(np.zeros(p.d)))
    assert np.linalg.norm(p.mean_grad(p.x_star)) <= 1e-10 * max(1.0, g0)
    assert p.f_star == float(p.f(p.x_star)) and float(p.gap(p.x_star)) == 0.0
    # x* is the minimiser, not just a stationary point: second-order expansion around it holds and
    # every perturbation increases f (f is ρ-strongly convex, so ≥ (ρ/2)‖e‖² up to rounding)
    rng = np.random.default_rng(6)
    H = p.hessian(p.x_star)
    for r in (1e-4, 1e-2, 1.0):
        E = r * rng.standard_normal((100, p.d))
        gaps = p.gap(p.x_star + E)
        quad = 0.5 * np.einsum("md,de,me->m", E, H, E)
        assert np.all(gaps >= 0.5 * p.mu * np.sum(E * E, axis=1) - 1e-15)
        if r <= 1e-4:
            assert np.allclose(gaps, quad, rtol=1e-3, atol=1e-15)


def test_logistic_unsolvable_raises():
    """Separable data without regularisation has no minimiser: a clear error, never a silent x*."""
    A = np.array([[[1.0], [2.0]], [[-1.0], [-3.0]]])
    b = np.array([[1.0, 1.0], [-1.0, -1.0]])
    with pytest.raises(RuntimeError, match="could not solve"):
        LogisticRegression(A, b, rho=0.0)


# ----------------------------------------------------------------------------- heterogeneity
def spread(X):
    return float(np.mean(np.sum((X - X.mean(axis=0)) ** 2, axis=1)))


def test_least_squares_heterogeneity_zero_gives_identical_local_minimisers():
    p = least_squares(6, 8, 30, heterogeneity=0.0, rng=np.random.default_rng(7))
    Xloc = p.local_minimisers()
    assert np.max(np.abs(Xloc - Xloc[0])) <= 1e-12
    assert np.allclose(p.x_star, Xloc[0], atol=1e-12)
    assert p.f_star <= 1e-25 and p.zeta_star_sq <= 1e-25  # every worker is at its optimum at x*


def test_least_squares_spread_grows_as_h_squared():
    """Same seed, growing h: A, x̄ and u_i are shared, the local minimisers are x̄ + h·u_i exactly,
    so the spread is h²·spread(1) (strictly increasing) and ζ*² increases with it."""
    hs = [0.0, 0.1, 0.3, 1.0, 3.0]
    probs = [least_squares(6, 8, 30, heterogeneity=h, rng=np.random.default_rng(8)) for h in hs]
    assert all(np.array_equal(q.A, probs[0].A) for q in probs)
    sp = [spread(q.local_minimisers()) for q in probs]
    assert sp[0] <= 1e-24 and np.all(np.diff(sp) > 0)
    for h, s in zip(hs, sp):
        assert s == pytest.approx(h * h * sp[3], rel=1e-9, abs=1e-24)
    zs = [q.zeta_star_sq for q in probs]
    assert np.all(np.diff(zs) > 0)


@pytest.mark.parametrize("seed", [0, 1])
def test_logistic_heterogeneity_knob(seed):
    """h = 0: i.i.d. workers (their local minimisers differ only by sampling noise); for a fixed seed
    (every random draw is shared across h) the spread of the local minimisers and ζ*² increase with
    h. Not a theorem (ρ bounds ‖x_i*‖ ≤ max‖a_ij‖/ρ, so the spread saturates): a check that the knob
    acts, with M = 200 so that sampling noise does not mask it (it held for 10 of 10 seeds)."""
    hs = [0.0, 0.5, 1.0, 2.0]
    sp, zs = [], []
    for h in hs:
        p = logistic_regression(6, 8, 200, heterogeneity=h, rho=0.05, rng=np.random.default_rng(seed))
        Xloc = np.stack([LogisticRegression(p.A[i:i + 1], p.b[i:i + 1], rho=p.rho).x_star for i in range(p.n)])
        assert np.max(np.abs(p.grads(Xloc))) <= 1e-9  # each local minimiser is stationary for its f_i
        sp.append(spread(Xloc))
        zs.append(p.zeta_star_sq)
    assert np.all(np.diff(sp) > 0) and np.all(np.diff(zs) > 0), (sp, zs)


# ----------------------------------------------------------------------------- noise oracles
def _mc(oracle, X, m, seed):
    rng = np.random.default_rng(seed)
    return np.stack([oracle.query(X, rng) for _ in range(m)])  # (m, n, d)


@pytest.mark.parametrize("make", BOTH)
@pytest.mark.parametrize("batch,sigma", [(1, 0.0), (4, 0.0), (3, 0.7), (None, 0.7)])
def test_noise_oracles_unbiased_with_the_declared_variance(make, batch, sigma):
    """Per worker: mean within 5 SE of ∇f_i; the mean squared deviation within 5 SE of the exact
    variance (two-sided), which is ≤ σ² where the class bound σ exists (logistic, Gaussian)."""
    p = make()
    o = p.oracle(batch=batch, sigma=sigma)
    assert isinstance(o, MinibatchOracle if batch else GaussianOracle)
    X = np.random.default_rng(10).standard_normal((p.n, p.d))
    m = 4000
    S = _mc(o, X, m, 11)
    G = p.grads(X)
    dev = S - G
    se = S.std(axis=0, ddof=1) / math.sqrt(m)
    assert np.all(np.abs(dev.mean(axis=0)) <= Z5 * se + 1e-15)
    sq = np.sum(dev**2, axis=2)  # (m, n)
    v, v_se = sq.mean(axis=0), sq.std(axis=0, ddof=1) / math.sqrt(m)
    exact = o.variance(X) if batch else np.full(p.n, sigma**2)
    assert np.all(np.abs(v - exact) <= Z5 * v_se)
    if batch:
        assert np.all(exact > sigma**2)  # sampling adds variance on these data
        if isinstance(p, LogisticRegression):
            assert np.all(v <= o.sigma**2 + Z5 * v_se) and np.all(exact <= o.sigma**2)
        else:
            assert o.sigma == math.inf


def test_minibatch_variance_shrinks_as_one_over_b_and_exact_oracle_by_default():
    p = logreg()
    X = np.ones((p.n, p.d))
    v1, v8 = p.oracle(batch=1).variance(X), p.oracle(batch=8).variance(X)
    assert np.allclose(v8, v1 / 8, rtol=1e-14)
    o = p.oracle()
    assert isinstance(o, ExactOracle) and np.array_equal(o.query(X, np.random.default_rng(0)), p.grads(X))
    with pytest.raises(ValueError, match="batch must be"):
        p.oracle(batch=0)
    with pytest.raises(ValueError, match="sigma must be"):
        p.oracle(sigma=-1.0)


# ----------------------------------------------------------------------------- reproducibility, validation
@pytest.mark.parametrize("make", BOTH)
def test_reproducible_from_the_generator(make):
    a, b, c = make(seed=12), make(seed=12), make(seed=13)
    assert np.array_equal(a.A, b.A) and np.array_equal(a.b, b.b) and np.array_equal(a.x_star, b.x_star)
    assert a.f_star == b.f_star and a.L == b.L
    assert not np.array_equal(a.A, c.A)
    X = np.zeros((a.n, a.d))
    qa = _mc(a.oracle(batch=2, sigma=0.1), X, 5, 0)
    qb = _mc(b.oracle(batch=2, sigma=0.1), X, 5, 0)
    assert np.array_equal(qa, qb)


@pytest.mark.parametrize("call,exc,match", [
    (lambda: least_squares(0, 3, 4, rng=np.random.default_rng(0)), ValueError, "n must be an integer ≥ 1"),
    (lambda: least_squares(2, 3, 4, heterogeneity=-1, rng=np.random.default_rng(0)), ValueError, "heterogeneity"),
    (lambda: least_squares(2, 3, 4, rng=0), TypeError, "rng must be a numpy.random.Generator"),
    (lambda: logistic_regression(2, 3, 4, rho=-0.1, rng=np.random.default_rng(0)), ValueError, "rho must be"),
    (lambda: logistic_regression(2, 3, 2.5, rng=np.random.default_rng(0)), ValueError, "M must be"),
    (lambda: LogisticRegression(np.ones((1, 2, 2)), np.array([[1.0, 0.5]])), ValueError, "labels b must be ±1"),
    (lambda: LeastSquares(np.ones((1, 2, 2)), np.ones((1, 3))), ValueError, "shape"),
])
def test_validation(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# ----------------------------------------------------------------------------- the algorithms run on them
@pytest.mark.parametrize("make", BOTH)
def test_gradient_descent_through_the_oracle_interface_converges_at_the_predicted_rate(make):
    """Uncompressed GD with step 1/L (L the class constant ≥ L_global) on a μ_global-strongly convex f:
    f(x_T) − f* ≤ (1 − μ_global/L)^T·(f(0) − f*) (the standard descent-lemma rate)."""
    p = make()
    T = 150
    tr = run(p, CompressedGD(Identity(), p.L, p.d), ExactOracle(p), n=p.n, d=p.d, budget=T, eps_min=0.0,
             rng=np.random.default_rng(0))
    rate = (1 - p.mu_global / p.L) ** np.arange(T + 1)
    assert np.all(tr.gaps <= rate * tr.gaps[0] * (1 + 1e-9) + 1e-14)
    assert tr.gaps[-1] < 1e-3 * tr.gaps[0] and tr.progs[-1] == p.d
    # compressed with rand-s (ω = 3) and minibatch noise: still runs, stays finite, decreases
    tr2 = run(p, CompressedGD(RandS(2), p.L, p.d), p.oracle(batch=4), n=p.n, d=p.d, budget=T, eps_min=0.0,
              rng=np.random.default_rng(1))
    assert tr2.status == "budget" and np.all(np.isfinite(tr2.gaps)) and tr2.gaps[-1] < tr2.gaps[0]

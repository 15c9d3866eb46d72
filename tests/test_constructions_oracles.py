"""Oracles (THEORY.md §1.1, §2.5): unbiasedness and variance ≤ σ² by Monte Carlo with tolerances
of 5 standard errors; Arjevani's oracle advances progress with probability ≤ p, per worker."""

from __future__ import annotations

import numpy as np
import pytest

from constructions.base import ExactOracle, prog
from constructions.gc_chain import GCSplitChain
from constructions.nc_chain import ELL1, GAMMA_INF, NCSplitChain
from constructions.oracles import BernoulliZeroChainOracle, GaussianOracle, NoisyQuadratic, bayes_risk

Z5 = 5.0


def _check_unbiased_and_variance(G, mean, sigma2):
    """G: (m, d) samples of one worker's oracle at one point; mean: the exact gradient."""
    m = G.shape[0]
    dev = G - mean
    se = G.std(axis=0, ddof=1) / np.sqrt(m)
    assert np.all(np.abs(dev.mean(axis=0)) <= Z5 * se + 1e-15)
    sq = np.sum(dev**2, axis=1)
    v, v_se = sq.mean(), sq.std(ddof=1) / np.sqrt(m)
    assert v <= sigma2 + Z5 * v_se
    return v, v_se


def test_exact_oracle():
    c = GCSplitChain(L=1.0, K=5, n=2)
    x = np.ones((2, 5))
    assert np.array_equal(ExactOracle(c).query(x, np.random.default_rng(0)), c.grads(x))


def test_gaussian_oracle_unbiased_total_variance_sigma2():
    n, d, sigma = 20000, 6, 0.8
    c = GCSplitChain(L=2.0, K=d, n=n)
    o = GaussianOracle(c, sigma)
    X = np.broadcast_to(np.linspace(-1, 1, d), (n, d))
    G = o.query(X, np.random.default_rng(1))
    A = G[c.worker_groups == 0]  # all group-A workers share ∇f_i(x): m independent samples
    v, v_se = _check_unbiased_and_variance(A, c.grads(X)[0], sigma**2)
    assert abs(v - sigma**2) <= Z5 * v_se  # exactly σ², not less
    with pytest.raises(ValueError, match="sigma"):
        GaussianOracle(c, -1.0)


def _nc_point(K, k, lam, big=1.5):
    """A point whose first k coordinates (of x/λ) exceed 1, so ∇_{k+1} ≠ 0 and prog_{1/4} = k."""
    z = np.zeros(K)
    z[:k] = big
    return lam * z


@pytest.mark.parametrize("p", [0.05, 0.3])
def test_bernoulli_oracle_unbiased_variance_and_advance_probability(p):
    m, K, lam, k = 40000, 8, 0.5, 3
    c = NCSplitChain(L=3.0, lam=lam, K=K, n=m, split=False)  # homogeneous: m i.i.d. queries per call
    o = BernoulliZeroChainOracle(c, p)
    X = np.broadcast_to(_nc_point(K, k, lam), (m, K))
    G = o.query(X, np.random.default_rng(2))
    g0 = c.grads(X)[0]
    assert g0[k] != 0 and np.all(g0[k + 1:] == 0)
    v, v_se = _check_unbiased_and_variance(G, g0, o.sigma**2)
    assert abs(v - o.variance(X)[0]) <= Z5 * v_se  # the closed-form variance is the true one
    assert o.variance(X)[0] <= o.sigma**2 * (1 + 1e-12)
    assert o.sigma == pytest.approx(GAMMA_INF * c.L * lam / ELL1 * np.sqrt((1 - p) / p))
    # Progress of what the worker learns: k+1 only when its coin says so, never beyond.
    adv = np.array([prog(g) for g in G]) > k
    assert np.all(np.array([prog(g) for g in G]) <= k + 1)
    rate, se = adv.mean(), np.sqrt(p * (1 - p) / m)
    assert rate <= p + Z5 * se and abs(rate - p) <= Z5 * se
    # Independent coins per worker: pairs of workers both advance with probability p².
    both = (adv[0::2] & adv[1::2]).mean()
    assert abs(both - p * p) <= Z5 * np.sqrt(p * p * (1 - p * p) / (m // 2))


def test_bernoulli_oracle_frontier_is_prog_quarter_and_split_chain():
    K, lam = 10, 2.0
    c = NCSplitChain(L=1.0, lam=lam, K=K, n=4)
    o = BernoulliZeroChainOracle(c, 0.5)
    X = np.zeros((4, K))
    X[1, :4] = lam * np.array([1.0, 0.3, 0.26, 0.2])  # prog_{1/4}(x/λ) = 3
    assert list(o.frontier(X)) == [0, 3, 0, 0]
    G = o.query(X, np.random.default_rng(3))
    exact = c.grads(X)
    # Coordinates up to prog_{1/4} are exact; only the group's next coordinate may be noised.
    assert np.array_equal(G[1, :3], exact[1, :3])
    assert np.all((G == exact) | (G == 0) | np.isclose(G, 2 * exact))


def test_bernoulli_for_sigma():
    c = NCSplitChain(L=2.0, lam=0.1, K=6, n=2)
    for sigma in (1e-3, 0.01, 10.0):
        o = BernoulliZeroChainOracle.for_sigma(c, sigma)
        assert o.sigma <= sigma * (1 + 1e-12) and 0 < o.p <= 1
    assert BernoulliZeroChainOracle.for_sigma(c, 0.0).p == 1.0
    with pytest.raises(ValueError, match="p must"):
        BernoulliZeroChainOracle(c, 0.0)


def test_noisy_quadratic_bayes_risk_is_attained_by_posterior_mean():
    """The σ²-term certificate of the convex noise instances: Monte Carlo of the posterior mean."""
    h, dx, sigma, N, m = 0.7, 2.0, 1.3, 25, 200000
    rng = np.random.default_rng(4)
    theta = rng.normal(0.0, np.sqrt(dx), size=m)
    # N noisy gradients at x = 0 for each θ: y = −g/h = θ + (σ/h)ξ; sufficient statistic the mean.
    ybar = theta + (sigma / h) * rng.standard_normal(m) / np.sqrt(N)
    post = (N * h * h / sigma**2) * ybar / (1 / dx + N * h * h / sigma**2)
    loss = 0.5 * h * (post - theta) ** 2
    risk, se = loss.mean(), loss.std(ddof=1) / np.sqrt(m)
    assert abs(risk - bayes_risk(h, dx, sigma, N)) <= Z5 * se
    naive = 0.5 * h * (ybar - theta) ** 2  # another estimator cannot beat the Bayes risk
    assert naive.mean() >= bayes_risk(h, dx, sigma, N) - Z5 * naive.std(ddof=1) / np.sqrt(m)
    q = NoisyQuadratic(h=h, n=3, theta=(np.sqrt(dx),))
    G = GaussianOracle(q, sigma).query(np.zeros((3, 1)), rng)
    assert G.shape == (3, 1) and float(q.gap(q.x_star)) == 0.0

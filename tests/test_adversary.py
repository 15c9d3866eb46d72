"""The lower bound's adversary (THEORY.md §3.1): rand-s and the Bernoulli sparsifier.

Monte Carlo tolerances are 5 standard errors of the estimated quantity (the SE is estimated from
the same draws), so a correct compressor fails with probability < 1e-6 per assertion while a
wrong scaling (a missing d/s, a lost square) is off by many SEs at these sample sizes.
"""

from __future__ import annotations

import numpy as np
import pytest

from constructions.compressors import BernoulliSparsifier, RandS

Z = 5.0


def _draws(C, x, trials, seed=0, n=1):
    rng = np.random.default_rng(seed)
    V = np.broadcast_to(x, (n, x.size)).copy()
    return np.stack([C(V, rng)[0] for _ in range(trials)])


@pytest.mark.parametrize("d,s", [(40, 10), (64, 1), (30, 29)])
def test_scaled_rand_s_unbiased_with_omega_d_over_s_minus_1(d, s):
    rng = np.random.default_rng(d)
    x = rng.standard_normal(d)
    C = RandS(s=s, scaled=True)
    trials = 20000
    out = _draws(C, x, trials)
    # bias: every coordinate within Z SEs
    mean, se = out.mean(0), out.std(0, ddof=1) / np.sqrt(trials)
    assert np.all(np.abs(mean - x) <= Z * se + 1e-12)
    # variance ratio equals ω = d/s − 1 (exact for rand-s, not just ≤)
    err = np.sum((out - x) ** 2, axis=1) / np.sum(x**2)
    est, se_r = err.mean(), err.std(ddof=1) / np.sqrt(trials)
    assert C.omega(d) == pytest.approx(d / s - 1)
    assert abs(est - (d / s - 1)) <= Z * se_r + 1e-12


@pytest.mark.parametrize("d,s", [(40, 10), (50, 3)])
def test_unscaled_rand_s_contractive_with_delta_s_over_d(d, s):
    x = np.random.default_rng(3).standard_normal(d)
    C = RandS(s=s, scaled=False)
    trials = 20000
    err = np.sum((_draws(C, x, trials) - x) ** 2, axis=1) / np.sum(x**2)
    est, se = err.mean(), err.std(ddof=1) / np.sqrt(trials)
    assert C.delta(d) == pytest.approx(s / d)
    assert abs(est - (1 - s / d)) <= Z * se


@pytest.mark.parametrize("p,scaled", [(0.25, True), (0.1, False)])
def test_bernoulli_constants(p, scaled):
    d = 30
    x = np.random.default_rng(4).standard_normal(d)
    C = BernoulliSparsifier(p=p, scaled=scaled)
    trials = 20000
    out = _draws(C, x, trials)
    err = np.sum((out - x) ** 2, axis=1) / np.sum(x**2)
    target = 1 / p - 1 if scaled else 1 - p
    assert abs(err.mean() - target) <= Z * err.std(ddof=1) / np.sqrt(trials)
    if scaled:
        mean, se = out.mean(0), out.std(0, ddof=1) / np.sqrt(trials)
        assert np.all(np.abs(mean - x) <= Z * se)


def test_one_support_per_round_shared_by_all_workers():
    n, d, s = 6, 50, 5
    C = RandS(s=s, scaled=True, shared=True)
    rng = np.random.default_rng(5)
    V = np.random.default_rng(6).standard_normal((n, d))
    for _ in range(50):
        M = C(V, rng)
        supports = [frozenset(np.flatnonzero(M[i])) for i in range(n)]
        assert len(set(supports)) == 1 and len(supports[0]) == s
    # independent supports differ across workers (almost surely, at these sizes)
    Ci = RandS(s=s, scaled=True, shared=False)
    M = Ci(V, rng)
    assert len({frozenset(np.flatnonzero(M[i])) for i in range(n)}) > 1
    # and Bernoulli shares its mask too
    B = BernoulliSparsifier(p=0.3, shared=True)
    M = B(V, rng)
    assert (M[0] != 0).tolist() == (M[n - 1] != 0).tolist()


def test_frontier_crossing_probability_shared_vs_independent():
    """THEORY.md §3.1: a given coordinate gets through with probability s/d with a shared support,
    but with n/2 independent senders some copy gets through w.p. 1 − (1 − s/d)^{n/2}."""
    n, d, s, trials = 8, 40, 4, 20000
    x = np.zeros((n, d))
    x[: n // 2, 7] = 1.0  # one group holds the frontier coordinate
    rng = np.random.default_rng(7)
    for shared, target in ((True, s / d), (False, 1 - (1 - s / d) ** (n // 2))):
        C = RandS(s=s, scaled=False, shared=shared)
        hits = np.array([np.any(C(x, rng)[:, 7] != 0) for _ in range(trials)])
        se = np.sqrt(target * (1 - target) / trials)
        assert abs(hits.mean() - target) <= Z * se, (shared, hits.mean(), target)


def test_bad_parameters():
    with pytest.raises(ValueError, match="s must"):
        RandS(s=0)
    with pytest.raises(ValueError, match="s must satisfy"):
        RandS(s=11)(np.ones((2, 10)), np.random.default_rng(0))
    with pytest.raises(ValueError, match="p must"):
        BernoulliSparsifier(p=1.5)

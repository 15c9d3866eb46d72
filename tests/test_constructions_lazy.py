"""The lazy (dimension-free) simulation against the dense reference on small d (issue 3 item 5).

Two-sample tests use α = 10⁻³ (a correct implementation fails one of them with probability about
10⁻³ per test); a negative control checks that the same tests do reject a wrong nominal dimension.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from algorithms.cgd import CompressedGD
from constructions.base import ExactOracle
from constructions.compressors import RandS
from constructions.gc_chain import GCSplitChain
from constructions.lazy import LazyProblem, LazyRandS, nominal_dimension, window_support
from constructions.nc_chain import NCSplitChain
from lowerbounds.measure import run

ALPHA = 1e-3
Z5 = 5.0


def hypergeom_window_pmf(W: int, d: int, s: int) -> np.ndarray:
    """P(|S ∩ [W]| = m) = C(W, m)·[s]_m·[d−s]_{W−m}/[d]_W (falling factorials; exact for small W)."""
    from math import comb

    def falling(a, k):
        out = 1.0
        for j in range(k):
            out *= (a - j)
        return out

    return np.array([comb(W, m) * falling(s, m) * falling(d - s, W - m) / falling(d, W)
                     for m in range(W + 1)])


@pytest.mark.parametrize("W,d,s", [(10, 40, 5), (10, 10, 3), (7, 2 * 10**9, 10**9)])
def test_window_count_is_hypergeometric_and_positions_uniform(W, d, s):
    rng = np.random.default_rng(W + s)
    m_draws = 50000 if d < 10**9 else 5000  # the d ≥ 10⁹ path is the O(W) sequential sampler
    S = [window_support(W, d, s, rng) for _ in range(m_draws)]
    counts = np.array([len(x) for x in S])
    incl = np.zeros(W)
    for x in S:
        incl[x] += 1
    # Inclusion frequency of every window coordinate is s/d (5 SE of a Bernoulli mean).
    p = s / d
    assert np.all(np.abs(incl / m_draws - p) <= Z5 * np.sqrt(p * (1 - p) / m_draws) + 1e-12)
    if d == W:
        assert np.all(counts == s)
        return
    pmf = hypergeom_window_pmf(W, d, s)
    keep = pmf * m_draws >= 5  # pool the sparse tail into one bin for the chi-square test
    obs = np.append(np.bincount(counts, minlength=W + 1)[keep], np.sum(~keep[counts]))
    exp = np.append(pmf[keep], pmf[~keep].sum()) * m_draws
    if exp[-1] == 0:
        obs, exp = obs[:-1], exp[:-1]
    assert stats.chisquare(obs, exp * obs.sum() / exp.sum()).pvalue > ALPHA


def test_lazy_rand_s_declares_nominal_constants_and_is_unbiased():
    D, s, W = 64, 8, 10
    C = LazyRandS(s, D)
    assert C.omega(W) == pytest.approx(D / s - 1) and C.omega(D) == pytest.approx(D / s - 1)
    assert LazyRandS(s, D, scaled=False).delta(W) == pytest.approx(s / D)
    assert C.unbiased and not C.contractive and C.shared
    x = np.random.default_rng(1).normal(size=W)
    m = 40000
    V = np.broadcast_to(x, (m, W))
    out = LazyRandS(s, D, shared=False)(V, np.random.default_rng(2))  # m independent compressions
    se = out.std(axis=0, ddof=1) / np.sqrt(m)
    assert np.all(np.abs(out.mean(axis=0) - x) <= Z5 * se)
    err = np.sum((out - x) ** 2, axis=1)
    assert abs(err.mean() - (D / s - 1) * x @ x) <= Z5 * err.std(ddof=1) / np.sqrt(m)
    assert np.all(C.bits(out[:3]) == s * 64) and np.all(LazyRandS(s, D, shared=False).bits(out[:2]) == s * 70)


def test_validation():
    with pytest.raises(ValueError, match="s must"):
        LazyRandS(0, 10)
    with pytest.raises(ValueError, match="window"):
        LazyRandS(2, 10)(np.ones((2, 11)), np.random.default_rng(0))
    with pytest.raises(ValueError, match="nominal_d"):
        LazyProblem(GCSplitChain(L=1.0, K=5, d=8), 4)
    with pytest.raises(ValueError, match="1 \\+ omega"):
        nominal_dimension(4, 2.5)
    assert nominal_dimension(4, 3.0) == 12


def _pair(kind: str, K: int, D: int, n: int):
    if kind == "gc":
        return GCSplitChain(L=1.0, K=K, d=D, n=n), LazyProblem(GCSplitChain(L=1.0, K=K, d=K + 2, n=n), D)
    return (NCSplitChain(L=1.0, lam=1.0, K=K, d=D, n=n),
            LazyProblem(NCSplitChain(L=1.0, lam=1.0, K=K, d=K + 2, n=n), D))


@pytest.mark.parametrize("kind,shared", [("gc", True), ("gc", False), ("nc", True)])
def test_coupled_lazy_run_is_the_dense_run(kind, shared):
    """coupled=True consumes the generator as RandS does: the same run, value for value."""
    K, D, s, n = 10, 40, 5, 4
    dense, lazy = _pair(kind, K, D, n)
    eps = float(dense.floor(K // 2)) if kind == "gc" else 1e-30
    ra = np.random.default_rng(11)
    rb = np.random.default_rng(11)
    A = CompressedGD(RandS(s, shared=shared), 1.0, D)
    B = CompressedGD(LazyRandS(s, D, shared=shared, coupled=True), 1.0, lazy.d)
    sa, sb = A.init(n, D, np.zeros(D), ra), B.init(n, lazy.d, np.zeros(lazy.d), rb)
    oa, ob = ExactOracle(dense), ExactOracle(lazy)
    for _ in range(150):
        sa, _ = A.step(sa, oa, ra)
        sb, _ = B.step(sb, ob, rb)
        assert np.array_equal(sa.x[: lazy.d], sb.x) and not np.any(sa.x[lazy.d:])
    assert dense.prog(sa.x) == lazy.prog(sb.x) > 0
    ta = run(dense, CompressedGD(RandS(s, shared=shared), 1.0, D), oa, n=n, d=D, budget=300,
             eps_min=eps, rng=np.random.default_rng(12))
    tb = run(lazy, B, ob, n=n, d=lazy.d, budget=300, eps_min=eps, rng=np.random.default_rng(12))
    assert np.array_equal(ta.progs, tb.progs) and ta.rounds == tb.rounds
    assert np.allclose(ta.gaps, tb.gaps, rtol=1e-12, atol=0)


def _sample(problem, comp, d, seeds, budget, eps, n):
    progs_T, rounds = [], []
    for seed in seeds:
        tr = run(problem, CompressedGD(comp, 1.0, d), ExactOracle(problem), n=n, d=d, budget=budget,
                 eps_min=eps, rng=np.random.default_rng(seed))
        rounds.append(tr.rounds_to_eps(eps) if tr.rounds_to_eps(eps) is not None else budget + 1)
        T = min(40, tr.rounds)
        progs_T.append(tr.progs[T])
    return np.array(progs_T), np.array(rounds)


def test_lazy_matches_dense_in_distribution_over_seeds():
    """Progress after 40 rounds and rounds-to-ε, dense RandS (d = 32) vs LazyRandS (window 8+2)."""
    K, D, s, n, m = 8, 32, 4, 2, 150
    dense, lazy = _pair("gc", K, D, n)
    eps = float(dense.floor(K // 2))
    pa, ra = _sample(dense, RandS(s), D, range(0, m), 400, eps, n)
    pb, rb = _sample(lazy, LazyRandS(s, D), lazy.d, range(10**6, 10**6 + m), 400, eps, n)
    assert stats.ks_2samp(ra, rb).pvalue > ALPHA
    assert stats.ks_2samp(pa, pb).pvalue > ALPHA
    assert abs(ra.mean() - rb.mean()) <= Z5 * np.sqrt(ra.var(ddof=1) / m + rb.var(ddof=1) / m)
    # Negative control: a lazy run claiming nominal d = 64 (crossing probability halved) is rejected.
    pc, rc = _sample(lazy, LazyRandS(s, 2 * D), lazy.d, range(2 * 10**6, 2 * 10**6 + m), 400, eps, n)
    assert stats.ks_2samp(ra, rc).pvalue < ALPHA


def test_lazy_benchmark_reports_a_d_independent_cost_per_round():
    """`lowerbounds bench --only lazy` (quick): same chain length at d = 10³ and 10⁹, both runs make
    progress at the same rate, and the cost ratio is O(1). The benchmark's verdict checks the issue's
    ≤ 2; here the bound is looser (a shared machine's jitter must not fail the suite) but still far
    below what any O(d) step would give (a ratio ≥ 10³)."""
    from lowerbounds.benchmarks import lazy as bench_lazy

    res = bench_lazy.benchmark(quick=True)
    assert res["lazy.chain_length"] >= 20 and res["lazy.verdict"] in ("ok", "SLOW")
    assert 0 < res["lazy.ratio_d1e9_over_d1e3"] < 4
    K = res["lazy.chain_length"]
    for key in ("lazy.mean_progress_after_K_rounds_d1e3", "lazy.mean_progress_after_K_rounds_d1e9"):
        assert 0 < res[key] <= K  # progress ≤ Bin(K, ¼) in mean K/4, never the whole chain's work skipped

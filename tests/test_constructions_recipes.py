"""Parameter recipes (THEORY.md §3.3, §2.5): validation, the instances' constants, the certificates
on actual runs, and the metamorphic checks (permuting groups, rescaling (L, Δ_x, ε))."""

from __future__ import annotations

import dataclasses
import math
import tracemalloc

import numpy as np
import pytest
from scipy import special, stats

from algorithms.cgd import CompressedGD
from constructions.base import ExactOracle
from constructions.compressors import RandS
from constructions.nc_chain import ELL1, F_K, NCSplitChain
from constructions.recipes import gc_recipe, nc_recipe, sc_recipe
from constructions.sc_chain import SCSplitChain
from lowerbounds.measure import run

Z5 = 5.0
ALPHA = 1e-3


# ----------------------------------------------------------------------------- validation
@pytest.mark.parametrize("call,match", [
    (lambda: sc_recipe(1.0, 2.0, 1.0, 4, 1e-6, omega=3), "mu must satisfy 0 < mu < L"),
    (lambda: sc_recipe(1.0, 1.0, 1.0, 4, 1e-6, omega=3), "mu must satisfy"),
    (lambda: sc_recipe(1.0, 0.1, 1.0, 4, 10.0, omega=3), "eps must be < the initial gap"),
    (lambda: gc_recipe(1.0, 1.0, 4, 0.6, omega=3), "eps must be < LΔ_x/2"),
    (lambda: nc_recipe(1.0, 1.0, 4, 0.1, omega=3), "eps must be ≤"),
    (lambda: gc_recipe(1.0, 1.0, 1, 1e-3, omega=3), "n must be an integer ≥ 2"),
    (lambda: nc_recipe(1.0, 1.0, 1, 1e-6, omega=3), "n must be"),
    (lambda: gc_recipe(1.0, 1.0, 4, 1e-3, s=3, d=10), "s must divide d"),
    (lambda: gc_recipe(1.0, 1.0, 4, 1e-3, omega=2.5), "1\\+omega an integer"),
    (lambda: gc_recipe(1.0, 1.0, 4, 1e-3, delta=0.3), "1/delta an integer"),
    (lambda: gc_recipe(1.0, 1.0, 4, 1e-3), "exactly one of omega"),
    (lambda: gc_recipe(1.0, 1.0, 4, 1e-3, omega=1, delta=0.5), "exactly one of omega"),
    (lambda: gc_recipe(-1.0, 1.0, 4, 1e-3, omega=1), "L must be"),
    (lambda: gc_recipe(1.0, 1.0, 4, 1e-3, omega=1, sigma=-1), "sigma must be"),
    (lambda: gc_recipe(1.0, 1.0, 4, 1e-4, omega=1, s=2), "s must be ≥"),
])
def test_invalid_classes_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("call,match", [
    (lambda: gc_recipe(1.0, 1.0, 4, 1e-3, omega=3, d=7), "d must be a positive integer multiple of 1\\+omega = 4"),
    (lambda: gc_recipe(1.0, 1.0, 4, 1e-3, omega=3, d=8), "d must be ≥ 12, the smallest multiple"),
    (lambda: gc_recipe(1.0, 1.0, 4, 1e-3, delta=0.5, d=9), "multiple of 1/delta = 2"),
    (lambda: gc_recipe(1.0, 1.0, 4, 1e-3, d=400), "exactly one of omega .* \\(got d = 400 alone\\)"),
    (lambda: nc_recipe(1.0, 1.0, 4, 2e-5, omega=1, d=4), "d must be ≥ 6"),
    (lambda: sc_recipe(1.0, 0.01, 1.0, 4, 1e-6, omega=3, d=4 * 10**8), "d must be ≤ 2,500,000 for the SC recipe, which is dense-only"),
])
def test_invalid_dimension_raises_one_line_naming_d(call, match):
    with pytest.raises(ValueError, match=match) as e:
        call()
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("recipe,kw", [(gc_recipe, dict(L=1.0, delta_x=1.0)), (nc_recipe, dict(L=1.0, Delta=1.0))])
def test_d_alone_sets_s(recipe, kw):
    eps = 1e-3 if recipe is gc_recipe else 2e-5
    r = recipe(n=4, eps=eps, omega=3, d=400, **kw)
    assert (r.d, r.s, r.instance.d) == (400, 100, 400) and r.compressor.omega(400) == 3
    c = recipe(n=4, eps=eps, delta=0.25, d=400, **kw)
    assert (c.d, c.s, c.compression) == (400, 100, "contractive") and c.p_c == 0.25
    assert r.compression_bound == recipe(n=4, eps=eps, omega=3, **kw).compression_bound  # d is inert


@pytest.mark.parametrize("make", [
    lambda: gc_recipe(1.0, 1.0, 4, 1e-3, s=250_000_000, d=10**9),
    lambda: gc_recipe(1.0, 1.0, 4, 1e-3, omega=3, d=10**9),
    lambda: nc_recipe(1.0, 1.0, 4, 2e-5, delta=0.25, d=10**9),
])
def test_recipes_at_d_1e9_allocate_nothing_d_sized_and_run_lazily(make):
    """Building the recipe, its lazy form and 30 rounds of compressed GD at d = 10⁹ allocate a few
    hundred kB (a d-vector alone would be 8 GB); the dense instance is refused with a pointer to lazy()."""
    tracemalloc.start()
    try:
        r = make()
        prob, comp = r.lazy()
        tr = run(prob, CompressedGD(comp, 1.0, prob.d), ExactOracle(prob), n=prob.n, d=prob.d, budget=30,
                 eps_min=0.0, rng=np.random.default_rng(0))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert r.d == 10**9 and prob.nominal_d == 10**9 and prob.d == r.chain_length
    assert peak < 20 * 2**20
    assert comp.omega(prob.d) == pytest.approx(10**9 / r.s - 1) if comp.unbiased else comp.delta(prob.d) == 0.25
    assert tr.rounds == 30 and np.all(np.isfinite(tr.gaps)) and np.all(np.diff(tr.progs) <= 1)
    with pytest.raises(ValueError, match="use recipe.lazy\\(\\)"):
        r.instance


# ----------------------------------------------------------------------------- instances
@pytest.mark.parametrize("kw", [dict(omega=7), dict(delta=0.25), dict(s=5, d=40)])
def test_sc_recipe_instance(kw):
    r = sc_recipe(1.0, 0.01, 2.0, 4, 1e-6, sigma=0.3, **kw)
    assert r.d == r.s * round(1 / r.p_c) and r.instance.d == r.d and r.compressor.shared
    assert np.sum(r.instance.x_star**2) == pytest.approx(2.0)
    assert r.compression == ("contractive" if "delta" in kw else "unbiased")
    assert r.compressor.scaled == (r.compression == "unbiased")
    assert 0 < r.compression_bound_formula <= r.compression_bound
    assert r.noise_bound == pytest.approx(0.3**2 / (2 * 0.01 * 4 * 1e-6) * (1 - 2e-6 / 0.02))
    assert r.rounds_lower_bound == max(r.compression_bound, r.noise_bound)


def test_gc_recipe_instance_and_floor():
    L, dx, eps, n = 2.0, 3.0, 1e-4, 5
    r = gc_recipe(L, dx, n, eps, omega=3, sigma=0.5)
    t, inst = r.extra["t"], r.instance
    assert r.chain_length == inst.K == 2 * t + 1 and inst.d == r.d >= inst.K and r.d % r.s == 0
    c = inst.c
    assert 0.5 * inst.theory_floor(t) > eps  # the certificate at progress t …
    assert 0.5 * c * 3 * L * dx / (32 * (t + 2) ** 2) <= eps  # … and t is the largest such
    assert r.compression_bound_formula == pytest.approx(t * 4 / 2) and r.compression_bound >= r.compression_bound_formula
    h = r.noise_instance.h
    assert h == pytest.approx(min(L, 4 * eps / dx)) and r.noise_bound == pytest.approx(dx * 0.25 / (16 * n * eps**2))


def test_nc_recipe_instance_constants():
    L, Delta, eps, n = 3.0, 2.0, 2e-5, 4
    r = nc_recipe(L, Delta, n, eps, delta=0.5, sigma=0.05)
    inst = r.instance
    assert inst.grad_floor_sq == pytest.approx(2 * eps)
    assert inst.delta_bound <= Delta
    assert r.compression_bound == pytest.approx(inst.K * 2 / 2)
    # f(0) − inf f ≤ Δ with the exact F_K(0) − inf F_K = √(2πe)(e(K−1) + ½) (derived in
    # tests/test_constructions_chains.py::nc_exact_gap), checked against a far point where it is
    # approached, and every worker L-smooth (finite differences).
    K, lam = inst.K, inst.lam
    exact = math.sqrt(2 * math.pi * math.e) * (math.e * (K - 1) + 0.5)
    assert exact == pytest.approx(float(F_K(np.zeros(K)) - F_K(np.full(K, 1e3))), rel=1e-6)
    assert inst.c_n * inst.value_scale * exact <= Delta
    rng = np.random.default_rng(0)
    X = lam * rng.normal(size=(n, r.d)) * 1.5
    for _ in range(50):
        v = rng.normal(size=(n, r.d))
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        h = 1e-6 * lam
        Hv = (inst.grads(X + h * v) - inst.grads(X - h * v)) / (2 * h)
        assert np.all(np.linalg.norm(Hv, axis=1) <= L)
    o = r.noise_oracle
    assert o.p == pytest.approx(min(1.0, (23 * np.sqrt(2 * eps)) ** 2 / 0.05**2))
    assert o.sigma <= 0.05 * (1 + 1e-12)
    assert r.noise_bound == pytest.approx(r.noise_instance.K / (2 * (1 - (1 - o.p) ** n)))


def test_bounds_grow_linearly_with_one_plus_omega():
    a = nc_recipe(1.0, 1.0, 4, 1e-5, omega=1)
    b = nc_recipe(1.0, 1.0, 4, 1e-5, omega=7)
    assert b.compression_bound == pytest.approx(4 * a.compression_bound)
    g1, g2 = gc_recipe(1.0, 1.0, 4, 1e-4, omega=1), gc_recipe(1.0, 1.0, 4, 1e-4, omega=3)
    assert g2.compression_bound_formula == pytest.approx(2 * g1.compression_bound_formula)


# ----------------------------------------------------------------------------- certificates on runs
def frontier_pusher(recipe, T, rng, compressor=None, stop_at=None):
    """The fastest zero-respecting strategy on the recipe's instance (THEORY.md §1.3, §3.2).

    Every round each worker queries its exact gradient at the common iterate, sends it whole through
    the shared rand-s, and the server learns every coordinate that survives; the next iterate puts
    an active value on every known coordinate (x*_j for the quadratic chains, 1.5λ for NC so that
    prog_1 counts it and the robust zero-chain reveals the next one). Nothing is ever forgotten
    or delayed, so progress grows in a round exactly when the frontier coordinate survives.
    Returns prog after t = 0..T rounds (continuing past T until progress ``stop_at`` if given).
    """
    inst, C = recipe.instance, compressor or recipe.compressor
    n, d = inst.n, inst.d
    active = np.full(d, 1.5 * inst.lam) if recipe.setting == "nc" else inst.x_star
    known = np.zeros(d, dtype=bool)
    progs = [0]
    while len(progs) <= T or (stop_at is not None and progs[-1] < stop_at):
        x = np.where(known, active, 0.0)
        M = C(inst.grads(np.broadcast_to(x, (n, d))), rng)
        known |= np.any(M != 0, axis=0)
        nz = np.flatnonzero(known)
        progs.append(int(nz[-1]) + 1 if nz.size else 0)
    return np.array(progs)


def restricted_gaps(recipe):
    """min{f(x) − f* : prog(x) ≤ k} for k = 0..K (the best a method with progress k can report)."""
    inst = recipe.instance
    if recipe.setting == "gc":
        return np.array([float(inst.gap(inst.restricted_minimiser(k))) for k in range(inst.K + 1)])
    H, xs = inst.hessian(), inst.x_star  # SC: solve the leading k×k block of ∇f = H(x − x*) = 0
    out = []
    for k in range(inst.d + 1):
        x = np.zeros(inst.d)
        if k:
            x[:k] = np.linalg.solve(H[:k, :k], (H @ xs)[:k])
        out.append(float(inst.gap(x)))
    return np.array(out)


def binomial_gof_pvalue(samples, T, p):
    """Chi-square goodness of fit of integer samples to Bin(T, p), tails pooled to ≥ 5 expected."""
    m = len(samples)
    pmf = stats.binom.pmf(np.arange(T + 1), T, p) * m
    lo, hi = np.argmax(pmf >= 5), T - np.argmax(pmf[::-1] >= 5)
    edges = np.arange(lo, hi + 1)
    obs = [np.sum(samples <= lo)] + [np.sum(samples == k) for k in edges[1:-1]] + [np.sum(samples >= hi)]
    exp = [stats.binom.cdf(lo, T, p) * m] + list(pmf[edges[1:-1]]) + [stats.binom.sf(hi - 1, T, p) * m]
    return stats.chisquare(obs, np.array(exp) * sum(obs) / sum(exp)).pvalue


CERT_CASES = [
    pytest.param(lambda: gc_recipe(1.0, 1.0, 4, 2e-4, omega=3), id="gc-unbiased"),
    pytest.param(lambda: gc_recipe(1.0, 1.0, 3, 2e-4, delta=0.25), id="gc-contractive-odd-n"),
    pytest.param(lambda: sc_recipe(1.0, 0.02, 1.0, 4, 1e-5, omega=3), id="sc-unbiased"),
    pytest.param(lambda: nc_recipe(1.0, 1.0, 4, 2e-5, omega=3), id="nc-unbiased"),
]


@pytest.mark.parametrize("make", CERT_CASES)
def test_certificate_statement_is_attained_by_the_fastest_strategy(make):
    """The certificate T_ε > (k*+1)/(2p_c) rests on (i) prog_T ≤_st Bin(T, p_c), hence P(prog_T < 2p_cT)
    ≥ ½ (Markov), and (ii) floor(k) > 2ε for every k < 2p_cT. Checked at T = ⌊bound⌋ with the fastest
    strategy, which attains (i) with equality: its prog_T is Bin(T, p_c) (two-sided chi-square,
    α = 10⁻³), so a construction leaking more than one crossing chance per round would fail. (ii) is
    tight: one more unit of progress (k* + 1) already has floor ≤ 2ε."""
    r = make()
    eps, p_c = r.problem_class["eps"], r.p_c
    T = int(np.floor(r.compression_bound))
    m = 200
    P = np.array([frontier_pusher(r, T, np.random.default_rng(seed))[T] for seed in range(m)])
    assert binomial_gof_pvalue(P, T, p_c) > ALPHA
    assert abs(P.mean() - T * p_c) <= Z5 * np.sqrt(T * p_c * (1 - p_c) / m)
    below = P < 2 * p_c * T
    exact = stats.binom.cdf(np.ceil(2 * p_c * T) - 1, T, p_c)
    assert below.mean() >= 0.5 and abs(below.mean() - exact) <= Z5 * np.sqrt(exact * (1 - exact) / m) + 1 / m
    # (ii): the floors behind the certificate, at every progress the Markov event allows …
    inst = r.instance
    floor = inst.tail_floor if r.setting == "sc" else inst.floor
    ks = np.arange(int(np.ceil(2 * p_c * T)))
    k_star = ks[-1]
    if r.setting == "nc":  # ‖∇f‖² > (c_nLλ/ℓ₁)² = 2ε strictly while prog_1 < K (CDHS, THEORY.md §2.4)
        assert np.allclose(floor(ks), 2 * eps, rtol=1e-12) and k_star == inst.K - 1
        assert float(floor(k_star + 1)) == 0.0
    else:
        assert np.all(floor(ks) > 2 * eps)
        assert float(floor(k_star + 1)) <= 2 * eps  # … and T is the largest T the argument allows
    # the certificate's conclusion: E[accuracy] ≥ P(prog_T ≤ k*)·floor(k*) > ε for every algorithm
    assert np.mean(np.where(P <= k_star, float(floor(k_star)), 0.0)) > eps


@pytest.mark.parametrize("make", CERT_CASES[:1] + CERT_CASES[2:3])
def test_certificate_is_nearly_attained_in_rounds_to_eps(make):
    """The fastest strategy reports the best point of its progress (the restricted minimiser), so it
    is ε-accurate from the first round its progress reaches k_ε = min{k : restricted gap ≤ ε}: a
    NegBin hitting time with mean k_ε/p_c (checked two-sided, 5 SE). Against the bound (k*+1)/(2p_c)
    the ratio is 2k_ε/(k*+1): Markov's factor 2 times k_ε/(k*+1) (the floor between 2ε and ε)."""
    r = make()
    eps, p_c = r.problem_class["eps"], r.p_c
    gaps = restricted_gaps(r)
    k_eps = int(np.argmax(gaps <= eps))
    floor = r.instance.tail_floor if r.setting == "sc" else r.instance.floor
    assert np.all(gaps >= np.asarray(floor(np.arange(len(gaps))), dtype=float) * (1 - 1e-9))
    m = 120
    hits = []
    for seed in range(m):
        progs = frontier_pusher(r, 0, np.random.default_rng(10**4 + seed), stop_at=k_eps)
        hits.append(int(np.argmax(progs >= k_eps)))
    hits = np.array(hits)
    assert abs(hits.mean() - k_eps / p_c) <= Z5 * np.sqrt(k_eps * (1 - p_c) / p_c**2 / m)
    T = int(np.floor(r.compression_bound))
    k_star = int(np.ceil(2 * p_c * T)) - 1
    assert T == r.compression_bound == (k_star + 1) / (2 * p_c)  # the exact-floor bound of the recipe
    # On these instances k_ε/(k*+1) is 4/3 (GC) and 12/11 (SC): the lower bound is attained within
    # a factor 2k_ε/(k*+1) < 3.
    assert 2 * k_eps / (k_star + 1) < 3 and hits.mean() > r.compression_bound


def test_a_doubled_crossing_probability_is_detected():
    """Negative control: rand-2s on the same d (p_c doubled) breaks prog_T ≤_st Bin(T, p_c); the same
    test rejects it, and its progress exceeds the certificate's 2p_cT far more often than ½ allows
    for Bin(T, p_c)'s Chernoff tail."""
    r = gc_recipe(1.0, 1.0, 4, 2e-4, omega=3)
    T, p_c, m = int(np.floor(r.compression_bound)), r.p_c, 200
    fast = RandS(2 * r.s, scaled=True, shared=True)
    P = np.array([frontier_pusher(r, T, np.random.default_rng(seed), compressor=fast)[T] for seed in range(m)])
    assert binomial_gof_pvalue(P, T, p_c) < ALPHA
    assert P.mean() - T * p_c > Z5 * np.sqrt(T * p_c * (1 - p_c) / m)
    assert binomial_gof_pvalue(P, T, 2 * p_c) > ALPHA  # it is the doubled Binomial


def test_lazy_recipe_is_coupled_to_the_dense_one():
    r = gc_recipe(1.0, 1.0, 4, 2e-4, omega=3)
    prob, comp = r.lazy()
    assert prob.d == r.chain_length and prob.nominal_d == r.d and comp.omega(prob.d) == pytest.approx(3)
    comp = dataclasses.replace(comp, coupled=True)
    T = 120
    a = run(r.instance, CompressedGD(r.compressor, 1.0, r.d), r.oracle(), n=4, d=r.d, budget=T,
            eps_min=0.0, rng=np.random.default_rng(3))
    b = run(prob, CompressedGD(comp, 1.0, prob.d), ExactOracle(prob), n=4, d=prob.d, budget=T,
            eps_min=0.0, rng=np.random.default_rng(3))
    assert np.array_equal(a.progs, b.progs) and np.allclose(a.gaps, b.gaps, rtol=1e-12, atol=0)


# ----------------------------------------------------------------------------- metamorphic
def _rounds(problem, comp, L, eps, seed, budget):
    tr = run(problem, CompressedGD(comp, L, problem.d), ExactOracle(problem), n=problem.n, d=problem.d,
             budget=budget, eps_min=eps, rng=np.random.default_rng(seed))
    return tr.rounds_to_eps(eps)


def _links_matrix(d, links, diag_terms):
    """Σ over links i of (e_i − e_{i+1})(e_i − e_{i+1})ᵀ plus Σ w·e_j e_jᵀ (1-based indices)."""
    A = np.zeros((d, d))
    for i in links:
        v = np.zeros(d)
        v[i - 1], v[i] = 1.0, -1.0
        A += np.outer(v, v)
    for j, w in diag_terms:
        A[j - 1, j - 1] += w
    return A


def reference_group_function(inst, group):
    """f^(group) written from THEORY.md alone, independently of the instance's code: a function of x.

    SC (§2.2): ((L−μ)/4)[xᵀA^(j)x − 2s·x₁·1{A}] + (μ/2)‖x‖², odd links → B, x₁², even links → A,
    boundary c·x_d² (c = 2/(√κ'+1)) to the group whose link does not hold x_d; zero worker (μ/2)‖x‖².
    GC (§2.3): (L/4)[xᵀA^(j)x − 2σ·x₁·1{A}] with the boundary x_K²; zero worker 0.
    NC (§2.4): (Lλ²/ℓ₁)·H^(j)(x/λ), H^A = −Ψ(1)Φ(z₁) + Σ_{i even} Γ_i, H^B = Σ_{i odd} Γ_i.
    """
    if isinstance(inst, NCSplitChain):
        def Psi(t):
            return 0.0 if t <= 0.5 else math.exp(1 - 1 / (2 * t - 1) ** 2)

        def Phi(t):
            return math.sqrt(math.e) * math.sqrt(2 * math.pi) * special.ndtr(t)

        def Gamma(z, i):  # 1-based link i between z_i and z_{i+1}
            return Psi(-z[i - 1]) * Phi(-z[i]) - Psi(z[i - 1]) * Phi(z[i])

        K, lam = inst.K, inst.lam

        def f(x):
            if group == 2:
                return 0.0
            z = np.asarray(x)[:K] / lam
            links = range(2, K, 2) if group == 0 else range(1, K, 2)
            H = sum(Gamma(z, i) for i in links) - (Psi(1.0) * Phi(z[0]) if group == 0 else 0.0)
            return inst.L * lam**2 / ELL1 * H
        return f
    d = inst.d
    if isinstance(inst, SCSplitChain):
        L, mu, n = inst.L, inst.mu, inst.n
        kappa_eff = 1 + (2 * (n // 2) / n) * (L / mu - 1)
        q = (math.sqrt(kappa_eff) - 1) / (math.sqrt(kappa_eff) + 1)
        s = math.sqrt(inst.delta_x / sum(q ** (2 * i) for i in range(1, d + 1)))
        last, bw, a, ridge = d, 2 / (math.sqrt(kappa_eff) + 1), (L - mu) / 4, mu
    else:
        last, bw, a, ridge = inst.K, 1.0, inst.L / 4, 0.0
        s = math.sqrt(inst.delta_x * 6 * (inst.K + 1) / (inst.K * (2 * inst.K + 1)))
    boundary_to = 0 if (last - 1) % 2 == 1 else 1  # link last−1 odd → B holds x_last → boundary to A
    if group == 0:
        A = _links_matrix(d, range(2, last, 2), [(1, 1.0)] + ([(last, bw)] if boundary_to == 0 else []))
    elif group == 1:
        A = _links_matrix(d, range(1, last, 2), [(last, bw)] if boundary_to == 1 else [])
    else:
        A = np.zeros((d, d))
    lin = 2 * s if group == 0 else 0.0
    return lambda x: a * (x @ A @ x - lin * x[0]) + 0.5 * ridge * x @ x


SPLIT_CASES = [
    pytest.param(lambda: sc_recipe(1.0, 0.02, 1.0, 5, 1e-5, omega=3).instance, id="sc-odd-n"),
    pytest.param(lambda: sc_recipe(2.0, 0.1, 1.5, 4, 1e-4, delta=0.5).instance, id="sc"),
    pytest.param(lambda: gc_recipe(1.0, 1.0, 5, 2e-3, omega=1).instance, id="gc-odd-n"),
    pytest.param(lambda: gc_recipe(3.0, 2.0, 4, 2e-3, omega=1).instance, id="gc"),
    pytest.param(lambda: nc_recipe(1.0, 1.0, 5, 5e-5, omega=1).instance, id="nc-odd-n"),
    pytest.param(lambda: nc_recipe(2.0, 1.0, 4, 5e-5, omega=1).instance, id="nc"),
]


def _points(inst, rng, m):
    """Random points that make every link active: |x_i/λ| ranges over (0, 3) for NC (Ψ is 0 below ½)."""
    scale = 1.5 * inst.lam if isinstance(inst, NCSplitChain) else 1.0
    return [scale * rng.normal(size=(inst.n, inst.d)) for _ in range(m)]


@pytest.mark.parametrize("make", SPLIT_CASES)
def test_each_worker_holds_its_declared_groups_function(make):
    """Row i of grads is ∇f^(group i) from the THEORY.md formula (central differences of the reference
    value; exact up to rounding for the quadratics, O(h²·ℓ₁-ish) for NC), for the default and a
    permuted assignment: a worker given another group's links fails."""
    inst = make()
    rng = np.random.default_rng(0)
    refs = {g: reference_group_function(inst, g) for g in (0, 1, 2)}
    perm = rng.permutation(inst.n)
    for ch in (inst, inst.with_groups(tuple(inst.worker_groups[perm]))):
        for X in _points(ch, rng, 3):
            G = ch.grads(X)
            scale = 1.0 if not isinstance(ch, NCSplitChain) else ch.grad_scale
            h = 1e-6 * (ch.lam if isinstance(ch, NCSplitChain) else 1.0)
            for i, g in enumerate(ch.worker_groups):
                E = np.eye(ch.d) * h
                fd = np.array([(refs[g](X[i] + E[j]) - refs[g](X[i] - E[j])) / (2 * h) for j in range(ch.d)])
                assert np.max(np.abs(G[i] - fd)) <= 1e-6 * max(scale, np.max(np.abs(fd))), (i, g)
            # and no worker's gradient is another group's (the check above can tell them apart)
            others = [g for g in (0, 1) if g != ch.worker_groups[0]]
            fd_other = np.array([(refs[others[0]](X[0] + E[j]) - refs[others[0]](X[0] - E[j])) / (2 * h)
                                 for j in range(ch.d)])
            assert np.max(np.abs(G[0] - fd_other)) > 1e-3 * max(scale, np.max(np.abs(fd_other)))


@pytest.mark.parametrize("make", SPLIT_CASES)
def test_permuted_instance_gradients_are_the_permuted_rows(make):
    """Worker i of the permuted instance holds the group of worker π(i) of the original, so at any
    points X its gradient row is the original's row π(i) evaluated at X placed on worker π(i)."""
    inst = make()
    rng = np.random.default_rng(1)
    for _ in range(3):
        perm = rng.permutation(inst.n)
        other = inst.with_groups(tuple(inst.worker_groups[perm]))
        assert np.array_equal(other.worker_groups, inst.worker_groups[perm])
        for X in _points(inst, rng, 2):
            Y = np.empty_like(X)
            Y[perm] = X
            assert np.array_equal(other.grads(X), inst.grads(Y)[perm])
        x = _points(inst, rng, 1)[0][0]
        assert np.allclose(other.grads(x).mean(axis=0), inst.grads(x).mean(axis=0), rtol=1e-13, atol=1e-16)
    with pytest.raises(ValueError, match="groups must be a permutation"):
        inst.with_groups((0,) * inst.n)


@pytest.mark.parametrize("setting", ["gc", "nc"])
def test_permuting_groups_leaves_rounds_unchanged(setting):
    """The issue's metamorphic statement. Alone it has little power (the average of compressed GD with
    a shared compressor is symmetric in the workers); the two tests above pin each worker's function."""
    if setting == "gc":
        r = gc_recipe(1.0, 1.0, 5, 1e-3, omega=1)
        eps, budget = 1e-3, 4000
    else:
        r = nc_recipe(1.0, 1.0, 5, 5e-5, omega=1)
        eps, budget = 5e-5, 4000
    perms = [(1, 0, 1, 2, 0), (2, 1, 1, 0, 0)]
    for seed in (0, 1):
        base = _rounds(r.instance, r.compressor, 1.0, eps, seed, budget)
        assert base is not None and base > 1
        for p in perms:
            inst = r.instance.with_groups(p)
            assert _rounds(inst, r.compressor, 1.0, eps, seed, budget) == base


def test_rescaling_L_deltax_eps_leaves_rounds_unchanged():
    """GC: (L, Δ_x, ε) → (2L, 4Δ_x, 8ε) keeps LΔ_x/ε, hence t, K, s, d; powers of two keep every
    floating-point operation exact, so the trajectories are exact rescalings. SC likewise with μ → 2μ."""
    a = gc_recipe(1.0, 1.0, 4, 1e-3, omega=3)
    b = gc_recipe(2.0, 4.0, 4, 8e-3, omega=3)
    assert (a.chain_length, a.s, a.d) == (b.chain_length, b.s, b.d)
    assert a.compression_bound == b.compression_bound
    for seed in (0, 1, 2):
        ra = _rounds(a.instance, a.compressor, 1.0, 1e-3, seed, 5000)
        rb = _rounds(b.instance, b.compressor, 2.0, 8e-3, seed, 5000)
        assert ra is not None and ra == rb
    c = sc_recipe(1.0, 0.05, 1.0, 4, 1e-5, omega=3)
    e = sc_recipe(2.0, 0.1, 4.0, 4, 8e-5, omega=3)
    assert (c.d, c.s) == (e.d, e.s) and c.compression_bound == pytest.approx(e.compression_bound)
    for seed in (0, 1):
        assert _rounds(c.instance, c.compressor, 1.0, 1e-5, seed, 5000) == \
            _rounds(e.instance, e.compressor, 2.0, 8e-5, seed, 5000)

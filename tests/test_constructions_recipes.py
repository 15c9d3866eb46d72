"""Parameter recipes (THEORY.md §3.3, §2.5): validation, the instances' constants, the certificates
on actual runs, and the metamorphic checks (permuting groups, rescaling (L, Δ_x, ε))."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy import optimize

from algorithms.cgd import CompressedGD
from constructions.base import ExactOracle
from constructions.compressors import RandS
from constructions.nc_chain import ELL1, F_K, grad_F_K
from constructions.recipes import gc_recipe, nc_recipe, sc_recipe
from lowerbounds.measure import run

Z5 = 5.0


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
    # f(0) − inf f ≤ Δ, with inf f found numerically, and every worker L-smooth (finite differences).
    K, lam = inst.K, inst.lam
    best = optimize.minimize(lambda z: float(F_K(z)), np.full(K, 2.0), jac=grad_F_K, method="L-BFGS-B").fun
    assert inst.c_n * inst.value_scale * (float(F_K(np.zeros(K))) - best) <= Delta
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
def _gaps_at(recipe, T, seeds, lazy=True):
    prob, comp = recipe.lazy() if lazy else (recipe.instance, recipe.compressor)
    L = recipe.problem_class["L"]
    gaps, progs = [], []
    for seed in seeds:
        tr = run(prob, CompressedGD(comp, L, prob.d), ExactOracle(prob), n=prob.n, d=prob.d,
                 budget=T, eps_min=0.0, rng=np.random.default_rng(seed))
        gaps.append(tr.gaps[T])
        progs.append(tr.progs[T])
    return np.array(gaps), np.array(progs)


@pytest.mark.parametrize("make", [
    lambda: gc_recipe(1.0, 1.0, 4, 2e-4, omega=3),
    lambda: gc_recipe(1.0, 1.0, 3, 2e-4, delta=0.25),
    lambda: sc_recipe(1.0, 0.02, 1.0, 4, 1e-5, omega=3),
    lambda: nc_recipe(1.0, 1.0, 4, 2e-5, omega=3),
])
def test_certificate_holds_on_compressed_gd(make):
    """After T = ⌊bound⌋ rounds: P(prog_T ≥ 2p_cT) ≤ ½ (Markov, 5 SE) and E[accuracy] > ε."""
    r = make()
    T = int(np.floor(r.compression_bound))
    m = 60
    gaps, progs = _gaps_at(r, T, range(m))
    frac = np.mean(progs >= 2 * r.p_c * T)
    assert frac <= 0.5 + Z5 * 0.5 / np.sqrt(m)
    eps = r.problem_class["eps"]
    assert gaps.mean() > eps and np.mean(gaps > 2 * eps) >= 0.5 - Z5 * 0.5 / np.sqrt(m)


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


@pytest.mark.parametrize("setting", ["gc", "nc"])
def test_permuting_groups_leaves_rounds_unchanged(setting):
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
            inst = dataclasses.replace(r.instance, groups=p)
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

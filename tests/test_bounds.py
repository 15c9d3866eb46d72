"""The bound registry and its operations (issue 6): exponents, gaps, sanity reductions, values."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from lowerbounds import bound_ops as ops
from lowerbounds import bounds as B

SETTINGS = ("nc", "gc", "sc")
COMPRESSORS = ("unbiased", "contractive")
CRAY = {"unbiased": "1+omega", "contractive": "1/delta"}


# ------------------------------------------------------------------------------ registry
def test_registry_has_every_entry_the_issue_lists():
    for s in SETTINGS:
        for c in COMPRESSORS:
            for what in ("lower", "neolithic", "explicit"):
                b = B.get(f"{s}-{c}-{what}")
                assert b.setting == s and b.compressor == c
            assert B.get(f"{s}-{c}-lower").kind == "Omega"
            assert B.get(f"{s}-{c}-neolithic").kind == "O~"
            assert not B.get(f"{s}-{c}-lower").independent_compressors
    algs = {b.algorithm for b in B.REGISTRY.values()}
    assert {"qsgd", "mem-sgd", "ef21", "diana", "adiana", "canita", "marina", "doublesqueeze"} <= algs
    # QSGD/DIANA-type rates rest on independence; error-feedback rates do not.
    assert B.get("sc-unbiased-qsgd").independent_compressors
    assert B.get("sc-unbiased-diana").independent_compressors
    assert not B.get("nc-contractive-ef21").independent_compressors
    with pytest.raises(ValueError, match="unknown bound"):
        B.get("sc-unbiased-nope")


def test_no_registered_expression_uses_order():
    for b in list(B.REGISTRY.values()) + list(B.CLASSICAL.values()):
        assert not b.with_logs().has(sp.Order), b.name


def test_terms_add_up_and_hidden_logs_sit_on_the_compression_term():
    for b in B.REGISTRY.values():
        assert sp.expand(sp.Add(*b.terms) - b.expr) == 0
        for label, logs in zip(b.term_labels, b.term_logs):
            if logs:
                assert label == "compression", b.name
    # The neolithic SC meaning the report relies on: noise term untouched, ln(16κ) on the other.
    for c in COMPRESSORS:
        b = B.get(f"sc-{c}-neolithic")
        F = B.compression_factor(c)
        want = (B.sigma**2 / (B.mu * B.n * B.eps)
                + F * sp.sqrt(B.L / B.mu) * sp.log(B.mu * B.Delta_x / B.eps) * sp.log(16 * B.L / B.mu))
        assert sp.simplify(b.with_logs() - want) == 0


def test_old_style_log_factors_apply_to_compression_terms_only():
    b = B.Bound(name="x", expr=B.sigma**2 / B.eps + (1 + B.omega) / B.eps, kind="O~", setting="sc",
                compressor="unbiased", source="test", confidence="[D]", log_factors=(sp.log(B.d),))
    assert sp.simplify(b.with_logs() - (B.sigma**2 / B.eps + (1 + B.omega) * sp.log(B.d) / B.eps)) == 0


# ------------------------------------------------------------------------------ values
P = dict(L=2.0, mu=0.01, Delta=3.0, Delta_x=5.0, sigma=0.7, n=8, eps=1e-4, omega=3.0, delta=0.25,
         d=1000, zeta=0.3, G=1.5, eps_c=1e-3)


# A handful of points: odd n (c_n = ⌊n/2⌋/n = 1/3 at n = 3), σ = 0, ω = 0, δ = 1, extreme κ and ε.
POINTS = [
    P,
    {**P, "n": 3, "sigma": 0.0, "omega": 0.0, "delta": 1.0},
    {**P, "L": 50.0, "mu": 1e-4, "eps": 1e-9, "n": 101, "omega": 99.0, "delta": 0.01},
    {**P, "L": 0.3, "mu": 0.29, "Delta": 1e3, "Delta_x": 1e-2, "sigma": 12.0, "n": 2, "eps": 1e-7},
]


@pytest.mark.parametrize("pt", POINTS, ids=[f"point{i}" for i in range(len(POINTS))])
def test_values_agree_with_hand_computation(pt):
    L, mu, Dl, Dx, s, n, e, w, dl = (pt[k] for k in ("L", "mu", "Delta", "Delta_x", "sigma", "n", "eps",
                                                      "omega", "delta"))
    k = L / mu
    cn = (n // 2) / n  # THEORY.md §3.3 NC row: c_n = n_g/n with n_g = ⌊n/2⌋
    hand = {
        "sc-unbiased-lower": s**2 / (mu * n * e) + (1 + w) * math.sqrt(k) * math.log(mu * Dx / e),
        "sc-contractive-lower": s**2 / (mu * n * e) + math.sqrt(k) * math.log(mu * Dx / e) / dl,
        "gc-unbiased-lower": Dx * s**2 / (n * e**2) + (1 + w) * math.sqrt(L * Dx / e),
        "gc-contractive-lower": Dx * s**2 / (n * e**2) + math.sqrt(L * Dx / e) / dl,
        "nc-unbiased-lower": L * Dl * s**2 / (n * e**2) + (1 + w) * L * Dl / e,
        "nc-contractive-lower": L * Dl * s**2 / (n * e**2) + L * Dl / (dl * e),
        "sc-unbiased-explicit": (math.sqrt(k) - 1) * (1 + w) / 8 * math.log(mu * Dx / (4 * e)),
        "sc-contractive-explicit": (math.sqrt(k) - 1) / (8 * dl) * math.log(mu * Dx / (4 * e)),
        "gc-unbiased-explicit": (math.sqrt(3 * L * Dx / (64 * e)) - 2) * (1 + w) / 2,
        "gc-contractive-explicit": (math.sqrt(3 * L * Dx / (64 * e)) - 2) / (2 * dl),
        "nc-unbiased-explicit": (1 + w) * cn * L * Dl / (48 * 152 * e),
        "nc-contractive-explicit": cn * L * Dl / (dl * 48 * 152 * e),
        # the contractive GC/NC NEOLITHIC rows carry the talk's explicit ln(1/ε) (here ln(LΔ_x/ε), ln(LΔ/ε))
        "gc-contractive-neolithic": Dx * s**2 / (n * e**2) + math.sqrt(L * Dx / e) / dl * math.log(L * Dx / e),
        "nc-contractive-neolithic": L * Dl * s**2 / (n * e**2) + L * Dl / (dl * e) * math.log(L * Dl / e),
        # a baseline (THEORY.md §7 QSGD row, ζ* = 0.3)
        "sc-unbiased-qsgd": ((1 + w / n) * k * math.log(mu * Dx / e) + (1 + w) * s**2 / (mu * n * e)
                             + w * pt["zeta"]**2 / (mu * n * e)),
    }
    for name, want in hand.items():
        got = B.get(name).evaluate(pt)
        assert abs(got - want) <= 1e-12 * abs(want), (name, got, want)
    up = B.get("sc-unbiased-neolithic").evaluate(pt, with_logs=True)
    want = s**2 / (mu * n * e) + (1 + w) * math.sqrt(k) * math.log(mu * Dx / e) * math.log(16 * k)
    assert abs(up - want) <= 1e-12 * want
    up = B.get("gc-unbiased-neolithic").evaluate(pt, with_logs=True)
    want = Dx * s**2 / (n * e**2) + (1 + w) * math.sqrt(L * Dx / e) * math.log(16 * pt["d"])
    assert abs(up - want) <= 1e-12 * want


def test_lambdify_grid_agrees_with_subs_reference():
    rng = np.random.default_rng(0)
    for name in ("sc-unbiased-neolithic", "gc-contractive-neolithic", "nc-unbiased-explicit",
                 "sc-unbiased-adiana"):
        b = B.get(name)
        eps = 10 ** rng.uniform(-8, -4, size=5)
        omega = rng.uniform(0, 10, size=5)
        grid = b.evaluate_grid({**P, "eps": eps, "omega": omega}, with_logs=True)
        assert grid.shape == (5,)
        for i in range(5):
            ref = b.evaluate_subs({**P, "eps": eps[i], "omega": omega[i]}, with_logs=True)
            assert abs(grid[i] - ref) <= 1e-12 * abs(ref), name


# ------------------------------------------------------------------------------ exponents
@pytest.mark.parametrize("setting", SETTINGS)
@pytest.mark.parametrize("comp", COMPRESSORS)
def test_lower_bound_exponents_along_canonical_rays(setting, comp):
    b = B.get(f"{setting}-{comp}-lower")
    ex = ops.exponents(b)
    assert ex[CRAY[comp]] == 1
    assert ex["sigma^2/n"] == 1
    noise, compression = b.terms
    if setting == "sc":
        assert ex["kappa"] == sp.Rational(1, 2)
    e_noise, e_comp = ops.term_exponents(b.terms, "1/eps")
    assert ops.term_exponents([noise], "sigma^2/n") == [1]
    assert e_comp == {"sc": 0, "gc": sp.Rational(1, 2), "nc": 1}[setting]
    assert e_noise == {"sc": 1, "gc": 2, "nc": 2}[setting]


def test_per_term_exponent_matches_whole_expression_limit():
    for name in ("sc-unbiased-lower", "gc-contractive-neolithic", "sc-unbiased-qsgd", "nc-unbiased-explicit"):
        b = B.get(name)
        for r in ops.applicable_rays(b.expr):
            assert ops.exponents(b, [r.name])[r.name] == ops.ray_exponent(b.expr, r), (name, r.name)


def test_symbolic_exponent_agrees_with_numeric_local_slope():
    # Pitfall (h) of THEORY.md §9: check the limit against a number. A factor ln(c·t) adds
    # 1/ln(c·t) to the local slope, so at t = 1e40 the slope is within (#logs)/ln(1e40) of the limit.
    b = B.get("sc-unbiased-lower")
    vals = {**P, "L": P["mu"] * 1e40}
    assert ops.local_slope(b, vals, "kappa") == pytest.approx(0.5, abs=1 / math.log(1e40))
    vals = {**P, "eps": 1e-40}
    assert ops.local_slope(b, vals, "1/eps") == pytest.approx(1.0, abs=1 / math.log(1e40))
    vals = {**P, "omega": 1e40}
    assert ops.local_slope(b, vals, "1+omega") == pytest.approx(1.0, abs=1e-12)


def test_exponents_at_a_point_drop_vanishing_terms():
    b = B.get("sc-unbiased-lower")
    assert ops.exponents(b, ["1/eps"], base={**P, "sigma": 0.0})["1/eps"] == 0  # only the log left
    assert ops.exponents(b, ["1/eps"], base=P)["1/eps"] == 1


# ------------------------------------------------------------------------------ gaps
@pytest.mark.parametrize("setting", SETTINGS)
@pytest.mark.parametrize("comp", COMPRESSORS)
def test_neolithic_matches_lower_bound_up_to_declared_logs(setting, comp):
    up, lo = B.get(f"{setting}-{comp}-neolithic"), B.get(f"{setting}-{comp}-lower")
    v = ops.gap(up, lo)
    assert v.matched and v.text.startswith("matched up to the declared logarithmic factors")
    assert not v.across_independence_line
    assert all(x == 0 for x in v.exponents.values())
    # Numerically: U/L ≤ product of the declared logs (explicit ones in U included), at points
    # pushed far along each ray.
    declared = sp.Mul(*up.log_factors, *[f for t in up.terms for f in ops._log_part(t)])
    for r in ops.applicable_rays(up.with_logs(), lo.expr):
        for tv in (1e3, 1e6):
            vals = dict(P)
            for sym, e in r.subs:
                vals[str(sym) if str(sym) != "epsilon" else "eps"] = float(
                    e.subs(ops.t, tv).subs({B.SYMBOLS[k]: v for k, v in P.items()}))
            ratio = up.evaluate(vals, with_logs=True) / lo.evaluate(vals)
            bound = float(declared.subs({B.SYMBOLS[k]: v for k, v in vals.items()}))
            assert ratio <= max(1.0, bound) * (1 + 1e-12), (up.name, r.name, tv)


def test_qsgd_in_sc_is_not_matched_and_grows_like_sqrt_kappa():
    v = ops.gap(B.get("sc-unbiased-qsgd"), B.get("sc-unbiased-lower"))
    assert not v.matched
    assert v.text.startswith("not matched: gap grows like κ^(1/2)")
    assert v.exponents["kappa"] == sp.Rational(1, 2)
    assert v.across_independence_line and "independent" in v.text


def test_cgd_gap_same_side_of_the_line():
    v = ops.gap(B.get("sc-unbiased-cgd"), B.get("sc-unbiased-lower"))
    assert not v.matched and not v.across_independence_line
    assert v.exponents["kappa"] == sp.Rational(1, 2)
    assert "independent" not in v.text


def test_independent_rate_below_shared_lower_bound_is_flagged_not_called_a_gap():
    # MARINA's 1 + ω/√n beats (1+ω) when ω and n grow together: legal only because it assumes
    # independent compressors, which the verdict must say.
    v = ops.gap(B.get("nc-unbiased-marina"), B.get("nc-unbiased-lower"))
    assert not v.matched and v.below and v.across_independence_line
    assert v.exponents["1+omega=n"] == sp.Rational(-1, 2)
    assert "shared/independent-randomness line" in v.text


def test_gap_factor_is_ratio_of_values():
    up, lo = B.get("gc-unbiased-neolithic"), B.get("gc-unbiased-lower")
    assert ops.gap_factor(up, lo, P) == pytest.approx(up.evaluate(P, with_logs=True) / lo.evaluate(P), rel=1e-14)


# ------------------------------------------------------------------------------ reductions, terms
def test_sanity_reductions_hold():
    red = ops.sanity_reductions()
    assert len(red) >= 10
    for r in red:
        assert r.holds, r.description
    # and the check can fail: the SC bound at n = 2 is not the centralized one
    b = B.get("sc-unbiased-lower")
    assert sp.simplify(b.expr.subs({B.n: 2, B.omega: 0}) - B.CLASSICAL["sc-stochastic"].expr) != 0


def test_dominant_term_and_regime_map():
    b = B.get("sc-unbiased-lower")
    noisy = ops.dominant_term(b, {**P, "sigma": 1e3})
    quiet = ops.dominant_term(b, {**P, "sigma": 0.0})
    assert noisy.label == "noise" and quiet.label == "compression" and quiet.share == 1.0
    xs, ys = np.geomspace(1e-3, 1e3, 7), np.geomspace(1e-2, 1e3, 5)
    idx = ops.regime_map(b, "sigma", "omega", xs, ys, P)
    assert idx.shape == (5, 7)
    for i, y in enumerate(ys):
        for j, x in enumerate(xs):
            assert idx[i, j] == ops.dominant_term(b, {**P, "sigma": x, "omega": y}).index


def test_text_and_latex_render():
    b = B.get("sc-unbiased-lower")
    assert b.text() == "σ²/(ε·μ·n) + √(κ)·(1 + ω)·ln(Δ_x·μ/ε)"
    assert r"\sqrt{\kappa}" in b.latex()
    assert "ln(16·κ)" in B.get("sc-unbiased-neolithic").text(with_logs=True)


def test_benchmark_quick_fast_path_agrees_and_is_faster():
    from lowerbounds.benchmarks.bounds import benchmark

    r = benchmark(quick=True)
    assert r["bounds.max_relative_difference"] <= 1e-12
    # the issue expects > 1000×; measured ~10⁵× on this machine, so 1000 leaves room for CPU noise
    assert r["bounds.speedup_lambdify_over_subs"] > 1000


def test_sweep_loglog_slope_is_the_prediction_the_report_uses():
    # σ = 0 leaves (1+ω)√κ·ln(μΔ_x/ε): along κ (L moves, μ fixed) the slope is exactly 1/2,
    # along 1+ω exactly 1; NEOLITHIC's hidden ln(16κ) bends the κ slope by a computable amount.
    kappas = np.geomspace(10, 1e4, 7)
    pts = [{**P, "sigma": 0.0, "L": kk * P["mu"]} for kk in kappas]
    lo = B.get("sc-unbiased-lower")
    np.testing.assert_allclose(lo.evaluate_many(pts), [lo.evaluate(p) for p in pts], rtol=1e-13)
    assert lo.loglog_slope(kappas, pts) == pytest.approx(0.5, abs=1e-12)
    up = B.get("sc-unbiased-neolithic")
    want = np.polyfit(np.log(kappas), np.log(np.sqrt(kappas) * np.log(16 * kappas)), 1)[0]
    assert up.loglog_slope(kappas, pts, with_logs=True) == pytest.approx(want, rel=1e-10)
    assert want > 0.6  # the log is visible on this range, so the two predictions differ
    ws = np.array([0.0, 1.0, 3.0, 7.0, 15.0])
    pts = [{**P, "sigma": 0.0, "omega": w} for w in ws]
    assert lo.loglog_slope(1 + ws, pts) == pytest.approx(1.0, abs=1e-12)

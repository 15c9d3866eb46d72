"""Experiments as data (TOML profiles), the σ² instances' certificates, `lowerbounds verify` with
inline sweeps, spec files and plug-in algorithms (issue 7 items 1-3; issue 5 item 4)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from constructions.oracles import bayes_risk
from constructions.recipes import gc_recipe, nc_recipe
from lowerbounds import verification as V
from lowerbounds.cli import main
from lowerbounds.noise_experiments import NoiseRunSpec, build_instance, execute as noise_execute


# ----------------------------------------------------------------------------- profiles as data
def test_shipped_profiles_load_and_cover_every_setting():
    assert {"default", "full", "smoke"} <= set(V.profile_names())
    for name in ("default", "full"):
        p = V.load_profile(name)
        assert p.settings == ("sc", "gc", "nc")
        kinds = {(s.setting, s.compressor) for s in p.sweeps}
        for setting in ("sc", "gc", "nc"):  # compression rows of both classes and the σ² row
            assert {(setting, "unbiased"), (setting, "contractive"), (setting, "none")} <= kinds, (name, setting)
        assert V.run_specs(p)  # every spec validates


@pytest.mark.parametrize("text,needle", [
    ('name="x"\n', "defines no [[sweep]]"),
    ('[[sweep]]\nname="a"\ncompressor="unbiased"\nparam="omega"\ngrid=[0,1]\nfoo=1\n', "unknown key"),
    ('[[sweep]]\nname="a"\ncompressor="unbiased"\nparam="omega"\n', "missing key 'grid'"),
    ('[[sweep]]\nname="a"\ncompressor="unbiased"\nparam="delta"\ngrid=[1,0.5]\n', "does not go with"),
    ('[[sweep]]\nname="a"\ncompressor="none"\nparam="omega"\ngrid=[0,1]\n', "sigma2"),
    ('[[sweep]]\nname="a"\ncompressor="unbiased"\nparam="omega"\ngrid=[1,1]\n', "two distinct"),
    ('[[sweep]]\nname="a"\nsetting="gc"\ncompressor="unbiased"\nparam="kappa"\ngrid=[10,100]\n', "needs setting 'sc'"),
    ('[[sweep]]\nname="a"\ncompressor="unbiased"\nparam="omega"\ngrid=[0,1]\nalgorithms=["nope"]\n', "algorithm must be"),
    ('name = \n', "not valid TOML"),
])
def test_bad_profile_files_raise_one_sentence(tmp_path, text, needle):
    f = tmp_path / "p.toml"
    f.write_text(text)
    with pytest.raises(ValueError, match=None) as e:
        V.load_profile(str(f))
    assert needle in str(e.value) and "\n" not in str(e.value).strip()


def test_overrides_replace_grids_and_fixed_values_and_filter_settings():
    p = V.make_profile("default", omegas=[0, 3], kappa=30, settings=["sc", "gc"], seeds=2)
    assert p.settings == ("sc", "gc")
    for s in p.sweeps:
        if s.param == "omega":
            assert s.grid == (0.0, 3.0)
        elif s.setting == "sc" and s.compressor != "none" and s.param != "kappa":
            assert s.kappa == 30.0
    assert all(p.seeds_of(s) == 2 for s in p.sweeps)
    with pytest.raises(ValueError, match="setting"):
        V.make_profile("default", settings=["xc"])


# ----------------------------------------------------------------------------- σ² certificates
@pytest.mark.parametrize("sigma2,n", [(0.4, 4), (6.4, 2)])
def test_sc_noise_bound_is_the_bayes_risk_crossing(sigma2, n):
    """T_bound is where the Gaussian family's Bayes risk (σ² spread over D coordinates, D copies of
    the 1-D problem) crosses ε: below it no estimator from n·T samples is ε-accurate on average."""
    eps = 1e-3
    inst = build_instance(NoiseRunSpec("sc", "psgd", sigma2, eps, n=n))
    T = inst.bound
    D = inst.d
    risk = lambda T_: D * bayes_risk(1.0, 1.0 / D, math.sqrt(sigma2 / D), int(n * T_))  # noqa: E731
    assert risk(math.floor(T)) > eps >= risk(math.ceil(T) + 1)


def test_gc_and_nc_noise_bounds_come_from_the_recipes():
    g = build_instance(NoiseRunSpec("gc", "psgd", 0.1, 1e-3, n=4))
    assert g.bound == pytest.approx(gc_recipe(1.0, 1.0, 4, 1e-3, omega=0, sigma=math.sqrt(0.1)).noise_bound)
    assert g.curvature == pytest.approx(4e-3)
    c = build_instance(NoiseRunSpec("nc", "psgd", 100.0, 5e-5, n=4))
    r = nc_recipe(1.0, 1.0, 4, 5e-5, omega=0, sigma=10.0)
    assert c.bound == pytest.approx(r.noise_bound) and c.coin_p == pytest.approx(r.coin_p)
    assert c.coin_p < 1  # σ large enough that the oracle is really stochastic


def test_noise_runs_respect_their_bound_and_scale_with_sigma2():
    med = []
    for s2 in (0.4, 1.6):
        rows = [noise_execute(NoiseRunSpec("sc", "psgd", s2, 1e-3, seed_index=i))[0] for i in range(3)]
        rounds = [r["rounds"] for r in rows]
        assert all(r != "" and r >= rows[0]["explicit_lower_bound"] for r in rounds)
        med.append(float(np.median(rounds)))
    assert med[1] / med[0] == pytest.approx(4.0, rel=0.15)  # σ² ×4 → rounds ×4


# ----------------------------------------------------------------------------- lowerbounds verify
def test_verify_inline_json_has_points_slopes_and_verdicts(capsys):
    rc = main(["verify", "--setting", "sc", "--compressor", "unbiased", "--algorithm", "neolithic",
               "--sweep", "omega=0,1,3", "--kappa", "30", "--eps", "1e-4", "--seeds", "2", "--json",
               "--quiet", "--jobs", "1"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    (sw,) = out["sweeps"]
    assert [p["x"] for p in sw["points"]] == [1.0, 2.0, 4.0]
    for p in sw["points"]:
        assert p["ci"][0] <= p["median"] <= p["ci"][1] and p["median"] >= p["explicit_bound"] > 0
    assert 0.8 <= sw["fitted_slope"]["slope"] <= 1.25
    assert sw["predicted_slope_lower"] == pytest.approx(1.0, abs=1e-6)
    assert {v["check"] for v in sw["verdicts"]} >= {"lower bound respected", "tight"}


def test_verify_runs_a_spec_file(tmp_path, capsys):
    f = tmp_path / "mine.toml"
    f.write_text(textwrap.dedent("""
        name = "mine"
        seeds = 2
        [[sweep]]
        name = "gc-omega"
        setting = "gc"
        compressor = "unbiased"
        param = "omega"
        grid = [0, 1, 3]
        eps = 3e-3
        algorithms = ["cgd"]
    """))
    assert main(["verify", "--spec", str(f), "--quiet", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "gc-omega — cgd" in out and "lower bound respected: PASS" in out


PLUGIN = textwrap.dedent('''
    import numpy as np
    from dataclasses import dataclass
    from algorithms.comm import RoundAlgorithm

    @dataclass
    class S:
        x: np.ndarray
        n: int
        audit: object = None

    class MyGD(RoundAlgorithm):
        """compressed GD written by a user"""
        def __init__(self, compressor, L, d):
            self.C, self.gamma = compressor, 1.0 / (L * (1.0 + compressor.omega(d)))
        def _init(self, n, d, x0, rng):
            return S(x0.copy(), n)
        def _round(self, s, oracle, rng, tally):
            G = self.query(s, oracle, np.broadcast_to(s.x, (s.n, s.x.size)), rng, tally)
            M = self.uplink(s, self.C, G, rng, tally)
            s.x = s.x - self.gamma * self.broadcast(s, M.mean(axis=0), tally)
            return s
        def output(self, s):
            return s.x

    class Cheater(MyGD):
        """writes the next coordinate without having learned it"""
        def _round(self, s, oracle, rng, tally):
            s = super()._round(s, oracle, rng, tally)
            k = int(np.flatnonzero(s.x)[-1]) + 1 if np.any(s.x) else 0
            if k < s.x.size:
                s.x = s.x.copy(); s.x[k] = 1e-3
            return s

    class NoCompressor(MyGD):
        def __init__(self, L, d):
            self.gamma = 1.0 / L
''')


def _verify(tmp_path, cls, *extra):
    f = tmp_path / "mine.py"
    f.write_text(PLUGIN)
    return subprocess.run([sys.executable, "-m", "lowerbounds.cli", "verify", "--setting", "sc",
                           "--compressor", "unbiased", "--algorithm", f"{f}:{cls}", "--sweep", "omega=0,3",
                           "--kappa", "10", "--eps", "1e-3", "--seeds", "2", "--quiet", "--jobs", "1", *extra],
                          capture_output=True, text=True, timeout=300)


def test_verify_runs_a_users_plugin_with_the_audit_on(tmp_path):
    p = _verify(tmp_path, "MyGD", "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert not out["failures"]
    assert out["overall"]["lower bound respected"] == "pass"


def test_verify_reports_a_plugin_that_breaks_zero_respecting(tmp_path):
    p = _verify(tmp_path, "Cheater", "--json")
    out = json.loads(p.stdout)
    assert out["failures"] and all("support" in f or "zero-respecting" in f or "learned" in f
                                   for f in out["failures"]), out["failures"]


def test_verify_refuses_a_plugin_that_ignores_the_compressor(tmp_path):
    p = _verify(tmp_path, "NoCompressor")
    assert p.returncode == 2 and "compressor" in p.stderr and len(p.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("argv,needle", [
    (["--setting", "sc"], "missing --compressor"),
    (["--setting", "sc", "--compressor", "unbiased", "--algorithm", "cgd", "--sweep", "omega"], "PARAM=V1"),
    (["--setting", "sc", "--compressor", "unbiased", "--algorithm", "cgd", "--sweep", "omega=-1,1"], "omega"),
    (["--setting", "sc", "--compressor", "unbiased", "--algorithm", "cgd", "--sweep", "omega=0,1", "--eps", "0"], "eps"),
    (["--setting", "sc", "--compressor", "unbiased", "--algorithm", "x.py:Nope", "--sweep", "omega=0,1"], "x.py"),
    (["--spec", "/nonexistent.toml"], "profile"),
])
def test_verify_bad_input_one_line_exit_2(argv, needle):
    p = subprocess.run([sys.executable, "-m", "lowerbounds.cli", "verify", *argv], capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 2 and needle in p.stderr, p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr


def test_a_profile_with_a_learning_table_puts_the_experiment_in_the_report(tmp_path):
    """[learning] in a profile (the full profile has it) adds issue 9's section to the report."""
    f = tmp_path / "p.toml"
    f.write_text(textwrap.dedent("""
        name = "p"
        seeds = 2
        [learning]
        subset = 600
        rounds = 40
        seeds = 2
        checkpoints = 4
        [[sweep]]
        name = "gc-omega"
        setting = "gc"
        compressor = "unbiased"
        param = "omega"
        grid = [0, 1]
        eps = 3e-3
        algorithms = ["cgd"]
    """))
    out = tmp_path / "rep"
    assert main(["report", "--profile", str(f), "--output", str(out), "--store", str(tmp_path / "s"),
                 "--quiet", "--jobs", "1"]) in (0, 1)
    page = (out / "README.md").read_text()
    assert "## Learning on real data" in page and (out / "learning.csv").is_file()
    assert json.loads((out / "summary.json").read_text())["overall"]["learning"] in ("pass", "fail", "inconclusive")
    bad = tmp_path / "bad.toml"
    bad.write_text(f.read_text().replace("checkpoints = 4", "nope = 1"))
    with pytest.raises(ValueError, match="learning"):
        V.learning_config(V.load_profile(str(bad)))


def test_the_plugin_docstring_example_runs_through_verify(tmp_path):
    """The example users copy from algorithms/plugin.py must work as written."""
    import algorithms.plugin as plugin

    doc = plugin.__doc__
    start = doc.index("    import types")
    code = textwrap.dedent(doc[start:doc.index("then run it")])
    f = tmp_path / "my_method.py"
    f.write_text(code)
    p = subprocess.run([sys.executable, "-m", "lowerbounds.cli", "verify", "--algorithm", f"{f}:MyMethod",
                        "--setting", "sc", "--compressor", "unbiased", "--sweep", "omega=0,3", "--kappa", "10",
                        "--eps", "1e-3", "--seeds", "2", "--quiet", "--jobs", "1", "--json"],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert not json.loads(p.stdout)["failures"]


def test_a_plain_plugin_class_without_hyperparameters_is_audited_from_outside(tmp_path):
    f = tmp_path / "plain.py"
    f.write_text(PLUGIN.replace("from algorithms.comm import RoundAlgorithm", "from algorithms.comm import RoundAlgorithm\n"
                                "from algorithms.base import RoundStats")
                 + textwrap.dedent('''
        class Plain:
            """only init/step/output"""
            def __init__(self, compressor, L, d):
                self.C, self.gamma = compressor, 1.0 / (L * (1.0 + compressor.omega(d)))
            def init(self, n, d, x0, rng):
                return {"x": x0.copy(), "n": n}
            def step(self, s, oracle, rng):
                G = oracle.query(np.broadcast_to(s["x"], (s["n"], s["x"].size)), rng)
                M = self.C(G, rng)
                s["x"] = s["x"] - self.gamma * M.mean(axis=0)
                return s, RoundStats(int(self.C.bits(M).sum()), 64 * s["x"].size, s["n"])
            def output(self, s):
                return s["x"]
    '''))
    p = subprocess.run([sys.executable, "-m", "lowerbounds.cli", "verify", "--algorithm", f"{f}:Plain",
                        "--setting", "sc", "--compressor", "unbiased", "--sweep", "omega=0,3", "--kappa", "10",
                        "--eps", "1e-3", "--seeds", "2", "--quiet", "--jobs", "1", "--json"],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr + p.stdout
    assert not json.loads(p.stdout)["failures"]


def test_verify_exits_1_when_runs_fail(tmp_path):
    p = _verify(tmp_path, "Cheater")
    assert p.returncode == 1 and "failed" in p.stdout


def test_sc_eps_sweep_reads_each_fraction_of_the_gap():
    sw = V.SweepDef("sc-eps", "unbiased", "eps", (1e-2, 1e-4), kappa=30.0, algorithms=("cgd",))
    res = V.analyse(V.Profile("p", (sw,), seeds=1),
                    [r for s in V.run_specs(V.Profile("p", (sw,), seeds=1)) for r in V.execute(s)])
    (r,) = res
    assert [p.x for p in r.points] == [100.0, 10000.0] and r.points[0].median < r.points[1].median


def test_a_too_wide_slope_interval_is_inconclusive_not_pass():
    from lowerbounds import stats

    pts = tuple(V.PointStat(value=v, x=v, rounds=(10.0,), median=10.0, ci=(10.0, 10.0), explicit_bound=1.0,
                            ratio=10.0, frac_at_or_above=1.0, censored=0, eps=1e-3, upper_with_logs=10.0)
                for v in (1.0, 2.0))
    a = V.AlgorithmSweep("s", "neolithic", pts, stats.SlopeFit(1.0, 0.4, 1.3), 1.0, 1.0)
    sw = V.SweepDef("s", "unbiased", "omega", (0.0, 1.0))
    got = {v.check: v.status for v in V.verdicts(a, sw)}
    assert got["slope not below Ω"] == "inconclusive" and got["tight"] == "inconclusive"
    narrow = V.verdicts(a.__class__(**{**a.__dict__, "slope": stats.SlopeFit(1.0, 0.95, 1.05)}), sw)
    assert {v.check: v.status for v in narrow}["tight"] == "pass"


@pytest.mark.parametrize("argv,needle", [
    (["verify", "--setting", "sc", "--compressor", "unbiased", "--algorithm", "cgd", "--sweep", "omega=0,1e308"], "≤"),
    (["verify", "--setting", "nc", "--compressor", "unbiased", "--algorithm", "neolithic", "--sweep", "omega=0,1"], "mu"),
    (["verify", "--setting", "nc", "--compressor", "unbiased", "--algorithm", "psgd", "--sweep", "omega=0,1"], "compressor"),
    (["verify", "--setting", "sc", "--compressor", "unbiased", "--algorithm", "cgd", "--sweep", "omega=0,1",
      "--store", "/proc/lowerbounds-no"], "store"),
    (["report", "--profile", "/tmp/lowerbounds-no-such-profile.toml"], "does not exist"),
    (["bounds", "--setting", "nc", "--eps", "1e-300"], "floating-point"),
])
def test_more_bad_input_one_line_exit_2(argv, needle):
    p = subprocess.run([sys.executable, "-m", "lowerbounds.cli", *argv], capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and needle in p.stderr, p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr

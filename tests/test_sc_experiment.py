"""The SC experiment end to end: lower bound respected, reproducibility, the report and its errors."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lowerbounds import report_files, verification
from lowerbounds.cli import main
from lowerbounds.sc_experiment import COLUMNS, SCRunSpec, build_instance, execute

SEEDS = 5


@pytest.mark.parametrize("algorithm", ["cgd", "neolithic"])
@pytest.mark.parametrize("compressor,kappa,par", [("unbiased", 100.0, 3.0), ("unbiased", 1000.0, 1.0),
                                                  ("unbiased", 30.0, 7.0), ("contractive", 100.0, 0.25)])
def test_no_algorithm_beats_the_explicit_lower_bound(algorithm, compressor, kappa, par):
    kw = {"omega": par} if compressor == "unbiased" else {"delta": par}
    eps = (1e-2, 1e-4, 1e-6)
    per_eps = {e: [] for e in eps}
    for seed in range(SEEDS):
        rows = execute(SCRunSpec(compressor=compressor, algorithm=algorithm, kappa=kappa, eps=eps,
                                 seed_index=seed, **kw))
        for r in rows:
            assert not r["censored"], r
            per_eps[r["eps_rel"]].append((r["rounds"], r["explicit_lower_bound"], r))
    for e, vals in per_eps.items():
        above = [t >= lb for t, lb, _ in vals]
        assert np.mean(above) >= 0.5, (e, vals[0][1], [t for t, _, _ in vals])
        # hand computation of the explicit bound (THEORY.md §3.3) at this row
        _, lb, r = vals[0]
        p = 1 / (1 + par) if compressor == "unbiased" else par
        hand = (math.sqrt(r["kappa"]) - 1) / (8 * p) * math.log(r["mu"] * r["delta_x"] / (4 * r["eps"]))
        assert lb == pytest.approx(max(0.0, hand), rel=1e-12, abs=1e-12)


def test_accuracy_needs_the_progress_the_floor_says():
    """At the round where f − f* ≤ ε first holds, prog(x̂) is at least the progress the proof's floor
    requires: a run cannot be ε-accurate with less progress (THEORY.md §2.2)."""
    for alg in ("cgd", "neolithic"):
        spec = SCRunSpec(compressor="unbiased", algorithm=alg, kappa=100.0, omega=3.0, eps=(1e-3, 1e-6))
        inst = build_instance(spec)
        for r in execute(spec):
            assert r["prog_at_hit"] >= inst.chain.progress_needed(r["eps"]) >= 1


def test_dimension_leaves_the_tail_margin():
    for kappa, omega in ((10.0, 0.0), (1000.0, 7.0)):
        spec = SCRunSpec(compressor="unbiased", algorithm="cgd", kappa=kappa, omega=omega, eps=(1e-6,))
        inst = build_instance(spec)
        ch = inst.chain
        eps = 1e-6 * ch.initial_gap
        k = ch.progress_needed(eps)
        assert inst.d % round(1 + omega) == 0
        assert inst.d - k >= math.log(2) / (2 * math.log(1 / ch.q))
        assert inst.compressor.omega(inst.d) == pytest.approx(omega)


def test_unbiased_and_contractive_twins_give_identical_runs():
    """Scaled rand-s at ω with step 1/(L(1+ω)) is unscaled rand-s at δ = 1/(1+ω) with step 1/L, and
    NEOLITHIC feeds C/(1+ω) to MSC (THEORY.md §1.2, §3.1): same seed, same rounds."""
    for alg in ("cgd", "neolithic"):
        a = execute(SCRunSpec(compressor="unbiased", algorithm=alg, kappa=50.0, omega=3.0, seed_index=2))
        b = execute(SCRunSpec(compressor="contractive", algorithm=alg, kappa=50.0, delta=0.25, seed_index=2))
        assert [r["rounds"] for r in a] == [r["rounds"] for r in b]


def test_same_seed_byte_identical_csv_rows_and_seeds_matter():
    specs = [SCRunSpec(compressor="unbiased", algorithm="cgd", kappa=100.0, omega=7.0, seed_index=i)
             for i in range(3)]
    a = report_files.csv_text([r for s in specs for r in execute(s)], COLUMNS)
    b = report_files.csv_text([r for s in specs for r in execute(s)], COLUMNS)
    assert a == b
    rounds = {r["rounds"] for s in specs for r in execute(s) if r["eps_rel"] == 1e-6}
    assert len(rounds) > 1  # the compressor's randomness is really seeded per run


def test_report_writes_page_figures_csv_and_is_reproducible(tmp_path):
    out1, out2 = tmp_path / "r1", tmp_path / "r2"
    args = ["report", "--profile", "smoke", "--seeds", "2", "--quiet", "--jobs", "1"]
    # Two stores, so the second report really recomputes every run on 2 processes (one shared store
    # would hand it the first run's rows), and nothing lands in the current folder.
    assert main(args + ["--output", str(out1), "--store", str(tmp_path / "store1")]) in (0, 1)
    assert main(args + ["--output", str(out2), "--jobs", "2", "--store", str(tmp_path / "store2")]) in (0, 1)
    for name in ("README.md", "report.html", "runs.csv", "summary.json"):
        assert (out1 / name).is_file()
    page = (out1 / "README.md").read_text()
    figs = sorted(p.name for p in (out1 / "figures").glob("*.png"))
    prof = verification.make_profile("smoke", seeds=2)
    assert figs == sorted([f"{sw.name}.png" for sw in prof.sweeps] + ["progress.png"])
    for f in figs:
        assert f"figures/{f}" in page
    assert "## Summary" in page and "## Verdicts" in page and "\\Omega\\left(" in page
    top = page.split("## Verdicts")[0]
    for s in ("SC", "GC", "NC"):  # one summary line per setting of the smoke profile, at the top
        assert f"**{s}, unbiased ω**" in top
    html = (out1 / "report.html").read_text()
    assert html.count("data:image/png;base64,") == len(figs)  # figures inline
    # the CSV is identical whatever the number of processes
    assert (out1 / "runs.csv").read_bytes() == (out2 / "runs.csv").read_bytes()
    rows = report_files.read_csv(out1 / "runs.csv")
    assert set(rows[0]) == set(COLUMNS)
    specs = verification.run_specs(prof)
    # SC compression runs give one row per ε of the profile, every other run one row
    assert len(rows) == sum(len(prof.eps) if isinstance(s, SCRunSpec) else 1 for s in specs)
    # re-loaded rows give the same analysis as fresh ones
    again = verification.analyse(prof, rows)
    fresh = verification.analyse(prof, [r for s in specs for r in verification.execute(s)])
    assert [r.slope.slope for r in again] == pytest.approx([r.slope.slope for r in fresh], nan_ok=True)


@pytest.mark.parametrize("argv,needle", [
    (["--seeds", "0"], "seeds"),
    (["--omega", "-1"], "omega"),
    (["--kappa", "0.5"], "kappa"),
    (["--kappas", "10,nan"], "kappa"),
    (["--deltas", "1.5"], "delta"),
    (["--profile", "huge"], "profile"),
    (["--jobs", "0"], "jobs"),
])
def test_bad_report_input_one_line_exit_2_nothing_written(tmp_path, argv, needle):
    out = tmp_path / "rep"
    proc = subprocess.run([sys.executable, "-m", "lowerbounds.cli", "report", "--output", str(out), *argv],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in proc.stderr
    assert not out.exists()


def test_refuses_to_overwrite_a_foreign_folder(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="not empty"):
        report_files.check_output_folder(tmp_path)


def test_failed_report_leaves_previous_one_intact(tmp_path, monkeypatch):
    out = tmp_path / "rep"
    out.mkdir()
    with report_files.staged(out) as tmp:
        (tmp / "README.md").write_text("old")
    with pytest.raises(RuntimeError):
        with report_files.staged(out) as tmp:
            (tmp / "README.md").write_text("half")
            raise RuntimeError("interrupted")
    assert (out / "README.md").read_text() == "old"
    assert not [p for p in out.iterdir() if p.name.startswith(".tmp-")]


def test_unwritable_output_is_refused_before_any_run(tmp_path):
    """The output folder is checked before the sweeps start (not after minutes of work)."""
    (tmp_path / "notes.txt").write_text("a file")
    for out in (tmp_path / "notes.txt" / "rep", Path("/proc/lowerbounds-cannot-write-here")):
        proc = subprocess.run([sys.executable, "-m", "lowerbounds.cli", "report", "--output", str(out),
                               "--store", str(tmp_path / "store")], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2 and "output" in proc.stderr, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert not list((tmp_path / "store").rglob("*.json"))  # not a single run was started

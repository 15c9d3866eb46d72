"""Sweeps and the results store (issue 8): the same table on every back end, resumption after a
SIGKILL without recomputing finished runs, failures and divergences recorded (never raised), and
store entries that are truncated, garbled or edited detected, reported and recomputed.

The runs are real but tiny: the SC experiment's own ``execute`` at κ ≤ 30 and ε ≥ 10⁻³ of the gap,
and compressed GD on an 8-dimensional split chain (``sweep_cases``), a few milliseconds each.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from lowerbounds import report_files, store as store_mod, sweep
from lowerbounds.sc_experiment import COLUMNS as SC_COLUMNS, SCRunSpec, execute as sc_execute
from sweep_cases import COLUMNS as TOY_COLUMNS, ToySpec, execute as toy_execute

TESTS = Path(__file__).resolve().parent


def table(results, columns) -> bytes:
    """The results table as the report writes it, plus every value's exact JSON (floats by repr)."""
    rows = sweep.flatten(results)
    return (report_files.csv_text(rows, columns) + json.dumps(rows, sort_keys=True)).encode()


def sc_specs() -> list[SCRunSpec]:
    out = []
    for seed in range(2):
        out.append(SCRunSpec("unbiased", "cgd", kappa=10.0, omega=1.0, eps=(1e-2, 1e-3), seed_index=seed))
        out.append(SCRunSpec("unbiased", "neolithic", kappa=10.0, omega=3.0, eps=(1e-2, 1e-3), seed_index=seed))
        out.append(SCRunSpec("contractive", "cgd", kappa=30.0, delta=0.5, eps=(1e-2, 1e-3), seed_index=seed))
    return out


# ---------------------------------------------------------------------------------- back ends


def test_serial_local_and_dask_give_byte_identical_tables(monkeypatch):
    from dask.distributed import LocalCluster  # the test extra installs it: this test must run in CI

    specs = sc_specs()
    serial = sweep.run_all(sc_execute, specs, backend="serial", progress=False)
    local = sweep.run_all(sc_execute, specs, backend="local", jobs=2, progress=False)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp",
                      host="127.0.0.1", scheduler_port=0, dashboard_address=None) as cluster:
        dask = sweep.run_all(sc_execute, specs, backend="dask", scheduler=cluster.scheduler_address,
                             progress=False)
        # workers whose code differs from ours (started before an edit) are refused before any task
        calls = iter(range(100))
        monkeypatch.setattr(store_mod, "code_fingerprint", lambda extra=(): "ours" if next(calls) == 0 else "old")
        with pytest.raises(ValueError, match="2 of 2 Dask workers .* run other lowerbounds code"):
            sweep.run_all(sc_execute, specs[:1], backend="dask", scheduler=cluster.scheduler_address,
                          code="x", progress=False)
    ref = table(serial, SC_COLUMNS)
    assert len(sweep.flatten(serial)) == 2 * len(specs)
    assert table(local, SC_COLUMNS) == ref
    assert table(dask, SC_COLUMNS) == ref
    for res, backend in ((serial, "serial"), (local, "local"), (dask, "dask")):
        s = res.summary
        assert (s.backend, s.total, s.computed, s.failed) == (backend, len(specs), len(specs), 0)
    assert dask.summary.jobs == 2  # the cluster's workers, as the scheduler reports them
    # seeds matter, so identical tables are not identical by accident
    by_seed = [[r["rounds"] for r in rows] for rows in serial[:2]], [[r["rounds"] for r in rows] for rows in serial[3:5]]
    assert by_seed[0] != by_seed[1]


# ---------------------------------------------------------------------------------- resumption

_KILLED_SWEEP = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    from sweep_cases import ToySpec, execute
    from lowerbounds import sweep
    specs = [ToySpec(seed=i, sleep={sleep!r}) for i in range({n})]
    print(sweep.default_code(execute), flush=True)
    sweep.run_all(execute, specs, backend="serial", store={store!r}, progress=False)
    print("finished", flush=True)
""")


def test_a_sweep_killed_part_way_resumes_without_recomputing_finished_runs(tmp_path):
    n, sleep = 10, 0.1
    root = tmp_path / "store"
    script = _KILLED_SWEEP.format(tests=str(TESTS), sleep=sleep, n=n, store=str(root))
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                            cwd=tmp_path)
    try:
        code = proc.stdout.readline().strip()
        deadline = time.monotonic() + 60
        while len(list((root / "runs").glob("*.json"))) < 3:
            assert proc.poll() is None and time.monotonic() < deadline, "the sweep never wrote 3 entries"
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        rest = proc.communicate(timeout=30)[0]
    assert proc.returncode == -signal.SIGKILL and "finished" not in rest
    done = {p.stem for p in (root / "runs").glob("*.json")}
    assert 3 <= len(done) < n, "killed part-way: some runs finished, not all"

    specs = [ToySpec(seed=i, sleep=sleep) for i in range(n)]
    # Keyed with the fingerprint the killed process used, so that someone editing the source while
    # this test runs cannot turn a resumption into a (correct) full recomputation.
    again = sweep.run_all(toy_execute, specs, backend="serial", store=root, code=code, progress=False)
    s = again.summary
    assert s.corrupt == ()  # the kill left no half-written entry
    assert (s.loaded, s.computed, s.failed) == (len(done), n - len(done), 0)
    assert not set(s.computed_keys) & done  # none of the finished runs was run again
    uninterrupted = sweep.run_all(toy_execute, specs, backend="serial", progress=False)
    assert table(again, TOY_COLUMNS) == table(uninterrupted, TOY_COLUMNS)
    # and now everything is there
    third = sweep.run_all(toy_execute, specs, backend="serial", store=root, code=code, progress=False)
    assert (third.summary.loaded, third.summary.computed) == (n, 0)
    assert code == sweep.default_code(toy_execute)  # the fingerprint is the same in another process


# ---------------------------------------------------------------------------------- failures


def test_an_unstable_step_size_gives_a_diverged_record_with_its_round(tmp_path):
    specs = [ToySpec(seed=0), ToySpec(seed=1, gamma_factor=50.0), ToySpec(seed=2)]
    said: list[str] = []
    res = sweep.run_all(toy_execute, specs, backend="serial", store=tmp_path, progress=False, warn=said.append)
    assert [r["status"] for r in res[0]] == ["reached", "reached"]
    bad = res[1]
    assert [r["status"] for r in bad] == ["diverged", "diverged"]
    rnd = bad[0]["diverged_at"]
    assert isinstance(rnd, int) and 1 <= rnd < specs[1].budget
    s = res.summary
    assert s.failed == 0 and len(s.diverged) == 1
    d = s.diverged[0]
    assert (d.index, d.status, d.round) == (1, "diverged", rnd)
    assert f"at round {rnd}" in d.message
    assert said[0].startswith("3 runs on serial: 3 computed, 0 from the store, 0 failed, 1 diverged")
    assert any(f"run 1, iterates stopped being finite at round {rnd}" in line for line in said)
    # a diverged run is a result: stored, and loaded back with its round
    again = sweep.run_all(toy_execute, specs, backend="serial", store=tmp_path, progress=False, warn=said.append)
    assert (again.summary.loaded, again.summary.computed) == (3, 0)
    assert again.summary.diverged[0].round == rnd and table(again, TOY_COLUMNS) == table(res, TOY_COLUMNS)


def test_an_exception_in_one_run_is_recorded_and_the_sweep_goes_on(tmp_path):
    specs = [ToySpec(seed=0), ToySpec(seed=1, fail=True), ToySpec(seed=2), ToySpec(seed=3, fail=True)]
    said: list[str] = []
    res = sweep.run_all(toy_execute, specs, backend="serial", store=tmp_path, progress=False, warn=said.append)
    assert res[1] == [] and res[3] == []
    assert len(res[0]) == len(res[2]) == 2 and res[2][0]["seed"] == 2
    s = res.summary
    assert [f.index for f in s.errors] == [1, 3]
    assert s.errors[0].message == "ValueError: deliberate failure in the toy run with seed 1"
    assert s.errors[0].where.startswith("sweep_cases.py:") and "in execute" in s.errors[0].where
    assert s.failed == 2 and s.diverged == ()
    assert "2 failed" in said[0]
    assert any(line.startswith("  1 × error: ValueError: deliberate failure in the toy run with seed 3")
               for line in said)
    # failed runs are not stored: a rerun retries exactly those
    again = sweep.run_all(toy_execute, specs, backend="serial", store=tmp_path, progress=False, warn=said.append)
    assert (again.summary.loaded, again.summary.computed, again.summary.failed) == (2, 2, 2)


# ---------------------------------------------------------------------------------- the store


def _entries(root: Path) -> list[Path]:
    return sorted((root / "runs").glob("*.json"))


def test_truncated_garbled_and_edited_entries_are_reported_and_recomputed(tmp_path, capsys):
    specs = [ToySpec(seed=i) for i in range(5)]
    first = sweep.run_all(toy_execute, specs, backend="serial", store=tmp_path, progress=False)
    ref = table(first, TOY_COLUMNS)
    files = _entries(tmp_path)
    assert len(files) == 5
    truncated, garbled, edited = files[0], files[1], files[2]
    truncated.write_bytes(truncated.read_bytes()[:-40])  # as after a full disk
    garbled.write_bytes(garbled.read_bytes().replace(b"reached", b"reachet", 1))  # one flipped letter
    entry = json.loads(edited.read_text())  # a hand edit that keeps valid JSON and the right key
    entry["rows"][0]["rounds"] = entry["rows"][0]["rounds"] - 1
    edited.write_text(json.dumps(entry, sort_keys=True))
    capsys.readouterr()

    again = sweep.run_all(toy_execute, specs, backend="serial", store=tmp_path, progress=False)
    err = capsys.readouterr().err.strip().splitlines()
    s = again.summary
    assert (s.loaded, s.computed) == (2, 3)
    assert sorted(name for name, _ in s.corrupt) == sorted(p.name for p in (truncated, garbled, edited))
    reasons = dict(s.corrupt)
    assert "not valid JSON" in reasons[truncated.name]
    assert "checksum mismatch" in reasons[garbled.name] and "checksum mismatch" in reasons[edited.name]
    for p in (truncated, garbled, edited):  # one line on stderr each, naming the entry
        assert sum(p.name in line for line in err) == 1
    assert len(err) == 3 and all(line.startswith("store: entry ") for line in err)
    assert table(again, TOY_COLUMNS) == ref  # the recomputed rows, not the edited ones
    third = sweep.run_all(toy_execute, specs, backend="serial", store=tmp_path, progress=False)
    assert (third.summary.loaded, third.summary.corrupt) == (5, ())  # the entries were rewritten


def test_an_entry_whose_spec_was_edited_is_not_taken_for_another_run(tmp_path):
    st = store_mod.Store(tmp_path, "v", code="c")
    a, b = ToySpec(seed=0), ToySpec(seed=1)
    rows = toy_execute(a)
    path = st.save(a, rows)
    entry = json.loads(path.read_text())
    entry["spec"]["seed"] = 1  # claim to be b's run, and fix the checksum so only the key can tell
    entry["sha256"] = store_mod.entry_digest(entry)
    path.write_text(json.dumps(entry))
    assert st.load(a) is None and st.corrupt == [(path.name, "the key inside does not hash the spec inside")]
    assert st.load(b) is None and len(st.corrupt) == 1  # b has no entry of its own: a miss, no more
    st2 = store_mod.Store(tmp_path, "v", code="c")
    st2.save(a, rows)
    assert st2.load(a) == store_mod.canonical_rows(rows) and st2.corrupt == []


def test_a_code_change_gives_new_keys_so_nothing_stale_is_reused(tmp_path):
    specs = [ToySpec(seed=i) for i in range(3)]
    old = sweep.run_all(toy_execute, specs, backend="serial", store=tmp_path, code="old", progress=False)
    same = sweep.run_all(toy_execute, specs, backend="serial", store=tmp_path, code="old", progress=False)
    new = sweep.run_all(toy_execute, specs, backend="serial", store=tmp_path, code="new", progress=False)
    assert (old.summary.computed, same.summary.loaded, new.summary.computed) == (3, 3, 3)
    assert new.summary.corrupt == ()  # old entries are not wrong, just never looked up
    assert store_mod.spec_key(specs[0], "v", "old") != store_mod.spec_key(specs[0], "v", "new")


def test_the_code_fingerprint_covers_the_result_code_and_changes_with_it(tmp_path):
    names = [rel for rel, _ in store_mod.code_files()]
    for must in ("constructions/sc_chain.py", "algorithms/cgd.py", "lowerbounds/measure.py",
                 "lowerbounds/sweep.py", "lowerbounds/sc_experiment.py"):
        assert must in names
    assert not any(n.startswith(("lowerbounds/commands/", "lowerbounds/benchmarks/")) for n in names)
    assert store_mod.code_name(sweep.__file__) == "lowerbounds/sweep.py"
    assert store_mod.code_name(TESTS / "sweep_cases.py") is None
    fp = store_mod.code_fingerprint()
    assert fp == store_mod.code_fingerprint() and len(fp) == 64  # cached, a sha256
    # an execute defined outside the packages adds its own file
    assert sweep.default_code(toy_execute) == store_mod.code_fingerprint((str(TESTS / "sweep_cases.py"),))
    assert sweep.default_code(sc_execute) == fp
    extra = tmp_path / "plugin.py"
    extra.write_text("X = 1\n")
    uncached = store_mod.code_fingerprint.__wrapped__
    before = uncached((str(extra),))
    extra.write_text("X = 2\n")
    assert uncached((str(extra),)) != before != fp


# ---------------------------------------------------------------------------------- benchmark


def test_sweep_benchmark_is_discovered_and_reports_a_checked_speedup(monkeypatch):
    from lowerbounds.benchmarks import sweep as sweep_bench
    from lowerbounds.commands import bench

    assert {"sweep", "report_time"} <= set(bench.discover())
    assert len(sweep_bench.specs(6)) == 48 and len(set(sweep_bench.specs(6))) == 48
    tiny = [SCRunSpec("unbiased", "cgd", kappa=10.0, omega=1.0, eps=(1e-2,), seed_index=i) for i in range(4)]
    monkeypatch.setattr(sweep_bench, "specs", lambda seeds: tiny)
    r = sweep_bench.benchmark(quick=True)
    assert r["sweep.runs"] == 4 and r["sweep.identical_tables"] is True
    assert r["sweep.speedup"] == pytest.approx(r["sweep.serial_seconds"] / r["sweep.parallel_seconds"])
    assert r["sweep.verdict"].split(":")[0] in ("ok", "below target", "n/a")

"""`lowerbounds bench` (issue 8 item 4): discovery, --only, --json/--output, failure isolation.

Runs through ``lowerbounds.cli.main`` with ``COMMANDS`` narrowed to this sub-command. Most tests
point the command at a fake benchmarks package written into tmp_path (a fast module, a raising one,
one returning a non-dict, one without ``benchmark``), so failure handling is tested without waiting
for real measurements; one test runs the real ``bounds`` benchmark with --quick.
"""

from __future__ import annotations

import importlib
import json
import sys
import textwrap

import pytest

from lowerbounds import cli
from lowerbounds.commands import bench

FAKE = {
    "__init__.py": '"""fake benchmarks"""\n',
    "alpha.py": """
        def benchmark(quick):
            return {"alpha.quick": quick, "alpha.n": 10 if quick else 1000, "alpha.ratio": 2.5,
                    "alpha.inf": float("inf")}
    """,
    "boom.py": """
        def benchmark(quick):
            raise RuntimeError("the machine caught fire\\nsecond line must not appear")
    """,
    "notdict.py": """
        def benchmark(quick):
            return [1, 2, 3]
    """,
    "nofunc.py": "X = 1\n",
    "_private.py": "raise ImportError('private modules are not benchmarks')\n",
    "zeta.py": """
        import numpy as np
        def benchmark(quick):
            print("chatty benchmark output")
            return {"zeta.value": np.float64(0.125), "zeta.count": np.int64(7), "zeta.label": "ok",
                    "zeta.per": {"cgd": np.float32(0.5), "neolithic": {"rps": 3}}}
    """,
}


@pytest.fixture(autouse=True)
def only_bench(monkeypatch):
    monkeypatch.setattr(cli, "COMMANDS", ["lowerbounds.commands.bench"])


@pytest.fixture
def fake(tmp_path, monkeypatch):
    pkg = tmp_path / "fake_benchmarks_pkg"
    pkg.mkdir()
    for name, text in FAKE.items():
        (pkg / name).write_text(textwrap.dedent(text))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(bench, "PACKAGE", "fake_benchmarks_pkg")
    importlib.invalidate_caches()
    yield "fake_benchmarks_pkg"
    for mod in [m for m in sys.modules if m.startswith("fake_benchmarks_pkg")]:
        del sys.modules[mod]


def run(capsys, *argv):
    rc = cli.main(["bench", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


def test_discovery_lists_public_modules_sorted(fake):
    assert bench.discover() == ["alpha", "boom", "nofunc", "notdict", "zeta"]


def test_real_package_has_the_issue_benchmarks():
    names = bench.discover()
    assert {"bounds", "certify"} <= set(names)
    assert all(not n.startswith("_") for n in names)


def test_only_ok_modules_json(capsys, fake):
    rc, out, err = run(capsys, "--only", "alpha,zeta", "--quick", "--json")
    assert rc == 0, err
    r = json.loads(out)
    assert list(r["benchmarks"]) == ["alpha", "zeta"] and r["failed"] == [] and r["quick"] is True
    a = r["benchmarks"]["alpha"]
    assert a["status"] == "ok" and a["seconds"] >= 0
    assert a["results"] == {"alpha.quick": True, "alpha.n": 10, "alpha.ratio": 2.5, "alpha.inf": "inf"}
    assert r["benchmarks"]["zeta"]["results"] == {"zeta.value": 0.125, "zeta.count": 7, "zeta.label": "ok",
                                                  "zeta.per": {"cgd": 0.5, "neolithic": {"rps": 3}}}
    assert "chatty benchmark output" in err  # a benchmark's own prints go to stderr, not into the JSON


def test_quick_flag_reaches_the_benchmark(capsys, fake):
    rc, out, _ = run(capsys, "--only", "alpha", "--json")
    assert rc == 0 and json.loads(out)["benchmarks"]["alpha"]["results"]["alpha.n"] == 1000


def test_failures_are_one_line_each_and_the_others_still_run(capsys, fake):
    rc, out, err = run(capsys, "--progress", "never")
    assert rc == 1
    lines = [ln for ln in err.splitlines() if ln.strip() and ln != "chatty benchmark output"]
    assert len(lines) == 3, err  # boom, nofunc, notdict: one line each, nothing else
    assert any("boom failed: RuntimeError: the machine caught fire" in ln for ln in lines)
    assert any("notdict failed: TypeError" in ln and "expected a dict" in ln for ln in lines)
    assert any("nofunc failed: TypeError" in ln and "no benchmark" in ln for ln in lines)
    assert "second line" not in err and "Traceback" not in err
    # the table still shows the modules that ran, after the failing one in sorted order
    rows = {ln.split()[0]: ln.split()[-1] for ln in out.splitlines() if ln.startswith("  ")}
    assert rows["ratio"] == "2.5" and rows["value"] == "0.125" and rows["n"] == "1,000"
    assert rows["label"] == "ok" and rows["inf"] == "inf"
    assert rows["per.cgd"] == "0.5" and rows["per.neolithic.rps"] == "3"  # nested results flattened
    assert "boom: FAILED" in out
    assert "2 of 5 benchmarks ran; failed: boom, nofunc, notdict" in out


def test_output_file_holds_the_same_json(capsys, fake, tmp_path):
    target = tmp_path / "sub" / "bench.json"
    rc, out, _ = run(capsys, "--only", "alpha,boom", "--output", str(target), "--json",
                     "--progress", "never")
    assert rc == 1
    saved = json.loads(target.read_text())
    assert saved == json.loads(out)
    assert saved["failed"] == ["boom"] and saved["benchmarks"]["boom"]["status"] == "failed"
    assert saved["benchmarks"]["boom"]["error"] == "RuntimeError: the machine caught fire"
    assert not [p for p in target.parent.iterdir() if p.name != "bench.json"]  # no temp file left


def test_progress_bar_goes_to_stderr_not_stdout(capsys, fake):
    rc, out, err = run(capsys, "--only", "alpha", "--json", "--progress", "always")
    assert rc == 0
    json.loads(out)  # stdout stays pure JSON
    assert "bench" in err and "benchmark" in err  # tqdm's desc and unit


@pytest.mark.parametrize("only, word", [("nope", "nope"), ("alpha,nope", "nope"), (",", "at least one")])
def test_bad_only_exits_2_with_one_line(capsys, fake, only, word):
    rc, out, err = run(capsys, "--only", only)
    assert rc == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and word in err and "available: alpha" in err


def test_output_that_is_a_folder_exits_2_before_running(capsys, fake, tmp_path):
    rc, out, err = run(capsys, "--only", "alpha", "--output", str(tmp_path))
    assert rc == 2 and out == "" and len(err.strip().splitlines()) == 1 and "--output" in err


def test_real_bounds_benchmark_quick(capsys):
    rc, out, err = run(capsys, "--only", "bounds", "--quick", "--json", "--progress", "never")
    assert rc == 0, err
    res = json.loads(out)["benchmarks"]["bounds"]["results"]
    # the fast path must agree with subs before its speed means anything
    assert res["bounds.max_relative_difference"] < 1e-10
    assert res["bounds.grid_points"] >= 1e5 * 0.99
    assert res["bounds.speedup_lambdify_over_subs"] > 1


def test_real_certify_benchmark_quick_reports_times_and_verdicts(capsys):
    rc, out, err = run(capsys, "--only", "certify", "--quick", "--json", "--progress", "never")
    assert rc == 0, err
    res = json.loads(out)["benchmarks"]["certify"]["results"]
    assert res["certify.d"] == 1000 and res["certify.trials"] >= 1000
    for key in ("rand_k", "qsgd"):
        assert res[f"certify.{key}_verdict"] == "ok"  # a timing of a failing certifier is no timing
        assert res[f"certify.{key}_seconds"] > 0 and res[f"certify.{key}_measured_calls"] >= 10 * 1000

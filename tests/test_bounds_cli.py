"""`lowerbounds bounds` (issue 6): the point form, --json keys, table, compare, regime, bad input.

Runs through ``lowerbounds.cli.main`` with ``COMMANDS`` narrowed to this sub-command, so the test
does not depend on the other sub-commands being importable.
"""

from __future__ import annotations

import json
import subprocess
import sys
import math

import pytest

from lowerbounds import bounds as B
from lowerbounds import cli

EXAMPLE = ["bounds", "--setting", "sc", "--compressor", "unbiased", "--omega", "3", "--L", "1",
           "--mu", "0.01", "--sigma", "0", "--n", "8", "--eps", "1e-6"]


@pytest.fixture(autouse=True)
def only_bounds(monkeypatch):
    monkeypatch.setattr(cli, "COMMANDS", ["lowerbounds.commands.bounds"])


def run(capsys, *argv):
    rc = cli.main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_point_form_json_has_required_keys_and_values(capsys):
    rc, out, err = run(capsys, *EXAMPLE, "--json")
    assert rc == 0, err
    r = json.loads(out)
    for k in ("value", "latex"):
        assert k in r["lower_bound"]
    assert "value" in r["upper_bound"] and "dominant_term" in r and "exponents" in r
    # hand computation: σ = 0, so T = (1+ω)√κ ln(μΔ_x/ε) with Δ_x = 1 (default)
    want = 4 * math.sqrt(100) * math.log(0.01 / 1e-6)
    assert r["lower_bound"]["value"] == pytest.approx(want, rel=1e-12)
    assert r["upper_bound"]["value_with_logs"] == pytest.approx(want * math.log(1600), rel=1e-12)
    assert r["dominant_term"]["label"] == "compression"
    assert r["exponents"]["1+omega"] == 1 and r["exponents"]["kappa"] == 0.5
    assert r["exponents"]["1/eps"] == 0  # σ = 0: only the logarithm is left
    assert r["gap"]["matched"] and r["gap"]["verdict"].startswith("matched")


def test_point_form_text(capsys):
    rc, out, _ = run(capsys, *EXAMPLE)
    assert rc == 0
    assert "lower bound: sc-unbiased-lower" in out and "NEOLITHIC" in out
    assert "dominant term" in out and "κ 1/2" in out


@pytest.mark.parametrize("bad, word", [(["--omega", "-1"], "omega"), (["--delta", "1.5"], "delta"),
                                       (["--eps", "0"], "eps"), (["--mu", "2", "--L", "1"], "kappa"),
                                       (["--sigma", "nan"], "sigma"), (["--setting", "qc"], "setting"),
                                       (["--n", "2.5"], "n")])
def test_bad_input_exits_2_with_one_line(capsys, bad, word):
    rc, out, err = run(capsys, "bounds", *bad)
    assert rc == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and word in lines[0]


def test_table_markdown_and_latex(capsys):
    rc, out, _ = run(capsys, "bounds", "table")
    assert rc == 0
    assert out.count("| Lower bound |") == 2 and out.count("| NEOLITHIC |") == 2
    assert "Ω(σ²/(ε·μ·n) + √(κ)·(1 + ω)·ln(Δ_x·μ/ε))" in out
    rc, out, _ = run(capsys, "bounds", "table", "--format", "latex")
    assert rc == 0 and out.count(r"\begin{tabular}") == 2 and r"\Omega" in out
    rc, _, err = run(capsys, "bounds", "table", "--format", "html")
    assert rc == 2 and "--format" in err


def test_compare_lists_algorithms_with_gap(capsys):
    rc, out, err = run(capsys, "bounds", "compare", "--setting", "sc", "--compressor", "unbiased", "--json")
    assert rc == 0, err
    r = json.loads(out)
    by = {a["algorithm"]: a for a in r["algorithms"]}
    assert {"neolithic", "qsgd", "cgd"} <= set(by)
    assert by["neolithic"]["matched"] and not by["qsgd"]["matched"]
    lo = B.get("sc-unbiased-lower").evaluate(r["point"])
    assert by["qsgd"]["gap_factor"] == pytest.approx(by["qsgd"]["value"] / lo, rel=1e-12)
    assert "independent" in by["qsgd"]["verdict"]


def test_regime_png(capsys, tmp_path):
    png = tmp_path / "r.png"
    rc, out, err = run(capsys, "bounds", "regime", "--setting", "sc", "--x", "sigma", "--y", "omega",
                       "--points", "40", "--out", str(png), "--json")
    assert rc == 0, err
    r = json.loads(out)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sum(r["shares"].values()) == pytest.approx(1.0)
    assert all(v > 0 for v in r["shares"].values())  # both terms win somewhere on these ranges
    rc, _, err = run(capsys, "bounds", "regime", "--x", "sigma", "--y", "sigma")
    assert rc == 2 and len(err.strip().splitlines()) == 1


def test_regime_out_must_be_a_png_path_in_an_existing_folder(tmp_path):
    for out, needle in ((f"{tmp_path}/", "not a folder"), (str(tmp_path / "nodir" / "r.png"), "does not exist"),
                        (str(tmp_path / "r.txt"), ".png")):
        p = subprocess.run([sys.executable, "-m", "lowerbounds.cli", "bounds", "regime", "--out", out],
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 2 and needle in p.stderr and len(p.stderr.strip().splitlines()) == 1
    assert not any(tmp_path.iterdir())  # nothing written, not even a hidden '.png'


def test_compare_marks_rates_of_another_compressor_class_as_not_comparable():
    from lowerbounds.cli import build_parser
    from lowerbounds.commands import bounds as cmd

    r = cmd.compare(build_parser().parse_args(["bounds", "compare", "--setting", "nc"]))
    ds = next(a for a in r["algorithms"] if a["algorithm"] == "doublesqueeze")
    assert ds["gap_factor"] is None and ds["verdict"].startswith("not comparable")
    # every comparable rate is at least the lower bound at the point (else the registry is wrong)
    for a in r["algorithms"]:
        if a["gap_factor"] is not None and not a["independent_compressors"]:
            assert a["gap_factor"] >= 1, a

"""The certifier: it catches deliberately broken compressors, infers the constant of undeclared
callables, and its command line meets the issue's acceptance checks."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest
import sympy as sp

from constructions.compose import ErrorFeedback
from constructions.compressors import Compressor, Identity, RandS, d_sym
from constructions.zoo import QSGD, TopK
from lowerbounds import cli
from lowerbounds.certify import DEFAULT_Z, certify, check_error_feedback

TRIALS = 400


# ------------------------------------------------------------------------ broken compressors
@dataclass(frozen=True)
class UnscaledRandKDeclaredUnbiased(RandS):
    """Bug 1: rand-k never rescaled by d/k, yet declared unbiased with ω = d/k − 1."""

    def __call__(self, V, rng):
        return RandS(self.s, scaled=False, shared=self.shared)(V, rng)


@dataclass(frozen=True)
class QSGDDeclaringOmegaD(QSGD):
    """Bug 2: ω = d/s**2 typed as d / s * s, i.e. ω = d: a square lost to operator precedence."""

    def omega_expr(self):
        return d_sym / self.s * self.s


@dataclass(frozen=True)
class IdentityDeclaringTightOmega(Identity):
    """Bug 3: a "compressor" whose output equals its input, declaring a tight ω = 1/2."""

    def omega_expr(self):
        return sp.Rational(1, 2)

    def delta_expr(self):
        return sp.Rational(1, 2)


@dataclass(frozen=True)
class RandKDeclaredTooSmall(RandS):
    """Declares ω = d/k − 2, one less than the truth."""

    def omega_expr(self):
        return d_sym / self.s - 2


class EFDroppingMemory(ErrorFeedback):
    """Bug 4: error feedback that stores its memory but never applies it."""

    def __call__(self, V, rng):
        V = np.asarray(V, dtype=float)
        C = self.inner(V, rng)
        self.memory = V - C
        return C


def test_unscaled_rand_k_declared_unbiased_is_caught():
    c = certify(UnscaledRandKDeclaredUnbiased(8), 64, trials=TRIALS, seed=0, search=False)
    assert not c.ok
    assert c.get("bias").verdict == "violated"
    # E C(x) = (k/d) x: the bias along x/‖x‖ is −(1 − k/d)
    assert c.get("bias").estimate == pytest.approx(1 - 8 / 64, abs=DEFAULT_Z * 0.05)


def test_qsgd_declaring_omega_d_is_caught():
    d = 100
    honest = certify(QSGD(s=1), d, trials=TRIALS, seed=0, search=False)
    assert honest.ok and honest.get("omega").verdict == "holds"
    broken = certify(QSGDDeclaringOmegaD(s=1), d, trials=TRIALS, seed=0, search=False)
    p = broken.get("omega")
    assert p.declared == d and p.verdict == "violated"
    assert p.estimate == pytest.approx(np.sqrt(d) - 1, rel=0.05)  # what QSGD really attains


def test_identity_declaring_tight_omega_is_caught():
    c = certify(IdentityDeclaringTightOmega(), 32, trials=20, seed=0, search=False)
    assert c.get("omega").verdict == "violated" and c.get("omega").estimate == 0.0
    assert c.get("delta").verdict == "violated"


def test_identity_with_an_honest_loose_omega_is_only_not_tight():
    c = certify(Identity(), 32, trials=20, seed=0, search=False, declare={"omega": 0.5})
    assert c.ok and c.get("omega").verdict == "not tight"


def test_too_small_constant_is_caught():
    c = certify(RandKDeclaredTooSmall(8), 64, trials=TRIALS, seed=0, search=False)
    assert c.get("omega").verdict == "violated" and c.get("omega").worst_vector == "equal-magnitude"


def test_error_feedback_dropping_memory_is_caught():
    v = np.random.default_rng(0).standard_normal(100)
    res = check_error_feedback(lambda: EFDroppingMemory(TopK(10)), v, T=2000, rng=np.random.default_rng(1))
    assert not res.ok
    # the time-average stays at top-k(v): misses v by √(1 − share of the top 10) ≫ the bound
    assert res.average_error > 10 * res.average_bound


# ------------------------------------------------------------------------ undeclared callables
def test_undeclared_contractive_callable():
    c = certify(lambda V, rng: 0.5 * V, 30, trials=100, seed=0, search=False)
    assert c.get("bias").note.startswith("biased")
    assert c.get("delta").verdict == "measured" and c.get("delta").estimate == pytest.approx(0.75)


def test_undeclared_unbiased_callable():
    p = 0.25

    def bern(V, rng):
        return np.where(rng.random(V.shape) < p, V / p, 0.0)

    d = 50
    c = certify(bern, d, trials=TRIALS, seed=3, search=True)
    w = c.get("omega")
    assert w.verdict == "measured"
    lo, hi = w.ci
    assert lo <= 1 / p - 1 <= hi  # the exact ω = 3 lies in the reported interval
    assert hi - lo < 0.5 * (1 / p - 1)


def test_certify_is_reproducible():
    a = certify(QSGD(s=2), 40, trials=50, seed=9).to_dict()
    b = certify(QSGD(s=2), 40, trials=50, seed=9).to_dict()
    assert a == b


def test_bad_arguments():
    with pytest.raises(ValueError, match="d must be an integer ≥ 1"):
        certify(Identity(), 0)
    with pytest.raises(ValueError, match="trials must be an integer ≥ 4"):
        certify(Identity(), 5, trials=2)
    with pytest.raises(ValueError, match="declare accepts"):
        certify(lambda V, r: V, 5, trials=5, declare={"w": 1})


# ------------------------------------------------------------------------------ command line
def test_commands_registered():
    assert "lowerbounds.commands.certify" in cli.COMMANDS
    assert "lowerbounds.commands.list" in cli.COMMANDS


@pytest.fixture
def mine_only(monkeypatch):
    """Parse with only this issue's sub-commands, so these tests do not depend on other
    engineers' in-progress modules (their registration is tested above)."""
    monkeypatch.setattr(cli, "COMMANDS", ["lowerbounds.commands.certify", "lowerbounds.commands.list"])


def test_cli_rand_k(mine_only, capsys):
    assert cli.main(["certify", "rand-k", "--d", "1000", "--param", "k=10", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    w = out["properties"]["omega"]
    assert abs(w["estimate"] - 99) <= 0.03 * 99 and w["tight"] is True and w["verdict"] == "holds"
    assert out["declared"]["omega"] == 99 and out["declared"]["omega_expr"] == "d/s - 1"


def test_cli_top_k(mine_only, capsys):
    assert cli.main(["certify", "top-k", "--d", "100", "--param", "k=5", "--json"]) == 0
    dl = json.loads(capsys.readouterr().out)["properties"]["delta"]
    assert dl["estimate"] >= 0.05 - 1e-12 and dl["tight"] is True and "equal-magnitude" in dl["attained_by"]
    assert cli.main(["certify", "top-k", "--d", "100", "--param", "k=5", "--trials", "20"]) == 0
    assert "equal-magnitude" in capsys.readouterr().out


@pytest.mark.parametrize("name, d, k", [("top-k", 100, "0"), ("top-k", 100, "101"),
                                        ("rand-k", 1000, "0"), ("rand-k", 1000, "1001")])
def test_cli_bad_k(mine_only, capsys, name, d, k):
    assert cli.main(["certify", name, "--d", str(d), "--param", f"k={k}"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "Traceback" not in err
    assert f"k (compressor '{name}') must be an integer in [1, {d}]" in err and f"(got '{k}')" in err


@pytest.mark.parametrize("argv", [["certify", "nope"], ["certify", "rand-k", "--d", "-3"],
                                  ["certify", "rand-k", "--param", "k"]])
def test_cli_bad_input_one_line(mine_only, capsys, argv):
    assert cli.main(argv) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_cli_list(mine_only, capsys):
    assert cli.main(["list", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"compressors", "algorithms", "instances", "bounds"} <= set(data)
    assert {"rand-k", "top-k", "qsgd"} <= {r["name"] for r in data["compressors"]}
    assert {"cgd", "neolithic"} <= {r["name"] for r in data["algorithms"]}
    assert "sc-split-chain" in {r["name"] for r in data["instances"]}
    assert "sc-unbiased-lower" in {r["name"] for r in data["bounds"]}

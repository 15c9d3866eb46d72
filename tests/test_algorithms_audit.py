"""The zero-respecting audit switched on (issue 5, item 3; THEORY.md §1.3).

* Every registered method, with every compressor class it accepts (shared rand-s, the lower bound's
  adversary), runs a few dozen rounds on the SC, GC and NC split chains under the audit without a
  violation; the audit demonstrably looked (a check per message and per reported point, supports
  that grew across the split), and watching does not change the iterates.
* Deliberately non-zero-respecting methods written here are caught, one per rule of §1.3 (query
  point, uplink message, broadcast, reported point), through both the hook-level audit and the
  black-box one, plus a realistic bug (a bidirectional method stepping with the server's
  uncompressed vector). Each cheater also runs without the audit (so the exception is the audit's,
  not a crash) and has an honest twin that passes under the audit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from alg_cases import CASE_BY_NAME, CASES, KnowsTheAnswer, audit_of, audited
from algorithms import registry
from algorithms.audit import BlackBoxAudit, ZeroRespectingViolation
from algorithms.base import Algorithm, RoundStats, dense_broadcast_bits
from algorithms.comm import RoundAlgorithm, Tally
from algorithms.doublesqueeze import DoubleSqueeze, DoubleSqueezeState
from algorithms.psgd import IterateState
from constructions.base import ExactOracle
from constructions.compressors import Identity, RandS
from constructions.recipes import gc_recipe, nc_recipe, sc_recipe

N = 4
ROUNDS = 60


@dataclass(frozen=True)
class Chain:
    problem: object
    s: int
    d: int
    x0: np.ndarray
    mu: float  # the SC methods' μ (a surrogate on GC/NC: any value gives a zero-respecting method)


def _chains() -> dict[str, Chain]:
    sc = sc_recipe(1.0, 0.05, 1.0, N, 1e-4, omega=3)
    gc = gc_recipe(1.0, 1.0, N, 1e-3, omega=3)
    nc = nc_recipe(1.0, 1.0, N, 1e-5, omega=3)
    # The NC chain reveals coordinate k+1 only once |x_k| > λ/2 (robust zero-chain), which the
    # compressed methods need hundreds of rounds to reach from 0; starting at λ on a prefix puts
    # them at the frontier, so the audit sees supports grow across the split within 60 rounds.
    x_nc = np.zeros(nc.d)
    x_nc[:3] = nc.instance.lam
    return {
        "sc": Chain(sc.instance, sc.s, sc.d, np.zeros(sc.d), 0.05),
        "gc": Chain(gc.instance, gc.s, gc.d, np.zeros(gc.d), 0.01),
        "nc": Chain(nc.instance, nc.s, nc.d, x_nc, 0.01),
    }


CHAINS = _chains()


def _trajectory(alg: Algorithm, ch: Chain, rounds: int = ROUNDS, seed: int = 0):
    rng = np.random.default_rng(seed)
    s = alg.init(N, ch.d, ch.x0, rng)
    xs = []
    for _ in range(rounds):
        s, _ = alg.step(s, ExactOracle(ch.problem), rng)
        xs.append(alg.output(s).copy())
    return np.array(xs), s


def test_every_registered_method_has_an_audit_case():
    """New registrations must come with a case, or the audit below silently skips them."""
    assert set(registry.ALGORITHMS) <= set(CASE_BY_NAME)


_RUNS = [(c, kind) for c in CASES for kind in ("unbiased", "contractive")
         if not (kind == "contractive" and (c.unbiased_only or not c.uses_compressor))]


@pytest.mark.parametrize("setting", sorted(CHAINS))
@pytest.mark.parametrize("case, kind", _RUNS, ids=[f"{c.name}-{k}" for c, k in _RUNS])
def test_audit_passes_on_the_split_chains(case, kind, setting):
    ch = CHAINS[setting]
    make = lambda: case.make(RandS(ch.s, scaled=kind == "unbiased", shared=True),  # noqa: E731
                             1.0, ch.mu, ch.d)
    alg = audited(make())
    xs, state = _trajectory(alg, ch)
    a = audit_of(alg, state)
    # It looked: every round ended under the audit with ≥ 2 checks (a message and the output) ...
    assert a.round == ROUNDS and a.checks >= 2 * ROUNDS
    # ... at supports that grew beyond x⁰'s, for the server and for every worker (the split
    # forces crossings, so this is traffic between the groups, not one group's own gradient).
    start = int(np.count_nonzero(ch.x0))
    assert a.server.sum() > start and a.workers.sum(axis=1).min() > start
    # Watching changes nothing: same iterates as the same run without the audit.
    plain, _ = _trajectory(make(), ch)
    np.testing.assert_array_equal(xs, plain)


# ------------------------------------------------------------------ cheaters
def _far(d: int) -> np.ndarray:
    """A coordinate no party can have learned in the first rounds on a chain from 0: the last."""
    e = np.zeros(d)
    e[-1] = 1e-3
    return e


class CheatingPSGD(RoundAlgorithm):
    """PSGD with one deliberate violation of THEORY.md §1.3 (``cheat``), or none (the twin)."""

    name = "cheating-psgd"
    CHEATS = ("query", "uplink", "broadcast", "iterate")

    def __init__(self, cheat: str | None, gamma: float = 0.5) -> None:
        assert cheat is None or cheat in self.CHEATS
        self.cheat, self.gamma, self._id = cheat, gamma, Identity()

    def _init(self, n, d, x0, rng):
        self.n = n
        return IterateState(x=x0.copy())

    def _round(self, s, oracle, rng, tally: Tally):
        far = _far(s.x.size)
        X = np.broadcast_to(s.x, (self.n, s.x.size))
        if self.cheat == "query":  # queries where it has learned nothing
            X = X + far
        G = self.query(s, oracle, X, rng, tally)
        if self.cheat == "uplink":  # sends a value it never learned
            G = G + far
        M = self.uplink(s, self._id, G, rng, tally)
        m = M.mean(axis=0)
        if self.cheat == "broadcast":  # the server invents a coordinate
            m = m + far
        s.x = s.x - self.gamma * self.broadcast(s, m, tally)
        if self.cheat == "iterate":  # writes into a coordinate nobody learned
            s.x = s.x + far
        return s

    def output(self, s):
        return s.x


class CheatingBlackBox(Algorithm):
    """Compressed GD that does *not* use the hook helpers (audited from the outside), with one
    deliberate violation: a query point, a compressor input, or the reported point."""

    name = "cheating-black-box"
    CHEATS = ("query", "uplink", "iterate")

    def __init__(self, compressor, cheat: str | None, gamma: float = 0.5) -> None:
        self.compressor, self.cheat, self.gamma = compressor, cheat, gamma

    def init(self, n, d, x0, rng):
        self.n = n
        return {"x": np.array(x0, dtype=np.float64)}

    def step(self, state, oracle, rng):
        x, far = state["x"], _far(state["x"].size)
        X = np.broadcast_to(x + far if self.cheat == "query" else x, (self.n, x.size))
        G = oracle.query(X, rng)
        M = self.compressor(G + far if self.cheat == "uplink" else G, rng)
        x = x - self.gamma * M.mean(axis=0)
        state["x"] = x + far if self.cheat == "iterate" else x
        return state, RoundStats(int(self.compressor.bits(M).sum()), dense_broadcast_bits(x.size), self.n)

    def output(self, state):
        return state["x"]


class UncompressedStepDoubleSqueeze(DoubleSqueeze):
    """A realistic bug: the workers step with the server's vector w instead of the compressed
    broadcast u = C₀(w) they actually received (the bits are still counted for u)."""

    def _round(self, s: DoubleSqueezeState, oracle, rng, tally):
        X = np.broadcast_to(s.x, s.Dw.shape)
        G = self.query(s, oracle, X, rng, tally)
        P = G + s.Dw
        V = self.uplink(s, self.C, P, rng, tally)
        s.Dw = P - V
        w = V.mean(axis=0) + s.Ds
        u = self.broadcast(s, w, tally, self.C0, rng)
        s.Ds = w - u
        s.x = s.x - self.gamma * w  # the bug: w, not u
        return s


_MESSAGES = {"query": "oracle query point", "uplink": "uplink message", "broadcast": "broadcast message",
             "iterate": "reported point"}


@pytest.mark.parametrize("cheat", CheatingPSGD.CHEATS)
def test_hook_level_audit_catches_each_kind_of_cheat(cheat):
    ch = CHAINS["sc"]
    with pytest.raises(ZeroRespectingViolation, match=_MESSAGES[cheat]):
        _trajectory(CheatingPSGD(cheat).with_audit(True), ch, rounds=5)
    _trajectory(CheatingPSGD(cheat), ch, rounds=5)  # without the audit the cheat runs through
    _, s = _trajectory(CheatingPSGD(None).with_audit(True), ch)  # the honest twin passes
    assert s.audit.checks >= 3 * ROUNDS


@pytest.mark.parametrize("cheat", CheatingBlackBox.CHEATS)
def test_black_box_audit_catches_each_kind_of_cheat(cheat):
    ch = CHAINS["gc"]
    C = RandS(ch.s, scaled=False, shared=True)
    with pytest.raises(ZeroRespectingViolation, match=_MESSAGES[cheat]):
        _trajectory(BlackBoxAudit(CheatingBlackBox(C, cheat)), ch, rounds=5)
    _trajectory(CheatingBlackBox(C, cheat), ch, rounds=5)
    twin = BlackBoxAudit(CheatingBlackBox(C, None))
    _trajectory(twin, ch)
    assert twin.current.checks >= 3 * ROUNDS


def test_audit_catches_a_method_stepping_with_what_it_never_received():
    """The workers' next query point contains coordinates of w that C₀ dropped."""
    ch = CHAINS["sc"]
    C = RandS(ch.s, scaled=False, shared=True)
    with pytest.raises(ZeroRespectingViolation, match="worker .* oracle query point"):
        _trajectory(UncompressedStepDoubleSqueeze(C, 1.0).with_audit(True), ch)
    _trajectory(UncompressedStepDoubleSqueeze(C, 1.0), ch)
    _trajectory(DoubleSqueeze(C, 1.0).with_audit(True), ch)


@pytest.mark.parametrize("setting", sorted(CHAINS))
def test_audit_catches_the_algorithm_that_knows_the_answer(setting):
    """The power check's cheater of the lower-bound tests reports x* (dense) after round 1."""
    ch = CHAINS[setting]
    answer = np.ones(ch.d)
    with pytest.raises(ZeroRespectingViolation, match="reported point"):
        _trajectory(audited(KnowsTheAnswer(answer)), ch, rounds=1)
    _trajectory(KnowsTheAnswer(answer), ch, rounds=1)

"""The algorithm zoo (issue 5): convergence, identity reductions, hand-computed EF/EF21 rounds,
per-direction bit counts, theorem assumptions, and the SC report's algorithms left unchanged."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from alg_cases import CASE_BY_NAME, CASES, CosineNC, NoisyQuadratic, Quadratic, iterates
from algorithms import registry
from algorithms.adiana import ADIANA
from algorithms.artemis import Artemis
from algorithms.cgd import CompressedGD
from algorithms.cser import CSER
from algorithms.diana import DIANA
from algorithms.doublesqueeze import DoubleSqueeze
from algorithms.ef21 import EF21, EF21SGD
from algorithms.memsgd import MemSGD
from algorithms.neolithic import AcceleratedNeolithic
from algorithms.neolithic_gc import AcceleratedNeolithicGC
from algorithms.neolithic_nc import NeolithicNC
from algorithms.nesterov import Nesterov
from algorithms.psgd import PSGD
from algorithms.qsgd import QSGD
from constructions.base import ExactOracle
from constructions.compressors import VALUE_BITS, Compressor, Identity, RandS, index_bits
from constructions.sc_chain import SCSplitChain
from constructions.zoo import TopK

N, D = 4, 8


# ------------------------------------------------------------------ convergence
@pytest.mark.parametrize("scaled", [True, False], ids=["unbiased", "contractive"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_converges_to_the_analytic_minimiser(case, scaled):
    """Shared rand-s (ω = 1 or δ = 1/2) on a heterogeneous quadratic with κ = 4. CSER's local
    models drift apart under heterogeneity (a known floor of local-model methods), so it gets the
    homogeneous quadratic; everything else the heterogeneous one."""
    if case.unbiased_only and not scaled:
        pytest.skip("the default step needs an unbiased compressor")
    P = Quadratic(n=N, d=D, homogeneous=case.name == "cser")
    alg = case.make(RandS(4, scaled=scaled, shared=True), P.L, P.mu, D)
    rng = np.random.default_rng(0)
    s = alg.init(N, D, np.zeros(D), rng)
    e0 = float(np.sum(P.x_star**2))
    for _ in range(6000):
        s, _ = alg.step(s, P, rng)
    assert np.sum((alg.output(s) - P.x_star) ** 2) <= 1e-12 * e0


@pytest.mark.parametrize("case", [c for c in CASES if not c.convex_only], ids=lambda c: c.name)
def test_nc_methods_drive_the_gradient_below_target(case):
    """‖∇f(x̂)‖² ≤ 10⁻¹⁰·‖∇f(x⁰)‖² on a small non-convex problem (L = 1, λ_min(∇²f) < 0 on the
    path), shared unbiased rand-s with ω = 1. CSER: homogeneous copy, as above."""
    P = CosineNC(n=N, d=6, homogeneous=case.name == "cser")
    x0 = np.full(6, 2.0)
    assert np.min(P.lam - P.a * np.cos(x0 - P.c)) < 0  # the start is in a non-convex region
    alg = case.make(RandS(3, scaled=True, shared=True), P.L, 0.0, 6)
    rng = np.random.default_rng(0)
    s = alg.init(N, 6, x0, rng)
    for _ in range(6000):
        s, _ = alg.step(s, P, rng)
    assert P.grad_norm2(alg.output(s)) <= 1e-10 * P.grad_norm2(x0)


def test_diana_and_ef21_are_exact_under_heterogeneity_where_qsgd_stalls():
    """Independent rand-s: QSGD keeps a ω ζ*²/n noise floor (THEORY.md §7), the shift methods
    learn ∇f_i(x*) and converge. The floor is a property of the method, so it must show."""
    P = Quadratic(n=N, d=D)
    C = RandS(4, scaled=True, shared=False)
    out = {}
    for name, alg in {"qsgd": QSGD(C, 1.0), "diana": DIANA(C, 1.0, mu=P.mu), "ef21": EF21(C, 1.0)}.items():
        xs, _ = iterates(alg, P, N, D, 4000)
        out[name] = np.sum((xs[-200:] - P.x_star) ** 2, axis=1).max()
    assert out["diana"] < 1e-20 and out["ef21"] < 1e-20
    assert out["qsgd"] > 1e-6


# ------------------------------------------------------------------ identity reductions
def _same(a: np.ndarray, b: np.ndarray) -> None:
    # Exact in arithmetic; the shift methods add and subtract the same numbers (h + (g − h)),
    # so allow a few ulps of reassociation per round, nothing more.
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


P_NOISY = NoisyQuadratic(sigma=0.3, n=N, d=D)
ROUNDS = 60


def _psgd(gamma: float, rounds: int = ROUNDS) -> np.ndarray:
    return iterates(PSGD(1.0, gamma=gamma), P_NOISY, N, D, rounds, seed=3)[0]


@pytest.mark.parametrize("make", [
    lambda I: QSGD(I, 1.0),
    lambda I: CompressedGD(I, 1.0, D),
    lambda I: MemSGD(I, 1.0),
    lambda I: EF21(I, 1.0),
    lambda I: EF21SGD(I, 1.0),
    lambda I: DoubleSqueeze(I, 1.0),
    lambda I: DIANA(I, 1.0, mu=0.25),
    lambda I: Artemis(I, 1.0),
    lambda I: NeolithicNC(I, 1.0, R=1),
    lambda I: NeolithicNC(I, 1.0, R=1, error_feedback=True),
], ids=["qsgd", "cgd", "memsgd", "ef21", "ef21-sgd", "doublesqueeze", "diana", "artemis",
        "neolithic-nc", "neolithic-nc-ef"])
def test_identity_compressor_gives_psgd(make):
    """Same seed, stochastic oracle: every compressed SGD-type method with C = identity is PSGD
    with its own step size (the defaults reduce to 1/L where the derivation allows)."""
    alg = make(Identity())
    xs, _ = iterates(alg, P_NOISY, N, D, ROUNDS, seed=3)
    _same(xs, _psgd(alg.gamma))


def test_identity_defaults_reduce_to_psgd_step():
    for alg in (QSGD(Identity(), 2.0), MemSGD(Identity(), 2.0), EF21(Identity(), 2.0),
                DoubleSqueeze(Identity(), 2.0), DIANA(Identity(), 2.0), CSER(Identity(), 2.0)):
        alg.init(N, D, np.zeros(D), np.random.default_rng(0))
        assert alg.gamma == 0.5, alg.name


def test_bidirectional_neolithic_nc_with_identity_is_psgd_every_two_rounds():
    alg = NeolithicNC(Identity(), 1.0, R=1, bidirectional=True)
    xs, stats = iterates(alg, P_NOISY, N, D, 2 * ROUNDS, seed=3)
    _same(xs[::2], _psgd(alg.gamma))
    assert [s.oracle_calls for s in stats[:4]] == [N, 0, N, 0]


def test_neolithic_nc_accumulates_R_samples_per_iteration():
    """With the identity, MSC returns g_i after its first step: R rounds of minibatch SGD with
    the R samples drawn at x^k (reference written here, same generator stream)."""
    R, K, gamma = 3, 20, 0.2
    xs, stats = iterates(NeolithicNC(Identity(), 1.0, R=R, gamma=gamma), P_NOISY, N, D, R * K, seed=5)
    rng, x, ref = np.random.default_rng(5), np.zeros(D), [np.zeros(D)]
    for _ in range(K):
        X = np.broadcast_to(x, (N, D))
        G = P_NOISY.query(X, rng)
        for _ in range(R - 1):
            G = G + P_NOISY.query(X, rng)
        x = x - gamma * (G / R).mean(axis=0)
        ref += [ref[-1]] * (R - 1) + [x]
    _same(xs, np.array(ref))
    assert sum(s.oracle_calls for s in stats) == N * R * K  # sample budget = round budget


@pytest.mark.parametrize("make", [
    lambda R: NeolithicNC(RandS(2, scaled=False, shared=True), 1.0, R=R),
    lambda R: AcceleratedNeolithic(RandS(2, scaled=False, shared=True), 1.0, 0.25, D, R=R),
    lambda R: AcceleratedNeolithicGC(RandS(2, scaled=False, shared=True), 1.0, D, R=R),
], ids=["neolithic-nc", "neolithic", "neolithic-gc"])
def test_neolithic_records_its_samples_in_the_round_they_are_drawn(make):
    """MSC's first message needs the whole R-sample average, so all R samples are drawn in the
    first round of an outer iteration (module docstrings): the record says n·R there and 0 in the
    other R − 1 rounds, never R queries that were not made. A deterministic oracle's R samples
    coincide: one query per worker, recorded as n (within one query per worker per round)."""
    R, K = 3, 4
    _, noisy = iterates(make(R), P_NOISY, N, D, R * K, seed=2)
    assert [s.oracle_calls for s in noisy] == [N * R, 0, 0] * K
    _, exact = iterates(make(R), Quadratic(n=N, d=D), N, D, R * K, seed=2)
    assert [s.oracle_calls for s in exact] == [N, 0, 0] * K


def test_ef21_sgdm_with_identity_is_sgd_with_averaged_momentum():
    a, gamma = 0.3, 0.2
    xs, _ = iterates(EF21SGD(Identity(), 1.0, gamma=gamma, momentum=a), P_NOISY, N, D, ROUNDS, seed=3)
    rng, x, v, ref = np.random.default_rng(3), np.zeros(D), np.zeros(D), [np.zeros(D)]
    for _ in range(ROUNDS):
        v = (1 - a) * v + a * P_NOISY.query(np.broadcast_to(x, (N, D)), rng).mean(axis=0)
        x = x - gamma * v
        ref.append(x)
    _same(xs, np.array(ref))


def test_cser_with_identity_is_psgd_on_its_gradient_rounds():
    alg = CSER(Identity(), 1.0, H=3)
    xs, stats = iterates(alg, P_NOISY, N, D, 4 * ROUNDS // 3, seed=3)
    grad_rounds = [0] + [t + 1 for t, s in enumerate(stats) if s.oracle_calls > 0]
    assert len(grad_rounds) - 1 == ROUNDS
    _same(xs[grad_rounds], _psgd(alg.gamma))
    assert [s.oracle_calls for s in stats[:4]] == [N, N, N, 0]  # every 4th round is a reset


def test_accelerated_neolithic_p1_R1_identity_is_nesterov():
    """THEORY.md §5.3: p = 1 is Nesterov with momentum 1 − γ and step η."""
    alg = AcceleratedNeolithic(Identity(), 1.0, 0.25, D, R=1)
    xs, _ = iterates(alg, P_NOISY, N, D, ROUNDS, seed=3)
    ref, _ = iterates(Nesterov(1.0, eta=alg.eta, beta=1.0 - alg.gamma), P_NOISY, N, D, ROUNDS, seed=3)
    _same(xs, ref)


def test_accelerated_neolithic_gc_R1_identity_is_nesterov_gc():
    alg = AcceleratedNeolithicGC(Identity(), 1.0, D, R=1)
    xs, _ = iterates(alg, P_NOISY, N, D, ROUNDS, seed=3)
    ref, _ = iterates(Nesterov(1.0, eta=alg.eta), P_NOISY, N, D, ROUNDS, seed=3)
    _same(xs, ref)


def test_accelerated_neolithic_p_above_one_is_not_nesterov_but_converges():
    """p > 1 adds §5.3's correction term: a different trajectory, same limit."""
    P = Quadratic(n=N, d=D)
    xs2, _ = iterates(AcceleratedNeolithic(Identity(), 1.0, 0.25, D, R=1, p=2.0), P, N, D, 400)
    xs1, _ = iterates(AcceleratedNeolithic(Identity(), 1.0, 0.25, D, R=1), P, N, D, 400)
    assert np.max(np.abs(xs2[1:20] - xs1[1:20])) > 1e-3
    assert np.sum((xs2[-1] - P.x_star) ** 2) < 1e-20


def test_adiana_with_identity_is_the_uncompressed_accelerated_method():
    """ADIANA's recursion with exact shifts (α = 1, C = identity: g^k = ∇f(x^k)), written out
    here in the paper's notation; the anchor coin uses the same generator stream."""
    alg = ADIANA(Identity(), 1.0, 0.25, alpha=1.0, p=0.5)
    xs, _ = iterates(alg, P_NOISY, N, D, 2 * ROUNDS, seed=4)
    rng = np.random.default_rng(4)
    y = z = w = np.zeros(D)
    ref = [y]
    t1, t2, eta, gam, beta = alg.theta1, alg.theta2, alg.eta, alg.gamma, alg.beta
    for _ in range(ROUNDS):
        x = t1 * z + t2 * w + (1 - t1 - t2) * y
        g = P_NOISY.query(np.broadcast_to(x, (N, D)), rng).mean(axis=0)
        y_new = x - eta * g
        z = beta * z + (1 - beta) * x + (gam / eta) * (y_new - x)
        P_NOISY.query(np.broadcast_to(w, (N, D)), rng)  # round B's query (shifts only)
        w = y if rng.random() < alg.p else w
        y = y_new
        ref += [y, y]
    _same(xs, np.array(ref))


# ------------------------------------------------------------------ hand-computed rounds
class _Shifted:
    """∇f_i(x) = x − b_i with b_1 = (4, 1), b_2 = (−1, 2): dyadic numbers throughout."""

    deterministic = True
    b = np.array([[4.0, 1.0], [-1.0, 2.0]])

    def query(self, X, rng):
        return np.broadcast_to(X, (2, 2)) - self.b


def _run(alg, rounds=3):
    rng = np.random.default_rng(0)
    s = alg.init(2, 2, np.zeros(2), rng)
    for _ in range(rounds):
        s, _ = alg.step(s, _Shifted(), rng)
    return s


def test_memsgd_three_rounds_by_hand():
    """γ = 1/2, top-1. Round 1 at x = 0: g = (−4,−1), (1,−2); p = γg = (−2,−½), (½,−1);
    Δ = (−2,0), (0,−1); e = (0,−½), (½,0); x = (1,½). Round 2: g = (−3,−½), (2,−3/2);
    p = (−3/2,−3/4), (3/2,−3/4); Δ = (−3/2,0), (3/2,0); e = (0,−3/4), (0,−3/4); x unchanged.
    Round 3: p = (−3/2,−1), (1,−3/2); Δ = (−3/2,0), (0,−3/2); e = (0,−1), (1,0); x = (7/4,5/4).
    Residuals against the *average* Δ would give e₁ = (−1, 0) after round 1 instead."""
    s = _run(MemSGD(TopK(1), 1.0, gamma=0.5))
    np.testing.assert_array_equal(s.x, [1.75, 1.25])
    np.testing.assert_array_equal(s.E, [[0.0, -1.0], [1.0, 0.0]])


def test_ef21_three_rounds_by_hand():
    """γ = 1/2, top-1, g_i⁰ = 0. Round 1: c = (−4,0), (0,−2); g = (−2,−1); x = (1,½).
    Round 2: ∇f = (−3,−½), (2,−3/2); differences to the worker's own g_i: (1,−½), (2,½);
    c = (1,0), (2,0); g_i = (−3,0), (2,−2); g = (−½,−1); x = (5/4,1). Round 3: ∇f = (−11/4,0),
    (9/4,−1); differences (¼,0), (¼,1); c = (¼,0), (0,1); g_i = (−11/4,0), (2,−1);
    g = (−3/8,−½); x = (23/16, 5/4)."""
    s = _run(EF21(TopK(1), 1.0, gamma=0.5))
    np.testing.assert_array_equal(s.x, [1.4375, 1.25])
    np.testing.assert_array_equal(s.Gi, [[-2.75, 0.0], [2.0, -1.0]])
    np.testing.assert_array_equal(s.g, [-0.375, -0.5])


def test_doublesqueeze_three_rounds_by_hand():
    """γ = 1/2, top-1 both ways. Round 1: v = (−4,0), (0,−2); δ_i = (0,−1), (1,0);
    w = mean v = (−2,−1); u = (−2,0); δ = (0,−1); x = (1,0). Round 2: g = (−3,−1), (2,−2);
    g + δ_i = (−3,−2), (3,−2); v = (−3,0), (3,0); δ_i = (0,−2), (0,−2); w = (0,0) + δ = (0,−1);
    u = (0,−1); δ = 0; x = (1,½). Round 3: g = (−3,−½), (2,−3/2); g + δ_i = (−3,−5/2),
    (2,−7/2); v = (−3,0), (0,−7/2); δ_i = (0,−5/2), (2,0); w = (−3/2,−7/4); u = (0,−7/4);
    δ = (−3/2,0); x = (1, 11/8)."""
    s = _run(DoubleSqueeze(TopK(1), 1.0, gamma=0.5))
    np.testing.assert_array_equal(s.x, [1.0, 1.375])
    np.testing.assert_array_equal(s.Dw, [[0.0, -2.5], [2.0, 0.0]])
    np.testing.assert_array_equal(s.Ds, [-1.5, 0.0])


# ------------------------------------------------------------------ bits per direction
class _Spy(Compressor):
    """Delegates to ``inner`` and records, per call, the rows and the declared bits of the output."""

    name = "spy"

    def __init__(self, inner: Compressor) -> None:
        self.inner, self.calls = inner, []

    unbiased = property(lambda self: self.inner.unbiased)  # type: ignore[assignment]
    contractive = property(lambda self: self.inner.contractive)  # type: ignore[assignment]
    shared = property(lambda self: self.inner.shared)  # type: ignore[assignment]

    def omega_expr(self):
        return self.inner.omega_expr()

    def delta_expr(self):
        return self.inner.delta_expr()

    def __call__(self, V, rng):
        out = self.inner(V, rng)
        self.calls.append((V.shape[0], int(self.inner.bits(out).sum())))
        return out

    def bits(self, M):
        return self.inner.bits(M)


@pytest.mark.parametrize("shared", [True, False], ids=["shared", "independent"])
@pytest.mark.parametrize("case", [c for c in CASES if c.uses_compressor], ids=lambda c: c.name)
def test_bits_match_the_declared_costs_per_direction(case, shared):
    """Every uplink call costs n·s·(64 + index bits) (rand-s's declaration, independently
    computed here); a round's uplink bits are exactly the sum over its uplink calls; the downlink
    is a dense broadcast (64·d), a compressed one (rand-s's cost), ADIANA's 1-bit coin, or nothing."""
    d, s_ = 16, 4
    ch = SCSplitChain(L=1.0, mu=0.1, d=d, n=N)
    up = _Spy(RandS(s_, scaled=True, shared=shared))
    alg = case.make(up, ch.L, ch.mu, d)
    rng = np.random.default_rng(0)
    st = alg.init(N, d, np.zeros(d), rng)
    per_msg = s_ * (VALUE_BITS + (0 if shared else index_bits(d)))
    for _ in range(40):
        before = len(up.calls)
        st, stats = alg.step(st, ExactOracle(ch), rng)
        new = up.calls[before:]
        ups = [b for rows, b in new if rows == N]
        downs = [b for rows, b in new if rows == 1]
        assert all(b == N * per_msg for b in ups)
        assert stats.bits_up == sum(ups)
        assert all(b == per_msg for b in downs)
        rest = stats.bits_down - sum(downs)
        assert rest in (0, 1, VALUE_BITS * d)
        assert stats.oracle_calls % N == 0
    assert sum(r for r, _ in up.calls if r == N) > 0


def test_dense_methods_cost_64d_each_way():
    d = 16
    ch = SCSplitChain(L=1.0, mu=0.1, d=d, n=N)
    for alg in (PSGD(1.0), Nesterov(1.0, 0.1)):
        _, stats = iterates(alg, ExactOracle(ch), N, d, 5)
        assert all(s.bits_up == N * VALUE_BITS * d and s.bits_down == VALUE_BITS * d for s in stats)
        assert all(s.oracle_calls == N for s in stats)


# ------------------------------------------------------------------ assumptions and registry
@pytest.mark.parametrize("make", [
    lambda C: QSGD(C, 1.0), lambda C: DIANA(C, 1.0), lambda C: Artemis(C, 1.0),
    lambda C: ADIANA(C, 1.0, 0.1),
], ids=["qsgd", "diana", "artemis", "adiana"])
def test_unbiased_theorems_refuse_a_contractive_compressor(make):
    with pytest.raises(ValueError, match="unbiased"):
        make(TopK(2))


def test_explicit_steps_lift_the_assumption():
    # with the step given, the theorem's formula (and so its unbiasedness assumption) is not used
    assert QSGD(TopK(2), 1.0, gamma=0.1)._gamma == 0.1
    assert DIANA(TopK(2), 1.0, gamma=0.1, alpha=0.5)._gamma == 0.1


@pytest.mark.parametrize("bad", [
    lambda: PSGD(-1.0), lambda: PSGD(1.0, gamma=0.0), lambda: CSER(Identity(), 1.0, H=0),
    lambda: NeolithicNC(Identity(), 1.0, R=0), lambda: NeolithicNC(Identity(), 1.0, output_rule="best"),
    lambda: EF21SGD(Identity(), 1.0, momentum=1.5), lambda: Nesterov(1.0, mu=2.0),
    lambda: ADIANA(Identity(), 1.0, 0.1, p=2.0),
])
def test_parameters_are_validated_with_a_named_message(bad):
    with pytest.raises(ValueError, match=r"(L|gamma|H|R|output_rule|momentum|mu|p) "):
        bad()


def test_every_registered_name_loads_an_algorithm_class():
    from algorithms.base import Algorithm

    expected = {"psgd", "qsgd", "cgd", "memsgd", "ef21", "ef21-sgd", "doublesqueeze", "cser",
                "artemis", "diana", "adiana", "nesterov", "neolithic", "neolithic-nc", "neolithic-gc"}
    assert expected <= set(registry.ALGORITHMS)
    for name in registry.ALGORITHMS:
        assert issubclass(registry.load(name), Algorithm)


def test_uniform_output_rule_reports_a_past_iterate():
    P = Quadratic(n=N, d=D)
    alg = NeolithicNC(Identity(), 1.0, R=1, output_rule="uniform")
    rng = np.random.default_rng(0)
    s = alg.init(N, D, np.zeros(D), rng)
    seen = [s.x.copy()]
    for _ in range(30):
        s, _ = alg.step(s, P, rng)
        seen.append(s.x.copy())
        assert any(np.array_equal(alg.output(s), x) for x in seen)


# ------------------------------------------------------------------ the SC report's algorithms
@pytest.mark.parametrize("make, digest", [
    (lambda: AcceleratedNeolithic(RandS(10, scaled=True, shared=True), 1.0, 0.05, 40),
     "2fc360f838d5b989e38aed878b92407a7b2fc47692b2f70731c5690452a6e251"),
    (lambda: CompressedGD(RandS(10, scaled=False, shared=True), 1.0, 40),
     "abfa11f15c9be64d2f983476b1f9eb30c16b34c2f7a5abebace2efae6deae6c1"),
], ids=["neolithic", "cgd"])
def test_sc_report_algorithms_keep_their_default_iterates(make, digest):
    """The strongly convex report depends on these two with default arguments: their iterates for
    seed 7 are pinned (digest recorded from the code as it was before the zoo was added)."""
    ch = SCSplitChain(L=1.0, mu=0.05, d=40, n=4)
    alg = make()
    rng = np.random.default_rng(7)
    s = alg.init(4, 40, np.zeros(40), rng)
    h = hashlib.sha256()
    for _ in range(300):
        s, _ = alg.step(s, ExactOracle(ch), rng)
        h.update(alg.output(s).tobytes())
    assert h.hexdigest() == digest

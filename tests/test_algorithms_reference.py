"""The vectorised rounds agree with the per-worker reference (``algorithms.reference``): same
iterates, same state, same bits and oracle calls, round after round, for every method and
compressor class, deterministic and stochastic oracles. The benchmark times the two against each
other, so the ratio it reports compares two implementations of the same thing."""

from __future__ import annotations

import numpy as np
import pytest

from alg_cases import CASE_BY_NAME, CASES, NoisyQuadratic, Quadratic
from algorithms import registry
from algorithms.reference import ROUNDS, reference_step
from constructions.compressors import Identity, RandS
from constructions.zoo import TopK

N, D, ROUNDS_RUN = 4, 8, 40

COMPRESSORS = {
    "identity": lambda: Identity(),
    "rand-s-unbiased": lambda: RandS(2, scaled=True, shared=False),
    "rand-s-contractive": lambda: RandS(2, scaled=False, shared=False),
    "top-k": lambda: TopK(3),
}
PROBLEMS = {"exact": Quadratic(n=N, d=D), "noisy": NoisyQuadratic(sigma=0.3, n=N, d=D)}


def _arrays(state) -> dict[str, np.ndarray]:
    return {k: v for k, v in vars(state).items() if isinstance(v, np.ndarray) and k != "work"}


def _runs():
    for case in CASES:
        for cname in COMPRESSORS:
            if not case.uses_compressor and cname != "identity":
                continue
            if case.unbiased_only and cname in ("rand-s-contractive", "top-k"):
                continue
            yield case, cname


@pytest.mark.parametrize("problem", sorted(PROBLEMS))
@pytest.mark.parametrize("case, cname", list(_runs()), ids=[f"{c.name}-{k}" for c, k in _runs()])
def test_vectorised_round_equals_the_per_worker_reference(case, cname, problem):
    P = PROBLEMS[problem]
    fast, ref = case.make(COMPRESSORS[cname](), P.L, P.mu, D), case.make(COMPRESSORS[cname](), P.L, P.mu, D)
    rf, rr = np.random.default_rng(5), np.random.default_rng(5)
    sf, sr = fast.init(N, D, np.zeros(D), rf), ref.init(N, D, np.zeros(D), rr)
    for t in range(ROUNDS_RUN):
        sf, st_f = fast.step(sf, P, rf)
        sr, st_r = reference_step(ref, sr, P, rr)
        assert st_f == st_r, f"round {t + 1}"
        # Exact in arithmetic; EF21's identity shortcut (g_i⁺ = ∇f_i instead of g_i + (∇f_i − g_i))
        # and reassociated means differ by rounding only.
        np.testing.assert_allclose(fast.output(sf), ref.output(sr), rtol=1e-12, atol=1e-12)
    for k, v in _arrays(sf).items():
        np.testing.assert_allclose(v, getattr(sr, k), rtol=1e-12, atol=1e-12, err_msg=k)
    assert rf.random() == rr.random()  # the same random numbers were drawn


def test_every_registered_method_has_a_reference():
    assert {registry.load(name) for name in registry.ALGORITHMS} <= set(ROUNDS)


def test_reference_refuses_a_shared_random_compressor():
    P = PROBLEMS["exact"]
    alg = CASE_BY_NAME["cgd"].make(RandS(2, scaled=True, shared=True), P.L, P.mu, D)
    s = alg.init(N, D, np.zeros(D), np.random.default_rng(0))
    with pytest.raises(ValueError, match="shared"):
        reference_step(alg, s, P, np.random.default_rng(0))


def test_ef21_identity_path_is_psgd_bit_for_bit_across_column_blocks():
    """EF21 with the identity computes g_i⁺ = ∇f_i and g⁺ = mean ∇f_i block of columns by block
    (a cache trick); at d beyond one block it must still be PSGD exactly, and T.mean's value."""
    from algorithms.ef21 import EF21, _copy_and_mean
    from algorithms.psgd import PSGD

    n, d = 3, 100_000  # several blocks of 131072 // 3 columns, the last one partial
    rng = np.random.default_rng(0)
    T = rng.standard_normal((n, d))
    rows, mean = np.empty_like(T), np.empty(d)
    _copy_and_mean(T, rows, mean)
    assert np.array_equal(rows, T) and np.array_equal(mean, T.mean(axis=0))

    class Sep:
        deterministic = True
        A, B = rng.uniform(0.1, 1.0, (n, d)), rng.standard_normal((n, d))

        def query(self, X, rng):
            return self.A * (X - self.B)

    xs = {}
    for alg in (EF21(Identity(), 1.0), PSGD(1.0)):
        r = np.random.default_rng(1)
        s = alg.init(n, d, np.zeros(d), r)
        for _ in range(5):
            s, _ = alg.step(s, Sep(), r)
        xs[alg.name] = alg.output(s)
    assert np.array_equal(xs["ef21"], xs["psgd"])

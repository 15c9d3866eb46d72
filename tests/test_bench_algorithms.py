"""The algorithm benchmark's references compute what the vectorised rounds compute (so its ratios
compare like with like), and its pieces run and report finite numbers (the full run is
``lowerbounds bench --only algorithms``; here only small sizes, to stay fast)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from algorithms import registry
from lowerbounds.benchmarks import algorithms as B
from constructions.compressors import Identity


@pytest.mark.parametrize("name", B.PURE_PYTHON)
def test_pure_python_reference_agrees_with_the_vectorised_round(name):
    n, d = 3, 50
    P = B.SeparableQuadratic(n, d, seed=4)
    alg = B.make(name, Identity(), d)
    rng = np.random.default_rng(0)
    s = alg.init(n, d, np.zeros(d), rng)
    st = B.pure_python_state(n, d)
    rnd = B.pure_python_round(name, alg)
    for _ in range(6):
        s, _ = alg.step(s, P, rng)
        rnd(P, st)
        np.testing.assert_allclose(alg.output(s), st["x"], rtol=1e-12, atol=1e-12)
    assert np.abs(alg.output(s)).max() > 0.1  # the runs moved


def test_pure_python_reference_is_refused_for_other_methods():
    with pytest.raises(ValueError, match="pure-Python"):
        B.pure_python_round("adiana", None)


def test_every_registered_method_is_benchmarked_with_both_compressors():
    P = B.SeparableQuadratic(2, 40)
    for name in registry.ALGORITHMS:
        for C_make in (Identity, lambda: B._rand_s(name, 40)):
            r = B._versus_per_worker(name, C_make, P, block=2, reps=1)
            assert all(math.isfinite(v) and v > 0 for k, v in r.items() if k != "subnormals_in_states")


def test_ef21_bandwidth_reports_a_fraction_of_the_copy_bandwidth():
    r = B.ef21_bandwidth(2, 20_000, reps=1)
    for label in ("excluding_oracle", "including_oracle"):
        f = r[label]["fraction_of_copy_bandwidth"]
        assert math.isfinite(f) and f > 0
    assert r["including_oracle"]["bytes_must_touch_MB"] > r["excluding_oracle"]["bytes_must_touch_MB"]

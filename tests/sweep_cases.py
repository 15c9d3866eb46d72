"""Small runs for the sweep and store tests, in an importable module (joblib and Dask workers
import ``execute`` by name, so it cannot live in a test function).

A :class:`ToySpec` is one real compressed-GD run on a small split SC chain (n = 2 workers,
rand-s with s = d/2, shared support), with a few knobs the tests turn:

* ``gamma_factor``: the step is ``gamma_factor / (L(1+ω))``; 1 is the descent-lemma step, a large
  value is deliberately unstable and makes the iterates overflow (a *diverged* run);
* ``fail``: raise inside the run, after the work, with a message naming the spec;
* ``sleep``: seconds to wait before returning, so a test can kill a sweep part-way.

The rows are a pure function of the spec (the seed comes from ``seed`` via SeedSequence).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from algorithms.cgd import CompressedGD
from constructions.base import ExactOracle
from constructions.compressors import RandS
from constructions.sc_chain import SCSplitChain
from lowerbounds.measure import run

COLUMNS = ("kappa", "d", "gamma", "seed", "eps_rel", "rounds", "status", "diverged_at", "final_gap",
           "bits_up")


@dataclass(frozen=True)
class ToySpec:
    kappa: float = 10.0
    d: int = 8
    seed: int = 0
    gamma_factor: float = 1.0
    budget: int = 400
    eps: tuple[float, ...] = (1e-2, 1e-3)
    fail: bool = False
    sleep: float = 0.0


def execute(spec: ToySpec) -> list[dict]:
    ch = SCSplitChain(L=1.0, mu=1.0 / spec.kappa, d=spec.d, n=2)
    comp = RandS(s=spec.d // 2, scaled=True, shared=True)
    gamma = spec.gamma_factor / (ch.L * (1.0 + comp.omega(spec.d)))
    alg = CompressedGD(comp, L=ch.L, d=spec.d, gamma=gamma)
    gap0 = ch.initial_gap
    rng = np.random.default_rng(np.random.SeedSequence(spec.seed))
    trace = run(ch, alg, ExactOracle(ch), n=2, d=spec.d, budget=spec.budget,
                eps_min=min(spec.eps) * gap0, rng=rng)
    if spec.sleep:
        time.sleep(spec.sleep)
    if spec.fail:
        raise ValueError(f"deliberate failure in the toy run with seed {spec.seed}")
    rows = []
    for e in spec.eps:
        t = trace.rounds_to_eps(e * gap0)
        final = float(trace.gaps[-1])
        rows.append(dict(
            kappa=spec.kappa, d=spec.d, gamma=gamma, seed=spec.seed, eps_rel=e,
            rounds="" if t is None else t,
            status="reached" if t is not None else trace.status,
            # the round whose iterate stopped being finite (the trace ends there)
            diverged_at=trace.rounds if trace.status == "diverged" else "",
            final_gap=final if math.isfinite(final) else "inf",
            bits_up="" if t is None else int(trace.bits_up[t]),
        ))
    return rows

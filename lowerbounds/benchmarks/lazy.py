"""Dimension-free simulation: cost per round of a lazy run at d = 10³ and at d = 10⁹ (issue 3 item 5).

One GC recipe (THEORY.md §2.3, §3.3; L = Δ_x = 1, n = 4, ω = 3, so d = 4s) at a fixed ε, hence a
fixed chain length K, built twice: with d = 10³ and with d = 10⁹. Each is run lazily
(:meth:`constructions.recipes.Recipe.lazy`: state on the K-coordinate window, rand-s over the nominal d
sampled exactly) with compressed gradient descent through :func:`lowerbounds.measure.run`. The two
dimensions are timed in interleaved repeats (so a load spike on the shared machine hits both) and
the median time per round of each is reported, with their ratio (target ≤ 2: a round at d = 10⁹
costs what a round at d = 10³ costs) and, for scale, the dense run at d = 10³. The mean progress
after K rounds (before the chain's end can be reached: progress ≤ Bin(K, 1/(1+ω))) is reported for
both dimensions; the crossing probability is 1/(1+ω) in both, so they should be close (a lazy run
that skipped the work would show no progress).
"""

from __future__ import annotations

import time

import numpy as np

from algorithms.cgd import CompressedGD
from constructions.base import ExactOracle
from constructions.recipes import gc_recipe
from lowerbounds.measure import run

D_SMALL, D_LARGE = 10**3, 10**9


def _time_run(problem, compressor, rounds: int, seed: int, at: int = 0) -> tuple[float, int]:
    """(seconds per round, progress after ``at`` rounds)."""
    alg = CompressedGD(compressor, 1.0, problem.d)
    t0 = time.perf_counter()
    tr = run(problem, alg, ExactOracle(problem), n=problem.n, d=problem.d, budget=rounds, eps_min=0.0,
             rng=np.random.default_rng(seed))
    return (time.perf_counter() - t0) / tr.rounds, int(tr.progs[min(at, tr.rounds)])


def benchmark(quick: bool = False) -> dict[str, float | str]:
    eps = 1e-4 if quick else 1e-5  # chain length K = 2t + 1 ≈ 41 (quick) or ≈ 133
    rounds = 300 if quick else 2000
    repeats = 5 if quick else 7
    small = gc_recipe(1.0, 1.0, 4, eps, omega=3, d=D_SMALL)
    large = gc_recipe(1.0, 1.0, 4, eps, omega=3, d=D_LARGE)
    assert small.chain_length == large.chain_length
    lazy_small, lazy_large = small.lazy(), large.lazy()
    _time_run(*lazy_small, 20, 0)  # warm-up: imports, numpy dispatch caches
    _time_run(*lazy_large, 20, 0)
    per = {"small": [], "large": [], "dense": []}
    prog = {"small": [], "large": []}
    for r in range(repeats):
        for key, (prob, comp) in (("small", lazy_small), ("large", lazy_large)):
            t, p = _time_run(prob, comp, rounds, seed=r, at=small.chain_length)
            per[key].append(t)
            prog[key].append(p)
        per["dense"].append(_time_run(small.instance, small.compressor, rounds, seed=r)[0])
    med = {k: float(np.median(v)) for k, v in per.items()}
    ratio = med["large"] / med["small"]
    return {
        "lazy.chain_length": float(small.chain_length),
        "lazy.rounds_per_run": float(rounds),
        "lazy.repeats": float(repeats),
        "lazy.per_round_us_d1e3": med["small"] * 1e6,
        "lazy.per_round_us_d1e9": med["large"] * 1e6,
        "lazy.ratio_d1e9_over_d1e3": ratio,
        "lazy.verdict": "ok" if ratio <= 2.0 else "SLOW",
        "lazy.dense_per_round_us_d1e3": med["dense"] * 1e6,
        "lazy.mean_progress_after_K_rounds_d1e3": float(np.mean(prog["small"])),
        "lazy.mean_progress_after_K_rounds_d1e9": float(np.mean(prog["large"])),
    }


if __name__ == "__main__":
    for k, v in benchmark().items():
        print(f"{k}: {v}")

"""One run, its per-round trace, and rounds-to-ε (issue 2, item 7).

A run records, after every communication round t = 0, 1, …, the suboptimality f(x̂_t) − f* of the
reported point, its progress prog(x̂_t), and the cumulative bits (up and down) and oracle calls.
Rounds-to-ε is the first t with f(x̂_t) − f* ≤ ε, read for a whole grid of ε from one trajectory.

Stopping: a run ends when the smallest ε of the grid is reached (every rounds-to-ε is then
determined exactly), when the round budget is spent (the unreached ε are *censored*, recorded as
"> budget", never dropped), or when the iterate stops being finite (*diverged*, with the round).
There is no plateau heuristic: on a zero-chain a plateau is the signal, not noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol

import numpy as np
from numpy.typing import NDArray

from algorithms.base import Algorithm
from constructions.base import Oracle


class Measured(Protocol):
    def gap(self, x: NDArray[np.float64]) -> float: ...
    def prog(self, x: NDArray[np.float64]) -> int: ...


@dataclass(frozen=True)
class Trace:
    """Per-round record of one run; arrays have length rounds + 1 (index t = after t rounds)."""

    gaps: NDArray[np.float64]
    progs: NDArray[np.int64]
    bits_up: NDArray[np.int64]
    bits_down: NDArray[np.int64]
    oracle_calls: NDArray[np.int64]
    budget: int
    status: str  # "reached", "budget" or "diverged"

    @property
    def rounds(self) -> int:
        return len(self.gaps) - 1

    def rounds_to_eps(self, eps: float) -> int | None:
        """First t with gap ≤ ε, or None when censored (not reached within the run)."""
        hit = np.flatnonzero(self.gaps <= eps)
        return int(hit[0]) if hit.size else None


def run(
    problem: Measured,
    algorithm: Algorithm,
    oracle: Oracle,
    *,
    n: int,
    d: int,
    budget: int,
    eps_min: float,
    rng: np.random.Generator,
    x0: NDArray[np.float64] | None = None,
    on_round: Callable[[int], None] | None = None,
) -> Trace:
    """Drive ``algorithm`` for at most ``budget`` rounds (see the module docstring for stopping)."""
    if budget < 1:
        raise ValueError(f"budget must be ≥ 1 round (got {budget})")
    x0 = np.zeros(d) if x0 is None else np.asarray(x0, dtype=np.float64)
    state = algorithm.init(n, d, x0, rng)
    gaps = np.empty(budget + 1)
    progs = np.empty(budget + 1, dtype=np.int64)
    up = np.zeros(budget + 1, dtype=np.int64)
    down = np.zeros(budget + 1, dtype=np.int64)
    calls = np.zeros(budget + 1, dtype=np.int64)
    x = algorithm.output(state)
    gaps[0], progs[0] = problem.gap(x), problem.prog(x)
    status = "budget"
    t = 0
    last_x = np.array(x, copy=True)
    if gaps[0] <= eps_min:
        status = "reached"
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            for t in range(1, budget + 1):
                state, st = algorithm.step(state, oracle, rng)
                x = algorithm.output(state)
                # Methods with inner rounds (NEOLITHIC's R MSC steps) keep x̂ for several rounds:
                # re-use its gap and progress then (O(d) comparison instead of a gradient).
                if last_x is not None and x.shape == last_x.shape and np.array_equal(x, last_x):
                    g, pg = gaps[t - 1], progs[t - 1]
                else:
                    g, pg = problem.gap(x), None
                    last_x = np.array(x, copy=True)
                up[t] = up[t - 1] + st.bits_up
                down[t] = down[t - 1] + st.bits_down
                calls[t] = calls[t - 1] + st.oracle_calls
                if not np.isfinite(g):
                    gaps[t], progs[t] = np.inf, problem.prog(np.nan_to_num(x))
                    status = "diverged"
                    break
                gaps[t], progs[t] = g, problem.prog(x) if pg is None else pg
                if on_round is not None:
                    on_round(t)
                if g <= eps_min:
                    status = "reached"
                    break
    m = t + 1
    return Trace(gaps[:m].copy(), progs[:m].copy(), up[:m].copy(), down[:m].copy(), calls[:m].copy(),
                 budget, status)


def outcome(trace: Trace, eps: float) -> dict:
    """The measurement columns of a results row for accuracy ε (the experiments' shared schema):
    rounds-to-ε (empty when censored), the status, the round a diverged run stopped at, and the
    bits, oracle calls and progress at the hit."""
    t = trace.rounds_to_eps(eps)
    hit = t is not None
    return dict(
        rounds=t if hit else "", censored=not hit, status="reached" if hit else trace.status,
        diverged_at=trace.rounds if trace.status == "diverged" else "",
        bits_up=int(trace.bits_up[t]) if hit else "", bits_down=int(trace.bits_down[t]) if hit else "",
        oracle_calls=int(trace.oracle_calls[t]) if hit else "", prog_at_hit=int(trace.progs[t]) if hit else "",
    )


def hyperparameter_text(algorithm: object) -> str:
    """``key=value;...`` of the values an algorithm actually used (provenance column)."""
    hp = algorithm.hyperparameters() if hasattr(algorithm, "hyperparameters") else {}
    return ";".join(f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}" for k, v in hp.items())


def run_rng(master_seed: int, seed_index: int) -> np.random.Generator:
    """The generator of run ``seed_index``: ``SeedSequence(master_seed, spawn_key=(seed_index,))``,
    shared by every point and algorithm of a sweep (common random numbers)."""
    return np.random.default_rng(np.random.SeedSequence(master_seed, spawn_key=(seed_index,)))

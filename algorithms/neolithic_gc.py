"""Accelerated NEOLITHIC for generally convex problems (paper B; THEORY.md §5.3 update, §5.4 GC
defaults).

The update is that of :class:`algorithms.neolithic.AcceleratedNeolithic` (THEORY.md §5.3) with a
**time-varying** γ_k in outer iteration k = 0, 1, …:

    γ_k = 3/(k + 3)      (momentum 1 − γ_k = k/(k + 3) when p = 1)

THEORY.md §5.3 notes that GC "presumably needs time-varying momentum (β_k → 1, e.g. k/(k+3))" and
that B's exact schedule is [U]: this schedule is the toolkit's own choice (§5.4), as are the
defaults R = ⌈(1/δ)·ln(16d)⌉ (the §5.4 quick check's R; GC has no κ to put in the log), p = 1 and
η = 1/(2L). p > 1 keeps §5.3's extra correction term with the same γ_k (γ_k ≤ 1 ≤ p).

With p = 1, R = 1 and the identity compressor this is Nesterov's method with β_k = k/(k+3)
(:class:`algorithms.nesterov.Nesterov` with ``mu=None``), checked in the tests. The strongly convex
class is left untouched (its defaults feed the SC report); this subclass only sets γ before each
outer iteration.
"""

from __future__ import annotations

import math

import numpy as np

from algorithms.base import Array, RoundStats, check_positive
from algorithms.neolithic import AcceleratedNeolithic, NeolithicState
from constructions.base import Oracle
from constructions.compressors import Compressor, Scaled


def default_R_gc(delta: float, d: int) -> int:
    """THEORY.md §5.4 (toolkit's choice): R = ⌈(1/δ)·ln(16d)⌉."""
    return max(1, math.ceil(math.log(16.0 * d) / delta))


class AcceleratedNeolithicGC(AcceleratedNeolithic):
    name = "neolithic-gc"

    def __init__(self, compressor: Compressor, L: float, d: int, R: int | None = None,
                 p: float = 1.0, eta: float | None = None) -> None:
        L = check_positive("L", L)
        if R is None:
            R = default_R_gc(float(Scaled.to_contractive(compressor, d).delta(d)), d)
        # μ = L and γ = 1 only satisfy the parent's validation; γ is replaced every iteration.
        super().__init__(compressor, L, L, d, R=R, p=p, eta=eta, gamma=1.0)
        self.mu = 0.0

    @staticmethod
    def gamma_k(k: int) -> float:
        return 3.0 / (k + 3.0)

    def step(self, s: NeolithicState, oracle: Oracle, rng: np.random.Generator) -> tuple[NeolithicState, RoundStats]:
        if s.r == 0:
            self.gamma = self.gamma_k(s.k)
        return super().step(s, oracle, rng)

    def init(self, n: int, d: int, x0: Array, rng: np.random.Generator) -> NeolithicState:
        self.gamma = 1.0
        return super().init(n, d, x0, rng)

    def hyperparameters(self) -> dict[str, float | int | str]:
        return {"R": self.R, "p": self.p, "eta": self.eta, "gamma": "3/(k+3)", "delta_msc": self.delta}

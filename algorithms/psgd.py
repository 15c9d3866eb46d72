"""Parallel SGD, uncompressed (the PSGD row of THEORY.md §6.1; the baseline every method is
compared to).

    x⁺ = x − γ·(1/n) Σ_i g_i(x),   g_i = worker i's (stochastic) gradient.

Each round: one oracle query per worker, one dense uplink per worker (64·d bits, the identity
compressor's declared cost) and one dense broadcast of the average.

Default step γ = 1/L: by the descent lemma f(x − γg) ≤ f(x) − γ(1 − Lγ/2)‖g‖², so any γ ≤ 1/L
decreases f along the exact gradient by at least (γ/2)‖∇f‖² (Nesterov 2018, Thm 2.1.14 uses
γ = 1/L). Overridable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from algorithms.audit import SupportAudit
from algorithms.base import Array, check_positive
from algorithms.comm import RoundAlgorithm, Tally, descend
from constructions.base import Oracle
from constructions.compressors import Identity


@dataclass
class IterateState:
    """A common iterate x (every worker holds the same x after each broadcast)."""

    x: Array
    t: int = 0
    audit: SupportAudit | None = None


class PSGD(RoundAlgorithm):
    name = "psgd"

    def __init__(self, L: float, gamma: float | None = None) -> None:
        self.L = check_positive("L", L)
        self.gamma = check_positive("gamma", 1.0 / self.L if gamma is None else gamma)
        self._id = Identity()

    def _init(self, n: int, d: int, x0: Array, rng: np.random.Generator) -> IterateState:
        self.n = n
        return IterateState(x=x0.copy())

    def _round(self, s: IterateState, oracle: Oracle, rng: np.random.Generator, tally: Tally) -> IterateState:
        X = np.broadcast_to(s.x, (self.n, s.x.shape[0]))
        G = self.query(s, oracle, X, rng, tally)
        M = self.uplink(s, self._id, G, rng, tally)
        u = self.broadcast(s, M.mean(axis=0), tally)
        s.x = descend(s.x, self.gamma, u)
        s.t += 1
        return s

    def output(self, s: IterateState) -> Array:
        return s.x

    def hyperparameters(self) -> dict[str, float | int | str]:
        return {"gamma": self.gamma}

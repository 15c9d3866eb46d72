"""QSGD / compressed SGD (Alistarh et al., NeurIPS 2017; THEORY.md §7, QSGD row).

    x⁺ = x − γ·(1/n) Σ_i C(g_i),   C unbiased with variance ω.

The QSGD theorem needs an **unbiased** compressor (asserted). Default step γ = 1/(L(1 + ω/n')),
the step of the QSGD/compressed-SGD analysis (THEORY.md §7 rate (1+ω/n)L/μ·ln(1/ε)):
E‖(1/n)Σ C(g_i)‖² ≤ ‖ḡ‖² + (ω/n')·(1/n)Σ‖g_i‖² with n' = n for compressors independent across
workers, and n' = 1 for a shared draw (the lower-bound adversary, THEORY.md §3.1: a shared linear
sparsifier gives (1/n)Σ C(g_i) = C(ḡ), whose second moment is (1+ω)‖ḡ‖²), so the descent lemma
holds with γ = 1/(L(1+ω/n')). With heterogeneous f_i it converges to a ω ζ*²/n neighbourhood
(THEORY.md §7). With ω = 0 (identity) it is exactly :class:`~algorithms.psgd.PSGD`.
"""

from __future__ import annotations

import numpy as np

from algorithms.base import Array, check_positive
from algorithms.comm import RoundAlgorithm, Tally, descend, n_eff, omega_of, require_unbiased
from algorithms.psgd import IterateState
from constructions.base import Oracle
from constructions.compressors import Compressor


class QSGD(RoundAlgorithm):
    name = "qsgd"

    def __init__(self, compressor: Compressor, L: float, gamma: float | None = None) -> None:
        self.L = check_positive("L", L)
        self.C = compressor
        if gamma is None:
            require_unbiased(compressor, "QSGD")
        self._gamma = None if gamma is None else check_positive("gamma", gamma)

    def _init(self, n: int, d: int, x0: Array, rng: np.random.Generator) -> IterateState:
        self.n = n
        if self._gamma is None:
            self.gamma = 1.0 / (self.L * (1.0 + omega_of(self.C, d) / n_eff(self.C, n)))
        else:
            self.gamma = self._gamma
        return IterateState(x=x0.copy())

    def _round(self, s: IterateState, oracle: Oracle, rng: np.random.Generator, tally: Tally) -> IterateState:
        X = np.broadcast_to(s.x, (self.n, s.x.shape[0]))
        G = self.query(s, oracle, X, rng, tally)
        M = self.uplink(s, self.C, G, rng, tally)
        u = self.broadcast(s, M.mean(axis=0), tally)
        s.x = descend(s.x, self.gamma, u)
        s.t += 1
        return s

    def output(self, s: IterateState) -> Array:
        return s.x

    def hyperparameters(self) -> dict[str, float | int | str]:
        return {"gamma": getattr(self, "gamma", self._gamma)}

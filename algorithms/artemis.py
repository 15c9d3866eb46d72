"""Artemis (Philippenko & Dieuleveut 2020/2022) — bidirectional compression with uplink memory,
THEORY.md §7:

    uplink:    Δ_i = C_up(g_i − h_i),   h_i ← h_i + αΔ_i      (memory, as DIANA's shifts)
    server:    ĝ = h + (1/n)Σ_i Δ_i,    h ← h + α(1/n)Σ_i Δ_i
    downlink:  Ω = C_dwn(ĝ) broadcast
    all:       x⁺ = x − γΩ

Both compressors must be **unbiased** (asserted). Defaults [C/U: the form of Artemis' Theorem 1,
constants recalled, THEORY.md §7 marks them unverified]: α = 1/(2(1+ω_up)) and
γ = 1/(2L(1+ω_dwn)(1 + 4ω_up/n')), n' = n for independent and 1 for shared compressors.
``down=None`` uses the uplink compressor for the downlink as well. With identities (ω = 0) Artemis
is PSGD with step γ (ĝ = ḡ up to floating-point reassociation).
"""

from __future__ import annotations

import numpy as np

from algorithms.base import Array, check_positive
from algorithms.comm import RoundAlgorithm, Tally, descend, n_eff, omega_of, require_unbiased
from algorithms.diana import ShiftState
from constructions.base import Oracle
from constructions.compressors import Compressor


class Artemis(RoundAlgorithm):
    name = "artemis"

    def __init__(self, compressor: Compressor, L: float, down: Compressor | None = None,
                 gamma: float | None = None, alpha: float | None = None) -> None:
        self.L = check_positive("L", L)
        self.C = compressor
        self.C0 = compressor if down is None else down
        if gamma is None or alpha is None:
            require_unbiased(self.C, "Artemis (uplink)")
            require_unbiased(self.C0, "Artemis (downlink)")
        self._gamma = None if gamma is None else check_positive("gamma", gamma)
        self._alpha = None if alpha is None else check_positive("alpha", alpha)

    def _init(self, n: int, d: int, x0: Array, rng: np.random.Generator) -> ShiftState:
        need = self._alpha is None or self._gamma is None
        wu = omega_of(self.C, d) if need else 0.0
        wd = omega_of(self.C0, d) if need else 0.0
        self.alpha = 1.0 / (2.0 * (1.0 + wu)) if self._alpha is None else self._alpha
        if self._gamma is None:
            self.gamma = 1.0 / (2.0 * self.L * (1.0 + wd) * (1.0 + 4.0 * wu / n_eff(self.C, n)))
        else:
            self.gamma = self._gamma
        self._work = (np.empty((n, d)), np.empty((n, d)))  # scratch: no (n, d) temporaries per round
        return ShiftState(x=x0.copy(), H=np.zeros((n, d)), h=np.zeros(d))

    def _round(self, s: ShiftState, oracle: Oracle, rng: np.random.Generator, tally: Tally) -> ShiftState:
        X = np.broadcast_to(s.x, s.H.shape)
        G = self.query(s, oracle, X, rng, tally)
        diff, scaled = self._work
        D = self.uplink(s, self.C, np.subtract(G, s.H, out=diff), rng, tally)
        dbar = D.mean(axis=0)
        ghat = s.h + dbar
        s.H += np.multiply(D, self.alpha, out=scaled)
        s.h = s.h + self.alpha * dbar
        om = self.broadcast(s, ghat, tally, self.C0, rng)
        s.x = descend(s.x, self.gamma, om)
        s.t += 1
        return s

    def output(self, s: ShiftState) -> Array:
        return s.x

    def hyperparameters(self) -> dict[str, float | int | str]:
        return {"gamma": getattr(self, "gamma", self._gamma), "alpha": getattr(self, "alpha", self._alpha)}

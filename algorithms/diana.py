"""DIANA (Mishchenko, Gorbunov, Takáč, Richtárik 2019; Horváth et al. 2019) — THEORY.md §7:

    Δ_i = C(g_i − h_i);   ĝ = h + (1/n)Σ_i Δ_i;   h_i ← h_i + αΔ_i;   h ← h + α(1/n)Σ_i Δ_i;
    x⁺ = x − γ ĝ        (no regulariser here, so prox = identity).

The shifts h_i learn ∇f_i(x*), so DIANA converges exactly on heterogeneous problems where QSGD
stalls at a ωζ*²/n neighbourhood.

Assumptions asserted: C **unbiased** with variance ω (the theorem's). Defaults: α = 1/(1+ω) (the
theorem's condition α ≤ 1/(1+ω), THEORY.md §7) and γ = 1/((1 + 6ω/n')L), further capped by α/(2μ)
when μ is given: the DIANA row of the unified SGD analysis (Gorbunov, Hanzely, Richtárik 2020),
whose condition γ ≤ 1/(A + CM) evaluates to (1 + (14/3)ω/n)L with α = 1/(1+ω); we round 14/3 up to
6 [C, recalled constant]. n' = n for independent compressors, 1 for a shared draw (the ω/n variance
reduction needs independence, THEORY.md §1.2). With the identity (ω = 0, α = 1) ĝ = ḡ and DIANA is
PSGD with step γ = 1/L.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from algorithms.audit import SupportAudit
from algorithms.base import Array, check_positive
from algorithms.comm import RoundAlgorithm, Tally, descend, n_eff, omega_of, require_unbiased
from constructions.base import Oracle
from constructions.compressors import Compressor


@dataclass
class ShiftState:
    x: Array  # (d,) common iterate
    H: Array  # (n, d) worker shifts h_i
    h: Array  # (d,) server's h = mean h_i
    t: int = 0
    audit: SupportAudit | None = None


class DIANA(RoundAlgorithm):
    name = "diana"

    def __init__(self, compressor: Compressor, L: float, mu: float | None = None,
                 gamma: float | None = None, alpha: float | None = None) -> None:
        self.L = check_positive("L", L)
        self.mu = None if mu is None else check_positive("mu", mu)
        self.C = compressor
        if gamma is None or alpha is None:
            require_unbiased(compressor, "DIANA")
        self._gamma = None if gamma is None else check_positive("gamma", gamma)
        self._alpha = None if alpha is None else check_positive("alpha", alpha)

    def _init(self, n: int, d: int, x0: Array, rng: np.random.Generator) -> ShiftState:
        self.n = n
        w = omega_of(self.C, d) if (self._alpha is None or self._gamma is None) else 0.0
        self.alpha = 1.0 / (1.0 + w) if self._alpha is None else self._alpha
        if self._gamma is None:
            g = 1.0 / ((1.0 + 6.0 * w / n_eff(self.C, n)) * self.L)
            if self.mu is not None:
                g = min(g, self.alpha / (2.0 * self.mu))
            self.gamma = g
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
        ghat = self.broadcast(s, s.h + dbar, tally)
        s.H += np.multiply(D, self.alpha, out=scaled)
        s.h = s.h + self.alpha * dbar
        s.x = descend(s.x, self.gamma, ghat)
        s.t += 1
        return s

    def output(self, s: ShiftState) -> Array:
        return s.x

    def hyperparameters(self) -> dict[str, float | int | str]:
        return {"gamma": getattr(self, "gamma", self._gamma), "alpha": getattr(self, "alpha", self._alpha)}

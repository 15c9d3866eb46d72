"""CSER, communication-efficient SGD with error reset (Xie, Zheng, Koyejo, Gupta, Li, Lin,
NeurIPS 2020) — THEORY.md §7, CSER row ("local models bifurcate, residual errors are periodically
reset/synchronised (period H)").

**Reconstruction.** THEORY.md gives CSER's rule only in words and marks the details [U]; the update
below is the toolkit's reading of the paper's Algorithm (CSER without momentum), written in its
invariant form. Every worker keeps a residual e_i; its local model is x_i = x̂ + e_i, where x̂ is the
global model every party knows.

* gradient round (one query, one uplink):
      g_i = g_i(x̂ + e_i);   c_i = C₁(g_i);   r_i = g_i − c_i            (PSync of the gradients)
      x̂ ← x̂ − η·(1/n)Σ_j c_j;   e_i ← e_i − η·r_i                      (x_i moves by −η(c̄ + r_i))
* after every H gradient rounds, one **reset round** (no query, one uplink):
      c'_i = C₂(e_i);   x̂ ← x̂ + (1/n)Σ_j c'_j;   e_i ← e_i − c'_i         (PSync of the errors)
  i.e. x_i ← x_i − C₂(e_i) + mean_j C₂(e_j): the synchronised part of the errors is reset.

The paper performs the reset PSync inside iteration t; the round model of THEORY.md §1.3 allows one
compressed uplink per worker per round, so the reset gets its own round (the bits are the same).
The average of the local models, x̃ = (1/n)Σx_i, moves by exactly −η·ḡ in every gradient round and
not at all in a reset round (mean c̄ = mean c'_i), which is what the perturbed-iterate heuristic
below uses. The reported point is x̂ (known to the server).

Compressors: CSER allows arbitrary compressors; like every error-feedback method here, an unbiased
C enters as C/(1+ω) (THEORY.md §9 pitfall (f)). ``reset=None`` uses the gradient compressor for C₂
as well (the paper pairs an aggressive C₁ with a milder C₂). Default H = 4.

Default step — **the toolkit's own heuristic** (the paper's constants were not available): with
r_k = √(1 − δ_k) and G = max‖g_i‖, a residual grows by ≤ ηr₁G per gradient round and shrinks by r₂
at a reset, so ‖e_i‖ ≤ Hηr₁G/(1 − r₂); the local models are within 2·that of x̃, and the gradient
error stays below G/2 for η ≤ (1 − r₂)/(4LHr₁). We take η = min{1/L, (1 − r₂)/(4LHr₁)}. With the
identity (r₁ = 0) this is 1/L, e ≡ 0, and the gradient rounds are exactly PSGD's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from algorithms.audit import SupportAudit
from algorithms.base import Array, check_positive
from algorithms.comm import RoundAlgorithm, Tally, as_contractive, delta_of, descend
from constructions.base import Oracle
from constructions.compressors import Compressor


@dataclass
class CSERState:
    x: Array  # (d,) global model x̂ (reported)
    E: Array  # (n, d) residuals e_i; local models are x̂ + e_i
    since_reset: int = 0  # gradient rounds since the last reset
    t: int = 0
    audit: SupportAudit | None = None


def cser_gamma(L: float, delta1: float, delta2: float, H: int) -> float:
    """η = min{1/L, (1 − r₂)/(4LHr₁)} (module docstring; toolkit's own)."""
    r1, r2 = math.sqrt(1.0 - delta1), math.sqrt(1.0 - delta2)
    return 1.0 / L if r1 == 0.0 else min(1.0 / L, (1.0 - r2) / (4.0 * L * H * r1))


class CSER(RoundAlgorithm):
    name = "cser"

    def __init__(self, compressor: Compressor, L: float, reset: Compressor | None = None,
                 H: int = 4, gamma: float | None = None) -> None:
        self.L = check_positive("L", L)
        if not isinstance(H, (int, np.integer)) or H < 1:
            raise ValueError(f"H (the reset period) must be an integer ≥ 1 (got {H!r})")
        self.H = int(H)
        self.C1_0 = compressor
        self.C2_0 = compressor if reset is None else reset
        self._gamma = None if gamma is None else check_positive("gamma", gamma)

    def _init(self, n: int, d: int, x0: Array, rng: np.random.Generator) -> CSERState:
        self.C1 = as_contractive(self.C1_0, d)
        self.C2 = as_contractive(self.C2_0, d)
        self.delta1, self.delta2 = delta_of(self.C1, d), delta_of(self.C2, d)
        self.gamma = (cser_gamma(self.L, self.delta1, self.delta2, self.H)
                      if self._gamma is None else self._gamma)
        self._work = (np.empty((n, d)), np.empty((n, d)))  # scratch: no (n, d) temporaries per round
        return CSERState(x=x0.copy(), E=np.zeros((n, d)))

    def _round(self, s: CSERState, oracle: Oracle, rng: np.random.Generator, tally: Tally) -> CSERState:
        if s.since_reset == self.H:
            c2 = self.uplink(s, self.C2, s.E, rng, tally)
            ebar = self.broadcast(s, c2.mean(axis=0), tally)
            s.x = s.x + ebar
            s.E -= c2
            s.since_reset = 0
        else:
            local, resid = self._work
            G = self.query(s, oracle, np.add(s.E, s.x, out=local), rng, tally)  # x_i = x̂ + e_i
            c = self.uplink(s, self.C1, G, rng, tally)
            cbar = self.broadcast(s, c.mean(axis=0), tally)
            s.x = descend(s.x, self.gamma, cbar)
            resid = np.subtract(G, c, out=resid)
            resid *= self.gamma
            s.E -= resid  # e_i ← e_i − η(g_i − c_i)
            s.since_reset += 1
        s.t += 1
        return s

    @staticmethod
    def is_reset_round(s: CSERState) -> bool:
        """Whether the round just completed was a reset round."""
        return s.since_reset == 0 and s.t > 0

    def output(self, s: CSERState) -> Array:
        return s.x

    def hyperparameters(self) -> dict[str, float | int | str]:
        return {"gamma": getattr(self, "gamma", self._gamma), "H": self.H,
                "delta_grad": getattr(self, "delta1", ""), "delta_reset": getattr(self, "delta2", "")}

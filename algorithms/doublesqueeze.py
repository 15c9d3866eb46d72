"""DoubleSqueeze (Tang, Yu, Lian, Zhang, Liu, ICML 2019) — bidirectional error feedback,
THEORY.md §7:

    workers:  v_i = C(g_i + δ_i),   δ_i ← g_i + δ_i − v_i          (own residual)
    server:   v = (1/n)Σ v_i,       u = C_0(v + δ),   δ ← v + δ − u
    all:      x⁺ = x − γ u

Both compressors must be contractive; unbiased ones enter as C/(1+ω) (THEORY.md §9 (f)). One round
carries one compressed uplink per worker and one compressed broadcast. ``down=None`` uses the
uplink compressor's class for the downlink too (``down=Identity()`` gives unidirectional EF).

Default step — **the toolkit's own heuristic** (Tang et al.'s analysis assumes a bounded
compression error ε_c instead of δ). With a(δ) = √(1−δ)/(1−√(1−δ)) (:func:`algorithms.comm.ef_radius`)
and G = max‖g_i‖: the worker residuals obey ‖δ_i‖ ≤ a_w·G, so ‖v_i‖ ≤ ‖g_i + δ_i‖ + ‖δ_i⁺‖ ≤
(1 + 2a_w)G and the server residual ‖δ‖ ≤ a_s(1 + 2a_w)G. The perturbed iterate
x̃ = x − γ((1/n)Σδ_i + δ) moves by exactly −γḡ(x) (telescoping both residuals), and its distance
to x is ≤ γ(a_w + a_s(1 + 2a_w))G; the gradient error stays below G/2 for
γ = min{1/L, 1/(2L(a_w + a_s(1 + 2a_w)))} (≈ δ_wδ_s/(16L) for small δ's). With identities
(a = 0) this is 1/L and DoubleSqueeze is exactly PSGD.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from algorithms.audit import SupportAudit
from algorithms.base import Array, check_positive
from algorithms.comm import RoundAlgorithm, Tally, as_contractive, delta_of, descend, ef_radius
from constructions.base import Oracle
from constructions.compressors import Compressor


@dataclass
class DoubleSqueezeState:
    x: Array  # (d,) common iterate
    Dw: Array  # (n, d) worker residuals δ_i
    Ds: Array  # (d,) server residual δ
    t: int = 0
    audit: SupportAudit | None = None


def doublesqueeze_gamma(L: float, delta_up: float, delta_down: float) -> float:
    """The module docstring's γ (toolkit's own)."""
    aw, as_ = ef_radius(delta_up), ef_radius(delta_down)
    spread = aw + as_ * (1.0 + 2.0 * aw)
    return 1.0 / L if spread == 0.0 else min(1.0 / L, 1.0 / (2.0 * L * spread))


class DoubleSqueeze(RoundAlgorithm):
    name = "doublesqueeze"

    def __init__(self, compressor: Compressor, L: float, down: Compressor | None = None,
                 gamma: float | None = None) -> None:
        self.L = check_positive("L", L)
        self.up0 = compressor
        self.down0 = compressor if down is None else down
        self._gamma = None if gamma is None else check_positive("gamma", gamma)

    def _init(self, n: int, d: int, x0: Array, rng: np.random.Generator) -> DoubleSqueezeState:
        self.C = as_contractive(self.up0, d)
        self.C0 = as_contractive(self.down0, d)
        self.delta_up, self.delta_down = delta_of(self.C, d), delta_of(self.C0, d)
        self.gamma = (doublesqueeze_gamma(self.L, self.delta_up, self.delta_down)
                      if self._gamma is None else self._gamma)
        self._P = np.empty((n, d))  # scratch for g_i + δ_i (no (n, d) temporaries per round)
        return DoubleSqueezeState(x=x0.copy(), Dw=np.zeros((n, d)), Ds=np.zeros(d))

    def _round(self, s: DoubleSqueezeState, oracle: Oracle, rng: np.random.Generator,
               tally: Tally) -> DoubleSqueezeState:
        X = np.broadcast_to(s.x, s.Dw.shape)
        G = self.query(s, oracle, X, rng, tally)
        P = np.add(G, s.Dw, out=self._P)
        V = self.uplink(s, self.C, P, rng, tally)
        np.subtract(P, V, out=s.Dw)
        w = V.mean(axis=0) + s.Ds
        u = self.broadcast(s, w, tally, self.C0, rng)
        s.Ds = w - u
        s.x = descend(s.x, self.gamma, u)
        s.t += 1
        return s

    def output(self, s: DoubleSqueezeState) -> Array:
        return s.x

    def hyperparameters(self) -> dict[str, float | int | str]:
        return {"gamma": getattr(self, "gamma", self._gamma),
                "delta_up": getattr(self, "delta_up", ""), "delta_down": getattr(self, "delta_down", "")}

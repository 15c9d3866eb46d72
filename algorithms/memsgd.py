"""MEM-SGD / EF-SGD, error feedback of Seide et al. (2014), Stich et al. (NeurIPS 2018) and
Karimireddy et al. (ICML 2019) (THEORY.md §7, MEM-SGD row):

    p_i = e_i + γ g_i;   Δ_i = C(p_i);   e_i ← p_i − Δ_i;   x⁺ = x − (1/n) Σ_i Δ_i.

The residual e_i is worker i's own: what *its* compressor dropped from *its* p_i.

The compressor must be contractive (δ); an unbiased C enters as C/(1+ω) (THEORY.md §1.2 link and
§9 pitfall (f)). Default step — **the toolkit's own heuristic, not a paper's constant**: with
‖C(v) − v‖ ≤ √(1−δ)‖v‖ the residual obeys ‖e⁺‖ ≤ √(1−δ)(‖e‖ + γ‖g‖), so
‖e‖ ≤ a(δ)·γ·max‖g‖ with a(δ) = √(1−δ)/(1−√(1−δ)) ≤ 2/δ (:func:`algorithms.comm.ef_radius`).
The perturbed-iterate argument (Stich & Karimireddy 2020) tracks x̃ = x − (1/n)Σe_i, which moves
by exactly −γḡ(x); the gradient error L‖x − x̃‖ ≤ a(δ)γL·max‖g‖ stays below max‖g‖/2 when
γ ≤ 1/(2a(δ)L). We take γ = min{1/L, 1/(2a(δ)L)} (≈ δ/(4L) for small δ). With the identity
compressor (δ = 1, a = 0, e ≡ 0) this is γ = 1/L and the method is exactly PSGD.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from algorithms.audit import SupportAudit
from algorithms.base import Array, check_positive
from algorithms.comm import RoundAlgorithm, Tally, as_contractive, delta_of, ef_radius
from constructions.base import Oracle
from constructions.compressors import Compressor


@dataclass
class MemSGDState:
    x: Array  # (d,) common iterate
    E: Array  # (n, d) worker residuals e_i
    t: int = 0
    audit: SupportAudit | None = None


def memsgd_gamma(L: float, delta: float) -> float:
    """γ = min{1/L, 1/(2a(δ)L)} (module docstring; toolkit's own)."""
    a = ef_radius(delta)
    return 1.0 / L if a == 0.0 else min(1.0 / L, 1.0 / (2.0 * a * L))


class MemSGD(RoundAlgorithm):
    name = "memsgd"

    def __init__(self, compressor: Compressor, L: float, gamma: float | None = None) -> None:
        self.L = check_positive("L", L)
        self.C0 = compressor
        self._gamma = None if gamma is None else check_positive("gamma", gamma)

    def _init(self, n: int, d: int, x0: Array, rng: np.random.Generator) -> MemSGDState:
        self.C = as_contractive(self.C0, d)
        self.delta = delta_of(self.C, d)
        self.gamma = memsgd_gamma(self.L, self.delta) if self._gamma is None else self._gamma
        self._P = np.empty((n, d))  # scratch for p_i (no (n, d) temporaries per round)
        return MemSGDState(x=x0.copy(), E=np.zeros((n, d)))

    def _round(self, s: MemSGDState, oracle: Oracle, rng: np.random.Generator, tally: Tally) -> MemSGDState:
        X = np.broadcast_to(s.x, s.E.shape)
        G = self.query(s, oracle, X, rng, tally)
        P = np.multiply(G, self.gamma, out=self._P)
        P += s.E  # p_i = e_i + γg_i
        D = self.uplink(s, self.C, P, rng, tally)
        np.subtract(P, D, out=s.E)
        u = self.broadcast(s, D.mean(axis=0), tally)
        s.x = s.x - u
        s.t += 1
        return s

    def output(self, s: MemSGDState) -> Array:
        return s.x

    def hyperparameters(self) -> dict[str, float | int | str]:
        return {"gamma": getattr(self, "gamma", self._gamma), "delta": getattr(self, "delta", "")}

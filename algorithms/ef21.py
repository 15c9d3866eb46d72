"""EF21 (Richtárik, Sokolov, Fatkhullin, NeurIPS 2021) and EF21-SGD (Fatkhullin et al. 2021,
"EF21 with bells & whistles") — THEORY.md §7, EF21 and EF21-SGD rows:

    x⁺ = x − γ g,   g = (1/n) Σ_i g_i;
    g_i⁺ = g_i + C(∇f_i(x⁺) − g_i)          (each worker against its *own* g_i)

EF21-SGD is the same update with a stochastic oracle; the class covers both (``name`` "ef21";
the registry also lists it as "ef21-sgd").

One round t: every worker queries at x_t, sends c_i = C(g_i(x_t) − g_i), sets g_i ← g_i + c_i; the
server keeps g = (1/n)Σ g_i by adding the average c and broadcasts g; everyone steps
x_{t+1} = x_t − γ g. We start from g_i = 0, so the first round sends C(∇f_i(x⁰)) (the paper's
g_i⁰ = C(∇f_i(x⁰)) option) and all state stays zero-respecting.

Compressor: contractive (δ), an unbiased C enters as C/(1+ω) (THEORY.md §9 (f)). Default step from
EF21's Theorem 1 (THEORY.md §7): γ = 1/(L + L̃√(β/θ)) with θ = 1 − √(1−δ), β = (1−δ)/(1−√(1−δ)),
L̃ = √((1/n)ΣL_i²) ≤ L (every f_i is L-smooth, THEORY.md §1.1, so we take L̃ = L). With δ = 1 this
is 1/L and EF21 with the identity is exactly PSGD (g_i = ∇f_i(x)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from algorithms.audit import SupportAudit
from algorithms.base import Array, check_positive
from algorithms.comm import RoundAlgorithm, Tally, as_contractive, delta_of
from constructions.base import Oracle
from constructions.compressors import Compressor, Identity


@dataclass
class EF21State:
    x: Array  # (d,) common iterate
    Gi: Array  # (n, d) worker estimates g_i
    g: Array  # (d,) server's g = mean g_i
    t: int = 0
    audit: SupportAudit | None = None


def ef21_gamma(L: float, delta: float) -> float:
    """EF21 Theorem 1 step (see the module docstring)."""
    if delta >= 1.0:
        return 1.0 / L
    r = math.sqrt(1.0 - delta)
    theta = 1.0 - r
    beta = (1.0 - delta) / (1.0 - r)
    return 1.0 / (L + L * math.sqrt(beta / theta))


class EF21(RoundAlgorithm):
    name = "ef21"

    def __init__(self, compressor: Compressor, L: float, gamma: float | None = None) -> None:
        self.L = check_positive("L", L)
        self.C0 = compressor
        self._gamma = None if gamma is None else check_positive("gamma", gamma)

    def _init(self, n: int, d: int, x0: Array, rng: np.random.Generator) -> EF21State:
        self.C = as_contractive(self.C0, d)
        self.delta = delta_of(self.C, d)
        self.gamma = ef21_gamma(self.L, self.delta) if self._gamma is None else self._gamma
        self._dense = isinstance(self.C, Identity)
        self._buf = np.empty((n, d))
        return EF21State(x=x0.copy(), Gi=np.zeros((n, d)), g=np.zeros(d))

    def _round(self, s: EF21State, oracle: Oracle, rng: np.random.Generator, tally: Tally) -> EF21State:
        X = np.broadcast_to(s.x, s.Gi.shape)
        G = self.query(s, oracle, X, rng, tally)
        diff = np.subtract(G, s.Gi, out=self._buf)
        if self._dense and s.audit is None:
            # Identity compression: the message is diff itself; skip the copy C would make.
            c = diff
            tally.bits_up += int(self.C.bits(c).sum())
        else:
            c = self.uplink(s, self.C, diff, rng, tally)
        s.Gi += c
        s.g += c.mean(axis=0)
        g = self.broadcast(s, s.g, tally)
        s.x = s.x - self.gamma * g
        s.t += 1
        return s

    def output(self, s: EF21State) -> Array:
        return s.x

    def hyperparameters(self) -> dict[str, float | int | str]:
        return {"gamma": getattr(self, "gamma", self._gamma), "delta": getattr(self, "delta", "")}

"""Nesterov's accelerated gradient method, uncompressed (the reference for the accelerated methods;
Nesterov, *Lectures on Convex Optimization* 2nd ed. 2018, §2.2, constant step scheme (2.2.22)):

    x^{k+1} = y^k − η·(1/n)Σ_i g_i(y^k)
    y^{k+1} = x^{k+1} + β_{k+1}·(x^{k+1} − x^k)

* strongly convex (μ given): β = (1 − √(μη))/(1 + √(μη)), which is (√κ − 1)/(√κ + 1) for
  η = 1/L (Nesterov 2018, scheme 2.2.22 and its rate (1 − 1/√κ)^k);
* convex (μ = None): β_k = k/(k + 3) for k = 0, 1, … (the GC schedule of THEORY.md §5.4; the
  (k−1)/(k+2) of Nesterov 1983 with the index started at 0).

Each round: one oracle query per worker at y^k, one dense uplink per worker (the identity's 64·d
bits), one dense broadcast of the average gradient; every party updates x and y itself.

Default η = 1/L (Nesterov's). ``beta`` overrides the momentum (a constant). With p = 1, R = 1 and
the identity compressor, accelerated NEOLITHIC (THEORY.md §5.3) is this method with β = 1 − γ
(checked in the tests).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from algorithms.audit import SupportAudit
from algorithms.base import Array, check_positive
from algorithms.comm import RoundAlgorithm, Tally, descend
from constructions.base import Oracle
from constructions.compressors import Identity


@dataclass
class NesterovState:
    x: Array  # x^k, the reported point
    y: Array  # y^k, where the gradients are taken
    k: int = 0
    audit: SupportAudit | None = None


class Nesterov(RoundAlgorithm):
    name = "nesterov"

    def __init__(self, L: float, mu: float | None = None, eta: float | None = None,
                 beta: float | None = None) -> None:
        self.L = check_positive("L", L)
        self.mu = None if mu is None else check_positive("mu", mu)
        if self.mu is not None and self.mu > self.L:
            raise ValueError(f"mu must satisfy 0 < mu ≤ L (got mu = {mu}, L = {L})")
        self.eta = check_positive("eta", 1.0 / self.L if eta is None else eta)
        if beta is not None and not 0.0 <= float(beta) < 1.0:
            raise ValueError(f"beta must lie in [0, 1) (got {beta!r})")
        if beta is None and self.mu is not None:
            r = math.sqrt(self.mu * self.eta)
            if r >= 1.0:
                raise ValueError(f"mu·eta must be < 1 for the SC momentum (got {self.mu * self.eta})")
            beta = (1.0 - r) / (1.0 + r)
        self.beta = None if beta is None else float(beta)
        self._id = Identity()

    def momentum(self, k: int) -> float:
        """β used to form y^{k+1} from x^{k+1} and x^k (k = 0, 1, …)."""
        return self.beta if self.beta is not None else (k + 1) / (k + 4)

    def _init(self, n: int, d: int, x0: Array, rng: np.random.Generator) -> NesterovState:
        self.n = n
        return NesterovState(x=x0.copy(), y=x0.copy())

    def _round(self, s: NesterovState, oracle: Oracle, rng: np.random.Generator,
               tally: Tally) -> NesterovState:
        Y = np.broadcast_to(s.y, (self.n, s.y.shape[0]))
        G = self.query(s, oracle, Y, rng, tally)
        M = self.uplink(s, self._id, G, rng, tally)
        g = self.broadcast(s, M.mean(axis=0), tally)
        x_new = descend(s.y, self.eta, g)
        s.y = x_new + self.momentum(s.k) * (x_new - s.x)
        s.x = x_new
        s.k += 1
        return s

    def output(self, s: NesterovState) -> Array:
        return s.x

    def hyperparameters(self) -> dict[str, float | int | str]:
        return {"eta": self.eta, "beta": "k/(k+3)" if self.beta is None else self.beta}

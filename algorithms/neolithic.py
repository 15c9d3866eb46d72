"""Accelerated NEOLITHIC for strongly convex problems (paper B; THEORY.md §5.3), one round at a time.

For k = 1, 2, …, T/R (THEORY.md §5.3, the talk's update rule):

    z^k = (1/γ)·x^k + (1/p − 1/γ)·x^{k−1} + (1 − 1/p)·z^{k−1}      (extrapolation)
    y^k = (1 − γ/p)·x^k + (γ/p)·z^k                                 (extrapolation)
    g_i^k = (1/R)·Σ_{r=1}^{R} ∇F(y^k; ξ_i^{(k,r)})                  (gradient accumulation)
    g^k = (1/n)·Σ_i MSC(g_i^k, R)                                   (multi-step compression)
    x^{k+1} = y^k − (η/p)·g^k                                       (gradient step)

Each outer iteration takes R communication rounds (one MSC step per round) and R oracle queries per
worker, so the sample budget equals the round budget. With p = 1 the method is exactly Nesterov's
method with momentum 1 − γ and step η (THEORY.md §5.3, checked in the tests).

**When the R samples are drawn (an honest deviation from one query per round).** THEORY.md §5.1
says the R samples are drawn "during the R rounds that MSC consumes". They cannot be spread one per
round without changing the algorithm: MSC's first message c⁽⁰⁾ = C(g_i^k) already needs the whole
average g_i^k, and the point y^k is only known once the previous iteration's MSC has finished, so
the samples cannot be drawn earlier either. We therefore draw all R samples at y^k in the **first**
round of each outer iteration and record them there (``RoundStats.oracle_calls`` = n·R in that round,
0 in the other R − 1): per round this exceeds the protocol's one query per worker, per outer
iteration it is exactly one per round. With a deterministic oracle (``oracle.deterministic``) the R
samples coincide, so the method makes one query per worker and records n: it then stays within
the one-query-per-round protocol.

Unbiased compressors enter MSC as C/(1+ω) (THEORY.md §1.2; δ = 1/(1+ω)). The broadcast is
uncompressed (unidirectional compression, as in the lower bound's model).

Defaults — **the toolkit's own choice (THEORY.md §5.4), not the paper's unverified constants**:
R = ⌈(1/δ)·ln(16κ)⌉, p = 1, η = 1/(2L), γ = √(μη). All are overridable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from algorithms.base import Algorithm, Array, RoundStats, check_positive, dense_broadcast_bits
from algorithms.comm import descend
from constructions.base import Oracle
from constructions.compressors import Compressor, Scaled


@dataclass
class NeolithicState:
    x: Array  # x^k, the reported point
    x_prev: Array  # x^{k−1}
    z: Array  # z^{k−1}
    y: Array  # y^k (valid while r > 0)
    G: Array  # (n, d) accumulated local gradients g_i^k
    V: Array  # (n, d) MSC accumulators v_i^{(r)}
    work: Array  # (n, d) scratch for the MSC residual g_i − v_i^{(r)} (no temporaries per round)
    r: int = 0  # MSC step within the outer iteration
    k: int = 0  # completed outer iterations


def default_R(delta: float, kappa: float) -> int:
    """THEORY.md §5.4 (toolkit's choice): R = ⌈(1/δ)·ln(16κ)⌉."""
    return max(1, math.ceil(math.log(16.0 * kappa) / delta))


class AcceleratedNeolithic(Algorithm):
    name = "neolithic"

    def __init__(
        self,
        compressor: Compressor,
        L: float,
        mu: float,
        d: int,
        R: int | None = None,
        p: float = 1.0,
        eta: float | None = None,
        gamma: float | None = None,
    ) -> None:
        L = check_positive("L", L)
        mu = check_positive("mu", mu)
        if mu > L:
            raise ValueError(f"mu must satisfy 0 < mu ≤ L (got mu = {mu}, L = {L})")
        self.C = Scaled.to_contractive(compressor, d)
        self.delta = float(self.C.delta(d))
        self.R = default_R(self.delta, L / mu) if R is None else int(R)
        if self.R < 1:
            raise ValueError(f"R must be an integer ≥ 1 (got {R!r})")
        self.p = check_positive("p", p)
        if self.p < 1:
            raise ValueError(f"p must be ≥ 1 (got {p!r})")
        self.eta = check_positive("eta", 1.0 / (2.0 * L) if eta is None else eta)
        self.gamma = check_positive("gamma", math.sqrt(mu * self.eta) if gamma is None else gamma)
        if self.gamma > self.p:
            raise ValueError(f"gamma must be ≤ p (got gamma = {self.gamma}, p = {self.p})")

    def init(self, n: int, d: int, x0: Array, rng: np.random.Generator) -> NeolithicState:
        x0 = np.array(x0, dtype=np.float64)
        return NeolithicState(
            x=x0.copy(), x_prev=x0.copy(), z=x0.copy(), y=x0.copy(),
            G=np.zeros((n, d)), V=np.zeros((n, d)), work=np.empty((n, d)),
        )

    def step(self, s: NeolithicState, oracle: Oracle, rng: np.random.Generator) -> tuple[NeolithicState, RoundStats]:
        n, d = s.G.shape
        calls = 0
        if s.r == 0:
            g, p = self.gamma, self.p
            s.z = (1.0 / g) * s.x + (1.0 / p - 1.0 / g) * s.x_prev + (1.0 - 1.0 / p) * s.z
            s.y = (1.0 - g / p) * s.x + (g / p) * s.z
            Y = np.broadcast_to(s.y, (n, d))
            if getattr(oracle, "deterministic", False):
                s.G[...] = oracle.query(Y, rng)  # the R samples coincide: one query, recorded as one
                calls = n
            else:
                s.G[...] = sum(oracle.query(Y, rng) for _ in range(self.R)) / self.R
                calls = n * self.R  # all R samples, in this round (module docstring)
            s.V[...] = 0.0
        # One MSC round (THEORY.md §5.1; constructions.msc.msc_step, residual in the scratch array).
        c = self.C(np.subtract(s.G, s.V, out=s.work), rng)
        s.V += c
        bits_up = int(self.C.bits(c).sum())
        s.r += 1
        if s.r == self.R:
            gbar = s.V.mean(axis=0)
            s.x_prev, s.x = s.x, descend(s.y, self.eta / self.p, gbar)
            s.r = 0
            s.k += 1
        return s, RoundStats(bits_up, dense_broadcast_bits(d), calls)

    def output(self, s: NeolithicState) -> Array:
        return s.x

    def hyperparameters(self) -> dict[str, float | int | str]:
        return {"R": self.R, "p": self.p, "eta": self.eta, "gamma": self.gamma, "delta_msc": self.delta}

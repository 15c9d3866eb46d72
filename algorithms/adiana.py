"""ADIANA, accelerated DIANA (Li, Kovalev, Qian, Richtárik, ICML 2020, Algorithm 1) — THEORY.md §7,
ADIANA row ("Nesterov/Katyusha-style acceleration over DIANA shifts; probabilistic anchor updates").

Iteration k (ψ = 0, so the prox is the identity):

    x^k     = θ₁z^k + θ₂w^k + (1 − θ₁ − θ₂)y^k
    g^k     = h^k + (1/n)Σ_i C(∇f_i(x^k) − h_i^k)
    h_i^{k+1} = h_i^k + α·C(∇f_i(w^k) − h_i^k),   h^{k+1} = h^k + α·(1/n)Σ_i C(∇f_i(w^k) − h_i^k)
    y^{k+1} = x^k − η·g^k
    z^{k+1} = βz^k + (1 − β)x^k + (γ/η)(y^{k+1} − x^k)
    w^{k+1} = y^k with probability p, else w^k

An iteration compresses two vectors per worker (at x^k and at the anchor w^k). The round model of
THEORY.md §1.3 allows one compressed uplink and one query per worker per round, so an iteration
takes **two rounds**: round A queries at x^k, sends C(∇f_i(x^k) − h_i) and the server broadcasts
g^k densely; round B queries at w^k, sends C(∇f_i(w^k) − h_i) and the server broadcasts the common
anchor coin (1 bit). The reported point is y^k.

Assumptions asserted: C **unbiased** with ω (the theorem's), μ > 0 (the SC theorem). Defaults, from
the SC theorem of the paper **as recalled [C/U: constants not re-checked against the PDF]**:
α = 1/(1+ω), θ₂ = 1/2, p = min{1, max{1, √(n'/(32ω)) − 1}/(2(1+ω))} (p = 1 for ω = 0),
η = min{1/(2L), n'/(64ω(2p(ω+1) + 1)²L)}, θ₁ = min{1/4, √(ημ/p)}, γ = η/(2(θ₁ + ημ)), β = 1 − γμ,
with n' = n for compressors independent across workers and n' = 1 for a shared draw (the ω/n
variance reduction needs independence, THEORY.md §1.2). Every parameter is overridable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from algorithms.audit import SupportAudit
from algorithms.base import Array, check_positive
from algorithms.comm import RoundAlgorithm, Tally, n_eff, omega_of, require_unbiased
from constructions.base import Oracle
from constructions.compressors import Compressor

COIN_BITS = 1


@dataclass
class ADIANAState:
    y: Array  # (d,) y^k (reported)
    z: Array  # (d,) z^k
    w: Array  # (d,) anchor w^k
    y_prev: Array  # (d,) y^{k} kept for the anchor update after y^{k+1} is formed
    H: Array  # (n, d) worker shifts h_i
    h: Array  # (d,) server shift h = mean h_i
    phase: int = 0  # 0: round A (gradient at x^k), 1: round B (shift at w^k)
    k: int = 0
    audit: SupportAudit | None = None


def adiana_defaults(L: float, mu: float, omega: float, n_prime: int) -> dict[str, float]:
    """The recalled SC theorem's parameters (module docstring)."""
    if omega > 0:
        p = min(1.0, max(1.0, math.sqrt(n_prime / (32.0 * omega)) - 1.0) / (2.0 * (1.0 + omega)))
        eta = min(1.0 / (2.0 * L), n_prime / (64.0 * omega * (2.0 * p * (omega + 1.0) + 1.0) ** 2 * L))
    else:
        p, eta = 1.0, 1.0 / (2.0 * L)
    theta1 = min(0.25, math.sqrt(eta * mu / p))
    gamma = eta / (2.0 * (theta1 + eta * mu))
    return dict(alpha=1.0 / (1.0 + omega), theta2=0.5, p=p, eta=eta, theta1=theta1,
                gamma=gamma, beta=1.0 - gamma * mu)


class ADIANA(RoundAlgorithm):
    name = "adiana"

    # In dependency order: θ₁ needs η and p, γ needs θ₁, β needs γ.
    PARAMS = ("alpha", "theta2", "p", "eta", "theta1", "gamma", "beta")

    def __init__(self, compressor: Compressor, L: float, mu: float, *, eta: float | None = None,
                 theta1: float | None = None, theta2: float | None = None, alpha: float | None = None,
                 beta: float | None = None, gamma: float | None = None, p: float | None = None) -> None:
        self.L = check_positive("L", L)
        self.mu = check_positive("mu", mu)
        if self.mu > self.L:
            raise ValueError(f"mu must satisfy 0 < mu ≤ L (got mu = {mu}, L = {L})")
        self.C = compressor
        given = dict(alpha=alpha, theta1=theta1, theta2=theta2, p=p, eta=eta, gamma=gamma, beta=beta)
        self._given = {k: v for k, v in given.items() if v is not None}
        if len(self._given) < len(self.PARAMS):
            require_unbiased(compressor, "ADIANA")
        for k in ("alpha", "p", "eta", "gamma", "theta1"):
            if k in self._given:
                check_positive(k, self._given[k])
        for k in ("alpha", "p"):
            if self._given.get(k, 1.0) > 1.0:
                raise ValueError(f"{k} must lie in (0, 1] (got {self._given[k]!r})")

    def _init(self, n: int, d: int, x0: Array, rng: np.random.Generator) -> ADIANAState:
        self.n = n
        vals = dict(self._given)
        if len(vals) < len(self.PARAMS):
            defaults = adiana_defaults(self.L, self.mu, omega_of(self.C, d), n_eff(self.C, n))
            # Dependent defaults follow the overridden values (e.g. γ from a given η).
            for k in self.PARAMS:
                if k not in vals:
                    if k == "theta1":
                        vals[k] = min(0.25, math.sqrt(vals["eta"] * self.mu / vals["p"]))
                    elif k == "gamma":
                        vals[k] = vals["eta"] / (2.0 * (vals["theta1"] + vals["eta"] * self.mu))
                    elif k == "beta":
                        vals[k] = 1.0 - vals["gamma"] * self.mu
                    else:
                        vals[k] = defaults[k]
        if vals["theta1"] + vals["theta2"] > 1.0:
            raise ValueError(f"theta1 + theta2 must be ≤ 1 (got {vals['theta1']} + {vals['theta2']})")
        for k, v in vals.items():
            setattr(self, k, float(v))
        self._work = (np.empty((n, d)), np.empty((n, d)))  # scratch: no (n, d) temporaries per round
        return ADIANAState(y=x0.copy(), z=x0.copy(), w=x0.copy(), y_prev=x0.copy(),
                           H=np.zeros((n, d)), h=np.zeros(d))

    def _round(self, s: ADIANAState, oracle: Oracle, rng: np.random.Generator, tally: Tally) -> ADIANAState:
        n, d = s.H.shape
        if s.phase == 0:
            x = self.theta1 * s.z + self.theta2 * s.w + (1.0 - self.theta1 - self.theta2) * s.y
            G = self.query(s, oracle, np.broadcast_to(x, (n, d)), rng, tally)
            D = self.uplink(s, self.C, np.subtract(G, s.H, out=self._work[0]), rng, tally)
            g = self.broadcast(s, s.h + D.mean(axis=0), tally)
            y_new = x - self.eta * g
            s.z = self.beta * s.z + (1.0 - self.beta) * x + (self.gamma / self.eta) * (y_new - x)
            s.y_prev, s.y = s.y, y_new
            s.phase = 1
            return s
        Gw = self.query(s, oracle, np.broadcast_to(s.w, (n, d)), rng, tally)
        diff, scaled = self._work
        D = self.uplink(s, self.C, np.subtract(Gw, s.H, out=diff), rng, tally)
        s.H += np.multiply(D, self.alpha, out=scaled)
        s.h = s.h + self.alpha * D.mean(axis=0)
        tally.bits_down += COIN_BITS  # the server's anchor coin, common to every worker
        if rng.random() < self.p:
            s.w = s.y_prev
        s.phase = 0
        s.k += 1
        return s

    def output(self, s: ADIANAState) -> Array:
        return s.y

    def hyperparameters(self) -> dict[str, float | int | str]:
        return {k: getattr(self, k, self._given.get(k, "")) for k in self.PARAMS}

"""NEOLITHIC for non-convex problems (paper A; THEORY.md §5.1–§5.2), one round at a time.

**Reconstruction** (THEORY.md §5.2 is tagged [U]: A's algorithm box was not available). For outer
iterations k = 0, 1, …:

    g_i  = (1/R)·Σ_{r=1..R} ∇F(x^k; ξ_i^{k,r})          gradient accumulation, R samples (§5.1)
    v_i  = MSC_i(g_i [+ e_i], R)                        R uplink rounds (§5.1 MSC)
    v    = (1/n)·Σ_i v_i
    x^{k+1} = x^k − γ·v                                 (unidirectional: v is broadcast densely)

With ``bidirectional=True`` (THEORY.md §5.2's box, DoubleSqueeze with each compression replaced by
an R-step MSC and the gradient by an R-sample average):

    e_i ← g_i + e_i − v_i                               worker error feedback (own residual)
    u   = MSC_0(v + e, R);   e ← v + e − u              R downlink rounds, server error feedback
    x^{k+1} = x^k − γ·u

Rounds: one MSC step per round, so an outer iteration takes R rounds (unidirectional) or 2R rounds
(bidirectional: the server's MSC can only start once v is complete; THEORY.md §5.2 notes that
pipelining would change only constants). Uplink-only rounds broadcast nothing and downlink-only
rounds send nothing up: bits are counted per direction as they are spent.

**When the R samples are drawn (an honest deviation from one query per round).** §5.1 says the R
samples are drawn during the R rounds MSC consumes; they cannot be spread one per round without
changing the algorithm, because MSC's first message C(g_i + e_i) needs the whole average g_i. All R
samples are therefore drawn at x^k in the first round of the iteration and recorded in that round
(``oracle_calls`` = n·R there, 0 in the other rounds): the sample budget equals the uplink round
budget per iteration, but the first round exceeds the protocol's one query per worker. With a
deterministic oracle the R samples coincide, one query per worker is made and n is recorded.

``error_feedback`` (default: equal to ``bidirectional``) switches the worker residual on or off
independently.

Unbiased compressors enter MSC as C/(1+ω) (THEORY.md §1.2, §9 (f)); δ is that of the contractive
form. ``down=None`` uses the uplink compressor on the downlink too.

Output: ``output_rule="last"`` (default) reports x^k; ``"uniform"`` reports an iterate drawn
uniformly from x^0..x^k (reservoir sampling with the generator passed in), the output rule of the
NC rates (THEORY.md §5.2, §5.4).

Defaults — **the toolkit's own choice (THEORY.md §5.4), not the paper's unverified constants**:
R = ⌈(1/δ)·ln(max{4, T·b²/Δ})⌉ when the round budget ``T``, the heterogeneity ``b2`` and the gap
``Delta`` are given, else ⌈(1/δ)·ln 4⌉; γ = min{1/(4L), √(nRΔ/(LKσ²))} with K = T/(rounds per
iteration) when ``T``, ``Delta`` and ``sigma2`` > 0 are given, else 1/(4L). With the identity and
R = 1 (unidirectional) the method is PSGD with step γ.
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

OUTPUT_RULES = ("last", "uniform")


@dataclass
class NeolithicNCState:
    x: Array  # (d,) x^k
    T: Array  # (n, d) the vectors being sent: g_i (+ e_i)
    V: Array  # (n, d) uplink MSC accumulators v_i^{(r)}
    E: Array  # (n, d) worker residuals e_i (zero without error feedback)
    w: Array  # (d,) server's vector to send: v + e
    U: Array  # (d,) downlink MSC accumulator
    e: Array  # (d,) server residual
    x_out: Array  # (d,) the reported point under the uniform rule
    r: int = 0  # round within the outer iteration
    k: int = 0  # completed outer iterations
    audit: SupportAudit | None = None


def default_R_nc(delta: float, T: int | None, b2: float | None, Delta: float | None) -> int:
    """THEORY.md §5.4 (toolkit's choice): R = ⌈(1/δ)·ln(max{4, T·b²/Δ})⌉."""
    arg = 4.0
    if T is not None and b2 is not None and Delta is not None:
        arg = max(4.0, T * b2 / Delta)
    return max(1, math.ceil(math.log(arg) / delta))


class NeolithicNC(RoundAlgorithm):
    name = "neolithic-nc"

    def __init__(self, compressor: Compressor, L: float, R: int | None = None,
                 gamma: float | None = None, *, bidirectional: bool = False,
                 error_feedback: bool | None = None, down: Compressor | None = None,
                 output_rule: str = "last", T: int | None = None, Delta: float | None = None,
                 sigma2: float | None = None, b2: float | None = None) -> None:
        self.L = check_positive("L", L)
        if R is not None and (not isinstance(R, (int, np.integer)) or R < 1):
            raise ValueError(f"R must be an integer ≥ 1 (got {R!r})")
        if output_rule not in OUTPUT_RULES:
            raise ValueError(f"output_rule must be one of {OUTPUT_RULES} (got {output_rule!r})")
        if T is not None and (not isinstance(T, (int, np.integer)) or T < 1):
            raise ValueError(f"T (the round budget) must be an integer ≥ 1 (got {T!r})")
        self._R = R
        self._gamma = None if gamma is None else check_positive("gamma", gamma)
        self.bidirectional = bool(bidirectional)
        self.error_feedback = self.bidirectional if error_feedback is None else bool(error_feedback)
        self.up0 = compressor
        self.down0 = compressor if down is None else down
        self.output_rule = output_rule
        self.T = T
        self.Delta = None if Delta is None else check_positive("Delta", Delta)
        self.sigma2 = None if sigma2 is None else check_positive("sigma2", sigma2, allow_zero=True)
        self.b2 = None if b2 is None else check_positive("b2", b2, allow_zero=True)

    @property
    def rounds_per_iteration(self) -> int:
        return (2 if self.bidirectional else 1) * self.R

    def _init(self, n: int, d: int, x0: Array, rng: np.random.Generator) -> NeolithicNCState:
        self.n = n
        self.C = as_contractive(self.up0, d)
        self.C0 = as_contractive(self.down0, d) if self.bidirectional else None
        self.delta = delta_of(self.C, d)
        self.R = default_R_nc(self.delta, self.T, self.b2, self.Delta) if self._R is None else int(self._R)
        g = 1.0 / (4.0 * self.L)
        if self._gamma is None and self.T is not None and self.Delta is not None and self.sigma2:
            K = max(1, self.T // self.rounds_per_iteration)
            g = min(g, math.sqrt(n * self.R * self.Delta / (self.L * K * self.sigma2)))
        self.gamma = g if self._gamma is None else self._gamma
        z = np.zeros((n, d))
        self._resid = np.empty((n, d))  # scratch for the MSC residual (no temporaries per round)
        return NeolithicNCState(x=x0.copy(), T=z, V=z.copy(), E=z.copy(), w=np.zeros(d),
                                U=np.zeros(d), e=np.zeros(d), x_out=x0.copy())

    def _round(self, s: NeolithicNCState, oracle: Oracle, rng: np.random.Generator,
               tally: Tally) -> NeolithicNCState:
        R = self.R
        if s.r == 0:
            X = np.broadcast_to(s.x, s.T.shape)
            if getattr(oracle, "deterministic", False):
                G = self.query(s, oracle, X, rng, tally)  # the R samples coincide: one query
            else:
                G = self.query(s, oracle, X, rng, tally)
                for _ in range(R - 1):
                    G = G + self.query(s, oracle, X, rng, tally)
                G = G / R if R > 1 else G
            s.T = G + s.E if self.error_feedback else G
            s.V[...] = 0.0
        if s.r < R:  # uplink MSC step
            c = self.uplink(s, self.C, np.subtract(s.T, s.V, out=self._resid), rng, tally)
            s.V += c
            if s.r == R - 1:
                v = s.V.mean(axis=0)
                if self.error_feedback:
                    s.E = s.T - s.V
                if not self.bidirectional:
                    u = self.broadcast(s, v, tally)
                    return self._finish(s, u, rng)
                s.w = v + s.e
                s.U[...] = 0.0
            s.r += 1
            return s
        c0 = self.broadcast(s, s.w - s.U, tally, self.C0, rng)  # downlink MSC step
        s.U += c0
        if s.r == 2 * R - 1:
            s.e = s.w - s.U
            return self._finish(s, s.U.copy(), rng)
        s.r += 1
        return s

    def _finish(self, s: NeolithicNCState, u: Array, rng: np.random.Generator) -> NeolithicNCState:
        s.x = descend(s.x, self.gamma, u)
        s.k += 1
        s.r = 0
        if self.output_rule == "uniform" and rng.random() < 1.0 / (s.k + 1):
            s.x_out = s.x.copy()
        return s

    def output(self, s: NeolithicNCState) -> Array:
        return s.x if self.output_rule == "last" else s.x_out

    def hyperparameters(self) -> dict[str, float | int | str]:
        return {"R": getattr(self, "R", self._R), "gamma": getattr(self, "gamma", self._gamma),
                "bidirectional": str(self.bidirectional), "error_feedback": str(self.error_feedback),
                "output_rule": self.output_rule, "delta_msc": getattr(self, "delta", "")}

"""EF21 (Richtárik, Sokolov, Fatkhullin, NeurIPS 2021) and EF21-SGD (Fatkhullin et al. 2021,
"EF21 with bells & whistles") — THEORY.md §7, EF21 and EF21-SGD rows:

    x⁺ = x − γ g,   g = (1/n) Σ_i g_i;
    g_i⁺ = g_i + C(∇f_i(x⁺) − g_i)          (each worker against its *own* g_i)

EF21-SGD is the same update with a stochastic oracle; :class:`EF21SGD` adds the momentum of
EF21-SGDM (Fatkhullin, Tyurin, Richtárik, NeurIPS 2023; THEORY.md §7 row): v_i ← (1−a)v_i + a·g_i
and the worker compresses v_i − g_i instead of g_i(x) − g_i. With a = 1 (its default) it is EF21
with a stochastic oracle, iterate for iterate.

One round t: every worker queries at x_t, sends c_i = C(g_i(x_t) − g_i), sets g_i ← g_i + c_i; the
server keeps g = (1/n)Σ g_i by adding the average c and broadcasts g; everyone steps
x_{t+1} = x_t − γ g. We start from g_i = 0, so the first round sends C(∇f_i(x⁰)) (the paper's
g_i⁰ = C(∇f_i(x⁰)) option) and all state stays zero-respecting.

Compressor: contractive (δ), an unbiased C enters as C/(1+ω) (THEORY.md §9 (f)). Default step from
EF21's Theorem 1 (THEORY.md §7): γ = 1/(L + L̃√(β/θ)) with θ = 1 − √(1−δ), β = (1−δ)/(1−√(1−δ)),
L̃ = √((1/n)ΣL_i²) ≤ L (every f_i is L-smooth, THEORY.md §1.1, so we take L̃ = L). With δ = 1 this
is 1/L and EF21 with the identity is exactly PSGD (g_i = ∇f_i(x)); the code computes that case as
g_i⁺ = ∇f_i(x), g⁺ = mean_i ∇f_i(x) directly (bit for bit PSGD, one pass over the n·d values).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from algorithms.audit import SupportAudit
from algorithms.base import Array, check_positive
from algorithms.comm import RoundAlgorithm, Tally, as_contractive, delta_of, descend
from constructions.base import Oracle
from constructions.compressors import VALUE_BITS, Compressor, Identity


@dataclass
class EF21State:
    x: Array  # (d,) common iterate
    Gi: Array  # (n, d) worker estimates g_i
    g: Array  # (d,) server's g = mean g_i
    t: int = 0
    audit: SupportAudit | None = None


@dataclass
class EF21MState(EF21State):
    V: Array = None  # type: ignore[assignment]  # (n, d) momentum buffers v_i (EF21-SGDM)


def _copy_and_mean(T: Array, out_rows: Array, out_mean: Array) -> None:
    """out_rows ← T and out_mean ← mean over rows of T, block of columns by block of columns: the
    sum then re-reads T from cache instead of memory (n·d doubles read once, not twice). Each
    column's sum runs over the rows in the same order as ``T.mean(axis=0)`` (which is this sum
    divided by n), so the result is the same bit for bit."""
    n, d = T.shape
    step = max(1024, 131072 // max(n, 1))  # ≈ 1 MB of T per block (measured best at n = 8)
    for j in range(0, d, step):
        cols = slice(j, j + step)
        np.copyto(out_rows[:, cols], T[:, cols])
        np.add.reduce(T[:, cols], axis=0, out=out_mean[cols])
    np.divide(out_mean, n, out=out_mean)


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
        self._buf = np.empty((n, d))  # scratch for ∇f_i − g_i (and a < 1's a·g_i in EF21-SGDM)
        return EF21State(x=x0.copy(), Gi=np.zeros((n, d)), g=np.zeros(d))

    def _update_estimates(self, s: EF21State, target: Array, rng: np.random.Generator,
                          tally: Tally) -> None:
        """g_i ← g_i + C(target_i − g_i) and the server's g ← g + mean_i C(·)."""
        if type(self.C) is Identity:
            # C(t_i − g_i) = t_i − g_i exactly, so g_i⁺ = t_i and g⁺ = mean_i t_i: computed as such
            # (one pass over n·d values instead of three, and no rounding in g_i + (t_i − g_i)).
            if s.audit is not None:
                self.uplink(s, self.C, target - s.Gi, rng, tally)  # the audit sees the message
            else:
                tally.bits_up += VALUE_BITS * target.shape[0] * target.shape[1]
            _copy_and_mean(target, s.Gi, s.g)
            return
        c = self.uplink(s, self.C, np.subtract(target, s.Gi, out=self._buf), rng, tally)
        s.Gi += c
        s.g += c.mean(axis=0)

    def _round(self, s: EF21State, oracle: Oracle, rng: np.random.Generator, tally: Tally) -> EF21State:
        X = np.broadcast_to(s.x, s.Gi.shape)
        G = self.query(s, oracle, X, rng, tally)
        self._update_estimates(s, G, rng, tally)
        g = self.broadcast(s, s.g, tally)
        s.x = descend(s.x, self.gamma, g)
        s.t += 1
        return s

    def output(self, s: EF21State) -> Array:
        return s.x

    def hyperparameters(self) -> dict[str, float | int | str]:
        return {"gamma": getattr(self, "gamma", self._gamma), "delta": getattr(self, "delta", "")}


class EF21SGD(EF21):
    """EF21-SGD (Fatkhullin et al. 2021) with the optional momentum of EF21-SGDM (Fatkhullin,
    Tyurin, Richtárik 2023), THEORY.md §7:

        v_i ← (1 − a)·v_i + a·g_i(x);   c_i = C(v_i − g_i);   g_i ← g_i + c_i;   x⁺ = x − γ·mean g_i.

    ``momentum`` = a ∈ (0, 1]; a = 1 (default) is EF21-SGD, which THEORY.md §7 notes has no 1/n
    speed-up in σ² and needs large batches; a < 1 is EF21-SGDM, whose theorem takes a and γ
    depending on T and σ (not reproduced; pass them). The default γ is EF21's Theorem-1 step
    (:func:`ef21_gamma`); the stochastic theorems' steps have the same form with constants this
    toolkit could not verify [U].
    """

    name = "ef21-sgd"

    def __init__(self, compressor: Compressor, L: float, gamma: float | None = None,
                 momentum: float = 1.0) -> None:
        super().__init__(compressor, L, gamma)
        a = float(momentum)
        if not (np.isfinite(a) and 0.0 < a <= 1.0):
            raise ValueError(f"momentum must lie in (0, 1] (got {momentum!r})")
        self.momentum = a

    def _init(self, n: int, d: int, x0: Array, rng: np.random.Generator) -> EF21State:
        s = super()._init(n, d, x0, rng)
        if self.momentum == 1.0:
            return s
        return EF21MState(x=s.x, Gi=s.Gi, g=s.g, V=np.zeros((n, d)))

    def _round(self, s: EF21State, oracle: Oracle, rng: np.random.Generator, tally: Tally) -> EF21State:
        if not isinstance(s, EF21MState):
            return super()._round(s, oracle, rng, tally)
        X = np.broadcast_to(s.x, s.Gi.shape)
        G = self.query(s, oracle, X, rng, tally)
        a = self.momentum
        s.V *= 1.0 - a
        s.V += np.multiply(G, a, out=self._buf)
        self._update_estimates(s, s.V, rng, tally)
        g = self.broadcast(s, s.g, tally)
        s.x = descend(s.x, self.gamma, g)
        s.t += 1
        return s

    def hyperparameters(self) -> dict[str, float | int | str]:
        return {**super().hyperparameters(), "momentum": self.momentum}

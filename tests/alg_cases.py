"""Shared fixtures of the algorithm tests: small problems defined here (not in constructions/) and
one factory per registered method."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from algorithms.adiana import ADIANA
from algorithms.artemis import Artemis
from algorithms.audit import BlackBoxAudit, SupportAudit
from algorithms.base import Algorithm, RoundStats
from algorithms.cgd import CompressedGD
from algorithms.cser import CSER
from algorithms.diana import DIANA
from algorithms.doublesqueeze import DoubleSqueeze
from algorithms.ef21 import EF21, EF21SGD
from algorithms.memsgd import MemSGD
from algorithms.neolithic import AcceleratedNeolithic
from algorithms.neolithic_gc import AcceleratedNeolithicGC
from algorithms.neolithic_nc import NeolithicNC
from algorithms.nesterov import Nesterov
from algorithms.plugin import audited as plugin_audited
from algorithms.psgd import PSGD
from algorithms.qsgd import QSGD
from constructions.compressors import Compressor


class Quadratic:
    """f_i(x) = ½(x − b_i)ᵀA_i(x − b_i), heterogeneous, spectra in [mu, L]; x* solved exactly."""

    deterministic = True

    def __init__(self, n: int = 4, d: int = 8, L: float = 1.0, mu: float = 0.25, seed: int = 0,
                 homogeneous: bool = False) -> None:
        rng = np.random.default_rng(seed)
        self.n, self.d, self.L, self.mu = n, d, L, mu
        A = []
        for _ in range(1 if homogeneous else n):
            Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
            lam = np.concatenate([[mu, L], rng.uniform(mu, L, d - 2)])
            A.append((Q * lam) @ Q.T)
        self.A = np.array(A * n if homogeneous else A)
        self.b = np.repeat(rng.standard_normal((1, d)), n, axis=0) if homogeneous else rng.standard_normal((n, d))
        self.Abar = self.A.mean(axis=0)
        self.x_star = np.linalg.solve(self.Abar, np.einsum("nij,nj->i", self.A, self.b) / n)

    def grads(self, X: np.ndarray) -> np.ndarray:
        X = np.broadcast_to(X, (self.n, self.d))
        return np.einsum("nij,nj->ni", self.A, X - self.b)

    def query(self, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return self.grads(X)

    def gap(self, x: np.ndarray) -> float:
        e = x - self.x_star
        return float(0.5 * e @ self.Abar @ e)

    def prog(self, x: np.ndarray) -> int:
        return 0


class NoisyQuadratic(Quadratic):
    """The same quadratic with additive N(0, σ²/d·I) gradient noise (E‖noise‖² = σ²)."""

    deterministic = False

    def __init__(self, sigma: float, **kw) -> None:
        super().__init__(**kw)
        self.sigma = sigma

    def query(self, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        G = self.grads(X)
        return G + (self.sigma / np.sqrt(self.d)) * rng.standard_normal(G.shape)


class CosineNC:
    """f_i(x) = Σ_j [λ/2·x_j² + a·cos(x_j − c_ij)]: L = λ + a smooth, non-convex (f'' = λ − a cos
    < 0 near the cosine's maxima), bounded below; heterogeneous shifts c_ij."""

    deterministic = True

    def __init__(self, n: int = 4, d: int = 6, lam: float = 0.2, a: float = 0.8, seed: int = 1,
                 homogeneous: bool = False) -> None:
        rng = np.random.default_rng(seed)
        self.n, self.d, self.lam, self.a = n, d, lam, a
        self.L = lam + a
        self.c = rng.uniform(-np.pi, np.pi, (1 if homogeneous else n, d)) * np.ones((n, 1))

    def grads(self, X: np.ndarray) -> np.ndarray:
        X = np.broadcast_to(X, (self.n, self.d))
        return self.lam * X - self.a * np.sin(X - self.c)

    def query(self, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return self.grads(X)

    def grad_norm2(self, x: np.ndarray) -> float:
        return float(np.sum(self.grads(x).mean(axis=0) ** 2))


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[Compressor, float, float, int], Algorithm]  # (C, L, mu, d)
    unbiased_only: bool = False  # the default step needs an unbiased compressor
    convex_only: bool = False  # accelerated / SC-theorem methods
    uses_compressor: bool = True


CASES: tuple[Case, ...] = (
    Case("psgd", lambda C, L, mu, d: PSGD(L), uses_compressor=False),
    Case("nesterov", lambda C, L, mu, d: Nesterov(L, mu), convex_only=True, uses_compressor=False),
    Case("nesterov-gc", lambda C, L, mu, d: Nesterov(L), convex_only=True, uses_compressor=False),
    Case("cgd", lambda C, L, mu, d: CompressedGD(C, L, d)),
    Case("qsgd", lambda C, L, mu, d: QSGD(C, L), unbiased_only=True),
    Case("memsgd", lambda C, L, mu, d: MemSGD(C, L)),
    Case("ef21", lambda C, L, mu, d: EF21(C, L)),
    Case("ef21-sgd", lambda C, L, mu, d: EF21SGD(C, L)),
    Case("ef21-sgdm", lambda C, L, mu, d: EF21SGD(C, L, momentum=0.5)),
    Case("doublesqueeze", lambda C, L, mu, d: DoubleSqueeze(C, L)),
    Case("cser", lambda C, L, mu, d: CSER(C, L)),
    Case("artemis", lambda C, L, mu, d: Artemis(C, L), unbiased_only=True),
    Case("diana", lambda C, L, mu, d: DIANA(C, L, mu=mu or None), unbiased_only=True),
    Case("adiana", lambda C, L, mu, d: ADIANA(C, L, mu), unbiased_only=True, convex_only=True),
    Case("neolithic", lambda C, L, mu, d: AcceleratedNeolithic(C, L, mu, d), convex_only=True),
    Case("neolithic-p2", lambda C, L, mu, d: AcceleratedNeolithic(C, L, mu, d, p=2.0), convex_only=True),
    Case("neolithic-gc", lambda C, L, mu, d: AcceleratedNeolithicGC(C, L, d), convex_only=True),
    Case("neolithic-nc", lambda C, L, mu, d: NeolithicNC(C, L)),
    Case("neolithic-nc-bi", lambda C, L, mu, d: NeolithicNC(C, L, bidirectional=True)),
)

CASE_BY_NAME = {c.name: c for c in CASES}


def audited(alg: Algorithm) -> Algorithm:
    """The algorithm with the zero-respecting audit on (the plug-in path's own helper)."""
    return plugin_audited(alg)


def audit_of(alg: Algorithm, state) -> SupportAudit:
    """The :class:`SupportAudit` watching a run: the state's (hook-level) or the black box's."""
    a = alg.current if isinstance(alg, BlackBoxAudit) else getattr(state, "audit", None)
    assert isinstance(a, SupportAudit), f"{alg.name} runs without an audit"
    return a


class KnowsTheAnswer(Algorithm):
    """A cheater outside every class the lower bounds cover: it is handed an accurate point (x*
    of a convex chain, an ε-stationary point of the NC chain) and reports it from round 1 on,
    with no communication. Used to show that a measurement *can* fall below the bound (power)
    and that the audit catches it (supp x* is not learned)."""

    name = "knows-the-answer"

    def __init__(self, answer: np.ndarray) -> None:
        self.answer = np.asarray(answer, dtype=np.float64)

    def init(self, n: int, d: int, x0: np.ndarray, rng: np.random.Generator):
        return {"x": np.array(x0, dtype=np.float64)}

    def step(self, state, oracle, rng: np.random.Generator):
        state["x"] = self.answer.copy()
        return state, RoundStats(0, 0, 0)

    def output(self, state) -> np.ndarray:
        return state["x"]


def iterates(alg: Algorithm, oracle, n: int, d: int, rounds: int, seed: int = 0,
             x0: np.ndarray | None = None) -> tuple[np.ndarray, list]:
    """(rounds + 1, d) reported points and the per-round stats."""
    rng = np.random.default_rng(seed)
    s = alg.init(n, d, np.zeros(d) if x0 is None else x0, rng)
    xs, stats = [alg.output(s).copy()], []
    for _ in range(rounds):
        s, st = alg.step(s, oracle, rng)
        xs.append(alg.output(s).copy())
        stats.append(st)
    return np.array(xs), stats

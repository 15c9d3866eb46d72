"""The strongly convex experiment: one run on the proof's own hard instance (issue 2).

A :class:`SCRunSpec` fixes everything a run depends on; :func:`execute` is a pure function of it
(the seed is derived from ``master_seed`` and ``seed_index`` with ``numpy.random.SeedSequence``), so
the same spec gives byte-identical rows on any machine and in any scheduling order. The same seed
index drives every sweep point and algorithm (common random numbers across the sweep).

Instance: the split SC chain (``constructions.SCSplitChain``) with L = 1, μ = 1/κ, Δ_x = 1, and the
adversarial rand-s compressor with one support per round shared by all workers. The compression
factor F is 1+ω (unbiased, scaled rand-s) or 1/δ (contractive, unscaled rand-s). For integer F the
dimension d is a multiple of F and s = d/F, so ω = d/s − 1 and δ = s/d exactly; for non-integer F
the Bernoulli sparsifier with keep-probability 1/F is used instead (same crossing probability).

Accuracy: ``eps`` are fractions of the initial gap f(x⁰) − f*; the absolute ε = eps·(f(x⁰) − f*)
is what the bounds are evaluated at (and is stored in every row).

Dimension: d ≥ max(2k_ε, k_ε + ln2/(2 ln(1/q))) where k_ε is the progress the smallest ε needs
(THEORY.md §2.2 margin; the factor 2 keeps the chain's end far from the frontier so the finite chain
behaves like the infinite one), rounded up to a multiple of F.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from algorithms.base import Algorithm
from algorithms import registry as alg_registry
from algorithms.neolithic import AcceleratedNeolithic
from constructions.base import ExactOracle
from constructions.compressors import BernoulliSparsifier, Compressor, RandS
from constructions.sc_chain import SCSplitChain
from lowerbounds import algorithm_factory as factory
from lowerbounds import bounds, validate
from lowerbounds.validate import MAX_FACTOR
from lowerbounds.measure import hyperparameter_text, outcome, run, run_rng

ALGORITHMS = ("cgd", "neolithic")
COMPRESSORS = ("unbiased", "contractive")


@dataclass(frozen=True)
class SCRunSpec:
    """Everything one SC run depends on."""

    compressor: str  # "unbiased" (parameter omega) or "contractive" (parameter delta)
    algorithm: str
    kappa: float
    omega: float = 0.0  # used when compressor == "unbiased"
    delta: float = 1.0  # used when compressor == "contractive"
    n: int = 4
    eps: tuple[float, ...] = (1e-4, 1e-5, 1e-6)
    seed_index: int = 0
    master_seed: int = 0
    budget_factor: float = 4.0
    max_rounds: int = 2_000_000
    shared: bool = True
    sweep: str = ""  # label of the sweep this run belongs to (not used by the computation)
    audit: bool = False  # run with the zero-respecting audit (algorithms.audit) on
    plugin_sha: str = ""  # a plug-in's source digest (algorithm_factory.plugin_digest)

    def __post_init__(self) -> None:
        validate.choice(self.compressor, "compressor", COMPRESSORS)
        if not factory.is_plugin(self.algorithm):
            validate.choice(self.algorithm, "algorithm", tuple(alg_registry.ALGORITHMS))
        validate.kappa(self.kappa)
        validate.omega(self.omega)
        validate.delta(self.delta)
        validate.integer(self.n, "n", minimum=2)
        for e in self.eps:
            validate.eps(e, "eps", upper=1.0)
        if self.factor > MAX_FACTOR:
            raise ValueError(f"1+omega or 1/delta must be ≤ {MAX_FACTOR:g} on the hard instance (d = s·(1+ω) "
                             f"coordinates are stored; got {self.factor:g})")
        validate.integer(self.seed_index, "seed index", minimum=0)
        validate.integer(self.master_seed, "seed", minimum=0)

    @property
    def factor(self) -> float:
        """The compression factor F: 1+ω or 1/δ."""
        return 1.0 + self.omega if self.compressor == "unbiased" else 1.0 / self.delta

    def rng(self) -> np.random.Generator:
        return run_rng(self.master_seed, self.seed_index)


@dataclass(frozen=True)
class Instance:
    chain: SCSplitChain
    compressor: Compressor
    d: int
    p_cross: float  # probability that a given coordinate survives one compression


def _integral(F: float) -> int | None:
    r = round(F)
    return int(r) if abs(F - r) < 1e-9 else None


def build_instance(spec: SCRunSpec) -> Instance:
    L, mu = 1.0, 1.0 / spec.kappa
    F = spec.factor
    probe = SCSplitChain(L=L, mu=mu, d=64, n=spec.n)
    ratio = probe.initial_gap / (mu * probe.delta_x)  # f(0) − f* in units of μΔ_x (≈ √κ/2)
    eps_rel = min(spec.eps) * ratio
    k_margin = SCSplitChain.dimension_for(spec.kappa, eps_rel, n=spec.n)
    q = probe.q
    margin = math.log(2.0) / (2.0 * math.log(1.0 / q))
    k_eps = max(1, k_margin - int(math.ceil(margin)) - 2)
    d_min = max(2 * k_eps, k_margin, 8)
    Fi = _integral(F)
    scaled = spec.compressor == "unbiased"
    if Fi is not None:
        d = int(math.ceil(d_min / Fi) * Fi)
        comp: Compressor = RandS(s=d // Fi, scaled=scaled, shared=spec.shared)
        p = (d // Fi) / d
    else:
        d = d_min
        comp = BernoulliSparsifier(p=1.0 / F, scaled=scaled, shared=spec.shared)
        p = 1.0 / F
    return Instance(SCSplitChain(L=L, mu=mu, d=d, n=spec.n), comp, d, p)


def make_algorithm(spec: SCRunSpec, inst: Instance) -> Algorithm:
    ch = inst.chain
    return factory.make(spec.algorithm, inst.compressor, L=ch.L, d=inst.d, mu=ch.mu, audit=spec.audit)


def predicted_rounds(spec: SCRunSpec, inst: Instance, alg: Algorithm) -> float:
    """A generous scale for the round budget (budget = budget_factor × this): the algorithm's own
    upper-bound shape with explicit constants for these step sizes."""
    ch = inst.chain
    lg = math.log(1.0 / min(spec.eps)) + 1.0
    base = getattr(alg, "inner", alg)  # through the audit wrapper
    if isinstance(base, AcceleratedNeolithic):
        return base.R * (math.sqrt(ch.kappa_eff / (ch.L * base.eta)) * lg + 1.0)
    # Any other method: the unaccelerated rate, a generous scale for a first-order method.
    return spec.factor * ch.kappa_eff * lg


COLUMNS = (
    "sweep", "setting", "compressor", "algorithm", "shared", "kappa", "omega", "delta", "factor",
    "n", "d", "s_or_p", "L", "mu", "delta_x", "sigma2", "eps_rel", "eps", "master_seed", "seed_index",
    "rounds", "censored", "status", "budget", "diverged_at", "bits_up", "bits_down", "oracle_calls",
    "prog_at_hit", "explicit_lower_bound", "hyperparameters",
)


def execute(spec: SCRunSpec) -> list[dict]:
    """Run one spec; return one row per ε (see ``COLUMNS``)."""
    inst = build_instance(spec)
    ch = inst.chain
    alg = make_algorithm(spec, inst)
    budget = int(min(spec.max_rounds, math.ceil(spec.budget_factor * predicted_rounds(spec, inst, alg))))
    gap0 = ch.initial_gap
    eps_abs = [e * gap0 for e in spec.eps]
    trace = run(ch, alg, ExactOracle(ch), n=spec.n, d=inst.d, budget=budget,
                eps_min=min(eps_abs), rng=spec.rng())
    explicit = bounds.get(f"sc-{spec.compressor}-explicit")
    hp = hyperparameter_text(alg)
    rows = []
    for e_rel, e in zip(spec.eps, eps_abs):
        # The explicit bound's p_c is the exact crossing probability of this compressor.
        # Outside its condition ε < μΔ_x/4 the bound is vacuous (T ≥ 0), not negative.
        lb = max(0.0, explicit.evaluate(dict(L=ch.L_eff, mu=ch.mu, Delta_x=ch.delta_x, eps=e,
                                             omega=1.0 / inst.p_cross - 1.0, delta=inst.p_cross)))
        rows.append(dict(
            sweep=spec.sweep, setting="sc", compressor=spec.compressor, algorithm=spec.algorithm,
            shared=spec.shared, kappa=spec.kappa,
            omega=spec.omega if spec.compressor == "unbiased" else "",
            delta=spec.delta if spec.compressor == "contractive" else "",
            factor=spec.factor, n=spec.n, d=inst.d,
            s_or_p=getattr(inst.compressor, "s", getattr(inst.compressor, "p", "")),
            L=ch.L, mu=ch.mu, delta_x=ch.delta_x, sigma2=0.0, eps_rel=e_rel, eps=e,
            master_seed=spec.master_seed, seed_index=spec.seed_index,
            budget=budget, **outcome(trace, e),
            explicit_lower_bound=lb, hyperparameters=hp,
        ))
    return rows


def spec_dict(spec: SCRunSpec) -> dict:
    return asdict(spec)

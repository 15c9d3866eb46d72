"""Generally convex and non-convex runs on the proofs' hard instances (issue 7).

A :class:`ChainRunSpec` fixes one run; :func:`execute` is a pure function of it (seed from
``SeedSequence(master_seed, spawn_key=(seed_index,))``) and returns one row in the columns of
:data:`lowerbounds.sc_experiment.COLUMNS`, so the SC, GC and NC rows share one table.

Unlike SC, the GC and NC instances depend on ε (THEORY.md §9 pitfall (g)): each ε builds its own
chain, so one run measures one ε.

* **GC** (THEORY.md §2.3, §3.3): L = 1, Δ_x = 1, ε a fraction of LΔ_x. The chain has length
  K = 2t + 1 with t the largest integer whose proof floor c·3LΔ_x/(32(t+1)²) exceeds ε
  (c = 2⌊n/2⌋/n), so an ε-accurate point needs progress ≥ t + 1.
* **NC** (THEORY.md §2.4, §3.3): L = 1, Δ = 1, accuracy ‖∇f‖² ≤ ε. λ = ℓ₁√(2ε)/(c_nL) makes
  ‖∇f‖² > 2ε while prog₁(x/λ) < K, and K = ⌊c_nLΔ/(24ℓ₁ε)⌋ keeps f(0) − inf f ≤ Δ.

The compressor is the shared rand-s adversary with s = d/F (F = 1+ω or 1/δ an integer; d rounded
up to a multiple of F, coordinates beyond K inert). The explicit bound in each row is the
registered ``{setting}-{compressor}-explicit`` at the row's parameters (valid on these instances:
the GC instance's floor is above the one the registered bound assumes; see the module tests).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from algorithms import registry as alg_registry
from constructions.base import ExactOracle
from constructions.compressors import Compressor, RandS
from constructions.gc_chain import GCSplitChain
from constructions.nc_chain import NCSplitChain
from lowerbounds import algorithm_factory as factory
from lowerbounds import bounds, validate
from lowerbounds.validate import MAX_FACTOR
from lowerbounds.measure import hyperparameter_text, outcome, run, run_rng

ELL1 = 152.0  # CDHS / Arjevani et al. Lemma 2: ∇F_K is ℓ₁-Lipschitz (THEORY.md §2.4)
SETTINGS = ("gc", "nc")
COMPRESSORS = ("unbiased", "contractive")
DEFAULT_ALGORITHMS = {"gc": ("cgd", "neolithic-gc"), "nc": ("cgd", "neolithic-nc")}


@dataclass(frozen=True)
class ChainRunSpec:
    setting: str  # "gc" or "nc"
    compressor: str  # "unbiased" (omega) or "contractive" (delta)
    algorithm: str
    eps: float  # GC: fraction of LΔ_x; NC: the ‖∇f‖² target (L = Δ = 1)
    omega: float = 0.0
    delta: float = 1.0
    n: int = 4
    seed_index: int = 0
    master_seed: int = 0
    budget_factor: float = 4.0
    max_rounds: int = 1_000_000
    shared: bool = True
    sweep: str = ""
    audit: bool = False  # run with the zero-respecting audit (algorithms.audit) on
    plugin_sha: str = ""  # a plug-in's source digest (algorithm_factory.plugin_digest)

    def __post_init__(self) -> None:
        validate.choice(self.setting, "setting", SETTINGS)
        validate.choice(self.compressor, "compressor", COMPRESSORS)
        if not factory.is_plugin(self.algorithm):
            validate.choice(self.algorithm, "algorithm", tuple(alg_registry.ALGORITHMS))
        validate.omega(self.omega)
        validate.delta(self.delta)
        validate.eps(self.eps, "eps", upper=1.0)
        validate.integer(self.n, "n", minimum=2)
        if self.factor > MAX_FACTOR:
            raise ValueError(f"1+omega or 1/delta must be ≤ {MAX_FACTOR:g} on the hard instance (d = s·(1+ω) "
                             f"coordinates are stored; got {self.factor:g})")
        validate.integer(self.seed_index, "seed index", minimum=0)
        validate.integer(self.master_seed, "seed", minimum=0)
        F = self.factor
        if abs(F - round(F)) > 1e-9:
            raise ValueError(f"1+omega or 1/delta must be an integer for rand-s (got {F:g})")

    @property
    def factor(self) -> float:
        return 1.0 + self.omega if self.compressor == "unbiased" else 1.0 / self.delta

    def rng(self) -> np.random.Generator:
        return run_rng(self.master_seed, self.seed_index)


def gc_half_length(eps: float, n: int) -> int:
    """Largest t ≥ 1 with c·3/(32(t+1)²) > ε (L = Δ_x = 1), c = 2⌊n/2⌋/n."""
    c = 2 * (n // 2) / n
    t = max(1, int(math.floor(math.sqrt(3 * c / (32 * eps)))) - 1)
    while t > 1 and c * 3 / (32 * (t + 1) ** 2) <= eps:
        t -= 1
    if c * 3 / (32 * (t + 1) ** 2) <= eps:
        raise ValueError(f"eps must be < {c * 3 / 128:.4g} for a GC chain of length ≥ 3 (got {eps:g})")
    return t


def nc_length(eps: float, n: int) -> int:
    cn = (n // 2) / n
    K = int(math.floor(cn / (24 * ELL1 * eps) * (1 + 1e-12)))
    if K < 2:
        raise ValueError(f"eps must be ≤ {cn / (48 * ELL1):.4g} for an NC chain of length ≥ 2 (got {eps:g})")
    return K


def nc_eps_for_length(K: int, n: int) -> float:
    """The ε whose recipe gives chain length K (for sweeps written in K)."""
    return ((n // 2) / n) / (24 * ELL1 * K)


@dataclass(frozen=True)
class ChainInstance:
    problem: GCSplitChain | NCSplitChain
    compressor: Compressor
    d: int
    K: int
    p_cross: float


def build_instance(spec: ChainRunSpec) -> ChainInstance:
    F = int(round(spec.factor))
    if spec.setting == "gc":
        K = 2 * gc_half_length(spec.eps, spec.n) + 1
    else:
        K = nc_length(spec.eps, spec.n)
    d = int(math.ceil(K / F) * F)
    if spec.setting == "gc":
        prob: GCSplitChain | NCSplitChain = GCSplitChain(L=1.0, K=K, d=d, n=spec.n, delta_x=1.0)
    else:
        lam = ELL1 * math.sqrt(2 * spec.eps) / (((spec.n // 2) / spec.n) * 1.0)
        prob = NCSplitChain(L=1.0, lam=lam, K=K, d=d, n=spec.n)
    comp = RandS(s=d // F, scaled=spec.compressor == "unbiased", shared=spec.shared)
    return ChainInstance(prob, comp, d, K, 1.0 / F)


def _budget(spec: ChainRunSpec, inst: ChainInstance) -> int:
    # A generous multiple of the slowest (unaccelerated) rate F·L·scale/ε, plus per-coordinate
    # crossings F·K, so that no algorithm in the zoo is censored by design.
    F = spec.factor
    base = F * (1.0 / spec.eps if spec.setting == "gc" else 1e-3 / spec.eps) + 40 * F * inst.K
    return int(min(spec.max_rounds, math.ceil(spec.budget_factor * 25 * base)))


def execute(spec: ChainRunSpec) -> list[dict]:
    inst = build_instance(spec)
    alg = factory.make(spec.algorithm, inst.compressor, L=1.0, d=inst.d, audit=spec.audit)
    budget = _budget(spec, inst)
    trace = run(inst.problem, alg, ExactOracle(inst.problem), n=spec.n, d=inst.d, budget=budget,
                eps_min=spec.eps, rng=spec.rng())
    F = spec.factor
    vals = dict(L=1.0, Delta_x=1.0, Delta=1.0, eps=spec.eps, n=float(spec.n), omega=F - 1.0, delta=1.0 / F,
                sigma=0.0)
    lb = max(0.0, bounds.get(f"{spec.setting}-{spec.compressor}-explicit").evaluate(vals))
    hp = hyperparameter_text(alg)
    return [dict(
        sweep=spec.sweep, setting=spec.setting, compressor=spec.compressor, algorithm=spec.algorithm,
        shared=spec.shared, kappa="", omega=spec.omega if spec.compressor == "unbiased" else "",
        delta=spec.delta if spec.compressor == "contractive" else "", factor=F, n=spec.n, d=inst.d,
        s_or_p=inst.compressor.s, L=1.0, mu="", delta_x=1.0, sigma2=0.0, eps_rel=spec.eps, eps=spec.eps,
        master_seed=spec.master_seed, seed_index=spec.seed_index,
        budget=budget, **outcome(trace, spec.eps),
        explicit_lower_bound=lb, hyperparameters=f"K={inst.K};" + hp,
    )]

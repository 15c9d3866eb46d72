"""Runs on the σ²-term instances: the noise half of every lower bound (issue 7).

The compression term of each bound is certified by the split chains with the shared rand-s
adversary (:mod:`lowerbounds.sc_experiment`, :mod:`lowerbounds.chain_experiments`); the noise term
by separate *homogeneous* instances on which the adversary uses the identity compressor, so that
compression plays no role (THEORY.md §2.5, §3.3). A :class:`NoiseRunSpec` fixes one run and
:func:`execute` is a pure function of it, returning one row in the columns of
:data:`lowerbounds.sc_experiment.COLUMNS`.

Instances (all from :func:`constructions.recipes` at L = 1, Δ_x = 1 or Δ = 1):

* **SC**: f_i(x) = (μ/2)‖x − θ‖² with μ = L = 1 and gradient noise N(0, (σ²/D)·I_D) on D = 256
  coordinates, θ spread evenly with ‖θ‖² = Δ_x. The recipe's certificate is the one-dimensional
  Bayes risk (T > (σ²/(2εμ) − σ²/(μ²Δ_x))/n, :mod:`constructions.oracles`); a D-dimensional run
  is D independent copies with noise σ²/D each, so the same bound holds per coordinate and for the
  sum. The many coordinates make f(x_t) − f* concentrate (relative spread ≈ √(2/D) ≈ 9 %), so a
  single run's first passage below ε measures E f − f* ≤ ε and not a lucky dip. The certificate
  is a Bayes bound over θ ~ N(0, (Δ_x/D)·I); a run fixes one θ with ‖θ‖² = Δ_x. For the methods
  run here (linear in the gradients, started at 0) the expected error at θ depends on θ only
  through ‖θ‖², so it equals their Bayes risk, which is at least the Bayes-optimal one.
* **GC**: the same quadratic with curvature h = min(L, 4ε/Δ_x) (recipes.gc_recipe): the bound
  Δ_xσ²/(16nε²).
* **NC**: the homogeneous CDHS chain of §2.5 (c_n = 1, λ = ℓ₁√(2ε)/L, K₀ = ⌊LΔ/(24ℓ₁ε)⌋) with
  Arjevani's Bernoulli oracle, one coin per worker; accuracy ‖∇f‖² ≤ ε; the certificate
  T > K₀/(2(1 − (1 − p)ⁿ)) of recipes.nc_recipe.

Algorithms and their parameters for a target ε (the theorems' upper bounds pick step sizes or batch
sizes from the target accuracy; these choices are **the toolkit's own**, stated here):

* ``psgd``: parallel SGD with a constant step. SC/GC: γ = min{1/L, nε/σ²}: on a quadratic of
  curvature h the stationary error of constant-step SGD is γσ²/(2n(2 − γh)) ≤ ε/2, and the bias
  decays like (1 − γh)^t. NC: γ = 1/L (the Bernoulli oracle's noise only delays the frontier).
* ``neolithic`` (SC), ``neolithic-gc`` (GC), ``neolithic-nc`` (NC) with the identity compressor.
  SC/GC: the accumulation length R is chosen so that the minibatch noise σ²/(nR) is below the
  accuracy, R = ⌈σ²/(2hnε)⌉ with h the quadratic's curvature (μ in SC, 4ε/Δ_x in GC). NC: R = 2
  and γ = 1/(2L) instead of the default 1/(4L) (with the identity compressor MSC is exact after one
  step, so there is no compression error for the smaller step to damp); on Arjevani's chain the
  noise only delays the frontier, and larger batches do not help against it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from algorithms.base import Algorithm
from algorithms.neolithic import AcceleratedNeolithic
from algorithms.neolithic_gc import AcceleratedNeolithicGC
from algorithms.neolithic_nc import NeolithicNC
from algorithms.psgd import PSGD
from constructions.compressors import Identity
from constructions.oracles import GaussianOracle, NoisyQuadratic
from constructions.recipes import nc_noise
from lowerbounds import algorithm_factory as factory
from lowerbounds import validate
from lowerbounds.measure import hyperparameter_text, outcome, run, run_rng

SETTINGS = ("sc", "gc", "nc")
ALGORITHMS = {"sc": ("psgd", "neolithic"), "gc": ("psgd", "neolithic-gc"), "nc": ("psgd", "neolithic-nc")}
D_QUADRATIC = 256  # coordinates of the SC/GC noise quadratic (concentration, module docstring)


@dataclass(frozen=True)
class NoiseRunSpec:
    setting: str
    algorithm: str
    sigma2: float  # σ², the oracle's variance bound
    eps: float  # SC: fraction of μΔ_x; GC: of LΔ_x; NC: the ‖∇f‖² target (L = Δ = 1)
    n: int = 4
    seed_index: int = 0
    master_seed: int = 0
    budget_factor: float = 200.0  # × the certificate: NEOLITHIC-GC needs ~70× on the GC quadratic
    max_rounds: int = 400_000
    sweep: str = ""
    audit: bool = False  # run with the zero-respecting audit on (plug-ins)
    plugin_sha: str = ""  # a plug-in's source digest (algorithm_factory.plugin_digest)

    def __post_init__(self) -> None:
        validate.choice(self.setting, "setting", SETTINGS)
        if not factory.is_plugin(self.algorithm):
            validate.choice(self.algorithm, "algorithm", ALGORITHMS[self.setting])
        validate.positive(self.sigma2, "sigma2")
        validate.eps(self.eps, "eps", upper=1.0)
        validate.integer(self.n, "n", minimum=2)
        validate.integer(self.seed_index, "seed index", minimum=0)
        validate.integer(self.master_seed, "seed", minimum=0)

    def rng(self) -> np.random.Generator:
        return run_rng(self.master_seed, self.seed_index)


@dataclass(frozen=True)
class NoiseInstance:
    problem: object
    oracle: object
    d: int
    bound: float  # the recipe's explicit σ² bound (rounds), valid with probability ≥ ½ (NC) or in E
    curvature: float | None  # h of the quadratic (SC/GC)
    coin_p: float | None  # Arjevani's p (NC)


def build_instance(spec: NoiseRunSpec) -> NoiseInstance:
    sigma = math.sqrt(spec.sigma2)
    if spec.setting in ("sc", "gc"):
        if spec.setting == "sc":
            h, eps_abs = 1.0, spec.eps  # μ = L = 1, Δ_x = 1
        else:
            h, eps_abs = min(1.0, 4.0 * spec.eps), spec.eps  # recipes.gc_recipe's curvature
        D = D_QUADRATIC
        theta = tuple(np.full(D, math.sqrt(1.0 / D)))
        prob = NoisyQuadratic(h=h, n=spec.n, d=D, theta=theta)
        # recipes' Bayes-risk certificate (σ²/(2εh) − σ²/(h²Δ_x))/n at Δ_x = 1 (tests compare).
        bound = max(0.0, (spec.sigma2 / (2 * eps_abs * h) - spec.sigma2 / (h * h)) / spec.n)
        return NoiseInstance(prob, GaussianOracle(prob, sigma), D, bound, h, None)
    prob, oracle, bound = nc_noise(1.0, 1.0, spec.n, spec.eps, sigma)
    return NoiseInstance(prob, oracle, prob.d, bound, None, oracle.p)


def noise_R(spec: NoiseRunSpec, inst: NoiseInstance) -> int:
    """The accumulation length for NEOLITHIC on the noise instance (module docstring)."""
    if spec.setting == "nc":
        # Every coin of the n·R draws of an outer iteration can move the frontier; R only has to
        # average the noise of the revealed coordinates: the toolkit keeps R small (2).
        return 2
    h = inst.curvature
    return max(1, math.ceil(spec.sigma2 / (2.0 * h * spec.n * spec.eps)))


def make_algorithm(spec: NoiseRunSpec, inst: NoiseInstance) -> Algorithm:
    ident = Identity()
    if factory.is_plugin(spec.algorithm):  # the user's own parameters; the identity compressor
        return factory.make(spec.algorithm, ident, L=1.0, d=inst.d, mu=inst.curvature, audit=spec.audit,
                            require_compressor=False)
    if spec.algorithm == "psgd":
        if spec.setting == "nc":
            return PSGD(L=1.0)
        return PSGD(L=1.0, gamma=min(1.0, spec.n * spec.eps / spec.sigma2))
    R = noise_R(spec, inst)
    if spec.setting == "sc":
        return AcceleratedNeolithic(ident, L=1.0, mu=1.0, d=inst.d, R=max(R, 1))
    if spec.setting == "gc":
        return AcceleratedNeolithicGC(ident, L=1.0, d=inst.d, R=R)
    # γ = 1/(2L) rather than the default 1/(4L): with the identity compressor MSC is exact after one
    # step, so there is no compression error for the smaller step to damp (toolkit's choice).
    return NeolithicNC(ident, L=1.0, R=R, gamma=0.5)


def execute(spec: NoiseRunSpec) -> list[dict]:
    inst = build_instance(spec)
    alg = make_algorithm(spec, inst)
    budget = int(min(spec.max_rounds, math.ceil(spec.budget_factor * max(inst.bound, 50.0))))
    trace = run(inst.problem, alg, inst.oracle, n=spec.n, d=inst.d, budget=budget,
                eps_min=spec.eps, rng=spec.rng())
    hp = hyperparameter_text(alg)
    extra = f"h={inst.curvature:.6g};" if inst.curvature is not None else f"p={inst.coin_p:.6g};"
    return [dict(
        sweep=spec.sweep, setting=spec.setting, compressor="none", algorithm=spec.algorithm,
        shared="", kappa=1.0 if spec.setting == "sc" else "", omega=0.0, delta="", factor=1.0,
        n=spec.n, d=inst.d, s_or_p="", L=1.0, mu=1.0 if spec.setting == "sc" else "", delta_x=1.0,
        sigma2=spec.sigma2, eps_rel=spec.eps, eps=spec.eps, master_seed=spec.master_seed,
        seed_index=spec.seed_index, budget=budget, **outcome(trace, spec.eps),
        explicit_lower_bound=inst.bound, hyperparameters=extra + hp,
    )]

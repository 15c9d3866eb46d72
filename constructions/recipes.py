"""Parameter recipes: a problem class ↦ the concrete hard instance and the lower bound it certifies
(THEORY.md §3.3 for the compression terms, §2.5 and §3.3 for the σ² terms).

One function per setting, each taking the class (L, μ, Δ_x or Δ, σ, n, ε) and the compressor
class, given either by ``omega`` (unbiased, scaled rand-s, p_c = 1/(1+ω)) or by ``delta``
(contractive, unscaled rand-s, p_c = δ), or directly by ``s`` and ``d`` (with ``contractive``):

* :func:`sc_recipe`: the §2.2 split chain scaled to Δ_x, in the dimension of
  :meth:`SCSplitChain.dimension_for`; certifies T_ε > ((√κ' − 1)/(8p_c))·ln(μΔ_x/(4ε)) (the formula)
  and the sharper (k*+1)/(2p_c) with k* = max{k : ½·tail_floor(k) > ε} read off the instance;
* :func:`gc_recipe`: the §2.3 split chain of length 2t+1 with t + 1 < √(3cLΔ_x/(64ε)), so that
  ½·floor(t) > ε; certifies T_ε > t/(2p_c) (and the exact-floor version);
* :func:`nc_recipe`: the §2.4 split chain with λ = ℓ₁√(2ε)/(c_nL) and K = ⌊c_nLΔ/(24ℓ₁ε)⌋;
  certifies T_ε > K/(2p_c) for E‖∇f‖² ≤ ε.

Every compression certificate is the same argument (§3.2, §2.7): with shared rand-s a round moves the
frontier across groups with probability ≤ p_c, so prog_T ≤_st Bin(T, p_c) and, by Markov,
P(prog_T < 2p_cT) ≥ ½; at that progress the floor exceeds 2ε, hence E[accuracy] > ε.

The σ² terms come from separate homogeneous instances with the identity compressor:
NC, §2.5 (Arjevani's Bernoulli oracle with p = min{1, (γ_∞√(2ε))²/σ²}, one coin per worker, so a
round advances with probability ≤ 1 − (1−p)ⁿ): T_ε > K₀/(2(1 − (1−p)ⁿ)), K₀ = ⌊LΔ/(24ℓ₁ε)⌋;
SC and GC, the Gaussian quadratic of :mod:`constructions.oracles` with curvature h (μ, or
min{L, 4ε/Δ_x}): T_ε > (σ²/(2εh) − σ²/(h²Δ_x))/n. A theorem takes the larger of the two
(``rounds_lower_bound``), and max(a, b) ≥ (a+b)/2 gives the additive Ω(·+·) form.

Dimension: d = s(1+ω) (or s/δ), so 1+ω (1/δ) must be an integer. Give ω (or δ) alone (the
smallest d ≥ the chain length), or with ``s``, or with ``d`` (then s = d/(1+ω), d a multiple of
1+ω), or ``s`` and ``d`` together; d must be at least the chain length (SC: plus the tail margin of
THEORY.md §2.2).

Huge d (THEORY.md §3.2, issue 3 item 5): a recipe never allocates a d-sized array. GC and NC build
their chain on its window (the first K coordinates; the other d − K are inert) and keep d nominal:
:meth:`Recipe.lazy` runs it at any d (10⁹ included) with rand-s over the nominal d sampled exactly;
:attr:`Recipe.instance`, the dense chain in R^d, is built only when asked for and only while
n·d ≤ ``DENSE_MAX`` floats. **SC is dense-only**: its minimiser x*_i = s·q^i is nonzero on every
coordinate, so there is no inert tail to skip, and sc_recipe refuses n·d > ``DENSE_MAX``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from constructions.base import ExactOracle
from constructions.compressors import Compressor, RandS
from constructions.gc_chain import GCSplitChain
from constructions.lazy import LazyProblem, LazyRandS
from constructions.nc_chain import DELTA0, ELL1, GAMMA_INF, NCSplitChain
from constructions.oracles import BernoulliZeroChainOracle, GaussianOracle, NoisyQuadratic
from constructions.sc_chain import SCSplitChain


DENSE_MAX = 10**7  # floats per (n, d) array of a dense instance (80 MB)


def _dense_ok(n: int, d: int, what: str) -> None:
    if n * d > DENSE_MAX:
        raise ValueError(f"d must be ≤ {DENSE_MAX // n:,} for {what} with n = {n} workers "
                         f"(n·d ≤ {DENSE_MAX:.0e} floats; got d = {d:,})")


@dataclass(frozen=True)
class Recipe:
    """A concrete hard instance for one problem class, with the bounds it certifies (in rounds).

    ``window`` is the chain on its window (GC, NC: the first K coordinates; SC: all d of them);
    ``d`` is the instance's dimension, which for GC and NC may be far larger than the window.
    """

    setting: str  # "sc", "gc" or "nc"
    compression: str  # "unbiased" or "contractive"
    problem_class: dict[str, float]
    window: Any  # the split chain on its window (d = K for GC and NC, d for SC)
    compressor: Compressor  # shared rand-s on R^d (constructing it allocates nothing)
    s: int
    d: int
    p_c: float  # per-round crossing probability 1/(1+ω) or δ
    chain_length: int
    scale: float  # λ (NC) or the Δ_x scaling σ (SC, GC)
    compression_bound: float  # T_ε > this, from the instance's exact floor
    compression_bound_formula: float  # the THEORY.md §3.3 closed form (≤ compression_bound)
    noise_instance: Any = None
    noise_oracle: Any = None
    noise_bound: float = 0.0
    coin_p: float | None = None  # NC: Arjevani's p
    notes: str = ""
    extra: dict = field(default_factory=dict)
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def rounds_lower_bound(self) -> float:
        """max(compression term, σ² term): no algorithm of the class is ε-accurate in fewer rounds."""
        return max(self.compression_bound, self.noise_bound)

    @property
    def instance(self) -> Any:
        """The split chain in R^d, built on first use; ValueError when n·d > ``DENSE_MAX``
        (use :meth:`lazy`, which costs what the window costs)."""
        w = self.window
        if int(w.d) == self.d:
            return w
        if "dense" not in self._cache:
            _dense_ok(int(w.n), self.d, f"the dense {self.setting.upper()} instance (use recipe.lazy())")
            self._cache["dense"] = dataclasses.replace(w, d=self.d)
        return self._cache["dense"]

    def oracle(self) -> ExactOracle:
        return ExactOracle(self.instance)

    def lazy(self) -> tuple[LazyProblem, LazyRandS]:
        """The instance kept on its window, with rand-s over the nominal d sampled exactly (lazy.py).

        Nothing of size d is allocated, so this runs at d = 10⁹. For SC the window is all of R^d.
        """
        comp = LazyRandS(self.s, self.d, scaled=self.compression == "unbiased", shared=True)
        return LazyProblem(self.window, self.d), comp


# ------------------------------------------------------------------ validation helpers
def _pos(name: str, v: float) -> float:
    x = float(v)
    if not math.isfinite(x) or x <= 0:
        raise ValueError(f"{name} must be a finite number > 0 (got {v!r})")
    return x


def _n(n: int) -> int:
    if not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n must be an integer ≥ 2: the split needs two groups of workers (got {n!r})")
    return int(n)


def _sigma(sigma: float) -> float:
    x = float(sigma)
    if not math.isfinite(x) or x < 0:
        raise ValueError(f"sigma must be a finite number ≥ 0 (got {sigma!r})")
    return x


def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _compressor_class(omega, delta, s, d, contractive) -> tuple[str, int | None, int | None, int]:
    """(kind, s, d, ratio = d/s = 1+ω = 1/δ) from the given parameters, with the divisibility check."""
    if s is not None and d is not None:
        if not _is_int(s) or not _is_int(d) or not 1 <= s <= d:
            raise ValueError(f"s and d must be integers with 1 ≤ s ≤ d (got s = {s!r}, d = {d!r})")
        if d % s:
            raise ValueError(f"s must divide d so that 1+ω = d/s is the rand-s ratio (got s = {s}, d = {d})")
        ratio = d // s
        kind = "contractive" if (contractive or delta is not None) else "unbiased"
        if omega is not None and abs(1 + omega - ratio) > 1e-9:
            raise ValueError(f"omega must equal d/s − 1 = {ratio - 1} for s = {s}, d = {d} (got {omega})")
        if delta is not None and abs(1 / delta - ratio) > 1e-9 * ratio:
            raise ValueError(f"delta must equal s/d = {s / d} for s = {s}, d = {d} (got {delta})")
        return kind, int(s), int(d), ratio
    if (omega is None) == (delta is None):
        raise ValueError("give exactly one of omega (unbiased) or delta (contractive), or both s and d"
                         + (f" (got d = {d!r} alone)" if d is not None else "")
                         + (f" (got s = {s!r} alone)" if s is not None else ""))
    if omega is not None:
        w = float(omega)
        if not math.isfinite(w) or w < 0 or abs(round(1 + w) - (1 + w)) > 1e-9:
            raise ValueError(f"omega must be ≥ 0 with 1+omega an integer (rand-s needs d = s(1+ω), "
                             f"s | d; got omega = {omega!r})")
        kind, ratio = "unbiased", int(round(1 + w))
    else:
        dl = float(delta)
        if not (0 < dl <= 1) or abs(round(1 / dl) - 1 / dl) > 1e-9 / dl:
            raise ValueError(f"delta must lie in (0, 1] with 1/delta an integer (d = s/δ, s | d; "
                             f"got delta = {delta!r})")
        kind, ratio = "contractive", int(round(1 / dl))
    if s is not None and (not _is_int(s) or s < 1):
        raise ValueError(f"s must be an integer ≥ 1 (got {s!r})")
    if d is not None:
        name = "1+omega" if kind == "unbiased" else "1/delta"
        if not _is_int(d) or d < 1 or d % ratio:
            raise ValueError(f"d must be a positive integer multiple of {name} = {ratio} so that "
                             f"s = d/{ratio} is an integer (got d = {d!r})")
        s = int(d) // ratio
    return kind, s, None if d is None else int(d), ratio


def _dimension(d_min: int, s: int | None, d: int | None, ratio: int) -> tuple[int, int]:
    if d is not None:
        if d < d_min:
            lo = math.ceil(d_min / ratio) * ratio
            raise ValueError(f"d must be ≥ {lo}, the smallest multiple of d/s = {ratio} that holds the "
                             f"chain's {d_min} coordinates (got d = {d})")
        return s, d
    if s is None:
        s = max(1, math.ceil(d_min / ratio))
    elif s * ratio < d_min:
        raise ValueError(f"s must be ≥ {math.ceil(d_min / ratio)} so that d = s(1+ω) ≥ {d_min} (got s = {s})")
    return int(s), int(s) * ratio


def _exact_rounds(floors: np.ndarray, eps: float, p_c: float) -> float:
    """(k*+1)/(2p_c), k* = max{k : ½·floor(k) > ε}; 0 if even progress 0 gives ½·floor ≤ ε."""
    ok = np.flatnonzero(0.5 * floors > eps)
    return 0.0 if ok.size == 0 else (int(ok[-1]) + 1) / (2.0 * p_c)


def _gauss_noise_bound(h: float, delta_x: float, sigma: float, eps: float, n: int) -> float:
    """T_ε > (σ²/(2εh) − σ²/(h²Δ_x))/n from the Bayes risk (h/2)/(1/Δ_x + nTh²/σ²) > ε."""
    return max(0.0, (sigma**2 / (2 * eps * h) - sigma**2 / (h * h * delta_x)) / n)


# ------------------------------------------------------------------ the recipes
def sc_recipe(L: float, mu: float, delta_x: float, n: int, eps: float, *, omega: float | None = None,
              delta: float | None = None, sigma: float = 0.0, s: int | None = None,
              d: int | None = None, contractive: bool = False) -> Recipe:
    """SC (THEORY.md §2.2, §3.3): Ω((1+ω)√(L/μ)·ln(μΔ_x/ε)) and Ω(σ²/(μnε))."""
    L, mu, delta_x, eps = _pos("L", L), _pos("mu", mu), _pos("delta_x", delta_x), _pos("eps", eps)
    if mu >= L:
        raise ValueError(f"mu must satisfy 0 < mu < L (got mu = {mu}, L = {L})")
    n, sigma = _n(n), _sigma(sigma)
    kind, s, d, ratio = _compressor_class(omega, delta, s, d, contractive)
    d_min = SCSplitChain.dimension_for(L / mu, min(eps / (mu * delta_x), 0.25), n)
    s, d = _dimension(d_min, s, d, ratio)
    # Dense-only: x*_i = s·q^i fills every coordinate, so there is no inert tail for a window.
    _dense_ok(n, d, "the SC recipe, which is dense-only (its minimiser fills all of R^d)")
    inst = SCSplitChain(L=L, mu=mu, d=d, n=n, delta_x=delta_x)
    if eps >= inst.initial_gap:
        raise ValueError(f"eps must be < the initial gap f(0) − f* = {inst.initial_gap:.6g} of the SC "
                         f"instance (got eps = {eps})")
    p_c = 1.0 / ratio
    ks = np.arange(d + 1)
    exact = _exact_rounds(np.asarray(inst.tail_floor(ks), dtype=float), eps, p_c)
    formula = max(0.0, (math.sqrt(inst.kappa_eff) - 1) / (8 * p_c) * math.log(mu * delta_x / (4 * eps)))
    noise = NoisyQuadratic(h=mu, n=n, theta=(math.sqrt(delta_x),))
    return Recipe("sc", kind, dict(L=L, mu=mu, delta_x=delta_x, n=n, eps=eps, sigma=sigma,
                                   omega=ratio - 1 if kind == "unbiased" else None,
                                   delta=p_c if kind == "contractive" else None),
                  inst, RandS(s, scaled=kind == "unbiased", shared=True), s, d, p_c, d, inst.scale,
                  exact, formula, noise, GaussianOracle(noise, sigma),
                  _gauss_noise_bound(mu, delta_x, sigma, eps, n),
                  notes="compression term: §2.2 split chain, shared rand-s; σ² term: quadratic (μ/2)(x−θ)², θ ~ N(0, Δ_x)")


def gc_recipe(L: float, delta_x: float, n: int, eps: float, *, omega: float | None = None,
              delta: float | None = None, sigma: float = 0.0, s: int | None = None,
              d: int | None = None, contractive: bool = False) -> Recipe:
    """GC (THEORY.md §2.3, §3.3): Ω((1+ω)√(LΔ_x/ε)) and Ω(Δ_xσ²/(nε²))."""
    L, delta_x, eps = _pos("L", L), _pos("delta_x", delta_x), _pos("eps", eps)
    n, sigma = _n(n), _sigma(sigma)
    if eps >= L * delta_x / 2:
        raise ValueError(f"eps must be < LΔ_x/2 = {L * delta_x / 2:.6g}, the largest initial gap of the "
                         f"class (got eps = {eps})")
    kind, s, d, ratio = _compressor_class(omega, delta, s, d, contractive)
    c = 2 * (n // 2) / n
    # t + 1 < √(3cLΔ_x/(64ε)) ⇔ ½·c·3LΔ_x/(32(t+1)²) > ε.
    t = max(0, math.ceil(math.sqrt(3 * c * L * delta_x / (64 * eps))) - 2)
    K = 2 * t + 1
    s, d = _dimension(K, s, d, ratio)
    inst = GCSplitChain(L=L, K=K, d=K, n=n, delta_x=delta_x)  # the window; d stays nominal
    if eps >= inst.initial_gap:
        raise ValueError(f"eps must be < the initial gap f(0) − f* = {inst.initial_gap:.6g} of the GC "
                         f"instance (got eps = {eps})")
    p_c = 1.0 / ratio
    exact = _exact_rounds(np.asarray(inst.floor(np.arange(K + 1)), dtype=float), eps, p_c)
    formula = t / (2 * p_c)
    h = min(L, 4 * eps / delta_x)
    noise = NoisyQuadratic(h=h, n=n, theta=(math.sqrt(delta_x),))
    return Recipe("gc", kind, dict(L=L, delta_x=delta_x, n=n, eps=eps, sigma=sigma,
                                   omega=ratio - 1 if kind == "unbiased" else None,
                                   delta=p_c if kind == "contractive" else None),
                  inst, RandS(s, scaled=kind == "unbiased", shared=True), s, d, p_c, K, inst.scale,
                  exact, formula, noise, GaussianOracle(noise, sigma),
                  _gauss_noise_bound(h, delta_x, sigma, eps, n),
                  notes="compression term: §2.3 split chain of length 2t+1; σ² term: quadratic (h/2)(x−θ)², h = min(L, 4ε/Δ_x)",
                  extra=dict(t=t))


def nc_recipe(L: float, Delta: float, n: int, eps: float, *, omega: float | None = None,
              delta: float | None = None, sigma: float = 0.0, s: int | None = None,
              d: int | None = None, contractive: bool = False) -> Recipe:
    """NC (THEORY.md §2.4, §2.5, §3.3), accuracy E‖∇f‖² ≤ ε: Ω((1+ω)LΔ/ε) and Ω(LΔσ²/(nε²))."""
    L, Delta, eps = _pos("L", L), _pos("Delta", Delta), _pos("eps", eps)
    n, sigma = _n(n), _sigma(sigma)
    kind, s, d, ratio = _compressor_class(omega, delta, s, d, contractive)
    c_n = (n // 2) / n
    K = math.floor(c_n * L * Delta / (24 * ELL1 * eps))
    if K < 2:
        raise ValueError(f"eps must be ≤ c_n·LΔ/(48ℓ₁) = {c_n * L * Delta / (48 * ELL1):.6g} so that the "
                         f"chain has length ≥ 2 (got eps = {eps})")
    lam = ELL1 * math.sqrt(2 * eps) / (c_n * L)
    s, d = _dimension(K, s, d, ratio)
    inst = NCSplitChain(L=L, lam=lam, K=K, d=K, n=n)  # the window; d stays nominal
    p_c = 1.0 / ratio
    bound = K / (2 * p_c)
    noise, oracle, noise_bound = nc_noise(L, Delta, n, eps, sigma)
    return Recipe("nc", kind, dict(L=L, Delta=Delta, n=n, eps=eps, sigma=sigma,
                                   omega=ratio - 1 if kind == "unbiased" else None,
                                   delta=p_c if kind == "contractive" else None),
                  inst, RandS(s, scaled=kind == "unbiased", shared=True), s, d, p_c, K, lam,
                  bound, bound, noise, oracle, noise_bound, coin_p=oracle.p,
                  notes=f"compression term: §2.4 split chain, f(0) − inf f ≤ {DELTA0:g}·c_n·(Lλ²/ℓ₁)·K ≤ Δ; "
                        f"σ² term: §2.5 homogeneous chain, Bernoulli(p) oracle (γ_∞ = {GAMMA_INF:g})")


def nc_noise(L: float, Delta: float, n: int, eps: float, sigma: float):
    """The σ² half of the NC recipe on its own (THEORY.md §2.5): the homogeneous chain (c_n = 1),
    λ = ℓ₁√(2ε)/L, K₀ = ⌊LΔ/(24ℓ₁ε)⌋, Arjevani's Bernoulli oracle with p = min{1, (γ_∞Lλ/ℓ₁)²/σ²}
    and one coin per worker, so a round advances with probability p_round = 1 − (1 − p)ⁿ and
    T_ε > K₀/(2p_round) (Markov on Bin(T, p_round), §2.7). Returns (instance, oracle, bound).
    Needs only K₀ ≥ 1 (the compression instance of :func:`nc_recipe` needs c_nK ≥ 2)."""
    L, Delta, eps = _pos("L", L), _pos("Delta", Delta), _pos("eps", eps)
    n, sigma = _n(n), _sigma(sigma)
    K0 = math.floor(L * Delta / (24 * ELL1 * eps))
    if K0 < 1:
        raise ValueError(f"eps must be ≤ LΔ/(24ℓ₁) = {L * Delta / (24 * ELL1):.6g} so that the noise chain "
                         f"has length ≥ 1 (got eps = {eps})")
    lam0 = ELL1 * math.sqrt(2 * eps) / L
    noise = NCSplitChain(L=L, lam=lam0, K=K0, n=n, split=False)
    oracle = BernoulliZeroChainOracle.for_sigma(noise, sigma)
    p_round = 1.0 - (1.0 - oracle.p) ** n
    return noise, oracle, K0 / (2 * p_round)


RECIPES = {"sc": sc_recipe, "gc": gc_recipe, "nc": nc_recipe}

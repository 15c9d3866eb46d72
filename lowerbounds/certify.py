"""Certify a compressor's declared constant by Monte Carlo (THEORY.md §1.2, §9.1).

For every vector x of a battery (Gaussian, sparse, one-hot, equal magnitudes, heavy-tailed,
power-law, two-level, dominant-plus-small, ±(4/3)·2^j entries, the compressor's own
``hard_vectors`` and the result of a small adversarial search) we draw ``trials`` independent
compressions, each a separate call on a (1, d) array (so shared randomness across workers cannot
fake independence), and estimate

* the variance ratio r(x) = E‖C(x) − x‖²/‖x‖², by its sample mean with standard error SE;
* the relative bias along two directions u: x/‖x‖, and the normalised mean error of the first
  half of the trials, tested on the second half (sample splitting keeps the test valid):
  E⟨C(x) − x, u⟩/‖x‖, again a sample mean with SE; plus the point estimate ‖mean C(x) − x‖/‖x‖
  and its noise floor √(r̄/trials). The standard error of a projection is never taken below
  √(r̄/trials), its Cauchy–Schwarz bound, because rare outcomes (unobserved in the sample) can
  make the sample SE arbitrarily small.

Every interval is mean ± z·SE (z = 4.5 by default: a false alarm per test has probability ~10⁻⁵
under the CLT, so a battery of ~40 tests stays below 10⁻³). Deterministic compressors have SE = 0;
a relative tolerance of 10⁻⁹ absorbs floating-point rounding.

Verdicts (per declared property; "ratio" means ω for unbiased and 1 − δ for contractive):

* **violated**: some vector's interval lies above the declared ratio (the constant is too small);
  or the compressor claims its constant is attained up to τ (``tightness``) and every vector's
  interval lies below τ·declared (the constant is over-declared: a lost square, a wrong
  formula); or, for unbiased declarations, some directional bias interval excludes 0.
* **not tight**: consistent, but no tested vector reaches the declared ratio and the compressor
  claims no attainment; the report gives the tightest constant the data support.
* **holds**: consistent, and either attained by some tested vector (``tight`` is true,
  ``attained_by`` names the vectors) or attained up to the declared τ (``tight`` is false).

The battery only ever *lower-bounds* the supremum over all x: "holds" means "not refuted and
attained here", never a proof.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Callable, Mapping

import numpy as np
from numpy.typing import NDArray

from constructions.compressors import Compressor

Array = NDArray[np.float64]
CompressorLike = Callable[[Array, np.random.Generator], Array]

DEFAULT_TRIALS = 1000
DEFAULT_Z = 4.5
RTOL = 1e-9


# ------------------------------------------------------------------------------- the battery
def battery(d: int, rng: np.random.Generator) -> dict[str, Array]:
    """The generic test vectors (not normalised: ratios are scale-free for every compressor here,
    and ±1 entries keep equal-magnitude ratios exact in floating point)."""
    signs = rng.choice([-1.0, 1.0], size=d)
    out: dict[str, Array] = {}
    out["equal-magnitude"] = signs.copy()
    out["gaussian"] = rng.standard_normal(d)
    x = np.zeros(d)
    S = rng.choice(d, size=max(1, d // 20), replace=False)
    x[S] = rng.standard_normal(S.size)
    out["sparse"] = x
    x = np.zeros(d)
    x[rng.integers(d)] = 1.0
    out["one-hot"] = x
    out["heavy-tailed"] = rng.standard_cauchy(d)
    out["power-law"] = rng.permutation(1.0 / np.arange(1, d + 1)) * signs
    m = max(1, int(round(math.sqrt(d))))
    x = np.full(d, 1.0 / math.sqrt(d)) * signs
    x[rng.choice(d, size=m, replace=False)] = 1.0
    out["two-level"] = x
    x = np.full(d, 1e-3)
    x[rng.integers(d)] = 1.0
    out["dominant-plus-small"] = x
    out["four-thirds-powers"] = (4.0 / 3.0) * np.ldexp(1.0, rng.integers(-6, 7, size=d)) * signs
    return out


# ---------------------------------------------------------------------------- per-vector stats
@dataclass(frozen=True)
class VectorStats:
    name: str
    trials: int
    ratio: float  # mean of ‖C(x) − x‖²/‖x‖²
    ratio_se: float
    bias: float  # ‖mean C(x) − x‖/‖x‖ (point estimate)
    bias_floor: float  # √(ratio/trials): what ‖mean − x‖/‖x‖ is without any bias
    bias_dir: tuple[float, ...]  # E⟨C(x) − x, u⟩/‖x‖ along each tested direction
    bias_dir_se: tuple[float, ...]


def _mean_se(a: Array) -> tuple[float, float]:
    a = np.asarray(a, dtype=float)
    m = float(a.mean())
    se = float(a.std(ddof=1) / math.sqrt(a.size)) if a.size > 1 else math.inf
    return m, se


def measure(C: CompressorLike, x: Array, trials: int, rng: np.random.Generator, name: str = "x") -> VectorStats:
    """Monte Carlo over ``trials`` independent calls C(x[None, :], rng)."""
    x = np.asarray(x, dtype=np.float64)
    nx2 = float(x @ x)
    if not nx2 > 0:
        raise ValueError("test vectors must be nonzero")
    nx = math.sqrt(nx2)
    u0 = x / nx
    half = trials // 2
    ratios = np.empty(trials)
    proj0 = np.empty(trials)
    proj1 = np.empty(trials - half)
    acc = np.zeros_like(x)
    u1 = None
    X = x[None, :]
    for t in range(trials):
        if t == half:
            m1 = acc / max(half, 1) - x
            n1 = float(np.linalg.norm(m1))
            u1 = m1 / n1 if n1 > 0 else u0
        y = np.asarray(C(X.copy(), rng), dtype=np.float64).reshape(-1)
        if y.shape != x.shape:
            raise ValueError(f"the compressor returned shape {y.shape} for an input of shape (1, {x.size})")
        e = y - x
        ratios[t] = float(e @ e) / nx2
        proj0[t] = float(e @ u0) / nx
        if t >= half:
            proj1[t - half] = float(e @ u1) / nx
        acc += y
    r, rse = _mean_se(ratios)
    b0, b0se = _mean_se(proj0)
    b1, b1se = _mean_se(proj1)
    # Rare events (a coordinate rounded the unlikely way w.p. 10⁻⁵) make the sample SE of a
    # projection far too small when they are not observed. By Cauchy–Schwarz,
    # Var⟨C(x) − x, u⟩/‖x‖² ≤ E‖C(x) − x‖²/‖x‖² = r(x) for a unit u, whatever the distribution,
    # so the SE used is never below √(r̂/n).
    b0se = max(b0se, math.sqrt(max(r, 0.0) / trials))
    b1se = max(b1se, math.sqrt(max(r, 0.0) / max(trials - half, 1)))
    bias = float(np.linalg.norm(acc / trials - x)) / nx
    return VectorStats(name, trials, r, rse, bias, math.sqrt(max(r, 0.0) / trials),
                       (b0, b1), (b0se, b1se))


# ------------------------------------------------------------------------------ adversary
def adversarial_search(C: CompressorLike, start: Mapping[str, Array], rng: np.random.Generator,
                       pilot: int = 32, rounds: int = 12) -> Array:
    """Local search for a vector with a large variance ratio, from the best pilot vector.

    Moves: rescale a random subset of coordinates (×2, ×½, ×4/3), zero a random half, replace a
    coordinate by the current maximum. A move is kept if its pilot mean beats the incumbent's by
    two pilot standard errors. The returned vector is then measured afresh by :func:`certify`, so
    selecting it on pilot data does not bias its interval.
    """

    def pilot_ratio(x: Array) -> tuple[float, float]:
        s = measure(C, x, pilot, rng)
        return s.ratio, s.ratio_se

    best_x, (best, best_se) = None, (-math.inf, 0.0)
    for x in start.values():
        r, se = pilot_ratio(x)
        if r > best:
            best_x, best, best_se = x, r, se
    assert best_x is not None
    d = best_x.size
    for _ in range(rounds):
        y = best_x.copy()
        move = rng.integers(4)
        mask = rng.random(d) < 0.5
        if move == 0:
            y[mask] *= rng.choice([2.0, 0.5, 4.0 / 3.0])
        elif move == 1 and mask.sum() < np.count_nonzero(y):
            y[mask] = 0.0
        elif move == 2:
            y[rng.integers(d)] = np.abs(y).max() * rng.choice([-1.0, 1.0])
        else:
            y = y * (1.0 + 0.25 * rng.standard_normal(d))
        if not np.any(y):
            continue
        r, se = pilot_ratio(y)
        if r > best + 2.0 * math.hypot(se, best_se) if math.isfinite(se) else r > best:
            best_x, best, best_se = y, r, se
    return best_x


# ------------------------------------------------------------------------------- verdicts
@dataclass(frozen=True)
class Property:
    """One certified property: "omega", "delta" or "bias"."""

    name: str
    declared: float | None
    estimate: float | None  # ω̂ or δ̂ (from the vector whose interval reaches highest); max bias
    ci: tuple[float, float] | None
    verdict: str  # "holds", "violated", "not tight", or "measured" (nothing declared)
    tight: bool | None
    worst_vector: str
    attained_by: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Declaration:
    name: str
    unbiased: bool
    contractive: bool
    omega: float | None
    delta: float | None
    omega_expr: str | None
    delta_expr: str | None
    tightness: float | None
    shared: bool | None
    bits_rule: str | None
    bits_per_message: float | None
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Certificate:
    compressor: str
    d: int
    trials: int
    seed: int | None
    z: float
    declared: Declaration
    properties: tuple[Property, ...]
    vectors: tuple[VectorStats, ...]

    def get(self, name: str) -> Property:
        for p in self.properties:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def ok(self) -> bool:
        return all(p.verdict != "violated" for p in self.properties)

    def to_dict(self) -> dict:
        out = asdict(self)
        out["ok"] = self.ok
        out["properties"] = {p.name: asdict(p) for p in self.properties}
        return out


def _declaration(C: object, d: int, declare: Mapping[str, float] | None,
                 rng: np.random.Generator) -> Declaration:
    name = getattr(C, "name", None) or getattr(C, "__name__", type(C).__name__)
    if isinstance(C, Compressor) and declare is None:
        probe = C(rng.standard_normal((1, d)), rng)
        sym = {k: str(v) for k, v in C.symbolic().items()}
        return Declaration(
            name=name, unbiased=bool(C.unbiased), contractive=bool(C.contractive),
            omega=C.omega(d) if C.unbiased else None, delta=C.delta(d) if C.contractive else None,
            omega_expr=sym.get("omega"), delta_expr=sym.get("delta"),
            tightness=C.tightness(d), shared=bool(C.shared), bits_rule=str(C.bits_rule),
            bits_per_message=float(np.asarray(C.bits(probe))[0]),
            params={k: (v if isinstance(v, (int, float, bool, str)) else str(v)) for k, v in C.params().items()},
        )
    declare = dict(declare or {})
    bad = set(declare) - {"omega", "delta", "tightness"}
    if bad:
        raise ValueError(f"declare accepts omega, delta and tightness (got {sorted(bad)[0]!r})")
    w, dl = declare.get("omega"), declare.get("delta")
    return Declaration(name=name, unbiased=w is not None, contractive=dl is not None,
                       omega=None if w is None else float(w), delta=None if dl is None else float(dl),
                       omega_expr=None, delta_expr=None, tightness=declare.get("tightness"),
                       shared=getattr(C, "shared", None), bits_rule=None, bits_per_message=None)


def _judge(prop: str, declared: float | None, tau: float | None, stats: list[VectorStats],
           z: float, to_ratio: Callable[[float], float]) -> Property:
    """``to_ratio`` maps the constant to the variance ratio it bounds (ω ↦ ω, δ ↦ 1 − δ) and is an
    involution, so it also maps a ratio back to the constant."""
    lo = np.array([s.ratio - z * s.ratio_se for s in stats])
    hi = np.array([s.ratio + z * s.ratio_se for s in stats])
    mean = np.array([s.ratio for s in stats])
    # The vector that the data prove worst: highest lower end (ties: highest mean, then first).
    order = np.lexsort((np.arange(len(stats)), -mean, -lo))
    i = int(order[0])
    est = to_ratio(float(mean[i]))
    ci = tuple(sorted((to_ratio(float(lo[i])), to_ratio(float(hi[i])))))
    worst = stats[i].name
    if declared is None:
        return Property(prop, None, est, ci, "measured", None, worst,
                        note=f"tightest constant the data support: {est:.6g} (on {worst})")
    ratio = to_ratio(declared)
    tol = RTOL * max(1.0, abs(ratio))
    attained = tuple(s.name for s, a, b in zip(stats, lo, hi) if a - tol <= ratio <= b + tol)
    tight = bool(hi.max() >= ratio - tol)
    if lo[i] > ratio + tol:
        return Property(prop, declared, est, ci, "violated", tight, worst, attained,
                        note=f"{worst} exceeds the declared constant: {prop} ≈ {est:.6g}, declared {declared:.6g}")
    if tau is not None and hi.max() < tau * ratio - tol:
        return Property(prop, declared, est, ci, "violated", False, worst, attained,
                        note=(f"declared as attained up to τ = {tau:.4g}, but no vector reaches "
                              f"{to_ratio(tau * ratio):.6g}; the data support {est:.6g}"))
    if tight:
        return Property(prop, declared, est, ci, "holds", True, worst, attained)
    if tau is not None:
        return Property(prop, declared, est, ci, "holds", False, worst, attained,
                        note=f"attained up to the declared τ = {tau:.4g} (best {est:.6g} on {worst})")
    return Property(prop, declared, est, ci, "not tight", False, worst, attained,
                    note=f"no tested vector attains the declared {declared:.6g}; the data support {est:.6g}")


def _judge_bias(declared_unbiased: bool, stats: list[VectorStats], z: float) -> Property:
    worst, worst_t, sig = stats[0].name, -math.inf, False
    for s in stats:
        for b, se in zip(s.bias_dir, s.bias_dir_se):
            excess = abs(b) - z * se - RTOL * (1.0 + math.sqrt(max(s.ratio, 0.0)))
            t = abs(b) / se if se > 0 else (math.inf if excess > 0 else 0.0)
            if excess > 0:
                sig = True
            if t > worst_t:
                worst, worst_t = s.name, t
    ws = next(s for s in stats if s.name == worst)
    est, floor = ws.bias, ws.bias_floor
    note = f"largest directional t-statistic {worst_t:.3g} on {worst}; ‖mean − x‖/‖x‖ = {est:.3g} (noise floor {floor:.3g})"
    if not declared_unbiased:
        return Property("bias", None, est, (0.0, est + z * floor), "measured", None, worst,
                        note=("biased: " if sig else "no bias detected: ") + note)
    return Property("bias", 0.0, est, (0.0, est + z * floor), "violated" if sig else "holds",
                    None, worst, note=note)


# ---------------------------------------------------------------------------------- certify
def certify(C: CompressorLike, d: int, *, trials: int = DEFAULT_TRIALS, seed: int | None = 0,
            rng: np.random.Generator | None = None, z: float = DEFAULT_Z,
            declare: Mapping[str, float] | None = None, search: bool = True,
            extra_vectors: Mapping[str, Array] | None = None) -> Certificate:
    """Certify ``C`` (a :class:`~constructions.compressors.Compressor` or any callable
    ``C(V, rng) -> array`` on (n, d) arrays) in dimension d.

    A Compressor's own declaration is checked; ``declare={"omega": …, "delta": …,
    "tightness": …}`` declares a plain callable (or overrides a Compressor's). With no declaration
    the certificate reports the tightest ω (if no bias is detected) and δ (if the worst ratio is
    below 1) that the data support.
    """
    if not (isinstance(d, (int, np.integer)) and d >= 1):
        raise ValueError(f"d must be an integer ≥ 1 (got {d!r})")
    if not (isinstance(trials, (int, np.integer)) and trials >= 4):
        raise ValueError(f"trials must be an integer ≥ 4 (got {trials!r})")
    if not (math.isfinite(z) and z > 0):
        raise ValueError(f"z must be a finite number > 0 (got {z!r})")
    if getattr(C, "stateful", False):
        raise ValueError(f"{getattr(C, 'name', C)} carries memory between calls; "
                         "use check_error_feedback instead of certify")
    if rng is None:
        rng = np.random.default_rng(seed)
    decl = _declaration(C, int(d), declare, rng)
    vecs = battery(int(d), rng)
    if isinstance(C, Compressor):
        vecs.update({f"hard:{k}": v for k, v in C.hard_vectors(int(d), rng).items()})
    if extra_vectors:
        vecs.update({f"user:{k}": np.asarray(v, float) for k, v in extra_vectors.items()})
    if search:
        vecs["search"] = adversarial_search(C, vecs, rng)
    stats = [measure(C, x, int(trials), rng, name) for name, x in vecs.items()]

    props: list[Property] = []
    declared_any = decl.unbiased or decl.contractive
    bias = _judge_bias(decl.unbiased, stats, z)
    props.append(bias)
    if decl.unbiased or (not declared_any and bias.note.startswith("no bias")):
        props.append(_judge("omega", decl.omega, decl.tightness if decl.unbiased else None,
                            stats, z, lambda r: r))
    if decl.contractive or not declared_any:
        p = _judge("delta", decl.delta, decl.tightness if decl.contractive else None, stats, z,
                   lambda r: 1.0 - r)
        if decl.contractive or (p.estimate is not None and p.ci is not None and p.ci[0] > 0):
            props.append(p)
    return Certificate(str(decl.name), int(d), int(trials), seed, float(z), decl, tuple(props), tuple(stats))


# ----------------------------------------------------------------------- error feedback contract
@dataclass(frozen=True)
class EFCheck:
    """Contract of an error-feedback wrapper fed a constant message v for T rounds."""

    T: int
    repeats: int
    telescoping_error: float  # max |Σ c_t + e_T − T·v|/(T‖v‖) (needs the wrapper's ``memory``)
    average_error: float  # median over repeats of ‖(1/T)Σ c_t − v‖/‖v‖
    average_bound: float  # 5·√(B)/T: Markov at level 1/25 on E‖e_T‖² ≤ B‖v‖²
    ok: bool


def check_error_feedback(make: Callable[[], Compressor], v: Array, T: int,
                         rng: np.random.Generator, repeats: int = 5) -> EFCheck:
    """Feed v for T rounds to fresh wrappers ``make()`` and check Σ_t c_t = T·v − e_T.

    Since Σ_t c_t = Σ_t (p_t − e_{t+1}) = T·v − e_T, the time-average of the messages misses v by
    ‖e_T‖/T, and E‖e_T‖² ≤ B‖v‖² (:meth:`ErrorFeedback.memory_bound`); by Markov the miss
    exceeds 5√B‖v‖/T with probability ≤ 1/25, so the median of ``repeats`` runs exceeds it with
    probability ≤ 0.003 for 5 repeats. A wrapper that never applies its memory keeps sending C(v)
    and misses v by ‖E C(v) − v‖, which does not decay.
    """
    v = np.asarray(v, dtype=np.float64).reshape(1, -1)
    nv = float(np.linalg.norm(v))
    d = v.shape[1]
    B = make().memory_bound(d)  # type: ignore[attr-defined]
    tele, avg = 0.0, []
    for _ in range(repeats):
        ef = make()
        total = np.zeros_like(v)
        for _ in range(T):
            total += ef(v, rng)
        mem = getattr(ef, "memory", None)
        if mem is not None:
            tele = max(tele, float(np.linalg.norm(total + mem - T * v)) / (T * nv))
        avg.append(float(np.linalg.norm(total / T - v)) / nv)
    bound = 5.0 * math.sqrt(B) / T
    med = float(np.median(avg))
    return EFCheck(T, repeats, tele, med, bound, ok=bool(med <= bound and tele <= 1e-9))

"""Operations on registered bounds: exponents along rays, dominant terms, regime maps, gaps, and
the sanity reductions of the talk (issue 6; THEORY.md §4.2).

Exponent along a ray. A ray substitutes one parameter as a power of t (ω = t − 1 so that 1+ω = t,
δ = 1/t, L = μt so that κ = t, ε = 1/t, σ = √(tn) so that σ²/n = t, n = t, Δ = t, Δ_x = t, ...)
and keeps the others fixed; the exponent is lim_{t→∞} log(bound(t))/log t, taken by ``sympy.limit``
(never ``sympy.Order``). Every registered term is positive where its conditions hold, so the
exponent of a sum is the largest exponent of its terms and the exponent of a ratio U/L is
e(U) − e(L); :func:`ray_exponent` computes the limit of the whole expression and is the reference
the per-term fast path (:func:`exponents`) is tested against. Logarithms have exponent 0.

Gap verdict. U/L is "matched up to the declared logarithmic factors" when every term of U is
covered by one term of L, i.e. u_i/l_j has exponent ≤ 0 along every ray (then
U/L ≤ Σ_i min_j u_i/l_j is bounded by the logs left in those ratios), and those left-over logs are
declared: hidden ones in ``Bound.term_logs`` or explicit in the formula. Otherwise it is
"not matched" and the verdict names the growth. When exactly one of the two bounds assumes
compressors independent across workers, the verdict says that the comparison crosses the
shared/independent-randomness line (THEORY.md §1.2, §3.1): the talk's lower bounds let the
adversary share randomness, so a rate proved for independent compressors may even beat them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Mapping, Sequence

import numpy as np
import sympy as sp

from lowerbounds import bounds as B
from lowerbounds.bounds import (Bound, CLASSICAL, Delta, Delta_x, L, d, delta, eps, mu, n, omega,
                                readable, sigma)

t = sp.Symbol("t", positive=True)


@dataclass(frozen=True)
class Ray:
    """One parameter sent to infinity (or zero) as a power of t, the others held fixed."""

    name: str      # key used in JSON and on the command line
    display: str   # what "grows like ...^a" prints
    subs: tuple[tuple[sp.Symbol, sp.Expr], ...]
    needs: frozenset  # the ray applies to a bound holding all of these symbols
    excludes: frozenset = frozenset()  # ... and none of these
    t0: sp.Expr = sp.Integer(1)  # the value of t at a given point (for local slopes)


RAYS: dict[str, Ray] = {r.name: r for r in (
    Ray("1+omega", "(1+ω)", ((omega, t - 1),), frozenset({omega}), t0=1 + omega),
    Ray("1/delta", "(1/δ)", ((delta, 1 / t),), frozenset({delta}), t0=1 / delta),
    Ray("kappa", "κ", ((L, mu * t),), frozenset({L, mu}), t0=L / mu),
    Ray("L", "L", ((L, t),), frozenset({L}), frozenset({mu}), t0=L),
    Ray("1/eps", "(1/ε)", ((eps, 1 / t),), frozenset({eps}), t0=1 / eps),
    Ray("sigma^2/n", "(σ²/n)", ((sigma, sp.sqrt(t * n)),), frozenset({sigma}), t0=sigma**2 / n),
    Ray("n", "n", ((n, t),), frozenset({n}), t0=n),
    Ray("Delta", "Δ", ((Delta, t),), frozenset({Delta}), t0=Delta),
    Ray("Delta_x", "Δ_x", ((Delta_x, t),), frozenset({Delta_x}), t0=Delta_x),
    Ray("d", "d", ((d, t),), frozenset({d}), t0=d),
    # Joint rays: the savings of independent compressors show up only when ω and n grow together
    # (MARINA's 1 + ω/√n, ADIANA's ω/n), invisible along either ray alone.
    Ray("1+omega=n", "(1+ω = n)", ((omega, t - 1), (n, t)), frozenset({omega, n})),
    Ray("1/delta=n", "(1/δ = n)", ((delta, 1 / t), (n, t)), frozenset({delta, n})),
    Ray("1+omega=n=kappa", "(1+ω = n = κ)", ((omega, t - 1), (n, t), (L, mu * t)),
        frozenset({omega, n, L, mu})),
    Ray("1/delta=n=kappa", "(1/δ = n = κ)", ((delta, 1 / t), (n, t), (L, mu * t)),
        frozenset({delta, n, L, mu})),
)}
JOINT = frozenset({"1+omega=n", "1/delta=n", "1+omega=n=kappa", "1/delta=n=kappa"})
# Parameters a lower bound has no notion of: gaps are not measured along them (they are reported).
EXTRA = frozenset({B.zeta, B.G, B.eps_c})


def applicable_rays(*exprs: sp.Expr) -> list[Ray]:
    fs: set = set()
    for e in exprs:
        fs |= e.free_symbols
    return [r for r in RAYS.values() if r.needs <= fs and not (r.excludes & fs)]


def _exact(v: float) -> sp.Expr:
    return sp.Rational(repr(float(v)))


def _base_subs(base: Mapping[str, float] | None, ray: Ray) -> dict:
    if not base:
        return {}
    moved = {s for s, _ in ray.subs}
    out = {}
    for name, sym in B.SYMBOLS.items():
        if sym in moved:
            continue
        for k in (name, str(sym)):
            if k in base:
                out[sym] = _exact(base[k])
                break
    return out


def _asymptotic(e: sp.Expr) -> sp.Expr:
    """floor(x), ceiling(x) → x: equal to first order wherever x → ∞, and constant otherwise."""
    return e.replace(sp.floor, lambda a: a).replace(sp.ceiling, lambda a: a)


@lru_cache(maxsize=4096)
def _limit_exponent(e: sp.Expr) -> sp.Expr:
    if e == 0:
        return -sp.oo
    return sp.limit(sp.log(e) / sp.log(t), t, sp.oo)


def ray_exponent(expr: sp.Expr, ray: Ray | str, base: Mapping[str, float] | None = None) -> sp.Expr:
    """Reference: lim log(expr(t))/log t along ``ray`` for the whole expression. ``base`` fixes
    the other parameters numerically (otherwise they stay positive symbols)."""
    r = RAYS[ray] if isinstance(ray, str) else ray
    e = _asymptotic(expr).subs(_base_subs(base, r)).subs(dict(r.subs))
    return _limit_exponent(sp.simplify(e) if e.has(sp.floor) else e)


def term_exponents(terms: Sequence[sp.Expr], ray: Ray | str,
                   base: Mapping[str, float] | None = None) -> list[sp.Expr]:
    out = []
    for term in terms:
        r = RAYS[ray] if isinstance(ray, str) else ray
        e = _asymptotic(term).subs(_base_subs(base, r))
        out.append(-sp.oo if e == 0 else ray_exponent(e, r))
    return out


def exponents(bound: Bound, rays: Sequence[str] | None = None, base: Mapping[str, float] | None = None,
              with_logs: bool = False) -> dict[str, sp.Expr]:
    """Exponent of the bound along each applicable ray: the largest exponent among its terms
    (terms that vanish at ``base``, e.g. the noise term at σ = 0, do not count)."""
    terms = bound.explicit_terms() if with_logs else bound.terms
    rs = ([RAYS[r] for r in rays] if rays is not None
          else [r for r in applicable_rays(bound.with_logs()) if r.name not in JOINT])
    out = {}
    for r in rs:
        es = term_exponents(terms, r, base)
        out[r.name] = max(es) if es else sp.Integer(0)
    return out


def local_slope(bound: Bound, values: Mapping[str, float], ray: str, with_logs: bool = False) -> float:
    """d log(bound)/d log t along ``ray`` at the given point (exact derivative, evaluated)."""
    r = RAYS[ray]
    e = (bound.with_logs() if with_logs else bound.expr).subs(dict(r.subs))
    slope = t * sp.diff(e, t) / e
    at = {s: _exact(B._value(values, str(s))) for s in (slope.free_symbols | r.t0.free_symbols) - {t}}
    t0 = r.t0.subs(at)
    return float(slope.subs(at).subs(t, t0).evalf(30))


def fmt_exponent(x: sp.Expr) -> str:
    return str(x) if x.is_finite else ("∞" if x > 0 else "-∞")


def growth_text(exps: Mapping[str, sp.Expr]) -> str:
    parts = []
    for name, x in exps.items():
        disp = RAYS[name].display
        parts.append(disp if x == 1 else f"{disp}^({fmt_exponent(x)})")
    return " and ".join(parts)


# ------------------------------------------------------------------------------ dominant term
@dataclass(frozen=True)
class DominantTerm:
    index: int
    label: str
    text: str
    value: float
    share: float  # the term's fraction of the whole bound

    def as_dict(self) -> dict:
        return dict(index=self.index, label=self.label, text=self.text, value=self.value, share=self.share)


def term_values(bound: Bound, values: Mapping[str, object], with_logs: bool = False) -> np.ndarray:
    """Each term's value, vectorised: shape (n_terms, *broadcast shape)."""
    terms = bound.explicit_terms() if with_logs else bound.terms
    out = []
    for term in terms:
        f = B._lambdify(term)
        args = {str(s): np.asarray(B._value_any(values, str(s)), float) for s in term.free_symbols}
        out.append(np.asarray(f(**args), float))
    shape = np.broadcast_shapes(*(o.shape for o in out))
    return np.stack([np.broadcast_to(o, shape) for o in out])


def dominant_term(bound: Bound, values: Mapping[str, float], with_logs: bool = False) -> DominantTerm:
    v = term_values(bound, values, with_logs)
    i = int(np.argmax(v))
    terms = bound.explicit_terms() if with_logs else bound.terms
    total = float(v.sum())
    return DominantTerm(i, bound.term_labels[i], readable(terms[i]), float(v[i]),
                        float(v[i] / total) if total > 0 else float("nan"))


def _grid_values(base: Mapping[str, float], name: str, grid: np.ndarray) -> dict:
    vals = dict(base)
    if name == "kappa":
        vals["L"] = grid * float(B._value(base, "mu"))
    else:
        vals[name] = grid
    return vals


def regime_map(bound: Bound, x: str, y: str, xs: np.ndarray, ys: np.ndarray,
               base: Mapping[str, float], with_logs: bool = False) -> np.ndarray:
    """Index of the dominant term on the grid (len(ys), len(xs)); ``x``/``y`` are parameter names
    (keys of :data:`SYMBOLS`, or ``kappa`` which moves L with μ fixed)."""
    X, Y = np.meshgrid(np.asarray(xs, float), np.asarray(ys, float))
    vals = _grid_values(base, x, X)
    vals = _grid_values(vals, y, Y)
    return np.argmax(term_values(bound, vals, with_logs), axis=0)


# ------------------------------------------------------------------------------ gaps
@dataclass(frozen=True)
class GapVerdict:
    upper: str
    lower: str
    ratio: sp.Expr
    exponents: dict  # ray -> exponent of U/L
    termwise: tuple  # per upper term: (upper text, lower text, simplified ratio, {ray: exponent})
    matched: bool
    logs: tuple  # left-over logarithmic factors (matched case)
    below: bool  # the upper bound is (or can be) smaller than the lower one somewhere
    across_independence_line: bool
    extra_parameters: tuple
    text: str = field(default="")

    def as_dict(self) -> dict:
        return dict(upper=self.upper, lower=self.lower, ratio=readable(self.ratio),
                    exponents={k: fmt_exponent(v) for k, v in self.exponents.items()},
                    termwise=[dict(upper_term=a, lower_term=b, ratio=readable(c),
                                   exponents={k: fmt_exponent(v) for k, v in e.items()})
                              for a, b, c, e in self.termwise],
                    matched=self.matched, logs=[readable(x) for x in self.logs], below=self.below,
                    across_independence_line=self.across_independence_line,
                    extra_parameters=list(self.extra_parameters), verdict=self.text)


def _log_part(e: sp.Expr) -> list[sp.Expr]:
    """The logarithmic factors of a product (with multiplicity), others dropped."""
    out = []
    for f in sp.Mul.make_args(e):
        b, k = f.as_base_exp()
        if isinstance(b, sp.log) and k.is_positive:
            out.append(f)
    return out


def _bounded(e: sp.Expr, rays: Sequence[Ray]) -> bool:
    for r in rays:
        lim = sp.limit(_asymptotic(e).subs(dict(r.subs)), t, sp.oo)
        # A limit free of t that is not infinite is a constant in the other (positive) symbols.
        if isinstance(lim, sp.Limit) or lim.has(sp.oo, -sp.oo, sp.zoo, t):
            return False
    return True


def full_gradients(b: Bound) -> bool:
    """Whether the bound is proved only for exact local gradients (condition "σ = 0")."""
    return any(c.startswith("σ = 0") for c in b.conditions)


def gap(upper: Bound, lower: Bound) -> GapVerdict:
    """Compare an upper bound (hidden logs made explicit) with a lower bound; see module doc."""
    if upper.setting != lower.setting:
        raise ValueError(f"cannot compare bounds of different settings ({upper.setting} vs {lower.setting})")
    U, Lo = upper.explicit_terms(), lower.terms
    if full_gradients(upper):
        # A rate proved for σ = 0 is compared with the lower bound at σ = 0 (noise term gone).
        Lo = tuple(x for x in (l.subs(sigma, 0) for l in Lo) if x != 0)
    rays = [r for r in applicable_rays(upper.with_logs(), lower.expr) if not (r.needs & EXTRA)]
    eu = {r.name: term_exponents(U, r) for r in rays}
    el = {r.name: term_exponents(Lo, r) for r in rays}
    full = {k: max(eu[k]) - max(el[k]) for k in eu}
    termwise, covered, leftover = [], [], []
    for i, u in enumerate(U):
        best = None
        for j, l in enumerate(Lo):
            ex = {k: eu[k][i] - el[k][j] for k in eu}
            score = max([0, *ex.values()])
            if best is None or score < best[0]:
                best = (score, j, ex)
        score, j, ex = best
        ratio = sp.simplify(u / Lo[j])
        termwise.append((readable(u), readable(Lo[j]), ratio, ex))
        ok = score == 0
        if ok:
            declared = list(upper.term_logs[i]) + _log_part(upper.terms[i])
            ok = _bounded(ratio / sp.Mul(*declared), rays)
            leftover += [f for f in _log_part(ratio) if f not in leftover]
        covered.append(ok)
    below = {k: v for k, v in full.items() if v < 0}
    # Each lower term should be dominated by one upper term along every ray; if not, the upper
    # bound can be the smaller one in some joint regime that no ray above visits.
    undominated = [readable(Lo[j]) for j in range(len(Lo))
                   if not any(all(eu[k][i] - el[k][j] >= 0 for k in eu) for i in range(len(U)))]
    is_below = bool(below or undominated)
    matched = all(covered) and all(v <= 0 for v in full.values()) and not is_below
    across = upper.independent_compressors != lower.independent_compressors
    extra = tuple(sorted(readable(s) for s in (upper.with_logs().free_symbols & EXTRA)))
    # Shown, not used: left unsimplified (simplify folds the logs into nested powers nobody can read).
    ratio = upper.with_logs() / sp.Add(*Lo)
    if matched:
        text = ("matched up to the declared logarithmic factors " + "·".join(readable(f) for f in leftover)
                if leftover else "matched up to constant factors")
    else:
        parts = []
        grow = {k: v for k, v in full.items() if v > 0}
        if grow:
            parts.append("gap grows like " + growth_text(grow))
        if below:
            parts.append("the upper bound grows more slowly than the lower bound along " + growth_text(below))
        elif undominated:
            parts.append("no single upper-bound term dominates " + ", ".join(undominated)
                         + ", so the upper bound can be the smaller one in some joint regime")
        notes = []
        for (a, b, _, e), ok in zip(termwise, covered):
            g = {k: v for k, v in e.items() if v > 0}
            if not ok and g:
                notes.append(f"{growth_text(g)} where {a} meets {b}")
        if not parts:
            parts.append("gap grows like " + ("; ".join(notes) if notes else "an undeclared logarithm"))
            notes = []
        text = "not matched: " + "; ".join(parts)
        if notes:
            text += " (term by term: " + "; ".join(notes) + ")"
        if is_below and not across:
            text += " (inconsistent for bounds on the same compressor model: check the registry)"
    if across:
        ind, sh = (upper, lower) if upper.independent_compressors else (lower, upper)
        text += (f"; note: {ind.name} assumes compressors independent across workers while {sh.name} "
                 "allows shared randomness (the talk's adversary), so the two sit on different sides of "
                 "the shared/independent-randomness line and the gap is not evidence about optimality")
    if extra:
        text += f"; the rate also depends on {', '.join(extra)}, which the lower bound does not have"
    return GapVerdict(upper.name, lower.name, ratio, full, tuple(termwise), matched, tuple(leftover),
                      is_below, across, extra, text)


def gap_factor(upper: Bound, lower: Bound, values: Mapping[str, float], with_logs: bool = True) -> float:
    """The numerical ratio upper/lower at one point (at σ = 0 for rates proved only for σ = 0,
    as in :func:`gap`)."""
    lo_vals = {**values, "sigma": 0.0} if full_gradients(upper) else values
    return upper.evaluate(values, with_logs=with_logs) / lower.evaluate(lo_vals)


# ------------------------------------------------------------------------------ sanity reductions
@dataclass(frozen=True)
class Reduction:
    description: str
    reduced: sp.Expr
    reference: sp.Expr
    holds: bool


def _check(desc: str, b: Bound, subs: dict, ref: sp.Expr) -> Reduction:
    red = b.expr.subs(subs)
    return Reduction(desc, red, ref, sp.simplify(red - ref) == 0)


def sanity_reductions() -> list[Reduction]:
    """The talk's reductions (THEORY.md §4.2) and the §1.2 link δ = 1/(1+ω), checked symbolically."""
    C = CLASSICAL
    out = []
    for c, one in (("unbiased", {omega: 0}), ("contractive", {delta: 1})):
        lab = "ω = 0" if c == "unbiased" else "δ = 1"
        out += [
            _check(f"SC {c} lower bound, n = 1, {lab}: the stochastic SC bound",
                   B.get(f"sc-{c}-lower"), {n: 1, **one}, C["sc-stochastic"].expr),
            _check(f"SC {c} lower bound, n = 1, {lab}, σ = 0: Nesterov's bound",
                   B.get(f"sc-{c}-lower"), {n: 1, sigma: 0, **one}, C["sc-nesterov"].expr),
            _check(f"GC {c} lower bound, n = 1, {lab}, σ = 0: Nesterov's GC bound",
                   B.get(f"gc-{c}-lower"), {n: 1, sigma: 0, **one}, C["gc-nesterov"].expr),
            _check(f"NC {c} lower bound, n = 1, {lab}: Arjevani et al.",
                   B.get(f"nc-{c}-lower"), {n: 1, **one}, C["nc-arjevani"].expr),
            _check(f"NC {c} lower bound, n = 1, {lab}, σ = 0: CDHS",
                   B.get(f"nc-{c}-lower"), {n: 1, sigma: 0, **one}, C["nc-cdhs"].expr),
        ]
    for s in ("sc", "gc", "nc"):
        for what in ("lower", "explicit"):
            out.append(_check(f"{s.upper()} contractive {what} at δ = 1/(1+ω) equals the unbiased one (§1.2)",
                              B.get(f"{s}-contractive-{what}"), {delta: 1 / (1 + omega)},
                              B.get(f"{s}-unbiased-{what}").expr))
    return out

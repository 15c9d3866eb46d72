"""The registry of bounds: each a plain sympy expression plus what it claims (STYLE.md, issue 6).

A :class:`Bound` is never a ``sympy.Order``: it is an expression over positive symbols together
with its kind (Ω, O, Õ, Θ), setting, compressor class, accuracy convention, conditions, the
logarithmic factors an Õ hides (declared, not guessed), its source and confidence tag (THEORY.md
§0), and whether it assumes compressors independent across workers.

Accuracy conventions: NC means E‖∇f(x̂)‖² ≤ ε; GC and SC mean E f(x̂) − f* ≤ ε. Δ_x = ‖x⁰ − x*‖².
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

import numpy as np
import sympy as sp

# ------------------------------------------------------------------------------ symbols
L, mu, Delta, Delta_x, sigma, n, eps, omega, delta, d, T = sp.symbols(
    "L mu Delta Delta_x sigma n epsilon omega delta d T", positive=True
)
kappa = L / mu

SYMBOLS: dict[str, sp.Symbol] = {
    "L": L, "mu": mu, "Delta": Delta, "Delta_x": Delta_x, "sigma": sigma, "n": n, "eps": eps,
    "omega": omega, "delta": delta, "d": d, "T": T,
}

CONVENTIONS = {
    "nc": "E‖∇f(x̂)‖² ≤ ε (squared norm)",
    "gc": "E f(x̂) − f* ≤ ε",
    "sc": "E f(x̂) − f* ≤ ε",
}
KINDS = ("Omega", "O", "O~", "Theta")


@dataclass(frozen=True)
class Bound:
    """One registered bound on the number of communication rounds T_ε."""

    name: str
    expr: sp.Expr
    kind: str
    setting: str
    compressor: str  # "unbiased", "contractive" or "any"
    source: str
    confidence: str  # [S], [C], [D] or [U] of THEORY.md §0
    algorithm: str | None = None  # None for lower bounds
    conditions: tuple[str, ...] = ()
    log_factors: tuple[sp.Expr, ...] = ()
    independent_compressors: bool = False
    probability: float | None = None  # for explicit bounds holding with a probability
    terms: tuple[sp.Expr, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS} (got {self.kind!r})")
        if self.setting not in CONVENTIONS:
            raise ValueError(f"setting must be one of {tuple(CONVENTIONS)} (got {self.setting!r})")
        if not self.terms:
            object.__setattr__(self, "terms", tuple(sp.Add.make_args(sp.expand(self.expr, deep=False))))

    @property
    def convention(self) -> str:
        return CONVENTIONS[self.setting]

    @property
    def free(self) -> list[str]:
        return sorted(str(s) for s in self.expr.free_symbols)

    def with_logs(self) -> sp.Expr:
        """The expression times the declared hidden logarithmic factors (the explicit prediction)."""
        out = self.expr
        for f in self.log_factors:
            out = out * f
        return out

    def latex(self, with_logs: bool = False) -> str:
        return sp.latex(self.with_logs() if with_logs else self.expr)

    def text(self) -> str:
        return str(self.expr)

    def evaluate(self, values: Mapping[str, float], with_logs: bool = False) -> float:
        """The bound's value at one point (missing symbols raise, naming them)."""
        e = self.with_logs() if with_logs else self.expr
        return float(_lambdify(e)(**_args(e, values)))

    def evaluate_many(self, points: Sequence[Mapping[str, float]], with_logs: bool = False) -> np.ndarray:
        e = self.with_logs() if with_logs else self.expr
        f = _lambdify(e)
        keys = sorted(str(s) for s in e.free_symbols)
        cols = {k: np.array([_value(p, k) for p in points], dtype=float) for k in keys}
        return np.broadcast_to(np.asarray(f(**cols), dtype=float), (len(points),)).copy()

    def loglog_slope(self, xs: Sequence[float], points: Sequence[Mapping[str, float]],
                     with_logs: bool = False) -> float:
        """Least-squares slope of log(bound) against log(xs) over the sweep's own points: the
        prediction a measured log-log slope along the same sweep is checked against."""
        y = self.evaluate_many(points, with_logs=with_logs)
        return float(np.polyfit(np.log(np.asarray(xs, float)), np.log(y), 1)[0])


_ALIASES = {"epsilon": ("eps",)}


def _value(values: Mapping[str, float], key: str) -> float:
    for k in (key, *_ALIASES.get(key, ())):
        if k in values:
            return float(values[k])
    raise ValueError(f"the bound needs a value for {key!r}")


def _args(e: sp.Expr, values: Mapping[str, float]) -> dict[str, float]:
    return {str(s): _value(values, str(s)) for s in e.free_symbols}


_LAMBDA_CACHE: dict[sp.Expr, object] = {}


def _lambdify(e: sp.Expr):
    f = _LAMBDA_CACHE.get(e)
    if f is None:
        syms = sorted(e.free_symbols, key=str)
        f = sp.lambdify(syms, e, modules="numpy")
        _LAMBDA_CACHE[e] = f
    return f


# ------------------------------------------------------------------------------ the registry
REGISTRY: dict[str, Bound] = {}


def register(b: Bound) -> Bound:
    if b.name in REGISTRY:
        raise ValueError(f"bound {b.name!r} is already registered")
    REGISTRY[b.name] = b
    return b


def get(name: str) -> Bound:
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown bound {name!r}; known: {', '.join(sorted(REGISTRY))}") from None


def find(setting: str | None = None, compressor: str | None = None, kind: str | None = None,
         algorithm: str | None = None) -> list[Bound]:
    out: Iterable[Bound] = REGISTRY.values()
    return [b for b in out
            if (setting is None or b.setting == setting)
            and (compressor is None or b.compressor == compressor)
            and (kind is None or b.kind == kind)
            and (algorithm is None or b.algorithm == algorithm)]


def compression_factor(compressor: str) -> sp.Expr:
    """(1+ω) for unbiased compressors, 1/δ for contractive ones (THEORY.md §1.2)."""
    if compressor == "unbiased":
        return 1 + omega
    if compressor == "contractive":
        return 1 / delta
    raise ValueError(f"compressor must be 'unbiased' or 'contractive' (got {compressor!r})")


# ---- SC (paper B; THEORY.md §4.2, §3.3)
for _c in ("unbiased", "contractive"):
    _F = compression_factor(_c)
    _p = 1 / _F  # crossing probability p_c of the rand-s adversary
    register(Bound(
        name=f"sc-{_c}-lower",
        expr=sigma**2 / (mu * n * eps) + _F * sp.sqrt(kappa) * sp.log(mu * Delta_x / eps),
        kind="Omega", setting="sc", compressor=_c,
        source="He, Huang, Chen, Yin, Yuan (arXiv 2305.07612), the talk's 'More results' table",
        confidence="[S]",
        conditions=("n ≥ 2", "T ≥ (1+ω)²" if _c == "unbiased" else "T ≳ 1/δ² [U]", "ε < μΔ_x/4"),
    ))
    register(Bound(
        name=f"sc-{_c}-explicit",
        expr=(sp.sqrt(kappa) - 1) / (8 * _p) * sp.log(mu * Delta_x / (4 * eps)),
        kind="Omega", setting="sc", compressor=_c,
        source="THEORY.md §3.3 (derived: split SC chain + shared rand-s, Markov on Bin(T, p_c))",
        confidence="[D]", probability=0.5,
        conditions=("n ≥ 2", "shared rand-s with p_c = s/d", "d ≥ k_ε + ln2/(2 ln(1/q))",
                    "ε < μΔ_x/4", "holds with probability ≥ 1/2"),
    ))
    register(Bound(
        name=f"sc-{_c}-neolithic",
        expr=sigma**2 / (mu * n * eps) + _F * sp.sqrt(kappa) * sp.log(mu * Delta_x / eps),
        kind="O~", setting="sc", compressor=_c, algorithm="neolithic",
        source="He et al. (arXiv 2305.07612), accelerated NEOLITHIC, the talk's table",
        confidence="[S]",
        # The toolkit's R = ⌈(1/δ) ln(16κ)⌉ (THEORY.md §5.4) is where the hidden log comes from.
        log_factors=(sp.log(16 * kappa),),
        conditions=("n ≥ 2", "R = ⌈(1/δ)·ln(16κ)⌉ (toolkit default, THEORY.md §5.4)"),
    ))
    register(Bound(
        name=f"sc-{_c}-cgd",
        expr=_F * kappa * sp.log(mu * Delta_x / eps),
        kind="O", setting="sc", compressor=_c, algorithm="cgd",
        source="descent lemma with γ = 1/(L(1+ω)) (unbiased) or 1/L (contractive); deterministic "
               "gradients, worst case over shared randomness (toolkit's derivation, THEORY.md §7 QSGD row)",
        confidence="[D]",
        conditions=("σ = 0",),
    ))

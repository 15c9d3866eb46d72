"""The registry of bounds: each a plain sympy expression plus what it claims (STYLE.md, issue 6).

A :class:`Bound` is never a ``sympy.Order``: it is an expression over positive symbols together
with its kind (Ω, O, Õ, Θ), setting, compressor class, accuracy convention, conditions, the
logarithmic factors an Õ hides (declared per term, not guessed), its source and confidence tag
(THEORY.md §0), and whether it assumes compressors independent across workers.

Accuracy conventions: NC means E‖∇f(x̂)‖² ≤ ε; GC and SC mean E f(x̂) − f* ≤ ε. Δ_x = ‖x⁰ − x*‖².

What is registered (names are ``{setting}-{compressor}-{what}``):

- ``*-lower``: the six lower bounds of THEORY.md §4.2 (the talk's "More results" tables).
- ``*-neolithic``: the six NEOLITHIC upper bounds of the same tables.
- ``*-explicit``: the explicit-constant lower bounds of THEORY.md §3.3 (SC, GC, NC).
- ``*-cgd`` (SC) and the baseline rates of THEORY.md §7 (QSGD, MEM-SGD, EF21, EF21-SGD,
  EF21-SGDM, DIANA, ADIANA, CANITA, MARINA, DoubleSqueeze) where a rate to arbitrary ε exists.
  Artemis (linear only up to a σ*²-threshold), CSER (rate [U]), MEM-SGD in SC (linear to a
  neighbourhood) and single-node ACGD (n = 1 only) have no such rate and are not registered.

Dimensionless logs: the talk writes ln(1/ε); the registry writes the argument in the setting's
natural scale (μΔ_x/ε for SC, LΔ_x/ε for GC, LΔ/ε for NC), which is the same up to an additive
constant and keeps every log positive under the conditions ε < μΔ_x, ε < LΔ_x, ε < LΔ.

:data:`CLASSICAL` holds the centralized references the sanity reductions are checked against
(Nesterov's SC/GC bounds, CDHS for NC, the centralized stochastic bounds); they are not claims of
this toolkit and are kept out of :data:`REGISTRY`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Iterable, Mapping, Sequence

import numpy as np
import sympy as sp

# ------------------------------------------------------------------------------ symbols
L, mu, Delta, Delta_x, sigma, n, eps, omega, delta, d, T = sp.symbols(
    "L mu Delta Delta_x sigma n epsilon omega delta d T", positive=True
)
# Baseline-only quantities (THEORY.md §7 notation): ζ* heterogeneity at the optimum (ζ in NC),
# G a bound on gradient norms (MEM-SGD), ε_c DoubleSqueeze's bound on the compression error.
zeta, G, eps_c = sp.symbols("zeta G epsilon_c", positive=True)
kappa = L / mu

SYMBOLS: dict[str, sp.Symbol] = {
    "L": L, "mu": mu, "Delta": Delta, "Delta_x": Delta_x, "sigma": sigma, "n": n, "eps": eps,
    "omega": omega, "delta": delta, "d": d, "T": T, "zeta": zeta, "G": G, "eps_c": eps_c,
}

CONVENTIONS = {
    "nc": "E‖∇f(x̂)‖² ≤ ε (squared norm)",
    "gc": "E f(x̂) − f* ≤ ε",
    "sc": "E f(x̂) − f* ≤ ε",
}
KINDS = ("Omega", "O", "O~", "Theta")
KIND_SYMBOL = {"Omega": "Ω", "O": "O", "O~": "Õ", "Theta": "Θ"}
COMPRESSORS = ("unbiased", "contractive", "any", "none")
COMPRESSION_SYMBOLS = frozenset({omega, delta, eps_c})


def _term_label(term: sp.Expr) -> str:
    """A term's role, read off its symbols: noise (σ), heterogeneity (ζ), compression (ω, δ, ε_c)
    or deterministic (the rest)."""
    fs = term.free_symbols
    if sigma in fs:
        return "noise"
    if zeta in fs:
        return "heterogeneity"
    if fs & COMPRESSION_SYMBOLS:
        return "compression"
    return "deterministic"


@dataclass(frozen=True)
class Bound:
    """One registered bound on the number of communication rounds T_ε.

    ``terms`` are the additive terms in their registered order (their sum is ``expr``);
    ``term_logs[i]`` are the logarithmic factors the Õ hides in term i. A bound built with only the
    older ``log_factors`` gets them on its compression terms (the ones holding ω, δ or ε_c), or on
    every term when none holds a compression parameter: the hidden logs of the talk's Õ come from
    the multi-step compression length R (THEORY.md §5.4), not from the noise term.
    """

    name: str
    expr: sp.Expr
    kind: str
    setting: str
    compressor: str  # "unbiased", "contractive", "any" (no class assumption) or "none"
    source: str
    confidence: str  # [S], [C], [D] or [U] of THEORY.md §0
    algorithm: str | None = None  # None for lower bounds
    conditions: tuple[str, ...] = ()
    log_factors: tuple[sp.Expr, ...] = ()
    independent_compressors: bool = False
    probability: float | None = None  # for explicit bounds holding with a probability
    terms: tuple[sp.Expr, ...] = field(default=())
    term_logs: tuple[tuple[sp.Expr, ...], ...] = ()
    term_labels: tuple[str, ...] = ()
    note: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS} (got {self.kind!r})")
        if self.setting not in CONVENTIONS:
            raise ValueError(f"setting must be one of {tuple(CONVENTIONS)} (got {self.setting!r})")
        if self.compressor not in COMPRESSORS:
            raise ValueError(f"compressor must be one of {COMPRESSORS} (got {self.compressor!r})")
        if not self.terms:
            object.__setattr__(self, "terms", tuple(sp.Add.make_args(sp.expand(self.expr, deep=False))))
        elif sp.expand(sp.Add(*self.terms) - self.expr) != 0:
            raise ValueError(f"bound {self.name!r}: its terms do not add up to its expression")
        k = len(self.terms)
        if not self.term_logs:
            comp = [i for i, t in enumerate(self.terms) if t.free_symbols & COMPRESSION_SYMBOLS]
            on = set(comp) if comp else set(range(k))
            logs = tuple(tuple(self.log_factors) if i in on else () for i in range(k))
            object.__setattr__(self, "term_logs", logs)
        elif len(self.term_logs) != k:
            raise ValueError(f"bound {self.name!r}: term_logs needs one entry per term ({k})")
        elif not self.log_factors:
            seen: list[sp.Expr] = []
            for logs in self.term_logs:
                seen += [f for f in logs if f not in seen]
            object.__setattr__(self, "log_factors", tuple(seen))
        if not self.term_labels:
            object.__setattr__(self, "term_labels", tuple(_term_label(t) for t in self.terms))
        elif len(self.term_labels) != k:
            raise ValueError(f"bound {self.name!r}: term_labels needs one entry per term ({k})")

    @property
    def convention(self) -> str:
        return CONVENTIONS[self.setting]

    @property
    def free(self) -> list[str]:
        return sorted(str(s) for s in self.expr.free_symbols)

    def only(self, label: str) -> "Bound":
        """The same bound restricted to its terms of one role ("noise", "compression", …), as an
        unregistered Bound. A σ² sweep runs on the homogeneous noise instance, which certifies the
        noise term alone (the compression term comes from a different instance, THEORY.md §3.3), so
        its predictions are read from this restriction."""
        keep = [i for i, lab in enumerate(self.term_labels) if lab == label]
        if not keep:
            raise ValueError(f"bound {self.name!r} has no {label!r} term")
        terms = tuple(self.terms[i] for i in keep)
        logs = tuple(self.term_logs[i] for i in keep)
        seen: list[sp.Expr] = []
        for lg in logs:
            seen += [f for f in lg if f not in seen]
        return replace(self, name=f"{self.name}[{label}]", expr=sp.Add(*terms), terms=terms,
                       term_logs=logs, term_labels=(label,) * len(terms), log_factors=tuple(seen))

    def explicit_terms(self) -> tuple[sp.Expr, ...]:
        """Each term times its own declared hidden logarithmic factors."""
        return tuple(sp.Mul(t, *logs) for t, logs in zip(self.terms, self.term_logs))

    def with_logs(self) -> sp.Expr:
        """The expression with each term multiplied by its declared hidden logarithmic factors
        (the explicit prediction). Terms without declared logs (e.g. the noise term) are unchanged."""
        return sp.Add(*self.explicit_terms())

    def latex(self, with_logs: bool = False) -> str:
        terms = self.explicit_terms() if with_logs else self.terms
        return " + ".join(sp.latex(_kappa_form(t)) for t in terms)

    def text(self, with_logs: bool = False) -> str:
        """Readable one-line text in the papers' notation, terms in their registered order."""
        terms = self.explicit_terms() if with_logs else self.terms
        return " + ".join(readable(t) for t in terms)

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

    def evaluate_grid(self, values: Mapping[str, object], with_logs: bool = False) -> np.ndarray:
        """Vectorised evaluation (``lambdify``): each value may be a scalar or an array; arrays
        broadcast against each other (numpy rules) and the result has the broadcast shape."""
        e = self.with_logs() if with_logs else self.expr
        f = _lambdify(e)
        args = {str(s): np.asarray(_value_any(values, str(s)), dtype=float) for s in e.free_symbols}
        shape = np.broadcast_shapes(*(a.shape for a in args.values())) if args else ()
        return np.broadcast_to(np.asarray(f(**args), dtype=float), shape).copy()

    def evaluate_subs(self, values: Mapping[str, float], with_logs: bool = False) -> float:
        """Reference evaluation by ``subs`` and ``evalf`` (slow, obviously correct)."""
        e = self.with_logs() if with_logs else self.expr
        return float(e.subs({s: sp.Float(_value(values, str(s)), 30) for s in e.free_symbols}).evalf(30))

    def loglog_slope(self, xs: Sequence[float], points: Sequence[Mapping[str, float]],
                     with_logs: bool = False) -> float:
        """Least-squares slope of log(bound) against log(xs) over the sweep's own points: the
        prediction a measured log-log slope along the same sweep is checked against."""
        y = self.evaluate_many(points, with_logs=with_logs)
        return float(np.polyfit(np.log(np.asarray(xs, float)), np.log(y), 1)[0])


_ALIASES = {"epsilon": ("eps",), "epsilon_c": ("eps_c",)}


def _value_any(values: Mapping[str, object], key: str) -> object:
    for k in (key, *_ALIASES.get(key, ())):
        if k in values:
            return values[k]
    raise ValueError(f"the bound needs a value for {key!r}")


def _value(values: Mapping[str, float], key: str) -> float:
    return float(_value_any(values, key))  # type: ignore[arg-type]


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


# ------------------------------------------------------------------------------ readable text
_UNICODE = {"mu": "μ", "Delta": "Δ", "Delta_x": "Δ_x", "sigma": "σ", "epsilon": "ε", "omega": "ω",
            "delta": "δ", "kappa": "κ", "zeta": "ζ", "epsilon_c": "ε_c"}
_SUP = str.maketrans("0123456789/-", "⁰¹²³⁴⁵⁶⁷⁸⁹ᐟ⁻")
_kappa_sym = sp.Symbol("kappa", positive=True)


def _kappa_form(e: sp.Expr) -> sp.Expr:
    """Display form with L = κμ when both L and μ occur (√(L)/√(μ) reads as √κ)."""
    if L in e.free_symbols and mu in e.free_symbols:
        return sp.powsimp(e.subs(L, _kappa_sym * mu), force=True)
    return e


def readable(e: sp.Expr) -> str:
    """One-line text: L/μ shown as κ, Greek letters, √, ln, superscripts, · for products."""
    e = _kappa_form(e)
    s = sp.sstr(e, order="none")
    names = sorted({str(x) for x in e.free_symbols}, key=len, reverse=True)
    for name in names:
        if name in _UNICODE:
            s = re.sub(rf"\b{name}\b", _UNICODE[name], s)
    s = re.sub(r"\*\*\((\d+)/(\d+)\)", lambda m: f"^({m.group(1)}/{m.group(2)})", s)
    s = re.sub(r"\*\*(\d+)", lambda m: m.group(1).translate(_SUP), s)
    s = s.replace("**", "^").replace("sqrt(", "√(").replace("log(", "ln(").replace("*", "·")
    return s


# ------------------------------------------------------------------------------ the registry
REGISTRY: dict[str, Bound] = {}
CLASSICAL: dict[str, Bound] = {}


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


def _reg(name: str, terms: Sequence[sp.Expr], logs: Sequence[Sequence[sp.Expr]] | None = None,
         **kw) -> Bound:
    terms = tuple(terms)
    tl = tuple(tuple(x) for x in logs) if logs is not None else tuple(() for _ in terms)
    return register(Bound(name=name, expr=sp.Add(*terms), terms=terms, term_logs=tl, **kw))


_TALK = "He, Huang, Chen, Yin, Yuan (arXiv 2305.07612), the talk's 'More results' table (THEORY.md §4.2)"
_TALK_A = "Huang, Chen, Yin, Yuan (NeurIPS 2022) and the talk's table (THEORY.md §4.1-4.2)"
_LOG_SC = sp.log(mu * Delta_x / eps)   # the talk's ln(1/ε) in SC, dimensionless
_LOG_GC = sp.log(L * Delta_x / eps)
_LOG_NC = sp.log(L * Delta / eps)
_COND_EPS = {"sc": "ε < μΔ_x/4", "gc": "ε < LΔ_x", "nc": "ε < LΔ"}

for _c in ("unbiased", "contractive"):
    _F = compression_factor(_c)
    _p = 1 / _F  # crossing probability p_c of the rand-s adversary (THEORY.md §3.1)
    _T_cond = "T ≥ (1+ω)² (talk, SC)" if _c == "unbiased" else "T ≳ 1/δ² [U] (slide typo read as δ)"
    # ---- SC (paper B; THEORY.md §4.2, §3.3)
    _reg(f"sc-{_c}-lower", [sigma**2 / (mu * n * eps), _F * sp.sqrt(kappa) * _LOG_SC],
         kind="Omega", setting="sc", compressor=_c, source=_TALK, confidence="[S]",
         conditions=("n ≥ 2", _T_cond, "ε < μΔ_x/4", "adversary shares compressor randomness"))
    _reg(f"sc-{_c}-explicit", [(sp.sqrt(kappa) - 1) / (8 * _p) * sp.log(mu * Delta_x / (4 * eps))],
         kind="Omega", setting="sc", compressor=_c,
         source="THEORY.md §3.3 (derived: split SC chain + shared rand-s, Markov on Bin(T, p_c))",
         confidence="[D]", probability=0.5,
         conditions=("n ≥ 2", "shared rand-s with p_c = s/d", "d ≥ k_ε + ln2/(2 ln(1/q))",
                     "ε < μΔ_x/4", "holds with probability ≥ 1/2"))
    # The toolkit's R = ⌈(1/δ) ln(16κ)⌉ (THEORY.md §5.4; algorithms/neolithic.py default_R) is
    # where the hidden log comes from; it multiplies the compression term only.
    _reg(f"sc-{_c}-neolithic", [sigma**2 / (mu * n * eps), _F * sp.sqrt(kappa) * _LOG_SC],
         [(), (sp.log(16 * kappa),)],
         kind="O~", setting="sc", compressor=_c, algorithm="neolithic",
         source="He et al. (arXiv 2305.07612), accelerated NEOLITHIC, the talk's table", confidence="[S]",
         conditions=("n ≥ 2", "R = ⌈(1/δ)·ln(16κ)⌉ (toolkit default, THEORY.md §5.4)"),
         note="the talk: 'Õ(·) hides logarithm terms that are independent of ε'; the toolkit's R "
              "makes that log ln(16κ)")
    _reg(f"sc-{_c}-cgd", [_F * kappa * _LOG_SC],
         kind="O", setting="sc", compressor=_c, algorithm="cgd",
         source="descent lemma with γ = 1/(L(1+ω)) (unbiased) or 1/L (contractive); deterministic "
                "gradients, worst case over shared randomness (toolkit's derivation, THEORY.md §7 QSGD row)",
         confidence="[D]", conditions=("σ = 0",))

    # ---- GC (paper B; THEORY.md §4.2, §3.3)
    _reg(f"gc-{_c}-lower", [Delta_x * sigma**2 / (n * eps**2), _F * sp.sqrt(L * Delta_x / eps)],
         kind="Omega", setting="gc", compressor=_c, source=_TALK, confidence="[S]",
         conditions=("n ≥ 2", "ε < LΔ_x", "adversary shares compressor randomness"))
    # §3.3 GC row: E f − f* ≥ 3LΔ_x/(64(2p_cT+2)²) ≤ ε  ⇒  T ≥ (√(3LΔ_x/(64ε)) − 2)/(2p_c).
    _reg(f"gc-{_c}-explicit", [_F * (sp.sqrt(3 * L * Delta_x / (64 * eps)) - 2) / 2],
         kind="Omega", setting="gc", compressor=_c,
         source="THEORY.md §3.3 GC row (derived: split convex chain of length 2t+1, t = ⌈2p_cT⌉, "
                "Markov on Bin(T, p_c)); solved for T in the docstring's comment",
         confidence="[D]", probability=0.5,
         conditions=("n ≥ 2", "shared rand-s with p_c = s/d", "d ≥ 2t + 1",
                     "ε < 3LΔ_x/256 (bound positive)", "holds with probability ≥ 1/2"))
    _gc_terms = [Delta_x * sigma**2 / (n * eps**2), _F * sp.sqrt(L * Delta_x / eps)]
    if _c == "contractive":
        _gc_terms[1] = _gc_terms[1] * _LOG_GC  # the talk's explicit ×ln(1/ε)
        _gc_logs: list[tuple] = [(), ()]
    else:
        _gc_logs = [(), (sp.log(16 * d),)]
    _reg(f"gc-{_c}-neolithic", _gc_terms, _gc_logs,
         kind="O~", setting="gc", compressor=_c, algorithm="neolithic", source=_TALK, confidence="[S]",
         conditions=("n ≥ 2",) + (("R = ⌈(1+ω)·ln(16d)⌉ (toolkit's checked choice, THEORY.md §5.4) [U]",)
                                  if _c == "unbiased" else ("R ≈ (1/δ)·ln(1/ε) [U]",)),
         note="hidden log ln(16d) is the toolkit's R, not the paper's [U]" if _c == "unbiased"
              else "the ln(1/ε) is explicit in the talk's table")

    # ---- NC (paper A; THEORY.md §4.1, §3.3)
    _reg(f"nc-{_c}-lower", [L * Delta * sigma**2 / (n * eps**2), _F * L * Delta / eps],
         kind="Omega", setting="nc", compressor=_c, source=_TALK_A, confidence="[S]",
         conditions=("n ≥ 2", "ε < LΔ", "uni- or bidirectional compression",
                     "adversary shares compressor randomness"))
    # §3.3 NC row: T ≥ (1+ω)·c_n·LΔ/(48·152·ε) with c_n = ⌊n/2⌋/n and ℓ₁ = 152 (CDHS, Arjevani Lemma 2).
    _reg(f"nc-{_c}-explicit", [_F * (sp.floor(n / 2) / n) * L * Delta / (48 * 152 * eps)],
         kind="Omega", setting="nc", compressor=_c,
         source="THEORY.md §3.3 NC row (derived: CDHS split chain, ℓ₁ = 152, Δ₀ = 12, c_n = ⌊n/2⌋/n)",
         confidence="[D]", probability=0.5,
         conditions=("n ≥ 2", "shared rand-s with p_c = s/d", "K = ⌊c_nLΔ/(24·152·ε)⌋ ≥ 1",
                     "the floor in K is dropped as in THEORY.md §3.3", "holds with probability ≥ 1/2"))
    _nc_terms = [L * Delta * sigma**2 / (n * eps**2), _F * L * Delta / eps]
    if _c == "contractive":
        _nc_terms[1] = _nc_terms[1] * _LOG_NC  # the talk's explicit ×ln(1/ε) (with footnote ‡ [U])
        _nc_logs: list[tuple] = [(), ()]
    else:
        _nc_logs = [(), (_LOG_NC,)]
    _reg(f"nc-{_c}-neolithic", _nc_terms, _nc_logs,
         kind="O~", setting="nc", compressor=_c, algorithm="neolithic", source=_TALK_A, confidence="[S]",
         conditions=("n ≥ 2", "T ≥ R", "bounded heterogeneity, inside the log of R [U]"),
         note=("hidden log: R = (1+ω)·ln(T·b²/Δ) of THEORY.md §5.4 read as ln(LΔ/ε) [U]"
               if _c == "unbiased" else "the ln(1/ε) is explicit in the talk's table (footnote ‡ [U])"))

# ---- baselines (THEORY.md §7). Rates are "communication rounds to ε" with the constants dropped;
# scales (LΔ, LΔ_x, μΔ_x) were inserted where §7 writes a bare 1/ε, to keep every term dimensionless.
_IND = dict(independent_compressors=True)
_S7 = "THEORY.md §7 baseline table, "
_reg("nc-unbiased-qsgd", [(1 + omega / n) * L * Delta / eps,
                          L * Delta * (1 + omega) * sigma**2 / (n * eps**2),
                          L * Delta * omega * zeta**2 / (n * eps**2)],
     kind="O", setting="nc", compressor="unbiased", algorithm="qsgd", confidence="[C]",
     source=_S7 + "QSGD / compressed SGD (Alistarh et al. NeurIPS 2017)", **_IND)
_reg("gc-unbiased-qsgd", [(1 + omega / n) * L * Delta_x / eps,
                          (1 + omega) * sigma**2 * Delta_x / (n * eps**2),
                          omega * zeta**2 * Delta_x / (n * eps**2)],
     kind="O", setting="gc", compressor="unbiased", algorithm="qsgd", confidence="[C]",
     source=_S7 + "QSGD / compressed SGD (Alistarh et al. NeurIPS 2017)", **_IND)
_reg("sc-unbiased-qsgd", [(1 + omega / n) * kappa * _LOG_SC,
                          (1 + omega) * sigma**2 / (mu * n * eps),
                          omega * zeta**2 / (mu * n * eps)],
     kind="O", setting="sc", compressor="unbiased", algorithm="qsgd", confidence="[C]",
     source=_S7 + "QSGD / compressed SGD (Alistarh et al. NeurIPS 2017)", **_IND)
_reg("nc-contractive-memsgd", [L * Delta * sigma**2 / (n * eps**2), L * Delta * G / (delta * eps**sp.Rational(3, 2)),
                               L * Delta / eps],
     kind="O", setting="nc", compressor="contractive", algorithm="mem-sgd", confidence="[C]",
     source=_S7 + "MEM-SGD / EF-SGD (Stich et al. 2018; Karimireddy et al. 2019)",
     conditions=("‖∇f_i‖ ≤ G (bounded gradients)",))
# DoubleSqueeze: rate σ/√(nT) + ε_c^{2/3}(LΔ)^{2/3}/T^{2/3} + LΔ/T in E‖∇f‖²; solving each term ≤ ε
# gives LΔσ²/(nε²) + LΔ√ε_c/ε^{3/2} + LΔ/ε (THEORY.md §7 "ε_c-dependent ε^{-3/2}").
_reg("nc-any-doublesqueeze", [L * Delta * sigma**2 / (n * eps**2),
                              L * Delta * sp.sqrt(eps_c) / eps**sp.Rational(3, 2), L * Delta / eps],
     kind="O", setting="nc", compressor="any", algorithm="doublesqueeze", confidence="[C]",
     source=_S7 + "DoubleSqueeze (Tang et al. ICML 2019); ε_c-term solved for T (indicative)",
     conditions=("E‖C(x) − x‖² ≤ ε_c (bounded absolute compression error)", "bidirectional"))
_reg("nc-contractive-ef21", [L * Delta / (delta * eps)],
     kind="O", setting="nc", compressor="contractive", algorithm="ef21", confidence="[S]",
     source=_S7 + "EF21 (Richtárik, Sokolov, Fatkhullin NeurIPS 2021); (L + L̃√(β/θ))Δ/ε = O(LΔ/(δε))",
     conditions=("σ = 0 (full local gradients)", "L̃ ≲ L"))
_reg("sc-contractive-ef21", [kappa / delta * _LOG_SC],
     kind="O", setting="sc", compressor="contractive", algorithm="ef21", confidence="[S]",
     source=_S7 + "EF21 under PL (implied by μ-strong convexity): O((L/(δμ))·ln(1/ε))",
     conditions=("σ = 0 (full local gradients)",))
_reg("nc-contractive-ef21-sgd", [L * Delta / (delta * eps), L * Delta * sigma**2 / (delta**3 * eps**2)],
     kind="O", setting="nc", compressor="contractive", algorithm="ef21-sgd", confidence="[C]",
     source=_S7 + "EF21-SGD (Fatkhullin et al. 2021, 'Bells & Whistles'); no 1/n speed-up")
_reg("nc-contractive-ef21-sgdm", [L * Delta / (delta * eps), L * Delta * sigma**2 / (n * eps**2),
                                  L * Delta * sigma**sp.Rational(2, 3)
                                  / (delta**sp.Rational(2, 3) * eps**sp.Rational(4, 3))],
     kind="O", setting="nc", compressor="contractive", algorithm="ef21-sgdm", confidence="[C]",
     source=_S7 + "EF21-SGDM (Fatkhullin, Tyurin, Richtárik NeurIPS 2023); rate [C/U]")
_reg("nc-unbiased-diana", [(1 + omega / sp.sqrt(n)) * L * Delta / eps,
                           (1 + omega) * L * Delta * sigma**2 / (n * eps**2)],
     kind="O", setting="nc", compressor="unbiased", algorithm="diana", confidence="[C]",
     source=_S7 + "DIANA (Mishchenko et al. 2019; Horváth et al. 2019), '(1 + ω/√n)-type' (indicative)",
     **_IND)
_reg("gc-unbiased-diana", [(1 + omega / n) * L * Delta_x / eps,
                           (omega**2 + omega) / (omega + n) * L * Delta_x / eps],
     kind="O", setting="gc", compressor="unbiased", algorithm="diana", confidence="[S]",
     source=_S7 + "DIANA, GC rate as quoted in the CANITA abstract (scale LΔ_x inserted)",
     conditions=("σ = 0",), **_IND)
_reg("sc-unbiased-diana", [(omega + (1 + omega / n) * kappa) * _LOG_SC,
                           (1 + omega) * sigma**2 / (n * mu * eps)],
     kind="O", setting="sc", compressor="unbiased", algorithm="diana", confidence="[C]",
     source=_S7 + "DIANA (Mishchenko et al. 2019; Horváth et al. 2019)", **_IND)
_reg("sc-unbiased-adiana", [(omega + sp.sqrt(kappa)
                             + sp.sqrt((omega / n + sp.sqrt(omega / n)) * omega * kappa)) * _LOG_SC],
     kind="O~", setting="sc", compressor="unbiased", algorithm="adiana", confidence="[S]",
     source=_S7 + "ADIANA / ACGD (Li, Kovalev, Qian, Richtárik ICML 2020)",
     conditions=("σ = 0",), **_IND)
_reg("gc-unbiased-canita", [sp.sqrt((1 + sp.sqrt(omega**3 / n)) * L * Delta_x / eps),
                            omega * (L * Delta_x / eps)**sp.Rational(1, 3)],
     kind="O", setting="gc", compressor="unbiased", algorithm="canita", confidence="[S]",
     source=_S7 + "CANITA (Li & Richtárik NeurIPS 2021), abstract (scale LΔ_x inserted)",
     conditions=("σ = 0",), **_IND)
_reg("nc-unbiased-marina", [(1 + omega / sp.sqrt(n)) * L * Delta / eps],
     kind="O", setting="nc", compressor="unbiased", algorithm="marina", confidence="[C]",
     source=_S7 + "MARINA (Gorbunov et al. ICML 2021), p ≈ 1/(1+ω)",
     conditions=("σ = 0",), **_IND)
_reg("sc-unbiased-marina", [(omega + (1 + omega / sp.sqrt(n)) * kappa) * _LOG_SC],
     kind="O", setting="sc", compressor="unbiased", algorithm="marina", confidence="[S]",
     source=_S7 + "MARINA under PL (implied by μ-strong convexity), via the DASHA table",
     conditions=("σ = 0",), **_IND)

# ---- classical centralized references for the sanity reductions (THEORY.md §4.2 "Sanity reductions")
for _b in (
    Bound(name="sc-nesterov", expr=sp.sqrt(kappa) * _LOG_SC, kind="Omega", setting="sc",
          compressor="none", confidence="[C]", source="Nesterov (2018) Thm 2.1.13 (THEORY.md §2.2)"),
    Bound(name="sc-stochastic", expr=sigma**2 / (mu * eps) + sp.sqrt(kappa) * _LOG_SC, kind="Omega",
          setting="sc", compressor="none", confidence="[C]",
          source="centralized stochastic SC lower bound (Nemirovski–Yudin; Agarwal et al. 2012) + Nesterov"),
    Bound(name="gc-nesterov", expr=sp.sqrt(L * Delta_x / eps), kind="Omega", setting="gc",
          compressor="none", confidence="[C]", source="Nesterov (2018) Thm 2.1.7 (THEORY.md §2.3)"),
    Bound(name="nc-cdhs", expr=L * Delta / eps, kind="Omega", setting="nc", compressor="none",
          confidence="[C]", source="Carmon–Duchi–Hinder–Sidford (2020), squared-norm convention"),
    Bound(name="nc-arjevani", expr=L * Delta * sigma**2 / eps**2 + L * Delta / eps, kind="Omega",
          setting="nc", compressor="none", confidence="[C]",
          source="Arjevani et al. (2023) Thm 3 in the squared-norm convention (THEORY.md §0, §2.5)"),
):
    CLASSICAL[_b.name] = _b

"""The names of compressors used by the command line and the reports.

``make(name, d, **params)`` builds a compressor for dimension d, validating every parameter at the
boundary (ValueError naming the parameter, its value and the valid range). Parameters may be given
as strings (``"10"``, ``"true"``), as the command line does. Besides the plain names, two prefixes
apply a conversion to any registered unbiased compressor:

* ``contractive:NAME``: C/(1+ω), contractive with δ = 1/(1+ω) (THEORY.md §1.2);
* ``msc:NAME`` with parameter ``R``: MSC(C, R) of the contractive form (THEORY.md §5.1), with
  δ_R = 1 − (1 − δ)^R.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

from constructions.compose import Composed  # noqa: F401  (re-exported for Python users)
from constructions.compressors import BernoulliSparsifier, Compressor, Identity, RandS, Scaled
from constructions.msc import MSC
from constructions.zoo import QSGD, NaturalCompression, RandomQuantizer, ScaledSign, TopK


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # "int", "float" or "bool"
    default: object
    help: str
    # (d) -> (lo, hi) valid closed range for numbers; hi may be None; for floats lo is open if
    # open_lo is True.
    bounds: Callable[[int], tuple[float, float | None]] | None = None
    open_lo: bool = False


@dataclass(frozen=True)
class Entry:
    name: str
    summary: str
    build: Callable[..., Compressor]
    params: tuple[Param, ...] = field(default=())


def _parse(p: Param, value: object, d: int, compressor: str) -> object:
    where = f"{p.name} (compressor {compressor!r})"
    if p.kind == "bool":
        if isinstance(value, bool):
            return value
        s = str(value).strip().lower()
        if s in ("1", "true", "yes", "on"):
            return True
        if s in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"{where} must be true or false (got {value!r})")
    try:
        f = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        f = math.nan
    lo, hi = p.bounds(d) if p.bounds else (-math.inf, None)
    if p.kind == "int":
        rng = f"in [{lo:g}, {hi:g}]" if hi is not None else f"≥ {lo:g}"
        if not (math.isfinite(f) and f == int(f) and f >= lo and (hi is None or f <= hi)):
            raise ValueError(f"{where} must be an integer {rng} for d = {d} (got {value!r})")
        return int(f)
    lo_s = "(" if p.open_lo else "["
    rng = f"in {lo_s}{lo:g}, {hi:g}]" if hi is not None else f"> {lo:g}"
    ok = math.isfinite(f) and (f > lo if p.open_lo else f >= lo) and (hi is None or f <= hi)
    if not ok:
        raise ValueError(f"{where} must be a number {rng} (got {value!r})")
    return f


def _k(default: int = 1) -> Param:
    return Param("k", "int", default, "coordinates kept, 1 ≤ k ≤ d", lambda d: (1, d))


_SHARED = Param("shared", "bool", True, "one random draw for all workers (the lower-bound adversary)")
_INDEP = Param("shared", "bool", False, "one random draw for all workers")
_P = Param("p", "float", 0.1, "keep probability, 0 < p ≤ 1", lambda d: (0.0, 1.0), open_lo=True)
_S = Param("s", "int", 1, "quantization levels, s ≥ 1", lambda d: (1, None))

REGISTRY: dict[str, Entry] = {}


def register(entry: Entry) -> Entry:
    if entry.name in REGISTRY:
        raise ValueError(f"compressor {entry.name!r} is already registered")
    REGISTRY[entry.name] = entry
    return entry


for _e in (
    Entry("identity", "C(x) = x; ω = 0, δ = 1", lambda: Identity()),
    Entry("rand-k", "k random coordinates scaled by d/k; unbiased, ω = d/k − 1",
          lambda k, shared: RandS(s=k, scaled=True, shared=shared), (_k(), _SHARED)),
    Entry("rand-k-unscaled", "k random coordinates, unscaled; contractive, δ = k/d",
          lambda k, shared: RandS(s=k, scaled=False, shared=shared), (_k(), _SHARED)),
    Entry("bernoulli", "each coordinate kept w.p. p, scaled by 1/p; unbiased, ω = 1/p − 1",
          lambda p, shared: BernoulliSparsifier(p=p, scaled=True, shared=shared), (_P, _SHARED)),
    Entry("bernoulli-unscaled", "each coordinate kept w.p. p; contractive, δ = p",
          lambda p, shared: BernoulliSparsifier(p=p, scaled=False, shared=shared), (_P, _SHARED)),
    Entry("top-k", "k largest magnitudes; contractive, δ = k/d", lambda k: TopK(k=k), (_k(),)),
    Entry("qsgd", "QSGD with s levels; unbiased, ω = min(d/s², √d/s)",
          lambda s, shared: QSGD(s=s, shared=shared), (_S, _INDEP)),
    Entry("random-quantizer", "the talk's random quantization (max-norm grid, s intervals); "
          "unbiased, ω = min(d/(4s²), √d/s)",
          lambda s, shared: RandomQuantizer(s=s, shared=shared),
          (Param("s", "int", 4, "intervals of the grid (the talk's 5 levels: s = 4)", lambda d: (1, None)),
           _INDEP)),
    Entry("natural", "natural compression (round to powers of 2); unbiased, ω = 1/8",
          lambda shared: NaturalCompression(shared=shared), (_INDEP,)),
    Entry("scaled-sign", "(‖x‖₁/d)·sign(x); contractive, δ = 1/d", lambda: ScaledSign()),
):
    register(_e)

_R = Param("R", "int", 2, "MSC steps, R ≥ 1", lambda d: (1, None))


def names() -> list[str]:
    return list(REGISTRY)


def _split(name: str) -> tuple[str | None, str]:
    for prefix in ("contractive:", "msc:"):
        if name.startswith(prefix):
            return prefix[:-1], name[len(prefix):]
    return None, name


def params_of(name: str) -> tuple[Param, ...]:
    wrap, base = _split(name)
    entry = get(base)
    return entry.params + ((_R,) if wrap == "msc" else ())


def get(name: str) -> Entry:
    _, base = _split(name)
    try:
        return REGISTRY[base]
    except KeyError:
        raise ValueError(f"compressor must be one of {', '.join(REGISTRY)} "
                         f"(optionally prefixed contractive: or msc:) (got {name!r})") from None


def make(name: str, d: int, **params: object) -> Compressor:
    """Build the compressor ``name`` for dimension ``d`` (d ≥ 1) from (possibly string) parameters."""
    if not (isinstance(d, int) and d >= 1):
        raise ValueError(f"d must be an integer ≥ 1 (got {d!r})")
    wrap, base = _split(name)
    entry = get(name)
    spec = {p.name: p for p in params_of(name)}
    unknown = sorted(set(params) - set(spec))
    if unknown:
        valid = ", ".join(spec) or "none"
        raise ValueError(f"unknown parameter {unknown[0]!r} for compressor {name!r} (valid: {valid})")
    values = {k: _parse(p, params.get(k, p.default), d, name) for k, p in spec.items()}
    R = values.pop("R", None)
    C = entry.build(**values)
    if wrap is None:
        return C
    if not (C.unbiased or C.contractive):
        raise ValueError(f"{base} declares neither ω nor δ; {wrap}: cannot apply")
    C = Scaled.to_contractive(C, d)
    return C if wrap == "contractive" else MSC(C, R)

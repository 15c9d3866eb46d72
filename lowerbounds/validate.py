"""Parameter validation at the boundary (STYLE.md, scikit-learn habit).

Every check raises ``ValueError`` with one sentence naming the parameter, its value and the valid
range; the command line turns it into one line on stderr and exit code 2.
"""

from __future__ import annotations

import math
from typing import Sequence


# The largest compression factor 1+ω or 1/δ a dense hard instance is built for (d = s·(1+ω)).
MAX_FACTOR = 1e5


def _num(name: str, value: object) -> float:
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number (got {value!r})") from None
    if math.isnan(v):
        raise ValueError(f"{name} must be a number, not NaN")
    return v


def omega(value: object, name: str = "omega") -> float:
    v = _num(name, value)
    if not (0 <= v < math.inf):
        raise ValueError(f"{name} must be a finite number ≥ 0 (got {value!r})")
    return v


def delta(value: object, name: str = "delta") -> float:
    v = _num(name, value)
    if not (0 < v <= 1):
        raise ValueError(f"{name} must lie in (0, 1] (got {value!r})")
    return v


def kappa(value: object, name: str = "kappa") -> float:
    v = _num(name, value)
    if not (1 < v < math.inf):
        raise ValueError(f"{name} must be a finite number > 1 (got {value!r})")
    return v


def eps(value: object, name: str = "eps", upper: float | None = None) -> float:
    v = _num(name, value)
    if not (0 < v < math.inf):
        raise ValueError(f"{name} must be a finite number > 0 (got {value!r})")
    if upper is not None and v >= upper:
        raise ValueError(f"{name} must lie in (0, {upper:g}) (got {value!r})")
    return v


def positive(value: object, name: str) -> float:
    v = _num(name, value)
    if not (0 < v < math.inf):
        raise ValueError(f"{name} must be a finite number > 0 (got {value!r})")
    return v


def nonnegative(value: object, name: str) -> float:
    v = _num(name, value)
    if not (0 <= v < math.inf):
        raise ValueError(f"{name} must be a finite number ≥ 0 (got {value!r})")
    return v


def integer(value: object, name: str, minimum: int = 1, maximum: int | None = None) -> int:
    try:
        f = float(value)  # type: ignore[arg-type]
        ok = math.isfinite(f) and f == int(f)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"{name} must be an integer ≥ {minimum} (got {value!r})")
    v = int(f)
    if v < minimum or (maximum is not None and v > maximum):
        rng = f"≥ {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
        raise ValueError(f"{name} must be an integer {rng} (got {value!r})")
    return v


def choice(value: str, name: str, options: Sequence[str]) -> str:
    if value not in options:
        raise ValueError(f"{name} must be one of {', '.join(options)} (got {value!r})")
    return value


def float_list(text: str, name: str, check) -> tuple[float, ...]:
    """Parse "0,1,3" into floats, validating each with ``check(value, name)``."""
    parts = [p.strip() for p in str(text).split(",") if p.strip()]
    if not parts:
        raise ValueError(f"{name} must be a comma-separated list of numbers (got {text!r})")
    return tuple(check(p, name) for p in parts)

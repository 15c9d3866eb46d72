"""Statistics over seeds: medians with censoring, bootstrap intervals, log-log slope fits.

Censored runs (did not reach ε within the budget) count as +∞: the median is then finite only if
fewer than half of the seeds are censored, and a sweep with an infinite median cannot be fitted
(the verdict becomes *inconclusive*, with that reason). Bootstrap resampling uses a generator
derived from the master seed, so intervals are reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from numpy.typing import NDArray


def as_rounds(values: Sequence[float | int | None | str]) -> NDArray[np.float64]:
    """Rounds with censored entries (None or "") mapped to +∞."""
    return np.array([np.inf if v is None or v == "" else float(v) for v in values], dtype=float)


def median(values: Sequence[float | int | None | str]) -> float:
    a = np.sort(as_rounds(values))
    m = len(a)
    if m == 0:
        return float("nan")
    # Lower-median convention for even counts when the upper middle is censored keeps +∞ honest:
    # the median is finite only if strictly more than half of the runs are finite.
    if m % 2:
        return float(a[m // 2])
    lo, hi = a[m // 2 - 1], a[m // 2]
    return float(np.inf) if not np.isfinite(hi) else float(0.5 * (lo + hi))


def bootstrap_median_ci(values: Sequence, rng: np.random.Generator, B: int = 2000,
                        level: float = 0.95) -> tuple[float, float]:
    a = as_rounds(values)
    if len(a) == 0:
        return float("nan"), float("nan")
    idx = rng.integers(0, len(a), size=(B, len(a)))
    meds = np.array([median(a[i]) for i in idx])
    lo, hi = np.quantile(meds, [(1 - level) / 2, (1 + level) / 2], method="lower")
    return float(lo), float(hi)


@dataclass(frozen=True)
class SlopeFit:
    slope: float
    lo: float
    hi: float
    reason: str = ""  # non-empty when the fit is not possible (censoring)

    @property
    def ok(self) -> bool:
        return not self.reason


def fit_loglog_slope(xs: Sequence[float], per_point: Sequence[Sequence], rng: np.random.Generator,
                     B: int = 2000, level: float = 0.95) -> SlopeFit:
    """OLS slope of log(median rounds) on log(x), with a bootstrap interval that resamples the
    seeds independently at every point and refits."""
    x = np.log(np.asarray(xs, dtype=float))
    vals = [as_rounds(v) for v in per_point]
    meds = np.array([median(v) for v in vals])
    if not np.all(np.isfinite(meds)):
        bad = [f"{xv:g}" for xv, m in zip(xs, meds) if not np.isfinite(m)]
        return SlopeFit(float("nan"), float("nan"), float("nan"),
                        reason=f"median censored at x = {', '.join(bad)} (raise the round budget)")
    slope = float(np.polyfit(x, np.log(meds), 1)[0])
    boots = np.empty(B)
    for b in range(B):
        mb = np.array([median(v[rng.integers(0, len(v), size=len(v))]) for v in vals])
        boots[b] = np.polyfit(x, np.log(mb), 1)[0] if np.all(np.isfinite(mb)) else np.nan
    boots = boots[np.isfinite(boots)]
    if boots.size < B // 2:
        return SlopeFit(slope, float("nan"), float("nan"),
                        reason="more than half of the bootstrap resamples have a censored median")
    lo, hi = np.quantile(boots, [(1 - level) / 2, (1 + level) / 2])
    return SlopeFit(slope, float(lo), float(hi))

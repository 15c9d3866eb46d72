"""The protocol every algorithm follows (STYLE.md: explicit state, generator passed in).

An algorithm is configured once (problem-class constants it is allowed to know, such as L and μ,
its compressors and hyper-parameters) and then driven one **communication round** at a time:

    state = alg.init(n, d, x0, rng)
    state, stats = alg.step(state, oracle, rng)      # one round
    x_hat = alg.output(state)                        # the point x̂_t reported after t rounds

A round is at most one oracle query and one compressed uplink message per worker plus one
broadcast (THEORY.md §0, §1.3); the one documented exception is NEOLITHIC with a stochastic oracle,
whose multi-step compression needs all R samples of an outer iteration in its first round
(recorded there: see :mod:`algorithms.neolithic`). Arrays in ``state`` have shape (n, d) for
per-worker quantities. ``step`` may update arrays in place and
return the same state object (this is cheap and the caller never keeps old states).

Bits are counted per direction: ``bits_up`` sums the workers' uplink messages, ``bits_down`` is the
cost of the one broadcast message (every worker receives the same bits). An uncompressed broadcast
of a d-vector costs 64·d bits.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from constructions.base import Oracle
from constructions.compressors import VALUE_BITS

Array = NDArray[np.float64]


@dataclass(frozen=True)
class RoundStats:
    """What one round cost."""

    bits_up: int
    bits_down: int
    oracle_calls: int


def dense_broadcast_bits(d: int) -> int:
    return VALUE_BITS * d


class Algorithm(ABC):
    """Base class of a round-by-round distributed algorithm."""

    name: ClassVar[str] = "algorithm"

    @abstractmethod
    def init(self, n: int, d: int, x0: Array, rng: np.random.Generator) -> Any: ...

    @abstractmethod
    def step(self, state: Any, oracle: Oracle, rng: np.random.Generator) -> tuple[Any, RoundStats]: ...

    @abstractmethod
    def output(self, state: Any) -> Array: ...

    def hyperparameters(self) -> dict[str, float | int | str]:
        """The values actually used (defaults resolved), for provenance columns."""
        return {}


def check_positive(name: str, value: float, *, allow_zero: bool = False) -> float:
    v = float(value)
    ok = np.isfinite(v) and (v >= 0 if allow_zero else v > 0)
    if not ok:
        rng = "≥ 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {rng} (got {value!r})")
    return v

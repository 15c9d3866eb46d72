"""The protocol between constructions and algorithms.

An algorithm sees a distributed problem only through

* ``problem.n`` (workers) and ``problem.d`` (dimension),
* an :class:`Oracle` that returns one (stochastic) local gradient per worker, all workers at once as
  an ``(n, d)`` array,
* compressors (:mod:`constructions.compressors`), and
* a :class:`numpy.random.Generator` passed in by the caller.

The measurement side (``lowerbounds``) additionally uses ``f``, ``f_star``, ``x_star`` and ``prog``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


@runtime_checkable
class Problem(Protocol):
    """A distributed problem f = (1/n) Σ_i f_i on R^d."""

    n: int
    d: int

    def grads(self, X: Array) -> Array:
        """Exact local gradients: row i of the result is ∇f_i(X[i]) (X has shape (n, d))."""
        ...

    def f(self, x: Array) -> float:
        """The global objective f(x) = (1/n) Σ f_i(x)."""
        ...

    @property
    def f_star(self) -> float: ...

    @property
    def x_star(self) -> Array: ...

    def prog(self, x: Array) -> int:
        """Progress: the largest 1-based index i with x_i ≠ 0 (0 for x = 0), THEORY.md §2.1."""
        ...


class Oracle(Protocol):
    """A stochastic first-order oracle: one query per worker per call."""

    def query(self, X: Array, rng: np.random.Generator) -> Array:
        """Return an (n, d) array whose row i is an unbiased estimate of ∇f_i(X[i])."""
        ...


class ExactOracle:
    """The noiseless oracle O_i(x) = ∇f_i(x) (σ = 0)."""

    sigma: float = 0.0
    deterministic: bool = True

    def __init__(self, problem: Problem) -> None:
        self.problem = problem

    def query(self, X: Array, rng: np.random.Generator) -> Array:
        return self.problem.grads(X)


def prog(x: Array, alpha: float = 0.0) -> int:
    """prog_α(x) = max{i ≥ 1 : |x_i| > α}, 0 if there is none (THEORY.md §2.1), 1-based."""
    nz = np.flatnonzero(np.abs(np.asarray(x)) > alpha)
    return int(nz[-1]) + 1 if nz.size else 0

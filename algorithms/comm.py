"""A base class for round-by-round algorithms with honest accounting and an optional audit.

:class:`RoundAlgorithm` implements the protocol of :mod:`algorithms.base` as a template:

* ``init(n, d, x0, rng)`` calls the subclass's ``_init`` and, when auditing is on
  (``alg.audit = True`` or :meth:`with_audit`), attaches a fresh
  :class:`~algorithms.audit.SupportAudit` as ``state.audit``;
* ``step(state, oracle, rng)`` runs the subclass's ``_round(state, oracle, rng, tally)`` (one
  communication round) and returns the :class:`~algorithms.base.RoundStats` the tally collected.

Inside ``_round`` a method talks to the world only through four helpers, which count oracle calls
and bits per direction and feed the audit (THEORY.md §1.3):

* :meth:`query` — one oracle query per worker (an (n, d) array of points);
* :meth:`uplink` — one compressed message per worker; bits = the compressor's declared ``bits``;
* :meth:`broadcast` — one server message, dense (64·d bits, ``algorithms.base``) or compressed with
  a downlink compressor (its declared bits for one message);
* the reported point is checked against the server's support after every round.

When auditing is off the helpers cost one ``is None`` test each, so production runs pay nothing.
Every state dataclass therefore carries an ``audit`` field (default ``None``).
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import Any

import numpy as np

from algorithms.audit import SupportAudit
from algorithms.base import Algorithm, Array, RoundStats, dense_broadcast_bits
from constructions.base import Oracle
from constructions.compressors import VALUE_BITS, Compressor, Identity


@dataclass
class Tally:
    """What the current round has cost so far."""

    bits_up: int = 0
    bits_down: int = 0
    oracle_calls: int = 0

    def stats(self) -> RoundStats:
        return RoundStats(int(self.bits_up), int(self.bits_down), int(self.oracle_calls))


class RoundAlgorithm(Algorithm):
    """Template for the zoo (see the module docstring). Subclasses define ``_init``, ``_round``
    and ``output``; their state dataclass has an ``audit`` field."""

    audit: bool = False

    def with_audit(self, on: bool = True) -> "RoundAlgorithm":
        self.audit = bool(on)
        return self

    # ---------------------------------------------------------------- protocol
    def init(self, n: int, d: int, x0: Array, rng: np.random.Generator) -> Any:
        x0 = np.array(x0, dtype=np.float64)
        if x0.shape != (d,):
            raise ValueError(f"x0 must have shape (d,) = ({d},) (got {x0.shape})")
        state = self._init(n, d, x0, rng)
        state.audit = SupportAudit(n, d, x0) if self.audit else None
        return state

    def step(self, state: Any, oracle: Oracle, rng: np.random.Generator) -> tuple[Any, RoundStats]:
        tally = Tally()
        state = self._round(state, oracle, rng, tally)
        a = state.audit
        if a is not None:
            a.check_output(self.output(state))
            a.end_round()
        return state, tally.stats()

    @abstractmethod
    def _init(self, n: int, d: int, x0: Array, rng: np.random.Generator) -> Any: ...

    @abstractmethod
    def _round(self, state: Any, oracle: Oracle, rng: np.random.Generator, tally: Tally) -> Any: ...

    # ---------------------------------------------------------------- communication helpers
    @staticmethod
    def query(state: Any, oracle: Oracle, X: Array, rng: np.random.Generator, tally: Tally) -> Array:
        """One stochastic gradient per worker at the rows of X."""
        a = state.audit
        if a is not None:
            a.check_query(X)
        G = oracle.query(X, rng)
        tally.oracle_calls += G.shape[0]
        if a is not None:
            a.learn_gradients(G)
        return G

    @staticmethod
    def uplink(state: Any, C: Compressor, M: Array, rng: np.random.Generator, tally: Tally) -> Array:
        """Each worker sends C(M[i]); returns the (n, d) compressed messages the server receives.

        With the identity compressor and no audit the messages are M itself, not a copy (a dense
        round would otherwise spend a full extra pass over n·d values): callers never write into
        what this returns unless they own M."""
        a = state.audit
        if a is None and type(C) is Identity:
            tally.bits_up += VALUE_BITS * M.shape[0] * M.shape[1]  # Identity.bits, without the array
            return M
        if a is not None:
            a.check_uplink(M)
        CM = C(M, rng)
        tally.bits_up += int(C.bits(CM).sum())
        if a is not None:
            a.learn_uplink(CM)
        return CM

    @staticmethod
    def broadcast(state: Any, m: Array, tally: Tally, C0: Compressor | None = None,
                  rng: np.random.Generator | None = None) -> Array:
        """The server sends m (dense, 64·d bits) or C0(m) (its declared bits) to every worker."""
        a = state.audit
        if a is not None:
            a.check_broadcast(m)
        if C0 is None:
            out = m
            tally.bits_down += dense_broadcast_bits(m.shape[-1])
        else:
            assert rng is not None
            out = C0(m[None, :], rng)[0]
            tally.bits_down += int(C0.bits(out[None, :])[0])
        if a is not None:
            a.learn_broadcast(out)
        return out


def descend(x: Array, step: float, u: Array) -> Array:
    """x − step·u as a new array, bit for bit, with one temporary instead of two: at d = 10⁶ every
    fresh 8 MB array is page-faulted in, which costs as much as the arithmetic."""
    out = np.multiply(u, step)
    return np.subtract(x, out, out=out)


def as_contractive(C: Compressor, d: int) -> Compressor:
    """THEORY.md §9 pitfall (f): unbiased compressors enter error feedback / MSC as C/(1+ω)."""
    from constructions.compressors import Scaled

    return Scaled.to_contractive(C, d)


def require_unbiased(C: Compressor, method: str) -> None:
    if not C.unbiased:
        raise ValueError(f"{method}'s theorem needs an unbiased compressor (declared ω); "
                         f"{C.name} is not one")


def omega_of(C: Compressor, d: int) -> float:
    w = C.omega(d)
    if w is None:
        raise ValueError(f"{C.name} declares no ω; pass the step size explicitly")
    return float(w)


def delta_of(C: Compressor, d: int) -> float:
    dl = C.delta(d)
    if dl is None:
        raise ValueError(f"{C.name} declares no δ; pass the step size explicitly")
    return float(dl)


def ef_radius(delta: float) -> float:
    """a(δ) = r/(1 − r), r = √(1 − δ): a residual e⁺ = v + e − C(v + e) of a compressor with
    ‖C(u) − u‖ ≤ r‖u‖ obeys ‖e⁺‖ ≤ r(‖e‖ + ‖v‖), hence ‖e‖ ≤ a(δ)·max‖v‖ (geometric series).
    a(1) = 0 (no residual) and a(δ) ≤ 2/δ (since 1 − r ≥ δ/2). Used by the toolkit's own
    error-feedback step sizes (MEM-SGD, DoubleSqueeze, CSER); a heuristic bound in the
    bounded-gradient style, not a theorem of those papers."""
    if not 0.0 < delta <= 1.0:
        raise ValueError(f"delta must lie in (0, 1] (got {delta!r})")
    r = (1.0 - delta) ** 0.5
    return r / (1.0 - r)


def n_eff(C: Compressor, n: int) -> int:
    """Variance averaging across workers needs independent randomness: with a shared draw (the
    lower-bound adversary, THEORY.md §3.1) the n errors are perfectly correlated and only 1 counts."""
    return 1 if C.shared else n

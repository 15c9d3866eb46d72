"""The zero-respecting audit (THEORY.md §1.3, formalised there as [D]).

Every party keeps a *known-support set*: S_i for worker i and S_0 for the server (boolean masks of
length d). Initially S = supp(x⁰) for everyone (∅ for x⁰ = 0). In every round

1. worker i queries its oracle at a point with supp ⊆ S_i and learns S_i ← S_i ∪ supp(g_i);
2. worker i builds a message m_i with supp(m_i) ⊆ S_i, sends C_i(m_i), and the server learns
   S_0 ← S_0 ∪ supp(C_i(m_i));
3. the server builds m with supp(m) ⊆ S_0 and broadcasts m (or C_0(m)); every worker adds the
   support of what it *receives*;
4. the reported point satisfies supp(x̂) ⊆ S_0.

:class:`SupportAudit` keeps the masks and raises :class:`ZeroRespectingViolation` (a ``ValueError``)
naming the party, the round and the offending coordinates. Algorithms built on
:class:`algorithms.comm.RoundAlgorithm` call it from their query/uplink/broadcast helpers only when
auditing is switched on (``state.audit is None`` otherwise, one attribute test per message).

:class:`BlackBoxAudit` audits an algorithm that does not use those helpers (the lead's ``cgd`` and
``neolithic``, or a user's plug-in): it wraps the oracle (step 1) and every attribute of the
algorithm that is a :class:`~constructions.compressors.Compressor` (step 2, treated as an uplink),
and, because it cannot see the broadcast, models it as *dense*: after each round every worker
learns S_0 (the most a dense broadcast of server knowledge can reveal). This is sound for the
unidirectional class the lower bounds are proved for, and more lenient than the hook-level audit.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
from numpy.typing import NDArray

from algorithms.base import Algorithm, Array, RoundStats
from constructions.base import Oracle
from constructions.compressors import Compressor


class ZeroRespectingViolation(ValueError):
    """Raised when an iterate or a message leaves the support its owner has legitimately learned."""


def _first(mask: NDArray[np.bool_], k: int = 5) -> list[int]:
    return [int(j) + 1 for j in np.flatnonzero(mask)[:k]]  # 1-based, as prog is


class SupportAudit:
    """Known-support masks of n workers and the server (THEORY.md §1.3)."""

    def __init__(self, n: int, d: int, x0: Array) -> None:
        start = np.asarray(x0) != 0
        self.workers = np.tile(start, (n, 1))
        self.server = start.copy()
        self.round = 0
        self.checks = 0  # number of support checks performed (tests assert the audit ran)

    # -- step 1
    def check_query(self, X: Array) -> None:
        self._check_rows(X, "oracle query point")

    def learn_gradients(self, G: Array) -> None:
        self.workers |= np.asarray(G) != 0

    # -- step 2
    def check_uplink(self, M: Array) -> None:
        self._check_rows(M, "uplink message (before compression)")

    def learn_uplink(self, CM: Array) -> None:
        self.server |= np.any(np.asarray(CM) != 0, axis=0)

    # -- step 3
    def check_broadcast(self, m: Array) -> None:
        self._check_server(m, "broadcast message")

    def learn_broadcast(self, received: Array) -> None:
        self.workers |= np.asarray(received) != 0

    def learn_dense_broadcast(self) -> None:
        """The black-box model: a dense broadcast can reveal at most S_0."""
        self.workers |= self.server

    # -- step 4
    def check_output(self, x: Array) -> None:
        self._check_server(x, "reported point x̂")

    def end_round(self) -> None:
        self.round += 1

    # -- helpers
    def _check_rows(self, X: Array, what: str) -> None:
        self.checks += 1
        X = np.asarray(X)
        if X.ndim == 1:
            X = np.broadcast_to(X, self.workers.shape)
        bad = (X != 0) & ~self.workers
        if bad.any():
            i = int(np.flatnonzero(bad.any(axis=1))[0])
            raise ZeroRespectingViolation(
                f"round {self.round + 1}: worker {i}'s {what} has non-zeros at coordinates "
                f"{_first(bad[i])} outside the support it has learned (THEORY.md §1.3)"
            )

    def _check_server(self, x: Array, what: str) -> None:
        self.checks += 1
        bad = (np.asarray(x) != 0) & ~self.server
        if bad.any():
            raise ZeroRespectingViolation(
                f"round {self.round + 1}: the server's {what} has non-zeros at coordinates "
                f"{_first(bad)} outside the support the server has learned (THEORY.md §1.3)"
            )


class _AuditedOracle:
    def __init__(self, inner: Oracle, audit: SupportAudit) -> None:
        self.inner, self.audit = inner, audit
        self.deterministic = getattr(inner, "deterministic", False)

    def query(self, X: Array, rng: np.random.Generator) -> Array:
        self.audit.check_query(X)
        G = self.inner.query(X, rng)
        self.audit.learn_gradients(G)
        return G


class _AuditedCompressor(Compressor):
    """Wraps an uplink compressor: checks its input rows against S_i, teaches S_0 its output."""

    name = "audited"

    def __init__(self, inner: Compressor, box: "BlackBoxAudit") -> None:
        self.inner, self.box = inner, box

    def __getattr__(self, attr: str) -> Any:  # delegate ω, δ, shared, unbiased, …
        return getattr(self.inner, attr)

    @property
    def unbiased(self) -> bool:  # type: ignore[override]
        return self.inner.unbiased

    @property
    def contractive(self) -> bool:  # type: ignore[override]
        return self.inner.contractive

    @property
    def shared(self) -> bool:  # type: ignore[override]
        return self.inner.shared

    def omega_expr(self):
        return self.inner.omega_expr()

    def delta_expr(self):
        return self.inner.delta_expr()

    def __call__(self, V: Array, rng: np.random.Generator) -> Array:
        a = self.box.current
        if a is not None:
            a.check_uplink(V)
        out = self.inner(V, rng)
        if a is not None:
            a.learn_uplink(out)
        return out

    def bits(self, M: Array):
        return self.inner.bits(M)


class BlackBoxAudit(Algorithm):
    """Audit any :class:`Algorithm` from the outside (see the module docstring for the model)."""

    def __init__(self, inner: Algorithm) -> None:
        self.inner = copy.copy(inner)
        self.name = f"audited({getattr(inner, 'name', type(inner).__name__)})"
        self.current: SupportAudit | None = None
        for attr, val in list(vars(self.inner).items()):
            if isinstance(val, Compressor):
                setattr(self.inner, attr, _AuditedCompressor(val, self))

    def init(self, n: int, d: int, x0: Array, rng: np.random.Generator) -> Any:
        self.current = SupportAudit(n, d, x0)
        return self.inner.init(n, d, x0, rng)

    def step(self, state: Any, oracle: Oracle, rng: np.random.Generator) -> tuple[Any, RoundStats]:
        a = self.current
        assert a is not None, "call init before step"
        state, stats = self.inner.step(state, _AuditedOracle(oracle, a), rng)
        a.learn_dense_broadcast()
        a.check_output(self.inner.output(state))
        a.end_round()
        return state, stats

    def output(self, state: Any) -> Array:
        return self.inner.output(state)

    def hyperparameters(self) -> dict[str, float | int | str]:
        hp = getattr(self.inner, "hyperparameters", None)  # optional for a plain plug-in class
        return hp() if callable(hp) else {}

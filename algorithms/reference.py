"""Per-worker reference rounds: every method's round written the obvious way, with a Python loop
``for i in range(n)`` over the workers (STYLE.md: keep a small, obviously-correct reference where
speed tricks are used, and test the fast path against it).

:func:`reference_step` ``(alg, state, oracle, rng) -> (state, RoundStats)`` performs one round of
``alg`` on the same state object its vectorised :meth:`step` uses, so the two can be compared
round by round (``tests/test_algorithms_reference.py``) and timed against each other
(``lowerbounds bench``, module ``algorithms``). It follows each module's docstring formula
literally — no identity shortcuts, no scratch buffers: worker i forms its message from its own
rows, compresses it alone (``C(v[None, :])``), and the server adds the messages one by one.

What is *not* per worker: the oracle is queried once with all workers' points stacked (it is the
problem's, not the algorithm's, and the protocol of :mod:`constructions.base` answers all workers
at once). Compressing worker by worker draws the same random numbers in the same order as one
call on the stacked messages only for compressors with independent randomness (``shared=False``)
or none (identity, top-k); a shared random draw is refused with a ``ValueError``.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from algorithms.adiana import ADIANA, COIN_BITS
from algorithms.artemis import Artemis
from algorithms.base import Algorithm, Array, RoundStats, dense_broadcast_bits
from algorithms.cgd import CompressedGD
from algorithms.cser import CSER
from algorithms.diana import DIANA
from algorithms.doublesqueeze import DoubleSqueeze
from algorithms.ef21 import EF21, EF21MState, EF21SGD
from algorithms.memsgd import MemSGD
from algorithms.neolithic import AcceleratedNeolithic
from algorithms.neolithic_gc import AcceleratedNeolithicGC
from algorithms.neolithic_nc import NeolithicNC
from algorithms.nesterov import Nesterov
from algorithms.psgd import PSGD
from algorithms.qsgd import QSGD
from constructions.base import Oracle
from constructions.compressors import Compressor, Identity, Scaled
from constructions.zoo import TopK


def _check(C: Compressor) -> Compressor:
    base = C
    while isinstance(base, Scaled):
        base = base.inner
    if C.shared and not isinstance(base, (Identity, TopK)):
        raise ValueError(f"the per-worker reference compresses worker by worker, which draws the "
                         f"randomness of a shared compressor ({C.name}) once per worker; use one "
                         "with shared=False (or a deterministic one)")
    return C


def _send(C: Compressor, v: Array, rng: np.random.Generator) -> tuple[Array, int]:
    """Worker's message C(v) and its declared bits."""
    m = C(v[None, :], rng)
    return m[0], int(C.bits(m)[0])


def _down(C0: Compressor, m: Array, rng: np.random.Generator) -> tuple[Array, int]:
    out = C0(m[None, :], rng)
    return out[0], int(C0.bits(out)[0])


def _grads(oracle: Oracle, X: Array, rng: np.random.Generator) -> Array:
    return oracle.query(X, rng)


def _points(x: Array, n: int) -> Array:
    return np.broadcast_to(x, (n, x.shape[0]))


# ------------------------------------------------------------------ the rounds
def _compressed_sgd(alg: Any, C: Compressor, s: Any, oracle: Oracle, rng) -> tuple[Any, RoundStats]:
    """PSGD (identity), QSGD, compressed GD: x⁺ = x − γ·(1/n)Σ_i C(g_i)."""
    n, d = alg.n, s.x.shape[0]
    G = _grads(oracle, _points(s.x, n), rng)
    total, up = np.zeros(d), 0
    for i in range(n):
        m, b = _send(C, G[i], rng)
        total += m
        up += b
    s.x = s.x - alg.gamma * (total / n)
    s.t += 1
    return s, RoundStats(up, dense_broadcast_bits(d), n)


def _psgd(alg: PSGD, s, oracle, rng):
    return _compressed_sgd(alg, Identity(), s, oracle, rng)


def _qsgd(alg: QSGD, s, oracle, rng):
    return _compressed_sgd(alg, _check(alg.C), s, oracle, rng)


def _cgd(alg: CompressedGD, s, oracle, rng):
    return _compressed_sgd(alg, _check(alg.compressor), s, oracle, rng)


def _nesterov(alg: Nesterov, s, oracle, rng):
    n, d = alg.n, s.y.shape[0]
    G = _grads(oracle, _points(s.y, n), rng)
    total, up = np.zeros(d), 0
    for i in range(n):
        m, b = _send(Identity(), G[i], rng)
        total += m
        up += b
    x_new = s.y - alg.eta * (total / n)
    s.y = x_new + alg.momentum(s.k) * (x_new - s.x)
    s.x = x_new
    s.k += 1
    return s, RoundStats(up, dense_broadcast_bits(d), n)


def _memsgd(alg: MemSGD, s, oracle, rng):
    C, (n, d) = _check(alg.C), s.E.shape
    G = _grads(oracle, _points(s.x, n), rng)
    total, up = np.zeros(d), 0
    for i in range(n):
        p = s.E[i] + alg.gamma * G[i]
        delta, b = _send(C, p, rng)
        s.E[i] = p - delta  # worker i's own residual
        total += delta
        up += b
    s.x = s.x - total / n
    s.t += 1
    return s, RoundStats(up, dense_broadcast_bits(d), n)


def _ef21(alg: EF21, s, oracle, rng):
    C, (n, d) = _check(alg.C), s.Gi.shape
    G = _grads(oracle, _points(s.x, n), rng)
    total, up = np.zeros(d), 0
    for i in range(n):
        if isinstance(s, EF21MState):  # EF21-SGDM: v_i ← (1 − a)v_i + a·g_i, compress v_i − g_i
            s.V[i] = (1.0 - alg.momentum) * s.V[i] + alg.momentum * G[i]
            target = s.V[i]
        else:
            target = G[i]
        c, b = _send(C, target - s.Gi[i], rng)  # against worker i's own g_i
        s.Gi[i] += c
        total += c
        up += b
    s.g += total / n
    s.x = s.x - alg.gamma * s.g
    s.t += 1
    return s, RoundStats(up, dense_broadcast_bits(d), n)


def _doublesqueeze(alg: DoubleSqueeze, s, oracle, rng):
    C, C0, (n, d) = _check(alg.C), alg.C0, s.Dw.shape
    G = _grads(oracle, _points(s.x, n), rng)
    total, up = np.zeros(d), 0
    for i in range(n):
        p = G[i] + s.Dw[i]
        v, b = _send(C, p, rng)
        s.Dw[i] = p - v
        total += v
        up += b
    w = total / n + s.Ds
    u, down = _down(C0, w, rng)
    s.Ds = w - u
    s.x = s.x - alg.gamma * u
    s.t += 1
    return s, RoundStats(up, down, n)


def _cser(alg: CSER, s, oracle, rng):
    (n, d) = s.E.shape
    total, up = np.zeros(d), 0
    if s.since_reset == alg.H:  # reset round: PSync of the errors
        C2 = _check(alg.C2)
        for i in range(n):
            c2, b = _send(C2, s.E[i], rng)
            s.E[i] = s.E[i] - c2
            total += c2
            up += b
        s.x = s.x + total / n
        s.since_reset, calls = 0, 0
    else:
        C1 = _check(alg.C1)
        G = _grads(oracle, np.stack([s.x + s.E[i] for i in range(n)]), rng)
        for i in range(n):
            c, b = _send(C1, G[i], rng)
            s.E[i] = s.E[i] - alg.gamma * (G[i] - c)
            total += c
            up += b
        s.x = s.x - alg.gamma * (total / n)
        s.since_reset, calls = s.since_reset + 1, n
    s.t += 1
    return s, RoundStats(up, dense_broadcast_bits(d), calls)


def _shift_uplink(alg: Any, C: Compressor, s, G: Array, rng) -> tuple[Array, int]:
    """DIANA/Artemis/ADIANA uplink: Δ_i = C(g_i − h_i), h_i ← h_i + αΔ_i; returns mean Δ, bits."""
    n, d = s.H.shape
    total, up = np.zeros(d), 0
    for i in range(n):
        delta, b = _send(C, G[i] - s.H[i], rng)
        s.H[i] += alg.alpha * delta
        total += delta
        up += b
    return total / n, up


def _diana(alg: DIANA, s, oracle, rng):
    (n, d) = s.H.shape
    G = _grads(oracle, _points(s.x, n), rng)
    dbar, up = _shift_uplink(alg, _check(alg.C), s, G, rng)
    ghat = s.h + dbar
    s.h = s.h + alg.alpha * dbar
    s.x = s.x - alg.gamma * ghat
    s.t += 1
    return s, RoundStats(up, dense_broadcast_bits(d), n)


def _artemis(alg: Artemis, s, oracle, rng):
    (n, d) = s.H.shape
    G = _grads(oracle, _points(s.x, n), rng)
    dbar, up = _shift_uplink(alg, _check(alg.C), s, G, rng)
    ghat = s.h + dbar
    s.h = s.h + alg.alpha * dbar
    om, down = _down(alg.C0, ghat, rng)
    s.x = s.x - alg.gamma * om
    s.t += 1
    return s, RoundStats(up, down, n)


def _adiana(alg: ADIANA, s, oracle, rng):
    C, (n, d) = _check(alg.C), s.H.shape
    if s.phase == 0:  # round A: gradient at x^k against the shifts (shifts unchanged)
        x = alg.theta1 * s.z + alg.theta2 * s.w + (1.0 - alg.theta1 - alg.theta2) * s.y
        G = _grads(oracle, _points(x, n), rng)
        total, up = np.zeros(d), 0
        for i in range(n):
            delta, b = _send(C, G[i] - s.H[i], rng)
            total += delta
            up += b
        g = s.h + total / n
        y_new = x - alg.eta * g
        s.z = alg.beta * s.z + (1.0 - alg.beta) * x + (alg.gamma / alg.eta) * (y_new - x)
        s.y_prev, s.y = s.y, y_new
        s.phase = 1
        return s, RoundStats(up, dense_broadcast_bits(d), n)
    G = _grads(oracle, _points(s.w, n), rng)  # round B: the shifts learn at the anchor w^k
    dbar, up = _shift_uplink(alg, C, s, G, rng)
    s.h = s.h + alg.alpha * dbar
    if rng.random() < alg.p:
        s.w = s.y_prev
    s.phase = 0
    s.k += 1
    return s, RoundStats(up, COIN_BITS, n)


def _neolithic(alg: AcceleratedNeolithic, s, oracle, rng):
    C, (n, d) = _check(alg.C), s.G.shape
    calls = 0
    if isinstance(alg, AcceleratedNeolithicGC) and s.r == 0:
        alg.gamma = alg.gamma_k(s.k)
    if s.r == 0:
        g, p = alg.gamma, alg.p
        s.z = (1.0 / g) * s.x + (1.0 / p - 1.0 / g) * s.x_prev + (1.0 - 1.0 / p) * s.z
        s.y = (1.0 - g / p) * s.x + (g / p) * s.z
        R = 1 if getattr(oracle, "deterministic", False) else alg.R
        samples = [_grads(oracle, _points(s.y, n), rng) for _ in range(R)]
        for i in range(n):
            s.G[i] = sum(S[i] for S in samples) / R
            s.V[i] = 0.0
        calls = n * R
    up = 0
    for i in range(n):  # one MSC step per worker
        c, b = _send(C, s.G[i] - s.V[i], rng)
        s.V[i] += c
        up += b
    s.r += 1
    if s.r == alg.R:
        gbar = sum(s.V[i] for i in range(n)) / n
        s.x_prev, s.x = s.x, s.y - (alg.eta / alg.p) * gbar
        s.r = 0
        s.k += 1
    return s, RoundStats(up, dense_broadcast_bits(d), calls)


def _neolithic_nc(alg: NeolithicNC, s, oracle, rng):
    C, (n, d), R = _check(alg.C), s.V.shape, alg.R
    up = down = calls = 0
    if s.r == 0:
        draws = 1 if getattr(oracle, "deterministic", False) else R
        samples = [_grads(oracle, _points(s.x, n), rng) for _ in range(draws)]
        calls = n * draws
        T = np.empty((n, d))
        for i in range(n):
            T[i] = sum(S[i] for S in samples) / draws
            if alg.error_feedback:
                T[i] = T[i] + s.E[i]
            s.V[i] = 0.0
        s.T = T
    u = None
    if s.r < R:  # uplink MSC step of every worker
        for i in range(n):
            c, b = _send(C, s.T[i] - s.V[i], rng)
            s.V[i] += c
            up += b
        if s.r == R - 1:
            v = sum(s.V[i] for i in range(n)) / n
            if alg.error_feedback:
                for i in range(n):
                    s.E[i] = s.T[i] - s.V[i]
            if alg.bidirectional:
                s.w = v + s.e
                s.U[...] = 0.0
            else:
                u, down = v, dense_broadcast_bits(d)
    else:  # downlink MSC step of the server
        c0, down = _down(alg.C0, s.w - s.U, rng)
        s.U = s.U + c0
        if s.r == 2 * R - 1:
            s.e = s.w - s.U
            u = s.U.copy()
    if u is None:
        s.r += 1
    else:
        s.x = s.x - alg.gamma * u
        s.k += 1
        s.r = 0
        if alg.output_rule == "uniform" and rng.random() < 1.0 / (s.k + 1):
            s.x_out = s.x.copy()
    return s, RoundStats(up, down, calls)


ROUNDS: dict[type, Callable[..., tuple[Any, RoundStats]]] = {
    PSGD: _psgd, QSGD: _qsgd, CompressedGD: _cgd, Nesterov: _nesterov, MemSGD: _memsgd,
    EF21: _ef21, EF21SGD: _ef21, DoubleSqueeze: _doublesqueeze, CSER: _cser, DIANA: _diana,
    Artemis: _artemis, ADIANA: _adiana, AcceleratedNeolithic: _neolithic,
    AcceleratedNeolithicGC: _neolithic, NeolithicNC: _neolithic_nc,
}


def reference_step(alg: Algorithm, state: Any, oracle: Oracle,
                   rng: np.random.Generator) -> tuple[Any, RoundStats]:
    """One round of ``alg`` by the per-worker reference (module docstring), on ``state``."""
    fn = ROUNDS.get(type(alg))
    if fn is None:
        raise ValueError(f"no per-worker reference for {type(alg).__name__}; "
                         f"available: {', '.join(sorted(c.__name__ for c in ROUNDS))}")
    if getattr(state, "audit", None) is not None:
        raise ValueError("the per-worker reference does not audit; run it with the audit off")
    return fn(alg, state, oracle, rng)

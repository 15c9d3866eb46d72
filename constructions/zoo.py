"""The rest of the compressor zoo: top-k, QSGD, the talk's random quantizer, natural compression and
scaled sign (THEORY.md §1.2 and the compressor table of §7).

Each class declares, like those of :mod:`constructions.compressors`, its class and constant (as a
sympy expression of d and its parameters), the bits a message costs, whether its randomness is
shared across workers, and how close to attained its constant is (``tightness``). Bit counts
follow one convention: 64 bits per float (values and norms), ⌈log2 d⌉ per index, 1 bit per sign,
⌈log2(s+1)⌉ per quantization level; quantizers are encoded densely (every coordinate costs its
sign and level), sparsifiers send (value, index) pairs.

Randomness comes only from the generator passed in. ``shared=True`` draws one set of uniforms for
all workers in a call (THEORY.md §1.2: the classes allow it, the lower bound exploits it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import sympy as sp
from numpy.typing import NDArray

from constructions.compressors import (
    VALUE_BITS,
    Array,
    Compressor,
    _check_messages,
    d_sym,
    index_bits,
)


def _is_int(x: object) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


def _uniforms(shape: tuple[int, int], shared: bool, rng: np.random.Generator) -> Array:
    n, d = shape
    return rng.random((1, d) if shared else (n, d))


def equal_magnitude(d: int, rng: np.random.Generator) -> Array:
    """Random signs, all magnitudes 1: where top-k attains δ = k/d exactly."""
    return rng.choice([-1.0, 1.0], size=d)


# ------------------------------------------------------------------------------------ top-k
@dataclass(frozen=True)
class TopK(Compressor):
    """Keep the k largest |x_j| (ties broken by position, deterministically): contractive with
    δ = k/d [S talk; THEORY.md §1.2].

    Proof of the constant: the kept k coordinates carry at least the average share k/d of ‖x‖², so
    ‖C(x) − x‖² ≤ (1 − k/d)‖x‖², with equality iff all |x_j| are equal (tightness τ = 1).
    Deterministic, so ``shared`` is irrelevant; indices always travel: k·(64 + ⌈log2 d⌉) bits.
    """

    k: int
    name: ClassVar[str] = "top-k"
    contractive: ClassVar[bool] = True
    projection: ClassVar[bool] = True
    bits_rule: ClassVar[str] = "k·(64 + ⌈log2 d⌉): k values and their indices"
    shared: bool = True  # deterministic: every worker applies the same rule

    def __post_init__(self) -> None:
        if not _is_int(self.k) or self.k < 1:
            raise ValueError(f"k must be an integer ≥ 1 (got {self.k!r})")

    def symbolic(self) -> dict[str, sp.Expr]:
        return {"delta": sp.Symbol("k", positive=True, integer=True) / d_sym}

    def delta_expr(self) -> sp.Expr:
        return sp.Integer(self.k) / d_sym

    def tightness(self, d: int) -> float:
        return 1.0

    def hard_vectors(self, d: int, rng: np.random.Generator) -> dict[str, Array]:
        return {"equal-magnitude": equal_magnitude(d, rng)}

    def __call__(self, V: Array, rng: np.random.Generator) -> Array:
        V = _check_messages(V)
        n, d = V.shape
        if self.k > d:
            raise ValueError(f"k must satisfy 1 ≤ k ≤ d = {d} (got k = {self.k})")
        # stable sort on −|x|: the first k positions in (magnitude desc, index asc) order
        idx = np.argsort(-np.abs(V), axis=1, kind="stable")[:, : self.k]
        out = np.zeros_like(V)
        rows = np.arange(n)[:, None]
        out[rows, idx] = V[rows, idx]
        return out

    def bits(self, M: Array) -> NDArray[np.int64]:
        M = np.asarray(M)
        return np.full(M.shape[0], self.k * (VALUE_BITS + index_bits(M.shape[1])), dtype=np.int64)


# ------------------------------------------------------------------------------- quantizers
def _stochastic_round(U: Array, R: Array) -> Array:
    """Unbiased rounding of U ≥ 0 to the integers: ⌊u⌋ + 1{r < u − ⌊u⌋}."""
    lo = np.floor(U)
    return lo + (R < (U - lo))


def _level_bits(s: int) -> int:
    return max(1, math.ceil(math.log2(s + 1)))


@dataclass(frozen=True)
class QSGD(Compressor):
    """QSGD with s levels (Alistarh et al. 2017, THEORY.md §7):
    Q(v)_j = ‖v‖₂·sgn(v_j)·ξ_j/s, ξ_j the unbiased stochastic rounding of s|v_j|/‖v‖₂.

    Declared ω = min(d/s², √d/s) (their Lemma 3.1). Derivation: with u_j = s|v_j|/‖v‖ and f_j its
    fractional part, E‖Q(v) − v‖² = (‖v‖²/s²)·Σ_j f_j(1 − f_j); f(1 − f) ≤ min(1/4, u) gives
    ≤ min(d/(4s²), ‖v‖₁/(s‖v‖)) ≤ min(d/s², √d/s). So the published constant is an upper bound, not
    the supremum. **Tightness:** on equal magnitudes u_j = s/√d for all j, the ratio is exactly
    ω_eq = d·f(1 − f)/s² with f = frac(s/√d) (= √d/s − 1 when s < √d), so we claim
    τ = ω_eq / min(d/s², √d/s), computed from the *published formula*, not from
    :meth:`omega_expr`: a subclass that re-declares ω without re-deriving τ is caught.

    Bits (dense encoding): one 64-bit norm + d·(1 sign + ⌈log2(s+1)⌉ level bits).
    """

    s: int = 1
    shared: bool = False
    name: ClassVar[str] = "qsgd"
    unbiased: ClassVar[bool] = True
    bits_rule: ClassVar[str] = "64 (norm) + d·(1 + ⌈log2(s+1)⌉) (sign and level of every coordinate)"
    norm_ord: ClassVar[float] = 2

    def __post_init__(self) -> None:
        if not _is_int(self.s) or self.s < 1:
            raise ValueError(f"s must be an integer ≥ 1 (got {self.s!r})")

    @staticmethod
    def published_omega(s: sp.Expr | int) -> sp.Expr:
        return sp.Min(d_sym / sp.sympify(s) ** 2, sp.sqrt(d_sym) / s)

    def symbolic(self) -> dict[str, sp.Expr]:
        return {"omega": self.published_omega(sp.Symbol("s", positive=True, integer=True))}

    def omega_expr(self) -> sp.Expr:
        return self.published_omega(self.s)

    def _equal_ratio(self, d: int) -> float:
        u = self.s / math.sqrt(d)
        f = u - math.floor(u)
        return d * f * (1 - f) / self.s**2

    def tightness(self, d: int) -> float | None:
        w_eq = self._equal_ratio(d)
        w = float(self.published_omega(self.s).subs(d_sym, d))
        return w_eq / w if w_eq > 0 and w > 0 else None

    def hard_vectors(self, d: int, rng: np.random.Generator) -> dict[str, Array]:
        return {"equal-magnitude": equal_magnitude(d, rng)}

    def _scale(self, V: Array) -> Array:
        return np.linalg.norm(V, ord=self.norm_ord, axis=1, keepdims=True)

    def __call__(self, V: Array, rng: np.random.Generator) -> Array:
        V = _check_messages(V)
        scale = self._scale(V)
        safe = np.where(scale > 0, scale, 1.0)
        U = self.s * np.abs(V) / safe
        xi = _stochastic_round(U, _uniforms(V.shape, self.shared, rng))
        return np.where(scale > 0, scale * np.sign(V) * xi / self.s, 0.0)

    def bits(self, M: Array) -> NDArray[np.int64]:
        M = np.asarray(M)
        return np.full(M.shape[0], VALUE_BITS + M.shape[1] * (1 + _level_bits(self.s)), dtype=np.int64)


@dataclass(frozen=True)
class RandomQuantizer(QSGD):
    """The talk's "random quantization" ("5 levels": s = 4 intervals, E[Q] = 0.6 between the levels
    0.5 and 0.75): stochastic rounding of |x_j|/‖x‖_∞ to the grid {0, 1/s, …, 1}, times
    ‖x‖_∞·sgn(x_j). Unbiased by the talk's own computation.

    Declared ω = min(d/(4s²), √d/s) [D]: with M = ‖x‖_∞, u_j = s|x_j|/M and f_j its fractional
    part, E‖Q(x) − x‖² = (M²/s²) Σ f_j(1 − f_j) ≤ (M²/s²)·min(d/4, Σu_j) = min(dM²/(4s²), M‖x‖₁/s),
    and M ≤ ‖x‖, ‖x‖₁ ≤ √d‖x‖. **Tightness:** on x = (1, a, …, a) the ratio is exactly
    (d − 1)·f(1 − f)/(s²(1 + (d − 1)a²)) with f = frac(s·a); τ is that value at the best a on a fine
    grid, divided by the declared ω. Bits as QSGD (the norm sent is ‖x‖_∞).
    """

    s: int = 4
    name: ClassVar[str] = "random-quantizer"
    bits_rule: ClassVar[str] = "64 (max-norm) + d·(1 + ⌈log2(s+1)⌉) (sign and level of every coordinate)"
    norm_ord: ClassVar[float] = np.inf

    @staticmethod
    def published_omega(s: sp.Expr | int) -> sp.Expr:
        return sp.Min(d_sym / (4 * sp.sympify(s) ** 2), sp.sqrt(d_sym) / s)

    def _best_a(self, d: int) -> tuple[float, float]:
        a = np.linspace(1e-4, 1.0, 20001)
        u = self.s * a
        f = u - np.floor(u)
        r = (d - 1) * f * (1 - f) / (self.s**2 * (1 + (d - 1) * a * a))
        i = int(np.argmax(r))
        return float(a[i]), float(r[i])

    def tightness(self, d: int) -> float | None:
        if d < 2:
            return None
        w = float(self.published_omega(self.s).subs(d_sym, d))
        return self._best_a(d)[1] / w if w > 0 else None

    def hard_vectors(self, d: int, rng: np.random.Generator) -> dict[str, Array]:
        if d < 2:
            return {}
        a, _ = self._best_a(d)
        x = np.full(d, a) * rng.choice([-1.0, 1.0], size=d)
        x[rng.integers(d)] = 1.0
        return {"one-large-rest-a": x}


# ------------------------------------------------------------------------ natural compression
@dataclass(frozen=True)
class NaturalCompression(Compressor):
    """Natural compression (Horváth et al. 2019; THEORY.md §7): each x_j ≠ 0 with 2^a ≤ |x_j| < 2^{a+1}
    becomes sgn(x_j)·2^{a+1} with probability (|x_j| − 2^a)/2^a, else sgn(x_j)·2^a.

    Unbiased; declared ω = 1/8: with t = |x_j|/2^a ∈ [1, 2) the variance is 4^a(2 − t)(t − 1) ≤
    (1/8)·4^a t², maximised at t = 4/3 (tight, τ = 1: attained by every vector whose entries are
    ±(4/3)·2^{a_j}). Bits: 9 per coordinate (sign + 8-bit exponent, float32's exponent field).
    """

    shared: bool = False
    name: ClassVar[str] = "natural"
    unbiased: ClassVar[bool] = True
    bits_rule: ClassVar[str] = "9·d: sign + 8-bit exponent per coordinate"

    def omega_expr(self) -> sp.Expr:
        return sp.Rational(1, 8)

    def tightness(self, d: int) -> float:
        return 1.0

    def hard_vectors(self, d: int, rng: np.random.Generator) -> dict[str, Array]:
        e = rng.integers(-6, 7, size=d)
        return {"four-thirds-powers": (4.0 / 3.0) * np.ldexp(1.0, e) * rng.choice([-1.0, 1.0], size=d)}

    def __call__(self, V: Array, rng: np.random.Generator) -> Array:
        V = _check_messages(V)
        m, e = np.frexp(np.abs(V))  # |x| = m·2^e, m ∈ [1/2, 1): low = 2^(e−1), t = 2m ∈ [1, 2)
        low = np.ldexp(1.0, e - 1)
        up = _uniforms(V.shape, self.shared, rng) < (2.0 * m - 1.0)
        return np.where(V != 0, np.sign(V) * np.where(up, 2.0 * low, low), 0.0)

    def bits(self, M: Array) -> NDArray[np.int64]:
        M = np.asarray(M)
        return np.full(M.shape[0], 9 * M.shape[1], dtype=np.int64)


# ------------------------------------------------------------------------------ scaled sign
@dataclass(frozen=True)
class ScaledSign(Compressor):
    """C(x) = (‖x‖₁/d)·sign(x) (THEORY.md §7), deterministic, contractive with declared δ = 1/d.

    Derivation: with m = |supp x|, ‖C(x) − x‖² = ‖x‖² − (2/d − m/d²)‖x‖₁² ≤ ‖x‖² − ‖x‖₁²/d ≤
    (1 − 1/d)‖x‖² (m ≤ d, ‖x‖₁ ≥ ‖x‖). The supremum 1 − 1/d is approached (not attained) by
    x = e₁ + ε·1 with ε → 0; at a one-hot vector the ratio is (1 − 1/d)² because sign(0) = 0.
    τ is the exact ratio at x = e₁ + 10⁻⁶·1 over 1 − 1/d. Bits: 64 (the scale) + d sign bits.
    """

    name: ClassVar[str] = "scaled-sign"
    contractive: ClassVar[bool] = True
    bits_rule: ClassVar[str] = "64 (‖x‖₁/d) + d sign bits"
    shared: bool = True
    eps_hard: ClassVar[float] = 1e-6

    def delta_expr(self) -> sp.Expr:
        return 1 / d_sym

    def _hard(self, d: int) -> Array:
        x = np.full(d, self.eps_hard)
        x[0] = 1.0
        return x

    def tightness(self, d: int) -> float | None:
        if d < 2:
            return 1.0
        x = self._hard(d)
        l1, l2 = np.abs(x).sum(), float(x @ x)
        ratio = 1.0 - (2.0 / d - d / d**2) * l1 * l1 / l2
        return ratio / (1.0 - 1.0 / d)

    def hard_vectors(self, d: int, rng: np.random.Generator) -> dict[str, Array]:
        return {"one-dominant": self._hard(d)}

    def __call__(self, V: Array, rng: np.random.Generator) -> Array:
        V = _check_messages(V)
        d = V.shape[1]
        return np.abs(V).sum(axis=1, keepdims=True) / d * np.sign(V)

    def bits(self, M: Array) -> NDArray[np.int64]:
        M = np.asarray(M)
        return np.full(M.shape[0], VALUE_BITS + M.shape[1], dtype=np.int64)

"""Compressors built from compressors: composition and error feedback (THEORY.md §1.2, §7).

* :class:`Composed` ``C = outer ∘ inner`` with the constant derived from both (rules below).
* :class:`ErrorFeedback` (EF14 / MEM-SGD, THEORY.md §7): each worker keeps a memory e_i,
  sends c_i = C(v_i + e_i) and sets e_i ← v_i + e_i − c_i: the residual is computed against the
  worker's **own** compressed value. It is stateful, so it is not a map x ↦ C(x) and declares
  neither ω nor δ; what it guarantees is a bounded memory (:meth:`ErrorFeedback.memory_bound`)
  and the telescoping identity Σ_t c_t + e_T = Σ_t v_t, which
  :func:`lowerbounds.certify.check_error_feedback` tests.

MSC(C, R) is in :mod:`constructions.msc`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import sympy as sp
from numpy.typing import NDArray

from constructions.compressors import Array, Compressor, _check_messages


@dataclass(frozen=True)
class Composed(Compressor):
    """C(x) = outer(inner(x)), fresh randomness for each (drawn one after the other from the same
    generator, hence independent).

    Supported declarations [D]:

    * both unbiased (ω₁ inner, ω₂ outer): with y = inner(x), E[outer(y) | y] = y, so the cross term
      vanishes and E‖C(x) − x‖² = E‖outer(y) − y‖² + E‖y − x‖² ≤ ω₂E‖y‖² + ω₁‖x‖²
      = (ω₂(1 + ω₁) + ω₁)‖x‖², i.e. **ω = (1 + ω₁)(1 + ω₂) − 1**; equality for every x when both
      are ``exact``.
    * outer unbiased with ω₂ < 1, inner a coordinate *projection* contractive with δ₁ (top-k,
      unscaled rand-k): ‖y‖² + ‖y − x‖² = ‖x‖², so E‖C(x) − x‖² ≤ ω₂E‖y‖² + ‖x‖² − E‖y‖²
      = ‖x‖² − (1 − ω₂)E‖y‖² ≤ (1 − (1 − ω₂)δ₁)‖x‖², i.e. contractive with **δ = (1 − ω₂)δ₁**
      (tight when the outer is exact and the inner attains δ₁).

    Any other pair raises ValueError (no constant can be derived from the two declarations alone).
    Bits: the outer compressor's encoding of the final message (a sparsity-aware encoding of a
    projection's output could be cheaper; we do not claim it).
    """

    outer: Compressor
    inner: Compressor
    name: ClassVar[str] = "composed"

    def __post_init__(self) -> None:
        if self.outer.stateful or self.inner.stateful:
            raise ValueError("composition needs stateless compressors (got an error-feedback wrapper)")
        if self._rule() is None:
            raise ValueError(
                f"cannot derive a constant for {self.outer.name} ∘ {self.inner.name}: supported are "
                "unbiased ∘ unbiased, and unbiased (ω < 1) ∘ contractive coordinate projection")

    def _rule(self) -> str | None:
        o, i = self.outer, self.inner
        if o.unbiased and i.unbiased and o.omega_expr() is not None and i.omega_expr() is not None:
            return "uu"
        if (o.unbiased and o.omega_expr() is not None and i.contractive and i.projection
                and i.delta_expr() is not None):
            w2 = o.omega_expr()
            if w2.is_number and float(w2) < 1:
                return "up"
        return None

    @property
    def unbiased(self) -> bool:  # type: ignore[override]
        return self._rule() == "uu"

    @property
    def contractive(self) -> bool:  # type: ignore[override]
        return self._rule() == "up"

    @property
    def shared(self) -> bool:  # type: ignore[override]
        return self.outer.shared and self.inner.shared

    @property
    def exact(self) -> bool:  # type: ignore[override]
        return self._rule() == "uu" and self.outer.exact and self.inner.exact

    @property
    def bits_rule(self) -> str:  # type: ignore[override]
        return f"the outer compressor's: {self.outer.bits_rule}"

    def omega_expr(self) -> sp.Expr | None:
        if self._rule() != "uu":
            return None
        return sp.simplify((1 + self.inner.omega_expr()) * (1 + self.outer.omega_expr()) - 1)

    def delta_expr(self) -> sp.Expr | None:
        if self._rule() != "up":
            return None
        return sp.simplify((1 - self.outer.omega_expr()) * self.inner.delta_expr())

    def tightness(self, d: int) -> float | None:
        if self._rule() == "uu":
            return 1.0 if self.exact else None
        t = self.inner.tightness(d)
        return 1.0 if self.outer.exact and t == 1.0 else None

    def hard_vectors(self, d: int, rng: np.random.Generator) -> dict[str, Array]:
        return {**self.inner.hard_vectors(d, rng), **self.outer.hard_vectors(d, rng)}

    def __call__(self, V: Array, rng: np.random.Generator) -> Array:
        return self.outer(self.inner(_check_messages(V), rng), rng)

    def bits(self, M: Array) -> NDArray[np.int64]:
        return self.outer.bits(M)


class ErrorFeedback(Compressor):
    """EF14 error feedback around a contractive compressor C (THEORY.md §7, MEM-SGD row).

        p_i = v_i + e_i,   c_i = C(p_i),   e_i ← p_i − c_i,   send c_i.

    Memory bound [D]: E‖e⁺‖² ≤ (1 − δ)E‖e + v‖² ≤ (1 − δ)((1 + η)E‖e‖² + (1 + 1/η)G²) with
    G² ≥ ‖v‖²; η = δ/(2(1 − δ)) makes the first factor 1 − δ/2 and the second
    (1 − δ) + 2(1 − δ)²/δ ≤ (1 − δ)(2 − δ)/δ, so by induction from e = 0,
    **E‖e_t‖² ≤ 2(1 − δ)(2 − δ)/δ² · G²** for every t. Unbiased compressors must enter as C/(1+ω)
    (THEORY.md §9 pitfall (f)); passing one raises ValueError.
    """

    name: ClassVar[str] = "error-feedback"
    stateful: ClassVar[bool] = True

    def __init__(self, inner: Compressor) -> None:
        if not inner.contractive or inner.delta_expr() is None:
            raise ValueError(
                f"error feedback needs a contractive compressor; {inner.name} is not "
                "(wrap an unbiased one as Scaled.to_contractive(C, d))")
        self.inner = inner
        self.memory: Array | None = None

    @property
    def shared(self) -> bool:  # type: ignore[override]
        return self.inner.shared

    @property
    def bits_rule(self) -> str:  # type: ignore[override]
        return self.inner.bits_rule

    def reset(self) -> None:
        self.memory = None

    def memory_bound(self, d: int) -> float:
        """The factor B with E‖e_t‖² ≤ B·max_s ‖v_s‖² (see the class docstring)."""
        dl = float(self.inner.delta(d))
        return 2.0 * (1.0 - dl) * (2.0 - dl) / dl**2

    def __call__(self, V: Array, rng: np.random.Generator) -> Array:
        V = _check_messages(V)
        if self.memory is None or self.memory.shape != V.shape:
            self.memory = np.zeros_like(V)
        P = V + self.memory
        C = self.inner(P, rng)
        self.memory = P - C
        return C

    def bits(self, M: Array) -> NDArray[np.int64]:
        return self.inner.bits(M)

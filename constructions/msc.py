"""Multi-step compression MSC(C, R) (THEORY.md §5.1, the talk's "MSC protocol").

    v⁽⁰⁾ = 0;  for r = 0..R−1:  c⁽ʳ⁾ = C(v − v⁽ʳ⁾),  send c⁽ʳ⁾,  v⁽ʳ⁺¹⁾ = v⁽ʳ⁾ + c⁽ʳ⁾.

With C contractive (δ) and fresh randomness each step, E‖v⁽ᴿ⁾ − v‖² ≤ (1 − δ)^R‖v‖², so MSC is a
contractive compressor with δ_R = 1 − (1 − δ)^R that costs R messages (R communication rounds).
Unbiased compressors must enter as C/(1+ω) (THEORY.md §9 pitfall (f)); :meth:`MSC.__init__` does
that conversion when given the dimension.

``msc_step`` is the one-round form that round-by-round algorithms (NEOLITHIC) call R times.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import sympy as sp
from numpy.typing import NDArray

from constructions.compressors import Compressor

Array = NDArray[np.float64]


def msc_step(C: Compressor, V: Array, acc: Array, rng: np.random.Generator) -> tuple[Array, Array]:
    """One MSC round: returns (message c = C(V − acc), new accumulator acc + c). ``acc`` is updated
    in place and also returned."""
    c = C(V - acc, rng)
    acc += c
    return c, acc


@dataclass(frozen=True)
class MSC(Compressor):
    """MSC(C, R) as a compressor in its own right: contractive with δ_R = 1 − (1 − δ)^R.

    ``inner`` must be contractive (convert unbiased ones with ``Scaled.to_contractive``).
    """

    inner: Compressor
    R: int
    name: ClassVar[str] = "msc"
    contractive: ClassVar[bool] = True

    def __post_init__(self) -> None:
        if not isinstance(self.R, (int, np.integer)) or self.R < 1:
            raise ValueError(f"R must be an integer ≥ 1 (got {self.R!r})")
        if not self.inner.contractive:
            raise ValueError(
                f"MSC needs a contractive inner compressor; {self.inner.name} is not "
                "(wrap an unbiased one as Scaled.to_contractive(C, d))"
            )

    @property
    def shared(self) -> bool:  # type: ignore[override]
        return self.inner.shared

    @property
    def exact(self) -> bool:  # type: ignore[override]
        # Each step contracts the residual by exactly (1 − δ) in conditional expectation when the
        # inner ratio is the same for every vector; the tower rule then gives (1 − δ)^R exactly.
        return self.inner.exact

    @property
    def projection(self) -> bool:  # type: ignore[override]
        # Every message is a projection of a residual supported in supp(v): the sum is too.
        return False

    @property
    def bits_rule(self) -> str:  # type: ignore[override]
        return f"R = {self.R} messages of {self.inner.name}: R·({self.inner.bits_rule})"

    def tightness(self, d: int) -> float | None:
        return 1.0 if self.inner.exact else None

    def hard_vectors(self, d: int, rng: np.random.Generator) -> dict[str, Array]:
        return self.inner.hard_vectors(d, rng)

    def symbolic(self) -> dict[str, sp.Expr]:
        inner = self.inner.symbolic().get("delta")
        if inner is None:
            return {}
        return {"delta": 1 - (1 - inner) ** sp.Symbol("R", positive=True, integer=True)}

    def delta_expr(self) -> sp.Expr | None:
        dl = self.inner.delta_expr()
        return None if dl is None else 1 - (1 - dl) ** self.R

    def __call__(self, V: Array, rng: np.random.Generator) -> Array:
        V = np.asarray(V, dtype=np.float64)
        acc = np.zeros_like(V)
        for _ in range(self.R):
            msc_step(self.inner, V, acc, rng)
        return acc

    def bits(self, M: Array) -> NDArray[np.int64]:
        # R messages of the inner compressor; the sparse sizes of the R messages are not visible
        # in the sum, so charge R times the inner cost of a message of M's shape.
        return self.R * self.inner.bits(np.ones_like(M))

"""Names of the algorithms (for ``lowerbounds list`` and the reports).

Each entry maps a name to ``"module:attribute"`` plus a one-line summary; the class is imported
only when asked for (:func:`load`). Engineers adding an algorithm append one ``register(...)``
line at the bottom of this module.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class AlgorithmEntry:
    name: str
    target: str  # "module:attribute"
    summary: str


ALGORITHMS: dict[str, AlgorithmEntry] = {}


def register(name: str, target: str, summary: str) -> AlgorithmEntry:
    if name in ALGORITHMS:
        raise ValueError(f"algorithm {name!r} is already registered")
    ALGORITHMS[name] = e = AlgorithmEntry(name, target, summary)
    return e


def load(name: str) -> object:
    try:
        e = ALGORITHMS[name]
    except KeyError:
        raise ValueError(f"algorithm must be one of {', '.join(ALGORITHMS)} (got {name!r})") from None
    module, attr = e.target.split(":")
    return getattr(importlib.import_module(module), attr)


register("cgd", "algorithms.cgd:CompressedGD",
         "compressed gradient descent x⁺ = x − γ·mean C(∇f_i) (THEORY.md §7, QSGD row)")
register("neolithic", "algorithms.neolithic:AcceleratedNeolithic",
         "accelerated NEOLITHIC with multi-step compression (THEORY.md §5.3)")

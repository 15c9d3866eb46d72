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
register("psgd", "algorithms.psgd:PSGD",
         "parallel SGD, uncompressed: x⁺ = x − γ·mean g_i (THEORY.md §6.1 baseline)")
register("qsgd", "algorithms.qsgd:QSGD",
         "QSGD / compressed SGD with an unbiased compressor (Alistarh et al. 2017; THEORY.md §7)")
register("memsgd", "algorithms.memsgd:MemSGD",
         "MEM-SGD / EF-SGD error feedback, own residual per worker (Stich et al. 2018; THEORY.md §7)")
register("ef21", "algorithms.ef21:EF21",
         "EF21: g_i ← g_i + C(∇f_i(x) − g_i) (Richtárik, Sokolov, Fatkhullin 2021; THEORY.md §7)")
register("ef21-sgd", "algorithms.ef21:EF21SGD",
         "EF21-SGD, with the optional momentum of EF21-SGDM (Fatkhullin et al. 2021/2023; THEORY.md §7)")
register("doublesqueeze", "algorithms.doublesqueeze:DoubleSqueeze",
         "DoubleSqueeze, bidirectional error feedback (Tang et al. 2019; THEORY.md §7)")
register("cser", "algorithms.cser:CSER",
         "CSER, error reset every H rounds (Xie et al. 2020; THEORY.md §7), a reconstruction")
register("artemis", "algorithms.artemis:Artemis",
         "Artemis, bidirectional unbiased compression with uplink memory (Philippenko & Dieuleveut; §7)")
register("diana", "algorithms.diana:DIANA",
         "DIANA, compressed gradient differences with learned shifts (Mishchenko et al. 2019; §7)")
register("adiana", "algorithms.adiana:ADIANA",
         "ADIANA, accelerated DIANA with a probabilistic anchor (Li et al. 2020; THEORY.md §7)")
register("nesterov", "algorithms.nesterov:Nesterov",
         "Nesterov's accelerated gradient, uncompressed (SC momentum, or k/(k+3) without μ)")
register("neolithic-nc", "algorithms.neolithic_nc:NeolithicNC",
         "NEOLITHIC for NC: accumulation + MSC, optional bidirectional EF (THEORY.md §5.2, reconstruction)")
register("neolithic-gc", "algorithms.neolithic_gc:AcceleratedNeolithicGC",
         "accelerated NEOLITHIC for GC, γ_k = 3/(k+3) (THEORY.md §5.3–§5.4, toolkit's schedule)")

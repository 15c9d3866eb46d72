"""Names of the hard instances (for ``lowerbounds list`` and the reports).

Each entry maps a name to ``"module:attribute"`` plus a one-line summary; the target is imported
only when asked for (:func:`load`), so registering costs nothing. Engineers adding an instance
append one ``register(...)`` line at the bottom of this module.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class InstanceEntry:
    name: str
    target: str  # "module:attribute"
    summary: str


INSTANCES: dict[str, InstanceEntry] = {}


def register(name: str, target: str, summary: str) -> InstanceEntry:
    if name in INSTANCES:
        raise ValueError(f"instance {name!r} is already registered")
    INSTANCES[name] = e = InstanceEntry(name, target, summary)
    return e


def load(name: str) -> object:
    try:
        e = INSTANCES[name]
    except KeyError:
        raise ValueError(f"instance must be one of {', '.join(INSTANCES)} (got {name!r})") from None
    module, attr = e.target.split(":")
    return getattr(importlib.import_module(module), attr)


register("sc-split-chain", "constructions.sc_chain:SCSplitChain",
         "Nesterov's strongly convex chain split across two groups of workers (THEORY.md §2.2)")
register("gc-split-chain", "constructions.gc_chain:GCSplitChain",
         "Nesterov's convex chain of length K split into odd/even links across two groups (THEORY.md §2.3)")
register("nc-split-chain", "constructions.nc_chain:NCSplitChain",
         "Carmon–Duchi–Hinder–Sidford zero-chain split across two groups; split=False: homogeneous (THEORY.md §2.4)")
register("noise-quadratic", "constructions.oracles:NoisyQuadratic",
         "homogeneous quadratic (h/2)‖x − θ‖² for the SC/GC σ² terms, with GaussianOracle (THEORY.md §3.3)")
register("arjevani-bernoulli-chain", "constructions.oracles:BernoulliZeroChainOracle",
         "Arjevani et al.'s Bernoulli(p) probabilistic zero-chain oracle on the NC chain, the NC σ² term (THEORY.md §2.5)")
register("least-squares", "constructions.synthetic:least_squares",
         "distributed least squares with a heterogeneity knob; minibatch/Gaussian noise (THEORY.md §6.2)")
register("logistic-regression", "constructions.synthetic:logistic_regression",
         "ℓ2-regularised logistic regression with covariate/concept shift; minibatch/Gaussian noise (THEORY.md §6.2)")

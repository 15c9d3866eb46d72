"""The proofs' objects: hard instances, stochastic oracles and compressors.

This package never imports :mod:`algorithms` or :mod:`lowerbounds`; algorithms see a problem only
through the small protocol defined in :mod:`constructions.base`.
"""

from constructions.base import ExactOracle, Oracle, Problem
from constructions.compressors import (
    BernoulliSparsifier,
    Compressor,
    Identity,
    RandS,
    Scaled,
)
from constructions.sc_chain import SCSplitChain

__all__ = [
    "BernoulliSparsifier",
    "Compressor",
    "ExactOracle",
    "Identity",
    "Oracle",
    "Problem",
    "RandS",
    "SCSplitChain",
    "Scaled",
]

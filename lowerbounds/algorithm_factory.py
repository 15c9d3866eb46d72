"""Instantiate an algorithm by name for a run: a registered one (``algorithms.registry``) or a
user's plug-in given as ``"path/to/file.py:ClassName"`` (issue 5, item 4; ``algorithms.plugin``).

The experiment passes what the problem class lets an algorithm know: the compressor (the lower
bound's adversary), L, the dimension d and, in SC, μ. Each goes in only when the constructor takes a
parameter of that name, so a class decides its own step sizes from what it asks for. A constructor
must take ``compressor`` on a compression sweep: an algorithm that ignores the adversary's
compressor is outside the class the theorem covers, and its rounds would say nothing about the
bound.
"""

from __future__ import annotations

import hashlib
import inspect
from pathlib import Path

from algorithms import registry as alg_registry
from algorithms.base import Algorithm
from constructions.compressors import Compressor


def is_plugin(name: str) -> bool:
    return isinstance(name, str) and ":" in name and name.rpartition(":")[0].endswith(".py")


def check_name(name: str, allowed: tuple[str, ...] | None = None, *, needs_compressor: bool = False,
               provides: tuple[str, ...] = ("compressor", "L", "d", "mu")) -> str:
    """A registered name (of ``allowed`` when given) or an existing plug-in file, whose constructor
    can be called with what a run provides (``provides``; :func:`make`); else ValueError. With
    ``needs_compressor`` the constructor must take ``compressor`` (see :func:`make`)."""
    if not is_plugin(name):
        options = tuple(alg_registry.ALGORITHMS) if allowed is None else allowed
        if name not in options:
            raise ValueError(f"algorithm must be one of {', '.join(options)} or 'path/to/file.py:ClassName' "
                             f"(got {name!r})")
    params = inspect.signature(load_class(name).__init__).parameters
    if needs_compressor and "compressor" not in params:
        raise ValueError(f"algorithm {name!r} must take a 'compressor' argument: on the hard instance "
                         f"the compressor is the lower bound's adversary and cannot be replaced")
    missing = [p.name for p in list(params.values())[1:]
               if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
               and p.name not in provides]
    if missing:
        raise ValueError(f"algorithm {name!r} needs {', '.join(missing)}, which this sweep cannot give it "
                         f"(a run provides {', '.join(provides)})")
    return name


def load_class(name: str) -> type:
    if is_plugin(name):
        from algorithms.plugin import load_algorithm_class

        return load_algorithm_class(name)
    return alg_registry.load(name)  # type: ignore[return-value]


def plugin_digest(name: str) -> str:
    """sha256 of a plug-in's source (part of the run spec, so an edited plug-in is re-run, never
    read back from the results store); "" for a registered algorithm."""
    if not is_plugin(name):
        return ""
    return hashlib.sha256(Path(name.rpartition(":")[0]).expanduser().read_bytes()).hexdigest()[:16]


def make(name: str, compressor: Compressor | None, *, L: float, d: int, mu: float | None = None,
         audit: bool = False, require_compressor: bool = True, **extra: object) -> Algorithm:
    cls = load_class(name)
    params = inspect.signature(cls.__init__).parameters
    kw: dict = {}
    if compressor is not None and ("compressor" in params or require_compressor):
        if "compressor" not in params:
            raise ValueError(f"algorithm {name!r} must take a 'compressor' argument: on the hard instance "
                             f"the compressor is the lower bound's adversary and cannot be replaced")
        kw["compressor"] = compressor
    for key, value in dict(L=L, d=d, mu=mu, **extra).items():
        if key in params and value is not None:
            kw[key] = value
    alg = cls(**kw)
    if audit:
        from algorithms.plugin import audited

        alg = audited(alg)
    return alg

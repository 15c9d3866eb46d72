"""Run your own algorithm through the same measurement, audit and reports as the built-ins (issue 5,
item 4).

Write a Python file that defines a class following the protocol of :mod:`algorithms.base`::

    # my_method.py
    import types

    import numpy as np
    from algorithms.comm import RoundAlgorithm          # recommended: bits, calls and the audit

    class MyMethod(RoundAlgorithm):
        name = "my-method"

        def __init__(self, compressor, L=1.0, d=None):    # the run passes what you ask for by name:
            self.C = compressor                          # the adversary's compressor (required on the
            w = compressor.omega(d) if d else 0.0        # hard instances), L, d and, in SC, mu
            self.gamma = 1.0 / (L * (1.0 + (w or 0.0)))

        def _init(self, n, d, x0, rng):                  # state: any object with an ``audit`` field
            return types.SimpleNamespace(x=x0.copy(), n=n, audit=None)

        def _round(self, s, oracle, rng, tally):         # ONE communication round
            G = self.query(s, oracle, np.broadcast_to(s.x, (s.n, s.x.size)), rng, tally)
            M = self.uplink(s, self.C, G, rng, tally)    # one compressed message per worker
            s.x = s.x - self.gamma * self.broadcast(s, M.mean(axis=0), tally)
            return s

        def output(self, s):                             # the point x̂_t reported after t rounds
            return s.x

then run it on the hard instances with ``lowerbounds verify --algorithm my_method.py:MyMethod
--setting sc --compressor unbiased --sweep omega=0,1,3``, or load and run it yourself::

    from algorithms.plugin import load_algorithm_class, audited
    cls = load_algorithm_class("path/to/my_method.py:MyMethod")
    alg = audited(cls(compressor, L=1.0, d=d))           # zero-respecting audit on (tests, verify)
    trace = lowerbounds.measure.run(problem, alg, oracle, n=..., d=..., budget=..., eps_min=..., rng=rng)

The contract (THEORY.md §1.3, §0): ``init(n, d, x0, rng) -> state``; ``step(state, oracle, rng) ->
(state, RoundStats)`` performs one round with at most one oracle query per worker (``oracle.query``
takes and returns (n, d) arrays), one compressed uplink per worker and one broadcast, and reports
the bits it spent per direction; ``output(state) -> x̂`` of shape (d,). Randomness must come only
from the generator passed in. Subclassing :class:`algorithms.comm.RoundAlgorithm` and talking to
the world through its ``query``/``uplink``/``broadcast`` helpers gets the accounting and the
hook-level audit for free; a class that subclasses only :class:`algorithms.base.Algorithm` (or just
has the three methods) is audited from the outside by :class:`algorithms.audit.BlackBoxAudit`,
which wraps the oracle and every :class:`~constructions.compressors.Compressor` attribute and models
the broadcast as dense.

:func:`load_algorithm_class` checks the file, the class and the three methods and raises a
``ValueError`` saying what is missing; the ``lowerbounds verify --algorithm path.py:ClassName``
command line is expected to call exactly this function.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import sys
from pathlib import Path

from algorithms.audit import BlackBoxAudit
from algorithms.base import Algorithm
from algorithms.comm import RoundAlgorithm

PROTOCOL = ("init", "step", "output")


def load_algorithm_class(spec: str) -> type:
    """Import ``"path/to/file.py:ClassName"`` and return the class after checking the protocol.

    Raises ``ValueError`` (one sentence, naming the spec) when the spec is malformed, the file does
    not exist or fails to import, the name is missing or not a class, or one of ``init``, ``step``,
    ``output`` is missing, not callable, or has the wrong number of parameters.
    """
    if not isinstance(spec, str) or ":" not in spec:
        raise ValueError(f"algorithm must be given as 'path/to/file.py:ClassName' (got {spec!r})")
    path_s, _, cls_name = spec.rpartition(":")
    if not path_s or not cls_name.isidentifier():
        raise ValueError(f"algorithm must be given as 'path/to/file.py:ClassName' (got {spec!r})")
    path = Path(path_s).expanduser()
    if path.suffix != ".py" or not path.is_file():
        raise ValueError(f"algorithm file {str(path)!r} does not exist or is not a .py file (from {spec!r})")
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]
    mod_name = f"lowerbounds_plugin_{path.stem}_{digest}"
    loader_spec = importlib.util.spec_from_file_location(mod_name, path)
    if loader_spec is None or loader_spec.loader is None:
        raise ValueError(f"cannot import {str(path)!r} as a Python module (from {spec!r})")
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[mod_name] = module
    try:
        loader_spec.loader.exec_module(module)
    except Exception as exc:  # a user's file: report any failure in one line
        sys.modules.pop(mod_name, None)
        raise ValueError(f"importing {str(path)!r} failed: {type(exc).__name__}: {exc}") from exc
    cls = getattr(module, cls_name, None)
    if cls is None:
        raise ValueError(f"{str(path)!r} defines no {cls_name!r} (from {spec!r})")
    if not inspect.isclass(cls):
        raise ValueError(f"{cls_name!r} in {str(path)!r} is not a class (got {type(cls).__name__})")
    check_protocol(cls)
    return cls


def check_protocol(cls: type) -> None:
    """Raise ``ValueError`` unless ``cls`` has callable init(n, d, x0, rng), step(state, oracle,
    rng) and output(state) (abstract methods left unimplemented count as missing)."""
    arity = {"init": 4, "step": 3, "output": 1}
    if getattr(cls, "__abstractmethods__", None):
        missing = ", ".join(sorted(cls.__abstractmethods__))
        raise ValueError(f"{cls.__name__} leaves abstract methods unimplemented: {missing}")
    for meth in PROTOCOL:
        fn = getattr(cls, meth, None)
        if fn is None or not callable(fn):
            raise ValueError(f"{cls.__name__} does not implement the algorithm protocol: "
                             f"missing method {meth}() (needs {', '.join(PROTOCOL)}; see algorithms.base)")
        try:
            params = list(inspect.signature(fn).parameters.values())[1:]  # drop self
        except (TypeError, ValueError):
            continue
        if any(p.kind in (p.VAR_POSITIONAL,) for p in params):
            continue
        required = [p for p in params if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        if not (len(required) <= arity[meth] <= len(positional)):
            raise ValueError(f"{cls.__name__}.{meth} must take {arity[meth]} arguments besides self "
                             f"(got {len(positional)})")


def audited(alg: object) -> Algorithm:
    """The algorithm with the zero-respecting audit on: hook-level for a :class:`RoundAlgorithm`,
    :class:`BlackBoxAudit` otherwise (THEORY.md §1.3)."""
    if isinstance(alg, RoundAlgorithm):
        return alg.with_audit(True)
    return BlackBoxAudit(alg)  # type: ignore[arg-type]

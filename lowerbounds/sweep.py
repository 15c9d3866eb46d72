"""Running many independent runs: serially, on local cores, or on a Dask cluster; with a store.

A run is a pure function ``execute(spec) -> list[row]`` of a frozen, picklable spec (its seed is
derived inside from the master seed with ``numpy.random.SeedSequence``), so the order in which
runs are scheduled cannot change a result: :func:`run_all` returns the rows in the order of the
specs whatever the back end (issue 8, item 1).

Back ends (``backend=``):

* ``"serial"``: one after the other in this process.
* ``"local"`` (default): joblib's process pool with ``jobs`` workers (``jobs = -1``: every core;
  ``jobs = 1`` runs in this process, as ``"serial"``).
* ``"dask"``: the workers of an existing ``dask.distributed`` cluster, reached through
  ``dask.distributed.Client(scheduler)``; the workers must be able to import ``lowerbounds``.

Every result passes through the same JSON encoding (:func:`lowerbounds.store.canonical_rows`), in
the worker, whether it is then stored or not, so fresh, stored and remote rows are identical
values and give byte-identical tables.

Store (``store=DIR``, :mod:`lowerbounds.store`): every run is written as soon as it ends (as its
result reaches this process, in completion order, not spec order), and a rerun loads finished
runs instead of recomputing them; ``fresh=True`` recomputes everything (and overwrites the
entries). A run is keyed by its spec, the ``execute`` function's name and ``ROWS_VERSION``, and
the fingerprint of the source code that computes it (:func:`lowerbounds.store.code_fingerprint`,
plus the file of ``execute`` when it lives outside the fingerprinted packages), so after any code
change nothing stale is reused. Corrupt, truncated or edited entries are reported on stderr, one
line each, and recomputed.

Failures (issue 8, item 3): an exception inside one run is caught in the worker, recorded as a
:class:`Failure` with status "error" and the message, the run contributes no rows, and the sweep
goes on (failed runs are not stored, so a rerun retries them). A run whose iterates overflow is
not a failure of the sweep: :func:`lowerbounds.measure.run` stops it with status "diverged" and it
returns rows like any other. A row says so with ``status == "diverged"`` and, in a
``diverged_at`` field, the round whose iterate stopped being finite (``Trace.rounds`` of a
diverged trace); the summary lists such runs with that round. :attr:`SweepResults.summary` says
how many runs were computed, loaded, failed and diverged, and why; when any run failed or
diverged, :func:`run_all` also writes that account to stderr (through ``warn``).

Dask (``backend="dask"``): the client is private to the sweep (``set_as_default=False``, so a
user's own default client is untouched), hence every call that would look for a default client
is given this one's event loop explicitly. Before any task, every worker's code fingerprint must
equal this process's: workers started before a code change must be restarted.
"""

from __future__ import annotations

import math
import os
import re
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence, TypeVar

from lowerbounds import validate

S = TypeVar("S")
Row = dict

BACKENDS = ("serial", "local", "dask")
_SCHEDULER = re.compile(r"^(tcp|tls|ws|wss|ucx|inproc)://[^\s/:]+(:\d{1,5})?/?$")


# ---------------------------------------------------------------------------------- options


def resolve_jobs(jobs: int | str, name: str = "jobs") -> int:
    """``jobs`` ≥ 1, or −1 for all local cores."""
    j = validate.integer(jobs, name, minimum=-1)
    if j == 0:
        raise ValueError(f"{name} must be ≥ 1, or -1 for all cores (got 0)")
    return (os.cpu_count() or 1) if j == -1 else j


def check_backend(backend: object, scheduler: object = None, *, name: str = "backend",
                  scheduler_name: str = "scheduler") -> tuple[str, str | None]:
    """Validate a back end and its scheduler address before any work; returns both."""
    if backend not in BACKENDS:
        raise ValueError(f"{name} must be one of {', '.join(BACKENDS)} (got {backend!r})")
    if backend != "dask":
        if scheduler is not None:
            raise ValueError(f"{scheduler_name} is only used with {name} dask (got {name} {backend!r})")
        return str(backend), None
    if scheduler is None:
        raise ValueError(f"{name} dask needs {scheduler_name}, the address of a running "
                         f"dask.distributed scheduler such as tcp://127.0.0.1:8786")
    if not isinstance(scheduler, str) or not _SCHEDULER.match(scheduler):
        raise ValueError(f"{scheduler_name} must look like tcp://host:port (got {scheduler!r})")
    import importlib.util

    if importlib.util.find_spec("distributed") is None:
        raise ValueError(f"{name} dask needs dask.distributed: pip install 'lowerbounds[dask]'")
    return "dask", scheduler


def check_store(store: object, name: str = "store") -> Path:
    """A store folder: must be a folder or not exist yet."""
    if not isinstance(store, (str, os.PathLike)) or not str(store).strip():
        raise ValueError(f"{name} must be a folder path (got {store!r})")
    p = Path(store)
    if p.exists() and not p.is_dir():
        raise ValueError(f"{name} must be a folder (got the file {str(p)!r})")
    try:  # made now, before any run, so an unusable path fails in one line and not after the work
        p.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ValueError(f"{name} folder {str(p)!r} cannot be created: {e.strerror}") from None
    return p


def default_version(execute: Callable) -> str:
    """Store version of an execute function: its qualified name, the ``ROWS_VERSION`` of its module
    (0 if absent) and the package version. The code itself is keyed by :func:`default_code`."""
    from lowerbounds import __version__

    mod = sys.modules.get(getattr(execute, "__module__", ""), None)
    rows_version = getattr(mod, "ROWS_VERSION", 0)
    name = f"{getattr(execute, '__module__', '?')}.{getattr(execute, '__qualname__', repr(execute))}"
    return f"{name} rows/{rows_version}; lowerbounds {__version__}"


def default_code(execute: Callable) -> str:
    """Code fingerprint of a sweep: :func:`lowerbounds.store.code_fingerprint` of the packages,
    plus the source file of ``execute``'s module when it lies outside them (a script, a plug-in)."""
    from lowerbounds.store import code_fingerprint, code_name

    mod = sys.modules.get(getattr(execute, "__module__", ""), None)
    f = getattr(mod, "__file__", None)
    if not f or code_name(f) is not None:
        return code_fingerprint()
    return code_fingerprint((str(Path(f).resolve()),))


# ---------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Failure:
    """A run that raised ("error") or whose iterates stopped being finite ("diverged")."""

    index: int  # position in the spec list
    spec: str  # repr of the spec
    status: str  # "error" or "diverged"
    message: str  # exception type and message; for "diverged", where it happened
    where: str = ""  # for "error": innermost frame, file:line in function
    round: int | None = None  # for "diverged": the round, when the rows carry ``diverged_at``

    def line(self) -> str:
        at = f" at {self.where}" if self.where else ""
        return f"run {self.index} {self.status}: {self.message}{at} [{self.spec}]"


@dataclass(frozen=True)
class SweepSummary:
    backend: str
    jobs: int  # local workers (serial: 1; dask: the cluster's workers when known, else 0)
    total: int  # specs asked for
    computed: int  # runs executed by this call (succeeded or not)
    loaded: int  # runs taken from the store
    errors: tuple[Failure, ...]
    diverged: tuple[Failure, ...]
    corrupt: tuple[tuple[str, str], ...]  # store entries found corrupt: (file name, reason)
    store: str | None
    fresh: bool
    wall_time: float
    computed_keys: tuple[str, ...] = ()  # store keys of the runs executed (with a store)

    @property
    def failed(self) -> int:
        return len(self.errors)

    def error_counts(self) -> dict[str, int]:
        """How many runs failed with each message (the report's "why")."""
        out: dict[str, int] = {}
        for f in self.errors:
            out[f.message] = out.get(f.message, 0) + 1
        return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))

    def lines(self, limit: int = 10) -> list[str]:
        """A short human-readable account: one line of counts, then one per distinct error (with
        how many runs it hit and where), per diverged run (with its round) and per corrupt entry,
        at most ``limit`` of each."""
        head = (f"{self.total} runs on {self.backend}: {self.computed} computed, {self.loaded} from the "
                f"store, {self.failed} failed, {len(self.diverged)} diverged, {len(self.corrupt)} corrupt "
                f"store entries recomputed ({self.wall_time:.1f} s)")
        out = [head]
        where = {f.message: f.where for f in self.errors}
        errs = list(self.error_counts().items())
        out += [f"  {n} × error: {msg}" + (f" at {where[msg]}" if where[msg] else "") for msg, n in errs[:limit]]
        out += [f"  diverged: run {d.index}, {d.message} [{d.spec}]" for d in self.diverged[:limit]]
        out += [f"  corrupt store entry {name}: {why}" for name, why in self.corrupt[:limit]]
        more = max(0, len(errs) - limit) + max(0, len(self.diverged) - limit) + max(0, len(self.corrupt) - limit)
        if more:
            out.append(f"  ... and {more} more (see summary.as_dict())")
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend, "jobs": self.jobs, "total": self.total, "computed": self.computed,
            "loaded": self.loaded, "failed": self.failed, "error_counts": self.error_counts(),
            "errors": [f.__dict__ for f in self.errors], "diverged": [f.__dict__ for f in self.diverged],
            "corrupt": [list(c) for c in self.corrupt], "store": self.store, "fresh": self.fresh,
            "wall_time": self.wall_time,
        }


class SweepResults(list):
    """``list[list[Row]]`` in spec order (what :func:`run_all` always returned), plus ``summary``."""

    summary: SweepSummary

    def __init__(self, results: Iterable[list[Row]], summary: SweepSummary) -> None:
        super().__init__(results)
        self.summary = summary


# ---------------------------------------------------------------------------------- one run

# (status, payload, seconds): ("ok", rows, s) or ("error", (message, where), s)
Outcome = tuple[str, Any, float]


def attempt(execute: Callable[[S], list[Row]], spec: S) -> Outcome:
    """Run one spec and never raise: rows in canonical form, or the exception's message."""
    from lowerbounds.store import canonical_rows

    t0 = time.perf_counter()
    try:
        rows = canonical_rows(execute(spec))
        return "ok", rows, time.perf_counter() - t0
    except Exception as e:  # a failure of one run must not stop the sweep
        return "error", (_message(e), _where(e)), time.perf_counter() - t0


def _indexed(execute: Callable, index: int, spec: Any) -> tuple[int, Outcome]:
    return index, attempt(execute, spec)


def _message(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def _where(e: BaseException) -> str:
    tb = traceback.extract_tb(e.__traceback__)
    if not tb:
        return ""
    fr = tb[-1]
    return f"{os.path.basename(fr.filename)}:{fr.lineno} in {fr.name}"


# ---------------------------------------------------------------------------------- back ends


def _serial(execute, items) -> Iterator[tuple[int, Outcome]]:
    for i, spec in items:
        yield _indexed(execute, i, spec)


def _local(execute, items, jobs) -> Iterator[tuple[int, Outcome]]:
    from joblib import Parallel, delayed

    pending = {i for i, _ in items}
    par = Parallel(n_jobs=jobs, return_as="generator_unordered", batch_size=1)
    try:
        for i, out in par(delayed(_indexed)(execute, i, s) for i, s in items):
            pending.discard(i)
            yield i, out
    except Exception as e:  # the pool itself broke (a worker killed, out of memory): report, go on
        msg = f"local worker pool failed: {_message(e)}"
        for i in sorted(pending):
            yield i, ("error", (msg, ""), math.nan)


def _dask(execute, items, scheduler, info: dict) -> Iterator[tuple[int, Outcome]]:
    from dask.distributed import Client, as_completed

    try:
        client = Client(scheduler, timeout="20s", set_as_default=False)
    except (OSError, TimeoutError) as e:
        raise ValueError(f"cannot reach the Dask scheduler at {scheduler} ({_message(e)})") from None
    try:
        _check_worker_code(client, scheduler)
        info["workers"] = len(client.scheduler_info().get("workers", {}))
        futures = {client.submit(_indexed, execute, i, s, pure=False): i for i, s in items}
        # Without ``loop``, as_completed looks for a *default* client, and ours is not one.
        for fut in as_completed(list(futures), loop=client.loop):
            i = futures.pop(fut)
            if fut.status == "finished":
                yield fut.result()
            else:  # the task itself failed outside ``attempt``: worker lost, unpicklable spec, ...
                exc = fut.exception()
                yield i, ("error", (f"dask task failed: {_message(exc)}", ""), math.nan)
            fut.release()
    finally:
        client.close()


def _check_worker_code(client, scheduler: str) -> None:
    """Refuse workers whose code differs from this process's: their rows would be stored under this
    process's code fingerprint, the very staleness the fingerprint exists to prevent. A worker
    started before an edit (or on another checkout) is caught, since each process computes the
    fingerprint once, before the sweep's tasks import anything on it."""
    from lowerbounds.store import code_fingerprint

    mine = code_fingerprint()
    theirs = client.run(code_fingerprint)
    odd = sorted(addr for addr, fp in theirs.items() if fp != mine)
    if odd:
        raise ValueError(f"{len(odd)} of {len(theirs)} Dask workers at {scheduler} run other lowerbounds "
                         f"code than this process (e.g. {odd[0]}): restart them on this checkout")


# ---------------------------------------------------------------------------------- run_all


def run_all(execute: Callable[[S], list[Row]], specs: Sequence[S], *, jobs: int = 1,
            progress: bool = True, desc: str = "runs", backend: str = "local",
            scheduler: str | None = None, store: str | os.PathLike | None = None,
            fresh: bool = False, version: str | None = None, code: str | None = None,
            warn: Callable[[str], None] | None = None) -> SweepResults:
    """``[execute(s) for s in specs]`` on the chosen back end, with a tqdm bar on stderr.

    Returns the rows per spec in spec order (a failed run gives ``[]``) as a :class:`SweepResults`
    whose ``summary`` counts what was computed, loaded from ``store``, failed and diverged.
    ``version`` is the store's row-format version (default :func:`default_version`) and ``code``
    its code fingerprint (default :func:`default_code`; a fixed string only where the code is known
    not to matter, as in tests). ``warn`` receives one line per problem found in the store and,
    when something failed or diverged, the summary's lines (default: stderr).
    """
    from tqdm.auto import tqdm

    from lowerbounds.store import Store

    t0 = time.perf_counter()
    backend, scheduler = check_backend(backend, scheduler)
    jobs = resolve_jobs(jobs)
    specs = list(specs)
    st = None if store is None else Store(check_store(store), version or default_version(execute),
                                          code or default_code(execute))
    if warn is None:
        def warn(line: str) -> None:
            tqdm.write(line, file=sys.stderr)

    results: list[list[Row] | None] = [None] * len(specs)
    keys: list[str | None] = [None] * len(specs)
    first_of: dict[str, int] = {}  # store key -> the index that computes it
    todo: list[tuple[int, S]] = []
    copies: dict[int, list[int]] = {}
    for i, s in enumerate(specs):
        if st is None:
            todo.append((i, s))
            continue
        keys[i] = k = st.key(s)
        if k in first_of:  # the same spec twice: compute (or load) it once
            copies.setdefault(first_of[k], []).append(i)
            continue
        first_of[k] = i
        rows = None if fresh else st.load(s, k)
        if rows is None:
            todo.append((i, s))
        else:
            results[i] = rows
    loaded = len(first_of) - len(todo) if st is not None else 0
    if st is not None:
        for name, why in st.corrupt:
            warn(f"store: entry {name} is corrupt ({why}); recomputing it")

    errors: list[Failure] = []
    computed_keys: list[str] = []
    info: dict[str, int] = {}
    write_failed = False
    bar = tqdm(total=len(specs), desc=desc, unit="run", disable=None if progress else True, leave=False)  # None: only on a terminal
    bar.update(len(specs) - len(todo) - sum(len(copies.get(i, ())) for i, _ in todo))
    try:
        if backend == "serial" or (backend == "local" and (jobs == 1 or len(todo) <= 1)):
            stream = _serial(execute, todo)
        elif backend == "local":
            stream = _local(execute, todo, min(jobs, len(todo)))
        else:
            stream = _dask(execute, todo, scheduler, info)
        for i, (status, payload, _sec) in stream:
            if status == "ok":
                results[i] = payload
                if st is not None:
                    computed_keys.append(keys[i])
                    try:
                        st.save(specs[i], payload, keys[i])
                    except OSError as e:
                        if not write_failed:
                            warn(f"store: cannot write {st.runs} ({_message(e)}); results are kept in memory only")
                        write_failed = True
            else:
                msg, where = payload
                results[i] = []
                errors.append(Failure(i, repr(specs[i]), "error", msg, where))
                if st is not None:
                    computed_keys.append(keys[i])
            bar.update(1 + len(copies.get(i, ())))
    finally:
        bar.close()

    for i, dup in copies.items():
        for j in dup:
            results[j] = results[i]
            errors += [Failure(j, f.spec, f.status, f.message, f.where) for f in errors if f.index == i]
    errors.sort(key=lambda f: f.index)
    diverged = tuple(_divergence(i, specs[i], rows) for i, rows in enumerate(results)
                     if any(r.get("status") == "diverged" for r in rows))
    summary = SweepSummary(
        backend=backend, jobs=1 if backend == "serial" else info.get("workers", 0) if backend == "dask" else jobs,
        total=len(specs), computed=len(todo), loaded=loaded, errors=tuple(errors), diverged=diverged,
        corrupt=tuple(st.corrupt) if st is not None else (), store=None if st is None else str(st.root),
        fresh=bool(fresh), wall_time=time.perf_counter() - t0, computed_keys=tuple(computed_keys))
    if summary.errors or summary.diverged:  # corrupt entries were already reported, one line each
        for line in summary.lines():
            warn(line)
    return SweepResults(results, summary)


def _divergence(index: int, spec: Any, rows: list[Row]) -> Failure:
    at = [r.get("diverged_at") for r in rows if r.get("status") == "diverged"]
    rnd = next((int(a) for a in at if isinstance(a, int) and not isinstance(a, bool)), None)
    msg = ("iterates stopped being finite" + (f" at round {rnd}" if rnd is not None else
                                              " (the rows carry no diverged_at round)"))
    return Failure(index, repr(spec), "diverged", msg, round=rnd)


def flatten(results: Iterable[list[Row]]) -> list[Row]:
    return [row for rows in results for row in rows]

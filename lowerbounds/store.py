"""A results store for sweeps: one JSON file per finished run, keyed by a stable hash of its spec.

A run is a pure function of its frozen spec *and of the code that computes it*, so its rows can be
kept and reused only while both are unchanged. The key is

    sha256( JSON{schema, version, code, kind, spec} with sorted keys )

where ``spec`` is ``dataclasses.asdict(spec)``, ``kind`` the spec's class (module.qualname),
``schema`` this file format (:data:`SCHEMA`), ``version`` a string naming the ``execute`` function
and its rows' format, and ``code`` the :func:`code_fingerprint`: the sha256 of every ``.py`` file
of the packages that determine results (``constructions``, ``algorithms`` and ``lowerbounds``,
less ``lowerbounds/commands`` and ``lowerbounds/benchmarks``, which only present results). Any
edit of that code, even a comment, gives new keys, so a stale entry is never reused: old entries
are simply never looked up again (delete the folder to reclaim the space). The fingerprint is
computed once per process.

Layout: ``<root>/runs/<key>.json``. An entry is written atomically as soon as its run ends: the
JSON goes to a temporary file in the same folder, is flushed and fsync'ed, and is moved over the
final name with ``os.replace`` (atomic on POSIX and Windows), so a process killed at any moment
leaves either the complete entry or none, never half of one (a stale ``.tmp`` file at most, which
readers ignore and :meth:`Store.clean` removes).

Integrity: an entry carries ``sha256``, the hash of its own canonical JSON without that field
(:func:`entry_digest`). Reading re-checks everything an entry claims: valid JSON, this schema, the
checksum (so an entry truncated by a full disk or edited by hand is caught, not only one that no
longer parses), the key inside equal to the file name and to the key recomputed from the spec,
version and code stored inside, and rows that are a list of dicts. Anything else is *corrupt*: it
is counted in :attr:`Store.corrupt` with the reason, and treated as missing, so the run is
recomputed and the entry overwritten.

Only finished runs are stored (rows returned, whatever their status: "reached", "budget" and
"diverged" are results). A run that raised is *not* stored, so a rerun retries it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import importlib.util
import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = "lowerbounds-run-store/2"
DEFAULT_ROOT = ".lowerbounds-cache"
_TMP_SUFFIX = ".tmp"
_STALE_TMP_SECONDS = 3600.0
_ENTRY_KEYS = ("schema", "version", "code", "key", "kind", "spec", "rows", "sha256")

# The code whose every line can change a row: the proofs' objects, the update rules, and the
# measurement in ``lowerbounds``. The command line and the benchmarks only present or time results.
CODE_PACKAGES = ("constructions", "algorithms", "lowerbounds")
# Code that only presents or analyses finished runs (pages, figures, statistics, verdicts' text,
# symbolic operations, the certifier, the command line): editing it must not throw away results.
# Everything a run's rows depend on (instances, oracles, compressors, algorithms, the experiments,
# the registry the explicit bounds in the rows come from, the sweep's row encoding) stays keyed.
CODE_EXCLUDED = ("lowerbounds/commands/", "lowerbounds/benchmarks/", "lowerbounds/page.py",
                 "lowerbounds/report_files.py", "lowerbounds/stats.py", "lowerbounds/bound_ops.py",
                 "lowerbounds/certify.py", "lowerbounds/cli.py")


def code_roots() -> list[tuple[str, Path]]:
    """``(package, folder)`` of each package in :data:`CODE_PACKAGES`."""
    out = []
    for pkg in CODE_PACKAGES:
        found = importlib.util.find_spec(pkg)
        if found is None or not found.submodule_search_locations:
            raise RuntimeError(f"cannot locate the package {pkg!r} to fingerprint its code")
        out += [(pkg, Path(loc)) for loc in found.submodule_search_locations]
    return out


def code_name(path: str | os.PathLike) -> str | None:
    """The package-relative name under which :func:`code_fingerprint` hashes ``path``, or None
    when the file is not part of the fingerprinted code."""
    p = Path(path).resolve()
    for pkg, base in code_roots():
        if p.is_relative_to(base.resolve()):
            rel = f"{pkg}/{p.relative_to(base.resolve()).as_posix()}"
            return None if rel.startswith(CODE_EXCLUDED) or p.suffix != ".py" else rel
    return None


def code_files() -> tuple[tuple[str, Path], ...]:
    """``(package-relative name, path)`` of every file :func:`code_fingerprint` hashes, sorted."""
    out: list[tuple[str, Path]] = []
    for pkg, base in code_roots():
        for p in base.rglob("*.py"):
            rel = f"{pkg}/{p.relative_to(base).as_posix()}"
            if not rel.startswith(CODE_EXCLUDED):
                out.append((rel, p))
    return tuple(sorted(out))


@functools.lru_cache(maxsize=None)
def code_fingerprint(extra: tuple[str, ...] = ()) -> str:
    """sha256 of the source that determines results (:data:`CODE_PACKAGES` less
    :data:`CODE_EXCLUDED`), plus the files in ``extra`` (e.g. an ``execute`` defined elsewhere).

    Names and contents are length-prefixed, so moving a line between files changes the hash too.
    Cached: computed once per process (per ``extra``), before any run, so a sweep keys every run
    with the code it started with.
    """
    h = hashlib.sha256()
    files = [*code_files(), *((f"extra/{Path(f).name}", Path(f)) for f in extra)]
    for rel, p in files:
        try:
            data = p.read_bytes()
        except FileNotFoundError:  # removed or renamed since the listing: hashed as absent
            data = b"\0absent"
        name = rel.encode()
        h.update(len(name).to_bytes(8, "big") + name + len(data).to_bytes(8, "big") + data)
    return h.hexdigest()


def spec_kind(spec: object) -> str:
    t = type(spec)
    return f"{t.__module__}.{t.__qualname__}"


def spec_json(spec: object) -> Any:
    """``dataclasses.asdict(spec)`` as plain JSON values (tuples become lists)."""
    if not (dataclasses.is_dataclass(spec) and not isinstance(spec, type)):
        raise TypeError(f"a stored sweep needs dataclass specs (got {type(spec).__name__})")
    try:
        return json.loads(json.dumps(dataclasses.asdict(spec), sort_keys=True, allow_nan=True))
    except TypeError as e:
        raise TypeError(f"spec {spec!r} has a field that is not JSON-serialisable ({e})") from None


def spec_key(spec: object, version: str, code: str) -> str:
    """The stable hash of a spec under a rows version and a code fingerprint (module docstring)."""
    return _key_of(spec_kind(spec), spec_json(spec), version, code)


def _key_of(kind: str, spec: Any, version: str, code: str) -> str:
    blob = json.dumps({"schema": SCHEMA, "version": version, "code": code, "kind": kind, "spec": spec},
                      sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def entry_digest(entry: dict) -> str:
    """sha256 of an entry's canonical JSON, its own ``sha256`` field left out."""
    body = {k: v for k, v in entry.items() if k != "sha256"}
    blob = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def plain(value: Any, where: str = "row") -> Any:
    """``value`` with numpy scalars turned into Python ones and tuples into lists, so that it
    survives a JSON round trip unchanged (which makes stored and fresh rows identical)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)  # np.float64 is a float subclass; its repr is not a float's
    if isinstance(value, dict):
        return {str(k): plain(v, f"{where}[{k!r}]") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v, f"{where}[{i}]") for i, v in enumerate(value)]
    try:  # numpy scalars without importing numpy here
        import numpy as np

        if isinstance(value, np.bool_):
            return bool(value)
        if isinstance(value, np.integer):
            return int(value)
        if isinstance(value, np.floating):
            return float(value)
    except ImportError:  # pragma: no cover
        pass
    raise TypeError(f"{where} holds a {type(value).__name__}, which a results row cannot hold "
                    f"(use numbers, strings, booleans or None)")


def canonical_rows(rows: Any) -> list[dict]:
    """Rows as the store would give them back: a list of dicts of plain JSON values."""
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise TypeError(f"execute must return a list of dicts (got {type(rows).__name__})")
    return json.loads(json.dumps(plain(rows), allow_nan=True))


@dataclass
class Store:
    """A folder of run entries. Counters describe this object's lifetime (one sweep, usually).

    ``code`` defaults to :func:`code_fingerprint`; pass a fixed string only where the code is known
    not to matter (tests, or a store shared across a change proven not to affect the rows).
    """

    root: Path
    version: str
    code: str | None = None
    hits: int = 0
    misses: int = 0
    writes: int = 0
    corrupt: list[tuple[str, str]] = field(default_factory=list)  # (file name, reason)

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        if self.root.exists() and not self.root.is_dir():
            raise ValueError(f"store must be a folder (got the file {str(self.root)!r})")
        if not isinstance(self.version, str) or not self.version:
            raise ValueError(f"store version must be a non-empty string (got {self.version!r})")
        if self.code is None:
            self.code = code_fingerprint()
        if not isinstance(self.code, str) or not self.code:
            raise ValueError(f"store code fingerprint must be a non-empty string (got {self.code!r})")
        self.runs.mkdir(parents=True, exist_ok=True)
        self.clean()

    @property
    def runs(self) -> Path:
        return self.root / "runs"

    def key(self, spec: object) -> str:
        return spec_key(spec, self.version, self.code)

    def path(self, key: str) -> Path:
        return self.runs / f"{key}.json"

    def keys(self) -> list[str]:
        """Keys of the entries present (not checked; see :meth:`load`)."""
        return sorted(p.stem for p in self.runs.glob("*.json"))

    def clean(self, older_than: float = _STALE_TMP_SECONDS) -> int:
        """Remove temporary files left by writers killed more than ``older_than`` seconds ago."""
        now, n = time.time(), 0
        for p in self.runs.glob(f".*{_TMP_SUFFIX}"):
            with contextlib.suppress(OSError):
                if now - p.stat().st_mtime > older_than:
                    p.unlink()
                    n += 1
        return n

    def load(self, spec: object, key: str | None = None) -> list[dict] | None:
        """The stored rows of ``spec``, or None if absent or corrupt (corrupt ones are counted)."""
        key = key or self.key(spec)
        p = self.path(key)
        try:
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError:
            self.misses += 1
            return None
        except OSError as e:
            return self._bad(p, f"unreadable: {e}")
        try:
            entry = json.loads(text)
        except ValueError as e:
            return self._bad(p, f"not valid JSON ({e.msg} at character {e.pos})")
        if not isinstance(entry, dict):
            return self._bad(p, "not a JSON object")
        missing = [k for k in _ENTRY_KEYS if k not in entry]
        if missing:
            return self._bad(p, f"missing keys {', '.join(missing)}")
        if entry["schema"] != SCHEMA:
            return self._bad(p, f"schema {entry['schema']!r}, expected {SCHEMA!r}")
        try:
            digest = entry_digest(entry)
        except (TypeError, ValueError):
            digest = None
        if digest != entry["sha256"]:
            return self._bad(p, "checksum mismatch: the entry was truncated or edited")
        if entry["key"] != key:
            return self._bad(p, "the key inside differs from the file name")
        try:
            inner = _key_of(entry["kind"], entry["spec"], entry["version"], entry["code"])
        except (TypeError, ValueError):
            inner = None
        if inner != key:
            return self._bad(p, "the key inside does not hash the spec inside")
        rows = entry["rows"]
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            return self._bad(p, "rows are not a list of objects")
        self.hits += 1
        return rows

    def _bad(self, p: Path, reason: str) -> None:
        self.corrupt.append((p.name, " ".join(reason.split())))  # one line, whatever the cause
        self.misses += 1
        return None

    def save(self, spec: object, rows: list[dict], key: str | None = None, **meta: Any) -> Path:
        """Write the entry of ``spec`` atomically (temp file in the same folder, fsync, replace)."""
        key = key or self.key(spec)
        entry = {**meta, "schema": SCHEMA, "version": self.version, "code": self.code, "key": key,
                 "kind": spec_kind(spec), "spec": spec_json(spec), "rows": canonical_rows(rows)}
        entry["sha256"] = entry_digest(entry)
        data = json.dumps(entry, sort_keys=True, allow_nan=True, ensure_ascii=False).encode("utf-8")
        final = self.path(key)
        fd, tmp = tempfile.mkstemp(prefix=f".{key[:16]}.", suffix=_TMP_SUFFIX, dir=self.runs)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, final)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        _fsync_dir(self.runs)
        self.writes += 1
        return final


def _fsync_dir(path: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

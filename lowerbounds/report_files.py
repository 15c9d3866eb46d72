"""Writing a report folder safely: CSV of runs, JSON summary, provenance, and atomic placement.

A report is first written into a temporary folder ``<out>/.tmp-XXXX`` and only moved into place
(file by file, with ``os.replace``) once every file exists, so an error or an interrupt never
leaves a half-written report. Files a previous report listed in its manifest and the new one does
not produce are removed; anything else in the folder is left alone. A folder that is not empty
and has no manifest is refused, so ``--output ~`` cannot clobber a user's files.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import platform
import shutil
import subprocess
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Iterator, Sequence

MANIFEST = ".lowerbounds-report.json"


def csv_text(rows: Sequence[dict], columns: Sequence[str]) -> str:
    """Deterministic CSV: fixed column order, floats by ``repr`` (shortest round-trip form)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n", extrasaction="raise")
    w.writeheader()
    for r in rows:
        w.writerow({k: repr(v) if isinstance(v, float) else v for k, v in r.items()})
    return buf.getvalue()


def read_csv(path: str | Path) -> list[dict]:
    """Re-load a report's ``runs.csv`` (values stay strings; :mod:`lowerbounds.stats` parses)."""
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def git_revision(start: Path) -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=start, capture_output=True,
                             text=True, timeout=5)
        rev = out.stdout.strip()
        if not rev:
            return "unknown (not a git checkout)"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=start,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return rev + (" (with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def provenance(**extra: object) -> dict:
    pk = {}
    for name in ("lowerbounds", "numpy", "scipy", "sympy", "matplotlib", "joblib", "tqdm"):
        try:
            pk[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pk[name] = "not installed"
    return {
        "packages": pk,
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores",
        "git_revision": git_revision(Path(__file__).resolve().parent),
        **extra,
    }


def check_output_folder(out: Path, create: bool = False) -> bool:
    """Refuse a non-empty folder that is not a previous report (see the module docstring), and a
    folder that cannot be made. With ``create`` a missing folder is made now (the only sure test
    that it can be); returns whether it was, so the caller can remove it again, still empty, if the
    work fails before the report is written."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"output must be a folder (got the file {str(out)!r})")
    if not out.exists():  # it will be created: its nearest existing parent must be a writable folder
        parent = out.absolute().parent
        while not parent.exists():
            parent = parent.parent
        if not parent.is_dir():
            raise ValueError(f"output folder {str(out)!r} cannot be created: {str(parent)!r} is a file")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise ValueError(f"output folder {str(out)!r} cannot be created: {str(parent)!r} is not writable")
        if create:
            try:
                out.mkdir(parents=True)
            except OSError as e:
                raise ValueError(f"output folder {str(out)!r} cannot be created: {e.strerror}") from None
            return True
        return False
    others = [p for p in out.iterdir() if not p.name.startswith(".tmp-")]
    if others and not (out / MANIFEST).exists() and not _is_committed_report(out):
        raise ValueError(f"output folder {str(out)!r} is not empty and holds no lowerbounds "
                         f"report (no {MANIFEST}); choose an empty or new folder")
    return False


def remove_if_empty(out: Path) -> None:
    """Undo :func:`check_output_folder`'s ``create`` after a failure: no empty folder left behind."""
    with contextlib.suppress(OSError):
        out.rmdir()


def _is_committed_report(out: Path) -> bool:
    return (out / "README.md").exists() and (out / "runs.csv").exists()


@contextlib.contextmanager
def staged(out: str | Path) -> Iterator[Path]:
    """Yield a temporary folder to write into; on success move its files into ``out``."""
    out = Path(out)
    check_output_folder(out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=out))
    try:
        yield tmp
        new = sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*") if p.is_file())
        old = []
        if (out / MANIFEST).exists():
            with contextlib.suppress(ValueError, OSError):
                old = json.loads((out / MANIFEST).read_text()).get("files", [])
        for rel in new:
            dst = out / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp / rel, dst)
        for rel in set(old) - set(new):
            with contextlib.suppress(OSError):
                (out / rel).unlink()
        (out / MANIFEST).write_text(json.dumps({"files": new}, indent=1) + "\n")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

"""Run the timing benchmarks and print what they measured.

  lowerbounds bench [--only NAME[,NAME...]] [--quick] [--json] [--output FILE] [--progress auto|always|never]

Every module in :mod:`lowerbounds.benchmarks` (found at call time, so a module added there is run
without touching this command) defines ``benchmark(quick: bool) -> dict`` that returns named
measurements taken in one run: times, and ratios of times where a shared, noisy machine makes a
bare time meaningless (lambdify vs subs, certifier overhead, lazy vs dense, 1 vs all cores, ...).
Examples of what they report: ``bounds`` (lambdify on 10⁶ grid points vs subs point by
point), ``certify`` (the certifier's wall time at d = 10⁴ with the default trials).

--quick asks each benchmark for its short version (smaller sizes; seconds, not minutes).
A benchmark that raises, or returns something other than a dict, is reported in one line on
stderr and the others still run; whatever a benchmark prints goes to stderr, so stdout holds only
the table or the JSON. --json prints the results as JSON; --output FILE also writes that
JSON to FILE (written to a temporary file and moved into place).
Exit code: 0 if every benchmark ran, 1 if some failed, 2 on bad input (e.g. an unknown --only name).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import importlib
import json
import math
import os
import pkgutil
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

NAME = "bench"
HELP = "time the engine: lambdify vs subs, certifier, algorithms, lazy vs dense, parallel speed-up"
PACKAGE = "lowerbounds.benchmarks"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--only", default=None, metavar="NAME[,NAME]",
                   help="run only these benchmark modules, comma-separated (default: all; "
                        "names are the modules of lowerbounds/benchmarks/)")
    p.add_argument("--quick", action="store_true", help="the short version of each benchmark")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--output", default=None, metavar="FILE", help="also write the JSON results to FILE")
    p.add_argument("--progress", default="auto", choices=("auto", "always", "never"),
                   help="progress bar on stderr (default auto: only when stderr is a terminal)")


def discover(package: str | None = None) -> list[str]:
    """Names of the benchmark modules in ``package``, sorted; private modules (``_x``) skipped."""
    pkg = importlib.import_module(package or PACKAGE)
    return sorted(m.name for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_"))


def select(available: list[str], only: str | None) -> list[str]:
    """The modules ``--only`` asks for, in the order given; all of ``available`` if ``only`` is None."""
    if only is None:
        return list(available)
    names = [s.strip() for s in only.split(",") if s.strip()]
    if not names:
        raise ValueError(f"--only must name at least one benchmark (got {only!r}); "
                         f"available: {', '.join(available) or 'none'}")
    unknown = [s for s in names if s not in available]
    if unknown:
        raise ValueError(f"--only names unknown benchmark(s) {', '.join(unknown)}; "
                         f"available: {', '.join(available) or 'none'}")
    return list(dict.fromkeys(names))  # drop repeats, keep order


def _clean(value: Any) -> Any:
    """A JSON-safe copy: numpy scalars to Python numbers, non-finite floats to strings."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and callable(value.item) and getattr(value, "shape", None) == ():
        value = value.item()  # numpy scalar or 0-d array
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    return str(value)


def run_one(package: str, name: str, quick: bool) -> dict[str, Any]:
    """Import ``package.name`` and call its ``benchmark(quick)``; never raises.

    Returns ``{"status": "ok", "seconds": wall, "results": {...}}`` or
    ``{"status": "failed", "seconds": wall, "error": "ExceptionType: first line"}``.
    """
    t0 = time.perf_counter()
    try:
        mod = importlib.import_module(f"{package}.{name}")
        fn = getattr(mod, "benchmark", None)
        if not callable(fn):
            raise TypeError(f"module {package}.{name} defines no benchmark(quick) function")
        # A benchmark that prints must not corrupt --json on stdout: its output goes to stderr.
        with contextlib.redirect_stdout(sys.stderr):
            res = fn(quick=quick)
        if not isinstance(res, dict):
            raise TypeError(f"benchmark() returned {type(res).__name__}, expected a dict of measurements")
        return {"status": "ok", "seconds": time.perf_counter() - t0, "results": _clean(res)}
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # noqa: BLE001 -- one failing benchmark must not stop the others
        msg = str(e).splitlines()[0] if str(e) else ""
        return {"status": "failed", "seconds": time.perf_counter() - t0,
                "error": f"{type(e).__name__}: {msg}" if msg else type(e).__name__}


def _fmt(v: Any) -> str:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, int) or (v.is_integer() and abs(v) < 1e15):
        return f"{int(v):,}"
    return f"{v:.4g}"


def _flat(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested measurements ({"cgd": {"rounds_per_second": …}}) as dotted rows for the table."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def render(report: dict[str, Any]) -> str:
    """The human-readable table: one block per benchmark, one row per measurement."""
    lines = [f"lowerbounds bench{' --quick' if report['quick'] else ''}  "
             f"(lowerbounds {report['version']}{' @ ' + report['commit'] if report['commit'] else ''}, "
             f"{report['machine']['cpu_count']} cores, Python {report['machine']['python']}, "
             f"{report['started']})"]

    def short(name: str, key: str) -> str:  # "certify.top_k_seconds" reads as "top_k_seconds" under "certify"
        return key[len(name) + 1:] if key.startswith(name + ".") and len(key) > len(name) + 1 else key

    keys = [short(n, k) for n, b in report["benchmarks"].items() for k in _flat(b.get("results", {}))]
    width = max([len(k) for k in keys] + [20])
    for name, b in report["benchmarks"].items():
        lines.append("")
        if b["status"] != "ok":
            lines.append(f"{name}: FAILED after {b['seconds']:.2f} s — {b['error']}")
            continue
        lines.append(f"{name}  ({b['seconds']:.2f} s)")
        for k, v in _flat(b["results"]).items():
            lines.append(f"  {short(name, k):<{width}s}  {_fmt(v):>14s}")
    n_failed = len(report["failed"])
    lines.append("")
    lines.append(f"{len(report['benchmarks']) - n_failed} of {len(report['benchmarks'])} benchmarks ran"
                 + (f"; failed: {', '.join(report['failed'])}" if n_failed else ""))
    return "\n".join(lines)


def _git_commit() -> str | None:
    """The checkout's commit, so two bench files can be told apart (None outside a git checkout)."""
    import subprocess

    try:
        r = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                           timeout=5, cwd=Path(__file__).resolve().parent)
    except (OSError, subprocess.SubprocessError):
        return None
    return r.stdout.strip() or None if r.returncode == 0 else None


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run(args: argparse.Namespace, package: str | None = None) -> int:
    from tqdm import tqdm

    package = package or PACKAGE  # read at call time, so tests can point it at a fake package

    names = select(discover(package), args.only)
    output = Path(args.output) if args.output else None
    if output is not None and output.is_dir():
        raise ValueError(f"--output must be a file path, not a folder (got {args.output!r})")
    if output is not None:  # checked before the benchmarks run: missing folders are made later,
        anc = output.absolute().parent  # but a file in the way cannot be
        while not anc.exists():
            anc = anc.parent
        if not anc.is_dir():
            raise ValueError(f"--output: {str(anc)!r} is a file, so {args.output!r} cannot be written")
    disable = {"auto": None, "always": False, "never": True}[args.progress]  # None: tty only
    from lowerbounds import __version__

    report: dict[str, Any] = {
        "version": __version__,
        "commit": _git_commit(),
        "quick": bool(args.quick),
        "started": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpu_count": os.cpu_count()},
        "benchmarks": {},
        "failed": [],
    }
    bar = tqdm(names, desc="bench", unit="benchmark", file=sys.stderr, disable=disable, leave=False)
    for name in bar:
        bar.set_postfix_str(name)
        r = run_one(package, name, bool(args.quick))
        report["benchmarks"][name] = r
        if r["status"] != "ok":
            report["failed"].append(name)
            tqdm.write(f"lowerbounds bench: {name} failed: {r['error']}", file=sys.stderr)
    bar.close()
    report["seconds"] = sum(b["seconds"] for b in report["benchmarks"].values())
    text = json.dumps(report, indent=2)
    if output is not None:
        _write_atomic(output, text + "\n")
    print(text if args.json else render(report))
    return 1 if report["failed"] else 0

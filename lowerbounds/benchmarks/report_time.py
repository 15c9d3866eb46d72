"""Wall time of a report, fresh and resumed from the results store (issue 8).

Runs ``lowerbounds report --profile smoke`` (every sweep of the default report, three points each,
three seeds; one seed with quick=True) on every local core, into a temporary folder with a
temporary store, so nothing of the checkout is touched: once fresh, then again on the same store,
which must load every run and compute none (``rerun_computed_runs`` = 0). The ratio of the two is
what the store saves a resumed or re-rendered report. Without ``quick`` it then times the default
profile itself (the README's main job: minutes on 2 cores), fresh, into another temporary folder.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path


def _report(out: Path, store: Path, seeds: str | None, profile: str = "smoke") -> tuple[float, int]:
    from lowerbounds.cli import main

    t0 = time.perf_counter()
    rc = main(["report", "--profile", profile, *(["--seeds", seeds] if seeds else []), "--quiet",
               "--jobs", "-1", "--output", str(out), "--store", str(store)])
    if rc not in (0, 1):  # 1 is a failed check: still a finished report, and still timed
        raise RuntimeError(f"lowerbounds report exited with {rc}")
    return time.perf_counter() - t0, rc


def benchmark(quick: bool = False) -> dict[str, float | str]:
    seeds = "1" if quick else "3"
    with tempfile.TemporaryDirectory(prefix="lowerbounds-bench-report-") as tmp:
        root = Path(tmp)
        fresh, rc = _report(root / "fresh", root / "store", seeds)
        runs = len(list((root / "store" / "runs").glob("*.json")))
        mtimes = {p: p.stat().st_mtime_ns for p in (root / "store" / "runs").glob("*.json")}
        rerun, _ = _report(root / "rerun", root / "store", seeds)
        # an entry is rewritten only when its run was computed again
        rewritten = sum(p.stat().st_mtime_ns != m for p, m in mtimes.items())
        same_csv = (root / "fresh" / "runs.csv").read_bytes() == (root / "rerun" / "runs.csv").read_bytes()
        default = None
        if not quick:
            default, _ = _report(root / "default", root / "store-default", None, profile="default")
    out = {
        "report_time.profile": f"smoke, {seeds} seed(s)",
        "report_time.runs": float(runs),
        "report_time.fresh_seconds": fresh,
        "report_time.from_store_seconds": rerun,
        "report_time.store_speedup": fresh / rerun,
        "report_time.rerun_computed_runs": float(rewritten),
        "report_time.identical_csv": same_csv,
        "report_time.checks": "pass" if rc == 0 else "some check failed",
    }
    if default is not None:
        out["report_time.default_profile_fresh_seconds"] = default
    return out


if __name__ == "__main__":
    for key, val in benchmark().items():
        print(f"{key}: {val:.6g}" if isinstance(val, float) else f"{key}: {val}")

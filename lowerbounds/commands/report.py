"""Regenerate the theory-vs-empirics report.

  lowerbounds report [--output DIR] [--profile default|full|smoke] [--seed S] [--seeds N] [--jobs J]
                     [--backend serial|local|dask] [--scheduler tcp://host:port] [--store DIR] [--fresh]

Runs every sweep of the profile on the proofs' own hard instance (the split strongly convex chain
with the shared rand-s adversary), compares the measured rounds-to-ε with the registered lower
bound and NEOLITHIC's upper bound, and writes into DIR (default: reports/):

  README.md     the page: verdicts, bounds in LaTeX, figures, tables, provenance
  report.html   the same page as HTML
  figures/*.png one log-log figure per sweep, the bound drawn on the same axes
  runs.csv      one row per run and ε: parameters, seed, rounds (empty = censored), bits, bound
  summary.json  statistics, slopes and verdicts in machine-readable form

Profiles: default (the full grids of ω, δ and κ, 8 seeds; a few minutes on 2 cores), full (20
seeds, one more decade of ε), smoke (three points per sweep, three seeds: seconds).
The files are written to a temporary folder first and moved into place only when all exist.
Every finished run is kept in the store (default .lowerbounds-cache/ in the current folder) as soon
as it ends, so an interrupted report resumes where it stopped; --fresh recomputes every run.
--backend local uses --jobs processes; --backend dask runs on the cluster at --scheduler.
Exit code: 0 if every check passes, 1 if some check fails, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from lowerbounds import validate

NAME = "report"
HELP = "run the sweeps and write the theory-vs-empirics report (Markdown, HTML, PNG, CSV)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--output", default="reports", metavar="DIR", help="output folder (default: reports)")
    p.add_argument("--profile", default="default", help="default, full or smoke (default: default)")
    p.add_argument("--seed", default="0", help="master seed (default 0); same seed, same numbers")
    p.add_argument("--seeds", default=None, help="number of seeds per point (default: the profile's)")
    p.add_argument("--jobs", default="-1", help="local processes (default -1: every core)")
    p.add_argument("--kappa", default=None, help="κ = L/μ > 1 held fixed in the ω and δ sweeps (default 100)")
    p.add_argument("--omega", default=None, help="ω ≥ 0 held fixed in the unbiased κ sweep (default 1)")
    p.add_argument("--delta", default=None, help="δ in (0, 1] held fixed in the contractive κ sweep (default 0.5)")
    p.add_argument("--omegas", default=None, help="ω grid, comma-separated (default 0,1,3,7,15)")
    p.add_argument("--deltas", default=None, help="δ grid, comma-separated (default 1,0.5,0.25,0.125,0.0625)")
    p.add_argument("--kappas", default=None, help="κ grid, comma-separated (default 10,100,1000,10000)")
    p.add_argument("--n", default=None, help="workers, ≥ 2 (default 4)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--backend", default="local", help="serial, local (--jobs processes) or dask (default: local)")
    p.add_argument("--scheduler", default=None, metavar="tcp://host:port",
                   help="address of a running dask.distributed scheduler (with --backend dask)")
    p.add_argument("--store", default=".lowerbounds-cache", metavar="DIR",
                   help="results store: finished runs are kept and reused (default: .lowerbounds-cache)")
    p.add_argument("--fresh", action="store_true", help="ignore the store: recompute (and re-store) every run")


def _grid(text: str | None, name: str, check):
    return None if text is None else validate.float_list(text, name, check)


def run(args: argparse.Namespace) -> int:
    from lowerbounds import report_files, page, verification, sweep
    from lowerbounds.sc_experiment import COLUMNS, execute

    # Validate everything before any work, so bad input never leaves anything behind.
    profile = verification.make_profile(
        args.profile, seeds=args.seeds, master_seed=args.seed,
        kappa=args.kappa, omega=args.omega, delta=args.delta,
        omegas=_grid(args.omegas, "omega", validate.omega),
        deltas=_grid(args.deltas, "delta", validate.delta),
        kappas=_grid(args.kappas, "kappa", validate.kappa),
        n=args.n,
    )
    jobs = sweep.resolve_jobs(args.jobs, "--jobs")
    backend, scheduler = sweep.check_backend(args.backend, args.scheduler, name="--backend",
                                             scheduler_name="--scheduler")
    store = sweep.check_store(args.store, "--store")
    out = Path(args.output)
    report_files.check_output_folder(out)

    t0 = time.perf_counter()
    specs = verification.run_specs(profile)
    rows = sweep.flatten(sweep.run_all(execute, specs, jobs=jobs, progress=not args.quiet,
                                       desc=f"SC report ({profile.name})", backend=backend,
                                       scheduler=scheduler, store=store, fresh=args.fresh))
    results = verification.analyse(profile, rows)
    overall = verification.overall(results)
    wall = time.perf_counter() - t0
    prov = report_files.provenance(profile=profile.name, master_seed=profile.master_seed,
                                   seeds=profile.seeds, runs=len(specs), jobs=jobs,
                                   wall_time=f"{wall:.1f} s")
    with report_files.staged(out) as tmp:
        (tmp / "figures").mkdir()
        figs = {}
        for sw in profile.sweeps:
            rel = f"figures/{sw.name}.png"
            page.figure(sw, [r for r in results if r.sweep == sw.name], tmp / rel, profile.eps_fit)
            figs[sw.name] = rel
        md = page.markdown(profile, results, overall, prov, figs)
        (tmp / "README.md").write_text(md)
        (tmp / "report.html").write_text(page.html_page(md, "lowerbounds: SC report"))
        (tmp / "runs.csv").write_text(report_files.csv_text(rows, COLUMNS))
        summary = {"profile": profile.name, "master_seed": profile.master_seed, "overall": overall,
                   "results": verification.as_jsonable(results), "provenance": prov}
        (tmp / "summary.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n")
    line = ", ".join(f"{k}: {v}" for k, v in overall.items())
    print(f"wrote {out}/README.md ({len(rows)} rows from {len(specs)} runs in {wall:.0f} s); {line}")
    return 1 if "fail" in overall.values() else 0

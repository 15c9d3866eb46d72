"""Regenerate the theory-vs-empirics report.

  lowerbounds report [--output DIR] [--profile default|full|smoke|FILE.toml] [--settings sc,gc,nc]
                     [--seed S] [--seeds N] [--jobs J] [--backend serial|local|dask]
                     [--scheduler tcp://host:port] [--store DIR] [--fresh]

Runs every sweep of the profile on the proofs' own hard instances (the split SC, GC and NC chains
with the shared rand-s adversary for the compression terms; the homogeneous noise instances for
the σ² terms), the progress-envelope experiment and the papers' synthetic problems; compares the
measured rounds-to-ε with the registered lower bounds and NEOLITHIC's upper bounds; and writes into
DIR (default: reports/):

  README.md     the page: a summary per setting, verdicts, bounds in LaTeX, figures, tables
  report.html   the same page as HTML (figures inline)
  figures/*.png one log-log figure per sweep, the explicit bound drawn on the same axes
  runs.csv      one row per run and ε: parameters, seed, rounds (empty = censored), bits, bound
  progress.csv  progress at checkpoint rounds (shared vs independent supports)
  synthetic.csv suboptimality and bits at checkpoint rounds on the synthetic problems
  summary.json  statistics, slopes and verdicts in machine-readable form

Profiles are TOML files (lowerbounds/specs/): default (every setting, a few minutes on 2 cores),
full (larger grids, more seeds), smoke (seconds: a plumbing check for tests, too few seeds and points for its verdicts to mean much). --profile also takes a path to your
own file. The files are written to a temporary folder first and moved into place only when all
exist. Every finished run is kept in the store (default .lowerbounds-cache/ in the current folder)
as soon as it ends, keyed by its spec and a fingerprint of the code, so an interrupted report
resumes where it stopped; --fresh recomputes every run.
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
    p.add_argument("--profile", default="default",
                   help="default, full, smoke, or a path to a profile TOML file (default: default)")
    p.add_argument("--settings", default=None, help="only these settings, comma-separated (sc, gc, nc)")
    p.add_argument("--seed", default="0", help="master seed (default 0); same seed, same numbers")
    p.add_argument("--seeds", default=None, help="number of seeds per point (default: the profile's)")
    p.add_argument("--jobs", default="-1", help="local processes (default -1: every core)")
    p.add_argument("--kappa", default=None, help="κ = L/μ > 1 held fixed wherever κ is not swept (SC)")
    p.add_argument("--omega", default=None, help="ω ≥ 0 held fixed wherever ω is not swept")
    p.add_argument("--delta", default=None, help="δ in (0, 1] held fixed wherever δ is not swept")
    p.add_argument("--omegas", default=None, help="ω grid of every ω sweep, comma-separated")
    p.add_argument("--deltas", default=None, help="δ grid of every δ sweep, comma-separated")
    p.add_argument("--kappas", default=None, help="κ grid of every κ sweep, comma-separated")
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
    from lowerbounds import page, progress_experiment, report_files, sweep, synthetic_experiments, verification
    from lowerbounds.sc_experiment import COLUMNS

    # Validate everything before any work, so bad input never leaves anything behind.
    settings = None if args.settings is None else [x.strip() for x in args.settings.split(",") if x.strip()]
    profile = verification.make_profile(
        args.profile, seeds=args.seeds, master_seed=args.seed,
        kappa=args.kappa, omega=args.omega, delta=args.delta,
        omegas=_grid(args.omegas, "omega", validate.omega),
        deltas=_grid(args.deltas, "delta", validate.delta),
        kappas=_grid(args.kappas, "kappa", validate.kappa),
        n=args.n, settings=settings,
    )
    jobs = sweep.resolve_jobs(args.jobs, "--jobs")
    backend, scheduler = sweep.check_backend(args.backend, args.scheduler, name="--backend",
                                             scheduler_name="--scheduler")
    store = sweep.check_store(args.store, "--store")
    out = Path(args.output)
    created = report_files.check_output_folder(out, create=True)
    try:
        return _run(args, profile, jobs, backend, scheduler, store, out)
    except BaseException:
        if created:
            report_files.remove_if_empty(out)
        raise


def _run(args, profile, jobs, backend, scheduler, store, out: Path) -> int:
    from lowerbounds import page, progress_experiment, report_files, sweep, synthetic_experiments, verification
    from lowerbounds.sc_experiment import COLUMNS

    specs = verification.run_specs(profile)
    prog_cfg = verification.progress_config(profile) if "sc" in profile.settings else None
    prog_specs = [] if prog_cfg is None else progress_experiment.specs(
        prog_cfg["n_grid"], prog_cfg["seeds"], omega=prog_cfg["omega"], kappa=prog_cfg["kappa"],
        rounds=prog_cfg["rounds"], master_seed=profile.master_seed)
    learn_cfg = verification.learning_config(profile)
    syn_cfg = verification.synthetic_config(profile)
    syn_specs = [] if syn_cfg is None else synthetic_experiments.specs(syn_cfg["rounds"], syn_cfg["seeds"],
                                                                       profile.master_seed)

    t0 = time.perf_counter()
    common = dict(jobs=jobs, progress=not args.quiet, backend=backend, scheduler=scheduler, store=store,
                  fresh=args.fresh)
    results_runs = sweep.run_all(verification.execute, specs, desc=f"sweeps ({profile.name})", **common)
    rows = sweep.flatten(results_runs)
    failures = [f.line() for f in results_runs.summary.errors + results_runs.summary.diverged]
    prog_rows: list[dict] = []
    if prog_specs:
        pr = sweep.run_all(progress_experiment.execute, prog_specs, desc="progress envelope", **common)
        prog_rows = sweep.flatten(pr)
        failures += [f.line() for f in pr.summary.errors]
    syn_rows: list[dict] = []
    if syn_specs:
        sr = sweep.run_all(synthetic_experiments.execute, syn_specs, desc="synthetic problems", **common)
        syn_rows = sweep.flatten(sr)
        failures += [f.line() for f in sr.summary.errors]
    learn_rows: list[dict] = []
    if learn_cfg is not None:
        from lowerbounds import learning

        learn_rows = learning.run(learn_cfg, jobs=jobs, progress=not args.quiet, store=store, fresh=args.fresh)
    results = verification.analyse(profile, rows)
    overall = verification.overall(results)
    wall = time.perf_counter() - t0
    prov = report_files.provenance(profile=profile.name, master_seed=profile.master_seed,
                                   seeds=profile.seeds,
                                   runs_all_experiments=len(specs) + len(prog_specs) + len(syn_specs),
                                   jobs=jobs, runs_summary=results_runs.summary.lines(limit=0)[0],
                                   backend=backend, wall_time=f"{wall:.1f} s")
    with report_files.staged(out) as tmp:
        (tmp / "figures").mkdir()
        figs = {}
        for sw in profile.sweeps:
            rel = f"figures/{sw.name}.png"
            page.figure(sw, [r for r in results if r.sweep == sw.name], tmp / rel, profile)
            figs[sw.name] = rel
        sections = []
        if prog_rows:
            p_c = 1.0 / (1.0 + prog_cfg["omega"])
            progress_experiment.figure(prog_rows, tmp / "figures/progress.png", p_c=p_c,
                                       rounds=prog_cfg["rounds"], n_show=prog_cfg["n_show"])
            body, summ = progress_experiment.section(
                prog_rows, "figures/progress.png", p_c=p_c, omega=prog_cfg["omega"],
                kappa=prog_cfg["kappa"], rounds=prog_cfg["rounds"], seeds=prog_cfg["seeds"])
            sections.append(("Progress against rounds: the Binomial envelope, shared vs independent supports",
                             body, summ))
            overall["progress envelope"] = summ[0]
            (tmp / "progress.csv").write_text(report_files.csv_text(prog_rows, progress_experiment.COLUMNS))
        if syn_rows:
            sfigs = {}
            for prob in synthetic_experiments.PROBLEMS:
                sfigs[prob] = f"figures/synthetic-{prob}.png"
                synthetic_experiments.figure(syn_rows, prob, tmp / sfigs[prob])
            sections.append(("The papers' synthetic problems: least squares and logistic regression",
                             synthetic_experiments.section(syn_rows, sfigs, rounds=syn_cfg["rounds"],
                                                           seeds=syn_cfg["seeds"]), None))
            (tmp / "synthetic.csv").write_text(report_files.csv_text(syn_rows, synthetic_experiments.COLUMNS))
        if learn_rows:
            body, summ = learning.section(learn_rows, tmp / "figures", rel_prefix="figures/")
            sections.append(("Learning on real data: the talk's accuracy table, scaled to a CPU", body, summ))
            overall["learning"] = summ[0]
            (tmp / "learning.csv").write_text(report_files.csv_text(learn_rows, learning.COLUMNS))
        md = page.markdown(profile, results, overall, prov, figs, sections, failures)
        (tmp / "README.md").write_text(md)
        (tmp / "report.html").write_text(page.html_page(md, "lowerbounds: theory vs. measurement", tmp))
        (tmp / "runs.csv").write_text(report_files.csv_text(rows, COLUMNS))
        summary = {"profile": profile.name, "master_seed": profile.master_seed, "overall": overall,
                   "settings": {s: dict(status=st, text=tx)
                                for s, (st, tx) in page.setting_summary(profile, results).items()},
                   "results": verification.as_jsonable(results),
                   "sweep_summary": results_runs.summary.as_dict(), "provenance": prov}
        (tmp / "summary.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n")
    line = ", ".join(f"{k}: {v}" for k, v in overall.items())
    print(f"wrote {out}/README.md ({len(rows)} rows from {len(specs)} sweep runs, "
          f"{len(specs) + len(prog_specs) + len(syn_specs)} runs in all, in {wall:.0f} s); {line}")
    return 1 if "fail" in overall.values() else 0

"""Run one sweep (given inline) or the sweeps of a spec file, and check them against the bounds.

  lowerbounds verify --setting sc --compressor unbiased --algorithm neolithic \\
                     --sweep omega=0,1,3,7 --kappa 100 --eps 1e-6 --seeds 5 [--json]
  lowerbounds verify --spec my_profile.toml [--json]
  lowerbounds verify --setting gc --compressor unbiased --algorithm path/to/my_method.py:MyMethod \\
                     --sweep omega=0,1,3 --eps 1e-3

A sweep is run exactly as in `lowerbounds report` (same instances, seeds, statistics and
verdicts). --algorithm may repeat, or take a comma-separated list; a plug-in
'path/to/file.py:ClassName' is loaded with algorithms.plugin and run with the zero-respecting
audit on (a run that leaves its legitimately learned support raises, and is reported as failed).
Its constructor gets the adversary's compressor and the constants it asks for by name (L, d, mu).

--compressor none sweeps σ² (--sweep sigma2=...) on the noise instances (identity compressor).
--eps is, for SC compression sweeps, a fraction of the initial gap f(x⁰) − f*; for GC a fraction
of LΔ_x; for NC and the σ² sweeps the target itself (L = Δ = Δ_x = 1 throughout).

Prints, per point, the median rounds, its bootstrap interval and the explicit bound; per sweep,
the fitted and predicted slopes and every verdict. Exit code: 0 if every check passes or is
inconclusive, 1 if one fails or a run failed (e.g. a plug-in caught by the audit), 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace

from lowerbounds import validate

NAME = "verify"
HELP = "run one sweep (inline or from a spec file) and check it against the lower bound"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--spec", default=None, metavar="FILE.toml",
                   help="a profile file (the format of lowerbounds/specs/*.toml); runs all its sweeps")
    p.add_argument("--setting", default=None, help="sc, gc or nc")
    p.add_argument("--compressor", default=None, help="unbiased, contractive or none (the σ² term)")
    p.add_argument("--algorithm", action="append", default=None,
                   help="a registered name (see `lowerbounds list`) or path/to/file.py:ClassName; repeatable")
    p.add_argument("--sweep", default=None, metavar="PARAM=V1,V2,...",
                   help="the swept parameter and its grid: omega, delta, kappa, eps or sigma2")
    p.add_argument("--kappa", default="100", help="κ = L/μ > 1 (SC), when not swept (default 100)")
    p.add_argument("--omega", default="1", help="ω ≥ 0, when not swept (default 1)")
    p.add_argument("--delta", default="0.5", help="δ in (0, 1], when not swept (default 0.5)")
    p.add_argument("--eps", default=None, help="accuracy (see above); default 1e-6 (SC), 1e-3 (GC), "
                                               "2e-5 (NC)")
    p.add_argument("--n", default="4", help="workers, ≥ 2 (default 4)")
    p.add_argument("--seeds", default="5", help="seeds per point (default 5)")
    p.add_argument("--seed", default=None, help="master seed (default 0, or the spec file's master_seed)")
    p.add_argument("--jobs", default="-1", help="local processes (default -1: every core)")
    p.add_argument("--store", default=None, metavar="DIR", help="keep finished runs in DIR and reuse them")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


DEFAULT_EPS = {"sc": 1e-6, "gc": 1e-3, "nc": 2e-5}


def inline_profile(args: argparse.Namespace):
    from lowerbounds.verification import PARAMS, Profile, SweepDef

    missing = [f"--{k}" for k in ("setting", "compressor", "algorithm", "sweep") if getattr(args, k) is None]
    if missing:
        raise ValueError(f"give --spec FILE, or all of --setting, --compressor, --algorithm and --sweep "
                         f"(missing {', '.join(missing)})")
    setting = validate.choice(args.setting, "--setting", ("sc", "gc", "nc"))
    param, eq, grid_text = args.sweep.partition("=")
    if not eq:
        raise ValueError(f"--sweep must look like PARAM=V1,V2,... (got {args.sweep!r})")
    param = validate.choice(param.strip(), "--sweep parameter", PARAMS)
    checks = {"omega": validate.omega, "delta": validate.delta, "kappa": validate.kappa,
              "eps": lambda v, name: validate.eps(v, name, upper=1.0),
              "sigma2": lambda v, name: validate.positive(v, name)}
    grid = validate.float_list(grid_text, f"--sweep {param}", checks[param])
    eps = validate.eps(args.eps if args.eps is not None else DEFAULT_EPS[setting], "--eps", upper=1.0)
    algs = tuple(a.strip() for text in args.algorithm for a in text.split(",") if a.strip())
    comp = validate.choice(args.compressor, "--compressor", ("unbiased", "contractive", "none"))
    kw = dict(kappa=validate.kappa(args.kappa, "--kappa"), omega=validate.omega(args.omega, "--omega"),
              delta=validate.delta(args.delta, "--delta"))
    sc_compression = setting == "sc" and comp != "none"
    sw = SweepDef(name=f"{setting}-{comp}-{param}", compressor=comp, param=param, grid=grid,
                  algorithms=algs, setting=setting, eps=eps if not sc_compression else 1e-3, **kw)
    return Profile(name="inline", sweeps=(sw,), seeds=validate.integer(args.seeds, "--seeds", minimum=1),
                   n=validate.integer(args.n, "--n", minimum=2),
                   eps=(eps,) if sc_compression else (1e-6,),
                   master_seed=validate.integer(args.seed or 0, "--seed", minimum=0))


def run(args: argparse.Namespace) -> int:
    from lowerbounds import sweep, verification

    if args.spec is not None:
        if any(getattr(args, k) is not None for k in ("setting", "compressor", "algorithm", "sweep")):
            raise ValueError("--spec runs the sweeps of its file: drop --setting/--compressor/--algorithm/--sweep")
        profile = verification.load_profile(args.spec)
        if args.seed is not None:
            profile = replace(profile, master_seed=validate.integer(args.seed, "--seed", minimum=0))
    else:
        profile = inline_profile(args)
    jobs = sweep.resolve_jobs(args.jobs, "--jobs")
    store = None if args.store is None else sweep.check_store(args.store, "--store")
    specs = verification.run_specs(profile)
    res = sweep.run_all(verification.execute, specs, jobs=jobs, progress=not args.quiet,
                        desc=f"verify ({len(specs)} runs)", store=store)
    rows = sweep.flatten(res)
    results = verification.analyse(profile, rows)
    overall = verification.overall(results)
    failures = [f.line() for f in res.summary.errors + res.summary.diverged]
    if args.json:
        out = {"profile": profile.name, "overall": overall, "failures": failures,
               "sweeps": [dict(sweep=r["sweep"], algorithm=r["algorithm"],
                               points=[dict(x=p["x"], value=p["value"], median=p["median"], ci=p["ci"],
                                            explicit_bound=p["explicit_bound"], ratio=p["ratio"],
                                            fraction_at_or_above=p["frac_at_or_above"],
                                            censored=p["censored"], rounds=p["rounds"])
                                       for p in r["points"]],
                               fitted_slope=r["slope"], predicted_slope_lower=r["predicted_lower"],
                               predicted_slope_own=r["predicted_own"], verdicts=r["verdicts"],
                               missing_points=r["missing"])
                          for r in verification.as_jsonable(results)]}
        print(json.dumps(out, indent=1, ensure_ascii=False))
    else:
        sweeps = {s.name: s for s in profile.sweeps}
        for r in results:
            sw = sweeps[r.sweep]
            print(f"{r.sweep} — {r.algorithm} ({sw.fixed_text(profile.n_of(sw))})")
            print(f"  {sw.x_label:>10} {'median':>10} {'95% CI':>22} {'explicit bound':>15} {'ratio':>8}")
            for p in r.points:
                print(f"  {p.x:>10.4g} {p.median:>10.4g} {f'[{p.ci[0]:.4g}, {p.ci[1]:.4g}]':>22} "
                      f"{p.explicit_bound:>15.4g} {p.ratio:>8.3g}")
            s = r.slope
            fit = f"{s.slope:.3f} [{s.lo:.3f}, {s.hi:.3f}]" if s.ok else f"— ({s.reason})"
            own = "—" if r.predicted_own is None else f"{r.predicted_own:.3f}"
            print(f"  slope: fitted {fit}; Ω bound {r.predicted_lower:.3f}; own bound {own}")
            for v in r.verdicts:
                print(f"  {v.check}: {v.status.upper()} — {v.text}")
            print()
        for f in failures:
            print(f"failed: {f}")
        print("overall: " + ", ".join(f"{k}: {v}" for k, v in overall.items()))
    if failures and not args.json:
        print(f"{len(failures)} run(s) failed: exit code 1")
    return 1 if "fail" in overall.values() or failures else 0

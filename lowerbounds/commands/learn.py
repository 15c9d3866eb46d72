"""Run the learning experiment alone: the talk's accuracy table, scaled to a CPU.

  lowerbounds learn [--output DIR] [--seeds N] [--rounds T] [--gamma G] [--skews 0,1]
                    [--seed S] [--jobs J] [--store DIR] [--quick] [--quiet]

An MLP (64 → 32 → 10, tanh) on scikit-learn's handwritten digits (shipped with scikit-learn,
nothing is downloaded), split across 8 workers i.i.d. and label-skewed, trained by PSGD
(uncompressed), QSGD, MEM-SGD, DoubleSqueeze and NEOLITHIC (NC, R = 2, bidirectional) with 4-bit
quantisation (QSGD, s = 15) and with top-k at 1% (QSGD left out: it needs an unbiased compressor).
Every method gets the same minibatches (32 per worker per round) and the same step γ.
Writes into DIR (default: reports/learning):

  README.md      the page: settings, the accuracy table beside the talk's ResNet-18 numbers,
                 whether the talk's ordering holds here, figures
  report.html    the same page as HTML (figures inline)
  figures/*.png  training loss and test accuracy against rounds and against bits, per split and
                 compressor (mean ± std over seeds)
  learning.csv   one row per run and checkpoint: round, minibatches, bits up/down, training
                 loss, training and test accuracy, and the settings
  summary.json   the table's numbers, the paired differences and verdicts, provenance

--quick runs 600 images for 60 minibatches with 2 seeds (seconds; a smoke test, not evidence).
Same --seed, same numbers, whatever --jobs. Exit code: 0 when the section's status is pass or
inconclusive, 1 when uncompressed PSGD misses 95% test accuracy (full runs only), 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from lowerbounds import validate

NAME = "learn"
HELP = "train an MLP on the digits with the compressed methods (the talk's accuracy table, on a CPU)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--output", default="reports/learning", metavar="DIR",
                   help="output folder (default: reports/learning)")
    p.add_argument("--seeds", default=None, help="seeds per method and split, ≥ 1 (default 5; --quick: 2)")
    p.add_argument("--rounds", default=None,
                   help="minibatches per worker, a multiple of R = 2: the rounds of PSGD, QSGD, MEM-SGD and "
                        "DoubleSqueeze; NEOLITHIC uses twice as many rounds for them (default 1500; --quick: 60)")
    p.add_argument("--gamma", default=None, help="step size shared by every method, > 0 (default 1.0)")
    p.add_argument("--skews", default=None,
                   help="label-skew knobs in [0, 1], comma-separated: 0 = i.i.d., 1 = sorted by label "
                        "(default 0,1)")
    p.add_argument("--seed", default="0", help="master seed, ≥ 0 (default 0); same seed, same numbers")
    p.add_argument("--jobs", default="-1", help="local processes (default -1: every core)")
    p.add_argument("--store", default=None, metavar="DIR", help="keep finished runs in DIR and reuse them")
    p.add_argument("--quick", action="store_true", help="600 images, 60 minibatches, 2 seeds (seconds)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def config_from(args: argparse.Namespace):
    from lowerbounds import learning

    kw: dict = {"master_seed": validate.integer(args.seed, "--seed", minimum=0)}
    if args.seeds is not None:
        kw["seeds"] = validate.integer(args.seeds, "--seeds", minimum=1)
    if args.rounds is not None:
        kw["rounds"] = validate.integer(args.rounds, "--rounds", minimum=1)
        R = learning.LearningConfig.R
        if kw["rounds"] % R:
            raise ValueError(f"--rounds must be a multiple of R = {R}, so that NEOLITHIC gets exactly the same "
                             f"minibatches as the other methods (got {args.rounds!r})")
    if args.gamma is not None:
        kw["gamma"] = validate.positive(args.gamma, "--gamma")
    if args.skews is not None:
        def skew(v: object, name: str) -> float:
            x = validate.nonnegative(v, name)
            if x > 1:
                raise ValueError(f"{name} must be numbers in [0, 1] (got {v!r})")
            return x

        kw["skews"] = validate.float_list(args.skews, "--skews", skew)
    return learning.quick_config(**kw) if args.quick else learning.LearningConfig(**kw)


def run(args: argparse.Namespace) -> int:
    from lowerbounds import learning, page, report_files, sweep

    # Validate everything before any work, so bad input never leaves anything behind.
    config = config_from(args)
    jobs = sweep.resolve_jobs(args.jobs, "--jobs")
    store = None if args.store is None else sweep.check_store(args.store, "--store")
    out = Path(args.output)
    created = report_files.check_output_folder(out, create=True)
    try:
        return _run(args, config, jobs, store, out)
    except BaseException:
        if created:
            report_files.remove_if_empty(out)
        raise


def _run(args: argparse.Namespace, config, jobs: int, store, out: Path) -> int:
    from lowerbounds import learning, page, report_files

    t0 = time.perf_counter()
    rows = learning.run(config, jobs=jobs, progress=not args.quiet, store=store)
    wall = time.perf_counter() - t0
    if not rows:
        raise ValueError("every run of the learning experiment failed (see the messages above)")
    prov = report_files.provenance(master_seed=config.master_seed, seeds=config.seeds,
                                   runs=len(learning.specs(config)), jobs=jobs, wall_time=f"{wall:.1f} s",
                                   quick=bool(args.quick))
    with report_files.staged(out) as tmp:
        body, (status, text) = learning.section(rows, tmp / "figures", "figures/")
        title = "The talk's learning experiment on a CPU: an MLP on the digits"
        md = [f"# {title}", "",
              "Generated by `lowerbounds learn" + (" --quick" if args.quick else "") + "`; every number is "
              "recomputed by that command (`learning.csv`: one row per run and checkpoint; `summary.json`: "
              "the table and the verdicts).", "",
              f"- {page.DOT[status]} {text}", ""]
        if args.quick:
            md += ["**Quick run** (600 images, 60 minibatches, 2 seeds): a smoke test of the pipeline, "
                   "not evidence.", ""]
        md += body + ["## Provenance", ""]
        for key, v in prov.items():
            if isinstance(v, dict):
                v = ", ".join(f"{a} {b}" for a, b in v.items())
            md.append(f"- {key.replace('_', ' ')}: {v}")
        md_text = "\n".join(md) + "\n"
        (tmp / "README.md").write_text(md_text)
        (tmp / "report.html").write_text(page.html_page(md_text, title, tmp))
        (tmp / "learning.csv").write_text(report_files.csv_text(rows, learning.COLUMNS))
        summary = {"status": status, "text": text, "config": _config_json(config),
                   **learning.summarize(rows), "provenance": prov}
        (tmp / "summary.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False, allow_nan=True) + "\n")
    print(f"wrote {out}/README.md ({len(rows)} rows in {wall:.0f} s): {text}")
    return 1 if status == "fail" and not args.quick else 0


def _config_json(config) -> dict:
    import dataclasses

    d = dataclasses.asdict(config)
    d["skews"] = list(d["skews"])
    d["d"], d["topk_k"] = config.d, config.topk_k
    return d

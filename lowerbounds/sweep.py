"""Running many independent runs: serial or on local cores, with a progress bar.

A run is a pure function ``execute(spec) -> list[row]`` of a frozen, picklable spec (its seed is
derived inside from the master seed with ``numpy.random.SeedSequence``), so the order in which
runs are scheduled cannot change a result: :func:`run_all` returns the rows in the order of the
specs whatever the back end.

Local parallelism goes through joblib's process pool (``jobs > 1``); ``jobs = -1`` uses every core.
"""

from __future__ import annotations

import os
from typing import Callable, Iterable, Sequence, TypeVar

from lowerbounds import validate

S = TypeVar("S")
Row = dict


def resolve_jobs(jobs: int | str) -> int:
    """``jobs`` ≥ 1, or −1 for all local cores."""
    j = validate.integer(jobs, "jobs", minimum=-1)
    if j == 0:
        raise ValueError("jobs must be ≥ 1, or -1 for all cores (got 0)")
    return (os.cpu_count() or 1) if j == -1 else j


def run_all(execute: Callable[[S], list[Row]], specs: Sequence[S], *, jobs: int = 1,
            progress: bool = True, desc: str = "runs") -> list[list[Row]]:
    """``[execute(s) for s in specs]``, on ``jobs`` local processes, with a tqdm bar on stderr."""
    from tqdm.auto import tqdm

    jobs = resolve_jobs(jobs)
    bar = tqdm(total=len(specs), desc=desc, unit="run", disable=not progress, leave=False)
    try:
        if jobs == 1 or len(specs) <= 1:
            out = []
            for s in specs:
                out.append(execute(s))
                bar.update()
            return out
        from joblib import Parallel, delayed

        par = Parallel(n_jobs=jobs, return_as="generator", batch_size=1)
        out = []
        for rows in par(delayed(execute)(s) for s in specs):
            out.append(rows)
            bar.update()
        return out
    finally:
        bar.close()


def flatten(results: Iterable[list[Row]]) -> list[Row]:
    return [row for rows in results for row in rows]

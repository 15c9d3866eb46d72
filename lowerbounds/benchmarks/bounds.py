"""Bound evaluation: vectorised ``lambdify`` on a 10⁶-point grid vs ``subs`` point by point (issue 6).

The bound is NEOLITHIC's SC upper bound with its hidden logarithm made explicit. The grid is
1000 values of ε × 1000 values of ω (10⁶ points; 10⁵ with quick=True). ``subs``+``evalf`` runs on a
sample of the same points; the ratio compares time per point, and the sample's values are checked
against the grid's (the fast path must agree with the reference before its speed means anything).
The one-off ``lambdify`` compile time is reported separately, and a speed-up that includes it
(subs on the whole grid extrapolated from the sample, against compile + grid).
"""

from __future__ import annotations

import time

import numpy as np
import sympy as sp

from lowerbounds import bounds as B


def benchmark(quick: bool = False) -> dict[str, float | str]:
    b = B.get("sc-unbiased-neolithic")
    m = 316 if quick else 1000
    eps = np.geomspace(1e-9, 1e-3, m)
    omega = np.linspace(0.0, 100.0, m)
    E, W = np.meshgrid(eps, omega)
    base = dict(L=1.0, mu=1e-3, Delta_x=1.0, sigma=1.0, n=8.0)
    # Compiling is paid once per expression (Bound caches it); timed apart, on a fresh lambdify.
    e = b.with_logs()
    t0 = time.perf_counter()
    sp.lambdify(sorted(e.free_symbols, key=str), e, modules="numpy")
    t_compile = time.perf_counter() - t0
    b.evaluate_grid({**base, "eps": E[:1, :1], "omega": W[:1, :1]}, with_logs=True)  # fill the cache
    t0 = time.perf_counter()
    grid = b.evaluate_grid({**base, "eps": E, "omega": W}, with_logs=True)
    t_grid = time.perf_counter() - t0

    rng = np.random.default_rng(0)
    k = 30 if quick else 200
    rows, cols = rng.integers(0, m, size=k), rng.integers(0, m, size=k)
    t0 = time.perf_counter()
    ref = [b.evaluate_subs({**base, "eps": E[i, j], "omega": W[i, j]}, with_logs=True) for i, j in zip(rows, cols)]
    t_subs = time.perf_counter() - t0
    err = float(np.max(np.abs(grid[rows, cols] - np.array(ref)) / np.abs(np.array(ref))))
    per_grid, per_subs = t_grid / grid.size, t_subs / k
    return {
        "bounds.grid_points": float(grid.size),
        "bounds.lambdify_compile_seconds": t_compile,
        "bounds.lambdify_grid_seconds": t_grid,
        "bounds.lambdify_per_point_ns": per_grid * 1e9,
        "bounds.subs_sample_points": float(k),
        "bounds.subs_per_point_us": per_subs * 1e6,
        "bounds.speedup_lambdify_over_subs": per_subs / per_grid,
        "bounds.speedup_including_compile": per_subs * grid.size / (t_grid + t_compile),
        "bounds.max_relative_difference": err,
    }


if __name__ == "__main__":
    for key, val in benchmark().items():
        print(f"{key}: {val:.6g}" if isinstance(val, float) else f"{key}: {val}")

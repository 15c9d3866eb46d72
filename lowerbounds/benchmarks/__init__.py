"""Benchmarks read by ``lowerbounds bench``: each module here defines ``benchmark(quick: bool) -> dict``
returning named measurements (numbers and ratios measured in one run)."""

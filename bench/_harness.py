"""Interleaved same-process timing: the only comparison this noisy machine supports.

Each round runs every case once, in a rotating order; the medians over rounds are
compared as ratios. Absolute times are reported but never compared across processes.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np


def interleaved_medians(
    cases: dict[str, Callable[[], object]], rounds: int = 15, warmup: int = 2
) -> dict[str, float]:
    """Median wall time in seconds of each case, measured round-robin.

    Parameters
    ----------
    cases : dict of str to callable
        Zero-argument callables to time.
    rounds : int
        Number of timed rounds; each round runs every case once.
    warmup : int
        Untimed rounds first (caches, thread pools, JIT).

    Returns
    -------
    dict of str to float
    """
    names = list(cases)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(warmup + rounds):
        order = names[r % len(names):] + names[: r % len(names)]
        for name in order:
            start = time.perf_counter()
            cases[name]()
            elapsed = time.perf_counter() - start
            if r >= warmup:
                times[name].append(elapsed)
    return {name: float(np.median(t)) for name, t in times.items()}


def report(benchmark, medians: dict[str, float], baseline: str) -> dict[str, float]:
    """Store medians (ms) and the speed-up of every case over ``baseline`` in extra_info
    and print them; returns the ratios baseline_time / case_time."""
    ratios = {name: medians[baseline] / t for name, t in medians.items()}
    for name, t in medians.items():
        benchmark.extra_info[f"{name}_ms"] = round(t * 1e3, 3)
        benchmark.extra_info[f"speedup_over_{baseline}:{name}"] = round(ratios[name], 3)
    lines = [f"  {name:28s} {t * 1e3:9.3f} ms   x{ratios[name]:.2f} vs {baseline}" for name, t in medians.items()]
    print("\n" + "\n".join(lines))
    return ratios

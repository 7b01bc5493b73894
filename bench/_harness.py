"""Interleaved same-process timing: the only comparison this noisy machine supports.

Each round runs every case once, in a rotating order; the medians over rounds are
compared as ratios. Absolute times are reported but never compared across processes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np


def interleaved_medians(
    cases: dict[str, Callable[[], object]], rounds: int = 15, warmup: int = 2,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, float]:
    """Median time in seconds of each case (wall, or ``clock``), measured round-robin.

    Parameters
    ----------
    cases : dict of str to callable
        Zero-argument callables to time.
    rounds : int
        Number of timed rounds; each round runs every case once.
    warmup : int
        Untimed rounds first (caches, thread pools, JIT).
    clock : callable
        ``time.perf_counter`` (wall) or ``time.process_time`` (process CPU time).

    Returns
    -------
    dict of str to float
    """
    names = list(cases)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(warmup + rounds):
        order = names[r % len(names):] + names[: r % len(names)]
        for name in order:
            start = clock()
            cases[name]()
            elapsed = clock() - start
            if r >= warmup:
                times[name].append(elapsed)
    return {name: float(np.median(t)) for name, t in times.items()}


def alone_medians(script: str, names: list[str], args: list[str], processes: int) -> dict[str, float]:
    """Median over ``processes`` fresh processes of each case's median: ``script`` run
    as ``python script --case NAME *args``, which must print ``{NAME: seconds}`` as JSON.

    Parameters
    ----------
    script : str
        Path of the benchmark script.
    names : list of str
        Cases, each timed alone in its own processes.
    args : list of str
        The other command-line arguments (dtype, rounds, threads, ...).
    processes : int

    Returns
    -------
    dict of str to float
    """
    medians = {}
    for name in names:
        runs = [json.loads(subprocess.run(
            [sys.executable, script, "--case", name, *args],
            check=True, capture_output=True, text=True,
        ).stdout.splitlines()[-1])[name] for _ in range(processes)]
        medians[name] = float(np.median(runs))
    return medians


def report(benchmark: Any, medians: dict[str, float], baseline: str) -> dict[str, float]:
    """Store medians (ms) and the speed-up of every case over ``baseline`` in extra_info
    and print them; returns the ratios baseline_time / case_time."""
    ratios = {name: medians[baseline] / t for name, t in medians.items()}
    for name, t in medians.items():
        benchmark.extra_info[f"{name}_ms"] = round(t * 1e3, 3)
        benchmark.extra_info[f"speedup_over_{baseline}:{name}"] = round(ratios[name], 3)
    lines = [f"  {name:28s} {t * 1e3:9.3f} ms   x{ratios[name]:.2f} vs {baseline}" for name, t in medians.items()]
    print("\n" + "\n".join(lines))
    return ratios

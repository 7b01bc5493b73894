"""``pyrbm reproduce``: the runs over MPI ranks, the experiments, the report on rank 0."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..io import archive as checkpoint
from ..distributed import World, fail_fast, world as mpi_world
from ..model import RBM
from .analysis import EXPERIMENTS, Models, run_experiment
from .config import Config
from .report import write_report
from .runs import load_data, run_specs, summarize, train_run

__all__ = ["estimate", "reproduce"]


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def reproduce(out: str | os.PathLike[str], config: Config, *, seed: int = 0,
              world: World | None = None, log: Callable[[str], None] = _log,
              figures: bool = True) -> dict[str, Any] | None:
    """Train the runs of ``config`` (resuming or skipping those already in ``out``),
    run the experiments and write the report.

    Runs and experiments are spread over the ranks of ``world`` with ``World.share``;
    their seeds derive from ``seed`` and the run / experiment alone, so any number of
    ranks gives the same numbers. Rank 0 gathers everything and writes the report.

    Parameters
    ----------
    out : str or os.PathLike
        Output folder (created): ``runs/*.h5``, figures, ``results.json``, ``timings.json``,
        ``report.md``, ``report.html``.
    config : Config
    seed : int
    world : World, optional
        Default :func:`pyrbm.distributed.world`.
    log : callable
        Receives one line per finished step.
    figures : bool
        Draw the figures (False: numbers and documents only).

    Returns
    -------
    dict or None
        The content of ``results.json`` plus ``"status"`` (each run's ``trained``,
        ``resumed`` or ``skipped``) on rank 0; None on the other ranks.
    """
    world = world or mpi_world()
    out = Path(out)
    with fail_fast(world):
        if world.is_root:
            out.mkdir(parents=True, exist_ok=True)
        world.barrier()
        x_train, x_test = load_data(config)
        summaries = []
        for spec in world.share(run_specs(config)):
            start = time.perf_counter()
            path, status = train_run(spec, config, seed, out, x_train, x_test)
            summaries.append((status, summarize(spec, path, config, seed, x_train, x_test)))
            log(f"rank {world.rank}: run {spec.name} {status} "
                f"({time.perf_counter() - start:.1f} s)")
        gathered = world.gather(summaries)
        runs = None
        if gathered is not None:  # the root
            runs = sorted((s for part in gathered for s in part),
                          key=lambda s: (s[1]["hidden"], s[1]["replica"]))
        weights = world.bcast(None if runs is None else
                              [(r["hidden"], r["final_weights"]) for _, r in runs])
        by_hidden: dict[int, list[np.ndarray]] = {}
        for m, w in weights:
            by_hidden.setdefault(m, []).append(w)
        probe_path = out / "runs" / f"M{max(by_hidden):04d}_r0.h5"
        side = int(round(np.sqrt(x_train.shape[1])))
        models = Models(by_hidden, checkpoint.load(probe_path), (side, side))
        results = {}
        for name in world.share(list(EXPERIMENTS)):
            start = time.perf_counter()
            results[name] = run_experiment(name, config, seed, models)
            log(f"rank {world.rank}: experiment {name} ({time.perf_counter() - start:.1f} s)")
        parts = world.gather(results)
        if parts is None or runs is None:  # not the root
            return None
        experiments = {name: res for part in parts for name, res in part.items()}
        report = write_report(out, config=config.to_dict(), seed=seed, n_ranks=world.size,
                              runs=[r for _, r in runs], experiments=experiments,
                              n_visible=x_train.shape[1], image_shape=(side, side),
                              figures=figures)
        log(f"report in {out / 'report.html'}")
        return {**report, "status": {f"M{r['hidden']}_r{r['replica']}": s for s, r in runs}}


def _sweep_seconds(n_visible: int, n_hidden: int, n_chains: int, repeats: int = 3) -> float:
    """Measured seconds of one Gibbs sweep of ``n_chains`` chains (median of repeats)."""
    rbm = RBM.random(n_visible, n_hidden, rng=0)
    v = (np.random.default_rng(1).random((n_chains, n_visible)) < 0.15).astype(np.float32)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        rbm.gibbs(v, 2, rng=0)
        times.append((time.perf_counter() - start) / 2)
    return float(np.median(times))


def estimate(config: Config, n_visible: int = 784, n_train: int = 60000) -> dict[str, Any]:
    """Predicted cost of the training runs of ``config`` from measured sweep speed.

    Each update costs ``k + 1`` sweeps of ``batch_size`` chains (the +1 stands for the
    positive phase and the gradient); each likelihood evaluation ``n_betas`` sweeps of
    ``n_chains`` chains for AIS and ``n_betas + n_gibbs`` for RAIS. The experiments
    and summaries are not counted (a few minutes at most).

    Parameters
    ----------
    config : Config
    n_visible : int
        Visible units (784 for MNIST).
    n_train : int
        Size of the full training set (used when ``n_train`` is 0).

    Returns
    -------
    dict
        ``per_hidden`` (hidden size -> CPU-seconds per run at the current thread
        count), ``total_seconds`` and ``runs``.
    """
    rc, lk = config.runs, config.likelihood
    updates = (rc["n_train"] or n_train) // rc["batch_size"] * rc["epochs"]
    evaluations = rc["epochs"] // lk["every"]
    per_hidden = {}
    for m in rc["hidden"]:
        train = updates * (rc["k"] + 1) * _sweep_seconds(n_visible, m, rc["batch_size"])
        ais = evaluations * (2 * lk["n_betas"] + lk["n_gibbs"]) * _sweep_seconds(
            n_visible, m, lk["n_chains"])
        per_hidden[m] = train + ais
    total = sum(per_hidden.values()) * rc["replicas"]
    return {"per_hidden": per_hidden, "total_seconds": total,
            "runs": len(rc["hidden"]) * rc["replicas"]}

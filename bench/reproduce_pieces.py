"""Costs of the pieces of ``pyrbm reproduce``'s default protocol (bench/RESULTS.md).

    python bench/reproduce_pieces.py updates     # s per PCD-10 update, batch 500, 10k images
    python bench/reproduce_pieces.py estimators  # AIS / RAIS / trajectory AIS, 784 x 500

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("part", choices=("updates", "estimators"))
    args = parser.parse_args()
    x = datasets.load("mnist", "train", 0.5)[0][:10000]
    if args.part == "updates":
        updates(x)
    else:
        estimators(x, datasets.load("mnist", "test", 0.5)[0][:1000])


if __name__ == "__main__":
    main()

"""Test log-likelihood of the `pyrbm reproduce` default recipe's M = 500 model against the
length of the run (issue #11's -110 nats target: what would more budget buy?).

Usage (the run of bench/RESULTS.md, "Issue #11, fourth pass")::

    python3 -P bench/recipe_length.py --epochs 10,25,50 --seed 0

Each run is the default recipe (all 60 000 binarized MNIST images, PCD-1, batch 100, Adam
1e-3 decaying linearly to 1e-5 *over the run*, centered gradient) for ``epochs`` x 600
updates from the same seed, then forward and reverse AIS (64 chains x 3000
distributions, RAIS from 200 Gibbs sweeps of training images) give the test
log-likelihood of the first 1000 test images, as in the report. The check asserts the
two estimates are finite and print the bracket (AIS - RAIS), so an inverted one shows.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # for bench.*

import pyrbm  # noqa: E402
from bench.bench_trajectory import recipe_run  # noqa: E402
from pyrbm.partition import log_likelihood, log_partition  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", default="10,25,50", help="comma-separated run lengths")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    data, _ = pyrbm.io.datasets.load("mnist", "train", binarize=0.5)
    test = pyrbm.io.datasets.load("mnist", "test", binarize=0.5)[0][:1000].astype(np.float32)
    for epochs in (int(x) for x in args.epochs.split(",")):
        start = time.perf_counter()
        rbm = recipe_run(data, epochs=epochs, seed=args.seed)[0]
        seconds = time.perf_counter() - start
        ais = log_partition(rbm, "ais", rng=1, n_chains=64, n_betas=3000, data=data[:10000])
        rais = log_partition(rbm, "rais", rng=2, n_chains=64, n_betas=3000, data=data[:10000],
                             n_gibbs=200)
        upper, lower = log_likelihood(rbm, test, ais), log_likelihood(rbm, test, rais)
        assert np.isfinite(upper) and np.isfinite(lower), (upper, lower)
        print(f"epochs {epochs} ({epochs * 600} updates, {seconds:.0f} s): test LL AIS "
              f"{upper:.2f}, RAIS {lower:.2f} (AIS - RAIS {upper - lower:+.2f})", flush=True)


if __name__ == "__main__":
    main()

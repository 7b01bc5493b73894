"""Check the log-partition estimate of a trained anchor model several ways.

AIS with more chains or more intermediate distributions, and reverse AIS from the
persistent chains of training after more Gibbs sweeps or from training images: if the
model's log Z is well estimated, all agree within their standard errors (and AIS <= RAIS
in expectation). Used for the quality-anchor table of bench/RESULTS.md.

Usage (the archive written by ``bench/quality_anchor.py --out``; the same ``--seed`` and
``--binarization`` give the same test set)::

    python3 bench/log_z_check.py A.h5 --threads 1
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import pyrbm
from quality_anchor import anchor_data  # bench/ is on sys.path when run as a script


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("archive")
    parser.add_argument("--binarization", choices=("stochastic", "threshold"), default="stochastic")
    parser.add_argument("--seed", type=int, default=0, help="quality_anchor.py's --seed")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        pyrbm.set_num_threads(args.threads)
    rbm = pyrbm.load(args.archive)
    # the same draws as quality_anchor.py with the same --seed
    train, test = anchor_data(args.binarization, np.random.default_rng(args.seed))
    chains = pyrbm.io.archive.read_resume_state(args.archive)[0]["chains"]
    gen = np.random.default_rng(123)

    def show(name: str, estimate: pyrbm.LogZ, seconds: float) -> None:
        ll = pyrbm.log_likelihood(rbm, test, estimate)
        print(f"{name:44s} log Z {estimate.value:10.3f} +- {estimate.std_error:.3f}  "
              f"ESS {estimate.ess:6.1f}  test LL {ll:8.3f}  ({seconds:.0f} s)", flush=True)

    for n_chains, n_betas in [(100, 10_000), (400, 10_000), (100, 40_000)]:
        start = time.perf_counter()
        est = pyrbm.log_partition(rbm, "ais", rng=gen, n_chains=n_chains, n_betas=n_betas, data=train)
        show(f"AIS {n_chains} chains, {n_betas} betas", est, time.perf_counter() - start)
    for sweeps in (1000, 10_000):
        start = time.perf_counter()
        samples, _ = rbm.sample(len(chains), sweeps, v0=chains, rng=gen)
        est = pyrbm.log_partition(rbm, "rais", rng=gen, samples=samples, data=train, n_betas=10_000)
        show(f"RAIS persistent chains + {sweeps} sweeps", est, time.perf_counter() - start)
    start = time.perf_counter()
    est = pyrbm.log_partition(rbm, "rais", rng=gen, n_gibbs=1000, n_chains=100, n_betas=10_000,
                              data=train)
    show("RAIS training images + 1000 sweeps", est, time.perf_counter() - start)


if __name__ == "__main__":
    main()

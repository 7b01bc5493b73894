"""Correlation gains of directions in a data set (pyrbm.analysis.alignment): a loop
reference, the independent-pixel bound (shuffled pixels never exceed it, however the
direction is chosen) and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from pyrbm.analysis.alignment import Correlations, correlation_gain, independence_bound
from pyrbm.reproduce import nulls

N = 37  # pixels (prime)


def _gain_reference(u: np.ndarray, x: np.ndarray) -> float:
    """sum_ij u_i u_j cov_ij / sum_i u_i^2 var_i, with explicit sums."""
    x = x.astype(np.float64)
    mean = x.mean(axis=0)
    num = den = 0.0
    for i in range(x.shape[1]):
        var_i = float(np.mean((x[:, i] - mean[i]) ** 2))
        den += u[i] * u[i] * var_i
        for j in range(x.shape[1]):
            num += u[i] * u[j] * float(np.mean((x[:, i] - mean[i]) * (x[:, j] - mean[j])))
    return num / den


def _correlated(gen: np.random.Generator, n: int) -> np.ndarray:
    """Binary images with two hidden causes, each flipping its own group of pixels."""
    z = gen.random((n, 2)) < 0.4
    groups = np.repeat(z, [18, N - 18], axis=1)
    return (groups ^ (gen.random((n, N)) < 0.15)).astype(np.float32)


def _max_gain(x: np.ndarray) -> float:
    """The largest gain of any direction: the top eigenvalue of the sample correlation."""
    c = Correlations(x)
    keep = c.variances > 0
    d = np.sqrt(c.variances[keep])
    r = c.covariance[np.ix_(keep, keep)] / np.outer(d, d)
    vals, vecs = np.linalg.eigh(r)
    u = np.zeros((x.shape[1], 1))
    u[keep, 0] = vecs[:, -1] / d  # the maximizing direction in pixel space
    assert c.gain(u)[0] == pytest.approx(vals[-1], rel=1e-10)
    return float(vals[-1])


def test_gain_matches_the_loop_reference() -> None:
    gen = np.random.default_rng(3)
    x = _correlated(gen, 400)
    u = gen.standard_normal((N, 3))
    got = correlation_gain(u, x)
    assert got == pytest.approx([_gain_reference(u[:, k], x) for k in range(3)], rel=1e-10)
    assert correlation_gain(5.0 * u, x) == pytest.approx(got, rel=1e-12)  # scale-free


def test_independent_pixels_stay_below_the_bound_in_every_direction() -> None:
    gen = np.random.default_rng(0)
    x = _correlated(gen, 20000)
    shuffled = nulls.shuffle_pixels(x, gen)
    bound = Correlations(shuffled).bound
    assert bound == pytest.approx(independence_bound(20000, N))
    # even the direction fitted to the shuffled sample's own noise stays at the bound ...
    assert _max_gain(shuffled) <= 1.05 * bound
    # ... while the correlated data has directions far above it (the claim's factor 1.5)
    assert _max_gain(x) > 1.5 * bound
    g = correlation_gain(np.r_[np.ones(18), np.zeros(N - 18)][:, None], x)
    assert g[0] > 5.0


def test_directions_on_constant_pixels_have_gain_zero() -> None:
    x = np.random.default_rng(1).random((500, 4)) < 0.5
    x[:, 3] = 1
    c = Correlations(x)
    assert c.n_varying == 3
    assert c.gain(np.array([[0.0], [0.0], [0.0], [1.0]]))[0] == 0.0


@pytest.mark.parametrize("bad, error, match", [
    (np.zeros((1, 4)), ValueError, "data"),
    (np.zeros(4), ValueError, "data"),
    (np.array([["a", "b"], ["c", "d"]]), TypeError, "data"),
    (np.array([[0.0, np.nan], [1.0, 0.0]]), ValueError, "data"),
])
def test_bad_data(bad: np.ndarray, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        Correlations(bad)


def test_bad_vectors_and_sizes() -> None:
    c = Correlations(np.random.default_rng(2).random((50, 4)))
    with pytest.raises(ValueError, match="vectors"):
        c.gain(np.ones((3, 1)))
    with pytest.raises(ValueError, match="vectors"):
        c.gain(np.full((4, 1), np.inf))
    with pytest.raises(ValueError, match="n_samples"):
        independence_bound(1, 3)

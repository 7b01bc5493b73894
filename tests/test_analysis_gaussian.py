"""Uniform-measure moments (E18), exact and streaming kurtosis (E19), kurtosis vs 1/N."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import scipy.stats

from pyrbm import gaussian, reciprocal

from .conftest import all_states, small_rbm


def enumerated_moments(u: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact mean, covariance and kurtosis of x = U^T v over all v in {0,1}^N."""
    x = all_states(u.shape[0]) @ u
    mean = x.mean(axis=0)
    c = x - mean
    cov = c.T @ c / x.shape[0]
    kurt = np.mean(c**4, axis=0) / np.mean(c**2, axis=0) ** 2
    return mean, cov, kurt


@pytest.mark.parametrize("shape", [(10, 6), (6, 10)])
def test_e18_and_e19_exactly_by_enumeration(shape: tuple[int, int]) -> None:
    dec = reciprocal.decompose(small_rbm(*shape, std=1.0, dtype=np.float64, seed=1))
    for basis in (dec.U, dec.V):
        mean, cov, kurt = enumerated_moments(basis)
        m, c = gaussian.uniform_moments(basis)
        np.testing.assert_allclose(m, mean, atol=1e-12)
        np.testing.assert_allclose(c, cov, atol=1e-12)
        np.testing.assert_allclose(c, np.eye(basis.shape[0]) / 4, atol=1e-12)
        np.testing.assert_allclose(gaussian.exact_kurtosis(basis), kurt, atol=1e-10)
    np.testing.assert_array_equal(gaussian.exact_kurtosis(dec), gaussian.exact_kurtosis(dec.U))


def test_general_non_orthogonal_basis() -> None:
    u = np.random.default_rng(2).normal(size=(9, 4))
    mean, cov, kurt = enumerated_moments(u)
    m, c = gaussian.uniform_moments(u)
    np.testing.assert_allclose(m, mean, atol=1e-12)
    np.testing.assert_allclose(c, cov, atol=1e-12)
    np.testing.assert_allclose(gaussian.exact_kurtosis(u), kurt, atol=1e-10)
    assert gaussian.exact_kurtosis(np.eye(3))[0] == pytest.approx(1.0)  # one Bernoulli


def test_streaming_moments_equal_a_single_pass() -> None:
    gen = np.random.default_rng(3)
    data = gen.exponential(size=(1000, 5)) + 1e3  # skewed, large offset: tests stability
    acc = gaussian.StreamingMoments(5)
    start = 0
    for size in (1, 7, 300, 0, 692):
        acc.update(data[start:start + size])
        start += size
    assert acc.count == 1000
    np.testing.assert_allclose(acc.mean, data.mean(axis=0), rtol=1e-13)
    np.testing.assert_allclose(acc.variance, data.var(axis=0), rtol=1e-10)
    np.testing.assert_allclose(acc.kurtosis, scipy.stats.kurtosis(data, fisher=False),
                               rtol=1e-9)
    with pytest.raises(ValueError, match="batch"):
        acc.update(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="samples"):
        _ = gaussian.StreamingMoments(2).kurtosis


def test_e19_against_sampling() -> None:
    dec = reciprocal.decompose(small_rbm(8, 5, std=1.0, dtype=np.float64, seed=4))
    basis = np.column_stack([dec.U[:, :3], np.eye(8)[:, 0]])  # kurtosis from ~2 to 1
    exact = gaussian.exact_kurtosis(basis)
    est = gaussian.sampled_kurtosis(basis, 200_000, rng=5, chunk_size=30_000)
    # Standard error of a kurtosis estimate is below 0.01 here (checked: 5 sigma).
    np.testing.assert_allclose(est, exact, atol=0.03)
    again = gaussian.sampled_kurtosis(basis, 200_000, rng=5, chunk_size=30_000)
    np.testing.assert_array_equal(est, again)


def test_sampled_kurtosis_memory_is_bounded_by_the_chunk() -> None:
    basis = reciprocal.decompose(np.random.default_rng(7).normal(size=(50, 50))).U
    tracemalloc.start()
    try:
        gaussian.sampled_kurtosis(basis, 300_000, rng=8, chunk_size=2_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # All samples at once would need 300_000 x 50 x 8 B = 120 MB; one chunk is 0.8 MB.
    assert peak < 8e6


def test_kurtosis_approaches_three_as_one_over_n() -> None:
    sizes = (40, 80, 160, 320)
    inv_n, kurt = gaussian.kurtosis_vs_size(sizes, n_hidden=100, rng=6)
    np.testing.assert_allclose(inv_n, 1 / np.array(sizes))
    # Haar columns: E[sum U^4] = 3/(N+2), so the mean kurtosis is 3 - 6/(N+2).
    np.testing.assert_allclose((3 - kurt) * (np.array(sizes) + 2) / 6, 1.0, atol=0.1)
    slope, intercept = np.polyfit(1 / (1 / inv_n + 2), kurt, 1)
    assert intercept == pytest.approx(3, abs=0.01)
    assert slope == pytest.approx(-6, rel=0.1)
    _, sampled = gaussian.kurtosis_vs_size((30,), n_hidden=7, rng=6, method="sampled",
                                           n_samples=50_000)
    assert sampled[0] == pytest.approx(3 - 6 / 32, abs=0.05)


def test_validation_names_arguments() -> None:
    with pytest.raises(TypeError, match="u"):
        gaussian.exact_kurtosis([[1.0]])
    with pytest.raises(ValueError, match="u"):
        gaussian.uniform_moments(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="n_samples"):
        gaussian.sampled_kurtosis(np.eye(3), 1)
    with pytest.raises(ValueError, match="method"):
        gaussian.kurtosis_vs_size((10,), 5, method="fast")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="std"):
        gaussian.kurtosis_vs_size((10,), 5, std=-1.0)

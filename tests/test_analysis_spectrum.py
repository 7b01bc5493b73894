"""Marchenko-Pastur law: edges, density/CDF, std fit, KS test, outliers, pooled spectra."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.integrate

from pyrbm import spectrum


@pytest.mark.parametrize(
    ("m", "edges"),
    [(500, (0.0564, 0.5036)), (784, (0.0, 0.560)), (1200, (0.0664, 0.6264)),
     (3000, (0.2677, 0.8277))],
)
def test_mp_edges_match_paper_table(m: int, edges: tuple[float, float]) -> None:
    lo, hi = spectrum.mp_edges(784, m, 0.01)
    assert (round(lo, 4), round(hi, 4)) == edges
    assert spectrum.mp_edges(m, 784, 0.01) == (lo, hi)


@pytest.mark.parametrize("shape", [(784, 500), (50, 50), (13, 61)])
def test_density_integrates_to_cdf(shape: tuple[int, int]) -> None:
    n, m = shape
    std = 0.03
    lo, hi = spectrum.mp_edges(n, m, std)

    def rho(t: float) -> float:
        return float(spectrum.mp_density(t, n, m, std))

    total = scipy.integrate.quad(rho, lo, hi, limit=200)[0]
    assert total == pytest.approx(1.0, abs=1e-8)
    for x in np.linspace(lo, hi, 7)[1:-1]:
        expected = scipy.integrate.quad(rho, lo, x, limit=200)[0]
        assert spectrum.mp_cdf(x, n, m, std) == pytest.approx(expected, abs=1e-8)
    grid = np.linspace(lo - 0.1, hi + 0.1, 301)
    cdf = spectrum.mp_cdf(grid, n, m, std)
    assert np.all(np.diff(cdf) >= 0) and cdf[0] == 0 and cdf[-1] == 1
    assert np.all(spectrum.mp_density(grid[(grid < lo) | (grid > hi)], n, m, std) == 0)


def random_spectrum(n: int, m: int, std: float, seed: int) -> np.ndarray:
    w = np.random.default_rng(seed).normal(0, std, (n, m))
    return np.linalg.svd(w, compute_uv=False)


def planted(n: int, m: int, std: float, rank: int, strength: float, seed: int) -> np.ndarray:
    """Singular values of noise plus a rank-``rank`` spike of singular value ``strength``."""
    gen = np.random.default_rng(seed)
    u = np.linalg.qr(gen.normal(size=(n, rank)))[0]
    v = np.linalg.qr(gen.normal(size=(m, rank)))[0]
    w = gen.normal(0, std, (n, m)) + strength * u @ v.T
    return np.linalg.svd(w, compute_uv=False)


def test_fit_std_recovers_the_std() -> None:
    sv = random_spectrum(397, 211, 0.02, seed=1)
    assert spectrum.fit_std(sv, 397, 211) == pytest.approx(0.02, rel=0.02)
    assert spectrum.fit_std(sv, 397, 211, method="moment") == pytest.approx(0.02, rel=0.02)
    spiked = planted(397, 211, 0.02, rank=3, strength=5.0, seed=1)
    assert spectrum.fit_std(spiked, 397, 211) == pytest.approx(0.02, rel=0.03)
    # The moment estimate is dragged up by the spike; the median one is not.
    assert spectrum.fit_std(spiked, 397, 211, method="moment") > 0.03


def test_ks_accepts_random_initializations() -> None:
    pvalues = [spectrum.ks_test(random_spectrum(397, 211, 0.01, seed), 397, 211, 0.01).pvalue
               for seed in range(5)]
    assert min(pvalues) > 0.05
    assert spectrum.ks_test(random_spectrum(211, 397, 0.01, 9), 211, 397).pvalue > 0.05


def test_ks_rejects_a_planted_low_rank_spike() -> None:
    sv = planted(397, 211, 0.01, rank=40, strength=0.5, seed=2)
    assert spectrum.ks_test(sv, 397, 211, 0.01).pvalue < 1e-4
    assert spectrum.ks_test(sv, 397, 211).pvalue < 1e-4


def test_count_outliers() -> None:
    for seed in range(3):
        assert spectrum.count_outliers(random_spectrum(397, 211, 0.01, seed), 397, 211,
                                       0.01) == 0
    # Above the BBP threshold std (NM)^(1/4) = 0.17 each spike leaves the bulk.
    sv = planted(397, 211, 0.01, rank=4, strength=1.0, seed=3)
    assert spectrum.count_outliers(sv, 397, 211, 0.01) == 4
    assert spectrum.count_outliers(sv, 397, 211) == 4
    scale = spectrum.tracy_widom_scale(397, 211, 0.01)
    assert scale == pytest.approx(0.01 * (397**-0.5 + 211**-0.5) ** (1 / 3) / 2)


def test_pooled_spectra_match_a_numpy_reference_and_thread_count() -> None:
    ref_dtype = np.float64
    one = spectrum.pooled_spectra(61, 37, 6, std=0.05, rng=4, dtype=ref_dtype, n_workers=1)
    two = spectrum.pooled_spectra(61, 37, 6, std=0.05, rng=4, dtype=ref_dtype, n_workers=2)
    np.testing.assert_array_equal(one, two)
    # Reference: regenerate each matrix from the documented seeding and use a full SVD.
    entropy = np.random.default_rng(4).integers(0, 2**63, size=4).tolist()
    children = np.random.SeedSequence(entropy).spawn(6)
    for k, child in enumerate(children):
        w = np.random.Generator(np.random.Philox(child)).standard_normal((61, 37))
        np.testing.assert_allclose(one[k], np.linalg.svd(0.05 * w, compute_uv=False),
                                   rtol=1e-10)
    wide = spectrum.pooled_spectra(37, 61, 3, std=0.05, rng=5)
    assert wide.shape == (3, 37) and np.all(np.diff(wide, axis=1) <= 0)
    assert not np.array_equal(one, spectrum.pooled_spectra(61, 37, 6, std=0.05, rng=5,
                                                           dtype=ref_dtype))


def test_pooled_spectra_follow_mp() -> None:
    pooled = spectrum.pooled_spectra(300, 200, 20, std=0.01, rng=0)
    assert pooled.shape == (20, 200)
    # Pooled values from independent matrices: a KS distance at the finite-size level.
    result = spectrum.ks_test(pooled, 300, 200, 0.01)
    assert result.statistic < 0.01
    assert spectrum.fit_std(pooled, 300, 200) == pytest.approx(0.01, rel=0.005)


def test_validation_names_arguments() -> None:
    with pytest.raises(ValueError, match="std"):
        spectrum.mp_edges(10, 5, 0.0)
    with pytest.raises(TypeError, match="n_visible"):
        spectrum.mp_edges(10.0, 5, 0.1)
    with pytest.raises(ValueError, match="n_hidden"):
        spectrum.mp_density(0.1, 10, 0, 0.1)
    with pytest.raises(ValueError, match="singular_values"):
        spectrum.ks_test(np.array([-1.0]), 10, 5, 0.1)
    with pytest.raises(ValueError, match="method"):
        spectrum.fit_std(np.ones(3), 10, 5, method="mean")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n_tw"):
        spectrum.count_outliers(np.ones(3), 10, 5, 0.1, n_tw=-1)
    with pytest.raises(TypeError, match="dtype"):
        spectrum.pooled_spectra(10, 5, 2, dtype=np.int32)
    with pytest.raises(ValueError, match="n_matrices"):
        spectrum.pooled_spectra(10, 5, 0)

"""Pooled Marchenko-Pastur spectra: pyrbm vs a naive NumPy SVD loop, same process.

Run: PYTHONPATH=. python3 -m pytest bench/bench_spectrum.py --benchmark-only -q
The naive loop (np.linalg.svd with vectors, float64, one matrix after another) is timed
on a few matrices and extrapolated to 1000; the ratio goes to ``extra_info``.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from pyrbm import spectrum

N, M, STD, POOL = 784, 500, 0.01, 1000
N_NAIVE = 4  # matrices timed with the naive loop; the result is extrapolated to POOL


def same_matrices(seed: int, count: int) -> list[np.ndarray]:
    """Regenerate the first ``count`` matrices of ``pooled_spectra(..., rng=seed,
    dtype=float64)`` with the documented seeding (one Philox child per matrix)."""
    entropy = np.random.default_rng(seed).integers(0, 2**63, size=4).tolist()
    children = np.random.SeedSequence(entropy).spawn(POOL)[:count]
    return [STD * np.random.Generator(np.random.Philox(c)).standard_normal((N, M))
            for c in children]


def naive_loop(mats: list[np.ndarray]) -> np.ndarray:
    return np.array([np.linalg.svd(w)[1] for w in mats])


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_pooled_1000_spectra_784x500(benchmark: pytest.FixtureRequest, dtype: type) -> None:
    mats = same_matrices(0, N_NAIVE)
    start = time.perf_counter()
    reference = naive_loop(mats)
    naive_per_matrix = (time.perf_counter() - start) / N_NAIVE

    pooled = benchmark.pedantic(
        spectrum.pooled_spectra, args=(N, M, POOL),
        kwargs={"std": STD, "rng": 0, "dtype": dtype}, rounds=1, iterations=1,
    )
    seconds = benchmark.stats.stats.median
    assert pooled.shape == (POOL, M)
    rtol = 1e-4 if dtype == np.float32 else 1e-10
    if dtype == np.float64:  # identical matrices: the values must agree
        np.testing.assert_allclose(pooled[:N_NAIVE], reference, rtol=rtol)
    assert spectrum.ks_test(pooled, N, M, STD).statistic < 2e-3
    assert spectrum.fit_std(pooled, N, M) == pytest.approx(STD, rel=1e-3)
    benchmark.extra_info.update(
        pyrbm_seconds=seconds,
        naive_seconds_extrapolated=naive_per_matrix * POOL,
        speedup=naive_per_matrix * POOL / seconds,
    )
    assert seconds < 60.0, "1000 pooled 784x500 spectra must take under a minute"

"""Pooled Marchenko-Pastur spectra of random 784x500 initializations.

Run:  python3 -P -m pytest bench/bench_spectrum.py --benchmark-only -s
Per-matrix cost of ``pyrbm.analysis.spectrum.pooled_spectra`` vs a naive loop of
``np.linalg.svd`` (float64, with vectors) is timed interleaved in this process
(bench/_harness.py) on the same matrices; the full pool of 1000 is then timed once
and must take under a minute on 2 cores (default float32; float64 is reported). The
naive loop is extrapolated to 1000.
"""

from __future__ import annotations

import numpy as np
import pytest

from pyrbm import spectrum

from ._harness import interleaved_medians, report

N, M, STD, POOL = 784, 500, 0.01, 1000
BATCH = 4  # matrices per interleaved case


def same_matrices(seed: int, count: int) -> list[np.ndarray]:
    """The first ``count`` matrices of ``pooled_spectra(..., rng=seed, dtype=float64)``,
    regenerated with the documented seeding (one Philox child per matrix)."""
    entropy = np.random.default_rng(seed).integers(0, 2**63, size=4).tolist()
    children = np.random.SeedSequence(entropy).spawn(count)
    return [STD * np.random.Generator(np.random.Philox(c)).standard_normal((N, M))
            for c in children]


def naive_loop(mats: list[np.ndarray]) -> np.ndarray:
    return np.array([np.linalg.svd(w)[1] for w in mats])


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_pooled_spectra_784x500(benchmark, dtype: type) -> None:
    mats = same_matrices(0, BATCH)
    reference = naive_loop(mats)
    ours = spectrum.pooled_spectra(N, M, BATCH, std=STD, rng=0, dtype=np.float64)
    np.testing.assert_allclose(ours, reference, rtol=1e-9)  # same matrices, same values

    medians = interleaved_medians(
        {
            "numpy_svd_loop": lambda: naive_loop(mats),
            "pyrbm_pooled": lambda: spectrum.pooled_spectra(N, M, BATCH, std=STD, rng=0,
                                                            dtype=dtype),
        },
        rounds=3, warmup=1,
    )
    ratios = report(benchmark, medians, "numpy_svd_loop")
    # The naive loop also draws no random numbers: the ratio favours the baseline.
    assert ratios["pyrbm_pooled"] > 1.0

    pooled = benchmark.pedantic(
        spectrum.pooled_spectra, args=(N, M, POOL),
        kwargs={"std": STD, "rng": 0, "dtype": dtype}, rounds=1, iterations=1,
    )
    seconds = benchmark.stats.stats.median
    assert pooled.shape == (POOL, M)
    if dtype == np.float64:  # float32 draws differ (own ziggurat): check the law only
        np.testing.assert_allclose(pooled[:BATCH], reference, rtol=1e-9)
    assert spectrum.ks_test(pooled, N, M, STD).statistic < 2e-3
    assert spectrum.fit_std(pooled, N, M) == pytest.approx(STD, rel=1e-3)
    benchmark.extra_info["pool_1000_seconds"] = round(seconds, 2)
    benchmark.extra_info["numpy_svd_loop_1000_seconds_extrapolated"] = round(
        medians["numpy_svd_loop"] / BATCH * POOL, 1)
    print(f"  1000 pooled spectra: {seconds:.1f} s (numpy loop extrapolated: "
          f"{medians['numpy_svd_loop'] / BATCH * POOL:.0f} s)")
    if dtype == np.float32:  # the default; float64 is reported for reference
        assert seconds < 60.0, "1000 pooled 784x500 spectra must take under a minute"

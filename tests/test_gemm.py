"""pyrbm._gemm.matmul: equal to numpy's product, and the same bits for any thread count."""

from __future__ import annotations

import numpy as np
import pytest

import pyrbm
from pyrbm._gemm import ROW_BLOCK, matmul


@pytest.mark.parametrize("n", [1, ROW_BLOCK - 1, ROW_BLOCK, 3 * ROW_BLOCK + 5])
def test_matches_numpy(dtype: type, n: int) -> None:
    gen = np.random.default_rng(n)
    a = gen.random((n, 37)).astype(dtype)
    b = gen.random((37, 23)).astype(dtype)
    np.testing.assert_allclose(matmul(a, b), a.astype(np.float64) @ b, rtol=1e-5)
    out = np.empty((n, 23), dtype)
    assert matmul(a, b, out) is out


def test_transposed_views_and_thread_counts() -> None:
    gen = np.random.default_rng(0)
    a = gen.random((500, 784)).astype(np.float32).T  # (784, 500), K = 500
    b = gen.random((500, 100)).astype(np.float32)
    results = []
    for n in (1, 2, 3):
        with pyrbm.num_threads(n):
            results.append(matmul(a, b))
    assert all(np.array_equal(results[0], r) for r in results[1:])
    np.testing.assert_allclose(results[0], a.astype(np.float64) @ b, rtol=1e-5)

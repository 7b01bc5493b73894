"""pyrbm._gemm.matmul / _core.gemm: equal to NumPy's product, the same bits for any
thread count, bit-identical to the gather-add for {0, 1} left factors, and split into
enough fixed tasks to keep 32 cores busy."""

from __future__ import annotations

import numpy as np
import pytest

import pyrbm
from pyrbm import _core
from pyrbm._gemm import matmul


def reference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The NumPy reference: the product in float64."""
    return a.astype(np.float64) @ b.astype(np.float64)


# n: one row, fewer than a register tile (14), more than a task's rows (112), primes
@pytest.mark.parametrize("n", [1, 13, 113, 307])
@pytest.mark.parametrize("k", [1, 37, 211])
def test_matches_numpy(dtype: type, n: int, k: int) -> None:
    gen = np.random.default_rng(n * k)
    a = gen.random((n, k)).astype(dtype)
    b = gen.normal(size=(k, 23 if k != 37 else 131)).astype(dtype)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(matmul(a, b), reference(a, b), rtol=tol, atol=tol * k)
    out = np.empty((n, b.shape[1]), dtype)
    assert matmul(a, b, out) is out


def test_accumulate_and_empty_k(dtype: type) -> None:
    gen = np.random.default_rng(5)
    a, b = gen.random((59, 41)).astype(dtype), gen.random((41, 67)).astype(dtype)
    start = gen.random((59, 67)).astype(dtype)
    out = start.copy()
    _core.gemm(a, b, out, accumulate=True)
    np.testing.assert_allclose(out, start + reference(a, b), rtol=1e-5)
    empty = np.full((3, 5), 7.0, dtype)
    _core.gemm(np.empty((3, 0), dtype), np.empty((0, 5), dtype), empty)
    assert np.all(empty == 0)


def test_transposed_views_and_thread_counts(dtype: type) -> None:
    gen = np.random.default_rng(0)
    a = gen.random((500, 784)).astype(dtype).T  # (784, 500), K = 500, strided
    b = gen.random((100, 500)).astype(dtype).T  # (500, 100), strided
    results = []
    for n in (1, 2, 3):
        with pyrbm.num_threads(n):
            results.append(matmul(a, b))
    assert all(np.array_equal(results[0], r) for r in results[1:])
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(results[0], reference(a, b), rtol=tol)
    # the same bits as the product of contiguous copies: strides change no summation
    assert np.array_equal(results[0], matmul(np.ascontiguousarray(a), np.ascontiguousarray(b)))


def test_binary_left_factor_equals_gather_add(dtype: type) -> None:
    """For {0, 1} states the GEMM's FMA chain adds the selected rows in ascending order
    from 0, like the gather-add: the dense and sparse fields are the same bits."""
    gen = np.random.default_rng(3)
    rows = gen.normal(0, 0.3, (211, 157)).astype(dtype)
    for density in (0.03, 0.15, 0.5, 0.97):
        states = (gen.random((97, 211)) < density).astype(dtype)
        gathered = np.empty((97, 157), dtype)
        _core.sparse_fields(states, rows, gathered)
        assert np.array_equal(matmul(states, rows), gathered)
        # and through a transposed view of the weights (the h -> v half-sweep)
        hidden = (gen.random((97, 157)) < density).astype(dtype)
        gathered_t = np.empty((97, 211), dtype)
        _core.sparse_fields(hidden, np.ascontiguousarray(rows.T), gathered_t)
        assert np.array_equal(matmul(hidden, rows.T), gathered_t)
    # the control: real-valued inputs are rounded differently by the two orders, so
    # equality above is a property of binary states, not of a lax comparison
    real = gen.random((97, 211)).astype(dtype)
    assert not np.array_equal(matmul(real, rows), reference(real, rows).astype(dtype))


@pytest.mark.parametrize("density", [0.05, 0.35, 0.9])  # one row block; row blocks of 64
def test_gather_add_accumulates_in_ascending_order(dtype: type, density: float) -> None:
    """accumulate=True continues each entry's sum from out: fields of the first 150
    inputs, then the rest accumulated, are the bits of one product over all of them
    (the statistics' data rows then chain rows), also across row blocks of the dense
    inputs; and they equal the GEMM's FMA chain."""
    gen = np.random.default_rng(31)
    rows = gen.normal(0, 0.3, (211, 157)).astype(dtype)
    states = (gen.random((67, 211)) < density).astype(dtype)
    whole = np.empty((67, 157), dtype)
    _core.sparse_fields(states, rows, whole)
    assert np.array_equal(whole, matmul(states, rows))
    split = np.empty((67, 157), dtype)
    _core.sparse_fields(np.ascontiguousarray(states[:, :150]), rows[:150], split)
    _core.sparse_fields(np.ascontiguousarray(states[:, 150:]), rows[150:], split,
                        accumulate=True)
    assert np.array_equal(split, whole)
    # the control: starting the second part from zero loses the first part's sums
    fresh = np.empty((67, 157), dtype)
    _core.sparse_fields(np.ascontiguousarray(states[:, 150:]), rows[150:], fresh)
    assert not np.allclose(fresh, whole)


@pytest.mark.parametrize("n_in", [400, 784, 1201])
def test_gather_add_prefetching_rows_keeps_the_sums(dtype: type, n_in: int) -> None:
    """Where a tile's slice of rows exceeds 64 KB (above ~130-340 inputs) and the inputs
    are too sparse for row blocks, each row is prefetched 8 ones ahead: lists shorter and
    longer than that give the GEMM's bits, in sparse_fields and in the sweeps' sparse
    path (whose v -> h half reads n_in rows)."""
    gen = np.random.default_rng(n_in)
    rows = gen.normal(0, 0.3, (n_in, 157)).astype(dtype)
    for density in (0.002, 0.01, 0.13):
        states = (gen.random((67, n_in)) < density).astype(dtype)
        out = np.empty((67, 157), dtype)
        _core.sparse_fields(states, rows, out)
        assert np.array_equal(out, matmul(states, rows)), density
    # a negative visible bias keeps the sweeps' visible states sparse (~5 % ones)
    rbm = pyrbm.RBM(rows * dtype(0.1), np.full(n_in, -3.0, dtype), np.zeros(157, dtype))
    v_dense, h_dense = rbm.gibbs(states, 3, rng=4, path="dense")
    v_sparse, h_sparse = rbm.gibbs(states, 3, rng=4, path="sparse")
    assert 0.01 < v_sparse.mean() < 0.15
    np.testing.assert_array_equal(v_sparse, v_dense)
    np.testing.assert_array_equal(h_sparse, h_dense)


def test_task_count_scales_past_two_cores() -> None:
    """1000 chains at 784 x 500: at least 32 fixed tasks in both directions and dtypes."""
    for elem_size in (4, 8):
        assert _core.gemm_tasks(1000, 500, elem_size) >= 32  # v -> h fields
        assert _core.gemm_tasks(1000, 784, elem_size) >= 32  # h -> v fields
    # row blocks of 8 register tiles x column blocks of 4 (AVX-512 float32: 9 x 4 = 36)
    rows, cols = _core.gemm_tile(4)
    assert _core.gemm_tasks(1000, 500, 4) == -(-1000 // (8 * rows)) * -(-500 // (4 * cols))
    assert (rows, cols) in ((14, 32), (6, 16), (6, 8))  # AVX-512, AVX2, SSE
    assert _core.gemm_tile(8) == (rows, cols // 2)
    assert _core.gemm_tasks(1, 1, 4) == 1


def test_bad_arguments_raise_named_errors() -> None:
    a = np.ones((4, 5), np.float32)
    with pytest.raises(ValueError, match="b: dimension 0 must be 5"):
        _core.gemm(a, np.ones((6, 3), np.float32), np.empty((4, 3), np.float32))
    with pytest.raises(TypeError, match="a: expected dtype float32"):
        _core.gemm(a.astype(np.float64), np.ones((5, 3), np.float32), np.empty((4, 3), np.float32))
    with pytest.raises(ValueError, match="out: dimension 1 must be 3"):
        _core.gemm(a, np.ones((5, 3), np.float32), np.empty((4, 2), np.float32))
    with pytest.raises(ValueError, match="out: array must be C-contiguous"):
        _core.gemm(a, np.ones((5, 3), np.float32), np.empty((3, 4), np.float32).T)
    with pytest.raises(ValueError, match="a: expected 2 dimensions"):
        _core.gemm(np.ones(5, np.float32), np.ones((5, 3), np.float32), np.empty((1, 3), np.float32))

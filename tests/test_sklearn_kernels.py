"""The drop-in's kernels (pyrbm.sklearn._kernels and the engine calls behind them):
the transpose kernel, the PCD-1 update and the fused engine update against NumPy
references with the same Philox uniforms, and their argument checks."""

from __future__ import annotations

import numpy as np
import pytest

import pyrbm
from pyrbm import _core
from pyrbm._rng import draw_key
from pyrbm.sklearn import _kernels as _pcd

from .sklearn_cases import BATCH, N_COMPONENTS, N_FEATURES, reference_update


# -- the transpose kernel (csrc/layout.cpp) -----------------------------------------------
@pytest.mark.parametrize(
    "shape", [(1, 1), (1, 37), (31, 1), (8, 4), (17, 9), (97, 67), (64, 32), (131, 257)])
def test_transpose_kernel_matches_numpy(dtype: type, shape: tuple[int, int]) -> None:
    src = np.random.default_rng(0).random(shape).astype(dtype)
    out = np.full(shape[::-1], np.nan, dtype)
    with pyrbm.num_threads(2):
        _core.transpose(src, out)
    np.testing.assert_array_equal(out, src.T)


def test_transpose_kernel_rejects_bad_arrays() -> None:
    src = np.zeros((3, 5))
    with pytest.raises(ValueError, match="out"):
        _core.transpose(src, np.zeros((3, 5)))  # wrong shape
    with pytest.raises(TypeError, match="out"):
        _core.transpose(src, np.zeros((5, 3), np.float32))  # wrong dtype
    with pytest.raises(ValueError, match="src"):
        _core.transpose(np.zeros((5, 3)).T, np.zeros((5, 3)))  # not C-contiguous
    square = np.zeros((4, 4))
    with pytest.raises(ValueError, match="share memory"):
        _core.transpose(square, square)


@pytest.mark.parametrize("h_density", [0.1, 0.8], ids=["sparse_chains", "dense_chains"])
@pytest.mark.parametrize("binary", [True, False], ids=["binary", "real"])
@pytest.mark.parametrize("n_pos", [BATCH, 3, 11])
def test_pcd_update_matches_numpy_reference(
    dtype: type, binary: bool, n_pos: int, h_density: float
) -> None:
    gen = np.random.default_rng(5)
    v_pos = gen.random((n_pos, N_FEATURES))
    v_pos = (v_pos < 0.2).astype(dtype) if binary else v_pos.astype(dtype)
    comp = gen.normal(0, 0.5, (N_COMPONENTS, N_FEATURES)).astype(dtype)
    a = gen.normal(0, 0.5, N_FEATURES).astype(dtype)
    b = gen.normal(0, 0.5, N_COMPONENTS).astype(dtype)
    h_samples = (gen.random((BATCH, N_COMPONENTS)) < h_density).astype(dtype)
    key, sweep = draw_key(gen), 17
    # The sparse chains take the gather-add path for h -> v, the dense ones the GEMM.
    assert (_core.density(h_samples) < _core.SPARSE_DENSITY) == (h_density < 0.25)
    expected = reference_update(v_pos, comp, a, b, h_samples, 0.3, key, sweep)
    weights, a_new, b_new = np.ascontiguousarray(comp.T), a.copy(), b.copy()
    h_new = _pcd.pcd_update(v_pos, weights, a_new, b_new, h_samples, 0.3, binary, key, sweep)
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-13}
    np.testing.assert_allclose(weights.T, expected[0], **tol)
    np.testing.assert_allclose(a_new, expected[1], **tol)
    np.testing.assert_allclose(b_new, expected[2], **tol)
    np.testing.assert_array_equal(h_new, expected[3])
    assert h_new.dtype == dtype


@pytest.mark.parametrize("h_density", [0.1, 0.8])
def test_fused_pcd_kernel_matches_numpy_reference(dtype: type, h_density: float) -> None:
    """``_core.hidden_chain_update`` (the whole update in C++) on shapes with several
    column tiles and a partial one, more chains than batch rows."""
    gen = np.random.default_rng(9)
    n_visible, n_hidden, n_pos, n_chains = 301, 157, 37, 53
    v_pos = (gen.random((n_pos, n_visible)) < 0.15).astype(dtype)
    comp = gen.normal(0, 0.3, (n_hidden, n_visible)).astype(dtype)
    a, b = gen.normal(0, 0.5, n_visible).astype(dtype), gen.normal(-1, 0.5, n_hidden).astype(dtype)
    h_samples = (gen.random((n_chains, n_hidden)) < h_density).astype(dtype)
    key, sweep = draw_key(gen), 5
    expected = reference_update(v_pos, comp, a, b, h_samples, 0.2, key, sweep)
    weights, h_next = np.ascontiguousarray(comp.T), np.empty_like(h_samples)
    _core.hidden_chain_update(v_pos, True, h_samples, weights, a, b, 0.2, key, sweep, h_next)
    tol = {"rtol": 1e-5, "atol": 1e-5} if dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-12}
    np.testing.assert_allclose(weights.T, expected[0], **tol)
    np.testing.assert_allclose(a, expected[1], **tol)
    np.testing.assert_allclose(b, expected[2], **tol)
    np.testing.assert_array_equal(h_next, expected[3])


def test_fused_pcd_kernel_rejects_bad_arrays() -> None:
    w, a, b = np.zeros((6, 4)), np.zeros(6), np.zeros(4)
    v, h, out = np.zeros((3, 6)), np.zeros((2, 4)), np.zeros((2, 4))
    cases = [
        ({"v_pos": np.zeros((3, 5))}, ValueError, "v_pos"),
        ({"v_pos": np.zeros((0, 6))}, ValueError, "v_pos: empty"),
        ({"h_samples": np.zeros((2, 3))}, ValueError, "h_samples"),
        ({"h_next": np.zeros((3, 4))}, ValueError, "h_next"),
        ({"hidden_bias": np.zeros(5)}, ValueError, "hidden_bias"),
        ({"weights": np.zeros((4, 6)).T}, ValueError, "weights"),
        ({"v_pos": v.astype(np.float32)}, TypeError, "v_pos"),
        ({"h_samples": np.full((2, 4), 0.5)}, ValueError, "h_samples: states must be binary"),
        ({"v_pos": np.full((3, 6), 0.5)}, ValueError, "v_pos: states must be binary"),
    ]
    for change, error, match in cases:
        args = {"v_pos": v, "h_samples": h, "weights": w, "visible_bias": a,
                "hidden_bias": b, "h_next": out} | change
        with pytest.raises(error, match=match):
            _core.hidden_chain_update(args["v_pos"], True, args["h_samples"], args["weights"],
                                      args["visible_bias"], args["hidden_bias"], 0.1, (1, 2),
                                      0, args["h_next"])


def test_pcd_update_rejects_non_binary_chains(dtype: type) -> None:
    """Non-binary persistent states (set by a user) are refused by name: the update's
    gather-add only sums rows."""
    gen = np.random.default_rng(8)
    v_pos = (gen.random((BATCH, N_FEATURES)) < 0.2).astype(dtype)
    weights = np.zeros((N_FEATURES, N_COMPONENTS), dtype)
    a, b = np.zeros(N_FEATURES, dtype), np.zeros(N_COMPONENTS, dtype)
    h_samples = np.where(gen.random((BATCH, N_COMPONENTS)) < 0.1, 0.5, 0.0).astype(dtype)
    with pytest.raises(ValueError, match="h_samples"):
        _pcd.pcd_update(v_pos, weights, a, b, h_samples, 0.3, True, draw_key(gen), 0)

"""Reciprocal-space identities E1-E10, gauge fixing and mode tracking."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pyrbm
from pyrbm import reciprocal

from .conftest import all_states, small_rbm


def joint_states(n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Every (v, h) pair, shapes (2**(n+m), n) and (2**(n+m), m)."""
    s = all_states(n + m)
    return np.ascontiguousarray(s[:, :n]), np.ascontiguousarray(s[:, n:])


@pytest.mark.parametrize("shape", [(7, 5), (5, 7)], ids=["N>M", "N<M"])
def test_e6_equals_e1_for_every_state(shape: tuple[int, int], dtype: type) -> None:
    rbm = small_rbm(*shape, std=1.0, dtype=dtype, seed=3)
    dec = reciprocal.decompose(rbm)
    v, h = joint_states(*shape)
    x, y = dec.to_reciprocal(v, h)
    expected = rbm.energy(v.astype(dtype), h.astype(dtype), beta=0.7).astype(np.float64)
    tol = 1e-4 if dtype == np.float32 else 1e-11
    np.testing.assert_allclose(dec.energy(x, y, beta=0.7), expected, rtol=tol, atol=tol)
    vb, hb = dec.from_reciprocal(x, y)
    np.testing.assert_allclose(vb, v, atol=1e-12)
    np.testing.assert_allclose(hb, h, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 6), m=st.integers(1, 6), seed=st.integers(0, 2**32 - 1))
def test_e6_e10_hold_for_any_shape(n: int, m: int, seed: int) -> None:
    rbm = small_rbm(n, m, std=1.0, dtype=np.float64, seed=seed)
    dec = reciprocal.decompose(rbm)
    gen = np.random.default_rng(seed)
    v = gen.integers(0, 2, (16, n)).astype(np.float64)
    h = gen.integers(0, 2, (16, m)).astype(np.float64)
    x, y = dec.to_reciprocal(v, h)
    expected = rbm.energy(v, h)
    np.testing.assert_allclose(dec.energy(x, y), expected, atol=1e-10)
    if np.all(dec.singular_values > 1e-3):  # E10 divides by lam
        np.testing.assert_allclose(dec.energy_from_z(dec.z(x, y)), expected, atol=1e-8)


@pytest.mark.parametrize("shape", [(11, 7), (7, 11)])
def test_decomposition_and_gauge(shape: tuple[int, int]) -> None:
    rbm = small_rbm(*shape, std=0.5, dtype=np.float64, seed=5)
    dec = reciprocal.decompose(rbm)
    n, m = shape
    k = min(n, m)
    assert dec.U.shape == (n, n) and dec.V.shape == (m, m) and dec.n_modes == k
    np.testing.assert_allclose(dec.U.T @ dec.U, np.eye(n), atol=1e-12)
    np.testing.assert_allclose(dec.V.T @ dec.V, np.eye(m), atol=1e-12)
    assert np.all(np.diff(dec.singular_values) <= 0)
    sigma = np.zeros(shape)
    sigma[:k, :k] = np.diag(dec.singular_values)
    np.testing.assert_allclose(dec.U @ sigma @ dec.V.T, rbm.weights, atol=1e-12)
    np.testing.assert_allclose(dec.a0, dec.U.T @ rbm.visible_bias, atol=1e-12)
    np.testing.assert_allclose(dec.b0, dec.V.T @ rbm.hidden_bias, atol=1e-12)
    assert np.all(dec.U.sum(axis=0) > 0)
    assert np.all(dec.V[:, k:].sum(axis=0) > 0)  # unpaired columns (N < M)
    # The gauge is a property of W, not of the SVD routine: flipping inputs' pair
    # signs cannot change it.
    again = reciprocal.decompose(rbm.weights.copy())
    np.testing.assert_allclose(again.U, dec.U, atol=1e-12)
    assert np.all(again.a0 == 0) and np.all(again.b0 == 0)


def test_gradient_vanishes_at_saddle_and_matches_finite_differences() -> None:
    dec = reciprocal.decompose(small_rbm(9, 6, std=1.0, dtype=np.float64, seed=8))
    xs, ys = dec.saddle_points()
    gen = np.random.default_rng(0)
    x, y = gen.normal(size=(1, 9)), gen.normal(size=(1, 6))
    x[0, :6], y[0, :6] = xs, ys
    gx, gy = dec.gradient(x, y)
    np.testing.assert_allclose(gx[0, :6], 0, atol=1e-12)
    np.testing.assert_allclose(gy[0], 0, atol=1e-12)
    np.testing.assert_allclose(gx[0, 6:], -dec.a0[6:])  # unpaired: constant slope
    # E6 is quadratic: central differences are exact up to rounding.
    step = 1e-3
    for i in range(9):
        e = np.zeros((1, 9))
        e[0, i] = step
        fd = (dec.energy(x + e, y) - dec.energy(x - e, y)) / (2 * step)
        np.testing.assert_allclose(fd, gx[:, i], atol=1e-8)
    x2, y2 = gen.normal(size=(4, 9)), gen.normal(size=(4, 6))
    for j in range(6):
        e = np.zeros((1, 6))
        e[0, j] = step
        fd = (dec.energy(x2, y2 + e) - dec.energy(x2, y2 - e)) / (2 * step)
        np.testing.assert_allclose(fd, dec.gradient(x2, y2)[1][:, j], atol=1e-8)


def test_hessian_is_a_saddle_of_curvature_lambda() -> None:
    dec = reciprocal.decompose(small_rbm(6, 8, std=1.0, dtype=np.float64, seed=9))
    xs, ys = dec.saddle_points()
    x0, y0 = np.zeros((1, 6)), np.zeros((1, 8))
    x0[0, :6], y0[0, :6] = xs, ys
    step = 1e-2
    for i in range(dec.n_modes):
        ex, ey = np.zeros((1, 6)), np.zeros((1, 8))
        ex[0, i], ey[0, i] = step, step

        def e(dx: float, dy: float) -> float:
            return float(dec.energy(x0 + dx * ex / step, y0 + dy * ey / step)[0])

        hxx = (e(step, 0) - 2 * e(0, 0) + e(-step, 0)) / step**2
        hyy = (e(0, step) - 2 * e(0, 0) + e(0, -step)) / step**2
        hxy = (e(step, step) - e(step, -step) - e(-step, step) + e(-step, -step)) / (4 * step**2)
        fd = np.array([[hxx, hxy], [hxy, hyy]])
        np.testing.assert_allclose(fd, dec.hessians()[i], atol=1e-7)
        np.testing.assert_allclose(np.linalg.eigvalsh(fd), dec.hessian_eigenvalues()[i],
                                   atol=1e-7)
    lam = dec.singular_values
    np.testing.assert_allclose(dec.hessian_eigenvalues(), np.stack([-lam, lam], 1))


@pytest.mark.parametrize("shape", [(7, 4), (4, 7)], ids=["N>M", "N<M"])
def test_e10_expansion_and_saddle_energies(shape: tuple[int, int]) -> None:
    n, m = shape
    rbm = small_rbm(n, m, std=1.0, dtype=np.float64, seed=11)
    dec = reciprocal.decompose(rbm)
    v, h = joint_states(n, m)
    x, y = dec.to_reciprocal(v, h)
    z = dec.z(x, y)
    assert z.shape == (2 ** (n + m), n + m)
    u, w = dec.to_uw(x, y)
    np.testing.assert_array_equal(z[:, min(n, m)], w[:, 0])  # "z_{M+1}" is w_1 (N > M)
    np.testing.assert_allclose(dec.energy_from_z(z, beta=1.3),
                               rbm.energy(v, h, beta=1.3), atol=1e-10)
    lam, a0, b0 = dec.singular_values, dec.a0, dec.b0
    k = min(n, m)
    np.testing.assert_allclose(dec.saddle_energies(), a0[:k] * b0[:k] / lam)
    xs, ys = dec.saddle_points()
    np.testing.assert_allclose(xs, -b0[:k] / lam)
    np.testing.assert_allclose(ys, -a0[:k] / lam)
    # At the saddle (unpaired coordinates 0) the energy is the total saddle energy.
    x0, y0 = np.zeros((1, n)), np.zeros((1, m))
    x0[0, :k], y0[0, :k] = xs, ys
    np.testing.assert_allclose(dec.energy(x0, y0), dec.saddle_energies().sum())


def test_polar_coordinates() -> None:
    dec = reciprocal.decompose(small_rbm(8, 5, std=1.0, dtype=np.float64, seed=2))
    v = np.random.default_rng(1).integers(0, 2, (20, 8)).astype(np.float64)
    x, y = dec.project(v)
    h = pyrbm.RBM(dec.weights, dec.visible_bias, dec.hidden_bias).hidden_probs(v)
    np.testing.assert_allclose(y, h @ dec.V)
    r, theta = dec.polar(x, y)
    xs, ys = dec.saddle_points()
    np.testing.assert_allclose(r, np.hypot(x[:, :5] - xs, y[:, :5] - ys))
    u, w = dec.to_uw(x, y)
    np.testing.assert_allclose(r * np.cos(theta), u, atol=1e-12)
    np.testing.assert_allclose(r * np.sin(theta), w, atol=1e-12)
    r2, t2 = dec.polar(x, y, modes=np.array([3, 0]))
    np.testing.assert_array_equal(r2, r[:, [3, 0]])
    np.testing.assert_array_equal(t2, theta[:, [3, 0]])
    with pytest.raises(ValueError, match="modes"):
        dec.polar(x, y, modes=np.array([5]))


def test_entropy_and_traces_match_direct_formulas() -> None:
    rbm = small_rbm(13, 7, std=0.3, dtype=np.float32, seed=4)
    w = rbm.weights.astype(np.float64)
    dec = reciprocal.decompose(rbm)
    lam = np.linalg.svd(w, compute_uv=False)
    wwt = w @ w.T
    assert reciprocal.weight_entropy(rbm) == pytest.approx(-np.sum(lam * np.log(lam)))
    assert dec.entropy() == pytest.approx(-np.sum(lam * np.log(lam)))
    assert reciprocal.trace_wwt(w) == pytest.approx(np.trace(wwt) / (13 * 7))
    assert dec.trace_wwt() == pytest.approx(np.trace(wwt) / (13 * 7))
    assert reciprocal.trace_wwt_squared(w) == pytest.approx(np.trace(wwt @ wwt) / (13 * 49))
    assert dec.trace_wwt_squared() == pytest.approx(np.trace(wwt @ wwt) / (13 * 49))


def test_validation_names_arguments() -> None:
    dec = reciprocal.decompose(np.eye(3, 2))
    with pytest.raises(TypeError, match="rbm"):
        reciprocal.decompose([[1.0]])
    with pytest.raises(ValueError, match="rbm"):
        reciprocal.decompose(np.full((2, 2), np.nan))
    with pytest.raises(ValueError, match="v"):
        dec.to_reciprocal(np.zeros((1, 2)), np.zeros((1, 2)))
    with pytest.raises(ValueError, match="h"):
        dec.to_reciprocal(np.zeros((2, 3)), np.zeros((1, 2)))
    with pytest.raises(ValueError, match="beta"):
        dec.energy(np.zeros((1, 3)), np.zeros((1, 2)), beta=np.inf)
    with pytest.raises(ValueError, match="singular_values"):
        reciprocal.decompose(np.zeros((3, 2))).saddle_points()
    with pytest.raises(ValueError, match="order"):
        dec.reordered(np.array([0, 0]), np.ones(2))

"""pyrbm.dynamics.probing and the low-rank visible kernel (csrc/modes.*): hierarchical probing."""

from __future__ import annotations

import numpy as np
import pytest

import pyrbm
from pyrbm import _core, probing
from pyrbm._rng import STREAMS, draw_key
from pyrbm.analysis.svd import thin_svd
from .conftest import small_rbm


def probing_uniforms(key, n_chains, n_visible, dtype):
    u = np.empty((n_chains, n_visible), dtype)
    for c in range(n_chains):
        _core.uniform_row(u[c], key, 0, c, STREAMS["probing"])
    return u


def reference_lowrank(rbm, h, rank, rotation, beta, key):
    """NumPy: p = sigmoid(beta (a + U_r R diag(s_r) V_r^T h)), v = u < p."""
    svd = thin_svd(rbm.weights)
    u_r, s_r, v_r = svd.u[:, :rank], svd.s[:rank], svd.v[:, :rank]
    y = h.astype(np.float64) @ v_r
    fields = rbm.visible_bias + (y * s_r) @ rotation.T @ u_r.T
    p = 1 / (1 + np.exp(-beta * fields))
    uniforms = probing_uniforms(key, h.shape[0], rbm.n_visible, rbm.dtype)
    return p, uniforms


def hidden_states(n, m, seed, dtype):
    return (np.random.default_rng(seed).random((n, m)) < 0.4).astype(dtype)


@pytest.mark.parametrize("shape", [(13, 7), (7, 13)])
def test_identity_full_rank_equals_standard_conditional(shape, dtype):
    rbm = small_rbm(*shape, std=0.8, dtype=dtype, seed=1)
    h = hidden_states(37, shape[1], 2, dtype)
    model = probing.LowRankModel(rbm)
    v, p = model.sample_visible(h, beta=0.7, rng=5, return_probs=True)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(p, rbm.visible_probs(h, beta=0.7), atol=tol)
    # the states are u < p with the probing stream's uniforms
    u = probing_uniforms(draw_key(5), h.shape[0], shape[0], dtype)
    expected = (u < rbm.visible_probs(h, beta=0.7)).astype(dtype)
    near_tie = np.abs(u - p) < 10 * tol
    np.testing.assert_array_equal(v[~near_tie], expected[~near_tie])


@pytest.mark.parametrize(
    "shape, rank",
    [((17, 11), 5),  # one partial field tile, rank below one padded vector
     ((307, 37), 23)],  # several field tiles (128) with a partial one, two padded vectors
)
def test_kernel_matches_numpy_reference_with_rotation_and_truncation(dtype, shape, rank):
    rbm = small_rbm(*shape, std=0.8, dtype=dtype, seed=3)
    h = hidden_states(29, shape[1], 4, dtype)
    rotation = probing.random_plane_rotations(rank, first_mode=1, angle=0.7, rng=2)
    model = probing.LowRankModel(rbm, rank)
    v, p = model.sample_visible(h, rotation=rotation, beta=1.3, rng=8, return_probs=True)
    ref_p, u = reference_lowrank(rbm, h, rank, rotation, 1.3, draw_key(8))
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(p, ref_p, atol=tol)
    near_tie = np.abs(u - ref_p) < 10 * tol
    np.testing.assert_array_equal(v[~near_tie], (u < ref_p)[~near_tie].astype(dtype))


def test_thread_invariance():
    rbm = small_rbm(41, 23, std=0.5, dtype=np.float32, seed=5)
    h = hidden_states(300, 23, 6, np.float32)
    model = probing.LowRankModel(rbm, 7)
    rotation = probing.plane_rotation(7, 0, 1)
    with pyrbm.num_threads(1):
        one = model.sample_visible(h, rotation=rotation, rng=3, return_probs=True)
    with pyrbm.num_threads(2):
        two = model.sample_visible(h, rotation=rotation, rng=3, return_probs=True)
    np.testing.assert_array_equal(one[0], two[0])
    np.testing.assert_array_equal(one[1], two[1])


def test_rotations():
    r = probing.plane_rotation(4, 0, 2, np.pi / 2)
    np.testing.assert_allclose(r @ [1, 0, 0, 0], [0, 0, 1, 0], atol=1e-15)
    scramble = probing.random_plane_rotations(12, first_mode=5, rng=0)
    np.testing.assert_allclose(scramble @ scramble.T, np.eye(12), atol=1e-12)
    np.testing.assert_array_equal(scramble[:5, :5], np.eye(5))
    np.testing.assert_array_equal(scramble[:5, 5:], 0)


def hierarchical_rbm() -> pyrbm.RBM:
    """Two strong modes (the 'coarse features') on top of a weak bulk."""
    gen = np.random.default_rng(0)
    n, m = 40, 24
    u = np.linalg.qr(gen.normal(size=(n, n)))[0][:, :m]
    v = np.linalg.qr(gen.normal(size=(m, m)))[0]
    s = np.r_[6.0, 5.0, np.full(m - 2, 0.05)]
    w = (u * s) @ v.T
    return pyrbm.RBM(w, np.zeros(n), np.zeros(m))


def test_low_modes_barely_matter_top_modes_do():
    rbm = hierarchical_rbm()
    scramble = probing.random_plane_rotations(24, first_mode=5, rng=1)
    top = probing.plane_rotation(24, 0, 1)
    low = probing.probe(rbm, scramble, n_chains=200, n_sweeps=20, rng=2)
    high = probing.probe(rbm, top, n_chains=200, n_sweeps=20, rng=2)
    # same Gibbs samples (same seed), so the comparison isolates the rotation
    np.testing.assert_array_equal(low.h_model, high.h_model)
    assert low.probability_change < 0.05
    assert high.probability_change > 0.2
    assert high.pixel_change > 5 * low.pixel_change
    identity = probing.probe(rbm, np.eye(24), n_chains=50, n_sweeps=5, rng=3)
    assert identity.pixel_change == 0.0 and identity.probability_change == 0.0


def test_bad_input():
    rbm = small_rbm(7, 5, std=0.3, dtype=np.float64, seed=0)
    model = probing.LowRankModel(rbm, 3)
    h = hidden_states(4, 5, 0, np.float64)
    with pytest.raises(ValueError, match="rotation"):
        model.sample_visible(h, rotation=np.eye(4))
    with pytest.raises(ValueError, match="rank"):
        probing.LowRankModel(rbm, 6)
    with pytest.raises(TypeError, match="rbm"):
        probing.LowRankModel("rbm")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="h"):
        model.sample_visible(h * 0.5)
    with pytest.raises(TypeError, match="h"):
        model.sample_visible(h.astype(np.float32))
    with pytest.raises(ValueError, match="i, j"):
        probing.plane_rotation(3, 1, 1)
    with pytest.raises(ValueError, match="first_mode"):
        probing.random_plane_rotations(6, first_mode=5)
    with pytest.raises(ValueError, match="rotation"):  # direct kernel call
        _core.lowrank_sample_visible(h, np.zeros((5, 3)), np.eye(2), np.ones(3), np.zeros((3, 7)),
                                     np.zeros(7), 1.0, (1, 2), 0, 0, 6, np.empty((4, 7)))


def test_gauge_matches_reciprocal_decompose():
    rbm = small_rbm(11, 7, std=0.5, dtype=np.float64, seed=8)
    svd = thin_svd(rbm.weights)
    full = pyrbm.analysis.reciprocal.decompose(rbm)
    np.testing.assert_allclose(svd.s, full.singular_values, atol=1e-12)
    np.testing.assert_allclose(svd.u, full.U[:, :7], atol=1e-10)
    np.testing.assert_allclose(svd.v, full.V, atol=1e-10)

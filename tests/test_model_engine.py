"""The engine (csrc/engine.*): k Gibbs sweeps in one call and one update's gradient in
one call, against NumPy references; every path gives the same bits."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

import pyrbm
from pyrbm import _core
from pyrbm._rng import STREAMS

from .conftest import small_rbm

N_VISIBLE, N_HIDDEN, N_CHAINS = 211, 157, 97  # distinct primes
PATHS = {"auto": 0, "dense": 1, "sparse": 2}


def uniforms(key: tuple[int, int], sweep: int, n: int, width: int, stream: str, dtype: type,
             chain_offset: int = 0) -> np.ndarray:
    out = np.empty((n, width), dtype)
    for c in range(n):
        _core.uniform_row(out[c], key, sweep, chain_offset + c, STREAMS[stream])
    return out


def reference_sweeps(rbm: pyrbm.RBM, v: np.ndarray, key: tuple[int, int], n_sweeps: int,
                     beta: float, chain_offset: int = 0) -> tuple[np.ndarray, np.ndarray, float]:
    """NumPy Gibbs sweeps with the engine's uniforms; also the smallest |u - p| met (a
    sample can only differ from the kernel's where a uniform is within rounding of p)."""
    w, a, b = (x.astype(np.float64) for x in (rbm.weights, rbm.visible_bias, rbm.hidden_bias))
    v, closest, dt = v.astype(np.float64), np.inf, rbm.dtype.type
    for s in range(n_sweeps):
        ph = expit(beta * (v @ w + b))
        u = uniforms(key, s, len(v), rbm.n_hidden, "hidden", dt, chain_offset)
        closest, h = min(closest, np.abs(u - ph).min()), (u < ph).astype(np.float64)
        pv = expit(beta * (h @ w.T + a))
        u = uniforms(key, s, len(v), rbm.n_visible, "visible", dt, chain_offset)
        closest, v = min(closest, np.abs(u - pv).min()), (u < pv).astype(np.float64)
    return v.astype(rbm.dtype), h.astype(rbm.dtype), float(closest)


@pytest.mark.parametrize("hidden_bias", [0.0, -2.5])  # ~50 % and ~10 % hidden active
def test_gibbs_chains_matches_numpy_reference(dtype: type, hidden_bias: float) -> None:
    rbm = small_rbm(N_VISIBLE, N_HIDDEN, 0.3, dtype, seed=7)
    rbm.hidden_bias[...] += dtype(hidden_bias)
    n = 29  # 2 sweeps x 29 chains x 368 units: ~21k draws, none near its threshold
    v0 = (np.random.default_rng(8).random((n, N_VISIBLE)) < 0.15).astype(dtype)
    key, beta = (123, 456), 0.9
    ref_v, ref_h, closest = reference_sweeps(rbm, v0, key, 2, beta, chain_offset=5)
    # the seed keeps every uniform farther from its threshold than float rounding of p
    # (float32 fields and sigmoid: a few 1e-7), so the samples must agree exactly
    assert closest > (2e-6 if dtype == np.float32 else 1e-12)
    for code in PATHS.values():
        v, h = v0.copy(), np.empty((n, N_HIDDEN), dtype)
        _core.gibbs_chains(v, h, rbm.weights, rbm.visible_bias, rbm.hidden_bias, beta, code,
                           key, 0, 5, 2)
        assert np.array_equal(v, ref_v) and np.array_equal(h, ref_h)


@pytest.mark.parametrize("hidden_bias", [0.0, -2.5])
def test_paths_give_the_same_bits(dtype: type, hidden_bias: float) -> None:
    """Dense, sparse and auto sum the same terms in the same order: identical samples,
    also over many sweeps where one rounding difference would make the chains diverge."""
    rbm = small_rbm(N_VISIBLE, N_HIDDEN, 0.5, dtype, seed=3)
    rbm.hidden_bias[...] += dtype(hidden_bias)
    v0 = (np.random.default_rng(4).random((N_CHAINS, N_VISIBLE)) < 0.15).astype(dtype)
    runs = {path: rbm.gibbs(v0, 25, rng=11, path=path) for path in PATHS}
    for path in ("sparse", "auto"):
        assert np.array_equal(runs[path][0], runs["dense"][0]), path
        assert np.array_equal(runs[path][1], runs["dense"][1]), path
    # the control: another key gives other chains, so equality above is not vacuous
    other = rbm.gibbs(v0, 25, rng=12, path="dense")
    assert not np.array_equal(other[0], runs["dense"][0])


def reference_gradient(rbm: pyrbm.RBM, data: np.ndarray, chains_after: np.ndarray,
                       s_d: float, s_m: float, mu: np.ndarray | None, lam: np.ndarray | None
                       ) -> tuple[np.ndarray, ...]:
    w, b = rbm.weights.astype(np.float64), rbm.hidden_bias.astype(np.float64)
    d, v = data.astype(np.float64), chains_after.astype(np.float64)
    pd, pm = expit(d @ w + b), expit(v @ w + b)
    m0 = 0.0 if mu is None else mu.astype(np.float64)
    l0 = 0.0 if lam is None else lam.astype(np.float64)
    grad_w = s_d * (d - m0).T @ (pd - l0) - s_m * (v - m0).T @ (pm - l0)
    grad_a = s_d * d.sum(0) - s_m * v.sum(0)
    grad_b = s_d * pd.sum(0) - s_m * pm.sum(0)
    return grad_w, grad_a, grad_b, s_d * pd.sum(0)


# sparse, row-blocked gather-add, dense binary (GEMM), intensities
@pytest.mark.parametrize("density", [0.12, 0.4, 0.85, None])
@pytest.mark.parametrize("centered", [False, True])
def test_chain_gradient_matches_numpy_reference(dtype: type, density: float | None,
                                                centered: bool) -> None:
    rbm = small_rbm(N_VISIBLE, N_HIDDEN, 0.3, dtype, seed=9)
    gen = np.random.default_rng(10)
    n_data = 53
    if density is None:
        data = gen.random((n_data, N_VISIBLE)).astype(dtype)
    else:
        data = (gen.random((n_data, N_VISIBLE)) < density).astype(dtype)
    chains = (gen.random((N_CHAINS, N_VISIBLE)) < 0.2).astype(dtype)
    mu = gen.random(N_VISIBLE).astype(dtype) if centered else None
    lam = gen.random(N_HIDDEN).astype(dtype) if centered else None
    key, k, offset, s_d, s_m = (5, 6), 2, 3, 1 / 61, 1 / 101
    # the chains after the update's sweeps: the same sweeps as gibbs_chains, auto path
    after = chains.copy()
    _core.gibbs_chains(after, np.empty((N_CHAINS, N_HIDDEN), dtype), rbm.weights,
                       rbm.visible_bias, rbm.hidden_bias, 1.0, 0, key, 0, offset, k)
    outs = [np.empty_like(rbm.weights), np.empty_like(rbm.visible_bias),
            np.empty_like(rbm.hidden_bias), np.empty_like(rbm.hidden_bias)]
    _core.chain_gradient(data, density is not None, chains, rbm.weights, rbm.visible_bias,
                         rbm.hidden_bias, k, key, offset, s_d, s_m, mu, lam, *outs)
    assert np.array_equal(chains, after)
    tol = 2e-5 if dtype == np.float32 else 1e-12
    for got, want in zip(outs, reference_gradient(rbm, data, after, s_d, s_m, mu, lam)):
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol * np.abs(want).max())


def test_chain_gradient_rejects_bad_arguments() -> None:
    rbm = small_rbm(7, 5, 0.3, np.float32, seed=1)
    data = np.zeros((3, 7), np.float32)
    outs = [np.empty((7, 5), np.float32), np.empty(7, np.float32), np.empty(5, np.float32),
            np.empty(5, np.float32)]
    args = (rbm.weights, rbm.visible_bias, rbm.hidden_bias, 1, (1, 2), 0, 1.0, 1.0, None, None)
    with pytest.raises(ValueError, match="chains: dimension 1 must be 7"):
        _core.chain_gradient(data, True, np.zeros((4, 6), np.float32), *args, *outs)
    with pytest.raises(ValueError, match="grad_w: dimension 0 must be 7"):
        _core.chain_gradient(data, True, np.zeros((4, 7), np.float32), *args,
                             np.empty((6, 5), np.float32), *outs[1:])
    with pytest.raises(ValueError, match="n_sweeps: must be >= 0"):
        _core.chain_gradient(data, True, np.zeros((4, 7), np.float32), *args[:3], -1,
                             *args[4:], *outs)
    with pytest.raises(ValueError, match="path: expected 0"):
        _core.gibbs_chains(np.zeros((4, 7), np.float32), np.zeros((4, 5), np.float32),
                           rbm.weights, rbm.visible_bias, rbm.hidden_bias, 1.0, 3, (1, 2), 0,
                           0, 1)


def test_weight_layouts_follow_weights_changed_in_place(dtype: type) -> None:
    """The engine keeps its copies of W (padded, transposed, packed) between calls and
    rebuilds them only when W's bits change: a change of the last entry in place, a
    return to the old values and another array with the old values all give the NumPy
    reference's samples on every path."""
    rbm = small_rbm(N_VISIBLE, N_HIDDEN, 0.3, dtype, seed=7)
    v0 = (np.random.default_rng(8).random((29, N_VISIBLE)) < 0.15).astype(dtype)
    key, original = (123, 456), rbm.weights.copy()
    changed = original.copy()
    changed[-1, :] += dtype(4.0)  # the last row: found only at the end of the comparison
    expected = {}
    for name, w in (("original", original), ("changed", changed)):
        reference = pyrbm.RBM(w.copy(), rbm.visible_bias, rbm.hidden_bias)
        ref_v, ref_h, closest = reference_sweeps(reference, v0, key, 2, 1.0)
        assert closest > (2e-6 if dtype == np.float32 else 1e-12)
        expected[name] = (ref_v, ref_h)
    assert not np.array_equal(expected["original"][1], expected["changed"][1])
    weights = rbm.weights  # one array, changed in place between the calls
    for name in ("original", "changed", "original", "changed"):
        weights[...] = original if name == "original" else changed
        for code in PATHS.values():
            for w in (weights, weights.copy()):
                v, h = v0.copy(), np.empty((29, N_HIDDEN), dtype)
                _core.gibbs_chains(v, h, w, rbm.visible_bias, rbm.hidden_bias, 1.0, code, key,
                                   0, 0, 2)
                assert np.array_equal(v, expected[name][0]), (name, code)
                assert np.array_equal(h, expected[name][1]), (name, code)


@pytest.mark.parametrize("bad", [0.5, np.nan, 2.0, -1.0])
def test_gibbs_chains_refuses_non_binary_states_anywhere(dtype: type, bad: float) -> None:
    """The binding's binary check scans in chunks: a bad value after the first chunk, in
    the middle of one and in the last value is found."""
    rbm = small_rbm(N_VISIBLE, N_HIDDEN, 0.3, dtype, seed=1)
    n = 40  # 40 x 211 values: two chunks of 4096 and a partial one
    for index in (0, 4095, 4096, 6000, n * N_VISIBLE - 1):
        v = np.zeros((n, N_VISIBLE), dtype)
        v.flat[index] = bad
        with pytest.raises(ValueError, match="visible: states must be binary"):
            _core.gibbs_chains(v, np.empty((n, N_HIDDEN), dtype), rbm.weights,
                               rbm.visible_bias, rbm.hidden_bias, 1.0, 0, (1, 2), 0, 0, 1)


def test_auto_path_packs_weights_when_a_block_first_needs_a_gemm(dtype: type) -> None:
    """With ~92 % of the hidden units on, kAuto's h -> v halves take the GEMM, whose packed
    W^T is built by the first block that needs it (several blocks race for it on 2
    threads): the same bits as the dense and sparse paths, also after W changed in place
    (the packed copy then rebuilt on demand)."""
    rbm = small_rbm(N_VISIBLE, N_HIDDEN, 0.3, dtype, seed=13)
    rbm.hidden_bias[...] += dtype(2.5)
    v0 = (np.random.default_rng(14).random((113, N_VISIBLE)) < 0.15).astype(dtype)
    for change in range(2):
        rbm.weights[change, :] += dtype(0.25)  # in place: the layouts must follow
        with pyrbm.num_threads(2):
            runs = {path: rbm.gibbs(v0, 6, rng=15, path=path) for path in PATHS}
        assert runs["auto"][1].mean() > 0.8  # the GEMM side of the density rule
        for path in ("sparse", "auto"):
            assert np.array_equal(runs[path][0], runs["dense"][0]), (change, path)
            assert np.array_equal(runs[path][1], runs["dense"][1]), (change, path)


def test_auto_path_builds_each_layout_when_first_needed(dtype: type) -> None:
    """kAuto builds each of the four weight layouts only when a block first takes its
    path: calls on one W whose hidden layer is alternately sparse (h -> v by the
    gather-add on the padded W^T) and dense (by the GEMM on the packed W^T), and visible
    states alternately sparse and dense, each build a different subset; every call gives
    the NumPy reference's samples, also after W changes in place between them."""
    rbm = small_rbm(N_VISIBLE, N_HIDDEN, 0.3, dtype, seed=21)
    base_bias = rbm.hidden_bias.copy()
    gen = np.random.default_rng(22)
    for step, (h_shift, v_density) in enumerate([(2.5, 0.15), (-2.5, 0.15), (2.5, 0.9),
                                                 (-2.5, 0.9), (2.5, 0.15), (-2.5, 0.9)]):
        if step in (3, 5):
            rbm.weights[-1, -1] += dtype(0.5)  # in place: every built layout is stale
        rbm.hidden_bias[...] = base_bias + dtype(h_shift)
        v0 = (gen.random((113, N_VISIBLE)) < v_density).astype(dtype)
        reference = pyrbm.RBM(rbm.weights.copy(), rbm.visible_bias, rbm.hidden_bias.copy())
        for key in ((31, 32 + k) for k in range(50)):  # no uniform within rounding of p
            ref_v, ref_h, closest = reference_sweeps(reference, v0, key, 2, 1.0)
            if closest > (2e-6 if dtype == np.float32 else 1e-12):
                break
        else:
            raise AssertionError("no key without a rounding tie")
        v, h = v0.copy(), np.empty((113, N_HIDDEN), dtype)
        with pyrbm.num_threads(2):
            _core.gibbs_chains(v, h, rbm.weights, rbm.visible_bias, rbm.hidden_bias, 1.0,
                               PATHS["auto"], key, 0, 0, 2)
        assert np.array_equal(v, ref_v), step
        assert np.array_equal(h, ref_h), step
        assert (h.mean() > 0.6) == (h_shift > 0)  # both sides of the density rule ran

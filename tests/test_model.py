"""Compiled kernels (conditionals, fields, energies) against NumPy references."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

import pyrbm
from pyrbm import _core
from pyrbm._gemm import matmul

from .conftest import small_rbm

# the compiled-kernel tests: CI reruns them against a build without OpenMP
pytestmark = pytest.mark.core

N_VISIBLE, N_HIDDEN, N_ROWS = 37, 23, 41  # distinct primes


def rtol(dtype: type) -> float:
    return 2e-6 if dtype == np.float32 else 1e-12


def binary(shape: tuple[int, int], density: float, dtype: type, seed: int) -> np.ndarray:
    return (np.random.default_rng(seed).random(shape) < density).astype(dtype)


def softplus_ref(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


@pytest.fixture
def rbm(dtype: type) -> pyrbm.RBM:
    return small_rbm(N_VISIBLE, N_HIDDEN, 0.8, dtype, seed=1)


def test_conditional_probabilities(rbm: pyrbm.RBM, dtype: type) -> None:
    v = binary((N_ROWS, N_VISIBLE), 0.3, dtype, 2)
    h = binary((N_ROWS, N_HIDDEN), 0.6, dtype, 3)
    w, a, b = (x.astype(np.float64) for x in (rbm.weights, rbm.visible_bias, rbm.hidden_bias))
    for beta in (1.0, 0.37):
        ph = rbm.hidden_probs(v, beta=beta)
        pv = rbm.visible_probs(h, beta=beta)
        assert ph.dtype == dtype and pv.dtype == dtype
        np.testing.assert_allclose(ph, expit(beta * (b + v @ w)), rtol=rtol(dtype), atol=1e-7)
        np.testing.assert_allclose(pv, expit(beta * (a + h @ w.T)), rtol=rtol(dtype), atol=1e-7)


def test_sigmoid_extremes(dtype: type) -> None:
    fields = np.array([[-1e4, -100.0, -30.0, 0.0, 30.0, 100.0, 1e4]], dtype)
    out = np.empty_like(fields)
    _core.probs_from_fields(fields, np.zeros(7, dtype), 1.0, out)
    np.testing.assert_allclose(out, expit(fields.astype(np.float64)), rtol=rtol(dtype), atol=1e-30)
    assert out[0, 0] == 0.0 and out[0, -1] == 1.0


def test_energy_and_free_energy(rbm: pyrbm.RBM, dtype: type) -> None:
    v = binary((N_ROWS, N_VISIBLE), 0.4, dtype, 4)
    h = binary((N_ROWS, N_HIDDEN), 0.5, dtype, 5)
    w, a, b = (x.astype(np.float64) for x in (rbm.weights, rbm.visible_bias, rbm.hidden_bias))
    e_ref = -(v @ a) - (h @ b) - np.einsum("ni,ij,nj->n", v, w, h)
    np.testing.assert_allclose(rbm.energy(v, h), e_ref, rtol=rtol(dtype) * 10, atol=1e-5)
    for beta in (1.0, 2.5):
        f_ref = -beta * (v @ a) - softplus_ref(beta * (b + v @ w)).sum(axis=1)
        np.testing.assert_allclose(rbm.free_energy(v, beta=beta), f_ref, rtol=rtol(dtype) * 10)
    np.testing.assert_allclose(rbm.energy(v, h, beta=0.5), 0.5 * e_ref, rtol=rtol(dtype) * 10, atol=1e-5)


def test_free_energy_is_marginal_of_energy(dtype: type) -> None:
    """exp(-F(v)) = sum_h exp(-E(v, h)), checked by enumerating h."""
    from .conftest import all_states

    rbm = small_rbm(5, 7, 1.0, dtype, seed=9)
    v = all_states(5).astype(dtype)
    hs = all_states(7).astype(dtype)
    energies = np.stack([rbm.energy(v, np.repeat(h[None], len(v), 0)) for h in hs], axis=1)
    log_marginal = np.logaddexp.reduce(-energies.astype(np.float64), axis=1)
    np.testing.assert_allclose(-rbm.free_energy(v), log_marginal, rtol=rtol(dtype) * 10)


def test_free_energy_stable_for_huge_fields(dtype: type) -> None:
    w = np.full((3, 2), 1e4, dtype)
    w[:, 1] = -1e4
    rbm = pyrbm.RBM(w, np.zeros(3, dtype), np.zeros(2, dtype))
    v = np.ones((1, 3), dtype)
    f = rbm.free_energy(v)
    assert np.isfinite(f).all()
    np.testing.assert_allclose(f, [-3e4], rtol=1e-6)


@pytest.mark.parametrize("density", [0.0, 0.05, 0.15, 0.5, 1.0])
@pytest.mark.parametrize("n_out", [1, 63, 64, 65, 131])
def test_sparse_fields_match_matmul(dtype: type, density: float, n_out: int) -> None:
    states = binary((N_ROWS, N_VISIBLE), density, dtype, 6)
    rows = np.random.default_rng(7).normal(size=(N_VISIBLE, n_out)).astype(dtype)
    out = np.empty((N_ROWS, n_out), dtype)
    _core.sparse_fields(states, rows, out)
    ref = states.astype(np.float64) @ rows.astype(np.float64)
    np.testing.assert_allclose(out, ref, rtol=rtol(dtype) * 10, atol=1e-4 if dtype == np.float32 else 1e-12)


def test_sparse_fields_every_input_length(dtype: type) -> None:
    """The active lists are compacted a vector of inputs at a time (16 float32 / 8
    float64 with AVX-512, 8 / 4 with AVX2) and the rest one by one: every length around
    those steps, with the densities where a vector keeps none, some or all of its inputs,
    gives the sums of exactly the rows whose state is 1 (the same bits as the GEMM's FMA
    chain)."""
    gen = np.random.default_rng(12)
    for n_in in range(1, 50):
        rows = gen.normal(size=(n_in, 37)).astype(dtype)
        for density in (0.0, 0.3, 1.0):
            states = (gen.random((5, n_in)) < density).astype(dtype)
            out = np.empty((5, 37), dtype)
            _core.sparse_fields(states, rows, out)
            assert np.array_equal(out, matmul(states, rows)), (n_in, density)
            ref = states.astype(np.float64) @ rows.astype(np.float64)
            np.testing.assert_allclose(out, ref, rtol=rtol(dtype) * 10, atol=1e-5)
    # the control: dropping one active row changes the sums, so equality above is not
    # a property of any list of rows
    states = np.ones((1, 33), dtype)
    rows = gen.normal(size=(33, 37)).astype(dtype)
    assert not np.array_equal(matmul(states, rows), matmul(states[:, 1:], rows[1:]))


@pytest.mark.parametrize("accumulate", [False, True])
def test_sparse_fields_every_output_width(dtype: type, accumulate: bool) -> None:
    """Column tiles of whole 64-byte lines, the last register masked where the width ends
    inside it: every width up to 100 and around tile edges gives the GEMM's bits (or adds
    to out) and writes nothing past out (a sentinel after its last row)."""
    gen = np.random.default_rng(14)
    for n_out in [*range(1, 101), 143, 144, 145, 191, 192, 193, 500, 528, 784]:
        rows = gen.normal(size=(61, n_out)).astype(dtype)
        states = (gen.random((9, 61)) < 0.3).astype(dtype)
        start = gen.normal(size=(9, n_out)).astype(dtype)
        buffer = np.full(9 * n_out + 24, -7.0, dtype)
        out = buffer[: 9 * n_out].reshape(9, n_out)
        out[:] = start
        _core.sparse_fields(states, rows, out, accumulate=accumulate)
        assert np.all(buffer[9 * n_out:] == -7.0), n_out
        if accumulate:
            np.testing.assert_allclose(out, start + matmul(states, rows), rtol=rtol(dtype) * 10,
                                       atol=1e-5)
        else:
            assert np.array_equal(out, matmul(states, rows)), n_out


@pytest.mark.parametrize("accumulate", [False, True])
def test_sparse_fields_many_chunks_and_tiles(dtype: type, accumulate: bool) -> None:
    """More rows than one round of active lists (256) and several column tiles, added to
    ``out`` or replacing it."""
    states = binary((600, 90), 0.2, dtype, 9)
    rows = np.random.default_rng(10).normal(size=(90, 300)).astype(dtype)
    start = np.random.default_rng(11).normal(size=(600, 300)).astype(dtype)
    out = start.copy()
    _core.sparse_fields(states, rows, out, accumulate=accumulate)
    ref = states.astype(np.float64) @ rows.astype(np.float64)
    if accumulate:
        ref += start
    np.testing.assert_allclose(out, ref, rtol=rtol(dtype) * 10, atol=1e-4 if dtype == np.float32 else 1e-12)


def test_density_counts_ones(dtype: type) -> None:
    states = binary((N_ROWS, N_VISIBLE), 0.3, dtype, 8)
    assert _core.density(states) == pytest.approx(states.mean(), abs=1e-12)


def test_sample_from_fields_matches_reference(dtype: type) -> None:
    """states = u < p with u from the documented counter layout; the count is returned."""
    from .test_rng import uniforms_reference

    fields = np.random.default_rng(3).normal(size=(5, N_HIDDEN)).astype(dtype)
    bias = np.random.default_rng(4).normal(size=N_HIDDEN).astype(dtype)
    states, probs = np.empty_like(fields), np.empty_like(fields)
    ones = _core.sample_from_fields(fields, bias, 0.7, (9, 10), 4, 100, 1, states, probs)
    p_ref = expit(0.7 * (fields.astype(np.float64) + bias))
    np.testing.assert_allclose(probs, p_ref, rtol=rtol(dtype), atol=1e-7)
    u = np.stack([uniforms_reference((9, 10), 4, 100 + c, 1, N_HIDDEN, dtype) for c in range(5)])
    np.testing.assert_array_equal(states, (u < probs).astype(dtype))
    assert ones == int(states.sum())


def test_dense_and_sparse_paths_agree_float64() -> None:
    """Same counters on both paths: in float64 the samples are identical."""
    rbm = small_rbm(97, 61, 0.3, np.float64, seed=11)
    v0 = binary((53, 97), 0.15, np.float64, 12)
    results = [rbm.gibbs(v0, 5, rng=123, path=p) for p in ("dense", "sparse", "auto")]
    for v, h in results[1:]:
        np.testing.assert_array_equal(v, results[0][0])
        np.testing.assert_array_equal(h, results[0][1])
    h_dense = rbm.sample_hidden(v0, rng=5, path="dense")
    np.testing.assert_array_equal(rbm.sample_hidden(v0, rng=5, path="sparse"), h_dense)


def test_chain_offset_shards_reproduce_the_ensemble(dtype: type) -> None:
    rbm = small_rbm(29, 17, 0.5, dtype, seed=13)
    v0 = binary((40, 29), 0.3, dtype, 14)
    whole_v, whole_h = rbm.gibbs(v0, 3, rng=7)
    first = rbm.gibbs(v0[:25], 3, rng=7)
    second = rbm.gibbs(v0[25:], 3, rng=7, chain_offset=25)
    np.testing.assert_array_equal(np.vstack([first[0], second[0]]), whole_v)
    np.testing.assert_array_equal(np.vstack([first[1], second[1]]), whole_h)


def test_same_seed_same_samples_and_inputs_untouched(dtype: type) -> None:
    rbm = small_rbm(31, 19, 0.5, dtype, seed=15)
    v0 = binary((10, 31), 0.5, dtype, 16)
    keep = v0.copy()
    a = rbm.sample(10, 4, v0=v0, rng=99)
    b = rbm.sample(10, 4, v0=v0, rng=99)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(v0, keep)
    assert not np.array_equal(rbm.sample(10, 4, v0=v0, rng=100)[0], a[0])


def test_integer_and_bool_states_accepted(dtype: type) -> None:
    rbm = small_rbm(11, 7, 0.5, dtype, seed=17)
    v = binary((6, 11), 0.5, dtype, 18)
    ref = rbm.free_energy(v)
    for kind in (np.int8, np.int64, np.uint8, bool):
        np.testing.assert_array_equal(rbm.free_energy(v.astype(kind)), ref)
    assert rbm.sample_hidden(v.astype(bool), rng=1).dtype == dtype


def test_random_runs_a_subclass_constructor() -> None:
    class Tagged(pyrbm.RBM):
        def __init__(self, weights: np.ndarray, visible_bias: np.ndarray,
                     hidden_bias: np.ndarray) -> None:
            super().__init__(weights, visible_bias, hidden_bias)
            self.tag = "set by __init__"

    rbm = Tagged.random(5, 3, std=0.1, rng=4)
    assert type(rbm) is Tagged and rbm.tag == "set by __init__"
    np.testing.assert_array_equal(rbm.weights, pyrbm.RBM.random(5, 3, std=0.1, rng=4).weights)

"""partition.exact: log Z by enumeration of either layer against a brute force over
both, its limits and thread-count independence, the softplus kernel, exact sampling."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp
from tests.conftest import all_states, brute_force_log_z, small_rbm

import pyrbm
from pyrbm import _core, partition
from pyrbm.partition.exact import sample_exact


@pytest.mark.parametrize("shape", [(1, 1), (3, 2), (7, 5), (5, 7), (12, 10)])
def test_exact_matches_brute_force_either_layer(shape, dtype):
    rbm = small_rbm(*shape, std=0.8, dtype=dtype, seed=sum(shape))
    expected = brute_force_log_z(rbm)
    for layer in ("auto", "visible", "hidden"):
        got = partition.log_z_exact(rbm, layer=layer)
        assert got == pytest.approx(expected, rel=1e-12, abs=1e-10)


@pytest.mark.parametrize("beta", [0.0, 0.37, 2.0])
def test_exact_beta(beta):
    rbm = small_rbm(7, 5, 1.0, np.float64, 11)
    assert partition.log_z_exact(rbm, beta=beta) == pytest.approx(
        brute_force_log_z(rbm, beta), rel=1e-12
    )


def test_exact_enumerates_2_to_25_states():
    # 2^25 visible states (4 hidden units summed out) against 2^4 hidden states.
    rbm = small_rbm(25, 4, 0.3, np.float64, 5)
    by_visible = partition.log_z_exact(rbm, layer="visible")
    assert by_visible == pytest.approx(partition.log_z_exact(rbm, layer="hidden"), rel=1e-12)


def test_exact_refuses_too_many_states():
    rbm = small_rbm(40, 30, 0.1, np.float32, 1)
    with pytest.raises(ValueError, match=r"2\^30 = 1\.074e\+09 states"):
        partition.log_z_exact(rbm)
    with pytest.raises(ValueError, match="max_states"):
        pyrbm.log_partition(small_rbm(11, 7, 0.1, np.float32, 1), max_states=64)


def test_exact_is_thread_count_independent():
    rbm = small_rbm(13, 17, 0.5, np.float32, 3)
    with pyrbm.num_threads(1):
        one = partition.log_z_exact(rbm)
    with pyrbm.num_threads(2):
        two = partition.log_z_exact(rbm)
    assert one == two


def test_softplus_kernel_matches_numpy():
    x = np.concatenate([np.linspace(-800, 800, 20001), np.linspace(-2, 2, 4001)])
    np.testing.assert_allclose(_core.softplus_fast(x), np.logaddexp(0, x), rtol=1e-13, atol=1e-300)


@pytest.mark.parametrize("shape", [(4, 6), (6, 4)], ids=["enumerate_visible", "enumerate_hidden"])
def test_sample_exact_follows_the_model(shape):
    rbm = small_rbm(*shape, 1.0, np.float32, 30)
    samples = sample_exact(rbm, 20000, beta=0.9, rng=1)
    v = all_states(rbm.n_visible)
    log_p = 0.9 * (v @ rbm.visible_bias.astype(np.float64)) + np.logaddexp(
        0, 0.9 * (rbm.hidden_bias.astype(np.float64) + v @ rbm.weights.astype(np.float64))
    ).sum(1)
    p = np.exp(log_p - logsumexp(log_p))
    index = (samples.astype(np.int64) << np.arange(rbm.n_visible)).sum(axis=1)
    counts = np.bincount(index, minlength=v.shape[0])
    assert stats.chisquare(counts, 20000 * p).pvalue > 1e-3

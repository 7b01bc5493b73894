"""Gibbs samplers draw from the right distribution: chi-square against exact enumeration."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from scipy.special import expit

from .conftest import all_states, small_rbm

# the compiled-kernel tests: CI reruns them against a build without OpenMP
pytestmark = pytest.mark.core

N_VISIBLE, N_HIDDEN = 7, 5
N_CHAINS, N_SWEEPS = 30_000, 25
P_THRESHOLD = 1e-3  # fixed seeds: a false alarm rate of 0.1% per test


def exact_visible_marginal(rbm, beta: float) -> np.ndarray:
    """p_beta(v) for v = all_states(N_VISIBLE) rows, from the float64 free energy."""
    w, a, b = (x.astype(np.float64) for x in (rbm.weights, rbm.visible_bias, rbm.hidden_bias))
    v = all_states(rbm.n_visible)
    log_p = beta * (v @ a) + np.logaddexp(0.0, beta * (b + v @ w)).sum(axis=1)
    log_p -= np.logaddexp.reduce(log_p)
    return np.exp(log_p)


def chi_square_pvalue(samples: np.ndarray, probs: np.ndarray) -> float:
    """Pearson chi-square of state counts; bins with expected count < 5 are pooled."""
    index = samples.astype(np.int64) @ (1 << np.arange(samples.shape[1]))
    counts = np.bincount(index, minlength=len(probs)).astype(np.float64)
    expected = probs * len(samples)
    small = expected < 5
    if small.any():
        counts = np.append(counts[~small], counts[small].sum())
        expected = np.append(expected[~small], expected[small].sum())
    return float(stats.chisquare(counts, expected).pvalue)


@pytest.mark.parametrize("path", ["dense", "sparse"])
@pytest.mark.parametrize("beta", [1.0, 0.6])
@pytest.mark.parametrize("std", [0.5, 1.5])
def test_visible_marginal_matches_enumeration(dtype: type, path: str, beta: float, std: float) -> None:
    rbm = small_rbm(N_VISIBLE, N_HIDDEN, std, dtype, seed=int(10 * std + 100 * beta))
    v, h = rbm.sample(N_CHAINS, N_SWEEPS, beta=beta, rng=2024, path=path)
    assert v.dtype == dtype and h.shape == (N_CHAINS, N_HIDDEN)
    assert chi_square_pvalue(v, exact_visible_marginal(rbm, beta)) > P_THRESHOLD


def test_chi_square_detects_a_wrong_temperature(dtype: type) -> None:
    """The test has power: samples at beta = 1 are rejected as samples at beta = 0.6."""
    rbm = small_rbm(N_VISIBLE, N_HIDDEN, 1.5, dtype, seed=7)
    v, _ = rbm.sample(N_CHAINS, N_SWEEPS, beta=1.0, rng=1)
    assert chi_square_pvalue(v, exact_visible_marginal(rbm, 0.6)) < 1e-6


@pytest.mark.parametrize("beta", [1.0, 0.6])
def test_conditional_hidden_samples(dtype: type, beta: float) -> None:
    """h ~ p(h | v) for one fixed v repeated: each unit's frequency and the joint law."""
    rbm = small_rbm(N_VISIBLE, N_HIDDEN, 1.0, dtype, seed=3)
    v = np.tile(np.array([[1, 0, 1, 1, 0, 0, 1]], dtype), (N_CHAINS, 1))
    h = rbm.sample_hidden(v, beta=beta, rng=77)
    w, b = rbm.weights.astype(np.float64), rbm.hidden_bias.astype(np.float64)
    p = expit(beta * (b + v[0].astype(np.float64) @ w))
    states = all_states(N_HIDDEN)
    joint = np.prod(np.where(states == 1, p, 1 - p), axis=1)
    assert chi_square_pvalue(h, joint) > P_THRESHOLD


def test_conditional_visible_samples(dtype: type) -> None:
    rbm = small_rbm(N_VISIBLE, N_HIDDEN, 1.0, dtype, seed=4)
    h = np.tile(np.array([[0, 1, 1, 0, 1]], dtype), (N_CHAINS, 1))
    v = rbm.sample_visible(h, rng=78, path="sparse")
    w, a = rbm.weights.astype(np.float64), rbm.visible_bias.astype(np.float64)
    p = expit(a + w @ h[0].astype(np.float64))
    joint = np.prod(np.where(all_states(N_VISIBLE) == 1, p, 1 - p), axis=1)
    assert chi_square_pvalue(v, joint) > P_THRESHOLD

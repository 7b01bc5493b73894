"""pyrbm.training.metrics: pseudo-likelihood, reconstruction error, spectrum metrics."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit, log_expit

import pyrbm
from pyrbm import metrics

from .conftest import all_states, small_rbm


# -- metrics --------------------------------------------------------------------------------
def _conditional_log_probs(rbm: pyrbm.RBM, v: np.ndarray) -> np.ndarray:
    """log p(v_i | v_-i) for every row and unit, from free energies (reference)."""
    v = v.astype(rbm.dtype)
    base = rbm.free_energy(v).astype(np.float64)
    out = np.empty(v.shape)
    for i in range(v.shape[1]):
        flipped = v.copy()
        flipped[:, i] = 1 - flipped[:, i]
        delta = base - rbm.free_energy(flipped).astype(np.float64)
        out[:, i] = log_expit(-delta)
    return out


def test_pseudo_log_likelihood_matches_free_energies() -> None:
    rbm = small_rbm(11, 7, 0.8, np.float64, seed=3)
    v = np.random.default_rng(4).integers(0, 2, (13, 11)).astype(np.float64)
    per_unit = _conditional_log_probs(rbm, v)
    assert metrics.pseudo_log_likelihood(rbm, v) == pytest.approx(per_unit.mean(), rel=1e-12)
    # Stochastic: one unit per row, drawn from the generator exactly like this.
    units = np.random.default_rng(9).integers(0, 11, size=13)
    expected = per_unit[np.arange(13), units].mean()
    got = metrics.pseudo_log_likelihood(rbm, v, full=False, rng=9)
    assert got == pytest.approx(expected, rel=1e-12)


def test_pseudo_likelihood_is_exact_for_one_visible_unit() -> None:
    # With one visible unit, p(v_1 | nothing) is the exact marginal: check by enumeration.
    rbm = small_rbm(1, 5, 1.0, np.float64, seed=5)
    v = all_states(1)
    log_marginal = -rbm.free_energy(v) - np.logaddexp(*(-rbm.free_energy(v)))
    assert metrics.pseudo_log_likelihood(rbm, v) == pytest.approx(np.mean(log_marginal), rel=1e-12)


def test_reconstruction_error_reference() -> None:
    rbm = small_rbm(11, 7, 0.5, np.float32, seed=6)
    v = np.random.default_rng(7).random((5, 11)).astype(np.float32)
    w, a, b = (x.astype(np.float64) for x in (rbm.weights, rbm.visible_bias, rbm.hidden_bias))
    recon = expit(expit(v @ w + b) @ w.T + a)
    assert metrics.reconstruction_error(rbm, v) == pytest.approx(np.mean((v - recon) ** 2), rel=1e-5)


def test_spectrum_metrics_and_marchenko_pastur_edge() -> None:
    # docs/equations.md E23: sigma = 0.01, N = 784, M = 500 -> upper edge 0.5036
    assert metrics.marchenko_pastur_edge(784, 500, 0.01) == pytest.approx(0.5036, abs=1e-4)
    rbm = small_rbm(13, 7, 1.0, np.float64, seed=8)
    singular = np.linalg.svd(rbm.weights, compute_uv=False)
    out = metrics.spectrum_metrics(rbm, float(np.median(singular)))
    assert out == {"sv_max": pytest.approx(singular[0]), "n_sv_above_mp": 3.0}

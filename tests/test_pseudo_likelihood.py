"""pyrbm._pseudo_likelihood: the flip rule (C++ softplus sums) against free energies."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import log_expit

from pyrbm._pseudo_likelihood import flip_log_probs, minus_softplus_sums

from .conftest import small_rbm


def test_flip_log_probs_match_free_energy_differences(dtype: type) -> None:
    rbm = small_rbm(13, 11, 0.9, dtype, seed=4)
    gen = np.random.default_rng(5)
    v = (gen.random((17, 13)) < 0.4).astype(dtype)
    units = gen.integers(0, 13, 17)
    flipped = v.copy()
    flipped[np.arange(17), units] = 1 - flipped[np.arange(17), units]
    gap = rbm.free_energy(flipped).astype(np.float64) - rbm.free_energy(v).astype(np.float64)
    expected = log_expit(gap)  # log p(v_u | v_-u) = log sigmoid(F(v') - F(v))
    w, a, b = rbm.weights, rbm.visible_bias, rbm.hidden_bias
    fields = v @ w
    out = flip_log_probs(v[np.arange(17), units], fields, w[units], a[units], b)
    assert out.dtype == dtype and np.all(out <= 0)
    np.testing.assert_allclose(out, expected, rtol=1e-4 if dtype == np.float32 else 1e-10)
    s = np.logaddexp(0, fields.astype(np.float64) + b).sum(axis=1)
    np.testing.assert_allclose(minus_softplus_sums(fields, b), -s, rtol=1e-5)
    with pytest.raises(AssertionError):  # the reference tells a wrong sign apart
        np.testing.assert_allclose(out, log_expit(-gap), rtol=1e-3)

"""Shared fixtures. Sizes are distinct primes so that shape bugs show."""

from __future__ import annotations

import numpy as np
import pytest

import pyrbm


@pytest.fixture(params=[np.float32, np.float64], ids=["float32", "float64"])
def dtype(request: pytest.FixtureRequest) -> type:
    return request.param


def small_rbm(n_visible: int, n_hidden: int, std: float, dtype: type, seed: int) -> pyrbm.RBM:
    """An RBM with random weights and biases (all of size ~std)."""
    gen = np.random.default_rng(seed)
    return pyrbm.RBM(
        gen.normal(0, std, (n_visible, n_hidden)).astype(dtype),
        gen.normal(0, std, n_visible).astype(dtype),
        gen.normal(0, std, n_hidden).astype(dtype),
    )


def all_states(n: int) -> np.ndarray:
    """Every binary vector of length n, shape (2**n, n), row i = binary digits of i."""
    return ((np.arange(2**n)[:, None] >> np.arange(n)[None, :]) & 1).astype(np.float64)

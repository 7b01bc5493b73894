"""Shared cases of the scikit-learn drop-in tests: small data with distinct prime
sizes, a small estimator, pyrbm's Philox uniforms and a NumPy reference of the PCD-1
update (scikit-learn's ``BernoulliRBM._fit`` with those uniforms)."""

from __future__ import annotations

import numpy as np
from scipy.special import expit

import pyrbm
from pyrbm import _core
from pyrbm._rng import STREAMS

# Distinct primes so that shape bugs show.
N_SAMPLES, N_FEATURES, N_COMPONENTS, BATCH = 23, 13, 7, 5


def binary_data(dtype: type = np.float64, seed: int = 0, p: float = 0.3) -> np.ndarray:
    return (np.random.default_rng(seed).random((N_SAMPLES, N_FEATURES)) < p).astype(dtype)


def small(**kw: object) -> pyrbm.BernoulliRBM:
    params = dict(n_components=N_COMPONENTS, batch_size=BATCH, n_iter=3, random_state=0)
    params.update(kw)
    return pyrbm.BernoulliRBM(**params)


def uniforms(key: tuple[int, int], sweep: int, stream: str, shape: tuple, dtype: type):
    out = np.empty(shape, dtype)
    for chain in range(shape[0]):
        _core.uniform_row(out[chain], key, sweep, chain, STREAMS[stream])
    return out


def reference_update(v_pos, comp, a, b, h_samples, lr, key, sweep):  # type: ignore[no-untyped-def]
    """scikit-learn's BernoulliRBM._fit, in float64, with pyrbm's uniforms (float32's
    layout for both dtypes: the drop-in's float32 and float64 fits draw the same)."""
    dt = np.float32
    comp, a, b = comp.astype(np.float64), a.astype(np.float64), b.astype(np.float64)
    h_pos = expit(v_pos @ comp.T + b)
    u_v = uniforms(key, sweep, "visible", (h_samples.shape[0], comp.shape[1]), dt)
    v_neg = (u_v < expit(h_samples @ comp + a)).astype(np.float64)
    h_neg = expit(v_neg @ comp.T + b)
    scale = lr / v_pos.shape[0]
    comp = comp + scale * (v_pos.T @ h_pos - v_neg.T @ h_neg).T
    b = b + scale * (h_pos.sum(0) - h_neg.sum(0))
    a = a + scale * (v_pos.sum(0) - v_neg.sum(0))
    u_h = uniforms(key, sweep, "hidden", h_neg.shape, dt)
    return comp, a, b, (u_h < h_neg).astype(np.float64)

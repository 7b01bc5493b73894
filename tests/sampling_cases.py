"""Shared cases of the sampling tests: a small bimodal RBM with distinct prime sizes,
a trajectory of models ending at it, its exact law by enumeration, and the chi-square /
total-variation statistics the exactness and stationarity tests use."""

from __future__ import annotations

import numpy as np
from scipy import stats
from scipy.special import logsumexp

import pyrbm

NV, NH = 11, 7  # distinct primes; 2^11 visible states are enumerated


def bimodal(dtype: type = np.float64, seed: int = 3) -> pyrbm.RBM:
    """Strong positive couplings, biases near the symmetric point: two modes (all off,
    all on) of about 44 % and 39 % of the mass, between which Gibbs chains rarely move."""
    gen = np.random.default_rng(seed)
    w = 1.2 + 0.2 * gen.standard_normal((NV, NH))
    a = -w.sum(1) / 2 + 0.1 * gen.standard_normal(NV)
    b = -w.sum(0) / 2 + 0.1 * gen.standard_normal(NH)
    return pyrbm.RBM(w.astype(dtype), a.astype(dtype), b.astype(dtype))


def trajectory(rbm: pyrbm.RBM, n_models: int, seed: int = 0) -> list[pyrbm.RBM]:
    """Models from zero couplings to ``rbm``, perturbed so they are not one beta ladder."""
    gen = np.random.default_rng(seed)
    out = []
    for t in np.linspace(0.0, 1.0, n_models):
        noise = 0.0 if t == 1.0 else 0.05 * t * gen.standard_normal(rbm.weights.shape)
        out.append(pyrbm.RBM((t * rbm.weights + noise).astype(rbm.dtype),
                             (t * rbm.visible_bias).astype(rbm.dtype),
                             (t * rbm.hidden_bias).astype(rbm.dtype)))
    return out


def all_visible(n: int) -> np.ndarray:
    return ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(np.float64)


def exact_law(rbm: pyrbm.RBM, beta: float = 1.0) -> np.ndarray:
    v = all_visible(rbm.n_visible)
    w, a, b = (np.asarray(x, np.float64) for x in (rbm.weights, rbm.visible_bias, rbm.hidden_bias))
    log_p = beta * v @ a + np.logaddexp(0.0, beta * (b + v @ w)).sum(axis=1)
    return np.exp(log_p - logsumexp(log_p))


def state_index(v: np.ndarray) -> np.ndarray:
    return (v.astype(np.int64) << np.arange(v.shape[1])).sum(axis=1)


def chi_square_p(v: np.ndarray, law: np.ndarray) -> float:
    """Pearson chi-square p-value of independent samples ``v`` against ``law``; states
    expected fewer than 5 times are pooled into one bin."""
    counts = np.bincount(state_index(v), minlength=law.size)
    expected = law * v.shape[0]
    big = expected >= 5
    observed = np.concatenate([counts[big], [counts[~big].sum()]])
    wanted = np.concatenate([expected[big], [expected[~big].sum()]])
    return float(stats.chisquare(observed, wanted).pvalue)


def tv(v: np.ndarray, law: np.ndarray) -> float:
    return 0.5 * float(np.abs(np.bincount(state_index(v), minlength=law.size) / len(v) - law).sum())


def tv_floor(law: np.ndarray, n: int, quantile: float = 0.999, seed: int = 0) -> float:
    """The ``quantile`` of the TV distance of ``n`` exact draws to ``law`` (400 replicas)."""
    gen = np.random.default_rng(seed)
    draws = gen.multinomial(n, law, size=400) / n
    return float(np.quantile(0.5 * np.abs(draws - law).sum(axis=1), quantile))

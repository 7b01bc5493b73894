"""Mixing diagnostics of Markov chains: integrated autocorrelation time, effective sample
size and split R-hat.

Inputs are time series of shape ``(n_steps, n_chains)`` or ``(n_steps, n_chains,
n_features)`` (a 1-D series is one chain), e.g. the mode-1 projection of each chain after
each sweep (``TemperingResult.trace``). The estimators pool the chains the way Stan does
(Vehtari, Gelman, Simpson, Carpenter, Buerkner, Bayesian Analysis 2021): autocorrelations
are taken relative to the pooled variance, so chains stuck in different modes give a long
time, not a short one.

``effective_sample_size(x, method="bulk")`` is the rank-normalized split-chain bulk ESS of
the same paper: each chain is cut in halves (so a drift within a chain counts as
disagreement between its halves) and the draws are replaced by the normal scores of their
ranks over all chains (robust to heavy tails and to a few outlying levels). Chains that
never leave their modes give an ESS of the order of the number of chains, whatever the
run length.

**Frozen chains.** A chain whose series is constant over the window (e.g. a tempered
sampler's target chains that never accept a swap and sit in a fixed point of the Gibbs
kernel) carries no information on its autocorrelation: its lag-k correlations are 0 / 0.
Rather than report such a trace as mixed (a constant chain among moving ones can give a
short pooled time, and identical constant chains an R-hat of 0 / 0), every estimator here
refuses it, feature by feature: if **any** chain of a feature is constant,
:func:`autocorrelation_time` and :func:`rhat` return ``inf`` and
:func:`effective_sample_size` returns ``0.0`` (``n_steps n_chains / tau``) for that
feature. The split estimators (:func:`rhat`, the "bulk" ESS) treat each half of a chain
as a chain, so for them a chain constant over one half of the window is frozen too.
Chains that move only within one shared mode are not detected by any of them (that needs
a sampler that crosses, e.g. the swap acceptance and round trips of tempering).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import ndtri
from scipy.stats import rankdata

__all__ = ["autocorrelation_time", "effective_sample_size", "rhat"]

#: Estimators of :func:`effective_sample_size`.
ESS_METHODS = ("pooled", "bulk")


def _series(x: Any, min_steps: int) -> tuple[np.ndarray, bool]:
    """x as float64 (n_steps, n_chains, n_features) and whether it had features."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"x: expected a numpy array, got {type(x).__name__}")
    if x.dtype.kind not in "biuf":
        raise TypeError(f"x: expected real numbers, got dtype {x.dtype}")
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim not in (2, 3):
        raise ValueError(
            f"x: expected shape (n_steps, n_chains) or (n_steps, n_chains, n_features), "
            f"got {x.shape}"
        )
    features = x.ndim == 3
    data = np.asarray(x, dtype=np.float64)
    if not features:
        data = data[:, :, None]
    if data.shape[0] < min_steps or data.shape[1] == 0 or data.shape[2] == 0:
        raise ValueError(f"x: needs at least {min_steps} steps and one chain, got shape {x.shape}")
    if not np.all(np.isfinite(data)):
        raise ValueError("x: contains NaN or inf")
    return data, features


def _frozen(data: np.ndarray) -> np.ndarray:
    """Features (n_features,) of which at least one chain is constant over the steps."""
    return np.asarray(np.any(np.ptp(data, axis=0) == 0, axis=0))


def _autocovariance(data: np.ndarray) -> np.ndarray:
    """Biased autocovariance of each chain and feature, shape (n_steps, n_chains, n_features)."""
    n = data.shape[0]
    centred = data - data.mean(axis=0)
    size = 1 << (2 * n - 1).bit_length()
    spectrum = np.fft.rfft(centred, n=size, axis=0)
    return np.asarray(np.fft.irfft(spectrum * np.conj(spectrum), n=size, axis=0)[:n] / n)


def _tau(data: np.ndarray) -> np.ndarray:
    """tau of each feature; inf for a feature with a frozen chain."""
    frozen = _frozen(data)
    taus = np.full(data.shape[2], np.inf)
    if not frozen.all():
        taus[~frozen] = _tau_moving(data[:, :, ~frozen])
    return taus


def _tau_moving(data: np.ndarray) -> np.ndarray:
    """tau of each feature, every chain of which moves (within-chain variance > 0)."""
    n, m = data.shape[:2]
    acov = _autocovariance(data)
    within = acov[0].mean(axis=0) * n / max(n - 1, 1)
    between = data.mean(axis=0).var(axis=0, ddof=1) if m > 1 else np.zeros(data.shape[2])
    var_plus = within * (n - 1) / n + between
    rho = 1.0 - (within - acov.mean(axis=1)) / var_plus  # (n, n_features)
    rho[0] = 1.0
    taus = np.empty(data.shape[2])
    for f in range(data.shape[2]):
        r = rho[:, f]
        n_pairs = n // 2
        pairs = r[: 2 * n_pairs : 2] + r[1 : 2 * n_pairs : 2]
        # Geyer's initial positive sequence, made monotone
        negative = np.flatnonzero(pairs < 0)
        pairs = pairs[: negative[0]] if negative.size else pairs
        pairs = np.minimum.accumulate(pairs)
        taus[f] = -1.0 + 2.0 * pairs.sum() if pairs.size else 1.0
    return taus


def autocorrelation_time(x: np.ndarray) -> float | np.ndarray:
    """Integrated autocorrelation time ``tau = 1 + 2 sum_k rho_k``.

    ``rho_k`` is the lag-k autocorrelation pooled over the chains (relative to the
    variance of all chains together); the sum is truncated by Geyer's initial monotone
    positive sequence. ``tau = 1`` for independent draws, ``(1 + phi) / (1 - phi)`` for an
    AR(1) process of coefficient phi, and about twice the run length for chains that
    never leave different modes; ``inf`` if a chain's series is constant (frozen chains,
    see the module's docstring).

    Parameters
    ----------
    x : numpy.ndarray, shape (n_steps, n_chains) or (n_steps, n_chains, n_features)
        At least 4 steps. A 1-D array is one chain.

    Returns
    -------
    float, or numpy.ndarray of shape (n_features,) for 3-D input
        ``inf`` for a feature of which some chain is constant.

    Raises
    ------
    ValueError
        If the series is too short or not finite.
    """
    data, features = _series(x, 4)
    taus = _tau(data)
    return taus if features else float(taus[0])


def _split_ranked(data: np.ndarray) -> np.ndarray:
    """Split chains (halves of each chain as separate chains; an odd middle step dropped)
    with the draws replaced by the normal scores of their pooled ranks (Vehtari et al.
    2021, eq. 14: ranks with ties averaged, z = Phi^-1((r - 3/8) / (S + 1/4)))."""
    half = data.shape[0] // 2
    split = np.concatenate([data[:half], data[data.shape[0] - half :]], axis=1)
    flat = split.reshape(-1, split.shape[2])
    ranks = rankdata(flat, axis=0)
    z = ndtri((ranks - 0.375) / (flat.shape[0] + 0.25))
    return np.asarray(z).reshape(split.shape)


def effective_sample_size(x: np.ndarray, method: str = "pooled") -> float | np.ndarray:
    """Effective number of independent draws.

    Parameters
    ----------
    x : numpy.ndarray, shape (n_steps, n_chains) or (n_steps, n_chains, n_features)
        At least 4 steps ("pooled") or 8 steps ("bulk").
    method : {"pooled", "bulk"}
        "pooled": ``n_steps * n_chains / tau`` with :func:`autocorrelation_time`.
        "bulk": the rank-normalized split-chain estimate of Vehtari et al. (2021): the
        same pooled estimator on the normal scores of the ranks of the 2 x n_chains
        half-chains; smaller than "pooled" when chains drift or sit in different modes.

    Returns
    -------
    float, or numpy.ndarray of shape (n_features,)
        ``0.0`` for a feature of which some chain ("bulk": some half of a chain) is
        constant (frozen chains: their draws are not counted, see the module's docstring).
    """
    if method not in ESS_METHODS:
        raise ValueError(f"method: expected one of {ESS_METHODS}, got {method!r}")
    data, features = _series(x, 4 if method == "pooled" else 8)
    if method == "bulk":
        data = _split_ranked(data)  # a constant half stays constant
    ess = data.shape[0] * data.shape[1] / _tau(data)
    return ess if features else float(ess[0])


def rhat(x: np.ndarray) -> float | np.ndarray:
    """Split R-hat (Gelman et al., BDA3): each chain is cut in halves and the variance
    between the halves' means is compared with the variance within them.

    Near 1 for chains sampling the same distribution; well above 1 (e.g. > 1.01 is the
    usual alarm) for chains stuck in different modes; ``inf`` when a half of a chain is
    constant (frozen chains, see the module's docstring), whether or not the chains differ.

    Parameters
    ----------
    x : numpy.ndarray, shape (n_steps, n_chains) or (n_steps, n_chains, n_features)
        At least 4 steps.

    Returns
    -------
    float, or numpy.ndarray of shape (n_features,)
    """
    data, features = _series(x, 4)
    half = data.shape[0] // 2
    split = np.concatenate([data[:half], data[data.shape[0] - half :]], axis=1)
    within = split.var(axis=0, ddof=1).mean(axis=0)
    between = half * split.mean(axis=0).var(axis=0, ddof=1)
    var_plus = (half - 1) / half * within + between / half
    moving = ~_frozen(split)
    out = np.full(data.shape[2], np.inf)
    out[moving] = np.sqrt(var_plus[moving] / within[moving])
    return out if features else float(out[0])

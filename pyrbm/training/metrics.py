"""Monitoring quantities the trainer records at every checkpoint.

All functions take the model and a (small) monitoring set of visible states; none
changes the model or the training random stream.
"""

from __future__ import annotations

import numpy as np

from .._pseudo_likelihood import flip_log_probs, minus_softplus_sums
from .._rng import RngLike, as_generator
from ..model import RBM

#: Up to this many visible units the pseudo-log-likelihood sums over every unit.
FULL_PLL_MAX_VISIBLE = 128


def reconstruction_error(rbm: RBM, v: np.ndarray) -> float:
    """Mean squared error of the mean-field reconstruction ``p(v | p(h | v))``.

    Parameters
    ----------
    rbm : RBM
    v : numpy.ndarray, shape (n, n_visible)
        Visible states in the model's dtype (binary or intensities in [0, 1]).

    Returns
    -------
    float
        ``mean((v - sigmoid(a + sigmoid(b + v W) W^T))**2)`` over rows and units.
    """
    from scipy.special import expit  # here: scipy.special costs import pyrbm 0.2 s

    hidden = expit(v @ rbm.weights + rbm.hidden_bias)
    recon = expit(hidden @ rbm.weights.T + rbm.visible_bias)
    return float(np.mean((v - recon) ** 2, dtype=np.float64))


def pseudo_log_likelihood(
    rbm: RBM, v: np.ndarray, *, full: bool | None = None, rng: RngLike = None
) -> float:
    """Pseudo-log-likelihood per visible unit, ``mean_i log p(v_i | v_-i)``.

    ``log p(v_i | v_-i) = -softplus(F(v) - F(v^(i)))`` with ``v^(i)`` = ``v`` with unit
    ``i`` flipped. The full version averages over every unit; the stochastic version
    flips one uniformly drawn unit per row (unbiased for the same average, as in
    scikit-learn's ``score_samples``).

    Parameters
    ----------
    rbm : RBM
    v : numpy.ndarray, shape (n, n_visible)
        Binary visible states in the model's dtype.
    full : bool, optional
        Force the full (True) or stochastic (False) version; by default full when
        ``n_visible <= FULL_PLL_MAX_VISIBLE``.
    rng : numpy.random.Generator, int or None
        Chooses the flipped units of the stochastic version.

    Returns
    -------
    float
        The average over rows (and units), <= 0.
    """
    if full is None:
        full = rbm.n_visible <= FULL_PLL_MAX_VISIBLE
    v64 = v.astype(np.float64)
    w, a, b = (x.astype(np.float64) for x in (rbm.weights, rbm.visible_bias, rbm.hidden_bias))
    fields = v64 @ w
    minus_s = minus_softplus_sums(fields, b)
    if full:
        total = 0.0
        for i in range(rbm.n_visible):
            total += float(np.sum(flip_log_probs(v64[:, i], fields, w[i], a[i], b, minus_s)))
        return float(total / (v.shape[0] * rbm.n_visible))
    units = as_generator(rng).integers(0, rbm.n_visible, size=v.shape[0])
    values = v64[np.arange(v.shape[0]), units]
    return float(np.mean(flip_log_probs(values, fields, w[units], a[units], b, minus_s)))


def marchenko_pastur_edge(n_visible: int, n_hidden: int, std: float) -> float:
    """Upper edge of the singular values of an i.i.d. N(0, std^2) W, 0 when ``std`` is 0.

    The upper value of :func:`pyrbm.analysis.spectrum.mp_edges`; weights that start
    constant (``std == 0``) have every nonzero singular value above the edge.

    Parameters
    ----------
    n_visible, n_hidden : int
    std : float
        Standard deviation of the entries, >= 0.

    Returns
    -------
    float
    """
    # Not from pyrbm.analysis.spectrum, which loads scipy.stats and scipy.optimize (about
    # 0.9 s, once: measured as 10 % of the first epoch's time at the CLI defaults).
    from ..analysis._edges import mp_edges

    return mp_edges(n_visible, n_hidden, std)[1] if std > 0 else 0.0


def spectrum_metrics(rbm: RBM, mp_edge: float) -> dict[str, float]:
    """Largest singular value of ``W`` and the number of singular values above ``mp_edge``.

    Parameters
    ----------
    rbm : RBM
    mp_edge : float
        The Marchenko–Pastur edge of the initial ensemble.

    Returns
    -------
    dict
        ``{"sv_max": float, "n_sv_above_mp": float}``.
    """
    singular = np.linalg.svd(rbm.weights, compute_uv=False)
    return {"sv_max": float(singular[0]), "n_sv_above_mp": float(np.sum(singular > mp_edge))}

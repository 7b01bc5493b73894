"""Exact enumeration: log Z of a small RBM and exact samples of its visible layer.

Only the smaller layer is enumerated; the other is summed out analytically
(``sum_h exp(b.h + v.W.h) = prod_j (1 + exp(b_j + (vW)_j))``).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from .. import _core
from .._rng import RngLike, as_generator
from .._validation import finite_scalar, positive_int
from ..model import RBM

#: Default largest number of enumerated states of log_z_exact (option max_states).
MAX_EXACT_STATES = 2**27

#: Default largest number of enumerated states of sample_exact (NumPy, memory 8 B/state).
MAX_SAMPLE_STATES = 2**20

#: Larger enumerations run as one kernel call per value of the top bits, 2^CHUNK_BITS
#: states each, so that Ctrl-C (checked by Python between the calls) stops them.
CHUNK_BITS = 22


def check_rbm(rbm: object) -> RBM:
    """Return ``rbm`` if it is a :class:`pyrbm.RBM`, else raise TypeError."""
    if not isinstance(rbm, RBM):
        raise TypeError(f"rbm: expected pyrbm.RBM, got {type(rbm).__name__}")
    return rbm


def log_z_exact(
    rbm: RBM,
    *,
    beta: float = 1.0,
    layer: Literal["auto", "visible", "hidden"] = "auto",
    max_states: int = MAX_EXACT_STATES,
) -> float:
    """Exact ``log Z`` by enumerating one layer (the other is summed analytically).

    Parameters
    ----------
    rbm : RBM
        Model with ``W`` of shape (n_visible, n_hidden).
    beta : float
        Inverse temperature (>= 0).
    layer : {"auto", "visible", "hidden"}
        Layer to enumerate; "auto" takes the smaller one.
    max_states : int
        Refuse to enumerate more than this many states (``2^27`` by default).

    Returns
    -------
    float
    """
    rbm = check_rbm(rbm)
    beta = finite_scalar(beta, "beta", minimum=0.0)
    max_states = positive_int(max_states, "max_states")
    if layer == "auto":
        layer = "hidden" if rbm.n_hidden <= rbm.n_visible else "visible"
    if layer == "hidden":
        rows, bias, other = np.ascontiguousarray(rbm.weights.T), rbm.hidden_bias, rbm.visible_bias
    elif layer == "visible":
        rows, bias, other = rbm.weights, rbm.visible_bias, rbm.hidden_bias
    else:
        raise ValueError(f"layer: expected 'auto', 'visible' or 'hidden', got {layer!r}")
    n_enum = rows.shape[0]
    if n_enum > 62 or 2**n_enum > max_states:
        raise ValueError(
            f"rbm: exact enumeration of the {layer} layer needs 2^{n_enum} = {2**n_enum:.3e} "
            f"states, above max_states = {max_states}; raise max_states or use method='ais'"
        )
    if n_enum <= CHUNK_BITS:
        return float(_core.log_z_enumerate(rows, bias, other, beta))
    return _log_z_chunked(rows, bias, other, beta)


def _log_z_chunked(rows: np.ndarray, bias: np.ndarray, other: np.ndarray, beta: float) -> float:
    """``log Z`` as a log-sum over the values p of the top bits of the enumerated layer:
    ``beta e_top.p + log_z_enumerate(rows_low, e_low, other + p.rows_top)``, in float64."""
    r, e, c = (np.asarray(x, np.float64) for x in (rows, bias, other))
    low, top = r[:CHUNK_BITS], r[CHUNK_BITS:]
    terms = []
    for prefix in range(2 ** top.shape[0]):  # Python between the calls: Ctrl-C works
        bits = ((prefix >> np.arange(top.shape[0])) & 1).astype(np.float64)
        terms.append(beta * float(e[CHUNK_BITS:] @ bits) + _core.log_z_enumerate(
            low, np.ascontiguousarray(e[:CHUNK_BITS]), c + bits @ top, beta))
    from scipy.special import logsumexp  # here: scipy.special costs import pyrbm 0.2 s

    return float(logsumexp(terms))


def _bits(indices: np.ndarray, n_bits: int) -> np.ndarray:
    """Binary digits of each index, shape (len(indices), n_bits), float64."""
    return ((indices[:, None] >> np.arange(n_bits)) & 1).astype(np.float64)


def sample_exact(
    rbm: RBM,
    n_samples: int,
    *,
    beta: float = 1.0,
    rng: RngLike = None,
    max_states: int = MAX_SAMPLE_STATES,
) -> np.ndarray:
    """Exact independent draws of ``v ~ p_beta(v)`` by enumerating the smaller layer.

    With the hidden layer enumerated, ``h`` is drawn from its exact marginal and then
    ``v ~ p(v | h)``; with the visible layer enumerated, ``v`` is drawn directly.

    Parameters
    ----------
    rbm : RBM
        Model with ``W`` of shape (n_visible, n_hidden).
    n_samples : int
    beta : float
        Inverse temperature.
    rng : numpy.random.Generator, int or None
    max_states : int
        Refuse to enumerate more states than this.

    Returns
    -------
    numpy.ndarray, shape (n_samples, n_visible), the model's dtype
    """
    rbm = check_rbm(rbm)
    n_samples = positive_int(n_samples, "n_samples")
    beta = finite_scalar(beta, "beta", minimum=0.0)
    gen = as_generator(rng)
    w = beta * rbm.weights.astype(np.float64)
    a = beta * rbm.visible_bias.astype(np.float64)
    b = beta * rbm.hidden_bias.astype(np.float64)
    by_hidden = rbm.n_hidden <= rbm.n_visible
    if by_hidden:  # enumerated bias/couplings: (b, W^T), summed-out layer: a
        bias, rows, other = b, w.T, a
    else:
        bias, rows, other = a, w, b
    n_bits = rows.shape[0]
    if 2**n_bits > positive_int(max_states, "max_states"):
        raise ValueError(
            f"rbm: exact sampling needs 2^{n_bits} = {2**n_bits:.3e} states, "
            f"above max_states = {max_states}"
        )
    log_p = np.empty(2**n_bits)
    chunk = 4096
    for start in range(0, 2**n_bits, chunk):
        states = _bits(np.arange(start, min(start + chunk, 2**n_bits)), n_bits)
        log_p[start : start + chunk] = states @ bias + np.logaddexp(
            0.0, other + states @ rows
        ).sum(axis=1)
    from scipy.special import expit, logsumexp  # here, as above

    p = np.exp(log_p - logsumexp(log_p))
    states = _bits(gen.choice(2**n_bits, n_samples, p=p / p.sum()), n_bits)
    if by_hidden:
        states = (gen.random((n_samples, rbm.n_visible)) < expit(a + states @ w.T)).astype(float)
    return states.astype(rbm.dtype)

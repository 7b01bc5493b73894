"""Array-level kernels of the scikit-learn drop-in (:mod:`pyrbm.sklearn`).

scikit-learn stores the weights as ``components_`` of shape ``(n_components,
n_features)`` in Fortran order, so ``components_.T`` is exactly pyrbm's C-contiguous
``W`` of shape ``(n_visible, n_hidden)``: the functions here take that ``W`` view and
update it in place, which updates ``components_``.

The PCD update is one call of the engine (``_core.hidden_chain_update``: the same
statistics, gradient and density rule as ``pyrbm.train``'s update); inference
(transform, gibbs, score_samples) uses the gather-add (``_core.sparse_fields``) for
sparse binary inputs and pyrbm's own GEMM (:func:`pyrbm._gemm.matmul`, on its OpenMP
threads, the same bits for any thread count) elsewhere; only scipy sparse inputs use
scipy. Every random number comes from the Philox key of the call.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import scipy.sparse as sp

from .. import _core
from .._gemm import matmul
from .._pseudo_likelihood import flip_log_probs
from .._rng import STREAMS
from .._threads import blas_controller
from .._validation import is_binary as binary_rule
from ..model import SPARSE_DENSITY_THRESHOLD

Key = tuple[int, int]

#: Below this many multiply-adds per update, OpenMP's fork/join costs more than it saves
#: (on 2 cores: about 400 us per update of 20 x 64 x 37 with 2 threads, 35 us with one).
SERIAL_BELOW = 1 << 20


@contextlib.contextmanager
def update_threads(n_rows: int, n_visible: int, n_hidden: int) -> Iterator[None]:
    """Thread settings for kernels over ``n_rows`` rows (a PCD update: chains + batch).

    Small problems run on one OpenMP thread (and one BLAS thread, for the scipy sparse
    products). The OpenMP kernels give the same results for any thread count; only the
    speed changes.
    """
    previous = _core.get_max_threads()
    small = n_rows * n_visible * n_hidden < SERIAL_BELOW and previous > 1
    if small:
        _core.set_num_threads(1)
    try:
        if small:
            with blas_controller().limit(limits=1, user_api="blas"):
                yield
        else:
            yield
    finally:
        if small:
            _core.set_num_threads(previous)


#: Byte alignment of the weights a fit updates: the gather-add's 64-byte loads of W's
#: rows run about 1.3x faster when the rows start on cache lines as often as the row
#: length allows (measured: 784 x 500 float64 gather, 1.01 ms from a 64-byte-aligned
#: base, 1.26 ms from base + 16 bytes; NumPy only guarantees 16).
ALIGNMENT = 64


def aligned(array: np.ndarray) -> np.ndarray:
    """``array`` itself if C-contiguous and its data starts on a multiple of
    :data:`ALIGNMENT` bytes, else such a copy.

    Parameters
    ----------
    array : numpy.ndarray

    Returns
    -------
    numpy.ndarray, same shape, dtype and values
    """
    if array.flags.c_contiguous and array.ctypes.data % ALIGNMENT == 0:
        return array
    buffer = np.empty(array.nbytes + ALIGNMENT, np.uint8)
    start = -buffer.ctypes.data % ALIGNMENT
    out = buffer[start : start + array.nbytes].view(array.dtype).reshape(array.shape)
    np.copyto(out, array)
    return out


def is_binary(X: np.ndarray | sp.spmatrix | sp.sparray) -> bool:
    """Return True when every entry of ``X`` is 0 or 1.

    Parameters
    ----------
    X : numpy.ndarray or scipy sparse matrix, shape (n, n_features)

    Returns
    -------
    bool
    """
    return binary_rule(np.asarray(X.data) if sp.issparse(X) else X)


def hidden_fields(
    v: np.ndarray | sp.spmatrix | sp.sparray, weights: np.ndarray, binary: bool
) -> np.ndarray:
    """Return ``v @ W`` as a C-contiguous array in the dtype of ``weights``.

    Parameters
    ----------
    v : numpy.ndarray or scipy sparse matrix, shape (n, n_visible)
        Visible values; dense arrays must already have the dtype of ``weights``.
    weights : numpy.ndarray, shape (n_visible, n_hidden)
        C-contiguous ``W``.
    binary : bool
        Whether ``v`` is known to be {0, 1}: sparse enough binary rows use the
        gather-add kernel instead of a GEMM.

    Returns
    -------
    numpy.ndarray, shape (n, n_hidden)
    """
    if sp.issparse(v):
        return np.ascontiguousarray(v @ weights, dtype=weights.dtype)
    out = np.empty((v.shape[0], weights.shape[1]), weights.dtype)
    if binary and v.flags.c_contiguous and _core.density(v) < SPARSE_DENSITY_THRESHOLD:
        _core.sparse_fields(v, weights, out)
    else:
        matmul(v.astype(weights.dtype, copy=False), weights, out)
    return out


def hidden_probs(
    v: np.ndarray | sp.spmatrix | sp.sparray,
    weights: np.ndarray,
    hidden_bias: np.ndarray,
    binary: bool,
) -> np.ndarray:
    """Return ``sigmoid(v @ W + b)``, shape ``(n, n_hidden)`` (see :func:`hidden_fields`)."""
    fields = hidden_fields(v, weights, binary)
    _core.probs_from_fields(fields, hidden_bias, 1.0, fields)
    return fields


def gibbs_step(
    v: np.ndarray | sp.spmatrix | sp.sparray,
    weights: np.ndarray,
    visible_bias: np.ndarray,
    hidden_bias: np.ndarray,
    binary: bool,
    key: Key,
) -> np.ndarray:
    """One Gibbs step v -> h -> v (sweep 0 of ``key``).

    Parameters
    ----------
    v : numpy.ndarray or scipy sparse matrix, shape (n, n_visible)
    weights : numpy.ndarray, shape (n_visible, n_hidden)
    visible_bias : numpy.ndarray, shape (n_visible,)
    hidden_bias : numpy.ndarray, shape (n_hidden,)
    binary : bool
        Whether ``v`` is known to be {0, 1}.
    key : tuple of int
        Philox key.

    Returns
    -------
    numpy.ndarray, shape (n, n_visible), the dtype of ``weights``, entries 0 or 1
    """
    fields = hidden_fields(v, weights, binary)
    hidden = np.empty_like(fields)
    _core.sample_from_fields(fields, hidden_bias, 1.0, key, 0, 0, STREAMS["hidden"], hidden)
    visible_fields = matmul(hidden, weights.T)
    visible = np.empty_like(visible_fields)
    _core.sample_from_fields(
        visible_fields, visible_bias, 1.0, key, 0, 0, STREAMS["visible"], visible
    )
    return visible


def pcd_update(
    v_pos: np.ndarray | sp.spmatrix | sp.sparray,
    weights: np.ndarray,
    visible_bias: np.ndarray,
    hidden_bias: np.ndarray,
    h_samples: np.ndarray,
    learning_rate: float,
    binary: bool,
    key: Key,
    sweep: int,
) -> np.ndarray:
    """One PCD-1 update, scikit-learn's ``BernoulliRBM._fit``, in place on the parameters.

    With ``P = sigmoid(.)`` the hidden probabilities and ``lr = learning_rate / n``::

        h_pos = P(v_pos W + b)
        v_neg ~ p(v | h_samples)                      (stream "visible", this sweep)
        h_neg = P(v_neg W + b)
        W += lr (v_pos^T h_pos - v_neg^T h_neg)
        b += lr (sum h_pos - sum h_neg) ;  a += lr (sum v_pos - sum v_neg)
        h_samples <- Bernoulli(h_neg)                 (stream "hidden", this sweep)

    Every term is computed from the parameters before the update, as scikit-learn does.
    The whole update is one engine call (``_core.hidden_chain_update``: the trainer's
    statistics and gradient, its one density rule for gather-add or GEMM). Its uniforms
    have float32's layout for both dtypes, so float32 and float64 fits draw the same
    numbers.

    Parameters
    ----------
    v_pos : numpy.ndarray or scipy sparse matrix, shape (n, n_visible)
        The mini-batch (any float dtype; converted to the dtype of ``weights``).
    weights : numpy.ndarray, shape (n_visible, n_hidden)
        C-contiguous ``W``, updated in place.
    visible_bias : numpy.ndarray, shape (n_visible,)
        Updated in place.
    hidden_bias : numpy.ndarray, shape (n_hidden,)
        Updated in place.
    h_samples : numpy.ndarray, shape (n_chains, n_hidden)
        Persistent hidden states, 0 or 1 (not modified).
    learning_rate : float
        scikit-learn's ``learning_rate`` (divided by ``n`` here).
    binary : bool
        Whether ``v_pos`` is known to be {0, 1} (enables the gather-add for the data).
    key : tuple of int
        Philox key of this fit.
    sweep : int
        Update index within the key: the counter of this update's random numbers.

    Returns
    -------
    numpy.ndarray, shape (n_chains, n_hidden)
        The new persistent hidden states.
    """
    # isinstance (what sp.issparse tests) so that the type checker narrows v_pos
    dense_pos = v_pos.toarray() if isinstance(v_pos, (sp.spmatrix, sp.sparray)) else v_pos
    dense_pos = np.ascontiguousarray(dense_pos, dtype=weights.dtype)
    h_next = np.empty_like(h_samples)
    _core.hidden_chain_update(dense_pos, binary, h_samples, weights, visible_bias, hidden_bias,
                              learning_rate, key, sweep, h_next)
    return h_next


def pseudo_likelihood(
    v: np.ndarray | sp.spmatrix | sp.sparray,
    weights: np.ndarray,
    visible_bias: np.ndarray,
    hidden_bias: np.ndarray,
    flip: np.ndarray,
    binary: bool,
) -> np.ndarray:
    """scikit-learn's stochastic pseudo-likelihood, one flipped unit per sample.

    ``-n_visible * log(1 + exp(-(F(v') - F(v))))`` where ``v'`` is ``v`` with unit
    ``flip[r]`` of row ``r`` set to ``1 - v`` (:func:`pyrbm._pseudo_likelihood.flip_log_probs`).

    Parameters
    ----------
    v : numpy.ndarray or scipy sparse matrix, shape (n, n_visible)
    weights : numpy.ndarray, shape (n_visible, n_hidden)
    visible_bias : numpy.ndarray, shape (n_visible,)
    hidden_bias : numpy.ndarray, shape (n_hidden,)
    flip : numpy.ndarray of int, shape (n,)
        Index of the unit flipped in each row.
    binary : bool
        Whether ``v`` is known to be {0, 1}.

    Returns
    -------
    numpy.ndarray, shape (n,), the dtype of ``weights``
    """
    values = np.asarray(v[np.arange(v.shape[0]), flip], dtype=weights.dtype).ravel()
    fields = hidden_fields(v, weights, binary)
    log_p = flip_log_probs(values, fields, weights[flip], visible_bias[flip], hidden_bias)
    return np.asarray((weights.shape[0] * log_p).astype(weights.dtype, copy=False))

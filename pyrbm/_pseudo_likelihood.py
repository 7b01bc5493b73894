"""The pseudo-likelihood's one rule, unchecked: ``log p(v_u | v_-u)`` from the hidden
fields, for one flipped unit ``u`` per row.

Shared by the trainer's monitor (:func:`pyrbm.training.metrics.pseudo_log_likelihood`,
float64) and the scikit-learn drop-in's ``score_samples`` (the model's dtype). Callers
validate; arrays must already have one float dtype.
"""

from __future__ import annotations

import numpy as np

from . import _core


def minus_softplus_sums(fields: np.ndarray, hidden_bias: np.ndarray) -> np.ndarray:
    """``-sum_j softplus(b_j + fields_j)`` per row: the hidden part of ``F(v)``.

    Parameters
    ----------
    fields : numpy.ndarray, shape (n, n_hidden)
        ``v W`` without the hidden bias.
    hidden_bias : numpy.ndarray, shape (n_hidden,)

    Returns
    -------
    numpy.ndarray, shape (n,), the dtype of ``fields``
    """
    # F(v) = -a.v - S(v): the kernel with an empty visible part (one zero column) gives -S.
    n, dtype = fields.shape[0], fields.dtype
    out = np.empty(n, dtype)
    _core.free_energy_from_fields(np.zeros((n, 1), dtype), fields, np.zeros(1, dtype),
                                  hidden_bias, 1.0, out)
    return out


def flip_log_probs(
    values: np.ndarray,
    fields: np.ndarray,
    weight_rows: np.ndarray,
    visible_bias: np.ndarray,
    hidden_bias: np.ndarray,
    minus_s: np.ndarray | None = None,
) -> np.ndarray:
    """``log p(v_u | v_-u) = -softplus(F(v) - F(v'))`` per row, ``v'`` = ``v`` with unit
    ``u`` flipped.

    The flip changes the hidden fields by ``(1 - 2 v_u) W[u, :]``, so ``F(v')`` costs a
    row update, not a GEMM: ``F(v') - F(v) = -a_u (1 - 2 v_u) - S(v') + S(v)``.

    Parameters
    ----------
    values : numpy.ndarray, shape (n,)
        The current values ``v_u`` of each row's flipped unit, in {0, 1}.
    fields : numpy.ndarray, shape (n, n_hidden)
        ``v W`` without the hidden bias.
    weight_rows : numpy.ndarray, shape (n, n_hidden) or (n_hidden,)
        ``W[u, :]`` of each row's unit (one row when every row flips the same unit).
    visible_bias : numpy.ndarray, shape (n,) or ()
        ``a_u`` of each row's unit.
    hidden_bias : numpy.ndarray, shape (n_hidden,)
    minus_s : numpy.ndarray, shape (n,), optional
        ``minus_softplus_sums(fields, hidden_bias)``, when already computed.

    Returns
    -------
    numpy.ndarray, shape (n,), the dtype of ``fields``
        Values <= 0.
    """
    delta = 1 - 2 * values  # v'_u - v_u
    flipped = fields + delta[:, None] * weight_rows
    if minus_s is None:
        minus_s = minus_softplus_sums(fields, hidden_bias)
    gap = -visible_bias * delta + minus_softplus_sums(flipped, hidden_bias) - minus_s
    return np.asarray(-np.logaddexp(0, -gap))

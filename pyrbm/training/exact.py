"""Order-independent sums of an update's statistics (``exact_sums=True``).

A gradient summed over rows in float arithmetic depends on how the rows are grouped: the
ranks of a data-parallel run each sum their shard and an Allreduce adds the shards'
sums, so their float32 model drifts from the one process's by rounding, and once one
chain unit flips at its threshold the runs part (bench/RESULTS.md, data-parallel
section). Here every term is rounded once, per row, to a multiple of one quantum ``q``
(fixed by the update's global row count and scales) and summed in float64. All partial
sums are then multiples of ``q`` below ``2**52 q``: every addition is exact, in any
order, in any grouping, through NumPy's BLAS or an MPI Allreduce, so R ranks and one
process obtain the same float64 sums, rounded once to the model's dtype. The terms'
rounding is below 2**-40 of the largest coefficient (about 1000 rows): far below float32
resolution.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _core
from ..model import RBM

#: Bits of float64's mantissa the sums may use (one spare against the last carry).
_SUM_BITS = 52


def quantum(n_rows: int, scale: float) -> float:
    """The grid of the terms: ``2**e`` with ``n_rows * scale / q < 2**52``.

    Parameters
    ----------
    n_rows : int
        Rows summed over all ranks (data rows plus chains).
    scale : float
        Largest factor of a term: every term has ``|t| <= scale``.

    Returns
    -------
    float

    Examples
    --------
    >>> quantum(1000, 1 / 500) == 2.0 ** (-8 - 52 + 10)
    True
    """
    top = math.ceil(math.log2(scale))
    return math.ldexp(1.0, top - _SUM_BITS + math.ceil(math.log2(n_rows)))


def _on_grid(x: np.ndarray, q: float) -> np.ndarray:
    """``x`` (float64) rounded to the nearest multiple of ``q`` (a power of two)."""
    return np.rint(x / q) * q


def partial_statistics(
    rbm: RBM,
    data: np.ndarray,
    chains: np.ndarray,
    scale_data: float,
    scale_model: float,
    n_rows: int,
    hidden_offset: np.ndarray | None,
) -> list[np.ndarray]:
    """This rank's exact float64 sums: ``[D^T C_d - V^T C_m, sum C_d - sum C_m,
    sum scale_data P_d, counts of D, counts of V]``.

    ``C = scale (P - lambda)`` on the grid, ``P = p(h = 1 | row)``. Added over ranks (in
    any order) they give the statistics of :func:`finish` for the whole update.

    Parameters
    ----------
    rbm : RBM
    data : numpy.ndarray, shape (n_data, n_visible)
        This rank's binary data rows.
    chains : numpy.ndarray, shape (n_chains, n_visible)
        This rank's chains after the update's sweeps (binary).
    scale_data, scale_model : float
        1 / (global batch size), 1 / (global number of chains).
    n_rows : int
        Global data rows plus chains (sets the grid).
    hidden_offset : numpy.ndarray of shape (n_hidden,), optional
        The centering offset lambda.

    Returns
    -------
    list of numpy.ndarray (float64)
        Shapes (n_visible, n_hidden), (n_hidden,), (n_hidden,), (n_visible,), (n_visible,).
    """
    q = quantum(n_rows, max(scale_data, scale_model))
    lam = 0.0 if hidden_offset is None else hidden_offset.astype(np.float64)
    p_data = rbm.hidden_probs(data).astype(np.float64)
    p_model = rbm.hidden_probs(chains).astype(np.float64)
    c_data = _on_grid(scale_data * (p_data - lam), q)
    c_model = _on_grid(scale_model * (p_model - lam), q)
    grad_w = _transposed_product(rbm, data, c_data)
    grad_w -= _transposed_product(rbm, chains, c_model)
    return [
        grad_w,
        c_data.sum(axis=0) - c_model.sum(axis=0),
        _on_grid(scale_data * p_data, q).sum(axis=0),
        data.sum(axis=0, dtype=np.float64),
        chains.sum(axis=0, dtype=np.float64),
    ]


def _transposed_product(rbm: RBM, states: np.ndarray, coeffs: np.ndarray) -> np.ndarray:
    """``states^T @ coeffs`` in float64 for {0, 1} states: the gather-add of the
    coefficient rows where the states are sparse (RBM's density rule), else NumPy's
    product; exact either way, since every term and partial sum lies on the grid."""
    s_t = np.ascontiguousarray(states.T, dtype=np.float64)
    if not rbm._use_sparse(s_t, "auto"):
        product: np.ndarray = s_t @ coeffs
        return product
    out = np.empty((s_t.shape[0], coeffs.shape[1]))
    _core.sparse_fields(s_t, np.ascontiguousarray(coeffs), out)
    return out


def finish(
    sums: list[np.ndarray],
    scale_data: float,
    scale_model: float,
    visible_offset: np.ndarray | None,
    dtype: np.dtype,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``grad_w, grad_a, grad_b, mean_h_data`` in ``dtype`` from the global sums.

    The same quantities as ``_core.chain_gradient`` writes: ``grad_w`` is the centered
    ``(D - mu)^T C_d - (V - mu)^T C_m`` when ``visible_offset`` (mu) is given, ``grad_b``
    the coefficient sums (``sum C_d - sum C_m``, equal to ``scale_data sum P_d -
    scale_model sum P_m`` since the scales are the reciprocal row counts).

    Parameters
    ----------
    sums : list of numpy.ndarray
        :func:`partial_statistics`'s arrays summed over the ranks.
    scale_data, scale_model : float
    visible_offset : numpy.ndarray of shape (n_visible,), optional
    dtype : numpy.dtype
        The model's dtype.

    Returns
    -------
    tuple of numpy.ndarray
    """
    grad_w, coeff_sums, mean_h, counts_data, counts_model = sums
    if visible_offset is not None:
        grad_w = grad_w - np.outer(visible_offset.astype(np.float64), coeff_sums)
    grad_a = scale_data * counts_data - scale_model * counts_model
    return (grad_w.astype(dtype), grad_a.astype(dtype), coeff_sums.astype(dtype),
            mean_h.astype(dtype))

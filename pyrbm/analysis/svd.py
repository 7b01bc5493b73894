"""Thin SVD of the weight matrix in the conventions of docs/equations.md E3-E5.

``W = U diag(s) V^T`` with ``s`` descending, ``U`` of shape ``(N, L)``, ``V`` of shape
``(M, L)``, ``L = min(N, M)``; reciprocal coordinates ``x = U^T v``, ``y = V^T h``;
``a0 = U^T a``, ``b0 = V^T b``. Gauge: that of :func:`pyrbm.analysis.reciprocal.decompose` (each
pair ``(U_i, V_i)`` signed so that ``sum_k U_ki > 0``, or by the largest-magnitude entry
when the sum vanishes), so modes here and there are the same vectors. Thin: the probing
and diffusion code needs only the ``L`` paired modes.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


def column_signs(a: np.ndarray) -> np.ndarray:
    """+-1 per column: the sign of its sum, or of its largest entry if the sum is ~0.

    The gauge of every SVD in pyrbm (docs/equations.md E3): ``U_i`` and ``V_i`` flip together.
    """
    sums = a.sum(axis=0)
    peak = a[np.argmax(np.abs(a), axis=0), np.arange(a.shape[1])]
    return np.asarray(np.where(np.abs(sums) > 1e-12, np.sign(sums), np.sign(peak)))


class ThinSVD(NamedTuple):
    """``W = u @ diag(s) @ v.T``: u ``(N, L)``, s ``(L,)`` descending, v ``(M, L)``."""

    u: np.ndarray
    s: np.ndarray
    v: np.ndarray


def thin_svd(weights: np.ndarray) -> ThinSVD:
    """Gauge-fixed thin SVD of ``weights`` in float64.

    Parameters
    ----------
    weights : numpy.ndarray, shape (N, M)

    Returns
    -------
    ThinSVD
        ``u`` (N, L), ``s`` (L,), ``v`` (M, L), ``L = min(N, M)``, all float64.
    """
    u, s, vt = np.linalg.svd(np.asarray(weights, dtype=np.float64), full_matrices=False)
    signs = column_signs(u)
    return ThinSVD(np.ascontiguousarray(u * signs), s, np.ascontiguousarray(vt.T * signs))

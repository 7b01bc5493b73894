"""Thin SVD of the weight matrix in the conventions of paper-notes E3-E5.

``W = U diag(s) V^T`` with ``s`` descending, ``U`` of shape ``(N, L)``, ``V`` of shape
``(M, L)``, ``L = min(N, M)``; reciprocal coordinates ``x = U^T v``, ``y = V^T h``;
``a0 = U^T a``, ``b0 = V^T b``. Gauge (the SVD fixes each pair ``(U_i, V_i)`` only up to a
common sign): the entry of largest magnitude of each column of ``U`` is made positive
(``V_i`` flips with it). Computed with numpy directly; ``pyrbm.reciprocal`` offers the full
decomposition and mode tracking across checkpoints.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


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
    v = vt.T
    pivot = np.argmax(np.abs(u), axis=0)
    signs = np.where(u[pivot, np.arange(u.shape[1])] < 0, -1.0, 1.0)
    return ThinSVD(np.ascontiguousarray(u * signs), s, np.ascontiguousarray(v * signs))

"""The Marchenko-Pastur edges and their argument checks, apart from
:mod:`pyrbm.analysis.spectrum` (which re-exports them) so that the trainer's monitoring
can use them without importing scipy.stats and scipy.optimize."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import finite_scalar, positive_int


def _sizes(n_visible: Any, n_hidden: Any) -> tuple[int, int]:
    return positive_int(n_visible, "n_visible"), positive_int(n_hidden, "n_hidden")


def _std(std: Any) -> float:
    out = finite_scalar(std, "std")
    if out <= 0:
        raise ValueError(f"std: must be > 0, got {out}")
    return out


def mp_edges(n_visible: int, n_hidden: int, std: float) -> tuple[float, float]:
    """Edges of the Marchenko–Pastur bulk of the singular values (E23).

    Parameters
    ----------
    n_visible, n_hidden : int
        Shape ``(N, M)`` of the weight matrix; either may be the larger.
    std : float
        Standard deviation of the i.i.d. entries, > 0.

    Returns
    -------
    tuple of float
        ``(lam_minus, lam_plus) = std * (|sqrt(N) - sqrt(M)|, sqrt(N) + sqrt(M))``.

    Examples
    --------
    >>> from pyrbm.analysis.spectrum import mp_edges
    >>> mp_edges(400, 100, 0.5)
    (5.0, 15.0)
    """
    n, m = _sizes(n_visible, n_hidden)
    s = _std(std)
    rn, rm = np.sqrt(n), np.sqrt(m)
    return float(s * abs(rn - rm)), float(s * (rn + rm))

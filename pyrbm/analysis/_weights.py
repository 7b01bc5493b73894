"""Weight-matrix validation and scalar summaries shared by the analysis modules."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike
import scipy.special

from ..model import RBM

__all__ = ["trace_wwt", "trace_wwt_squared", "weight_entropy"]


def _matrix64(value: Any, name: str, kind: str = "a numpy array") -> np.ndarray:
    """Validate a non-empty, finite, real 2-D array and return it as float64."""
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{name}: expected {kind}, got {type(value).__name__}")
    if value.ndim != 2 or value.size == 0:
        raise ValueError(f"{name}: expected a non-empty 2-D array, got shape {value.shape}")
    if value.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected a real array, got {value.dtype}")
    out = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{name}: contains NaN or inf")
    return out


def _weights64(weights: Any, name: str = "weights") -> np.ndarray:
    if isinstance(weights, RBM):
        weights = weights.weights
    return _matrix64(weights, name, "an RBM or a numpy array")


def weight_entropy(weights: ArrayLike) -> float:
    """Weight-matrix entropy ``-sum_i lam_i ln lam_i`` of the singular values.

    Parameters
    ----------
    weights : RBM or numpy.ndarray, shape (N, M)

    Returns
    -------
    float
        Uses the convention ``0 ln 0 = 0`` (``scipy.special.entr``); the singular values
        are not normalized, as in the paper.
    """
    return float(scipy.special.entr(np.linalg.svd(_weights64(weights), compute_uv=False)).sum())


def trace_wwt(weights: ArrayLike) -> float:
    """``tr(W W^T) / (N M)`` (the mean squared weight).

    Parameters
    ----------
    weights : RBM or numpy.ndarray, shape (N, M)

    Returns
    -------
    float
    """
    w = _weights64(weights)
    return float(np.sum(w * w) / w.size)


def trace_wwt_squared(weights: ArrayLike) -> float:
    """``tr((W W^T)^2) / (N M^2)``, computed as ``||W^T W||_F^2 / (N M^2)``.

    Parameters
    ----------
    weights : RBM or numpy.ndarray, shape (N, M)

    Returns
    -------
    float
    """
    w = _weights64(weights)
    gram = w.T @ w
    return float(np.sum(gram * gram) / (w.shape[0] * w.shape[1] ** 2))

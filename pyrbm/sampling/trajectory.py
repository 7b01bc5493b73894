"""Trajectories for parallel trajectory tempering from a run archive."""

from __future__ import annotations

import os

import numpy as np

from .._validation import positive_int
from ..io import archive
from ..model import RBM


def independent_end(rbm: RBM, visible_bias: np.ndarray | None = None) -> RBM:
    """The model without couplings: independent visible units, whose Gibbs chains are
    exact after one sweep (the easy end of a trajectory).

    Parameters
    ----------
    rbm : RBM
        Gives the shape and dtype (and the visible bias by default).
    visible_bias : numpy.ndarray, shape (n_visible,), optional
        The visible bias of the independent model, e.g. ``logit`` of the data's mean
        (:func:`data_visible_bias`): the independent-units model of the data. Default:
        ``rbm.visible_bias``.

    Returns
    -------
    RBM
    """
    if visible_bias is None:
        bias = rbm.visible_bias
    else:
        bias = np.asarray(visible_bias)
        if bias.dtype.kind not in "iuf":
            raise TypeError(f"visible_bias: expected real numbers, got dtype {bias.dtype}")
        if bias.shape != (rbm.n_visible,):
            raise ValueError(f"visible_bias: expected shape ({rbm.n_visible},), got {bias.shape}")
        if not np.all(np.isfinite(bias)):
            raise ValueError("visible_bias: contains NaN or inf")
    return RBM(np.zeros_like(rbm.weights), np.asarray(bias, rbm.dtype),
               np.zeros_like(rbm.hidden_bias))


def data_visible_bias(data: np.ndarray, eps: float = 1e-3) -> np.ndarray:
    """``logit`` of the mean of each visible unit over ``data`` (clipped to [eps, 1 - eps]):
    the visible bias of the independent-units model that matches the data's marginals.

    Parameters
    ----------
    data : numpy.ndarray, shape (n_samples, n_visible)
    eps : float

    Returns
    -------
    numpy.ndarray, shape (n_visible,), float64
    """
    if not isinstance(data, np.ndarray) or data.ndim != 2 or data.shape[0] == 0:
        raise ValueError("data: expected a non-empty 2-D numpy array (n_samples, n_visible)")
    mean = np.clip(data.mean(axis=0, dtype=np.float64), eps, 1.0 - eps)
    return np.asarray(np.log(mean) - np.log1p(-mean))


def path_models(knots: list[RBM], positions: np.ndarray) -> list[RBM]:
    """Models on the piecewise-linear path through ``knots`` in parameter space.

    Position ``s`` in ``[0, len(knots) - 1]`` is ``(1 - f) knots[i] + f knots[i + 1]``
    with ``i = floor(s)`` and ``f = s - i`` (weights and both biases, in float64, then
    cast to the knots' dtype); an integer position is that knot exactly. Every such model
    is an RBM, so a trajectory of them is a valid tempering path from ``knots[0]`` to
    ``knots[-1]``.

    Parameters
    ----------
    knots : list of RBM
        At least 2 models of one shape and dtype (checked by the caller).
    positions : numpy.ndarray, shape (n,)
        In ``[0, len(knots) - 1]``.

    Returns
    -------
    list of RBM
    """
    last = len(knots) - 1
    out = []
    for s in positions:
        i = min(int(np.floor(s)), last - 1)
        f = float(s) - i
        if f == 0.0 or f == 1.0:
            out.append(knots[i + int(f)])
            continue
        a, b = knots[i], knots[i + 1]
        dtype = a.dtype
        mix = [((1.0 - f) * x.astype(np.float64) + f * y.astype(np.float64)).astype(dtype)
               for x, y in ((a.weights, b.weights), (a.visible_bias, b.visible_bias),
                            (a.hidden_bias, b.hidden_bias))]
        out.append(RBM(*mix))
    return out


def archive_trajectory(path: str | os.PathLike[str], n_models: int = 16, last: int = -1
                       ) -> list[RBM]:
    """Models for :func:`trajectory_tempering` from the checkpoints of a training run.

    The easy end is :func:`independent_end` of the first checkpoint; then up to
    ``n_models - 1`` checkpoints evenly spaced from the first to checkpoint ``last`` (the
    target).

    Parameters
    ----------
    path : str or os.PathLike
        A run archive written by :func:`pyrbm.train`.
    n_models : int
        Length of the trajectory, at least 2.
    last : int
        Position of the target checkpoint (Python indexing, -1 = the latest).

    Returns
    -------
    list of RBM
        Easy end first, target last.
    """
    n_models = positive_int(n_models, "n_models", minimum=2)
    n_saved = len(archive.list_checkpoints(path))
    if isinstance(last, bool) or not isinstance(last, (int, np.integer)):
        raise TypeError(f"last: expected an int, got {type(last).__name__}")
    if not -n_saved <= last < n_saved:
        raise IndexError(f"last: checkpoint {last} out of range for {n_saved} checkpoint(s)")
    end = int(last) % n_saved
    picks = np.unique(np.round(np.linspace(0, end, min(n_models - 1, end + 1))).astype(int))
    models = archive.load_checkpoints(path, [int(i) for i in picks])
    return [independent_end(models[0]), *models]

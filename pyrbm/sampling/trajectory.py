"""Trajectories for parallel trajectory tempering from a run archive."""

from __future__ import annotations

import os

import numpy as np

from .._validation import positive_int
from ..io import archive
from ..model import RBM


def independent_end(rbm: RBM) -> RBM:
    """The model with ``rbm``'s visible bias and no couplings: independent visible units,
    whose Gibbs chains are exact after one sweep (the easy end of a trajectory)."""
    return RBM(np.zeros_like(rbm.weights), rbm.visible_bias, np.zeros_like(rbm.hidden_bias))


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
    models = [archive.load(path, int(i)) for i in picks]
    return [independent_end(models[0]), *models]

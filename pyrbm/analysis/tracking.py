"""Modes followed across checkpoints: matched by maximal overlap through near-crossings,
their gauge (sign) kept continuous (docs/equations.md, Gauge).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.optimize

from .reciprocal import Decomposition, decompose

__all__ = ["ModeTrack", "track_modes"]


@dataclass(frozen=True, eq=False)
class ModeTrack:
    """Modes followed across checkpoints; see :func:`track_modes`.

    Attributes
    ----------
    order : numpy.ndarray of int, shape (T, L)
        ``order[t, k]`` is the descending-SVD index, at checkpoint ``t``, of tracked
        mode ``k`` (labelled by its index at checkpoint 0).
    signs : numpy.ndarray, shape (T, L)
        ``±1`` applied to that checkpoint's gauge-fixed ``(U, V)`` columns.
    singular_values : numpy.ndarray, shape (T, L)
        ``lam`` of each tracked mode over time.
    saddle_energies : numpy.ndarray, shape (T, L)
        ``eps`` of each tracked mode (NaN where ``lam = 0``).
    overlaps : numpy.ndarray, shape (T, L)
        Overlap ``(U_prev.U + V_prev.V) / 2`` of each tracked mode with itself at the
        previous checkpoint (1 at ``t = 0``); small values flag uncertain matches.
    decompositions : list of Decomposition or None
        The gauge-fixed, reordered decompositions if ``keep=True``.
    """

    order: np.ndarray
    signs: np.ndarray
    singular_values: np.ndarray
    saddle_energies: np.ndarray
    overlaps: np.ndarray
    decompositions: list[Decomposition] | None


def track_modes(checkpoints: Iterable[Any], *, keep: bool = False) -> ModeTrack:
    """Follow the paired modes through a sequence of checkpoints.

    At each checkpoint the overlap matrix ``O = (U_prev^T U + V_prev^T V) / 2`` between
    the previous (tracked) modes and the new SVD modes is matched by maximal total
    ``|O|`` (Hungarian algorithm), which follows modes through near-crossings where
    ordering by ``lam`` would swap them; each matched pair's sign is then fixed so that
    its overlap is positive.

    Parameters
    ----------
    checkpoints : iterable of RBM or numpy.ndarray, shape (N, M) each
        Models or weight matrices in time order, all of the same shape; consumed one by
        one, so a generator reading an archive keeps memory bounded when ``keep=False``.
    keep : bool
        Return the gauge-fixed decompositions (each holds ``N^2 + M^2`` floats).

    Returns
    -------
    ModeTrack
    """
    orders, signs, lams, eps, overlaps = [], [], [], [], []
    kept: list[Decomposition] = []
    prev: Decomposition | None = None
    for t, item in enumerate(checkpoints):
        dec = decompose(item)
        k = dec.n_modes
        if prev is None:
            order, sg, ov = np.arange(k), np.ones(k), np.ones(k)
        else:
            if dec.U.shape != prev.U.shape or dec.V.shape != prev.V.shape:
                raise ValueError(
                    f"checkpoints: item {t} has shape {dec.weights.shape}, "
                    f"expected {prev.weights.shape}"
                )
            o = 0.5 * (prev.U[:, :k].T @ dec.U[:, :k] + prev.V[:, :k].T @ dec.V[:, :k])
            _, order = scipy.optimize.linear_sum_assignment(np.abs(o), maximize=True)
            matched = o[np.arange(k), order]
            sg = np.where(matched < 0, -1.0, 1.0)
            ov = np.abs(matched)
        dec = dec.reordered(order, sg)
        with np.errstate(divide="ignore", invalid="ignore"):
            e = np.where(dec.singular_values > 0,
                         dec.a0[:k] * dec.b0[:k] / dec.singular_values, np.nan)
        orders.append(order)
        signs.append(sg)
        lams.append(dec.singular_values)
        eps.append(e)
        overlaps.append(ov)
        if keep:
            kept.append(dec)
        prev = dec
    if prev is None:
        raise ValueError("checkpoints: must not be empty")
    return ModeTrack(np.array(orders), np.array(signs), np.array(lams), np.array(eps),
                     np.array(overlaps), kept if keep else None)

"""Inverse-temperature ladders for parallel tempering: validation, the default ladder and
its adaptation to a target swap acceptance."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import finite_scalar, positive_int

#: Smallest inverse temperature of the initial geometric ladder of ``betas=int``.
INITIAL_BETA_MIN = 0.1

#: Per-pair rejection floor in the adaptation (keeps the cumulative barrier increasing).
MIN_REJECTION = 1e-3


def check_ladder(betas: Any) -> tuple[np.ndarray, bool]:
    """Return ``(ladder, adaptable)`` for ``betas``: an int (number of temperatures, >= 1)
    or an increasing 1-D array of finite betas >= 0 ending at 1."""
    if isinstance(betas, (int, np.integer)) and not isinstance(betas, (bool, np.bool_)):
        n = positive_int(betas, "betas")
        return initial_ladder(n), n > 1
    if isinstance(betas, (str, bytes)) or not hasattr(betas, "__len__"):
        raise TypeError(f"betas: expected an int or an array of betas, got {type(betas).__name__}")
    ladder = np.asarray(betas)
    if ladder.dtype.kind not in "iuf":
        raise TypeError(f"betas: expected real numbers, got dtype {ladder.dtype}")
    ladder = ladder.astype(np.float64)
    if ladder.ndim != 1 or ladder.size == 0:
        raise ValueError(f"betas: expected a non-empty 1-D ladder, got shape {ladder.shape}")
    if not np.all(np.isfinite(ladder)) or np.any(ladder < 0):
        raise ValueError(f"betas: must be finite and >= 0, got {ladder}")
    if np.any(np.diff(ladder) <= 0):
        raise ValueError(f"betas: must be strictly increasing, got {ladder}")
    if ladder[-1] != 1.0:
        raise ValueError(f"betas: the ladder must end at the target beta = 1, got {ladder[-1]}")
    return np.ascontiguousarray(ladder), False


def initial_ladder(n: int) -> np.ndarray:
    """Geometric ladder of ``n`` betas from ``INITIAL_BETA_MIN`` to 1 (``[1]`` for n = 1)."""
    if n == 1:
        return np.ones(1)
    ladder = INITIAL_BETA_MIN ** (np.arange(n - 1, -1, -1) / (n - 1))
    ladder[-1] = 1.0
    return ladder


def adapt_ladder(betas: np.ndarray, acceptance: np.ndarray, target: float) -> np.ndarray:
    """A new ladder of the same length with equal rejection per pair, spanning the range
    whose total rejection is ``(n - 1) (1 - target)`` (clipped at beta = 0).

    The rejection rate of each pair, divided by its width, is a piecewise-constant density
    of the communication barrier Lambda(beta) (Syed et al., JRSS-B 2022); below the
    lowest beta the density of the lowest pair is extended. The new betas are equally
    spaced in Lambda, so each pair gets the same expected rejection.

    Parameters
    ----------
    betas : numpy.ndarray, shape (n,)
        Current ladder, increasing, ending at 1.
    acceptance : numpy.ndarray, shape (n - 1,)
        Measured swap acceptance of each adjacent pair.
    target : float
        Target acceptance per pair, in (0, 1).

    Returns
    -------
    numpy.ndarray, shape (n,)
    """
    n = betas.shape[0]
    rejection = np.clip(1.0 - np.nan_to_num(acceptance, nan=0.0), MIN_REJECTION, 1.0)
    # barrier measured downward from beta = 1: G(betas[k]) = sum of rejections above k
    g = np.concatenate([np.cumsum(rejection[::-1])[::-1], [0.0]])
    wanted = (n - 1) * (1.0 - target)
    if g[0] >= wanted:
        total, beta_min = wanted, float(np.interp(wanted, g[::-1], betas[::-1]))
    else:
        density = rejection[0] / (betas[1] - betas[0])
        beta_min = max(0.0, betas[0] - (wanted - g[0]) / density)
        total = g[0] + (betas[0] - beta_min) * density
    # knots of the piecewise-linear G, extended down to beta_min
    knots_b = np.concatenate([[beta_min], betas[betas > beta_min]])
    knots_g = np.concatenate([[total], g[betas > beta_min]])
    levels = np.linspace(total, 0.0, n)
    new = np.interp(levels, knots_g[::-1], knots_b[::-1])
    new[0], new[-1] = beta_min, 1.0
    if np.any(np.diff(new) <= 0):  # degenerate estimate (should not happen): keep the old one
        return betas.copy()
    return np.asarray(new)


def adapt_positions(positions: np.ndarray, acceptance: np.ndarray) -> np.ndarray:
    """New positions along a path, same length and ends, with equal rejection per pair.

    The rejection of each pair over its width is a piecewise-constant density of the
    communication barrier along the path (as in :func:`adapt_ladder`); the new positions
    are equally spaced in the cumulative barrier, so each pair gets the same expected
    rejection. Unlike a beta ladder, both ends stay where they are (the easy model and
    the target).

    Parameters
    ----------
    positions : numpy.ndarray, shape (n,)
        Current positions, strictly increasing.
    acceptance : numpy.ndarray, shape (n - 1,)
        Measured swap acceptance of each adjacent pair (NaN: not measured, taken as 0).

    Returns
    -------
    numpy.ndarray, shape (n,)
    """
    rejection = np.clip(1.0 - np.nan_to_num(acceptance, nan=0.0), MIN_REJECTION, 1.0)
    barrier = np.concatenate([[0.0], np.cumsum(rejection)])
    new = np.interp(np.linspace(0.0, barrier[-1], positions.shape[0]), barrier, positions)
    new[0], new[-1] = positions[0], positions[-1]
    if np.any(np.diff(new) <= 0):  # degenerate estimate: keep the old positions
        return positions.copy()
    return np.asarray(new)


def check_target(value: Any) -> float:
    """Return the target acceptance, a number strictly between 0 and 1."""
    target = finite_scalar(value, "target_acceptance")
    if not 0.0 < target < 1.0:
        raise ValueError(f"target_acceptance: must be in (0, 1), got {target}")
    return target

"""The result of a tempered (or plain Gibbs) sampling run."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Swap acceptance below which a pair of slots counts as not crossed: the target's
#: chains do not mix through it (the CLI's warning and the reproduce report use it).
NO_CROSSING = 0.01


@dataclass(frozen=True)
class TemperingResult:
    """Chains and swap statistics of :func:`parallel_tempering` / :func:`trajectory_tempering`.

    Attributes
    ----------
    v : numpy.ndarray, shape (n_chains, n_visible)
        Visible states of the target chains (beta = 1, or the last model of a trajectory).
    h : numpy.ndarray, shape (n_chains, n_hidden)
        Hidden states of the target chains (drawn given the previous visible states, so
        ``(v, h)`` is a joint sample).
    betas : numpy.ndarray, shape (n_slots,)
        The ladder used after adaptation, increasing, ending at 1 (all ones for a
        trajectory).
    swap_acceptance : numpy.ndarray, shape (n_slots - 1,)
        Fraction of accepted swaps of each adjacent pair (slot k with k + 1), counted after
        the adaptation phase; NaN for a pair never attempted.
    round_trips : int
        Completed trips of a walker from the easy end (slot 0) to the target and back,
        counted after the adaptation phase.
    all_v : numpy.ndarray, shape (n_slots, n_chains, n_visible)
        Visible states of every slot (pass as ``v0`` to continue the run).
    all_h : numpy.ndarray, shape (n_slots, n_chains, n_hidden)
        Hidden states of every slot.
    swap_attempts : numpy.ndarray, shape (n_slots - 1,)
        Number of swap attempts of each pair behind ``swap_acceptance``.
    n_sweeps : int
        Sweeps run in all.
    adapted_sweeps : int
        Of those, the first ones spent tuning the ladder (not in the statistics nor the
        trace).
    trace : numpy.ndarray or None
        ``trace(v, h)`` of the target chains every ``trace_every`` sweeps after adaptation,
        stacked along a new first axis: shape (n_records, ...); None without ``trace``.
    positions : numpy.ndarray or None, shape (n_slots,)
        Trajectory tempering with ``slots``: each slot's position along the path through
        the given models (knot index, 0 = the easy end); otherwise None.
    """

    v: np.ndarray
    h: np.ndarray
    betas: np.ndarray
    swap_acceptance: np.ndarray
    round_trips: int
    all_v: np.ndarray
    all_h: np.ndarray
    swap_attempts: np.ndarray
    n_sweeps: int
    adapted_sweeps: int
    trace: np.ndarray | None = None
    positions: np.ndarray | None = None

    @property
    def n_slots(self) -> int:
        """Number of temperatures / models of the ladder."""
        return int(self.betas.shape[0])

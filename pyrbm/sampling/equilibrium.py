"""Equilibrium samples of a trained model with their mixing report: what reverse AIS
needs as start states and what a "model samples" figure should show."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from .. import diagnostics
from .._rng import RngLike
from .._validation import positive_int
from ..model import RBM
from ..partition.exact import check_rbm
from .tempering import parallel_tempering, trajectory_tempering

SAMPLERS = ("gibbs", "pt", "ptt")


@dataclass(frozen=True)
class EquilibriumSamples:
    """Samples of the target model and how well the sampler mixed.

    Attributes
    ----------
    v : numpy.ndarray, shape (n_samples, n_visible)
    h : numpy.ndarray, shape (n_samples, n_hidden)
    sampler : str
        "gibbs", "pt" or "ptt".
    swap_acceptance : numpy.ndarray, shape (n_slots - 1,)
        Empty for Gibbs.
    round_trips : int
    tau : float
        Integrated autocorrelation time (sweeps) of the mode-1 projection u_1 . v of the
        chains over the second half of the run (u_1: top left singular vector of W).
    rhat : float
        Split R-hat of the same series.
    ess : float
        Its rank-normalized split-chain (bulk) effective sample size
        (``diagnostics.effective_sample_size(trace, method="bulk")``); NaN if the recorded
        half is too short (fewer than 8 sweeps).
    """

    v: np.ndarray
    h: np.ndarray
    sampler: str
    swap_acceptance: np.ndarray
    round_trips: int
    tau: float
    rhat: float
    ess: float = float("nan")


def equilibrium_samples(
    rbm: RBM,
    n_samples: int,
    n_sweeps: int = 2000,
    *,
    sampler: str = "pt",
    models: Sequence[RBM] | None = None,
    temperatures: int = 16,
    rng: RngLike = None,
) -> EquilibriumSamples:
    """Draw ``n_samples`` chains of ``rbm`` by a mixing sampler and report its mixing.

    Parameters
    ----------
    rbm : RBM
        The target model.
    n_samples : int
        Number of chains (one sample each at the end), at least 2.
    n_sweeps : int
        Sweeps of every chain (at least 8).
    sampler : {"pt", "ptt", "gibbs"}
        Parallel tempering over ``temperatures`` adapted betas, trajectory tempering over
        ``models`` (whose last must be ``rbm``), or plain Gibbs.
    models : list of RBM, optional
        The trajectory for "ptt", easy end first.
    temperatures : int
        Number of betas for "pt".
    rng : numpy.random.Generator, int or None

    Returns
    -------
    EquilibriumSamples
    """
    rbm = check_rbm(rbm)
    n_samples = positive_int(n_samples, "n_samples", minimum=2)
    n_sweeps = positive_int(n_sweeps, "n_sweeps", minimum=8)
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler: expected one of {SAMPLERS}, got {sampler!r}")
    u1 = np.linalg.svd(rbm.weights.astype(np.float64), full_matrices=False)[0][:, 0]

    def mode1(v: np.ndarray, h: np.ndarray) -> Any:
        return v @ u1

    if sampler == "ptt":
        if models is None:
            raise ValueError("models: sampler 'ptt' needs the trajectory (easy end first)")
        models = list(models)
        last = models[-1] if models else None
        if not isinstance(last, RBM) or not (
            np.array_equal(last.weights, rbm.weights)
            and np.array_equal(last.visible_bias, rbm.visible_bias)
            and np.array_equal(last.hidden_bias, rbm.hidden_bias)
        ):
            raise ValueError("models: the last model of the trajectory must be rbm")
        res = trajectory_tempering(models, n_samples, n_sweeps, rng=rng, trace=mode1)
    else:
        betas = positive_int(temperatures, "temperatures") if sampler == "pt" else [1.0]
        res = parallel_tempering(rbm, n_samples, n_sweeps, betas=betas, rng=rng, trace=mode1)
    full = res.trace
    if full is None:  # mode1 was passed as trace, so the sampler records one
        raise RuntimeError(f"sampler {sampler!r} returned no trace")
    trace = full[full.shape[0] // 2 :]
    if trace.shape[0] < 4:
        trace = full
    return EquilibriumSamples(
        v=res.v, h=res.h, sampler=sampler, swap_acceptance=res.swap_acceptance,
        round_trips=res.round_trips, tau=float(diagnostics.autocorrelation_time(trace)),
        rhat=float(diagnostics.rhat(trace)),
        ess=float(diagnostics.effective_sample_size(trace, method="bulk"))
        if trace.shape[0] >= 8 else float("nan"),
    )

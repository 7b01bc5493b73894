"""Partition function and log-likelihood of binary RBMs.

:func:`log_partition` with ``method`` one of ``"exact"`` (Gray-code enumeration,
:mod:`~pyrbm.partition.exact`), ``"ais"`` / ``"rais"`` (forward and reverse annealed
importance sampling, :mod:`~pyrbm.partition.annealing`) or ``"meanfield"`` (the
reciprocal-space Gaussian free energy E20, :mod:`~pyrbm.partition.meanfield`);
:func:`log_likelihood`; trajectory AIS along a run's checkpoints
(:mod:`~pyrbm.partition.trajectory`); :class:`LikelihoodObserver`, a training callback that estimates
the log-likelihood at checkpoints. The dispatch lives in
:mod:`~pyrbm.partition.estimators`.
"""

from . import annealing, exact, meanfield, trajectory
from .estimators import LikelihoodObserver, LogZ, log_likelihood, log_partition
from .exact import log_z_exact
from .trajectory import TrajectoryObserver, trajectory_log_z

__all__ = [
    "LikelihoodObserver",
    "LogZ",
    "TrajectoryObserver",
    "annealing",
    "exact",
    "log_likelihood",
    "log_partition",
    "log_z_exact",
    "meanfield",
    "trajectory",
    "trajectory_log_z",
]

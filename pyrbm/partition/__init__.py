"""Partition function and log-likelihood of binary RBMs.

:func:`log_partition` with ``method`` one of ``"exact"`` (Gray-code enumeration,
:mod:`~pyrbm.partition.exact`), ``"ais"`` / ``"rais"`` (forward and reverse annealed
importance sampling, :mod:`~pyrbm.partition.annealing`) or ``"meanfield"`` (the
reciprocal-space Gaussian free energy E20, :mod:`~pyrbm.partition.meanfield`);
:func:`log_likelihood`; :class:`LikelihoodObserver`, a training callback that estimates
the log-likelihood at checkpoints. The dispatch lives in
:mod:`~pyrbm.partition.estimators`.
"""

from . import annealing, exact, meanfield
from .estimators import LikelihoodObserver, LogZ, log_likelihood, log_partition
from .exact import log_z_exact

__all__ = [
    "LikelihoodObserver",
    "LogZ",
    "annealing",
    "exact",
    "log_likelihood",
    "log_partition",
    "log_z_exact",
    "meanfield",
]

"""pyrbm: fast CPU Restricted Boltzmann Machines and their reciprocal-space analysis."""

from __future__ import annotations

from ._threads import get_num_threads, num_threads, set_num_threads
from .model import RBM
from .partition import LogZ, log_likelihood, log_partition

__version__ = "0.1.0"

__all__ = [
    "LogZ",
    "RBM",
    "__version__",
    "get_num_threads",
    "log_likelihood",
    "log_partition",
    "num_threads",
    "set_num_threads",
]

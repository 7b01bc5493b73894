"""pyrbm: fast CPU Restricted Boltzmann Machines and their reciprocal-space analysis."""

from __future__ import annotations

from . import gaussian, reciprocal, spectrum, symmetry
from ._threads import get_num_threads, num_threads, set_num_threads
from .model import RBM

__version__ = "0.1.0"

__all__ = [
    "RBM",
    "__version__",
    "gaussian",
    "get_num_threads",
    "num_threads",
    "reciprocal",
    "set_num_threads",
    "spectrum",
    "symmetry",
]

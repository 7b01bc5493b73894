"""pyrbm: fast CPU Restricted Boltzmann Machines and their reciprocal-space analysis."""

from __future__ import annotations

from ._threads import get_num_threads, num_threads, set_num_threads
from . import checkpoint, datasets
from .checkpoint import load
from .model import RBM
from .train import init_rbm, train

__version__ = "0.1.0"

__all__ = [
    "RBM",
    "__version__",
    "checkpoint",
    "datasets",
    "get_num_threads",
    "init_rbm",
    "load",
    "num_threads",
    "set_num_threads",
    "train",
]

"""pyrbm: fast CPU Restricted Boltzmann Machines and their reciprocal-space analysis."""

from __future__ import annotations

import os as _os

# Before the OpenMP runtime loads with pyrbm._core: the dense path alternates OpenMP
# kernels with BLAS calls that run on BLAS's own threads, and OpenMP workers that spin
# after a parallel region steal the cores BLAS needs (measured on 2 cores: a dense
# sweep up to 2x slower, tiny calls 100x slower under load). A user's own setting wins.
if "OMP_WAIT_POLICY" not in _os.environ and "GOMP_SPINCOUNT" not in _os.environ:
    _os.environ["OMP_WAIT_POLICY"] = "PASSIVE"

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

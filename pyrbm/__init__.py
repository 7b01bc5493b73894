"""pyrbm: fast CPU Restricted Boltzmann Machines and their reciprocal-space analysis."""

from __future__ import annotations

import os as _os
from typing import Any

# Before the OpenMP runtime loads with pyrbm._core: after a parallel region, libgomp's
# workers spin 300 000 times by default, stealing the cores that BLAS needs between
# kernels (measured on 2 cores: a dense sweep up to 2x slower, tiny calls 100x slower
# under load); with no spinning at all (OMP_WAIT_POLICY=PASSIVE) every region pays the
# wake-up of sleeping workers, and the back-to-back kernels of a PCD update lose their
# second core (scikit-learn drop-in fit 2.8 against 2.1 ms per update). A short spin
# keeps both: 10 000 (measured against 1 000, 100 000 and PASSIVE, quiet and loaded,
# bench/RESULTS.md). A user's own setting wins.
if "OMP_WAIT_POLICY" not in _os.environ and "GOMP_SPINCOUNT" not in _os.environ:
    _os.environ["GOMP_SPINCOUNT"] = "10000"

from . import (
    bosons,
    checkpoint,
    datasets,
    diffusion,
    distributed,
    gaussian,
    probing,
    reciprocal,
    spectrum,
    symmetry,
)
from ._threads import get_num_threads, num_threads, set_num_threads
from .checkpoint import load
from .model import RBM
from .partition import LogZ, log_likelihood, log_partition
from .train import init_rbm, train

__version__ = "0.1.0"


__all__ = [
    "BernoulliRBM",
    "LogZ",
    "RBM",
    "__version__",
    "bosons",
    "checkpoint",
    "datasets",
    "diffusion",
    "distributed",
    "gaussian",
    "get_num_threads",
    "init_rbm",
    "load",
    "log_likelihood",
    "log_partition",
    "num_threads",
    "plots",
    "probing",
    "reciprocal",
    "reproduce",
    "set_num_threads",
    "spectrum",
    "symmetry",
    "train",
]


def __getattr__(name: str) -> Any:
    # Loaded on first use, since their imports are slow (~1 s each): pyrbm.plots and
    # pyrbm.reproduce import matplotlib, pyrbm.BernoulliRBM imports scikit-learn.
    if name in ("plots", "reproduce"):
        import importlib

        return importlib.import_module(f".{name}", __name__)
    if name == "BernoulliRBM":
        from .sklearn import BernoulliRBM

        return BernoulliRBM
    raise AttributeError(f"module 'pyrbm' has no attribute {name!r}")

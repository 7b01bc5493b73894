"""pyrbm: fast CPU Restricted Boltzmann Machines and their reciprocal-space analysis.

The names most code needs are here: :class:`RBM`, :func:`train`, :func:`resume`,
:func:`init_rbm`, :func:`load`, :func:`log_partition`, :func:`log_likelihood`,
:class:`BernoulliRBM` and the thread controls. The rest lives in subpackages by concern:
:mod:`pyrbm.training`, :mod:`pyrbm.partition`, :mod:`pyrbm.analysis`,
:mod:`pyrbm.dynamics`, :mod:`pyrbm.sklearn`, :mod:`pyrbm.plots`, :mod:`pyrbm.io`,
:mod:`pyrbm.reproduce` and :mod:`pyrbm.distributed` (docs/layout.md).
"""

from __future__ import annotations

import importlib as _importlib
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

from . import _compat, _threads, distributed
from ._threads import (
    blas_threads_shared,
    get_num_threads,
    num_threads,
    set_num_threads,
    share_blas_threads,
)
from .io import archive as checkpoint
from .io import datasets
from .io.archive import load
from .model import RBM
from .partition import LogZ, log_likelihood, log_partition
from .training import init_rbm, resume, train

_compat.install()
# NumPy's OpenBLAS runs its parallel jobs on pyrbm's threads: one thread pool, no
# OpenBLAS worker spinning beside pyrbm's after each NumPy product (PYRBM_SHARE_BLAS=0
# keeps OpenBLAS's own).
_threads.share_by_default()

__version__ = "0.1.0"

# Loaded on first use (``pyrbm.plots``, ``pyrbm.reproduce``, ``pyrbm.analyze`` import matplotlib,
# ``pyrbm.BernoulliRBM`` scikit-learn); the flat names of the analysis modules are the
# modules of their subpackages.
_LAZY = {
    "analysis": "pyrbm.analysis",
    "analyze": "pyrbm.analyze",
    "diagnostics": "pyrbm.diagnostics",
    "dynamics": "pyrbm.dynamics",
    "io": "pyrbm.io",
    "partition": "pyrbm.partition",
    "plots": "pyrbm.plots",
    "reproduce": "pyrbm.reproduce",
    "sampling": "pyrbm.sampling",
    "sklearn": "pyrbm.sklearn",
    "training": "pyrbm.training",
    **{name: target for name, target in _compat.MOVED.items()},
}

__all__ = [
    "BernoulliRBM",
    "LogZ",
    "RBM",
    "__version__",
    "analysis",
    "analyze",
    "blas_threads_shared",
    "bosons",
    "checkpoint",
    "datasets",
    "diagnostics",
    "diffusion",
    "distributed",
    "dynamics",
    "gaussian",
    "get_num_threads",
    "init_rbm",
    "io",
    "load",
    "log_likelihood",
    "log_partition",
    "num_threads",
    "partition",
    "plots",
    "probing",
    "reciprocal",
    "reproduce",
    "resume",
    "sampling",
    "set_num_threads",
    "share_blas_threads",
    "sklearn",
    "spectrum",
    "symmetry",
    "train",
    "training",
]


def __getattr__(name: str) -> Any:  # a lazily imported module or class: its type varies
    if name in _LAZY:
        return _importlib.import_module(_LAZY[name])
    if name == "BernoulliRBM":
        from .sklearn import BernoulliRBM

        return BernoulliRBM
    raise AttributeError(f"module 'pyrbm' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

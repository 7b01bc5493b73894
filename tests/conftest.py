"""Shared fixtures. Sizes are distinct primes so that shape bugs show."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

import pyrbm

#: The folder holding the pyrbm under test (site-packages when installed, the checkout
#: with an in-place build): subprocesses import exactly this package.
PACKAGE_ROOT = Path(pyrbm.__file__).resolve().parents[1]

#: Python for subprocesses; -P keeps the working directory (maybe a checkout whose
#: pyrbm/ has no compiled module) off sys.path.
PYTHON = [sys.executable, "-P"]


#: This environment's own mpiexec (the mpich wheel puts it next to the interpreter).
MPIEXEC = Path(sys.executable).parent / "mpiexec"


def _has_mpi() -> bool:
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return MPIEXEC.exists()


needs_mpi = pytest.mark.skipif(
    not _has_mpi(), reason="needs mpi4py and mpiexec next to the interpreter (pip install mpi4py mpich)"
)


def subprocess_env(**extra: str) -> dict[str, str]:
    """os.environ with PYTHONPATH pointing at the package under test, plus ``extra``."""
    return {**os.environ, "PYTHONPATH": str(PACKAGE_ROOT), **extra}


@pytest.fixture(params=[np.float32, np.float64], ids=["float32", "float64"])
def dtype(request: pytest.FixtureRequest) -> type:
    return request.param


def small_rbm(n_visible: int, n_hidden: int, std: float, dtype: type, seed: int) -> pyrbm.RBM:
    """An RBM with random weights and biases (all of size ~std)."""
    gen = np.random.default_rng(seed)
    return pyrbm.RBM(
        gen.normal(0, std, (n_visible, n_hidden)).astype(dtype),
        gen.normal(0, std, n_visible).astype(dtype),
        gen.normal(0, std, n_hidden).astype(dtype),
    )


def all_states(n: int) -> np.ndarray:
    """Every binary vector of length n, shape (2**n, n), row i = binary digits of i."""
    return ((np.arange(2**n)[:, None] >> np.arange(n)[None, :]) & 1).astype(np.float64)

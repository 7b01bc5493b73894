"""Shared fixtures. Sizes are distinct primes so that shape bugs show."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.special import logsumexp

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


def prototype_patterns(n: int, seed: int) -> np.ndarray:
    """Two noisy prototypes on 9 visible units (10 % of the bits flipped)."""
    gen = np.random.default_rng(seed)
    prototypes = np.array([[1, 1, 1, 1, 0, 0, 0, 0, 1], [0, 0, 0, 1, 1, 1, 1, 1, 0]])
    rows = prototypes[gen.integers(0, 2, n)]
    return (rows ^ (gen.random(rows.shape) < 0.1)).astype(np.uint8)


# -- exact references by enumeration (the partition tests) ----------------------------
def brute_force_log_z(rbm: pyrbm.RBM, beta: float = 1.0) -> float:
    """log Z by enumerating both layers (independent of the C++ code path)."""
    w = rbm.weights.astype(np.float64)
    a, b = rbm.visible_bias.astype(np.float64), rbm.hidden_bias.astype(np.float64)
    v, h = all_states(rbm.n_visible), all_states(rbm.n_hidden)
    neg_energy = (v @ a)[:, None] + (h @ b)[None, :] + v @ w @ h.T
    return float(logsumexp(beta * neg_energy))


def log_p_visible(rbm: pyrbm.RBM, v: np.ndarray) -> np.ndarray:
    """Unnormalized log p(v) = -F(v) in float64."""
    w = rbm.weights.astype(np.float64)
    a, b = rbm.visible_bias.astype(np.float64), rbm.hidden_bias.astype(np.float64)
    return v @ a + np.logaddexp(0.0, b + v @ w).sum(axis=1)


def exact_samples(rbm: pyrbm.RBM, n: int, gen: np.random.Generator) -> np.ndarray:
    """Exact draws of v from p(v) by enumeration of the visible layer."""
    v = all_states(rbm.n_visible)
    log_p = log_p_visible(rbm, v)
    p = np.exp(log_p - logsumexp(log_p))
    return v[gen.choice(v.shape[0], n, p=p)].astype(rbm.dtype)

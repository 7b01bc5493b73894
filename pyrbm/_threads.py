"""Thread control for the OpenMP kernels and the BLAS used by the dense path."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator

from threadpoolctl import ThreadpoolController, threadpool_limits

from . import _core
from ._validation import positive_int

#: Most threads :func:`set_num_threads` accepts (far above any core count; an OpenMP
#: runtime asked for millions of threads aborts the process instead of raising).
MAX_THREADS = 4096


@functools.lru_cache(maxsize=1)
def blas_controller() -> ThreadpoolController:
    """The process's one threadpoolctl controller (building one scans the loaded
    libraries, so it is built once). Only code that calls NumPy's BLAS itself (the
    training monitor, the scikit-learn drop-in's real-valued GEMMs) limits it; pyrbm's
    own products run on its OpenMP threads (:mod:`pyrbm._gemm`)."""
    return ThreadpoolController()


def get_num_threads() -> int:
    """Return the number of OpenMP threads the kernels use."""
    return int(_core.get_max_threads())


def set_num_threads(n_threads: int) -> None:
    """Set the number of threads of the OpenMP kernels and of the BLAS library.

    Results do not depend on this number (docs/conventions.md, Randomness): every random number is a
    function of the key and the counter, not of the thread that draws it.

    Parameters
    ----------
    n_threads : int
        Number of threads, from 1 to ``MAX_THREADS`` (a Python or numpy integer).
    """
    n_threads = positive_int(n_threads, "n_threads", maximum=MAX_THREADS)
    _core.set_num_threads(n_threads)
    threadpool_limits(limits=n_threads, user_api="blas")


@contextlib.contextmanager
def num_threads(n_threads: int) -> Iterator[None]:
    """Context manager that runs its body with ``n_threads`` threads, then restores.

    Parameters
    ----------
    n_threads : int
        Number of threads, at least 1.
    """
    previous = get_num_threads()
    with threadpool_limits(limits=None):  # restores the BLAS limits on exit
        set_num_threads(n_threads)
        try:
            yield
        finally:
            _core.set_num_threads(previous)

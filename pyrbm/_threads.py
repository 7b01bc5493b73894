"""Thread control for the OpenMP kernels and the BLAS used by the dense path."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from threadpoolctl import threadpool_limits

from . import _core


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
        Number of threads, at least 1.
    """
    if isinstance(n_threads, bool) or not isinstance(n_threads, int) or n_threads < 1:
        raise ValueError(f"n_threads: expected a positive int, got {n_threads!r}")
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

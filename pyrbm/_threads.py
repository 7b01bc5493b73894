"""Thread control for the OpenMP kernels and the BLAS used by the dense path."""

from __future__ import annotations

import contextlib
import ctypes
import functools
import itertools
import os
import threading
import warnings
from collections.abc import Callable, Iterator

import numpy as np
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
    function of the key and the counter, not of the thread that draws it. In a process
    forked (``os.fork``, multiprocessing's default ``fork`` context on Linux) from one
    that had loaded pyrbm, the kernels run on one thread whatever this says, with a
    ``RuntimeWarning`` for more: GNU OpenMP cannot start a team in a forked child (it
    would wait forever for the parent's workers).

    Parameters
    ----------
    n_threads : int
        Number of threads, from 1 to ``MAX_THREADS`` (a Python or numpy integer).
    """
    n_threads = positive_int(n_threads, "n_threads", maximum=MAX_THREADS)
    _core.set_num_threads(n_threads)
    if n_threads > 1 and _core.forked_child():
        warnings.warn(
            "set_num_threads: this process was forked from one that had loaded pyrbm, and "
            "GNU OpenMP cannot start threads in a forked child: pyrbm's kernels run on 1 "
            "thread here (the same results). Start workers with multiprocessing's 'spawn' "
            "or 'forkserver' context to give them threads.",
            RuntimeWarning,
            stacklevel=2,
        )
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


# OpenBLAS's setter of a threads callback, with the symbol affixes of its builds (plain,
# scipy-openblas's "scipy_" prefix and 64-bit-integer "64_" / "_64" suffixes).
_CALLBACK_SETTER = "openblas_set_threads_callback_function"
_AFFIXES = tuple(itertools.product(("", "scipy_"), ("", "64_", "_64")))
_share_lock = threading.Lock()
#: Environment variable that, set to 0 / false / no / off, keeps import from sharing.
SHARE_ENV = "PYRBM_SHARE_BLAS"
# The setters of the libraries whose jobs run on pyrbm's threads now, by library path.
_shared: dict[str, Callable[[ctypes.c_void_p], None]] = {}


def _callback_setter(dynlib: ctypes.CDLL) -> Callable[[ctypes.c_void_p], None] | None:
    for prefix, suffix in _AFFIXES:
        setter = getattr(dynlib, f"{prefix}{_CALLBACK_SETTER}{suffix}", None)
        if setter is not None:
            setter.argtypes = [ctypes.c_void_p]
            setter.restype = None
            return setter  # type: ignore[no-any-return]
    return None


def share_blas_threads(enable: bool = True) -> list[str]:
    """Run OpenBLAS's parallel jobs on pyrbm's OpenMP threads (or stop doing so).

    After every call OpenBLAS's own worker threads spin for about 0.1 s before they
    sleep, and while they spin they take cores from any other thread pool: a loop that
    calls NumPy's BLAS (``a @ b``, ``np.linalg``) between pyrbm calls ran pyrbm's
    threads beside them (measured on 2 cores: a PCD-10 update right after one NumPy
    product took 2.1 times as long as alone, bench/RESULTS.md). With sharing on, every
    OpenBLAS library loaded in the process (NumPy's, SciPy's) hands its jobs to pyrbm's
    OpenMP threads instead, through OpenBLAS's threads callback (OpenBLAS 0.3.27 or
    later), so one thread pool runs both libraries and nothing spins between calls.

    ``import pyrbm`` turns it on for the OpenBLAS libraries loaded by then (NumPy's),
    unless the environment variable ``PYRBM_SHARE_BLAS`` is ``0`` (or ``false``,
    ``no``, ``off``); call it again after importing SciPy's BLAS to include that one.
    OpenBLAS still splits its work by its own thread count (``threadpoolctl`` limits
    apply as before), so NumPy's results keep their bits. A child forked from the
    process gives the jobs back to OpenBLAS's own workers (which restart there; GNU
    OpenMP's would not). BLAS libraries other than OpenBLAS (MKL, BLIS, Accelerate)
    are left alone.

    Parameters
    ----------
    enable : bool, default True
        Hand OpenBLAS's jobs to pyrbm's threads (True), or give them back to OpenBLAS's
        own workers (False).

    Returns
    -------
    list of str
        Paths of the OpenBLAS libraries whose jobs now run on pyrbm's threads (with
        ``enable=False``: those given back). Empty when no loaded OpenBLAS offers the
        callback (older than 0.3.27, or another BLAS).

    See Also
    --------
    blas_threads_shared : the libraries whose jobs run on pyrbm's threads now.

    Examples
    --------
    >>> import numpy as np
    >>> import pyrbm
    >>> _ = pyrbm.share_blas_threads(False)
    >>> pyrbm.blas_threads_shared()
    []
    >>> libraries = pyrbm.share_blas_threads()
    >>> pyrbm.blas_threads_shared() == sorted(libraries)
    True
    >>> a = np.ones((300, 200))
    >>> bool(((a @ a.T) == 200.0).all())
    True
    """
    if not isinstance(enable, (bool, np.bool_)):
        raise TypeError(f"enable: expected a bool, got {type(enable).__name__}")
    callback = ctypes.c_void_p(_core.blas_jobs_callback() if enable else None)
    changed = []
    with _share_lock:  # OpenBLAS's setter is not thread-safe
        # a fresh scan: SciPy's OpenBLAS may have been loaded after blas_controller's
        for lib in ThreadpoolController().select(internal_api="openblas").lib_controllers:
            setter = _callback_setter(lib.dynlib)
            if setter is None:
                continue
            path = str(lib.filepath)
            setter(callback)
            if enable:
                _shared[path] = setter
            else:
                _shared.pop(path, None)
            changed.append(path)
    return changed


def blas_threads_shared() -> list[str]:
    """Paths of the OpenBLAS libraries whose parallel jobs run on pyrbm's threads now
    (see :func:`share_blas_threads`), sorted.

    Returns
    -------
    list of str
        Empty when none does.
    """
    return sorted(_shared)


def _give_back_in_child() -> None:
    # After os.fork: OpenBLAS restarts its own workers in the child, GNU OpenMP cannot
    # (its team would wait for the parent's threads). No lock: another thread of the
    # parent may have held it at the fork.
    for setter in _shared.values():
        setter(ctypes.c_void_p(None))
    _shared.clear()


os.register_at_fork(after_in_child=_give_back_in_child)


def share_by_default() -> None:
    """What ``import pyrbm`` does: :func:`share_blas_threads` unless ``PYRBM_SHARE_BLAS``
    turns it off."""
    if os.environ.get(SHARE_ENV, "1").strip().lower() not in ("0", "false", "no", "off"):
        share_blas_threads()

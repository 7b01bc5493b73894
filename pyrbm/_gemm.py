"""Matrix products whose bits do not depend on the thread count.

OpenBLAS picks its blocking (and so its float summation order) by thread count: the
same product on 1 and 2 threads differs in the last bits (measured for float32 and
float64, e.g. (1000x784)@(784x500)), and PCD training amplifies such differences. Here
the rows of the left factor are cut into blocks of a fixed size, each block is one
single-threaded BLAS call, and the blocks are spread over pyrbm's threads: every output
entry is computed the same way for any number of threads, and large products still run
in parallel (numpy releases the GIL inside BLAS).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import ThreadpoolController

from ._threads import get_num_threads

#: Rows of the left factor per single-threaded BLAS call (fixed: results depend on it).
ROW_BLOCK = 128

_controller: ThreadpoolController | None = None
_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_lock = threading.Lock()


def _blas_controller() -> ThreadpoolController:
    global _controller
    if _controller is None:
        _controller = ThreadpoolController()
    return _controller


def _executor(n_threads: int) -> ThreadPoolExecutor:
    global _pool, _pool_size
    with _lock:
        if _pool is None or _pool_size != n_threads:
            if _pool is not None:
                _pool.shutdown(wait=True)
            _pool = ThreadPoolExecutor(max_workers=n_threads, thread_name_prefix="pyrbm-gemm")
            _pool_size = n_threads
        return _pool


def matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``a @ b`` computed identically for any thread count.

    Parameters
    ----------
    a : numpy.ndarray, shape (n, k)
        Left factor (any strides, e.g. a transposed view).
    b : numpy.ndarray, shape (k, m)
        Right factor.
    out : numpy.ndarray, shape (n, m), optional
        Output (the result dtype of ``a @ b``); allocated if not given.

    Returns
    -------
    numpy.ndarray, shape (n, m)
    """
    n = a.shape[0]
    if out is None:
        out = np.empty((n, b.shape[1]), np.result_type(a, b))
    starts = range(0, n, ROW_BLOCK)

    def block(start: int) -> None:
        np.matmul(a[start : start + ROW_BLOCK], b, out=out[start : start + ROW_BLOCK])

    threads = min(get_num_threads(), len(starts))
    with _blas_controller().limit(limits=1, user_api="blas"):
        if threads <= 1:
            for start in starts:
                block(start)
        else:
            for _ in _executor(threads).map(block, starts):
                pass
    return out

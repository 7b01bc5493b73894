"""Matrix products whose bits do not depend on the thread count.

OpenBLAS picks its blocking (and so its float summation order) by thread count: the
same product on 1 and 2 threads differs in the last bits, and PCD training amplifies
such differences. pyrbm's products run in its own C++ kernel (``_core.gemm``) on its
own OpenMP threads: every output entry is one FMA chain over ``k`` in ascending order,
whatever the thread count or the partition into tasks, so no BLAS thread pool and no
per-call thread limit is involved. For a {0, 1} left factor that chain is exactly the
gather-add of :func:`pyrbm._core.sparse_fields`: dense and sparse fields agree bit for bit.
"""

from __future__ import annotations

import numpy as np

from . import _core


def matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``a @ b`` computed identically for any thread count (unchecked: callers validate).

    Parameters
    ----------
    a : numpy.ndarray, shape (n, k)
        Left factor (any strides, e.g. a transposed view).
    b : numpy.ndarray, shape (k, m)
        Right factor (any strides), the dtype of ``a``.
    out : numpy.ndarray, shape (n, m), optional
        C-contiguous output of that dtype; allocated if not given.

    Returns
    -------
    numpy.ndarray, shape (n, m)
    """
    dtype = np.result_type(a, b)
    if out is None:
        out = np.empty((a.shape[0], b.shape[1]), dtype)
    _core.gemm(a.astype(dtype, copy=False), b.astype(dtype, copy=False), out)
    return out

"""Array layouts the compiled kernels read fastest (unchecked: callers validate).

The gather-adds (``csrc/gather.cpp``) sum whole weight rows in 32- or 64-byte vectors.
NumPy starts its arrays 16 bytes off a cache line, so such loads straddle two lines;
on a 64-byte boundary every row is aligned whenever its length in bytes is a multiple
of 64 (784 and 1200 float32 units, for example), which makes the gather-adds over them
5-20 % faster on Zen 3 (bench/RESULTS.md, eleventh pass). Values never change.
"""

from __future__ import annotations

import numpy as np


def line_aligned(x: np.ndarray) -> np.ndarray:
    """``x`` as a C-contiguous array that starts on a 64-byte cache line.

    Parameters
    ----------
    x : numpy.ndarray
        Any array.

    Returns
    -------
    numpy.ndarray
        ``x`` itself when it already is such an array, else a copy (a view into a
        slightly larger buffer, writable) with the same shape, dtype and values.

    Examples
    --------
    >>> import numpy as np
    >>> w = line_aligned(np.arange(6.0).reshape(2, 3).T)
    >>> w.ctypes.data % 64, w.flags.c_contiguous, w.tolist()
    (0, True, [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]])
    """
    if x.flags.c_contiguous and x.ctypes.data % 64 == 0:
        return x
    buffer = np.empty(x.nbytes + 64, np.uint8)
    start = -buffer.ctypes.data % 64
    out = buffer[start:start + x.nbytes].view(x.dtype).reshape(x.shape)
    out[...] = x
    return out

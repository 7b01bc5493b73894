"""pyrbm._layout: cache-line-aligned copies for the kernels change no value."""

from __future__ import annotations

import numpy as np
import pytest

from pyrbm import _core
from pyrbm._layout import line_aligned


def _off_line(x: np.ndarray, offset: int) -> np.ndarray:
    """A C-contiguous copy of x starting ``offset`` bytes after a cache line."""
    buf = np.empty(x.nbytes + 128, np.uint8)
    start = -buf.ctypes.data % 64 + offset
    out = buf[start:start + x.nbytes].view(x.dtype).reshape(x.shape)
    out[...] = x
    return out


@pytest.mark.parametrize("offset", [0, 16, 32, 48])
def test_line_aligned_copies_only_what_it_must(offset: int) -> None:
    x = _off_line(np.arange(35.0, dtype=np.float32).reshape(5, 7), offset)
    y = line_aligned(x)
    assert y.ctypes.data % 64 == 0 and y.flags.c_contiguous and y.flags.writeable
    assert y.dtype == x.dtype and y.shape == x.shape
    np.testing.assert_array_equal(y, x)
    assert (y is x) == (offset == 0)
    t = line_aligned(x.T)  # strided: always a contiguous copy
    assert t.flags.c_contiguous and t.ctypes.data % 64 == 0
    np.testing.assert_array_equal(t, x.T)
    assert line_aligned(np.empty((0, 3))).shape == (0, 3)


@pytest.mark.parametrize("n_hidden", [16, 13])  # rows of 64 bytes, and rows off the lines
def test_annealing_kernel_gives_the_same_bits_on_aligned_weights(n_hidden: int, dtype) -> None:
    gen = np.random.default_rng(5)
    n_visible, n_chains = 29, 7
    w = gen.normal(0, 0.3, (n_visible, n_hidden)).astype(dtype)
    a = gen.normal(0, 0.5, n_visible).astype(dtype)
    b = gen.normal(0, 0.5, n_hidden).astype(dtype)
    betas = np.linspace(0.0, 1.0, 40)
    results = []
    for offset in (0, 16, 48):
        v = np.zeros((n_chains, n_visible), dtype)
        log_w = np.empty(n_chains)
        _core.anneal(v, _off_line(w, offset), _off_line(np.ascontiguousarray(w.T), offset), a, b,
                     a.copy(), None, None, None, 1.0 - betas, betas, (11, 12), 0, True, log_w)
        results.append((v, log_w))
    for v, log_w in results[1:]:
        np.testing.assert_array_equal(v, results[0][0])
        np.testing.assert_array_equal(log_w, results[0][1])
    assert np.all(np.isfinite(results[0][1])) and results[0][0].any()

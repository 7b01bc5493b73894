"""Where a sweep's time goes (bench/RESULTS.md, engine section): the pieces of one Gibbs
sweep of 1000 chains at 784 x 500, each timed through its ``_core`` kernel, on 1 thread,
process CPU time (the load-robust measure on a shared machine), median of ``--rounds``.

Run:  python -P bench/engine_pieces.py [--dtype float64] [--rounds 15]

Pieces: pyrbm's GEMM and NumPy's (OpenBLAS) for v W and h W^T; the uniforms alone
(``uniform_row`` for every chain); the fused bias + sigmoid + Bernoulli passes
(``sample_from_fields``, uniforms included); the gather-adds at the densities of the
bench's cases, on NumPy's arrays and on padded 64-byte-aligned copies as the engine
keeps them (``padded_copy``); the whole sweep (``gibbs_chains``) on each path. Each piece's result is
checked against NumPy before it is timed.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
from threadpoolctl import threadpool_limits

import pyrbm
from pyrbm import _core
from pyrbm._rng import STREAMS

NV, NH, N = 784, 500, 1000


def padded_copy(x: np.ndarray, stride: int) -> np.ndarray:
    """x in rows of ``stride`` values from a 64-byte-aligned address, as the engine keeps
    its weight copies for the gather-adds (csrc/layout.hpp: NumPy's own arrays start 16
    bytes off a cache line, and such rows split every 64-byte load)."""
    n = x.shape[0] * stride
    buf = np.zeros(n + 64 // x.itemsize, x.dtype)
    off = (-buf.ctypes.data % 64) // x.itemsize
    out = buf[off:off + n].reshape(x.shape[0], stride)
    out[:, :x.shape[1]] = x
    return out


def median_cpu(f: Callable[[], object], rounds: int) -> float:
    f()
    times = []
    for _ in range(rounds):
        start = time.process_time()
        f()
        times.append(time.process_time() - start)
    return float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    dt = np.dtype(args.dtype).type
    pyrbm.set_num_threads(1)
    threadpool_limits(1)
    gen = np.random.default_rng(0)
    w = gen.normal(0, 0.01, (NV, NH)).astype(dt)
    wt = np.ascontiguousarray(w.T)
    lanes = 64 // w.itemsize  # the engine's padded strides: an odd number of 64-byte vectors
    wp = padded_copy(w, (-(-NH // lanes) | 1) * lanes)
    wtp = padded_copy(wt, (-(-NV // lanes) | 1) * lanes)
    fhp, fvp = padded_copy(np.empty((N, NH), dt), wp.shape[1]), padded_copy(np.empty((N, NV), dt), wtp.shape[1])
    a, b = np.zeros(NV, dt), np.zeros(NH, dt)
    b10 = np.full(NH, -2.2, dt)
    v15 = (gen.random((N, NV)) < 0.15).astype(dt)
    h50 = (gen.random((N, NH)) < 0.5).astype(dt)
    h10 = (gen.random((N, NH)) < 0.1).astype(dt)
    fh, fv = np.empty((N, NH), dt), np.empty((N, NV), dt)
    sh, sv = np.empty((N, NH), dt), np.empty((N, NV), dt)
    u = np.empty(NV, dt)
    key = (123, 456)

    # correctness of what is timed
    _core.gemm(v15, w, fh)
    np.testing.assert_allclose(fh, v15 @ w, rtol=1e-4, atol=1e-5)
    _core.sparse_fields(h10, wt, fv)
    np.testing.assert_allclose(fv, h10 @ w.T, rtol=1e-4, atol=1e-5)
    _core.sparse_fields(v15, wp, fhp)
    np.testing.assert_array_equal(fhp[:, :NH], (_core.sparse_fields(v15, w, fh), fh)[1])

    def uniforms(n_units: int) -> Callable[[], None]:
        def run() -> None:
            for c in range(N):
                _core.uniform_row(u[:n_units], key, 0, c, STREAMS["visible"])
        return run

    def row_calls(n_units: int) -> Callable[[], None]:  # the Python loop's own cost
        def run() -> None:
            for _c in range(N):
                u[:n_units]
        return run

    def sweep(path: int, hb: np.ndarray) -> Callable[[], None]:
        def run() -> None:
            v = v15.copy()
            _core.gibbs_chains(v, sh, w, a, hb, 1.0, path, key, 0, 0, 1)
        return run

    pieces: dict[str, Callable[[], object]] = {
        "numpy v W": lambda: np.matmul(v15, w, out=fh),
        "numpy h W^T": lambda: np.matmul(h50, w.T, out=fv),
        "pyrbm gemm v W": lambda: _core.gemm(v15, w, fh),
        "pyrbm gemm h W^T": lambda: _core.gemm(h50, w.T, fv),
        "uniforms hidden (1000 x 500)": uniforms(NH),
        "uniforms visible (1000 x 784)": uniforms(NV),
        "  (Python loop of those calls)": row_calls(NV),
        "sample hidden (fields -> h)": lambda: _core.sample_from_fields(
            fh, b, 1.0, key, 0, 0, STREAMS["hidden"], sh),
        "sample visible (fields -> v)": lambda: _core.sample_from_fields(
            fv, a, 1.0, key, 0, 0, STREAMS["visible"], sv),
        "gather v15 W (15 % ones)": lambda: _core.sparse_fields(v15, w, fh),
        "gather h10 W^T (10 % ones)": lambda: _core.sparse_fields(h10, wt, fv),
        "gather h50 W^T (50 % ones)": lambda: _core.sparse_fields(h50, wt, fv),
        "gather v15 W, padded as the engine's": lambda: _core.sparse_fields(v15, wp, fhp),
        "gather h10 W^T, padded": lambda: _core.sparse_fields(h10, wtp, fvp),
        "gather h50 W^T, padded": lambda: _core.sparse_fields(h50, wtp, fvp),
        "sweep dense, random": sweep(1, b),
        "sweep auto, random": sweep(0, b),
        "sweep sparse, h10": sweep(2, b10),
        "sweep auto, h10": sweep(0, b10),
        "copy of v (in the sweeps above)": lambda: v15.copy(),
    }
    for name, f in pieces.items():
        print(f"{name:38s} {median_cpu(f, args.rounds) * 1e3:8.3f} ms", flush=True)


if __name__ == "__main__":
    main()

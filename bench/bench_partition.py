"""Benchmarks of pyrbm.partition against NumPy references of the same algorithms.

Each test times pyrbm and the NumPy reference alternately in the same process (the
machine is noisy, see bench/RESULTS.md), asserts that they agree, and reports the speed-up as
``benchmark.extra_info["speedup"]``. Sizes (environment variables):

* ``PYRBM_BENCH_EXACT_BITS`` (20): enumerated hidden units of the exact benchmark
  (2^bits states x 784 visible units).
* ``PYRBM_BENCH_AIS_BETAS`` (1000): distributions of the AIS benchmark (784 x 500,
  100 chains). The issue's figure is for 10,000; both codes are linear in it.

Run: ``python3 -P -m pytest bench/bench_partition.py -p no:cacheprovider
--benchmark-only -s``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import numpy as np
from scipy.special import expit, logsumexp

import pyrbm
from pyrbm import annealing, partition

EXACT_BITS = int(os.environ.get("PYRBM_BENCH_EXACT_BITS", "20"))
AIS_BETAS = int(os.environ.get("PYRBM_BENCH_AIS_BETAS", "1000"))
ROUNDS = int(os.environ.get("PYRBM_BENCH_ROUNDS", "2"))


def mnist_like_rbm(n_visible: int, n_hidden: int, dtype: type, seed: int = 0) -> pyrbm.RBM:
    """Synthetic model with MNIST-like sparsity: visible density ~0.15, hidden ~0.15."""
    gen = np.random.default_rng(seed)
    return pyrbm.RBM(
        gen.normal(0, 0.05, (n_visible, n_hidden)).astype(dtype),
        gen.normal(-2.0, 1.0, n_visible).astype(dtype),
        np.full(n_hidden, -2.0, dtype),
    )


def interleaved(fast: Callable[[], object], slow: Callable[[], object], rounds: int):
    """Median wall times of alternating calls, and the last results of each."""
    t_fast, t_slow = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        slow_result = slow()
        t_slow.append(time.perf_counter() - start)
        start = time.perf_counter()
        fast_result = fast()
        t_fast.append(time.perf_counter() - start)
    return float(np.median(t_fast)), float(np.median(t_slow)), fast_result, slow_result


def numpy_exact(rbm: pyrbm.RBM, chunk: int = 4096) -> float:
    """log Z over all hidden states: batched matmul + logaddexp, float64."""
    w = rbm.weights.astype(np.float64)
    a, b = rbm.visible_bias.astype(np.float64), rbm.hidden_bias.astype(np.float64)
    n_hidden = rbm.n_hidden
    parts = []
    for start in range(0, 2**n_hidden, chunk):
        idx = np.arange(start, min(start + chunk, 2**n_hidden))
        h = ((idx[:, None] >> np.arange(n_hidden)) & 1).astype(np.float64)
        values = h @ b + np.logaddexp(0.0, h @ w.T + a).sum(axis=1)
        parts.append(logsumexp(values))
    return float(logsumexp(parts))


def numpy_ais(rbm: pyrbm.RBM, base: np.ndarray, betas: np.ndarray, n_chains: int,
              gen: np.random.Generator) -> np.ndarray:
    """Forward AIS log-weights, same algorithm as the C++ kernel: dense matmuls in the
    model's dtype, log-weights in float64 (as the kernel)."""
    w, a, b = rbm.weights, rbm.visible_bias, rbm.hidden_bias
    dt = w.dtype
    v = (gen.random((n_chains, rbm.n_visible), dtype=dt) < expit(base)).astype(dt)
    diff = (a - base).astype(np.float64)
    log_w = np.zeros(n_chains)
    for k in range(1, len(betas)):
        x = (v @ w + b).astype(np.float64)
        log_w += (betas[k] - betas[k - 1]) * (v @ diff)
        log_w += (np.logaddexp(0, betas[k] * x) - np.logaddexp(0, betas[k - 1] * x)).sum(1)
        if k == len(betas) - 1:
            break
        p_h = expit(betas[k] * x).astype(dt)
        h = (gen.random(p_h.shape, dtype=dt) < p_h).astype(dt)
        field = betas[k] * (h @ w.T + a) + (1 - betas[k]) * base
        v = (gen.random(field.shape, dtype=dt) < expit(field)).astype(dt)
    return log_w


def test_exact_2pow20_hidden_784_visible(benchmark):
    rbm = mnist_like_rbm(784, EXACT_BITS, np.float32)
    t_fast, t_slow, fast, slow = interleaved(
        lambda: partition.log_z_exact(rbm), lambda: numpy_exact(rbm), ROUNDS
    )
    assert fast == np.float64(slow) or abs(fast - slow) < 1e-9 * abs(slow)
    benchmark.extra_info.update(
        states=2**EXACT_BITS, pyrbm_s=t_fast, numpy_s=t_slow, speedup=t_slow / t_fast
    )
    print(f"\nexact 2^{EXACT_BITS} x 784: pyrbm {t_fast:.3f}s numpy {t_slow:.3f}s "
          f"speedup {t_slow / t_fast:.2f}x")
    benchmark.pedantic(partition.log_z_exact, args=(rbm,), rounds=1, iterations=1)


def test_ais_784x500_100_chains(benchmark):
    rbm = mnist_like_rbm(784, 500, np.float32)
    gen = np.random.default_rng(1)
    data_mean = np.clip(expit(rbm.visible_bias.astype(np.float64)), 1e-3, 1 - 1e-3)
    base = np.log(data_mean / (1 - data_mean)).astype(np.float32)
    betas = annealing.schedule("linear", AIS_BETAS)

    def fast():
        return pyrbm.log_partition(rbm, "ais", rng=gen, n_chains=100, schedule=betas,
                                   base_bias=base)

    def slow():
        log_w = numpy_ais(rbm, base, betas, 100, gen)
        log_mean, se, _ = annealing.weight_statistics(log_w)
        offset = annealing.log_z_offset(annealing.make_base(rbm, base_bias=base), rbm.n_hidden)
        return offset + log_mean, se

    t_fast, t_slow, est, (ref, ref_se) = interleaved(fast, slow, ROUNDS)
    assert abs(est.value - ref) < 5 * np.hypot(est.std_error, ref_se) + 1e-3
    benchmark.extra_info.update(
        n_betas=AIS_BETAS, pyrbm_s=t_fast, numpy_s=t_slow, speedup=t_slow / t_fast,
        log_z=est.value, log_z_numpy=ref,
    )
    print(f"\nAIS 784x500, 100 chains, {AIS_BETAS} betas: pyrbm {t_fast:.3f}s "
          f"numpy {t_slow:.3f}s speedup {t_slow / t_fast:.2f}x "
          f"(log Z {est.value:.3f} +- {est.std_error:.3f} vs {ref:.3f} +- {ref_se:.3f})")
    benchmark.pedantic(fast, rounds=1, iterations=1)

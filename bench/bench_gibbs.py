"""One Gibbs sweep v -> h -> v, 784 x 500, 1000 chains: pyrbm vs NumPy, torch, 2 GEMMs.

Run:  pytest bench/bench_gibbs.py --benchmark-only -s
Every case is timed interleaved in this process (bench/_harness.py); the ratios are
what bench/RESULTS.md records.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit
from threadpoolctl import threadpool_limits

import pyrbm

from ._harness import interleaved_medians, report

N_VISIBLE, N_HIDDEN, N_CHAINS = 784, 500, 1000
MNIST_DENSITY = 0.15  # binarized MNIST has 13-19 % ones

try:
    import torch
except ImportError:  # torch is an optional baseline
    torch = None


def mnist_like_states(dtype: type) -> np.ndarray:
    return (np.random.default_rng(1).random((N_CHAINS, N_VISIBLE)) < MNIST_DENSITY).astype(dtype)


def numpy_sweep(v, w, a, b, gen, dtype):
    """The reference: two matmuls, scipy.special.expit, Generator.random."""
    ph = expit(v @ w + b)
    h = (gen.random(ph.shape, dtype=dtype) < ph).astype(dtype)
    pv = expit(h @ w.T + a)
    return (gen.random(pv.shape, dtype=dtype) < pv).astype(dtype), h


def assert_same_law(ours: np.ndarray, ref: np.ndarray) -> None:
    """Fractions of ones agree within 6 binomial standard errors."""
    p = ref.mean()
    se = np.sqrt(p * (1 - p) / ref.size) * np.sqrt(2)
    assert abs(ours.mean() - p) < 6 * se + 1e-12, (ours.mean(), p)


@pytest.mark.parametrize("threads", [2, 1])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_gibbs_sweep(benchmark, dtype: type, threads: int) -> None:
    rbm = pyrbm.RBM.random(N_VISIBLE, N_HIDDEN, std=0.01, dtype=dtype, rng=0)
    rbm.visible_bias[:] = -1.7  # ~15 % visible ones, as MNIST
    # A "trained-like" model whose hidden layer is sparse too (~10 % active units).
    sparse_rbm = rbm.copy()
    sparse_rbm.hidden_bias[:] = -2.2
    v = mnist_like_states(dtype)
    w, a, b = rbm.weights, rbm.visible_bias, rbm.hidden_bias
    gen = np.random.default_rng(5)
    fh = np.empty((N_CHAINS, N_HIDDEN), dtype)
    fv = np.empty((N_CHAINS, N_VISIBLE), dtype)
    h_half = (np.random.default_rng(2).random((N_CHAINS, N_HIDDEN)) < 0.5).astype(dtype)

    def two_gemms():
        np.matmul(v, w, out=fh)
        np.matmul(h_half, w.T, out=fv)

    cases = {
        "pyrbm_dense": lambda: rbm.gibbs(v, 1, rng=gen, path="dense"),
        "pyrbm_auto": lambda: rbm.gibbs(v, 1, rng=gen, path="auto"),
        "pyrbm_sparse_hidden10pct": lambda: sparse_rbm.gibbs(v, 1, rng=gen, path="sparse"),
        "pyrbm_auto_hidden10pct": lambda: sparse_rbm.gibbs(v, 1, rng=gen, path="auto"),
        "numpy": lambda: numpy_sweep(v, w, a, b, gen, dtype),
        "two_gemms": two_gemms,
    }
    if torch is not None:
        tdtype = torch.float32 if dtype == np.float32 else torch.float64
        tw, ta, tb, tv = (torch.from_numpy(x) for x in (w, a, b, v))

        def torch_sweep():
            h = torch.bernoulli(torch.sigmoid(tv @ tw + tb))
            return torch.bernoulli(torch.sigmoid(h @ tw.T + ta)), h

        cases["torch"] = torch_sweep
        torch.set_num_threads(threads)
        assert tw.dtype == tdtype

    with threadpool_limits(limits=threads), pyrbm.num_threads(threads):
        # correctness first: same laws as the NumPy reference
        ours_v, ours_h = rbm.gibbs(v, 1, rng=1, path="dense")
        ref_v, ref_h = numpy_sweep(v, w, a, b, np.random.default_rng(1), dtype)
        assert_same_law(ours_h, ref_h)
        assert_same_law(ours_v, ref_v)
        np.testing.assert_allclose(
            rbm.hidden_probs(v), expit(v.astype(np.float64) @ w + b), rtol=1e-5
        )
        sparse_v, sparse_h = sparse_rbm.gibbs(v, 1, rng=1, path="sparse")
        dense_v, dense_h = sparse_rbm.gibbs(v, 1, rng=1, path="dense")
        assert np.mean(sparse_v != dense_v) < 1e-4 and np.mean(sparse_h != dense_h) < 1e-4

        medians = interleaved_medians(cases, rounds=15)
        benchmark.extra_info["hidden_density_sparse_model"] = float(sparse_h.mean())
        benchmark.pedantic(lambda: rbm.gibbs(v, 1, rng=gen, path="auto"), rounds=5, iterations=1)
    ratios = report(benchmark, medians, baseline="numpy")
    benchmark.extra_info["dense_over_two_gemms"] = round(medians["pyrbm_dense"] / medians["two_gemms"], 3)
    benchmark.extra_info["sparse10_over_two_gemms"] = round(
        medians["pyrbm_sparse_hidden10pct"] / medians["two_gemms"], 3
    )
    if torch is not None:
        benchmark.extra_info["pyrbm_auto_vs_torch"] = round(medians["torch"] / medians["pyrbm_auto"], 3)
    print(f"  dense/2gemm={benchmark.extra_info['dense_over_two_gemms']}  "
          f"sparse(h10%)/2gemm={benchmark.extra_info['sparse10_over_two_gemms']}")
    assert ratios["pyrbm_dense"] > 0

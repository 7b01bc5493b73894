"""The engine against NumPy, torch and the GEMM bound (issue 12), measured two ways with
default environment variables (no OPENBLAS_THREAD_TIMEOUT or other tweak):

* ``--mode interleaved``: every case in this one process, round-robin (a user's loop
  that mixes NumPy BLAS calls with pyrbm calls);
* ``--mode alone``: each case in its own fresh process (``--processes`` of them), the
  median of each process's median.

Run:  python bench/bench_engine.py --mode interleaved --dtype float32
      python bench/bench_engine.py --mode alone --dtype float32 --processes 3

``import pyrbm`` hands NumPy's OpenBLAS jobs to pyrbm's OpenMP threads
(``pyrbm.share_blas_threads``), so no OpenBLAS worker spins beside pyrbm's threads after
a NumPy product. ``--own-blas-threads`` first gives them back
(``pyrbm.share_blas_threads(False)``, what ``PYRBM_SHARE_BLAS=0`` does): the default
before 3 Dec 2026, to measure what that sharing is worth.

Model: 784 x 500, weights N(0, 0.01^2). "random": zero biases (chains ~50 % ones);
"h10": hidden bias -2.2 (~10 % hidden active, as in a trained model); "mnist": in
addition visible bias -1.7 (~15 % visible ones, binarized-MNIST-like chains). Sweep
states: 1000 chains with 15 % visible ones. PCD-10: batch 500 of 15 % ones, 500
persistent chains, SGD. Before timing, the script asserts that pyrbm and the NumPy
reference draw the same laws (fractions of ones within 6 binomial standard errors).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy.special import expit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import alone_medians, interleaved_medians  # noqa: E402

N_VISIBLE, N_HIDDEN, N_CHAINS, BATCH, K = 784, 500, 1000, 500, 10
BIASES = {"random": (0.0, 0.0), "h10": (0.0, -2.2), "mnist": (-1.7, -2.2)}


def model(dtype: type, kind: str):  # noqa: ANN201 - a pyrbm.RBM
    import pyrbm

    gen = np.random.default_rng(0)
    a, b = BIASES[kind]
    w = gen.normal(0, 0.01, (N_VISIBLE, N_HIDDEN)).astype(dtype)
    return pyrbm.RBM(w, np.full(N_VISIBLE, a, dtype), np.full(N_HIDDEN, b, dtype))


def states(n: int, dtype: type, seed: int = 1) -> np.ndarray:
    return (np.random.default_rng(seed).random((n, N_VISIBLE)) < 0.15).astype(dtype)


# -- sweep cases ------------------------------------------------------------------------
def numpy_sweep(rbm, v: np.ndarray, gen: np.random.Generator) -> np.ndarray:
    dt = rbm.dtype
    h = (gen.random((len(v), N_HIDDEN), dtype=dt) < expit(v @ rbm.weights + rbm.hidden_bias)).astype(dt)
    return (gen.random(v.shape, dtype=dt) < expit(h @ rbm.weights.T + rbm.visible_bias)).astype(dt)


def sweep_cases(dtype: type) -> dict[str, Callable[[], object]]:
    cases: dict[str, Callable[[], object]] = {}
    v = states(N_CHAINS, dtype)
    for kind in ("random", "h10"):
        rbm = model(dtype, kind)
        for path in ("auto", "dense", "sparse"):
            cases[f"pyrbm_{path}_{kind}"] = (lambda r=rbm, p=path: r.gibbs(v, 1, rng=1, path=p))
    rbm = model(dtype, "random")
    gen = np.random.default_rng(2)
    cases["numpy_sweep"] = lambda: numpy_sweep(rbm, v, gen)
    h = (np.random.default_rng(3).random((N_CHAINS, N_HIDDEN)) < 0.5).astype(dtype)
    o1, o2 = np.empty((N_CHAINS, N_HIDDEN), dtype), np.empty((N_CHAINS, N_VISIBLE), dtype)
    w = rbm.weights

    def two_gemms() -> None:
        np.matmul(v, w, out=o1)
        np.matmul(h, w.T, out=o2)

    cases["numpy_two_gemms"] = two_gemms
    torch = _torch()
    if torch is not None:
        tv, tw = torch.from_numpy(v), torch.from_numpy(w)
        ta, tb = torch.from_numpy(rbm.visible_bias), torch.from_numpy(rbm.hidden_bias)
        cases["torch_sweep"] = lambda: torch.bernoulli(
            torch.sigmoid(torch.bernoulli(torch.sigmoid(tv @ tw + tb)) @ tw.T + ta))
    return cases


# -- PCD-10 update cases ---------------------------------------------------------------
def pcd_cases(dtype: type) -> dict[str, Callable[[], object]]:
    from pyrbm.training.config import TrainConfig
    from pyrbm.training.loop import _Trainer

    cases: dict[str, Callable[[], object]] = {}
    data = states(4 * BATCH, dtype, seed=5)
    batch = data[:BATCH]
    for kind in ("random", "mnist"):
        rbm = model(dtype, kind)
        config = TrainConfig(method="pcd", k=K, batch_size=BATCH, n_chains=BATCH, epochs=1,
                             optimizer="sgd", lr=1e-3, monitor=False)
        config.validate()
        trainer = _Trainer(rbm, data, config, np.random.default_rng(0))
        if kind == "mnist":  # chains with the model's ~15 % ones from the start
            trainer.chains[...] = states(BATCH, dtype, seed=6)
        cases[f"pyrbm_pcd10_{kind}"] = lambda t=trainer: t.step(batch)
    w = model(dtype, "random").weights
    v = states(BATCH, dtype)
    h = (np.random.default_rng(3).random((BATCH, N_HIDDEN)) < 0.5).astype(dtype)
    o1, o2 = np.empty((BATCH, N_HIDDEN), dtype), np.empty((BATCH, N_VISIBLE), dtype)

    def twenty_gemms() -> None:
        for _ in range(K):
            np.matmul(v, w, out=o1)
            np.matmul(h, w.T, out=o2)

    cases["numpy_20_gemms"] = twenty_gemms
    torch = _torch()
    if torch is not None:
        tw = torch.from_numpy(w.copy())
        ta = torch.zeros(N_VISIBLE, dtype=tw.dtype)
        tb = torch.zeros(N_HIDDEN, dtype=tw.dtype)
        tchains = torch.from_numpy(states(BATCH, dtype, seed=7))
        tbatch = torch.from_numpy(batch)

        def torch_pcd() -> None:
            nonlocal tchains
            for _ in range(K):
                hs = torch.bernoulli(torch.sigmoid(tchains @ tw + tb))
                tchains = torch.bernoulli(torch.sigmoid(hs @ tw.T + ta))
            pd, pm = torch.sigmoid(tbatch @ tw + tb), torch.sigmoid(tchains @ tw + tb)
            tw.add_((tbatch.T @ pd - tchains.T @ pm) * (1e-3 / BATCH))
            ta.add_((tbatch.mean(0) - tchains.mean(0)) * 1e-3)
            tb.add_((pd.mean(0) - pm.mean(0)) * 1e-3)

        cases["torch_pcd10"] = torch_pcd
    return cases


def _torch():  # noqa: ANN202
    try:
        import torch
    except ImportError:
        return None
    return torch


def check_laws(dtype: type) -> None:
    """pyrbm's sweep and NumPy's draw the same laws (fractions of ones per unit class)."""
    v = states(N_CHAINS, dtype)
    for kind in ("random", "h10"):
        rbm = model(dtype, kind)
        got, _ = rbm.gibbs(v, 1, rng=3)
        want = numpy_sweep(rbm, v, np.random.default_rng(4))
        p = want.mean()
        se = np.sqrt(p * (1 - p) / want.size)
        assert abs(got.mean() - p) < 6 * se + 1e-3, (kind, got.mean(), p)


def all_cases(dtype: type) -> dict[str, Callable[[], object]]:
    return {**sweep_cases(dtype), **pcd_cases(dtype)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["interleaved", "alone"], default="interleaved")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--case", help="time only this case (used by --mode alone)")
    parser.add_argument("--threads", type=int, default=0,
                        help="threads of pyrbm, NumPy's BLAS and torch (default: theirs)")
    parser.add_argument("--cpu-time", action="store_true",
                        help="process CPU time instead of wall time (with --threads 1: the "
                             "work of each case, less sensitive to a loaded machine)")
    parser.add_argument("--own-blas-threads", action="store_true",
                        help="pyrbm.share_blas_threads(False) first: OpenBLAS's jobs on its "
                             "own workers, not pyrbm's threads")
    args = parser.parse_args()
    dtype = np.dtype(args.dtype).type
    clock = time.process_time if args.cpu_time else time.perf_counter
    if args.threads:
        import pyrbm
        from threadpoolctl import threadpool_limits

        pyrbm.set_num_threads(args.threads)
        threadpool_limits(args.threads)
        torch = _torch()
        if torch is not None:
            torch.set_num_threads(args.threads)
    if args.own_blas_threads:
        import pyrbm

        pyrbm.share_blas_threads(False)
    if args.case:
        print(json.dumps(interleaved_medians({args.case: all_cases(dtype)[args.case]},
                                             args.rounds, 1, clock)))
        return
    check_laws(dtype)
    if args.mode == "interleaved":
        medians = interleaved_medians(all_cases(dtype), args.rounds, 1, clock)
    else:
        medians = alone_medians(
            __file__, list(all_cases(dtype)),
            ["--dtype", args.dtype, "--rounds", str(args.rounds), "--threads", str(args.threads)]
            + (["--cpu-time"] if args.cpu_time else [])
            + (["--own-blas-threads"] if args.own_blas_threads else []), args.processes)
    for name, t in medians.items():
        print(f"{name:28s} {t * 1e3:9.3f} ms")
    m = medians

    def ratio(a: str, b: str) -> str:
        return f"{m[a] / m[b]:.2f}" if a in m and b in m else "n/a"

    print(f"numpy / pyrbm auto (random)     {ratio('numpy_sweep', 'pyrbm_auto_random')}")
    print(f"torch / pyrbm auto (random)     {ratio('torch_sweep', 'pyrbm_auto_random')}")
    print(f"pyrbm dense / two GEMMs         {ratio('pyrbm_dense_random', 'numpy_two_gemms')}")
    print(f"pyrbm sparse (random) / dense   {ratio('pyrbm_sparse_random', 'pyrbm_dense_random')}")
    print(f"pyrbm auto (h10) / two GEMMs    {ratio('pyrbm_auto_h10', 'numpy_two_gemms')}")
    print(f"pyrbm PCD-10 random / 20 GEMMs  {ratio('pyrbm_pcd10_random', 'numpy_20_gemms')}")
    print(f"pyrbm PCD-10 mnist / 20 GEMMs   {ratio('pyrbm_pcd10_mnist', 'numpy_20_gemms')}")
    print(f"torch PCD-10 / pyrbm (random)   {ratio('torch_pcd10', 'pyrbm_pcd10_random')}")


if __name__ == "__main__":
    main()

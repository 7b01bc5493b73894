"""Training on MNIST (784 x 500, PCD-k, Adam, batch 500): pyrbm vs a NumPy trainer,
and the cost of the per-checkpoint monitoring.

Run:  pytest bench/bench_train.py --benchmark-only -s
Both trainers are timed interleaved in this process (bench/_harness.py). The NumPy
reference is the same algorithm (PCD-k, gradient from p(h|v), Adam) with
``scipy.special.expit`` and ``Generator.random``; the two must reach the same
reconstruction error and pseudo-likelihood within a few percent.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import expit

import pyrbm
from pyrbm import metrics

from ._harness import interleaved_medians, report

N_HIDDEN, BATCH = 500, 500
N_UPDATES = 20  # per timed call: 10 000 images


def _mnist() -> np.ndarray:
    return pyrbm.io.datasets.load("mnist")[0]


def numpy_pcd(rbm: pyrbm.RBM, data: np.ndarray, k: int, seed: int) -> pyrbm.RBM:
    """One pass of PCD-k with Adam (lr 1e-3) in plain NumPy; returns the trained copy."""
    gen = np.random.default_rng(seed)
    dt = rbm.dtype
    w, a, b = rbm.weights.copy(), rbm.visible_bias.copy(), rbm.hidden_bias.copy()
    params = [w, a, b]
    m = [np.zeros_like(p) for p in params]
    s = [np.zeros_like(p) for p in params]
    chains = (gen.random((BATCH, w.shape[0]), dtype=dt) < 0.5).astype(dt)
    order = gen.permutation(len(data))
    for t in range(1, len(data) // BATCH + 1):
        v = data[order[(t - 1) * BATCH : t * BATCH]].astype(dt)
        for _ in range(k):
            h = (gen.random((BATCH, w.shape[1]), dtype=dt) < expit(chains @ w + b)).astype(dt)
            chains = (gen.random(chains.shape, dtype=dt) < expit(h @ w.T + a)).astype(dt)
        ph_d, ph_m = expit(v @ w + b), expit(chains @ w + b)
        grads = [
            (v.T @ ph_d - chains.T @ ph_m) / BATCH,
            v.mean(0) - chains.mean(0),
            ph_d.mean(0) - ph_m.mean(0),
        ]
        step = 1e-3 * math.sqrt(1 - 0.999**t) / (1 - 0.9**t)
        for p, g, mi, si in zip(params, grads, m, s):
            mi *= 0.9
            mi += 0.1 * g
            si *= 0.999
            si += 0.001 * g * g
            p += dt.type(step) * mi / (np.sqrt(si) + dt.type(1e-8))
    return pyrbm.RBM(w, a, b)


@pytest.mark.parametrize("k", [1, 10])
def test_pcd_training(benchmark, k: int) -> None:
    data = _mnist()[: N_UPDATES * BATCH]
    init = pyrbm.init_rbm(data, N_HIDDEN, rng=0)
    results: dict[str, pyrbm.RBM] = {}

    def ours() -> None:
        rbm = init.copy()
        pyrbm.train(rbm, data, k=k, batch_size=BATCH, lr=1e-3, rng=1, monitor=False)
        results["pyrbm"] = rbm

    def reference() -> None:
        results["numpy"] = numpy_pcd(init, data, k, seed=1)

    medians = interleaved_medians({"pyrbm": ours, "numpy": reference}, rounds=3, warmup=1)
    benchmark.pedantic(ours, rounds=1, iterations=1)
    report(benchmark, medians, "numpy")
    # Same algorithm, different random streams: same quality after 20 updates.
    probe = data[::10].astype(np.float32)
    for name, fn in [("recon", metrics.reconstruction_error),
                     ("pll", lambda r, v: metrics.pseudo_log_likelihood(r, v, rng=0))]:
        ours_q, ref_q = fn(results["pyrbm"], probe), fn(results["numpy"], probe)
        benchmark.extra_info[f"{name}_pyrbm"], benchmark.extra_info[f"{name}_numpy"] = ours_q, ref_q
        assert abs(ours_q - ref_q) < 0.03 * abs(ref_q), (name, ours_q, ref_q)


def test_monitoring_cost(benchmark) -> None:
    """Monitoring at the CLI defaults (PCD-10, one checkpoint per epoch of 120 updates).

    Two timings: the built-in ``monitor_seconds`` of each checkpoint against the epoch's
    wall time, and interleaved epochs with ``monitor=True`` / ``monitor=False``.
    """
    data = _mnist()
    init = pyrbm.init_rbm(data, N_HIDDEN, rng=0)
    fractions: list[float] = []

    def monitored() -> None:
        history = pyrbm.train(init.copy(), data, k=10, batch_size=BATCH, rng=1)
        fractions.append(history["monitor_seconds"][0] / history["wall_time"][0])

    def plain() -> None:
        pyrbm.train(init.copy(), data, k=10, batch_size=BATCH, rng=1, monitor=False)

    medians = interleaved_medians({"monitored": monitored, "plain": plain}, rounds=2, warmup=0)
    benchmark.pedantic(plain, rounds=1, iterations=1)
    report(benchmark, medians, "plain")
    benchmark.extra_info["monitor_fraction"] = float(np.median(fractions))
    print(f"  monitoring: {100 * np.median(fractions):.2f} % of the epoch's wall time")
    assert np.median(fractions) < 0.05

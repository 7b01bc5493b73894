"""Reciprocal-mode kernels vs NumPy: Langevin (Euler-Maruyama) and low-rank probing.

Run:  pytest bench/bench_modes.py --benchmark-only -s
Every case is timed interleaved in this process (bench/_harness.py); the ratios are
what bench/RESULTS.md records. Targets: Langevin >= 5x a vectorized NumPy
Euler-Maruyama of the same system; rank-10 probing on 784x500 >= 5x the dense
conditional (matmul + expit + Generator.random).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit
from threadpoolctl import threadpool_limits

import pyrbm
from pyrbm import diffusion, probing

from ._harness import interleaved_medians, report

N_MODES, N_TRAJ, N_STEPS, RECORD_EVERY, DT = 50, 2000, 100, 10, 0.01
N_VISIBLE, N_HIDDEN, N_CHAINS, RANK = 784, 500, 1000, 10


def numpy_langevin(pot: diffusion.ModePotential, gen: np.random.Generator, dtype: type):
    """The reference: the same Euler-Maruyama with Generator.standard_normal, same records."""
    k, c, f = (np.asarray(a, dtype) for a in (pot.stiffness, pot.coupling, pot.force))
    kx, ky, fx, fy, c = k[:, :1], k[:, 1:], f[:, :1], f[:, 1:], c[:, None]
    x = np.zeros((N_MODES, N_TRAJ), dtype)
    y = np.zeros((N_MODES, N_TRAJ), dtype)
    dt, amp = dtype(DT), dtype(np.sqrt(2 * DT))
    records = []
    for step in range(N_STEPS):
        noise = gen.standard_normal((2, N_MODES, N_TRAJ), dtype=dtype)
        gx = kx * x - c * y - fx
        gy = ky * y - c * x - fy
        x, y = x - dt * gx + amp * noise[0], y - dt * gy + amp * noise[1]
        if (step + 1) % RECORD_EVERY == 0:
            xd, yd = x.astype(np.float64), y.astype(np.float64)
            records.append((xd.sum(1), yd.sum(1), (xd * xd).sum(1), (yd * yd).sum(1),
                            (xd * yd).sum(1)))
    u = (x + y) / np.sqrt(2)
    return u.var(axis=1)


@pytest.mark.parametrize("threads", [2, 1])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_langevin(benchmark, dtype: type, threads: int) -> None:
    lam = np.linspace(0.1, 3.5, N_MODES)  # all converging: beta lambda < 4
    pot = diffusion.mode_potential(lam, beta=1.0)
    gen = np.random.default_rng(0)

    def ours():
        res = diffusion.langevin(pot, N_TRAJ, N_STEPS, dt=DT, record_every=RECORD_EVERY,
                                 dtype=dtype, rng=gen)
        return res.variance_u[:, -1]

    exact = diffusion.em_variance(pot.stiffness_u, DT, N_STEPS)
    with threadpool_limits(limits=threads), pyrbm.num_threads(threads):
        # both agree with the exact EM variance (2000 trajectories: ~3 % standard error)
        np.testing.assert_allclose(ours(), exact, rtol=0.15)
        np.testing.assert_allclose(numpy_langevin(pot, gen, dtype), exact, rtol=0.15)
        medians = interleaved_medians(
            {"pyrbm": ours, "numpy": lambda: numpy_langevin(pot, gen, dtype)}, rounds=7
        )
        benchmark.pedantic(ours, rounds=1, iterations=1)
    ratios = report(benchmark, medians, "numpy")
    benchmark.extra_info["unit_steps"] = N_MODES * N_TRAJ * N_STEPS
    assert ratios["pyrbm"] > 1.0


def rank_limited_rbm(dtype: type) -> pyrbm.RBM:
    """784x500 with exactly RANK nonzero singular values (a 'trained' spectrum)."""
    gen = np.random.default_rng(0)
    u = np.linalg.qr(gen.normal(size=(N_VISIBLE, RANK)))[0]
    v = np.linalg.qr(gen.normal(size=(N_HIDDEN, RANK)))[0]
    s = np.geomspace(20, 2, RANK)
    w = (u * s) @ v.T
    return pyrbm.RBM(w.astype(dtype), np.full(N_VISIBLE, -1.0, dtype), np.zeros(N_HIDDEN, dtype))


@pytest.mark.parametrize("threads", [2, 1])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_lowrank_probing(benchmark, dtype: type, threads: int) -> None:
    rbm = rank_limited_rbm(dtype)
    model = probing.LowRankModel(rbm, RANK)
    h = (np.random.default_rng(1).random((N_CHAINS, N_HIDDEN)) < 0.5).astype(dtype)
    w, a = rbm.weights, rbm.visible_bias
    gen = np.random.default_rng(2)

    def dense():
        p = expit(h @ w.T + a)
        return (gen.random(p.shape, dtype=dtype) < p).astype(dtype), p

    def ours():
        return model.sample_visible(h, rng=gen, return_probs=True)

    with threadpool_limits(limits=threads), pyrbm.num_threads(threads):
        # same conditional: W has rank RANK, so the rank-RANK fields are exact
        v_ours, p_ours = ours()
        v_dense, p_dense = dense()
        np.testing.assert_allclose(p_ours, p_dense, atol=1e-4 if dtype == np.float32 else 1e-10)
        se = np.sqrt(p_dense.mean() * (1 - p_dense.mean()) / p_dense.size)
        assert abs(v_ours.mean() - v_dense.mean()) < 6 * np.sqrt(2) * se
        medians = interleaved_medians(
            {"pyrbm_rank10": lambda: model.sample_visible(h, rng=gen), "numpy_dense": dense},
            rounds=15,
        )
        benchmark.pedantic(ours, rounds=1, iterations=1)
    ratios = report(benchmark, medians, "numpy_dense")
    assert ratios["pyrbm_rank10"] > 1.0

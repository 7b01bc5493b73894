"""pyrbm.dynamics.diffusion and the Langevin kernel (csrc/modes.*): docs/equations.md E12-E16."""

from __future__ import annotations

import numpy as np
import pytest

import pyrbm
from pyrbm import _core, diffusion
from pyrbm._rng import STREAMS
from pyrbm.analysis.svd import thin_svd
from .conftest import all_states, small_rbm


def reference_box_muller(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    u = u.astype(np.float64)
    r = np.sqrt(-2 * np.log1p(-u[:, 0]))
    theta = 2 * np.pi * u[:, 1]
    return r * np.cos(theta), r * np.sin(theta)


def reference_langevin(x, y, stiffness, coupling, force, cubic, quartic, dt, diffusion_, key,
                       n_steps, record_every):
    """NumPy Euler-Maruyama with the kernel's documented noise (float64 throughout)."""
    n_modes, n_traj = x.shape
    dtype = x.dtype
    x, y = x.astype(np.float64), y.astype(np.float64)
    k, g, q, f = (a.astype(np.float64) for a in (stiffness, cubic, quartic, force))
    c = coupling.astype(np.float64)[:, None]
    sums = []
    for step in range(n_steps):
        u = np.empty((n_modes, 2 * n_traj), dtype)
        for m in range(n_modes):
            _core.uniform_row(u[m], key, step, m, STREAMS["langevin"])
        nx, ny = reference_box_muller(u.reshape(-1, 2))
        nx, ny = nx.reshape(n_modes, n_traj), ny.reshape(n_modes, n_traj)
        gx = k[:, :1] * x - c * y - f[:, :1] + g[:, :1] * x**2 + q[:, :1] * x**3
        gy = k[:, 1:] * y - c * x - f[:, 1:] + g[:, 1:] * y**2 + q[:, 1:] * y**3
        amp = np.sqrt(2 * diffusion_ * dt)
        x, y = x - dt * gx + amp * nx, y - dt * gy + amp * ny
        if (step + 1) % record_every == 0:
            sums.append(np.stack([x.sum(1), y.sum(1), (x * x).sum(1), (y * y).sum(1),
                                  (x * y).sum(1)], 1))
    return x, y, np.stack(sums, 1)


def kernel_inputs(dtype, n_modes=3, n_traj=131, seed=0):
    gen = np.random.default_rng(seed)
    arrays = dict(
        stiffness=gen.uniform(3, 5, (n_modes, 2)),
        coupling=gen.uniform(0, 3, n_modes),
        force=gen.normal(0, 1, (n_modes, 2)),
        cubic=gen.normal(0, 0.3, (n_modes, 2)),
        quartic=gen.uniform(0, 0.5, (n_modes, 2)),
    )
    arrays = {name: a.astype(dtype) for name, a in arrays.items()}
    x = gen.normal(0, 0.3, (n_modes, n_traj)).astype(dtype)
    y = gen.normal(0, 0.3, (n_modes, n_traj)).astype(dtype)
    return x, y, arrays


def run_kernel(x, y, arrays, key=(3, 4), n_steps=12, record_every=4, dt=0.01):
    x, y = x.copy(), y.copy()
    moments = np.empty((x.shape[0], n_steps // record_every, 5))
    _core.langevin_modes(x, y, arrays["stiffness"], arrays["coupling"], arrays["force"],
                         arrays["cubic"], arrays["quartic"], dt, 0.7, key, 0, n_steps,
                         record_every, moments)
    return x, y, moments


def test_box_muller_matches_numpy(dtype):
    u = np.random.default_rng(1).random((5000, 2)).astype(dtype)
    nx, ny = np.empty(5000, dtype), np.empty(5000, dtype)
    _core.box_muller(u, nx, ny)
    ref_x, ref_y = reference_box_muller(u)
    tol = 1e-13 if dtype == np.float64 else 5e-5
    np.testing.assert_allclose(nx, ref_x, rtol=0, atol=tol)
    np.testing.assert_allclose(ny, ref_y, rtol=0, atol=tol)


def test_langevin_kernel_matches_numpy_reference(dtype):
    x, y, arrays = kernel_inputs(dtype)
    kx, ky, moments = run_kernel(x, y, arrays)
    rx, ry, rmoments = reference_langevin(x, y, *arrays.values(), 0.01, 0.7, (3, 4), 12, 4)
    rtol = 1e-12 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(kx, rx, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(ky, ry, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(moments, rmoments, rtol=rtol, atol=rtol * x.shape[1])


def test_langevin_kernel_is_thread_invariant():
    x, y, arrays = kernel_inputs(np.float32, n_modes=2, n_traj=300)
    with pyrbm.num_threads(1):
        one = run_kernel(x, y, arrays, n_steps=20)
    with pyrbm.num_threads(2):
        two = run_kernel(x, y, arrays, n_steps=20)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)


def test_langevin_relaxes_to_the_minimum_of_the_rbm_potential():
    rbm = small_rbm(9, 6, std=0.5, dtype=np.float64, seed=12)
    pot = diffusion.mode_potential_from_rbm(rbm, beta=1.0)
    assert np.all(pot.converges)
    res = diffusion.langevin(pot, 4000, 400, dt=0.01, record_every=400, rng=3)
    # stationary mean solves grad Phi = 0: K m = f (also the fixed point of the EM map)
    k = pot.stiffness.mean(axis=1)
    det = k**2 - pot.coupling**2
    mx = (k * pot.force[:, 0] + pot.coupling * pot.force[:, 1]) / det
    my = (k * pot.force[:, 1] + pot.coupling * pot.force[:, 0]) / det
    se = np.sqrt(res.cov[:, -1, 0, 0] / 4000)
    np.testing.assert_allclose(res.mean[:, -1, 0], mx, atol=5 * se.max())
    np.testing.assert_allclose(res.mean[:, -1, 1], my, atol=5 * se.max())
    # and the covariance of (dx, dy) is D K^{-1} up to O(dt)
    np.testing.assert_allclose(res.cov[:, -1, 0, 1], pot.coupling / det, rtol=0.15, atol=0.01)


def test_langevin_resume_is_bit_identical_to_one_run(dtype):
    pot = diffusion.mode_potential([1.0, 4.5], beta=1.0, a0=[0.3, -0.2])
    whole = diffusion.langevin(pot, 150, 30, dt=0.01, record_every=5, dtype=dtype, rng=4)
    first = diffusion.langevin(pot, 150, 10, dt=0.01, record_every=5, dtype=dtype, rng=4)
    rest = diffusion.langevin(pot, 150, 20, dt=0.01, record_every=5, resume=first)
    np.testing.assert_array_equal(rest.x, whole.x)
    np.testing.assert_array_equal(rest.y, whole.y)
    # the kernel's records agree exactly; record 0 is summed by NumPy (other order)
    np.testing.assert_array_equal(rest.cov[:, 1:], whole.cov[:, 3:])
    np.testing.assert_allclose(rest.cov[:, 0], whole.cov[:, 2], rtol=1e-5)
    np.testing.assert_allclose(rest.times, whole.times[2:])
    assert rest.steps == 30 and rest.x.dtype == dtype
    with pytest.raises(ValueError, match="x0"):
        diffusion.langevin(pot, 150, 5, dt=0.01, resume=first, x0=first.x)
    with pytest.raises(ValueError, match="resume"):
        diffusion.langevin(pot, 151, 5, dt=0.01, resume=first)


def test_langevin_same_seed_same_result_and_different_seed_differs():
    pot = diffusion.mode_potential([1.0, 2.0], beta=1.0)
    a = diffusion.langevin(pot, 50, 10, dt=0.01, rng=7)
    b = diffusion.langevin(pot, 50, 10, dt=0.01, rng=7)
    c = diffusion.langevin(pot, 50, 10, dt=0.01, rng=8)
    np.testing.assert_array_equal(a.x, b.x)
    assert not np.array_equal(a.x, c.x)


@pytest.mark.parametrize(
    "singular_values, beta",
    [([1.0, 3.0, 3.8, 4.3, 5.0], 1.0),  # sweep lambda at fixed beta
     ([2.0], 0.5), ([2.0], 1.5), ([2.0], 2.3), ([2.0], 2.6)],  # sweep beta at fixed lambda
)
def test_variance_bounded_iff_beta_lambda_below_four(singular_values, beta):
    rep = diffusion.convergence_analysis(singular_values, beta=beta, t_max=3.0, dt=0.01,
                                         n_trajectories=3000, n_records=10, rng=11)
    lam = np.asarray(singular_values)
    np.testing.assert_array_equal(rep.converges, beta * lam < 4)
    # simulated variance agrees with the exact Euler-Maruyama OU variance (chi-square)
    assert np.all(rep.p_value > 1e-3), rep.p_value
    # and the exact EM variance is within O(dt) of the continuous-time OU variance
    np.testing.assert_allclose(rep.exact, rep.continuous, rtol=0.1, atol=1e-12)
    for i in range(lam.size):
        if rep.converges[i]:  # relaxes to D / (4 - beta lambda) from below
            assert rep.variance[i, -1] < 1.1 * rep.stationary_variance[i]
            assert rep.variance[i, -1] > 0.5 * rep.stationary_variance[i]
        else:  # grows exponentially without bound
            assert np.isinf(rep.stationary_variance[i])
            assert rep.variance[i, -1] > 3 * rep.variance[i, rep.times.size // 2]


def test_overflowing_mode_reports_inf_variance_without_warnings():
    rep = diffusion.convergence_analysis([40.0, 1.0], t_max=20.0, dt=0.01, n_trajectories=64,
                                         n_records=5, rng=1)
    assert np.isinf(rep.variance[0, -1]) and np.isinf(rep.exact[0, -1])
    assert np.isnan(rep.p_value[0]) and rep.p_value[1] > 1e-3
    np.testing.assert_array_equal(rep.converges, [False, True])


def test_ou_and_em_variance_closed_forms():
    t = np.linspace(0, 2, 5)
    np.testing.assert_allclose(diffusion.ou_variance(0.0, t, diffusion=0.5, var0=1.0), 1 + t)
    np.testing.assert_allclose(diffusion.ou_variance(2.0, 50.0, diffusion=3.0), 1.5)
    assert diffusion.ou_variance(-1.0, 3.0) > np.exp(5)
    # EM recursion by iteration
    var, kappa, dt = 0.3, -0.7, 0.05
    iterated = [var]
    for _ in range(10):
        var = (1 - kappa * dt) ** 2 * var + 2 * dt
        iterated.append(var)
    np.testing.assert_allclose(diffusion.em_variance(kappa, dt, np.arange(11), var0=0.3), iterated)
    np.testing.assert_allclose(diffusion.em_variance(0.0, 0.1, 7), 1.4)


@pytest.mark.parametrize("shape", [(7, 5), (5, 7)])
def test_potential_from_rbm_equals_e12(shape):
    rbm = small_rbm(*shape, std=0.5, dtype=np.float64, seed=3)
    beta = 0.8
    pot = diffusion.mode_potential_from_rbm(rbm, beta=beta)
    svd = thin_svd(rbm.weights)
    a0, b0 = svd.u.T @ rbm.visible_bias, svd.v.T @ rbm.hidden_bias
    mx, my = svd.u.sum(0) / 2, svd.v.sum(0) / 2
    gen = np.random.default_rng(0)
    x, y = gen.normal(0, 1, (2, 20, pot.n_modes))
    lam = svd.s
    phi_e12 = (beta * (-a0 * x - b0 * y - lam * x * y)
               + (x - mx) ** 2 / (2 * 0.25) + (y - my) ** 2 / (2 * 0.25))
    dx, dy = x - mx, y - my
    k, c, f = pot.stiffness, pot.coupling, pot.force
    phi_kernel = (k[:, 0] * dx**2 / 2 + k[:, 1] * dy**2 / 2 - c * dx * dy
                  - f[:, 0] * dx - f[:, 1] * dy)
    diff = phi_e12 - phi_kernel  # a per-mode constant
    np.testing.assert_allclose(diff, np.broadcast_to(diff[0], diff.shape), atol=1e-10)
    np.testing.assert_allclose(pot.stiffness_u, 4 - beta * lam)
    np.testing.assert_allclose(pot.stiffness_w, 4 + beta * lam)


def test_quartic_corrections_from_exact_fourth_cumulant():
    n = 9
    u = np.linalg.qr(np.random.default_rng(5).normal(size=(n, n)))[0]
    x = all_states(n) @ u  # every binary v, uniform measure
    d = x - x.mean(0)
    kappa4 = (d**4).mean(0) - 3 * (d**2).mean(0) ** 2
    np.testing.assert_allclose((d**2).mean(0), 0.25, atol=1e-12)  # E18
    q = diffusion.quartic_corrections(u, u)
    np.testing.assert_allclose(q[:, 0], -kappa4 / (6 * 0.25**4), rtol=1e-10)


def test_quartic_correction_confines_an_unstable_mode():
    pot = diffusion.mode_potential([6.0], beta=1.0)  # beta lambda = 6 > 4
    quartic = np.full((1, 2), 2.0)
    res = diffusion.langevin(pot, 2000, 1000, dt=0.005, record_every=100, quartic=quartic, rng=2)
    var = res.variance_u[0]
    assert np.all(np.isfinite(var))
    np.testing.assert_allclose(var[-1], var[-3], rtol=0.15)  # stationary, not growing
    # a double well in u: the trajectories end near +-z*, not near 0
    u = (res.x[0] + res.y[0]) / np.sqrt(2)
    fit = diffusion.fit_landau(u, lam=6.0)
    assert fit.is_double_well


def test_fit_landau_recovers_a_known_double_well():
    true = dict(lam=3.0, s=1.0, k=4.0, mu=0.2, gamma=0.5, alpha=2.0)
    grid = np.linspace(-4, 4, 40001)
    pot = diffusion.landau_potential(grid, **true)
    cdf = np.cumsum(np.exp(-(pot - pot.min())))
    z = np.interp(np.random.default_rng(0).random(40000), cdf / cdf[-1], grid)
    fit = diffusion.fit_landau(z, lam=3.0)
    exact = diffusion.LandauFit(**true, nll=0.0)
    np.testing.assert_allclose(fit.minima(), exact.minima(), atol=0.05)
    zz = np.linspace(-1.5, 2.0, 50)
    shape_fit = fit.potential(zz) - fit.potential(0.0)
    shape_true = exact.potential(zz) - exact.potential(0.0)
    np.testing.assert_allclose(shape_fit, shape_true, atol=0.15)
    assert fit.alpha == pytest.approx(2.0, rel=0.1)


def test_mode_coordinates_reproduce_e10_energy():
    # square model: no unpaired modes, E = sum eps - sum lam/2 (u^2 - w^2)
    rbm = small_rbm(6, 6, std=0.7, dtype=np.float64, seed=9)
    gen = np.random.default_rng(1)
    v = (gen.random((40, 6)) < 0.5).astype(np.float64)
    h = (gen.random((40, 6)) < 0.5).astype(np.float64)
    svd = thin_svd(rbm.weights)
    eps = (svd.u.T @ rbm.visible_bias) * (svd.v.T @ rbm.hidden_bias) / svd.s
    energy = eps.sum() * np.ones(40)
    for i in range(6):
        u, w = diffusion.mode_coordinates(rbm, v, h, i)
        energy -= svd.s[i] / 2 * (u**2 - w**2)
    np.testing.assert_allclose(energy, rbm.energy(v, h), atol=1e-10)


def test_mode_coordinates_match_reciprocal_module():
    rbm = small_rbm(9, 5, std=0.6, dtype=np.float64, seed=2)
    gen = np.random.default_rng(3)
    v = (gen.random((20, 9)) < 0.5).astype(np.float64)
    h = (gen.random((20, 5)) < 0.5).astype(np.float64)
    dec = pyrbm.analysis.reciprocal.decompose(rbm)
    u_all, w_all = dec.to_uw(*dec.to_reciprocal(v, h))
    for mode in (0, 4):
        u, w = diffusion.mode_coordinates(rbm, v, h, mode)
        np.testing.assert_allclose(u, u_all[:, mode], atol=1e-10)
        np.testing.assert_allclose(w, w_all[:, mode], atol=1e-10)


def test_landau_fit_from_gibbs_samples_runs():
    rbm = small_rbm(11, 7, std=0.3, dtype=np.float64, seed=4)
    v, h = rbm.sample(400, 20, rng=5)
    u, _ = diffusion.mode_coordinates(rbm, v, h, 0)
    fit = diffusion.fit_landau(u, lam=float(thin_svd(rbm.weights).s[0]))
    assert np.isfinite(fit.nll) and fit.alpha > 0


def test_bad_input():
    pot = diffusion.mode_potential([1.0])
    with pytest.raises(ValueError, match="singular_values"):
        diffusion.mode_potential([-1.0])
    with pytest.raises(ValueError, match="a0"):
        diffusion.mode_potential([1.0, 2.0], a0=[1.0])
    with pytest.raises(TypeError, match="potential"):
        diffusion.langevin("x", 10, 10, dt=0.1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="dt"):
        diffusion.langevin(pot, 10, 10, dt=0.0)
    with pytest.raises(ValueError, match="x0"):
        diffusion.langevin(pot, 10, 10, dt=0.1, x0=np.zeros((2, 10)))
    with pytest.raises(ValueError, match="quartic"):
        diffusion.langevin(pot, 10, 10, dt=0.1, quartic=np.zeros((1, 3)))
    with pytest.raises(TypeError, match="dtype"):
        diffusion.langevin(pot, 10, 10, dt=0.1, dtype=np.int32)
    with pytest.raises(ValueError, match="n_steps"):
        diffusion.langevin(pot, 10, 0, dt=0.1)
    with pytest.raises(ValueError, match="samples"):
        diffusion.fit_landau(np.zeros(5), lam=1.0)
    with pytest.raises(ValueError, match="mode"):
        diffusion.mode_coordinates(small_rbm(5, 3, 0.1, np.float64, 0), np.zeros((1, 5)),
                                   np.zeros((1, 3)), 3)
    with pytest.raises(TypeError, match="x"):  # direct kernel call, wrong dtype
        _core.langevin_modes(np.zeros((1, 2), np.int64), np.zeros((1, 2)), np.zeros((1, 2)),
                             np.zeros(1), np.zeros((1, 2)), np.zeros((1, 2)), np.zeros((1, 2)),
                             0.1, 1.0, (1, 2), 0, 1, 1, np.zeros((1, 1, 5)))
    with pytest.raises(ValueError, match="moments"):
        _core.langevin_modes(np.zeros((1, 2)), np.zeros((1, 2)), np.zeros((1, 2)),
                             np.zeros(1), np.zeros((1, 2)), np.zeros((1, 2)), np.zeros((1, 2)),
                             0.1, 1.0, (1, 2), 0, 4, 1, np.zeros((1, 1, 5)))

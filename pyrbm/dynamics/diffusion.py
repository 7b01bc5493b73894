"""Diffusion of the reciprocal modes (docs/equations.md E12-E16).

Each of the ``L = min(N, M)`` paired modes of an RBM, with the Gaussian prior of the
uniform measure (E11: ``x ~ N(mu_x, sigma^2)``, ``y ~ N(mu_y, sigma^2)``, sigma^2 = 1/4,
``mu_x = U^T 1/2``, ``mu_y = V^T 1/2``), has the potential (E12)

    Phi_i(x, y) = beta E_i(x, y) + (x - mu_x)^2 / (2 sigma^2) + (y - mu_y)^2 / (2 sigma^2),
    E_i = -a0_i x - b0_i y - lambda_i x y.

**Coordinates.** The kernel integrates the displacements ``dx = x_i - mu_x,i`` and
``dy = y_i - mu_y,i``; in them

    Phi_i = k (dx^2 + dy^2)/2 - c dx dy - fx dx - fy dy  (+ const),
    k = 1/sigma^2,  c = beta lambda_i,  fx = beta (a0_i + lambda_i mu_y,i),
    fy = beta (b0_i + lambda_i mu_x,i).

The Hessian ``[[k, -c], [-c, k]]`` has eigenvalues ``k - c`` along
``u = (dx + dy)/sqrt 2`` and ``k + c`` along ``w = (dy - dx)/sqrt 2`` (the E10 axes), so
each mode is two independent Ornstein-Uhlenbeck processes. Overdamped Langevin dynamics
``dz = -grad Phi dt + sqrt(2 D) dW`` (E14) has stationary density ``exp(-Phi/D)`` iff
``k - c > 0``, i.e. ``beta lambda_i sigma^2 < 1`` (E13: ``beta lambda < 4``); otherwise the
``u`` variance grows like ``exp(2 (c - k) t)``.

**Cumulant corrections (optional).** The kernel adds per coordinate
``(g/3) d^3 + (q/4) d^4`` to ``Phi``. :func:`quartic_corrections` gives the leading
confining term of the binary density of states: with ``x_i = sum_j U_ji v_j`` and ``v``
uniform, the fourth cumulant is ``kappa4 = -(1/8) sum_j U_ji^4`` (E19), and the
Gram-Charlier term ``-(kappa4 / (24 sigma^4)) (d / sigma)^4`` of ``-ln p(x)`` gives
``q = -kappa4 / (6 sigma^8)`` (its ``d^2`` and constant parts are left out). The third
cumulant vanishes for the uniform measure, so ``g = 0`` unless given.

:func:`fit_landau` fits the Landau double well E16 to samples of one coordinate (from the
Langevin trajectories or from Gibbs samples projected with :func:`mode_coordinates`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike
from scipy import stats

from .. import _core
from .._rng import RngLike, draw_key
from .landau import LandauFit, fit_landau, landau_potential, mode_coordinates
from .potentials import (
    SIGMA2,
    ModePotential,
    mode_potential,
    mode_potential_from_rbm,
    quartic_corrections,
)
from .._validation import finite_scalar, float_dtype, positive_int

__all__ = [
    "SIGMA2",
    "ConvergenceReport",
    "LandauFit",
    "LangevinResult",
    "ModePotential",
    "convergence_analysis",
    "em_variance",
    "fit_landau",
    "landau_potential",
    "langevin",
    "mode_coordinates",
    "mode_potential",
    "mode_potential_from_rbm",
    "ou_variance",
    "quartic_corrections",
]


@dataclass(frozen=True)
class LangevinResult:
    """Moments of the Langevin trajectories at the recorded times.

    Attributes
    ----------
    times : numpy.ndarray, shape (R + 1,)
        0 and every ``record_every * dt``.
    mean : numpy.ndarray, shape (L, R + 1, 2)
        Mean of ``(dx, dy)`` over trajectories.
    cov : numpy.ndarray, shape (L, R + 1, 2, 2)
        Covariance of ``(dx, dy)`` (normalized by the number of trajectories).
    x, y : numpy.ndarray, shape (L, n_trajectories)
        Final ``dx`` and ``dy``.
    key : tuple of int
        The Philox key of the run (pass the result as ``resume`` to continue it).
    steps : int
        Steps taken since the start of the run (the next step's counter).
    """

    times: np.ndarray
    mean: np.ndarray
    cov: np.ndarray
    x: np.ndarray
    y: np.ndarray
    key: tuple[int, int]
    steps: int

    @property
    def variance_u(self) -> np.ndarray:
        """Variance of ``u = (dx + dy)/sqrt 2``, shape (L, R + 1)."""
        c = self.cov
        return np.asarray(0.5 * (c[..., 0, 0] + c[..., 1, 1] + 2 * c[..., 0, 1]))

    @property
    def variance_w(self) -> np.ndarray:
        """Variance of ``w = (dy - dx)/sqrt 2``, shape (L, R + 1)."""
        c = self.cov
        return np.asarray(0.5 * (c[..., 0, 0] + c[..., 1, 1] - 2 * c[..., 0, 1]))


def _coefficients(value: Any, name: str, n_modes: int) -> np.ndarray:
    if value is None:
        return np.zeros((n_modes, 2))
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape != (n_modes, 2):
        raise ValueError(f"{name}: expected shape ({n_modes}, 2), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: contains NaN or inf")
    return arr


def _initial(value: Any, name: str, shape: tuple[int, int], dtype: np.dtype) -> np.ndarray:
    if value is None:
        return np.zeros(shape, dtype)
    arr = np.asarray(value)
    if arr.shape != shape:
        raise ValueError(f"{name}: expected shape {shape}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: contains NaN or inf")
    return np.array(arr, dtype=dtype, order="C", copy=True)


def _moments_from_sums(sums: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(..., 5) sums of dx, dy, dx^2, dy^2, dx dy -> mean (..., 2), cov (..., 2, 2).

    Entries of a record whose trajectories overflowed (a diverging mode) are inf.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        mean = sums[..., :2] / n
        cxx = sums[..., 2] / n - mean[..., 0] ** 2
        cyy = sums[..., 3] / n - mean[..., 1] ** 2
        cxy = sums[..., 4] / n - mean[..., 0] * mean[..., 1]
    cov = np.stack([np.stack([cxx, cxy], -1), np.stack([cxy, cyy], -1)], -2)
    overflowed = ~np.all(np.isfinite(sums), axis=-1)
    mean[overflowed] = np.inf
    cov[overflowed] = np.inf
    return mean, cov


def langevin(
    potential: ModePotential,
    n_trajectories: int,
    n_steps: int,
    *,
    dt: float,
    diffusion: float = 1.0,
    record_every: int = 1,
    x0: ArrayLike | None = None,
    y0: ArrayLike | None = None,
    cubic: ArrayLike | None = None,
    quartic: ArrayLike | None = None,
    dtype: DTypeLike = np.float64,
    rng: RngLike = None,
    resume: LangevinResult | None = None,
) -> LangevinResult:
    """Integrate E14 for every mode and trajectory by Euler-Maruyama (C++ kernel).

    ``d_{n+1} = d_n - grad Phi(d_n) dt + sqrt(2 D dt) xi_n`` with Box-Muller normals from
    Philox (stream ``langevin``): bit-identical results for any thread count. Full
    trajectories are not stored; the moments are recorded every ``record_every`` steps.
    A mode with ``beta lambda sigma2 > 1`` diverges and may overflow to inf.

    Parameters
    ----------
    potential : ModePotential
        From :func:`mode_potential` or :func:`mode_potential_from_rbm`.
    n_trajectories : int
        Independent trajectories per mode.
    n_steps : int
        Number of steps.
    dt : float
        Time step (> 0).
    diffusion : float
        ``D`` (>= 0).
    record_every : int
        Steps between recorded moments.
    x0, y0 : array_like, shape (L, n_trajectories), optional
        Initial displacements ``dx``, ``dy`` (default 0).
    cubic, quartic : array_like, shape (L, 2), optional
        Coefficients ``(gx, gy)`` of ``(g/3) d^3`` and ``(qx, qy)`` of ``(q/4) d^4``.
    dtype : float32 or float64
        Precision of the states (moments are accumulated in float64).
    rng : numpy.random.Generator, int or None
        One 128-bit key is drawn from it (not used with ``resume``).
    resume : LangevinResult, optional
        Continue that run: its final states, key and step counter (and its dtype) are
        used, so ``n`` steps and then ``m`` more give bit-identically the states of one
        run of ``n + m`` steps. ``x0``, ``y0`` must then be None; times continue.

    Returns
    -------
    LangevinResult
    """
    if resume is not None:
        if not isinstance(resume, LangevinResult):
            raise TypeError(f"resume: expected LangevinResult, got {type(resume).__name__}")
        if x0 is not None or y0 is not None:
            raise ValueError("x0: must be None when resume is given (the run's states are used)")
        if resume.x.shape != (potential.n_modes, n_trajectories):
            raise ValueError(
                f"resume: its states have shape {resume.x.shape}, expected "
                f"({potential.n_modes}, {n_trajectories})"
            )
        x0, y0, dtype = resume.x, resume.y, resume.x.dtype
    if not isinstance(potential, ModePotential):
        raise TypeError(f"potential: expected ModePotential, got {type(potential).__name__}")
    n_traj = positive_int(n_trajectories, "n_trajectories")
    n_steps = positive_int(n_steps, "n_steps")
    record_every = positive_int(record_every, "record_every")
    dt = finite_scalar(dt, "dt")
    if dt <= 0:
        raise ValueError(f"dt: must be > 0, got {dt}")
    diffusion = finite_scalar(diffusion, "diffusion", minimum=0.0)
    dt_type = float_dtype(dtype)
    n_modes = potential.n_modes
    x = _initial(x0, "x0", (n_modes, n_traj), dt_type)
    y = _initial(y0, "y0", (n_modes, n_traj), dt_type)
    stiffness, coupling, force, cubic_c, quartic_c = (
        np.ascontiguousarray(a, dtype=dt_type)
        for a in (
            potential.stiffness,
            potential.coupling,
            potential.force,
            _coefficients(cubic, "cubic", n_modes),
            _coefficients(quartic, "quartic", n_modes),
        )
    )
    n_records = n_steps // record_every
    sums = np.empty((n_modes, n_records + 1, 5))
    xd, yd = x.astype(np.float64), y.astype(np.float64)
    sums[:, 0] = np.stack(
        [xd.sum(1), yd.sum(1), (xd * xd).sum(1), (yd * yd).sum(1), (xd * yd).sum(1)], 1
    )
    key = resume.key if resume is not None else draw_key(rng)
    first_step = resume.steps if resume is not None else 0
    recorded = np.empty((n_modes, n_records, 5))
    _core.langevin_modes(
        x, y, stiffness, coupling, force, cubic_c, quartic_c, dt, diffusion, key, first_step,
        n_steps, record_every, recorded,
    )
    sums[:, 1:] = recorded
    mean, cov = _moments_from_sums(sums, n_traj)
    times = (first_step + np.arange(n_records + 1) * record_every) * dt
    return LangevinResult(times, mean, cov, x, y, key, first_step + n_steps)


def ou_variance(stiffness: ArrayLike, t: ArrayLike, *, diffusion: float = 1.0, var0: float = 0.0) -> np.ndarray:
    """Exact variance of the OU process ``dz = -kappa z dt + sqrt(2D) dW`` at time ``t``.

    ``var0 e^{-2 kappa t} + (D / kappa)(1 - e^{-2 kappa t})``; ``var0 + 2 D t`` at
    ``kappa = 0``; grows exponentially for ``kappa < 0``.

    Parameters
    ----------
    stiffness : array_like
        ``kappa`` (broadcast against ``t``).
    t : array_like
        Times >= 0.
    diffusion, var0 : float

    Returns
    -------
    numpy.ndarray
        Broadcast shape of ``stiffness`` and ``t``.
    """
    var0 = finite_scalar(var0, "var0", minimum=0.0)
    kappa, t = np.broadcast_arrays(np.asarray(stiffness, float), np.asarray(t, float))
    with np.errstate(over="ignore"):  # a diverging mode's variance overflows to inf
        decay = np.exp(-2 * kappa * t)
        # (1 - e^{-2 kappa t}) / kappa -> 2t as kappa -> 0, computed without cancellation
        gain = np.where(kappa != 0, -np.expm1(-2 * kappa * t) / np.where(kappa != 0, kappa, 1),
                        2 * t)
        start = var0 * decay if var0 != 0 else 0.0  # 0 * inf would be NaN
        return start + diffusion * gain


def em_variance(
    stiffness: ArrayLike, dt: float, n_steps: ArrayLike, *, diffusion: float = 1.0, var0: float = 0.0
) -> np.ndarray:
    """Exact variance after ``n_steps`` Euler-Maruyama steps of the OU process.

    ``z_{n+1} = (1 - kappa dt) z_n + sqrt(2 D dt) xi_n`` gives
    ``var_n = rho^{2n} var0 + 2 D dt (1 - rho^{2n}) / (1 - rho^2)``, ``rho = 1 - kappa dt``.

    Parameters
    ----------
    stiffness : array_like
    dt : float
    n_steps : array_like of int
    diffusion, var0 : float

    Returns
    -------
    numpy.ndarray
        Broadcast shape of ``stiffness`` and ``n_steps``.
    """
    var0 = finite_scalar(var0, "var0", minimum=0.0)
    rho2, n = np.broadcast_arrays((1 - np.asarray(stiffness, float) * dt) ** 2, np.asarray(n_steps))
    with np.errstate(over="ignore"):  # a diverging mode's variance overflows to inf
        power = rho2**n
        safe = np.where(rho2 != 1, 1 - rho2, 1.0)
        geometric = np.where(rho2 != 1, (1 - power) / safe, n)
        start = power * var0 if var0 != 0 else 0.0  # 0 * inf would be NaN
        return start + 2 * diffusion * dt * geometric


@dataclass(frozen=True)
class ConvergenceReport:
    """Simulated versus exact variance of ``u`` for every mode.

    Attributes
    ----------
    singular_values : numpy.ndarray, shape (L,)
    beta : float
    stiffness_u : numpy.ndarray, shape (L,)
        ``1/sigma2 - beta lambda``.
    converges : numpy.ndarray of bool, shape (L,)
        E13 prediction: the variance stays bounded.
    stationary_variance : numpy.ndarray, shape (L,)
        ``D / stiffness_u`` where it converges, inf elsewhere.
    times : numpy.ndarray, shape (R + 1,)
    variance : numpy.ndarray, shape (L, R + 1)
        Simulated variance of ``u``.
    exact : numpy.ndarray, shape (L, R + 1)
        Exact Euler-Maruyama variance (:func:`em_variance`).
    continuous : numpy.ndarray, shape (L, R + 1)
        Exact variance of the continuous process (:func:`ou_variance`).
    p_value : numpy.ndarray, shape (L,)
        Two-sided chi-square test of the final simulated variance against ``exact``;
        NaN for a mode whose trajectories overflowed (variance inf: diverged).
    """

    singular_values: np.ndarray
    beta: float
    stiffness_u: np.ndarray
    converges: np.ndarray
    stationary_variance: np.ndarray
    times: np.ndarray
    variance: np.ndarray
    exact: np.ndarray
    continuous: np.ndarray
    p_value: np.ndarray


def convergence_analysis(
    singular_values: ArrayLike,
    *,
    beta: float = 1.0,
    t_max: float = 4.0,
    dt: float = 0.01,
    n_trajectories: int = 2000,
    n_records: int = 20,
    diffusion: float = 1.0,
    rng: RngLike = None,
) -> ConvergenceReport:
    """Per-mode convergence of the Langevin diffusion (E13), simulated and exact.

    The variance of ``u`` does not depend on the biases (they only shift the mean), so
    the modes are simulated from ``d = 0`` with zero force.

    Parameters
    ----------
    singular_values : array_like, shape (L,)
    beta : float
    t_max : float
        Simulated time; rounded to whole records of whole steps.
    dt : float
    n_trajectories : int
    n_records : int
        Number of recorded times after 0.
    diffusion : float
    rng : numpy.random.Generator, int or None

    Returns
    -------
    ConvergenceReport
    """
    potential = mode_potential(singular_values, beta=beta)
    t_max = finite_scalar(t_max, "t_max")
    dt = finite_scalar(dt, "dt")
    if dt <= 0 or t_max < dt:
        raise ValueError(f"dt: must satisfy 0 < dt <= t_max, got dt={dt}, t_max={t_max}")
    n_records = positive_int(n_records, "n_records")
    record_every = max(1, int(round(t_max / dt / n_records)))
    result = langevin(
        potential,
        n_trajectories,
        record_every * n_records,
        dt=dt,
        diffusion=diffusion,
        record_every=record_every,
        rng=rng,
    )
    kappa = potential.stiffness_u[:, None]
    steps = np.arange(n_records + 1) * record_every
    exact = em_variance(kappa, dt, steps[None, :], diffusion=diffusion)
    continuous = ou_variance(kappa, result.times[None, :], diffusion=diffusion)
    variance = result.variance_u
    # n * (population variance) / sigma^2 ~ chi2(n - 1) for n Gaussian trajectories.
    n = result.x.shape[1]
    finite = np.isfinite(variance[:, -1]) & np.isfinite(exact[:, -1])
    statistic = n * variance[finite, -1] / exact[finite, -1]
    cdf = stats.chi2.cdf(statistic, n - 1)
    p_value = np.full(variance.shape[0], np.nan)
    p_value[finite] = 2 * np.minimum(cdf, 1 - cdf)
    k = potential.stiffness_u
    stationary = np.where(k > 0, diffusion / np.where(k > 0, k, 1), np.inf)
    return ConvergenceReport(
        potential.singular_values, potential.beta, k, k > 0, stationary,
        result.times, variance, exact, continuous, p_value,
    )

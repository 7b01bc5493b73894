"""Per-mode potentials of the reciprocal-mode diffusion (E12); see pyrbm.dynamics.diffusion."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..analysis.svd import thin_svd
from .._validation import finite_scalar
from ..model import RBM

#: Variance of each reciprocal coordinate under the uniform measure (E18).
SIGMA2 = 0.25
#: Its inverse: the prior stiffness of x_i and y_i in Phi (E12).
PRIOR_STIFFNESS = 1.0 / SIGMA2


def _float_vector(value: Any, name: str, length: int | None = None) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name}: expected a non-empty 1-D array, got shape {arr.shape}")
    if length is not None and arr.shape[0] != length:
        raise ValueError(f"{name}: expected shape ({length},), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: contains NaN or inf")
    return arr


@dataclass(frozen=True)
class ModePotential:
    """Quadratic potential of every mode in the kernel coordinates ``(dx, dy)``.

    Attributes
    ----------
    singular_values : numpy.ndarray, shape (L,)
    beta, sigma2 : float
    stiffness : numpy.ndarray, shape (L, 2)
        ``(k, k)`` with ``k = 1/sigma2``.
    coupling : numpy.ndarray, shape (L,)
        ``c = beta lambda``.
    force : numpy.ndarray, shape (L, 2)
        ``(fx, fy)``.
    """

    singular_values: np.ndarray
    beta: float
    sigma2: float
    stiffness: np.ndarray
    coupling: np.ndarray
    force: np.ndarray

    @property
    def n_modes(self) -> int:
        """Number of modes ``L``."""
        return int(self.coupling.shape[0])

    @property
    def stiffness_u(self) -> np.ndarray:
        """Hessian eigenvalue along ``u``: ``1/sigma2 - beta lambda``, shape (L,)."""
        return np.asarray(self.stiffness.mean(axis=1) - self.coupling)

    @property
    def stiffness_w(self) -> np.ndarray:
        """Hessian eigenvalue along ``w``: ``1/sigma2 + beta lambda``, shape (L,)."""
        return np.asarray(self.stiffness.mean(axis=1) + self.coupling)

    @property
    def converges(self) -> np.ndarray:
        """E13: ``beta lambda sigma2 < 1`` per mode (bool, shape (L,))."""
        return self.stiffness_u > 0


def mode_potential(
    singular_values: ArrayLike,
    *,
    beta: float = 1.0,
    sigma2: float = SIGMA2,
    a0: ArrayLike | None = None,
    b0: ArrayLike | None = None,
    mean_x: ArrayLike | None = None,
    mean_y: ArrayLike | None = None,
) -> ModePotential:
    """The E12 potential of each mode from its singular value and projected biases.

    Parameters
    ----------
    singular_values : array_like, shape (L,)
        ``lambda_i >= 0``.
    beta : float
        Inverse temperature.
    sigma2 : float
        Prior variance of each coordinate (1/4 for the uniform measure).
    a0, b0 : array_like, shape (L,), optional
        Projected biases ``U^T a``, ``V^T b`` (default 0).
    mean_x, mean_y : array_like, shape (L,), optional
        Prior means ``U^T 1/2``, ``V^T 1/2`` (default 0).

    Returns
    -------
    ModePotential
    """
    lam = _float_vector(singular_values, "singular_values")
    if np.any(lam < 0):
        raise ValueError("singular_values: must be >= 0")
    beta = finite_scalar(beta, "beta", minimum=0.0)
    sigma2 = finite_scalar(sigma2, "sigma2")
    if sigma2 <= 0:
        raise ValueError(f"sigma2: must be > 0, got {sigma2}")
    n = lam.shape[0]
    zeros = np.zeros(n)
    a0, b0, mx, my = (
        zeros if val is None else _float_vector(val, name, n)
        for val, name in ((a0, "a0"), (b0, "b0"), (mean_x, "mean_x"), (mean_y, "mean_y"))
    )
    force = np.stack([beta * (a0 + lam * my), beta * (b0 + lam * mx)], axis=1)
    return ModePotential(lam, beta, sigma2, np.full((n, 2), 1.0 / sigma2), beta * lam, force)


def mode_potential_from_rbm(rbm: RBM, *, beta: float = 1.0) -> ModePotential:
    """:func:`mode_potential` of every paired mode of ``rbm`` (uniform prior, E11/E12).

    Parameters
    ----------
    rbm : RBM
    beta : float

    Returns
    -------
    ModePotential
        ``L = min(n_visible, n_hidden)`` modes, singular values descending.
    """
    svd = thin_svd(rbm.weights)
    return mode_potential(
        svd.s,
        beta=beta,
        a0=svd.u.T @ rbm.visible_bias,
        b0=svd.v.T @ rbm.hidden_bias,
        mean_x=svd.u.sum(axis=0) / 2,
        mean_y=svd.v.sum(axis=0) / 2,
    )


def quartic_corrections(u: np.ndarray, v: np.ndarray, *, sigma2: float = SIGMA2) -> np.ndarray:
    """Quartic coefficients ``(qx, qy)`` per mode from the fourth cumulants (see module doc).

    Parameters
    ----------
    u : numpy.ndarray, shape (N, L)
        Left singular vectors (columns).
    v : numpy.ndarray, shape (M, L)
        Right singular vectors.
    sigma2 : float

    Returns
    -------
    numpy.ndarray, shape (L, 2)
        ``q = (1/8) sum_j U_ji^4 / (6 sigma2^4)`` (and likewise with V).
    """
    kappa_x = -(np.asarray(u, np.float64) ** 4).sum(axis=0) / 8
    kappa_y = -(np.asarray(v, np.float64) ** 4).sum(axis=0) / 8
    return np.stack([-kappa_x, -kappa_y], axis=1) / (6 * sigma2**4)

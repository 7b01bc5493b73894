"""Gaussian (mean-field) reciprocal-space log-partition function, E20 / E21.

In the SVD basis ``W = U diag(lambda) V^T`` (full U, V), ``x = U^T v``, ``y = V^T h``,
``a0 = U^T a``, ``b0 = V^T b``, the energy is a sum of L = min(N, M) two-dimensional modes
``-a0_i x_i - b0_i y_i - lambda_i x_i y_i`` plus ``|N - M|`` unpaired linear ones (E6).
Replacing the uniform measure on binary states by a Gaussian of the same mean
(``mu_x = U^T 1/2``, ``mu_y = V^T 1/2``) and covariance (``sigma^2 I``, ``sigma^2 = 1/4``)
makes every mode a Gaussian integral (E11):

* :func:`log_z_e20` in (x, y): paired terms ``B^2/(4A) + C - ln(2 sigma^2 A)/2`` and the
  unpaired terms ``a0_i mu_x_i + sigma^2 a0_i^2/2`` (or the b0 analogue), which the
  authors' code omits and we include;
* :func:`log_z_e21` in the rotated saddle coordinates (u, w) of E10, the same integral
  written as ``-beta sum eps_i + sum ln Z_u + ln Z_w``; it needs every paired
  ``lambda_i > 0`` (the saddle of a mode with ``lambda_i = 0`` is at infinity).

Both are finite only while every ``beta lambda_i < 4`` (``A_i > 0``: the u-direction of
the Gaussian integral is confining). Outside that regime they raise
:class:`MeanFieldDivergence` (a ValueError) that lists the offending modes: the integral
is +inf there and a number would mislead. ``beta`` enters as ``W, a, b -> beta W, ...``.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._validation import finite_scalar
from ..model import RBM

#: Variance of a uniform binary unit, the Gaussian's sigma^2.
SIGMA2 = 0.25


class MeanFieldDivergence(ValueError):
    """Some modes have ``beta lambda_i >= 4``: the Gaussian integral diverges.

    Attributes
    ----------
    modes : numpy.ndarray of int
        Indices of the offending modes (singular values in descending order).
    beta_lambda : numpy.ndarray
        Their ``beta lambda_i``.
    """

    def __init__(self, modes: np.ndarray, beta_lambda: np.ndarray):
        self.modes = modes
        self.beta_lambda = beta_lambda
        shown = ", ".join(f"{m} ({x:.4g})" for m, x in zip(modes[:10], beta_lambda[:10]))
        more = f" and {len(modes) - 10} more" if len(modes) > 10 else ""
        super().__init__(
            f"rbm: mean-field log Z diverges: beta*lambda_i >= 4 for {len(modes)} mode(s): "
            f"{shown}{more} (mode index (beta*lambda))"
        )


@dataclasses.dataclass(frozen=True)
class Reciprocal:
    """Reciprocal-space parameters of an RBM (float64), E3-E5 and E18.

    Attributes
    ----------
    singular_values : numpy.ndarray, shape (L,)
        ``lambda``, descending, L = min(N, M).
    a0 : numpy.ndarray, shape (N,)
        ``U^T a``.
    b0 : numpy.ndarray, shape (M,)
        ``V^T b``.
    mu_x : numpy.ndarray, shape (N,)
        ``U^T 1/2``.
    mu_y : numpy.ndarray, shape (M,)
        ``V^T 1/2``.
    """

    singular_values: np.ndarray
    a0: np.ndarray
    b0: np.ndarray
    mu_x: np.ndarray
    mu_y: np.ndarray


def reciprocal(rbm: RBM) -> Reciprocal:
    """Full SVD of ``W`` (:func:`pyrbm.analysis.reciprocal.decompose`) with the projected biases
    and the uniform-measure means (E18); ln Z is invariant under the pair sign gauge.

    Parameters
    ----------
    rbm : RBM
        Model with ``W`` of shape (N, M).

    Returns
    -------
    Reciprocal
    """
    if not isinstance(rbm, RBM):
        raise TypeError(f"rbm: expected pyrbm.RBM, got {type(rbm).__name__}")
    # imported here: pyrbm.analysis loads numba and scipy.optimize, which `import pyrbm`
    # should not pay for
    from ..analysis.reciprocal import decompose

    dec = decompose(rbm)
    return Reciprocal(
        dec.singular_values, dec.a0, dec.b0, 0.5 * dec.U.sum(axis=0), 0.5 * dec.V.sum(axis=0)
    )


def divergent_modes(rbm: RBM, *, beta: float = 1.0) -> np.ndarray:
    """Indices of the modes with ``beta lambda_i >= 4`` (where E20/E21 diverge).

    Parameters
    ----------
    rbm : RBM
        Model with ``W`` of shape (N, M).
    beta : float
        Inverse temperature.

    Returns
    -------
    numpy.ndarray of int, shape (n_divergent,)
        Mode indices, singular values in descending order (empty when E20 is finite).
    """
    beta = finite_scalar(beta, "beta", minimum=0.0)
    return _divergent(reciprocal(rbm).singular_values, beta)


def _divergent(singular_values: np.ndarray, beta: float) -> np.ndarray:
    return np.flatnonzero(SIGMA2 * beta * singular_values >= 1.0)


def _checked(rbm: RBM, beta: float) -> tuple[Reciprocal, float]:
    beta = finite_scalar(beta, "beta", minimum=0.0)
    rec = reciprocal(rbm)
    bad = _divergent(rec.singular_values, beta)
    if bad.size:
        raise MeanFieldDivergence(bad, beta * rec.singular_values[bad])
    return rec, beta


def _unpaired(rec: Reciprocal, beta: float) -> float:
    """Linear modes i >= L: ``sum beta a0_i mu_x_i + sigma^2 (beta a0_i)^2 / 2`` (or b0)."""
    n_pairs = rec.singular_values.shape[0]
    a0, b0 = beta * rec.a0[n_pairs:], beta * rec.b0[n_pairs:]
    return float(
        np.sum(a0 * rec.mu_x[n_pairs:] + SIGMA2 * a0**2 / 2)
        + np.sum(b0 * rec.mu_y[n_pairs:] + SIGMA2 * b0**2 / 2)
    )


def log_z_e20(rbm: RBM, *, beta: float = 1.0) -> float:
    """Mean-field ``ln Z`` in (x, y) coordinates, E20, unpaired modes included.

    Parameters
    ----------
    rbm : RBM
        Model with ``W`` of shape (N, M).
    beta : float
        Inverse temperature.

    Returns
    -------
    float

    Raises
    ------
    MeanFieldDivergence
        If any ``beta lambda_i >= 4``.
    """
    rec, beta = _checked(rbm, beta)
    n_pairs = rec.singular_values.shape[0]
    lam = beta * rec.singular_values
    a0, b0 = beta * rec.a0[:n_pairs], beta * rec.b0[:n_pairs]
    mx, my = rec.mu_x[:n_pairs], rec.mu_y[:n_pairs]
    s2 = SIGMA2
    big_a = 1 / (2 * s2) - s2 * lam**2 / 2
    big_b = my / s2 + lam * (s2 * a0 + mx) + b0
    big_c = -(my**2) / (2 * s2) + mx * a0 + s2 * a0**2 / 2
    paired = np.sum(big_b**2 / (4 * big_a) + big_c - 0.5 * np.log(2 * s2 * big_a))
    n_units = rec.a0.shape[0] + rec.b0.shape[0]
    return float(n_units * np.log(2.0) + paired + _unpaired(rec, beta))


def log_z_e21(rbm: RBM, *, beta: float = 1.0) -> float:
    """Mean-field ``ln Z`` in the rotated saddle coordinates (u, w), E21.

    ``ln Z = (N+M) ln 2 - beta sum eps_i + sum (ln Z_u,i + ln Z_w,i) + unpaired``, with
    ``eps_i = a0_i b0_i / lambda_i`` (E8) and the (u, w) means of the Gaussian about the
    saddle ``(x*, y*) = (-b0/lambda, -a0/lambda)`` (E7, E10). Equals :func:`log_z_e20`
    (up to rounding) wherever both are defined.

    Parameters
    ----------
    rbm : RBM
        Model with ``W`` of shape (N, M).
    beta : float
        Inverse temperature, > 0.

    Returns
    -------
    float

    Raises
    ------
    MeanFieldDivergence
        If any ``beta lambda_i >= 4``.
    ValueError
        If a paired singular value is 0 (no saddle) or beta is 0.
    """
    rec, beta = _checked(rbm, beta)
    lam0 = rec.singular_values
    if beta == 0.0 or np.any(lam0 <= 1e-12 * max(1.0, float(lam0.max()))):
        raise ValueError("rbm: E21 needs beta > 0 and every paired singular value > 0; use E20")
    n_pairs = lam0.shape[0]
    a0, b0 = rec.a0[:n_pairs], rec.b0[:n_pairs]
    x_star, y_star = -b0 / lam0, -a0 / lam0  # scale-free in beta
    eps = a0 * b0 / lam0
    dx, dy = rec.mu_x[:n_pairs] - x_star, rec.mu_y[:n_pairs] - y_star
    mu_u, mu_w = (dx + dy) / np.sqrt(2), (dy - dx) / np.sqrt(2)
    lam, s2 = beta * lam0, SIGMA2
    ln_zu = lam * mu_u**2 / (2 * (1 - lam * s2)) - 0.5 * np.log1p(-lam * s2)
    ln_zw = -lam * mu_w**2 / (2 * (1 + lam * s2)) - 0.5 * np.log1p(lam * s2)
    n_units = rec.a0.shape[0] + rec.b0.shape[0]
    total = -beta * np.sum(eps) + np.sum(ln_zu + ln_zw)
    return float(n_units * np.log(2.0) + total + _unpaired(rec, beta))

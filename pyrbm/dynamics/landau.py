"""Landau double-well fit (docs/equations.md E16) and mode coordinates; see pyrbm.dynamics.diffusion."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, special

from .potentials import PRIOR_STIFFNESS
from ..analysis.svd import thin_svd
from .._validation import finite_scalar, positive_int
from ..model import RBM



def _samples(value: Any) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"samples: expected a 1-D array, got shape {arr.shape}")
    if arr.shape[0] < 10:
        raise ValueError(f"samples: need at least 10 samples, got {arr.shape[0]}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("samples: contains NaN or inf")
    return arr


def mode_coordinates(
    rbm: RBM, v: np.ndarray, h: np.ndarray, mode: int
) -> tuple[np.ndarray, np.ndarray]:
    """``(u_i, w_i)`` of states about the saddle of mode ``i`` (E7, E10).

    ``x = U^T v``, ``y = V^T h``, ``x* = -b0_i / lambda_i``, ``y* = -a0_i / lambda_i``,
    ``u = (dx + dy)/sqrt 2``, ``w = (dy - dx)/sqrt 2``: the values of
    ``pyrbm.analysis.reciprocal.decompose(rbm).to_uw`` for one mode (same gauge), at cost
    ``O(n (N + M))``.

    Parameters
    ----------
    rbm : RBM
    v : numpy.ndarray, shape (n, n_visible)
    h : numpy.ndarray, shape (n, n_hidden)
    mode : int
        0-based mode index (0 = largest singular value).

    Returns
    -------
    u, w : numpy.ndarray, shape (n,)
    """
    svd = thin_svd(rbm.weights)
    mode = positive_int(mode, "mode", minimum=0)
    if mode >= svd.s.shape[0]:
        raise ValueError(f"mode: must be < {svd.s.shape[0]}, got {mode}")
    lam = svd.s[mode]
    if lam <= 0:
        raise ValueError(f"mode: singular value of mode {mode} is 0, the saddle is undefined")
    v = rbm._visible_states(v, "v").astype(np.float64)
    h = rbm._hidden_states(h, "h").astype(np.float64)
    if v.shape[0] != h.shape[0]:
        raise ValueError(f"h: expected {v.shape[0]} rows to match v, got {h.shape[0]}")
    dx = v @ svd.u[:, mode] + (svd.v[:, mode] @ rbm.hidden_bias) / lam
    dy = h @ svd.v[:, mode] + (svd.u[:, mode] @ rbm.visible_bias) / lam
    return (dx + dy) / np.sqrt(2), (dy - dx) / np.sqrt(2)


def landau_potential(
    z: ArrayLike, *, lam: float, s: float, k: float, mu: float, gamma: float, alpha: float
) -> np.ndarray:
    """E16: ``-s lam^2 z^2/2 + k (z - mu)^2/2 + gamma (z - mu)^3/3 + alpha (z - mu)^4/4``.

    Parameters
    ----------
    z : array_like
    lam, s, k, mu, gamma, alpha : float

    Returns
    -------
    numpy.ndarray, shape of ``z``
    """
    z = np.asarray(z, dtype=np.float64)
    d = z - mu
    return -s * lam**2 * z**2 / 2 + k * d**2 / 2 + gamma * d**3 / 3 + alpha * d**4 / 4


@dataclass(frozen=True)
class LandauFit:
    """Maximum-likelihood fit of ``p(z) ∝ exp(-U_eff(z))`` (E16).

    Attributes
    ----------
    lam, k : float
        Fixed: the mode's singular value and the prior stiffness.
    s, mu, gamma, alpha : float
        Fitted (``alpha > 0`` so that the density is normalizable).
    nll : float
        Mean negative log-likelihood per sample at the optimum.
    """

    lam: float
    k: float
    s: float
    mu: float
    gamma: float
    alpha: float
    nll: float

    def potential(self, z: ArrayLike) -> np.ndarray:
        """``U_eff(z)`` with the fitted parameters (shape of ``z``)."""
        return landau_potential(
            z, lam=self.lam, s=self.s, k=self.k, mu=self.mu, gamma=self.gamma, alpha=self.alpha
        )

    def minima(self) -> np.ndarray:
        """Real local minima of ``U_eff``, ascending."""
        # U' = -s lam^2 z + k d + gamma d^2 + alpha d^3 with d = z - mu, as a cubic in d.
        a2 = self.s * self.lam**2
        roots = np.roots([self.alpha, self.gamma, self.k - a2, -a2 * self.mu])
        d = np.sort(roots[np.abs(roots.imag) < 1e-9].real)
        curvature = -a2 + self.k + 2 * self.gamma * d + 3 * self.alpha * d**2
        return d[curvature > 0] + self.mu

    @property
    def is_double_well(self) -> bool:
        """True when ``U_eff`` has two local minima."""
        return bool(self.minima().shape[0] == 2)


def fit_landau(
    samples: ArrayLike, *, lam: float, k: float = PRIOR_STIFFNESS, grid_size: int = 2001
) -> LandauFit:
    """Fit E16 to samples of one coordinate by maximum likelihood (scipy.optimize).

    ``U_eff`` is a quartic polynomial in ``z``; its four non-constant coefficients are the
    natural parameters of an exponential family, so the likelihood is convex in them and
    is maximized by BFGS (on standardized samples, normalization ``∫ exp(-U_eff)`` by the
    trapezoid rule on a grid spanning the samples plus half their range on each side).
    The coefficients are then mapped to E16's ``(s, mu, gamma, alpha)`` with ``lam`` and
    ``k`` fixed: ``alpha = 4 c4``, ``gamma = 3 (c3 + alpha mu)``, ``mu`` a real root of
    ``2 alpha mu^3 + 3 c3 mu^2 - k mu - c1 = 0`` (the one closest to the sample mean:
    E16 is ambiguous, the fitted *potential* is not), ``s`` from the ``z^2`` coefficient.

    Parameters
    ----------
    samples : array_like, shape (n,)
        E.g. ``u`` from :func:`mode_coordinates` or ``(x + y)/sqrt 2`` of
        :attr:`LangevinResult.x`, ``.y``.
    lam : float
        Singular value of the mode (> 0, fixed).
    k : float
        Prior stiffness (fixed; ``1/sigma^2 = 4``).
    grid_size : int

    Returns
    -------
    LandauFit
    """
    z = _samples(samples)
    lam = finite_scalar(lam, "lam")
    if lam <= 0:
        raise ValueError(f"lam: must be > 0, got {lam}")
    k = finite_scalar(k, "k")
    center, scale = z.mean(), z.std()
    if scale == 0:
        raise ValueError("samples: all equal, nothing to fit")
    t = (z - center) / scale
    pad = 0.5 * (t.max() - t.min())
    n_grid = positive_int(grid_size, "grid_size", minimum=11)
    grid = np.linspace(t.min() - pad, t.max() + pad, n_grid)
    weights = np.full(grid.size, grid[1] - grid[0])
    weights[[0, -1]] /= 2
    powers_data = np.mean(t[:, None] ** np.arange(1, 5), axis=0)
    powers_grid = grid[:, None] ** np.arange(1, 5)

    def nll(c: np.ndarray) -> tuple[float, np.ndarray]:
        log_p = -powers_grid @ c
        log_norm = special.logsumexp(log_p, b=weights)
        p = weights * np.exp(log_p - log_norm)
        return float(powers_data @ c + log_norm), powers_data - p @ powers_grid

    best = optimize.minimize(nll, np.array([0.0, 0.5, 0.0, 0.0]), jac=True, method="BFGS")
    # Back to a polynomial in z (constant dropped), then to E16's parameters.
    poly = np.polynomial.Polynomial(np.r_[0.0, best.x])(
        np.polynomial.Polynomial([-center / scale, 1 / scale])
    )
    c1, c2, c3, c4 = poly.coef[1:5]
    alpha = 4 * c4
    roots = np.roots([2 * alpha, 3 * c3, -k, -c1])
    real = roots[np.abs(roots.imag) < 1e-8 * max(1.0, np.abs(roots).max())].real
    mu = float(real[np.argmin(np.abs(real - center))])
    gamma = 3 * (c3 + alpha * mu)
    s = (3 * alpha * mu**2 - 2 * gamma * mu + k - 2 * c2) / lam**2
    nll_z = float(best.fun + np.log(scale))  # per-sample NLL of z, not of t
    return LandauFit(lam, k, float(s), mu, float(gamma), float(alpha), nll_z)

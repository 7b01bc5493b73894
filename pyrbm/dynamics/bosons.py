r"""Coupled bosons from the Fokker-Planck operator of a reciprocal mode (docs/equations.md E17).

Derivation (quadratic potential, general diffusion constant ``D``)
------------------------------------------------------------------
A mode's Langevin dynamics ``dz = -grad Phi dt + sqrt(2D) dW`` has the Fokker-Planck
equation ``d_t P = div(grad Phi P + D grad P) =: -L P``. Substituting
``P = exp(-Phi / 2D) psi`` turns ``L`` into the Schrödinger operator ::

    H = -D lap + |grad Phi|^2 / (4 D) - lap(Phi) / 2,

which has the same spectrum as ``L`` (E17 is the case ``D = 1``). For a quadratic
``Phi = z^T K z / 2`` (shifted to its stationary point) with symmetric Hessian ``K``,
``|grad Phi|^2 = z^T K^2 z`` and ``lap Phi = tr K``. In the eigenbasis of ``K``
(eigenvalues ``kappa_j``) ``H`` separates into one-dimensional oscillators
``-D d^2 + kappa_j^2 xi^2 / (4D) - kappa_j / 2``: a harmonic oscillator of mass
``1/(2D)`` and frequency ``|kappa_j|``, with levels ``|kappa_j| (n + 1/2)``. Hence ::

    spec(H) = { sum_j ( |kappa_j| (n_j + 1/2) - kappa_j / 2 ) : n_j = 0, 1, 2, ... },

independent of ``D``. If every ``kappa_j > 0`` this is ``sum_j n_j kappa_j``: nonnegative
integer combinations of the Hessian eigenvalues, with the zero mode
``psi_0 = exp(-Phi / 2D)``, i.e. the stationary density ``exp(-Phi / D)``. If some
``kappa_j < 0`` the lowest eigenvalue is ``sum_{kappa_j < 0} |kappa_j| > 0``: no zero mode,
no stationary state, the density spreads (decays in ``L2`` with that rate).

For one RBM mode (E12) ``K = [[kx, -c], [-c, ky]]`` with ``kx = ky = 1/sigma^2 = 4`` and
``c = beta lambda``, so the normal-mode frequencies are ``4 - beta lambda`` and
``4 + beta lambda`` and a stationary state exists iff ``beta lambda < 4`` (E13).

Boson form. With ``K^2 = [[kx^2 + c^2, -c(kx + ky)], [-c(kx + ky), ky^2 + c^2]]`` each of
``x``, ``y`` alone is an oscillator of frequency ``omega_x = sqrt(kx^2 + c^2)``
(``sqrt(16 + beta^2 lambda^2)``), ``omega_y`` likewise. With ``x = sqrt(D/omega_x)(a + a^+)``,
``y = sqrt(D/omega_y)(b + b^+)``::

    H = omega_x a^+ a + omega_y b^+ b - g (a + a^+)(b + b^+) + (omega_x + omega_y - kx - ky)/2,
    g = c (kx + ky) / (2 sqrt(omega_x omega_y))   (= 4 beta lambda / sqrt(16 + beta^2 lambda^2)).

:meth:`BosonPair.fock_matrix` is this operator on the truncated Fock space
``n_a, n_b <= n_max``; its lowest eigenvalues converge to the analytic spectrum.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import linalg

from .potentials import PRIOR_STIFFNESS
from .._validation import finite_scalar, positive_int


__all__ = ["PRIOR_STIFFNESS", "BosonPair", "mode_pairs", "normal_mode_frequencies", "stationary"]


@dataclass(frozen=True)
class BosonPair:
    """The Fokker-Planck/Schrödinger operator of one mode with Hessian ``[[kx, -c], [-c, ky]]``.

    Parameters
    ----------
    coupling : float
        ``c = beta lambda``.
    stiffness_x, stiffness_y : float
        ``kx``, ``ky`` (> 0; 4 for the uniform prior).
    """

    coupling: float
    stiffness_x: float = PRIOR_STIFFNESS
    stiffness_y: float = PRIOR_STIFFNESS

    def __post_init__(self) -> None:
        finite_scalar(self.coupling, "coupling")
        for name in ("stiffness_x", "stiffness_y"):
            if finite_scalar(getattr(self, name), name) <= 0:
                raise ValueError(f"{name}: must be > 0, got {getattr(self, name)}")

    @classmethod
    def from_mode(cls, singular_value: float, *, beta: float = 1.0) -> BosonPair:
        """The pair of an RBM mode: ``c = beta lambda``, ``kx = ky = 4``."""
        lam = finite_scalar(singular_value, "singular_value", minimum=0.0)
        return cls(finite_scalar(beta, "beta", minimum=0.0) * lam)

    # -- matrices ---------------------------------------------------------------------
    @property
    def hessian(self) -> np.ndarray:
        """``K``, shape (2, 2)."""
        c = self.coupling
        return np.array([[self.stiffness_x, -c], [-c, self.stiffness_y]])

    @property
    def potential_matrix(self) -> np.ndarray:
        """``K^2`` (the Schrödinger potential is ``z^T K^2 z / (4D)``), shape (2, 2)."""
        return np.asarray(self.hessian @ self.hessian)

    @property
    def frequencies(self) -> np.ndarray:
        """Bare oscillator frequencies ``(omega_x, omega_y)``, shape (2,)."""
        return np.sqrt(np.diag(self.potential_matrix))

    @property
    def boson_coupling(self) -> float:
        """``g`` of ``-g (a + a^+)(b + b^+)``."""
        wx, wy = self.frequencies
        return float(self.coupling * (self.stiffness_x + self.stiffness_y) / (2 * np.sqrt(wx * wy)))

    @property
    def offset(self) -> float:
        """Constant ``(omega_x + omega_y - kx - ky) / 2`` of the boson form."""
        return float((self.frequencies.sum() - self.stiffness_x - self.stiffness_y) / 2)

    @property
    def normal_mode_frequencies(self) -> np.ndarray:
        """Eigenvalues of ``K`` ascending: ``4 - beta lambda``, ``4 + beta lambda``, shape (2,)."""
        return np.linalg.eigvalsh(self.hessian)

    @property
    def has_stationary_state(self) -> bool:
        """True iff ``K`` is positive definite (E13)."""
        return bool(self.normal_mode_frequencies[0] > 0)

    # -- spectra ----------------------------------------------------------------------
    def spectrum(self, n_levels: int) -> np.ndarray:
        """The ``n_levels`` lowest eigenvalues of ``H``, analytic (module docstring).

        Parameters
        ----------
        n_levels : int

        Returns
        -------
        numpy.ndarray, shape (n_levels,), ascending
        """
        n_levels = positive_int(n_levels, "n_levels")
        kappa = self.normal_mode_frequencies
        ground = float(np.sum(np.abs(kappa) / 2 - kappa / 2))
        quanta = np.abs(kappa)
        if np.any(quanta == 0):
            raise ValueError("coupling: a zero normal-mode frequency has a continuous spectrum")
        # enough occupation numbers that the n_levels lowest sums are all present
        n_max = int(np.ceil(n_levels * quanta.max() / quanta.min())) + 1
        levels = sorted(
            ground + i * quanta[0] + j * quanta[1]
            for i, j in itertools.product(range(n_max + 1), range(n_max + 1))
        )
        return np.array(levels[:n_levels])

    def fock_matrix(self, n_max: int) -> np.ndarray:
        """``H`` in the Fock basis ``|n_a, n_b>``, ``n_a, n_b <= n_max``.

        Basis index ``n_a (n_max + 1) + n_b``.

        Parameters
        ----------
        n_max : int
            Largest occupation number of each boson.

        Returns
        -------
        numpy.ndarray, shape ((n_max + 1)^2, (n_max + 1)^2), symmetric
        """
        n_max = positive_int(n_max, "n_max")
        n = np.arange(n_max + 1, dtype=np.float64)
        number = np.diag(n)
        position = np.diag(np.sqrt(n[1:]), 1) + np.diag(np.sqrt(n[1:]), -1)  # a + a^+
        eye = np.eye(n_max + 1)
        wx, wy = self.frequencies
        return np.asarray(
            wx * np.kron(number, eye)
            + wy * np.kron(eye, number)
            - self.boson_coupling * np.kron(position, position)
            + self.offset * np.eye((n_max + 1) ** 2)
        )

    def fock_spectrum(self, n_levels: int, *, n_max: int = 40) -> np.ndarray:
        """The ``n_levels`` lowest eigenvalues of :meth:`fock_matrix` (scipy.linalg.eigh).

        Parameters
        ----------
        n_levels : int
        n_max : int

        Returns
        -------
        numpy.ndarray, shape (n_levels,), ascending
        """
        n_levels = positive_int(n_levels, "n_levels")
        dim = (positive_int(n_max, "n_max") + 1) ** 2
        if n_levels > dim:
            raise ValueError(f"n_levels: at most {dim} for n_max={n_max}, got {n_levels}")
        # the divide-and-conquer driver: faster here than a subset with "evr"
        levels = linalg.eigh(self.fock_matrix(n_max), eigvals_only=True, driver="evd")
        return np.asarray(levels[:n_levels])


def _spectrum_and_beta(singular_values: Any, beta: float) -> tuple[np.ndarray, float]:
    lam = np.asarray(singular_values, dtype=np.float64)
    if lam.ndim != 1 or lam.size == 0 or not np.all(np.isfinite(lam)) or np.any(lam < 0):
        raise ValueError("singular_values: expected a non-empty 1-D array of finite values >= 0")
    return lam, finite_scalar(beta, "beta", minimum=0.0)


def normal_mode_frequencies(singular_values: ArrayLike, *, beta: float = 1.0) -> np.ndarray:
    """``(4 - beta lambda_i, 4 + beta lambda_i)`` for every mode.

    Parameters
    ----------
    singular_values : array_like, shape (L,)
    beta : float

    Returns
    -------
    numpy.ndarray, shape (L, 2)
    """
    lam, beta = _spectrum_and_beta(singular_values, beta)
    return np.stack([PRIOR_STIFFNESS - beta * lam, PRIOR_STIFFNESS + beta * lam], axis=1)


def stationary(singular_values: ArrayLike, *, beta: float = 1.0) -> np.ndarray:
    """Whether each mode's diffusion has a stationary state (``beta lambda < 4``).

    Parameters
    ----------
    singular_values : array_like, shape (L,)
    beta : float

    Returns
    -------
    numpy.ndarray of bool, shape (L,)
    """
    return normal_mode_frequencies(singular_values, beta=beta)[:, 0] > 0


def mode_pairs(singular_values: ArrayLike, *, beta: float = 1.0) -> list[BosonPair]:
    """One :class:`BosonPair` per mode.

    Parameters
    ----------
    singular_values : array_like, shape (L,)
    beta : float

    Returns
    -------
    list of BosonPair, length L
    """
    lam, beta = _spectrum_and_beta(singular_values, beta)
    return [BosonPair.from_mode(float(x), beta=beta) for x in lam]

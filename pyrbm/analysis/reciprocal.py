"""Reciprocal space of an RBM: SVD modes, saddle points and their energies (E3–E10).

With the full SVD ``W = U Sigma V^T`` (``U`` is ``N x N``, ``V`` is ``M x M``, singular
values ``lam_1 >= ... >= lam_L``, ``L = min(N, M)``) the coordinates ``x = U^T v``,
``y = V^T h`` decouple the energy into ``L`` two-dimensional modes plus ``|N - M|``
linear ones (E6):

    E(x, y) = -a0.x - b0.y - sum_{i<=L} lam_i x_i y_i,    a0 = U^T a,  b0 = V^T b.

Mode ``i`` has a saddle at ``x_i* = -b0_i / lam_i``, ``y_i* = -a0_i / lam_i`` (E7) with
energy ``eps_i = a0_i b0_i / lam_i`` (E8) and Hessian eigenvalues ``±lam_i`` (E9). About
the saddle, ``u = (dx + dy)/sqrt 2`` and ``w = (dy - dx)/sqrt 2`` give (E10)

    E = sum eps_i - sum (lam_i / 2)(u_i^2 - w_i^2) - sum_{i>L} a0_i x_i - sum_{j>L} b0_j y_j.

Gauge: each pair ``(U_i, V_i)`` is defined up to a common sign. :func:`decompose` fixes
it so that ``sum_k U_ki > 0`` (the uniform-measure mean ``mu_x,i`` is positive); a column
whose sum vanishes (to 1e-12) takes the sign of its largest-magnitude entry instead.
Across checkpoints use :func:`pyrbm.analysis.tracking.track_modes`, which follows modes by
maximal overlap.
The ``|N - M|`` unpaired columns (of ``U`` if ``N > M``, else of ``V``) span the null
space of ``W^T`` (or ``W``); any orthonormal basis of it is valid. The one returned is
LAPACK's, each column signed so that its sum is positive.
All computations are in float64.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
import scipy.special

from .._validation import finite_scalar
from .svd import column_signs
from ._weights import _matrix64, _weights64, trace_wwt, trace_wwt_squared, weight_entropy
from ..model import RBM

__all__ = [
    "Decomposition",
    "decompose",
    "trace_wwt",
    "trace_wwt_squared",
    "weight_entropy",
]


def _fix_signs(u: np.ndarray, vt: np.ndarray, n_modes: int) -> None:
    """Apply the documented gauge in place (paired modes by U; unpaired columns alone)."""
    signs = column_signs(u)
    u *= signs
    vt[:n_modes] *= signs[:n_modes, None]
    vt[n_modes:] *= column_signs(vt[n_modes:].T)[:, None]


def _coords(value: Any, name: str, width: int) -> np.ndarray:
    out = _matrix64(value, name)
    if out.shape[1] != width:
        raise ValueError(f"{name}: expected shape (n, {width}), got {out.shape}")
    return out


@dataclass(frozen=True, eq=False)
class Decomposition:
    """Reciprocal-space form of an RBM. Build it with :func:`decompose`.

    Attributes
    ----------
    U : numpy.ndarray, shape (N, N)
        Left singular vectors (columns), orthogonal.
    singular_values : numpy.ndarray, shape (L,)
        ``lam``, descending (in tracked order for decompositions from
        :func:`track_modes`).
    V : numpy.ndarray, shape (M, M)
        Right singular vectors (columns), orthogonal.
    a0 : numpy.ndarray, shape (N,)
        ``U^T a``.
    b0 : numpy.ndarray, shape (M,)
        ``V^T b``.
    weights, visible_bias, hidden_bias : numpy.ndarray
        The model's parameters in float64.
    """

    U: np.ndarray
    singular_values: np.ndarray
    V: np.ndarray
    a0: np.ndarray
    b0: np.ndarray
    weights: np.ndarray
    visible_bias: np.ndarray
    hidden_bias: np.ndarray

    @property
    def n_visible(self) -> int:
        """``N``."""
        return int(self.U.shape[0])

    @property
    def n_hidden(self) -> int:
        """``M``."""
        return int(self.V.shape[0])

    @property
    def n_modes(self) -> int:
        """``L = min(N, M)``, the number of paired modes."""
        return int(self.singular_values.shape[0])

    # -- coordinates ------------------------------------------------------------------
    def to_reciprocal(self, v: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Map states to reciprocal coordinates (E4).

        Parameters
        ----------
        v : numpy.ndarray, shape (n, N)
            Visible states (binary or real, e.g. probabilities).
        h : numpy.ndarray, shape (n, M)
            Hidden states.

        Returns
        -------
        x : numpy.ndarray, shape (n, N)
            ``U^T v`` per row.
        y : numpy.ndarray, shape (n, M)
            ``V^T h`` per row.
        """
        vv = _coords(v, "v", self.n_visible)
        hh = _coords(h, "h", self.n_hidden)
        if vv.shape[0] != hh.shape[0]:
            raise ValueError(f"h: expected {vv.shape[0]} rows to match v, got {hh.shape[0]}")
        return vv @ self.U, hh @ self.V

    def from_reciprocal(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Inverse of :meth:`to_reciprocal`: ``v = U x``, ``h = V y``.

        Parameters
        ----------
        x : numpy.ndarray, shape (n, N)
        y : numpy.ndarray, shape (n, M)

        Returns
        -------
        v : numpy.ndarray, shape (n, N)
        h : numpy.ndarray, shape (n, M)
        """
        xx, yy = self._xy(x, y)
        return xx @ self.U.T, yy @ self.V.T

    def project(self, v: np.ndarray, h: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Reciprocal coordinates of data, with mean-field hidden units by default.

        Parameters
        ----------
        v : numpy.ndarray, shape (n, N)
            Visible data, e.g. binarized test images.
        h : numpy.ndarray, shape (n, M), optional
            Hidden states (e.g. Gibbs samples); if None, ``p(h = 1 | v)`` is used.

        Returns
        -------
        x : numpy.ndarray, shape (n, N)
        y : numpy.ndarray, shape (n, M)
        """
        vv = _coords(v, "v", self.n_visible)
        if h is None:
            h = scipy.special.expit(self.hidden_bias + vv @ self.weights)
        return self.to_reciprocal(vv, h)

    def _xy(self, x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        xx = _coords(x, "x", self.n_visible)
        yy = _coords(y, "y", self.n_hidden)
        if xx.shape[0] != yy.shape[0]:
            raise ValueError(f"y: expected {xx.shape[0]} rows to match x, got {yy.shape[0]}")
        return xx, yy

    # -- energy landscape --------------------------------------------------------------
    def energy(self, x: np.ndarray, y: np.ndarray, *, beta: float = 1.0) -> np.ndarray:
        """Energy in reciprocal coordinates (E6), times ``beta``.

        Parameters
        ----------
        x : numpy.ndarray, shape (n, N)
        y : numpy.ndarray, shape (n, M)
        beta : float
            Inverse temperature.

        Returns
        -------
        numpy.ndarray, shape (n,)
            Equal to ``RBM.energy(v, h)`` for ``(x, y) = to_reciprocal(v, h)``.
        """
        xx, yy = self._xy(x, y)
        b = finite_scalar(beta, "beta")
        k = self.n_modes
        pair = np.sum(self.singular_values * xx[:, :k] * yy[:, :k], axis=1)
        return np.asarray(b * (-(xx @ self.a0) - (yy @ self.b0) - pair))

    def gradient(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Gradient of E6: ``dE/dx_i = -a0_i - lam_i y_i``, ``dE/dy_i = -b0_i - lam_i x_i``.

        The unpaired coordinates (``i > L``) have the constant gradient ``-a0_i`` (or
        ``-b0_i``): the saddle of E7 is stationary in the paired subspace only.

        Parameters
        ----------
        x : numpy.ndarray, shape (n, N)
        y : numpy.ndarray, shape (n, M)

        Returns
        -------
        gx : numpy.ndarray, shape (n, N)
        gy : numpy.ndarray, shape (n, M)
        """
        xx, yy = self._xy(x, y)
        k, lam = self.n_modes, self.singular_values
        gx = np.broadcast_to(-self.a0, xx.shape).copy()
        gy = np.broadcast_to(-self.b0, yy.shape).copy()
        gx[:, :k] -= lam * yy[:, :k]
        gy[:, :k] -= lam * xx[:, :k]
        return gx, gy

    def _nonzero_modes(self) -> np.ndarray:
        lam = self.singular_values
        zero = np.flatnonzero(lam <= 0)
        if zero.size:
            raise ValueError(
                f"singular_values: mode(s) {zero[:5].tolist()} have lam = 0; "
                "their saddle is undefined"
            )
        return lam

    def saddle_points(self) -> tuple[np.ndarray, np.ndarray]:
        """Stationary point of each mode (E7).

        Returns
        -------
        x_star : numpy.ndarray, shape (L,)
            ``-b0_i / lam_i``.
        y_star : numpy.ndarray, shape (L,)
            ``-a0_i / lam_i``.

        Raises
        ------
        ValueError
            If a singular value is zero.
        """
        lam = self._nonzero_modes()
        k = self.n_modes
        return -self.b0[:k] / lam, -self.a0[:k] / lam

    def saddle_energies(self) -> np.ndarray:
        """Saddle energy of each mode, ``eps_i = a0_i b0_i / lam_i`` (E8).

        Returns
        -------
        numpy.ndarray, shape (L,)
            Their sum is the total saddle energy tracked per epoch.
        """
        lam = self._nonzero_modes()
        k = self.n_modes
        return np.asarray(self.a0[:k] * self.b0[:k] / lam)

    def hessians(self) -> np.ndarray:
        """Per-mode Hessian of E6 in ``(x_i, y_i)`` (E9).

        Returns
        -------
        numpy.ndarray, shape (L, 2, 2)
            ``[[0, -lam_i], [-lam_i, 0]]``.
        """
        out = np.zeros((self.n_modes, 2, 2))
        out[:, 0, 1] = out[:, 1, 0] = -self.singular_values
        return out

    def hessian_eigenvalues(self) -> np.ndarray:
        """Eigenvalues of each mode's Hessian (E9): a saddle of curvature ``lam_i``.

        Returns
        -------
        numpy.ndarray, shape (L, 2)
            ``(-lam_i, +lam_i)``; ``+lam_i`` along ``w``, ``-lam_i`` along ``u``.
        """
        lam = self.singular_values
        return np.stack([-lam, lam], axis=1)

    def to_uw(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rotated coordinates about each mode's saddle (E10).

        Parameters
        ----------
        x : numpy.ndarray, shape (n, N)
        y : numpy.ndarray, shape (n, M)

        Returns
        -------
        u : numpy.ndarray, shape (n, L)
            ``(dx + dy) / sqrt 2``, the direction in which E decreases.
        w : numpy.ndarray, shape (n, L)
            ``(dy - dx) / sqrt 2``, the direction in which E increases.
        """
        xx, yy = self._xy(x, y)
        xs, ys = self.saddle_points()
        k = self.n_modes
        dx, dy = xx[:, :k] - xs, yy[:, :k] - ys
        return (dx + dy) / np.sqrt(2.0), (dy - dx) / np.sqrt(2.0)

    def z(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Stacked coordinates ``z = (u_1..u_L, w_1..w_L, x_{L+1..N}, y_{L+1..M})``.

        Parameters
        ----------
        x : numpy.ndarray, shape (n, N)
        y : numpy.ndarray, shape (n, M)

        Returns
        -------
        numpy.ndarray, shape (n, N + M)
            The unpaired coordinates are kept as they are (only one of the two tails is
            non-empty).
        """
        u, w = self.to_uw(x, y)
        k = self.n_modes
        return np.concatenate([u, w, np.asarray(x, np.float64)[:, k:],
                               np.asarray(y, np.float64)[:, k:]], axis=1)

    def energy_from_z(self, z: np.ndarray, *, beta: float = 1.0) -> np.ndarray:
        """Energy from the stacked coordinates via the expansion E10, times ``beta``.

        Parameters
        ----------
        z : numpy.ndarray, shape (n, N + M)
            As returned by :meth:`z`.
        beta : float

        Returns
        -------
        numpy.ndarray, shape (n,)
        """
        k, n, m = self.n_modes, self.n_visible, self.n_hidden
        zz = _coords(z, "z", n + m)
        b = finite_scalar(beta, "beta")
        u, w, rest = zz[:, :k], zz[:, k:2 * k], zz[:, 2 * k:]
        lam = self.singular_values
        linear = rest @ np.concatenate([self.a0[k:], self.b0[k:]])
        e = self.saddle_energies().sum() - 0.5 * ((u * u - w * w) @ lam) - linear
        return np.asarray(b * e)

    def polar(
        self, x: np.ndarray, y: np.ndarray, modes: ArrayLike | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Polar coordinates of points around each mode's saddle.

        Parameters
        ----------
        x : numpy.ndarray, shape (n, N)
        y : numpy.ndarray, shape (n, M)
        modes : array_like of int, shape (k,), optional
            Mode indices (0-based); all ``L`` modes by default.

        Returns
        -------
        R : numpy.ndarray, shape (n, k)
            Distance ``sqrt(dx^2 + dy^2) = sqrt(u^2 + w^2)`` from the saddle.
        Theta : numpy.ndarray, shape (n, k)
            ``atan2(w, u)`` in ``(-pi, pi]``: 0 and pi along the descending ``u`` axis.
        """
        u, w = self.to_uw(x, y)
        if modes is not None:
            idx = np.asarray(modes)
            if idx.ndim != 1 or idx.dtype.kind not in "iu":
                raise TypeError("modes: expected a 1-D integer array")
            if idx.size and (idx.min() < -self.n_modes or idx.max() >= self.n_modes):
                raise ValueError(f"modes: indices must lie in [0, {self.n_modes})")
            u, w = u[:, idx], w[:, idx]
        return np.hypot(u, w), np.arctan2(w, u)

    # -- scalar summaries ---------------------------------------------------------------
    def entropy(self) -> float:
        """Weight-matrix entropy ``-sum lam ln lam`` (see :func:`weight_entropy`)."""
        return float(scipy.special.entr(self.singular_values).sum())

    def trace_wwt(self) -> float:
        """``tr(W W^T) / (N M) = sum lam^2 / (N M)``."""
        return float(np.sum(self.singular_values**2) / (self.n_visible * self.n_hidden))

    def trace_wwt_squared(self) -> float:
        """``tr((W W^T)^2) / (N M^2) = sum lam^4 / (N M^2)``."""
        return float(np.sum(self.singular_values**4) / (self.n_visible * self.n_hidden**2))

    def reordered(self, order: np.ndarray, signs: np.ndarray) -> Decomposition:
        """Return a copy with the paired modes permuted and sign-flipped.

        Parameters
        ----------
        order : numpy.ndarray of int, shape (L,)
            New mode ``k`` is old mode ``order[k]``.
        signs : numpy.ndarray, shape (L,)
            ``±1``, applied to both ``U_k`` and ``V_k``.

        Returns
        -------
        Decomposition
        """
        k = self.n_modes
        order = np.asarray(order)
        if sorted(order.tolist()) != list(range(k)):
            raise ValueError(f"order: expected a permutation of range({k})")
        sg = np.asarray(signs, dtype=np.float64)
        if sg.shape != (k,) or not np.all(np.abs(sg) == 1):
            raise ValueError(f"signs: expected shape ({k},) with entries ±1")
        u, v = self.U.copy(), self.V.copy()
        u[:, :k] = self.U[:, order] * sg
        v[:, :k] = self.V[:, order] * sg
        return Decomposition(u, self.singular_values[order], v, u.T @ self.visible_bias,
                             v.T @ self.hidden_bias, self.weights, self.visible_bias,
                             self.hidden_bias)


def decompose(rbm: RBM | ArrayLike) -> Decomposition:
    """Full SVD of an RBM's weights in the documented gauge (module docstring).

    Parameters
    ----------
    rbm : RBM or numpy.ndarray, shape (N, M)
        The model, or a weight matrix alone (biases taken as zero).

    Returns
    -------
    Decomposition

    Examples
    --------
    >>> import numpy as np, pyrbm
    >>> from pyrbm.analysis.reciprocal import decompose
    >>> rbm = pyrbm.RBM.random(6, 4, std=0.5, rng=0)
    >>> dec = decompose(rbm)
    >>> dec.U.shape, dec.singular_values.shape, dec.V.shape
    ((6, 6), (4,), (4, 4))
    >>> v, h = rbm.sample(3, 10, rng=1)
    >>> x, y = dec.to_reciprocal(v, h)  # E4
    >>> np.allclose(dec.energy(x, y), rbm.energy(v, h))  # E6 equals E1
    True
    """
    w = _weights64(rbm, "rbm")
    if isinstance(rbm, RBM):
        a = np.asarray(rbm.visible_bias, np.float64)
        b = np.asarray(rbm.hidden_bias, np.float64)
    else:
        a, b = np.zeros(w.shape[0]), np.zeros(w.shape[1])
    u, lam, vt = np.linalg.svd(w, full_matrices=True)
    _fix_signs(u, vt, lam.shape[0])
    v = np.ascontiguousarray(vt.T)
    return Decomposition(u, lam, v, u.T @ a, v.T @ b, w, a, b)

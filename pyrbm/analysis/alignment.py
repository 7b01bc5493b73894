"""Alignment of the weight modes with the correlations of the training data.

For a unit visible direction ``u`` the data's variance along ``u`` is ``u^T C u`` (``C``
the covariance of the training images) and ``u^T D u`` (``D = diag C``) is what that
variance would be if the pixels were independent with the same variances. Their ratio,
the *correlation gain*

    g(u) = u^T C u / u^T D u,

is the Rayleigh quotient of the correlation matrix ``R = D^{-1/2} C D^{-1/2}`` at
``w = D^{1/2} u``. When the pixels are independent, ``R`` is the sample correlation
matrix of ``n`` draws of ``N'`` independent variables (``N'`` the pixels that vary),
whose eigenvalues lie below ``(1 + sqrt(N'/n))^2`` (Marchenko-Pastur / Bai-Yin): no
direction, however chosen -- even one fitted to the sample's own noise, as a model
trained on shuffled pixels fits it -- has a larger gain (:func:`independence_bound`).
A mode whose gain lies well above that bound points along correlations that the data
really has: it was learned from them. Directions on pixels that never vary have
``u^T D u = 0``; their gain is reported as 0 (they carry none of the data's variance).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["Correlations", "correlation_gain", "independence_bound"]

_BLOCK_ROWS = 4096  # rows of data per float64 block of the covariance


def independence_bound(n_samples: int, n_varying: int) -> float:
    """Largest correlation gain of any direction when the pixels are independent.

    ``(1 + sqrt(n_varying / n_samples))^2``, the upper Marchenko-Pastur edge of the
    sample correlation matrix of ``n_samples`` draws of ``n_varying`` independent
    variables.

    Parameters
    ----------
    n_samples : int
        Images the correlations are estimated from (at least 2).
    n_varying : int
        Pixels whose value varies across them (at least 0).

    Returns
    -------
    float

    Examples
    --------
    >>> round(independence_bound(60000, 700), 3)
    1.228
    """
    n = int(n_samples)
    k = int(n_varying)
    if n < 2 or k < 0:
        raise ValueError(f"n_samples, n_varying: expected n_samples >= 2 and n_varying >= 0, "
                         f"got {n_samples}, {n_varying}")
    return float((1.0 + np.sqrt(k / n)) ** 2)


class Correlations:
    """The covariance of a data set, for the gains of many directions.

    Parameters
    ----------
    data : array_like, shape (n, N)
        Finite real values (binary images), ``n >= 2``.

    Attributes
    ----------
    covariance : numpy.ndarray, shape (N, N), float64
    variances : numpy.ndarray, shape (N,), float64
    n_samples : int
    n_varying : int
        Pixels with a non-zero variance.
    bound : float
        :func:`independence_bound` of this data.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> z = rng.random((4000, 1)) < 0.5                 # one hidden cause ...
    >>> x = (z ^ (rng.random((4000, 6)) < 0.1)).astype(np.float32)   # ... of six pixels
    >>> c = Correlations(x)
    >>> round(float(c.gain(np.full((6, 1), 6 ** -0.5))[0]), 1) > c.bound  # along the cause
    True
    """

    def __init__(self, data: ArrayLike):
        x = np.asarray(data)
        if x.dtype.kind not in "biuf":
            raise TypeError(f"data: expected real values, got dtype {x.dtype}")
        if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 1:
            raise ValueError(f"data: expected shape (n >= 2, N >= 1), got {x.shape}")
        if not np.all(np.isfinite(x)):
            raise ValueError("data: contains NaN or inf")
        # Centered float64 products in blocks of rows: the whole training set is never
        # copied to float64 (60 000 MNIST images would take 376 MB twice).
        mean = x.mean(axis=0, dtype=np.float64)
        n_features = x.shape[1]
        self.covariance = np.zeros((n_features, n_features))
        for start in range(0, x.shape[0], _BLOCK_ROWS):
            block = x[start:start + _BLOCK_ROWS].astype(np.float64) - mean
            self.covariance += block.T @ block
        self.covariance /= x.shape[0]
        self.variances = np.diag(self.covariance).copy()
        self.n_samples = int(x.shape[0])
        self.n_varying = int(np.count_nonzero(self.variances > 0.0))
        self.bound = independence_bound(self.n_samples, self.n_varying)

    def gain(self, vectors: ArrayLike) -> np.ndarray:
        """Correlation gain ``u^T C u / u^T D u`` of each column of ``vectors``.

        Parameters
        ----------
        vectors : array_like, shape (N, k)
            Directions in pixel space (e.g. the left singular vectors of ``W``); their
            norm does not matter.

        Returns
        -------
        numpy.ndarray, shape (k,), float64
            0 for a direction on pixels that never vary.
        """
        u = np.asarray(vectors, np.float64)
        n = self.covariance.shape[0]
        if u.ndim != 2 or u.shape[0] != n:
            raise ValueError(f"vectors: expected shape ({n}, k), got {u.shape}")
        if not np.all(np.isfinite(u)):
            raise ValueError("vectors: contains NaN or inf")
        along = np.einsum("ik,ik->k", u, self.covariance @ u)
        independent = self.variances @ (u * u)
        # Below this the direction carries no measurable variance (rounding of C).
        floor = 1e-12 * max(float(self.variances.max()), 1e-300) * np.einsum("ik,ik->k", u, u)
        safe = np.where(independent > floor, independent, 1.0)
        return np.asarray(np.where(independent > floor, along / safe, 0.0))


def correlation_gain(vectors: ArrayLike, data: ArrayLike) -> np.ndarray:
    """Correlation gain of each column of ``vectors`` in ``data`` (module docs).

    Parameters
    ----------
    vectors : array_like, shape (N, k)
    data : array_like, shape (n, N)

    Returns
    -------
    numpy.ndarray, shape (k,)

    Examples
    --------
    >>> x = np.random.default_rng(1).random((5000, 3)) < 0.3   # independent pixels
    >>> x[:, 2] = x[:, 1]                                      # pixel 2 copies pixel 1
    >>> correlation_gain(np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]), x).round(2)
    array([1., 2.])
    """
    return Correlations(data).gain(vectors)


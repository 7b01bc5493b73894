"""Reciprocal variables under the uniform measure and their Gaussian limit (E18, E19).

For ``v`` uniform on ``{0,1}^N`` and ``x = U^T v``: ``E[x] = U^T 1 / 2`` and
``Cov(x) = U^T U / 4`` (``= I / 4`` for orthogonal ``U``) (E18). Each ``x_i`` is a sum of
independent centred Bernoulli terms of excess kurtosis -2, so its kurtosis is exactly

    kurt(x_i) = 3 - 2 sum_j U_ji^4 / (sum_j U_ji^2)^2          (E19)

which is ``3 - 6/(N+2)`` on average for a Haar-random unit column: Gaussian as
``N -> infinity``. Kurtosis here is the plain fourth standardized moment (3 for a
Gaussian), not the excess.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from .._rng import RngLike, as_generator
from .._validation import finite_scalar, positive_int
from ._weights import _matrix64
from .reciprocal import Decomposition, decompose

__all__ = [
    "StreamingMoments",
    "exact_kurtosis",
    "kurtosis_vs_size",
    "sampled_kurtosis",
    "uniform_moments",
]


def _basis(u: Any, name: str = "u") -> np.ndarray:
    if isinstance(u, Decomposition):
        u = u.U
    out = _matrix64(u, name, "a numpy array or a Decomposition")
    if np.any(np.sum(out * out, axis=0) == 0):
        raise ValueError(f"{name}: has an all-zero column")
    return out


def uniform_moments(u: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of ``x = U^T v`` for ``v`` uniform on ``{0,1}^N`` (E18).

    Parameters
    ----------
    u : numpy.ndarray, shape (N, K), or Decomposition
        Projection basis (columns); a Decomposition contributes its ``U``. Pass
        ``dec.V`` for the hidden-side ``y``.

    Returns
    -------
    mean : numpy.ndarray, shape (K,)
        ``U^T 1 / 2``.
    cov : numpy.ndarray, shape (K, K)
        ``U^T U / 4``, i.e. ``I / 4`` for orthonormal columns.
    """
    uu = _basis(u)
    return 0.5 * uu.sum(axis=0), 0.25 * (uu.T @ uu)


def exact_kurtosis(u: ArrayLike) -> np.ndarray:
    """Exact kurtosis of each ``x_i`` under the uniform measure (E19).

    Parameters
    ----------
    u : numpy.ndarray, shape (N, K), or Decomposition

    Returns
    -------
    numpy.ndarray, shape (K,)
        ``3 - 2 sum_j U_ji^4 / (sum_j U_ji^2)^2``.
    """
    uu = _basis(u)
    sq = uu * uu
    return np.asarray(3.0 - 2.0 * np.sum(sq * sq, axis=0) / np.sum(sq, axis=0) ** 2)


class StreamingMoments:
    """Per-feature mean, variance and kurtosis from a stream of sample batches.

    Batches are merged with the pairwise update formulas of Chan et al. / Pébay (2008)
    for central moments up to order four, so memory stays at one batch plus
    ``O(n_features)`` however many samples pass through, and the result agrees with a
    single pass over all samples to rounding.

    Parameters
    ----------
    n_features : int
        Number of columns of each batch.
    """

    def __init__(self, n_features: int):
        d = positive_int(n_features, "n_features")
        self.count = 0
        self._mean = np.zeros(d)
        self._m2 = np.zeros(d)
        self._m3 = np.zeros(d)
        self._m4 = np.zeros(d)

    def update(self, batch: np.ndarray) -> StreamingMoments:
        """Add a batch of samples.

        Parameters
        ----------
        batch : numpy.ndarray, shape (n, n_features)

        Returns
        -------
        StreamingMoments
            ``self``, for chaining.
        """
        d = self._mean.shape[0]
        if not isinstance(batch, np.ndarray) or batch.ndim != 2 or batch.shape[1] != d:
            raise ValueError(f"batch: expected an array of shape (n, {d}), "
                             f"got {getattr(batch, 'shape', type(batch).__name__)}")
        nb = batch.shape[0]
        if nb == 0:
            return self
        x = np.asarray(batch, dtype=np.float64)
        if not np.all(np.isfinite(x)):
            raise ValueError("batch: contains NaN or inf")
        mb = x.mean(axis=0)
        c = x - mb
        c2 = c * c
        m2b, m3b, m4b = c2.sum(axis=0), (c2 * c).sum(axis=0), (c2 * c2).sum(axis=0)
        na, n = self.count, self.count + nb
        delta = mb - self._mean
        m2a, m3a = self._m2, self._m3
        self._m4 = (self._m4 + m4b + delta**4 * na * nb * (na * na - na * nb + nb * nb) / n**3
                    + 6 * delta**2 * (na * na * m2b + nb * nb * m2a) / n**2
                    + 4 * delta * (na * m3b - nb * m3a) / n)
        self._m3 = (m3a + m3b + delta**3 * na * nb * (na - nb) / n**2
                    + 3 * delta * (na * m2b - nb * m2a) / n)
        self._m2 = m2a + m2b + delta**2 * na * nb / n
        self._mean = self._mean + delta * nb / n
        self.count = n
        return self

    def _need(self, k: int) -> None:
        if self.count < k:
            raise ValueError(f"need at least {k} samples, have {self.count}")

    @property
    def mean(self) -> np.ndarray:
        """Sample mean, shape ``(n_features,)``."""
        self._need(1)
        return self._mean.copy()

    @property
    def variance(self) -> np.ndarray:
        """Population (biased) variance, shape ``(n_features,)``."""
        self._need(1)
        return self._m2 / self.count

    @property
    def kurtosis(self) -> np.ndarray:
        """Population kurtosis ``m4 / m2^2`` (3 for a Gaussian), shape ``(n_features,)``.

        Equal to ``scipy.stats.kurtosis(x, fisher=False, bias=True)`` over all samples.
        """
        self._need(2)
        return self.count * self._m4 / self._m2**2


def sampled_kurtosis(
    u: ArrayLike, n_samples: int, rng: RngLike = None, *, chunk_size: int = 4096
) -> np.ndarray:
    """Kurtosis of ``x = U^T v`` estimated from uniform random ``v``, in bounded memory.

    Parameters
    ----------
    u : numpy.ndarray, shape (N, K), or Decomposition
    n_samples : int
        Number of uniform samples (millions are fine: memory is ``chunk_size x N``).
    rng : numpy.random.Generator, int or None
    chunk_size : int
        Samples per batch.

    Returns
    -------
    numpy.ndarray, shape (K,)
        Estimates of :func:`exact_kurtosis`.
    """
    uu = _basis(u)
    total = positive_int(n_samples, "n_samples", minimum=2)
    chunk = positive_int(chunk_size, "chunk_size")
    gen = as_generator(rng)
    acc = StreamingMoments(uu.shape[1])
    done = 0
    while done < total:
        nb = min(chunk, total - done)
        v = gen.integers(0, 2, size=(nb, uu.shape[0]), dtype=np.int8)
        acc.update(v.astype(np.float64) @ uu)
        done += nb
    return acc.kurtosis


def kurtosis_vs_size(
    sizes: Sequence[int] = (500, 700, 784, 1200, 2000),
    n_hidden: int = 500,
    *,
    std: float = 0.01,
    rng: RngLike = None,
    method: Literal["exact", "sampled"] = "exact",
    n_samples: int = 100_000,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean kurtosis of the ``x_i`` of random initializations versus ``1/N``.

    For each ``N`` a matrix ``W ~ N(0, std^2)`` of shape ``(N, n_hidden)`` is drawn and
    the kurtosis of its ``L = min(N, M)`` paired coordinates ``x_i`` (columns of ``U``
    from :func:`pyrbm.analysis.reciprocal.decompose`) averaged; these columns are Haar-like, so
    expect ``3 - 6/(N+2)``. The ``N - M`` null-space columns are excluded: any basis of
    that space is valid, and LAPACK returns nearly localized ones (kurtosis near 1).

    Parameters
    ----------
    sizes : sequence of int
        Visible sizes ``N`` (the paper: 500, 700, 784, 1200, 2000).
    n_hidden : int
        ``M``.
    std : float
        Weight standard deviation.
    rng : numpy.random.Generator, int or None
    method : {"exact", "sampled"}
        E19, or :func:`sampled_kurtosis` with ``n_samples`` uniform samples.
    n_samples : int

    Returns
    -------
    inv_n : numpy.ndarray, shape (S,)
        ``1 / N``.
    mean_kurtosis : numpy.ndarray, shape (S,)
    """
    if method not in ("exact", "sampled"):
        raise ValueError(f"method: expected 'exact' or 'sampled', got {method!r}")
    m = positive_int(n_hidden, "n_hidden")
    s = finite_scalar(std, "std")
    if s <= 0:
        raise ValueError(f"std: must be > 0, got {s}")
    ns = [positive_int(n, "sizes") for n in sizes]
    if not ns:
        raise ValueError("sizes: must not be empty")
    gen = as_generator(rng)
    out = []
    for n in ns:
        u = decompose(gen.normal(0.0, s, size=(n, m))).U[:, : min(n, m)]
        k = exact_kurtosis(u) if method == "exact" else sampled_kurtosis(u, n_samples, gen)
        out.append(k.mean())
    return 1.0 / np.array(ns, dtype=np.float64), np.array(out)

"""Rotational-symmetry test of a weight matrix with random Givens rotations.

``R_U`` in O(N) is a product of ``floor(0.1 N)`` Givens rotations, each in a uniformly
random coordinate plane ``(p, q)``, ``p != q``, with angle ``~ U(0, 2 pi)``; likewise
``R_V`` in O(M). Following the authors, the rotated matrix is

    W_rot = (R_U U R_U^T) Sigma (R_V V^T R_V),

with the full SVD ``W = U Sigma V^T`` (``Sigma`` is ``N x M``). When ``N != M`` this form
mixes the null-space columns of the larger factor into the ``L = min(N, M)`` paired
modes, and any orthonormal basis of the null space is a valid SVD: a different basis
changed the JS statistic by 20-35 % (measured). pyrbm therefore rotates the *paired
modes only*: ``W_rot = (R_U U_L Q_U) Sigma_L (Q_V V_L^T R_V)`` with the thin factors
``U_L``, ``V_L``, ``Q_U = R_U^T`` when ``N = L`` and otherwise a fresh product of
``floor(0.1 N)`` Givens rotations in O(L) (likewise ``Q_V = R_V`` when ``M = L``), so
the statistic is a function of ``W`` (and the random rotations) alone; for ``N = M`` it
is exactly the authors' form. Both factors are
orthogonal, so ``W_rot`` has the singular values of ``W``; for an untrained
(i.i.d. Gaussian) ``W`` the singular vectors are Haar-distributed and ``W_rot`` has the
same law as ``W``, so the histograms of the entries of ``W`` and ``W_rot`` differ only by
sampling noise. Training breaks the symmetry and the Jensen–Shannon divergence between
the two entry histograms grows far above that noise level.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
from numpy.typing import ArrayLike
import scipy.spatial.distance
import scipy.special

from .._rng import RngLike, as_generator
from .._validation import finite_scalar, not_masked, positive_int
from ._weights import _weights64
from .reciprocal import decompose

__all__ = [
    "GivensRotation",
    "JSCurve",
    "entry_histograms",
    "js_divergence",
    "js_vs_hidden",
    "kl_divergence",
    "random_givens",
    "rotated_weights",
    "rotation_js",
]


@numba.njit(cache=True, nogil=True)
def _givens_rows(a: np.ndarray, p: np.ndarray, q: np.ndarray, c: np.ndarray,
                 s: np.ndarray, inverse: bool) -> None:  # pragma: no cover - compiled
    """In place ``a <- R a`` (``inverse``: ``a <- R^T a``), ``R = G_{k-1} ... G_0``.

    ``G_r`` rotates rows ``p[r], q[r]``: ``(a_p, a_q) <- (c a_p - s a_q, s a_p + c a_q)``.
    """
    k = p.shape[0]
    ncol = a.shape[1]
    for step in range(k):
        r = k - 1 - step if inverse else step
        cr = c[r]
        sr = -s[r] if inverse else s[r]
        rp, rq = p[r], q[r]
        for j in range(ncol):
            x, y = a[rp, j], a[rq, j]
            a[rp, j] = cr * x - sr * y
            a[rq, j] = sr * x + cr * y


@dataclass(frozen=True)
class GivensRotation:
    """A product ``R = G_{k-1} … G_0`` of Givens rotations in dimension ``n``.

    Attributes
    ----------
    n : int
        Dimension.
    planes : numpy.ndarray of int64, shape (k, 2)
        Rows ``(p, q)`` rotated by each factor, ``p != q``.
    angles : numpy.ndarray, shape (k,)
        Rotation angles in radians.
    """

    n: int
    planes: np.ndarray
    angles: np.ndarray

    def _apply(self, a: np.ndarray, inverse: bool) -> np.ndarray:
        out = np.array(a, dtype=np.float64, order="C", copy=True)
        if out.ndim != 2 or out.shape[0] != self.n:
            raise ValueError(f"a: expected shape ({self.n}, m), got {np.shape(a)}")
        _givens_rows(out, self.planes[:, 0].copy(), self.planes[:, 1].copy(),
                     np.cos(self.angles), np.sin(self.angles), inverse)
        return out

    def apply(self, a: np.ndarray) -> np.ndarray:
        """Return ``R a``.

        Parameters
        ----------
        a : numpy.ndarray, shape (n, m)

        Returns
        -------
        numpy.ndarray, shape (n, m), float64
        """
        return self._apply(a, False)

    def apply_transpose(self, a: np.ndarray) -> np.ndarray:
        """Return ``R^T a`` (the inverse rotation).

        Parameters
        ----------
        a : numpy.ndarray, shape (n, m)

        Returns
        -------
        numpy.ndarray, shape (n, m), float64
        """
        return self._apply(a, True)

    def matrix(self) -> np.ndarray:
        """Return ``R`` as a dense ``(n, n)`` array."""
        return self.apply(np.eye(self.n))


def random_givens(n: int, rng: RngLike = None, *, fraction: float = 0.1) -> GivensRotation:
    """Draw a product of ``floor(fraction * n)`` random Givens rotations.

    Parameters
    ----------
    n : int
        Dimension, >= 2.
    rng : numpy.random.Generator, int or None
        Source of the planes and angles.
    fraction : float
        Number of planes per dimension (the paper: 0.1).

    Returns
    -------
    GivensRotation
        Planes uniform over ordered pairs ``p != q``; angles uniform on ``[0, 2 pi)``.
    """
    n = positive_int(n, "n", minimum=2)
    k = int(np.floor(finite_scalar(fraction, "fraction", minimum=0.0) * n))
    gen = as_generator(rng)
    p = gen.integers(0, n, size=k)
    q = (p + gen.integers(1, n, size=k)) % n  # uniform over q != p
    angles = gen.uniform(0.0, 2.0 * np.pi, size=k)
    return GivensRotation(n, np.stack([p, q], axis=1).astype(np.int64), angles)


def rotated_weights(
    weights: ArrayLike, rng: RngLike = None, *, fraction: float = 0.1
) -> np.ndarray:
    """``W_rot = (R_U U_L Q_U) Sigma_L (Q_V V_L^T R_V)``: the paired modes rotated (module docs).

    For ``N = M`` this is the authors' ``(R_U U R_U^T) Sigma (R_V V^T R_V)``; otherwise
    the null space of the larger factor is left out, so the result does not depend on
    the basis an SVD routine picks for it.

    Parameters
    ----------
    weights : RBM or numpy.ndarray, shape (N, M)
    rng : numpy.random.Generator, int or None
        Draws ``R_U``, ``R_V``, then ``Q_U`` (if ``N > M``) or ``Q_V`` (if ``M > N``).
    fraction : float
        Givens planes per dimension.

    Returns
    -------
    numpy.ndarray, shape (N, M), float64
    """
    dec = decompose(_weights64(weights))
    gen = as_generator(rng)
    n, m, k = dec.n_visible, dec.n_hidden, dec.n_modes
    r_u = random_givens(n, gen, fraction=fraction)
    r_v = random_givens(m, gen, fraction=fraction)
    # Q_U acts on the L paired modes: R_U itself when N = L, else Givens in O(L) with
    # floor(fraction N) planes (the planes of R_U per dimension of U).
    q_u = r_u if n == k else _givens_in(k, int(np.floor(fraction * n)), gen)
    q_v = r_v if m == k else _givens_in(k, int(np.floor(fraction * m)), gen)
    # (R_U U_L) Q_U^T-free form: U' = (R_U U_L) Q_U^T = (Q_U (R_U U_L)^T)^T
    u_rot = q_u.apply(r_u.apply(dec.U[:, :k]).T).T
    # V'^T = Q_V V_L^T R_V = (R_V^T (Q_V V_L^T)^T)^T
    vt_rot = r_v.apply_transpose(q_v.apply(np.ascontiguousarray(dec.V[:, :k].T)).T).T
    return np.asarray((u_rot * dec.singular_values) @ vt_rot)


def _givens_in(n: int, n_planes: int, gen: np.random.Generator) -> GivensRotation:
    """``n_planes`` random Givens rotations in dimension ``n`` (identity for n < 2)."""
    if n < 2 or n_planes == 0:
        return GivensRotation(n, np.zeros((0, 2), np.int64), np.zeros(0))
    return random_givens(n, gen, fraction=n_planes / n + 1e-12)


def entry_histograms(
    first: np.ndarray, second: np.ndarray, *, bins: int = 1000
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Histograms of the entries of two arrays on shared bins.

    Parameters
    ----------
    first, second : numpy.ndarray, any shape
        E.g. ``W`` and ``W_rot``.
    bins : int
        Number of equal-width bins spanning the joint range of both arrays.

    Returns
    -------
    p, q : numpy.ndarray, shape (bins,)
        Probability mass functions (each sums to 1).
    edges : numpy.ndarray, shape (bins + 1,)
    """
    bins = positive_int(bins, "bins")
    x = np.asarray(first, np.float64).ravel()
    y = np.asarray(second, np.float64).ravel()
    for name, arr in (("first", x), ("second", y)):
        if arr.size == 0 or not np.all(np.isfinite(arr)):
            raise ValueError(f"{name}: must be non-empty and finite")
    lo, hi = min(x.min(), y.min()), max(x.max(), y.max())
    if hi == lo:
        hi = lo + 1.0
    edges = np.linspace(lo, hi, bins + 1)
    p = np.histogram(x, edges)[0] / x.size
    q = np.histogram(y, edges)[0] / y.size
    return p, q, edges


def _pmfs(p: Any, q: Any) -> tuple[np.ndarray, np.ndarray]:
    arrays = []
    for name, value in (("p", p), ("q", q)):
        not_masked(value, name)
        arr = np.asarray(value)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{name}: expected real weights, got dtype {arr.dtype}")
        arrays.append(arr.astype(np.float64))
    pp, qq = arrays
    if pp.ndim != 1 or pp.shape != qq.shape:
        raise ValueError(f"q: expected shape {pp.shape} like p, got {qq.shape}")
    for name, arr in (("p", pp), ("q", qq)):
        if not np.all(np.isfinite(arr)) or np.any(arr < 0) or not np.any(arr > 0):
            raise ValueError(f"{name}: must be finite, non-negative and not all zero")
    pp, qq = pp / pp.max(), qq / qq.max()  # no overflow of the sums below
    return pp / pp.sum(), qq / qq.sum()


def kl_divergence(p: ArrayLike, q: ArrayLike) -> float:
    """Kullback–Leibler divergence ``sum p ln(p / q)`` in nats.

    Parameters
    ----------
    p, q : array_like, shape (k,)
        Non-negative weights (normalized here).

    Returns
    -------
    float
        ``inf`` where ``q = 0 < p`` somewhere (``scipy.special.rel_entr``).
    """
    pp, qq = _pmfs(p, q)
    return float(scipy.special.rel_entr(pp, qq).sum())


def js_divergence(p: ArrayLike, q: ArrayLike, *, base: float | None = None) -> float:
    """Jensen–Shannon divergence (the square of scipy's JS distance).

    Parameters
    ----------
    p, q : array_like, shape (k,)
        Non-negative weights (normalized here).
    base : float, optional
        Logarithm base, > 1; natural log (nats) by default, 2 gives bits (then JS <= 1).

    Returns
    -------
    float
    """
    if base is not None:
        base = finite_scalar(base, "base")
        if not base > 1.0:  # base 1 divides by log 1 = 0; below 1 the divergence is < 0
            raise ValueError(f"base: a logarithm base must be > 1, got {base}")
    pp, qq = _pmfs(p, q)
    return float(scipy.spatial.distance.jensenshannon(pp, qq, base=base) ** 2)


def rotation_js(
    weights: ArrayLike, rng: RngLike = None, *, bins: int = 1000, fraction: float = 0.1
) -> float:
    """JS divergence between the entry histograms of ``W`` and ``W_rot`` (nats).

    Parameters
    ----------
    weights : RBM or numpy.ndarray, shape (N, M)
    rng : numpy.random.Generator, int or None
    bins : int
    fraction : float
        Givens planes per dimension.

    Returns
    -------
    float
    """
    w = _weights64(weights)
    p, q, _ = entry_histograms(w, rotated_weights(w, rng, fraction=fraction), bins=bins)
    return js_divergence(p, q)


@dataclass(frozen=True)
class JSCurve:
    """JS divergence versus ``1/M`` over replicas; see :func:`js_vs_hidden`.

    Attributes
    ----------
    hidden_sizes : numpy.ndarray of int, shape (S,)
        Sorted hidden sizes ``M``.
    inv_hidden : numpy.ndarray, shape (S,)
        ``1 / M``.
    mean, std : numpy.ndarray, shape (S,)
        Mean and standard deviation (ddof=1; 0 for one replica) over replicas.
    values : list of numpy.ndarray
        The per-replica divergences for each ``M``.
    """

    hidden_sizes: np.ndarray
    inv_hidden: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    values: list[np.ndarray]


def js_vs_hidden(
    weights_by_hidden: Mapping[int, Sequence[Any]],
    rng: RngLike = None,
    *,
    bins: int = 1000,
    fraction: float = 0.1,
) -> JSCurve:
    """Rotation JS divergence of replicas as a function of ``1/M``.

    Parameters
    ----------
    weights_by_hidden : mapping of int to sequence of (RBM or numpy.ndarray)
        For each hidden size ``M`` the replicas' models or ``(N, M)`` weight matrices.
    rng : numpy.random.Generator, int or None
        One generator draws all rotations, in order of increasing ``M``.
    bins : int
    fraction : float

    Returns
    -------
    JSCurve
        Pass random matrices of matching std for the untrained (noise) level.
    """
    gen = as_generator(rng)
    sizes, values = [], []
    for m in sorted(weights_by_hidden):
        reps = list(weights_by_hidden[m])
        if not reps:
            raise ValueError(f"weights_by_hidden: no replicas for M = {m}")
        vals = []
        for i, w in enumerate(reps):
            w64 = _weights64(w, f"weights_by_hidden[{m}][{i}]")
            if w64.shape[1] != m:
                raise ValueError(
                    f"weights_by_hidden[{m}][{i}]: expected {m} hidden units, got "
                    f"shape {w64.shape}"
                )
            vals.append(rotation_js(w64, gen, bins=bins, fraction=fraction))
        sizes.append(m)
        values.append(np.array(vals))
    if not sizes:
        raise ValueError("weights_by_hidden: must not be empty")
    mean = np.array([v.mean() for v in values])
    std = np.array([v.std(ddof=1) if v.size > 1 else 0.0 for v in values])
    hs = np.array(sizes, dtype=np.int64)
    return JSCurve(hs, 1.0 / hs, mean, std, values)

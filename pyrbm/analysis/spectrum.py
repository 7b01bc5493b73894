"""Marchenko–Pastur law of the singular values of a random weight matrix (E23).

Conventions: ``W`` has shape ``(N, M) = (n_visible, n_hidden)`` with i.i.d. entries of
standard deviation ``std``; it has ``L = min(N, M)`` singular values. Their limiting
density is ::

    rho(lam) = sqrt((lam_+^2 - lam^2)(lam^2 - lam_-^2)) / (pi q lam),   lam_- <= lam <= lam_+,

with ``lam_± = std * |sqrt(N) ± sqrt(M)|`` and ``q = L std^2``; it integrates to one over
the ``L`` singular values. ``mp_edges(784, 500, 0.01)`` is ``(0.0564, 0.5036)``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, DTypeLike
import scipy.linalg
import scipy.optimize
import scipy.stats
from threadpoolctl import threadpool_limits

from .._rng import RngLike, as_generator
from .._threads import get_num_threads
from .._validation import finite_scalar, float_dtype, positive_int
from ._edges import _sizes, _std, mp_edges

__all__ = [
    "BulkFit",
    "count_outliers",
    "fit_bulk",
    "fit_std",
    "ks_test",
    "mp_cdf",
    "mp_density",
    "mp_edges",
    "pooled_spectra",
    "tracy_widom_scale",
]


def _values(x: Any, name: str) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: contains NaN or inf")
    return arr


def mp_density(lam: ArrayLike, n_visible: int, n_hidden: int, std: float) -> np.ndarray:
    """Marchenko–Pastur density of the singular values, zero outside the bulk.

    Parameters
    ----------
    lam : array_like, any shape
        Points at which to evaluate the density.
    n_visible, n_hidden : int
        Shape of the weight matrix.
    std : float
        Entry standard deviation.

    Returns
    -------
    numpy.ndarray, same shape as ``lam``
        ``rho(lam)``, normalized over the ``min(N, M)`` singular values.
    """
    lo, hi = mp_edges(n_visible, n_hidden, std)
    x = _values(lam, "lam")
    q = min(n_visible, n_hidden) * std**2
    inside = (x > lo) & (x < hi)
    xs = np.where(inside, x, 0.5 * (lo + hi))  # keep sqrt/division defined off-support
    rho = np.sqrt(np.clip((hi**2 - xs**2) * (xs**2 - lo**2), 0.0, None)) / (np.pi * q * xs)
    return np.where(inside, rho, 0.0)


def mp_cdf(lam: ArrayLike, n_visible: int, n_hidden: int, std: float) -> np.ndarray:
    """Closed-form cumulative distribution of the Marchenko–Pastur singular values.

    With ``t = lam^2`` on ``[a, b] = [lam_-^2, lam_+^2]`` the CDF is
    ``(G(t) - G(a)) / (2 pi q)``, ``G(t) = sqrt((b-t)(t-a)) + (a+b)/2 asin((2t-a-b)/(b-a))
    - sqrt(ab) asin(((a+b)t - 2ab) / (t(b-a)))``.

    Parameters
    ----------
    lam : array_like, any shape
        Points at which to evaluate the CDF.
    n_visible, n_hidden : int
        Shape of the weight matrix.
    std : float
        Entry standard deviation.

    Returns
    -------
    numpy.ndarray, same shape as ``lam``
        Values in ``[0, 1]``.
    """
    lo, hi = mp_edges(n_visible, n_hidden, std)
    x = _values(lam, "lam")
    q = min(n_visible, n_hidden) * std**2
    a, b = lo**2, hi**2
    t = np.clip(x**2, a, b)
    t = np.maximum(t, np.finfo(np.float64).tiny)  # a = 0 when N = M
    width = b - a

    def g(tt: np.ndarray) -> np.ndarray:
        r1 = np.clip((2 * tt - a - b) / width, -1.0, 1.0)
        r2 = np.clip(((a + b) * tt - 2 * a * b) / (tt * width), -1.0, 1.0)
        root = np.sqrt(np.clip((b - tt) * (tt - a), 0.0, None))
        return np.asarray(root + 0.5 * (a + b) * np.arcsin(r1) - np.sqrt(a * b) * np.arcsin(r2))

    ga = 0.5 * (a + b) * (-np.pi / 2) + np.sqrt(a * b) * np.pi / 2  # g(a) in closed form
    cdf = (g(t) - ga) / (2 * np.pi * q)
    return np.clip(np.where(x <= lo, 0.0, np.where(x >= hi, 1.0, cdf)), 0.0, 1.0)


def _singular_values_1d(singular_values: Any) -> np.ndarray:
    sv = _values(singular_values, "singular_values").ravel()
    if sv.size == 0:
        raise ValueError("singular_values: must not be empty")
    if np.any(sv < 0):
        raise ValueError("singular_values: must be non-negative")
    return sv


def fit_std(
    singular_values: ArrayLike,
    n_visible: int,
    n_hidden: int,
    *,
    method: Literal["median", "moment"] = "median",
) -> float:
    """Fit the entry standard deviation from an observed spectrum.

    The MP law scales linearly with ``std``, so one quantity fixes it.

    Parameters
    ----------
    singular_values : array_like, shape (L,) or (K, L)
        Singular values of one matrix or pooled over ``K`` matrices of shape ``(N, M)``.
    n_visible, n_hidden : int
        Shape ``(N, M)`` of each matrix.
    method : {"median", "moment"}
        ``"median"`` matches the median to the MP median (robust to a few outliers);
        ``"moment"`` matches the mean of ``lam^2`` to ``max(N, M) std^2``, which is the
        Frobenius estimate ``||W||_F / sqrt(NM)``.

    Returns
    -------
    float
        The fitted ``std``.
    """
    n, m = _sizes(n_visible, n_hidden)
    sv = _singular_values_1d(singular_values)
    if method == "moment":
        return float(np.sqrt(np.mean(sv**2) / max(n, m)))
    if method != "median":
        raise ValueError(f"method: expected 'median' or 'moment', got {method!r}")
    lo, hi = mp_edges(n, m, 1.0)
    unit_median = scipy.optimize.brentq(
        lambda x: float(mp_cdf(x, n, m, 1.0)) - 0.5, lo, hi, xtol=1e-12
    )
    return float(np.median(sv) / unit_median)


def ks_test(
    singular_values: ArrayLike, n_visible: int, n_hidden: int, std: float | None = None
) -> Any:
    """Kolmogorov–Smirnov test of a spectrum against the MP law.

    Parameters
    ----------
    singular_values : array_like, shape (L,) or (K, L)
        Observed singular values (pooled if 2-D).
    n_visible, n_hidden : int
        Shape of each matrix.
    std : float, optional
        Entry standard deviation. If None it is fitted with :func:`fit_std` (median);
        the p-value is then approximate (conservative, as in Lilliefors' test).

    Returns
    -------
    scipy.stats._stats_py.KstestResult
        ``statistic`` and ``pvalue`` of ``scipy.stats.kstest``.

    Notes
    -----
    Singular values of one matrix repel each other, so their empirical CDF is closer to
    the MP law than i.i.d. draws would be; the test is conservative for a single random
    matrix and still rejects a spectrum with a sizeable fraction of non-bulk values.
    """
    n, m = _sizes(n_visible, n_hidden)
    sv = _singular_values_1d(singular_values)
    s = fit_std(sv, n, m) if std is None else _std(std)
    return scipy.stats.kstest(sv, lambda x: mp_cdf(x, n, m, s))


def tracy_widom_scale(n_visible: int, n_hidden: int, std: float) -> float:
    """Fluctuation scale of the largest bulk singular value (Johnstone 2001).

    The largest eigenvalue of ``W^T W`` fluctuates as
    ``std^2 (sqrt(N)+sqrt(M)) (1/sqrt(N)+1/sqrt(M))^(1/3)`` times a Tracy–Widom(1)
    variable; for the singular value this is ``std (1/sqrt(N)+1/sqrt(M))^(1/3) / 2``.

    Parameters
    ----------
    n_visible, n_hidden : int
    std : float

    Returns
    -------
    float
    """
    n, m = _sizes(n_visible, n_hidden)
    return float(_std(std) * (n**-0.5 + m**-0.5) ** (1.0 / 3.0) / 2.0)


def count_outliers(
    singular_values: ArrayLike,
    n_visible: int,
    n_hidden: int,
    std: float | None = None,
    *,
    n_tw: float = 5.0,
) -> int:
    """Number of singular values above the MP bulk edge, with a finite-size tolerance.

    A value counts if ``lam > lam_+ + n_tw * tracy_widom_scale(N, M, std)``. The
    Tracy–Widom(1) law puts the largest bulk value below ``lam_+ + 3`` scale units with
    probability above 99%, so the default of 5 units does not count bulk fluctuations.

    Parameters
    ----------
    singular_values : array_like, shape (L,)
        Singular values of one matrix.
    n_visible, n_hidden : int
        Shape of the matrix.
    std : float, optional
        Bulk entry standard deviation; fitted robustly (median) when None.
    n_tw : float
        Tolerance in Tracy–Widom scale units, >= 0.

    Returns
    -------
    int
    """
    n, m = _sizes(n_visible, n_hidden)
    sv = _singular_values_1d(singular_values)
    s = fit_std(sv, n, m) if std is None else _std(std)
    tol = finite_scalar(n_tw, "n_tw", minimum=0.0)
    edge = mp_edges(n, m, s)[1] + tol * tracy_widom_scale(n, m, s)
    return int(np.count_nonzero(sv > edge))


@dataclass(frozen=True)
class BulkFit:
    """The Marchenko–Pastur bulk fitted to one spectrum; see :func:`fit_bulk`.

    Attributes
    ----------
    std : float
        Fitted entry standard deviation of the bulk.
    edge : float
        ``lam_+(std) + n_tw * tracy_widom_scale(N, M, std)``.
    n_outliers : int
        Singular values above ``edge``.
    """

    std: float
    edge: float
    n_outliers: int


def _mp_unit_quantile(q: float, n: int, m: int) -> float:
    lo, hi = mp_edges(n, m, 1.0)
    if q <= 0.0:
        return lo
    return float(scipy.optimize.brentq(lambda x: float(mp_cdf(x, n, m, 1.0)) - q, lo, hi,
                                       xtol=1e-12))


def fit_bulk(singular_values: Any, n_visible: int, n_hidden: int, *, n_tw: float = 5.0,
             max_iter: int = 50) -> BulkFit:
    """Fit the MP bulk to the spectrum of one matrix, leaving its outliers out.

    The bulk is the ``L - k`` smallest values, taken as the lower ``(L - k) / L`` of an
    MP law: its median is matched to the MP quantile ``(L - k) / (2 L)``, which fixes
    ``std``; ``k`` is then the number of values above the edge plus ``n_tw``
    Tracy–Widom scales, and the fit is repeated until ``k`` no longer changes. With
    ``k = 0`` this is :func:`fit_std` (median); a few outliers do not move the fit.

    Parameters
    ----------
    singular_values : array_like, shape (L,)
        All ``L = min(N, M)`` singular values of one ``(N, M)`` matrix.
    n_visible, n_hidden : int
    n_tw : float
        Margin above ``lam_+`` in Tracy–Widom scale units (5: a bulk value exceeds it
        with probability far below 1 %, see :func:`count_outliers`).
    max_iter : int

    Returns
    -------
    BulkFit
    """
    n, m = _sizes(n_visible, n_hidden)
    sv = np.sort(_singular_values_1d(singular_values))
    tol = finite_scalar(n_tw, "n_tw", minimum=0.0)
    total, k = sv.size, 0
    for _ in range(positive_int(max_iter, "max_iter")):
        bulk = sv[: total - k]
        unit = _mp_unit_quantile(0.5 * (total - k) / total, n, m)
        std = float(np.median(bulk) / unit) if unit > 0 else float("nan")
        if not std > 0:
            return BulkFit(std, float("nan"), 0)
        edge = mp_edges(n, m, std)[1] + tol * tracy_widom_scale(n, m, std)
        k_new = int(np.count_nonzero(sv > edge))
        if k_new == k or k_new >= total:
            break
        k = k_new
    return BulkFit(std, float(edge), int(np.count_nonzero(sv > edge)))


def _gram_singular_values(w: np.ndarray) -> np.ndarray:
    """Singular values of a well-conditioned ``w`` from the smaller Gram matrix.

    Accurate to ``eps * lam_max^2 / lam`` in absolute terms: fine for random
    initializations, not for trained matrices with a large spread (use svdvals there).
    """
    gram = w.T @ w if w.shape[0] >= w.shape[1] else w @ w.T
    ev = scipy.linalg.eigh(gram, eigvals_only=True, driver="evd", overwrite_a=True,
                           check_finite=False)
    return np.asarray(np.sqrt(np.clip(ev[::-1], 0.0, None)))


def pooled_spectra(
    n_visible: int,
    n_hidden: int,
    n_matrices: int,
    *,
    std: float = 0.01,
    rng: RngLike = None,
    dtype: DTypeLike = np.float32,
    n_workers: int | None = None,
) -> np.ndarray:
    """Singular values of many random initializations ``W ~ N(0, std^2)``.

    Each matrix draws from its own child generator (``SeedSequence.spawn``), so the
    result depends on ``rng`` only, never on ``n_workers``. Only singular values are
    needed: each comes from the eigenvalues of the ``L x L`` Gram matrix, computed in a
    thread pool with single-threaded BLAS per worker.

    Parameters
    ----------
    n_visible, n_hidden : int
        Shape ``(N, M)`` of each matrix.
    n_matrices : int
        Number of independent matrices ``K`` (the paper pools 1000 of 784x500).
    std : float
        Entry standard deviation.
    rng : numpy.random.Generator, int or None
        Source of the child seeds (one draw of 4 words from a Generator).
    dtype : float32 or float64
        Precision of the matrices and the eigen-solver.
    n_workers : int, optional
        Worker threads; defaults to ``pyrbm.get_num_threads()``.

    Returns
    -------
    numpy.ndarray, shape (K, min(N, M)), float64
        Row ``k`` holds matrix ``k``'s singular values in descending order.
    """
    n, m = _sizes(n_visible, n_hidden)
    k = positive_int(n_matrices, "n_matrices")
    s = _std(std)
    dt = float_dtype(dtype)
    workers = get_num_threads() if n_workers is None else positive_int(n_workers, "n_workers")
    entropy = as_generator(rng).integers(0, 2**63, size=4).tolist()
    children = np.random.SeedSequence(entropy).spawn(k)
    out = np.empty((k, min(n, m)), dtype=np.float64)

    def one(i: int) -> None:
        gen = np.random.Generator(np.random.Philox(children[i]))
        w = gen.standard_normal((n, m), dtype=dt)
        out[i] = s * _gram_singular_values(w)  # scale after: std factors out exactly

    with threadpool_limits(limits=1, user_api="blas"):
        if workers == 1:
            for i in range(k):
                one(i)
        else:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                list(pool.map(one, range(k)))
    return out

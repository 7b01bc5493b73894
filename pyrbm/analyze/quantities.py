"""The numbers of ``pyrbm analyze`` for one model and for the checkpoints of a run.

Everything is computed by the analysis layer (:mod:`pyrbm.analysis`,
:mod:`pyrbm.dynamics`, :mod:`pyrbm.partition`); this module only chooses what to call
on a model trained anywhere, and with which null control. Each quantity draws from its
own generator, seeded by ``(seed, model index, quantity)``, so results do not depend on
which other quantities were computed, nor on the thread count (tested). LAPACK runs on
one BLAS thread, as in ``reproduce``'s ModeRecorder: threaded SVDs of small matrices are
much slower on a loaded machine.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import numpy as np
import scipy.linalg
from threadpoolctl import threadpool_limits

from ..analysis import gaussian, spectrum, symmetry
from ..analysis.reciprocal import decompose
from ..analysis.svd import thin_svd
from ..dynamics import diffusion, probing
from ..model import RBM
from ..partition.estimators import log_likelihood, log_partition
from ..partition.meanfield import MeanFieldDivergence
from ..reproduce.runs import mode1_uw

__all__ = ["Settings", "analyze_model", "analyze_trajectory", "quantity_rng"]

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _one_blas_thread(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """``threadpool_limits.wrap(limits=1, user_api="blas")``, typed: threadpoolctl ships no
    type hints, so the decorator would otherwise make the function untyped."""
    wrapped: Callable[_P, _R] = threadpool_limits.wrap(limits=1, user_api="blas")(func)
    return wrapped


@dataclasses.dataclass(frozen=True)
class Settings:
    """Sizes and step counts of the analysis (defaults: seconds for a 784 x 500 model's
    spectrum, about a minute with AIS on two cores; all quantities scale with them).

    Attributes
    ----------
    beta : float
        Inverse temperature of the analysis (modes above ``beta lambda = 4``).
    n_tw : float
        Outlier margin above the fitted MP edge, in Tracy-Widom units.
    n_null : int
        Isotropic random matrices of the null controls (spectrum, symmetry, kurtosis).
    top_modes : int
        Leading modes listed (saddle energies, kurtosis) and tracked over checkpoints.
    langevin_modes, langevin_trajectories : int
    langevin_time, langevin_dt : float
    ais_chains, ais_betas : int
        AIS and reverse AIS (RAIS starts from ``n_samples`` Gibbs samples).
    exact_max_units : int
        Exact ln Z when the smaller layer has at most this many units.
    n_samples, sample_sweeps : int
        Gibbs samples of the model (figure, RAIS, mode 1).
    probing_chains, probing_sweeps, probing_first_mode : int
        Hierarchical probing; modes ``>= probing_first_mode`` (0-based) are scrambled.
    n_uw, n_test : int
        Data rows projected on mode 1, and used for the test log-likelihood.
    ll_checkpoints : int
        Checkpoints of a run at which the log-likelihood is estimated (evenly spaced).
    """

    beta: float = 1.0
    n_tw: float = 5.0
    n_null: int = 5
    top_modes: int = 10
    langevin_modes: int = 8
    langevin_trajectories: int = 1000
    langevin_time: float = 2.0
    langevin_dt: float = 0.01
    ais_chains: int = 64
    ais_betas: int = 1000
    exact_max_units: int = 24
    n_samples: int = 64
    sample_sweeps: int = 200
    probing_chains: int = 16
    probing_sweeps: int = 200
    probing_first_mode: int = 5
    n_uw: int = 300
    n_test: int = 1000
    ll_checkpoints: int = 5


def quantity_rng(seed: int, model: int, name: str) -> np.random.Generator:
    """The generator of quantity ``name`` of model number ``model``."""
    return np.random.default_rng([seed, model, zlib.crc32(name.encode())])


def js_bins(n_entries: int) -> int:
    """Histogram bins of the symmetry statistic: sqrt of the number of entries, in
    [20, 1000] (the paper's 1000 bins are for 784 x M matrices; a 64 x 20 matrix has
    only 1280 entries)."""
    return int(np.clip(np.sqrt(n_entries), 20, 1000))


def _spectrum(w: np.ndarray, s: Settings, rng: np.random.Generator) -> dict[str, Any]:
    n, m = w.shape
    sv = scipy.linalg.svdvals(w)
    std = spectrum.fit_std(sv, n, m)  # median: robust while most modes are bulk
    lo, hi = spectrum.mp_edges(n, m, std)
    tw = spectrum.tracy_widom_scale(n, m, std)
    outliers = spectrum.count_outliers(sv, n, m, None, n_tw=s.n_tw)
    null = [spectrum.count_outliers(scipy.linalg.svdvals(rng.normal(0.0, std, (n, m))), n, m,
                                    None, n_tw=s.n_tw) for _ in range(s.n_null)]
    above = np.flatnonzero(s.beta * sv >= 4.0)
    return {"singular_values": sv, "fitted_std": std, "mp_lower": lo, "mp_upper": hi,
            "tw_scale": tw, "outlier_edge": hi + s.n_tw * tw, "n_outliers": outliers,
            "outliers": sv[:outliers].tolist(), "null_outliers_max": int(max(null)),
            "ks_pvalue": float(spectrum.ks_test(sv, n, m, std).pvalue),
            "modes_above_4": (above + 1).tolist(), "n_above_4": int(above.size)}


def _langevin(sv: np.ndarray, s: Settings, rng: np.random.Generator) -> dict[str, Any]:
    k = min(s.langevin_modes, sv.size)
    below = np.flatnonzero(s.beta * sv < 4.0)
    modes = sorted(set(range(k)) | ({int(below[0])} if below.size else set()))
    rep = diffusion.convergence_analysis(sv[modes], beta=s.beta, t_max=s.langevin_time,
                                         dt=s.langevin_dt, n_trajectories=s.langevin_trajectories,
                                         rng=rng)
    final = rep.variance[:, -1]
    return {"modes": [i + 1 for i in modes], "lambda": sv[modes].tolist(),
            "stiffness_u": rep.stiffness_u.tolist(), "predicted_converges": rep.converges.tolist(),
            "final_variance": final.tolist(), "exact_variance": rep.exact[:, -1].tolist(),
            "stationary_variance": rep.stationary_variance.tolist(),
            "p_value": rep.p_value.tolist(), "times": rep.times, "variance": rep.variance}


def _saddles(rbm: RBM, s: Settings) -> dict[str, Any]:
    dec = decompose(rbm)
    k = min(s.top_modes, dec.n_modes)
    try:
        x_star, y_star = dec.saddle_points()
        eps = dec.saddle_energies()
    except ValueError:  # a zero singular value: its saddle is undefined
        return {"defined": False}
    return {"defined": True, "x_star": x_star[:k].tolist(), "y_star": y_star[:k].tolist(),
            "energies": eps[:k].tolist(), "total": float(np.sum(eps)), "all_energies": eps}


def _symmetry(w: np.ndarray, s: Settings, rng: np.random.Generator) -> dict[str, Any]:
    bins = js_bins(w.size)
    std = float(np.sqrt(np.mean(w**2)))  # the isotropic matrix of the same Frobenius norm
    js = symmetry.rotation_js(w, rng, bins=bins)
    null = np.array([symmetry.rotation_js(rng.normal(0.0, std, w.shape), rng, bins=bins)
                     for _ in range(s.n_null)])
    return {"js": js, "null_mean": float(null.mean()), "null_std": float(null.std(ddof=1)),
            "ratio": float(js / null.mean()), "bins": bins, "null_std_entries": std}


def _kurtosis(w: np.ndarray, s: Settings, rng: np.random.Generator) -> dict[str, Any]:
    n, m = w.shape
    dec = decompose(w)
    k = dec.n_modes
    kx, ky = gaussian.exact_kurtosis(dec.U[:, :k]), gaussian.exact_kurtosis(dec.V[:, :k])
    null = decompose(rng.normal(0.0, 1.0, (n, m)))
    return {"mean_x": float(kx.mean()), "mean_y": float(ky.mean()),
            "top_x": kx[: s.top_modes].tolist(), "top_y": ky[: s.top_modes].tolist(),
            "haar_x": 3.0 - 6.0 / (n + 2), "haar_y": 3.0 - 6.0 / (m + 2),
            "null_mean_x": float(gaussian.exact_kurtosis(null.U[:, :k]).mean()),
            "null_mean_y": float(gaussian.exact_kurtosis(null.V[:, :k]).mean())}


def _log_z(rbm: RBM, samples: np.ndarray, train: np.ndarray | None, test: np.ndarray | None,
           s: Settings, rng: np.random.Generator) -> dict[str, Any]:
    out: dict[str, Any] = {"exact": None, "meanfield": None, "meanfield_divergent_modes": []}
    if min(rbm.n_visible, rbm.n_hidden) <= s.exact_max_units:
        out["exact"] = float(log_partition(rbm, "exact", beta=s.beta).value)
    try:
        out["meanfield"] = float(log_partition(rbm, "meanfield", beta=s.beta).value)
    except MeanFieldDivergence as exc:
        out["meanfield_divergent_modes"] = (np.asarray(exc.modes) + 1).tolist()
    base = samples if train is None else train
    opts = dict(n_chains=s.ais_chains, n_betas=s.ais_betas, data=base)
    ais = log_partition(rbm, "ais", beta=s.beta, rng=rng, **opts)
    rais = log_partition(rbm, "rais", beta=s.beta, rng=rng, samples=samples[: s.ais_chains],
                         **opts)
    out.update(ais=float(ais.value), ais_se=float(ais.std_error), rais=float(rais.value),
               rais_se=float(rais.std_error),
               bracket_ordered=bool(ais.value <= rais.value + 2 * (ais.std_error + rais.std_error)))
    if test is not None and s.beta == 1.0:
        names = [n for n in ("exact", "meanfield", "ais", "rais") if out[n] is not None]
        out["test_ll"] = {name: log_likelihood(rbm, test, out[name]) for name in names}
    return out


def _probing(rbm: RBM, s: Settings, rng: np.random.Generator) -> dict[str, Any] | None:
    rank = min(rbm.n_visible, rbm.n_hidden)
    if rank < 3:
        return None
    first = min(s.probing_first_mode, rank - 2)
    scramble = probing.random_plane_rotations(rank, first_mode=first, rng=rng)
    top = probing.plane_rotation(rank, 0, 1, np.pi)
    seed = int(rng.integers(0, 2**63))  # the same model samples for both rotations

    def probe(rotation: np.ndarray) -> probing.ProbeResult:
        return probing.probe(rbm, rotation, n_chains=s.probing_chains,
                             n_sweeps=s.probing_sweeps, beta=s.beta, rng=seed)

    low, high = probe(scramble), probe(top)
    return {"first_mode": first + 1, "low_modes_pixel_change": low.pixel_change,
            "top_modes_pixel_change": high.pixel_change,
            "ratio": high.pixel_change / max(low.pixel_change, 1e-12),
            "grids": {"original p(v|h)": low.probs_identity,
                      f"modes >= {first + 1} scrambled": low.probs_rotated,
                      "modes 1-2 rotated by pi": high.probs_rotated}}


@_one_blas_thread
def analyze_model(rbm: RBM, *, train: np.ndarray | None = None, test: np.ndarray | None = None,
                  seed: int = 0, index: int = 0, settings: Settings | None = None
                  ) -> dict[str, Any]:
    """Every single-model quantity of ``pyrbm analyze``.

    Parameters
    ----------
    rbm : RBM
    train : numpy.ndarray, shape (n, n_visible), optional
        Binary data whose mean sets the AIS base model (default: model samples).
    test : numpy.ndarray, shape (n, n_visible), optional
        Binary test data: mode-1 projection and test log-likelihood.
    seed : int
    index : int
        Model number (separates the random streams of several models).
    settings : Settings, optional

    Returns
    -------
    dict
        ``spectrum``, ``langevin``, ``saddles``, ``symmetry``, ``kurtosis``, ``log_z``,
        ``probing`` (None below rank 3), ``samples`` (p(v|h) of the Gibbs samples),
        and with ``test``: ``data_uw``, ``model_uw`` (n, 2).
    """
    s = settings or Settings()
    if not isinstance(rbm, RBM):
        raise TypeError(f"rbm: expected a pyrbm.RBM, got {type(rbm).__name__}")
    if min(rbm.n_visible, rbm.n_hidden) < 3:
        raise ValueError(f"rbm: the analysis needs at least 3 visible and 3 hidden units, got "
                         f"{rbm.n_visible} x {rbm.n_hidden}")
    w = np.asarray(rbm.weights, np.float64)
    rng = {name: quantity_rng(seed, index, name) for name in
           ("spectrum", "langevin", "symmetry", "kurtosis", "samples", "log_z", "probing")}
    out: dict[str, Any] = {"n_visible": rbm.n_visible, "n_hidden": rbm.n_hidden,
                           "dtype": str(rbm.dtype), "beta": s.beta}
    out["spectrum"] = _spectrum(w, s, rng["spectrum"])
    out["langevin"] = _langevin(out["spectrum"]["singular_values"], s, rng["langevin"])
    out["saddles"] = _saddles(rbm, s)
    out["symmetry"] = _symmetry(w, s, rng["symmetry"])
    out["kurtosis"] = _kurtosis(w, s, rng["kurtosis"])
    v, h = rbm.sample(s.n_samples, s.sample_sweeps, beta=s.beta, rng=rng["samples"])
    out["samples"] = np.asarray(rbm.visible_probs(h, beta=s.beta), np.float64)
    test = None if test is None else test[: s.n_test]
    out["log_z"] = _log_z(rbm, v, train, test, s, rng["log_z"])
    out["probing"] = _probing(rbm, s, rng["probing"])
    if test is not None:
        shown = np.ascontiguousarray(test[: s.n_uw]).astype(rbm.dtype)
        svd = thin_svd(rbm.weights)
        out["data_uw"] = mode1_uw(rbm, shown, rbm.hidden_probs(shown), svd)
        out["model_uw"] = mode1_uw(rbm, v, h, svd)
    return out


@_one_blas_thread
def analyze_trajectory(models: list[RBM], times: np.ndarray, *, train: np.ndarray | None = None,
                       test: np.ndarray | None = None, seed: int = 0, index: int = 0,
                       settings: Settings | None = None) -> dict[str, Any]:
    """The quantities of a run versus training time (one entry per checkpoint).

    Parameters
    ----------
    models : list of RBM
        The checkpoints, oldest first.
    times : numpy.ndarray, shape (T,)
        Their training time (epochs, updates or positions).
    train, test : numpy.ndarray, optional
        As in :func:`analyze_model`; with ``test``, the mode-1 projections at up to six
        checkpoints and the test log-likelihood (AIS, RAIS) at ``ll_checkpoints``.

    Returns
    -------
    dict
        ``times`` (T,), ``singular_values`` (T, k), ``saddle_energies`` (T, k),
        ``saddle_total`` (T,), ``n_outliers``, ``n_above_4``, ``mp_upper`` (T,); with
        ``test``: ``uw_times``, ``data_uw``, ``model_uw``, ``ll_times``, ``test_ll_ais``,
        ``test_ll_rais``.
    """
    s = settings or Settings()
    k = min(s.top_modes, min(models[0].n_visible, models[0].n_hidden))
    n, m = models[0].n_visible, models[0].n_hidden
    out: dict[str, Any] = {"times": np.asarray(times, np.float64)}
    sv, eps, total, n_out, n_above, edge = [], [], [], [], [], []
    for rbm in models:
        lam = scipy.linalg.svdvals(np.asarray(rbm.weights, np.float64))
        sv.append(lam[:k])
        sad = _saddles(rbm, s)
        eps.append(sad["energies"][:k] if sad["defined"] else [np.nan] * k)
        total.append(sad["total"] if sad["defined"] else np.nan)
        n_out.append(spectrum.count_outliers(lam, n, m, None, n_tw=s.n_tw))
        n_above.append(int(np.sum(s.beta * lam >= 4.0)))
        edge.append(spectrum.mp_edges(n, m, spectrum.fit_std(lam, n, m))[1])
    out.update(singular_values=np.array(sv), saddle_energies=np.array(eps, np.float64),
               saddle_total=np.array(total), n_outliers=n_out, n_above_4=n_above,
               mp_upper=np.array(edge))
    if test is None:
        return out
    test = test[: s.n_test]
    gen = quantity_rng(seed, index, "trajectory")
    shown = np.unique(np.linspace(0, len(models) - 1, min(6, len(models))).round().astype(int))
    data = np.ascontiguousarray(test[: s.n_uw])
    out["uw_times"], out["data_uw"], out["model_uw"] = out["times"][shown], [], []
    for i in shown:
        rbm = models[i]
        v, h = rbm.sample(s.n_samples, s.sample_sweeps, beta=s.beta, rng=gen)
        svd = thin_svd(rbm.weights)
        x = data.astype(rbm.dtype)
        out["data_uw"].append(mode1_uw(rbm, x, rbm.hidden_probs(x), svd))
        out["model_uw"].append(mode1_uw(rbm, v, h, svd))
    ll = np.unique(np.linspace(0, len(models) - 1, min(s.ll_checkpoints, len(models)))
                   .round().astype(int))
    out["ll_times"], out["test_ll_ais"], out["test_ll_rais"] = out["times"][ll], [], []
    for i in ll:
        rbm = models[i]
        v, _ = rbm.sample(s.ais_chains, s.sample_sweeps, rng=gen)
        base = v if train is None else train
        ais = log_partition(rbm, "ais", rng=gen, n_chains=s.ais_chains, n_betas=s.ais_betas,
                            data=base)
        rais = log_partition(rbm, "rais", rng=gen, samples=v, n_chains=s.ais_chains,
                             n_betas=s.ais_betas, data=base)
        out["test_ll_ais"].append(log_likelihood(rbm, test, ais))
        out["test_ll_rais"].append(log_likelihood(rbm, test, rais))
    return out

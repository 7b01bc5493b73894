"""The experiments of ``pyrbm reproduce`` that are not training runs.

Each experiment is a function ``(config, rng, models) -> dict`` whose result holds plain
numbers (for ``results.json`` and the claims of the report) and arrays (for the
figures). ``models`` maps a hidden size to the final weight matrices of its replicas
and holds the RBM the dynamic experiments probe (replica 0 of the largest hidden
size). :data:`EXPERIMENTS` lists them by name; the name seeds each experiment's
randomness, so an experiment gives the same numbers on whichever MPI rank runs it.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np

from ..dynamics import diffusion
from ..analysis import gaussian
from ..dynamics import probing
from ..analysis import spectrum
from ..analysis import symmetry
from ..partition.meanfield import MeanFieldDivergence
from ..model import RBM
from ..partition.estimators import log_partition
from . import checks, nulls
from .config import Config

__all__ = ["EXPERIMENTS", "Models", "experiment_rng", "run_experiment"]


@dataclasses.dataclass(frozen=True)
class Models:
    """What the experiments need of the trained runs.

    Attributes
    ----------
    weights : dict of int to list of numpy.ndarray, each (N, M)
        Final weights of every replica, by hidden size.
    probe : RBM
        The trained model of the dynamic experiments (Langevin, probing).
    image_shape : tuple of int
    null_weights : dict of int to list of numpy.ndarray, optional
        The random-walk null of each replica (:func:`pyrbm.reproduce.nulls.random_walk_path`).
    """

    weights: dict[int, list[np.ndarray]]
    probe: RBM
    image_shape: tuple[int, int]
    null_weights: dict[int, list[np.ndarray]] | None = None


def experiment_rng(seed: int, name: str) -> np.random.Generator:
    """The Generator of experiment ``name`` (from the job seed and the name only)."""
    return np.random.default_rng([seed, 7, zlib.crc32(name.encode())])


def mp_spectra(config: Config, rng: np.random.Generator, models: Models) -> dict[str, Any]:
    """Figure 1: pooled singular values of random initializations against MP (E23)."""
    a = config.analysis
    n, m, std = a["mp_n_visible"], a["mp_n_hidden"], a["std"]
    sv = spectrum.pooled_spectra(n, m, a["mp_matrices"], std=std, rng=rng)
    ks = spectrum.ks_test(sv, n, m, std)
    lo, hi = spectrum.mp_edges(n, m, std)
    # Null: column stds spread by +-50 % (no longer i.i.d.), a tenth as many matrices.
    null_sv = nulls.heteroscedastic_spectra(n, m, max(2, a["mp_matrices"] // 10), std, rng)
    null_p = float(spectrum.ks_test(null_sv, n, m, std).pvalue)
    return {"n_visible": n, "n_hidden": m, "n_matrices": a["mp_matrices"], "std": std,
            "ks_statistic": float(ks.statistic), "ks_pvalue": float(ks.pvalue),
            "null_ks_pvalue": null_p, "null_n_matrices": len(null_sv),
            "mp_lower": lo, "mp_upper": hi,
            "fraction_outside": float(np.mean((sv < lo * 0.98) | (sv > hi * 1.02))),
            "singular_values": sv}


def _random_like(weights: dict[int, list[np.ndarray]], std: float,
                 rng: np.random.Generator) -> dict[int, list[np.ndarray]]:
    return {m: [rng.normal(0.0, std, w.shape) for w in ws] for m, ws in weights.items()}


def rotation_symmetry(config: Config, rng: np.random.Generator, models: Models) -> dict[str, Any]:
    """Figure 5: JS(W, W_rot) vs 1/M, trained replicas and untrained matrices."""
    bins = config.analysis["js_bins"]
    trained = symmetry.js_vs_hidden(models.weights, rng, bins=bins)
    untrained = symmetry.js_vs_hidden(_random_like(models.weights, config.analysis["std"], rng),
                                      rng, bins=bins)
    ratio = np.asarray(trained.mean) / np.asarray(untrained.mean)
    out = {"hidden": trained.hidden_sizes.tolist(), "inv_hidden": trained.inv_hidden,
           "js_mean": trained.mean, "js_std": trained.std,
           "untrained_mean": untrained.mean, "untrained_std": untrained.std,
           "ratio": {str(m): float(r) for m, r in zip(trained.hidden_sizes, ratio)}}
    if models.null_weights:  # the random walk of W with the training's step sizes
        null = symmetry.js_vs_hidden(models.null_weights, rng, bins=bins)
        out["null_mean"] = null.mean
        out["null_ratio"] = {str(m): float(r) for m, r in
                             zip(null.hidden_sizes, np.asarray(null.mean) / untrained.mean)}
    return out


def kurtosis(config: Config, rng: np.random.Generator, models: Models) -> dict[str, Any]:
    """Figure 6: mean kurtosis of x_i (E19) vs 1/N and a straight-line fit."""
    a = config.analysis
    inv_n, kurt = gaussian.kurtosis_vs_size(tuple(a["kurtosis_sizes"]), a["kurtosis_hidden"],
                                            std=a["std"], rng=rng)
    slope, intercept = np.polyfit(inv_n, kurt, 1)
    # Null: a valid orthogonal basis that is not Haar-like (random 2 x 2 rotations along
    # the diagonal, localized columns): E19 gives kurtosis between 1 and 2 at every N.
    null = [float(np.mean(gaussian.exact_kurtosis(_block_rotations(n, rng))))
            for n in a["kurtosis_sizes"]]
    null_slope, null_intercept = np.polyfit(inv_n, null, 1)
    return {"inv_n": np.asarray(inv_n), "mean_kurtosis": np.asarray(kurt),
            "slope": float(slope), "intercept": float(intercept),
            "null_mean_kurtosis": np.asarray(null), "null_slope": float(null_slope),
            "null_intercept": float(null_intercept)}


def _block_rotations(n: int, rng: np.random.Generator) -> np.ndarray:
    """An ``n x n`` orthogonal matrix of random 2 x 2 rotations on the diagonal."""
    u = np.eye(n)
    for i in range(0, n - 1, 2):
        t = rng.uniform(0.0, 2 * np.pi)
        u[i:i + 2, i:i + 2] = [[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]]
    return u


def _small_rbm(n: int, m: int, rng: np.random.Generator) -> RBM:
    """A small RBM with N(0, 0.1^2) weights and biases."""
    return RBM(rng.normal(0.0, 0.1, (n, m)), rng.normal(0.0, 0.1, n), rng.normal(0.0, 0.1, m))


def _rescaled(rbm: RBM, lam1: float) -> RBM:
    """``rbm`` with its weights scaled so that the largest singular value is ``lam1``."""
    w = rbm.weights * (lam1 / np.linalg.svd(rbm.weights, compute_uv=False)[0])
    return RBM(w, rbm.visible_bias.copy(), rbm.hidden_bias.copy())


def log_z_small(config: Config, rng: np.random.Generator, models: Models) -> dict[str, Any]:
    """Figure 7: ln Z - (N+M) ln 2 of small RBMs by exact, mean-field, AIS and RAIS.

    Small random weights at every size of ``logz_sizes``, then one RBM of the largest
    size with its weights scaled to each ``lambda_1`` of ``logz_lambdas``: mean-field is
    accurate for small weights and diverges at ``beta lambda_1 = 4`` (NaN when it raises
    MeanFieldDivergence).
    """
    a = config.analysis
    cases = [(f"{n}x{m}", _small_rbm(n, m, rng)) for n, m in a["logz_sizes"]]
    n_big, m_big = max(a["logz_sizes"], key=sum)
    base = _small_rbm(n_big, m_big, rng)
    cases += [(f"{n_big}x{m_big}, λ1={lam:g}", _rescaled(base, lam)) for lam in a["logz_lambdas"]]
    rows: dict[str, list[Any]] = {k: [] for k in ("labels", "lambda_1", "exact", "meanfield",
                                                  "ais", "ais_se", "rais", "rais_se")}
    for label, rbm in cases:
        shift = (rbm.n_visible + rbm.n_hidden) * np.log(2.0)
        exact = float(log_partition(rbm, "exact").value)
        try:
            mf = float(log_partition(rbm, "meanfield").value)
        except MeanFieldDivergence:
            mf = np.nan
        samples = rbm.sample(a["logz_chains"], 500, rng=rng)[0]
        opts = dict(n_chains=a["logz_chains"], n_betas=a["logz_betas"], data=samples)
        ais = log_partition(rbm, "ais", rng=rng, **opts)
        rais = log_partition(rbm, "rais", rng=rng, samples=samples, **opts)
        lam1 = float(np.linalg.svd(rbm.weights, compute_uv=False)[0])
        for key, value in zip(rows, (label, lam1, exact - shift, mf - shift, ais.value - shift,
                                     ais.std_error, rais.value - shift, rais.std_error)):
            rows[key].append(value)
    out: dict[str, Any] = {k: (v if k == "labels" else np.asarray(v, dtype=np.float64))
                           for k, v in rows.items()}
    error = np.abs(out["meanfield"] - out["exact"])
    out["meanfield_error"] = error
    small = out["lambda_1"] < 1.0
    out["meanfield_error_small"] = float(np.nanmax(error[small])) if small.any() else np.nan
    below = (out["lambda_1"] >= 1.0) & (out["lambda_1"] < 4.0)
    out["meanfield_error_below_4"] = float(np.nanmax(error[below])) if below.any() else np.nan
    # Null of "accurate for small weights": the scanned model closest below 4.
    near = np.flatnonzero(out["lambda_1"] < 4.0)
    out["null_meanfield_error_small"] = (float(error[near[np.argmax(out["lambda_1"][near])]])
                                         if near.size else np.nan)
    # Null of "breaks down before 4": the same base model at small lambda_1 only.
    null_lam = np.linspace(0.1, 0.5, 5)
    null_err = []
    for lam in null_lam:
        small_rbm = _rescaled(base, float(lam))
        null_err.append(abs(float(log_partition(small_rbm, "meanfield").value)
                            - float(log_partition(small_rbm, "exact").value)))
    out["null_lambdas"], out["null_meanfield_error"] = null_lam, np.array(null_err)
    out["meanfield_diverges_above_4"] = bool(np.all(np.isnan(out["meanfield"][out["lambda_1"] >= 4.0])))
    z = np.abs(np.concatenate([(out["ais"] - out["exact"]) / np.maximum(out["ais_se"], 1e-3),
                               (out["rais"] - out["exact"]) / np.maximum(out["rais_se"], 1e-3)]))
    out["annealing_max_abs_error"] = float(np.max(np.abs(np.concatenate(
        [out["ais"] - out["exact"], out["rais"] - out["exact"]]))))
    out["annealing_max_z"] = float(np.max(z))
    # Null of the annealing check: an estimator known to be approximate, the mean-field
    # ln Z of the same models (where it is defined). AIS with few distributions is no
    # null here: these small models are easy (measured: 2-3 distributions already
    # within 0.1-0.2 nats up to lambda_1 = 16).
    out["null_annealing_max_abs_error"] = float(np.nanmax(error)) if np.isfinite(error).any() \
        else np.nan
    return out


#: Distance of the Langevin modes from beta lambda = 4 (stiffness at least 0.2).
LANGEVIN_GAP = 0.2


def langevin(config: Config, rng: np.random.Generator, models: Models) -> dict[str, Any]:
    """Figure 8: Langevin variance of u for the trained model's modes below / above 4/beta.

    The mode just below (the largest ``lambda <= 4 - 0.2``) and just above (the smallest
    ``lambda >= 4 + 0.2``) at beta = 1, integrated together for at least 5 relaxation
    times ``1 / |4 - beta lambda|`` of the slower one (at most ``2 |k| t = 600`` for the
    growing one, so its variance stays finite). The checks
    (:func:`pyrbm.reproduce.checks.langevin_converges`, ``langevin_growth``) compare the
    variance with the *stationary* OU variance ``D / (4 - beta lambda)`` and the growth
    rate of ``ln Var`` with ``2 (beta lambda - 4)``; each is also applied to the other
    mode, its null.
    """
    a = config.analysis
    pot = diffusion.mode_potential_from_rbm(models.probe)
    lam = pot.singular_values
    below = np.flatnonzero(lam <= 4.0 - LANGEVIN_GAP)
    above = np.flatnonzero(lam >= 4.0 + LANGEVIN_GAP)
    modes = ([int(below[0])] if below.size else []) + ([int(above[-1])] if above.size else [])
    k_u = np.abs(pot.stiffness_u[modes])
    duration = 5.0 / float(k_u.min())
    if above.size:
        duration = min(duration, 300.0 / float(abs(pot.stiffness_u[above[-1]])))
    dt = a["langevin_dt"]
    n_steps = max(a["langevin_steps"], int(np.ceil(duration / dt)))
    every = max(1, n_steps // 200)
    n_steps = -(-n_steps // every) * every  # the last record is at the end
    sub = dataclasses.replace(
        pot, singular_values=lam[modes], stiffness=pot.stiffness[modes],
        coupling=pot.coupling[modes], force=pot.force[modes])
    res = diffusion.langevin(sub, a["langevin_trajectories"], n_steps, dt=dt,
                             record_every=every, rng=rng)
    var = np.asarray(res.variance_u)
    times = np.asarray(res.times)
    out: dict[str, Any] = {"times": times, "modes": modes, "lambda": lam[modes].tolist(),
                           "variances": {}, "n_modes_above_4": int(np.sum(lam >= 4.0)),
                           "relaxation_times": float(times[-1] * k_u.min())}
    for row, mode in enumerate(modes):
        label = f"mode {mode + 1}, lambda={lam[mode]:.2f} ({'>' if lam[mode] >= 4 else '<'} 4)"
        out["variances"][label] = var[row]
    rows = {"below": 0 if below.size else None,
            "above": (1 if below.size else 0) if above.size else None}
    for side, index in rows.items():
        if index is None:
            continue
        k = float(pot.stiffness_u[modes[index]])
        out[f"{side}_series"] = var[index]
        out[f"{side}_lambda"] = float(lam[modes[index]])
        out[f"{side}_stationary"] = 1.0 / k if k > 0 else float("nan")
    return out


def hierarchical_probing(config: Config, rng: np.random.Generator,
                         models: Models) -> dict[str, Any]:
    """Figure 10: low modes scrambled vs modes 1-2 rotated by pi (common random numbers).

    The figure's scrambling is ``probing_planes`` pi-rotations in random planes among the
    modes ``>= probing_first_mode``; the claim's ratio uses all of them scrambled at once
    (one plane per mode, ``all_low_modes_pixel_change``), on the model and on its
    control (:func:`pyrbm.reproduce.nulls.haar_control`: same spectrum, random vectors).
    """
    a = config.analysis
    rbm = models.probe
    rank = min(rbm.n_visible, rbm.n_hidden)
    first = min(a["probing_first_mode"], rank - 2)
    scramble = probing.random_plane_rotations(rank, first_mode=first,
                                              n_planes=a["probing_planes"] or None, rng=rng)
    everything = probing.random_plane_rotations(rank, first_mode=first, rng=rng)
    top = probing.plane_rotation(rank, 0, 1, np.pi)
    seed = int(rng.integers(0, 2**63))  # the same model samples for every rotation
    opts = dict(n_chains=a["probing_chains"], n_sweeps=a["probing_sweeps"], rng=seed)
    low, high = probing.probe(rbm, scramble, **opts), probing.probe(rbm, top, **opts)
    all_low = probing.probe(rbm, everything, **opts).pixel_change
    # Control: the same singular values and biases, Haar-random singular vectors.
    control = nulls.haar_control(rbm, rng)
    c_high = probing.probe(control, top, **opts)
    c_top = c_high.pixel_change
    c_low = probing.probe(control, everything, **opts).pixel_change
    shape = models.image_shape
    coarse = checks.low_frequency_fraction(high.probs_rotated - high.probs_identity, shape)
    c_coarse = checks.low_frequency_fraction(c_high.probs_rotated - c_high.probs_identity, shape)
    # A second control (fresh random vectors): the null of the check.
    c2 = probing.probe(nulls.haar_control(rbm, rng), top, **opts)
    c2_coarse = checks.low_frequency_fraction(c2.probs_rotated - c2.probs_identity, shape)
    shown = slice(0, min(16, a["probing_chains"]))
    return {
        "low_modes_pixel_change": low.pixel_change,
        "low_modes_probability_change": low.probability_change,
        "all_low_modes_pixel_change": all_low,
        "ratio": high.pixel_change / max(all_low, 1e-12),
        "control_top_pixel_change": c_top, "control_all_low_pixel_change": c_low,
        "control_ratio": c_top / max(c_low, 1e-12),
        "coarseness": coarse, "control_coarseness": c_coarse,
        "control2_coarseness": c2_coarse,
        "top_modes_pixel_change": high.pixel_change,
        "top_modes_probability_change": high.probability_change,
        "n_planes": a["probing_planes"] or rank - first, "first_mode": first + 1,
        "grids": {"original p(v|h)": low.probs_identity[shown],
                  f"modes >= {first + 1} scrambled": low.probs_rotated[shown],
                  "modes 1-2 rotated by pi": high.probs_rotated[shown]},
    }


EXPERIMENTS: dict[str, Callable[[Config, np.random.Generator, Models], dict[str, Any]]] = {
    "mp": mp_spectra, "js": rotation_symmetry, "kurtosis": kurtosis, "log_z": log_z_small,
    "langevin": langevin, "probing": hierarchical_probing,
}


def run_experiment(name: str, config: Config, seed: int, models: Models) -> dict[str, Any]:
    """Run experiment ``name`` of :data:`EXPERIMENTS` with its own seed."""
    return EXPERIMENTS[name](config, experiment_rng(seed, name), models)

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
    """

    weights: dict[int, list[np.ndarray]]
    probe: RBM
    image_shape: tuple[int, int]


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
    return {"n_visible": n, "n_hidden": m, "n_matrices": a["mp_matrices"], "std": std,
            "ks_statistic": float(ks.statistic), "ks_pvalue": float(ks.pvalue),
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
    return {"hidden": trained.hidden_sizes.tolist(), "inv_hidden": trained.inv_hidden,
            "js_mean": trained.mean, "js_std": trained.std,
            "untrained_mean": untrained.mean, "untrained_std": untrained.std,
            "ratio": {str(m): float(r) for m, r in zip(trained.hidden_sizes, ratio)}}


def kurtosis(config: Config, rng: np.random.Generator, models: Models) -> dict[str, Any]:
    """Figure 6: mean kurtosis of x_i (E19) vs 1/N and a straight-line fit."""
    a = config.analysis
    inv_n, kurt = gaussian.kurtosis_vs_size(tuple(a["kurtosis_sizes"]), a["kurtosis_hidden"],
                                            std=a["std"], rng=rng)
    slope, intercept = np.polyfit(inv_n, kurt, 1)
    return {"inv_n": np.asarray(inv_n), "mean_kurtosis": np.asarray(kurt),
            "slope": float(slope), "intercept": float(intercept)}


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
    small = out["lambda_1"] < 1.0
    out["meanfield_error_small"] = float(np.nanmax(error[small])) if small.any() else np.nan
    below = (out["lambda_1"] >= 1.0) & (out["lambda_1"] < 4.0)
    out["meanfield_error_below_4"] = float(np.nanmax(error[below])) if below.any() else np.nan
    out["meanfield_diverges_above_4"] = bool(np.all(np.isnan(out["meanfield"][out["lambda_1"] >= 4.0])))
    z = np.abs(np.concatenate([(out["ais"] - out["exact"]) / np.maximum(out["ais_se"], 1e-3),
                               (out["rais"] - out["exact"]) / np.maximum(out["rais_se"], 1e-3)]))
    out["annealing_max_abs_error"] = float(np.max(np.abs(np.concatenate(
        [out["ais"] - out["exact"], out["rais"] - out["exact"]]))))
    out["annealing_max_z"] = float(np.max(z))
    return out


def langevin(config: Config, rng: np.random.Generator, models: Models) -> dict[str, Any]:
    """Figure 8: Langevin variance of u for the trained model's modes below / above 4/beta.

    Uses the mode with the largest ``lambda < 4`` (bounded if its variance matches the
    exact Ornstein-Uhlenbeck value within 20 %) and the one with the smallest
    ``lambda >= 4.5`` (diverging if its variance becomes non-finite or grows tenfold over
    the second half), at beta = 1.
    """
    a = config.analysis
    pot = diffusion.mode_potential_from_rbm(models.probe)
    lam = pot.singular_values
    below = np.flatnonzero(lam < 4.0)
    # Above: the smallest mode with beta lambda >= 4.5, so both curves share a readable
    # axis and the divergence is shown close to the threshold (grows ~ e^(2(lam-4)t)).
    above = np.flatnonzero(lam >= 4.5)
    modes = ([int(below[0])] if below.size else []) + ([int(above[-1])] if above.size else [])
    sub = dataclasses.replace(
        pot, singular_values=lam[modes], stiffness=pot.stiffness[modes],
        coupling=pot.coupling[modes], force=pot.force[modes])
    res = diffusion.langevin(sub, a["langevin_trajectories"], a["langevin_steps"],
                             dt=a["langevin_dt"], record_every=max(1, a["langevin_steps"] // 50),
                             rng=rng)
    var = np.asarray(res.variance_u)
    out: dict[str, Any] = {"times": np.asarray(res.times), "modes": modes,
                           "lambda": lam[modes].tolist(), "variances": {}}
    for row, mode in enumerate(modes):
        label = f"mode {mode + 1}, lambda={lam[mode]:.2f} ({'>' if lam[mode] >= 4 else '<'} 4)"
        out["variances"][label] = var[row]
        half = var[row][len(var[row]) // 2]
        out[f"growth_mode_{mode + 1}"] = float(var[row][-1] / half) if half > 0 else np.inf
    if below.size:  # bounded: at its Ornstein-Uhlenbeck value (E13), far below a blow-up
        exact = float(diffusion.ou_variance(pot.stiffness_u[modes[0]], res.times[-1]))
        out["below_final_variance"], out["below_exact_variance"] = float(var[0][-1]), exact
        out["below_converges"] = bool(abs(var[0][-1] / exact - 1.0) < 0.2)
    else:
        out["below_converges"] = False
    out["above_diverges"] = bool(above.size and (not np.isfinite(var[-1][-1])
                                 or var[-1][-1] / var[-1][len(var[-1]) // 2] > 10.0))
    out["n_modes_above_4"] = int(np.sum(lam >= 4.0))
    return out


def hierarchical_probing(config: Config, rng: np.random.Generator,
                         models: Models) -> dict[str, Any]:
    """Figure 10: low modes scrambled vs modes 1-2 rotated by pi (common random numbers).

    The scrambling is ``probing_planes`` pi-rotations in random planes among the modes
    ``>= probing_first_mode``; the effect of scrambling all of them at once (one plane
    per mode) is recorded as well (``all_low_modes_pixel_change``).
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
    shown = slice(0, min(16, a["probing_chains"]))
    return {
        "low_modes_pixel_change": low.pixel_change,
        "low_modes_probability_change": low.probability_change,
        "all_low_modes_pixel_change": probing.probe(rbm, everything, **opts).pixel_change,
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

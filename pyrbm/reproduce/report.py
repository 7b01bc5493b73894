"""The outputs of ``pyrbm reproduce``: figures, ``results.json``, ``report.md``, ``report.html``.

:func:`claims` turns the measured numbers into the paper's claims, each with the
quantity measured, the criterion and whether it holds; :func:`write_report` draws the
twelve figures with :mod:`pyrbm.plots` and writes the three documents.
"""

from __future__ import annotations

import base64
import html
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from .. import plots
from ..analysis.spectrum import count_outliers, mp_edges

__all__ = ["FIGURES", "claims", "write_report"]

#: File name and caption of each figure, in the order of the paper's list.
FIGURES = {
    "fig01_mp_init.png": "Singular values of pooled random initializations with the Marchenko-Pastur law",
    "fig02_trained_spectra.png": "Trained spectra per hidden size (replica 0), MP edge and lambda = 4/beta",
    "fig03_sv_trajectories.png": "Leading singular values versus epoch (replica 0)",
    "fig04_saddle_energies.png": "Saddle energies and their sum versus epoch (replica 0)",
    "fig05_js.png": "JS divergence of rotated vs original weights versus 1/M",
    "fig06_kurtosis.png": "Mean kurtosis of x_i versus 1/N",
    "fig07_log_z.png": "ln Z - (N+M) ln 2 of small RBMs: exact, mean-field, AIS, RAIS",
    "fig08_langevin.png": "Langevin variance of modes below and above lambda = 4/beta",
    "fig09_mode1.png": "Mode-1 (u1, w1) of test data and of model samples versus epoch",
    "fig10_probing.png": "Hierarchical probing: low modes scrambled vs modes 1-2 rotated",
    "fig11_log_likelihood.png": "Test log-likelihood (AIS and RAIS) versus epoch",
    "fig12_samples.png": "Samples of the trained models",
}


def _first_exit(sv: np.ndarray, edge: float) -> np.ndarray:
    """Index of the first checkpoint where each mode is above ``edge`` (-1: never)."""
    above = sv > edge
    return np.where(above.any(axis=0), above.argmax(axis=0), -1)


def _by_hidden(runs: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {}
    for run in runs:
        out.setdefault(run["hidden"], []).append(run)
    return dict(sorted(out.items()))


def claims(runs: list[dict[str, Any]], experiments: dict[str, Any], n_visible: int,
           std: float) -> list[dict[str, Any]]:
    """Each claim of the paper with its measured quantity and verdict.

    Parameters
    ----------
    runs : list of dict
        Run summaries (:func:`pyrbm.reproduce.runs.summarize`).
    experiments : dict
        Results of :data:`pyrbm.reproduce.analysis.EXPERIMENTS` by name.
    n_visible : int
    std : float
        Initialization std (MP edge of the runs).

    Returns
    -------
    list of dict
        ``claim``, ``measured`` (text), ``criterion``, ``holds`` (bool), ``values``.
    """
    out = []

    def add(claim: str, measured: str, criterion: str, holds: bool, values: Any) -> None:
        out.append({"claim": claim, "measured": measured, "criterion": criterion,
                    "holds": bool(holds), "values": values})

    mp = experiments["mp"]
    add("At initialization the singular values follow the Marchenko-Pastur law",
        f"KS p-value {mp['ks_pvalue']:.3g} over {mp['n_matrices']} pooled "
        f"{mp['n_visible']}x{mp['n_hidden']} matrices", "p >= 0.05",
        mp["ks_pvalue"] >= 0.05, {"ks_pvalue": mp["ks_pvalue"]})

    groups = _by_hidden(runs)
    outliers = {m: [count_outliers(r["final_spectrum"], n_visible, m, std) for r in rs]
                for m, rs in groups.items()}
    above4 = {m: [int(np.sum(r["final_spectrum"] > 4.0)) for r in rs] for m, rs in groups.items()}
    add("Training: outliers leave the MP bulk", "modes above the MP edge (+5 TW) per replica: "
        + "; ".join(f"M={m}: {v}" for m, v in outliers.items()),
        ">= 1 for every run", all(min(v) >= 1 for v in outliers.values()), outliers)
    add("Training: some modes exceed lambda = 4/beta (beta = 1)", "modes with lambda > 4: "
        + "; ".join(f"M={m}: {v}" for m, v in above4.items()),
        ">= 1 for every run", all(min(v) >= 1 for v in above4.values()), above4)

    order = {}
    for m, rs in groups.items():
        exits = _first_exit(rs[0]["singular_values"], mp_edges(n_visible, m, std)[1])
        left = exits[exits >= 0]
        order[m] = left.tolist()
    add("Hierarchical learning: modes leave the MP bulk one after another",
        "checkpoint index at which modes 1..k first exceed the MP edge (replica 0; the "
        "values are sorted, so the order is largest first by construction): "
        + "; ".join(f"M={m}: {v}" for m, v in order.items()),
        "the modes that leave do so at >= 3 different checkpoints for every M",
        all(len(set(v)) >= 3 for v in order.values()), order)

    js = experiments["js"]
    add("Training breaks the rotational symmetry (JS trained >> JS untrained)",
        "JS trained / untrained: " + "; ".join(f"M={m}: {r:.3g}" for m, r in js["ratio"].items()),
        ">= 5 for every M", all(r >= 5 for r in js["ratio"].values()), js["ratio"])

    k = experiments["kurtosis"]
    add("Reciprocal variables become Gaussian: kurtosis = 3 - 6/N",
        f"fit of kurtosis vs 1/N: slope {k['slope']:.3f}, intercept {k['intercept']:.4f}",
        "|intercept - 3| < 0.05 and slope within 15 % of -6",
        abs(k["intercept"] - 3) < 0.05 and abs(k["slope"] + 6) < 0.9,
        {"slope": k["slope"], "intercept": k["intercept"]})

    z = experiments["log_z"]
    add("Mean-field ln Z is accurate for small weights",
        f"max |mean-field - exact| for lambda_1 < 1: {z['meanfield_error_small']:.3g} nats",
        "< 0.05 nats", z["meanfield_error_small"] < 0.05,
        {"error_small": z["meanfield_error_small"]})
    add("Mean-field ln Z breaks down beyond beta lambda = 4",
        f"max error for 1 <= lambda_1 < 4: {z['meanfield_error_below_4']:.3g} nats; "
        f"diverges for every lambda_1 >= 4: {z['meanfield_diverges_above_4']}",
        "diverges (MeanFieldDivergence) for every lambda_1 >= 4",
        z["meanfield_diverges_above_4"],
        {"error_below_4": z["meanfield_error_below_4"],
         "diverges_above_4": z["meanfield_diverges_above_4"]})
    add("AIS and RAIS agree with exact ln Z on small RBMs",
        f"max |error| {z['annealing_max_abs_error']:.3g} nats, max |z| {z['annealing_max_z']:.2f}",
        "max |error| < 0.1 nats", z["annealing_max_abs_error"] < 0.1,
        {"max_abs_error": z["annealing_max_abs_error"], "max_z": z["annealing_max_z"]})

    lv = experiments["langevin"]
    add("Langevin diffusion of a mode converges iff beta lambda < 4",
        f"modes {[m + 1 for m in lv['modes']]} with lambda {[round(x, 2) for x in lv['lambda']]}: "
        f"below 4 converges: {lv['below_converges']}, above 4 diverges: {lv['above_diverges']}",
        "the mode below 4 reaches its OU variance (20 %), the mode above 4 blows up",
        lv["below_converges"] and lv["above_diverges"],
        {"below_converges": lv["below_converges"], "above_diverges": lv["above_diverges"]})

    pr = experiments["probing"]
    ratio = pr["top_modes_pixel_change"] / max(pr["low_modes_pixel_change"], 1e-12)
    add("Top modes carry the coarse features (hierarchical probing)",
        f"mean pixel change: modes 1-2 rotated by pi {pr['top_modes_pixel_change']:.4f}; "
        f"{pr['n_planes']} random pi-planes among modes >= {pr['first_mode']} "
        f"{pr['low_modes_pixel_change']:.4f} (ratio {ratio:.2f}); all modes >= "
        f"{pr['first_mode']} scrambled at once {pr['all_low_modes_pixel_change']:.4f}",
        "ratio >= 2", ratio >= 2, {"ratio": ratio})

    gains = {}
    for m, rs in groups.items():
        gains[m] = [float(r[f"test_ll_{e}"][-1] - r[f"test_ll_{e}"][0])
                    for r in rs for e in ("ais", "rais") if len(r["ll_epochs"]) > 1]
    add("Log-likelihood increases over training",
        "test LL gain from the initial model to the end (AIS and RAIS per replica), nats: "
        + "; ".join(f"M={m}: {[round(g, 2) for g in v]}" for m, v in gains.items()),
        "> 0 for every run and estimator",
        all(v and min(v) > 0 for v in gains.values()), gains)
    return out


def _jsonable(value: Any) -> Any:
    """numpy -> lists; NaN and infinities -> None (strict JSON)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    return value


def _figures(out: Path, runs: list[dict[str, Any]], ex: dict[str, Any], n_visible: int,
             std: float, image_shape: tuple[int, int]) -> dict[str, Path]:
    groups = _by_hidden(runs)
    first = {m: rs[0] for m, rs in groups.items()}
    edge = {m: mp_edges(n_visible, m, std)[1] for m in groups}
    epochs = next(iter(first.values()))["epochs"]
    probe = first[max(first)]
    f = {name: out / name for name in FIGURES}
    names = list(FIGURES)
    mp, js, z, lv = ex["mp"], ex["js"], ex["log_z"], ex["langevin"]
    plots.plot_mp_histogram(mp["singular_values"], mp["n_visible"], mp["n_hidden"], mp["std"],
                            mp["ks_pvalue"], f[names[0]])
    plots.plot_trained_spectra({m: r["final_spectrum"] for m, r in first.items()}, edge, 1.0,
                               f[names[1]])
    plots.plot_singular_value_trajectories(epochs, {m: r["singular_values"] for m, r in first.items()},
                                           edge, 1.0, f[names[2]])
    plots.plot_saddle_energies(epochs, {m: r["saddle_energies"] for m, r in first.items()},
                               {m: r["saddle_total"] for m, r in first.items()}, f[names[3]])
    plots.plot_js_vs_inverse_hidden(js["inv_hidden"], js["js_mean"], js["js_std"],
                                    js["untrained_mean"], js["untrained_std"], f[names[4]])
    plots.plot_kurtosis(ex["kurtosis"]["inv_n"], ex["kurtosis"]["mean_kurtosis"], f[names[5]])
    plots.plot_log_z_comparison(z["labels"], z["exact"], z["meanfield"], z["ais"], z["ais_se"],
                                z["rais"], z["rais_se"], f[names[6]])
    plots.plot_langevin_variance(lv["times"], lv["variances"], f[names[7]])
    shown = np.unique(np.linspace(0, len(probe["epochs"]) - 1, 6).round().astype(int))
    plots.plot_mode_trajectory(probe["epochs"][shown], list(probe["data_uw"][shown]),
                               list(probe["model_uw"][shown]), f[names[8]])
    plots.plot_probing(ex["probing"]["grids"], image_shape, f[names[9]])
    mean = {m: {e: np.mean([r[f"test_ll_{e}"] for r in rs], axis=0) for e in ("ais", "rais")}
            for m, rs in groups.items()}
    plots.plot_log_likelihood({m: rs[0]["ll_epochs"] for m, rs in groups.items()},
                              {m: v["ais"] for m, v in mean.items()},
                              {m: v["rais"] for m, v in mean.items()}, f[names[10]])
    plots.plot_samples({m: r["final_samples"][:16] for m, r in first.items()}, image_shape,
                       f[names[11]])
    return f


_SKIP_IN_JSON = {"final_weights", "final_samples", "data_uw", "model_uw", "wall_time"}


def write_report(out: str | Path, *, config: dict[str, Any], seed: int, n_ranks: int,
                 runs: list[dict[str, Any]], experiments: dict[str, Any],
                 n_visible: int, image_shape: tuple[int, int],
                 figures: bool = True) -> dict[str, Any]:
    """Draw the figures and write ``results.json``, ``timings.json``, ``report.md`` and
    ``report.html``.

    ``results.json`` holds only what the seed determines, so two jobs with the same
    configuration and seed write the same file byte for byte; the run wall times (the
    one thing that varies) go to ``timings.json``.

    Parameters
    ----------
    out : str or pathlib.Path
        Output folder (exists).
    config : dict
        The configuration (``Config.to_dict()``).
    seed, n_ranks : int
    runs : list of dict
        Run summaries sorted by (hidden, replica).
    experiments : dict
        Analysis results by experiment name.
    n_visible : int
    image_shape : tuple of int
    figures : bool
        Draw the figures (False: numbers and documents only).

    Returns
    -------
    dict
        The content of ``results.json`` plus ``"timings"`` (that of ``timings.json``).
    """
    out = Path(out)
    std = config["analysis"]["std"]
    verdicts = claims(runs, experiments, n_visible, std)
    shown = FIGURES if figures else {}
    if figures:
        paths = _figures(out, runs, experiments, n_visible, std, image_shape)
    runs_json = [{k: v for k, v in r.items() if k not in _SKIP_IN_JSON} for r in runs]
    ex_json = {name: {k: v for k, v in res.items() if k not in ("singular_values", "grids")}
               for name, res in experiments.items()}
    results = _jsonable({"config": config, "seed": seed, "n_ranks": n_ranks,
                         "claims": verdicts, "runs": runs_json, "experiments": ex_json})
    (out / "results.json").write_text(json.dumps(results, indent=1))
    timings = {"wall_time": {f"M{r['hidden']:04d}_r{r['replica']}": float(r["wall_time"])
                             for r in runs}}
    (out / "timings.json").write_text(json.dumps(timings, indent=1))
    held = sum(c["holds"] for c in verdicts)
    lines = [f"# pyrbm reproduce: {config['name']} configuration, seed {seed}", "",
             f"{len(runs)} training runs (hidden sizes {sorted({r['hidden'] for r in runs})}, "
             f"{config['runs']['replicas']} replicas, {config['runs']['epochs']} epochs) on "
             f"{n_ranks} rank(s). {held} of {len(verdicts)} claims hold. Every number is in "
             "`results.json`; the archives are in `runs/`.", "",
             "| claim | measured | criterion | holds |", "|---|---|---|---|"]
    lines += [f"| {c['claim']} | {c['measured']} | {c['criterion']} | "
              f"{'yes' if c['holds'] else '**no**'} |" for c in verdicts]
    lines += ["", "## Figures", ""]
    lines += [f"![{caption}]({name})" for name, caption in shown.items()]
    (out / "report.md").write_text("\n".join(lines) + "\n")
    rows = "".join(f"<tr><td>{html.escape(c['claim'])}</td><td>{html.escape(c['measured'])}</td>"
                   f"<td>{html.escape(c['criterion'])}</td><td>{'yes' if c['holds'] else '<b>no</b>'}"
                   "</td></tr>" for c in verdicts)
    imgs = "".join(
        f"<figure><img src='data:image/png;base64,"
        f"{base64.b64encode(paths[name].read_bytes()).decode()}' style='max-width:100%'>"
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        for name, caption in shown.items())
    (out / "report.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>pyrbm reproduce</title></head>"
        f"<body><h1>{html.escape(lines[0][2:])}</h1><p>{html.escape(lines[2])}</p>"
        f"<table border='1'><tr><th>claim</th><th>measured</th><th>criterion</th><th>holds</th>"
        f"</tr>{rows}</table>{imgs}</body></html>\n")
    return {**results, "timings": timings}

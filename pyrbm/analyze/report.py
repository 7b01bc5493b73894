"""Tables and figures of ``pyrbm analyze``, drawn with :mod:`pyrbm.plots` and written with
the report machinery of ``pyrbm reproduce`` (:func:`pyrbm.reproduce.report.render_documents`)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from .. import plots

__all__ = ["figures_for_model", "figures_for_trajectory", "model_rows", "trajectory_rows"]


def image_shape(n_visible: int) -> tuple[int, int]:
    """Square images when ``n_visible`` is a square, else one row of pixels."""
    side = math.isqrt(n_visible)
    return (side, side) if side * side == n_visible else (1, n_visible)


def _g(x: Any, digits: int = 4) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    return f"{x:.{digits}g}"


def _list(values: Any, digits: int = 3) -> str:
    return "[" + ", ".join(_g(float(v), digits) for v in values) + "]"


def _modes(modes: list[int], shown: int = 12) -> str:
    return ", ".join(map(str, modes[:shown])) + (", ..." if len(modes) > shown else "")


def model_rows(r: dict[str, Any], n_null: int) -> list[list[str]]:
    """Rows (quantity, value, null / reference) of one model's table."""
    sp, lv, sd, sy, ku, lz = (r[k] for k in ("spectrum", "langevin", "saddles", "symmetry",
                                              "kurtosis", "log_z"))
    n, m = r["n_visible"], r["n_hidden"]
    rows = [
        ["size N x M (dtype)", f"{n} x {m} ({r['dtype']})", "-"],
        ["largest singular values", _list(sp["singular_values"][:6]), "-"],
        ["Marchenko-Pastur bulk fitted to the spectrum (median)",
         f"std {_g(sp['fitted_std'])}: edges [{_g(sp['mp_lower'])}, {_g(sp['mp_upper'])}], "
         f"Tracy-Widom scale {_g(sp['tw_scale'])}", "-"],
        ["outliers above the MP edge + margin", f"{sp['n_outliers']} above "
         f"{_g(sp['outlier_edge'])}: {_list(sp['outliers'])}",
         f"max {sp['null_outliers_max']} over {n_null} isotropic matrices of the fitted std"],
        ["KS test of the spectrum against the fitted MP law", f"p = {_g(sp['ks_pvalue'], 3)}",
         "p >= 0.05 for a bulk-only (untrained) spectrum"],
        [f"modes above beta lambda = 4 (beta = {r['beta']:g})",
         f"{sp['n_above_4']}: modes {_modes(sp['modes_above_4'])}", "0 at initialization"],
    ]
    for mode, lam, conv, var, exact, p in zip(lv["modes"], lv["lambda"], lv["predicted_converges"],
                                              lv["final_variance"], lv["exact_variance"],
                                              lv["p_value"]):
        rows.append([f"Langevin, mode {mode} (lambda = {_g(lam)})",
                     f"simulated var(u) at t = {_g(float(lv['times'][-1]), 3)}: {_g(var)}",
                     f"E13 predicts {'convergence' if conv else 'divergence'}; exact "
                     f"Euler-Maruyama variance {_g(exact)}, chi2 p = {_g(p, 3)}"])
    if sd["defined"]:
        rows.append(["saddle energies eps_i = a0_i b0_i / lambda_i (top modes), total",
                     f"{_list(sd['energies'][:6])}, total {_g(sd['total'])}", "-"])
    else:
        rows.append(["saddle energies", "undefined (a zero singular value)", "-"])
    rows += [
        ["rotational symmetry: JS(W, W_rot) (nats)", f"{_g(sy['js'])} ({sy['bins']} bins)",
         f"{_g(sy['null_mean'])} +- {_g(sy['null_std'])} over {n_null} isotropic matrices "
         f"of the same norm; ratio {_g(sy['ratio'], 3)}"],
        ["mean kurtosis of x_i = (U^T v)_i and y_i (uniform v, h)",
         f"x: {_g(ku['mean_x'])}, y: {_g(ku['mean_y'])}",
         f"Haar: {_g(ku['haar_x'])}, {_g(ku['haar_y'])}; isotropic matrix: "
         f"{_g(ku['null_mean_x'])}, {_g(ku['null_mean_y'])}"],
        ["kurtosis of x_i of the top modes", _list(ku["top_x"][:6]), f"Haar {_g(ku['haar_x'])}"],
        ["ln Z: exact", _g(lz["exact"], 7) if lz["exact"] is not None else
         "n/a (smaller layer too large to enumerate)", "-"],
        ["ln Z: mean-field (E20)", _g(lz["meanfield"], 7) if lz["meanfield"] is not None else
         f"diverges (beta lambda >= 4 for modes {_modes(lz['meanfield_divergent_modes'], 8)})",
         "valid only while every beta lambda < 4"],
        ["ln Z: AIS / reverse AIS", f"{_g(lz['ais'], 7)} +- {_g(lz['ais_se'], 2)} / "
         f"{_g(lz['rais'], 7)} +- {_g(lz['rais_se'], 2)}",
         "AIS <= RAIS + 2 (SE_AIS + SE_RAIS), else one has not converged: "
         + ("yes" if lz["bracket_ordered"] else "**no**")],
    ]
    for name, value in lz.get("test_ll", {}).items():
        rows.append([f"test log-likelihood with ln Z {name} (nats per sample)", _g(value, 6), "-"])
    pr = r["probing"]
    if pr is not None:
        rows.append(["hierarchical probing: mean pixel change",
                     f"modes 1-2 rotated by pi: {_g(pr['top_modes_pixel_change'])}; modes >= "
                     f"{pr['first_mode']} scrambled: {_g(pr['low_modes_pixel_change'])}",
                     f"ratio {_g(pr['ratio'], 3)} (> 1: top modes carry the coarse features)"])
    return rows


def trajectory_rows(t: dict[str, Any]) -> list[list[str]]:
    """Rows of a run's table: first and last checkpoint side by side."""
    first, last = 0, len(t["times"]) - 1
    rows = [["checkpoints analysed", f"{len(t['times'])} (time {_g(t['times'][first])} to "
             f"{_g(t['times'][last])})", "-"],
            ["lambda_1 first -> last", f"{_g(t['singular_values'][first, 0])} -> "
             f"{_g(t['singular_values'][last, 0])}", "-"],
            ["outliers first -> last", f"{t['n_outliers'][first]} -> {t['n_outliers'][last]}", "-"],
            ["modes above beta lambda = 4 first -> last",
             f"{t['n_above_4'][first]} -> {t['n_above_4'][last]}", "-"],
            ["total saddle energy first -> last", f"{_g(t['saddle_total'][first])} -> "
             f"{_g(t['saddle_total'][last])}", "-"]]
    if "ll_times" in t:
        rows.append(["test log-likelihood AIS / RAIS at times " + _list(t["ll_times"]),
                     f"{_list(t['test_ll_ais'], 5)} / {_list(t['test_ll_rais'], 5)}", "-"])
    return rows


def figures_for_model(out: Path, prefix: str, label: str, r: dict[str, Any],
                      time: float) -> dict[str, str]:
    """Draw one model's figures; return file name -> caption."""
    shape = image_shape(r["n_visible"])
    m, sp, lv = r["n_hidden"], r["spectrum"], r["langevin"]
    f: dict[str, str] = {}

    def name(stem: str, caption: str) -> Path:
        f[f"{prefix}{stem}.png"] = f"{label}: {caption}"
        return out / f"{prefix}{stem}.png"

    plots.plot_trained_spectra({m: sp["singular_values"]}, {m: sp["mp_upper"]}, r["beta"],
                               name("spectrum", "sorted singular values, fitted MP edge, "
                                                "lambda = 4/beta"))
    curves = {f"mode {i}, lambda={lam:.2f} ({'<' if conv else '>='} 4/beta)": var
              for i, lam, conv, var in zip(lv["modes"], lv["lambda"], lv["predicted_converges"],
                                           lv["variance"])}
    plots.plot_langevin_variance(lv["times"], curves,
                                 name("langevin", "Langevin variance of u per mode"))
    lz = r["log_z"]
    if lz["exact"] is not None:
        shift = (r["n_visible"] + m) * np.log(2.0)
        mf = np.nan if lz["meanfield"] is None else lz["meanfield"] - shift
        plots.plot_log_z_comparison([label], [lz["exact"] - shift], [mf], [lz["ais"] - shift],
                                    [lz["ais_se"]], [lz["rais"] - shift], [lz["rais_se"]],
                                    name("log_z", "ln Z - (N+M) ln 2: exact, mean-field, "
                                                  "AIS, RAIS"))
    if r["probing"] is not None:
        grids = {k: v[:16] for k, v in r["probing"]["grids"].items()}
        plots.plot_probing(grids, shape, name("probing", "hierarchical probing"))
    plots.plot_samples({m: r["samples"][:16]}, shape, name("samples", "samples, p(v | h)"))
    if "data_uw" in r:
        plots.plot_mode_trajectory([time], [r["data_uw"]], [r["model_uw"]],
                                   name("mode1", "mode-1 (u1, w1) of data and model samples"))
    return f


def figures_for_trajectory(out: Path, prefix: str, label: str, t: dict[str, Any],
                           n_hidden: int, beta: float) -> dict[str, str]:
    """Draw a run's figures versus training time; return file name -> caption."""
    f: dict[str, str] = {}

    def name(stem: str, caption: str) -> Path:
        f[f"{prefix}{stem}.png"] = f"{label}: {caption}"
        return out / f"{prefix}{stem}.png"

    m = n_hidden
    plots.plot_singular_value_trajectories(t["times"], {m: t["singular_values"]},
                                           {m: float(t["mp_upper"][-1])}, beta,
                                           name("sv_trajectories", "leading singular values "
                                                "versus training time"))
    plots.plot_saddle_energies(t["times"], {m: t["saddle_energies"]}, {m: t["saddle_total"]},
                               name("saddle_energies", "saddle energies versus training time"))
    if "data_uw" in t:
        plots.plot_mode_trajectory(t["uw_times"], t["data_uw"], t["model_uw"],
                                   name("mode1_trajectory", "mode-1 (u1, w1) versus training time"))
        plots.plot_log_likelihood({m: t["ll_times"]}, {m: t["test_ll_ais"]}, {m: t["test_ll_rais"]},
                                  name("log_likelihood",
                                       "test log-likelihood versus training time"))
    return f

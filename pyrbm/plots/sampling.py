"""Figures of sampling and dynamics: partition-function estimates, Langevin variances,
mode-1 trajectories, hierarchical probing, log-likelihood curves and model samples.

Each function follows the contract of :mod:`pyrbm.plots` (validated arrays in, one PNG out).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from . import _style as P
from ._style import PathLike

__all__ = [
    "plot_langevin_variance",
    "plot_log_likelihood",
    "plot_log_z_comparison",
    "plot_mode_trajectory",
    "plot_probing",
    "plot_samples",
]


def plot_log_z_comparison(
    labels: Sequence[str],
    exact: ArrayLike,
    meanfield: ArrayLike,
    ais: ArrayLike,
    ais_se: ArrayLike,
    rais: ArrayLike,
    rais_se: ArrayLike,
    path: PathLike,
) -> Path:
    """Figure 7: ``ln Z - (N+M) ln 2`` of small RBMs by four methods.

    Parameters
    ----------
    labels : sequence of str, length S
        One label per model (e.g. ``"N=12, M=8, λ=2"``), drawn on the x axis.
    exact, meanfield, ais, rais : array_like, shape (S,)
        ``ln Z - (N+M) ln 2`` from each method; ``meanfield`` may hold NaN where the
        mean-field expansion is undefined (``beta lambda >= 4``), marked on the axis.
    ais_se, rais_se : array_like, shape (S,)
        Standard errors (>= 0), drawn as error bars.
    path : str or os.PathLike

    Returns
    -------
    pathlib.Path
    """
    out = P.output_path(path)
    names = P.str_list(labels, "labels")
    n = (len(names),)
    ex = P.array(exact, "exact", 1, shape=n)
    mf = P.array(meanfield, "meanfield", 1, shape=n, allow_nan=True)
    est = {"AIS": (P.array(ais, "ais", 1, shape=n), P.array(ais_se, "ais_se", 1, shape=n,
                                                            minimum=0.0)),
           "reverse AIS": (P.array(rais, "rais", 1, shape=n),
                           P.array(rais_se, "rais_se", 1, shape=n, minimum=0.0))}
    x = np.arange(len(names), dtype=np.float64)
    fig, (ax,) = P.new_figure(1, panel=(max(6.4, 0.9 * len(names) + 2), 4.6))
    ax.plot(x, ex, "s", color="black", markersize=8, fillstyle="none", label="exact")
    ok = np.isfinite(mf)
    ax.plot(x[ok], mf[ok], "D", color="tab:green", label="mean-field (E20)")
    if not ok.all():
        ax.plot(x[~ok], np.full((~ok).sum(), 0.04), "x", color="tab:green", markersize=10,
                markeredgewidth=2, transform=ax.get_xaxis_transform(), clip_on=False,
                label=r"mean-field undefined ($\beta\lambda \geq 4$)")
    for (name, (val, se)), dx, color in zip(est.items(), (-0.15, 0.15), ("tab:blue", "tab:red")):
        ax.errorbar(x + dx, val, yerr=se, fmt="o", capsize=3, color=color, label=f"{name} ± s.e.")
    ax.set_xticks(x, names, rotation=30 if max(map(len, names)) > 8 else 0, ha="right"
                  if max(map(len, names)) > 8 else "center")
    ax.set_ylabel(r"$\ln Z - (N+M)\ln 2$ (nats)")
    ax.set_xlabel("model")
    ax.set_title("Log partition function of small RBMs")
    ax.legend(fontsize="small")
    return P.save(fig, out)


def plot_langevin_variance(times: ArrayLike, variances: Mapping[str, ArrayLike],
                           path: PathLike) -> Path:
    """Figure 8: variance of Langevin mode coordinates versus time (log y).

    Parameters
    ----------
    times : array_like, shape (T,)
    variances : dict of str to array_like, shape (T,)
        Variance per labelled mode, e.g. ``"λ=2.1 (βλ<4)"``; entries >= 0. Non-finite
        entries (a diverged run) are allowed and left out of the curve.
    path : str or os.PathLike

    Returns
    -------
    pathlib.Path
    """
    out = P.output_path(path)
    t = P.array(times, "times", 1)
    labels = P.labelled_dict(variances, "variances")
    curves = {}
    for name in labels:
        v = P.array(variances[name], f"variances[{name!r}]", 1, shape=t.shape, minimum=0.0,
                    allow_nan=True, allow_inf=True)
        if not (np.isfinite(v) & (v > 0)).any():
            raise ValueError(f"variances[{name!r}]: no finite value > 0 to draw on a log axis")
        curves[name] = np.where(np.isfinite(v) & (v > 0), v, np.nan)
    fig, (ax,) = P.new_figure(1, panel=(6.4, 4.4))
    for (name, v), color in zip(curves.items(), P.mode_colors(len(curves))):
        ax.plot(t, v, color=color, linewidth=1.6, label=name)
    ax.set_yscale("log")
    ax.set_xlabel("Langevin time t = steps × dt")
    ax.set_ylabel("variance of the mode coordinate")
    ax.set_title("Langevin dynamics of reciprocal modes")
    ax.legend()
    return P.save(fig, out)


def plot_mode_trajectory(
    epochs: ArrayLike, data_uw: Sequence[ArrayLike], model_uw: Sequence[ArrayLike], path: PathLike,
    unit: str = "epoch",
) -> Path:
    """Figure 9: mode-1 rotated coordinates of data and model samples, one panel per epoch.

    Parameters
    ----------
    epochs : array_like, shape (T,)
    data_uw, model_uw : sequence of T array_like, each shape (n, 2)
        ``(u_1, w_1)`` of test images and of model samples at each epoch, relative to
        the mode-1 saddle (gauge-fixed); ``n`` may differ between entries.
    path : str or os.PathLike
    unit : str
        What ``epochs`` counts, in the panel titles (e.g. "update" for update indices).

    Returns
    -------
    pathlib.Path
    """
    out = P.output_path(path)
    ep = P.array(epochs, "epochs", 1)
    data = P.point_lists(data_uw, "data_uw", ep.size)
    model = P.point_lists(model_uw, "model_uw", ep.size)
    fig, axes = P.new_figure(ep.size, panel=(3.8, 3.6))
    for ax, e, d, m in zip(axes, ep, data, model):
        ax.scatter(d[:, 0], d[:, 1], s=8, alpha=0.4, color="tab:gray", label="test data",
                   rasterized=True)
        ax.scatter(m[:, 0], m[:, 1], s=8, alpha=0.4, color="tab:blue", label="model samples",
                   rasterized=True)
        ax.plot(0.0, 0.0, "X", color="tab:red", markersize=10, markeredgecolor="white",
                label="saddle")
        ax.set_title(f"{unit} {round(float(e), 2):g}")
        ax.set_xlabel(r"$u_1$")
        ax.set_ylabel(r"$w_1$")
    axes[0].legend(fontsize="small")
    fig.suptitle(r"Mode 1 in rotated coordinates $(u_1, w_1)$ about its saddle")
    return P.save(fig, out)


def plot_probing(grids: Mapping[str, ArrayLike], image_shape: tuple[int, int],
                 path: PathLike) -> Path:
    """Figure 10: rows of image grids from hierarchical probing.

    Parameters
    ----------
    grids : dict of str to array_like, shape (n, H*W) or (n, H, W)
        Images (pixel values in [0, 1]) per labelled row, e.g. ``"original"``,
        ``"modes ≥ 6 scrambled"``, ``"modes 1–2 rotated"``; rows keep the dict order.
    image_shape : tuple of int
        ``(H, W)``, e.g. ``(28, 28)``.
    path : str or os.PathLike

    Returns
    -------
    pathlib.Path
    """
    out = P.output_path(path)
    shape = P.image_shape_of(image_shape)
    labels = P.labelled_dict(grids, "grids")
    rows = [P.images(grids[k], f"grids[{k!r}]", shape) for k in labels]
    ncols = max(r.shape[0] for r in rows)
    # ~0.75 in per 28-pixel image; bounded so that tiny or many images stay legible
    width = min(16.0, max(6.0, 0.75 * ncols * shape[1] / 28 + 1.0))
    height = max(1.4, 0.9 * shape[0] / 28 + 0.5)
    fig, axes = P.new_figure(len(rows), ncols=1, panel=(width, height))
    for ax, name, tiles in zip(axes, labels, rows):
        P.show_mosaic(ax, tiles, ncols, name)
    fig.suptitle("Hierarchical probing of reciprocal modes")
    return P.save(fig, out)


def plot_log_likelihood(
    epochs: Mapping[int, ArrayLike], ais: Mapping[int, ArrayLike], rais: Mapping[int, ArrayLike],
    path: PathLike, null: Mapping[int, float] | None = None,
) -> Path:
    """Figure 11: test log-likelihood versus epoch per ``M``, AIS and reverse AIS.

    AIS (a stochastic lower bound of ``ln Z``, hence an upper estimate of the
    likelihood) and reverse AIS bracket the true value; the bracket is shaded.

    Parameters
    ----------
    epochs : dict of int to array_like, shape (T_M,)
    ais, rais : dict of int to array_like, shape (T_M,)
        Mean test log-likelihood per image (nats) at those epochs (same keys).
    path : str or os.PathLike
    null : dict of int to float, optional
        The final log-likelihood of a null control per ``M``, drawn as a dashed level.

    Returns
    -------
    pathlib.Path
    """
    out = P.output_path(path)
    sizes = P.sizes_dict(epochs, "epochs")
    P.same_keys(sizes, ais, "ais", "epochs")
    P.same_keys(sizes, rais, "rais", "epochs")
    fig, (ax,) = P.new_figure(1, panel=(6.4, 4.4))
    for m, color in zip(sizes, P.mode_colors(len(sizes))):
        x = P.array(epochs[m], f"epochs[{m}]", 1)
        a = P.array(ais[m], f"ais[{m}]", 1, shape=x.shape)
        r = P.array(rais[m], f"rais[{m}]", 1, shape=x.shape)
        ax.plot(x, a, color=color, marker="o", markersize=4, label=f"M = {m}, AIS")
        ax.plot(x, r, color=color, marker="v", markersize=4, linestyle="--",
                label=f"M = {m}, reverse AIS")
        ax.fill_between(x, np.minimum(a, r), np.maximum(a, r), color=color, alpha=0.2)
        if null is not None:
            ax.axhline(float(null[m]), color=color, linestyle=":", linewidth=1.2,
                       label=f"M = {m}, null")
    ax.set_xlabel("epoch")
    ax.set_ylabel("test log-likelihood (nats per image)")
    ax.set_title("Test log-likelihood during training")
    ax.legend(fontsize="small", ncols=2 if len(sizes) > 2 else 1)
    return P.save(fig, out)


def plot_samples(samples: Mapping[int, ArrayLike], image_shape: tuple[int, int],
                 path: PathLike) -> Path:
    """Figure 12: a grid of model samples for each hidden size.

    Parameters
    ----------
    samples : dict of int to array_like, shape (n, H*W) or (n, H, W)
        Samples (binary or probabilities in [0, 1]) of the trained model per ``M``.
    image_shape : tuple of int
        ``(H, W)``.
    path : str or os.PathLike

    Returns
    -------
    pathlib.Path
    """
    out = P.output_path(path)
    shape = P.image_shape_of(image_shape)
    sizes = P.sizes_dict(samples, "samples")
    tiles = [P.images(samples[m], f"samples[{m}]", shape) for m in sizes]
    fig, axes = P.new_figure(len(sizes), panel=(3.8, 4.0))
    for ax, m, t in zip(axes, sizes, tiles):
        P.show_mosaic(ax, t, int(np.ceil(np.sqrt(t.shape[0]))), f"M = {m} ({t.shape[0]} samples)")
    fig.suptitle("Samples of the trained models")
    return P.save(fig, out)

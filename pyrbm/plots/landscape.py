"""Figures of the energy landscape: singular-value spectra and their Marchenko–Pastur
bulk, saddle energies, the rotational symmetry (JS divergence) and the Gaussianity
(kurtosis) of the reciprocal variables.

Each function follows the contract of :mod:`pyrbm.plots` (validated arrays in, one PNG out).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from . import _style as P
from ._style import PathLike
from ..analysis.spectrum import mp_density, mp_edges

__all__ = [
    "plot_js_vs_inverse_hidden",
    "plot_kurtosis",
    "plot_mp_histogram",
    "plot_saddle_energies",
    "plot_singular_value_trajectories",
    "plot_trained_spectra",
]


def plot_mp_histogram(
    singular_values: ArrayLike,
    n_visible: int,
    n_hidden: int,
    std: float,
    ks_pvalue: float,
    path: PathLike,
) -> Path:
    """Figure 1: pooled singular values at initialization against Marchenko–Pastur.

    Parameters
    ----------
    singular_values : array_like, any shape (flattened), entries >= 0
        Singular values pooled over random ``(N, M)`` initializations.
    n_visible, n_hidden : int
        ``N`` and ``M``.
    std : float
        Entry standard deviation of the initializations, > 0.
    ks_pvalue : float
        p-value of the Kolmogorov–Smirnov test against MP, in ``[0, 1]``.
    path : str or os.PathLike
        Output PNG.

    Returns
    -------
    pathlib.Path
    """
    out = P.output_path(path)
    lam = P.array(singular_values, "singular_values", None, minimum=0.0)
    lo, hi = mp_edges(n_visible, n_hidden, std)
    p = P.probability(ks_pvalue, "ks_pvalue")
    fig, (ax,) = P.new_figure(1, panel=(6.4, 4.4))
    ax.hist(lam, bins=min(80, max(10, lam.size // 50)), density=True, color="tab:blue",
            alpha=0.55, label=f"{lam.size:,} pooled singular values")
    grid = np.linspace(lo, hi, 400)
    shown = f"{p:.3f}" if p >= 1e-3 else f"{p:.2e}"  # "1" for 0.9996 would read as exact
    ax.plot(grid, mp_density(grid, n_visible, n_hidden, std), color="black", linewidth=1.8,
            label=f"Marchenko–Pastur, KS p = {shown}")
    for edge, name in ((lo, r"$\lambda_-$"), (hi, r"$\lambda_+$")):
        ax.axvline(edge, color="tab:red", linestyle="--", linewidth=1.0,
                   label=f"MP edge {name} = {edge:.3g}")
    ax.set_ylim(0.0, 1.45 * ax.get_ylim()[1])  # headroom for the legend
    ax.set_xlabel(r"singular value $\lambda$ (weight units)")
    ax.set_ylabel(r"density $\rho(\lambda)$")
    ax.set_title(f"Singular values at initialization, N = {n_visible}, M = {n_hidden}, "
                 f"σ = {std:g}")
    ax.legend(loc="upper center", fontsize="small", ncols=2)
    return P.save(fig, out)


def plot_trained_spectra(
    spectra: Mapping[int, ArrayLike], mp_edge: Mapping[int, float], beta: float, path: PathLike,
    null: Mapping[int, ArrayLike] | None = None,
) -> Path:
    """Figure 2: sorted singular values of the trained models, one curve per ``M``.

    Parameters
    ----------
    spectra : dict of int to array_like, shape (L_M,)
        Singular values (>= 0, any order) of one trained model per hidden size.
    mp_edge : dict of int to float
        Upper Marchenko–Pastur edge ``lambda_+`` for each ``M`` (same keys).
    beta : float
        Inverse temperature; the line ``lambda = 4 / beta`` is drawn.
    path : str or os.PathLike
    null : dict of int to array_like, shape (L_M,), optional
        Singular values of a null control per ``M`` (same keys), drawn dashed.

    Returns
    -------
    pathlib.Path
    """
    out = P.output_path(path)
    sizes = P.sizes_dict(spectra, "spectra")
    P.same_keys(sizes, mp_edge, "mp_edge", "spectra")
    if null is not None:
        P.same_keys(sizes, null, "null", "spectra")
    b = P.positive_scalar(beta, "beta")
    fig, (ax,) = P.new_figure(1, panel=(6.4, 4.4))
    for m, color in zip(sizes, P.mode_colors(len(sizes))):
        lam = np.sort(P.array(spectra[m], f"spectra[{m}]", 1, minimum=0.0))[::-1]
        edge = P.positive_scalar(mp_edge[m], f"mp_edge[{m}]")
        ax.plot(np.arange(1, lam.size + 1), lam, color=color, marker=".", markersize=3,
                label=f"M = {m}")
        ax.axhline(edge, color=color, linestyle=":", linewidth=1.2)
        if null is not None:
            lam0 = np.sort(P.array(null[m], f"null[{m}]", 1, minimum=0.0))[::-1]
            ax.plot(np.arange(1, lam0.size + 1), lam0, color=color, linestyle="--",
                    linewidth=1.0)
    ax.plot([], [], color="gray", linestyle=":", label=r"MP edge $\lambda_+$ (per M)")
    if null is not None:
        ax.plot([], [], color="gray", linestyle="--", label="null (per M)")
    P.hline(ax, 4.0 / b, rf"$\lambda = 4/\beta$ = {4.0 / b:.3g}")
    ax.set_yscale("log")
    ax.set_xlabel("index i (sorted, largest first)")
    ax.set_ylabel(r"singular value $\lambda_i$ (weight units)")
    ax.set_title(rf"Trained spectra ($\beta$ = {b:g})")
    ax.legend()
    return P.save(fig, out)


def plot_singular_value_trajectories(
    epochs: ArrayLike,
    values: Mapping[int, ArrayLike],
    mp_edge: Mapping[int, float],
    beta: float,
    path: PathLike,
    null: Mapping[int, ArrayLike] | None = None,
    xlabel: str = "epoch",
) -> Path:
    """Figure 3: top singular values versus epoch, one panel per ``M`` (log y).

    Parameters
    ----------
    epochs : array_like, shape (T,)
    values : dict of int to array_like, shape (T, k)
        ``lambda_i(epoch)`` of the ``k`` largest modes for each hidden size; > 0.
    mp_edge : dict of int to float
        Upper MP edge per ``M`` (same keys).
    beta : float
        The line ``lambda = 4 / beta`` is drawn.
    path : str or os.PathLike
    null : dict of int to array_like, shape (T,), optional
        A null control's largest singular value per ``M``, drawn dashed ("null").
    xlabel : str
        Label of the x axis; "update" draws it on a log scale.

    Returns
    -------
    pathlib.Path
    """
    out = P.output_path(path)
    x, sizes = P.array(epochs, "epochs", 1), P.sizes_dict(values, "values")
    if null is not None:
        P.same_keys(sizes, null, "null", "values")
    P.same_keys(sizes, mp_edge, "mp_edge", "values")
    b = P.positive_scalar(beta, "beta")
    lams = [P.array(values[m], f"values[{m}]", 2, shape=(x.size, None), positive=True)
            for m in sizes]
    edges = [P.positive_scalar(mp_edge[m], f"mp_edge[{m}]") for m in sizes]
    fig, axes = P.new_figure(len(sizes), sharey=True)
    for ax, m, lam, edge in zip(axes, sizes, lams, edges):
        P.mode_lines(ax, x, lam, r"\lambda")
        P.hline(ax, edge, rf"MP edge $\lambda_+$ = {edge:.3g}", color="tab:red", linestyle=":")
        P.hline(ax, 4.0 / b, rf"$\lambda = 4/\beta$ = {4.0 / b:.3g}")
        if null is not None:
            ax.plot(x, P.array(null[m], f"null[{m}]", 1, shape=x.shape, positive=True),
                    color="tab:gray", linestyle="-.", linewidth=1.4, label=r"null $\lambda_1$")
        ax.set_yscale("log")
        if xlabel == "update":
            ax.set_xscale("log")
        ax.set_title(f"M = {m}")
        ax.set_xlabel(xlabel)
        ax.legend(fontsize="small")
    axes[0].set_ylabel(r"singular value $\lambda_i$ (weight units)")
    fig.suptitle("Singular values during training")
    return P.save(fig, out)


def plot_saddle_energies(
    epochs: ArrayLike, energies: Mapping[int, ArrayLike], totals: Mapping[int, ArrayLike],
    path: PathLike,
) -> Path:
    """Figure 4: saddle energies ``eps_i`` per ``M`` and their totals versus epoch.

    Parameters
    ----------
    epochs : array_like, shape (T,)
    energies : dict of int to array_like, shape (T, k)
        ``eps_i(epoch)`` of ``k`` modes for each hidden size (e.g. columns of
        ``pyrbm.analysis.tracking.track_modes(...).saddle_energies``); NaN entries are not drawn.
    totals : dict of int to array_like, shape (T,)
        ``sum_i eps_i(epoch)`` over all modes (same keys).
    path : str or os.PathLike

    Returns
    -------
    pathlib.Path
    """
    out = P.output_path(path)
    x, sizes = P.array(epochs, "epochs", 1), P.sizes_dict(energies, "energies")
    P.same_keys(sizes, totals, "totals", "energies")
    # NaN allowed: pyrbm.analysis.tracking.track_modes gives NaN where a mode's lam is 0
    eps = [P.array(energies[m], f"energies[{m}]", 2, shape=(x.size, None), allow_nan=True)
           for m in sizes]
    for m, e in zip(sizes, eps):
        if np.isnan(e).all():
            raise ValueError(f"energies[{m}]: all NaN, nothing to draw")
    tot = [P.array(totals[m], f"totals[{m}]", 1, shape=(x.size,)) for m in sizes]
    fig, axes = P.new_figure(len(sizes) + 1)
    for ax, m, e in zip(axes, sizes, eps):
        P.mode_lines(ax, x, e, r"\varepsilon")
        ax.axhline(0.0, color="gray", linewidth=0.8)
        ax.set_title(f"M = {m}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(r"saddle energy $\varepsilon_i$ (units of $1/\beta$)")
        ax.legend(fontsize="small")
    ax = axes[-1]
    for m, t, color in zip(sizes, tot, P.mode_colors(len(sizes))):
        ax.plot(x, t, color=color, marker=".", label=f"M = {m}")
    ax.set_title("Total saddle energy")
    ax.set_xlabel("epoch")
    ax.set_ylabel(r"$\sum_i \varepsilon_i$ (units of $1/\beta$)")
    ax.legend(fontsize="small")
    fig.suptitle(r"Saddle energies $\varepsilon_i = a^0_i b^0_i / \lambda_i$ during training")
    return P.save(fig, out)


def plot_js_vs_inverse_hidden(
    inv_m: ArrayLike,
    js_mean: ArrayLike,
    js_std: ArrayLike,
    untrained_mean: ArrayLike,
    untrained_std: ArrayLike,
    path: PathLike,
    null_mean: ArrayLike | None = None,
) -> Path:
    """Figure 5: rotation JS divergence of trained weights versus ``1/M`` (log y).

    Parameters
    ----------
    inv_m : array_like, shape (S,)
        ``1 / M`` for each hidden size.
    js_mean, js_std : array_like, shape (S,)
        Mean (> 0) and standard deviation (>= 0) over replicas of the trained models.
    untrained_mean, untrained_std : float or array_like, shape (S,)
        Untrained (random-matrix) level: one value, or one per hidden size; drawn as a
        dashed line with a ``± std`` band.
    path : str or os.PathLike
    null_mean : array_like, shape (S,), optional
        The same statistic on a null control (e.g. a random walk of W), drawn dashed.

    Returns
    -------
    pathlib.Path

    Notes
    -----
    On the log axis a lower error bar with ``std >= mean`` runs off the bottom of the plot.
    """
    out = P.output_path(path)
    x = P.array(inv_m, "inv_m", 1, positive=True)
    mean = P.array(js_mean, "js_mean", 1, shape=(x.size,), positive=True)
    std = P.array(js_std, "js_std", 1, shape=(x.size,), minimum=0.0)
    u_mean = P.level(untrained_mean, "untrained_mean", x.size, positive=True)
    u_std = P.level(untrained_std, "untrained_std", x.size, minimum=0.0)
    nm = None if null_mean is None else P.array(null_mean, "null_mean", 1, shape=(x.size,),
                                                positive=True)
    order = np.argsort(x)
    x, mean, std, u_mean, u_std = (a[order] for a in (x, mean, std, u_mean, u_std))
    fig, (ax,) = P.new_figure(1, panel=(6.4, 4.4))
    lower = np.minimum(std, 0.999 * mean)
    ax.errorbar(x, mean, yerr=[lower, std], marker="o", capsize=4, color="tab:blue",
                label="trained (mean ± std over replicas)")
    span = x if x.size > 1 else np.array([0.8, 1.2]) * x
    ax.plot(span, np.resize(u_mean, span.size), color="tab:gray", linestyle="--",
            label="untrained (random weights)")
    band_lo = np.maximum(u_mean - u_std, 1e-3 * u_mean)
    ax.fill_between(span, np.resize(band_lo, span.size), np.resize(u_mean + u_std, span.size),
                    color="tab:gray", alpha=0.25, label="untrained ± std")
    if nm is not None:
        ax.plot(x, nm[order], color="black", linestyle="-.", marker="x", label="null")
    ax.set_yscale("log")
    # Limits from the means and the band: a lower bar that reaches 0 runs off the axis.
    top = max((mean + std).max(), (u_mean + u_std).max())
    ax.set_ylim(min(mean.min(), band_lo.min()) / 3, 2 * top)
    ax.set_xlabel(r"$1/M$ (inverse number of hidden units)")
    ax.set_ylabel("JS divergence, rotated vs original W (nats)")
    ax.set_title("Rotation symmetry breaking versus hidden size")
    ax.legend()
    return P.save(fig, out)


def plot_kurtosis(inv_n: ArrayLike, mean_kurtosis: ArrayLike, path: PathLike) -> Path:
    """Figure 6: mean kurtosis of the paired coordinates ``x_i`` versus ``1/N``.

    Parameters
    ----------
    inv_n : array_like, shape (S,)
        ``1 / N`` for each visible size; > 0.
    mean_kurtosis : array_like, shape (S,)
    path : str or os.PathLike

    Returns
    -------
    pathlib.Path
        The figure also shows the least-squares line when there are >= 2 sizes.
    """
    out = P.output_path(path)
    x = P.array(inv_n, "inv_n", 1, positive=True)
    k = P.array(mean_kurtosis, "mean_kurtosis", 1, shape=(x.size,))
    fig, (ax,) = P.new_figure(1, panel=(6.4, 4.4))
    grid = np.linspace(0.0, 1.1 * x.max(), 100)
    ax.plot(grid, 3.0 - 6.0 * grid, color="black", linestyle="--", label=r"$3 - 6/N$")
    if np.unique(x).size >= 2:
        slope, intercept = np.polyfit(x, k, 1)
        ax.plot(grid, intercept + slope * grid, color="tab:orange", linewidth=1.0,
                label=f"fit: {intercept:.4f} {'−' if slope < 0 else '+'} {abs(slope):.2f}/N")
    ax.plot(x, k, "o", color="tab:blue", label=r"measured mean kurtosis of $x_i$")
    ax.axhline(3.0, color="gray", linewidth=0.8, linestyle=":")
    ax.set_xlabel(r"$1/N$ (inverse number of visible units)")
    ax.set_ylabel(r"mean kurtosis of $x_i$ (dimensionless; Gaussian = 3)")
    ax.set_title("Gaussianity of the reciprocal coordinates")
    ax.legend()
    return P.save(fig, out)

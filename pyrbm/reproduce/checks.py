"""The claim checks of ``pyrbm reproduce`` as functions of plain numbers.

Each check takes the statistic of one case (a measured run or experiment, or its null
control) and returns a :class:`Verdict`: whether the criterion holds, the value and a
short text. The report applies every check to the measured data and to a null control
on which the claim is false (a random walk of ``W`` with the training's step sizes,
isotropic random matrices, spikes with random singular vectors, a mode on the other
side of ``beta lambda = 4``), and a claim holds only if its check passes on the data and
fails on the null (:func:`against_null`). ``pyrbm analyze`` calls the same functions.
The thresholds are explained in docs/reproduce.md ("Criteria and their nulls").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.stats

__all__ = [
    "CRITERIA", "Verdict", "against_null", "aligned", "aligned_outliers", "annealing_accuracy",
    "bracket", "exit_updates", "exceeds_threshold", "hierarchy", "kurtosis_fit",
    "langevin_converges", "langevin_growth", "largest_aligned", "learned_modes",
    "likelihood_gain", "low_frequency_fraction", "meanfield_breakdown", "meanfield_small",
    "mp_law", "outliers", "probing_coarseness", "symmetry_breaking",
]

#: Thresholds (measured on positives and nulls; see docs/reproduce.md).
MP_ALPHA = 0.05            # KS test level
JS_RATIO = 5.0             # JS trained / JS untrained
HIERARCHY_RHO = 0.8        # Spearman rho of exit update vs mode index
HIERARCHY_DECADES = 1.0    # exits span at least this many decades of updates
HIERARCHY_MIN_MODES = 3
MIN_OUTLIERS = 3           # per run; training on shuffled pixels (lr 1e-3) gives 1
ALIGNMENT_FACTOR = 1.5     # a learned mode's correlation gain / the independence bound
MIN_GAIN = 1.0             # nats; lr = 0 gives 0, shuffled pixels (lr 1e-3) <= 0.1
MF_SMALL = 0.05            # nats, lambda_1 < 1
MF_BREAKDOWN = 1.0         # nats, somewhere below beta lambda = 4
MF_RHO = 0.9               # Spearman rho of the error vs lambda_1 below 4
ANNEALING_TOL = 0.1        # nats against exact
LANGEVIN_PLATEAU = 0.1     # relative
LANGEVIN_RATE = 0.15       # relative error of the growth rate
PROBING_RATIO = 2.0        # low-frequency fraction, trained / control
BRACKET_WIDTH = 2.0        # nats, AIS - RAIS log-likelihood
TRAJECTORY_TOL = 1.0       # nats, trajectory AIS within the bracket widened by this


@dataclass(frozen=True)
class Verdict:
    """The outcome of one check on one case.

    Attributes
    ----------
    holds : bool
    value : Any
        The statistic (plain numbers, lists, dicts).
    text : str
        The statistic in words (a table cell of the report).
    """

    holds: bool
    value: Any
    text: str


def _fmt(x: float) -> str:
    return "nan" if not np.isfinite(x) else f"{x:.3g}"


def against_null(measured: Verdict, null: Verdict | None) -> bool:
    """A claim holds when its check passes on the data and fails on its null."""
    return bool(measured.holds and (null is None or not null.holds))


def mp_law(pvalues: Mapping[str, float], alpha: float = MP_ALPHA) -> Verdict:
    """KS test against MP: every p-value at least ``alpha``."""
    p = {k: float(v) for k, v in pvalues.items()}
    return Verdict(all(v >= alpha for v in p.values()), p,
                   "KS p " + ", ".join(f"{k} {_fmt(v)}" for k, v in p.items()))


def aligned(gains: Sequence[float] | np.ndarray, bound: float,
            factor: float = ALIGNMENT_FACTOR) -> np.ndarray:
    """Which modes point along the data's correlations: gain above ``factor * bound``.

    ``gains`` are the modes' correlation gains in the training data and ``bound`` the
    largest gain any direction has when the pixels are independent
    (:mod:`pyrbm.analysis.alignment`). Training on shuffled pixels grows modes up to
    the bound and no further (their gain fits the sample's noise); ``factor`` leaves a
    margin for the bound's finite-size fluctuations.

    Returns
    -------
    numpy.ndarray of bool, shape (k,)
    """
    return np.asarray(np.asarray(gains, np.float64) > factor * float(bound))


def learned_modes(singular_values: Sequence[float] | np.ndarray, edge: float,
                  gains: Sequence[float] | np.ndarray, bound: float) -> np.ndarray:
    """Indices of the modes above the fitted bulk ``edge`` that are also :func:`aligned`.

    Returns
    -------
    numpy.ndarray of int, ascending (the modes' order, largest singular value first)
    """
    sv = np.asarray(singular_values, np.float64)
    return np.flatnonzero((sv > float(edge)) & aligned(gains, bound)[: sv.size])


def aligned_outliers(singular_values: Sequence[float] | np.ndarray, edge: float,
                     gains: Sequence[float] | np.ndarray, bound: float) -> int:
    """How many :func:`learned_modes` there are."""
    return int(learned_modes(singular_values, edge, gains, bound).size)


def largest_aligned(singular_values: Sequence[float] | np.ndarray,
                    gains: Sequence[float] | np.ndarray, bound: float) -> float:
    """The largest singular value among the :func:`aligned` modes (0 if there is none)."""
    sv = np.asarray(singular_values, np.float64)
    keep = aligned(gains, bound)[: sv.size]
    return float(sv[keep].max()) if keep.any() else 0.0


def outliers(counts: Mapping[int, Sequence[int]], minimum: int = MIN_OUTLIERS) -> Verdict:
    """Learned modes above the fitted bulk edge: at least ``minimum`` in every run.

    The counts are of :func:`aligned_outliers`: modes above the MP edge fitted to the
    bulk of the same matrix that also point along the data's correlations. PCD on
    shuffled pixels (pixel means kept, correlations gone) grows hundreds of modes above
    the fitted edge, none of them aligned (measured, docs/reproduce.md).
    """
    c = {int(m): [int(x) for x in v] for m, v in counts.items()}
    return Verdict(bool(c) and all(min(v) >= minimum for v in c.values()), c,
                   "; ".join(f"M={m}: {v}" for m, v in c.items()))


def exceeds_threshold(largest: Mapping[int, Sequence[float]], threshold: float = 4.0,
                      edges: Mapping[int, Sequence[float]] | None = None) -> Verdict:
    """Largest singular value of every run above ``threshold`` (= 4/beta), as an outlier.

    With ``edges`` (the MP edge fitted to the bulk of the same matrix, with its
    Tracy-Widom margin, per run) ``lambda_1`` must also lie above that edge: a bulk
    wide enough to reach 4 (a random walk of ``W`` with a long training's step sizes
    reaches ``lambda_1`` = 4.9 at M = 500, measured) is not a mode that exceeds 4.
    """
    lam = {int(m): [float(x) for x in v] for m, v in largest.items()}
    edge = None if edges is None else {int(m): [float(x) for x in v] for m, v in edges.items()}
    ok = bool(lam)
    for m, values in lam.items():
        limits = [threshold] * len(values) if edge is None else \
            [max(threshold, e) for e in edge[m]]
        ok = ok and all(x > lim for x, lim in zip(values, limits))
    text = "lambda " + "; ".join(
        f"M={m}: {[round(x, 2) for x in v]}"
        + ("" if edge is None else f" (bulk edge {[round(x, 2) for x in edge[m]]})")
        for m, v in lam.items())
    return Verdict(ok, lam, text)


def exit_updates(updates: Sequence[int], singular_values: np.ndarray,
                 edges: Sequence[float], gains: np.ndarray | None = None,
                 bound: float | None = None) -> list[int]:
    """Update at which each of the top modes first lies above the fitted bulk edge.

    With ``gains`` and ``bound`` a mode leaves only when it is also :func:`aligned`
    with the data's correlations at that checkpoint (a learned mode, not PCD noise).

    Parameters
    ----------
    updates : sequence of int, length T
        Update index of each checkpoint (log-spaced from update 1).
    singular_values : numpy.ndarray, shape (T, k)
        Leading singular values at each checkpoint, largest first.
    edges : sequence of float, length T
        Fitted bulk edge (with its Tracy-Widom margin) at each checkpoint.
    gains : numpy.ndarray, shape (T, k), optional
        Correlation gain of each of those modes in the training data.
    bound : float, optional
        The independence bound of that data (required with ``gains``).

    Returns
    -------
    list of int, length k
        The update, or -1 for a mode that never leaves.
    """
    sv = np.asarray(singular_values, np.float64)
    above = sv > np.asarray(edges, np.float64)[:, None]
    if gains is not None:
        if bound is None:
            raise ValueError("bound: required with gains")
        g = np.asarray(gains, np.float64)
        above &= aligned(g.ravel(), bound).reshape(g.shape)
    up = np.asarray(updates, np.int64)
    return [int(up[above[:, i].argmax()]) if above[:, i].any() else -1
            for i in range(sv.shape[1])]


def _hierarchy_one(exits: Sequence[int]) -> tuple[bool, dict[str, float]]:
    e = np.asarray(exits, np.float64)
    left = np.flatnonzero(e > 0)
    stats = {"n_left": int(left.size), "rho": float("nan"), "decades": float("nan")}
    if left.size >= 2:
        stats["decades"] = float(np.log10(e[left].max() / e[left].min()))
        if np.ptp(e[left]) > 0:
            stats["rho"] = float(scipy.stats.spearmanr(left, e[left]).statistic)
    ok = (stats["n_left"] >= HIERARCHY_MIN_MODES and stats["rho"] >= HIERARCHY_RHO
          and stats["decades"] >= HIERARCHY_DECADES)
    return bool(ok), stats


def hierarchy(exits: Mapping[int, Sequence[int]]) -> Verdict:
    """Modes leave the bulk one after another, over at least a decade of updates.

    For each hidden size (replica 0): at least 3 of the top modes leave, the Spearman
    rank correlation of exit update with mode index is at least 0.8 and the exits span
    at least one decade of updates.
    """
    out: dict[int, dict[str, Any]] = {}  # the float statistics and the list of exits
    ok = bool(exits)
    for m, e in exits.items():
        holds, stats = _hierarchy_one(e)
        out[int(m)] = {**stats, "exits": [int(x) for x in e]}
        ok = ok and holds
    text = "; ".join(f"M={m}: {s['n_left']} leave, rho {_fmt(s['rho'])}, "
                     f"{_fmt(s['decades'])} decades" for m, s in out.items())
    return Verdict(ok, out, text)


def symmetry_breaking(ratios: Mapping[Any, float], minimum: float = JS_RATIO,
                      learned: Mapping[Any, Sequence[int]] | None = None) -> Verdict:
    """JS divergence over its untrained level: at least ``minimum`` for every M.

    With ``learned`` (the :func:`aligned_outliers` of every run, by M) each run must
    also have a learned mode: the entry statistic alone is broken by PCD on shuffled
    pixels as well (JS ratio 9.9, measured), so it shows *training* breaking the
    symmetry only where the runs learned some of the data's correlations.
    """
    r = {str(k): float(v) for k, v in ratios.items()}
    ok = bool(r) and all(v >= minimum for v in r.values())
    text = "JS ratio " + "; ".join(f"M={k}: {_fmt(v)}" for k, v in r.items())
    if learned is not None:
        counts = {str(k): [int(x) for x in v] for k, v in learned.items()}
        every_run_learned = all(counts.get(k) and min(counts[k]) >= 1 for k in r)
        ok = ok and every_run_learned
        if not every_run_learned:
            text += " (a run without learned modes)"
    return Verdict(ok, r, text)


def kurtosis_fit(slope: float, intercept: float) -> Verdict:
    """Mean kurtosis vs 1/N: intercept within 0.05 of 3, slope within 15 % of -6."""
    ok = abs(intercept - 3.0) < 0.05 and abs(slope + 6.0) < 0.9
    return Verdict(bool(ok), {"slope": float(slope), "intercept": float(intercept)},
                   f"slope {slope:.3f}, intercept {intercept:.4f}")


def meanfield_small(error: float) -> Verdict:
    """Largest mean-field error (nats) of the small-weight models below 0.05."""
    return Verdict(bool(error < MF_SMALL), float(error), f"max error {_fmt(error)} nats")


def meanfield_breakdown(lambdas: Sequence[float], errors: Sequence[float]) -> Verdict:
    """The mean-field error grows with beta lambda_1 and exceeds 1 nat before 4.

    Over the scanned models with ``lambda_1 < 4``: Spearman rho of error vs lambda_1
    at least 0.9 and a largest error of at least 1 nat.
    """
    lam, err = np.asarray(lambdas, np.float64), np.asarray(errors, np.float64)
    keep = (lam < 4.0) & np.isfinite(err)
    rho = (float(scipy.stats.spearmanr(lam[keep], err[keep]).statistic)
           if keep.sum() >= 3 and np.ptp(err[keep]) > 0 else float("nan"))
    top = float(err[keep].max()) if keep.any() else float("nan")
    ok = rho >= MF_RHO and top >= MF_BREAKDOWN
    return Verdict(bool(ok), {"rho": rho, "max_error": top},
                   f"rho {_fmt(rho)}, max error {_fmt(top)} nats below 4")


def annealing_accuracy(max_abs_error: float) -> Verdict:
    """AIS and RAIS within 0.1 nats of exact enumeration."""
    return Verdict(bool(max_abs_error < ANNEALING_TOL), float(max_abs_error),
                   f"max |error| {_fmt(max_abs_error)} nats")


def langevin_converges(times: Sequence[float], variance: Sequence[float],
                       stationary: float) -> Verdict:
    """The variance reaches a plateau at the stationary OU variance ``D / (4 - beta lambda)``.

    The mean over the last 20 % of the run is within 10 % of ``stationary`` and the mean
    over its last half differs by less than 10 % from that over its first half. ``stationary`` is NaN where no
    stationary law exists (then only the plateau is tested, and it fails on a growing
    variance).
    """
    t, var = np.asarray(times, np.float64), np.asarray(variance, np.float64)
    late = var[t >= 0.8 * t[-1]]
    half = late.size // 2
    finite = bool(np.all(np.isfinite(late))) and half > 0 and np.mean(late[:half]) > 0
    # drift: mean over the last tenth against the tenth before (averages out the noise)
    drift = float(abs(np.mean(late[half:]) / np.mean(late[:half]) - 1.0)) if finite \
        else float("inf")
    level = float(np.mean(late)) if finite else float("inf")
    match = abs(level / stationary - 1.0) if np.isfinite(stationary) and stationary > 0 \
        else float("nan")
    ok = drift < LANGEVIN_PLATEAU and (not np.isfinite(stationary) or match < LANGEVIN_PLATEAU)
    return Verdict(bool(ok and np.isfinite(level)),
                   {"late_mean": level, "stationary": float(stationary), "drift": drift},
                   f"late variance {_fmt(level)} (stationary {_fmt(stationary)}), "
                   f"drift {_fmt(drift)}")


def langevin_growth(times: Sequence[float], variance: Sequence[float], lam: float,
                    beta: float = 1.0) -> Verdict:
    """ln Var(u) grows at the predicted rate ``2 (beta lambda - 4)`` (within 15 %).

    The rate is the least-squares slope of ``ln Var`` over the second half of the run;
    a predicted rate <= 0 (a mode below 4) cannot match a growth.
    """
    t, var = np.asarray(times, np.float64), np.asarray(variance, np.float64)
    keep = (t >= 0.5 * t[-1]) & np.isfinite(var) & (var > 0)
    rate = float(np.polyfit(t[keep], np.log(var[keep]), 1)[0]) if keep.sum() >= 3 \
        else float("nan")
    predicted = 2.0 * (beta * lam - 4.0)
    ok = predicted > 0 and abs(rate / predicted - 1.0) < LANGEVIN_RATE
    return Verdict(bool(ok), {"rate": rate, "predicted": predicted},
                   f"growth rate {_fmt(rate)} (predicted {_fmt(predicted)})")


def low_frequency_fraction(change: np.ndarray, image_shape: tuple[int, int],
                           radius: float | None = None) -> float:
    """Fraction of the spatial power of image changes at low spatial frequency.

    Parameters
    ----------
    change : numpy.ndarray, shape (n, H * W)
        Per-sample change of ``p(v | h)`` under a rotation of modes.
    image_shape : tuple of int
        ``(H, W)``.
    radius : float, optional
        Frequencies with ``|k| <= radius`` (in FFT index units) count as low; default
        ``min(H, W) / 7`` (4 for 28 x 28: strokes and blobs, not pixel noise).

    Returns
    -------
    float
        Mean over samples of ``sum_{|k| <= radius} |F(k)|^2 / sum_k |F(k)|^2``; about
        ``pi radius^2 / (H W)`` for spatially white changes, near 1 for smooth ones.
    """
    h, w = image_shape
    d = np.asarray(change, np.float64).reshape(-1, h, w)
    power = np.abs(np.fft.fft2(d)) ** 2
    ky, kx = np.meshgrid(np.fft.fftfreq(h) * h, np.fft.fftfreq(w) * w, indexing="ij")
    r = min(h, w) / 7.0 if radius is None else float(radius)
    low = (kx**2 + ky**2) <= r * r
    total = power.sum(axis=(1, 2))
    keep = total > 0
    return float(np.mean(power[keep][:, low].sum(axis=1) / total[keep])) if keep.any() \
        else float("nan")


def probing_coarseness(fraction: float, control_fraction: float,
                       probed_learned: bool | None = None) -> Verdict:
    """The top-mode rotation changes coarse structure: low-frequency power fraction at
    least twice that of the control model (same singular values and biases, Haar-random
    singular vectors: the spectrum without the features).

    With ``probed_learned`` the probed modes 1 and 2 must also be :func:`aligned` with
    the data's correlations: coarse changes from modes that the data does not have (PCD
    on shuffled pixels grows such modes) are not features of the data.
    """
    rel = fraction / control_fraction if control_fraction > 0 else float("inf")
    ok = bool(rel >= PROBING_RATIO) and probed_learned is not False
    text = (f"low-frequency fraction of the modes 1-2 change {_fmt(fraction)} vs "
            f"control {_fmt(control_fraction)} ({_fmt(rel)}x)")
    if probed_learned is False:
        text += "; modes 1-2 not learned"
    return Verdict(ok, {"fraction": float(fraction), "control_fraction": float(control_fraction),
                        "probed_learned": probed_learned}, text)


def bracket(ll_ais: float, ll_rais: float, ll_trajectory: float | None = None,
            std_error: float = 0.0) -> dict[str, Any]:
    """The AIS / RAIS bracket of one log-likelihood and whether it can be trusted.

    AIS underestimates ``log Z`` (its log-likelihood is the upper end), RAIS
    overestimates it. The bracket is valid when ``-2 se <= AIS - RAIS <= 2`` nats (``se``
    the combined standard error of the two estimates: an inversion within the noise
    is not one) and the trajectory-AIS value (if given) lies within 1 nat of it.
    """
    width = float(ll_ais - ll_rais)
    inverted = width < -2.0 * float(std_error)
    traj_ok = True
    if ll_trajectory is not None and np.isfinite(ll_trajectory):
        traj_ok = bool(ll_rais - TRAJECTORY_TOL <= ll_trajectory <= ll_ais + TRAJECTORY_TOL)
    valid = bool(not inverted and width <= BRACKET_WIDTH and traj_ok and np.isfinite(width))
    return {"width": width, "inverted": bool(inverted), "trajectory_agrees": traj_ok,
            "valid": valid}


def likelihood_gain(runs: Mapping[str, Mapping[str, float]]) -> Verdict:
    """Test log-likelihood rises with training, on trusted brackets.

    ``runs`` maps a run name to ``initial_upper`` (the initial model's AIS estimate),
    ``final_lower`` (the final model's RAIS estimate), ``final_upper`` and optionally
    ``final_trajectory`` and ``std_error`` (combined, of the final AIS and RAIS). Holds
    when every final bracket is valid (:func:`bracket`) and the final lower end is at
    least 1 nat above the initial upper end.
    """
    out, ok = {}, bool(runs)
    for name, r in runs.items():
        b = bracket(r["final_upper"], r["final_lower"], r.get("final_trajectory"),
                    r.get("std_error", 0.0))
        gain = float(r["final_lower"] - r["initial_upper"])
        traj = r.get("final_trajectory")
        out[name] = {"gain": gain, **b, "trajectory_offset":
                     None if traj is None else float(traj - 0.5 * (r["final_upper"]
                                                                  + r["final_lower"]))}
        ok = ok and b["valid"] and gain >= MIN_GAIN
    text = "; ".join(f"{n}: gain {v['gain']:.1f}, bracket {v['width']:.2f}"
                     + (f", trajectory {v['trajectory_offset']:+.2f}"
                        if v.get("trajectory_offset") is not None else "")
                     + (" INVERTED" if v["inverted"] else "") + ("" if v["valid"] else " (not valid)")
                     for n, v in out.items())
    return Verdict(ok, out, text)


#: Criterion text of each check (the report's "criterion" column).
CRITERIA = {
    "mp": f"KS p >= {MP_ALPHA} on pooled fresh and on the runs' initial weights",
    "outliers": f"at least {MIN_OUTLIERS} learned modes (correlation gain > "
                f"{ALIGNMENT_FACTOR:g} x the independent-pixel bound) above the MP edge fitted "
                "to the bulk of the same matrix + 5 Tracy-Widom scales, every run",
    "above4": "the largest learned mode's lambda > 4 and above the fitted bulk edge (+5 TW) "
              "in every run",
    "hierarchy": f">= {HIERARCHY_MIN_MODES} of the top modes leave the fitted bulk as learned "
                 f"modes (gain > {ALIGNMENT_FACTOR:g} x bound), Spearman "
                 f"rho(exit update, mode index) >= {HIERARCHY_RHO}, exits span >= "
                 f"{HIERARCHY_DECADES:g} decade of updates (replica 0, every M)",
    "js": f"JS ratio >= {JS_RATIO:g} for every M, every run with a learned mode",
    "kurtosis": "|intercept - 3| < 0.05 and slope within 15 % of -6",
    "mf_small": f"< {MF_SMALL} nats for lambda_1 < 1",
    "mf_breakdown": f"error grows with lambda_1 (Spearman rho >= {MF_RHO}) and exceeds "
                    f"{MF_BREAKDOWN:g} nat below beta lambda_1 = 4",
    "annealing": f"max |error| < {ANNEALING_TOL} nats",
    "langevin": "below 4: variance plateaus (10 %) at D/(4 - beta lambda) after >= 5 "
                "relaxation times; above 4: ln Var grows at 2(beta lambda - 4) (15 %)",
    "probing": f"rotating modes 1-2 by pi changes coarse structure: low spatial frequency "
               f"(|k| <= side/7) power fraction of the change >= {PROBING_RATIO:g} x that of "
               "the same-spectrum random-vector control; modes 1-2 learned",
    "likelihood": f"final RAIS LL >= initial AIS LL + {MIN_GAIN:g} nat and a valid final bracket (0 <= AIS - "
                  f"RAIS <= {BRACKET_WIDTH:g} nats, trajectory AIS within {TRAJECTORY_TOL:g} nat)",
}

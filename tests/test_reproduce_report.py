"""The claims of the reproduce report (pyrbm.reproduce.report): verdicts follow the
numbers, and a check that passes on its null is not evidence."""

from __future__ import annotations

import numpy as np

import pyrbm
from pyrbm.reproduce.report import claims

from .reproduce_cases import _restore_threads  # noqa: F401 - a fixture


def _fake(ks_pvalue: float, below_converges: bool, gain: float = 5.0) -> tuple[list, dict]:
    """Minimal run summaries and experiment results for :func:`claims`.

    ``gain``: the correlation gain of the four outliers (bound 1.2); 1.1 is a model
    whose spectrum grew without learning the data's correlations (shuffled pixels).
    """
    gen = np.random.default_rng(0)
    spectrum = np.sort(gen.uniform(0.0, 0.3, 10))[::-1] + np.r_[9.0, 6.0, 5.0, 3.0, np.zeros(6)]
    updates = np.array([1, 2, 4, 8, 16, 32])
    trajectory = np.array([[2, .05, .05, .05], [3, 2, .05, .05], [4, 3, .05, .05],
                           [5, 4, 2, .05], [6, 5, 3, .05], [7, 6, 4, 2]])
    runs = [{"hidden": 10, "replica": r, "final_spectrum": spectrum, "final_outliers": 3,
             "null_outliers": 0, "null_spectrum": np.full(10, 0.3), "init_ks_pvalue": 0.5,
             "updates": updates, "singular_values": trajectory, "bulk_edge": np.full(6, 1.0),
             "null_singular_values": np.full((6, 4), 0.3), "null_bulk_edge": np.full(6, 1.0),
             "ll_epochs": np.array([0, 1]), "test_ll_ais": np.array([-9.0, -5.0]),
             "test_ll_rais": np.array([-9.0, -6.0]), "test_ll_traj": np.array([-9.0, -5.5]),
             "null_test_ll_ais": -9.5, "alignment_bound": 1.2,
             "final_alignment": np.r_[np.full(4, gain), np.ones(6)],
             "mode_values": trajectory, "null_mode_values": np.full((6, 4), 0.3),
             "null_final_alignment": np.ones(10),
             "alignment": np.where(trajectory > 1.0, gain, 1.0), "null_alignment": np.ones((6, 4))}
            for r in range(2)]
    t = np.linspace(0, 25, 200)
    ou = pyrbm.dynamics.diffusion.ou_variance
    experiments = {
        "mp": {"ks_pvalue": ks_pvalue, "null_ks_pvalue": 1e-9, "n_matrices": 5,
               "n_visible": 20, "n_hidden": 10},
        "js": {"ratio": {"10": 20.0}, "null_ratio": {"10": 1.1}},
        "kurtosis": {"slope": -6.1, "intercept": 3.01, "null_slope": 0.1, "null_intercept": 1.4},
        "log_z": {"meanfield_error_small": 0.01, "null_meanfield_error_small": 3.0,
                  "lambda_1": np.array([0.5, 1, 2, 3, 6]),
                  "meanfield_error": np.array([0.01, 0.1, 1.0, 3.0, np.nan]),
                  "null_lambdas": np.array([0.1, 0.2, 0.3]),
                  "null_meanfield_error": np.array([1e-4, 2e-4, 3e-4]),
                  "annealing_max_abs_error": 0.01, "null_annealing_max_abs_error": 3.0},
        "langevin": {"times": t, "below_series": ou(0.3 if below_converges else -0.1, t),
                     "below_stationary": 1 / 0.3, "below_lambda": 3.7,
                     "above_series": ou(-0.3, t), "above_stationary": np.nan,
                     "above_lambda": 4.3, "modes": [3, 0]},
        "probing": {"coarseness": 0.8, "control_coarseness": 0.08, "control2_coarseness": 0.07},
    }
    return runs, experiments


def test_claim_verdicts_follow_the_numbers() -> None:
    good = claims(*_fake(0.5, True))
    assert all(c["holds"] for c in good), [c["claim"] for c in good if not c["holds"]]
    assert all(c["null"].endswith("(fails)") for c in good)
    bad = {c["claim"]: c["holds"] for c in claims(*_fake(0.01, False))}
    assert [name for name, holds in bad.items() if not holds] == [
        "At initialization the singular values follow the Marchenko-Pastur law",
        "Langevin diffusion of a mode converges iff beta lambda < 4"]
    # A check that passes on its null is not evidence: the claim does not hold.
    runs, experiments = _fake(0.5, True)
    experiments["js"]["null_ratio"] = {"10": 9.0}
    js = [c for c in claims(runs, experiments) if c["key"] == "js"][0]
    assert not js["holds"] and "the check is not evidence" in js["null"]


def test_learning_claims_need_modes_aligned_with_the_data() -> None:
    # The same spectra, exits, JS ratio and probing contrast, but modes whose correlation
    # gain stays below 1.5 x the independent-pixel bound (what PCD on shuffled pixels
    # grows): every spectral claim that needs learning fails.
    verdict = {c["key"]: c["holds"] for c in claims(*_fake(0.5, True, gain=1.1))}
    assert [k for k in ("outliers", "above4", "hierarchy", "js", "probing", "langevin")
            if verdict[k]] == []
    assert verdict["mp"] and verdict["kurtosis"] and verdict["likelihood"]


def _likelihood_verdict(agrees: bool) -> list[dict[str, object]]:
    run = {"trajectory_offset": 0.4 if agrees else 17.5, "trajectory_agrees": agrees}
    return [{"key": "likelihood", "holds": agrees, "values": {"measured": {"M500_r0": run}}}]


def test_likelihood_note_names_the_trajectory_and_the_overlap() -> None:
    """When trajectory AIS misses the bracket the report says so, with where the PTT
    acceptance between consecutive checkpoints drops (pair k joins the independent end,
    update 0 and the checkpoints in order); no note when the claim holds."""
    from pyrbm.reproduce.report import _likelihood_note

    runs = [{"updates": [1, 2, 4, 8, 16], "pt_swap_acceptance": [0.9, 0.5, 0.3, 0.004, 0.0, None]}]
    note = _likelihood_note(runs, _likelihood_verdict(False))
    assert note is not None and "+17.5" in note and "update 4-4" in note and "+17.5 to +17.5" in note and "1 of 1" in note
    assert _likelihood_note(runs, _likelihood_verdict(True)) is None
    mixed = [{**runs[0], "pt_swap_acceptance": [0.9, 0.5, 0.3, 0.2, 0.1, 0.1]}]
    assert "stays above 0.01" in str(_likelihood_note(mixed, _likelihood_verdict(False)))

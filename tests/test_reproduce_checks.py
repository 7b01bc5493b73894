"""The claim checks of pyrbm reproduce: each holds on a case where its claim is true and
fails on a null control where it is false (synthetic data, fixed seeds, small sizes)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import pyrbm
from pyrbm.analysis import spectrum
from pyrbm.reproduce import checks, load_config, nulls
from pyrbm.reproduce.analysis import Models, kurtosis, langevin, log_z_small
from pyrbm.reproduce.report import CLAIMS, _langevin_checks, claims

from .conftest import small_rbm

N, M = 61, 37  # distinct primes


def _spiked(gen: np.random.Generator, strengths: list[float], std: float = 0.01) -> np.ndarray:
    """An i.i.d. N(0, std^2) matrix plus rank-one spikes with random vectors."""
    w = gen.normal(0.0, std, (N, M))
    for s in strengths:
        u, v = gen.standard_normal(N), gen.standard_normal(M)
        w += s * np.outer(u / np.linalg.norm(u), v / np.linalg.norm(v))
    return w


# -- MP law -----------------------------------------------------------------------------
def test_mp_law_holds_on_iid_and_fails_on_heteroscedastic_columns() -> None:
    gen = np.random.default_rng(0)
    iid = np.array([np.linalg.svd(gen.normal(0, 0.01, (N, M)), compute_uv=False)
                    for _ in range(40)])
    p_iid = spectrum.ks_test(iid, N, M, 0.01).pvalue
    p_null = spectrum.ks_test(nulls.heteroscedastic_spectra(N, M, 40, 0.01, gen), N, M,
                              0.01).pvalue
    assert checks.mp_law({"iid": p_iid}).holds
    assert not checks.mp_law({"null": p_null}).holds
    assert not checks.mp_law({"iid": p_iid, "null": p_null}).holds  # every p-value counts


# -- outliers against the fitted bulk -------------------------------------------------------
def test_fit_bulk_finds_planted_spikes_and_nothing_in_a_random_walk() -> None:
    gen = np.random.default_rng(1)
    spiked = np.linalg.svd(_spiked(gen, [1.0, 0.6, 0.4]), compute_uv=False)
    fit = spectrum.fit_bulk(spiked, N, M)
    assert fit.n_outliers == 3
    np.testing.assert_allclose(fit.std, 0.01, rtol=0.1)
    # A random walk with 50 steps: wider bulk, no outlier against its own fitted edge...
    w0 = gen.normal(0, 0.01, (N, M))
    walk = nulls.random_walk(w0, w0 + gen.normal(0, 0.05, (N, M)), gen)
    walk_sv = np.linalg.svd(walk, compute_uv=False)
    assert spectrum.fit_bulk(walk_sv, N, M).n_outliers == 0
    # ...while the edge of the initial std (the old criterion) counts the whole bulk.
    assert spectrum.count_outliers(walk_sv, N, M, 0.01) > M // 2
    assert checks.outliers({M: [fit.n_outliers]}).holds
    assert not checks.outliers({M: [0]}).holds


def test_random_walk_path_has_the_step_sizes_of_the_path() -> None:
    gen = np.random.default_rng(2)
    path = [gen.normal(0, 0.01, (N, M))]
    for step in (0.01, 0.02, 0.04):
        path.append(path[-1] + gen.normal(0, step, (N, M)))
    walk = nulls.random_walk_path(path[0], path, gen)
    np.testing.assert_array_equal(walk[0], path[0])
    for before, after, wb, wa in zip(path[:-1], path[1:], walk[:-1], walk[1:]):
        np.testing.assert_allclose(np.std(wa - wb), np.std(after - before), rtol=0.05)


def test_exceeds_threshold() -> None:
    assert checks.exceeds_threshold({5: [4.5, 6.0]}).holds
    assert not checks.exceeds_threshold({5: [4.5, 3.9]}).holds


def test_exceeds_threshold_needs_a_mode_above_its_fitted_bulk() -> None:
    """A spike above 4 holds; an i.i.d. bulk wide enough to reach 4 (the random walk of
    a long training) passes the bare lambda_1 > 4 test but not the fitted-edge one."""
    gen = np.random.default_rng(11)
    spiked = np.linalg.svd(_spiked(gen, [6.0], std=0.05), compute_uv=False)
    wide = np.linalg.svd(gen.normal(0.0, 0.5, (N, M)), compute_uv=False)  # lambda_1 ~ 6.9
    edge_spiked = spectrum.fit_bulk(spiked, N, M).edge
    edge_wide = spectrum.fit_bulk(wide, N, M).edge
    assert wide[0] > 4.0 and checks.exceeds_threshold({M: [wide[0]]}).holds
    assert not checks.exceeds_threshold({M: [wide[0]]}, edges={M: [edge_wide]}).holds
    assert checks.exceeds_threshold({M: [spiked[0]]}, edges={M: [edge_spiked]}).holds
    # the threshold still counts: a clear outlier below 4 does not exceed it
    low = np.linalg.svd(_spiked(gen, [3.0]), compute_uv=False)
    assert not checks.exceeds_threshold({M: [low[0]]},
                                        edges={M: [spectrum.fit_bulk(low, N, M).edge]}).holds


# -- hierarchy ------------------------------------------------------------------------------
def _growing_path(gen: np.random.Generator, starts: list[int], updates: np.ndarray
                  ) -> list[np.ndarray]:
    """Spikes that start growing at the given updates (staggered) on an i.i.d. bulk."""
    w0 = gen.normal(0, 0.01, (N, M))
    vecs = [(gen.standard_normal(N), gen.standard_normal(M)) for _ in starts]
    out = []
    for t in updates:
        w = w0.copy()
        for (u, v), t0 in zip(vecs, starts):
            s = 0.5 * max(0.0, np.log2(t / t0) + 1) if t >= t0 > 0 else 0.0
            w += s * np.outer(u / np.linalg.norm(u), v / np.linalg.norm(v))
        out.append(w)
    return out


def _exits(path: list[np.ndarray], updates: np.ndarray, k: int = 5) -> list[int]:
    sv = [np.linalg.svd(w, compute_uv=False) for w in path]
    edges = [spectrum.fit_bulk(s, N, M).edge for s in sv]
    return checks.exit_updates(updates, np.array([s[:k] for s in sv]), edges)


def test_hierarchy_holds_for_staggered_exits_and_fails_on_its_nulls() -> None:
    gen = np.random.default_rng(3)
    updates = 2 ** np.arange(11)
    staggered = _exits(_growing_path(gen, [1, 4, 16, 64, 256], updates), updates)
    assert staggered == sorted(staggered) and staggered[0] == 1 and staggered[-1] >= 256
    assert checks.hierarchy({M: staggered}).holds
    together = _exits(_growing_path(gen, [8] * 5, updates), updates)  # all at once
    assert len(set(together)) == 1
    assert not checks.hierarchy({M: together}).holds
    # the random walk with the step sizes of the staggered path: nothing leaves
    path = _growing_path(gen, [1, 4, 16, 64, 256], np.r_[0, updates])  # from update 0
    walk = nulls.random_walk_path(path[0], path, gen)[1:]
    assert _exits(walk, updates) == [-1] * 5
    assert not checks.hierarchy({M: _exits(walk, updates)}).holds
    # within one decade only: fails as well
    assert not checks.hierarchy({M: [1, 2, 4, 4, 8]}).holds


# -- rotational symmetry, kurtosis ---------------------------------------------------------
def test_symmetry_breaking_thresholds() -> None:
    assert checks.symmetry_breaking({"10": 6.0, "20": 30.0}).holds
    assert not checks.symmetry_breaking({"10": 6.0, "20": 1.1}).holds


def test_js_floor_is_counting_noise_so_the_default_bins_resolve_structure() -> None:
    """The untrained JS level is the histogram counting floor (B - 1) / (4 N M): with
    1000 bins on a 784 x 500 matrix it is 6.4e-4, as large as half the trained signal
    (measured), so the default uses 100 bins. A matrix with structured (sparse,
    localized) singular vectors keeps a JS far above the floor at 100 bins, and an
    isotropic one stays at it."""
    from pyrbm.analysis import symmetry
    gen = np.random.default_rng(12)
    n, m = 120, 72
    iid = gen.normal(0.0, 0.01, (n, m))
    for bins in (100, 1000):
        floor = (bins - 1) / (4.0 * iid.size)
        js = np.mean([symmetry.rotation_js(iid, gen, bins=bins) for _ in range(3)])
        assert 0.7 * floor < js < 1.3 * floor
    # structure: sparse weights (a tenth of the entries large) on an i.i.d. bulk, whose
    # singular vectors are far from Haar; rotating them makes the entries Gaussian-like
    w = iid + np.where(gen.random((n, m)) < 0.1, gen.normal(0.0, 0.05, (n, m)), 0.0)

    def ratio(mat: np.ndarray, bins: int) -> float:
        js = np.mean([symmetry.rotation_js(mat, gen, bins=bins) for _ in range(3)])
        return float(js / np.mean([symmetry.rotation_js(gen.normal(0, 0.01, mat.shape), gen,
                                                        bins=bins) for _ in range(3)]))

    bins = load_config("default").analysis["js_bins"]
    trained, isotropic = ratio(w, bins), ratio(gen.normal(0, w.std(), w.shape), bins)
    assert checks.symmetry_breaking({str(m): trained}).holds
    # 1000 bins on this small matrix: the floor hides the structure
    assert ratio(w, 1000) < trained / 3
    assert not checks.symmetry_breaking({str(m): isotropic}).holds


def test_kurtosis_holds_for_haar_bases_and_fails_for_a_localized_one() -> None:
    config = load_config("quick")
    config = dataclasses.replace(config, analysis={**config.analysis,
                                                   "kurtosis_sizes": [40, 80, 160],
                                                   "kurtosis_hidden": 30})
    res = kurtosis(config, np.random.default_rng(4), None)  # type: ignore[arg-type]
    assert checks.kurtosis_fit(res["slope"], res["intercept"]).holds
    assert not checks.kurtosis_fit(res["null_slope"], res["null_intercept"]).holds


# -- mean-field and annealing on small RBMs --------------------------------------------------
def test_log_z_checks_hold_and_their_nulls_fail() -> None:
    config = load_config("quick")
    config = dataclasses.replace(config, analysis={
        **config.analysis, "logz_sizes": [[5, 3], [7, 5]], "logz_lambdas": [0.5, 1.0, 2.0,
                                                                              3.0, 3.9, 6.0],
        "logz_chains": 64, "logz_betas": 300})
    z = log_z_small(config, np.random.default_rng(5), None)  # type: ignore[arg-type]
    assert checks.meanfield_small(z["meanfield_error_small"]).holds
    assert not checks.meanfield_small(z["null_meanfield_error_small"]).holds
    assert checks.meanfield_breakdown(z["lambda_1"], z["meanfield_error"]).holds
    assert not checks.meanfield_breakdown(z["null_lambdas"], z["null_meanfield_error"]).holds
    assert checks.annealing_accuracy(z["annealing_max_abs_error"]).holds
    assert not checks.annealing_accuracy(z["null_annealing_max_abs_error"]).holds


# -- Langevin ------------------------------------------------------------------------------
def _rbm_with_spectrum(lams: list[float], gen: np.random.Generator) -> pyrbm.RBM:
    k = len(lams)
    u = nulls.haar_orthogonal(N, gen)[:, :k]
    v = nulls.haar_orthogonal(M, gen)[:, :k]
    return pyrbm.RBM((u * lams) @ v.T, np.zeros(N), np.zeros(M))


def test_langevin_checks_separate_the_two_sides_of_four() -> None:
    gen = np.random.default_rng(6)
    config = load_config("quick")
    lams = [6.0, 4.3, 3.7, 1.0] + [0.1] * (M - 4)
    models = Models({M: []}, _rbm_with_spectrum(lams, gen), (1, N))
    lv = langevin(config, np.random.default_rng(7), models)
    assert [round(x, 6) for x in lv["lambda"]] == [3.7, 4.3]
    assert lv["relaxation_times"] >= 5.0
    measured, null = _langevin_checks(lv)
    assert measured.holds, measured.text
    assert null is not None and not null.holds, null.text
    # the finite-time criterion of the review passes for a mode above 4: ours does not
    t = lv["times"]
    assert not checks.langevin_converges(t, lv["above_series"], np.nan).holds
    assert not checks.langevin_growth(t, lv["below_series"], 3.7).holds


def test_langevin_checks_on_exact_ou_curves() -> None:
    t = np.linspace(0, 25, 400)
    below = pyrbm.dynamics.diffusion.ou_variance(0.3, t)
    above = pyrbm.dynamics.diffusion.ou_variance(-0.3, t)
    assert checks.langevin_converges(t, below, 1 / 0.3).holds
    assert not checks.langevin_converges(t, below, 1 / 0.6).holds  # the wrong level
    assert not checks.langevin_converges(t, above, np.nan).holds
    assert checks.langevin_growth(t, above, 4.3).holds
    assert not checks.langevin_growth(t, above, 4.6).holds  # predicted 1.2, grows at 0.6
    assert not checks.langevin_growth(t, below, 3.7).holds


# -- probing ---------------------------------------------------------------------------------
def test_haar_control_keeps_the_spectrum_and_biases() -> None:
    rbm = small_rbm(N, M, 0.3, np.float64, seed=8)
    control = nulls.haar_control(rbm, np.random.default_rng(9))
    np.testing.assert_allclose(np.linalg.svd(control.weights, compute_uv=False),
                               np.linalg.svd(rbm.weights, compute_uv=False), atol=1e-12)
    np.testing.assert_array_equal(control.visible_bias, rbm.visible_bias)
    assert np.abs(control.weights - rbm.weights).max() > 0.1


def test_low_frequency_fraction_tells_smooth_from_white_changes() -> None:
    gen = np.random.default_rng(10)
    side = 28
    yy, xx = np.mgrid[:side, :side]
    blobs = np.array([np.exp(-((xx - c) ** 2 + (yy - r) ** 2) / 30.0)
                      for r, c in gen.uniform(6, 22, (8, 2))]).reshape(8, -1)
    white = gen.standard_normal((8, side * side))
    smooth = checks.low_frequency_fraction(blobs, (side, side))
    noise = checks.low_frequency_fraction(white, (side, side))
    assert smooth > 0.9 and noise < 0.1
    np.testing.assert_allclose(noise, np.pi * 4**2 / side**2, rtol=0.35)
    assert checks.probing_coarseness(smooth, noise).holds
    assert not checks.probing_coarseness(noise, noise).holds


# -- likelihood brackets --------------------------------------------------------------------
def test_brackets_inverted_wide_or_off_trajectory_are_not_trusted() -> None:
    assert checks.bracket(-100.0, -101.0, -100.5)["valid"]
    assert checks.bracket(-100.0, -100.2, std_error=0.2)["valid"]  # inverted within noise
    inverted = checks.bracket(-181.3, -149.3)
    assert inverted["inverted"] and not inverted["valid"]
    assert not checks.bracket(-100.0, -103.0)["valid"]  # wider than 2 nats
    assert not checks.bracket(-100.0, -101.0, -98.5)["valid"]  # trajectory 1.5 nats off
    run = {"initial_upper": -200.0, "final_upper": -100.0, "final_lower": -101.0}
    assert checks.likelihood_gain({"a": run}).holds
    assert not checks.likelihood_gain({"a": {**run, "final_lower": -140.0}}).holds
    assert not checks.likelihood_gain({"a": {**run, "final_upper": -201.0,
                                             "final_lower": -202.0}}).holds


# -- the shuffled-pixel null data ------------------------------------------------------------
def test_shuffle_pixels_keeps_means_and_removes_correlations() -> None:
    gen = np.random.default_rng(11)
    base = (gen.random((4000, 1)) < 0.5)
    images = np.concatenate([base, base, gen.random((4000, 3)) < 0.2], axis=1).astype(np.uint8)
    shuffled = nulls.shuffle_pixels(images, gen)
    np.testing.assert_array_equal(np.sort(shuffled, axis=0), np.sort(images, axis=0))
    assert np.corrcoef(images[:, 0], images[:, 1])[0, 1] > 0.999
    assert abs(np.corrcoef(shuffled[:, 0], shuffled[:, 1])[0, 1]) < 0.05


def test_every_claim_has_a_null_and_a_learning_flag() -> None:
    from pyrbm.reproduce.report import NULLS
    assert len(CLAIMS) == 12 and set(NULLS) == {key for key, _, _ in CLAIMS}
    assert set(checks.CRITERIA) == set(NULLS)
    assert {key for key, _, learning in CLAIMS if learning} == {
        "outliers", "above4", "hierarchy", "js", "langevin", "probing", "likelihood"}
    assert callable(claims)


def test_learned_modes_are_those_above_the_independence_bound() -> None:
    gains, bound = np.array([6.0, 1.9, 1.7, 1.1]), 1.2
    assert checks.aligned(gains, bound).tolist() == [True, True, False, False]
    sv = np.array([9.0, 5.0, 4.5, 4.2])
    assert checks.aligned_outliers(sv, 4.4, gains, bound) == 2  # 4.5 is above but not learned
    assert checks.largest_aligned(sv, gains, bound) == 9.0
    assert checks.largest_aligned(sv, np.ones(4), bound) == 0.0
    # exits: a mode leaves only once it is above the edge *and* learned
    updates, edges = [1, 2, 4], [1.0, 1.0, 1.0]
    values = np.array([[2.0, 2.0], [2.0, 2.0], [2.0, 2.0]])
    g = np.array([[1.0, 1.0], [3.0, 1.0], [3.0, 3.0]])
    assert checks.exit_updates(updates, values, edges) == [1, 1]
    assert checks.exit_updates(updates, values, edges, g, bound) == [2, 4]
    with pytest.raises(ValueError, match="bound"):
        checks.exit_updates(updates, values, edges, g)


def test_js_and_probing_need_learned_modes() -> None:
    assert checks.symmetry_breaking({"5": 9.9}, learned={5: [3, 1]}).holds
    assert not checks.symmetry_breaking({"5": 9.9}, learned={5: [3, 0]}).holds
    assert checks.probing_coarseness(0.8, 0.1, True).holds
    assert not checks.probing_coarseness(0.8, 0.1, False).holds
    assert checks.probing_coarseness(0.8, 0.1).holds  # no gate: the ratio alone

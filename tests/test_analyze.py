"""``pyrbm analyze``: its numbers equal the analysis functions called directly, its checks
fail on the null controls, and the command runs on a model trained elsewhere."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import numpy as np
import pytest
import scipy.linalg

import pyrbm
from pyrbm.analysis import gaussian, spectrum, symmetry
from pyrbm.analysis.reciprocal import decompose
from pyrbm.analyze import Settings, analyze, analyze_model, load_data
from pyrbm.analyze.quantities import js_bins, quantity_rng
from pyrbm.cli import main
from pyrbm.io import read_model, write_model
from pyrbm.io.datasets import load
from pyrbm.partition.estimators import log_likelihood, log_partition
from pyrbm.reproduce.report import jsonable

#: Small settings: the tests check the plumbing, not the statistics of long runs.
FAST = Settings(langevin_trajectories=200, langevin_modes=4, ais_chains=32, ais_betas=200,
                n_samples=32, sample_sweeps=50, probing_chains=8, probing_sweeps=50, n_test=200,
                n_uw=100)


@pytest.fixture(scope="module")
def digits_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A 64 x 20 scikit-learn BernoulliRBM fitted on binarized digits (a model trained
    elsewhere), saved with joblib, and the binary test split as a .npz."""
    from sklearn.neural_network import BernoulliRBM

    folder = tmp_path_factory.mktemp("digits")
    train = load("digits", "train", 0.5)[0].astype(np.float64)
    test = load("digits", "test", 0.5)[0]
    est = BernoulliRBM(n_components=20, learning_rate=0.05, n_iter=20, random_state=0).fit(train)
    path = write_model(pyrbm.RBM.from_sklearn(est), folder / "digits.joblib", format="sklearn")
    data = folder / "test.npz"
    np.savez(data, test=test, train=train.astype(np.uint8))
    return path, data


def test_numbers_equal_the_analysis_functions(tmp_path: Path, digits_model: tuple) -> None:
    path, data = digits_model
    results = analyze([path], tmp_path, data=str(data), seed=3, settings=FAST, figures=False)
    stored = json.loads((tmp_path / "results.json").read_text())
    assert stored == json.loads(json.dumps(results))
    r = stored["models"][0]["analysis"]
    rbm = read_model(path)
    w = rbm.weights.astype(np.float64)
    n, m = w.shape
    train, test = load_data(str(data), n)

    sv = scipy.linalg.svdvals(w)
    np.testing.assert_allclose(r["spectrum"]["singular_values"], sv, rtol=1e-12)
    std = spectrum.fit_std(sv, n, m)
    assert r["spectrum"]["fitted_std"] == pytest.approx(std, rel=1e-12)
    assert r["spectrum"]["mp_upper"] == pytest.approx(spectrum.mp_edges(n, m, std)[1], rel=1e-12)
    assert r["spectrum"]["n_outliers"] == spectrum.count_outliers(sv, n, m)
    assert r["spectrum"]["n_above_4"] == int(np.sum(sv >= 4.0))

    gen = quantity_rng(3, 0, "symmetry")
    assert r["symmetry"]["js"] == pytest.approx(
        symmetry.rotation_js(w, gen, bins=js_bins(w.size)), rel=1e-12)

    dec = decompose(rbm)
    assert r["saddles"]["total"] == pytest.approx(float(np.sum(dec.saddle_energies())), rel=1e-9)
    kx = gaussian.exact_kurtosis(dec.U[:, : dec.n_modes])
    assert r["kurtosis"]["mean_x"] == pytest.approx(float(kx.mean()), rel=1e-9)

    exact = log_partition(rbm, "exact").value
    assert r["log_z"]["exact"] == pytest.approx(exact, rel=1e-12)
    assert r["log_z"]["test_ll"]["exact"] == pytest.approx(
        log_likelihood(rbm, test[: FAST.n_test], exact), rel=1e-9)
    # AIS / RAIS with the same random streams as analyze
    v, _ = rbm.sample(FAST.n_samples, FAST.sample_sweeps, rng=quantity_rng(3, 0, "samples"))
    gen = quantity_rng(3, 0, "log_z")
    opts = dict(n_chains=FAST.ais_chains, n_betas=FAST.ais_betas, data=train)
    ais = log_partition(rbm, "ais", rng=gen, **opts)
    rais = log_partition(rbm, "rais", rng=gen, samples=v[: FAST.ais_chains], **opts)
    assert r["log_z"]["ais"] == ais.value and r["log_z"]["rais"] == rais.value
    # and the estimates bracket the exact value within their errors
    assert abs(ais.value - exact) < 5 * ais.std_error + 0.05
    assert abs(rais.value - exact) < 5 * rais.std_error + 0.05


def test_same_seed_same_numbers(tmp_path: Path, digits_model: tuple) -> None:
    path, data = digits_model
    first = analyze([path], tmp_path / "a", data=str(data), seed=1, settings=FAST, figures=False)
    second = analyze([path], tmp_path / "b", data=str(data), seed=1, settings=FAST, figures=False)
    assert first == second


def test_bit_identical_for_any_thread_count(digits_model: tuple) -> None:
    path, data = digits_model
    rbm = read_model(path)
    train, test = load_data(str(data), rbm.n_visible)
    runs = []
    for n in (1, 2):
        with pyrbm.num_threads(n):
            runs.append(analyze_model(rbm, train=train, test=test, seed=4, settings=FAST))
    assert json.dumps(jsonable(runs[0])) == json.dumps(jsonable(runs[1]))


def test_checks_fail_on_the_null_model(digits_model: tuple) -> None:
    """An isotropic random 64 x 20 RBM: no outliers, no mode above 4, JS at the null level,
    finite mean-field ln Z equal to the exact one; the trained model differs on each."""
    path, data = digits_model
    trained = analyze_model(read_model(path), settings=FAST, seed=0)
    null = analyze_model(pyrbm.RBM.random(64, 20, std=0.05, dtype=np.float64, rng=5),
                         settings=FAST, seed=0)
    assert null["spectrum"]["n_outliers"] == 0 and trained["spectrum"]["n_outliers"] >= 1
    assert null["spectrum"]["n_above_4"] == 0 and trained["spectrum"]["n_above_4"] >= 1
    assert null["symmetry"]["ratio"] < 2.0 < trained["symmetry"]["ratio"]
    assert null["log_z"]["meanfield"] == pytest.approx(null["log_z"]["exact"], abs=0.05)
    assert trained["log_z"]["meanfield"] is None
    assert trained["log_z"]["meanfield_divergent_modes"][0] == 1
    assert all(null["langevin"]["predicted_converges"])
    assert not trained["langevin"]["predicted_converges"][0]


def test_cli_on_a_model_trained_elsewhere(tmp_path: Path, digits_model: tuple,
                                          capsys: pytest.CaptureFixture) -> None:
    path, data = digits_model
    out = tmp_path / "report"
    start = time.perf_counter()
    assert main(["analyze", str(path), "--out", str(out), "--data", str(data), "--seed", "2"]) == 0
    print(f"pyrbm analyze 64x20 digits: {time.perf_counter() - start:.1f} s")  # shown with -s
    for name in ("report.md", "report.html", "results.json", "spectrum.png", "langevin.png",
                 "log_z.png", "probing.png", "samples.png", "mode1.png"):
        assert (out / name).stat().st_size > 0, name
    report = (out / "report.md").read_text()
    assert "Marchenko-Pastur bulk fitted" in report and "rotational symmetry" in report
    assert "data:image/png;base64," in (out / "report.html").read_text()
    assert "report in" in capsys.readouterr().out


def test_all_checkpoints_and_side_by_side(tmp_path: Path, digits_model: tuple) -> None:
    path, data = digits_model
    run = tmp_path / "rbms.h5"
    gen = np.random.default_rng(0)
    final = read_model(path)
    steps = []
    for update, scale in ((10, 0.2), (20, 0.6), (30, 1.0)):  # a run growing its weights
        rbm = pyrbm.RBM(final.weights * scale, final.visible_bias, final.hidden_bias * scale)
        write_model(rbm, run, format="rbms", update=update)
        steps.append(rbm)
    results = analyze([run], tmp_path / "out", all_checkpoints=True, data=str(data),
                      settings=FAST)
    traj = results["models"][0]["trajectory"]
    assert traj["times"] == [10.0, 20.0, 30.0]
    for row, rbm in zip(traj["singular_values"], steps):
        np.testing.assert_allclose(row, scipy.linalg.svdvals(rbm.weights.astype(np.float64))[:10],
                                   rtol=1e-12)
    assert "rbms.h5 versus training time" in (tmp_path / "out" / "report.md").read_text()
    for name in ("sv_trajectories.png", "saddle_energies.png", "mode1_trajectory.png",
                 "log_likelihood.png"):
        assert (tmp_path / "out" / name).exists(), name
    # several models: side by side (numbers only here; the figures are drawn per model)
    other = write_model(pyrbm.RBM.random(64, 13, std=0.05, rng=gen), tmp_path / "random.npz",
                        format="npz")
    both = analyze([run, other], tmp_path / "both", all_checkpoints=True, settings=FAST,
                   figures=False)
    assert [m["label"] for m in both["models"]] == ["rbms.h5", "random.npz"]
    assert "trajectory" in both["models"][0] and "trajectory" not in both["models"][1]
    report = (tmp_path / "both" / "report.md").read_text()
    assert "## side by side" in report and "| quantity | rbms.h5 | random.npz |" in report


def test_bad_input_gives_one_line_errors(tmp_path: Path, digits_model: tuple,
                                         capsys: pytest.CaptureFixture) -> None:
    path, _ = digits_model
    notes = tmp_path / "notes.txt"
    notes.write_text("not a model")
    wide = tmp_path / "wide.npz"
    np.savez(wide, test=np.zeros((4, 65), np.uint8))
    grey = tmp_path / "grey.npz"
    np.savez(grey, test=np.full((4, 64), 0.5))
    cases = [
        (["analyze", str(notes), "--out", str(tmp_path / "o")], "notes.txt: unknown file format"),
        (["analyze", str(path), "--out", str(tmp_path / "o"), "--data", str(wide)],
         r"wide.npz: test data of shape \(4, 65\), the model has 64 visible units"),
        (["analyze", str(path), "--out", str(tmp_path / "o"), "--data", str(grey)],
         "grey.npz: test data must be binary"),
        (["analyze", str(path), "--out", str(tmp_path / "o"), "--checkpoint", "3"],
         "checkpoint: 3 out of range"),
    ]
    for argv, message in cases:
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("pyrbm analyze: error:")
        assert re.search(message, err), err
    with pytest.raises(ValueError, match="at least 3 visible and 3 hidden"):
        analyze_model(pyrbm.RBM.random(5, 2, rng=0))

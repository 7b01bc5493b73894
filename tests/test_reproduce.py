"""pyrbm reproduce: configs, restartable runs, the report, and the quick smoke test
(one process and two MPI ranks, which must agree)."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

import pyrbm
from pyrbm.cli import main
from pyrbm.analysis.reciprocal import decompose
from pyrbm.reproduce import BUILTIN, ConfigError, estimate, load_config, reproduce
from pyrbm.reproduce.report import FIGURES, claims
from pyrbm.reproduce.runs import ModeRecorder, mode1_uw

from .conftest import MPIEXEC, PYTHON, needs_mpi, small_rbm, subprocess_env

#: A tiny job on scikit-learn's 8x8 digits: every step of the pipeline in a few seconds.
TINY = """
base = "quick"
[runs]
dataset = "digits"
n_train = 600
hidden = [5, 9]
replicas = 2
k = 2
batch_size = 100
epochs = {epochs}
checkpoint_every = 3
n_uw = 30
sample_chains = 8
sample_sweeps = 5
[likelihood]
every = 1
n_chains = 8
n_betas = 20
n_gibbs = 5
n_test = 50
[analysis]
mp_n_visible = 31
mp_n_hidden = 17
mp_matrices = 20
kurtosis_sizes = [20, 40, 80]
kurtosis_hidden = 10
logz_sizes = [[4, 3], [6, 5]]
logz_lambdas = [0.5, 5.0]
logz_chains = 16
logz_betas = 50
langevin_trajectories = 50
langevin_steps = 50
probing_chains = 4
probing_sweeps = 5
"""


@pytest.fixture(autouse=True)
def _restore_threads():
    with pyrbm.num_threads(pyrbm.get_num_threads()):
        yield


def _no_nan(name: str) -> None:
    raise AssertionError(f"results.json holds {name}: not strict JSON")


def _tiny(tmp_path: Path, epochs: int = 2) -> Path:
    path = tmp_path / f"tiny{epochs}.toml"
    path.write_text(TINY.format(epochs=epochs))
    return path


# -- configuration --------------------------------------------------------------------------
def test_builtin_configs_meet_the_issue() -> None:
    assert pyrbm.reproduce.load_config is load_config  # lazy attribute of the package
    for name in BUILTIN:
        assert load_config(name).name == name
    default = load_config("default")
    assert default.runs["hidden"] == [500, 784, 1200] and default.runs["replicas"] >= 2
    assert (default.runs["optimizer"], default.runs["lr"]) == ("adam", 1e-3)
    assert default.runs["log_checkpoints"] and not default.runs["shuffle_pixels"]
    assert load_config("full").runs["hidden"] == [500, 784, 1200, 3000]
    paper = load_config("paper")
    assert paper.runs["hidden"] == [500, 784, 1200, 3000] and paper.runs["replicas"] == 5
    assert (paper.runs["k"], paper.runs["batch_size"], paper.runs["epochs"]) == (500, 500, 100)
    assert (paper.runs["lr"], paper.runs["n_train"], paper.likelihood["every"]) == (1e-3, 0, 10)
    assert paper.runs["checkpoint_every"] == 0 and not paper.runs["log_checkpoints"]


def test_toml_overrides_every_option(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('base = "paper"\n[runs]\nepochs = 3\nlr = 1\n[analysis]\nlogz_lambdas = [1, 5]\n')
    config = load_config(path)
    assert config.runs["epochs"] == 3 and config.runs["lr"] == 1.0
    assert isinstance(config.runs["lr"], float) and config.analysis["logz_lambdas"] == [1.0, 5.0]
    assert config.runs["hidden"] == [500, 784, 1200, 3000]  # the rest from the base
    plain = tmp_path / "d.toml"
    plain.write_text("[likelihood]\nevery = 3\n")
    assert load_config(plain).runs == load_config("default").runs  # base defaults to default
    assert load_config(plain).likelihood["every"] == 3


@pytest.mark.parametrize("text, message", [
    ("[train]\nepochs = 3\n", "unknown section [train]"),
    ("[runs]\nepoch = 3\n", "[runs] unknown option 'epoch'"),
    ("[runs]\nepochs = 'ten'\n", "[runs] epochs: expected an integer, got 'ten'"),
    ("[runs]\nepochs = 2.5\n", "[runs] epochs: expected an integer"),
    ("[runs]\nhidden = []\n", "[runs] hidden: expected a non-empty list"),
    ("[runs]\nlr = -1\n", "[runs] lr: expected a non-negative value"),
    ("[runs]\nepochs = 0\n", "[runs] epochs: expected at least 1"),
    ("[runs]\ndataset = 'cifar'\n", "[runs] dataset: expected 'mnist' or 'digits'"),
    ("[analysis]\nlogz_sizes = [[20, 20]]\n", "logz_sizes: expected [N, M] pairs"),
    ("base = 'huge'\n", "base: expected one of"),
    ("runs = 3\n", "[runs] must be a table"),
    ("[runs\n", "invalid TOML"),
])
def test_bad_config_files_are_named(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert message in str(info.value) and str(path) in str(info.value)


def test_bad_config_names(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(ConfigError, match="expected one of .* or a .toml file"):
        load_config("fast")
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml")
    assert main(["reproduce", "--out", str(tmp_path / "o"), "--config", "fast"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("pyrbm reproduce: error: config:") and err.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_quiet_prints_only_the_result(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    done = _cli(["--out", "o", "--config", str(_tiny(tmp_path, 1)), "--quiet"], [], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "" and "claims hold" in done.stdout


def test_estimate_prints_a_cost(capsys: pytest.CaptureFixture) -> None:
    assert main(["reproduce", "--out", "unused", "--config", "quick", "--estimate"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines[:3]] == ["M=20", "M=40", "M=80"]
    assert "6 runs" in lines[-1] and float(lines[-1].split()[2]) > 0
    cost = estimate(load_config("quick"), workers=2)
    assert cost["total_seconds"] / 2 <= cost["wall_seconds"] <= cost["total_seconds"]


# -- per-checkpoint quantities against their reference in pyrbm.analysis.reciprocal ------------------
def test_mode_recorder_and_mode1_match_decompose() -> None:
    rbm = small_rbm(13, 7, 1.0, np.float64, seed=5)
    dec = decompose(rbm)
    rec = ModeRecorder(3)(rbm, None)
    np.testing.assert_allclose([rec[f"sv_{i}"] for i in range(3)], dec.singular_values[:3])
    np.testing.assert_allclose([rec[f"eps_{i}"] for i in range(3)], dec.saddle_energies()[:3])
    np.testing.assert_allclose(rec["eps_total"], dec.saddle_energies().sum())
    gen = np.random.default_rng(2)
    v = (gen.random((11, 13)) < 0.5).astype(np.float64)
    h = gen.random((11, 7))
    u, w = dec.to_uw(*dec.to_reciprocal(v, h))
    np.testing.assert_allclose(mode1_uw(rbm, v, h), np.stack([u[:, 0], w[:, 0]], 1), atol=1e-12)


def _fake(ks_pvalue: float, below_converges: bool) -> tuple[list, dict]:
    """Minimal run summaries and experiment results for :func:`claims`."""
    gen = np.random.default_rng(0)
    spectrum = np.sort(gen.uniform(0.0, 0.3, 10))[::-1] + np.r_[9.0, 6.0, 5.0, np.zeros(7)]
    updates = np.array([1, 2, 4, 8, 16, 32])
    trajectory = np.array([[2, .05, .05, .05], [3, 2, .05, .05], [4, 3, .05, .05],
                           [5, 4, 2, .05], [6, 5, 3, .05], [7, 6, 4, 2]])
    runs = [{"hidden": 10, "replica": r, "final_spectrum": spectrum, "final_outliers": 3,
             "null_outliers": 0, "null_spectrum": np.full(10, 0.3), "init_ks_pvalue": 0.5,
             "updates": updates, "singular_values": trajectory, "bulk_edge": np.full(6, 1.0),
             "null_singular_values": np.full((6, 4), 0.3), "null_bulk_edge": np.full(6, 1.0),
             "ll_epochs": np.array([0, 1]), "test_ll_ais": np.array([-9.0, -5.0]),
             "test_ll_rais": np.array([-9.0, -6.0]), "test_ll_traj": np.array([-9.0, -5.5]),
             "null_test_ll_ais": -9.5} for r in range(2)]
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
                     "above_lambda": 4.3},
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


# -- the whole pipeline: outputs, restart, resume ------------------------------------------
def test_tiny_job_writes_everything_and_is_restartable(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    out = tmp_path / "out"
    first = reproduce(out, load_config(_tiny(tmp_path)), seed=4, log=lambda _: None)
    assert set(first["status"].values()) == {"trained"} and len(first["status"]) == 4
    for name in [*FIGURES, "results.json", "report.md", "report.html"]:
        assert (out / name).stat().st_size > 0, name
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") == len(FIGURES)
    md = (out / "report.md").read_text()
    assert all(c["claim"] in md for c in first["claims"]) and len(first["claims"]) >= 12
    saved = json.loads((out / "results.json").read_text(), parse_constant=_no_nan)
    assert saved["claims"] == first["claims"]
    # reverse AIS from parallel trajectory tempering over every checkpoint, with its mixing
    for run in saved["runs"]:
        assert len(run["pt_swap_acceptance"]) == len(run["updates"]) + 1  # T + 2 slots
        assert np.isfinite(run["test_ll_rais_pt"]) and isinstance(run["pt_tau"], float)
    stamps = {p.name: p.stat().st_mtime_ns for p in (out / "runs").iterdir()}

    again = reproduce(out, load_config(_tiny(tmp_path)), seed=4, log=lambda _: None,
                      figures=False)
    assert set(again["status"].values()) == {"skipped"}  # no training the second time
    assert {p.name: p.stat().st_mtime_ns for p in (out / "runs").iterdir()} == stamps
    assert json.loads((out / "results.json").read_text()) == saved

    other = tmp_path / "other.toml"
    other.write_text(TINY.format(epochs=2).replace("k = 2", "k = 3"))
    with pytest.raises(ValueError, match=r"M000[59]_r0.h5 was trained with k=2, not k=3"):
        reproduce(out, load_config(other), seed=4, log=lambda _: None, figures=False)

    # An interrupted job (runs with 2 of 3 epochs) resumes to what one go gives.
    longer = reproduce(out, load_config(_tiny(tmp_path, 3)), seed=4, log=lambda _: None,
                       figures=False)
    assert set(longer["status"].values()) == {"resumed"}
    whole = reproduce(tmp_path / "whole", load_config(_tiny(tmp_path, 3)), seed=4,
                      log=lambda _: None, figures=False)
    for name in stamps:
        np.testing.assert_array_equal(pyrbm.load(out / "runs" / name).weights,
                                      pyrbm.load(tmp_path / "whole" / "runs" / name).weights)
    assert longer["claims"] == whole["claims"]
    assert longer["runs"] == whole["runs"]
    # results.json holds what the seed determines: resumed and in one go, the same bytes;
    # the wall times, which do differ, are in timings.json
    assert (out / "results.json").read_bytes() == (tmp_path / "whole" / "results.json").read_bytes()
    assert "wall_time" not in (out / "results.json").read_text()
    timings = [json.loads((d / "timings.json").read_text())["wall_time"] for d in (out, tmp_path / "whole")]
    assert timings[0].keys() == timings[1].keys() == {n.removesuffix(".h5") for n in stamps}
    assert all(t > 0 for t in timings[0].values()) and timings[0] != timings[1]
    assert longer["timings"]["wall_time"] == timings[0]


def test_worker_processes_give_the_same_results(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    config = load_config(_tiny(tmp_path, 1))
    one = reproduce(tmp_path / "one", config, seed=3, log=None, figures=False)
    two = reproduce(tmp_path / "two", config, seed=3, log=None, figures=False, workers=2)
    assert one["claims"] == two["claims"] and one["experiments"] == two["experiments"]
    assert one["runs"] == two["runs"]  # wall times are in "timings", outside the results
    for archive in sorted((tmp_path / "one" / "runs").glob("*.h5")):
        np.testing.assert_array_equal(pyrbm.load(archive).weights,
                                      pyrbm.load(tmp_path / "two" / "runs" / archive.name).weights)


def test_killed_job_resumes_to_the_same_models(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    config = _tiny(tmp_path, 3)
    env = subprocess_env()
    job = subprocess.Popen([*PYTHON, "-m", "pyrbm", "reproduce", "--out", "out",
                            "--config", str(config), "--seed", "4"], cwd=tmp_path, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first = tmp_path / "out" / "runs" / "M0005_r0.h5"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and job.poll() is None:
        try:
            if pyrbm.io.archive.list_checkpoints(first):
                break
        except (pyrbm.io.archive.ArchiveError, OSError):
            pass
        time.sleep(0.02)
    job.send_signal(signal.SIGKILL)  # somewhere in the first runs
    job.wait()
    again = reproduce(tmp_path / "out", load_config(config), seed=4, log=lambda _: None,
                      figures=False)
    assert again["status"]["M5_r0"] in ("resumed", "skipped")
    whole = reproduce(tmp_path / "whole", load_config(config), seed=4, log=lambda _: None,
                      figures=False)
    assert set(whole["status"].values()) == {"trained"}
    for archive in sorted((tmp_path / "whole" / "runs").glob("*.h5")):
        np.testing.assert_array_equal(pyrbm.load(archive).weights,
                                      pyrbm.load(tmp_path / "out" / "runs" / archive.name).weights)
    assert again["claims"] == whole["claims"]


def test_seed_changes_the_models(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    config = load_config(_tiny(tmp_path, 1))
    a = reproduce(tmp_path / "a", config, seed=1, log=lambda _: None, figures=False)
    b = reproduce(tmp_path / "b", config, seed=2, log=lambda _: None, figures=False)
    assert a["runs"][0]["singular_values"] != b["runs"][0]["singular_values"]


# -- CI smoke test: the quick configuration, one process and two MPI ranks -------------------
def _numbers(results: dict) -> list[float]:
    """Every number of results.json in a fixed order (None for NaN / inf)."""
    out: list = []

    def walk(value: object) -> None:
        if isinstance(value, dict):
            for key in sorted(value):
                walk(value[key])
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out.append(float(value))
        elif value is None:
            out.append(np.nan)

    walk(results)
    return out


def _cli(args: list[str], launcher: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = subprocess_env()
    return subprocess.run([*launcher, *PYTHON, "-m", "pyrbm", "reproduce", *args],
                          capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


@needs_mpi
def test_quick_smoke_single_process_and_two_ranks(tmp_path: Path) -> None:
    single = _cli(["--out", "one", "--config", "quick"], [], tmp_path)  # 1 thread by default
    assert single.returncode == 0, single.stderr
    assert "pyrbm reproduce: 100%" in single.stderr and "rank 0: run" not in single.stderr
    double = _cli(["--out", "two", "--config", "quick", "--verbose"],
                  [str(MPIEXEC), "-n", "2"], tmp_path)
    assert double.returncode == 0, double.stderr
    assert "rank 1: run" in double.stderr and "rank 1: experiment" in double.stderr
    results = []
    for name in ("one", "two"):
        for item in [*FIGURES, "report.md", "report.html", "results.json"]:
            assert (tmp_path / name / item).stat().st_size > 0, (name, item)
        results.append(json.loads((tmp_path / name / "results.json").read_text()))
    assert (results[0]["n_ranks"], results[1]["n_ranks"]) == (1, 2)
    assert results[0]["claims"] == results[1]["claims"]
    np.testing.assert_array_equal(_numbers(results[0]["runs"]), _numbers(results[1]["runs"]))
    np.testing.assert_array_equal(_numbers(results[0]["experiments"]),
                                  _numbers(results[1]["experiments"]))
    for archive in sorted((tmp_path / "one" / "runs").glob("*.h5")):
        np.testing.assert_array_equal(pyrbm.load(archive).weights,
                                      pyrbm.load(tmp_path / "two" / "runs" / archive.name).weights)


@needs_mpi
def test_a_failing_rank_stops_the_job(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    config = _tiny(tmp_path, 1)
    # A corrupt archive of a run that rank 1 owns (runs are shared round-robin).
    (tmp_path / "out" / "runs").mkdir(parents=True)
    (tmp_path / "out" / "runs" / "M0005_r1.h5").write_text("not an archive")
    done = _cli(["--out", "out", "--config", str(config)], [str(MPIEXEC), "-n", "2"], tmp_path)
    assert done.returncode != 0
    assert "pyrbm: rank 1 of 2 failed:" in done.stderr

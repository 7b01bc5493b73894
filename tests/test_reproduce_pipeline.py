"""The whole reproduce job (pyrbm.reproduce.pipeline): outputs, restart, resume, worker
processes, --quiet and --estimate, and the quick smoke test (one process and two MPI
ranks, which must agree)."""

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
from pyrbm.reproduce import estimate, load_config, reproduce
from pyrbm.reproduce.report import FIGURES

from .conftest import MPIEXEC, PYTHON, needs_mpi, subprocess_env
from .reproduce_cases import TINY, _no_nan, _restore_threads, _tiny  # noqa: F401 - a fixture


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

"""``pyrbm sample --sampler gibbs|pt|ptt``: the same chains as the library calls."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import pyrbm
from pyrbm import sampling
from pyrbm.cli import main

pytest.importorskip("sklearn")  # the digits data set

TRAIN = ["train", "--dataset", "digits", "--hidden", "7", "--k", "1", "--batch-size", "100",
         "--seed", "3", "--quiet", "--threads", "1", "--epochs", "3"]


@pytest.fixture(autouse=True)
def _restore_threads():
    with pyrbm.num_threads(pyrbm.get_num_threads()):
        yield


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("run") / "run.h5"
    with pyrbm.num_threads(pyrbm.get_num_threads()):
        assert main([*TRAIN, "--out", str(path), "--samples", str(path.with_suffix(".png"))]) == 0
    return path


def test_pt_and_ptt_write_the_library_chains(run: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "pt.npz"
    assert main(["sample", str(run), "--sampler", "pt", "--temperatures", "4", "--chains", "6",
                 "--sweeps", "70", "--seed", "2", "--out", str(out)]) == 0
    assert "4 betas, swap acceptance" in capsys.readouterr().out
    expected = sampling.parallel_tempering(pyrbm.load(run), 6, 70, betas=4, rng=2)
    with np.load(out) as saved:
        np.testing.assert_array_equal(saved["visible"], expected.v)
        np.testing.assert_array_equal(saved["hidden"], expected.h)
    out = tmp_path / "ptt.npz"
    assert main(["sample", str(run), "--sampler", "ptt", "--temperatures", "3", "--chains", "5",
                 "--sweeps", "9", "--seed", "4", "--checkpoint", "-2", "--out", str(out)]) == 0
    assert "3 models" in capsys.readouterr().out
    models = sampling.archive_trajectory(run, 3, last=-2)
    np.testing.assert_array_equal(models[-1].weights, pyrbm.load(run, -2).weights)
    assert not models[0].weights.any()  # the independent easy end
    expected = sampling.trajectory_tempering(models, 5, 9, rng=4)
    with np.load(out) as saved:
        np.testing.assert_array_equal(saved["visible"], expected.v)
    assert main(["sample", str(run), "--sampler", "gibbs", "--chains", "3", "--sweeps", "2",
                 "--out", str(tmp_path / "g.png")]) == 0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--sampler", "ptt", "--temperatures", "1"], "--temperatures: trajectory tempering needs"),
        (["--sampler", "ptt", "--checkpoint", "9"], "last: checkpoint 9 out of range"),
        (["--sampler", "pt", "--out", "x.jpg"], "--out: expected a .png"),
    ],
)
def test_errors_are_one_line(run: Path, extra: list[str], message: str, capsys) -> None:
    assert main(["sample", str(run), "--sweeps", "2", *extra]) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_unknown_sampler_is_a_usage_error(run: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["sample", str(run), "--sampler", "hmc"])
    assert exit_info.value.code == 2 and "--sampler: invalid choice" in capsys.readouterr().err


def test_swap_summary_warns_where_a_pair_never_swaps() -> None:
    """A pair at acceptance < 0.01 (or never measured) splits the ladder: say where."""
    from pyrbm.cli import _swap_summary

    fine = _swap_summary(np.array([0.3, 0.25, 0.4]), 4, "betas", 12)
    assert fine == "; 4 betas, swap acceptance 0.25-0.40, 12 round trips"
    stuck = _swap_summary(np.array([0.3, 0.004, 0.0, np.nan]), 5, "models", 0)
    assert "WARNING: swap acceptance < 0.01 between slots 1 and 2 and 2 more pair(s)" in stuck
    assert _swap_summary(np.array([]), 1, "betas", 0) == ""

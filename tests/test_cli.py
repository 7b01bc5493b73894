"""The ``pyrbm`` command line: train, resume, sample, info, and one-line errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import pyrbm
from pyrbm import checkpoint
from pyrbm.cli import main, save_samples_png

pytest.importorskip("sklearn")  # the digits data set


@pytest.fixture(autouse=True)
def _restore_threads():
    """``--threads`` sets the process-wide thread count; put it back after each test."""
    with pyrbm.num_threads(pyrbm.get_num_threads()):
        yield

TRAIN = ["train", "--dataset", "digits", "--hidden", "7", "--k", "1", "--batch-size", "100",
         "--seed", "3", "--quiet", "--threads", "1"]


def test_train_resume_info_and_sample(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    run = tmp_path / "run.h5"
    assert main([*TRAIN, "--epochs", "2", "--out", str(run)]) == 0
    assert (tmp_path / "run.png").stat().st_size > 0
    assert [r.epoch for r in checkpoint.list_checkpoints(run)] == [1, 2]
    assert main(["train", "--resume", str(run), "--epochs", "3", "--quiet",
                 "--samples", str(tmp_path / "more.png")]) == 0
    assert (tmp_path / "more.png").exists()
    whole = tmp_path / "whole.h5"
    assert main([*TRAIN, "--epochs", "3", "--out", str(whole)]) == 0
    np.testing.assert_array_equal(pyrbm.load(run).weights, pyrbm.load(whole).weights)
    config = checkpoint.read_config(run)
    assert (config["dataset"], config["n_hidden"], config["k"]) == ("digits", 7, 1)

    capsys.readouterr()
    assert main(["info", str(run)]) == 0
    text = capsys.readouterr().out
    assert "dataset: digits" in text and "3 checkpoint(s)" in text
    assert "sv_max" in text.splitlines()[-4] and len(text.splitlines()[-1].split()) >= 8

    arrays = tmp_path / "s.npz"
    assert main(["sample", str(run), "--chains", "6", "--sweeps", "5", "--seed", "1",
                 "--out", str(arrays)]) == 0
    with np.load(arrays) as saved:
        model = pyrbm.load(run)
        v, h = model.sample(6, 5, rng=1)
        np.testing.assert_array_equal(saved["visible"], v)
        np.testing.assert_array_equal(saved["hidden"], h)
        np.testing.assert_array_equal(saved["visible_probs"], model.visible_probs(h))
    assert main(["sample", str(run), "--chains", "5", "--sweeps", "2",
                 "--out", str(tmp_path / "s.png")]) == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "--hidden", "0"], "--hidden: expected a positive integer"),
        (["train", "--method", "gibbs"], "--method: invalid choice"),
        (["train", "--dataset", "cifar"], "--dataset: invalid choice"),
        (["sample"], "required: archive"),
        (["frobnicate"], "invalid choice"),
        (["train", "--resume", "run.h5", "--hidden", "20"], "--hidden cannot change them"),
        (["train", "--resume", "run.h5", "--lr", "0.5", "--k", "3"], "--k, --lr cannot change"),
        (["train", "--resume", "run.h5", "--out", "other.h5"], "--out cannot change them"),
    ],
)
def test_bad_flags_are_one_line(argv: list[str], message: str, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_bad_files_are_one_line(tmp_path: Path, capsys) -> None:
    foreign = tmp_path / "foreign.h5"
    foreign.write_bytes(b"not hdf5 at all")
    run = tmp_path / "run.h5"
    assert main([*TRAIN, "--epochs", "1", "--out", str(run)]) == 0
    cases = [
        (["info", str(tmp_path / "missing.h5")], "no such file"),
        (["info", str(foreign)], "not an HDF5 file"),
        (["sample", str(run), "--checkpoint", "5"], "checkpoint: 5 out of range"),
        (["sample", str(run), "--out", str(tmp_path / "x.jpg")], "--out: expected a .png"),
        ([*TRAIN, "--out", str(run)], "exists (continue it with --resume"),
    ]
    for argv, message in cases:
        capsys.readouterr()
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1 and err.startswith("pyrbm ")


def test_samples_picture_layout(tmp_path: Path) -> None:
    matplotlib_image = pytest.importorskip("matplotlib.image")
    v = np.zeros((5, 16))
    v[:, 0] = 1
    save_samples_png(v, str(tmp_path / "grid.png"))
    picture = matplotlib_image.imread(tmp_path / "grid.png")
    # 5 images of 4x4 in a 3x2 grid with 1-pixel borders: (2*5+1) x (3*5+1) pixels.
    assert picture.shape[:2] == (11, 16)
    assert picture[1, 1, 0] == pytest.approx(1.0) and picture[2, 2, 0] == pytest.approx(0.0)


@pytest.mark.parametrize(("every", "updates"), [("exponential", [1, 2, 4, 8, 15]), ("6", [6, 12, 15])])
def test_checkpoint_every_flag(tmp_path: Path, every: str, updates: list[int]) -> None:
    run = tmp_path / "run.h5"
    assert main([*TRAIN, "--epochs", "1", "--checkpoint-every", every, "--out", str(run)]) == 0
    assert [r.update for r in checkpoint.list_checkpoints(run)] == updates


def test_train_with_the_anchor_recipe_flags_resumes_exactly(tmp_path: Path) -> None:
    """--binarize-batches trains on the intensities (also when resumed, without data)."""
    flags = [*TRAIN, "--optimizer", "momentum", "--lr", "0.05", "--centered",
             "--binarize-batches"]
    split, whole = tmp_path / "split.h5", tmp_path / "whole.h5"
    assert main([*flags, "--epochs", "1", "--out", str(split)]) == 0
    assert main(["train", "--resume", str(split), "--epochs", "2", "--quiet"]) == 0
    assert main([*flags, "--epochs", "2", "--out", str(whole)]) == 0
    np.testing.assert_array_equal(pyrbm.load(split).weights, pyrbm.load(whole).weights)
    config = checkpoint.read_config(split)
    assert config["binarize_batches"] and config["centered"]
    decaying = tmp_path / "decaying.h5"
    assert main([*flags, "--epochs", "1", "--lr-schedule", "linear", "--lr-decay", "0.5",
                 "--out", str(decaying)]) == 0
    config = checkpoint.read_config(decaying)
    assert (config["lr_schedule"], config["lr_decay"]) == ("linear", 0.5)

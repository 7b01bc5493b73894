"""HDF5 archives: contents, exact resume, clear errors, and survival of SIGKILL."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import textwrap
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

import pyrbm
from pyrbm import checkpoint
from pyrbm.io.archive import ArchiveError

from .conftest import PYTHON, subprocess_env

SETTINGS = {"k": 2, "batch_size": 20, "lr": 0.01}


def _data(intensities: bool = False) -> np.ndarray:
    probabilities = np.random.default_rng(0).random((210, 16))
    if intensities:
        return (0.6 * probabilities).astype(np.float32)
    return (probabilities < 0.3).astype(np.uint8)


def _model() -> pyrbm.RBM:
    return pyrbm.init_rbm(_data(), 5, rng=1)


def _final_state(path: Path) -> tuple[pyrbm.RBM, np.ndarray]:
    arrays, _ = checkpoint.read_resume_state(path)
    return pyrbm.load(path), arrays["chains"]


def _assert_same_run(a: Path, b: Path) -> None:
    (rbm_a, chains_a), (rbm_b, chains_b) = _final_state(a), _final_state(b)
    np.testing.assert_array_equal(rbm_a.weights, rbm_b.weights)
    np.testing.assert_array_equal(rbm_a.visible_bias, rbm_b.visible_bias)
    np.testing.assert_array_equal(rbm_a.hidden_bias, rbm_b.hidden_bias)
    np.testing.assert_array_equal(chains_a, chains_b)
    # A session always saves its last update, so a split run may hold extra checkpoints.
    by_update = {r.update: r for r in checkpoint.list_checkpoints(b)}
    for ra in checkpoint.list_checkpoints(a):
        rb = by_update[ra.update]
        assert ra.epoch == rb.epoch
        ma = {k: v for k, v in ra.metrics.items() if k != "monitor_seconds"}
        mb = {k: v for k, v in rb.metrics.items() if k != "monitor_seconds"}
        assert ma == mb


@pytest.mark.parametrize(
    ("options", "first_epochs"),
    [
        ({"optimizer": "adam", "method": "pcd"}, 2),
        ({"optimizer": "momentum", "method": "rdm", "checkpoint_every": 7}, 1),
        ({"optimizer": "sgd", "centered": True, "lr_schedule": "linear", "decay_epochs": 4}, 3),
        ({"optimizer": "momentum", "binarize_batches": True, "checkpoint_every": 5}, 2),
    ],
)
def test_resume_is_bit_identical(tmp_path: Path, options: dict, first_epochs: int) -> None:
    whole, split = tmp_path / "whole.h5", tmp_path / "split.h5"
    data = _data(intensities=options.get("binarize_batches", False))
    pyrbm.train(_model(), data, epochs=4, rng=2, out=whole, **SETTINGS, **options)
    pyrbm.train(_model(), data, epochs=first_epochs, rng=2, out=split, **SETTINGS, **options)
    rbm, history = pyrbm.resume(split, epochs=4, data=data)
    _assert_same_run(whole, split)
    np.testing.assert_array_equal(rbm.weights, pyrbm.load(whole).weights)
    assert len(history) == len(checkpoint.list_checkpoints(split))
    assert history["epoch"][-1] == 4


def test_archive_contents_and_load(tmp_path: Path) -> None:
    path = tmp_path / "run.h5"
    snapshots = []

    def snapshot(rbm: pyrbm.RBM, info) -> dict[str, float]:
        snapshots.append(rbm.weights.copy())
        return {"epoch_squared": float(info.epoch**2)}

    history = pyrbm.train(_model(), _data(), epochs=3, rng=3, out=path, callbacks=[snapshot],
                          **SETTINGS)
    records = checkpoint.list_checkpoints(path)
    assert [(r.index, r.epoch, r.update) for r in records] == [(0, 1, 10), (1, 2, 20), (2, 3, 30)]
    assert [r.metrics["epoch_squared"] for r in records] == [1.0, 4.0, 9.0]
    assert records[-1].metrics["pll"] == history["pll"][-1]
    for index, weights in enumerate(snapshots):
        np.testing.assert_array_equal(pyrbm.load(path, index).weights, weights)
    np.testing.assert_array_equal(pyrbm.load(path, -1).weights, snapshots[-1])
    config = checkpoint.read_config(path)
    assert config["k"] == 2 and config["n_hidden"] == 5 and config["dtype"] == "float32"
    assert config["pyrbm_version"] == pyrbm.__version__ and "git_hash" in config
    with pytest.raises(IndexError, match="checkpoint"):
        pyrbm.load(path, 3)
    with pytest.raises(TypeError, match="checkpoint"):
        pyrbm.load(path, 1.0)
    # several checkpoints from one open of the archive: the same arrays as one load each
    every = checkpoint.load_checkpoints(path)
    assert len(every) == 3
    for rbm, weights in zip(every, snapshots):
        np.testing.assert_array_equal(rbm.weights, weights)
    picked = checkpoint.load_checkpoints(path, [2, 0, -1])
    for rbm, index in zip(picked, [2, 0, -1]):
        single = pyrbm.load(path, index)
        for name in ("weights", "visible_bias", "hidden_bias"):
            np.testing.assert_array_equal(getattr(rbm, name), getattr(single, name))
    with pytest.raises(IndexError, match="checkpoints: 3 out of range"):
        checkpoint.load_checkpoints(path, [0, 3])
    with pytest.raises(TypeError, match="checkpoints"):
        checkpoint.load_checkpoints(path, [1.0])
    assert checkpoint.load_checkpoints(path, []) == []
    mask = os.umask(0)
    os.umask(mask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~mask


@pytest.mark.parametrize(("every", "drop_last"), [(4, True), ("exponential", False)])
def test_archive_lists_the_records_callbacks_saw(tmp_path: Path, every, drop_last: bool) -> None:
    """One record type per checkpoint: the archive gives back what the callbacks got."""
    assert pyrbm.training.CheckpointInfo is checkpoint.CheckpointInfo
    seen = []
    data = _data()[:190]  # 9 full batches of 20 and one of 10
    pyrbm.train(_model(), data, epochs=2, rng=3, out=tmp_path / "run.h5", drop_last=drop_last,
                checkpoint_every=every, callbacks=[lambda rbm, info: seen.append(info)],
                **SETTINGS)
    records = checkpoint.list_checkpoints(tmp_path / "run.h5")
    assert {r.end_of_epoch for r in records} == {True, False}  # both kinds occur
    assert [dataclasses.replace(r, metrics={}) for r in records] == [
        dataclasses.replace(i, metrics={}) for i in seen
    ]
    assert all(i.metrics.items() <= r.metrics.items() for i, r in zip(seen, records))


def test_resume_rejects_bad_requests(tmp_path: Path) -> None:
    path = tmp_path / "run.h5"
    pyrbm.train(_model(), _data(), epochs=2, rng=4, out=path, **SETTINGS)
    with pytest.raises(ValueError, match="epochs"):
        pyrbm.resume(path, epochs=1, data=_data())
    with pytest.raises(ValueError, match="data: .* user data"):
        pyrbm.resume(path, epochs=3)
    other = _data()
    other[0, 0] = 1 - other[0, 0]
    with pytest.raises(ValueError, match="data: differs"):
        pyrbm.resume(path, epochs=3, data=other)


def test_foreign_and_corrupt_files_give_clear_errors(tmp_path: Path) -> None:
    good = tmp_path / "good.h5"
    pyrbm.train(_model(), _data(), epochs=1, rng=5, out=good, **SETTINGS)
    noise = tmp_path / "noise.h5"
    noise.write_bytes(np.random.default_rng(0).bytes(4096))
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as handle:
        handle["x"] = np.arange(3)
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    damaged = tmp_path / "damaged.h5"
    damaged.write_bytes(good.read_bytes())
    with h5py.File(damaged, "r+") as handle:
        del handle["checkpoints/000000/weights"]
    checkpoint.seal(damaged)  # a consistent file that lacks an array
    future = tmp_path / "future.h5"
    future.write_bytes(good.read_bytes())
    with h5py.File(future, "r+") as handle:
        handle.attrs["format_version"] = 99
    checkpoint.seal(future)
    unsealed = tmp_path / "unsealed.h5"  # edited behind pyrbm's back
    unsealed.write_bytes(good.read_bytes())
    with h5py.File(unsealed, "r+") as handle:
        handle.attrs["git_hash"] = "edited"
    cases = [
        (tmp_path / "missing.h5", "no such file"),
        (noise, "not an HDF5 file"),
        (foreign, "not a pyrbm run archive"),
        (truncated, "not an HDF5 file or corrupt|damaged"),
        (damaged, "damaged archive"),
        (future, "version 99"),
        (unsealed, "damaged archive \\((checksum mismatch|size)"),
    ]
    for path, message in cases:
        with pytest.raises(ArchiveError, match=message):
            pyrbm.load(path)
        if path is not damaged:  # listing reads attributes only, not the arrays
            with pytest.raises(ArchiveError):
                checkpoint.list_checkpoints(path)


# -- SIGKILL at several points of a checkpoint write -----------------------------------------
KILL_SCRIPT = textwrap.dedent(
    """
    import os, shutil, signal, sys
    import numpy as np
    import pyrbm
    from pyrbm import checkpoint
    from pyrbm.io import _journal as journal

    point, path = sys.argv[1], sys.argv[2]
    calls = {"n": 0}

    def die_on_third(original):
        def wrapper(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == 3 and point.endswith("-before"):
                os.kill(os.getpid(), signal.SIGKILL)
            result = original(*args, **kwargs)
            if calls["n"] == 3:
                os.kill(os.getpid(), signal.SIGKILL)
            return result
        return wrapper

    if point == "write":  # HDF5 writing the checkpoint (appended bytes, held ranges)
        checkpoint._write_arrays = die_on_third(checkpoint._write_arrays)
    elif point.startswith("journal"):  # the undo journal written (not yet applied)
        journal.write_journal = die_on_third(journal.write_journal)
    elif point == "range":  # one in-place write of a commit done, the others not
        journal.write_range = die_on_third(journal.write_range)
    elif point.startswith("remove"):  # all in place; the journal still there / deleted
        journal.remove_journal = die_on_third(journal.remove_journal)
    data = (np.random.default_rng(0).random((210, 16)) < 0.3).astype(np.uint8)
    rbm = pyrbm.init_rbm(data, 5, rng=1)
    pyrbm.train(rbm, data, epochs=2, rng=2, out=path, checkpoint_every=1,
                k=2, batch_size=20, lr=0.01)
    """
)


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("reference") / "whole.h5"
    pyrbm.train(_model(), _data(), epochs=2, rng=2, out=path, checkpoint_every=1, **SETTINGS)
    return path


def _start(tmp_path: Path, point: str) -> tuple[subprocess.Popen, Path]:
    script = tmp_path / "kill.py"
    script.write_text(KILL_SCRIPT)
    path = tmp_path / "run.h5"
    env = subprocess_env()
    proc = subprocess.Popen([*PYTHON, str(script), point, str(path)], env=env,
                            stderr=subprocess.PIPE)
    return proc, path


def _check_survivor(path: Path, reference: Path, n_expected: int | None) -> None:
    records = checkpoint.list_checkpoints(path)
    if n_expected is not None:
        assert len(records) == n_expected
    assert records and [r.index for r in records] == list(range(len(records)))
    pyrbm.load(path)  # the last complete checkpoint loads
    pyrbm.resume(path, epochs=2, data=_data())
    _assert_same_run(path, reference)
    assert not [p for p in path.parent.iterdir() if p.name.endswith((".tmp", ".journal"))]


@pytest.mark.parametrize(
    ("point", "n_expected"),
    # Checkpoint 1 creates the file; each later one writes two groups (write 3 = the
    # parameters of checkpoint 2) and commits once (commit 3 = checkpoint 4). A journal
    # that exists is rolled back, whether or not its writes were applied.
    [("write", 1), ("journal-before", 3), ("journal", 3), ("range", None),
     ("remove-before", 3), ("remove", 4)],
)
def test_sigkill_during_a_write_leaves_a_resumable_archive(
    tmp_path: Path, reference_run: Path, point: str, n_expected: int
) -> None:
    proc, path = _start(tmp_path, point)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL, stderr.decode()
    left = (path.parent / f".{path.name}.journal").exists()
    assert left == (point in ("journal", "range", "remove-before")), point
    _check_survivor(path, reference_run, n_expected)  # reads first: a reader rolls back


@pytest.mark.parametrize("delay", [0.0, 0.1])
def test_sigkill_at_a_random_moment_leaves_a_resumable_archive(
    tmp_path: Path, reference_run: Path, delay: float
) -> None:
    proc, path = _start(tmp_path, "none")
    deadline = time.monotonic() + 120
    while not path.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    _check_survivor(path, reference_run, None)

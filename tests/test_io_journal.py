"""In-place appends: CRC arithmetic, the overlay file, journal recovery, bytes per append
not growing with the archive, and readers running while a process appends."""

from __future__ import annotations

import errno
import fcntl
import importlib.util
import os
import signal
import subprocess
import textwrap
import time
import zlib
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

import pyrbm
from pyrbm import checkpoint
from pyrbm.io import _journal as journal

from .conftest import PYTHON, subprocess_env


def test_crc_after_edit_matches_zlib() -> None:
    gen = np.random.default_rng(0)
    for _ in range(100):
        size = int(gen.integers(600, 4000))
        data = bytearray(gen.bytes(size))
        crc = zlib.crc32(data[512:])
        for _ in range(3):  # edits before, across and after the start
            offset = int(gen.integers(0, size - 1))
            new = gen.bytes(int(gen.integers(1, size - offset + 1)))
            crc = journal.crc_after_edit(crc, 512, size, offset, bytes(data[offset:offset + len(new)]),
                                         new)
            data[offset:offset + len(new)] = new
        assert crc == zlib.crc32(data[512:])
    with pytest.raises(ValueError, match="new"):
        journal.crc_after_edit(0, 0, 10, 0, b"ab", b"a")


def test_overlay_holds_writes_below_the_old_end(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(bytes(range(100)))
    fd = os.open(path, os.O_RDWR)
    try:
        f = journal.OverlayFile(fd, 100)
        f.seek(10)
        f.write(b"\xff" * 5)
        f.seek(12)
        f.write(b"\xee" * 3)  # overlaps the first: merged, the later write wins
        f.seek(95)
        f.write(b"\xaa" * 10)  # straddles the old end: 5 bytes held, 5 appended
        assert [(o, bytes(d)) for o, d in f.held] == [
            (10, b"\xff\xff\xee\xee\xee"), (95, b"\xaa" * 5)]
        assert path.read_bytes()[:100] == bytes(range(100))  # old region untouched
        assert path.read_bytes()[100:] == b"\xaa" * 5
        f.seek(8)
        assert f.read(10) == bytes([8, 9]) + b"\xff\xff\xee\xee\xee" + bytes([15, 16, 17])
        f.seek(0, os.SEEK_END)
        assert f.tell() == 105 and f.read(3) == bytes(3)  # past the end: zeros
        assert f.truncate(50) == 100 and path.stat().st_size == 100  # never below base
    finally:
        os.close(fd)


def test_recovery_rolls_back_a_complete_journal_and_drops_an_incomplete_one(
    tmp_path: Path,
) -> None:
    path = tmp_path / "f"
    old = np.random.default_rng(1).bytes(1000)
    path.write_bytes(old)
    journal_file = journal.journal_path(str(path))
    ranges = [(0, b"x" * 10), (500, b"y" * 30)]
    fd = os.open(path, os.O_RDWR)
    try:
        journal.write_journal(journal_file, 1000, [(o, old[o:o + len(d)]) for o, d in ranges])
        for offset, data in ranges[:1]:  # killed after the first in-place write
            journal.write_range(fd, offset, data)
        os.pwrite(fd, b"appended", 1000)
        assert journal.recover(fd, str(path)) is True
        assert path.read_bytes() == old and not os.path.exists(journal_file)
        journal.write_journal(journal_file, 1000, [(0, old[:10])])
        raw = Path(journal_file).read_bytes()
        Path(journal_file).write_bytes(raw[:-1])  # killed while writing the journal
        assert journal.read_journal(journal_file) is None
        assert journal.recover(fd, str(path)) is False
        assert path.read_bytes() == old and not os.path.exists(journal_file)
    finally:
        os.close(fd)


APPENDER = textwrap.dedent(
    """
    import sys
    import numpy as np
    from pyrbm import RBM, checkpoint

    def append(path, index, n_visible=101, n_hidden=37):
        value = np.float32(index)
        rbm = RBM(np.full((n_visible, n_hidden), value, np.float32),
                  np.full(n_visible, value, np.float32), np.full(n_hidden, value, np.float32))
        checkpoint.append_checkpoint(
            str(path), config={"data_shape": [10, n_visible], "batch_size": 10,
                               "drop_last": False},
            rbm=rbm, record=checkpoint.CheckpointInfo(index, 10 * index, 0.0, index),
            resume_arrays={"chains": np.full((7, n_visible), value, np.float32)},
            resume_attrs={"update": 10 * index}, version="test",
        )

    if __name__ == "__main__":  # a writer: PATH FIRST STOP [READY]
        path, first, stop = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
        if len(sys.argv) > 4:
            open(sys.argv[4], "w").close()  # the imports are done
        for index in range(first, stop):
            append(path, index, 300, 200)
    """
)


@pytest.fixture
def appender(tmp_path: Path) -> Path:
    script = tmp_path / "appender.py"
    script.write_text(APPENDER)
    return script


def _append_function(script: Path) -> Any:
    spec = importlib.util.spec_from_file_location("appender", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.append


def _io_bytes() -> int:
    """Bytes this process read and wrote through system calls (read, write, pread,
    pwrite, sendfile, ...) so far."""
    with open("/proc/self/io") as io:
        fields = dict(line.split(": ") for line in io.read().splitlines())
    return int(fields["rchar"]) + int(fields["wchar"])


@pytest.mark.skipif(not os.path.exists("/proc/self/io"), reason="needs Linux's /proc/self/io")
def test_bytes_per_append_do_not_grow_with_the_archive(tmp_path: Path, appender: Path) -> None:
    _append = _append_function(appender)
    path = tmp_path / "run.h5"
    per_append = []
    for index in range(60):
        before = _io_bytes()
        _append(path, index)
        per_append.append(_io_bytes() - before)
    checkpoint_bytes = 4 * (101 * 37 + 101 + 37 + 7 * 101)
    early, late = np.mean(per_append[5:10]), np.mean(per_append[50:60])
    assert late <= 1.1 * early, per_append
    assert late < 6 * checkpoint_bytes < path.stat().st_size / 5, (late, path.stat().st_size)
    records = checkpoint.list_checkpoints(path)
    assert [r.index for r in records] == list(range(60))
    np.testing.assert_array_equal(pyrbm.load(path, 33).weights, np.float32(33))
    arrays, attrs = checkpoint.read_resume_state(path)
    assert attrs["update"] == 590 and np.all(arrays["chains"] == 59)
    with open(path, "rb") as raw:  # the incrementally updated checksum is the file's
        block = raw.read(checkpoint.USERBLOCK_SIZE).split(b"\0")[0].decode()
        assert block == (f"pyrbm-archive crc32={zlib.crc32(raw.read()):08x} "
                         f"size={path.stat().st_size}\n")


def test_appending_to_an_archive_without_the_integrity_block(tmp_path: Path,
                                                              appender: Path) -> None:
    _append = _append_function(appender)
    sealed, legacy = tmp_path / "sealed.h5", tmp_path / "legacy.h5"
    _append(sealed, 0)
    legacy.write_bytes(sealed.read_bytes()[checkpoint.USERBLOCK_SIZE:])
    _append(legacy, 1)
    assert legacy.read_bytes().startswith(b"\x89HDF")  # left without a block
    assert [r.index for r in checkpoint.list_checkpoints(legacy)] == [0, 1]
    np.testing.assert_array_equal(pyrbm.load(legacy).weights, np.float32(1))
    with h5py.File(legacy, "r") as handle:  # plain h5py reads it
        assert sorted(handle["checkpoints"]) == ["000000", "000001"]


def test_readers_never_see_a_half_written_checkpoint(tmp_path: Path, appender: Path) -> None:
    path = tmp_path / "run.h5"
    _append_function(appender)(path, 0, 300, 200)
    writer = subprocess.Popen([*PYTHON, str(appender), str(path), "1", "40"], env=subprocess_env(),
                              stderr=subprocess.PIPE)
    seen = []
    try:
        while writer.poll() is None or not seen or seen[-1] < 39:
            records = checkpoint.list_checkpoints(path)
            last = len(records) - 1
            assert [r.index for r in records] == list(range(last + 1))
            np.testing.assert_array_equal(pyrbm.load(path, last).weights, np.float32(last))
            assert pyrbm.io.detect_format(path) == "pyrbm"  # plain h5py, under the lock
            arrays, attrs = checkpoint.read_resume_state(path)
            assert attrs["update"] >= 10 * last and np.all(arrays["chains"] == attrs["update"] // 10)
            seen.append(last)
            if writer.poll() not in (None, 0):
                break
    finally:
        _, stderr = writer.communicate(timeout=120)
    assert writer.returncode == 0, stderr.decode()[-3000:]
    assert seen == sorted(seen) and seen[-1] == 39 and len(set(seen)) > 3, seen


def test_a_reader_without_write_access_refuses_a_half_committed_archive(
    tmp_path: Path, appender: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _append = _append_function(appender)
    path = tmp_path / "run.h5"
    _append(path, 0)

    def killed(journal_file: str) -> None:
        raise SystemExit("killed before the journal was deleted")

    with monkeypatch.context() as patch:
        patch.setattr(journal, "remove_journal", killed)
        with pytest.raises(SystemExit):
            _append(path, 1)
    journal_file = Path(journal.journal_path(str(path)))
    assert journal_file.exists()
    real_open = os.open

    def read_only(name: str, flags: int, *args: int) -> int:
        if flags & os.O_RDWR and os.fspath(name) == str(path):
            raise PermissionError(13, "Permission denied")
        return real_open(name, flags, *args)

    with monkeypatch.context() as patch:
        patch.setattr(os, "open", read_only)
        with pytest.raises(checkpoint.ArchiveError, match=f"{path}: .*interrupted .*commit"):
            checkpoint.list_checkpoints(path)
    assert [r.index for r in checkpoint.list_checkpoints(path)] == [0]  # rolled back
    assert not journal_file.exists()
    _append(path, 1)
    journal_file.write_bytes(b"pyrbm-journal 1\n")  # a writer killed while writing it
    with monkeypatch.context() as patch:
        patch.setattr(os, "open", read_only)
        assert [r.index for r in checkpoint.list_checkpoints(path)] == [0, 1]


def test_file_systems_without_flock(tmp_path: Path, appender: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """ENOLCK (some NFS mounts) means no coordination, not an error; others still raise."""
    _append = _append_function(appender)
    path = tmp_path / "run.h5"
    _append(path, 0)

    def no_locks(fd: int, operation: int) -> None:
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_locks)
    _append(path, 1)
    assert [r.index for r in checkpoint.list_checkpoints(path)] == [0, 1]

    def broken(fd: int, operation: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(fcntl, "flock", broken)
    with pytest.raises(checkpoint.ArchiveError, match=f"{path}: cannot be read"):
        checkpoint.list_checkpoints(path)


def test_sigkill_at_random_moments_of_appending(tmp_path: Path, appender: Path) -> None:
    """A writer appending 300 x 200 checkpoints back to back, killed at 8 random moments:
    every time the archive opens with its last complete checkpoint and the matching resume
    state, and takes the next append."""
    path = tmp_path / "run.h5"
    _append = _append_function(appender)
    _append(path, 0, 300, 200)
    ready = path.with_suffix(".ready")
    gen = np.random.default_rng(0)
    for _ in range(8):
        before = len(checkpoint.list_checkpoints(path))
        ready.unlink(missing_ok=True)
        proc = subprocess.Popen([*PYTHON, str(appender), str(path), str(before),
                                 str(before + 1000), str(ready)], env=subprocess_env())
        deadline = time.monotonic() + 60
        while not ready.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(float(gen.uniform(0.0, 0.3)))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        records = checkpoint.list_checkpoints(path)
        last = len(records) - 1
        assert [r.index for r in records] == list(range(last + 1)) and last >= before - 1
        np.testing.assert_array_equal(pyrbm.load(path, -1).weights, np.float32(last))
        arrays, attrs = checkpoint.read_resume_state(path)
        assert attrs["update"] == 10 * last and np.all(arrays["chains"] == last)
    _append(path, last + 1, 300, 200)
    assert len(checkpoint.list_checkpoints(path)) == last + 2
    assert not Path(journal.journal_path(str(path))).exists()

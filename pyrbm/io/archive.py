"""HDF5 run archives: one file per training run, written atomically.

Layout (``format = "pyrbm-run"``, ``format_version = 1``)::

    /                 attrs: format, format_version, pyrbm_version, git_hash, config (JSON)
    /checkpoints/NNNNNN   weights, visible_bias, hidden_bias;
                          attrs: epoch, update, wall_time, metrics (JSON)
    /resume           state of the latest checkpoint needed to continue bit for bit:
                      arrays (persistent chains, optimizer state, batch order, ...) and
                      attrs (epoch, update, position, wall_time, rng states as JSON)

Integrity: the file starts with a 512-byte HDF5 user block (ignored by HDF5) holding
the CRC-32 and size of everything after it, rewritten with each checkpoint. A reader
verifies it before HDF5 parses the file, so a damaged archive (bit flips, a truncated or
zeroed stretch) is an ArchiveError, never a crash inside the HDF5 library (which
happens with some damaged attribute heaps). Bytes past the recorded size are an append
not committed yet (or killed before its commit): HDF5 never reads them and the check
ignores them. Archives written before this block existed (HDF5 signature at offset 0)
are read without the check, and appended to without adding one.

Appends (:func:`append_checkpoint`) cost the new checkpoint and the resume state, not
the archive: the first checkpoint is written to a temporary file renamed into place,
later ones in place through an undo journal, with the CRC-32 updated from the changed
and appended bytes alone (:mod:`pyrbm.io._journal`: the steps, the recovery, the
locks). A process killed at any moment leaves the old archive or the new one; a reader
(shared ``flock``) never sees a commit (exclusive ``flock``) half done.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import json
import os
import re
import stat
import subprocess
import tempfile
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import h5py
import numpy as np

from ..model import RBM
from . import _journal
from ._state import dumps as dumps
from ._state import generator_state as generator_state
from ._state import loads as loads
from ._state import restore_generator as restore_generator

FORMAT = "pyrbm-run"
FORMAT_VERSION = 1

#: Size of the user block that holds the checksum (HDF5 needs a power of two >= 512).
USERBLOCK_SIZE = 512
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_INTEGRITY = re.compile(rb"pyrbm-archive crc32=([0-9a-f]{8}) size=([0-9]{1,20})\n")


class ArchiveError(ValueError):
    """The file is not a readable pyrbm archive (missing, foreign, corrupt)."""


@dataclass(frozen=True)
class CheckpointInfo:
    """One checkpoint of a run: what callbacks receive and what the archive lists.

    The trainer makes one per saved point; :func:`list_checkpoints` reads the same
    record back from the archive's attributes (no arrays loaded).

    Attributes
    ----------
    epoch : int
        Completed epochs (fractional progress is in ``update``).
    update : int
        Parameter updates done so far.
    wall_time : float
        Elapsed seconds of the run when this checkpoint began, summed over resumed
        sessions (training, monitoring and saving included).
    index : int
        Position of this checkpoint in the archive.
    metrics : dict of str to float
        Callbacks receive the trainer's own metrics; the saved record also holds what
        the callbacks returned.
    end_of_epoch : bool
        Whether this checkpoint closes an epoch (``epoch`` epochs are complete and no
        update of the next one is done). Checkpoints every n updates or at powers of two
        can fall inside an epoch; per-epoch observers should skip those.
    """

    epoch: int
    update: int
    wall_time: float
    index: int = 0
    metrics: dict[str, float] = field(default_factory=dict)
    end_of_epoch: bool = True


#: The name this record had before it was merged with the trainer's (same class).
CheckpointRecord = CheckpointInfo


def batches_per_epoch(n_samples: int, batch_size: int, drop_last: bool) -> int:
    """Updates in one epoch: full batches, plus the incomplete last one unless dropped.

    The trainer's rule; the archive uses it to tell which checkpoints close an epoch.
    """
    full, rest = divmod(n_samples, batch_size)
    return full if drop_last or rest == 0 else full + 1


@functools.lru_cache(maxsize=1)
def git_hash() -> str:
    """Commit of the pyrbm source tree, or "" when it is not a git checkout.

    Only a checkout whose top level holds this package counts: an installed pyrbm
    inside some other repository (a virtual environment in a project) has no hash.
    """
    package = os.path.dirname(os.path.abspath(__file__))
    try:
        result = subprocess.run(
            ["git", "rev-parse", "--show-toplevel", "HEAD"],
            cwd=package,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    lines = result.stdout.splitlines()
    if result.returncode != 0 or len(lines) != 2:
        return ""
    top, commit = lines
    return commit if os.path.samefile(top, os.path.dirname(package)) else ""


# -- reading ------------------------------------------------------------------------------
def _check_path(path: str) -> None:
    """ArchiveError unless ``path`` names an existing regular file."""
    if not os.path.lexists(path):
        raise ArchiveError(f"{path}: no such file")
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise ArchiveError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(mode):
        raise ArchiveError(f"{path}: is a directory, not an archive file")
    if not stat.S_ISREG(mode):
        kind = ("a FIFO" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode)
                or stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode) else "special")
        raise ArchiveError(f"{path}: is {kind} file, not a regular archive file")


def _integrity_block(crc: int, size: int) -> bytes:
    text = f"pyrbm-archive crc32={crc:08x} size={size}\n".encode("ascii")
    return text.ljust(USERBLOCK_SIZE, b"\0")


def _crc_after_block(handle: Any, end: int | None = None) -> int:
    """CRC-32 of the bytes from the end of the user block to ``end`` (None: the file's)."""
    at = handle.seek(USERBLOCK_SIZE)
    crc = 0
    while chunk := handle.read(1 << 22 if end is None else min(1 << 22, end - at)):
        crc, at = zlib.crc32(chunk, crc), at + len(chunk)
    return crc


def seal(path: str | os.PathLike[str]) -> None:
    """Write the CRC-32 and size of the file after its user block into the block.

    :func:`append_checkpoint` does this after every write; call it after editing an
    archive by other means (h5py), else readers refuse the edited file as damaged.
    """
    with open(os.fspath(path), "rb+") as raw:
        crc = _crc_after_block(raw)
        size = raw.seek(0, os.SEEK_END)
        raw.seek(0)
        raw.write(_integrity_block(crc, size))


def _verify_integrity(path: str) -> None:
    """ArchiveError unless the user block's checksum matches (legacy files: no block)."""
    try:
        with open(path, "rb") as raw:
            head = raw.read(USERBLOCK_SIZE)
            if head.startswith(_HDF5_SIGNATURE):
                return  # an archive written without the integrity block
            match = _INTEGRITY.match(head)
            if match is None or head != _integrity_block(int(match[1], 16), int(match[2])):
                raise ArchiveError(f"{path}: not an HDF5 file or corrupt (no valid pyrbm "
                                   "integrity block or HDF5 signature at its start)")
            # Bytes past the sealed size are an append not committed yet (or killed
            # before its commit): HDF5 never reads them, and neither does the check.
            size, sealed = raw.seek(0, os.SEEK_END), int(match[2])
            if size < sealed:
                raise ArchiveError(f"{path}: damaged archive (size {size} bytes, "
                                   f"{sealed} were written)")
            if _crc_after_block(raw, sealed) != int(match[1], 16):
                raise ArchiveError(f"{path}: damaged archive (checksum mismatch)")
    except OSError as exc:
        raise ArchiveError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def _check_header(path: str, handle: h5py.File) -> None:
    """ArchiveError unless the root attributes say pyrbm run archive, known version."""
    fmt = handle.attrs.get("format")
    if not (isinstance(fmt, str) and fmt == FORMAT):
        raise ArchiveError(f"{path}: not a pyrbm run archive (format attribute {fmt!r})")
    version = handle.attrs.get("format_version", None)
    if isinstance(version, (bool, np.bool_)) or not isinstance(version, (int, np.integer)):
        raise ArchiveError(
            f"{path}: format_version attribute is not an integer: {version!r}"
        )
    if int(version) != FORMAT_VERSION:
        raise ArchiveError(f"{path}: archive format version {int(version)} is not supported")


def open_archive(path: str | os.PathLike[str]) -> h5py.File:
    """Open ``path`` read-only and check it is a pyrbm run archive.

    Raises
    ------
    ArchiveError
        If the path is missing or not a regular file, the file is not HDF5 or corrupt,
        or not a pyrbm archive of a known version; the message names the file.

    Notes
    -----
    While the handle is open, HDF5's own shared lock on the file makes an append by
    another process wait before its commit (the read functions of this module hold the
    file only as long as they read).
    """
    path = os.fspath(path)
    with _reading(path):
        return _open(path)


@contextlib.contextmanager
def _reading(path: str) -> Iterator[None]:
    """Check the path, then hold the readers' lock (:func:`pyrbm.io._journal.reading`)."""
    _check_path(path)
    lock = _journal.reading(path)
    try:
        lock.__enter__()
    except OSError as exc:
        raise ArchiveError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        yield
    finally:
        lock.__exit__(None, None, None)


def _open(path: str) -> h5py.File:
    _verify_integrity(path)
    try:
        handle = h5py.File(path, "r")
    except Exception as exc:  # h5py raises OSError, RuntimeError, ... on damaged files
        raise ArchiveError(f"{path}: not an HDF5 file or corrupt ({exc})") from None
    try:
        _check_header(path, handle)
    except Exception as exc:
        handle.close()
        if isinstance(exc, ArchiveError):
            raise
        raise ArchiveError(f"{path}: damaged archive header ({type(exc).__name__}: {exc})") from None
    return handle


_T = TypeVar("_T")


def _checked(path: str, action: Callable[[h5py.File], _T]) -> _T:
    """Run ``action(handle)`` on the open archive; any failure to read it (h5py's
    OSError/RuntimeError/KeyError, a bad attribute, JSON nested too deep, an array too
    large to allocate, invalid parameters) becomes ArchiveError naming the file.
    IndexError (a checkpoint index out of range) passes through."""
    with _reading(path):
        handle = _open(path)
        try:
            return action(handle)
        except (ArchiveError, IndexError):
            raise
        except Exception as exc:
            raise ArchiveError(f"{path}: damaged archive ({type(exc).__name__}: {exc})") from None
        finally:
            try:
                handle.close()
            except Exception:  # closing a damaged file can fail too; the read already has
                pass


def _records(handle: h5py.File) -> list[CheckpointInfo]:
    config = loads(handle.attrs["config"])
    per_epoch = batches_per_epoch(config["data_shape"][0], config["batch_size"], config["drop_last"])
    group = handle["checkpoints"]
    out = []
    for name in sorted(group):
        attrs = group[name].attrs
        epoch, update = int(attrs["epoch"]), int(attrs["update"])
        out.append(
            CheckpointInfo(
                epoch=epoch,
                update=update,
                wall_time=float(attrs["wall_time"]),
                index=int(name),
                metrics=json.loads(attrs["metrics"]),
                end_of_epoch=update == epoch * per_epoch,
            )
        )
    return out


def list_checkpoints(path: str | os.PathLike[str]) -> list[CheckpointInfo]:
    """Saved points of an archive, oldest first, from attributes only (no arrays read).

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    list of CheckpointInfo
        The records the run's callbacks saw, each with the metrics saved with it.
    """
    return _checked(os.fspath(path), _records)


def read_config(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The run configuration and provenance stored in an archive.

    Returns
    -------
    dict
        The training configuration plus ``pyrbm_version`` and ``git_hash``.
    """

    def action(handle: h5py.File) -> dict[str, Any]:
        config: dict[str, Any] = loads(handle.attrs["config"])
        config["pyrbm_version"] = str(handle.attrs["pyrbm_version"])
        config["git_hash"] = str(handle.attrs["git_hash"])
        return config

    return _checked(os.fspath(path), action)


def load(path: str | os.PathLike[str], checkpoint: int = -1) -> RBM:
    """Return the RBM saved at one checkpoint of an archive.

    Parameters
    ----------
    path : str or os.PathLike
        A run archive written by :func:`pyrbm.train`.
    checkpoint : int
        Position in the list of checkpoints (Python indexing: -1 = latest).

    Returns
    -------
    RBM

    Raises
    ------
    ArchiveError
        If the file is not a readable pyrbm archive.
    IndexError
        If ``checkpoint`` is out of range.
    """
    return _read_models(path, [checkpoint], "checkpoint")[0]


def _read_models(path: str | os.PathLike[str], picks: list[Any] | None,
                 argument: str) -> list[RBM]:
    """The RBMs of checkpoints ``picks`` (None: all), the archive opened and checked once."""
    for c in picks or []:
        if isinstance(c, bool) or not isinstance(c, (int, np.integer)):
            raise TypeError(f"{argument}: expected an int, got {type(c).__name__}")

    def action(handle: h5py.File) -> list[RBM]:
        names = sorted(handle["checkpoints"])
        out = []
        for c in range(len(names)) if picks is None else picks:
            if not -len(names) <= c < len(names):
                raise IndexError(f"{argument}: {c} out of range for {len(names)} checkpoint(s)")
            group = handle["checkpoints"][names[c]]
            out.append(RBM(group["weights"][()], group["visible_bias"][()],
                           group["hidden_bias"][()]))
        return out

    return _checked(os.fspath(path), action)


def load_checkpoints(path: str | os.PathLike[str],
                     checkpoints: Sequence[int] | None = None) -> list[RBM]:
    """Return the RBMs saved at several checkpoints, reading the archive once.

    Like ``[load(path, i) for i in checkpoints]`` but the file is opened and its
    checksum verified once, not once per checkpoint (which costs a read of the whole
    archive each: minutes for hundreds of checkpoints of a large model).

    Parameters
    ----------
    path : str or os.PathLike
        A run archive written by :func:`pyrbm.train`.
    checkpoints : sequence of int, optional
        Positions in the list of checkpoints (Python indexing); default: all, in order.

    Returns
    -------
    list of RBM

    Raises
    ------
    ArchiveError
        If the file is not a readable pyrbm archive.
    IndexError
        If a position is out of range.
    """
    return _read_models(path, None if checkpoints is None else list(checkpoints), "checkpoints")


def read_resume_state(path: str | os.PathLike[str]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Arrays and attributes of the ``/resume`` group (the latest checkpoint's state)."""

    def action(handle: h5py.File) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        group = handle["resume"]
        arrays: dict[str, np.ndarray] = {name: group[name][()] for name in group}
        attrs: dict[str, Any] = {name: group.attrs[name] for name in group.attrs}
        return arrays, attrs

    return _checked(os.fspath(path), action)


# -- writing ------------------------------------------------------------------------------
def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def remove_stale_temporaries(path: str) -> None:
    """Delete temporaries left by a process killed while creating an archive."""
    directory, name = os.path.split(os.path.abspath(path))
    for stale in glob.glob(os.path.join(glob.escape(directory), f".{glob.escape(name)}.*.tmp")):
        os.remove(stale)


def _write_arrays(group: h5py.Group, arrays: Mapping[str, np.ndarray]) -> None:
    for name, value in arrays.items():
        value = np.asarray(value)
        if name in group and group[name].shape == value.shape and group[name].dtype == value.dtype:
            group[name][...] = value  # same place: the file does not grow
        else:
            if name in group:
                del group[name]
            group.create_dataset(name, data=value)


def _fill(handle: h5py.File, config: Mapping[str, Any] | None, rbm: RBM, record: CheckpointInfo,
          resume_arrays: Mapping[str, np.ndarray], resume_attrs: Mapping[str, Any],
          version: str) -> None:
    """Add the checkpoint and the resume state (and, in a new file, the header)."""
    if "checkpoints" not in handle:
        handle.attrs["format"] = FORMAT
        handle.attrs["format_version"] = FORMAT_VERSION
        handle.attrs["pyrbm_version"] = version
        handle.attrs["git_hash"] = git_hash()
        handle.attrs["config"] = dumps(dict(config or {}))
        handle.create_group("checkpoints")
    group = handle["checkpoints"].create_group(f"{record.index:06d}")
    _write_arrays(
        group,
        {"weights": rbm.weights, "visible_bias": rbm.visible_bias,
         "hidden_bias": rbm.hidden_bias},
    )
    group.attrs["epoch"] = record.epoch
    group.attrs["update"] = record.update
    group.attrs["wall_time"] = record.wall_time
    group.attrs["metrics"] = json.dumps(record.metrics)
    resume = handle.require_group("resume")
    _write_arrays(resume, resume_arrays)
    for key, value in resume_attrs.items():
        resume.attrs[key] = value


def _create(path: str, fill: Callable[[h5py.File], None]) -> None:
    """Write a new archive to a temporary file and rename it into place."""
    directory, name = os.path.split(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the archive the usual mode
    try:
        with h5py.File(tmp, "w", userblock_size=USERBLOCK_SIZE) as handle:
            fill(handle)
        seal(tmp)
        with open(tmp, "rb+") as raw:
            os.fsync(raw.fileno())
        os.replace(tmp, path)
        _journal.fsync_dir(directory)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _sealed(head: bytes, path: str) -> tuple[int, int] | None:
    """CRC and size the user block ``head`` records; None for an archive without one."""
    if head.startswith(_HDF5_SIGNATURE):
        return None
    match = _INTEGRITY.match(head)
    if match is None:
        raise ArchiveError(f"{path}: not an HDF5 file or corrupt (no valid pyrbm integrity "
                           "block or HDF5 signature at its start)")
    return int(match[1], 16), int(match[2])


def append_checkpoint(
    path: str,
    *,
    config: Mapping[str, Any] | None,
    rbm: RBM,
    record: CheckpointInfo,
    resume_arrays: Mapping[str, np.ndarray],
    resume_attrs: Mapping[str, Any],
    version: str,
) -> None:
    """Atomically add a checkpoint (and replace the resume state) in the archive ``path``.

    Costs the bytes of the new checkpoint and of the resume state, not the archive's size
    (module docstring).

    Parameters
    ----------
    path : str
        Archive path; created (with ``config``) when it does not exist.
    config : mapping or None
        Run configuration, written only when the archive is created.
    rbm : RBM
        Parameters to save.
    record : CheckpointInfo
        Position, wall time and metrics of this checkpoint.
    resume_arrays, resume_attrs : mapping
        Everything needed to continue training from here.
    version : str
        pyrbm version to record.
    """
    fill = functools.partial(_fill, config=config, rbm=rbm, record=record,
                             resume_arrays=resume_arrays, resume_attrs=resume_attrs,
                             version=version)
    if os.path.exists(path):
        _journal.append_in_place(path, fill, functools.partial(_sealed, path=path),
                                 _integrity_block, USERBLOCK_SIZE)
    else:
        _create(path, fill)

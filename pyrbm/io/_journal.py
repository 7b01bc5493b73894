"""Crash-safe in-place edits of one file: an undo journal next to it, and flock.

:func:`pyrbm.io.archive.append_checkpoint` opens an existing archive through h5py's
``driver="fileobj"`` with an :class:`OverlayFile`: bytes HDF5 writes at or past the old
end of the file go straight to the file (no reader looks there: every address a reader
follows comes from the old superblock), writes into the old region are held in memory.
:func:`commit` then makes them durable in order:

1. ``fsync`` the file (the appended bytes are on disk before anything points at them);
2. write the undo journal ``.<name>.journal`` (the old size, the old bytes of every range
   about to be overwritten, a CRC-32 of all that, an end marker), ``fsync`` it and the
   directory;
3. write the held ranges in place, ``fsync``;
4. delete the journal, ``fsync`` the directory.

:func:`recover` (the next writer, or a reader that finds a journal) rolls back a complete
journal (old bytes restored, file truncated to the old size) and deletes an incomplete one
(step 3 never began). A process killed at any moment thus leaves the old file, or the new
one once step 4 is done; nothing in between is ever visible.

Locking: the commit (steps 2-4) and recovery hold ``flock(LOCK_EX)`` on the file,
readers (:func:`reading`) ``LOCK_SH`` while they check and read it; HDF5 itself holds
``LOCK_SH`` while a read-only handle is open. A reader therefore never sees a commit half
done, and a journal a reader finds while holding its lock belongs to a dead writer.
One writer per file, as before.

The CRC-32 helpers update a checksum over ``[start, size)`` for in-place changes without
reading the unchanged bytes: CRC-32 is affine over GF(2), so changing bytes ``X`` to
``Y`` at ``[o, o + n)`` changes it by the raw CRC of ``X ^ Y`` advanced over the
``size - o - n`` bytes after it (multiplication by ``x^(8k)`` modulo the polynomial, as in
zlib's ``crc32_combine``).

Measured (``bench/bench_archive.py``, 600 checkpoints of 784 x 500 float32 plus a
4.7 MB resume state, bench/RESULTS.md): an append costs 35-60 ms at checkpoint 10 as at
600 (953 MB); the copy method it replaces (copy the archive, append, CRC-32 the whole
file, fsync, rename) cost 31 ms at checkpoint 10, 263 ms at 100, 1.29 s at 600, and
427 s for the 600 against 36 s.

Why this mechanism: HDF5 itself has no crash-safe update of an existing file (a killed
writer can leave it unreadable; the SWMR mode keeps a file readable but allows no new
groups, datasets or attributes while it is on and needs the v110 format); one file per
checkpoint breaks the one-file-per-run layout; HDF5's own metadata checksums (libver
v110) do not cover the v0 metadata of existing archives, nor notice an edit with plain
h5py. The journal keeps the layout of format version 1 (no version bump): older pyrbm
reads these archives, except while an append is in progress (it wants the file to end
where the block says).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import struct
import zlib
from collections.abc import Callable, Iterator, Sequence

import h5py
import numpy as np

_POLY = 0xEDB88320  # CRC-32 (zlib), reflected
_MAGIC = b"pyrbm-journal 1\n"
_END = b"pyrbm-journal end\n"
_HEAD = struct.Struct("<QI")  # old size, number of ranges
_RANGE = struct.Struct("<QQ")  # offset, length (then the old bytes)


# -- CRC-32 arithmetic ---------------------------------------------------------------------
def _multmodp(a: int, b: int) -> int:
    """a * b modulo the CRC polynomial (reflected bit order; a != 0)."""
    m, p = 1 << 31, 0
    while True:
        if a & m:
            p ^= b
            if not a & (m - 1):
                return p
        m >>= 1
        b = (b >> 1) ^ _POLY if b & 1 else b >> 1


_X2N = [1 << 30]  # x^(2^k) mod P, k = 0..31 (x^(2^32) = x: the table cycles)
for _ in range(31):
    _X2N.append(_multmodp(_X2N[-1], _X2N[-1]))


def crc_shift(raw: int, n_bytes: int) -> int:
    """Raw CRC register ``raw`` advanced over ``n_bytes`` zero bytes."""
    p, k, n = 1 << 31, 3, n_bytes
    while n:
        if n & 1:
            p = _multmodp(_X2N[k & 31], p)
        n >>= 1
        k += 1
    return _multmodp(p, raw)


def raw_crc(data: bytes | bytearray | memoryview) -> int:
    """CRC-32 of ``data`` without zlib's initial and final inversion (linear in data)."""
    return zlib.crc32(data, 0xFFFFFFFF) ^ 0xFFFFFFFF


def crc_after_edit(crc: int, start: int, size: int, offset: int, old: bytes,
                   new: bytes | bytearray) -> int:
    """zlib CRC-32 of ``file[start:size]`` after ``old`` at ``offset`` became ``new``.

    ``crc`` is the CRC-32 before; bytes of the edit before ``start`` do not count.
    """
    if len(old) != len(new):
        raise ValueError("new: must have the length of old")
    end = offset + len(old)
    cut = max(start - offset, 0)
    if end <= start or cut >= len(old):
        return crc
    delta = np.bitwise_xor(np.frombuffer(old, np.uint8)[cut:], np.frombuffer(new, np.uint8)[cut:])
    return crc ^ crc_shift(raw_crc(delta.tobytes()), size - end)


def flock(fd: int, operation: int) -> None:
    """``fcntl.flock``, a no-op on file systems without it (some NFS mounts: as HDF5 with
    ``HDF5_USE_FILE_LOCKING=FALSE``, readers and the commit are then not coordinated)."""
    try:
        fcntl.flock(fd, operation)
    except OSError as exc:
        if exc.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):
            raise


# -- the file object h5py writes through ---------------------------------------------------
class OverlayFile:
    """File object for h5py's ``fileobj`` driver over the descriptor ``fd``.

    Writes at offsets ``>= base`` go to the file; writes below ``base`` are held in
    :attr:`held` (sorted, disjoint ``[offset, bytearray]`` ranges) and read back from
    there. The file never shrinks below ``base``.
    """

    def __init__(self, fd: int, base: int) -> None:
        self.fd, self.base, self.pos = fd, base, 0
        self.size = os.fstat(fd).st_size
        self.held: list[tuple[int, bytearray]] = []

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        self.pos = offset + (0 if whence == os.SEEK_SET else
                             self.pos if whence == os.SEEK_CUR else self.size)
        return self.pos

    def tell(self) -> int:
        return self.pos

    def read(self, n: int = -1) -> bytes:
        n = self.size - self.pos if n < 0 else n
        out = bytearray(os.pread(self.fd, n, self.pos))
        out.extend(bytes(n - len(out)))  # past the end: zeros, as HDF5's sec2 driver
        lo, hi = self.pos, self.pos + n
        for start, data in self.held:
            a, b = max(lo, start), min(hi, start + len(data))
            if a < b:
                out[a - lo : b - lo] = data[a - start : b - start]
        self.pos = hi
        return bytes(out)

    def write(self, data: bytes | bytearray | memoryview) -> int:
        view = memoryview(data).cast("B")
        lo, hi = self.pos, self.pos + len(view)
        if lo < self.base:
            self.hold(lo, view[: min(hi, self.base) - lo])
        if hi > self.base:
            cut = max(self.base - lo, 0)
            os.pwrite(self.fd, view[cut:], lo + cut)
            self.size = max(self.size, hi)
        self.pos = hi
        return len(view)

    def hold(self, offset: int, data: bytes | bytearray | memoryview) -> None:
        """Keep ``data`` for ``offset`` in memory, over what is held there already."""
        end = offset + len(data)
        touching = [r for r in self.held if r[0] <= end and offset <= r[0] + len(r[1])]
        keep = [r for r in self.held if all(r is not t for t in touching)]
        lo = min([offset] + [r[0] for r in touching])
        hi = max([end] + [r[0] + len(r[1]) for r in touching])
        merged = bytearray(hi - lo)
        for start, old in touching:
            merged[start - lo : start - lo + len(old)] = old
        merged[offset - lo : end - lo] = data
        self.held = sorted(keep + [(lo, merged)], key=lambda r: r[0])

    def truncate(self, size: int | None = None) -> int:
        size = max(self.pos if size is None else size, self.base)
        os.ftruncate(self.fd, size)
        self.size = size
        return size

    def flush(self) -> None:
        """Nothing: :func:`commit` fsyncs."""


# -- journal -------------------------------------------------------------------------------
def journal_path(path: str) -> str:
    """The undo journal of ``path``: a hidden file next to it."""
    directory, name = os.path.split(os.path.abspath(path))
    return os.path.join(directory, f".{name}.journal")


def fsync_dir(directory: str) -> None:
    """Make the entries of ``directory`` (a created or deleted file) durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_journal(journal: str, old_size: int,
                  ranges: list[tuple[int, bytes | bytearray]]) -> None:
    """Write and fsync the undo journal: ``old_size`` and the old bytes of ``ranges``."""
    parts: list[bytes | bytearray] = [_MAGIC, _HEAD.pack(old_size, len(ranges))]
    for offset, old in ranges:
        parts += [_RANGE.pack(offset, len(old)), old]
    crc = 0
    for part in parts:
        crc = zlib.crc32(part, crc)
    parts += [struct.pack("<I", crc), _END]
    fd = os.open(journal, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)  # umask applies
    try:
        for part in parts:
            view, done = memoryview(part), 0
            while done < len(view):
                done += os.write(fd, view[done:])
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_dir(os.path.dirname(journal))


def read_journal(journal: str) -> tuple[int, list[tuple[int, bytes]]] | None:
    """Old size and ranges of a complete journal; None for an incomplete one."""
    with open(journal, "rb") as handle:
        raw = handle.read()
    body, tail = raw[: -4 - len(_END)], raw[-4 - len(_END) :]
    if (not raw.startswith(_MAGIC) or len(body) < len(_MAGIC) + _HEAD.size
            or tail != struct.pack("<I", zlib.crc32(body)) + _END):
        return None
    old_size, count = _HEAD.unpack_from(body, len(_MAGIC))
    at, ranges = len(_MAGIC) + _HEAD.size, []
    for _ in range(count):
        offset, length = _RANGE.unpack_from(body, at)
        at += _RANGE.size
        ranges.append((offset, body[at : at + length]))
        at += length
    return old_size, ranges


def apply_ranges(fd: int, ranges: Sequence[tuple[int, bytes | bytearray]]) -> None:
    """Write each ``(offset, bytes)`` in place, then fsync."""
    for offset, data in ranges:
        write_range(fd, offset, data)
    os.fsync(fd)


def write_range(fd: int, offset: int, data: bytes | bytearray) -> None:
    """One in-place write (all of it)."""
    view, done = memoryview(data), 0
    while done < len(view):
        done += os.pwrite(fd, view[done:], offset + done)


def remove_journal(journal: str) -> None:
    """Delete the journal: the commit is done."""
    os.remove(journal)
    fsync_dir(os.path.dirname(journal))


def recover(fd: int, path: str) -> bool:
    """Roll back or drop the journal of ``path`` (``fd`` open for writing, LOCK_EX held).

    Returns whether a complete journal was rolled back.
    """
    journal = journal_path(path)
    if not os.path.exists(journal):
        return False
    entry = read_journal(journal)
    if entry is not None:
        old_size, ranges = entry
        apply_ranges(fd, ranges)
        os.ftruncate(fd, old_size)
        os.fsync(fd)
    remove_journal(journal)
    return entry is not None


def commit(fd: int, path: str, old_size: int, held: list[tuple[int, bytearray]],
           old: list[bytes]) -> None:
    """Make the appended bytes and the ``held`` in-place writes of ``fd`` durable, atomically
    (steps 1-4 of the module docstring); ``old`` holds the bytes they replace."""
    if [len(data) for _, data in held] != [len(o) for o in old]:
        raise ValueError("old: must hold the replaced bytes of each held range")
    os.fsync(fd)
    journal = journal_path(path)
    flock(fd, fcntl.LOCK_EX)
    try:
        write_journal(journal, old_size, [(offset, o) for (offset, _), o in zip(held, old)])
        apply_ranges(fd, held)
        remove_journal(journal)
    finally:
        flock(fd, fcntl.LOCK_UN)


@contextlib.contextmanager
def reading(path: str) -> Iterator[None]:
    """Hold a shared lock on ``path`` while the block reads it; first roll back what a
    writer killed during a commit left (needs write access when a journal is complete)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        flock(fd, fcntl.LOCK_SH)
        if os.path.exists(journal_path(path)):  # its writer is dead: it would hold LOCK_EX
            flock(fd, fcntl.LOCK_UN)
            _recover_for_reader(path)
            flock(fd, fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)


def _recover_for_reader(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError as exc:  # no write access, a read-only file system
        if read_journal(journal_path(path)) is None:
            return  # the file was not touched yet: readable as it is
        raise OSError(
            exc.errno, f"a write was interrupted during its commit; open the archive once "
            f"with write access to roll it back ({exc.strerror})") from None
    try:
        flock(fd, fcntl.LOCK_EX)
        recover(fd, path)
    finally:
        os.close(fd)


def append_in_place(path: str, fill: Callable[[h5py.File], None],
                    sealed: Callable[[bytes], tuple[int, int] | None],
                    block: Callable[[int, int], bytes], block_size: int) -> None:
    """Let ``fill`` add to the HDF5 file ``path`` through an :class:`OverlayFile`, then
    :func:`commit`.

    ``sealed(head)`` gives the CRC-32 and size that the file's first ``block_size``
    bytes record (None: a file without that block, left without one); ``block(crc,
    size)`` makes the new block, the CRC updated with :func:`crc_after_edit` and the
    appended bytes.
    """
    fd = os.open(path, os.O_RDWR)
    try:
        flock(fd, fcntl.LOCK_EX)
        try:
            recover(fd, path)  # a commit killed half-way: rolled back
            seal = sealed(os.pread(fd, block_size, 0))
            base = os.fstat(fd).st_size if seal is None else seal[1]
            if os.fstat(fd).st_size > base:
                os.ftruncate(fd, base)  # bytes of an append killed before its commit
        finally:
            flock(fd, fcntl.LOCK_UN)
        overlay = OverlayFile(fd, base)
        with h5py.File(overlay, "r+") as handle:
            fill(handle)
        if seal is not None:
            overlay.hold(0, bytes(block_size))  # its place, filled below
        old = [os.pread(fd, len(new), offset) for offset, new in overlay.held]
        if seal is not None:
            crc = seal[0]
            for (offset, new), before in zip(overlay.held, old):
                crc = crc_after_edit(crc, block_size, base, offset, before, new)
            size, at = os.fstat(fd).st_size, base
            while at < size:
                chunk = os.pread(fd, min(size - at, 1 << 22), at)
                crc, at = zlib.crc32(chunk, crc), at + len(chunk)
            overlay.hold(0, block(crc, size))
        commit(fd, path, base, overlay.held, old)
    finally:
        os.close(fd)

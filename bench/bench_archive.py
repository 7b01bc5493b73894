"""Cost of appending a checkpoint to a run archive: in place (journal) vs copy-and-rename.

Run:  python -P bench/bench_archive.py [--checkpoints 600] [--dir DIR]

Appends ``--checkpoints`` checkpoints of a 784 x 500 float32 model, with a resume state
like the trainer's for PCD with Adam and batch 500 (chains 500 x 784, Adam moments of
all parameters, a 60 000-image batch order: 4.7 MB rewritten each time), to two
archives, alternately (same process, same disk, same load):

* ``copy``: the method of ``main`` before the in-place appends (``git show
  main:pyrbm/io/archive.py``): copy the archive to a temporary file, add the checkpoint
  there, CRC-32 the whole file into the user block, fsync, ``os.replace``, fsync the
  directory. Its steps are pyrbm's own (``_fill``, ``seal``) in main's order.
* ``inplace``: :func:`pyrbm.io.archive.append_checkpoint` as it is now.

Prints the time of appends 10, 100, ..., the median of the 10 appends up to each, the
totals, and checks that both archives hold the same checkpoints and resume state.
``--copy-limit N`` stops the copy method after N appends (it is O(n^2) in bytes).
"""

from __future__ import annotations

import argparse
import functools
import os
import shutil
import tempfile
import time

import h5py
import numpy as np

import pyrbm
from pyrbm.io import _journal, archive

N_VISIBLE, N_HIDDEN, BATCH, N_IMAGES = 784, 500, 500, 60_000


def copy_append(path: str, fill: functools.partial[None]) -> None:
    """main's append_checkpoint: the whole archive copied for every checkpoint."""
    directory, name = os.path.split(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    os.close(fd)
    try:
        exists = os.path.exists(path)
        if exists:
            shutil.copyfile(path, tmp)
        block = {} if exists else {"userblock_size": archive.USERBLOCK_SIZE}
        with h5py.File(tmp, "r+" if exists else "w", **block) as handle:
            fill(handle)
        archive.seal(tmp)  # CRC-32 of the whole file
        with open(tmp, "rb+") as raw:
            os.fsync(raw.fileno())
        os.replace(tmp, path)
        _journal.fsync_dir(directory)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _checkpoint(index: int, gen: np.random.Generator) -> dict:  # type: ignore[type-arg]
    w = gen.standard_normal((N_VISIBLE, N_HIDDEN), dtype=np.float32)
    a = gen.standard_normal(N_VISIBLE, dtype=np.float32)
    b = gen.standard_normal(N_HIDDEN, dtype=np.float32)
    arrays = {"chains": (gen.random((BATCH, N_VISIBLE), dtype=np.float32) < 0.5).astype(np.float32),
              "order": gen.permutation(N_IMAGES), "hidden_offset": np.zeros(N_HIDDEN, np.float32)}
    for moment in ("m", "v"):
        for name, p in (("weights", w), ("visible", a), ("hidden", b)):
            arrays[f"optimizer_{moment}_{name}"] = np.abs(p) * 1e-3
    config = {"data_shape": [N_IMAGES, N_VISIBLE], "batch_size": BATCH, "drop_last": False}
    return dict(config=config, rbm=pyrbm.RBM(w, a, b),
                record=archive.CheckpointInfo(index, 120 * index, float(index), index),
                resume_arrays=arrays, resume_attrs={"update": 120 * index}, version="bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoints", type=int, default=600)
    parser.add_argument("--copy-limit", type=int, default=None)
    parser.add_argument("--dir", default=None, help="where the archives go (default: a temp dir)")
    args = parser.parse_args()
    n, limit = args.checkpoints, args.copy_limit or args.checkpoints
    directory = tempfile.mkdtemp(prefix="bench_archive.", dir=args.dir)
    paths = {"copy": os.path.join(directory, "copy.h5"),
             "inplace": os.path.join(directory, "inplace.h5")}
    times: dict[str, list[float]] = {"copy": [], "inplace": []}
    gen = np.random.default_rng(0)
    try:
        for index in range(n):
            kwargs = _checkpoint(index, gen)
            order = ("copy", "inplace") if index % 2 == 0 else ("inplace", "copy")
            for case in order:
                if case == "copy" and index >= limit:
                    continue
                start = time.perf_counter()
                if case == "copy":
                    copy_append(paths["copy"], functools.partial(archive._fill, **kwargs))
                else:
                    archive.append_checkpoint(paths["inplace"], **kwargs)
                times[case].append(time.perf_counter() - start)
            if (index + 1) in (1, 10, 100, 200, 300, 400, 500, 600, n) or (index + 1) % 50 == 0:
                row = "  ".join(
                    f"{case} {1e3 * t[-1]:8.1f} ms (median of 10: {1e3 * np.median(t[-10:]):8.1f})"
                    for case, t in times.items() if len(t) == index + 1)
                size = os.path.getsize(paths["inplace"]) / 1e6
                print(f"append {index + 1:4d} ({size:7.1f} MB): {row}", flush=True)
        for case, t in times.items():
            print(f"{case}: {len(t)} appends, total {sum(t):.1f} s", flush=True)
        # Both methods hold the same data: checkpoints, records, latest resume state.
        copied = len(times["copy"])
        records = archive.list_checkpoints(paths["inplace"])
        assert len(records) == n and archive.list_checkpoints(paths["copy"]) == records[:copied]
        for index in sorted({0, copied // 2, copied - 1}):
            np.testing.assert_array_equal(pyrbm.load(paths["copy"], index).weights,
                                          pyrbm.load(paths["inplace"], index).weights)
        if copied == n:
            a, _ = archive.read_resume_state(paths["copy"])
            b, _ = archive.read_resume_state(paths["inplace"])
            assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
        print("archives agree", flush=True)
    finally:
        shutil.rmtree(directory)


if __name__ == "__main__":
    main()

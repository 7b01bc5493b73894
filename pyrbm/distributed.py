"""MPI plumbing: the process world, collectives, work sharing and failing fast.

mpi4py is optional (``pip install pyrbm[mpi]``). Without it, or when the process was
not started by an MPI launcher (``mpiexec -n R ...``), :func:`world` is the
single-process :class:`World`, whose collectives are the identity, so code written
against it runs unchanged in one process.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import time
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

import numpy as np

__all__ = ["World", "fail_fast", "world"]

T = TypeVar("T")

#: Environment variables that MPI launchers set in the processes they start (MPICH /
#: Intel MPI / Slurm PMI, PMIx, Open MPI). Without one of them pyrbm does not import
#: mpi4py.MPI: initializing MPI as a singleton costs about 2 s.
LAUNCHER_VARIABLES = ("PMI_SIZE", "PMI_RANK", "PMIX_RANK", "OMPI_COMM_WORLD_SIZE")

#: Seconds between printing the failure line and aborting the job.
ABORT_DELAY = 0.5


class World:
    """The processes of an MPI job, or one process without MPI.

    Parameters
    ----------
    comm : mpi4py.MPI.Comm, optional
        An intra-communicator; None (the default) is the single-process world.

    Attributes
    ----------
    rank : int
        This process's rank, 0 in a single process.
    size : int
        Number of processes.
    is_root : bool
        ``rank == 0``: the process that writes files and shows progress.
    comm : mpi4py.MPI.Comm or None
    """

    def __init__(self, comm: Any = None):  # an mpi4py communicator (mpi4py ships no types)
        self.comm = comm
        self.rank = 0 if comm is None else int(comm.Get_rank())
        self.size = 1 if comm is None else int(comm.Get_size())
        self.is_root = self.rank == 0

    def __repr__(self) -> str:
        return f"World(rank={self.rank}, size={self.size}, mpi={self.comm is not None})"

    def _check_root(self, root: int) -> int:
        if isinstance(root, bool) or not isinstance(root, (int, np.integer)):
            raise TypeError(f"root: expected an int rank, got {type(root).__name__}")
        if not 0 <= root < self.size:
            raise ValueError(f"root: expected a rank in [0, {self.size}), got {root}")
        return int(root)

    def barrier(self) -> None:
        """Wait until every rank has called it."""
        if self.comm is not None:
            self.comm.Barrier()

    def bcast(self, obj: T, root: int = 0) -> T:
        """Return ``root``'s ``obj`` on every rank (pickled; for small objects).

        Parameters
        ----------
        obj : object
            The value on ``root``; ignored elsewhere (of the same type: often an
            Optional that is None off the root).
        root : int
        """
        root = self._check_root(root)
        out: T = obj if self.comm is None else self.comm.bcast(obj, root=root)
        return out

    def gather(self, obj: T, root: int = 0) -> list[T] | None:
        """Collect one object per rank on ``root``.

        Parameters
        ----------
        obj : object
            This rank's value (pickled).
        root : int

        Returns
        -------
        list of length ``size`` (in rank order) on ``root``, None on the other ranks.
        """
        root = self._check_root(root)
        out: list[T] | None = [obj] if self.comm is None else self.comm.gather(obj, root=root)
        return out

    def allreduce_sum_(self, array: np.ndarray) -> np.ndarray:
        """Replace ``array`` on every rank by the element-wise sum over ranks, in place.

        Parameters
        ----------
        array : numpy.ndarray, any shape
            C-contiguous, writeable, numeric; the same shape and dtype on every rank.

        Returns
        -------
        numpy.ndarray
            ``array`` itself.
        """
        if not isinstance(array, np.ndarray):
            raise TypeError(f"array: expected a numpy array, got {type(array).__name__}")
        if array.dtype.kind not in "biufc":
            raise TypeError(f"array: expected a numeric dtype, got {array.dtype}")
        if not (array.flags.c_contiguous and array.flags.writeable):
            raise ValueError("array: must be C-contiguous and writeable (it is summed in place)")
        if self.comm is not None:
            from mpi4py import MPI

            self.comm.Allreduce(MPI.IN_PLACE, array, op=MPI.SUM)
        return array

    def share(self, items: Sequence[T]) -> list[T]:
        """This rank's share of ``items``: ``items[rank::size]`` (round robin).

        Parameters
        ----------
        items : sequence, length n
            The same sequence on every rank.

        Returns
        -------
        list
            About ``n / size`` items; the shares of all ranks partition ``items``.
        """
        return list(items)[self.rank :: self.size]

    def block(self, n: int) -> tuple[int, int]:
        """This rank's contiguous block ``[lo, hi)`` of ``range(n)``.

        Rank r gets ``[r n // size, (r + 1) n // size)``: the blocks of all ranks are
        consecutive and partition ``range(n)``, their sizes differ by at most one.

        Parameters
        ----------
        n : int
            Number of items, at least 0.

        Returns
        -------
        (lo, hi) : tuple of int
        """
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"n: expected a non-negative int, got {n!r}")
        return int(n) * self.rank // self.size, int(n) * (self.rank + 1) // self.size


@functools.lru_cache(maxsize=1)
def world() -> World:
    """The MPI world of this process.

    ``mpi4py.MPI.COMM_WORLD`` when mpi4py imports, the process was started by an MPI
    launcher, and the job has more than one rank; otherwise the single-process world.

    Returns
    -------
    World

    Raises
    ------
    RuntimeError
        When the launcher started several ranks but mpi4py is missing: each rank would
        otherwise do the whole job and write the same files.
    """
    if "mpi4py.MPI" not in sys.modules and not any(v in os.environ for v in LAUNCHER_VARIABLES):
        return World()
    try:
        from mpi4py import MPI
    except ImportError:
        ranks = max(int(os.environ.get(v, "1") or 1) for v in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE"))
        if ranks > 1:
            raise RuntimeError(
                f"started as one of {ranks} MPI ranks, but mpi4py is not installed: "
                "pip install mpi4py mpich (the extra pyrbm[mpi])"
            ) from None
        return World()
    comm = MPI.COMM_WORLD
    return World(comm) if comm.Get_size() > 1 else World()


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@contextlib.contextmanager
def fail_fast(world: World) -> Iterator[None]:
    """Stop the whole job when the body raises on any rank, instead of hanging.

    Under MPI (``world.comm`` set), an exception (including KeyboardInterrupt and a
    SystemExit with a non-zero status) prints ``pyrbm: rank R of S failed: ExcType:
    message`` on stderr and calls ``comm.Abort(1)``, which ends every rank with a
    non-zero exit status. In a single process the exception propagates unchanged.

    Parameters
    ----------
    world : World
    """
    if not isinstance(world, World):
        raise TypeError(f"world: expected pyrbm.distributed.World, got {type(world).__name__}")
    try:
        yield
    except BaseException as exc:
        if world.comm is None or (isinstance(exc, SystemExit) and exc.code in (0, None)):
            raise
        sys.stdout.flush()
        # One write, so that the lines of ranks failing together do not interleave.
        sys.stderr.write(f"pyrbm: rank {world.rank} of {world.size} failed: {_one_line(exc)}\n")
        sys.stderr.flush()
        # mpiexec drops output it has not forwarded yet when the job aborts (measured: the
        # line was lost in 3 of 15 runs without this pause, in none of 60 with it).
        time.sleep(ABORT_DELAY)
        world.comm.Abort(1)
        os._exit(1)  # when Abort returns (the job is already being torn down): no traceback

"""pyrbm.distributed: the single-process world always; two real ranks through mpiexec."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path

import numpy as np
import pytest

from pyrbm import checkpoint, distributed
from pyrbm import load as pyrbm_load
from pyrbm.distributed import World, fail_fast
from pyrbm.training import resume as pyrbm_resume

from .conftest import MPIEXEC, PACKAGE_ROOT, PYTHON, needs_mpi, subprocess_env


def mpiexec(cwd: Path, argv: list[str], n: int = 2,
            timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """Run ``python argv`` on ``n`` ranks of this environment's mpiexec, one thread each."""
    env = subprocess_env(OMP_NUM_THREADS="1")
    return subprocess.run(
        [str(MPIEXEC), "-n", str(n), *PYTHON, *argv],
        capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd,
    )


def run_mpi(tmp_path: Path, code: str, n: int = 2, timeout: float = 60.0,
            args: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    """Run ``code`` as a script on ``n`` ranks."""
    script = tmp_path / "job.py"
    script.write_text(textwrap.dedent(code))
    return mpiexec(tmp_path, [str(script), *args], n, timeout)


def failure_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The fail_fast lines of a job that must have failed, with no traceback."""
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    return [line for line in result.stderr.splitlines() if line.startswith("pyrbm:")]


# -- single process ---------------------------------------------------------------------
def test_single_process_world():
    w = distributed.world()
    assert (w.rank, w.size, w.is_root, w.comm) == (0, 1, True, None)
    assert distributed.world() is w
    w.barrier()
    obj = {"a": [1, 2]}
    assert w.bcast(obj) is obj
    assert w.gather(obj) == [obj]
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    before = x.copy()
    assert w.allreduce_sum_(x) is x
    np.testing.assert_array_equal(x, before)
    assert w.share(range(5)) == [0, 1, 2, 3, 4]
    assert "size=1" in repr(w)


def test_single_process_fail_fast_reraises():
    with pytest.raises(RuntimeError, match="boom"):
        with fail_fast(World()):
            raise RuntimeError("boom")
    with fail_fast(World()):
        pass


class _FakeComm:
    """A rank of a 3-rank job, enough for the pure-Python parts of World."""

    def __init__(self, rank: int):
        self.rank = rank

    def Get_rank(self) -> int:
        return self.rank

    def Get_size(self) -> int:
        return 3

    def bcast(self, obj, root=0):
        return obj

    def gather(self, obj, root=0):  # as if every rank held this rank's value
        return [obj] * 3 if self.rank == root else None


def test_share_partitions_items():
    w = World(_FakeComm(1))
    assert (w.rank, w.size, w.is_root) == (1, 3, False)
    assert w.share("abcdefg") == ["b", "e"]
    shares = [World(_FakeComm(r)).share(range(10)) for r in range(3)]
    assert sorted(sum(shares, [])) == list(range(10))


@pytest.mark.parametrize("n", [0, 1, 2, 7, 500])
def test_blocks_partition_a_range(n):
    blocks = [World(_FakeComm(r)).block(n) for r in range(3)]
    assert blocks[0][0] == 0 and blocks[-1][1] == n
    assert all(blocks[r][1] == blocks[r + 1][0] for r in range(2))
    sizes = [hi - lo for lo, hi in blocks]
    assert max(sizes) - min(sizes) <= 1
    assert World().block(n) == (0, n)


def test_bad_arguments_are_named():
    w = World()
    with pytest.raises(TypeError, match="array"):
        w.allreduce_sum_([1.0, 2.0])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="array"):
        w.allreduce_sum_(np.array(["a"]))
    with pytest.raises(ValueError, match="array"):
        w.allreduce_sum_(np.zeros((3, 4))[:, ::2])
    with pytest.raises(ValueError, match="array"):
        w.allreduce_sum_(np.zeros(3)[::-1])
    with pytest.raises(ValueError, match="root"):
        w.bcast(1, root=1)
    with pytest.raises(TypeError, match="root"):
        w.gather(1, root="0")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n"):
        w.block(-1)
    with pytest.raises(TypeError, match="world"):
        with fail_fast(None):  # type: ignore[arg-type]
            pass


def test_world_without_launcher_does_not_start_mpi():
    # A plain process (no PMI/PMIx variables) gets the single-process world without
    # importing mpi4py.MPI.
    env = {k: v for k, v in os.environ.items() if k not in distributed.LAUNCHER_VARIABLES}
    env["PYTHONPATH"] = str(PACKAGE_ROOT)
    code = ("import sys; from pyrbm.distributed import world; w = world(); "
            "print(w.size, 'mpi4py.MPI' in sys.modules)")
    out = subprocess.run([*PYTHON, "-c", code], capture_output=True, text=True,
                         env=env, timeout=60, check=True)
    assert out.stdout.split() == ["1", "False"]


def test_ranks_without_mpi4py_are_an_error():
    # Under a launcher with several ranks, missing mpi4py must not mean R independent runs.
    env = subprocess_env(PMI_SIZE="3", PMI_RANK="1")
    code = ("import sys; sys.modules['mpi4py'] = None\n"
            "from pyrbm.distributed import world\n"
            "try:\n    world()\nexcept RuntimeError as exc:\n    print(exc)")
    out = subprocess.run([*PYTHON, "-c", code], capture_output=True, text=True,
                         env=env, timeout=60, check=True)
    assert "one of 3 MPI ranks, but mpi4py is not installed" in out.stdout


# -- two ranks --------------------------------------------------------------------------
@needs_mpi
def test_two_ranks_collectives(tmp_path):
    result = run_mpi(tmp_path, """
        import json
        import numpy as np
        from pyrbm.distributed import world, fail_fast
        w = world()
        with fail_fast(w):
            x = np.arange(4, dtype=np.float64) * (w.rank + 1)
            w.allreduce_sum_(x)
            counts = np.array([w.rank + 10], dtype=np.int64)
            w.allreduce_sum_(counts)
            got = w.bcast({"from": w.rank}, root=1)
            gathered = w.gather((w.rank, w.is_root, w.share(list(range(5)))))
            w.barrier()
            if w.is_root:
                print(json.dumps({"size": w.size, "x": x.tolist(), "counts": counts.tolist(),
                                  "bcast": got, "gathered": gathered}))
            else:
                assert gathered is None
    """)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["size"] == 2
    assert out["x"] == [0.0, 3.0, 6.0, 9.0]
    assert out["counts"] == [21]
    assert out["bcast"] == {"from": 1}
    assert out["gathered"] == [[0, True, [0, 2, 4]], [1, False, [1, 3]]]


@needs_mpi
def test_failing_rank_stops_the_job(tmp_path):
    # Rank 1 fails while rank 0 waits in a collective: without fail_fast it would hang.
    result = run_mpi(tmp_path, """
        from pyrbm.distributed import world, fail_fast
        w = world()
        with fail_fast(w):
            if w.rank == 1:
                raise RuntimeError("boom\\non two lines")
            w.barrier()
    """, timeout=60)
    assert result.returncode != 0
    lines = failure_lines(result)
    assert lines == ["pyrbm: rank 1 of 2 failed: RuntimeError: boom on two lines"]


# -- data-parallel training -------------------------------------------------------------
# One script for both sides: run(...) is called in this process (one rank) and by every
# rank of an mpiexec job. Sizes are distinct primes and do not divide evenly by 2 ranks.
TRAIN_JOB = """
import sys
import numpy as np
import pyrbm
from pyrbm import distributed

CASES = {"pcd": dict(method="pcd"), "cd": dict(method="cd"), "rdm": dict(method="rdm"),
         "pcd_centered_sgd": dict(method="pcd", centered=True, optimizer="sgd", l2=1e-3),
         "pcd_float32": dict(method="pcd", dtype="float32"),
         # shards of mean density ~0.41, next to the statistics' gather threshold 0.4: the
         # ranks' shards and the whole batch fall on different sides of it; the paths
         # give the same bits, so only the Allreduce's summation order differs
         "pcd_float32_paths": dict(method="pcd", dtype="float32", mixed_density=True),
         "pcd_binarize_batches": dict(method="pcd", binarize_batches=True, intensities=True),
         # exact sums: the ranks' statistics add up to one process's bits
         "pcd_float32_exact": dict(method="pcd", dtype="float32", exact_sums=True),
         "pcd_float32_centered_exact": dict(method="pcd", dtype="float32", exact_sums=True,
                                            centered=True, optimizer="sgd"),
         "cd_float32_exact": dict(method="cd", dtype="float32", exact_sums=True)}


def data():
    rng = np.random.default_rng(5)
    return (rng.random((67, 13)) < 0.3).astype(np.uint8)


def mixed_data():  # 101 x 89 images, 9 in 17 rows with 20 % ones, the others 65 %
    rng = np.random.default_rng(6)
    density = np.where(np.arange(101) % 17 < 9, 0.2, 0.65)[:, None]
    return (rng.random((101, 89)) < density).astype(np.uint8)


def run(case, world, out=None, epochs=3, dtype="float64"):
    options = {"optimizer": "adam", "lr": 0.05, **CASES[case]}
    x = data() * 0.8 if options.pop("intensities", False) else data()
    if options.pop("mixed_density", False):
        x = mixed_data()
    rbm = pyrbm.init_rbm(x, 7 if x.shape[1] == 13 else 53, dtype=options.pop("dtype", dtype), rng=1)
    history = pyrbm.train(rbm, x, k=3, batch_size=17, n_chains=11, epochs=epochs, rng=2,
                          world=world, out=out, checkpoint_every=2, **options)
    return rbm, history


def fail_on_root(rbm, info):
    if info.update == 2:
        raise ValueError("observer broke")


if __name__ == "__main__":
    world = distributed.world()
    with distributed.fail_fast(world):
        mode = sys.argv[1]
        if mode == "fit":
            arrays = {}
            for case in CASES:
                rbm, history = run(case, world)
                arrays[case] = np.concatenate(
                    [rbm.weights.ravel(), rbm.visible_bias, rbm.hidden_bias])
                # intensities have no pseudo-likelihood: their reconstruction error
                arrays[case + "_pll"] = history["pll" if "pll" in history.keys() else "recon_error"]
            np.savez(f"fit-{world.rank}.npz", **arrays)
        elif mode == "resume":  # 2 epochs, then continue to 4 in the same archive
            run("pcd", world, out="run.h5", epochs=2)
            pyrbm.resume("run.h5", epochs=4, data=data(), world=world)
        elif mode == "mismatch":  # ValueError on every rank, caught, then a fatal one
            x = data()
            try:
                pyrbm.train(pyrbm.init_rbm(x, 7, rng=1), x, batch_size=17, world=world,
                            rng=world.rank)
            except ValueError as exc:
                assert str(exc).startswith("rng: the ranks' generators differ"), exc
            pyrbm.train(pyrbm.init_rbm(x, 7, rng=world.rank), x, batch_size=17, rng=2,
                        world=world)
        elif mode == "fail":
            x = data()
            rbm = pyrbm.init_rbm(x, 7, rng=1)
            callbacks = [fail_on_root] if world.is_root else []
            pyrbm.train(rbm, x, batch_size=17, epochs=3, checkpoint_every=1, rng=2,
                        world=world, callbacks=callbacks)
"""


@pytest.fixture(scope="module")
def train_job(tmp_path_factory):
    """The job script on disk and its functions, loaded in this process."""
    import runpy

    path = tmp_path_factory.mktemp("train_job") / "train_job.py"
    path.write_text(TRAIN_JOB)
    return path, runpy.run_path(str(path))


def _run_train_job(path: Path, mode: str, n: int = 2, timeout: float = 120.0):
    return run_mpi(path.parent, path.read_text(), n=n, timeout=timeout, args=(mode,))


def _parameters(rbm) -> np.ndarray:
    return np.concatenate([rbm.weights.ravel(), rbm.visible_bias, rbm.hidden_bias])


@needs_mpi
def test_two_ranks_train_like_one_process(train_job):
    path, job = train_job
    result = _run_train_job(path, "fit")
    assert result.returncode == 0, result.stderr
    ranks = [np.load(path.parent / f"fit-{r}.npz") for r in range(2)]
    for case in job["CASES"]:
        # Every rank holds the same parameters, bit for bit ...
        np.testing.assert_array_equal(ranks[0][case], ranks[1][case])
        # ... equal to one process's up to the summation order of the statistics, and
        # bit for bit with exact sums.
        rbm, history = job["run"](case, World())
        tol = 1e-5 if rbm.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(ranks[0][case], _parameters(rbm), rtol=0, atol=tol)
        if case.endswith("_exact"):
            np.testing.assert_array_equal(ranks[0][case], _parameters(rbm))
        metric = history["pll" if "pll" in history.keys() else "recon_error"]
        np.testing.assert_allclose(ranks[0][case + "_pll"], metric, rtol=tol)
        np.testing.assert_array_equal(ranks[1][case + "_pll"], ranks[0][case + "_pll"])
    # the control: without exact sums the float32 statistics' summation order shows in
    # the parameters' last bits, so the bit-equality above is the exact sums' doing
    rbm, _ = job["run"]("pcd_float32", World())
    assert not np.array_equal(ranks[0]["pcd_float32"], _parameters(rbm))


@needs_mpi
def test_two_ranks_archive_and_resume(train_job, tmp_path):
    path, job = train_job
    result = _run_train_job(path, "resume")
    assert result.returncode == 0, result.stderr
    archive = path.parent / "run.h5"
    whole = tmp_path / "whole.h5"
    rbm, _ = job["run"]("pcd", World(), out=whole, epochs=4)
    np.testing.assert_allclose(_parameters(pyrbm_load(archive)), _parameters(rbm), atol=1e-12)
    records = [(r.epoch, r.update) for r in checkpoint.list_checkpoints(archive)]
    assert records == [(e.epoch, e.update) for e in checkpoint.list_checkpoints(whole)]
    arrays, attrs = checkpoint.read_resume_state(archive)
    ref_arrays, ref_attrs = checkpoint.read_resume_state(whole)
    np.testing.assert_array_equal(arrays["chains"], ref_arrays["chains"])  # all ranks' blocks
    np.testing.assert_array_equal(arrays["order"], ref_arrays["order"])
    assert attrs["rng_state"] == ref_attrs["rng_state"]
    # An archive written by 2 ranks continues in one process.
    rbm5, _ = pyrbm_resume(archive, epochs=5, data=job["data"]())
    ref5, _ = pyrbm_resume(whole, epochs=5, data=job["data"]())
    np.testing.assert_allclose(_parameters(rbm5), _parameters(ref5), atol=1e-12)


@needs_mpi
@pytest.mark.parametrize(("mode", "expected"), [
    ("fail", "pyrbm: rank 0 of 2 failed: ValueError: observer broke"),
    # Each rank finds the mismatch: one line per rank.
    ("mismatch", "failed: ValueError: rbm: the ranks hold different parameters"),
])
def test_error_on_a_rank_stops_training(train_job, mode, expected):
    path, _ = train_job
    lines = failure_lines(_run_train_job(path, mode, timeout=60))
    assert lines and all(expected in line for line in lines)
    assert len(lines) == (1 if mode == "fail" else 2)


def test_train_rejects_a_bad_world_or_split():
    from pyrbm import RBM, train

    x = np.zeros((8, 3))
    rbm = RBM.random(3, 2, rng=0)
    with pytest.raises(TypeError, match="world"):
        train(rbm, x, batch_size=2, world="mpi")  # type: ignore[arg-type]
    three = World(_FakeComm(0))  # every rank needs a row of each batch and a chain
    with pytest.raises(ValueError, match="batch_size: 2 rows cannot be split over 3 ranks"):
        train(rbm, x, batch_size=2, world=three)
    with pytest.raises(ValueError, match="n_chains"):
        train(rbm, x, batch_size=4, n_chains=2, world=three)
    with pytest.raises(ValueError, match="drop_last"):
        train(rbm, np.zeros((9, 3)), batch_size=4, drop_last=False, world=three)


@needs_mpi
def test_cli_train_and_resume_under_mpiexec(tmp_path):
    pytest.importorskip("sklearn")  # the digits data set
    from pyrbm.cli import main

    train = ["train", "--dataset", "digits", "--hidden", "7", "--k", "2", "--batch-size", "99",
             "--chains", "37", "--seed", "3", "--quiet", "--dtype", "float64"]
    cli = ["-m", "pyrbm.cli"]
    first = mpiexec(tmp_path, [*cli, *train, "--epochs", "1", "--out", "run.h5"], timeout=120)
    assert first.returncode == 0, first.stderr
    again = mpiexec(tmp_path, [*cli, "train", "--resume", "run.h5", "--epochs", "2", "--quiet"],
                    timeout=120)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("run.h5: epoch 2") == 1  # the root alone reports
    whole = tmp_path / "whole.h5"
    assert main([*train, "--epochs", "2", "--out", str(whole)]) == 0
    np.testing.assert_allclose(_parameters(pyrbm_load(tmp_path / "run.h5")),
                               _parameters(pyrbm_load(whole)), rtol=0, atol=1e-12)
    assert (tmp_path / "run.png").stat().st_size > 0
    info = mpiexec(tmp_path, [*cli, "info", "run.h5"], timeout=60)
    assert info.returncode == 0, info.stderr
    assert info.stdout.count("archive run.h5") == 1  # rank 0 alone
    # An existing --out is an error on every rank: the job stops with one line per rank.
    clash = mpiexec(tmp_path, [*cli, *train, "--out", "run.h5"], timeout=60)
    assert clash.returncode != 0
    assert "failed: FileExistsError: --out:" in clash.stderr

"""Same seed -> bit-identical samples for any thread count (subprocesses); OpenBLAS's
jobs on pyrbm's threads (``share_blas_threads``)."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap

import pytest

import pyrbm

from .conftest import PYTHON, subprocess_env

# the compiled-kernel tests: CI reruns them against a build without OpenMP
pytestmark = pytest.mark.core

SCRIPT = textwrap.dedent(
    """
    import hashlib, numpy as np, pyrbm
    from pyrbm import _core
    out = hashlib.sha256()
    for dtype in (np.float32, np.float64):
        gen = np.random.default_rng(0)
        rbm = pyrbm.RBM(gen.normal(0, 0.05, (211, 157)).astype(dtype),
                        gen.normal(0, 0.5, 211).astype(dtype),
                        gen.normal(-1, 0.5, 157).astype(dtype))
        v0 = (gen.random((97, 211)) < 0.15).astype(dtype)
        for path in ("dense", "sparse", "auto"):
            v, h = rbm.gibbs(v0, 4, rng=42, path=path)
            out.update(v.tobytes()); out.update(h.tobytes())
        out.update(rbm.sample(50, 3, rng=3)[0].tobytes())
        out.update(rbm.free_energy(v0).tobytes())
        out.update(rbm.hidden_probs(v0).tobytes())
        # the gather-add over column tiles and rounds of 256 rows, added in place
        states = (gen.random((600, 300)) < 0.2).astype(dtype)
        acc = gen.normal(size=(600, 700)).astype(dtype)
        _core.sparse_fields(states, gen.normal(size=(300, 700)).astype(dtype), acc, accumulate=True)
        out.update(acc.tobytes())
    # training: its gradient GEMMs have K = batch = 500, a size at which OpenBLAS's own
    # result depends on its thread count (pyrbm._gemm makes it independent)
    x = (np.random.default_rng(1).random((1000, 300)) < 0.2).astype(np.uint8)
    model = pyrbm.init_rbm(x, 100, rng=0)
    pyrbm.train(model, x, method="pcd", k=2, batch_size=500, epochs=2, optimizer="adam",
                lr=1e-2, rng=1, progress=False, monitor=False)
    out.update(model.weights.tobytes()); out.update(model.hidden_bias.tobytes())
    pyrbm.train(model, x * 0.7, method="pcd", k=1, batch_size=100, epochs=1, optimizer="sgd",
                lr=1e-2, centered=True, binarize_batches=True, rng=2, monitor=False)
    out.update(model.weights.tobytes())
    print(_core.get_max_threads(), out.hexdigest())
    """
)


def run_with_threads(n: int) -> tuple[int, str]:
    env = subprocess_env(OMP_NUM_THREADS=str(n), OPENBLAS_NUM_THREADS=str(n))
    # -P: the checkout's pyrbm/ (maybe without a compiled module) must not shadow the
    # package under test
    done = subprocess.run(
        [*PYTHON, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True
    )
    threads, digest = done.stdout.split()
    return int(threads), digest


def test_bit_identical_for_1_2_3_threads() -> None:
    results = [run_with_threads(n) for n in (1, 2, 3)]
    if pyrbm._core.have_openmp():
        assert [t for t, _ in results] == [1, 2, 3]
    assert len({d for _, d in results}) == 1, results


def test_num_threads_context_manager_restores() -> None:
    before = pyrbm.get_num_threads()
    with pyrbm.num_threads(1):
        assert pyrbm.get_num_threads() == 1
    assert pyrbm.get_num_threads() == before
    with pytest.raises(ValueError, match="n_threads"):
        pyrbm.set_num_threads(0)


def test_openmp_presence_matches_build() -> None:
    """CI also builds with -DPYRBM_OPENMP=OFF and sets PYRBM_EXPECT_OPENMP=0 for that leg."""
    expected = os.environ.get("PYRBM_EXPECT_OPENMP", "1") == "1"
    assert pyrbm._core.have_openmp() is expected


# OpenBLAS's jobs on pyrbm's threads, in a fresh process (the callback stays for the
# process): the products keep their bits, the jobs go through pyrbm's callback, and no
# OpenBLAS worker spins after them. The control: before sharing, the same check sees
# OpenBLAS's workers burn CPU while the process sleeps.
SHARE_SCRIPT = textwrap.dedent(
    """
    import json, time, numpy as np, pyrbm
    from pyrbm import _core
    from threadpoolctl import threadpool_info, threadpool_limits
    threadpool_limits(2, user_api="blas")
    gen = np.random.default_rng(0)
    a, b = gen.random((600, 500)), gen.random((500, 400))

    def idle_cpu():  # CPU time the process burns while its main thread sleeps
        a @ b
        a @ b
        start = time.process_time()
        time.sleep(0.25)
        return time.process_time() - start

    ref = a @ b
    before = idle_cpu()
    jobs = _core.blas_jobs_run()
    libs = pyrbm.share_blas_threads()
    out = a @ b
    jobs_shared = _core.blas_jobs_run() - jobs
    time.sleep(0.3)  # the workers of the calls before sharing time out
    shared = idle_cpu()
    back = pyrbm.share_blas_threads(False)
    jobs = _core.blas_jobs_run()
    again = a @ b
    print(json.dumps(dict(
        libs=libs, back=back, equal=bool((out == ref).all() and (again == ref).all()),
        jobs_shared=jobs_shared, jobs_back=_core.blas_jobs_run() - jobs,
        idle_before=before, idle_shared=shared,
        blas_threads=max(i["num_threads"] for i in threadpool_info()
                         if i["internal_api"] == "openblas"))))
    """
)


def run_share_script(**env: str) -> dict[str, object]:
    # import's default sharing off: the script's control needs OpenBLAS's own workers
    env = {"PYRBM_SHARE_BLAS": "0", **env}
    done = subprocess.run([*PYTHON, "-c", SHARE_SCRIPT], env=subprocess_env(**env),
                          capture_output=True, text=True, check=True, timeout=120)
    result: dict[str, object] = json.loads(done.stdout)
    if not result["libs"]:
        pytest.skip("no loaded OpenBLAS offers the threads callback (0.3.27 or later)")
    if result["blas_threads"] < 2:  # type: ignore[operator]
        pytest.skip("OpenBLAS runs one thread here: no parallel jobs to hand over")
    return result


def test_shared_blas_runs_openblas_jobs_on_pyrbm_threads() -> None:
    result = run_share_script()
    assert result["equal"]  # OpenBLAS partitions its work as before: the same bits
    assert result["jobs_shared"] >= 2  # the product's jobs went through the callback
    assert result["back"] == result["libs"] and result["jobs_back"] == 0
    # the control: OpenBLAS's own workers spin after its calls (~0.1 s each) ...
    assert result["idle_before"] > 0.03, result
    # ... and with the jobs on pyrbm's threads nothing does
    assert result["idle_shared"] < 0.01, result


def test_share_blas_threads_rejects_a_non_bool() -> None:
    with pytest.raises(TypeError, match="enable"):
        pyrbm.share_blas_threads("yes")  # type: ignore[arg-type]


def test_shared_blas_jobs_run_together_when_openmp_gives_one_thread() -> None:
    """OpenBLAS's level-3 jobs wait for each other: with an OpenMP team of one
    (OMP_THREAD_LIMIT=1, as when nested in a parallel region) they run on std::threads
    instead of one after another, which would never return (the timeout fails it)."""
    result = run_share_script(OMP_THREAD_LIMIT="1")
    assert result["equal"]
    assert result["jobs_shared"] >= 2


# What import does: NumPy's OpenBLAS hands its jobs to pyrbm's threads unless
# PYRBM_SHARE_BLAS says no (the control: then nothing goes through the callback).
IMPORT_SCRIPT = textwrap.dedent(
    """
    import json, numpy as np, pyrbm
    from pyrbm import _core
    from threadpoolctl import threadpool_limits
    threadpool_limits(2, user_api="blas")
    a = np.random.default_rng(0).random((600, 500))
    jobs = _core.blas_jobs_run()
    a @ a.T
    print(json.dumps(dict(shared=pyrbm.blas_threads_shared(),
                          jobs=_core.blas_jobs_run() - jobs)))
    """
)


@pytest.mark.parametrize("setting", [None, "0", "off", "1"])
def test_import_shares_numpy_blas_threads_unless_told_not_to(setting: str | None) -> None:
    env = {} if setting is None else {"PYRBM_SHARE_BLAS": setting}
    done = subprocess.run([*PYTHON, "-c", IMPORT_SCRIPT], env=subprocess_env(**env),
                          capture_output=True, text=True, check=True, timeout=120)
    result = json.loads(done.stdout)
    if setting in ("0", "off"):
        assert result == {"shared": [], "jobs": 0}
        return
    if not result["shared"]:
        pytest.skip("no loaded OpenBLAS offers the threads callback (0.3.27 or later)")
    assert any("openblas" in path for path in result["shared"])
    assert result["jobs"] >= 2


# A child forked after the parent ran pyrbm's threads and NumPy's (shared) BLAS: GNU
# OpenMP's team would wait forever for the parent's workers there (without the fork
# handling this script hangs and the timeout fails it). The child's kernels run on one
# thread with the parent's bits, its BLAS jobs go back to OpenBLAS's own workers.
FORK_SCRIPT = textwrap.dedent(
    """
    import json, os, warnings, numpy as np, pyrbm
    from pyrbm import _core
    pyrbm.set_num_threads(2)
    gen = np.random.default_rng(0)
    rbm = pyrbm.RBM(gen.normal(0, 0.05, (300, 200)), np.zeros(300), np.zeros(200))
    v0 = (gen.random((400, 300)) < 0.3).astype(np.float64)
    a = gen.random((500, 400))

    def work():
        v, h = rbm.gibbs(v0, 3, rng=7)
        return v.tobytes() + h.tobytes() + (a @ a.T).tobytes()

    parent = work()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            pyrbm.set_num_threads(2)
        result = dict(same=work() == parent, forked=_core.forked_child(),
                      threads=pyrbm.get_num_threads(), shared=pyrbm.blas_threads_shared(),
                      warned=[str(w.message)[:80] for w in caught])
        os.write(write, json.dumps(result).encode())
        os._exit(0)
    os.close(write)
    child = json.loads(os.read(read, 100000))
    os.waitpid(pid, 0)
    print(json.dumps(dict(child=child, parent_forked=_core.forked_child(),
                          parent_threads=pyrbm.get_num_threads())))
    """
)


@pytest.mark.parametrize("share", ["1", "0"])
def test_forked_child_runs_the_kernels_and_numpy_with_the_parents_bits(share: str) -> None:
    done = subprocess.run([*PYTHON, "-c", FORK_SCRIPT],
                          env=subprocess_env(PYRBM_SHARE_BLAS=share),
                          capture_output=True, text=True, check=True, timeout=60)
    result = json.loads(done.stdout)
    child = result["child"]
    assert child["same"] and child["forked"] and child["shared"] == []
    assert child["threads"] == 1
    assert not result["parent_forked"]
    if pyrbm._core.have_openmp():
        assert result["parent_threads"] == 2
        assert child["warned"] and "forked" in child["warned"][0]


# NumPy products from several Python threads at once (NumPy releases the GIL), beside
# pyrbm's kernels, with the BLAS jobs on pyrbm's threads: each calling thread gets its own
# OpenMP team; a deadlock fails the timeout. The same bits as one thread alone.
CONCURRENT_SCRIPT = textwrap.dedent(
    """
    import threading, numpy as np, pyrbm
    from threadpoolctl import threadpool_limits
    threadpool_limits(2, user_api="blas")
    gen = np.random.default_rng(0)
    a = gen.random((300, 300))
    ref = a @ a
    rbm = pyrbm.RBM(gen.normal(0, 0.05, (200, 150)), np.zeros(200), np.zeros(150))
    v = (gen.random((300, 200)) < 0.3).astype(np.float64)
    samples = rbm.gibbs(v, 2, rng=3)[0]
    bad = []

    def work():
        for _ in range(20):
            if not np.array_equal(a @ a, ref):
                bad.append("product")
            if not np.array_equal(rbm.gibbs(v, 2, rng=3)[0], samples):
                bad.append("samples")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(bool(pyrbm.blas_threads_shared()), len(bad))
    """
)


def test_shared_blas_from_several_python_threads_at_once() -> None:
    done = subprocess.run([*PYTHON, "-c", CONCURRENT_SCRIPT], env=subprocess_env(),
                          capture_output=True, text=True, check=True, timeout=120)
    shared, bad = done.stdout.split()
    assert bad == "0"
    if shared != "True":
        pytest.skip("no loaded OpenBLAS offers the threads callback (0.3.27 or later)")

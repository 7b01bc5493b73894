"""Reproducers of the hostile-input report (issue 15): each failed before its fix.

Every case must raise ValueError/TypeError/OSError (or ArchiveError/ConfigError) naming
the argument or the file, or return the right answer.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import time
import tracemalloc
from pathlib import Path

import h5py
import numpy as np
import pytest

import pyrbm
from pyrbm import _core
from pyrbm.io import archive as checkpoint
from pyrbm.io.archive import ArchiveError
from pyrbm.partition.estimators import log_partition

from .conftest import PYTHON, subprocess_env


# -- masked arrays ----------------------------------------------------------------------------
def test_masked_parameters_are_refused() -> None:
    w = np.ma.masked_array(np.ones((3, 2)), mask=[[1, 0], [0, 0], [0, 0]])
    w.data[0, 0] = np.nan
    with pytest.raises(TypeError, match="weights: masked"):
        pyrbm.RBM(w, np.zeros(3), np.zeros(2))
    with pytest.raises(TypeError, match="hidden_bias: masked"):
        pyrbm.RBM(np.ones((3, 2)), np.zeros(3), np.ma.masked_array(np.zeros(2), mask=[1, 0]))


def test_masked_states_are_refused() -> None:
    rbm = pyrbm.RBM(np.ones((3, 2)), np.zeros(3), np.zeros(2))
    v = np.ma.masked_array([[2.0, 1, 0]], mask=[[1, 0, 0]])
    for call in (rbm.hidden_probs, rbm.free_energy, rbm.sample_hidden, lambda x: rbm.gibbs(x)):
        with pytest.raises(TypeError, match="v: masked"):
            call(v)
    with pytest.raises(TypeError, match="h: masked"):
        rbm.visible_probs(np.ma.masked_array([[1.0, 0.0]], mask=[[0, 0]]))


# -- NaN from finite input ----------------------------------------------------------------------
def test_beta_must_be_representable_in_the_model_dtype() -> None:
    rbm = pyrbm.RBM(np.full((3, 2), 0.5, np.float32), np.zeros(3, np.float32),
                    np.zeros(2, np.float32))
    v = np.array([[1, 0, 1]], np.float32)
    with pytest.raises(ValueError, match="beta: .* float32"):
        rbm.hidden_probs(v, beta=3.5e38)
    with pytest.raises(ValueError, match="beta"):
        rbm.gibbs(v, beta=1e39)
    with pytest.raises(ValueError, match="beta"):
        rbm.sample_visible(np.array([[1, 1]], np.float32), beta=1e39)
    # large but representable: the right limit (the sign of the field), no NaN
    probs = rbm.hidden_probs(v, beta=1e30)
    np.testing.assert_array_equal(probs, [[1.0, 1.0]])
    # the same beta is fine for a float64 model
    rbm64 = pyrbm.RBM(np.full((3, 2), 0.5), np.zeros(3), np.zeros(2))
    np.testing.assert_array_equal(rbm64.hidden_probs(v.astype(np.float64), beta=1e39), [[1, 1]])


def test_overflowing_fields_are_refused() -> None:
    rbm = pyrbm.RBM(np.array([[1e308, -1e308], [1e308, -1e308], [-1e308, 1e308]]),
                    np.zeros(3), np.zeros(2))
    v = np.array([[1.0, 1.0, 1.0]])
    for call in (rbm.hidden_probs, rbm.sample_hidden, rbm.free_energy, lambda x: rbm.gibbs(x)):
        with pytest.raises(ValueError, match="weights: the fields .* overflow"):
            call(v)
    # beta scales the fields: a product that overflows is refused, naming beta
    rbm = pyrbm.RBM(np.full((3, 2), 1e300), np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match="beta: beta times the largest field"):
        rbm.hidden_probs(v, beta=1e10)


# -- AIS inputs -----------------------------------------------------------------------------
def _zero_rbm() -> pyrbm.RBM:
    return pyrbm.RBM(np.zeros((6, 4)), np.zeros(6), np.zeros(4))


@pytest.mark.parametrize("method", ["ais", "rais"])
def test_ais_data_must_be_binary(method: str) -> None:
    for data, message in [
        (np.full((5, 6), np.nan), "data: states must be binary"),
        (np.full((5, 6), 2.0), "data: states must be binary"),
        (np.ma.masked_array(np.zeros((5, 6)), mask=np.zeros((5, 6))), "data: masked"),
        (np.zeros((5, 7)), r"data: expected shape \(n, 6\)"),
        ([[0] * 6], "data: expected a numpy array"),
    ]:
        with pytest.raises((ValueError, TypeError), match=message):
            log_partition(_zero_rbm(), method, data=data, n_chains=4, n_betas=5, rng=0)


def test_ais_base_bias_is_bounded() -> None:
    with pytest.raises(ValueError, match="base_bias: .* <= 50"):
        log_partition(_zero_rbm(), "ais", base_bias=np.full(6, 1e300), n_betas=10, rng=0)
    with pytest.raises(TypeError, match="base_bias"):
        log_partition(_zero_rbm(), "ais", base_bias=np.full(6, "a"), n_betas=10, rng=0)
    # within the bound: the right answer (6 ln 2 + 4 ln 2) within the error
    est = log_partition(_zero_rbm(), "ais", base_bias=np.full(6, 3.0), n_betas=200,
                        n_chains=200, rng=0)
    assert abs(est.value - 10 * math.log(2)) < 5 * est.std_error + 1e-9


def test_degenerate_ais_weights_are_reported() -> None:
    """Energies of 1e150: the estimate is a difference of 1e151-sized terms."""
    rbm = pyrbm.RBM(np.full((6, 4), 1e150), np.zeros(6), np.zeros(4))
    with pytest.raises(ValueError, match="AIS weights degenerate"):
        log_partition(rbm, "ais", n_chains=8, n_betas=20, rng=0)
    # the same check passes a model of ordinary size
    ok = log_partition(pyrbm.RBM(np.full((6, 4), 0.3), np.zeros(6), np.zeros(4)), "ais",
                       n_chains=8, n_betas=20, rng=0)
    assert math.isfinite(ok.value)


# -- sizes and counters ------------------------------------------------------------------------
def test_chain_offset_must_not_wrap() -> None:
    rbm = pyrbm.RBM.random(5, 3, rng=0)
    v = np.zeros((3, 5), np.float32)
    for call in (lambda **k: rbm.gibbs(v, **k), lambda **k: rbm.sample_hidden(v, **k)):
        with pytest.raises(ValueError, match="chain_offset: .* 2\\*\\*64"):
            call(chain_offset=2**64 - 1, rng=0)
        with pytest.raises(ValueError, match="chain_offset"):
            call(chain_offset=2**64, rng=0)
        call(chain_offset=2**64 - 3, rng=0)  # the last three chains: fine
        call(chain_offset=np.uint64(7), rng=0)


def test_thread_count_checks() -> None:
    previous = pyrbm.get_num_threads()
    try:
        pyrbm.set_num_threads(np.int64(1))
        assert pyrbm.get_num_threads() == 1
        with pytest.raises(ValueError, match="n_threads: must be <="):
            pyrbm.set_num_threads(2**31)
        with pytest.raises(TypeError, match="n_threads"):
            pyrbm.set_num_threads("2")  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="n_threads"):
            pyrbm.set_num_threads(2.0)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="n_threads"):
            pyrbm.set_num_threads(0)
    finally:
        pyrbm.set_num_threads(previous)


def test_n_sweeps_is_bounded() -> None:
    rbm = pyrbm.RBM.random(5, 3, rng=0)
    with pytest.raises(ValueError, match="n_sweeps: must be <="):
        rbm.gibbs(np.zeros((2, 5), np.float32), 2**64)


def test_huge_requests_say_how_much_memory() -> None:
    with pytest.raises(ValueError, match="n_visible: .* would need .* GB"):
        pyrbm.RBM.random(700_000, 700_000)
    rbm = pyrbm.RBM.random(7, 5, rng=0)
    with pytest.raises(ValueError, match="n_chains: .* would need .* GB"):
        rbm.sample(100_000_000_000, 1)
    with pytest.raises(ValueError, match="n_chains: .* would need"):
        log_partition(rbm, "ais", n_chains=10**12, rng=0)
    with pytest.raises(ValueError, match="n_chains: .* would need"):
        log_partition(rbm, "rais", n_chains=10**12, rng=0)


def test_random_float32_draws_the_same_numbers_without_a_float64_copy() -> None:
    expected = np.random.default_rng(3).normal(0.0, 0.01, (300, 7000)).astype(np.float32)
    tracemalloc.start()
    try:
        rbm = pyrbm.RBM.random(300, 7000, dtype=np.float32, rng=3)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    np.testing.assert_array_equal(rbm.weights, expected)
    # W is 8.4 MB in float32: a float64 draw of it (16.8 MB) or a second copy is gone
    assert peak < 1.5 * expected.nbytes, peak
    with pytest.raises(ValueError, match="std"):
        pyrbm.RBM.random(3, 2, std=1e300, dtype=np.float32, rng=0)


# -- the _core layer re-checks -------------------------------------------------------------------
def test_core_rechecks_states_and_steps() -> None:
    states = np.full((2, 3), 0.5, np.float32)
    rows = np.ones((3, 4), np.float32)
    with pytest.raises(ValueError, match="states: .* binary"):
        _core.sparse_fields(states, rows, np.empty((2, 4), np.float32))
    v = np.full((2, 3), 2.0, np.float32)
    w = np.ones((3, 4), np.float32)
    with pytest.raises(ValueError, match="visible: .* binary"):
        _core.gibbs_sparse(v, np.empty((2, 4), np.float32), w, np.ascontiguousarray(w.T),
                           np.zeros(3, np.float32), np.zeros(4, np.float32), 1.0, (1, 2), 0, 0, 1)
    buffer = np.zeros(16, np.float32)
    with pytest.raises(ValueError, match="out: must not share memory with src"):
        _core.transpose(buffer[:8].reshape(2, 4), buffer[4:12].reshape(4, 2))
    x = np.zeros((2, 3), np.float32)
    args = [np.ones((2, 2), np.float32), np.zeros(2, np.float32), np.zeros((2, 2), np.float32),
            np.zeros((2, 2), np.float32), np.zeros((2, 2), np.float32)]
    with pytest.raises(ValueError, match="dt: must be finite"):
        _core.langevin_modes(x, x.copy(), *args, float("inf"), 1.0, (1, 2), 0, 2, 1,
                             np.zeros((2, 2, 5)))
    with pytest.raises(ValueError, match="diffusion: must be finite"):
        _core.langevin_modes(x, x.copy(), *args, 0.1, float("inf"), (1, 2), 0, 2, 1,
                             np.zeros((2, 2, 5)))
    with pytest.raises(ValueError, match="n_threads"):
        _core.set_num_threads(2**31 - 1)


# -- damaged archives ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("archive") / "run.h5"
    data = (np.random.default_rng(0).random((60, 13)) < 0.3).astype(np.uint8)
    pyrbm.train(pyrbm.init_rbm(data, 5, rng=1), data, epochs=2, k=1, batch_size=20, rng=2,
                out=path, progress=False)
    return path


def _with_root_attribute(source: Path, target: Path, name: str, value: object) -> Path:
    target.write_bytes(source.read_bytes())
    with h5py.File(target, "r+") as handle:
        handle.attrs[name] = value
    checkpoint.seal(target)
    return target


def test_bad_archive_attributes_name_the_file(archive: Path, tmp_path: Path) -> None:
    nested = "[" * 100_000 + "]" * 100_000
    cases = [
        ("format_version", "abc", "format_version attribute is not an integer"),
        ("format_version", np.arange(3), "format_version attribute is not an integer"),
        ("format", np.arange(3), "not a pyrbm run archive"),
        ("config", nested, "damaged archive"),
    ]
    for index, (name, value, message) in enumerate(cases):
        path = _with_root_attribute(archive, tmp_path / f"bad{index}.h5", name, value)
        with pytest.raises(ArchiveError, match=f"{path}: .*{message}"):
            pyrbm.load(path) if name != "config" else checkpoint.read_config(path)


def test_paths_that_are_not_archive_files(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.h5"
    os.mkfifo(fifo)
    for path, message in [
        (tmp_path / "missing.h5", "no such file"),
        (tmp_path, "is a directory"),
        (fifo, "is a FIFO file"),
        (Path("/dev/zero"), "is a device file"),
    ]:
        with pytest.raises(ArchiveError, match=f"{path}: {message}"):
            pyrbm.load(path)


BITFLIP_SCRIPT = """
import sys
import numpy as np
import pyrbm
from pyrbm import checkpoint
from pyrbm.io.archive import ArchiveError

good = open(sys.argv[1], "rb").read()
outcomes = {"loaded": 0, "ArchiveError": 0}
for seed in range(int(sys.argv[3])):
    gen = np.random.default_rng(seed)
    data = bytearray(good)
    for bit in gen.choice(len(data) * 8, 20, replace=False):
        data[bit // 8] ^= 1 << (bit % 8)
    open(sys.argv[2], "wb").write(bytes(data))
    for read in (pyrbm.load, checkpoint.list_checkpoints, checkpoint.read_config,
                 checkpoint.read_resume_state):
        try:
            read(sys.argv[2])
            outcomes["loaded"] += 1
        except ArchiveError as exc:
            assert sys.argv[2] in str(exc), exc
            outcomes["ArchiveError"] += 1
print(outcomes)
"""


def test_bit_flipped_archives_load_or_raise_archive_error(archive: Path, tmp_path: Path) -> None:
    """100 seeds of 20 random single-bit flips: a clean load or ArchiveError, nothing else
    (a subprocess, so that a crash of the HDF5 library fails this test, not the suite)."""
    result = subprocess.run(
        [*PYTHON, "-c", BITFLIP_SCRIPT, str(archive), str(tmp_path / "flipped.h5"), "100"],
        capture_output=True, text=True, env=subprocess_env(), timeout=300, check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outcomes = eval(result.stdout.strip().splitlines()[-1])  # noqa: S307 - our own dict
    assert sum(outcomes.values()) == 4 * 100 and outcomes["ArchiveError"] > 0, outcomes


def test_cli_prints_no_traceback_for_a_damaged_archive(
    archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """In process: an exception escaping main() is what prints a traceback."""
    from pyrbm.cli import main

    bad = tmp_path / "bad.h5"
    raw = bytearray(archive.read_bytes())
    raw[len(raw) // 3 : len(raw) // 3 + 2000] = bytes(2000)  # a zeroed stretch mid-file
    bad.write_bytes(bytes(raw))
    paths = [bad, _with_root_attribute(archive, tmp_path / "v.h5", "format_version", "abc"),
             tmp_path, Path("/dev/zero")]
    for path in paths:
        for command in (["sample", str(path), "--sweeps", "1", "--out", str(tmp_path / "s.npz")],
                        ["info", str(path)]):
            capsys.readouterr()
            assert main(command) == 1, command
            err = capsys.readouterr().err
            assert str(path) in err and err.count("\n") == 1, err


def test_cli_refuses_a_huge_sample_request(
    archive: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pyrbm.cli import main

    assert main(["sample", str(archive), "--chains", "100000000000",
                 "--out", str(tmp_path / "s.npz")]) == 1
    err = capsys.readouterr().err
    assert "n_chains" in err and "GB" in err and err.count("\n") == 1, err


def test_archives_without_the_integrity_block_still_load(archive: Path, tmp_path: Path) -> None:
    legacy = tmp_path / "legacy.h5"
    legacy.write_bytes(archive.read_bytes()[checkpoint.USERBLOCK_SIZE:])  # HDF5 at offset 0
    np.testing.assert_array_equal(pyrbm.load(legacy).weights, pyrbm.load(archive).weights)
    assert archive.read_bytes().startswith(b"pyrbm-archive crc32=")


INTERRUPT_SCRIPT = """
import sys
import numpy as np
import pyrbm
rbm = pyrbm.RBM.random(53, 31, std=0.5, rng=0)
v = np.zeros((97, 53), np.float32)
print("ready", flush=True)
rbm.gibbs(v, 10**9, path="sparse", rng=0)  # hours: must stop on Ctrl-C
print("finished", flush=True)
"""


def _interrupted(script: str) -> tuple[str, str]:
    """Run ``script``, send SIGINT 1 s after it prints "ready"; its stdout and stderr."""
    proc = subprocess.Popen([*PYTHON, "-c", script], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=subprocess_env())
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(1.0)  # inside the long kernel by now
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    return out, err


def test_ctrl_c_stops_a_long_sparse_gibbs_run() -> None:
    out, err = _interrupted(INTERRUPT_SCRIPT)
    assert "KeyboardInterrupt" in err and "finished" not in out, err


def test_gibbs_sparse_in_chunks_draws_the_same_numbers() -> None:
    """The binding splits long runs into chunks of sweeps: same result as sweep by sweep."""
    rbm = pyrbm.RBM.random(13, 7, std=1.0, rng=1)
    v0 = (np.random.default_rng(2).random((400, 13)) < 0.5).astype(np.float32)
    whole, _ = rbm.gibbs(v0, 3000, path="sparse", rng=5)  # several chunks
    w, wt = rbm.weights, np.ascontiguousarray(rbm.weights.T)
    v, h = v0.copy(), np.empty((400, 7), np.float32)
    key = pyrbm._rng.draw_key(5)
    for sweep in range(0, 3000, 1000):
        _core.gibbs_sparse(v, h, w, wt, rbm.visible_bias, rbm.hidden_bias, 1.0, key, sweep, 0,
                           1000)
    np.testing.assert_array_equal(whole, v)


def test_wrong_types_raise_type_error() -> None:
    from pyrbm.partition.estimators import LikelihoodObserver
    from pyrbm.sklearn import BernoulliRBM

    with pytest.raises(TypeError, match="train_data: expected a numpy array"):
        LikelihoodObserver([[0, 1]])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="train_data: states must be binary"):
        LikelihoodObserver(np.array([[np.nan, 1.0]]))
    with pytest.raises(TypeError, match="verbose"):
        BernoulliRBM(verbose="yes").fit(np.zeros((3, 2)))  # type: ignore[arg-type]


def test_chunked_enumeration_matches_one_call(monkeypatch: pytest.MonkeyPatch) -> None:
    from pyrbm.partition import exact

    rbm = pyrbm.RBM(*(np.random.default_rng(7).normal(0, 1, s) for s in [(11, 7), 11, 7]))
    whole = exact.log_z_exact(rbm, beta=0.7)
    monkeypatch.setattr(exact, "CHUNK_BITS", 3)  # 2^4 calls over the top 4 of 7 bits
    assert exact.log_z_exact(rbm, beta=0.7) == pytest.approx(whole, rel=1e-13)


INTERRUPT_ENUMERATION = """
import numpy as np
import pyrbm
from pyrbm.partition.exact import log_z_exact
rbm = pyrbm.RBM.random(400, 27, std=0.1, rng=0)
print("ready", flush=True)
log_z_exact(rbm)  # 2^27 states of 400 fields: long
print("finished", flush=True)
"""


def test_ctrl_c_stops_a_long_enumeration() -> None:
    out, err = _interrupted(INTERRUPT_ENUMERATION)
    assert "KeyboardInterrupt" in err and "finished" not in out, err


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_is_binary_kernel_matches_numpy_reference(dtype: type) -> None:
    """``_core.is_binary`` (the scan behind every state check) against NumPy's rule, on
    binary arrays with one entry replaced by each kind of non-binary value, at every
    position class (first, inside a 4096-value chunk, last, a short tail)."""
    from pyrbm import _core
    from pyrbm._validation import is_binary

    gen = np.random.default_rng(4)
    for shape in [(1, 1), (3, 7), (97, 211), (2, 4096), (5, 4099)]:
        base = (gen.random(shape) < 0.3).astype(dtype)
        assert _core.is_binary(base) and is_binary(base)
        n = base.size
        for bad in [np.nan, np.inf, -np.inf, 2.0, -1.0, 0.5, 1e-30, 1.0 + 1e-7]:
            for where in {0, n // 2, n - 1, max(0, n - 3)}:
                x = base.copy()
                x.flat[where] = bad
                expected = bool(np.all((x == 0) | (x == 1)))
                assert _core.is_binary(x) is expected, (shape, bad, where)
                assert is_binary(x) is expected
        negative_zero = base.copy()
        negative_zero.flat[0] = -0.0
        assert _core.is_binary(negative_zero)  # -0.0 == 0, as in NumPy


def test_is_binary_helper_on_other_arrays() -> None:
    from pyrbm._validation import is_binary

    x = (np.random.default_rng(5).random((40, 30)) < 0.5).astype(np.float32)
    assert is_binary(x[:, ::2]) and is_binary(x.T) and is_binary(x.ravel())
    assert is_binary(x.astype(np.uint8)) and is_binary(x.astype(bool))
    assert is_binary(np.empty((0, 3), np.float32))
    y = x.astype(np.int64)
    y[3, 4] = 2
    assert not is_binary(y)
    z = x.copy()
    z[7, 9] = np.nan
    assert not is_binary(z[:, ::3]) and not is_binary(z.T)
    assert not is_binary(np.float64(0.5) * np.ones(5))

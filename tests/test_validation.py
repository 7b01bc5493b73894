"""Bad input raises ValueError/TypeError naming the argument; never a crash."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import pyrbm
from pyrbm import _core

from .conftest import small_rbm

# the compiled-kernel tests: CI reruns them against a build without OpenMP
pytestmark = pytest.mark.core


@pytest.fixture
def rbm() -> pyrbm.RBM:
    return small_rbm(11, 7, 0.5, np.float32, seed=0)


def good_v(n: int = 3) -> np.ndarray:
    return np.zeros((n, 11), np.float32)


@pytest.mark.parametrize(
    ("args", "error", "name"),
    [
        ((np.zeros((3, 2), np.int64), np.zeros(3), np.zeros(2)), TypeError, "weights"),
        ((np.zeros((3, 2)), np.zeros(3, np.float32), np.zeros(2)), TypeError, "visible_bias"),
        ((np.zeros(3), np.zeros(3), np.zeros(2)), ValueError, "weights"),
        ((np.zeros((3, 2)), np.zeros(4), np.zeros(2)), ValueError, "visible_bias"),
        ((np.zeros((3, 2)), np.zeros(3), np.zeros(5)), ValueError, "hidden_bias"),
        ((np.full((3, 2), np.nan), np.zeros(3), np.zeros(2)), ValueError, "weights"),
        ((np.zeros((3, 2)), np.array([0, np.inf, 0]), np.zeros(2)), ValueError, "visible_bias"),
        ((np.zeros((0, 2)), np.zeros(0), np.zeros(2)), ValueError, "weights"),
        (([[0.0]], np.zeros(1), np.zeros(1)), TypeError, "weights"),
    ],
)
def test_bad_parameters(args: tuple, error: type, name: str) -> None:
    with pytest.raises(error, match=name):
        pyrbm.RBM(*args)


def test_bad_random_arguments() -> None:
    with pytest.raises(ValueError, match="n_hidden"):
        pyrbm.RBM.random(3, 0)
    with pytest.raises(TypeError, match="dtype"):
        pyrbm.RBM.random(3, 2, dtype=np.int32)
    with pytest.raises(ValueError, match="std"):
        pyrbm.RBM.random(3, 2, std=float("nan"))
    with pytest.raises(TypeError, match="rng"):
        pyrbm.RBM.random(3, 2, rng="x")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("v", "error", "message"),
    [
        (np.zeros((3, 12), np.float32), ValueError, "v: expected shape"),
        (np.zeros(11, np.float32), ValueError, "v: expected shape"),
        (np.zeros((0, 11), np.float32), ValueError, "v: must not be empty"),
        (np.zeros((3, 11), np.float64), TypeError, "v: dtype float64 does not match"),
        (np.full((3, 11), 0.5, np.float32), ValueError, "v: states must be binary"),
        (np.full((3, 11), np.nan, np.float32), ValueError, "v: states must be binary"),
        (np.full((3, 11), 2, np.int64), ValueError, "v: states must be binary"),
        (np.zeros((3, 22), np.float32)[:, ::2], ValueError, "v: array must be C-contiguous"),
        (np.zeros((3, 11), np.complex64), TypeError, "v: expected a float"),
        ([[0] * 11], TypeError, "v: expected a numpy array"),
    ],
)
def test_bad_visible_states(rbm: pyrbm.RBM, v: object, error: type, message: str) -> None:
    for call in (rbm.free_energy, rbm.hidden_probs, rbm.sample_hidden, lambda x: rbm.gibbs(x, 1)):
        with pytest.raises(error, match=message):
            call(v)


def test_bad_other_arguments(rbm: pyrbm.RBM) -> None:
    with pytest.raises(ValueError, match="h: expected shape"):
        rbm.visible_probs(np.zeros((3, 8), np.float32))
    with pytest.raises(ValueError, match="h: expected 3 rows"):
        rbm.energy(good_v(), np.zeros((2, 7), np.float32))
    with pytest.raises(ValueError, match="beta"):
        rbm.gibbs(good_v(), 1, beta=float("inf"))
    with pytest.raises(ValueError, match="beta"):
        rbm.sample_hidden(good_v(), beta=-1.0)
    with pytest.raises(ValueError, match="n_sweeps"):
        rbm.gibbs(good_v(), 0)
    with pytest.raises(TypeError, match="n_sweeps"):
        rbm.gibbs(good_v(), 1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="path"):
        rbm.gibbs(good_v(), 1, path="fast")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="v0: expected 4 rows"):
        rbm.sample(4, 1, v0=good_v(3))
    with pytest.raises(ValueError, match="chain_offset"):
        rbm.gibbs(good_v(), 1, chain_offset=-1)


def test_core_rechecks_arguments() -> None:
    """Direct _core calls with bad arrays raise instead of reading out of bounds."""
    f = np.zeros((4, 5), np.float32)
    with pytest.raises(ValueError, match="bias"):
        _core.probs_from_fields(f, np.zeros(4, np.float32), 1.0, f)
    with pytest.raises(TypeError, match="bias"):
        _core.probs_from_fields(f, np.zeros(5), 1.0, f)
    with pytest.raises(ValueError, match="C-contiguous"):
        _core.probs_from_fields(np.zeros((5, 4), np.float32).T, np.zeros(5, np.float32), 1.0, f)
    with pytest.raises(TypeError, match="fields"):
        _core.probs_from_fields(f.astype(np.int32), np.zeros(5, np.float32), 1.0, f)
    readonly = np.zeros((4, 5), np.float32)
    readonly.flags.writeable = False
    with pytest.raises(ValueError, match="out: array must be writable"):
        _core.probs_from_fields(f, np.zeros(5, np.float32), 1.0, readonly)
    with pytest.raises(ValueError, match="rows"):
        _core.sparse_fields(f, np.zeros((4, 3), np.float32), np.zeros((4, 3), np.float32))


values_strategy = hnp.arrays(
    dtype=np.float64,
    shape=st.one_of(
        hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=13),
        st.tuples(st.integers(0, 6), st.sampled_from([7, 11])),  # the model's layer sizes
    ),
    elements=st.sampled_from([0.0, 1.0, 0.5, -1.0, np.nan, np.inf]),
)
dtype_strategy = st.sampled_from([np.float32, np.float64, np.int8, np.bool_, np.complex64])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    values=values_strategy,
    dtype=dtype_strategy,
    beta=st.floats(allow_nan=True, allow_infinity=True),
    seed=st.integers(0, 5),
)
def test_public_api_never_crashes(values: np.ndarray, dtype: type, beta: float, seed: int) -> None:
    """Random shapes, dtypes and values: a result of the right shape or a clean error."""
    with np.errstate(invalid="ignore"):
        v = values.astype(dtype)
    rbm = small_rbm(11, 7, 0.5, np.float32, seed=seed)
    calls = {
        "free_energy": lambda: rbm.free_energy(v, beta=beta),
        "hidden_probs": lambda: rbm.hidden_probs(v, beta=beta),
        "gibbs": lambda: rbm.gibbs(v, 2, beta=beta, rng=seed)[0],
        "visible_probs": lambda: rbm.visible_probs(v, beta=beta),
    }
    for name, call in calls.items():
        try:
            out = call()
        except (ValueError, TypeError) as err:
            assert str(err).split(":")[0] in {"v", "h", "beta"}, (name, err)
        else:
            assert np.all(np.isfinite(out)) and out.dtype == np.float32
            assert out.shape[0] == v.shape[0]

"""Hostile-input fuzzing of the public entry points, in process (hypothesis).

Random shapes, dtypes (float16/32/64, big-endian, int, bool, complex, object), forms
(masked, non-contiguous, read-only, nested lists) and values (NaN, +-inf, huge,
subnormal, 2) are passed to every public entry point. Each call must either return a
finite result or raise one of the listed exception types with the name of an argument
in the message. Bounded and derandomized: a few seconds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pyrbm
from pyrbm.analysis.symmetry import js_divergence
from pyrbm.io.archive import ArchiveError
from pyrbm.partition.estimators import log_likelihood, log_partition
from pyrbm.reproduce.config import ConfigError
from pyrbm.sklearn import BernoulliRBM

ALLOWED = (ValueError, TypeError, OSError, ArchiveError, ConfigError)

VALUES = [0.0, 1.0, 0.5, -1.0, 2.0, np.nan, np.inf, -np.inf, 1e308, -1e308, 3.5e38,
          5e-324, 1e-45]
#: The model dtypes (and plain/masked forms) come up more often: those reach the kernels.
DTYPES = [np.float32, np.float64] * 3 + [np.float16, ">f8", ">f4", np.int8, np.int64,
                                         np.uint8, np.bool_, np.complex64, object]
FORMS = ["plain", "masked"] * 2 + ["strided", "readonly", "list", "fortran"]

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def hostile_arrays(draw: Any, sizes: tuple[int, ...] = (7, 5)) -> Any:
    """An array-like of a random shape near the model sizes, dtype, form and values."""
    ndim = draw(st.sampled_from([2, 2, 2, 1, 0, 3]))  # mostly (n, units)
    shape = tuple(draw(st.sampled_from([1, 2, 3, 0])) for _ in range(ndim - 1))
    if ndim:
        shape += (draw(st.sampled_from([*sizes, *sizes, 1, 0])),)
    size = int(np.prod(shape)) if shape else 1
    kind = draw(st.sampled_from(["binary", "binary", "hostile"]))
    pool = [0.0, 1.0] if kind == "binary" else VALUES
    flat = np.array(draw(st.lists(st.sampled_from(pool), min_size=size, max_size=size)))
    values = flat.reshape(shape)
    dtype = draw(st.sampled_from(DTYPES))
    with np.errstate(all="ignore"):
        out = values.astype(dtype)
    form = draw(st.sampled_from(FORMS))
    if form == "masked":  # NaN under the mask: a kernel reading it returns NaN
        mask = np.array(draw(st.lists(st.booleans(), min_size=size, max_size=size)), bool)
        masked = np.ma.masked_array(out.copy(), mask=mask.reshape(out.shape))
        if out.dtype.kind in "fc" and out.ndim:
            masked.data[masked.mask] = np.nan
        return masked
    if form == "strided" and out.ndim >= 1:
        doubled = np.repeat(out, 2, axis=-1)
        return doubled[..., ::2]
    if form == "readonly":
        out = out.copy()
        out.flags.writeable = False
    if form == "list":
        return out.tolist()
    if form == "fortran" and out.ndim == 2:
        return np.asfortranarray(out)
    return out


def _rbm(dtype: Any = np.float64) -> pyrbm.RBM:
    """Zero biases: the all-zero state has fields 0, where beta = inf would give NaN."""
    gen = np.random.default_rng(0)
    return pyrbm.RBM(gen.normal(0, 0.5, (7, 5)).astype(dtype), np.zeros(7, dtype),
                     np.zeros(5, dtype))


def _check(call: Callable[[], Any], names: set[str]) -> None:
    """A finite result, or a listed exception naming one of ``names``."""
    try:  # (pytest turns numpy's RuntimeWarnings, e.g. NaN made on the way, into errors)
        out = call()
    except ALLOWED as exc:
        message = str(exc)
        assert any(re.search(rf"(^|\W){re.escape(n)}(\W|$)", message) for n in names), (
            f"{type(exc).__name__} does not name any of {sorted(names)}: {message}"
        )
        return
    for item in out if isinstance(out, tuple) else (out,):
        value = getattr(item, "value", item)
        if value is None or isinstance(value, (str, pyrbm.RBM)):
            continue
        arr = np.asarray(value)
        if arr.dtype.kind in "fc":
            assert np.all(np.isfinite(arr)), f"non-finite result {arr}"


HUGE = [1e308, 1e39, 3.5e38, 1e30, np.nan, np.inf, -1.0, 0.0, 1.0, 5e-324, 2**64, "1",
        np.float32(2.0), np.int64(3), True, None]


@SETTINGS
@given(w=hostile_arrays(), a=hostile_arrays(), b=hostile_arrays())
def test_constructor(w: Any, a: Any, b: Any) -> None:
    names = {"weights", "visible_bias", "hidden_bias"}
    _check(lambda: pyrbm.RBM(w, a, b).weights, names)
    if isinstance(w, np.ndarray) and w.ndim == 2:  # biases that fit, in w's dtype
        dtype = w.dtype if w.dtype in (np.float32, np.float64) else np.float64
        _check(lambda: pyrbm.RBM(w, np.zeros(w.shape[0], dtype), np.zeros(w.shape[1], dtype))
               .weights, names)
    for bias in (a, b):
        if isinstance(bias, np.ndarray) and bias.ndim == 1 and bias.dtype == np.float64:
            n = bias.shape[0]
            _check(lambda: pyrbm.RBM(np.zeros((n, n)), bias, bias).hidden_bias, names)


@SETTINGS
@given(x=hostile_arrays(), beta=st.sampled_from(HUGE), dtype=st.sampled_from([np.float32, np.float64]),
       offset=st.sampled_from([0, 2**64 - 2, 2**64, -1, np.uint64(3), 1.0]))
def test_model_methods(x: Any, beta: Any, dtype: Any, offset: Any) -> None:
    if isinstance(x, np.ndarray) and x.dtype in (np.float32, np.float64):
        dtype = x.dtype  # float states must have the model's dtype: reach the kernels
    rbm = _rbm(dtype)
    _check(lambda: rbm.hidden_probs(x, beta=beta), {"v", "beta", "weights"})
    _check(lambda: rbm.visible_probs(x, beta=beta), {"h", "beta", "weights"})
    _check(lambda: rbm.free_energy(x, beta=beta), {"v", "beta", "weights"})
    _check(lambda: rbm.sample_hidden(x, beta=beta, rng=0, chain_offset=offset),
           {"v", "beta", "weights", "chain_offset"})
    _check(lambda: rbm.gibbs(x, 2, beta=beta, rng=0, chain_offset=offset),
           {"v", "beta", "weights", "chain_offset"})
    _check(lambda: rbm.gibbs(x, 2, beta=beta, rng=0, path="sparse"), {"v", "beta", "weights"})
    _check(lambda: rbm.energy(x, x, beta=beta), {"v", "h", "beta", "weights"})


@SETTINGS
@given(n=st.sampled_from([0, 1, 3, -1, 2**64, 10**12, 1.5, "3", np.int32(2), None, True]),
       sweeps=st.sampled_from([1, 0, 2**64, 2**63, np.int64(2), 1.0]))
def test_counts(n: Any, sweeps: Any) -> None:
    rbm = _rbm()
    if isinstance(sweeps, int) and sweeps > 10:  # accepted counts are run: keep them small
        _check(lambda: rbm.gibbs(np.zeros((1, 7)), sweeps), {"n_sweeps"})
        return
    _check(lambda: rbm.sample(n, sweeps, rng=0), {"n_chains", "n_sweeps"})
    _check(lambda: pyrbm.RBM.random(n, 3, rng=0), {"n_visible"})
    _check(lambda: log_partition(rbm, "ais", n_chains=n, n_betas=3, rng=0), {"n_chains"})


def test_set_num_threads_fuzz() -> None:
    previous = pyrbm.get_num_threads()
    try:
        for n in [0, -1, 2**31, 2**64, 1.0, "2", None, True, np.int64(1), np.uint8(1), 1]:
            _check(lambda: pyrbm.set_num_threads(n), {"n_threads"})
    finally:
        pyrbm.set_num_threads(previous)


@SETTINGS
@given(data=hostile_arrays(), base=hostile_arrays(sizes=(7,)), method=st.sampled_from(["ais", "rais"]),
       beta=st.sampled_from(HUGE))
def test_annealing(data: Any, base: Any, method: str, beta: Any) -> None:
    rbm = _rbm()
    _check(lambda: log_partition(rbm, method, data=data, n_chains=3, n_betas=4, rng=0),
           {"data"})
    _check(lambda: log_partition(rbm, method, base_bias=base, n_chains=3, n_betas=4, rng=0),
           {"base_bias"})
    _check(lambda: log_partition(rbm, method, beta=beta, n_chains=3, n_betas=4, rng=0),
           {"beta", "rbm"})
    _check(lambda: log_likelihood(rbm, data, 1.0), {"data"})


@SETTINGS
@given(X=hostile_arrays(sizes=(7,)), n_components=st.sampled_from([3, 0, 10**12, 1.5, "3"]))
def test_bernoulli_rbm(X: Any, n_components: Any) -> None:
    good = (np.random.default_rng(0).random((9, 7)) < 0.5).astype(np.float64)
    fitted = BernoulliRBM(3, n_iter=1, random_state=0).fit(good)
    _check(lambda: BernoulliRBM(n_components, n_iter=1, random_state=0).fit(good),
           {"n_components"})
    _check(lambda: BernoulliRBM(3, n_iter=1, random_state=0).fit(X), {"X"})
    _check(lambda: fitted.transform(X), {"X"})
    _check(lambda: fitted.gibbs(X), {"v"})
    _check(lambda: fitted.score_samples(X), {"X"})


@SETTINGS
@given(p=hostile_arrays(sizes=(4,)), q=hostile_arrays(sizes=(4,)),
       base=st.sampled_from([None, 2, 1, 0, -1, np.nan, np.inf, "2", 1e308]))
def test_js_divergence(p: Any, q: Any, base: Any) -> None:
    _check(lambda: js_divergence(p, q, base=base), {"p", "q", "base"})


@pytest.mark.parametrize("spec", [b"quick", 3, None, "nope", "missing.toml", "/dev/zero"])
def test_load_config(spec: Any) -> None:
    from pyrbm.reproduce.config import load_config

    _check(lambda: load_config(spec), {"config", str(spec)})

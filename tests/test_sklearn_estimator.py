"""pyrbm.BernoulliRBM (pyrbm.sklearn.estimator): the scikit-learn drop-in.

API parity with sklearn.neural_network.BernoulliRBM, NumPy references of the Gibbs step,
the transform and the pseudo-likelihood (with the same Philox uniforms), float32 and
float64 fits, and statistical equivalence with scikit-learn on digits.
"""

from __future__ import annotations

import inspect
import subprocess
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from scipy import stats
from scipy.special import expit

import pyrbm
from pyrbm.sklearn import _kernels as _pcd
from pyrbm._rng import draw_key

from .conftest import PYTHON, subprocess_env

sklearn = pytest.importorskip("sklearn")
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.neural_network import BernoulliRBM as SkRBM  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402

from .sklearn_cases import (
    BATCH, N_COMPONENTS, N_FEATURES, N_SAMPLES, binary_data, small, uniforms,
)


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    return (load_digits().data >= 8).astype(np.float64)  # 1797 x 64, binary


# -- API parity ------------------------------------------------------------------------
def test_constructor_matches_sklearn() -> None:
    ours, theirs = inspect.signature(pyrbm.BernoulliRBM), inspect.signature(SkRBM)
    assert [(p.name, p.kind, p.default) for p in ours.parameters.values()] == [
        (p.name, p.kind, p.default) for p in theirs.parameters.values()
    ]
    assert pyrbm.BernoulliRBM().get_params() == SkRBM().get_params()
    for method in ("fit", "partial_fit", "transform", "gibbs", "score_samples",
                   "fit_transform", "get_params", "set_params", "get_feature_names_out"):
        assert callable(getattr(pyrbm.BernoulliRBM, method))


def test_fitted_attributes_match_sklearn(dtype: type) -> None:
    X = binary_data(dtype)
    ours = small().fit(X)
    theirs = SkRBM(n_components=N_COMPONENTS, batch_size=BATCH, n_iter=3, random_state=0).fit(X)
    for name in ("components_", "intercept_hidden_", "intercept_visible_", "h_samples_"):
        a, b = getattr(ours, name), getattr(theirs, name)
        assert (a.shape, a.dtype) == (b.shape, b.dtype), name
    assert ours.components_.flags.f_contiguous
    assert ours.n_features_in_ == theirs.n_features_in_ == N_FEATURES
    assert np.all((ours.h_samples_ == 0) | (ours.h_samples_ == 1))
    for method in ("transform", "score_samples", "gibbs"):
        a, b = getattr(ours, method)(X), getattr(theirs, method)(X)
        assert (a.shape, a.dtype) == (b.shape, b.dtype), method
    assert ours.fit_transform(X).shape == (N_SAMPLES, N_COMPONENTS)
    assert list(ours.get_feature_names_out()) == list(theirs.get_feature_names_out())


def test_dtype_rules_follow_sklearn() -> None:
    X32 = binary_data(np.float32)
    ours = small().fit(X32.astype(np.int64))  # integers become float64
    assert ours.components_.dtype == np.float64
    ours = small().fit(X32)
    assert ours.transform(X32).dtype == np.float32
    assert ours.transform(X32.astype(np.float64)).dtype == np.float64  # promotion
    first = small().partial_fit(X32)  # partial_fit starts in float64, as sklearn
    theirs = SkRBM(n_components=N_COMPONENTS, batch_size=BATCH)
    theirs.partial_fit(X32)  # returns None in scikit-learn 1.9 despite its docstring
    for name in ("components_", "intercept_hidden_", "intercept_visible_", "h_samples_"):
        a, b = getattr(first, name), getattr(theirs, name)
        assert (a.shape, a.dtype) == (b.shape, b.dtype), name
    assert first.h_samples_.shape == (BATCH, N_COMPONENTS)


def test_passes_sklearn_check_estimator() -> None:
    from sklearn.utils.estimator_checks import check_estimator

    # scikit-learn's own BernoulliRBM fails these two: score_samples is stochastic.
    expected = {
        "check_methods_subset_invariance": "score_samples flips random units",
        "check_methods_sample_order_invariance": "score_samples flips random units",
    }
    with warnings.catch_warnings():  # the array-API check skips without SCIPY_ARRAY_API
        warnings.simplefilter("ignore", sklearn.exceptions.SkipTestWarning)
        check_estimator(pyrbm.BernoulliRBM(), expected_failed_checks=expected)


def test_pipeline_clone_and_params(digits: np.ndarray) -> None:
    y = load_digits().target
    rbm = pyrbm.BernoulliRBM(n_components=19, n_iter=2, learning_rate=0.05, random_state=1)
    pipe = Pipeline([("rbm", rbm), ("clf", LogisticRegression(max_iter=300))])
    pipe.set_params(rbm__n_components=31)
    pipe.fit(digits, y)
    assert pipe.named_steps["rbm"].components_.shape == (31, 64)
    assert pipe.score(digits, y) > 0.5  # hidden features are informative (chance: 0.1)
    copy = clone(pipe.named_steps["rbm"])
    assert copy.get_params() == pipe.named_steps["rbm"].get_params()
    assert not hasattr(copy, "components_")
    with pytest.raises(ValueError, match="nonexistent"):
        rbm.set_params(nonexistent=1)


def test_verbose_prints_sklearn_progress_lines(capsys: pytest.CaptureFixture) -> None:
    small(verbose=1, n_iter=2).fit(binary_data())
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    for i, line in enumerate(lines, 1):
        assert line.startswith(f"[BernoulliRBM] Iteration {i}, pseudo-likelihood = -")
        assert line.endswith("s")


def test_same_seed_same_fit_and_random_state_kinds() -> None:
    X = binary_data()
    a, b = small().fit(X), small().fit(X)
    np.testing.assert_array_equal(a.components_, b.components_)
    np.testing.assert_array_equal(a.h_samples_, b.h_samples_)
    assert not np.array_equal(a.components_, small(random_state=1).fit(X).components_)
    for state in (None, np.random.RandomState(3), np.random.default_rng(3)):
        assert np.all(np.isfinite(small(random_state=state).fit(X).components_))


def test_sparse_input_gives_the_dense_results(dtype: type) -> None:
    X = binary_data(dtype)
    dense, sparse = small().fit(X), small().fit(sp.csr_matrix(X))
    np.testing.assert_array_equal(dense.components_, sparse.components_)
    for to_sparse in (sp.csr_matrix, sp.csr_array, sp.csc_matrix):
        np.testing.assert_allclose(dense.transform(to_sparse(X)), dense.transform(X), rtol=1e-6)
        np.testing.assert_allclose(
            dense.score_samples(to_sparse(X)), dense.score_samples(X), rtol=1e-5
        )
    dense.partial_fit(sp.csr_matrix(X))  # one update with the whole (sparse) batch
    assert dense.gibbs(sp.csr_matrix(X)).shape == X.shape


def test_thread_count_does_not_change_the_fit() -> None:
    # Large enough that the updates run multithreaded (above _pcd.SERIAL_BELOW).
    X = (np.random.default_rng(2).random((257, 131)) < 0.15).astype(np.float32)
    params = dict(n_components=67, batch_size=64, n_iter=2, random_state=0)
    assert 2 * 64 * 131 * 67 >= _pcd.SERIAL_BELOW
    with pyrbm.num_threads(1):
        one = pyrbm.BernoulliRBM(**params).fit(X)
    with pyrbm.num_threads(2):
        two = pyrbm.BernoulliRBM(**params).fit(X)
    np.testing.assert_array_equal(one.components_, two.components_)
    np.testing.assert_array_equal(one.h_samples_, two.h_samples_)


# -- bad input -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("params", "error", "name"),
    [
        ({"n_components": 0}, ValueError, "n_components"),
        ({"n_components": 2.5}, TypeError, "n_components"),
        ({"learning_rate": 0.0}, ValueError, "learning_rate"),
        ({"learning_rate": "fast"}, TypeError, "learning_rate"),
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"n_iter": -1}, ValueError, "n_iter"),
        ({"verbose": -2}, ValueError, "verbose"),
        ({"random_state": "seed"}, TypeError, "random_state"),
        ({"random_state": -1}, ValueError, "random_state"),
    ],
)
def test_bad_parameters_raise_naming_them(params: dict, error: type, name: str) -> None:
    with pytest.raises(error, match=name):
        small(**params).fit(binary_data())
    with pytest.raises(error, match=name):
        small(**params).partial_fit(binary_data())


def test_bad_data_raises() -> None:
    X = binary_data()
    with pytest.raises(NotFittedError):
        small().transform(X)
    with pytest.raises(NotFittedError):
        small().gibbs(X)
    bad = X.copy()
    bad[2, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        small().fit(bad)
    fitted = small().fit(X)
    with pytest.raises(ValueError, match="features"):
        fitted.transform(X[:, :-1])
    with pytest.raises(ValueError, match="v: expected shape"):
        fitted.gibbs(X[:, :-1])
    with pytest.raises(ValueError, match="2D"):
        small().fit(X[0])


@pytest.mark.parametrize("binary", [True, False], ids=["binary", "real"])
def test_float32_and_float64_fits_agree(binary: bool) -> None:
    """The same data and random_state in float32 and float64 give the same transform to
    float32 rounding: both draw the same uniforms (float32's layout), so every unit's
    decision is the same unless a probability rounds across its uniform."""
    X = binary_data() if binary else np.random.default_rng(3).random((N_SAMPLES, N_FEATURES))
    fits = {dt: small(random_state=5, n_iter=3).fit(X.astype(dt)) for dt in (np.float32, np.float64)}
    t32 = fits[np.float32].transform(X.astype(np.float32))
    t64 = fits[np.float64].transform(X.astype(np.float64))
    assert t32.dtype == np.float32 and t64.dtype == np.float64
    np.testing.assert_allclose(t32, t64, rtol=0, atol=2e-6)
    np.testing.assert_array_equal(fits[np.float32].h_samples_, fits[np.float64].h_samples_)


def test_fit_runs_sklearn_schedule() -> None:
    """fit = n_iter passes over the batches in order, one key, one sweep per update."""
    X, seed, n_iter = binary_data(), 4, 2
    model = small(random_state=seed, n_iter=n_iter).fit(X)
    gen = np.random.default_rng(seed)
    weights = np.ascontiguousarray(gen.normal(0, 0.01, (N_FEATURES, N_COMPONENTS)))
    a, b = np.zeros(N_FEATURES), np.zeros(N_COMPONENTS)
    h, key, sweep = np.zeros((BATCH, N_COMPONENTS)), draw_key(gen), 0
    for _ in range(n_iter):
        for start in range(0, N_SAMPLES, BATCH):  # the last batch has 3 rows
            h = _pcd.pcd_update(X[start : start + BATCH], weights, a, b, h, 0.1, True, key, sweep)
            sweep += 1
    np.testing.assert_array_equal(model.components_, weights.T)
    np.testing.assert_array_equal(model.intercept_visible_, a)
    np.testing.assert_array_equal(model.h_samples_, h)


def test_transform_matches_sklearn_with_the_same_parameters(dtype: type) -> None:
    X = binary_data(dtype)
    ours = small().fit(X)
    theirs = SkRBM(n_components=N_COMPONENTS).fit(X)
    for name in ("components_", "intercept_hidden_", "intercept_visible_"):
        setattr(theirs, name, getattr(ours, name).copy())
    tol = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(ours.transform(X), theirs.transform(X), rtol=tol)
    real = np.random.default_rng(1).random(X.shape).astype(dtype)  # intensities in [0, 1)
    np.testing.assert_allclose(ours.transform(real), theirs.transform(real), rtol=tol)


def test_score_samples_is_sklearn_pseudo_likelihood(dtype: type) -> None:
    X = binary_data(dtype)
    model = small(random_state=7).fit(X)
    flip = np.random.default_rng(7).integers(0, N_FEATURES, N_SAMPLES)  # same draws
    comp, a, b = (x.astype(np.float64) for x in (model.components_, model.intercept_visible_,
                                                  model.intercept_hidden_))

    def free_energy(v: np.ndarray) -> np.ndarray:
        return -v @ a - np.logaddexp(0, v @ comp.T + b).sum(axis=1)

    flipped = X.astype(np.float64)
    flipped[np.arange(N_SAMPLES), flip] = 1 - flipped[np.arange(N_SAMPLES), flip]
    expected = -N_FEATURES * np.logaddexp(0, -(free_energy(flipped) - free_energy(X)))
    tol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(model.score_samples(X), expected, rtol=tol, atol=tol)
    np.testing.assert_array_equal(model.score_samples(X), model.score_samples(X))


def test_gibbs_matches_numpy_reference(dtype: type) -> None:
    X = binary_data(dtype)
    model = small(random_state=2).fit(X)
    model.random_state_ = np.random.default_rng(9)
    v_new = model.gibbs(X)
    assert v_new.dtype == np.bool_
    key = draw_key(np.random.default_rng(9))
    comp = model.components_.astype(np.float64)
    u_h = uniforms(key, 0, "hidden", (N_SAMPLES, N_COMPONENTS), dtype)
    h = (u_h < expit(X @ comp.T + model.intercept_hidden_)).astype(np.float64)
    u_v = uniforms(key, 0, "visible", X.shape, dtype)
    np.testing.assert_array_equal(v_new, u_v < expit(h @ comp + model.intercept_visible_))


# -- statistical equivalence with scikit-learn -----------------------------------------------
@pytest.mark.parametrize("data", ["binarized", "intensities"])
def test_statistically_equivalent_to_sklearn(digits: np.ndarray, data: str) -> None:
    """Same data, settings and number of runs: the run-to-run spread of each library sets
    the tolerance (Welch t-tests), and training must beat the initial model clearly.
    scikit-learn also trains on real-valued intensities in [0, 1] (its digits example)."""
    if data == "intensities":
        digits = load_digits().data / 16.0
    params = dict(n_components=37, learning_rate=0.05, batch_size=10, n_iter=4)
    seeds = range(6)
    stats_of = {}
    for name, cls in (("ours", pyrbm.BernoulliRBM), ("sklearn", SkRBM)):
        rows = []
        for seed in seeds:
            model = cls(random_state=seed, **params).fit(digits)
            rows.append([
                model.score_samples(digits).mean(),
                np.linalg.norm(model.components_, axis=1).mean(),
                model.intercept_visible_.mean(),
                model.intercept_hidden_.mean(),
            ])
        stats_of[name] = np.array(rows)
    untrained = pyrbm.BernoulliRBM(random_state=0, **{**params, "n_iter": 0}).fit(digits)
    untrained_pl = untrained.score_samples(digits).mean()
    assert stats_of["ours"][:, 0].min() > 0.7 * untrained_pl  # PL < 0: clearly improved
    for column, label in enumerate(("pseudo-likelihood", "row norm", "a mean", "b mean")):
        ours, theirs = stats_of["ours"][:, column], stats_of["sklearn"][:, column]
        p = stats.ttest_ind(ours, theirs, equal_var=False).pvalue
        assert p > 0.001, (label, ours, theirs)
        assert abs(ours.mean() - theirs.mean()) < 0.1 * abs(theirs.mean()) + 1e-3, label


# -- without scikit-learn ----------------------------------------------------------------
def test_works_without_sklearn(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import sys, importlib.abc
        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path, target=None):
                if name == "sklearn" or name.startswith("sklearn."):
                    raise ImportError("blocked: " + name)
        sys.meta_path.insert(0, Block())
        import numpy as np
        import pyrbm
        from pyrbm import sklearn as drop_in
        assert not drop_in.HAVE_SKLEARN
        X = (np.random.default_rng(0).random((23, 13)) < 0.3).astype(np.float32)
        rbm = pyrbm.BernoulliRBM(n_components=7, batch_size=5, n_iter=2, random_state=0)
        try:
            rbm.transform(X)
        except drop_in.NotFittedError:
            pass
        else:
            raise AssertionError("transform before fit must raise")
        assert rbm.set_params(n_iter=3) is rbm and rbm.get_params()["n_iter"] == 3
        h = rbm.fit_transform(X)
        assert h.shape == (23, 7) and h.dtype == np.float32
        assert rbm.score_samples(X).shape == (23,)
        assert rbm.gibbs(X).dtype == np.bool_
        assert repr(rbm).startswith("BernoulliRBM(")
        for bad, name in (({"n_components": 0}, "n_components"), ({"foo": 1}, "foo")):
            try:
                pyrbm.BernoulliRBM().set_params(**bad).fit(X)
            except ValueError as exc:
                assert name in str(exc), exc
            else:
                raise AssertionError(name)
        try:
            rbm.transform(X[:, :5])
        except ValueError as exc:
            assert "features" in str(exc)
        else:
            raise AssertionError("wrong n_features must raise")
        print("ok")
        """
    )
    # The pyrbm under test, wherever it was imported from (source tree or installed).
    env = subprocess_env()
    done = subprocess.run(
        [*PYTHON, "-c", script], cwd=tmp_path, capture_output=True, text=True,
        timeout=60, env=env,
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_fit_keeps_weights_cache_aligned() -> None:
    """The weights a fit updates start on a 64-byte boundary (the gather-adds' loads);
    ``aligned`` copies only when needed and keeps the values."""
    model = small().fit(binary_data())
    assert model.components_.T.ctypes.data % _pcd.ALIGNMENT == 0
    assert model.components_.flags.f_contiguous
    for offset in range(0, 64, 8):
        buffer = np.arange(200, dtype=np.float64)
        start = (-buffer.ctypes.data % 64 + offset) // 8
        view = buffer[start : start + 60].reshape(6, 10)
        result = _pcd.aligned(view)
        assert result.ctypes.data % 64 == 0 and result.flags.c_contiguous
        np.testing.assert_array_equal(result, view)
        assert (result is view) == (offset == 0)

"""training.exact: the update's statistics as exact sums (``exact_sums=True``): equal to
the engine's gradient to rounding, and the same bits for any split of the rows into
parts added in any order (what data-parallel ranks do), where float sums are not."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import pyrbm
from pyrbm import _core
from pyrbm.training import exact

from .conftest import small_rbm
from .test_model_engine import reference_gradient

N_VISIBLE, N_HIDDEN = 37, 23  # distinct primes


def _rows(dtype: type) -> tuple[pyrbm.RBM, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    gen = np.random.default_rng(41)
    rbm = small_rbm(N_VISIBLE, N_HIDDEN, 0.6, dtype, seed=42)
    data = (gen.random((53, N_VISIBLE)) < 0.3).astype(dtype)
    chains = (gen.random((29, N_VISIBLE)) < 0.5).astype(dtype)
    mu = gen.random(N_VISIBLE).astype(dtype)
    lam = gen.random(N_HIDDEN).astype(dtype)
    return rbm, data, chains, mu, lam


@pytest.mark.parametrize("centered", [False, True])
def test_statistics_match_numpy_reference(dtype: type, centered: bool) -> None:
    rbm, data, chains, mu, lam = _rows(dtype)
    s_d, s_m = 1 / len(data), 1 / len(chains)
    sums = exact.partial_statistics(rbm, data, chains, s_d, s_m, len(data) + len(chains),
                                    lam if centered else None)
    got = exact.finish(sums, s_d, s_m, mu if centered else None, rbm.dtype)
    want = reference_gradient(rbm, data, chains, s_d, s_m, mu if centered else None,
                              lam if centered else None)
    tol = 2e-6 if dtype == np.float32 else 1e-12
    for g, w in zip(got, want):
        assert g.dtype == dtype
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol * np.abs(w).max())


def test_any_split_and_order_gives_the_same_bits(dtype: type) -> None:
    rbm, data, chains, _, lam = _rows(dtype)
    s_d, s_m, n = 1 / len(data), 1 / len(chains), len(data) + len(chains)
    whole = exact.partial_statistics(rbm, data, chains, s_d, s_m, n, lam)
    for cut_d, cut_m in ((1, 28), (26, 14), (52, 1)):
        a = exact.partial_statistics(rbm, data[:cut_d], chains[:cut_m], s_d, s_m, n, lam)
        b = exact.partial_statistics(rbm, data[cut_d:], chains[cut_m:], s_d, s_m, n, lam)
        for w, x, y in zip(whole, a, b):
            assert np.array_equal(w, x + y) and np.array_equal(w, y + x)
    # the control: the engine's float sums of the two parts are not the whole's bits
    def engine(d: np.ndarray, v: np.ndarray) -> np.ndarray:
        outs = [np.empty_like(rbm.weights), np.empty_like(rbm.visible_bias),
                np.empty_like(rbm.hidden_bias), np.empty_like(rbm.hidden_bias)]
        _core.chain_gradient(np.ascontiguousarray(d), True, np.array(v), rbm.weights,
                             rbm.visible_bias, rbm.hidden_bias, 0, (1, 2), 0, s_d, s_m,
                             None, None, *outs)
        return outs[0]

    assert not np.array_equal(engine(data, chains),
                              engine(data[:26], chains[:14]) + engine(data[26:], chains[14:]))


def test_grid_leaves_room_for_every_sum() -> None:
    for n_rows, scale in ((2, 0.5), (1000, 1 / 500), (10_000, 1.0), (7, 3.0)):
        q = exact.quantum(n_rows, scale)
        assert n_rows * scale / q <= 2.0**52
        assert n_rows * scale / q > 2.0**48  # and is not needlessly coarse
    (test,) = doctest.DocTestFinder().find(exact.quantum, "quantum")
    assert doctest.DocTestRunner().run(test).failed == 0


def test_exact_training_is_close_to_the_engine_and_needs_binary_data() -> None:
    gen = np.random.default_rng(3)
    x = (gen.random((67, 13)) < 0.3).astype(np.uint8)
    runs = []
    for exact_sums in (False, True):
        rbm = pyrbm.init_rbm(x, 7, rng=1)
        pyrbm.train(rbm, x, k=2, batch_size=17, n_chains=11, epochs=3, rng=2, lr=0.05,
                    exact_sums=exact_sums, monitor=False)
        runs.append(rbm.weights)
    np.testing.assert_allclose(runs[1], runs[0], rtol=0, atol=1e-5)
    assert not np.array_equal(runs[1], runs[0])  # a separate computation, not an alias
    with pytest.raises(ValueError, match="exact_sums"):
        pyrbm.train(pyrbm.init_rbm(x, 7, rng=1), x * 0.7, batch_size=17, exact_sums=True)


def test_exact_training_resumes_bit_for_bit(tmp_path) -> None:
    """The archive keeps exact_sums: a resumed run is the uninterrupted one."""
    gen = np.random.default_rng(4)
    x = (gen.random((51, 11)) < 0.35).astype(np.uint8)
    options = dict(k=2, batch_size=17, n_chains=7, rng=5, lr=0.05, exact_sums=True,
                   monitor=False)
    whole = pyrbm.init_rbm(x, 5, rng=1)
    pyrbm.train(whole, x, epochs=4, **options)
    part = pyrbm.init_rbm(x, 5, rng=1)
    pyrbm.train(part, x, epochs=2, out=tmp_path / "run.h5", **options)
    resumed, _ = pyrbm.resume(tmp_path / "run.h5", epochs=4, data=x)
    assert np.array_equal(resumed.weights, whole.weights)
    # the control: the same run with float sums is another model
    other = pyrbm.init_rbm(x, 5, rng=1)
    pyrbm.train(other, x, epochs=4, **{**options, "exact_sums": False})
    assert not np.array_equal(other.weights, whole.weights)

"""partition.estimators: log_partition and log_likelihood (against enumeration, huge
weights, argument errors) and the LikelihoodObserver training callback."""

from __future__ import annotations

import types

import numpy as np
import pytest
from tests.conftest import all_states, brute_force_log_z, exact_samples, small_rbm

import pyrbm
from pyrbm import meanfield, partition


def test_log_likelihood_matches_brute_force(dtype):
    rbm = small_rbm(9, 6, 1.0, dtype, 8)
    data = (np.random.default_rng(2).random((40, 9)) < 0.3).astype(np.uint8)
    log_z = pyrbm.log_partition(rbm, beta=0.8)
    w = rbm.weights.astype(np.float64)
    a, b = rbm.visible_bias.astype(np.float64), rbm.hidden_bias.astype(np.float64)
    log_p = 0.8 * (data @ a) + np.logaddexp(0, 0.8 * (b + data @ w)).sum(1)
    expected = np.mean(log_p) - brute_force_log_z(rbm, 0.8)
    tol = 1e-5 if dtype == np.float32 else 1e-10
    assert pyrbm.log_likelihood(rbm, data, log_z) == pytest.approx(expected, abs=tol)
    assert pyrbm.log_likelihood(rbm, data, log_z.value) != pytest.approx(expected, abs=tol)


def test_finite_for_huge_weights(dtype):
    rbm = small_rbm(12, 10, 50.0, dtype, 6)
    data = all_states(12)[::97].astype(dtype)
    exact = pyrbm.log_partition(rbm)
    assert exact.value == pytest.approx(brute_force_log_z(rbm), rel=1e-9)
    assert np.all(np.isfinite(rbm.free_energy(data)))
    ll = pyrbm.log_likelihood(rbm, data, exact)
    assert np.isfinite(ll) and ll <= 0
    for method in ("ais", "rais"):
        est = pyrbm.log_partition(rbm, method, rng=0, n_chains=20, n_betas=50)
        assert np.isfinite(est.value) and np.all(np.isfinite(est.log_weights))
    with pytest.raises(meanfield.MeanFieldDivergence):
        pyrbm.log_partition(rbm, "meanfield")


def test_bad_arguments_name_the_argument():
    rbm = small_rbm(5, 3, 0.1, np.float32, 0)
    with pytest.raises(ValueError, match="method"):
        pyrbm.log_partition(rbm, "bogus")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="n_sweeps"):
        pyrbm.log_partition(rbm, "ais", n_sweeps=3)
    with pytest.raises(TypeError, match="rbm"):
        pyrbm.log_partition(np.zeros((5, 3)))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="beta"):
        pyrbm.log_partition(rbm, beta=-1.0)
    with pytest.raises(ValueError, match="beta"):
        pyrbm.log_partition(rbm, "ais", beta=0.0)
    with pytest.raises(ValueError, match="base_bias"):
        pyrbm.log_partition(rbm, "ais", base_bias=np.zeros(4))
    with pytest.raises(ValueError, match="data"):
        pyrbm.log_partition(rbm, "ais", data=np.zeros((3, 4)))
    with pytest.raises(ValueError, match="samples"):
        pyrbm.log_partition(rbm, "rais", samples=np.full((3, 5), 0.5, np.float32))
    with pytest.raises(ValueError, match="n_chains"):
        pyrbm.log_partition(rbm, "ais", n_chains=0)
    with pytest.raises(ValueError, match="layer"):
        pyrbm.log_partition(rbm, layer="both")
    with pytest.raises(ValueError, match="data"):
        pyrbm.log_likelihood(rbm, np.zeros((2, 4), np.float32), 1.0)
    with pytest.raises(ValueError, match="log_z"):
        pyrbm.log_likelihood(rbm, np.zeros((2, 5), np.float32), float("nan"))


def test_likelihood_observer():
    rbm = small_rbm(11, 7, 0.7, np.float32, 12)
    gen = np.random.default_rng(5)
    train = exact_samples(rbm, 300, gen)
    test = exact_samples(rbm, 100, gen)
    observer = partition.LikelihoodObserver(
        train, test, every=5, methods=("ais", "rais", "exact"), n_chains=100, n_betas=200,
        n_gibbs=100, seed=3,
    )
    info = types.SimpleNamespace(epoch=10, update=120, wall_time=1.0)
    assert observer(rbm, types.SimpleNamespace(epoch=7, update=84, wall_time=1.0)) is None
    metrics = observer(rbm, info)
    assert metrics is not None
    assert set(metrics) == {
        f"{kind}_{m}" for m in ("ais", "rais", "exact")
        for kind in ("log_z", "train_ll", "test_ll")
    } | {f"log_z_{m}_se" for m in ("ais", "rais", "exact")}
    assert all(isinstance(x, float) and np.isfinite(x) for x in metrics.values())
    for m in ("ais", "rais"):
        assert metrics[f"test_ll_{m}"] == pytest.approx(metrics["test_ll_exact"], abs=0.05)
    assert metrics["log_z_exact"] == pytest.approx(brute_force_log_z(rbm), rel=1e-6)
    assert observer(rbm, info) == metrics  # depends only on (seed, update)
    with pytest.raises(ValueError, match="methods"):
        partition.LikelihoodObserver(train, methods=("mf",))
    with pytest.raises(ValueError, match="train_data"):
        partition.LikelihoodObserver(np.full((3, 11), 0.5))


def test_likelihood_observer_runs_only_where_epochs_end() -> None:
    """With checkpoints every 7 updates of 5-update epochs, several checkpoints report the
    same completed-epoch count; the observer evaluates only those that close an epoch."""
    gen = np.random.default_rng(4)
    data = (gen.random((50, 6)) < 0.3).astype(np.uint8)
    rbm = pyrbm.init_rbm(data, 4, rng=0)
    observer = partition.LikelihoodObserver(data, every=2, methods=("exact",))
    history = pyrbm.train(rbm, data, batch_size=10, epochs=8, checkpoint_every=7, rng=1,
                          callbacks=[observer], monitor=False)
    evaluated = ~np.isnan(history["log_z_exact"])
    # updates 7, 14, ..., 35, 40: epoch ends at 35 (epoch 7) and 40 (epoch 8, even)
    assert list(history["update"]) == [7, 14, 21, 28, 35, 40]
    assert list(history["update"][evaluated]) == [40]
    assert observer(rbm, pyrbm.training.CheckpointInfo(4, 21, 0.0, end_of_epoch=False)) is None

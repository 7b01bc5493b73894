"""Trajectory AIS (log Z along training checkpoints) against exact enumeration."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

import pyrbm
from pyrbm.partition import TrajectoryObserver, log_partition, trajectory_log_z
from pyrbm.partition.trajectory import independent_log_z


def _path(n: int, m: int, steps: int, seed: int, dtype: type = np.float64) -> list[pyrbm.RBM]:
    """A drifting 'training run': W from N(0, 0.01^2) outwards, biases moving too."""
    gen = np.random.default_rng(seed)
    w = gen.normal(0, 0.01, (n, m))
    a, b = gen.normal(0, 1, n), np.zeros(m)
    out = []
    for _ in range(steps):
        out.append(pyrbm.RBM(w.astype(dtype), a.astype(dtype), b.astype(dtype)))
        w = w + gen.normal(0, 0.25, (n, m))
        a, b = a + gen.normal(0, 0.2, n), b + gen.normal(0, 0.2, m)
    return out


@pytest.mark.parametrize("n, m", [(11, 7), (5, 13)])
def test_trajectory_matches_exact_at_every_checkpoint(n: int, m: int) -> None:
    models = _path(n, m, 7, seed=n * m)
    out = trajectory_log_z(models, rng=3, n_chains=300, n_betas=40)
    exact = np.array([log_partition(r, "exact").value for r in models])
    z = (out["log_z"] - exact) / np.maximum(out["std_error"], 1e-4)
    assert np.all(np.abs(z) < 4), (out["log_z"] - exact, out["std_error"])
    assert np.all(np.abs(out["log_z"] - exact) < 0.1)
    assert out["log_weights"].shape == (300,) and out["final_states"].shape == (300, n)


def test_one_segment_is_not_enough_for_a_far_model() -> None:
    # The check above can fail: straight from the W = 0 model to the last checkpoint with
    # few distributions is off by far more than 0.1 nats.
    models = _path(11, 7, 7, seed=77)
    last = models[-1]
    models[-1] = pyrbm.RBM(3 * last.weights, last.visible_bias, last.hidden_bias)
    exact = log_partition(models[-1], "exact").value
    far = trajectory_log_z([models[0], models[-1]], rng=3, n_chains=300, n_betas=3)
    assert abs(far["log_z"][-1] - exact) > 0.3
    along = trajectory_log_z(models, rng=3, n_chains=300, n_betas=40)
    assert abs(along["log_z"][-1] - exact) < 0.1


def test_interpolated_path_matches_exact() -> None:
    models = _path(7, 11, 4, seed=12)
    out = trajectory_log_z(models, rng=5, n_chains=300, n_betas=3, n_interpolate=6)
    exact = np.array([log_partition(r, "exact").value for r in models])
    assert np.all(np.abs(out["log_z"] - exact) < 4 * out["std_error"] + 0.02)
    with pytest.raises(ValueError, match="n_interpolate"):
        trajectory_log_z(models, n_interpolate=-1)


def test_log_partition_method_and_observer_agree_with_exact() -> None:
    models = _path(11, 7, 5, seed=5)
    direct = trajectory_log_z(models, rng=9, n_chains=100, n_betas=20)
    method = log_partition(models[-1], "trajectory", path=models[:-1], rng=9, n_chains=100,
                           n_betas=20)
    assert method.value == direct["log_z"][-1] and method.method == "trajectory"
    data = (np.random.default_rng(1).random((50, 11)) < 0.5).astype(np.float64)
    observer = TrajectoryObserver(models[0], data, data, n_chains=200, n_betas=30, seed=4)
    for update, rbm in enumerate(models[1:], start=1):
        metrics = observer(rbm, SimpleNamespace(update=update, epoch=update))
    exact = log_partition(models[-1], "exact").value
    assert abs(metrics["log_z_traj"] - exact) < 4 * metrics["log_z_traj_se"] + 0.01
    np.testing.assert_allclose(
        metrics["test_ll_traj"],
        pyrbm.partition.log_likelihood(models[-1], data, metrics["log_z_traj"]), atol=1e-9)
    with pytest.raises(ValueError, match="info.update"):
        observer(models[-1], SimpleNamespace(update=2, epoch=2))


def test_trajectory_is_thread_count_independent() -> None:
    models = _path(11, 7, 4, seed=6, dtype=np.float32)
    runs = []
    for threads in (1, 2):
        with pyrbm.num_threads(threads):
            runs.append(trajectory_log_z(models, rng=2, n_chains=70, n_betas=15)["log_weights"])
    np.testing.assert_array_equal(runs[0], runs[1])


def test_independent_log_z_is_exact() -> None:
    rbm = _path(6, 4, 1, seed=8)[0]
    zero = pyrbm.RBM(np.zeros((6, 4)), rbm.visible_bias, rbm.hidden_bias)
    np.testing.assert_allclose(independent_log_z(rbm), log_partition(zero, "exact").value,
                               atol=1e-12)


def test_bad_arguments_name_the_argument() -> None:
    models = _path(5, 3, 2, seed=1)
    with pytest.raises(ValueError, match="models: expected at least one"):
        trajectory_log_z([])
    with pytest.raises(ValueError, match=r"models\[1\]: expected shape \(5, 3\)"):
        trajectory_log_z([models[0], _path(5, 4, 1, seed=2)[0]])
    with pytest.raises(ValueError, match="path: trajectory AIS needs"):
        log_partition(models[-1], "trajectory")
    with pytest.raises(ValueError, match="beta: trajectory AIS"):
        log_partition(models[-1], "trajectory", path=models[:1], beta=0.5)
    with pytest.raises(TypeError, match="unknown option"):
        log_partition(models[-1], "trajectory", path=models[:1], samples=None)
    with pytest.raises(ValueError, match="n_betas"):
        trajectory_log_z(models, n_betas=1)

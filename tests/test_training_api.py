"""training.api: train's checks of its settings, data and model; init_rbm's schemes."""

from __future__ import annotations

import numpy as np
import pytest

import pyrbm

from .conftest import prototype_patterns, small_rbm


def test_paper_initialization() -> None:
    data = prototype_patterns(200, seed=10)
    rbm = pyrbm.init_rbm(data, 5000, rng=11)
    assert rbm.dtype == np.float32
    assert abs(np.std(rbm.weights) - 0.01) < 3e-4 and np.all(rbm.hidden_bias == 0)
    mean = np.clip(data.mean(0), 1e-3, 1 - 1e-3)
    np.testing.assert_allclose(rbm.visible_bias, np.log(mean / (1 - mean)), rtol=1e-5)
    normal = pyrbm.init_rbm(data, 3000, scheme="normal", std=0.1, dtype=np.float64, rng=1)
    assert abs(np.std(normal.hidden_bias) - 0.1) < 0.01 and normal.dtype == np.float64
    with pytest.raises(ValueError, match="scheme"):
        pyrbm.init_rbm(data, 3, scheme="xavier")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"method": "pt"}, ValueError, "method"),
        ({"optimizer": "lbfgs"}, ValueError, "optimizer"),
        ({"k": 0}, ValueError, "k"),
        ({"batch_size": 1.5}, TypeError, "batch_size"),
        ({"batch_size": 1000}, ValueError, "batch_size"),
        ({"lr": -1.0}, ValueError, "lr"),
        ({"lr_schedule": "cosine"}, ValueError, "lr_schedule"),
        ({"lr_decay": 0.0}, ValueError, "lr_decay"),
        ({"checkpoint_every": "often"}, ValueError, "checkpoint_every"),
        ({"checkpoint_every": 0}, ValueError, "checkpoint_every"),
        ({"n_chains": 0}, ValueError, "n_chains"),
        ({"rng": "seed"}, TypeError, "rng"),
    ],
)
def test_bad_settings_name_the_argument(kwargs, error, match) -> None:
    data = prototype_patterns(50, seed=0)
    rbm = small_rbm(9, 3, 0.1, np.float32, seed=0)
    with pytest.raises(error, match=match):
        pyrbm.train(rbm, data, batch_size=kwargs.pop("batch_size", 10), **kwargs)


def test_bad_data_and_model_are_rejected(tmp_path) -> None:
    rbm = small_rbm(9, 3, 0.1, np.float32, seed=0)
    with pytest.raises(ValueError, match="data: expected 9 columns"):
        pyrbm.train(rbm, np.zeros((10, 8)))
    with pytest.raises(ValueError, match=r"data: values must lie in \[0, 1\]"):
        pyrbm.train(rbm, np.full((10, 9), 2.0))
    with pytest.raises(TypeError, match="data"):
        pyrbm.train(rbm, [[0, 1]])
    with pytest.raises(TypeError, match="rbm"):
        pyrbm.train("model", np.zeros((10, 9)))
    existing = tmp_path / "run.h5"
    existing.write_bytes(b"")
    with pytest.raises(FileExistsError, match="resume"):
        pyrbm.train(rbm, np.zeros((10, 9)), batch_size=5, out=existing)

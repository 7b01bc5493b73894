"""MixingObserver (pyrbm.sampling.observer): the persistent chains' autocorrelation time
per checkpoint (a process with a known answer; frozen models in the equilibrium and the
non-equilibrium regime; resume) and fresh Gibbs chains of the current model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import pyrbm
from pyrbm.sampling import MixingObserver

from .test_sampling_persistent import N_HIDDEN, N_VISIBLE, SETTINGS, fresh_model, two_mode_data


def strong_and_weak() -> tuple[pyrbm.RBM, pyrbm.RBM]:
    """A bimodal model (strong couplings: Gibbs chains stuck) and a nearly free one."""
    gen = np.random.default_rng(0)
    w = 0.8 + 0.1 * gen.standard_normal((N_VISIBLE, N_HIDDEN))
    strong = pyrbm.RBM(w, -w.sum(1) / 2, -w.sum(0) / 2)
    weak = pyrbm.RBM(0.05 * w, np.zeros(N_VISIBLE), np.zeros(N_HIDDEN))
    return strong, weak


def test_persistent_tau_of_a_known_process() -> None:
    """Chains whose mode-1 coordinate is a two-state chain flipping with probability p
    per update: tau = (1 - p) / p updates; the record restarts after each checkpoint."""
    w = np.zeros((5, 3))
    w[0] = [1.0, 0.5, 0.2]  # u_1 = +-e_0: the projection is +-v_0
    rbm = pyrbm.RBM(w, np.zeros(5), np.zeros(3))
    gen = np.random.default_rng(1)
    observer = MixingObserver(fresh=False)
    for p in (0.2, 0.05):
        state = (gen.random(8) < 0.5).astype(float)
        for t in range(3000):
            state = np.where(gen.random(8) < p, 1 - state, state)
            chains = np.concatenate([state[:, None], gen.random((8, 4)) < 0.5], axis=1)
            observer.observe_chains(rbm, chains, t + 1)
        out = observer(rbm, pyrbm.training.CheckpointInfo(epoch=0, update=3000, wall_time=0.0))
        assert out["persistent_tau_mode1"] == pytest.approx((1 - p) / p, rel=0.15), p
        assert out["persistent_rhat_mode1"] < 1.05
    assert observer(rbm, pyrbm.training.CheckpointInfo(epoch=0, update=1, wall_time=0.0)) == {}


def test_frozen_persistent_chains_report_infinite_time() -> None:
    """Chains that never move between two checkpoints are not mixed: tau = R-hat = inf
    (was: no record at all, which read like a missing observer)."""
    rbm = pyrbm.RBM(np.eye(5, 3), np.zeros(5), np.zeros(3))
    observer = MixingObserver(fresh=False)
    chains = (np.random.default_rng(0).random((8, 5)) < 0.5).astype(float)
    for t in range(50):
        observer.observe_chains(rbm, chains, t + 1)
    out = observer(rbm, pyrbm.training.CheckpointInfo(epoch=0, update=50, wall_time=0.0))
    assert out == {"persistent_tau_mode1": np.inf, "persistent_rhat_mode1": np.inf}


def test_regimes_of_frozen_models() -> None:
    """lr = 0 keeps each model fixed: the persistent chains of the bimodal model stay in
    their modes (tau of the order of the 24 updates between checkpoints, R-hat >> 1),
    those of the free model decorrelate within an update (tau ~ 1); the fresh chains
    agree."""
    strong, weak = strong_and_weak()
    settings = {**SETTINGS, "sampler": "gibbs", "checkpoint_every": 24, "lr": 0.0}
    out = {}
    for name, rbm in (("strong", strong), ("weak", weak)):
        observer = MixingObserver(n_chains=16, n_sweeps=200)
        out[name] = pyrbm.train(rbm, two_mode_data(), epochs=4, rng=2, callbacks=[observer],
                                **settings)
    stuck, free = out["strong"], out["weak"]
    assert len(stuck["persistent_tau_mode1"]) == 2
    assert np.all(stuck["persistent_tau_mode1"] > 20) and np.all(stuck["persistent_rhat_mode1"] > 3)
    assert np.all(free["persistent_tau_mode1"] < 2) and np.all(free["persistent_rhat_mode1"] < 1.1)
    assert np.all(stuck["gibbs_tau_mode1"] > 20 * free["gibbs_tau_mode1"])
    assert np.all(stuck["gibbs_rhat_mode1"] > 2) and np.all(free["gibbs_rhat_mode1"] < 1.1)


def test_resumed_run_records_the_same_values(tmp_path: Path) -> None:
    settings = {**SETTINGS, "checkpoint_every": 12}
    whole = pyrbm.train(fresh_model(), two_mode_data(), epochs=4, rng=3,
                        callbacks=[MixingObserver(fresh=False)], out=tmp_path / "w.h5",
                        **settings)
    pyrbm.train(fresh_model(), two_mode_data(), epochs=2, rng=3,
                callbacks=[MixingObserver(fresh=False)], out=tmp_path / "s.h5", **settings)
    _, resumed = pyrbm.resume(tmp_path / "s.h5", data=two_mode_data(), epochs=4,
                              callbacks=[MixingObserver(fresh=False)])
    assert len(whole["persistent_tau_mode1"]) == 4
    np.testing.assert_array_equal(resumed["persistent_tau_mode1"], whole["persistent_tau_mode1"])
    # the observer does not change the run
    plain = fresh_model()
    watched = fresh_model()
    pyrbm.train(plain, two_mode_data(), epochs=2, rng=3, **settings)
    pyrbm.train(watched, two_mode_data(), epochs=2, rng=3, callbacks=[MixingObserver()],
                **settings)
    np.testing.assert_array_equal(plain.weights, watched.weights)


def test_fresh_chains_fixed_seed_and_bad_arguments() -> None:
    strong, _ = strong_and_weak()
    info = pyrbm.training.CheckpointInfo(epoch=1, update=1, wall_time=0.0, index=0)
    observer = MixingObserver(n_chains=16, n_sweeps=200)
    assert observer(strong, info) == observer(strong, info)  # a fixed seed per checkpoint
    assert set(observer(strong, info)) == {"gibbs_tau_mode1", "gibbs_rhat_mode1"}
    with pytest.raises(ValueError, match="n_sweeps"):
        MixingObserver(n_sweeps=2)
    with pytest.raises(TypeError, match="fresh"):
        MixingObserver(fresh="no")  # type: ignore[arg-type]

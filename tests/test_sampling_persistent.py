"""PT-PCD: ``pyrbm.train(..., sampler="pt")`` keeps tempered persistent chains, records
the swap statistics in the archive and resumes bit-identically."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import pyrbm

N_VISIBLE, N_HIDDEN = 23, 11


def two_mode_data(n: int = 600, seed: int = 0) -> np.ndarray:
    """Two prototypes (complements) with 5 % flipped bits: a bimodal target."""
    gen = np.random.default_rng(seed)
    proto = gen.random(N_VISIBLE) < 0.5
    rows = np.where(gen.random(n)[:, None] < 0.5, proto, ~proto)
    return (rows ^ (gen.random((n, N_VISIBLE)) < 0.05)).astype(np.uint8)


SETTINGS = dict(method="pcd", k=2, batch_size=50, n_chains=20, optimizer="adam", lr=0.05,
                sampler="pt", temperatures=4, monitor=False, checkpoint_every=6)


def fresh_model() -> pyrbm.RBM:
    return pyrbm.init_rbm(two_mode_data(), N_HIDDEN, rng=1)


def test_swap_statistics_in_history_and_archive(tmp_path: Path) -> None:
    rbm = fresh_model()
    run = tmp_path / "pt.h5"
    history = pyrbm.train(rbm, two_mode_data(), epochs=6, rng=2, out=run, **SETTINGS)
    acc = history["pt_swap_acceptance_mean"]
    assert len(acc) == 12 and np.all((acc > 0) & (acc <= 1))
    assert np.all(history["pt_swap_acceptance_min"] <= acc)
    assert np.sum(history["pt_round_trips"]) > 0
    assert np.all(history["pt_beta_min"] < 1)
    saved = pyrbm.checkpoint.list_checkpoints(run)
    assert saved[-1].metrics["pt_swap_acceptance_mean"] == acc[-1]
    assert pyrbm.checkpoint.read_config(run)["sampler"] == "pt"
    # the chains differ from plain PCD's: the sampler is in use
    plain = fresh_model()
    pyrbm.train(plain, two_mode_data(), epochs=6, rng=2, **{**SETTINGS, "sampler": "gibbs"})
    assert not np.array_equal(plain.weights, rbm.weights)


def test_resumed_pt_run_is_identical(tmp_path: Path) -> None:
    whole, split = fresh_model(), fresh_model()
    pyrbm.train(whole, two_mode_data(), epochs=4, rng=3, out=tmp_path / "w.h5", **SETTINGS)
    pyrbm.train(split, two_mode_data(), epochs=2, rng=3, out=tmp_path / "s.h5", **SETTINGS)
    resumed, _ = pyrbm.resume(tmp_path / "s.h5", data=two_mode_data(), epochs=4)
    np.testing.assert_array_equal(resumed.weights, whole.weights)
    np.testing.assert_array_equal(resumed.hidden_bias, whole.hidden_bias)
    a = pyrbm.checkpoint.list_checkpoints(tmp_path / "w.h5")
    b = pyrbm.checkpoint.list_checkpoints(tmp_path / "s.h5")
    def swaps(records):
        return [{k: v for k, v in r.metrics.items() if k.startswith("pt_")} for r in records]

    assert swaps(a) == swaps(b)
    assert swaps(a)[-1]["pt_beta_min"] != 0.1  # the ladder adapted (every 20 updates)


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        ({"sampler": "hmc"}, "sampler: expected one of"),
        ({"method": "cd"}, "sampler: 'pt' keeps persistent chains"),
        ({"temperatures": 1}, "temperatures: must be >= 2"),
    ],
)
def test_bad_sampler_settings(extra: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        pyrbm.train(fresh_model(), two_mode_data(), epochs=1, rng=0, **{**SETTINGS, **extra})

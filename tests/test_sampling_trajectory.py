"""Paths for trajectory tempering (pyrbm.sampling.trajectory): interpolated models, the
data's independent-units end, the placement of slots by acceptance, checked against
enumeration on the small bimodal RBM of tests/sampling_cases.py; and the tempering kernel
split into calls (what its Ctrl-C checks rely on) and stopped by Ctrl-C."""

from __future__ import annotations

import numpy as np
import pytest

import pyrbm
from pyrbm import sampling
from pyrbm.partition.exact import sample_exact
from pyrbm.sampling._ladder import adapt_positions
from pyrbm.sampling.tempering import _Chains

from .sampling_cases import NV, bimodal, chi_square_p, exact_law, state_index, trajectory, tv, tv_floor
from .test_validation_hardening import _interrupted


def easy_end(rbm: pyrbm.RBM) -> pyrbm.RBM:
    """Independent units whose marginals are those of ``rbm`` (the data's, in use)."""
    v = sample_exact(rbm, 4000, rng=9)
    return sampling.independent_end(rbm, sampling.data_visible_bias(v))


def test_path_models_interpolate_the_parameters(dtype: type) -> None:
    knots = trajectory(bimodal(dtype), 3)
    models = sampling.path_models(knots, np.array([0.0, 0.25, 1.0, 1.5, 2.0]))
    assert models[0] is knots[0] and models[2] is knots[1] and models[4] is knots[2]
    for m, (i, f) in ((models[1], (0, 0.25)), (models[3], (1, 0.5))):
        for name in ("weights", "visible_bias", "hidden_bias"):
            a, b = (getattr(knots[j], name).astype(np.float64) for j in (i, i + 1))
            np.testing.assert_array_equal(getattr(m, name), ((1 - f) * a + f * b).astype(dtype))
        assert m.dtype == dtype


def test_data_visible_bias_and_independent_end() -> None:
    data = np.array([[1, 0, 0], [1, 1, 0], [1, 0, 0], [1, 1, 0]], np.float64)
    bias = sampling.data_visible_bias(data, eps=0.01)
    np.testing.assert_allclose(bias, [np.log(99.0), 0.0, -np.log(99.0)])
    rbm = pyrbm.RBM(np.ones((3, 2), np.float32), np.zeros(3, np.float32), np.ones(2, np.float32))
    end = sampling.independent_end(rbm, bias)
    assert end.dtype == np.float32 and not end.weights.any() and not end.hidden_bias.any()
    np.testing.assert_allclose(end.visible_bias, bias, rtol=1e-6)
    with pytest.raises(ValueError, match=r"visible_bias: expected shape \(3,\)"):
        sampling.independent_end(rbm, np.zeros(4))
    with pytest.raises(ValueError, match="visible_bias: contains NaN"):
        sampling.independent_end(rbm, np.array([0.0, np.nan, 0.0]))
    with pytest.raises(ValueError, match="data: expected a non-empty 2-D"):
        sampling.data_visible_bias(np.zeros(3))


def test_adapt_positions_equalizes_a_known_barrier() -> None:
    """Rejection density 1 on [0, 1] and 3 on [1, 2] (rejection = density x width): equal
    rejection per pair puts 3 of 4 gaps' worth of positions in [1, 2]; ends stay."""
    positions = np.linspace(0.0, 2.0, 5)

    def rejection(p: np.ndarray) -> np.ndarray:
        barrier = np.where(p <= 1.0, p, 1.0 + 3.0 * (p - 1.0))
        return np.diff(barrier) * 0.1

    for _ in range(3):
        positions = adapt_positions(positions, 1.0 - rejection(positions))
    np.testing.assert_allclose(positions, [0.0, 1.0, 1 + 1 / 3, 1 + 2 / 3, 2.0], atol=1e-12)
    np.testing.assert_allclose(rejection(positions), 0.1, atol=1e-12)


def test_path_tempering_matches_exact_law_where_gibbs_fails() -> None:
    rbm = bimodal()
    law = exact_law(rbm)
    n, n_sweeps = 1500, 150
    v0 = np.zeros((n, NV))  # every chain starts in the "all off" mode
    v_gibbs, _ = rbm.gibbs(v0, n_sweeps, rng=1)
    assert chi_square_p(v_gibbs, law) < 1e-12
    # straight path from the independent-units end, and the interpolated trajectory
    for knots in ([easy_end(rbm), rbm], trajectory(rbm, 3)):
        res = sampling.trajectory_tempering(knots, n, n_sweeps, v0=v0, slots=8, rng=1)
        assert chi_square_p(res.v, law) > 1e-3
        assert res.adapted_sweeps > 0 and res.round_trips > 0
        assert res.positions is not None and res.positions[0] == 0
        assert res.positions[-1] == len(knots) - 1
        assert np.all(np.diff(res.positions) > 0)
    on = law[state_index(np.ones((1, NV)))][0]
    assert abs(np.mean(np.all(res.v == 1, axis=1)) - on) < 0.05


@pytest.mark.parametrize("n_sweeps", [1, 4, 16])
def test_path_tempering_stationary_from_exact_samples(n_sweeps: int) -> None:
    rbm = bimodal()
    knots = [easy_end(rbm), rbm]
    positions = np.linspace(0.0, 1.0, 6)  # no adaptation in so few sweeps
    models = sampling.path_models(knots, positions)
    n = 4000
    gen = np.random.default_rng(20 + n_sweeps)
    v0 = np.stack([sample_exact(m, n, rng=gen) for m in models])
    res = sampling.trajectory_tempering(knots, n, n_sweeps, v0=v0, slots=6, rng=gen)
    assert res.adapted_sweeps == 0
    np.testing.assert_array_equal(res.positions, positions)
    for k in (5, 2, 0):
        law = exact_law(models[k])
        assert tv(res.all_v[k], law) < tv_floor(law, n, seed=30 + k), k


def test_bad_slots() -> None:
    rbm = bimodal()
    with pytest.raises(ValueError, match="slots: must be >= 2"):
        sampling.trajectory_tempering([easy_end(rbm), rbm], 4, 2, slots=1)
    with pytest.raises(TypeError, match="slots"):
        sampling.trajectory_tempering([easy_end(rbm), rbm], 4, 2, slots=2.5)


def test_kernel_split_into_calls_is_bit_identical() -> None:
    """One call of the tempering kernel equals the same sweeps in several calls (sweep and
    swap-event counters are global, walkers and counters live in the arrays): what the
    binding's Ctrl-C checks between blocks of sweeps rely on."""
    rbm = bimodal(np.float32)
    ladder = np.array([0.2, 0.5, 0.8, 1.0])
    v0 = (np.random.default_rng(4).random((4, 13, NV)) < 0.5).astype(np.float32)
    whole = _Chains([rbm], np.zeros(4, np.int64), ladder, v0)
    whole.run((5, 6), 41, 3)
    parts = _Chains([rbm], np.zeros(4, np.int64), ladder, v0)
    for length in (1, 7, 2, 20, 11):
        parts.run((5, 6), length, 3)
    for name in ("v", "h", "walker", "direction", "attempts", "accepts", "round_trips"):
        np.testing.assert_array_equal(getattr(whole, name), getattr(parts, name), err_msg=name)
    assert whole.attempts.sum() > 0 and whole.accepts.sum() > 0


INTERRUPT_TEMPERING = """
import numpy as np
import pyrbm
from pyrbm import sampling
rbm = pyrbm.RBM.random(53, 31, std=0.5, rng=0)
print("ready", flush=True)
sampling.parallel_tempering(rbm, 97, 10**9, betas=[0.5, 1.0], rng=0)  # hours: one call
print("finished", flush=True)
"""


def test_ctrl_c_stops_a_long_tempering_run() -> None:
    out, err = _interrupted(INTERRUPT_TEMPERING)
    assert "KeyboardInterrupt" in err and "finished" not in out, err


def test_bad_trajectory() -> None:
    rbm = bimodal()
    tt = sampling.trajectory_tempering
    with pytest.raises(ValueError, match="models: trajectory tempering needs at least 2"):
        tt([rbm], 4, 2)
    with pytest.raises(TypeError, match="models: expected a list"):
        tt(rbm, 4, 2)
    with pytest.raises(TypeError, match=r"models\[1\]: expected pyrbm.RBM"):
        tt([rbm, "x"], 4, 2)
    other = pyrbm.RBM(np.zeros((NV, 5)), np.zeros(NV), np.zeros(5))
    with pytest.raises(ValueError, match=r"models\[2\]: shape \(11, 5\) differs"):
        tt([rbm, rbm, other], 4, 2)
    single = bimodal(np.float32)
    with pytest.raises(TypeError, match=r"models\[1\]: dtype float32 differs"):
        tt([rbm, single], 4, 2)

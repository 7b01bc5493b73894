"""Mixing diagnostics against processes with known answers."""

from __future__ import annotations

import numpy as np
import pytest

import pyrbm
from pyrbm import diagnostics, sampling


def ar1(phi: float, n_steps: int, n_chains: int, seed: int, n_features: int | None = None
        ) -> np.ndarray:
    """Stationary AR(1) x_t = phi x_{t-1} + e_t: tau = (1 + phi) / (1 - phi)."""
    gen = np.random.default_rng(seed)
    shape = (n_chains,) if n_features is None else (n_chains, n_features)
    noise = gen.standard_normal((n_steps, *shape))
    x = np.empty_like(noise)
    x[0] = noise[0] / np.sqrt(1 - phi**2)
    for t in range(1, n_steps):
        x[t] = phi * x[t - 1] + noise[t]
    return x


@pytest.mark.parametrize("phi", [0.0, 0.5, 0.9, 0.97])
def test_ar1_autocorrelation_time_and_ess(phi: float) -> None:
    x = ar1(phi, 20000, 8, seed=int(100 * phi))
    tau = (1 + phi) / (1 - phi)
    assert diagnostics.autocorrelation_time(x) == pytest.approx(tau, rel=0.1)
    assert diagnostics.effective_sample_size(x) == pytest.approx(x.size / tau, rel=0.1)


def test_estimate_fails_for_the_wrong_process() -> None:
    """The estimate separates phi = 0.9 (tau 19) from phi = 0.8 (tau 9): a claim of the
    wrong tau does not pass the tolerance used above."""
    tau = diagnostics.autocorrelation_time(ar1(0.8, 20000, 8, seed=1))
    assert tau != pytest.approx(19.0, rel=0.1)


def test_features_are_independent_series() -> None:
    x = np.concatenate([ar1(0.0, 5000, 4, 1, 1), ar1(0.9, 5000, 4, 2, 1)], axis=2)
    tau = diagnostics.autocorrelation_time(x)
    assert tau.shape == (2,)
    assert tau[0] == pytest.approx(1.0, rel=0.15) and tau[1] == pytest.approx(19.0, rel=0.2)
    ess = diagnostics.effective_sample_size(x)
    np.testing.assert_allclose(ess, x.shape[0] * x.shape[1] / tau)
    assert diagnostics.rhat(x).shape == (2,)
    # one chain as a 1-D series
    assert diagnostics.autocorrelation_time(x[:, 0, 1]) == pytest.approx(19.0, rel=0.3)


def test_rhat_near_one_for_independent_chains_above_for_stuck_ones() -> None:
    x = ar1(0.5, 4000, 6, seed=3)
    assert diagnostics.rhat(x) < 1.01
    stuck = x + np.array([-3.0, -3.0, -3.0, 3.0, 3.0, 3.0])  # two modes, never left
    assert diagnostics.rhat(stuck) > 2.0
    # their pooled autocorrelation time is of the order of the run, not that of AR(1)
    assert diagnostics.autocorrelation_time(stuck) > 100 * diagnostics.autocorrelation_time(x)
    frozen = np.repeat(np.array([[0.0, 1.0]]), 50, axis=0)
    assert diagnostics.rhat(frozen) == np.inf


def _assert_refused(x: np.ndarray) -> None:
    """Every estimator refuses to call x mixed: tau = R-hat = inf, both ESS 0."""
    assert diagnostics.autocorrelation_time(x) == np.inf
    assert diagnostics.rhat(x) == np.inf
    for method in diagnostics.ESS_METHODS:
        assert diagnostics.effective_sample_size(x, method=method) == 0.0, method


def test_frozen_chains_are_never_called_mixed() -> None:
    """Constant chains (no variance: tau, R-hat 0 / 0) are refused: the same state in
    every chain, different states per chain, and one frozen chain among AR(1) chains whose
    diagnostics are otherwise the known ones."""
    _assert_refused(np.full((50, 6), 2.5))  # one shared state
    _assert_refused(np.repeat(np.arange(6.0)[None], 50, axis=0))  # one state per chain
    x = ar1(0.5, 4000, 6, seed=7)
    assert diagnostics.autocorrelation_time(x) == pytest.approx(3.0, rel=0.15)
    assert diagnostics.rhat(x) < 1.01
    with_frozen = np.concatenate([x, np.full((4000, 1), x.mean())], axis=1)
    _assert_refused(with_frozen)
    # a chain frozen over the second half only: the split estimators (R-hat, bulk ESS)
    # treat each half as a chain, the unsplit pooled ones do not
    late = x.copy()
    late[2000:, 0] = late[1999, 0]
    assert diagnostics.rhat(late) == np.inf
    assert diagnostics.effective_sample_size(late, method="bulk") == 0.0
    assert np.isfinite(diagnostics.autocorrelation_time(late))
    # feature by feature: a frozen feature does not hide a moving one
    both = np.stack([x, np.ones_like(x)], axis=2)
    np.testing.assert_allclose(diagnostics.autocorrelation_time(both)[0],
                               diagnostics.autocorrelation_time(x))
    assert diagnostics.autocorrelation_time(both)[1] == np.inf
    np.testing.assert_array_equal(diagnostics.effective_sample_size(both)[1:], [0.0])
    assert np.isfinite(diagnostics.rhat(both)[0]) and diagnostics.rhat(both)[1] == np.inf


def test_a_frozen_sampler_is_refused() -> None:
    """Gibbs chains of a strongly coupled rank-1 RBM all fall into its one fixed point
    (the conditionals saturate to 0 / 1 in float32): their mode-1 trace is constant, and
    the diagnostics refuse it (they used to raise here); the same model with 600 times
    weaker parameters moves and gets finite values."""
    pattern = np.where(np.arange(11) % 3 == 0, 1.0, -1.0)
    u1 = pattern / np.linalg.norm(pattern)

    def trace(scale: float) -> np.ndarray:
        rbm = pyrbm.RBM((scale * np.outer(pattern, np.ones(7))).astype(np.float32),
                        np.full(11, -0.5 * scale, np.float32), np.full(7, scale / 12, np.float32))
        res = sampling.parallel_tempering(rbm, 8, 60, betas=[1.0], rng=0,
                                          trace=lambda v, h: v @ u1)
        assert res.trace is not None
        return res.trace[20:]

    frozen = trace(60.0)
    assert np.ptp(frozen) == 0  # one state in every chain
    _assert_refused(frozen)
    moving = trace(0.1)
    assert np.isfinite(diagnostics.autocorrelation_time(moving))
    assert np.isfinite(diagnostics.rhat(moving))
    assert diagnostics.effective_sample_size(moving) > 0


@pytest.mark.parametrize("phi", [0.0, 0.5, 0.9])
def test_bulk_ess_of_ar1(phi: float) -> None:
    """Rank-normalized split-chain ESS: for a Gaussian AR(1) the normal scores have about
    the same autocorrelation, so ESS = n m (1 - phi) / (1 + phi) as well."""
    x = ar1(phi, 20000, 8, seed=int(100 * phi) + 1)
    tau = (1 + phi) / (1 - phi)
    assert diagnostics.effective_sample_size(x, method="bulk") == pytest.approx(x.size / tau,
                                                                                rel=0.1)


def test_bulk_ess_is_robust_to_heavy_tails() -> None:
    x = np.random.default_rng(0).standard_cauchy((4000, 8))  # iid, infinite variance
    assert diagnostics.effective_sample_size(x, method="bulk") == pytest.approx(x.size, rel=0.1)


def test_stuck_chains_give_an_ess_of_the_order_of_the_number_of_chains() -> None:
    """Two groups of chains that never leave their modes: both estimators give an ESS
    below 2 m (m = 6 chains) that does not grow with the run; the same chains without the
    offsets give an ESS that grows with the run (n m / 3)."""
    offsets = np.array([-3.0, -3.0, -3.0, 3.0, 3.0, 3.0])
    for method in diagnostics.ESS_METHODS:
        ess = []
        for n in (4000, 40000):
            x = ar1(0.5, n, 6, seed=3)
            free = diagnostics.effective_sample_size(x, method=method)
            assert free == pytest.approx(x.size / 3, rel=0.1)
            ess.append(diagnostics.effective_sample_size(x + offsets, method=method))
        assert max(ess) < 12, (method, ess)
        assert ess[1] < 1.5 * ess[0], (method, ess)


def test_bulk_ess_sees_a_drift_within_chains() -> None:
    """Chains drifting together (not yet converged): the split halves disagree, so the
    bulk ESS is well below the unsplit pooled one."""
    x = ar1(0.5, 4000, 6, seed=5) + 6 * np.linspace(0, 1, 4000)[:, None]
    bulk = diagnostics.effective_sample_size(x, method="bulk")
    assert bulk < 0.6 * diagnostics.effective_sample_size(x)
    assert bulk < 20


def test_bad_input() -> None:
    with pytest.raises(TypeError, match="x: expected a numpy array"):
        diagnostics.autocorrelation_time([1.0, 2.0, 3.0, 4.0])
    with pytest.raises(ValueError, match="x: needs at least 4 steps"):
        diagnostics.rhat(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="x: contains NaN"):
        diagnostics.effective_sample_size(np.full((10, 2), np.nan))
    with pytest.raises(ValueError, match="x: expected shape"):
        diagnostics.rhat(np.zeros((10, 2, 2, 2)))
    with pytest.raises(TypeError, match="x: expected real numbers"):
        diagnostics.rhat(np.array([["a"] * 2] * 5))
    with pytest.raises(ValueError, match="method: expected one of"):
        diagnostics.effective_sample_size(np.zeros((10, 2)), method="batch")
    with pytest.raises(ValueError, match="x: needs at least 8 steps"):
        diagnostics.effective_sample_size(np.arange(6.0), method="bulk")

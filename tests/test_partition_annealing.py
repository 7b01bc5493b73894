"""partition.annealing: the AIS / reverse AIS kernel against a NumPy reference with the
same Philox counters, schedules, thread-count independence, and the estimates against
exact enumeration (within their standard errors; AIS below, reverse AIS above)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from scipy.special import expit
from tests.conftest import brute_force_log_z, exact_samples, small_rbm

import pyrbm
from pyrbm import _core, annealing
from pyrbm._rng import STREAMS


def anneal_reference(rbm, visible, base, betas, beta, key, draw_initial, base_rbm=None):
    """NumPy AIS with the kernel's Philox counters (block, sweep, chain, annealing):
    sweep 2k for h, 2k + 1 for v, 2k | 2^63 for the base RBM's h, 1 for the first v."""
    w = rbm.weights.astype(np.float64)
    a, b = rbm.visible_bias.astype(np.float64), rbm.hidden_bias.astype(np.float64)
    base = base.astype(np.float64)
    if base_rbm is None:
        wa, ba = np.zeros((w.shape[0], 0)), np.zeros(0)
    else:
        wa, ba = base_rbm.weights.astype(np.float64), base_rbm.hidden_bias.astype(np.float64)
    n_chains, n_visible = visible.shape

    def uniforms(sweep: int, n_units: int) -> np.ndarray:
        out = np.empty((n_chains, n_units), rbm.dtype)
        for c in range(n_chains):
            _core.uniform_row(out[c], key, sweep, c, STREAMS["annealing"])
        return out.astype(np.float64)

    def softplus_change(x, now, before):
        return (np.logaddexp(0, now * x) - np.logaddexp(0, before * x)).sum(axis=1)

    v = visible.astype(np.float64)
    if draw_initial:
        v = (uniforms(1, n_visible) < expit(base)).astype(np.float64)
    cb, cm = 1.0 - betas, beta * betas
    log_w = np.zeros(n_chains)
    for k in range(1, len(betas)):
        x, xa = b + v @ w, ba + v @ wa
        log_w += (cb[k] - cb[k - 1]) * (v @ base) + (cm[k] - cm[k - 1]) * (v @ a)
        log_w += softplus_change(x, cm[k], cm[k - 1]) + softplus_change(xa, cb[k], cb[k - 1])
        if k == len(betas) - 1:
            break
        h = (uniforms(2 * k, w.shape[1]) < expit(cm[k] * x)).astype(np.float64)
        ha = (uniforms(2 * k | 2**63, wa.shape[1]) < expit(cb[k] * xa)).astype(np.float64)
        field = cm[k] * (a + h @ w.T) + cb[k] * (base + ha @ wa.T)
        v = (uniforms(2 * k + 1, n_visible) < expit(field)).astype(np.float64)
    return v, log_w


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("with_base_rbm", [False, True], ids=["base_rate", "base_rbm"])
def test_anneal_kernel_matches_numpy_reference(dtype, reverse, with_base_rbm):
    rbm = small_rbm(7, 5, 1.0, dtype, 2)
    base_rbm = small_rbm(7, 3, 0.8, dtype, 3) if with_base_rbm else None
    gen = np.random.default_rng(0)
    betas = annealing.schedule("linear", 23)
    if reverse:
        betas = betas[::-1].copy()
    base = base_rbm.visible_bias if with_base_rbm else gen.normal(0, 1, 7).astype(dtype)
    start = (gen.random((6, 7)) < 0.5).astype(dtype)
    key = (12345, 678)
    draw = not (reverse or with_base_rbm)
    v_ref, lw_ref = anneal_reference(rbm, start, base, betas, 1.3, key, draw, base_rbm)
    v = start.copy()
    lw = np.empty(6)
    b_w, b_wt, b_b = (None, None, None) if base_rbm is None else (
        base_rbm.weights, np.ascontiguousarray(base_rbm.weights.T), base_rbm.hidden_bias
    )
    _core.anneal(
        v, rbm.weights, np.ascontiguousarray(rbm.weights.T), rbm.visible_bias,
        rbm.hidden_bias, base, b_w, b_wt, b_b, 1.0 - betas, 1.3 * betas, key, 0, draw, lw,
    )
    np.testing.assert_array_equal(v, v_ref)
    np.testing.assert_allclose(lw, lw_ref, rtol=1e-5 if dtype == np.float32 else 1e-11)


@pytest.mark.parametrize("with_base_rbm", [False, True], ids=["base_rate", "base_rbm"])
def test_anneal_kernel_in_step_ranges_matches_numpy_reference(with_base_rbm):
    """64 chains of 211 x 157 and 80 steps: the binding runs ranges of ~31 steps with a
    Ctrl-C check between them; the result is still the reference's."""
    rbm = small_rbm(211, 157, 0.1, np.float64, 5)
    base_rbm = small_rbm(211, 3, 0.3, np.float64, 6) if with_base_rbm else None
    gen = np.random.default_rng(1)
    betas = annealing.schedule("linear", 80)
    base = base_rbm.visible_bias if with_base_rbm else gen.normal(-1, 1, 211)
    start = (gen.random((64, 211)) < 0.3).astype(np.float64)
    key = (99, 7)
    v_ref, lw_ref = anneal_reference(rbm, start, base, betas, 1.0, key, not with_base_rbm,
                                     base_rbm)
    v, lw = start.copy(), np.empty(64)
    b_w, b_wt, b_b = (None, None, None) if base_rbm is None else (
        base_rbm.weights, np.ascontiguousarray(base_rbm.weights.T), base_rbm.hidden_bias
    )
    _core.anneal(
        v, rbm.weights, np.ascontiguousarray(rbm.weights.T), rbm.visible_bias,
        rbm.hidden_bias, base, b_w, b_wt, b_b, 1.0 - betas, betas, key, 0,
        not with_base_rbm, lw,
    )
    np.testing.assert_array_equal(v, v_ref)
    np.testing.assert_allclose(lw, lw_ref, rtol=1e-11)


INTERRUPT_AIS = """
import pyrbm
rbm = pyrbm.RBM.random(53, 31, std=0.5, rng=0)
print("ready", flush=True)
pyrbm.log_partition(rbm, "ais", rng=0, n_chains=100, n_betas=3 * 10**6)  # minutes: one call
print("finished", flush=True)
"""


def test_ctrl_c_stops_a_long_annealing_run():
    from tests.test_validation_hardening import _interrupted

    out, err = _interrupted(INTERRUPT_AIS)
    assert "KeyboardInterrupt" in err and "finished" not in out, err


@pytest.mark.parametrize("method", ["ais", "rais"])
def test_annealing_is_thread_count_independent(method):
    rbm = small_rbm(31, 17, 0.3, np.float32, 4)
    base_rbm = small_rbm(31, 3, 0.3, np.float32, 5)
    options = dict(n_chains=70, n_betas=50)  # 70 chains: 3 blocks on 1 thread, 4 on 2
    if method == "rais":
        options["n_gibbs"] = 20
    for base in ({}, {"base_rbm": base_rbm}):
        results = []
        for n in (1, 2):
            with pyrbm.num_threads(n):
                results.append(pyrbm.log_partition(rbm, method, rng=7, **options, **base))
        np.testing.assert_array_equal(results[0].log_weights, results[1].log_weights)


def test_schedules():
    np.testing.assert_allclose(annealing.schedule("linear", 5), [0, 0.25, 0.5, 0.75, 1])
    geo = annealing.schedule("geometric", 4, beta_min=0.01)
    np.testing.assert_allclose(geo, [0, 0.01, 0.1, 1])
    custom = np.concatenate([np.linspace(0, 0.5, 10, endpoint=False), np.geomspace(0.5, 1, 20)])
    np.testing.assert_array_equal(annealing.schedule(custom), custom)
    with pytest.raises(ValueError, match="schedule"):
        annealing.schedule([0, 0.5, 0.5, 1])
    with pytest.raises(ValueError, match="schedule"):
        annealing.schedule("cosine", 10)


STDS = np.linspace(0.1, 1.5, 20)


def _estimates(method: str, n_betas: int, n_chains: int):
    values, errors, exact = [], [], []
    for i, std in enumerate(STDS):
        rbm = small_rbm(11, 7, float(std), np.float64, 100 + i)
        gen = np.random.default_rng(i)
        options: dict = dict(n_chains=n_chains, n_betas=n_betas)
        if method == "rais":
            options["samples"] = exact_samples(rbm, n_chains, gen)
        est = pyrbm.log_partition(rbm, method, rng=gen, **options)
        values.append(est.value)
        errors.append(est.std_error)
        exact.append(brute_force_log_z(rbm))
    return np.array(values), np.array(errors), np.array(exact)


@pytest.mark.parametrize("method", ["ais", "rais"])
def test_annealing_within_three_standard_errors(method):
    values, errors, exact = _estimates(method, n_betas=300, n_chains=200)
    assert np.sum(np.abs(values - exact) <= 3 * errors) >= 18
    assert np.all(errors > 0)
    assert abs(np.mean(values - exact)) < 0.01  # unbiased to within tolerance when accurate


def test_bracketing_ais_below_rais_above():
    # Each chain alone is an estimate: E[log Z_A + log w] = log Z - KL(forward) for AIS
    # and log Z + KL(reverse) for RAIS. A short schedule makes the KLs large; over the 20
    # models the per-model mean over chains must sit below (AIS) / above (RAIS) exact.
    below, above = [], []
    for i, std in enumerate(STDS):
        rbm = small_rbm(11, 7, float(std), np.float64, 100 + i)
        gen = np.random.default_rng(i)
        exact = brute_force_log_z(rbm)
        fwd = pyrbm.log_partition(rbm, "ais", rng=gen, n_chains=200, n_betas=8)
        samples = exact_samples(rbm, 200, gen)
        rev = pyrbm.log_partition(rbm, "rais", rng=gen, samples=samples, n_betas=8)
        below.append(np.mean(fwd.log_z_base + fwd.log_weights) - exact)
        above.append(np.mean(rev.log_z_base - rev.log_weights) - exact)
        assert fwd.value - 4 * fwd.std_error < exact < rev.value + 4 * rev.std_error
    assert stats.ttest_1samp(below, 0.0, alternative="less").pvalue < 0.01
    assert stats.ttest_1samp(above, 0.0, alternative="greater").pvalue < 0.01


def test_annealing_at_mnist_width():
    # 784 visible units with sparse "data" (density ~0.15); exact over 2^12 hidden states.
    gen = np.random.default_rng(8)
    data = (gen.random((500, 784)) < gen.beta(0.5, 3.0, 784)).astype(np.float32)
    rbm = pyrbm.RBM(
        gen.normal(0, 0.3, (784, 12)).astype(np.float32),
        annealing.base_bias_from_data(data, 784, np.float32),
        np.full(12, -1.0, np.float32),
    )
    exact = pyrbm.log_partition(rbm).value
    ais = pyrbm.log_partition(rbm, "ais", rng=2, n_chains=100, n_betas=300, data=data)
    rais = pyrbm.log_partition(rbm, "rais", rng=2, n_chains=100, n_betas=300, data=data,
                               n_gibbs=200)
    for est in (ais, rais):
        assert abs(est.value - exact) < 4 * est.std_error + 0.01, est.method


def test_rais_from_gibbs_samples_and_data_base():
    rbm = small_rbm(11, 7, 0.8, np.float32, 9)
    data = exact_samples(rbm, 500, np.random.default_rng(1))
    est = pyrbm.log_partition(rbm, "rais", rng=3, data=data, n_chains=200, n_betas=200,
                              n_gibbs=200, schedule="geometric")
    assert est.value == pytest.approx(brute_force_log_z(rbm), abs=5 * est.std_error + 0.02)
    assert 1.0 <= est.ess <= 200.0 and est.log_weights.shape == (200,)


def test_ais_and_rais_from_a_base_rbm():
    # Base RBM with a different hidden size: checks the (n_hidden - n_base_hidden) ln 2
    # offset as well as the transitions with both hidden layers.
    rbm = small_rbm(11, 7, 1.0, np.float64, 21)
    gen = np.random.default_rng(4)
    base_rbm = pyrbm.RBM(0.5 * rbm.weights[:, :4], rbm.visible_bias, rbm.hidden_bias[:4])
    expected = brute_force_log_z(rbm)
    ais = pyrbm.log_partition(rbm, "ais", rng=gen, base_rbm=base_rbm, n_chains=200, n_betas=200)
    rais = pyrbm.log_partition(rbm, "rais", rng=gen, base_rbm=base_rbm, n_betas=200,
                               samples=exact_samples(rbm, 200, gen))
    for est in (ais, rais):
        assert abs(est.value - expected) < 4 * est.std_error + 1e-3, est.method
    assert ais.log_z_base == pytest.approx(brute_force_log_z(base_rbm) + 3 * np.log(2))
    with pytest.raises(ValueError, match="at most one"):
        pyrbm.log_partition(rbm, "ais", base_rbm=base_rbm, base_bias=np.zeros(11))
    with pytest.raises(ValueError, match="base_rbm"):
        pyrbm.log_partition(rbm, "ais", base_rbm=small_rbm(5, 2, 0.1, np.float64, 0))

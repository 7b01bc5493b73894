"""Partition functions: exact enumeration, AIS / reverse AIS, log-likelihood, observer."""

from __future__ import annotations

import types

import numpy as np
import pytest
from scipy import stats
from scipy.special import expit, logsumexp
from tests.conftest import all_states, small_rbm

import pyrbm
from pyrbm import _core, annealing, meanfield, partition
from pyrbm._rng import STREAMS
from pyrbm.partition.exact import sample_exact


# -- NumPy references ----------------------------------------------------------------
def brute_force_log_z(rbm: pyrbm.RBM, beta: float = 1.0) -> float:
    """log Z by enumerating both layers (independent of the C++ code path)."""
    w = rbm.weights.astype(np.float64)
    a, b = rbm.visible_bias.astype(np.float64), rbm.hidden_bias.astype(np.float64)
    v, h = all_states(rbm.n_visible), all_states(rbm.n_hidden)
    neg_energy = (v @ a)[:, None] + (h @ b)[None, :] + v @ w @ h.T
    return float(logsumexp(beta * neg_energy))


def log_p_visible(rbm: pyrbm.RBM, v: np.ndarray) -> np.ndarray:
    """Unnormalized log p(v) = -F(v) in float64."""
    w = rbm.weights.astype(np.float64)
    a, b = rbm.visible_bias.astype(np.float64), rbm.hidden_bias.astype(np.float64)
    return v @ a + np.logaddexp(0.0, b + v @ w).sum(axis=1)


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


def exact_samples(rbm: pyrbm.RBM, n: int, gen: np.random.Generator) -> np.ndarray:
    """Exact draws of v from p(v) by enumeration of the visible layer."""
    v = all_states(rbm.n_visible)
    log_p = log_p_visible(rbm, v)
    p = np.exp(log_p - logsumexp(log_p))
    return v[gen.choice(v.shape[0], n, p=p)].astype(rbm.dtype)


# -- exact enumeration ---------------------------------------------------------------
@pytest.mark.parametrize("shape", [(1, 1), (3, 2), (7, 5), (5, 7), (12, 10)])
def test_exact_matches_brute_force_either_layer(shape, dtype):
    rbm = small_rbm(*shape, std=0.8, dtype=dtype, seed=sum(shape))
    expected = brute_force_log_z(rbm)
    for layer in ("auto", "visible", "hidden"):
        got = partition.log_z_exact(rbm, layer=layer)
        assert got == pytest.approx(expected, rel=1e-12, abs=1e-10)


@pytest.mark.parametrize("beta", [0.0, 0.37, 2.0])
def test_exact_beta(beta):
    rbm = small_rbm(7, 5, 1.0, np.float64, 11)
    assert partition.log_z_exact(rbm, beta=beta) == pytest.approx(
        brute_force_log_z(rbm, beta), rel=1e-12
    )


def test_exact_enumerates_2_to_25_states():
    # 2^25 visible states (4 hidden units summed out) against 2^4 hidden states.
    rbm = small_rbm(25, 4, 0.3, np.float64, 5)
    by_visible = partition.log_z_exact(rbm, layer="visible")
    assert by_visible == pytest.approx(partition.log_z_exact(rbm, layer="hidden"), rel=1e-12)


def test_exact_refuses_too_many_states():
    rbm = small_rbm(40, 30, 0.1, np.float32, 1)
    with pytest.raises(ValueError, match=r"2\^30 = 1\.074e\+09 states"):
        partition.log_z_exact(rbm)
    with pytest.raises(ValueError, match="max_states"):
        pyrbm.log_partition(small_rbm(11, 7, 0.1, np.float32, 1), max_states=64)


def test_exact_is_thread_count_independent():
    rbm = small_rbm(13, 17, 0.5, np.float32, 3)
    with pyrbm.num_threads(1):
        one = partition.log_z_exact(rbm)
    with pyrbm.num_threads(2):
        two = partition.log_z_exact(rbm)
    assert one == two


def test_softplus_kernel_matches_numpy():
    x = np.concatenate([np.linspace(-800, 800, 20001), np.linspace(-2, 2, 4001)])
    np.testing.assert_allclose(_core.softplus_fast(x), np.logaddexp(0, x), rtol=1e-13, atol=1e-300)


# -- annealing kernel ----------------------------------------------------------------
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


# -- statistical tests against exact enumeration --------------------------------------
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


@pytest.mark.parametrize("shape", [(4, 6), (6, 4)], ids=["enumerate_visible", "enumerate_hidden"])
def test_sample_exact_follows_the_model(shape):
    rbm = small_rbm(*shape, 1.0, np.float32, 30)
    samples = sample_exact(rbm, 20000, beta=0.9, rng=1)
    v = all_states(rbm.n_visible)
    log_p = 0.9 * (v @ rbm.visible_bias.astype(np.float64)) + np.logaddexp(
        0, 0.9 * (rbm.hidden_bias.astype(np.float64) + v @ rbm.weights.astype(np.float64))
    ).sum(1)
    p = np.exp(log_p - logsumexp(log_p))
    index = (samples.astype(np.int64) << np.arange(rbm.n_visible)).sum(axis=1)
    counts = np.bincount(index, minlength=v.shape[0])
    assert stats.chisquare(counts, 20000 * p).pvalue > 1e-3


# -- log-likelihood and extreme weights -----------------------------------------------
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


# -- argument errors -----------------------------------------------------------------
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


# -- training observer -----------------------------------------------------------------
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

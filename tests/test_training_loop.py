"""training.loop, the trainer: the exact update rule, model statistics against enumeration,
learning, thread-count independence, checkpoints and batches, callbacks."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from scipy.special import expit, logsumexp

import pyrbm
from pyrbm import _core
from pyrbm._rng import draw_key
from pyrbm.training import CheckpointInfo

from .conftest import all_states, prototype_patterns, small_rbm


def _reference_update(rbm, data, *, seed, k, lr, centered, l1, l2, binarize=False):
    """One PCD-k plain-SGD update over the whole data set, written out with numpy."""
    gen = np.random.default_rng(seed)
    draw_key(gen)  # the trainer's monitoring stream
    chains = np.empty((data.shape[0], rbm.n_visible), rbm.dtype)
    _core.bernoulli_states(0.5, draw_key(gen), 0, chains)
    v = data[gen.permutation(data.shape[0])].astype(rbm.dtype)
    if binarize:  # the batch is drawn before the negative phase
        v = gen.random(v.shape, dtype=rbm.dtype) < v
    v = v.astype(np.float64)
    chains = rbm.gibbs(chains, k, rng=gen)[0].astype(np.float64)
    w, a, b = (p.astype(np.float64) for p in (rbm.weights, rbm.visible_bias, rbm.hidden_bias))
    ph_d, ph_m = expit(v @ w + b), expit(chains @ w + b)
    mu = data.mean(axis=0) if centered else np.zeros(rbm.n_visible)
    lam = np.full(rbm.n_hidden, 0.5) if centered else np.zeros(rbm.n_hidden)
    grad_w = (v - mu).T @ (ph_d - lam) / len(v) - (chains - mu).T @ (ph_m - lam) / len(chains)
    grad_a = v.mean(0) - chains.mean(0) - grad_w @ lam
    grad_b = ph_d.mean(0) - ph_m.mean(0) - mu @ grad_w
    grad_w -= l2 * w + l1 * np.sign(w)
    return w + lr * grad_w, a + lr * grad_a, b + lr * grad_b


@pytest.mark.parametrize(("centered", "l1", "l2"), [(False, 0.0, 0.0), (True, 0.01, 0.02)])
def test_one_update_matches_reference(dtype, centered: bool, l1: float, l2: float) -> None:
    data = prototype_patterns(23, seed=1)
    rbm = small_rbm(9, 5, 0.3, dtype, seed=2)
    expected = _reference_update(rbm.copy(), data, seed=3, k=2, lr=0.1, centered=centered, l1=l1, l2=l2)
    pyrbm.train(rbm, data, method="pcd", k=2, batch_size=23, optimizer="sgd", lr=0.1,
                centered=centered, l1=l1, l2=l2, rng=3, monitor=False)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    for got, want in zip((rbm.weights, rbm.visible_bias, rbm.hidden_bias), expected):
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)


def test_binarize_batches_draws_each_batch_from_the_intensities(dtype) -> None:
    intensities = (0.8 * np.random.default_rng(5).random((23, 9))).astype(dtype)
    rbm = small_rbm(9, 5, 0.3, dtype, seed=2)
    expected = _reference_update(rbm.copy(), intensities, seed=3, k=1, lr=0.1, centered=True,
                                 l1=0.0, l2=0.0, binarize=True)
    history = pyrbm.train(rbm, intensities, method="pcd", k=1, batch_size=23, optimizer="sgd",
                          lr=0.1, centered=True, binarize_batches=True, rng=3)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    for got, want in zip((rbm.weights, rbm.visible_bias, rbm.hidden_bias), expected):
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)
    # the metrics use one fixed binarization of their samples, so the pll is there
    assert np.isfinite(history["pll"]).all()
    with pytest.raises(ValueError, match=r"data: values must lie in \[0, 1\]"):
        pyrbm.train(rbm, 2 * intensities, batch_size=23, binarize_batches=True)


def test_model_statistics_agree_with_exact_enumeration() -> None:
    """With SGD and lr = 1 one update is the gradient; its model part must be unbiased."""
    n_chains = 20000
    data = prototype_patterns(31, seed=4)
    rbm = small_rbm(9, 3, 0.5, np.float64, seed=5)
    before = rbm.copy()
    pyrbm.train(rbm, data, method="pcd", k=25, batch_size=31, n_chains=n_chains,
                optimizer="sgd", lr=1.0, rng=6, monitor=False)
    w, a, b = before.weights, before.visible_bias, before.hidden_bias
    v = data.astype(np.float64)
    ph = expit(v @ w + b)
    model_w = v.T @ ph / len(v) - (rbm.weights - w)  # data part - gradient
    model_a = v.mean(0) - (rbm.visible_bias - a)
    model_b = ph.mean(0) - (rbm.hidden_bias - b)
    states = all_states(9)
    log_p = -before.free_energy(states)
    p = np.exp(log_p - logsumexp(log_p))
    ph_all = expit(states @ w + b)
    terms = [
        (model_w, states[:, :, None] * ph_all[:, None, :]),
        (model_a, states),
        (model_b, ph_all),
    ]
    z = []
    for estimate, per_state in terms:
        mean = np.tensordot(p, per_state, axes=1)
        var = np.tensordot(p, per_state**2, axes=1) - mean**2
        z.append(((estimate - mean) / np.sqrt(var / n_chains)).ravel())
    z = np.concatenate(z)
    # Two-sided z-tests of the 39 statistics, Bonferroni-corrected at level 1e-3.
    p_values = 2 * stats.norm.sf(np.abs(z))
    assert p_values.min() > 1e-3 / z.size, z


def _exact_log_likelihood(rbm: pyrbm.RBM, data: np.ndarray) -> float:
    log_z = logsumexp(-rbm.free_energy(all_states(rbm.n_visible).astype(rbm.dtype)))
    return float(np.mean(-rbm.free_energy(data.astype(rbm.dtype))) - log_z)


@pytest.mark.parametrize("method", ["pcd", "cd", "rdm"])
def test_training_raises_the_exact_likelihood(method: str) -> None:
    data = prototype_patterns(400, seed=7)
    rbm = pyrbm.init_rbm(data, 4, dtype=np.float64, rng=8)
    start = _exact_log_likelihood(rbm, data)
    pyrbm.train(rbm, data, method=method, k=3, batch_size=40, epochs=15, lr=0.05, rng=9,
                monitor=False)
    # The two-prototype distribution has entropy about 5 nats; uniform start: 9 ln 2 = 6.2.
    assert _exact_log_likelihood(rbm, data) > start + 0.8


def test_same_seed_same_model_for_any_thread_count() -> None:
    data = prototype_patterns(300, seed=12)
    results = []
    for threads in (1, 2):
        rbm = pyrbm.init_rbm(data, 7, rng=13)
        with pyrbm.num_threads(threads):
            pyrbm.train(rbm, data, k=2, batch_size=50, epochs=3, lr=0.01, rng=14, monitor=False)
        results.append(rbm)
    np.testing.assert_array_equal(results[0].weights, results[1].weights)
    np.testing.assert_array_equal(results[0].visible_bias, results[1].visible_bias)


@pytest.mark.parametrize(
    ("every", "drop_last", "updates"),
    [
        ("epoch", True, [4, 8, 12]),
        ("epoch", False, [5, 10, 15]),
        (5, True, [5, 10, 12]),
        ("exponential", True, [1, 2, 4, 8, 12]),
    ],
)
def test_checkpoint_schedule_and_batches(every, drop_last: bool, updates: list[int]) -> None:
    data = prototype_patterns(90, seed=15)  # 4 full batches of 20 and one of 10
    seen: list[CheckpointInfo] = []

    def record(rbm: pyrbm.RBM, info: CheckpointInfo) -> dict[str, float]:
        seen.append(info)
        return {"w_norm": float(np.linalg.norm(rbm.weights))}

    rbm = pyrbm.init_rbm(data, 3, rng=0)
    history = pyrbm.train(rbm, data, batch_size=20, epochs=3, drop_last=drop_last,
                          checkpoint_every=every, rng=1, callbacks=[record])
    assert [info.update for info in seen] == updates
    assert list(history["update"]) == updates
    assert history["w_norm"][-1] == pytest.approx(np.linalg.norm(rbm.weights))
    assert {"recon_error", "pll", "sv_max", "n_sv_above_mp", "wall_time"} <= set(history.keys())
    assert np.all(np.diff(history["wall_time"]) >= 0)
    assert seen[-1].epoch == 3 and seen[-1].metrics["sv_max"] == history["sv_max"][-1]


def test_intensity_data_trains_without_pll() -> None:
    data = np.random.default_rng(2).random((60, 9)).astype(np.float32)
    rbm = pyrbm.init_rbm(data, 3, rng=0)
    history = pyrbm.train(rbm, data, batch_size=20, rng=0)
    assert "pll" not in history.keys() and np.isfinite(history["recon_error"][0])
    with pytest.raises(ValueError, match="data: method 'cd'"):
        pyrbm.train(rbm, data, method="cd", batch_size=20)


def test_callback_must_return_a_mapping() -> None:
    data = prototype_patterns(20, seed=0)
    rbm = small_rbm(9, 3, 0.1, np.float32, seed=0)
    with pytest.raises(TypeError, match="callbacks"):
        pyrbm.train(rbm, data, batch_size=10, callbacks=[lambda r, i: 3.0], monitor=False)

"""Parallel tempering (pyrbm.sampling.tempering): the compiled kernel against a NumPy
reference, exactness on small bimodal RBMs (distinct prime sizes) against enumeration,
stationarity, thread-count independence and argument checks."""

from __future__ import annotations

import subprocess
import textwrap

import numpy as np
import pytest

import pyrbm
from pyrbm import _core, sampling
from pyrbm.partition.exact import sample_exact

from .conftest import PYTHON, subprocess_env
from .sampling_cases import (
    NH, NV, bimodal, chi_square_p, exact_law, state_index, trajectory, tv, tv_floor,
)


# -- the kernel against references ---------------------------------------------------------
def test_one_slot_is_blocked_gibbs(dtype: type) -> None:
    rbm = bimodal(dtype)
    v0 = (np.random.default_rng(1).random((37, NV)) < 0.3).astype(dtype)
    res = sampling.parallel_tempering(rbm, 37, 5, betas=[1.0], v0=v0, rng=5)
    v, h = rbm.gibbs(v0, 5, rng=np.random.default_rng(5), path="sparse")
    assert np.array_equal(res.v, v) and np.array_equal(res.h, h)
    assert res.swap_acceptance.shape == (0,) and res.round_trips == 0


def test_without_swaps_each_slot_is_gibbs_at_its_beta(dtype: type) -> None:
    rbm = bimodal(dtype)
    ladder = np.array([0.0, 0.3, 0.55, 1.0])
    v0 = (np.random.default_rng(2).random((4, 13, NV)) < 0.5).astype(dtype)
    res = sampling.parallel_tempering(rbm, 13, 3, betas=ladder, v0=v0, swap_every=50, rng=7)
    for k, beta in enumerate(ladder):
        v, h = rbm.gibbs(v0[k], 3, beta=beta, rng=np.random.default_rng(7), path="sparse",
                         chain_offset=13 * k)
        assert np.array_equal(res.all_v[k], v) and np.array_equal(res.all_h[k], h)
    assert np.all(res.swap_attempts == 0)


def _energy(rbm: pyrbm.RBM, v: np.ndarray, h: np.ndarray) -> np.ndarray:
    w, a, b = (np.asarray(x, np.float64) for x in (rbm.weights, rbm.visible_bias, rbm.hidden_bias))
    return -(v @ a + h @ b + np.einsum("ci,ij,cj->c", v, w, h))


def reference_tempering(models, model_of_slot, betas, v0, key, n_sweeps, swap_every):
    """NumPy reference: per-slot sweeps by RBM.gibbs (same counters), then the swap
    events with energies in float64 and uniforms from Philox at (pair, event, chain)."""
    n_slots, n, _ = v0.shape
    v = v0.copy()
    h = np.zeros((n_slots, n, models[0].n_hidden), v0.dtype)
    walker = np.arange(n_slots * n).reshape(n_slots, n)
    attempts, accepts = np.zeros(n_slots - 1, int), np.zeros(n_slots - 1, int)
    stream = _core.STREAMS["tempering"]
    for sweep in range(n_sweeps):
        for k in range(n_slots):
            rbm = models[model_of_slot[k]]
            # one sweep with first sweep index `sweep`: RBM.gibbs numbers sweeps from 0,
            # so run the sparse kernel directly at that counter
            wt = np.ascontiguousarray(rbm.weights.T)
            _core.gibbs_sparse(v[k], h[k], rbm.weights, wt, rbm.visible_bias, rbm.hidden_bias,
                               betas[k], key, sweep, k * n, 1)
        if (sweep + 1) % swap_every:
            continue
        event = (sweep + 1) // swap_every - 1
        for k in range(event % 2, n_slots - 1, 2):
            lo, hi = models[model_of_slot[k]], models[model_of_slot[k + 1]]
            log_alpha = (betas[k] * (_energy(lo, v[k], h[k]) - _energy(lo, v[k + 1], h[k + 1]))
                         + betas[k + 1] * (_energy(hi, v[k + 1], h[k + 1]) - _energy(hi, v[k], h[k])))
            for c in range(n):
                word = _core.philox4x64_10([k, event, c, stream], key)[0]
                u = (word >> 11) * 2.0**-53
                attempts[k] += 1
                if log_alpha[c] >= 0 or u < np.exp(log_alpha[c]):
                    accepts[k] += 1
                    for arr in (v, h, walker):
                        arr[[k, k + 1], c] = arr[[k + 1, k], c]
    return v, h, walker, attempts, accepts


@pytest.mark.parametrize("kind", ["pt", "ptt"])
def test_kernel_matches_numpy_reference(kind: str, dtype: type) -> None:
    rbm = bimodal(dtype)
    if kind == "pt":
        models, model_of_slot, betas = [rbm], np.zeros(5, np.int64), np.array([0.0, .2, .45, .7, 1.])
    else:
        models, model_of_slot, betas = trajectory(rbm, 5), np.arange(5), np.ones(5)
    n, n_sweeps, swap_every = 17, 6, 1 if kind == "pt" else 2
    v0 = (np.random.default_rng(3).random((5, n, NV)) < 0.5).astype(dtype)
    key = (12345, 678910)
    ref_v, ref_h, ref_walker, ref_att, ref_acc = reference_tempering(
        models, model_of_slot, betas, v0, key, n_sweeps, swap_every)
    chains = sampling.tempering._Chains(models, model_of_slot, betas, v0)
    chains.run(key, n_sweeps, swap_every)
    assert np.array_equal(chains.v.reshape(v0.shape), ref_v)
    assert np.array_equal(chains.h.reshape(ref_h.shape), ref_h)
    assert np.array_equal(chains.walker.reshape(5, n), ref_walker)
    assert np.array_equal(chains.attempts, ref_att) and np.array_equal(chains.accepts, ref_acc)
    assert 0 < ref_acc.sum() < ref_att.sum()  # the test saw both decisions


def test_joint_energy_matches_numpy(dtype: type) -> None:
    rbm = bimodal(dtype)
    gen = np.random.default_rng(4)
    v = (gen.random(NV) < 0.4).astype(dtype)
    h = (gen.random(NH) < 0.6).astype(dtype)
    got = _core.joint_energy(v, h, rbm.weights, rbm.visible_bias, rbm.hidden_bias)
    assert got == pytest.approx(_energy(rbm, v[None], h[None])[0], rel=1e-6)


def test_round_trips_counted_bottom_top_bottom() -> None:
    """A model with zero energy accepts every swap, so the walkers move deterministically;
    count bottom -> top -> bottom trips from each walker's history of slots."""
    n_slots, n_chains, n_sweeps = 4, 3, 41
    rbm = pyrbm.RBM(np.zeros((NV, NH)), np.zeros(NV), np.zeros(NH))
    res = sampling.parallel_tempering(rbm, n_chains, n_sweeps, betas=[0.0, 0.3, 0.6, 1.0],
                                      adapt=False, rng=0)
    np.testing.assert_array_equal(res.swap_acceptance, 1.0)
    slot_of = np.arange(n_slots)  # slot of each walker of one column
    history = [slot_of.copy()]
    for event in range(n_sweeps):
        for k in range(event % 2, n_slots - 1, 2):
            a, b = np.flatnonzero(slot_of == k)[0], np.flatnonzero(slot_of == k + 1)[0]
            slot_of[a], slot_of[b] = k + 1, k
        history.append(slot_of.copy())
    trips = 0
    for walker in range(n_slots):
        ends = [s for s in np.array(history[1:])[:, walker] if s in (0, n_slots - 1)]
        # collapse repeats, then count 0 -> top -> 0 patterns
        path = [e for i, e in enumerate(ends) if i == 0 or e != ends[i - 1]]
        trips += sum(1 for i in range(len(path) - 2)
                     if path[i] == 0 and path[i + 1] == n_slots - 1 and path[i + 2] == 0)
    assert trips > 0
    assert res.round_trips == n_chains * trips


# -- exactness and stationarity against enumeration ----------------------------------------
N_CHAINS, N_SWEEPS = 1500, 150


def test_tempered_samplers_match_exact_law_where_gibbs_fails() -> None:
    rbm = bimodal()
    law = exact_law(rbm)
    v0 = np.zeros((N_CHAINS, NV))  # every chain starts in the "all off" mode
    v_gibbs, _ = rbm.gibbs(v0, N_SWEEPS, rng=1)
    pt = sampling.parallel_tempering(rbm, N_CHAINS, N_SWEEPS, betas=8, v0=v0, rng=1)
    ptt = sampling.trajectory_tempering(trajectory(rbm, 8), N_CHAINS, N_SWEEPS, v0=v0, rng=1)
    assert chi_square_p(v_gibbs, law) < 1e-12  # Gibbs: stuck in the first mode
    assert chi_square_p(pt.v, law) > 1e-3
    assert chi_square_p(ptt.v, law) > 1e-3
    assert pt.adapted_sweeps > 0 and pt.round_trips > 0 and ptt.round_trips > 0
    on = law[state_index(np.ones((1, NV)))][0]
    assert abs(np.mean(np.all(pt.v == 1, axis=1)) - on) < 0.05
    assert np.mean(np.all(v_gibbs == 1, axis=1)) < 0.01


@pytest.mark.parametrize("n_sweeps", [1, 4, 16])
def test_stationary_from_exact_samples(n_sweeps: int) -> None:
    rbm = bimodal()
    ladder = np.array([0.0, 0.25, 0.45, 0.6, 0.75, 0.88, 1.0])
    n = 4000
    gen = np.random.default_rng(n_sweeps)
    v0 = np.stack([sample_exact(rbm, n, beta=beta, rng=gen) for beta in ladder])
    pt = sampling.parallel_tempering(rbm, n, n_sweeps, betas=ladder, v0=v0, rng=gen)
    for k in (len(ladder) - 1, 1, 3):  # the target and two slots at beta != 1
        law = exact_law(rbm, ladder[k])
        assert tv(pt.all_v[k], law) < tv_floor(law, n, seed=k), k
    models = trajectory(rbm, 5)
    v0 = np.stack([sample_exact(m, n, rng=gen) for m in models])
    ptt = sampling.trajectory_tempering(models, n, n_sweeps, v0=v0, rng=gen)
    for k in (4, 2):
        law = exact_law(models[k])
        assert tv(ptt.all_v[k], law) < tv_floor(law, n, seed=10 + k), k


def test_tv_check_detects_a_sampler_that_is_not_stationary() -> None:
    """Null control of the check above: 16 Gibbs sweeps at beta = 0.6 applied to exact
    beta = 1 samples move them away from the beta = 1 law, and the check says so."""
    rbm = bimodal()
    n = 4000
    law = exact_law(rbm)
    v0 = sample_exact(rbm, n, rng=0)
    assert tv(v0, law) < tv_floor(law, n)
    v, _ = rbm.gibbs(v0, 16, beta=0.6, rng=1)
    assert tv(v, law) > 2 * tv_floor(law, n)


# -- determinism -----------------------------------------------------------------------
SCRIPT = textwrap.dedent(
    """
    import hashlib, numpy as np, pyrbm
    from pyrbm import _core, sampling
    out = hashlib.sha256()
    for dtype in (np.float32, np.float64):
        gen = np.random.default_rng(0)
        rbm = pyrbm.RBM(gen.normal(0, 0.3, (211, 157)).astype(dtype),
                        gen.normal(0, 0.5, 211).astype(dtype), gen.normal(-1, 0.5, 157).astype(dtype))
        res = sampling.parallel_tempering(rbm, 67, 70, betas=5, rng=1)
        out.update(res.all_v.tobytes()); out.update(res.all_h.tobytes())
        out.update(res.betas.tobytes()); out.update(res.swap_attempts.tobytes())
        models = [pyrbm.RBM(t * rbm.weights, t * rbm.visible_bias, t * rbm.hidden_bias)
                  for t in (0.0, 0.5, 1.0)]
        res = sampling.trajectory_tempering(models, 67, 9, rng=2)
        out.update(res.all_v.tobytes()); out.update(res.swap_acceptance.tobytes())
        out.update(str(res.round_trips).encode())
        res = sampling.trajectory_tempering(models, 67, 70, slots=5, rng=3)  # placement
        out.update(res.all_v.tobytes()); out.update(res.positions.tobytes())
    print(_core.get_max_threads(), out.hexdigest())
    """
)


def test_bit_identical_for_1_2_3_threads() -> None:
    digests = []
    for n in (1, 2, 3):
        env = subprocess_env(OMP_NUM_THREADS=str(n), OPENBLAS_NUM_THREADS=str(n))
        done = subprocess.run([*PYTHON, "-c", SCRIPT], env=env, capture_output=True, text=True,
                              check=True)
        threads, digest = done.stdout.split()
        if _core.have_openmp():
            assert int(threads) == n
        digests.append(digest)
    assert len(set(digests)) == 1, digests


def test_same_seed_same_result_and_trace() -> None:
    rbm = bimodal(np.float32)
    runs = [sampling.parallel_tempering(rbm, 9, 80, betas=4, rng=3, trace=lambda v, h: v.sum(1),
                                        trace_every=3) for _ in range(2)]
    assert np.array_equal(runs[0].all_v, runs[1].all_v)
    assert np.array_equal(runs[0].trace, runs[1].trace)
    assert runs[0].trace.shape == ((80 - runs[0].adapted_sweeps) // 3, 9)


# -- bad input -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("betas", "error", "match"),
    [
        ([0.5, 0.4, 1.0], ValueError, "betas: must be strictly increasing"),
        ([0.2, 0.5, 0.5, 1.0], ValueError, "betas: must be strictly increasing"),
        ([0.2, 0.5, 0.9], ValueError, "betas: the ladder must end at the target"),
        ([-0.1, 1.0], ValueError, "betas: must be finite and >= 0"),
        ([np.nan, 1.0], ValueError, "betas: must be finite"),
        ([], ValueError, "betas: expected a non-empty"),
        (0, ValueError, "betas: must be >= 1"),
        ("16", TypeError, "betas"),
        (True, TypeError, "betas"),
    ],
)
def test_bad_ladder(betas, error, match) -> None:
    with pytest.raises(error, match=match):
        sampling.parallel_tempering(bimodal(), 4, 2, betas=betas)


def test_bad_arguments() -> None:
    rbm = bimodal()
    pt = sampling.parallel_tempering
    with pytest.raises(TypeError, match="rbm"):
        pt("model", 4, 2)
    with pytest.raises(ValueError, match="n_chains"):
        pt(rbm, 0, 2)
    with pytest.raises(ValueError, match="n_sweeps"):
        pt(rbm, 4, 0)
    with pytest.raises(ValueError, match="swap_every"):
        pt(rbm, 4, 2, swap_every=0)
    with pytest.raises(ValueError, match="target_acceptance"):
        pt(rbm, 4, 2, target_acceptance=1.0)
    with pytest.raises(TypeError, match="adapt"):
        pt(rbm, 4, 2, adapt="yes")
    with pytest.raises(TypeError, match="trace"):
        pt(rbm, 4, 2, trace=3)
    with pytest.raises(ValueError, match=r"v0: expected shape"):
        pt(rbm, 4, 2, betas=3, v0=np.zeros((2, 4, NV)))
    with pytest.raises(ValueError, match="v0: expected 4 rows"):
        pt(rbm, 4, 2, v0=np.zeros((5, NV)))
    with pytest.raises(ValueError, match="v0: states must be binary"):
        pt(rbm, 4, 2, betas=2, v0=np.full((2, 4, NV), 0.5))
    with pytest.raises(TypeError, match="v0: dtype float32"):
        pt(rbm, 4, 2, v0=np.zeros((4, NV), np.float32))

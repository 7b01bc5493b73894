"""pyrbm.training.optim: optimizers against textbook updates, state round trip, schedules."""

from __future__ import annotations

import numpy as np
import pytest

from pyrbm import optim


# -- optimizers -----------------------------------------------------------------------------
def _reference_steps(name: str, grads: list[np.ndarray], lr: float) -> np.ndarray:
    """Textbook ascent updates in float64 (Kingma & Ba's Algorithm 1 for Adam)."""
    p = np.zeros_like(grads[0])
    m = np.zeros_like(p)
    s = np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        if name == "sgd":
            p = p + lr * g
        elif name == "momentum":
            m = 0.9 * m + lr * g
            p = p + m
        else:
            m = 0.9 * m + 0.1 * g
            s = 0.999 * s + 0.001 * g * g
            p = p + lr * (m / (1 - 0.9**t)) / (np.sqrt(s / (1 - 0.999**t)) + 1e-8)
    return p


@pytest.mark.parametrize("name", optim.OPTIMIZERS)
def test_optimizers_match_reference(name: str, dtype) -> None:
    gen = np.random.default_rng(1)
    grads = [gen.normal(size=(3, 5)) for _ in range(6)]
    opt = optim.make_optimizer(name, [(3, 5)], np.dtype(dtype))
    param = np.zeros((3, 5), dtype)
    for g in grads:
        opt.step([param], [g.astype(dtype)], 0.01)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(param, _reference_steps(name, grads, 0.01), rtol=rtol, atol=rtol * 1e-2)


def test_optimizer_state_round_trip() -> None:
    gen = np.random.default_rng(2)
    grads = [gen.normal(size=4) for _ in range(5)]
    a = optim.make_optimizer("adam", [(4,)], np.dtype(np.float64))
    pa = np.zeros(4)
    for g in grads[:3]:
        a.step([pa], [g.copy()], 0.1)
    b = optim.make_optimizer("adam", [(4,)], np.dtype(np.float64))
    b.load_state_dict({k: np.copy(v) for k, v in a.state_dict().items()})
    pb = pa.copy()
    for g in grads[3:]:
        a.step([pa], [g.copy()], 0.1)
        b.step([pb], [g.copy()], 0.1)
    np.testing.assert_array_equal(pa, pb)


def test_learning_rate_schedules() -> None:
    assert optim.learning_rate(0.1, "constant", 50, 11, 0.1) == 0.1
    assert optim.learning_rate(0.1, "exponential", 0, 11, 0.1) == pytest.approx(0.1)
    assert optim.learning_rate(0.1, "exponential", 5, 11, 0.01) == pytest.approx(0.01)
    assert optim.learning_rate(0.1, "exponential", 10, 11, 0.1) == pytest.approx(0.01)
    assert optim.learning_rate(0.1, "linear", 5, 11, 0.0 + 0.5) == pytest.approx(0.075)
    # Past the horizon the decaying schedules stay at their final value.
    assert optim.learning_rate(0.1, "linear", 40, 11, 0.5) == pytest.approx(0.05)
    assert optim.learning_rate(0.1, "exponential", 40, 11, 0.1) == pytest.approx(0.01)
    with pytest.raises(ValueError, match="schedule"):
        optim.learning_rate(0.1, "cosine", 0, 10, 0.1)
    with pytest.raises(ValueError, match="optimizer"):
        optim.make_optimizer("rmsprop", [(2,)], np.dtype(np.float32))


# -- the fused C++ Adam step against its NumPy reference -------------------------------------
@pytest.mark.parametrize("shape", [(37, 53), (16411,), (3, 8209)])  # primes: tails and chunks
def test_adam_kernel_equals_numpy_reference_bit_for_bit(shape, dtype) -> None:
    gen = np.random.default_rng(3)
    fused = optim.make_optimizer("adam", [shape], np.dtype(dtype), beta1=0.8, eps=1e-6)
    numpy = optim.make_optimizer("adam", [shape], np.dtype(dtype), beta1=0.8, eps=1e-6)
    p_fused = gen.normal(size=shape).astype(dtype)
    p_numpy = p_fused.copy()
    for t in range(5):  # gradients of mixed scales, one with zeros (sqrt(0) + eps)
        g = (gen.normal(size=shape) * 10.0 ** gen.integers(-6, 3, size=shape)).astype(dtype)
        g.flat[:: 7] = 0
        fused.step([p_fused], [g.copy()], 0.01 / (t + 1))
        numpy.t += 1
        numpy._step_numpy(0, p_numpy, g.copy(), 0.01 / (t + 1))
    np.testing.assert_array_equal(p_fused, p_numpy)
    np.testing.assert_array_equal(fused.m[0], numpy.m[0])
    np.testing.assert_array_equal(fused.v[0], numpy.v[0])
    # ... and the kernel does take the step (the reference is not compared with itself).
    assert not np.array_equal(p_fused, gen.normal(size=shape).astype(dtype))


def test_adam_strided_parameters_take_the_numpy_path() -> None:
    gen = np.random.default_rng(4)
    base = gen.normal(size=(6, 10))
    strided = base[:, ::2]  # not C-contiguous: the kernel would not see it
    contiguous = np.ascontiguousarray(strided)
    a = optim.make_optimizer("adam", [(6, 5)], np.dtype(np.float64))
    b = optim.make_optimizer("adam", [(6, 5)], np.dtype(np.float64))
    g = gen.normal(size=(6, 5))
    a.step([strided], [g.copy()], 0.1)
    b.step([contiguous], [g.copy()], 0.1)
    np.testing.assert_array_equal(strided, contiguous)
    np.testing.assert_array_equal(base[:, ::2], contiguous)  # the step landed in base


def test_adam_kernel_rejects_bad_arrays() -> None:
    from pyrbm import _core

    p = np.zeros(6)
    consts = (0.9, 0.1, 0.999, 0.001, 1e-8, 0.01)
    with pytest.raises(ValueError, match="grad: expected 6 values"):
        _core.adam_step(p, np.zeros(5), np.zeros(6), np.zeros(6), *consts)
    with pytest.raises(TypeError, match="m: expected dtype float64"):
        _core.adam_step(p, np.zeros(6), np.zeros(6, np.float32), np.zeros(6), *consts)
    with pytest.raises(ValueError, match="v: array must be C-contiguous"):
        _core.adam_step(p, np.zeros(6), np.zeros(6), np.zeros(12)[::2], *consts)
    frozen = np.zeros(6)
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="param: array must be writable"):
        _core.adam_step(frozen, np.zeros(6), np.zeros(6), np.zeros(6), *consts)
    with pytest.raises(TypeError, match="param: expected float32 or float64"):
        _core.adam_step(np.zeros(6, np.int64), np.zeros(6), np.zeros(6), np.zeros(6), *consts)

"""The Philox generator against numpy's, and the layout of uniforms over counters."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from pyrbm import _core
from pyrbm._rng import STREAMS, as_generator, draw_key

# the compiled-kernel tests: CI reruns them against a build without OpenMP
pytestmark = pytest.mark.core


@pytest.mark.parametrize(
    ("key", "counter"),
    [
        ((0, 0), (0, 0, 0, 0)),
        ((1, 2), (0, 0, 0, 0)),
        ((2**64 - 1, 12345), (7, 3, 99, 5)),
        ((0xDEADBEEF, 2**63), (2**64 - 2, 2**64 - 1, 0, 2**40)),
    ],
)
def test_philox_matches_numpy(key: tuple[int, int], counter: tuple[int, ...]) -> None:
    # numpy increments its 256-bit counter before each block: start it one below ours
    as_int = sum(word << (64 * i) for i, word in enumerate(counter))
    below = (as_int - 1) % 2**256
    numpy_counter = np.array([(below >> (64 * i)) & (2**64 - 1) for i in range(4)], np.uint64)
    ref = np.random.Philox(key=np.array(key, np.uint64), counter=numpy_counter).random_raw(4)
    assert _core.philox4x64_10(list(counter), key) == [int(x) for x in ref]


def uniforms_reference(key: tuple[int, int], sweep: int, chain: int, stream: int, n: int,
                       dtype: type) -> np.ndarray:
    """Block b of a row is Philox(counter=(b, sweep, chain, stream)); float32 takes the
    high then the low 32 bits of each word (24-bit mantissas), float64 53 bits per word."""
    out = []
    block = 0
    while len(out) < n:
        words = _core.philox4x64_10([block, sweep, chain, stream], key)
        for w in words:
            if dtype == np.float32:
                out.append((w >> 40) * 2.0**-24)
                out.append(((w >> 8) & 0xFFFFFF) * 2.0**-24)
            else:
                out.append((w >> 11) * 2.0**-53)
        block += 1
    return np.array(out[:n], dtype=dtype)


# lengths around the vectorized generators' steps (AVX-512: 8 and 32 blocks, AVX2: 4 and
# 12 blocks, of 8 float32 / 4 float64 uniforms) and the model's layer sizes
@pytest.mark.parametrize(
    "n", [1, 7, 15, 16, 17, 31, 32, 33, 47, 48, 49, 63, 64, 65, 95, 96, 97, 100, 129, 257, 500,
          784, 1031])
def test_uniform_row_layout(dtype: type, n: int) -> None:
    out = np.empty(n, dtype)
    _core.uniform_row(out, (11, 22), 3, 5, STREAMS["hidden"])
    np.testing.assert_array_equal(out, uniforms_reference((11, 22), 3, 5, STREAMS["hidden"], n, dtype))


@pytest.mark.parametrize(
    ("key", "sweep", "chain"),
    [((2**64 - 1, 2**64 - 1), 2**64 - 1, 2**64 - 1), ((0, 0), 0, 0), ((2**63, 12345), 2**32, 2**32 - 1)],
)
def test_uniform_row_extreme_counters(dtype: type, key: tuple[int, int], sweep: int, chain: int) -> None:
    # the vector generator's 64 x 64-bit products and key schedule at the carries' edges
    out = np.empty(300, dtype)
    _core.uniform_row(out, key, sweep, chain, STREAMS["test"])
    np.testing.assert_array_equal(out, uniforms_reference(key, sweep, chain, STREAMS["test"], 300, dtype))


def test_uniforms_are_uniform(dtype: type) -> None:
    out = np.empty(200_000, dtype)
    _core.uniform_row(out, (5, 6), 0, 0, STREAMS["test"])
    assert out.min() >= 0.0 and out.max() < 1.0
    assert stats.kstest(out.astype(np.float64), "uniform").pvalue > 1e-3


def test_streams_are_distinct() -> None:
    ids = list(STREAMS.values())
    assert len(set(ids)) == len(ids)
    a, b = np.empty(64), np.empty(64)
    _core.uniform_row(a, (1, 1), 0, 0, STREAMS["hidden"])
    _core.uniform_row(b, (1, 1), 0, 0, STREAMS["visible"])
    assert not np.array_equal(a, b)


def test_draw_key_and_generators() -> None:
    assert draw_key(3) == draw_key(3)
    assert draw_key(3) != draw_key(4)
    gen = np.random.default_rng(0)
    assert draw_key(gen) != draw_key(gen)  # the generator advances
    assert as_generator(gen) is gen
    with pytest.raises(TypeError, match="rng"):
        as_generator("seed")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rng"):
        as_generator(-1)

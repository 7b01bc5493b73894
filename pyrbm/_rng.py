"""Random-state plumbing: user generators in, 128-bit Philox keys out.

Every pyrbm function that draws accepts ``rng: np.random.Generator | int | None`` and
draws one fresh 128-bit key from it per call; the compiled kernels derive every random
number from that key and a counter (unit block, sweep, chain, stream), so results do not
depend on the number of threads.
"""

from __future__ import annotations

from typing import Union

import numpy as np

from . import _core

RngLike = Union[np.random.Generator, int, np.integer, np.random.SeedSequence, None]

#: Stream ids of the C++ registry (csrc/rng.hpp), by name.
STREAMS: dict[str, int] = dict(_core.STREAMS)


def as_generator(rng: RngLike, name: str = "rng") -> np.random.Generator:
    """Return a ``numpy.random.Generator`` for ``rng``.

    Parameters
    ----------
    rng : numpy.random.Generator, int, numpy.random.SeedSequence or None
        An existing generator (used as is, its state advances), a seed, or None for
        fresh OS entropy.
    name : str
        Argument name used in error messages.

    Returns
    -------
    numpy.random.Generator
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, np.random.SeedSequence):
        return np.random.default_rng(rng)
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, (bool, np.bool_)):
        if int(rng) < 0:
            raise ValueError(f"{name}: a seed must be non-negative, got {int(rng)}")
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"{name}: expected numpy.random.Generator, int seed or None, got {type(rng).__name__}"
    )


def draw_key(rng: RngLike, name: str = "rng") -> tuple[int, int]:
    """Draw a fresh 128-bit Philox key (two uint64 words) from ``rng``.

    Parameters
    ----------
    rng : numpy.random.Generator, int or None
        Source of randomness; a Generator's state advances by one draw of two words.
    name : str
        Argument name used in error messages.

    Returns
    -------
    tuple of int
        ``(k0, k1)``, each in ``[0, 2**64)``.
    """
    words = as_generator(rng, name).integers(0, 2**64, size=2, dtype=np.uint64)
    return int(words[0]), int(words[1])

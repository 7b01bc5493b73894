"""The ladder of parallel tempering (pyrbm.sampling._ladder): adaptation to a target
swap acceptance, on a known barrier and on a small bimodal RBM."""

from __future__ import annotations

import numpy as np

from pyrbm import sampling
from pyrbm.sampling import adapt_ladder

from .sampling_cases import bimodal


# -- the ladder ------------------------------------------------------------------------
def test_adapt_ladder_equalizes_a_known_barrier() -> None:
    """If the rejection of a pair is c * (its width), the adapted ladder has equal widths
    and total rejection (n - 1)(1 - target): beta_min = 1 - (n - 1)(1 - target) / c."""
    c, target, n = 3.0, 0.7, 6
    betas = np.array([0.2, 0.3, 0.5, 0.8, 0.9, 1.0])
    for _ in range(3):
        betas = adapt_ladder(betas, 1.0 - c * np.diff(betas), target)
    expected = np.linspace(1.0 - (n - 1) * (1.0 - target) / c, 1.0, n)
    np.testing.assert_allclose(betas, expected, atol=1e-12)
    # an easy model (no rejection anywhere) extends the ladder down to beta = 0
    low = adapt_ladder(np.array([0.5, 0.75, 1.0]), np.array([0.99, 0.99]), 0.3)
    assert low[0] == 0.0 and np.all(np.diff(low) > 0)


def test_adaptation_reaches_the_target_acceptance() -> None:
    rbm = bimodal()
    res = sampling.parallel_tempering(rbm, 120, 600, betas=6, target_acceptance=0.7, rng=2)
    assert res.betas[0] > 0.2  # the target is reached above beta = 0
    np.testing.assert_allclose(res.swap_acceptance, 0.7, atol=0.03)
    # a lower target than beta = 0 allows: the ladder stops at 0, acceptance equal
    low = sampling.parallel_tempering(rbm, 120, 600, betas=6, target_acceptance=0.3, rng=2)
    assert low.betas[0] == 0.0 and np.ptp(low.swap_acceptance) < 0.05
    fixed = sampling.parallel_tempering(rbm, 20, 100, betas=6, adapt=False, rng=2)
    np.testing.assert_array_equal(fixed.betas, sampling.initial_ladder(6))
    assert fixed.adapted_sweeps == 0

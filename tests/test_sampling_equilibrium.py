"""Equilibrium samples with their mixing report (pyrbm.sampling.equilibrium): the
samples reverse AIS and the model-sample figures start from."""

from __future__ import annotations

import pytest

from pyrbm import sampling

from .sampling_cases import bimodal, chi_square_p, exact_law, trajectory


# -- equilibrium samples with their mixing report (for reverse AIS / model samples) ------
def test_equilibrium_samples_report_mixing() -> None:
    rbm = bimodal()
    law = exact_law(rbm)
    pt = sampling.equilibrium_samples(rbm, 600, 200, sampler="pt", temperatures=6, rng=0)
    assert chi_square_p(pt.v, law) > 1e-3
    assert pt.swap_acceptance.shape == (5,) and pt.round_trips > 0
    gibbs = sampling.equilibrium_samples(rbm, 600, 200, sampler="gibbs", rng=0)
    # Gibbs chains from random bits split between the modes and stay: R-hat far above 1
    # and tau of the order of the recorded 100 sweeps; PT's chains cross (tau ~ 20 sweeps)
    assert gibbs.rhat > 5 and pt.rhat < 1.3
    assert gibbs.tau > 5 * pt.tau
    assert gibbs.ess < 2 * 600 < pt.ess  # stuck chains: an ESS of the order of the chains
    ptt = sampling.equilibrium_samples(rbm, 600, 200, sampler="ptt", models=trajectory(rbm, 8),
                                       rng=0)
    assert chi_square_p(ptt.v, law) > 1e-3
    with pytest.raises(ValueError, match="sampler: expected one of"):
        sampling.equilibrium_samples(rbm, 10, 20, sampler="hmc")
    with pytest.raises(ValueError, match="models: sampler 'ptt' needs"):
        sampling.equilibrium_samples(rbm, 10, 20, sampler="ptt")
    with pytest.raises(ValueError, match="models: the last model"):
        sampling.equilibrium_samples(rbm, 10, 20, sampler="ptt", models=trajectory(rbm, 3)[:2])

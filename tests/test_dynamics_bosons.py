"""pyrbm.dynamics.bosons: the Fokker-Planck operator of a mode as coupled bosons (docs/equations.md E17)."""

from __future__ import annotations

import numpy as np
import pytest

from pyrbm import bosons


@pytest.mark.parametrize(
    "pair",
    [
        bosons.BosonPair(0.5),  # beta lambda well below 4
        bosons.BosonPair(2.0),
        bosons.BosonPair(7.0),  # beta lambda > 4: no stationary state
        bosons.BosonPair(1.0, 3.0, 5.0),  # unequal stiffnesses
    ],
)
def test_fock_spectrum_matches_analytic(pair):
    numeric = pair.fock_spectrum(8, n_max=24)
    analytic = pair.spectrum(8)
    np.testing.assert_allclose(numeric, analytic, atol=1e-6)


def test_analytic_spectrum_is_integer_combinations_of_hessian_eigenvalues():
    pair = bosons.BosonPair.from_mode(1.5, beta=2.0)  # c = 3: kappa = 1, 7
    np.testing.assert_allclose(pair.normal_mode_frequencies, [1.0, 7.0])
    np.testing.assert_allclose(pair.spectrum(9), [0, 1, 2, 3, 4, 5, 6, 7, 7])
    unstable = bosons.BosonPair(6.0)  # kappa = -2, 10: ground |kappa|, quanta 2 and 10
    assert not unstable.has_stationary_state
    np.testing.assert_allclose(unstable.spectrum(4), [2, 4, 6, 8])


def test_ground_state_is_the_stationary_density():
    # With a stationary state, the zero mode of H is exp(-Phi/2): its Fock ground vector
    # has eigenvalue 0 (up to truncation); without one the ground energy is positive.
    assert bosons.BosonPair(1.0).fock_spectrum(1, n_max=20)[0] == pytest.approx(0, abs=1e-9)
    assert bosons.BosonPair(5.0).fock_spectrum(1, n_max=30)[0] == pytest.approx(1.0, abs=1e-4)


def test_boson_parameters():
    lam, beta = 2.5, 1.2
    pair = bosons.BosonPair.from_mode(lam, beta=beta)
    c = beta * lam
    omega = np.sqrt(16 + c**2)
    np.testing.assert_allclose(pair.frequencies, [omega, omega])
    assert pair.boson_coupling == pytest.approx(4 * c / omega)
    np.testing.assert_allclose(pair.hessian, [[4, -c], [-c, 4]])
    np.testing.assert_allclose(pair.potential_matrix, pair.hessian @ pair.hessian)
    h = pair.fock_matrix(5)
    assert h.shape == (36, 36)
    np.testing.assert_array_equal(h, h.T)
    # <0,0|H|1,1> = -g, <1,0|H|1,0> = omega + offset
    assert h[0, 7] == pytest.approx(-pair.boson_coupling)
    assert h[6, 6] == pytest.approx(omega + pair.offset)


def test_stationary_iff_beta_lambda_below_four_in_beta_and_lambda():
    lam = np.array([0.5, 3.9, 4.1, 10.0])
    np.testing.assert_array_equal(bosons.stationary(lam, beta=1.0), [True, True, False, False])
    np.testing.assert_array_equal(bosons.stationary([2.0] * 3, beta=1.9), [True] * 3)
    np.testing.assert_array_equal(bosons.stationary([2.0], beta=2.1), [False])
    freqs = bosons.normal_mode_frequencies(lam, beta=0.5)
    np.testing.assert_allclose(freqs, np.stack([4 - 0.5 * lam, 4 + 0.5 * lam], 1))
    pairs = bosons.mode_pairs(lam, beta=0.5)
    np.testing.assert_allclose([p.normal_mode_frequencies for p in pairs], freqs)


def test_bad_input():
    with pytest.raises(ValueError, match="stiffness_x"):
        bosons.BosonPair(1.0, -1.0)
    with pytest.raises(TypeError, match="coupling"):
        bosons.BosonPair("a")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="singular_value"):
        bosons.BosonPair.from_mode(-1.0)
    with pytest.raises(ValueError, match="n_levels"):
        bosons.BosonPair(1.0).spectrum(0)
    with pytest.raises(ValueError, match="n_levels"):
        bosons.BosonPair(1.0).fock_spectrum(50, n_max=3)
    with pytest.raises(ValueError, match="coupling"):
        bosons.BosonPair(4.0).spectrum(3)  # zero frequency: continuous spectrum
    with pytest.raises(ValueError, match="singular_values"):
        bosons.stationary([[1.0]])
    with pytest.raises(ValueError, match="beta"):
        bosons.normal_mode_frequencies([1.0], beta=-1.0)

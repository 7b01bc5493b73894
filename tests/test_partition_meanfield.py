"""Mean-field reciprocal-space log Z (E20, E21) against exact enumeration."""

from __future__ import annotations

import numpy as np
import pytest
from tests.conftest import small_rbm

import pyrbm
from pyrbm import meanfield, partition


def gaussian_mode_reference(lam, a0, b0, mu_x, mu_y, s2=0.25):
    """ln of one mode's Gaussian integral E[exp(a0 x + b0 y + lam x y)] by quadrature."""
    grid = np.linspace(-12, 12, 2401) * np.sqrt(s2)
    x, y = np.meshgrid(mu_x + grid, mu_y + grid, indexing="ij")
    log_density = -((x - mu_x) ** 2 + (y - mu_y) ** 2) / (2 * s2) - np.log(2 * np.pi * s2)
    integrand = np.exp(log_density + a0 * x + b0 * y + lam * x * y)
    step = grid[1] - grid[0]
    return float(np.log(integrand.sum() * step * step))


def test_agrees_with_exact_for_small_weights(dtype):
    rbm = small_rbm(8, 8, 0.01, dtype, 0)
    exact = partition.log_z_exact(rbm)
    for form in ("e20", "e21"):
        assert abs(pyrbm.log_partition(rbm, "meanfield", form=form).value - exact) < 1e-3


def test_degrades_as_weights_grow():
    errors = []
    for std in (0.01, 0.05, 0.2, 0.4):
        rbm = small_rbm(8, 8, std, np.float64, 1)
        errors.append(abs(meanfield.log_z_e20(rbm) - partition.log_z_exact(rbm)))
    assert errors[0] < 1e-5
    assert all(e1 > 5 * e0 for e0, e1 in zip(errors, errors[1:]))


@pytest.mark.parametrize("shape", [(8, 8), (11, 5), (5, 11)])
@pytest.mark.parametrize("beta", [0.3, 1.0, 2.0])
def test_e20_equals_e21(shape, beta):
    rbm = small_rbm(*shape, 0.3, np.float64, 2)
    e20 = meanfield.log_z_e20(rbm, beta=beta)
    assert meanfield.log_z_e21(rbm, beta=beta) == pytest.approx(e20, rel=1e-10, abs=1e-10)


def test_paired_term_matches_quadrature():
    # One 1x1 model: the whole E20 is a single 2-D Gaussian integral.
    rbm = pyrbm.RBM(np.array([[1.7]]), np.array([0.4]), np.array([-0.9]))
    rec = meanfield.reciprocal(rbm)
    ref = 2 * np.log(2) + gaussian_mode_reference(
        rec.singular_values[0], rec.a0[0], rec.b0[0], rec.mu_x[0], rec.mu_y[0]
    )
    assert meanfield.log_z_e20(rbm) == pytest.approx(ref, rel=1e-9)


@pytest.mark.parametrize("shape", [(9, 4), (4, 9)])
def test_unpaired_modes_are_included(shape):
    # Tiny W, sizable biases: the |N - M| unpaired modes carry bias terms of order 0.1;
    # with them the Gaussian value matches exact enumeration closely.
    gen = np.random.default_rng(4)
    n, m = shape
    rbm = pyrbm.RBM(gen.normal(0, 1e-3, shape), gen.normal(0, 0.3, n), gen.normal(0, 0.3, m))
    error = abs(meanfield.log_z_e20(rbm) - partition.log_z_exact(rbm))
    unpaired = abs(meanfield._unpaired(meanfield.reciprocal(rbm), 1.0))
    assert error < 2e-3
    assert unpaired > 20 * error


def test_flags_modes_with_beta_lambda_at_least_4():
    rbm = small_rbm(8, 8, 1.0, np.float64, 3)
    lam = np.linalg.svd(rbm.weights, compute_uv=False)
    beta = 4.0 / lam[1] * 1.01  # modes 0 and 1 violate the condition
    for fn in (meanfield.log_z_e20, meanfield.log_z_e21):
        with pytest.raises(meanfield.MeanFieldDivergence, match="2 mode") as info:
            fn(rbm, beta=beta)
        np.testing.assert_array_equal(info.value.modes, [0, 1])
        np.testing.assert_allclose(info.value.beta_lambda, beta * lam[:2])
    assert isinstance(info.value, ValueError)
    np.testing.assert_array_equal(meanfield.divergent_modes(rbm, beta=beta), [0, 1])
    assert meanfield.divergent_modes(rbm, beta=3.99 / lam[0]).size == 0
    assert np.isfinite(meanfield.log_z_e20(rbm, beta=3.99 / lam[0]))


def test_e21_needs_nonzero_singular_values():
    w = np.zeros((5, 3))
    w[0, 0] = 0.5  # rank 1: two paired modes have lambda = 0
    rbm = pyrbm.RBM(w, np.full(5, 0.1), np.full(3, -0.2))
    with pytest.raises(ValueError, match="E21"):
        meanfield.log_z_e21(rbm)
    assert np.isfinite(meanfield.log_z_e20(rbm))


def test_beta_zero_counts_states():
    rbm = small_rbm(6, 4, 0.5, np.float64, 5)
    assert meanfield.log_z_e20(rbm, beta=0.0) == pytest.approx(10 * np.log(2))

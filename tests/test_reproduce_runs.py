"""Per-run quantities of pyrbm reproduce (pyrbm.reproduce.runs) against their reference
in pyrbm.analysis.reciprocal."""

from __future__ import annotations

import numpy as np

from pyrbm.analysis.reciprocal import decompose
from pyrbm.reproduce.runs import ModeRecorder, mode1_uw

from .conftest import small_rbm
from .reproduce_cases import _restore_threads  # noqa: F401 - a fixture


# -- per-checkpoint quantities against their reference in pyrbm.analysis.reciprocal ------------------
def test_mode_recorder_and_mode1_match_decompose() -> None:
    rbm = small_rbm(13, 7, 1.0, np.float64, seed=5)
    dec = decompose(rbm)
    rec = ModeRecorder(3)(rbm, None)
    np.testing.assert_allclose([rec[f"sv_{i}"] for i in range(3)], dec.singular_values[:3])
    np.testing.assert_allclose([rec[f"eps_{i}"] for i in range(3)], dec.saddle_energies()[:3])
    np.testing.assert_allclose(rec["eps_total"], dec.saddle_energies().sum())
    gen = np.random.default_rng(2)
    v = (gen.random((11, 13)) < 0.5).astype(np.float64)
    h = gen.random((11, 7))
    u, w = dec.to_uw(*dec.to_reciprocal(v, h))
    np.testing.assert_allclose(mode1_uw(rbm, v, h), np.stack([u[:, 0], w[:, 0]], 1), atol=1e-12)

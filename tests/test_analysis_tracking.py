"""pyrbm.analysis.tracking: modes followed through a crossing, signs kept continuous."""

from __future__ import annotations

import numpy as np
import pytest

import pyrbm
from pyrbm.analysis import reciprocal
from pyrbm.analysis.tracking import track_modes


def crossing_sequence(n_steps: int) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Weights whose modes 0 and 1 cross between two checkpoints (even ``n_steps``).

    Returns the matrices, the true singular values per step (T, 3) and the fixed
    singular vectors (U, V) of the three planted modes.
    """
    gen = np.random.default_rng(7)
    n, m = 17, 11
    u = np.linalg.qr(gen.normal(size=(n, 3)))[0]
    v = np.linalg.qr(gen.normal(size=(m, 3)))[0]
    lam = np.stack([np.linspace(3.0, 1.0, n_steps), np.linspace(1.0, 3.0, n_steps),
                    np.full(n_steps, 0.5)], axis=1)
    noise = 1e-3 * gen.normal(size=(n, m))
    mats = [(u * lam[t]) @ v.T + noise for t in range(n_steps)]
    return mats, lam, np.concatenate([u, v])


def test_track_modes_follows_a_crossing_and_fixes_signs() -> None:
    mats, lam, _ = crossing_sequence(8)
    track = track_modes(iter(mats), keep=True)
    assert track.singular_values.shape == (8, 11)
    np.testing.assert_allclose(track.singular_values[:, :3], lam, atol=1e-2)
    # Plain descending order swaps the two crossing modes after the crossing.
    assert np.all(track.order[-1, :2] == [1, 0])
    assert np.all(track.overlaps[1:, :3] > 0.99)
    decs = track.decompositions
    assert decs is not None
    for prev, cur in zip(decs[:-1], decs[1:]):
        overlap = np.sum(prev.U[:, :3] * cur.U[:, :3], axis=0)
        assert np.all(overlap > 0.99)
        sigma = np.zeros((17, 11))
        sigma[:11, :11] = np.diag(cur.singular_values)
        np.testing.assert_allclose(cur.U @ sigma @ cur.V.T, cur.weights, atol=1e-12)
    eps = track_modes([pyrbm.RBM(mats[0], np.ones(17), np.ones(11))])
    dec0 = reciprocal.decompose(pyrbm.RBM(mats[0], np.ones(17), np.ones(11)))
    np.testing.assert_allclose(eps.saddle_energies[0], dec0.saddle_energies())


def test_track_modes_keeps_signs_continuous_where_the_gauge_flips() -> None:
    # Mode 0's left vector turns by pi over the sequence; its column sum changes sign
    # halfway, so the single-SVD gauge flips it, and tracking must undo that.
    n, m = 13, 5
    gen = np.random.default_rng(3)
    q = np.linalg.qr(np.column_stack([np.ones(n), gen.normal(size=(n, 3))]))[0]
    q[:, 0] *= np.sign(q[:, 0].sum())
    vs = np.linalg.qr(gen.normal(size=(m, 2)))[0]
    angles = np.linspace(0, np.pi, 11)
    mats = [4 * np.outer(np.cos(t) * q[:, 0] + np.sin(t) * q[:, 1], vs[:, 0])
            + np.outer(q[:, 2], vs[:, 1]) for t in angles]
    track = track_modes(mats, keep=True)
    assert np.any(track.signs[:, 0] < 0)
    decs = track.decompositions
    assert decs is not None
    np.testing.assert_allclose(decs[-1].U[:, 0], -q[:, 0], atol=1e-10)
    np.testing.assert_allclose(reciprocal.decompose(mats[-1]).U[:, 0], q[:, 0], atol=1e-10)
    # Overlap = (U_prev.U + V_prev.V) / 2 with V fixed.
    np.testing.assert_allclose(track.overlaps[1:, 0], (1 + np.cos(np.pi / 10)) / 2, atol=1e-10)
    np.testing.assert_allclose(track.overlaps[1:, 1], 1.0, atol=1e-10)


def test_track_modes_bad_input() -> None:
    with pytest.raises(ValueError, match="checkpoints"):
        track_modes([])
    with pytest.raises(ValueError, match="checkpoints"):
        track_modes([np.eye(3), np.eye(4)])

"""Givens rotations (Numba kernel vs NumPy), W_rot, histograms and divergences."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats

from pyrbm import reciprocal, symmetry


def givens_reference(rot: symmetry.GivensRotation) -> np.ndarray:
    """Dense product G_{k-1} ... G_0 built with NumPy."""
    r = np.eye(rot.n)
    for (p, q), theta in zip(rot.planes, rot.angles):
        g = np.eye(rot.n)
        c, s = np.cos(theta), np.sin(theta)
        g[p, p], g[p, q], g[q, p], g[q, q] = c, -s, s, c
        r = g @ r
    return r


def test_givens_kernel_matches_numpy_reference() -> None:
    rot = symmetry.random_givens(23, rng=1, fraction=2.0)
    assert rot.planes.shape == (46, 2) and np.all(rot.planes[:, 0] != rot.planes[:, 1])
    ref = givens_reference(rot)
    a = np.random.default_rng(2).normal(size=(23, 7))
    np.testing.assert_allclose(rot.apply(a), ref @ a, atol=1e-13)
    np.testing.assert_allclose(rot.apply_transpose(a), ref.T @ a, atol=1e-13)
    np.testing.assert_allclose(rot.matrix(), ref, atol=1e-13)
    np.testing.assert_allclose(ref.T @ ref, np.eye(23), atol=1e-13)
    with pytest.raises(ValueError, match="a"):
        rot.apply(np.zeros((5, 2)))


def test_random_givens_draws() -> None:
    rot = symmetry.random_givens(784, rng=3)
    assert rot.planes.shape == (78, 2) and rot.angles.shape == (78,)
    again = symmetry.random_givens(784, rng=3)
    np.testing.assert_array_equal(rot.planes, again.planes)
    np.testing.assert_array_equal(rot.angles, again.angles)
    many = symmetry.random_givens(5, rng=4, fraction=2000.0)
    pairs = many.planes[:, 0] * 5 + many.planes[:, 1]
    counts = np.bincount(pairs, minlength=25).reshape(5, 5)
    assert np.all(np.diag(counts) == 0)
    assert scipy.stats.chisquare(counts[~np.eye(5, dtype=bool)]).pvalue > 1e-3
    assert scipy.stats.kstest(many.angles / (2 * np.pi), "uniform").pvalue > 1e-3


def _authors_form(u: np.ndarray, lam: np.ndarray, v: np.ndarray, r_u: np.ndarray,
                  r_v: np.ndarray) -> np.ndarray:
    """(R_U U R_U^T) Sigma (R_V V^T R_V) with full U (N x N), V (M x M), in NumPy."""
    sigma = np.zeros((u.shape[0], v.shape[0]))
    sigma[: lam.size, : lam.size] = np.diag(lam)
    return (r_u @ u @ r_u.T) @ sigma @ (r_v @ v.T @ r_v)


def test_rotated_weights_is_the_authors_form_when_square() -> None:
    gen = np.random.default_rng(5)
    w = gen.normal(size=(11, 11))
    w_rot = symmetry.rotated_weights(w, rng=6, fraction=0.5)
    dec = reciprocal.decompose(w)
    rng = np.random.default_rng(6)
    r_u = givens_reference(symmetry.random_givens(11, rng, fraction=0.5))
    r_v = givens_reference(symmetry.random_givens(11, rng, fraction=0.5))
    expected = _authors_form(dec.U, dec.singular_values, dec.V, r_u, r_v)
    np.testing.assert_allclose(w_rot, expected, atol=1e-12)
    assert not np.allclose(w_rot, w)


@pytest.mark.parametrize("shape", [(13, 7), (7, 13)])
def test_rotated_weights_rotates_paired_modes_only(shape: tuple[int, int]) -> None:
    n, m = shape
    k = min(n, m)
    gen = np.random.default_rng(8)
    w = gen.normal(size=shape)
    w_rot = symmetry.rotated_weights(w, rng=9, fraction=0.5)
    dec = reciprocal.decompose(w)
    rng = np.random.default_rng(9)
    r_u = givens_reference(symmetry.random_givens(n, rng, fraction=0.5))
    r_v = givens_reference(symmetry.random_givens(m, rng, fraction=0.5))
    q = givens_reference(symmetry.random_givens(k, rng, fraction=int(0.5 * max(n, m)) / k
                                                + 1e-12))
    q_u, q_v = (q, r_v) if n > m else (r_u, q)
    u, v, lam = dec.U[:, :k], dec.V[:, :k], dec.singular_values
    expected = (r_u @ u @ q_u.T) @ np.diag(lam) @ (q_v @ v.T @ r_v)
    np.testing.assert_allclose(w_rot, expected, atol=1e-12)
    np.testing.assert_allclose(np.linalg.svd(w_rot, compute_uv=False), lam, atol=1e-12)
    # Another valid basis of the null space leaves W and pyrbm's W_rot unchanged (they
    # never see it) but changes the authors' form: the dependence that was removed.
    big_u, big_v = dec.U.copy(), dec.V.copy()
    null = big_u if n > m else big_v
    extra = null.shape[0] - k
    null[:, k:] = null[:, k:] @ np.linalg.qr(gen.normal(size=(extra, extra)))[0]
    sigma = np.zeros(shape)
    sigma[:k, :k] = np.diag(lam)
    np.testing.assert_allclose(big_u @ sigma @ big_v.T, w, atol=1e-12)
    first = _authors_form(dec.U, lam, dec.V, r_u, r_v)
    other = _authors_form(big_u, lam, big_v, r_u, r_v)
    assert np.abs(first - other).max() > 1e-3


def test_histograms_and_divergences() -> None:
    gen = np.random.default_rng(7)
    x, y = gen.normal(size=1000), gen.normal(0.5, 1, size=(20, 40))
    p, q, edges = symmetry.entry_histograms(x, y, bins=50)
    assert p.shape == q.shape == (50,) and edges.shape == (51,)
    assert p.sum() == pytest.approx(1) and q.sum() == pytest.approx(1)
    assert edges[0] == min(x.min(), y.min()) and edges[-1] == max(x.max(), y.max())
    a, b = np.array([0.1, 0.4, 0.5]), np.array([0.3, 0.3, 0.4])
    assert symmetry.kl_divergence(a, b) == pytest.approx(np.sum(a * np.log(a / b)))
    mid = (a + b) / 2
    js = 0.5 * np.sum(a * np.log(a / mid)) + 0.5 * np.sum(b * np.log(b / mid))
    assert symmetry.js_divergence(a, b) == pytest.approx(js)
    assert symmetry.js_divergence(b, a) == pytest.approx(js)
    assert symmetry.js_divergence(a, b, base=2) == pytest.approx(js / np.log(2))
    assert symmetry.js_divergence(a, 3 * a) == pytest.approx(0, abs=1e-15)
    assert symmetry.js_divergence([1, 0], [0, 1]) == pytest.approx(np.log(2))
    assert symmetry.kl_divergence([0.5, 0.5], [1, 0]) == np.inf
    with pytest.raises(ValueError, match="q"):
        symmetry.js_divergence(a, b[:2])
    with pytest.raises(ValueError, match="p"):
        symmetry.kl_divergence([-1, 2], [1, 1])


def structured_weights(n: int, m: int, seed: int) -> np.ndarray:
    """Noise plus strong low-rank features living on a few visible units (like the
    central pixels of MNIST digits), a stand-in for a trained matrix."""
    gen = np.random.default_rng(seed)
    u = np.zeros((n, 20))
    u[: n // 6] = gen.normal(size=(n // 6, 20))
    u /= np.linalg.norm(u, axis=0)
    v = gen.normal(size=(m, 20)) / np.sqrt(m)
    return gen.normal(0, 0.01, (n, m)) + 10 * u @ v.T


def test_js_untrained_at_noise_level_and_structured_far_above() -> None:
    n, m, bins = 300, 200, 200
    gen = np.random.default_rng(8)
    untrained = [symmetry.rotation_js(gen.normal(0, 0.01, (n, m)), gen, bins=bins)
                 for _ in range(3)]
    # Noise level: JS between the histograms of two independent Gaussian matrices.
    noise = []
    for _ in range(3):
        p, q, _ = symmetry.entry_histograms(gen.normal(0, 0.01, (n, m)),
                                            gen.normal(0, 0.01, (n, m)), bins=bins)
        noise.append(symmetry.js_divergence(p, q))
    assert 0.3 < np.mean(untrained) / np.mean(noise) < 3
    trained = symmetry.rotation_js(structured_weights(n, m, 9), gen, bins=bins)
    assert trained > 10 * max(untrained)


def test_js_vs_hidden() -> None:
    gen = np.random.default_rng(10)
    by_m = {m: [gen.normal(0, 0.01, (60, m)) for _ in range(3)] for m in (53, 29)}
    curve = symmetry.js_vs_hidden(by_m, rng=11, bins=100)
    np.testing.assert_array_equal(curve.hidden_sizes, [29, 53])
    np.testing.assert_allclose(curve.inv_hidden, [1 / 29, 1 / 53])
    assert len(curve.values) == 2 and curve.values[0].shape == (3,)
    np.testing.assert_allclose(curve.mean, [v.mean() for v in curve.values])
    np.testing.assert_allclose(curve.std, [v.std(ddof=1) for v in curve.values])
    again = symmetry.js_vs_hidden(by_m, rng=11, bins=100)
    np.testing.assert_array_equal(again.mean, curve.mean)
    with pytest.raises(ValueError, match=r"weights_by_hidden\[7\]\[0\]"):
        symmetry.js_vs_hidden({7: [np.zeros((5, 6))]})
    with pytest.raises(ValueError, match="weights_by_hidden"):
        symmetry.js_vs_hidden({})

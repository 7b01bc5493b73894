"""Null controls of the claim checks: models and data on which a claim is false.

* :func:`random_walk` / :func:`random_walk_path`: ``W`` moved by i.i.d. Gaussian steps
  of the training's own sizes (the Frobenius norm of each checkpoint-to-checkpoint
  change), i.e. training that learned nothing. A sum of i.i.d. steps is an i.i.d.
  Gaussian matrix, so its spectrum stays MP with a wider bulk.
* :func:`haar_control`: the same singular values and biases with Haar-random singular
  vectors (the spectrum without the features).
* :func:`heteroscedastic_spectra`: random matrices whose columns have different
  variances (no longer the MP law).
* :func:`shuffle_pixels`: every pixel column permuted independently across images
  (each pixel keeps its mean, all correlations are gone).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..model import RBM

__all__ = ["haar_control", "haar_orthogonal", "heteroscedastic_spectra", "random_walk",
           "random_walk_path", "shuffle_pixels"]


def random_walk(initial: np.ndarray, final: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``initial`` plus i.i.d. Gaussian entries with the Frobenius norm of ``final - initial``.

    Parameters
    ----------
    initial, final : numpy.ndarray, shape (N, M)
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray, shape (N, M), float64
    """
    return random_walk_path(initial, [initial, final], rng)[-1]


def random_walk_path(initial: np.ndarray, path: Sequence[np.ndarray],
                     rng: np.random.Generator) -> list[np.ndarray]:
    """A random walk of ``W`` with the step sizes of a training path.

    Step ``t`` adds i.i.d. ``N(0, s_t^2)`` entries with ``s_t^2 = ||W_t - W_{t-1}||_F^2 /
    (N M)``, starting from ``initial`` (the path's own first matrix).

    Parameters
    ----------
    initial : numpy.ndarray, shape (N, M)
    path : sequence of numpy.ndarray, shape (N, M), length T
        The checkpoints, ``path[0]`` the initial weights.
    rng : numpy.random.Generator

    Returns
    -------
    list of numpy.ndarray, length T
        ``out[0]`` is ``initial``.
    """
    w = np.asarray(initial, np.float64).copy()
    out = [w.copy()]
    for before, after in zip(path[:-1], path[1:]):
        step = np.sqrt(np.mean((np.asarray(after, np.float64) - before) ** 2))
        w = w + rng.normal(0.0, step, w.shape)
        out.append(w.copy())
    return out


def haar_orthogonal(n: int, rng: np.random.Generator) -> np.ndarray:
    """A Haar-random ``n x n`` orthogonal matrix (QR of a Gaussian, signs fixed)."""
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def haar_control(rbm: RBM, rng: np.random.Generator) -> RBM:
    """``rbm``'s singular values and biases with Haar-random singular vectors.

    Parameters
    ----------
    rbm : RBM, W of shape (N, M)
    rng : numpy.random.Generator

    Returns
    -------
    RBM
        Same dtype; ``W = U_rand diag(lambda) V_rand^T``.
    """
    w = np.asarray(rbm.weights, np.float64)
    n, m = w.shape
    k = min(n, m)
    lam = np.linalg.svd(w, compute_uv=False)
    u = haar_orthogonal(n, rng)[:, :k]
    v = haar_orthogonal(m, rng)[:, :k]
    return RBM(((u * lam) @ v.T).astype(rbm.dtype), rbm.visible_bias.copy(),
               rbm.hidden_bias.copy())


def heteroscedastic_spectra(n: int, m: int, n_matrices: int, std: float,
                            rng: np.random.Generator, spread: float = 0.5) -> np.ndarray:
    """Pooled singular values of matrices whose column stds are ``std * U(1-spread, 1+spread)``.

    Returns
    -------
    numpy.ndarray, shape (n_matrices, min(n, m))
    """
    out = []
    for _ in range(n_matrices):
        scale = std * rng.uniform(1.0 - spread, 1.0 + spread, m)
        out.append(np.linalg.svd(rng.standard_normal((n, m)) * scale, compute_uv=False))
    return np.array(out)


def shuffle_pixels(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Every column of ``images`` permuted independently across the rows.

    Parameters
    ----------
    images : numpy.ndarray, shape (n_images, N)
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray, same shape and dtype
        Each pixel keeps its values (its mean); the correlations between pixels are gone.
    """
    return rng.permuted(np.asarray(images), axis=0)

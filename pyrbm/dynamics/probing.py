"""Hierarchical probing: regenerate visible samples with rotated or scrambled modes.

Sample the model (Gibbs), take the hidden states ``h``, their reciprocal coordinates
``y = V^T h``, and regenerate ``v ~ Bernoulli(sigmoid(beta (a + U R diag(s) y)))``
(docs/equations.md, "Hierarchical probing"). ``R = I`` at full rank is the ordinary
conditional ``p(v | h)``; a rotation ``R`` mixing low modes (index >= 5, i.e. modes >= 6)
barely changes the samples, one in the plane of modes 1 and 2 changes them drastically.

The fields come from the C++ low-rank kernel at cost ``O(r (N + M))`` per chain (rank
``r``: only the ``r`` leading modes are kept). Conventions: thin SVD
``W = U diag(s) V^T`` in the gauge of :func:`pyrbm.analysis.reciprocal.decompose`; modes are
0-based here (mode 0 = largest singular value = the paper's mode 1). Random numbers: stream
``probing``, counter ``(block, 0, chain_offset + c, probing)``; two calls with the same
``rng`` seed use the same uniforms, so comparing rotations with common random numbers
isolates the effect of the rotation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .. import _core
from .._rng import STREAMS, RngLike, as_generator, draw_key
from ..analysis.svd import ThinSVD, thin_svd
from .._validation import finite_scalar, positive_int
from ..model import RBM

__all__ = [
    "LowRankModel",
    "ProbeResult",
    "plane_rotation",
    "probe",
    "random_plane_rotations",
]


def plane_rotation(rank: int, i: int, j: int, angle: float = np.pi) -> np.ndarray:
    """Rotation by ``angle`` in the plane of modes ``i`` and ``j`` (0-based).

    Parameters
    ----------
    rank : int
    i, j : int
        Distinct mode indices below ``rank``.
    angle : float

    Returns
    -------
    numpy.ndarray, shape (rank, rank), orthogonal
    """
    rank = positive_int(rank, "rank", minimum=2)
    i = positive_int(i, "i", minimum=0)
    j = positive_int(j, "j", minimum=0)
    if i >= rank or j >= rank or i == j:
        raise ValueError(f"i, j: need distinct indices below rank={rank}, got {i}, {j}")
    angle = finite_scalar(angle, "angle")
    r = np.eye(rank)
    c, s = np.cos(angle), np.sin(angle)
    r[i, i], r[i, j], r[j, i], r[j, j] = c, -s, s, c
    return r


def random_plane_rotations(
    rank: int,
    *,
    first_mode: int = 5,
    n_planes: int | None = None,
    angle: float = np.pi,
    rng: RngLike = None,
) -> np.ndarray:
    """Product of rotations by ``angle`` in random planes among modes ``>= first_mode``.

    Parameters
    ----------
    rank : int
    first_mode : int
        Lowest (0-based) mode that is touched; 5 = the paper's "modes >= 6".
    n_planes : int, optional
        Number of planes (default: ``rank - first_mode``).
    angle : float
        Rotation angle of each plane (pi in the paper).
    rng : numpy.random.Generator, int or None

    Returns
    -------
    numpy.ndarray, shape (rank, rank), orthogonal, identity on modes < first_mode
    """
    rank = positive_int(rank, "rank", minimum=2)
    first_mode = positive_int(first_mode, "first_mode", minimum=0)
    if rank - first_mode < 2:
        raise ValueError(
            f"first_mode: need at least 2 modes in [first_mode, rank), got {first_mode}"
        )
    n_planes = rank - first_mode if n_planes is None else positive_int(n_planes, "n_planes")
    gen = as_generator(rng)
    r = np.eye(rank)
    for _ in range(n_planes):
        i, j = gen.choice(np.arange(first_mode, rank), size=2, replace=False)
        r = plane_rotation(rank, int(i), int(j), angle) @ r
    return r


class LowRankModel:
    """The ``rank`` leading modes of an RBM, for sampling ``v`` with rotated modes.

    Parameters
    ----------
    rbm : RBM
    rank : int, optional
        Number of leading modes kept (default: all, ``min(N, M)``).
    """

    def __init__(self, rbm: RBM, rank: int | None = None):
        if not isinstance(rbm, RBM):
            raise TypeError(f"rbm: expected RBM, got {type(rbm).__name__}")
        svd = thin_svd(rbm.weights)
        full = svd.s.shape[0]
        rank = full if rank is None else positive_int(rank, "rank")
        if rank > full:
            raise ValueError(f"rank: must be <= min(n_visible, n_hidden) = {full}, got {rank}")
        self.rbm = rbm
        self.rank = rank
        self.svd = ThinSVD(svd.u[:, :rank], svd.s[:rank], svd.v[:, :rank])
        dt = rbm.dtype
        # kernel layouts: U_r^T (rank x N) for the fields, V_r (M x rank) for y = V_r^T h
        self._u_t = np.ascontiguousarray(self.svd.u.T, dtype=dt)
        self._v = np.ascontiguousarray(self.svd.v, dtype=dt)
        self._s = np.ascontiguousarray(self.svd.s, dtype=dt)

    def _rotation(self, rotation: Any) -> np.ndarray:
        if rotation is None:
            return np.eye(self.rank, dtype=self.rbm.dtype)
        r = np.asarray(rotation, dtype=np.float64)
        if r.shape != (self.rank, self.rank):
            raise ValueError(f"rotation: expected shape ({self.rank}, {self.rank}), got {r.shape}")
        if not np.all(np.isfinite(r)):
            raise ValueError("rotation: contains NaN or inf")
        return np.ascontiguousarray(r, dtype=self.rbm.dtype)

    def sample_visible(
        self,
        h: np.ndarray,
        *,
        rotation: ArrayLike | None = None,
        beta: float = 1.0,
        rng: RngLike = None,
        chain_offset: int = 0,
        return_probs: bool = False,
    ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Draw ``v ~ Bernoulli(sigmoid(beta (a + U_r R diag(s_r) V_r^T h)))``.

        Parameters
        ----------
        h : numpy.ndarray, shape (n, n_hidden)
            Binary hidden states.
        rotation : array_like, shape (rank, rank), optional
            ``R`` (default identity; any matrix is accepted, rotations are the intent).
        beta : float
        rng : numpy.random.Generator, int or None
            One 128-bit key is drawn from it.
        chain_offset : int
            Global index of row 0.
        return_probs : bool
            Also return the probabilities.

        Returns
        -------
        v : numpy.ndarray, shape (n, n_visible)
        probs : numpy.ndarray, shape (n, n_visible), only if ``return_probs``
        """
        h = self.rbm._hidden_states(h, "h")
        r = self._rotation(rotation)
        beta = finite_scalar(beta, "beta", minimum=0.0)
        chain_offset = positive_int(chain_offset, "chain_offset", minimum=0)
        key = draw_key(rng)
        v = np.empty((h.shape[0], self.rbm.n_visible), self.rbm.dtype)
        probs = np.empty_like(v) if return_probs else None
        _core.lowrank_sample_visible(
            h, self._v, r, self._s, self._u_t, self.rbm.visible_bias, beta, key, 0,
            chain_offset, STREAMS["probing"], v, probs,
        )
        if probs is not None:
            return v, probs
        return v


@dataclass(frozen=True)
class ProbeResult:
    """Regenerated samples with and without the rotation, on common random numbers.

    Attributes
    ----------
    v_model, h_model : numpy.ndarray, shapes (n, N), (n, M)
        The Gibbs samples of the model.
    v_identity, v_rotated : numpy.ndarray, shape (n, N)
        Regenerated with ``R = I`` and with ``R`` (same uniforms).
    probs_identity, probs_rotated : numpy.ndarray, shape (n, N)
    """

    v_model: np.ndarray
    h_model: np.ndarray
    v_identity: np.ndarray
    v_rotated: np.ndarray
    probs_identity: np.ndarray
    probs_rotated: np.ndarray

    @property
    def pixel_change(self) -> float:
        """Effect size: mean ``|v_rotated - v_identity|`` over chains and pixels."""
        return float(np.mean(np.abs(self.v_rotated - self.v_identity)))

    @property
    def probability_change(self) -> float:
        """Noise-free effect size: mean ``|p_rotated - p_identity|``."""
        return float(np.mean(np.abs(self.probs_rotated - self.probs_identity)))


def probe(
    rbm: RBM,
    rotation: ArrayLike,
    *,
    n_chains: int = 100,
    n_sweeps: int = 100,
    rank: int | None = None,
    beta: float = 1.0,
    rng: RngLike = None,
) -> ProbeResult:
    """Sample ``rbm`` by Gibbs and regenerate the visible units with ``R = I`` and ``R``.

    Parameters
    ----------
    rbm : RBM
    rotation : array_like, shape (rank, rank)
        E.g. :func:`plane_rotation` ``(rank, 0, 1)`` or :func:`random_plane_rotations`.
    n_chains, n_sweeps : int
        Gibbs chains (from uniform random states) and sweeps.
    rank : int, optional
        Leading modes kept (default all).
    beta : float
    rng : numpy.random.Generator, int or None

    Returns
    -------
    ProbeResult
    """
    gen = as_generator(rng)
    model = LowRankModel(rbm, rank)
    v, h = rbm.sample(n_chains, n_sweeps, beta=beta, rng=gen)
    seed = int(gen.integers(0, 2**63))  # common random numbers for both regenerations
    v_id, p_id = model.sample_visible(h, beta=beta, rng=seed, return_probs=True)
    v_rot, p_rot = model.sample_visible(h, rotation=rotation, beta=beta, rng=seed,
                                        return_probs=True)
    return ProbeResult(v, h, v_id, v_rot, p_id, p_rot)

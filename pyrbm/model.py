"""The binary RBM: parameters, energies, conditionals and blocked Gibbs sampling.

Conventions (docs/conventions.md): units are {0, 1}; ``W`` has shape ``(n_visible, n_hidden)``;
E(v, h) = -a.v - b.h - v.W.h; p(h_j = 1 | v) = sigmoid(b_j + (vW)_j);
p(v_i = 1 | h) = sigmoid(a_i + (Wh)_i); F(v) = -a.v - sum_j softplus(b_j + (vW)_j).
The inverse temperature ``beta`` multiplies the whole energy.
"""

from __future__ import annotations

from typing import Any, Literal, Self, cast

import numpy as np
from numpy.typing import DTypeLike

from . import _core
from ._gemm import matmul
from ._rng import STREAMS, RngLike, as_generator, draw_key
from ._validation import (
    INT64_MAX,
    check_allocation,
    chain_offset as checked_chain_offset,
    finite_scalar,
    float_dtype,
    model_beta,
    parameter_array,
    positive_int,
    state_array,
)

Path = Literal["auto", "dense", "sparse"]

#: Below this fraction of ones in the input states, "auto" uses the sparse gather-add
#: path (the engine's one rule, csrc/engine.hpp). For binary states both paths give the
#: same bits, so the choice is about speed only.
SPARSE_DENSITY_THRESHOLD = float(_core.SPARSE_DENSITY)

#: Path names -> the engine's codes (csrc/engine.hpp, FieldPath).
_PATH_CODES = {"auto": 0, "dense": 1, "sparse": 2}


def _check_path(path: Any) -> Path:
    if path not in ("auto", "dense", "sparse"):
        raise ValueError(f"path: expected 'auto', 'dense' or 'sparse', got {path!r}")
    return cast(Path, str(path))


def _representable(values: np.ndarray, beta: float) -> np.ndarray:
    """Energies are accumulated in float64; refuse to return ones that overflowed the
    model's dtype (only reachable with an absurd beta) instead of returning inf."""
    if not np.all(np.isfinite(values)):
        raise ValueError(
            f"beta: the energies at beta={beta:g} overflow {values.dtype}; "
            "use a float64 model or a smaller beta"
        )
    return values


class RBM:
    """Binary-binary Restricted Boltzmann Machine.

    Parameters
    ----------
    weights : numpy.ndarray, shape (n_visible, n_hidden)
        Coupling matrix ``W``, float32 or float64. The model keeps this dtype.
    visible_bias : numpy.ndarray, shape (n_visible,)
        Visible bias ``a``, same dtype.
    hidden_bias : numpy.ndarray, shape (n_hidden,)
        Hidden bias ``b``, same dtype.

    Notes
    -----
    The parameters are copied. They are exposed as writable arrays (``rbm.weights``
    etc.) that trainers update in place.

    See Also
    --------
    pyrbm.train : Fit the parameters to data.
    pyrbm.log_partition : Its normalizer ``log Z``.

    Examples
    --------
    >>> import numpy as np, pyrbm
    >>> rbm = pyrbm.RBM.random(6, 4, std=0.5, rng=0)
    >>> rbm
    RBM(n_visible=6, n_hidden=4, dtype=float32)
    >>> v, h = rbm.sample(3, 10, rng=1)  # 3 chains, 10 Gibbs sweeps
    >>> v.shape, h.shape, rbm.free_energy(v).shape
    ((3, 6), (3, 4), (3,))
    """

    def __init__(self, weights: np.ndarray, visible_bias: np.ndarray, hidden_bias: np.ndarray):
        w = parameter_array(weights, "weights", 2)
        a = parameter_array(visible_bias, "visible_bias", 1, w.dtype)
        b = parameter_array(hidden_bias, "hidden_bias", 1, w.dtype)
        if a.shape[0] != w.shape[0]:
            raise ValueError(
                f"visible_bias: expected shape ({w.shape[0]},) to match weights {w.shape}, "
                f"got {a.shape}"
            )
        if b.shape[0] != w.shape[1]:
            raise ValueError(
                f"hidden_bias: expected shape ({w.shape[1]},) to match weights {w.shape}, "
                f"got {b.shape}"
            )
        self._weights, self._visible_bias, self._hidden_bias = w, a, b

    @classmethod
    def random(
        cls,
        n_visible: int,
        n_hidden: int,
        *,
        std: float = 0.01,
        dtype: DTypeLike = np.float32,
        rng: RngLike = None,
    ) -> Self:
        """Return an RBM with ``W ~ N(0, std^2)`` and zero biases.

        Parameters
        ----------
        n_visible, n_hidden : int
            Layer sizes.
        std : float
            Standard deviation of the weights (the paper: 0.01).
        dtype : float32 or float64
        rng : numpy.random.Generator, int or None

        Returns
        -------
        RBM
        """
        n_visible = positive_int(n_visible, "n_visible")
        n_hidden = positive_int(n_hidden, "n_hidden")
        std = finite_scalar(std, "std", minimum=0.0)
        dt = float_dtype(dtype)
        gen = as_generator(rng)
        check_allocation("n_visible", f"a {n_visible} x {n_hidden} {dt} model",
                         [(n_visible, n_hidden)], dt)
        w = np.empty((n_visible, n_hidden), dt)
        # Row blocks of float64 draws: the same numbers as one draw of the whole matrix
        # (Generator.normal fills in order), without a float64 temporary of W's size.
        block = max(1, (1 << 18) // n_hidden)
        with np.errstate(over="ignore"):
            for start in range(0, n_visible, block):
                stop = min(start + block, n_visible)
                w[start:stop] = gen.normal(0.0, std, size=(stop - start, n_hidden))
                if not np.all(np.isfinite(w[start:stop])):
                    raise ValueError(f"std: weights of std {std:g} overflow {dt}")
        a, b = np.zeros(n_visible, dt), np.zeros(n_hidden, dt)
        if cls.__init__ is not RBM.__init__:  # a subclass's own __init__ runs (it copies W)
            return cls(w, a, b)
        rbm = cls.__new__(cls)  # w is new and checked: no copy (peak memory = one W)
        rbm._weights, rbm._visible_bias, rbm._hidden_bias = w, a, b
        return rbm

    @classmethod
    def from_sklearn(cls, estimator: object) -> RBM:
        """Return the RBM of a fitted scikit-learn ``BernoulliRBM`` (or pyrbm's drop-in).

        Parameters
        ----------
        estimator : sklearn.neural_network.BernoulliRBM
            Fitted: ``components_`` (n_hidden, n_visible), ``intercept_visible_``,
            ``intercept_hidden_``.

        Returns
        -------
        RBM
            ``weights = components_.T``; the estimator's dtype is kept.
        """
        from .io.formats import from_estimator

        return from_estimator(estimator)

    def to_sklearn(self, *, batch_size: int = 10) -> Any:  # scikit-learn ships no types
        """Return a fitted :class:`sklearn.neural_network.BernoulliRBM` with these parameters.

        Parameters
        ----------
        batch_size : int
            The estimator's ``batch_size`` (its ``h_samples_`` are zeros of that many rows).

        Returns
        -------
        sklearn.neural_network.BernoulliRBM
        """
        from .io.formats import to_estimator

        return to_estimator(self, batch_size=batch_size)

    # -- parameters -----------------------------------------------------------------
    @property
    def weights(self) -> np.ndarray:
        """Coupling matrix ``W``, shape ``(n_visible, n_hidden)``."""
        return self._weights

    @property
    def visible_bias(self) -> np.ndarray:
        """Visible bias ``a``, shape ``(n_visible,)``."""
        return self._visible_bias

    @property
    def hidden_bias(self) -> np.ndarray:
        """Hidden bias ``b``, shape ``(n_hidden,)``."""
        return self._hidden_bias

    @property
    def n_visible(self) -> int:
        """Number of visible units ``N``."""
        return int(self._weights.shape[0])

    @property
    def n_hidden(self) -> int:
        """Number of hidden units ``M``."""
        return int(self._weights.shape[1])

    @property
    def dtype(self) -> np.dtype:
        """Float dtype of the parameters and of every output."""
        return self._weights.dtype

    def copy(self) -> RBM:
        """Return an independent copy of the model."""
        return RBM(self._weights, self._visible_bias, self._hidden_bias)

    def __repr__(self) -> str:
        return f"RBM(n_visible={self.n_visible}, n_hidden={self.n_hidden}, dtype={self.dtype})"

    # -- fields -----------------------------------------------------------------------
    def _beta(self, beta: Any) -> float:
        """``beta`` checked against the model (representable, finite fields)."""
        return model_beta(beta, self._weights, self._visible_bias, self._hidden_bias)

    def _visible_states(self, v: Any, name: str = "v") -> np.ndarray:
        return state_array(v, name, self.n_visible, self.dtype)

    def _hidden_states(self, h: Any, name: str = "h") -> np.ndarray:
        return state_array(h, name, self.n_hidden, self.dtype)

    def _use_sparse(self, states: np.ndarray, path: str) -> bool:
        if path != "auto":
            return path == "sparse"
        return _core.density(states) < SPARSE_DENSITY_THRESHOLD

    def _hidden_fields(self, v: np.ndarray, path: str = "auto") -> np.ndarray:
        """vW, shape (n, n_hidden), by GEMM or by gather-add of the rows of W."""
        out = np.empty((v.shape[0], self.n_hidden), self.dtype)
        if self._use_sparse(v, path):
            _core.sparse_fields(v, self._weights, out)
        else:
            matmul(v, self._weights, out)
        return out

    def _visible_fields(self, h: np.ndarray, path: str = "auto") -> np.ndarray:
        """hW^T, shape (n, n_visible)."""
        out = np.empty((h.shape[0], self.n_visible), self.dtype)
        if self._use_sparse(h, path):
            _core.sparse_fields(h, np.ascontiguousarray(self._weights.T), out)
        else:
            matmul(h, self._weights.T, out)
        return out

    def _half_step(
        self, states: Any, given: str, beta: float, path: str = "auto"
    ) -> tuple[np.ndarray, np.ndarray, float]:
        """Validate ``states`` of layer ``given`` ("visible" or "hidden") and return the
        fields of the other layer, that layer's bias and the checked beta."""
        beta = self._beta(beta)
        path = _check_path(path)
        if given == "visible":
            return self._hidden_fields(self._visible_states(states, "v"), path), self._hidden_bias, beta
        return self._visible_fields(self._hidden_states(states, "h"), path), self._visible_bias, beta

    def _probs(self, states: Any, given: str, beta: float) -> np.ndarray:
        fields, bias, beta = self._half_step(states, given, beta)
        _core.probs_from_fields(fields, bias, beta, fields)
        return fields

    def _sample(
        self, states: Any, given: str, beta: float, rng: RngLike, path: str, chain_offset: int
    ) -> np.ndarray:
        fields, bias, beta = self._half_step(states, given, beta, path)
        chain_offset = checked_chain_offset(chain_offset, fields.shape[0])
        out = np.empty_like(fields)
        stream = STREAMS["hidden" if given == "visible" else "visible"]
        _core.sample_from_fields(fields, bias, beta, draw_key(rng), 0, chain_offset, stream, out)
        return out

    # -- energies ---------------------------------------------------------------------
    def energy(self, v: np.ndarray, h: np.ndarray, *, beta: float = 1.0) -> np.ndarray:
        """Energy ``beta * E(v, h)`` of each row.

        Parameters
        ----------
        v : numpy.ndarray, shape (n, n_visible)
            Binary visible states.
        h : numpy.ndarray, shape (n, n_hidden)
            Binary hidden states.
        beta : float
            Inverse temperature (multiplies the energy).

        Returns
        -------
        numpy.ndarray, shape (n,)
        """
        v = self._visible_states(v, "v")
        h = self._hidden_states(h, "h")
        if v.shape[0] != h.shape[0]:
            raise ValueError(f"h: expected {v.shape[0]} rows to match v, got {h.shape[0]}")
        beta = self._beta(beta)
        fields = self._hidden_fields(v)
        out = np.empty(v.shape[0], self.dtype)
        _core.energy_from_fields(
            v, h, fields, self._visible_bias, self._hidden_bias, beta, out
        )
        return _representable(out, beta)

    def free_energy(self, v: np.ndarray, *, beta: float = 1.0) -> np.ndarray:
        """Free energy of each visible state, with ``p_beta(v) ∝ exp(-free_energy)``.

        ``-beta a.v - sum_j softplus(beta (b_j + (vW)_j))``, computed with a stable
        softplus (finite for fields of any finite size) and accumulated in float64.

        Parameters
        ----------
        v : numpy.ndarray, shape (n, n_visible)
            Binary visible states.
        beta : float
            Inverse temperature.

        Returns
        -------
        numpy.ndarray, shape (n,)
        """
        v = self._visible_states(v, "v")
        beta = self._beta(beta)
        fields = self._hidden_fields(v)
        out = np.empty(v.shape[0], self.dtype)
        _core.free_energy_from_fields(v, fields, self._visible_bias, self._hidden_bias, beta, out)
        return _representable(out, beta)

    # -- conditionals -----------------------------------------------------------------
    def hidden_probs(self, v: np.ndarray, *, beta: float = 1.0) -> np.ndarray:
        """``p(h_j = 1 | v) = sigmoid(beta (b_j + (vW)_j))``.

        Parameters
        ----------
        v : numpy.ndarray, shape (n, n_visible)
            Binary visible states.
        beta : float
            Inverse temperature.

        Returns
        -------
        numpy.ndarray, shape (n, n_hidden)
        """
        return self._probs(v, "visible", beta)

    def visible_probs(self, h: np.ndarray, *, beta: float = 1.0) -> np.ndarray:
        """``p(v_i = 1 | h) = sigmoid(beta (a_i + (Wh)_i))``.

        Parameters
        ----------
        h : numpy.ndarray, shape (n, n_hidden)
            Binary hidden states.
        beta : float
            Inverse temperature.

        Returns
        -------
        numpy.ndarray, shape (n, n_visible)
        """
        return self._probs(h, "hidden", beta)

    # -- sampling ---------------------------------------------------------------------
    def sample_hidden(
        self,
        v: np.ndarray,
        *,
        beta: float = 1.0,
        rng: RngLike = None,
        path: Path = "auto",
        chain_offset: int = 0,
    ) -> np.ndarray:
        """Draw ``h ~ p(h | v)``.

        Parameters
        ----------
        v : numpy.ndarray, shape (n, n_visible)
            Binary visible states.
        beta : float
            Inverse temperature.
        rng : numpy.random.Generator, int or None
            One 128-bit key is drawn from it.
        path : {"auto", "dense", "sparse"}
            How the fields are computed (GEMM or gather-add); "auto" picks by density.
        chain_offset : int
            Global index of row 0 (rows of a shard of a larger ensemble draw the same
            numbers as in the whole ensemble).

        Returns
        -------
        numpy.ndarray, shape (n, n_hidden), the model's dtype
        """
        return self._sample(v, "visible", beta, rng, path, chain_offset)

    def sample_visible(
        self,
        h: np.ndarray,
        *,
        beta: float = 1.0,
        rng: RngLike = None,
        path: Path = "auto",
        chain_offset: int = 0,
    ) -> np.ndarray:
        """Draw ``v ~ p(v | h)``.

        Parameters
        ----------
        h : numpy.ndarray, shape (n, n_hidden)
            Binary hidden states.
        beta : float
            Inverse temperature.
        rng : numpy.random.Generator, int or None
            One 128-bit key is drawn from it.
        path : {"auto", "dense", "sparse"}
            How the fields are computed.
        chain_offset : int
            Global index of row 0.

        Returns
        -------
        numpy.ndarray, shape (n, n_visible), the model's dtype
        """
        return self._sample(h, "hidden", beta, rng, path, chain_offset)

    def gibbs(
        self,
        v: np.ndarray,
        n_sweeps: int = 1,
        *,
        beta: float = 1.0,
        rng: RngLike = None,
        path: Path = "auto",
        chain_offset: int = 0,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Run ``n_sweeps`` blocked Gibbs sweeps v -> h -> v on every chain.

        Sweep ``s`` of chain ``c`` draws from the counters (block, s, chain_offset + c,
        stream), so every path uses the same random numbers; and every path sums the
        same terms in the same order (one FMA chain or one gather-add per field, in
        ascending unit order), so dense, sparse and auto give bit-identical samples for
        any thread count. All sweeps run in one C++ call (``_core.gibbs_chains``).

        Parameters
        ----------
        v : numpy.ndarray, shape (n_chains, n_visible)
            Binary initial visible states (not modified).
        n_sweeps : int
            Number of full sweeps, at least 1.
        beta : float
            Inverse temperature.
        rng : numpy.random.Generator, int or None
            One 128-bit key is drawn from it.
        path : {"auto", "dense", "sparse"}
            "dense": GEMM fields; "sparse": gather-add over active units (all sweeps of
            a block of chains on one thread); "auto": each half-sweep uses the gather-add
            when the density of its input states (counted by the previous half-sweep's
            sampler) is below ``SPARSE_DENSITY_THRESHOLD``, else the GEMM. Speed only.
        chain_offset : int
            Global index of chain 0.

        Returns
        -------
        v : numpy.ndarray, shape (n_chains, n_visible)
            Final visible states.
        h : numpy.ndarray, shape (n_chains, n_hidden)
            Hidden states of the last sweep.
        """
        visible = np.array(self._visible_states(v, "v"), copy=True)
        n_sweeps = positive_int(n_sweeps, "n_sweeps", maximum=INT64_MAX)
        beta = self._beta(beta)
        chain_offset = checked_chain_offset(chain_offset, visible.shape[0])
        path = _check_path(path)
        hidden = np.empty((visible.shape[0], self.n_hidden), self.dtype)
        _core.gibbs_chains(
            visible, hidden, self._weights, self._visible_bias, self._hidden_bias, beta,
            _PATH_CODES[path], draw_key(rng), 0, chain_offset, n_sweeps,
        )
        return visible, hidden

    def sample(
        self,
        n_chains: int,
        n_sweeps: int,
        *,
        v0: np.ndarray | None = None,
        beta: float = 1.0,
        rng: RngLike = None,
        path: Path = "auto",
    ) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n_chains`` samples by ``n_sweeps`` Gibbs sweeps.

        Parameters
        ----------
        n_chains : int
            Number of independent chains.
        n_sweeps : int
            Number of sweeps, at least 1.
        v0 : numpy.ndarray, shape (n_chains, n_visible), optional
            Initial visible states; default: uniform random bits.
        beta : float
            Inverse temperature.
        rng : numpy.random.Generator, int or None
        path : {"auto", "dense", "sparse"}

        Returns
        -------
        v : numpy.ndarray, shape (n_chains, n_visible)
        h : numpy.ndarray, shape (n_chains, n_hidden)
        """
        n_chains = positive_int(n_chains, "n_chains")
        if v0 is None:  # the states, the hidden states and the fields of both layers
            check_allocation("n_chains", f"{n_chains} chains", [
                (2, n_chains, self.n_visible), (2, n_chains, self.n_hidden)], self.dtype)
        gen = as_generator(rng)
        if v0 is None:
            v0 = np.empty((n_chains, self.n_visible), self.dtype)
            _core.bernoulli_states(0.5, draw_key(gen), 0, v0)
        else:
            v0 = self._visible_states(v0, "v0")
            if v0.shape[0] != n_chains:
                raise ValueError(f"v0: expected {n_chains} rows (n_chains), got {v0.shape[0]}")
        return self.gibbs(v0, n_sweeps, beta=beta, rng=gen, path=path)

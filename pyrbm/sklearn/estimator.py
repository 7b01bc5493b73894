"""Drop-in replacement for :class:`sklearn.neural_network.BernoulliRBM`.

Same constructor parameters and defaults, fitted attributes, methods and algorithm
(PCD-1 with ``batch_size`` persistent chains, plain SGD over the mini-batches in order,
scikit-learn's gradient and learning-rate scaling), computed with pyrbm's C++ kernels.
scikit-learn is optional: when it is installed the class derives from its
``BaseEstimator`` and ``TransformerMixin`` (so it works in ``Pipeline``, ``clone``,
grid searches); without it a minimal ``get_params``/``set_params`` is provided.

Randomness differs from scikit-learn's: ``random_state`` seeds a
``numpy.random.Generator`` whose 128-bit keys drive pyrbm's Philox streams, so results
are statistically equivalent to scikit-learn's, not bit-identical. For a given integer
``random_state`` they are reproducible; on binary data they are also bit-identical for
any number of threads (real-valued data go through multithreaded BLAS GEMMs, whose
rounding may change with the BLAS thread count).
"""

from __future__ import annotations

import inspect
import time
from numbers import Integral
from typing import Any, Self, TypeAlias, TypeGuard

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from . import _kernels as _pcd
from .._rng import as_generator, draw_key
from .._validation import check_allocation, finite_scalar, not_masked, positive_int

try:  # scikit-learn is optional
    from sklearn.base import (
        BaseEstimator,
        ClassNamePrefixFeaturesOutMixin,
        TransformerMixin,
    )
    from sklearn.utils.validation import check_is_fitted

    HAVE_SKLEARN = True
except ImportError:  # pragma: no cover - exercised in a subprocess by the tests
    HAVE_SKLEARN = False
try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data
except ImportError:  # pragma: no cover - older or no scikit-learn: our own checks
    validate_data = None

FLOAT_DTYPES = (np.float64, np.float32)
_STATE_TYPES = (np.random.RandomState, np.random.Generator)

#: What ``X`` may be: anything ``numpy.asarray`` takes, or a scipy sparse matrix or array
#: (scipy ships no type information, so mypy reads the sparse classes as Any).
Input: TypeAlias = "ArrayLike | sp.spmatrix | sp.sparray"
#: ``X`` once validated: a 2-D float array or a CSR matrix (array) of floats.
Checked: TypeAlias = "np.ndarray | sp.csr_matrix | sp.csr_array"
#: scikit-learn's ``random_state``.
RandomState: TypeAlias = "int | np.integer | np.random.RandomState | np.random.Generator | None"


def _is_sparse(X: object) -> TypeGuard[sp.spmatrix | sp.sparray]:
    """``scipy.sparse.issparse`` as a type guard (scipy's own is untyped)."""
    return bool(sp.issparse(X))


if HAVE_SKLEARN:
    from sklearn.exceptions import NotFittedError as NotFittedError  # re-exported

    _Bases: tuple[type, ...] = (ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator)
else:

    class NotFittedError(ValueError, AttributeError):  # type: ignore[no-redef]
        """Raised when a method needs a fitted estimator (scikit-learn's contract)."""

    class _MinimalEstimator:
        """get_params/set_params/fit_transform for use without scikit-learn."""

        @classmethod
        def _get_param_names(cls) -> list[str]:
            signature = inspect.signature(cls.__init__)
            return sorted(p.name for p in signature.parameters.values() if p.name != "self")

        # the values are whatever the constructor took (an int, a float, a random state)
        def get_params(self, deep: bool = True) -> dict[str, Any]:
            """Return the constructor parameters as a dict (``deep`` is accepted, unused)."""
            return {name: getattr(self, name) for name in self._get_param_names()}

        def set_params(self, **params: Any) -> Self:  # constructor parameters, any type
            """Set constructor parameters by name; unknown names raise ValueError."""
            valid = self._get_param_names()
            for name, value in params.items():
                if name not in valid:
                    raise ValueError(
                        f"{name}: invalid parameter for {type(self).__name__}; "
                        f"valid parameters are {valid}"
                    )
                setattr(self, name, value)
            return self

        def fit_transform(self, X: Input, y: object = None) -> np.ndarray:
            """Fit to ``X``, then return ``transform(X)``."""
            # fit is defined by the subclass (BernoulliRBM); this base only holds the API
            return np.asarray(self.fit(X, y).transform(X))  # type: ignore[attr-defined]

        def __repr__(self) -> str:
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
            return f"{type(self).__name__}({args})"

    _Bases = (_MinimalEstimator,)


def _generator(random_state: RandomState) -> np.random.Generator:
    """Generator for scikit-learn's ``random_state`` (None, int, RandomState, Generator)."""
    if isinstance(random_state, np.random.RandomState):
        # A RandomState instance advances, as in scikit-learn; it seeds the generator.
        return np.random.default_rng(random_state.randint(0, 2**32, size=4, dtype=np.uint32))
    return as_generator(random_state, "random_state")


def _check_array(X: Input, name: str, dtypes: tuple[type, ...]) -> Checked:
    """Minimal ``check_array`` (used when scikit-learn is not installed, and by gibbs)."""
    not_masked(X, name)
    checked: Checked = X.tocsr() if _is_sparse(X) else np.asarray(X)
    if checked.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected numeric data, got dtype {checked.dtype}")
    if checked.dtype not in dtypes:
        checked = checked.astype(dtypes[0])
    if checked.ndim != 2:
        raise ValueError(
            f"{name}: expected a 2-D array (n_samples, n_features), got {checked.shape}"
        )
    if checked.shape[0] == 0 or checked.shape[1] == 0:
        raise ValueError(f"{name}: must not be empty, got shape {checked.shape}")
    values = checked.data if _is_sparse(checked) else checked
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{name}: contains NaN or infinity")
    return checked


class BernoulliRBM(*_Bases):  # type: ignore[misc]
    """Bernoulli Restricted Boltzmann Machine, a fast drop-in for scikit-learn's.

    Binary visible and hidden units; trained by Persistent Contrastive Divergence
    (PCD-1, a.k.a. stochastic maximum likelihood) with ``batch_size`` persistent chains.
    Inputs may be real-valued in [0, 1] as in scikit-learn; binary inputs use pyrbm's
    gather-add kernels.

    Parameters
    ----------
    n_components : int, default=256
        Number of binary hidden units.
    learning_rate : float, default=0.1
        SGD learning rate; the gradient of a mini-batch of ``n`` rows is scaled by
        ``learning_rate / n``.
    batch_size : int, default=10
        Rows per mini-batch, and number of persistent chains.
    n_iter : int, default=10
        Number of passes over the training data.
    verbose : int, default=0
        If nonzero, print the pseudo-likelihood and time of each pass.
    random_state : int, numpy.random.RandomState, numpy.random.Generator or None
        Seeds the initialization, the Gibbs sampling and the corruption in
        :meth:`score_samples`. Not the same random stream as scikit-learn's.

    Attributes
    ----------
    components_ : numpy.ndarray, shape (n_components, n_features)
        Weight matrix (Fortran order, as scikit-learn's).
    intercept_hidden_ : numpy.ndarray, shape (n_components,)
        Hidden biases.
    intercept_visible_ : numpy.ndarray, shape (n_features,)
        Visible biases.
    h_samples_ : numpy.ndarray, shape (batch_size, n_components)
        Hidden states of the persistent chains.
    n_features_in_ : int
        Number of features seen during fit.
    random_state_ : numpy.random.Generator
        Generator of :meth:`partial_fit` and :meth:`gibbs` (a Generator here, a
        RandomState in scikit-learn).

    See Also
    --------
    sklearn.neural_network.BernoulliRBM : The estimator this one replaces.
    pyrbm.train : The full trainer (CD/PCD/Rdm-k, Adam, checkpoints).

    Examples
    --------
    >>> import numpy as np, pyrbm
    >>> X = (np.random.default_rng(0).random((50, 8)) < 0.5).astype(np.float64)
    >>> model = pyrbm.BernoulliRBM(n_components=3, n_iter=2, random_state=0).fit(X)
    >>> model.components_.shape, model.transform(X).shape
    ((3, 8), (50, 3))
    """

    def __init__(
        self,
        n_components: int = 256,
        *,
        learning_rate: float = 0.1,
        batch_size: int = 10,
        n_iter: int = 10,
        verbose: int = 0,
        random_state: RandomState = None,
    ) -> None:
        self.n_components = n_components
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.verbose = verbose
        self.random_state = random_state

    # -- validation -------------------------------------------------------------------
    def _check_params(self) -> None:
        positive_int(self.n_components, "n_components")
        finite_scalar(self.learning_rate, "learning_rate")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate: must be > 0, got {self.learning_rate}")
        positive_int(self.batch_size, "batch_size")
        positive_int(self.n_iter, "n_iter", minimum=0)
        if not isinstance(self.verbose, (Integral, bool, np.bool_)):
            raise TypeError(f"verbose: expected an int >= 0 or a bool, got {self.verbose!r}")
        if self.verbose < 0:
            raise ValueError(f"verbose: expected an int >= 0 or a bool, got {self.verbose!r}")
        state: object = self.random_state  # (set_params may have set anything)
        if isinstance(state, Integral) and not isinstance(state, bool):
            if not 0 <= int(state) < 2**32:
                raise ValueError(f"random_state: must be in [0, 2**32), got {state}")
        elif not (state is None or isinstance(state, _STATE_TYPES)):
            raise TypeError(
                "random_state: expected None, an int, a numpy RandomState or Generator, "
                f"got {type(state).__name__}"
            )

    def _validate(self, X: Input, *, reset: bool,
                  dtype: type | tuple[type, ...] = FLOAT_DTYPES) -> Checked:
        """Check ``X`` as scikit-learn does: dense or CSR, float32 kept, else float64."""
        dtypes = dtype if isinstance(dtype, tuple) else (dtype,)
        not_masked(X, "X")
        if validate_data is not None:
            try:  # (its finiteness check sums X: inf - inf would warn before it raises)
                with np.errstate(invalid="ignore", over="ignore"):
                    validated: Checked = validate_data(self, X, accept_sparse="csr",
                                                       dtype=dtype, reset=reset)
                    return validated
            except (ValueError, TypeError) as exc:  # name the argument, keep the type
                if str(exc).startswith("X:"):
                    raise
                raise type(exc)(f"X: {exc}") from exc
        checked = _check_array(X, "X", dtypes)
        if reset:
            self.n_features_in_ = checked.shape[1]
        elif checked.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X: has {checked.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input"
            )
        return checked

    def _check_fitted(self) -> None:
        if HAVE_SKLEARN:
            check_is_fitted(self)
        elif not hasattr(self, "components_"):
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. "
                "Call 'fit' with appropriate arguments before using this estimator."
            )

    def _parameters(self, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(W, a, b)`` in ``dtype``, ``W = components_.T`` C-contiguous (a view if possible)."""
        weights = np.ascontiguousarray(self.components_.T, dtype=dtype)
        visible = np.ascontiguousarray(self.intercept_visible_, dtype=dtype)
        hidden = np.ascontiguousarray(self.intercept_hidden_, dtype=dtype)
        return weights, visible, hidden

    def _work_dtype(self, X: Checked) -> np.dtype:
        # numpy promotion of X @ components_: float32 only when both are float32.
        return np.result_type(X.dtype, self.components_.dtype, np.float32)

    @staticmethod
    def _dense(X: Checked, dtype: np.dtype) -> Checked:
        return X if _is_sparse(X) else np.ascontiguousarray(X, dtype=dtype)

    # -- inference --------------------------------------------------------------------
    def transform(self, X: Input) -> np.ndarray:
        """Hidden activation probabilities ``P(h = 1 | v = X)``.

        Parameters
        ----------
        X : {array-like, sparse matrix}, shape (n_samples, n_features)

        Returns
        -------
        numpy.ndarray, shape (n_samples, n_components)
            float32 when ``X`` and the model are float32, else float64.
        """
        self._check_fitted()
        checked = self._validate(X, reset=False)
        dtype = self._work_dtype(checked)
        weights, _, hidden = self._parameters(dtype)
        v = self._dense(checked, dtype)
        binary = _pcd.is_binary(v)
        with _pcd.update_threads(v.shape[0], weights.shape[0], weights.shape[1]):
            return _pcd.hidden_probs(v, weights, hidden, binary)

    def gibbs(self, v: Input) -> np.ndarray:
        """Perform one Gibbs sampling step v -> h -> v.

        Parameters
        ----------
        v : {array-like, sparse matrix}, shape (n_samples, n_features)
            Visible values to start from.

        Returns
        -------
        numpy.ndarray of bool, shape (n_samples, n_features)
            The new visible states (bool, as scikit-learn returns).
        """
        self._check_fitted()
        if not hasattr(self, "random_state_"):
            self.random_state_ = _generator(self.random_state)
        checked = _check_array(v, "v", FLOAT_DTYPES)  # numeric, 2-D, non-empty, finite
        if checked.shape[1] != self.components_.shape[1]:
            raise ValueError(
                f"v: expected shape (n_samples, {self.components_.shape[1]}), got {checked.shape}"
            )
        dtype = self._work_dtype(checked)
        weights, visible, hidden = self._parameters(dtype)
        states = self._dense(checked, dtype)
        key = draw_key(self.random_state_)
        binary = _pcd.is_binary(states)
        with _pcd.update_threads(states.shape[0], weights.shape[0], weights.shape[1]):
            return np.asarray(_pcd.gibbs_step(states, weights, visible, hidden, binary, key) != 0)

    def score_samples(self, X: Input) -> np.ndarray:
        """Stochastic pseudo-likelihood of each row, scikit-learn's definition.

        One randomly chosen unit of each row is flipped (drawn from a generator built
        from ``random_state`` at each call) and the result is
        ``-n_features * log(1 + exp(-(F(v_flipped) - F(v))))``.

        Parameters
        ----------
        X : {array-like, sparse matrix}, shape (n_samples, n_features)
            Visible states (binary, not checked, as in scikit-learn).

        Returns
        -------
        numpy.ndarray, shape (n_samples,)
        """
        self._check_fitted()
        checked = self._validate(X, reset=False)
        dtype = self._work_dtype(checked)
        weights, visible, hidden = self._parameters(dtype)
        v = self._dense(checked, dtype)
        flip = np.asarray(_generator(self.random_state).integers(0, v.shape[1], v.shape[0]))
        binary = _pcd.is_binary(v)
        with _pcd.update_threads(v.shape[0], weights.shape[0], weights.shape[1]):
            return _pcd.pseudo_likelihood(v, weights, visible, hidden, flip, binary)

    # -- training ---------------------------------------------------------------------
    def _initialize(self, n_features: int, dtype: np.dtype, gen: np.random.Generator) -> None:
        # W ~ N(0, 0.01^2) in Fortran order: components_.T is then pyrbm's C-contiguous W.
        check_allocation("n_components", f"{self.n_components} x {n_features} weights",
                         [(2, n_features, self.n_components)], np.float64)
        weights = gen.normal(0.0, 0.01, (n_features, self.n_components)).astype(dtype)
        self.components_ = weights.T
        self._n_features_out = self.n_components
        self.intercept_hidden_ = np.zeros(self.n_components, dtype)
        self.intercept_visible_ = np.zeros(n_features, dtype)
        self.h_samples_ = np.zeros((self.batch_size, self.n_components), dtype)

    def _trainable(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The parameters as arrays the update can modify in place (views of the attributes)."""
        dtype = self.components_.dtype
        if dtype not in FLOAT_DTYPES:
            dtype = np.dtype(np.float64)
        weights = _pcd.aligned(np.ascontiguousarray(self.components_.T, dtype=dtype))
        self.components_ = weights.T
        self.intercept_visible_ = np.ascontiguousarray(self.intercept_visible_, dtype=dtype)
        self.intercept_hidden_ = np.ascontiguousarray(self.intercept_hidden_, dtype=dtype)
        self.h_samples_ = np.ascontiguousarray(self.h_samples_, dtype=dtype)
        return weights, self.intercept_visible_, self.intercept_hidden_, self.h_samples_

    def fit(self, X: Input, y: object = None) -> BernoulliRBM:
        """Fit the model to ``X`` by ``n_iter`` passes of PCD-1 over the mini-batches.

        Parameters
        ----------
        X : {array-like, sparse matrix}, shape (n_samples, n_features)
            Training data, values in [0, 1]. float32 is kept; other dtypes become float64.
        y : ignored

        Returns
        -------
        self : BernoulliRBM
        """
        self._check_params()
        data = self._validate(X, reset=True)
        gen = _generator(self.random_state)
        self._initialize(data.shape[1], data.dtype, gen)
        weights, visible, hidden, h_samples = self._trainable()
        binary = _pcd.is_binary(data)
        key = draw_key(gen)
        n_samples, batch = data.shape[0], int(self.batch_size)
        # scikit-learn's gen_even_slices(n_batches * batch_size, n_batches): in order,
        # batch_size rows each, the last one shorter.
        starts = range(0, n_samples, batch)
        update = 0
        begin = time.time()
        for iteration in range(1, self.n_iter + 1):
            with _pcd.update_threads(2 * batch, weights.shape[0], weights.shape[1]):
                for start in starts:
                    h_samples = _pcd.pcd_update(
                        data[start : start + batch], weights, visible, hidden, h_samples,
                        float(self.learning_rate), binary, key, update,
                    )
                    update += 1
            self.h_samples_ = h_samples
            if self.verbose:
                end = time.time()
                print(
                    f"[{type(self).__name__}] Iteration {iteration}, pseudo-likelihood = "
                    f"{self.score_samples(data).mean():.2f}, time = {end - begin:.2f}s"
                )
                begin = end
        return self

    def partial_fit(self, X: Input, y: object = None) -> BernoulliRBM:
        """One PCD-1 update with all of ``X`` as the mini-batch.

        The first call initializes the model in float64, as scikit-learn does.

        Parameters
        ----------
        X : {array-like, sparse matrix}, shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self : BernoulliRBM
        """
        self._check_params()
        first_pass = not hasattr(self, "components_")
        data = self._validate(X, reset=first_pass, dtype=np.float64)
        if not hasattr(self, "random_state_"):
            self.random_state_ = _generator(self.random_state)
        if first_pass:
            self._initialize(data.shape[1], np.dtype(np.float64), self.random_state_)
        weights, visible, hidden, h_samples = self._trainable()
        if not _is_sparse(data):
            data = data.astype(weights.dtype, copy=False)
        key, binary = draw_key(self.random_state_), _pcd.is_binary(data)
        with _pcd.update_threads(data.shape[0] + h_samples.shape[0], weights.shape[0],
                                 weights.shape[1]):
            self.h_samples_ = _pcd.pcd_update(
                data, weights, visible, hidden, h_samples, float(self.learning_rate), binary,
                key, 0,
            )
        return self

    if HAVE_SKLEARN:

        def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
            tags = super().__sklearn_tags__()
            tags.input_tags.sparse = True
            tags.transformer_tags.preserves_dtype = ["float64", "float32"]
            return tags

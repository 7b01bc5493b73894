"""Annealed importance sampling (AIS) and reverse AIS (RAIS) for log Z of a binary RBM.

Both anneal between a *base model* A and the target RBM B at inverse temperature
``beta`` through the visible marginals ``p_k(v) ∝ exp(-(1 - s_k) F_A(v) - s_k beta F_B(v))``
for a schedule ``0 = s_0 < s_1 < ... < s_K = 1`` (Salakhutdinov & Murray 2008). A is
either independent visible units with biases ``a_A`` (default: the logit of the data
mean; ``log Z_A = sum_i softplus(a_A_i)``), or a given RBM small enough that its
``log Z_A`` and its initial samples come from exact enumeration. The
transitions are blocked Gibbs sweeps at each intermediate distribution, in C++
(``csrc/partition.cpp``), many chains in parallel, random numbers from the Philox stream
``annealing`` (results do not depend on the thread count).

* Forward AIS starts from exact samples of A; ``E[w] = Z_B / Z_A``, so
  ``log Z_A + log mean(w)`` is a stochastic *lower* bound of ``log Z_B`` (Jensen).
* Reverse AIS (Burda, Grosse & Salakhutdinov 2015) runs the same chain from samples of
  B down to A; ``E[w] = Z_A / Z_B`` and ``log Z_A - log mean(w)`` is a stochastic *upper*
  bound, exactly so when the initial samples are exact draws from B. Without given
  samples, they come from long Gibbs chains (then the bound holds only approximately).
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import ArrayLike

from .. import _core
from .._layout import line_aligned
from .._rng import RngLike, as_generator, draw_key
from .._validation import (
    binary_data,
    check_allocation,
    finite_scalar,
    not_masked,
    positive_int,
    state_array,
)
from .exact import check_rbm, log_z_exact, sample_exact
from ..model import RBM

#: Clipping of the data mean when the base biases are its logit.
BASE_RATE_CLIP = 1e-3

#: Largest ``abs(base_bias)`` accepted: sigmoid(50) is 1 to within 2e-22, so a larger bias makes
#: a deterministic base whose log Z_A only adds rounding error to the estimate.
MAX_BASE_BIAS = 50.0

#: An estimate whose float64 rounding error (eps times the size of the terms it is the
#: difference of) exceeds this many nats is refused: its weights have degenerated.
MAX_ROUNDING_NATS = 1e-6


#: An annealing schedule: the name of a kind ("linear", "geometric") or the points themselves.
Schedule: TypeAlias = "str | ArrayLike"


def schedule(kind: Schedule = "linear", n_betas: int = 1000, *,
             beta_min: float = 1e-3) -> np.ndarray:
    """Return an annealing schedule ``0 = s_0 < … < s_{n_betas-1} = 1``.

    Parameters
    ----------
    kind : {"linear", "geometric"} or array_like
        "linear": evenly spaced; "geometric": 0 followed by ``n_betas - 1`` points
        geometrically spaced from ``beta_min`` to 1 (dense near 0); an array is checked and
        returned (it must start at 0, end at 1 and increase strictly; concatenations of
        linear and geometric pieces are built this way).
    n_betas : int
        Number of distributions including both ends (ignored for an array), at least 2.
    beta_min : float
        First nonzero point of the geometric schedule, in (0, 1).

    Returns
    -------
    numpy.ndarray, shape (n_betas,), float64
    """
    if isinstance(kind, str):
        n_betas = positive_int(n_betas, "n_betas", minimum=2)
        if kind == "linear":
            return np.linspace(0.0, 1.0, n_betas)
        if kind == "geometric":
            beta_min = finite_scalar(beta_min, "beta_min", minimum=0.0)
            if not 0.0 < beta_min < 1.0:
                raise ValueError(f"beta_min: must be in (0, 1), got {beta_min}")
            out = np.concatenate([[0.0], np.geomspace(beta_min, 1.0, n_betas - 1)])
            out[-1] = 1.0
            return out
        raise ValueError(f"schedule: expected 'linear', 'geometric' or an array, got {kind!r}")
    out = np.array(kind, dtype=np.float64)
    if out.ndim != 1 or out.shape[0] < 2:
        raise ValueError(f"schedule: expected a 1-D array of >= 2 betas, got shape {out.shape}")
    if out[0] != 0.0 or out[-1] != 1.0 or not np.all(np.diff(out) > 0):
        raise ValueError("schedule: must start at 0, end at 1 and increase strictly")
    return out


def base_bias_from_data(data: ArrayLike, n_visible: int, dtype: np.dtype) -> np.ndarray:
    """Base-model visible biases ``logit(clip(mean(data)))`` (Salakhutdinov & Murray).

    Parameters
    ----------
    data : numpy.ndarray, shape (n_samples, n_visible)
        Binary training data.
    n_visible : int
    dtype : numpy.dtype
        The model's dtype.

    Returns
    -------
    numpy.ndarray, shape (n_visible,)
    """
    data = binary_data(data, "data", n_visible)
    mean = np.clip(data.mean(axis=0, dtype=np.float64), BASE_RATE_CLIP, 1.0 - BASE_RATE_CLIP)
    return np.asarray(np.log(mean / (1.0 - mean)).astype(dtype))


@dataclasses.dataclass(frozen=True)
class BaseModel:
    """The tractable end of the annealing path.

    Attributes
    ----------
    visible_bias : numpy.ndarray, shape (n_visible,)
        ``a_A`` (the model's dtype).
    rbm : RBM or None
        A base RBM with hidden units, or None for independent visible units.
    log_z : float
        ``log Z_A`` (exact).
    """

    visible_bias: np.ndarray
    rbm: RBM | None
    log_z: float

    @property
    def n_hidden(self) -> int:
        """Hidden units of the base model (0 for independent visible units)."""
        return 0 if self.rbm is None else self.rbm.n_hidden


def make_base(
    rbm: RBM, base_bias: ArrayLike | None = None, base_rbm: RBM | None = None,
    data: ArrayLike | None = None
) -> BaseModel:
    """The base model from at most one of ``base_bias``, ``base_rbm``, ``data``.

    Parameters
    ----------
    rbm : RBM
        The target model (n_visible, dtype).
    base_bias : numpy.ndarray, shape (n_visible,), optional
        Independent visible units with these biases.
    base_rbm : RBM, optional
        A base RBM small enough for exact enumeration (its ``log Z`` and its initial
        samples are exact).
    data : numpy.ndarray, shape (n_samples, n_visible), optional
        Independent visible units with biases ``logit(clip(mean(data)))``.
        Without any of them the base is uniform (zero biases).

    Returns
    -------
    BaseModel
    """
    given = [name for name, x in (("base_bias", base_bias), ("base_rbm", base_rbm),
                                  ("data", data)) if x is not None]
    if len(given) > 1:
        raise ValueError(f"{given[0]}: give at most one of base_bias, base_rbm, data; got {given}")
    if base_rbm is not None:
        base_rbm = check_rbm(base_rbm)
        if base_rbm.n_visible != rbm.n_visible or base_rbm.dtype != rbm.dtype:
            raise ValueError(
                f"base_rbm: expected {rbm.n_visible} visible units and dtype {rbm.dtype}, got "
                f"{base_rbm.n_visible} and {base_rbm.dtype}"
            )
        return BaseModel(base_rbm.visible_bias, base_rbm, log_z_exact(base_rbm))
    if data is not None:
        bias = base_bias_from_data(data, rbm.n_visible, rbm.dtype)
    elif base_bias is None:
        bias = np.zeros(rbm.n_visible, rbm.dtype)  # uniform base
    else:
        not_masked(base_bias, "base_bias")
        bias = np.asarray(base_bias)
        if bias.dtype.kind not in "iuf":
            raise TypeError(f"base_bias: expected a real array, got dtype {bias.dtype}")
        bias = bias.astype(np.float64)
        if bias.shape != (rbm.n_visible,) or not np.all(np.isfinite(bias)):
            raise ValueError(
                f"base_bias: expected finite values of shape ({rbm.n_visible},), "
                f"got {bias.shape}"
            )
        if np.max(np.abs(bias)) > MAX_BASE_BIAS:
            raise ValueError(
                f"base_bias: |base_bias| must be <= {MAX_BASE_BIAS:g} (a larger bias makes the "
                f"base deterministic), got {np.max(np.abs(bias)):g}"
            )
        bias = bias.astype(rbm.dtype)
    return BaseModel(bias, None, float(np.logaddexp(0.0, bias.astype(np.float64)).sum()))


def _run(
    rbm: RBM,
    visible: np.ndarray,
    base: BaseModel,
    betas: np.ndarray,
    beta: float,
    key: tuple[int, int],
    draw_initial: bool,
) -> np.ndarray:
    """Run the C++ annealing kernel along ``betas``; returns the log-weights (n_chains,)."""
    log_weights = np.empty(visible.shape[0], np.float64)
    b = base.rbm
    _core.anneal(
        visible,
        line_aligned(rbm.weights),  # once per run: the kernel's gather-adds read them all
        line_aligned(rbm.weights.T),
        rbm.visible_bias,
        rbm.hidden_bias,
        base.visible_bias,
        None if b is None else line_aligned(b.weights),
        None if b is None else line_aligned(b.weights.T),
        None if b is None else b.hidden_bias,
        np.ascontiguousarray(1.0 - betas),
        np.ascontiguousarray(beta * betas),
        key,
        0,
        draw_initial,
        log_weights,
    )
    return log_weights


def log_z_offset(base: BaseModel, n_hidden: int) -> float:
    """``log Z_A + (n_hidden - n_base_hidden) ln 2``: the normalizer the weights refer to.

    At s = 0 the model's ``n_hidden`` units are free (a factor ``2^n_hidden``), at s = 1
    the base model's are, so ``log Z = offset + log E[w]`` (forward AIS).
    """
    return base.log_z + (n_hidden - base.n_hidden) * float(np.log(2.0))


def weight_statistics(log_weights: np.ndarray) -> tuple[float, float, float]:
    """Log mean weight, the standard error of that log, and the effective sample size.

    Parameters
    ----------
    log_weights : numpy.ndarray, shape (n_chains,)

    Returns
    -------
    log_mean : float
        ``log(mean(exp(log_weights)))``.
    std_error : float
        Delta-method standard error ``std(w) / (sqrt(n) mean(w))`` (nan for one chain).
    ess : float
        Kish's effective sample size ``(sum w)^2 / sum w^2``.
    """
    n = log_weights.shape[0]
    from scipy.special import logsumexp  # here: scipy.special costs import pyrbm 0.2 s

    log_mean = float(logsumexp(log_weights) - np.log(n))
    w = np.exp(log_weights - log_weights.max())
    ess = float(w.sum() ** 2 / np.sum(w * w))
    se = float(np.std(w, ddof=1) / (np.sqrt(n) * w.mean())) if n > 1 else float("nan")
    return log_mean, se, ess


def _positive_beta(beta: object, betas: np.ndarray) -> float:
    value = finite_scalar(beta, "beta")
    if value <= 0.0:
        raise ValueError(f"beta: annealing needs beta > 0, got {value}")
    if value * betas[1] == 0.0:
        raise ValueError(f"beta: {value:g} times the first schedule step underflows to 0")
    return value


def _result(
    log_weights: np.ndarray, base: BaseModel, n_hidden: int, states: np.ndarray, reverse: bool
) -> dict[str, Any]:
    """Estimate from the weights: forward ``E[w] = Z/Z_A``, reverse ``E[w] = Z_A/Z``.

    Raises ValueError when the weights are not finite or so large that the estimate,
    a difference of terms of that size, is float64 rounding noise."""
    if not np.all(np.isfinite(log_weights)):
        raise ValueError("rbm: the AIS log-weights are not finite (energies overflow)")
    log_mean, se, ess = weight_statistics(log_weights)
    log_za = log_z_offset(base, n_hidden)
    rounding = np.finfo(np.float64).eps * (abs(log_za) + float(np.max(np.abs(log_weights))))
    if rounding > MAX_ROUNDING_NATS:
        raise ValueError(
            f"rbm: the AIS weights degenerate: log-weights of size "
            f"{float(np.max(np.abs(log_weights))):.3g} against log Z_A = {log_za:.3g} leave "
            f"a rounding error of {rounding:.3g} nats in the estimate"
        )
    return dict(
        value=log_za - log_mean if reverse else log_za + log_mean,
        std_error=se,
        ess=ess,
        log_weights=log_weights,
        log_z_base=log_za,
        final_states=states,
    )


def ais(
    rbm: RBM,
    *,
    beta: float = 1.0,
    rng: RngLike = None,
    n_chains: int = 100,
    n_betas: int = 1000,
    schedule_kind: Schedule = "linear",
    base_bias: np.ndarray | None = None,
    base_rbm: RBM | None = None,
    data: np.ndarray | None = None,
) -> dict[str, Any]:  # floats and arrays by name, documented below (log_partition's LogZ)
    """Forward AIS estimate of ``log Z`` (stochastic lower bound).

    Parameters
    ----------
    rbm : RBM
    beta : float
        Inverse temperature of the target, > 0.
    rng : numpy.random.Generator, int or None
    n_chains : int
        Independent annealing chains.
    n_betas : int
        Number of distributions in the schedule, both ends included.
    schedule_kind : {"linear", "geometric"} or array_like
        See :func:`schedule`.
    base_bias, base_rbm, data
        The base model, see :func:`make_base` (at most one; default uniform).

    Returns
    -------
    dict
        ``value``, ``std_error``, ``ess``, ``log_weights`` (n_chains,), ``log_z_base``,
        ``final_states`` (n_chains, n_visible).
    """
    n_chains = positive_int(n_chains, "n_chains")
    check_allocation("n_chains", f"{n_chains} annealing chains", [
        (n_chains, rbm.n_visible), (n_chains, rbm.n_hidden + rbm.n_visible)], rbm.dtype)
    betas = schedule(schedule_kind, n_betas)
    beta = _positive_beta(beta, betas)
    base = make_base(rbm, base_bias, base_rbm, data)
    gen = as_generator(rng)
    if base.rbm is None:  # the kernel draws the initial states
        visible = np.empty((n_chains, rbm.n_visible), rbm.dtype)
    else:
        visible = sample_exact(base.rbm, n_chains, rng=gen)
    log_weights = _run(rbm, visible, base, betas, beta, draw_key(gen), base.rbm is None)
    return _result(log_weights, base, rbm.n_hidden, visible, reverse=False)


def rais(
    rbm: RBM,
    *,
    beta: float = 1.0,
    rng: RngLike = None,
    n_chains: int = 100,
    n_betas: int = 1000,
    schedule_kind: Schedule = "linear",
    base_bias: np.ndarray | None = None,
    base_rbm: RBM | None = None,
    data: np.ndarray | None = None,
    samples: np.ndarray | None = None,
    n_gibbs: int = 1000,
) -> dict[str, Any]:  # floats and arrays by name, documented below (log_partition's LogZ)
    """Reverse AIS estimate of ``log Z`` (stochastic upper bound).

    Parameters
    ----------
    rbm, beta, rng, n_betas, schedule_kind, base_bias, base_rbm
        As in :func:`ais`.
    data : numpy.ndarray, shape (n_samples, n_visible), optional
        Seeds the Gibbs chains that make the samples; without ``base_bias`` and
        ``base_rbm`` its mean also sets the base model.
    n_chains : int
        Number of chains when ``samples`` is not given.
    samples : numpy.ndarray, shape (n_chains, n_visible), optional
        Binary samples of the model at ``beta`` to start from (ideally exact draws).
    n_gibbs : int
        Without ``samples``: Gibbs sweeps of the chains that produce them, started from
        random rows of ``data`` (or uniform random states).

    Returns
    -------
    dict
        As :func:`ais`; ``log_weights`` are those of the reverse chain (estimating
        ``Z_A / Z_B``).
    """
    betas = schedule(schedule_kind, n_betas)
    beta = _positive_beta(beta, betas)
    base_data = data if base_bias is None and base_rbm is None else None
    base = make_base(rbm, base_bias, base_rbm, base_data)
    gen = as_generator(rng)
    if samples is not None:
        visible = np.array(state_array(samples, "samples", rbm.n_visible, rbm.dtype), copy=True)
    else:
        n_chains = positive_int(n_chains, "n_chains")
        n_gibbs = positive_int(n_gibbs, "n_gibbs")
        check_allocation("n_chains", f"{n_chains} annealing chains", [
            (2, n_chains, rbm.n_visible), (2, n_chains, rbm.n_hidden)], rbm.dtype)
        v0 = None
        if data is not None:
            data = binary_data(data, "data", rbm.n_visible)
            rows = gen.choice(data.shape[0], n_chains, replace=True)
            v0 = np.ascontiguousarray(data[rows]).astype(rbm.dtype)
        # The sparse path runs all sweeps in one C++ call (binary states, no BLAS).
        visible, _ = rbm.sample(n_chains, n_gibbs, v0=v0, beta=beta, rng=gen, path="sparse")
    log_weights = _run(rbm, visible, base, betas[::-1].copy(), beta, draw_key(gen), False)
    return _result(log_weights, base, rbm.n_hidden, visible, reverse=True)

"""Partition function and log-likelihood of binary RBMs.

``log_partition(rbm, method)`` with ``method`` one of

* ``"exact"``: enumeration of the smaller layer in C++ (Gray-code order, OpenMP over
  blocks, float64 log-sum-exp). Cost ``2^K * L`` for layers of sizes K <= L.
* ``"ais"``: forward annealed importance sampling, a stochastic lower bound
  (:mod:`pyrbm.partition.annealing`).
* ``"rais"``: reverse AIS, a stochastic upper bound.
* ``"meanfield"``: the Gaussian reciprocal-space free energy E20 (:mod:`pyrbm.partition.meanfield`).
* ``"trajectory"``: trajectory AIS along the checkpoints of a training run that end at
  ``rbm`` (:mod:`pyrbm.partition.trajectory`), a stochastic lower bound.

``log_likelihood(rbm, data, log_z)`` is the mean over the data of ``-F(v) - log Z``.
:class:`LikelihoodObserver` estimates it during training (trainer callback contract).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any, Literal, Protocol

import numpy as np

from . import annealing
from . import meanfield
from . import trajectory
from .exact import check_rbm, log_z_exact
from .._rng import RngLike
from .._validation import binary_data, finite_scalar, not_masked, positive_int, state_array
from ..model import RBM

Method = Literal["exact", "ais", "rais", "meanfield", "trajectory"]

@dataclasses.dataclass(frozen=True)
class LogZ:
    """An estimate of ``log Z`` of an RBM at inverse temperature ``beta``.

    Attributes
    ----------
    value : float
        The estimate of ``log Z``.
    method : str
        "exact", "ais", "rais" or "meanfield".
    beta : float
        Inverse temperature of the model it refers to.
    std_error : float
        Standard error of ``value`` (0 for the deterministic methods).
    ess : float or None
        Effective sample size of the importance weights (stochastic methods).
    log_weights : numpy.ndarray of shape (n_chains,) or None
        Per-chain log importance weights (stochastic methods).
    log_z_base : float or None
        What the AIS weights are relative to: ``log Z_A`` of the base model plus
        ``(n_hidden - n_base_hidden) ln 2`` (forward: ``value = log_z_base + log
        mean(w)``; reverse: ``value = log_z_base - log mean(w)``).
    """

    value: float
    method: str
    beta: float = 1.0
    std_error: float = 0.0
    ess: float | None = None
    log_weights: np.ndarray | None = dataclasses.field(default=None, repr=False)
    log_z_base: float | None = None

    def __float__(self) -> float:
        return float(self.value)


def log_partition(
    rbm: RBM,
    method: Method = "exact",
    *,
    beta: float = 1.0,
    rng: RngLike = None,
    **options: Any,  # each method's own keywords, of several types (checked by _only)
) -> LogZ:
    """Estimate ``log Z = log sum_{v,h} exp(-beta E(v, h))`` of ``rbm``.

    Parameters
    ----------
    rbm : RBM
        Model with ``W`` of shape (n_visible, n_hidden).
    method : {"exact", "ais", "rais", "meanfield", "trajectory"}
        See the module docstring.
    beta : float
        Inverse temperature.
    rng : numpy.random.Generator, int or None
        Randomness of "ais" and "rais".
    **options
        exact: ``layer``, ``max_states`` (:func:`log_z_exact`).
        ais: ``n_chains`` (100), ``n_betas`` (1000, both ends included), ``schedule``
        ("linear", "geometric" or an array), and the base model: ``base_bias``
        (n_visible,), ``base_rbm`` (an RBM small enough to enumerate) or ``data``
        (n_samples, n_visible) whose mean sets independent visible biases.
        rais: as ais, plus ``samples`` (n_chains, n_visible) to start from, else
        ``n_gibbs`` (1000) sweeps of Gibbs chains started from ``data`` rows.
        meanfield: ``form`` ("e20" or "e21"); raises
        :class:`pyrbm.partition.meanfield.MeanFieldDivergence` when some ``beta lambda_i >= 4``.
        trajectory: ``path`` (the earlier checkpoints of the run, in order, without
        ``rbm``; at least one), ``n_chains`` (100), ``n_betas`` (100 per segment),
        ``schedule``; only at ``beta = 1``.

    Returns
    -------
    LogZ

    See Also
    --------
    pyrbm.partition.annealing.ais, pyrbm.partition.annealing.rais : The annealing estimators.
    pyrbm.partition.meanfield : The Gaussian approximation (E20, E21).

    Examples
    --------
    >>> import pyrbm
    >>> rbm = pyrbm.RBM.random(6, 4, std=0.5, rng=0)
    >>> exact = pyrbm.log_partition(rbm)  # 2**4 hidden states enumerated
    >>> round(exact.value, 4)
    7.0762
    >>> ais = pyrbm.log_partition(rbm, method="ais", rng=0, n_chains=100, n_betas=200)
    >>> abs(ais.value - exact.value) < 5 * ais.std_error
    True
    """
    rbm = check_rbm(rbm)
    beta = finite_scalar(beta, "beta", minimum=0.0)
    if method == "exact":
        _only(options, ("layer", "max_states"))
        return LogZ(log_z_exact(rbm, beta=beta, **options), "exact", beta)
    if method in ("ais", "rais"):
        allowed = ["n_chains", "n_betas", "schedule", "base_bias", "base_rbm", "data"]
        if method == "rais":
            allowed += ["samples", "n_gibbs"]
        _only(options, allowed)
        if "schedule" in options:
            options["schedule_kind"] = options.pop("schedule")
        run = annealing.ais if method == "ais" else annealing.rais
        out = run(rbm, beta=beta, rng=rng, **options)
        return LogZ(
            out["value"], method, beta, out["std_error"], out["ess"], out["log_weights"],
            out["log_z_base"],
        )
    if method == "meanfield":
        _only(options, ("form",))
        form = options.get("form", "e20")
        if form not in ("e20", "e21"):
            raise ValueError(f"form: expected 'e20' or 'e21', got {form!r}")
        fn = meanfield.log_z_e20 if form == "e20" else meanfield.log_z_e21
        return LogZ(fn(rbm, beta=beta), "meanfield", beta)
    if method == "trajectory":
        _only(options, ("path", "n_chains", "n_betas", "schedule"))
        if beta != 1.0:
            raise ValueError(f"beta: trajectory AIS estimates the models at beta = 1, got {beta}")
        path = options.pop("path", None)
        if path is None or len(path) == 0:
            raise ValueError("path: trajectory AIS needs the earlier checkpoints of the run")
        if "schedule" in options:
            options["schedule_kind"] = options.pop("schedule")
        out = trajectory.trajectory_log_z([*path, rbm], rng=rng, **options)
        return LogZ(float(out["log_z"][-1]), "trajectory", 1.0, float(out["std_error"][-1]),
                    float(out["ess"][-1]), out["log_weights"], None)
    raise ValueError("method: expected 'exact', 'ais', 'rais', 'meanfield' or 'trajectory', "
                     f"got {method!r}")


def _only(options: dict[str, Any], allowed: Sequence[str]) -> None:
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise TypeError(f"options: unknown option(s) {unknown}; allowed: {sorted(allowed)}")


def log_likelihood(rbm: RBM, data: np.ndarray, log_z: LogZ | float) -> float:
    """Mean log-likelihood ``mean_v(-F(v)) - log Z`` of binary data.

    Parameters
    ----------
    rbm : RBM
    data : numpy.ndarray, shape (n_samples, n_visible)
        Binary states (float in the model's dtype, integer or bool).
    log_z : LogZ or float
        ``log Z`` of ``rbm``; a :class:`LogZ` also gives the inverse temperature.

    Returns
    -------
    float
        In nats per sample.
    """
    rbm = check_rbm(rbm)
    if isinstance(log_z, LogZ):
        value, beta = float(log_z.value), log_z.beta
    else:
        value, beta = finite_scalar(log_z, "log_z"), 1.0
    if not math.isfinite(value):
        raise ValueError(f"log_z: must be finite, got {value}")
    free = rbm.free_energy(state_array(data, "data", rbm.n_visible, rbm.dtype), beta=beta)
    return float(-np.mean(free, dtype=np.float64) - value)


class CheckpointLike(Protocol):
    """What the observer reads of the trainer's ``CheckpointInfo``."""

    @property
    def epoch(self) -> int: ...

    @property
    def update(self) -> int: ...


class LikelihoodObserver:
    """Training callback: train/test log-likelihood by AIS and reverse AIS every n epochs.

    Called as ``observer(rbm, info)`` at every checkpoint (``pyrbm.train`` contract); on
    epochs that are multiples of ``every`` it returns a ``dict[str, float]`` with
    ``log_z_<m>``, ``log_z_<m>_se``, ``train_ll_<m>`` and (with test data) ``test_ll_<m>``
    for each method ``m``; AIS gives an upper estimate of the likelihood, RAIS a lower one.
    Otherwise it returns None. The randomness of each call derives from ``(seed,
    info.update)`` alone, so a resumed run records the same values.

    Parameters
    ----------
    train_data : numpy.ndarray, shape (n_train, n_visible)
        Binary training data: its mean sets the AIS base model and its rows start the
        RAIS Gibbs chains.
    test_data : numpy.ndarray, shape (n_test, n_visible), optional
    every : int
        Evaluate at epochs ``every, 2 every, ...``.
    methods : sequence of {"ais", "rais", "exact"}
    n_chains, n_betas, schedule, n_gibbs
        Annealing options (see :func:`log_partition`).
    max_samples : int or None
        Evaluate the mean free energy on at most this many rows of each data set (the
        first ones).
    seed : int
    """

    def __init__(
        self,
        train_data: np.ndarray,
        test_data: np.ndarray | None = None,
        *,
        every: int = 10,
        methods: Sequence[str] = ("ais", "rais"),
        n_chains: int = 100,
        n_betas: int = 1000,
        schedule: annealing.Schedule = "linear",
        n_gibbs: int = 1000,
        max_samples: int | None = 10_000,
        seed: int = 0,
    ):
        self.every = positive_int(every, "every")
        for m in methods:
            if m not in ("ais", "rais", "exact"):
                raise ValueError(f"methods: expected 'ais', 'rais' or 'exact', got {m!r}")
        self.methods = tuple(methods)
        self.n_chains = positive_int(n_chains, "n_chains")
        self.n_betas = positive_int(n_betas, "n_betas", minimum=2)
        self.schedule = annealing.schedule(schedule, self.n_betas)
        self.n_gibbs = positive_int(n_gibbs, "n_gibbs")
        self.seed = positive_int(seed, "seed", minimum=0)
        limit = None if max_samples is None else positive_int(max_samples, "max_samples")
        self.train_data = self._data(train_data, "train_data", limit)
        self.test_data = None if test_data is None else self._data(test_data, "test_data", limit)

    @staticmethod
    def _data(data: Any, name: str, limit: int | None) -> np.ndarray:
        not_masked(data, name)
        if not isinstance(data, np.ndarray):
            raise TypeError(f"{name}: expected a numpy array, got {type(data).__name__}")
        if data.ndim != 2 or data.shape[0] == 0:
            raise ValueError(f"{name}: expected a non-empty 2-D numpy array, got {data.shape}")
        data = binary_data(data[:limit], name, data.shape[1])
        return np.ascontiguousarray(data, dtype=np.uint8)  # converts to any model dtype

    def __call__(self, rbm: RBM, info: CheckpointLike) -> dict[str, float] | None:
        """Estimate the log-likelihoods at this checkpoint, if it is due.

        Parameters
        ----------
        rbm : RBM
            The model being trained, ``W`` of shape (n_visible, n_hidden).
        info : CheckpointInfo-like
            Needs ``epoch`` and ``update``; checkpoints whose ``end_of_epoch`` is False
            are skipped.

        Returns
        -------
        dict of str to float, or None
        """
        # Only where an epoch ends: a run checkpointed every n updates (or at powers of
        # two) reports the same completed-epoch count at several checkpoints.
        if not getattr(info, "end_of_epoch", True) or info.epoch % self.every != 0:
            return None
        gen = np.random.default_rng([self.seed, int(info.update)])
        metrics: dict[str, float] = {}
        for method in self.methods:
            options: dict[str, Any] = {}
            if method != "exact":
                options = dict(
                    n_chains=self.n_chains, schedule=self.schedule, data=self.train_data
                )
            if method == "rais":
                options["n_gibbs"] = self.n_gibbs
            log_z = log_partition(rbm, method, rng=gen, **options)  # type: ignore[arg-type]
            metrics[f"log_z_{method}"] = float(log_z.value)
            metrics[f"log_z_{method}_se"] = float(log_z.std_error)
            metrics[f"train_ll_{method}"] = log_likelihood(rbm, self.train_data, log_z)
            if self.test_data is not None:
                metrics[f"test_ll_{method}"] = log_likelihood(rbm, self.test_data, log_z)
        return metrics

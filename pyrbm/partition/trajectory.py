"""Trajectory AIS: ``log Z`` carried along the checkpoints of a training run.

Bereux, Decelle, Furtlehner, Rosset and Seoane (ICLR 2025) anneal along the training
trajectory itself: successive checkpoints ``theta_0, theta_1, ..., theta_T`` of one run
are close, so one AIS chain through the path ``theta_0 -> theta_1 -> ... -> theta_T``
(``n_betas`` geometric-mixture steps between each pair) has importance weights of low
variance, and every prefix of the path is itself an AIS estimate of that checkpoint's
``log Z``. The path starts from the *exactly known* model ``theta_{-1}``: the first
checkpoint's visible biases with ``W = 0`` and ``b = 0`` (independent units,
``log Z = sum softplus(a) + M ln 2``, sampled exactly); the initial model
``W ~ N(0, 0.01^2)`` is one short segment away from it.

Each segment ``k -> k+1`` runs the C++ annealing kernel with base model ``theta_k`` and
target ``theta_{k+1}`` on the chains where the previous segment left them (no extra
transition at the boundary: a skipped transition leaves the AIS estimate unbiased), so
the per-chain log-weights add up along the path. Like forward AIS the estimate is a
stochastic lower bound of each ``log Z``.

:func:`trajectory_log_z` estimates all checkpoints at once;
``log_partition(rbm, "trajectory", path=...)`` the last one; :class:`TrajectoryObserver`
carries the chains during training (trainer callback contract).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._rng import RngLike, as_generator, draw_key
from .._validation import positive_int
from ..model import RBM
from .annealing import BaseModel, Schedule, _run, schedule, weight_statistics
from .exact import check_rbm

__all__ = ["TrajectoryObserver", "independent_log_z", "trajectory_log_z"]


def independent_log_z(rbm: RBM) -> float:
    """Exact ``log Z`` of ``rbm`` with its weights set to zero (independent units)."""
    a = np.asarray(rbm.visible_bias, np.float64)
    b = np.asarray(rbm.hidden_bias, np.float64)
    return float(np.logaddexp(0.0, a).sum() + np.logaddexp(0.0, b).sum())


def _check_path(models: Sequence[Any]) -> list[RBM]:
    if len(models) == 0:
        raise ValueError("models: expected at least one RBM")
    out = [check_rbm(m) for m in models]
    first = out[0]
    for i, m in enumerate(out):
        if (m.n_visible, m.n_hidden, m.dtype) != (first.n_visible, first.n_hidden, first.dtype):
            raise ValueError(
                f"models[{i}]: expected shape ({first.n_visible}, {first.n_hidden}) and dtype "
                f"{first.dtype} like models[0], got ({m.n_visible}, {m.n_hidden}), {m.dtype}")
    return out


class _Path:
    """The chains and their accumulated log-weights along a path of models."""

    def __init__(self, start: RBM, n_chains: int, betas: np.ndarray, gen: np.random.Generator):
        self.betas, self.gen = betas, gen
        # theta_{-1}: independent visible units with the start's visible biases, W = 0,
        # b = 0; the kernel samples it exactly (draw_initial) and its log Z is
        # sum softplus(a) + M ln 2 (the kernel's hidden units are free at s = 0).
        self.log_offset = independent_log_z(
            RBM(np.zeros_like(start.weights), start.visible_bias.copy(),
                np.zeros_like(start.hidden_bias)))
        self.visible = np.empty((n_chains, start.n_visible), start.dtype)
        base = BaseModel(np.ascontiguousarray(start.visible_bias), None, 0.0)
        self.log_weights = _run(start, self.visible, base, betas, 1.0, draw_key(gen), True)
        self.last = start

    def step(self, model: RBM) -> None:
        base = BaseModel(self.last.visible_bias, self.last, 0.0)
        self.log_weights = self.log_weights + _run(model, self.visible, base, self.betas, 1.0,
                                                   draw_key(self.gen), False)
        self.last = model

    def estimate(self) -> tuple[float, float, float]:
        log_mean, se, ess = weight_statistics(self.log_weights)
        return self.log_offset + log_mean, se, ess


def _interpolated(a: RBM, b: RBM, n: int) -> list[RBM]:
    """``n`` models on the straight line in parameter space from ``a`` to ``b`` (exclusive)."""
    out = []
    for j in range(1, n + 1):
        s = j / (n + 1)
        out.append(RBM(((1 - s) * a.weights + s * b.weights).astype(a.dtype),
                       ((1 - s) * a.visible_bias + s * b.visible_bias).astype(a.dtype),
                       ((1 - s) * a.hidden_bias + s * b.hidden_bias).astype(a.dtype)))
    return out


def trajectory_log_z(models: Sequence[RBM], *, rng: RngLike = None, n_chains: int = 100,
                     n_betas: int = 100, schedule_kind: Schedule = "linear",
                     n_interpolate: int = 0) -> dict[str, Any]:  # arrays by name (below)
    """Trajectory-AIS estimates of ``log Z`` of every model of a training path.

    Parameters
    ----------
    models : sequence of RBM, length T, each (N, M)
        Checkpoints in training order (same shape and dtype); ``models[0]`` is usually
        the initial model.
    rng : numpy.random.Generator, int or None
    n_chains : int
        Annealing chains.
    n_betas : int
        Distributions per segment, both ends included (at least 2).
    schedule_kind : {"linear", "geometric"} or array_like
        Schedule of each segment (:func:`pyrbm.partition.annealing.schedule`).
    n_interpolate : int
        Models inserted on the straight line in parameter space between consecutive
        checkpoints (each one more segment): checkpoints saved far apart (log-spaced)
        are joined through nearby models, as along a densely saved trajectory.

    Returns
    -------
    dict
        ``log_z`` (T,), ``std_error`` (T,), ``ess`` (T,), ``log_weights`` (n_chains,) of
        the last model and ``final_states`` (n_chains, N).
    """
    path_models = _check_path(models)
    n_chains = positive_int(n_chains, "n_chains")
    betas = schedule(schedule_kind, n_betas)
    path = _Path(path_models[0], n_chains, betas, as_generator(rng))
    values: list[float] = []
    errors: list[float] = []
    ess: list[float] = []
    n_interpolate = positive_int(n_interpolate, "n_interpolate", minimum=0)
    for i, model in enumerate(path_models):
        if i:
            for between in _interpolated(path_models[i - 1], model, n_interpolate):
                path.step(between)
            path.step(model)
        v, se, e = path.estimate()
        values.append(v)
        errors.append(se)
        ess.append(e)
    return {"log_z": np.array(values), "std_error": np.array(errors), "ess": np.array(ess),
            "log_weights": path.log_weights.copy(), "final_states": path.visible.copy()}


class TrajectoryObserver:
    """Training callback: ``log Z`` and log-likelihoods by trajectory AIS at every checkpoint.

    Holds ``n_chains`` annealing chains; at each checkpoint it anneals them from the
    previous checkpoint's model to the current one and returns ``log_z_traj``,
    ``log_z_traj_se``, ``train_ll_traj`` and (with test data) ``test_ll_traj``. The
    chains live in memory: a resumed run needs the same observer object, or
    :func:`trajectory_log_z` over the archive's checkpoints afterwards.

    Parameters
    ----------
    initial : RBM
        The model before the first update (a copy is kept).
    train_data, test_data : numpy.ndarray, shape (n, N), optional
        Binary data whose mean log-likelihood is reported.
    n_chains, n_betas, schedule_kind
        As in :func:`trajectory_log_z`.
    seed : int
    """

    def __init__(self, initial: RBM, train_data: np.ndarray | None = None,
                 test_data: np.ndarray | None = None, *, n_chains: int = 100,
                 n_betas: int = 100, schedule_kind: Schedule = "linear", seed: int = 0):
        initial = check_rbm(initial)
        self.path = _Path(self._copy(initial), positive_int(n_chains, "n_chains"),
                          schedule(schedule_kind, n_betas), np.random.default_rng(seed))
        self.data = {k: d for k, d in (("train", train_data), ("test", test_data))
                     if d is not None}
        self.last_update = 0

    @staticmethod
    def _copy(r: RBM) -> RBM:
        return RBM(r.weights.copy(), r.visible_bias.copy(), r.hidden_bias.copy())

    def __call__(self, rbm: RBM, info: object) -> dict[str, float]:  # reads info.update if any
        from .estimators import LogZ, log_likelihood  # estimators imports this module

        update = int(getattr(info, "update", self.last_update + 1))
        if update <= self.last_update:
            raise ValueError(f"info.update: checkpoints must advance (got {update} after "
                             f"{self.last_update}); a resumed run needs trajectory_log_z")
        self.path.step(self._copy(rbm))
        self.last_update = update
        value, se, _ = self.path.estimate()
        out = {"log_z_traj": value, "log_z_traj_se": se}
        for name, data in self.data.items():
            out[f"{name}_ll_traj"] = log_likelihood(rbm, data, LogZ(value, "trajectory"))
        return out

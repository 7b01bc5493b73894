"""Gradient-ascent optimizers and learning-rate schedules for the trainer.

Optimizers update a list of parameter arrays in place from their gradients of the
log-likelihood (ascent). Their whole state is a dict of arrays and scalars
(:meth:`Optimizer.state_dict`) so a checkpoint can restore it bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, TypeAlias

import numpy as np

from .. import _core
from .._validation import finite_scalar

OPTIMIZERS = ("sgd", "momentum", "adam")
SCHEDULES = ("constant", "exponential", "linear")
#: An optimizer's state: the update count ``t`` and its arrays by name.
State: TypeAlias = "dict[str, np.ndarray | int]"


def learning_rate(
    base: float, schedule: str, update: int, total_updates: int, decay: float
) -> float:
    """Learning rate of update number ``update`` (0-based).

    Parameters
    ----------
    base : float
        Initial learning rate.
    schedule : {"constant", "exponential", "linear"}
        ``constant``: ``base``; ``exponential``: ``base * decay**f`` and ``linear``:
        ``base * (1 - (1 - decay) f)``, with ``f = min(update / (total_updates - 1), 1)``:
        both reach ``base * decay`` at the last update of the horizon and stay there.
    update : int
        Index of the update.
    total_updates : int
        Horizon of the decaying schedules, in updates.
    decay : float
        Final factor of the decaying schedules, in (0, 1].

    Returns
    -------
    float
    """
    fraction = min(update / max(total_updates - 1, 1), 1.0)  # then stay at the final value
    if schedule == "constant":
        return base
    if schedule == "exponential":
        return float(base * decay**fraction)
    if schedule == "linear":
        return base * (1.0 - (1.0 - decay) * fraction)
    raise ValueError(f"schedule: expected one of {SCHEDULES}, got {schedule!r}")


class Optimizer:
    """Base class: ``step(params, grads, lr)`` adds an ascent step to each parameter."""

    name = ""

    def __init__(self, shapes: list[tuple[int, ...]], dtype: np.dtype):
        self.shapes, self.dtype = shapes, dtype
        self.t = 0

    def step(self, params: list[np.ndarray], grads: list[np.ndarray], lr: float) -> None:
        """Update ``params`` in place; ``grads`` may be overwritten."""
        self.t += 1
        for index, (param, grad) in enumerate(zip(params, grads)):
            self._step_one(index, param, grad, lr)

    def _step_one(self, index: int, param: np.ndarray, grad: np.ndarray, lr: float) -> None:
        raise NotImplementedError

    def state_dict(self) -> State:
        """Arrays and scalars that determine the future updates."""
        return {"t": self.t}

    def load_state_dict(self, state: Mapping[str, np.ndarray | int]) -> None:
        """Restore a state saved by :meth:`state_dict`."""
        self.t = int(state["t"])


class SGD(Optimizer):
    """Plain gradient ascent ``p += lr * g``."""

    name = "sgd"

    def _step_one(self, index: int, param: np.ndarray, grad: np.ndarray, lr: float) -> None:
        grad *= param.dtype.type(lr)
        param += grad


class Momentum(Optimizer):
    """Heavy-ball momentum: ``u = mu u + lr g``; ``p += u``."""

    name = "momentum"

    def __init__(self, shapes: list[tuple[int, ...]], dtype: np.dtype, momentum: float = 0.9):
        super().__init__(shapes, dtype)
        self.momentum = finite_scalar(momentum, "momentum", minimum=0.0)
        self.velocity = [np.zeros(s, dtype) for s in shapes]

    def _step_one(self, index: int, param: np.ndarray, grad: np.ndarray, lr: float) -> None:
        u = self.velocity[index]
        u *= param.dtype.type(self.momentum)
        grad *= param.dtype.type(lr)
        u += grad
        param += u

    def state_dict(self) -> State:
        return {"t": self.t, **{f"velocity{i}": u for i, u in enumerate(self.velocity)}}

    def load_state_dict(self, state: Mapping[str, np.ndarray | int]) -> None:
        super().load_state_dict(state)
        for i, u in enumerate(self.velocity):
            u[...] = state[f"velocity{i}"]


class Adam(Optimizer):
    """Adam (Kingma & Ba) with bias correction, as an ascent method."""

    name = "adam"

    def __init__(
        self,
        shapes: list[tuple[int, ...]],
        dtype: np.dtype,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
    ):
        super().__init__(shapes, dtype)
        self.beta1 = finite_scalar(beta1, "beta1", minimum=0.0)
        self.beta2 = finite_scalar(beta2, "beta2", minimum=0.0)
        self.eps = finite_scalar(eps, "eps", minimum=0.0)
        if self.beta1 >= 1 or self.beta2 >= 1:
            raise ValueError(f"beta1, beta2: must be < 1, got {self.beta1}, {self.beta2}")
        self.m = [np.zeros(s, dtype) for s in shapes]
        self.v = [np.zeros(s, dtype) for s in shapes]
        # The denominator of each step, kept: written with out= every step, so an update
        # allocates no W-sized temporaries (five before; the same values either way).
        self._denom = [np.empty(s, dtype) for s in shapes]

    def _constants(self, lr: float) -> tuple[float, float, float, float, float, float]:
        """beta1, 1 - beta1, beta2, 1 - beta2, the corrected eps and step of this update."""
        # Bias corrections folded into the step size (Kingma & Ba, end of section 2).
        correction = math.sqrt(1 - self.beta2**self.t)
        step = lr * correction / (1 - self.beta1**self.t)
        return (self.beta1, 1 - self.beta1, self.beta2, 1 - self.beta2,
                self.eps * correction, step)

    def _step_one(self, index: int, param: np.ndarray, grad: np.ndarray, lr: float) -> None:
        m, v = self.m[index], self.v[index]
        if (param.dtype == grad.dtype == m.dtype and param.flags.c_contiguous
                and grad.flags.c_contiguous and param.flags.writeable and grad.flags.writeable):
            # One fused pass in C++ (the NumPy version below makes nine over W-sized
            # arrays: 14 % of a PCD-1 update at 784 x 1200); the same bits.
            _core.adam_step(param, grad, m, v, *self._constants(lr))
        else:
            self._step_numpy(index, param, grad, lr)

    def _step_numpy(self, index: int, param: np.ndarray, grad: np.ndarray, lr: float) -> None:
        """The NumPy reference of the step: each operation rounded to the dtype in turn."""
        f = param.dtype.type
        beta1, c1, beta2, c2, eps, step = self._constants(lr)
        m, v, denom = self.m[index], self.v[index], self._denom[index]
        m *= f(beta1)
        np.multiply(grad, f(c1), out=denom)  # denom: scratch until its turn
        m += denom
        grad *= grad
        v *= f(beta2)
        grad *= f(c2)
        v += grad
        np.sqrt(v, out=denom)
        denom += f(eps)
        np.multiply(m, f(step), out=grad)  # grad is spent: the step's numerator
        grad /= denom
        param += grad

    def state_dict(self) -> State:
        out: State = {"t": self.t}
        for i, (m, v) in enumerate(zip(self.m, self.v)):
            out[f"m{i}"], out[f"v{i}"] = m, v
        return out

    def load_state_dict(self, state: Mapping[str, np.ndarray | int]) -> None:
        super().load_state_dict(state)
        for i, (m, v) in enumerate(zip(self.m, self.v)):
            m[...] = state[f"m{i}"]
            v[...] = state[f"v{i}"]


def make_optimizer(
    name: str, shapes: list[tuple[int, ...]], dtype: np.dtype,
    **options: Any,  # the chosen class's constants (floats), checked by its constructor
) -> Optimizer:
    """Build the optimizer ``name`` ("sgd", "momentum" or "adam") for ``shapes``."""
    classes: dict[str, type[Optimizer]] = {"sgd": SGD, "momentum": Momentum, "adam": Adam}
    if name not in classes:
        raise ValueError(f"optimizer: expected one of {OPTIMIZERS}, got {name!r}")
    return classes[name](shapes, dtype, **options)

"""Training: CD-k, PCD-k and Rdm-k with SGD / momentum / Adam, checkpoints and resume.

:func:`train` starts a run, :func:`resume` continues one from its archive,
:func:`init_rbm` makes the paper's initial model. :class:`TrainConfig` holds every
option of a run (validated once), :class:`CheckpointInfo` is what callbacks receive and
:class:`History` the per-checkpoint records. Submodules: ``api`` (these entry points),
``config`` (settings and records), ``loop`` (the trainer), ``optim`` (optimizers and
step-size schedules), ``metrics`` (monitoring: pseudo-likelihood, reconstruction).
"""

from . import metrics, optim
from .api import METHODS, init_rbm, resume, train
from .config import CheckpointInfo, History, TrainConfig

__all__ = [
    "METHODS",
    "CheckpointInfo",
    "History",
    "TrainConfig",
    "init_rbm",
    "metrics",
    "optim",
    "resume",
    "train",
]

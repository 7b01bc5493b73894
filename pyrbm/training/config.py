"""Settings and records of a training run: :class:`TrainConfig` (validated in one
place, stored in the archive), :class:`History` (the per-checkpoint records), plus the
checks of the training data. :class:`CheckpointInfo`, the record of one checkpoint
(what callbacks receive and the archive lists), is :class:`pyrbm.io.archive.CheckpointInfo`.
"""

from __future__ import annotations

import hashlib
import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..io.archive import CheckpointInfo as CheckpointInfo  # re-exported: training's record
from .._validation import finite_scalar, positive_int
from ..model import RBM
from .optim import OPTIMIZERS, SCHEDULES

METHODS = ("pcd", "cd", "rdm")
SAMPLERS = ("gibbs", "pt")


class History:
    """Per-checkpoint records of a run (``epoch``, ``update``, ``wall_time``, metrics).

    ``history["name"]`` gives one column as an array (NaN where a record lacks it);
    ``history.records`` is the list of dicts.
    """

    def __init__(self, records: Iterable[Mapping[str, float]] = ()):
        self.records: list[dict[str, float]] = [dict(r) for r in records]

    def append(self, record: CheckpointInfo) -> None:
        """Add one checkpoint's record (position, wall time and metrics)."""
        self.records.append(
            {"epoch": record.epoch, "update": record.update, "wall_time": record.wall_time,
             **record.metrics}
        )

    def keys(self) -> list[str]:
        """Column names in first-seen order."""
        names: dict[str, None] = {}
        for record in self.records:
            names.update(dict.fromkeys(record))
        return list(names)

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self.keys():
            raise KeyError(f"history has no column {name!r}; columns: {self.keys()}")
        return np.array([r.get(name, np.nan) for r in self.records], dtype=np.float64)

    def __len__(self) -> int:
        return len(self.records)

    def __repr__(self) -> str:
        return f"History({len(self)} checkpoints, columns={self.keys()})"


Callback = Callable[[RBM, CheckpointInfo], "Mapping[str, float] | None"]


def _as_data(data: Any, name: str) -> np.ndarray:
    if not isinstance(data, np.ndarray):
        raise TypeError(f"{name}: expected a numpy array or a dataset name, got {type(data).__name__}")
    if data.ndim != 2 or data.shape[0] == 0:
        raise ValueError(f"{name}: expected shape (n_samples, n_visible), got {data.shape}")
    if data.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected a numeric array, got {data.dtype}")
    if not (np.all(data >= 0) and np.all(data <= 1)):
        raise ValueError(f"{name}: values must lie in [0, 1]")
    return data


def _fingerprint(data: np.ndarray) -> str:
    return hashlib.blake2b(np.ascontiguousarray(data).tobytes(), digest_size=16).hexdigest()


@dataclass
class TrainConfig:
    """All settings of a run; stored in the archive and validated in one place."""

    method: str = "pcd"
    k: int = 1
    batch_size: int = 500
    n_chains: int | None = None
    epochs: int = 1
    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    lr_schedule: str = "constant"
    lr_decay: float = 0.1
    decay_epochs: int | None = None
    l1: float = 0.0
    l2: float = 0.0
    centered: bool = False
    binarize_batches: bool = False
    exact_sums: bool = False
    drop_last: bool = True
    checkpoint_every: str | int = "epoch"
    monitor: bool = True
    monitor_size: int = 1000
    dataset: str | None = None
    sampler: str = "gibbs"
    temperatures: int = 8

    def validate(self) -> None:
        """Raise ValueError/TypeError naming the first bad setting."""
        if self.method not in METHODS:
            raise ValueError(f"method: expected one of {METHODS}, got {self.method!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer: expected one of {OPTIMIZERS}, got {self.optimizer!r}")
        if self.lr_schedule not in SCHEDULES:
            raise ValueError(f"lr_schedule: expected one of {SCHEDULES}, got {self.lr_schedule!r}")
        if self.sampler not in SAMPLERS:
            raise ValueError(f"sampler: expected one of {SAMPLERS}, got {self.sampler!r}")
        if self.sampler == "pt" and self.method != "pcd":
            raise ValueError(f"sampler: 'pt' keeps persistent chains; needs method='pcd', "
                             f"got {self.method!r}")
        positive_int(self.temperatures, "temperatures", minimum=2)
        for name in ("k", "batch_size", "epochs", "monitor_size"):
            positive_int(getattr(self, name), name)
        for name in ("n_chains", "decay_epochs"):
            if getattr(self, name) is not None:
                positive_int(getattr(self, name), name)
        for name in ("lr", "momentum", "beta1", "beta2", "eps", "l1", "l2"):
            finite_scalar(getattr(self, name), name, minimum=0.0)
        decay = finite_scalar(self.lr_decay, "lr_decay", minimum=0.0)
        if not 0 < decay <= 1:
            raise ValueError(f"lr_decay: must be in (0, 1], got {decay}")
        every = self.checkpoint_every
        if isinstance(every, str):
            if every not in ("epoch", "exponential"):
                raise ValueError(
                    f"checkpoint_every: expected 'epoch', 'exponential' or an int, got {every!r}"
                )
        else:
            positive_int(every, "checkpoint_every")


def parameter_summaries(docstring: str) -> dict[str, str]:
    """First sentence of each entry of a numpydoc ``Parameters`` section.

    ``"beta1, beta2, eps : float"`` documents three names; an entry without a
    description maps to ``""``. The CLI takes its help texts from :func:`pyrbm.train`
    this way, and a test checks that the section documents every :class:`TrainConfig`
    field.

    Parameters
    ----------
    docstring : str

    Returns
    -------
    dict of str to str
    """
    lines = inspect.cleandoc(docstring).splitlines() + [""]
    try:
        start = lines.index("Parameters") + 2  # past the dashes
    except ValueError:
        return {}
    entries: list[tuple[list[str], list[str]]] = []
    for line, following in zip(lines[start:], lines[start + 1 :]):
        if line and not line.startswith(" "):
            if set(following) == {"-"}:  # the next section's title
                break
            entries.append(([n.strip() for n in line.split(" : ")[0].split(",")], []))
        elif entries:
            entries[-1][1].append(line.strip())
    out: dict[str, str] = {}
    for names, description in entries:
        text = " ".join(" ".join(description).split())
        out.update(dict.fromkeys(names, re.split(r"(?<!\.[a-z]\.)(?<=\.)\s", text)[0].rstrip(".")))
    return out

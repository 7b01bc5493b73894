"""Files: run archives (:mod:`~pyrbm.io.archive`, HDF5, atomic writes, bit-identical
resume) and data sets (:mod:`~pyrbm.io.datasets`: MNIST, Fashion-MNIST, digits).
"""

from . import archive, datasets
from .archive import ArchiveError, CheckpointInfo, list_checkpoints, load, read_config

__all__ = [
    "ArchiveError",
    "CheckpointInfo",
    "archive",
    "datasets",
    "list_checkpoints",
    "load",
    "read_config",
]

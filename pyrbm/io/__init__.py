"""Files: run archives (:mod:`~pyrbm.io.archive`, HDF5, atomic writes, bit-identical
resume), data sets (:mod:`~pyrbm.io.datasets`: MNIST, Fashion-MNIST, digits) and models
in and out of other tools' formats (:mod:`~pyrbm.io.formats`: rbms / fastrbm,
RestrictedBoltzmannMachines.jl, scikit-learn, .npz).
"""

from . import archive, datasets, formats
from .archive import (
    ArchiveError,
    CheckpointInfo,
    CheckpointRecord,
    list_checkpoints,
    load,
    load_checkpoints,
    read_config,
)
from .formats import (
    ModelCheckpoint,
    ModelFileError,
    detect_format,
    list_model_checkpoints,
    read_model,
    read_models,
    write_model,
)

__all__ = [
    "ArchiveError",
    "CheckpointInfo",
    "CheckpointRecord",
    "ModelCheckpoint",
    "ModelFileError",
    "archive",
    "datasets",
    "detect_format",
    "formats",
    "list_checkpoints",
    "list_model_checkpoints",
    "load",
    "load_checkpoints",
    "read_config",
    "read_model",
    "read_models",
    "write_model",
]

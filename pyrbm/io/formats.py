"""Binary RBMs in and out of the formats other tools write.

:func:`read_model` returns an :class:`~pyrbm.RBM` from any of

``"pyrbm"``
    pyrbm run archives (:mod:`pyrbm.io.archive`; one model per checkpoint).
``"npz"``
    numpy ``.npz`` files with the arrays ``weights`` (n_visible, n_hidden),
    ``visible_bias`` and ``hidden_bias``.
``"rbms"``
    HDF5 archives of DsysDML/rbms and fastrbm (which saves through rbms): one group
    ``update_<n>`` per checkpoint with ``params/{weight_matrix, vbias, hbias}``
    (``weight_matrix`` of shape (n_visible, n_hidden)), or the older layout with the
    arrays directly under ``update_<n>``; the dataset ``model_type`` must be
    ``"BBRBM"`` (Potts and Gaussian models are refused).
``"julia"``
    HDF5 files of RestrictedBoltzmannMachinesHDF5.jl, the ``save_rbm`` companion of
    cossio/RestrictedBoltzmannMachines.jl (file format version 1.0.0, all releases
    1.x and 2.x, with or without the ``rbm_type`` dataset): ``weights``,
    ``visible_par``, ``hidden_par``, ``visible_type``, ``hidden_type``. Julia arrays
    are column-major, so h5py sees every array with its dimensions reversed: the
    weights as (n_hidden, n_visible) and a ``Binary`` layer's parameters as
    (n_units, 1). Only ``Binary`` layers of a plain ``RBM`` are read (``Spin``,
    ``Potts``, ``Gaussian``, ``xReLU`` layers and ``StandardizedRBM`` are refused).
``"sklearn"``
    a fitted :class:`sklearn.neural_network.BernoulliRBM` (or pyrbm's drop-in), the
    object itself or its pickle / joblib file (``components_`` is (n_hidden,
    n_visible)). Unpickling runs code from the file: open only files you trust.

The format is detected from the content (HDF5 signature and layout, zip, pickle and
compressor magic numbers), never from the extension alone. Every failure is a
:class:`ModelFileError` (a ``ValueError``) that names the file and what is wrong.
:func:`write_model` writes ``"npz"``, ``"rbms"``, ``"julia"`` and ``"sklearn"``.
"""

from __future__ import annotations

import os
import pickle
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import h5py
import numpy as np

from ..model import RBM
from . import _journal, archive
from ._layouts import (
    JULIA_HEADER,
    UPDATE_NAME,
    ModelCheckpoint,
    ModelFileError,
    model_from_arrays,
    rbms_arrays,
    rbms_checkpoints,
    rbms_listing,
    read_julia,
    write_julia,
    write_rbms,
)

__all__ = ["FORMATS", "ModelCheckpoint", "ModelFileError", "detect_format",
           "list_model_checkpoints", "read_model", "read_models", "write_model"]

#: Formats :func:`read_model` knows.
FORMATS = ("pyrbm", "npz", "rbms", "julia", "sklearn")
#: Formats :func:`write_model` writes.
WRITABLE = ("npz", "rbms", "julia", "sklearn")

_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
#: First bytes of a pickle (protocol >= 2) and of the compressors joblib uses.
_PICKLE_MAGIC = (b"\x80", b"\x1f\x8b", b"\x78\x01", b"\x78\x5e", b"\x78\x9c", b"\x78\xda",
                 b"BZh", b"\xfd7zXZ\x00", b"\x5d\x00\x00", b"\x04\x22\x4d\x18")
_NPZ_NAMES = ("weights", "visible_bias", "hidden_bias")


# -- scikit-learn -------------------------------------------------------------------------
def from_estimator(estimator: object, source: str = "estimator") -> RBM:
    """The RBM of a fitted scikit-learn-style ``BernoulliRBM``.

    Parameters
    ----------
    estimator : object
        Has ``components_`` (n_hidden, n_visible), ``intercept_visible_`` (n_visible,)
        and ``intercept_hidden_`` (n_hidden,).
    source : str
        Name used in error messages.

    Returns
    -------
    RBM
        ``W = components_.T``; the dtype of the fitted arrays is kept.
    """
    missing = [n for n in ("components_", "intercept_visible_", "intercept_hidden_")
               if not hasattr(estimator, n)]
    if missing:
        raise ModelFileError(f"{source}: {type(estimator).__name__} is not a fitted "
                             f"BernoulliRBM (no {', '.join(missing)})")
    components = np.asarray(getattr(estimator, "components_"))
    if components.ndim != 2:
        raise ModelFileError(f"{source}: components_ has shape {components.shape}, "
                             "expected (n_hidden, n_visible)")
    return model_from_arrays(source, components.T, getattr(estimator, "intercept_visible_"),
                             getattr(estimator, "intercept_hidden_"))


def to_estimator(rbm: RBM, *, batch_size: int = 10) -> Any:  # scikit-learn ships no types
    """A fitted :class:`sklearn.neural_network.BernoulliRBM` with ``rbm``'s parameters.

    Parameters
    ----------
    rbm : RBM
    batch_size : int
        The estimator's ``batch_size`` (rows of its persistent chains ``h_samples_``,
        zeros, as after ``fit``'s initialization).

    Returns
    -------
    sklearn.neural_network.BernoulliRBM
    """
    try:
        from sklearn.neural_network import BernoulliRBM
    except ImportError:  # pragma: no cover - scikit-learn is a test dependency
        raise ModelFileError("scikit-learn is not installed (pip install scikit-learn)") from None
    est = BernoulliRBM(n_components=rbm.n_hidden, batch_size=batch_size)
    est.components_ = np.array(rbm.weights.T, order="C")
    est.intercept_hidden_ = rbm.hidden_bias.copy()
    est.intercept_visible_ = rbm.visible_bias.copy()
    est.h_samples_ = np.zeros((batch_size, rbm.n_hidden), rbm.dtype)
    est.n_features_in_ = rbm.n_visible
    return est


# -- detection ----------------------------------------------------------------------------
def _head(path: str, n: int = 8) -> bytes:
    if not os.path.exists(path):
        raise ModelFileError(f"{path}: no such file")
    if not os.path.isfile(path):
        raise ModelFileError(f"{path}: not a regular file")
    with open(path, "rb") as fh:
        return fh.read(n)


def _open_h5(path: str) -> h5py.File:
    try:
        return h5py.File(path, "r")
    except OSError as exc:
        raise ModelFileError(f"{path}: truncated or corrupt HDF5 file ({exc})") from None


def _hdf5_layout(handle: h5py.File, path: str) -> str:
    if handle.attrs.get("format") == archive.FORMAT:
        return "pyrbm"
    keys = list(handle.keys())
    if JULIA_HEADER in keys:
        return "julia"
    if "model_type" in keys or any(UPDATE_NAME.match(k) for k in keys):
        return "rbms"
    shown = ", ".join(keys[:8]) or "nothing"
    raise ModelFileError(f"{path}: HDF5 file of an unknown layout (top level: {shown}); "
                         f"known formats: {', '.join(FORMATS)}")


def detect_format(path: str | os.PathLike[str]) -> str:
    """The format of the model file ``path``, from its content.

    Returns
    -------
    str
        One of :data:`FORMATS`.

    Raises
    ------
    ModelFileError
        Missing file, or a content no reader knows.
    """
    path = os.fspath(path)
    head = _head(path)
    try:  # the lock of pyrbm archives' readers: no commit of an append while HDF5 reads
        with _journal.reading(path):
            if head.startswith(_HDF5_MAGIC) or h5py.is_hdf5(path):  # is_hdf5: user blocks
                with _open_h5(path) as handle:
                    return _hdf5_layout(handle, path)
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if head.startswith(b"PK"):
        return "npz"
    if head.startswith(_PICKLE_MAGIC):
        return "sklearn"
    if not head:
        raise ModelFileError(f"{path}: empty file")
    raise ModelFileError(f"{path}: unknown file format (starts with {head!r}); "
                         f"known formats: {', '.join(FORMATS)}")


def _resolve(source: object, fmt: str) -> tuple[str, str]:
    if fmt not in ("auto", *FORMATS):
        raise ValueError(f"format: expected 'auto' or one of {FORMATS}, got {fmt!r}")
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"path: expected a str or os.PathLike, got {type(source).__name__}")
    path = os.fspath(source)
    found = detect_format(path)
    if fmt != "auto" and fmt != found:
        raise ModelFileError(f"{path}: format={fmt!r} requested, but the file is {found!r}")
    return path, found


def _position(checkpoint: Any, count: int, path: str) -> int:
    if isinstance(checkpoint, bool) or not isinstance(checkpoint, (int, np.integer)):
        raise TypeError(f"checkpoint: expected an int, got {type(checkpoint).__name__}")
    if not -count <= checkpoint < count:
        raise IndexError(f"checkpoint: {checkpoint} out of range for {count} "
                         f"checkpoint(s) in {path}")
    return int(checkpoint) % count


# -- npz, pickle --------------------------------------------------------------------------
def _read_npz(path: str) -> RBM:
    try:  # our own file object: np.load leaks its own when the zip is corrupt
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as data:
            missing = [n for n in _NPZ_NAMES if n not in data.files]
            if missing:
                raise ModelFileError(f"{path}: .npz without {', '.join(missing)} "
                                     f"(has {', '.join(data.files) or 'nothing'})")
            arrays = [data[n] for n in _NPZ_NAMES]
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        if isinstance(exc, ModelFileError):
            raise
        raise ModelFileError(f"{path}: truncated or corrupt .npz file ({exc})") from None
    return model_from_arrays(path, *arrays)


def _load_pickle(path: str) -> Any:
    try:
        # comes with scikit-learn; reads plain and compressed pickles (ships no type hints)
        import joblib  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - no scikit-learn: plain pickles only
        with open(path, "rb") as fh:
            return pickle.load(fh)
    return joblib.load(path)


def _read_pickle(path: str) -> RBM:
    try:
        estimator = _load_pickle(path)
    except (pickle.UnpicklingError, EOFError, OSError, ValueError, AttributeError,
            ImportError, IndexError, KeyError, TypeError, MemoryError) as exc:
        # MemoryError: a corrupt frame header can announce an absurd length
        raise ModelFileError(f"{path}: truncated or corrupt pickle/joblib file "
                             f"({type(exc).__name__}: {exc})") from None
    return from_estimator(estimator, path)


# -- public -------------------------------------------------------------------------------
def list_model_checkpoints(path: str | os.PathLike[str], *,
                           format: str = "auto") -> list[ModelCheckpoint]:
    """The models saved in ``path``, oldest first, read from metadata only.

    Parameters
    ----------
    path : str or os.PathLike
    format : {"auto", "pyrbm", "npz", "rbms", "julia", "sklearn"}

    Returns
    -------
    list of ModelCheckpoint
        One entry for the single-model formats (npz, julia, sklearn).
    """
    path, fmt = _resolve(path, format)
    if fmt == "pyrbm":
        return [ModelCheckpoint(i, f"{r.index:06d}", r.update, r.epoch, r.wall_time)
                for i, r in enumerate(archive.list_checkpoints(path))]
    if fmt == "rbms":
        with _open_h5(path) as handle:
            return _guarded(path, lambda: rbms_listing(handle, path))
    return [ModelCheckpoint(0, "", None)]


_T = TypeVar("_T")


def _guarded(path: str, action: Callable[[], _T]) -> _T:
    """Run ``action``; a damaged HDF5 content becomes a ModelFileError naming ``path``."""
    try:
        return action()
    except ModelFileError:
        raise
    except (KeyError, OSError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: damaged file ({type(exc).__name__}: {exc})") from None


# source: a path, or a fitted estimator (duck-typed, checked here), hence object
def read_model(source: str | os.PathLike[str] | object, *, checkpoint: int = -1,
               format: str = "auto") -> RBM:
    """Read a binary RBM from a file of any known format, or from a fitted estimator.

    Parameters
    ----------
    source : str, os.PathLike or estimator
        A model file (see the module docstring for the formats) or a fitted
        scikit-learn ``BernoulliRBM`` (or pyrbm's drop-in).
    checkpoint : int
        Position in the file's list of checkpoints (:func:`list_model_checkpoints`;
        Python indexing, -1 = latest). Single-model formats accept 0 and -1.
    format : {"auto", "pyrbm", "npz", "rbms", "julia", "sklearn"}
        "auto" detects it from the content; any other value must match the content.

    Returns
    -------
    RBM
        ``W`` (n_visible, n_hidden) float32 or float64, the file's precision kept.

    Raises
    ------
    ModelFileError
        Unknown or non-binary format, truncated or corrupt file, mismatched shapes,
        non-finite parameters (the message names the file).
    IndexError
        ``checkpoint`` out of range.
    """
    if not isinstance(source, (str, os.PathLike)):
        if format not in ("auto", "sklearn"):
            raise ValueError(f"format: an estimator object is 'sklearn', not {format!r}")
        _position(checkpoint, 1, type(source).__name__)
        return from_estimator(source, type(source).__name__)
    path, fmt = _resolve(source, format)
    if fmt == "pyrbm":
        count = len(archive.list_checkpoints(path))
        return archive.load(path, _position(checkpoint, count, path))
    if fmt in ("npz", "sklearn"):
        _position(checkpoint, 1, path)
        return _read_npz(path) if fmt == "npz" else _read_pickle(path)
    with _open_h5(path) as handle:
        if fmt == "julia":
            _position(checkpoint, 1, path)
            return _guarded(path, lambda: read_julia(handle, path))

        def rbms() -> RBM:
            updates = rbms_checkpoints(handle, path)
            name = updates[_position(checkpoint, len(updates), path)][1]
            return model_from_arrays(path, *rbms_arrays(handle[name], path))

        return _guarded(path, rbms)


def read_models(source: str | os.PathLike[str], checkpoints: Sequence[int], *,
                format: str = "auto") -> list[RBM]:
    """Read several checkpoints of one model file, opening (and checking) it once.

    Like ``[read_model(source, checkpoint=c) for c in checkpoints]``; for a pyrbm archive
    the file's checksum is verified once instead of twice per checkpoint (each check reads
    the whole archive), for an rbms / fastrbm file HDF5 opens it once.

    Parameters
    ----------
    source : str or os.PathLike
        A model file.
    checkpoints : sequence of int
        Positions in the file's list of checkpoints (Python indexing).
    format : {"auto", "pyrbm", "npz", "rbms", "julia", "sklearn"}

    Returns
    -------
    list of RBM

    Raises
    ------
    ModelFileError, IndexError
        As :func:`read_model`.
    """
    picks = list(checkpoints)
    path, fmt = _resolve(source, format)
    if fmt == "pyrbm":
        return archive.load_checkpoints(path, picks)
    if fmt != "rbms":
        return [read_model(path, checkpoint=c, format=fmt) for c in picks]
    with _open_h5(path) as handle:
        def rbms() -> list[RBM]:
            updates = rbms_checkpoints(handle, path)
            names = [updates[_position(c, len(updates), path)][1] for c in picks]
            return [model_from_arrays(path, *rbms_arrays(handle[n], path)) for n in names]

        return _guarded(path, rbms)


def write_model(rbm: RBM, path: str | os.PathLike[str], *, format: str,
                update: int = 0, chains: np.ndarray | None = None,
                hyperparameters: Mapping[str, Any] | None = None  # JSON-able values
                ) -> Path:
    """Write ``rbm`` so that another tool opens it.

    Parameters
    ----------
    rbm : RBM
    path : str or os.PathLike
        Written as given (no extension added).
    format : {"npz", "rbms", "julia", "sklearn"}
        ``"npz"``: ``weights``, ``visible_bias``, ``hidden_bias``. ``"rbms"``: the
        DsysDML/rbms archive layout (``update_<update>/params/...``, ``model_type``
        "BBRBM", ``parallel_chains``); an existing rbms archive gets one more
        checkpoint. ``"julia"``: RestrictedBoltzmannMachinesHDF5.jl format 1.0.0.
        ``"sklearn"``: a fitted ``BernoulliRBM`` saved with joblib.
    update : int
        rbms only: the checkpoint's update number.
    chains : numpy.ndarray, shape (n, n_visible), optional
        rbms only: the ``parallel_chains`` to store (default one row of zeros).
    hyperparameters : mapping, optional
        rbms only: entries of the ``hyperparameters`` group besides ``num_visibles``,
        ``num_hiddens`` and ``num_chains``. rbms' ``load_params`` needs none;
        its ``load_model`` needs ``batch_size``, ``gibbs_steps``, ``learning_rate``,
        ``L1`` and ``L2`` (the training settings, which an RBM alone does not know).

    Returns
    -------
    pathlib.Path
    """
    if not isinstance(rbm, RBM):
        raise TypeError(f"rbm: expected a pyrbm.RBM, got {type(rbm).__name__}")
    if format not in WRITABLE:
        raise ValueError(f"format: expected one of {WRITABLE}, got {format!r}")
    if isinstance(update, bool) or not isinstance(update, (int, np.integer)) or update < 0:
        raise ValueError(f"update: expected a non-negative int, got {update!r}")
    out = Path(path)
    if format == "npz":
        with open(out, "wb") as fh:  # a file object: numpy adds no ".npz"
            np.savez(fh, weights=rbm.weights, visible_bias=rbm.visible_bias,
                     hidden_bias=rbm.hidden_bias)
    elif format == "rbms":
        if out.exists() and detect_format(out) != "rbms":
            raise ModelFileError(f"{out}: exists and is not an rbms archive")
        write_rbms(rbm, os.fspath(out), int(update), chains, hyperparameters)
    elif format == "julia":
        write_julia(rbm, os.fspath(out))
    else:
        import joblib

        joblib.dump(to_estimator(rbm), out)
    return out

"""The HDF5 layouts of other tools' models: DsysDML/rbms (also fastrbm's) and
RestrictedBoltzmannMachinesHDF5.jl (see :mod:`pyrbm.io.formats`, which uses these).

The readers take an open :class:`h5py.File` and the path (for messages); every problem
raises :class:`ModelFileError` naming the file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import h5py
import numpy as np

from ..model import RBM

JULIA_HEADER = "rbm_hdf5_file_format_version"
_JULIA_VERSIONS = ("1.0.0",)
UPDATE_NAME = re.compile(r"^update_(\d+)$")
_RBMS_NAMES = ("weight_matrix", "vbias", "hbias")


class ModelFileError(ValueError):
    """A model file or object that cannot be read or written (the message says why)."""


@dataclass(frozen=True)
class ModelCheckpoint:
    """One saved model of a file, listed without reading its arrays.

    Attributes
    ----------
    index : int
        Position in the file's list (what ``read_model(..., checkpoint=index)`` takes).
    name : str
        Group of the checkpoint in the file ("" for single-model formats).
    update : int or None
        Training updates at that point, where the format records them.
    epoch : int or None
    time : float or None
        Wall time of training at that point (s), where recorded.
    flags : tuple of str
        rbms checkpoint flags (e.g. ``"ptt"``).
    """

    index: int
    name: str
    update: int | None
    epoch: int | None = None
    time: float | None = None
    flags: tuple[str, ...] = ()


# -- parameters ---------------------------------------------------------------------------
def model_from_arrays(source: str, weights: Any, visible_bias: Any, hidden_bias: Any) -> RBM:
    """An RBM from three arrays read from ``source``; every problem names ``source``."""
    arrays = [np.asarray(x) for x in (weights, visible_bias, hidden_bias)]
    for name, x in zip(("weights", "visible bias", "hidden bias"), arrays):
        if x.dtype.kind not in "iuf":
            raise ModelFileError(f"{source}: {name} has dtype {x.dtype}, not a real number")
    dtype = np.result_type(*arrays)
    if dtype == np.float16:
        dtype = np.dtype(np.float32)
    elif dtype not in (np.float32, np.float64):
        dtype = np.dtype(np.float64)
    try:
        return RBM(*(x.astype(dtype, copy=False) for x in arrays))
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{source}: {exc}") from None


# -- rbms ---------------------------------------------------------------------------------
def _text(value: Any) -> str:
    value = value[()] if isinstance(value, h5py.Dataset) else value
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(()).item()
    return value.decode() if isinstance(value, bytes) else str(value)


def _rbms_updates(handle: h5py.File) -> list[tuple[int, str]]:
    found = [(int(m.group(1)), k) for k in handle.keys() if (m := UPDATE_NAME.match(k))]
    return sorted(found)


def _rbms_binary(handle: h5py.File, path: str) -> None:
    """Refuse an rbms archive whose ``model_type`` is not the binary-binary RBM."""
    if "model_type" in handle:
        kind = _text(handle["model_type"])
        if kind != "BBRBM":
            what = {"PBRBM": "a Potts-Bernoulli", "BGRBM": "a Bernoulli-Gaussian",
                    "IGRBM": "an Ising-Gaussian"}.get(kind, "not a Bernoulli-Bernoulli")
            raise ModelFileError(f"{path}: model_type {kind!r} is {what} RBM; only binary "
                                 "(BBRBM) models can be read or added")


def rbms_checkpoints(handle: h5py.File, path: str) -> list[tuple[int, str]]:
    _rbms_binary(handle, path)
    updates = _rbms_updates(handle)
    if not updates:
        raise ModelFileError(f"{path}: rbms archive without any update_<n> checkpoint")
    return updates


def rbms_arrays(group: h5py.Group, path: str) -> tuple[np.ndarray, ...]:
    source = group["params"] if "params" in group else group  # older: arrays in update_<n>
    missing = [n for n in _RBMS_NAMES if n not in source]
    if missing:
        raise ModelFileError(f"{path}: checkpoint {group.name} has no {', '.join(missing)}")
    w, a, b = (source[n][()] for n in _RBMS_NAMES)
    if np.ndim(w) != 2:
        raise ModelFileError(f"{path}: {group.name} weight_matrix has shape {np.shape(w)}, "
                             "expected (n_visible, n_hidden): not a binary-binary RBM")
    return w, a, b


def rbms_listing(handle: h5py.File, path: str) -> list[ModelCheckpoint]:
    out = []
    for i, (update, name) in enumerate(rbms_checkpoints(handle, path)):
        group = handle[name]
        time = float(group["time"][()]) if "time" in group else None
        flags = tuple(sorted(k for k in group["flags"] if bool(group["flags"][k][()]))
                      ) if "flags" in group else ()
        out.append(ModelCheckpoint(i, name, update, None, time, flags))
    return out


def write_rbms(rbm: RBM, path: str, update: int, chains: np.ndarray | None,
                hyperparameters: Mapping[str, Any] | None) -> None:
    """The layout of rbms' ``save_model`` and of its training script's ``hyperparameters``
    group (no torch RNG state: rbms cannot resume training from it)."""
    # legacy=True is the default; numpy's stubs type only legacy=False as the default
    legacy = np.random.RandomState(0).get_state(legacy=True)
    if not isinstance(legacy, tuple):  # a RandomState's MT19937 state is always a tuple
        raise TypeError(f"RandomState.get_state: expected the legacy tuple, got "
                        f"{type(legacy).__name__}")
    with h5py.File(path, "a") as f:
        _rbms_binary(f, path)
        name = f"update_{update}"
        if name in f:
            raise ModelFileError(f"{path}: already has a checkpoint {name}")
        group = f.create_group(name)
        params = group.create_group("params")
        for key, value in zip(_RBMS_NAMES, (rbm.weights, rbm.visible_bias, rbm.hidden_bias)):
            params[key] = value
            group[key] = params[key]  # the older layout, as rbms keeps it
        for i in range(5):
            group[f"numpy_rng_arg{i}"] = legacy[i]
        group["time"] = 0.0
        group.create_group("flags")
        visible = (np.zeros((1, rbm.n_visible), rbm.dtype) if chains is None
                   else np.asarray(chains, dtype=rbm.dtype))
        if visible.ndim != 2 or visible.shape[1] != rbm.n_visible:
            raise ValueError(f"chains: expected shape (n, {rbm.n_visible}), got {visible.shape}")
        if "parallel_chains" in f:
            del f["parallel_chains"]
        f["parallel_chains"] = visible
        if "model_type" not in f:
            f["model_type"] = "BBRBM"
        group = f.require_group("hyperparameters")
        given = {"num_visibles": rbm.n_visible, "num_hiddens": rbm.n_hidden,
                 "num_chains": visible.shape[0], **dict(hyperparameters or {})}
        for key, value in given.items():
            if key in group:
                del group[key]
            group[key] = value


# -- julia --------------------------------------------------------------------------------
def _julia_layer(handle: h5py.File, side: str, path: str) -> np.ndarray:
    kind = _text(handle[f"{side}_type"])
    par = handle[f"{side}_par"][()]
    # Julia's par is (1, units...) for Binary; h5py shows it reversed: (units_rev..., 1).
    if kind != "Binary" or par.ndim < 2 or par.shape[-1] != 1:
        raise ModelFileError(f"{path}: {side} layer is {kind!r} with parameters of shape "
                             f"{par.shape[::-1]} (Julia order); only Binary layers can be read")
    return np.asarray(par[..., 0].reshape(-1))


def read_julia(handle: h5py.File, path: str) -> RBM:
    version = _text(handle[JULIA_HEADER])
    if version not in _JULIA_VERSIONS:
        raise ModelFileError(f"{path}: RestrictedBoltzmannMachinesHDF5 file format version "
                             f"{version} is not supported (known: {', '.join(_JULIA_VERSIONS)})")
    kind = _text(handle["rbm_type"]) if "rbm_type" in handle else "RBM"
    if kind != "RBM":
        raise ModelFileError(f"{path}: rbm_type {kind!r} is not supported (only a plain RBM)")
    a = _julia_layer(handle, "visible", path)
    b = _julia_layer(handle, "hidden", path)
    w = handle["weights"][()]
    if w.size != a.size * b.size:
        raise ModelFileError(f"{path}: weights of shape {w.shape[::-1]} (Julia order) do not "
                             f"match {a.size} visible and {b.size} hidden units")
    # Reversed (hidden_rev..., visible_rev...): C order of each half is Julia's linear order.
    return model_from_arrays(path, w.reshape(b.size, a.size).T, a, b)


def write_julia(rbm: RBM, path: str) -> None:
    """What HDF5.jl writes for ``save_rbm(path, RBM(Binary, Binary, w))``."""
    text = h5py.string_dtype("utf-8")
    with h5py.File(path, "w") as f:
        f.create_dataset(JULIA_HEADER, data=_JULIA_VERSIONS[-1], dtype=text)
        f.create_dataset("rbm_type", data="RBM", dtype=text)
        f["weights"] = np.ascontiguousarray(rbm.weights.T)  # Julia (N, M) column-major
        f["visible_par"] = rbm.visible_bias[:, None]  # Julia (1, N)
        f["hidden_par"] = rbm.hidden_bias[:, None]
        f.create_dataset("visible_type", data="Binary", dtype=text)
        f.create_dataset("hidden_type", data="Binary", dtype=text)

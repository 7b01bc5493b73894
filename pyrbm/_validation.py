"""Argument checks of the public API. Every error names the offending argument."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def float_dtype(dtype: Any, name: str = "dtype") -> np.dtype:
    """Return ``dtype`` as float32 or float64, else raise TypeError."""
    try:
        resolved = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"{name}: not a dtype: {dtype!r}") from exc
    if resolved not in FLOAT_DTYPES:
        raise TypeError(f"{name}: expected float32 or float64, got {resolved}")
    return resolved


def finite_scalar(value: Any, name: str, *, minimum: float | None = None) -> float:
    """Return ``value`` as a finite float, optionally >= ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{name}: expected a real number, got {type(value).__name__}")
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"{name}: must be finite, got {out}")
    if minimum is not None and out < minimum:
        raise ValueError(f"{name}: must be >= {minimum}, got {out}")
    return out


def positive_int(value: Any, name: str, *, minimum: int = 1) -> int:
    """Return ``value`` as an int >= ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name}: expected an int, got {type(value).__name__}")
    if int(value) < minimum:
        raise ValueError(f"{name}: must be >= {minimum}, got {int(value)}")
    return int(value)


def parameter_array(value: Any, name: str, ndim: int, dtype: np.dtype | None = None) -> np.ndarray:
    """Validate a model parameter and return a C-contiguous float copy of it.

    Parameters
    ----------
    value : array_like
        The parameter (float32 or float64 unless ``dtype`` is given).
    name : str
        Argument name for error messages.
    ndim : int
        Required number of dimensions.
    dtype : numpy.dtype, optional
        Required dtype; by default the array's own float dtype is kept.
    """
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{name}: expected a numpy array, got {type(value).__name__}")
    if value.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{name}: expected float32 or float64, got {value.dtype}")
    if dtype is not None and value.dtype != dtype:
        raise TypeError(f"{name}: dtype {value.dtype} does not match the model's {dtype}")
    if value.ndim != ndim:
        raise ValueError(f"{name}: expected {ndim} dimension(s), got shape {value.shape}")
    if value.size == 0:
        raise ValueError(f"{name}: must not be empty, got shape {value.shape}")
    if not np.all(np.isfinite(value)):
        raise ValueError(f"{name}: contains NaN or inf")
    return np.array(value, dtype=value.dtype, order="C", copy=True)


def state_array(value: Any, name: str, n_units: int, dtype: np.dtype) -> np.ndarray:
    """Validate binary states of shape ``(n, n_units)`` and return them in ``dtype``.

    Float states must already have the model's dtype (no silent precision change);
    integer and boolean 0/1 arrays are converted. The result may share memory with
    ``value`` when no conversion is needed.

    Parameters
    ----------
    value : numpy.ndarray
        States, shape ``(n, n_units)``, entries 0 or 1.
    name : str
        Argument name for error messages.
    n_units : int
        Required number of columns.
    dtype : numpy.dtype
        The model's float dtype.

    Returns
    -------
    numpy.ndarray
        C-contiguous array of shape ``(n, n_units)`` and dtype ``dtype``.
    """
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{name}: expected a numpy array, got {type(value).__name__}")
    kind = value.dtype.kind
    if kind not in "biuf":
        raise TypeError(f"{name}: expected a float, integer or bool array, got {value.dtype}")
    if kind == "f" and value.dtype != dtype:
        raise TypeError(
            f"{name}: dtype {value.dtype} does not match the model's {dtype}; "
            f"convert with .astype(np.{dtype})"
        )
    if value.ndim != 2 or value.shape[1] != n_units:
        raise ValueError(f"{name}: expected shape (n, {n_units}), got {value.shape}")
    if value.shape[0] == 0:
        raise ValueError(f"{name}: must not be empty, got shape {value.shape}")
    if not value.flags.c_contiguous:
        raise ValueError(
            f"{name}: array must be C-contiguous; pass np.ascontiguousarray({name})"
        )
    if kind == "b":
        return value.astype(dtype)
    if not np.all((value == 0) | (value == 1)):
        raise ValueError(f"{name}: states must be binary (0 or 1)")
    return value if kind == "f" else value.astype(dtype)

"""Argument checks of the public API. Every error names the offending argument."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _core

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))

#: Largest value of the uint64 counters (chain index, sweep) of the Philox streams.
UINT64_MAX = 2**64 - 1
#: Largest count the C++ kernels take as int64 (sweeps, steps).
INT64_MAX = 2**63 - 1


#: Rows per chunk when a non-float array is scanned for non-binary values (no
#: full-size temporaries).
_SCAN_ROWS = 8192


def is_binary(value: np.ndarray) -> bool:
    """Whether every entry of ``value`` is 0 or 1 (NaN is not; booleans are).

    The one implementation of the binary rule: C-contiguous float32 / float64 arrays go
    through the kernel's scan (``_core.is_binary``, no temporaries: 0.08 ms against
    0.14 ms for NumPy's ``(x == 0) | (x == 1)`` on 1000 x 784 float32), any other array
    through NumPy in chunks of rows.

    Parameters
    ----------
    value : numpy.ndarray
        Any shape, any numeric or boolean dtype.

    Returns
    -------
    bool

    Examples
    --------
    >>> import numpy as np
    >>> is_binary(np.array([[0.0, 1.0], [1.0, 1.0]], np.float32))
    True
    >>> is_binary(np.array([0, 2]))
    False
    """
    if value.dtype.kind == "b" or value.size == 0:
        return True
    if value.dtype in FLOAT_DTYPES and value.flags.c_contiguous:
        return bool(_core.is_binary(value.reshape(1, -1)))
    rows = value.reshape(value.shape[0], -1) if value.ndim > 1 else value.reshape(1, -1)
    for start in range(0, rows.shape[0], _SCAN_ROWS):
        chunk = rows[start : start + _SCAN_ROWS]
        if not np.all((chunk == 0) | (chunk == 1)):
            return False
    return True


def not_masked(value: Any, name: str) -> None:
    """Refuse a ``numpy.ma.MaskedArray``: the kernels would read the masked entries."""
    if isinstance(value, np.ma.MaskedArray):
        raise TypeError(
            f"{name}: masked arrays are not accepted (the masked entries would be used); "
            f"pass {name}.filled(value) with an explicit fill value"
        )


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (Linux ``MemAvailable``, else the
    physical memory), or None when unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def _gigabytes(n_bytes: int) -> str:
    return f"{n_bytes / 1e9:.3g} GB"


def check_allocation(name: str, what: str, shapes: Sequence[Sequence[int]], dtype: Any) -> None:
    """Raise ValueError naming ``name`` when arrays of ``shapes`` would not fit in memory.

    Parameters
    ----------
    name : str
        The argument that sets the size (named in the message).
    what : str
        What the arrays are, for the message ("states of 10 chains").
    shapes : sequence of shapes
        The arrays the call would allocate (Python ints: no overflow).
    dtype : numpy.dtype
        Their element type.
    """
    itemsize = np.dtype(dtype).itemsize
    need = sum(math.prod(int(d) for d in shape) for shape in shapes) * itemsize
    limit = available_memory()
    if limit is not None and need > limit:
        raise ValueError(
            f"{name}: {what} would need {_gigabytes(need)} of memory, more than the "
            f"{_gigabytes(limit)} available"
        )


def float_dtype(dtype: Any, name: str = "dtype") -> np.dtype:
    """Return ``dtype`` as float32 or float64, else raise TypeError."""
    try:
        resolved: np.dtype = np.dtype(dtype)
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


def positive_int(
    value: Any, name: str, *, minimum: int = 1, maximum: int | None = None
) -> int:
    """Return ``value`` (a Python or numpy integer, not a bool) as an int in
    ``[minimum, maximum]``; TypeError for other types, ValueError out of range."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name}: expected an int, got {type(value).__name__}")
    if int(value) < minimum:
        raise ValueError(f"{name}: must be >= {minimum}, got {int(value)}")
    if maximum is not None and int(value) > maximum:
        raise ValueError(f"{name}: must be <= {maximum}, got {int(value)}")
    return int(value)


def chain_offset(value: Any, n_chains: int, name: str = "chain_offset") -> int:
    """Return ``value`` as the index of the first of ``n_chains`` chains; the last index,
    ``value + n_chains - 1``, must fit the uint64 chain counter (no wrap-around onto the
    streams of other chains)."""
    out = positive_int(value, name, minimum=0)
    if out + n_chains - 1 > UINT64_MAX:
        raise ValueError(
            f"{name}: {out} + {n_chains} chains exceeds the chain counter range [0, 2**64); "
            f"the last chains would repeat the random streams of the first ones"
        )
    return out


def model_beta(
    beta: Any, weights: np.ndarray, visible_bias: np.ndarray, hidden_bias: np.ndarray
) -> float:
    """Check ``beta`` for a model and return it as a float.

    ``beta`` must be finite, >= 0 and representable in the model's dtype, and every
    field ``beta (bias + sum of couplings)`` the kernels can form must be finite in
    that dtype (the bound ``beta (max|bias| + max|W| max(N, M))`` is checked, computed
    in float64), so no kernel sees ``inf - inf``. Cost: one pass over ``W``.
    """
    out = finite_scalar(beta, "beta", minimum=0.0)
    dtype = weights.dtype
    largest = float(np.finfo(dtype).max)
    if out > largest:
        raise ValueError(f"beta: {out:g} is not representable in the model's {dtype}")
    w_max = max(abs(float(weights.max())), abs(float(weights.min())))
    b_max = max(abs(float(visible_bias.max())), abs(float(visible_bias.min())),
                abs(float(hidden_bias.max())), abs(float(hidden_bias.min())))
    with np.errstate(over="ignore", invalid="ignore"):
        bound = b_max + w_max * float(max(weights.shape))
        scaled = out * bound
    if not math.isfinite(bound) or bound > largest:
        raise ValueError(
            f"weights: the fields can reach {bound:g}, which overflows {dtype}; "
            "the parameters are too large"
        )
    if not math.isfinite(scaled) or scaled > largest:
        raise ValueError(
            f"beta: beta times the largest field ({out:g} x {bound:g}) overflows {dtype}"
        )
    return out


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
    not_masked(value, name)
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
    not_masked(value, name)
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
    if not is_binary(value):
        raise ValueError(f"{name}: states must be binary (0 or 1)")
    return value if kind == "f" else value.astype(dtype)


def binary_data(value: Any, name: str, n_units: int) -> np.ndarray:
    """Validate binary data of shape ``(n, n_units)`` of any numeric dtype (entries 0 or
    1, so NaN and 2.0 are refused) and return it as an array (not copied)."""
    not_masked(value, name)
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{name}: expected a numpy array, got {type(value).__name__}")
    if value.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected a float, integer or bool array, got {value.dtype}")
    if value.ndim != 2 or value.shape[1] != n_units:
        raise ValueError(f"{name}: expected shape (n, {n_units}), got {value.shape}")
    if value.shape[0] == 0:
        raise ValueError(f"{name}: must not be empty, got shape {value.shape}")
    if not is_binary(value):
        raise ValueError(f"{name}: states must be binary (0 or 1)")
    return value

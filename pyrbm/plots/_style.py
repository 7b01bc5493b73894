"""Helpers of :mod:`pyrbm.plots`: input checks, figure creation and image mosaics.

Figures are built on :class:`matplotlib.figure.Figure` directly (not pyplot), so no
backend is selected, no window can open and no global figure registry keeps them alive;
``savefig`` renders PNGs with Agg.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .._validation import finite_scalar

#: What the figure functions accept as ``path``.
PathLike = str | os.PathLike[str]

DPI = 120
PANEL = (4.6, 3.6)  # inches per panel: labels stay readable at 120 dpi


def output_path(path: Any) -> Path:
    """Return ``path`` as a :class:`~pathlib.Path` ending in ``.png``; create its folder."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path: expected a str or os.PathLike, got {type(path).__name__}")
    out = Path(path)
    if out.suffix.lower() != ".png":
        raise ValueError(f"path: expected a file name ending in .png, got {str(out)!r}")
    out.parent.mkdir(parents=True, exist_ok=True)
    return out


def new_figure(
    n_panels: int = 1,
    *,
    ncols: int | None = None,
    panel: tuple[float, float] = PANEL,
    sharey: bool = False,
) -> tuple[Figure, list[Axes]]:
    """Figure with ``n_panels`` axes on a grid; returns ``(fig, list of axes)``.

    Unused cells of the grid are removed.
    """
    cols = min(n_panels, 4) if ncols is None else ncols
    rows = math.ceil(n_panels / cols)
    fig = Figure(figsize=(panel[0] * cols, panel[1] * rows), layout="constrained")
    grid = fig.subplots(rows, cols, squeeze=False, sharey=sharey)
    axes = list(grid.ravel())
    for ax in axes[n_panels:]:
        ax.remove()
    return fig, axes[:n_panels]


def save(fig: Figure, path: Path) -> Path:
    """Write ``fig`` to ``path`` as PNG and release its artists."""
    fig.savefig(path, dpi=DPI, format="png")
    fig.clear()
    return path


def array(
    value: Any,
    name: str,
    ndim: int | None,
    *,
    shape: Sequence[int | None] | None = None,
    minimum: float | None = None,
    positive: bool = False,
    allow_nan: bool = False,
    allow_inf: bool = False,
) -> np.ndarray:
    """``value`` as a non-empty float64 array with ``ndim`` dimensions, else ValueError.

    ``ndim=None`` accepts any shape and returns the flattened array.

    ``shape`` entries that are not None must match; ``minimum``/``positive`` bound the
    finite entries; NaN (and +-inf) are rejected unless allowed.
    """
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name}: expected an array of real numbers ({exc})") from exc
    if ndim is None:
        arr = arr.ravel()
    elif arr.ndim != ndim:
        raise ValueError(f"{name}: expected {ndim} dimension(s), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name}: must not be empty, got shape {arr.shape}")
    if shape is not None:
        for axis, want in enumerate(shape):
            if want is not None and arr.shape[axis] != want:
                raise ValueError(
                    f"{name}: expected length {want} along axis {axis}, got shape {arr.shape}"
                )
    if not allow_nan and np.isnan(arr).any():
        raise ValueError(f"{name}: contains NaN")
    if not allow_inf and np.isinf(arr).any():
        raise ValueError(f"{name}: contains inf")
    finite = arr[np.isfinite(arr)]
    if minimum is not None and (finite < minimum).any():
        raise ValueError(f"{name}: entries must be >= {minimum}, got min {finite.min():g}")
    if positive and (finite <= 0).any():
        raise ValueError(f"{name}: entries must be > 0 (log axis), got min {finite.min():g}")
    return arr


def probability(value: Any, name: str) -> float:
    """A finite scalar in ``[0, 1]``."""
    out = finite_scalar(value, name)
    if not 0.0 <= out <= 1.0:
        raise ValueError(f"{name}: must lie in [0, 1], got {out}")
    return out


def positive_scalar(value: Any, name: str) -> float:
    """A finite scalar > 0."""
    out = finite_scalar(value, name)
    if out <= 0:
        raise ValueError(f"{name}: must be > 0, got {out}")
    return out


def sizes_dict(value: Any, name: str) -> list[int]:
    """Sorted keys of a non-empty mapping keyed by hidden size (int > 0)."""
    if not isinstance(value, Mapping):
        kind = type(value).__name__
        raise TypeError(f"{name}: expected a dict keyed by hidden size, got {kind}")
    if not value:
        raise ValueError(f"{name}: must not be empty")
    for key in value:
        if isinstance(key, (bool, np.bool_)) or not isinstance(key, (int, np.integer)) or key <= 0:
            raise ValueError(f"{name}: keys must be hidden sizes (int > 0), got {key!r}")
    return sorted(int(k) for k in value)


def same_keys(keys: list[int], other: Any, name: str, reference: str) -> None:
    """Check that the mapping ``other`` has exactly ``keys``."""
    got = sizes_dict(other, name)
    if got != keys:
        raise ValueError(f"{name}: keys {got} do not match the keys {keys} of {reference}")


def labelled_dict(value: Any, name: str) -> list[str]:
    """Keys (labels) of a non-empty mapping keyed by str, in insertion order."""
    if not isinstance(value, Mapping):
        raise TypeError(f"{name}: expected a dict keyed by label, got {type(value).__name__}")
    if not value:
        raise ValueError(f"{name}: must not be empty")
    for key in value:
        if not isinstance(key, str):
            raise ValueError(f"{name}: keys must be str labels, got {key!r}")
    return list(value)


def str_list(value: Any, name: str) -> list[str]:
    """A non-empty sequence of str, as a list."""
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise TypeError(f"{name}: expected a sequence of str, got {type(value).__name__}")
    if not all(isinstance(s, str) for s in value):
        raise TypeError(f"{name}: expected a sequence of str")
    if not value:
        raise ValueError(f"{name}: must not be empty")
    return list(value)


def point_lists(value: Any, name: str, n: int) -> list[np.ndarray]:
    """``n`` arrays of 2-D points, shape ``(n_i, 2)`` each (a ``(n, k, 2)`` array also works)."""
    seq = list(value) if isinstance(value, np.ndarray) and value.ndim == 3 else value
    if not isinstance(seq, Sequence) or len(seq) != n:
        raise ValueError(f"{name}: expected a list of {n} arrays (one per epoch)")
    return [array(a, f"{name}[{i}]", 2, shape=(None, 2)) for i, a in enumerate(seq)]


def image_shape_of(value: Any, name: str = "image_shape") -> tuple[int, int]:
    """``(height, width)`` with both entries positive ints."""
    try:
        h, w = value
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: expected (height, width), got {value!r}") from exc
    for x in (h, w):
        if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, np.integer)) or x <= 0:
            raise ValueError(f"{name}: expected two ints > 0, got {value!r}")
    return int(h), int(w)


def images(value: Any, name: str, image_shape: tuple[int, int]) -> np.ndarray:
    """Images as ``(n, H, W)`` from ``(n, H*W)`` or ``(n, H, W)``, entries in ``[0, 1]``."""
    h, w = image_shape
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 2 and arr.shape[1] == h * w:
        arr = arr.reshape(-1, h, w)
    if arr.ndim != 3 or arr.shape[1:] != (h, w) or arr.shape[0] == 0:
        raise ValueError(
            f"{name}: expected shape (n, {h * w}) or (n, {h}, {w}) with n > 0, got {arr.shape}"
        )
    if not np.all(np.isfinite(arr)) or arr.min() < 0 or arr.max() > 1:
        raise ValueError(f"{name}: pixel values must be finite and in [0, 1]")
    return arr


def mosaic(tiles: np.ndarray, ncols: int) -> np.ndarray:
    """Tile ``(n, H, W)`` images on a grid of ``ncols`` columns with 1-pixel NaN gaps."""
    n, h, w = tiles.shape
    rows = math.ceil(n / ncols)
    out = np.full((rows * (h + 1) - 1, ncols * (w + 1) - 1), np.nan)
    for k in range(n):
        r, c = divmod(k, ncols)
        out[r * (h + 1) : r * (h + 1) + h, c * (w + 1) : c * (w + 1) + w] = tiles[k]
    return out


def show_mosaic(ax: Axes, tiles: np.ndarray, ncols: int, title: str) -> None:
    """Draw a mosaic in black-on-white with pixel values 0..1 and no ticks."""
    # light blue gaps: white would merge with the white background of digits
    cmap = mpl.colormaps["gray_r"].with_extremes(bad="#c6dbef")
    ax.imshow(mosaic(tiles, ncols), cmap=cmap, vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.set_title(title)
    ax.set_axis_off()


def mode_colors(k: int) -> np.ndarray:
    """``k`` colours from viridis, mode 1 darkest; RGBA rows, shape (k, 4)."""
    return mpl.colormaps["viridis"](np.linspace(0.0, 0.9, k))


def hline(ax: Axes, y: float, label: str, **style: Any) -> None:
    """Horizontal reference line with a legend label."""
    ax.axhline(y, label=label, **{"color": "black", "linestyle": "--", "linewidth": 1.2, **style})


def mode_lines(ax: Axes, x: np.ndarray, values: np.ndarray, symbol: str) -> None:
    """One line per column of ``values`` (mode i = column i-1), coloured by index.

    The legend names every mode when there are few, else the first and the last.
    """
    k = values.shape[1]
    for i, color in enumerate(mode_colors(k)):
        named = k <= 6 or i in (0, k - 1)
        label = rf"${symbol}_{{{i + 1}}}$" if named else None
        ax.plot(x, values[:, i], color=color, linewidth=1.4, label=label)


def level(value: Any, name: str, n: int, **checks: Any) -> np.ndarray:
    """A scalar or an array of length ``n``, returned with shape ``(n,)``."""
    arr = array(value, name, None, **checks)
    if arr.size not in (1, n) or np.ndim(value) > 1:
        raise ValueError(f"{name}: expected a scalar or shape ({n},), got shape {arr.shape}")
    return np.broadcast_to(arr, (n,))

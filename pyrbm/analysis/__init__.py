"""Static reciprocal-space analysis of a weight matrix (docs/equations.md E3-E9, E17-E19).

Submodules: :mod:`~pyrbm.analysis.alignment` (modes against the data's correlations),
:mod:`~pyrbm.analysis.reciprocal` (SVD modes, saddle points, the gauge),
:mod:`~pyrbm.analysis.tracking` (modes followed across checkpoints), :mod:`~pyrbm.analysis.spectrum` (Marchenko-Pastur law, outliers,
Tracy-Widom margin), :mod:`~pyrbm.analysis.symmetry` (rotational symmetry of the weight
entries, Jensen-Shannon statistics), :mod:`~pyrbm.analysis.gaussian` (the Gaussian
limit of the reciprocal variables: kurtosis), :mod:`~pyrbm.analysis.svd` (the thin SVD
and its gauge, shared with the dynamics).

The submodules load on first use (``pyrbm.analysis.spectrum`` brings scipy.stats and
scipy.optimize, ``symmetry`` numba: about 1.2 s together), so that code needing one
small piece, such as the trainer's Marchenko-Pastur edge, does not pay for all of them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import alignment, gaussian, reciprocal, spectrum, svd, symmetry, tracking

__all__ = ["alignment", "gaussian", "reciprocal", "spectrum", "svd", "symmetry", "tracking"]


def __getattr__(name: str) -> Any:  # a submodule, imported on first access
    if name in __all__:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'pyrbm.analysis' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

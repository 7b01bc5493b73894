"""Static reciprocal-space analysis of a weight matrix (docs/equations.md E3-E9, E17-E19).

Submodules: :mod:`~pyrbm.analysis.alignment` (modes against the data's correlations),
:mod:`~pyrbm.analysis.reciprocal` (SVD modes, saddle points, the gauge),
:mod:`~pyrbm.analysis.tracking` (modes followed across checkpoints), :mod:`~pyrbm.analysis.spectrum` (Marchenko-Pastur law, outliers,
Tracy-Widom margin), :mod:`~pyrbm.analysis.symmetry` (rotational symmetry of the weight
entries, Jensen-Shannon statistics), :mod:`~pyrbm.analysis.gaussian` (the Gaussian
limit of the reciprocal variables: kurtosis), :mod:`~pyrbm.analysis.svd` (the thin SVD
and its gauge, shared with the dynamics).
"""

from . import alignment, gaussian, reciprocal, spectrum, svd, symmetry, tracking

__all__ = ["alignment", "gaussian", "reciprocal", "spectrum", "svd", "symmetry", "tracking"]

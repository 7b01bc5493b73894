"""Samplers that mix on trained (multimodal) RBMs: parallel tempering over inverse
temperatures and parallel trajectory tempering over the models of a training run.

Diagnostics of the chains (autocorrelation time, effective sample size, R-hat) are in
:mod:`pyrbm.diagnostics`; docs/sampling.md explains how to choose a sampler.
"""

from __future__ import annotations

from ._ladder import adapt_ladder, initial_ladder
from .equilibrium import EquilibriumSamples, equilibrium_samples
from .observer import MixingObserver
from .result import TemperingResult
from .tempering import parallel_tempering, trajectory_tempering
from .trajectory import archive_trajectory, data_visible_bias, independent_end, path_models

__all__ = [
    "EquilibriumSamples",
    "MixingObserver",
    "TemperingResult",
    "adapt_ladder",
    "archive_trajectory",
    "data_visible_bias",
    "equilibrium_samples",
    "independent_end",
    "initial_ladder",
    "parallel_tempering",
    "path_models",
    "trajectory_tempering",
]

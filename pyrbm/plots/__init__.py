"""The figures of the paper's claims (matplotlib, no pyplot state).

Every ``plot_*`` function writes one PNG and returns its path. They live in
:mod:`~pyrbm.plots.landscape` (spectra, saddles, symmetry, kurtosis) and
:mod:`~pyrbm.plots.sampling` (partition functions, dynamics, probing, likelihood,
samples); their shared checks and styling are in ``_style``.
"""

from . import landscape, sampling
from .landscape import *  # noqa: F403 (their __all__ are the public names)
from .sampling import *  # noqa: F403

__all__ = [*landscape.__all__, *sampling.__all__]

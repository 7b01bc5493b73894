"""The figures of the paper's claims (matplotlib, no pyplot state).

Every function takes plain numpy arrays and dicts, validates them (errors name the
argument), writes one PNG to ``path`` (its folder is created if needed) and returns
``path`` as a :class:`pathlib.Path`. matplotlib renders with Agg through a bare
:class:`~matplotlib.figure.Figure`, so no display is needed and no pyplot state is
touched. Hidden sizes ``M`` key the dicts and are drawn in increasing order.

The functions live in
:mod:`~pyrbm.plots.landscape` (spectra, saddles, symmetry, kurtosis) and
:mod:`~pyrbm.plots.sampling` (partition functions, dynamics, probing, likelihood,
samples); their shared checks and styling are in ``_style``.
"""

from . import landscape, sampling
from .landscape import *  # noqa: F403 (their __all__ are the public names)
from .sampling import *  # noqa: F403

__all__ = [*landscape.__all__, *sampling.__all__]

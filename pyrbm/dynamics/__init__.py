"""Dynamics in reciprocal space (docs/equations.md E10-E16).

Submodules: :mod:`~pyrbm.dynamics.diffusion` (Langevin dynamics of the reciprocal
modes, convergence, the Landau fit), :mod:`~pyrbm.dynamics.bosons` (the boson picture:
paired modes, normal-mode frequencies), :mod:`~pyrbm.dynamics.probing` (hierarchical
probing with a low-rank Gibbs kernel), :mod:`~pyrbm.dynamics.potentials` (per-mode
potentials E12) and :mod:`~pyrbm.dynamics.landau` (the double-well fit E16).
"""

from . import bosons, diffusion, landau, potentials, probing

__all__ = ["bosons", "diffusion", "landau", "potentials", "probing"]

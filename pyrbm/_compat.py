"""Old flat module paths (``pyrbm.reciprocal``, ``pyrbm.checkpoint``, ...) kept importable.

Until the layout by concern, these were top-level modules; user code that imports them
(``from pyrbm.reciprocal import decompose``, ``import pyrbm.checkpoint``) still works:
a meta-path finder answers for the old name with the module at its new place, so both
names are the same module object (no copy, no second implementation).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
from collections.abc import Sequence

#: old module (under ``pyrbm``) -> its place now. ``pyrbm.train`` is not here: that name
#: is the function, and importing a module under it would replace the function.
MOVED = {
    "annealing": "pyrbm.partition.annealing",
    "bosons": "pyrbm.dynamics.bosons",
    "checkpoint": "pyrbm.io.archive",
    "datasets": "pyrbm.io.datasets",
    "diffusion": "pyrbm.dynamics.diffusion",
    "exact": "pyrbm.partition.exact",
    "gaussian": "pyrbm.analysis.gaussian",
    "meanfield": "pyrbm.partition.meanfield",
    "metrics": "pyrbm.training.metrics",
    "optim": "pyrbm.training.optim",
    "probing": "pyrbm.dynamics.probing",
    "reciprocal": "pyrbm.analysis.reciprocal",
    "spectrum": "pyrbm.analysis.spectrum",
    "symmetry": "pyrbm.analysis.symmetry",
}


class _Alias(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = importlib.import_module(self.target)
        self.spec = module.__spec__
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        # The target ran its own code when it was imported. The import system has just
        # replaced its __spec__ by the alias's; give it back its own.
        module.__spec__ = self.spec


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        prefix, _, leaf = fullname.partition(".")
        if prefix != "pyrbm" or leaf not in MOVED:
            return None
        return importlib.machinery.ModuleSpec(fullname, _Alias(MOVED[leaf]))


def install() -> None:
    """Put the finder on ``sys.meta_path`` once."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.append(_Finder())

"""``import pyrbm`` leaves the analysis layer, numba and scipy.optimize unloaded."""

from __future__ import annotations

import subprocess

from .conftest import PYTHON, subprocess_env

HEAVY = ("pyrbm.analysis", "numba", "scipy.optimize")

SCRIPT = """
import sys
import pyrbm
print(*[name in sys.modules for name in {heavy!r}])
pyrbm.analysis.reciprocal  # the control: first use loads them
print(*[name in sys.modules for name in {heavy!r}])
"""


def test_import_is_lazy() -> None:
    done = subprocess.run([*PYTHON, "-c", SCRIPT.format(heavy=HEAVY)], env=subprocess_env(),
                          capture_output=True, text=True, check=True)
    after_import, after_use = done.stdout.splitlines()
    assert after_import.split() == ["False"] * len(HEAVY)
    assert after_use.split() == ["True"] * len(HEAVY)

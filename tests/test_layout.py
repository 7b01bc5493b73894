"""The layering of docs/layout.md: every import in pyrbm/ goes to its own unit or below;
test files are named after the modules they test; ``import pyrbm`` loads the heavy parts
only on use."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import PYTHON, subprocess_env

SOURCE = Path(__file__).resolve().parents[1] / "pyrbm"
TESTS = Path(__file__).resolve().parent

LAYERS = {
    "_core": 0,
    **dict.fromkeys(["_rng", "_threads", "_validation", "_gemm", "_layout", "_pseudo_likelihood"], 1),
    "model": 2,
    **dict.fromkeys(["analysis", "io", "distributed", "diagnostics"], 3),
    **dict.fromkeys(["partition", "dynamics", "sklearn", "plots"], 4),
    "sampling": 5,  # tempering checks models with partition.exact; PT-PCD is the trainer's
    "training": 6,
    "reproduce": 7,
    "analyze": 8,  # the reproduce report machinery and claim checks, on any model file
    **dict.fromkeys(["cli", "__main__", "__init__", "_compat"], 9),
}
#: layers whose units may import each other (plumbing; the top: cli and the public names)
OPEN_LAYERS = {LAYERS["_rng"], LAYERS["cli"]}
#: (importing unit, imported name) pairs allowed against the rule, with the reason
EXCEPTIONS = {
    ("training", "__version__"),  # the archive records the package version
    # RBM.from_sklearn / RBM.to_sklearn (the API the formats issue names) delegate to
    # io.formats, imported when called
    ("model", "io"),
}


def unit_of(parts: tuple[str, ...]) -> str:
    """``("training", "loop")`` -> ``"training"``; ``("model",)`` -> ``"model"``."""
    return parts[0]


def imported_units(path: Path) -> list[tuple[str, int]]:
    """(unit, line) of every pyrbm import in one source file."""
    package = path.relative_to(SOURCE).parent.parts
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0:
                if not (node.module or "").startswith("pyrbm"):
                    continue
                target = tuple(node.module.split(".")[1:])
            else:
                base = package[: len(package) - node.level + 1]
                target = base + tuple(filter(None, (node.module or "").split(".")))
            if target:
                out.append((unit_of(target), node.lineno))
            else:  # from . import a, b  /  from .. import x
                out += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.Import):
            out += [(a.name.split(".")[1], node.lineno) for a in node.names
                    if a.name.startswith("pyrbm.")]
    return out


def violations(layers: dict[str, int]) -> list[str]:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        rel = path.relative_to(SOURCE)
        here = unit_of(rel.with_suffix("").parts)
        for target, line in imported_units(path):
            if target == here or (here, target) in EXCEPTIONS:
                continue
            if target not in layers:
                found.append(f"{rel}:{line}: imports {target}, which has no layer")
            elif layers[target] > layers[here] or (
                layers[target] == layers[here] and layers[here] not in OPEN_LAYERS
            ):
                found.append(f"{rel}:{line}: {here} (layer {layers[here]}) imports "
                             f"{target} (layer {layers[target]})")
    return found


def test_every_import_goes_down_the_layers() -> None:
    assert set(LAYERS) >= {unit_of(p.relative_to(SOURCE).with_suffix("").parts)
                           for p in SOURCE.rglob("*.py")}
    assert violations(LAYERS) == []


def test_the_check_catches_an_upward_import() -> None:
    # analysis imports model: with model moved above analysis that is a violation
    found = violations({**LAYERS, "model": 4})
    assert any(v.startswith("analysis/") and "imports model" in v for v in found)


def _module_exists(name: str) -> bool:
    """Whether ``test_<name>.py`` names a module: ``io_archive`` -> pyrbm/io/archive.py,
    ``threads`` -> pyrbm/_threads.py, ``training`` -> pyrbm/training/."""
    parts = name.split("_")
    for cut in range(len(parts), 0, -1):
        head, rest = "_".join(parts[:cut]), "_".join(parts[cut:])
        for base in (head, "_" + head):
            if not rest and ((SOURCE / f"{base}.py").exists() or (SOURCE / base).is_dir()):
                return True
            if rest and any((SOURCE / base / f"{r}.py").exists() for r in (rest, "_" + rest)):
                return True
    return False


def _reexports_only(name: str) -> bool:
    """Whether ``test_<name>.py`` names a subpackage whose ``__init__.py`` defines nothing
    of its own (imports and re-exports only): such a file tests several modules under the
    package's name, and should be split by module."""
    init = SOURCE / name / "__init__.py"
    if not init.exists():
        return False
    tree = ast.parse(init.read_text())
    return not any(isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                   for node in tree.body)


@pytest.mark.parametrize("path", sorted(TESTS.glob("test_*.py")), ids=lambda p: p.name)
def test_test_files_are_named_after_modules(path: Path) -> None:
    name = path.stem.removeprefix("test_")
    if name in ("layout", "examples"):  # the package as a whole; docstrings of several
        return
    # test_model_sampling.py: a second file of pyrbm/model.py
    assert _module_exists(name) or _module_exists(name.rsplit("_", 1)[0]), path.name
    assert not _reexports_only(name), (
        f"{path.name}: pyrbm/{name}/ only re-exports its modules; name the file after "
        f"the module it tests (test_{name}_<module>.py)")


def test_the_name_check_rejects_a_stray_name() -> None:
    assert not _module_exists("train") and not _module_exists("core_threads")
    assert _module_exists("io_archive") and _module_exists("threads")
    # a subpackage that only re-exports (training/) is not a name; one with code (analyze/) is
    assert _reexports_only("training") and not _reexports_only("analyze")
    assert not _reexports_only("training_loop") and not _reexports_only("model")


# -- `import pyrbm` leaves the analysis layer, numba, scipy.optimize and scipy.special
# unloaded (scipy.special alone was half of a 0.4 s import) --------------------------
HEAVY = ("pyrbm.analysis", "numba", "scipy.optimize", "scipy.special")

SCRIPT = """
import sys
import pyrbm
print(*[name in sys.modules for name in {heavy!r}])
pyrbm.analysis.symmetry, pyrbm.analysis.spectrum  # the control: first use loads them
print(*[name in sys.modules for name in {heavy!r}])
"""


def test_import_is_lazy() -> None:
    done = subprocess.run([*PYTHON, "-c", SCRIPT.format(heavy=HEAVY)], env=subprocess_env(),
                          capture_output=True, text=True, check=True)
    after_import, after_use = done.stdout.splitlines()
    assert after_import.split() == ["False"] * len(HEAVY)
    assert after_use.split() == ["True"] * len(HEAVY)


EDGE_SCRIPT = """
import sys
from pyrbm.training import metrics
metrics.marchenko_pastur_edge(784, 500, 0.01)
print(*[name in sys.modules for name in {heavy!r}])
import pyrbm.analysis.spectrum  # the control: the module that re-exports the edges
print(*[name in sys.modules for name in {heavy!r}])
"""


def test_training_monitor_does_not_load_the_analysis_layer() -> None:
    # the Marchenko-Pastur edge of every checkpoint: once cost ~1.2 s of imports, 10 % of
    # the first epoch at the CLI defaults on a 2-core Zen 3 host
    heavy = ("scipy.stats", "scipy.optimize")
    done = subprocess.run([*PYTHON, "-c", EDGE_SCRIPT.format(heavy=heavy)], env=subprocess_env(),
                          capture_output=True, text=True, check=True)
    after_edge, after_spectrum = done.stdout.splitlines()
    assert after_edge.split() == ["False"] * len(heavy)
    assert after_spectrum.split() == ["True"] * len(heavy)


def test_plots_load_matplotlib_on_first_use() -> None:
    import pyrbm
    from pyrbm import plots

    assert pyrbm.plots is plots and "plots" in pyrbm.__all__
    code = ("import sys, pyrbm; assert 'matplotlib' not in sys.modules; "
            "pyrbm.plots.plot_samples; assert 'matplotlib' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(plots.__file__).parents[1])


def test_top_level_names_are_listed_once_and_exist() -> None:
    import pyrbm

    assert len(pyrbm.__all__) == len(set(pyrbm.__all__))
    assert all(hasattr(pyrbm, name) for name in pyrbm.__all__)

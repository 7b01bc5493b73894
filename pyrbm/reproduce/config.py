"""Configurations of ``pyrbm reproduce``: the built-in ``quick``, ``default``, ``full``,
``paper`` and TOML files that override any of their options.

A configuration has three sections. ``[runs]``: the training runs (one archive per
replica and hidden size) and what is recorded at each checkpoint. ``[likelihood]``: the
AIS / reverse-AIS test log-likelihood every ``every`` epochs. ``[analysis]``: the
experiments that are not training runs. A file may start from a built-in one with a
top-level ``base = "quick"`` (default ``"default"``) and sets only what it changes::

    base = "quick"
    [runs]
    hidden = [16, 32]
    epochs = 3

Unknown sections or options and values of the wrong type are errors that name the file,
the section and the option.
"""

from __future__ import annotations

import copy
import math
import os
import tomllib
from dataclasses import dataclass
from typing import Any

__all__ = ["BUILTIN", "Config", "ConfigError", "load_config"]


class ConfigError(ValueError):
    """A configuration file or option that cannot be used (the message says why)."""


#: Every option with its value in the ``default`` configuration (the schema: types of
#: overrides must match these). Sizes and step counts measured on the 2-core machine,
#: see docs/reproduce.md.
_DEFAULT: dict[str, dict[str, Any]] = {
    "runs": {
        "dataset": "mnist",       # "mnist" or "digits" (8x8, for tests)
        "n_train": 0,             # first images of the training split (0: all 60 000)
        "shuffle_pixels": False,  # null control: permute every pixel column across images
        "hidden": [500, 784, 1200],  # the paper's sizes (3000 in "full" and "paper")
        "replicas": 2,
        "method": "pcd",
        "k": 1,                   # many cheap updates beat few expensive ones (measured)
        "batch_size": 100,
        "epochs": 25,             # 600 updates per epoch: 15 000 updates
        "optimizer": "adam",
        "lr": 0.001,              # the paper's Adam step (the initial one) ...
        "lr_schedule": "linear",  # ... decaying linearly over the run ...
        "lr_decay": 0.01,         # ... to 1e-5: the chains catch up with the model
        "centered": True,         # centered gradient (Melchior et al.; same fixed points)
        "checkpoint_every": 5,    # updates between checkpoints (0: every epoch)
        "log_checkpoints": True,  # checkpoints at updates 1, 2, 4, 8, ... (and the last)
        "top_modes": 20,          # singular values / saddle energies kept per epoch
        "n_uw": 300,              # test images and model samples projected on mode 1
        "sample_chains": 64,      # model samples per checkpoint (mode 1) and per model
        "sample_sweeps": 200,
    },
    "likelihood": {
        "every": 25,              # epochs between AIS / RAIS evaluations (25: the final model)
        "n_chains": 64,
        "n_betas": 3000,          # 1000 left M = 1200 brackets 3.1-3.3 nats wide (measured)
        "n_gibbs": 200,           # RAIS: Gibbs sweeps from the data before annealing back
        "n_test": 1000,           # test images for the log-likelihood and mode 1
        "traj_chains": 32,        # trajectory AIS along the checkpoints (0: off)
        "traj_betas": 1000,       # distributions per checkpoint-to-checkpoint segment
    },
    "analysis": {
        "mp_n_visible": 784,
        "mp_n_hidden": 500,
        "mp_matrices": 1000,      # pooled initializations for figure 1
        "std": 0.01,              # initialization std (the paper)
        "js_bins": 100,           # counting floor (bins-1)/(4NM) << signal (measured)
        "kurtosis_sizes": [100, 200, 400, 784, 1200, 2000],
        "kurtosis_hidden": 500,
        "logz_sizes": [[6, 4], [8, 6], [10, 8], [12, 10]],  # (N, M) of small RBMs
        "logz_lambdas": [0.5, 1.0, 2.0, 3.0, 3.9, 4.5, 6.0],  # lambda_1 of the scan
        "logz_chains": 200,
        "logz_betas": 2000,
        "langevin_trajectories": 2000,
        "langevin_steps": 2000,
        "langevin_dt": 0.005,
        "probing_chains": 64,
        "probing_sweeps": 200,
        "probing_first_mode": 5,  # 0-based: modes >= 6 scrambled (the paper's "low modes")
        "probing_planes": 20,     # random pi-planes among them (0: one per mode, all mixed)
    },
}

_QUICK = {
    "runs": {"n_train": 1500, "hidden": [20, 40, 80], "k": 5, "batch_size": 100, "lr": 0.01,
             "lr_schedule": "constant", "centered": False, "epochs": 4, "checkpoint_every": 5, "log_checkpoints": True, "top_modes": 10, "n_uw": 100, "sample_chains": 32,
             "sample_sweeps": 50},
    "likelihood": {"every": 2, "n_chains": 32, "n_betas": 200, "n_gibbs": 50, "n_test": 300,
                   "traj_chains": 32, "traj_betas": 300},
    "analysis": {"mp_matrices": 100, "mp_n_hidden": 200, "kurtosis_sizes": [100, 200, 400, 784],
                 "kurtosis_hidden": 100, "logz_sizes": [[6, 4], [8, 6], [10, 8]],
                 "logz_lambdas": [0.5, 2.0, 3.9, 6.0], "logz_chains": 64, "logz_betas": 300,
                 "langevin_trajectories": 2000, "langevin_steps": 1000, "probing_chains": 32,
                 "probing_sweeps": 50},
}

#: The paper's protocol (a cluster job): Adam 1e-3, PCD-500, batch 500, 100 epochs,
#: the full training set, a checkpoint every epoch, AIS/RAIS every 10 epochs.
_PAPER = {
    "runs": {"n_train": 0, "hidden": [500, 784, 1200, 3000], "replicas": 5, "k": 500,
             "batch_size": 500, "epochs": 100, "lr": 0.001, "lr_schedule": "constant",
             "centered": False, "checkpoint_every": 0,
             "log_checkpoints": False,
             "top_modes": 50,
             "n_uw": 1000, "sample_chains": 100, "sample_sweeps": 1000},
    "likelihood": {"every": 10, "n_chains": 500, "n_betas": 30000, "n_gibbs": 1000,
                   "n_test": 10000},
    "analysis": {"js_bins": 1000, "langevin_trajectories": 10000, "langevin_steps": 4000,
                 "probing_chains": 100, "probing_sweeps": 1000},
}


#: ``default`` plus M = 3000, five times longer (100 epochs, 60 000 updates).
_FULL = {
    "runs": {"hidden": [500, 784, 1200, 3000], "epochs": 100, "top_modes": 50},
    "likelihood": {"every": 25, "n_betas": 3000},
}


def _merge(base: dict[str, dict[str, Any]], override: dict[str, Any], where: str) -> None:
    """Apply ``override`` to ``base`` in place, checking names and types."""
    for section, options in override.items():
        if section not in base:
            raise ConfigError(f"{where}: unknown section [{section}]; "
                              f"expected one of {sorted(base)}")
        if not isinstance(options, dict):
            raise ConfigError(f"{where}: [{section}] must be a table of options")
        for name, value in options.items():
            if name not in base[section]:
                raise ConfigError(f"{where}: [{section}] unknown option {name!r}; "
                                  f"expected one of {sorted(base[section])}")
            base[section][name] = _checked(base[section][name], value, f"{where}: [{section}] {name}")


def _checked(reference: Any, value: Any, where: str) -> Any:
    """``value`` if it has the type of ``reference`` (ints pass for floats)."""
    if isinstance(reference, bool) or isinstance(value, bool):
        ok = isinstance(reference, bool) and isinstance(value, bool)
    elif isinstance(reference, float):
        ok = isinstance(value, (int, float))
        value = float(value) if ok else value
        if ok and not math.isfinite(value):
            raise ConfigError(f"{where}: expected a finite number, got {value!r}")
    elif isinstance(reference, list):
        ok = isinstance(value, list) and len(value) > 0
        if ok:
            return [_checked(reference[0], item, where) for item in value]
    else:
        ok = isinstance(value, type(reference))
    if not ok:
        raise ConfigError(f"{where}: expected {_describe(reference)}, got {value!r}")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
        raise ConfigError(f"{where}: expected a non-negative value, got {value!r}")
    return value


def _describe(reference: Any) -> str:
    if isinstance(reference, list):
        return f"a non-empty list of {_describe(reference[0])}"
    return {bool: "true or false", int: "an integer", float: "a number",
            str: "a string"}.get(type(reference), type(reference).__name__)


def _built(overrides: dict[str, Any]) -> dict[str, dict[str, Any]]:
    options = copy.deepcopy(_DEFAULT)
    _merge(options, overrides, "built-in")
    return options


BUILTIN: dict[str, dict[str, dict[str, Any]]] = {
    "quick": _built(_QUICK), "default": _built({}), "full": _built(_FULL),
    "paper": _built(_PAPER),
}


@dataclass(frozen=True)
class Config:
    """A complete configuration.

    Attributes
    ----------
    name : str
        ``"quick"``, ``"default"``, ``"full"``, ``"paper"`` or the file it was read from.
    runs, likelihood, analysis : dict of str to Any
        The options of each section (see the module docstring).
    """

    name: str
    runs: dict[str, Any]
    likelihood: dict[str, Any]
    analysis: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The configuration as plain data (recorded in ``results.json``)."""
        return {"name": self.name, "runs": self.runs, "likelihood": self.likelihood,
                "analysis": self.analysis}


def load_config(spec: str | os.PathLike[str]) -> Config:
    """A built-in configuration by name, or a TOML file of overrides.

    Parameters
    ----------
    spec : str or os.PathLike
        ``"quick"``, ``"default"``, ``"full"``, ``"paper"`` or the path of a ``.toml`` file.

    Returns
    -------
    Config

    Raises
    ------
    ConfigError
        Unknown name, unreadable or invalid TOML, unknown option, wrong type.
    """
    if not isinstance(spec, (str, os.PathLike)):
        raise ConfigError(
            f"config: expected a name ({', '.join(sorted(BUILTIN))}) or the path of a .toml "
            f"file as str or os.PathLike, got {type(spec).__name__}"
        )
    spec = os.fspath(spec)
    if not isinstance(spec, str):  # a PathLike of bytes
        raise ConfigError(f"config: expected a str path, got {spec!r}")
    if spec in BUILTIN:
        return Config(spec, **copy.deepcopy(BUILTIN[spec]))
    if not spec.endswith(".toml"):
        raise ConfigError(f"config: expected one of {sorted(BUILTIN)} or a .toml file, got {spec!r}")
    try:
        with open(spec, "rb") as f:
            overrides = tomllib.load(f)
    except OSError as exc:
        raise ConfigError(f"config: cannot read {spec}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{spec}: invalid TOML: {exc}") from exc
    base = overrides.pop("base", "default")
    if not isinstance(base, str) or base not in BUILTIN:
        raise ConfigError(f"{spec}: base: expected one of {sorted(BUILTIN)}, got {base!r}")
    options = copy.deepcopy(BUILTIN[base])
    _merge(options, overrides, spec)
    _validate(options, spec)
    return Config(spec, **options)


def _validate(options: dict[str, dict[str, Any]], where: str) -> None:
    """Values the types alone do not rule out."""
    runs = options["runs"]
    if runs["dataset"] not in ("mnist", "digits"):
        raise ConfigError(f"{where}: [runs] dataset: expected 'mnist' or 'digits', got {runs['dataset']!r}")
    for section, name in [("runs", "replicas"), ("runs", "epochs"), ("runs", "k"),
                          ("runs", "batch_size"), ("likelihood", "every"),
                          ("runs", "top_modes")]:
        if options[section][name] < 1:
            raise ConfigError(f"{where}: [{section}] {name}: expected at least 1, got {options[section][name]}")
    if runs["lr_schedule"] not in ("constant", "exponential", "linear"):
        raise ConfigError(f"{where}: [runs] lr_schedule: expected 'constant', 'exponential' or "
                          f"'linear', got {runs['lr_schedule']!r}")
    if not 0.0 < runs["lr_decay"] <= 1.0:
        raise ConfigError(f"{where}: [runs] lr_decay: expected a value in (0, 1], got {runs['lr_decay']}")
    if min(runs["hidden"]) < 2:
        raise ConfigError(f"{where}: [runs] hidden: expected sizes of at least 2, got {runs['hidden']}")
    sizes = options["analysis"]["logz_sizes"]
    if any(len(pair) != 2 or min(pair) < 1 or sum(pair) > 30 for pair in sizes):
        raise ConfigError(f"{where}: [analysis] logz_sizes: expected [N, M] pairs with "
                          f"N, M >= 1 and N + M <= 30 (exact enumeration), got {sizes}")

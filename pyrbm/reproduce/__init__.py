"""``pyrbm reproduce``: the paper end to end (runs over MPI ranks, experiments, report).

See docs/reproduce.md. :func:`reproduce` is the whole job; :func:`load_config` reads a
built-in configuration or a TOML file; :func:`estimate` predicts the training cost.
"""

from .config import BUILTIN, Config, ConfigError, load_config
from .pipeline import estimate, reproduce

__all__ = ["BUILTIN", "Config", "ConfigError", "estimate", "load_config", "reproduce"]

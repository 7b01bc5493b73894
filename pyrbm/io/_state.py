"""JSON with numpy arrays and scalars in it, and the state of a numpy Generator as JSON
(the run archive's resume attributes; re-exported by :mod:`pyrbm.io.archive`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["dumps", "generator_state", "loads", "restore_generator"]


# -- JSON with numpy arrays (bit-generator states of Philox/SFC64 hold arrays) -------------
def _to_json(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return {"__ndarray__": value.tolist(), "dtype": str(value.dtype)}
    if isinstance(value, Mapping):
        return {str(k): _to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_json(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _from_json(value: Any) -> Any:
    if isinstance(value, dict):
        if "__ndarray__" in value:
            return np.array(value["__ndarray__"], dtype=value["dtype"])
        return {k: _from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value


def dumps(value: Any) -> str:  # (any JSON value, with numpy arrays and scalars in it)
    """JSON text of ``value``; numpy arrays and scalars are encoded losslessly."""
    return json.dumps(_to_json(value))


def loads(text: str) -> Any:  # (the JSON value: its type is the text's)
    """Inverse of :func:`dumps`."""
    return _from_json(json.loads(text))


def generator_state(gen: np.random.Generator) -> str:
    """The full state of ``gen``'s bit generator as JSON text."""
    return dumps(gen.bit_generator.state)


def restore_generator(text: str) -> np.random.Generator:
    """A new Generator whose bit generator has the state saved by :func:`generator_state`."""
    state = loads(text)
    bit_generator = getattr(np.random, state["bit_generator"])()
    bit_generator.state = state
    return np.random.Generator(bit_generator)

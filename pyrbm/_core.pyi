# Hand-written stubs of the compiled module pyrbm._core (csrc/bindings/).
# Internal API: arrays must be C-contiguous with the exact dtype (float32 or float64);
# outputs are written into the preallocated ``out``/``states`` arrays.
from typing import Optional

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.floating]
Key = tuple[int, int]

STREAMS: dict[str, int]

# rng (bind_rng.cpp)
def philox4x64_10(counter: list[int], key: Key) -> list[int]: ...
def uniform_row(out: FloatArray, key: Key, sweep: int, chain: int, stream: int) -> None: ...

# threads (bind_threads.cpp)
def have_openmp() -> bool: ...
def get_max_threads() -> int: ...
def set_num_threads(n_threads: int) -> None: ...

# gibbs (bind_gibbs.cpp)
def probs_from_fields(fields: FloatArray, bias: FloatArray, beta: float, out: FloatArray) -> None: ...
def sample_from_fields(
    fields: FloatArray,
    bias: FloatArray,
    beta: float,
    key: Key,
    sweep: int,
    chain_offset: int,
    stream: int,
    states: FloatArray,
    probs: Optional[FloatArray] = None,
) -> int: ...
def sparse_fields(states: FloatArray, rows: FloatArray, out: FloatArray) -> None: ...
def gibbs_sparse(
    visible: FloatArray,
    hidden: FloatArray,
    weights: FloatArray,
    weights_t: FloatArray,
    visible_bias: FloatArray,
    hidden_bias: FloatArray,
    beta: float,
    key: Key,
    first_sweep: int,
    chain_offset: int,
    n_sweeps: int,
) -> None: ...
def density(states: FloatArray) -> float: ...
def bernoulli_states(p: float, key: Key, chain_offset: int, out: FloatArray) -> None: ...

# energy (bind_energy.cpp)
def energy_from_fields(
    visible: FloatArray,
    hidden: FloatArray,
    fields: FloatArray,
    visible_bias: FloatArray,
    hidden_bias: FloatArray,
    beta: float,
    out: FloatArray,
) -> None: ...
def free_energy_from_fields(
    visible: FloatArray,
    fields: FloatArray,
    visible_bias: FloatArray,
    hidden_bias: FloatArray,
    beta: float,
    out: FloatArray,
) -> None: ...

# layout (bind_layout.cpp)
def transpose(src: FloatArray, out: FloatArray) -> None: ...

# Hand-written stubs of the compiled module pyrbm._core (csrc/bindings/).
# Internal API: arrays must be C-contiguous with the exact dtype (float32 or float64);
# outputs are written into the preallocated ``out``/``states`` arrays.
from typing import Optional

import numpy as np
import numpy.typing as npt

_FloatArray = npt.NDArray[np.floating]
_Key = tuple[int, int]

STREAMS: dict[str, int]

# rng (bind_rng.cpp)
def philox4x64_10(counter: list[int], key: _Key) -> list[int]: ...
def uniform_row(out: _FloatArray, key: _Key, sweep: int, chain: int, stream: int) -> None: ...

# OpenBLAS's jobs on pyrbm's threads (bind_blas_pool.cpp)
def blas_jobs_callback() -> int: ...
def blas_jobs_run() -> int: ...

# threads (bind_threads.cpp)
def have_openmp() -> bool: ...
def get_max_threads() -> int: ...
def set_num_threads(n_threads: int) -> int: ...
def forked_child() -> bool: ...

# gibbs (bind_gibbs.cpp)
def probs_from_fields(fields: _FloatArray, bias: _FloatArray, beta: float, out: _FloatArray) -> None: ...
def sample_from_fields(
    fields: _FloatArray,
    bias: _FloatArray,
    beta: float,
    key: _Key,
    sweep: int,
    chain_offset: int,
    stream: int,
    states: _FloatArray,
    probs: Optional[_FloatArray] = None,
) -> int: ...
def sparse_fields(
    states: _FloatArray, rows: _FloatArray, out: _FloatArray, *, accumulate: bool = False
) -> None: ...
def gibbs_sparse(
    visible: _FloatArray,
    hidden: _FloatArray,
    weights: _FloatArray,
    weights_t: _FloatArray,
    visible_bias: _FloatArray,
    hidden_bias: _FloatArray,
    beta: float,
    key: _Key,
    first_sweep: int,
    chain_offset: int,
    n_sweeps: int,
) -> None: ...
def density(states: _FloatArray) -> float: ...
def is_binary(states: _FloatArray) -> bool: ...
def bernoulli_states(p: float, key: _Key, chain_offset: int, out: _FloatArray) -> None: ...

# gemm (bind_gemm.cpp)
def gemm(a: _FloatArray, b: _FloatArray, out: _FloatArray, *, accumulate: bool = False) -> None:
    """``out (=|+=) a @ b`` (a, b: any strides; out: C-contiguous) on pyrbm's threads."""
def gemm_tasks(n: int, m: int, elem_size: int) -> int: ...
def gemm_tile(elem_size: int) -> tuple[int, int]: ...

# engine (bind_engine.cpp)
SPARSE_DENSITY: float

def gibbs_chains(
    visible: _FloatArray,
    hidden: _FloatArray,
    weights: _FloatArray,
    visible_bias: _FloatArray,
    hidden_bias: _FloatArray,
    beta: float,
    path: int,
    key: _Key,
    first_sweep: int,
    chain_offset: int,
    n_sweeps: int,
) -> None:
    """``n_sweeps`` sweeps in place on binary ``visible``; path 0 auto, 1 dense, 2 sparse."""
def chain_gradient(
    data: _FloatArray,
    data_binary: bool,
    chains: _FloatArray,
    weights: _FloatArray,
    visible_bias: _FloatArray,
    hidden_bias: _FloatArray,
    n_sweeps: int,
    key: _Key,
    chain_offset: int,
    scale_data: float,
    scale_model: float,
    visible_offset: Optional[_FloatArray],
    hidden_offset: Optional[_FloatArray],
    grad_w: _FloatArray,
    grad_a: _FloatArray,
    grad_b: _FloatArray,
    mean_h: _FloatArray,
) -> None:
    """One update's ``n_sweeps`` sweeps of ``chains`` (in place) and its gradient."""
def hidden_chain_update(
    v_pos: _FloatArray,
    data_binary: bool,
    h_samples: _FloatArray,
    weights: _FloatArray,
    visible_bias: _FloatArray,
    hidden_bias: _FloatArray,
    learning_rate: float,
    key: _Key,
    sweep: int,
    h_next: _FloatArray,
) -> None:
    """scikit-learn's PCD-1 update on binary persistent ``h_samples`` (n_chains,
    n_hidden), in place on ``weights`` (n_visible, n_hidden) and the biases; the new
    chains go to ``h_next``. float32-layout uniforms for both dtypes."""

# energy (bind_energy.cpp)
def energy_from_fields(
    visible: _FloatArray,
    hidden: _FloatArray,
    fields: _FloatArray,
    visible_bias: _FloatArray,
    hidden_bias: _FloatArray,
    beta: float,
    out: _FloatArray,
) -> None: ...
def free_energy_from_fields(
    visible: _FloatArray,
    fields: _FloatArray,
    visible_bias: _FloatArray,
    hidden_bias: _FloatArray,
    beta: float,
    out: _FloatArray,
) -> None: ...

# layout (bind_layout.cpp)
def transpose(src: _FloatArray, out: _FloatArray) -> None: ...

# optim (bind_optim.cpp)
def adam_step(
    param: _FloatArray,
    grad: _FloatArray,
    m: _FloatArray,
    v: _FloatArray,
    beta1: float,
    one_minus_beta1: float,
    beta2: float,
    one_minus_beta2: float,
    eps: float,
    step: float,
) -> None: ...

# partition (bind_partition.cpp)
def log_z_enumerate(
    rows: _FloatArray, bias: _FloatArray, other_bias: _FloatArray, beta: float
) -> float: ...
def anneal(
    visible: _FloatArray,
    weights: _FloatArray,
    weights_t: _FloatArray,
    visible_bias: _FloatArray,
    hidden_bias: _FloatArray,
    base_visible_bias: _FloatArray,
    base_weights: Optional[_FloatArray],
    base_weights_t: Optional[_FloatArray],
    base_hidden_bias: Optional[_FloatArray],
    coef_base: npt.NDArray[np.float64],
    coef_model: npt.NDArray[np.float64],
    key: _Key,
    chain_offset: int,
    draw_initial: bool,
    log_weights: npt.NDArray[np.float64],
) -> None: ...
def softplus_fast(x: npt.ArrayLike) -> npt.NDArray[np.float64]: ...

# modes (bind_modes.cpp)
LANGEVIN_BLOCK: int

def langevin_modes(
    x: _FloatArray,
    y: _FloatArray,
    stiffness: _FloatArray,
    coupling: _FloatArray,
    force: _FloatArray,
    cubic: _FloatArray,
    quartic: _FloatArray,
    dt: float,
    diffusion: float,
    key: _Key,
    first_step: int,
    n_steps: int,
    record_every: int,
    moments: _FloatArray,
) -> None: ...
def box_muller(u: _FloatArray, nx: _FloatArray, ny: _FloatArray) -> None: ...
def lowrank_sample_visible(
    hidden: _FloatArray,
    v_r: _FloatArray,
    rotation: _FloatArray,
    singular_values: _FloatArray,
    u_r_t: _FloatArray,
    visible_bias: _FloatArray,
    beta: float,
    key: _Key,
    sweep: int,
    chain_offset: int,
    stream: int,
    states: _FloatArray,
    probs: Optional[_FloatArray] = None,
) -> int: ...

# tempering (bind_tempering.cpp)
_IntArray = npt.NDArray[np.integer]
def tempering_sweeps(
    visible: _FloatArray,
    hidden: _FloatArray,
    fields_h: _FloatArray,
    fields_v: _FloatArray,
    weights: _FloatArray,
    weights_t: _FloatArray,
    visible_bias: _FloatArray,
    hidden_bias: _FloatArray,
    model: _IntArray,
    betas: _FloatArray,
    walker: _IntArray,
    direction: _IntArray,
    attempts: _IntArray,
    accepts: _IntArray,
    round_trips: _IntArray,
    key: _Key,
    first_sweep: int,
    n_sweeps: int,
    swap_every: int,
) -> None:
    """Tempered Gibbs sweeps with replica-exchange swaps (csrc/tempering.hpp), in place on
    ``visible`` (S * n, n_visible), ``hidden`` and the counters."""
def joint_energy(
    v: _FloatArray, h: _FloatArray, weights: _FloatArray, visible_bias: _FloatArray,
    hidden_bias: _FloatArray,
) -> float: ...

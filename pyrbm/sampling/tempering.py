"""Parallel tempering and parallel trajectory tempering of binary RBMs.

Both run ``n_slots x n_chains`` chains in one compiled call per stretch of sweeps
(``csrc/tempering.cpp``): every sweep is a blocked Gibbs sweep v -> h -> v of each chain
at its slot's (model, beta) with the gather-add fields of binary states, and after every
``swap_every`` sweeps the joint states (v, h) of adjacent slots are exchanged with the
Metropolis probability min(1, exp(beta_k (E_k(x) - E_k(y)) + beta_l (E_l(y) - E_l(x)))),
alternating even and odd pairs (the non-reversible "deterministic even-odd" scheme,
Syed et al. JRSS-B 2022, whose round trips do not slow down diffusively with the number
of slots). Every uniform of the sweeps and of the swaps comes from Philox at a counter
(unit block or pair, sweep or swap event, chain, stream), so the same seed gives
bit-identical results for any thread count.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from .. import _core
from .._layout import line_aligned
from .._rng import RngLike, as_generator, draw_key
from .._validation import positive_int, state_array
from ..model import RBM
from ..partition.exact import check_rbm
from ._ladder import adapt_ladder, adapt_positions, check_ladder, check_target
from .result import TemperingResult
from .trajectory import path_models

Trace = Callable[[np.ndarray, np.ndarray], Any]

#: Length of the first adaptation round (sweeps); later rounds double.
FIRST_ROUND = 16


class _Chains:
    """States, scratch and counters of a run over ``n_slots`` slots (unchecked)."""

    def __init__(self, models: Sequence[RBM], model_of_slot: np.ndarray, betas: np.ndarray,
                 v0: np.ndarray) -> None:
        first = models[0]
        n_slots, n, nv = v0.shape
        self.n_slots, self.n = n_slots, n
        self.weights = line_aligned(np.stack([m.weights for m in models]))
        self.weights_t = line_aligned(self.weights.transpose(0, 2, 1))
        self.visible_bias = np.stack([m.visible_bias for m in models])
        self.hidden_bias = np.stack([m.hidden_bias for m in models])
        self.model = np.ascontiguousarray(model_of_slot, dtype=np.int64)
        self.betas = np.array(betas, dtype=np.float64)
        rows = n_slots * n
        self.v = np.ascontiguousarray(v0.reshape(rows, nv), dtype=first.dtype).copy()
        self.h = np.zeros((rows, first.n_hidden), first.dtype)
        self.fields_h = np.empty_like(self.h)
        self.fields_v = np.empty_like(self.v)
        self.walker = np.arange(rows, dtype=np.int64)
        self.direction = np.zeros(rows, np.int8)
        self.reset_counters()
        self.sweep = 0

    def set_models(self, models: Sequence[RBM]) -> None:
        """Replace the parameters of every model in place (same count and shape)."""
        for i, m in enumerate(models):
            np.copyto(self.weights[i], m.weights)
            np.copyto(self.weights_t[i], m.weights.T)
            np.copyto(self.visible_bias[i], m.visible_bias)
            np.copyto(self.hidden_bias[i], m.hidden_bias)

    def reset_counters(self) -> None:
        n_pairs = max(self.n_slots - 1, 0)
        self.attempts = np.zeros(n_pairs, np.int64)
        self.accepts = np.zeros(n_pairs, np.int64)
        self.round_trips = np.zeros(self.n, np.int64)
        self.direction[:] = 0

    def run(self, key: tuple[int, int], n_sweeps: int, swap_every: int) -> None:
        _core.tempering_sweeps(
            self.v, self.h, self.fields_h, self.fields_v, self.weights,
            self.weights_t, self.visible_bias, self.hidden_bias, self.model, self.betas,
            self.walker, self.direction, self.attempts, self.accepts, self.round_trips,
            key, self.sweep, n_sweeps, swap_every,
        )
        self.sweep += n_sweeps

    def acceptance(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.attempts > 0, self.accepts / np.maximum(self.attempts, 1), np.nan)

    def target(self) -> tuple[np.ndarray, np.ndarray]:
        lo = (self.n_slots - 1) * self.n
        return self.v[lo:], self.h[lo:]


def _start_states(rbm: RBM, v0: Any, n_slots: int, n_chains: int, gen: np.random.Generator
                  ) -> np.ndarray:
    """v0 as (n_slots, n_chains, n_visible): None -> uniform bits; 2-D -> every slot."""
    shape = (n_slots, n_chains, rbm.n_visible)
    if v0 is None:
        out = np.empty((n_slots * n_chains, rbm.n_visible), rbm.dtype)
        _core.bernoulli_states(0.5, draw_key(gen), 0, out)
        return out.reshape(shape)
    if not isinstance(v0, np.ndarray):
        raise TypeError(f"v0: expected a numpy array, got {type(v0).__name__}")
    if v0.ndim == 2:
        states = state_array(v0, "v0", rbm.n_visible, rbm.dtype)
        if states.shape[0] != n_chains:
            raise ValueError(f"v0: expected {n_chains} rows (n_chains), got {states.shape[0]}")
        return np.broadcast_to(states, shape).copy()
    if v0.ndim == 3 and v0.shape[:2] == shape[:2]:
        flat = state_array(np.ascontiguousarray(v0).reshape(-1, v0.shape[2]), "v0",
                           rbm.n_visible, rbm.dtype)
        return flat.reshape(shape)
    raise ValueError(
        f"v0: expected shape ({n_chains}, {rbm.n_visible}) or "
        f"({n_slots}, {n_chains}, {rbm.n_visible}), got {v0.shape}"
    )


def _check_trace(trace: Any, trace_every: Any) -> tuple[Trace | None, int]:
    if trace is not None and not callable(trace):
        raise TypeError(f"trace: expected a callable (v, h) -> array or None, got "
                        f"{type(trace).__name__}")
    return trace, positive_int(trace_every, "trace_every")


def _production(chains: _Chains, key: tuple[int, int], n_sweeps: int, swap_every: int,
                trace: Trace | None, trace_every: int) -> np.ndarray | None:
    """Run n_sweeps, recording trace(v, h) of the target every trace_every sweeps."""
    if trace is None:
        chains.run(key, n_sweeps, swap_every)
        return None
    records = []
    done = 0
    while done < n_sweeps:
        step = min(trace_every, n_sweeps - done)
        chains.run(key, step, swap_every)
        done += step
        if step == trace_every:
            records.append(np.asarray(trace(*chains.target())).copy())
    return np.stack(records) if records else None


def _result(chains: _Chains, n_sweeps: int, adapted: int, trace: np.ndarray | None,
            positions: np.ndarray | None = None) -> TemperingResult:
    v, h = chains.target()
    nv, nh = chains.v.shape[1], chains.h.shape[1]
    return TemperingResult(
        v=v.copy(), h=h.copy(), betas=chains.betas.copy(), swap_acceptance=chains.acceptance(),
        round_trips=int(chains.round_trips.sum()),
        all_v=chains.v.reshape(chains.n_slots, chains.n, nv).copy(),
        all_h=chains.h.reshape(chains.n_slots, chains.n, nh).copy(),
        swap_attempts=chains.attempts.copy(), n_sweeps=n_sweeps, adapted_sweeps=adapted,
        trace=trace, positions=None if positions is None else positions.copy(),
    )


def parallel_tempering(
    rbm: RBM,
    n_chains: int,
    n_sweeps: int,
    *,
    betas: int | Sequence[float] | np.ndarray = 16,
    v0: np.ndarray | None = None,
    swap_every: int = 1,
    adapt: bool = True,
    rng: RngLike = None,
    target_acceptance: float = 0.3,
    trace: Trace | None = None,
    trace_every: int = 1,
) -> TemperingResult:
    """Sample ``p(v, h)`` of ``rbm`` at beta = 1 by parallel tempering over a beta ladder.

    Parameters
    ----------
    rbm : RBM
    n_chains : int
        Chains (replicas) per temperature; the result holds ``n_chains`` target chains.
    n_sweeps : int
        Gibbs sweeps of every chain, including the adaptation phase.
    betas : int or array_like, shape (n_slots,)
        An int: that many temperatures, starting as a geometric ladder from 0.1 to 1
        and, with ``adapt``, tuned. An array: the ladder itself, strictly increasing,
        ending at 1, used as given (``adapt`` applies only to an int). ``betas=1`` is
        plain blocked Gibbs sampling with the same kernel.
    v0 : numpy.ndarray, shape (n_chains, n_visible) or (n_slots, n_chains, n_visible)
        Initial visible states: of every slot (3-D), or the same for every slot (2-D);
        default: uniform random bits.
    swap_every : int
        Sweeps between two swap events (each tries every other adjacent pair).
    adapt : bool
        With an int ``betas`` and ``n_sweeps >= 64 swap_every``: spend rounds of 16, 32,
        ... swap events, at most half of ``n_sweeps``, tuning the ladder to equal acceptance
        ``target_acceptance`` per pair (the lowest beta moves, clipped at 0). The swap
        statistics and the trace cover only the sweeps after adaptation.
    rng : numpy.random.Generator, int or None
    target_acceptance : float
        Acceptance per pair the adaptation aims at, in (0, 1).
    trace : callable, optional
        ``trace(v, h)`` of the target chains ((n_chains, n_visible), (n_chains, n_hidden)),
        recorded every ``trace_every`` sweeps into ``result.trace``.
    trace_every : int

    Returns
    -------
    TemperingResult
    """
    rbm = check_rbm(rbm)
    n_chains = positive_int(n_chains, "n_chains")
    n_sweeps = positive_int(n_sweeps, "n_sweeps")
    swap_every = positive_int(swap_every, "swap_every")
    ladder, adaptable = check_ladder(betas)
    target = check_target(target_acceptance)
    if not isinstance(adapt, (bool, np.bool_)):
        raise TypeError(f"adapt: expected a bool, got {type(adapt).__name__}")
    trace, trace_every = _check_trace(trace, trace_every)
    gen = as_generator(rng)
    start = _start_states(rbm, v0, ladder.shape[0], n_chains, gen)
    chains = _Chains([rbm], np.zeros(ladder.shape[0], np.int64), ladder, start)
    key = draw_key(gen)
    adapted = 0
    if adapt and adaptable and n_sweeps >= 4 * FIRST_ROUND * swap_every:
        length = FIRST_ROUND * swap_every  # both parities of pairs, 8+ times each
        while adapted + length <= n_sweeps // 2:
            chains.reset_counters()
            chains.run(key, length, swap_every)
            chains.betas[:] = adapt_ladder(chains.betas, chains.acceptance(), target)
            adapted += length
            length *= 2
        chains.reset_counters()
    recorded = _production(chains, key, n_sweeps - adapted, swap_every, trace, trace_every)
    return _result(chains, n_sweeps, adapted, recorded)


def check_trajectory(models: object) -> list[RBM]:
    """Return ``models`` as a list of at least two RBMs of one shape and dtype."""
    if isinstance(models, RBM) or not isinstance(models, (list, tuple)):
        raise TypeError(
            f"models: expected a list of pyrbm.RBM (easy end first), got {type(models).__name__}"
        )
    for i, m in enumerate(models):
        if not isinstance(m, RBM):
            raise TypeError(f"models[{i}]: expected pyrbm.RBM, got {type(m).__name__}")
    models = list(models)
    if len(models) < 2:
        raise ValueError(f"models: trajectory tempering needs at least 2 models, got {len(models)}")
    first = models[0]
    for i, m in enumerate(models[1:], start=1):
        if m.weights.shape != first.weights.shape:
            raise ValueError(f"models[{i}]: shape {m.weights.shape} differs from models[0]'s "
                             f"{first.weights.shape}")
        if m.dtype != first.dtype:
            raise TypeError(f"models[{i}]: dtype {m.dtype} differs from models[0]'s {first.dtype}")
    return models


def trajectory_tempering(
    models: Sequence[RBM],
    n_chains: int,
    n_sweeps: int,
    *,
    v0: np.ndarray | None = None,
    swap_every: int = 1,
    rng: RngLike = None,
    trace: Trace | None = None,
    trace_every: int = 1,
    slots: int | None = None,
) -> TemperingResult:
    """Sample the last of ``models`` by parallel trajectory tempering (PTT).

    The slots are the models saved along one training run, easy end first (the initial
    or a low-rank model, whose Gibbs chains mix fast), all at beta = 1; adjacent models
    swap their chains' joint states (Bereux, Decelle, Furtlehner, Rosset, Seoane,
    ICLR 2025). A swap needs each state's energy under the neighbour model as well: one
    gather-add of the visible ones per attempted state, so a swap event costs about a
    third of a sweep (raise ``swap_every`` to trade mixing for speed).

    With ``slots``, ``models`` are the knots of a piecewise-linear path in parameter
    space (:func:`pyrbm.sampling.path_models`; every point of it is an RBM) and ``slots``
    models are placed along it: first equally spaced in knot index, then, in rounds of 16,
    32, ... swap events (at most half of ``n_sweeps``), moved to equal swap acceptance
    between neighbours, the ends fixed (the selection by acceptance of Bereux et al., with
    interpolation where the saved models are too sparse). ``models=[independent_end(rbm,
    data_visible_bias(data)), rbm]`` is tempering along the straight path from the data's
    independent-units model to ``rbm``.

    Parameters
    ----------
    models : list of RBM
        At least two models of one shape and dtype, easy end first, target last.
    n_chains : int
        Chains per model.
    n_sweeps : int
        Gibbs sweeps of every chain.
    v0 : numpy.ndarray, shape (n_chains, n_visible) or (n_slots, n_chains, n_visible)
        Initial visible states; default: uniform random bits.
    swap_every : int
        Sweeps between two swap events.
    rng : numpy.random.Generator, int or None
    trace : callable, optional
        ``trace(v, h)`` of the target chains every ``trace_every`` sweeps.
    trace_every : int
    slots : int, optional
        Number of models placed along the path through ``models`` (at least 2); default:
        ``models`` themselves, no placement. The placement equalizes the acceptance;
        its level follows from ``slots`` (both ends are fixed).

    Returns
    -------
    TemperingResult
        ``betas`` is all ones; ``swap_acceptance[k]`` is that of slots k and k + 1;
        ``positions`` the slots' positions along the path (knot index; with ``slots``).
    """
    models = check_trajectory(models)
    n_chains = positive_int(n_chains, "n_chains")
    n_sweeps = positive_int(n_sweeps, "n_sweeps")
    swap_every = positive_int(swap_every, "swap_every")
    trace, trace_every = _check_trace(trace, trace_every)
    gen = as_generator(rng)
    knots = models
    positions = None
    if slots is not None:
        n_slots = positive_int(slots, "slots", minimum=2)
        positions = np.linspace(0.0, len(knots) - 1.0, n_slots)
        models = path_models(knots, positions)
    n_slots = len(models)
    start = _start_states(models[0], v0, n_slots, n_chains, gen)
    chains = _Chains(models, np.arange(n_slots), np.ones(n_slots), start)
    key = draw_key(gen)
    adapted = 0
    if positions is not None and n_sweeps >= 4 * FIRST_ROUND * swap_every:
        length = FIRST_ROUND * swap_every
        while adapted + length <= n_sweeps // 2:
            chains.reset_counters()
            chains.run(key, length, swap_every)
            positions = adapt_positions(positions, chains.acceptance())
            chains.set_models(path_models(knots, positions))
            adapted += length
            length *= 2
        chains.reset_counters()
    recorded = _production(chains, key, n_sweeps - adapted, swap_every, trace, trace_every)
    return _result(chains, n_sweeps, adapted, recorded, positions)

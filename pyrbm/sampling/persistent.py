"""Persistent parallel-tempering chains for PT-PCD training (``pyrbm.train(...,
sampler="pt")``): the negative phase's chains are the beta = 1 slot of a ladder whose
swaps carry states from hot, fast-mixing chains to the target (Desjardins, Courville,
Bengio, Vincent, Delalleau, AISTATS 2010)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import _core
from .._rng import draw_key
from ..model import RBM
from ._ladder import adapt_ladder, initial_ladder
from .tempering import _Chains

#: Updates between two adaptations of the ladder during training.
ADAPT_EVERY = 20

#: Target swap acceptance of the adaptation during training.
TARGET_ACCEPTANCE = 0.3

_STATE = ("v", "h", "betas", "walker", "direction", "attempts", "accepts", "round_trips")


class PersistentTempering:
    """``n_slots x n_chains`` persistent chains of a model that changes between calls.

    Parameters
    ----------
    rbm : RBM
        The model being trained (read at every :meth:`run`).
    n_chains : int
        Chains at beta = 1 (the negative phase's chains).
    n_slots : int
        Temperatures, at least 2; the ladder starts geometric from 0.1 and is adapted
        every ``ADAPT_EVERY`` updates to equal acceptance ``TARGET_ACCEPTANCE``.
    gen : numpy.random.Generator
        Draws the initial states (uniform bits).
    """

    def __init__(self, rbm: RBM, n_chains: int, n_slots: int, gen: np.random.Generator) -> None:
        start = np.empty((n_slots * n_chains, rbm.n_visible), rbm.dtype)
        _core.bernoulli_states(0.5, draw_key(gen), 0, start)
        self.chains = _Chains([rbm], np.zeros(n_slots, np.int64), initial_ladder(n_slots),
                              start.reshape(n_slots, n_chains, rbm.n_visible))
        self.updates = 0
        self.adapt_mark = np.zeros((2, n_slots - 1), np.int64)  # attempts, accepts
        self.report_mark = np.zeros((2, n_slots - 1), np.int64)
        self.report_trips = 0

    def run(self, rbm: RBM, k: int, gen: np.random.Generator) -> np.ndarray:
        """``k`` sweeps (a swap event after each) with the current parameters; returns
        a copy of the beta = 1 chains, shape (n_chains, n_visible)."""
        c = self.chains
        np.copyto(c.weights[0], rbm.weights)
        np.copyto(c.weights_t[0], rbm.weights.T)
        np.copyto(c.visible_bias[0], rbm.visible_bias)
        np.copyto(c.hidden_bias[0], rbm.hidden_bias)
        c.run(draw_key(gen), k, 1)
        self.updates += 1
        if self.updates % ADAPT_EVERY == 0:
            counts = np.stack([c.attempts, c.accepts]) - self.adapt_mark
            acceptance = counts[1] / np.maximum(counts[0], 1)
            c.betas[:] = adapt_ladder(c.betas, acceptance, TARGET_ACCEPTANCE)
            self.adapt_mark = np.stack([c.attempts, c.accepts])
        return c.target()[0].copy()

    def checkpoint_metrics(self) -> dict[str, float]:
        """Swap statistics since the previous call: ``pt_swap_acceptance_min`` and
        ``_mean`` (over adjacent pairs), ``pt_round_trips``, ``pt_beta_min``."""
        c = self.chains
        counts = np.stack([c.attempts, c.accepts]) - self.report_mark
        self.report_mark = np.stack([c.attempts, c.accepts])
        trips = int(c.round_trips.sum())
        out = {"pt_round_trips": float(trips - self.report_trips), "pt_beta_min": float(c.betas[0])}
        self.report_trips = trips
        if np.all(counts[0] > 0):
            acceptance = counts[1] / counts[0]
            out.update(pt_swap_acceptance_min=float(acceptance.min()),
                       pt_swap_acceptance_mean=float(acceptance.mean()))
        return out

    def state(self) -> dict[str, np.ndarray]:
        """Arrays that make a resumed run identical (prefix ``pt_``)."""
        c = self.chains
        out = {f"pt_{name}": getattr(c, name) for name in _STATE}
        out["pt_marks"] = np.concatenate([self.adapt_mark, self.report_mark]).ravel()
        out["pt_counters"] = np.array([c.sweep, self.updates, self.report_trips], np.int64)
        return out

    def load_state(self, arrays: Mapping[str, Any]) -> None:
        c = self.chains
        for name in _STATE:
            getattr(c, name)[...] = arrays[f"pt_{name}"]
        marks = np.asarray(arrays["pt_marks"]).reshape(4, -1)
        self.adapt_mark, self.report_mark = marks[:2].copy(), marks[2:].copy()
        c.sweep, self.updates, self.report_trips = (int(x) for x in arrays["pt_counters"])

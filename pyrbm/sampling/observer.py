"""A training callback that measures how well the chains of training mix: the persistent
chains' own autocorrelation time between checkpoints, and that of fresh Gibbs chains of
the current model."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import diagnostics
from .._validation import positive_int
from ..model import RBM
from .tempering import parallel_tempering

#: Fewest recorded updates between two checkpoints for the persistent chains' metrics.
MIN_RECORDS = 8


def _mode1(rbm: RBM) -> np.ndarray:
    """u_1, the top left singular vector of W (float64)."""
    u1: np.ndarray = np.linalg.svd(rbm.weights.astype(np.float64), full_matrices=False)[0][:, 0]
    return u1


class MixingObserver:
    """Callback for :func:`pyrbm.train` that records, at each checkpoint, the mixing of

    * the **persistent chains** (PCD, PT-PCD): the trainer calls :meth:`observe_chains`
      after every update with the negative phase's chains, and the observer records their
      mode-1 projection u_1 . v (u_1 the top left singular vector of W at the first update
      after the previous checkpoint, fixed until the next one). At the checkpoint:
      ``persistent_tau_mode1``, the integrated autocorrelation time of that series **in
      updates** (multiply by ``k`` for sweeps), and ``persistent_rhat_mode1``, its split
      R-hat over the chains; both over the updates since the previous checkpoint (at least
      ``MIN_RECORDS`` of them, else not recorded). ``persistent_tau_mode1`` well below 1
      update means the chains decorrelate within the ``k`` sweeps of one update while the
      model moves (the equilibrium regime of Decelle, Furtlehner, Seoane, NeurIPS 2021);
      of the order of the checkpoint interval or more, they do not (non-equilibrium
      regime: the model is trained on the chains' short-time dynamics). Under MPI the
      root's block of chains is observed.
    * **fresh Gibbs chains** of the current model (``fresh=True``): ``n_chains`` chains
      run ``n_sweeps`` sweeps from uniform bits (second half measured):
      ``gibbs_tau_mode1`` (sweeps) and ``gibbs_rhat_mode1``, the model's own Gibbs mixing,
      with a fixed seed per checkpoint.

    Neither changes the training run (no draws from its streams), and a resumed run
    records the same values: the persistent record restarts at each checkpoint.

    Parameters
    ----------
    n_chains : int
        Fresh chains (at least 2).
    n_sweeps : int
        Sweeps of the fresh chains (at least 8).
    seed : int
    fresh : bool
        Whether to run the fresh chains too.
    """

    def __init__(self, n_chains: int = 32, n_sweeps: int = 400, seed: int = 0,
                 fresh: bool = True) -> None:
        self.n_chains = positive_int(n_chains, "n_chains", minimum=2)
        self.n_sweeps = positive_int(n_sweeps, "n_sweeps", minimum=8)
        self.seed = positive_int(seed, "seed", minimum=0)
        if not isinstance(fresh, (bool, np.bool_)):
            raise TypeError(f"fresh: expected a bool, got {type(fresh).__name__}")
        self.fresh = bool(fresh)
        self._u1: np.ndarray | None = None
        self._records: list[np.ndarray] = []

    def observe_chains(self, rbm: RBM, chains: np.ndarray, update: int) -> None:
        """Record the mode-1 projection of the persistent ``chains`` (n_chains, n_visible)
        after update ``update`` (called by the trainer)."""
        if self._u1 is None:
            self._u1 = _mode1(rbm)
        self._records.append(np.asarray(chains, np.float64) @ self._u1)

    def persistent_metrics(self) -> dict[str, float]:
        """The persistent chains' metrics over the updates recorded since the last call,
        and a fresh start of the record."""
        records, self._records, self._u1 = self._records, [], None
        if len(records) < MIN_RECORDS or records[0].shape[0] < 2:
            return {}
        series = np.stack(records)  # frozen chains: tau = R-hat = inf (pyrbm.diagnostics)
        return {"persistent_tau_mode1": float(diagnostics.autocorrelation_time(series)),
                "persistent_rhat_mode1": float(diagnostics.rhat(series))}

    def __call__(self, rbm: RBM, info: Any) -> dict[str, float]:
        out = self.persistent_metrics()
        if self.fresh:
            u1 = _mode1(rbm)
            res = parallel_tempering(rbm, self.n_chains, self.n_sweeps, betas=[1.0],
                                     rng=np.random.default_rng([self.seed, int(info.index)]),
                                     trace=lambda v, h: v @ u1)
            if res.trace is None:  # a trace callable was given, so one is recorded
                raise RuntimeError("parallel_tempering returned no trace")
            trace = res.trace[self.n_sweeps // 2 :]
            out.update(gibbs_tau_mode1=float(diagnostics.autocorrelation_time(trace)),
                       gibbs_rhat_mode1=float(diagnostics.rhat(trace)))
        return out

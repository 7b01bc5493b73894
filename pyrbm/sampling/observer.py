"""A training callback that measures how fast the current model's Gibbs chains mix."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import diagnostics
from .._validation import positive_int
from ..model import RBM
from .tempering import parallel_tempering


class MixingObserver:
    """Callback for :func:`pyrbm.train`: at each checkpoint, the integrated
    autocorrelation time (in sweeps) of the mode-1 projection u_1 . v of ``n_chains``
    blocked-Gibbs chains of the current model, run ``n_sweeps`` sweeps from uniform bits
    (the second half is measured).

    Compared with the ``k`` sweeps per update of PCD, it tells the regime of training:
    ``gibbs_tau_mode1`` well below ``k`` means the persistent chains equilibrate between
    updates (equilibrium regime); above it, they do not (Decelle, Furtlehner, Seoane,
    NeurIPS 2021). ``gibbs_rhat_mode1`` well above 1 means the chains sit in different
    modes. The chains draw from a fixed seed per checkpoint, so the training run itself
    is unchanged and a resumed run records the same values.

    Parameters
    ----------
    n_chains : int
    n_sweeps : int
        At least 8.
    seed : int
    """

    def __init__(self, n_chains: int = 32, n_sweeps: int = 400, seed: int = 0) -> None:
        self.n_chains = positive_int(n_chains, "n_chains", minimum=2)
        self.n_sweeps = positive_int(n_sweeps, "n_sweeps", minimum=8)
        self.seed = positive_int(seed, "seed", minimum=0)

    def __call__(self, rbm: RBM, info: Any) -> dict[str, float]:
        u1 = np.linalg.svd(rbm.weights.astype(np.float64), full_matrices=False)[0][:, 0]
        res = parallel_tempering(rbm, self.n_chains, self.n_sweeps, betas=[1.0],
                                 rng=np.random.default_rng([self.seed, int(info.index)]),
                                 trace=lambda v, h: v @ u1)
        if res.trace is None:  # a trace callable was given, so parallel_tempering records one
            raise RuntimeError("parallel_tempering returned no trace")
        trace = res.trace[self.n_sweeps // 2 :]
        return {"gibbs_tau_mode1": float(diagnostics.autocorrelation_time(trace)),
                "gibbs_rhat_mode1": float(diagnostics.rhat(trace))}

"""pyrbm.BernoulliRBM vs scikit-learn's BernoulliRBM: one epoch of binarized MNIST.

Run (from the repository root, with the extension built)::

    pytest bench/bench_sklearn.py --benchmark-only -s -o testpaths=bench

Both libraries fit the same 60k binarized images with the same settings
(n_components=500, batch_size=100, n_iter=1) in this process, interleaved round by round
(bench/_harness.py; the machine is noisy, only the ratio means something). Every fit uses
a new seed; the pseudo-likelihoods and weight statistics of the two libraries are then
compared with Welch t-tests, so the run-to-run spread sets the tolerance.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats
from threadpoolctl import threadpool_limits

import pyrbm
from pyrbm import datasets

from ._harness import interleaved_medians, report

sk_rbm = pytest.importorskip("sklearn.neural_network")

ROUNDS = 5  # the 2-thread times vary between processes; medians of 5 after a warm-up
PARAMS = dict(n_components=500, batch_size=100, n_iter=1, learning_rate=0.1)
N_SCORE = 10_000  # rows scored for the pseudo-likelihood


def summary(model: object, X: np.ndarray) -> tuple[float, float]:
    """(mean pseudo-likelihood of the first N_SCORE rows, mean norm of a weight row)."""
    pl = float(model.score_samples(X[:N_SCORE]).mean())
    return pl, float(np.linalg.norm(model.components_, axis=1).mean())


@pytest.mark.parametrize("threads", [2, 1])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_fit_one_epoch_mnist(benchmark, dtype: type, threads: int) -> None:
    X = datasets.load("mnist", split="train", binarize=0.5)[0].astype(dtype)  # 60k x 784
    fitted: dict[str, list[object]] = {"pyrbm": [], "sklearn": []}
    seeds = {name: itertools.count() for name in fitted}

    def fit(name: str, cls: type) -> None:
        model = cls(random_state=next(seeds[name]), **PARAMS)
        model.fit(X)
        fitted[name].append(model)

    cases = {
        "sklearn": lambda: fit("sklearn", sk_rbm.BernoulliRBM),
        "pyrbm": lambda: fit("pyrbm", pyrbm.BernoulliRBM),
    }
    with threadpool_limits(limits=threads), pyrbm.num_threads(threads):
        medians = interleaved_medians(cases, rounds=ROUNDS, warmup=1)
        benchmark.pedantic(lambda: fit("pyrbm", pyrbm.BernoulliRBM), rounds=1, iterations=1)
    ratios = report(benchmark, medians, baseline="sklearn")

    ours = np.array([summary(m, X) for m in fitted["pyrbm"]])
    theirs = np.array([summary(m, X) for m in fitted["sklearn"]])
    for column, label in enumerate(("pseudo_likelihood", "weight_row_norm")):
        benchmark.extra_info[f"{label}_pyrbm"] = ours[:, column].round(3).tolist()
        benchmark.extra_info[f"{label}_sklearn"] = theirs[:, column].round(3).tolist()
        p = stats.ttest_ind(ours[:, column], theirs[:, column], equal_var=False).pvalue
        assert p > 0.001, (label, ours[:, column], theirs[:, column])
        # Close in absolute terms too: a t-test alone accepts anything noisy enough.
        diff = abs(ours[:, column].mean() - theirs[:, column].mean())
        assert diff < 0.05 * abs(theirs[:, column].mean()), label
    print(f"  speed-up over scikit-learn: x{ratios['pyrbm']:.2f} ({threads} threads)")

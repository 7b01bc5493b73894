"""pyrbm.BernoulliRBM vs scikit-learn's BernoulliRBM: one epoch of binarized MNIST.

Run (the lead records the numbers in bench/RESULTS.md)::

    PYTHONPATH=.:bench python3 -m pytest bench/bench_sklearn.py --benchmark-only \
        -p no:cacheprovider --benchmark-columns=median,rounds -o testpaths=bench

Both libraries fit the same data with the same settings (n_components=500,
batch_size=100, n_iter=1) in the same process, interleaved round by round (the machine
is noisy, so only the ratio means something). Each round uses a new seed; the rounds'
pseudo-likelihoods and weight statistics of the two libraries are compared with Welch
t-tests, the run-to-run spread setting the tolerance.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from scipy import stats

import pyrbm

sk_rbm = pytest.importorskip("sklearn.neural_network")
from _mnist import mnist_train_binary  # noqa: E402

ROUNDS = 3
PARAMS = dict(n_components=500, batch_size=100, n_iter=1, learning_rate=0.1)
N_SCORE = 10_000  # rows scored for the pseudo-likelihood


def summary(model: object, X: np.ndarray) -> tuple[float, float]:
    """(mean pseudo-likelihood on the first N_SCORE rows, mean norm of a weight row)."""
    pl = float(model.score_samples(X[:N_SCORE]).mean())
    return pl, float(np.linalg.norm(model.components_, axis=1).mean())


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_fit_one_epoch_mnist(benchmark: pytest.FixtureRequest, dtype: type) -> None:
    X = mnist_train_binary(dtype)
    seeds = iter(range(ROUNDS + 1))
    sklearn_times: list[float] = []
    results: dict[str, list[tuple[float, float]]] = {"pyrbm": [], "sklearn": []}
    models: list[pyrbm.BernoulliRBM] = []

    def sklearn_round() -> tuple[tuple, dict]:
        # Runs just before each pyrbm round (interleaved), timed here.
        seed = next(seeds)
        reference = sk_rbm.BernoulliRBM(random_state=seed, **PARAMS)
        start = time.perf_counter()
        reference.fit(X)
        sklearn_times.append(time.perf_counter() - start)
        results["sklearn"].append(summary(reference, X))
        model = pyrbm.BernoulliRBM(random_state=seed, **PARAMS)
        models.append(model)
        return (model,), {}

    def fit(model: pyrbm.BernoulliRBM) -> None:
        model.fit(X)

    benchmark.pedantic(fit, setup=sklearn_round, rounds=ROUNDS, iterations=1, warmup_rounds=0)
    results["pyrbm"] = [summary(model, X) for model in models]

    ours_median = benchmark.stats.stats.median
    sklearn_median = float(np.median(sklearn_times))
    ours, theirs = np.array(results["pyrbm"]), np.array(results["sklearn"])
    benchmark.extra_info.update(
        sklearn_median_s=sklearn_median,
        pyrbm_median_s=ours_median,
        speedup=sklearn_median / ours_median,
        pseudo_likelihood_pyrbm=ours[:, 0].tolist(),
        pseudo_likelihood_sklearn=theirs[:, 0].tolist(),
        row_norm_pyrbm=ours[:, 1].tolist(),
        row_norm_sklearn=theirs[:, 1].tolist(),
    )
    for column, label in enumerate(("pseudo-likelihood", "weight row norm")):
        p = stats.ttest_ind(ours[:, column], theirs[:, column], equal_var=False).pvalue
        assert p > 0.001, (label, ours[:, column], theirs[:, column])
        # And close in absolute terms (a t-test alone passes anything noisy enough).
        assert abs(ours[:, column].mean() - theirs[:, column].mean()) < 0.05 * abs(
            theirs[:, column].mean()
        ), label

"""pyrbm.BernoulliRBM vs scikit-learn's BernoulliRBM: one epoch of binarized MNIST.

Run (from the repository root, with the extension built)::

    pytest bench/bench_sklearn.py --benchmark-only -s -o testpaths=bench

or as a script, the issue-12 protocol (the first ``--n`` images, each library alone in
its own processes or interleaved in one, default environment; ``--threads 1
--cpu-time`` for the load-robust 1-thread CPU-time ratio)::

    python -P bench/bench_sklearn.py --mode interleaved --dtype float32 --n 10000
    python -P bench/bench_sklearn.py --mode alone --dtype float64 --n 10000 --processes 3

``import pyrbm`` runs NumPy's OpenBLAS jobs (scikit-learn's products) on pyrbm's OpenMP
threads; ``--own-blas-threads`` first gives them back to OpenBLAS's own workers
(``pyrbm.share_blas_threads(False)``), which spin ~0.1 s after each product.

``--mode dtypes`` fits float32 and float64 copies of the first ``--n`` images with the
same ``random_state`` (``--epochs`` epochs, each library) and prints how far the two
transforms of 2000 images lie apart::

    python -P bench/bench_sklearn.py --mode dtypes --n 10000 --epochs 1

Both libraries fit the same 60k binarized images with the same settings
(n_components=500, batch_size=100, n_iter=1) in this process, interleaved round by round
(bench/_harness.py; the machine is noisy, only the ratio means something). Every fit uses
a new seed; the pseudo-likelihoods and weight statistics of the two libraries are then
compared with Welch t-tests, so the run-to-run spread sets the tolerance.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from threadpoolctl import threadpool_limits

import pyrbm
from pyrbm import datasets

if __package__:
    from ._harness import alone_medians, interleaved_medians, report
else:  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _harness import alone_medians, interleaved_medians, report

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


def dtype_agreement(n: int, epochs: int) -> None:
    """Fit float32 and float64 copies of the same images with the same random_state and
    print max and mean |transform_32 - transform_64| for pyrbm and scikit-learn."""
    images = datasets.load("mnist", split="train", binarize=0.5)[0]
    params = {**PARAMS, "n_iter": epochs}
    for name, cls in (("pyrbm", pyrbm.BernoulliRBM), ("sklearn", sk_rbm.BernoulliRBM)):
        out = [cls(random_state=0, **params).fit(images[:n].astype(dt))
               .transform(images[:2000].astype(dt)).astype(np.float64)
               for dt in (np.float32, np.float64)]
        gap = np.abs(out[0] - out[1])
        print(f"{name:8s} {n} images x {epochs} epochs: max {gap.max():.2e}, "
              f"mean {gap.mean():.2e}")


def _script() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["interleaved", "alone", "dtypes"],
                        default="interleaved")
    parser.add_argument("--epochs", type=int, default=1, help="--mode dtypes: epochs")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--n", type=int, default=10_000, help="training images")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="default: the libraries' own")
    parser.add_argument("--cpu-time", action="store_true")
    parser.add_argument("--case", help="time only this case (used by --mode alone)")
    parser.add_argument("--own-blas-threads", action="store_true",
                        help="pyrbm.share_blas_threads(False) first: OpenBLAS's jobs on its "
                             "own workers")
    args = parser.parse_args()
    if args.own_blas_threads:
        pyrbm.share_blas_threads(False)
    if args.mode == "dtypes":
        dtype_agreement(args.n, args.epochs)
        return
    X = datasets.load("mnist", split="train", binarize=0.5)[0][: args.n].astype(args.dtype)
    if args.threads:
        pyrbm.set_num_threads(args.threads)
        threadpool_limits(args.threads)
    seeds = itertools.count()
    fitted: dict[str, list[object]] = {"sklearn": [], "pyrbm": []}

    def fit(name: str, cls: type) -> None:
        fitted[name].append(cls(random_state=next(seeds), **PARAMS).fit(X))

    cases = {"sklearn": lambda: fit("sklearn", sk_rbm.BernoulliRBM),
             "pyrbm": lambda: fit("pyrbm", pyrbm.BernoulliRBM)}
    clock = time.process_time if args.cpu_time else time.perf_counter
    if args.case:
        print(json.dumps(interleaved_medians({args.case: cases[args.case]}, args.rounds, 1, clock)))
        return
    if args.mode == "interleaved":
        medians = interleaved_medians(cases, args.rounds, 1, clock)
        # the fits agree: mean pseudo-likelihood and weight-row norm over the fits (one
        # seed each) within 5 %, and no significant difference (Welch, p > 0.001)
        ours = np.array([summary(m, X) for m in fitted["pyrbm"]])
        theirs = np.array([summary(m, X) for m in fitted["sklearn"]])
        for column in range(2):
            a, b = ours[:, column], theirs[:, column]
            print(f"check {column}: pyrbm {a.mean():.3f} +- {a.std():.3f}, "
                  f"scikit-learn {b.mean():.3f} +- {b.std():.3f}")
            assert abs(a.mean() - b.mean()) < 0.05 * abs(b.mean()), (a, b)
            assert stats.ttest_ind(a, b, equal_var=False).pvalue > 0.001, (a, b)
    else:
        medians = alone_medians(
            __file__, list(cases),
            ["--dtype", args.dtype, "--n", str(args.n), "--rounds", str(args.rounds),
             "--threads", str(args.threads)] + (["--cpu-time"] if args.cpu_time else [])
            + (["--own-blas-threads"] if args.own_blas_threads else []), args.processes)
    for name, t in medians.items():
        print(f"{name:8s} {t:8.3f} s")
    own = ", OpenBLAS's own threads" if args.own_blas_threads else ""
    print(f"speed-up over scikit-learn: {medians['sklearn'] / medians['pyrbm']:.2f}x "
          f"({args.mode}, {args.dtype}, {args.n} images, threads {args.threads or 'default'}"
          f"{own})")


if __name__ == "__main__":
    _script()

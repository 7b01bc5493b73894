"""The Examples sections of the main entry points run as doctests (fast, fixed seeds)."""

from __future__ import annotations

import doctest

import pytest

import pyrbm
from pyrbm.analysis import alignment, reciprocal, spectrum

DOCUMENTED = {
    "RBM": pyrbm.RBM,
    "train": pyrbm.train,
    "log_partition": pyrbm.log_partition,
    "BernoulliRBM": pyrbm.BernoulliRBM,
    "share_blas_threads": pyrbm.share_blas_threads,
    "reciprocal.decompose": reciprocal.decompose,
    "alignment.independence_bound": alignment.independence_bound,
    "alignment.Correlations": alignment.Correlations,
    "alignment.correlation_gain": alignment.correlation_gain,
    "spectrum.mp_edges": spectrum.mp_edges,
}


@pytest.mark.parametrize("name", DOCUMENTED)
def test_examples_run(name: str) -> None:
    tests = doctest.DocTestFinder(recurse=False).find(DOCUMENTED[name], name)
    assert tests and tests[0].examples, f"{name} has no Examples"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in tests:
        runner.run(test)
    assert runner.failures == 0, f"{runner.failures} failing example(s) in {name}"


def test_a_wrong_example_fails() -> None:
    def broken() -> None:
        """
        >>> 1 + 1
        3
        """

    test = doctest.DocTestFinder().find(broken, "broken")[0]
    runner = doctest.DocTestRunner()
    runner.run(test, out=lambda _: None)
    assert runner.failures == 1

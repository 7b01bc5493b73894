"""plots.sampling: the partition-function, dynamics, probing, likelihood and sample figures
write readable PNGs of what they are given (checked on the drawn axes); bad input names
the argument."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pyrbm.plots import sampling

from .plots_cases import (
    SIZES,
    call,
    contract_tests,
    drawn,  # noqa: F401 - a fixture
    written,  # noqa: F401 - a fixture
)

test_contract, test_writes_png, test_bad_input_names_argument = contract_tests(sampling)


def test_log_z_marks_undefined_meanfield_only_when_nan(tmp_path: Path, drawn: list) -> None:
    call("plot_log_z_comparison", tmp_path)
    call("plot_log_z_comparison", tmp_path, meanfield=[0.1, 0.4, 2.1])
    with_nan, finite = (fig[0]["legend"] for fig in drawn)
    assert any("undefined" in t for t in with_nan)
    assert not any("undefined" in t for t in finite)


def test_langevin_drops_non_finite_points(tmp_path: Path, drawn: list) -> None:
    call("plot_langevin_variance", tmp_path)
    (ax,) = drawn[0]
    assert ax["legend"] == ["λ=2.1 (βλ<4)", "λ=9 (βλ>4)"]
    diverged = ax["lines"][1][1]
    assert np.isnan(diverged[-1]) and np.all(np.isfinite(diverged[:-1]))


def test_log_likelihood_draws_the_null_level(tmp_path: Path, drawn: list) -> None:
    """Figure 11 draws a null control's level per M when given one (dotted, "null")."""
    call("plot_log_likelihood", tmp_path, null={m: -200.0 for m in SIZES})
    assert sum("null" in t for t in drawn[-1][0]["legend"]) == len(SIZES)

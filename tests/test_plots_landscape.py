"""plots.landscape: the spectra, saddle-energy, symmetry and kurtosis figures write readable
PNGs of what they are given (checked on the drawn axes); bad input names the argument."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pyrbm import plots
from pyrbm.analysis.spectrum import mp_density, mp_edges
from pyrbm.plots import landscape

from .plots_cases import (
    PNG_SIGNATURE,
    SIZES,
    T,
    call,
    contract_tests,
    drawn,  # noqa: F401 - a fixture
    valid_args,
    written,  # noqa: F401 - a fixture
)

test_contract, test_writes_png, test_bad_input_names_argument = contract_tests(landscape)


def test_str_path_and_panels_scale_with_sizes(tmp_path: Path, drawn: list) -> None:
    args = valid_args()["plot_singular_value_trajectories"]
    one = {k: ({11: v[11]} if isinstance(v, dict) else v) for k, v in args.items()}
    out = plots.plot_singular_value_trajectories(path=str(tmp_path / "a.PNG"), **one)
    plots.plot_singular_value_trajectories(path=tmp_path / "b.png", **args)
    assert out == tmp_path / "a.PNG"
    (a,), (b, *_) = drawn
    assert b["figwidth"] == pytest.approx(3 * a["figwidth"])


def test_mp_histogram_curve_edges_and_pvalue(tmp_path: Path, drawn: list) -> None:
    call("plot_mp_histogram", tmp_path)
    (ax,) = drawn[0]
    assert any("KS p = 0.370" in t for t in ax["legend"])
    x, y = ax["lines"][0]
    np.testing.assert_allclose(y, mp_density(x, 29, 17, 0.05))
    edges = sorted(line[0][0] for line in ax["lines"][1:])
    np.testing.assert_allclose(edges, mp_edges(29, 17, 0.05))
    call("plot_mp_histogram", tmp_path, ks_pvalue=3.1e-9)
    assert any("KS p = 3.10e-09" in t for t in drawn[1][0]["legend"])


def test_trained_spectra_sorted_with_reference_lines(tmp_path: Path, drawn: list) -> None:
    call("plot_trained_spectra", tmp_path, beta=0.5)
    (ax,) = drawn[0]
    curves = [y for x, y in ax["lines"] if x.size > 2]
    assert [c.size for c in curves] == list(SIZES)
    assert all(np.all(np.diff(c) <= 0) for c in curves)
    assert any("4/\\beta" in t and "= 8" in t for t in ax["legend"])
    assert [t for t in ax["legend"] if t.startswith("M = ")] == [f"M = {m}" for m in SIZES]


def test_mode_lines_follow_columns(tmp_path: Path, drawn: list) -> None:
    args = valid_args()["plot_saddle_energies"]
    args["energies"][SIZES[0]][:3, -1] = np.nan  # as track_modes gives for lam = 0
    plots.plot_saddle_energies(path=tmp_path / "e.png", **args)
    panels = drawn[0]
    for ax, m in zip(panels, SIZES):
        ys = [y for x, y in ax["lines"] if x.size == T]
        np.testing.assert_array_equal(np.stack(ys, axis=1), args["energies"][m])
        assert ax["title"] == f"M = {m}"
    totals = [y for _, y in panels[-1]["lines"]]
    np.testing.assert_array_equal(totals, [args["totals"][m] for m in SIZES])


def test_js_accepts_per_size_untrained_level(tmp_path: Path, drawn: list) -> None:
    call("plot_js_vs_inverse_hidden", tmp_path, untrained_mean=[0.01, 0.02, 0.03],
          untrained_std=[0.0, 0.001, 0.002])
    (ax,) = drawn[0]
    dashed = ax["lines"][-1]  # untrained level, drawn after the error bars, ordered by 1/M
    np.testing.assert_allclose(dashed[0], np.sort(1.0 / np.array(SIZES)))
    np.testing.assert_allclose(dashed[1], [0.03, 0.02, 0.01])


def test_single_point_inputs_render_without_warnings(tmp_path: Path) -> None:
    # warnings are errors in this suite: a degenerate log axis would fail here
    a = plots.plot_js_vs_inverse_hidden([0.01], [0.1], [0.2], 0.01, 0.0, tmp_path / "a.png")
    b = plots.plot_singular_value_trajectories([3], {5: np.ones((1, 1))}, {5: 1.0}, 1.0,
                                               tmp_path / "b.png")
    c = plots.plot_kurtosis([0.01], [2.9], tmp_path / "c.png")
    assert all(p.read_bytes()[:8] == PNG_SIGNATURE for p in (a, b, c))


def test_null_levels_are_drawn_and_checked(tmp_path: Path, drawn: list) -> None:
    """The claim figures draw a null control's level when given one (dashed, "null")."""
    g = np.random.default_rng(5)
    call("plot_trained_spectra", tmp_path, null={m: g.gamma(1.0, 0.5, m) for m in SIZES})
    assert "null (per M)" in drawn[-1][0]["legend"]
    null1 = {m: np.linspace(1.0, 2.0, T) for m in SIZES}
    call("plot_singular_value_trajectories", tmp_path, null=null1, xlabel="update")
    for ax in drawn[-1]:
        assert any("null" in t for t in ax["legend"])
        assert any(np.array_equal(y, null1[SIZES[0]]) for _, y in ax["lines"])
    call("plot_js_vs_inverse_hidden", tmp_path, null_mean=[0.02, 0.03, 0.04])
    assert "null" in drawn[-1][0]["legend"]
    with pytest.raises(ValueError, match="null"):
        call("plot_trained_spectra", tmp_path, null={SIZES[0]: np.ones(3)})

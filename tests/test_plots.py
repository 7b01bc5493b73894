"""Figures of ``pyrbm reproduce``: each writes a readable PNG; bad input names the argument.

A spy on ``_plotting.save`` records each figure's axes (scales, labels, legend texts,
lines) before it is written, so the tests check what is drawn and not only that a file
appears.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib.image
import numpy as np
import pytest

import pyrbm
from pyrbm import plots
from pyrbm.plots import _style as _plotting
from pyrbm.analysis.spectrum import mp_density, mp_edges

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SIZES = (11, 23, 47)  # hidden sizes (distinct primes)
T, K = 13, 5  # epochs, tracked modes
IMG = (7, 5)  # image shape (H, W)


def _valid_args() -> dict[str, dict[str, Any]]:
    """Small synthetic inputs for every figure (fixed seed)."""
    g = np.random.default_rng(7)
    ep = np.arange(T, dtype=float)
    svd = np.concatenate(
        [np.linalg.svd(g.normal(0, 0.05, (29, 17)), compute_uv=False) for _ in range(20)]
    )
    return {
        "plot_mp_histogram": dict(singular_values=svd.reshape(20, 17), n_visible=29,
                                  n_hidden=17, std=0.05, ks_pvalue=0.37),
        "plot_trained_spectra": dict(spectra={m: g.gamma(2.0, 1.0, m) for m in SIZES},
                                     mp_edge={m: 1.5 for m in SIZES}, beta=1.0),
        "plot_singular_value_trajectories": dict(
            epochs=ep, values={m: np.exp(g.normal(0, 1, (T, K))) for m in SIZES},
            mp_edge={m: 1.5 for m in SIZES}, beta=2.0),
        "plot_saddle_energies": dict(epochs=ep, energies={m: g.normal(size=(T, K)) for m in SIZES},
                                     totals={m: g.normal(size=T) for m in SIZES}),
        "plot_js_vs_inverse_hidden": dict(inv_m=1.0 / np.array(SIZES), js_mean=[0.3, 0.1, 0.05],
                                          js_std=[0.02, 0.2, 0.01], untrained_mean=0.01,
                                          untrained_std=0.002),
        "plot_kurtosis": dict(inv_n=1.0 / np.array([101, 211, 401]),
                              mean_kurtosis=3 - 6 / np.array([103, 213, 403])),
        "plot_log_z_comparison": dict(labels=["N=5, M=3", "N=7, M=5", "N=9, M=4, λ=6"],
                                      exact=[0.1, 0.4, 2.0], meanfield=[0.11, 0.38, np.nan],
                                      ais=[0.1, 0.41, 1.9], ais_se=[0.01, 0.02, 0.1],
                                      rais=[0.1, 0.39, 2.05], rais_se=[0.01, 0.03, 0.08]),
        "plot_langevin_variance": dict(
            times=np.linspace(0, 5, 50),
            variances={"λ=2.1 (βλ<4)": 1 - np.exp(-np.linspace(0, 5, 50)),
                       "λ=9 (βλ>4)": np.r_[np.exp(np.linspace(0, 5, 49)), np.inf]}),
        "plot_mode_trajectory": dict(epochs=[0, 4, 12],
                                     data_uw=[g.normal(size=(31, 2)) for _ in range(3)],
                                     model_uw=[g.normal(1, 1, size=(19, 2)) for _ in range(3)]),
        "plot_probing": dict(grids={"original": g.random((6, 35)),
                                    "modes ≥ 6 scrambled": g.random((6, 7, 5)),
                                    "modes 1–2 rotated": g.random((4, 35))},
                             image_shape=IMG),
        "plot_log_likelihood": dict(epochs={m: np.array([0, 5, 10]) for m in SIZES},
                                    ais={m: np.array([-30.0, -25, -22]) for m in SIZES},
                                    rais={m: np.array([-31.0, -26, -22.5]) for m in SIZES}),
        "plot_samples": dict(samples={m: (g.random((9, 35)) < 0.3).astype(float) for m in SIZES},
                             image_shape=IMG),
    }


def _summary(ax: Any) -> dict[str, Any]:
    legend = ax.get_legend()
    return {
        "yscale": ax.get_yscale(),
        "xlabel": ax.get_xlabel(),
        "ylabel": ax.get_ylabel(),
        "title": ax.get_title(),
        "legend": [t.get_text() for t in legend.get_texts()] if legend else [],
        "lines": [(np.asarray(ln.get_xdata(), float), np.asarray(ln.get_ydata(), float))
                  for ln in ax.get_lines()],
        "images": len(ax.get_images()),
    }


def _spy(monkeypatch: pytest.MonkeyPatch, write: bool) -> list[list[dict[str, Any]]]:
    seen: list[list[dict[str, Any]]] = []
    save = _plotting.save

    def spy(fig: Any, path: Path) -> Path:
        width, height = fig.get_size_inches()
        seen.append([_summary(ax) | {"figwidth": width} for ax in fig.axes])
        return save(fig, path) if write else path

    monkeypatch.setattr(_plotting, "save", spy)
    return seen


@pytest.fixture
def written(monkeypatch: pytest.MonkeyPatch) -> list[list[dict[str, Any]]]:
    """Axes summaries of every figure saved during the test (files are written)."""
    return _spy(monkeypatch, write=True)


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[list[dict[str, Any]]]:
    """Axes summaries of every figure built during the test; rendering is skipped."""
    return _spy(monkeypatch, write=False)


def _call(name: str, tmp_path: Path, **override: Any) -> Path:
    args = _valid_args()[name] | override
    return getattr(plots, name)(path=tmp_path / "fig" / f"{name}.png", **args)


# Expected panels and log-y panels per figure.
LAYOUT = {
    "plot_mp_histogram": (1, 0), "plot_trained_spectra": (1, 1),
    "plot_singular_value_trajectories": (3, 3), "plot_saddle_energies": (4, 0),
    "plot_js_vs_inverse_hidden": (1, 1), "plot_kurtosis": (1, 0),
    "plot_log_z_comparison": (1, 0), "plot_langevin_variance": (1, 1),
    "plot_mode_trajectory": (3, 0), "plot_probing": (3, 0), "plot_log_likelihood": (1, 0),
    "plot_samples": (3, 0),
}


def test_contract_lists_every_figure() -> None:
    assert sorted(plots.__all__) == sorted(LAYOUT) == sorted(_valid_args())


@pytest.mark.parametrize("name", sorted(LAYOUT))
def test_writes_png(name: str, tmp_path: Path, written: list) -> None:
    out = _call(name, tmp_path)
    assert out == tmp_path / "fig" / f"{name}.png"
    assert out.read_bytes()[:8] == PNG_SIGNATURE
    img = matplotlib.image.imread(out)
    assert img.ndim == 3 and img.shape[0] >= 300 and img.shape[1] >= 400
    assert img[..., :3].std() > 0.05  # something is drawn
    (axes,) = written
    n_panels, n_log = LAYOUT[name]
    assert len(axes) == n_panels
    assert sum(ax["yscale"] == "log" for ax in axes) == n_log
    for ax in axes:
        if ax["images"] == 0:  # plots (not image grids) have labelled axes
            assert ax["xlabel"] and (ax["ylabel"] or ax is not axes[0])


def test_str_path_and_panels_scale_with_sizes(tmp_path: Path, drawn: list) -> None:
    args = _valid_args()["plot_singular_value_trajectories"]
    one = {k: ({11: v[11]} if isinstance(v, dict) else v) for k, v in args.items()}
    out = plots.plot_singular_value_trajectories(path=str(tmp_path / "a.PNG"), **one)
    plots.plot_singular_value_trajectories(path=tmp_path / "b.png", **args)
    assert out == tmp_path / "a.PNG"
    (a,), (b, *_) = drawn
    assert b["figwidth"] == pytest.approx(3 * a["figwidth"])


def test_mp_histogram_curve_edges_and_pvalue(tmp_path: Path, drawn: list) -> None:
    _call("plot_mp_histogram", tmp_path)
    (ax,) = drawn[0]
    assert any("KS p = 0.370" in t for t in ax["legend"])
    x, y = ax["lines"][0]
    np.testing.assert_allclose(y, mp_density(x, 29, 17, 0.05))
    edges = sorted(line[0][0] for line in ax["lines"][1:])
    np.testing.assert_allclose(edges, mp_edges(29, 17, 0.05))
    _call("plot_mp_histogram", tmp_path, ks_pvalue=3.1e-9)
    assert any("KS p = 3.10e-09" in t for t in drawn[1][0]["legend"])


def test_trained_spectra_sorted_with_reference_lines(tmp_path: Path, drawn: list) -> None:
    _call("plot_trained_spectra", tmp_path, beta=0.5)
    (ax,) = drawn[0]
    curves = [y for x, y in ax["lines"] if x.size > 2]
    assert [c.size for c in curves] == list(SIZES)
    assert all(np.all(np.diff(c) <= 0) for c in curves)
    assert any("4/\\beta" in t and "= 8" in t for t in ax["legend"])
    assert [t for t in ax["legend"] if t.startswith("M = ")] == [f"M = {m}" for m in SIZES]


def test_mode_lines_follow_columns(tmp_path: Path, drawn: list) -> None:
    args = _valid_args()["plot_saddle_energies"]
    args["energies"][SIZES[0]][:3, -1] = np.nan  # as track_modes gives for lam = 0
    plots.plot_saddle_energies(path=tmp_path / "e.png", **args)
    panels = drawn[0]
    for ax, m in zip(panels, SIZES):
        ys = [y for x, y in ax["lines"] if x.size == T]
        np.testing.assert_array_equal(np.stack(ys, axis=1), args["energies"][m])
        assert ax["title"] == f"M = {m}"
    totals = [y for _, y in panels[-1]["lines"]]
    np.testing.assert_array_equal(totals, [args["totals"][m] for m in SIZES])


def test_log_z_marks_undefined_meanfield_only_when_nan(tmp_path: Path, drawn: list) -> None:
    _call("plot_log_z_comparison", tmp_path)
    _call("plot_log_z_comparison", tmp_path, meanfield=[0.1, 0.4, 2.1])
    with_nan, finite = (fig[0]["legend"] for fig in drawn)
    assert any("undefined" in t for t in with_nan)
    assert not any("undefined" in t for t in finite)


def test_langevin_drops_non_finite_points(tmp_path: Path, drawn: list) -> None:
    _call("plot_langevin_variance", tmp_path)
    (ax,) = drawn[0]
    assert ax["legend"] == ["λ=2.1 (βλ<4)", "λ=9 (βλ>4)"]
    diverged = ax["lines"][1][1]
    assert np.isnan(diverged[-1]) and np.all(np.isfinite(diverged[:-1]))


def test_js_accepts_per_size_untrained_level(tmp_path: Path, drawn: list) -> None:
    _call("plot_js_vs_inverse_hidden", tmp_path, untrained_mean=[0.01, 0.02, 0.03],
          untrained_std=[0.0, 0.001, 0.002])
    (ax,) = drawn[0]
    dashed = ax["lines"][-1]  # untrained level, drawn after the error bars, ordered by 1/M
    np.testing.assert_allclose(dashed[0], np.sort(1.0 / np.array(SIZES)))
    np.testing.assert_allclose(dashed[1], [0.03, 0.02, 0.01])


def test_mosaic_places_tiles_row_major() -> None:
    tiles = np.arange(5 * 2 * 3, dtype=float).reshape(5, 2, 3)
    grid = _plotting.mosaic(tiles, ncols=2)
    assert grid.shape == (3 * 3 - 1, 2 * 4 - 1)
    np.testing.assert_array_equal(grid[0:2, 0:3], tiles[0])
    np.testing.assert_array_equal(grid[0:2, 4:7], tiles[1])
    np.testing.assert_array_equal(grid[6:8, 0:3], tiles[4])
    assert np.isnan(grid[2]).all() and np.isnan(grid[:, 3]).all() and np.isnan(grid[6:, 4:]).all()


BAD: list[tuple[str, dict[str, Any], type, str]] = [
    ("plot_mp_histogram", {"singular_values": [-0.1, 0.2]}, ValueError, "singular_values"),
    ("plot_mp_histogram", {"ks_pvalue": 1.5}, ValueError, "ks_pvalue"),
    ("plot_mp_histogram", {"std": 0.0}, ValueError, "std"),
    ("plot_mp_histogram", {"n_hidden": 0}, ValueError, "n_hidden"),
    ("plot_trained_spectra", {"mp_edge": {11: 1.0, 23: 1.0}}, ValueError, "mp_edge"),
    ("plot_trained_spectra", {"beta": -1.0}, ValueError, "beta"),
    ("plot_trained_spectra", {"spectra": {}}, ValueError, "spectra"),
    ("plot_trained_spectra", {"spectra": [1.0, 2.0]}, TypeError, "spectra"),
    ("plot_singular_value_trajectories", {"values": {m: np.ones((T + 1, K)) for m in SIZES}},
     ValueError, "values[11]"),
    ("plot_singular_value_trajectories", {"values": {m: np.zeros((T, K)) for m in SIZES}},
     ValueError, "values[11]"),
    ("plot_singular_value_trajectories", {"epochs": np.ones((T, 1))}, ValueError, "epochs"),
    ("plot_saddle_energies", {"totals": {m: np.ones(T - 1) for m in SIZES}}, ValueError,
     "totals[11]"),
    ("plot_saddle_energies", {"energies": {m: np.full((T, K), np.nan) for m in SIZES}},
     ValueError, "energies[11]"),
    ("plot_saddle_energies", {"energies": {m: np.full((T, K), np.inf) for m in SIZES}},
     ValueError, "energies[11]"),
    ("plot_js_vs_inverse_hidden", {"js_std": [0.1, 0.1]}, ValueError, "js_std"),
    ("plot_js_vs_inverse_hidden", {"js_mean": [0.1, 0.0, 0.1]}, ValueError, "js_mean"),
    ("plot_js_vs_inverse_hidden", {"untrained_mean": [0.1, 0.2]}, ValueError, "untrained_mean"),
    ("plot_js_vs_inverse_hidden", {"untrained_std": -1.0}, ValueError, "untrained_std"),
    ("plot_kurtosis", {"mean_kurtosis": [3.0, np.nan, 2.9]}, ValueError, "mean_kurtosis"),
    ("plot_kurtosis", {"inv_n": [[0.1, 0.2, 0.3]]}, ValueError, "inv_n"),
    ("plot_log_z_comparison", {"exact": [0.1, np.nan, 2.0]}, ValueError, "exact"),
    ("plot_log_z_comparison", {"ais_se": [0.1, -0.1, 0.1]}, ValueError, "ais_se"),
    ("plot_log_z_comparison", {"rais": [0.1, 0.2]}, ValueError, "rais"),
    ("plot_log_z_comparison", {"labels": ["a", 2, "c"]}, TypeError, "labels"),
    ("plot_langevin_variance", {"variances": {"a": -np.ones(50)}}, ValueError, "variances['a']"),
    ("plot_langevin_variance", {"variances": {"a": np.full(50, np.inf)}}, ValueError,
     "variances['a']"),
    ("plot_langevin_variance", {"variances": {3: np.ones(50)}}, ValueError, "variances"),
    ("plot_mode_trajectory", {"data_uw": [np.ones((4, 2))]}, ValueError, "data_uw"),
    ("plot_mode_trajectory", {"model_uw": [np.ones((4, 3))] * 3}, ValueError, "model_uw[0]"),
    ("plot_probing", {"grids": {"a": np.full((2, 35), 1.5)}}, ValueError, "grids['a']"),
    ("plot_probing", {"grids": {"a": np.ones((2, 36))}}, ValueError, "grids['a']"),
    ("plot_probing", {"image_shape": (28,)}, ValueError, "image_shape"),
    ("plot_log_likelihood", {"rais": {11: np.ones(3)}}, ValueError, "rais"),
    ("plot_log_likelihood", {"ais": {m: np.ones(4) for m in SIZES}}, ValueError, "ais[11]"),
    ("plot_samples", {"samples": {"M=11": np.ones((2, 35))}}, ValueError, "samples"),
    ("plot_samples", {"image_shape": (7, 0)}, ValueError, "image_shape"),
    ("plot_kurtosis", {"path": "figure.jpg"}, ValueError, "path"),
    ("plot_kurtosis", {"path": 3}, TypeError, "path"),
]


@pytest.mark.parametrize(("name", "override", "exc", "arg"), BAD,
                         ids=[f"{b[0][5:]}-{b[3]}" for b in BAD])
def test_bad_input_names_argument(name: str, override: dict, exc: type, arg: str,
                                  tmp_path: Path) -> None:
    args = _valid_args()[name] | override
    path = args.pop("path", tmp_path / "bad.png")
    fn: Callable[..., Path] = getattr(plots, name)
    with pytest.raises(exc, match="^" + re.escape(arg) + ":"):
        fn(path=path, **args)
    assert not (tmp_path / "bad.png").exists()


def test_single_point_inputs_render_without_warnings(tmp_path: Path) -> None:
    # warnings are errors in this suite: a degenerate log axis would fail here
    a = plots.plot_js_vs_inverse_hidden([0.01], [0.1], [0.2], 0.01, 0.0, tmp_path / "a.png")
    b = plots.plot_singular_value_trajectories([3], {5: np.ones((1, 1))}, {5: 1.0}, 1.0,
                                               tmp_path / "b.png")
    c = plots.plot_kurtosis([0.01], [2.9], tmp_path / "c.png")
    assert all(p.read_bytes()[:8] == PNG_SIGNATURE for p in (a, b, c))


def test_plots_loaded_lazily_from_package() -> None:
    assert pyrbm.plots is plots and "plots" in pyrbm.__all__
    code = ("import sys, pyrbm; assert 'matplotlib' not in sys.modules; "
            "pyrbm.plots.plot_samples; assert 'matplotlib' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(plots.__file__).parents[1])


def test_null_levels_are_drawn_and_checked(tmp_path: Path, drawn: list) -> None:
    """The claim figures draw a null control's level when given one (dashed, "null")."""
    g = np.random.default_rng(5)
    _call("plot_trained_spectra", tmp_path, null={m: g.gamma(1.0, 0.5, m) for m in SIZES})
    assert "null (per M)" in drawn[-1][0]["legend"]
    null1 = {m: np.linspace(1.0, 2.0, T) for m in SIZES}
    _call("plot_singular_value_trajectories", tmp_path, null=null1, xlabel="update")
    for ax in drawn[-1]:
        assert any("null" in t for t in ax["legend"])
        assert any(np.array_equal(y, null1[SIZES[0]]) for _, y in ax["lines"])
    _call("plot_js_vs_inverse_hidden", tmp_path, null_mean=[0.02, 0.03, 0.04])
    assert "null" in drawn[-1][0]["legend"]
    _call("plot_log_likelihood", tmp_path, null={m: -200.0 for m in SIZES})
    assert sum("null" in t for t in drawn[-1][0]["legend"]) == len(SIZES)
    with pytest.raises(ValueError, match="null"):
        _call("plot_trained_spectra", tmp_path, null={SIZES[0]: np.ones(3)})

"""Shared cases of the plots tests (tests/test_plots_<module>.py): small synthetic inputs
for every figure, the expected panels, bad inputs, and a spy on ``_style.save`` that
records each figure's axes (scales, labels, legend texts, lines) before it is written,
so the tests check what is drawn and not only that a file appears."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import matplotlib.image
import numpy as np
import pytest

from pyrbm import plots
from pyrbm.plots import _style as _plotting

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SIZES = (11, 23, 47)  # hidden sizes (distinct primes)
T, K = 13, 5  # epochs, tracked modes
IMG = (7, 5)  # image shape (H, W)


def valid_args() -> dict[str, dict[str, Any]]:
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


def call(name: str, tmp_path: Path, **override: Any) -> Path:
    args = valid_args()[name] | override
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


def check_contract(module: ModuleType) -> None:
    """Every figure of ``module`` is re-exported by the package and has cases here, and
    the cases name only the package's figures."""
    assert set(module.__all__) <= set(plots.__all__)
    assert sorted(plots.__all__) == sorted(LAYOUT) == sorted(valid_args())


def check_writes_png(name: str, tmp_path: Path, written: list) -> None:
    """The figure ``name`` writes a readable PNG with its panels and axis labels."""
    out = call(name, tmp_path)
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


def check_bad_input(name: str, override: dict, exc: type, arg: str, tmp_path: Path) -> None:
    """Bad input raises ``exc`` with a message starting with the argument's name, and no
    file is written."""
    args = valid_args()[name] | override
    path = args.pop("path", tmp_path / "bad.png")
    fn: Callable[..., Path] = getattr(plots, name)
    with pytest.raises(exc, match="^" + re.escape(arg) + ":"):
        fn(path=path, **args)
    assert not (tmp_path / "bad.png").exists()


def contract_tests(module: ModuleType) -> tuple[Callable[..., None], ...]:
    """The tests every figure module gets: its figures are in the package's contract,
    each writes its PNG, each bad input names its argument. A test file binds them to
    ``test_*`` names."""
    names = sorted(module.__all__)
    bad = [b for b in BAD if b[0] in module.__all__]

    def test_contract() -> None:
        check_contract(module)

    @pytest.mark.parametrize("name", names)
    def test_writes_png(name: str, tmp_path: Path, written: list) -> None:
        check_writes_png(name, tmp_path, written)

    @pytest.mark.parametrize(("name", "override", "exc", "arg"), bad,
                             ids=[f"{b[0][5:]}-{b[3]}" for b in bad])
    def test_bad_input_names_argument(name: str, override: dict, exc: type, arg: str,
                                      tmp_path: Path) -> None:
        check_bad_input(name, override, exc, arg, tmp_path)

    return test_contract, test_writes_png, test_bad_input_names_argument

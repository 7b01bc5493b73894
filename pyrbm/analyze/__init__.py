"""``pyrbm analyze``: the reciprocal-space analysis of any binary RBM.

:func:`analyze` reads one or more models with :func:`pyrbm.io.read_model` (pyrbm
archives, .npz, rbms / fastrbm archives, RestrictedBoltzmannMachines.jl files,
scikit-learn estimators or pickles), computes the quantities of
:func:`~pyrbm.analyze.quantities.analyze_model` (and, for every checkpoint of an
archive, those of :func:`~pyrbm.analyze.quantities.analyze_trajectory`) and writes
``report.md``, ``report.html``, ``results.json`` and the figures. See docs/analyze.md.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._validation import is_binary
from ..io import datasets
from ..io.formats import detect_format, list_model_checkpoints, read_model, read_models
from ..model import RBM
from ..reproduce.report import jsonable, render_documents
from .quantities import Settings, analyze_model, analyze_trajectory
from .report import figures_for_model, figures_for_trajectory, model_rows, trajectory_rows

__all__ = ["Settings", "analyze", "analyze_model", "analyze_trajectory", "load_data"]

#: Arrays kept out of results.json (they are in the figures).
_BULKY = {"samples", "grids", "data_uw", "model_uw", "variance", "all_energies"}


def load_data(spec: str, n_visible: int) -> tuple[np.ndarray | None, np.ndarray]:
    """Binary data for the analysis: a dataset name or a ``.npz`` file.

    Parameters
    ----------
    spec : str
        ``"mnist"``, ``"fashion-mnist"``, ``"digits"`` (binarized at 0.5, test split;
        the training split sets the AIS base), or a ``.npz`` file with an array
        ``test`` (and optionally ``train``), or a single array, of 0/1 values.
    n_visible : int
        Columns the models expect.

    Returns
    -------
    train : numpy.ndarray or None, shape (n, n_visible)
    test : numpy.ndarray, shape (n, n_visible), uint8
    """
    train: np.ndarray | None
    test: np.ndarray
    if spec in datasets.DATASETS:
        train = datasets.load(spec, "train", 0.5)[0]
        test = datasets.load(spec, "test", 0.5)[0]
        source = spec
    else:
        if not os.path.isfile(spec):
            names = ", ".join(datasets.DATASETS)
            raise ValueError(f"--data: {spec} is neither a dataset ({names}) nor a file")
        try:
            with open(spec, "rb") as fh, np.load(fh, allow_pickle=False) as npz:
                files = list(npz.files)
                if "test" in files:
                    test, train = npz["test"], (npz["train"] if "train" in files else None)
                elif len(files) == 1:
                    test, train = npz[files[0]], None
                else:
                    raise ValueError(f"{spec}: expected an array 'test' (and optionally 'train') "
                                     f"or a single array, found {files}")
        except (OSError, EOFError, ValueError) as exc:
            if str(exc).startswith(spec):
                raise
            raise ValueError(f"{spec}: not a readable .npz file ({exc})") from None
        source = spec

    def checked(name: str, data: np.ndarray) -> np.ndarray:
        x = np.asarray(data)
        if x.ndim != 2 or x.shape[1] != n_visible or x.shape[0] == 0:
            raise ValueError(f"{source}: {name} data of shape {x.shape}, the model has "
                             f"{n_visible} visible units")
        if x.dtype.kind not in "biuf" or not is_binary(x):
            raise ValueError(f"{source}: {name} data must be binary (0 or 1)")
        return np.ascontiguousarray(x, dtype=np.uint8)

    checked_train = None if train is None else checked("train", train)
    return checked_train, checked("test", test)


def _label(source: Any, index: int) -> str:
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name
    return f"{type(source).__name__} #{index + 1}"


def _time(entry: Any) -> float:
    for value in (entry.epoch, entry.update):
        if value is not None:
            return float(value)
    return float(entry.index)


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in _BULKY}
    return value


# models: paths, RBMs or fitted estimators (duck-typed: read_model checks them), hence Any
def analyze(models: Sequence[Any], out: str | os.PathLike[str], *, checkpoint: int = -1,
            all_checkpoints: bool = False, data: str | None = None, seed: int = 0,
            settings: Settings | None = None, figures: bool = True,
            log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Analyze each model and write the report.

    Parameters
    ----------
    models : sequence of (str, os.PathLike, RBM or fitted estimator)
        Model files of any format :func:`pyrbm.io.read_model` knows, or objects.
    out : str or os.PathLike
        Output folder (created).
    checkpoint : int
        Which checkpoint of an archive (Python indexing; -1 = latest).
    all_checkpoints : bool
        Also analyze every checkpoint of each archive versus training time.
    data : str, optional
        See :func:`load_data`: mode-1 projections and the test log-likelihood.
    seed : int
        Seed of every random quantity (same seed, same numbers).
    settings : Settings, optional
    figures : bool
        Draw the figures (False: numbers and documents only).
    log : callable, optional
        Receives one line per model.

    Returns
    -------
    dict
        The content of ``results.json``.
    """
    s = settings or Settings()
    if not models:
        raise ValueError("models: give at least one model")
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    loaded = []
    for i, source in enumerate(models):
        is_file = isinstance(source, (str, os.PathLike))
        listing = list_model_checkpoints(source) if is_file else []
        rbm = source if isinstance(source, RBM) else read_model(source, checkpoint=checkpoint)
        chosen = listing[checkpoint] if listing else None
        loaded.append((source, rbm, listing, chosen))
    n_visible = {rbm.n_visible for _, rbm, _, _ in loaded}
    train = test = None
    if data is not None:
        if len(n_visible) != 1:
            raise ValueError(f"--data: the models have different visible sizes {sorted(n_visible)}")
        train, test = load_data(data, n_visible.pop())
    entries, tables, shown = [], [], {}
    for i, (source, rbm, listing, chosen) in enumerate(loaded):
        label = _label(source, i)
        prefix = f"m{i + 1}_" if len(loaded) > 1 else ""
        result = analyze_model(rbm, train=train, test=test, seed=seed, index=i, settings=s)
        entry: dict[str, Any] = {
            "label": label, "source": os.fspath(source) if isinstance(source, (str, os.PathLike))
            else type(source).__name__,
            "format": detect_format(source) if isinstance(source, (str, os.PathLike)) else "object",
            "checkpoint": None if chosen is None else dataclasses.asdict(chosen),
            "analysis": result}
        where = "" if chosen is None or len(listing) < 2 else f", checkpoint {chosen.index}"
        tables.append((f"{label}{where}", ["quantity", "value", "null / reference"],
                       model_rows(result, s.n_null)))
        if figures:
            shown.update(figures_for_model(out_dir, prefix, label, result,
                                           0.0 if chosen is None else _time(chosen)))
        if all_checkpoints and len(listing) > 1:
            runs = read_models(source, [c.index for c in listing])
            traj = analyze_trajectory(runs, np.array([_time(c) for c in listing]), train=train,
                                      test=test, seed=seed, index=i, settings=s)
            entry["trajectory"] = traj
            tables.append((f"{label} versus training time", ["quantity", "value", "-"],
                           trajectory_rows(traj)))
            if figures:
                shown.update(figures_for_trajectory(out_dir, prefix, label, traj, rbm.n_hidden,
                                                    s.beta))
        entries.append(entry)
        if log is not None:
            log(f"analyzed {label}")
    if len(entries) > 1:
        tables.insert(0, ("side by side", ["quantity", *[e["label"] for e in entries]],
                          _side_by_side([e["analysis"] for e in entries])))
    results: dict[str, Any] = jsonable({"seed": seed, "data": data,
                                        "settings": dataclasses.asdict(s),
                                        "models": [_strip(e) for e in entries]})
    (out_dir / "results.json").write_text(json.dumps(results, indent=1))
    names = ", ".join(e["label"] for e in entries)
    render_documents(out_dir, title=f"pyrbm analyze: {names}",
                     intro=(f"{len(entries)} model(s), seed {seed}"
                            + (f", data {data}" if data else "") + ". Every number is in "
                            "`results.json`; each check prints its null control beside it."),
                     tables=tables, figures=shown)
    return results


def _side_by_side(results: list[dict[str, Any]]) -> list[list[str]]:
    def row(name: str, get: Callable[[dict[str, Any]], Any]) -> list[str]:
        cells = []
        for r in results:
            value = get(r)
            cells.append(f"{value:.4g}" if isinstance(value, float) else str(value))
        return [name, *cells]

    return [row("N x M", lambda r: f"{r['n_visible']} x {r['n_hidden']}"),
            row("lambda_1", lambda r: float(r["spectrum"]["singular_values"][0])),
            row("outliers (null max)", lambda r: f"{r['spectrum']['n_outliers']} "
                f"({r['spectrum']['null_outliers_max']})"),
            row("modes above beta lambda = 4", lambda r: r["spectrum"]["n_above_4"]),
            row("JS / isotropic null", lambda r: float(r["symmetry"]["ratio"])),
            row("mean kurtosis x", lambda r: float(r["kurtosis"]["mean_x"])),
            row("ln Z AIS", lambda r: float(r["log_z"]["ais"])),
            row("ln Z RAIS", lambda r: float(r["log_z"]["rais"]))]

"""pyrbm.training.config: TrainConfig declares the options once; train()'s signature,
its docstring and the ``pyrbm train`` flags are derived from it or checked against it;
History, the per-checkpoint records."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable

import numpy as np
import pytest

import pyrbm
from pyrbm import cli
from pyrbm.training.config import History, TrainConfig, parameter_summaries

OPTIONS = [f for f in dataclasses.fields(TrainConfig) if f.name != "dataset"]
#: train()'s parameters that are not run settings
OTHERS = ["rbm", "data", "rng", "out", "callbacks", "progress", "world"]


def signature_mismatches(function: Callable[..., object]) -> list[str]:
    """Options missing from ``function``'s signature or declared differently there."""
    parameters = inspect.signature(function).parameters
    problems = []
    for option in OPTIONS:
        parameter = parameters.get(option.name)
        if parameter is None:
            problems.append(f"{option.name}: missing")
        elif (parameter.kind, parameter.default, parameter.annotation) != (
            inspect.Parameter.KEYWORD_ONLY, option.default, option.type
        ):
            problems.append(f"{option.name}: {parameter} differs from {option}")
    extra = set(parameters) - {o.name for o in OPTIONS} - set(OTHERS)
    return problems + [f"{name}: not a TrainConfig field" for name in sorted(extra)]


def undocumented(function: Callable[..., object]) -> list[str]:
    documented = parameter_summaries(function.__doc__ or "")
    return [name for name in inspect.signature(function).parameters if not documented.get(name)]


def test_train_signature_is_the_dataclass() -> None:
    assert signature_mismatches(pyrbm.train) == []


def test_train_docstring_documents_every_parameter() -> None:
    assert undocumented(pyrbm.train) == []


def test_the_checks_catch_a_drifted_signature_and_docstring() -> None:
    def drifted(rbm, data, *, method: str = "pcd", k: int = 2, lr_decay: float = 0.1,
                temperature: float = 1.0) -> None:
        """Parameters
        ----------
        rbm : RBM
            The model.
        method : str

        Returns
        -------
        None
        """

    problems = signature_mismatches(drifted)
    assert any(p.startswith("k: ") and "differs" in p for p in problems)
    assert "batch_size: missing" in problems and "temperature: not a TrainConfig field" in problems
    assert "lr_decay: missing" not in problems
    # "method" has no description, "data" and the rest no entry; "Returns" is no parameter
    assert undocumented(drifted) == ["data", "method", "k", "lr_decay", "temperature"]


def test_parameter_summaries_reads_numpydoc() -> None:
    doc = """Summary.

    Parameters
    ----------
    a, b : float
        Two numbers, e.g. 1.5. More text
        on two lines.
    c : int
        Wraps onto
        a second line. Second sentence.

    Returns
    -------
    out : float
        Not a parameter.
    """
    assert parameter_summaries(doc) == {
        "a": "Two numbers, e.g. 1.5", "b": "Two numbers, e.g. 1.5", "c": "Wraps onto a second line"
    }
    assert parameter_summaries("No sections.") == {}


def test_cli_has_one_flag_per_option_with_its_default(capsys: pytest.CaptureFixture) -> None:
    parser = cli._parser()
    defaults = parser.parse_args(["train"])
    for option in OPTIONS:
        assert getattr(defaults, option.name) == cli.DEFAULTS.get(option.name, option.default)
    given = parser.parse_args(["train", "--chains", "7", "--no-drop-last", "--monitor-size", "9",
                               "--l2", "0.5", "--checkpoint-every", "exponential", "--centered"])
    assert (given.n_chains, given.drop_last, given.monitor_size, given.l2) == (7, False, 9, 0.5)
    assert given.checkpoint_every == "exponential" and given.centered is True
    with pytest.raises(SystemExit):
        parser.parse_args(["train", "--help"])
    help_text = capsys.readouterr().out
    for option in OPTIONS:
        assert cli.flag(option.name) in help_text
    assert "Gibbs sweeps per update" in help_text  # the help comes from train()'s docstring
    # rendered as plain text: no reST literals or roles ("``k`` Gibbs sweeps" -> "k Gibbs")
    assert "``" not in help_text and ":func:" not in help_text and ":class:" not in help_text
    assert "l1 sign(W) + l2 W" in " ".join(help_text.split())


def test_resume_refuses_every_run_setting() -> None:
    assert {o.name for o in OPTIONS} - {"epochs"} <= set(cli.RUN_SETTINGS)
    with pytest.raises(SystemExit):
        cli.main(["train", "--resume", "run.h5", "--no-monitor"])


def test_history_interface() -> None:
    history = History([{"epoch": 1, "a": 2.0}, {"epoch": 2}])
    np.testing.assert_array_equal(history["a"], [2.0, np.nan])
    assert len(history) == 2 and history.keys() == ["epoch", "a"]
    with pytest.raises(KeyError, match="columns"):
        history["b"]

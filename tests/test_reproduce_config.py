"""The configurations of pyrbm reproduce (pyrbm.reproduce.config): the built-in ones,
TOML overrides of every option, bad files and names."""

from __future__ import annotations

from pathlib import Path

import pytest

import pyrbm
from pyrbm.cli import main
from pyrbm.reproduce import BUILTIN, ConfigError, load_config

from .reproduce_cases import _restore_threads  # noqa: F401 - a fixture


# -- configuration --------------------------------------------------------------------------
def test_builtin_configs_meet_the_issue() -> None:
    assert pyrbm.reproduce.load_config is load_config  # lazy attribute of the package
    for name in BUILTIN:
        assert load_config(name).name == name
    default = load_config("default")
    assert default.runs["hidden"] == [500, 784, 1200] and default.runs["replicas"] >= 2
    assert (default.runs["optimizer"], default.runs["lr"]) == ("adam", 1e-3)
    assert default.runs["log_checkpoints"] and not default.runs["shuffle_pixels"]
    assert load_config("full").runs["hidden"] == [500, 784, 1200, 3000]
    paper = load_config("paper")
    assert paper.runs["hidden"] == [500, 784, 1200, 3000] and paper.runs["replicas"] == 5
    assert (paper.runs["k"], paper.runs["batch_size"], paper.runs["epochs"]) == (500, 500, 100)
    assert (paper.runs["lr"], paper.runs["n_train"], paper.likelihood["every"]) == (1e-3, 0, 10)
    assert paper.runs["checkpoint_every"] == 0 and not paper.runs["log_checkpoints"]


def test_toml_overrides_every_option(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('base = "paper"\n[runs]\nepochs = 3\nlr = 1\n[analysis]\nlogz_lambdas = [1, 5]\n')
    config = load_config(path)
    assert config.runs["epochs"] == 3 and config.runs["lr"] == 1.0
    assert isinstance(config.runs["lr"], float) and config.analysis["logz_lambdas"] == [1.0, 5.0]
    assert config.runs["hidden"] == [500, 784, 1200, 3000]  # the rest from the base
    plain = tmp_path / "d.toml"
    plain.write_text("[likelihood]\nevery = 3\n")
    assert load_config(plain).runs == load_config("default").runs  # base defaults to default
    assert load_config(plain).likelihood["every"] == 3


@pytest.mark.parametrize("text, message", [
    ("[train]\nepochs = 3\n", "unknown section [train]"),
    ("[runs]\nepoch = 3\n", "[runs] unknown option 'epoch'"),
    ("[runs]\nepochs = 'ten'\n", "[runs] epochs: expected an integer, got 'ten'"),
    ("[runs]\nepochs = 2.5\n", "[runs] epochs: expected an integer"),
    ("[runs]\nhidden = []\n", "[runs] hidden: expected a non-empty list"),
    ("[runs]\nlr = -1\n", "[runs] lr: expected a non-negative value"),
    ("[runs]\nepochs = 0\n", "[runs] epochs: expected at least 1"),
    ("[runs]\ndataset = 'cifar'\n", "[runs] dataset: expected 'mnist' or 'digits'"),
    ("[analysis]\nlogz_sizes = [[20, 20]]\n", "logz_sizes: expected [N, M] pairs"),
    ("base = 'huge'\n", "base: expected one of"),
    ("runs = 3\n", "[runs] must be a table"),
    ("[runs\n", "invalid TOML"),
])
def test_bad_config_files_are_named(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert message in str(info.value) and str(path) in str(info.value)


def test_bad_config_names(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(ConfigError, match="expected one of .* or a .toml file"):
        load_config("fast")
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml")
    assert main(["reproduce", "--out", str(tmp_path / "o"), "--config", "fast"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("pyrbm reproduce: error: config:") and err.count("\n") == 1
    assert not (tmp_path / "o").exists()

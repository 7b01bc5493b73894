"""Shared cases of the reproduce tests: a tiny job on scikit-learn's 8x8 digits that
runs every step of the pipeline in a few seconds, and the fixture that restores the
thread count a job changes."""

from __future__ import annotations

from pathlib import Path

import pytest

import pyrbm

#: A tiny job on scikit-learn's 8x8 digits: every step of the pipeline in a few seconds.
TINY = """
base = "quick"
[runs]
dataset = "digits"
n_train = 600
hidden = [5, 9]
replicas = 2
k = 2
batch_size = 100
epochs = {epochs}
checkpoint_every = 3
n_uw = 30
sample_chains = 8
sample_sweeps = 5
[likelihood]
every = 1
n_chains = 8
n_betas = 20
n_gibbs = 5
n_test = 50
[analysis]
mp_n_visible = 31
mp_n_hidden = 17
mp_matrices = 20
kurtosis_sizes = [20, 40, 80]
kurtosis_hidden = 10
logz_sizes = [[4, 3], [6, 5]]
logz_lambdas = [0.5, 5.0]
logz_chains = 16
logz_betas = 50
langevin_trajectories = 50
langevin_steps = 50
probing_chains = 4
probing_sweeps = 5
"""


@pytest.fixture(autouse=True)
def _restore_threads():
    with pyrbm.num_threads(pyrbm.get_num_threads()):
        yield


def _no_nan(name: str) -> None:
    raise AssertionError(f"results.json holds {name}: not strict JSON")


def _tiny(tmp_path: Path, epochs: int = 2) -> Path:
    path = tmp_path / f"tiny{epochs}.toml"
    path.write_text(TINY.format(epochs=epochs))
    return path

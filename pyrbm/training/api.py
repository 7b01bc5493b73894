"""Training: CD-k, PCD-k and Rdm-k with SGD / momentum / Adam, checkpoints and resume.

The public entry points of :mod:`pyrbm.training` (also ``pyrbm.train``,
``pyrbm.resume`` and ``pyrbm.init_rbm``); the loop itself is :mod:`pyrbm.training.loop`,
the settings and records :mod:`pyrbm.training.config`.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable

import numpy as np
from numpy.typing import DTypeLike

from ..io import archive as checkpoint
from ..io import datasets
from .._rng import RngLike, as_generator
from .config import (
    METHODS,
    Callback,
    CheckpointInfo,
    History,
    TrainConfig,
    _as_data,
    _fingerprint,
)
from .loop import _run, _Trainer, check_same_start
from .._validation import positive_int
from ..distributed import World
from ..model import RBM

__all__ = ["METHODS", "CheckpointInfo", "History", "init_rbm", "resume", "train"]

#: The options of :func:`train`: every TrainConfig field but ``dataset`` (set from ``data``).
_OPTIONS = tuple(f.name for f in dataclasses.fields(TrainConfig) if f.name != "dataset")

#: Clip of the data mean before the logit of the paper's visible-bias initialization.
LOGIT_CLIP = 1e-3


def init_rbm(
    data: np.ndarray,
    n_hidden: int,
    *,
    scheme: str = "paper",
    std: float = 0.01,
    dtype: DTypeLike = np.float32,
    rng: RngLike = None,
) -> RBM:
    """A new RBM for ``data``.

    Parameters
    ----------
    data : numpy.ndarray, shape (n, n_visible)
        Training data in [0, 1] (only its column means are used by ``"paper"``).
    n_hidden : int
        Number of hidden units.
    scheme : {"paper", "normal"}
        ``"paper"``: ``W ~ N(0, std^2)``, visible bias = logit of the data mean clipped to
        [1e-3, 1 - 1e-3], hidden bias 0. ``"normal"``: every parameter ~ N(0, std^2).
    std : float
        Standard deviation (the paper: 0.01).
    dtype : float32 or float64
    rng : numpy.random.Generator, int or None

    Returns
    -------
    RBM
    """
    data = _as_data(data, "data")
    if scheme not in ("paper", "normal"):
        raise ValueError(f"scheme: expected 'paper' or 'normal', got {scheme!r}")
    gen = as_generator(rng)
    rbm = RBM.random(data.shape[1], n_hidden, std=std, dtype=dtype, rng=gen)
    if scheme == "paper":
        mean = np.clip(data.mean(axis=0, dtype=np.float64), LOGIT_CLIP, 1 - LOGIT_CLIP)
        from scipy.special import logit  # here: scipy.special costs import pyrbm 0.2 s

        rbm.visible_bias[:] = logit(mean)
    else:
        rbm.visible_bias[:] = gen.normal(0.0, std, rbm.n_visible)
        rbm.hidden_bias[:] = gen.normal(0.0, std, rbm.n_hidden)
    return rbm


def train(
    rbm: RBM,
    data: np.ndarray | str,
    *,
    method: str = "pcd",
    k: int = 1,
    batch_size: int = 500,
    epochs: int = 1,
    n_chains: int | None = None,
    optimizer: str = "adam",
    lr: float = 1e-3,
    momentum: float = 0.9,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    lr_schedule: str = "constant",
    lr_decay: float = 0.1,
    decay_epochs: int | None = None,
    l1: float = 0.0,
    l2: float = 0.0,
    centered: bool = False,
    binarize_batches: bool = False,
    exact_sums: bool = False,
    drop_last: bool = True,
    checkpoint_every: str | int = "epoch",
    monitor: bool = True,
    monitor_size: int = 1000,
    rng: RngLike = None,
    out: str | os.PathLike[str] | None = None,
    callbacks: Iterable[Callback] = (),
    progress: bool = False,
    world: World | None = None,
    sampler: str = "gibbs",
    temperatures: int = 8,
) -> History:
    """Train ``rbm`` in place by stochastic gradient ascent on the log-likelihood.

    Parameters
    ----------
    rbm : RBM
        The model (its parameters are updated in place). See :func:`init_rbm`.
    data : numpy.ndarray, shape (n_samples, n_visible), or str
        Training data in [0, 1] (binary, or intensities for PCD/Rdm), or a dataset name
        of :func:`pyrbm.io.datasets.load` (training split binarized at 0.5; its
        intensities with ``binarize_batches``).
    method : {"pcd", "cd", "rdm"}
        Negative phase: persistent chains, chains started at the batch, or at uniform
        random bits; ``k`` Gibbs sweeps per update in each case.
    k : int
        Gibbs sweeps per update.
    batch_size : int
        Samples per update; batches are reshuffled every epoch with ``rng``.
    epochs : int
        Number of passes over the data (in total, counting resumed sessions).
    n_chains : int, optional
        Number of persistent chains (PCD, Rdm); default ``batch_size``.
    optimizer : {"sgd", "momentum", "adam"}
        Step rule of the gradient ascent.
    lr : float
        Initial learning rate.
    momentum : float
        Momentum coefficient of ``optimizer="momentum"``.
    beta1, beta2, eps : float
        Adam's constants.
    lr_schedule : {"constant", "exponential", "linear"}
        Learning-rate schedule; the decaying ones reach ``lr * lr_decay`` after
        ``decay_epochs`` epochs (default ``epochs``) and stay there.
    lr_decay : float
        Final factor of the decaying schedules, in (0, 1].
    decay_epochs : int, optional
        Epochs over which the decaying schedules reach their final step (default ``epochs``).
    l1, l2 : float
        Penalties on the weights (subtracted from the gradient: ``l1 sign(W) + l2 W``).
    centered : bool
        Use the centered gradient (offsets: data mean, sliding mean of p(h|v)).
    binarize_batches : bool
        Treat ``data`` as probabilities and draw every mini-batch afresh as Bernoulli
        samples of them (dynamic binarization, e.g. MNIST intensities): each update sees
        a new binary version of its images. The draws come from ``rng``, so runs stay
        reproducible and resumable.
    exact_sums : bool
        Sum each update's statistics exactly (every term rounded once to a grid far finer
        than float32, then float64 sums that no order or grouping changes), so that a
        data-parallel run on any number of ranks gives the one-process model bit for bit
        in float32 as in float64; both runs must set it. Binary data only; costs about
        a float64 GEMM per update (see ``pyrbm.training.exact``).
    drop_last : bool
        Drop the last incomplete batch of each epoch (the paper).
    checkpoint_every : "epoch", "exponential" or int
        Save (and call ``callbacks``) at every epoch end, at updates 1, 2, 4, 8, ...,
        or every that many updates; the final update is always saved.
    monitor : bool
        Record the built-in metrics at each checkpoint: ``recon_error``, ``pll``
        (pseudo-log-likelihood per visible unit; binary data, or one fixed draw of the
        samples with ``binarize_batches``), ``sv_max`` and
        ``n_sv_above_mp`` (singular values above the Marchenko–Pastur edge of the
        initial weights).
    monitor_size : int
        Number of evenly spaced training samples the metrics use.
    rng : numpy.random.Generator, int or None
        Randomness of shuffling, chains and sampling; its state is saved in the archive.
    out : str or os.PathLike, optional
        Archive to create (must not exist; continue a run with :func:`resume`).
    callbacks : iterable of callables
        ``callback(rbm, info: CheckpointInfo) -> dict[str, float] | None`` at each
        checkpoint; returned values are recorded in the history and the archive.
    progress : bool
        Show a tqdm progress bar (updates/s, epoch, metrics).
    world : pyrbm.distributed.World, optional
        Train data-parallel over the ranks of this MPI world (docs/mpi.md): call
        ``train`` on every rank with the same arguments (``world=pyrbm.distributed.world()``,
        inside ``pyrbm.distributed.fail_fast``); every rank ends with the same parameters,
        equal to the single-process run up to float summation order. The root alone
        writes ``out``, shows progress, computes the metrics and calls ``callbacks``.
        Default: this process alone.
    sampler : {"gibbs", "pt"}
        How the persistent chains (``method="pcd"``) move: ``k`` blocked Gibbs sweeps, or
        ``k`` sweeps of parallel tempering over ``temperatures`` betas (PT-PCD; the
        ladder adapts every 20 updates to a swap acceptance of 0.3; swap statistics
        ``pt_swap_acceptance_min/mean``, ``pt_round_trips``, ``pt_beta_min`` are recorded
        at each checkpoint). One process only.
    temperatures : int
        Number of betas of ``sampler="pt"`` (>= 2); each costs as many sweeps as the
        target chains.

    Returns
    -------
    History
        One record per checkpoint (the same on every rank).

    See Also
    --------
    resume : Continue a run from its archive.
    init_rbm : The paper's initial model.
    TrainConfig : The options above, validated in one place.

    Examples
    --------
    >>> import numpy as np, pyrbm
    >>> data = (np.random.default_rng(0).random((60, 6)) < 0.3).astype(np.uint8)
    >>> rbm = pyrbm.init_rbm(data, 4, rng=0)
    >>> history = pyrbm.train(rbm, data, batch_size=20, epochs=2, lr=0.05, rng=1)
    >>> history["epoch"], history["update"]
    (array([1., 2.]), array([3., 6.]))
    """
    options = dict(locals())  # first: the arguments only
    if not isinstance(rbm, RBM):
        raise TypeError(f"rbm: expected pyrbm.RBM, got {type(rbm).__name__}")
    dataset = None
    if isinstance(data, str):
        dataset, data = data, datasets.load(data, "train", None if binarize_batches else 0.5)[0]
    data = _as_data(data, "data")
    if data.shape[1] != rbm.n_visible:
        raise ValueError(f"data: expected {rbm.n_visible} columns (n_visible), got {data.shape[1]}")
    # The options are exactly TrainConfig's fields (tests/test_training_config.py checks
    # the signature and this docstring against the dataclass).
    config = TrainConfig(**{name: options[name] for name in _OPTIONS}, dataset=dataset)
    config.validate()
    world = _check_world(world)
    out = world.bcast(out)  # the root's archive, so that every rank saves in step
    if out is not None:
        out = os.fspath(out)
        if os.path.exists(out):
            raise FileExistsError(f"out: {out} exists; continue it with pyrbm.resume")
    gen = as_generator(rng)
    if world.size > 1:
        check_same_start(world, rbm, gen)
    trainer = _Trainer(rbm, data, config, gen, world)
    record = None
    if out is not None and world.is_root:  # hashing 60 000 MNIST images takes ~0.5 s: only for archives
        record = {
            **dataclasses.asdict(config),
            "n_visible": rbm.n_visible,
            "n_hidden": rbm.n_hidden,
            "dtype": str(rbm.dtype),
            "data_shape": list(data.shape),
            "data_fingerprint": _fingerprint(trainer.data),
        }
    return _run(trainer, out, record, tuple(callbacks), progress)


def resume(
    path: str | os.PathLike[str],
    *,
    epochs: int,
    data: np.ndarray | None = None,
    callbacks: Iterable[Callback] = (),
    progress: bool = False,
    world: World | None = None,
) -> tuple[RBM, History]:
    """Continue the run saved in ``path`` up to ``epochs`` epochs in total.

    The result is bit-identical to a run that trained ``epochs`` epochs in one go
    (same thread count); new checkpoints are appended to the same archive.

    Parameters
    ----------
    path : str or os.PathLike
        Archive written by :func:`train`.
    epochs : int
        Total number of epochs, at least the number already done.
    data : numpy.ndarray, optional
        The training data; required when the run was not started from a dataset name.
        Checked against the fingerprint stored in the archive.
    callbacks : iterable of callables
    progress : bool
    world : pyrbm.distributed.World, optional
        Continue data-parallel on this MPI world, as in :func:`train` (the number of
        ranks may differ from the interrupted session's).

    Returns
    -------
    rbm : RBM
        The trained model.
    history : History
        All checkpoints of the run, old and new.
    """
    world = _check_world(world)
    path = str(os.fspath(world.bcast(path)))
    stored = checkpoint.read_config(path)
    names = {f.name for f in dataclasses.fields(TrainConfig)}
    config = TrainConfig(**{name: stored[name] for name in names if name in stored})
    config.epochs = positive_int(epochs, "epochs")
    config.validate()
    if data is None:
        if config.dataset is None:
            raise ValueError(f"data: {path} was trained on user data; pass it again")
        data = datasets.load(config.dataset, "train", None if config.binarize_batches else 0.5)[0]
    data = _as_data(data, "data")
    rbm = checkpoint.load(path, -1)
    trainer = _Trainer(rbm, data, config, np.random.default_rng(0), world)
    if _fingerprint(trainer.data) != stored["data_fingerprint"]:
        raise ValueError(f"data: differs from the data {path} was trained on")
    arrays, attrs = checkpoint.read_resume_state(path)
    trainer.load_resume_state(arrays, attrs)
    if trainer.epoch > config.epochs or (trainer.epoch == config.epochs and trainer.position):
        raise ValueError(f"epochs: {epochs} is below the {trainer.epoch} epochs already done")
    for record in checkpoint.list_checkpoints(path):
        trainer.history.append(record)
    if world.is_root:
        checkpoint.remove_stale_temporaries(path)
    # The stored config keeps the first call's epochs so the lr schedule's horizon stays.
    config.decay_epochs = config.decay_epochs or int(stored["epochs"])
    return rbm, _run(trainer, path, None, tuple(callbacks), progress)


def _check_world(world: World | None) -> World:
    if world is None:
        return World()
    if not isinstance(world, World):
        raise TypeError(f"world: expected pyrbm.distributed.World or None, got {type(world).__name__}")
    return world

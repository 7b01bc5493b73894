"""Training machinery behind :func:`pyrbm.train`: run state, one update, monitoring,
and the loop that saves checkpoints (settings and records: :mod:`pyrbm.training.config`).

The gradient of the mean log-likelihood is the exact difference of data and model
statistics computed with the hidden conditionals p(h | v) (docs/equations.md, training
protocol)::

    dW = <v p(h|v)^T>_data - <v p(h|v)^T>_chains,  da = <v>_d - <v>_c,
    db = <p(h|v)>_d - <p(h|v)>_c

The negative-phase chains run ``k`` Gibbs sweeps per update (``RBM.gibbs``) from the
persistent chains (PCD), the batch (CD) or uniform random bits (Rdm).

Data-parallel training (docs/mpi.md): with a :class:`~pyrbm.distributed.World` of R
ranks, every rank draws the same shuffles and keys, holds a contiguous block of the
chains and takes the same block of each batch; it sums the statistics of its block
(chain ``c`` uses the counters of chain ``c`` of the single-process run, through
``chain_offset``), the sums are combined with one Allreduce, and every rank applies the
same update. Only the summation order differs from one process.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from .. import _core
from ..io import archive as checkpoint
from . import exact, metrics
from .._rng import draw_key
from .._threads import blas_controller
from .._validation import is_binary
from .config import Callback, CheckpointInfo, History, TrainConfig
from ..distributed import World
from ..model import _PATH_CODES, RBM
from .optim import learning_rate, make_optimizer

#: Sliding-average rate of the hidden offsets of the centered gradient (Melchior et al.).
CENTERING_RATE = 0.01


class _Trainer:
    """Mutable state of a run: model, chains, optimizer, random streams, position."""

    def __init__(
        self,
        rbm: RBM,
        data: np.ndarray,
        config: TrainConfig,
        gen: np.random.Generator,
        world: World | None = None,
    ):
        self.rbm, self.config, self.rng = rbm, config, gen
        self.world = World() if world is None else world
        self.data = np.ascontiguousarray(data, dtype=rbm.dtype)
        self.binary_data = is_binary(self.data)
        if config.method == "cd" and not self.binary_data:
            raise ValueError("data: method 'cd' starts chains at the data, which must be binary")
        if config.exact_sums and not (self.binary_data or config.binarize_batches):
            raise ValueError("exact_sums: needs binary data (or binarize_batches): the grid "
                             "of the sums holds products of {0, 1} states only")
        n = self.data.shape[0]
        if config.batch_size > n:
            raise ValueError(f"batch_size: {config.batch_size} exceeds the {n} samples of data")
        self.n_batches = checkpoint.batches_per_epoch(n, config.batch_size, config.drop_last)
        self._check_split(n % config.batch_size)
        # A separate stream for the stochastic metrics, so monitoring never changes the
        # training trajectory.
        self.monitor_rng = np.random.Generator(np.random.Philox(key=draw_key(gen)))
        shapes = [rbm.weights.shape, rbm.visible_bias.shape, rbm.hidden_bias.shape]
        options: dict[str, Any] = {}
        if config.optimizer == "momentum":
            options = {"momentum": config.momentum}
        elif config.optimizer == "adam":
            options = {"beta1": config.beta1, "beta2": config.beta2, "eps": config.eps}
        self.optimizer = make_optimizer(config.optimizer, shapes, rbm.dtype, **options)
        # The engine's outputs (grad_w, grad_a, grad_b, mean_h_data), kept between updates
        # (the optimizer overwrites them): a fresh W-sized array per update costs its page
        # faults every time.
        self.gradient_buffers = [np.empty(shape, rbm.dtype)
                                 for shape in (*shapes, rbm.hidden_bias.shape)]
        # This rank's block of the persistent chains, started as in one process.
        self.n_chains = config.n_chains or config.batch_size
        self.chain_lo, chain_hi = self.world.block(self.n_chains)
        self.chains = np.empty((chain_hi - self.chain_lo, rbm.n_visible), rbm.dtype)
        _core.bernoulli_states(0.5, draw_key(gen), self.chain_lo, self.chains)
        self.tempering = None
        if config.sampler == "pt":
            if self.world.size > 1:
                raise ValueError("sampler: 'pt' runs in one process only, not over MPI ranks "
                                 "(docs/sampling.md says why)")
            from ..sampling.persistent import PersistentTempering

            self.tempering = PersistentTempering(rbm, self.n_chains, config.temperatures, gen)
            self.chains = self.tempering.chains.target()[0].copy()
        self.visible_offset = self.data.mean(axis=0).astype(rbm.dtype)
        self.hidden_offset = np.full(rbm.n_hidden, 0.5, rbm.dtype)
        self.init_std = float(np.std(rbm.weights))
        self.epoch = self.update = self.position = self.n_checkpoints = 0
        self.order = np.arange(n)
        self.wall_time = 0.0
        step = max(1, n // config.monitor_size)
        self.monitor_data = np.ascontiguousarray(self.data[::step][: config.monitor_size])
        self.monitor_binary = self.binary_data
        if config.binarize_batches and not self.binary_data:
            # The metrics see one fixed draw of their samples (a constant seed, so that a
            # resumed run measures exactly what the uninterrupted one does).
            draw = np.random.default_rng(0).random(self.monitor_data.shape)
            self.monitor_data = (draw < self.monitor_data).astype(rbm.dtype)
            self.monitor_binary = True
        self.history = History()

    def _check_split(self, rest: int) -> None:
        """Every rank needs at least one row of every batch and one chain."""
        cfg, size = self.config, self.world.size
        if size == 1:
            return
        if cfg.batch_size < size:
            raise ValueError(f"batch_size: {cfg.batch_size} rows cannot be split over {size} ranks")
        if cfg.n_chains is not None and cfg.n_chains < size:
            raise ValueError(f"n_chains: {cfg.n_chains} chains cannot be split over {size} ranks")
        if not cfg.drop_last and 0 < rest < size:
            raise ValueError(
                f"drop_last: the last batch of {rest} rows cannot be split over {size} ranks; "
                "use drop_last=True or another batch_size"
            )

    # -- state for checkpoints ---------------------------------------------------------
    def all_chains(self) -> np.ndarray | None:
        """The persistent chains of every rank on the root (a collective), else None."""
        if self.world.size == 1:
            return self.chains
        blocks = self.world.gather(self.chains)
        return None if blocks is None else np.concatenate(blocks)

    def resume_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Arrays and attributes of the archive's resume group (collective; root only
        gets a meaningful result under MPI)."""
        chains = self.all_chains()
        # chains is None on the ranks other than the root
        arrays: dict[str, Any] = {"chains": chains, "order": self.order,
                                  "hidden_offset": self.hidden_offset}
        if self.tempering is not None:
            arrays.update(self.tempering.state())
        for name, value in self.optimizer.state_dict().items():
            if isinstance(value, np.ndarray):
                arrays[f"optimizer_{name}"] = value
        attrs = {
            "epoch": self.epoch,
            "update": self.update,
            "position": self.position,
            "n_checkpoints": self.n_checkpoints,
            "wall_time": self.wall_time,
            "optimizer_t": self.optimizer.t,
            "init_std": self.init_std,
            "rng_state": checkpoint.generator_state(self.rng),
            "monitor_rng_state": checkpoint.generator_state(self.monitor_rng),
        }
        return arrays, attrs

    def load_resume_state(self, arrays: Mapping[str, np.ndarray], attrs: Mapping[str, Any]) -> None:
        self.chains[...] = arrays["chains"][self.chain_lo : self.chain_lo + len(self.chains)]
        if self.tempering is not None:
            self.tempering.load_state(arrays)
        self.order[...] = arrays["order"]
        self.hidden_offset[...] = arrays["hidden_offset"]
        state = {n[len("optimizer_"):]: v for n, v in arrays.items() if n.startswith("optimizer_")}
        state["t"] = attrs["optimizer_t"]
        self.optimizer.load_state_dict(state)
        self.epoch, self.update = int(attrs["epoch"]), int(attrs["update"])
        self.position, self.n_checkpoints = int(attrs["position"]), int(attrs["n_checkpoints"])
        self.wall_time, self.init_std = float(attrs["wall_time"]), float(attrs["init_std"])
        self.rng = checkpoint.restore_generator(str(attrs["rng_state"]))
        self.monitor_rng = checkpoint.restore_generator(str(attrs["monitor_rng_state"]))

    # -- one update ------------------------------------------------------------------
    def _chain_start(self, batch: np.ndarray, batch_lo: int) -> tuple[np.ndarray, int]:
        """The negative-phase chains before this update's sweeps and the global index of
        their first row: the persistent chains (PCD, updated in place), a copy of the
        batch (CD) or uniform random bits (Rdm)."""
        method = self.config.method
        if method == "pcd" and self.tempering is not None:
            # PT-PCD: the tempered sweeps move the chains; the gradient call adds none.
            self.chains = self.tempering.run(self.rbm, self.config.k, self.rng)
            return self.chains, self.chain_lo
        if method == "pcd":
            return self.chains, self.chain_lo
        if method == "cd":
            return np.array(batch, copy=True), batch_lo
        start = np.empty_like(self.chains)
        _core.bernoulli_states(0.5, draw_key(self.rng), self.chain_lo, start)
        return start, self.chain_lo

    def step(self, batch: np.ndarray) -> None:
        """One parameter update from ``batch`` (shape (batch, n_visible), the whole batch
        on every rank; each rank uses its block of rows)."""
        cfg, rbm = self.config, self.rbm
        batch_size = batch.shape[0]
        binary = self.binary_data
        if cfg.binarize_batches:
            # A fresh Bernoulli draw of the whole batch from the run's stream (the same on
            # every rank, so ranks see the same draws as one process, and resumable).
            uniforms = self.rng.random(batch.shape, dtype=rbm.dtype)
            batch, binary = (uniforms < batch).astype(rbm.dtype), True
        batch_lo, batch_hi = self.world.block(batch_size)
        batch = np.ascontiguousarray(batch[batch_lo:batch_hi])
        chains, chain_offset = self._chain_start(batch, batch_lo)
        n_sweeps = 0 if self.tempering is not None and cfg.method == "pcd" else cfg.k
        n_model = batch_size if cfg.method == "cd" else self.n_chains
        # Sums over this rank's rows divided by the global counts: summed over ranks
        # they are the means of one process (bit-identical to them with one rank).
        key = draw_key(self.rng)
        if cfg.exact_sums:
            # The same sweeps (same counters), then the statistics as exact float64 sums:
            # the same bits for any number of ranks (pyrbm.training.exact).
            if n_sweeps:
                _core.gibbs_chains(chains, np.empty((len(chains), rbm.n_hidden), rbm.dtype),
                                   rbm.weights, rbm.visible_bias, rbm.hidden_bias, 1.0,
                                   _PATH_CODES["auto"], key, 0, chain_offset, n_sweeps)
            sums = exact.partial_statistics(
                rbm, batch, chains, 1.0 / batch_size, 1.0 / n_model, batch_size + n_model,
                self.hidden_offset if cfg.centered else None)
            if self.world.size > 1:
                sums = _allreduce_sum(self.world, sums)
            grad_w, grad_a, grad_b, mean_h_data = exact.finish(
                sums, 1.0 / batch_size, 1.0 / n_model,
                self.visible_offset if cfg.centered else None, rbm.dtype)
        else:
            grad_w, grad_a, grad_b, mean_h_data = self.gradient_buffers
            # The k sweeps, both phases' statistics and the gradient: one C++ call.
            _core.chain_gradient(
                batch, binary, chains, rbm.weights, rbm.visible_bias, rbm.hidden_bias,
                n_sweeps, key, chain_offset, 1.0 / batch_size, 1.0 / n_model,
                self.visible_offset if cfg.centered else None,
                self.hidden_offset if cfg.centered else None,
                grad_w, grad_a, grad_b, mean_h_data,
            )
            if self.world.size > 1:
                grad_w, grad_a, grad_b, mean_h_data = _allreduce_sum(
                    self.world, [grad_w, grad_a, grad_b, mean_h_data]
                )
        if cfg.centered:
            # The centered gradient written in the original parameters (Melchior et al.).
            grad_a -= grad_w @ self.hidden_offset
            grad_b -= self.visible_offset @ grad_w
            self.hidden_offset *= rbm.dtype.type(1 - CENTERING_RATE)
            self.hidden_offset += rbm.dtype.type(CENTERING_RATE) * mean_h_data
        if cfg.l2:
            grad_w -= rbm.dtype.type(cfg.l2) * rbm.weights
        if cfg.l1:
            grad_w -= rbm.dtype.type(cfg.l1) * np.sign(rbm.weights)
        decay_updates = (cfg.decay_epochs or cfg.epochs) * self.n_batches
        lr = learning_rate(cfg.lr, cfg.lr_schedule, self.update, decay_updates, cfg.lr_decay)
        params = [rbm.weights, rbm.visible_bias, rbm.hidden_bias]
        self.optimizer.step(params, [grad_w, grad_a, grad_b], lr)

    # -- monitoring -------------------------------------------------------------------
    def measure(self) -> dict[str, float]:
        swaps = {} if self.tempering is None else self.tempering.checkpoint_metrics()
        if not self.config.monitor:
            return swaps
        rbm, v = self.rbm, self.monitor_data
        # These small GEMMs and the SVD run faster on one BLAS thread (measured: 0.08 s
        # against 0.11 s for 784 x 500 on two threads), and cannot be slowed down by
        # oversubscription when the machine is busy.
        with blas_controller().limit(limits=1, user_api="blas"):
            out = {"recon_error": metrics.reconstruction_error(rbm, v)}
            if self.monitor_binary:
                out["pll"] = metrics.pseudo_log_likelihood(rbm, v, rng=self.monitor_rng)
            edge = metrics.marchenko_pastur_edge(rbm.n_visible, rbm.n_hidden, self.init_std)
            out.update(metrics.spectrum_metrics(rbm, edge))
        return {**out, **swaps}

    def due(self) -> bool:
        every = self.config.checkpoint_every
        if every == "epoch":
            return self.position == 0
        if every == "exponential":
            return self.update & (self.update - 1) == 0  # powers of two
        return self.update % int(every) == 0


def _allreduce_sum(world: World, arrays: list[np.ndarray]) -> list[np.ndarray]:
    """Sum ``arrays`` (one dtype) over the ranks with a single Allreduce."""
    flat = np.concatenate([a.ravel() for a in arrays])
    world.allreduce_sum_(flat)
    out, start = [], 0
    for a in arrays:
        out.append(flat[start : start + a.size].reshape(a.shape))
        start += a.size
    return out


def _parameter_digest(rbm: RBM) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for array in (rbm.weights, rbm.visible_bias, rbm.hidden_bias):
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def same_on_all_ranks(world: World, value: str) -> bool:
    """Whether ``value`` is the same on every rank (a collective; the answer on all)."""
    values = world.gather(value)
    return bool(world.bcast(None if values is None else len(set(values)) == 1))


def check_same_start(world: World, rbm: RBM, gen: np.random.Generator) -> None:
    """Raise on every rank unless all ranks start from the same model and generator."""
    if not same_on_all_ranks(world, _parameter_digest(rbm)):
        raise ValueError("rbm: the ranks hold different parameters; initialize it with the "
                         "same seed on every rank")
    if not same_on_all_ranks(world, checkpoint.generator_state(gen)):
        raise ValueError("rng: the ranks' generators differ; pass the same seed on every rank")


def _check_ranks_agree(world: World, rbm: RBM) -> None:
    """Raise on every rank if the ranks' parameters differ (they never should)."""
    if not same_on_all_ranks(world, _parameter_digest(rbm)):
        raise RuntimeError("the ranks' parameters diverged (Allreduce gave different sums)")


def _call_callbacks(
    callbacks: Iterable[Callback], rbm: RBM, info: CheckpointInfo
) -> dict[str, float]:
    extra: dict[str, float] = {}
    for callback in callbacks:
        result = callback(rbm, info)
        if result is None:
            continue
        if not isinstance(result, Mapping):
            raise TypeError(
                f"callbacks: {callback!r} returned {type(result).__name__}, expected dict or None"
            )
        extra.update({str(name): float(value) for name, value in result.items()})
    return extra


def _run(
    trainer: _Trainer,
    out: str | None,
    config_record: dict[str, Any] | None,
    callbacks: tuple[Callback, ...],
    progress: bool,
) -> History:
    cfg, rbm, world = trainer.config, trainer.rbm, trainer.world
    total = cfg.epochs * trainer.n_batches
    bar = tqdm(total=total, initial=trainer.update, unit="upd",
               disable=not (progress and world.is_root), leave=True)
    from .. import __version__

    session_start, wall_before = time.perf_counter(), trainer.wall_time

    def save() -> None:
        started = time.perf_counter()
        values: dict[str, float] = {}
        if world.is_root:  # under MPI the root measures and calls back; the rest wait
            built_in = trainer.measure()
            if built_in:
                # Cost of the built-in monitoring, to check it stays small next to training.
                built_in["monitor_seconds"] = time.perf_counter() - started
            trainer.wall_time = wall_before + started - session_start
            info = CheckpointInfo(
                trainer.epoch, trainer.update, trainer.wall_time, trainer.n_checkpoints, built_in,
                end_of_epoch=trainer.position == 0,
            )
            values = {**built_in, **_call_callbacks(callbacks, rbm, info)}
        if world.size > 1:  # every rank keeps the same history
            _check_ranks_agree(world, rbm)
            values, trainer.wall_time = world.bcast((values, trainer.wall_time))
        record = CheckpointInfo(
            trainer.epoch, trainer.update, trainer.wall_time, trainer.n_checkpoints, values,
            end_of_epoch=trainer.position == 0,
        )
        trainer.n_checkpoints += 1
        trainer.history.append(record)
        if out is not None:
            arrays, attrs = trainer.resume_state()  # gathers the chains of all ranks
            if world.is_root:
                checkpoint.append_checkpoint(
                    out, config=config_record, rbm=rbm, record=record, resume_arrays=arrays,
                    resume_attrs=attrs, version=__version__,
                )
        bar.set_postfix({"epoch": record.epoch, **{k: f"{v:.4g}" for k, v in values.items()}})

    # Callbacks with an observe_chains(rbm, chains, update) method see the persistent
    # chains (this rank's block; the root's under MPI) after every update.
    chain_watchers: list[Callable[[RBM, np.ndarray, int], object]] = []
    if cfg.method == "pcd" and world.is_root:
        found = (getattr(c, "observe_chains", None) for c in callbacks)
        chain_watchers = [w for w in found if callable(w)]
    try:
        batch_size, n = cfg.batch_size, trainer.data.shape[0]
        while trainer.update < total:
            if trainer.position == 0:
                trainer.order = trainer.rng.permutation(n)
            rows = trainer.order[trainer.position * batch_size : (trainer.position + 1) * batch_size]
            trainer.step(trainer.data[rows])
            trainer.update += 1
            for watcher in chain_watchers:  # e.g. sampling.MixingObserver
                watcher(rbm, trainer.chains, trainer.update)
            trainer.position += 1
            if trainer.position == trainer.n_batches:
                trainer.epoch, trainer.position = trainer.epoch + 1, 0
            bar.update(1)
            if trainer.due() or trainer.update == total:
                save()
    finally:
        bar.close()
    return trainer.history

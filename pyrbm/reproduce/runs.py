"""The training runs of ``pyrbm reproduce``: one archive per (replica, hidden size).

Each run is trained with :func:`pyrbm.train` and two callbacks that record, at every
epoch, the leading singular values and saddle energies (:class:`ModeRecorder`) and,
every few epochs, the AIS / reverse-AIS log-likelihood
(:class:`pyrbm.partition.LikelihoodObserver`). The seed of a run derives from
``(seed, replica, hidden)`` with :class:`numpy.random.SeedSequence`, never from the
MPI rank, so a job on R ranks trains the same models as one process.

Rerunning resumes an unfinished archive (bit-identically, see docs/training.md) and
skips a finished one. :func:`summarize` then reads a run's archive back and computes,
per checkpoint, the mode-1 coordinates ``(u1, w1)`` of test images and of model samples
(these need sampling, so they are derived from the saved parameters with their own
seeds rather than recorded as scalar metrics).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from ..io import archive as checkpoint
from ..io import datasets
from ..analysis import alignment, spectrum
from ..analysis.svd import ThinSVD, thin_svd
from ..model import RBM
from ..partition.estimators import LikelihoodObserver, LogZ, log_likelihood, log_partition
from ..partition.trajectory import trajectory_log_z
from .. import diagnostics
from ..sampling import independent_end, trajectory_tempering
from ..training.api import CheckpointInfo, init_rbm, resume, train
from . import nulls
from .config import Config

__all__ = ["ModeRecorder", "RunSpec", "load_data", "mode1_uw", "run_specs", "summarize",
           "train_run", "updates_per_epoch"]

#: Entropy words that separate the streams derived from one run's seed.
_TRAIN, _LIKELIHOOD, _SUMMARY, _NULL, _TRAJECTORY, _NULL_LIKELIHOOD = 0, 1, 2, 3, 4, 13
_TEMPERED, _TEMPERED_RAIS = 5, 6
#: Modes whose singular value and correlation gain are kept at every checkpoint: more
#: than the learned outliers of every default run (69-76, measured), for their exits.
_TRACKED_MODES = 200

#: Stream of the shuffled-pixel null data (from the job seed only).
_SHUFFLE = 9001


@dataclass(frozen=True)
class RunSpec:
    """One training run: replica ``replica`` (0-based) of hidden size ``hidden``."""

    hidden: int
    replica: int

    @property
    def name(self) -> str:
        """File stem of the run's archive, e.g. ``M0100_r1``."""
        return f"M{self.hidden:04d}_r{self.replica}"

    def seed(self, seed: int, stream: int) -> np.random.SeedSequence:
        """Seed of one of the run's random streams, from (seed, replica, hidden) only."""
        return np.random.SeedSequence([seed, self.replica, self.hidden, stream])


def run_specs(config: Config) -> list[RunSpec]:
    """All runs of ``config``, by hidden size then replica."""
    return [RunSpec(m, r) for m in config.runs["hidden"] for r in range(config.runs["replicas"])]


def load_data(config: Config, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Binarized training and test images of ``config``.

    Parameters
    ----------
    config : Config
    seed : int
        The job's seed (draws the permutations of ``shuffle_pixels``).

    Returns
    -------
    train : numpy.ndarray, shape (n_train, N), uint8
        The first ``n_train`` training images (all when 0); with ``[runs]
        shuffle_pixels`` every pixel column permuted independently across them (the
        null control: pixel means kept, correlations gone).
    test : numpy.ndarray, shape (n_test, N), uint8
    """
    name = config.runs["dataset"]
    x_train = datasets.load(name, "train", 0.5)[0]
    x_test = datasets.load(name, "test", 0.5)[0]
    n_train = config.runs["n_train"] or len(x_train)
    x_train = x_train[:n_train]
    if config.runs["shuffle_pixels"]:
        gen = np.random.default_rng(np.random.SeedSequence([seed, _SHUFFLE]))
        x_train = np.ascontiguousarray(nulls.shuffle_pixels(x_train, gen))
    return x_train, x_test[: config.likelihood["n_test"]]


class ModeRecorder:
    """Training callback: leading singular values and saddle energies at each checkpoint.

    Returns ``sv_<i>`` (``lambda_i``, descending) and ``eps_<i>`` (E8, in the gauge of
    :func:`pyrbm.analysis.reciprocal.decompose`) for ``i < n_modes`` and ``eps_total``, the sum of
    the saddle energies of all modes.

    Parameters
    ----------
    n_modes : int
    """

    def __init__(self, n_modes: int):
        self.n_modes = int(n_modes)

    def __call__(self, rbm: RBM, info: object) -> dict[str, float]:  # (info unused)
        # One BLAS thread: a threaded SVD of these small matrices is up to 50x slower on
        # a loaded machine (measured). eps_i is gauge invariant; the thin SVD suffices.
        with threadpool_limits(limits=1, user_api="blas"):
            svd = thin_svd(rbm.weights)
        lam = svd.s
        a0, b0 = svd.u.T @ rbm.visible_bias, svd.v.T @ rbm.hidden_bias
        eps = a0 * b0 / lam if lam[-1] > 0 else np.full(lam.shape, np.nan)
        out = {f"sv_{i}": float(lam[i]) for i in range(min(self.n_modes, lam.size))}
        out.update({f"eps_{i}": float(eps[i]) for i in range(min(self.n_modes, lam.size))})
        out["eps_total"] = float(np.sum(eps))
        return out


def updates_per_epoch(config: Config, n_train: int) -> int:
    """Updates in one epoch (the last incomplete batch is dropped)."""
    return int(n_train // config.runs["batch_size"])


def _observer(spec: RunSpec, config: Config, seed: int, x_train: np.ndarray,
              x_test: np.ndarray) -> LikelihoodObserver:
    lk = config.likelihood
    return LikelihoodObserver(
        x_train, x_test, every=lk["every"], n_chains=lk["n_chains"], n_betas=lk["n_betas"],
        n_gibbs=lk["n_gibbs"], max_samples=lk["n_test"],
        seed=int(spec.seed(seed, _LIKELIHOOD).generate_state(1)[0]),
    )


def _initial_model(spec: RunSpec, seed: int,
                   x_train: np.ndarray) -> tuple[RBM, np.random.Generator]:
    gen = np.random.default_rng(spec.seed(seed, _TRAIN))
    return init_rbm(x_train, spec.hidden, rng=gen), gen


def _callbacks(spec: RunSpec, config: Config, seed: int, x_train: np.ndarray,
               x_test: np.ndarray) -> list[Any]:
    observer = _observer(spec, config, seed, x_train, x_test)
    return [ModeRecorder(config.runs["top_modes"]), observer]  # the observer skips mid-epoch


def checkpoint_schedule(rc: dict[str, Any]) -> str | int:
    """``checkpoint_every`` of :func:`pyrbm.train`: "exponential" (updates 1, 2, 4, ...)
    with ``log_checkpoints``, else every ``checkpoint_every`` updates or every epoch."""
    return "exponential" if rc["log_checkpoints"] else (rc["checkpoint_every"] or "epoch")


#: Options of ``[runs]`` that an existing archive must have been trained with.
_FIXED = ("method", "k", "batch_size", "optimizer", "lr", "lr_schedule", "lr_decay",
          "centered")


def _check_same_run(path: Path, rc: dict[str, Any]) -> None:
    """Refuse to resume an archive trained with other settings (e.g. another config)."""
    stored = checkpoint.read_config(path)
    stored_every = stored["checkpoint_every"]
    wanted = {**{name: rc[name] for name in _FIXED}, "checkpoint_every": checkpoint_schedule(rc)}
    have = {**{name: stored[name] for name in _FIXED}, "checkpoint_every": stored_every}
    different = sorted(name for name in wanted if wanted[name] != have[name])
    if different:
        raise ValueError(f"{path} was trained with "
                         + ", ".join(f"{n}={have[n]!r}" for n in different)
                         + ", not " + ", ".join(f"{n}={wanted[n]!r}" for n in different)
                         + "; use another --out for another configuration")


def train_run(spec: RunSpec, config: Config, seed: int, out_dir: str | os.PathLike[str],
              x_train: np.ndarray, x_test: np.ndarray) -> tuple[Path, str]:
    """Train, resume or skip one run.

    Parameters
    ----------
    spec : RunSpec
    config : Config
    seed : int
        The job's seed.
    out_dir : str or os.PathLike
        The archive is ``out_dir/runs/<spec.name>.h5``.
    x_train : numpy.ndarray, shape (n_train, N)
    x_test : numpy.ndarray, shape (n_test, N)

    Returns
    -------
    path : pathlib.Path
        The archive.
    status : {"trained", "resumed", "skipped"}
    """
    rc = config.runs
    path = Path(out_dir) / "runs" / f"{spec.name}.h5"
    path.parent.mkdir(parents=True, exist_ok=True)
    callbacks = _callbacks(spec, config, seed, x_train, x_test)
    if path.exists():
        try:
            records = checkpoint.list_checkpoints(path)
        except checkpoint.ArchiveError as exc:  # never overwrite what we cannot read
            raise checkpoint.ArchiveError(f"{exc} (remove it to train run {spec.name} again)") from exc
        _check_same_run(path, rc)
        if records and records[-1].epoch >= rc["epochs"]:
            return path, "skipped"
        if records:
            resume(path, epochs=rc["epochs"], data=x_train, callbacks=callbacks)
            return path, "resumed"
        path.unlink()  # created, then killed before its first checkpoint
    rbm, gen = _initial_model(spec, seed, x_train)
    train(rbm, x_train, method=rc["method"], k=rc["k"], batch_size=rc["batch_size"],
          epochs=rc["epochs"], optimizer=rc["optimizer"], lr=rc["lr"],
          lr_schedule=rc["lr_schedule"], lr_decay=rc["lr_decay"], centered=rc["centered"],
          rng=gen, out=path,
          callbacks=callbacks, checkpoint_every=checkpoint_schedule(rc))
    return path, "trained"


def mode1_uw(rbm: RBM, v: np.ndarray, h: np.ndarray, svd: ThinSVD | None = None) -> np.ndarray:
    """Mode-1 coordinates ``(u1, w1)`` about its saddle (E10), gauge of ``decompose``.

    Equal to ``decompose(rbm).to_uw(*decompose(rbm).to_reciprocal(v, h))`` for mode 0,
    from the thin SVD (the full ``N x N`` basis is not needed for one mode).

    Parameters
    ----------
    rbm : RBM
    v : numpy.ndarray, shape (n, N)
    h : numpy.ndarray, shape (n, M)
        Hidden states or probabilities.
    svd : ThinSVD, optional
        ``thin_svd(rbm.weights)`` if already computed.

    Returns
    -------
    numpy.ndarray, shape (n, 2)
    """
    svd = svd or thin_svd(rbm.weights)
    lam, u1, v1 = svd.s[0], svd.u[:, 0], svd.v[:, 0]
    dx = np.asarray(v, np.float64) @ u1 + float(v1 @ rbm.hidden_bias) / lam
    dy = np.asarray(h, np.float64) @ v1 + float(u1 @ rbm.visible_bias) / lam
    return np.asarray(np.stack([dx + dy, dy - dx], axis=1) / np.sqrt(2.0))


def _on_schedule(records: list[Any], rc: dict[str, Any]) -> list[tuple[int, Any]]:
    """(archive index, record) of the checkpoints on the run's schedule and the last one.

    A run that was interrupted and resumed also holds the checkpoint of its interruption
    (the final update of the shorter run is always saved); leaving it out makes the
    series of a resumed run equal to those of an uninterrupted one.
    """
    schedule = checkpoint_schedule(rc)

    def wanted(r: Any) -> bool:
        if schedule == "exponential":
            return bool(r.update & (r.update - 1) == 0)
        if schedule == "epoch":
            return bool(getattr(r, "end_of_epoch", True))
        return bool(r.update % int(schedule) == 0)

    last = len(records) - 1
    return [(i, r) for i, r in enumerate(records) if i == last or wanted(r)]


def _metric_series(records: list[Any], name: str) -> np.ndarray:
    return np.array([r.metrics.get(name, np.nan) for r in records], dtype=np.float64)


def _likelihood_extras(spec: RunSpec, config: Config, seed: int, x_train: np.ndarray,
                       x_test: np.ndarray, initial: RBM, path_models: list[RBM],
                       null_w: np.ndarray) -> dict[str, Any]:
    """Trajectory AIS along the checkpoints and the random-walk null's AIS likelihood."""
    lk = config.likelihood
    out: dict[str, Any] = {}
    if lk["traj_chains"] > 0:
        traj = trajectory_log_z([initial, *path_models], n_chains=lk["traj_chains"],
                                n_betas=lk["traj_betas"],
                                rng=np.random.default_rng(spec.seed(seed, _TRAJECTORY)))
        out["log_z_traj"] = traj["log_z"]
        out["log_z_traj_se"] = traj["std_error"]
        out["test_ll_traj"] = np.array([
            log_likelihood(m, x_test, LogZ(float(z), "trajectory"))
            for m, z in zip([initial, *path_models], traj["log_z"])])
    # Nothing learned: the initial biases with the random-walk W (forward AIS, as the
    # observer's options).
    null = RBM(null_w.astype(initial.dtype), initial.visible_bias.copy(),
               initial.hidden_bias.copy())
    log_z = log_partition(null, "ais", rng=np.random.default_rng(spec.seed(seed, _NULL_LIKELIHOOD)),
                          n_chains=lk["n_chains"], n_betas=lk["n_betas"], data=x_train)
    out["null_test_ll_ais"] = log_likelihood(null, x_test, log_z)
    return out


def _tempered(spec: RunSpec, config: Config, seed: int, x_train: np.ndarray,
              x_test: np.ndarray, initial: RBM, path_models: list[RBM]) -> dict[str, Any]:
    """Samples of every checkpoint by parallel trajectory tempering, and the final model's
    reverse AIS started from its tempered samples.

    One PTT run (:func:`pyrbm.sampling.trajectory_tempering`) over the independent-unit
    end, the initial model and every checkpoint: each slot samples its own model, so the
    mode-1 figure's model samples come from it, and the last slot's states start reverse
    AIS (what RAIS needs: samples of the model, not Gibbs chains started at data).
    """
    rc, lk = config.runs, config.likelihood
    final = path_models[-1]
    u1 = thin_svd(final.weights).u[:, 0]
    n_chains = max(rc["sample_chains"], lk["n_chains"])
    res = trajectory_tempering([independent_end(initial), initial, *path_models], n_chains,
                               max(rc["sample_sweeps"], 8), trace=lambda v, h: v @ u1,
                               rng=np.random.default_rng(spec.seed(seed, _TEMPERED)))
    assert res.trace is not None  # a trace was asked for
    half = res.trace[res.trace.shape[0] // 2:]
    v_final = np.asarray(res.v)[: lk["n_chains"]]
    rais = log_partition(final, "rais", samples=v_final, n_chains=len(v_final),
                         n_betas=lk["n_betas"], data=x_train,
                         rng=np.random.default_rng(spec.seed(seed, _TEMPERED_RAIS)))
    return {"slots_v": np.asarray(res.all_v)[2:, : rc["sample_chains"]],
            "slots_h": np.asarray(res.all_h)[2:, : rc["sample_chains"]],
            "pt_swap_acceptance": np.asarray(res.swap_acceptance, np.float64),
            "pt_round_trips": int(res.round_trips),
            "pt_tau": float(diagnostics.autocorrelation_time(half)),
            "pt_rhat": float(diagnostics.rhat(half)),
            "pt_sweeps": int(res.n_sweeps),
            "test_ll_rais_pt": log_likelihood(final, x_test, rais),
            "log_z_rais_pt": float(rais.value), "log_z_rais_pt_se": float(rais.std_error)}


def summarize(spec: RunSpec, path: str | os.PathLike[str], config: Config, seed: int,
              x_train: np.ndarray, x_test: np.ndarray) -> dict[str, Any]:
    """Per-epoch quantities of a finished run, read back from its archive.

    Returns
    -------
    dict
        ``hidden``, ``replica``; ``epochs`` (T,) of the checkpoints (fractional:
        updates / updates per epoch); ``singular_values`` (T, k) and
        ``saddle_energies`` (T, k) of the k = ``top_modes`` leading modes and
        ``saddle_total`` (T,), from :class:`ModeRecorder`; ``ll_epochs`` (E,),
        ``test_ll_ais``, ``test_ll_rais``, ``log_z_ais``, ``log_z_rais`` (E,) at the
        epochs the likelihood was evaluated, epoch 0 (the initial model) first; ``data_uw`` (T, n_uw, 2) and ``model_uw``
        (T, sample_chains, 2), mode 1 ``(u1, w1)`` about its saddle of test images and
        of model samples; ``final_weights`` (N, M), ``final_spectrum`` (min(N, M),),
        ``final_samples`` (sample_chains, N) visible probabilities of model samples;
        ``updates`` (T,) of the checkpoints; ``bulk_edge`` (T,) the MP edge fitted to
        each checkpoint's own bulk (+5 Tracy-Widom scales); ``init_ks_pvalue`` (KS test
        of the run's initial weights against MP); ``final_outliers``; the random-walk
        null (:func:`pyrbm.reproduce.nulls.random_walk_path`): ``null_singular_values``
        (T, k), ``null_bulk_edge`` (T,), ``null_weights``, ``null_spectrum``,
        ``null_outliers``, ``null_test_ll_ais``; the correlation gains in the training data
        (:mod:`pyrbm.analysis.alignment`) and the singular values of the leading K =
        min(200, min(N, M)) modes at every checkpoint, ``alignment``, ``null_alignment``,
        ``mode_values`` and ``null_mode_values`` (T, K) (the hierarchy's exits), of all
        final modes,
        ``final_alignment`` and ``null_final_alignment`` (min(N, M),), and the
        independent-pixel bound ``alignment_bound``; trajectory AIS (with ``traj_chains``):
        ``log_z_traj``, ``log_z_traj_se``, ``test_ll_traj`` (T + 1,), the initial model
        first; ``wall_time`` (s).
    """
    rc = config.runs
    indices = _on_schedule(checkpoint.list_checkpoints(path), rc)
    records = [r for _, r in indices]
    k = min(rc["top_modes"], spec.hidden, x_test.shape[1])
    per_epoch = records[-1].update / records[-1].epoch  # a finished run ends an epoch
    out: dict[str, Any] = {"hidden": spec.hidden, "replica": spec.replica, "epochs":
                           np.array([r.update for r in records], dtype=np.float64) / per_epoch}
    out["singular_values"] = np.stack([_metric_series(records, f"sv_{i}") for i in range(k)], 1)
    out["saddle_energies"] = np.stack([_metric_series(records, f"eps_{i}") for i in range(k)], 1)
    out["saddle_total"] = _metric_series(records, "eps_total")
    # The initial model is not in the archive; it is re-created from the run's seed.
    initial = _observer(spec, config, seed, x_train, x_test)(
        _initial_model(spec, seed, x_train)[0], CheckpointInfo(0, 0, 0.0, 0, {}))
    assert initial is not None  # epoch 0 is a multiple of every observer's period
    evaluated = [r for r in records if "test_ll_ais" in r.metrics]
    out["ll_epochs"] = np.array([0] + [r.epoch for r in evaluated], dtype=np.int64)
    for name in ("test_ll_ais", "test_ll_rais", "log_z_ais", "log_z_rais", "log_z_ais_se",
                 "log_z_rais_se"):
        out[name] = np.concatenate([[initial[name]], _metric_series(evaluated, name)])
    data = x_test[: rc["n_uw"]]
    n_visible = x_test.shape[1]
    initial_rbm = _initial_model(spec, seed, x_train)[0]
    # The random-walk null: W moved by i.i.d. steps of this run's own sizes, checkpoint by
    # checkpoint (its own stream, so it does not change the other numbers).
    null_gen = np.random.default_rng(spec.seed(seed, _NULL))
    w_before = np.asarray(initial_rbm.weights, np.float64)
    null_w = w_before.copy()
    path_models = checkpoint.load_checkpoints(path, [index for index, _ in indices])
    tempered = _tempered(spec, config, seed, x_train, x_test, initial_rbm, path_models)
    data_uw, model_uw, edges, null_edges = [], [], [], []
    # Correlation gains of the modes in the run's own training data (shuffled under the
    # shuffle_pixels null): which modes are learned from the data's correlations.
    corr = alignment.Correlations(x_train)
    gains, null_gains, values, null_values = [], [], [], []
    for t, rbm in enumerate(path_models):
        v, h = tempered["slots_v"][t], tempered["slots_h"][t]
        w_now = np.asarray(rbm.weights, np.float64)
        null_w = null_w + null_gen.normal(0.0, np.sqrt(np.mean((w_now - w_before) ** 2)),
                                          null_w.shape)
        w_before = w_now
        with threadpool_limits(limits=1, user_api="blas"):  # see ModeRecorder
            svd = thin_svd(rbm.weights)
            data_uw.append(mode1_uw(rbm, data, rbm.hidden_probs(data), svd))
            model_uw.append(mode1_uw(rbm, v, h, svd))
            null_u, null_s, _ = np.linalg.svd(null_w, full_matrices=False)
            gains.append(corr.gain(svd.u))
            null_gains.append(corr.gain(null_u))
        values.append(svd.s)
        null_values.append(null_s)
        edges.append(spectrum.fit_bulk(svd.s, n_visible, spec.hidden).edge)
        null_edges.append(spectrum.fit_bulk(null_s, n_visible, spec.hidden).edge)
    out["updates"] = np.array([r.update for r in records], dtype=np.int64)
    out["bulk_edge"], out["null_bulk_edge"] = np.array(edges), np.array(null_edges)
    out["null_singular_values"] = np.stack([v[:k] for v in null_values])
    tracked = min(_TRACKED_MODES, svd.s.size)
    out["mode_values"] = np.stack([v[:tracked] for v in values])
    out["null_mode_values"] = np.stack([v[:tracked] for v in null_values])
    out["alignment"] = np.stack([g[:tracked] for g in gains])
    out["null_alignment"] = np.stack([g[:tracked] for g in null_gains])
    out["final_alignment"], out["null_final_alignment"] = gains[-1], null_gains[-1]
    out["alignment_bound"] = corr.bound
    out["data_uw"], out["model_uw"] = np.stack(data_uw), np.stack(model_uw)
    out["final_weights"] = np.asarray(rbm.weights, dtype=np.float64)
    out["final_spectrum"] = svd.s
    out["final_samples"] = np.asarray(rbm.visible_probs(h), dtype=np.float64)
    out["null_weights"], out["null_spectrum"] = null_w, null_s
    std = config.analysis["std"]
    init_sv = np.linalg.svd(np.asarray(initial_rbm.weights, np.float64), compute_uv=False)
    out["init_ks_pvalue"] = float(spectrum.ks_test(init_sv, n_visible, spec.hidden, std).pvalue)
    out["final_outliers"] = spectrum.fit_bulk(svd.s, n_visible, spec.hidden).n_outliers
    out["null_outliers"] = spectrum.fit_bulk(null_s, n_visible, spec.hidden).n_outliers
    out.update(_likelihood_extras(spec, config, seed, x_train, x_test, initial_rbm,
                                  path_models, null_w))
    out.update({k: v for k, v in tempered.items() if not k.startswith("slots_")})
    out["wall_time"] = float(records[-1].wall_time)
    return out

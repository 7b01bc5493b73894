"""The ``pyrbm`` command: ``train``, ``sample`` and ``info`` on HDF5 run archives,
``reproduce`` (the paper end to end, :mod:`pyrbm.reproduce`) and ``analyze`` (any binary
RBM file, :mod:`pyrbm.analyze`).

Every error (bad flag, missing dataset, foreign archive, ...) is one line on stderr and
a non-zero exit status. ``mpiexec -n R pyrbm train ...`` trains one model data-parallel
over R ranks (docs/mpi.md; ``sample`` and ``info`` run on rank 0 alone); there an error on
any rank stops the whole job with the line ``pyrbm: rank R of S failed: ...``.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import numpy as np

from .io import archive as checkpoint
from .io import datasets
from . import distributed
from ._threads import get_num_threads, set_num_threads
from .io.archive import ArchiveError
from .io.datasets import DatasetNotFoundError
from .model import RBM
from .training.optim import OPTIMIZERS, SCHEDULES
from .training.api import METHODS, init_rbm, resume, train
from .training.config import TrainConfig, parameter_summaries

#: Defaults of ``pyrbm train``: a model that trains on MNIST in a few minutes on two
#: cores (measured, see docs/training.md). Adam's step is 1e-2: with the paper's 1e-3
#: five epochs give chains stuck on one blurred digit; the paper's protocol is
#: --hidden 500 --k 500 --epochs 100 --lr 1e-3.
DEFAULTS = {"hidden": 500, "k": 10, "batch_size": 500, "epochs": 5, "lr": 1e-2}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit status 2
        self.exit(2, f"{self.prog}: error: {message}\n")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def _checkpoint_every(text: str) -> str | int:
    return text if text in ("epoch", "exponential") else _positive(text)


#: Flags of ``pyrbm train`` not spelled after their TrainConfig field.
FLAG_NAMES = {"n_chains": "--chains"}
_CHOICES = {"method": METHODS, "optimizer": OPTIMIZERS, "lr_schedule": SCHEDULES}
#: argparse types by field annotation (every int option is a positive count).
_TYPES: dict[str, Callable[[str], Any]] = {  # (each returns its own type: Any)
    "int": _positive, "int | None": _positive, "float": float, "str": str,
    "str | int": _checkpoint_every,
}
#: reST roles in docstrings (:func:`pyrbm.train`, :class:`~pyrbm.training.TrainConfig`)
_ROLE = re.compile(r":[a-z]+:`(~?)([^`<]+?)(?:\s*<[^>]*>)?`")


def _plain_text(text: str) -> str:
    """A docstring's reST inline markup as plain text, for ``--help``: inline literals lose
    their double backquotes, roles keep their target (its last part after a ``~``),
    emphasis loses its stars."""
    text = _ROLE.sub(lambda m: m.group(2).rsplit(".", 1)[-1] if m.group(1) else m.group(2), text)
    text = text.replace("``", "")
    return re.sub(r"(?<![\w*])\*([^*\s][^*]*?)\*(?![\w*])", r"\1", text)


def flag(name: str) -> str:
    """The ``pyrbm train`` flag of a setting (``n_chains`` -> ``--chains``)."""
    return FLAG_NAMES.get(name, "--" + name.replace("_", "-"))


def _add_train_options(parser: argparse.ArgumentParser) -> None:
    """One flag per field of :class:`~pyrbm.training.TrainConfig` (but ``dataset``),
    with the field's default unless :data:`DEFAULTS` sets one, and the first sentence
    of :func:`pyrbm.train`'s description of it as help."""
    helps = parameter_summaries(train.__doc__ or "")
    for option in dataclasses.fields(TrainConfig):
        if option.name == "dataset":  # --dataset names one of datasets.DATASETS
            continue
        default = DEFAULTS.get(option.name, option.default)
        text = _plain_text(helps.get(option.name) or "")
        common: dict[str, Any] = {"dest": option.name, "default": default,  # argparse formats
                                  "help": text.replace("%", "%%") or None}  # help with %
        if option.type == "bool":
            parser.add_argument(flag(option.name), action=argparse.BooleanOptionalAction, **common)
        else:
            parser.add_argument(flag(option.name), type=_TYPES[str(option.type)],
                                choices=_CHOICES.get(option.name), **common)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="pyrbm", description="Train and sample binary RBMs.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    tr = commands.add_parser("train", help="train a model (or continue one with --resume)")
    tr.add_argument("--dataset", choices=datasets.DATASETS, default="mnist")
    tr.add_argument("--hidden", type=_positive, default=DEFAULTS["hidden"])
    _add_train_options(tr)
    tr.add_argument("--init", choices=("paper", "normal"), default="paper")
    tr.add_argument("--seed", type=int, default=0, help="seed of the initialization and "
                    "training (default 0); same seed, same model for any --threads")
    tr.add_argument("--out", default="run.h5", help="archive to create (default run.h5)")
    tr.add_argument("--resume", metavar="ARCHIVE", help="continue this run up to --epochs")
    tr.add_argument("--samples", metavar="PNG", default=None,
                    help="picture of 100 samples of the trained model (default: OUT.png)")
    tr.add_argument("--threads", type=_positive, default=None,
                    help="OpenMP threads (default: OMP_NUM_THREADS, else every core)")
    tr.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    tr.add_argument("--quiet", action="store_true", help="no progress bar")

    sa = commands.add_parser("sample", help="draw samples from a saved model")
    sa.add_argument("archive", help="run archive written by pyrbm train")
    sa.add_argument("--checkpoint", type=int, default=-1,
                    help="checkpoint to sample (Python index, default -1: latest); ptt: the "
                         "target, earlier checkpoints form the trajectory")
    sa.add_argument("--chains", type=_positive, default=100,
                    help="independent chains (samples) of the target (default 100)")
    sa.add_argument("--sweeps", type=_positive, default=1000,
                    help="Gibbs sweeps of every chain (default 1000)")
    sa.add_argument("--seed", type=int, default=None,
                    help="seed (default: fresh randomness); same seed, same samples for any "
                         "--threads")
    sa.add_argument("--out", default="samples.png", help=".png picture or .npz arrays")
    sa.add_argument("--threads", type=_positive, default=None,
                    help="OpenMP threads (default: OMP_NUM_THREADS, else every core)")
    sa.add_argument("--sampler", choices=("gibbs", "pt", "ptt"), default="gibbs",
                    help="gibbs: blocked Gibbs; pt: parallel tempering; ptt: trajectory "
                         "tempering over the archive's checkpoints (docs/sampling.md)")
    sa.add_argument("--temperatures", type=_positive, default=16,
                    help="pt: number of betas (adapted); ptt: number of models")

    info = commands.add_parser("info", help="config, checkpoints and metrics of an archive")
    info.add_argument("archive", help="run archive written by pyrbm train")

    rp = commands.add_parser("reproduce", help="reproduce the paper: runs, experiments, report")
    rp.add_argument("--out", required=True, help="output folder (rerun to resume)")
    rp.add_argument("--config", default="default",
                    help="quick, default, full, paper or a TOML file of overrides "
                    "(default: default)")
    rp.add_argument("--seed", type=int, default=0)
    rp.add_argument("--threads", type=_positive, default=None,
                    help="threads per process (default 1: run R ranks with mpiexec instead)")
    rp.add_argument("--estimate", action="store_true",
                    help="print the predicted training cost and exit")
    rp.add_argument("--workers", type=_positive, default=None,
                    help="processes for the independent runs and experiments on this "
                    "machine (default: one per core; ignored under mpiexec)")
    shown = rp.add_mutually_exclusive_group()
    shown.add_argument("--verbose", action="store_true",
                       help="one line per run and experiment instead of the progress bar")
    shown.add_argument("--quiet", action="store_true", help="no progress output")
    an = commands.add_parser("analyze", help="reciprocal-space analysis of any binary RBM file")
    an.add_argument("models", nargs="+", metavar="MODEL",
                    help="pyrbm archive, .npz, rbms/fastrbm or RestrictedBoltzmannMachines.jl "
                         "HDF5, scikit-learn pickle/joblib")
    an.add_argument("--out", required=True, help="output folder")
    which = an.add_mutually_exclusive_group()
    which.add_argument("--checkpoint", type=int, default=-1,
                       help="checkpoint of an archive (Python index, default -1: latest)")
    which.add_argument("--all-checkpoints", action="store_true",
                       help="also every checkpoint versus training time")
    an.add_argument("--data", default=None,
                    help="mnist, fashion-mnist, digits or a .npz of binary test data")
    an.add_argument("--seed", type=int, default=0, help="seed of the sampled quantities")
    an.add_argument("--threads", type=_positive, default=None,
                    help="OpenMP threads (default: OMP_NUM_THREADS, else every core)")
    return parser


def save_samples_png(v: np.ndarray, path: str) -> None:
    """Write visible states or probabilities as a grid picture of square images.

    Parameters
    ----------
    v : numpy.ndarray, shape (n, n_visible)
        Values in [0, 1] (0 black, 1 white); ``n_visible`` a square, else one row each.
    path : str
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import image

    n, n_visible = v.shape
    side = math.isqrt(n_visible)
    shape = (side, side) if side * side == n_visible else (1, n_visible)
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    pad = 1
    grid = np.ones((rows * (shape[0] + pad) + pad, cols * (shape[1] + pad) + pad))
    for index in range(n):
        r, c = divmod(index, cols)
        top, left = pad + r * (shape[0] + pad), pad + c * (shape[1] + pad)
        grid[top : top + shape[0], left : left + shape[1]] = v[index].reshape(shape)
    image.imsave(path, grid, cmap="gray", vmin=0.0, vmax=1.0)


def _write_samples(rbm: RBM, chains: int, sweeps: int, seed: int | None, path: str) -> None:
    _check_out(path)
    _save_states(rbm, *rbm.sample(chains, sweeps, rng=seed), path)


def _check_out(path: str) -> None:
    if not path.endswith((".png", ".npz")):
        raise ValueError(f"--out: expected a .png or .npz file name, got {path}")


def _sample_tempered(args: argparse.Namespace) -> str:
    """pyrbm sample --sampler pt|ptt: write the target chains, return the swap summary."""
    from . import sampling

    _check_out(args.out)
    if args.sampler == "pt":
        rbm = checkpoint.load(args.archive, args.checkpoint)
        result = sampling.parallel_tempering(rbm, args.chains, args.sweeps,
                                             betas=args.temperatures, rng=args.seed)
    else:
        if args.temperatures < 2:
            raise ValueError("--temperatures: trajectory tempering needs at least 2 models")
        models = sampling.archive_trajectory(args.archive, args.temperatures,
                                             last=args.checkpoint)
        rbm = models[-1]
        result = sampling.trajectory_tempering(models, args.chains, args.sweeps, rng=args.seed)
    _save_states(rbm, result.v, result.h, args.out)
    return _swap_summary(result.swap_acceptance, result.n_slots,
                         "betas" if args.sampler == "pt" else "models", result.round_trips)


def _swap_summary(acc: np.ndarray, n_slots: int, what: str, round_trips: int) -> str:
    """The swap statistics of a tempered run, with a warning for pairs that never swap."""
    from .sampling.result import NO_CROSSING

    if not acc.size:
        return ""
    stuck = np.flatnonzero(np.nan_to_num(acc, nan=0.0) < NO_CROSSING)
    # pairs that (almost) never swap split the ladder: the target's chains do not mix
    # through them, whatever the round-trip count says (docs/sampling.md)
    warning = (f"; WARNING: swap acceptance < {NO_CROSSING:g} between slots {stuck[0]} and "
               f"{stuck[0] + 1}" + (f" and {stuck.size - 1} more pair(s)" if stuck.size > 1
                                    else "")
               + ": the chains do not cross there (more temperatures, or denser "
                 "checkpoints for ptt)" if stuck.size else "")
    return (f"; {n_slots} {what}, swap acceptance {np.nanmin(acc):.2f}-{np.nanmax(acc):.2f}, "
            f"{round_trips} round trips{warning}")


def _save_states(rbm: RBM, v: np.ndarray, h: np.ndarray, path: str) -> None:
    probs = rbm.visible_probs(h)
    if path.endswith(".npz"):
        np.savez_compressed(path, visible=v, hidden=h, visible_probs=probs)
    else:
        save_samples_png(probs, path)  # p(v | h): the binary samples without their noise


def _train(args: argparse.Namespace, world: distributed.World) -> None:
    progress = not args.quiet
    if args.resume:
        rbm, history = resume(args.resume, epochs=args.epochs, progress=progress, world=world)
        out = args.resume
    else:
        if os.path.exists(args.out):
            raise FileExistsError(
                f"--out: {args.out} exists (continue it with --resume {args.out})")
        binarize = None if args.binarize_batches else 0.5
        data = datasets.load(args.dataset, "train", binarize)[0]
        gen = np.random.default_rng(args.seed)
        rbm = init_rbm(data, args.hidden, scheme=args.init, dtype=args.dtype, rng=gen)
        options = {f.name: getattr(args, f.name) for f in dataclasses.fields(TrainConfig)
                   if f.name != "dataset"}
        history = train(rbm, args.dataset, **options, rng=gen, out=args.out, progress=progress,
                        world=world)
        out = args.out
    if not world.is_root:
        return
    png = args.samples or os.path.splitext(out)[0] + ".png"
    _write_samples(rbm, 100, 1000, args.seed, png)
    last = history.records[-1]
    print(f"{out}: epoch {last['epoch']}, update {last['update']}, "
          f"{last['wall_time']:.1f} s; samples in {png}")


def _info(path: str) -> None:
    config = checkpoint.read_config(path)
    records = checkpoint.list_checkpoints(path)
    version, git = config.pop("pyrbm_version"), config.pop("git_hash") or "-"
    print(f"archive {path}: pyrbm {version}, git {git}")
    for key in sorted(config):
        print(f"  {key}: {config[key]}")
    columns = sorted({name for r in records for name in r.metrics})
    print(f"{len(records)} checkpoint(s)")
    header = ["index", "epoch", "update", "wall_time", *columns]
    print(" ".join(f"{name:>12}" for name in header))
    for r in records:
        cells = [str(r.index), str(r.epoch), str(r.update), f"{r.wall_time:.2f}"]
        cells += [f"{r.metrics[c]:.5g}" if c in r.metrics else "-" for c in columns]
        print(" ".join(f"{cell:>12}" for cell in cells))


def _stderr_line(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _reproduce(args: argparse.Namespace, mpi: distributed.World) -> None:
    from .reproduce import estimate, load_config, reproduce  # matplotlib: only when needed

    config = load_config(args.config)
    if args.threads is None:
        # One thread per process: the runs are independent, so parallelism comes from
        # MPI ranks. Measured on 2 loaded cores: `default` took 176 s on one thread and
        # 572 s on two (small GEMMs and SVDs lose to thread oversubscription).
        set_num_threads(1)
    if args.estimate:
        if mpi.is_root:
            workers = args.workers or len(os.sched_getaffinity(0))
            cost = estimate(config, workers=workers)
            for m, seconds in cost["per_hidden"].items():
                print(f"M={m}: {seconds / 3600:.3g} h per run")
            print(f"{cost['runs']} runs: {cost['total_seconds'] / 3600:.3g} h in total "
                  f"on one process of {get_num_threads()} thread(s) "
                  "(divide by the number of ranks on a cluster); "
                  f"{cost['wall_seconds'] / 60:.3g} min wall with {workers} worker(s) on free "
                  "cores, experiments not counted")
        return
    result = reproduce(args.out, config, seed=args.seed, world=mpi,
                       log=_stderr_line if args.verbose else None,
                       progress=not (args.verbose or args.quiet),
                       workers=args.workers or len(os.sched_getaffinity(0)))
    if result is not None:
        held = sum(c["holds"] for c in result["claims"])
        print(f"{args.out}: {held} of {len(result['claims'])} claims hold; "
              f"report in {os.path.join(args.out, 'report.md')}")


#: ``pyrbm train`` settings that define a run: a resumed run keeps those of its archive.
RUN_SETTINGS = (*(f.name for f in dataclasses.fields(TrainConfig) if f.name != "epochs"),
                "hidden", "init", "seed", "out", "dtype")


def _reject_run_settings(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """With --resume, a run-defining flag would be silently ignored: refuse it instead."""
    defaults = parser.parse_args(["train"])
    given = [name for name in RUN_SETTINGS if getattr(args, name) != getattr(defaults, name)]
    if given:
        flags = ", ".join(flag(name) for name in given)
        parser.error(
            f"--resume continues a run with the settings stored in its archive; "
            f"{flags} cannot change them "
            "(only --epochs, --threads, --samples, --quiet can be given)"
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``pyrbm`` console script; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "train" and args.resume:
        _reject_run_settings(parser, args)
    world = distributed.world()
    try:
        with distributed.fail_fast(world):  # under MPI: one line and Abort, never a hang
            _command(args, world)
    except (ArchiveError, DatasetNotFoundError, OSError, ValueError, TypeError, IndexError,
            MemoryError) as exc:
        print(f"pyrbm {args.command}: error: {exc or type(exc).__name__}", file=sys.stderr)
        return 1
    return 0


def _command(args: argparse.Namespace, world: distributed.World) -> None:
    if getattr(args, "threads", None):
        set_num_threads(args.threads)
    if args.command == "train":
        _train(args, world)
    elif args.command == "reproduce":  # runs and experiments spread over the ranks
        _reproduce(args, world)
    elif args.command == "analyze" and world.is_root:
        from .analyze import analyze  # matplotlib: only when needed

        analyze(args.models, args.out, checkpoint=args.checkpoint,
                all_checkpoints=args.all_checkpoints, data=args.data, seed=args.seed)
        print(f"{args.out}: report in {os.path.join(args.out, 'report.md')}")
    elif not world.is_root:  # only training is data-parallel; the root does the rest
        return
    elif args.command == "sample":
        summary = ""
        if args.sampler == "gibbs":
            rbm = checkpoint.load(args.archive, args.checkpoint)
            _write_samples(rbm, args.chains, args.sweeps, args.seed, args.out)
        else:
            summary = _sample_tempered(args)
        print(f"{args.out}: {args.chains} samples after {args.sweeps} sweeps{summary}")
    else:
        _info(args.archive)


if __name__ == "__main__":
    sys.exit(main())

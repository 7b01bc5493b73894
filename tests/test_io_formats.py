"""Models in and out of other tools' formats (pyrbm.io.formats): round trips, files laid
out exactly as rbms / RestrictedBoltzmannMachinesHDF5.jl / scikit-learn write them, and
clear errors on foreign, truncated or corrupt files."""

from __future__ import annotations

import pickle
from pathlib import Path

import h5py
import numpy as np
import pytest

import pyrbm
from pyrbm.io import (ModelFileError, detect_format, list_model_checkpoints, read_model,
                      read_models, write_model)

from .conftest import all_states, small_rbm

N, M = 11, 7  # distinct primes


def _same_model(a: pyrbm.RBM, b: pyrbm.RBM) -> None:
    """Bit-identical parameters, and the same energies and free energies."""
    assert a.dtype == b.dtype
    for x, y in ((a.weights, b.weights), (a.visible_bias, b.visible_bias),
                 (a.hidden_bias, b.hidden_bias)):
        assert x.dtype == y.dtype and x.shape == y.shape
        assert np.array_equal(x.view(np.uint8), y.view(np.uint8))
    gen = np.random.default_rng(0)
    v = (gen.random((17, a.n_visible)) < 0.5).astype(a.dtype)
    h = (gen.random((17, a.n_hidden)) < 0.5).astype(a.dtype)
    np.testing.assert_array_equal(a.energy(v, h), b.energy(v, h))
    np.testing.assert_array_equal(a.free_energy(v), b.free_energy(v))


# -- round trips ----------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["npz", "rbms", "julia", "sklearn"])
def test_round_trip_is_bit_identical(tmp_path: Path, fmt: str, dtype: type) -> None:
    rbm = small_rbm(N, M, 0.7, dtype, seed=3)
    path = tmp_path / f"model.{fmt}"
    assert write_model(rbm, path, format=fmt) == path
    assert detect_format(path) == fmt
    _same_model(read_model(path), rbm)
    _same_model(read_model(path, format=fmt, checkpoint=0), rbm)
    assert len(list_model_checkpoints(path)) == 1


def test_detection_is_by_content_not_extension(tmp_path: Path) -> None:
    rbm = small_rbm(N, M, 0.5, np.float64, seed=4)
    for fmt, name in (("npz", "looks.h5"), ("rbms", "looks.npz"), ("julia", "looks.pkl"),
                      ("sklearn", "looks.h5")):
        path = write_model(rbm, tmp_path / f"{fmt}-{name}", format=fmt)
        assert detect_format(path) == fmt
        _same_model(read_model(path), rbm)


def test_rbms_writer_appends_checkpoints(tmp_path: Path) -> None:
    path = tmp_path / "run.h5"
    models = [small_rbm(N, M, 0.5, np.float32, seed=s) for s in range(3)]
    for update, rbm in zip((1, 10, 2), models):
        write_model(rbm, path, format="rbms", update=update)
    listing = list_model_checkpoints(path)
    assert [c.update for c in listing] == [1, 2, 10]  # numeric order, not text order
    for position, rbm in zip((0, 2, 1), models):
        _same_model(read_model(path, checkpoint=position), rbm)
    _same_model(read_model(path), models[1])  # -1: the latest update (10)
    for got, want in zip(read_models(path, [0, 2, -1]), (models[0], models[1], models[1])):
        _same_model(got, want)  # several checkpoints from one open
    with pytest.raises(IndexError, match="checkpoint: 3 out of range"):
        read_models(path, [0, 3])
    with pytest.raises(ModelFileError, match="already has a checkpoint update_10"):
        write_model(models[0], path, format="rbms", update=10)


# -- rbms / fastrbm archives as rbms' save_model writes them --------------------------------
def _rbms_save_model(path: Path, params: dict[str, np.ndarray], update: int, time: float,
                     flags: tuple[str, ...] = (), model_type: str = "BBRBM",
                     legacy_only: bool = False) -> None:
    """h5py calls of rbms.io.save_model (rbms 0.5), with the arrays it would save."""
    gen = np.random.default_rng(update)
    with h5py.File(path, "a") as f:
        ckpt = f.create_group(f"update_{update}")
        if not legacy_only:
            group = ckpt.create_group("params")
            for name, value in params.items():
                group[name] = value
                ckpt[name] = group[name]
        else:  # the older layout: the arrays directly under update_<n>
            for name, value in params.items():
                ckpt[name] = value
        ckpt["torch_rng_state"] = gen.integers(0, 256, 5056).astype(np.uint8)
        state = np.random.RandomState(update).get_state()
        for i in range(5):
            ckpt[f"numpy_rng_arg{i}"] = state[i]
        ckpt["time"] = time
        chains = (gen.random((13, params["vbias"].shape[0])) < 0.5).astype(np.float32)
        if "parallel_chains" in f:
            f["parallel_chains"][...] = chains
        else:
            f["parallel_chains"] = chains
        if "model_type" not in f:
            f["model_type"] = model_type
        flag = ckpt.create_group("flags")
        for fl in flags:
            flag[fl] = True
            ckpt[f"save_{fl}"] = True
        if "hyperparameters" not in f:
            hp = f.create_group("hyperparameters")
            for key, value in (("num_hiddens", M), ("num_visibles", N), ("num_chains", 13),
                               ("batch_size", 100), ("gibbs_steps", 10), ("filename", str(path)),
                               ("learning_rate", 0.01), ("train_size", 0.6), ("seed", 0),
                               ("L1", 0.0), ("L2", 0.0)):
                hp[key] = value


def _params(seed: int, dtype: type = np.float32) -> dict[str, np.ndarray]:
    gen = np.random.default_rng(seed)
    return {"weight_matrix": gen.normal(0, 0.3, (N, M)).astype(dtype),
            "vbias": gen.normal(0, 0.3, N).astype(dtype),
            "hbias": gen.normal(0, 0.3, M).astype(dtype)}


@pytest.mark.parametrize("legacy_only", [False, True], ids=["params-group", "older-layout"])
def test_reads_rbms_archives_with_checkpoints(tmp_path: Path, legacy_only: bool) -> None:
    path = tmp_path / "RBM.h5"
    updates = [1, 2, 4, 8, 16, 100]
    saved = {u: _params(u) for u in updates}
    for u in updates:
        _rbms_save_model(path, saved[u], u, time=0.5 * u, flags=("ptt",) if u % 4 == 0 else (),
                         legacy_only=legacy_only)
    assert detect_format(path) == "rbms"
    listing = list_model_checkpoints(path)
    assert [c.update for c in listing] == updates
    assert [c.name for c in listing] == [f"update_{u}" for u in updates]
    assert [c.time for c in listing] == [0.5 * u for u in updates]
    assert [c.flags for c in listing] == [("ptt",) if u % 4 == 0 else () for u in updates]
    for position, u in enumerate(updates):
        rbm = read_model(path, checkpoint=position)
        np.testing.assert_array_equal(rbm.weights, saved[u]["weight_matrix"])
        np.testing.assert_array_equal(rbm.visible_bias, saved[u]["vbias"])
        np.testing.assert_array_equal(rbm.hidden_bias, saved[u]["hbias"])
        assert rbm.dtype == np.float32
    np.testing.assert_array_equal(read_model(path).weights, saved[100]["weight_matrix"])
    with pytest.raises(IndexError, match="6 checkpoint"):
        read_model(path, checkpoint=6)


def test_rbms_energies_follow_the_same_convention(tmp_path: Path) -> None:
    """rbms' BBRBM energy -v.vbias - h.hbias - v W h, W (n_visible, n_hidden), written out."""
    p = _params(5, np.float64)
    path = tmp_path / "RBM.h5"
    _rbms_save_model(path, p, 1, 0.0)
    rbm = read_model(path)
    v = np.ascontiguousarray(all_states(N)[::37])
    h = all_states(M)[: len(v)]
    expected = -v @ p["vbias"] - h @ p["hbias"] - np.einsum("ni,ij,nj->n", v, p["weight_matrix"], h)
    np.testing.assert_allclose(rbm.energy(v, h), expected, rtol=1e-12, atol=1e-12)


def test_non_binary_rbms_models_are_refused(tmp_path: Path) -> None:
    gen = np.random.default_rng(0)
    potts = {"weight_matrix": gen.normal(size=(N, 3, M)).astype(np.float32),
             "vbias": gen.normal(size=(N, 3)).astype(np.float32),
             "hbias": gen.normal(size=M).astype(np.float32)}
    path = tmp_path / "potts.h5"
    _rbms_save_model(path, potts, 1, 0.0, model_type="PBRBM")
    with pytest.raises(ModelFileError, match=r"potts\.h5: model_type 'PBRBM' is a Potts"):
        read_model(path)
    # without model_type (very old archives) the shape still tells
    with h5py.File(path, "a") as f:
        del f["model_type"]
    with pytest.raises(ModelFileError, match=r"potts\.h5: .*weight_matrix has shape \(11, 3, 7\)"):
        read_model(path)
    gauss = tmp_path / "gauss.h5"
    _rbms_save_model(gauss, _params(1), 1, 0.0, model_type="BGRBM")
    with pytest.raises(ModelFileError, match="Bernoulli-Gaussian"):
        read_model(gauss)
    with pytest.raises(ModelFileError, match="Bernoulli-Gaussian"):
        write_model(small_rbm(N, M, 0.1, np.float32, 0), gauss, format="rbms", update=5)


# -- RestrictedBoltzmannMachinesHDF5.jl -----------------------------------------------------
def _julia_save_rbm(path: Path, w_jl: np.ndarray, theta_v: np.ndarray, theta_h: np.ndarray,
                    *, rbm_type: str | None = "RBM", visible_type: str = "Binary",
                    hidden_type: str = "Binary", version: str = "1.0.0",
                    hidden_par: np.ndarray | None = None) -> None:
    """What HDF5.jl writes for save_rbm (RestrictedBoltzmannMachinesHDF5 2.x; rbm_type None:
    the 1.x io.jl without it). Arguments are in Julia's index order; HDF5.jl stores
    column-major arrays, so a reader in C order sees the full transpose (numpy ``.T``)."""
    text = h5py.string_dtype("utf-8")
    par_v = theta_v[None]  # Binary(; θ) = Binary(vstack((θ,))): size (1, size(θ)...)
    par_h = theta_h[None] if hidden_par is None else hidden_par
    with h5py.File(path, "w") as f:
        f.create_dataset("rbm_hdf5_file_format_version", data=version, dtype=text)
        if rbm_type is not None:
            f.create_dataset("rbm_type", data=rbm_type, dtype=text)
        f["weights"] = w_jl.T
        f["visible_par"] = par_v.T
        f["hidden_par"] = par_h.T
        f.create_dataset("visible_type", data=visible_type, dtype=text)
        f.create_dataset("hidden_type", data=hidden_type, dtype=text)


@pytest.mark.parametrize("rbm_type", ["RBM", None], ids=["2.x", "1.x"])
def test_reads_julia_files_column_major(tmp_path: Path, rbm_type: str | None) -> None:
    gen = np.random.default_rng(1)
    w, a, b = gen.normal(size=(N, M)), gen.normal(size=N), gen.normal(size=M)
    path = tmp_path / "rbm.h5"
    _julia_save_rbm(path, w, a, b, rbm_type=rbm_type)
    with h5py.File(path) as f:
        assert f["weights"].shape == (M, N)  # what a C-order reader sees
    assert detect_format(path) == "julia"
    rbm = read_model(path)
    np.testing.assert_array_equal(rbm.weights, w)
    np.testing.assert_array_equal(rbm.visible_bias, a)
    np.testing.assert_array_equal(rbm.hidden_bias, b)


def test_julia_multidimensional_layers_flatten_in_julia_order(tmp_path: Path) -> None:
    """A (3, 5) Binary visible layer (e.g. an image) and 7 hidden units: Julia's
    flat_w = reshape(w, 15, 7) is column-major, so visible unit (i, j) is i + 3 j."""
    gen = np.random.default_rng(2)
    w = gen.normal(size=(3, 5, M))
    theta_v, theta_h = gen.normal(size=(3, 5)), gen.normal(size=M)
    path = tmp_path / "image.h5"
    _julia_save_rbm(path, w, theta_v, theta_h)
    rbm = read_model(path)
    np.testing.assert_array_equal(rbm.weights, w.reshape(15, M, order="F"))
    np.testing.assert_array_equal(rbm.visible_bias, theta_v.reshape(15, order="F"))
    assert rbm.weights[1 + 3 * 2, 4] == w[1, 2, 4]


def test_non_binary_julia_models_are_refused(tmp_path: Path) -> None:
    gen = np.random.default_rng(3)
    w, a, b = gen.normal(size=(N, M)), gen.normal(size=N), gen.normal(size=M)
    cases = {
        "spin": (dict(visible_type="Spin"), "visible layer is 'Spin'"),
        "std": (dict(rbm_type="StandardizedRBM"), "rbm_type 'StandardizedRBM'"),
        "version": (dict(version="9.0.0"), "format version 9.0.0"),
        # RestrictedBoltzmannMachinesHDF5 1.0 wrote the visible type for both layers:
        # an xReLU hidden layer (4 parameters per unit) labelled "Binary" must not pass.
        "xrelu": (dict(hidden_par=gen.normal(size=(4, M))), "hidden layer is 'Binary' with "
                  r"parameters of shape \(4, 7\)"),
    }
    for name, (options, message) in cases.items():
        path = tmp_path / f"{name}.h5"
        _julia_save_rbm(path, w, a, b, **options)
        with pytest.raises(ModelFileError, match=f"{name}.h5: .*{message}"):
            read_model(path)


# -- scikit-learn ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fitted() -> tuple[object, np.ndarray]:
    sklearn = pytest.importorskip("sklearn")
    from sklearn.datasets import load_digits
    from sklearn.neural_network import BernoulliRBM

    x = (load_digits().data[:300] >= 8).astype(np.float64)
    est = BernoulliRBM(n_components=13, n_iter=3, learning_rate=0.05, random_state=0).fit(x)
    assert sklearn
    return est, x


def test_from_sklearn_matches_the_fitted_estimator(fitted: tuple) -> None:
    est, x = fitted
    rbm = pyrbm.RBM.from_sklearn(est)
    np.testing.assert_array_equal(rbm.weights, est.components_.T)
    np.testing.assert_array_equal(rbm.visible_bias, est.intercept_visible_)
    np.testing.assert_array_equal(rbm.hidden_bias, est.intercept_hidden_)
    np.testing.assert_allclose(rbm.free_energy(x), est._free_energy(x), rtol=1e-12)
    np.testing.assert_allclose(rbm.hidden_probs(x), est.transform(x), rtol=1e-12)
    _same_model(read_model(est), rbm)


def test_to_sklearn_gives_a_working_estimator(fitted: tuple) -> None:
    est, x = fitted
    rbm = pyrbm.RBM.from_sklearn(est)
    back = rbm.to_sklearn()
    np.testing.assert_array_equal(back.transform(x), est.transform(x))
    np.testing.assert_array_equal(back._free_energy(x), est._free_energy(x))
    back.partial_fit(x[:20])  # can continue training
    _same_model(pyrbm.RBM.from_sklearn(rbm.to_sklearn()), rbm)


def test_reads_sklearn_pickle_and_joblib_files(tmp_path: Path, fitted: tuple) -> None:
    import joblib

    est, _ = fitted
    expected = pyrbm.RBM.from_sklearn(est)
    plain = tmp_path / "rbm.pkl"
    plain.write_bytes(pickle.dumps(est))
    raw = tmp_path / "rbm.joblib"
    joblib.dump(est, raw)
    compressed = tmp_path / "rbm.z"
    joblib.dump(est, compressed, compress=3)
    for path in (plain, raw, compressed):
        assert detect_format(path) == "sklearn"
        _same_model(read_model(path), expected)


def test_reads_pyrbm_sklearn_dropin(fitted: tuple) -> None:
    _, x = fitted
    est = pyrbm.BernoulliRBM(n_components=5, n_iter=1, random_state=0).fit(x)
    rbm = read_model(est)
    np.testing.assert_array_equal(rbm.weights, est.components_.T)


def test_unfitted_or_foreign_objects_are_refused(tmp_path: Path) -> None:
    from sklearn.neural_network import BernoulliRBM

    with pytest.raises(ModelFileError, match="BernoulliRBM is not a fitted BernoulliRBM"):
        read_model(BernoulliRBM())
    path = tmp_path / "dict.pkl"
    path.write_bytes(pickle.dumps({"weights": 1}))
    with pytest.raises(ModelFileError, match="dict.pkl: dict is not a fitted BernoulliRBM"):
        read_model(path)


# -- pyrbm archives -------------------------------------------------------------------------
def test_pyrbm_archives_list_and_read_every_checkpoint(tmp_path: Path) -> None:
    from pyrbm.io import archive

    data = (np.random.default_rng(0).random((60, N)) < 0.3).astype(np.uint8)
    path = tmp_path / "run.h5"
    pyrbm.train(pyrbm.init_rbm(data, M, rng=1), data, epochs=2, k=1, batch_size=20, rng=2,
                out=path, checkpoint_every=1)
    records = archive.list_checkpoints(path)
    listing = list_model_checkpoints(path)
    assert [c.update for c in listing] == [r.update for r in records]
    assert [c.epoch for c in listing] == [r.epoch for r in records]
    for c in listing:
        _same_model(read_model(path, checkpoint=c.index), archive.load(path, c.index))
    _same_model(read_model(path, format="pyrbm"), archive.load(path))
    every = read_models(path, [c.index for c in listing])
    assert len(every) == len(listing)
    for c, rbm in zip(listing, every):
        _same_model(rbm, archive.load(path, c.index))
    npz = write_model(archive.load(path), tmp_path / "one.npz", format="npz")
    _same_model(read_models(npz, [0, -1])[1], archive.load(path))
    with pytest.raises(IndexError, match="checkpoint: 1 out of range"):
        read_models(npz, [1])


# -- hostile input --------------------------------------------------------------------------
def test_bad_files_give_errors_that_name_the_file(tmp_path: Path) -> None:
    rbm = small_rbm(N, M, 0.5, np.float32, seed=0)
    text = tmp_path / "notes.txt"
    text.write_text("weights = 1\n")
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    good_h5 = write_model(rbm, tmp_path / "good.h5", format="rbms")
    truncated_h5 = tmp_path / "truncated.h5"
    truncated_h5.write_bytes(good_h5.read_bytes()[: good_h5.stat().st_size // 2])
    good_npz = write_model(rbm, tmp_path / "good.npz", format="npz")
    truncated_npz = tmp_path / "truncated.npz"
    truncated_npz.write_bytes(good_npz.read_bytes()[:-40])
    corrupt_pickle = tmp_path / "corrupt.pkl"
    corrupt_pickle.write_bytes(b"\x80\x04\x95garbage that is no pickle")
    truncated_joblib = tmp_path / "truncated.joblib"
    write_model(rbm, truncated_joblib, format="sklearn")
    truncated_joblib.write_bytes(truncated_joblib.read_bytes()[:100])
    foreign_h5 = tmp_path / "foreign.h5"
    with h5py.File(foreign_h5, "w") as f:
        f["images"] = np.zeros((2, 3))
    cases = [
        (text, "unknown file format"), (empty, "empty file"),
        (tmp_path / "missing.npz", "no such file"), (tmp_path, "not a regular file"),
        (truncated_h5, "truncated or corrupt HDF5"), (truncated_npz, "truncated or corrupt .npz"),
        (corrupt_pickle, "truncated or corrupt pickle"),
        (truncated_joblib, "truncated or corrupt pickle"),
        (foreign_h5, "HDF5 file of an unknown layout .top level: images"),
    ]
    for path, message in cases:
        with pytest.raises(ModelFileError, match=message) as info:
            read_model(path)
        assert str(path) in str(info.value)


def test_bad_npz_contents(tmp_path: Path) -> None:
    gen = np.random.default_rng(0)
    w, a, b = gen.normal(size=(N, M)), gen.normal(size=N), gen.normal(size=M)
    nan_w = w.copy()
    nan_w[2, 3] = np.nan
    cases = {
        "missing": (dict(weights=w, visible_bias=a), "without hidden_bias"),
        "shapes": (dict(weights=w, visible_bias=b, hidden_bias=b),
                   r"visible_bias: expected shape \(11,\)"),
        "nan": (dict(weights=nan_w, visible_bias=a, hidden_bias=b), "weights: contains NaN or inf"),
        "strings": (dict(weights=np.array(["x"]), visible_bias=a, hidden_bias=b), "dtype <U1"),
        "rank": (dict(weights=a, visible_bias=a, hidden_bias=b), "weights: expected 2 dimension"),
    }
    for name, (arrays, message) in cases.items():
        path = tmp_path / f"{name}.npz"
        np.savez(path, **arrays)
        with pytest.raises(ModelFileError, match=f"{name}.npz: .*{message}"):
            read_model(path)


def test_bad_arguments(tmp_path: Path) -> None:
    rbm = small_rbm(N, M, 0.5, np.float32, seed=0)
    path = write_model(rbm, tmp_path / "m.npz", format="npz")
    with pytest.raises(ModelFileError, match="format='julia' requested, but the file is 'npz'"):
        read_model(path, format="julia")
    with pytest.raises(ValueError, match="format: expected 'auto' or one of"):
        read_model(path, format="torch")
    with pytest.raises(IndexError, match="checkpoint: 1 out of range for 1"):
        read_model(path, checkpoint=1)
    with pytest.raises(TypeError, match="checkpoint: expected an int"):
        read_model(path, checkpoint=1.0)
    with pytest.raises(ValueError, match="format: expected one of"):
        write_model(rbm, tmp_path / "x", format="pyrbm")
    with pytest.raises(TypeError, match="rbm: expected a pyrbm.RBM"):
        write_model(rbm.weights, tmp_path / "x", format="npz")
    with pytest.raises(ValueError, match=r"chains: expected shape \(n, 11\)"):
        write_model(rbm, tmp_path / "c.h5", format="rbms", chains=np.zeros((2, 3)))
    with pytest.raises(ModelFileError, match="exists and is not an rbms archive"):
        write_model(rbm, path, format="rbms")


# -- the real libraries (optional) ----------------------------------------------------------
def test_real_rbms_library_round_trip(tmp_path: Path) -> None:
    """Written by rbms' own save_model, read by pyrbm; written by pyrbm, loaded by rbms.

    Optional: runs where torch and rbms are installed (pip install torch rbms), else skips.
    """
    torch = pytest.importorskip("torch")
    rbms_io = pytest.importorskip("rbms.io")
    from rbms.bernoulli_bernoulli.classes import BBRBM

    p = _params(7)
    model = BBRBM(*(torch.from_numpy(p[k]) for k in ("weight_matrix", "vbias", "hbias")))
    theirs = tmp_path / "theirs.h5"
    chains = {"visible": torch.zeros((5, N))}
    rbms_io.save_model(str(theirs), model, chains, num_updates=3, time=1.5, flags=["ptt"])
    rbms_io.save_model(str(theirs), model * 2.0, chains, num_updates=7, time=2.5)
    fixture = tmp_path / "fixture.h5"
    _rbms_save_model(fixture, p, 3, 1.5, flags=("ptt",))
    with h5py.File(theirs) as f, h5py.File(fixture) as g:  # the fixture mirrors save_model
        assert set(f["update_3"]) == set(g["update_3"]) and set(f) - set(g) == {"update_7"}
        assert f["update_3/torch_rng_state"].shape == g["update_3/torch_rng_state"].shape
        assert f["model_type"][()] == g["model_type"][()] == b"BBRBM"
    listing = list_model_checkpoints(theirs)
    assert [(c.update, c.time, c.flags) for c in listing] == [(3, 1.5, ("ptt",)), (7, 2.5, ())]
    np.testing.assert_array_equal(read_model(theirs, checkpoint=0).weights, p["weight_matrix"])
    np.testing.assert_array_equal(read_model(theirs).hidden_bias, 2.0 * p["hbias"])

    ours = small_rbm(N, M, 0.5, np.float32, seed=9)
    mine = write_model(ours, tmp_path / "mine.h5", format="rbms", update=12)
    loaded = rbms_io.load_params(str(mine), 12, torch.device("cpu"), torch.float32)
    np.testing.assert_array_equal(loaded.weight_matrix.numpy(), ours.weights)
    np.testing.assert_array_equal(loaded.vbias.numpy(), ours.visible_bias)
    settings = {"batch_size": 20, "gibbs_steps": 2, "learning_rate": 0.01, "L1": 0.0, "L2": 0.0}
    full = write_model(ours, tmp_path / "full.h5", format="rbms", update=12,
                       chains=np.ones((4, N), np.float32), hyperparameters=settings)
    params, chains_back, start, hyper = rbms_io.load_model(str(full), 12, torch.device("cpu"),
                                                           torch.float32)
    assert start == 0.0 and chains_back["visible"].shape == (4, N)
    assert hyper == settings
    v = torch.from_numpy((np.random.default_rng(0).random((9, N)) < 0.5).astype(np.float32))
    np.testing.assert_allclose(params.compute_energy_visibles(v).numpy(),
                               ours.free_energy(v.numpy()), rtol=1e-5, atol=1e-5)

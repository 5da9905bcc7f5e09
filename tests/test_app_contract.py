"""The app contract (docs/apps.rst; docs/design.rst, "The app contract"): every skopes app
exposes the same functions with the same argument names, order and keyword-only-ness; model
classes are scikit-learn estimators; old calls keep working with a DeprecationWarning."""

from __future__ import annotations

import importlib
import inspect
import json

import numpy as np
import pandas as pd
import pytest

from spacekit.utils.manifest import read_manifest
from spacekit.utils.runs import Run

APPS = {
    "hst_cal": "spacekit.skopes.hst.cal",
    "hst_svm": "spacekit.skopes.hst.svm",
    "jwst_cal": "spacekit.skopes.jwst.cal",
    "k2": "spacekit.skopes.k2",
}
P = inspect.Parameter
POS = P.POSITIONAL_OR_KEYWORD
KW = P.KEYWORD_ONLY
_ = P.empty
#: name -> [(parameter, kind, default)], the leading parameters every app must have in order
CONTRACT = {
    "train": [
        ("data", POS, _),
        ("runs_dir", KW, None),
        ("name", KW, None),
        ("seed", KW, 0),
        ("fast", KW, False),
        ("progress", KW, None),
    ],
    "cross_validate": [
        ("data", POS, _),
        ("n_splits", KW, 5),
        ("n_repeats", KW, 3),
        ("seed", KW, 0),
        ("runs_dir", KW, None),
    ],
    "score": [("model", POS, _), ("data", POS, _)],
    "predict": [("model", POS, _), ("data", POS, _)],
    "predict_batch": [
        ("model", POS, _),
        ("data", POS, _),
        ("client", KW, None),
        ("chunk_size", KW, None),
    ],
    "load_model": [("path_or_run", POS, None)],
}


@pytest.mark.parametrize("app", sorted(APPS))
@pytest.mark.parametrize("func", sorted(CONTRACT))
def test_signatures(app, func):
    mod = importlib.import_module(APPS[app])
    fn = getattr(mod, func)
    assert callable(fn)
    params = list(inspect.signature(fn).parameters.values())
    want = CONTRACT[func]
    got = [(p.name, p.kind, p.default) for p in params[: len(want)]]
    assert got == want, f"{app}.{func}{inspect.signature(fn)}"
    # anything an app adds comes after, keyword-only (or **settings)
    extra = params[len(want) :]
    assert all(p.kind in (KW, P.VAR_KEYWORD) for p in extra), f"{app}.{func}: {extra}"
    impl = getattr(importlib.import_module(APPS[app] + ".app"), func)
    assert impl.__doc__ and "Examples" in impl.__doc__ and "Parameters" in impl.__doc__


@pytest.mark.parametrize("app", sorted(APPS))
def test_headline_metrics(app):
    mod = importlib.import_module(APPS[app])
    h = mod.HEADLINE_METRICS
    assert isinstance(h, tuple) and h and all(isinstance(k, str) for k in h)


def test_k2_cross_validation_is_leave_one_star_out():
    from spacekit.skopes import k2

    assert inspect.signature(k2.cross_validate).parameters["cv"].default == "loso"
    with pytest.raises(ValueError, match="loso"):
        k2.cross_validate("anything.csv", cv="kfold")
    assert k2.HEADLINE_METRICS == (
        "roc_auc_timescale_snr10",
        "recall_at_precision_0.9_timescale_snr10",
        "roc_auc_timescale_snr15",
        "recall_at_precision_0.9_timescale_snr15",
    )


@pytest.mark.parametrize(
    "cls",
    [
        "spacekit.skopes.hst.svm:SvmModel",
        "spacekit.skopes.jwst.cal:JwstMemoryModel",
        "spacekit.skopes.hst.cal:CalModel",
        "spacekit.skopes.k2:K2Model",
    ],
)
def test_model_classes_are_scikit_learn_estimators(cls):
    from sklearn.base import clone

    mod, name = cls.split(":")
    klass = getattr(importlib.import_module(mod), name)
    est = klass()
    first = sorted(est.get_params())[0]
    est.set_params(**{first: est.get_params()[first]})
    copy = clone(est)
    assert type(copy) is klass and copy.get_params() == est.get_params()
    with pytest.raises(ValueError, match="no setting"):
        est.set_params(not_a_setting=1)


def test_model_classes_import_no_scikit_learn_until_fit():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from spacekit.skopes.hst.svm import SvmModel\n"
        "from spacekit.skopes.jwst.cal import JwstMemoryModel\n"
        "from spacekit.skopes.hst.cal import CalModel, load_model\n"
        "SvmModel(); JwstMemoryModel(); CalModel()\n"
        "print('sklearn' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ------------------------------------------------------------------ the same cells, every app
@pytest.fixture(scope="module")
def svm_table():
    # the shared data beside the checkout (not `from conftest import ...`: with tests/interop
    # collected too, "conftest" may name the other conftest module)
    from pathlib import Path

    from spacekit.skopes.hst.svm import load_feature_table

    SHARED_DATA = (Path(__file__).resolve().parents[2] / "shared" / "data").resolve()

    frame = load_feature_table(SHARED_DATA / "hst_svm" / "svm_labeled_2021-07-28.csv")
    return frame.sample(300, random_state=0).reset_index(drop=True)


def _cells(app, data, runs, **train_kw):
    """train -> cross_validate -> score -> predict -> predict_batch -> load_model."""
    run = app.train(data, runs_dir=runs, fast=True, **train_kw)
    assert isinstance(run, Run) and run.model_dir.is_dir()
    manifest = read_manifest(run.model_dir)
    assert manifest.complete and manifest.source["kind"] == "trained"
    assert manifest.source["data_sha256"] == run.info["data_sha256"]
    raw = json.loads((run.model_dir / "model.json").read_text())
    assert raw["status"] == "complete" and raw["format_version"] == 1
    scores = app.score(run, data)
    assert list(scores)[: len(app.HEADLINE_METRICS)] == list(app.HEADLINE_METRICS)
    # a run folder, its model folder and the runs folder (newest complete) load alike
    for where in (run, run.path, run.model_dir, runs):
        assert type(app.load_model(where)) is type(app.load_model(run))
    return run, scores


def test_cells_svm(svm_table, tmp_path):
    from spacekit.skopes.hst import svm

    run, scores = _cells(svm, svm_table, tmp_path, kind="gb")
    assert 0 <= scores["roc_auc"] <= 1
    cv = svm.cross_validate(svm_table, n_splits=3, n_repeats=1, runs_dir=tmp_path, fast=True)
    assert cv.metrics["n_folds"] == 3
    pred = svm.predict(run, svm_table)
    assert list(pred.columns)[:3] == ["index", "probability", "label"]
    batch = svm.predict_batch(run, svm_table, chunk_size=70)
    pd.testing.assert_frame_equal(batch, pred)
    assert read_manifest(run.model_dir).feature_ranges["numexp"][0] >= 0


@pytest.mark.slow  # a quicker sibling stays in the fast tier
def test_svm_old_calls_warn(svm_table, tmp_path):
    from spacekit.skopes.hst import svm

    with pytest.warns(DeprecationWarning, match="'model' was renamed to 'kind'"):
        run = svm.train(svm_table, runs_dir=tmp_path, model="gb", fast=True)
    with pytest.warns(DeprecationWarning, match="cross_validate"):
        svm.evaluate(svm_table, model="gb", n_splits=3, repeats=1, fast=True, runs_dir=tmp_path)
    with pytest.warns(DeprecationWarning, match="predict_to_run"):
        old = svm.predict(run.model_dir, svm_table, runs_dir=tmp_path)
    assert isinstance(old, Run) and (old.path / "misaligned.txt").is_file()


def test_svm_out_of_range_inputs_warn(svm_table, tmp_path):
    from spacekit.skopes.hst import svm
    from spacekit.utils.manifest import OutOfRangeWarning

    run = svm.train(svm_table, runs_dir=tmp_path, kind="gb", fast=True)
    far = svm_table.head(3).copy()
    far["rms_ra"] = 1e9
    with pytest.warns(OutOfRangeWarning, match="rms_ra"):
        svm.predict(run, far)


def _as_before_the_manifest(folder, spec_file):
    """Turn a model folder into one written by spacekit before model.json: the settings (now
    model.json's details) in the app's own spec file, and no model.json."""
    manifest = folder / "model.json"
    (folder / spec_file).write_text(json.dumps(json.loads(manifest.read_text())["details"]))
    manifest.unlink()


def test_svm_folder_saved_before_the_manifest_loads(svm_table, tmp_path):
    from spacekit.skopes.hst import svm

    run = svm.train(svm_table, runs_dir=tmp_path, kind="gb", fast=True)
    _as_before_the_manifest(run.model_dir, "svm_model.json")
    model = svm.load_model(run)
    assert model.manifest_.legacy == "svm_model.json"
    assert len(svm.predict(model, svm_table)) == len(svm_table)


def test_cells_hst_cal(shared_data, tmp_path):
    from spacekit.skopes.hst import cal

    table = pd.read_csv(shared_data / "hst_cal" / "hst_cal_2021-05-11_latest.csv").sample(
        1500, random_state=0
    )
    run, scores = _cells(cal, table, tmp_path, figures=False)
    assert 0 <= scores["under_bin_rate"] <= 1
    ranges = read_manifest(run.model_dir).feature_ranges
    assert set(ranges) == set(cal.FEATURES)
    one = cal.predict(
        run,
        (
            "la8p01010",
            shared_data / "hst_cal" / "MemModelFeatures" / "la8p01010_MemModelFeatures.txt",
        ),
    )
    assert {"memBin", "memVal", "clockTime"} <= set(one)
    rows = cal.predict(run, table.head(50))
    batch = cal.predict_batch(run, table.head(50), chunk_size=20)
    pd.testing.assert_frame_equal(batch, rows)
    cv = cal.cross_validate(table, n_splits=3, n_repeats=1, runs_dir=tmp_path, fast=True)
    assert isinstance(cv, Run) and "under_bin_rate" in cv.metrics["mean"]
    with pytest.warns(DeprecationWarning, match="run.metrics"):
        assert cv["mean"] == cv.result["mean"]
    with pytest.warns(DeprecationWarning, match="runs_dir=out_dir"):
        old = cal.train(table, tmp_path / "old", fast=True, figures=False)
    with pytest.warns(DeprecationWarning, match=r"predict_batch\(model, data\)"):
        pd.testing.assert_frame_equal(cal.predict_batch(table.head(50), old.model_dir), rows)
    with pytest.warns(DeprecationWarning, match="score"):
        assert cal.evaluate(run.model_dir, table)["n_rows"] == len(table)


@pytest.mark.parametrize("seed", [0])
def test_cal_model_estimator_fits_and_predicts(shared_data, seed):
    from spacekit.skopes.hst.cal import CalModel

    table = pd.read_csv(shared_data / "hst_cal" / "hst_cal_2021-05-11_latest.csv").sample(
        1200, random_state=seed
    )
    model = CalModel(fast=True, seed=seed).fit(table)
    out = model.predict(table.head(10))
    assert out["memBin"].between(0, 3).all() and np.isfinite(out["memVal"]).all()


@pytest.mark.parametrize("app", ["cal", "svm", "jwst", "k2"])
def test_cli_shape(app, capsys):
    """``spacekit <app> train | cv | score | predict DATA...`` with --runs, --model, --seed,
    --json; --help says registered dataset names are accepted."""
    from spacekit.cli import build_parser

    parser = build_parser()
    a = parser.parse_args([app, "train", "D", "--runs", "R", "--seed", "3", "--json"])
    assert (a.data, a.runs, a.seed, a.json) == ("D", "R", 3, True)
    a = parser.parse_args([app, "cv", "D", "--runs", "R", "--seed", "2", "--json"])
    assert (a.data, a.runs, a.seed, a.json) == ("D", "R", 2, True)
    a = parser.parse_args([app, "score", "D", "--model", "M", "--json"])
    assert (a.data, a.model, a.json) == ("D", "M", True)
    a = parser.parse_args([app, "predict", "D", "--model", "M"])
    assert a.model == "M"
    for action in ("train", "score"):
        with pytest.raises(SystemExit):
            parser.parse_args([app, action, "--help"])
        assert "registered dataset name" in " ".join(capsys.readouterr().out.split())


def test_cli_old_flags_still_work_and_warn(capsys):
    from spacekit.cli import build_parser

    parser = build_parser()
    a = parser.parse_args(["cal", "train", "--data", "D", "--out", "R"])
    assert (a.data_option, a.runs) == ("D", "R")
    a = parser.parse_args(["cal", "score", "--models", "M", "--data", "D"])
    assert a.model == "M"
    a = parser.parse_args(["svm", "train", "D", "--model", "gb"])
    assert a.kind == "gb"
    a = parser.parse_args(["svm", "predict", "D", "--model-dir", "M"])
    assert a.model == "M"
    a = parser.parse_args(["jwst", "predict", "D", "--models", "M"])
    assert a.model == "M"
    a = parser.parse_args(["k2", "train", "D", "--network", "global"])
    assert a.network == "global"
    err = capsys.readouterr().err
    for old in ("--data", "--out", "--models", "--model-dir", "--network"):
        assert f"{old} is deprecated" in err
    assert "svm --model KIND is deprecated" in err


def test_dashboard_shows_each_apps_headline_metrics_first():
    from spacekit.dashboard.pages.evaluate import _default_metrics
    from spacekit.skopes import headline_metrics

    assert headline_metrics("k2")[0] == "roc_auc_timescale_snr10"
    svm_columns = ["n", "accuracy", "recall_misaligned", "roc_auc", "precision_misaligned"]
    assert _default_metrics(svm_columns)[:3] == svm_columns[2:]
    k2_columns = ["train_loss", "roc_auc_timescale_snr15", "k2.overall.f1"]
    assert _default_metrics(k2_columns)[0] == "roc_auc_timescale_snr15"


def test_jwst_folder_saved_before_the_manifest_loads(tmp_path):
    from spacekit.skopes.jwst import cal

    data = cal.example_products(40)
    run = cal.train(data, runs_dir=tmp_path, fast=True)
    _as_before_the_manifest(run.model_dir, "jwst_model.json")
    model = cal.load_model(tmp_path)  # found in the runs folder by its jwst_model.json
    assert model.manifest_.legacy == "jwst_model.json" and model.manifest_.feature_ranges is None
    assert len(cal.predict(model, data)) == 40


def test_hst_cal_folder_saved_before_the_manifest_loads(tmp_path):
    from spacekit.datasets import load
    from spacekit.skopes.hst import cal

    data = load("hst_cal_2021_05_11").sample(1500, random_state=1)
    run = cal.train(data, runs_dir=tmp_path, fast=True, figures=False)
    (run.model_dir / "model.json").unlink()
    model = cal.load_model(run)
    assert model.manifest_.legacy == "metadata.json"
    assert len(cal.predict(model, data.head(5))) == 5

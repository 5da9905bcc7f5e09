"""spacekit.utils.manifest: one model.json in every model folder, one writer, one reader."""

from __future__ import annotations

import json
import warnings

import pandas as pd
import pytest

from spacekit.exceptions import DataNotFoundError, ModelLoadError
from spacekit.utils import manifest as mf


def _write(folder, app="demo", **kw):
    with mf.writing_model(folder, app=app, source=mf.trained_source("ab" * 32), **kw) as m:
        (folder / "weights.npz").write_bytes(b"x")
    return m


def test_round_trip_and_schema(tmp_path):
    train = pd.DataFrame({"a": [0.0, 1.0, 2.0], "b": [5.0, 6.0, float("nan")], "s": list("xyz")})
    _write(tmp_path, ranges=mf.feature_ranges(train), headline_metrics={"roc_auc": 0.9})
    raw = json.loads((tmp_path / "model.json").read_text())
    assert set(raw) >= {
        "app",
        "format_version",
        "spacekit_version",
        "source",
        "features",
        "feature_ranges",
        "headline_metrics",
        "status",
    }
    assert raw["source"]["kind"] == "trained" and raw["source"]["data_sha256"] == "ab" * 32
    assert raw["feature_ranges"] == {"a": [0.0, 2.0], "b": [5.0, 6.0]}
    assert raw["features"] == ["a", "b"] and raw["files"] == ["weights.npz"]
    m = mf.read_manifest(tmp_path, app="demo")
    assert m.complete and m.headline_metrics == {"roc_auc": 0.9} and m.legacy is None


def test_interrupted_write_is_incomplete_and_skipped(tmp_path):
    good = tmp_path / "demo" / "20260101-000000-a" / "model"
    good.mkdir(parents=True)
    _write(good)
    bad = tmp_path / "demo" / "20260102-000000-b" / "model"
    bad.mkdir(parents=True)
    with pytest.raises(RuntimeError):
        with mf.writing_model(bad, app="demo"):
            raise RuntimeError("killed")
    assert json.loads((bad / "model.json").read_text())["status"] == "writing"
    with pytest.raises(ModelLoadError, match="incomplete"):
        mf.read_manifest(bad)
    with pytest.raises(ModelLoadError, match="incomplete"):
        mf.find_model_folder(bad.parent, "demo")  # asked for by name: say why not
    assert mf.find_model_folder(tmp_path, "demo") == good  # newest complete
    assert mf.find_model_folder(good.parent, "demo") == good  # run folder
    assert mf.find_model_folder(None, "demo", default=good) == good
    with pytest.raises(DataNotFoundError, match="no other model"):
        mf.find_model_folder(tmp_path, "other")


def test_other_app_refused(tmp_path):
    _write(tmp_path, app="hst_svm")
    with pytest.raises(ModelLoadError, match="not 'k2'"):
        mf.read_manifest(tmp_path, app="k2")


def test_newer_format_refused(tmp_path):
    (tmp_path / "model.json").write_text(json.dumps({"app": "x", "format_version": 99}))
    with pytest.raises(ModelLoadError, match="format_version 99"):
        mf.read_manifest(tmp_path)


@pytest.mark.parametrize(
    "app,name,spec",
    [
        ("hst_svm", "svm_model.json", {"app": "hst_svm", "kind": "gb", "features": ["numexp"]}),
        ("jwst_cal", "jwst_model.json", {"app": "jwst_cal", "features": {"IMAGE": ["a", "b"]}}),
        ("hst_cal", "metadata.json", {"format": "spacekit.hst_cal/2", "features": ["n_files"]}),
        ("k2", "metadata.json", {"app": "k2", "training_data_sha256": "cd" * 32}),
    ],
)
def test_legacy_folders_read(tmp_path, app, name, spec):
    (tmp_path / name).write_text(json.dumps(spec))
    m = mf.read_manifest(tmp_path)
    assert m.app == app and m.complete and m.legacy == name and m.feature_ranges is None
    assert mf.read_manifest(tmp_path, app=app).app == app
    assert mf.is_model_folder(tmp_path, app)
    if app == "k2":
        assert m.source["data_sha256"] == "cd" * 32


def test_svm_keras_metadata_is_not_taken_for_k2(tmp_path):
    (tmp_path / "metadata.json").write_text(json.dumps({"svm": {"kind": "mlp"}}))
    assert not mf.is_model_folder(tmp_path, "k2")
    assert not mf.is_model_folder(tmp_path)


def test_out_of_range_and_warning(tmp_path):
    m = mf.ModelManifest(app="demo", feature_ranges={"x": [0.0, 1.0], "y": [0.0, 1.0]})
    table = pd.DataFrame({"x": [0.5, 2.0, -1.0, float("nan")], "y": [0.1, 0.2, 0.3, 0.4]})
    found = mf.out_of_range(m.feature_ranges, table)
    assert found == {"x": {"range": [0.0, 1.0], "n_below": 1, "n_above": 1, "rows": [1, 2]}}
    with pytest.warns(mf.OutOfRangeWarning, match=r"x \(2 values outside \[0, 1\]\)"):
        mf.check_ranges(m, table)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert mf.check_ranges(m, table[:1]) == {}
        # no ranges (imported model): nothing to warn about, said once in the log
        assert mf.check_ranges(mf.ModelManifest(app="imp"), table) == {}


def test_a_listed_file_missing_is_incomplete(tmp_path):
    _write(tmp_path)
    (tmp_path / "weights.npz").unlink()  # a partial copy
    with pytest.raises(ModelLoadError, match=r"\['weights.npz'\].*missing"):
        mf.read_manifest(tmp_path)
    assert not mf.is_model_folder(tmp_path)

"""The default model folder: its place in the search order and its bit-for-bit rebuild."""

from __future__ import annotations

import pandas as pd
import pytest


@pytest.fixture(scope="module")
def sample():
    from pathlib import Path

    shared = (Path(__file__).resolve().parent.parent.parent / "shared" / "data").resolve()
    return pd.read_csv(shared / "hst_cal" / "hst_cal_2021-05-11_latest.csv").sample(
        3000, random_state=3
    )


@pytest.mark.slow
def test_rebuild_is_bit_for_bit(sample, tmp_path):
    from spacekit.skopes.hst.cal import load_predictor
    from spacekit.skopes.hst.cal.default_model import build_default_model

    a = build_default_model(tmp_path / "a", data=sample, fast=True)
    b = build_default_model(tmp_path / "b", data=sample, fast=True)
    assert a["files"] == b["files"] and "metadata.json" in a["files"]
    assert {p.name: p.read_bytes() for p in (tmp_path / "a").iterdir()} == {
        p.name: p.read_bytes() for p in (tmp_path / "b").iterdir()
    }
    check = build_default_model(tmp_path / "a", data=sample, fast=True, check=True)
    assert check["identical"] and check["differ"] == []
    (tmp_path / "a" / "bin.npz").write_bytes(b"x")
    again = build_default_model(tmp_path / "a", data=sample, fast=True, check=True)
    assert not again["identical"] and again["differ"] == ["bin.npz"]
    pred = load_predictor(tmp_path / "b")
    assert pred.metadata["created"] == "2021-05-11T13:40:41+00:00"
    assert "train_seconds" not in pred.metadata


@pytest.mark.slow
def test_the_shipped_model_is_what_the_code_builds_today(shared_data):
    """``spacekit cal build-default-model --check`` on the package's folder: a change to the
    training code that changes the model fails here until the folder is rebuilt and committed
    (docs/maintaining.rst, "The shipped HST calibration model")."""
    from spacekit.skopes.hst.cal.default_model import DEFAULT_MODEL_DIR, build_default_model

    check = build_default_model(DEFAULT_MODEL_DIR, check=True)
    assert check["identical"], (
        f"the shipped default model differs from a rebuild: {check['differences']}; rebuild it "
        "with `spacekit cal build-default-model` from a checkout and commit the folder"
    )


def test_search_order(sample, tmp_path, monkeypatch, shared_data):
    from spacekit.config import conf
    from spacekit.exceptions import DataNotFoundError
    from spacekit.skopes.hst.cal import default_model, load_predictor
    from spacekit.skopes.hst.cal.default_model import build_default_model

    shipped = tmp_path / "shipped"
    build_default_model(shipped, data=sample, fast=True)
    monkeypatch.setattr(default_model, "DEFAULT_MODEL_DIR", shipped)
    monkeypatch.delenv("SPACEKIT_HST_CAL_MODEL_DIR", raising=False)
    with conf.set_temp("model_dir", str(tmp_path / "models")):
        assert load_predictor().model_dir == str(shipped)  # nothing else: the shipped folder
        mine = tmp_path / "models" / "hst_cal"
        build_default_model(mine, data=sample.sample(2500, random_state=4), fast=True)
        assert load_predictor().model_dir == str(mine)  # <model_dir>/hst_cal first
        monkeypatch.setenv("SPACEKIT_HST_CAL_MODEL_DIR", str(shipped))
        assert load_predictor().model_dir == str(shipped)  # the variable overrides
        monkeypatch.delenv("SPACEKIT_HST_CAL_MODEL_DIR")
        monkeypatch.setattr(default_model, "DEFAULT_MODEL_DIR", tmp_path / "empty")
        (mine / "metadata.json").unlink()
        with pytest.raises(DataNotFoundError):
            load_predictor()


def test_package_folder_ships_the_model_with_its_readme():
    from spacekit.skopes.hst.cal.default_model import DEFAULT_MODEL_DIR

    for name in ("README.txt", "metadata.json", "model.json"):
        assert (DEFAULT_MODEL_DIR / name).is_file(), name


def _perturb_last_bits(value):
    """The JSON value with every float moved by one ulp (a sum in another order)."""
    import math

    if isinstance(value, dict):
        return {k: _perturb_last_bits(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_perturb_last_bits(v) for v in value]
    if isinstance(value, float) and value:
        return math.nextafter(value, math.inf)
    return value


def test_check_ignores_the_version_and_last_bits_of_json_floats(tmp_path):
    """``build-default-model --check`` said the shipped folder "differs" from a rebuild with
    identical arrays: its JSON files differed in the spacekit version and the last bits of
    float metrics. They now compare equal; the arrays must still match bit for bit."""
    import json
    import shutil

    from spacekit.skopes.hst.cal.default_model import DEFAULT_MODEL_DIR, model_folder_differences

    shipped, rebuilt = tmp_path / "shipped", tmp_path / "rebuilt"
    shutil.copytree(DEFAULT_MODEL_DIR, shipped)
    shutil.copytree(DEFAULT_MODEL_DIR, rebuilt)
    for name in ("metadata.json", "model.json"):
        doc = _perturb_last_bits(json.loads((shipped / name).read_text()))
        doc["spacekit_version"] = "9.9.9.dev1+gdeadbeef"
        (rebuilt / name).write_text(json.dumps(doc, indent=2))
    assert (rebuilt / "metadata.json").read_bytes() != (shipped / "metadata.json").read_bytes()
    assert model_folder_differences(rebuilt, shipped) == {}


def test_check_lists_what_differs(tmp_path):
    import json

    import numpy as np

    from spacekit.skopes.hst.cal.default_model import model_folder_differences

    a, b = tmp_path / "a", tmp_path / "b"
    arrays = {"w": np.linspace(0.0, 1.0, 7), "i": np.arange(4, dtype=np.int32)}
    meta = {"spacekit_version": "1", "metrics": {"rmse": 0.25, "n": 3}, "bins": [1.0, 2.0]}
    for folder in (a, b):
        folder.mkdir()
        np.savez(folder / "m.npz", **arrays)
        (folder / "metadata.json").write_text(json.dumps(meta))
        (folder / "README.txt").write_text(folder.name)  # never compared
    assert model_folder_differences(a, b) == {}

    w = arrays["w"].copy()
    w[3] = np.nextafter(w[3], 2.0)  # one ulp: arrays are compared exactly
    np.savez(b / "m.npz", w=w, i=arrays["i"].astype(np.int64))
    changed = {"spacekit_version": "2", "metrics": {"rmse": 0.25 * (1 + 1e-6), "n": 3.5}}
    (b / "metadata.json").write_text(json.dumps(changed))
    (b / "extra.npz").write_bytes(b"not a zip")
    (a / "only_here.json").write_text("{}")
    diffs = model_folder_differences(a, b)
    assert diffs == {
        "extra.npz": ["not in the rebuild"],
        "m.npz": [
            "i: int64[4] here, int32[4] in the rebuild",
            "w: 1 of 7 values differ from the rebuild's",
        ],
        "metadata.json": [
            "bins: missing here, present in the rebuild",
            "metrics.n: 3.5 here, 3 in the rebuild",
            f"metrics.rmse: {0.25 * (1 + 1e-6)!r} here, 0.25 in the rebuild",
        ],
        "only_here.json": ["missing here, present in the rebuild"],
    }
    assert model_folder_differences(a, b, rtol=1e-5)["metadata.json"][-1].startswith("metrics.n")


def test_cli_check_says_what_differs(tmp_path, monkeypatch, capsys):
    import json

    from spacekit.cli import main
    from spacekit.skopes.hst.cal import default_model

    a, b = tmp_path / "a", tmp_path / "b"
    for folder, rmse in ((a, 0.25), (b, 0.5)):
        folder.mkdir()
        (folder / "metadata.json").write_text(json.dumps({"metrics": {"rmse": rmse}}))

    def fake_build(out_dir, *, check):
        differences = default_model.model_folder_differences(a, out_dir)
        return {
            "folder": str(out_dir),
            "files": {},
            "identical": not differences,
            "differ": sorted(differences),
            "differences": differences,
        }

    monkeypatch.setattr(default_model, "build_default_model", fake_build)
    assert main(["cal", "build-default-model", "--check", "--out", str(b)]) == 1
    err = capsys.readouterr().err
    assert "differs from a rebuild in ['metadata.json']" in err
    assert "metadata.json: metrics.rmse: 0.5 here, 0.25 in the rebuild" in err
    assert main(["cal", "build-default-model", "--check", "--out", str(a)]) == 0
    assert "identical to a rebuild" in capsys.readouterr().out

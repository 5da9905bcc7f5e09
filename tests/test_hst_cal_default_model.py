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


def test_package_folder_holds_only_the_readme_until_models_ship():
    from spacekit.skopes.hst.cal.default_model import DEFAULT_MODEL_DIR

    assert (DEFAULT_MODEL_DIR / "README.txt").is_file()

"""Regression tests for the defects the property-based suite (tests/test_fuzz_inputs.py) and
issue 16 item 7 found: each failed before its fix with a raw exception or a wrong answer."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from spacekit import io as skio
from spacekit.exceptions import DataNotFoundError, FormatError, InputError

LONG = "N" * 300 + ".csv"  # longer than any file name (255 bytes): stat() raises ENAMETOOLONG


@pytest.mark.parametrize(
    "reader",
    [
        skio.read_table,
        skio.read_fits_table,
        skio.read_fits_header,
        skio.read_fits_image,
        skio.read_hdf5,
        skio.read_asdf,
        skio.read_json,
        skio.read_npz,
        skio.read_png,
    ],
)
def test_readers_say_not_found_for_a_name_too_long_to_exist(reader):
    with pytest.raises(DataNotFoundError, match="does not exist"):
        reader(LONG)


def test_resolver_and_loaders_say_not_found_for_a_name_too_long_to_exist():
    from spacekit.datasets.tables import resolve_table
    from spacekit.skopes.k2.kaggle import read_flux_table_with_meta
    from spacekit.transformer import read_lightcurve

    for fn in (resolve_table, read_flux_table_with_meta, read_lightcurve):
        with pytest.raises(DataNotFoundError):
            fn(LONG)


def test_resolver_takes_tilde_of_an_unknown_user_as_a_path():
    from spacekit.datasets.tables import resolve_table

    # Path.expanduser raised RuntimeError("Could not determine home directory")
    with pytest.raises(DataNotFoundError, match="~nosuchuser0/x.csv"):
        resolve_table("~nosuchuser0/x.csv")


def test_atomic_writes_of_a_name_near_the_limit(tmp_path):
    # the temporary name (".<name>.XXXXXXXX.tmp") went over 255 bytes: raw OSError
    name = "W" * 245 + ".csv"
    frame = pd.DataFrame({"a": [1, 2]})
    skio.write_table(frame, tmp_path / name)
    skio.write_npz(tmp_path / (name[:-4] + ".npz"), x=np.arange(3))
    assert sorted(p.name for p in tmp_path.iterdir()) == [name, name[:-4] + ".npz"]
    assert skio.read_table(tmp_path / name)["a"].tolist() == [1, 2]


@pytest.mark.parametrize("value", [object(), np.array([object(), 1], dtype=object)])
def test_write_asdf_refuses_objects_it_cannot_store(tmp_path, value):
    with pytest.raises(InputError, match="ASDF"):
        skio.write_asdf(tmp_path / "a.asdf", {"v": value})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "value", [None, np.array([object(), 1], dtype=object), np.array(["a", "b"]), np.zeros((0, 2))]
)
def test_write_fits_image_refuses_non_numeric_arrays(tmp_path, value):
    with pytest.raises(InputError, match="numeric image"):
        skio.write_fits_image(tmp_path / "i.fits", value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "value",
    [[0], np.array(["a", None], dtype=object), pd.DataFrame({"o": [object(), 1]}), None],
)
def test_write_fits_table_refuses_what_fits_cannot_hold(tmp_path, value):
    with pytest.raises(InputError):
        skio.write_fits_table(value, tmp_path / "t.fits")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("cut", [0, 10, 200])
def test_svm_image_archive_truncated(tmp_path, cut):
    from spacekit.skopes.hst.svm.images import load_image_arrays

    whole = tmp_path / "whole.npz"
    np.savez(whole, index=np.array(["v1"]), images=np.zeros((1, 3, 128, 128, 3), np.uint8))
    bad = tmp_path / "imgs.npz"
    bad.write_bytes(whole.read_bytes()[:cut] if cut else b"")
    with pytest.raises(FormatError, match="imgs.npz"):
        load_image_arrays(bad)


def test_k2_flux_table_refuses_non_paths_and_folders(tmp_path):
    from spacekit.skopes.k2.kaggle import read_flux_table_with_meta

    with pytest.raises(InputError, match="NoneType"):
        read_flux_table_with_meta(None)
    with pytest.raises(DataNotFoundError, match="folder"):
        read_flux_table_with_meta(tmp_path)


# --------------------------------------------------------------------------- issue 16 item 7
def test_read_lightcurve_names_png_and_npz_for_what_they_are(tmp_path):
    from spacekit.transformer import read_lightcurve

    png = skio.write_png(tmp_path / "lc.png", np.zeros((4, 4), np.uint8))
    npz = skio.write_npz(tmp_path / "lc.npz", t=np.arange(3.0), f=np.ones(3))
    for path, what in ((png, "PNG image"), (npz, "npz")):
        for tf in (None, "btjd"):
            with pytest.raises(FormatError, match=what) as err:
                read_lightcurve(path, time_format=tf)
            assert "is a csv" not in str(err.value)


def test_read_lightcurve_refuses_a_header_naming_no_time_or_flux(tmp_path):
    from spacekit.transformer import read_lightcurve

    p = tmp_path / "table.csv"
    p.write_text("a,b,c\n1,2,3\n4,5,6\n")
    with pytest.raises(FormatError, match=r"neither a time column.*found \['a', 'b', 'c'\]"):
        read_lightcurve(p, time_format="btjd")
    # a header naming one of them, or none at all, still reads
    (tmp_path / "t.csv").write_text("time,brightness\n1325.0,1.0\n1325.1,1.1\n")
    assert len(read_lightcurve(tmp_path / "t.csv", time_format="btjd")) == 2
    (tmp_path / "n.csv").write_text("1325.0,1.0\n1325.1,1.1\n")
    assert len(read_lightcurve(tmp_path / "n.csv", time_format="btjd")) == 2


@pytest.mark.parametrize(
    "argv", [["svm", "train"], ["cal", "train"], ["jwst", "train"], ["k2", "train"]]
)
def test_missing_file_is_file_not_found_not_unknown_dataset(argv, capsys):
    from spacekit.cli import main

    assert main([*argv, "/missing/file.csv"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("spacekit: error:") and err.count("\n") == 1
    assert "file not found" in err and "/missing/file.csv" in err
    assert "no dataset named" not in err


@pytest.mark.parametrize("arg", ["missing.csv", "sub/dir/x", "a\\b"])
def test_resolver_path_like_strings_are_file_not_found(arg):
    from spacekit.datasets.tables import resolve_table

    with pytest.raises(DataNotFoundError, match="file not found") as err:
        resolve_table(arg)
    assert "no dataset named" not in str(err.value)


def test_cal_lambda_event_file_that_is_not_text_or_too_long_a_name(tmp_path, capsys):
    from spacekit.cli import main

    ev = tmp_path / "event.json"
    ev.write_bytes(b"\x80\x81")
    assert main(["cal", "lambda-event", str(ev)]) == 1  # was a raw UnicodeDecodeError
    assert "not UTF-8" in capsys.readouterr().err
    assert main(["cal", "lambda-event", "E" * 300]) == 1  # was a raw OSError (name too long)
    assert "expected a .json file" in capsys.readouterr().err


# --------------------------------------------------------------------------- out of range
@pytest.fixture(scope="module")
def cal_model(shared_data_module, tmp_path_factory):
    from spacekit.skopes.hst.cal import train

    df = pd.read_csv(shared_data_module / "hst_cal" / "hst_cal_2021-05-11_latest.csv")
    run = train(df.sample(1500, random_state=1), runs_dir=tmp_path_factory.mktemp("r"), fast=True)
    return run.path / "model"


@pytest.fixture(scope="module")
def shared_data_module():
    import os
    from pathlib import Path

    return Path(os.environ["SPACEKIT_DATA_MIRROR"])  # ../shared/data, set by conftest


FAR = "n_files=1000000000000\ntotal_mb=5\nDETECTOR=UVIS\n"


def test_hst_cal_predict_flags_inputs_far_outside_training(
    cal_model, capsys, tmp_path, shared_data_module
):
    from spacekit.cli import main
    from spacekit.skopes.hst.cal import app
    from spacekit.utils.manifest import OutOfRangeWarning

    with pytest.warns(OutOfRangeWarning, match="n_files"):
        r = app.predict(cal_model, ("ib8t01010", FAR))
    assert r["outOfRange"] == ["n_files"]
    near = app.predict(cal_model, ("ib8t01010", "n_files=2\ntotal_mb=5\nDETECTOR=UVIS\n"))
    assert near["outOfRange"] == []
    table = pd.read_csv(shared_data_module / "hst_cal" / "hst_cal_sample_20.csv").iloc[:3]
    table.loc[1, "n_files"] = 10**12
    with pytest.warns(OutOfRangeWarning):
        out = app.predict(cal_model, table)
    assert len(out) == 3 and "n_files" in out["out_of_range"].tolist()[1].split(",")
    # the command line says it in its JSON too
    mmf = tmp_path / "ib8t01010_MemModelFeatures.txt"
    mmf.write_text(FAR)
    with pytest.warns(OutOfRangeWarning):
        assert main(["cal", "predict", "--model", str(cal_model), str(mmf)]) == 0
    assert json.loads(capsys.readouterr().out)["outOfRange"] == ["n_files"]


def test_lambda_reply_warns_of_inputs_outside_training(
    cal_model, s3_bucket, s3_endpoint, monkeypatch
):
    import boto3

    from spacekit.skopes.hst.cal import handler

    monkeypatch.setenv("SPACEKIT_HST_CAL_MODEL_DIR", str(cal_model))
    key = "control/ib8t01010/ib8t01010_MemModelFeatures.txt"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.put_object(Bucket=s3_bucket, Key=key, Body=FAR.encode())
    reply = handler.lambda_handler({"Bucket": s3_bucket, "Key": key, "Ipppssoot": "ib8t01010"})
    assert reply["failSafe"] is False and set(reply) == set(handler.REPLY_KEYS)
    assert any("outside the training range" in w and "n_files" in w for w in reply["warnings"])


def test_model_without_ranges_says_once_it_cannot_check(cal_model, tmp_path, caplog):
    import logging
    import shutil

    from spacekit.skopes.hst.cal import app

    folder = tmp_path / "m"
    shutil.copytree(cal_model, folder)
    manifest = json.loads((folder / "model.json").read_text())
    manifest["feature_ranges"] = None
    (folder / "model.json").write_text(json.dumps(manifest))
    caplog.set_level(logging.INFO, logger="spacekit.utils.manifest")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no OutOfRangeWarning: nothing to check against
        r1 = app.predict(folder, ("ib8t01010", FAR))
        r2 = app.predict(folder, ("ib8t01010", FAR))
    assert r1["outOfRange"] is None and r2["outOfRange"] is None
    assert caplog.text.count("cannot be checked") == 1


def test_missing_model_folder_is_refused_without_loading_keras(tmp_path):
    import subprocess
    import sys

    # `spacekit k2 predict DATA --model /missing` took ~25 s (a TensorFlow import) to say so
    code = (
        "import sys\n"
        "from spacekit.builder import load_model\n"
        "from spacekit.exceptions import ModelLoadError\n"
        f"for f in [{str(tmp_path / 'missing')!r}, {str(tmp_path)!r}]:\n"
        "    try:\n"
        "        load_model(f)\n"
        "    except ModelLoadError:\n"
        "        pass\n"
        "print('keras' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["svm", "score", "x.csv", "--model"],
        ["cal", "predict", "x", "--model"],
        ["jwst", "predict", "x.csv", "--model"],
        ["k2", "score", "x.csv", "--model"],
    ],
)
def test_model_path_too_long_to_exist(argv, capsys):
    from spacekit.cli import main

    assert main([*argv, "M" * 300]) == 1  # was a raw OSError (File name too long)
    err = capsys.readouterr().err
    assert err.startswith("spacekit: error:") and "Traceback" not in err


def test_k2_predict_model_path_too_long_to_exist(capsys):
    from spacekit.cli import main

    # runs.model_folder raised a raw OSError (File name too long)
    assert main(["k2", "predict", "x.csv", "--model", "/tmp/" + "M" * 300]) == 1
    assert capsys.readouterr().err.startswith("spacekit: error:")

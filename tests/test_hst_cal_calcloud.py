"""calcloud's consumer arithmetic (spacekit.skopes.hst.cal.calcloud) and the reply contract."""

from __future__ import annotations

import json

import pytest

from spacekit.exceptions import InputError
from spacekit.skopes.hst.cal import calcloud as cc


def test_ladder_matches_features_constants():
    from spacekit.skopes.hst.cal import features

    assert cc.QUEUE_MEMORY_GB == features.BIN_QUEUES_GB
    assert cc.QUEUE_LIMIT_GB[:3] == features.BIN_EDGES_GB


@pytest.mark.parametrize(
    ("clock", "db_clock", "wc_std", "scale", "expected"),
    [
        (100, 1200, 5, 1, 1200),  # below the db_clock floor
        (1000, 1200, 5, 1, 6000),
        (1000, 1200, 0.5, 1, 1500),  # a row's wc_std
        (1000, 9000, 5, 1, 9000),  # a row's wallclock is a floor
        (1e9, 1200, 5, 1, 172800),  # 48 h cap
        (1e9, 1200, 5, 2, 345600),  # timeout_scale applies after the cap
        (1, 1, 5, 1, 60),  # the 60-second AWS Batch floor
        (1000.9, 1200, 5, 1, 6005),  # int() truncates, as calcloud's does
    ],
)
def test_kill_time(clock, db_clock, wc_std, scale, expected):
    got = cc.kill_time(clock, db_clock=db_clock, wc_std=wc_std, timeout_scale=scale)
    assert got == expected and isinstance(got, int)


def test_ddb_row_rules():
    assert cc.ddb_clock_and_std(None) == (1200.0, 5.0)
    assert cc.ddb_clock_and_std({}) == (1200.0, 5.0)
    assert cc.ddb_clock_and_std({"wallclock": "10", "wc_std": "2"}) == (10.0, 2.0)
    with pytest.raises(InputError, match="wallclock"):
        cc.ddb_clock_and_std({"ipst": "x", "wc_std": 1})
    with pytest.raises(InputError, match="numbers"):
        cc.ddb_clock_and_std({"ipst": "x", "wallclock": "ten"})


def test_queue_ladder():
    assert [cc.queue_index(0, r) for r in range(4)] == [0, 1, 2, 3]
    assert cc.queue_index(0, 1, memory_bin=2) == 3
    with pytest.raises(cc.AllBinsTriedQuit):
        cc.queue_index(0, 4)
    with pytest.raises(cc.AllBinsTriedQuit):
        cc.queue_index(3, 1)
    assert cc.memory_attempts(0, 1.792) == [0]
    assert cc.memory_attempts(0, 1.7921) == [0, 1]
    assert cc.memory_attempts(1, 100.0) == [1, 2, 3]
    assert [cc.queue_for_memory(g) for g in (0.1, 1.792, 7.0, 14.336, 14.4, 999)] == [
        0,
        0,
        1,
        2,
        3,
        3,
    ]


def test_plan_job():
    assert cc.plan_job({"memBin": 0, "clockTime": 10}) == {
        "queue": 0,
        "queue_gb": 2,
        "kill_time": 1200,
        "initial_bin": 0,
    }
    plan = cc.plan_job({"memBin": 2, "clockTime": 10}, memory_retries=1, ddb_row={"wallclock": 5})
    assert plan["queue"] == 3 and plan["kill_time"] == 60
    with pytest.raises(InputError, match="clockTime"):
        cc.plan_job({"memBin": 0})


def test_clock_time_for_kill_round_trips_exactly():
    for kill in list(range(1, 5000)) + [172799, 172800, 86400, 99999]:
        for wc_std in (5, 5.0, 2.5, 0):
            c = cc.clock_time_for_kill(kill, wc_std=wc_std)
            assert int(c * (1 + wc_std)) == kill
    assert cc.kill_time(cc.clock_time_for_kill(100)) == 1200  # calcloud's 20-minute floor stays


# --------------------------------------------------------------------------- the reply contract
MMF = "hst_cal/MemModelFeatures"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    from pathlib import Path

    import pandas as pd

    from spacekit.skopes.hst.cal import train

    shared = (Path(__file__).resolve().parent.parent.parent / "shared" / "data").resolve()
    df = pd.read_csv(shared / "hst_cal" / "hst_cal_2021-05-11_latest.csv").sample(
        4000, random_state=1
    )
    return train(
        df, runs_dir=tmp_path_factory.mktemp("runs"), seed=0, fast=True, name="contract"
    ).model_dir


@pytest.fixture
def control(shared_data, s3_bucket, s3_endpoint, model_dir, monkeypatch):
    """The 21 real feature files at calcloud's keys on a loopback S3 server; the model set."""
    import boto3

    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    files = sorted((shared_data / MMF).glob("*_MemModelFeatures.txt"))
    assert len(files) == 21
    for f in files:
        ipst = f.name[:9]
        client.put_object(
            Bucket=s3_bucket,
            Key=f"control/{ipst}/{ipst}_MemModelFeatures.txt",
            Body=f.read_bytes(),
        )
    monkeypatch.setenv("SPACEKIT_HST_CAL_MODEL_DIR", str(model_dir))
    return {"bucket": s3_bucket, "client": client, "ipsts": [f.name[:9] for f in files]}


def _calcloud_event(bucket, ipst):
    # what calcloud's invoke_lambda_predict sends (output_bucket without s3://)
    return {
        "Bucket": bucket,
        "Key": f"control/{ipst}/{ipst}_MemModelFeatures.txt",
        "Ipppssoot": ipst,
    }


def _independent_kill(reply, row=None, timeout_scale=1.0):
    """plan.py's arithmetic typed again from calcloud v0.4.48, not through calcloud.py."""
    db_clock, wc_std = 20 * 60, 5
    if row:
        db_clock = float(row["wallclock"])
        if "wc_std" in row:
            wc_std = float(row["wc_std"])
    clock = reply["clockTime"] * (1 + wc_std)
    kill = int(min(max(clock, db_clock), 48 * 60 * 60) * timeout_scale)
    return int(max(kill, 60))


@pytest.mark.parametrize(
    "row",
    [None, {"wallclock": 30}, {"wallclock": 2500.0}, {"wallclock": 20000}, {"wallclock": 2e5}],
    ids=["no-row", "row-30s", "row-2500s", "row-20000s", "row-over-48h"],
)
def test_calcloud_ends_at_the_calibrated_kill_time(control, row):
    from spacekit.skopes.hst.cal import handler

    killed_at_cap = 0
    for ipst in control["ipsts"]:
        reply = handler.lambda_handler(_calcloud_event(control["bucket"], ipst), None)
        assert reply["failSafe"] is False and reply["error"] is None, reply
        assert set(reply) == set(handler.REPLY_KEYS)
        assert json.loads(json.dumps(reply, allow_nan=False)) == reply  # what Lambda sends
        k = reply["killTime"]
        db_clock = float(row["wallclock"]) if row else 1200.0
        expected = int(min(max(k, db_clock), 172800))
        assert cc.plan_job(reply, ddb_row=row)["kill_time"] == expected
        assert _independent_kill(reply, row) == expected
        # 1 - kill ceiling under the cost rule (the default), 0.99 under the margins
        assert reply["killTimeCoverage"] in (0.9995, 0.99) and reply["wcStd"] == 5
        assert k >= reply["clockTimePred"] > 0
        # memory: the queue is the submitted bin (the cost rule may go below the classifier's
        # argmax when that is expected to cost 5% less: tests/test_hst_cal_cost.py)
        assert reply["memBin"] in (0, 1, 2, 3)
        assert cc.plan_job(reply, ddb_row=row)["queue_gb"] == reply["queueGB"]
        killed_at_cap += expected == 172800
        if reply["killTimeCoverage"] == 0.9995:  # the cost rule: never below calcloud's 6x
            assert k >= 6 * reply["clockTimePred"] - 1
    if row is None and reply["killTimeCoverage"] == 0.99:
        # the margins' 99% kill time is applied once: no real file reaches 48 h (the cost
        # rule's 99.95% one may: a kill time costs nothing until a job hangs)
        assert killed_at_cap == 0


def test_memory_ladder_from_the_reply(control):
    from spacekit.skopes.hst.cal import handler

    for ipst in control["ipsts"]:
        reply = handler.lambda_handler(_calcloud_event(control["bucket"], ipst))
        b = reply["memBin"]
        ladder = [cc.plan_job(reply, memory_retries=r)["queue"] for r in range(4 - b)]
        assert ladder == list(range(b, 4))
        with pytest.raises(cc.AllBinsTriedQuit):
            cc.plan_job(reply, memory_retries=4 - b)


def test_failsafe_table_is_the_999_coverage_of_each_instrument(shared_data):
    import numpy as np

    from spacekit.skopes.hst.cal.features import INSTRUMENTS, prepare_table
    from spacekit.skopes.hst.cal.handler import FAILSAFE

    t = prepare_table(shared_data / "hst_cal" / "hst_cal_2021-05-11_latest.csv")
    for letter, (_, code) in INSTRUMENTS.items():
        g = t[t["instr"] == code]
        b = int(np.quantile(g["mem_bin"], 0.999, method="higher"))
        w = int(np.ceil(np.quantile(g["wallclock"], 0.999, method="higher")))
        assert FAILSAFE[letter] == (b, w)
        assert (g["mem_bin"] <= b).mean() >= 0.999 and (g["wallclock"] <= w).mean() >= 0.999


def _assert_schedulable(reply):
    from spacekit.skopes.hst.cal.handler import REPLY_KEYS

    assert set(reply) == set(REPLY_KEYS)
    plan = cc.plan_job(reply)  # what calcloud does with it: no KeyError, a queue, a kill time
    assert 0 <= plan["queue"] <= 3 and 60 <= plan["kill_time"] <= 172800
    json.dumps(reply, allow_nan=False)  # a Lambda reply is JSON
    return plan


def test_failsafe_answers(control, caplog):
    import logging

    from spacekit.skopes.hst.cal import handler

    bucket, client = control["bucket"], control["client"]

    def put(ipst, body):
        client.put_object(
            Bucket=bucket, Key=f"control/{ipst}/{ipst}_MemModelFeatures.txt", Body=body
        )
        return handler.lambda_handler(_calcloud_event(bucket, ipst))

    caplog.set_level(logging.WARNING, logger="spacekit.skopes.hst.cal.handler")
    # a missing object: the instrument's 99.9% answer (WFC3: bin 3, 14,501 s)
    r = handler.lambda_handler(_calcloud_event(bucket, "idxx01010"))
    assert r["failSafe"] and (r["memBin"], r["killTime"]) == (3, 14501)
    assert "DataNotFoundError" in r["error"] and "idxx01010" in caplog.text
    assert _assert_schedulable(r)["kill_time"] == 14501
    # a file without n_files / total_mb (upstream defaulted them; we answer safe, with why)
    r = put("la9901010", b"total_mb=3.1\nDETECTOR=FUV\n")
    assert r["failSafe"] and (r["memBin"], r["killTime"]) == (1, 1329) and "n_files" in r["error"]
    _assert_schedulable(r)
    r = put("o9zz01010", b"n_files=3\n")
    assert r["failSafe"] and r["memBin"] == 0 and "total_mb" in r["error"]
    assert _assert_schedulable(r)["kill_time"] == 1200  # calcloud's 20-minute floor
    # not text, not key=value, too large (refused unread: the limit is checked first)
    for body in (b"\xff\xfe\x00garbage", b"<html>not a features file</html>"):
        r = put("jzzz01010", body)
        assert r["failSafe"] and (r["memBin"], r["killTime"]) == (3, 44718)
        _assert_schedulable(r)
    r = put("jzzz01010", b"n_files=1\ntotal_mb=1\n" + b"X=1\n" * 20000)
    assert r["failSafe"] and "over the limit" in r["error"] and "65536" in r["error"]
    # optional keys absent: production's defaults, a real prediction
    r = put("jzzy01010", b"n_files=2\ntotal_mb=30\n")
    assert r["failSafe"] is False and r["features"]["detector"] == 0
    # unknown keys: a prediction with the warning passed on
    r = put("jzzx01010", b"n_files=2\ntotal_mb=30\nFOO=1\n")
    assert r["failSafe"] is False and any("FOO" in w for w in r["warnings"])
    # an unknown instrument letter or a name that is no ipppssoot: bin 3, 48 h
    r = handler.lambda_handler(
        {"Bucket": bucket, "Key": "control/x/x_MemModelFeatures.txt", "Ipppssoot": "zzzz01010"}
    )
    assert r["failSafe"] and (r["memBin"], r["killTime"]) == (3, 172800)
    assert _assert_schedulable(r)["kill_time"] == 172800
    # no Ipppssoot: taken from the Key, with a warning
    key = "control/ib8t01010/ib8t01010_MemModelFeatures.txt"
    r = handler.lambda_handler({"Bucket": bucket, "Key": key})
    assert r["failSafe"] is False and r["ipst"] == "ib8t01010" and r["warnings"]
    # invalid events: the documented error reply (bin 3, 48 h, error "invalid event ...")
    for event in (
        None,
        [],
        "text",
        7,
        {},
        {"Bucket": bucket},
        {"Key": key},
        {"Bucket": "", "Key": key},
    ):
        r = handler.lambda_handler(event)
        assert r["failSafe"] and r["error"].startswith("invalid event")
        assert (r["memBin"], r["killTime"]) == (3, 172800)
        _assert_schedulable(r)
    # a bucket that does not exist, a model folder that cannot be loaded
    r = handler.lambda_handler(_calcloud_event("no-such-bucket-here", "ib8t01010"))
    assert r["failSafe"] and r["memBin"] == 3


def test_failsafe_when_the_model_cannot_be_loaded(control, tmp_path, monkeypatch):
    from spacekit.skopes.hst.cal import handler

    monkeypatch.setenv("SPACEKIT_HST_CAL_MODEL_DIR", str(tmp_path / "no-model"))
    r = handler.lambda_handler(_calcloud_event(control["bucket"], "la8p01010"))
    assert r["failSafe"] and "no hst_cal model folder" in r["error"] and r["memBin"] == 1
    _assert_schedulable(r)


def test_library_functions_still_raise(model_dir, tmp_path):
    from spacekit.exceptions import DataNotFoundError
    from spacekit.skopes.hst.cal import load_predictor

    pred = load_predictor(model_dir)
    with pytest.raises(InputError, match="n_files"):
        pred.predict("la8p01010", "total_mb=3\nDETECTOR=FUV")
    with pytest.raises(DataNotFoundError):
        pred.predict("la8p01010", tmp_path / "missing_MemModelFeatures.txt")


# --------------------------------------------------------------------------- size limits, paths
def test_oversized_features_are_refused_before_reading(model_dir, tmp_path, monkeypatch):
    from pathlib import Path

    from spacekit.skopes.hst.cal import load_predictor, parse_memmodel_features
    from spacekit.skopes.hst.cal.features import MAX_FEATURES_BYTES, features_from_mapping

    big = tmp_path / "ib8t01010_MemModelFeatures.txt"
    big.write_bytes(b"n_files=1\ntotal_mb=1\n" + b"#" * (MAX_FEATURES_BYTES + 10))
    reads = []
    real_open = Path.open

    def spy(self, *a, **k):
        reads.append(self)
        return real_open(self, *a, **k)

    monkeypatch.setattr(Path, "open", spy)
    pred = load_predictor(model_dir)
    with pytest.raises(InputError, match="over the 65536-byte limit"):
        pred.predict("ib8t01010", big)
    assert big not in reads  # refused from its size, never opened
    monkeypatch.undo()
    with pytest.raises(InputError, match="more than the limit"):
        parse_memmodel_features("n_files=1\ntotal_mb=1\n" + "FOO=1\n" * 20000, "ib8t01010")
    with pytest.raises(InputError, match="keys, more than"):
        features_from_mapping({f"K{i}": "1" for i in range(300)}, "ib8t01010")


def test_many_unknown_keys_warn_once():
    import warnings

    from spacekit.skopes.hst.cal import CalFeatureWarning, parse_memmodel_features

    text = "n_files=1\ntotal_mb=1\n" + "".join(f"K{i}=1\n" for i in range(100))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parse_memmodel_features(text, "ib8t01010")
    hits = [w for w in caught if issubclass(w.category, CalFeatureWarning)]
    assert len(hits) == 1 and "and 90 more" in str(hits[0].message)


def test_s3_read_bytes_max_bytes(s3_bucket, s3_endpoint):
    import boto3

    from spacekit.radio import s3_read_bytes, s3_read_text

    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.put_object(Bucket=s3_bucket, Key="a.txt", Body=b"x" * 1000)
    url = f"s3://{s3_bucket}/a.txt"
    assert s3_read_bytes(url, max_bytes=1000) == b"x" * 1000
    with pytest.raises(InputError, match="1000 bytes, over the limit of 999"):
        s3_read_bytes(url, max_bytes=999)
    with pytest.raises(InputError, match="over the limit"):
        s3_read_text(url, max_bytes=10)


def test_path_with_equals_sign_is_a_path(model_dir, shared_data, tmp_path, capsys, monkeypatch):
    from spacekit.cli import main
    from spacekit.exceptions import DataNotFoundError
    from spacekit.skopes.hst.cal import load_predictor

    src = shared_data / MMF / "ib8t01010_MemModelFeatures.txt"
    run = tmp_path / "run=1"
    run.mkdir()
    (run / src.name).write_bytes(src.read_bytes())
    monkeypatch.chdir(tmp_path)
    rel = "run=1/ib8t01010_MemModelFeatures.txt"
    pred = load_predictor(model_dir)
    expected = pred.predict("ib8t01010", src)
    assert pred.predict("ib8t01010", rel) == expected  # Python API, a relative str path
    assert pred.predict("ib8t01010", str(run / src.name)) == expected
    assert pred.predict("ib8t01010", "run=1") == expected  # the folder holding it
    with pytest.raises(DataNotFoundError, match="does not exist"):
        pred.predict("ib8t01010", "run=2/ib8t01010_MemModelFeatures.txt")
    # text is still text
    assert pred.predict("ib8t01010", src.read_text())["features"] == expected["features"]
    assert pred.predict("ib8t01010", "n_files=5\ntotal_mb=66")["features"]["n_files"] == 5
    # the CLI
    assert main(["cal", "predict", "--models", str(model_dir), rel]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["memBin"] == expected["memBin"] and out["killTime"] == expected["killTime"]
    assert (
        main(["cal", "predict", "--models", str(model_dir), "run=2/ib8t01010_MemModelFeatures.txt"])
        == 1
    )
    assert "does not exist" in capsys.readouterr().err


def test_lambda_in_a_minimal_package(control, shared_data, tmp_path):
    """What inference needs: numpy, spacekit and the runtime's boto3. astropy, pandas, scipy,
    scikit-learn and TensorFlow are made unimportable, as in a Lambda zip of spacekit + numpy."""
    import os
    import subprocess
    import sys

    code = (
        "import sys, json, importlib.abc\n"
        "BLOCK = ('astropy', 'pandas', 'scipy', 'sklearn', 'tensorflow', 'keras', 'matplotlib')\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in BLOCK:\n"
        "            raise ModuleNotFoundError(f'No module named {name!r} (blocked)')\n"
        "sys.meta_path.insert(0, Block())\n"
        "from spacekit.skopes.hst.cal import lambda_handler\n"
        f"ev = {{'Bucket': {control['bucket']!r}, 'Ipppssoot': 'j8ny02020',"
        " 'Key': 'control/j8ny02020/j8ny02020_MemModelFeatures.txt'}\n"
        "r = lambda_handler(ev)\n"
        "bad = sorted({m.split('.')[0] for m in sys.modules} & set(BLOCK))\n"
        "print(json.dumps({'r': r, 'bad': bad}))\n"
    )
    env = dict(os.environ)
    env.pop("SPACEKIT_DATA_MIRROR", None)
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["bad"] == []
    assert res["r"]["failSafe"] is False, res["r"]["error"]
    assert res["r"]["memBin"] in (0, 1, 2, 3) and res["r"]["killTime"] > 0


def test_cli_lambda_event(control, tmp_path, capsys):
    from spacekit.cli import main

    event = _calcloud_event(control["bucket"], "ib8t01010")
    assert main(["cal", "lambda-event", json.dumps(event)]) == 0
    reply = json.loads(capsys.readouterr().out)
    assert reply["failSafe"] is False and reply["ipst"] == "ib8t01010"
    f = tmp_path / "event.json"
    f.write_text(json.dumps(_calcloud_event(control["bucket"], "idxx01010")))
    assert main(["cal", "lambda-event", str(f)]) == 1  # a fail-safe answer: status 1
    assert json.loads(capsys.readouterr().out)["failSafe"] is True
    assert main(["cal", "lambda-event", "{not json"]) == 1
    assert "not JSON" in capsys.readouterr().err


def test_upstream_model_path_setting_is_read_and_said(control, model_dir, tmp_path, monkeypatch):
    """Upstream spacekit's handler took its model folder from ``MODEL_PATH``: a deployment
    that sets it (and not SPACEKIT_HST_CAL_MODEL_DIR) gets that folder, not silently the
    shipped default, and each reply says so; an upstream folder that was not converted gets
    the fail-safe answer naming MODEL_PATH and ``spacekit import-upstream``."""
    from spacekit.skopes.hst.cal import handler

    event = {  # upstream spacekit's event
        "Dataset": "la8p01010",
        "Bucket": control["bucket"],
        "Key": "control/la8p01010/la8p01010_MemModelFeatures.txt",
    }
    want = handler.lambda_handler(event)
    assert not want["failSafe"] and not any("MODEL_PATH" in w for w in want["warnings"])
    monkeypatch.delenv("SPACEKIT_HST_CAL_MODEL_DIR")
    monkeypatch.setenv("MODEL_PATH", str(model_dir))
    r = handler.lambda_handler(event)
    assert not r["failSafe"] and r["modelVersion"] == want["modelVersion"]
    assert (r["memBin"], r["killTime"]) == (want["memBin"], want["killTime"])
    assert any("MODEL_PATH" in w and "SPACEKIT_HST_CAL_MODEL_DIR" in w for w in r["warnings"])
    upstream = tmp_path / "models"
    upstream.mkdir()
    (upstream / "mem_clf.keras").write_bytes(b"")
    monkeypatch.setenv("MODEL_PATH", str(upstream))
    r = handler.lambda_handler(event)
    assert r["failSafe"] and r["memBin"] == 1  # COS's fail-safe bin
    assert f"MODEL_PATH={upstream}" in r["error"] and "import-upstream" in r["error"]
    _assert_schedulable(r)
    # the setting of this package wins
    monkeypatch.setenv("SPACEKIT_HST_CAL_MODEL_DIR", str(model_dir))
    r = handler.lambda_handler(event)
    assert not r["failSafe"] and not any("MODEL_PATH" in w for w in r["warnings"])

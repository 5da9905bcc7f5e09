"""calcloud's DynamoDB table: read with boto3 from a loopback DynamoDB-API server (moto)."""

from __future__ import annotations

import json
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from spacekit.exceptions import DataNotFoundError, SchemaError

EXPORT = "hst_cal/hst_cal_ddb_export_2021-05-11.csv"


def _put_rows(endpoint, name, rows):
    """Write rows as calcloud's model-ingest does (numbers as Decimal, through json)."""
    import boto3

    table = boto3.resource("dynamodb", endpoint_url=endpoint, region_name="us-east-1").Table(name)
    with table.batch_writer() as batch:
        for row in rows:
            item = json.loads(json.dumps(row), parse_int=Decimal, parse_float=Decimal)
            batch.put_item(Item=item)
    return table


@pytest.fixture
def loaded(ddb_table, shared_data):
    endpoint, name = ddb_table
    export = pd.read_csv(shared_data / EXPORT).sample(300, random_state=0)
    rows = [
        {k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()}
        for r in export.drop(columns=["x_files", "x_size"]).to_dict("records")
    ]
    for r in rows:
        r["dataset"] = r["ipst"]
    extra = [
        # an SVM product (newer model-ingest versions write them with product_type)
        {
            "ipst": "hst_12345_01_wfc3_ir_total_ib1f01",
            "product_type": "svm",
            "n_files": 3,
            "timestamp": 1620740441,
        },
        # an incomplete job (no wallclock)
        {
            "ipst": "la8p01010",
            "n_files": 3,
            "total_mb": 2.0,
            "drizcorr": 0,
            "pctecorr": 0,
            "crsplit": 0,
            "subarray": 1,
            "detector": 0,
            "dtype": 1,
            "instr": 1,
            "memory": 0.4,
            "mem_bin": 0,
            "timestamp": 1620740500,
        },
    ]
    _put_rows(endpoint, name, rows + extra)
    return endpoint, name, export


def test_read_ddb_table_returns_calcloud_columns(loaded):
    from spacekit.skopes.hst.cal.ddb import DDB_COLUMNS, read_ddb_table

    endpoint, name, export = loaded
    items = read_ddb_table(name, endpoint_url=endpoint)
    assert len(items) == 302
    assert list(items.columns[: len(DDB_COLUMNS)]) == list(DDB_COLUMNS)
    one = items[items["ipst"] == export["ipst"].iloc[0]].iloc[0]
    assert one["wallclock"] == pytest.approx(export["wallclock"].iloc[0])
    assert isinstance(one["n_files"], (int, np.integer))
    # since: the drift monitor's recent jobs
    assert len(read_ddb_table(name, endpoint_url=endpoint, since=1620740442)) == 1
    assert len(read_ddb_table(name, endpoint_url=endpoint, since=2e9)) == 0


def test_training_table_matches_the_export(loaded):
    from spacekit.skopes.hst.cal.ddb import ddb_training_table, read_ddb_table
    from spacekit.skopes.hst.cal.features import FEATURES, prepare_table

    endpoint, name, export = loaded
    table = ddb_training_table(read_ddb_table(name, endpoint_url=endpoint))
    assert table.attrs["dropped"] == {"not_an_ipppssoot": 1, "incomplete": 1}
    expected = prepare_table(export).set_index("ipst").sort_index()
    got = table.set_index("ipst").sort_index()
    cols = [*FEATURES, "memory", "wallclock", "mem_bin"]
    pd.testing.assert_frame_equal(got[cols], expected[cols], check_dtype=False)


def test_cli_ingest_then_train_reads_it(loaded, tmp_path, capsys):
    from spacekit.cli import main
    from spacekit.skopes.hst.cal.features import prepare_table

    endpoint, name, export = loaded
    out = tmp_path / "ddb.csv"
    assert main(["cal", "ingest", name, "--out", str(out), "--endpoint-url", endpoint]) == 0
    said = capsys.readouterr().out
    assert "300 rows written" in said and "1 not HST calibration jobs" in said
    assert len(prepare_table(out)) == 300
    # a table that does not exist: a one-line error, exit 1, nothing written
    missing = tmp_path / "none.csv"
    assert (
        main(["cal", "ingest", "no-such-table", "--out", str(missing), "--endpoint-url", endpoint])
        == 1
    )
    assert "does not exist" in capsys.readouterr().err and not missing.exists()


def test_calcloud_query_reads_the_wallclock_floor(loaded):
    """calcloud's query_ddb on a real table, then its arithmetic: the row's wallclock is a floor."""
    import boto3
    from boto3.dynamodb.conditions import Key

    from spacekit.skopes.hst.cal import calcloud as cc

    endpoint, name, export = loaded
    ipst = export["ipst"].iloc[0]
    table = boto3.resource("dynamodb", endpoint_url=endpoint, region_name="us-east-1").Table(name)
    items = table.query(KeyConditionExpression=Key("ipst").eq(ipst))["Items"]
    db_clock, wc_std = cc.ddb_clock_and_std(items[0])
    assert db_clock == pytest.approx(float(export["wallclock"].iloc[0])) and wc_std == 5
    none = table.query(KeyConditionExpression=Key("ipst").eq("zzzz99999"))["Items"]
    assert cc.ddb_clock_and_std(none[0] if none else None) == (1200.0, 5.0)


def test_errors(ddb_table):
    from spacekit.skopes.hst.cal.ddb import ddb_training_table, read_ddb_table

    endpoint, name = ddb_table
    with pytest.raises(DataNotFoundError, match="does not exist"):
        read_ddb_table("no-such-table", endpoint_url=endpoint)
    empty = read_ddb_table(name, endpoint_url=endpoint)
    assert len(empty) == 0
    assert len(ddb_training_table(empty)) == 0
    with pytest.raises(SchemaError, match="lack"):
        ddb_training_table(pd.DataFrame({"ipst": ["la8p01010"]}))

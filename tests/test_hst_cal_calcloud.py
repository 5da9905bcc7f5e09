"""calcloud's consumer arithmetic (spacekit.skopes.hst.cal.calcloud) and the reply contract."""

from __future__ import annotations

import doctest

import pytest

from spacekit.exceptions import InputError
from spacekit.skopes.hst.cal import calcloud as cc


def test_doctests():
    assert doctest.testmod(cc, optionflags=doctest.ELLIPSIS).failed == 0


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

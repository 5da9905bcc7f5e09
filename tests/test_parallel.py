"""utils.parallel.run_tasks: one Dask dispatcher, the same client forms everywhere."""

from __future__ import annotations

import pytest

from spacekit.exceptions import InputError
from spacekit.utils import parallel


def _square(x):
    return x * x


@pytest.mark.parametrize("scheduler", ["threads", "synchronous"])
def test_in_process(scheduler):
    assert parallel.run_tasks(_square, [(i,) for i in range(5)], scheduler=scheduler) == [
        0,
        1,
        4,
        9,
        16,
    ]
    assert parallel.run_tasks(_square, []) == []


def test_client_cluster_and_address_give_the_same_answer():
    from distributed import Client, LocalCluster

    args = [(i,) for i in range(7)]
    want = [i * i for i in range(7)]
    with LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
    ) as cluster:
        assert parallel.run_tasks(_square, args, client=cluster) == want
        assert parallel.run_tasks(_square, args, client=cluster.scheduler_address) == want
        with Client(cluster) as client:
            assert parallel.run_tasks(_square, args, client=client) == want
            assert not client.status == "closed"  # a caller's client is left open


def test_bad_client_and_scheduler_are_refused():
    with pytest.raises(InputError, match="scheduler address"):
        parallel.run_tasks(_square, [(1,)], client=3)
    with pytest.raises(InputError, match="scheduler must be"):
        parallel.run_tasks(_square, [(1,)], scheduler="gpu")

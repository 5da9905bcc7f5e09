"""calcloud's consumer arithmetic: what its job submitter does with the prediction reply.

calcloud (spacetelescope/calcloud, v0.4.48) submits each Hubble calibration job to AWS Batch
from ``calcloud/plan.py``. That code, not this project, decides what a reply means, so its
arithmetic is written down here as plain functions (standard library only) for the reply
contract tests, the cost replay and the documentation. What ``plan.py`` does, step by step:

1. ``query_ddb(dataset)`` reads calcloud's DynamoDB table (partition key ``ipst``). With no row
   (every new dataset) ``db_clock = 20 * 60`` s and ``wc_std = 5``; with a row,
   ``db_clock = float(row["wallclock"])`` (read unconditionally: a row without ``wallclock``
   crashes the submitter) and ``wc_std = float(row["wc_std"])`` when the row has it
   (:func:`ddb_clock_and_std`).
2. ``invoke_lambda_predict`` multiplies the reply's ``clockTime`` by ``1 + wc_std``.
3. ``_get_resources`` clips: ``int(min(max(clockTime * (1 + wc_std), db_clock), 48 h) *
   timeout_scale)``, then ``int(max(kill, 60))`` (AWS Batch's 60-second minimum)
   (:func:`kill_time`).
4. ``_get_environment`` picks the queue: ``memory_bin`` (an operator override) or else the
   reply's ``memBin``, plus ``memory_retries`` (0 on the first try, +1 after each
   out-of-memory death); an index past the last queue raises ``AllBinsTriedQuit``
   (:func:`queue_index`). The queues hold 2, 8, 16 and 64 GB; a job may use 1.792, 7.168 and
   14.336 GB of the first three (the queue less container overhead).

For datasets that are not ipppssoots (SVM, MVM) calcloud does not call the Lambda and uses
``clockTime = 20 * 60`` and ``memBin = 1``.

These functions mirror that code; they are not a copy of it. The names are stable: the cost
replay and the contract tests depend on them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from spacekit.exceptions import InputError, SpacekitError

__all__ = [
    "QUEUE_MEMORY_GB",
    "QUEUE_LIMIT_GB",
    "DEFAULT_WC_STD",
    "DEFAULT_DB_CLOCK_S",
    "MAX_KILL_S",
    "MIN_KILL_S",
    "DEFAULT_TIMEOUT_SCALE",
    "NON_IPST_REPLY",
    "AllBinsTriedQuit",
    "ddb_clock_and_std",
    "kill_time",
    "queue_index",
    "queue_for_memory",
    "memory_attempts",
    "plan_job",
    "clock_time_for_kill",
]

#: Memory (GB) of calcloud's AWS Batch queues, by bin.
QUEUE_MEMORY_GB: tuple[int, ...] = (2, 8, 16, 64)
#: Memory (GB) a job may use in each queue before it is killed for memory (queue less container
#: overhead). The last queue has no higher one to retry on, so its limit is infinite here: a
#: job that needs more fails there whatever the model said.
QUEUE_LIMIT_GB: tuple[float, ...] = (1.792, 7.168, 14.336, math.inf)
#: ``wc_std`` when the dataset has no DynamoDB row (or its row has no ``wc_std``).
DEFAULT_WC_STD: float = 5.0
#: ``db_clock`` (s) when the dataset has no DynamoDB row: 20 minutes.
DEFAULT_DB_CLOCK_S: float = 20.0 * 60.0
#: Longest kill time (s) before ``timeout_scale``: 48 hours.
MAX_KILL_S: int = 48 * 60 * 60
#: AWS Batch's shortest timeout (s), applied last.
MIN_KILL_S: int = 60
#: ``timeout_scale`` of a normal submission (operators raise it to rescue killed jobs).
DEFAULT_TIMEOUT_SCALE: float = 1.0
#: The reply calcloud uses instead of calling the Lambda for non-ipppssoot datasets.
NON_IPST_REPLY: dict[str, int] = {"clockTime": 20 * 60, "memBin": 1}


class AllBinsTriedQuit(SpacekitError, RuntimeError):
    """No queue is left: calcloud's ``AllBinsTriedQuit`` (the job is not resubmitted)."""


def ddb_clock_and_std(row: Mapping[str, Any] | None = None) -> tuple[float, float]:
    """``(db_clock, wc_std)`` as calcloud's ``query_ddb`` derives them from a DynamoDB row.

    Parameters
    ----------
    row : mapping or None
        The dataset's item in calcloud's table (the first one a query on ``ipst`` returns), or
        None (or an empty mapping) when the dataset has no row.

    Returns
    -------
    tuple of float
        ``db_clock`` in seconds (the row's ``wallclock``, else 20 minutes) and ``wc_std`` (the
        row's ``wc_std``, else 5).

    Raises
    ------
    InputError
        The row lacks ``wallclock`` (calcloud itself would crash with ``KeyError``) or a value is
        not a number.

    Examples
    --------
    >>> ddb_clock_and_std(None)
    (1200.0, 5.0)
    >>> ddb_clock_and_std({"ipst": "j8ny02020", "wallclock": "3600"})
    (3600.0, 5.0)
    """
    if not row:
        return DEFAULT_DB_CLOCK_S, DEFAULT_WC_STD
    if "wallclock" not in row:
        raise InputError(
            f"calcloud DynamoDB row {row.get('ipst', '?')!r} has no 'wallclock'; calcloud's "
            "query_ddb reads it unconditionally and would crash the submitter. Write "
            "'wallclock' (seconds) in every row."
        )
    try:
        db_clock = float(row["wallclock"])
        wc_std = float(row["wc_std"]) if "wc_std" in row else DEFAULT_WC_STD
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"calcloud DynamoDB row {row.get('ipst', '?')!r}: wallclock/wc_std must be numbers "
            f"(found wallclock={row.get('wallclock')!r}, wc_std={row.get('wc_std')!r})"
        ) from exc
    return db_clock, wc_std


def kill_time(
    clock_time: float,
    *,
    db_clock: float = DEFAULT_DB_CLOCK_S,
    wc_std: float = DEFAULT_WC_STD,
    timeout_scale: float = DEFAULT_TIMEOUT_SCALE,
) -> int:
    """The AWS Batch kill time (s) calcloud sets from a reply's ``clockTime``.

    ``int(max(int(min(max(clock_time * (1 + wc_std), db_clock), 48 h) * timeout_scale), 60))``,
    as in ``invoke_lambda_predict`` and ``_get_resources`` of calcloud's ``plan.py``.

    Parameters
    ----------
    clock_time : float
        The reply's ``clockTime`` (s).
    db_clock, wc_std : float
        From :func:`ddb_clock_and_std` (defaults: no DynamoDB row).
    timeout_scale : float
        Operator multiplier (1 for a normal submission).

    Returns
    -------
    int
        Seconds before AWS Batch kills the job.

    Examples
    --------
    >>> kill_time(100)            # 600 s is below the 20-minute floor
    1200
    >>> kill_time(1000)
    6000
    >>> kill_time(1e6)            # capped at 48 h
    172800
    """
    clock = float(clock_time) * (1.0 + float(wc_std))
    kill = int(min(max(clock, float(db_clock)), MAX_KILL_S) * float(timeout_scale))
    return int(max(kill, MIN_KILL_S))


def clock_time_for_kill(kill_s: float, *, wc_std: float = DEFAULT_WC_STD) -> float:
    """The ``clockTime`` that makes calcloud's arithmetic end at the kill time ``kill_s``.

    calcloud multiplies ``clockTime`` by ``1 + wc_std`` and truncates with ``int()``, so the
    reply carries ``(kill_s + 0.5) / (1 + wc_std)`` rounded to a millisecond: for a whole number
    of seconds ``kill_s``, ``int(clockTime * (1 + wc_std)) == kill_s`` exactly, whatever the
    floating-point rounding (a plain ``kill_s / 6`` can come back as ``kill_s - 1``). calcloud's
    own floors and caps (``db_clock``, 48 h, 60 s) still apply afterwards (:func:`kill_time`).

    Parameters
    ----------
    kill_s : float
        The kill time (s) wanted, a whole number of seconds.
    wc_std : float
        calcloud's multiplier: 5 for a dataset with no DynamoDB row or a row without
        ``wc_std`` (calcloud's model-ingest never writes one).

    Returns
    -------
    float

    Examples
    --------
    >>> clock_time_for_kill(6000)
    1000.083
    >>> kill_time(clock_time_for_kill(6000))
    6000
    """
    return round((float(kill_s) + 0.5) / (1.0 + float(wc_std)), 3)


def queue_index(
    initial_bin: int,
    memory_retries: int = 0,
    memory_bin: int | None = None,
    *,
    n_queues: int = len(QUEUE_MEMORY_GB),
) -> int:
    """The queue (0-based bin) calcloud's ``_get_environment`` submits to.

    Parameters
    ----------
    initial_bin : int
        The reply's ``memBin``.
    memory_retries : int
        0 on the first try, +1 after each out-of-memory death.
    memory_bin : int or None
        An operator's absolute bin, used instead of ``initial_bin`` when given.
    n_queues : int
        Number of queues (job definitions) configured.

    Returns
    -------
    int

    Raises
    ------
    AllBinsTriedQuit
        The index is past the last queue.

    Examples
    --------
    >>> queue_index(1, 2)
    3
    >>> try:
    ...     queue_index(2, 2)
    ... except AllBinsTriedQuit:
    ...     print("AllBinsTriedQuit")
    AllBinsTriedQuit
    """
    final = (memory_bin if memory_bin is not None else initial_bin) + memory_retries
    if final < n_queues:
        return int(final)
    raise AllBinsTriedQuit(
        f"no higher memory queue after memory_retries={memory_retries} and "
        f"memory_bin={memory_bin} (initial bin {initial_bin}, {n_queues} queues)"
    )


def queue_for_memory(peak_gb: float) -> int:
    """The smallest queue whose limit holds a job of ``peak_gb`` GB (the true bin).

    Parameters
    ----------
    peak_gb : float
        Peak memory in GB.

    Returns
    -------
    int
        The queue (memory bin).

    Examples
    --------
    >>> queue_for_memory(1.0), queue_for_memory(1.8), queue_for_memory(20.0)
    (0, 1, 3)
    """
    for index, limit in enumerate(QUEUE_LIMIT_GB):
        if peak_gb <= limit:
            return index
    return len(QUEUE_LIMIT_GB) - 1


def memory_attempts(initial_bin: int, peak_gb: float) -> list[int]:
    """The queues a job of peak memory ``peak_gb`` runs on, from ``initial_bin`` up the ladder.

    Each queue whose limit is below ``peak_gb`` is an out-of-memory death and a retry on the next
    queue (``memory_retries`` + 1); the last entry is the queue it completes on. A job that
    outgrows the last queue has it as its last entry (calcloud would then stop with
    :class:`AllBinsTriedQuit` on the next retry).

    Parameters
    ----------
    initial_bin : int
        The queue the job is first submitted to.
    peak_gb : float
        The job's true peak memory in GB.

    Returns
    -------
    list of int
        The queues, in order.

    Examples
    --------
    >>> memory_attempts(0, 10.0)
    [0, 1, 2]
    >>> memory_attempts(3, 1.0)
    [3]
    """
    attempts = []
    retries = 0
    while True:
        queue = queue_index(initial_bin, retries)
        attempts.append(queue)
        if peak_gb <= QUEUE_LIMIT_GB[queue] or queue == len(QUEUE_MEMORY_GB) - 1:
            return attempts
        retries += 1


def plan_job(
    reply: Mapping[str, Any],
    *,
    ddb_row: Mapping[str, Any] | None = None,
    timeout_scale: float = DEFAULT_TIMEOUT_SCALE,
    memory_retries: int = 0,
    memory_bin: int | None = None,
) -> dict[str, int]:
    """What calcloud submits for a Lambda reply.

    The submission is ``{"queue", "queue_gb", "kill_time", "initial_bin"}``.

    Parameters
    ----------
    reply : mapping
        The Lambda reply; calcloud reads ``clockTime`` and ``memBin`` only.
    ddb_row : mapping or None
        The dataset's DynamoDB row (None: no row).
    timeout_scale, memory_retries, memory_bin
        calcloud's submission metadata (defaults: a normal first submission).

    Returns
    -------
    dict

    Raises
    ------
    InputError
        The reply lacks ``clockTime`` or ``memBin`` (calcloud would crash with ``KeyError``).
    AllBinsTriedQuit
        No queue is left.

    Examples
    --------
    >>> plan_job({"memBin": 1, "clockTime": 1000})
    {'queue': 1, 'queue_gb': 8, 'kill_time': 6000, 'initial_bin': 1}
    """
    missing = [key for key in ("clockTime", "memBin") if key not in reply]
    if missing:
        raise InputError(
            f"reply lacks {missing}; calcloud reads reply['clockTime'] and reply['memBin'] "
            "and would crash with KeyError (found keys "
            f"{sorted(reply)})"
        )
    db_clock, wc_std = ddb_clock_and_std(ddb_row)
    initial_bin = int(reply["memBin"])
    queue = queue_index(initial_bin, memory_retries, memory_bin)
    return {
        "queue": queue,
        "queue_gb": QUEUE_MEMORY_GB[queue],
        "kill_time": kill_time(
            reply["clockTime"], db_clock=db_clock, wc_std=wc_std, timeout_scale=timeout_scale
        ),
        "initial_bin": initial_bin,
    }

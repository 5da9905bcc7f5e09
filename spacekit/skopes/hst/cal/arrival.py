"""Replaying a job history's learning on a table of jobs: arrival order and what each job knew.

:func:`~spacekit.skopes.hst.cal.replay.replay` with ``learn=True`` (and the benchmarks) use
these to let the cost rule learn from the table's own jobs as they finish, in the order they
arrived (see :mod:`~spacekit.skopes.hst.cal.history`).

Examples
--------
>>> arrival_counts([0, 0], [1, 0], [0, 1]).tolist()  # the second job saw the first one's bin
[[0.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ....exceptions import InputError
from .features import FEATURES, memory_to_bin
from .history import _N_BINS, _WALL, JobHistory, load_history, warn_if_counted

__all__ = ["arrival_counts", "arrival_order", "replay_counts", "replay_decisions"]


def _arrival_index(g: np.ndarray, pos: np.ndarray, lag: int):
    """Sort jobs by (group, arrival); for each job the sorted range ``[start, upto)`` of its
    group's jobs that arrived more than ``lag`` jobs before it."""
    n = len(g)
    if len(pos) != n:
        raise InputError(f"arrival: {n} groups and {len(pos)} positions")
    if lag < 0:
        raise InputError(f"history_lag (--history-lag) must be >= 0 jobs, got {lag!r}")
    base = np.int64(n + 1)
    key = (g - g.min()) * base + pos
    order = np.argsort(key, kind="stable")
    skey = key[order]
    start = np.searchsorted(skey, (g - g.min()) * base, side="left")
    upto = np.searchsorted(skey, key - min(int(lag), n + 1), side="left")
    return order, start, np.maximum(upto, start)


def arrival_counts(
    groups: Any, true_bin: Any, position: Any, lag: int = 0, wallclock: Any = None
) -> np.ndarray:
    """For jobs arriving in order ``position``, what the earlier jobs of the same input needed.

    Job ``j`` sees the outcomes of the jobs of its group that arrived more than ``lag`` jobs
    before it (``position < position[j] - lag``): ``lag`` models the delay before a finished
    job's outcome reaches the predictor (jobs still running, the history refreshed hourly).

    Parameters
    ----------
    groups : array-like of int
        Group of identical inputs of each job.
    true_bin : array-like of int
        The bin (0-3) each job needed.
    position : array-like of int
        Each job's place in the arrival order (a permutation of ``0..n-1``).
    lag : int
        Jobs submitted before an outcome is known.
    wallclock : array-like, optional
        Each job's wallclock (s): a fifth column then holds the longest one seen (0: none).

    Returns
    -------
    numpy.ndarray
        (n, 4) counts per bin (n, 5 with ``wallclock``), one row per job.

    Examples
    --------
    >>> arrival_counts([0, 0, 0], [0, 1, 0], [2, 0, 1]).tolist()  # arrive as jobs 1, 2, 0
    [[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]]
    >>> arrival_counts([0, 0], [0, 0], [1, 0], wallclock=[50.0, 70.0])[:, 4].tolist()
    [70.0, 0.0]
    """
    g = np.asarray(groups, dtype=np.int64).reshape(-1)
    t = np.asarray(true_bin, dtype=np.int64).reshape(-1)
    pos = np.asarray(position, dtype=np.int64).reshape(-1)
    n = len(g)
    if len(t) != n:
        raise InputError(f"arrival_counts: {n} groups and {len(t)} bins")
    cols = _N_BINS if wallclock is None else _N_BINS + 1
    if n == 0:
        return np.zeros((0, cols))
    order, start, upto = _arrival_index(g, pos, lag)
    cum = np.zeros((n + 1, _N_BINS))
    cum[1:] = np.cumsum(np.eye(_N_BINS)[t[order]], axis=0)
    out = np.zeros((n, cols))
    out[:, :_N_BINS] = cum[upto] - cum[start]
    if wallclock is not None:
        w = np.asarray(wallclock, dtype=float).reshape(-1)[order]
        # a running maximum that restarts at each group: offset each group above the last
        step = float(w.max(initial=0.0)) + 1.0
        gs = (g[order] - g.min()).astype(float) * step
        run = np.maximum.accumulate(w + gs) - gs
        seen = upto > start
        out[seen, _WALL] = run[upto[seen] - 1]
    return out


def arrival_order(df: Any, seed: int = 0) -> tuple[np.ndarray, str]:
    """Each job's place in the order jobs arrived, and how it was found.

    By the table's ``timestamp`` column when it tells jobs apart (a live DynamoDB table), else
    a random order (``seed``): the shared tables carry no per-row time (the DynamoDB export's
    ``timestamp`` holds one value), and their row order is not the order jobs ran.

    Parameters
    ----------
    df : pandas.DataFrame
        The jobs.
    seed : int
        Seed of the random order.

    Returns
    -------
    (numpy.ndarray, str)
        Positions (a permutation of ``0..n-1``) and ``"timestamp"`` or ``"random (seed S)"``.

    Examples
    --------
    >>> import pandas as pd
    >>> arrival_order(pd.DataFrame({"timestamp": [30, 10, 20]}))[0].tolist()
    [2, 0, 1]
    """
    n = len(df)
    if "timestamp" in df.columns and df["timestamp"].nunique() > 1:
        order = np.argsort(df["timestamp"].to_numpy(), kind="stable")
        how = "timestamp"
    else:
        order = np.random.default_rng(seed).permutation(n)
        how = f"random (seed {seed})"
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    return position, how


def replay_counts(
    df: Any,
    groups: np.ndarray,
    memory: np.ndarray,
    *,
    history: JobHistory | None = None,
    learn: bool = False,
    lag: int = 0,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, str | None]:
    """What a predictor with a job history knows when each job of a replayed table arrives.

    ``history``'s counts (jobs finished before the table), plus, with ``learn``, the outcomes
    of the table's own earlier jobs of the same input (:func:`arrival_order`,
    :func:`arrival_counts` with ``lag``).

    Parameters
    ----------
    df : pandas.DataFrame
        The replayed jobs (nine features; ``timestamp`` used when it varies).
    groups : numpy.ndarray
        Group of identical inputs of each job.
    memory : numpy.ndarray
        Each job's peak memory (GB).
    history : JobHistory, optional
        Jobs finished before the table.
    learn : bool
        Learn from the table's own jobs as they finish.
    lag, seed : int
        See :func:`arrival_counts` and :func:`arrival_order`.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, str or None)
        Counts (n, 4), the longest wallclock seen per job (s, 0: none; from the table's
        ``wallclock`` column when it has one) and the arrival order used (None without
        ``learn``).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"timestamp": [2, 1], "wallclock": [60.0, 90.0]})
    >>> counts, longest, how = replay_counts(df, np.array([0, 0]), np.array([3.0, 1.0]), learn=True)
    >>> counts.tolist(), longest.tolist(), how
    ([[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]], [90.0, 0.0], 'timestamp')
    """
    known = np.zeros((len(df), _N_BINS + 1))
    if history is not None:
        known += history._lookup(df[list(FEATURES)].to_numpy(dtype=np.float64))
    how = None
    if learn:
        position, how = arrival_order(df, seed)
        wall = df["wallclock"].to_numpy(dtype=float) if "wallclock" in df.columns else None
        seen = arrival_counts(groups, memory_to_bin(memory), position, lag, wallclock=wall)
        known[:, :_N_BINS] += seen[:, :_N_BINS]
        if wall is not None:
            known[:, _WALL] = np.maximum(known[:, _WALL], seen[:, _WALL])
    return known[:, :_N_BINS], known[:, _WALL], how


def replay_decisions(
    predictor: Any,
    df: Any,
    groups: np.ndarray,
    memory: np.ndarray,
    *,
    history: Any = None,
    learn: bool = False,
    lag: int = 0,
    seed: int = 0,
) -> tuple[dict, dict]:
    """A predictor's outputs on a replayed table, its bins chosen with a job history.

    Parameters
    ----------
    predictor : CalPredictor
        A model with the cost rule (its own ``history`` is the start when ``history`` is None).
    df, groups, memory
        See :func:`replay_counts`.
    history : JobHistory or path, optional
        Jobs finished before the table.
    learn, lag, seed
        See :func:`replay_counts`.

    Returns
    -------
    (dict, dict)
        The outputs (``mem_bin`` and ``clock_time`` the cost rule's given what each job's
        input had shown; ``mem_bin_alone`` and ``clock_time_alone`` the model's without the
        history) and the settings recorded with the replay.

    Examples
    --------
    >>> res, how = replay_decisions(pred, df, groups, mem, learn=True)  # doctest: +SKIP
    """
    import copy

    from .cost import cost_decisions

    if predictor.decision != "cost" or not predictor.cost_rule:
        raise InputError(
            "replay: a job history (--history, --learn) is used by the cost rule only; this "
            f"replay decides by {predictor.decision!r}"
            + (
                ": use --decision cost, or leave out --history and --learn"
                if predictor.cost_rule
                else " and the model has no cost rule: re-train it, or leave out --history and "
                "--learn"
            )
        )
    start = load_history(history) if history is not None else predictor.history
    warn_if_counted(start, df)
    bare = copy.copy(predictor)
    bare.history = None  # the model's own outputs; the counts are added per job below
    res = bare._predict_unique(df[list(FEATURES)].to_numpy(dtype=np.float64))
    counts, longest, order = replay_counts(
        df, groups, memory, history=start, learn=learn, lag=int(lag), seed=seed
    )
    res["mem_bin_alone"], res["clock_time_alone"] = res["mem_bin"], res["clock_time"]
    res.update(cost_decisions(res, predictor.cost_rule, counts, longest))
    return res, {
        "history_jobs": 0 if start is None else start.n_jobs,
        "learn": bool(learn),
        "history_lag": int(lag),
        "arrival_order": order,
    }

"""The queue-ladder arithmetic of :mod:`spacekit.skopes.hst.cal.replay`: what each job costs
through calcloud's memory retries and kills (:func:`replay_jobs`, :func:`summarise_replay`),
calcloud's kill time (:func:`calcloud_kill_time`), the two oracles (:func:`true_bin_oracle`,
:func:`per_input_oracle`) and the bootstrap of a cost ratio (:func:`bootstrap_cost_ratio`).
Every name is also importable from :mod:`spacekit.skopes.hst.cal.replay`.

Examples
--------
>>> r = replay_jobs(memory=[1.0, 3.0], wallclock=[3600, 3600], submitted_bin=[0, 0],
...                 kill_time=[7200, 7200])
>>> r["reserved_gbh"].tolist(), r["retries"].tolist()
([2.0, 10.0], [0, 1])
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ....exceptions import InputError
from . import calcloud as _calcloud
from .features import INSTRUMENTS, memory_to_bin

__all__ = [
    "COST_DEFAULTS",
    "REPLAY_KEYS",
    "replay_jobs",
    "summarise_replay",
    "true_bin_oracle",
    "per_input_oracle",
    "calcloud_kill_time",
    "bootstrap_cost_ratio",
]

#: Default cost settings: share of the wallclock an out-of-memory attempt holds its queue, and
#: the ceilings on memory retries and kills (fractions of jobs).
COST_DEFAULTS: dict[str, float] = {
    "oom_share": 1.0,
    "retry_ceiling": 0.002,
    "kill_ceiling": 0.0005,
}
#: calcloud's floor on the kill time (s) for a dataset without a DynamoDB row.
CALCLOUD_DB_CLOCK_S = _calcloud.DEFAULT_DB_CLOCK_S
#: calcloud's multiplier on the reply's ``clockTime`` without a DynamoDB row (``1 + wc_std``).
CALCLOUD_DEFAULT_FACTOR = 1.0 + _calcloud.DEFAULT_WC_STD
#: Keys of :func:`summarise_replay`, the headline first.
REPLAY_KEYS = (
    "gbh_reserved",
    "gbh_wasted",
    "gbh_oom",
    "gbh_killed",
    "gbh_over_reserved",
    "memory_retries",
    "retry_rate",
    "kills",
    "kill_rate",
    "kill_over_wallclock_median",
    "n_jobs",
)
_INSTR_NAMES = {code: name for name, code in INSTRUMENTS.values()}
_GB = np.asarray(_calcloud.QUEUE_MEMORY_GB, dtype=float)
_CUM_GB = np.concatenate([[0.0], np.cumsum(_GB)])


def _as_1d(name: str, value: Any, n: int | None = None, *, dtype=float) -> np.ndarray:
    arr = np.asarray(value, dtype=dtype).reshape(-1)
    if n is not None and len(arr) != n:
        raise InputError(f"replay: {name} has {len(arr)} values, expected {n} (one per job)")
    return arr


def _check_share(oom_share: float) -> float:
    share = float(oom_share)
    if not 0 <= share <= 1 or math.isnan(share):
        raise InputError(
            f"oom_share (share of its wallclock an out-of-memory attempt holds the queue) must be "
            f"in [0, 1], got {oom_share!r}"
        )
    return share


def calcloud_kill_time(
    kill_s: Any,
    *,
    db_clock: float = CALCLOUD_DB_CLOCK_S,
    wc_std: float = _calcloud.DEFAULT_WC_STD,
    timeout_scale: float = 1.0,
    reply_is_kill: bool = True,
) -> np.ndarray:
    """The kill time (s) calcloud ends with, per job, through :func:`.calcloud.kill_time`.

    With ``reply_is_kill`` (the reply contract: ``clockTime`` is the wanted kill time divided by
    ``1 + wc_std``) the result is ``max(kill_s, db_clock)`` clipped to 48 h; without it
    ``kill_s`` is taken as the reply's ``clockTime`` itself (e.g. a point estimate, which
    calcloud multiplies by ``1 + wc_std``: its default 6x).

    Examples
    --------
    >>> calcloud_kill_time([100, 5000, 1e6]).tolist()
    [1200, 5000, 172800]
    >>> calcloud_kill_time([100, 1000], reply_is_kill=False).tolist()
    [1200, 6000]
    """
    k = np.asarray(kill_s, dtype=float).reshape(-1)
    uniq, inv = np.unique(k, return_inverse=True)
    out = np.array(
        [
            _calcloud.kill_time(
                _calcloud.clock_time_for_kill(v, wc_std=wc_std) if reply_is_kill else v,
                db_clock=db_clock,
                wc_std=wc_std,
                timeout_scale=timeout_scale,
            )
            for v in uniq.tolist()
        ],
        dtype=np.int64,
    )
    return out[inv.reshape(-1)] if len(k) else np.zeros(0, dtype=np.int64)


def replay_jobs(
    memory: Any,
    wallclock: Any,
    submitted_bin: Any,
    kill_time: Any = None,
    *,
    oom_share: float = 1.0,
) -> dict[str, np.ndarray]:
    """Replay jobs through the memory ladder and the kill time; per-job costs.

    Parameters
    ----------
    memory, wallclock : array-like
        Each job's true peak memory (GB) and wallclock (s).
    submitted_bin : array-like of int
        The bin (0-3) each job is first submitted to.
    kill_time : array-like, optional
        The kill time (s) each attempt runs under (what calcloud ends with; see
        :func:`calcloud_kill_time`); default: never killed.
    oom_share : float
        Share of its wallclock an out-of-memory attempt holds its queue (0-1).

    Returns
    -------
    dict of arrays
        ``reserved_gbh`` (all attempts), ``oom_gbh``, ``killed_gbh``, ``over_gbh`` (the
        completing attempt's GB above the true bin's queue times the wallclock), ``wasted_gbh``
        (their sum), ``retries``, ``killed`` (0/1), ``final_bin``, ``true_bin``.

    Examples
    --------
    >>> r = replay_jobs([1.0], [3600], [2], [600])  # 16 GB queue, killed at 10 min, rerun
    >>> float(r["reserved_gbh"][0]), float(r["wasted_gbh"][0]), int(r["killed"][0])
    (18.666666666666668, 16.666666666666668, 1)
    """
    mem = _as_1d("memory", memory)
    n = len(mem)
    wall = _as_1d("wallclock", wallclock, n)
    sub = _as_1d("submitted_bin", submitted_bin, n, dtype=np.int64)
    if n and (sub.min() < 0 or sub.max() >= len(_GB)):
        raise InputError(f"replay: submitted bins must be 0-{len(_GB) - 1}, got {sorted(set(sub))}")
    if np.any(~np.isfinite(mem)) or np.any(~np.isfinite(wall)) or np.any(wall < 0):
        raise InputError("replay: memory and wallclock must be finite and wallclock >= 0")
    kill = np.full(n, np.inf) if kill_time is None else _as_1d("kill_time", kill_time, n).copy()
    share = _check_share(oom_share)
    true = memory_to_bin(mem).astype(np.int64)
    final = np.maximum(true, sub)
    retries = final - sub
    # An out-of-memory attempt on queue j holds GB_j for share * wallclock (j = sub .. final-1).
    oom = (_CUM_GB[final] - _CUM_GB[sub]) * share * wall / 3600.0
    killed = wall > kill
    killed_gbh = np.where(killed, _GB[final] * np.where(killed, kill, 0.0) / 3600.0, 0.0)
    run_gbh = _GB[final] * wall / 3600.0
    over = (_GB[final] - _GB[true]) * wall / 3600.0
    return {
        "reserved_gbh": oom + killed_gbh + run_gbh,
        "oom_gbh": oom,
        "killed_gbh": killed_gbh,
        "over_gbh": over,
        "wasted_gbh": oom + killed_gbh + over,
        "retries": retries,
        "killed": killed.astype(np.int64),
        "final_bin": final,
        "true_bin": true,
        "kill_over_wallclock": kill / np.maximum(wall, 1.0),
    }


def summarise_replay(per_job: Mapping[str, np.ndarray], instr: Any = None) -> dict:
    """Totals of :func:`replay_jobs`'s per-job costs, overall and per instrument.

    Returns
    -------
    dict
        :data:`REPLAY_KEYS` (GB-hours, counts, rates, median kill time / wallclock), and with
        ``instr`` (codes 0-3 or names) ``by_instrument``: the same per instrument.

    Examples
    --------
    >>> s = summarise_replay(replay_jobs([1.0, 3.0], [3600, 3600], [0, 0]))
    >>> s["gbh_reserved"], s["memory_retries"], s["gbh_wasted"]
    (12.0, 1, 2.0)
    """

    def totals(idx) -> dict:
        n = int(np.sum(idx)) if idx.dtype == bool else len(idx)
        ratio = per_job["kill_over_wallclock"][idx]
        ratio = ratio[np.isfinite(ratio)]
        return {
            "gbh_reserved": float(np.sum(per_job["reserved_gbh"][idx])),
            "gbh_wasted": float(np.sum(per_job["wasted_gbh"][idx])),
            "gbh_oom": float(np.sum(per_job["oom_gbh"][idx])),
            "gbh_killed": float(np.sum(per_job["killed_gbh"][idx])),
            "gbh_over_reserved": float(np.sum(per_job["over_gbh"][idx])),
            "memory_retries": int(np.sum(per_job["retries"][idx])),
            "retry_rate": float(np.sum(per_job["retries"][idx]) / n) if n else 0.0,
            "kills": int(np.sum(per_job["killed"][idx])),
            "kill_rate": float(np.sum(per_job["killed"][idx]) / n) if n else 0.0,
            "kill_over_wallclock_median": float(np.median(ratio)) if len(ratio) else None,
            "n_jobs": n,
        }

    n = len(per_job["reserved_gbh"])
    out = totals(np.ones(n, dtype=bool))
    if instr is not None:
        codes = np.asarray(instr).reshape(-1)
        out["by_instrument"] = {
            str(_INSTR_NAMES.get(c, c)): totals(codes == c) for c in sorted(set(codes.tolist()))
        }
    return out


def true_bin_oracle(memory: Any) -> np.ndarray:
    """Every job on its own true bin (the lowest cost a job can have; never killed).

    Examples
    --------
    >>> true_bin_oracle([0.5, 8.0]).tolist()
    [0, 2]
    """
    return memory_to_bin(_as_1d("memory", memory)).astype(np.int64)


def per_input_oracle(
    memory: Any,
    wallclock: Any,
    groups: Any,
    *,
    retry_budget: int | None = None,
    oom_share: float = 1.0,
) -> np.ndarray:
    """For each group of identical inputs, the one bin minimising its jobs' cost in hindsight.

    The bins are chosen together to minimise the total GB-hours with at most ``retry_budget``
    memory retries over all jobs (exact: a multiple-choice knapsack solved by dynamic
    programming over the retry count). Kill times play no part (the oracle never kills).
    Computed in-sample, this is a bound no model of these inputs reaches out of sample.

    Parameters
    ----------
    memory, wallclock : array-like
        True peak memory (GB) and wallclock (s) per job.
    groups : array-like of int
        Group id per job (jobs with identical feature vectors share one).
    retry_budget : int, optional
        Most memory retries allowed in total; default no limit.
    oom_share : float
        As in :func:`replay_jobs`.

    Returns
    -------
    numpy.ndarray
        The submitted bin per job (one bin per group).

    Examples
    --------
    One group: 9 jobs at 1 GB, one at 3 GB, each an hour. Submitted to bin 0 it costs
    9*2 + (2+8) = 28 GB-h and one retry; to bin 1, 10*8 = 80 GB-h. With no retry allowed, the
    oracle must pick bin 1:

    >>> per_input_oracle([1.0] * 9 + [3.0], [3600] * 10, [0] * 10).tolist()[0]
    0
    >>> per_input_oracle([1.0] * 9 + [3.0], [3600] * 10, [0] * 10, retry_budget=0).tolist()[0]
    1
    """
    mem = _as_1d("memory", memory)
    n = len(mem)
    wall = _as_1d("wallclock", wallclock, n)
    g = _as_1d("groups", groups, n, dtype=np.int64)
    share = _check_share(oom_share)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    _, g = np.unique(g, return_inverse=True)
    g = g.reshape(-1)
    n_groups = int(g.max()) + 1
    true = memory_to_bin(mem).astype(np.int64)
    n_bins = len(_GB)
    cost = np.zeros((n_groups, n_bins))
    retries = np.zeros((n_groups, n_bins), dtype=np.int64)
    for b in range(n_bins):
        final = np.maximum(true, b)
        c = (_GB[final] * wall + (_CUM_GB[final] - _CUM_GB[b]) * share * wall) / 3600.0
        cost[:, b] = np.bincount(g, c, n_groups)
        retries[:, b] = np.bincount(g, final - b, n_groups)
    best = np.argmin(cost, axis=1)
    if retry_budget is None or retries[np.arange(n_groups), best].sum() <= retry_budget:
        return best[g]
    budget = int(retry_budget)
    if budget < 0:
        raise InputError(f"retry_budget must be >= 0 memory retries, got {retry_budget!r}")
    # dp[r] = least cost of the groups so far using exactly r retries; choice[i, r] = bin.
    dp = np.full(budget + 1, np.inf)
    dp[0] = 0.0
    choice = np.zeros((n_groups, budget + 1), dtype=np.int8)
    for i in range(n_groups):
        new = np.full(budget + 1, np.inf)
        for b in range(n_bins):
            r = int(retries[i, b])
            if r > budget:
                continue
            cand = np.full(budget + 1, np.inf)
            cand[r:] = dp[: budget + 1 - r] + cost[i, b]
            better = cand < new
            new[better] = cand[better]
            choice[i, better] = b
        dp = new
    r = int(np.argmin(dp))
    bins = np.zeros(n_groups, dtype=np.int64)
    for i in range(n_groups - 1, -1, -1):
        bins[i] = choice[i, r]
        r -= int(retries[i, bins[i]])
    return bins[g]


def bootstrap_cost_ratio(
    cost_a: Any,
    cost_b: Any,
    groups: Any,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> dict:
    """Ratio of total costs A / B with a bootstrap interval over groups of identical inputs.

    Groups (not rows) are resampled, because identical inputs share their errors.

    Parameters
    ----------
    cost_a, cost_b : array-like of float
        Cost per job under A and under B.
    groups : array-like of int
        Group id per job (identical inputs share one).
    n_boot : int
        Bootstrap resamples.
    seed : int
        Seed of the resamples.
    level : float
        Coverage of the interval.

    Returns
    -------
    dict
        ``ratio``, ``low``, ``high`` (the ``level`` interval) and ``n_groups``.

    Examples
    --------
    >>> r = bootstrap_cost_ratio([1, 1, 1, 1], [2, 2, 2, 2], [0, 1, 2, 3], n_boot=50)
    >>> r["ratio"], r["low"], r["high"]
    (0.5, 0.5, 0.5)
    """
    a = _as_1d("cost_a", cost_a)
    b = _as_1d("cost_b", cost_b, len(a))
    _, g = np.unique(_as_1d("groups", groups, len(a), dtype=np.int64), return_inverse=True)
    g = g.reshape(-1)
    n_groups = int(g.max()) + 1 if len(g) else 0
    ga = np.bincount(g, a, n_groups)
    gb = np.bincount(g, b, n_groups)
    rng = np.random.default_rng(seed)
    ratios = np.empty(n_boot)
    for k in range(n_boot):
        w = np.bincount(rng.integers(0, n_groups, n_groups), minlength=n_groups)
        ratios[k] = (w @ ga) / max(w @ gb, 1e-300)
    lo, hi = np.quantile(ratios, [(1 - level) / 2, (1 + level) / 2]) if n_boot else (np.nan,) * 2
    return {
        "ratio": float(ga.sum() / max(gb.sum(), 1e-300)),
        "low": float(lo),
        "high": float(hi),
        "level": level,
        "n_groups": n_groups,
        "n_boot": n_boot,
    }

"""Cost-optimal memory bins and kill times for calcloud (numpy only).

A job's cost is the GB-hours its attempts hold calcloud's queues (see
:mod:`~spacekit.skopes.hst.cal.replay`): submitted to bin ``b`` with true bin ``t``, it holds
``GB[j]`` for ``oom_share`` x its wallclock on each queue ``j = b .. t-1`` where it runs out of
memory, then ``GB[max(b, t)]`` for its wallclock. Under the model's predictive distribution of
the true bin ``p`` (a mixture of the classifier's probabilities and a log-normal around the
memory regression, of width its modelled error ``s(x)``) and the wallclock point estimate
``w``, the expected cost of bin ``b`` is

    E[cost | b] = w / 3600 * sum_t p_t * (oom_share * (GB[b] + ... + GB[t-1]) + GB[max(b, t)])

and the expected number of memory retries ``sum_t p_t * max(t - b, 0)``. The submitted bin
minimises ``E[cost | b] + lam * E[retries | b]``: ``lam`` (GB-hours per retry) is the price
that keeps memory retries under their ceiling, calibrated on held-out predictions of the
training data (the smallest ``lam`` whose retry rate is at most the ceiling on
``confidence`` of bootstrap resamples of the held-out groups). A bin below the classifier's
most likely bin is submitted only when its objective is below the argmax's by more than
``margin`` (relative).

In this cost model a longer kill time costs nothing until a job hangs, so the kill time is the
smallest that meets the kill ceiling: ``w * exp(q)``, ``q`` calibrated the same way on the
held-out wallclock residuals, with calcloud's own floor (20 minutes) and cap (48 h) applied
before counting kills, and never below calcloud's default of 6x the point estimate
(``kill_floor_factor``, a guard for inputs unlike the training data).

With a :class:`~spacekit.skopes.hst.cal.history.JobHistory` (the bins finished jobs of the same
inputs needed), ``p`` becomes the posterior ``(w p + c) / (w + sum c)`` (``w`` =
``history_weight`` jobs) at the same retry price ``lam``: a job of an input never seen is
decided as without a history, so the ceilings hold however late outcomes arrive. (Choosing
``lam`` or ``w`` on a simulated arrival of the held-out jobs was measured and not kept: 1-2%
fewer GB-hours for more memory retries, over the ceiling on more held-out folds or when
outcomes arrive late; see benchmarks/RESULTS.md.)

Examples
--------
>>> p = np.array([[0.9, 0.1, 0.0, 0.0]])
>>> expected_costs(p, np.array([3600.0]))["cost"].round(2).tolist()
[[2.8, 8.0, 16.0, 64.0]]
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ....exceptions import InputError

__all__ = [
    "COST_RULE_DEFAULTS",
    "bin_distribution",
    "expected_costs",
    "cost_decisions",
    "calibrate_cost_rule",
]

#: Defaults of the cost rule's settings (stored with each calibration in the model folder).
COST_RULE_DEFAULTS: dict[str, float] = {
    "oom_share": 1.0,
    "retry_ceiling": 0.002,
    "kill_ceiling": 0.0005,
    "confidence": 0.8,
    "margin": 0.05,
    "kill_floor_factor": 6.0,
    "history_weight": 1.0,
}
#: With a job history the kill time is never below this multiple of the longest wallclock of the
#: input's finished jobs (see :mod:`~spacekit.skopes.hst.cal.history`).
HISTORY_KILL_FACTOR = 6.0
_GB = np.array([2.0, 8.0, 16.0, 64.0])
_EDGES = np.array([1.792, 7.168, 14.336])
_LAMBDAS = np.concatenate([[0.0], np.geomspace(1e-4, 1e4, 161)])
_MIXES = (0.0, 0.25, 0.5, 0.75, 1.0)
_RAW_KEYS = ("bin_proba", "memory", "memory_scale", "wallclock")


def _ndtr(x: np.ndarray) -> np.ndarray:
    """Standard normal CDF (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7), numpy only."""
    z = np.abs(x) / math.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    erf = 1.0 - poly * np.exp(-z * z)
    return 0.5 * (1.0 + np.sign(x) * erf)


def bin_distribution(raw: dict, mix: float) -> np.ndarray:
    """Predictive probabilities of the true bin (n, 4): ``(1 - mix)`` x the classifier's plus
    ``mix`` x a log-normal around the memory prediction with sigma ``sqrt(pi/2) * s(x)`` (the
    mean absolute log error ``s(x)`` of ``raw["memory_scale"]``; without it only the classifier).

    Examples
    --------
    >>> raw = {"bin_proba": np.array([[1.0, 0, 0, 0]]), "memory": np.array([1.792]),
    ...        "memory_scale": np.array([0.1])}
    >>> bin_distribution(raw, 0.5).round(3).tolist()
    [[0.75, 0.25, 0.0, 0.0]]
    """
    p = np.asarray(raw["bin_proba"], dtype=float)
    if mix <= 0 or "memory_scale" not in raw:
        return p
    sigma = np.maximum(np.asarray(raw["memory_scale"], dtype=float), 1e-3) * math.sqrt(math.pi / 2)
    z = (np.log(_EDGES)[None, :] - np.log(np.asarray(raw["memory"], dtype=float))[:, None]) / sigma[
        :, None
    ]
    cdf = np.concatenate([np.zeros((len(p), 1)), _ndtr(z), np.ones((len(p), 1))], axis=1)
    return (1.0 - mix) * p + mix * np.diff(cdf, axis=1)


def expected_costs(p: np.ndarray, wallclock: np.ndarray, *, oom_share: float = 1.0) -> dict:
    """Expected GB-hours and memory retries of submitting each bin, per row.

    Returns
    -------
    dict
        ``cost`` (n, 4) GB-hours and ``retries`` (n, 4), for bins 0-3.

    Examples
    --------
    >>> r = expected_costs(np.array([[0.5, 0.5, 0, 0]]), np.array([3600.0]))
    >>> float(r["cost"][0, 0]), float(r["retries"][0, 0])  # half 2 GB-h, half 2 (OOM) + 8
    (6.0, 0.5)
    """
    p = np.asarray(p, dtype=float)
    cum = np.concatenate([[0.0], np.cumsum(_GB)])
    b = np.arange(4)[:, None]  # submitted
    t = np.arange(4)[None, :]  # true
    final = np.maximum(b, t)
    unit = oom_share * (cum[final] - cum[b]) + _GB[final]  # (b, t): GB-h per hour of wallclock
    cost = (p @ unit.T) * (np.asarray(wallclock, dtype=float)[:, None] / 3600.0)
    retries = p @ (final - b).T.astype(float)
    return {"cost": cost, "retries": retries}


def _choose(
    p: np.ndarray,
    argmax: np.ndarray,
    wallclock: np.ndarray,
    lam: float,
    *,
    oom_share: float,
    margin: float,
) -> np.ndarray:
    e = expected_costs(p, wallclock, oom_share=oom_share)
    obj = e["cost"] + lam * e["retries"]
    best = np.argmin(obj, axis=1)
    rows = np.arange(len(best))
    keep_argmax = (best < argmax) & (obj[rows, best] > (1.0 - margin) * obj[rows, argmax])
    return np.where(keep_argmax, argmax, best)


def cost_decisions(
    raw: dict, rule: dict, counts: Any = None, max_wallclock: Any = None
) -> dict[str, np.ndarray]:
    """Bins and kill times chosen by a calibrated cost rule on raw model outputs.

    Parameters
    ----------
    raw : dict
        :func:`~spacekit.skopes.hst.cal.decision.raw_outputs`: ``bin_proba``, ``memory``,
        ``wallclock`` (and ``memory_scale`` when the model has it).
    rule : dict
        :func:`calibrate_cost_rule`'s result (``lam``, ``mix``, ``kill_log_margin`` and the
        settings).
    counts : array-like, optional
        (n, 4) bins of finished jobs of the same inputs
        (:meth:`~spacekit.skopes.hst.cal.history.JobHistory.counts`): the bin is then chosen on
        the posterior (the rule's ``history_weight`` jobs, default 1, for the model's
        probabilities).
    max_wallclock : array-like, optional
        (n,) the longest wallclock (s) of those jobs (0: none): the kill time is then at least
        :data:`HISTORY_KILL_FACTOR` times it.

    Returns
    -------
    dict
        ``mem_bin`` and ``clock_time`` (the wanted kill time, s).

    Examples
    --------
    >>> raw = {"bin_proba": np.array([[0.6, 0.4, 0, 0]]), "memory": np.array([1.5]),
    ...        "wallclock": np.array([100.0])}
    >>> rule = {"lam": 0.0, "mix": 0.0, "kill_log_margin": 1.0, "oom_share": 1.0, "margin": 0.05}
    >>> d = cost_decisions(raw, rule)
    >>> int(d["mem_bin"][0]), int(d["clock_time"][0])  # 0.6*2 + 0.4*10 = 5.2 < 8
    (0, 272)
    """
    p = bin_distribution(raw, float(rule["mix"]))
    argmax = np.argmax(np.asarray(raw["bin_proba"]), axis=1)
    wall = np.asarray(raw["wallclock"], dtype=float)
    lam = float(rule["lam"])
    if counts is not None:
        from .history import posterior_bins

        counts = np.asarray(counts, dtype=float)
        if counts.shape != p.shape:
            raise InputError(f"cost_decisions: counts of shape {counts.shape}, expected {p.shape}")
        p = posterior_bins(p, counts, float(rule.get("history_weight", 1.0)))
        # an input with no finished job keeps the classifier's argmax: decided as without one
        argmax = np.where(counts.sum(axis=1) > 0, np.argmax(p, axis=1), argmax)
    bins = _choose(
        p,
        argmax,
        wall,
        lam,
        oom_share=float(rule["oom_share"]),
        margin=float(rule["margin"]),
    )
    kill = np.ceil(wall * math.exp(float(rule["kill_log_margin"])))
    if max_wallclock is not None:
        kill = np.maximum(kill, np.ceil(HISTORY_KILL_FACTOR * np.asarray(max_wallclock, float)))
    return {"mem_bin": bins, "clock_time": kill}


def _boot_weights(groups: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    """(n_boot, n_groups) multiplicities of bootstrap resamples of the groups."""
    n_groups = int(groups.max()) + 1
    rng = np.random.default_rng(seed)
    return np.stack(
        [
            np.bincount(rng.integers(0, n_groups, n_groups), minlength=n_groups)
            for _ in range(n_boot)
        ]
    ).astype(float)


def calibrate_cost_rule(
    raw: dict,
    memory: Any,
    wallclock: Any,
    groups: Any,
    *,
    oom_share: float = COST_RULE_DEFAULTS["oom_share"],
    retry_ceiling: float = COST_RULE_DEFAULTS["retry_ceiling"],
    kill_ceiling: float = COST_RULE_DEFAULTS["kill_ceiling"],
    confidence: float = COST_RULE_DEFAULTS["confidence"],
    margin: float = COST_RULE_DEFAULTS["margin"],
    kill_floor_factor: float = COST_RULE_DEFAULTS["kill_floor_factor"],
    history_weight: float = COST_RULE_DEFAULTS["history_weight"],
    db_clock: float = 1200.0,
    n_boot: int = 200,
    seed: int = 0,
) -> dict:
    """Calibrate the cost rule on held-out (out-of-fold) predictions of the training data.

    For each mixture weight of the predictive bin distribution (classifier only, ..., memory
    regression only) the retry price ``lam`` is the smallest on a grid whose held-out retry rate
    is at most ``retry_ceiling`` on all rows and on ``confidence`` of bootstrap resamples of the
    groups (identical inputs); the mixture kept is the one with the lowest held-out GB-hours at
    its ``lam``. The kill margin ``q`` is the smallest whose held-out kill rate (kill time
    ``max(w * exp(q), db_clock)``, capped at 48 h as calcloud does) meets ``kill_ceiling`` the
    same way.

    Parameters
    ----------
    raw : dict
        Out-of-fold raw outputs (``bin_proba``, ``memory``, ``wallclock``, optional
        ``memory_scale``), one row per training job.
    memory, wallclock, groups : array-like
        True memory (GB), wallclock (s) and group id of those jobs.
    oom_share, retry_ceiling, kill_ceiling : float
        Cost settings (see :mod:`~spacekit.skopes.hst.cal.replay`).
    confidence : float
        Share of group resamples on which each ceiling must hold.
    margin : float
        Relative objective gain needed to submit a bin below the classifier's argmax.
    kill_floor_factor : float
        The kill time is never below this multiple of the point estimate (default 6, calcloud's
        own default; 0 disables): a longer kill time costs nothing until a job hangs, and the
        held-out calibration under-covers inputs unlike the training data (measured on the
        DynamoDB export trained without its inputs: 20% of jobs killed at the calibrated
        margin alone, 1.4% at 6x).
    history_weight : float
        How many jobs the model's probabilities count for against a job history's counts
        (stored with the rule; see the module docstring).
    db_clock : float
        calcloud's floor on the kill time (s).
    n_boot, seed : int
        Bootstrap resamples (over groups) and their seed.

    Returns
    -------
    dict
        ``lam``, ``mix``, ``kill_log_margin``, the settings, and the held-out ``retry_rate``,
        ``kill_rate`` and ``cost_over_true_bin`` the rule reaches on these rows (what the drift
        monitor compares against).

    Examples
    --------
    >>> rule = calibrate_cost_rule(oof, df["memory"], df["wallclock"], groups)  # doctest: +SKIP
    """
    from .features import memory_to_bin
    from .replay import calcloud_kill_time, replay_jobs

    mem = np.asarray(memory, dtype=float).reshape(-1)
    wall = np.asarray(wallclock, dtype=float).reshape(-1)
    _, g = np.unique(np.asarray(groups).reshape(-1), return_inverse=True)
    g = g.reshape(-1)
    _check_cost_settings(
        retry_ceiling, kill_ceiling, confidence, margin, history_weight, kill_floor_factor
    )
    if len(mem) == 0 or len(wall) != len(mem) or len(g) != len(mem):
        raise InputError(
            f"calibrate_cost_rule needs one memory, wallclock and group per held-out row, got "
            f"{len(mem)}, {len(wall)} and {len(g)}"
        )
    true = memory_to_bin(mem)
    n_groups = int(g.max()) + 1
    # Rows of a group share their features, so their held-out predictions: work per group.
    first = np.zeros(n_groups, dtype=np.int64)
    first[g[::-1]] = np.arange(len(g))[::-1]
    graw = {k: np.asarray(v)[first] for k, v in raw.items() if k in _RAW_KEYS}
    g_cost, g_retries, counts = _group_costs(g, true, wall, n_groups, oom_share)
    W = _boot_weights(np.arange(n_groups), n_boot, seed)
    n = float(len(mem))

    def ok(events_per_group: np.ndarray, ceiling: float) -> bool:
        rates = (W @ events_per_group) / np.maximum(W @ counts, 1.0)
        return events_per_group.sum() / n <= ceiling and np.mean(rates <= ceiling) >= confidence

    argmax = np.argmax(graw["bin_proba"], axis=1)
    w_hat = np.asarray(graw["wallclock"], dtype=float)
    best = _cheapest_price(
        graw, argmax, w_hat, g_cost, g_retries, ok, retry_ceiling, oom_share, margin
    )
    wall_hat_rows = w_hat[g]
    q_kill = _kill_margin(wall_hat_rows, wall, g, n_groups, ok, kill_ceiling, db_clock)
    if kill_floor_factor > 0:
        q_kill = max(q_kill, math.log(kill_floor_factor))
    p = bin_distribution(graw, best["mix"])
    bins = _choose(p, argmax, w_hat, best["lam"], oom_share=oom_share, margin=margin)[g]
    kill = calcloud_kill_time(np.ceil(wall_hat_rows * math.exp(q_kill)), db_clock=db_clock)
    per_job = replay_jobs(mem, wall, bins, kill, oom_share=oom_share)
    true_cost = float(np.sum(_GB[true] * wall) / 3600.0)
    return {
        "lam": best["lam"],
        "mix": best["mix"],
        "kill_log_margin": q_kill,
        "oom_share": oom_share,
        "retry_ceiling": retry_ceiling,
        "kill_ceiling": kill_ceiling,
        "confidence": confidence,
        "margin": margin,
        "kill_floor_factor": kill_floor_factor,
        "history_weight": float(history_weight),
        "db_clock": db_clock,
        "retry_rate": float(per_job["retries"].sum() / n),
        "under_bin_rate": float(np.mean(bins < true)),
        "kill_rate": float(per_job["killed"].sum() / n),
        "cost_over_true_bin": float(per_job["reserved_gbh"].sum() / true_cost)
        if true_cost
        else None,
    }


def _check_cost_settings(
    retry_ceiling: float,
    kill_ceiling: float,
    confidence: float,
    margin: float,
    history_weight: float,
    kill_floor_factor: float,
) -> None:
    """Raise InputError for a cost setting out of its range."""
    for label, v in (("retry_ceiling", retry_ceiling), ("kill_ceiling", kill_ceiling)):
        if not 0 <= v < 1:
            raise InputError(f"{label} must be a fraction of jobs in [0, 1), got {v!r}")
    if not 0 < confidence < 1:
        raise InputError(f"confidence must be in (0, 1), got {confidence!r}")
    if not 0 <= margin < 1:
        raise InputError(f"margin must be in [0, 1), got {margin!r}")
    if not history_weight > 0:
        raise InputError(f"history_weight must be > 0 jobs, got {history_weight!r}")
    if not (kill_floor_factor == 0 or kill_floor_factor >= 1):
        raise InputError(
            f"kill_floor_factor must be 0 (no floor) or >= 1 (times the point estimate), "
            f"got {kill_floor_factor!r}"
        )


def _group_costs(
    g: np.ndarray, true: np.ndarray, wall: np.ndarray, n_groups: int, oom_share: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per group and submitted bin: GB-hours and retries of its jobs; and its job count."""
    count_t = np.zeros((n_groups, 4))
    np.add.at(count_t, (g, true), 1.0)
    wall_t = np.zeros((n_groups, 4))
    np.add.at(wall_t, (g, true), wall / 3600.0)
    cum = np.concatenate([[0.0], np.cumsum(_GB)])
    b_ = np.arange(4)[:, None]
    final = np.maximum(b_, np.arange(4)[None, :])
    unit = oom_share * (cum[final] - cum[b_]) + _GB[final]  # (b, t) GB per hour
    g_cost = wall_t @ unit.T  # (groups, b): GB-hours of the group's jobs submitted to bin b
    g_retries = count_t @ (final - b_).T.astype(float)  # (groups, b)
    return g_cost, g_retries, count_t.sum(axis=1)


def _cheapest_price(
    graw: dict,
    argmax: np.ndarray,
    w_hat: np.ndarray,
    g_cost: np.ndarray,
    g_retries: np.ndarray,
    ok: Callable[[np.ndarray, float], bool],
    retry_ceiling: float,
    oom_share: float,
    margin: float,
) -> dict:
    """The mixture and retry price ``lam`` of lowest GB-hours among those meeting the ceiling."""
    rows = np.arange(len(argmax))
    best = None
    mixes = _MIXES if "memory_scale" in graw else (0.0,)
    for mix in mixes:
        p = bin_distribution(graw, mix)
        for lam in _LAMBDAS:
            bins = _choose(p, argmax, w_hat, lam, oom_share=oom_share, margin=margin)
            if ok(g_retries[rows, bins], retry_ceiling):
                cost = float(g_cost[rows, bins].sum())
                if best is None or cost < best["cost"]:
                    best = {"mix": mix, "lam": float(lam), "cost": cost}
                break
    if best is None:  # no price meets the ceiling: the safest bins (the largest price)
        best = {"mix": 0.0, "lam": float(_LAMBDAS[-1])}
    return best


def _kill_margin(
    wall_hat_rows: np.ndarray,
    wall: np.ndarray,
    g: np.ndarray,
    n_groups: int,
    ok: Callable[[np.ndarray, float], bool],
    kill_ceiling: float,
    db_clock: float,
) -> float:
    """The smallest log kill margin q (on a grid of log factors) meeting the kill ceiling."""
    from .replay import calcloud_kill_time

    for q in np.linspace(0.0, 8.0, 321):
        kill = calcloud_kill_time(np.ceil(wall_hat_rows * math.exp(q)), db_clock=db_clock)
        if ok(np.bincount(g, (wall > kill).astype(float), n_groups), kill_ceiling):
            return float(q)
    return 8.0  # even 3000x the estimate kills too often: the 48-hour cap decides

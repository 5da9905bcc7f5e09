"""Replay real HST calibration jobs through calcloud's queue ladder and count what they cost.

calcloud (``calcloud/plan.py``) submits a job to queue ``memBin`` (2, 8, 16 or 64 GB; a job
fits when its peak memory is below 1.792 / 7.168 / 14.336 GB, the last queue takes anything).
A job whose memory exceeds its queue's limit dies and is resubmitted on the next queue (a
*memory retry*); a job whose wallclock exceeds its kill time is killed, an operator rescues it
and it runs again (a *kill*). The cost of a job is the GB-hours its attempts hold their queues:

- an out-of-memory attempt holds its queue for ``oom_share`` x the job's wallclock (default the
  whole wallclock: a job that dies late wastes what it used);
- a killed attempt holds its queue until the kill, then the rescued run holds it for the whole
  wallclock (same queue, no kill time);
- the attempt that completes holds its queue for the wallclock.

GB-hours *wasted* are the out-of-memory attempts, the killed attempts, and the over-reservation
of the completing attempt (its queue's GB above the true bin's queue, times the wallclock).
Memory retries and kills are reported as counts beside the GB-hours (a kill needs a person).

Two bounds are computed on the same rows: the *true-bin oracle* (every job on its own bin, never
killed) and the *per-input oracle* (for each distinct feature vector, the bin that minimises the
cost of that vector's jobs in hindsight, under a budget of memory retries; in-sample, so no
model reaches it out of sample). :func:`replay` puts a model (and optionally a baseline model)
next to them, with the simple reference of calcloud's default (the classifier's most likely bin,
kill time 6x the point estimate).

Examples
--------
>>> import numpy as np
>>> r = replay_jobs(memory=[1.0, 3.0], wallclock=[3600, 3600], submitted_bin=[0, 0],
...                 kill_time=[7200, 7200])
>>> r["reserved_gbh"].tolist(), r["retries"].tolist()
([2.0, 10.0], [0, 1])
"""

from __future__ import annotations

import logging
import math
import os
from typing import Any

import numpy as np

from ....exceptions import InputError
from ....utils.checks import seed_number, whole_number
from .ladder import (  # noqa: F401  (the ladder arithmetic, importable from here too)
    _CUM_GB,
    _GB,
    _INSTR_NAMES,
    CALCLOUD_DB_CLOCK_S,
    CALCLOUD_DEFAULT_FACTOR,
    COST_DEFAULTS,
    REPLAY_KEYS,
    _as_1d,
    _check_share,
    bootstrap_cost_ratio,
    calcloud_kill_time,
    per_input_oracle,
    replay_jobs,
    summarise_replay,
    true_bin_oracle,
)
from .replay_report import _write_run, replay_figures

__all__ = [
    "COST_DEFAULTS",
    "replay_jobs",
    "summarise_replay",
    "true_bin_oracle",
    "per_input_oracle",
    "calcloud_kill_time",
    "bootstrap_cost_ratio",
    "replay",
    "REPLAY_KEYS",
    "replay_figures",
    "monitor",
    "read_jobs",
    "JOB_SOURCES",
]

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- the replay
def _is_real(value: Any) -> bool:
    import numbers

    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_ceiling(label: str, value: Any, *, at_most_one: bool = False) -> float:
    """A ceiling on a share of jobs: a number in [0, 1) (or [0, 1] with ``at_most_one``: the
    monitor's "never alert"); NaN, which would never alert, is refused."""
    ok = _is_real(value) and (0 <= float(value) <= 1 if at_most_one else 0 <= float(value) < 1)
    if not ok:
        bounds = "[0, 1]" if at_most_one else "[0, 1)"
        raise InputError(
            f"{label} must be a fraction of jobs in {bounds}, e.g. 0.002 for 0.2%, got {value!r}"
        )
    return float(value)


def _check_db_clock(db_clock: Any, where: str) -> None:
    if not (_is_real(db_clock) and math.isfinite(db_clock) and db_clock >= 0):
        raise InputError(
            f"{where}: db_clock (--db-clock, calcloud's floor on the kill time) must be a finite "
            f"number of seconds >= 0, got {db_clock!r}; leave it out for calcloud's 1200 s"
        )


def replay(
    data: Any,
    model: Any,
    *,
    baseline: Any = None,
    oom_share: float = COST_DEFAULTS["oom_share"],
    retry_ceiling: float = COST_DEFAULTS["retry_ceiling"],
    kill_ceiling: float = COST_DEFAULTS["kill_ceiling"],
    db_clock: float = CALCLOUD_DB_CLOCK_S,
    n_boot: int = 1000,
    seed: int = 0,
    runs_dir: str | os.PathLike | None = None,
    name: str = "replay",
    figures: bool = True,
    decision: str | None = None,
    baseline_decision: str | None = None,
    history: Any = None,
    learn: bool = False,
    history_lag: int = 0,
) -> dict:
    """Replay a table of real jobs with a model's bins and kill times, next to the oracles.

    Parameters
    ----------
    data : path, pandas.DataFrame or dataset name
        Jobs with the nine features, ``memory`` (GB) and ``wallclock`` (s) (training or
        DynamoDB-export layout).
    model : CalPredictor or model folder
        The model replayed (its own decision rule; the kill time each job ends with is
        calcloud's clip of the model's kill time, :func:`calcloud_kill_time`).
    baseline : CalPredictor or model folder, optional
        A second model replayed on the same rows; the result then says which costs less, with
        a bootstrap interval over groups of identical inputs.
    oom_share : float
        Share of its wallclock an out-of-memory attempt holds its queue.
    retry_ceiling, kill_ceiling : float
        Ceilings on memory retries and kills (fractions of jobs): a policy above one is
        flagged, the per-input oracle uses ``retry_ceiling`` as its retry budget, and a model
        over a ceiling cannot win the comparison.
    db_clock : float
        calcloud's floor on the kill time (s): 1200 for a dataset without a DynamoDB row.
    n_boot, seed : int
        Bootstrap resamples (over groups) and their seed.
    runs_dir : path, optional
        When given, a run folder ``<runs_dir>/hst_cal_replay/<time>-<name>/`` is written
        (``run.json``, ``metrics.json``, ``decision.json``, ``predictions.csv``, ``figures/``).
    name : str
        Name of the run folder.
    figures : bool
        Write the figures into the run folder.
    decision, baseline_decision : {"cost", "margins", "argmax"}, optional
        The decision rule the model (the baseline) is replayed with
        (:data:`~spacekit.skopes.hst.cal.predict.DECISIONS`); default each folder's own.
    history : JobHistory or path, optional
        Jobs finished before the table (:mod:`~spacekit.skopes.hst.cal.history`): the model's
        cost rule decides on the posterior given them (default: the predictor's own
        ``history``, if any).
    learn : bool
        The model also learns from the table's jobs as they finish: each job sees the bins of
        the earlier jobs of its input (in ``timestamp`` order when the table's timestamps
        vary, else in a random order drawn with ``seed``), as a predictor whose history is
        kept up to date would. Needs the cost rule.
    history_lag : int
        With ``learn``: jobs submitted before a finished job's outcome reaches the predictor.

    Returns
    -------
    dict
        ``policies``: per policy (``model``, ``baseline``, ``reference`` = the model's
        classifier argmax with calcloud's default kill of 6x the point estimate,
        ``model_alone`` = the model without its job history when it has one,
        ``true_bin_oracle``, ``per_input_oracle``) the :func:`summarise_replay` totals and
        ``cost_over_true_bin`` / ``cost_over_per_input_oracle``; ``ceilings`` (which policy
        exceeds which); ``comparison`` (with a baseline); ``settings``; ``run`` (the run
        folder path, when written).

    Examples
    --------
    >>> r = replay("hst_cal_ddb_export_2021-05-11.csv", "runs/hst_cal")  # doctest: +SKIP
    >>> r["policies"]["model"]["cost_over_per_input_oracle"]  # doctest: +SKIP
    1.01...
    """
    import copy

    from .features import FEATURES, group_ids
    from .predict import CalPredictor, check_decision, load_predictor

    share = _check_share(oom_share)
    for label, v in (("retry_ceiling", retry_ceiling), ("kill_ceiling", kill_ceiling)):
        _check_ceiling(label, v)
    n_boot = whole_number(n_boot, "replay: n_boot (--boot, bootstrap resamples)", minimum=0)
    seed = seed_number(seed, "replay: seed")
    _check_db_clock(db_clock, "replay")
    if history_lag and not learn:
        raise InputError("replay: history_lag (--history-lag) needs learn=True (--learn)")
    df, digest, data_label = read_jobs(data)
    if len(df) == 0:
        raise InputError("replay: the table holds no jobs")
    X = df[list(FEATURES)].to_numpy(dtype=np.float64)
    groups = group_ids(X)
    mem = df["memory"].to_numpy(dtype=float)
    wall = df["wallclock"].to_numpy(dtype=float)
    instr = df["instr"].to_numpy(dtype=int)
    n = len(df)

    def load(m, rule):
        if not isinstance(m, CalPredictor):
            return load_predictor(m, decision=rule)
        if rule is None:
            return m
        m = copy.copy(m)  # the caller's predictor keeps its own rule
        m.decision = check_decision(rule)
        return m

    predictor = load(model, decision)
    if learn or history is not None or getattr(predictor, "history", None) is not None:
        from .arrival import replay_decisions

        res, hist_settings = replay_decisions(
            predictor, df, groups, mem, history=history, learn=learn, lag=history_lag, seed=seed
        )
    else:
        res, hist_settings = predictor._predict_unique(X), None
    bins = {
        "model": res["mem_bin"],
        "reference": res["bin_argmax"],
        "true_bin_oracle": true_bin_oracle(mem),
        "per_input_oracle": per_input_oracle(
            mem, wall, groups, retry_budget=int(math.floor(retry_ceiling * n)), oom_share=share
        ),
    }
    kills = {
        "model": _kill_times(predictor, res, db_clock),
        "reference": calcloud_kill_time(res["wallclock"], db_clock=db_clock, reply_is_kill=False),
        "true_bin_oracle": None,
        "per_input_oracle": None,
    }
    if hist_settings:  # the same model without the history, on the same rows
        bins["model_alone"] = res["mem_bin_alone"]
        kills["model_alone"] = _kill_times(
            predictor, {"clock_time": res["clock_time_alone"]}, db_clock
        )
    base_pred = None
    if baseline is not None:
        base_pred = load(baseline, baseline_decision)
        kw = {"history": history, "learn": learn, "lag": history_lag, "seed": seed}
        bres = _baseline_outputs(base_pred, X, df, groups, mem, hist_settings, kw)
        bins["baseline"] = bres["mem_bin"]
        kills["baseline"] = _kill_times(base_pred, bres, db_clock)
    per_job = {k: replay_jobs(mem, wall, bins[k], kills[k], oom_share=share) for k in bins}
    policies = {k: summarise_replay(v, instr) for k, v in per_job.items()}
    true_cost = policies["true_bin_oracle"]["gbh_reserved"]
    pio_cost = policies["per_input_oracle"]["gbh_reserved"]
    ceilings = {}
    for k, p in policies.items():
        p["cost_over_true_bin"] = p["gbh_reserved"] / true_cost if true_cost else None
        p["cost_over_per_input_oracle"] = p["gbh_reserved"] / pio_cost if pio_cost else None
        ceilings[k] = {
            "retries_ok": p["retry_rate"] <= retry_ceiling,
            "kills_ok": p["kill_rate"] <= kill_ceiling,
        }
    out: dict = {"policies": policies, "ceilings": ceilings}
    if base_pred is not None:
        cmp = bootstrap_cost_ratio(
            per_job["model"]["reserved_gbh"],
            per_job["baseline"]["reserved_gbh"],
            groups,
            n_boot=n_boot,
            seed=seed,
        )
        decision = _decide(cmp, ceilings)
        # a number too, for tables that keep numbers only (the dashboard's run summary)
        code = {"model": 1, "baseline": -1}.get(decision["winner"], 0)
        out["comparison"] = dict(cmp, decision=decision, winner_code=code)
    out["settings"] = {
        "data": data_label,
        "data_sha256": digest,
        "model": str(getattr(predictor, "model_dir", None)),
        "baseline": None if base_pred is None else str(getattr(base_pred, "model_dir", None)),
        "decision": predictor.decision,
        "baseline_decision": None if base_pred is None else base_pred.decision,
        "oom_share": share,
        "retry_ceiling": retry_ceiling,
        "kill_ceiling": kill_ceiling,
        "retry_budget_per_input_oracle": int(math.floor(retry_ceiling * n)),
        "db_clock": db_clock,
        "n_boot": n_boot,
        "seed": seed,
        "n_jobs": n,
        "n_groups": int(groups.max()) + 1,
        "history": hist_settings,
    }
    if runs_dir is not None:
        out["run"] = str(_write_run(out, df, bins, kills, per_job, runs_dir, name, seed, figures))
    return out


def _baseline_outputs(base_pred, X, df, groups, mem, hist_settings, kw) -> dict:
    """The baseline's outputs; with a job history in the replay, a baseline with the cost rule
    learns from the same jobs (recorded as ``baseline_learns``)."""
    if hist_settings is None:
        return base_pred._predict_unique(X)
    hist_settings["baseline_learns"] = bool(base_pred.decision == "cost" and base_pred.cost_rule)
    if not hist_settings["baseline_learns"]:
        return base_pred._predict_unique(X)
    from .arrival import replay_decisions

    return replay_decisions(base_pred, df, groups, mem, **kw)[0]


def _kill_times(predictor, res: dict, db_clock: float) -> np.ndarray:
    """The kill time calcloud ends with for a predictor's answers: the reply contract's kill
    time, or, for a model imported from upstream spacekit (which answered its wallclock
    estimate as ``clockTime``), calcloud's default of 6x that estimate."""
    upstream = getattr(predictor, "rounding", "spacekit") == "upstream"
    return calcloud_kill_time(res["clock_time"], db_clock=db_clock, reply_is_kill=not upstream)


def _decide(cmp: dict, ceilings: dict) -> dict:
    """Champion / challenger: a policy within both ceilings beats one over a ceiling; otherwise
    the model wins when the whole cost-ratio interval is below 1, the baseline when it is above
    1, and there is no decision when it holds 1."""
    ok_m = all(ceilings["model"].values())
    ok_b = all(ceilings["baseline"].values())
    if ok_m and not ok_b:
        return {"winner": "model", "reason": "the baseline exceeds a ceiling, the model does not"}
    if ok_b and not ok_m:
        return {
            "winner": "baseline",
            "reason": "the model exceeds a ceiling, the baseline does not",
        }
    if cmp["high"] < 1:
        return {
            "winner": "model",
            "reason": f"the model costs {cmp['ratio']:.4f}x the baseline "
            f"({cmp['level']:.0%} interval {cmp['low']:.4f}-{cmp['high']:.4f}, below 1)",
        }
    if cmp["low"] > 1:
        return {
            "winner": "baseline",
            "reason": f"the model costs {cmp['ratio']:.4f}x the baseline "
            f"({cmp['level']:.0%} interval {cmp['low']:.4f}-{cmp['high']:.4f}, above 1)",
        }
    return {
        "winner": None,
        "reason": f"no clear difference: the model costs {cmp['ratio']:.4f}x the baseline "
        f"({cmp['level']:.0%} interval {cmp['low']:.4f}-{cmp['high']:.4f} holds 1)",
    }


# --------------------------------------------------------------------------- drift monitor
def _read_dynamodb(rest: str):
    """calcloud's DynamoDB table ``TABLE[?endpoint_url=URL&region_name=R&since=T]`` as a
    training table (:mod:`~spacekit.skopes.hst.cal.ddb`, boto3)."""
    from urllib.parse import parse_qs, urlsplit

    from .ddb import ddb_training_table, read_ddb_table

    parts = urlsplit("dynamodb://" + rest)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    unknown = set(query) - {"endpoint_url", "region_name", "since"}
    if unknown or not parts.netloc:
        raise InputError(
            f"dynamodb://{rest}: expected dynamodb://TABLE with optional ?endpoint_url=, "
            f"region_name=, since= (found {'no table' if not parts.netloc else sorted(unknown)})"
        )
    return ddb_training_table(read_ddb_table(parts.netloc, **query))


#: Readers of recent jobs by URL scheme, for :func:`monitor` and :func:`replay`: a callable
#: taking the part after ``scheme://`` and returning a DataFrame in the training or
#: DynamoDB-export layout. ``"dynamodb"`` reads calcloud's DynamoDB table
#: (``dynamodb://TABLE?endpoint_url=...&since=...``, through :mod:`~spacekit.skopes.hst.cal.ddb`).
JOB_SOURCES: dict[str, Any] = {"dynamodb": _read_dynamodb}


def read_jobs(source: Any):
    """Recent jobs from a path, DataFrame, registered dataset name or ``scheme://`` source.

    Examples
    --------
    >>> read_jobs("nosuch://table")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    spacekit.exceptions.InputError: ...
    """
    from .pipeline import _load

    if isinstance(source, str) and "://" in source:
        scheme, _, rest = source.partition("://")
        reader = JOB_SOURCES.get(scheme)
        if reader is None:
            raise InputError(
                f"no reader of {scheme}:// job sources is registered (known: "
                f"{sorted(JOB_SOURCES) or 'none'}); export the jobs to a csv (for calcloud's "
                "DynamoDB table: `spacekit cal ingest`) and pass its path, or register a reader in "
                "spacekit.skopes.hst.cal.replay.JOB_SOURCES"
            )
        return _load(reader(rest))
    return _load(source)


def monitor(
    data: Any,
    model: Any,
    *,
    retry_ceiling: float | None = None,
    kill_ceiling: float | None = None,
    oom_share: float | None = None,
    cost_tolerance: float | None = None,
    db_clock: float = CALCLOUD_DB_CLOCK_S,
    decision: str | None = None,
    history: Any = None,
) -> dict:
    """Drift check: a model's bins and kill times on recent jobs, against its calibration.

    Parameters
    ----------
    data : path, DataFrame, dataset name or ``scheme://`` source (see :data:`JOB_SOURCES`)
        Recent jobs with their outcomes (nine features, ``memory``, ``wallclock``).
    model : CalPredictor or model folder
    retry_ceiling, kill_ceiling, oom_share : float, optional
        Default: the model's cost-rule settings, else :data:`COST_DEFAULTS`.
    cost_tolerance : float, optional
        Also alert when the replay cost over the true-bin oracle exceeds the calibration's by
        more than this relative amount (e.g. 0.1); default: cost is reported, not checked.
    db_clock : float
        calcloud's floor on the kill time (s).
    decision : {"cost", "margins", "argmax"}, optional
        The decision rule checked (default the folder's own).
    history : JobHistory or path, optional
        The job history the deployed predictor uses (:mod:`~spacekit.skopes.hst.cal.history`;
        default the predictor's own, if any): the recent jobs are decided with it, as the
        Lambda handler decides them. Build it from jobs that finished before the recent ones.

    Returns
    -------
    dict
        ``recent`` (``under_bin_rate``, ``retry_rate``, ``kill_rate``, ``cost_over_true_bin``,
        ``n_jobs``), ``calibration`` (the same on the model's held-out calibration data, where
        the model folder records them), ``ceilings``, ``alerts`` (one line per exceeded ceiling)
        and ``ok``.

    Examples
    --------
    >>> m = monitor("recent_jobs.csv", "runs/hst_cal")  # doctest: +SKIP
    >>> m["ok"], m["alerts"]  # doctest: +SKIP
    (True, [])
    """
    import copy

    from .features import FEATURES
    from .predict import CalPredictor, check_decision, load_predictor

    if isinstance(model, CalPredictor):
        predictor = model
        if decision is not None:
            predictor = copy.copy(model)
            predictor.decision = check_decision(decision)
    else:
        predictor = load_predictor(model, decision=decision)
    if history is not None:
        from .history import load_history

        predictor = copy.copy(predictor)
        predictor.history = load_history(history)
    rule = predictor.cost_rule or {}
    settings = {**COST_DEFAULTS, **{k: rule[k] for k in COST_DEFAULTS if k in rule}}
    if retry_ceiling is not None:
        settings["retry_ceiling"] = _check_ceiling("retry_ceiling", retry_ceiling, at_most_one=True)
    if kill_ceiling is not None:
        settings["kill_ceiling"] = _check_ceiling("kill_ceiling", kill_ceiling, at_most_one=True)
    if cost_tolerance is not None and not (
        _is_real(cost_tolerance) and math.isfinite(cost_tolerance) and cost_tolerance >= 0
    ):
        raise InputError(
            "monitor: cost_tolerance (--cost-tolerance) must be a finite share >= 0, e.g. 0.1 "
            f"for 10% above the calibration's cost, got {cost_tolerance!r}"
        )
    _check_db_clock(db_clock, "monitor")
    if oom_share is not None:
        settings["oom_share"] = _check_share(oom_share)
    df, _, label = read_jobs(data)
    if len(df) == 0:
        raise InputError(f"monitor: {label} holds no jobs")
    X = df[list(FEATURES)].to_numpy(dtype=np.float64)
    mem = df["memory"].to_numpy(dtype=float)
    wall = df["wallclock"].to_numpy(dtype=float)
    if getattr(predictor, "history", None) is not None:
        from .history import warn_if_counted

        warn_if_counted(predictor.history, df)
    res = predictor._predict_unique(X)
    kill = _kill_times(predictor, res, db_clock)
    per_job = replay_jobs(mem, wall, res["mem_bin"], kill, oom_share=settings["oom_share"])
    true = replay_jobs(mem, wall, true_bin_oracle(mem), oom_share=settings["oom_share"])
    n = len(df)
    recent = {
        "under_bin_rate": float(np.mean(res["mem_bin"] < per_job["true_bin"])),
        "retry_rate": float(per_job["retries"].sum() / n),
        "kill_rate": float(per_job["killed"].sum() / n),
        "cost_over_true_bin": float(
            per_job["reserved_gbh"].sum() / max(true["reserved_gbh"].sum(), 1e-300)
        ),
        "n_jobs": n,
    }
    oof = predictor.metadata.get("metrics_out_of_fold") or {}
    if predictor.decision == "cost" and rule:
        calibration = {k: rule.get(k) for k in ("under_bin_rate", "retry_rate", "kill_rate")}
        calibration["cost_over_true_bin"] = rule.get("cost_over_true_bin")
    else:
        calibration = {
            "under_bin_rate": oof.get("under_bin_rate"),
            "kill_rate": oof.get("wallclock_under_rate"),
        }
    alerts = []
    if recent["retry_rate"] > settings["retry_ceiling"]:
        alerts.append(
            f"memory retries {recent['retry_rate']:.4%} of jobs exceed the ceiling "
            f"{settings['retry_ceiling']:.4%} (under-bin rate {recent['under_bin_rate']:.4%}; "
            f"calibration: {calibration.get('under_bin_rate')})"
        )
    if recent["kill_rate"] > settings["kill_ceiling"]:
        alerts.append(
            f"kills {recent['kill_rate']:.4%} of jobs exceed the ceiling "
            f"{settings['kill_ceiling']:.4%} (calibration: {calibration.get('kill_rate')})"
        )
    cal_cost = calibration.get("cost_over_true_bin")
    if cost_tolerance is not None and cal_cost:
        if recent["cost_over_true_bin"] > cal_cost * (1 + float(cost_tolerance)):
            alerts.append(
                f"replay cost {recent['cost_over_true_bin']:.4f}x the true-bin oracle exceeds the "
                f"calibration's {cal_cost:.4f}x by more than {float(cost_tolerance):.0%}"
            )
    return {
        "recent": recent,
        "calibration": calibration,
        "ceilings": {
            "retry_ceiling": settings["retry_ceiling"],
            "kill_ceiling": settings["kill_ceiling"],
            "cost_tolerance": cost_tolerance,
        },
        "oom_share": settings["oom_share"],
        "decision": predictor.decision,
        "history_jobs": None if predictor.history is None else predictor.history.n_jobs,
        "data": label,
        "model": str(getattr(predictor, "model_dir", None)),
        "alerts": alerts,
        "ok": not alerts,
    }

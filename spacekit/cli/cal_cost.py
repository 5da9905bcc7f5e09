"""``spacekit cal replay`` and ``spacekit cal monitor``: what the HST calibration models cost.

- ``spacekit cal replay TABLE --model M [--baseline M2] [--decision RULE] [--runs DIR]
  [--json]``: replay real jobs through calcloud's memory ladder and kill time with the model's
  bins and kill times, next to the true-bin and per-input oracles and calcloud's default
  reference; with a baseline, which costs less (bootstrap interval over groups of identical
  inputs). Exit 0. ``--decision cost|margins|argmax`` (``--baseline-decision``) replays the
  model (baseline) with another decision rule than its folder's.
  ``--learn [--history-lag N]`` lets the model learn from the table's finished jobs (a job
  history kept up to date), ``--history FILE`` starts from a saved one.
- ``spacekit cal history JOBS... --out FILE [--update]``: count the memory bins finished jobs
  needed, per distinct input (:class:`~spacekit.skopes.hst.cal.history.JobHistory`), for
  ``cal predict --history`` and the Lambda handler's ``$SPACEKIT_HST_CAL_HISTORY``.
- ``spacekit cal monitor TABLE --model M [--history FILE] [--json]``: under-bin rate, kill
  rate and replay cost of recent jobs against the model's calibration; **exit 3 when a ceiling
  is exceeded** (so a scheduler can trigger retraining), 1 on an error, 2 on bad usage.

Added to ``spacekit cal`` by :func:`add_actions` (called from :mod:`spacekit.cli.cmd_cal`); the
module name has no ``cmd_`` prefix so that the top-level discovery does not register it twice.
"""

from __future__ import annotations

import sys

from ._contract import dumps as _dumps
from ._contract import seed_option, settings

#: Exit status of ``spacekit cal monitor`` when a ceiling is exceeded.
EXIT_CEILING = 3
#: ``--decision`` choices: :data:`spacekit.skopes.hst.cal.predict.DECISIONS` (not imported
#: here: building the parser stays light; a test checks they agree).
DECISION_CHOICES = ("cost", "margins", "argmax")


def _cost_options(p, default_from_model: bool = False) -> None:
    where = "the model's cost-rule setting, else " if default_from_model else ""
    p.add_argument(
        "--oom-share",
        type=float,
        default=None,
        help=(
            f"share of its wallclock an out-of-memory attempt holds the queue (default {where}1.0)"
        ),
    )
    p.add_argument(
        "--retry-ceiling",
        type=float,
        default=None,
        help=f"most memory retries, as a fraction of jobs (default {where}0.002)",
    )
    p.add_argument(
        "--kill-ceiling",
        type=float,
        default=None,
        help=f"most kills, as a fraction of jobs (default {where}0.0005)",
    )
    p.add_argument(
        "--db-clock",
        type=float,
        default=1200.0,
        help="calcloud's floor on the kill time in s (1200: dataset without a DynamoDB row)",
    )
    p.add_argument("--json", action="store_true", help="print strict JSON")


def add_decision(p, default: str) -> None:
    """Add ``--decision {cost,margins,argmax}`` (the rule for memBin and the kill time)."""
    p.add_argument(
        "--decision",
        choices=DECISION_CHOICES,
        default=None,
        help="how memBin and the kill time are chosen: cost (least expected GB-hours under "
        "the retry and kill ceilings the model was calibrated for), margins (calibrated safety "
        "margins) or argmax (the classifier's most probable bin with the calibrated kill "
        f"time); {default}",
    )


def add_actions(cal) -> None:
    """Add ``replay`` and ``monitor`` to the ``spacekit cal`` subparsers ``cal``."""
    r = cal.add_parser(
        "replay",
        help="replay real jobs through calcloud's queues: GB-hours, retries, kills vs oracles",
    )
    r.add_argument("table", metavar="TABLE", help="jobs (csv) with features, memory, wallclock")
    r.add_argument(
        "--model", "--models", dest="model", required=True, help="model, run or runs folder"
    )
    r.add_argument("--baseline", default=None, help="a second model folder to compare with")
    add_decision(r, "the model's; default: the model folder's own")
    r.add_argument(
        "--baseline-decision",
        choices=DECISION_CHOICES,
        default=None,
        help="the baseline's decision rule (default: its folder's own)",
    )
    r.add_argument("--runs", default=None, help="write a run folder under RUNS/hst_cal_replay/")
    r.add_argument("--name", default="replay", help="run name (default replay)")
    r.add_argument("--boot", type=int, default=1000, help="bootstrap resamples (default 1000)")
    r.add_argument("--seed", type=seed_option, default=0, help="bootstrap and arrival-order seed")
    r.add_argument(
        "--history", default=None, help="a job history (cal history) the model starts from"
    )
    r.add_argument(
        "--learn",
        action="store_true",
        help="the model learns from the table's jobs as they finish (in timestamp order when "
        "the timestamps vary, else a random order)",
    )
    r.add_argument(
        "--history-lag",
        type=int,
        default=0,
        help="with --learn: jobs submitted before a finished job's outcome is known (default 0)",
    )
    _cost_options(r)
    r.set_defaults(func=_replay)

    h = cal.add_parser(
        "history",
        help="count the memory bins finished jobs needed per input (for predict --history)",
    )
    h.add_argument(
        "tables",
        nargs="+",
        metavar="JOBS",
        help="finished jobs: a csv with the nine features, memory, wallclock (and ipst, so "
        "that each dataset counts once), or dynamodb://TABLE",
    )
    h.add_argument("--out", required=True, help="the history file (JSON) written, or s3:// URL")
    h.add_argument(
        "--update",
        action="store_true",
        help="add to the history in --out (datasets already counted are skipped)",
    )
    h.set_defaults(func=_history)

    m = cal.add_parser(
        "monitor",
        help="drift check of recent jobs against the model's calibration (exit 3 on a ceiling)",
    )
    m.add_argument(
        "table",
        metavar="TABLE",
        help="recent jobs (csv, or a scheme:// source registered in hst.cal.replay.JOB_SOURCES)",
    )
    m.add_argument(
        "--model", "--models", dest="model", required=True, help="model, run or runs folder"
    )
    m.add_argument(
        "--cost-tolerance",
        type=float,
        default=None,
        help="also alert when the cost over the true-bin oracle exceeds the calibration's by "
        "more than this fraction",
    )
    add_decision(m, "default: the model folder's own")
    m.add_argument(
        "--history",
        default=None,
        help="the job history the deployed predictor uses (cal history), built from jobs that "
        "finished before the recent ones",
    )
    _cost_options(m, default_from_model=True)
    m.set_defaults(func=_monitor)


def _fmt(v) -> str:
    if v is None:
        return "-"
    return f"{v:.4f}" if isinstance(v, float) else str(v)


def _replay(args) -> int:
    from ..skopes.hst.cal.replay import COST_DEFAULTS, replay

    cost = {
        k: getattr(args, k) if getattr(args, k) is not None else COST_DEFAULTS[k]
        for k in ("oom_share", "retry_ceiling", "kill_ceiling")
    }
    names = ("baseline", "db_clock", "seed", "runs", "name", "decision", "baseline_decision")
    names += ("history", "learn", "history_lag")
    out = replay(args.table, args.model, n_boot=args.boot, **settings(args, *names), **cost)
    if args.json:
        print(_dumps(out))
        return 0
    cols = (
        "gbh_reserved",
        "gbh_wasted",
        "cost_over_true_bin",
        "cost_over_per_input_oracle",
        "memory_retries",
        "kills",
        "kill_over_wallclock_median",
    )
    print(f"{'policy':18s} " + " ".join(f"{c:>26s}" for c in cols))
    for name, pol in out["policies"].items():
        flags = [] if all(out["ceilings"][name].values()) else ["over a ceiling"]
        print(
            f"{name:18s} " + " ".join(f"{_fmt(pol[c]):>26s}" for c in cols),
            *flags,
        )
    hist = out["settings"]["history"]
    if hist:
        print(
            f"model with a job history: {hist['history_jobs']} jobs before the table"
            + (
                f", learning from the table's jobs ({hist['arrival_order']} order, lag "
                f"{hist['history_lag']})"
                if hist["learn"]
                else ""
            )
            + (
                ""
                if "baseline_learns" not in hist
                else "; the baseline "
                + ("too" if hist["baseline_learns"] else "does not learn (not the cost rule)")
            )
        )
    if "comparison" in out:
        print(f"decision: {out['comparison']['decision']['reason']}")
    if "run" in out:
        print(f"run: {out['run']}")
    return 0


def _history(args) -> int:
    from pathlib import Path

    from ..skopes.hst.cal.history import JobHistory

    out = args.out
    if str(out).startswith("s3://"):
        from ..radio import s3_exists

        exists = s3_exists(out)
    else:
        exists = Path(out).exists()
    if args.update and exists:
        hist = JobHistory.load(out)
    else:
        hist = JobHistory()
        if args.update:
            print(f"{out} does not exist yet: a new history", file=sys.stderr)
    for table in args.tables:
        added, skipped = hist.add_jobs(table)
        note = f" ({skipped} already counted, skipped)" if skipped else ""
        print(f"{table}: {added} jobs added{note}")
    hist.save(out)
    print(f"{out}: {hist.n_jobs} jobs of {len(hist)} inputs")
    return 0


def _monitor(args) -> int:
    from ..skopes.hst.cal.replay import monitor

    names = ("retry_ceiling", "kill_ceiling", "oom_share", "cost_tolerance", "db_clock", "decision")
    names += ("history",)
    out = monitor(args.table, args.model, **settings(args, *names))
    if args.json:
        print(_dumps(out))
    else:
        for k, v in out["recent"].items():
            print(f"{k:22s} recent {_fmt(v):>10s}  calibration {_fmt(out['calibration'].get(k))}")
        for line in out["alerts"]:
            print(f"ALERT: {line}", file=sys.stderr)
        if out["ok"]:
            print("ok: within the ceilings")
    return 0 if out["ok"] else EXIT_CEILING

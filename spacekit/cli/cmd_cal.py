"""``spacekit cal``: train, cross-validate, score and serve the HST calibration resource models.

The shape every app shares (DATA: a path or a registered dataset name):

- ``spacekit cal train DATA [--runs DIR] [--seed N] [--fast] [--bin-rule RULE] [--json]``
- ``spacekit cal cv DATA [--folds 5] [--repeats 3] [--bin-rule RULE] [--runs DIR] [--json]``
- ``spacekit cal score DATA [--model DIR] [--json]``
- ``spacekit cal predict PATH... [--model DIR] [--ipst IPST]``: one JSON line per dataset (the
  reply calcloud reads, see :mod:`spacekit.skopes.hst.cal.handler`)
- ``spacekit cal ingest TABLE --out CSV``, ``spacekit cal lambda-event EVENT``: see
  :mod:`.cal_ops`

Deprecated, still accepted: ``--data`` (pass DATA positionally), ``--out`` (``--runs``),
``--models`` (``--model``) and ``cal evaluate`` (``cal score``).
"""

from __future__ import annotations

import json
import sys

from ._contract import (
    MODEL_HELP,
    SERVING,
    DeprecatedAlias,
    add_action,
    add_app,
    add_data,
    file_error,
    json_safe,
    print_metrics,
    print_run_json,
    settings,
)

_BIN_RULE_HELP = (
    "how the submitted memBin is chosen: upper_quantile (default: best accuracy), "
    "upper_quantile_max (also the trees' and linear model's upper bounds: fewer under-binned "
    "jobs, more over-binned; see docs/hst_cal.rst) or classifier_max"
)


def _data(parser, what: str) -> None:
    add_data(parser, example="hst_cal_2021_05_11", nargs="?", default=None)
    parser.add_argument(
        "--data",
        dest="data_option",
        default=None,
        action=DeprecatedAlias,
        new="DATA (positional)",
        new_dest="data",
        help=f"deprecated: {what}; pass it as DATA",
    )


def _models_alias(parser) -> None:
    parser.add_argument(
        "--models", dest="model", action=DeprecatedAlias, new="--model", help="deprecated: --model"
    )


def register(sub) -> None:
    from .cal_cost import add_decision

    cal = add_app(
        sub,
        "cal",
        help="HST calibration jobs: predict memory bin, memory and wallclock",
        description="HST calibration jobs: train, cross-validate, score and predict. DATA is a "
        "table (csv) in the training or DynamoDB-export format, or a registered dataset name "
        "(e.g. hst_cal_2021_05_11).",
        dest="cal_command",
    )
    help_ = "train and calibrate the three models; writes a run folder"
    t = add_action(cal, "train", _train, help=help_)
    _data(t, "the training table")
    t.add_argument(
        "--out", dest="runs", action=DeprecatedAlias, new="--runs", help="deprecated: --runs"
    )
    t.add_argument("--fast", action="store_true", help="small tree models in seconds")
    t.add_argument(
        "--under-bin-target", type=float, default=0.005, help="max under-bin rate (default 0.005)"
    )
    t.add_argument("--coverage", type=float, default=0.99, help="kill-time coverage (default 0.99)")
    t.add_argument("--bin-rule", default="upper_quantile", help=_BIN_RULE_HELP)
    add_decision(t, "the rule the model folder uses (default cost)")
    t.add_argument(
        "--retry-ceiling",
        type=float,
        default=None,
        help="cost rule: most memory retries, as a fraction of jobs (default 0.002)",
    )
    t.add_argument(
        "--kill-ceiling",
        type=float,
        default=None,
        help="cost rule: most kills, as a fraction of jobs (default 0.0005)",
    )
    t.add_argument(
        "--oom-share",
        type=float,
        default=None,
        help="cost rule: share of its wallclock an out-of-memory attempt holds the queue "
        "(default 1.0)",
    )
    t.add_argument(
        "--below-argmax-margin",
        type=float,
        default=None,
        help="cost rule: relative expected-cost gain needed to submit a bin below the "
        "classifier's most probable one (default 0.05)",
    )

    for name, helptext in (
        ("score", "the headline metrics of a trained model on a table"),
        ("evaluate", "deprecated: spacekit cal score"),
    ):
        e = add_action(cal, name, _evaluate, help=helptext, **SERVING)
        _data(e, "the table with memory and wallclock")
        _models_alias(e)

    help_ = "repeated grouped k-fold evaluation of the whole pipeline"
    c = add_action(cal, "cv", _cv, help=help_)
    _data(c, "the training table")
    c.add_argument("--folds", type=int, default=5)
    c.add_argument("--repeats", type=int, default=3)
    c.add_argument("--bin-rule", default="upper_quantile", help=_BIN_RULE_HELP)

    pr = cal.add_parser(
        "predict", help="predict datasets from MemModelFeatures files (JSON per dataset)"
    )
    pr.add_argument(
        "--model",
        default=None,
        help=MODEL_HELP + " (default: $SPACEKIT_HST_CAL_MODEL_DIR, else <model_dir>/hst_cal, "
        "else the shipped model)",
    )
    _models_alias(pr)
    pr.add_argument(
        "paths", nargs="+", metavar="PATH", help="<ipst>_MemModelFeatures.txt files or s3:// URLs"
    )
    pr.add_argument("--ipst", default=None, help="dataset name when it is not the file-name prefix")
    add_decision(pr, "default: the model folder's own")
    pr.add_argument(
        "--history",
        default=None,
        help="a job history (spacekit cal history): the cost rule learns from finished jobs of "
        "the same inputs",
    )
    pr.set_defaults(func=_predict)
    from .cal_cost import add_actions  # replay and monitor (issue 19)
    from .cal_ops import register_ops  # ingest, lambda-event: calcloud operations

    add_actions(cal)
    register_ops(cal)


def _data_of(args):
    from ..exceptions import InputError

    data = args.data if args.data is not None else args.data_option
    if data is None:
        raise InputError("no DATA given: pass a table (csv path) or a registered dataset name")
    return data


def _train(args) -> int:
    from ..skopes.hst.cal import train

    names = ("runs", "seed", "fast", "under_bin_target", "bin_rule")
    cost_settings = {
        key: getattr(args, opt)
        for key, opt in (
            ("retry_ceiling", "retry_ceiling"),
            ("kill_ceiling", "kill_ceiling"),
            ("oom_share", "oom_share"),
            ("margin", "below_argmax_margin"),
        )
        if getattr(args, opt) is not None
    }
    run = train(
        _data_of(args),
        **settings(args, *names, wallclock_coverage="coverage"),
        decision=args.decision or "cost",
        cost_settings=cost_settings or None,
    )
    if args.json:
        return print_run_json(run)
    m = run.metrics
    sel = {t: v["kept"] for t, v in m["selection"].items()}
    print(f"run: {run.path}")
    print(f"model: {run.model_dir}")
    print(f"kept: {sel}; trained in {m['train_seconds']} s")
    oof = m["out_of_fold"]
    print(
        f"out-of-fold: bin accuracy {oof['bin_accuracy']:.4f}, under-bin "
        f"{oof['under_bin_rate']:.4f}, "
        f"over-bin {oof['over_bin_rate']:.4f}, memory RMSE {oof['memory_rmse_gb']:.3f} GB, "
        f"wallclock MdAPE {oof['wallclock_mdape']:.3f}, kill time under "
        f"{oof['wallclock_under_rate']:.4f}"
    )
    return 0


def _evaluate(args) -> int:
    from ..skopes.hst.cal import HEADLINE_METRICS, score

    if args.cal_command == "evaluate":
        print("spacekit: warning: `cal evaluate` is deprecated; use `cal score`", file=sys.stderr)
    m = score(args.model, _data_of(args))
    print_metrics(m, as_json=args.json, headline=HEADLINE_METRICS)
    return 0


def _cv(args) -> int:
    from ..skopes.hst.cal import cross_validate

    names = ("folds", "repeats", "seed", "runs", "bin_rule")
    run = cross_validate(_data_of(args), **settings(args, *names))
    m = run.metrics
    if args.json:
        return print_run_json(run, {k: m[k] for k in ("mean", "worst", "by_time", "settings")})
    else:
        for k in m["mean"]:
            mean, worst = m["mean"][k], m["worst"][k]
            print(f"{k:28s} mean {_g(mean)}  worst {_g(worst)}")
        print(f"run: {run.path}")
    return 0


def _g(v) -> str:
    return "nan" if v is None else f"{v:.5g}"


def _predict(args) -> int:
    import os
    from pathlib import Path

    from ..exceptions import DataNotFoundError, InputError, SpacekitError
    from ..skopes.hst.cal import check_ipppssoot, load_model
    from ..skopes.hst.cal.app import flag_out_of_range

    pred = load_model(args.model, decision=args.decision, history=args.history)
    failed = 0
    for path in args.paths:
        ipst = args.ipst or Path(path.rstrip("/")).name.split("_")[0]
        try:
            # a missing file is said to be missing, before anything about its name
            if not path.startswith("s3://") and not os.path.exists(path):
                raise DataNotFoundError(
                    "does not exist: expected an <ipst>_MemModelFeatures.txt file, a folder "
                    "holding one or an s3:// URL; check the path (relative paths are resolved "
                    "from the current working directory)"
                )
            if not args.ipst:
                try:
                    check_ipppssoot(ipst)
                except InputError:
                    raise InputError(
                        "cannot tell the dataset from its name (expected "
                        "<ipst>_MemModelFeatures.txt or a control/<ipst>/ folder, got "
                        f"{Path(path.rstrip('/')).name!r}); name it with --ipst IPST"
                    ) from None
            # a command-line argument is a path or an s3:// URL, never the file's text
            result = pred.predict(ipst, path if path.startswith("s3://") else Path(path))
            result = flag_out_of_range(pred, dict(result))  # warns, and says so in the output
        except SpacekitError as exc:
            # one bad file does not stop a batch: it is reported and the exit status is 1
            failed += 1
            print(file_error("cal predict", path, exc), file=sys.stderr, flush=True)
            continue
        print(json.dumps(json_safe(result), allow_nan=False), flush=True)
    if failed:
        print(
            f"spacekit cal predict: {failed} of {len(args.paths)} datasets could not be predicted",
            file=sys.stderr,
        )
    return 1 if failed else 0

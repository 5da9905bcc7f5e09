"""``spacekit cal``: train, evaluate and serve the HST calibration resource models.

- ``spacekit cal train --data CSV --out DIR [--seed N] [--fast] [--bin-rule RULE]``
- ``spacekit cal evaluate --models DIR --data CSV [--json]``
- ``spacekit cal cv --data CSV [--folds 5] [--repeats 3] [--bin-rule RULE] [--json]``
- ``spacekit cal predict [--model DIR] PATH... [--ipst IPST]``: one JSON line per dataset (the
  reply calcloud reads, see :mod:`spacekit.skopes.hst.cal.handler`)
- ``spacekit cal ingest TABLE --out CSV``, ``spacekit cal lambda-event EVENT``: see
  :mod:`.cal_ops`
"""

from __future__ import annotations

import json
import sys

_BIN_RULE_HELP = (
    "how the submitted memBin is chosen: upper_quantile (default: best accuracy), "
    "upper_quantile_max (also the trees' and linear model's upper bounds: fewer under-binned "
    "jobs, more over-binned; see docs/hst_cal.rst) or classifier_max"
)


def register(sub) -> None:
    p = sub.add_parser("cal", help="HST calibration jobs: predict memory bin, memory and wallclock")
    cal = p.add_subparsers(dest="cal_command", metavar="ACTION")

    t = cal.add_parser("train", help="train and calibrate the three models; writes a run folder")
    t.add_argument(
        "--data", required=True, help="table (csv) in the training or DynamoDB-export format"
    )
    t.add_argument(
        "--out", required=True, help="runs folder (the run goes to OUT/hst_cal/<time>-train)"
    )
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--fast", action="store_true", help="small tree models in seconds")
    t.add_argument(
        "--under-bin-target", type=float, default=0.005, help="max under-bin rate (default 0.005)"
    )
    t.add_argument("--coverage", type=float, default=0.99, help="kill-time coverage (default 0.99)")
    t.add_argument("--bin-rule", default="upper_quantile", help=_BIN_RULE_HELP)
    t.set_defaults(func=_train)

    e = cal.add_parser("evaluate", help="score a trained model on a table")
    e.add_argument("--models", required=True, help="model folder, run folder or runs folder")
    e.add_argument(
        "--data",
        required=True,
        help="table (csv) with memory and wallclock; extra columns are fine",
    )
    e.add_argument(
        "--json", action="store_true", help="print strict JSON (an undefined metric is null)"
    )
    e.set_defaults(func=_evaluate)

    c = cal.add_parser("cv", help="repeated grouped k-fold evaluation of the whole pipeline")
    c.add_argument("--data", required=True)
    c.add_argument("--folds", type=int, default=5)
    c.add_argument("--repeats", type=int, default=3)
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--bin-rule", default="upper_quantile", help=_BIN_RULE_HELP)
    c.add_argument(
        "--json", action="store_true", help="print strict JSON (an undefined metric is null)"
    )
    c.set_defaults(func=_cv)

    pr = cal.add_parser(
        "predict", help="predict datasets from MemModelFeatures files (JSON per dataset)"
    )
    pr.add_argument(
        "--models",
        "--model",
        dest="models",
        default=None,
        help="model folder, run folder or runs folder (default: $SPACEKIT_HST_CAL_MODEL_DIR, "
        "else <model_dir>/hst_cal)",
    )
    pr.add_argument(
        "paths", nargs="+", metavar="PATH", help="<ipst>_MemModelFeatures.txt files or s3:// URLs"
    )
    pr.add_argument("--ipst", default=None, help="dataset name when it is not the file-name prefix")
    pr.set_defaults(func=_predict)
    from .cal_cost import add_actions  # replay and monitor (issue 19)
    from .cal_ops import register_ops  # ingest, lambda-event: calcloud operations

    add_actions(cal)
    register_ops(cal)
    p.set_defaults(func=lambda args: (p.print_help(sys.stderr), 2)[1])


def _json_safe(value):
    """Non-finite floats (a metric of an empty class, R² of a constant) as null: strict JSON."""
    import math

    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _dumps(value) -> str:
    return json.dumps(_json_safe(value), indent=2, default=str, allow_nan=False)


def _train(args) -> int:
    from ..skopes.hst.cal import train

    run = train(
        args.data,
        args.out,
        seed=args.seed,
        fast=args.fast,
        under_bin_target=args.under_bin_target,
        wallclock_coverage=args.coverage,
        bin_rule=args.bin_rule,
    )
    m = run.metrics
    sel = {t: v["kept"] for t, v in m["selection"].items()}
    print(f"run: {run.path}")
    print(f"model: {run.model_dir}")
    print(f"kept: {sel}; trained in {m['train_seconds']} s")
    oof = m["out_of_fold"]
    print(
        f"out-of-fold: bin accuracy {oof['bin_accuracy']:.4f}, under-bin {oof['under_bin_rate']:.4f}, "
        f"over-bin {oof['over_bin_rate']:.4f}, memory RMSE {oof['memory_rmse_gb']:.3f} GB, "
        f"wallclock MdAPE {oof['wallclock_mdape']:.3f}, kill time under {oof['wallclock_under_rate']:.4f}"
    )
    return 0


def _evaluate(args) -> int:
    from ..skopes.hst.cal import evaluate

    m = evaluate(args.models, args.data)
    if args.json:
        print(_dumps(m))
    else:
        for k, v in m.items():
            print(f"{k:28s} {v:.6g}" if isinstance(v, float) else f"{k:28s} {v}")
    return 0


def _cv(args) -> int:
    from ..skopes.hst.cal import cross_validate

    cv = cross_validate(
        args.data,
        n_splits=args.folds,
        n_repeats=args.repeats,
        seed=args.seed,
        bin_rule=args.bin_rule,
    )
    out = {
        "mean": cv["mean"],
        "worst": cv["worst"],
        "by_time": cv["by_time"],
        "settings": cv["settings"],
    }
    if args.json:
        print(_dumps(out))
    else:
        for k in cv["mean"]:
            print(f"{k:28s} mean {cv['mean'][k]:.5g}  worst {cv['worst'][k]:.5g}")
    return 0


def _predict(args) -> int:
    from pathlib import Path

    from ..exceptions import InputError, SpacekitError
    from ..skopes.hst.cal import check_ipppssoot, load_predictor

    pred = load_predictor(args.models)
    failed = 0
    for path in args.paths:
        ipst = args.ipst or Path(path.rstrip("/")).name.split("_")[0]
        try:
            if not args.ipst:
                try:
                    check_ipppssoot(ipst)
                except InputError:
                    raise InputError(
                        f"{path}: cannot tell the dataset from its name (expected "
                        "<ipst>_MemModelFeatures.txt or a control/<ipst>/ folder, got "
                        f"{Path(path.rstrip('/')).name!r}); name it with --ipst IPST"
                    ) from None
            # a command-line argument is a path or an s3:// URL, never the file's text
            result = pred.predict(ipst, path if path.startswith("s3://") else Path(path))
        except SpacekitError as exc:
            # one bad file does not stop a batch: it is reported and the exit status is 1
            failed += 1
            print(f"error: {path}: {exc}", file=sys.stderr, flush=True)
            continue
        print(json.dumps(_json_safe(result), allow_nan=False), flush=True)
    if failed:
        print(f"{failed} of {len(args.paths)} datasets could not be predicted", file=sys.stderr)
    return 1 if failed else 0

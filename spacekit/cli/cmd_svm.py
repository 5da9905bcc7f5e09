"""``spacekit svm``: ingest, train, evaluate and predict the HST single-visit-mosaic
alignment classifier."""

from __future__ import annotations

import argparse
import sys

from ._contract import DeprecatedAlias, add_common, add_data, print_metrics

KINDS = ("gb", "gb_et", "mlp", "ensemble")


class _KindOrFolder(argparse.Action):
    """``svm train --model gb`` (before 1.2: a model family) still works, as ``--kind``."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print("spacekit: warning: svm --model KIND is deprecated; use --kind", file=sys.stderr)
        namespace.kind = values


def register(sub) -> None:
    p = sub.add_parser(
        "svm",
        help="HST single-visit mosaic alignment: ingest, train, cv, score, predict",
        description="Flag misaligned HST single-visit mosaics. DATA is a csv in the format of "
        "svm_labeled_2021-07-28.csv, or a registered dataset name "
        "(e.g. svm_labeled_2021_07_28).",
    )
    s = p.add_subparsers(dest="svm_command", metavar="ACTION")

    t = s.add_parser("train", help="train (tabular-only by default; the ensemble with --images)")
    add_data(t, example="svm_labeled_2021_07_28", nargs="?", default="svm_labeled_2021_07_28")
    add_common(t, kinds=("auto", *KINDS), kind_default="auto")
    t.add_argument(
        "--model", action=_KindOrFolder, choices=("auto", *KINDS), help="deprecated: --kind"
    )
    t.add_argument("--images", default=None, help=".npz with 'index' and 'images' arrays")
    t.add_argument("--fast", action="store_true", help="tiny models (smoke test)")
    t.set_defaults(func=_train)

    c = s.add_parser("cv", help="repeated proposal-grouped cross-validation of one model family")
    add_data(c, example="svm_labeled_2021_07_28", nargs="?", default="svm_labeled_2021_07_28")
    add_common(c, kinds=KINDS, kind_default="gb")
    c.add_argument("--images", default=None)
    c.add_argument("--folds", type=int, default=5)
    c.add_argument("--repeats", type=int, default=3)
    c.add_argument("--fast", action="store_true")
    c.set_defaults(func=_cv)

    sc = s.add_parser("score", help="the headline metrics of a trained model on labelled visits")
    add_data(sc, example="svm_labeled_2021_07_28")
    add_common(sc, runs=False, model=True, seed=False)
    sc.set_defaults(func=_score)

    e = s.add_parser("evaluate", help="deprecated: spacekit svm cv (or score with --model-dir)")
    e.add_argument("data", nargs="?", default="svm_labeled_2021_07_28")
    e.add_argument("--model", default="gb", choices=list(KINDS))
    e.add_argument("--model-dir", default=None, help="score this trained model instead of CV")
    e.add_argument("--images", default=None)
    e.add_argument("--folds", type=int, default=5)
    e.add_argument("--repeats", type=int, default=2)
    e.add_argument("--runs", default=None)
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--fast", action="store_true")
    e.set_defaults(func=_evaluate)

    r = s.add_parser(
        "predict",
        help="predict visits; writes predictions.csv, a report and misaligned.txt in a run folder",
    )
    add_data(r, example="svm_unlabeled_2021_10_06")
    add_common(r, model=True, seed=False)
    r.add_argument(
        "--model-dir", dest="model", action=DeprecatedAlias, new="--model", help="deprecated"
    )
    r.add_argument("--images", default=None)
    r.set_defaults(func=_predict)

    i = s.add_parser("ingest", help="QA json + drizzled images -> feature table csv")
    i.add_argument("qa", help="folder (or file) of drizzlepac SVM quality-analysis *.json")
    i.add_argument("--images", required=True, help="folder holding the *_drz.fits images")
    i.add_argument("--out", required=True, help="csv to write")
    i.add_argument("--missing-rms", default="raise", choices=["raise", "zero"])
    i.set_defaults(func=_ingest)
    p.set_defaults(func=lambda args: _help(p))


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _train(args) -> int:
    from ..skopes.hst.svm import train

    run = train(
        args.data,
        runs_dir=args.runs,
        kind=args.kind,
        images=args.images,
        seed=args.seed,
        fast=args.fast,
    )
    m = run.metrics
    if args.json:
        print_metrics({"run": str(run.path), **m}, as_json=True)
        return 0
    print(f"model: {m['model']} ({m['selection']})")
    print(
        f"validation ROC-AUC {m['roc_auc']:.4f}; misaligned precision "
        f"{m['precision_misaligned']:.3f}, recall {m['recall_misaligned']:.3f}"
    )
    print(f"run: {run.path}")
    return 0


def _cv(args) -> int:
    from ..skopes.hst.svm import cross_validate

    run = cross_validate(
        args.data,
        kind=args.kind,
        images=args.images,
        n_splits=args.folds,
        n_repeats=args.repeats,
        seed=args.seed,
        fast=args.fast,
        runs_dir=args.runs,
    )
    if args.json:
        print_metrics({"run": str(run.path), **run.metrics}, as_json=True)
        return 0
    return _print_evaluation(run)


def _score(args) -> int:
    from ..skopes.hst.svm import HEADLINE_METRICS, score

    print_metrics(score(args.model, args.data), as_json=args.json, headline=HEADLINE_METRICS)
    return 0


def _evaluate(args) -> int:
    from ..skopes.hst.svm.cv import _evaluate_run as evaluate

    print(
        "spacekit: warning: `svm evaluate` is deprecated; use `svm cv` or `svm score`",
        file=sys.stderr,
    )
    run = evaluate(
        args.data,
        model=args.model,
        model_dir=args.model_dir,
        images=args.images,
        n_splits=args.folds,
        repeats=args.repeats,
        seed=args.seed,
        fast=args.fast,
        runs_dir=args.runs,
    )
    return _print_evaluation(run)


def _print_evaluation(run) -> int:
    m = run.metrics
    if "roc_auc_mean" in m:
        print(
            f"ROC-AUC mean {m['roc_auc_mean']:.4f}, worst fold {m['roc_auc_worst']:.4f} "
            f"({m['n_folds']} proposal-grouped folds)"
        )
    else:
        print(f"ROC-AUC {m.get('roc_auc')}")
    print(
        f"misaligned precision {m['precision_misaligned']:.3f}, recall {m['recall_misaligned']:.3f}"
    )
    print(f"run: {run.path}")
    return 0


def _predict(args) -> int:
    from ..exceptions import InputError
    from ..skopes.hst.svm import predict_to_run

    if args.model is None:
        raise InputError("svm predict needs --model (a model, run or runs folder)")
    run = predict_to_run(args.model, args.data, images=args.images, runs_dir=args.runs)
    m = run.metrics
    if args.json:
        print_metrics({"run": str(run.path), **m}, as_json=True)
        return 0
    print(f"{m['n_flagged_misaligned']} of {m['n_visits']} visits flagged misaligned")
    print(f"predictions: {run.predictions_path}")
    print(f"flagged list: {run.path / 'misaligned.txt'}")
    return 0


def _ingest(args) -> int:
    from ..skopes.hst.svm import ingest
    from ..utils import atomic_write

    table = ingest(args.qa, args.images, missing_rms=args.missing_rms)
    with atomic_write(args.out, "w", encoding="utf-8", newline="") as fh:
        table.to_csv(fh, index=False)
    print(f"{len(table)} visits -> {args.out}")
    return 0

"""``spacekit svm``: ingest, train, evaluate and predict the HST single-visit-mosaic
alignment classifier."""

from __future__ import annotations

import argparse


def register(sub) -> None:
    p = sub.add_parser(
        "svm",
        help="HST single-visit mosaic alignment: ingest, train, evaluate, predict",
        description="Flag misaligned HST single-visit mosaics. Tables are csv files in the "
        "format of svm_labeled_2021-07-28.csv, or registered dataset names "
        "(e.g. svm_labeled_2021_07_28).",
    )
    s = p.add_subparsers(dest="svm_command", metavar="ACTION")

    t = s.add_parser("train", help="train (tabular-only by default; the ensemble with --images)")
    t.add_argument(
        "data",
        nargs="?",
        default="svm_labeled_2021_07_28",
        help="labelled feature table (default: svm_labeled_2021_07_28)",
    )
    t.add_argument("--model", default="auto", choices=["auto", "gb", "gb_et", "mlp", "ensemble"])
    t.add_argument("--images", default=None, help=".npz with 'index' and 'images' arrays")
    t.add_argument("--runs", default=None, help="runs folder (default: the runs_dir setting)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--fast", action="store_true", help="tiny models (smoke test)")
    t.set_defaults(func=_train)

    e = s.add_parser("evaluate", help="proposal-grouped cross-validation, or score a model")
    e.add_argument("data", nargs="?", default="svm_labeled_2021_07_28")
    e.add_argument("--model", default="gb", choices=["gb", "gb_et", "mlp", "ensemble"])
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
    r.add_argument("--model-dir", required=True, help="a trained model (or its run folder)")
    r.add_argument("data", help="feature table of the visits")
    r.add_argument("--images", default=None)
    r.add_argument("--runs", default=None)
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
        model=args.model,
        images=args.images,
        seed=args.seed,
        fast=args.fast,
    )
    m = run.metrics
    print(f"model: {m['model']} ({m['selection']})")
    print(
        f"validation ROC-AUC {m['roc_auc']:.4f}; misaligned precision "
        f"{m['precision_misaligned']:.3f}, recall {m['recall_misaligned']:.3f}"
    )
    print(f"run: {run.path}")
    return 0


def _evaluate(args) -> int:
    from ..skopes.hst.svm import evaluate

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
    from ..skopes.hst.svm import predict

    run = predict(args.model_dir, args.data, images=args.images, runs_dir=args.runs)
    m = run.metrics
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

"""``spacekit svm``: ingest, train, evaluate and predict the HST single-visit-mosaic
alignment classifier."""

from __future__ import annotations

import sys

from ._contract import (
    SERVING,
    DeprecatedAlias,
    add_action,
    add_app,
    print_metrics,
    print_run_json,
    seed_option,
    settings,
)

KINDS = ("gb", "gb_et", "mlp", "ensemble")


class _KindOrFolder(DeprecatedAlias):
    """``svm train --model gb`` (before 1.2: a model family) still works, as ``--kind``."""

    def warn(self, option_string: str | None) -> None:
        print("spacekit: warning: svm --model KIND is deprecated; use --kind", file=sys.stderr)


def register(sub) -> None:
    s = add_app(
        sub,
        "svm",
        help="HST single-visit mosaic alignment: ingest, train, cv, score, predict",
        description="Flag misaligned HST single-visit mosaics. DATA is a csv in the format of "
        "svm_labeled_2021-07-28.csv, or a registered dataset name "
        "(e.g. svm_labeled_2021_07_28).",
        dest="svm_command",
    )
    labelled = {"nargs": "?", "default": "svm_labeled_2021_07_28"}
    t = add_action(
        s,
        "train",
        _train,
        help="train (tabular-only by default; the ensemble with --images)",
        example="svm_labeled_2021_07_28",
        data=labelled,
        kinds=("auto", *KINDS),
        kind_default="auto",
    )
    t.add_argument(
        "--model",
        dest="kind",
        action=_KindOrFolder,
        new="--kind",
        choices=("auto", *KINDS),
        help="deprecated: --kind",
    )
    t.add_argument("--images", default=None, help=".npz with 'index' and 'images' arrays")
    t.add_argument("--fast", action="store_true", help="tiny models (smoke test)")

    c = add_action(
        s,
        "cv",
        _cv,
        help="repeated proposal-grouped cross-validation of one model family",
        example="svm_labeled_2021_07_28",
        data=labelled,
        kinds=KINDS,
        kind_default="gb",
    )
    c.add_argument("--images", default=None)
    c.add_argument("--folds", type=int, default=5)
    c.add_argument("--repeats", type=int, default=3)
    c.add_argument("--fast", action="store_true")

    add_action(
        s,
        "score",
        _score,
        help="the headline metrics of a trained model on labelled visits",
        example="svm_labeled_2021_07_28",
        **SERVING,
    )

    e = s.add_parser("evaluate", help="deprecated: spacekit svm cv (or score with --model-dir)")
    e.add_argument("data", nargs="?", default="svm_labeled_2021_07_28")
    e.add_argument("--model", default="gb", choices=list(KINDS))
    e.add_argument("--model-dir", default=None, help="score this trained model instead of CV")
    e.add_argument("--images", default=None)
    e.add_argument("--folds", type=int, default=5)
    e.add_argument("--repeats", type=int, default=2)
    e.add_argument("--runs", default=None)
    e.add_argument("--seed", type=seed_option, default=0)
    e.add_argument("--fast", action="store_true")
    e.set_defaults(func=_evaluate)

    r = add_action(
        s,
        "predict",
        _predict,
        help="predict visits; writes predictions.csv, a report and misaligned.txt in a run folder",
        example="svm_unlabeled_2021_10_06",
        model=True,
        seed=False,
    )
    r.add_argument(
        "--model-dir", dest="model", action=DeprecatedAlias, new="--model", help="deprecated"
    )
    r.add_argument("--images", default=None)

    i = s.add_parser("ingest", help="QA json + drizzled images -> feature table csv")
    i.add_argument("qa", help="folder (or file) of drizzlepac SVM quality-analysis *.json")
    i.add_argument("--images", required=True, help="folder holding the *_drz.fits images")
    i.add_argument("--out", required=True, help="csv to write")
    i.add_argument("--missing-rms", default="raise", choices=["raise", "zero"])
    i.set_defaults(func=_ingest)


def _train(args) -> int:
    from ..skopes.hst.svm import train

    run = train(args.data, **settings(args, "runs", "kind", "images", "seed", "fast"))
    if args.json:
        return print_run_json(run)
    m = run.metrics
    print(f"model: {m['model']} ({m['selection']})")
    print(
        f"validation ROC-AUC {m['roc_auc']:.4f}; misaligned precision "
        f"{m['precision_misaligned']:.3f}, recall {m['recall_misaligned']:.3f}"
    )
    print(f"run: {run.path}")
    return 0


def _cv(args) -> int:
    from ..skopes.hst.svm import cross_validate

    names = ("kind", "images", "folds", "repeats", "seed", "fast", "runs")
    run = cross_validate(args.data, **settings(args, *names))
    if args.json:
        return print_run_json(run)
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
    names = ("model", "model_dir", "images", "folds", "seed", "fast", "runs")
    run = evaluate(args.data, repeats=args.repeats, **settings(args, *names))
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
    if args.json:
        return print_run_json(run)
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

"""``spacekit import-upstream``: convert upstream spacekit 1.1.4's trained models."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser(
        "import-upstream",
        help="convert upstream spacekit 1.1.4's trained models into model folders",
        description="Read upstream spacekit 1.1.4's wheel (pip download spacekit==1.1.4 "
        "--no-deps) or its spacekit/builder/trained_networks folder and write one model "
        "folder per app (hst_cal, jwst_cal, hst_svm) under --out, each with a model.json "
        "naming the source file and its sha256. Use them with `spacekit cal predict --model "
        "DIR/hst_cal`, `spacekit jwst predict --model DIR/jwst_cal` and `spacekit svm "
        "predict --model DIR/hst_svm`.",
    )
    p.add_argument(
        "source",
        metavar="WHEEL_OR_FOLDER",
        help="upstream's wheel, its trained_networks folder, or one archive of it "
        "(hst_cal.zip...) or its extracted folder",
    )
    p.add_argument("--out", required=True, help="folder to write the model folders into")
    p.add_argument(
        "--app",
        action="append",
        choices=["hst_cal", "jwst_cal", "hst_svm"],
        default=None,
        help="only this app (repeatable; default: every app the source has)",
    )
    p.add_argument(
        "--bin-log-margin",
        type=float,
        default=None,
        help="hst_cal: memBin is the larger of the classifier's bin and the bin of "
        "memVal * exp(MARGIN) (default: upstream's rule, the classifier's bin, no margin)",
    )
    p.set_defaults(func=_import)


def _import(args) -> int:
    from ..skopes.upstream import import_upstream

    folders = import_upstream(
        args.source, args.out, apps=args.app, bin_log_margin=args.bin_log_margin
    )
    for app, folder in folders.items():
        print(f"{app}: {folder}")
    return 0

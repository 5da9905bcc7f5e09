"""``spacekit jwst``: JWST Level-3 product memory: scrape, ingest, train and predict."""

from __future__ import annotations

import json
import sys

from ._contract import SERVING, DeprecatedAlias, add_action, add_app, print_metrics, settings


def register(sub) -> None:
    s = add_app(
        sub,
        "jwst",
        help="JWST Level-3 product memory: scrape uncal headers, train, cv, score, predict",
        description="Predict the memory of JWST Level-3 products. spacekit ships no JWST "
        "model (no public training data exists): import upstream spacekit 1.1.4's models "
        "(spacekit import-upstream WHEEL --out DIR, then --model DIR/jwst_cal) or train one "
        "from your table of products with measured memory (spacekit jwst train), then predict "
        "with --model. DATA is a csv of products (or, to predict, a folder of *_uncal.fits "
        "exposures), or a registered dataset name.",
        dest="jwst_command",
    )
    sc = s.add_parser("scrape", help="uncal headers -> products table (csv)")
    sc.add_argument("folder")
    sc.add_argument("--out", default=None, help="csv to write (default: print to stdout)")
    sc.set_defaults(func=_scrape)
    _register_ingest(s)  # ingest, associations

    table = "measured_products.csv"
    help_ = "train IMAGE and SPEC regressors from a products table"
    t = add_action(s, "train", _train, help=help_, example=table)
    _table_settings(t)
    t.add_argument("--max-gb", type=float, default=990.0)

    c = add_action(s, "cv", _cv, help="repeated grouped k-fold cross-validation", example=table)
    _table_settings(c)
    c.add_argument("--folds", type=int, default=5)
    c.add_argument("--repeats", type=int, default=3)

    help_ = "RMSE, MAE and R2 of a trained model on measured products"
    o = add_action(s, "score", _score, help=help_, example=table, **SERVING)
    o.add_argument("--target", default="imgsize_gb", help="memory column (GB)")

    help_ = (
        'print {product: {"gbSize": value, "out_of_range": [features]}} for a folder or table '
        "(out_of_range: the features outside the training ranges; null: not checked)"
    )
    example = "jw02732_uncal/ (a folder of *_uncal.fits) or products.csv"
    r = add_action(s, "predict", _predict, help=help_, example=example, **SERVING)
    r.add_argument(
        "--models", dest="model", action=DeprecatedAlias, new="--model", help="deprecated"
    )
    r.add_argument("--max-gb", type=float, default=None, help="cap (default: the model's, 990)")


_TABLE = ("target", "encoder_pairs", "fast")  # the options _table_settings adds


def _table_settings(parser) -> None:
    parser.add_argument("--target", default="imgsize_gb", help="memory column (GB)")
    parser.add_argument(
        "--encoder-pairs", default=None, help="encoder_pairs.json (default: dataset)"
    )
    parser.add_argument("--fast", action="store_true")


def _scrape(args) -> int:
    from ..skopes.jwst.cal import scrape_products

    table = scrape_products(args.folder)
    if _write_csv(table, args.out):
        print(f"{len(table)} products -> {args.out}")
    return 0


def _write_csv(table, out) -> bool:
    """``table`` as csv into ``out`` (atomically; True) or, without ``out``, on stdout."""
    if not out:
        table.to_csv(sys.stdout, index=False)
        return False
    from ..utils import atomic_write

    with atomic_write(out, "w", encoding="utf-8", newline="") as fh:
        table.to_csv(fh, index=False)
    return True


def _train(args) -> int:
    from ..skopes.jwst.cal import train

    run = train(args.data, **settings(args, *_TABLE, "runs", "max_gb", "seed"))
    for kind, m in run.metrics.items():
        if isinstance(m, dict) and m.get("rmse_gb") is not None:
            print(
                f"{kind}: held-out RMSE {m['rmse_gb']:.3f} GB, MAE {m['mae_gb']:.3f} GB "
                f"({m['n_test']} products)"
            )
    print(f"model: {run.model_dir}")
    return 0


def _cv(args) -> int:
    from ..skopes.jwst.cal import cross_validate

    run = cross_validate(args.data, **settings(args, *_TABLE, "folds", "repeats", "seed", "runs"))
    m = {k: v for k, v in run.metrics.items() if k != "folds"}
    print_metrics({**m, "run": str(run.path)}, as_json=args.json)
    return 0


def _score(args) -> int:
    from ..skopes.jwst.cal import HEADLINE_METRICS, score

    m = score(args.model, args.data, target=args.target)
    print_metrics(m, as_json=args.json, headline=HEADLINE_METRICS)
    return 0


def _predict(args) -> int:
    from pathlib import Path

    from ..config import conf
    from ..exceptions import ModelLoadError
    from ..skopes.jwst.cal import predict

    models = Path(args.model) if args.model else Path(conf.model_dir or ".") / "jwst_cal"
    import os

    if not os.path.isdir(models):  # False, not OSError, for a name over 255 bytes
        raise ModelLoadError(
            f"no JWST memory model at {models}: spacekit ships none (no public training data "
            "exists). Import upstream spacekit 1.1.4's models with `pip download spacekit==1.1.4 "
            "--no-deps -d DIR && spacekit import-upstream DIR/spacekit-1.1.4-py3-none-any.whl "
            "--out MODELS` and pass --model MODELS/jwst_cal, or train one with `spacekit jwst "
            "train TABLE` and pass its model folder with --model DIR"
        )
    table = predict(models, args.data, max_gb=args.max_gb)
    twice = sorted(set(table.loc[table["product"].duplicated(), "product"].astype(str)))
    if twice:  # the answer is keyed by product: a second row would overwrite the first
        from ..exceptions import InputError

        raise InputError(
            f"products named twice: {twice[:5]}; the answer is keyed by product, so each must "
            "appear once (drop the duplicate rows, or use spacekit.skopes.jwst.cal.predict, "
            "which returns every row)"
        )
    # out_of_range, as svm's predictions and hst.cal's outOfRange: the features outside the
    # model's training ranges ([] when none; null when the model keeps no ranges, e.g. imported)
    flags = table["out_of_range"].tolist() if "out_of_range" in table else [None] * len(table)
    result = {
        r.product: {
            "gbSize": float(r.gbSize),
            "out_of_range": None if flag is None else [f for f in str(flag).split(",") if f],
        }
        for r, flag in zip(table.itertuples(), flags, strict=True)
    }
    print(json.dumps(result, indent=2))
    return 0


def _register_ingest(s) -> None:
    """``spacekit jwst ingest`` and ``spacekit jwst associations``."""
    i = s.add_parser(
        "ingest",
        help="Level-3 associations or product files + measured memory -> training table (csv)",
        description="Build the training table of `spacekit jwst train` from the pipeline's "
        "metadata: Level-3 associations (*_asn.json, with their member exposures' uncal, rate "
        "or cal files) or Level-3 product files (*_i2d.fits, *_s3d.fits, *_x1d.fits: their "
        "HDRTAB), and a csv of the memory measured for each product.",
    )
    i.add_argument("sources", nargs="+", metavar="ASN_OR_PRODUCT", help="files or folders")
    i.add_argument(
        "--sizes",
        default=None,
        help="csv of measured memory per product (columns: product|pname|Dataset and "
        "imgsize_gb|memory_gb|peak_memory_gb|peak_memory_mb|imagesize); without it, features only",
    )
    i.add_argument("--out", default=None, help="csv to write (default: print to stdout)")
    i.add_argument(
        "--members", action="append", default=None, help="folder of member exposures (repeatable)"
    )
    i.add_argument("--definition", choices=["spacekit", "upstream"], default="spacekit")
    i.add_argument("--target", default="imgsize_gb", help="memory column written (GB)")
    i.add_argument("--size-column", default=None, help="memory column of --sizes")
    i.add_argument("--size-unit", choices=["B", "kB", "MB", "GB"], default=None)
    i.add_argument("--include-mosaics", action="store_true", help="keep jwPPPPP-c... products")
    i.add_argument(
        "--skip-incomplete", action="store_true", help="leave out products missing members"
    )
    i.add_argument(
        "--drop-unmeasured", action="store_true", help="leave out products not in --sizes"
    )
    i.set_defaults(func=_ingest)

    a = s.add_parser(
        "associations",
        help="a program's Level-3 associations on MAST (and download them)",
    )
    a.add_argument("program", help="program number, e.g. 2732")
    a.add_argument("--obs", default=None, help="one observation number")
    a.add_argument("--instrument", default=None, help="MAST instrument_name, e.g. 'NIRCAM*'")
    a.add_argument("--download", default=None, metavar="DIR", help="fetch the files into DIR")
    a.add_argument("--json", action="store_true", help="print the table as JSON")
    a.set_defaults(func=_associations)


def _ingest(args) -> int:
    from ..skopes.jwst.cal import build_training_table

    names = ("members", "definition", "target", "size_column", "size_unit", "include_mosaics")
    names += ("skip_incomplete", "drop_unmeasured")
    table = build_training_table(args.sources, args.sizes, **settings(args, *names))
    if _write_csv(table, args.out):
        kinds = ", ".join(f"{n} {k}" for k, n in table["kind"].value_counts().sort_index().items())
        print(
            f"{len(table)} products ({kinds}; {args.definition} features) -> {args.out}"
            + (f"; skipped {len(table.attrs['skipped'])}" if table.attrs.get("skipped") else "")
        )
    return 0


def _associations(args) -> int:
    from ..skopes.jwst.cal import download_associations, find_associations

    table = find_associations(args.program, args.obs, instrument=args.instrument)
    if args.download and len(table):
        paths = download_associations(table, args.download)
        table["path"] = [str(p) for p in paths]
    if args.json:
        print(json.dumps(table.to_dict(orient="records"), indent=2, default=str))
    else:
        print(table.to_string(index=False) if len(table) else "no Level-3 associations")
    return 0

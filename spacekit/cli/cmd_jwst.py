"""``spacekit jwst``: JWST Level-3 product memory: scrape, train and predict."""

from __future__ import annotations

import json
import sys


def register(sub) -> None:
    p = sub.add_parser(
        "jwst",
        help="JWST Level-3 product memory: scrape uncal headers, train, predict",
        description="Predict the memory (GB) of JWST Level-3 products. spacekit ships no JWST "
        "model (no public training data exists): import upstream spacekit 1.1.4's models "
        "(spacekit import-upstream WHEEL --out DIR, then --models DIR/jwst_cal) or train one "
        "from your table of products with measured memory (spacekit jwst train).",
    )
    s = p.add_subparsers(dest="jwst_command", metavar="ACTION")

    sc = s.add_parser("scrape", help="group a folder of *_uncal.fits into products (csv)")
    sc.add_argument("folder")
    sc.add_argument("--out", default=None, help="csv to write (default: print to stdout)")
    sc.set_defaults(func=_scrape)

    t = s.add_parser("train", help="train IMAGE and SPEC regressors from a products table")
    t.add_argument("table", help="csv: products with a 'kind' column, features and memory")
    t.add_argument("--target", default="imgsize_gb", help="memory column (GB)")
    t.add_argument("--encoder-pairs", default=None, help="encoder_pairs.json (default: dataset)")
    t.add_argument("--max-gb", type=float, default=990.0)
    t.add_argument("--runs", default=None)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--fast", action="store_true")
    t.set_defaults(func=_train)

    r = s.add_parser("predict", help='print {product: {"gbSize": value}} for a folder')
    r.add_argument(
        "--models",
        default=None,
        help="model folder you trained or imported (default: <model_dir>/jwst_cal)",
    )
    r.add_argument("--max-gb", type=float, default=None, help="cap (default: the model's, 990)")
    r.add_argument("folder", help="folder of *_uncal.fits exposures")
    r.set_defaults(func=_predict)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _scrape(args) -> int:
    from ..skopes.jwst.cal import scrape_products
    from ..utils import atomic_write

    table = scrape_products(args.folder)
    if args.out:
        with atomic_write(args.out, "w", encoding="utf-8", newline="") as fh:
            table.to_csv(fh, index=False)
        print(f"{len(table)} products -> {args.out}")
    else:
        table.to_csv(sys.stdout, index=False)
    return 0


def _train(args) -> int:
    from ..skopes.jwst.cal import train

    run = train(
        args.table,
        target=args.target,
        runs_dir=args.runs,
        max_gb=args.max_gb,
        seed=args.seed,
        fast=args.fast,
        encoder_pairs=args.encoder_pairs,
    )
    for kind, m in run.metrics.items():
        if isinstance(m, dict) and m.get("rmse_gb") is not None:
            print(
                f"{kind}: held-out RMSE {m['rmse_gb']:.3f} GB, MAE {m['mae_gb']:.3f} GB "
                f"({m['n_test']} products)"
            )
    print(f"model: {run.model_dir}")
    return 0


def _predict(args) -> int:
    from pathlib import Path

    from ..config import conf
    from ..exceptions import ModelLoadError
    from ..skopes.jwst.cal import predict

    models = Path(args.models) if args.models else conf.model_dir / "jwst_cal"
    if not models.is_dir():
        raise ModelLoadError(
            f"no JWST memory model at {models}: spacekit ships none (no public training data "
            "exists). Import upstream spacekit 1.1.4's models with `pip download spacekit==1.1.4 "
            "--no-deps -d DIR && spacekit import-upstream DIR/spacekit-1.1.4-py3-none-any.whl "
            "--out MODELS` and pass --models MODELS/jwst_cal, or train one with `spacekit jwst "
            "train TABLE`"
        )
    result = predict(args.folder, models, max_gb=args.max_gb)
    print(json.dumps(result, indent=2))
    return 0

"""``spacekit radio``: search MAST and download files from MAST, S3 or HTTPS.

Examples::

    spacekit radio search Kepler-90 --mission kepler --radius 5
    spacekit radio search --obs-id ib1f0a010 --mission hst --csv obs.csv
    spacekit radio lightcurves Kepler-90 --mission kepler --out kepler90/
    spacekit radio category NGC-5139
    spacekit radio download s3://stpubdata/hst/public/ib1f/ib1f0a010/ib1f0a010_asn.fits --out data/
    spacekit radio ls s3://my-bucket/control/
"""

from __future__ import annotations

import sys

DEFAULT_COLUMNS = [
    "obs_collection",
    "instrument_name",
    "target_name",
    "obs_id",
    "dataproduct_type",
    "t_exptime",
    "obsid",
]
PRODUCT_COLUMNS = ["obs_id", "productFilename", "productSubGroupDescription", "size", "dataURI"]


def register(sub) -> None:
    p = sub.add_parser(
        "radio",
        help="search MAST and download files from MAST, S3 or HTTPS",
        description="Search MAST and download files (cached, resumable, checksummed).",
    )
    rsub = p.add_subparsers(dest="radio_command", metavar="ACTION")
    p.set_defaults(func=lambda args: _help(p))

    s = rsub.add_parser("search", help="search MAST observations")
    s.add_argument("target", nargs="?", help="target name (resolved to a position)")
    s.add_argument("--ra", type=float, help="right ascension in degrees (with --dec)")
    s.add_argument("--dec", type=float, help="declination in degrees (with --ra)")
    s.add_argument("--radius", type=float, default=None, help="cone radius in arcsec (default 10)")
    s.add_argument("--mission", action="append", help="HST, JWST, Kepler, K2, TESS... (repeatable)")
    s.add_argument("--instrument", action="append", help="instrument_name, e.g. WFC3/IR")
    s.add_argument("--product-type", action="append", help="image, spectrum, timeseries, cube...")
    s.add_argument("--obs-id", action="append", help="dataset id, e.g. ib1f0a010 (wildcards ok)")
    s.add_argument("--proposal-id", action="append", help="proposal / program number")
    s.add_argument("--target-name", action="append", help="exact MAST target_name (no resolving)")
    s.add_argument("--all-intents", action="store_true", help="include calibration observations")
    s.add_argument("--products", action="store_true", help="list the files of the observations")
    s.add_argument("--limit", type=int, default=50, help="rows to print (default 50; 0: all)")
    s.add_argument("--csv", metavar="FILE", help="also write the full result to this CSV file")
    s.set_defaults(func=_search)

    lc = rsub.add_parser("lightcurves", help="find (and download) Kepler/K2/TESS light curves")
    lc.add_argument("target", help="target name, e.g. Kepler-90, 'TIC 25155310'")
    lc.add_argument("--mission", default="Kepler", help="Kepler, K2 or TESS (default Kepler)")
    lc.add_argument("--cadence", default="long", help="long, short or fast (default long)")
    lc.add_argument("--out", metavar="DIR", help="download the files into DIR")
    lc.add_argument("--source", default="auto", choices=["auto", "mast", "s3"])
    lc.set_defaults(func=_lightcurves)

    c = rsub.add_parser("category", help="MAST target category of HST target names")
    c.add_argument("target_name", nargs="+", help="HST target names (TARGNAME)")
    c.set_defaults(func=_category)

    d = rsub.add_parser("download", help="download s3://, https:// or mast: URLs")
    d.add_argument("urls", nargs="+", metavar="URL")
    d.add_argument("--out", metavar="DIR", help="folder for the files (default: the cache)")
    d.add_argument("--sha256", help="expected sha256 (one URL only)")
    d.add_argument("--workers", type=int, default=None, help="concurrent downloads")
    d.add_argument("--overwrite", action="store_true", help="download again even if present")
    d.add_argument("--endpoint-url", help="S3-compatible endpoint for s3:// URLs")
    d.set_defaults(func=_download)

    ls = rsub.add_parser("ls", help="list objects under an s3:// prefix")
    ls.add_argument("prefix", help="s3://bucket/prefix")
    ls.add_argument("--endpoint-url", help="S3-compatible endpoint")
    ls.set_defaults(func=_ls)


def _help(parser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _print_table(table, columns, limit: int) -> None:
    cols = [c for c in columns if c in table.colnames] or table.colnames
    shown = table[cols] if limit <= 0 else table[cols][:limit]
    for line in shown.pformat(max_lines=-1, max_width=-1):
        print(line)
    if 0 < limit < len(table):
        print(f"... {len(table) - limit} more rows (use --limit 0 or --csv FILE)")


def _search(args) -> int:
    import warnings

    from ..exceptions import InputError
    from ..radio import NoResultsWarning, search_mast, search_products

    coordinates = None
    if (args.ra is None) != (args.dec is None):
        raise InputError("give both --ra and --dec (degrees)")
    if args.ra is not None:
        coordinates = f"{args.ra} {args.dec}"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", NoResultsWarning)
        table = search_mast(
            args.target,
            coordinates=coordinates,
            radius=args.radius,
            mission=args.mission,
            instrument=args.instrument,
            product_type=args.product_type,
            obs_id=args.obs_id,
            proposal_id=args.proposal_id,
            target_name=args.target_name,
            intent=None if args.all_intents else "science",
        )
        columns = DEFAULT_COLUMNS
        if args.products and len(table):
            table = search_products(table)
            columns = PRODUCT_COLUMNS
    for w in caught:
        print(f"spacekit: warning: {w.message}", file=sys.stderr)
    if args.csv:
        from ..utils.files import atomic_path

        with atomic_path(args.csv) as tmp:
            table.to_pandas().to_csv(tmp, index=False)
    print(f"{len(table)} {'products' if args.products else 'observations'}")
    if len(table):
        _print_table(table, columns, args.limit)
    return 0


def _lightcurves(args) -> int:
    import warnings

    from ..radio import NoResultsWarning, download_products, search_lightcurves

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", NoResultsWarning)
        table = search_lightcurves(args.target, mission=args.mission, cadence=args.cadence)
    for w in caught:
        print(f"spacekit: warning: {w.message}", file=sys.stderr)
    print(f"{len(table)} light-curve files")
    if len(table):
        _print_table(table, PRODUCT_COLUMNS, 0)
    if args.out and len(table):
        for path in download_products(table, args.out, source=args.source):
            print(path)
    return 0


def _category(args) -> int:
    from ..radio import get_target_category

    for name in args.target_name:
        print(f"{name}\t{get_target_category(name, default='UNKNOWN')}")
    return 0


def _download(args) -> int:
    from ..exceptions import InputError
    from ..radio import download_many

    if args.sha256 and len(args.urls) != 1:
        raise InputError("--sha256 applies to one URL; download the others separately")
    items = [{"url": u, "sha256": args.sha256} for u in args.urls]
    paths = download_many(
        items,
        args.out,
        max_workers=args.workers,
        overwrite=args.overwrite,
        endpoint_url=args.endpoint_url,
    )
    for path in paths:
        print(path)
    return 0


def _ls(args) -> int:
    from ..radio import s3_list

    urls = s3_list(args.prefix, endpoint_url=args.endpoint_url)
    for url in urls:
        print(url)
    if not urls:  # like `aws s3 ls`: nothing listed is exit status 1, and said so
        print(
            f"spacekit radio ls: no objects under {args.prefix} (keys are matched from "
            "their start and are case-sensitive)",
            file=sys.stderr,
        )
        return 1
    return 0

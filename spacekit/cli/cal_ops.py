"""``spacekit cal`` operator subcommands for calcloud (registered by :mod:`.cmd_cal`).

- ``spacekit cal ingest TABLE --out CSV [--endpoint-url URL] [--region R] [--since T]``: read
  calcloud's DynamoDB table into a training table.
- ``spacekit cal build-default-model [--out DIR] [--check]``: rebuild the default model
  shipped in the package, bit for bit (see :mod:`spacekit.skopes.hst.cal.default_model`).
- ``spacekit cal lambda-event EVENT_JSON``: run the Lambda handler on one event (a file or the
  JSON text) and print its reply, as calcloud would receive it.
"""

from __future__ import annotations

import json
import sys

from ._contract import settings


def register_ops(cal) -> None:
    """Add the operator subcommands to the ``cal`` subparsers ``cal``."""
    ing = cal.add_parser(
        "ingest",
        help="read calcloud's DynamoDB table into a training table (csv)",
        description="Read every item of calcloud's DynamoDB table (the columns its "
        "model-ingest writes) and write the training table that `spacekit cal train` reads.",
    )
    ing.add_argument("table", metavar="TABLE", help="DynamoDB table name (calcloud's DDBTABLE)")
    ing.add_argument("--out", required=True, help="csv file to write")
    ing.add_argument(
        "--endpoint-url",
        default=None,
        help="DynamoDB-API endpoint (default: AWS_ENDPOINT_URL_DYNAMODB, else AWS)",
    )
    ing.add_argument("--region", default=None, help="AWS region (default us-east-1)")
    ing.add_argument(
        "--since", type=float, default=None, help="only items ingested at or after (Unix s)"
    )
    ing.set_defaults(func=_ingest)

    bd = cal.add_parser(
        "build-default-model",
        help="rebuild the default model shipped in the package, bit for bit (or --check it)",
    )
    bd.add_argument("--out", default=None, help="folder (default: the package's default_model/)")
    bd.add_argument(
        "--check",
        action="store_true",
        help="rebuild in a temporary folder and compare: arrays bit for bit, JSON values with "
        "the spacekit version ignored and floats to a relative 1e-9",
    )
    bd.set_defaults(func=_build_default)

    ev = cal.add_parser(
        "lambda-event",
        help="answer one Lambda event as calcloud would receive it (JSON)",
    )
    ev.add_argument("event", metavar="EVENT", help="the event: a .json file or JSON text")
    ev.set_defaults(func=_lambda_event)


def _ingest(args) -> int:
    from ..skopes.hst.cal.ddb import ingest_ddb

    kw = settings(args, "endpoint_url", "since", region_name="region")
    res = ingest_ddb(args.table, args.out, **kw)
    d = res["dropped"]
    print(
        f"{res['rows']} rows written to {res['path']} from {res['items']} items "
        f"({d.get('not_an_ipppssoot', 0)} not HST calibration jobs, "
        f"{d.get('incomplete', 0)} incomplete, dropped)"
    )
    return 0


def _build_default(args) -> int:
    from ..skopes.hst.cal.default_model import build_default_model

    res = build_default_model(args.out, check=args.check)
    if args.check:
        if res["identical"]:
            print(f"{res['folder']}: identical to a rebuild ({len(res['files'])} files)")
            return 0
        print(f"{res['folder']}: differs from a rebuild in {res['differ']}", file=sys.stderr)
        for name, diffs in res["differences"].items():
            for diff in diffs:
                print(f"  {name}: {diff}", file=sys.stderr)
        return 1
    for name, digest in res["files"].items():
        print(f"{digest}  {name}")
    print(f"default model written to {res['folder']}")
    return 0


def _lambda_event(args) -> int:
    import os
    from pathlib import Path

    from ..exceptions import InputError
    from ..skopes.hst.cal.handler import lambda_handler

    text = args.event
    if not text.lstrip().startswith(("{", "[")):
        p = Path(text)
        if not os.path.isfile(p):  # False, not OSError, for a name over 255 bytes
            folder = text.strip() and os.path.isdir(p)  # Path("") is "."
            found = "a folder" if folder else "neither a file nor JSON text"
            raise InputError(
                f"the event {text!r} is {found}; expected a .json file or JSON text "
                "(an object, e.g. '{\"Records\": [...]}')"
            )
        try:
            text = p.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"{text}: the event file is not UTF-8 text ({exc})") from None
    try:
        event = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"the event is not JSON ({exc})") from None
    reply = lambda_handler(event, None)
    print(json.dumps(reply, allow_nan=False))
    return 1 if reply.get("failSafe") else 0

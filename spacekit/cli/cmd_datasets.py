"""``spacekit datasets list|fetch|path|info``: the dataset registry on the command line."""

from __future__ import annotations

import json


def register(sub) -> None:
    p = sub.add_parser(
        "datasets",
        help="list, fetch and describe registered datasets",
        description="The dataset registry: list names, fetch (download/verify) a dataset, "
        "print its local path, or describe it.",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    ls = actions.add_parser("list", help="list registered datasets")
    ls.add_argument("--json", action="store_true", help="print JSON records")
    for name, helptext in (
        ("fetch", "obtain a dataset (cache, mirror, network), verify it, print its path"),
        ("path", "print the local path of a dataset (without downloading)"),
        ("info", "describe a dataset: files, sha256, source, credit"),
    ):
        a = actions.add_parser(name, help=helptext)
        a.add_argument("name", help="registered dataset name (see `spacekit datasets list`)")
    p.set_defaults(func=run, _parser=p)


def run(args) -> int:
    from ..datasets import fetch, info, list_datasets, locate
    from ..exceptions import DataNotFoundError

    if args.action is None:
        args._parser.print_help()
        return 2
    if args.action == "list":
        table = list_datasets()
        if args.json:
            from ..utils.runs import to_jsonable

            # json.dumps, not DataFrame.to_json: that escapes every "/" in sources as "\/"
            print(json.dumps(to_jsonable(table), indent=1))
        else:
            print(table[["name", "kind", "files", "size", "sha256"]].to_string(index=False))
        return 0
    if args.action == "fetch":
        print(fetch(args.name))
        return 0
    if args.action == "path":
        path = locate(args.name)
        if path is None:
            raise DataNotFoundError(
                f"dataset {args.name!r} is not available locally (cache or mirror); "
                f"run `spacekit datasets fetch {args.name}` to download it"
            )
        print(path)
        return 0
    print(json.dumps(info(args.name), indent=2))
    return 0

"""``spacekit demo``: run the main jobs end to end on the real datasets."""

from __future__ import annotations

import importlib
import sys

# Each step is "module:function"; the function takes (runs_dir, out) where ``out`` is a
# text stream for the summary, and returns nothing. Steps run in this order.
DEMO_STEPS: list[tuple[str, str]] = [
    ("datasets", "spacekit.datasets.demo:summary"),
    ("hst_cal", "spacekit.skopes.hst.cal.demo:run"),
    ("hst_svm", "spacekit.skopes.hst.svm.demo:run"),
    ("k2", "spacekit.skopes.k2.demo:run"),
]


def register(sub) -> None:
    p = sub.add_parser("demo", help="run the main jobs end to end on the real datasets")
    p.add_argument(
        "--runs", default="spacekit-runs", help="folder for run folders (default ./spacekit-runs)"
    )
    p.add_argument(
        "--only",
        action="append",
        default=None,
        metavar="STEP",
        help=f"run only these steps ({', '.join(s for s, _ in DEMO_STEPS)})",
    )
    p.set_defaults(func=run)


def run(args) -> int:
    from ..exceptions import InputError

    known = [s for s, _ in DEMO_STEPS]
    unknown = sorted(set(args.only or []) - set(known))
    if unknown:
        raise InputError(f"unknown demo step(s) {unknown}; known steps: {known}")
    for step, target in DEMO_STEPS:
        if args.only and step not in args.only:
            continue
        module, func = target.split(":")
        print(f"== spacekit demo: {step} ==", flush=True)
        getattr(importlib.import_module(module), func)(args.runs, sys.stdout)
    return 0

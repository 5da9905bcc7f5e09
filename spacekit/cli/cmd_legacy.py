"""``spacekit legacy-entry`` (hidden): upstream spacekit's ``python -m`` entry points.

Upstream spacekit (1.1.x) documented module entry points such as ``python -m
spacekit.skopes.hst.cal.predict j8ny02020``. Those modules still exist; run with ``python -m``,
each hands its arguments over to this subcommand (see
:func:`spacekit.skopes._upstream.legacy_entry`), which prints a ``DeprecationWarning`` line
on stderr and either runs the equivalent ``spacekit`` command (when the arguments translate)
and returns that command's status, or returns 2 naming the command to use. It never returns 0
without doing the work. The subcommand is not listed in ``spacekit --help`` nor among the
commands a mistyped one prints.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

__all__ = ["LEGACY_ENTRIES", "hst_cal_predict_argv", "jwst_cal_predict_argv", "run_legacy"]


def hst_cal_predict_argv(argv: Sequence[str]) -> list[str] | None:
    """Translate upstream's ``hst.cal.predict`` arguments into ``spacekit cal predict``'s.

    Parameters
    ----------
    argv : sequence of str
        Upstream's arguments: ``dataset [-b BUCKET] [-k KEY] [-m MODEL_PATH]`` (``BUCKET``
        and ``MODEL_PATH`` default to the environment variables of those names).

    Returns
    -------
    list of str or None
        The ``spacekit`` arguments, or None when no input file is named or found.

    Examples
    --------
    >>> hst_cal_predict_argv(["j8ny02020", "-b", "my-bucket"])
    ['cal', 'predict', 's3://my-bucket/control/j8ny02020/j8ny02020_MemModelFeatures.txt', \
'--ipst', 'j8ny02020']
    >>> hst_cal_predict_argv(["j8ny02020", "-b", "b", "-k", "control"])[2]
    's3://b/control/j8ny02020/j8ny02020_MemModelFeatures.txt'
    >>> hst_cal_predict_argv([]) is None
    True
    """
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("dataset", nargs="?")
    p.add_argument("-b", "--bucket_name", default=os.environ.get("BUCKET"))
    p.add_argument("-k", "--key", default=None)
    p.add_argument("-m", "--model_path", default=os.environ.get("MODEL_PATH"))
    args, _ = p.parse_known_args(list(argv))
    if not args.dataset:
        return None
    ipst = args.dataset
    if args.key == "control":  # upstream's default key, which it expanded as below
        args.key = None
    key = args.key or f"control/{ipst}/{ipst}_MemModelFeatures.txt"
    if args.bucket_name:
        src = f"s3://{args.bucket_name.removeprefix('s3://').rstrip('/')}/{key.lstrip('/')}"
    elif args.key:
        src = args.key
    elif os.path.isfile(f"{ipst}_MemModelFeatures.txt"):
        src = f"{ipst}_MemModelFeatures.txt"
    else:
        return None
    model = ["--model", args.model_path] if args.model_path else []
    return ["cal", "predict", *model, src, "--ipst", ipst]


def jwst_cal_predict_argv(argv: Sequence[str]) -> list[str] | None:
    """Translate upstream's ``jwst.cal.predict input_path`` into ``spacekit jwst predict``.

    Parameters
    ----------
    argv : sequence of str
        Upstream's arguments; only a lone input path translates (``--pid`` has no equivalent).

    Returns
    -------
    list of str or None
        The ``spacekit`` arguments, or None when the arguments do not translate.

    Examples
    --------
    >>> jwst_cal_predict_argv(["/data/jw02732"])
    ['jwst', 'predict', '/data/jw02732']
    >>> jwst_cal_predict_argv(["/in", "--pid", "1076"]) is None
    True
    """
    args = list(argv)
    if len(args) != 1 or args[0].startswith("-"):
        return None
    return ["jwst", "predict", args[0]]


def _untranslatable(argv: Sequence[str]) -> None:
    return None


_SKOPES = "spacekit.skopes."

#: upstream module path -> (argument translator, the command to use, as shown to the user)
LEGACY_ENTRIES: dict[str, tuple[Callable[[Sequence[str]], list[str] | None], str]] = {
    _SKOPES + "hst.cal.predict": (
        hst_cal_predict_argv,
        "spacekit cal predict [--model DIR] <ipst>_MemModelFeatures.txt",
    ),
    _SKOPES + "hst.cal.train": (_untranslatable, "spacekit cal train --help"),
    _SKOPES + "hst.svm.predict": (_untranslatable, "spacekit svm predict --help"),
    _SKOPES + "hst.svm.train": (_untranslatable, "spacekit svm train --help"),
    _SKOPES + "hst.svm.prep": (_untranslatable, "spacekit svm ingest --help"),
    _SKOPES + "hst.svm.corrupt": (
        _untranslatable,
        "spacekit.skopes.hst.svm.synthetic_misalignment (Python)",
    ),
    _SKOPES + "jwst.cal.predict": (jwst_cal_predict_argv, "spacekit jwst predict FOLDER"),
    _SKOPES + "jwst.cal.train": (_untranslatable, "spacekit jwst train --help"),
    "spacekit.analyzer.explore": (
        _untranslatable,
        "spacekit dashboard (its Explore page), or spacekit.analyzer.plot_kde / "
        "plot_scatter3d / plot_grouped_bars (Python)",
    ),
}


def register(sub) -> None:
    # hidden: out of `spacekit --help` and of a bad command's choices (only the shims call it)
    p = sub.add_parser(
        "legacy-entry",
        hidden=True,
        description="Run upstream spacekit's `python -m OLD_MODULE ARGS...` entry point "
        "(deprecated): say so, then run the equivalent spacekit command or exit 2.",
    )
    p.add_argument("old", metavar="OLD_MODULE", choices=sorted(LEGACY_ENTRIES))
    p.add_argument("old_args", metavar="ARGS", nargs="*", help="upstream's arguments (after --)")
    p.set_defaults(func=_legacy)


def _legacy(args) -> int:
    return run_legacy(args.old, args.old_args)


def run_legacy(old: str, argv: Sequence[str]) -> int:
    """Say that ``python -m old`` is deprecated, then run the equivalent command; return its status.

    Parameters
    ----------
    old : str
        Upstream's module path, a key of :data:`LEGACY_ENTRIES`.
    argv : sequence of str
        The arguments given to ``python -m old``.

    Returns
    -------
    int
        The exit status of the ``spacekit`` command run, or 2 when the arguments do not
        translate (nothing is run).

    Examples
    --------
    >>> run_legacy("spacekit.skopes.hst.svm.prep", ["svmdata"])
    2
    """
    translate, hint = LEGACY_ENTRIES[old]
    print(
        f"{old}: DeprecationWarning: `python -m {old}` is upstream spacekit's entry point and "
        f"is deprecated; use `{hint}`",
        file=sys.stderr,
        flush=True,
    )
    new_argv = translate(argv)
    if new_argv is None:
        print(
            f"{old}: these arguments have no direct equivalent here; nothing was run. "
            f"Run `{hint}` (see `spacekit --help`)",
            file=sys.stderr,
            flush=True,
        )
        return 2
    print(f"{old}: running `spacekit {' '.join(new_argv)}`", file=sys.stderr, flush=True)
    from . import main

    return main(new_argv)

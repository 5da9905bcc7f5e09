"""Upstream spacekit's ``python -m spacekit.skopes...`` entry points, kept as deprecated shims.

Upstream spacekit (1.1.x) documented module entry points such as ``python -m
spacekit.skopes.hst.cal.predict j8ny02020``. Here the ``spacekit`` command does that work. Each
old module path still exists: run as ``python -m``, it prints a ``DeprecationWarning`` line on
stderr and either runs the equivalent ``spacekit`` command (when its arguments translate) and
exits with that command's status, or exits with status 2 naming the command to use. It never
exits 0 without doing the work.

The shim modules share their name with a function of their package (``svm.predict``,
``svm.train``, ``hst.cal.train``, ``jwst.cal.predict``...). Importing one as a module would
otherwise replace that function on the package; :func:`keep_callable` makes the module object
call the function, so ``svm.predict(...)`` keeps working either way.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import types
from collections.abc import Sequence
from typing import NoReturn

__all__ = ["deprecated_entry", "keep_callable"]


class _CallableModule(types.ModuleType):
    """A module that, called, calls the function it stands in for."""

    _spacekit_target: tuple[str, str]

    def _target(self):
        module, name = self._spacekit_target
        return getattr(importlib.import_module(module), name)

    def __call__(self, *args, **kwargs):
        return self._target()(*args, **kwargs)

    @property
    def __signature__(self):  # inspect.signature(module) is the function's
        import inspect

        return inspect.signature(self._target())


def keep_callable(module_name: str, target_module: str, target_name: str) -> None:
    """Make module ``module_name`` callable as ``target_module.target_name``.

    Examples
    --------
    >>> keep_callable("__main__", "x", "y")  # run as a script: nothing to do
    """
    if module_name == "__main__" or module_name not in sys.modules:
        return
    mod = sys.modules[module_name]
    mod.__class__ = _CallableModule
    mod._spacekit_target = (target_module, target_name)


def deprecated_entry(old: str, new_argv: Sequence[str] | None, hint: str) -> NoReturn:
    """Say that ``python -m old`` is deprecated, then run ``spacekit new_argv`` or exit 2.

    Parameters
    ----------
    old : str
        The upstream module path (``spacekit.skopes.hst.cal.predict``).
    new_argv : sequence of str or None
        Arguments of the equivalent ``spacekit`` command, or None when the old arguments do
        not translate.
    hint : str
        The command to use, as shown to the user.

    Examples
    --------
    >>> deprecated_entry(
    ...     "spacekit.skopes.hst.svm.corrupt", None, "spacekit svm --help"
    ... )  # doctest: +SKIP
    """
    print(
        f"{old}: DeprecationWarning: `python -m {old}` is upstream spacekit's entry point and "
        f"is deprecated; use `{hint}`",
        file=sys.stderr,
        flush=True,
    )
    if new_argv is None:
        print(
            f"{old}: these arguments have no direct equivalent here; nothing was run. "
            f"Run `{hint}` (see `spacekit --help`)",
            file=sys.stderr,
            flush=True,
        )
        sys.exit(2)
    print(f"{old}: running `spacekit {' '.join(new_argv)}`", file=sys.stderr, flush=True)
    sys.exit(subprocess.call([sys.executable, "-m", "spacekit", *new_argv]))


def hst_cal_predict_argv(argv: Sequence[str]) -> list[str] | None:
    """Translate upstream's ``hst.cal.predict`` arguments (``dataset [-b BUCKET] [-k KEY]
    [-m MODEL_PATH]``) into ``spacekit cal predict`` arguments; None when no input is named."""
    import argparse
    import os

    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("dataset", nargs="?")
    p.add_argument("-b", "--bucket_name", default=os.environ.get("BUCKET"))
    p.add_argument("-k", "--key", default=None)
    p.add_argument("-m", "--model_path", default=os.environ.get("MODEL_PATH"))
    args, _ = p.parse_known_args(list(argv))
    if not args.dataset:
        return None
    ipst = args.dataset
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
    """Translate ``input_path`` into ``spacekit jwst predict`` (``--pid`` has no equivalent)."""
    args = list(argv)
    if len(args) != 1 or args[0].startswith("-"):
        return None
    return ["jwst", "predict", args[0]]

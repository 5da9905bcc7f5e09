"""Upstream spacekit's ``python -m spacekit.skopes...`` entry points, kept as deprecated shims.

Upstream spacekit (1.1.x) documented module entry points such as ``python -m
spacekit.skopes.hst.cal.predict j8ny02020``. Here the ``spacekit`` command does that work. Each
old module path still exists: run as ``python -m``, it hands over to the ``spacekit`` command's
hidden ``legacy-entry`` subcommand (:mod:`spacekit.cli.cmd_legacy`), which prints a
``DeprecationWarning`` line on stderr and either runs the equivalent ``spacekit`` command (when
the arguments translate) and exits with that command's status, or exits with status 2 naming the
command to use. It never exits 0 without doing the work. This module only builds that command
line (:func:`legacy_entry`); printing and exiting belong to the command line.

The shim modules share their name with a function of their package (``svm.predict``,
``svm.train``, ``hst.cal.train``, ``jwst.cal.predict``...). Importing one as a module would
otherwise replace that function on the package; :func:`keep_callable` makes the module object
call the function, so ``svm.predict(...)`` keeps working either way.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Sequence

__all__ = ["keep_callable", "legacy_entry"]


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


def legacy_entry(old: str, argv: Sequence[str] | None = None) -> tuple[str, list[str]]:
    """The program and command line that run upstream's ``python -m old ARGS...`` through the
    command line's hidden ``spacekit legacy-entry`` (what the shim modules' ``__main__`` blocks
    hand to ``os.execv``); that subcommand says the entry point is deprecated and runs the
    equivalent command, or exits 2 naming it. This function only builds the command line: it
    neither prints nor exits.

    Parameters
    ----------
    old : str
        The upstream module path (``spacekit.skopes.hst.cal.predict``).
    argv : sequence of str, optional
        The arguments given to ``python -m old`` (default: ``sys.argv[1:]``).

    Returns
    -------
    (str, list of str)
        ``sys.executable`` and ``[sys.executable, "-m", "spacekit", "legacy-entry", old, "--",
        *argv]``.

    Examples
    --------
    >>> legacy_entry("spacekit.skopes.hst.svm.prep", ["svmdata"])[1][2:]
    ['spacekit', 'legacy-entry', 'spacekit.skopes.hst.svm.prep', '--', 'svmdata']
    """
    args = sys.argv[1:] if argv is None else list(argv)
    return sys.executable, [sys.executable, "-m", "spacekit", "legacy-entry", old, "--", *args]

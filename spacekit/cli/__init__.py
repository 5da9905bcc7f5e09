"""The ``spacekit`` console command.

Subcommands live in modules ``spacekit/cli/cmd_<name>.py``; each defines
``register(subparsers)`` which adds its parser and sets ``func`` to a callable taking the
parsed arguments and returning an exit code. They are discovered at run time, and each
imports its heavy dependencies only inside ``func``.

Only :func:`main` turns exceptions into exit codes: a :class:`~spacekit.exceptions.SpacekitError`
prints one line ``spacekit: error: ...`` to stderr and exits 1 (after the error's traceback with
``-vv``, for a bug report); bad usage exits 2.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import importlib
import os
import pkgutil
import signal
import sys
from collections.abc import Iterator, Sequence

from .._version import __version__
from ..exceptions import SpacekitError
from ._contract import DeprecatedAlias, alias_conflict

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level argument parser with every subcommand registered.

    Returns
    -------
    argparse.ArgumentParser
        The parser.
    """
    parser = _Parser(
        prog="spacekit",
        description="Machine learning for astronomy: data, models and the HST/JWST "
        "calibration-pipeline applications.",
        epilog="Each command has its own help: spacekit COMMAND --help (and spacekit COMMAND "
        "ACTION --help, e.g. spacekit cal predict --help).",
    )
    parser.add_argument("--version", action="version", version=f"spacekit {__version__}")
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log INFO (-v) or DEBUG (-vv; an error then shows its traceback)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", action=_Commands)
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("cmd_"))
    for name in names:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    _accept_global_flags(parser)
    return parser


class _Parser(argparse.ArgumentParser):
    """An argument parser whose commands take options between the values of a many-valued
    positional (``spacekit hunt A.csv --time-format bkjd B.fits``): a parser without
    subcommands whose positionals include one of ``nargs="+"`` or ``"*"`` parses its arguments
    with :meth:`~argparse.ArgumentParser.parse_known_intermixed_args`. Every subcommand's
    parser is of this class (``add_subparsers`` makes its children of the parent's class)."""

    _intermixing = False

    def _intermixes(self) -> bool:
        positionals = self._get_positional_actions()
        if any(a.nargs in (argparse.PARSER, argparse.REMAINDER) for a in positionals):
            return False  # parse_intermixed_args refuses these (a command with actions)
        return any(a.nargs in ("+", "*") for a in positionals)

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[override]
        # parse_known_intermixed_args calls parse_known_args twice itself: those run plain
        if self._intermixing or not self._intermixes():
            return super().parse_known_args(args, namespace)
        self._intermixing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixing = False


class _Listed(dict):
    """Name -> parser; iterating skips the hidden names (argparse lists a bad command's
    choices by iterating), while lookups (``in``, ``[]``, ``values()``) still see them."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden: set[str] = set()

    def __iter__(self) -> Iterator[str]:
        return (name for name in super().__iter__() if name not in self.hidden)


class _Commands(argparse._SubParsersAction):
    """The subcommands. ``add_parser(name, hidden=True)`` (``legacy-entry``) adds one that runs
    but is listed neither in ``spacekit --help`` (it has no ``help=``) nor among the choices
    an invalid command prints."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._name_parser_map = self.choices = _Listed()

    def add_parser(self, name: str, *, hidden: bool = False, **kwargs) -> argparse.ArgumentParser:
        if hidden:
            kwargs.pop("help", None)
            self.choices.hidden.update([name, *kwargs.get("aliases", ())])
        return super().add_parser(name, **kwargs)


def _accept_global_flags(parser: argparse.ArgumentParser) -> None:
    """Let ``-v``/``-q`` also follow a subcommand (``spacekit datasets list -q``)."""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        for child in set(action.choices.values()):
            child.add_argument(
                "-v",
                "--verbose",
                action="count",
                default=argparse.SUPPRESS,
                help="log INFO (-v) or DEBUG (-vv; an error then shows its traceback)",
            )
            child.add_argument(
                "-q",
                "--quiet",
                action="store_true",
                default=argparse.SUPPRESS,
                help="no progress bars",
            )
            _accept_global_flags(child)


#: errors of writing output (stdout redirected to a full disk) that are no bug of spacekit
_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO}

#: the signal that interrupted the running command (None: none did)
_interrupted_by: int | None = None


def _empty_value(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str | None:
    """The usage error of an empty argument (``--runs "$RUNS"`` with RUNS unset), or None.

    An empty path is the current folder to the operating system: run folders, tables and
    models would land in (or be looked for in) the working directory, unasked."""
    empty = [
        dest
        for dest, value in vars(args).items()
        if isinstance(value, str)
        and not value.strip()
        or isinstance(value, list)
        and any(isinstance(v, str) and not v.strip() for v in value)
    ]
    if not empty:
        return None
    names = {}
    p: argparse.ArgumentParser | None = parser
    while p is not None:  # the chosen command's parsers, from the top to the action's
        subs = None
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                subs = action
            elif not isinstance(action, DeprecatedAlias):  # name the current option
                names[action.dest] = "/".join(action.option_strings) or action.metavar
        p = subs.choices.get(getattr(args, subs.dest, None)) if subs else None
    name = names.get(empty[0]) or empty[0]
    return (
        f"argument {name}: expected a value, got an empty one (is a shell variable unset?); "
        "pass a path or name, or leave the option out"
    )


def _raise_interrupt(signum, frame):
    global _interrupted_by
    _interrupted_by = signum
    raise KeyboardInterrupt(f"signal {signum}")


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """While a command runs, SIGTERM (``kill``, a batch scheduler's stop) unwinds like Ctrl-C,
    so run folders are marked ``interrupted`` and temporary files removed (the library itself
    never installs signal handlers; only the command line does). Both signals are remembered:
    compiled code (scikit-learn's, NumPy's) may turn the KeyboardInterrupt into another error
    on its way out, which :func:`main` then still reports as an interruption."""
    global _interrupted_by
    _interrupted_by = None
    try:
        previous = {
            s: signal.signal(s, _raise_interrupt)
            for s in (signal.SIGTERM, signal.SIGINT)
            if signal.getsignal(s) is not signal.SIG_IGN  # `cmd &` in a script ignores SIGINT
        }
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``spacekit`` command; return its exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, non-zero on an error (its message on stderr).
    """
    # TensorFlow's C++ INFO/WARNING logs are noise on a command line (a user's setting wins;
    # the few lines TF 2.21 prints before absl initialises ignore this variable).
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    parser = build_parser()
    args = parser.parse_args(argv)

    conflict = alias_conflict(args) or _empty_value(parser, args)
    if conflict:
        print(f"spacekit: error: {conflict}", file=sys.stderr)
        return 2
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    if args.verbose:
        from ..utils.log import enable_logging

        enable_logging("DEBUG" if args.verbose > 1 else "INFO")
    from ..config import conf

    try:
        with _sigterm_interrupts():
            if args.quiet:
                with conf.set_temp("progress", False):
                    code = int(args.func(args) or 0)
            else:
                code = int(args.func(args) or 0)
            sys.stdout.flush()  # a full disk under `> out.json` fails here, not at exit
            return code
    except SpacekitError as exc:
        if _interrupted_by is not None:  # e.g. a download cut by Ctrl-C: not its fault
            print("spacekit: interrupted", file=sys.stderr)
            return 130
        if args.verbose > 1:  # -vv: where it was raised, for a bug report
            import traceback

            traceback.print_exc(file=sys.stderr)
        print(f"spacekit: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("spacekit: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:
        if _interrupted_by is not None:
            print("spacekit: interrupted", file=sys.stderr)
            return 130
        if exc.errno not in _OUTPUT_ERRNOS:
            raise  # a bug: its traceback is what a report needs
        where = exc.filename or "the standard output"
        print(
            f"spacekit: error: cannot write {where}: {os.strerror(exc.errno)}; free some space "
            "or send the output elsewhere",
            file=sys.stderr,
        )
        # what is left in the buffer cannot be written either: at exit it goes to /dev/null
        with contextlib.suppress(OSError, ValueError, AttributeError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        return 1
    except Exception:
        if _interrupted_by is None:
            raise  # a bug: its traceback is what a report needs
        # an interruption that compiled code turned into another error on its way out
        print("spacekit: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

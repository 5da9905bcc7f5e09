"""The shape every app's command line shares: ``spacekit <app> train | cv | score | predict
DATA...`` with the data positional, ``--runs``, ``--model`` (a model or run folder), ``--kind``
(a model family, where an app has several), ``--seed`` and ``--json``.

Older option names stay accepted for one release: :class:`DeprecatedAlias` stores the value
under the new name and says so on stderr.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from typing import Any

DATA_HELP = (
    "a file path, or a registered dataset name (listed by `spacekit datasets list`), e.g. {example}"
)
RUNS_HELP = "runs folder (default: the runs_dir setting); the run goes to RUNS/<app>/<time>-<name>"
MODEL_HELP = "a model folder, a run folder, or a runs folder (its newest complete model)"
JSON_HELP = "print strict JSON (an undefined metric is null)"


class DeprecatedAlias(argparse.Action):
    """An older option name: stores into the new one's ``dest`` and warns on stderr.

    Given with the new option and a different value (``--models A --model B``), it is a usage
    error rather than a silent choice of one of them: this action catches the new option
    given first; :func:`alias_conflict` (run by ``main`` after parsing) the new one given
    after. ``new_dest`` names the new option's ``dest`` where it differs (``--data`` beside
    the positional DATA)."""

    def __init__(
        self, option_strings, dest, *, new: str, new_dest: str | None = None, **kwargs: Any
    ) -> None:
        self.new = new
        self.new_dest = new_dest or dest
        super().__init__(option_strings, dest, **kwargs)

    def warn(self, option_string: str | None) -> None:
        print(
            f"spacekit: warning: {option_string} is deprecated; use {self.new}",
            file=sys.stderr,
        )

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        self.warn(option_string)
        default = parser.get_default(self.new_dest)
        record = (option_string, self.new, self.new_dest, values, default)
        current = getattr(namespace, self.new_dest, default)
        if current is not None and current != default and current != values:
            parser.error(_conflict(record, current))
        setattr(namespace, self.dest, values)
        given = list(getattr(namespace, "_deprecated_given", None) or [])
        namespace._deprecated_given = [*given, record]


def _conflict(record: tuple, final: Any) -> str:
    option, new, _, value, _ = record
    return (
        f"{option} (deprecated) and {new} give different values ({value!r} and {final!r}); "
        f"pass only {new}"
    )


def alias_conflict(args: argparse.Namespace) -> str | None:
    """The usage error of a deprecated option contradicted by its new name given after it
    (see :class:`DeprecatedAlias`), or None."""
    for record in getattr(args, "_deprecated_given", None) or ():
        _, _, new_dest, value, default = record
        final = getattr(args, new_dest, default)
        if final is not None and final != default and final != value:
            return _conflict(record, final)
    return None


#: an option's destination -> the app functions' keyword of the same meaning
API_NAMES = {"runs": "runs_dir", "folds": "n_splits", "repeats": "n_repeats"}
#: :func:`add_common`'s settings of an action that uses a trained model and writes no run
SERVING = {"runs": False, "model": True, "seed": False}


def add_app(
    sub: Any, name: str, *, help: str, description: str, dest: str, metavar: str = "ACTION"
) -> Any:
    """``spacekit <app>``: its parser, whose actions go in the returned subparsers; the app
    named alone prints its help on stderr and exits 2 (as ``spacekit`` alone does)."""
    parser = sub.add_parser(name, help=help, description=description)
    parser.set_defaults(func=lambda args: _usage(parser))
    return parser.add_subparsers(dest=dest, metavar=metavar)


def file_error(command: str, path: str, exc: BaseException) -> str:
    """The stderr line of a command over many files for one file that failed.

    One form for every such command: ``spacekit COMMAND: error: PATH: MESSAGE``, naming the
    file once (a message that begins with the path, as the readers' messages do, loses that
    beginning: ``P does not exist: ...`` becomes ``P: does not exist: ...``).

    Parameters
    ----------
    command : str
        The command, e.g. ``"hunt"`` or ``"cal predict"``.
    path : str
        The file as given on the command line.
    exc : BaseException
        The error.

    Returns
    -------
    str
        The line, without a newline.

    Examples
    --------
    >>> file_error("hunt", "./a.fits", FileNotFoundError("a.fits does not exist: check it"))
    'spacekit hunt: error: ./a.fits: does not exist: check it'
    """
    import os

    msg = str(exc)
    for name in dict.fromkeys((path, os.path.normpath(path), os.path.abspath(path))):
        for sep in (": ", " "):
            if msg.startswith(name + sep):
                msg = msg[len(name) + len(sep) :]
                break
        else:
            continue
        break
    return f"spacekit {command}: error: {path}: {msg}"


def seed_option(text: str) -> int:
    """The type of every ``--seed``: a whole number from 0 to 2**32 - 1 (what NumPy and
    scikit-learn accept), so that ``--seed -1`` is a usage error (exit 2), not a traceback.

    Examples
    --------
    >>> seed_option("7")
    7
    """
    from ..utils.checks import MAX_SEED

    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(
            f"expected a whole number from 0 to {MAX_SEED}, got {text!r}"
        )
    return value


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def add_action(
    actions: Any,
    name: str,
    func: Callable[[argparse.Namespace], int],
    *,
    help: str,
    example: str | None = None,
    data: dict | None = None,
    **common: Any,
) -> argparse.ArgumentParser:
    """One action of an app (``spacekit <app> NAME``) that runs ``func``: DATA (when
    ``example`` is given, with ``data`` as :func:`add_data`'s settings) and the common options
    (``common`` as :func:`add_common`'s settings)."""
    parser = actions.add_parser(name, help=help)
    if example is not None:
        add_data(parser, example=example, **(data or {}))
    add_common(parser, **common)
    parser.set_defaults(func=func)
    return parser


def settings(args: argparse.Namespace, *names: str, **renamed: str) -> dict[str, Any]:
    """The app function's keyword arguments from the parsed options ``names`` (``--runs`` as
    ``runs_dir``, ``--folds`` as ``n_splits``, ``--repeats`` as ``n_repeats``; ``renamed``
    maps other keywords to their option, ``keyword="option"``)."""
    out = {API_NAMES.get(n, n): getattr(args, n) for n in names}
    out.update({k: getattr(args, option) for k, option in renamed.items()})
    return out


def add_data(parser: argparse.ArgumentParser, *, example: str, many: bool = False, **kw) -> None:
    """The positional DATA argument (``nargs="+"`` when ``many``)."""
    if many:
        kw.setdefault("nargs", "+")
    parser.add_argument("data", metavar="DATA", help=DATA_HELP.format(example=example), **kw)


def add_common(
    parser: argparse.ArgumentParser,
    *,
    runs: bool = True,
    model: bool = False,
    seed: bool = True,
    kinds: tuple[str, ...] | None = None,
    kind_default: str | None = None,
) -> None:
    """``--runs``, ``--model``, ``--kind``, ``--seed`` and ``--json`` where they apply."""
    if runs:
        parser.add_argument("--runs", default=None, help=RUNS_HELP)
    if model:
        parser.add_argument("--model", default=None, help=MODEL_HELP)
    if kinds:
        parser.add_argument(
            "--kind",
            default=kind_default,
            choices=kinds,
            help=f"model family (default {kind_default})",
        )
    if seed:
        parser.add_argument("--seed", type=seed_option, default=0)
    parser.add_argument("--json", action="store_true", help=JSON_HELP)


def json_safe(value: Any) -> Any:
    """Non-finite floats as null, numpy scalars as Python ones: strict JSON."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (TypeError, ValueError):
            return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def dumps(value: Any) -> str:
    return json.dumps(json_safe(value), indent=2, default=str, allow_nan=False)


def print_run_json(run: Any, metrics: dict | None = None) -> int:
    """Print ``{"run": folder, **metrics}`` (default: the run's) as strict JSON; return 0."""
    print_metrics(
        {"run": str(run.path), **(run.metrics if metrics is None else metrics)}, as_json=True
    )
    return 0


def print_metrics(metrics: dict, *, as_json: bool, headline: tuple[str, ...] = ()) -> None:
    """Metrics as JSON, or one ``name value`` line each (nested ones as JSON), headline first."""
    if as_json:
        print(dumps(metrics))
        return
    keys = [k for k in headline if k in metrics] + [k for k in metrics if k not in headline]
    for k in keys:
        v = metrics[k]
        if isinstance(v, float):
            print(f"{k:28s} {v:.6g}")
        elif isinstance(v, (dict, list)):
            print(f"{k:28s} {json.dumps(json_safe(v), default=str)}")
        else:
            print(f"{k:28s} {v}")

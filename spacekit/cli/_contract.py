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
from typing import Any

DATA_HELP = (
    "a file path, or a registered dataset name (listed by `spacekit datasets list`), e.g. {example}"
)
RUNS_HELP = "runs folder (default: the runs_dir setting); the run goes to RUNS/<app>/<time>-<name>"
MODEL_HELP = "a model folder, a run folder, or a runs folder (its newest complete model)"
JSON_HELP = "print strict JSON (an undefined metric is null)"


class DeprecatedAlias(argparse.Action):
    """An older option name: stores into the new one's ``dest`` and warns on stderr."""

    def __init__(self, option_strings, dest, *, new: str, **kwargs: Any) -> None:
        self.new = new
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(
            f"spacekit: warning: {option_string} is deprecated; use {self.new}",
            file=sys.stderr,
        )
        setattr(namespace, self.dest, values)


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
        parser.add_argument("--seed", type=int, default=0)
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

"""``/evaluate``: one run or several side by side: metrics, history, ROC/PR, confusion
matrices and regression residuals, read from ``metrics.json`` and ``evaluation.json``."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import pandas as pd

from ...exceptions import SpacekitError
from .. import figures
from ..data import (
    check_run_folder,
    evaluation_runs,
    find_run,
    flatten_metrics,
    read_evaluation,
    run_id,
    run_label,
    runs_folder_hint,
)
from ._common import data_table, graph, labelled

log = logging.getLogger(__name__)

_PREFERRED = (
    "accuracy",
    "acc",
    "loss",
    "auc",
    "ap",
    "f1",
    "precision",
    "recall",
    "rmse",
    "mae",
    "r2",
)


def _headline() -> tuple[str, ...]:
    """Every app's ``HEADLINE_METRICS`` (what each app's ``score`` gives first): shown first."""
    from ...skopes import headline_metrics

    return headline_metrics()


_DEFAULT_RUNS = 3


def has_results(run: Any) -> bool:
    """Whether a run has something to compare: a numeric metric or an evaluation record.

    Predict runs (predictions only, empty or non-numeric metrics) are listed on the page but
    not selected by default.
    """
    try:
        check_run_folder(run)
        if flatten_metrics(run.metrics):
            return True
        return bool(read_evaluation(run))
    except SpacekitError:
        return False


def default_runs(ctx: Any, runs: list, query: dict | None = None) -> list[str]:
    """The runs selected when the page opens: those named by ``?run=`` (the Runs table's
    links) when listed, else the newest :data:`_DEFAULT_RUNS` runs with results."""
    keys = [run_id(r, ctx.runs_dir) for r in runs]
    asked = [k for k in (query or {}).get("run", []) if k in keys]
    if asked:
        return asked
    return [k for r, k in zip(runs, keys, strict=True) if has_results(r)][:_DEFAULT_RUNS]


def layout(ctx: Any, query: dict | None = None) -> Any:
    from dash import dcc, html

    runs = evaluation_runs(ctx.runs_dir)
    options = [
        {
            "label": run_label(r) + ("" if has_results(r) else " (no metrics)"),
            "value": run_id(r, ctx.runs_dir),
        }
        for r in runs
    ]
    chooser = html.Div(
        [
            labelled(
                "Runs (pick several to compare)",
                dcc.Dropdown(
                    id="eval-runs",
                    options=options,
                    value=default_runs(ctx, runs, query),
                    multi=True,
                    style={"minWidth": "520px"},
                ),
            ),
            labelled(
                "Metrics to compare",
                dcc.Dropdown(id="eval-metrics", multi=True, style={"minWidth": "320px"}),
            ),
        ],
        className="controls card",
    )
    if not runs:
        hint = runs_folder_hint(ctx.runs_dir)
        note = html.P(
            f"No evaluated runs in {ctx.runs_dir} (runs with metrics.json or "
            "evaluation.json)" + (f": {hint}." if hint else "."),
            id="eval-empty",
            className="card",
        )
    else:
        note = html.Span()

    def card(name: str, extra: str = "") -> Any:
        return html.Div(graph(f"eval-{name}"), id=f"eval-{name}-card", className=f"card {extra}")

    return html.Div(
        [
            html.H2("Evaluate"),
            chooser,
            note,
            html.Div(id="eval-error", className="error"),
            html.Div([html.H3("Metrics"), html.Div(id="eval-table")], className="card"),
            html.Div([card("metrics-bar", "col"), card("history", "col")], className="row"),
            html.Div([card("roc", "col"), card("pr", "col")], className="row"),
            card("confusion"),
            card("residuals"),
            html.Div(id="eval-saved-figures"),
        ],
        id="evaluate-page",
    )


def _load(ctx: Any, keys: list[str]) -> tuple[dict, dict, list[str]]:
    """Evaluation records and flat metrics by run label, plus error messages."""
    records, metrics, errors = {}, {}, []
    for key in run_keys(keys):
        try:
            run = find_run(ctx.runs_dir, key)
            label = run_label(run)
            records[label] = read_evaluation(run)
            metrics[label] = flatten_metrics(run.metrics)
        except SpacekitError as exc:
            errors.append(f"{key}: {exc}")
    return records, metrics, errors


def _labels_and_targets(ctx: Any, keys: Any) -> tuple[dict[str, str], dict[str, tuple]]:
    """Run colours by label, in the order of the selection (the same in every chart), and
    the regression target of each run's app where known."""
    labels, targets = [], {}
    for key in run_keys(keys):
        try:
            run = find_run(ctx.runs_dir, key)
        except SpacekitError:
            continue
        label = run_label(run)
        labels.append(label)
        app = run.path.parent.name
        if app in figures.TARGET_BY_APP:
            targets[label] = figures.TARGET_BY_APP[app]
    return figures.run_colors(labels), targets


def run_keys(keys: Any) -> list[str]:
    """The run keys of a request: a list of strings (one string is one key; others dropped)."""
    if isinstance(keys, str):
        return [keys]
    if not isinstance(keys, list):
        return []
    return [k for k in keys if isinstance(k, str)]


def _default_metrics(columns: list[str]) -> list[str]:
    def last(c: str) -> str:
        return c.split(".")[-1].lower()

    headline = _headline()
    chosen = [c for c in columns if last(c) in headline]
    chosen += [c for c in columns if last(c) in _PREFERRED and c not in chosen]
    return (chosen or columns)[:6]


def saved_figures(ctx: Any, keys: list[str]) -> list:
    """The figures each run saved: plotly JSON redrawn natively, PNGs inline."""
    from dash import dcc, html

    blocks = []
    for key in run_keys(keys):
        try:
            run = find_run(ctx.runs_dir, key)
        except SpacekitError:
            continue
        items = []
        for path in run.figures():
            spec = path.with_name(path.stem + ".plotly.json")
            if path.suffix == ".html" and spec.is_file():
                try:
                    fig = json.loads(spec.read_text(encoding="utf-8"))
                except (OSError, json.JSONDecodeError) as exc:
                    log.warning("cannot read %s: %s", spec, exc)
                    continue
                items.append(html.Div([html.H4(path.stem), dcc.Graph(figure=fig)], className="col"))
            elif path.suffix == ".png":
                raw = path.read_bytes()
                if not raw.startswith(b"\x89PNG\r\n\x1a\n"):  # empty or cut short: say so
                    items.append(
                        html.Div(
                            [
                                html.H4(path.stem),
                                html.P(
                                    f"{path.name} is not a readable PNG ({len(raw)} bytes); "
                                    "re-save it.",
                                    className="error",
                                ),
                            ],
                            className="col",
                        )
                    )
                    continue
                data = base64.b64encode(raw).decode("ascii")
                items.append(
                    html.Div(
                        [
                            html.H4(path.stem),
                            html.Img(
                                src=f"data:image/png;base64,{data}", style={"maxWidth": "100%"}
                            ),
                        ],
                        className="col",
                    )
                )
        if items:
            blocks.append(
                html.Details(
                    [
                        html.Summary(f"Saved figures of {run_label(run)} ({len(items)})"),
                        html.Div(items, className="row"),
                    ],
                    className="card",
                )
            )
    return blocks


def _shown(visible: bool, extra: str = "") -> str:
    """The class of a chart's card: hidden when the chart has nothing to show."""
    return " ".join(c for c in ("card", extra, "" if visible else "hidden") if c)


def register(app: Any, ctx: Any) -> None:
    from dash import Input, Output, State

    @app.callback(
        Output("eval-metrics", "options"),
        Output("eval-metrics", "value"),
        Input("eval-runs", "value"),
        State("eval-metrics", "value"),
    )
    def _metric_choices(keys, current):
        _, metrics, _ = _load(ctx, keys)
        columns = sorted({m for values in metrics.values() for m in values})
        kept = [m for m in (current if isinstance(current, list) else []) if m in columns]
        return columns, kept or _default_metrics(columns)

    @app.callback(
        Output("eval-metrics-bar", "figure"),
        Output("eval-metrics-bar-card", "className"),
        Input("eval-runs", "value"),
        Input("eval-metrics", "value"),
    )
    def _bars(keys, chosen):
        _, metrics, _ = _load(ctx, keys)
        table = pd.DataFrame.from_dict(metrics, orient="index")
        chosen = [m for m in chosen if isinstance(m, str)] if isinstance(chosen, list) else []
        colors, _ = _labels_and_targets(ctx, keys)
        fig = figures.metrics_bar_figure(table, chosen, colors=colors)
        return fig, _shown(not figures.is_empty(fig), "col")

    @app.callback(
        Output("eval-table", "children"),
        Output("eval-history", "figure"),
        Output("eval-roc", "figure"),
        Output("eval-pr", "figure"),
        Output("eval-confusion", "figure"),
        Output("eval-residuals", "figure"),
        Output("eval-saved-figures", "children"),
        Output("eval-error", "children"),
        Output("eval-history-card", "className"),
        Output("eval-roc-card", "className"),
        Output("eval-pr-card", "className"),
        Output("eval-confusion-card", "className"),
        Output("eval-residuals-card", "className"),
        Input("eval-runs", "value"),
    )
    def _update(keys):
        records, metrics, errors = _load(ctx, keys)
        table = pd.DataFrame.from_dict(metrics, orient="index")
        if table.empty:
            shown = "Select one or more runs."
        else:
            # One row per metric, one column per run: runs compare side by side, and a run with
            # dozens of metrics (hst_cal training writes ~60) makes a long table, not one
            # thousands of pixels wide.
            shown = data_table(table.T.reset_index(names="metric"), table_id="eval-metrics-table")
        outputs = [shown]
        colors, targets = _labels_and_targets(ctx, keys)
        classes = []
        # A chart with nothing to show in the selected runs is hidden (an empty card took
        # the space of a chart); one whose record is broken stays, with the message.
        for make, kwargs, extra in (
            (figures.history_figure, {}, "col"),
            (figures.roc_figure, {}, "col"),
            (figures.pr_figure, {}, "col"),
            (figures.confusion_figure, {}, ""),
            (figures.residuals_figure, {"targets": targets}, ""),
        ):
            try:
                fig = make(records, colors=colors, **kwargs)
                visible = not figures.is_empty(fig)
            except SpacekitError as exc:
                errors.append(str(exc))
                fig, visible = figures.empty_figure(str(exc)), True
            outputs.append(fig)
            classes.append(_shown(visible, extra))
        outputs.append(saved_figures(ctx, keys))
        outputs.append("; ".join(errors))
        outputs.extend(classes)
        return tuple(outputs)

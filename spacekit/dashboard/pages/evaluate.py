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


def layout(ctx: Any) -> Any:
    from dash import dcc, html

    runs = evaluation_runs(ctx.runs_dir)
    options = [{"label": run_label(r), "value": run_id(r, ctx.runs_dir)} for r in runs]
    chooser = html.Div(
        [
            labelled(
                "Runs (pick several to compare)",
                dcc.Dropdown(
                    id="eval-runs",
                    options=options,
                    value=[o["value"] for o in options[:_DEFAULT_RUNS]],
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
    return html.Div(
        [
            html.H2("Evaluate"),
            chooser,
            note,
            html.Div(id="eval-error", className="error"),
            html.Div([html.H3("Metrics"), html.Div(id="eval-table")], className="card"),
            html.Div(
                [
                    html.Div(graph("eval-metrics-bar"), className="col card"),
                    html.Div(graph("eval-history"), className="col card"),
                ],
                className="row",
            ),
            html.Div(
                [
                    html.Div(graph("eval-roc"), className="col card"),
                    html.Div(graph("eval-pr"), className="col card"),
                ],
                className="row",
            ),
            html.Div(graph("eval-confusion"), className="card"),
            html.Div(graph("eval-residuals"), className="card"),
            html.Div(id="eval-saved-figures"),
        ],
        id="evaluate-page",
    )


def _load(ctx: Any, keys: list[str]) -> tuple[dict, dict, list[str]]:
    """Evaluation records and flat metrics by run label, plus error messages."""
    records, metrics, errors = {}, {}, []
    for key in keys or []:
        try:
            run = find_run(ctx.runs_dir, key)
            label = run_label(run)
            records[label] = read_evaluation(run)
            metrics[label] = flatten_metrics(run.metrics)
        except SpacekitError as exc:
            errors.append(f"{key}: {exc}")
    return records, metrics, errors


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
    for key in keys or []:
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
                                    f"{path.name} is not a readable PNG ({len(raw)} bytes); re-save it.",
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
        kept = [m for m in (current or []) if m in columns]
        return columns, kept or _default_metrics(columns)

    @app.callback(
        Output("eval-metrics-bar", "figure"),
        Input("eval-runs", "value"),
        Input("eval-metrics", "value"),
    )
    def _bars(keys, chosen):
        _, metrics, _ = _load(ctx, keys)
        table = pd.DataFrame.from_dict(metrics, orient="index")
        return figures.metrics_bar_figure(table, chosen or [])

    @app.callback(
        Output("eval-table", "children"),
        Output("eval-history", "figure"),
        Output("eval-roc", "figure"),
        Output("eval-pr", "figure"),
        Output("eval-confusion", "figure"),
        Output("eval-residuals", "figure"),
        Output("eval-saved-figures", "children"),
        Output("eval-error", "children"),
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
        for make in (
            figures.history_figure,
            figures.roc_figure,
            figures.pr_figure,
            figures.confusion_figure,
            figures.residuals_figure,
        ):
            try:
                outputs.append(make(records))
            except SpacekitError as exc:
                errors.append(str(exc))
                outputs.append(figures.empty_figure(str(exc)))
        outputs.append(saved_figures(ctx, keys))
        outputs.append("; ".join(errors))
        return tuple(outputs)

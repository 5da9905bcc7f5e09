"""``/``: an overview of the run folders."""

from __future__ import annotations

from typing import Any

from ..data import runs_folder_hint, summarize_runs
from ._common import data_table


def layout(ctx: Any, query: dict | None = None) -> Any:
    from dash import dcc, html

    table = summarize_runs(ctx.runs_dir)
    intro = html.P(
        [
            f"Runs folder: {ctx.runs_dir} · {len(table)} run(s). ",
            "Run folders are written by computer.compute(...).save(), the skopes and "
            "`spacekit demo`.",
        ],
        className="muted",
    )
    if table.empty:
        hint = runs_folder_hint(ctx.runs_dir)
        body = html.Div(
            [
                html.P(
                    "No run folders yet." if hint is None else f"No run folders here: {hint}.",
                    id="runs-empty",
                ),
                html.P(
                    "Train something (for example `spacekit demo`) or start the dashboard "
                    "with --runs pointing at a folder of runs "
                    "(<runs>/<app>/<run folder>/run.json).",
                    className="muted",
                ),
            ],
            className="card",
        )
    else:
        counts = table.groupby("app").size().rename("runs").reset_index()
        columns = ["app", "run", "created", "has_model", "has_evaluation"]
        if table["problem"].astype(bool).any():  # a damaged run.json/metrics.json: say so
            columns.append("problem")
        shown = table[columns]
        body = html.Div(
            [
                html.Div(
                    [html.H3("Runs per app"), data_table(counts, table_id="runs-per-app")],
                    className="card",
                ),
                html.Div(
                    [
                        html.H3("All runs"),
                        data_table(shown, table_id="runs-table"),
                        html.P(dcc.Link("Compare them on the Evaluate page", href="/evaluate")),
                    ],
                    className="card",
                ),
            ]
        )
    return html.Div([html.H2("Runs"), intro, body], id="home-page")


def register(app: Any, ctx: Any) -> None:
    """The overview has no callbacks."""

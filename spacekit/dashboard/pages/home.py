"""``/``: an overview of the run folders."""

from __future__ import annotations

from pathlib import Path
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
        links = {"run": [run_link(ctx, row) for row in table.to_dict("records")]}
        body = html.Div(
            [
                html.Div(
                    [html.H3("Runs per app"), data_table(counts, table_id="runs-per-app")],
                    className="card",
                ),
                html.Div(
                    [
                        html.H3("All runs"),
                        data_table(shown, table_id="runs-table", links=links),
                        html.P(dcc.Link("Compare them on the Evaluate page", href="/evaluate")),
                    ],
                    className="card",
                ),
            ]
        )
    return html.Div([html.H2("Runs"), intro, body], id="home-page")


def run_link(ctx: Any, row: dict) -> str | None:
    """Where a run's name links: Evaluate with the run selected when it has metrics or an
    evaluation, else Explore on its predictions, else nowhere."""
    from urllib.parse import quote

    key = quote(str(row["id"]), safe="/")
    skip = {"has_model", "has_evaluation"}
    has_metrics = any(
        isinstance(v, (int, float)) and not isinstance(v, bool) and v == v
        for k, v in row.items()
        if k not in skip
    )
    if row["has_evaluation"] or has_metrics:
        return f"/evaluate?run={key}"
    if (Path(ctx.runs_dir) / str(row["id"]) / "predictions.csv").is_file():
        return f"/explore?dataset=run:{key}"
    return None


def register(app: Any, ctx: Any) -> None:
    """The overview has no callbacks."""

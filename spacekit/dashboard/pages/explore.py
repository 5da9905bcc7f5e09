"""``/explore``: interactive plots of a table (scatter, box, histogram, and upstream's kde,
3d scatter and grouped bars) coloured by instrument, detector or category; the HST
calibration and SVM tables are built in."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ...exceptions import DataNotFoundError, FormatError, InputError, SpacekitError
from ...utils.runs import list_runs
from .. import figures
from ..data import EXAMPLE_TABLES, find_run, load_example_table, run_id, run_label
from ._common import data_table, graph, labelled

#: Per table: default kind, x, y, colour and log axes.
DEFAULTS: dict[str, dict[str, Any]] = {
    "hst_cal_2021_05_11": {
        "kind": "scatter",
        "x": "total_mb",
        "y": "memory",
        "color": "instrument",
        "log": ["x", "y"],
    },
    "hst_cal_categorized_subset_2021_08": {
        "kind": "box",
        "x": "target_category",
        "y": "memory",
        "color": "instrument",
        "log": ["y"],
    },
    "svm_labeled_2021_07_28": {
        "kind": "box",
        "x": "detector",
        "y": "rms_ra",
        "color": "alignment",
        "log": ["y"],
    },
}
_HIDDEN = {"x_files", "x_size"}


_RUN_PREFIX = "run:"


def table(ctx: Any, name: str):
    """The example table ``name``, or ``run:<app>/<run>``'s predictions.csv (loaded once)."""
    if not isinstance(name, str):
        raise InputError(
            f"the dataset should be one of the listed names, got a {type(name).__name__}; "
            "pick a dataset from the list"
        )
    if name.startswith(_RUN_PREFIX):
        run = find_run(ctx.runs_dir, name[len(_RUN_PREFIX) :])
        path = run.predictions_path
        if not path.is_file():
            raise DataNotFoundError(f"run {run.path} has no predictions.csv")
        stamp = path.stat().st_mtime_ns
        # one copy per run: a rewritten predictions.csv replaces the one read before
        return ctx.cached(
            f"table:{name}:{stamp}", lambda: _read_predictions(path), replaces=f"table:{name}:"
        )
    return ctx.cached(f"table:{name}", lambda: load_example_table(name))


def _read_predictions(path) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except (ValueError, UnicodeDecodeError) as exc:  # pandas' ParserError is a ValueError
        raise FormatError(f"{path} is not a readable csv table: {exc}") from None


def table_options(ctx: Any) -> list[dict[str, str]]:
    """Built-in tables, then the predictions.csv of every run that has one."""
    options = [{"label": f"{k} — {v}", "value": k} for k, v in EXAMPLE_TABLES.items()]
    for run in list_runs(ctx.runs_dir)[::-1]:
        if run.predictions_path.is_file():
            options.append(
                {
                    "label": f"predictions of {run_label(run)}",
                    "value": _RUN_PREFIX + run_id(run, ctx.runs_dir),
                }
            )
    return options


def layout(ctx: Any, query: dict | None = None) -> Any:
    from dash import dcc, html

    options = table_options(ctx)
    first = next(iter(EXAMPLE_TABLES))
    asked = (query or {}).get("dataset", [])
    chosen = asked[0] if asked and asked[0] in [o["value"] for o in options] else first
    controls = html.Div(
        [
            labelled(
                "Dataset",
                dcc.Dropdown(
                    id="explore-dataset",
                    value=chosen,
                    clearable=False,
                    style={"minWidth": "300px"},
                    options=options,
                ),
            ),
            labelled(
                "Plot",
                dcc.RadioItems(
                    id="explore-kind",
                    value=DEFAULTS[first]["kind"],
                    inline=True,
                    options=["scatter", "box", "histogram", *UPSTREAM_KINDS],
                ),
            ),
            labelled("x", dcc.Dropdown(id="explore-x", clearable=False)),
            labelled("y", dcc.Dropdown(id="explore-y")),
            labelled("colour by", dcc.Dropdown(id="explore-color")),
            labelled("z (3d scatter)", dcc.Dropdown(id="explore-z")),
            labelled(
                "log axes",
                dcc.Checklist(
                    id="explore-log", options=["x", "y"], value=DEFAULTS[first]["log"], inline=True
                ),
            ),
        ],
        className="controls card",
    )
    return html.Div(
        [
            html.H2("Explore"),
            controls,
            html.Div(id="explore-error", className="error"),
            html.Div(graph("explore-graph"), className="card"),
            html.Div(
                [html.H3("Summary"), dcc.Loading(html.Div(id="explore-summary"))], className="card"
            ),
        ],
        id="explore-page",
    )


def register(app: Any, ctx: Any) -> None:
    from dash import Input, Output, no_update

    @app.callback(
        Output("explore-x", "options"),
        Output("explore-x", "value"),
        Output("explore-y", "options"),
        Output("explore-y", "value"),
        Output("explore-color", "options"),
        Output("explore-color", "value"),
        Output("explore-kind", "value"),
        Output("explore-log", "value"),
        Output("explore-summary", "children"),
        Output("explore-error", "children"),
        Input("explore-dataset", "value"),
    )
    def _columns(name):
        try:
            frame = table(ctx, name)
        except SpacekitError as exc:
            return (
                [],
                None,
                [],
                None,
                [],
                None,
                no_update,
                no_update,
                "",
                f"cannot load {name}: {exc}",
            )
        columns = [c for c in frame.columns if c not in _HIDDEN]
        numeric = [c for c in columns if frame[c].dtype.kind in "fiu"]
        categorical = [c for c in columns if frame[c].nunique() <= 12]
        d = DEFAULTS.get(name, {})
        if not numeric:
            return (
                [],
                None,
                [],
                None,
                [],
                None,
                no_update,
                no_update,
                "",
                f"{name} has no numeric column to plot",
            )
        x = d.get("x") if d.get("x") in columns else numeric[0]
        y = d.get("y") if d.get("y") in columns else (numeric[1:2] or [None])[0]
        color = d.get("color") if d.get("color") in columns else None
        if color is None and "y_true" in categorical:
            color = "y_true"
        summary = frame[numeric].describe().T.reset_index(names="column")
        summary_view = [
            html_p(f"{len(frame):,} rows × {len(frame.columns)} columns"),
            data_table(summary, table_id="explore-summary-table"),
        ]
        return (
            columns,
            x,
            numeric,
            y,
            categorical,
            color,
            d.get("kind", "scatter"),
            d.get("log", []),
            summary_view,
            "",
        )

    @app.callback(
        Output("explore-graph", "figure"),
        Input("explore-dataset", "value"),
        Input("explore-kind", "value"),
        Input("explore-x", "value"),
        Input("explore-y", "value"),
        Input("explore-color", "value"),
        Input("explore-log", "value"),
        Input("explore-z", "value"),
    )
    def _plot(name, kind, x, y, color, logs, z=None):
        if not x:
            return figures.empty_figure("pick an x column")
        if not all(v is None or isinstance(v, str) for v in (x, y, color, kind)):
            return figures.empty_figure("pick the columns from the lists")
        logs = [v for v in logs if isinstance(v, str)] if isinstance(logs, list) else []
        try:
            frame = table(ctx, name)
            if kind in UPSTREAM_KINDS:
                return upstream_figure(frame, kind, x, y, z, color, "x" in (logs or []), name)
            if kind == "box":
                # Boxes group a numeric y by a categorical x.
                if y is None:
                    return figures.empty_figure("a box plot needs a numeric y column")
            return figures.explore_figure(
                frame,
                kind,
                x,
                y if kind != "histogram" else None,
                color,
                log_x="x" in (logs or []) and kind != "box",
                log_y="y" in (logs or []),
                title=f"{name}: {kind} of {x}" + (f" vs {y}" if y and kind != "histogram" else ""),
            )
        except SpacekitError as exc:
            return figures.empty_figure(str(exc))

    register_upstream(app, ctx)


def html_p(text: str) -> Any:
    from dash import html

    return html.P(text, className="muted")


# -- upstream's DataPlots kinds (spacekit.analyzer.explore) ----------------------------------
#: Plot kinds drawn by :mod:`spacekit.analyzer.explore`: a density estimate of x (one curve
#: per colour), a 3D scatter of x, y and z, and bars per x value (row counts, or the mean of
#: y) side by side per colour.
UPSTREAM_KINDS = ("kde", "3d scatter", "grouped bars")


def upstream_figure(frame, kind, x, y, z, color, log_x, name) -> Any:
    """The figure of one of :data:`UPSTREAM_KINDS` (plotly), or a message saying what is
    missing."""
    from ...analyzer import plot_grouped_bars, plot_kde, plot_scatter3d

    if frame[x].dtype.kind not in "fiu" and kind != "grouped bars":
        return figures.empty_figure(f"a {kind} plot needs a numeric x column")
    if kind == "kde":
        fig = plot_kde(frame, x, by=color, log=log_x, backend="plotly", title=f"{name}: density")
    elif kind == "3d scatter":
        if not (y and z):
            return figures.empty_figure("a 3d scatter needs numeric y and z columns; pick them")
        fig = plot_scatter3d(frame, x, y, z, color=color, title=f"{name}: {x}, {y}, {z}")
    else:
        fig = plot_grouped_bars(frame, x, color=color, y=y, backend="plotly", title=name)
    fig.update_layout(template="plotly_white", height=520)
    return fig


def register_upstream(app: Any, ctx: Any) -> None:
    """Fill the z column list (numeric columns; the third one by default)."""
    from dash import Input, Output

    @app.callback(
        Output("explore-z", "options"),
        Output("explore-z", "value"),
        Input("explore-dataset", "value"),
    )
    def _z_columns(name):
        try:
            frame = table(ctx, name)
        except SpacekitError:
            return [], None
        numeric = [c for c in frame.columns if c not in _HIDDEN and frame[c].dtype.kind in "fiu"]
        return numeric, (numeric[2:3] or [None])[0]

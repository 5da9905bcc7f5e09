"""Small layout helpers shared by the pages (Dash imported inside the functions)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def format_number(value: Any, digits: int = 4) -> str:
    """A table cell's number: whole numbers in full with thousands separators (``29,191``),
    others to ``digits`` significant digits without an exponent unless very large or small.

    Examples
    --------
    >>> format_number(29191.0), format_number(0.85), format_number(1234.5678), format_number(2e-7)
    ('29,191', '0.85', '1,235', '2e-07')
    """
    import math

    v = float(value)
    if not math.isfinite(v):
        return "" if math.isnan(v) else str(v)
    if v.is_integer() and abs(v) < 1e15:
        return f"{int(v):,}"
    size = abs(v)
    if 1e-3 <= size < 1e15:
        decimals = max(0, digits - 1 - math.floor(math.log10(size)))
        text = f"{v:,.{decimals}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return f"{v:.{digits}g}"


def data_table(
    frame: pd.DataFrame,
    *,
    table_id: str | None = None,
    digits: int = 4,
    links: dict[str, list] | None = None,
) -> Any:
    """An HTML table of a DataFrame (numbers by :func:`format_number`).

    ``links``: column name -> one href per row (None for no link); those cells are links.

    The table sits in a ``table-scroll`` box: a table wider (or, with many rows, taller) than
    its card scrolls inside it instead of widening the whole page.
    """
    from dash import html

    def cell(value: Any) -> Any:
        if isinstance(value, (bool, np.bool_)):
            return html.Td("yes" if value else "no", className="text")
        if isinstance(value, (int, float, np.integer, np.floating)):
            text = "" if pd.isna(value) else format_number(value, digits)
            return html.Td(text)
        return html.Td(
            "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value),
            className="text",
        )

    from dash import dcc

    links = links or {}
    columns = list(frame.columns)

    def row_cells(i: int, row: tuple) -> list:
        cells = []
        for column, value in zip(columns, row, strict=True):
            href = links.get(column, [None] * (i + 1))[i] if column in links else None
            if href:
                cells.append(html.Td(dcc.Link(str(value), href=href), className="text"))
            else:
                cells.append(cell(value))
        return cells

    head = html.Thead(html.Tr([html.Th(str(c), className="text") for c in columns]))
    body = html.Tbody(
        [html.Tr(row_cells(i, row)) for i, row in enumerate(frame.itertuples(index=False))]
    )
    kwargs = {"id": table_id} if table_id else {}
    return html.Div(html.Table([head, body], className="data", **kwargs), className="table-scroll")


def graph(graph_id: str, figure: Any = None, **kwargs: Any) -> Any:
    """A ``dcc.Graph`` inside a loading spinner."""
    from dash import dcc

    props = {"id": graph_id, "config": {"displaylogo": False}, **kwargs}
    if figure is not None:
        props["figure"] = figure
    return dcc.Loading(dcc.Graph(**props), type="circle")


def labelled(label: str, component: Any) -> Any:
    """A control with its label above it."""
    from dash import html

    return html.Div([html.Label(label), component])


def job_progress(prefix: str) -> list:
    """Components that show a background job's progress: a store, a poll timer, a bar."""
    from dash import dcc, html

    return [
        dcc.Store(id=f"{prefix}-job"),
        dcc.Interval(id=f"{prefix}-poll", interval=400, disabled=True),
        html.Div(
            [
                html.Progress(id=f"{prefix}-bar", value="0", max="1"),
                html.Span(id=f"{prefix}-status", className="muted", style={"marginLeft": "0.6rem"}),
            ],
            id=f"{prefix}-progress",
            style={"display": "none"},
        ),
    ]


def progress_view(snap: dict) -> tuple[dict, str, str]:
    """(style, bar value, status text) for a job status snapshot."""
    style = {"display": "block"}
    text = f"{snap['message']} · {snap['progress']:.0%} · {snap['elapsed']:.1f} s"
    if snap["state"] == "failed":
        text = f"failed after {snap['elapsed']:.1f} s: {snap['error']}"
    elif snap["state"] == "done":
        text = f"done in {snap['elapsed']:.1f} s"
    return style, f"{snap['progress']:.3f}", text

"""Plotly figures of the dashboard, built from run records and tables.

Each function takes plain data (evaluation records, DataFrames, arrays) and returns a
``plotly.graph_objects.Figure``; plotly is imported inside the functions.

Examples
--------
>>> fig = roc_figure({"run a": {"roc": {"fpr": [0, 0.2, 1], "tpr": [0, 0.8, 1], "auc": 0.8}}})
>>> fig.data[0].name
'run a (AUC 0.800)'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import FormatError, InputError

__all__ = [
    "empty_figure",
    "metrics_bar_figure",
    "history_figure",
    "roc_figure",
    "pr_figure",
    "confusion_figure",
    "residuals_figure",
    "explore_figure",
    "EXPLORE_MAX_ROWS",
    "class_probability_figure",
    "image_triplet_figure",
    "lightcurve_figure",
]

_TEMPLATE = "plotly_white"

#: Most rows :func:`explore_figure` sends to the browser; a larger table is plotted as a
#: seeded random sample of this many rows, and the title says so (a million-row
#: predictions.csv made a 16 MB figure per interaction).
EXPLORE_MAX_ROWS = 100_000


def _go():
    from ..utils.deps import optional_import

    return optional_import("plotly.graph_objects", "the spacekit dashboard figures")


def empty_figure(message: str) -> Any:
    """A blank figure carrying ``message`` in its middle.

    Examples
    --------
    >>> empty_figure("no runs").layout.annotations[0].text
    'no runs'
    """
    go = _go()
    fig = go.Figure()
    fig.update_layout(
        template=_TEMPLATE,
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[
            {
                "text": message,
                "showarrow": False,
                "font": {"size": 15},
                "x": 0.5,
                "y": 0.5,
                "xref": "paper",
                "yref": "paper",
            }
        ],
        height=300,
    )
    return fig


def metrics_bar_figure(table: pd.DataFrame, metrics: Sequence[str]) -> Any:
    """Bars of the chosen metrics, one small panel per metric, one bar per run.

    ``table`` is indexed by run label. Each metric gets its own panel and y axis, so metrics
    of different scales (an RMSE in GB next to one in seconds, an accuracy next to a loss)
    stay readable; a run keeps its colour in every panel and appears once in the legend.

    Examples
    --------
    >>> t = pd.DataFrame({"accuracy": [0.9, 0.8]}, index=["a", "b"])
    >>> [bar.name for bar in metrics_bar_figure(t, ["accuracy"]).data]
    ['a', 'b']
    """
    go = _go()
    from plotly.colors import qualitative
    from plotly.subplots import make_subplots

    metrics = [m for m in metrics if m in table.columns]
    if table.empty or not metrics:
        return empty_figure("no numeric metrics in the selected runs")
    ncols = min(len(metrics), 2)
    nrows = -(-len(metrics) // ncols)
    titles = [_wrap_dotted(m, 30) for m in metrics]
    fig = make_subplots(
        rows=nrows,
        cols=ncols,
        subplot_titles=titles,
        horizontal_spacing=0.12,
        vertical_spacing=0.5 / nrows,
    )
    palette = qualitative.Plotly
    for i, (label, row) in enumerate(table[metrics].iterrows()):
        for j, metric in enumerate(metrics):
            fig.add_trace(
                go.Bar(
                    name=str(label),
                    x=[str(label)],
                    y=[float(row[metric])],
                    marker_color=palette[i % len(palette)],
                    legendgroup=str(label),
                    showlegend=j == 0,
                    hovertemplate=f"{metric}<br>%{{x}}: %{{y:.4g}}<extra></extra>",
                ),
                row=j // ncols + 1,
                col=j % ncols + 1,
            )
    fig.update_xaxes(showticklabels=False)
    fig.update_annotations(font_size=11)
    fig.update_layout(
        template=_TEMPLATE,
        title="Metrics",
        height=120 + 220 * nrows,
        legend={"orientation": "h", "y": -0.05, "yanchor": "top"},
        margin={"t": 80, "b": 40},
    )
    return fig


def _wrap_dotted(name: str, width: int) -> str:
    """Break a dotted metric name into lines of about ``width`` characters (at the dots)."""
    lines, line = [], ""
    for part in name.split("."):
        piece = f"{line}.{part}" if line else part
        if line and len(piece) > width:
            lines.append(line + ".")
            line = part
        else:
            line = piece
    return "<br>".join(lines + [line])


def history_figure(records: Mapping[str, Mapping]) -> Any:
    """Training history of each run overlaid: one line per (run, metric); ``val_`` dashed.

    Examples
    --------
    >>> fig = history_figure({"a": {"history": {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]}}})
    >>> [t.name for t in fig.data]
    ['a: loss', 'a: val_loss']
    """
    go = _go()
    fig = go.Figure()
    for label, record in records.items():
        for metric, values in (record.get("history") or {}).items():
            y = _numbers(values)
            if y.size == 0:
                continue
            fig.add_trace(
                go.Scatter(
                    x=np.arange(1, y.size + 1),
                    y=y,
                    mode="lines+markers",
                    name=f"{label}: {metric}",
                    line={"dash": "dash" if metric.startswith("val_") else "solid"},
                )
            )
    if not fig.data:
        return empty_figure("no training history in the selected runs")
    fig.update_layout(
        template=_TEMPLATE,
        title="Training history",
        xaxis_title="epoch",
        yaxis_title="value",
        height=400,
    )
    return fig


def _numbers(values: Any) -> np.ndarray:
    try:
        return np.asarray([np.nan if v is None else v for v in np.ravel(values)], dtype=float)
    except (TypeError, ValueError):
        raise FormatError(
            f"an evaluation record holds {str(values)[:60]!r} where a list of numbers was "
            "expected; re-create evaluation.json with computer.compute(...).save()"
        ) from None


def _curves(block: Any, xkey: str, ykey: str, score: str) -> list[tuple[str, list, list, Any]]:
    """Normalise a roc/pr block into ``[(suffix, x, y, score)]`` (binary or per class)."""
    if not isinstance(block, Mapping):
        return []
    if xkey in block and ykey in block:
        x, y = block[xkey], block[ykey]
        if len(x) and isinstance(x[0], (list, tuple)):  # one curve per class
            scores = block.get(score)
            scores = scores if isinstance(scores, (list, tuple)) else [scores] * len(x)
            labels = block.get("labels") or list(range(len(x)))
            return [
                (f" [{lab}]", xi, yi, s)
                for lab, xi, yi, s in zip(labels, x, y, scores, strict=False)
            ]
        average = block.get("average")
        return [(f" [{average}-average]" if average else "", x, y, block.get(score))]
    out = []
    for cls, sub in block.items():  # {"class": {"fpr": ..., "tpr": ...}}
        if isinstance(sub, Mapping) and xkey in sub and ykey in sub:
            out.append((f" [{cls}]", sub[xkey], sub[ykey], sub.get(score)))
    return out


def roc_figure(records: Mapping[str, Mapping]) -> Any:
    """ROC curves of each run overlaid, with the chance diagonal.

    Examples
    --------
    >>> roc_figure({"a": {}}).layout.annotations[0].text
    'no ROC curves in the selected runs'
    """
    go = _go()
    fig = go.Figure()
    for label, record in records.items():
        for suffix, x, y, auc in _curves(record.get("roc"), "fpr", "tpr", "auc"):
            name = f"{label}{suffix}" + (f" (AUC {auc:.3f})" if _is_num(auc) else "")
            xs, ys = _curve_xy(label, "ROC", x, y)
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name=name))
    if not fig.data:
        return empty_figure("no ROC curves in the selected runs")
    fig.add_trace(
        go.Scatter(
            x=[0, 1], y=[0, 1], mode="lines", name="chance", line={"dash": "dot", "color": "gray"}
        )
    )
    fig.update_layout(
        template=_TEMPLATE,
        title="ROC",
        xaxis_title="false positive rate",
        yaxis_title="true positive rate",
        height=400,
    )
    return fig


def pr_figure(records: Mapping[str, Mapping]) -> Any:
    """Precision-recall curves of each run overlaid.

    Examples
    --------
    >>> rec = {"a": {"pr": {"precision": [1, 0.5], "recall": [0, 1], "ap": 0.7}}}
    >>> pr_figure(rec).data[0].name
    'a (AP 0.700)'
    """
    go = _go()
    fig = go.Figure()
    for label, record in records.items():
        for suffix, x, y, ap in _curves(record.get("pr"), "recall", "precision", "ap"):
            name = f"{label}{suffix}" + (f" (AP {ap:.3f})" if _is_num(ap) else "")
            xs, ys = _curve_xy(label, "precision-recall", x, y)
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name=name))
    if not fig.data:
        return empty_figure("no precision-recall curves in the selected runs")
    fig.update_layout(
        template=_TEMPLATE,
        title="Precision-recall",
        xaxis_title="recall",
        yaxis_title="precision",
        height=400,
    )
    return fig


def _curve_xy(label: str, what: str, x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """The numbers of one curve, refusing an x and y of different lengths."""
    xs, ys = _numbers(x), _numbers(y)
    if len(xs) != len(ys):
        raise FormatError(
            f"run {label}: the {what} curve has {len(xs)} x values but {len(ys)} y values; "
            "expected one point per pair; re-create evaluation.json with "
            "computer.compute(...).save()"
        )
    return xs, ys


def _is_num(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value)


def confusion_figure(records: Mapping[str, Mapping]) -> Any:
    """Confusion matrices of the runs side by side (one heatmap each, counts annotated).

    Examples
    --------
    >>> rec = {"a": {"confusion": {"labels": [0, 1], "matrix": [[5, 1], [2, 7]]}}}
    >>> confusion_figure(rec).data[0].z.tolist()
    [[5, 1], [2, 7]]
    """
    go = _go()
    from plotly.subplots import make_subplots

    items = [
        (k, r["confusion"])
        for k, r in records.items()
        if isinstance(r.get("confusion"), Mapping) and "matrix" in r["confusion"]
    ]
    if not items:
        return empty_figure("no confusion matrices in the selected runs")
    fig = make_subplots(
        rows=1, cols=len(items), subplot_titles=[k for k, _ in items], horizontal_spacing=0.08
    )
    for i, (label, block) in enumerate(items, start=1):
        try:
            matrix = np.asarray(block["matrix"])
        except (TypeError, ValueError):  # ragged rows
            matrix = np.zeros((0, 1))
        if (
            matrix.ndim != 2
            or matrix.shape[0] != matrix.shape[1]
            or matrix.size == 0
            or matrix.dtype.kind not in "iuf"
        ):
            raise FormatError(
                f"run {label}: the confusion matrix should be a square list of lists of "
                f"counts, found {str(block['matrix'])[:80]}; re-create evaluation.json with "
                "computer.compute(...).save()"
            )
        labels = [str(v) for v in (block.get("labels") or range(matrix.shape[0]))]
        if len(labels) != matrix.shape[0]:
            raise FormatError(
                f"run {label}: the confusion matrix is {matrix.shape[0]}x{matrix.shape[1]} but "
                f"has {len(labels)} labels ({', '.join(labels)[:80]}); expected one label per "
                "row; re-create evaluation.json with computer.compute(...).save()"
            )
        text = [[f"{v:.3g}" for v in row] for row in matrix]
        fig.add_trace(
            go.Heatmap(
                z=matrix,
                x=labels,
                y=labels,
                colorscale="Blues",
                showscale=False,
                text=text,
                texttemplate="%{text}",
                hovertemplate="true %{y}<br>predicted %{x}<br>%{z}<extra></extra>",
            ),
            row=1,
            col=i,
        )
        fig.update_xaxes(title_text="predicted", type="category", row=1, col=i)
        fig.update_yaxes(title_text="true", type="category", autorange="reversed", row=1, col=i)
    fig.update_layout(template=_TEMPLATE, title="Confusion matrices", height=420)
    return fig


def residuals_figure(records: Mapping[str, Mapping]) -> Any:
    """Regression runs: predicted against true values (left) and residuals (right).

    Examples
    --------
    >>> rec = {"a": {"residuals": {"y_true": [1, 2, 3], "y_pred": [1.1, 1.9, 3.2]}}}
    >>> len(residuals_figure(rec).data)
    3
    """
    go = _go()
    from plotly.subplots import make_subplots

    items = [
        (k, r["residuals"])
        for k, r in records.items()
        if isinstance(r.get("residuals"), Mapping) and "y_true" in r["residuals"]
    ]
    if not items:
        return empty_figure("no regression residuals in the selected runs")
    fig = make_subplots(rows=1, cols=2, subplot_titles=["predicted vs true", "residuals"])
    lo, hi = np.inf, -np.inf
    palette = ["#3465a4", "#cc0000", "#4e9a06", "#f57900", "#75507b", "#c4a000", "#06989a"]
    for n, (label, block) in enumerate(items):
        color = palette[n % len(palette)]
        y_true, y_pred = _numbers(block["y_true"]), _numbers(block["y_pred"])
        if y_true.shape != y_pred.shape:
            raise InputError(
                f"run {label}: residuals y_true has {y_true.size} values but y_pred has "
                f"{y_pred.size}; they must pair up"
            )
        lo, hi = min(lo, np.nanmin(y_true)), max(hi, np.nanmax(y_true))
        fig.add_trace(
            go.Scattergl(
                x=y_true,
                y=y_pred,
                mode="markers",
                name=label,
                marker={"size": 4, "opacity": 0.6, "color": color},
                legendgroup=label,
            ),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Scattergl(
                x=y_pred,
                y=y_pred - y_true,
                mode="markers",
                name=label,
                marker={"size": 4, "opacity": 0.6, "color": color},
                legendgroup=label,
                showlegend=False,
            ),
            row=1,
            col=2,
        )
    fig.add_trace(
        go.Scatter(
            x=[lo, hi],
            y=[lo, hi],
            mode="lines",
            name="y = x",
            line={"dash": "dot", "color": "gray"},
        ),
        row=1,
        col=1,
    )
    fig.update_xaxes(title_text="true", row=1, col=1)
    fig.update_yaxes(title_text="predicted", row=1, col=1)
    fig.update_xaxes(title_text="predicted", row=1, col=2)
    fig.update_yaxes(title_text="predicted - true", row=1, col=2)
    fig.update_layout(template=_TEMPLATE, title="Regression residuals", height=420)
    return fig


def explore_figure(
    frame: pd.DataFrame,
    kind: str,
    x: str,
    y: str | None = None,
    color: str | None = None,
    *,
    log_x: bool = False,
    log_y: bool = False,
    title: str = "",
) -> Any:
    """An exploratory plot of a table: ``kind`` is "scatter", "box" or "histogram".

    A table of more than :data:`EXPLORE_MAX_ROWS` rows is plotted as a random sample of
    that many rows (seeded, so the same each time), noted in the title.

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1, 2, 3], "b": [2, 4, 5], "c": ["x", "y", "x"]})
    >>> explore_figure(df, "scatter", "a", "b", color="c").data[0].type
    'scattergl'
    """
    from ..utils.deps import optional_import

    px = optional_import("plotly.express", "the spacekit dashboard figures")
    for col in (x, y, color):
        if col is not None and col not in frame.columns:
            raise InputError(
                f"column {col!r} is not in the table; available: {list(frame.columns)}"
            )
    if kind not in ("scatter", "box", "histogram"):
        raise InputError(f"plot kind must be 'scatter', 'box' or 'histogram', got {kind!r}")
    if len(frame) > EXPLORE_MAX_ROWS:
        note = f"random {EXPLORE_MAX_ROWS:,} of {len(frame):,} rows"
        frame = frame.sample(EXPLORE_MAX_ROWS, random_state=0).sort_index()
        title = f"{title} ({note})" if title else note
    common = {"color": color, "title": title, "template": _TEMPLATE}
    if kind == "scatter":
        if y is None:
            raise InputError("a scatter plot needs a y column; pick one")
        fig = px.scatter(
            frame, x=x, y=y, log_x=log_x, log_y=log_y, render_mode="webgl", opacity=0.6, **common
        )
    elif kind == "box":
        fig = px.box(frame, x=x, y=y, log_y=log_y, **common)
    elif kind == "histogram":
        fig = px.histogram(
            frame, x=x, log_x=log_x, log_y=log_y, barmode="overlay", opacity=0.7, **common
        )
    else:
        raise InputError(f"plot kind must be 'scatter', 'box' or 'histogram', got {kind!r}")
    fig.update_layout(height=520)
    return fig


def class_probability_figure(
    probabilities: Sequence[float], labels: Sequence[str], *, highlight: int | None = None
) -> Any:
    """Bars of class probabilities (e.g. the four HST memory bins).

    ``highlight``: the index of a bar drawn in a second colour and marked "submitted" (the
    bin a prediction submits, which may differ from the most likely one).

    Examples
    --------
    >>> class_probability_figure([0.1, 0.9], ["bin 0", "bin 1"]).data[0].y.tolist()
    [0.1, 0.9]
    """
    go = _go()
    p = _numbers(probabilities)
    if p.size != len(labels):
        raise InputError(f"got {p.size} probabilities for {len(labels)} labels")
    colors = ["#3465a4"] * p.size
    text = [f"{v:.1%}" for v in p]
    if highlight is not None and 0 <= highlight < p.size:
        colors[highlight] = "#f57900"
        text[highlight] += " · submitted"
    fig = go.Figure(
        go.Bar(
            x=list(labels),
            y=p,
            text=text,
            textposition="outside",
            marker_color=colors,
            hovertemplate="%{x}<br>probability %{y:.1%}<extra></extra>",
        )
    )
    fig.update_layout(
        template=_TEMPLATE,
        title="Memory bin probabilities (orange: the bin submitted)"
        if highlight is not None
        else "Memory bin probabilities",
        yaxis={"range": [0, 1.1], "title": "probability"},
        height=340,
    )
    return fig


def image_triplet_figure(frames: np.ndarray, titles: Sequence[str]) -> Any:
    """Three RGB frames side by side (uint8 array of shape (3, h, w, 3)).

    Examples
    --------
    >>> fig = image_triplet_figure(np.zeros((3, 4, 4, 3), np.uint8), ["a", "b", "c"])
    >>> len(fig.data)
    3
    """
    go = _go()
    from plotly.subplots import make_subplots

    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] not in (3, 4):
        raise InputError(f"expected frames of shape (n, h, w, 3), found {frames.shape}")
    fig = make_subplots(
        rows=1, cols=len(frames), subplot_titles=list(titles), horizontal_spacing=0.02
    )
    for i, frame in enumerate(frames, start=1):
        fig.add_trace(go.Image(z=frame), row=1, col=i)
        fig.update_xaxes(visible=False, row=1, col=i)
        fig.update_yaxes(visible=False, row=1, col=i)
    fig.update_layout(template=_TEMPLATE, height=360, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return fig


def lightcurve_figure(time: Any, flux: Any, *, title: str, trend: Any = None) -> Any:
    """A light curve (scattergl points), optionally with its trend line overlaid.

    Examples
    --------
    >>> lightcurve_figure([0, 1, 2], [1, 0.99, 1], title="raw").data[0].name
    'flux'
    """
    go = _go()
    t, f = _numbers(time), _numbers(flux)
    fig = go.Figure(
        go.Scattergl(x=t, y=f, mode="markers", name="flux", marker={"size": 3, "color": "#204a87"})
    )
    if trend is not None:
        fig.add_trace(
            go.Scatter(
                x=t, y=_numbers(trend), mode="lines", name="trend", line={"color": "#cc0000"}
            )
        )
    fig.update_layout(
        template=_TEMPLATE, title=title, xaxis_title="time (days)", yaxis_title="flux", height=340
    )
    return fig

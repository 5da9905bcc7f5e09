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
from ..utils.plotting import dotted_line, plotly_axis_titles, plotly_modules, plotly_points

__all__ = [
    "empty_figure",
    "is_empty",
    "run_colors",
    "RUN_PALETTE",
    "metrics_bar_figure",
    "history_figure",
    "roc_figure",
    "pr_figure",
    "confusion_figure",
    "residuals_figure",
    "explore_figure",
    "axis_title",
    "format_count",
    "COLUMN_UNITS",
    "EXPLORE_MAX_ROWS",
    "class_probability_figure",
    "image_triplet_figure",
    "lightcurve_figure",
]

_TEMPLATE = "plotly_white"

#: Colours given to runs, in order (one per run, the same in every Evaluate chart).
RUN_PALETTE = (
    "#3465a4",
    "#cc0000",
    "#4e9a06",
    "#f57900",
    "#75507b",
    "#c4a000",
    "#06989a",
    "#8f5902",
    "#ad7fa8",
    "#555753",
)
#: Dash styles of the curves within one run (classes, metrics), its colour kept.
_DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
#: Plot margins of charts whose legend sits under them (no room kept at the right).
_MARGIN = {"l": 60, "r": 20, "t": 60, "b": 50}
#: Legend under the plot: long run names take rows below it, not width beside it.
_LEGEND_BELOW = {"orientation": "h", "yanchor": "top", "y": -0.2, "xanchor": "left", "x": 0}

#: Most rows :func:`explore_figure` sends to the browser; a larger table is plotted as a
#: seeded random sample of this many rows, and the title says so (a million-row
#: predictions.csv made a 16 MB figure per interaction).
EXPLORE_MAX_ROWS = 100_000


_WHAT = "the spacekit dashboard figures"


def _go():
    """plotly.graph_objects, through the one plotting backend (:mod:`spacekit.utils.plotting`)."""
    return plotly_modules(_WHAT)[0]


def _make_subplots(**kwargs: Any) -> Any:
    return plotly_modules(_WHAT)[1](**kwargs)


def empty_figure(message: str) -> Any:
    """A blank figure carrying ``message`` in its middle.

    Parameters
    ----------
    message : str
        The text shown.

    Returns
    -------
    plotly.graph_objects.Figure
        No traces; ``message`` as an annotation.

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


def is_empty(fig: Any) -> bool:
    """Whether a figure has nothing plotted (an :func:`empty_figure` or no traces).

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        The figure.

    Returns
    -------
    bool
        True when it has no traces.

    Examples
    --------
    >>> is_empty(empty_figure("none"))
    True
    """
    return len(fig.data) == 0


def run_colors(labels: Sequence[str]) -> dict[str, str]:
    """One colour per run label, in order: pass the result to every figure of a page so a
    run has the same colour in each.

    Parameters
    ----------
    labels : sequence of str
        The run labels, in order.

    Returns
    -------
    dict
        Label → colour (hex, from :data:`RUN_PALETTE`, repeating after its last colour).

    Examples
    --------
    >>> run_colors(["a", "b"])
    {'a': '#3465a4', 'b': '#cc0000'}
    """
    return {str(k): RUN_PALETTE[i % len(RUN_PALETTE)] for i, k in enumerate(labels)}


def _colors(labels: Sequence[str], colors: Mapping[str, str] | None) -> dict[str, str]:
    base = run_colors(labels)
    if colors:
        base.update({k: v for k, v in colors.items() if k in base})
    return base


def _legend_height(base: int, n_items: int, per_row: int = 2) -> int:
    """Figure height leaving the plot ``base`` px and room under it for the legend rows."""
    return base + 24 * (-(-n_items // per_row))


def metrics_bar_figure(
    table: pd.DataFrame, metrics: Sequence[str], *, colors: Mapping[str, str] | None = None
) -> Any:
    """Bars of the chosen metrics, one small panel per metric, one bar per run.

    ``table`` is indexed by run label. Each metric gets its own panel and y axis, so metrics
    of different scales (an RMSE in GB next to one in seconds, an accuracy next to a loss)
    stay readable; a run keeps its colour in every panel and appears once in the legend.
    ``colors`` maps run labels to colours (:func:`run_colors`), shared with the other charts.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per run (indexed by run label), one column per metric.
    metrics : sequence of str
        The columns to plot, one panel each.
    colors : mapping, optional
        Run label → colour (:func:`run_colors`); default: :func:`run_colors` of the runs.

    Returns
    -------
    plotly.graph_objects.Figure
        One panel per metric.

    Examples
    --------
    >>> t = pd.DataFrame({"accuracy": [0.9, 0.8]}, index=["a", "b"])
    >>> [bar.name for bar in metrics_bar_figure(t, ["accuracy"]).data]
    ['a', 'b']
    """
    go = _go()
    metrics = [m for m in metrics if m in table.columns]
    if table.empty or not metrics:
        return empty_figure("no numeric metrics in the selected runs")
    ncols = min(len(metrics), 2)
    nrows = -(-len(metrics) // ncols)
    titles = [_wrap_dotted(m, 30) for m in metrics]
    fig = _make_subplots(
        rows=nrows,
        cols=ncols,
        subplot_titles=titles,
        horizontal_spacing=0.12,
        vertical_spacing=0.5 / nrows,
    )
    palette = _colors([str(k) for k in table.index], colors)
    for label, row in table[metrics].iterrows():
        for j, metric in enumerate(metrics):
            fig.add_trace(
                go.Bar(
                    name=str(label),
                    x=[str(label)],
                    y=[float(row[metric])],
                    marker_color=palette[str(label)],
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


def history_figure(
    records: Mapping[str, Mapping], *, colors: Mapping[str, str] | None = None
) -> Any:
    """Training history of each run overlaid: one line per (run, metric) in the run's colour;
    ``val_`` dashed, other metrics told apart by their marker.

    Parameters
    ----------
    records : mapping
        Run label → that run's metrics record (its ``history`` block: metric → values per epoch).
    colors : mapping, optional
        Run label → colour (:func:`run_colors`); default: :func:`run_colors` of the runs.

    Returns
    -------
    plotly.graph_objects.Figure
        An empty figure when no run has a history.

    Examples
    --------
    >>> fig = history_figure({"a": {"history": {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]}}})
    >>> [t.name for t in fig.data]
    ['a: loss', 'a: val_loss']
    """
    go = _go()
    fig = go.Figure()
    palette = _colors(list(records), colors)
    symbols = ("circle", "square", "diamond", "triangle-up", "x", "star")
    bases: list[str] = []
    for label, record in records.items():
        for metric, values in (record.get("history") or {}).items():
            y = _numbers(values)
            if y.size == 0:
                continue
            base = metric[4:] if metric.startswith("val_") else metric
            if base not in bases:
                bases.append(base)
            fig.add_trace(
                go.Scatter(
                    x=np.arange(1, y.size + 1),
                    y=y,
                    mode="lines+markers",
                    name=f"{label}: {metric}",
                    legendgroup=label,
                    line={
                        "dash": "dash" if metric.startswith("val_") else "solid",
                        "color": palette[label],
                    },
                    marker={"symbol": symbols[bases.index(base) % len(symbols)]},
                )
            )
    if not fig.data:
        return empty_figure("no training history in the selected runs")
    epochs = max(len(t.x) for t in fig.data)  # whole epochs on the axis, never 1.5
    fig.update_layout(
        template=_TEMPLATE,
        title="Training history (dashed: validation)",
        xaxis={"title": "epoch", "tick0": 1, "dtick": max(1, -(-epochs // 10))},
        yaxis_title="value",
        height=_legend_height(380, len(fig.data)),
        legend=_LEGEND_BELOW,
        margin=_MARGIN,
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


def roc_figure(records: Mapping[str, Mapping], *, colors: Mapping[str, str] | None = None) -> Any:
    """ROC curves of each run overlaid (a run's colour; its classes dashed apart), with the
    chance diagonal; the legend sits under the plot, so long run names do not narrow it.

    Parameters
    ----------
    records : mapping
        Run label → that run's metrics record (its ``roc`` block: ``fpr``, ``tpr``, ``auc``,
        or one such block per class).
    colors : mapping, optional
        Run label → colour (:func:`run_colors`); default: :func:`run_colors` of the runs.

    Returns
    -------
    plotly.graph_objects.Figure
        An empty figure when no run has a ROC curve.

    Examples
    --------
    >>> roc_figure({"a": {}}).layout.annotations[0].text
    'no ROC curves in the selected runs'
    """
    return _curves_figure(records, colors, "roc")


def pr_figure(records: Mapping[str, Mapping], *, colors: Mapping[str, str] | None = None) -> Any:
    """Precision-recall curves of each run overlaid (a run's colour; legend under the plot).

    Parameters
    ----------
    records : mapping
        Run label → that run's metrics record (its ``pr`` block: ``precision``, ``recall``,
        ``ap``, or one such block per class).
    colors : mapping, optional
        Run label → colour (:func:`run_colors`); default: :func:`run_colors` of the runs.

    Returns
    -------
    plotly.graph_objects.Figure
        An empty figure when no run has a precision-recall curve.

    Examples
    --------
    >>> rec = {"a": {"pr": {"precision": [1, 0.5], "recall": [0, 1], "ap": 0.7}}}
    >>> pr_figure(rec).data[0].name
    'a (AP 0.700)'
    """
    return _curves_figure(records, colors, "pr")


#: The curve blocks of an evaluation record: (x key, y key, score key, what, axis titles).
_CURVE_KINDS = {
    "roc": ("fpr", "tpr", "auc", "ROC", ("false positive rate", "true positive rate")),
    "pr": ("recall", "precision", "ap", "precision-recall", ("recall", "precision")),
}


def _curves_figure(
    records: Mapping[str, Mapping], colors: Mapping[str, str] | None, block: str
) -> Any:
    """Curves of one kind (ROC or PR) of every run, with the chance diagonal for ROC."""
    xkey, ykey, score, what, (xtitle, ytitle) = _CURVE_KINDS[block]
    go = _go()
    fig = go.Figure()
    palette = _colors(list(records), colors)
    for label, record in records.items():
        curves = _curves(record.get(block), xkey, ykey, score)
        for n, (suffix, x, y, value) in enumerate(curves):
            shown = f" ({score.upper()} {value:.3f})" if _is_num(value) else ""
            xs, ys = _curve_xy(label, what, x, y)
            line = {"color": palette[label], "dash": _DASHES[n % len(_DASHES)]}
            fig.add_trace(
                go.Scatter(x=xs, y=ys, mode="lines", name=label + suffix + shown, line=line)
            )
    if not fig.data:
        return empty_figure(f"no {what} curves in the selected runs")
    if block == "roc":
        fig.add_trace(dotted_line(go, [0, 1], [0, 1], name="chance"))
    fig.update_layout(
        template=_TEMPLATE,
        title=what[0].upper() + what[1:],
        xaxis_title=xtitle,
        yaxis_title=ytitle,
        height=_legend_height(400, len(fig.data), per_row=1),
        legend=_LEGEND_BELOW,
        margin=_MARGIN,
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


def _blocks(records: Mapping[str, Mapping], block: str, needs: str) -> list[tuple[str, Mapping]]:
    """``(run label, record[block])`` of the runs whose ``block`` holds ``needs``."""
    return [
        (k, r[block])
        for k, r in records.items()
        if isinstance(r.get(block), Mapping) and needs in r[block]
    ]


def _is_num(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value)


def confusion_figure(
    records: Mapping[str, Mapping], *, colors: Mapping[str, str] | None = None
) -> Any:
    """Confusion matrices of the runs side by side (one heatmap each, whole counts annotated
    with thousands separators); each title carries its run's colour.

    Parameters
    ----------
    records : mapping
        Run label → that run's metrics record (its ``confusion`` block: ``labels`` and ``matrix``).
    colors : mapping, optional
        Run label → colour (:func:`run_colors`); default: :func:`run_colors` of the runs.

    Returns
    -------
    plotly.graph_objects.Figure
        One heatmap per run; an empty figure when no run has a matrix.

    Examples
    --------
    >>> rec = {"a": {"confusion": {"labels": [0, 1], "matrix": [[5, 1], [2, 7]]}}}
    >>> confusion_figure(rec).data[0].z.tolist()
    [[5, 1], [2, 7]]
    """
    go = _go()
    items = _blocks(records, "confusion", "matrix")
    if not items:
        return empty_figure("no confusion matrices in the selected runs")
    palette = _colors(list(records), colors)
    titles = [f"<span style='color:{palette[k]}'>■</span> {k}" for k, _ in items]
    fig = _make_subplots(rows=1, cols=len(items), subplot_titles=titles, horizontal_spacing=0.08)
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
        text = [[format_count(v) for v in row] for row in matrix]
        fig.add_trace(
            go.Heatmap(
                z=matrix,
                x=labels,
                y=labels,
                colorscale="Blues",
                showscale=False,
                text=text,
                texttemplate="%{text}",
                hovertemplate="true %{y}<br>predicted %{x}<br>%{text}<extra></extra>",
            ),
            row=1,
            col=i,
        )
        fig.update_xaxes(title_text="predicted", type="category", row=1, col=i)
        fig.update_yaxes(title_text="true", type="category", autorange="reversed", row=1, col=i)
    fig.update_layout(template=_TEMPLATE, title="Confusion matrices", height=420)
    return fig


def format_count(value: Any) -> str:
    """A count as a whole number with thousands separators (``1,070``, never ``1.07e+03``);
    a non-integral value keeps three significant digits.

    Parameters
    ----------
    value : number
        The count (or any number).

    Returns
    -------
    str
        The formatted number.

    Examples
    --------
    >>> format_count(1070.0), format_count(29191), format_count(0.25)
    ('1,070', '29,191', '0.25')
    """
    v = float(value)
    if np.isfinite(v) and v.is_integer():
        return f"{int(v):,}"
    return f"{v:.3g}"


#: Targets of regression runs whose evaluation record does not name them, by app:
#: (quantity, unit). hst_cal's evaluation residuals are the peak memory of the jobs.
TARGET_BY_APP: dict[str, tuple[str, str]] = {"hst_cal": ("memory", "GB")}


def residuals_figure(
    records: Mapping[str, Mapping],
    *,
    colors: Mapping[str, str] | None = None,
    targets: Mapping[str, tuple[str, str]] | None = None,
) -> Any:
    """Regression runs: predicted against true values (left) and residuals (right).

    Axes name the target and its unit: a record's ``residuals`` block may carry
    ``"target"`` and ``"unit"``; else ``targets`` (run label -> (target, unit)) gives them.
    Runs of different targets share the axes as "value", and the legend names each target.

    Parameters
    ----------
    records : mapping
        Run label → that run's metrics record (its ``residuals`` block: ``y_true`` and ``y_pred``).
    colors : mapping, optional
        Run label → colour (:func:`run_colors`); default: :func:`run_colors` of the runs.
    targets : mapping, optional
        Run label → (target name, unit), for records that do not carry them.

    Returns
    -------
    plotly.graph_objects.Figure
        Two panels; an empty figure when no run has residuals.

    Examples
    --------
    >>> rec = {"a": {"residuals": {"y_true": [1, 2, 3], "y_pred": [1.1, 1.9, 3.2]}}}
    >>> len(residuals_figure(rec).data)
    3
    """
    go = _go()
    items = _blocks(records, "residuals", "y_true")
    if not items:
        return empty_figure("no regression residuals in the selected runs")
    palette = _colors(list(records), colors)

    def target_of(label: str, block: Mapping) -> tuple[str, str]:
        name, unit = (targets or {}).get(label, ("", ""))
        name = str(block.get("target") or name or "value")
        unit = str(block.get("unit") or (unit if not block.get("target") else "") or "")
        return name, unit

    named = {label: target_of(label, block) for label, block in items}
    kinds = set(named.values())
    name, unit = next(iter(kinds)) if len(kinds) == 1 else ("value", "")
    with_unit = f"{name} ({unit})" if unit else name
    fig = _make_subplots(
        rows=1,
        cols=2,
        subplot_titles=[f"predicted vs true {with_unit}", f"residuals: predicted - true {name}"],
    )
    lo, hi = np.inf, -np.inf
    for label, block in items:
        color = palette[label]
        legend = label
        if len(kinds) > 1:
            legend = f"{label} ({named[label][0]}" + (
                f", {named[label][1]})" if named[label][1] else ")"
            )
        y_true, y_pred = _numbers(block["y_true"]), _numbers(block["y_pred"])
        if y_true.shape != y_pred.shape:
            raise InputError(
                f"run {label}: residuals y_true has {y_true.size} values but y_pred has "
                f"{y_pred.size}; they must pair up"
            )
        lo, hi = min(lo, np.nanmin(y_true)), max(hi, np.nanmax(y_true))
        style = {"size": 4, "opacity": 0.6, "color": color, "legendgroup": label}
        fig.add_trace(plotly_points(go, y_true, y_pred, name=legend, **style), row=1, col=1)
        resid = plotly_points(go, y_pred, y_pred - y_true, name=legend, showlegend=False, **style)
        fig.add_trace(resid, row=1, col=2)
    fig.add_trace(dotted_line(go, [lo, hi], [lo, hi], name="y = x"), row=1, col=1)
    difference = f"predicted - true ({unit})" if unit else "predicted - true"
    titles = [
        (f"true {with_unit}", f"predicted {with_unit}"),
        (f"predicted {with_unit}", difference),
    ]
    plotly_axis_titles(fig, titles)
    fig.update_layout(
        template=_TEMPLATE,
        title=f"Regression residuals: {with_unit}",
        height=_legend_height(420, len(items) + 1),
        legend=_LEGEND_BELOW,
        margin=_MARGIN,
    )
    return fig


#: Units of the columns of the built-in tables and of prediction tables (Explore's axes).
COLUMN_UNITS: dict[str, str] = {
    "memory": "GB",
    "memVal": "GB",
    "memUpper": "GB",
    "mem_pred": "GB",
    "wallclock": "s",
    "wall_pred": "s",
    "clockTime": "s",
    "clockTimePred": "s",
    "total_mb": "MB",
    "n_files": "files",
    "numexp": "exposures",
    "point": "sources",
    "segment": "sources",
    "gaia": "sources",
    "nmatches": "matched sources",
}


def axis_title(column: str, units: Mapping[str, str] | None = None) -> str:
    """A column name with its unit, when known: ``memory (GB)``.

    Parameters
    ----------
    column : str
        The column name.
    units : mapping, optional
        Column → unit (default :data:`COLUMN_UNITS`).

    Returns
    -------
    str
        ``"column (unit)"``, or the column alone when its unit is unknown.

    Examples
    --------
    >>> axis_title("memory"), axis_title("label")
    ('memory (GB)', 'label')
    """
    unit = (units if units is not None else COLUMN_UNITS).get(column)
    return f"{column} ({unit})" if unit else column


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
    that many rows (seeded, so the same each time), noted in the title. Axes name their
    unit (:data:`COLUMN_UNITS`) and print whole numbers in full (``29,191``, not ``2.9e4``).

    Parameters
    ----------
    frame : pandas.DataFrame
        The table.
    kind : {"scatter", "box", "histogram"}
        The plot.
    x : str
        Column on the x axis.
    y : str, optional
        Column on the y axis (scatter and box).
    color : str, optional
        Column coloring the points (or groups).
    log_x, log_y : bool
        Logarithmic axes.
    title : str
        The figure title.

    Returns
    -------
    plotly.graph_objects.Figure
        The plot (``InputError`` for an unknown kind or a scatter without ``y``).

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
    numbers = {"exponentformat": "none", "separatethousands": True}
    fig.update_xaxes(title_text=axis_title(x), **numbers)
    y_title = "count (rows)" if kind == "histogram" else axis_title(y) if y else ""
    fig.update_yaxes(title_text=y_title, **numbers)
    return fig


def class_probability_figure(
    probabilities: Sequence[float], labels: Sequence[str], *, highlight: int | None = None
) -> Any:
    """Bars of class probabilities (e.g. the four HST memory bins).

    ``highlight``: the index of a bar drawn in a second colour and marked "submitted" (the
    bin a prediction submits, which may differ from the most likely one).

    Parameters
    ----------
    probabilities : sequence of float
        One probability per class.
    labels : sequence of str
        The class names, in the same order.
    highlight : int, optional
        Index of the bar to mark "submitted".

    Returns
    -------
    plotly.graph_objects.Figure
        One bar per class.

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

    Parameters
    ----------
    frames : numpy.ndarray
        uint8 array of shape (3, h, w, 3).
    titles : sequence of str
        One title per frame.

    Returns
    -------
    plotly.graph_objects.Figure
        Three image panels.

    Examples
    --------
    >>> fig = image_triplet_figure(np.zeros((3, 4, 4, 3), np.uint8), ["a", "b", "c"])
    >>> len(fig.data)
    3
    """
    go = _go()
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] not in (3, 4):
        raise InputError(f"expected frames of shape (n, h, w, 3), found {frames.shape}")
    fig = _make_subplots(
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

    Parameters
    ----------
    time, flux : array-like
        The light curve.
    title : str
        The figure title.
    trend : array-like, optional
        A trend of the same length as ``flux``, drawn as a line.

    Returns
    -------
    plotly.graph_objects.Figure
        The points (and the trend line).

    Examples
    --------
    >>> lightcurve_figure([0, 1, 2], [1, 0.99, 1], title="raw").data[0].name
    'flux'
    """
    go = _go()
    t, f = _numbers(time), _numbers(flux)
    fig = go.Figure(plotly_points(go, t, f, name="flux", size=3, color="#204a87"))
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

"""Exploratory plots of a table: kernel density estimates, 3D scatter plots and grouped bars.

The plots upstream spacekit's ``DataPlots`` drew for the HST calibration and SVM tables
(``kde_plots``, ``scatter3d``, ``bar_plots`` / ``grouped_barplot``), as plain functions of a
DataFrame. Each returns a matplotlib :class:`~matplotlib.figure.Figure` (made without pyplot)
or, with ``backend="plotly"``, a plotly figure; none shows, saves or writes anything (upstream's
``show`` and ``save_html`` are the caller's ``fig.show()`` and ``fig.write_html(...)``).

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"mem": [1.0, 2.0, 2.5, 8.0], "det": ["ir", "ir", "wfc", "wfc"]})
>>> fig = plot_kde(df, "mem", by="det")
>>> [line.get_label() for line in fig.axes[0].lines]
['ir (n=2)', 'wfc (n=2)']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import InputError
from ..utils.plotting import PALETTE, check_backend, figure_doc, mpl_subplots, plotly_modules
from ..utils.upstream_api import upstream_getattr

__all__ = ["plot_kde", "plot_scatter3d", "plot_grouped_bars", "MAX_CATEGORIES"]

#: Most distinct values a grouping column (``by``, ``color``, a bar's ``x``) may have.
MAX_CATEGORIES = 40
#: Most points a density estimate or a 3D scatter uses; more are a seeded random sample.
MAX_POINTS = 50_000


def _frame(frame: Any, columns: Sequence[str | None]) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise InputError(
            f"expected a pandas DataFrame (a table), got {type(frame).__name__}; build one with "
            "pandas.DataFrame(...) or spacekit.io readers"
        )
    missing = [c for c in columns if c is not None and c not in frame.columns]
    if missing:
        raise InputError(
            f"column(s) {missing} are not in the table; available: {list(frame.columns)}"
        )
    return frame.reset_index(drop=True)  # row labels unique, whatever the table's index


def _numeric(frame: pd.DataFrame, column: str) -> pd.Series:
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = int(values.isna().sum() - frame[column].isna().sum())
    if values.notna().sum() == 0 or bad > len(values) // 2:
        raise InputError(
            f"column {column!r} must hold numbers for this plot, found dtype "
            f"{frame[column].dtype}; pick a numeric column or encode it first"
        )
    return values.astype(float)


def _groups(frame: pd.DataFrame, column: str | None) -> list[tuple[Any, pd.Index]]:
    """(category, row labels) for each value of ``column`` (one group of all rows if None)."""
    if column is None:
        return [(None, frame.index)]
    values = frame[column]
    n = values.nunique(dropna=True)
    if n > MAX_CATEGORIES:
        raise InputError(
            f"column {column!r} has {n} distinct values, too many to draw one group each (at "
            f"most {MAX_CATEGORIES}); pick a categorical column (instrument, detector, label) "
            "or bin it first (pandas.cut)"
        )
    cats = sorted(values.dropna().unique().tolist(), key=lambda v: (str(type(v)), v))
    return [(c, frame.index[(values == c).to_numpy()]) for c in cats]


def _name(cat: Any) -> str:
    """A group's legend name: ``1`` rather than ``1.0`` for whole-number float classes."""
    if isinstance(cat, (float, np.floating)) and float(cat).is_integer():
        return str(int(cat))
    return str(cat)


def _sample(frame: pd.DataFrame, max_points: int) -> tuple[pd.DataFrame, str]:
    if len(frame) <= max_points:
        return frame, ""
    note = f"random {max_points:,} of {len(frame):,} rows"
    return frame.sample(max_points, random_state=0).sort_index(), note


@figure_doc
def plot_kde(
    frame: pd.DataFrame,
    columns: str | Sequence[str],
    *,
    by: str | None = None,
    log: bool = False,
    hist: bool = True,
    bandwidth: float | str | None = None,
    title: str = "",
    backend: str = "matplotlib",
):
    """Kernel density estimates of numeric columns, or of one column per class of ``by``.

    Upstream's ``DataPlots.kde_plots``: its ``targets=True`` (one curve per target class) is
    ``by="label"`` here, its ``norm=True`` (a power transform first) is closest to
    ``log=True``. Densities are Gaussian kernel estimates (:class:`scipy.stats.gaussian_kde`)
    drawn over normalised histograms.

    Parameters
    ----------
    frame : DataFrame
        The table.
    columns : str or sequence of str
        Numeric column(s); with ``by``, one column.
    by : str, optional
        A categorical column: one curve per value (e.g. ``"label"``, ``"instr"``).
    log : bool
        Estimate the density of ``log10`` of the values (positive values only; the others are
        left out and counted in the legend).
    hist : bool
        Draw each series' normalised histogram behind its curve.
    bandwidth : float or {"scott", "silverman"}, optional
        Kernel bandwidth rule or factor (scipy's ``bw_method``; default Scott's rule).
    {figure_parameters}

    Raises
    ------
    InputError
        A column missing or not numeric, ``by`` with too many values, or no series with at
        least two distinct values to estimate.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(2, 1, 200)})
    >>> fig = plot_kde(df, ["a", "b"], backend="plotly")
    >>> [t.name for t in fig.data if t.type == "scatter"]
    ['a (n=200)', 'b (n=200)']
    """
    from scipy.stats import gaussian_kde

    check_backend(backend)
    cols = [columns] if isinstance(columns, str) else list(columns)
    if not cols:
        raise InputError("columns is empty; name at least one numeric column")
    if by is not None and len(cols) != 1:
        raise InputError(f"with by={by!r}, give one column to split, got {cols}")
    frame = _frame(frame, [*cols, by])
    series: list[tuple[str, np.ndarray]] = []
    for col in cols:
        values = _numeric(frame, col)
        for cat, rows in _groups(frame, by):
            v = values.loc[rows].to_numpy()
            v = v[np.isfinite(v)]
            label = col if cat is None else _name(cat)
            dropped = 0
            if log:
                dropped = int((v <= 0).sum())
                v = np.log10(v[v > 0])
            if len(v) > MAX_POINTS:
                v = np.random.default_rng(0).choice(v, MAX_POINTS, replace=False)
            extra = f", {dropped:,} <= 0 left out" if dropped else ""
            series.append((f"{label} (n={len(v):,}{extra})", v))
    usable = [(name, v) for name, v in series if len(np.unique(v)) >= 2]
    if not usable:
        raise InputError(
            "no series has two distinct values to estimate a density from; pick other "
            "columns" + (" or turn log off" if log else "")
        )
    lo = min(v.min() for _, v in usable)
    hi = max(v.max() for _, v in usable)
    pad = 0.05 * (hi - lo)
    grid = np.linspace(lo - pad, hi + pad, 256)
    curves = []
    for name, v in usable:
        kde = gaussian_kde(v, bw_method=bandwidth)
        curves.append((name, v, kde(grid)))
    what = f"{cols[0]} by {by}" if by else ", ".join(cols)
    xlabel = f"log10({cols[0]})" if log and len(cols) == 1 else ("log10(value)" if log else "")
    xlabel = xlabel or (cols[0] if len(cols) == 1 else "value")
    title = title or f"Density of {what}"
    if backend == "plotly":
        go, _ = plotly_modules()
        fig = go.Figure()
        for k, (name, v, dens) in enumerate(curves):
            colour = PALETTE[k % len(PALETTE)]
            if hist:
                fig.add_trace(
                    go.Histogram(
                        x=v,
                        histnorm="probability density",
                        marker_color=colour,
                        opacity=0.3,
                        name=name,
                        legendgroup=name,
                        showlegend=False,
                    )
                )
            fig.add_trace(
                go.Scatter(
                    x=grid,
                    y=dens,
                    mode="lines",
                    line={"color": colour},
                    name=name,
                    legendgroup=name,
                )
            )
        fig.update_layout(title=title, xaxis_title=xlabel, yaxis_title="density", barmode="overlay")
        return fig
    fig, (ax,) = mpl_subplots((8, 4.5))
    for k, (name, v, dens) in enumerate(curves):
        colour = PALETTE[k % len(PALETTE)]
        if hist:
            ax.hist(v, bins="auto", density=True, color=colour, alpha=0.25)
        ax.plot(grid, dens, color=colour, label=name)
    ax.set(xlabel=xlabel, ylabel="density", title=title)
    ax.legend(loc="best", fontsize="small")
    return fig


def plot_scatter3d(
    frame: pd.DataFrame,
    x: str,
    y: str,
    z: str,
    *,
    color: str | None = None,
    title: str = "",
    backend: str = "plotly",
):
    """A 3D scatter plot of three numeric columns, one colour per class of ``color``.

    Upstream's ``DataPlots.scatter3d`` (one trace per target class). A table of more than
    :data:`MAX_POINTS` rows is drawn as a seeded random sample of that many, noted in the
    title.

    Parameters
    ----------
    frame : DataFrame
        The table.
    x, y, z : str
        Numeric columns for the three axes.
    color : str, optional
        A categorical column (one trace and colour per value).
    title : str
        Figure title.
    backend : {"plotly", "matplotlib"}
        Figure type (plotly by default: a 3D plot is best turned by hand).

    Returns
    -------
    plotly.graph_objects.Figure or matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": [1, 2, 3], "b": [3, 1, 2], "c": [0, 1, 0], "k": ["p", "q", "p"]})
    >>> fig = plot_scatter3d(df, "a", "b", "c", color="k")
    >>> [(t.type, t.name) for t in fig.data]
    [('scatter3d', 'p'), ('scatter3d', 'q')]
    """
    check_backend(backend)
    frame = _frame(frame, [x, y, z, color])
    cols = {c: _numeric(frame, c) for c in (x, y, z)}
    frame, note = _sample(frame, MAX_POINTS)
    groups = _groups(frame, color)
    title = title or f"{x}, {y} and {z}" + (f" by {color}" if color else "")
    if note:
        title = f"{title} ({note})"
    if backend == "plotly":
        go, _ = plotly_modules()
        fig = go.Figure()
        for k, (cat, rows) in enumerate(groups):
            fig.add_trace(
                go.Scatter3d(
                    x=cols[x].loc[rows],
                    y=cols[y].loc[rows],
                    z=cols[z].loc[rows],
                    mode="markers",
                    marker={"size": 3, "color": PALETTE[k % len(PALETTE)], "opacity": 0.7},
                    name="rows" if cat is None else _name(cat),
                )
            )
        fig.update_layout(
            title=title,
            scene={"xaxis_title": x, "yaxis_title": y, "zaxis_title": z},
            legend_title_text=color or "",
            height=600,
        )
        return fig
    fig, (ax,) = mpl_subplots((7.5, 6.5), subplot_kw={"projection": "3d"})
    for k, (cat, rows) in enumerate(groups):
        ax.scatter(
            cols[x].loc[rows],
            cols[y].loc[rows],
            cols[z].loc[rows],
            s=6,
            color=PALETTE[k % len(PALETTE)],
            label=None if cat is None else _name(cat),
        )
    ax.set(xlabel=x, ylabel=y, zlabel=z, title=title)
    if color:
        ax.legend(title=color, fontsize="small")
    return fig


@figure_doc
def plot_grouped_bars(
    frame: pd.DataFrame,
    x: str,
    *,
    color: str | None = None,
    y: str | None = None,
    stat: str | None = None,
    error: bool = True,
    title: str = "",
    backend: str = "matplotlib",
):
    """Bars for each value of ``x``, side by side for each value of ``color``.

    Covers upstream's ``DataPlots.grouped_barplot`` (how many rows of each target class per
    group: ``stat="count"``) and ``bar_plots`` (the mean of a feature per group and class,
    with standard-error bars: ``y=...``, ``stat="mean"``).

    Parameters
    ----------
    frame : DataFrame
        The table.
    x : str
        The grouping column on the x axis (categorical).
    color : str, optional
        A second categorical column: one bar (and colour) per value within each group.
    y : str, optional
        A numeric column to average (needed for ``stat="mean"``).
    stat : {"count", "mean"}, optional
        Bar height: number of rows, or mean of ``y`` (default: mean when ``y`` is given).
    error : bool
        With ``stat="mean"``, draw the standard error of the mean (``std / sqrt(n)``).
    {figure_parameters}

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"det": ["ir", "ir", "wfc", "uvis"], "label": [0, 1, 1, 0],
    ...                    "rms": [1.0, 3.0, 2.0, 1.5]})
    >>> fig = plot_grouped_bars(df, "det", color="label", backend="plotly")
    >>> [(t.name, list(t.y)) for t in fig.data]
    [('0', [1, 1, 0]), ('1', [1, 0, 1])]
    >>> fig = plot_grouped_bars(df, "det", y="rms")
    >>> [round(float(p.get_height()), 2) for p in fig.axes[0].patches]
    [2.0, 1.5, 2.0]
    """
    check_backend(backend)
    frame = _frame(frame, [x, color, y])
    if stat is None:
        stat = "mean" if y is not None else "count"
    if stat not in ("count", "mean"):
        raise InputError(f"stat must be 'count' or 'mean', got {stat!r}")
    if stat == "mean" and y is None:
        raise InputError("stat='mean' needs y, the numeric column to average")
    values = _numeric(frame, y) if y is not None and stat == "mean" else None
    xs = _groups(frame, x)
    hues = _groups(frame, color)
    cats = [_name(c) for c, _ in xs]
    bars = []  # (hue name, heights, errors)
    for hue, hue_rows in hues:
        heights, errs = [], []
        for _, rows in xs:
            both = rows.intersection(hue_rows)
            if stat == "count":
                heights.append(len(both))
                errs.append(0.0)
                continue
            v = values.loc[both].dropna()
            heights.append(float(v.mean()) if len(v) else np.nan)
            errs.append(float(v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else 0.0)
        bars.append(("all" if hue is None else _name(hue), heights, errs))
    ylabel = "rows" if stat == "count" else f"mean {y}"
    title = title or (
        (f"Rows by {x}" if stat == "count" else f"Mean {y} by {x}")
        + (f" and {color}" if color else "")
    )
    show_err = error and stat == "mean"
    if backend == "plotly":
        go, _ = plotly_modules()
        fig = go.Figure()
        for k, (name, heights, errs) in enumerate(bars):
            fig.add_trace(
                go.Bar(
                    x=cats,
                    y=heights,
                    name=name,
                    marker_color=PALETTE[k % len(PALETTE)],
                    error_y={"type": "data", "array": errs, "visible": show_err},
                )
            )
        fig.update_layout(
            title=title,
            barmode="group",
            xaxis_title=x,
            yaxis_title=ylabel,
            legend_title_text=color or "",
            showlegend=color is not None,
        )
        fig.update_xaxes(type="category")
        return fig
    fig, (ax,) = mpl_subplots((max(6.0, 0.6 * len(cats) * max(1, len(bars)) + 2), 4.5))
    pos = np.arange(len(cats))
    width = 0.8 / len(bars)
    for k, (name, heights, errs) in enumerate(bars):
        ax.bar(
            pos - 0.4 + width * (k + 0.5),
            heights,
            width,
            yerr=errs if show_err else None,
            capsize=3 if show_err else 0,
            color=PALETTE[k % len(PALETTE)],
            label=name,
        )
    ax.set_xticks(pos, cats)
    ax.set(xlabel=x, ylabel=ylabel, title=title)
    if color:
        ax.legend(title=color, fontsize="small")
    return fig


# upstream spacekit 1.1.4's names of this module say what to use (docs/upstream.rst)
__getattr__ = upstream_getattr(__name__)

if __name__ == "__main__":  # upstream's `python -m spacekit.analyzer.explore`: deprecated
    import os
    import sys

    # what spacekit.skopes._upstream.legacy_entry builds (a higher layer, not imported here)
    old = "spacekit.analyzer.explore"
    os.execv(
        sys.executable, [sys.executable, "-m", "spacekit", "legacy-entry", old, "--", *sys.argv[1:]]
    )

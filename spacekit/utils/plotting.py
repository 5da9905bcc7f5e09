"""The plotting backend of every spacekit figure: matplotlib without pyplot, or plotly.

The plots of :mod:`spacekit.analyzer` and :mod:`spacekit.computer`, the dashboard's figures and
the apps' figures are built on these helpers, so they take the same ``backend=`` values, fail
the same way when a plotting library is missing (a
:class:`~spacekit.exceptions.MissingDependencyError` with the install command), and display
and save the same way.

spacekit builds :class:`matplotlib.figure.Figure` objects directly (never through pyplot), so no
global plotting state changes; but then Jupyter does not know how to draw them until pyplot is
imported. :func:`new_figure` creates every matplotlib figure of the library and, when an IPython
kernel is running, registers a PNG formatter for ``Figure`` with that kernel (once, and only
when nothing else, such as ``%matplotlib inline``, has registered one). Figures then display
inline with no setup, and no matplotlib setting or backend changes. Plotly figures display
themselves.

matplotlib and plotly are imported only by the functions that draw.

Layer 0 (core).

Examples
--------
>>> check_backend("plotly")
'plotly'
>>> fig, (left, right) = mpl_subplots((8, 3), ncols=2)
>>> len(fig.axes), type(fig).__name__
(2, 'Figure')
>>> go, make_subplots = plotly_modules()
>>> fig = plotly_subplots(["ROC", "precision-recall"])
>>> _ = fig.add_trace(dotted_line(go, [0, 1], [0, 1], name="chance"), row=1, col=1)
>>> fig.data[0].line.dash
'dot'
"""

from __future__ import annotations

import io
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..exceptions import InputError

__all__ = [
    "BACKENDS",
    "PALETTE",
    "check_backend",
    "new_figure",
    "mpl_figure",
    "mpl_subplots",
    "plotly_modules",
    "plotly_subplots",
    "dotted_line",
    "plotly_points",
    "plotly_axis_titles",
    "figure_png",
    "enable_inline_figures",
    "save_figure",
    "figure_doc",
]

log = logging.getLogger(__name__)

#: The figure types a plot function draws (its ``backend=`` values).
BACKENDS = ("matplotlib", "plotly")

#: Colours of classes, planets and groups, in order (the matplotlib "tab10" hues).
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf")


def check_backend(backend: str) -> str:
    """Return ``backend`` when it is one of :data:`BACKENDS`, else raise InputError.

    Parameters
    ----------
    backend : str
        The backend asked for.

    Returns
    -------
    str
        ``backend``, checked.

    Examples
    --------
    >>> check_backend("bokeh")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    spacekit.exceptions.InputError: backend must be 'matplotlib' or 'plotly'; got 'bokeh'.
    """
    if backend not in BACKENDS:
        raise InputError(
            f"backend must be 'matplotlib' or 'plotly'; got {backend!r}. Figures are matplotlib "
            "by default; pass backend='plotly' for an interactive one."
        )
    return backend


# ---------------------------------------------------------------- matplotlib
def new_figure(figsize: tuple[float, float] | None = None, **kwargs: Any):
    """A :class:`matplotlib.figure.Figure` (built without pyplot) that a notebook displays.

    Parameters
    ----------
    figsize : (float, float), optional
        Width and height in inches.
    **kwargs
        Passed to ``Figure`` (``layout="constrained"``, ``dpi``, ...).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    MissingDependencyError
        matplotlib is not installed.

    Examples
    --------
    >>> fig = new_figure((4, 3), layout="constrained")
    >>> ax = fig.add_subplot()
    >>> fig.get_size_inches().tolist()
    [4.0, 3.0]
    """
    from .deps import optional_import

    optional_import("matplotlib", "spacekit plots")
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, **kwargs)
    enable_inline_figures()
    return fig


def mpl_figure(figsize: tuple[float, float], *, what: str = "spacekit plots"):
    """A new, empty matplotlib figure with a constrained layout (see :func:`new_figure`).

    Parameters
    ----------
    figsize : (float, float)
        Width and height in inches.
    what : str
        The feature named in the error when matplotlib is missing.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> mpl_figure((3, 2)).get_layout_engine().__class__.__name__
    'ConstrainedLayoutEngine'
    """
    from .deps import optional_import

    optional_import("matplotlib", what)
    return new_figure(figsize, layout="constrained")


def mpl_subplots(
    figsize: tuple[float, float],
    *,
    nrows: int = 1,
    ncols: int = 1,
    what: str = "spacekit plots",
    **kwargs: Any,
):
    """A matplotlib figure with a grid of axes: ``(figure, [axes, ...])`` in reading order.

    Parameters
    ----------
    figsize : (float, float)
        Width and height in inches.
    nrows, ncols : int
        The grid.
    what : str
        The feature named in the error when matplotlib is missing.
    **kwargs
        Passed to ``Figure.subplots`` (``sharex=True``, ...).

    Returns
    -------
    (matplotlib.figure.Figure, list of matplotlib.axes.Axes)

    Examples
    --------
    >>> fig, axes = mpl_subplots((6, 6), nrows=2, sharex=True)
    >>> len(axes)
    2
    """
    fig = mpl_figure(figsize, what=what)
    axes = fig.subplots(nrows, ncols, squeeze=False, **kwargs)
    return fig, list(axes.ravel())


def figure_png(fig: Any, *, dpi: float | str = "figure") -> bytes | None:
    """PNG bytes of a matplotlib figure (None for a figure with nothing drawn).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    dpi : float or "figure"
        Resolution (default: the figure's own).

    Returns
    -------
    bytes or None
        The PNG, or None when nothing is drawn.

    Examples
    --------
    >>> fig = new_figure((2, 1)); _ = fig.add_subplot().plot([0, 1])
    >>> figure_png(fig)[:4]
    b'\\x89PNG'
    """
    if not fig.axes and not getattr(fig, "lines", None) and not fig.images:
        return None
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return buf.getvalue()


def enable_inline_figures() -> bool:
    """Let a running IPython kernel display matplotlib figures inline; True when it can.

    Registers :func:`figure_png` as the ``image/png`` formatter of
    :class:`matplotlib.figure.Figure` in the current IPython shell, unless one is registered
    already (``%matplotlib inline`` or an imported pyplot registers its own, which is kept).
    Outside IPython this does nothing and returns False. It changes no matplotlib setting.

    Returns
    -------
    bool
        True when figures will display inline.

    Examples
    --------
    >>> enable_inline_figures()  # a plain Python process: nothing to do
    False
    """
    ipython = sys.modules.get("IPython")
    if ipython is None or "matplotlib.figure" not in sys.modules:
        return False
    try:
        shell = ipython.get_ipython()
        if shell is None:
            return False
        formatter = shell.display_formatter.formatters["image/png"]
        from matplotlib.figure import Figure

        try:
            formatter.lookup_by_type(Figure)
        except KeyError:
            formatter.for_type(Figure, figure_png)
        return True
    except Exception as exc:  # a display nicety must never break plotting
        log.debug("could not register the inline figure formatter: %s", exc)
        return False


# ---------------------------------------------------------------- plotly
def plotly_modules(what: str = "spacekit plots (backend='plotly')"):
    """``(plotly.graph_objects, plotly.subplots.make_subplots)``, or a MissingDependencyError
    with the install command.

    Parameters
    ----------
    what : str
        The feature named in the error when plotly is missing.

    Returns
    -------
    (module, callable)

    Examples
    --------
    >>> go, make_subplots = plotly_modules()
    >>> go.__name__
    'plotly.graph_objects'
    """
    from .deps import optional_import

    go = optional_import("plotly.graph_objects", what)
    subplots = optional_import("plotly.subplots", what)
    return go, subplots.make_subplots


def plotly_subplots(
    titles: Sequence[str],
    *,
    rows: int = 1,
    what: str = "spacekit plots (backend='plotly')",
    **kwargs: Any,
):
    """A plotly figure of titled panels: one row of ``len(titles)`` panels, or with ``rows``
    a single column of ``rows`` panels.

    Parameters
    ----------
    titles : sequence of str
        One title per panel.
    rows : int
        1 (default) for panels side by side, else the number of panels stacked.
    what : str
        The feature named in the error when plotly is missing.
    **kwargs
        Passed to ``make_subplots`` (``shared_xaxes=True``, ...).

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> len(plotly_subplots(["a", "b", "c"], rows=3).layout.annotations)
    3
    """
    _, make_subplots = plotly_modules(what)
    cols = len(titles) if rows == 1 else 1
    return make_subplots(rows=rows, cols=cols, subplot_titles=list(titles), **kwargs)


def dotted_line(go: Any, x: Sequence[float], y: Sequence[float], *, name: str, color="gray"):
    """A dotted plotly reference line (the chance diagonal, ``y = x``).

    Parameters
    ----------
    go : module
        ``plotly.graph_objects`` (from :func:`plotly_modules`).
    x, y : sequence of float
        The line's points.
    name : str
        Its legend entry.
    color : str
        Its colour.

    Returns
    -------
    plotly.graph_objects.Scatter

    Examples
    --------
    >>> go, _ = plotly_modules()
    >>> dotted_line(go, [0, 1], [0, 1], name="y = x").mode
    'lines'
    """
    return go.Scatter(x=x, y=y, mode="lines", name=name, line={"dash": "dot", "color": color})


def plotly_points(
    go: Any,
    x: Any,
    y: Any,
    *,
    name: str,
    size: float = 2,
    color: str | None = None,
    opacity: float | None = None,
    symbol: str | None = None,
    **trace: Any,
):
    """A plotly scatter of points (WebGL, for light curves and other long series).

    Parameters
    ----------
    go : module
        ``plotly.graph_objects`` (from :func:`plotly_modules`).
    x, y : array-like
        The points.
    name : str
        Their legend entry.
    size : float
        Marker size in pixels.
    color, opacity, symbol : optional
        Marker colour, opacity and symbol (plotly's defaults when not given).
    **trace
        Other trace settings (``legendgroup``, ``showlegend``, ...).

    Returns
    -------
    plotly.graph_objects.Scattergl

    Examples
    --------
    >>> go, _ = plotly_modules()
    >>> dots = plotly_points(go, [0, 1], [1, 0], name="flux", color="black", showlegend=False)
    >>> dots.marker.size, dots.marker.color, dots.showlegend
    (2, 'black', False)
    """
    marker = {"size": size, "color": color, "opacity": opacity, "symbol": symbol}
    marker = {k: v for k, v in marker.items() if v is not None}
    return go.Scattergl(x=x, y=y, mode="markers", name=name, marker=marker, **trace)


def plotly_axis_titles(
    fig: Any, titles: Sequence[tuple[str, str]], *, stacked: bool = False
) -> Any:
    """Title the axes of a figure's panels: ``titles[i]`` is ``(x title, y title)`` of panel
    ``i`` (panels side by side, or one above the other with ``stacked=True``); an empty title
    leaves that axis as it is.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        A figure of :func:`plotly_subplots`.
    titles : sequence of (str, str)
        One pair per panel.
    stacked : bool
        The panels are in one column.

    Returns
    -------
    plotly.graph_objects.Figure
        ``fig``.

    Examples
    --------
    >>> fig = plotly_axis_titles(plotly_subplots(["a", "b"]), [("x", "y"), ("recall", "")])
    >>> fig.layout.xaxis2.title.text, fig.layout.yaxis2.title.text
    ('recall', None)
    """
    for i, (xtitle, ytitle) in enumerate(titles, start=1):
        where = {"row": i, "col": 1} if stacked else {"row": 1, "col": i}
        if xtitle:
            fig.update_xaxes(title_text=xtitle, **where)
        if ytitle:
            fig.update_yaxes(title_text=ytitle, **where)
    return fig


# ---------------------------------------------------------------- saving
def save_figure(fig: Any, path: str | os.PathLike, *, dpi: int = 110) -> Path:
    """Write a figure atomically: a matplotlib figure as PNG, a plotly figure as HTML (loading
    plotly.js from its CDN). ``.png`` or ``.html`` is added to a name without it.

    Parameters
    ----------
    fig : matplotlib.figure.Figure or plotly.graph_objects.Figure
        The figure.
    path : str or path-like
        Where to write it.
    dpi : int
        Resolution of a PNG.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    InputError
        ``fig`` is neither a matplotlib nor a plotly figure.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> fig = new_figure((2, 1)); _ = fig.add_subplot().plot([0, 1])
    >>> save_figure(fig, pathlib.Path(tempfile.mkdtemp()) / "line").name
    'line.png'
    """
    from .files import atomic_write

    path = Path(path)
    if hasattr(fig, "savefig"):
        out = path if path.suffix == ".png" else path.with_name(path.name + ".png")
        with atomic_write(out, "wb") as fh:
            fig.savefig(fh, format="png", dpi=dpi, bbox_inches="tight")
        return out
    if hasattr(fig, "to_html"):
        out = path if path.suffix == ".html" else path.with_name(path.name + ".html")
        with atomic_write(out, "w", encoding="utf-8") as fh:
            fh.write(fig.to_html(include_plotlyjs="cdn", full_html=True))
        return out
    raise InputError(f"save_figure expects a matplotlib or plotly Figure, got {type(fig).__name__}")


# ---------------------------------------------------------------- docstrings
#: The ``title`` and ``backend`` parameters and the Returns section shared by the plot
#: functions; :func:`figure_doc` puts them where a docstring says ``{figure_parameters}``.
FIGURE_PARAMETERS = """title : str
        Figure title.
    backend : {"matplotlib", "plotly"}
        Figure type.

    Returns
    -------
    matplotlib.figure.Figure or plotly.graph_objects.Figure
        The figure (never shown; saving is the caller's choice)."""


def figure_doc(func: Any) -> Any:
    """Decorator: write :data:`FIGURE_PARAMETERS` into ``func``'s docstring where it says
    ``{figure_parameters}`` (indented as a Parameters entry).

    Parameters
    ----------
    func : callable
        The plotting function.

    Returns
    -------
    callable
        ``func`` itself, its docstring filled in.

    Examples
    --------
    >>> @figure_doc
    ... def plot_nothing(*, title="", backend="matplotlib"):
    ...     \"\"\"Draw nothing.
    ...
    ...     Parameters
    ...     ----------
    ...     {figure_parameters}
    ...     \"\"\"
    >>> "backend : {" in plot_nothing.__doc__ and "Returns" in plot_nothing.__doc__
    True
    """
    if func.__doc__:
        func.__doc__ = func.__doc__.replace("{figure_parameters}", FIGURE_PARAMETERS)
    return func

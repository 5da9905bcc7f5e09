"""Notebook display: the HTML reprs of spacekit's objects, and inline matplotlib figures.

Figures are made by the plotting backend, :mod:`spacekit.utils.plotting`: its
:func:`~spacekit.utils.plotting.new_figure` builds a matplotlib ``Figure`` without pyplot and
lets a running IPython kernel display it inline. ``new_figure``, ``figure_png`` and
``enable_inline_figures`` are importable from here too.

The ``_repr_html_`` methods of :class:`~spacekit.transformer.LightCurve`,
:class:`~spacekit.analyzer.HuntResult`, :class:`~spacekit.utils.runs.Run`,
:class:`~spacekit.computer.Report`, :class:`~spacekit.builder.Trainer` and the app models call
the renderers here. The renderers read the objects' public attributes only (this module is in
the lowest layer and imports none of those classes), and never raise: on any error they return
None, and the notebook falls back to the text repr.

Examples
--------
>>> fig = new_figure(figsize=(3, 2))
>>> type(fig).__name__
'Figure'
>>> print(html_table([("points", 3), ("target", "K2-18")]))  # doctest: +NORMALIZE_WHITESPACE
<table class="spacekit-table"><tbody><tr><th>points</th><td>3</td></tr>
<tr><th>target</th><td>K2-18</td></tr></tbody></table>
"""

from __future__ import annotations

import base64
import functools
import html
import logging
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from .plotting import enable_inline_figures, figure_png, new_figure  # noqa: F401 (re-exported)

__all__ = [
    "figure_img_html",
    "html_table",
    "lightcurve_html",
    "hunt_result_html",
    "run_html",
    "report_html",
    "trainer_html",
    "settings_repr",
    "model_html",
]

log = logging.getLogger(__name__)

#: Most points drawn in the small plot of a light curve's notebook repr.
THUMBNAIL_POINTS = 5000

_STYLE = (
    "<style>.spacekit-repr{font-family:sans-serif;font-size:13px;max-width:900px}"
    ".spacekit-repr h4{margin:4px 0}"
    ".spacekit-table{border-collapse:collapse;margin:4px 0}"
    ".spacekit-table th{text-align:left;padding:2px 10px 2px 0;font-weight:600}"
    ".spacekit-table td{text-align:left;padding:2px 10px 2px 0}"
    ".spacekit-figs img{margin:4px 8px 4px 0;vertical-align:top}</style>"
)


# ---------------------------------------------------------------- figures
def figure_img_html(fig: Any, *, width: int | None = None, dpi: float | str = "figure") -> str:
    """An ``<img>`` element holding a figure as an inline PNG (matplotlib), the figure's own
    HTML (plotly, loading plotly.js from its CDN), or a PNG file's bytes (a path).

    Parameters
    ----------
    fig : matplotlib or plotly figure, or path
        The figure, or a PNG file.
    width : int, optional
        Width of the image in pixels.
    dpi : float or "figure"
        Resolution of a matplotlib figure.

    Returns
    -------
    str
        The HTML.

    Examples
    --------
    >>> fig = new_figure((2, 1)); _ = fig.add_subplot().plot([0, 1])
    >>> figure_img_html(fig, width=100).startswith('<img width="100" src="data:image/png')
    True
    """
    if hasattr(fig, "savefig"):
        png = figure_png(fig, dpi=dpi)
        if png is None:
            return ""
    elif hasattr(fig, "to_html"):
        return fig.to_html(include_plotlyjs="cdn", full_html=False)
    elif isinstance(fig, (bytes, bytearray)):
        png = bytes(fig)
    else:  # a path to a PNG file
        with open(fig, "rb") as fh:
            png = fh.read()
    data = base64.b64encode(png).decode("ascii")
    size = f' width="{int(width)}"' if width else ""
    return f'<img{size} src="data:image/png;base64,{data}"/>'


# ---------------------------------------------------------------- HTML pieces
def _fmt(value: Any) -> str:
    """A short, escaped text for a table cell."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
            return f"{value:.4g}"
        return f"{value:.4g}" if abs(value) < 10 else f"{value:,.4g}"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10000 else str(value)
    if hasattr(value, "dtype") and getattr(value, "shape", None) == ():  # numpy scalar
        return _fmt(value.item())
    text = str(value)
    if len(text) > 120:
        text = text[:117] + "..."
    return html.escape(text)


def html_table(rows: Iterable[tuple[Any, Any]] | Mapping, *, header: Sequence[str] = ()) -> str:
    """A two-column (or ``header``-wide) HTML table; cells are escaped and numbers rounded.

    Parameters
    ----------
    rows : mapping or iterable of tuples
        ``{name: value}`` or ``[(name, value, ...), ...]``.
    header : sequence of str, optional
        Column titles.

    Returns
    -------
    str
        The HTML table.

    Examples
    --------
    >>> "<td>0.9123</td>" in html_table({"accuracy": 0.912345})
    True
    """
    if isinstance(rows, Mapping):
        rows = rows.items()
    head = ""
    if header:
        head = (
            "<thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr></thead>"
        )
    body = "\n".join(
        f"<tr><th>{html.escape(str(row[0]))}</th>"
        + "".join(f"<td>{_fmt(v)}</td>" for v in row[1:])
        + "</tr>"
        for row in rows
    )
    return f'<table class="spacekit-table">{head}<tbody>{body}</tbody></table>'


def _block(title: str, *parts: str) -> str:
    return (
        f'{_STYLE}<div class="spacekit-repr"><h4>{html.escape(title)}</h4>'
        + "".join(p for p in parts if p)
        + "</div>"
    )


def _safe(render: Callable[..., str]) -> Callable[..., str | None]:
    """Make a renderer return None instead of raising (a repr must never fail)."""

    @functools.wraps(render)  # keeps the name, docstring and signature
    def wrapper(obj: Any, *args: Any, **kwargs: Any) -> str | None:
        try:
            return render(obj, *args, **kwargs)
        except Exception as exc:
            log.debug("HTML repr of %s failed: %s", type(obj).__name__, exc)
            return None

    return wrapper


def _flat_numbers(metrics: Mapping, prefix: str = "") -> list[tuple[str, Any]]:
    """``(dotted name, number)`` for every scalar of a nested metrics dict."""
    out: list[tuple[str, Any]] = []
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.extend(_flat_numbers(value, name + "."))
        elif isinstance(value, (int, float, str)) or value is None:
            out.append((name, "n/a" if value is None else value))
    return out


def _thumbnail(x: Any, y: Any, *, xlabel: str, ylabel: str, title: str = "") -> str:
    """A small scatter plot as an inline PNG (empty without matplotlib)."""
    import numpy as np

    try:
        from matplotlib.figure import Figure
    except ImportError:
        return ""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if len(x) > THUMBNAIL_POINTS:
        idx = np.unique(np.linspace(0, len(x) - 1, THUMBNAIL_POINTS).round().astype(int))
        x, y = x[idx], y[idx]
    fig = Figure(figsize=(6.0, 1.9), layout="constrained")
    ax = fig.add_subplot()
    ax.plot(x, y, ".", ms=1.5, color="#1f77b4")
    ax.set_xlabel(xlabel, fontsize=8)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.tick_params(labelsize=7)
    if title:
        ax.set_title(title, fontsize=8)
    return figure_img_html(fig, dpi=80)


# ---------------------------------------------------------------- renderers
@_safe
def lightcurve_html(lc: Any) -> str:
    """A light curve's notebook view: a summary table and a small plot of the flux.

    Parameters
    ----------
    lc : LightCurve
        The light curve.

    Returns
    -------
    str or None
        The HTML; None when rendering failed (a repr never raises).

    Examples
    --------
    >>> from spacekit.transformer import LightCurve
    >>> lc = LightCurve(time=[2458326.0, 2458326.1, 2458326.2], flux=[1.0, 0.99, 1.0])
    >>> "<th>points</th><td>3</td>" in lightcurve_html(lc)
    True
    """
    import numpy as np

    rows: list[tuple[str, Any]] = [("points", len(lc))]
    for key in ("target", "mission", "sector", "quarter", "campaign"):
        if lc.meta.get(key) not in (None, ""):
            rows.append((key, lc.meta[key]))
    finite = np.isfinite(np.asarray(lc.flux.value, dtype=float)) if "flux" in lc.colnames else None
    if lc.is_folded:
        fold = lc.meta.get("fold", {})
        if fold.get("period_days"):
            rows.append(("folded on period", f"{fold['period_days']:.6g} d"))
        x, xlabel = lc.time_days() * 24.0, "hours from mid-transit"
    elif len(lc):
        jd = np.asarray(lc.time.jd, dtype=float)
        rows.append(("time", f"JD {jd.min():.5f} .. {jd.max():.5f} ({lc.time.scale})"))
        rows.append(("span", f"{jd.max() - jd.min():.4g} d"))
        if len(jd) > 1:
            rows.append(("median cadence", f"{np.median(np.diff(np.sort(jd))) * 1440:.3g} min"))
        x, xlabel = jd - jd.min(), f"days since JD {jd.min():.4f}"
    else:
        x, xlabel = np.array([]), "time"
    plot = ""
    if finite is not None:
        flux = np.asarray(lc.flux.value, dtype=float)
        unit = lc.flux.unit.to_string() or "dimensionless"
        rows.append(("flux", f"[{unit}], {int((~finite).sum())} NaN"))
        if finite.any():
            rows.append(("flux median", float(np.median(flux[finite]))))
            plot = _thumbnail(x[finite], flux[finite], xlabel=xlabel, ylabel=f"flux [{unit}]")
    if "flux_err" in lc.colnames:
        rows.append(("flux_err", "yes"))
    history = lc.meta.get("history") or []
    if history:
        steps = [h if isinstance(h, str) else str(h.get("step", h)) for h in history]
        steps = [step.split(":")[0].split(" ")[0] for step in steps]  # the step's name
        rows.append(("history", " → ".join(steps[-8:])))
    other = [c for c in lc.colnames if c not in ("time", "flux", "flux_err")]
    if other:
        rows.append(("other columns", ", ".join(other)))
    return _block("LightCurve", html_table(rows), plot)


def _epoch_text(epoch: Any) -> str:
    """A mid-transit time as the search reports it: a BJD (TDB), or the file's own numbers
    for a light curve in no time system (astropy scale ``local``), as ``spacekit hunt``
    prints it."""
    jd = float(epoch.jd)
    if epoch.scale == "local":
        return f"{jd:.5f} (the file's own time numbers, not a BJD)"
    if epoch.scale == "tdb":
        return f"BJD {jd:.5f}"
    return f"JD {jd:.5f} ({epoch.scale.upper()})"


@_safe
def hunt_result_html(result: Any) -> str:
    """A planet search's notebook view: the candidate, each check behind ``detected`` with its
    value and whether it passed, the planets found, and the folded light curve.

    Parameters
    ----------
    result : HuntResult
        The search's result.

    Returns
    -------
    str or None
        The HTML; None when rendering failed (a repr never raises).

    Examples
    --------
    >>> hunt_result_html(object()) is None  # not a HuntResult: no HTML, the text repr is used
    True
    """
    import numpy as np

    c = result.candidate
    period = float(c.period.to_value("day"))
    rows = [
        ("detected", bool(c.detected)),
        ("period", f"{period:.6f} d"),
        ("epoch", _epoch_text(c.epoch)),
        ("duration", f"{float(c.duration.to_value('hour')):.3g} h"),
        ("depth", f"{float(c.depth) * 1e6:,.0f} ppm"),
        ("engine", result.engine),
    ]
    aliases = c.period_aliases.to_value("day") if len(c.vetting.get("alias_multiples", [])) else []
    if len(aliases):
        rows.append(("period aliases", ", ".join(f"{a:.4f} d" for a in aliases)))
    if getattr(result, "source", ""):
        rows.append(("source", result.source))
    v = c.vetting
    # The checks of planet_hunter's step 5. Pass or FAIL is the search's own verdict
    # (``vetting["failed"]``), so thresholds passed to planet_hunter are honoured.
    failed = set(v.get("failed", ()))
    checks = [
        ("peak significance", c.peak_significance, f">= {result.threshold:g}", "peak_significance"),
        ("red-noise SNR", c.snr, ">= snr_threshold (7.1 by default)", "snr"),
        ("transits with data", c.n_transits, ">= 2", "n_transits"),
    ]
    for key, label, rule, name in (
        ("single_event_fraction", "largest single transit share", "<= 0.8", "single_event"),
        ("bump_ratio", "rise at the period / dip", "< 0.5", "bump"),
        ("oot_structure", "out-of-transit structure / depth", "< 0.2", "oot_structure"),
        (
            "depth_spread",
            "largest transit depth departure / mean",
            "<= 0.5 at 3 sigma, <= 0.3 at 5 sigma",
            "depth_consistency",
        ),
        ("missing_transits", "covered transits without a dip", "0", "missing_transit"),
    ):
        if key in v:
            checks.append((label, float(v[key]), rule, name))
    check_rows = [
        (label, value, rule, "FAIL" if name in failed else "pass")
        for label, value, rule, name in checks
    ]
    parts = [
        html_table(rows),
        "<b>checks</b>",
        html_table(check_rows, header=("check", "value", "needs", "")),
    ]
    if len(result.planets) > 1:
        parts.append("<b>planets</b>")
        parts.append(
            html_table(
                [
                    (
                        f"{i + 1}",
                        f"{float(p.period.to_value('day')):.5f} d",
                        f"{float(p.depth) * 1e6:,.0f} ppm",
                        p.peak_significance,
                    )
                    for i, p in enumerate(result.planets)
                ],
                header=("#", "period", "depth", "peak significance"),
            )
        )
    folded = result.folded
    if folded is not None and len(folded):
        flux = np.asarray(folded.flux.value, dtype=float)
        x = folded.time_days() * 24.0
        ok = np.isfinite(flux)
        parts.append(
            _thumbnail(
                x[ok],
                flux[ok],
                xlabel="hours from mid-transit",
                ylabel="flux",
                title=f"folded on {period:.5f} d",
            )
        )
    title = "HuntResult: " + ("planet detected" if c.detected else "no planet detected")
    return _block(title, *parts)


#: Metrics shown first in a run's or report's view, in this order (others follow as stored).
HEADLINE = (
    "roc_auc",
    "accuracy",
    "balanced_accuracy",
    "f1",
    "recall",
    "precision",
    "rmse",
    "mae",
    "r2",
    "bin_accuracy",
    "under_bin_rate",
)
#: Most metrics listed in a run's or report's view (all are in its ``metrics``).
MAX_METRICS = 16


def _metrics_table(metrics: Mapping, where: str) -> str:
    """The headline metrics first, at most :data:`MAX_METRICS` rows, saying where the rest are."""
    rows = _flat_numbers(metrics)
    rows.sort(key=lambda kv: HEADLINE.index(kv[0]) if kv[0] in HEADLINE else len(HEADLINE))
    more = ""
    if len(rows) > MAX_METRICS:
        more = f" ({MAX_METRICS} of {len(rows)}; all in <code>{where}</code>)"
    return f"<b>metrics</b>{more}" + html_table(rows[:MAX_METRICS])


def _figure_gallery(figures: Iterable[tuple[str, Any]], *, width: int = 320) -> str:
    items = []
    for name, fig in figures:
        img = figure_img_html(fig, width=width if not hasattr(fig, "to_html") else None)
        if img:
            items.append(
                f'<div style="display:inline-block"><div>{html.escape(name)}</div>{img}</div>'
            )
    return '<div class="spacekit-figs">' + "".join(items) + "</div>" if items else ""


@_safe
def run_html(run: Any, *, max_figures: int = 6) -> str:
    """A run folder's notebook view: what it is, its parameters, metrics and PNG figures.

    Parameters
    ----------
    run : Run
        The run.
    max_figures : int
        Most figures shown.

    Returns
    -------
    str or None
        The HTML; None when rendering failed (a repr never raises).

    Examples
    --------
    >>> import tempfile
    >>> from spacekit.utils.runs import Run
    >>> run = Run.create("demo", "example", runs_dir=tempfile.mkdtemp())
    >>> run.write_metrics({"accuracy": 0.9})
    >>> "<th>accuracy</th><td>0.9</td>" in run_html(run)
    True
    """
    info = run.info
    rows = [
        ("app", info.get("app")),
        ("name", info.get("name")),
        ("created", info.get("created")),
        ("folder", str(run.path)),
        ("seed", info.get("seed")),
        ("spacekit", info.get("spacekit_version")),
        ("model", "yes" if run.model_dir.is_dir() else "no"),
        ("predictions", "yes" if run.predictions_path.is_file() else "no"),
    ]
    parts = [html_table([r for r in rows if r[1] is not None])]
    params = info.get("parameters") or {}
    if params:
        parts.append("<b>parameters</b>" + html_table(_flat_numbers(params)[:30]))
    metrics = _flat_numbers(run.metrics)
    if metrics:
        parts.append(_metrics_table(run.metrics, "run.metrics"))
    figures = run.figures()
    pngs = [p for p in figures if p.suffix == ".png"][:max_figures]
    parts.append(_figure_gallery((p.stem, p) for p in pngs))
    others = [p.name for p in figures if p.suffix != ".png"]
    if others:
        parts.append("<div>interactive figures: " + html.escape(", ".join(others)) + "</div>")
    return _block(f"Run {run.name}", *parts)


@_safe
def report_html(report: Any) -> str:
    """An evaluation report's notebook view: its metrics table and its figures.

    Parameters
    ----------
    report : Report
        The report.

    Returns
    -------
    str or None
        The HTML; None when rendering failed (a repr never raises).

    Examples
    --------
    >>> from spacekit.computer import compute
    >>> html_text = compute([0, 1, 1, 0], proba=[0.2, 0.9, 0.6, 0.4])._repr_html_()
    >>> "roc_auc" in html_text and "data:image/png" in html_text
    True
    """
    parts = [
        html_table([("task", report.task)] + ([("name", report.name)] if report.name else [])),
        _metrics_table(report.metrics, "report.metrics"),
        _figure_gallery(report.figures.items()),
    ]
    return _block(f"Report {report.name}".strip(), *parts)


@_safe
def trainer_html(trainer: Any) -> str:
    """A trainer's notebook view: its settings, those changed from the defaults first.

    Parameters
    ----------
    trainer : Trainer
        The trainer.

    Returns
    -------
    str or None
        The HTML; None when rendering failed (a repr never raises).

    Examples
    --------
    >>> from spacekit.builder import Trainer
    >>> "<th>epochs</th><td>3</td>" in Trainer(loss="mse", epochs=3)._repr_html_()
    True
    """
    rows = _settings(trainer)
    rows.sort(key=lambda r: r[2] != "set")
    return _block(type(trainer).__name__, html_table(rows, header=("setting", "value", "")))


def settings_repr(obj: Any) -> str:
    """``Name(key=value, ...)`` of the settings that differ from the defaults (a text repr for
    classes whose ``__init__`` stores its keywords, as scikit-learn's estimators do).

    Parameters
    ----------
    obj : object
        An estimator-like object.

    Returns
    -------
    str
        The repr.

    Examples
    --------
    >>> from spacekit.builder import Trainer
    >>> settings_repr(Trainer(loss="mse", epochs=3))
    "Trainer(loss='mse', epochs=3)"
    """
    try:
        values = []
        for name, _value, flag in _settings(obj):
            if flag:
                raw = getattr(obj, name)
                shown = repr(raw) if len(repr(raw)) <= 60 else f"<{type(raw).__name__}>"
                values.append(f"{name}={shown}")
        return f"{type(obj).__name__}({', '.join(values)})"
    except Exception:
        return object.__repr__(obj)


def _settings(obj: Any) -> list[tuple[str, Any, str]]:
    """``(name, value, "set" or "")`` for each keyword of ``obj.__init__`` stored under its own
    name (the scikit-learn estimator contract); "set" marks a value other than the default."""
    import inspect

    rows = []
    for name, param in inspect.signature(type(obj).__init__).parameters.items():
        if name == "self" or param.kind in (param.VAR_KEYWORD, param.VAR_POSITIONAL):
            continue
        if not hasattr(obj, name):
            continue
        value = getattr(obj, name)
        default = param.default is not inspect.Parameter.empty and _same(value, param.default)
        rows.append((name, _short(value), "" if default else "set"))
    return rows


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) if not hasattr(a, "shape") else a is b
    except Exception:
        return a is b


def _short(value: Any) -> Any:
    """A table-friendly stand-in for a fitted attribute or setting."""
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, Mapping):
        return "{" + ", ".join(map(str, list(value)[:8])) + ("...}" if len(value) > 8 else "}")
    if isinstance(value, (list, tuple)):
        if all(isinstance(v, (int, float, str)) for v in value[:8]):
            return ", ".join(map(str, value[:8])) + (" ..." if len(value) > 8 else "")
        return f"{len(value)} x {type(value[0]).__name__}" if value else "[]"
    shape = getattr(value, "shape", None)
    if shape is not None and shape != ():
        return f"{type(value).__name__} {tuple(shape)}"
    return type(value).__name__


#: Constructor arguments that are contents, not settings (shown elsewhere or too big).
_NOT_SETTINGS = ("metadata", "model", "models", "model_dir", "folder", "path", "boost")


@_safe
def model_html(model: Any) -> str:
    """An app model's notebook view: its settings, what fitting learned, its metadata or
    manifest (``model.json``) and the headline metrics stored with it.

    Parameters
    ----------
    model : object
        A model of one of the apps.

    Returns
    -------
    str or None
        The HTML; None when rendering failed (a repr never raises).

    Examples
    --------
    >>> class Toy:
    ...     def __init__(self, depth=2):
    ...         self.depth = depth
    >>> toy = Toy(); toy.coef_ = [0.5, 1.5]; toy.metadata = {"metrics": {"accuracy": 0.9}}
    >>> text = model_html(toy)
    >>> "<th>depth</th><td>2</td>" in text and "<th>accuracy</th><td>0.9</td>" in text
    True
    """
    parts = []
    settings = [(k, v) for k, v, _ in _settings(model) if k not in _NOT_SETTINGS]
    if settings:
        parts.append("<b>settings</b>" + html_table(settings))
    fitted = [
        (k, _short(v))
        for k, v in vars(model).items()
        if k.endswith("_") and not k.startswith("_") and k != "manifest_"
    ]
    if fitted:
        parts.append("<b>fitted</b>" + html_table(fitted))
    elif settings and not isinstance(getattr(model, "metadata", None), Mapping):
        parts.append("<div>not fitted</div>")
    doc = _model_document(model)
    metrics: list[tuple[str, Any]] = []
    if isinstance(doc, Mapping):
        plain, metrics = _document_rows(doc)
        if plain:
            parts.append("<b>model</b>" + html_table(plain[:25]))
    for attr in ("model_dir", "folder", "path"):
        if getattr(model, attr, None):
            parts.insert(0, html_table([(attr.replace("_", " "), str(getattr(model, attr)))]))
            break
    if metrics:
        parts.append("<b>metrics</b>" + html_table(metrics[:30]))
    return _block(type(model).__name__, *parts)


def _model_document(model: Any) -> Any:
    """The model folder's manifest (``model.json``) as a dict, else the model's metadata."""
    # a dict or an object with to_dict()
    doc = getattr(model, "manifest_", None) or getattr(model, "manifest", None)
    if hasattr(doc, "to_dict"):
        doc = doc.to_dict()
    elif callable(doc):
        doc = doc()
    if not isinstance(doc, Mapping):
        doc = getattr(model, "metadata", None)
    return doc


def _document_rows(doc: Mapping) -> tuple[list[tuple[str, Any]], list[tuple[str, Any]]]:
    """The plain entries of a manifest (with its ``source``) and its first metrics mapping."""
    plain = [(k, _short(v)) for k, v in doc.items() if not isinstance(v, Mapping)]
    for key in ("source",):
        if isinstance(doc.get(key), Mapping):
            plain.extend((f"{key} {k}", _short(v)) for k, v in doc[key].items())
    metrics: list[tuple[str, Any]] = []
    for key in ("headline_metrics", "metrics", "validation_metrics"):
        if isinstance(doc.get(key), Mapping):
            metrics = _flat_numbers(doc[key])
            break
    return plain, metrics

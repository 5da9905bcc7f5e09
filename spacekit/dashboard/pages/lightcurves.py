"""``/lightcurves``: pick a built-in light curve or upload one; a background job runs
:func:`spacekit.analyzer.planet_hunter` and the page shows the raw, detrended, periodogram
and folded views with the period found."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ...exceptions import InputError, SpacekitError
from .. import figures
from ..data import LIGHTCURVE_DATASETS
from ..uploads import decode_upload
from ._common import job_progress, labelled, progress_view

log = logging.getLogger(__name__)

_CSV_FORMATS = ["bkjd", "btjd", "bjd", "jd", "mjd"]


# -- the job -------------------------------------------------------------------
def read_source(source: Mapping[str, Any]) -> Any:
    """A LightCurve from ``{"dataset": name}`` or ``{"path": a file the server holds,
    "filename": name, "time_format": fmt}`` (an upload kept by the app's upload store)."""
    if source.get("dataset"):
        from ...datasets import load

        return load(source["dataset"])
    path = source.get("path")
    if not path:
        raise InputError("pick a built-in light curve or upload a FITS/csv light curve file")
    from ...transformer import read_lightcurve

    path = Path(path)
    filename = source.get("filename") or path.name
    try:
        with open(path, "rb") as fh:
            head = fh.read(6)
    except OSError:
        raise InputError(
            f"the upload {filename!r} is no longer held by the dashboard; upload it again"
        ) from None
    suffix = "".join(path.suffixes[-2:])
    is_fits = head == b"SIMPLE" or suffix.lower().startswith((".fits", ".fit"))
    fmt = None if is_fits else (source.get("time_format") or "bkjd")
    lc = read_lightcurve(path, time_format=fmt)
    if not lc.meta.get("target"):
        lc.meta["target"] = Path(filename).name.split(".")[0]
    return lc


def _value(obj: Any, *names: str) -> Any:
    for name in names:
        if isinstance(obj, Mapping) and name in obj:
            return obj[name]
        if name in (getattr(obj, "colnames", None) or ()):  # an astropy Table
            return obj[name]
        if hasattr(obj, name):
            return getattr(obj, name)
    return None


def _days(q: Any) -> float | None:
    if q is None:
        return None
    if hasattr(q, "to_value"):
        try:
            return float(q.to_value("day"))
        except Exception:  # noqa: BLE001 - not a time quantity
            return float(q.value)
    return float(q)


def summarize_result(result: Any) -> dict[str, Any]:
    """Plain numbers from a HuntResult: period and duration in days, epoch as JD, depth,
    peak significance (the search statistic, formerly misnamed SDE), detected, and one row
    per planet."""

    def one(r: Any) -> dict[str, Any]:
        epoch = _value(r, "epoch")
        duration = _days(_value(r, "duration"))
        depth = _value(r, "depth")
        significance = _value(r, "peak_significance", "sde")
        return {
            "period_days": _days(_value(r, "period")),
            "epoch_jd": float(epoch.jd) if hasattr(epoch, "jd") else epoch,
            "duration_hours": None if duration is None else duration * 24.0,
            "depth": None if depth is None else float(np.asarray(getattr(depth, "value", depth))),
            "peak_significance": None if significance is None else float(significance),
            "snr": None if _value(r, "snr") is None else float(_value(r, "snr")),
            "detected": bool(_value(r, "detected")),
        }

    summary = one(result)
    summary["vetting"] = vetting_reasons(result)
    planets = _value(result, "planets") or []
    summary["planets"] = [one(p) for p in planets] if len(planets) > 1 else []
    return summary


def vetting_reasons(result: Any) -> list[str]:
    """Why the best signal of a search is not a detection: one sentence per failed check.

    Reads the candidate's ``vetting`` values (:func:`spacekit.analyzer.hunt.vet_transit`) and
    the search's thresholds; empty when every check passes.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> cand = NS(peak_significance=5.0, snr=3.0, vetting={"n_transits": 1,
    ...     "single_event_fraction": 1.0, "bump_ratio": 0.0, "oot_structure": 0.0})
    >>> [r.split(" ")[0] for r in vetting_reasons(NS(candidate=cand, threshold=9.0))]
    ['peak', 'red-noise', 'only', 'one']
    """
    from ...analyzer.hunt import SIGNIFICANCE_THRESHOLD, SNR_THRESHOLD

    cand = _value(result, "candidate")
    cand = result if cand is None else cand
    vet = _value(cand, "vetting")
    vet = vet if isinstance(vet, Mapping) else {}
    threshold = _value(result, "threshold")
    threshold = SIGNIFICANCE_THRESHOLD if threshold is None else float(threshold)

    def num(value: Any) -> float | None:
        try:
            return None if value is None else float(value)
        except (TypeError, ValueError):
            return None

    reasons = []
    significance = num(_value(cand, "peak_significance", "sde"))
    if significance is not None and significance < threshold:
        reasons.append(
            f"peak significance {significance:.1f} is below the detection threshold "
            f"{threshold:g}: the periodogram peak does not stand out from the noise"
        )
    snr = num(vet.get("snr", _value(cand, "snr")))
    if snr is not None and snr < SNR_THRESHOLD:
        reasons.append(
            f"red-noise SNR {snr:.1f} is below {SNR_THRESHOLD:g}: the dip is not deeper than "
            "the noise on the transit's time scale"
        )
    n = num(vet.get("n_transits"))
    if n is not None and n < 2:
        reasons.append(f"only {n:.0f} transit falls on data: a period needs at least two transits")
    single = num(vet.get("single_event_fraction"))
    if single is not None and single > 0.8:
        reasons.append(
            f"one transit carries {single:.0%} of the summed depth (limit 80%): a single "
            "event, not a periodic signal"
        )
    bump = num(vet.get("bump_ratio"))
    if bump is not None and bump >= 0.5:
        reasons.append(
            f"a rise at the same period is {bump:.0%} as large as the dip (limit 50%): "
            "stellar variability rather than a transit"
        )
    oot = num(vet.get("oot_structure"))
    if oot is not None and oot >= 0.2:
        reasons.append(
            f"the folded light curve is not flat away from the transit (structure "
            f"{oot:.0%} of the depth, limit 20%): stellar variability rather than a transit"
        )
    return reasons


def _periodogram_figure(result: Any) -> Any:
    go = figures._go()
    pg = _value(result, "periodogram")
    x = _value(pg, "period", "periods") if pg is not None else None
    y = None
    for key in ("significance", "sde", "power"):
        if pg is not None and key in getattr(pg, "colnames", pg):
            y, ylabel = pg[key], key
            break
    if x is None or y is None:
        return None
    x = np.asarray(getattr(x, "value", x), dtype=float)
    y = np.asarray(getattr(y, "value", y), dtype=float)
    fig = go.Figure(go.Scatter(x=x, y=y, mode="lines", name=ylabel, line={"color": "#204a87"}))
    period = _days(_value(result, "period"))
    if period:
        fig.add_vline(
            x=period, line_dash="dot", line_color="#cc0000", annotation_text=f"{period:.4f} d"
        )
    fig.update_layout(
        template="plotly_white",
        title="Periodogram",
        xaxis_title="period (days)",
        yaxis_title="peak significance" if ylabel in ("significance", "sde") else ylabel,
        height=340,
    )
    return fig


def _folded_figure(result: Any) -> Any:
    folded = _value(result, "folded")
    if folded is None or not hasattr(folded, "time_days"):
        return None
    hours = folded.time_days() * 24.0
    period = _days(_value(result, "period"))
    fig = figures.lightcurve_figure(
        hours, folded.flux.value, title=f"Folded at {period:.5f} d" if period else "Folded"
    )
    fig.update_layout(xaxis_title="hours from mid-transit")
    duration = _days(_value(result, "duration"))
    if duration and period:  # zoom on the transit: five durations, at most the whole period
        half = min(2.5 * duration, period / 2) * 24.0
        fig.update_xaxes(range=[-half, half])
    return fig


def _series_figure(lc: Any, title: str) -> Any:
    if lc is None or not hasattr(lc, "time_days"):
        return None
    fig = figures.lightcurve_figure(lc.time_days(), lc.flux.value, title=title)
    fig.update_layout(xaxis_title="days since the first cadence")
    return fig


def hunt_job(report: Any, source: dict, engine: str, max_planets: int, window: float) -> dict:
    """Background job: read, search (planet_hunter detrends), draw. Returns summary and
    figures (raw, detrended, periodogram, folded)."""
    from ...analyzer import planet_hunter

    report(0.05, "reading the light curve")
    lc = read_source(source)
    report(
        0.2,
        f"detrending ({window:g}-day window) and searching for periods ({engine}); "
        "this is the long step",
    )
    result = planet_hunter(
        lc, max_planets=max_planets, engine=engine, window=window, progress=False
    )
    report(0.85, "drawing the light curves, periodogram and folded transit")
    raw = _value(result, "raw")
    figs = {
        "raw": _series_figure(
            raw if raw is not None else lc.remove_nans().normalize(), "Raw (normalised)"
        ),
        "detrended": _series_figure(_value(result, "flattened"), "Detrended (searched)"),
        "periodogram": _periodogram_figure(result),
        "folded": _folded_figure(result),
    }
    if any(f is None for f in figs.values()):
        from ...analyzer import plot_hunt

        figs["planet_hunter"] = plot_hunt(result, backend="plotly")
    return {
        "target": str(lc.meta.get("target") or source.get("dataset") or "light curve"),
        "n_points": len(lc),
        "summary": summarize_result(result),
        "figures": figs,
    }


# -- layout ----------------------------------------------------------------------
def layout(ctx: Any, query: dict | None = None) -> Any:
    from dash import dcc, html

    controls = html.Div(
        [
            labelled(
                "built-in light curve",
                dcc.Dropdown(
                    id="lc-dataset",
                    value="lc_hat_p_7",
                    style={"minWidth": "340px"},
                    options=[
                        {"label": f"{k} — {v}", "value": k} for k, v in LIGHTCURVE_DATASETS.items()
                    ],
                ),
            ),
            labelled(
                "search engine",
                dcc.RadioItems(
                    id="lc-engine",
                    value="bls",
                    inline=True,
                    options=[
                        {"label": "BLS (fast)", "value": "bls"},
                        {"label": "TLS (slow, sensitive)", "value": "tls"},
                    ],
                ),
            ),
            labelled(
                "planets",
                dcc.Input(
                    id="lc-max-planets",
                    type="number",
                    value=1,
                    min=1,
                    max=5,
                    step=1,
                    style={"width": "5rem"},
                ),
            ),
            labelled(
                "detrend window (days)",
                dcc.Input(
                    id="lc-window",
                    type="number",
                    value=1.0,
                    min=0.1,
                    step=0.1,
                    style={"width": "6rem"},
                ),
            ),
            labelled(
                "csv time system",
                dcc.Dropdown(
                    id="lc-time-format", value="bkjd", options=_CSV_FORMATS, clearable=False
                ),
            ),
        ],
        className="controls",
    )
    return html.Div(
        [
            html.H2("Light curves"),
            html.Div(
                [
                    controls,
                    dcc.Upload(
                        html.Div(
                            [
                                "Or drop a light curve here (Kepler/K2/TESS FITS, or a "
                                "csv of time, flux[, flux_err])"
                            ]
                        ),
                        id="lc-upload",
                        className="upload",
                        style={"marginTop": "0.6rem"},
                    ),
                    html.Div(id="lc-source", className="muted", style={"margin": "0.4rem 0"}),
                    html.Button("Search for transits", id="lc-run"),
                    *job_progress("lc"),
                ],
                className="card",
            ),
            html.Div(id="lc-error", className="error"),
            html.Div(id="lc-result"),
            dcc.Store(id="lc-upload-store"),
        ],
        id="lightcurves-page",
    )


def result_view(out: dict) -> Any:
    import pandas as pd
    from dash import dcc, html

    from ._common import data_table

    s = out["summary"]

    def stat(label, value, fmt, elem_id):
        text = "—" if value is None else fmt.format(value)
        return html.Div(
            [html.Div(label, className="muted"), html.Div(text, className="big-number", id=elem_id)]
        )

    stats = html.Div(
        [
            stat("period (days)", s["period_days"], "{:.5f}", "lc-period"),
            stat("duration (hours)", s["duration_hours"], "{:.2f}", "lc-duration"),
            stat("depth", s["depth"], "{:.3g}", "lc-depth"),
            stat("significance", s["peak_significance"], "{:.1f}", "lc-sde"),
            stat("detected", "yes" if s["detected"] else "no", "{}", "lc-detected"),
        ],
        className="stats",
    )
    parts = [html.H3(f"{out['target']} · {out['n_points']:,} points"), stats]
    if not s["detected"]:
        reasons = s.get("vetting") or [
            "the search's checks did not all pass (no vetting details were recorded)"
        ]
        parts.append(
            html.Div(
                [
                    html.B("Not detected: "),
                    "the strongest signal (the period shown) fails these checks:",
                    html.Ul([html.Li(r) for r in reasons]),
                ],
                id="lc-vetting",
                className="note",
            )
        )
    if s["planets"]:
        parts.append(data_table(pd.DataFrame(s["planets"]), table_id="lc-planets"))
    graphs = [
        html.Div(
            dcc.Graph(id=f"lc-graph-{name}", figure=fig, config={"displaylogo": False}),
            className="col",
        )
        for name, fig in out["figures"].items()
        if fig is not None
    ]
    return html.Div([html.Div(parts, className="card"), html.Div(graphs, className="row card")])


# -- callbacks -------------------------------------------------------------------
def register(app: Any, ctx: Any) -> None:
    """Register the page's callbacks: the light-curve source, then the search."""
    _register_source(app, ctx)
    _register_search(app, ctx)


def _register_source(app: Any, ctx: Any) -> None:
    """Callbacks that choose the light curve: an upload or a built-in one."""
    from dash import Input, Output, State, no_update

    @app.callback(
        Output("lc-upload-store", "data"),
        Output("lc-source", "children"),
        Output("lc-dataset", "value"),
        Output("lc-error", "children", allow_duplicate=True),
        Input("lc-upload", "contents"),
        State("lc-upload", "filename"),
        prevent_initial_call=True,
    )
    def _uploaded(contents, filename):
        # The file stays on the server: the page holds a token, and nothing of the upload is
        # sent back (the response is a few hundred bytes whatever the file's size).
        try:
            raw = decode_upload(contents, filename, max_bytes=ctx.max_upload_bytes)
        except SpacekitError as exc:
            return None, "", no_update, str(exc)
        name = filename if isinstance(filename, str) else "upload"
        token = ctx.uploads.put(name, raw)
        return (
            {"token": token, "filename": Path(name).name},
            f"uploaded {Path(name).name} ({len(raw) / 1e6:.2f} MB): it will be searched",
            None,
            "",
        )

    @app.callback(
        Output("lc-upload-store", "data", allow_duplicate=True),
        Output("lc-source", "children", allow_duplicate=True),
        Input("lc-dataset", "value"),
        prevent_initial_call=True,
    )
    def _picked(dataset):
        if dataset:
            return None, f"built-in: {dataset}"
        return no_update, no_update


def _register_search(app: Any, ctx: Any) -> None:
    """Callbacks that start the planet search as a job and poll it."""
    from dash import Input, Output, State, no_update

    @app.callback(
        Output("lc-job", "data"),
        Output("lc-poll", "disabled"),
        Output("lc-run", "disabled"),
        Output("lc-error", "children"),
        Input("lc-run", "n_clicks"),
        State("lc-dataset", "value"),
        State("lc-upload-store", "data"),
        State("lc-engine", "value"),
        State("lc-max-planets", "value"),
        State("lc-window", "value"),
        State("lc-time-format", "value"),
        prevent_initial_call=True,
    )
    def _start(_, dataset, upload, engine, max_planets, window, time_format):
        if dataset and isinstance(dataset, str):
            if dataset not in LIGHTCURVE_DATASETS:
                return no_update, True, False, f"unknown light curve {dataset!r}; pick one listed"
            source = {"dataset": dataset}
        elif isinstance(upload, dict) and upload.get("token"):
            try:
                path = ctx.uploads.path(upload.get("token"))
            except SpacekitError as exc:
                return no_update, True, False, str(exc)
            source = {
                "path": str(path),
                "filename": str(upload.get("filename") or path.name),
                "time_format": time_format if time_format in _CSV_FORMATS else "bkjd",
            }
        else:
            return no_update, True, False, "Pick a built-in light curve or upload one first."
        try:
            n = int(max_planets or 1)
            w = float(window or 1.0)
        except (TypeError, ValueError):
            return no_update, True, False, "planets must be a whole number, window a number"
        if not 1 <= n <= 5 or w <= 0:
            return (
                no_update,
                True,
                False,
                f"expected 1-5 planets and a positive window, got {n}, {w}",
            )
        engine = engine if engine in ("bls", "tls") else "bls"
        job = ctx.jobs.submit(hunt_job, source, engine, n, w, label="planet_hunter")
        return job, False, True, ""

    @app.callback(
        Output("lc-progress", "style"),
        Output("lc-bar", "value"),
        Output("lc-status", "children"),
        Output("lc-poll", "disabled", allow_duplicate=True),
        Output("lc-run", "disabled", allow_duplicate=True),
        Output("lc-result", "children"),
        Input("lc-poll", "n_intervals"),
        State("lc-job", "data"),
        prevent_initial_call=True,
    )
    def _poll(_, job):
        try:
            snap = ctx.jobs.status(job)
        except SpacekitError as exc:
            return {"display": "block"}, "0", str(exc), True, False, no_update
        style, bar, text = progress_view(snap)
        if snap["state"] == "done":
            return style, bar, text, True, False, result_view(snap["result"])
        if snap["state"] == "failed":
            return style, bar, text, True, False, html_error(snap["error"])
        return style, bar, text, False, True, no_update


def html_error(message: str) -> Any:
    from dash import html

    return html.Div(message, className="error card", id="lc-failed")

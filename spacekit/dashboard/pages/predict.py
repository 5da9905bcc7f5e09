"""``/predict``: HST calibration resources from the nine job inputs (typed in, or read from
an uploaded ``<ipst>_MemModelFeatures.txt``); SVM image preview of a visit's three frames."""

from __future__ import annotations

import base64
import logging
import math
from pathlib import Path
from typing import Any

from ...exceptions import FormatError, InputError, SpacekitError
from .. import figures
from ..data import load_svm_images, model_runs, run_label
from ._common import data_table, job_progress, labelled, progress_view

log = logging.getLogger(__name__)

APP = "hst_cal"
TRAINING_DATA = "hst_cal_2021_05_11"
BIN_LABELS = ["0: <1.8 GB", "1: <7.2 GB", "2: <14.3 GB", "3: >=14.3 GB"]
DETECTORS = ["UVIS", "WFC", "IR", "HRC", "SBC", "NUV", "FUV", "NUV-MAMA", "FUV-MAMA", "CCD"]
SVM_FRAMES = ["drizzled image", "point + segment catalogs", "Gaia sources"]
_INSTR = {"j": "ACS (0)", "l": "COS (1)", "o": "STIS (2)", "i": "WFC3 (3)"}
DEFAULT_INPUTS = {
    "ipst": "ic0k06010",
    "n_files": 2,
    "total_mb": 4.0,
    "detector": "UVIS",
    "subarray": "False",
    "drizcorr": "PERFORM",
    "pctecorr": "PERFORM",
    "crsplit": "1",
}


# -- models --------------------------------------------------------------------
def model_choices(ctx: Any) -> list[dict[str, str]]:
    """Trained HST calibration models: the runs folder's ``hst_cal`` runs with a ``model/``."""
    return [
        {"label": run_label(r), "value": str(r.model_dir)} for r in model_runs(ctx.runs_dir, APP)
    ]


def get_predictor(ctx: Any, model_dir: str) -> Any:
    """The predictor of a model folder (loaded once per app)."""
    from ...skopes.hst.cal import load_predictor

    return ctx.cached(f"predictor:{model_dir}", lambda: load_predictor(model_dir))


def train_quick_model(report: Any, runs_dir: Path) -> str:
    """Background job: train a fast HST calibration model into ``runs_dir``; return its
    model folder."""
    from ...skopes.hst.cal import train

    report(0.1, "loading hst_cal_2021_05_11 and training (fast mode: small tree models)")
    out = train(TRAINING_DATA, runs_dir, seed=0, fast=True, name="dashboard-quick")
    report(0.95, "saving")
    path = Path(getattr(out, "path", out))
    return str(path / "model" if (path / "model").is_dir() else path)


def features_from_form(values: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(ipst, MemModelFeatures mapping) from the form values; checks the numbers."""
    ipst = str(values.get("ipst") or "").strip().lower()
    if len(ipst) != 9:
        raise InputError(
            f"the dataset name (ipppssoot) must have 9 characters like 'ic0k06010', got {ipst!r}"
        )
    try:
        n_files = int(values.get("n_files"))
        total_mb = float(values.get("total_mb"))
    except (TypeError, ValueError):
        raise InputError(
            "n_files must be a whole number and total_mb a number of MB; "
            f"got {values.get('n_files')!r} and {values.get('total_mb')!r}"
        ) from None
    if n_files < 1 or not math.isfinite(total_mb) or total_mb < 0:
        raise InputError(f"expected n_files >= 1 and total_mb >= 0, got {n_files} and {total_mb}")
    mapping = {
        "n_files": n_files,
        "total_mb": total_mb,
        "DETECTOR": values.get("detector") or "",
        "SUBARRAY": values.get("subarray") or "False",
        "DRIZCORR": values.get("drizcorr") or "",
        "PCTECORR": values.get("pctecorr") or "",
        "CRSPLIT": values.get("crsplit") or "NaN",
    }
    return ipst, {k: v for k, v in mapping.items() if v != ""}


def parse_upload(contents: str, filename: str | None) -> dict[str, Any]:
    """Form values from an uploaded MemModelFeatures file (``key=value`` lines)."""
    from ...skopes.hst.cal import memmodel_pairs

    label = filename or "the upload"
    try:
        raw = base64.b64decode(contents.split(",", 1)[1])
    except (IndexError, ValueError):
        raise FormatError(
            f"{label} is not a text MemModelFeatures file (expected key=value lines)"
        ) from None
    try:  # the pipeline's own reading (BOM, comments, repeated keys)
        pairs = memmodel_pairs(raw, label)
    except InputError as exc:
        raise FormatError(str(exc)) from None
    if not {"n_files", "total_mb"} <= set(pairs):
        raise FormatError(
            f"{label} lacks n_files/total_mb lines; a MemModelFeatures file "
            f"has lines like 'n_files=2' and 'total_mb=4.0'; found keys {sorted(pairs)}"
        )
    values = dict(DEFAULT_INPUTS)
    values.update(
        n_files=pairs["n_files"],
        total_mb=pairs["total_mb"],
        detector=pairs.get("DETECTOR", ""),
        subarray=pairs.get("SUBARRAY", "False"),
        drizcorr=pairs.get("DRIZCORR", "OMIT"),
        pctecorr=pairs.get("PCTECORR", "OMIT"),
        crsplit=pairs.get("CRSPLIT", "NaN"),
    )
    stem = Path(filename or "").name.split("_")[0].lower()
    if len(stem) == 9:
        values["ipst"] = stem
    return values


def _probabilities(result: dict) -> list[float] | None:
    for key in ("memBinProba", "memBin_proba", "probabilities", "proba", "bin_probabilities"):
        if key in result:
            return [float(v) for v in result[key]]
    for value in result.values():
        if isinstance(value, (list, tuple)) and len(value) == 4:
            try:
                return [float(v) for v in value]
            except (TypeError, ValueError):
                continue
    return None


def _fmt(value: Any, fmt: str) -> str:
    return fmt.format(value) if isinstance(value, (int, float)) else "—"


def result_view(ipst: str, result: dict) -> Any:
    """The prediction: headline numbers with their safety margins, bin probabilities, the
    parsed features and every returned value."""
    import pandas as pd
    from dash import dcc, html

    def stat(label: str, text: str, elem_id: str, note: str = "") -> Any:
        return html.Div(
            [
                html.Div(label, className="muted"),
                html.Div(text, className="big-number", id=elem_id),
                html.Div(note, className="muted"),
            ]
        )

    r = result
    queue = f"{r['queueGB']} GB queue" if "queueGB" in r else ""
    argmax = (
        (
            f"most likely bin {r['memBinArgmax']}; safe bin keeps under-binning ≤ "
            f"{_fmt(r.get('underBinTarget'), '{:.1%}')}"
        )
        if "memBinArgmax" in r
        else ""
    )
    headline = html.Div(
        [
            stat(
                "memory bin (submitted)",
                _fmt(r.get("memBin"), "{}"),
                "pred-membin",
                f"{queue} · {argmax}".strip(" ·"),
            ),
            stat(
                "memory (GB)",
                _fmt(r.get("memVal"), "{:.2f}"),
                "pred-memval",
                f"upper bound with margin: {_fmt(r.get('memUpper'), '{:.2f}')} GB"
                if "memUpper" in r
                else "",
            ),
            stat(
                "wallclock kill time (s)",
                _fmt(r.get("killTime", r.get("clockTime")), "{:,.0f}"),
                "pred-clocktime",
                f"point estimate {_fmt(r.get('clockTimePred'), '{:,.0f}')} s; covers "
                f"{_fmt(r.get('killTimeCoverage'), '{:.1%}')} of held-out jobs"
                if "clockTimePred" in r
                else "",
            ),
        ],
        className="stats",
    )
    parts = [html.H3(f"Prediction for {ipst}"), headline]
    proba = _probabilities(r)
    if proba is not None:
        parts.append(
            dcc.Graph(
                id="pred-proba",
                config={"displaylogo": False},
                figure=figures.class_probability_figure(proba, BIN_LABELS),
            )
        )
    feats = r.get("features")
    if isinstance(feats, dict):
        parts += [
            html.H4("The nine model inputs"),
            data_table(pd.DataFrame([feats]), table_id="pred-features"),
        ]
    rows = [
        {"output": k, "value": v if isinstance(v, (int, float, str)) else str(v)}
        for k, v in r.items()
        if k != "features"
    ]
    parts += [
        html.Details(
            [html.Summary("All outputs"), data_table(pd.DataFrame(rows), table_id="pred-table")]
        )
    ]
    return html.Div(parts, id="pred-result")


# -- layout ----------------------------------------------------------------------
def _hst_section(ctx: Any) -> Any:
    from dash import dcc, html

    choices = model_choices(ctx)
    d = DEFAULT_INPUTS
    form = html.Div(
        [
            labelled(
                "dataset (ipppssoot)",
                dcc.Input(id="pred-ipst", value=d["ipst"], type="text", debounce=True),
            ),
            labelled(
                "n_files",
                dcc.Input(id="pred-n-files", value=d["n_files"], type="number", min=1, step=1),
            ),
            labelled(
                "total_mb", dcc.Input(id="pred-total-mb", value=d["total_mb"], type="number", min=0)
            ),
            labelled(
                "DETECTOR",
                dcc.Input(
                    id="pred-detector",
                    value=d["detector"],
                    type="text",
                    list="pred-detectors",
                    style={"width": "8rem"},
                ),
            ),
            labelled(
                "SUBARRAY",
                dcc.Dropdown(
                    id="pred-subarray",
                    options=["False", "True"],
                    value=d["subarray"],
                    clearable=False,
                ),
            ),
            labelled(
                "DRIZCORR",
                dcc.Dropdown(
                    id="pred-drizcorr", options=["PERFORM", "OMIT", ""], value=d["drizcorr"]
                ),
            ),
            labelled(
                "PCTECORR",
                dcc.Dropdown(
                    id="pred-pctecorr", options=["PERFORM", "OMIT", ""], value=d["pctecorr"]
                ),
            ),
            labelled(
                "CRSPLIT",
                dcc.Input(
                    id="pred-crsplit",
                    value=d["crsplit"],
                    type="text",
                    list="pred-crsplits",
                    style={"width": "6rem"},
                ),
            ),
            html.Datalist([html.Option(value=v) for v in DETECTORS], id="pred-detectors"),
            html.Datalist([html.Option(value=v) for v in ("NaN", "1", "2")], id="pred-crsplits"),
        ],
        className="controls",
    )
    return html.Div(
        [
            html.H3("HST calibration: memory bin, memory and wallclock"),
            html.Div(
                [
                    labelled(
                        "model",
                        dcc.Dropdown(
                            id="pred-model",
                            options=choices,
                            value=choices[0]["value"] if choices else None,
                            placeholder="no trained hst_cal model in the runs folder",
                            style={"minWidth": "420px"},
                        ),
                    ),
                    html.Button("Train a quick model", id="pred-train"),
                    *job_progress("pred-train"),
                ],
                className="controls",
            ),
            html.P(
                "The nine model inputs are these seven keys plus dtype and instr, which "
                "come from the dataset name.",
                className="muted",
            ),
            form,
            html.Div(id="pred-derived", className="muted", style={"margin": "0.5rem 0"}),
            dcc.Upload(
                html.Div(
                    [
                        "Or drop a ",
                        html.B("<ipst>_MemModelFeatures.txt"),
                        " file here to fill the form",
                    ]
                ),
                id="pred-upload",
                className="upload",
            ),
            html.Div(html.Button("Predict", id="pred-submit"), style={"marginTop": "0.6rem"}),
            html.Div(id="pred-error", className="error"),
            dcc.Loading(html.Div(id="pred-output")),
        ],
        className="card",
    )


def _svm_section() -> Any:
    from dash import dcc, html

    return html.Div(
        [
            html.H3("SVM alignment: a visit's three frames"),
            labelled("visit", dcc.Dropdown(id="svm-visit", style={"minWidth": "380px"})),
            html.Div(id="svm-error", className="error"),
            dcc.Loading(dcc.Graph(id="svm-images", config={"displaylogo": False})),
        ],
        className="card",
    )


def layout(ctx: Any) -> Any:
    from dash import html

    return html.Div([html.H2("Predict"), _hst_section(ctx), _svm_section()], id="predict-page")


# -- callbacks -------------------------------------------------------------------
def register(app: Any, ctx: Any) -> None:
    from dash import Input, Output, State, no_update

    form_ids = [
        "pred-ipst",
        "pred-n-files",
        "pred-total-mb",
        "pred-detector",
        "pred-subarray",
        "pred-drizcorr",
        "pred-pctecorr",
        "pred-crsplit",
    ]
    keys = [
        "ipst",
        "n_files",
        "total_mb",
        "detector",
        "subarray",
        "drizcorr",
        "pctecorr",
        "crsplit",
    ]

    @app.callback(
        *[Output(i, "value") for i in form_ids],
        Output("pred-error", "children", allow_duplicate=True),
        Input("pred-upload", "contents"),
        State("pred-upload", "filename"),
        prevent_initial_call=True,
    )
    def _fill_from_upload(contents, filename):
        try:
            values = parse_upload(contents, filename)
        except SpacekitError as exc:
            return (*[no_update] * len(form_ids), str(exc))
        return (*[values[k] for k in keys], "")

    @app.callback(Output("pred-derived", "children"), Input("pred-ipst", "value"))
    def _derived(ipst):
        ipst = str(ipst or "").strip().lower()
        if not ipst:
            return ""
        instr = _INSTR.get(ipst[0], "not an HST calibration dataset")
        dtype = "association (1)" if ipst.endswith("0") else "single exposure (0)"
        return f"instr = {instr} · dtype = {dtype}"

    @app.callback(
        Output("pred-output", "children"),
        Output("pred-error", "children"),
        Input("pred-submit", "n_clicks"),
        State("pred-model", "value"),
        *[State(i, "value") for i in form_ids],
        prevent_initial_call=True,
    )
    def _predict(_, model_dir, *values):
        if not model_dir:
            return "", (
                "No model selected: train a quick model above, or start the dashboard "
                "with --runs pointing at runs holding an hst_cal model."
            )
        try:
            ipst, features = features_from_form(dict(zip(keys, values, strict=True)))
            result = get_predictor(ctx, model_dir).predict(ipst, features)
        except SpacekitError as exc:
            return "", str(exc)
        return result_view(ipst, dict(result)), ""

    @app.callback(
        Output("pred-train-job", "data"),
        Output("pred-train-poll", "disabled"),
        Output("pred-train", "disabled"),
        Input("pred-train", "n_clicks"),
        prevent_initial_call=True,
    )
    def _start_training(_):
        job = ctx.jobs.submit(train_quick_model, ctx.runs_dir, label="hst_cal quick model")
        return job, False, True

    @app.callback(
        Output("pred-train-progress", "style"),
        Output("pred-train-bar", "value"),
        Output("pred-train-status", "children"),
        Output("pred-train-poll", "disabled", allow_duplicate=True),
        Output("pred-train", "disabled", allow_duplicate=True),
        Output("pred-model", "options"),
        Output("pred-model", "value"),
        Input("pred-train-poll", "n_intervals"),
        State("pred-train-job", "data"),
        prevent_initial_call=True,
    )
    def _poll_training(_, job):
        try:
            snap = ctx.jobs.status(job)
        except SpacekitError as exc:
            return {"display": "block"}, "0", str(exc), True, False, no_update, no_update
        style, bar, text = progress_view(snap)
        if snap["state"] == "done":
            return (style, bar, text, True, False, model_choices(ctx), snap["result"])
        if snap["state"] == "failed":
            return style, bar, text, True, False, no_update, no_update
        return style, bar, text, False, True, no_update, no_update

    @app.callback(
        Output("svm-visit", "options"),
        Output("svm-visit", "value"),
        Output("svm-error", "children"),
        Input("svm-visit", "id"),
    )
    def _svm_visits(_):
        try:
            images = ctx.cached("svm-images", load_svm_images)
        except SpacekitError as exc:
            return [], None, f"cannot load the SVM image samples: {exc}"
        visits = list(images)
        return visits, visits[0] if visits else None, ""

    @app.callback(Output("svm-images", "figure"), Input("svm-visit", "value"))
    def _svm_images(visit):
        if not visit:
            return figures.empty_figure("pick a visit")
        images = ctx.cached("svm-images", load_svm_images)
        return figures.image_triplet_figure(images[visit], SVM_FRAMES)

"""``/predict``: HST calibration resources from the nine job inputs (typed in, or read from
an uploaded ``<ipst>_MemModelFeatures.txt``); SVM image preview of a visit's three frames."""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path
from typing import Any

from ...exceptions import FormatError, InputError, SpacekitError
from .. import figures
from ..data import (
    check_model_folder,
    load_svm_images,
    memory_bin_labels,
    model_runs,
    run_id,
    run_label,
)
from ..uploads import decode_upload
from ._common import data_table, job_progress, labelled, progress_view

log = logging.getLogger(__name__)

APP = "hst_cal"
SVM_APP = "hst_svm"
SVM_TABLE = "svm_labeled_2021_07_28"
TRAINING_DATA = "hst_cal_2021_05_11"
#: A MemModelFeatures file is about 100 bytes; a larger upload is refused before decoding.
MAX_FEATURES_BYTES = 64 * 1024
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
def shipped_model_dir(app: str = APP) -> Path | None:
    """The default model folder the server was given for ``app`` (not chosen by a page).

    For hst_cal: ``$SPACEKIT_HST_CAL_MODEL_DIR``, else ``<conf.model_dir>/hst_cal`` (as
    :func:`~spacekit.skopes.hst.cal.load_predictor` without a folder), when it holds a model.
    """
    if app != APP:
        return None
    from ...skopes.hst import cal

    finder = getattr(cal, "default_model_dir", None)
    if callable(finder):
        try:
            found = finder()
        except SpacekitError:
            found = None
        if found and (Path(found) / "metadata.json").is_file():
            return Path(found)
    folder = os.environ.get("SPACEKIT_HST_CAL_MODEL_DIR")
    if not folder:
        from ...config import conf

        base = conf.model_dir or (Path(conf.cache_dir or "~/.cache/spacekit") / "models")
        folder = str(Path(base) / "hst_cal")
    if "://" in folder:
        return None
    path = Path(folder).expanduser()
    return path if (path / "metadata.json").is_file() else None


def model_options(ctx: Any, app: str = APP) -> dict[str, tuple[str, Path]]:
    """The models a page may use: ``{choice key: (label, model folder)}``.

    Only what the runs folder lists (runs of ``app`` holding a ``model/``, keyed
    ``run:<app>/<run folder>``) plus the shipped default (``default:<app>``); a page sends a
    key, never a path, and :func:`model_folder_for` accepts nothing else.
    """
    options: dict[str, tuple[str, Path]] = {
        f"run:{run_id(r, ctx.runs_dir)}": (run_label(r), r.model_dir)
        for r in model_runs(ctx.runs_dir, app)
    }
    shipped = shipped_model_dir(app)
    if shipped is not None:
        options[f"default:{app}"] = (f"shipped default {app} model", shipped)
    return options


def model_choices(ctx: Any, app: str = APP) -> list[dict[str, str]]:
    """Dropdown options of :func:`model_options` (label and key)."""
    return [{"label": label, "value": key} for key, (label, _) in model_options(ctx, app).items()]


def model_folder_for(ctx: Any, choice: Any, app: str = APP) -> Path:
    """The checked model folder of a listed choice; any other value is an InputError.

    The folder is checked with :func:`~spacekit.dashboard.data.check_model_folder` (no link
    or metadata entry leads outside it) before a loader opens any file.
    """
    if not isinstance(choice, str):
        raise InputError(
            f"the model should be one of the listed choices (a name like "
            f"'run:{app}/<run folder>'), got a {type(choice).__name__}; pick a model from the list"
        )
    options = model_options(ctx, app)
    if choice not in options:
        raise InputError(
            f"{choice[:80]!r} is not a model this dashboard lists; pick one from the list "
            f"(the {app} runs with a trained model in the runs folder, or the shipped default)"
        )
    label, folder = options[choice]
    root = ctx.runs_dir if choice.startswith("run:") else None
    return check_model_folder(folder, root=root, label=label)


def _stamp(folder: Path, marker: str) -> int:
    try:
        return (folder / marker).stat().st_mtime_ns
    except OSError:
        return 0


def get_predictor(ctx: Any, model_dir: str | Path) -> Any:
    """The predictor of a checked model folder (loaded once per version of its metadata)."""
    from ...skopes.hst.cal import load_predictor

    folder = Path(model_dir)
    key = f"predictor:{folder}:"
    return ctx.cached(
        key + str(_stamp(folder, "metadata.json")),
        lambda: load_predictor(folder),
        replaces=key,
    )


def train_quick_model(report: Any, runs_dir: Path) -> str:
    """Background job: train a fast HST calibration model into ``runs_dir``; return its
    model folder."""
    from ...skopes.hst.cal import train

    report(0.1, "loading hst_cal_2021_05_11 and training (fast mode: small tree models)")
    out = train(TRAINING_DATA, runs_dir=runs_dir, seed=0, fast=True, name="dashboard-quick")
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

    label = filename if isinstance(filename, str) and filename else "the upload"
    raw = decode_upload(contents, label, max_bytes=MAX_FEATURES_BYTES)
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
    labels = memory_bin_labels()
    queue = f"{r['queueGB']} GB queue" if "queueGB" in r else ""
    argmax = r.get("memBinArgmax")
    proba = _probabilities(r)
    submitted = r.get("memBin")
    bin_note = None
    if isinstance(argmax, int) and isinstance(submitted, int) and argmax != submitted:
        likely = labels[argmax] if 0 <= argmax < len(labels) else f"bin {argmax}"
        chance = f", {proba[argmax]:.1%}" if proba is not None and 0 <= argmax < len(proba) else ""
        bin_note = html.Div(
            [
                html.B(
                    f"Submitted bin {submitted} ({queue or 'its queue'}), not the most likely "
                    f"bin {argmax} ({likely.split(' · ', 1)[-1]}{chance}). "
                ),
                "The submitted bin adds a safety margin to the memory estimate, chosen so "
                "that at most "
                f"{_fmt(r.get('underBinTarget'), '{:.1%}')} of held-out jobs were put in too "
                "small a queue (such a job runs out of memory and is retried in the next "
                "queue); one bin too large only costs queue capacity.",
            ],
            id="pred-bin-note",
            className="note",
        )
    argmax_text = f"most likely bin {argmax}" if isinstance(argmax, int) else ""
    headline = html.Div(
        [
            stat(
                "memory bin (submitted)",
                _fmt(r.get("memBin"), "{}"),
                "pred-membin",
                f"{queue} · {argmax_text}".strip(" ·"),
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
    if bin_note is not None:
        parts.append(bin_note)
    if proba is not None and len(proba) == len(labels):
        parts.append(
            dcc.Graph(
                id="pred-proba",
                config={"displaylogo": False},
                figure=figures.class_probability_figure(
                    proba, labels, highlight=submitted if isinstance(submitted, int) else None
                ),
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


def _svm_section(ctx: Any) -> Any:
    from dash import dcc, html

    choices = model_choices(ctx, SVM_APP)
    return html.Div(
        [
            html.H3("SVM alignment: a visit's three frames and its misalignment probability"),
            html.Div(
                [
                    labelled("visit", dcc.Dropdown(id="svm-visit", style={"minWidth": "380px"})),
                    labelled(
                        "model",
                        dcc.Dropdown(
                            id="svm-model",
                            options=choices,
                            value=choices[0]["value"] if choices else None,
                            placeholder="no trained hst_svm model in the runs folder",
                            style={"minWidth": "420px"},
                        ),
                    ),
                ],
                className="controls",
            ),
            html.Div(id="svm-error", className="error"),
            dcc.Loading(html.Div(id="svm-result")),
            dcc.Loading(dcc.Graph(id="svm-images", config={"displaylogo": False})),
        ],
        className="card",
    )


def svm_prediction(ctx: Any, choice: Any, visit: str) -> dict[str, Any]:
    """Misalignment probability of one sample visit by a listed hst_svm model.

    The visit's features come from the labelled SVM table (both image samples are in it);
    an image-based model also gets the visit's three frames.
    """
    from ...skopes.hst.svm import app as svm_app
    from ...skopes.hst.svm.model import TREE_KINDS, SvmModel

    folder = model_folder_for(ctx, choice, SVM_APP)
    key = f"svm-model:{folder}:"
    model = ctx.cached(
        key + str(_stamp(folder, "model.json")),
        lambda: SvmModel.load(folder),
        replaces=key,
    )
    table = ctx.cached(f"dataset:{SVM_TABLE}", lambda: _load_dataset(SVM_TABLE))
    row = table[table["index"].astype(str) == visit]
    if row.empty:
        raise InputError(f"visit {visit!r} is not in {SVM_TABLE}; pick a listed visit")
    images = None
    if model.kind not in TREE_KINDS:
        samples = ctx.cached("svm-image-arrays", lambda: _load_dataset("svm_img_pred_2samples"))
        images = (samples["index"], samples["images"])
    out = svm_app.predict_frame(model, row, images=images)
    proba = float(out["probability"].iloc[0])
    truth = row["label"].iloc[0] if "label" in row else None
    return {
        "probability": proba,
        "threshold": float(model.threshold),
        "kind": model.kind,
        "label": "misaligned" if proba >= model.threshold else "aligned",
        "true_label": None
        if truth is None or truth != truth
        else ("misaligned" if int(truth) == 1 else "aligned"),
    }


def svm_result_view(pred: dict[str, Any]) -> Any:
    from dash import html

    truth = pred.get("true_label")
    return html.Div(
        [
            html.Div(
                [
                    html.Div("misalignment probability", className="muted"),
                    html.Div(f"{pred['probability']:.1%}", className="big-number", id="svm-proba"),
                    html.Div(
                        f"{pred['label']} at the model's threshold {pred['threshold']:.2f} "
                        f"({pred['kind']} model)",
                        className="muted",
                        id="svm-label",
                    ),
                ]
            ),
            html.Div(
                [
                    html.Div("label in the table", className="muted"),
                    html.Div(truth or "unlabelled", className="big-number"),
                ]
            ),
        ],
        className="stats",
        id="svm-prediction",
    )


def _load_dataset(name: str) -> Any:
    from ..data import _load_dataset as load

    return load(name)


def layout(ctx: Any, query: dict | None = None) -> Any:
    from dash import html

    return html.Div([html.H2("Predict"), _hst_section(ctx), _svm_section(ctx)], id="predict-page")


# -- callbacks -------------------------------------------------------------------
def register(app: Any, ctx: Any) -> None:
    """Register the page's callbacks: the HST form, quick training, the SVM images."""
    _register_hst_form(app, ctx)
    _register_training(app, ctx)
    _register_svm(app, ctx)


def _register_hst_form(app: Any, ctx: Any) -> None:
    """Callbacks of the HST calibration form: fill from an upload, derived fields, predict."""
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
    def _predict(_, choice, *values):
        if not choice:
            return "", (
                "No model selected: train a quick model above, or start the dashboard "
                "with --runs pointing at runs holding an hst_cal model."
            )
        try:
            folder = model_folder_for(ctx, choice)
            ipst, features = features_from_form(dict(zip(keys, values, strict=True)))
            result = get_predictor(ctx, folder).predict(ipst, features)
        except SpacekitError as exc:
            return "", str(exc)
        return result_view(ipst, dict(result)), ""


def _register_training(app: Any, ctx: Any) -> None:
    """Callbacks that train a quick hst_cal model and poll it."""
    from dash import Input, Output, State, no_update

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
            choices = model_choices(ctx)
            trained = Path(str(snap["result"])).resolve()
            value = next(
                (
                    key
                    for key, (_, folder) in model_options(ctx).items()
                    if Path(folder).resolve() == trained
                ),
                no_update,
            )
            return (style, bar, text, True, False, choices, value)
        if snap["state"] == "failed":
            return style, bar, text, True, False, no_update, no_update
        return style, bar, text, False, True, no_update, no_update


def _register_svm(app: Any, ctx: Any) -> None:
    """Callbacks of the SVM section: the visits, a visit's images and its prediction."""
    from dash import Input, Output, html

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

    @app.callback(
        Output("svm-images", "figure"),
        Output("svm-result", "children"),
        Output("svm-error", "children", allow_duplicate=True),
        Input("svm-visit", "value"),
        Input("svm-model", "value"),
        prevent_initial_call="initial_duplicate",
    )
    def _svm_images(visit, choice):
        if not visit:
            return figures.empty_figure("pick a visit"), "", ""
        try:
            images = ctx.cached("svm-images", load_svm_images)
        except SpacekitError as exc:
            return figures.empty_figure("no images"), "", f"cannot load the images: {exc}"
        if not isinstance(visit, str) or visit not in images:
            return figures.empty_figure("pick a visit"), "", "pick one of the listed visits"
        figure = figures.image_triplet_figure(images[visit], SVM_FRAMES)
        if not choice:
            note = html.P(
                "No trained hst_svm model in the runs folder: train one "
                "(`spacekit svm train svm_labeled_2021_07_28 --runs RUNS`) to see the "
                "misalignment probability here.",
                className="muted",
                id="svm-no-model",
            )
            return figure, note, ""
        try:
            pred = svm_prediction(ctx, choice, visit)
        except SpacekitError as exc:
            return figure, "", str(exc)
        return figure, svm_result_view(pred), ""

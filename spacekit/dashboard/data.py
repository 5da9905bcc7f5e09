"""What the dashboard shows, as plain Python: run summaries, evaluation records, example tables.

Nothing here imports Dash or plotly; the pages turn these values into figures and layouts.

Examples
--------
>>> import tempfile
>>> from spacekit.utils.runs import Run
>>> d = tempfile.mkdtemp()
>>> run = Run.create("k2", "demo", runs_dir=d)
>>> run.write_metrics({"accuracy": 0.75, "loss": {"train": 0.4}})
>>> summarize_runs(d)[["app", "accuracy", "loss.train"]].to_dict("records")
[{'app': 'k2', 'accuracy': 0.75, 'loss.train': 0.4}]
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import FormatError, InputError, SpacekitError
from ..utils.runs import Run, list_runs, read_json

__all__ = [
    "EXAMPLE_TABLES",
    "LIGHTCURVE_DATASETS",
    "flatten_metrics",
    "run_label",
    "run_id",
    "find_run",
    "runs_folder_hint",
    "summarize_runs",
    "read_evaluation",
    "evaluation_runs",
    "model_runs",
    "load_example_table",
    "load_svm_images",
    "hst_cal_labels",
    "svm_labels",
]

log = logging.getLogger(__name__)

#: Built-in tables of the Explore page: dataset name -> short description.
EXAMPLE_TABLES: dict[str, str] = {
    "hst_cal_2021_05_11": "HST calibration jobs (29,191 rows): inputs, memory, wallclock",
    "hst_cal_categorized_subset_2021_08": "HST calibration jobs with MAST target category "
    "(1,551 rows)",
    "svm_labeled_2021_07_28": "HST single-visit mosaics (1,791 rows): alignment labels",
}

#: Light curves offered by the Light curves page: dataset name -> description.
LIGHTCURVE_DATASETS: dict[str, str] = {
    "lc_k2_3": "K2-3 (K2 C1, 3 planets: 10.05, 24.65, 44.56 d)",
    "lc_wasp_126": "WASP-126 (TESS S1, b = 3.289 d)",
    "lc_hat_p_7": "HAT-P-7 (Kepler Q0, b = 2.205 d)",
    "lc_kepler_90_q3": "Kepler-90 Q3 (8 small planets: hard)",
    "lc_kepler_90_q5": "Kepler-90 Q5",
    "lc_kic_10002792": "KIC 10002792 (flare star, no known planet)",
}

_INSTRUMENTS = {0: "ACS", 1: "COS", 2: "STIS", 3: "WFC3"}
_CATEGORIES = {
    "C": "calibration",
    "SS": "solar system",
    "I": "ISM",
    "U": "unidentified",
    "SC": "stellar cluster",
    "S": "star",
    "GC": "cluster of galaxies",
    "G": "galaxy",
}
_MEM_BINS = {0: "0: <1.8 GB", 1: "1: <7.2 GB", 2: "2: <14.3 GB", 3: "3: >=14.3 GB"}


# -- run folders ---------------------------------------------------------------
def flatten_metrics(metrics: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """Flatten nested metrics into ``{"a.b": number}``, keeping numbers only.

    Examples
    --------
    >>> flatten_metrics({"acc": 0.9, "loss": {"val": 0.2}, "note": "x", "flag": True})
    {'acc': 0.9, 'loss.val': 0.2}
    """
    if not isinstance(metrics, Mapping):
        raise FormatError(
            f"metrics should be a JSON object of name: value, found a "
            f"{type(metrics).__name__}; re-write metrics.json with Run.write_metrics"
        )
    out: dict[str, float] = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            if set(value) == {"value", "unit"} and _is_number(value["value"]):
                out[name] = float(value["value"])  # a serialised Quantity
            else:
                out.update(flatten_metrics(value, prefix=f"{name}."))
        elif _is_number(value):
            out[name] = float(value)
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def run_id(run: Run, runs_dir: str | os.PathLike) -> str:
    """The run's path relative to ``runs_dir`` (``<app>/<folder>``), used as its key.

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> run_id(Run.create("k2", "a", runs_dir=d), d).startswith("k2/")
    True
    """
    try:
        return run.path.resolve().relative_to(Path(runs_dir).resolve()).as_posix()
    except ValueError:
        return run.path.as_posix()


def run_label(run: Run) -> str:
    """A short human label: ``<app> · <folder name>``.

    Examples
    --------
    >>> import tempfile
    >>> run_label(Run.create("k2", "a", runs_dir=tempfile.mkdtemp())).startswith("k2 · ")
    True
    """
    return f"{run.path.parent.name} · {run.path.name}"


def find_run(runs_dir: str | os.PathLike, key: str) -> Run:
    """Open the run whose :func:`run_id` is ``key``; refuse paths outside ``runs_dir``.

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> run = Run.create("k2", "a", runs_dir=d)
    >>> find_run(d, run_id(run, d)) == run
    True
    """
    root = Path(runs_dir).resolve()
    path = (root / key).resolve()
    if root != path and root not in path.parents:
        raise InputError(
            f"run key {key!r} points outside the runs folder {root}; "
            "expected '<app>/<run folder>' as listed by the dashboard"
        )
    return Run.open(path)


def runs_folder_hint(runs_dir: str | os.PathLike) -> str | None:
    """Why a runs folder shows no runs, when the reason is a wrong path; else ``None``.

    Runs live at ``<runs>/<app>/<run folder>/run.json``. Pointing the dashboard at a missing
    folder, at one app's folder or at a single run folder shows no runs; this says which,
    and which folder to pass instead.

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> run = Run.create("k2", "a", runs_dir=d)
    >>> runs_folder_hint(run.path.parent).startswith("it holds run folders directly")
    True
    >>> runs_folder_hint(d) is None
    True
    """
    path = Path(runs_dir)
    if not path.exists():
        return (
            f"{path} does not exist; runs appear once something writes there, or check "
            "the folder given to --runs (runs_dir) for a typo"
        )
    if not path.is_dir():
        return f"{path} is a file, not a folder of run folders"
    if (path / "run.json").is_file():
        return (
            f"it is a single run folder (it holds run.json); start the dashboard with "
            f"--runs {path.resolve().parent.parent}"
        )
    try:
        direct = any((child / "run.json").is_file() for child in path.iterdir() if child.is_dir())
    except OSError:
        return None
    if direct and not list_runs(path):
        return (
            f"it holds run folders directly (it is the folder of one app, like "
            f"{path.name}/); start the dashboard with --runs {path.resolve().parent}"
        )
    return None


def summarize_runs(runs_dir: str | os.PathLike) -> pd.DataFrame:
    """One row per run folder: id, app, name, created, model/evaluation flags and metrics.

    An unreadable ``run.json`` or ``metrics.json`` is logged and named in the ``problem``
    column (empty when both read) rather than hiding the other runs or the file that did read.

    Examples
    --------
    >>> import tempfile
    >>> summarize_runs(tempfile.mkdtemp()).empty
    True
    """
    rows = []
    for run in list_runs(runs_dir):
        row: dict[str, Any] = {
            "id": run_id(run, runs_dir),
            "app": run.path.parent.name,
            "run": run.path.name,
            "created": "",
            "has_model": run.model_dir.is_dir(),
            "has_evaluation": (run.path / "evaluation.json").is_file(),
            "problem": "",
        }
        problems = []
        metrics: Any = {}
        # Each file on its own: a damaged run.json does not hide good metrics, nor the reverse.
        for fname in ("run.json", "metrics.json"):
            try:
                obj = run.info if fname == "run.json" else run.metrics
                if not isinstance(obj, Mapping):
                    raise FormatError(
                        f"{run.path / fname} should hold a JSON object, found a "
                        f"{type(obj).__name__}"
                    )
            except SpacekitError as exc:
                log.warning("skipping unreadable run files in %s: %s", run.path, exc)
                problems.append(str(exc).replace(str(run.path) + os.sep, ""))
                continue
            if fname == "run.json":
                row["created"] = obj.get("created", "")
            else:
                metrics = obj
        row["problem"] = "; ".join(problems)
        row.update(flatten_metrics(metrics))
        rows.append(row)
    columns = ["id", "app", "run", "created", "has_model", "has_evaluation", "problem"]
    frame = pd.DataFrame(rows)
    return frame if rows else pd.DataFrame(columns=columns)


def read_evaluation(run: Run) -> dict:
    """Read ``evaluation.json`` of a run (empty dict when the run has none).

    The record follows the contract of :meth:`spacekit.computer.Report.save`: keys ``task``,
    ``history``, ``roc``, ``pr``, ``confusion`` and ``residuals``, present where made.

    Examples
    --------
    >>> import tempfile
    >>> read_evaluation(Run.create("k2", "a", runs_dir=tempfile.mkdtemp()))
    {}
    """
    path = run.path / "evaluation.json"
    if not path.is_file():
        return {}
    record = read_json(path)
    if not isinstance(record, dict):
        raise FormatError(
            f"{path} should hold a JSON object with keys like 'roc' and 'history', "
            f"found a {type(record).__name__}; re-create it with computer.compute(...).save()"
        )
    return record


def evaluation_runs(runs_dir: str | os.PathLike) -> list[Run]:
    """Runs that hold ``metrics.json`` or ``evaluation.json``, newest first.

    Examples
    --------
    >>> import tempfile
    >>> evaluation_runs(tempfile.mkdtemp())
    []
    """
    runs = [
        r
        for r in list_runs(runs_dir)
        if (r.path / "evaluation.json").is_file() or (r.path / "metrics.json").is_file()
    ]
    return runs[::-1]


def model_runs(runs_dir: str | os.PathLike, app: str) -> list[Run]:
    """Runs of ``app`` that hold a trained ``model/`` folder, newest first.

    Examples
    --------
    >>> import tempfile
    >>> model_runs(tempfile.mkdtemp(), "hst_cal")
    []
    """
    return [r for r in list_runs(runs_dir, app=app) if r.model_dir.is_dir()][::-1]


# -- example datasets ----------------------------------------------------------
def _load_dataset(name: str, **kwargs: Any) -> Any:
    """Load a registered dataset through :func:`spacekit.datasets.load`."""
    from ..datasets import load

    return load(name, **kwargs)


def hst_cal_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """Add readable columns to the HST calibration table for plots.

    Adds ``instrument`` (ACS/COS/STIS/WFC3 from ``instr``), ``detector_type`` (UVIS/WFC or
    other), ``memory_bin`` (labelled ``mem_bin``), ``association`` (from ``dtype``) and, where
    the table has the MAST ``category`` code, ``target_category`` (galaxy, star, ...).

    Examples
    --------
    >>> df = pd.DataFrame({"instr": [0, 3], "detector": [1, 0], "mem_bin": [0.0, 3.0],
    ...                    "dtype": [1, 0]})
    >>> hst_cal_labels(df)[["instrument", "memory_bin"]].values.tolist()
    [['ACS', '0: <1.8 GB'], ['WFC3', '3: >=14.3 GB']]
    """
    out = frame.copy()
    if "instr" in out:
        out["instrument"] = out["instr"].map(_INSTRUMENTS).fillna("unknown")
    if "detector" in out:
        out["detector_type"] = np.where(out["detector"] == 1, "UVIS/WFC", "other")
    if "mem_bin" in out:
        out["memory_bin"] = out["mem_bin"].map(_MEM_BINS).fillna("unknown")
    if "dtype" in out:
        out["association"] = np.where(out["dtype"] == 1, "association", "single")
    if "category" in out:
        out["target_category"] = out["category"].map(_CATEGORIES).fillna("unidentified")
    return out


def svm_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """Add readable columns to the SVM table for plots.

    The encoded ``det`` column of the 2021 tables is inconsistent (see the data README), so
    ``instrument`` and ``detector`` are re-derived from ``index``
    (``hst_<prop>_<visit>_<instr>_<det>_total_<ipppss>``); ``alignment`` names ``label``.

    Examples
    --------
    >>> df = pd.DataFrame({"index": ["hst_11099_04_wfc3_ir_total_ia0m04"], "label": [1.0]})
    >>> svm_labels(df)[["instrument", "detector", "alignment"]].values.tolist()
    [['WFC3', 'IR', 'misaligned']]
    """
    out = frame.copy()
    if "index" in out:
        parts = out["index"].astype(str).str.split("_")
        out["instrument"] = parts.str[3].str.upper()
        out["detector"] = parts.str[4].str.upper()
    if "label" in out:
        out["alignment"] = out["label"].map({0: "aligned", 1: "misaligned"}).fillna("unknown")
    return out


def load_example_table(name: str) -> pd.DataFrame:
    """Load one of :data:`EXAMPLE_TABLES` with readable label columns added.

    Examples
    --------
    >>> df = load_example_table("hst_cal_2021_05_11")  # doctest: +SKIP
    >>> sorted(df["instrument"].unique())  # doctest: +SKIP
    ['ACS', 'COS', 'STIS', 'WFC3']
    """
    if name not in EXAMPLE_TABLES:
        raise InputError(
            f"unknown example table {name!r}; expected one of {sorted(EXAMPLE_TABLES)}"
        )
    frame = _load_dataset(name)
    if not isinstance(frame, pd.DataFrame):
        raise FormatError(
            f"dataset {name!r} loaded as {type(frame).__name__}, expected a pandas DataFrame"
        )
    if name.startswith("hst_cal"):
        return hst_cal_labels(frame)
    return svm_labels(frame)


def load_svm_images() -> dict[str, np.ndarray]:
    """The SVM image samples as ``{visit index: array (3, 128, 128, 3) uint8}``.

    Frames: drizzled image, point+segment catalog overlay, Gaia overlay.

    Examples
    --------
    >>> images = load_svm_images()  # doctest: +SKIP
    >>> next(iter(images.values())).shape  # doctest: +SKIP
    (3, 128, 128, 3)
    """
    data = _load_dataset("svm_img_pred_2samples")
    try:
        index, images = data["index"], data["images"]
    except (KeyError, TypeError, IndexError) as exc:
        raise FormatError(
            "svm_img_pred_2samples should hold arrays 'index' and 'images', "
            f"found {type(data).__name__} ({exc})"
        ) from None
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 5 or images.shape[1] != 3:
        raise FormatError(
            f"expected SVM images of shape (n, 3, h, w, channels), found {images.shape}"
        )
    if images.max(initial=0.0) <= 1.0:
        images = images * 255.0
    pixels = np.clip(images, 0, 255).astype(np.uint8)
    return {str(k): pixels[i] for i, k in enumerate(np.asarray(index).tolist())}

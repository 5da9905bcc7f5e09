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

from ..exceptions import FormatError, InputError, ModelLoadError, SpacekitError
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
    "is_inside",
    "check_run_folder",
    "check_model_folder",
    "load_example_table",
    "load_svm_images",
    "hst_cal_labels",
    "memory_bin_labels",
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


# -- run folders ---------------------------------------------------------------
def flatten_metrics(metrics: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """Flatten nested metrics into ``{"a.b": number}``, keeping numbers only.

    Parameters
    ----------
    metrics : mapping
        Nested metrics.
    prefix : str
        Prefix of the keys (used by the recursion).

    Returns
    -------
    dict of str to float
        The numbers by dotted name.

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

    Parameters
    ----------
    run : Run
        The run.

    runs_dir : path
        The runs folder.

    Returns
    -------
    str
        ``<app>/<folder>``.

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

    Parameters
    ----------
    run : Run
        The run.

    Returns
    -------
    str
        The label.

    Examples
    --------
    >>> import tempfile
    >>> run_label(Run.create("k2", "a", runs_dir=tempfile.mkdtemp())).startswith("k2 · ")
    True
    """
    return f"{run.path.parent.name} · {run.path.name}"


def find_run(runs_dir: str | os.PathLike, key: str) -> Run:
    """Open the run whose :func:`run_id` is ``key``; refuse paths outside ``runs_dir``.

    Parameters
    ----------
    runs_dir : path
        The runs folder.
    key : str
        A :func:`run_id`.

    Returns
    -------
    Run
        The run.

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> run = Run.create("k2", "a", runs_dir=d)
    >>> find_run(d, run_id(run, d)) == run
    True
    """
    if not isinstance(key, str):
        raise InputError(
            f"a run key should be '<app>/<run folder>' as listed by the dashboard, got a "
            f"{type(key).__name__}"
        )
    root = Path(runs_dir).resolve()
    path = (root / key).resolve()
    if root != path and root not in path.parents:
        raise InputError(
            f"run key {key!r} points outside the runs folder {root}; "
            "expected '<app>/<run folder>' as listed by the dashboard"
        )
    run = Run.open(path)
    check_run_folder(run)
    return run


#: The files of a run folder the dashboard reads.
_RUN_FILES = ("run.json", "metrics.json", "evaluation.json", "predictions.csv")


def check_run_folder(run: Run) -> Run:
    """Refuse a run folder whose files the dashboard reads are links leading outside it.

    ``run.json``, ``metrics.json``, ``evaluation.json``, ``predictions.csv`` and the files in
    ``figures/`` must lie inside the run folder (links resolved), so a page never shows a
    file from elsewhere on the server. Returns the run.

    Parameters
    ----------
    run : Run
        The run.

    Returns
    -------
    Run
        ``run``.

    Raises
    ------
    FormatError
        Naming the file, never what it points at.

    Examples
    --------
    >>> import tempfile
    >>> run = Run.create("k2", "a", runs_dir=tempfile.mkdtemp())
    >>> check_run_folder(run) == run
    True
    """
    folder = run.path.resolve()
    entries = [run.path / name for name in _RUN_FILES]
    figures = run.path / "figures"
    if figures.is_dir():
        entries += sorted(figures.iterdir())[:500]
    for entry in entries:
        if (entry.exists() or entry.is_symlink()) and not is_inside(entry, folder):
            raise FormatError(
                f"run {run.path.parent.name}/{run.path.name}: "
                f"{entry.relative_to(run.path).as_posix()} is a link to outside the run "
                "folder; refusing to read it (replace the link by the file)"
            )
    return run


def runs_folder_hint(runs_dir: str | os.PathLike) -> str | None:
    """Why a runs folder shows no runs, when the reason is a wrong path; else ``None``.

    Runs live at ``<runs>/<app>/<run folder>/run.json``. Pointing the dashboard at a missing
    folder, at one app's folder or at a single run folder shows no runs; this says which,
    and which folder to pass instead.

    Parameters
    ----------
    runs_dir : path
        The runs folder.

    Returns
    -------
    str or None
        The hint.

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

    Parameters
    ----------
    runs_dir : path
        The runs folder.

    Returns
    -------
    pandas.DataFrame
        One row per run.

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
        try:
            check_run_folder(run)
        except SpacekitError as exc:
            row["problem"] = str(exc)
            rows.append(row)
            continue
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

    Parameters
    ----------
    run : Run
        The run.

    Returns
    -------
    dict
        The record.

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

    Parameters
    ----------
    runs_dir : path
        The runs folder.

    Returns
    -------
    list of Run
        Newest first.

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

    Parameters
    ----------
    runs_dir : path
        The runs folder.
    app : str
        The application.

    Returns
    -------
    list of Run
        Newest first.

    Examples
    --------
    >>> import tempfile
    >>> model_runs(tempfile.mkdtemp(), "hst_cal")
    []
    """
    return [r for r in list_runs(runs_dir, app=app, complete=True) if r.model_dir.is_dir()][::-1]


def is_inside(path: str | os.PathLike, folder: str | os.PathLike) -> bool:
    """Whether ``path``, links resolved, is ``folder`` or lies inside it (links resolved).

    Parameters
    ----------
    path : path
        The path to check.
    folder : path
        The folder.

    Returns
    -------
    bool
        True when inside.

    Examples
    --------
    >>> is_inside("/a/b/../c", "/a"), is_inside("/a/../etc/passwd", "/a")
    (True, False)
    """
    real, root = Path(path).resolve(), Path(folder).resolve()
    return real == root or root in real.parents


#: Most entries :func:`check_model_folder` walks in a model folder (a real one holds a few).
_MODEL_FOLDER_ENTRIES = 1000
#: Largest metadata file :func:`check_model_folder` reads (a real one is a few kB).
_MODEL_METADATA_BYTES = 5 * 1024 * 1024


def check_model_folder(
    folder: str | os.PathLike, *, root: str | os.PathLike | None = None, label: str = ""
) -> Path:
    """Refuse a model folder that would make a loader read outside it; return it resolved.

    Checked before any model file is opened: the folder (links resolved) lies inside
    ``root`` when given (the runs folder it was listed from); no link inside it points
    outside it; every file its ``metadata.json`` names (``models.<name>.file``) is a
    relative path that stays inside it. Messages name the offending entry as the folder
    spells it, never what lies outside.

    Parameters
    ----------
    folder : path
        The model folder.
    root : path, optional
        The folder it must lie in.
    label : str
        How messages name the folder (default: its name).

    Returns
    -------
    pathlib.Path
        The folder, resolved.

    Raises
    ------
    ModelLoadError
        The folder, a link in it or a file its metadata names escapes it.

    Examples
    --------
    >>> import json, tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "metadata.json").write_text(json.dumps({"models": {"bin": {"file": "b.npz"}}}))
    >>> check_model_folder(d) == d.resolve()
    True
    >>> _ = (d / "metadata.json").write_text(json.dumps({"models": {"bin": {"file": "../x"}}}))
    >>> check_model_folder(d, label="m")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    spacekit.exceptions.ModelLoadError: model m: metadata.json names the file '../x' for 'bin', ...
    """
    label = label or Path(folder).name
    real = Path(folder).resolve()
    if root is not None and not is_inside(real, root):
        raise ModelLoadError(
            f"model {label}: the model folder is a link to outside the runs folder; refusing "
            "to read it (copy the model folder into the runs folder instead)"
        )
    if not real.is_dir():
        raise ModelLoadError(f"model {label}: the model folder is missing; re-train the model")
    seen = 0
    for dirpath, dirnames, filenames in os.walk(real, followlinks=False):
        for name in dirnames + filenames:
            seen += 1
            if seen > _MODEL_FOLDER_ENTRIES:
                raise ModelLoadError(
                    f"model {label}: the model folder holds over {_MODEL_FOLDER_ENTRIES} "
                    "entries, expected a few model files; refusing to load it"
                )
            entry = Path(dirpath) / name
            if entry.is_symlink() and not is_inside(entry, real):
                raise ModelLoadError(
                    f"model {label}: {entry.relative_to(real).as_posix()} is a link to outside "
                    "the model folder; refusing to read it (replace the link by the file)"
                )
    meta_path = real / "metadata.json"
    if meta_path.is_file():
        if meta_path.stat().st_size > _MODEL_METADATA_BYTES:
            raise ModelLoadError(
                f"model {label}: metadata.json is {meta_path.stat().st_size / 1e6:.0f} MB, "
                "expected a few kB; refusing to read it"
            )
        try:
            meta = read_json(meta_path)
        except SpacekitError as exc:
            raise ModelLoadError(f"model {label}: metadata.json does not read ({exc})") from None
        models = meta.get("models") if isinstance(meta, Mapping) else None
        for name, entry in models.items() if isinstance(models, Mapping) else ():
            if not isinstance(entry, Mapping) or "file" not in entry:
                continue
            ref = entry["file"]
            ok = (
                isinstance(ref, str)
                and ref
                and not Path(ref).is_absolute()
                and is_inside(real / ref, real)
            )
            if not ok:
                raise ModelLoadError(
                    f"model {label}: metadata.json names the file {str(ref)[:80]!r} for "
                    f"{str(name)[:40]!r}, expected a file inside the model folder; refusing to "
                    "read it (re-train the model or copy a complete model folder)"
                )
    return real


# -- example datasets ----------------------------------------------------------
def _load_dataset(name: str, **kwargs: Any) -> Any:
    """Load a registered dataset through :func:`spacekit.datasets.load`."""
    from ..datasets import load

    return load(name, **kwargs)


def memory_bin_labels() -> list[str]:
    """Labels of the four HST calibration memory bins, named by their AWS Batch queue.

    The same wording as a prediction's ``queueGB`` ("8 GB queue"), with the memory range
    the bin holds (the queue less the container's overhead).

    Returns
    -------
    list of str
        One label per bin, bin 0 first.

    Examples
    --------
    >>> memory_bin_labels()[1]
    'bin 1 · 8 GB queue (1.8-7.2 GB)'
    """
    from ..skopes.hst.cal.features import BIN_EDGES_GB, BIN_QUEUES_GB

    edges = list(BIN_EDGES_GB)
    labels = []
    for b, queue in enumerate(BIN_QUEUES_GB):
        if b == 0:
            held = f"under {edges[0]:.1f} GB"
        elif b < len(edges):
            held = f"{edges[b - 1]:.1f}-{edges[b]:.1f} GB"
        else:
            held = f"over {edges[-1]:.1f} GB"
        labels.append(f"bin {b} · {queue} GB queue ({held})")
    return labels


def hst_cal_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """Add readable columns to the HST calibration table for plots.

    Adds ``instrument`` (ACS/COS/STIS/WFC3 from ``instr``), ``detector_type`` (UVIS/WFC or
    other), ``memory_bin`` (labelled ``mem_bin``), ``association`` (from ``dtype``) and, where
    the table has the MAST ``category`` code, ``target_category`` (galaxy, star, ...).

    Parameters
    ----------
    frame : pandas.DataFrame
        The table.

    Returns
    -------
    pandas.DataFrame
        A copy with the columns added.

    Examples
    --------
    >>> df = pd.DataFrame({"instr": [0, 3], "detector": [1, 0], "mem_bin": [0.0, 3.0],
    ...                    "dtype": [1, 0]})
    >>> hst_cal_labels(df)[["instrument", "memory_bin"]].values.tolist()
    [['ACS', 'bin 0 · 2 GB queue (under 1.8 GB)'], ['WFC3', 'bin 3 · 64 GB queue (over 14.3 GB)']]
    """
    out = frame.copy()
    if "instr" in out:
        out["instrument"] = out["instr"].map(_INSTRUMENTS).fillna("unknown")
    if "detector" in out:
        out["detector_type"] = np.where(out["detector"] == 1, "UVIS/WFC", "other")
    if "mem_bin" in out:
        out["memory_bin"] = (
            out["mem_bin"].map(dict(enumerate(memory_bin_labels()))).fillna("unknown")
        )
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

    Parameters
    ----------
    frame : pandas.DataFrame
        The table.

    Returns
    -------
    pandas.DataFrame
        A copy with the columns added.

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

    Parameters
    ----------
    name : str
        A key of :data:`EXAMPLE_TABLES`.

    Returns
    -------
    pandas.DataFrame
        The table.

    Examples
    --------
    >>> df = load_example_table("hst_cal_2021_05_11")
    >>> sorted(df["instrument"].unique())
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

    Returns
    -------
    dict of str to numpy.ndarray
        The stacks by visit.

    Examples
    --------
    >>> images = load_svm_images()
    >>> next(iter(images.values())).shape
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

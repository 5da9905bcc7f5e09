"""The model manifest: one ``model.json`` in every model folder, one writer, one reader.

Every app's model folder (``hst_cal``, ``hst_svm``, ``jwst_cal``, ``k2``, and the imported
upstream models) holds ``model.json``::

    {
      "app": "hst_svm",
      "format_version": 1,
      "spacekit_version": "1.2.0",
      "created": "2026-12-07T17:30:00+00:00",
      "source": {"kind": "trained", "data_sha256": "…", "trained_at": "2026-12-07T17:30:00+00:00"},
      "features": ["numexp", "rms_ra", …],
      "feature_ranges": {"numexp": [1.0, 58.0], …},
      "headline_metrics": {"roc_auc": 0.97, …},
      "status": "complete",
      "files": ["model.skops"],
      "details": {…}
    }

- ``source`` says where the model came from: trained here (:func:`trained_source`: the
  training data's sha256 and the date) or imported (:func:`imported_source`: the source
  file and its sha256).
- ``feature_ranges`` are the training ranges of the features (:func:`feature_ranges`);
  absent for imported models, where :func:`check_ranges` says once that it cannot check.
- ``status`` is ``"complete"`` only when every file of the folder is written:
  :func:`writing_model` writes ``"writing"`` first and ``"complete"`` last, so an
  interrupted save never looks whole. Loaders refuse an incomplete folder and
  :func:`find_model_folder` skips it.
- ``files`` lists the folder's files: a folder missing one of them does not load either.
- ``details`` holds what one app needs beyond the shared keys (hst_svm and jwst_cal: the
  model's settings, which their folders of older versions kept in ``svm_model.json`` and
  ``jwst_model.json``).

Folders written before ``model.json`` existed still load: :func:`read_manifest` reads the
older per-app files (hst.cal's ``metadata.json``, ``svm_model.json``, ``jwst_model.json``,
k2's ``metadata.json``) into the same :class:`ModelManifest`.

Examples
--------
>>> import tempfile, pandas as pd
>>> folder = tempfile.mkdtemp()
>>> train = pd.DataFrame({"a": [0.0, 1.0, 2.0], "b": [5, 6, 7]})
>>> with writing_model(folder, app="demo", source=trained_source("ab" * 32),
...                    features=["a", "b"], ranges=feature_ranges(train)) as m:
...     m.headline_metrics["accuracy"] = 0.9
>>> m = read_manifest(folder)
>>> m.status, m.feature_ranges["a"]
('complete', [0.0, 2.0])
>>> sorted(out_of_range(m.feature_ranges, pd.DataFrame({"a": [3.0], "b": [6]})))
['a']
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..exceptions import DataNotFoundError, InputError, ModelLoadError

__all__ = [
    "MANIFEST_FILE",
    "MANIFEST_VERSION",
    "LEGACY_FILES",
    "ModelManifest",
    "OutOfRangeWarning",
    "trained_source",
    "imported_source",
    "feature_ranges",
    "write_manifest",
    "writing_model",
    "read_manifest",
    "is_model_folder",
    "find_model_folder",
    "out_of_range",
    "check_ranges",
    "range_flags",
]

log = logging.getLogger(__name__)

MANIFEST_FILE = "model.json"
#: Version of the ``model.json`` keys; bumped only on incompatible changes.
MANIFEST_VERSION = 1
#: The per-app files that described a model folder before ``model.json`` (newest first).
LEGACY_FILES: dict[str, str] = {
    "hst_svm": "svm_model.json",
    "jwst_cal": "jwst_model.json",
    "hst_cal": "metadata.json",
    "k2": "metadata.json",
}
_STATUSES = ("complete", "writing")


class OutOfRangeWarning(UserWarning):
    """Inputs lie outside the range a model was trained on (its prediction is an extrapolation)."""


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def trained_source(data_sha256: str | dict | None, trained_at: str | None = None) -> dict:
    """The ``source`` of a model trained here: its training data's sha256 and the date.

    Examples
    --------
    >>> trained_source("ab" * 32, "2026-01-01T00:00:00+00:00")["kind"]
    'trained'
    """
    return {"kind": "trained", "data_sha256": data_sha256, "trained_at": trained_at or _now()}


def imported_source(file: str | os.PathLike, sha256: str | None = None) -> dict:
    """The ``source`` of an imported model: the source file and its sha256 (computed when the
    file exists and ``sha256`` is not given).

    Examples
    --------
    >>> imported_source("upstream/model.h5", "cd" * 32)["file"]
    'upstream/model.h5'
    """
    if sha256 is None and Path(file).is_file():
        from .files import file_sha256

        sha256 = file_sha256(file)
    return {"kind": "imported", "file": str(file), "sha256": sha256, "imported_at": _now()}


def feature_ranges(table: Any, features: Any = None) -> dict[str, list[float]]:
    """``{feature: [min, max]}`` of the numeric columns of a training table (NaN ignored).

    Parameters
    ----------
    table : pandas.DataFrame or mapping of column -> values
        The training inputs.
    features : list of str, optional
        The columns to describe (default: every numeric column).

    Returns
    -------
    dict
        Finite bounds as floats; a column with no finite value is left out.

    Examples
    --------
    >>> import pandas as pd
    >>> feature_ranges(pd.DataFrame({"x": [3, 1, 2], "s": ["a", "b", "c"]}))
    {'x': [1.0, 3.0]}
    """
    import numpy as np

    names = list(features) if features is not None else list(getattr(table, "columns", table))
    out: dict[str, list[float]] = {}
    for name in names:
        try:
            col = np.asarray(table[name], dtype=float)
        except (KeyError, TypeError, ValueError):
            if features is not None and name not in getattr(table, "columns", table):
                raise InputError(
                    f"feature_ranges: the table has no column {name!r} "
                    f"(it has {list(getattr(table, 'columns', table))})"
                ) from None
            continue
        finite = col[np.isfinite(col)]
        if finite.size:
            out[str(name)] = [float(finite.min()), float(finite.max())]
    return out


@dataclass
class ModelManifest:
    """The contents of ``model.json`` (see the module docstring).

    ``legacy`` names the older per-app file it was read from, or is None for ``model.json``.

    Examples
    --------
    >>> m = ModelManifest(app="demo", source=trained_source(None))
    >>> ModelManifest.from_dict(m.to_dict()).app
    'demo'
    """

    app: str
    source: dict = field(default_factory=dict)
    features: list[str] = field(default_factory=list)
    feature_ranges: dict[str, list[float]] | None = None
    headline_metrics: dict[str, Any] = field(default_factory=dict)
    status: str = "writing"
    files: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    format_version: int = MANIFEST_VERSION
    spacekit_version: str | None = None
    created: str | None = None
    legacy: str | None = None

    @property
    def complete(self) -> bool:
        """Whether every file of the folder was written."""
        return self.status == "complete"

    def to_dict(self) -> dict:
        """The JSON object written to ``model.json``."""
        return {
            "app": self.app,
            "format_version": self.format_version,
            "spacekit_version": self.spacekit_version,
            "created": self.created,
            "source": dict(self.source),
            "features": list(self.features),
            "feature_ranges": self.feature_ranges,
            "headline_metrics": dict(self.headline_metrics),
            "status": self.status,
            "files": list(self.files),
            "details": dict(self.details),
        }

    @classmethod
    def from_dict(cls, obj: Mapping, *, where: Any = "model.json") -> ModelManifest:
        """Build from a ``model.json`` object, checking the keys a reader relies on."""
        if not isinstance(obj, Mapping):
            raise ModelLoadError(
                f"{where} holds a JSON {type(obj).__name__}, expected an object with app, "
                "format_version, source and status"
            )
        version = obj.get("format_version")
        if not isinstance(version, int) or version > MANIFEST_VERSION:
            raise ModelLoadError(
                f"{where} has format_version {version!r}; this spacekit reads up to "
                f"{MANIFEST_VERSION}. Upgrade spacekit, or retrain the model with this version"
            )
        if not isinstance(obj.get("app"), str) or obj.get("status") not in _STATUSES:
            raise ModelLoadError(
                f"{where} lacks a valid app or status (found app={obj.get('app')!r}, "
                f"status={obj.get('status')!r}; expected status one of {list(_STATUSES)}); "
                "copy the folder again or retrain it"
            )
        ranges = obj.get("feature_ranges")
        return cls(
            app=obj["app"],
            source=dict(obj.get("source") or {}),
            features=[str(f) for f in obj.get("features") or []],
            feature_ranges={str(k): [float(v[0]), float(v[1])] for k, v in ranges.items()}
            if isinstance(ranges, Mapping)
            else None,
            headline_metrics=dict(obj.get("headline_metrics") or {}),
            status=obj["status"],
            files=[str(f) for f in obj.get("files") or []],
            details=dict(obj.get("details") or {}),
            format_version=version,
            spacekit_version=obj.get("spacekit_version"),
            created=obj.get("created"),
        )


def write_manifest(folder: str | os.PathLike, manifest: ModelManifest) -> Path:
    """Write ``manifest`` as ``folder/model.json`` (atomically); return its path.

    Fills ``spacekit_version`` and ``created`` when unset.

    Examples
    --------
    >>> import tempfile
    >>> p = write_manifest(tempfile.mkdtemp(), ModelManifest(app="demo", status="complete"))
    >>> p.name
    'model.json'
    """
    from .._version import __version__
    from .runs import write_json

    if manifest.status not in _STATUSES:
        raise InputError(f"status must be one of {list(_STATUSES)}, got {manifest.status!r}")
    manifest.spacekit_version = manifest.spacekit_version or __version__
    manifest.created = manifest.created or _now()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return write_json(folder / MANIFEST_FILE, manifest.to_dict())


@contextmanager
def writing_model(
    folder: str | os.PathLike,
    *,
    app: str,
    source: dict | None = None,
    features: Any = None,
    ranges: dict | None = None,
    headline_metrics: dict | None = None,
    details: dict | None = None,
) -> Iterator[ModelManifest]:
    """Write a model folder's files inside a ``with`` block: ``model.json`` says ``"writing"``
    until the block ends without an exception, then ``"complete"`` with the list of files.

    The manifest yielded may be changed inside the block (metrics, details); it is written
    as it stands at the end.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> with writing_model(folder, app="demo") as m:
    ...     _ = (Path(folder) / "weights.npz").write_bytes(b"")
    ...     read_manifest(folder, require_complete=False).status
    'writing'
    >>> read_manifest(folder).files
    ['weights.npz']
    """
    manifest = ModelManifest(
        app=app,
        source=dict(source or {}),
        features=[str(f) for f in (features if features is not None else ranges or [])],
        feature_ranges=dict(ranges) if ranges is not None else None,
        headline_metrics=dict(headline_metrics or {}),
        details=dict(details or {}),
        status="writing",
    )
    folder = Path(folder)
    write_manifest(folder, manifest)
    yield manifest
    manifest.files = sorted(
        p.name for p in folder.iterdir() if p.is_file() and p.name != MANIFEST_FILE
    )
    manifest.status = "complete"
    write_manifest(folder, manifest)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelLoadError(f"{path} is not valid JSON: {exc}; copy the folder again") from None


def _legacy_manifest(folder: Path, app: str | None) -> ModelManifest | None:
    """A manifest synthesised from a folder written before ``model.json``."""
    for legacy_app, name in LEGACY_FILES.items():
        if app is not None and legacy_app != app:
            continue
        path = folder / name
        if not path.is_file():
            continue
        spec = _read_json(path)
        if not isinstance(spec, dict):
            raise ModelLoadError(f"{path} holds a JSON {type(spec).__name__}, expected an object")
        if name == "metadata.json":
            fmt = str(spec.get("format", ""))
            found = "hst_cal" if fmt.startswith("spacekit.hst_cal/") else spec.get("app")
            if found is None and "svm" in spec:
                found = "hst_svm"
            if app is None and found not in ("hst_cal", "k2"):
                continue  # a builder folder of another app (e.g. svm's Keras kinds)
            if app is not None and found not in (None, app):
                continue
            legacy_app = found or legacy_app
        features = spec.get("features") or spec.get("feature_names") or []
        if isinstance(features, dict):  # jwst: {kind: [names]}
            features = sorted({f for names in features.values() for f in names})
        sha = spec.get("training_data_sha256") or spec.get("data_sha256")
        created = spec.get("created") or spec.get("saved_at")
        metrics = spec.get("metrics") if isinstance(spec.get("metrics"), dict) else {}
        return ModelManifest(
            app=legacy_app,
            source=trained_source(sha, created),
            features=[str(f) for f in features],
            feature_ranges=None,
            headline_metrics=dict(metrics),
            status="complete",  # the legacy writers wrote this file last
            files=sorted(p.name for p in folder.iterdir() if p.is_file()),
            details=spec,
            format_version=0,
            spacekit_version=spec.get("spacekit_version"),
            created=created,
            legacy=name,
        )
    return None


def read_manifest(
    folder: str | os.PathLike, *, app: str | None = None, require_complete: bool = True
) -> ModelManifest:
    """Read a model folder's ``model.json`` (or, for older folders, its per-app file).

    Parameters
    ----------
    folder : path
        A model folder.
    app : str, optional
        The app the model must belong to (``"hst_cal"``, ``"hst_svm"``, ``"jwst_cal"``,
        ``"k2"``); a model of another app is refused.
    require_complete : bool
        Refuse a folder whose manifest says it is still being written (default True).

    Returns
    -------
    ModelManifest

    Raises
    ------
    ModelLoadError
        No manifest, a corrupt one, another app's model, or an incomplete folder.

    Examples
    --------
    >>> import tempfile
    >>> read_manifest(tempfile.mkdtemp())  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    spacekit.exceptions.ModelLoadError: ...
    """
    folder = Path(folder)
    path = folder / MANIFEST_FILE
    if path.is_file():
        manifest = ModelManifest.from_dict(_read_json(path), where=path)
    else:
        manifest = _legacy_manifest(folder, app)
        if manifest is None:
            expected = [MANIFEST_FILE] + (
                [LEGACY_FILES[app]] if app in LEGACY_FILES else sorted(set(LEGACY_FILES.values()))
            )
            raise ModelLoadError(
                f"{folder} is not a{' ' + app if app else ''} model folder: it holds none of "
                f"{expected}. Pass a model folder, the run folder around it, or a runs folder"
            )
    if app is not None and manifest.app != app:
        raise ModelLoadError(
            f"{folder} holds a model of app {manifest.app!r}, not {app!r}; pass a {app} model "
            "folder (or the run folder around it)"
        )
    if require_complete and not manifest.complete:
        raise ModelLoadError(
            f"{folder} is incomplete (model.json says status {manifest.status!r}): it is still "
            "being written or its save was interrupted; wait for it, or retrain"
        )
    missing = [f for f in manifest.files if not (folder / f).is_file()]
    if require_complete and missing:
        raise ModelLoadError(
            f"{folder} is incomplete: model.json lists {missing}, which are missing (a partial "
            "copy?); copy the whole folder again, or retrain"
        )
    return manifest


def is_model_folder(folder: str | os.PathLike, app: str | None = None) -> bool:
    """Whether ``folder`` holds a complete model (of ``app``, when given).

    Examples
    --------
    >>> import tempfile
    >>> is_model_folder(tempfile.mkdtemp())
    False
    """
    try:
        read_manifest(folder, app=app)
    except (ModelLoadError, OSError):
        return False
    return True


def _run_unfinished(folder: Path) -> bool:
    """Whether ``folder`` is a run folder whose run did not finish normally."""
    from .runs import Run

    return (folder / "run.json").is_file() and not Run(folder).complete


def find_model_folder(
    path: str | os.PathLike | None, app: str, *, default: str | os.PathLike | None = None
) -> Path:
    """The model folder meant by ``path``: a model folder, a run folder holding ``model/``, a
    runs folder (the newest complete model of ``app`` under ``<runs>/<app>/``), or, when
    ``path`` is None, ``default`` (the app's shipped or configured model).

    Incomplete folders (still being written, or interrupted) are skipped with a log message.

    Examples
    --------
    >>> import tempfile
    >>> runs = Path(tempfile.mkdtemp())
    >>> for name in ("20260101-000000-a", "20260102-000000-b"):
    ...     write_manifest(runs / "demo" / name / "model",
    ...                    ModelManifest(app="demo", status="complete")) and None
    >>> find_model_folder(runs, "demo").parent.name
    '20260102-000000-b'
    """
    if path is None:
        if default is None:
            raise DataNotFoundError(
                f"no {app} model given and none is shipped or configured; pass a model folder, "
                "a run folder or a runs folder"
            )
        path = default
    p = Path(os.path.expanduser(path))
    if not os.path.exists(p):  # False, not OSError, for a name over 255 bytes
        raise DataNotFoundError(
            f"no {app} model folder at {str(p)!r}: it does not exist; pass a model folder, a "
            "run folder holding model/, or a runs folder"
        )
    for candidate in (p, p / "model"):
        if candidate.is_dir() and is_model_folder(candidate, app):
            return candidate
    for candidate in (p, p / "model"):  # a model folder that does not load: say why
        if (candidate / MANIFEST_FILE).is_file():
            read_manifest(candidate, app=app)
    skipped = []
    for base in (p / app, p):
        if not base.is_dir():
            continue
        runs = sorted((q for q in base.iterdir() if (q / "model").is_dir()), key=lambda q: q.name)
        for run in reversed(runs):
            if _run_unfinished(run):  # failed, interrupted or still running (utils.runs)
                skipped.append(run.name)
                continue
            if is_model_folder(run / "model", app):
                if skipped:
                    log.info("%s: skipped incomplete model folders %s", app, skipped)
                return run / "model"
            skipped.append(run.name)
    found = f" (only incomplete or other apps' ones: {skipped})" if skipped else ""
    legacy = f", or {LEGACY_FILES[app]} from older versions" if app in LEGACY_FILES else ""
    from .upstream_api import upstream_model_hint

    command = _TRAIN_COMMANDS.get(app, app)
    raise DataNotFoundError(
        f"no {app} model folder at {p}{found}: expected a model folder (holding {MANIFEST_FILE}"
        f"{legacy}), a run "
        f"folder holding model/, or a runs folder holding {app}/<run>/model; train one with "
        f"`spacekit {command} train DATA`{upstream_model_hint(p)}"
    )


#: The ``spacekit`` subcommand of each app (``spacekit <command> train``).
_TRAIN_COMMANDS = {"hst_cal": "cal", "hst_svm": "svm", "jwst_cal": "jwst", "k2": "k2"}


def out_of_range(ranges: Mapping[str, Any] | None, table: Any) -> dict[str, dict]:
    """Which inputs lie outside the training ranges.

    Parameters
    ----------
    ranges : dict or None
        ``{feature: [min, max]}`` (a manifest's ``feature_ranges``); None checks nothing.
    table : pandas.DataFrame or mapping
        The inputs; features it lacks are not checked.

    Returns
    -------
    dict
        ``{feature: {"range": [min, max], "n_below": int, "n_above": int, "rows": [...]}}``
        for each feature with at least one value outside (``rows`` are the row positions,
        at most 20; NaN is not counted).

    Examples
    --------
    >>> out_of_range({"x": [0, 1]}, {"x": [0.5, 2.0, -1.0]})["x"]["rows"]
    [1, 2]
    """
    import numpy as np

    out: dict[str, dict] = {}
    if not ranges:
        return out
    columns = getattr(table, "columns", None)
    for name, bounds in ranges.items():
        if (columns is not None and name not in columns) or (columns is None and name not in table):
            continue
        try:
            values = np.atleast_1d(np.asarray(table[name], dtype=float))
        except (TypeError, ValueError):
            continue
        low, high = float(bounds[0]), float(bounds[1])
        below, above = values < low, values > high
        if below.any() or above.any():
            rows = np.flatnonzero(below | above)
            out[str(name)] = {
                "range": [low, high],
                "n_below": int(below.sum()),
                "n_above": int(above.sum()),
                "rows": rows[:20].tolist(),
            }
    return out


def range_flags(ranges: Mapping[str, Any] | None, table: Any) -> list[str] | None:
    """Per input row, the features whose value lies outside the training range, for an
    output column (the rule of :func:`out_of_range`: below the minimum or above the maximum
    seen in training; NaN and features the table lacks are not flagged).

    Returns
    -------
    list of str or None
        One comma-separated string of feature names per row (``""`` when every value is
        inside); None when the model keeps no ranges (its inputs cannot be checked).

    Examples
    --------
    >>> range_flags({"x": [0, 1], "y": [0, 1]}, {"x": [0.5, 2.0], "y": [-1.0, 0.0]})
    ['y', 'x']
    >>> range_flags(None, {"x": [5.0]}) is None
    True
    """
    import numpy as np

    if not ranges:
        return None
    columns = getattr(table, "columns", None)
    names = [n for n in ranges if (n in columns if columns is not None else n in table)]
    n_rows = (
        len(table) if columns is not None else (len(np.atleast_1d(table[names[0]])) if names else 0)
    )
    flags: list[list[str]] = [[] for _ in range(n_rows)]
    for name in names:
        try:
            values = np.atleast_1d(np.asarray(table[name], dtype=float))
        except (TypeError, ValueError):
            continue
        low, high = float(ranges[name][0]), float(ranges[name][1])
        for i in np.flatnonzero((values < low) | (values > high)):
            if i < n_rows:
                flags[i].append(str(name))
    return [",".join(f) for f in flags]


_NO_RANGES_SAID: set[str] = set()


def check_ranges(manifest: ModelManifest | None, table: Any, *, where: str = "") -> dict:
    """Warn (:class:`OutOfRangeWarning`) when inputs lie outside a model's training ranges;
    return :func:`out_of_range`'s answer.

    A model without ranges (imported, or saved before ranges were kept) is said once per
    model folder, at INFO level: its inputs cannot be checked.

    Examples
    --------
    >>> import warnings
    >>> m = ModelManifest(app="demo", feature_ranges={"x": [0.0, 1.0]})
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     _ = check_ranges(m, {"x": [5.0]})
    >>> "outside the training range" in str(w[0].message)
    True
    """
    if manifest is None:
        return {}
    if manifest.feature_ranges is None:
        key = where or manifest.app
        if key not in _NO_RANGES_SAID:
            _NO_RANGES_SAID.add(key)
            log.info(
                "%s model%s has no training ranges (imported, or saved before spacekit kept "
                "them): its inputs cannot be checked against them",
                manifest.app,
                f" at {where}" if where else "",
            )
        return {}
    found = out_of_range(manifest.feature_ranges, table)
    if found:
        parts = []
        for name, info in found.items():
            lo, hi = info["range"]
            n = info["n_below"] + info["n_above"]
            parts.append(f"{name} ({n} value{'s' if n != 1 else ''} outside [{lo:g}, {hi:g}])")
        warnings.warn(
            f"{manifest.app}: inputs lie outside the training range of the model"
            f"{' at ' + where if where else ''}: {', '.join(parts)}; its predictions there are "
            "extrapolations. Retrain on data covering them if they matter",
            OutOfRangeWarning,
            stacklevel=2,
        )
    return found

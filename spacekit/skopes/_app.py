"""Plumbing shared by the apps' contract functions (``load_model``, ``score``, ``predict_batch``):
written once here, below the four apps (:mod:`spacekit.skopes`)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = [
    "CONTRACT",
    "model_folder",
    "quiet_out_of_range",
    "worker_model",
    "chunk_size_or",
    "chunked",
    "predict_in_chunks",
    "check_model_ranges",
    "on_input_index",
]

#: What every app module exports (DESIGN.md, "The app contract").
CONTRACT = (
    "HEADLINE_METRICS",
    "train",
    "cross_validate",
    "score",
    "predict",
    "predict_batch",
    "load_model",
)


def model_folder(path_or_run: Any, app: str, *, default: str | os.PathLike | None = None) -> Path:
    """The model folder meant by a path or a :class:`~spacekit.utils.runs.Run`: a model folder,
    a run folder, a runs folder (its newest complete ``app`` model) or, for None, ``default``
    (:func:`spacekit.utils.manifest.find_model_folder`).

    Parameters
    ----------
    path_or_run : path, Run or None
        Where the model is.
    app : str
        The app whose models a runs folder is searched for.
    default : path, optional
        The folder meant by None.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> model_folder("runs/hst_svm/20260101-000000-train", "hst_svm")  # doctest: +SKIP
    PosixPath('runs/hst_svm/20260101-000000-train/model')
    """
    from ..utils.manifest import find_model_folder
    from ..utils.runs import Run

    if isinstance(path_or_run, Run):
        path_or_run = path_or_run.path
    return find_model_folder(path_or_run, app, default=default)


def quiet_out_of_range(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``func(*args, **kwargs)`` without :class:`~spacekit.utils.manifest.OutOfRangeWarning`:
    a batch's chunks are checked once, for the whole table, before dispatch.

    Parameters
    ----------
    func : callable
        What a task runs (e.g. an app's ``predict`` on one chunk).
    *args, **kwargs
        Its arguments.

    Returns
    -------
    object
        What ``func`` returns.

    Examples
    --------
    >>> quiet_out_of_range(max, 2, 3)
    3
    """
    import warnings

    from ..utils.manifest import OutOfRangeWarning

    with warnings.catch_warnings():  # said once for the whole table, before dispatch
        warnings.simplefilter("ignore", OutOfRangeWarning)
        return func(*args, **kwargs)


def worker_model(model: Any, client: Any, *, require_folder: bool = False) -> Any:
    """What a task gets as the model: in this process the loaded model itself; on a cluster its
    folder (``folder_``), which each worker loads.

    Parameters
    ----------
    model : object
        A loaded model (with ``folder_`` when it was loaded from a folder).
    client : None or a Dask client, cluster or address
        Where the tasks run (:func:`spacekit.utils.parallel.run_tasks`).
    require_folder : bool
        Raise :class:`~spacekit.exceptions.InputError` on a cluster for a model without a
        folder (rather than sending the model itself).

    Returns
    -------
    object or str

    Examples
    --------
    >>> class Loaded:
    ...     folder_ = "runs/k2/model"
    >>> worker_model(Loaded(), "tcp://scheduler:8786")
    'runs/k2/model'
    """
    folder = getattr(model, "folder_", None)
    if client is None:
        return model
    if folder:
        return str(folder)
    if require_folder:
        from ..exceptions import InputError

        raise InputError(
            "predict_batch on a cluster needs a saved model (a folder or run) that the "
            "workers can load; pass its path"
        )
    return model


def chunk_size_or(chunk_size: Any, *, default: int, label: str) -> int:
    """A batch's chunk size: ``chunk_size`` checked as a whole number >= 1, or ``default``.

    Parameters
    ----------
    chunk_size : int, optional
        What the caller passed.
    default : int
        The size for None.
    label : str
        What ``chunk_size`` is called in the error message.

    Returns
    -------
    int

    Examples
    --------
    >>> chunk_size_or(None, default=500, label="chunk_size (visits per task)")
    500
    """
    from ..utils.checks import whole_number

    return whole_number(default if chunk_size is None else chunk_size, label, minimum=1)


def chunked(items: Any, size: int) -> list:
    """``items`` (a DataFrame or a sequence) cut in chunks of ``size``, in order.

    Parameters
    ----------
    items : pandas.DataFrame or sequence
        Rows or items.
    size : int
        Items per chunk.

    Returns
    -------
    list
        The chunks (none for no items).

    Examples
    --------
    >>> chunked([1, 2, 3, 4, 5], 2)
    [[1, 2], [3, 4], [5]]
    """
    if hasattr(items, "iloc"):
        return [items.iloc[i : i + size] for i in range(0, len(items), size)]
    return [items[i : i + size] for i in range(0, len(items), size)]


def on_input_index(out: Any, data: Any) -> Any:
    """Put a prediction table on the row labels of the input table (as hst.cal's predictions
    are), so ``data.assign(p=out["..."])`` lines up; an input that is not a DataFrame (a path,
    a dataset name) leaves ``out`` numbered from 0. An index named like one of ``out``'s
    columns (visit or product names held in the index) loses its name.

    Parameters
    ----------
    out : pandas.DataFrame
        The predictions, one row per input row, in order.
    data : object
        What the app was given.

    Returns
    -------
    pandas.DataFrame
        ``out``, re-indexed in place.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"x": [1, 2]}, index=[7, 9])
    >>> on_input_index(pd.DataFrame({"p": [0.1, 0.2]}), data).index.tolist()
    [7, 9]
    """
    import pandas as pd

    if isinstance(data, pd.DataFrame) and len(data.index) == len(out):
        index = data.index.copy()
        if index.name is not None and index.name in out.columns:
            index.name = None
        out.index = index
    return out


def predict_in_chunks(
    task: Callable[..., Any],
    model: Any,
    items: Any,
    *,
    client: Any,
    chunk_size: Any,
    default_size: int,
    label: str,
    extra: tuple = (),
    require_folder: bool = False,
    scheduler: str = "threads",
) -> list:
    """An app's ``predict_batch`` on Dask: ``task(model, chunk, *extra)`` for each chunk of
    ``items``, in order (:func:`chunk_size_or`, :func:`worker_model`, :func:`chunked`,
    :func:`spacekit.utils.parallel.run_tasks`).

    Parameters
    ----------
    task : callable
        Predicts one chunk: ``task(model_or_folder, chunk, *extra)``.
    model : object
        The loaded model (a cluster's workers get its folder).
    items : pandas.DataFrame or sequence
        What is predicted.
    client : None or a Dask client, cluster or address
        Where the tasks run.
    chunk_size : int or None
        Items per task (None: ``default_size``).
    default_size : int
        The chunk size for None.
    label : str
        What ``chunk_size`` is called in the error message.
    extra : tuple
        More arguments of ``task``.
    require_folder : bool
        As :func:`worker_model`.
    scheduler : str
        Dask's local scheduler (``"synchronous"`` for a model that must stay in one thread).

    Returns
    -------
    list
        The answers of ``task``, chunk by chunk (none for no items).

    Examples
    --------
    >>> predict_in_chunks(
    ...     lambda m, chunk: [m * x for x in chunk], 10, [1, 2, 3],
    ...     client=None, chunk_size=2, default_size=8, label="chunk_size",
    ... )
    [[10, 20], [30]]
    """
    from ..utils.parallel import run_tasks

    size = chunk_size_or(chunk_size, default=default_size, label=label)
    ref = worker_model(model, client, require_folder=require_folder)
    arguments = [(ref, chunk, *extra) for chunk in chunked(items, size)]
    return run_tasks(task, arguments, client=client, scheduler=scheduler)


def check_model_ranges(
    model: Any, table: Any, app: str, *, encode: Callable[[Any], Any] | None = None
) -> list[str] | None:
    """Warn (:class:`~spacekit.utils.manifest.OutOfRangeWarning`) about inputs outside the
    model's training ranges; return the per-row flags.

    Parameters
    ----------
    model : object
        A loaded model (its ``manifest_``) or a model fitted in memory (its
        ``feature_ranges_``).
    table : pandas.DataFrame
        The inputs.
    app : str
        The app named in the warning.
    encode : callable, optional
        Turns ``table`` into the features the ranges are kept for (called only when there are
        ranges and rows).

    Returns
    -------
    list of str or None
        Per row, the features outside their range (:func:`~spacekit.utils.manifest.range_flags`);
        None when the model keeps no ranges (imported, or saved before ranges were kept).

    Examples
    --------
    >>> class Fitted:
    ...     feature_ranges_ = {"x": [0.0, 1.0]}
    >>> check_model_ranges(Fitted(), {"x": [0.5]}, "demo")
    ['']
    """
    from ..utils.manifest import ModelManifest, check_ranges, range_flags

    manifest = getattr(model, "manifest_", None)
    ranges = getattr(model, "feature_ranges_", None)
    if manifest is None and ranges is not None:
        manifest = ModelManifest(app=app, feature_ranges=ranges)
    has_ranges = getattr(manifest, "feature_ranges", None) is not None
    if encode is not None and has_ranges and len(table):
        table = encode(table)
    check_ranges(manifest, table, where=str(getattr(model, "folder_", "")))
    return range_flags(getattr(manifest, "feature_ranges", None), table)


def load_model_settings(
    folder: str | os.PathLike, *, app: str, spec_file: str, missing: str
) -> tuple[Path, Any, dict]:
    """Resolve a model folder (or a run folder holding ``model/``) and read its settings.

    The settings are ``model.json``'s ``details``; folders of older versions (and imported
    ones) keep them in the app's own ``spec_file``, which wins when present.

    Parameters
    ----------
    folder : path
        A model folder, or a run folder holding ``model/``.
    app : str
        The app the manifest must name (``"hst_svm"``, ``"jwst_cal"``).
    spec_file : str
        The app's settings file of older versions (``svm_model.json``).
    missing : str
        The ModelLoadError message when the folder has neither file; ``{folder}`` is filled
        in.

    Returns
    -------
    folder : pathlib.Path
        The model folder.
    manifest : Manifest
        Its ``model.json`` (a half-written folder is refused).
    settings : dict
        The model's settings.

    Examples
    --------
    >>> import pathlib
    >>> load_model_settings(pathlib.Path("nowhere"), app="hst_svm", spec_file="svm_model.json",
    ...                     missing="no model in {folder}")
    Traceback (most recent call last):
    ...
    spacekit.exceptions.ModelLoadError: no model in nowhere
    """
    import json

    from ..exceptions import ModelLoadError
    from ..utils.manifest import MANIFEST_FILE, read_manifest
    from ..utils.runs import model_folder

    folder = model_folder(model_folder(folder, MANIFEST_FILE), spec_file)
    spec_path = folder / spec_file
    if not (folder / MANIFEST_FILE).is_file() and not spec_path.is_file():
        raise ModelLoadError(missing.format(folder=folder))
    manifest = read_manifest(folder, app=app)
    settings = dict(manifest.details)
    if spec_path.is_file():
        try:
            settings = json.loads(spec_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ModelLoadError(f"{spec_path} is corrupt: {exc}") from None
    return folder, manifest, settings

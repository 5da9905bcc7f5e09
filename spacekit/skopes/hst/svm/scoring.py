"""Scores, image alignment and run reports shared by the SVM app's train, cross-validation,
score and predict (:mod:`spacekit.skopes.hst.svm.app`)."""

from __future__ import annotations

import hashlib
import logging
import os
from typing import Any

import numpy as np
import pandas as pd

from ....exceptions import InputError
from ....utils.runs import Run

__all__ = ["binary_metrics", "align_images"]

log = logging.getLogger(__name__)


def _check_binary_input(y_true: Any, proba: Any, threshold: Any) -> tuple[np.ndarray, np.ndarray]:
    raw = np.asarray(y_true).reshape(-1)
    try:
        p = np.asarray(proba, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise InputError(
            "proba must hold numbers (the probability of 'misaligned' per visit), got "
            f"{np.asarray(proba).dtype} values"
        ) from None
    if len(raw) != len(p):
        raise InputError(
            f"got {len(raw)} labels but {len(p)} probabilities; pass one probability per "
            "labelled visit"
        )
    if len(raw) == 0:
        raise InputError("binary_metrics got empty labels and probabilities; pass some visits")
    try:
        y = raw.astype(float)
    except (TypeError, ValueError):
        y = np.array([np.nan])
    found = sorted({str(v) for v in raw.tolist()})[:5]
    if not np.isin(y, [0.0, 1.0]).all():
        raise InputError(
            f"labels must be 0 (aligned) or 1 (misaligned); found {found}. Encode them "
            "first (e.g. (labels == 'misaligned').astype(int)) and drop unlabelled visits"
        )
    if not np.isfinite(p).all():
        raise InputError(
            f"proba holds {int((~np.isfinite(p)).sum())} NaN or infinite values; drop or "
            "re-predict those visits first"
        )
    try:
        t = float(threshold)
    except (TypeError, ValueError):
        t = float("nan")
    if not 0.0 <= t <= 1.0:
        raise InputError(f"threshold must be a probability between 0 and 1, got {threshold!r}")
    return y.astype(int), p


def binary_metrics(y_true: Any, proba: Any, *, threshold: float = 0.5) -> dict[str, Any]:
    """ROC-AUC, average precision and the per-class precision/recall of an SVM prediction
    (:func:`spacekit.computer.binary_metrics`, its keys named for the two classes).

    Parameters
    ----------
    y_true : array-like of int
        1 for a misaligned visit, 0 for an aligned one.
    proba : array-like of float
        Predicted probability of misalignment.
    threshold : float
        Probability at and above which a visit is called misaligned.

    Returns
    -------
    dict
        The metrics by name.

    Examples
    --------
    >>> m = binary_metrics([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> m["roc_auc"], m["recall_misaligned"]
    (0.75, 0.5)
    """
    from ....computer.metrics import binary_metrics as _scores

    y, p = _check_binary_input(y_true, proba, threshold)
    m = _scores(y, p, threshold=threshold)
    return {
        "n": m["n"],
        "n_misaligned": m["n_positive"],
        "threshold": m["threshold"],
        "roc_auc": m["roc_auc"],
        "average_precision": m["average_precision"],
        "accuracy": m["accuracy"],
        "precision_misaligned": m["precision"],
        "recall_misaligned": m["recall"],
        "f1_misaligned": m["f1"],
        "precision_aligned": m["precision_negative"],
        "recall_aligned": m["recall_negative"],
        "confusion": m["confusion"],
    }


def _data_sha256(data: Any, frame: pd.DataFrame) -> str:
    """The sha256 a run records: of the file (a path, or a registered dataset name's file, as
    the registry lists it), else of ``frame``'s values."""
    if isinstance(data, (str, os.PathLike)):
        from ....datasets.tables import resolve_path
        from ....utils import file_sha256

        return file_sha256(resolve_path(data, what="feature table"))
    return hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).to_numpy()).hexdigest()


def align_images(frame: pd.DataFrame, images: Any) -> np.ndarray | None:
    """Return image stacks in the row order of ``frame``.

    ``images`` is None, an array ``(n, 3, 128, 128, 3)`` already in row order, a path to an
    ``.npz`` with ``index`` and ``images``, or a ``(index, images)`` pair.

    Parameters
    ----------
    frame : pandas.DataFrame
        The feature table (its ``index`` column orders the stacks).
    images : array, path, pair or None
        As described above.

    Returns
    -------
    numpy.ndarray or None
        Shape ``(n, 3, 128, 128, 3)``; None when ``images`` is None.

    Raises
    ------
    InputError
        When a visit of the table has no image stack, or shapes are wrong.

    Examples
    --------
    >>> df = pd.DataFrame({"index": ["b", "a"]})
    >>> imgs = np.zeros((2, 3, 128, 128, 3)); imgs[0] += 1
    >>> float(align_images(df, (np.array(["a", "b"]), imgs))[1].max())
    1.0
    """
    from .images import load_image_arrays, validate_image_stack

    if images is None:
        return None
    if isinstance(images, (str, os.PathLike)):
        images = load_image_arrays(images)
    if isinstance(images, tuple):
        index, arr = images
        arr = validate_image_stack(arr, n=len(index))
        where = {str(k): i for i, k in enumerate(np.asarray(index).astype(str))}
        missing = [v for v in frame["index"].astype(str) if v not in where]
        if missing:
            raise InputError(
                f"{len(missing)} visits have no image stack (e.g. {missing[:3]}); render them "
                "with spacekit.skopes.hst.svm.render_frames or drop them from the table"
            )
        return arr[[where[v] for v in frame["index"].astype(str)]]
    return validate_image_stack(images, n=len(frame))


def _report(run: Run, y: Any, proba: Any, *, history: dict | None, name: str) -> None:
    """Add computer's report (figures, evaluation.json) to a run, when computer is available."""
    try:
        from ....computer import compute
    except ImportError:  # the computer layer is optional for this app
        log.info("spacekit.computer is not available: run %s gets metrics only", run.path)
        return
    kwargs: dict[str, Any] = {
        "proba": np.asarray(proba, dtype=float),
        "task": "binary",
        "labels": ["aligned", "misaligned"],
        "name": name,
    }
    if history:
        kwargs["history"] = history
    report = compute(np.asarray(y).astype(int), **kwargs)
    report.save(run)

"""Predictions at a threshold and classification/regression metrics (scikit-learn based)."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import InputError

__all__ = [
    "predict_classes",
    "get_preds",
    "false_negatives_positives",
    "fnfp",
    "binary_metrics",
    "classification_metrics",
    "regression_metrics",
]

log = logging.getLogger(__name__)


def _as_1d(values: Any, what: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise InputError(
            f"{what} must be one value per sample, shape (n,) or (n, 1); got shape {arr.shape}"
        )
    return arr


def _check_same_length(a: np.ndarray, b: np.ndarray, names: str) -> None:
    if len(a) != len(b):
        raise InputError(f"{names} must have the same length, got {len(a)} and {len(b)}")


def _check_proba(proba: np.ndarray) -> np.ndarray:
    try:
        proba = np.asarray(proba, dtype=float)
    except (TypeError, ValueError):
        found = np.asarray(proba, dtype=object).ravel()[:3].tolist()
        raise InputError(
            f"probabilities must be numbers in [0, 1], found values like {found}; pass the "
            "model's predicted probabilities (or use predict_classes(model, x))"
        ) from None
    if proba.ndim == 2 and proba.shape[1] == 1:
        proba = proba[:, 0]
    if proba.ndim not in (1, 2):
        raise InputError(
            f"probabilities must have shape (n,), (n, 1) or (n, n_classes); got {proba.shape}"
        )
    if proba.size and (np.isnan(proba).any() or proba.min() < 0 or proba.max() > 1):
        raise InputError(
            "probabilities must be finite numbers in [0, 1]; found values in "
            f"[{np.nanmin(proba):.3g}, {np.nanmax(proba):.3g}]"
            + (" and NaN" if np.isnan(proba).any() else "")
            + ": if these are logits, apply a sigmoid/softmax first (or give the model a "
            "sigmoid/softmax output)"
        )
    return proba


def predict_classes(
    proba_or_model: Any,
    x: Any = None,
    *,
    threshold: float = 0.5,
) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities and predicted classes, from a model and inputs or from probabilities.

    Parameters
    ----------
    proba_or_model : array-like or model
        Probabilities — shape ``(n,)``/``(n, 1)`` for a binary classifier (probability of
        class 1) or ``(n, n_classes)`` — or a model with ``predict`` (Keras) or
        ``predict_proba`` (scikit-learn), evaluated on ``x``.
    x : array-like, optional
        Inputs, required when a model is given.
    threshold : float
        Binary decision threshold: class 1 where ``proba >= threshold``. Ignored for
        multiclass probabilities (the most probable class wins).

    Returns
    -------
    (ndarray, ndarray)
        ``proba`` (``(n,)`` for binary, ``(n, n_classes)`` otherwise) and the integer classes.

    Notes
    -----
    The seed's ``get_preds(X, y, model)`` returned ``(y_true, y_pred)`` and rounded at 0.5;
    this returns the probabilities (needed for ROC/PR curves) and takes any threshold.

    Examples
    --------
    >>> from spacekit.computer import predict_classes
    >>> proba, classes = predict_classes([0.2, 0.7, 0.4], threshold=0.35)
    >>> classes.tolist()
    [0, 1, 1]
    >>> predict_classes([[0.1, 0.9], [0.8, 0.2]])[1].tolist()
    [1, 0]
    """
    try:
        ok = 0.0 <= float(threshold) <= 1.0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise InputError(f"threshold must be a number in [0, 1], got {threshold!r}")
    if hasattr(proba_or_model, "predict") or hasattr(proba_or_model, "predict_proba"):
        if x is None:
            raise InputError("predict_classes(model, x): x is required when a model is given")
        model = proba_or_model
        if hasattr(model, "predict_proba"):
            proba = np.asarray(model.predict_proba(x))
            if proba.ndim == 2 and proba.shape[1] == 2:
                proba = proba[:, 1]
        else:
            try:
                proba = model.predict(x, verbose=0)
            except TypeError:
                proba = model.predict(x)
    else:
        proba = proba_or_model
    proba = _check_proba(proba)
    if proba.ndim == 1:
        classes = (proba >= float(threshold)).astype(int)
    else:
        classes = proba.argmax(axis=1).astype(int)
    return proba, classes


#: The seed's name of :func:`predict_classes` (same function; see its Notes for what changed).
get_preds = predict_classes


def _proba_classes(y_true: np.ndarray, k: int) -> np.ndarray:
    """The class value of each of the ``k`` columns of ``(n, k)`` probabilities.

    Columns are in sorted class order: when ``y_true`` holds ``k`` classes they are its sorted
    classes (``[1, 2, 3]``, ``["a", "b", "c"]``); when it holds fewer, its labels must be the
    integer codes ``0..k-1`` (column ``j`` is code ``j``). Anything else cannot be matched.
    """
    try:
        present = np.unique(y_true)
    except TypeError:  # mixed types cannot be sorted
        raise InputError(
            "y_true mixes label types (e.g. numbers and text): use one type per label"
        ) from None
    if len(present) == k:
        return present
    whole = present.dtype.kind in "iub" or (
        present.dtype.kind == "f" and bool(np.all(present == np.round(present)))
    )
    if whole and len(present) and present.min() >= 0 and present.max() < k:
        return np.arange(k)
    raise InputError(
        f"proba has {k} columns (one per class, in sorted class order) but y_true holds "
        f"{len(present)} classes {present[:10].tolist()}, so the columns cannot be matched to "
        f"the classes; encode y_true as integer codes 0..{k - 1} (column j is code j), or pass "
        "probabilities with one column per class of y_true"
    )


def _binary_labels(y: Any, what: str) -> np.ndarray:
    arr = _as_1d(y, what)
    if arr.dtype == bool:
        return arr.astype(int)
    uniq = set(np.unique(arr).tolist())
    if not uniq <= {0, 1}:
        raise InputError(
            f"{what} must hold binary labels 0/1 (1 = positive class); found values "
            f"{sorted(uniq)[:6]}; for more classes use classification_metrics or "
            "plot_confusion_matrix"
        )
    return arr.astype(int)


def false_negatives_positives(y_true: Any, y_pred: Any) -> dict[str, float | int]:
    """False-negative and false-positive counts and rates of a binary classifier.

    Parameters
    ----------
    y_true, y_pred : array-like of 0/1
        True and predicted classes (1 = positive, e.g. "has a planet").

    Returns
    -------
    dict
        ``tp``, ``tn``, ``fp``, ``fn``, ``n_positive``, ``n_negative`` (counts) and
        ``fnr = fn / n_positive`` (miss rate), ``fpr = fp / n_negative`` (false-alarm rate),
        ``tpr`` (recall) and ``tnr`` (specificity). A rate whose denominator is zero is NaN.

    Notes
    -----
    The seed's ``fnfp`` divided both counts by the number of *all* rows, which makes the
    rates depend on class balance (with 1% positives, missing every planet looked like a 1%
    "false-negative rate"). Rates are now over the positives and negatives respectively.

    Examples
    --------
    >>> from spacekit.computer import false_negatives_positives
    >>> r = false_negatives_positives([1, 1, 0, 0, 0, 0], [1, 0, 0, 0, 1, 0])
    >>> r["fn"], r["fp"], r["fnr"], r["fpr"]
    (1, 1, 0.5, 0.25)
    """
    t = _binary_labels(y_true, "y_true")
    p = _binary_labels(y_pred, "y_pred")
    _check_same_length(t, p, "y_true and y_pred")
    tp = int(np.sum((t == 1) & (p == 1)))
    tn = int(np.sum((t == 0) & (p == 0)))
    fp = int(np.sum((t == 0) & (p == 1)))
    fn = int(np.sum((t == 1) & (p == 0)))
    pos, neg = tp + fn, tn + fp

    def rate(a: int, b: int) -> float:
        return a / b if b else float("nan")

    return {
        "tp": tp,
        "tn": tn,
        "fp": fp,
        "fn": fn,
        "n_positive": pos,
        "n_negative": neg,
        "fnr": rate(fn, pos),
        "fpr": rate(fp, neg),
        "tpr": rate(tp, pos),
        "tnr": rate(tn, neg),
    }


#: The seed's name of :func:`false_negatives_positives` (same function; see its Notes).
fnfp = false_negatives_positives


def _is_binary(y_true: np.ndarray, y_pred: np.ndarray, proba: np.ndarray | None) -> bool:
    if proba is not None and proba.ndim == 2 and proba.shape[1] > 2:
        return False
    try:
        values = set(np.unique(np.concatenate([y_true, y_pred])).tolist())
    except TypeError:
        return False
    return values <= {0, 1}


def binary_metrics(y_true: Any, proba: Any, *, threshold: float = 0.5) -> dict[str, Any]:
    """The scores of a binary classifier's probabilities at a threshold, for both classes.

    The one implementation the apps use (svm's ``binary_metrics`` and k2's scores rename its
    keys for their classes).

    Parameters
    ----------
    y_true : array-like of 0/1
        True classes (1 = positive).
    proba : array-like
        Probability of class 1, shape ``(n,)``.
    threshold : float
        Class 1 where ``proba >= threshold``.

    Returns
    -------
    dict
        ``n``, ``n_positive``, ``threshold``, ``accuracy``; ``precision``, ``recall``, ``f1``
        (positive class) and ``precision_negative``, ``recall_negative``, ``f1_negative``;
        ``roc_auc``, ``average_precision`` and ``recall_at_precision_0.9`` (the highest recall
        at a threshold where precision is at least 0.9; 0.0 when none is), None unless both
        classes are present; ``confusion`` ``[[tn, fp], [fn, tp]]``.

    Examples
    --------
    >>> from spacekit.computer import binary_metrics
    >>> m = binary_metrics([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> m["roc_auc"], m["recall"], m["recall_at_precision_0.9"]
    (0.75, 0.5, 0.5)
    """
    from sklearn import metrics as skm

    t = _binary_labels(y_true, "y_true")
    p = _check_proba(proba)
    if p.ndim != 1:
        raise InputError(
            f"binary_metrics needs the probability of class 1, shape (n,); got {p.shape}"
        )
    _check_same_length(t, p, "y_true and proba")
    if len(t) == 0:
        raise InputError("binary_metrics needs at least one sample, got none")
    pred = (p >= float(threshold)).astype(int)
    prec, rec, f1, _ = skm.precision_recall_fscore_support(t, pred, labels=[0, 1], zero_division=0)
    both = len(np.unique(t)) == 2
    out: dict[str, Any] = {
        "n": int(len(t)),
        "n_positive": int(t.sum()),
        "threshold": float(threshold),
        "accuracy": float(skm.accuracy_score(t, pred)),
        "precision": float(prec[1]),
        "recall": float(rec[1]),
        "f1": float(f1[1]),
        "precision_negative": float(prec[0]),
        "recall_negative": float(rec[0]),
        "f1_negative": float(f1[0]),
        "roc_auc": None,
        "average_precision": None,
        "recall_at_precision_0.9": None,
        "confusion": skm.confusion_matrix(t, pred, labels=[0, 1]).tolist(),
    }
    if both:
        out["roc_auc"] = float(skm.roc_auc_score(t, p))
        out["average_precision"] = float(skm.average_precision_score(t, p))
        curve_p, curve_r, _ = skm.precision_recall_curve(t, p)
        ok = curve_p >= 0.9
        out["recall_at_precision_0.9"] = float(curve_r[ok].max()) if ok.any() else 0.0
    return out


def classification_metrics(y_true: Any, y_pred: Any, proba: Any = None) -> dict[str, Any]:
    """Accuracy, precision, recall, F1 and (with probabilities) ROC-AUC and average precision.

    Parameters
    ----------
    y_true, y_pred : array-like
        True and predicted classes. Binary when they only hold 0/1 (1 = positive class).
    proba : array-like, optional
        Probability of class 1 ``(n,)`` (binary) or ``(n, n_classes)`` (multiclass, columns
        in sorted class order).

    Returns
    -------
    dict
        Binary: ``accuracy``, ``balanced_accuracy``, ``precision``, ``recall``, ``f1`` (of
        the positive class), the :func:`false_negatives_positives` counts and rates, and with
        ``proba`` ``roc_auc``, ``average_precision``, ``brier``. Multiclass: ``accuracy``,
        ``balanced_accuracy``, macro and weighted ``precision``/``recall``/``f1``,
        ``per_class`` ``{label: {precision, recall, f1, support}}`` and with ``proba``
        ``roc_auc_ovr`` (macro one-vs-rest). ``n`` is the number of samples. Scores that
        need both classes present are NaN otherwise.

    Examples
    --------
    >>> from spacekit.computer import classification_metrics
    >>> m = classification_metrics([1, 0, 1, 0], [1, 0, 0, 0], proba=[0.9, 0.1, 0.4, 0.3])
    >>> m["precision"], m["recall"], m["roc_auc"]
    (1.0, 0.5, 1.0)
    """
    from sklearn import metrics as skm

    t = _as_1d(y_true, "y_true")
    p = _as_1d(y_pred, "y_pred")
    _check_same_length(t, p, "y_true and y_pred")
    if len(t) == 0:
        raise InputError("classification_metrics needs at least one sample, got none")
    for arr, what in ((t, "y_true"), (p, "y_pred")):
        missing = pd.isna(arr)
        if missing.any():
            raise InputError(
                f"{what} has {int(missing.sum())} missing label(s) (NaN/None) out of "
                f"{len(arr)}; drop those rows first (e.g. df.dropna(subset=[...]))"
            )
    pr = None if proba is None else _check_proba(proba)
    if pr is not None:
        _check_same_length(t, pr, "y_true and proba")
    out: dict[str, Any] = {
        "n": int(len(t)),
        "accuracy": float(skm.accuracy_score(t, p)),
    }
    both = len(np.unique(t)) > 1
    if _is_binary(t, p, pr):
        t, p = t.astype(int), p.astype(int)
        out["balanced_accuracy"] = (
            float(skm.balanced_accuracy_score(t, p)) if both else float("nan")
        )
        out["precision"] = float(skm.precision_score(t, p, zero_division=0))
        out["recall"] = float(skm.recall_score(t, p, zero_division=0))
        out["f1"] = float(skm.f1_score(t, p, zero_division=0))
        out.update(false_negatives_positives(t, p))
        if pr is not None:
            if pr.ndim == 2:
                pr = pr[:, 1]
            out["roc_auc"] = float(skm.roc_auc_score(t, pr)) if both else float("nan")
            out["average_precision"] = (
                float(skm.average_precision_score(t, pr)) if both else float("nan")
            )
            out["brier"] = float(skm.brier_score_loss(t, pr)) if both else float("nan")
        return out
    classes = np.unique(np.concatenate([t, p]))
    if pr is not None and pr.ndim == 1:
        raise InputError(
            "proba of shape (n,) is the probability of class 1, but the labels are not 0/1 "
            f"(found {classes[:10].tolist()}); pass proba of shape (n, n_classes) with its "
            "columns in sorted class order, or encode the labels as 0/1"
        )
    out["balanced_accuracy"] = float(skm.balanced_accuracy_score(t, p))
    for avg in ("macro", "weighted"):
        prec, rec, f1, _ = skm.precision_recall_fscore_support(t, p, average=avg, zero_division=0)
        out[f"precision_{avg}"], out[f"recall_{avg}"], out[f"f1_{avg}"] = (
            float(prec),
            float(rec),
            float(f1),
        )
    prec, rec, f1, sup = skm.precision_recall_fscore_support(t, p, labels=classes, zero_division=0)
    out["per_class"] = {
        str(c): {"precision": float(a), "recall": float(b), "f1": float(f), "support": int(s)}
        for c, a, b, f, s in zip(classes, prec, rec, f1, sup, strict=True)
    }
    if pr is not None and pr.ndim == 2:
        present = np.unique(t)
        _proba_classes(t, pr.shape[1])  # refuses columns that cannot be matched to classes
        if len(present) == pr.shape[1] == 2:  # two classes named otherwise than 0/1
            out["roc_auc_ovr"] = float(skm.roc_auc_score(t == present[1], pr[:, 1]))
        elif len(present) == pr.shape[1]:
            sums = pr.sum(axis=1)
            if not np.allclose(sums, 1.0, atol=1e-3):
                worst = float(sums[np.argmax(np.abs(sums - 1.0))])
                raise InputError(
                    "multiclass probabilities must sum to 1 over the classes of each row; found "
                    f"a row summing to {worst:.4g}: apply a softmax (or normalise the rows, "
                    "proba / proba.sum(axis=1, keepdims=True)) first"
                )
            out["roc_auc_ovr"] = float(skm.roc_auc_score(t, pr / sums[:, None], multi_class="ovr"))
        else:
            out["roc_auc_ovr"] = float("nan")
    return out


def _as_floats(values: Any, what: str) -> np.ndarray:
    arr = _as_1d(values, what)
    try:
        return arr.astype(float)
    except (TypeError, ValueError):
        raise InputError(
            f"{what} must hold numbers for a regression; found {arr.dtype} values like "
            f"{arr[:3].tolist()}; convert them (pd.to_numeric) or use a classification task"
        ) from None


def _regression_pair(y_true: Any, y_pred: Any, caller: str) -> tuple[np.ndarray, np.ndarray]:
    """Finite float arrays of the same, non-zero length (else InputError)."""
    t = _as_floats(y_true, "y_true")
    p = _as_floats(y_pred, "y_pred")
    _check_same_length(t, p, "y_true and y_pred")
    if len(t) == 0:
        raise InputError(f"{caller} needs at least one sample, got none")
    if not (np.isfinite(t).all() and np.isfinite(p).all()):
        raise InputError(
            "y_true and y_pred must be finite numbers (found NaN or inf); drop "
            "or impute those rows first"
        )
    return t, p


def regression_metrics(y_true: Any, y_pred: Any) -> dict[str, float]:
    """Root-mean-square error, mean absolute error, R², median absolute percentage error.

    Parameters
    ----------
    y_true, y_pred : array-like
        True and predicted values, shape ``(n,)`` or ``(n, 1)``.

    Returns
    -------
    dict
        ``rmse``, ``mae``, ``r2``, ``mdape`` (median of ``|y - ŷ| / |y|`` in percent, over
        rows with ``y != 0``), ``max_error`` and ``n``.

    Examples
    --------
    >>> from spacekit.computer import regression_metrics
    >>> m = regression_metrics([1.0, 2.0, 4.0], [1.0, 2.5, 3.0])
    >>> round(m["mae"], 3), round(m["mdape"], 1)
    (0.5, 25.0)
    """
    from sklearn import metrics as skm

    t, p = _regression_pair(y_true, y_pred, "regression_metrics")
    nz = t != 0
    mdape = (
        float(np.median(np.abs(t[nz] - p[nz]) / np.abs(t[nz])) * 100) if nz.any() else float("nan")
    )
    return {
        "n": int(len(t)),
        "rmse": float(np.sqrt(skm.mean_squared_error(t, p))),
        "mae": float(skm.mean_absolute_error(t, p)),
        "r2": float(skm.r2_score(t, p)) if len(t) > 1 else float("nan"),
        "mdape": mdape,
        "max_error": float(np.max(np.abs(t - p))),
    }

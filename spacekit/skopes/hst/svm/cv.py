"""Proposal-grouped cross-validation of the SVM alignment classifier (:func:`cross_validate`,
and the deprecated ``evaluate``, which also scored a trained model)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from ....exceptions import InputError
from ....utils.deprecation import warn_deprecated
from ....utils.runs import Run, tracks_runs
from .model import MODEL_KINDS, SvmModel, proposal_folds
from .scoring import _data_sha256, _report, align_images, binary_metrics
from .stages import load_feature_table

__all__ = ["cross_validate", "evaluate"]

APP = "hst_svm"


def evaluate(data: str | os.PathLike | pd.DataFrame, **kwargs: Any) -> Run:
    """Deprecated: :func:`cross_validate` (or, with ``model_dir=``, :func:`score`).

    Cross-validates on proposal-grouped folds (or scores ``model_dir`` on ``data``) and
    writes a run folder, as before: ``evaluate(data, model="gb")`` is now
    ``cross_validate(data, kind="gb")``.

    Parameters
    ----------
    data : path, DataFrame or dataset name
        A labelled feature table.
    **kwargs
        The old keywords: ``model`` (the model family), ``model_dir``, ``images``,
        ``n_splits``, ``repeats``, ``seed``, ``fast``, ``runs_dir``, ``name``, ``progress``.

    Returns
    -------
    Run
        The run folder, as :func:`cross_validate` (or :func:`score`) writes it.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     run = evaluate("svm_labeled_2021_07_28", model="gb", n_splits=2, repeats=1,
    ...                    fast=True, runs_dir="runs")
    >>> caught[0].category.__name__, run.path.parent.name
    ('DeprecationWarning', 'hst_svm')
    """
    warn_deprecated(
        "svm.evaluate() is deprecated; use cross_validate(data, kind=...) or score(model, data)",
        since="2.0",
    )
    return _evaluate_run(data, **kwargs)


def _evaluate_run(
    data: str | os.PathLike | pd.DataFrame,
    *,
    model: str = "gb",
    model_dir: str | os.PathLike | None = None,
    images: Any = None,
    n_splits: int = 5,
    repeats: int = 2,
    seed: int = 0,
    fast: bool = False,
    runs_dir: str | os.PathLike | None = None,
    name: str = "evaluate",
    progress: bool | None = None,
) -> Run:
    """Evaluate on proposal-grouped folds (or score a trained model) and write a run folder
    (the body of :func:`cross_validate` and of the deprecated ``evaluate``).

    Without ``model_dir``: ``repeats`` × stratified ``n_splits``-fold cross-validation that
    keeps the visits of a proposal together; metrics are the mean, worst and spread of the
    folds' ROC-AUC, the pooled precision/recall of the misaligned class, and the ROC-AUC on
    original visits only (upstream's table also holds synthetic misaligned rows whose
    ``index`` ends in ``_stat``/``_stoc``). With ``model_dir``: that model's scores on
    ``data``.
    """
    from .encode import parse_index

    frame = load_feature_table(data, require_label=True)
    y = frame["label"].astype(int).to_numpy()
    imgs = align_images(frame, images)
    original = np.array([parse_index(i)["rest"] == "" for i in frame["index"]])
    params = {
        "model": model,
        "n_splits": n_splits,
        "repeats": repeats,
        "fast": fast,
        "model_dir": str(model_dir) if model_dir else None,
        "n_rows": len(frame),
    }
    if model_dir is not None:
        m = SvmModel.load(model_dir)
        proba = m.predict_proba(frame, images=imgs)
        metrics = binary_metrics(y, proba, threshold=m.threshold)
        pooled_y, pooled_p, pooled_idx, history = y, proba, frame["index"].to_numpy(), None
        threshold = m.threshold
    else:
        threshold = 0.5
        if model not in MODEL_KINDS:
            raise InputError(f"model must be one of {MODEL_KINDS}, got {model!r}")
        folds = proposal_folds(frame, y, n_splits=n_splits, repeats=repeats, seed=seed)
        fold_scores, orig_auc = [], []
        oof = np.full(len(y), np.nan)
        history = None
        from ....utils import progress as _progress

        for k, (tr, te) in enumerate(_progress(folds, desc="svm folds", enabled=progress)):
            m = SvmModel(kind=model, fast=fast, seed=seed, progress=False)
            m.fit(frame.iloc[tr], y[tr], images=imgs[tr] if imgs is not None else None)
            p = m.predict_proba(frame.iloc[te], images=imgs[te] if imgs is not None else None)
            fold_scores.append(binary_metrics(y[te], p, threshold=m.threshold))
            o = original[te]
            if len(np.unique(y[te][o])) == 2:
                orig_auc.append(binary_metrics(y[te][o], p[o])["roc_auc"])
            if k < n_splits:  # first repeat: out-of-fold predictions for the report
                oof[te] = p
            history = m.history_
        aucs = np.array([s["roc_auc"] for s in fold_scores], dtype=float)
        pooled = binary_metrics(y, oof)
        metrics = {
            "roc_auc_mean": float(np.nanmean(aucs)),
            "roc_auc_worst": float(np.nanmin(aucs)),
            "roc_auc_std": float(np.nanstd(aucs)),
            "original_visits_roc_auc_mean": float(np.mean(orig_auc)) if orig_auc else None,
            "n_folds": len(folds),
            **{f"pooled_{k}": v for k, v in pooled.items() if k != "confusion"},
            "pooled_confusion": pooled["confusion"],
            "precision_misaligned": pooled["precision_misaligned"],
            "recall_misaligned": pooled["recall_misaligned"],
            "folds": [
                {k: s[k] for k in ("n", "roc_auc", "precision_misaligned", "recall_misaligned")}
                for s in fold_scores
            ],
        }
        pooled_y, pooled_p, pooled_idx = y, oof, frame["index"].to_numpy()
    run = Run.create(
        APP,
        name,
        runs_dir=runs_dir,
        parameters=params,
        seed=seed,
        data_sha256=_data_sha256(data, frame),
    )
    _report(run, pooled_y, pooled_p, history=history, name=f"svm {model} evaluation")
    run.write_metrics(metrics)
    run.write_predictions(
        pd.DataFrame(
            {
                "index": pooled_idx,
                "probability": pooled_p,
                "label": (pooled_p >= threshold).astype(int),
                "true_label": pooled_y,
            }
        )
    )
    return run


@tracks_runs  # the run folder ends complete, failed or interrupted
def cross_validate(
    data: str | os.PathLike | pd.DataFrame,
    *,
    n_splits: int = 5,
    n_repeats: int = 3,
    seed: int = 0,
    runs_dir: str | os.PathLike | None = None,
    kind: str = "gb",
    images: Any = None,
    fast: bool = False,
    name: str | None = None,
    progress: bool | None = None,
) -> Run:
    """Repeated proposal-grouped k-fold cross-validation of one model family; a run folder.

    Parameters
    ----------
    data : path, dataset name or DataFrame
        A labelled feature table.
    n_splits, n_repeats : int
        Folds per repeat and repeats (stratified, the visits of a proposal kept together).
    seed : int
        Seed of the folds and the models.
    runs_dir : path, optional
        Parent of run folders.
    kind : {"gb", "gb_et", "mlp", "ensemble"}
        The model family.
    images, fast, name, progress
        As for :func:`train`.

    Returns
    -------
    Run
        ``metrics.json``: ``roc_auc_mean``, ``roc_auc_worst``, ``roc_auc_std``, pooled
        precision/recall of the misaligned class, per-fold scores.

    Examples
    --------
    >>> run = cross_validate("svm_labeled_2021_07_28", n_splits=2, n_repeats=1, kind="gb",
    ...                      fast=True, runs_dir="runs")
    >>> len(run.metrics["folds"]), 0.5 < run.metrics["roc_auc_mean"] <= 1
    (2, True)
    """
    return _evaluate_run(
        data,
        model=kind,
        images=images,
        n_splits=n_splits,
        repeats=n_repeats,
        seed=seed,
        fast=fast,
        runs_dir=runs_dir,
        name=name or "cv",
        progress=progress,
    )

"""The app contract of the SVM alignment classifier (see :mod:`spacekit.skopes`): train,
cross-validate, score, predict, predict_batch and load_model, with run folders.

- :func:`train` compares the candidates on proposal-grouped folds, keeps the best (mean
  ROC-AUC), scores it on held-out proposals, and writes a run folder (app ``"hst_svm"``) holding the
  model, ``metrics.json`` (with every candidate's validation scores and why the winner
  won), ``predictions.csv`` (validation visits) and, when :mod:`spacekit.computer` is
  available, its report figures;
- :func:`cross_validate` runs repeated proposal-grouped k-fold cross-validation and reports
  mean and worst-fold ROC-AUC and the precision/recall of the misaligned class;
- :func:`score` gives the :data:`HEADLINE_METRICS` of a trained model on a labelled table;
- :func:`predict` returns a table ``index, probability, label``; :func:`predict_to_run`
  writes ``predictions.csv``, ``classification_report.txt`` and ``misaligned.txt`` (visits
  flagged misaligned) in a run folder;
- :func:`predict_batch` spreads prediction over Dask (in-process by default);
- :func:`load_model`: a model, run or runs folder.

``evaluate`` (cross-validation, or scoring with ``model_dir=``) and ``train(model=...)`` are
deprecated: use :func:`cross_validate`, :func:`score` and ``train(kind=...)``.

Examples
--------
>>> # run = train("svm_labeled_2021_07_28", runs_dir="spacekit-runs")
>>> # out = predict(run, "svm_unlabeled_2021_10_06")
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ....exceptions import InputError
from ....utils.checks import whole_number
from ....utils.deprecation import deprecated_renamed_argument, warn_deprecated
from ....utils.manifest import trained_source
from ....utils.runs import Run
from .model import MODEL_KINDS, TREE_KINDS, SvmModel, proposal_folds, proposal_split
from .stages import load_feature_table

__all__ = [
    "HEADLINE_METRICS",
    "binary_metrics",
    "align_images",
    "train",
    "cross_validate",
    "score",
    "evaluate",
    "predict",
    "predict_frame",
    "predict_to_run",
    "predict_batch",
    "load_model",
]

log = logging.getLogger(__name__)
APP = "hst_svm"
#: What the dashboard and reports show first (keys of :func:`score` and of a run's metrics).
HEADLINE_METRICS = ("roc_auc", "precision_misaligned", "recall_misaligned")
_UNSET: Any = object()


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
    if isinstance(data, (str, os.PathLike)) and Path(data).is_file():
        from ....utils import file_sha256

        return file_sha256(data)
    return hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).to_numpy()).hexdigest()


def align_images(frame: pd.DataFrame, images: Any) -> np.ndarray | None:
    """Return image stacks in the row order of ``frame``.

    ``images`` is None, an array ``(n, 3, 128, 128, 3)`` already in row order, a path to an
    ``.npz`` with ``index`` and ``images``, or a ``(index, images)`` pair.

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


@deprecated_renamed_argument("model", "kind", since="1.2")
def train(
    data: str | os.PathLike | pd.DataFrame,
    *,
    runs_dir: str | os.PathLike | None = None,
    name: str | None = None,
    seed: int = 0,
    fast: bool = False,
    progress: bool | None = None,
    kind: str = "auto",
    images: Any = None,
    test_size: float = 0.2,
    selection_folds: int = 3,
) -> Run:
    """Train the SVM alignment classifier and write a run folder.

    Parameters
    ----------
    data : path, dataset name or DataFrame
        A labelled feature table (``svm_labeled_2021-07-28.csv`` format); ``det`` is
        re-derived from ``index``.
    runs_dir : path, optional
        Parent of run folders (default ``conf.runs_dir``).
    name : str, optional
        Run name (default ``"train"``).
    seed : int
        Seed of the split and the models.
    fast : bool
        Tiny models (seconds; for tests and smoke runs).
    progress : bool, optional
        Progress bars (Keras kinds).
    kind : {"auto", "gb", "gb_et", "mlp", "ensemble"}
        The model family (was ``model=``, deprecated). ``"auto"``: tabular-only, the best of gb, gb_et and mlp by mean ROC-AUC over
        ``selection_folds`` proposal-grouped folds (the ensemble when ``images`` is given).
    images : array, .npz path or (index, images), optional
        Image stacks for the ensemble (see :func:`align_images`).
    test_size : float
        Share of proposals held out for the reported validation scores and predictions.
        A gb or gb_et model is then refit on every row; a Keras model keeps the weights early
        stopping chose on that split.
    selection_folds : int
        Folds of the ``"auto"`` comparison.

    Returns
    -------
    spacekit.utils.runs.Run
        The run; its ``model/`` loads with :func:`~spacekit.skopes.hst.svm.load_svm_model`.

    Examples
    --------
    >>> # run = train("svm_labeled_2021_07_28", runs_dir="runs", kind="gb")
    """
    model = kind
    name = name or "train"
    frame = load_feature_table(data, require_label=True)
    y = frame["label"].astype(int).to_numpy()
    imgs = align_images(frame, images)
    if model == "auto":
        candidates = ["ensemble"] if imgs is not None else ["gb", "gb_et", "mlp"]
    elif model in MODEL_KINDS:
        candidates = [model]
    else:
        raise InputError(f"kind must be 'auto' or one of {MODEL_KINDS}, got {model!r}")
    if "ensemble" in candidates and imgs is None:
        raise InputError("kind='ensemble' needs images= (arrays, an .npz, or (index, images))")
    tr, va = proposal_split(frame, y, test_size=test_size, seed=seed)
    selection: dict[str, dict] = {}
    if len(candidates) > 1:
        # one split swings a lot (a few large proposals); compare on k grouped folds
        folds = proposal_folds(frame, y, n_splits=selection_folds, seed=seed)
        for kind in candidates:
            aucs = []
            for ftr, fte in folds:
                m = SvmModel(kind=kind, fast=fast, seed=seed, progress=progress)
                val = (frame.iloc[fte], y[fte], None) if kind not in TREE_KINDS else None
                m.fit(frame.iloc[ftr], y[ftr], validation=val)
                aucs.append(binary_metrics(y[fte], m.predict_proba(frame.iloc[fte]))["roc_auc"])
            selection[kind] = {
                "roc_auc_mean": float(np.mean(aucs)),
                "roc_auc_worst": float(np.min(aucs)),
                "folds": len(aucs),
            }
            log.info("SVM %s: %d-fold grouped ROC-AUC %.4f", kind, len(aucs), np.mean(aucs))
        chosen = max(candidates, key=lambda k: selection[k]["roc_auc_mean"])
        reason = (
            f"{chosen} had the highest mean ROC-AUC over {selection_folds} proposal-grouped "
            "folds: " + ", ".join(f"{k} {selection[k]['roc_auc_mean']:.4f}" for k in candidates)
        )
    else:
        chosen, reason = candidates[0], f"{candidates[0]} was requested"
    # the chosen kind on one held-out split: the reported validation scores and predictions
    img_tr = imgs[tr] if imgs is not None else None
    img_va = imgs[va] if imgs is not None else None
    held = SvmModel(kind=chosen, fast=fast, seed=seed, progress=progress)
    held.fit(
        frame.iloc[tr],
        y[tr],
        images=img_tr,
        validation=(frame.iloc[va], y[va], img_va) if chosen not in TREE_KINDS else None,
    )
    proba_va = held.predict_proba(frame.iloc[va], images=img_va)
    scores = binary_metrics(y[va], proba_va)
    log.info("SVM %s: validation ROC-AUC %.4f", chosen, scores["roc_auc"] or float("nan"))
    final = held
    if chosen in TREE_KINDS:  # cheap: refit on every proposal for the shipped model
        final = SvmModel(kind=chosen, fast=fast, seed=seed).fit(frame, y)
    run = Run.create(
        APP,
        name,
        runs_dir=runs_dir,
        parameters={
            "model": model,
            "chosen": chosen,
            "fast": fast,
            "test_size": test_size,
            "n_rows": len(frame),
            "images": imgs is not None,
        },
        seed=seed,
        data_sha256=_data_sha256(data, frame),
    )
    final.save(
        run.model_dir,
        metadata={"validation": scores, "selection": reason, "candidates": selection},
        source=trained_source(run.info["data_sha256"], run.info["created"]),
        headline_metrics={k: scores.get(k) for k in HEADLINE_METRICS},
    )
    _report(run, y[va], proba_va, history=held.history_, name=f"svm {chosen}")
    run.write_metrics(
        {
            **{k: v for k, v in scores.items() if k != "confusion"},
            "model": chosen,
            "selection": reason,
            "candidates": selection,
            "refit_on_all_rows": chosen in TREE_KINDS,
        }
    )
    run.write_predictions(
        pd.DataFrame(
            {
                "index": frame["index"].iloc[va].to_numpy(),
                "probability": proba_va,
                "label": (proba_va >= held.threshold).astype(int),
                "true_label": y[va],
            }
        )
    )
    return run


def evaluate(data: str | os.PathLike | pd.DataFrame, **kwargs: Any) -> Run:
    """Deprecated: :func:`cross_validate` (or, with ``model_dir=``, :func:`score`).

    Cross-validates on proposal-grouped folds (or scores ``model_dir`` on ``data``) and
    writes a run folder, as before.

    Examples
    --------
    >>> # cross_validate("svm_labeled_2021_07_28", kind="gb")  # was evaluate(..., model="gb")
    """
    warn_deprecated(
        "svm.evaluate() is deprecated; use cross_validate(data, kind=...) or score(model, data)",
        since="1.2",
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

    Examples
    --------
    >>> # run = cross_validate("svm_labeled_2021_07_28", kind="gb", n_repeats=2)
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


def predict_frame(
    model: SvmModel | str | os.PathLike,
    data: str | os.PathLike | pd.DataFrame,
    *,
    images: Any = None,
) -> pd.DataFrame:
    """Predict a feature table → DataFrame ``index, probability, label`` (1 = misaligned),
    plus ``out_of_range`` (the features outside the training ranges, ``""`` when none) for a
    model that keeps ranges.

    Examples
    --------
    >>> # predict_frame("runs/hst_svm/…/model", "svm_unlabeled_2021_10_06")
    """
    m = load_model(model)
    frame = load_feature_table(data)
    flags = _check_ranges(m, frame)
    imgs = align_images(frame, images)
    proba = m.predict_proba(frame, images=imgs)
    out = pd.DataFrame(
        {
            "index": frame["index"].to_numpy(),
            "probability": proba,
            "label": (proba >= m.threshold).astype(int),
        }
    )
    if flags is not None:  # the features outside the training ranges ("" when none)
        out["out_of_range"] = flags
    if "label" in frame.columns and frame["label"].notna().any():
        # nullable: a partly labelled table keeps its labels (<NA> for the unlabelled visits)
        out["true_label"] = pd.array(frame["label"].to_numpy(), dtype="Int64")
    return out


def predict(
    model: SvmModel | Run | str | os.PathLike,
    data: str | os.PathLike | pd.DataFrame,
    *,
    images: Any = None,
    runs_dir: Any = _UNSET,
    name: Any = _UNSET,
) -> pd.DataFrame:
    """Predict visits → table ``index, probability, label`` (1 = misaligned; ``true_label``
    when ``data`` is labelled).

    Parameters
    ----------
    model : SvmModel, Run or path
        A loaded model, or anything :func:`load_model` accepts.
    data : path, dataset name or DataFrame
        A feature table of visits.
    images : optional
        Image stacks (ensemble models; see :func:`align_images`).
    runs_dir, name : deprecated
        Given, the old behaviour: write a run folder and return it (use
        :func:`predict_to_run`).

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> # predict(run, "svm_unlabeled_2021_10_06")
    """
    if runs_dir is not _UNSET or name is not _UNSET:
        warn_deprecated(
            "svm.predict(model_dir, data, runs_dir=...) writing a run folder is deprecated; use "
            "predict_to_run(model, data, runs_dir=...) (predict now returns the table)",
            since="1.2",
        )
        return predict_to_run(
            model,
            data,
            images=images,
            runs_dir=None if runs_dir is _UNSET else runs_dir,
            name="predict" if name is _UNSET else name,
        )
    return predict_frame(load_model(model), data, images=images)


def predict_to_run(
    model: SvmModel | Run | str | os.PathLike,
    data: str | os.PathLike | pd.DataFrame,
    *,
    images: Any = None,
    runs_dir: str | os.PathLike | None = None,
    name: str = "predict",
) -> Run:
    """Predict visits and write a run folder with predictions, a report and the flagged list.

    Writes ``predictions.csv`` (index, probability, label), ``classification_report.txt``
    (with precision/recall when ``data`` has labels; counts otherwise), ``misaligned.txt``
    (one flagged visit per line) and ``metrics.json``.

    Examples
    --------
    >>> # run = predict_to_run(train_run, "svm_unlabeled_2021_10_06")
    """
    from ....utils import atomic_write

    m = load_model(model)
    model_dir = getattr(m, "folder_", None) or "in memory"
    preds = predict_frame(m, data, images=images)
    run = Run.create(
        APP,
        name,
        runs_dir=runs_dir,
        parameters={
            "model_dir": str(model_dir),
            "kind": m.kind,
            "threshold": m.threshold,
            "n_rows": len(preds),
        },
        data_sha256=None
        if isinstance(data, pd.DataFrame)
        else (_data_sha256(data, preds) if Path(str(data)).is_file() else str(data)),
    )
    labelled = (
        preds[preds["true_label"].notna()] if "true_label" in preds.columns else preds.iloc[:0]
    )
    if len(labelled) < len(preds) and len(labelled):
        log.warning(
            "svm predict: %d of %d visits are labelled; the precision/recall report "
            "covers those only",
            len(labelled),
            len(preds),
        )
    if len(labelled):
        truth = labelled["true_label"].astype(int)
        _report(run, truth, labelled["probability"], history=None, name="svm predict")
    keep = ["index", "probability", "label", "out_of_range"]
    run.write_predictions(preds[[c for c in keep if c in preds.columns]])
    flagged = preds.loc[preds["label"] == 1, "index"].astype(str).tolist()
    with atomic_write(run.path / "misaligned.txt", "w", encoding="utf-8") as fh:
        fh.write("".join(f"{v}\n" for v in flagged))
    metrics: dict[str, Any] = {
        "n_visits": len(preds),
        "n_flagged_misaligned": len(flagged),
        "model": m.kind,
        "threshold": m.threshold,
    }
    lines = [
        f"SVM alignment predictions ({m.kind} model, threshold {m.threshold})",
        f"visits: {len(preds)}",
        f"flagged misaligned: {len(flagged)}",
    ]
    if len(labelled):
        from sklearn.metrics import classification_report

        scored = binary_metrics(truth, labelled["probability"], threshold=m.threshold)
        metrics.update({k: v for k, v in scored.items() if k != "confusion"})
        metrics["n_labelled"] = len(labelled)
        lines += [
            "",
            f"labelled visits scored: {len(labelled)} of {len(preds)}",
            classification_report(
                truth,
                labelled["label"],
                labels=[0, 1],
                target_names=["aligned", "misaligned"],
                zero_division=0,
            ),
        ]
    with atomic_write(run.path / "classification_report.txt", "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    run.write_metrics(metrics)
    return run


def _check_ranges(model: SvmModel, frame: pd.DataFrame) -> list[str] | None:
    """Warn about inputs outside the training ranges; return the per-row flags (None: the
    model keeps no ranges)."""
    from ....utils.manifest import ModelManifest, check_ranges, range_flags

    manifest = getattr(model, "manifest_", None)
    if manifest is None and hasattr(model, "feature_ranges_"):
        manifest = ModelManifest(app=APP, feature_ranges=model.feature_ranges_)
    check_ranges(manifest, frame, where=str(getattr(model, "folder_", "")))
    return range_flags(getattr(manifest, "feature_ranges", None), frame)


def _predict_chunk(model: Any, chunk: pd.DataFrame) -> pd.DataFrame:
    import warnings

    from ....utils.manifest import OutOfRangeWarning

    with warnings.catch_warnings():  # said once for the whole table, before dispatch
        warnings.simplefilter("ignore", OutOfRangeWarning)
        return predict_frame(model, chunk)


def predict_batch(
    model: SvmModel | Run | str | os.PathLike,
    data: str | os.PathLike | pd.DataFrame,
    *,
    client: Any = None,
    chunk_size: int | None = None,
) -> pd.DataFrame:
    """Predict many visits on Dask: the table is cut in chunks predicted in parallel.

    Parameters
    ----------
    model : SvmModel, Run or path
        A loaded model, or anything :func:`load_model` accepts.
    data : path, dataset name or DataFrame
        A feature table of visits.
    client : None, str, distributed.Client or distributed.LocalCluster
        None: Dask's in-process threaded scheduler; a scheduler address (``"tcp://…"``), a
        client or a cluster to use it (:func:`spacekit.utils.parallel.run_tasks`).
    chunk_size : int, optional
        Visits per task (default 500).

    Returns
    -------
    pandas.DataFrame
        As :func:`predict`.

    Examples
    --------
    >>> # predict_batch(run, "svm_unlabeled_2021_10_06", client="tcp://scheduler:8786")
    """
    from ....utils.parallel import run_tasks

    chunk_size = whole_number(
        500 if chunk_size is None else chunk_size, "chunk_size (visits per task)", minimum=1
    )
    m = load_model(model)
    frame = load_feature_table(data)
    _check_ranges(m, frame)
    # a folder travels to a cluster's workers as its path; an in-memory model as itself
    ref = str(m.folder_) if client is not None and getattr(m, "folder_", None) else m
    chunks = [frame.iloc[i : i + chunk_size] for i in range(0, len(frame), chunk_size)]
    parts = run_tasks(_predict_chunk, [(ref, c) for c in chunks], client=client)
    return pd.concat(parts, ignore_index=True)


def load_model(path_or_run: SvmModel | Run | str | os.PathLike | None = None) -> SvmModel:
    """Load an SVM model: a model folder, a run folder (or :class:`Run`), or a runs folder
    (its newest complete ``hst_svm`` model).

    spacekit ships no SVM model: train one with :func:`train` (``path_or_run`` is required).

    Parameters
    ----------
    path_or_run : SvmModel, Run or path
        A loaded model is returned as it is.

    Returns
    -------
    SvmModel

    Examples
    --------
    >>> # model = load_model("spacekit-runs")  # the newest hst_svm model there
    """
    from ....utils.manifest import find_model_folder

    if isinstance(path_or_run, SvmModel):
        return path_or_run
    if isinstance(path_or_run, Run):
        path_or_run = path_or_run.path
    folder = find_model_folder(path_or_run, APP)
    model = SvmModel.load(folder)
    model.folder_ = folder
    return model


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
    >>> # run = cross_validate("svm_labeled_2021_07_28", kind="gb", n_repeats=2)
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


def score(model: SvmModel | Run | str | os.PathLike, data: Any) -> dict[str, Any]:
    """The metrics of a trained model on a labelled feature table (:data:`HEADLINE_METRICS`
    first, then accuracy, average precision, the aligned class and the confusion matrix).

    Parameters
    ----------
    model : model, Run or path
        A loaded model, or anything :func:`load_model` accepts.
    data : path, DataFrame or registered dataset name
        Labelled data in the training format.

    Examples
    --------
    >>> # score(run, "svm_labeled_2021_07_28")["roc_auc"]
    """
    m = load_model(model)
    frame = load_feature_table(data, require_label=True)
    _check_ranges(m, frame)
    proba = m.predict_proba(frame)
    scores = binary_metrics(frame["label"].astype(int).to_numpy(), proba, threshold=m.threshold)
    return {**{k: scores[k] for k in HEADLINE_METRICS}, **scores}

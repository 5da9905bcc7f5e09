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
Train on the labelled visits of the data mirror, then predict three of them:

>>> from spacekit.skopes.hst.svm import load_feature_table
>>> table = load_feature_table("svm_labeled_2021_07_28")
>>> run = train(table, runs_dir="runs", kind="gb", fast=True)
>>> out = predict(run, table.head(3).drop(columns="label"))
>>> out.columns.tolist(), bool(out["probability"].between(0, 1).all())
(['index', 'probability', 'label', 'out_of_range'], True)
"""

from __future__ import annotations

import logging
import os
from typing import Any

import numpy as np
import pandas as pd

from ....exceptions import InputError
from ....utils.deprecation import deprecated_renamed_argument, warn_deprecated
from ....utils.manifest import trained_source
from ....utils.runs import Run, tracks_runs
from ... import _app
from .cv import cross_validate, evaluate  # noqa: F401 (cross_validate: in CONTRACT)
from .model import MODEL_KINDS, TREE_KINDS, SvmModel, proposal_folds, proposal_split
from .scoring import _data_sha256, _report, align_images, binary_metrics
from .stages import load_feature_table

__all__ = [*_app.CONTRACT, "binary_metrics", "align_images", "evaluate"]
__all__ += ["predict_frame", "predict_to_run"]  # the older predict's two halves

log = logging.getLogger(__name__)
APP = "hst_svm"
#: What the dashboard and reports show first (keys of :func:`score` and of a run's metrics).
HEADLINE_METRICS = ("roc_auc", "precision_misaligned", "recall_misaligned")
_UNSET: Any = object()


@deprecated_renamed_argument("model", "kind", since="2.0")
@tracks_runs  # the run folder ends complete, failed or interrupted
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
        The model family (was ``model=``, deprecated). ``"auto"``: tabular-only, the best of
        gb, gb_et and mlp by mean ROC-AUC over ``selection_folds`` proposal-grouped folds (the
        ensemble when ``images`` is given).
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
    >>> run = train("svm_labeled_2021_07_28", runs_dir="runs", kind="gb", fast=True)
    >>> run.path.parent.name, run.metrics["roc_auc"] > 0.5
    ('hst_svm', True)
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


def predict_frame(
    model: SvmModel | str | os.PathLike,
    data: str | os.PathLike | pd.DataFrame,
    *,
    images: Any = None,
) -> pd.DataFrame:
    """Predict a feature table → DataFrame ``index, probability, label`` (1 = misaligned),
    plus ``out_of_range`` (the features outside the training ranges, ``""`` when none) for a
    model that keeps ranges.

    Parameters
    ----------
    model : SvmModel or path
        A loaded model, or anything :func:`load_model` accepts.
    data : path, dataset name or DataFrame
        A feature table of visits.
    images : optional
        Image stacks (ensemble models; see :func:`align_images`).

    Returns
    -------
    pandas.DataFrame
        One row per visit; ``true_label`` too when ``data`` is labelled.

    Examples
    --------
    >>> from spacekit.skopes.hst.svm import SvmModel, load_feature_table
    >>> table = load_feature_table("svm_labeled_2021_07_28")  # labelled visits (data mirror)
    >>> model = SvmModel(kind="gb", fast=True).fit(table, table["label"])
    >>> predict_frame(model, table.head(2)).columns.tolist()
    ['index', 'probability', 'label', 'out_of_range', 'true_label']
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
    return _app.on_input_index(out, data)  # a DataFrame's own row labels, as hst.cal's


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
        One row per visit (see :func:`predict_frame`).

    Examples
    --------
    >>> from spacekit.skopes.hst.svm import SvmModel, load_feature_table
    >>> table = load_feature_table("svm_labeled_2021_07_28")  # labelled visits (data mirror)
    >>> model = SvmModel(kind="gb", fast=True).fit(table, table["label"])
    >>> out = predict(model, table.head(4).drop(columns="label"))
    >>> len(out), sorted(set(out["label"]) - {0, 1})
    (4, [])
    """
    if runs_dir is not _UNSET or name is not _UNSET:
        warn_deprecated(
            "svm.predict(model_dir, data, runs_dir=...) writing a run folder is deprecated; use "
            "predict_to_run(model, data, runs_dir=...) (predict now returns the table)",
            since="2.0",
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

    Parameters
    ----------
    model : SvmModel, Run or path
        A loaded model, or anything :func:`load_model` accepts.
    data : path, dataset name or DataFrame
        A feature table of visits (labelled or not).
    images : optional
        Image stacks (ensemble models; see :func:`align_images`).
    runs_dir : path, optional
        Parent of run folders (default ``conf.runs_dir``).
    name : str
        Run name.

    Returns
    -------
    spacekit.utils.runs.Run
        The prediction run.

    Examples
    --------
    >>> from spacekit.skopes.hst.svm import SvmModel, load_feature_table
    >>> table = load_feature_table("svm_labeled_2021_07_28")  # labelled visits (data mirror)
    >>> model = SvmModel(kind="gb", fast=True).fit(table, table["label"])
    >>> run = predict_to_run(model, table.head(5), runs_dir="runs")
    >>> sorted(p.name for p in run.path.glob("*.txt"))
    ['classification_report.txt', 'misaligned.txt']
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
        data_sha256=None if isinstance(data, pd.DataFrame) else _data_sha256(data, preds),
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
    return _app.check_model_ranges(model, frame, APP)


def _predict_chunk(model: Any, chunk: pd.DataFrame) -> pd.DataFrame:
    return _app.quiet_out_of_range(predict_frame, model, chunk)


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
        A loaded model, or anything :func:`load_model` accepts (on a cluster the workers load
        its folder when it has one).
    data : path, dataset name or DataFrame
        The feature table of the visits, cut in chunks of ``chunk_size`` rows.
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
    >>> from spacekit.skopes.hst.svm import SvmModel, load_feature_table
    >>> table = load_feature_table("svm_labeled_2021_07_28")  # labelled visits (data mirror)
    >>> model = SvmModel(kind="gb", fast=True).fit(table, table["label"])
    >>> predict_batch(model, table, chunk_size=500).shape  # 4 chunks, in-process
    (1791, 5)
    """
    m = load_model(model)
    frame = load_feature_table(data)
    _check_ranges(m, frame)
    # a folder travels to a cluster's workers as its path; an in-memory model as itself
    label = "chunk_size (visits per task)"
    kw = {"client": client, "chunk_size": chunk_size, "default_size": 500, "label": label}
    out = pd.concat(_app.predict_in_chunks(_predict_chunk, m, frame, **kw), ignore_index=True)
    return _app.on_input_index(out, data)


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
    >>> from spacekit.skopes.hst.svm import SvmModel, load_feature_table
    >>> table = load_feature_table("svm_labeled_2021_07_28")  # labelled visits (data mirror)
    >>> model = SvmModel(kind="gb", fast=True).fit(table, table["label"])
    >>> saved = model.save("svm_model")
    >>> load_model("svm_model")
    SvmModel(kind='gb', threshold=0.5)
    """
    if isinstance(path_or_run, SvmModel):
        return path_or_run
    folder = _app.model_folder(path_or_run, APP)
    model = SvmModel.load(folder)
    model.folder_ = folder
    return model


def score(model: SvmModel | Run | str | os.PathLike, data: Any) -> dict[str, Any]:
    """The metrics of a trained model on a labelled feature table (:data:`HEADLINE_METRICS`
    first, then accuracy, average precision, the aligned class and the confusion matrix).

    Parameters
    ----------
    model : SvmModel, Run or path
        A loaded classifier, or anything :func:`load_model` accepts.
    data : path, DataFrame or registered dataset name
        Visits with their ``label`` (the training format).

    Returns
    -------
    dict
        Metric name → value.

    Examples
    --------
    >>> from spacekit.skopes.hst.svm import SvmModel, load_feature_table
    >>> table = load_feature_table("svm_labeled_2021_07_28")  # labelled visits (data mirror)
    >>> model = SvmModel(kind="gb", fast=True).fit(table, table["label"])
    >>> scores = score(model, table)
    >>> list(scores)[:3], bool(scores["roc_auc"] > 0.5)
    (['roc_auc', 'precision_misaligned', 'recall_misaligned'], True)
    """
    m = load_model(model)
    frame = load_feature_table(data, require_label=True)
    _check_ranges(m, frame)
    proba = m.predict_proba(frame)
    scores = binary_metrics(frame["label"].astype(int).to_numpy(), proba, threshold=m.threshold)
    return {**{k: scores[k] for k in HEADLINE_METRICS}, **scores}

"""``make_report`` (the seed's ``compute``): every metric and plot of a model evaluation at once.

The results are saved as a run folder.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..exceptions import InputError
from .metrics import (
    _as_1d,
    _check_proba,
    _check_same_length,
    _proba_classes,
    _regression_pair,
    classification_metrics,
    predict_classes,
    regression_metrics,
)

__all__ = ["Report", "make_report", "compute", "MAX_POINTS"]

log = logging.getLogger(__name__)

#: Most points kept per curve or residual list in ``evaluation.json``.
MAX_POINTS = 5000

_TASKS = ("binary", "multiclass", "regression")


def _thin(*arrays: np.ndarray, limit: int = MAX_POINTS) -> list[list]:
    """Keep at most ``limit`` evenly spaced points (always the first and last)."""
    n = len(arrays[0])
    if n <= limit:
        return [np.asarray(a).tolist() for a in arrays]
    idx = np.unique(np.linspace(0, n - 1, limit).round().astype(int))
    return [np.asarray(a)[idx].tolist() for a in arrays]


@dataclass
class Report:
    """The result of :func:`make_report`: metrics, figures and the data behind the figures.

    Parameters
    ----------
    task : str
        ``"binary"``, ``"multiclass"`` or ``"regression"``.
    name : str
        Name of the evaluation (used for the run folder).
    metrics : dict
        Numbers (see :func:`classification_metrics` / :func:`regression_metrics`).
    figures : dict
        Figure name → figure (``"confusion"``, ``"confusion_normalized"``, ``"roc_pr"``,
        ``"history"``, ``"residuals"``, as applicable).
    evaluation : dict
        The curve data the dashboard overlays across runs (the ``evaluation.json`` document).
    predictions : pandas.DataFrame or None
        One row per sample: ``y_true``, ``y_pred`` and ``proba`` columns where known.
    """

    task: str
    name: str = ""
    metrics: dict = field(default_factory=dict)
    figures: dict = field(default_factory=dict)
    evaluation: dict = field(default_factory=dict)
    predictions: Any = None

    def save(
        self,
        run_or_dir: Any,
        *,
        app: str = "evaluation",
        parameters: dict | None = None,
        seed: int | None = None,
        data_sha256: str | dict | None = None,
        dpi: int = 110,
    ):
        """Write the report into a run folder and return it.

        Parameters
        ----------
        run_or_dir : Run or path
            A :class:`spacekit.utils.runs.Run`, an existing run folder (holding ``run.json``),
            or a runs folder in which a new run ``<dir>/<app>/<YYYYmmdd-HHMMSS>-<name>/`` is
            created.
        app, parameters, seed, data_sha256
            Used only when a new run folder is created (see ``Run.create``).
        dpi : int
            Resolution of PNG figures.

        Returns
        -------
        spacekit.utils.runs.Run
            The run folder, now holding ``metrics.json`` (merged with what was there),
            ``evaluation.json``, ``figures/<name>.png`` (matplotlib) or ``.html`` +
            ``.plotly.json`` (plotly), and ``predictions.csv`` when there are predictions.

        Examples
        --------
        >>> import tempfile
        >>> from spacekit.computer import make_report
        >>> report = make_report([0, 1, 1, 0], proba=[0.2, 0.9, 0.6, 0.4], name="demo")
        >>> run = report.save(tempfile.mkdtemp())
        >>> sorted(p.name for p in run.figures())
        ['confusion.png', 'confusion_normalized.png', 'roc_pr.png']
        """
        from ..utils.runs import Run

        if isinstance(run_or_dir, Run):
            run = run_or_dir
        elif isinstance(run_or_dir, (str, os.PathLike)):
            from pathlib import Path

            path = Path(run_or_dir)
            if (path / "run.json").is_file():
                run = Run.open(path)
            else:
                run = Run.create(
                    app,
                    self.name or "evaluation",
                    runs_dir=path,
                    parameters=parameters,
                    seed=seed,
                    data_sha256=data_sha256,
                )
        else:
            raise InputError(
                f"Report.save expects a Run or a folder path, got {type(run_or_dir).__name__}"
            )
        run.write_metrics(self.metrics)
        run.write_json("evaluation.json", self.evaluation)
        for fig_name, fig in self.figures.items():
            if hasattr(fig, "savefig"):
                run.save_figure(fig, fig_name, dpi=dpi)
            else:
                run.save_figure(fig, fig_name)
        if self.predictions is not None:
            run.write_predictions(self.predictions)
        log.info("saved %s evaluation to %s", self.task, run.path)
        return run

    def _repr_html_(self) -> str | None:
        """Notebook view: the metrics table and the figures."""
        from ..utils.display import report_html

        return report_html(self)

    def __repr__(self) -> str:
        keys = ("roc_auc", "accuracy", "f1", "recall", "precision", "rmse", "r2")
        shown = ", ".join(
            f"{k}={self.metrics[k]:.4g}"
            for k in keys
            if isinstance(self.metrics.get(k), (int, float))
        )
        return (
            f"Report(task={self.task!r}, name={self.name!r}, {shown}, figures={list(self.figures)})"
        )


def make_report(
    y_true: Any,
    *,
    proba: Any = None,
    y_pred: Any = None,
    task: str = "binary",
    history: Any = None,
    labels: Any = None,
    name: str = "",
    threshold: float = 0.5,
    backend: str = "matplotlib",
) -> Report:
    """Evaluate predictions in one call: metrics, figures and curve data, as a :class:`Report`.

    Parameters
    ----------
    y_true : array-like
        True classes (binary: 0/1) or values (regression).
    proba : array-like, optional
        Classification probabilities: ``(n,)`` of class 1, or ``(n, n_classes)`` with columns
        in sorted class order (for ``y_true`` of 1, 2, 3 column 0 is class 1). Classes are
        derived from them (at ``threshold`` for binary) unless ``y_pred`` is given.
    y_pred : array-like, optional
        Predicted classes, or predicted values for regression.
    task : {"binary", "multiclass", "regression"}
        What is evaluated.
    history : dict or keras History, optional
        Training history, drawn as ``"history"`` and stored in ``evaluation.json``.
    labels : sequence, optional
        Class names (for integer codes ``0..k-1``) or class order, for the confusion matrix
        and legends.
    name : str
        Name of the evaluation (titles, run folder name).
    threshold : float
        Binary decision threshold.
    backend : {"matplotlib", "plotly"}
        Figure type.

    Returns
    -------
    Report
        ``.metrics``, ``.figures``, ``.evaluation``, ``.predictions``; ``.save(folder)``.

    Notes
    -----
    ``evaluation.json`` holds, where they apply: ``task``, ``history`` ``{metric: [...]}``,
    ``roc`` ``{"fpr", "tpr", "auc"}``, ``pr`` ``{"precision", "recall", "ap"}``, ``confusion``
    ``{"labels", "matrix"}`` (counts) and ``residuals`` ``{"y_true", "y_pred"}``; curves and
    residuals are thinned to at most 5000 points. For multiclass, ``roc``/``pr`` are the
    micro-averaged one-vs-rest curves (``"average": "micro"``) and ``per_class`` lists each
    class's curve AUCs.

    Examples
    --------
    >>> from spacekit.computer import make_report
    >>> report = make_report([0, 1, 1, 0, 1], proba=[0.1, 0.8, 0.7, 0.6, 0.4],
    ...                  labels=["no planet", "planet"])
    >>> report.metrics["recall"], report.evaluation["confusion"]["labels"]
    (0.6666666666666666, ['no planet', 'planet'])
    >>> round(make_report([1.0, 2.0], y_pred=[1.5, 2.0], task="regression").metrics["mae"], 2)
    0.25
    """
    from .plots import history_dict, plot_history

    if task not in _TASKS:
        raise InputError(f"task must be one of {_TASKS}, got {task!r}")
    if backend not in ("matplotlib", "plotly"):
        raise InputError(f"backend must be 'matplotlib' or 'plotly', got {backend!r}")
    report = Report(task=task, name=name)
    report.evaluation["task"] = task
    prefix = f"{name}: " if name else ""

    if history is not None:
        hist = history_dict(history)
        report.evaluation["history"] = hist
        report.figures["history"] = plot_history(
            hist, title=f"{prefix}training history", backend=backend
        )

    if task == "regression":
        _add_regression(report, y_true, y_pred, name, backend)
        return report

    t = _as_1d(y_true, "y_true")
    pr = None if proba is None else _task_proba(t, proba, task)
    if y_pred is None:
        p = _classes_from_proba(t, pr, task, threshold)
    else:
        p = _as_1d(y_pred, "y_pred")
        _check_same_length(t, p, "y_true and y_pred")
    report.metrics = classification_metrics(t, p, pr)
    if task == "binary":
        report.metrics["threshold"] = float(threshold)
    _add_confusion(report, t, p, labels, prefix, backend)
    _add_predictions_and_curves(report, t, p, pr, labels, prefix, backend)
    return report


def _add_regression(report: Report, y_true: Any, y_pred: Any, name: str, backend: str) -> None:
    """Fill ``report`` with regression metrics, residuals and predictions."""
    import pandas as pd

    from .plots import plot_residuals

    if y_pred is None:
        raise InputError("make_report(task='regression') needs y_pred (the predicted values)")
    t, p = _regression_pair(y_true, y_pred, "make_report(task='regression')")
    report.metrics = regression_metrics(t, p)
    rt, rp = _thin(t, p)
    report.evaluation["residuals"] = {"y_true": rt, "y_pred": rp}
    report.figures["residuals"] = plot_residuals(t, p, title=name, backend=backend)
    report.predictions = pd.DataFrame({"y_true": t, "y_pred": p, "residual": p - t})


def _task_proba(t: np.ndarray, proba: Any, task: str) -> np.ndarray:
    """``proba`` checked against ``t`` and shaped for ``task`` (binary: class 1 only)."""
    pr = _check_proba(proba)
    _check_same_length(t, pr, "y_true and proba")
    if task == "binary" and pr.ndim == 2:
        if pr.shape[1] != 2:
            raise InputError(
                f"task='binary' needs probabilities of class 1, shape (n,), got {pr.shape}; "
                "use task='multiclass' for more classes"
            )
        pr = pr[:, 1]
    if task == "multiclass" and pr.ndim == 1:
        raise InputError("task='multiclass' needs probabilities of shape (n, n_classes), got (n,)")
    return pr


def _classes_from_proba(
    t: np.ndarray, pr: np.ndarray | None, task: str, threshold: float
) -> np.ndarray:
    """Predicted classes from the probabilities (binary: at ``threshold``, y_true must be 0/1)."""
    if pr is None:
        raise InputError("make_report needs proba or y_pred for a classification task")
    if task == "binary":
        _check_binary_truth(t)
    _, p = predict_classes(pr, threshold=threshold)
    if pr.ndim == 2:  # column j is the j-th class in sorted order, not the code j
        p = _proba_classes(t, pr.shape[1])[p]
    return p


def _check_binary_truth(t: np.ndarray) -> None:
    """Raise InputError unless ``t`` holds only 0 and 1."""
    try:
        values = set(np.unique(t).tolist())
    except TypeError:  # mixed types cannot even be sorted
        values = set(map(str, t))
    if not values <= {0, 1}:
        found = sorted(map(str, values))[:10]
        raise InputError(
            "task='binary' with proba predicts 0/1, so y_true must hold 0/1 "
            f"(1 = the class proba is for); found {found}. Encode it, e.g. "
            f"(y == {found[-1]!r}).astype(int), and pass labels={found[:2]} for names"
        )


def _add_confusion(
    report: Report, t: np.ndarray, p: np.ndarray, labels: Any, prefix: str, backend: str
) -> None:
    """Add the confusion counts and the two confusion-matrix figures to ``report``."""
    from .plots import confusion_data, plot_confusion_matrix

    names, counts = confusion_data(t, p, labels=labels)
    report.evaluation["confusion"] = {"labels": names, "matrix": counts.tolist()}
    report.figures["confusion"] = plot_confusion_matrix(
        t, p, labels=labels, title=f"{prefix}confusion matrix", backend=backend
    )
    report.figures["confusion_normalized"] = plot_confusion_matrix(
        t,
        p,
        labels=labels,
        normalize="true",
        title=f"{prefix}confusion matrix (fraction of each true class)",
        backend=backend,
    )


def _add_predictions_and_curves(
    report: Report,
    t: np.ndarray,
    p: np.ndarray,
    pr: np.ndarray | None,
    labels: Any,
    prefix: str,
    backend: str,
) -> None:
    """Add the predictions table and, with probabilities of two classes or more, ROC/PR."""
    import pandas as pd

    frame = {"y_true": t, "y_pred": p}
    if pr is not None:
        if pr.ndim == 1:
            frame["proba"] = pr
        else:
            for j in range(pr.shape[1]):
                frame[f"proba_{j}"] = pr[:, j]
        if len(np.unique(t)) > 1:
            _add_curves(report, t, pr, labels, prefix, backend)
        else:
            log.warning(
                "y_true holds one class only: no ROC/PR curves for %s", report.name or "report"
            )
    report.predictions = pd.DataFrame(frame)


def _add_curves(
    report: Report, t: np.ndarray, pr: np.ndarray, labels: Any, prefix: str, backend: str
) -> None:
    """Add the ROC and precision-recall curve data (micro-averaged for multiclass) and figure."""
    from .plots import curve_data, plot_roc_pr

    curves = curve_data(t, pr, labels=labels)["curves"]
    main = curves[-1]
    fpr, tpr = _thin(main["fpr"], main["tpr"])
    prec, rec = _thin(main["precision"], main["recall"])
    report.evaluation["roc"] = {"fpr": fpr, "tpr": tpr, "auc": main["auc"]}
    report.evaluation["pr"] = {"precision": prec, "recall": rec, "ap": main["ap"]}
    if report.task == "multiclass":
        report.evaluation["roc"]["average"] = "micro"
        report.evaluation["pr"]["average"] = "micro"
        report.evaluation["per_class"] = {
            c["name"]: {"auc": c["auc"], "ap": c["ap"]} for c in curves[:-1]
        }
    report.figures["roc_pr"] = plot_roc_pr(
        t, pr, labels=labels, title=f"{prefix}ROC and precision-recall", backend=backend
    )


#: The seed's name of :func:`make_report` (same function).
compute = make_report


def __getattr__(name: str):
    if name == "evaluate":  # clashed with the apps' evaluate (scoring a trained model)
        from ..utils.deprecation import warn_deprecated

        warn_deprecated(
            "spacekit.computer.evaluate is deprecated (the apps' evaluate meant something "
            "else); use spacekit.computer.make_report (or its seed name compute)",
            since="2.0",
        )
        return make_report
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

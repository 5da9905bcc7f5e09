"""Judge models: predictions at a threshold, false-negative/false-positive rates, confusion
matrices, ROC and precision-recall curves, training-history and residual plots, binary,
classification and regression metrics, and :func:`make_report`, a one-shot report saved as a
run folder.

Layer 5 (judge). Plots are matplotlib figures by default and plotly figures with
``backend="plotly"``; matplotlib, plotly and scikit-learn are imported inside the functions.

The descriptive names are the main names; the seed's names stay available as aliases (the same
functions): ``get_preds`` (:func:`predict_classes`), ``fnfp``
(:func:`false_negatives_positives`), ``keras_history`` (:func:`plot_history`),
``fusion_matrix`` (:func:`plot_confusion_matrix`), ``roc_plots`` (:func:`plot_roc_pr`),
``residual_plots`` (:func:`plot_residuals`) and ``compute`` (:func:`make_report`).
``computer.evaluate`` (an alias of ``compute`` that clashed with the apps' ``evaluate``) is
deprecated.
"""

from .metrics import (
    binary_metrics,
    classification_metrics,
    false_negatives_positives,
    fnfp,
    get_preds,
    predict_classes,
    regression_metrics,
)
from .plots import (
    confusion_data,
    curve_data,
    fusion_matrix,
    history_dict,
    keras_history,
    plot_confusion_matrix,
    plot_history,
    plot_residuals,
    plot_roc_pr,
    residual_plots,
    roc_plots,
)
from .report import Report, compute, make_report

__all__ = [
    "Report",
    "binary_metrics",
    "classification_metrics",
    "compute",
    "confusion_data",
    "curve_data",
    "false_negatives_positives",
    "fnfp",
    "fusion_matrix",
    "get_preds",
    "history_dict",
    "keras_history",
    "make_report",
    "plot_confusion_matrix",
    "plot_history",
    "plot_residuals",
    "plot_roc_pr",
    "predict_classes",
    "regression_metrics",
    "residual_plots",
    "roc_plots",
]


def __getattr__(name: str):
    if name == "evaluate":
        from . import report

        return report.__getattr__(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""Judge models: predictions at a threshold, false-negative/false-positive rates, confusion
matrices, ROC and precision-recall curves, training-history and residual plots, and
:func:`compute`, a one-shot report saved as a run folder.

Layer 5 (judge). Plots are matplotlib figures by default and plotly figures with
``backend="plotly"``; matplotlib, plotly and scikit-learn are imported inside the functions.

The seed's names are the public names here (``get_preds``, ``fnfp``, ``keras_history``,
``fusion_matrix``, ``roc_plots``, ``compute``); descriptive aliases are ``predict_classes``,
``false_negatives_positives``, ``plot_history``, ``plot_confusion_matrix``, ``plot_roc_pr``,
``plot_residuals`` and ``evaluate``.
"""

from .metrics import (
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
from .report import Report, compute, evaluate

__all__ = [
    "Report",
    "classification_metrics",
    "compute",
    "confusion_data",
    "curve_data",
    "evaluate",
    "false_negatives_positives",
    "fnfp",
    "fusion_matrix",
    "get_preds",
    "history_dict",
    "keras_history",
    "plot_confusion_matrix",
    "plot_history",
    "plot_residuals",
    "plot_roc_pr",
    "predict_classes",
    "regression_metrics",
    "residual_plots",
    "roc_plots",
]

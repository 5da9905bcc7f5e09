"""Evaluation plots: training history, confusion matrix, ROC/PR curves, residuals.

Each function returns a figure — matplotlib by default (a ``matplotlib.figure.Figure`` made
without pyplot, so no global state changes), plotly with ``backend="plotly"`` — and never
shows or saves it (DESIGN rule 9).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..exceptions import InputError
from ..utils.plotting import (
    check_backend,
    dotted_line,
    figure_doc,
    mpl_subplots,
    plotly_axis_titles,
    plotly_modules,
    plotly_points,
    plotly_subplots,
)
from .metrics import (
    _as_1d,
    _check_proba,
    _check_same_length,
    _proba_classes,
    _regression_pair,
)

__all__ = [
    "keras_history",
    "plot_history",
    "fusion_matrix",
    "plot_confusion_matrix",
    "confusion_data",
    "roc_plots",
    "plot_roc_pr",
    "curve_data",
    "residual_plots",
    "plot_residuals",
    "history_dict",
]


# -- history -------------------------------------------------------------------------------
def history_dict(history: Any) -> dict[str, list[float]]:
    """Normalise a training history to ``{metric: [float per epoch]}``.

    Accepts a dict, a Keras ``History`` (``.history``), a model folder's ``metadata.json``
    contents, or a path to a JSON file holding either.

    Parameters
    ----------
    history : dict, keras.callbacks.History or path
        The training history.

    Returns
    -------
    dict
        Metric → one float per epoch.

    Examples
    --------
    >>> history_dict({"loss": [1, 0.5]})
    {'loss': [1.0, 0.5]}
    """
    if isinstance(history, (str, os.PathLike)):
        path = Path(history)
        try:
            history = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(f"history file {path} does not exist") from None
        except json.JSONDecodeError as exc:
            raise InputError(f"history file {path} is not valid JSON: {exc}") from None
    if hasattr(history, "history") and isinstance(history.history, dict):
        history = history.history
    if isinstance(history, dict) and isinstance(history.get("history"), dict):
        history = history["history"]
    if not isinstance(history, dict) or not history:
        raise InputError(
            "history must be a non-empty dict {metric: [values per epoch]}, a keras History, "
            f"or a JSON file of one; got {type(history).__name__}"
        )
    out = {}
    for key, values in history.items():
        try:
            out[str(key)] = [float(v) for v in np.ravel(values)]
        except (TypeError, ValueError):
            raise InputError(
                f"history[{key!r}] must be a list of numbers, got {values!r}"
            ) from None
    return out


@figure_doc
def plot_history(
    history: Any,
    *,
    metrics: list[str] | None = None,
    title: str = "",
    backend: str = "matplotlib",
):
    """Plot training (and validation) curves per epoch, one panel per metric.

    Parameters
    ----------
    history : dict, keras History or path
        ``{metric: [values]}`` as returned by :meth:`spacekit.builder.Trainer.fit`; ``val_*``
        entries are drawn on the panel of their metric.
    metrics : list of str, optional
        Metrics to draw (default: every non-``val_`` key, ``loss`` last).
    {figure_parameters}

    Notes
    -----
    The seed's ``keras_history`` drew two separate pyplot figures (accuracy, loss) and showed
    them; this returns one figure with a panel per metric.

    Examples
    --------
    >>> from spacekit.computer import plot_history
    >>> fig = plot_history({"loss": [0.7, 0.5], "val_loss": [0.8, 0.6],
    ...                      "accuracy": [0.5, 0.7], "val_accuracy": [0.4, 0.6]})
    >>> len(fig.axes)
    2
    """
    check_backend(backend)
    hist = history_dict(history)
    if metrics is None:
        metrics = [k for k in hist if not k.startswith("val_") and k != "loss"]
        if "loss" in hist:
            metrics.append("loss")
    missing = [m for m in metrics if m not in hist and f"val_{m}" not in hist]
    if missing or not metrics:
        raise InputError(f"metrics {missing or metrics} not in the history (keys: {sorted(hist)})")
    if backend == "plotly":
        go, _ = plotly_modules()
        fig = plotly_subplots(metrics)
        for col, m in enumerate(metrics, start=1):
            for key, dash in ((m, "solid"), (f"val_{m}", "dash")):
                if key in hist:
                    epochs = list(range(1, len(hist[key]) + 1))
                    fig.add_trace(
                        go.Scatter(
                            x=epochs,
                            y=hist[key],
                            name=key,
                            mode="lines+markers",
                            line={"dash": dash},
                        ),
                        row=1,
                        col=col,
                    )
            fig.update_xaxes(title_text="epoch", row=1, col=col)
        fig.update_layout(title=title or "training history")
        return fig
    from matplotlib.ticker import MaxNLocator

    fig, axes = mpl_subplots((5.0 * len(metrics), 4.0), ncols=len(metrics))
    for ax, m in zip(axes, metrics, strict=True):
        for key, style in ((m, "-o"), (f"val_{m}", "--s")):
            if key in hist:
                ax.plot(
                    range(1, len(hist[key]) + 1),
                    hist[key],
                    style,
                    ms=3,
                    label="validation" if key.startswith("val_") else "train",
                )
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # no epoch 1.25
        ax.set_ylabel(m)
        ax.set_title(m)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    return fig


#: The seed's name of :func:`plot_history` (same function).
keras_history = plot_history


# -- confusion matrix ----------------------------------------------------------------------
def confusion_data(
    y_true: Any, y_pred: Any, *, labels: Any = None, normalize: str | None = None
) -> tuple[list[str], np.ndarray]:
    """The confusion matrix and its axis labels (rows: true class, columns: predicted).

    ``labels`` is either the class values to show, in order, or — when the classes are the
    integer codes ``0..k-1`` and ``labels`` are ``k`` names not among them — display names
    of those codes. ``normalize`` is None (counts), ``"true"`` (rows sum to 1), ``"pred"``
    (columns) or ``"all"``.

    Parameters
    ----------
    y_true, y_pred : array-like
        True and predicted classes.
    labels : sequence, optional
        The class values to show, or display names of the codes ``0..k-1``.
    normalize : {None, "true", "pred", "all"}
        Counts, or the share per row, per column or of the whole.

    Returns
    -------
    names : list of str
        The axis labels.
    matrix : numpy.ndarray
        ``(k, k)`` counts (or shares), rows true, columns predicted.

    Examples
    --------
    >>> names, m = confusion_data([0, 1, 1], [0, 1, 0], labels=["no planet", "planet"])
    >>> names, m.tolist()
    (['no planet', 'planet'], [[1, 0], [1, 1]])
    """
    from sklearn.metrics import confusion_matrix

    t = _as_1d(y_true, "y_true")
    p = _as_1d(y_pred, "y_pred")
    _check_same_length(t, p, "y_true and y_pred")
    if len(t) == 0:
        raise InputError("a confusion matrix needs at least one sample, got none")
    if normalize not in (None, "true", "pred", "all"):
        raise InputError(f"normalize must be None, 'true', 'pred' or 'all', got {normalize!r}")
    # 0/1 labels often arrive as floats (np.zeros, a csv column): treat whole numbers as codes
    whole = [
        a.astype(np.int64)
        if a.dtype.kind == "f" and np.all(np.isfinite(a)) and np.all(a == np.round(a))
        else a
        for a in (t, p)
    ]
    for a, name in zip(whole, ("y_true", "y_pred"), strict=True):
        if a.dtype.kind == "f":
            raise InputError(
                f"{name} must hold class labels, found non-integer numbers such as "
                f"{a[a != np.round(a)][:3].tolist()}; "
                "turn probabilities into classes first (spacekit.computer.get_preds)"
            )
    if all(a.dtype.kind in "iub" for a in whole):
        t, p = whole
    classes = np.unique(np.concatenate([t, p]))
    names = [str(c) for c in classes]
    order = classes
    if labels is not None:
        labels = list(labels)
        present = set(classes.tolist())
        if all(lab in present for lab in labels):
            order = np.asarray(labels)
            names = [str(lab) for lab in labels]
        elif classes.dtype.kind in "iub" and present <= set(range(len(labels))):
            order = np.arange(len(labels))
            names = [str(lab) for lab in labels]
        else:
            raise InputError(
                f"labels {labels} are neither the classes found ({classes.tolist()}) nor names "
                f"for class codes 0..{len(labels) - 1}"
            )
    matrix = confusion_matrix(t, p, labels=order, normalize=normalize)
    return names, matrix


@figure_doc
def plot_confusion_matrix(
    y_true: Any,
    y_pred: Any,
    *,
    labels: Any = None,
    normalize: str | None = None,
    title: str = "",
    backend: str = "matplotlib",
):
    """Plot a confusion matrix, counts or normalised, with every cell annotated.

    Parameters
    ----------
    y_true, y_pred : array-like
        True and predicted classes.
    labels : sequence, optional
        Class values in display order, or display names for integer codes ``0..k-1``
        (see :func:`confusion_data`).
    normalize : {None, "true", "pred", "all"}
        Counts (None) or fractions over true classes (rows), predicted classes or all.
    {figure_parameters}

    Examples
    --------
    >>> from spacekit.computer import plot_confusion_matrix
    >>> fig = plot_confusion_matrix(
    ...     [0, 1, 1, 0], [0, 1, 0, 0], labels=["no", "yes"], normalize="true"
    ... )
    >>> fig.axes[0].get_xlabel()
    'predicted'
    """
    check_backend(backend)
    names, m = confusion_data(y_true, y_pred, labels=labels, normalize=normalize)
    fmt = (lambda v: f"{v:.2f}") if normalize else (lambda v: f"{int(v)}")
    title = title or ("confusion matrix" + (f" (normalised over {normalize})" if normalize else ""))
    if backend == "plotly":
        go, _ = plotly_modules()
        fig = go.Figure(
            go.Heatmap(
                z=m,
                x=names,
                y=names,
                colorscale="Blues",
                text=[[fmt(v) for v in row] for row in m],
                texttemplate="%{text}",
            )
        )
        fig.update_layout(
            title=title, xaxis_title="predicted", yaxis_title="true", yaxis_autorange="reversed"
        )
        return fig
    k = len(names)
    # wide enough for the title (about 0.1 inch per character at the default font size)
    width = max(4.0, 1.0 + 0.9 * k, 0.1 * len(title) + 0.6)
    fig, (ax,) = mpl_subplots((width, max(3.5, 0.9 * k + 0.8)))
    im = ax.imshow(m, cmap="Blues", vmin=0)
    cbar = fig.colorbar(im, ax=ax)
    if not normalize:  # counts: whole-number ticks
        from matplotlib.ticker import MaxNLocator

        cbar.locator = MaxNLocator(integer=True)
        cbar.update_ticks()
    top = m.max() if m.size else 0
    for i in range(k):
        for j in range(k):
            ax.text(
                j,
                i,
                fmt(m[i, j]),
                ha="center",
                va="center",
                color="white" if top and m[i, j] > top / 2 else "black",
            )
    if k > 4:  # slanted names end under their column
        ax.set_xticks(range(k), names, rotation=45, ha="right", rotation_mode="anchor")
    else:
        ax.set_xticks(range(k), names)
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    fig.suptitle(title)  # over the whole figure: an axes title ran under the colorbar
    return fig


#: The seed's name of :func:`plot_confusion_matrix` (same function).
fusion_matrix = plot_confusion_matrix


# -- ROC / PR ------------------------------------------------------------------------------
def curve_data(y_true: Any, proba: Any, *, labels: Any = None) -> dict[str, Any]:
    """ROC and precision-recall curves (per class for multiclass probabilities).

    Returns ``{"curves": [{"name", "fpr", "tpr", "auc", "precision", "recall", "ap",
    "prevalence"}, ...]}``: one entry (the positive class) for binary probabilities, one per
    class (one-vs-rest) plus a ``"micro"`` average for ``(n, k)`` probabilities.

    Parameters
    ----------
    y_true : array-like
        True classes.
    proba : array-like
        Probabilities of the positive class ``(n,)``, or of each class ``(n, k)``.
    labels : sequence, optional
        Class names for the curves.

    Returns
    -------
    dict
        ``{"curves": [...]}`` as above.

    Examples
    --------
    >>> d = curve_data([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> round(d["curves"][0]["auc"], 2)
    0.75
    """
    from sklearn import metrics as skm

    t = _as_1d(y_true, "y_true")
    pr = _check_proba(proba)
    _check_same_length(t, pr, "y_true and proba")

    def one(name, truth, score):
        if len(np.unique(truth)) < 2:
            raise InputError(
                f"ROC/PR curves need both positive and negative samples of class {name!r}; "
                f"y_true has only {np.unique(truth).tolist()}"
            )
        fpr, tpr, _ = skm.roc_curve(truth, score)
        prec, rec, _ = skm.precision_recall_curve(truth, score)
        return {
            "name": str(name),
            "fpr": fpr,
            "tpr": tpr,
            "auc": float(skm.auc(fpr, tpr)),
            "precision": prec,
            "recall": rec,
            "ap": float(skm.average_precision_score(truth, score)),
            "prevalence": float(np.mean(truth)),
        }

    if pr.ndim == 1 or pr.shape[1] == 2:
        score = pr if pr.ndim == 1 else pr[:, 1]
        truth = _as_binary_truth(t)
        name = labels[1] if labels is not None and len(labels) == 2 else "positive"
        return {"curves": [one(name, truth, score)]}
    k = pr.shape[1]
    codes = _proba_classes(t, k)
    names = list(labels) if labels is not None and len(labels) == k else [str(c) for c in codes]
    onehot = (t[:, None] == np.asarray(codes)[None, :]).astype(int)
    curves = [
        one(names[j], onehot[:, j], pr[:, j]) for j in range(k) if 0 < onehot[:, j].sum() < len(t)
    ]
    curves.append(one("micro", onehot.ravel(), pr.ravel()))
    return {"curves": curves}


def _as_binary_truth(t: np.ndarray) -> np.ndarray:
    uniq = set(np.unique(t).tolist())
    if not uniq <= {0, 1}:
        raise InputError(
            f"binary probabilities need y_true of 0/1 labels, found {sorted(uniq)[:6]}; pass "
            "(n, n_classes) probabilities for multiclass"
        )
    return t.astype(int)


@figure_doc
def plot_roc_pr(
    y_true: Any,
    proba: Any,
    *,
    labels: Any = None,
    title: str = "",
    backend: str = "matplotlib",
):
    """Plot the ROC curve (with its AUC) and the precision-recall curve (with average
    precision) side by side.

    Parameters
    ----------
    y_true : array-like
        True classes (0/1 for binary).
    proba : array-like
        Probability of class 1 ``(n,)``, or ``(n, n_classes)`` for one-vs-rest curves of every
        class and their micro average.
    labels : sequence, optional
        Class names for the legend.
    {figure_parameters}

    Examples
    --------
    >>> from spacekit.computer import plot_roc_pr
    >>> fig = plot_roc_pr([0, 0, 1, 1, 1], [0.1, 0.6, 0.4, 0.8, 0.9])
    >>> [ax.get_title() for ax in fig.axes]
    ['ROC', 'precision-recall']
    """
    check_backend(backend)
    curves = curve_data(y_true, proba, labels=labels)["curves"]
    if backend == "plotly":
        go, _ = plotly_modules()
        fig = plotly_subplots(["ROC", "precision-recall"])
        for c in curves:
            fig.add_trace(
                go.Scatter(
                    x=c["fpr"], y=c["tpr"], mode="lines", name=f"{c['name']} AUC={c['auc']:.3f}"
                ),
                row=1,
                col=1,
            )
            fig.add_trace(
                go.Scatter(
                    x=c["recall"],
                    y=c["precision"],
                    mode="lines",
                    name=f"{c['name']} AP={c['ap']:.3f}",
                ),
                row=1,
                col=2,
            )
        fig.add_trace(dotted_line(go, [0, 1], [0, 1], name="chance", color="grey"), row=1, col=1)
        titles = [("false positive rate", "true positive rate"), ("recall", "precision")]
        plotly_axis_titles(fig, titles)
        fig.update_layout(title=title or "ROC and precision-recall")
        return fig
    fig, (ax1, ax2) = mpl_subplots((10.0, 4.0), ncols=2)
    for c in curves:
        ax1.plot(c["fpr"], c["tpr"], label=f"{c['name']} (AUC = {c['auc']:.3f})")
        ax2.step(
            c["recall"], c["precision"], where="post", label=f"{c['name']} (AP = {c['ap']:.3f})"
        )
    ax1.plot([0, 1], [0, 1], ":", color="grey", label="chance")
    if len(curves) == 1:
        ax2.axhline(curves[0]["prevalence"], ls=":", color="grey", label="chance")
    ax1.set(
        xlabel="false positive rate",
        ylabel="true positive rate",
        title="ROC",
        xlim=(0, 1),
        ylim=(0, 1.02),
    )
    ax2.set(
        xlabel="recall", ylabel="precision", title="precision-recall", xlim=(0, 1), ylim=(0, 1.02)
    )
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right" if ax is ax1 else "lower left", fontsize="small")
    if title:
        fig.suptitle(title)
    return fig


#: The seed's name of :func:`plot_roc_pr` (same function).
roc_plots = plot_roc_pr


# -- residuals -----------------------------------------------------------------------------
def plot_residuals(y_true: Any, y_pred: Any, *, title: str = "", backend: str = "matplotlib"):
    """Plot predicted against true values (with the identity line) and the residual histogram.

    Parameters
    ----------
    y_true, y_pred : array-like
        True and predicted values of a regression.
    title : str
        Figure title (e.g. the target's name).
    backend : {"matplotlib", "plotly"}
        Figure type.

    Returns
    -------
    matplotlib.figure.Figure or plotly.graph_objects.Figure

    Examples
    --------
    >>> from spacekit.computer import plot_residuals
    >>> fig = plot_residuals([1.0, 2.0, 3.0], [1.1, 1.8, 3.3], title="memory (GB)")
    >>> fig.axes[0].get_xlabel()
    'true'
    """
    check_backend(backend)
    t, p = _regression_pair(y_true, y_pred, "residual_plots")
    resid = p - t
    lo, hi = float(np.min([t.min(), p.min()])), float(np.max([t.max(), p.max()]))
    if backend == "plotly":
        go, _ = plotly_modules()
        fig = plotly_subplots(["predicted vs true", "residuals (predicted - true)"])
        fig.add_trace(plotly_points(go, t, p, name="samples", size=4, opacity=0.5), row=1, col=1)
        fig.add_trace(
            dotted_line(go, [lo, hi], [lo, hi], name="identity", color="grey"), row=1, col=1
        )
        fig.add_trace(go.Histogram(x=resid, name="residuals", nbinsx=50), row=1, col=2)
        plotly_axis_titles(fig, [("true", "predicted"), ("residual", "")])
        fig.update_layout(title=title or "residuals")
        return fig
    fig, (ax1, ax2) = mpl_subplots((10.0, 4.0), ncols=2)
    ax1.scatter(t, p, s=6, alpha=0.5)
    ax1.plot([lo, hi], [lo, hi], ":", color="grey")
    ax1.set(xlabel="true", ylabel="predicted", title="predicted vs true")
    bins = min(50, max(5, len(resid) // 5))
    if np.ptp(resid) <= 1e-9 * max(1.0, float(np.abs(resid).max())):  # constant residuals
        centre = float(resid.mean())
        ax2.hist(resid, bins=1, range=(centre - 0.5, centre + 0.5))
    else:
        ax2.hist(resid, bins=bins)
    ax2.axvline(0, color="grey", ls=":")
    ax2.set(xlabel="residual (predicted - true)", ylabel="count", title="residuals")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    return fig


#: The seed's name of :func:`plot_residuals` (same function).
residual_plots = plot_residuals

"""Report figures of the HST calibration models (matplotlib, imported when called).

Used when :mod:`spacekit.computer` is not installed with its plots; each function returns the
figure and never shows it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["confusion_figure", "pred_vs_true_figure"]


def confusion_figure(y_true: Any, y_pred: Any, *, labels=(0, 1, 2, 3), title: str = ""):
    """Confusion matrix of memory bins (counts, rows = true bin).

    Examples
    --------
    >>> fig = confusion_figure([0, 1, 1], [0, 1, 2])
    >>> type(fig).__name__
    'Figure'
    """
    from ....utils.plotting import new_figure

    y_true = np.asarray(y_true, dtype=int)
    y_pred = np.asarray(y_pred, dtype=int)
    n = len(labels)
    m = np.zeros((n, n), dtype=int)
    np.add.at(m, (y_true, y_pred), 1)
    fig = new_figure((4.5, 4))
    ax = fig.add_subplot()
    ax.imshow(np.log1p(m), cmap="Blues")
    for i in range(n):
        for j in range(n):
            ax.text(j, i, str(m[i, j]), ha="center", va="center", fontsize=9)
    ax.set_xticks(range(n), labels)
    ax.set_yticks(range(n), labels)
    ax.set_xlabel("predicted bin")
    ax.set_ylabel("true bin")
    ax.set_title(title or "memory bin")
    return fig


def pred_vs_true_figure(
    y_true: Any,
    y_pred: Any,
    *,
    upper: Any = None,
    unit: str = "",
    title: str = "",
    log: bool = False,
):
    """Predicted vs true values (left) and residuals vs predicted (right).

    Examples
    --------
    >>> fig = pred_vs_true_figure([1.0, 2.0], [1.1, 1.8], unit="GB")
    >>> len(fig.axes)
    2
    """
    from ....utils.plotting import new_figure

    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    fig = new_figure((9, 4))
    ax, ax2 = fig.subplots(1, 2)
    ax.scatter(y_true, y_pred, s=4, alpha=0.4, label="point estimate")
    if upper is not None:
        ax.scatter(y_true, np.asarray(upper, dtype=float), s=4, alpha=0.3, label="upper bound")
    lim = [max(min(y_true.min(), y_pred.min()), 1e-3), max(y_true.max(), y_pred.max())]
    ax.plot(lim, lim, "k--", lw=1)
    if log:
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.set_xlabel(f"true ({unit})")
    ax.set_ylabel(f"predicted ({unit})")
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title(title)
    ax2.scatter(y_pred, y_true - y_pred, s=4, alpha=0.4)
    ax2.axhline(0, color="k", lw=1)
    if log:
        ax2.set_xscale("log")
    ax2.set_xlabel(f"predicted ({unit})")
    ax2.set_ylabel(f"residual true - predicted ({unit})")
    fig.tight_layout()
    return fig

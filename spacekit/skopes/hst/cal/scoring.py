"""Scores and run reports of the HST calibration pipeline
(:mod:`~spacekit.skopes.hst.cal.pipeline`):
every evaluation metric of a set of predictions (:func:`score_predictions`), the figures, the
``evaluation.json`` summary and the predictions table of a run."""

from __future__ import annotations

from typing import Any

import numpy as np

from .features import BIN_QUEUES_GB

__all__ = ["score_predictions"]


def score_predictions(res: dict, y_bin: Any, y_mem: Any, y_wall: Any) -> dict:
    """All evaluation metrics of predictions ``res`` (see :meth:`CalPredictor.predict_arrays`).

    Bin metrics refer to the submitted (safe) ``memBin`` unless prefixed ``argmax_``.

    Examples
    --------
    >>> res = {"mem_bin": np.array([0, 1]), "bin_argmax": np.array([0, 0]),
    ...        "memory": np.array([1.0, 2.0]), "memory_upper": np.array([2.0, 3.0]),
    ...        "wallclock": np.array([10.0, 20.0]), "clock_time": np.array([20.0, 40.0])}
    >>> m = score_predictions(res, [0, 1], [1.0, 2.5], [10.0, 30.0])
    >>> m["bin_accuracy"], m["under_bin_rate"], m["wallclock_under_rate"]
    (1.0, 0.0, 0.0)
    """
    y_bin = np.asarray(y_bin, dtype=int)
    y_mem = np.asarray(y_mem, dtype=float)
    y_wall = np.asarray(y_wall, dtype=float)
    mb = np.asarray(res["mem_bin"], dtype=int)
    am = np.asarray(res["bin_argmax"], dtype=int)
    queue = np.asarray(BIN_QUEUES_GB, dtype=float)
    mem, wall, clock = res["memory"], res["wallclock"], res["clock_time"]
    ss_tot = float(((y_mem - y_mem.mean()) ** 2).sum())
    out = {
        "n_rows": int(len(y_bin)),
        "bin_accuracy": float(np.mean(mb == y_bin)),
        "under_bin_rate": float(np.mean(mb < y_bin)),
        "over_bin_rate": float(np.mean(mb > y_bin)),
        "mean_extra_gb": float(np.mean(np.maximum(queue[mb] - queue[y_bin], 0))),
        "argmax_bin_accuracy": float(np.mean(am == y_bin)),
        "argmax_under_bin_rate": float(np.mean(am < y_bin)),
        "argmax_over_bin_rate": float(np.mean(am > y_bin)),
        "memory_rmse_gb": float(np.sqrt(np.mean((mem - y_mem) ** 2))),
        "memory_mae_gb": float(np.mean(np.abs(mem - y_mem))),
        "memory_r2": float(1 - ((mem - y_mem) ** 2).sum() / ss_tot) if ss_tot > 0 else float("nan"),
        "memory_upper_coverage": float(np.mean(res["memory_upper"] >= y_mem)),
        "wallclock_rmse_s": float(np.sqrt(np.mean((wall - y_wall) ** 2))),
        "wallclock_mdape": float(np.median(np.abs(wall - y_wall) / y_wall)),
        "wallclock_under_pred_rate": float(np.mean(wall < y_wall)),
        "wallclock_under_rate": float(np.mean(clock < y_wall)),
        "wallclock_kill_ratio_median": float(np.median(clock / y_wall)),
    }
    for b in range(len(BIN_QUEUES_GB)):
        sel = y_bin == b
        out[f"recall_bin{b}"] = float(np.mean(mb[sel] == b)) if sel.any() else float("nan")
    return out


def _figures(res: dict, df, title: str) -> dict:
    """Confusion matrix, predicted-vs-true and residual figures (spacekit.computer when present)."""
    y_bin = df["mem_bin"].to_numpy(dtype=int)
    figs = {}
    try:
        from ....computer import fusion_matrix, residual_plots
    except ImportError:
        fusion_matrix = residual_plots = None
    if fusion_matrix is not None:
        figs["confusion_membin"] = fusion_matrix(
            y_bin, res["mem_bin"], labels=[0, 1, 2, 3], title=f"{title}: submitted memBin"
        )
        figs["residuals_memory"] = residual_plots(
            df["memory"].to_numpy(), res["memory"], title=f"{title} memory (GB)"
        )
        figs["residuals_wallclock"] = residual_plots(
            df["wallclock"].to_numpy(), res["wallclock"], title=f"{title} wallclock (s)"
        )
        return figs
    from .plots import confusion_figure, pred_vs_true_figure

    figs["confusion_membin"] = confusion_figure(
        y_bin, res["mem_bin"], title=f"{title}: submitted memBin"
    )
    figs["pred_vs_true_memory"] = pred_vs_true_figure(
        df["memory"].to_numpy(),
        res["memory"],
        upper=res["memory_upper"],
        unit="GB",
        title=f"{title}: memory",
    )
    figs["pred_vs_true_wallclock"] = pred_vs_true_figure(
        df["wallclock"].to_numpy(),
        res["wallclock"],
        upper=res["clock_time"],
        unit="s",
        title=f"{title}: wallclock",
        log=True,
    )
    return figs


def _evaluation_json(res: dict, df) -> dict:
    y = df["mem_bin"].to_numpy(dtype=int)
    m = np.zeros((4, 4), dtype=int)
    np.add.at(m, (y, np.asarray(res["mem_bin"], dtype=int)), 1)
    n = min(5000, len(df))
    idx = (
        np.random.default_rng(0).choice(len(df), n, replace=False)
        if len(df) > n
        else np.arange(len(df))
    )
    return {
        "task": "multiclass",
        "confusion": {"labels": [0, 1, 2, 3], "matrix": m.tolist()},
        "residuals": {
            "y_true": df["memory"].to_numpy()[idx].tolist(),
            "y_pred": np.asarray(res["memory"])[idx].tolist(),
        },
    }


def _predictions_frame(res: dict, df):
    import pandas as pd

    out = (
        pd.DataFrame({"ipst": df["ipst"]}) if "ipst" in df.columns else pd.DataFrame(index=df.index)
    )
    out["mem_bin"] = df["mem_bin"].to_numpy()
    out["memBin"] = res["mem_bin"]
    out["memBinArgmax"] = res["bin_argmax"]
    out["memory"] = df["memory"].to_numpy()
    out["memVal"] = res["memory"]
    out["memUpper"] = res["memory_upper"]
    out["wallclock"] = df["wallclock"].to_numpy()
    out["clockTimePred"] = res["wallclock"]
    out["killTime"] = res["clock_time"]  # the calibrated kill time (the reply's killTime)
    return out


def _save_figures(run, figs: dict) -> None:
    # made by new_figure, without pyplot: nothing to close, freed with the last reference
    for fname, fig in figs.items():
        run.save_figure(fig, fname)

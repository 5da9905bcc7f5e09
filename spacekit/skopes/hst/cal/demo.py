"""``spacekit demo`` step for HST calibration: train, evaluate honestly, predict real inputs.

:func:`run` trains on ``hst_cal_2021_05_11`` (29,191 jobs), evaluates the chosen models with
repeated grouped k-fold (5 folds x 3 seeds) into a report run folder, and predicts the 21 real
MemModelFeatures files of calcloud's tests, printing a table.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO

__all__ = ["run", "write_cv_report"]


def _data_file(name: str, rel: str) -> Path:
    try:
        from ....datasets import fetch

        return Path(fetch(name))
    except ImportError:  # pragma: no cover - datasets is part of spacekit
        from ....config import conf

        return Path(conf.data_mirror) / rel


def write_cv_report(cv: dict, runs_dir: str | os.PathLike, *, name: str = "cv"):
    """Write a :func:`~spacekit.skopes.hst.cal.cross_validate` result as a run folder.

    The run holds ``metrics.json`` (mean, worst, per fold, time split), ``predictions.csv``
    (out-of-fold predictions of the first repeat), ``evaluation.json`` and the figures.

    Examples
    --------
    >>> write_cv_report(cross_validate("latest.csv"), "spacekit-runs")  # doctest: +SKIP
    Run('spacekit-runs/hst_cal/...-cv')
    """
    from ....utils.runs import Run
    from .pipeline import _evaluation_json, _figures, _save_figures

    s = cv["settings"]
    run = Run.create(
        "hst_cal",
        name,
        runs_dir=runs_dir,
        parameters={k: v for k, v in s.items() if k != "data_sha256"},
        seed=s["seed"],
        data_sha256=s["data_sha256"],
    )
    run.write_metrics(
        {
            "mean": cv["mean"],
            "worst": cv["worst"],
            "worst_fold": cv["worst_fold"],
            "folds": cv["folds"],
            "by_time": cv["by_time"],
            "settings": s,
        }
    )
    run.write_predictions(cv["oof"])
    run.write_json("evaluation.json", _evaluation_json(cv["oof_arrays"], cv["table"]))
    _save_figures(run, _figures(cv["oof_arrays"], cv["table"], "grouped k-fold"))
    return run


def run(runs_dir: str | os.PathLike, out: TextIO) -> None:
    """Train, cross-validate and predict the 21 real feature files; print a summary to ``out``."""
    from . import load_model, train
    from .pipeline import cross_validate  # the result dict (cal.cross_validate: a run folder)

    table = _data_file("hst_cal_2021_05_11", "hst_cal/hst_cal_2021-05-11_latest.csv")
    mmf_dir = table.parent / "MemModelFeatures"
    trained = train(table, runs_dir=runs_dir, seed=0, name="demo")
    m = trained.metrics
    out.write(
        f"trained in {m['train_seconds']} s on {m['n_rows']} jobs ({m['n_groups']} distinct "
        f"inputs): {trained.path}\n"
    )
    for t, sel in m["selection"].items():
        out.write(f"  {t:9s} kept {sel['kept']:5s} - {sel['reason']}\n")
    predictor = load_model(trained)
    # Each training part chooses its model kinds itself, as train did on the whole table.
    cv = cross_validate(table, n_splits=5, n_repeats=3, seed=0)
    report = write_cv_report(cv, runs_dir)
    out.write(f"repeated grouped 5-fold x 3 (mean / worst fold): {report.path}\n")
    for k in (
        "bin_accuracy",
        "under_bin_rate",
        "over_bin_rate",
        "mean_extra_gb",
        "memory_rmse_gb",
        "memory_r2",
        "wallclock_mdape",
        "wallclock_under_rate",
    ):
        out.write(f"  {k:22s} {cv['mean'][k]:8.4f} / {cv['worst'][k]:8.4f}\n")
    files = sorted(Path(mmf_dir).glob("*_MemModelFeatures.txt"))
    if not files:
        out.write(f"no MemModelFeatures files in {mmf_dir}\n")
        return
    out.write(
        f"{'ipst':10s} {'memBin':>6s} {'argmax':>6s} {'memVal GB':>9s} {'upper GB':>8s} "
        f"{'wall s':>8s} {'killTime':>9s}\n"
    )
    rows = []
    for f in files:
        r = predictor.predict(f.name[:9], f)
        rows.append(r)
        out.write(
            f"{r['ipst']:10s} {r['memBin']:6d} {r['memBinArgmax']:6d} {r['memVal']:9.2f} "
            f"{r['memUpper']:8.2f} {r['clockTimePred']:8.0f} {r['killTime']:9d}\n"
        )
    trained.write_json("memmodelfeatures_predictions.json", rows)

"""``spacekit demo`` step ``hst_svm``: train, evaluate and predict on the real SVM tables."""

from __future__ import annotations

import os
from typing import TextIO

__all__ = ["run"]


def run(runs_dir: str | os.PathLike, out: TextIO, *, fast: bool = False) -> None:
    """Train tabular-only on ``svm_labeled_2021_07_28``, evaluate on proposal-grouped folds,
    and predict ``svm_unlabeled_2021_10_06``; write three run folders under ``runs_dir``.

    ``fast=True`` trains tiny models (seconds; for tests).

    Parameters
    ----------
    runs_dir : path
        Parent of the three run folders.
    out : file-like
        Where the one-line summary of each step is written.
    fast : bool
        Tiny models, for tests.

    Examples
    --------
    Three trainings, tens of seconds even with ``fast=True`` (``tests/test_cli.py`` runs it):

    >>> import sys
    >>> run("spacekit-runs", sys.stdout, fast=True)  # doctest: +SKIP
    hst_svm train: kept ...
    """
    from .app import cross_validate, predict_to_run, train

    trained = train(
        "svm_labeled_2021_07_28",
        runs_dir=runs_dir,
        kind="auto",
        seed=0,
        fast=fast,
        name="demo-train",
    )
    m = trained.metrics
    out.write(
        f"hst_svm train: kept {m['model']} ({m['selection']}); validation ROC-AUC "
        f"{m['roc_auc']:.3f}, misaligned precision {m['precision_misaligned']:.3f} / recall "
        f"{m['recall_misaligned']:.3f} -> {trained.path}\n"
    )
    ev = cross_validate(
        "svm_labeled_2021_07_28",
        runs_dir=runs_dir,
        kind=m["model"] if m["model"] in ("gb", "gb_et") else "gb",
        n_repeats=1,
        seed=0,
        fast=fast,
        name="demo-evaluate",
    )
    e = ev.metrics
    out.write(
        f"hst_svm evaluate (5-fold, proposals kept together): ROC-AUC mean "
        f"{e['roc_auc_mean']:.3f}, worst fold {e['roc_auc_worst']:.3f}; misaligned precision "
        f"{e['precision_misaligned']:.3f} / recall {e['recall_misaligned']:.3f} -> {ev.path}\n"
    )
    pr = predict_to_run(trained, "svm_unlabeled_2021_10_06", runs_dir=runs_dir, name="demo-predict")
    p = pr.metrics
    out.write(
        f"hst_svm predict: {p['n_flagged_misaligned']} of {p['n_visits']} unlabelled visits "
        f"flagged misaligned -> {pr.path}\n"
    )

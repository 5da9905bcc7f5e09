"""The ``k2`` step of ``spacekit demo``: build a modest set, evaluate leave-one-star-out, train.

Examples
--------
>>> import sys
>>> run("spacekit-runs", sys.stdout)  # doctest: +SKIP
"""

from __future__ import annotations

import os
from typing import Any, TextIO

__all__ = ["run"]


def run(
    runs_dir: str | os.PathLike,
    out: TextIO,
    *,
    n_synthetic: int = 600,
    injections_per_window: int = 2,
    epochs: int = 12,
    fast: bool = False,
    stars: Any = None,
    seed: int = 0,
) -> dict:
    """Build a training set from the shared light curves, evaluate it, train a final model.

    The set (cached under ``<cache_dir>/k2/``) holds the real windows of the shared stars
    with known transits masked, two batman-injected copies of each, the hosts' real transits
    and ``n_synthetic`` synthetic windows. The leave-one-star-out evaluation and the final
    model are two ``k2`` run folders under ``runs_dir``; a summary goes to ``out``.

    Parameters
    ----------
    runs_dir : path
        Parent of run folders.
    out : text stream
        Where the summary is written.
    n_synthetic, injections_per_window, epochs, fast, stars, seed
        Size of the demo (defaults finish in a few minutes on 2 cores).

    Returns
    -------
    dict
        ``dataset`` (path), ``evaluation`` and ``model`` (run folders), ``metrics``.

    Examples
    --------
    >>> import sys
    >>> result = run("spacekit-runs", sys.stdout)  # doctest: +SKIP
    """
    from pathlib import Path

    from ...config import conf
    from .classifier import evaluate, train
    from .dataset import build_training_set

    data_dir = (
        Path(conf.cache_dir) / "k2" / f"demo-seed{seed}-syn{n_synthetic}-inj{injections_per_window}"
    )
    ts = build_training_set(
        data_dir,
        stars=stars,
        n_synthetic=n_synthetic,
        injections_per_window=injections_per_window,
        seed=seed,
    )
    comp = ts.summary["composition"]
    out.write(
        f"k2 training set: {ts.path} — {comp['n_windows']} windows of {ts.summary['length']} "
        f"cadences (native cadence), {comp['n_planet']} with a transit, "
        f"{comp['real_noise_fraction']:.0%} real noise\n"
    )
    ev = evaluate(ts.path, runs_dir=runs_dir, name="demo-loso", epochs=epochs, seed=seed, fast=fast)
    k2 = ev.metrics["k2"]
    o, g = k2["overall"], k2["goal"]

    def f(v: Any) -> str:
        return "n/a" if v is None else f"{v:.3f}"

    out.write(
        f"leave-one-star-out ({len(k2['per_fold'])} folds): ROC-AUC {f(o['roc_auc'])}, "
        f"precision {f(o['precision'])}, recall {f(o['recall'])}, F1 {f(o['f1'])}; "
        f"SNR>=10: ROC-AUC {f(g['roc_auc'])}, recall at precision>=0.9 "
        f"{f(g['recall_at_precision_0.9'])}\n"
    )
    for star, r in k2["real_transits"].items():
        out.write(
            f"  real transits of {star}: {r['n_windows']} windows, "
            f"{r['fraction_above_threshold']:.0%} above threshold (min p "
            f"{r['min_probability']:.3f})\n"
        )
    out.write(f"evaluation run: {ev.path}\n")
    model_run = train(
        ts.path, runs_dir=runs_dir, name="demo-train", epochs=epochs, seed=seed, fast=fast
    )
    out.write(f"model run: {model_run.path}\n")
    return {"dataset": ts.path, "evaluation": ev, "model": model_run, "metrics": k2}

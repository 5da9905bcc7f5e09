"""Leave-one-star-out cross-validation of the K2 classifier (:func:`evaluate`) and its metrics
(:func:`loso_metrics`, :func:`headline_metrics`).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ...builder.trainer import predict_batches
from ...exceptions import InputError
from ...utils.progress import progress
from ...utils.runs import Run
from .inputs import BOOST_WEIGHT, _inputs_cached, _take, boost_features
from .model import _check_min_snr_classes, _read, _training_mask, fit_on_inputs
from .preprocessing import preprocess
from .settings import NETWORK_SETTINGS, RUN_SETTINGS, fit_settings

log = logging.getLogger(__name__)

#: The app name of k2 run folders.
APP = "k2"


#: Transit-SNR bin edges of the evaluation.
SNR_BINS: tuple[float, ...] = (0, 3, 5, 7, 10, 15, 30, 100, np.inf)

#: Columns of other SNR definitions that :func:`loso_metrics` also bins and scores when
#: present (see :func:`spacekit.skopes.k2.inject.transit_snr_definitions`).
ALTERNATIVE_SNRS: tuple[str, ...] = ("snr_std", "snr_timescale")


#: The timescale (CDPP-like) SNR cuts of the headline metrics.
HEADLINE_SNRS: tuple[float, ...] = (10.0, 15.0)
#: What the dashboard and reports show first: ROC-AUC and recall at 90% precision of the
#: injected planets with timescale SNR at or above each cut, against every negative window.
HEADLINE_METRICS: tuple[str, ...] = tuple(
    f"{name}_timescale_snr{cut:g}"
    for cut in HEADLINE_SNRS
    for name in ("roc_auc", "recall_at_precision_0.9")
)


def headline_metrics(frame: pd.DataFrame, *, threshold: float = 0.5) -> dict[str, float | None]:
    """:data:`HEADLINE_METRICS` of scored windows: ``label``, ``proba``, ``kind`` and
    ``snr_timescale`` (NaN for negatives); None where the frame lacks the column or a class.

    Parameters
    ----------
    frame : pandas.DataFrame
        Scored windows.
    threshold : float
        Probability at and above which a window is called a transit.

    Returns
    -------
    dict
        :data:`HEADLINE_METRICS` by name.

    Examples
    --------
    >>> import pandas as pd, numpy as np
    >>> f = pd.DataFrame({"label": [0, 1, 0, 1], "proba": [0.1, 0.9, 0.2, 0.8],
    ...     "kind": ["real_noise", "real_injected"] * 2, "snr_timescale": [np.nan, 20, np.nan, 12]})
    >>> headline_metrics(f)["roc_auc_timescale_snr15"]
    1.0
    """
    out: dict[str, float | None] = dict.fromkeys(HEADLINE_METRICS)
    if "snr_timescale" not in frame.columns:
        return out
    neg = frame[frame["label"] == 0]
    injected = frame[(frame["label"] == 1) & frame["kind"].astype(str).str.endswith("injected")]
    snr = injected["snr_timescale"].to_numpy(dtype=float)
    for cut in HEADLINE_SNRS:
        strong = pd.concat([injected[snr >= cut], neg])
        sc = _binary_scores(strong["label"].to_numpy(), strong["proba"].to_numpy(), threshold)
        out[f"roc_auc_timescale_snr{cut:g}"] = sc["roc_auc"]
        out[f"recall_at_precision_0.9_timescale_snr{cut:g}"] = sc["recall_at_precision_0.9"]
    return out


def leave_one_star_out_folds(groups: Sequence[str]) -> list[tuple[str, np.ndarray]]:
    """Folds holding out one star each, plus one synthetic generator-seed group each.

    Real groups (stars) are held out one per fold; the ``synthetic-<k>`` groups are dealt
    round-robin to the folds, so every window is predicted exactly once by a model that never
    saw its star or its generator seeds.

    Parameters
    ----------
    groups : sequence of str
        The group of each window: a star's name, or ``synthetic-<k>``.

    Returns
    -------
    list of (fold name, boolean test mask)

    Examples
    --------
    >>> f = leave_one_star_out_folds(["A", "A", "B", "synthetic-0", "synthetic-1"])
    >>> [(n, m.nonzero()[0].tolist()) for n, m in f]
    [('A', [0, 1, 3]), ('B', [2, 4])]
    """
    g = np.asarray([str(x) for x in groups])
    syn = sorted({x for x in g if x.startswith("synthetic")}, key=lambda s: (len(s), s))
    stars = sorted({x for x in g if not x.startswith("synthetic")})
    folds = []
    if stars:
        for i, star in enumerate(stars):
            held = {star} | {s for j, s in enumerate(syn) if j % len(stars) == i}
            folds.append((str(star), np.isin(g, list(held))))
    else:
        for s in syn:
            folds.append((str(s), g == s))
    if len(folds) < 2:
        raise InputError(
            f"leave-one-star-out needs at least two groups, found {sorted(set(g.tolist()))}; "
            "build the set with two or more stars (`--lightcurve STAR=PATH`) or synthetic "
            "groups (`spacekit k2 build-dataset --synthetic-groups 2`, "
            "build_training_set(synthetic_groups=2))"
        )
    return folds


def _binary_scores(y: np.ndarray, proba: np.ndarray, threshold: float) -> dict:
    """k2's keys of :func:`spacekit.computer.binary_metrics` (positive class: planet)."""
    from ...computer.metrics import binary_metrics

    m = binary_metrics(
        np.asarray(y).astype(int), np.asarray(proba, dtype=float), threshold=threshold
    )
    return {
        "n": m["n"],
        "n_planet": m["n_positive"],
        "precision": m["precision"],
        "recall": m["recall"],
        "f1": m["f1"],
        "roc_auc": m["roc_auc"],
        "recall_at_precision_0.9": m["recall_at_precision_0.9"],
    }


def _scores_by_snr(
    injected: pd.DataFrame, snr: np.ndarray, neg: pd.DataFrame, threshold: float
) -> list[dict]:
    """Recall and ROC-AUC (against all negatives) of the injections in each bin of SNR_BINS."""
    rows = []
    for lo, hi in zip(SNR_BINS[:-1], SNR_BINS[1:], strict=True):
        sel = injected[(snr >= lo) & (snr < hi)]
        row: dict[str, Any] = {
            "snr_min": lo,
            "snr_max": None if np.isinf(hi) else hi,
            "n_planet": int(len(sel)),
        }
        if len(sel):
            both = pd.concat([sel, neg])
            sc = _binary_scores(both["label"].to_numpy(), both["proba"].to_numpy(), threshold)
            row.update(recall=sc["recall"], roc_auc=sc["roc_auc"])
        rows.append(row)
    return rows


def loso_metrics(frame: pd.DataFrame, *, threshold: float = 0.5, snr_goal: float = 10.0) -> dict:
    """Leave-one-star-out metrics from out-of-fold predictions.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per window with ``label`` (0/1), ``proba``, ``fold``, ``group``, ``kind``
        and ``snr`` (NaN for negatives).
    threshold : float
        Decision threshold.
    snr_goal : float
        The goal's SNR cut.

    Returns
    -------
    dict
        ``overall``, ``per_fold``, ``per_group``, ``by_snr`` (recall per SNR bin and ROC-AUC of
        that bin's planets against all negatives), ``goal`` (planets with SNR >= snr_goal vs all
        negatives, and whether ROC-AUC >= 0.98 and recall >= 0.95 at precision >= 0.90 hold),
        ``real_transits`` (per star: windows, min/median probability, fraction above threshold);
        with a ``snr_per_transit`` column also ``by_snr_per_transit`` and ``goal_per_transit``
        (the same, binned by the SNR of a single transit: SNR / sqrt(transits in the window));
        with ``snr_std`` / ``snr_timescale`` columns (:data:`ALTERNATIVE_SNRS`, from
        :func:`spacekit.skopes.k2.dataset.snr_definitions`) also ``by_snr_std`` /
        ``goal_snr_std`` and ``by_snr_timescale`` / ``goal_snr_timescale``: the same tables
        under those SNR definitions (the ``goal`` entry stays at the issue's ``snr``).

    Examples
    --------
    >>> import pandas as pd, numpy as np
    >>> f = pd.DataFrame({"label": [0, 1, 0, 1], "proba": [0.1, 0.9, 0.2, 0.8],
    ...     "fold": ["a", "a", "b", "b"], "group": ["a", "a", "b", "b"],
    ...     "kind": ["real_noise", "real_injected"] * 2, "snr": [np.nan, 20, np.nan, 12]})
    >>> loso_metrics(f)["overall"]["roc_auc"]
    1.0
    """
    y = frame["label"].to_numpy().astype(int)
    proba = frame["proba"].to_numpy(dtype=float)
    out: dict[str, Any] = {"threshold": threshold, "overall": _binary_scores(y, proba, threshold)}
    out["per_fold"] = {
        str(k): _binary_scores(g["label"].to_numpy(), g["proba"].to_numpy(), threshold)
        for k, g in frame.groupby("fold", sort=True)
    }
    out["per_group"] = {
        str(k): _binary_scores(g["label"].to_numpy(), g["proba"].to_numpy(), threshold)
        for k, g in frame.groupby("group", sort=True)
    }
    neg = frame[frame["label"] == 0]
    injected = frame[(frame["label"] == 1) & frame["kind"].astype(str).str.endswith("injected")]
    snr = injected["snr"].to_numpy(dtype=float)
    out["by_snr"] = _scores_by_snr(injected, snr, neg, threshold)
    if "snr_per_transit" in injected.columns:
        single = injected["snr_per_transit"].to_numpy(dtype=float)
        out["by_snr_per_transit"] = _scores_by_snr(injected, single, neg, threshold)
        strong1 = pd.concat([injected[single >= snr_goal], neg])
        g1 = _binary_scores(strong1["label"].to_numpy(), strong1["proba"].to_numpy(), threshold)
        g1["snr_per_transit_min"] = snr_goal
        out["goal_per_transit"] = g1
    for col in ALTERNATIVE_SNRS:
        if col not in injected.columns:
            continue
        alt = injected[col].to_numpy(dtype=float)
        out[f"by_{col}"] = _scores_by_snr(injected, alt, neg, threshold)
        strong_alt = pd.concat([injected[alt >= snr_goal], neg])
        g_alt = _binary_scores(
            strong_alt["label"].to_numpy(), strong_alt["proba"].to_numpy(), threshold
        )
        g_alt["snr_min"] = snr_goal
        out[f"goal_{col}"] = g_alt
    out["headline"] = headline_metrics(frame)
    strong = pd.concat([injected[snr >= snr_goal], neg])
    goal = _binary_scores(strong["label"].to_numpy(), strong["proba"].to_numpy(), threshold)
    goal["snr_min"] = snr_goal
    goal["met_roc_auc_0.98"] = bool(goal["roc_auc"] is not None and goal["roc_auc"] >= 0.98)
    goal["met_recall_0.95_at_precision_0.90"] = bool(
        goal["recall_at_precision_0.9"] is not None and goal["recall_at_precision_0.9"] >= 0.95
    )
    out["goal"] = goal
    real = frame[frame["kind"] == "real_transit"]
    out["real_transits"] = {
        str(star): {
            "n_windows": int(len(g)),
            "min_probability": float(g["proba"].min()),
            "median_probability": float(g["proba"].median()),
            "fraction_above_threshold": float((g["proba"] >= threshold).mean()),
        }
        for star, g in real.groupby("group", sort=True)
    }
    return out


def _snr_figure(metrics: dict):
    from ...utils.plotting import new_figure

    fig = new_figure((6, 3.5))
    ax = fig.add_subplot(111)
    rows = [r for r in metrics["by_snr"] if r.get("n_planet")]
    labels = [
        f"{r['snr_min']:g}-{r['snr_max']:g}" if r["snr_max"] else f">{r['snr_min']:g}" for r in rows
    ]
    x = np.arange(len(rows))
    ax.bar(x - 0.2, [r.get("recall") or 0 for r in rows], width=0.4, label="recall")
    ax.bar(x + 0.2, [r.get("roc_auc") or 0 for r in rows], width=0.4, label="ROC-AUC vs negatives")
    ax.set_xticks(x, labels, rotation=30)
    ax.set_xlabel("transit SNR")
    ax.set_ylim(0, 1.05)
    ax.axhline(0.95, color="grey", lw=0.8, ls="--")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("Injected transits: leave-one-star-out")
    fig.tight_layout()
    return fig


def evaluate(
    data: Any,
    *,
    runs_dir: str | os.PathLike | None = None,
    name: str = "loso",
    snr_definitions: bool = False,
    **settings: Any,
) -> Run:
    """Leave-one-star-out evaluation; write a ``k2`` run folder with the report.

    For each star (group), a fresh network is trained on every other star's windows and on
    the synthetic windows of the other generator-seed groups, and scores the held-out ones.
    The pooled out-of-fold probabilities go to :func:`spacekit.computer.compute` (ROC/PR,
    confusion matrix, history: ``metrics.json``, ``evaluation.json``, ``figures/``); the k2
    metrics of :func:`loso_metrics` are merged into ``metrics.json`` under ``"k2"`` and the
    per-window predictions written to ``predictions.csv``.

    Parameters
    ----------
    data : path or (X, y, meta)
        A flux table *with* its metadata sidecar (groups, kinds, SNR): a built set.
    runs_dir, name
        As for :func:`~spacekit.skopes.k2.classifier.train`.
    snr_definitions : bool
        Also score the injections under the per-point std and the timescale (CDPP-like) SNR
        of :func:`spacekit.skopes.k2.dataset.snr_definitions`: adds ``snr_std`` and
        ``snr_timescale`` to ``predictions.csv`` and ``by_snr_std``, ``goal_snr_std``,
        ``by_snr_timescale``, ``goal_snr_timescale`` to the k2 metrics (the headline ``goal``
        stays at the issue's SNR). Needs the set's own metadata (depth, ephemeris); the
        training is the same either way.
    **settings
        The training settings (:mod:`spacekit.skopes.k2.settings`; low-SNR
        injected windows left out of training by ``train_min_snr`` are still *scored*; fold
        ``i`` trains with ``seed + i``).

    Returns
    -------
    Run
        The run folder.

    Examples
    --------
    >>> run = evaluate("k2-train.csv", epochs=5)  # doctest: +SKIP
    >>> run.metrics["k2"]["goal"]["roc_auc"]  # doctest: +SKIP
    0.99
    """
    s = fit_settings(settings, where="evaluate")
    network, threshold, min_snr, show_progress = (
        s["network"],
        s["threshold"],
        s["train_min_snr"],
        s["show_progress"],
    )
    X, y, meta, sha = _read(data)
    if meta is None or "group" not in meta.columns:
        raise InputError(
            "leave-one-star-out needs the per-window metadata (group, kind, snr) that "
            "build_training_set writes beside the table (<stem>.meta.csv); the Kaggle tables "
            "have none"
        )
    meta = meta.reset_index(drop=True)
    folds = leave_one_star_out_folds(meta["group"].astype(str).tolist())
    Z = preprocess(X)
    length = X.shape[1]
    t_feat = time.perf_counter()
    inputs = _inputs_cached(Z, network, sha, show_progress)
    feature_seconds = time.perf_counter() - t_feat
    oof = np.full(len(y), np.nan)
    oof_cnn = np.full(len(y), np.nan)
    oof_boost = np.full(len(y), np.nan)
    fold_of = np.empty(len(y), dtype=object)
    histories = {}
    t0 = time.perf_counter()
    usable = _training_mask(y, meta, min_snr)
    for fi, (fold, test) in enumerate(progress(folds, desc="k2 folds", enabled=show_progress)):
        train_idx = ~test & usable
        _check_min_snr_classes(y[~test], usable[~test], min_snr, f"fold {fold!r}")
        if len(np.unique(y[train_idx])) < 2:
            raise InputError(
                f"fold {fold!r}: the training part (every other group) holds one class only "
                f"({'planet' if y[train_idx].any() else 'no transit'}); each star or synthetic "
                "group held out must leave windows of both classes in the others"
            )
        model, boost, histories[fold], _ = fit_on_inputs(
            _take(inputs, train_idx),
            y[train_idx],
            length=length,
            channels=Z.shape[2],
            show_progress=False,
            **{**{k: s[k] for k in NETWORK_SETTINGS}, "seed": s["seed"] + fi},
        )
        oof[test] = predict_batches(model, _take(inputs, test)).reshape(-1)
        if boost is not None:
            oof_cnn[test] = oof[test]
            oof_boost[test] = boost.predict_proba(boost_features(_take(inputs, test)))[:, 1]
            oof[test] = (1 - BOOST_WEIGHT) * oof_cnn[test] + BOOST_WEIGHT * oof_boost[test]
        fold_of[test] = fold
        log.info("k2 fold %s: %d test windows", fold, int(test.sum()))
    frame = meta.copy()
    frame["label"] = y
    frame["proba"] = oof
    frame["fold"] = fold_of
    if network == "folded":
        frame["proba_cnn"] = oof_cnn
        frame["proba_boost"] = oof_boost
    if "snr" not in frame.columns:
        frame["snr"] = np.nan
    if snr_definitions:
        from .dataset import snr_definitions as _snr_definitions

        alt = _snr_definitions(X, meta, show_progress=show_progress)
        for col in ALTERNATIVE_SNRS:
            frame[col] = alt[col].to_numpy()
    k2 = loso_metrics(frame, threshold=threshold)
    params = {
        **{k: s[k] for k in RUN_SETTINGS},
        "folds": [f for f, _ in folds],
        "snr_definitions": bool(snr_definitions),
        "n_windows": int(len(y)),
        "window_length": int(length),
        "evaluation": "leave-one-star-out (synthetic windows split by generator-seed group)",
    }
    run = Run.create(
        APP, name, runs_dir=runs_dir, parameters=params, seed=s["seed"], data_sha256=sha
    )
    from ...computer import compute

    last = list(histories.values())[-1]
    report = compute(
        y, proba=oof, task="binary", history=last, labels=["no transit", "planet"], name=name
    )
    report.save(run)
    run.write_metrics(
        {
            "k2": k2,
            "evaluation_seconds": time.perf_counter() - t0,
            "feature_seconds": feature_seconds,
        }
    )
    run.save_figure(_snr_figure(k2), "snr_recall")
    run.write_json("histories.json", histories)
    run.write_predictions(frame)
    return run

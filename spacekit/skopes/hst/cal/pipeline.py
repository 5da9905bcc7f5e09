"""Training, calibration and honest evaluation of the HST calibration resource models.

Three targets are learned from the nine features (:data:`~.features.FEATURES`): the memory
bin (classifier), the peak memory in GB and the wallclock in s (regressors; wallclock on a log
scale; memory too). For each target candidate kinds are compared on out-of-fold predictions
of a grouped k-fold of the training data: scikit-learn histogram gradient boosting
(``trees``); for the regressions, a ridge regression on pairwise products of the features (on
the log targets a product of per-feature factors, which extends to combinations of categorical
values never seen together, where trees cannot) kept within a factor 4 of the trees'
prediction (``anchored``; unbounded: ``linear``), and the mean of trees and anchored in log
space (``blend``); on request, Keras dense networks in the style of upstream (``keras``, built
with :mod:`spacekit.builder`). The best one per target is kept and the reason recorded.

Only 803 distinct feature vectors (817 before ``total_mb`` is rounded as production does)
occur in the 29,191 rows of the shared table, so every
split here keeps identical feature vectors together (groups). Because rows with the same
features are interchangeable for these models, training uses one row per distinct feature
vector (and class, for the classifier) weighted by its count: the same loss as training on every
row, at a fraction of the cost.

Safety margins are calibrated on the same out-of-fold predictions (each row is predicted by a
model that never saw its group). The submitted ``memBin`` is the bin of a calibrated upper
quantile of memory, ``memory * exp(m * s(x))``: ``s(x)`` is a small tree model of how far
off held-out memory predictions of that kind of feature vector are, and ``m`` the smallest
multiplier leaving at most ``under_bin_target`` of held-out rows under-binned on
``margin_confidence`` (0.8) of bootstrap resamples of the held-out groups (group-level
calibration). The first release's rule (``bin_rule="classifier_max"``: the larger of the
classifier's bin and the bin of memory times one margin) is still available. The memory upper
bound and the wallclock kill time are multiplicative margins at the requested coverage
(split-conformal quantiles of the log residuals: for memory at the row level with the same
group bootstrap; for the kill time over groups, each group's 90th-percentile residual weighted
by the square root of its row count, because a held-out input's error is shared by all its rows).

The work is cut by responsibility: the model fitters in :mod:`.fitters`, the safety margins in
:mod:`.calibration`, the choice of kind per target on out-of-fold predictions in
:mod:`.selection`, :func:`fit_pipeline` as a sequence of named steps in :mod:`.fit`, scores and
run reports in :mod:`.scoring`; this module holds the public layer (:func:`train`,
:func:`evaluate`, :func:`cross_validate`, :func:`save_model`) and re-exports the names of the
others, so imports from ``spacekit.skopes.hst.cal.pipeline`` keep working.
"""

from __future__ import annotations

import datetime as _dt
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ....transformer.splits import RepeatedGroupKFold, balanced_group_kfold
from ....utils.checks import whole_number
from .calibration import (  # noqa: F401  (re-exported)
    BIN_MEMBER_KINDS,
    BIN_RULES,
    KILL_GROUP_QUANTILE,
    KILL_GROUP_WEIGHT_POWER,
    KILL_RULES,
    _calibrate,
    _calibrate_bin_margin,
    _conformal_quantile,
    _group_bootstrap,
    _group_quantile,
    _margin_for,
)
from .export import save_exported
from .features import FEATURES, group_ids, prepare_table
from .fit import fit_pipeline
from .fitters import (  # noqa: F401  (re-exported)
    _FITTERS,
    _HIDDEN,
    _LINEAR_SETTINGS,
    _REGRESSION_ONLY,
    DEFAULT_CANDIDATES,
    MAX_LINEAR_DEVIATION,
    TARGET_COLUMNS,
    TARGET_TRANSFORMS,
    _build_net,
    _compress,
    _compress_classes,
    _compress_regression,
    _fit_anchored,
    _fit_blend,
    _fit_keras,
    _fit_linear,
    _fit_memory_scale,
    _fit_models,
    _fit_trees,
    _log_size_params,
    _target_values,
)
from .predict import MODEL_FORMAT, CalPredictor
from .scoring import (  # noqa: F401  (re-exported)
    _evaluation_json,
    _figures,
    _predictions_frame,
    _save_figures,
    score_predictions,
)
from .selection import (  # noqa: F401  (re-exported)
    _better,
    _bin_proba,
    _out_of_fold,
    _predict_target,
    _selection_score,
    _Zero,
)

__all__ = [
    "train",
    "fit_pipeline",
    "cross_validate",
    "evaluate",
    "score_predictions",
    "grouped_kfold",
    "save_model",
    "EVALUATE_KEYS",
]

log = logging.getLogger(__name__)

#: Keys of :func:`evaluate`'s summary (the CLI's ``--json`` output).
EVALUATE_KEYS = (
    "bin_accuracy",
    "under_bin_rate",
    "over_bin_rate",
    "memory_rmse_gb",
    "wallclock_mdape",
    "wallclock_under_rate",
)
# Metrics where larger is worse (for the worst fold); the others are worse when smaller.
_HIGHER_WORSE = {
    "under_bin_rate",
    "over_bin_rate",
    "argmax_under_bin_rate",
    "argmax_over_bin_rate",
    "mean_extra_gb",
    "memory_rmse_gb",
    "memory_mae_gb",
    "wallclock_rmse_s",
    "wallclock_mdape",
    "wallclock_under_pred_rate",
    "wallclock_under_rate",
    "wallclock_kill_ratio_median",
    "memory_upper_mean_extra_gb",
}


# --------------------------------------------------------------------------- data
def _load(data: Any) -> tuple[Any, str | None, str]:
    """(table, sha256 of its bytes, label) from a path, DataFrame or registered dataset name."""
    import pandas as pd

    from ....datasets.tables import frame_sha256, resolve_path

    if isinstance(data, pd.DataFrame):
        return prepare_table(data, name="DataFrame"), frame_sha256(data), "DataFrame"
    p = resolve_path(data, what="training data")  # a path or a registered dataset name
    from ....utils.files import file_sha256

    return prepare_table(p), file_sha256(p), p.name


#: Split rows into folds of whole groups, balanced in rows (moved to the prepare layer:
#: :func:`spacekit.transformer.balanced_group_kfold`; this name is kept for old imports).
grouped_kfold = balanced_group_kfold


def save_model(
    predictor: CalPredictor,
    folder: str | os.PathLike,
    *,
    extra: dict | None = None,
    source: dict | None = None,
    ranges: dict | None = None,
    headline_metrics: dict | None = None,
) -> Path:
    """Write a predictor's exported models and ``metadata.json`` into ``folder``, with the
    ``model.json`` manifest (:mod:`spacekit.utils.manifest`: complete only once every file is
    written); return it."""
    from ....utils.manifest import trained_source, writing_model

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    extra = extra or {}
    created = extra.get("created")  # a fixed date keeps a rebuild bit for bit
    with writing_model(
        folder,
        app="hst_cal",
        source=source or trained_source(extra.get("training_data_sha256"), created),
        features=list(FEATURES),
        ranges=ranges,
        headline_metrics=headline_metrics,
        details={"format": MODEL_FORMAT},
    ) as manifest:
        _write_model(predictor, folder, extra)
        if created:
            manifest.created = created
    return folder


def _write_model(predictor: CalPredictor, folder: Path, extra: dict) -> None:
    from ...._version import __version__
    from ....utils.runs import write_json

    meta = dict(predictor.metadata)
    meta["models"] = {k: dict(v) for k, v in meta["models"].items()}
    for t, model in predictor.models.items():
        fname = f"{t}.npz"
        meta["models"][t]["spec"] = save_exported(model, folder / fname)
        meta["models"][t]["file"] = fname
    meta.setdefault("created", _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
    meta["spacekit_version"] = __version__
    meta.update(extra or {})
    write_json(folder / "metadata.json", meta)
    predictor.metadata = meta
    predictor.model_dir = str(folder)


def train(
    data: Any,
    out_dir: str | os.PathLike,
    *,
    seed: int = 0,
    fast: bool = False,
    candidates: Sequence[str] | None = None,
    under_bin_target: float = 0.005,
    wallclock_coverage: float = 0.99,
    memory_coverage: float = 0.99,
    margin_confidence: float = 0.8,
    bin_rule: str = "upper_quantile",
    kill_rule: str = "group_quantile",
    name: str = "train",
    figures: bool = True,
    decision: str = "cost",
    cost_settings: dict | None = None,
):
    """Train the three models, calibrate their margins and write a run folder.

    Parameters
    ----------
    data : path, pandas.DataFrame or dataset name
        A table in the training-data or DynamoDB-export format.
    out_dir : path
        Runs folder: the run is ``<out_dir>/hst_cal/<YYYYmmdd-HHMMSS>-<name>/`` with
        ``model/`` (the versioned model folder), ``metrics.json``, ``predictions.csv``
        (out-of-fold), ``evaluation.json`` and ``figures/``.
    seed : int
        Seed of splits and models (training is reproducible given it).
    fast : bool
        A small model in seconds (tests, demos): few tree iterations, no Keras.
    candidates : sequence of {"trees", "keras", "linear", "anchored", "blend"}, optional
        Kinds compared per target on out-of-fold predictions of held-out groups (default
        trees, anchored, blend; keras on request). ``linear`` is a ridge regression on
        pairwise products of the features (on the log target: multiplicative per-feature
        effects, which extend to combinations never seen in training); ``anchored`` the same
        kept within a factor 4 of the trees' prediction (a pairwise-product model can
        extrapolate wildly far from its data); ``blend`` the mean of trees and anchored in log
        space. The bin classifier is trees or keras.
    under_bin_target : float
        Highest acceptable under-bin rate of the submitted ``memBin`` on held-out data.
    wallclock_coverage, memory_coverage : float
        Share of held-out jobs the kill time and the memory upper bound must cover.
    margin_confidence : float
        Group-bootstrap confidence of the bin margin: the margin meets ``under_bin_target`` on
        this share of resamples of the held-out groups (0.8; higher trades accuracy for safety).
    bin_rule : {"upper_quantile", "upper_quantile_max", "classifier_max"}
        ``upper_quantile`` (default): ``memBin`` is the bin of ``memVal * exp(m * s(x))``,
        where ``s(x)`` is a small tree model of the typical held-out log-memory error of the
        feature vector and ``m`` the calibrated multiplier. ``upper_quantile_max`` (safer,
        fewer correct bins): the largest of that bin and of the same upper quantiles of the
        other kinds among ``trees`` and ``anchored``, each with its own ``s(x)`` and ``m``
        calibrated alone (two to four more small models in the folder; measured on 8 draws of
        a 5x3 grouped k-fold: mean under-bin rate 0.28-0.32% on every draw, bin accuracy
        0.80-0.90, against 0.39-2.40% and 0.90-0.95 for the default; see
        ``benchmarks/RESULTS.md``). ``classifier_max`` (the first
        release): the larger of the classifier's bin and the bin of ``memVal * exp(m)``.
    kill_rule : {"group_quantile", "row_bootstrap"}
        How the kill time's margin is calibrated on the held-out log residuals of wallclock.
        ``group_quantile`` (default): a quantile over groups (identical feature vectors), each
        represented by its 90th-percentile residual and weighted by the square root of its row
        count, so that the coverage holds for unseen inputs (about 99.7% of held-out jobs at
        ``wallclock_coverage=0.99``, kill time about 3.7x the true wallclock). ``row_bootstrap``
        (until format 2's first release): the row-level quantile with the group bootstrap at
        ``margin_confidence`` (about 97.6% of held-out jobs, 2.8x).
    decision, cost_settings
        The decision rule the model folder uses (``"cost"``, ``"margins"`` or ``"argmax"``) and
        the cost rule's settings (see :func:`fit_pipeline`); every rule is calibrated and stored.

    Returns
    -------
    spacekit.utils.runs.Run
        The run; ``run.model_dir`` is the model folder for :func:`load_predictor`.

    Examples
    --------
    >>> run = train("hst_cal_2021_05_11", runs_dir="runs", fast=True)  # doctest: +SKIP
    >>> model = load_predictor(run.model_dir)  # doctest: +SKIP
    >>> model.predict("la8p01010", "n_files=3\\ntotal_mb=2")  # doctest: +SKIP
    """
    import time

    from ....utils.runs import Run

    t0 = time.perf_counter()
    df, digest, label = _load(data)
    predictor, info = fit_pipeline(
        df,
        seed=seed,
        fast=fast,
        candidates=candidates,
        under_bin_target=under_bin_target,
        wallclock_coverage=wallclock_coverage,
        memory_coverage=memory_coverage,
        margin_confidence=margin_confidence,
        bin_rule=bin_rule,
        kill_rule=kill_rule,
        decision=decision,
        cost_settings=cost_settings,
    )
    elapsed = time.perf_counter() - t0
    params = {
        "data": label,
        "fast": fast,
        "candidates": list(candidates or ()),
        "under_bin_target": under_bin_target,
        "wallclock_coverage": wallclock_coverage,
        "memory_coverage": memory_coverage,
        "margin_confidence": margin_confidence,
        "bin_rule": bin_rule,
        "kill_rule": kill_rule,
        "decision": decision,
        "cost_settings": cost_settings or {},
    }
    run = Run.create(
        "hst_cal", name, runs_dir=out_dir, parameters=params, seed=seed, data_sha256=digest
    )
    oof_metrics = score_predictions(info["oof"], df["mem_bin"], df["memory"], df["wallclock"])
    from ....utils.manifest import feature_ranges, trained_source

    save_model(
        predictor,
        run.model_dir,
        extra={
            "training_data": label,
            "training_data_sha256": digest,
            "metrics_out_of_fold": oof_metrics,
            "train_seconds": round(elapsed, 2),
        },
        source=trained_source(digest, run.info["created"]),
        ranges=feature_ranges(df, FEATURES),
        headline_metrics={k: oof_metrics[k] for k in EVALUATE_KEYS},
    )
    run.write_metrics(
        {
            "out_of_fold": oof_metrics,
            "selection": info["selection"],
            "calibration": info["calibration"],
            "train_seconds": round(elapsed, 2),
            "n_rows": len(df),
            "n_groups": predictor.metadata["n_groups"],
        }
    )
    run.write_predictions(_predictions_frame(info["oof"], df))
    run.write_json("evaluation.json", _evaluation_json(info["oof"], df))
    if figures:
        _save_figures(run, _figures(info["oof"], df, "out-of-fold"))
    log.info("trained hst_cal models in %.1f s -> %s", elapsed, run.path)
    return run


def evaluate(model_dir: str | os.PathLike | CalPredictor, data: Any) -> dict:
    """Score a trained model on a table (training or DynamoDB-export format; extra columns ok).

    Parameters
    ----------
    model_dir : path or CalPredictor
        A loaded model, or a model or run folder.
    data : path, DataFrame or dataset name
        Labelled jobs: the :data:`FEATURES` columns, ``mem_bin``, ``memory`` and
        ``wallclock``.

    Returns
    -------
    dict
        :data:`EVALUATE_KEYS` first (``bin_accuracy``, ``under_bin_rate``, ``over_bin_rate`` of
        the submitted ``memBin``, ``memory_rmse_gb``, ``wallclock_mdape``,
        ``wallclock_under_rate``), then every other metric of :func:`score_predictions`.

    Examples
    --------
    The shipped default model, trained on the 2021-05-11 table, scored on the DynamoDB export
    (a subset of that table, so in-sample):

    >>> from spacekit.skopes.hst.cal.app import load_model
    >>> metrics = evaluate(load_model(), "hst_cal_ddb_export_2021_05_11")
    >>> list(metrics)[:3], round(metrics["under_bin_rate"], 4)
    (['bin_accuracy', 'under_bin_rate', 'over_bin_rate'], 0.0011)
    """
    from .predict import load_predictor

    predictor = model_dir if isinstance(model_dir, CalPredictor) else load_predictor(model_dir)
    df, _, _ = _load(data)
    X = df[list(FEATURES)].to_numpy(dtype=np.float64)
    res = predictor._predict_unique(X)
    m = score_predictions(res, df["mem_bin"], df["memory"], df["wallclock"])
    return {
        **{k: m[k] for k in EVALUATE_KEYS},
        **{k: v for k, v in m.items() if k not in EVALUATE_KEYS},
    }


def cross_validate(
    data: Any,
    *,
    n_splits: int = 5,
    n_repeats: int = 3,
    seed: int = 0,
    kinds: dict | None = None,
    candidates: Sequence[str] | None = None,
    fast: bool = False,
    under_bin_target: float = 0.005,
    wallclock_coverage: float = 0.99,
    memory_coverage: float = 0.99,
    margin_confidence: float = 0.8,
    bin_rule: str = "upper_quantile",
    kill_rule: str = "group_quantile",
    progress: bool | None = None,
    decision: str = "cost",
    cost_settings: dict | None = None,
) -> dict:
    """Repeated grouped k-fold of the whole pipeline (fit, margins, predict) on a table.

    Each fold holds out whole groups (identical feature vectors); the margins are calibrated
    inside the training part only. When the rows carry at least two distinct timestamps a
    time split (train on the oldest 80%, test on the newest 20%) is reported too.

    Parameters
    ----------
    kinds : dict, optional
        Model kind per target (e.g. what a trained model's ``metadata["models"]`` kept). By
        default each training part chooses per target among ``candidates`` on its own
        held-out groups, as :func:`train` does (never looking at the fold's test part).
    candidates : sequence of str, optional
        Kinds compared when ``kinds`` is not given (default ``("trees", "anchored", "blend")``).
    margin_confidence, bin_rule, kill_rule, under_bin_target, wallclock_coverage, memory_coverage
        As in :func:`train`.

    Returns
    -------
    dict
        ``folds`` (metrics per fold), ``mean``, ``worst`` (per metric, worst fold),
        ``worst_fold`` (the fold with the highest under-bin rate), ``by_time`` (or None),
        ``oof`` (out-of-fold predictions of the first repeat, a DataFrame), ``settings``.

    Examples
    --------
    >>> cv = cross_validate("latest.csv", n_splits=5, n_repeats=3)  # doctest: +SKIP
    >>> cv["mean"]["under_bin_rate"] <= 0.005  # doctest: +SKIP
    True
    """
    from ....utils.progress import progress as bar

    n_splits = whole_number(n_splits, "cross_validate: n_splits (folds per repeat)", minimum=2)
    n_repeats = whole_number(n_repeats, "cross_validate: n_repeats", minimum=1)
    df, digest, label = _load(data)
    X = df[list(FEATURES)].to_numpy(dtype=np.float64)
    groups = group_ids(X)
    opts = dict(
        fast=fast,
        kinds=kinds,
        candidates=None if kinds else list(candidates or DEFAULT_CANDIDATES),
        under_bin_target=under_bin_target,
        wallclock_coverage=wallclock_coverage,
        memory_coverage=memory_coverage,
        margin_confidence=margin_confidence,
        bin_rule=bin_rule,
        kill_rule=kill_rule,
        decision=decision,
        cost_settings=cost_settings,
    )
    folds = []
    oof = None
    # repeat r's folds are balanced_group_kfold(groups, n_splits, seed + 1000 * r)
    splits = RepeatedGroupKFold(n_splits, n_repeats=n_repeats, random_state=seed).split(
        X, groups=groups
    )
    jobs = [(i // n_splits, i % n_splits, tr, te) for i, (tr, te) in enumerate(splits)]
    for r, f, tr, te in bar(jobs, desc="hst_cal cross-validation", enabled=progress):
        predictor, _ = fit_pipeline(df.iloc[tr].reset_index(drop=True), seed=seed + r, **opts)
        res = predictor._predict_unique(X[te])
        m = score_predictions(
            res, df["mem_bin"].iloc[te], df["memory"].iloc[te], df["wallclock"].iloc[te]
        )
        m.update(
            repeat=r,
            fold=f,
            n_test_groups=int(len(np.unique(groups[te]))),
            kept={t: predictor.metadata["models"][t]["kind"] for t in TARGET_COLUMNS},
        )
        folds.append(m)
        if r == 0:
            if oof is None:
                oof = {
                    k: np.zeros((len(df),) + np.shape(v)[1:], dtype=np.asarray(v).dtype)
                    for k, v in res.items()
                }
            for k in oof:
                oof[k][te] = res[k]
    metric_names = [
        k for k in folds[0] if k not in ("repeat", "fold", "n_rows", "n_test_groups", "kept")
    ]
    mean, worst = {}, {}
    for k in metric_names:
        vals = np.array([f[k] for f in folds], dtype=float)
        vals = vals[~np.isnan(vals)]  # e.g. recall_bin3 of folds without a bin-3 job
        if not len(vals):  # undefined in every fold: NaN, without numpy's empty-slice warnings
            mean[k] = worst[k] = float("nan")
            continue
        mean[k] = float(np.mean(vals))
        worst[k] = float(np.max(vals) if k in _HIGHER_WORSE else np.min(vals))
    worst_fold = max(folds, key=lambda f: f["under_bin_rate"])
    by_time = None
    if "timestamp" in df.columns and df["timestamp"].nunique() >= 2:
        order = np.argsort(df["timestamp"].to_numpy(), kind="stable")
        cut = int(len(order) * 0.8)
        tr, te = order[:cut], order[cut:]
        predictor, _ = fit_pipeline(df.iloc[tr].reset_index(drop=True), seed=seed, **opts)
        res = predictor._predict_unique(X[te])
        by_time = score_predictions(
            res, df["mem_bin"].iloc[te], df["memory"].iloc[te], df["wallclock"].iloc[te]
        )
    elif "timestamp" in df.columns:
        by_time = {"skipped": "every row carries the same timestamp: no time split is possible"}
    return {
        "folds": folds,
        "mean": mean,
        "worst": worst,
        "worst_fold": worst_fold,
        "by_time": by_time,
        "oof": _predictions_frame(oof, df),
        "oof_arrays": oof,
        "table": df,
        "settings": {
            "n_splits": n_splits,
            "n_repeats": n_repeats,
            "seed": seed,
            "kinds": kinds,
            "data": label,
            "data_sha256": digest,
            "n_rows": len(df),
            "n_groups": int(groups.max()) + 1,
            **{k: v for k, v in opts.items() if k != "kinds"},
        },
    }

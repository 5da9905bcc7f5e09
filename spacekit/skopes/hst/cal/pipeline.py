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
"""

from __future__ import annotations

import datetime as _dt
import logging
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ....exceptions import InputError
from ....transformer.splits import RepeatedGroupKFold, balanced_group_kfold
from ....utils.checks import whole_number
from .export import AverageModel, DenseNetwork, LinearModel, TreeEnsemble, save_exported
from .features import BIN_QUEUES_GB, FEATURES, group_ids, prepare_table
from .predict import MODEL_FORMAT, CalPredictor, _apply_decision, apply_margins, raw_outputs

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

TARGET_COLUMNS = {"bin": "mem_bin", "memory": "memory", "wallclock": "wallclock"}
TARGET_TRANSFORMS = {"bin": "none", "memory": "log", "wallclock": "log"}
#: Keys of :func:`evaluate`'s summary (the CLI's ``--json`` output).
EVALUATE_KEYS = (
    "bin_accuracy",
    "under_bin_rate",
    "over_bin_rate",
    "memory_rmse_gb",
    "wallclock_mdape",
    "wallclock_under_rate",
)
_HIDDEN = {
    "bin": (18, 32, 64, 32, 18, 9),
    "memory": (18, 32, 64, 32, 18, 9),
    "wallclock": (18, 32, 64, 128, 256, 128, 64, 32, 18, 9),
}
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


def _compress_regression(X: np.ndarray, y: np.ndarray):
    uniq, inv = np.unique(X, axis=0, return_inverse=True)
    inv = inv.reshape(-1)
    counts = np.bincount(inv, minlength=len(uniq)).astype(float)
    means = np.bincount(inv, weights=y, minlength=len(uniq)) / counts
    return uniq, means, counts


def _compress_classes(X: np.ndarray, y: np.ndarray):
    both = np.column_stack([X, y])
    uniq, counts = np.unique(both, axis=0, return_counts=True)
    return uniq[:, :-1], uniq[:, -1].astype(int), counts.astype(float)


#: Split rows into folds of whole groups, balanced in rows (moved to the prepare layer:
#: :func:`spacekit.transformer.balanced_group_kfold`; this name is kept for old imports).
grouped_kfold = balanced_group_kfold


# --------------------------------------------------------------------------- models
def _target_values(df, target: str) -> np.ndarray:
    y = df[TARGET_COLUMNS[target]].to_numpy(dtype=float)
    if TARGET_TRANSFORMS[target] == "log":
        y = np.log(np.maximum(y, 1e-3))
    return y


def _compress(target: str, Z: np.ndarray, y: np.ndarray):
    if target == "bin":
        return _compress_classes(Z, y.astype(int))
    return _compress_regression(Z, y)


def _fit_trees(target: str, Z: np.ndarray, y: np.ndarray, *, seed: int, fast: bool, **_: Any):
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from threadpoolctl import threadpool_limits

    Zc, yc, w = _compress(target, Z, y)
    params = dict(
        max_iter=30 if fast else 200,
        learning_rate=0.1,
        max_leaf_nodes=15,
        max_depth=6,
        min_samples_leaf=5,
        l2_regularization=3.0,
        early_stopping=False,
        random_state=seed,
    )
    if target == "wallclock" and not fast:
        # A slower rate, smaller leaves and square-root group weights generalise better to
        # unseen feature vectors here (median APE on grouped folds).
        params.update(learning_rate=0.05, max_iter=300, min_samples_leaf=3)
        w = np.sqrt(w)
    if target == "bin":
        est = HistGradientBoostingClassifier(**params)
    else:
        est = HistGradientBoostingRegressor(**params)
    # A few hundred distinct rows: one thread is fastest, and OpenMP threads fighting over
    # busy cores make it 10-50x slower.
    with threadpool_limits(1):
        est.fit(Zc, yc, sample_weight=w)
    return TreeEnsemble.from_sklearn(
        est, link="softmax" if target == "bin" and len(est.classes_) > 2 else None
    ), est


def _build_net(target: str, n_in: int, n_classes: int):
    hidden = _HIDDEN[target]
    units, act = (n_classes, "softmax") if target == "bin" else (1, "linear")
    try:
        from ....builder import build_mlp
    except ImportError:  # spacekit.builder not available: the same plain dense stack
        build_mlp = None
    if build_mlp is not None:
        return build_mlp(
            n_in, hidden=hidden, output_units=units, output_activation=act, name=f"hst_cal_{target}"
        )
    from ....utils.deps import import_keras

    keras = import_keras()

    inputs = keras.Input(shape=(n_in,))
    h = inputs
    for u in hidden:
        h = keras.layers.Dense(u, activation="relu")(h)
    return keras.Model(
        inputs, keras.layers.Dense(units, activation=act)(h), name=f"hst_cal_{target}"
    )


def _fit_keras(target: str, Z: np.ndarray, y: np.ndarray, *, seed: int, fast: bool, **_: Any):
    from ....utils.deps import import_keras

    keras = import_keras()

    keras.utils.set_random_seed(seed)
    Zc, yc, w = _compress(target, Z, y)
    w = w / w.mean()
    n_classes = len(BIN_QUEUES_GB)
    model = _build_net(target, Z.shape[1], n_classes)
    if target == "bin":
        model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy")
        fit_y, mu, sd = yc, 0.0, 1.0
    else:
        mu, sd = float(np.average(yc, weights=w)), float(np.sqrt(np.cov(yc, aweights=w)) or 1.0)
        model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mse")
        fit_y = (yc - mu) / sd
    model.fit(
        Zc.astype(np.float32),
        fit_y.astype(np.float32),
        sample_weight=w.astype(np.float32),
        epochs=5 if fast else 250,
        batch_size=64,
        verbose=0,
        shuffle=True,
    )
    net = DenseNetwork.from_keras(model)
    if target != "bin":  # fold the target standardisation into the last layer
        k, b, act = net.layers[-1]
        net.layers[-1] = (k * np.float32(sd), b * np.float32(sd) + np.float32(mu), act)
        net.original_scale = (mu, sd)
    return net, model


# Ridge settings per regression target: (alpha, power of the group counts used as weights,
# sizes entering the basis as log(1 + x) rather than power-standardised). Log sizes (a power
# law in n_files and total_mb) were measured for wallclock: blend alone 23.7% vs 24.0% median
# APE (seed-0 folds), 23.6% vs 24.2% (seed-1), but in the whole pipeline (kinds chosen inside
# each training part) 23.84% vs 23.87% (worst fold 31.8% vs 32.3%) with a larger kill time:
# not adopted.
_LINEAR_SETTINGS = {"memory": (10.0, 1.0, False), "wallclock": (1.0, 0.5, False)}


def _log_size_params(transform: dict | None) -> np.ndarray | None:
    """``(column, lambda, mean, scale)`` rows of the power-standardised size columns."""
    if not transform:
        return None
    return np.column_stack(
        [transform["columns"], transform["lambdas"], transform["means"], transform["scales"]]
    )


def _fit_linear(
    target: str,
    Z: np.ndarray,
    y: np.ndarray,
    *,
    seed: int,
    fast: bool,
    transform: dict | None = None,
    **_: Any,
):
    """Ridge regression on pairwise products of the features (log targets: multiplicative effects)."""
    if target == "bin":
        raise InputError(
            "model kind 'linear' is for the memory and wallclock regressions, not the bin classifier"
        )
    Zc, yc, w = _compress(target, Z, y)
    alpha, power, log_sizes = _LINEAR_SETTINGS[target]
    return LinearModel.fit(
        Zc,
        yc,
        sample_weight=w**power,
        alpha=alpha,
        log_sizes=_log_size_params(transform) if log_sizes else None,
    ), None


#: How far (log scale) the linear model may move a prediction away from the trees' in the
#: ``anchored`` and ``blend`` kinds: a factor of 4. Effects such as drizcorr's (x2-2.7 memory)
#: pass; a pairwise-product extrapolation to an input far from the training data (x100) does not.
MAX_LINEAR_DEVIATION = math.log(4.0)


def _fit_blend(
    target: str,
    Z: np.ndarray,
    y: np.ndarray,
    *,
    seed: int,
    fast: bool,
    weights=(1.0, 1.0),
    transform: dict | None = None,
    **_: Any,
):
    """The mean of the trees' and the (bounded) linear model's predictions on the log target."""
    if target == "bin":
        raise InputError(
            "model kinds 'blend' and 'anchored' are for the memory and wallclock regressions, "
            "not the bin classifier"
        )
    trees, _ = _fit_trees(target, Z, y, seed=seed, fast=fast)
    linear, _ = _fit_linear(target, Z, y, seed=seed, fast=fast, transform=transform)
    return AverageModel([trees, linear], weights=weights, max_deviation=MAX_LINEAR_DEVIATION), None


def _fit_anchored(
    target: str,
    Z: np.ndarray,
    y: np.ndarray,
    *,
    seed: int,
    fast: bool,
    transform: dict | None = None,
    **_: Any,
):
    """The linear model's prediction, kept within a factor exp(MAX_LINEAR_DEVIATION) of the trees'."""
    return _fit_blend(target, Z, y, seed=seed, fast=fast, weights=(0.0, 1.0), transform=transform)


def _fit_memory_scale(
    Z: np.ndarray, abs_log_resid: np.ndarray, *, seed: int, fast: bool
) -> TreeEnsemble:
    """Small tree ensemble predicting the typical held-out log-memory error of a feature vector.

    Fitted to ``log(|residual| + 0.05)`` of out-of-fold predictions (group counts' square roots
    as weights); its ``exp`` link returns the scale (> 0) by which the bin margin is multiplied.
    """
    from sklearn.ensemble import HistGradientBoostingRegressor
    from threadpoolctl import threadpool_limits

    Zc, yc, w = _compress_regression(Z, np.log(np.asarray(abs_log_resid, dtype=float) + 0.05))
    est = HistGradientBoostingRegressor(
        max_iter=20 if fast else 50,
        learning_rate=0.1,
        max_leaf_nodes=7,
        max_depth=6,
        min_samples_leaf=5,
        l2_regularization=3.0,
        early_stopping=False,
        random_state=seed,
    )
    with threadpool_limits(1):
        est.fit(Zc, yc, sample_weight=np.sqrt(w))
    return TreeEnsemble.from_sklearn(est, link="exp")


_FITTERS = {
    "trees": _fit_trees,
    "keras": _fit_keras,
    "linear": _fit_linear,
    "anchored": _fit_anchored,
    "blend": _fit_blend,
}
#: Model kinds that only exist for the two regressions (the bin classifier is trees or keras).
_REGRESSION_ONLY = frozenset({"linear", "anchored", "blend"})
#: Bin rules: the submitted bin from a calibrated upper quantile of memory (default); the
#: largest of the bins of such upper quantiles of the kept memory model and of the other
#: model kinds in :data:`BIN_MEMBER_KINDS`, each calibrated alone (``upper_quantile_max``:
#: safer, fewer correct bins); or (the first release's rule) the larger of the classifier's bin
#: and the bin of memory x one margin.
BIN_RULES = ("upper_quantile", "classifier_max", "upper_quantile_max")
#: Memory model kinds whose calibrated upper quantiles ``upper_quantile_max`` also takes (besides
#: the kept one): trees and the linear model fail on different unseen feature vectors.
BIN_MEMBER_KINDS = ("trees", "anchored")
#: Kinds compared per target by default ("keras" is available too: it has never won here).
DEFAULT_CANDIDATES = ("trees", "anchored", "blend")


def _fit_models(
    kinds: dict, Z: np.ndarray, df, *, seed: int, fast: bool, transform: dict | None = None
) -> dict:
    return {
        t: _FITTERS[kinds[t]](
            t, Z, _target_values(df, t), seed=seed, fast=fast, transform=transform
        )[0]
        for t in kinds
    }


# --------------------------------------------------------------------------- metrics
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


def _group_bootstrap(groups, order: np.ndarray, n_boot: int, seed: int):
    """Row weights (rows taken in ``order``) of ``n_boot`` bootstrap resamples of the groups:
    each group is drawn with replacement and all its rows share its multiplicity."""
    _, inv = np.unique(np.asarray(groups), return_inverse=True)
    inv = inv.reshape(-1)[order]
    n_groups = int(inv.max()) + 1
    rng = np.random.default_rng(seed)
    for _ in range(n_boot):
        yield np.bincount(rng.integers(0, n_groups, n_groups), minlength=n_groups).astype(float)[
            inv
        ]


def _conformal_quantile(
    r: np.ndarray,
    coverage: float,
    groups: np.ndarray | None = None,
    *,
    confidence: float = 0.8,
    n_boot: int = 200,
    seed: int = 0,
) -> float:
    """Split-conformal ``coverage`` quantile of residuals ``r``; with ``groups``, at group level.

    With ``groups`` the result is the larger of the plain quantile and the ``confidence``
    quantile, over bootstrap resamples of the groups, of the count-weighted ``coverage``
    quantile: a few large groups share their errors, and the coverage should hold for other
    draws of groups too.
    """
    order = np.argsort(np.asarray(r, dtype=float), kind="stable")
    rs = np.asarray(r, dtype=float)[order]
    k = min(len(rs) - 1, max(0, math.ceil((len(rs) + 1) * coverage) - 1))
    plain = float(rs[k])
    if groups is None or n_boot < 1:
        return plain
    qs = []
    for w in _group_bootstrap(groups, order, n_boot, seed):
        cw = np.cumsum(w)
        qs.append(rs[min(len(rs) - 1, int(np.searchsorted(cw, coverage * cw[-1], side="left")))])
    return float(max(plain, np.quantile(qs, confidence)))


#: Kill-time calibration rules: ``group_quantile`` (default) or the first rule, ``row_bootstrap``.
KILL_RULES = ("group_quantile", "row_bootstrap")
#: ``group_quantile`` settings: each group's residual is its KILL_GROUP_QUANTILE quantile, and
#: groups are weighted by their row count to the power KILL_GROUP_WEIGHT_POWER (chosen on the
#: seed-0 folds of the repeated grouped k-fold, confirmed on the seed-1 and seed-2 folds).
KILL_GROUP_QUANTILE = 0.9
KILL_GROUP_WEIGHT_POWER = 0.5


def _group_quantile(
    r: np.ndarray,
    coverage: float,
    groups: np.ndarray,
    *,
    row_quantile: float = KILL_GROUP_QUANTILE,
    power: float = KILL_GROUP_WEIGHT_POWER,
) -> float:
    """Conformal ``coverage`` quantile of residuals ``r`` over groups rather than rows.

    Each group contributes one value, the ``row_quantile`` quantile of its rows' residuals,
    weighted by ``count ** power``; the result is the larger of the weighted ``coverage``
    quantile of those values and the plain row quantile. A held-out input is a new group: its
    error is shared by all its rows, so row-level quantiles, dominated by a few large groups,
    under-cover unseen inputs (measured: 2.4% of held-out jobs above a 99% kill time).

    Examples
    --------
    >>> r = np.array([0.0] * 9 + [1.0])  # one large group predicted well, one small one not
    >>> g = np.array([0] * 9 + [1])
    >>> _conformal_quantile(r, 0.8), _group_quantile(r, 0.8, g)
    (0.0, 1.0)
    """
    r = np.asarray(r, dtype=float)
    _, inv = np.unique(np.asarray(groups), return_inverse=True)
    inv = inv.reshape(-1)
    order = np.lexsort((r, inv))
    rs, gs = r[order], inv[order]
    starts = np.flatnonzero(np.r_[True, gs[1:] != gs[:-1]])
    counts = np.diff(np.r_[starts, len(rs)])
    vals = np.array(
        [np.quantile(rs[s : s + c], row_quantile) for s, c in zip(starts, counts, strict=True)]
    )
    w = counts.astype(float) ** power
    o = np.argsort(vals, kind="stable")
    cw = np.cumsum(w[o])
    value = float(
        vals[o][min(len(o) - 1, int(np.searchsorted(cw, coverage * cw[-1], side="left")))]
    )
    return max(value, _conformal_quantile(r, coverage))


def _margin_for(need_sorted: np.ndarray, w_sorted: np.ndarray, target: float) -> float:
    """Smallest margin leaving a weighted share <= ``target`` of rows with a larger need."""
    w = w_sorted / w_sorted.sum()
    exceed = np.concatenate([[0.0], np.cumsum(w)[:-1]])  # share of rows needing more than row i
    ok = (exceed <= target) & np.isfinite(need_sorted)
    if not ok.any():
        return 0.0
    return float(max(need_sorted[np.flatnonzero(ok)[-1]], 0.0) + 1e-9)


def _calibrate_bin_margin(
    raw: dict,
    y_bin: np.ndarray,
    target: float,
    groups: np.ndarray | None = None,
    *,
    confidence: float = 0.9,
    n_boot: int = 200,
    seed: int = 0,
    rule: str = "classifier_max",
) -> float:
    """Smallest log-memory margin whose under-bin rate on held-out rows stays <= ``target``.

    The submitted bin is ``max(argmax, bin(memory * exp(margin)))``; a row is under-binned iff
    both stay below its true bin, i.e. iff the classifier under-bins it and
    ``margin < log(edge[y - 1] / memory)``. The rows are out-of-fold predictions of held-out
    groups. Rows of one group share their features and so their errors: the effective sample
    is the groups, a few of which hold thousands of rows. With ``groups`` the margin is the
    ``confidence`` quantile of the margins meeting the target on bootstrap resamples of the
    groups (group-level calibration), so that the rate holds for other draws of groups too.

    With ``rule="upper_quantile"`` the submitted bin is ``bin(memory * exp(margin * scale))``
    (``raw["memory_scale"]``: the predicted typical error of each row), the classifier plays
    no part, and the returned margin is the multiplier of the scale (``upper_quantile_max``
    calibrates each of its members this way).
    """
    from .features import BIN_EDGES_GB

    y = np.asarray(y_bin, dtype=int)
    edges = np.asarray(BIN_EDGES_GB)
    need = np.full(len(y), -np.inf)
    if rule in ("upper_quantile", "upper_quantile_max"):
        sel = y >= 1
        scale = np.asarray(raw["memory_scale"], dtype=float)
    else:
        argmax = np.argmax(raw["bin_proba"], axis=1)
        sel = (argmax < y) & (y >= 1)
        scale = np.ones(len(y))
    need[sel] = np.log(edges[y[sel] - 1] / raw["memory"][sel]) / scale[sel]
    order = np.argsort(-need, kind="stable")
    need_sorted = need[order]
    base = _margin_for(need_sorted, np.ones(len(y)), target)
    if groups is None or n_boot < 1:
        return base
    margins = []
    for w in _group_bootstrap(groups, order, n_boot, seed):
        if w.sum() == 0:
            continue
        margins.append(_margin_for(need_sorted, w, target))
    return float(max(base, np.quantile(margins, confidence))) if margins else base


def _calibrate(
    raw: dict,
    df,
    *,
    groups=None,
    under_bin_target: float,
    wallclock_coverage: float,
    memory_coverage: float,
    margin_confidence: float = 0.9,
    bin_rule: str = "classifier_max",
    kill_rule: str = "group_quantile",
) -> dict:
    y_mem = df["memory"].to_numpy(dtype=float)
    y_wall = df["wallclock"].to_numpy(dtype=float)
    wall_resid = np.log(y_wall / raw["wallclock"])
    if kill_rule == "group_quantile" and groups is not None:
        wall_margin = _group_quantile(wall_resid, wallclock_coverage, groups)
    else:
        wall_margin = _conformal_quantile(
            wall_resid, wallclock_coverage, groups, confidence=margin_confidence
        )
    return {
        "bin_log_margin": _calibrate_bin_margin(
            raw,
            df["mem_bin"].to_numpy(),
            under_bin_target,
            groups,
            confidence=margin_confidence,
            rule=bin_rule,
        ),
        "bin_rule": bin_rule,
        "memory_log_margin": _conformal_quantile(
            np.log(np.maximum(y_mem, 1e-3) / raw["memory"]),
            memory_coverage,
            groups,
            confidence=margin_confidence,
        ),
        "wallclock_log_margin": wall_margin,
        "kill_rule": kill_rule,
        "under_bin_target": under_bin_target,
        "wallclock_coverage": wallclock_coverage,
        "memory_coverage": memory_coverage,
        "margin_confidence": margin_confidence,
    }


def _selection_score(target: str, pred: np.ndarray, df) -> dict:
    if target == "bin":
        y = df["mem_bin"].to_numpy(dtype=int)
        p = np.clip(pred[np.arange(len(y)), y], 1e-12, 1)
        return {
            "accuracy": float(np.mean(pred.argmax(1) == y)),
            "log_loss": float(-np.mean(np.log(p))),
        }
    y = df[TARGET_COLUMNS[target]].to_numpy(dtype=float)
    return {
        "rmse": float(np.sqrt(np.mean((pred - y) ** 2))),
        "mdape": float(np.median(np.abs(pred - y) / np.maximum(y, 1e-9))),
    }


def _better(target: str, a: dict, b: dict) -> bool:
    """Is score ``a`` better than ``b``? bin: log loss; memory: RMSE; wallclock: median APE."""
    key = {"bin": "log_loss", "memory": "rmse", "wallclock": "mdape"}[target]
    return a[key] < b[key]


def _predict_target(t: str, model, Z: np.ndarray) -> np.ndarray:
    """Class probabilities (bin) or predictions on the original scale (memory, wallclock)."""
    if t == "bin":
        return _bin_proba(model, Z)
    pred = np.asarray(model.predict(Z), dtype=float).reshape(-1)
    return (
        np.maximum(np.exp(pred), 1e-6) if TARGET_TRANSFORMS[t] == "log" else np.maximum(pred, 1e-6)
    )


def _out_of_fold(
    cands_of: dict,
    Z: np.ndarray,
    df,
    folds,
    *,
    seed: int,
    fast: bool,
    transform: dict | None = None,
) -> dict:
    """Out-of-fold predictions ``{target: {kind: array}}`` of every candidate kind.

    ``anchored`` and ``blend`` are computed from the trees' and the linear model's out-of-fold
    predictions (the same fits) when trees are a candidate too.
    """
    out = {t: {} for t in cands_of}
    for t, kinds_t in cands_of.items():
        y = _target_values(df, t)
        derived = [k for k in ("anchored", "blend") if k in kinds_t] if "trees" in kinds_t else []
        fit_kinds = [k for k in kinds_t if k not in derived]
        if derived and "linear" not in fit_kinds:
            fit_kinds.append("linear")
        for kind in fit_kinds:
            shape = (len(df), len(BIN_QUEUES_GB)) if t == "bin" else (len(df),)
            pred = np.zeros(shape)
            for tr, te in folds:
                model, _ = _FITTERS[kind](
                    t, Z[tr], y[tr], seed=seed, fast=fast, transform=transform
                )
                uniq, inv = np.unique(Z[te], axis=0, return_inverse=True)
                pred[te] = _predict_target(t, model, uniq)[inv.reshape(-1)]
            out[t][kind] = pred
        if derived:
            lt = np.log(out[t]["trees"])
            ll = np.clip(
                np.log(out[t]["linear"]), lt - MAX_LINEAR_DEVIATION, lt + MAX_LINEAR_DEVIATION
            )
            if "anchored" in derived:
                out[t]["anchored"] = np.exp(ll)
            if "blend" in derived:
                out[t]["blend"] = np.exp((lt + ll) / 2)
        if "linear" not in kinds_t:
            out[t].pop("linear", None)
    return out


# --------------------------------------------------------------------------- pipeline
def fit_pipeline(
    df,
    *,
    seed: int = 0,
    fast: bool = False,
    candidates: Sequence[str] | None = None,
    kinds: dict | None = None,
    under_bin_target: float = 0.005,
    wallclock_coverage: float = 0.99,
    memory_coverage: float = 0.99,
    calibration_folds: int | None = None,
    margin_confidence: float = 0.8,
    bin_rule: str = "upper_quantile",
    kill_rule: str = "group_quantile",
    decision: str = "cost",
    cost_settings: dict | None = None,
) -> tuple[CalPredictor, dict]:
    """Fit transformer, models and safety margins on a prepared table; nothing is written.

    Parameters
    ----------
    df : pandas.DataFrame
        Output of :func:`~.features.prepare_table`.
    candidates : sequence of {"trees", "keras", "linear", "anchored", "blend"}, optional
        Model kinds compared per target on out-of-fold predictions of a grouped k-fold of the
        data given (default: trees, anchored, blend). ``linear``, ``anchored`` and ``blend``
        exist for the memory and wallclock regressions only.
    kinds : dict, optional
        Skip the comparison and use these kinds (``{"bin": "trees", ...}``).
    bin_rule : {"upper_quantile", "upper_quantile_max", "classifier_max"}
        How the submitted bin is chosen (see :func:`train`).
    kill_rule : {"group_quantile", "row_bootstrap"}
        How the kill time's margin is calibrated (see :func:`train`).
    decision : {"cost", "margins"}
        The predictor's decision rule for ``memBin`` and the kill time: the cost rule (default,
        :mod:`~spacekit.skopes.hst.cal.cost`: least expected GB-hours with memory retries and
        kills under their ceilings; on two draws of a 5x3 grouped k-fold of the 2021-05-11
        table it cut retries from 0.35-0.52% to 0.14% of jobs and kills from 0.14-0.22% to
        0.03% for 0.8-1.3% more GB-hours than the margins, see ``benchmarks/RESULTS.md``) or
        the calibrated margins (the rule of earlier releases). Both are calibrated and stored; this picks the one used
        (``predictor.decision`` switches it).
    cost_settings : dict, optional
        Keyword settings of :func:`~spacekit.skopes.hst.cal.cost.calibrate_cost_rule`
        (``oom_share``, ``retry_ceiling``, ``kill_ceiling``, ``confidence``, ``margin``).

    Returns
    -------
    (CalPredictor, dict)
        The in-memory predictor and a record (selection, calibration, out-of-fold predictions).

    Examples
    --------
    >>> predictor, info = fit_pipeline(prepare_table("latest.csv"), fast=True)  # doctest: +SKIP
    """
    from .transform import PowerStandardizer

    if (
        not 0 < under_bin_target < 1
        or not 0 < wallclock_coverage < 1
        or not 0 < memory_coverage < 1
    ):
        raise InputError(
            "under_bin_target, wallclock_coverage and memory_coverage must be in (0, 1)"
        )
    X = df[list(FEATURES)].to_numpy(dtype=np.float64)
    groups = group_ids(X)
    n_groups = int(groups.max()) + 1
    if n_groups < 4:
        raise InputError(f"training needs at least 4 distinct feature vectors, found {n_groups}")
    tx = PowerStandardizer(columns=(0, 1)).fit(X)
    Z = tx.transform(X)
    if bin_rule not in BIN_RULES:
        raise InputError(f"bin_rule must be one of {list(BIN_RULES)}, got {bin_rule!r}")
    if decision not in ("margins", "cost"):
        raise InputError(f"decision must be 'margins' or 'cost', got {decision!r}")
    if kill_rule not in KILL_RULES:
        raise InputError(f"kill_rule must be one of {list(KILL_RULES)}, got {kill_rule!r}")
    cands = list(candidates or DEFAULT_CANDIDATES)
    unknown = set(cands) - set(_FITTERS)
    if unknown:
        raise InputError(f"unknown model kinds {sorted(unknown)}; expected {sorted(_FITTERS)}")
    if kinds is not None:
        # A trained model's metadata["models"] may also list its memory_scale model: ignored.
        kinds = {t: kinds.get(t) for t in TARGET_COLUMNS}
        bad = {
            t: k
            for t, k in kinds.items()
            if k not in _FITTERS or (t == "bin" and k in _REGRESSION_ONLY)
        }
        if bad:
            raise InputError(
                f"kinds must give one kind per target {list(TARGET_COLUMNS)} (bin: trees or keras; "
                f"memory, wallclock: {sorted(_FITTERS)}), got {kinds}"
            )
    # Out-of-fold predictions: every row predicted by a model blind to its group. They choose
    # the kind per target (when not given) and calibrate the margins.
    k = calibration_folds or (3 if fast else 5)
    cal_folds = balanced_group_kfold(groups, min(k, n_groups), seed + 1)
    cands_of = {}
    for t in TARGET_COLUMNS:
        if kinds is not None:
            cands_of[t] = [kinds[t]]
        else:
            cands_of[t] = [c for c in cands if t != "bin" or c not in _REGRESSION_ONLY]
            if not cands_of[t]:
                raise InputError(
                    f"no candidate model kind for the bin classifier in {cands}; add 'trees' or 'keras'"
                )
    oof_kinds = dict(cands_of)
    if bin_rule == "upper_quantile_max":  # the members need out-of-fold predictions too
        oof_kinds["memory"] = list(cands_of["memory"]) + [
            k for k in BIN_MEMBER_KINDS if k not in cands_of["memory"]
        ]
    oof_all = _out_of_fold(
        oof_kinds, Z, df, cal_folds, seed=seed, fast=fast, transform=tx.to_dict()
    )
    selection: dict = {}
    if kinds is None:
        kinds = {}
        for t in TARGET_COLUMNS:
            if len(cands_of[t]) == 1:
                kinds[t] = cands_of[t][0]
                selection[t] = {"kept": kinds[t], "reason": "only candidate"}
                continue
            scores = {kind: _selection_score(t, oof_all[t][kind], df) for kind in cands_of[t]}
            best = cands_of[t][0]
            for kind in cands_of[t][1:]:
                if _better(t, scores[kind], scores[best]):
                    best = kind
            crit = {"bin": "log_loss", "memory": "rmse", "wallclock": "mdape"}[t]
            kinds[t] = best
            selection[t] = {
                "kept": best,
                "scores": scores,
                "reason": f"lowest out-of-fold {crit} over {len(cal_folds)} grouped folds "
                f"({', '.join(f'{k}={v[crit]:.4g}' for k, v in scores.items())})",
                "validation_rows": int(len(df)),
            }
    else:
        selection = {t: {"kept": kinds[t], "reason": "given"} for t in TARGET_COLUMNS}
    oof = {
        "bin_proba": oof_all["bin"][kinds["bin"]],
        "memory": oof_all["memory"][kinds["memory"]],
        "wallclock": oof_all["wallclock"][kinds["wallclock"]],
    }
    scale_model = None
    member_scales: dict = {}
    if bin_rule in ("upper_quantile", "upper_quantile_max"):
        # How far off memory predictions of unseen feature vectors typically are, by features:
        # the bin margin is this scale times one calibrated multiplier.
        y_log_mem = np.log(np.maximum(df["memory"].to_numpy(dtype=float), 1e-3))
        scale_model = _fit_memory_scale(
            Z, np.abs(y_log_mem - np.log(oof["memory"])), seed=seed, fast=fast
        )
        oof["memory_scale"] = scale_model.predict(Z)
    if bin_rule == "upper_quantile_max":
        # Each other member kind: its own out-of-fold predictions, error scale and multiplier.
        for k in BIN_MEMBER_KINDS:
            if k == kinds["memory"]:
                continue
            member_oof = oof_all["memory"][k]
            member_scales[k] = _fit_memory_scale(
                Z, np.abs(y_log_mem - np.log(member_oof)), seed=seed, fast=fast
            )
            oof[f"memory_{k}"] = member_oof
            oof[f"memory_scale_{k}"] = member_scales[k].predict(Z)
    cal = _calibrate(
        oof,
        df,
        groups=groups,
        under_bin_target=under_bin_target,
        wallclock_coverage=wallclock_coverage,
        memory_coverage=memory_coverage,
        margin_confidence=margin_confidence,
        bin_rule=bin_rule,
        kill_rule=kill_rule,
    )
    from .cost import calibrate_cost_rule  # the cost rule, on the same held-out predictions

    cal["cost_rule"] = calibrate_cost_rule(
        oof, df["memory"], df["wallclock"], groups, seed=seed, **(cost_settings or {})
    )
    cal["decision"] = decision
    if member_scales:
        cal["bin_member_margins"] = {
            k: _calibrate_bin_margin(
                {"memory": oof[f"memory_{k}"], "memory_scale": oof[f"memory_scale_{k}"]},
                df["mem_bin"].to_numpy(),
                under_bin_target,
                groups,
                confidence=margin_confidence,
                rule="upper_quantile",
            )
            for k in member_scales
        }
    models = _fit_models(kinds, Z, df, seed=seed, fast=fast, transform=tx.to_dict())
    if scale_model is not None:
        models["memory_scale"] = scale_model
    y_mem_fit = _target_values(df, "memory")
    for k, sm in member_scales.items():
        models[f"memory_{k}"] = _FITTERS[k](
            "memory", Z, y_mem_fit, seed=seed, fast=fast, transform=tx.to_dict()
        )[0]
        models[f"memory_scale_{k}"] = sm
    metadata = {
        "format": MODEL_FORMAT,
        "features": list(FEATURES),
        "transform": tx.to_dict(),
        "calibration": cal,
        "models": {
            t: {
                "kind": kinds[t],
                "target": TARGET_COLUMNS[t],
                "target_transform": TARGET_TRANSFORMS[t],
            }
            for t in TARGET_COLUMNS
        },
        "selection": selection,
        "n_rows": int(len(df)),
        "n_groups": n_groups,
        "seed": seed,
        "fast": fast,
    }
    predictor = CalPredictor(metadata, models)
    if scale_model is not None:
        metadata["models"]["memory_scale"] = {
            "kind": "trees",
            "target": "abs_log_memory_error",
            "target_transform": "none",
        }
    for k in member_scales:
        metadata["models"][f"memory_{k}"] = {
            "kind": k,
            "target": "memory",
            "target_transform": "log",
            "role": "upper_quantile_max member",
        }
        metadata["models"][f"memory_scale_{k}"] = {
            "kind": "trees",
            "target": f"abs_log_memory_error of memory_{k}",
            "target_transform": "none",
        }
    oof_res = apply_margins(
        oof,
        cal["bin_log_margin"],
        cal["memory_log_margin"],
        cal["wallclock_log_margin"],
        bin_rule=bin_rule,
        member_margins=cal.get("bin_member_margins"),
    )
    oof_res = _apply_decision(oof_res, decision, cal["cost_rule"])
    info = {"selection": selection, "calibration": cal, "oof": oof_res, "groups": groups}
    return predictor, info


def _bin_proba(model, Z):
    return raw_outputs({"bin": model, "memory": _Zero(), "wallclock": _Zero()}, {}, Z)["bin_proba"]


class _Zero:
    def predict(self, Z):
        return np.ones(len(Z))


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


# --------------------------------------------------------------------------- public API
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
        The decision rule the model folder uses (``"margins"`` or ``"cost"``) and the cost
        rule's settings (see :func:`fit_pipeline`); both rules are calibrated and stored.

    Returns
    -------
    spacekit.utils.runs.Run
        The run; ``run.model_dir`` is the model folder for :func:`load_predictor`.

    Examples
    --------
    >>> run = train("hst_cal_2021-05-11_latest.csv", "runs", fast=True)  # doctest: +SKIP
    >>> load_predictor(run.model_dir).predict("la8p01010", "n_files=3\\ntotal_mb=2")  # doctest: +SKIP
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


def _save_figures(run, figs: dict) -> None:
    for fname, fig in figs.items():
        run.save_figure(fig, fname)
        if hasattr(fig, "savefig"):
            import matplotlib.pyplot as plt

            plt.close(fig)


def evaluate(model_dir: str | os.PathLike | CalPredictor, data: Any) -> dict:
    """Score a trained model on a table (training or DynamoDB-export format; extra columns ok).

    Returns
    -------
    dict
        :data:`EVALUATE_KEYS` first (``bin_accuracy``, ``under_bin_rate``, ``over_bin_rate`` of
        the submitted ``memBin``, ``memory_rmse_gb``, ``wallclock_mdape``,
        ``wallclock_under_rate``), then every other metric of :func:`score_predictions`.

    Examples
    --------
    >>> # the default model trained on the 2021-05-11 table, scored on the DynamoDB export (a
    >>> # subset of that table, rich in large ACS jobs whose identical inputs span two bins;
    >>> # the whole table in-sample: 0.0035)
    >>> evaluate("runs", "hst_cal_ddb_export_2021-05-11.csv")["under_bin_rate"]  # doctest: +SKIP
    0.0266...
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

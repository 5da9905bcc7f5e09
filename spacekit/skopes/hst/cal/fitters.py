"""Model fitters of the HST calibration pipeline (:mod:`~spacekit.skopes.hst.cal.pipeline`).

One fitter per model kind, each ``_fit_<kind>(target, Z, y, *, seed, fast, transform=None)``
returning ``(exported model, native model or None)``: scikit-learn histogram gradient boosting
(``trees``), Keras dense networks (``keras``), a ridge regression on pairwise products of the
features (``linear``), the same kept within a factor 4 of the trees (``anchored``) and the mean of
the two in log space (``blend``); plus the small tree model of the typical held-out memory error
(:func:`_fit_memory_scale`). Rows with identical features are compressed to one weighted row.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ....exceptions import InputError
from .export import AverageModel, DenseNetwork, LinearModel, TreeEnsemble
from .features import BIN_QUEUES_GB

TARGET_COLUMNS = {"bin": "mem_bin", "memory": "memory", "wallclock": "wallclock"}
TARGET_TRANSFORMS = {"bin": "none", "memory": "log", "wallclock": "log"}
_HIDDEN = {
    "bin": (18, 32, 64, 32, 18, 9),
    "memory": (18, 32, 64, 32, 18, 9),
    "wallclock": (18, 32, 64, 128, 256, 128, 64, 32, 18, 9),
}


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


#: Size of each full (not ``fast``) tree model: boosting iterations (trees per output; the bin
#: classifier has one per class), learning rate and leaves per tree. The wallclock trees use a
#: slower rate and smaller leaves (they generalise better to unseen feature vectors there: median
#: APE on grouped folds). Read at fit time, so a benchmark can try other sizes
#: (``benchmarks/bench_hst_cal_cost.py trees``); the defaults make the 1,350 trees of the
#: shipped model (800 + 200 + 300 + 50).
TREE_SIZES: dict[str, dict[str, Any]] = {
    "bin": {"max_iter": 200, "learning_rate": 0.1, "max_leaf_nodes": 15},
    "memory": {"max_iter": 200, "learning_rate": 0.1, "max_leaf_nodes": 15},
    "wallclock": {
        "max_iter": 300,
        "learning_rate": 0.05,
        "max_leaf_nodes": 15,
        "min_samples_leaf": 3,
    },
    "memory_scale": {"max_iter": 50, "learning_rate": 0.1, "max_leaf_nodes": 7},
}


def _tree_params(
    *, max_iter: int, max_leaf_nodes: int, seed: int, learning_rate: float = 0.1
) -> dict:
    """Settings of the histogram gradient boosting models (trees and the memory error scale)."""
    return dict(
        max_iter=max_iter,
        learning_rate=learning_rate,
        max_leaf_nodes=max_leaf_nodes,
        max_depth=6,
        min_samples_leaf=5,
        l2_regularization=3.0,
        early_stopping=False,
        random_state=seed,
    )


def _fit_trees(target: str, Z: np.ndarray, y: np.ndarray, *, seed: int, fast: bool, **_: Any):
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from threadpoolctl import threadpool_limits

    Zc, yc, w = _compress(target, Z, y)
    if fast:
        params = _tree_params(max_iter=30, max_leaf_nodes=15, seed=seed)
    else:
        params = _tree_params(max_iter=200, max_leaf_nodes=15, seed=seed)
        params.update(TREE_SIZES[target])
    if target == "wallclock" and not fast:
        # Square-root group weights generalise better to unseen feature vectors here (median
        # APE on grouped folds).
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
# sizes entering the basis as log(1 + x) rather than power-standardised). Log sizes stay off:
# in the whole pipeline they did not lower wallclock's error and raised the kill time
# (benchmarks/RESULTS.md, "HST calibration", the wallclock trials).
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
    """Ridge regression on pairwise products of the features.

    Log targets: the products model multiplicative effects.
    """
    if target == "bin":
        raise InputError(
            "model kind 'linear' is for the memory and wallclock regressions, not the bin "
            "classifier"
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
    """The linear model's prediction, within a factor exp(MAX_LINEAR_DEVIATION) of the trees'."""
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
    if fast:
        params = _tree_params(max_iter=20, max_leaf_nodes=7, seed=seed)
    else:
        params = _tree_params(max_iter=50, max_leaf_nodes=7, seed=seed)
        params.update(TREE_SIZES["memory_scale"])
    est = HistGradientBoostingRegressor(**params)
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


def _fit_final_models(
    kinds: dict,
    Z: np.ndarray,
    df,
    *,
    scale_model,
    member_scales: dict,
    seed: int,
    fast: bool,
    transform: dict | None = None,
) -> dict:
    """Step of :func:`~.pipeline.fit_pipeline`: the kept kinds refitted on every row.

    With the memory error scale model and, for ``bin_rule="upper_quantile_max"``, each member
    kind's memory model and its scale model (``memory_<kind>``, ``memory_scale_<kind>``).
    """
    models = _fit_models(kinds, Z, df, seed=seed, fast=fast, transform=transform)
    if scale_model is not None:
        models["memory_scale"] = scale_model
    y_mem_fit = _target_values(df, "memory")
    for k, sm in member_scales.items():
        models[f"memory_{k}"] = _FITTERS[k](
            "memory", Z, y_mem_fit, seed=seed, fast=fast, transform=transform
        )[0]
        models[f"memory_scale_{k}"] = sm
    return models

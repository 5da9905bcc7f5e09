"""Model selection of the HST calibration pipeline (:mod:`~spacekit.skopes.hst.cal.pipeline`).

Every candidate kind is scored on out-of-fold predictions of a grouped k-fold
(:func:`_out_of_fold`: each row predicted by a model blind to its group); per target the best
one is kept (:func:`_choose_kinds`: bin by log loss, memory by RMSE, wallclock by median APE)
and the reason recorded.
"""

from __future__ import annotations

import numpy as np

from ....exceptions import InputError
from .calibration import BIN_MEMBER_KINDS
from .decision import raw_outputs
from .features import BIN_QUEUES_GB
from .fitters import (
    _FITTERS,
    _REGRESSION_ONLY,
    MAX_LINEAR_DEVIATION,
    TARGET_COLUMNS,
    TARGET_TRANSFORMS,
    _target_values,
)


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


def _bin_proba(model, Z):
    return raw_outputs({"bin": model, "memory": _Zero(), "wallclock": _Zero()}, {}, Z)["bin_proba"]


class _Zero:
    def predict(self, Z):
        return np.ones(len(Z))


# --------------------------------------------------------------------------- steps
def _candidates_per_target(cands: list, kinds: dict | None) -> dict:
    """Step of :func:`~.pipeline.fit_pipeline`: the kinds compared per target.

    The given kind alone when ``kinds`` is set; otherwise ``cands`` (without the
    regression-only kinds for the bin classifier).
    """
    cands_of = {}
    for t in TARGET_COLUMNS:
        if kinds is not None:
            cands_of[t] = [kinds[t]]
        else:
            cands_of[t] = [c for c in cands if t != "bin" or c not in _REGRESSION_ONLY]
            if not cands_of[t]:
                raise InputError(
                    f"no candidate model kind for the bin classifier in {cands}; add 'trees' "
                    "or 'keras'"
                )
    return cands_of


def _out_of_fold_kinds(cands_of: dict, bin_rule: str) -> dict:
    """The kinds that need out-of-fold predictions: the candidates, and for
    ``bin_rule="upper_quantile_max"`` its member kinds too."""
    oof_kinds = dict(cands_of)
    if bin_rule == "upper_quantile_max":  # the members need out-of-fold predictions too
        oof_kinds["memory"] = list(cands_of["memory"]) + [
            k for k in BIN_MEMBER_KINDS if k not in cands_of["memory"]
        ]
    return oof_kinds


def _choose_kinds(
    cands_of: dict, kinds: dict | None, oof_all: dict, df, n_folds: int
) -> tuple[dict, dict]:
    """Step of :func:`~.pipeline.fit_pipeline`: the kind kept per target and why.

    Returns ``(kinds, selection)``: given ``kinds`` are kept as they are; otherwise the candidate
    with the best out-of-fold score (:func:`_better`) over ``n_folds`` grouped folds.
    """
    if kinds is not None:
        return kinds, {t: {"kept": kinds[t], "reason": "given"} for t in TARGET_COLUMNS}
    selection: dict = {}
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
            "reason": f"lowest out-of-fold {crit} over {n_folds} grouped folds "
            f"({', '.join(f'{k}={v[crit]:.4g}' for k, v in scores.items())})",
            "validation_rows": int(len(df)),
        }
    return kinds, selection


def _kept_predictions(oof_all: dict, kinds: dict) -> dict:
    """The out-of-fold predictions of the kept kinds (as :func:`~.calibration._calibrate`
    takes them)."""
    return {
        "bin_proba": oof_all["bin"][kinds["bin"]],
        "memory": oof_all["memory"][kinds["memory"]],
        "wallclock": oof_all["wallclock"][kinds["wallclock"]],
    }

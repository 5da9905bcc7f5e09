"""The HST calibration pipeline's fit as named steps (:func:`fit_pipeline`); nothing is written.

1. check the settings (:func:`_check_coverages`, :func:`_check_choices`);
2. group identical feature vectors and power-standardise the sizes (:func:`_prepare_inputs`);
3. out-of-fold predictions of every candidate kind on a grouped k-fold
   (:func:`~.selection._out_of_fold`);
4. keep the best kind per target (:func:`~.selection._choose_kinds`);
5. fit the memory error scales and calibrate the margins and the cost rule on the same held-out
   predictions (:func:`~.calibration._fit_error_scales`, :func:`~.calibration._calibrate_step`);
6. refit the kept kinds on every row (:func:`~.fitters._fit_final_models`);
7. the predictor's metadata (:func:`_model_metadata`) and the held-out results of its decision
   rule (:func:`_held_out_results`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ....exceptions import InputError
from ....transformer.splits import balanced_group_kfold
from ....utils.checks import seed_number
from .calibration import BIN_RULES, KILL_RULES, _calibrate_step, _fit_error_scales
from .decision import _apply_decision, apply_margins, check_decision
from .features import FEATURES, group_ids
from .fitters import (
    _FITTERS,
    _REGRESSION_ONLY,
    DEFAULT_CANDIDATES,
    TARGET_COLUMNS,
    TARGET_TRANSFORMS,
    _fit_final_models,
)
from .folder import MODEL_FORMAT
from .predict import CalPredictor
from .selection import (
    _candidates_per_target,
    _choose_kinds,
    _kept_predictions,
    _out_of_fold,
    _out_of_fold_kinds,
)

__all__ = ["fit_pipeline"]


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
        How the submitted bin is chosen (see :func:`~.pipeline.train`).
    kill_rule : {"group_quantile", "row_bootstrap"}
        How the kill time's margin is calibrated (see :func:`~.pipeline.train`).
    decision : {"cost", "margins", "argmax"}
        The predictor's decision rule for ``memBin`` and the kill time: the cost rule (default,
        :mod:`~spacekit.skopes.hst.cal.cost`: least expected GB-hours with memory retries and
        kills under their ceilings; on two draws of a 5x3 grouped k-fold of the 2021-05-11
        table it cut retries from 0.35-0.52% to 0.14% of jobs and kills from 0.14-0.22% to
        0.03% for 0.8-1.3% more GB-hours than the margins, see ``benchmarks/RESULTS.md``) or
        the calibrated margins (the rule of earlier releases), or ``"argmax"`` (the
        classifier's most probable bin with the cost rule's kill time). All are calibrated and
        stored; this picks the one used
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
    seed = seed_number(seed)
    _check_coverages(under_bin_target, wallclock_coverage, memory_coverage)
    groups, n_groups, tx, Z = _prepare_inputs(df)
    cands, kinds = _check_choices(bin_rule, decision, kill_rule, candidates, kinds)
    transform = tx.to_dict()
    # Out-of-fold predictions: every row predicted by a model blind to its group. They choose
    # the kind per target (when not given) and calibrate the margins.
    k = calibration_folds or (3 if fast else 5)
    cal_folds = balanced_group_kfold(groups, min(k, n_groups), seed + 1)
    cands_of = _candidates_per_target(cands, kinds)
    oof_all = _out_of_fold(
        _out_of_fold_kinds(cands_of, bin_rule),
        Z,
        df,
        cal_folds,
        seed=seed,
        fast=fast,
        transform=transform,
    )
    kinds, selection = _choose_kinds(cands_of, kinds, oof_all, df, len(cal_folds))
    oof = _kept_predictions(oof_all, kinds)
    scale_model, member_scales = _fit_error_scales(
        oof, oof_all, kinds, Z, df, bin_rule=bin_rule, seed=seed, fast=fast
    )
    cal = _calibrate_step(
        oof,
        df,
        groups,
        members=list(member_scales),
        seed=seed,
        under_bin_target=under_bin_target,
        wallclock_coverage=wallclock_coverage,
        memory_coverage=memory_coverage,
        margin_confidence=margin_confidence,
        bin_rule=bin_rule,
        kill_rule=kill_rule,
        decision=decision,
        cost_settings=cost_settings,
    )
    models = _fit_final_models(
        kinds,
        Z,
        df,
        scale_model=scale_model,
        member_scales=member_scales,
        seed=seed,
        fast=fast,
        transform=transform,
    )
    metadata = _model_metadata(
        kinds, selection, cal, tx.to_dict(), n_rows=len(df), n_groups=n_groups, seed=seed, fast=fast
    )
    predictor = CalPredictor(metadata, models)
    _describe_extra_models(metadata, scale_model, member_scales)
    oof_res = _held_out_results(oof, cal, bin_rule, decision)
    info = {"selection": selection, "calibration": cal, "oof": oof_res, "groups": groups}
    return predictor, info


# --------------------------------------------------------------------------- steps
def _check_coverages(
    under_bin_target: float, wallclock_coverage: float, memory_coverage: float
) -> None:
    """Step: the target rates are shares, in (0, 1)."""
    if (
        not 0 < under_bin_target < 1
        or not 0 < wallclock_coverage < 1
        or not 0 < memory_coverage < 1
    ):
        raise InputError(
            "under_bin_target, wallclock_coverage and memory_coverage must be in (0, 1)"
        )


def _prepare_inputs(df):
    """Step: groups of identical feature vectors (at least 4) and the power-standardised
    features. Returns ``(groups, n_groups, transformer, Z)``."""
    from .transform import PowerStandardizer

    X = df[list(FEATURES)].to_numpy(dtype=np.float64)
    groups = group_ids(X)
    n_groups = int(groups.max()) + 1
    if n_groups < 4:
        raise InputError(f"training needs at least 4 distinct feature vectors, found {n_groups}")
    tx = PowerStandardizer(columns=(0, 1)).fit(X)
    return groups, n_groups, tx, tx.transform(X)


def _check_choices(
    bin_rule: str,
    decision: str,
    kill_rule: str,
    candidates: Sequence[str] | None,
    kinds: dict | None,
) -> tuple[list, dict | None]:
    """Step: known rules and model kinds. Returns the candidate list and ``kinds`` with one
    entry per target (or None)."""
    if bin_rule not in BIN_RULES:
        raise InputError(f"bin_rule must be one of {list(BIN_RULES)}, got {bin_rule!r}")
    check_decision(decision)
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
    return cands, kinds


def _model_metadata(
    kinds: dict,
    selection: dict,
    cal: dict,
    transform: dict,
    *,
    n_rows: int,
    n_groups: int,
    seed: int,
    fast: bool,
) -> dict:
    """Step: the predictor's metadata (what ``metadata.json`` holds, less the file entries)."""
    return {
        "format": MODEL_FORMAT,
        "features": list(FEATURES),
        "transform": transform,
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
        "n_rows": int(n_rows),
        "n_groups": n_groups,
        "seed": seed,
        "fast": fast,
    }


def _describe_extra_models(metadata: dict, scale_model, member_scales: dict) -> None:
    """Step: metadata entries of the memory error scale model and the bin-rule members."""
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


def _held_out_results(oof: dict, cal: dict, bin_rule: str, decision: str) -> dict:
    """Step: the out-of-fold predictions through the calibrated margins and decision rule."""
    oof_res = apply_margins(
        oof,
        cal["bin_log_margin"],
        cal["memory_log_margin"],
        cal["wallclock_log_margin"],
        bin_rule=bin_rule,
        member_margins=cal.get("bin_member_margins"),
    )
    return _apply_decision(oof_res, decision, cal["cost_rule"])

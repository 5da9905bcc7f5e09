"""From the exported models' outputs to the bin and kill time calcloud is told.

:func:`raw_outputs` evaluates the exported models on standardised features (point estimates,
bin probabilities, memory error scales); :func:`apply_margins` adds the safe bin of the
folder's bin rule, the memory upper bound and the kill time from the calibrated margins; the
decision rule (:data:`DECISIONS`) keeps those or replaces the bin and kill time by the cost
rule's (:mod:`~spacekit.skopes.hst.cal.cost`). numpy only.
"""

from __future__ import annotations

import math

import numpy as np

from ....exceptions import InputError, ModelLoadError
from .export import DenseNetwork, predict_dense
from .features import BIN_QUEUES_GB

__all__ = ["DECISIONS", "apply_margins", "check_decision", "raw_outputs"]


def raw_outputs(models: dict, target_transforms: dict, Z: np.ndarray) -> dict[str, np.ndarray]:
    """Point predictions of the three exported models on standardised features ``Z``.

    With a ``memory_scale`` model (the typical log-memory error of a feature vector, used by
    the ``upper_quantile`` bin rule) its output is returned as ``memory_scale``; the members of
    the ``upper_quantile_max`` rule (models ``memory_<kind>`` and ``memory_scale_<kind>``) as
    ``memory_<kind>`` (GB) and ``memory_scale_<kind>``. When all three
    are networks they are evaluated together by
    :func:`~spacekit.skopes.hst.cal.export.predict_dense` (one pass over the rows, first
    layers fused).
    """
    keys = ("bin", "memory", "wallclock")
    if all(isinstance(models[k], DenseNetwork) for k in keys):
        preds = dict(zip(keys, predict_dense([models[k] for k in keys], Z), strict=True))
    else:
        preds = {k: models[k].predict(Z) for k in keys}
    p = np.asarray(preds["bin"], dtype=np.float64)
    classes = getattr(models["bin"], "classes", None)
    proba = np.zeros((Z.shape[0], len(BIN_QUEUES_GB)))
    if classes is not None and p.shape[1] == len(classes):
        proba[:, np.asarray(classes, dtype=int)] = p
    else:
        proba[:, : p.shape[1]] = p
    out = {"bin_proba": proba}
    for key in ("memory", "wallclock"):
        y = np.asarray(preds[key], dtype=np.float64).reshape(-1)
        if target_transforms.get(key) == "log":
            y = np.exp(y)
        out[key] = np.maximum(y, 1e-6)
    if models.get("memory_scale") is not None:
        out["memory_scale"] = np.asarray(
            models["memory_scale"].predict(Z), dtype=np.float64
        ).reshape(-1)
    for name, model in models.items():
        if name.startswith("memory_scale_"):
            out[name] = np.asarray(model.predict(Z), dtype=np.float64).reshape(-1)
        elif name.startswith("memory_") and name != "memory_scale":  # a member: log memory
            out[name] = np.maximum(
                np.exp(np.asarray(model.predict(Z), dtype=np.float64).reshape(-1)), 1e-6
            )
    return out


def apply_margins(
    out: dict,
    bin_margin: float,
    mem_margin: float,
    wall_margin: float,
    *,
    bin_rule: str = "classifier_max",
    member_margins: dict | None = None,
) -> dict:
    """Add the safe bin, memory upper bound and kill time to raw point predictions.

    The safe bin (``bin_rule="upper_quantile"``, what :func:`~.pipeline.train` calibrates by
    default) is the bin of the calibrated upper quantile ``memory * exp(bin_margin * scale)``,
    ``scale`` being ``out["memory_scale"]`` (the typical held-out log error of that feature vector);
    with ``"classifier"`` (upstream spacekit's rule, for its imported models) the classifier's most
    probable bin, no margin; with ``"upper_quantile_max"`` the largest of that bin and, for each
    ``kind`` of ``member_margins``, the bin of ``out["memory_<kind>"] * exp(member_margins[kind] *
    out["memory_scale_<kind>"])`` (other memory models, each calibrated alone); with
    ``"classifier_max"`` (the first release's rule) it is the larger of the classifier's most
    probable bin and the bin of ``memory * exp(bin_margin)``. Whatever the rule, the submitted bin
    ``mem_bin`` is never below the classifier's most probable bin ``bin_argmax`` (a margin that
    lowers a bin is not a safety margin); ``rule_bin`` is the rule's own bin before that floor. The
    memory upper bound is ``memory * exp(mem_margin)``; the kill time is ``ceil(wallclock *
    exp(wall_margin))``. The margins are calibrated on held-out groups by
    :func:`~spacekit.skopes.hst.cal.pipeline.fit_pipeline`.

    Examples
    --------
    >>> r = apply_margins({"bin_proba": np.array([[0.9, 0.1, 0, 0]]), "memory": np.array([1.5]),
    ...                    "wallclock": np.array([100.0])}, 0.2, 0.5, 1.0)
    >>> int(r["mem_bin"][0]), int(r["bin_argmax"][0]), int(r["clock_time"][0])
    (1, 0, 272)
    """
    from .features import memory_to_bin

    proba = out["bin_proba"]
    res = dict(out)
    res["bin_argmax"] = np.argmax(proba, axis=1)
    if bin_rule == "classifier":  # upstream spacekit's rule: the most probable bin, no margin
        res["mem_bin"] = res["bin_argmax"].copy()
    elif bin_rule in ("upper_quantile", "upper_quantile_max"):
        if "memory_scale" not in out:
            raise ModelLoadError(
                f"bin rule {bin_rule!r} needs the memory_scale model's output; the model folder "
                "lacks memory_scale.npz: re-train it"
            )
        res["mem_bin"] = memory_to_bin(out["memory"] * np.exp(bin_margin * out["memory_scale"]))
        if bin_rule == "upper_quantile_max":
            if not member_margins:
                raise ModelLoadError(
                    "bin rule 'upper_quantile_max' needs calibration.bin_member_margins (one "
                    "margin per member memory model), found none: re-train the model folder"
                )
            for kind, margin in member_margins.items():
                if f"memory_{kind}" not in out or f"memory_scale_{kind}" not in out:
                    raise ModelLoadError(
                        f"bin rule 'upper_quantile_max' needs the outputs of models memory_{kind} "
                        f"and memory_scale_{kind}; the model folder lacks memory_{kind}.npz or "
                        f"memory_scale_{kind}.npz: re-train it"
                    )
                member_bin = memory_to_bin(
                    out[f"memory_{kind}"] * np.exp(margin * out[f"memory_scale_{kind}"])
                )
                res["mem_bin"] = np.maximum(res["mem_bin"], member_bin)
    elif bin_rule == "classifier_max":
        res["mem_bin"] = np.maximum(
            res["bin_argmax"], memory_to_bin(out["memory"] * math.exp(bin_margin))
        )
    else:
        raise ModelLoadError(
            f"unknown bin rule {bin_rule!r}; expected 'upper_quantile', 'upper_quantile_max', "
            "'classifier_max' or 'classifier'"
        )
    # Interim rule (until the cost-optimal decision replaces it): a safety margin never lowers
    # the bin below the classifier's most probable one. ``rule_bin`` keeps the rule's own bin.
    res["rule_bin"] = res["mem_bin"]
    res["mem_bin"] = np.maximum(res["mem_bin"], res["bin_argmax"])
    res["memory_upper"] = out["memory"] * math.exp(mem_margin)
    res["clock_time"] = np.ceil(out["wallclock"] * math.exp(wall_margin))
    return res


#: Decision rules of :attr:`~.predict.CalPredictor.decision`: ``"cost"`` (bin and kill time
#: minimising the expected GB-hours under the ceilings, :mod:`~spacekit.skopes.hst.cal.cost`),
#: ``"margins"`` (the calibrated safety margins of :func:`apply_margins`) or ``"argmax"`` (the
#: classifier's most probable bin, no margin, with the calibrated kill time: the cost rule's
#: where the folder has one, else the margins').
DECISIONS = ("cost", "margins", "argmax")


def check_decision(decision: str) -> str:
    """``decision`` when it names a rule of :data:`DECISIONS`, else an :class:`InputError`.

    Parameters
    ----------
    decision : str
        The name of a decision rule.

    Returns
    -------
    str
        ``decision``.

    Examples
    --------
    >>> check_decision("argmax")
    'argmax'
    """
    if decision not in DECISIONS:
        raise InputError(
            f"decision must be one of {list(DECISIONS)}, got {decision!r}: 'cost' (least "
            "expected GB-hours under the retry and kill ceilings), 'margins' (calibrated safety "
            "margins) or 'argmax' (the classifier's most probable bin)"
        )
    return decision


def _apply_decision(res: dict, decision: str, cost_rule: dict | None, known=None) -> dict:
    """Replace the margins' ``mem_bin`` and ``clock_time`` by the decision rule's (the cost
    rule's given a job history's ``known = (counts, max_wallclock)``, when given)."""
    check_decision(decision)
    if decision == "margins":
        return res
    if decision == "argmax":
        res["mem_bin"] = res["bin_argmax"].copy()
        if cost_rule:  # the cost rule's calibrated kill time (the margins' otherwise)
            from .cost import cost_decisions

            res["clock_time"] = cost_decisions(res, cost_rule)["clock_time"]
        return res
    if not cost_rule:
        raise ModelLoadError(
            "decision 'cost' needs calibration.cost_rule in the model folder's metadata.json, "
            "found none (the folder predates the cost rule): re-train it, or set "
            "predictor.decision = 'margins'"
        )
    from .cost import cost_decisions

    res.update(cost_decisions(res, cost_rule, *(known or ())))
    return res

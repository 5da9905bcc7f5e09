"""Trained models as plain numpy arrays, evaluated by numpy alone.

Prediction must not import TensorFlow or scikit-learn (each costs seconds and hundreds of MB
in a fresh process). Keras dense networks are exported layer by layer (kernel, bias,
activation) into a :class:`DenseNetwork`; scikit-learn ``HistGradientBoosting*`` ensembles are
exported node by node into a :class:`TreeEnsemble`; ridge regressions on pairwise feature
products are a :class:`LinearModel`, and averages of regressors an :class:`AverageModel`.
All are saved as ``.npz`` files (read
with ``allow_pickle=False``) plus a small JSON spec, and reproduce the original models'
outputs: networks to float32 rounding (1e-5), trees exactly (same comparisons, same
summation order), linear models to float64 rounding.

The ``from_keras``/``from_sklearn`` exporters import nothing heavy themselves: they read
attributes of the model object they are given.

Each kind is evaluated in its own module (:mod:`~spacekit.skopes.hst.cal.dense`,
:mod:`~spacekit.skopes.hst.cal.trees`, :mod:`~spacekit.skopes.hst.cal.linear`); this module
holds the average of regressors, saves and loads every kind, and re-exports them all (import
them from here).
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from ....exceptions import InputError, ModelLoadError
from ....utils.files import atomic_write
from .dense import DenseNetwork, predict_dense
from .linear import LinearModel, pairwise_basis
from .trees import TreeEnsemble

__all__ = [
    "DenseNetwork",
    "TreeEnsemble",
    "LinearModel",
    "AverageModel",
    "pairwise_basis",
    "load_exported",
    "predict_dense",
    "save_exported",
]


class AverageModel:
    """A weighted mean of regressors' predictions (e.g. trees and a linear model on a log target).

    With ``max_deviation`` every member after the first is first clipped to within
    ``max_deviation`` of the first member's prediction (on a log target: a factor of
    ``exp(max_deviation)``), so a member extrapolating wildly on an unseen input moves the
    result by a bounded amount.

    Parameters
    ----------
    members : list
        Exported regressors (:class:`TreeEnsemble`, :class:`LinearModel`, :class:`DenseNetwork`
        with one output).
    weights : sequence of float, optional
        Weight of each member (default equal); they are normalised to sum to 1.
    max_deviation : float, optional
        Bound on each later member's distance from the first member's prediction.

    Examples
    --------
    >>> a = LinearModel(coef=np.zeros(80), mean=np.zeros(80), scale=np.ones(80), intercept=1.0)
    >>> b = LinearModel(coef=np.zeros(80), mean=np.zeros(80), scale=np.ones(80), intercept=3.0)
    >>> AverageModel([a, b]).predict(np.zeros((1, 9))).tolist()
    [2.0]
    """

    kind = "average"

    def __init__(self, members: list, *, weights: Any = None, max_deviation: float | None = None):
        if not members:
            raise InputError("an AverageModel needs at least one member model")
        for m in members:
            if isinstance(m, AverageModel):
                raise InputError("AverageModel members cannot be AverageModels themselves")
        self.members = list(members)
        w = (
            np.ones(len(members))
            if weights is None
            else np.asarray(weights, dtype=np.float64).reshape(-1)
        )
        if len(w) != len(members) or np.any(w < 0) or not w.sum() > 0:
            raise InputError(
                f"AverageModel: expected {len(members)} non-negative weights with a positive sum, "
                f"got {list(w)}"
            )
        self.weights = w / w.sum()
        if max_deviation is not None and not max_deviation > 0:
            raise InputError(
                f"AverageModel: max_deviation must be > 0 or None, got {max_deviation!r}"
            )
        self.max_deviation = None if max_deviation is None else float(max_deviation)

    def predict(self, Z: Any) -> np.ndarray:
        """Weighted mean of the members' (bounded) predictions (n,).

        Parameters
        ----------
        Z : array-like
            Standardised feature rows, shape (n, 9).

        Returns
        -------
        numpy.ndarray
            Predictions, shape (n,).
        """
        # (n,) or (n, 1) member outputs -> (n,); reshape(len(Z), -1) cannot size an empty batch.
        preds = [
            np.asarray(m.predict(Z), dtype=np.float64).reshape(len(Z), -1)[:, 0]
            if len(Z)
            else np.zeros(0)
            for m in self.members
        ]
        if self.max_deviation is not None:
            d = self.max_deviation
            preds = [preds[0]] + [np.clip(p, preds[0] - d, preds[0] + d) for p in preds[1:]]
        out = np.zeros(len(preds[0]))
        for w, p in zip(self.weights, preds, strict=True):
            out += w * p
        return out

    def to_arrays(self) -> tuple[dict[str, np.ndarray], dict]:
        arrays, specs = {"weights": self.weights}, []
        for i, m in enumerate(self.members):
            a, spec = m.to_arrays()
            arrays.update({f"m{i}__{k}": v for k, v in a.items()})
            specs.append(spec)
        return arrays, {"kind": self.kind, "members": specs, "max_deviation": self.max_deviation}

    @classmethod
    def from_arrays(cls, arrays: dict, spec: dict) -> AverageModel:
        members = []
        for i, sub in enumerate(spec["members"]):
            prefix = f"m{i}__"
            sub_arrays = {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
            if sub.get("kind") not in _KINDS or sub.get("kind") == "average":
                raise ModelLoadError(f"average model member {i}: unknown kind {sub.get('kind')!r}")
            members.append(_KINDS[sub["kind"]].from_arrays(sub_arrays, sub))
        return cls(members, weights=arrays.get("weights"), max_deviation=spec.get("max_deviation"))


_KINDS = {
    "dense": DenseNetwork,
    "trees": TreeEnsemble,
    "linear": LinearModel,
    "average": AverageModel,
}


def save_exported(model: Any, path: str | os.PathLike) -> dict:
    """Write ``model`` to an ``.npz`` file atomically; return its JSON spec (kind, settings)."""
    arrays, spec = model.to_arrays()
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    with atomic_write(Path(path), "wb") as fh:
        fh.write(buf.getvalue())
    return spec


def load_exported(path: str | os.PathLike, spec: dict) -> Any:
    """Read a model written by :func:`save_exported` (no pickles, nothing written)."""
    path = Path(path)
    if spec.get("kind") not in _KINDS:
        raise ModelLoadError(
            f"{path}: unknown model kind {spec.get('kind')!r}; expected {sorted(_KINDS)}"
        )
    try:
        with (
            open(path, "rb") as fh,
            np.load(fh, allow_pickle=False) as data,
        ):  # our handle: np.load leaks its own on a corrupt zip
            arrays = {k: data[k] for k in data.files}
    except FileNotFoundError:
        raise ModelLoadError(
            f"model file {path} is missing; the model folder is incomplete"
        ) from None
    except (
        ValueError,
        OSError,
        EOFError,
        zipfile.BadZipFile,
    ) as exc:  # e.g. cut short while copied
        raise ModelLoadError(
            f"model file {path} is not a valid .npz ({type(exc).__name__}: {exc}); the model "
            "folder is damaged or half-written: copy it again or re-train"
        ) from None
    try:
        return _KINDS[spec["kind"]].from_arrays(arrays, spec)
    except KeyError as exc:
        raise ModelLoadError(
            f"model file {path} lacks array {exc}; re-train or re-export"
        ) from None

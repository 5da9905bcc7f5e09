"""Save and load scikit-learn estimators without pickle.

``pickle``/``joblib`` files run arbitrary code when loaded, so a model folder shared by a
colleague (or downloaded with a notebook) would be a security hole. Estimators are written
with ``skops.io`` instead, whose loader rebuilds only known-safe types (scikit-learn
estimators, numpy arrays, builtins) plus the short allow-list :data:`TRUSTED_TYPES` of
scikit-learn internals our models contain; a file holding anything else is refused with
:class:`~spacekit.exceptions.ModelLoadError` naming the unexpected types.

Examples
--------
>>> import numpy as np
>>> from sklearn.tree import DecisionTreeRegressor
>>> est = DecisionTreeRegressor(max_depth=2).fit(np.arange(8.0)[:, None], np.arange(8.0))
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "tree.skops"
>>> _ = save_estimator(est, path)
>>> load_estimator(path).predict([[7.0]]).tolist()
[6.5]
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..exceptions import ModelLoadError
from .deps import optional_import
from .files import atomic_path

__all__ = ["TRUSTED_TYPES", "load_estimator", "save_estimator"]

#: scikit-learn internals that skops does not trust by default but our tree models hold:
#: the fitted tree structure of (gradient-boosted) decision trees and of histogram GBMs.
TRUSTED_TYPES: tuple[str, ...] = (
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
)


def save_estimator(estimator: Any, path: str | os.PathLike) -> Path:
    """Write a fitted scikit-learn estimator to ``path`` with ``skops.io`` (atomically).

    Parameters
    ----------
    estimator : sklearn estimator
        Any fitted scikit-learn estimator.
    path : path-like
        Destination file (``.skops`` by convention).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    sio = optional_import("skops.io", "saving a scikit-learn model")
    path = Path(path)
    with atomic_path(path) as tmp:
        sio.dump(estimator, tmp)
    return path


def load_estimator(path: str | os.PathLike, *, trusted: tuple[str, ...] = TRUSTED_TYPES) -> Any:
    """Load an estimator written by :func:`save_estimator`, refusing unexpected types.

    Parameters
    ----------
    path : path-like
        A ``.skops`` file.
    trusted : tuple of str
        Fully qualified type names allowed beyond skops' own safe set.

    Returns
    -------
    sklearn estimator

    Raises
    ------
    ModelLoadError
        The file is missing or corrupt, or holds types outside the allow-list (it may have
        been tampered with, or written by a model kind this version does not know).
    """
    sio = optional_import("skops.io", "loading a scikit-learn model")
    path = Path(path)
    if not path.is_file():
        raise ModelLoadError(f"{path} is missing; the model folder is incomplete")
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:  # noqa: BLE001 - a corrupt zip can fail many ways
        raise ModelLoadError(f"{path} is not a readable skops file: {exc}") from None
    unexpected = sorted(set(untrusted) - set(trusted))
    if unexpected:
        raise ModelLoadError(
            f"{path} holds types spacekit does not load from a model file: {unexpected}. "
            "Load only model folders you trust; if this one is yours, retrain it with this "
            "spacekit version"
        )
    try:
        return sio.load(path, trusted=list(untrusted))
    except Exception as exc:  # noqa: BLE001
        raise ModelLoadError(f"{path} could not be loaded: {exc}") from None

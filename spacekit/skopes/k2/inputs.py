"""Model inputs of the K2 classifier: the networks' inputs per window and the folded-feature
cache (:func:`model_inputs`, ``_inputs_cached``), and the boosting member's features.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ...exceptions import InputError

log = logging.getLogger(__name__)


#: Networks ``train``/``evaluate`` can use.
NETWORKS = ("global", "seed", "folded")


def model_inputs(
    Z: np.ndarray, network: str = "global", *, show_progress: bool | None = False, workers: int = 1
) -> Any:
    """The network's input(s) for preprocessed windows ``Z``.

    ``"global"`` and ``"seed"`` take ``Z`` itself; ``"folded"`` takes
    ``[Z, global view, local view, scalars]`` from
    :func:`spacekit.skopes.k2.folded.fold_features` (a box search per window), searching
    ``workers`` windows at once in threads (the features do not depend on it; more than 1
    helps only where cores are free: on a busy machine it was slower).

    Parameters
    ----------
    Z : numpy.ndarray
        Preprocessed windows, shape ``(n, length, channels)``.
    network : {"global", "seed", "folded"}
        The network the inputs are for.
    show_progress : bool, optional
        Show a bar over the box searches (None: the ``progress`` setting).
    workers : int
        Windows searched at once.

    Returns
    -------
    numpy.ndarray or list of numpy.ndarray
        ``Z``, or the four ``"folded"`` inputs.

    Examples
    --------
    >>> import numpy as np
    >>> model_inputs(np.zeros((1, 100, 3))).shape
    (1, 100, 3)
    """
    if network not in NETWORKS:
        raise InputError(f"expected network in {NETWORKS}, got {network!r}")
    if network != "folded":
        return Z
    from .folded import fold_features

    f = fold_features(Z, show_progress=show_progress, workers=int(workers))
    return [Z, f["global"], f["local"], f["scalars"]]


#: File of the gradient-boosting member in a "folded" model folder.
BOOST_FILE = "boost.skops"

#: Bump when the folded features change, so cached ones are not reused.
FEATURE_VERSION = 4


def _inputs_cached(Z: np.ndarray, network: str, sha: str | None, show_progress: bool | None) -> Any:
    """:func:`model_inputs`, with the folded features of a flux-table file cached under
    ``<cache_dir>/k2/features/`` by the file's sha256 (evaluate and train of the same set
    then search each window once)."""
    if network != "folded" or not sha:
        return model_inputs(Z, network, show_progress=show_progress)
    from ...config import conf
    from ...utils.files import atomic_path
    from .folded import SCALAR_NAMES

    path = Path(conf.cache_dir) / "k2" / "features" / f"{sha[:32]}-v{FEATURE_VERSION}.npz"
    if path.is_file():
        try:
            with (
                open(path, "rb") as fh,
                np.load(fh) as f,
            ):  # our handle: np.load leaks its own on a corrupt zip
                arrays = [f["global"], f["local"], f["scalars"]]
            if all(len(a) == len(Z) for a in arrays) and arrays[2].shape[1] == len(SCALAR_NAMES):
                log.info("k2: folded features from cache %s", path)
                return [Z, *arrays]
        except (OSError, ValueError, KeyError) as exc:
            log.warning("k2: ignoring unreadable feature cache %s (%s)", path, exc)
    inputs = model_inputs(Z, network, show_progress=show_progress)
    try:
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, **{"global": inputs[1], "local": inputs[2], "scalars": inputs[3]})
    except OSError as exc:
        log.warning("k2: could not cache folded features at %s (%s)", path, exc)
    return inputs


#: Weight of the gradient-boosting member in the "folded" ensemble's probability.
BOOST_WEIGHT = 0.5


def boost_features(inputs: Sequence[np.ndarray]) -> np.ndarray:
    """Tabular features of the "folded" inputs for the gradient-boosting member: the scalars,
    the 11 central bins of the global view and the local view.

    Parameters
    ----------
    inputs : sequence of numpy.ndarray
        The ``"folded"`` inputs of :func:`model_inputs`.

    Returns
    -------
    numpy.ndarray
        One row per window.

    Examples
    --------
    >>> import numpy as np
    >>> boost_features([None, np.zeros((2, 201, 1)), np.zeros((2, 61, 1)), np.zeros((2, 5))]).shape
    (2, 77)
    """
    _, g, loc, scalars = inputs
    c = g.shape[1] // 2
    return np.hstack([scalars, g[:, max(0, c - 5) : c + 6, 0], loc[:, :, 0]]).astype(np.float32)


def _fit_boost(inputs: Sequence[np.ndarray], y: np.ndarray, seed: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(random_state=int(seed)).fit(boost_features(inputs), y)


def _take(inputs: Any, rows: np.ndarray) -> Any:
    return [a[rows] for a in inputs] if isinstance(inputs, list) else inputs[rows]

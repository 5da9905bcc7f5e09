"""The K2 classifier's training settings, defined once.

:func:`~spacekit.skopes.k2.fitting.fit_members`, :func:`~spacekit.skopes.k2.classifier.train` and
:func:`~spacekit.skopes.k2.cv.evaluate` take them as keywords,
:class:`~spacekit.skopes.k2.K2Model` as its parameters (``progress`` for ``show_progress``).

``epochs``, ``batch_size``, ``learning_rate`` : int, int, float
    Training settings (balanced batches with circular-roll augmentation).
``seed`` : int
    Makes training repeatable.
``fast`` : bool
    A tiny network (for tests and smoke runs).
``network`` : {"folded", "global", "seed"}
    ``"folded"`` (default): the two-branch :func:`~spacekit.skopes.k2.network.build_folded_cnn`
    (the window plus its folded box-search views, red-noise profile and whitened-search
    statistics, :mod:`spacekit.skopes.k2.folded`, :mod:`spacekit.skopes.k2.whiten`) averaged
    with a gradient-boosting classifier on the same folded features
    (:func:`~spacekit.skopes.k2.inputs.boost_features`, weight
    :data:`~spacekit.skopes.k2.inputs.BOOST_WEIGHT`; saved as ``model/boost.skops``, no
    pickle); the searches take about 0.15 s per window and are cached per flux-table file
    under ``<cache_dir>/k2/features``. ``"global"``: the window-only global-pooling transit
    CNN; ``"seed"``: the seed's ``build_cnn1d``.
``threshold`` : float
    Decision threshold saved with the model.
``train_min_snr`` : float or None
    Leave injected transits with SNR below this out of training (they are undetectable by
    construction and only teach the network to hedge); None keeps all. Needs the metadata
    sidecar; Kaggle tables are used whole.
``show_progress`` : bool, optional
    Progress bar over epochs.

Examples
--------
>>> FIT_SETTINGS["network"]
'folded'
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...exceptions import InputError

__all__ = ["FIT_SETTINGS", "RUN_SETTINGS", "NETWORK_SETTINGS", "fit_settings"]

#: The training settings and their defaults (described in the module docstring).
FIT_SETTINGS: dict[str, Any] = {
    "epochs": 10,
    "batch_size": 32,
    "learning_rate": 1e-3,
    "seed": 0,
    "fast": False,
    "network": "folded",
    "threshold": 0.5,
    "train_min_snr": 5.0,
    "show_progress": None,
}
#: The app name of k2 run folders.
APP = "k2"
#: The settings a run folder records among its parameters (the seed has its own field).
RUN_SETTINGS = ("epochs", "batch_size", "learning_rate", "fast", "network")
RUN_SETTINGS += ("threshold", "train_min_snr")
#: The settings of one network fit (:func:`~spacekit.skopes.k2.fitting.fit_on_inputs`).
NETWORK_SETTINGS = ("epochs", "batch_size", "learning_rate", "seed", "fast", "network")


def fit_settings(settings: dict[str, Any], *, where: str) -> dict[str, Any]:
    """The training settings ``settings`` given to ``where``, completed with the defaults of
    :data:`FIT_SETTINGS` and checked (TypeError for an unknown name, as for any keyword).

    Parameters
    ----------
    settings : dict
        The settings given (names of :data:`FIT_SETTINGS`).
    where : str
        The function they were given to (named in the error).

    Returns
    -------
    dict
        Every setting of :data:`FIT_SETTINGS`, the given ones replacing the defaults.

    Examples
    --------
    >>> fit_settings({"epochs": 3}, where="train")["batch_size"]
    32
    """
    unknown = sorted(set(settings) - set(FIT_SETTINGS))
    if unknown:
        raise TypeError(
            f"{where}() got unexpected keyword argument(s) {', '.join(map(repr, unknown))}; "
            f"its training settings are {', '.join(FIT_SETTINGS)}"
        )
    out = {**FIT_SETTINGS, **settings}
    _check_settings(out["threshold"], out["learning_rate"])
    snr = out.get("train_min_snr")
    if snr is not None and not (
        isinstance(snr, (int, float, np.number)) and not isinstance(snr, bool) and np.isfinite(snr)
    ):
        # NaN compared False with every SNR: it silently kept every injected transit
        raise InputError(
            f"expected train_min_snr to be a finite number (or None to keep every injected "
            f"transit), got {snr!r}; e.g. 5 (the default)"
        )
    return out


def _check_settings(threshold: float, learning_rate: float) -> None:
    """Refuse settings that would be trained with and saved into the model."""
    if not 0.0 <= float(threshold) <= 1.0:  # also NaN
        raise InputError(
            f"expected a decision threshold in [0, 1], got {threshold}; a probability above it "
            "calls a planet (default 0.5)"
        )
    if not float(learning_rate) > 0 or not np.isfinite(float(learning_rate)):
        raise InputError(
            f"expected a positive learning_rate, got {learning_rate}; e.g. 1e-3 (the default)"
        )

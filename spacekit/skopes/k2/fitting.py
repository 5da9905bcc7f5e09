"""Fitting the K2 classifier's members: the network (:func:`fit_on_inputs`) and, for the
folded network, its boosting member, with the trainer settings (:func:`fit_members`, shared by
training and each cross-validation fold). Also importable from :mod:`spacekit.skopes.k2.model`.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from ...exceptions import InputError
from .inputs import (
    BOOST_FILE,
    BOOST_WEIGHT,
    FEATURE_VERSION,
    NETWORKS,
    _fit_boost,
    _inputs_cached,
    _take,
)
from .kaggle import read_flux_table_with_meta
from .preprocessing import PREPROCESSING, preprocess
from .settings import APP, NETWORK_SETTINGS, fit_settings


class _SeriesRoll:
    """Circular-roll augmentation of the unfolded series only (folded views stay centred)."""

    def __init__(self, length: int) -> None:
        self.length = int(length)

    def __call__(self, batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        from ...builder.batches import augment_roll

        if batch.ndim == 3 and batch.shape[1] == self.length:
            return augment_roll(batch, rng)
        return batch


def _build_model(length: int, fast: bool, network: str = "global", channels: int = 3):
    if network not in NETWORKS:
        raise InputError(f"expected network in {NETWORKS}, got {network!r}")
    if network == "folded":
        from .folded import SCALAR_NAMES
        from .network import build_folded_cnn

        if fast:
            return build_folded_cnn(
                (length, channels),
                n_scalars=len(SCALAR_NAMES),
                filters=(4, 8, 8),
                view_filters=(4, 8),
                dense=8,
                name="k2_folded_fast",
            )
        return build_folded_cnn((length, channels), n_scalars=len(SCALAR_NAMES))
    if network == "seed":
        from ...builder import build_cnn1d

        if fast:
            return build_cnn1d(
                (length, channels), filters=(4, 8), dense=(16,), dropout=0.1, name="k2_cnn_fast"
            )
        return build_cnn1d((length, channels), name="k2_seed_cnn")
    from .network import build_transit_cnn

    if fast:
        return build_transit_cnn((length, channels), filters=(4, 8, 8), dense=8, name="k2_cnn_fast")
    return build_transit_cnn((length, channels))


def _trainer(
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    seed: int,
    show_progress: bool | None,
    length: int | None = None,
):
    from ...builder import Trainer

    return Trainer(
        loss="binary_crossentropy",
        learning_rate=learning_rate,
        epochs=int(epochs),
        batch_size=int(batch_size),
        seed=int(seed),
        balanced=True,
        augment="roll" if length is None else _SeriesRoll(length),
        progress=show_progress,
    )


def _training_mask(y: np.ndarray, meta: pd.DataFrame | None, min_snr: float | None) -> np.ndarray:
    """Rows to train on: all but injected transits with SNR below ``min_snr``."""
    keep = np.ones(len(y), dtype=bool)
    if min_snr is None or meta is None or "snr" not in meta.columns or "kind" not in meta.columns:
        return keep
    snr = pd.to_numeric(meta["snr"], errors="coerce").to_numpy(dtype=float)
    injected = meta["kind"].astype(str).str.endswith("injected").to_numpy()
    return keep & ~(injected & (y == 1) & (snr < float(min_snr)))


def _check_min_snr_classes(
    y: np.ndarray, keep: np.ndarray, min_snr: float | None, what: str
) -> None:
    """Explain a training part left with one class by ``train_min_snr``."""
    if len(np.unique(y[keep])) < 2 and len(np.unique(y)) == 2:
        raise InputError(
            f"{what}: after leaving out the injected transits below train_min_snr={min_snr:g}, "
            "no planet window is left to train on; lower it (`--train-min-snr 0`, or "
            "train_min_snr=None) or build a set with stronger transits"
        )


def _read(data: Any) -> tuple[np.ndarray, np.ndarray, pd.DataFrame | None, str | None]:
    """(X, y, meta, sha256) from a flux-table path, a registered dataset name or an
    ``(X, y[, meta])`` tuple."""
    if isinstance(data, (str, os.PathLike)):
        from ...datasets.tables import resolve_path
        from ...utils.files import file_sha256

        data = resolve_path(data, what="flux table")
        X, y, meta = read_flux_table_with_meta(data)
        return X, y, meta, file_sha256(data)
    if isinstance(data, tuple) and len(data) in (2, 3):
        X, y = np.asarray(data[0], dtype=float), np.asarray(data[1])
        meta = data[2] if len(data) == 3 else None
        if X.ndim != 2 or y.ndim != 1 or len(X) != len(y):
            raise InputError(f"expected X (n, length) and y (n,), got {X.shape} and {y.shape}")
        bad = sorted(set(pd.unique(y).tolist()) - {0, 1}, key=str)
        if bad:
            raise InputError(
                f"expected labels 0 (no transit) or 1 (planet), got {bad[:5]}; for Kaggle "
                "LABEL values (2 planet, 1 none) pass y = (LABEL == 2).astype(int)"
            )
        return X, y.astype(int), meta, None
    raise InputError(
        f"expected a flux-table path or an (X, y[, meta]) tuple, got {type(data).__name__}"
    )


def fit_on_inputs(
    inputs: Any,
    y: np.ndarray,
    *,
    length: int,
    channels: int,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    seed: int,
    fast: bool,
    network: str,
    show_progress: bool | None = None,
) -> tuple[Any, Any, dict, Any]:
    """Fit the network and (``"folded"``) the boosting member on prepared model inputs: the one
    fit used by :func:`fit_members` (training) and by every leave-one-star-out fold.

    Parameters
    ----------
    inputs : numpy.ndarray or list of numpy.ndarray
        The output of :func:`~spacekit.skopes.k2.inputs.model_inputs`.
    y : numpy.ndarray
        1 for a window with a transit, 0 without.
    length, channels : int
        Window length and channels of the network's input.
    epochs, batch_size, learning_rate, seed, fast, network
        As for :func:`~spacekit.skopes.k2.classifier.train`.
    show_progress : bool, optional
        As for :func:`~spacekit.skopes.k2.classifier.train`.

    Returns
    -------
    (keras.Model, estimator or None, dict, Trainer)

    Examples
    --------
    >>> model, boost, history, trainer = fit_on_inputs(inputs, y, length=256, channels=3,
    ...     epochs=1, batch_size=8, learning_rate=1e-3, seed=0, fast=True,
    ...     network="global")  # doctest: +SKIP
    """
    trainer = _trainer(
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        seed=seed,
        show_progress=show_progress,
        length=length if network == "folded" else None,
    )
    history = trainer.fit(lambda: _build_model(length, fast, network, channels), inputs, y)
    boost = _fit_boost(inputs, y, seed) if network == "folded" else None
    return trainer.model_, boost, history, trainer


def fit_members(
    X: np.ndarray,
    y: np.ndarray,
    meta: pd.DataFrame | None = None,
    *,
    sha: str | None = None,
    **settings: Any,
) -> tuple[Any, Any, dict, Any, dict]:
    """Fit the network (and, for ``"folded"``, the gradient-boosting member) on raw flux
    windows; nothing is written. Used by :func:`~spacekit.skopes.k2.classifier.train` and
    :class:`~spacekit.skopes.k2.K2Model`.

    Parameters
    ----------
    X : numpy.ndarray
        Raw flux windows ``(n, length)``.
    y : numpy.ndarray
        Labels (1 = planet).
    meta : pandas.DataFrame, optional
        The build sidecar (for ``train_min_snr``).
    sha : str, optional
        The training data's sha256 (the key of the feature cache).
    **settings
        The training settings (``epochs``, ``batch_size``, ``learning_rate``, ``seed``,
        ``fast``, ``network``, ``threshold``, ``train_min_snr``, ``show_progress``): see
        :mod:`spacekit.skopes.k2.settings` (defaults:
        :data:`~spacekit.skopes.k2.settings.FIT_SETTINGS`).

    Returns
    -------
    (keras.Model, estimator or None, dict, Trainer, dict)
        The network, the boosting member, the training history, the trainer and the model
        metadata (what :func:`load_classifier` reads back).

    Examples
    --------
    >>> model, boost, history, trainer, meta = fit_members(X, y, fast=True)  # doctest: +SKIP
    """
    s = fit_settings(settings, where="fit_members")
    network, threshold, min_snr = s["network"], s["threshold"], s["train_min_snr"]
    if len(np.unique(y)) < 2:
        raise InputError("training needs both classes (LABEL 2 and 1); the table holds one")
    keep = _training_mask(y, meta, min_snr)
    _check_min_snr_classes(y, keep, min_snr, "training")
    Z = preprocess(X)
    length = X.shape[1]
    inputs = _take(_inputs_cached(Z, network, sha, s["show_progress"]), keep)
    model, boost, history, trainer = fit_on_inputs(
        inputs,
        y[keep],
        length=length,
        channels=Z.shape[2],
        show_progress=s["show_progress"],
        **{k: s[k] for k in NETWORK_SETTINGS},
    )
    metadata = {
        "app": APP,
        "window_length": int(length),
        "preprocessing": dict(PREPROCESSING),
        "network": network,
        "threshold": float(threshold),
        "labels": {"0": "no transit (LABEL 1)", "1": "transiting planet (LABEL 2)"},
        "training_data_sha256": sha,
        "input": "raw flux windows (relative flux or ppm), native cadence",
    }
    if boost is not None:
        metadata["boost"] = BOOST_FILE
        metadata["boost_weight"] = BOOST_WEIGHT
    if network == "folded":
        metadata["feature_version"] = FEATURE_VERSION
    return model, boost, history, trainer, metadata

"""The K2 classifier model: :class:`K2Classifier` (a trained network, its boosting member and
metadata), :func:`fit_members` (the fit shared by training and each cross-validation fold),
the trainer settings, and loading model folders (:func:`load_classifier`).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ...builder.trainer import predict_batches
from ...exceptions import DataNotFoundError, InputError, ModelLoadError
from ...utils.runs import list_runs, model_folder
from .inputs import (
    BOOST_FILE,
    BOOST_WEIGHT,
    FEATURE_VERSION,
    NETWORKS,
    _fit_boost,
    _inputs_cached,
    _take,
    boost_features,
    model_inputs,
)
from .kaggle import read_flux_table_with_meta
from .noise import robust_scatter
from .preprocessing import PREPROCESSING, preprocess
from .settings import NETWORK_SETTINGS, fit_settings

log = logging.getLogger(__name__)

#: The app name of k2 run folders.
APP = "k2"


class K2Classifier:
    """A trained K2 classifier: Keras model, preprocessing and decision threshold.

    Parameters
    ----------
    model : keras.Model
        The trained network (input ``(length, 3)``, see :func:`preprocess`).
    metadata : dict
        As saved by :func:`train` (``window_length``, ``preprocessing``, ``threshold``).
    boost : estimator, optional
        The gradient-boosting member of a ``"folded"`` model (None otherwise).

    Examples
    --------
    >>> clf = load_classifier("spacekit-runs/k2/20260101-000000-train")  # doctest: +SKIP
    >>> clf.predict_proba(X)  # doctest: +SKIP
    """

    def __init__(self, model: Any, metadata: dict, boost: Any = None) -> None:
        self.model = model
        self.metadata = dict(metadata)
        self.boost = boost

    def _repr_html_(self) -> str | None:
        """Notebook view: the classifier's metadata and metrics."""
        from ...utils.display import model_html

        return model_html(self)

    @property
    def length(self) -> int:
        """Window length in cadences."""
        return int(self.metadata.get("window_length", 3197))

    @property
    def threshold(self) -> float:
        """Probability above which a window is called a planet."""
        return float(self.metadata.get("threshold", 0.5))

    def predict_proba(
        self, X: np.ndarray, *, batch_size: int = 256, show_progress: bool | None = None
    ) -> np.ndarray:
        """Planet probability of each raw flux window (shape ``(n, length)``).

        ``show_progress`` (default: the ``progress`` setting) shows a bar over the windows'
        box searches of a ``folded`` model (about 0.2-0.3 s per window).

        Parameters
        ----------
        X : numpy.ndarray
            Raw flux windows, shape ``(n, length)``.
        batch_size : int
            Windows per network call.
        show_progress : bool, optional
            As described above.

        Returns
        -------
        numpy.ndarray
            Shape ``(n,)``.

        Examples
        --------
        >>> clf.predict_proba(np.ones((1, clf.length)))  # doctest: +SKIP
        array([0.01])
        """
        X = np.asarray(X, dtype=float)
        if X.ndim == 1:
            X = X[None, :]
        if X.shape[1] != self.length:
            raise InputError(
                f"expected windows of {self.length} cadences (the model's input), got "
                f"{X.shape[1]}; cut light curves with predict_lightcurve() instead"
            )
        network = self.metadata.get("network", "global")
        if network == "folded" and int(self.metadata.get("feature_version", 2)) != FEATURE_VERSION:
            raise ModelLoadError(
                f"this 'folded' model was trained on folded features version "
                f"{self.metadata.get('feature_version', 2)}, but this spacekit computes version "
                f"{FEATURE_VERSION} (the whitened-search scalars were added); retrain it with "
                "`spacekit k2 train DATA` (or `train(..., network='folded')`)"
            )
        Z = preprocess(X, **self.metadata.get("preprocessing", {}))
        inputs = model_inputs(Z, network, show_progress=show_progress)
        proba = predict_batches(self.model, inputs, batch_size=batch_size).astype(float).reshape(-1)
        if self.boost is not None:
            w = float(self.metadata.get("boost_weight", BOOST_WEIGHT))
            proba = (1 - w) * proba + w * self.boost.predict_proba(boost_features(inputs))[:, 1]
        return proba

    def lightcurve_windows(self, flux: np.ndarray, *, seed: int = 0) -> np.ndarray:
        """Cut a normalised flux series into half-overlapping windows of the model's length.

        A series shorter than one window is padded with its median plus noise of its own
        scatter (reproducibly, from ``seed``).

        Parameters
        ----------
        flux : numpy.ndarray
            Normalised flux, one dimension.
        seed : int
            Seed of the padding noise.

        Returns
        -------
        numpy.ndarray
            Shape ``(n_windows, length)``.

        Examples
        --------
        >>> K2Classifier(None, {"window_length": 100}).lightcurve_windows(np.ones(250)).shape
        (4, 100)
        """
        from .windows import cut_windows

        f = np.asarray(flux, dtype=float)
        f = f[np.isfinite(f)]
        if f.size < 16:
            raise InputError(f"a light curve needs at least 16 finite cadences, got {f.size}")
        L = self.length
        if f.size < L:
            rng = np.random.default_rng(seed)
            sigma = robust_scatter(f)
            pad = np.median(f) + rng.normal(0, sigma if sigma > 0 else 0.0, L - f.size)
            return np.concatenate([f, pad])[None, :]
        W = cut_windows(f, L, step=max(1, L // 2))
        if (f.size - L) % max(1, L // 2):
            W = np.concatenate([W, f[-L:][None, :]])
        return W

    def predict_lightcurve(self, lc: Any) -> dict:
        """Probability that a light curve shows a transiting planet (the max over its windows).

        Parameters
        ----------
        lc : LightCurve
            Any light curve (native cadence; NaNs are dropped, cadences put in time order).

        Returns
        -------
        dict
            ``probability``, ``planet`` (probability >= threshold), ``n_windows``,
            ``window_probabilities``, ``best_window`` (the index of the most probable), and
            what that window holds (:func:`window_events`): ``window_dips``,
            ``window_flares`` and ``flare_only`` (True when it has flares and every dip in
            it sits next to one: the classifier's answer rests on flares, not a transit).

        Examples
        --------
        >>> clf.predict_lightcurve(read_lightcurve(path))["probability"]  # doctest: +SKIP
        0.97
        """
        from .dataset import _arrays

        # finite cadences in time order (a file's rows need not be), median-normalised
        _, f = _arrays(lc)
        W = self.lightcurve_windows(f)
        proba = self.predict_proba(W, show_progress=False)
        best = float(proba.max())
        i = int(np.argmax(proba))
        # the best window's own cadences, before the classifier's preprocessing clips flares
        events = window_events(W[i])
        return {
            "probability": best,
            "planet": bool(best >= self.threshold),
            "n_windows": int(len(proba)),
            "window_probabilities": [round(float(p), 6) for p in proba],
            "best_window": i,
            **events,
        }


#: A dip or flare is a run of at least this many consecutive cadences beyond
#: :data:`EVENT_SIGMA` robust standard deviations of a window's detrended flux.
EVENT_MIN_CADENCES = 2
EVENT_SIGMA = 3.0
#: A dip starting within this many cadences of a flare is the flare's (detrending around a
#: flare's decay digs a dip beside it), not a transit.
FLARE_NEIGHBOURHOOD = 12


def window_events(flux: np.ndarray) -> dict[str, Any]:
    """Dips and flares in one window of normalised flux.

    The window is detrended by a running median (a tenth of its length, at least 25
    cadences); a dip (flare) is a run of at least :data:`EVENT_MIN_CADENCES` cadences more
    than :data:`EVENT_SIGMA` robust standard deviations below (above) it. A dip starting or
    ending within :data:`FLARE_NEIGHBOURHOOD` cadences of a flare belongs to it.

    Parameters
    ----------
    flux : numpy.ndarray
        One window of normalised flux.

    Returns
    -------
    dict
        ``window_dips`` (dips not next to a flare), ``window_flares``, and ``flare_only``:
        True when the window has flares and no dip of its own, so whatever made a classifier
        call it a transit is flare-shaped.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> f = 1 + 1e-3 * rng.standard_normal(600)
    >>> f[300:306] += [0.02, 0.015, 0.01, 0.007, 0.005, 0.003]  # one flare
    >>> window_events(f)
    {'window_dips': 0, 'window_flares': 1, 'flare_only': True}
    >>> f[100:110] -= 0.01  # and a transit-like dip away from it
    >>> window_events(f)["flare_only"]
    False
    """
    from scipy.ndimage import median_filter

    f = np.asarray(flux, dtype=float)
    f = np.where(np.isfinite(f), f, np.nanmedian(f))
    size = max(25, f.size // 10) | 1
    r = f - median_filter(f, size=size, mode="nearest")
    sigma = robust_scatter(r)
    if not sigma > 0:
        return {"window_dips": 0, "window_flares": 0, "flare_only": False}

    def runs(mask: np.ndarray) -> list[tuple[int, int]]:
        edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
        pairs = list(zip(edges[::2], edges[1::2], strict=True))
        return [(a, b) for a, b in pairs if b - a >= EVENT_MIN_CADENCES]

    flares = runs(r > EVENT_SIGMA * sigma)
    dips = runs(r < -EVENT_SIGMA * sigma)
    near = FLARE_NEIGHBOURHOOD
    own = [
        (a, b) for a, b in dips if not any(fa - near <= b and a <= fb + near for fa, fb in flares)
    ]
    return {
        "window_dips": len(own),
        "window_flares": len(flares),
        "flare_only": bool(flares) and not own,
    }


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

    Parameters
    ----------
    X : numpy.ndarray
        Raw flux windows, shape ``(n, length)``.
    y : numpy.ndarray
        1 for a window with a transit, 0 without.
    meta : pandas.DataFrame, optional
        The windows' metadata (its SNR column selects the training windows).
    sha : str, optional
        sha256 of the training table, recorded in the metadata.
    epochs, batch_size, learning_rate, seed, fast, network, threshold, train_min_snr
        As for :func:`~spacekit.skopes.k2.classifier.train`.
    show_progress : bool, optional
        As for :func:`~spacekit.skopes.k2.classifier.train`.

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


def load_classifier(model_dir: str | os.PathLike) -> K2Classifier:
    """Load a classifier from a ``k2`` run folder or its ``model/`` folder.

    Parameters
    ----------
    model_dir : path
        A ``k2`` run folder or its ``model/`` folder.

    Returns
    -------
    K2Classifier
        The classifier.

    Examples
    --------
    >>> clf = load_classifier("spacekit-runs/k2/20260101-000000-train")  # doctest: +SKIP
    """
    from ...builder import load_model
    from ...utils.manifest import MANIFEST_FILE, read_manifest

    folder = model_folder(model_dir, "metadata.json")
    if os.path.isfile(folder / MANIFEST_FILE):  # False, not OSError, for a name > 255 bytes
        read_manifest(folder, app=APP)  # refuses another app's or a half-written folder
    model, metadata = load_model(model_dir)
    app = metadata.get("app")
    if app is not None and app != APP:
        raise ModelLoadError(
            f"{model_dir} holds a model of app {app!r}, not a k2 classifier; pass a k2 run "
            "folder (written by `spacekit k2 train`) or its model/ folder"
        )
    boost = None
    if metadata.get("boost"):
        from ...utils.persist import load_estimator

        name = metadata["boost"]
        if not str(name).endswith(".skops"):
            raise ModelLoadError(
                f"{model_dir}: the gradient-boosting member {name!r} was saved as a pickle by an "
                "older spacekit, which this version does not load (unpickling can run code); "
                "retrain with `spacekit k2 train`"
            )
        path = model_folder(model_dir, "metadata.json") / name
        if not path.is_file():
            raise DataNotFoundError(
                f"the model's metadata names a gradient-boosting member {name!r} "
                f"but {path} does not exist; retrain with `spacekit k2 train --network folded`"
            )
        boost = load_estimator(path)
    return K2Classifier(model, metadata, boost)


def _model_complete(model_dir: Path) -> bool:
    """Whether a model folder holds everything :func:`train` writes (a run still being
    trained, or one interrupted, has its ``model/`` without metadata or boost member yet)."""
    import json

    from ...builder.persist import METADATA_FILE, MODEL_FILE
    from ...utils.manifest import MANIFEST_FILE, is_model_folder

    if (model_dir / MANIFEST_FILE).is_file():  # written complete last, once every file is
        return is_model_folder(model_dir, APP)
    try:
        meta = json.loads((model_dir / METADATA_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not (model_dir / MODEL_FILE).is_file():
        return False
    return not meta.get("boost") or (model_dir / str(meta["boost"])).is_file()


def _latest_model(runs_dir: str | os.PathLike | None) -> Path:
    runs = [r for r in list_runs(runs_dir, app=APP, complete=True) if r.model_dir.is_dir()]
    complete = [r for r in runs if _model_complete(r.model_dir)]
    skipped = [r.path.name for r in runs if r not in complete]
    if skipped:
        level = logging.WARNING if runs[-1] not in complete else logging.INFO
        log.log(
            level,
            "k2: skipping incomplete model folders %s (still training or interrupted)",
            skipped,
        )
    if not complete:
        found = f" (only incomplete ones: {skipped})" if skipped else ""
        raise DataNotFoundError(
            f"no trained k2 model under {runs_dir or 'the runs folder'}{found}; run "
            "`spacekit k2 train DATA` first or pass --model"
        )
    return complete[-1].path

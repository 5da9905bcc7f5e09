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

from ...builder.trainer import predict_batches
from ...exceptions import DataNotFoundError, InputError, ModelLoadError
from ...utils.runs import list_runs, model_folder
from .events import (  # noqa: F401  (importable from here too)
    EVENT_MIN_CADENCES,
    EVENT_SIGMA,
    FLARE_NEIGHBOURHOOD,
    window_events,
)
from .fitting import (  # noqa: F401  (importable from here too)
    _build_model,
    _check_min_snr_classes,
    _read,
    _SeriesRoll,
    _trainer,
    _training_mask,
    fit_members,
    fit_on_inputs,
)
from .inputs import (
    BOOST_WEIGHT,
    FEATURE_VERSION,
    boost_features,
    model_inputs,
)
from .noise import robust_scatter
from .preprocessing import preprocess
from .settings import APP, NETWORK_SETTINGS, fit_settings  # noqa: F401

log = logging.getLogger(__name__)


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
        lc : LightCurve, astropy TimeSeries, lightkurve LightCurve or path
            Any light curve (native cadence; NaNs are dropped, cadences put in time order);
            a path is read with :func:`~spacekit.transformer.read_lightcurve`.

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
        from ...transformer.lightcurve import _as_lightcurve
        from .dataset import _arrays

        if isinstance(lc, (str, os.PathLike)):
            from ...transformer import read_lightcurve

            lc = read_lightcurve(lc)
        elif _as_lightcurve(lc) is None:
            raise InputError(
                f"predict_lightcurve expects a LightCurve (or an astropy TimeSeries, a "
                f"lightkurve LightCurve or a light-curve file); got {type(lc).__name__}. For "
                "flux windows already cut, use predict_proba(X)."
            )
        else:
            lc = _as_lightcurve(lc)
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

"""Train, evaluate (leave-one-star-out) and apply the K2 transiting-planet classifier.

Preprocessing (:func:`preprocess`, stored with the model) turns raw flux windows — Kaggle
rows or light-curve windows alike — into the network's ``(length, 3)`` input:

1. subtract a slow trend: the median of blocks of ``trend_block`` cadences, running-median
   filtered over ``trend_blocks`` blocks (800 cadences by default, longer than any transit
   here, so even 8-hour transits at 1-minute cadence survive) and interpolated back;
2. express the residual in units of the window's point-to-point scatter and clip it to
   ``[clip_low, clip_high]`` (upper clipping removes most of a flare, never a transit);
3. :func:`spacekit.transformer.scale_rows` (zero mean, unit variance per row) and
   :func:`spacekit.transformer.add_smoothed_channel` (the seed's second channel);
4. a third channel: the same with a *short* trend (blocks of ``short_block`` cadences over
   ``short_blocks`` blocks, 80 cadences), which removes stellar variability and keeps
   transits shorter than about 40 cadences (every injected transit at 30-minute cadence).
   Windows carry no time axis, so the two time scales let the network handle any cadence.

The default network, ``network="folded"``, is
:func:`spacekit.skopes.k2.network.build_folded_cnn` (the window plus the folded views and
scalar features of :mod:`spacekit.skopes.k2.folded`: box search, red-noise profile and the
whitened matched-filter search of :mod:`spacekit.skopes.k2.whiten`) averaged with a
gradient-boosting classifier on the same features; ``network="global"`` is the window-only
:func:`spacekit.skopes.k2.network.build_transit_cnn` (global pooling, the default before the
folded option measured better leave-one-star-out) and ``network="seed"``
:func:`spacekit.builder.build_cnn1d` (the seed's 4-block CNN). The networks are trained
with :class:`spacekit.builder.Trainer` on balanced batches with circular-roll augmentation.

Examples
--------
>>> import numpy as np
>>> preprocess(np.random.default_rng(0).normal(1, 1e-3, (2, 1000))).shape
(2, 1000, 3)
"""

from __future__ import annotations

import logging
import os
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ...builder.trainer import predict_batches
from ...exceptions import DataNotFoundError, InputError, ModelLoadError, SpacekitError
from ...utils.progress import progress
from ...utils.runs import Run, list_runs, model_folder
from .kaggle import read_flux_table_with_meta
from .noise import robust_scatter

__all__ = [
    "NETWORKS",
    "PREPROCESSING",
    "SNR_BINS",
    "ALTERNATIVE_SNRS",
    "K2Classifier",
    "preprocess",
    "model_inputs",
    "boost_features",
    "train",
    "evaluate",
    "leave_one_star_out_folds",
    "loso_metrics",
    "load_classifier",
    "predict",
]

log = logging.getLogger(__name__)

#: Default preprocessing parameters (saved in the model's metadata).
PREPROCESSING: dict[str, Any] = {
    "trend_block": 160,
    "trend_blocks": 5,
    "short_block": 16,
    "short_blocks": 5,
    "clip_low": -30.0,
    "clip_high": 5.0,
}

#: Transit-SNR bin edges of the evaluation.
SNR_BINS: tuple[float, ...] = (0, 3, 5, 7, 10, 15, 30, 100, np.inf)

#: Columns of other SNR definitions that :func:`loso_metrics` also bins and scores when
#: present (see :func:`spacekit.skopes.k2.inject.transit_snr_definitions`).
ALTERNATIVE_SNRS: tuple[str, ...] = ("snr_std", "snr_timescale")

#: The app name of k2 run folders.
APP = "k2"


def _slow_trend(X: np.ndarray, block: int, blocks: int) -> np.ndarray:
    from scipy.ndimage import median_filter

    n, length = X.shape
    nb = max(1, length // block)
    edges = np.linspace(0, length, nb + 1).astype(int)
    centres = 0.5 * (edges[:-1] + edges[1:] - 1)
    med = np.stack(
        [np.median(X[:, a:b], axis=1) for a, b in zip(edges[:-1], edges[1:], strict=True)], axis=1
    )
    if nb >= 3 and blocks > 1:
        med = median_filter(med, size=(1, min(blocks, nb)), mode="nearest")
    grid = np.arange(length)
    return np.stack([np.interp(grid, centres, row) for row in med])


def preprocess(X: np.ndarray, **params: Any) -> np.ndarray:
    """Turn raw flux windows into the classifier's input (see the module docstring).

    Parameters
    ----------
    X : numpy.ndarray
        Windows, shape ``(n, length)``: relative flux, ppm deviations (Kaggle rows) or any
        flux with a positive or zero-centred level.
    **params
        Overrides of :data:`PREPROCESSING`.

    Returns
    -------
    numpy.ndarray
        float32 array of shape ``(n, length, 3)``: long-trend detrended flux, its smoothed
        copy, short-trend detrended flux.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.ones((1, 1000)); x[0, 500:510] = 0.99
    >>> z = preprocess(x)
    >>> bool(z[0, 505, 0] < z[0, 100, 0])
    True
    """
    p = {**PREPROCESSING, **params}
    unknown = set(params) - set(PREPROCESSING)
    if unknown:
        raise InputError(
            f"unknown preprocessing parameter(s) {sorted(unknown)}; known: {sorted(PREPROCESSING)}"
        )
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[None, :]
    if X.ndim != 2 or X.shape[1] < 64:
        raise InputError(
            f"expected flux windows of shape (n, length >= 64), got shape {X.shape}; "
            "cut light curves into windows first"
        )
    if not np.isfinite(X).all():
        raise InputError(
            "flux windows hold NaN/inf values; remove or fill them before preprocessing"
        )
    from ...transformer import add_smoothed_channel, scale_rows

    def detrended(block: int, blocks: int) -> np.ndarray:
        resid = X - _slow_trend(X, block, blocks)
        # relative flux rows (level ~1) become fractional residuals; ppm rows (level ~0) are
        # already residuals: dividing by the scatter makes both unitless
        scatter = np.array([robust_scatter(r) for r in resid])
        scatter = np.where(np.isfinite(scatter) & (scatter > 0), scatter, 1.0)
        return scale_rows(np.clip(resid / scatter[:, None], p["clip_low"], p["clip_high"]))

    long = detrended(int(p["trend_block"]), int(p["trend_blocks"]))
    short = detrended(int(p["short_block"]), int(p["short_blocks"]))
    out = np.concatenate([add_smoothed_channel(long), short[:, :, None]], axis=2)
    return np.asarray(out, dtype=np.float32)


# ---------------------------------------------------------------------------------- model
class K2Classifier:
    """A trained K2 classifier: Keras model, preprocessing and decision threshold.

    Parameters
    ----------
    model : keras.Model
        The trained network (input ``(length, 3)``, see :func:`preprocess`).
    metadata : dict
        As saved by :func:`train` (``window_length``, ``preprocessing``, ``threshold``).

    Examples
    --------
    >>> clf = load_classifier("spacekit-runs/k2/20260101-000000-train")  # doctest: +SKIP
    >>> clf.predict_proba(X)  # doctest: +SKIP
    """

    def __init__(self, model: Any, metadata: dict, boost: Any = None) -> None:
        self.model = model
        self.metadata = dict(metadata)
        self.boost = boost

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
            with np.load(path) as f:
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


def _read(data: Any) -> tuple[np.ndarray, np.ndarray, pd.DataFrame | None, str | None]:
    """(X, y, meta, sha256) from a flux-table path or an ``(X, y[, meta])`` tuple."""
    if isinstance(data, (str, os.PathLike)):
        from ...utils.files import file_sha256

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


def train(
    data: Any,
    *,
    runs_dir: str | os.PathLike | None = None,
    name: str = "train",
    epochs: int = 10,
    batch_size: int = 32,
    learning_rate: float = 1e-3,
    seed: int = 0,
    fast: bool = False,
    network: str = "folded",
    threshold: float = 0.5,
    train_min_snr: float | None = 5.0,
    show_progress: bool | None = None,
) -> Run:
    """Train the classifier on a Kaggle-format flux table; write a ``k2`` run folder.

    Parameters
    ----------
    data : path or (X, y[, meta])
        A flux table (Kaggle K2 or :func:`~spacekit.skopes.k2.build_training_set` output).
    runs_dir : path, optional
        Parent of run folders (default ``conf.runs_dir``).
    name : str
        Run name.
    epochs, batch_size, learning_rate : int, int, float
        Training settings (balanced batches with circular-roll augmentation).
    seed : int
        Makes training repeatable.
    fast : bool
        A tiny network (for tests and smoke runs).
    network : {"folded", "global", "seed"}
        ``"folded"`` (default): the two-branch
        :func:`~spacekit.skopes.k2.network.build_folded_cnn` (the window plus its folded
        box-search views, red-noise profile and whitened-search statistics,
        :mod:`spacekit.skopes.k2.folded`, :mod:`spacekit.skopes.k2.whiten`) averaged
        with a gradient-boosting classifier on the same folded features
        (:func:`boost_features`, weight :data:`BOOST_WEIGHT`; saved as ``model/boost.skops``, no pickle);
        the searches take about 0.15 s per window and are cached per flux-table file under
        ``<cache_dir>/k2/features``. ``"global"``: the window-only global-pooling transit
        CNN; ``"seed"``: the seed's ``build_cnn1d``.
    threshold : float
        Decision threshold saved with the model.
    train_min_snr : float or None
        Leave injected transits with SNR below this out of training (they are undetectable
        by construction and only teach the network to hedge); None keeps all. Needs the
        metadata sidecar; Kaggle tables are used whole.
    show_progress : bool, optional
        Progress bar over epochs.

    Returns
    -------
    Run
        Holds ``model/`` (Keras model + metadata), ``metrics.json`` (training metrics,
        throughput), ``run.json``.

    Examples
    --------
    >>> run = train("k2-train.csv", epochs=5)  # doctest: +SKIP
    >>> load_classifier(run.path).threshold  # doctest: +SKIP
    0.5
    """
    from ...builder import save_model

    _check_settings(threshold, learning_rate)
    X, y, meta, sha = _read(data)
    if len(np.unique(y)) < 2:
        raise InputError("training needs both classes (LABEL 2 and 1); the table holds one")
    keep = _training_mask(y, meta, train_min_snr)
    _check_min_snr_classes(y, keep, train_min_snr, "training")
    Z = preprocess(X)
    length = X.shape[1]
    inputs = _take(_inputs_cached(Z, network, sha, show_progress), keep)
    y = y[keep]
    trainer = _trainer(
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        seed=seed,
        show_progress=show_progress,
        length=length if network == "folded" else None,
    )
    history = trainer.fit(lambda: _build_model(length, fast, network, Z.shape[2]), inputs, y)
    model = trainer.model_
    boost = _fit_boost(inputs, y, seed) if network == "folded" else None
    params = {
        "epochs": epochs,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "fast": fast,
        "network": network,
        "threshold": threshold,
        "train_min_snr": train_min_snr,
        "n_windows": int(len(y)),
        "n_planet": int(y.sum()),
        "window_length": int(length),
    }
    run = Run.create(APP, name, runs_dir=runs_dir, parameters=params, seed=seed, data_sha256=sha)
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
    save_model(model, run.model_dir, metadata=metadata, history=history)
    if boost is not None:
        from ...utils.persist import save_estimator

        save_estimator(boost, run.model_dir / BOOST_FILE)
    run.write_metrics(
        {
            "train_loss": history.get("loss", [None])[-1],
            "train_accuracy": history.get("accuracy", [None])[-1],
            "train_samples_per_second": getattr(trainer, "samples_per_second_", None),
            "fit_seconds": getattr(trainer, "fit_seconds_", None),
        }
    )
    return run


def load_classifier(model_dir: str | os.PathLike) -> K2Classifier:
    """Load a classifier from a ``k2`` run folder or its ``model/`` folder.

    Examples
    --------
    >>> clf = load_classifier("spacekit-runs/k2/20260101-000000-train")  # doctest: +SKIP
    """
    from ...builder import load_model

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

    try:
        meta = json.loads((model_dir / METADATA_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not (model_dir / MODEL_FILE).is_file():
        return False
    return not meta.get("boost") or (model_dir / str(meta["boost"])).is_file()


def _latest_model(runs_dir: str | os.PathLike | None) -> Path:
    runs = [r for r in list_runs(runs_dir, app=APP) if r.model_dir.is_dir()]
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


def predict(
    paths: Sequence[str | os.PathLike],
    *,
    model: str | os.PathLike | K2Classifier | None = None,
    runs_dir: str | os.PathLike | None = None,
    read_kwargs: dict | None = None,
    show_progress: bool | None = None,
    search: bool = True,
) -> pd.DataFrame:
    """Planet probability of light-curve files (FITS/csv) or of the rows of flux tables.

    For a light curve, the classifier's probability comes with the period search's view of
    the same star (``search=True``): :func:`~spacekit.analyzer.planet_hunter` runs on it and
    its best period, whether it is detected and, if not, the vetting checks it fails are
    reported beside the probability, with one ``verdict`` that says where the two disagree.
    The classifier sees short windows and can take a flare's or a spot's dip for a transit;
    the search's vetting sees the whole light curve (its shape away from the dip, the depth
    of every transit), so a "transit" from the classifier alone is labelled as such (e.g.
    ``"transit? classifier only; the search rejects it: stellar variability (flares,
    spots)"``). When, besides, the classifier's best window holds flares and no dip of its
    own (every dip in it next to a flare, :func:`window_events`), the verdict says that its
    "transit" rests on flares.

    Parameters
    ----------
    paths : sequence of path
        Kepler/K2/TESS FITS or csv light curves (read with
        :func:`~spacekit.transformer.read_lightcurve`), or Kaggle-format tables (a csv with a
        ``LABEL``/``FLUX.1`` header; one result per row).
    model : path or K2Classifier, optional
        A model (run) folder; default: the latest ``k2`` run with a model under ``runs_dir``.
    runs_dir : path, optional
        Where to look for that latest run.
    read_kwargs : dict, optional
        For ``read_lightcurve`` (e.g. ``{"time_format": "bkjd"}`` for a headerless csv).
    show_progress : bool, optional
        Progress bars over the files and over a table's rows (default: the ``progress``
        setting; ``SPACEKIT_PROGRESS=0`` silences them).
    search : bool
        Also run the period search on each light curve (default True).

    Returns
    -------
    pandas.DataFrame
        One row per light curve (or table row): ``path``, ``source`` ("lightcurve" or
        "table"), ``row``, ``target``,
        ``probability``, ``planet`` (the classifier's call), ``n_windows``, ``label`` (tables
        only: nullable ``Int64``, ``<NA>`` for light curves), for light curves
        ``window_dips``, ``window_flares`` and ``flare_only`` (what the classifier's best
        window holds, :func:`window_events`), ``search_period`` (days),
        ``search_significance`` (the search's peak significance), ``search_detected``, ``search_failed`` (the vetting checks the search's best signal
        fails, comma-separated; or why the search could not run) and ``verdict``
        (``"transit"``, ``"no transit"``, or a ``"transit? ..."`` that says which side saw
        it and why the other did not). Tables (and ``search=False``) leave the search
        columns empty and the verdict the classifier's.

    Examples
    --------
    >>> predict(["kplr010666592-2009131110544_slc.fits"], model=run.path)  # doctest: +SKIP
    """
    if not paths:
        raise InputError("no path given: pass one or more light-curve files or flux tables")
    clf = (
        model
        if isinstance(model, K2Classifier)
        else load_classifier(model or _latest_model(runs_dir))
    )
    for p in paths:
        if not Path(p).exists():
            raise DataNotFoundError(f"{p} does not exist")
    rows = []
    for p in progress(paths, desc="k2 predict", total=len(paths), enabled=show_progress):
        p = Path(p)
        if _is_flux_table(p):
            X, y, _ = read_flux_table_with_meta(p)
            proba = clf.predict_proba(X, show_progress=show_progress)
            for i, pr in enumerate(proba):
                rows.append(
                    {
                        "path": str(p),
                        "source": "table",
                        "row": i,
                        "target": "",
                        "probability": float(pr),
                        "planet": bool(pr >= clf.threshold),
                        "n_windows": 1,
                        "label": int(y[i]),
                        **_no_search(bool(pr >= clf.threshold)),
                    }
                )
            continue
        from ...transformer import read_lightcurve

        lc = read_lightcurve(p, **dict(read_kwargs or {}))
        res = clf.predict_lightcurve(lc)
        rows.append(
            {
                "path": str(p),
                "source": "lightcurve",
                "row": 0,
                "target": str(lc.meta.get("target", "")),
                "probability": res["probability"],
                "planet": res["planet"],
                "n_windows": res["n_windows"],
                "label": None,
                "window_dips": res["window_dips"],
                "window_flares": res["window_flares"],
                "flare_only": res["flare_only"],
                **(_search_view(lc, res) if search else _no_search(res["planet"])),
            }
        )
    frame = pd.DataFrame(rows)
    # integer labels with <NA> for light curves (a mix made the column float with NaN)
    frame["label"] = frame["label"].astype("Int64")
    return frame


#: What each failed vetting check of the period search means, in a verdict.
_VETTING_WORDS = {
    "bump": "stellar variability (flares, spots)",
    "oot_structure": "stellar variability (flares, spots)",
    "single_event": "one event, not a periodic transit",
    "depth_consistency": "dips of different depths (different bodies)",
    "missing_transit": "a transit window without a dip",
    "n_transits": "fewer than two transits",
    "sde": "too weak",
    "peak_zscore": "too weak",
    "peak_significance": "too weak",
    "snr": "too weak",
}


def _no_search(planet: bool) -> dict[str, Any]:
    return {
        "search_period": float("nan"),
        "search_significance": float("nan"),
        "search_detected": None,
        "search_failed": "",
        "verdict": "transit" if planet else "no transit",
    }


def _search_view(lc: Any, res: dict) -> dict[str, Any]:
    """The period search on the same light curve, and one verdict from both (and from
    what the classifier's best window holds, ``res`` of :meth:`predict_lightcurve`)."""
    from ...analyzer import planet_hunter

    planet = res["planet"]
    flares = (
        f"; the classifier's best window holds only flares ({res['window_flares']}), no dip "
        "of its own"
        if planet and res.get("flare_only")
        else ""
    )

    try:
        hunt = planet_hunter(lc, fit=False)
    except SpacekitError as exc:
        out = _no_search(planet)
        out["search_failed"] = f"search not run: {exc}"
        if planet:
            out["verdict"] = "transit? classifier only; the period search could not run" + flares
        return out
    failed = list(hunt.candidate.vetting.get("failed", []))
    reasons = list(dict.fromkeys(_VETTING_WORDS.get(f, f) for f in failed))
    detected = bool(hunt.detected)
    if planet and detected:
        verdict = "transit"
    elif planet:
        verdict = "transit? classifier only; the search rejects it: " + ", ".join(reasons) + flares
    elif detected:
        verdict = (
            f"transit? search only (P = {hunt.period.to_value('day'):.5f} d); the classifier "
            "is below its threshold"
        )
    else:
        verdict = "no transit"
    return {
        "search_period": float(hunt.period.to_value("day")),
        "search_significance": float(hunt.candidate.peak_significance),
        "search_detected": detected,
        "search_failed": ", ".join(failed),
        "verdict": verdict,
    }


def _is_flux_table(path: Path) -> bool:
    """A Kaggle-format table: a csv (also ``.csv.gz``/``.csv.zip``) with a ``FLUX.1`` column
    anywhere in its header (after an index column, or without ``LABEL``: the table reader then
    says what is missing)."""
    name = path.name.lower()
    if not name.endswith((".csv", ".csv.gz", ".csv.zip")):
        return False
    try:
        header = pd.read_csv(path, nrows=0, encoding_errors="replace").columns
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):  # let read_lightcurve report it
        return False
    return "FLUX.1" in {str(c).strip() for c in header}


# ---------------------------------------------------------------------------- evaluation
def leave_one_star_out_folds(groups: Sequence[str]) -> list[tuple[str, np.ndarray]]:
    """Folds holding out one star each, plus one synthetic generator-seed group each.

    Real groups (stars) are held out one per fold; the ``synthetic-<k>`` groups are dealt
    round-robin to the folds, so every window is predicted exactly once by a model that never
    saw its star or its generator seeds.

    Returns
    -------
    list of (fold name, boolean test mask)

    Examples
    --------
    >>> f = leave_one_star_out_folds(["A", "A", "B", "synthetic-0", "synthetic-1"])
    >>> [(n, m.nonzero()[0].tolist()) for n, m in f]
    [('A', [0, 1, 3]), ('B', [2, 4])]
    """
    g = np.asarray([str(x) for x in groups])
    syn = sorted({x for x in g if x.startswith("synthetic")}, key=lambda s: (len(s), s))
    stars = sorted({x for x in g if not x.startswith("synthetic")})
    folds = []
    if stars:
        for i, star in enumerate(stars):
            held = {star} | {s for j, s in enumerate(syn) if j % len(stars) == i}
            folds.append((str(star), np.isin(g, list(held))))
    else:
        for s in syn:
            folds.append((str(s), g == s))
    if len(folds) < 2:
        raise InputError(
            f"leave-one-star-out needs at least two groups, found {sorted(set(g.tolist()))}; "
            "build the set with two or more stars (`--lightcurve STAR=PATH`) or synthetic "
            "groups (`spacekit k2 build-dataset --synthetic-groups 2`, "
            "build_training_set(synthetic_groups=2))"
        )
    return folds


def _binary_scores(y: np.ndarray, proba: np.ndarray, threshold: float) -> dict:
    from sklearn.metrics import (
        precision_recall_curve,
        precision_recall_fscore_support,
        roc_auc_score,
    )

    y = np.asarray(y).astype(int)
    pred = (proba >= threshold).astype(int)
    p, r, f, _ = precision_recall_fscore_support(y, pred, labels=[1], average=None, zero_division=0)
    out = {
        "n": int(len(y)),
        "n_planet": int(y.sum()),
        "precision": float(p[0]),
        "recall": float(r[0]),
        "f1": float(f[0]),
        "roc_auc": None,
        "recall_at_precision_0.9": None,
    }
    if 0 < y.sum() < len(y):
        out["roc_auc"] = float(roc_auc_score(y, proba))
        prec, rec, _ = precision_recall_curve(y, proba)
        ok = prec >= 0.9
        out["recall_at_precision_0.9"] = float(rec[ok].max()) if ok.any() else 0.0
    return out


def _scores_by_snr(
    injected: pd.DataFrame, snr: np.ndarray, neg: pd.DataFrame, threshold: float
) -> list[dict]:
    """Recall and ROC-AUC (against all negatives) of the injections in each bin of SNR_BINS."""
    rows = []
    for lo, hi in zip(SNR_BINS[:-1], SNR_BINS[1:], strict=True):
        sel = injected[(snr >= lo) & (snr < hi)]
        row: dict[str, Any] = {
            "snr_min": lo,
            "snr_max": None if np.isinf(hi) else hi,
            "n_planet": int(len(sel)),
        }
        if len(sel):
            both = pd.concat([sel, neg])
            sc = _binary_scores(both["label"].to_numpy(), both["proba"].to_numpy(), threshold)
            row.update(recall=sc["recall"], roc_auc=sc["roc_auc"])
        rows.append(row)
    return rows


def loso_metrics(frame: pd.DataFrame, *, threshold: float = 0.5, snr_goal: float = 10.0) -> dict:
    """Leave-one-star-out metrics from out-of-fold predictions.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per window with ``label`` (0/1), ``proba``, ``fold``, ``group``, ``kind``
        and ``snr`` (NaN for negatives).
    threshold : float
        Decision threshold.
    snr_goal : float
        The goal's SNR cut.

    Returns
    -------
    dict
        ``overall``, ``per_fold``, ``per_group``, ``by_snr`` (recall per SNR bin and ROC-AUC of
        that bin's planets against all negatives), ``goal`` (planets with SNR >= snr_goal vs all
        negatives, and whether ROC-AUC >= 0.98 and recall >= 0.95 at precision >= 0.90 hold),
        ``real_transits`` (per star: windows, min/median probability, fraction above threshold);
        with a ``snr_per_transit`` column also ``by_snr_per_transit`` and ``goal_per_transit``
        (the same, binned by the SNR of a single transit: SNR / sqrt(transits in the window));
        with ``snr_std`` / ``snr_timescale`` columns (:data:`ALTERNATIVE_SNRS`, from
        :func:`spacekit.skopes.k2.dataset.snr_definitions`) also ``by_snr_std`` /
        ``goal_snr_std`` and ``by_snr_timescale`` / ``goal_snr_timescale``: the same tables
        under those SNR definitions (the ``goal`` entry stays at the issue's ``snr``).

    Examples
    --------
    >>> import pandas as pd, numpy as np
    >>> f = pd.DataFrame({"label": [0, 1, 0, 1], "proba": [0.1, 0.9, 0.2, 0.8],
    ...     "fold": ["a", "a", "b", "b"], "group": ["a", "a", "b", "b"],
    ...     "kind": ["real_noise", "real_injected"] * 2, "snr": [np.nan, 20, np.nan, 12]})
    >>> loso_metrics(f)["overall"]["roc_auc"]
    1.0
    """
    y = frame["label"].to_numpy().astype(int)
    proba = frame["proba"].to_numpy(dtype=float)
    out: dict[str, Any] = {"threshold": threshold, "overall": _binary_scores(y, proba, threshold)}
    out["per_fold"] = {
        str(k): _binary_scores(g["label"].to_numpy(), g["proba"].to_numpy(), threshold)
        for k, g in frame.groupby("fold", sort=True)
    }
    out["per_group"] = {
        str(k): _binary_scores(g["label"].to_numpy(), g["proba"].to_numpy(), threshold)
        for k, g in frame.groupby("group", sort=True)
    }
    neg = frame[frame["label"] == 0]
    injected = frame[(frame["label"] == 1) & frame["kind"].astype(str).str.endswith("injected")]
    snr = injected["snr"].to_numpy(dtype=float)
    out["by_snr"] = _scores_by_snr(injected, snr, neg, threshold)
    if "snr_per_transit" in injected.columns:
        single = injected["snr_per_transit"].to_numpy(dtype=float)
        out["by_snr_per_transit"] = _scores_by_snr(injected, single, neg, threshold)
        strong1 = pd.concat([injected[single >= snr_goal], neg])
        g1 = _binary_scores(strong1["label"].to_numpy(), strong1["proba"].to_numpy(), threshold)
        g1["snr_per_transit_min"] = snr_goal
        out["goal_per_transit"] = g1
    for col in ALTERNATIVE_SNRS:
        if col not in injected.columns:
            continue
        alt = injected[col].to_numpy(dtype=float)
        out[f"by_{col}"] = _scores_by_snr(injected, alt, neg, threshold)
        strong_alt = pd.concat([injected[alt >= snr_goal], neg])
        g_alt = _binary_scores(
            strong_alt["label"].to_numpy(), strong_alt["proba"].to_numpy(), threshold
        )
        g_alt["snr_min"] = snr_goal
        out[f"goal_{col}"] = g_alt
    strong = pd.concat([injected[snr >= snr_goal], neg])
    goal = _binary_scores(strong["label"].to_numpy(), strong["proba"].to_numpy(), threshold)
    goal["snr_min"] = snr_goal
    goal["met_roc_auc_0.98"] = bool(goal["roc_auc"] is not None and goal["roc_auc"] >= 0.98)
    goal["met_recall_0.95_at_precision_0.90"] = bool(
        goal["recall_at_precision_0.9"] is not None and goal["recall_at_precision_0.9"] >= 0.95
    )
    out["goal"] = goal
    real = frame[frame["kind"] == "real_transit"]
    out["real_transits"] = {
        str(star): {
            "n_windows": int(len(g)),
            "min_probability": float(g["proba"].min()),
            "median_probability": float(g["proba"].median()),
            "fraction_above_threshold": float((g["proba"] >= threshold).mean()),
        }
        for star, g in real.groupby("group", sort=True)
    }
    return out


def _snr_figure(metrics: dict):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 3.5))
    ax = fig.add_subplot(111)
    rows = [r for r in metrics["by_snr"] if r.get("n_planet")]
    labels = [
        f"{r['snr_min']:g}-{r['snr_max']:g}" if r["snr_max"] else f">{r['snr_min']:g}" for r in rows
    ]
    x = np.arange(len(rows))
    ax.bar(x - 0.2, [r.get("recall") or 0 for r in rows], width=0.4, label="recall")
    ax.bar(x + 0.2, [r.get("roc_auc") or 0 for r in rows], width=0.4, label="ROC-AUC vs negatives")
    ax.set_xticks(x, labels, rotation=30)
    ax.set_xlabel("transit SNR")
    ax.set_ylim(0, 1.05)
    ax.axhline(0.95, color="grey", lw=0.8, ls="--")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("Injected transits: leave-one-star-out")
    fig.tight_layout()
    return fig


def evaluate(
    data: Any,
    *,
    runs_dir: str | os.PathLike | None = None,
    name: str = "loso",
    epochs: int = 10,
    batch_size: int = 32,
    learning_rate: float = 1e-3,
    seed: int = 0,
    fast: bool = False,
    network: str = "folded",
    threshold: float = 0.5,
    train_min_snr: float | None = 5.0,
    snr_definitions: bool = False,
    show_progress: bool | None = None,
) -> Run:
    """Leave-one-star-out evaluation; write a ``k2`` run folder with the report.

    For each star (group), a fresh network is trained on every other star's windows and on
    the synthetic windows of the other generator-seed groups, and scores the held-out ones.
    The pooled out-of-fold probabilities go to :func:`spacekit.computer.compute` (ROC/PR,
    confusion matrix, history: ``metrics.json``, ``evaluation.json``, ``figures/``); the k2
    metrics of :func:`loso_metrics` are merged into ``metrics.json`` under ``"k2"`` and the
    per-window predictions written to ``predictions.csv``.

    Parameters
    ----------
    data : path or (X, y, meta)
        A flux table *with* its metadata sidecar (groups, kinds, SNR): a built set.
    runs_dir, name, epochs, batch_size, learning_rate, seed, fast, network, threshold
        As for :func:`train`.
    train_min_snr, show_progress
        As for :func:`train` (low-SNR injected windows are still *scored*).
    snr_definitions : bool
        Also score the injections under the per-point std and the timescale (CDPP-like) SNR
        of :func:`spacekit.skopes.k2.dataset.snr_definitions`: adds ``snr_std`` and
        ``snr_timescale`` to ``predictions.csv`` and ``by_snr_std``, ``goal_snr_std``,
        ``by_snr_timescale``, ``goal_snr_timescale`` to the k2 metrics (the headline ``goal``
        stays at the issue's SNR). Needs the set's own metadata (depth, ephemeris); the
        training is the same either way.

    Returns
    -------
    Run

    Examples
    --------
    >>> run = evaluate("k2-train.csv", epochs=5)  # doctest: +SKIP
    >>> run.metrics["k2"]["goal"]["roc_auc"]  # doctest: +SKIP
    0.99
    """
    _check_settings(threshold, learning_rate)
    X, y, meta, sha = _read(data)
    if meta is None or "group" not in meta.columns:
        raise InputError(
            "leave-one-star-out needs the per-window metadata (group, kind, snr) that "
            "build_training_set writes beside the table (<stem>.meta.csv); the Kaggle tables "
            "have none"
        )
    meta = meta.reset_index(drop=True)
    folds = leave_one_star_out_folds(meta["group"].astype(str).tolist())
    Z = preprocess(X)
    length = X.shape[1]
    t_feat = time.perf_counter()
    inputs = _inputs_cached(Z, network, sha, show_progress)
    feature_seconds = time.perf_counter() - t_feat
    oof = np.full(len(y), np.nan)
    oof_cnn = np.full(len(y), np.nan)
    oof_boost = np.full(len(y), np.nan)
    fold_of = np.empty(len(y), dtype=object)
    histories = {}
    t0 = time.perf_counter()
    usable = _training_mask(y, meta, train_min_snr)
    for fi, (fold, test) in enumerate(progress(folds, desc="k2 folds", enabled=show_progress)):
        train_idx = ~test & usable
        _check_min_snr_classes(y[~test], usable[~test], train_min_snr, f"fold {fold!r}")
        if len(np.unique(y[train_idx])) < 2:
            raise InputError(
                f"fold {fold!r}: the training part (every other group) holds one class only "
                f"({'planet' if y[train_idx].any() else 'no transit'}); each star or synthetic "
                "group held out must leave windows of both classes in the others"
            )
        trainer = _trainer(
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            seed=seed + fi,
            show_progress=False,
            length=length if network == "folded" else None,
        )
        histories[fold] = trainer.fit(
            lambda: _build_model(length, fast, network, Z.shape[2]),
            _take(inputs, train_idx),
            y[train_idx],
        )
        oof[test] = predict_batches(trainer.model_, _take(inputs, test)).reshape(-1)
        if network == "folded":
            boost = _fit_boost(_take(inputs, train_idx), y[train_idx], seed + fi)
            oof_cnn[test] = oof[test]
            oof_boost[test] = boost.predict_proba(boost_features(_take(inputs, test)))[:, 1]
            oof[test] = (1 - BOOST_WEIGHT) * oof_cnn[test] + BOOST_WEIGHT * oof_boost[test]
        fold_of[test] = fold
        log.info("k2 fold %s: %d test windows", fold, int(test.sum()))
    frame = meta.copy()
    frame["label"] = y
    frame["proba"] = oof
    frame["fold"] = fold_of
    if network == "folded":
        frame["proba_cnn"] = oof_cnn
        frame["proba_boost"] = oof_boost
    if "snr" not in frame.columns:
        frame["snr"] = np.nan
    if snr_definitions:
        from .dataset import snr_definitions as _snr_definitions

        alt = _snr_definitions(X, meta, show_progress=show_progress)
        for col in ALTERNATIVE_SNRS:
            frame[col] = alt[col].to_numpy()
    k2 = loso_metrics(frame, threshold=threshold)
    params = {
        "epochs": epochs,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "fast": fast,
        "network": network,
        "threshold": threshold,
        "train_min_snr": train_min_snr,
        "folds": [f for f, _ in folds],
        "snr_definitions": bool(snr_definitions),
        "n_windows": int(len(y)),
        "window_length": int(length),
        "evaluation": "leave-one-star-out (synthetic windows split by generator-seed group)",
    }
    run = Run.create(APP, name, runs_dir=runs_dir, parameters=params, seed=seed, data_sha256=sha)
    from ...computer import compute

    last = list(histories.values())[-1]
    report = compute(
        y, proba=oof, task="binary", history=last, labels=["no transit", "planet"], name=name
    )
    report.save(run)
    run.write_metrics(
        {
            "k2": k2,
            "evaluation_seconds": time.perf_counter() - t0,
            "feature_seconds": feature_seconds,
        }
    )
    run.save_figure(_snr_figure(k2), "snr_recall")
    run.write_json("histories.json", histories)
    run.write_predictions(frame)
    return run

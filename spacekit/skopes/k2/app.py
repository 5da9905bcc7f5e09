"""The app contract of the K2 transit classifier (see :mod:`spacekit.skopes`): train,
cross-validate (leave-one-star-out, ``cv="loso"``), score, predict, predict_batch and
load_model, and :class:`K2Model`, the scikit-learn-style estimator.

This module wraps :mod:`.classifier`, which keeps its own functions (``train``, ``evaluate``,
``predict`` with their older signatures).

Examples
--------
>>> from spacekit.skopes import k2
>>> k2.HEADLINE_METRICS[0]
'roc_auc_timescale_snr10'
>>> run = k2.train("k2-set.csv", runs_dir=tmp, fast=True)  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ...exceptions import InputError, NotFittedError
from ...utils.deprecation import deprecated_alias, warn_deprecated
from ...utils.estimator import ParamsMixin
from ...utils.runs import Run, tracks_runs
from .._app import CONTRACT, model_folder, predict_in_chunks
from . import classifier as _clf
from .classifier import APP, HEADLINE_METRICS, K2Classifier
from .settings import fit_settings

__all__ = [*CONTRACT, "K2Model", "evaluate"]


class K2Model(ParamsMixin):
    """The K2 transit classifier as an estimator: ``fit(X, y)`` on raw flux windows
    ``(n, length)`` and labels (1 = planet), ``predict_proba``/``predict`` on windows.

    scikit-learn (the boosting member) and Keras are imported only inside ``fit``; the
    settings are those of :func:`train`.

    Parameters
    ----------
    epochs, batch_size, learning_rate : int, int, float
        Training settings.
    seed : int
        Makes training repeatable.
    fast : bool
        A tiny network (tests and smoke runs).
    network : {"folded", "global", "seed"}
        The network (see :mod:`spacekit.skopes.k2.settings`).
    threshold : float
        Decision threshold of :meth:`predict`.
    train_min_snr : float or None
        Leave injected transits with SNR below this out of training (needs ``meta``).
    progress : bool, optional
        Progress bars (``show_progress`` of :func:`train`).

    Attributes
    ----------
    classifier_ : K2Classifier
        The fitted network, boosting member and metadata.

    Examples
    --------
    >>> from sklearn.base import clone
    >>> clone(K2Model(fast=True, epochs=2)).get_params()["epochs"]
    2
    """

    def __init__(
        self,
        *,
        epochs: int = 10,
        batch_size: int = 32,
        learning_rate: float = 1e-3,
        seed: int = 0,
        fast: bool = False,
        network: str = "folded",
        threshold: float = 0.5,
        train_min_snr: float | None = 5.0,
        progress: bool | None = None,
    ) -> None:
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.seed = seed
        self.fast = fast
        self.network = network
        self.threshold = threshold
        self.train_min_snr = train_min_snr
        self.progress = progress

    def fit(self, X: Any, y: Any, meta: pd.DataFrame | None = None) -> K2Model:
        """Fit on windows ``X`` and labels ``y`` (0/1); ``meta`` (the build sidecar) lets
        ``train_min_snr`` leave undetectable injections out.

        Parameters
        ----------
        X : array-like
            Raw flux windows, shape (n, length).
        y : array-like
            Labels (1 = planet).
        meta : pandas.DataFrame, optional
            The build sidecar (one row per window).

        Returns
        -------
        K2Model
            This model, fitted.
        """
        params = self.get_params()
        params["show_progress"] = params.pop("progress")
        settings = fit_settings(params, where="K2Model.fit")  # checked before the data are read
        X, y, meta, _ = _clf._read((X, y, meta) if meta is not None else (X, y))
        model, boost, _, _, metadata = _clf.fit_members(X, y, meta, **settings)
        self.classifier_ = K2Classifier(model, metadata, boost)
        self.n_features_in_ = int(X.shape[1])
        return self

    def _fitted(self) -> K2Classifier:
        if not hasattr(self, "classifier_"):
            raise NotFittedError("this K2Model is not fitted; call fit or load_model(folder)")
        return self.classifier_

    def predict_proba(self, X: Any) -> np.ndarray:
        """Planet probability of each window, shape ``(n,)``.

        Parameters
        ----------
        X : array-like
            Raw flux windows, shape (n, length).

        Returns
        -------
        numpy.ndarray
            Probabilities, shape (n,).
        """
        return self._fitted().predict_proba(X, show_progress=self.progress)

    def predict(self, X: Any) -> np.ndarray:
        """1 (planet) where the probability is at or above the threshold, else 0.

        Parameters
        ----------
        X : array-like
            Raw flux windows, shape (n, length).

        Returns
        -------
        numpy.ndarray
            0/1 per window.
        """
        return (self.predict_proba(X) >= self._fitted().threshold).astype(int)


@tracks_runs  # the run folder ends complete, failed or interrupted
def train(
    data: Any,
    *,
    runs_dir: str | os.PathLike | None = None,
    name: str | None = None,
    seed: int = 0,
    fast: bool = False,
    progress: bool | None = None,
    **settings: Any,
) -> Run:
    """Train the classifier on a flux table; write a ``k2`` run folder.

    Parameters
    ----------
    data : path, registered dataset name or (X, y[, meta])
        A Kaggle-format flux table (with its ``.meta.csv`` sidecar when built by
        :func:`~spacekit.skopes.k2.build_training_set`).
    runs_dir : path, optional
        Parent of run folders (default ``conf.runs_dir``).
    name : str, optional
        Run name (default ``"train"``).
    seed : int
        Makes training repeatable.
    fast : bool
        A tiny network (tests, smoke runs).
    progress : bool, optional
        Progress bars (default: the ``progress`` setting).
    **settings
        ``epochs``, ``batch_size``, ``learning_rate``, ``network``, ``threshold``,
        ``train_min_snr``: see :func:`spacekit.skopes.k2.classifier.train`.

    Returns
    -------
    Run

    Examples
    --------
    >>> run = train("k2-set.csv", epochs=5)  # doctest: +SKIP
    """
    settings = _settings("train", settings, progress=progress, seed=seed, fast=fast)
    return _clf.train(data, runs_dir=runs_dir, name=name or "train", **settings)


def _settings(func: str, settings: dict, *, progress: bool | None, **given: Any) -> dict:
    """The classifier's training settings: ``given``, ``settings`` and ``progress`` (as
    ``show_progress``; the older keyword ``show_progress`` still works, deprecated)."""
    if "show_progress" in settings:
        warn_deprecated(f"k2.{func}(show_progress=...) was renamed to progress=", since="2.0")
        progress = settings.pop("show_progress")
    return {**given, **settings, "show_progress": progress}


@tracks_runs  # the run folder ends complete, failed or interrupted
def cross_validate(
    data: Any,
    *,
    n_splits: int = 5,
    n_repeats: int = 3,
    seed: int = 0,
    runs_dir: str | os.PathLike | None = None,
    cv: str = "loso",
    name: str | None = None,
    fast: bool = False,
    progress: bool | None = None,
    snr_definitions: bool = True,
    **settings: Any,
) -> Run:
    """Leave-one-star-out cross-validation (``cv="loso"``, the only scheme: a star's windows
    are never split between training and test); a run folder.

    Parameters
    ----------
    data : path, registered dataset name or (X, y, meta)
        A built set with its metadata sidecar (groups, kinds, SNR).
    n_splits, n_repeats : int
        Accepted for the contract; leave-one-star-out has one fold per star (or synthetic
        group) and one repeat.
    seed : int
        Seed of each fold's training (``seed + fold``).
    runs_dir : path, optional
        Parent of run folders.
    cv : {"loso"}
        The scheme.
    name : str, optional
        Run name (default ``"loso"``).
    fast, progress
        As for :func:`train`.
    snr_definitions : bool
        Also score under the per-point std and the timescale (CDPP-like) SNR: needed for
        :data:`HEADLINE_METRICS` (default True).
    **settings
        ``epochs``, ``batch_size``, ``learning_rate``, ``network``, ``threshold``,
        ``train_min_snr``.

    Returns
    -------
    Run
        ``metrics.json``: the :data:`HEADLINE_METRICS` at the top level, the full
        :func:`~spacekit.skopes.k2.loso_metrics` under ``"k2"``, and the report of
        :func:`spacekit.computer.compute`.

    Examples
    --------
    >>> cv = cross_validate("k2-set.csv", cv="loso", epochs=5)  # doctest: +SKIP
    >>> cv.metrics["roc_auc_timescale_snr10"]  # doctest: +SKIP
    """
    if cv != "loso":
        raise InputError(
            f"cv must be 'loso' (leave-one-star-out: windows of one star never on both "
            f"sides), got {cv!r}"
        )
    settings = _settings("cross_validate", settings, progress=progress, seed=seed, fast=fast)
    run = _clf.evaluate(
        data, runs_dir=runs_dir, name=name or "loso", snr_definitions=snr_definitions, **settings
    )
    run.write_metrics(dict(run.metrics["k2"].get("headline") or {}))
    return run


def load_model(path_or_run: Any = None) -> K2Classifier:
    """Load a classifier: a model folder, a run folder (or :class:`Run`), a runs folder (its
    newest complete ``k2`` model), or by default the newest complete one under
    ``conf.runs_dir``.

    Parameters
    ----------
    path_or_run : path, Run or model, optional
        A model folder, a run folder (or :class:`~spacekit.utils.runs.Run`), a runs folder
        (its newest complete model), or an already loaded model (returned as it is).

    Returns
    -------
    K2Classifier
        The loaded classifier.

    Examples
    --------
    >>> clf = load_model("spacekit-runs")  # doctest: +SKIP
    """
    if isinstance(path_or_run, K2Model):
        return path_or_run._fitted()
    if isinstance(path_or_run, K2Classifier):
        return path_or_run
    if path_or_run is None:
        folder = _clf._latest_model(None) / "model"
    else:
        folder = model_folder(path_or_run, APP)
    clf = _clf.load_classifier(folder)
    clf.folder_ = folder
    return clf


def score(model: Any, data: Any, *, progress: bool | None = None) -> dict[str, Any]:
    """The metrics of a trained classifier on a labelled flux table: :data:`HEADLINE_METRICS`
    (None without the build sidecar, which holds the injections' depths and ephemerides), then
    precision, recall, ROC-AUC and recall at 90% precision over every window.

    Parameters
    ----------
    model : K2Classifier, Run or path
        A loaded classifier, or anything :func:`load_model` accepts.
    data : path, DataFrame or registered dataset name
        A labelled flux table; the headline needs its build sidecar (``.meta.csv``).
    progress : bool, optional
        Progress bars (default ``conf.progress``).

    Returns
    -------
    dict
        Metric name → value (:data:`HEADLINE_METRICS` first).

    Examples
    --------
    >>> score(run, "k2-set-test.csv")["roc_auc_timescale_snr10"]  # doctest: +SKIP
    """
    clf = load_model(model)
    X, y, meta, _ = _clf._read(data)
    proba = clf.predict_proba(X, show_progress=progress)
    headline: dict[str, Any] = dict.fromkeys(HEADLINE_METRICS)
    if meta is not None and "kind" in meta.columns:
        from .dataset import snr_definitions

        frame = meta.reset_index(drop=True).copy()
        frame["label"], frame["proba"] = y, proba
        try:
            frame["snr_timescale"] = snr_definitions(X, meta, show_progress=progress)[
                "snr_timescale"
            ].to_numpy()
        except (KeyError, ValueError, InputError):  # a sidecar without depths/ephemerides
            pass
        headline = _clf.headline_metrics(frame, threshold=clf.threshold)
    return {**headline, **_clf._binary_scores(y, proba, clf.threshold)}


def _legacy_predict(func):
    """``predict(paths, model=..., runs_dir=..., show_progress=...)`` (before 1.2) still works."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if len(args) == 1 and "data" not in kwargs:  # predict(paths, model=..., ...)
            warn_deprecated(
                "k2.predict(paths, model=..., runs_dir=..., show_progress=...) is deprecated; "
                "use predict(model, data) (model None: the newest under conf.runs_dir)",
                since="2.0",
            )
            model = kwargs.pop("model", None)
            runs_dir = kwargs.pop("runs_dir", None)
            if "show_progress" in kwargs:
                kwargs["progress"] = kwargs.pop("show_progress")
            if model is None:
                model = _clf._latest_model(runs_dir)
            return func(model, args[0], **kwargs)
        return func(*args, **kwargs)

    return wrapper


def _paths(data: Any) -> list:
    from ...datasets.tables import resolve_path

    items = [data] if isinstance(data, (str, os.PathLike)) else list(data)
    if not items:
        raise InputError("no data given: pass light-curve files, flux tables or dataset names")
    return [p if os.path.exists(p) else resolve_path(p, what="light curve or table") for p in items]


@_legacy_predict
def predict(
    model: Any,
    data: Any,
    *,
    read_kwargs: dict | None = None,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Planet probability of light curves (FITS/csv) or of the rows of flux tables.

    Parameters
    ----------
    model : K2Classifier, K2Model, Run or path
        A loaded model or anything :func:`load_model` accepts (None: the newest under
        ``conf.runs_dir``).
    data : path, registered dataset name, or a sequence of them
        Light-curve files or Kaggle-format tables (one result per row).
    read_kwargs : dict, optional
        For :func:`~spacekit.transformer.read_lightcurve` (e.g. ``{"time_format": "bkjd"}``).
    progress : bool, optional
        Progress bars.

    Returns
    -------
    pandas.DataFrame
        ``path, source, row, target, probability, planet, n_windows, label`` (see
        :func:`spacekit.skopes.k2.classifier.predict`).

    Examples
    --------
    >>> predict(run, ["kplr010666592-2009131110544_slc.fits"])  # doctest: +SKIP
    """
    from ...utils.manifest import check_ranges, read_manifest

    clf = load_model(model)
    folder = getattr(clf, "folder_", None)
    if folder is not None:
        check_ranges(read_manifest(folder, app=APP), None, where=str(folder))
    return _clf.predict(_paths(data), model=clf, read_kwargs=read_kwargs, show_progress=progress)


def _predict_chunk(model: Any, paths: Sequence, read_kwargs: dict | None) -> pd.DataFrame:
    return _clf.predict(
        paths, model=load_model(model), read_kwargs=read_kwargs, show_progress=False
    )


def predict_batch(
    model: K2Classifier | Run | str | os.PathLike | None,
    data: Any,
    *,
    client: Any = None,
    chunk_size: int | None = None,
    read_kwargs: dict | None = None,
) -> pd.DataFrame:
    """Predict many light curves or tables on Dask (chunks of files per task).

    Parameters
    ----------
    model : K2Classifier, Run or path
        A loaded model or anything :func:`load_model` accepts (a cluster's workers get the
        folder and load it once per task).
    data : sequence of paths or dataset names
        Light-curve files or flux tables.
    client : None, str, distributed.Client or distributed.LocalCluster
        Where to run (:func:`spacekit.utils.parallel.run_tasks`); None: in this process.
    chunk_size : int, optional
        Files per task (default 8).
    read_kwargs : dict, optional
        For :func:`~spacekit.transformer.read_lightcurve`.

    Returns
    -------
    pandas.DataFrame
        As :func:`predict`, in the order of ``data``.

    Examples
    --------
    >>> predict_batch(run, paths, client="tcp://scheduler:8786")  # doctest: +SKIP
    """
    paths = _paths(data)
    clf = load_model(model)
    # one Keras model in this process: its chunks run one after another
    parts = predict_in_chunks(
        _predict_chunk,
        clf,
        paths,
        client=client,
        chunk_size=chunk_size,
        default_size=8,
        label="chunk_size",
        extra=(read_kwargs,),
        require_folder=True,
        scheduler="synchronous",
    )
    return pd.concat(parts, ignore_index=True)


# Deprecated: leave-one-star-out is :func:`cross_validate` (``cv="loso"``) since 2.0.
evaluate = deprecated_alias(_clf.evaluate, "evaluate", since="2.0", note=' (cv="loso")')

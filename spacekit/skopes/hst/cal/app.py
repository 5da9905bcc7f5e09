"""The app contract of the HST calibration resource models (see :mod:`spacekit.skopes`):
train, cross-validate, score, predict, predict_batch and load_model, and :class:`CalModel`,
the scikit-learn-style estimator around the whole pipeline.

This module wraps :mod:`.pipeline` (training, calibration, evaluation) and :mod:`.predict`
(serving: :class:`~.predict.CalPredictor`, the Lambda handler), which keep their own functions.

Examples
--------
>>> from spacekit.skopes.hst import cal
>>> cal.HEADLINE_METRICS[:2]
('bin_accuracy', 'under_bin_rate')
>>> run = cal.train("hst_cal_sample_20", runs_dir=tmp, fast=True)  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ....exceptions import InputError
from ....utils.deprecation import deprecated_alias, warn_deprecated
from ....utils.estimator import ParamsMixin
from ....utils.runs import Run, tracks_runs
from ..._app import CONTRACT, model_folder

__all__ = [*CONTRACT, "CalModel", "CrossValidationRun", "evaluate"]

APP = "hst_cal"
#: What the dashboard and reports show first (the first keys of :func:`score`).
HEADLINE_METRICS = (
    "bin_accuracy",
    "under_bin_rate",
    "over_bin_rate",
    "memory_rmse_gb",
    "wallclock_mdape",
    "wallclock_under_rate",
)
_UNSET: Any = object()


class CalModel(ParamsMixin):
    """The HST calibration pipeline as an estimator: ``fit`` trains and calibrates the three
    models on a training table, ``predict`` answers a table of jobs.

    scikit-learn is imported only inside ``fit``; a fitted model predicts without it.
    Parameters are those of :func:`train`.

    Parameters
    ----------
    seed : int
        Seed of splits and models.
    fast : bool
        A small model in seconds (tests, demos).
    candidates : sequence of str, optional
        Model kinds compared per target (see :func:`train`).
    under_bin_target : float
        Highest acceptable under-bin rate of the submitted ``memBin`` on held-out data.
    wallclock_coverage, memory_coverage : float
        Share of held-out jobs the kill time and the memory upper bound must cover.
    margin_confidence : float
        Group-bootstrap confidence of the bin margin.
    bin_rule : {"upper_quantile", "upper_quantile_max", "classifier_max"}
        How the submitted bin is chosen (see :func:`train`).
    kill_rule : {"group_quantile", "row_bootstrap"}
        How the kill time's margin is calibrated (see :func:`train`).

    Attributes
    ----------
    predictor_ : CalPredictor
        The fitted models and margins (what a model folder holds).
    feature_ranges_ : dict
        The training ranges of the nine features.

    Examples
    --------
    >>> from sklearn.base import clone
    >>> model = CalModel(fast=True, seed=1)
    >>> clone(model).get_params()["seed"]
    1
    >>> from spacekit.datasets import load
    >>> table = load("hst_cal_sample_20")  # doctest: +SKIP
    >>> CalModel(fast=True).fit(table).predict(table)["memBin"].shape  # doctest: +SKIP
    (20,)
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        fast: bool = False,
        candidates: Sequence[str] | None = None,
        under_bin_target: float = 0.005,
        wallclock_coverage: float = 0.99,
        memory_coverage: float = 0.99,
        margin_confidence: float = 0.8,
        bin_rule: str = "upper_quantile",
        kill_rule: str = "group_quantile",
    ) -> None:
        self.seed = seed
        self.fast = fast
        self.candidates = candidates
        self.under_bin_target = under_bin_target
        self.wallclock_coverage = wallclock_coverage
        self.memory_coverage = memory_coverage
        self.margin_confidence = margin_confidence
        self.bin_rule = bin_rule
        self.kill_rule = kill_rule

    def fit(self, X: Any, y: Any = None) -> CalModel:
        """Fit on a training table (path, DataFrame or dataset name, with the targets
        ``mem_bin``, ``memory``, ``wallclock``; ``y`` is unused).

        Parameters
        ----------
        X : path, pandas.DataFrame or dataset name
            The training table.
        y : None
            Unused (the targets are columns of ``X``).

        Returns
        -------
        CalModel
            This model, fitted.
        """
        from ....utils.manifest import feature_ranges
        from .features import FEATURES
        from .pipeline import _load, fit_pipeline

        df, self.data_sha256_, _ = _load(X)
        self.predictor_, self.info_ = fit_pipeline(df, **self.get_params())
        self.feature_ranges_ = feature_ranges(df, FEATURES)
        return self

    def predict(self, X: Any) -> Any:
        """Predict every row of a table (see :meth:`CalPredictor.predict_batch`).

        Parameters
        ----------
        X : path, pandas.DataFrame or dataset name
            A table of jobs in the training-data format.

        Returns
        -------
        pandas.DataFrame
            One row per job (``memBin``, ``memVal``, ``clockTime``...).
        """
        from ....exceptions import NotFittedError

        if not hasattr(self, "predictor_"):
            raise NotFittedError("this CalModel is not fitted; call fit or load_model(folder)")
        return self.predictor_.predict_batch(_table(X))


def _table(data: Any) -> Any:
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data
    from ....datasets.tables import resolve_table

    return resolve_table(data, what="table of jobs", format="csv")


def _legacy_out_dir(func):
    """``train(data, out_dir)`` (before 1.2) still works: the runs folder as ``runs_dir``."""

    @functools.wraps(func)
    def wrapper(data: Any, *args: Any, **kwargs: Any) -> Any:
        if args or "out_dir" in kwargs:
            warn_deprecated(
                "hst.cal.train(data, out_dir) is deprecated; use train(data, runs_dir=out_dir)",
                since="2.0",
            )
            if "runs_dir" in kwargs:
                raise InputError(
                    "train() got both out_dir (deprecated) and runs_dir; pass runs_dir"
                )
            kwargs["runs_dir"] = args[0] if args else kwargs.pop("out_dir")
        return func(data, **kwargs)

    return wrapper


@_legacy_out_dir
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
    """Train the three models, calibrate their margins and write a run folder.

    Parameters
    ----------
    data : path, DataFrame or registered dataset name
        A table in the training-data or DynamoDB-export format.
    runs_dir : path, optional
        Parent of run folders (default ``conf.runs_dir``).
    name : str, optional
        Run name (default ``"train"``).
    seed : int
        Seed of splits and models (training is reproducible given it).
    fast : bool
        A small model in seconds (tests, demos).
    progress : bool, optional
        Accepted for the contract (the pipeline logs its steps).
    **settings
        The pipeline's own settings (``candidates``, ``under_bin_target``,
        ``wallclock_coverage``, ``memory_coverage``, ``margin_confidence``, ``bin_rule``,
        ``kill_rule``, ``figures``): see :func:`spacekit.skopes.hst.cal.pipeline.train`.

    Returns
    -------
    Run
        ``run.model_dir`` loads with :func:`load_model`.

    Examples
    --------
    >>> run = train("hst_cal_2021_05_11", runs_dir="runs", fast=True)  # doctest: +SKIP
    """
    from . import pipeline

    return pipeline.train(data, runs_dir, seed=seed, fast=fast, name=name or "train", **settings)


class CrossValidationRun(Run):
    """The run folder of :func:`cross_validate`; indexing it (``cv["mean"]``) reads the result
    dict the older ``cross_validate`` returned (deprecated: read ``run.metrics``)."""

    result: dict

    def __getitem__(self, key: str) -> Any:
        warn_deprecated(
            f"cross_validate(...)[{key!r}] is deprecated: cross_validate returns a run folder; "
            "read run.metrics (mean, worst, folds, by_time, settings)",
            since="2.0",
        )
        return self.result[key]


@tracks_runs  # the run folder ends complete, failed or interrupted
def cross_validate(
    data: Any,
    *,
    n_splits: int = 5,
    n_repeats: int = 3,
    seed: int = 0,
    runs_dir: str | os.PathLike | None = None,
    name: str | None = None,
    progress: bool | None = None,
    **settings: Any,
) -> CrossValidationRun:
    """Repeated grouped k-fold of the whole pipeline (fit, margins, predict); a run folder.

    Parameters
    ----------
    data : path, DataFrame or registered dataset name
        A training table.
    n_splits, n_repeats : int
        Folds per repeat (whole groups of identical feature vectors held out) and repeats.
    seed : int
        Seed of the folds and the models.
    runs_dir : path, optional
        Parent of run folders.
    name : str, optional
        Run name (default ``"cv"``).
    progress : bool, optional
        Progress bar over folds.
    **settings
        ``kinds``, ``candidates``, ``fast``, ``bin_rule`` ... as in
        :func:`spacekit.skopes.hst.cal.pipeline.cross_validate`.

    Returns
    -------
    CrossValidationRun
        ``metrics.json``: ``mean``, ``worst``, ``worst_fold``, ``folds``, ``by_time``,
        ``settings``; ``predictions.csv``: out-of-fold predictions of the first repeat.

    Examples
    --------
    >>> cv = cross_validate("hst_cal_2021_05_11", n_splits=5, n_repeats=3)  # doctest: +SKIP
    >>> cv.metrics["mean"]["under_bin_rate"] <= 0.005  # doctest: +SKIP
    True
    """
    from . import pipeline

    result = pipeline.cross_validate(
        data, n_splits=n_splits, n_repeats=n_repeats, seed=seed, progress=progress, **settings
    )
    st = result["settings"]
    run = Run.create(
        APP,
        name or "cv",
        runs_dir=runs_dir,
        parameters={k: v for k, v in st.items() if k not in ("data_sha256",)},
        seed=seed,
        data_sha256=st.get("data_sha256"),
    )
    run = CrossValidationRun(run.path)
    run.result = result
    run.write_metrics({k: result[k] for k in ("mean", "worst", "worst_fold", "folds", "by_time")})
    run.write_metrics({"settings": st})
    run.write_predictions(result["oof"])
    return run


def load_model(path_or_run: Any = None, *, decision: str | None = None, history: Any = None) -> Any:
    """Load a model: a model folder, a run folder (or :class:`Run`), a runs folder (its newest
    complete ``hst_cal`` model) or, by default, the shipped/configured model
    (``$SPACEKIT_HST_CAL_MODEL_DIR``, else ``<conf.model_dir>/hst_cal``).

    Parameters
    ----------
    path_or_run : path, Run or model, optional
        A model folder, a run folder (or :class:`~spacekit.utils.runs.Run`), a runs folder
        (its newest complete model), or an already loaded model (returned as it is).
    decision : {"cost", "margins", "argmax"}, optional
        The decision rule for ``memBin`` and the kill time (default the folder's own; see
        :func:`~spacekit.skopes.hst.cal.predict.load_predictor`).
    history : JobHistory or path, optional
        What finished jobs of the same inputs needed
        (:class:`~spacekit.skopes.hst.cal.history.JobHistory` or its saved file): the cost rule
        learns from it (see :func:`~spacekit.skopes.hst.cal.predict.load_predictor`).

    Returns
    -------
    CalPredictor
        With ``manifest_`` (the folder's :class:`~spacekit.utils.manifest.ModelManifest`).

    Examples
    --------
    >>> model = load_model("spacekit-runs")  # doctest: +SKIP
    """
    from ....utils.manifest import read_manifest
    from .history import load_history
    from .predict import CalPredictor, check_decision, load_predictor

    if isinstance(path_or_run, CalModel):
        path_or_run = path_or_run.predictor_
    if isinstance(path_or_run, CalPredictor):
        if decision is not None:
            check_decision(decision)
            path_or_run.decision = decision
        if history is not None:
            path_or_run.history = load_history(history)
        return path_or_run
    where = None if path_or_run is None else model_folder(path_or_run, APP)
    predictor = load_predictor(where, decision=decision, history=history)
    predictor.manifest_ = read_manifest(predictor.model_dir, app=APP)
    return predictor


def _manifest(predictor: Any) -> Any:
    """The model's manifest (read once from its folder when the predictor was loaded
    without it, e.g. by the Lambda handler); None when the folder has none."""
    from ....exceptions import SpacekitError
    from ....utils.manifest import read_manifest

    if getattr(predictor, "manifest_", None) is None:
        try:
            predictor.manifest_ = read_manifest(predictor.model_dir, app=APP)
        except (SpacekitError, OSError):
            predictor.manifest_ = None
    return predictor.manifest_


def _check_ranges(predictor: Any, table: Any) -> list[str] | None:
    """Warn about inputs outside the training ranges; return the per-row flags
    (:func:`~spacekit.utils.manifest.range_flags`; None: the model keeps no ranges)."""
    from ....utils.manifest import check_ranges, range_flags

    manifest = _manifest(predictor)
    check_ranges(manifest, table, where=str(predictor.model_dir))
    return range_flags(getattr(manifest, "feature_ranges", None), table)


def flag_out_of_range(predictor: Any, result: dict) -> dict:
    """Add ``outOfRange`` to one job's prediction: the features outside the model's training
    ranges (``[]``: none; None: the model keeps no ranges, e.g. imported), with an
    :class:`~spacekit.utils.manifest.OutOfRangeWarning` when there are some.

    Examples
    --------
    >>> model = load_model()  # doctest: +SKIP
    >>> flag_out_of_range(model, predict(model, ("ib8t01010", "n_files=1e12")))  # doctest: +SKIP
    """
    flags = _check_ranges(predictor, {k: [v] for k, v in result["features"].items()})
    result["outOfRange"] = None if flags is None else [f for f in flags[0].split(",") if f]
    return result


def score(model: Any, data: Any) -> dict:
    """The metrics of a trained model on a table with ``memory`` and ``wallclock``
    (:data:`HEADLINE_METRICS` first, then every other metric).

    Parameters
    ----------
    model : CalPredictor, Run or path
        A loaded predictor, or anything :func:`load_model` accepts.
    data : path, DataFrame or registered dataset name
        Jobs with their measured ``memory`` and ``wallclock`` (the training format).

    Returns
    -------
    dict
        Metric name → value.

    Examples
    --------
    >>> score("runs", "hst_cal_ddb_export_2021_05_11")["under_bin_rate"]  # doctest: +SKIP
    0.0266...
    """
    from .features import prepare_table
    from .pipeline import evaluate

    predictor = load_model(model)
    _check_ranges(predictor, prepare_table(_table(data)))
    return evaluate(predictor, data)


def _is_item(data: Any) -> bool:
    from .sources import _MMF_NAME

    if isinstance(data, tuple) and len(data) == 2:
        return True
    return isinstance(data, (str, os.PathLike)) and bool(
        _MMF_NAME.match(Path(str(data).rstrip("/")).name)
    )


def predict(model: Any, data: Any) -> Any:
    """Predict one job or a table of jobs.

    Parameters
    ----------
    model : CalPredictor, Run or path
        A loaded model, or anything :func:`load_model` accepts (None: the default model).
    data : (ipst, features), MemModelFeatures file, or a table
        One job: an ``(ipst, features)`` pair (features as :meth:`CalPredictor.predict`
        accepts) or an ``<ipst>_MemModelFeatures.txt`` path; many: a table (path, DataFrame
        or registered dataset name) in the training-data format.

    Returns
    -------
    dict or pandas.DataFrame
        One job: ``{"memBin", "memVal", "clockTime", ...}`` (calcloud's reply) plus
        ``outOfRange``; a table: one row per job (see :meth:`CalPredictor.predict_batch`)
        plus ``out_of_range``. Those list the features outside the model's training ranges
        (``[]``/``""``: none), with an :class:`~spacekit.utils.manifest.OutOfRangeWarning`;
        a model without ranges (imported) says once that it cannot check, and gives None.

    Examples
    --------
    >>> predict(None, ("la8p01010", "n_files=3\\ntotal_mb=2\\nDETECTOR=NUV"))  # doctest: +SKIP
    """
    predictor = load_model(model)
    if _is_item(data):
        ipst, features = (
            data if isinstance(data, tuple) else (Path(str(data)).name[:9].lower(), data)
        )
        return flag_out_of_range(predictor, dict(predictor.predict(ipst, features)))
    table = _table(data)
    from .features import prepare_table

    flags = _check_ranges(predictor, prepare_table(table, require_targets=False))
    out = predictor.predict_batch(table)
    if flags is not None and len(flags) == len(out):
        out["out_of_range"] = flags
    return out


def _legacy_table_first(func):
    """``predict_batch(df, model_dir=None, *, client=None)`` (before 1.2) still works."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import pandas as pd

        from .predict import CalPredictor

        first = args[0] if args else kwargs.get("df")
        rest = args[1] if len(args) > 1 else kwargs.get("model_dir", kwargs.get("data", _UNSET))
        if isinstance(first, pd.DataFrame) and (
            rest is _UNSET
            or rest is None
            or isinstance(rest, (str, os.PathLike, CalPredictor, Run))
        ):
            warn_deprecated(
                "hst.cal.predict_batch(df, model_dir) is deprecated; use "
                "predict_batch(model, data)",
                since="2.0",
            )
            for k in ("df", "model_dir", "model", "data"):
                kwargs.pop(k, None)
            return func(None if rest is _UNSET else rest, first, **kwargs)
        return func(*args, **kwargs)

    return wrapper


@_legacy_table_first
def predict_batch(
    model: Any, data: Any, *, client: Any = None, chunk_size: int | None = None
) -> Any:
    """Predict many jobs on Dask.

    Parameters
    ----------
    model : CalPredictor, Run or path
        A loaded model, or anything :func:`load_model` accepts (None: the default model).
    data : table, or mapping ipst -> features, or iterable of (ipst, features)
        A table (path, DataFrame or dataset name): identical feature vectors are predicted
        once, cut in chunks of ``chunk_size`` rows. MemModelFeatures sources: one reply
        each (:func:`~spacekit.skopes.hst.cal.predict_many`).
    client : None, str, distributed.Client or distributed.LocalCluster
        Where to run (:func:`spacekit.utils.parallel.run_tasks`); None: in-process.
    chunk_size : int, optional
        Rows (or datasets) per task; default: the whole table in one pass in-process,
        two tasks per worker on a cluster (64 datasets per task).

    Returns
    -------
    pandas.DataFrame or list of dict

    Examples
    --------
    >>> predict_batch("runs", "hst_cal_2021_05_11", client="tcp://scheduler:8786")  # doctest: +SKIP
    """
    import math

    import pandas as pd

    from .predict import predict_many

    predictor = load_model(model)
    if isinstance(data, Mapping) or (
        not isinstance(data, (str, os.PathLike, pd.DataFrame)) and hasattr(data, "__iter__")
    ):
        return predict_many(data, predictor, client=client, chunk_size=chunk_size or 64)
    table = _table(data)
    from .features import prepare_table

    flags = _check_ranges(predictor, prepare_table(table, require_targets=False))
    parts = None
    if chunk_size is not None:
        from ....utils.checks import whole_number

        chunk_size = whole_number(chunk_size, "chunk_size (rows per task)", minimum=1)
        parts = max(1, math.ceil(len(table) / chunk_size))
    if client is None and parts is None:
        out = predictor.predict_batch(table)
    elif client is None:
        from ....utils.parallel import run_tasks

        chunks = [table.iloc[i : i + chunk_size] for i in range(0, len(table), chunk_size)]
        frames = run_tasks(_predict_rows, [(predictor, c) for c in chunks])
        out = pd.concat(frames) if frames else predictor.predict_batch(table)
    else:
        out = predictor.predict_batch(table, client=client, npartitions=parts)
    if flags is not None and len(flags) == len(out):
        out["out_of_range"] = flags  # as predict(): the features outside the training ranges
    return out


def _predict_rows(predictor: Any, table: Any) -> Any:
    return predictor.predict_batch(table)


#: Deprecated name of :func:`score` (since spacekit 2.0).
evaluate = deprecated_alias(score, "evaluate", since="2.0")

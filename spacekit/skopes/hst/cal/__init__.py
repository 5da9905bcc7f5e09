"""Predict the memory bin, peak memory (GB) and wallclock (s) of an HST calibration job.

The predictions come from nine features of the job's inputs, with calibrated safety margins;
train, evaluate, predict, batch prediction and an AWS Lambda handler.

Main entry points (loaded on first use, so prediction never imports TensorFlow or
scikit-learn). The app contract (:mod:`spacekit.skopes.hst.cal.app`, the same for every app):

- :func:`train` (``data, *, runs_dir``) -> run folder with a versioned ``model/``;
- :func:`cross_validate` (repeated grouped k-fold) -> run folder;
- :func:`score` (``model, data``) -> metrics, :data:`HEADLINE_METRICS` first;
- :func:`predict` (``model, data``: one job or a table), :func:`predict_batch` (Dask);
- :func:`load_model` -> :class:`CalPredictor` with ``predict(ipst, features)`` ->
  ``{"memBin", "memVal", "clockTime", ...}`` and ``predict_batch(df)``;
  :class:`CalModel`: the pipeline as a scikit-learn-style estimator.

Serving and the rest:

- :func:`load_predictor` (``model_dir``), the loader behind :func:`load_model`;
- ``evaluate`` (deprecated: :func:`score`);
- :func:`parse_memmodel_features` (:func:`memmodel_pairs` for the raw lines), :func:`prepare_table`;
- :func:`lambda_handler` (AWS Lambda, calcloud's event; never raises: fail-safe replies),
  :func:`predict_many` (Dask);
- :mod:`~spacekit.skopes.hst.cal.calcloud`: calcloud's own arithmetic on the reply (kill time,
  queue ladder), for tests, replays and operators.

Examples
--------
>>> from spacekit.skopes.hst.cal import parse_memmodel_features
>>> parse_memmodel_features("n_files=2\\ntotal_mb=4.03\\nDETECTOR=UVIS", "iaao11ofq")["detector"]
1
"""

from __future__ import annotations

from spacekit.utils.lazy import lazy_exports

_EXPORTS = {
    "FEATURES": "features",
    "CalFeatureWarning": "features",
    "parse_memmodel_features": "features",
    "memmodel_pairs": "features",
    "prepare_table": "features",
    "check_ipppssoot": "features",
    "memory_to_bin": "features",
    "CalPredictor": "predict",
    "load_predictor": "predict",
    "read_features": "predict",
    "lambda_handler": "handler",
    "predict_many": "predict",
    "HEADLINE_METRICS": "app",
    "CalModel": "app",
    "train": "app",
    "cross_validate": "app",
    "score": "app",
    "predict": "app",
    "predict_batch": "app",
    "load_model": "app",
    "evaluate": "app",
    "fit_pipeline": "pipeline",
    "score_predictions": "pipeline",
    "EVALUATE_KEYS": "pipeline",
    "PowerStandardizer": "transform",
    "DenseNetwork": "export",
    "TreeEnsemble": "export",
    "predict_dense": "export",
}

__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)

"""Predict the memory bin, peak memory (GB) and wallclock (s) of an HST calibration job from nine features of its inputs, with calibrated safety margins; train, evaluate, predict, batch prediction and an AWS Lambda handler.

Main entry points (loaded on first use, so prediction never imports TensorFlow or
scikit-learn):

- :func:`train` (``data, out_dir``) -> run folder with a versioned ``model/``;
- :func:`load_predictor` (``model_dir``) -> :class:`CalPredictor` with
  ``predict(ipst, features)`` -> ``{"memBin", "memVal", "clockTime", ...}`` and
  ``predict_batch(df)``;
- :func:`evaluate`, :func:`cross_validate` (repeated grouped k-fold);
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
    "train": "pipeline",
    "evaluate": "pipeline",
    "cross_validate": "pipeline",
    "fit_pipeline": "pipeline",
    "score_predictions": "pipeline",
    "EVALUATE_KEYS": "pipeline",
    "PowerStandardizer": "transform",
    "DenseNetwork": "export",
    "TreeEnsemble": "export",
    "predict_dense": "export",
}

__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS, extra=["predict_batch"])


def predict_batch(df, model_dir=None, *, client=None):
    """Predict every row of a table with the model in ``model_dir`` (see :meth:`CalPredictor.predict_batch`).

    Examples
    --------
    >>> predict_batch(table, "runs/hst_cal")  # doctest: +SKIP
    """
    from .predict import load_predictor

    return load_predictor(model_dir).predict_batch(df, client=client)

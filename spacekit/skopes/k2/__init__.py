"""Classify stellar flux series as containing a transiting planet or not: build training sets
from real light curves with injected transits, train a 1D CNN, evaluate leave-one-star-out,
predict.

Layer 6 (apps). Names load lazily, so ``import spacekit.skopes.k2`` stays light.

===================================  ===============================================================
``build_training_set``               real windows (known transits masked) + batman-injected transits
                                     + synthetic noise -> Kaggle-format csv + metadata
``load_kaggle_table``                the Kaggle "Exoplanet Hunting in Deep Space" tables (registry)
``write_flux_table``                 write ``LABEL, FLUX.1 ... FLUX.n`` (+ ``.meta.csv`` sidecar)
``read_flux_table_with_meta``        read it back as ``(X, y, meta)``
``train`` / ``cross_validate``       fit the CNN / leave-one-star-out (``cv="loso"``) -> run folder
``score`` / ``HEADLINE_METRICS``     ROC-AUC and recall at 90% precision, timescale SNR >= 10, 15
``predict_batch`` / ``load_model``   Dask over many files / model, run or runs folder
``K2Model``                          the classifier as a scikit-learn-style estimator
``fold_features``                    box search + folded global/local views (``network="folded"``)
``whitened_box_search`` ...          matched filter in coloured noise (AR pre-whitening):
                                     ``whitened_snr_at``, ``whitened_features``
``predict`` / ``load_classifier``    probability of a transit for light curves or table rows
                                     (``predict(model, data)``; ``evaluate`` is deprecated)
``synthetic_window`` ...             noise generators: ``red_noise``, ``stellar_variability``,
                                     ``flares``, ``white_noise``
``transit_model`` ...                batman transits: ``inject_transit``, ``draw_transit``,
                                     ``transit_snr``
``snr_definitions``                  each injection's SNR under the issue's definition, the
                                     per-point std and the timescale (CDPP-like) noise:
                                     ``transit_snr_definitions``, ``point_scatter``,
                                     ``timescale_scatter``
===================================  ===============================================================

Examples
--------
>>> from spacekit.skopes import k2
>>> ts = k2.build_training_set("k2-data", n_synthetic=200)  # doctest: +SKIP
>>> run = k2.cross_validate(ts.path, cv="loso", epochs=10)  # doctest: +SKIP
>>> run.metrics["roc_auc_timescale_snr10"]  # doctest: +SKIP
"""

from __future__ import annotations

from ...utils.lazy import lazy_exports

_EXPORTS = {
    "DEFAULT_STARS": "dataset",
    "KAGGLE_LENGTH": "dataset",
    "StarSpec": "dataset",
    "TrainingSet": "dataset",
    "build_training_set": "dataset",
    "composition": "dataset",
    "find_ephemerides": "dataset",
    "load_kaggle_table": "dataset",
    "read_build_summary": "dataset",
    "snr_definitions": "dataset",
    "NOISE_RANGES": "noise",
    "NOISE_KINDS": "noise",
    "white_noise": "noise",
    "red_noise": "noise",
    "stellar_variability": "noise",
    "flares": "noise",
    "synthetic_window": "noise",
    "robust_scatter": "noise",
    "point_scatter": "noise",
    "timescale_scatter": "noise",
    "TRANSIT_RANGES": "inject",
    "TransitParams": "inject",
    "transit_model": "inject",
    "draw_transit": "inject",
    "inject_transit": "inject",
    "transit_snr": "inject",
    "transit_snr_timescale": "inject",
    "transit_snr_definitions": "inject",
    "Ephemeris": "windows",
    "cut_windows": "windows",
    "window_starts": "windows",
    "in_transit": "windows",
    "mask_transits": "windows",
    "write_flux_table": "kaggle",
    "read_flux_table_with_meta": "kaggle",
    "PREPROCESSING": "classifier",
    "K2Classifier": "classifier",
    "preprocess": "classifier",
    "HEADLINE_METRICS": "app",
    "K2Model": "app",
    "train": "app",
    "cross_validate": "app",
    "score": "app",
    "predict": "app",
    "predict_batch": "app",
    "load_model": "app",
    "evaluate": "app",
    "headline_metrics": "classifier",
    "fit_members": "classifier",
    "load_classifier": "classifier",
    "loso_metrics": "classifier",
    "leave_one_star_out_folds": "classifier",
    "build_transit_cnn": "network",
    "build_folded_cnn": "network",
    "model_inputs": "classifier",
    "fold_features": "folded",
    "fold_view": "folded",
    "whitened_box_search": "whiten",
    "whitened_snr_at": "whiten",
    "whitened_features": "whiten",
}

__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)

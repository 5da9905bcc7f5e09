"""Predict the memory (GB) of JWST Level-3 products from the headers of their uncal
exposures: ingest, train and predict.

- ingest (:mod:`.scrape`): :func:`scrape_headers`, :func:`group_products` (product names like
  ``jw02732-o001_t1_nircam_clear-f150w``), :func:`offset_statistics` (:mod:`.offsets`);
- training data from pipeline metadata (:mod:`.ingest`): :func:`build_training_table` (Level-3
  associations or product files + measured memory → the training table), reading associations
  with :mod:`.associations`; :func:`find_associations` (:mod:`.archive`: a program's Level-3
  associations on MAST);
- encoding (:mod:`.encode`): :func:`load_encoder_pairs`, :func:`encode_products`,
  :data:`IMAGE_FEATURES`, :data:`SPEC_FEATURES`;
- models (:mod:`.model`, :mod:`.regressor`): :class:`JwstMemoryModel` (one regressor per ``kind``),
  :func:`predict_products` (``{product: {"gbSize": value}}``, capped at 990 GB);
- the app contract (:mod:`spacekit.skopes.jwst.cal.app`, the same for every app): :func:`train`,
  :func:`cross_validate`, :func:`score`, :func:`predict` (a table ``product, kind, gbSize``),
  :func:`predict_batch` (Dask), :func:`load_model`, :data:`HEADLINE_METRICS`.

No public training data exists and no model is shipped: train one from your own table of
products with measured memory.

Examples
--------
>>> from spacekit.skopes.jwst import cal
>>> cal.product_name("2732", "1", 1, "NIRCAM", ["CLEAR", "F150W"])
'jw02732-o001_t1_nircam_clear-f150w'
"""

from __future__ import annotations

from spacekit.skopes._app import CONTRACT
from spacekit.utils.lazy import lazy_exports

_EXPORTS = {
    "scrape": [
        "REQUIRED_KEYS",
        "OPTIONAL_KEYS",
        "KNOWN_DETECTORS",
        "IMAGE_EXP_TYPES",
        "find_uncal_files",
        "scrape_headers",
        "product_name",
        "combine_detectors",
        "FEATURE_DEFINITIONS",
        "group_products",
    ],
    "offsets": ["offset_statistics", "upstream_offset_statistics"],
    "encode": [
        "IMAGE_FEATURES",
        "SPEC_FEATURES",
        "CATEGORICAL",
        "load_encoder_pairs",
        "encode_value",
        "encode_products",
    ],
    "regressor": ["MAX_GB", "JwstMemoryModel"],
    "model": ["load_memory_model", "scrape_products"],
    "products": ["predict_products"],
    "associations": [
        "PRODUCT_SUFFIXES",
        "product_key",
        "read_association",
        "association_exposures",
        "product_exposures",
    ],
    "archive": ["find_associations", "download_associations"],
    "ingest": [
        "SIZE_COLUMNS",
        "SIZE_UNITS",
        "read_sizes",
        "build_training_table",
        "example_pipeline_metadata",
    ],
    "app": [*CONTRACT, "example_products"],
}
__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)

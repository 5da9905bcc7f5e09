"""Flag misaligned HST single-visit mosaics (SVM) from quality-analysis features and rendered
image frames: ingest, train, evaluate and predict.

Stages and their functions:

- ingest (:mod:`.stages`): :func:`scrape_qa_json`, :func:`scrub_qa`,
  :func:`scrape_fits_headers`, :func:`add_target_category`, :func:`encode_features`,
  :func:`ingest`, :func:`load_feature_table` (re-derives ``det`` from ``index``);
- encodings (:mod:`.encode`): :data:`DETECTOR_CODES`, :data:`WCSTYPE_CODES`,
  :data:`CATEGORY_CODES`, :func:`encode_detector`, :func:`encode_wcstype`,
  :func:`encode_category`, :func:`parse_index`, :func:`rederive_detector`,
  :func:`rederive_category`, :data:`LEGACY_CATEGORY_CODES`;
- images (:mod:`.images`): :func:`render_frames` (``(3, 128, 128, 3)`` stacks),
  :func:`save_frames_png`, :func:`load_image_arrays`; a folder of visits, total or per filter
  (:mod:`.image_batches`): :func:`build_image_arrays`; misaligned examples (:mod:`.misalign`):
  :func:`synthetic_misalignment`, :func:`synthetic_image_set` and :func:`misalignment_demo`
  (the ensemble on misaligned copies of rendered visits);
- models (:mod:`.model`): :class:`SvmModel` (``"gb"``, ``"gb_et"``, ``"mlp"``,
  ``"ensemble"``),
  :func:`load_svm_model`, :func:`proposal_split`, :func:`proposal_folds`;
- the app contract (:mod:`spacekit.skopes.hst.svm.app`, the same for every app; cross-validation
  in :mod:`spacekit.skopes.hst.svm.cv`, scores in :mod:`spacekit.skopes.hst.svm.scoring`):
  :func:`train`, :func:`cross_validate`, :func:`score`, :func:`predict`,
  :func:`predict_batch` (Dask), :func:`load_model`, :data:`HEADLINE_METRICS`; also
  :func:`predict_frame`, :func:`predict_to_run` and the deprecated ``evaluate``.

Examples
--------
>>> from spacekit.skopes.hst import svm
>>> svm.encode_detector("uvis")
3
"""

from __future__ import annotations

from spacekit.skopes._app import CONTRACT
from spacekit.utils.lazy import lazy_exports

_EXPORTS = {
    "encode": [
        "DETECTOR_CODES",
        "WCSTYPE_CODES",
        "CATEGORY_GROUPS",
        "CATEGORY_CODES",
        "FEATURES",
        "encode_detector",
        "encode_wcstype",
        "category_group",
        "encode_category",
        "parse_index",
        "proposal_of",
        "rederive_detector",
        "LEGACY_CATEGORY_CODES",
        "rederive_category",
    ],
    "stages": [
        "flatten_qa",
        "scrape_qa_json",
        "scrub_qa",
        "scrape_fits_headers",
        "add_target_category",
        "encode_features",
        "ingest",
        "load_feature_table",
    ],
    "images": [
        "render_frames",
        "save_frames_png",
        "validate_image_stack",
        "load_image_arrays",
        "load_image",
    ],
    "image_batches": ["find_drizzles", "build_image_arrays"],
    "misalign": [
        "shift_catalog",
        "synthetic_misalignment",
        "shift_overlay",
        "synthetic_image_set",
        "misalignment_demo",
    ],
    "model": [
        "SvmModel",
        "load_svm_model",
        "feature_matrix",
        "feature_names",
        "proposal_split",
        "proposal_folds",
        "proposal_groups",
        "DERIVED",
        "PIXEL_SCALE_MAS",
        "MODEL_KINDS",
    ],
    "app": [
        *CONTRACT,
        "evaluate",
        "predict_frame",
        "predict_to_run",
        "binary_metrics",
        "align_images",
    ],
}
__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)

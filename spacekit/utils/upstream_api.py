"""Upstream spacekit 1.1.4's Python API, and what to use here instead.

This spacekit is a rewrite: most of upstream's modules (``spacekit.extractor``,
``spacekit.preprocessor``, ``spacekit.builder.architect``...) and classes (``Predict``,
``JwstCalPredict``, ``HstCalPlots``...) do not exist here. So that code written for upstream
fails with a message that says what to use rather than a bare ``ModuleNotFoundError`` or
``cannot import name``, each upstream module path that this package lacks is a stub module that
raises :class:`~spacekit.exceptions.UpstreamAPIError` when imported
(:func:`removed_module`), and each module that exists in both answers upstream's names with the
same error (:func:`upstream_getattr`). :data:`MODULES` and :data:`NAMES` are the table; the
migration guide ``docs/upstream.rst`` shows it.

``UpstreamAPIError`` is an ``ImportError``, so ``from upstream_module import Name`` shows the
message (Python replaces an ``AttributeError`` raised there by its own "cannot import name").

Examples
--------
>>> try:
...     import spacekit.extractor.scrape
... except ImportError as exc:
...     message = str(exc)
>>> message[:61]
"spacekit.extractor is upstream spacekit 1.1.4's and is not pa"
>>> from spacekit.utils.upstream_api import replacement
>>> replacement("spacekit.preprocessor.transform.PowerX")[:46]
'PowerX: spacekit.transformer.PowerStandardizer'
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from ..exceptions import UpstreamAPIError

__all__ = [
    "DATASETS",
    "LOAD_KEYWORDS",
    "MODULES",
    "NAMES",
    "STUBS",
    "removed_module",
    "replacement",
    "upstream_getattr",
    "upstream_model_hint",
]

GUIDE = "docs/upstream.rst, 'Upstream's Python API'"

_CAL = "spacekit.skopes.hst.cal"
_SVM = "spacekit.skopes.hst.svm"
_JWST = "spacekit.skopes.jwst.cal"

#: Upstream module -> what to use here, for the upstream modules this package does not have
#: (each has a stub module that raises :class:`~spacekit.exceptions.UpstreamAPIError`).
MODULES: dict[str, str] = {
    "spacekit.analyzer.compute": (
        "spacekit.computer: make_report (alias compute), binary_metrics, classification_metrics,"
        " regression_metrics, plot_roc_pr, plot_confusion_matrix, plot_history"
    ),
    "spacekit.analyzer.scan": (
        "run folders: spacekit.utils.runs.list_runs / Run, the dashboard's Runs page "
        "(`spacekit dashboard --runs DIR`), spacekit.io.read_table for a results table"
    ),
    "spacekit.analyzer.track": (
        "run folders record each run's duration_s in run.json (spacekit.utils.runs.Run); "
        "time.perf_counter() for a timer of your own"
    ),
    "spacekit.analyzer.validate": "spacekit.skopes.hst.cal.cross_validate (`spacekit cal cv`)",
    "spacekit.builder.architect": (
        "builder functions spacekit.builder.build_mlp / build_cnn2d / build_cnn3d / "
        "build_ensemble, trained by spacekit.builder.Trainer, saved by save_model / load_model; "
        f"the HST calibration models: {_CAL}.train; upstream's trained models: "
        "`spacekit import-upstream WHEEL --out DIR`"
    ),
    "spacekit.builder.blueprints": (
        "the keyword arguments of the spacekit.builder.build_* functions (layers, units, "
        "dropout) and of spacekit.builder.Trainer (epochs, batch size, learning rate)"
    ),
    "spacekit.builder.trained_networks": (
        "upstream's trained models are not shipped here: `spacekit import-upstream WHEEL "
        f"--out DIR` converts them into model folders; this package's own HST model: "
        f"{_CAL}.load_model()"
    ),
    "spacekit.dashboard.cal": "`spacekit dashboard` (one app: spacekit.dashboard.create_app)",
    "spacekit.dashboard.svm": "`spacekit dashboard` (one app: spacekit.dashboard.create_app)",
    "spacekit.datasets._base": (
        "spacekit.datasets.load(NAME) / fetch(NAME) / list_datasets(); upstream's collections: "
        "'calcloud' -> 'hst_cal_2021_05_11', 'svm' -> 'svm_labeled_2021_07_28' (and "
        "'svm_unlabeled_2021_10_06', 'svm_raw_2021_11_02'), 'k2' -> 'k2_exoplanet_train' and "
        "'k2_exoplanet_test', 'jwst_cal' -> none (no public JWST training data)"
    ),
    "spacekit.datasets.beam": "spacekit.datasets.fetch(NAME), spacekit.radio.download(URL)",
    "spacekit.datasets.meta": "spacekit.datasets.REGISTRY, spacekit.datasets.list_datasets()",
    "spacekit.extractor.load": (
        "spacekit.io: read_table / write_table, read_npz / write_npz, read_json / write_json, "
        f"read_png; SVM image stacks: {_SVM}.load_image_arrays"
    ),
    "spacekit.extractor.radio": (
        "spacekit.radio: search_mast, search_products, download_products, search_lightcurves, "
        f"s3_download; JWST associations: {_JWST}.find_associations / download_associations"
    ),
    "spacekit.extractor.scrape": (
        "S3: spacekit.radio.s3_read_text / s3_download; MemModelFeatures: "
        f"{_CAL}.read_features / parse_memmodel_features; DynamoDB: `spacekit cal ingest`; "
        "FITS headers: spacekit.io.read_fits_header, "
        f"{_JWST}.scrape_headers, {_SVM}.scrape_fits_headers / scrape_qa_json"
    ),
    "spacekit.generator.augment": (
        "spacekit.builder: augment_flip, augment_roll, augment_gaussian_noise, "
        "augment_laplace_noise, augment_logistic_noise, augment_color_jitter, and "
        "BalancedBatches(augment=...)"
    ),
    "spacekit.generator.draw": f"{_SVM}.render_frames / save_frames_png / build_image_arrays",
    "spacekit.logger.log": (
        'logging.getLogger("spacekit"); spacekit.utils.log.enable_logging() for a handler'
    ),
    "spacekit.preprocessor.encode": (
        f"HST cal: {_CAL}.prepare_table; SVM: {_SVM}.encode_features; JWST: {_JWST}.encode_products"
    ),
    "spacekit.preprocessor.ingest": (
        f"SVM: {_SVM}.ingest (`spacekit svm ingest`); JWST: {_JWST}.build_training_table "
        "(`spacekit jwst ingest`)"
    ),
    "spacekit.preprocessor.prep": (
        f"each app's train(data, ...): {_CAL}.train, {_SVM}.train, {_JWST}.train; grouped "
        "splits: spacekit.transformer.balanced_group_kfold"
    ),
    "spacekit.preprocessor.scrub": (
        f"HST cal: {_CAL}.parse_memmodel_features / prepare_table; SVM: {_SVM}.scrub_qa / "
        f"flatten_qa; JWST: {_JWST}.scrape_products / group_products"
    ),
    "spacekit.preprocessor.transform": (
        "PowerX: spacekit.transformer.PowerStandardizer; SkyTransformer: "
        f"{_JWST}.upstream_offset_statistics; hypersonic_pliers, thermo_fusion_chisel, "
        "babel_fish_dispenser, fast_fourier: spacekit.transformer, where they differ "
        "(hypersonic_pliers reads one table and returns X, y with 0/1 labels; "
        "fast_fourier returns each row's FFT magnitudes, bins being its length); tensors: pass "
        "numpy arrays"
    ),
    "spacekit.skopes.hst.cal.config": (
        f"the keyword arguments of {_CAL}.train; settings: spacekit.config"
    ),
    "spacekit.skopes.hst.cal.validate": f"{_CAL}.cross_validate (`spacekit cal cv`)",
    "spacekit.skopes.jwst.cal.config": (
        f"{_JWST}.IMAGE_FEATURES / SPEC_FEATURES / KNOWN_DETECTORS; settings: spacekit.config"
    ),
    "spacekit.skopes.kepler.light_curves": (
        "spacekit.skopes.k2 (train, predict, load_model; `spacekit k2 ...`) and "
        "spacekit.analyzer.planet_hunter"
    ),
}

#: The stub modules of this package (each raises on import): a package where upstream's whole
#: package is gone, else the module. Every key of :data:`MODULES` is one of them or inside one.
STUBS: frozenset[str] = frozenset(
    {
        "spacekit.analyzer.compute",
        "spacekit.analyzer.scan",
        "spacekit.analyzer.track",
        "spacekit.analyzer.validate",
        "spacekit.builder.architect",
        "spacekit.builder.blueprints",
        "spacekit.builder.trained_networks",
        "spacekit.dashboard.cal",
        "spacekit.dashboard.svm",
        "spacekit.datasets._base",
        "spacekit.datasets.beam",
        "spacekit.datasets.meta",
        "spacekit.extractor",
        "spacekit.generator",
        "spacekit.logger",
        "spacekit.preprocessor",
        "spacekit.skopes.hst.cal.config",
        "spacekit.skopes.hst.cal.validate",
        "spacekit.skopes.jwst.cal.config",
        "spacekit.skopes.kepler",
    }
)

#: Upstream's dataset collections (``spacekit.datasets.load(name)``) -> the registered names
#: nearest to them here (their rows and columns are this registry's, not upstream's archives).
DATASETS: dict[str, tuple[str, ...]] = {
    "calcloud": ("hst_cal_2021_05_11",),
    "svm": ("svm_labeled_2021_07_28", "svm_unlabeled_2021_10_06", "svm_raw_2021_11_02"),
    "k2": ("k2_exoplanet_train", "k2_exoplanet_test"),
    "jwst_cal": (),
}

#: Keyword arguments of upstream's ``spacekit.datasets.load`` -> what to do here.
LOAD_KEYWORDS: dict[str, str] = {
    "date_key": "each registered dataset is one version: pick it by name (list_datasets())",
    "fpath": "read a file of your own with spacekit.io.read_table(path)",
    "data_home": "set the cache folder with SPACEKIT_CACHE_DIR (spacekit.config)",
}

_CAL_PREDICT = (
    f"{_CAL}.load_model(DIR) then {_CAL}.predict(model, (ipst, FEATURES_TEXT_OR_PATH)); "
    "the CLI: `spacekit cal predict`; upstream's models: `spacekit import-upstream`"
)
_SVM_PREDICT = f"{_SVM}.load_model(DIR) then {_SVM}.predict(model, data) (`spacekit svm predict`)"
_SVM_TRAIN = f"{_SVM}.train(data, runs_dir=...) (`spacekit svm train`)"
_SVM_CORRUPT = f"{_SVM}.synthetic_misalignment (and misalignment_demo)"
_JWST_PREDICT = (
    f"{_JWST}.load_model(DIR) then {_JWST}.predict(model, FOLDER) (`spacekit jwst predict "
    "FOLDER`); upstream's models: `spacekit import-upstream`"
)
_EXPLORE = (
    "spacekit.analyzer.plot_kde / plot_scatter3d / plot_grouped_bars (functions returning a "
    "figure); light curves: spacekit.analyzer.plot_lightcurve / atomic_vector_plotter; "
    "the dashboard's Explore page"
)


def _same(names: str, text: str) -> dict[str, str]:
    return dict.fromkeys(names.split(), text)


#: Module that exists in both -> {upstream name it lacks here: what to use}.
NAMES: dict[str, dict[str, str]] = {
    "spacekit.datasets": {
        "load_cal": "spacekit.datasets.load('hst_cal_2021_05_11')",
        "load_svm": "spacekit.datasets.load('svm_labeled_2021_07_28')",
        "load_k2": ("spacekit.datasets.load('k2_exoplanet_train') and load('k2_exoplanet_test')"),
        "load_jwst_cal": (
            "nothing: no public JWST training data exists; build a table from your own "
            f"products with {_JWST}.build_training_table (`spacekit jwst ingest`)"
        ),
        **_same(
            "import_collection scrape_archives load_from_archive download_single_archive",
            "spacekit.datasets.fetch(NAME) (a local path) or load(NAME); list_datasets()",
        ),
    },
    "spacekit.analyzer.explore": _same(
        "DataPlots HstCalPlots HstSvmPlots SignalPlots K2SignalPlots ImagePreviews SVMPreviews",
        _EXPLORE,
    ),
    f"{_CAL}.predict": {
        "Predict": _CAL_PREDICT,
        "local_handler": _CAL_PREDICT,
        "load_pretrained_model": (
            f"{_CAL}.load_model(DIR); upstream's models: `spacekit import-upstream WHEEL "
            "--out DIR`, then load_model('DIR/hst_cal')"
        ),
    },
    f"{_CAL}.train": {
        "Train": f"{_CAL}.train(data, runs_dir=...) (`spacekit cal train`)",
        "scrape_dynamodb": f"`spacekit cal ingest` ({_CAL}.ddb.ingest_ddb)",
        **_same("make_timestamp_path parse_user_args", f"{_CAL}.train's runs_dir and name"),
    },
    f"{_SVM}.predict": _same(
        "predict_alignment classify_alignments load_mixed_inputs classification_report",
        _SVM_PREDICT,
    ),
    f"{_SVM}.train": _same(
        "run_training train_ensemble make_ensembles load_ensemble_data compute_results",
        _SVM_TRAIN,
    ),
    f"{_SVM}.prep": {"run_preprocessing": f"{_SVM}.ingest (`spacekit svm ingest`)"},
    f"{_SVM}.corrupt": _same(
        "run_corrupt run_header_corruption run_svm run_svm_alignment run_image_gen run_blocks "
        "run_pipes multiple_permutations all_permutations static_corruption "
        "stochastic_corruption static_augment stochastic_augment generate_images "
        "pick_random_exposures pick_random_filter pick_random_subset find_filter_files "
        "modify_paths set_lambda_threshold print_corruptions get_datasets make_process_config",
        _SVM_CORRUPT,
    ),
    f"{_JWST}.predict": {
        "JwstCalPredict": _JWST_PREDICT,
        "predict_handler": _JWST_PREDICT,
        "load_pretrained_model": (
            f"{_JWST}.load_model(DIR); upstream's models: `spacekit import-upstream WHEEL "
            "--out DIR`, then load_model('DIR/jwst_cal')"
        ),
    },
    f"{_JWST}.train": {
        "JwstCalTrain": f"{_JWST}.train(data, runs_dir=...) (`spacekit jwst train`)"
    },
}


def replacement(dotted: str) -> str | None:
    """What to use instead of upstream's module or name ``dotted`` (None when not in the table).

    Parameters
    ----------
    dotted : str
        An upstream module (``spacekit.extractor.scrape``) or name in it
        (``spacekit.extractor.scrape.S3Scraper``).

    Returns
    -------
    str or None
        The replacement, as a sentence fragment.

    Examples
    --------
    >>> replacement("spacekit.datasets.load_cal")
    "spacekit.datasets.load('hst_cal_2021_05_11')"
    >>> replacement("spacekit.datasets.load") is None
    True
    """
    module, _, name = dotted.rpartition(".")
    if name in NAMES.get(module, {}):
        return NAMES[module][name]
    for mod in (dotted, module):
        if mod in MODULES:
            return MODULES[mod]
    return None


def _message(what: str, instead: str) -> str:
    return (
        f"{what} is upstream spacekit 1.1.4's and is not part of this spacekit (a rewrite with "
        f"its own API); use {instead.removeprefix(', ')}. "
        f"Every upstream module and what replaces it: {GUIDE}"
    )


def removed_module(name: str) -> NoReturn:
    """Raise :class:`~spacekit.exceptions.UpstreamAPIError` for upstream module ``name`` (a stub
    module's only statement: ``removed_module(__name__)``).

    Parameters
    ----------
    name : str
        The upstream module (or package: its modules are all listed).

    Raises
    ------
    UpstreamAPIError
        Always; the message names the replacement.

    Examples
    --------
    >>> removed_module("spacekit.logger")
    Traceback (most recent call last):
    ...
    spacekit.exceptions.UpstreamAPIError: spacekit.logger is upstream spacekit 1.1.4's ...
    """
    if name in MODULES:
        instead = MODULES[name]
    else:  # a package: what each of its modules became
        parts = [
            f"({m.rsplit('.', 1)[1]}) {t}" for m, t in MODULES.items() if m.startswith(name + ".")
        ]
        instead = ", for its modules: " + "; ".join(parts) if parts else "`spacekit --help`"
    raise UpstreamAPIError(_message(name, instead), name=name)


def upstream_getattr(
    module: str, fallback: Callable[[str], object] | None = None
) -> Callable[[str], object]:
    """A module ``__getattr__`` that answers upstream's names of ``module`` with
    :class:`~spacekit.exceptions.UpstreamAPIError` (other names: ``fallback``, else
    ``AttributeError``).

    Parameters
    ----------
    module : str
        The module's ``__name__`` (a key of :data:`NAMES`).
    fallback : callable, optional
        The module's own ``__getattr__`` (lazy exports), tried first.

    Returns
    -------
    callable
        ``__getattr__(name)``.

    Examples
    --------
    >>> getattr_ = upstream_getattr("spacekit.datasets")
    >>> getattr_("load_k2")
    Traceback (most recent call last):
    ...
    spacekit.exceptions.UpstreamAPIError: spacekit.datasets.load_k2 is upstream spacekit ...
    """
    names = NAMES.get(module, {})

    def __getattr__(name: str) -> object:
        if name in names:
            raise UpstreamAPIError(_message(f"{module}.{name}", names[name]), name=module)
        if fallback is not None:
            return fallback(name)
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    return __getattr__


#: Files of upstream 1.1.4's model archives (``spacekit/builder/trained_networks/*.zip``).
_UPSTREAM_MODEL_FILES = (
    "mem_clf.keras",
    "mem_reg.keras",
    "wall_reg.keras",
    "img3_reg.keras",
    "spec3_reg.keras",
    "ensembleSVM.keras",
    "hst_cal.zip",
    "jwst_cal.zip",
    "svm_align.zip",
)


def upstream_model_hint(path: str | os.PathLike) -> str:
    """What to add to a "no model folder" message when ``path`` holds upstream's models.

    Parameters
    ----------
    path : path
        The folder a user passed as a model folder.

    Returns
    -------
    str
        ``""`` when ``path`` holds none of upstream 1.1.4's model files (in it or one folder
        down), else a sentence naming them and the ``spacekit import-upstream`` command.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> upstream_model_hint(folder)
    ''
    >>> _ = (folder / "mem_clf.keras").write_bytes(b"")
    >>> upstream_model_hint(folder)[:64]
    "; it holds upstream spacekit 1.1.4's model files (mem_clf.keras)"
    """
    p = Path(os.path.expanduser(path))
    if not p.is_dir():
        return ""
    try:
        found = sorted(
            str(f.relative_to(p))
            for d in (p, *(q for q in p.iterdir() if q.is_dir()))
            for f in (d / name for name in _UPSTREAM_MODEL_FILES)
            if f.exists()
        )
    except OSError:
        return ""
    if not found:
        return ""
    source = p  # import-upstream takes the wheel's folder, one archive or an extracted one
    return (
        f"; it holds upstream spacekit 1.1.4's model files ({', '.join(found[:4])}), which "
        f"load after conversion: `spacekit import-upstream {source} --out DIR`, then pass "
        "DIR/hst_cal, DIR/jwst_cal or DIR/hst_svm (docs/upstream.rst)"
    )

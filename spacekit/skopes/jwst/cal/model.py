"""JWST Level-3 memory regressors: train IMAGE and SPEC models from a user's table, predict
``{product: {"gbSize": value}}`` for a folder of uncal exposures.

No public training data exists (upstream's table of measured product memory is private) and
no model is shipped: :func:`train` fits the two gradient-boosted regressors (on
``log1p(GB)``) from a table of products with measured memory; :func:`predict` uses a model
folder the user trained, or upstream spacekit 1.1.4's networks imported by
:func:`spacekit.skopes.upstream.import_upstream` (``spacekit import-upstream``; those need the
``"upstream"`` feature definition, which :func:`predict` uses by itself, see
:mod:`~spacekit.skopes.jwst.cal.scrape`). Predictions are capped at ``max_gb`` (990 GB by
default, the most the JWST pipeline can request) and floored at 0.

A model folder holds ``model.json`` (:mod:`spacekit.utils.manifest`; its ``details`` hold the
features, their definition, target, cap and validation metrics, which older versions wrote to
``jwst_model.json``: such folders still load) and ``image.skops`` / ``spec.skops``
(scikit-learn models stored without pickle, see :mod:`spacekit.utils.persist`) (whichever kinds
the table had); an imported folder holds ``jwst_model.json`` and ``image.npz`` / ``spec.npz``
(numpy networks) instead.

Examples
--------
Train on a made-up table (:func:`~spacekit.skopes.jwst.cal.app.example_products`; use your own
measured products for a real model), then predict a folder holding one made-up NIRCam exposure:

>>> from spacekit.skopes.jwst.cal.app import example_products
>>> run = train(example_products(40), runs_dir="runs", fast=True)
>>> import numpy as np, pathlib
>>> from astropy.io import fits
>>> folder = pathlib.Path("jw02732_uncal"); folder.mkdir()
>>> header = fits.Header({"INSTRUME": "NIRCAM", "DETECTOR": "NRCA1", "EXP_TYPE": "NRC_IMAGE",
...     "PROGRAM": "02732", "OBSERVTN": "001", "TARG_RA": 150.0, "TARG_DEC": 2.0,
...     "TARGPROP": "NGC-TEST", "FILTER": "F150W", "PUPIL": "CLEAR", "SUBARRAY": "FULL",
...     "CHANNEL": "SHORT", "VISITYPE": "PRIME_TARGETED_FIXED", "BKGDTARG": False,
...     "NUMDTHPT": 1, "NGROUPS": 5, "NINTS": 1})
>>> sci = fits.ImageHDU(np.zeros((2, 2), np.uint16), name="SCI",
...                     header=fits.Header({"RA_REF": 150.0, "DEC_REF": 2.0}))
>>> fits.HDUList([fits.PrimaryHDU(header=header), sci]).writeto(
...     folder / "jw02732001001_02101_00001_nrca1_uncal.fits")
>>> predict(folder, run.model_dir)
{'jw02732-o001_t1_nircam_clear-f150w': {'gbSize': ...}}
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ....exceptions import (
    InputError,
    ModelLoadError,
    NotFittedError,
    SchemaError,
)
from ....utils.checks import positive_number
from ....utils.deprecation import warn_deprecated
from ....utils.estimator import ParamsMixin
from ....utils.runs import Run, model_folder
from .encode import IMAGE_FEATURES, SPEC_FEATURES, encode_products, load_encoder_pairs
from .products import predict, predict_products  # noqa: F401  (importable from here too)
from .scrape import group_products, scrape_headers

__all__ = [
    "MAX_GB",
    "JwstMemoryModel",
    "load_memory_model",
    "train",
    "predict",
    "predict_products",
    "scrape_products",
]

log = logging.getLogger(__name__)

MAX_GB = 990.0
#: The settings file of older versions' folders and imported ones (read when present; no
#: longer written by training).
SPEC_FILE = "jwst_model.json"
APP = "jwst_cal"
_FEATURES = {"IMAGE": IMAGE_FEATURES, "SPEC": SPEC_FEATURES}


def scrape_products(
    source: str | os.PathLike | Iterable[str | os.PathLike], *, definition: str = "spacekit"
) -> pd.DataFrame:
    """Scrape uncal headers and group them into products (:func:`scrape_headers` +
    :func:`group_products`); ``definition`` of the offset features: ``"spacekit"`` or
    ``"upstream"`` (upstream spacekit 1.1.4's, for its imported models).

    Parameters
    ----------
    source : path or iterable of paths
        A folder of ``*_uncal.fits`` exposures, or the files.
    definition : {"spacekit", "upstream"}
        Which definition of the offset features to compute.

    Returns
    -------
    pandas.DataFrame
        One row per Level-3 product: ``product``, ``kind`` and the feature columns.

    Examples
    --------
    A folder holding one made-up NIRCam exposure (the headers the scrape reads):

    >>> import numpy as np, pathlib
    >>> from astropy.io import fits
    >>> folder = pathlib.Path("jw02732_uncal"); folder.mkdir()
    >>> header = fits.Header({"INSTRUME": "NIRCAM", "DETECTOR": "NRCA1", "EXP_TYPE": "NRC_IMAGE",
    ...     "PROGRAM": "02732", "OBSERVTN": "001", "TARG_RA": 150.0, "TARG_DEC": 2.0,
    ...     "TARGPROP": "NGC-TEST", "FILTER": "F150W", "PUPIL": "CLEAR", "SUBARRAY": "FULL",
    ...     "CHANNEL": "SHORT", "VISITYPE": "PRIME_TARGETED_FIXED", "BKGDTARG": False,
    ...     "NUMDTHPT": 1, "NGROUPS": 5, "NINTS": 1})
    >>> sci = fits.ImageHDU(np.zeros((2, 2), np.uint16), name="SCI",
    ...                     header=fits.Header({"RA_REF": 150.0, "DEC_REF": 2.0}))
    >>> fits.HDUList([fits.PrimaryHDU(header=header), sci]).writeto(
    ...     folder / "jw02732001001_02101_00001_nrca1_uncal.fits")
    >>> scrape_products(folder)[["product", "kind", "nexposur"]].values.tolist()
    [['jw02732-o001_t1_nircam_clear-f150w', 'IMAGE', 1]]
    """
    return group_products(scrape_headers(source), definition=definition)


class _ImportedNetwork:
    """An imported upstream regressor: upstream's normalisation, then a numpy dense network."""

    def __init__(self, network: Any, transform: dict) -> None:
        self.network = network
        self.transform = transform

    def predict(self, x: np.ndarray) -> np.ndarray:
        from ....transformer.power import power_standardize

        z = power_standardize(x, self.transform)
        return self.network.predict(z).astype(float).reshape(-1)


class JwstMemoryModel(ParamsMixin):
    """IMAGE and SPEC memory regressors (scikit-learn estimator contract).

    Parameters
    ----------
    max_gb : float
        Cap of every prediction (990 GB by default).
    fast : bool
        Few trees (tests, smoke runs).
    seed : int
        Random seed.
    encoder_pairs : dict or path, optional
        Encoder table (default: the registered ``jwst_cal_encoder_pairs`` dataset).

    Attributes
    ----------
    models_ : dict
        ``{"IMAGE": estimator, "SPEC": estimator}`` (only the kinds seen in training).
    encoder_pairs_ : dict
        The encoder table used (saved with the model).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({c: rng.uniform(0, 3, 40) for c in IMAGE_FEATURES}).assign(kind="IMAGE")
    >>> m = JwstMemoryModel(fast=True, encoder_pairs={}).fit(X, 2 + X["nexposur"])
    >>> bool((m.predict(X) >= 0).all())
    True
    """

    def __init__(
        self,
        *,
        max_gb: float = MAX_GB,
        fast: bool = False,
        seed: int = 0,
        encoder_pairs: Any = None,
    ) -> None:
        self.max_gb = max_gb
        self.fast = fast
        self.seed = seed
        self.encoder_pairs = encoder_pairs

    def _repr_html_(self) -> str | None:
        """Notebook view: settings, fitted kinds and metadata."""
        from ....utils.display import model_html

        return model_html(self)

    def __repr__(self) -> str:
        kinds = sorted(getattr(self, "models_", {})) or "not fitted"
        return (
            f"JwstMemoryModel(max_gb={self.max_gb!r}, fast={self.fast!r}, seed={self.seed!r}, "
            f"kinds={kinds})"
        )

    def _pairs(self) -> dict:
        if not hasattr(self, "encoder_pairs_"):
            self.encoder_pairs_ = load_encoder_pairs(self.encoder_pairs)
        return self.encoder_pairs_

    def _matrix(self, X: pd.DataFrame, kind: str) -> np.ndarray:
        return encode_products(X, self._pairs(), kind=kind).to_numpy(float)

    @staticmethod
    def _kinds(X: pd.DataFrame, kind: Any, what: str) -> pd.Series:
        """The kind of each row: the table's ``kind`` column (``kind=`` is deprecated)."""
        if kind is not None:
            warn_deprecated(
                f"JwstMemoryModel.{what}(X, kind=...) is deprecated; give X a 'kind' column "
                "(IMAGE or SPEC per product), as group_products and scrape_products do",
                since="2.0",
                stacklevel=4,
            )
            return pd.Series(str(kind).upper(), index=X.index)
        if "kind" not in X.columns:
            raise SchemaError(
                f"JwstMemoryModel.{what} needs a 'kind' column (IMAGE or SPEC per product); "
                f"found columns {list(X.columns)[:10]}. Build the table with group_products"
            )
        return X["kind"].astype(str).str.upper()

    def fit(self, X: pd.DataFrame, y: Any, *, kind: str | None = None) -> JwstMemoryModel:
        """Fit one regressor per product kind (the ``kind`` column: "IMAGE", "SPEC") on products
        ``X`` and memory ``y`` (GB). Kinds absent from ``X`` keep any regressor fitted before.

        Parameters
        ----------
        X : pandas.DataFrame
            Products: a ``kind`` column and the feature columns of each kind.
        y : array-like
            Measured memory per product, in GB.
        kind : {"IMAGE", "SPEC"}, optional
            Deprecated: give ``X`` a ``kind`` column instead.

        Returns
        -------
        JwstMemoryModel
            ``self``, fitted.
        """
        kinds = self._kinds(X, kind, "fit")
        y = np.asarray(y, dtype=float).reshape(-1)
        if len(y) != len(X):
            raise InputError(f"X has {len(X)} products but y has {len(y)} values")
        # the offset-feature definition of the table (group_products records it, a csv from
        # build_training_table in its feature_definition column; saved)
        self.feature_definition_ = table_definition(X) or getattr(
            self, "feature_definition_", "spacekit"
        )
        for k in sorted(set(kinds)):
            rows = (kinds == k).to_numpy()
            self._fit_kind(X[rows], y[rows], k)
        return self

    def _fit_kind(self, X: pd.DataFrame, y: np.ndarray, kind: str) -> None:
        from sklearn.ensemble import GradientBoostingRegressor

        from ....utils.manifest import feature_ranges

        kind = str(kind).upper()
        if kind not in _FEATURES:
            raise InputError(f"kind must be 'IMAGE' or 'SPEC', got {kind!r}")
        _check_max_gb(self.max_gb)
        x = self._matrix(X, kind)
        y = np.asarray(y, dtype=float).reshape(-1)
        if len(y) != len(x):
            raise InputError(f"X has {len(x)} products but y has {len(y)} values")
        if not np.isfinite(y).all() or (y < 0).any():
            raise InputError("memory targets must be finite and >= 0 GB")
        if len(y) < 5:
            raise InputError(f"{kind}: need at least 5 products with measured memory, got {len(y)}")
        est = GradientBoostingRegressor(
            n_estimators=30 if self.fast else 400,
            max_depth=3,
            learning_rate=0.1 if self.fast else 0.05,
            subsample=0.8,
            random_state=self.seed,
            loss="huber",
        ).fit(x, np.log1p(y))
        self.models_ = {**getattr(self, "models_", {}), kind: est}
        ranges = dict(getattr(self, "feature_ranges_", None) or {})
        for name, (lo, hi) in feature_ranges(encode_products(X, self._pairs(), kind=kind)).items():
            old = ranges.get(name, [lo, hi])
            ranges[name] = [min(lo, old[0]), max(hi, old[1])]
        self.feature_ranges_ = ranges

    def predict(self, X: pd.DataFrame, *, kind: str | None = None) -> np.ndarray:
        """Memory in GB of each product (by its ``kind`` column), capped at ``max_gb``.

        Parameters
        ----------
        X : pandas.DataFrame
            Products, as for :meth:`fit`.
        kind : {"IMAGE", "SPEC"}, optional
            Deprecated: give ``X`` a ``kind`` column instead.

        Returns
        -------
        numpy.ndarray
            Memory in GB per product, in ``[0, max_gb]``.
        """
        if not hasattr(self, "models_"):
            raise NotFittedError("this JwstMemoryModel is not fitted; call fit or load a model")
        kinds = self._kinds(X, kind, "predict")
        out = np.zeros(len(X))
        for k in sorted(set(kinds)):
            rows = (kinds == k).to_numpy()
            out[rows] = self._predict_kind(X[rows], k)
        return out

    def encoded(self, X: pd.DataFrame) -> pd.DataFrame:
        """The numeric features of products ``X`` (both kinds' columns; what the training
        ranges describe).

        Parameters
        ----------
        X : pandas.DataFrame
            Products with a ``kind`` column.

        Returns
        -------
        pandas.DataFrame
            The encoded features, on the index of ``X``.
        """
        kinds = self._kinds(X, None, "encoded")
        parts = [
            encode_products(X[(kinds == k).to_numpy()], self._pairs(), kind=k)
            for k in sorted(set(kinds))
        ]
        return pd.concat(parts) if parts else pd.DataFrame()

    def _predict_kind(self, X: pd.DataFrame, kind: str) -> np.ndarray:
        kind = str(kind).upper()
        if kind not in self.models_:
            raise ModelLoadError(
                f"the model has no {kind} regressor (it was trained on "
                f"{sorted(self.models_)} products only); train it with {kind} products"
            )
        needed = getattr(self, "feature_definition_", "spacekit")
        given = table_definition(X)
        if given is not None and given != needed:
            raise SchemaError(
                f"these products' offset features follow the {given!r} definition, but the model "
                f"was trained on the {needed!r} one; build the table with "
                f"scrape_products(folder, definition={needed!r}) (see "
                "spacekit.skopes.jwst.cal.scrape)"
            )
        pred = self.models_[kind].predict(self._matrix(X, kind))
        if getattr(self, "spec_", {}).get("target_transform", "log1p") == "log1p":
            pred = np.expm1(pred)
        return np.clip(pred, 0.0, float(self.max_gb))

    def save(
        self,
        folder: str | os.PathLike,
        *,
        metadata: dict | None = None,
        source: dict | None = None,
        headline_metrics: dict | None = None,
    ) -> Path:
        """Write the model folder and its ``model.json`` manifest (:mod:`spacekit.utils.manifest`,
        complete only once every file is written); return its path.

        Parameters
        ----------
        folder : path
            The model folder to write (created when missing).
        metadata : dict, optional
            Extra entries for the model's own spec file.
        source : dict, optional
            The manifest's ``source`` (default: trained here, now).
        headline_metrics : dict, optional
            The manifest's headline metrics.

        Returns
        -------
        pathlib.Path
            The model folder.
        """
        from ....utils.manifest import trained_source, writing_model

        if not hasattr(self, "models_"):
            raise NotFittedError("nothing to save: the model is not fitted")
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        ranges = getattr(self, "feature_ranges_", None)
        spec = {
            "app": APP,
            "kinds": sorted(self.models_),
            "features": {k: list(_FEATURES[k]) for k in self.models_},
            "target_transform": "log1p",
            "max_gb": float(self.max_gb),
            "seed": self.seed,
            "encoder_pairs": self._pairs(),
            "feature_definition": getattr(self, "feature_definition_", "spacekit"),
            **(metadata or {}),
        }
        with writing_model(
            folder,
            app=APP,
            source=source or trained_source(None),
            features=sorted(ranges or {}),
            ranges=ranges,
            headline_metrics=headline_metrics,
            details=spec,  # the model's settings: model.json is the one spec file
        ):
            self._write(folder)
        return folder

    def _write(self, folder: Path) -> None:
        from ....utils.persist import save_estimator

        for kind, est in self.models_.items():
            save_estimator(est, folder / f"{kind.lower()}.skops")

    @classmethod
    def load(cls, folder: str | os.PathLike, *, max_gb: float | None = None) -> JwstMemoryModel:
        """Load a model folder (or a run folder holding ``model/``).

        Parameters
        ----------
        folder : path
            A model folder, or a run folder holding ``model/``.
        max_gb : float, optional
            Cap of predictions in GB; by default the saved one.

        Returns
        -------
        JwstMemoryModel
            The fitted model.
        """
        from ....utils.manifest import MANIFEST_FILE, read_manifest
        from ....utils.persist import load_estimator

        folder = model_folder(model_folder(folder, MANIFEST_FILE), SPEC_FILE)
        spec_path = folder / SPEC_FILE
        if not (folder / MANIFEST_FILE).is_file() and not spec_path.is_file():
            raise ModelLoadError(
                f"no JWST memory model in {folder}: {MANIFEST_FILE} (or {SPEC_FILE}, from older "
                "versions) is missing. spacekit ships no JWST model (no public training data "
                "exists); import upstream spacekit 1.1.4's (`spacekit import-upstream WHEEL "
                "--out DIR`, then DIR/jwst_cal) or train one from your table of products with "
                "measured memory: `spacekit jwst train TABLE`"
            )
        manifest = read_manifest(folder, app=APP)  # refuses a half-written folder
        # model.json holds the settings in its details; folders of older versions (and
        # imported ones) keep them in jwst_model.json
        spec = dict(manifest.details)
        if spec_path.is_file():
            try:
                spec = json.loads(spec_path.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise ModelLoadError(f"{spec_path} is corrupt: {exc}") from None
        if max_gb is not None:
            max_gb = _check_max_gb(max_gb)
        model = cls(
            max_gb=max_gb if max_gb is not None else spec.get("max_gb", MAX_GB),
            seed=spec.get("seed", 0),
            encoder_pairs=spec.get("encoder_pairs"),
        )
        model.encoder_pairs_ = load_encoder_pairs(spec.get("encoder_pairs") or {})
        model.feature_definition_ = spec.get("feature_definition", "spacekit")
        model.models_ = {}
        for kind in spec.get("kinds", []):
            if spec.get("model_type") == "dense":  # imported from upstream spacekit
                from ...hst.cal.export import load_exported  # numpy networks

                net = spec["networks"][kind]
                model.models_[kind] = _ImportedNetwork(
                    load_exported(folder / net["file"], net["spec"]), net["transform"]
                )
            else:
                model.models_[kind] = load_estimator(folder / f"{kind.lower()}.skops")
        model.spec_ = spec
        model.manifest_ = manifest
        model.folder_ = folder
        if manifest.feature_ranges is not None:
            model.feature_ranges_ = manifest.feature_ranges
        return model


def table_definition(X: pd.DataFrame) -> str | None:
    """The offset-feature definition a products table records: ``attrs["feature_definition"]``
    (:func:`group_products`), else its ``feature_definition`` column (a table written to csv by
    :func:`~spacekit.skopes.jwst.cal.ingest.build_training_table`); None when it records none.

    Examples
    --------
    >>> table_definition(pd.DataFrame({"feature_definition": ["upstream"] * 2}))
    'upstream'
    """
    given = getattr(X, "attrs", {}).get("feature_definition")
    if given is not None or "feature_definition" not in getattr(X, "columns", ()):
        return given
    values = sorted({str(v) for v in X["feature_definition"].dropna()})
    if len(values) > 1:
        raise SchemaError(
            f"the table mixes offset-feature definitions {values} in its feature_definition "
            "column; build every product with one definition (spacekit or upstream)"
        )
    return values[0] if values else None


def _check_max_gb(max_gb: Any) -> float:
    return positive_number(
        max_gb,
        "max_gb",
        unit=" of GB (the cap of every prediction)",
        advice=(f"Leave it out to keep the model's cap ({MAX_GB:g} GB by default)."),
    )


def load_memory_model(folder: str | os.PathLike, *, max_gb: float | None = None) -> JwstMemoryModel:
    """Load a JWST memory model folder (alias of :meth:`JwstMemoryModel.load`).

    Parameters
    ----------
    folder : path
        A model folder written by :func:`train` (or :meth:`JwstMemoryModel.save`), a run
        folder holding ``model/``, or a folder imported from upstream spacekit 1.1.4.
    max_gb : float, optional
        Cap of predictions in GB; by default the one saved with the model.

    Returns
    -------
    JwstMemoryModel
        The fitted model.

    Examples
    --------
    >>> from spacekit.skopes.jwst.cal.app import example_products
    >>> run = train(example_products(40), runs_dir="runs", fast=True)
    >>> load_memory_model(run.model_dir, max_gb=500).max_gb
    500.0
    """
    return JwstMemoryModel.load(folder, max_gb=max_gb)


def _read_table(data: str | os.PathLike | pd.DataFrame) -> pd.DataFrame:
    from ....datasets.tables import resolve_table

    # a path, a DataFrame (copied) or a registered dataset name; a folder, an empty file or a
    # non-csv: spacekit errors (were pandas')
    return resolve_table(data, what="training table", format="csv")


def train(
    data: str | os.PathLike | pd.DataFrame,
    *,
    target: str = "imgsize_gb",
    runs_dir: str | os.PathLike | None = None,
    max_gb: float = MAX_GB,
    seed: int = 0,
    fast: bool = False,
    test_size: float = 0.2,
    encoder_pairs: Any = None,
    name: str = "train",
) -> Run:
    """Train the IMAGE and SPEC memory regressors from a table of products; write a run.

    Parameters
    ----------
    data : path or DataFrame
        One row per product: a ``kind`` column ("IMAGE"/"SPEC"), the columns of
        :data:`IMAGE_FEATURES` / :data:`SPEC_FEATURES` (categorical values as header strings
        or already encoded) and the measured memory ``target`` in GB.
    target : str
        Name of the memory column.
    runs_dir : path, optional
        Parent of run folders (default ``conf.runs_dir``).
    max_gb : float
        Cap of predictions (990 GB by default).
    seed : int
        Seed of the split and the regressors.
    fast : bool
        Few trees (tests, smoke runs).
    test_size : float
        Share of products held out to report validation RMSE/MAE/R² per kind (the shipped
        regressors are then refit on every product). Products with identical features are
        held out together, so the scores are for inputs the model has not seen.
    encoder_pairs : dict or path, optional
        Encoder table of the categorical header values (default: the registered
        ``jwst_cal_encoder_pairs`` dataset).
    name : str
        Run name.

    Returns
    -------
    spacekit.utils.runs.Run
        Run folder (app ``"jwst_cal"``) with ``model/``, ``metrics.json`` and
        ``predictions.csv`` (held-out products).

    Examples
    --------
    On a made-up table (use your own measured products for a real model):

    >>> from spacekit.skopes.jwst.cal.app import example_products
    >>> run = train(example_products(40), runs_dir="runs", fast=True)
    >>> sorted(p.name for p in run.model_dir.iterdir())
    ['image.skops', 'jwst_model.json', 'model.json', 'spec.skops']
    """
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
    from sklearn.model_selection import GroupShuffleSplit

    max_gb = _check_max_gb(max_gb)
    try:
        test_size = float(test_size)
    except (TypeError, ValueError):
        test_size = float("nan")
    if not 0.0 < test_size < 1.0:
        raise InputError(
            f"test_size must be a share of products between 0 and 1 (exclusive), got "
            f"{test_size!r}; 0.2 holds a fifth out for the validation scores"
        )
    table = _read_table(data)
    for col in (target, "kind"):
        if col not in table.columns:
            raise SchemaError(
                f"the training table needs a {col!r} column; found {list(table.columns)}"
            )
    table["kind"] = table["kind"].astype(str).str.upper()
    unknown = sorted(set(table["kind"]) - set(_FEATURES))
    if unknown:
        raise SchemaError(f"'kind' must be IMAGE or SPEC; found {unknown}")
    memory = pd.to_numeric(table[target], errors="coerce")
    bad = ~np.isfinite(memory.astype(float)) | (memory < 0)
    if bad.any():
        names = (
            (
                table.loc[bad, "product"]
                if "product" in table.columns
                else table.index[bad].to_series()
            )
            .astype(str)
            .tolist()[:3]
        )
        values = table.loc[bad, target].astype(str).tolist()[:3]
        raise SchemaError(
            f"{target!r} must hold the measured memory in GB (a number >= 0) for every "
            f"product; {int(bad.sum())} of {len(table)} do not (e.g. {names}: {values}). "
            "Drop the products without a measurement, or convert the column to GB"
        )
    table[target] = memory.astype(float)
    pairs = load_encoder_pairs(encoder_pairs)
    final = JwstMemoryModel(max_gb=max_gb, fast=fast, seed=seed, encoder_pairs=pairs)
    metrics: dict[str, Any] = {}
    held = []
    for kind, rows in table.groupby("kind"):
        y = pd.to_numeric(rows[target], errors="coerce").to_numpy(float)
        # products with identical features stay on one side: a random row split would
        # score the model on inputs it was trained on
        feats = [c for c in _FEATURES[kind] if c in rows.columns]
        groups = pd.util.hash_pandas_object(rows[feats], index=False).to_numpy()
        n_groups = len(np.unique(groups))
        n_test_groups = int(np.ceil(test_size * n_groups))  # as GroupShuffleSplit counts
        if len(rows) >= 10 and 0 < n_test_groups < n_groups:
            tr, te = next(
                GroupShuffleSplit(n_splits=1, test_size=test_size, random_state=seed).split(
                    rows, groups=groups
                )
            )
            m = JwstMemoryModel(max_gb=max_gb, fast=fast, seed=seed, encoder_pairs=pairs)
            m.fit(rows.iloc[tr], y[tr])
            p = m.predict(rows.iloc[te])
            metrics[kind] = {
                "n_train": len(tr),
                "n_test": len(te),
                "rmse_gb": float(np.sqrt(mean_squared_error(y[te], p))),
                "mae_gb": float(mean_absolute_error(y[te], p)),
                "r2": float(r2_score(y[te], p)) if len(te) > 1 else None,
            }
            held.append(
                pd.DataFrame(
                    {
                        "product": rows["product"].iloc[te].to_numpy() if "product" in rows else te,
                        "kind": kind,
                        "gbSize": p,
                        "true_gb": y[te],
                    }
                )
            )
        else:
            why = (
                "fewer than 10 products"
                if len(rows) < 10
                else f"{n_groups} distinct feature set(s) cannot be split {1 - test_size:.2g}/"
                f"{test_size:.2g} without a product on both sides"
            )
            metrics[kind] = {
                "n_train": len(rows),
                "n_test": 0,
                "note": f"{why}: no held-out validation",
            }
        final.fit(rows, y)
    run = Run.create(
        APP,
        name,
        runs_dir=runs_dir,
        parameters={
            "target": target,
            "max_gb": max_gb,
            "fast": fast,
            "test_size": test_size,
            "n_products": len(table),
        },
        seed=seed,
        data_sha256=hashlib.sha256(
            pd.util.hash_pandas_object(table, index=False).to_numpy()
        ).hexdigest(),
    )
    from ....utils.manifest import trained_source

    final.save(
        run.model_dir,
        metadata={"validation": metrics, "target": target},
        source=trained_source(run.info["data_sha256"], run.info["created"]),
        headline_metrics={
            kind: {k: v for k, v in m.items() if k in ("rmse_gb", "mae_gb", "r2")}
            for kind, m in metrics.items()
        },
    )
    run.write_metrics(metrics)
    if held:
        run.write_predictions(pd.concat(held, ignore_index=True))
    return run

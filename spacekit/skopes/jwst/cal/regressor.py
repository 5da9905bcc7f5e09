"""The JWST memory model itself: :class:`JwstMemoryModel`, one gradient-boosted regressor of
``log1p(GB)`` per product kind (IMAGE, SPEC), or upstream spacekit 1.1.4's imported networks;
its model folder (``jwst_model.json`` + ``image.skops`` / ``spec.skops``) and the cap of its
predictions (:data:`MAX_GB`). Training from a table is
:func:`~spacekit.skopes.jwst.cal.model.train`; every name here is importable from
:mod:`spacekit.skopes.jwst.cal.model` as well.

Examples
--------
>>> MAX_GB
990.0
>>> table_definition(pd.DataFrame({"feature_definition": ["spacekit"]}))
'spacekit'
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ....exceptions import InputError, ModelLoadError, NotFittedError, SchemaError
from ....utils.checks import positive_number
from ....utils.deprecation import warn_deprecated
from ....utils.estimator import ParamsMixin
from .encode import IMAGE_FEATURES, SPEC_FEATURES, encode_products, load_encoder_pairs

__all__ = ["MAX_GB", "SPEC_FILE", "APP", "JwstMemoryModel", "table_definition"]

MAX_GB = 990.0
#: The settings file of older versions' folders and imported ones (read when present; no
#: longer written by training).
SPEC_FILE = "jwst_model.json"
APP = "jwst_cal"
_FEATURES = {"IMAGE": IMAGE_FEATURES, "SPEC": SPEC_FEATURES}


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
            The encoded features, in the row order and on the index of ``X``.
        """
        kinds = self._kinds(X, None, "encoded")
        # encoded kind by kind on row positions, then put back in the table's order: the
        # per-row out-of-range flags are positional, and an index may repeat
        rows = X.reset_index(drop=True)
        parts = [
            encode_products(rows[(kinds == k).to_numpy()], self._pairs(), kind=k)
            for k in sorted(set(kinds))
        ]
        if not parts:
            return pd.DataFrame()
        out = pd.concat(parts).sort_index()
        out.index = X.index
        return out

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
            "fast": bool(self.fast),
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
        from ....utils.persist import load_estimator
        from ..._app import load_model_settings

        folder, manifest, spec = load_model_settings(
            folder,
            app=APP,
            spec_file=SPEC_FILE,
            missing=(
                f"no JWST memory model in {{folder}}: model.json (or {SPEC_FILE}, from older "
                "versions) is missing. spacekit ships no JWST model (no public training data "
                "exists); import upstream spacekit 1.1.4's (`spacekit import-upstream WHEEL "
                "--out DIR`, then DIR/jwst_cal) or train one from your table of products with "
                "measured memory: `spacekit jwst train TABLE`"
            ),
        )
        if max_gb is not None:
            max_gb = _check_max_gb(max_gb)
        model = cls(
            max_gb=max_gb if max_gb is not None else spec.get("max_gb", MAX_GB),
            seed=spec.get("seed", 0),
            fast=bool(spec.get("fast", False)),
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

    Parameters
    ----------
    X : pandas.DataFrame
        A products table.

    Returns
    -------
    str or None
        ``"spacekit"``, ``"upstream"`` or None.

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

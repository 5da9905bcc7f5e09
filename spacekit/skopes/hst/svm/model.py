"""The SVM alignment classifier: tabular-only models and the tabular+image ensemble.

Four kinds of model share one interface, :class:`SvmModel`:

- ``"gb"``: scikit-learn gradient-boosted trees on the ten table features plus sixteen
  derived ones (:data:`DERIVED`: ratios, and the alignment-fit quality in detector pixels).
  The default: on ``svm_labeled_2021-07-28.csv`` it beat the MLP on proposal-grouped
  validation (see ``benchmarks/RESULTS.md``);
- ``"gb_et"``: the mean of the ``"gb"`` model's probability and that of an extra-trees
  forest on the same inputs (model averaging: a little higher and steadier grouped ROC-AUC
  than ``"gb"`` alone, at about twice the training time);
- ``"mlp"``: :func:`spacekit.builder.build_mlp` on the same features (log1p + z-score),
  trained with balanced batches and Gaussian feature noise;
- ``"ensemble"``: :func:`spacekit.builder.build_ensemble` — the MLP branch plus a 3D CNN on
  the ``(3, 128, 128, 3)`` image stacks of :mod:`.images` (flips/rotations as augmentation).

A saved model is a folder with ``model.json`` (:mod:`spacekit.utils.manifest`; its ``details``
hold the kind, features, preprocessing and threshold, which older versions wrote to
``svm_model.json``: such folders still load) and ``model.skops`` (gb; gb_et adds
``extra_trees.skops``; stored without pickle, see :mod:`spacekit.utils.persist`) or
``model.keras`` + ``metadata.json`` (Keras kinds, written by :func:`spacekit.builder.save_model`).

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> df = pd.DataFrame({c: rng.integers(1, 50, 60) for c in FEATURES})
>>> y = (df["rms_ra"] > 25).astype(int).to_numpy()
>>> model = SvmModel(kind="gb", fast=True).fit(df, y)
>>> model.predict_proba(df).shape
(60,)
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ....exceptions import InputError, ModelLoadError, NotFittedError
from ....utils.estimator import ParamsMixin
from .encode import FEATURES
from .inputs import (  # noqa: F401  (the model inputs, importable from here too)
    DERIVED,
    DERIVED_V1,
    PIXEL_SCALE_MAS,
    _noise_augment,
    feature_matrix,
    feature_names,
    proposal_folds,
    proposal_groups,
    proposal_split,
)

__all__ = [
    "DERIVED",
    "MODEL_KINDS",
    "PIXEL_SCALE_MAS",
    "TREE_KINDS",
    "SvmModel",
    "feature_matrix",
    "feature_names",
    "proposal_groups",
    "proposal_folds",
    "proposal_split",
    "load_svm_model",
]

log = logging.getLogger(__name__)

MODEL_KINDS = ("gb", "gb_et", "mlp", "ensemble")
#: Kind of the ensemble imported from upstream spacekit 1.1.4 (:mod:`spacekit.skopes.upstream`):
#: loaded and predicted, never trained here.
UPSTREAM_KIND = "upstream_ensemble"
#: Kinds that are scikit-learn tree models (saved with skops, refit on every row by train).
TREE_KINDS = ("gb", "gb_et")
#: The settings file of older versions' folders (read when present; no longer written).
SPEC_FILE = "svm_model.json"
GB_FILE = "model.skops"
ET_FILE = "extra_trees.skops"


class SvmModel(ParamsMixin):
    """An SVM alignment classifier (scikit-learn estimator contract).

    Parameters
    ----------
    kind : {"gb", "gb_et", "mlp", "ensemble"}
        Gradient-boosted trees, their average with extra trees, builder MLP, or builder
        MLP+3D-CNN ensemble (needs images).
    fast : bool
        Tiny settings that train in seconds (tests, smoke runs).
    seed : int
        Random seed (trees, weights, batches).
    threshold : float
        Probability at or above which a visit is called misaligned.
    epochs, batch_size : int
        Keras kinds only (defaults 80/32; 3/16 when ``fast``).
    n_estimators, max_depth, learning_rate, max_features : gb only
        Trees (default 600 depth-2 trees at 0.03, half the features per split: shallow trees
        generalised best across proposals in grouped cross-validation). ``"gb_et"`` uses
        them too, with 500 extra trees (leaves of at least 3 visits, half the features per
        split), chosen on proposal-grouped folds of another seed than the reported ones.
    progress : bool, optional
        Progress bar over epochs (Keras kinds).

    Attributes
    ----------
    estimator_ : fitted scikit-learn estimator, list of two (gb_et), or keras.Model
    inputs_ : list of str
        Names of the model's input columns (:func:`feature_matrix`).
    preprocessing_ : dict
        For Keras kinds, the log1p + z-score parameters of the features.
    history_ : dict or None
        Keras training history.

    Examples
    --------
    See the module docstring.
    """

    def __init__(
        self,
        kind: str = "gb",
        *,
        fast: bool = False,
        seed: int = 0,
        threshold: float = 0.5,
        epochs: int | None = None,
        batch_size: int | None = None,
        n_estimators: int = 600,
        max_depth: int = 2,
        learning_rate: float = 0.03,
        max_features: float | None = 0.5,
        progress: bool | None = None,
    ) -> None:
        self.kind = kind
        self.fast = fast
        self.seed = seed
        self.threshold = threshold
        self.epochs = epochs
        self.batch_size = batch_size
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.max_features = max_features
        self.progress = progress

    # -- helpers -------------------------------------------------------------
    def _check_kind(self) -> None:
        if self.kind not in MODEL_KINDS:
            raise InputError(f"kind must be one of {MODEL_KINDS}, got {self.kind!r}")

    def _scale(self, x: np.ndarray) -> np.ndarray:
        p = self.preprocessing_
        if p.get("kind") == "upstream_power":  # a model imported from upstream spacekit
            from ....transformer.power import power_standardize

            return power_standardize(x, p).astype(np.float32)
        z = np.log1p(np.clip(x, 0.0, None))
        return ((z - np.asarray(p["mean"])) / np.asarray(p["std"])).astype(np.float32)

    @staticmethod
    def _images(images: Any, n: int) -> np.ndarray:
        from .images import validate_image_stack

        return validate_image_stack(images, n=n) / 255.0

    # -- fit -------------------------------------------------------------------
    def fit(
        self,
        X: pd.DataFrame,
        y: Any,
        *,
        images: Any = None,
        validation: tuple | None = None,
    ) -> SvmModel:
        """Fit on a feature table ``X`` (FEATURES columns) and labels ``y`` (1 = misaligned).

        Parameters
        ----------
        X : pandas.DataFrame
            The feature table.
        y : array-like of int
            1 for a misaligned visit, 0 for an aligned one.
        images : array (n, 3, 128, 128, 3), optional
            Required for ``kind="ensemble"``.
        validation : (X_val, y_val) or (X_val, y_val, images_val), optional
            Held-out data for Keras kinds (early stopping on validation loss).

        Returns
        -------
        SvmModel
            ``self``, fitted.
        """
        self._check_kind()
        self.inputs_ = feature_names()
        x = feature_matrix(X, self.inputs_)
        y = np.asarray(y).astype(int).reshape(-1)
        if len(y) != len(x):
            raise InputError(f"X has {len(x)} rows but y has {len(y)} labels")
        if set(np.unique(y)) - {0, 1} or len(np.unique(y)) < 2:
            raise InputError(
                f"labels must be 0 (aligned) and 1 (misaligned) with both present; found "
                f"{sorted(np.unique(y).tolist())}"
            )
        self.n_features_in_ = x.shape[1]
        self.history_ = None
        from ....utils.manifest import feature_ranges

        self.feature_ranges_ = feature_ranges(X, FEATURES)
        if self.kind in TREE_KINDS:
            from sklearn.ensemble import GradientBoostingClassifier

            n = 40 if self.fast else self.n_estimators
            gb = GradientBoostingClassifier(
                n_estimators=n,
                max_depth=self.max_depth,
                learning_rate=0.1 if self.fast else self.learning_rate,
                subsample=0.8,
                max_features=self.max_features,
                random_state=self.seed,
            )
            if self.kind == "gb":
                self.estimator_ = gb.fit(x, y)
            else:
                from sklearn.ensemble import ExtraTreesClassifier

                et = ExtraTreesClassifier(
                    n_estimators=20 if self.fast else 500,
                    min_samples_leaf=3,
                    max_features=0.5,
                    random_state=self.seed,
                    n_jobs=1,
                )
                # predict_proba averages the two models' probabilities
                self.estimator_ = [gb.fit(x, y), et.fit(x, y)]
            self.preprocessing_ = {}
            return self
        if self.kind == "ensemble" and images is None:
            raise InputError(
                "kind='ensemble' needs image arrays of shape (n, 3, 128, 128, 3); pass "
                "images=, or use kind='gb' or 'mlp' for the tabular-only model"
            )
        from ....builder import Trainer, build_ensemble, build_mlp

        z = np.log1p(np.clip(x, 0.0, None))
        std = z.std(axis=0)
        self.preprocessing_ = {
            "transform": "log1p+zscore",
            "mean": z.mean(axis=0).tolist(),
            "std": np.where(std > 0, std, 1.0).tolist(),
        }
        xs = self._scale(x)
        inputs: Any = xs
        if self.kind == "ensemble":
            inputs = [xs, self._images(images, len(xs))]
        val = None
        if validation is not None:
            vx = self._scale(feature_matrix(validation[0], self.inputs_))
            vy = np.asarray(validation[1]).astype(int).reshape(-1)
            if self.kind == "ensemble":
                if len(validation) < 3 or validation[2] is None:
                    raise InputError("validation for kind='ensemble' needs (X, y, images)")
                vx = [vx, self._images(validation[2], len(vy))]
            val = (vx, vy)
        epochs = self.epochs or (3 if self.fast else 80)
        batch = self.batch_size or (16 if self.fast else 32)
        d = xs.shape[1]
        if self.kind == "mlp":

            def builder():
                hidden = (16, 8) if self.fast else (32, 64, 32, 16)
                return build_mlp(d, hidden=hidden, dropout=0.0 if self.fast else 0.1)
        else:

            def builder():
                if self.fast:
                    return build_ensemble(
                        d,
                        (3, 128, 128, 3),
                        mlp_hidden=(8,),
                        cnn_filters=(4,),
                        cnn_dense=(8,),
                        head=(4,),
                    )
                return build_ensemble(
                    d,
                    (3, 128, 128, 3),
                    mlp_hidden=(32, 64, 32, 16),
                    cnn_filters=(16, 32, 64),
                    cnn_dense=(32,),
                    head=(16,),
                    dropout=0.1,
                )

        trainer = Trainer(
            loss="binary_crossentropy",
            learning_rate=1e-3,
            epochs=epochs,
            batch_size=batch,
            early_stopping=None if self.fast else 10,
            seed=self.seed,
            balanced=True,
            augment=_noise_augment(0.05),
            progress=self.progress,
        )
        self.history_ = trainer.fit(builder, inputs, y, validation_data=val)
        self.estimator_ = trainer.model_
        return self

    # -- predict ---------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "estimator_"):
            raise NotFittedError(
                "this SvmModel is not fitted yet; call fit(X, y) or load a saved model with "
                "load_svm_model(folder)"
            )

    def predict_proba(self, X: pd.DataFrame, *, images: Any = None) -> np.ndarray:
        """Probability that each visit is misaligned, shape ``(n,)``.

        Parameters
        ----------
        X : pandas.DataFrame
            The feature table.
        images : array (n, 3, 128, 128, 3), optional
            The visits' images; required for ``kind="ensemble"``.

        Returns
        -------
        numpy.ndarray
            Shape ``(n,)``.
        """
        self._check_fitted()
        x = feature_matrix(X, getattr(self, "inputs_", None))
        if self.kind == "gb":
            return self.estimator_.predict_proba(x)[:, 1]
        if self.kind == "gb_et":
            return np.mean([e.predict_proba(x)[:, 1] for e in self.estimator_], axis=0)
        xs = self._scale(x)
        inputs: Any = xs
        if self.kind in ("ensemble", UPSTREAM_KIND):
            if images is None:
                raise InputError(
                    "this is an ensemble model: it needs the visits' image arrays "
                    "(n, 3, 128, 128, 3); pass images= (on the command line: --images "
                    "FILE.npz, with arrays 'index' and 'images')"
                )
            inputs = [xs, self._images(images, len(xs))]
        # eagerly in fixed chunks (builder.predict_batches): model.predict retraced and warned
        # on inputs of varying length (folds, a batch, one visit)
        from ....builder import predict_batches

        return predict_batches(self.estimator_, inputs).astype(float).reshape(-1)

    def predict(self, X: pd.DataFrame, *, images: Any = None) -> np.ndarray:
        """0 (aligned) / 1 (misaligned) at :attr:`threshold`.

        Parameters
        ----------
        X : pandas.DataFrame
            The feature table.
        images : array (n, 3, 128, 128, 3), optional
            The visits' images; required for ``kind="ensemble"``.

        Returns
        -------
        numpy.ndarray of int
            Shape ``(n,)``.
        """
        return (self.predict_proba(X, images=images) >= self.threshold).astype(int)

    # -- persistence -------------------------------------------------------------
    def save(
        self,
        folder: str | os.PathLike,
        *,
        metadata: dict | None = None,
        source: dict | None = None,
        headline_metrics: dict | None = None,
    ) -> Path:
        """Write the model folder (see the module docstring) and its ``model.json`` manifest
        (:mod:`spacekit.utils.manifest`, written complete last); return its path.

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

        self._check_fitted()
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        spec = self._spec(metadata)
        with writing_model(
            folder,
            app="hst_svm",
            source=source or trained_source(None),
            features=list(FEATURES),
            ranges=getattr(self, "feature_ranges_", None),
            headline_metrics=headline_metrics,
            details=spec,  # the model's settings: model.json is the one spec file
        ):
            self._write(folder, spec)
        return folder

    def _spec(self, metadata: dict | None) -> dict:
        """The settings a folder needs to load (``details`` of its ``model.json``)."""
        return {
            "app": "hst_svm",
            "kind": self.kind,
            "features": list(FEATURES),
            "model_inputs": list(getattr(self, "inputs_", feature_names())),
            "category_codes": "canonical",
            "threshold": float(self.threshold),
            "preprocessing": self.preprocessing_,
            "params": {
                k: getattr(self, k)
                for k in (
                    "fast",
                    "seed",
                    "epochs",
                    "batch_size",
                    "n_estimators",
                    "max_depth",
                    "learning_rate",
                    "max_features",
                )
            },
            **(metadata or {}),
        }

    def _write(self, folder: Path, spec: dict) -> None:
        if self.kind in TREE_KINDS:
            from ....utils.persist import save_estimator

            if self.kind == "gb":
                save_estimator(self.estimator_, folder / GB_FILE)
            else:
                save_estimator(self.estimator_[0], folder / GB_FILE)
                save_estimator(self.estimator_[1], folder / ET_FILE)
        else:
            from ....builder import save_model

            save_model(self.estimator_, folder, metadata={"svm": spec}, history=self.history_)

    @classmethod
    def load(cls, folder: str | os.PathLike) -> SvmModel:
        """Load a folder written by :meth:`save` (or a run folder holding ``model/``).

        Parameters
        ----------
        folder : path
            A model folder, or a run folder holding ``model/``.

        Returns
        -------
        SvmModel
            The fitted model.
        """
        from ..._app import load_model_settings

        folder, manifest, spec = load_model_settings(
            folder,
            app="hst_svm",
            spec_file=SPEC_FILE,
            missing=(
                f"{{folder}} is not an SVM model folder: model.json (or {SPEC_FILE}, from older "
                "versions) is missing. Train one with `spacekit svm train` or "
                "spacekit.skopes.hst.svm.train"
            ),
        )
        spec_path = folder / SPEC_FILE
        kind = spec.get("kind")
        if kind not in (*MODEL_KINDS, UPSTREAM_KIND):
            raise ModelLoadError(f"{spec_path}: unknown model kind {kind!r}")
        params = spec.get("params", {})
        model = cls(
            kind=kind,
            threshold=spec.get("threshold", 0.5),
            **{
                k: v
                for k, v in params.items()
                if k
                in (
                    "fast",
                    "seed",
                    "epochs",
                    "batch_size",
                    "n_estimators",
                    "max_depth",
                    "learning_rate",
                    "max_features",
                )
            },
        )
        model.preprocessing_ = spec.get("preprocessing", {})
        model.spec_ = spec
        model.history_ = None
        if kind in TREE_KINDS:
            from ....utils.persist import load_estimator

            model.estimator_ = load_estimator(folder / GB_FILE)
            if kind == "gb_et":
                model.estimator_ = [model.estimator_, load_estimator(folder / ET_FILE)]
        elif kind == UPSTREAM_KIND:  # upstream spacekit's ensemble, imported as its .keras file
            import keras

            model.estimator_ = keras.models.load_model(folder / spec["keras_file"], compile=False)
        else:
            from ....builder import load_model

            model.estimator_, meta = load_model(folder)
            model.history_ = meta.get("history")
        if spec.get("category_codes") != "canonical":
            import warnings

            warnings.warn(
                f"{folder} was saved before spacekit made the SVM category codes canonical: a "
                "model trained on the 2021 tables learned their per-batch codes (GALAXY 1, not "
                "7) and misreads the canonical codes it is now given; retrain it "
                "(`spacekit svm train`)",
                UserWarning,
                stacklevel=2,
            )
        # folders written before the fit-quality features hold the nine first ratios only
        model.inputs_ = list(spec.get("model_inputs", [*FEATURES, *DERIVED_V1]))
        model.n_features_in_ = len(model.inputs_)
        model.manifest_ = manifest
        if manifest.feature_ranges is not None:
            model.feature_ranges_ = manifest.feature_ranges
        return model

    def _repr_html_(self) -> str | None:
        """Notebook view: settings, fitted attributes and metadata."""
        from ....utils.display import model_html

        return model_html(self)

    def __repr__(self) -> str:
        return f"SvmModel(kind={self.kind!r}, threshold={self.threshold})"


def load_svm_model(folder: str | os.PathLike) -> SvmModel:
    """Load a saved SVM model folder (alias of :meth:`SvmModel.load`).

    Parameters
    ----------
    folder : path
        A folder written by :meth:`SvmModel.save`, or a run folder holding ``model/``.

    Returns
    -------
    SvmModel
        The fitted model.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({c: rng.integers(1, 50, 60) for c in FEATURES})
    >>> y = (df["rms_ra"] > 25).astype(int).to_numpy()
    >>> saved = SvmModel(kind="gb", fast=True).fit(df, y).save("svm_model")
    >>> model = load_svm_model("svm_model")
    >>> model, model.predict_proba(df).shape
    (SvmModel(kind='gb', threshold=0.5), (60,))
    """
    return SvmModel.load(folder)

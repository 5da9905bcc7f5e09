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

import logging
import os
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ....exceptions import (
    InputError,
    SchemaError,
)
from ....utils.runs import Run
from .encode import load_encoder_pairs
from .products import predict, predict_products  # noqa: F401  (importable from here too)
from .regressor import (  # noqa: F401  (importable from here too)
    _FEATURES,
    APP,
    MAX_GB,
    SPEC_FILE,
    JwstMemoryModel,
    _check_max_gb,
    _ImportedNetwork,
    table_definition,
)
from .scrape import group_products, scrape_headers

__all__ = [
    "load_memory_model",
    "train",
    "predict",
    "predict_products",
    "scrape_products",
]

log = logging.getLogger(__name__)


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


def _data_sha256(data: Any) -> str:
    """The sha256 a run records: of the file (a path or a registered dataset name's file),
    else of the DataFrame's values as given."""
    from ....datasets.tables import frame_sha256, resolve_path
    from ....utils.files import file_sha256

    if isinstance(data, pd.DataFrame):
        return frame_sha256(data)
    return file_sha256(resolve_path(data, what="training table"))


def _report(run: Run, y_true: Any, y_pred: Any, *, title: str) -> None:
    """Add the memory residuals to a run: ``figures/residuals_memory.png`` (when
    :mod:`spacekit.computer` is available) and ``evaluation.json`` (the dashboard's overlay)."""
    y_true, y_pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    if not len(y_true):
        return
    run.write_json(
        "evaluation.json",
        {
            "task": "regression",
            "residuals": {
                "y_true": y_true.tolist(),
                "y_pred": y_pred.tolist(),
                "target": "memory",
                "unit": "GB",
            },
        },
    )
    try:
        from ....computer import plot_residuals
    except ImportError:  # the computer layer is optional for this app
        log.info("spacekit.computer is not available: run %s gets no figure", run.path)
        return
    run.save_figure(
        plot_residuals(y_true, y_pred, title=f"{title} memory (GB)"), "residuals_memory"
    )


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
        Run folder (app ``"jwst_cal"``) with ``model/``, ``metrics.json``,
        ``predictions.csv`` (held-out products) and their residuals
        (``figures/residuals_memory.png``, ``evaluation.json``).

    Examples
    --------
    On a made-up table (use your own measured products for a real model):

    >>> from spacekit.skopes.jwst.cal.app import example_products
    >>> run = train(example_products(40), runs_dir="runs", fast=True)
    >>> sorted(p.name for p in run.model_dir.iterdir())
    ['image.skops', 'model.json', 'spec.skops']
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
        data_sha256=_data_sha256(data),
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
        held_out = pd.concat(held, ignore_index=True)
        run.write_predictions(held_out)
        _report(run, held_out["true_gb"], held_out["gbSize"], title="held-out products:")
    return run

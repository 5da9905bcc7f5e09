"""Predictions of a JWST memory model as ``{product: {"gbSize": value}}`` (the reply of upstream
spacekit 1.1.4): for a products table (:func:`predict_products`) or a folder of uncal exposures
(:func:`predict`). Also importable from :mod:`spacekit.skopes.jwst.cal.model`."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

import pandas as pd

from ....exceptions import SchemaError

if TYPE_CHECKING:
    from .model import JwstMemoryModel

__all__ = ["predict_products", "predict"]


def predict_products(
    products: pd.DataFrame,
    model: JwstMemoryModel | str | os.PathLike,
    *,
    max_gb: float | None = None,
) -> dict[str, dict[str, float]]:
    """Predict grouped products → ``{product: {"gbSize": value}}``.

    Parameters
    ----------
    products : pandas.DataFrame
        Products as :func:`~spacekit.skopes.jwst.cal.model.scrape_products` or
        :func:`~spacekit.skopes.jwst.cal.group_products` return them (``product``, ``kind``
        and the feature columns).
    model : JwstMemoryModel or path
        A fitted model or a model folder.
    max_gb : float, optional
        Cap of predictions in GB; by default the model's.

    Returns
    -------
    dict
        ``{product: {"gbSize": value}}``, values in GB, in the order of ``products``.

    Examples
    --------
    >>> from spacekit.skopes.jwst.cal.app import example_products
    >>> from spacekit.skopes.jwst.cal.model import train
    >>> products = example_products(40)
    >>> run = train(products, runs_dir="runs", fast=True)
    >>> out = predict_products(products.head(2), run.model_dir, max_gb=1.0)
    >>> out
    {'jw90000-o001_t1_example': {'gbSize': 1.0}, 'jw90001-o001_t1_example': {'gbSize': 1.0}}
    """
    from .model import JwstMemoryModel, _check_max_gb

    if max_gb is not None:
        max_gb = _check_max_gb(max_gb)
    missing = [c for c in ("product", "kind") if c not in products.columns]
    if missing:
        raise SchemaError(
            f"products need columns 'product' and 'kind'; missing {missing} (found "
            f"{list(products.columns)[:10]}); build the table with group_products or "
            "scrape_products"
        )
    if isinstance(model, JwstMemoryModel):
        m = model
        if max_gb is not None:  # a copy: the caller's model keeps its own cap
            import copy

            m = copy.copy(model)
            m.max_gb = max_gb
    else:
        m = JwstMemoryModel.load(model, max_gb=max_gb)
    out: dict[str, dict[str, float]] = {}
    digits = int(getattr(m, "spec_", {}).get("rounding", 3))  # upstream's models: 2
    for _kind, rows in products.groupby(products["kind"].astype(str).str.upper()):
        rows.attrs = dict(products.attrs)
        pred = m.predict(rows)
        for name, gb in zip(rows["product"], pred, strict=True):
            out[str(name)] = {"gbSize": round(float(gb), digits)}
    return {k: out[k] for k in products["product"].astype(str)}


def predict(
    source: str | os.PathLike | Iterable[str | os.PathLike],
    model_dir: str | os.PathLike,
    *,
    max_gb: float | None = None,
) -> dict[str, dict[str, float]]:
    """Predict the memory of every Level-3 product of a folder of uncal exposures.

    Parameters
    ----------
    source : path or iterable of paths
        A folder of ``*_uncal.fits`` exposures, or the files.
    model_dir : path
        A model folder (trained here or imported from upstream spacekit 1.1.4).
    max_gb : float, optional
        Cap of predictions in GB; by default the model's.

    Returns
    -------
    dict
        ``{product: {"gbSize": value}}``, values in GB capped at ``max_gb``.

    Examples
    --------
    A model trained on a made-up table, and a folder holding one made-up NIRCam exposure:

    >>> from spacekit.skopes.jwst.cal.app import example_products
    >>> from spacekit.skopes.jwst.cal.model import train
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
    from .model import JwstMemoryModel, scrape_products

    model = JwstMemoryModel.load(model_dir, max_gb=max_gb)
    definition = getattr(model, "feature_definition_", "spacekit")
    return predict_products(scrape_products(source, definition=definition), model)

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

    Examples
    --------
    >>> # predict_products(scrape_products(folder), "runs/jwst_cal/…/model")
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

    Returns
    -------
    dict
        ``{product: {"gbSize": value}}``, values in GB capped at ``max_gb``.

    Examples
    --------
    >>> # predict("jw02732_uncal/", "my_jwst_model")
    """
    from .model import JwstMemoryModel, scrape_products

    model = JwstMemoryModel.load(model_dir, max_gb=max_gb)
    definition = getattr(model, "feature_definition_", "spacekit")
    return predict_products(scrape_products(source, definition=definition), model)

"""Encode JWST Level-3 product features with upstream's ``encoder_pairs.json`` table.

The table maps each categorical column (instr, detector, filter, pupil, grating, exp_type,
channel, band, subarray, visitype) to integers; a key may be a regular expression (upstream's
visitype table has ``".+WFSC.+"``). The feature orders are upstream's (data README):

- IMAGE: instr, detector, visitype, filter, pupil, channel, subarray, bkgdtarg, nexposur,
  numdthpt, offset, max_offset, mean_offset, sigma_offset, err_offset, sigma1_mean, frac,
  targ_frac;
- SPEC: instr, detector, visitype, filter, pupil, grating, subarray, band, nexposur, numdthpt,
  targ_max_offset, offset, max_offset, mean_offset, sigma_offset, err_offset, sigma1_mean, frac.

Examples
--------
>>> pairs = {"instr": {"NIRCAM": 2}, "visitype": {"NONE": 0, ".+WFSC.+": 1}}
>>> encode_value(pairs, "instr", "nircam"), encode_value(pairs, "visitype", "PRIME_WFSC_X")
(2, 1)
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ....exceptions import DataNotFoundError, FormatError, InputError, SchemaError

__all__ = [
    "IMAGE_FEATURES",
    "SPEC_FEATURES",
    "CATEGORICAL",
    "load_encoder_pairs",
    "encode_value",
    "encode_products",
]

log = logging.getLogger(__name__)

IMAGE_FEATURES: tuple[str, ...] = (
    "instr",
    "detector",
    "visitype",
    "filter",
    "pupil",
    "channel",
    "subarray",
    "bkgdtarg",
    "nexposur",
    "numdthpt",
    "offset",
    "max_offset",
    "mean_offset",
    "sigma_offset",
    "err_offset",
    "sigma1_mean",
    "frac",
    "targ_frac",
)
SPEC_FEATURES: tuple[str, ...] = (
    "instr",
    "detector",
    "visitype",
    "filter",
    "pupil",
    "grating",
    "subarray",
    "band",
    "nexposur",
    "numdthpt",
    "targ_max_offset",
    "offset",
    "max_offset",
    "mean_offset",
    "sigma_offset",
    "err_offset",
    "sigma1_mean",
    "frac",
)
CATEGORICAL = (
    "instr",
    "detector",
    "visitype",
    "filter",
    "pupil",
    "grating",
    "channel",
    "subarray",
    "band",
    "exp_type",
)
_REGEX_CHARS = re.compile(r"[.+*?\[\]()^$\\]")


def load_encoder_pairs(source: str | os.PathLike | Mapping | None = None) -> dict:
    """Return the encoder table: a dict, a JSON file, or (None) the registered dataset
    ``jwst_cal_encoder_pairs`` through :func:`spacekit.datasets.load`.

    Parameters
    ----------
    source : mapping, path or None
        The table itself, a JSON file holding it, or None for the registered dataset.

    Returns
    -------
    dict
        ``{column: {header value or regular expression: code}}``.

    Examples
    --------
    >>> load_encoder_pairs({"instr": {"MIRI": 1}})["instr"]["MIRI"]
    1
    """
    if source is None:
        from ....datasets import load

        source = load("jwst_cal_encoder_pairs")
    if isinstance(source, Mapping):
        pairs = {str(k): dict(v) for k, v in source.items()}
    else:
        path = Path(source)
        if not path.is_file():
            raise DataNotFoundError(f"encoder table {path} does not exist")
        try:
            pairs = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise FormatError(f"{path} is not JSON: {exc}") from None
    if not isinstance(pairs, dict) or not all(isinstance(v, dict) for v in pairs.values()):
        raise FormatError("the encoder table must map column names to {value: code} objects")
    return pairs


def encode_value(pairs: Mapping, column: str, value: Any) -> int:
    """Encode one categorical value; exact keys first, then regular-expression keys.

    Parameters
    ----------
    pairs : mapping
        The encoder table.
    column : str
        The column of the value (``"instr"``, ``"filter"``, ...).
    value : object
        The header value.

    Returns
    -------
    int
        Its code.

    Raises
    ------
    InputError
        For a value the table does not know (naming column, value and the known values).

    Examples
    --------
    >>> encode_value({"grating": {"NONE": 0, "PRISM": 2}}, "grating", "prism")
    2
    """
    table = pairs.get(column)
    if table is None:
        raise SchemaError(f"the encoder table has no column {column!r}; it has {sorted(pairs)}")
    text = (
        "NONE"
        if value is None or (isinstance(value, float) and value != value)
        else str(value).strip().upper()
    )
    if text in table:
        return int(table[text])
    for key, code in table.items():
        if _REGEX_CHARS.search(key) and re.fullmatch(key, text):
            return int(code)
    raise InputError(
        f"unknown {column} value {value!r}: the encoder table knows "
        f"{sorted(table)[:40]}{' ...' if len(table) > 40 else ''}; extend encoder_pairs.json "
        "or check the exposure headers"
    )


def encode_products(
    products: pd.DataFrame, pairs: Mapping | None = None, *, kind: str | None = None
) -> pd.DataFrame:
    """Return the numeric feature table of products (IMAGE or SPEC order).

    Parameters
    ----------
    products : pandas.DataFrame
        Output of :func:`~spacekit.skopes.jwst.cal.group_products` (or a user table with the
        same columns). Columns already numeric are kept as they are.
    pairs : dict, optional
        Encoder table (default: :func:`load_encoder_pairs`).
    kind : {"IMAGE", "SPEC"}, optional
        Feature order; by default every row must share one ``kind`` column value.

    Returns
    -------
    pandas.DataFrame
        The numeric features in :data:`IMAGE_FEATURES` or :data:`SPEC_FEATURES` order, on the
        index of ``products``.

    Examples
    --------
    >>> import pandas as pd
    >>> from spacekit.skopes.jwst.cal.app import example_products
    >>> images = example_products(4).query("kind == 'IMAGE'")
    >>> encoded = encode_products(images)
    >>> encoded.shape, bool(encoded.apply(pd.api.types.is_numeric_dtype).all())
    ((2, 18), True)
    """
    pairs = load_encoder_pairs(pairs)
    if kind is None:
        kinds = set(products.get("kind", pd.Series(dtype=str)).astype(str).str.upper())
        if len(kinds) != 1:
            raise InputError(
                f"pass kind='IMAGE' or 'SPEC' (the table's 'kind' column holds {sorted(kinds)})"
            )
        kind = kinds.pop()
    kind = str(kind).upper()
    if kind not in {"IMAGE", "SPEC"}:
        raise InputError(f"kind must be 'IMAGE' or 'SPEC', got {kind!r}")
    features = IMAGE_FEATURES if kind == "IMAGE" else SPEC_FEATURES
    missing = [c for c in features if c not in products.columns]
    if missing:
        raise SchemaError(
            f"{kind} products need columns {list(features)}; missing {missing} "
            "(build them with group_products)"
        )
    out = pd.DataFrame(index=products.index)
    for col in features:
        values = products[col]
        if col in CATEGORICAL and not pd.api.types.is_numeric_dtype(values):
            names = (
                products["product"] if "product" in products.columns else products.index
            ).astype(str)
            codes = []
            for name, v in zip(names, values, strict=True):
                try:
                    codes.append(encode_value(pairs, col, v))
                except InputError as exc:  # say which product, in a table of many
                    raise InputError(f"{exc} (product {name!r})") from None
            out[col] = codes
        else:
            num = pd.to_numeric(
                values.map(lambda v: {"True": 1, "False": 0}.get(str(v), v)), errors="coerce"
            ).astype(float)
            bad = ~np.isfinite(num)
            if bad.any():
                names = (
                    (
                        products.loc[bad, "product"]
                        if "product" in products.columns
                        else products.index[bad].to_series()
                    )
                    .astype(str)
                    .tolist()[:3]
                )
                raise SchemaError(
                    f"column {col!r} has {int(bad.sum())} missing, non-numeric or infinite "
                    f"values (e.g. products {names}: {values[bad].astype(str).tolist()[:3]}); "
                    "fill or drop those products (group_products computes every column)"
                )
            out[col] = num
    return out

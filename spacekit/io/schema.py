"""Schema checks for tables: required columns and column dtypes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import InputError, SchemaError

__all__ = ["check_schema"]

# Friendly dtype names accepted in ``dtypes`` besides numpy/pandas dtypes.
_KINDS = {
    "number": "numeric",
    "numeric": "numeric",
    "float": "float",
    "int": "integer",
    "integer": "integer",
    "bool": "bool",
    "boolean": "bool",
    "str": "string",
    "string": "string",
    "object": "string",
    "datetime": "datetime",
}


def _matches(series: pd.Series, expected: Any) -> bool:
    kind = _KINDS.get(expected) if isinstance(expected, str) else None
    dtype = series.dtype
    if kind == "numeric":
        return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
    if kind == "float":
        return pd.api.types.is_float_dtype(dtype)
    if kind == "integer":
        return pd.api.types.is_integer_dtype(dtype)
    if kind == "bool":
        return pd.api.types.is_bool_dtype(dtype)
    if kind == "string":
        return pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype)
    if kind == "datetime":
        return pd.api.types.is_datetime64_any_dtype(dtype)
    try:
        want = np.dtype(expected)
    except TypeError:
        try:
            return pd.api.types.pandas_dtype(expected) == dtype
        except TypeError:
            raise InputError(
                f"unknown dtype {expected!r} in dtypes; use a numpy dtype or one of "
                f"{sorted(_KINDS)}"
            ) from None
    if want.kind in "iu":
        return pd.api.types.is_integer_dtype(dtype)
    if want.kind == "f":
        return pd.api.types.is_float_dtype(dtype)
    if want.kind in "OUS":
        return pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype)
    return dtype == want


def check_schema(
    df: pd.DataFrame,
    *,
    required: Iterable[str] = (),
    dtypes: Mapping[str, Any] | None = None,
    name: str = "table",
) -> pd.DataFrame:
    """Check that ``df`` has the ``required`` columns and the expected ``dtypes``.

    Parameters
    ----------
    df : pandas.DataFrame
        The table to check.
    required : iterable of str
        Column names that must be present.
    dtypes : mapping, optional
        Column name -> expected type: a numpy/pandas dtype (``"float64"``, ``int``) or a
        kind (``"numeric"``, ``"float"``, ``"integer"``, ``"bool"``, ``"string"``,
        ``"datetime"``). Integer and float dtypes match any width (``int32`` matches
        ``"int64"``). A column named here must also be present.
    name : str
        What the table is (a file name, a dataset name), used in the error message.

    Returns
    -------
    pandas.DataFrame
        ``df`` itself, so the call can be chained.

    Raises
    ------
    SchemaError
        Naming every missing column and every column of the wrong type.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"ipst": ["j8zs05020"], "memory": [18.9]})
    >>> check_schema(df, required=["ipst"], dtypes={"memory": "numeric"}) is df
    True
    >>> check_schema(df, required=["ipst", "wallclock"], name="jobs.csv")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    spacekit.exceptions.SchemaError: jobs.csv is missing required column(s) ['wallclock'] ...
    """
    if not isinstance(df, pd.DataFrame):
        raise InputError(
            f"check_schema expects a pandas DataFrame, got {type(df).__name__}; "
            "convert it first (astropy Table: table.to_pandas())"
        )
    dtypes = dict(dtypes or {})
    if isinstance(required, str):  # one column name, not an iterable of characters
        required = [required]
    wanted = list(dict.fromkeys([*required, *dtypes]))
    missing = [c for c in wanted if c not in df.columns]
    problems = []
    if missing:
        shown = list(map(str, df.columns[:20]))
        more = f" and {len(df.columns) - 20} more" if len(df.columns) > 20 else ""
        problems.append(f"is missing required column(s) {missing} (found columns: {shown}{more})")
    bad = {
        col: (str(df[col].dtype), str(exp))
        for col, exp in dtypes.items()
        if col in df.columns and not _matches(df[col], exp)
    }
    if bad:
        details = ", ".join(f"{c!r} is {got}, expected {exp}" for c, (got, exp) in bad.items())
        problems.append(f"has column(s) of the wrong type: {details}")
    if problems:
        if missing and not bad:
            hint = "add them or check that you read the right file"
        else:
            hint = "convert the columns (df.astype) or check the file's contents"
        raise SchemaError(f"{name} " + "; and ".join(problems) + f"; {hint}")
    return df

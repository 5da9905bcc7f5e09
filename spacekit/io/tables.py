"""Tables in any format: csv, HDF5, FITS, JSON and ECSV into pandas DataFrames."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ..exceptions import FormatError, InputError
from ..utils.files import atomic_path, atomic_write
from ._common import as_path, check_readable, reading
from .schema import check_schema

__all__ = ["read_table", "write_table", "guess_format", "TABLE_FORMATS"]

PathLike = str | os.PathLike

#: Table formats and the file suffixes that select them.
TABLE_FORMATS: dict[str, tuple[str, ...]] = {
    "csv": (".csv", ".csv.gz", ".txt", ".tsv"),
    "hdf5": (".h5", ".hdf5", ".hdf", ".he5"),
    "fits": (".fits", ".fit", ".fts", ".fits.gz"),
    "json": (".json",),
    "ecsv": (".ecsv",),
}


def guess_format(path: PathLike) -> str:
    """Return the table format of ``path`` from its suffix.

    Parameters
    ----------
    path : path
        A file name (it need not exist).

    Returns
    -------
    str
        One of the keys of ``TABLE_FORMATS`` (``"csv"``, ``"fits"``, ...).

    Examples
    --------
    >>> guess_format("jobs.csv.gz"), guess_format("lc.fits")
    ('csv', 'fits')
    """
    name = as_path(path, "table").name.lower()
    for fmt, suffixes in TABLE_FORMATS.items():
        if name.endswith(suffixes):
            return fmt
    raise InputError(
        f"cannot tell the table format of {path} from its suffix; pass format= one of "
        f"{sorted(TABLE_FORMATS)}"
    )


def _check_format(fmt: str) -> str:
    fmt = fmt.lower()
    if fmt not in TABLE_FORMATS:
        raise InputError(f"unknown table format {fmt!r}; use one of {sorted(TABLE_FORMATS)}")
    return fmt


def read_table(
    path: PathLike,
    *,
    format: str | None = None,
    required: Iterable[str] | None = None,
    dtypes: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> pd.DataFrame:
    """Read a table file into a pandas DataFrame and check its schema.

    Parameters
    ----------
    path : str or path-like
        The file: csv (``.csv``, ``.csv.gz``, ``.txt``, ``.tsv``), HDF5, FITS (the first
        table extension), JSON (a list of records or a dict of columns) or ECSV.
    format : str, optional
        One of ``"csv"``, ``"hdf5"``, ``"fits"``, ``"json"``, ``"ecsv"``; default: from the
        suffix.
    required : iterable of str, optional
        Columns that must be present (else :class:`~spacekit.exceptions.SchemaError`).
    dtypes : mapping, optional
        Expected column types (see :func:`check_schema`).
    **kwargs
        Passed to the underlying reader (``pandas.read_csv`` for csv; ``hdu=`` for FITS,
        ``key=`` for HDF5).

    Returns
    -------
    pandas.DataFrame
        For formats with units (FITS, HDF5, ECSV), ``df.attrs["units"]`` maps column to unit
        and ``df.attrs["meta"]`` holds the table metadata.

    Raises
    ------
    DataNotFoundError
        The file does not exist.
    FormatError
        The file is empty, corrupt, truncated or not in the format expected.
    SchemaError
        A required column is missing or has the wrong type.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "jobs.csv"
    >>> _ = write_table(pd.DataFrame({"ipst": ["j8zs05020"], "memory": [18.9]}), p)
    >>> read_table(p, required=["ipst"], dtypes={"memory": "float"}).shape
    (1, 2)
    """
    fmt = _check_format(format) if format else guess_format(path)
    name = {"csv": "csv", "hdf5": "HDF5", "fits": "FITS", "json": "JSON", "ecsv": "ECSV"}[fmt]
    path = check_readable(path, name)
    if fmt == "csv":
        if Path(path).name.lower().endswith(".tsv"):
            kwargs.setdefault("sep", "\t")
        with reading(path, name):
            df = pd.read_csv(path, **kwargs)
        if df.shape[1] == 0:
            raise FormatError(f"{path} holds no columns: expected a csv table")
    elif fmt == "json":
        from .formats import read_json

        obj = read_json(path)
        with reading(path, "JSON table (a list of records or a dict of columns)"):
            if not isinstance(obj, (list, dict)):
                raise ValueError(f"found a JSON {type(obj).__name__}")
            df = pd.DataFrame(obj)
    else:
        if fmt == "fits":
            from .fits import read_fits_table

            table = read_fits_table(path, **kwargs)
            table = _restore_fits_times(table, path, kwargs.get("hdu", 1))
        elif fmt == "hdf5":
            from .formats import read_hdf5

            table = read_hdf5(path, **kwargs)
            if not hasattr(table, "colnames"):
                raise InputError(
                    f"{path} key {kwargs.get('key')!r} holds arrays, not a table; use read_hdf5"
                )
        else:
            from astropy.table import Table

            with reading(path, name):
                table = Table.read(path, format="ascii.ecsv")
        df = _table_to_frame(table, path)
    check_schema(df, required=required or (), dtypes=dtypes, name=str(path))
    return df


def _restore_fits_times(table: Any, path: Path, hdu: Any) -> Any:
    """Turn the (jd1, jd2) pair columns that astropy writes for Time columns back into
    Time columns (only those: archive TIME columns stay plain numbers)."""
    pairs = [c for c in table.colnames if table[c].ndim == 2 and table[c].shape[1] == 2]
    if not pairs:
        return table
    import warnings

    from astropy.table import Table
    from astropy.time import Time

    with reading(path, "FITS"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        native = Table.read(path, hdu=hdu, astropy_native=True)
    for col in pairs:
        if isinstance(native[col], Time):
            table[col] = native[col]
    return table


def _table_to_frame(table: Any, path: Path) -> pd.DataFrame:
    multi = [c for c in table.colnames if table[c].ndim > 1]
    if multi:
        raise InputError(
            f"{path} has multidimensional column(s) {multi}, which a DataFrame cannot hold; "
            "use read_fits_table / read_hdf5 for an astropy Table, or drop them"
        )
    units = {
        c: str(table[c].unit) for c in table.colnames if getattr(table[c], "unit", None) is not None
    }
    df = table.to_pandas()
    df.attrs["units"] = units
    df.attrs["meta"] = {str(k): v for k, v in dict(table.meta).items() if _simple(v)}
    return df


def _parse_unit(unit: Any, col: str) -> Any:
    import astropy.units as u

    try:
        return u.Unit(unit)
    except (ValueError, TypeError) as exc:
        raise InputError(
            f"units gives {str(unit)!r} for column {col!r}, which is not a unit astropy can "
            f"parse ({str(exc).splitlines()[0][:120]}); use a unit name such as 'd', 's', "
            "'electron / s' or 'Mbyte'"
        ) from None


def _simple(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool)) or value is None


def write_table(
    df: Any,
    path: PathLike,
    *,
    format: str | None = None,
    index: bool = False,
    units: Mapping[str, str] | None = None,
    meta: Mapping[str, Any] | None = None,
) -> Path:
    """Write a DataFrame (or astropy Table) to a table file, atomically.

    Parameters
    ----------
    df : pandas.DataFrame or astropy.table.Table
        The table.
    path : str or path-like
        Destination; the format comes from the suffix unless ``format`` is given.
    format : str, optional
        ``"csv"``, ``"hdf5"``, ``"fits"``, ``"json"`` (records) or ``"ecsv"``.
    index : bool
        Write a DataFrame's index as a column, in every format (it reads back as an
        ordinary column: the index name, or ``"index"`` when unnamed; for csv an unnamed
        index has an empty header). Ignored for an astropy Table, which has no index.
    units, meta : mapping, optional
        Column units and table metadata for formats that keep them (FITS, HDF5, ECSV);
        default: ``df.attrs["units"]`` / ``df.attrs["meta"]`` or the Table's own. A unit
        given in ``units`` must be one astropy can parse (e.g. ``"d"``, ``"electron / s"``,
        ``"Mbyte"``), else :class:`~spacekit.exceptions.InputError`.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.fits"
    >>> _ = write_table(pd.DataFrame({"time": [1.0]}), p, units={"time": "d"})
    >>> read_table(p).attrs["units"]
    {'time': 'd'}
    """
    fmt = _check_format(format) if format else guess_format(path)
    path = as_path(path, "table")
    from astropy.table import Table

    is_frame = isinstance(df, pd.DataFrame)
    if not is_frame and not isinstance(df, Table):
        raise InputError(
            f"write_table expects a pandas DataFrame or astropy Table, got "
            f"{type(df).__name__}; convert it first (e.g. pd.DataFrame(records))"
        )
    if units:
        units = {col: _parse_unit(unit, col) for col, unit in units.items()}
    if is_frame and not all(isinstance(c, str) for c in df.columns):
        # FITS, HDF5 and ECSV need text column names; csv and json write them as text too
        df = df.rename(columns=str)
    if fmt in ("csv", "json"):
        frame = df if is_frame else df.to_pandas()
        sep = "\t" if path.name.lower().endswith(".tsv") else ","  # as read_table reads it
        if fmt == "csv" and path.name.lower().endswith(".gz"):
            with atomic_path(path) as tmp:
                frame.to_csv(tmp, index=index, compression="gzip")
        elif fmt == "csv":
            with atomic_write(path, "w", encoding="utf-8", newline="") as fh:
                frame.to_csv(fh, index=index, sep=sep)
        else:
            frame = frame.reset_index() if index else frame
            with atomic_write(path, "w", encoding="utf-8") as fh:
                if len(frame):
                    frame.to_json(fh, orient="records", indent=1, date_format="iso")
                else:  # no records to carry the column names: write a dict of columns
                    json.dump({str(c): [] for c in frame.columns}, fh)
        return path

    if is_frame:
        table = Table.from_pandas(df.reset_index() if index else df)
        units = {**df.attrs.get("units", {}), **(units or {})}
        meta = {**df.attrs.get("meta", {}), **(meta or {})}
    elif isinstance(df, Table):
        table = df.copy(copy_data=False)
    else:
        raise InputError(
            f"write_table expects a DataFrame or astropy Table, got {type(df).__name__}"
        )
    for col, unit in (units or {}).items():
        if col not in table.colnames:
            raise InputError(f"units names column {col!r}, which the table lacks")
        table[col].unit = unit
    table.meta.update(meta or {})
    if fmt == "fits":
        from .fits import write_fits_table

        return write_fits_table(table, path)
    if fmt == "hdf5":
        from .formats import write_hdf5

        return write_hdf5(path, table)
    with atomic_path(path) as tmp:
        table.write(tmp, format="ascii.ecsv")
    return path

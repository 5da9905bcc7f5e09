"""Light-curve files as they are on disk: mission FITS tables and csv/text tables.

This module opens the files (FITS through :func:`~spacekit.io.open_fits`, so every FITS file
of the package is opened, checked and reported on in one place) and hands back their raw
contents; :func:`spacekit.transformer.read_lightcurve` turns those into a
:class:`~spacekit.transformer.LightCurve` (time systems, units, quality masks).

- :func:`lightcurve_file_format` tells a FITS file from a text table and names other formats
  (PNG, npz, HDF5, ...) instead of parsing them as csv;
- :func:`read_lightcurve_fits_table` finds the table with a ``TIME`` column and returns it
  with the primary header, its data read into memory;
- :func:`read_lightcurve_csv` reads a csv/text table of time, flux[, flux_err][, quality]
  with or without a header line.

Layer 1 (access).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from ..exceptions import FormatError
from ._common import check_readable, reading
from .fits import open_fits

__all__ = [
    "FitsLightCurveTable",
    "lightcurve_file_format",
    "read_lightcurve_fits_table",
    "read_lightcurve_csv",
    "CSV_TIME_NAMES",
    "CSV_FLUX_NAMES",
]

PathLike = str | os.PathLike

_FITS_SUFFIXES = (".fits", ".fit", ".fts", ".fits.gz", ".fit.gz")
#: Header names of a csv's time and flux columns (lower case); a header naming neither is
#: refused rather than read as a light curve.
CSV_TIME_NAMES = ("time", "t", "bjd", "jd", "btjd", "bkjd", "mjd")
CSV_FLUX_NAMES = ("flux", "pdcsap_flux", "sap_flux")
_CSV_ERR_NAMES = ("flux_err", "pdcsap_flux_err")
_CSV_QUALITY_NAMES = ("quality", "sap_quality")

#: Leading bytes of formats that are not light curves -> what they are.
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"PK\x03\x04", "a zip archive (e.g. a numpy .npz)"),
    (b"PK\x05\x06", "an empty zip archive (e.g. a numpy .npz)"),
    (b"\x93NUMPY", "a numpy .npy array"),
    (b"\x89HDF\r\n\x1a\n", "an HDF5 file"),
    (b"#ASDF", "an ASDF file"),
    (b"\x1f\x8b", "a gzip file"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"%PDF", "a PDF document"),
)


class FitsLightCurveTable(NamedTuple):
    """A FITS light curve as read by :func:`read_lightcurve_fits_table`.

    Parameters
    ----------
    path : pathlib.Path
        The file.
    primary : astropy.io.fits.Header
        The primary header (mission, target and time keywords of archive files).
    hdu : astropy.io.fits.BinTableHDU
        The first table with a ``TIME`` column, its data in memory (the file is closed).
    """

    path: Path
    primary: Any
    hdu: Any

    @property
    def header(self) -> Any:
        """The table's own header."""
        return self.hdu.header

    @property
    def columns(self) -> dict[str, str]:
        """The table's column names by their upper-case form."""
        return {name.upper(): name for name in self.hdu.columns.names}


def lightcurve_file_format(path: PathLike) -> str:
    """Whether a light-curve file is FITS (``"fits"``) or a text table (``"csv"``).

    A FITS suffix (``.fits``, ``.fit``, ``.fts``, gzipped or not) or a file starting with the
    FITS ``SIMPLE`` card is FITS; any other file must be text.

    Parameters
    ----------
    path : str or path-like
        The file to look at (its name and first 4 KB).

    Returns
    -------
    str
        ``"fits"`` or ``"csv"``.

    Raises
    ------
    DataNotFoundError
        When ``path`` does not exist or is a folder.
    FormatError
        When the file is empty, or is neither FITS nor text (the message names what it is:
        a PNG image, a numpy .npz, an HDF5 file, ...).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "lc.txt").write_text("1325.0,1.0\\n1325.1,0.9\\n")
    >>> lightcurve_file_format(d / "lc.txt")
    'csv'
    >>> _ = (d / "lc.dat").write_bytes(b"\\x89PNG\\r\\n\\x1a\\n" + bytes(16))
    >>> lightcurve_file_format(d / "lc.dat")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    spacekit.exceptions.FormatError: '.../lc.dat' is a PNG image, not a light curve: ...
    """
    path = check_readable(path, "light curve")
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if path.name.lower().endswith(_FITS_SUFFIXES) or head.startswith(b"SIMPLE  ="):
        return "fits"
    what = next((desc for magic, desc in _MAGIC if head.startswith(magic)), None)
    if what is None and b"\x00" in head:
        what = "a binary file"
    if what is None:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:  # not just a character cut at the 4096-byte edge
                what = "a binary (non-text) file"
    if what is not None:
        raise FormatError(
            f"{str(path)!r} is {what}, not a light curve: expected a Kepler/K2/TESS FITS light "
            "curve or a csv of time, flux[, flux_err]."
        )
    return "csv"


def read_lightcurve_fits_table(path: PathLike) -> FitsLightCurveTable:
    """Read the light-curve table of a FITS file: the first table with a ``TIME`` column.

    Parameters
    ----------
    path : str or path-like
        A Kepler/K2/TESS light curve, a file written by
        :func:`~spacekit.transformer.write_lightcurve_fits`, or any FITS file with such a table.

    Returns
    -------
    FitsLightCurveTable
        The path, the primary header and the table HDU (data read into memory).

    Raises
    ------
    DataNotFoundError
        When ``path`` does not exist or is a folder.
    FormatError
        When the file is empty, truncated or not FITS, or holds no table with a ``TIME``
        column, or that table has no rows.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> from astropy.io import fits
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "lc.fits"
    >>> table = fits.BinTableHDU.from_columns([
    ...     fits.Column(name="TIME", format="D", array=np.array([1.0, 2.0])),
    ...     fits.Column(name="SAP_FLUX", format="E", array=np.array([5.0, 6.0]))])
    >>> fits.HDUList([fits.PrimaryHDU(), table]).writeto(p)
    >>> lc = read_lightcurve_fits_table(p)
    >>> sorted(lc.columns), lc.hdu.data["SAP_FLUX"].tolist()
    (['SAP_FLUX', 'TIME'], [5.0, 6.0])
    """
    from astropy.io import fits

    path = check_readable(path, "FITS")
    with open_fits(path) as hdul:
        hdu = next(
            (
                h
                for h in hdul
                if isinstance(h, (fits.BinTableHDU, fits.TableHDU))
                and h.columns is not None
                and "TIME" in (n.upper() for n in h.columns.names)
            ),
            None,
        )
        if hdu is None:
            raise FormatError(
                f"{str(path)!r} has no FITS table with a TIME column (HDUs: "
                f"{[h.name for h in hdul]}); expected a Kepler, K2 or TESS light curve file."
            )
        primary = hdul[0].header.copy()
        data = hdu.data  # read now, while the file is open: a truncated table fails here
        if data is None or len(data) == 0:
            raise FormatError(f"{str(path)!r} has a light curve table with no rows.")
        for name in hdu.columns.names:
            data[name]
    return FitsLightCurveTable(path=path, primary=primary, hdu=hdu)


def read_lightcurve_csv(path: PathLike):
    """Read a csv/text light curve into a DataFrame of ``time``, ``flux`` and, where the file
    has them, ``flux_err`` and ``quality``.

    The separator is a comma when the first line has one, else whitespace; lines starting
    with ``#`` are comments. With a header line, the columns are found by name (time:
    ``time``, ``t``, ``bjd``, ``jd``, ``btjd``, ``bkjd``, ``mjd``; flux: ``flux``,
    ``pdcsap_flux``, ``sap_flux``; ``flux_err``/``pdcsap_flux_err``; ``quality``/
    ``sap_quality``; the first and second columns stand in for a time or flux column the
    header does not name). Without one, the columns are time, flux[, flux_err] in that order.
    The file has no time system; the caller supplies it.

    Parameters
    ----------
    path : str or path-like
        A comma- or whitespace-separated text file.

    Returns
    -------
    pandas.DataFrame
        Float columns ``time``, ``flux`` (and ``flux_err``), an int64 ``quality`` column
        (missing flags as 0) when the header names one. ``attrs`` holds ``columns`` (the
        file's own name of each column read) and ``rows`` (the rows read).

    Raises
    ------
    DataNotFoundError
        When ``path`` does not exist or is a folder.
    FormatError
        When the file is empty, not text, cannot be parsed, has fewer than two columns or no
        rows, has a header naming neither a time nor a flux column, or holds non-numbers.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "lc.csv"
    >>> _ = p.write_text("time,pdcsap_flux,quality\\n1325.0,1.0,0\\n1325.1,0.9,128\\n")
    >>> df = read_lightcurve_csv(p)
    >>> list(df.columns), df.attrs["columns"]["flux"]
    (['time', 'flux', 'quality'], 'pdcsap_flux')
    """
    import pandas as pd

    path = check_readable(path, "csv light curve")
    with reading(path, "csv"):
        with path.open("r", errors="replace") as fh:
            # the first line that is not a comment (pandas skips those too)
            lines = (line.split("#", 1)[0] for line in fh)
            first = next((line for line in lines if line.strip()), "")
    sep = "," if "," in first else r"\s+"
    cells = [c.strip() for c in (first.split(",") if sep == "," else first.split())]
    has_header = any(_not_number(c) for c in cells if c)
    try:
        df = pd.read_csv(path, sep=sep, header=0 if has_header else None, comment="#")
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise FormatError(
            f"cannot parse {str(path)!r} as a csv of time, flux[, flux_err]: {exc}"
        ) from exc
    if df.shape[1] < 2 or len(df) == 0:
        raise FormatError(
            f"{str(path)!r} should have at least two columns (time, flux) and one row; found "
            f"{df.shape[1]} column(s) and {len(df)} row(s)."
        )
    names = _csv_columns(path, df, has_header)
    out = pd.DataFrame(index=df.index)
    try:
        for key in ("time", "flux", "flux_err"):
            if names.get(key) is not None:
                out[key] = pd.to_numeric(df[names[key]]).to_numpy(dtype=float)
    except (ValueError, TypeError) as exc:
        raise FormatError(f"{str(path)!r}: time and flux columns must be numbers ({exc}).") from exc
    if names.get("quality") is not None:
        try:
            out["quality"] = pd.to_numeric(df[names["quality"]]).fillna(0).to_numpy(np.int64)
        except (ValueError, TypeError) as exc:
            raise FormatError(
                f"{str(path)!r}: the quality column {names['quality']!r} must hold integer "
                f"flags ({exc})."
            ) from exc
    out.attrs["columns"] = {k: str(v) for k, v in names.items() if v is not None}
    out.attrs["rows"] = len(df)
    return out


def _csv_columns(path: Path, df: Any, has_header: bool) -> dict[str, Any]:
    """The file's column for time, flux, flux_err and quality (None where it has none)."""
    if not has_header:
        return {
            "time": df.columns[0],
            "flux": df.columns[1],
            "flux_err": df.columns[2] if df.shape[1] > 2 else None,
            "quality": None,
        }
    lower = {str(c).strip().lower(): c for c in df.columns}

    def first(names: tuple[str, ...]) -> Any:
        return next((lower[c] for c in names if c in lower), None)

    tname, fname = first(CSV_TIME_NAMES), first(CSV_FLUX_NAMES)
    if tname is None and fname is None:
        raise FormatError(
            f"{str(path)!r} has a header naming neither a time column {list(CSV_TIME_NAMES)} "
            f"nor a flux column {list(CSV_FLUX_NAMES)} (found {[str(c) for c in df.columns]}); "
            "it does not look like a light curve. Name the columns (time, flux[, flux_err]) "
            "or remove the header line (then the columns are taken in that order)."
        )
    return {
        "time": df.columns[0] if tname is None else tname,
        "flux": df.columns[1] if fname is None else fname,
        "flux_err": first(_CSV_ERR_NAMES),
        "quality": first(_CSV_QUALITY_NAMES),
    }


def _not_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return True
    return False

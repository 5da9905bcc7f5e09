"""FITS tables, images and headers (through :mod:`astropy.io.fits`, imported when used)."""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..exceptions import DataNotFoundError, FormatError, InputError
from ..utils.files import atomic_path
from ._common import as_path, check_readable, reading

__all__ = [
    "open_fits",
    "merge_fits_headers",
    "read_fits_table",
    "write_fits_table",
    "read_fits_header",
    "read_fits_image",
    "write_fits_image",
]

PathLike = str | os.PathLike
_FMT = "FITS"
_STRUCTURAL = {"SIMPLE", "BITPIX", "EXTEND", "XTENSION", "PCOUNT", "GCOUNT"}


def _open(path: Path):
    from astropy.io import fits

    with open(path, "rb") as fh:
        magic = fh.read(2)
    size = path.stat().st_size
    if magic != b"\x1f\x8b" and size % 2880:
        raise FormatError(
            f"{path} is truncated or not a FITS file: its size ({size} bytes) is not a "
            "multiple of the 2880-byte FITS block; fetch or write it again"
        )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # header-card fix-ups of real archive files
        hdul = fits.open(path, memmap=False, lazy_load_hdus=False)
    return hdul


def _select(hdul, hdu: int | str, path: Path):
    try:
        return hdul[hdu]
    except (IndexError, KeyError):
        names = [f"{i}:{h.name}" for i, h in enumerate(hdul)]
        raise DataNotFoundError(
            f"{path} has no HDU {hdu!r}; it holds {names}: pass one of them as hdu="
        ) from None


@contextlib.contextmanager
def open_fits(path: PathLike) -> Iterator[Any]:
    """Open a FITS file for reading: the one place spacekit opens FITS files.

    The file is checked first (it exists, is a file, is not empty, and its size is a whole
    number of 2880-byte FITS blocks unless gzipped), every header is read at once, and data
    are read into memory when first touched (no memory map, so nothing stays tied to the file
    after the block). Any failure of the FITS parser inside the block, including one met while
    reading data, becomes a :class:`~spacekit.exceptions.FormatError` naming the file;
    spacekit's own errors pass through unchanged.

    Parameters
    ----------
    path : str or path-like
        The FITS file.

    Yields
    ------
    astropy.io.fits.HDUList
        The open file (closed when the block ends).

    Raises
    ------
    DataNotFoundError
        When ``path`` does not exist or is a folder.
    FormatError
        When the file is empty, truncated, not FITS, or its data cannot be read.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "img.fits"
    >>> _ = write_fits_image(p, np.zeros((2, 3)))
    >>> with open_fits(p) as hdul:
    ...     hdul[0].data.shape
    (2, 3)
    >>> _ = p.write_bytes(b"SIMPLE  = T" * 10)
    >>> with open_fits(p) as hdul:  # doctest: +IGNORE_EXCEPTION_DETAIL
    ...     pass
    Traceback (most recent call last):
    spacekit.exceptions.FormatError: ...img.fits is truncated or not a FITS file...
    """
    path = check_readable(path, _FMT)
    with reading(path, _FMT):
        with _open(path) as hdul:
            yield hdul


def merge_fits_headers(
    path: PathLike,
    hdus: Sequence[int | str] = (0, "SCI"),
    *,
    skip: Sequence[str] = ("COMMENT", "HISTORY", ""),
):
    """Read the keywords of several HDUs of a FITS file into one header.

    A keyword takes its value from the first HDU in ``hdus`` that has it (archive files keep
    observation keywords in the primary header and pointing keywords in the science
    extension). An HDU of ``hdus`` that the file does not hold is skipped; for an EXTNAME held
    by several HDUs the first is read.

    Parameters
    ----------
    path : str or path-like
        The FITS file.
    hdus : sequence of int or str
        Indices or EXTNAMEs, in order of precedence (default: the primary header, then the
        first ``SCI`` extension).
    skip : sequence of str
        Keywords left out (default: COMMENT, HISTORY and blank cards).

    Returns
    -------
    astropy.io.fits.Header

    Raises
    ------
    DataNotFoundError
        When ``path`` does not exist or is a folder.
    FormatError
        When the file is empty, truncated or not FITS.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from astropy.io import fits
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x_uncal.fits"
    >>> sci = fits.ImageHDU(header=fits.Header({"RA_REF": 10.5, "OBJECT": "sci"}), name="SCI")
    >>> fits.HDUList([fits.PrimaryHDU(header=fits.Header({"OBJECT": "M31"})), sci]).writeto(p)
    >>> hdr = merge_fits_headers(p)
    >>> hdr["OBJECT"], hdr["RA_REF"]
    ('M31', 10.5)
    """
    from astropy.io import fits

    merged = fits.Header()
    with open_fits(path) as hdul:
        for hdu in hdus:
            try:
                header = hdul[hdu].header
            except (IndexError, KeyError):
                continue
            for card in header.cards:
                if card.keyword not in skip and card.keyword not in merged:
                    merged[card.keyword] = card.value
    return merged


def read_fits_header(path: PathLike, hdu: int | str = 0):
    """Read one header of a FITS file.

    Parameters
    ----------
    path : str or path-like
        The FITS file.
    hdu : int or str
        Index or EXTNAME of the HDU (default 0, the primary header).

    Returns
    -------
    astropy.io.fits.Header

    Raises
    ------
    FormatError
        When the file is empty, truncated or not FITS.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "img.fits"
    >>> _ = write_fits_image(p, np.zeros((2, 2)), header={"OBJECT": "M31"})
    >>> read_fits_header(p)["OBJECT"]
    'M31'
    """
    path = as_path(path, _FMT)
    with open_fits(path) as hdul:
        return _select(hdul, hdu, path).header.copy()


def read_fits_table(path: PathLike, hdu: int | str = 1):
    """Read a FITS binary or ASCII table into an astropy Table, keeping units and header
    keywords (in ``table.meta``).

    Parameters
    ----------
    path : str or path-like
        The FITS file.
    hdu : int or str
        Index or EXTNAME of the table HDU (default 1, the first extension).

    Returns
    -------
    astropy.table.Table

    Raises
    ------
    FormatError
        When the file is empty, truncated, not FITS or the HDU is not a table.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import astropy.units as u
    >>> from astropy.table import Table
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.fits"
    >>> _ = write_fits_table(Table({"flux": [1.0, 2.0] * u.Jy}), p)
    >>> str(read_fits_table(p)["flux"].unit)
    'Jy'
    """
    from astropy.io import fits
    from astropy.table import Table

    path = as_path(path, _FMT)
    with open_fits(path) as hdul:
        h = _select(hdul, hdu, path)
        if not isinstance(h, (fits.BinTableHDU, fits.TableHDU)):
            raise FormatError(
                f"{path} HDU {hdu!r} is a {type(h).__name__}, expected a FITS table; "
                "pass the table's hdu= (images: use read_fits_image)"
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # unrecognised units of archive files
            table = Table.read(h)
        # Touch every column so that truncated data fails here, not later.
        for col in table.itercols():
            np.asarray(col)
    return table


def write_fits_table(table: Any, path: PathLike, *, overwrite: bool = True) -> Path:
    """Write an astropy Table or pandas DataFrame as a FITS binary table (atomically).

    Units and ``table.meta`` keywords are kept.

    Parameters
    ----------
    table : astropy.table.Table or pandas.DataFrame
        The table to write.
    path : path
        The file to write.
    overwrite : bool
        Replace an existing file (else a :class:`~spacekit.exceptions.InputError`).

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.fits"
    >>> write_fits_table(pd.DataFrame({"a": [1, 2]}), p).name
    't.fits'
    """
    from astropy.io.fits.verify import VerifyError
    from astropy.table import Table

    path = as_path(path, "FITS")
    if path.exists() and not overwrite:
        raise InputError(f"{path} exists; pass overwrite=True to replace it")
    if not isinstance(table, Table):
        try:
            table = Table.from_pandas(table) if hasattr(table, "to_numpy") else Table(table)
        except (TypeError, ValueError, KeyError) as exc:
            raise InputError(
                f"write_fits_table expects an astropy Table or a pandas DataFrame with named "
                f"columns; {type(table).__name__} could not be made one ({exc})"
            ) from exc
    if not table.colnames:
        raise InputError(
            "write_fits_table was given a table with no columns; a FITS table needs at least one"
        )
    not_ascii = [
        name
        for name in table.colnames
        if getattr(table[name], "dtype", None) is not None
        and table[name].dtype.kind == "U"
        and not all(str(v).isascii() for v in np.asarray(table[name]).ravel())
    ]
    if not_ascii:
        raise InputError(
            f"FITS tables hold ASCII text only, and column(s) {not_ascii} have non-ASCII "
            "characters; write HDF5, ECSV or csv instead (they keep UTF-8), or transliterate "
            "the text first"
        )
    try:
        with atomic_path(path) as tmp:
            table.write(tmp, format="fits")
    except (TypeError, ValueError, KeyError, VerifyError) as exc:  # an object column
        raise InputError(
            f"a FITS table cannot hold the columns given for {path.name}: "
            f"{str(exc).splitlines()[0]}; FITS columns are numbers, booleans or ASCII text: "
            "convert object columns (e.g. df[col].astype(str)) or write HDF5/csv instead"
        ) from exc
    return path


def read_fits_image(path: PathLike, hdu: int | str = 0) -> np.ndarray:
    """Read the data of a FITS image HDU as a numpy array.

    When ``hdu`` is 0 and the primary HDU holds no data (as in compressed files and most
    archive products), the first HDU with image data is read instead. Compressed images
    (``CompImageHDU``) are decompressed.

    Parameters
    ----------
    path : str or path-like
        The FITS file.
    hdu : int or str
        Index or EXTNAME of the image HDU.

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    FormatError
        When the file is empty, truncated, not FITS, or holds no image data.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "img.fits"
    >>> _ = write_fits_image(p, np.arange(6.0).reshape(2, 3))
    >>> read_fits_image(p).shape
    (2, 3)
    """
    from astropy.io import fits

    path = as_path(path, _FMT)
    with open_fits(path) as hdul:
        h = _select(hdul, hdu, path)
        if h.data is None and hdu == 0:
            for cand in hdul[1:]:
                if isinstance(cand, (fits.ImageHDU, fits.CompImageHDU)) and (cand.data is not None):
                    h = cand
                    break
        if isinstance(h, (fits.BinTableHDU, fits.TableHDU)) and not isinstance(
            h, fits.CompImageHDU
        ):
            raise FormatError(
                f"{path} HDU {hdu!r} is a table, expected an image; "
                "use read_fits_table or pass an image hdu="
            )
        if h.data is None:
            raise FormatError(f"{path} HDU {hdu!r} holds no image data")
        return np.array(h.data)


def write_fits_image(
    path: PathLike,
    data: np.ndarray,
    *,
    header: Any = None,
    unit: Any = None,
    compress: str | None = None,
    quantize_level: float | None = None,
    overwrite: bool = True,
) -> Path:
    """Write an image array to FITS (atomically), uncompressed unless asked.

    Parameters
    ----------
    path : str or path-like
        Destination file.
    data : numpy.ndarray or astropy Quantity
        The image. A Quantity's unit is written as ``BUNIT``. A boolean mask is written
        as uint8 0/1 (FITS has no boolean image type).
    header : astropy.io.fits.Header or dict, optional
        Keywords to write with the image.
    unit : str or astropy unit, optional
        Written as ``BUNIT`` (overrides a Quantity's unit).
    compress : {None, "rice", "gzip"}
        ``None`` (default) writes a plain, lossless primary image. ``"gzip"`` is lossless
        tile compression (floats are not quantized unless ``quantize_level`` is given).
        ``"rice"`` is RICE_1 tile compression: lossless for integers but **lossy for
        floats** (values are quantized to about 1/16 of the background noise by default).
        Compressed images are stored in HDU 1 (``read_fits_image`` finds them).
    quantize_level : float, optional
        Quantization of float data: default 16 for ``"rice"`` (lossy), none (0, lossless)
        for ``"gzip"``.
    overwrite : bool
        Replace an existing file (default True).

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "img.fits"
    >>> _ = write_fits_image(p, np.ones((4, 4), dtype="int16"), compress="rice")
    >>> int(read_fits_image(p).sum())
    16
    """
    from astropy.io import fits

    path = as_path(path, "FITS")
    if path.exists() and not overwrite:
        raise InputError(f"{path} exists; pass overwrite=True to replace it")
    if hasattr(data, "unit") and hasattr(data, "value"):
        unit = unit if unit is not None else data.unit
        data = data.value
    data = np.asarray(data)
    if data.dtype == bool:  # FITS has no boolean image type
        data = data.astype(np.uint8)
    if data.dtype.kind not in "iuf" or data.ndim == 0 or data.size == 0:
        raise InputError(
            f"write_fits_image expects a non-empty numeric image array (integers or floats); "
            f"got dtype {data.dtype} with shape {data.shape}; convert it, e.g. "
            "np.asarray(data, dtype=float)"
        )
    hdr = fits.Header()
    if header is not None:
        items = header.items() if isinstance(header, fits.Header) else dict(header).items()
        for key, value in items:
            if key not in _STRUCTURAL and not key.startswith("NAXIS"):
                hdr[key] = value
    if unit is not None:
        hdr["BUNIT"] = str(unit)
    if compress is None:
        hdul = fits.HDUList([fits.PrimaryHDU(data=data, header=hdr)])
    elif compress in ("rice", "gzip"):
        ctype = "RICE_1" if compress == "rice" else "GZIP_1"
        if quantize_level is None:
            quantize_level = 16.0 if compress == "rice" else 0.0
        comp = fits.CompImageHDU(
            data=data, header=hdr, compression_type=ctype, quantize_level=quantize_level
        )
        hdul = fits.HDUList([fits.PrimaryHDU(), comp])
    else:
        raise InputError(
            f"compress must be None, 'rice' or 'gzip', got {compress!r} "
            "('rice' is lossy for float images)"
        )
    with atomic_path(path) as tmp:
        hdul.writeto(tmp)
    return path

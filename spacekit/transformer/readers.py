"""Read light curves from mission FITS files and two-column csv files.

Supported:

- Kepler and K2 long and short cadence light curves (``*_llc.fits``, ``*_slc.fits``),
- TESS SPOC light curves (``*_lc.fits``) and the TESS alert HLSP files
  (``hlsp_tess-data-alerts_*_lc.fits``),
- any FITS binary table with a ``TIME`` column and BJD reference keywords,
- csv/text files with columns time, flux[, flux_err] (with or without a header line).

Times in FITS files come from the header: ``BJDREFI + BJDREFF`` (or ``BJDREF``) plus the
``TIME`` column, in the time scale ``TIMESYS`` (TDB for Kepler, K2 and TESS) and unit
``TIMEUNIT``. A csv has no header, so its time system is an argument, ``time_format``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import astropy.units as u
import numpy as np
from astropy.time import Time

from ..exceptions import DataNotFoundError, FormatError, InputError
from .lightcurve import LightCurve

__all__ = ["read_lightcurve", "TIME_FORMATS"]

log = logging.getLogger(__name__)

#: Time formats understood for csv files: name -> (offset added to the value to get a
#: Julian date, time scale, description). The two mission offsets are the missions' own
#: definitions: Kepler/K2 BKJD = BJD - 2454833.0 and TESS BTJD = BJD - 2457000.0 (both TDB).
TIME_FORMATS: dict[str, tuple[float, str, str]] = {
    "bkjd": (2454833.0, "tdb", "Kepler/K2 barycentric Kepler Julian date, BJD - 2454833"),
    "btjd": (2457000.0, "tdb", "TESS barycentric TESS Julian date, BJD - 2457000"),
    "bjd": (0.0, "tdb", "barycentric Julian date (TDB)"),
    "jd": (0.0, "utc", "Julian date (UTC)"),
    "mjd": (2400000.5, "utc", "modified Julian date (UTC)"),
}

_FLUX_ALIASES = {"pdcsap": "PDCSAP_FLUX", "sap": "SAP_FLUX"}
_QUALITY_COLUMNS = ("QUALITY", "SAP_QUALITY")
_FITS_SUFFIXES = (".fits", ".fit", ".fts", ".fits.gz", ".fit.gz")
#: Header names of a csv's time and flux columns (lower case); a header naming neither is
#: refused rather than read as a light curve.
_TIME_NAMES = ("time", "t", "bjd", "jd", "btjd", "bkjd", "mjd")
_FLUX_NAMES = ("flux", "pdcsap_flux", "sap_flux")


def read_lightcurve(
    path: str | os.PathLike,
    *,
    flux: str = "pdcsap",
    time_format: str | None = None,
    quality_mask: str | int | None = "default",
) -> LightCurve:
    """Read a light curve file into a :class:`LightCurve`.

    Parameters
    ----------
    path : str or path-like
        A Kepler/K2/TESS FITS light curve or a csv with columns time, flux[, flux_err].
    flux : str
        ``"pdcsap"`` (default, PDCSAP_FLUX), ``"sap"`` (SAP_FLUX) or any flux column name
        of the FITS table (its ``<name>_ERR`` column, when present, becomes ``flux_err``).
        Ignored for csv files (their flux is the ``flux``/``pdcsap_flux``/``sap_flux``
        column, else the second).
    time_format : str, optional
        For csv files (required there): one of ``"bkjd"`` (BJD - 2454833, Kepler/K2),
        ``"btjd"`` (BJD - 2457000, TESS), ``"bjd"``, ``"jd"``, ``"mjd"``. For a FITS file it
        is needed only when the header has no ``BJDREFI``/``BJDREF`` keyword; then it says
        what the ``TIME`` column holds.
    quality_mask : {"default", "none"} or int
        ``"default"`` keeps only cadences with ``QUALITY == 0``; ``"none"`` (or None) keeps
        every cadence; an int bitmask drops cadences with any of those bits set. It applies
        to a csv with a header too, when it has a ``quality`` (or ``sap_quality``) column;
        a csv without one keeps every row.

    Returns
    -------
    LightCurve
        Time as astropy Time (format ``jd``, scale from ``TIMESYS``), flux and flux_err with
        units, and meta: ``mission``, ``target``, ``flux_origin``, ``time_format``,
        ``source``, ``cadence_days``, ``quality_mask`` and ``history``. Cadences without a
        finite timestamp are always dropped (they cannot be placed in time); NaN fluxes are
        kept (use :meth:`LightCurve.remove_nans`).

    Raises
    ------
    DataNotFoundError
        The file does not exist.
    FormatError
        The file is empty or unreadable, lacks a ``TIME`` or the flux column, or has no
        finite flux at all.
    InputError
        A csv without ``time_format``, or an unknown ``time_format`` / ``quality_mask``.

    Examples
    --------
    >>> lc = read_lightcurve("kplr010666592-2009131110544_slc.fits")  # doctest: +SKIP
    >>> lc = read_lightcurve("EPIC201367065.csv", time_format="bkjd")  # doctest: +SKIP
    >>> lc.time[0].jd  # doctest: +SKIP
    2456810.26244947
    """
    path = Path(path)
    if not os.path.exists(path):  # False, not OSError, for a name over 255 bytes
        raise DataNotFoundError(f"light curve file {str(path)!r} does not exist.")
    if os.path.isdir(path):
        raise InputError(f"expected a light curve file, got the folder {str(path)!r}.")
    if path.stat().st_size == 0:
        raise FormatError(f"light curve file {str(path)!r} is empty (0 bytes); download it again.")
    if time_format is not None and time_format.lower() not in TIME_FORMATS:
        raise InputError(
            f"unknown time_format {time_format!r}; expected one of {sorted(TIME_FORMATS)}."
        )
    _quality_keep(None, quality_mask, 0, check_only=True)  # a bad mask fails for every file
    name = path.name.lower()
    if name.endswith(_FITS_SUFFIXES) or _looks_like_fits(path):
        lc = _read_fits(path, flux=flux, time_format=time_format, quality_mask=quality_mask)
    else:
        _refuse_binary(path)
        lc = _read_csv(path, time_format=time_format, quality_mask=quality_mask)
    if not np.isfinite(np.asarray(lc.flux.value, dtype=float)).any():
        raise FormatError(
            f"{str(path)!r} has no finite flux value in column {lc.meta.get('flux_origin')!r} "
            f"after the quality mask {quality_mask!r} ({len(lc)} cadences, all NaN). Try "
            "flux='sap' or quality_mask='none', or check the file."
        )
    return lc


def _looks_like_fits(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(9) == b"SIMPLE  ="


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


def _refuse_binary(path: Path) -> None:
    """A file that is neither FITS nor text is named for what it is, not parsed as a csv."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
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


def _quality_keep(
    quality: np.ndarray | None, quality_mask: Any, n: int, *, check_only: bool = False
) -> np.ndarray:
    if quality_mask is None or (isinstance(quality_mask, str) and quality_mask == "none"):
        return np.ones(n, dtype=bool)
    if isinstance(quality_mask, str) and quality_mask != "default":
        raise InputError(
            f"unknown quality_mask {quality_mask!r}; expected 'default' (QUALITY == 0), "
            "'none' or an integer bitmask."
        )
    is_int = isinstance(quality_mask, (int, np.integer)) and not isinstance(quality_mask, bool)
    if not (is_int or isinstance(quality_mask, str)):
        raise InputError(
            f"quality_mask must be 'default', 'none' or an integer bitmask; got {quality_mask!r}."
        )
    if quality is None or check_only:
        return np.ones(n, dtype=bool)
    q = np.asarray(quality).astype(np.int64)
    return q == 0 if isinstance(quality_mask, str) else (q & int(quality_mask)) == 0


def _flux_unit(unit_str: str | None) -> u.UnitBase:
    if not unit_str:
        return u.dimensionless_unscaled
    s = unit_str.strip()
    if s in ("e-/s", "electrons/s", "e/s"):
        return u.electron / u.s
    try:
        return u.Unit(s)
    except ValueError:
        log.debug("unrecognised flux unit %r; using dimensionless", s)
        return u.dimensionless_unscaled


def _read_fits(path: Path, *, flux: str, time_format: str | None, quality_mask: Any) -> LightCurve:
    from astropy.io import fits

    try:
        hdul = fits.open(path, memmap=False)
    except (OSError, ValueError, TypeError) as exc:
        raise FormatError(
            f"cannot read {str(path)!r} as FITS ({exc}); the file may be truncated or not a "
            "FITS light curve."
        ) from exc
    with hdul:
        hdu = None
        for h in hdul:
            if isinstance(h, (fits.BinTableHDU, fits.TableHDU)) and h.columns is not None:
                names = [n.upper() for n in h.columns.names]
                if "TIME" in names:
                    hdu = h
                    break
        if hdu is None:
            raise FormatError(
                f"{str(path)!r} has no FITS table with a TIME column (HDUs: "
                f"{[h.name for h in hdul]}); expected a Kepler, K2 or TESS light curve file."
            )
        primary = hdul[0].header
        header = hdu.header
        data = hdu.data
        cols = {n.upper(): n for n in hdu.columns.names}
        colname = _FLUX_ALIASES.get(flux.lower(), flux).upper()
        if colname not in cols:
            fluxcols = [c for c in cols if "FLUX" in c]
            raise FormatError(
                f"{str(path)!r} has no flux column {colname!r} (flux={flux!r}); its table has "
                f"{sorted(fluxcols) or sorted(cols)}. Pass flux='sap', flux='pdcsap' or one of "
                "those column names."
            )
        n = len(data) if data is not None else 0
        if n == 0:
            raise FormatError(f"{str(path)!r} has a light curve table with no rows.")
        tcol = np.asarray(data[cols["TIME"]], dtype=float)
        fcol = np.asarray(data[cols[colname]], dtype=float)
        errname = colname + "_ERR"
        ecol = np.asarray(data[cols[errname]], dtype=float) if errname in cols else None
        qname = next((cols[q] for q in _QUALITY_COLUMNS if q in cols), None)
        quality = np.asarray(data[qname]) if qname else None
        funit = _flux_unit(hdu.columns[cols[colname]].unit)

        def key(k, default=None):
            v = header.get(k)
            return primary.get(k, default) if v is None else v

        scale = str(key("TIMESYS", "TDB")).strip().lower()
        if scale not in Time.SCALES:
            raise FormatError(
                f"{str(path)!r}: TIMESYS {scale!r} is not a time scale astropy knows "
                f"({sorted(Time.SCALES)})."
            )
        tunit = str(key("TIMEUNIT", "d")).strip().lower()
        if tunit not in ("d", "day", "days"):
            raise FormatError(
                f"{str(path)!r}: TIMEUNIT {tunit!r} is not supported; expected days ('d')."
            )
        if key("BJDREFI") is not None:
            ref_i = float(key("BJDREFI"))
            ref_f = float(key("BJDREFF", 0.0))
            tf = f"BJD - {ref_i + ref_f:.1f} ({scale.upper()}, from BJDREFI/BJDREFF)"
        elif key("BJDREF") is not None:
            ref_i, ref_f = float(key("BJDREF")), 0.0
            tf = f"BJD - {ref_i:.1f} ({scale.upper()}, from BJDREF)"
        elif time_format is not None:
            ref_i, scale_tf, _ = TIME_FORMATS[time_format.lower()]
            ref_f, scale = 0.0, scale_tf
            tf = time_format.lower()
        else:
            raise FormatError(
                f"{str(path)!r} has no BJDREFI/BJDREF header keyword, so the TIME column's "
                f"reference is unknown; pass time_format= one of {sorted(TIME_FORMATS)}."
            )
        mission = str(primary.get("MISSION") or primary.get("TELESCOP") or "").strip()
        target = str(primary.get("OBJECT") or "").strip()
        if not target:
            for k in ("KEPLERID", "TICID", "KEPLER_ID"):
                if primary.get(k) is not None:
                    target = f"{k} {primary.get(k)}"
                    break
        meta_extra = {
            k.lower(): primary.get(k)
            for k in ("KEPLERID", "TICID", "CAMPAIGN", "QUARTER", "SECTOR", "RA_OBJ", "DEC_OBJ")
            if primary.get(k) is not None
        }

    keep = np.isfinite(tcol) & _quality_keep(quality, quality_mask, n)
    if not keep.any():
        raise FormatError(
            f"{str(path)!r}: no cadence has a finite TIME and passes quality_mask "
            f"{quality_mask!r}; try quality_mask='none'."
        )
    time = Time(np.full(keep.sum(), ref_i), tcol[keep] + ref_f, format="jd", scale=scale)
    meta = {
        "mission": mission,
        "target": target,
        "flux_origin": colname.lower(),
        "time_format": tf,
        "source": str(path),
        "quality_mask": quality_mask,
        **meta_extra,
        "history": [
            f"read {path.name}: {colname}, {int(keep.sum())}/{n} cadences kept "
            f"(finite TIME, quality_mask={quality_mask!r})"
        ],
    }
    lc = LightCurve(
        time=time,
        flux=u.Quantity(fcol[keep], funit),
        flux_err=None if ecol is None else u.Quantity(ecol[keep], funit),
        meta=meta,
    )
    lc.meta["cadence_days"] = lc.cadence
    return lc


def _read_csv(path: Path, *, time_format: str | None, quality_mask: Any) -> LightCurve:
    if time_format is None:
        raise InputError(
            f"{str(path)!r} is a csv, which has no header to read a time system from; pass "
            f"time_format= one of {sorted(TIME_FORMATS)} (e.g. 'bkjd' for Kepler/K2, "
            "'btjd' for TESS)."
        )
    import pandas as pd

    try:
        with path.open("r", errors="replace") as fh:
            first = fh.readline()
    except OSError as exc:
        raise FormatError(f"cannot read {str(path)!r}: {exc}") from exc
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
    if has_header:
        lower = {str(c).strip().lower(): c for c in df.columns}
        tname = next((lower[c] for c in _TIME_NAMES if c in lower), None)
        fname = next((lower[c] for c in _FLUX_NAMES if c in lower), None)
        if tname is None and fname is None:
            raise FormatError(
                f"{str(path)!r} has a header naming neither a time column {list(_TIME_NAMES)} "
                f"nor a flux column {list(_FLUX_NAMES)} (found {[str(c) for c in df.columns]}); "
                "it does not look like a light curve. Name the columns (time, flux[, flux_err]) "
                "or remove the header line (then the columns are taken in that order)."
            )
        tname = df.columns[0] if tname is None else tname
        fname = df.columns[1] if fname is None else fname
        ename = next((lower[c] for c in ("flux_err", "pdcsap_flux_err") if c in lower), None)
        qname = next((lower[c] for c in ("quality", "sap_quality") if c in lower), None)
    else:
        tname, fname = df.columns[0], df.columns[1]
        ename = df.columns[2] if df.shape[1] > 2 else None
        qname = None
    try:
        t = pd.to_numeric(df[tname]).to_numpy(dtype=float)
        f = pd.to_numeric(df[fname]).to_numpy(dtype=float)
        e = None if ename is None else pd.to_numeric(df[ename]).to_numpy(dtype=float)
    except (ValueError, TypeError) as exc:
        raise FormatError(f"{str(path)!r}: time and flux columns must be numbers ({exc}).") from exc
    keep = np.isfinite(t)
    quality = None
    if qname is not None:
        try:
            quality = pd.to_numeric(df[qname]).fillna(0).to_numpy(dtype=np.int64)
        except (ValueError, TypeError) as exc:
            raise FormatError(
                f"{str(path)!r}: the quality column {qname!r} must hold integer flags ({exc})."
            ) from exc
    keep &= _quality_keep(quality, quality_mask if quality is not None else None, len(df))
    offset, scale, desc = TIME_FORMATS[time_format.lower()]
    time = Time(np.full(keep.sum(), offset), t[keep], format="jd", scale=scale)
    history = f"read {path.name}: csv, {int(keep.sum())}/{len(df)} rows with finite time"
    if quality is not None:
        history += f" and column {qname!r} passing quality_mask {quality_mask!r}"
    meta = {
        "mission": "",
        "target": path.stem,
        "flux_origin": str(fname),
        "time_format": f"{time_format.lower()} ({desc})",
        "source": str(path),
        "quality_mask": quality_mask if quality is not None else None,
        "history": [history],
    }
    lc = LightCurve(time=time, flux=f[keep], flux_err=None if e is None else e[keep], meta=meta)
    lc.meta["cadence_days"] = lc.cadence
    return lc


def _not_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return True
    return False

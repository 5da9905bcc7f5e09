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

The files are opened and their tables read by :mod:`spacekit.io.lightcurves` (FITS files
through :func:`spacekit.io.open_fits`, the package's one FITS opener); this module turns what
they hold into :class:`~spacekit.transformer.LightCurve` objects.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import astropy.units as u
import numpy as np
from astropy.time import Time

from ..exceptions import FormatError, InputError
from .lightcurve import LightCurve, _filled, _mission_time_format, _repair_unit

__all__ = ["read_lightcurve", "write_lightcurve_fits", "TIME_FORMATS", "NoTimeSystemWarning"]

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
    "relative": (
        0.0,
        "local",
        "the file's own time numbers in days, with no time system (astropy scale 'local'): "
        "periods and durations are right, absolute epochs are not BJDs",
    ),
}


class NoTimeSystemWarning(UserWarning):
    """A light curve was read without a time system (``time_format="relative"``): periods
    and durations hold, epochs are in the file's own time numbers, not BJD."""


_FLUX_ALIASES = {"pdcsap": "PDCSAP_FLUX", "sap": "SAP_FLUX"}
_QUALITY_COLUMNS = ("QUALITY", "SAP_QUALITY")


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
        ``"btjd"`` (BJD - 2457000, TESS), ``"bjd"``, ``"jd"``, ``"mjd"``, or ``"relative"``
        (the numbers as days in no time system, astropy scale ``"local"``: periods and
        durations hold, epochs cannot be converted to BJD). For a FITS file it
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
        The file does not exist or is a folder.
    FormatError
        The file is empty or unreadable (the files are opened by
        :mod:`spacekit.io.lightcurves`, FITS files through :func:`spacekit.io.open_fits`), is
        neither FITS nor text, lacks a ``TIME`` or the flux column, or has no finite flux at
        all.
    InputError
        A csv without ``time_format``, or an unknown ``time_format`` / ``quality_mask``.

    Examples
    --------
    A csv of BKJD times (a Kepler/K2 export); mission FITS files need no ``time_format``:

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "EPIC201367065.csv"
    >>> _ = p.write_text("time,flux\\n1977.26244947,1.0\\n1977.28288,0.998\\n")
    >>> lc = read_lightcurve(p, time_format="bkjd")
    >>> round(float(lc.time[0].jd), 8), lc.meta["target"]
    (2456810.26244947, 'EPIC201367065')
    """
    from ..io.lightcurves import lightcurve_file_format

    if time_format is not None and time_format.lower() not in TIME_FORMATS:
        raise InputError(
            f"unknown time_format {time_format!r}; expected one of {sorted(TIME_FORMATS)}."
        )
    _quality_keep(None, quality_mask, 0, check_only=True)  # a bad mask fails for every file
    if lightcurve_file_format(path) == "fits":
        lc = _read_fits(path, flux=flux, time_format=time_format, quality_mask=quality_mask)
    else:
        lc = _read_csv(path, time_format=time_format, quality_mask=quality_mask)
    if not np.isfinite(np.asarray(lc.flux.value, dtype=float)).any():
        raise FormatError(
            f"{str(path)!r} has no finite flux value in column {lc.meta.get('flux_origin')!r} "
            f"after the quality mask {quality_mask!r} ({len(lc)} cadences, all NaN). Try "
            "flux='sap' or quality_mask='none', or check the file."
        )
    return lc


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


def _read_fits(
    path: str | os.PathLike, *, flux: str, time_format: str | None, quality_mask: Any
) -> LightCurve:
    from ..io.lightcurves import read_lightcurve_fits_table

    table = read_lightcurve_fits_table(path)
    path, primary, hdu = table.path, table.primary, table.hdu
    header, data, cols = hdu.header, hdu.data, table.columns
    if header.get("SPKMETA") is not None:
        return _read_spacekit_fits(path, hdu, flux=flux, quality_mask=quality_mask)
    colname = _flux_column_name(path, flux, cols)
    n = len(data)
    if np.ndim(data[cols["TIME"]]) != 1:
        # astropy's own serialisation of a Time column (jd1, jd2 pairs), as written by
        # Table.write / TimeSeries.write: let astropy rebuild the Time
        return _read_astropy_time_fits(
            path, hdu, colname=cols[colname], cols=cols, quality_mask=quality_mask
        )
    tcol, fcol, ecol, quality = _cadence_columns(path, data, cols, colname)
    funit = _flux_unit(hdu.columns[cols[colname]].unit)
    if ecol is not None and ecol.shape != fcol.shape:
        ecol = None
    ref_i, ref_f, scale, tf = _time_reference(path, header, primary, time_format)
    mission, target, meta_extra = _target_meta(primary)

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
        "bjdref": ref_i + ref_f,
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


def _flux_column_name(path: Path, flux: str, cols: dict) -> str:
    """The table's column (upper case) for ``flux``; FormatError naming the choices if none."""
    colname = _FLUX_ALIASES.get(flux.lower(), flux).upper()
    if colname == "PDCSAP_FLUX" and colname not in cols and "FLUX" in cols:
        colname = "FLUX"  # the default, on a table with a plain FLUX column
    if colname not in cols:
        fluxcols = [c for c in cols if "FLUX" in c]
        raise FormatError(
            f"{str(path)!r} has no flux column {colname!r} (flux={flux!r}); its table has "
            f"{sorted(fluxcols) or sorted(cols)}. Pass flux='sap', flux='pdcsap' or one of "
            "those column names."
        )
    return colname


def _cadence_columns(
    path: Path, data: Any, cols: dict, colname: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """TIME, the flux column, its ``_ERR`` column and QUALITY (the last two when present)."""
    tcol = np.asarray(data[cols["TIME"]], dtype=float)
    fcol = np.asarray(data[cols[colname]], dtype=float)
    if fcol.shape != tcol.shape:
        raise FormatError(
            f"{str(path)!r}: column {colname!r} holds {fcol.shape[1:]} values per cadence; "
            "a flux column needs one. Pass flux= the name of a one-value-per-row column."
        )
    errname = colname + "_ERR"
    ecol = np.asarray(data[cols[errname]], dtype=float) if errname in cols else None
    qname = next((cols[q] for q in _QUALITY_COLUMNS if q in cols), None)
    quality = np.asarray(data[qname]) if qname else None
    return tcol, fcol, ecol, quality


def _time_reference(
    path: Path, header: Any, primary: Any, time_format: str | None
) -> tuple[float, float, str, str]:
    """``(ref_i, ref_f, scale, time_format label)`` of the TIME column, from the headers."""

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
    return ref_i, ref_f, scale, tf


def _target_meta(primary: Any) -> tuple[str, str, dict]:
    """Mission, target name and the mission keywords of the primary header."""
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
    return mission, target, meta_extra


_META_KEY = "SPKMETA"
_FORMAT_KEY = "SPKTFMT"
_FOLD_KEY = "SPKFOLD"
_PRIMARY_KEYS = {
    "keplerid": "KEPLERID",
    "ticid": "TICID",
    "campaign": "CAMPAIGN",
    "quarter": "QUARTER",
    "sector": "SECTOR",
    "ra_obj": "RA_OBJ",
    "dec_obj": "DEC_OBJ",
}


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (u.Quantity, Time)):
        return str(value)
    return str(value)


def write_lightcurve_fits(lc: LightCurve, path: str | os.PathLike, *, overwrite: bool = False):
    """Write ``lc`` as a mission-style FITS light curve that reads back losslessly.

    The primary header carries ``OBJECT``, ``TELESCOP`` and the mission keywords of
    ``meta`` (``KEPLERID``, ``QUARTER``, ``SECTOR``...); the ``LIGHTCURVE`` table holds
    ``TIME`` (days since ``BJDREFI + BJDREFF``, scale ``TIMESYS``) and every other column
    with its unit (``TUNIT``), and the whole ``meta`` as JSON (keyword ``SPKMETA``) with the
    time format (``SPKTFMT``). The reference is the mission's (``meta["bjdref"]``, else
    2454833 for Kepler/K2, 2457000 for TESS, else the first whole Julian day), so mission
    timestamps are written bit for bit. The file is written atomically.
    :meth:`LightCurve.write` calls this for ``.fits`` paths.

    Parameters
    ----------
    lc : LightCurve
        The light curve (time-ordered or folded).
    path : str or path-like
        Output file.
    overwrite : bool
        Replace an existing file.

    Returns
    -------
    str or path-like
        ``path``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> lc = LightCurve(time=[2458326.0, 2458326.1], flux=[1.0, 2.0])
    >>> p = write_lightcurve_fits(lc, pathlib.Path(tempfile.mkdtemp()) / "lc.fits")
    >>> read_lightcurve(p).flux.value.tolist()
    [1.0, 2.0]
    """
    import json

    from astropy.io import fits

    from ..utils.files import atomic_path

    path = Path(path)
    if path.exists() and not overwrite:
        raise InputError(f"{str(path)!r} exists; pass overwrite=True to replace it.")
    if not isinstance(lc, LightCurve):
        raise InputError(f"write_lightcurve_fits expects a LightCurve; got {type(lc).__name__}.")
    meta = dict(lc.meta)
    primary = _primary_header(meta)
    header, tvals = _time_header(lc, meta)
    columns = [fits.Column(name="TIME", format="D", unit="d", array=tvals)]
    for name in lc.colnames:
        if name != "time":
            columns.append(_fits_column(name, lc[name]))
    table = fits.BinTableHDU.from_columns(columns, header=header, name="LIGHTCURVE")
    table.header[_META_KEY] = json.dumps(meta, default=_jsonable)
    hdul = fits.HDUList([fits.PrimaryHDU(header=primary), table])
    with atomic_path(path) as tmp:
        hdul.writeto(tmp)
    return path


def _primary_header(meta: dict) -> Any:
    """The primary header: origin, target, mission and the mission keywords of ``meta``."""
    from astropy.io import fits

    primary = fits.Header()
    primary["ORIGIN"] = ("spacekit", "written by spacekit LightCurve.write")
    if meta.get("target"):
        primary["OBJECT"] = str(meta["target"])
    if meta.get("mission"):
        primary["TELESCOP"] = str(meta["mission"])
        primary["MISSION"] = str(meta["mission"])
    for key, card in _PRIMARY_KEYS.items():
        if meta.get(key) is not None and isinstance(meta[key], (int, float, str, np.generic)):
            primary[card] = _jsonable(meta[key]) if isinstance(meta[key], np.generic) else meta[key]
    return primary


def _time_header(lc: LightCurve, meta: dict) -> tuple[Any, np.ndarray]:
    """The table header's time keywords and the TIME values (days from the reference)."""
    from astropy.io import fits

    header = fits.Header()
    if lc.is_folded:
        tvals = np.asarray(lc.time.to_value(u.day), dtype=float)
        header[_FOLD_KEY] = (True, "TIME is the phase (days from mid-transit)")
        header["TIMEUNIT"] = "d"
        return header, tvals
    ref = _reference_jd(lc, meta)
    ref_i = float(np.floor(ref))
    ref_f = ref - ref_i
    tvals = ((lc.time.jd1 - ref_i) + lc.time.jd2) - ref_f
    header["TIMESYS"] = (lc.time.scale.upper(), "time scale of TIME")
    header["BJDREFI"] = (int(ref_i), "integer part of the reference JD")
    header["BJDREFF"] = (ref_f, "fraction of the reference JD")
    header["TIMEUNIT"] = "d"
    header[_FORMAT_KEY] = (lc.time.format, "astropy Time format of the time column")
    return header, tvals


def _reference_jd(lc: LightCurve, meta: dict) -> float:
    """The reference JD: ``meta["bjdref"]``, the mission's, else the first whole Julian day."""
    ref = meta.get("bjdref")
    try:
        ref = float(ref) if ref is not None else None
    except (TypeError, ValueError):
        ref = None
    if ref is None:
        fmt = _mission_time_format(meta)
        ref = {"bkjd": 2454833.0, "btjd": 2457000.0}.get(fmt or "")
    if ref is None:
        ref = float(np.floor(lc.time.jd1.min())) if len(lc) else 0.0
    return ref


def _fits_column(name: str, col: Any) -> Any:
    """The FITS table column of a light-curve column (InputError for a type FITS cannot hold)."""
    from astropy.io import fits

    unit = getattr(col, "unit", None)
    values = np.asarray(getattr(col, "value", col))
    if values.dtype.kind in "US":
        fmt_code = f"{max(1, int(np.char.str_len(values.astype(str)).max(initial=1)))}A"
        values = values.astype(str)
    elif values.dtype.kind == "b":
        fmt_code = "L"
    elif values.dtype.kind in "iu":
        fmt_code = "K"
        values = values.astype(np.int64)
    elif values.dtype.kind == "f" and values.ndim == 1:
        fmt_code = "E" if values.dtype == np.float32 else "D"
    else:
        raise InputError(
            f"column {name!r} ({values.dtype}, shape {values.shape}) cannot be written to "
            "a FITS light curve; drop it or write ECSV (lc.write('lc.ecsv'))."
        )
    return fits.Column(
        name=name,
        format=fmt_code,
        unit=None if unit is None or unit == u.dimensionless_unscaled else unit.to_string(),
        array=values,
    )


def _read_spacekit_fits(path: Path, hdu: Any, *, flux: str, quality_mask: Any) -> LightCurve:
    """A file written by :func:`write_lightcurve_fits`: every column, unit and meta back."""
    import json

    from astropy.time import TimeDelta

    header = hdu.header
    data = hdu.data
    names = list(hdu.columns.names)
    try:
        meta = json.loads(header[_META_KEY])
    except (TypeError, ValueError) as exc:
        raise FormatError(
            f"{str(path)!r}: the SPKMETA keyword is not valid JSON ({exc}); the file was "
            "altered after spacekit wrote it."
        ) from exc
    tvals = np.asarray(data["TIME"], dtype=float)
    n = tvals.size
    cols = {}
    for name in names:
        if name == "TIME":
            continue
        values = np.array(data[name])
        if values.dtype.kind == "S":
            values = values.astype(str)
        unit = hdu.columns[name].unit
        cols[name] = u.Quantity(values, _repair_unit(unit)) if values.dtype.kind == "f" else values
    lower = {c.lower(): c for c in cols}
    want = _FLUX_ALIASES.get(flux.lower(), flux).lower()
    if want == "pdcsap_flux" and want not in lower:
        want = "flux"
    if want not in lower:
        raise FormatError(
            f"{str(path)!r} has no column {flux!r}; its columns are {sorted(cols)}. Pass "
            "flux= one of them (the default reads 'flux')."
        )
    if lower[want] != "flux":
        origin = lower[want]
        cols["flux"] = cols[origin]
        err = lower.get(want + "_err")
        if err is not None:
            cols["flux_err"] = cols[err]
        elif "flux_err" in cols:
            del cols["flux_err"]
        meta["flux_origin"] = origin
    qname = next((lower[q] for q in ("quality", "sap_quality") if q in lower), None)
    keep = _quality_keep(None if qname is None else cols[qname], quality_mask, n)
    if header.get(_FOLD_KEY):
        time = TimeDelta(tvals[keep], format="jd")
        lc = LightCurve(data={"time": time}, meta=meta)
    else:
        scale = str(header.get("TIMESYS", "TDB")).strip().lower()
        ref_i = float(header.get("BJDREFI", 0.0))
        ref_f = float(header.get("BJDREFF", 0.0))
        time = Time(np.full(int(keep.sum()), ref_i), tvals[keep] + ref_f, format="jd", scale=scale)
        fmt = header.get(_FORMAT_KEY)
        if fmt and fmt in Time.FORMATS:
            time.format = fmt
        lc = LightCurve(time=time, meta=meta)
    for name, values in cols.items():
        lc[name] = values[keep]
    order = ["time"] + [c for c in ("flux", "flux_err") if c in lc.colnames]
    lc = lc[order + [c for c in lc.colnames if c not in order]]
    lc.meta = meta
    lc.meta.setdefault("history", [])
    if not keep.all():
        lc.meta["history"] = list(lc.meta["history"]) + [
            f"read {path.name}: {int(keep.sum())}/{n} rows passing quality_mask {quality_mask!r}"
        ]
    return lc


def _read_astropy_time_fits(
    path: Path, hdu: Any, *, colname: str, cols: dict, quality_mask: Any
) -> LightCurve:
    """A FITS table whose time column astropy serialised (``TimeSeries.write``)."""
    import warnings

    from astropy.table import QTable

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = QTable.read(hdu, astropy_native=True)
    tname = next(c for c in table.colnames if c.upper() == "TIME")
    time = table[tname]
    if not isinstance(time, Time):
        raise FormatError(
            f"{str(path)!r}: its TIME column holds {np.shape(time)[1:]} values per row and is "
            "not an astropy-serialised time; expected one time per cadence."
        )
    fcol = table[colname]
    if np.ndim(fcol) != 1:
        raise FormatError(f"{str(path)!r}: flux column {colname!r} must hold one value per row.")
    err = next((table[c] for c in table.colnames if c.upper() == colname.upper() + "_ERR"), None)
    qname = next((c for c in table.colnames if c.upper() in _QUALITY_COLUMNS), None)
    keep = _quality_keep(
        None if qname is None else np.asarray(table[qname]), quality_mask, len(table)
    )
    time = Time(time.jd1, time.jd2, format="jd", scale=time.scale)[keep]
    unit = _repair_unit(getattr(fcol, "unit", None))
    meta = {
        k.lower(): v
        for k, v in table.meta.items()
        if isinstance(v, (str, int, float, bool)) and k.upper() not in ("COMMENTS", "HISTORY")
    }
    meta.update(
        {
            "flux_origin": colname.lower(),
            "source": str(path),
            "quality_mask": quality_mask,
            "history": [f"read {path.name}: astropy FITS table, {int(keep.sum())} rows"],
        }
    )
    meta.setdefault("target", "")
    meta.setdefault("mission", "")
    meta.setdefault("time_format", f"{time.scale} Julian date (astropy-serialised)")
    lc = LightCurve(
        time=time,
        flux=u.Quantity(_filled(fcol)[keep], unit),
        flux_err=None if err is None else u.Quantity(_filled(err)[keep], unit),
        meta=meta,
    )
    lc.meta["cadence_days"] = lc.cadence
    return lc


def _read_csv(path: str | os.PathLike, *, time_format: str | None, quality_mask: Any) -> LightCurve:
    if time_format is None:
        raise InputError(
            f"{str(path)!r} is a csv, which has no header to read a time system from; pass "
            f"time_format= one of {sorted(TIME_FORMATS)} (e.g. 'bkjd' for Kepler/K2, "
            "'btjd' for TESS, 'relative' for days in no time system)."
        )
    from ..io.lightcurves import read_lightcurve_csv

    path = Path(path)
    df = read_lightcurve_csv(path)
    names, rows = df.attrs["columns"], df.attrs["rows"]
    t = df["time"].to_numpy()
    quality = df["quality"].to_numpy() if "quality" in df else None
    keep = np.isfinite(t) & _quality_keep(
        quality, quality_mask if quality is not None else None, rows
    )
    offset, scale, desc = TIME_FORMATS[time_format.lower()]
    time = Time(np.full(keep.sum(), offset), t[keep], format="jd", scale=scale)
    history = f"read {path.name}: csv, {int(keep.sum())}/{rows} rows with finite time"
    if quality is not None:
        history += f" and column {names['quality']!r} passing quality_mask {quality_mask!r}"
    meta = {
        "mission": "",
        "target": path.stem,
        "flux_origin": names["flux"],
        "time_format": f"{time_format.lower()} ({desc})",
        "source": str(path),
        "quality_mask": quality_mask if quality is not None else None,
        "history": [history],
    }
    err = df["flux_err"].to_numpy()[keep] if "flux_err" in df else None
    lc = LightCurve(time=time, flux=df["flux"].to_numpy()[keep], flux_err=err, meta=meta)
    lc.meta["cadence_days"] = lc.cadence
    return lc

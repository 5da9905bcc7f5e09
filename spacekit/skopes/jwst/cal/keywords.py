"""The header keywords of a JWST exposure and their one normalisation into a row of
:func:`~spacekit.skopes.jwst.cal.scrape.scrape_headers`' table, whether they come from a FITS
file's headers or from a row of a Level-3 product's ``HDRTAB``
(:func:`~spacekit.skopes.jwst.cal.ingest.product_exposures`). The names are importable from
:mod:`~spacekit.skopes.jwst.cal.scrape` too.

Examples
--------
>>> sorted(REQUIRED_KEYS)[:3]
['DETECTOR', 'EXP_TYPE', 'INSTRUME']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ....exceptions import FormatError, InputError

__all__ = ["REQUIRED_KEYS", "OPTIONAL_KEYS", "KNOWN_DETECTORS", "exposure_row"]

#: keyword -> column; a missing required keyword raises FormatError naming the file.
REQUIRED_KEYS = {
    "INSTRUME": "instr",
    "DETECTOR": "detector",
    "EXP_TYPE": "exp_type",
    "PROGRAM": "program",
    "OBSERVTN": "observtn",
    "TARG_RA": "targ_ra",
    "TARG_DEC": "targ_dec",
}
#: keyword -> (column, default when absent)
OPTIONAL_KEYS: dict[str, tuple[str, Any]] = {
    "FILTER": ("filter", "NONE"),
    "PUPIL": ("pupil", "NONE"),
    "GRATING": ("grating", "NONE"),
    "SUBARRAY": ("subarray", "NONE"),
    "CHANNEL": ("channel", "NONE"),
    "BAND": ("band", "NONE"),
    "VISITYPE": ("visitype", "NONE"),
    "TARGPROP": ("targprop", ""),
    "VISIT": ("visit", ""),
    "BKGDTARG": ("bkgdtarg", False),
    "NUMDTHPT": ("numdthpt", 0),
    "NGROUPS": ("ngroups", 0),
    "NINTS": ("nints", 0),
    "RA_REF": ("ra_ref", np.nan),
    "DEC_REF": ("dec_ref", np.nan),
    "CRVAL1": ("crval1", np.nan),
    "CRVAL2": ("crval2", np.nan),
    "RA_V1": ("ra_v1", np.nan),
    "DEC_V1": ("dec_v1", np.nan),
    "PA_V3": ("pa_v3", np.nan),
}
KNOWN_DETECTORS = frozenset(
    [f"NRCA{i}" for i in range(1, 5)]
    + [f"NRCB{i}" for i in range(1, 5)]
    + [
        "NRCALONG",
        "NRCBLONG",
        "NIS",
        "NRS1",
        "NRS2",
        "MIRIMAGE",
        "MIRIFULONG",
        "MIRIFUSHORT",
        "GUIDER1",
        "GUIDER2",
    ]
)


def _clean(value: Any) -> Any:
    """A header value as a plain Python value: a blank (astropy's ``Undefined``, an empty
    HDRTAB cell) as None, bytes decoded, strings stripped, numpy scalars unwrapped."""
    if value is None or value is np.ma.masked or type(value).__name__ == "Undefined":
        return None
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, np.generic):
        return value.item()
    return value


def exposure_row(keys: Mapping[str, Any], where: str, *, file: str | None = None) -> dict[str, Any]:
    """One exposure's row in :func:`scrape_headers`' columns from its header keywords.

    The one normalisation of exposure keywords, whether they come from a FITS file's headers
    (:func:`scrape_headers`) or from a row of a Level-3 product's ``HDRTAB``
    (:func:`~spacekit.skopes.jwst.cal.ingest.product_exposures`): values stripped, a blank or
    empty optional keyword takes its default, instrument, detector and exposure type upper case,
    program and observation zero-padded, target coordinates as floats.

    Parameters
    ----------
    keys : mapping
        Keyword (upper case) -> value: an ``astropy.io.fits.Header`` or a dict.
    where : str
        What the keywords were read from, for error messages (a file, a table row).
    file : str, optional
        The ``file`` column; default the ``FILENAME`` keyword, else ``where``.

    Returns
    -------
    dict
        ``file``, the columns of :data:`REQUIRED_KEYS` and :data:`OPTIONAL_KEYS`.

    Raises
    ------
    FormatError
        A required keyword is absent or blank, or TARG_RA/TARG_DEC is not a number.
    InputError
        DETECTOR is not a JWST detector.

    Examples
    --------
    >>> keys = {"INSTRUME": "nircam", "DETECTOR": "NRCA1", "EXP_TYPE": "NRC_IMAGE",
    ...     "PROGRAM": "2732", "OBSERVTN": "1", "TARG_RA": "339.0", "TARG_DEC": 34.0,
    ...     "FILTER": " F150W ", "PUPIL": ""}
    >>> row = exposure_row(keys, "example")
    >>> row["instr"], row["program"], row["observtn"], row["filter"], row["pupil"]
    ('NIRCAM', '02732', '001', 'F150W', 'NONE')
    """
    missing = [k for k in REQUIRED_KEYS if _clean(keys.get(k)) in (None, "")]
    if missing:
        raise FormatError(
            f"{where}: header keywords {missing} are missing; expected a JWST exposure's header "
            "keywords (INSTRUME, DETECTOR, EXP_TYPE, PROGRAM, OBSERVTN, TARG_RA, TARG_DEC: in "
            "the primary header of its uncal, rate or cal file)"
        )
    if file is None:
        file = _clean(keys.get("FILENAME")) or where
    row: dict[str, Any] = {"file": str(file)}
    for key, col in REQUIRED_KEYS.items():
        row[col] = _clean(keys[key])
    for key, (col, default) in OPTIONAL_KEYS.items():
        value = _clean(keys.get(key))
        row[col] = default if value is None or value == "" else value
    for col in ("instr", "detector", "exp_type"):
        row[col] = str(row[col]).upper()
    if row["detector"] not in KNOWN_DETECTORS:
        raise InputError(
            f"{where}: unknown JWST detector {row['detector']!r}; expected one of "
            f"{sorted(KNOWN_DETECTORS)}"
        )
    for col, width in (("program", 5), ("observtn", 3)):
        text = str(row[col]).strip()
        row[col] = f"{int(text):0{width}d}" if text.isdigit() else text
    for col in ("targ_ra", "targ_dec"):
        try:
            row[col] = float(row[col])
        except (TypeError, ValueError):
            raise FormatError(f"{where}: {col.upper()} is not a number ({row[col]!r})") from None
    return row

"""Ingest for JWST Level-3 memory: scrape ``*_uncal.fits`` headers, group exposures into the
Level-3 products the pipeline will make, and compute pointing-offset statistics.

Product names follow the pipeline's pattern
``jw<program>-o<observation>_t<target>_<instrument>_<optical elements>``, e.g.
``jw02732-o001_t1_nircam_clear-f150w``: the optical elements are the exposure's FILTER,
PUPIL and GRATING values (lower case, "NONE"/"N/A" left out) sorted and joined with ``-``;
``t<n>`` numbers the program's distinct targets (TARGPROP, else TARG_RA/TARG_DEC) in the
order their first exposure appears.

The pointing-offset statistics of each product (the offset features) are computed by
:mod:`.offsets` (:func:`offset_statistics`, :func:`upstream_offset_statistics`, importable from
here too), in the definition asked for: ``definition="spacekit"`` (this package's) or
``definition="upstream"`` (upstream spacekit 1.1.4's). A model folder records the definition it
needs (``feature_definition``) and predicting with the other one is an error.

Examples
--------
>>> product_name("02732", "001", 1, "NIRCAM", ["F150W", "CLEAR"])
'jw02732-o001_t1_nircam_clear-f150w'
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ....exceptions import DataNotFoundError, InputError
from .keywords import KNOWN_DETECTORS, OPTIONAL_KEYS, REQUIRED_KEYS, exposure_row
from .offsets import offset_statistics, upstream_offset_statistics

__all__ = [
    "REQUIRED_KEYS",
    "OPTIONAL_KEYS",
    "KNOWN_DETECTORS",
    "IMAGE_EXP_TYPES",
    "find_uncal_files",
    "exposure_row",
    "scrape_headers",
    "product_name",
    "combine_detectors",
    "FEATURE_DEFINITIONS",
    "group_products",
]

#: The two definitions of the offset features (see :mod:`spacekit.skopes.jwst.cal.offsets`).
FEATURE_DEFINITIONS = ("spacekit", "upstream")

log = logging.getLogger(__name__)

#: exposure types whose Level-3 products are images (everything else is spectroscopy).
IMAGE_EXP_TYPES = frozenset(
    [
        "FGS_IMAGE",
        "MIR_IMAGE",
        "MIR_4QPM",
        "MIR_LYOT",
        "NIS_IMAGE",
        "NIS_AMI",
        "NRC_IMAGE",
        "NRC_TSIMAGE",
        "NRC_CORON",
    ]
)
_BAND_ORDER = {"SHORT": 0, "MEDIUM": 1, "LONG": 2}
_EMPTY = {"", "NONE", "N/A", "NULL", "ANY"}


def find_uncal_files(source: str | os.PathLike | Iterable[str | os.PathLike]) -> list[Path]:
    """Return the ``*_uncal.fits`` files of a folder (searched recursively) or a list of paths.

    Parameters
    ----------
    source : path or iterable of paths
        A folder or the files.

    Returns
    -------
    list of pathlib.Path
        The uncal files, sorted.

    Raises
    ------
    DataNotFoundError
        For a missing path or a folder without uncal files.

    Examples
    --------
    >>> import tempfile
    >>> find_uncal_files(tempfile.mkdtemp())  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    spacekit.exceptions.DataNotFoundError: ...
    """
    if isinstance(source, (str, os.PathLike)):
        root = Path(source)
        if root.is_file():
            return [root]
        if not root.is_dir():
            raise DataNotFoundError(f"{root} does not exist; pass a folder of *_uncal.fits files")
        files = sorted(root.rglob("*_uncal.fits"))
        if not files:
            raise DataNotFoundError(
                f"folder {root} holds no *_uncal.fits exposures; pass the folder a program's "
                "uncal files were downloaded to"
            )
        return files
    files = sorted(Path(p) for p in source)
    if not files:
        raise DataNotFoundError("no uncal files given (an empty list)")
    for f in files:
        if not f.is_file():
            raise DataNotFoundError(f"uncal file {f} does not exist")
    return files


def scrape_headers(source: str | os.PathLike | Iterable[str | os.PathLike]) -> pd.DataFrame:
    """Read the keywords of every uncal exposure into one row per file.

    The primary header is read first, then the ``SCI`` extension (pointing keywords such as
    RA_REF/DEC_REF live there). Columns: ``file``, the columns of :data:`REQUIRED_KEYS` and
    :data:`OPTIONAL_KEYS`.

    Each file is read by :func:`spacekit.io.merge_fits_headers` (so a missing, empty, truncated
    or non-FITS file fails as every FITS file of the package does).

    Parameters
    ----------
    source : path or iterable of paths
        A folder of uncal files (searched recursively) or the files.

    Returns
    -------
    pandas.DataFrame
        One row per file.

    Raises
    ------
    FormatError
        A file is not FITS or lacks a required keyword (the message names both).
    InputError
        A file's DETECTOR is not a JWST detector.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from astropy.io import fits
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> keys = {"INSTRUME": "NIRCAM", "DETECTOR": "NRCA1", "EXP_TYPE": "NRC_IMAGE",
    ...     "PROGRAM": "2732", "OBSERVTN": "1", "TARG_RA": 339.0, "TARG_DEC": 34.0,
    ...     "FILTER": "F150W", "PUPIL": "CLEAR"}
    >>> fits.PrimaryHDU(header=fits.Header(keys)).writeto(d / "jw02732001001_uncal.fits")
    >>> ex = scrape_headers(d)
    >>> ex[["file", "instr", "program", "filter"]].values.tolist()
    [['jw02732001001_uncal.fits', 'NIRCAM', '02732', 'F150W']]
    """
    from ....io import merge_fits_headers

    rows = [
        exposure_row(merge_fits_headers(path, (0, "SCI")), str(path), file=path.name)
        for path in find_uncal_files(source)
    ]
    return pd.DataFrame(rows)


def product_name(
    program: str, observation: str, target: int, instrument: str, elements: Iterable[Any]
) -> str:
    """Return the Level-3 product name ``jw<ppppp>-o<ooo>_t<n>_<instr>_<elements>``.

    Parameters
    ----------
    program, observation : str
        The program and observation numbers (zero-padded to 5 and 3 digits).
    target : int
        The target number.
    instrument : str
        The instrument name.
    elements : iterable
        Optical elements (filter, pupil, grating...); blanks (``NONE``, ``N/A``...) are dropped.

    Returns
    -------
    str
        The product name, lower case (elements sorted; ``clear`` when none).

    Examples
    --------
    >>> product_name("1234", "7", 2, "NIRSPEC", ["G395M", "F290LP", "NONE"])
    'jw01234-o007_t2_nirspec_f290lp-g395m'
    """
    prog = f"{int(program):05d}" if str(program).isdigit() else str(program)
    obs = f"{int(observation):03d}" if str(observation).isdigit() else str(observation)
    opt = sorted(
        {
            str(e).strip().lower()
            for e in elements
            if str(e).strip().upper() not in _EMPTY and not _isnan(e)
        }
    )
    opt_text = "-".join(opt) if opt else "clear"
    return f"jw{prog}-o{obs}_t{int(target)}_{str(instrument).lower()}_{opt_text}"


def _isnan(v: Any) -> bool:
    return isinstance(v, float) and np.isnan(v)


def combine_detectors(detectors: Iterable[str]) -> str:
    """The product's detector value (the encoder's vocabulary) from its exposures' detectors.

    NIRCam: one detector → ``NRC-S``; several of module A → ``NRCA-M``, of module B →
    ``NRCB-M``, of both → ``NRC-M``. Other instruments: the distinct detectors sorted and
    joined with ``|`` (``NRS1|NRS2``, ``MIRIFULONG|MIRIFUSHORT``).

    Parameters
    ----------
    detectors : iterable of str
        The DETECTOR value of each exposure.

    Returns
    -------
    str
        The product's detector value.

    Examples
    --------
    >>> combine_detectors(["NRCA1", "NRCA2", "NRCB1"]), combine_detectors(["NRS2", "NRS1"])
    ('NRC-M', 'NRS1|NRS2')
    """
    dets = sorted({str(d).upper() for d in detectors})
    if not dets:
        raise InputError("a product needs at least one exposure detector")
    if all(d.startswith("NRC") for d in dets):
        if len(dets) == 1:
            return "NRC-S"
        modules = {d[3] for d in dets}
        return f"NRC{modules.pop()}-M" if len(modules) == 1 else "NRC-M"
    return "|".join(dets)


def _join_values(values: Iterable[Any], order: dict[str, int] | None = None) -> str:
    vals = {str(v).strip().upper() for v in values if not _isnan(v)}
    vals = {v for v in vals if v not in _EMPTY} or {"NONE"}
    if order:
        return "|".join(sorted(vals, key=lambda v: (order.get(v, 99), v)))
    return "|".join(sorted(vals))


def group_products(exposures: pd.DataFrame, *, definition: str = "spacekit") -> pd.DataFrame:
    """Group scraped exposures into Level-3 products with their features and offsets.

    Parameters
    ----------
    exposures : pandas.DataFrame
        Output of :func:`scrape_headers`; a ``product`` column, where given, names each
        exposure's product (as a Level-3 association does) instead of the derived name.
    definition : {"spacekit", "upstream"}
        Which definition of the offset features (see :mod:`.offsets`): this package's (in
        arcsec) or upstream spacekit 1.1.4's (in detector pixels, for its models). The table
        records it in ``attrs["feature_definition"]``.

    Returns
    -------
    pandas.DataFrame
        One row per product: ``product``, ``kind`` ("IMAGE"/"SPEC"), the raw categorical
        values (instr, detector, visitype, filter, pupil, grating, channel, subarray, band,
        exp_type), ``bkgdtarg``, ``nexposur``, ``numdthpt``, ``ngroups``, ``nints`` (totals),
        the offset statistics and ``files``.

    Examples
    --------
    >>> ex = pd.DataFrame({"file": ["a_uncal.fits", "b_uncal.fits"], "instr": "NIRCAM",
    ...     "detector": ["NRCA1", "NRCA2"], "exp_type": "NRC_IMAGE", "program": "02732",
    ...     "observtn": "001", "targ_ra": 339.0, "targ_dec": 34.0, "ra_ref": 339.0,
    ...     "dec_ref": [34.0, 34.0 + 2 / 3600], "filter": "F150W", "pupil": "CLEAR",
    ...     "grating": "NONE", "channel": "SHORT", "subarray": "FULL", "band": "NONE",
    ...     "visitype": "PRIME_TARGETED_FIXED", "bkgdtarg": False, "numdthpt": 2,
    ...     "ngroups": 4, "nints": 1})
    >>> p = group_products(ex)
    >>> p[["product", "detector", "nexposur"]].values.tolist()
    [['jw02732-o001_t1_nircam_clear-f150w', 'NRCA-M', 2]]
    >>> round(float(p["max_offset"].iloc[0]), 6)
    1.0
    """
    if definition not in FEATURE_DEFINITIONS:
        raise InputError(
            f"definition must be one of {list(FEATURE_DEFINITIONS)}, got {definition!r}"
        )
    if exposures is None or not len(exposures):
        raise InputError("no exposures to group (the scraped table is empty)")
    ex = exposures.copy()
    for col in ("ra_ref", "dec_ref"):
        if col not in ex.columns:
            ex[col] = np.nan
    # pointing: RA_REF/DEC_REF, else V1, else the target
    ex["p_ra"] = ex["ra_ref"].astype(float)
    ex["p_dec"] = ex["dec_ref"].astype(float)
    for alt_ra, alt_dec in (("ra_v1", "dec_v1"), ("targ_ra", "targ_dec")):
        if alt_ra in ex.columns:
            miss = ~np.isfinite(ex["p_ra"]) | ~np.isfinite(ex["p_dec"])
            ex.loc[miss, "p_ra"] = ex.loc[miss, alt_ra].astype(float)
            ex.loc[miss, "p_dec"] = ex.loc[miss, alt_dec].astype(float)
    # targets numbered per program in order of appearance
    tkey = ex.get("targprop", pd.Series([""] * len(ex), index=ex.index)).astype(str).str.strip()
    fallback = ex["targ_ra"].round(4).astype(str) + "," + ex["targ_dec"].round(4).astype(str)
    ex["tkey_"] = np.where(tkey.isin(["", "nan", "None"]), fallback, tkey)
    ex = ex.sort_values("file", kind="stable")
    ex["tnum"] = 0
    for _prog, idx in ex.groupby("program", sort=False).groups.items():
        order: dict[str, int] = {}
        for i in idx:
            order.setdefault(ex.at[i, "tkey_"], len(order) + 1)
        ex.loc[idx, "tnum"] = [order[ex.at[i, "tkey_"]] for i in idx]
    if "product" not in ex.columns:  # given: e.g. the product an association names
        ex["product"] = [
            product_name(r.program, r.observtn, r.tnum, r.instr, [r.filter, r.pupil, r.grating])
            for r in ex.itertuples()
        ]
    rows = []
    for (product, exp_type), g in ex.groupby(["product", "exp_type"], sort=True):
        if definition == "upstream":  # IMAGE from CRVAL1/2, SPEC from RA_REF/DEC_REF
            pointing = "crval" if exp_type in IMAGE_EXP_TYPES else "ref"
            stats = upstream_offset_statistics(g, pointing=pointing)
        else:
            stats = offset_statistics(g["p_ra"], g["p_dec"], g["targ_ra"], g["targ_dec"])
        rows.append(
            {
                "product": product,
                "kind": "IMAGE" if exp_type in IMAGE_EXP_TYPES else "SPEC",
                "instr": str(g["instr"].iloc[0]).upper(),
                "detector": combine_detectors(g["detector"]),
                "exp_type": exp_type,
                "visitype": _join_values(g["visitype"]),
                "filter": _join_values(g["filter"]),
                "pupil": _join_values(g["pupil"]),
                "grating": _join_values(g["grating"]),
                "channel": _join_values(g["channel"]),
                "subarray": _join_values(g["subarray"]),
                "band": _join_values(g["band"], _BAND_ORDER),
                "bkgdtarg": int(
                    any(str(v).strip().upper() in {"TRUE", "T", "1"} for v in g["bkgdtarg"])
                ),
                "nexposur": int(len(g)),
                "numdthpt": int(pd.to_numeric(g["numdthpt"], errors="coerce").fillna(0).max()),
                "ngroups": int(pd.to_numeric(g["ngroups"], errors="coerce").fillna(0).sum()),
                "nints": int(pd.to_numeric(g["nints"], errors="coerce").fillna(0).sum()),
                **stats,
                "files": ";".join(g["file"]),
            }
        )
    out = pd.DataFrame(rows)
    dup = out["product"].duplicated(keep=False)
    if dup.any():  # one name, several exposure types: keep them apart
        out.loc[dup, "product"] = (
            out.loc[dup, "product"] + "_" + out.loc[dup, "exp_type"].str.lower()
        )
    out = out.reset_index(drop=True)
    out.attrs["feature_definition"] = definition
    return out

"""Level-3 associations and their member exposures: the products of the JWST memory model's
training table and the header keywords of each product's science members.

A Level-3 association (``jw02732-o001_20220713t130747_image3_00001_asn.json``) names each
product the pipeline makes (``products[].name``) and its member exposures
(``products[].members[].expname``); a Level-3 product file's ``HDRTAB`` extension stands for the
members' headers. Used by :func:`~spacekit.skopes.jwst.cal.ingest.build_training_table`; also
importable from :mod:`spacekit.skopes.jwst.cal.ingest`.

Examples
--------
>>> product_key("jw02732-o001_t001_nircam_clear-f150w_i2d.fits")
'jw02732-o001_t1_nircam_clear-f150w'
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ....exceptions import DataNotFoundError, FormatError, InputError
from .keywords import REQUIRED_KEYS, exposure_row
from .scrape import scrape_headers

__all__ = [
    "PRODUCT_SUFFIXES",
    "product_key",
    "read_association",
    "association_exposures",
    "product_exposures",
]

#: Level-3 product file suffixes read for their HDRTAB, in order of preference
PRODUCT_SUFFIXES = ("i2d", "s3d", "x1d", "c1d", "x1dints", "crf", "cal")
_EXPOSURE_SUFFIXES = ("uncal", "rate", "rateints", "cal", "calints", "trapsfilled")
_LEVEL3 = re.compile(r"(image3|spec3|tso3|ami3|coron3|wfs-image3)", re.I)


def product_key(name: str | os.PathLike) -> str:
    """The name a product is matched by: lower case, without folder, ``.fits``/``.json``, a
    product-file suffix (``_i2d``, ``_s3d``...), and with the target number unpadded
    (``_t001_`` → ``_t1_``, as :func:`~spacekit.skopes.jwst.cal.scrape.product_name` writes it).

    Parameters
    ----------
    name : str or path
        A product name, product file or association file.

    Returns
    -------
    str
        The key.

    Examples
    --------
    >>> product_key("JW02732-O002_T002_NIRSPEC_F100LP-G140M_x1d.fits")
    'jw02732-o002_t2_nirspec_f100lp-g140m'
    """
    text = Path(str(name)).name.strip().lower()
    for ext in (".fits.gz", ".fits", ".json"):
        if text.endswith(ext):
            text = text[: -len(ext)]
    parts = text.rsplit("_", 1)
    if len(parts) == 2 and parts[1] in PRODUCT_SUFFIXES:
        text = parts[0]
    return re.sub(r"_t0*(\d+)(?=_|$)", r"_t\1", text)


# -- associations --------------------------------------------------------------------------


def read_association(path: str | os.PathLike) -> dict[str, Any]:
    """Read a JWST association file (``*_asn.json``).

    Parameters
    ----------
    path : path
        The association file.

    Returns
    -------
    dict
        ``asn_type``, ``asn_rule``, ``program``, ``level`` (2 or 3, from the type), ``path``
        and ``products``: a list of ``{"name": str, "members": [{"expname", "exptype"}]}``.

    Raises
    ------
    DataNotFoundError
        The file does not exist.
    FormatError
        It is not JSON, or lacks ``products`` / a product's ``name`` or ``members`` / a member's
        ``expname`` (the message names what is missing).

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "jw01_image3_asn.json"
    >>> _ = p.write_text(json.dumps({"asn_type": "image3", "products": [{"name": "jw01-o1_t1_x",
    ...     "members": [{"expname": "jw01001001001_02101_00001_nrca1_cal.fits",
    ...                  "exptype": "science"}]}]}))
    >>> asn = read_association(p)
    >>> asn["level"], asn["products"][0]["name"]
    (3, 'jw01-o1_t1_x')
    """
    path = Path(path)
    if not path.is_file():
        raise DataNotFoundError(
            f"association {path} does not exist; pass *_asn.json files (spacekit jwst "
            "associations PROGRAM --download DIR fetches a program's from MAST)"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FormatError(
            f"{path} is not a JSON association file ({exc}); expected the pipeline's "
            "*_asn.json with a 'products' list"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("products"), list):
        raise FormatError(
            f"{path} has no 'products' list; expected a JWST association (*_asn.json: "
            "asn_type, products[].name, products[].members[].expname)"
        )
    products = []
    for i, prod in enumerate(data["products"]):
        if not isinstance(prod, dict) or "name" not in prod or "members" not in prod:
            raise FormatError(
                f"{path}: product {i} lacks 'name' or 'members'; each product of an association "
                "names the Level-3 product and lists its member exposures"
            )
        members = []
        for j, mem in enumerate(prod["members"]):
            if not isinstance(mem, dict) or not mem.get("expname"):
                raise FormatError(
                    f"{path}: member {j} of product {prod['name']!r} has no 'expname' (the "
                    "exposure's file name)"
                )
            members.append(
                {"expname": str(mem["expname"]), "exptype": str(mem.get("exptype", "science"))}
            )
        products.append({"name": str(prod["name"]), "members": members})
    asn_type = str(data.get("asn_type", ""))
    level = 3 if _LEVEL3.search(asn_type) or asn_type.endswith("3") else 2
    if not asn_type:  # old or hand-made: tell by the product names (Level 3: jwPPPPP-oOOO_...)
        names = [p["name"] for p in products]
        level = 3 if names and all(re.match(r"jw\d{5}-[oca]", n) for n in names) else 2
    return {
        "asn_type": asn_type,
        "asn_rule": str(data.get("asn_rule", "")),
        "program": str(data.get("program", "")),
        "level": level,
        "path": path,
        "products": products,
    }


def _exposure_root(expname: str) -> str:
    """``jw02732001001_02101_00001_nrca1_cal.fits`` → ``jw02732001001_02101_00001_nrca1``."""
    stem = Path(expname).name
    for ext in (".fits.gz", ".fits"):
        if stem.lower().endswith(ext):
            stem = stem[: -len(ext)]
    parts = stem.rsplit("_", 1)
    if len(parts) == 2 and parts[1].lower() in _EXPOSURE_SUFFIXES:
        stem = parts[0]
    return stem.lower()


class _FileIndex:
    """The FITS files under some folders (searched recursively once), by exposure root."""

    def __init__(self, folders: Iterable[Path]) -> None:
        self.folders: list[Path] = []
        self.by_root: dict[str, list[Path]] = {}
        for folder in folders:
            self.add(folder)

    def add(self, folder: Path) -> None:
        folder = Path(folder)
        if folder in self.folders:
            return
        self.folders.append(folder)
        for f in sorted(folder.rglob("*.fits*")):
            self.by_root.setdefault(_exposure_root(f.name), []).append(f)

    def find(self, expname: str) -> Path | None:
        found = self.by_root.get(_exposure_root(expname), [])
        exact = [f for f in found if f.name == Path(expname).name]
        if exact:
            return exact[0]

        def rank(f: Path) -> int:
            suffix = f.name.lower().split(".")[0].rsplit("_", 1)[-1]
            return _EXPOSURE_SUFFIXES.index(suffix) if suffix in _EXPOSURE_SUFFIXES else 99

        return min(found, key=rank) if found else None


def association_exposures(
    association: str | os.PathLike | Mapping[str, Any],
    *,
    members: Iterable[str | os.PathLike] | str | os.PathLike | None = None,
    member_types: Iterable[str] = ("science",),
) -> pd.DataFrame:
    """The header rows (:func:`scrape_headers`) of each Level-3 product's member exposures,
    with a ``product`` column naming the product and ``association`` the file.

    Parameters
    ----------
    association : path or dict
        A ``*_asn.json`` file or what :func:`read_association` returned.
    members : folder(s), optional
        Where the member files are (searched recursively), besides the association's folder.
        A member is found by its exposure name with any suffix (``_uncal``, ``_rate``,
        ``_cal``...).
    member_types : iterable of str
        The member ``exptype`` values whose headers make the features (default ``science``).

    Returns
    -------
    pandas.DataFrame
        One row per member exposure.

    Raises
    ------
    DataNotFoundError
        A member's file is in none of the folders (the message names the product, the missing
        members and the folders searched).
    InputError
        A Level-2 association, or a product without members of ``member_types``.
    FormatError
        A member file that is not FITS or lacks a required header keyword.

    Examples
    --------
    >>> from spacekit.skopes.jwst.cal.ingest import example_pipeline_metadata
    >>> paths = example_pipeline_metadata("metadata", n=2)  # made-up associations + members
    >>> asn = paths["associations"] / "jw01234-o002_20230101t000000_image3_00001_asn.json"
    >>> rows = association_exposures(asn, members=paths["members"])
    >>> len(rows), rows["product"].unique().tolist()
    (7, ['jw01234-o002_t1_nircam_clear-f200w'])
    """
    asn = association if isinstance(association, Mapping) else read_association(association)
    return _association_rows(asn, _FileIndex(_folders(members)), {}, member_types)


def _association_rows(
    asn: Mapping[str, Any],
    index: _FileIndex,
    cache: dict[Path, pd.DataFrame],
    member_types: Iterable[str],
) -> pd.DataFrame:
    """:func:`association_exposures` with a file index and header cache shared across
    associations."""
    where = asn.get("path", "association")
    if asn.get("level") != 3:
        raise InputError(
            f"{where} is a Level-2 association ({asn.get('asn_type') or 'no asn_type'}); the "
            "memory model is for Level-3 products: pass the *_image3_* / *_spec3_* associations"
        )
    if asn.get("path") is not None:
        index.add(Path(asn["path"]).parent)
    types = {str(t).lower() for t in member_types}
    parts = []
    for prod in asn["products"]:
        wanted = [m for m in prod["members"] if m["exptype"].lower() in types]
        if not wanted:
            raise InputError(
                f"{where}: product {prod['name']!r} has no member of type {sorted(types)} "
                f"(its members are {sorted({m['exptype'] for m in prod['members']})})"
            )
        files, missing = [], []
        for m in wanted:
            f = index.find(m["expname"])
            if f is None:
                missing.append(m["expname"])
            else:
                files.append(f)
        if missing:
            raise DataNotFoundError(
                f"{where}: {len(missing)} of the {len(wanted)} members of {prod['name']!r} were "
                f"not found (e.g. {missing[:3]}) in {[str(f) for f in index.folders]}; download "
                "them (their uncal, rate or cal files: the headers are what is read) and pass "
                "their folder with members= (--members DIR)"
            )
        rows = []
        for f in files:
            if f not in cache:
                cache[f] = scrape_headers([f])
            rows.append(cache[f])
        part = pd.concat(rows, ignore_index=True)
        part["product"] = product_key(prod["name"])
        part["association"] = Path(str(where)).name
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def _folders(value: Any) -> list[Path]:
    if value is None:
        return []
    items = [value] if isinstance(value, (str, os.PathLike)) else list(value)
    out = []
    for item in items:
        p = Path(item)
        if not p.is_dir():
            raise DataNotFoundError(f"members folder {p} does not exist")
        out.append(p)
    return out


# -- Level-3 product files -------------------------------------------------------------------


def product_exposures(
    path: str | os.PathLike, *, members: Any = None, member_types: Iterable[str] = ("science",)
) -> pd.DataFrame:
    """The member-exposure rows of a Level-3 product file (``*_i2d.fits``, ``*_s3d.fits``...),
    in :func:`scrape_headers`' columns plus ``product``: from its ``HDRTAB`` extension (one row
    of header keywords per input exposure), else from the association its ``ASNTABLE`` keyword
    names (looked up beside it and in ``members``).

    Parameters
    ----------
    path : path
        The Level-3 product file.
    members : folder(s), optional
        Where the association's member files are (for a product without HDRTAB).
    member_types : iterable of str
        The member ``exptype`` values whose headers make the features (default ``science``).

    Returns
    -------
    pandas.DataFrame
        One row per member exposure.

    Raises
    ------
    FormatError
        Not FITS, or neither HDRTAB nor a findable ASNTABLE association (the message says what
        to pass instead), or a row without a required keyword.

    Examples
    --------
    A made-up ``_i2d.fits`` whose ``ASNTABLE`` names an association beside it:

    >>> from astropy.io import fits
    >>> from spacekit.skopes.jwst.cal.ingest import example_pipeline_metadata
    >>> paths = example_pipeline_metadata("metadata", n=2)
    >>> asn = "jw01234-o002_20230101t000000_image3_00001_asn.json"
    >>> i2d = paths["associations"] / "jw01234-o002_t001_nircam_clear-f200w_i2d.fits"
    >>> fits.PrimaryHDU(header=fits.Header({"ASNTABLE": asn})).writeto(i2d)
    >>> rows = product_exposures(i2d, members=paths["members"])
    >>> len(rows), rows["detector"].unique().tolist()
    (7, ['NRCA1'])
    """
    from ....io import open_fits, read_fits_header, read_fits_table

    path = Path(path)
    header = read_fits_header(path)
    with open_fits(path) as hdul:
        names = [h.name for h in hdul]
    name = product_key(path.name)
    if "HDRTAB" in names:
        table = read_fits_table(path, hdu="HDRTAB")
        cols = {c.upper(): c for c in table.colnames}
        rows = []
        for i, rec in enumerate(table):
            keys = {k: rec[c] for k, c in cols.items()}
            for k, v in header.items():  # the product's own keywords fill what the rows lack
                if k in REQUIRED_KEYS and (k not in keys or keys[k] in (None, "")):
                    keys[k] = v
            rows.append(exposure_row(keys, f"{path.name} HDRTAB row {i}"))
        out = pd.DataFrame(rows)
        out["product"] = name
        out["association"] = str(header.get("ASNTABLE", "")).strip()
        return out
    asn_name = str(header.get("ASNTABLE", "")).strip()
    if asn_name:
        for folder in [path.parent, *_folders(members)]:
            candidates = sorted(folder.rglob(Path(asn_name).name))
            if candidates:
                return association_exposures(
                    candidates[0], members=members, member_types=member_types
                )
    raise FormatError(
        f"{path} has no HDRTAB extension (the table of its input exposures' header keywords) "
        + (
            f"and its association {asn_name!r} is not beside it or in the members folders"
            if asn_name
            else "and no ASNTABLE keyword"
        )
        + "; pass the product's *_asn.json association instead (with its members' files)"
    )

"""The training table of the JWST memory model from the pipeline's own metadata: Level-3
association files (or Level-3 product files) for the products and their member exposures, and
the memory each product took, measured by the pipeline.

A Level-3 association (``jw02732-o001_20220713t130747_image3_00001_asn.json``) names each
product the pipeline makes (``products[].name``) and its member exposures
(``products[].members[].expname``, with an ``exptype``: ``science``, ``background``...). The
features of a product are computed from the headers of its *science* members with this
package's feature code (:func:`~spacekit.skopes.jwst.cal.scrape.scrape_headers` and
:func:`~spacekit.skopes.jwst.cal.scrape.group_products`), in the offset-feature definition asked
for (``"spacekit"``, this package's, or ``"upstream"``, upstream spacekit 1.1.4's); the member
files (uncal, rate or cal: their headers carry the same keywords) are looked up beside the
association and in the folders given. A Level-3 product file (``*_i2d.fits``, ``*_s3d.fits``,
``*_x1d.fits``) serves as well: its ``HDRTAB`` extension (one row of header keywords per input
exposure, written by the pipeline) stands for the members' headers, or its ``ASNTABLE`` keyword
names the association to read.

The target is the **memory the pipeline measured for each product**, as upstream's
``JwstCalIngest`` trains on the ``imagesize`` the pipeline records for each Level-3 product (in
kB; upstream divides by 10**6 for GB), not the size of the product files (an ``_i2d.fits`` is a
small fraction of the memory its making took). :func:`read_sizes` reads a csv of products and
measured memory: a product column (``product``, ``pname``, ``Dataset``, ``dname`` or ``name``;
names are matched with or without their file suffix, ``_t001_`` or ``_t1_``) and a memory
column, ``imgsize_gb``, ``memory_gb`` or ``peak_memory_gb`` (GB), ``peak_memory_mb`` (MB) or
``imagesize`` / ``ImageSize`` (kB, upstream's), or any column with its unit given.

:func:`find_associations` looks up a program's Level-3 associations on MAST (astroquery through
:mod:`spacekit.radio.mast`), and :func:`download_associations` fetches them.

The associations and their members are read by :mod:`.associations`, the MAST look-up is
:mod:`.archive`; their names are importable from here as well.

Examples
--------
>>> product_key("jw02732-o001_t001_nircam_clear-f150w_i2d.fits")
'jw02732-o001_t1_nircam_clear-f150w'
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ....exceptions import DataNotFoundError, InputError, SchemaError
from .archive import download_associations, find_associations  # noqa: F401  (re-exported)
from .associations import (  # noqa: F401  (re-exported)
    PRODUCT_SUFFIXES,
    _association_rows,
    _FileIndex,
    _folders,
    association_exposures,
    product_exposures,
    product_key,
    read_association,
)
from .scrape import FEATURE_DEFINITIONS, group_products

__all__ = [
    "SIZE_COLUMNS",
    "SIZE_UNITS",
    "read_sizes",
    "build_training_table",
    "example_pipeline_metadata",
]

log = logging.getLogger(__name__)

#: unit → factor to GB
SIZE_UNITS = {"B": 1e-9, "kB": 1e-6, "MB": 1e-3, "GB": 1.0}
#: memory columns recognised in a sizes csv, with their unit (first found is used)
SIZE_COLUMNS = {
    "imgsize_gb": "GB",
    "memory_gb": "GB",
    "peak_memory_gb": "GB",
    "peak_memory_mb": "MB",
    "imagesize": "kB",
    "ImageSize": "kB",
}
_NAME_COLUMNS = ("product", "pname", "Dataset", "dname", "name")


# -- sizes ---------------------------------------------------------------------------------


def read_sizes(
    source: str | os.PathLike | pd.DataFrame,
    *,
    column: str | None = None,
    unit: str | None = None,
) -> pd.Series:
    """The measured memory (GB) of each product from a csv (or DataFrame), indexed by
    :func:`product_key`.

    Parameters
    ----------
    source : path or DataFrame
        One row per product: a product column (``product``, ``pname``, ``Dataset``, ``dname``
        or ``name``) and a memory column (see :data:`SIZE_COLUMNS`). A product measured more than
        once (reprocessed) keeps its last row, as upstream keeps the latest.
    column : str, optional
        The memory column (default: the first of :data:`SIZE_COLUMNS` present).
    unit : {"B", "kB", "MB", "GB"}, optional
        Its unit (default: the one :data:`SIZE_COLUMNS` gives; needed for another column).

    Returns
    -------
    pandas.Series
        GB per product key.

    Raises
    ------
    SchemaError
        No product or memory column, an unknown unit, or values that are not numbers >= 0.

    Examples
    --------
    >>> df = pd.DataFrame({"Dataset": ["jw01018-o005_t001_niriss_clear-f150w_i2d.fits"],
    ...                    "ImageSize": [2_500_000]})
    >>> read_sizes(df).to_dict()
    {'jw01018-o005_t1_niriss_clear-f150w': 2.5}
    """
    from ....datasets.tables import resolve_table

    table = (
        source.copy()
        if isinstance(source, pd.DataFrame)
        else resolve_table(source, what="sizes table", format="csv")
    )
    if "Dataset" not in table.columns and table.index.name in _NAME_COLUMNS:
        table = table.reset_index()
    name_col = next((c for c in _NAME_COLUMNS if c in table.columns), None)
    if name_col is None:
        raise SchemaError(
            f"the sizes table needs a product-name column, one of {list(_NAME_COLUMNS)}; found "
            f"{list(table.columns)[:12]}"
        )
    if column is None:
        column = next((c for c in SIZE_COLUMNS if c in table.columns), None)
        if column is None:
            raise SchemaError(
                f"the sizes table needs a memory column, one of {list(SIZE_COLUMNS)}, or "
                f"column= (--size-column) with unit=; found {list(table.columns)[:12]}"
            )
    elif column not in table.columns:
        raise SchemaError(f"the sizes table has no column {column!r}; found {list(table.columns)}")
    unit = unit or SIZE_COLUMNS.get(column)
    if unit not in SIZE_UNITS:
        raise SchemaError(
            f"the unit of memory column {column!r} must be one of {list(SIZE_UNITS)}, got "
            f"{unit!r}; pass unit= (--size-unit)"
        )
    values = pd.to_numeric(table[column], errors="coerce")
    bad = ~np.isfinite(values.astype(float)) | (values < 0)
    if bad.any():
        raise SchemaError(
            f"{column!r} must hold the measured memory (a number >= 0) of every product; "
            f"{int(bad.sum())} do not (e.g. {table.loc[bad, name_col].astype(str).tolist()[:3]}: "
            f"{table.loc[bad, column].astype(str).tolist()[:3]}); drop those rows"
        )
    keys = [product_key(n) for n in table[name_col].astype(str)]
    out = pd.Series(values.to_numpy(float) * SIZE_UNITS[unit], index=keys, name="memory_gb")
    return out[~out.index.duplicated(keep="last")]


# -- the table -----------------------------------------------------------------------------


def _sources(sources: Any) -> list[Path]:
    """Association files and Level-3 product files, from files and folders."""
    items = [sources] if isinstance(sources, (str, os.PathLike)) else list(sources)
    if not items:
        raise InputError("no association or product files given")
    out: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_file():
            out.append(p)
        elif p.is_dir():
            asns = sorted(p.rglob("*_asn.json"))
            found = [a for a in asns if read_association(a)["level"] == 3]
            if not found:  # Level-3 product files, one per product
                seen: dict[str, Path] = {}
                for suffix in PRODUCT_SUFFIXES[:5]:
                    for f in sorted(p.rglob(f"*_{suffix}.fits")):
                        seen.setdefault(product_key(f.name), f)
                found = list(seen.values())
            if not found:
                raise DataNotFoundError(
                    f"folder {p} holds no Level-3 association (*_image3_*_asn.json, "
                    "*_spec3_*_asn.json...) and no Level-3 product file (*_i2d.fits, "
                    "*_s3d.fits, *_x1d.fits); spacekit jwst associations PROGRAM --download "
                    f"{p} fetches a program's associations from MAST"
                )
            out.extend(found)
        else:
            raise DataNotFoundError(f"{p} does not exist; pass association or product files")
    return out


def _origin(product: str, names: Iterable[str]) -> str:
    """The association product a split ``<product>_<exp_type>`` row came from."""
    return max((n for n in names if product.startswith(n + "_")), key=len, default=product)


def _is_mosaic(product: str) -> bool:
    """A candidate (``jw01234-c1001_...``): a mosaic across observations."""
    return bool(re.match(r"jw\d{5}-c\d", product))


def build_training_table(
    sources: Any,
    sizes: str | os.PathLike | pd.DataFrame | pd.Series | None,
    *,
    members: Any = None,
    definition: str = "spacekit",
    target: str = "imgsize_gb",
    size_column: str | None = None,
    size_unit: str | None = None,
    member_types: Iterable[str] = ("science",),
    include_mosaics: bool = False,
    skip_incomplete: bool = False,
    drop_unmeasured: bool = False,
    progress: bool | None = None,
) -> pd.DataFrame:
    """The training table of :func:`~spacekit.skopes.jwst.cal.train` from Level-3 pipeline
    metadata and the memory measured for each product.

    Parameters
    ----------
    sources : path or list of paths
        Level-3 association files (``*_asn.json``), Level-3 product files (``*_i2d.fits``,
        ``*_s3d.fits``, ``*_x1d.fits``: their HDRTAB), or folders of either (a folder's
        associations if it holds any, else its product files).
    sizes : path, DataFrame, Series or None
        The measured memory per product (:func:`read_sizes`; a Series: GB indexed by product
        name). None builds the features only (no target column: a table to predict).
    members : folder(s), optional
        Where the associations' member exposures are (besides each association's folder).
    definition : {"spacekit", "upstream"}
        The offset-feature definition (see :mod:`~spacekit.skopes.jwst.cal.scrape`); recorded
        in the ``feature_definition`` column and ``attrs``, so training and prediction use it.
    target : str
        Name of the memory column written (GB; ``imgsize_gb``, what ``train`` reads by default).
    size_column, size_unit
        The memory column of ``sizes`` and its unit (:func:`read_sizes`).
    member_types : iterable of str
        Association member types whose headers make the features (default ``science``).
    include_mosaics : bool
        Keep candidate products (``jwPPPPP-c...``, mosaics across observations), which
        upstream sets aside; default False.
    skip_incomplete : bool
        Leave out products whose member files are missing (logged; listed in
        ``attrs["skipped"]``) instead of raising.
    drop_unmeasured : bool
        Leave out products without a measurement in ``sizes`` instead of raising.
    progress : bool, optional
        Progress bar over the sources (default ``conf.progress``).

    Returns
    -------
    pandas.DataFrame
        One row per product: ``product`` (its name as :func:`product_key` writes it),
        ``kind``, the features of :func:`~spacekit.skopes.jwst.cal.scrape.group_products`,
        ``files``, ``association``, ``feature_definition`` and ``target`` (GB).

    Raises
    ------
    DataNotFoundError
        A missing source, member file (unless ``skip_incomplete``) or measurement (unless
        ``drop_unmeasured``).
    FormatError
        An association or header the pipeline would not have written.

    Examples
    --------
    A made-up program's associations, member exposures and measured memory
    (:func:`example_pipeline_metadata`), then ``spacekit jwst train training.csv``:

    >>> paths = example_pipeline_metadata("metadata", n=2)
    >>> table = build_training_table(paths["associations"], paths["sizes"],
    ...                              members=paths["members"], progress=False)
    >>> table[["product", "kind", "imgsize_gb"]]
                                    product   kind  imgsize_gb
    0  jw01234-o001_t1_nirspec_f100lp-g140m   SPEC        14.0
    1    jw01234-o002_t1_nircam_clear-f200w  IMAGE         6.6
    >>> table.to_csv("training.csv", index=False)
    """
    if definition not in FEATURE_DEFINITIONS:
        raise InputError(
            f"definition must be one of {list(FEATURE_DEFINITIONS)}, got {definition!r}"
        )
    measured = None
    if isinstance(sizes, pd.Series):
        measured = pd.Series(
            pd.to_numeric(sizes, errors="coerce").to_numpy(float),
            index=[product_key(str(k)) for k in sizes.index],
        )
    elif sizes is not None:
        measured = read_sizes(sizes, column=size_column, unit=size_unit)
    exposures, skipped, mosaics = _collect_exposures(
        _sources(sources),
        members=members,
        member_types=member_types,
        include_mosaics=include_mosaics,
        skip_incomplete=skip_incomplete,
        progress=progress,
    )
    assoc = exposures.groupby("product")["association"].first()
    table = group_products(exposures.drop(columns="association"), definition=definition)
    # a product whose members have several exposure types is split by group_products into
    # <product>_<exp_type> rows: each keeps its association and measurement
    base = [p if p in assoc.index else _origin(p, assoc.index) for p in table["product"]]
    table["association"] = [assoc.get(b, "") for b in base]
    table["feature_definition"] = definition
    if measured is not None:
        table = _join_sizes(table, measured, base, target, drop_unmeasured)
    table.attrs["feature_definition"] = definition
    table.attrs["skipped"] = skipped
    table.attrs["mosaics"] = mosaics
    return table


def _collect_exposures(
    files: list[Path],
    *,
    members: Any,
    member_types: Iterable[str],
    include_mosaics: bool,
    skip_incomplete: bool,
    progress: bool | None,
) -> tuple[pd.DataFrame, list[str], list[str]]:
    """The member-exposure rows of every source (with ``product`` and ``association``), the
    sources skipped for missing members and the mosaics set aside."""
    from ....utils.progress import progress as bar

    index = _FileIndex(_folders(members))
    cache: dict[Path, pd.DataFrame] = {}
    parts, skipped, mosaics = [], [], []
    for path in bar(files, desc="products", enabled=progress, unit="file"):
        try:
            if path.name.lower().endswith(".json"):
                asn = read_association(path)
                keep = [p for p in asn["products"] if include_mosaics or not _is_mosaic(p["name"])]
                mosaics += [p["name"] for p in asn["products"] if p not in keep]
                if keep:
                    parts.append(
                        _association_rows({**asn, "products": keep}, index, cache, member_types)
                    )
            elif not include_mosaics and _is_mosaic(product_key(path.name)):
                mosaics.append(path.name)
            else:
                parts.append(product_exposures(path, members=members, member_types=member_types))
        except DataNotFoundError as exc:
            if not skip_incomplete:
                raise
            log.warning("skipped %s: %s", path.name, exc)
            skipped.append(path.name)
    if mosaics:
        log.info("set aside %d mosaic product(s) (include_mosaics=True keeps them)", len(mosaics))
    if not parts:
        raise DataNotFoundError(
            f"no Level-3 product could be built from {len(files)} source(s)"
            + (f"; {len(skipped)} skipped for missing member files" if skipped else "")
            + (f"; {len(mosaics)} mosaic(s) set aside (include_mosaics=True)" if mosaics else "")
        )
    return pd.concat(parts, ignore_index=True), skipped, mosaics


def _join_sizes(
    table: pd.DataFrame, measured: pd.Series, base: list[str], target: str, drop: bool
) -> pd.DataFrame:
    """Add the measured memory (GB) of each product as ``target``."""
    names = table["product"].tolist()
    gb = [measured.get(p, measured.get(b, np.nan)) for p, b in zip(names, base, strict=True)]
    table[target] = np.asarray(gb, dtype=float)
    unmeasured = table.loc[~np.isfinite(table[target]), "product"].tolist()
    if unmeasured and not drop:
        raise DataNotFoundError(
            f"{len(unmeasured)} of {len(table)} products have no measured memory in the sizes "
            f"table (e.g. {unmeasured[:3]}); add them, or leave them out with "
            "drop_unmeasured=True (--drop-unmeasured)"
        )
    if unmeasured:
        log.info("left out %d product(s) without a measurement", len(unmeasured))
        table = table[np.isfinite(table[target])].reset_index(drop=True)
    unused = len(set(measured.index) - set(names) - set(base))
    if unused:
        log.info("%d measured product(s) matched no association or product file", unused)
    return table


# -- an example --------------------------------------------------------------------------


def example_pipeline_metadata(
    folder: str | os.PathLike, n: int = 14, *, seed: int = 0
) -> dict[str, Path]:
    """Write a made-up program's pipeline metadata under ``folder``, to try
    :func:`build_training_table` (no public JWST training data exists): ``n`` Level-3 products,
    alternately NIRCam images and NIRSpec IFU cubes of 2-9 dithered exposures each.

    - ``associations/``: one ``*_image3_*`` / ``*_spec3_*`` association per product;
    - ``members/``: the member exposures as small ``*_uncal.fits`` files (headers only);
    - ``sizes.csv``: each product's memory as upstream's metadata records it (``Dataset``,
      ``ImageSize`` in kB), made up to grow with the number of exposures.

    Parameters
    ----------
    folder : path
        Where to write (created; files in it are overwritten).
    n : int
        Number of products.
    seed : int
        Seed of the made-up dithers and exposure counts.

    Returns
    -------
    dict
        ``{"associations": Path, "members": Path, "sizes": Path}``.

    Examples
    --------
    >>> import tempfile
    >>> paths = example_pipeline_metadata(tempfile.mkdtemp(), n=2)
    >>> sorted(p.name for p in paths["associations"].iterdir())[0]
    'jw01234-o001_20230101t000000_spec3_00001_asn.json'
    """
    from astropy.io import fits

    from ....utils.checks import whole_number

    n = whole_number(n, "n", minimum=1)
    root = Path(folder)
    paths = {"associations": root / "associations", "members": root / "members"}
    for p in paths.values():
        p.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    sizes = []
    for i in range(n):
        obs = f"{i + 1:03d}"
        image = i % 2 == 1
        nexp = int(rng.integers(2, 10))
        step = float(rng.uniform(0.5, 3.0)) / 3600.0
        keys = {
            "INSTRUME": "NIRCAM" if image else "NIRSPEC",
            "EXP_TYPE": "NRC_IMAGE" if image else "NRS_IFU",
            "PROGRAM": "01234",
            "OBSERVTN": obs,
            "TARG_RA": 150.0,
            "TARG_DEC": 2.0,
            "TARGPROP": "FIELD",
            "FILTER": ["F150W", "F200W", "F090W"][i % 3] if image else "F100LP",
            "PUPIL": "CLEAR" if image else "NONE",
            "GRATING": "NONE" if image else "G140M",
            "SUBARRAY": "FULL",
            "CHANNEL": "SHORT" if image else "NONE",
            "VISITYPE": "PRIME_TARGETED_FIXED",
            "NUMDTHPT": nexp,
            "NGROUPS": 5,
            "NINTS": 1,
        }
        members = []
        for j in range(nexp):
            detector = "NRCA1" if image else ("NRS1", "NRS2")[j % 2]
            name = f"jw01234{obs}001_02101_{j + 1:05d}_{detector.lower()}"
            sci = fits.Header()
            sci["RA_REF"] = sci["CRVAL1"] = 150.0 + j * step
            sci["DEC_REF"] = sci["CRVAL2"] = 2.0 + (j % 2) * step
            prim = fits.Header()
            for k, v in {**keys, "DETECTOR": detector}.items():
                prim[k] = v
            fits.HDUList(
                [
                    fits.PrimaryHDU(header=prim),
                    fits.ImageHDU(np.zeros((2, 2), np.uint16), sci, name="SCI"),
                ]
            ).writeto(paths["members"] / f"{name}_uncal.fits", overwrite=True)
            members.append({"expname": f"{name}_cal.fits", "exptype": "science"})
        elements = f"clear-{keys['FILTER'].lower()}" if image else "f100lp-g140m"
        product = f"jw01234-o{obs}_t001_{keys['INSTRUME'].lower()}_{elements}"
        asn_type = "image3" if image else "spec3"
        asn = {
            "asn_type": asn_type,
            "asn_rule": f"candidate_Asn_Lv3{'Image' if image else 'SpecAux'}",
            "program": "01234",
            "asn_pool": "jw01234_20230101t000000_pool.csv",
            "products": [{"name": product, "members": members}],
        }
        asn_path = (
            paths["associations"] / f"jw01234-o{obs}_20230101t000000_{asn_type}_00001_asn.json"
        )
        asn_path.write_text(json.dumps(asn, indent=1), encoding="utf-8")
        gb = (1.0 + 0.8 * nexp) if image else (2.0 + 1.5 * nexp)
        sizes.append(
            {"Dataset": f"{product}_{'i2d' if image else 's3d'}.fits", "ImageSize": gb * 1e6}
        )
    paths["sizes"] = root / "sizes.csv"
    pd.DataFrame(sizes).to_csv(paths["sizes"], index=False)
    return paths

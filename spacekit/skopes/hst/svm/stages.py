"""Ingest: turn a visit's SVM products into one row of the feature table.

Each stage is a function, so a pipeline can stop, inspect and resume between them:

1. :func:`scrape_qa_json` / :func:`scrub_qa` — the drizzlepac SVM quality-analysis JSON files
   → ``numexp``, ``point``, ``segment``, ``gaia``, detector, target name and position;
2. :func:`scrape_fits_headers` — the drizzled total-detection image's header →
   ``rms_ra``, ``rms_dec``, ``nmatches``, ``wcstype``;
3. :func:`add_target_category` — the MAST target category (through
   :func:`spacekit.radio.get_target_category`, or any ``category_lookup`` callable);
4. :func:`encode_features` — ``det``, ``wcs`` and ``cat`` with the canonical codes of
   :mod:`spacekit.skopes.hst.svm.encode`, giving the columns of ``svm_labeled_2021-07-28.csv``.

:func:`ingest` chains them. :func:`load_feature_table` reads an existing feature table and
re-derives ``det`` from ``index`` (old tables numbered detectors per batch).

Examples
--------
>>> import pandas as pd
>>> row = {"header.TARGNAME": "ANY", "header.RA_TARG": 262.47, "header.DEC_TARG": 52.33,
...        "header.NUMEXP": 2, "gen_info.imgname": "hst_12286_38_wfc3_ir_total_ibl738_drz.fits",
...        "Number_of_GAIA_sources.Number_of_GAIA_sources": 7,
...        "number_of_sources.detector": "ir", "number_of_sources.point": 284,
...        "number_of_sources.segment": 185}
>>> out = scrub_qa(pd.DataFrame([row]))
>>> out.loc[0, "dataset"], int(out.loc[0, "numexp"]), int(out.loc[0, "gaia"])
('ibl738', 2, 7)
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ....exceptions import DataNotFoundError, FormatError, InputError, SchemaError
from .encode import (
    encode_category,
    encode_detector,
    encode_wcstype,
    parse_index,
)
from .tables import (  # noqa: F401  (importable from here too)
    _CODE_RANGES,
    _COUNTS,
    _LEGACY_TABLES,
    CODES_ATTR,
    _is_legacy_table,
    load_feature_table,
)

__all__ = [
    "QA_FIELDS",
    "flatten_qa",
    "scrape_qa_json",
    "scrub_qa",
    "scrape_fits_headers",
    "add_target_category",
    "encode_features",
    "ingest",
    "load_feature_table",
]

log = logging.getLogger(__name__)

# field -> accepted key paths (lower case, "data" wrappers removed), most specific first
QA_FIELDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "targname": (("header", "targname"),),
    "ra_targ": (("header", "ra_targ"),),
    "dec_targ": (("header", "dec_targ"),),
    "numexp": (("header", "numexp"),),
    "imgname": (("gen_info", "imgname"),),
    "gaia": (("number_of_gaia_sources", "number_of_gaia_sources"), ("number_of_gaia_sources",)),
    "detector": (
        ("number_of_sources", "detector"),
        ("gen_info", "detector"),
        ("header", "detector"),
    ),
    "point": (("number_of_sources", "point"),),
    "segment": (("number_of_sources", "segment"),),
}
_SCRUBBED = [
    "detector",
    "dataset",
    "targname",
    "ra_targ",
    "dec_targ",
    "numexp",
    "imgname",
    "point",
    "segment",
    "gaia",
    "index",
]
_FITS_COLS = ["rms_ra", "rms_dec", "nmatches", "wcstype"]
_SECTION_ALIASES = {"general information": "gen_info", "general_information": "gen_info"}


def flatten_qa(obj: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten a nested quality-analysis JSON object into ``"a.b.c": value`` keys.

    drizzlepac's sections ``"general information"`` become ``gen_info``; a ``{"data": x,
    "units": u}`` leaf keeps its ``data`` value under the parent's name.

    Parameters
    ----------
    obj : mapping
        The parsed JSON.
    prefix : str
        Prefix of the keys (used by the recursion).

    Returns
    -------
    dict
        ``{"section.key": value}``.

    Examples
    --------
    >>> flatten_qa({"general information": {"imgname": "x_drz.fits"},
    ...             "data": {"number_of_sources": {"data": {"point": 3}}}})
    {'gen_info.imgname': 'x_drz.fits', 'number_of_sources.point': 3}
    """
    out: dict[str, Any] = {}
    for key, value in obj.items():
        key = _SECTION_ALIASES.get(str(key).lower(), str(key))
        if key in {"units", "description"} and prefix:
            continue
        name = prefix if key == "data" else (f"{prefix}.{key}" if prefix else key)
        if isinstance(value, Mapping):
            out.update(flatten_qa(value, name))
        elif name:
            out[name] = value
    return out


def _lookup(flat: Mapping[str, Any], field: str) -> Any:
    paths = {tuple(p for p in k.lower().split(".") if p != "data"): v for k, v in flat.items()}
    for alias in QA_FIELDS[field]:
        for path, value in paths.items():
            if path[-len(alias) :] == alias:
                return value
    return None


def _read_json_file(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataNotFoundError(f"quality-analysis JSON {path} does not exist") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FormatError(
            f"{path} is not a JSON file ({exc}); expected a drizzlepac SVM quality-analysis "
            "*.json file"
        ) from None


def scrape_qa_json(sources: str | os.PathLike | Iterable[str | os.PathLike]) -> pd.DataFrame:
    """Read drizzlepac SVM quality-analysis JSON files into one flattened row per visit.

    Parameters
    ----------
    sources : path or iterable of paths
        JSON files, or a folder searched recursively for ``*.json``. Files of the same visit
        (the ``gen_info.imgname`` or the name before ``_svm_``/``_qa``) are merged.

    Returns
    -------
    pandas.DataFrame
        Flattened keys (``header.NUMEXP``, ``number_of_sources.point``, ...) plus ``index``.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "hst_1_01_wfc3_ir_total_ia0101_svm_gaia.json").write_text(json.dumps(
    ...     {"general information": {"imgname": "hst_1_01_wfc3_ir_total_ia0101_drz.fits"},
    ...      "data": {"Number_of_GAIA_sources": {"data": 5}}}))
    >>> scrape_qa_json(d)["index"].tolist()
    ['hst_1_01_wfc3_ir_total_ia0101']
    """
    if isinstance(sources, (str, os.PathLike)):
        root = Path(sources)
        if root.is_dir():
            files = sorted(root.rglob("*.json"))
            if not files:
                raise DataNotFoundError(
                    f"folder {root} holds no *.json quality-analysis files; pass the SVM "
                    "output folder of one or more visits"
                )
        else:
            files = [root]
    else:
        files = [Path(p) for p in sources]
        if not files:
            raise InputError("scrape_qa_json got an empty list of files")
    visits: dict[str, dict[str, Any]] = {}
    for path in files:
        flat = flatten_qa(_read_json_file(path))
        img = _lookup(flat, "imgname")
        if img:
            index = Path(str(img)).name.split("_drz")[0].split("_drc")[0]
        else:
            stem = path.stem
            index = stem.split("_svm_")[0].split("_qa")[0]
        visits.setdefault(index, {}).update(flat)
    rows = []
    for index, flat in visits.items():
        row = dict(flat)
        row["index"] = index
        rows.append(row)
    return pd.DataFrame(rows)


def scrub_qa(frame: pd.DataFrame) -> pd.DataFrame:
    """Pick the SVM fields out of flattened QA rows (stage 1 → ``scrubbed_cols.csv`` format).

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows of :func:`scrape_qa_json`.

    Returns
    -------
    pandas.DataFrame
        One row per visit: ``index``, ``dataset``, ``targname``, ``ra_targ``, ``dec_targ``,
        ``numexp``, ``imgname``, ``point``, ``segment``, ``gaia``, ``detector``.

    Raises
    ------
    SchemaError
        When a visit lacks a required field; the message names the visit and the field.

    Examples
    --------
    See the module docstring.
    """
    rows = []
    for rec in frame.to_dict("records"):
        vals = {f: _lookup(rec, f) for f in QA_FIELDS}
        img = vals["imgname"]
        index = rec.get("index") or (Path(str(img)).name.split("_drz")[0] if img else None)
        if not index:
            raise SchemaError(
                "a quality-analysis record has neither 'index' nor gen_info.imgname; "
                "cannot tell which visit it belongs to"
            )
        if not img:
            img = f"{index}_drz.fits"
        missing = [f for f in ("numexp", "point", "segment", "gaia") if _is_missing(vals[f])]
        if missing:
            raise SchemaError(
                f"visit {index}: the quality-analysis JSON lacks {missing} "
                f"(expected keys {['.'.join(QA_FIELDS[f][0]) for f in missing]}); "
                "re-run drizzlepac's SVM quality analysis for this visit"
            )
        parts = parse_index(index)
        det = vals["detector"] if not _is_missing(vals["detector"]) else parts["det"]
        rows.append(
            {
                "detector": str(det).lower(),
                "dataset": parts["dataset"],
                "targname": vals["targname"],
                "ra_targ": _num(vals["ra_targ"]),
                "dec_targ": _num(vals["dec_targ"]),
                "numexp": int(vals["numexp"]),
                "imgname": str(img),
                "point": int(vals["point"]),
                "segment": int(vals["segment"]),
                "gaia": int(vals["gaia"]),
                "index": index,
            }
        )
    return pd.DataFrame(rows, columns=_SCRUBBED)


def _is_missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v))


def _num(v: Any) -> float:
    return float("nan") if _is_missing(v) else float(v)


def scrape_fits_headers(
    frame: pd.DataFrame,
    image_dir: str | os.PathLike,
    *,
    missing_rms: str = "raise",
) -> pd.DataFrame:
    """Add ``rms_ra``, ``rms_dec``, ``nmatches`` and ``wcstype`` from each drizzled image.

    The keywords are looked up in the image's primary header, then its first extension.
    ``wcstype`` keeps the first two words of ``WCSTYPE`` (e.g. ``"a posteriori"``).

    Parameters
    ----------
    frame : pandas.DataFrame
        Output of :func:`scrub_qa` (needs ``imgname``).
    image_dir : path
        Folder holding the ``*_drz.fits`` images.
    missing_rms : {"raise", "zero"}
        What to do when RMS_RA/RMS_DEC/NMATCHES are absent (unaligned visits may lack them):
        raise :class:`FormatError` naming the file, or record 0.

    Returns
    -------
    pandas.DataFrame
        A copy of ``frame`` with the four columns added.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> from astropy.io import fits
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> fits.PrimaryHDU(header=fits.Header({"RMS_RA": 1.0, "RMS_DEC": 2.0, "NMATCHES": 9,
    ...     "WCSTYPE": "a posteriori solution"})).writeto(d / "x_drz.fits")
    >>> scrape_fits_headers(pd.DataFrame({"imgname": ["x_drz.fits"]}), d)["nmatches"].tolist()
    [9]
    """
    from ....io import merge_fits_headers

    if missing_rms not in {"raise", "zero"}:
        raise InputError(f"missing_rms must be 'raise' or 'zero', got {missing_rms!r}")
    if "imgname" not in frame.columns:
        raise SchemaError(
            f"expected an 'imgname' column (from scrub_qa), found {list(frame.columns)}"
        )
    image_dir = Path(image_dir)
    values = {c: [] for c in _FITS_COLS}
    for img in frame["imgname"]:
        path = image_dir / str(img)
        if not path.is_file():
            raise DataNotFoundError(
                f"drizzled image {path} does not exist; pass the folder holding the visit's "
                "*_drz.fits total-detection images"
            )
        header = merge_fits_headers(path, (0, 1))  # the primary, then the first extension
        found: dict[str, Any] = {
            key: header[key]
            for key in ("RMS_RA", "RMS_DEC", "NMATCHES", "WCSTYPE")
            if key in header
        }
        if "WCSTYPE" not in found:
            raise FormatError(
                f"{path}: header keyword WCSTYPE is missing from the primary and first "
                "extension headers; is this a drizzlepac SVM drizzled image?"
            )
        for key in ("RMS_RA", "RMS_DEC", "NMATCHES"):
            if key not in found or _is_missing(found[key]):
                if missing_rms == "raise":
                    raise FormatError(
                        f"{path}: header keyword {key} is missing; pass missing_rms='zero' to "
                        "record 0 for visits that drizzlepac could not align"
                    )
                found[key] = 0
        wcs_words = " ".join(str(found["WCSTYPE"]).strip().lower().split()[:2])
        encode_wcstype(wcs_words)  # validates, naming the value
        values["rms_ra"].append(float(found["RMS_RA"]))
        values["rms_dec"].append(float(found["RMS_DEC"]))
        values["nmatches"].append(int(found["NMATCHES"]))
        values["wcstype"].append(wcs_words)
    out = frame.copy()
    cols = [c for c in out.columns if c != "index"]
    for c in _FITS_COLS:
        out[c] = values[c]
    order = cols + _FITS_COLS + (["index"] if "index" in out.columns else [])
    return out[order]


def add_target_category(
    frame: pd.DataFrame,
    *,
    category_lookup: Callable[[str], str | None] | None = None,
) -> pd.DataFrame:
    """Add the MAST target ``category`` of each visit's target (stage 3).

    Parameters
    ----------
    frame : pandas.DataFrame
        Needs ``targname``.
    category_lookup : callable, optional
        ``f(target_name) -> "STAR;EXT-STAR"`` (or None). Default
        :func:`spacekit.radio.get_target_category`, which queries MAST; a target MAST has no
        classification for gets ``"UNIDENTIFIED"``. Each distinct target is looked up once.

    Returns
    -------
    pandas.DataFrame
        A copy of ``frame`` with a ``category`` column.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"targname": ["NGC-104"], "index": ["hst_1_01_acs_wfc_total_j01"]})
    >>> add_target_category(df, category_lookup=lambda t: "STELLAR CLUSTER;GLOBULAR")["category"][0]
    'STELLAR CLUSTER;GLOBULAR'
    """
    if "targname" not in frame.columns:
        raise SchemaError(f"expected a 'targname' column, found {list(frame.columns)}")
    if category_lookup is None:
        from ....radio import get_target_category

        def category_lookup(name: str) -> str:
            # parallel fields ("ANY") often have no classified HST observation: unidentified
            return get_target_category(name, default="UNIDENTIFIED")

    cache: dict[str, Any] = {}
    cats = []
    for name in frame["targname"]:
        key = str(name)
        if key not in cache:
            cache[key] = category_lookup(key)
            log.debug("MAST category of %s: %s", key, cache[key])
        cats.append(cache[key])
    out = frame.copy()
    cols = [c for c in out.columns if c != "index"]
    out["category"] = cats
    return out[cols + ["category"] + (["index"] if "index" in out.columns else [])]


def encode_features(frame: pd.DataFrame) -> pd.DataFrame:
    """Encode ``detector``, ``wcstype`` and ``category`` into the feature table (stage 4).

    Returns the columns ``numexp, rms_ra, rms_dec, nmatches, point, segment, gaia, det, wcs,
    cat, index`` (plus ``label`` when the input has one).

    Parameters
    ----------
    frame : pandas.DataFrame
        Output of :func:`add_target_category`.

    Returns
    -------
    pandas.DataFrame
        The feature table.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"detector": ["ir"], "numexp": [2], "point": [284], "segment": [185],
    ...     "gaia": [7], "rms_ra": [5.9], "rms_dec": [13.4], "nmatches": [5],
    ...     "wcstype": ["a posteriori"], "category": ["UNIDENTIFIED;PARALLEL FIELD"],
    ...     "index": ["hst_12286_38_wfc3_ir_total_ibl738"]})
    >>> encode_features(df)[["det", "wcs", "cat"]].iloc[0].tolist()
    [1, 0, 3]
    """
    need = [
        "detector",
        "numexp",
        "point",
        "segment",
        "gaia",
        "rms_ra",
        "rms_dec",
        "nmatches",
        "wcstype",
        "category",
        "index",
    ]
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"encode_features expects columns {need}; missing {missing}. Run scrub_qa, "
            "scrape_fits_headers and add_target_category first"
        )
    visits = frame["index"].astype(str).to_numpy()

    def number(col: str, kind: type) -> np.ndarray:
        values = pd.to_numeric(frame[col], errors="coerce").astype(float).to_numpy()
        # counts must be whole numbers; rms and gaia may be missing (NaN), not text
        bad = ~np.isfinite(values) if kind is int else np.isnan(values) & frame[col].notna()
        if bad.any():
            raise SchemaError(
                f"encode_features: column {col!r} has {int(bad.sum())} missing, non-numeric or "
                f"infinite values (e.g. visits {visits[bad][:3].tolist()}); fill or drop them"
            )
        return values.astype(kind)

    def encode(func: Callable[[Any], int], col: str) -> list[int]:
        codes = []
        for visit, value in zip(visits, frame[col], strict=True):
            try:
                codes.append(func(value))
            except InputError as exc:  # say which visit, in a table of many
                raise InputError(f"visit {visit!r}: {exc}") from None
        return codes

    out = pd.DataFrame(
        {
            "numexp": number("numexp", int),
            "rms_ra": number("rms_ra", float),  # NaN: no fit (see ingest's missing_rms)
            "rms_dec": number("rms_dec", float),
            "nmatches": number("nmatches", int),
            "point": number("point", int),
            "segment": number("segment", int),
            "gaia": number("gaia", float),
            "det": encode(encode_detector, "detector"),
            "wcs": encode(encode_wcstype, "wcstype"),
            "cat": encode(encode_category, "category"),
        }
    )
    if "label" in frame.columns:
        out["label"] = frame["label"].to_numpy()
    out["index"] = frame["index"].to_numpy()
    return out


def ingest(
    qa_sources: str | os.PathLike | Iterable[str | os.PathLike],
    image_dir: str | os.PathLike,
    *,
    category_lookup: Callable[[str], str | None] | None = None,
    missing_rms: str = "raise",
) -> pd.DataFrame:
    """Run the four ingest stages: QA JSON → FITS headers → MAST category → encoded rows.

    Parameters
    ----------
    qa_sources : path or iterable of paths
        The visits' quality-analysis JSON files, or a folder holding them (as for
        :func:`scrape_qa_json`).
    image_dir : path
        The folder holding each visit's ``*_drz.fits`` / ``*_drc.fits`` image.
    category_lookup : callable, optional
        ``target name -> MAST category`` (as for :func:`add_target_category`); the default
        asks MAST.
    missing_rms : {"raise", "zero"}
        As for :func:`scrape_fits_headers`.

    Returns
    -------
    pandas.DataFrame
        One encoded row per visit, in the columns of :func:`encode_features`.

    Examples
    --------
    A visit folder with its QA JSON and image (made up here; drizzlepac writes them):

    >>> import json, pathlib
    >>> from astropy.io import fits
    >>> d = pathlib.Path("visit"); d.mkdir()
    >>> name = "hst_12286_38_wfc3_ir_total_ibl738"
    >>> qa = {"general information": {"imgname": f"{name}_drz.fits"},
    ...       "header": {"TARGNAME": "ANY", "NUMEXP": 2, "RA_TARG": 262.47, "DEC_TARG": 52.33},
    ...       "Number_of_GAIA_sources": {"Number_of_GAIA_sources": 7},
    ...       "number_of_sources": {"detector": "ir", "point": 284, "segment": 185}}
    >>> _ = (d / f"{name}_svm_qa.json").write_text(json.dumps(qa))
    >>> fits.PrimaryHDU(header=fits.Header({"RMS_RA": 5.9, "RMS_DEC": 13.4, "NMATCHES": 5,
    ...     "WCSTYPE": "a posteriori"})).writeto(d / f"{name}_drz.fits")
    >>> rows = ingest(d, d, category_lookup=lambda target: "UNIDENTIFIED;PARALLEL FIELD")
    >>> rows["index"].tolist(), rows[["numexp", "nmatches", "det", "wcs", "cat"]].iloc[0].tolist()
    (['hst_12286_38_wfc3_ir_total_ibl738'], [2, 5, 1, 0, 3])
    """
    scrubbed = scrub_qa(scrape_qa_json(qa_sources))
    scraped = scrape_fits_headers(scrubbed, image_dir, missing_rms=missing_rms)
    with_cat = add_target_category(scraped, category_lookup=category_lookup)
    return encode_features(with_cat)

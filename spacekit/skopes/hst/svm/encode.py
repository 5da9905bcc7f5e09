"""Canonical encodings of the SVM feature table and the helpers that parse a visit's ``index``.

The codes are upstream's current tables (see ``../shared/data/README.md``):

- detector: hrc 0, ir 1, sbc 2, uvis 3, wfc 4;
- WCS type: "a posteriori" 0, "a priori" 1, "default a" 2, "not aligned" 3;
- MAST target category: the part before the first ``;`` grouped as CALIBRATION→C,
  SOLAR SYSTEM→SS, ISM/EXT-MEDIUM→I, STAR/EXT-STAR→S, UNIDENTIFIED/None→U,
  STELLAR CLUSTER/EXT-CLUSTER→SC, CLUSTER OF GALAXIES→GC, GALAXY→G, then
  C 0, SS 1, I 2, U 3, SC 4, S 5, GC 6, G 7.

Older shared tables numbered detectors per batch, so their ``det`` column is not reliable;
:func:`rederive_detector` rebuilds it from ``index``
(``hst_<prop>_<visit>_<instr>_<det>_total_<ipppss>[...]``).

Examples
--------
>>> encode_detector("IR"), encode_wcstype("a posteriori solution"), encode_category("STAR;YSO")
(1, 0, 5)
>>> parse_index("hst_12286_38_wfc3_ir_total_ibl738")["proposal"]
'12286'
"""

from __future__ import annotations

import logging
import re
from typing import Any

import numpy as np
import pandas as pd

from ....exceptions import InputError, SchemaError

__all__ = [
    "DETECTOR_CODES",
    "WCSTYPE_CODES",
    "CATEGORY_GROUPS",
    "CATEGORY_CODES",
    "FEATURES",
    "encode_detector",
    "encode_wcstype",
    "category_group",
    "encode_category",
    "parse_index",
    "proposal_of",
    "rederive_detector",
    "LEGACY_CATEGORY_CODES",
    "rederive_category",
]

log = logging.getLogger(__name__)

DETECTOR_CODES: dict[str, int] = {"hrc": 0, "ir": 1, "sbc": 2, "uvis": 3, "wfc": 4}
WCSTYPE_CODES: dict[str, int] = {"a posteriori": 0, "a priori": 1, "default a": 2, "not aligned": 3}
CATEGORY_GROUPS: dict[str, str] = {
    "CALIBRATION": "C",
    "SOLAR SYSTEM": "SS",
    "ISM": "I",
    "EXT-MEDIUM": "I",
    "STAR": "S",
    "EXT-STAR": "S",
    "UNIDENTIFIED": "U",
    "NONE": "U",
    "STELLAR CLUSTER": "SC",
    "EXT-CLUSTER": "SC",
    "CLUSTER OF GALAXIES": "GC",
    "GALAXY": "G",
}
CATEGORY_CODES: dict[str, int] = {"C": 0, "SS": 1, "I": 2, "U": 3, "SC": 4, "S": 5, "GC": 6, "G": 7}
#: ``cat`` of upstream's 2021 tables (``svm_labeled_2021-07-28.csv``,
#: ``svm_unlabeled_2021-10-06.csv``) → canonical code. Their encoder was scikit-learn's
#: ``LabelEncoder`` over the group letters present (alphabetical: C, G, GC, I, S, SC, U, then
#: a missing category), so GALAXY was 1 there and 7 here. Checked on the visits these tables
#: share with the 298-row raw table (G, I, SC and U agree).
LEGACY_CATEGORY_CODES: dict[int, int] = {0: 0, 1: 7, 2: 6, 3: 2, 4: 5, 5: 4, 6: 3, 7: 3}

#: The model's input columns, in the order of ``svm_labeled_2021-07-28.csv``.
FEATURES: tuple[str, ...] = (
    "numexp",
    "rms_ra",
    "rms_dec",
    "nmatches",
    "point",
    "segment",
    "gaia",
    "det",
    "wcs",
    "cat",
)

_INDEX_RE = re.compile(
    r"^hst_(?P<proposal>[0-9a-z]+)_(?P<visit>[0-9a-z]+)_(?P<instr>[a-z0-9]+)_(?P<det>[a-z]+)"
    r"_total_(?P<dataset>[0-9a-z]+)(?P<rest>_.*)?$",
    re.IGNORECASE,
)


def encode_detector(name: str) -> int:
    """Return the canonical code of an HST detector name (case-insensitive).

    Parameters
    ----------
    name : str
        A detector name (``"wfc"``, ``"IR"``, ...).

    Returns
    -------
    int
        Its code in :data:`DETECTOR_CODES`.

    Raises
    ------
    InputError
        For a detector outside hrc, ir, sbc, uvis, wfc.

    Examples
    --------
    >>> encode_detector("wfc")
    4
    """
    key = str(name).strip().lower()
    if key not in DETECTOR_CODES:
        raise InputError(
            f"unknown HST detector {name!r}: expected one of {sorted(DETECTOR_CODES)} "
            "(SVM covers ACS/HRC, ACS/SBC, ACS/WFC, WFC3/IR and WFC3/UVIS)"
        )
    return DETECTOR_CODES[key]


def encode_wcstype(value: Any) -> int:
    """Return the code of a drizzled image's WCS type.

    The FITS keyword ``WCSTYPE`` holds phrases such as ``"a posteriori solution relative to
    GAIAeDR3"`` or ``"not aligned"``; the first two words decide the code (so
    ``"default a priori"`` is ``"default a"``).

    Parameters
    ----------
    value : str or None
        The ``WCSTYPE`` keyword's value.

    Returns
    -------
    int
        Its code.

    Examples
    --------
    >>> encode_wcstype("a priori solution based on GSC240")
    1
    >>> encode_wcstype("default a priori")
    2
    """
    text = " ".join(str(value).strip().lower().replace("-", " ").split()[:2])
    if text not in WCSTYPE_CODES:
        raise InputError(
            f"unknown WCS type {value!r}: expected a phrase starting with one of "
            f"{sorted(WCSTYPE_CODES)} (the drizzled image's WCSTYPE keyword)"
        )
    return WCSTYPE_CODES[text]


def category_group(category: Any) -> str:
    """Return the short group (C, SS, I, U, SC, S, GC, G) of a MAST target category.

    Missing values and unknown first parts count as unidentified ("U").

    Parameters
    ----------
    category : str or None
        A MAST category such as ``"STAR;EXT-STAR"``.

    Returns
    -------
    str
        The group.

    Examples
    --------
    >>> category_group("EXT-CLUSTER;OPEN CLUSTER"), category_group(None)
    ('SC', 'U')
    """
    if category is None or (isinstance(category, float) and np.isnan(category)):
        return "U"
    head = str(category).split(";")[0].strip().upper() or "NONE"
    group = CATEGORY_GROUPS.get(head)
    if group is None:
        log.info("MAST category %r is not in the canonical table; encoded as U", category)
        return "U"
    return group


def encode_category(category: Any) -> int:
    """Return the canonical code of a MAST target category string.

    Parameters
    ----------
    category : str or None
        A MAST category such as ``"GALAXY;SPIRAL"``.

    Returns
    -------
    int
        The code of its group.

    Examples
    --------
    >>> encode_category("GALAXY;SPIRAL"), encode_category("CALIBRATION")
    (7, 0)
    """
    return CATEGORY_CODES[category_group(category)]


def parse_index(index: str) -> dict[str, str]:
    """Split a visit name ``hst_<prop>_<visit>_<instr>_<det>_total_<ipppss>[_...]``.

    Returns a dict with keys proposal, visit, instr, det, dataset and rest (the suffix of
    upstream's synthetic rows, e.g. ``"_f125w_all_stat"``, or ``""``).

    Parameters
    ----------
    index : str
        A visit name.

    Returns
    -------
    dict of str to str
        Its parts.

    Examples
    --------
    >>> parse_index("hst_8992_03_acs_wfc_total_j8cw03")["det"]
    'wfc'
    """
    m = _INDEX_RE.match(str(index).strip())
    if not m:
        raise InputError(
            f"visit name {index!r} does not look like hst_<prop>_<visit>_<instr>_<det>_total_"
            "<ipppss>; pass the SVM total-detection product name"
        )
    out = {k: (v or "").lower() for k, v in m.groupdict().items()}
    return out


def proposal_of(index: str) -> str:
    """Return the proposal id part of a visit name (used to group visits in splits).

    Parameters
    ----------
    index : str
        A visit name.

    Returns
    -------
    str
        The proposal id.

    Examples
    --------
    >>> proposal_of("hst_11099_04_wfc3_ir_total_ia0m04")
    '11099'
    """
    return parse_index(index)["proposal"]


def rederive_detector(df: pd.DataFrame, *, column: str = "det") -> pd.DataFrame:
    """Return a copy of ``df`` whose detector codes are rebuilt from its ``index`` column.

    Old shared tables numbered detectors per batch (ir is 1 in some rows and 0 in others),
    so the codes are recomputed with :data:`DETECTOR_CODES`; the number of changed rows is
    logged at INFO.

    Parameters
    ----------
    df : pandas.DataFrame
        A table with an ``index`` column of visit names.
    column : str
        The detector-code column to rebuild.

    Returns
    -------
    pandas.DataFrame
        The copy.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"index": ["hst_1_01_wfc3_ir_total_ia0101"], "det": [0]})
    >>> int(rederive_detector(df)["det"].iloc[0])
    1
    """
    if "index" not in df.columns:
        raise SchemaError(
            f"cannot re-derive {column!r}: the table has no 'index' column "
            f"(found {list(df.columns)}); keep the visit names in a column named 'index'"
        )
    out = df.copy()
    codes = []
    for name in out["index"]:
        try:
            codes.append(encode_detector(parse_index(name)["det"]))
        except InputError as exc:  # say which visit, in a table of many
            raise InputError(f"visit {name!r}: {exc}; drop or fix that row") from None
    codes = np.asarray(codes, dtype=int)
    if column in out.columns:
        old = pd.to_numeric(out[column], errors="coerce").to_numpy()
        changed = int(np.sum(old != codes))
        if changed:
            log.info(
                "re-derived %r from 'index' with the canonical codes: %d of %d rows changed "
                "(the table's own codes were numbered per batch)",
                column,
                changed,
                len(out),
            )
    out[column] = codes
    return out


def rederive_category(
    df: pd.DataFrame, *, legacy: bool = False, column: str = "cat"
) -> pd.DataFrame:
    """Return a copy of ``df`` with consistent target-category codes.

    - ``legacy=True``: the codes are those of upstream's 2021 tables and are mapped to the
      canonical ones with :data:`LEGACY_CATEGORY_CODES`;
    - a synthetic row (its ``index`` has a suffix such as ``"_f125w_all_stat"``) gets the code
      of its original visit when the table holds it: the target, hence the category, is the
      same. Upstream encoded its synthetic misaligned rows in a separate batch, so in
      ``svm_labeled_2021-07-28.csv`` 437 of them carry ``cat`` 0 while their originals carry
      other codes, which let a model tell synthetic (misaligned) rows by their category.
      A row whose ``index`` is not an SVM visit name (``hst_<prop>_<visit>_...``) keeps its
      code.

    The number of changed rows is logged at INFO.

    Parameters
    ----------
    df : pandas.DataFrame
        A table with ``index`` and category-code columns.
    legacy : bool
        The codes are upstream's 2021 ones.
    column : str
        The category-code column.

    Returns
    -------
    pandas.DataFrame
        The copy.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"index": ["hst_1_01_acs_wfc_total_j01",
    ...                              "hst_1_01_acs_wfc_total_j01_f606w_all_stat"], "cat": [1, 0]})
    >>> rederive_category(df, legacy=True)["cat"].tolist()
    [7, 7]
    """
    if "index" not in df.columns or column not in df.columns:
        raise SchemaError(
            f"cannot re-derive {column!r}: the table needs 'index' and {column!r} columns "
            f"(found {list(df.columns)})"
        )
    out = df.copy()
    old = pd.to_numeric(out[column], errors="coerce")
    codes = old.copy()
    if legacy:
        unknown = sorted(set(old.dropna().unique()) - set(LEGACY_CATEGORY_CODES))
        if unknown:
            raise SchemaError(
                f"{column!r} holds {unknown}, which upstream's 2021 encoding never wrote "
                f"(it used {sorted(LEGACY_CATEGORY_CODES)}); pass legacy_codes=False if the "
                "table already uses the canonical codes"
            )
        codes = old.map(LEGACY_CATEGORY_CODES)
    # a name that is not an SVM visit name (a user's own table) has no original to look up:
    # its code is kept (the legacy mapping above needs no name)
    parts = [_INDEX_RE.match(str(i).strip()) for i in out["index"]]
    parts = [
        None if m is None else {k: (v or "").lower() for k, v in m.groupdict().items()}
        for m in parts
    ]
    base = [
        None
        if p is None
        else f"hst_{p['proposal']}_{p['visit']}_{p['instr']}_{p['det']}_total_{p['dataset']}"
        for p in parts
    ]
    synthetic = np.array([p is not None and p["rest"] != "" for p in parts], dtype=bool)
    named = np.array([p is not None for p in parts], dtype=bool)
    originals = pd.Series(
        codes.to_numpy()[named & ~synthetic],
        index=np.asarray(base, dtype=object)[named & ~synthetic],
    )
    originals = originals[~originals.index.duplicated()]
    if synthetic.any():
        from_base = pd.Series(base, dtype=object)[synthetic].map(originals)
        found = from_base.notna()
        if (~found).any():
            log.info(
                "%d synthetic rows have no original visit in the table; their %r codes are kept",
                int((~found).sum()),
                column,
            )
        codes.iloc[np.flatnonzero(synthetic)[found.to_numpy()]] = from_base[found].to_numpy()
    changed = int((codes.to_numpy() != old.to_numpy()).sum())
    if changed:
        log.info(
            "re-derived %r%s: %d of %d rows changed (synthetic rows take their original "
            "visit's category)",
            column,
            " from upstream's 2021 codes to the canonical ones" if legacy else "",
            changed,
            len(out),
        )
    out[column] = codes.astype(int) if codes.notna().all() else codes
    return out

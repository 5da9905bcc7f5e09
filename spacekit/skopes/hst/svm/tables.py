"""Reading an existing SVM feature table (:func:`load_feature_table`): upstream's 2021 tables
recognised and their codes re-derived, counts and codes checked. Also importable from
:mod:`spacekit.skopes.hst.svm.stages`."""

from __future__ import annotations

import functools
import hashlib
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ....exceptions import InputError, SchemaError
from .encode import FEATURES, rederive_category, rederive_detector

__all__ = ["CODES_ATTR", "load_feature_table"]

# upstream's 2021 tables, whose ``cat`` codes are LEGACY_CATEGORY_CODES: registered name,
# file sha256, and sha256 of the newline-joined ``index`` column (for a DataFrame)
_LEGACY_TABLES = {
    "svm_labeled_2021_07_28": (
        "b7ac1163e63ad619a74fb1c27ea2ea3b5f8dd0bc44b0071214c7210ffd95cd9e",
        "ebbed8c1d9e1e747c78004b724fbb4110c226e4b1939ebe790fe50006ac4f51a",
    ),
    "svm_unlabeled_2021_10_06": (
        "c0bc2c6baa7e130614aa2f75cb1b71e048e117ccf2cad8b2d2cd6364b1248f2f",
        "6333f307337234a3cbf3c11b7d6ad9878c42adc9481f65f343812b764bc5f79a",
    ),
}
log = logging.getLogger(__name__)
_CODE_RANGES = {"wcs": (0, 3), "cat": (0, 7)}
_COUNTS = ("numexp", "nmatches", "point", "segment", "gaia")
#: ``DataFrame.attrs`` key set on tables :func:`load_feature_table` returns (codes canonical)
CODES_ATTR = "spacekit_svm_codes"


def _is_legacy_table(data: Any, frame: pd.DataFrame) -> bool:
    """Whether ``data`` is one of upstream's 2021 tables, whole (by name or file sha256).

    A DataFrame is never taken whole: its rows of those tables are recognised one by one
    (:func:`_map_legacy_rows`), so a copy of a loaded table that lost its ``attrs`` (canonical
    codes, in the same row order) is not mapped twice."""
    if isinstance(data, pd.DataFrame):
        return False
    if str(data) in _LEGACY_TABLES:
        return True
    path = Path(data)
    if path.is_file():
        from ....utils import file_sha256

        return file_sha256(path) in {sha for sha, _ in _LEGACY_TABLES.values()}
    return False


#: Per row of the 2021 tables, its canonical category code where its own code differs
#: (``legacy_category_rows.txt``: sha256 prefix of the row's :data:`_ROW_KEY` values → code).
#: The counts make it the row, not the visit: the two tables disagree on one visit's category
_LEGACY_ROWS_FILE = "legacy_category_rows.txt"
_ROW_KEY = ("index", "cat", "numexp", "nmatches", "point", "segment", "gaia")


@functools.lru_cache(maxsize=1)
def _legacy_row_codes() -> dict[str, int]:
    text = (Path(__file__).with_name(_LEGACY_ROWS_FILE)).read_text(encoding="utf-8")
    rows = (line.split() for line in text.splitlines() if line and not line.startswith("#"))
    return {key: int(code) for key, code in rows}


def _row_key(values: Any) -> str:
    """The key of one row: its :data:`_ROW_KEY` values (index, then whole numbers), tab-joined."""
    text = "\t".join([str(values[0]), *(str(int(v)) for v in values[1:])])
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _map_legacy_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Give each row of upstream's 2021 tables (recognised by its ``index`` and per-batch
    ``cat``) its canonical code, wherever it sits: a slice, a shuffled copy or a chunk of those
    tables gets the codes the whole table gets. Other rows keep theirs."""
    known = _legacy_row_codes()
    rows = frame[list(_ROW_KEY)].itertuples(index=False, name=None)
    codes = [known.get(_row_key(r)) for r in rows]
    found = np.array([c is not None for c in codes], dtype=bool)
    if found.any():
        log.info("SVM table: %d rows of the 2021 tables given canonical 'cat' codes", found.sum())
        frame = frame.copy()
        frame.loc[found, "cat"] = [c for c in codes if c is not None]
    return frame


def load_feature_table(
    data: str | os.PathLike | pd.DataFrame,
    *,
    require_label: bool = False,
    rederive_det: bool = True,
    legacy_codes: bool | None = None,
) -> pd.DataFrame:
    """Read an SVM feature table (csv path, dataset name or DataFrame) and clean it.

    ``det`` is re-derived from ``index`` (old tables numbered detectors per batch; the number
    of changed rows is logged at INFO). ``cat`` is made consistent with
    :func:`~spacekit.skopes.hst.svm.rederive_category`: upstream's 2021 tables are mapped to
    the canonical codes, and synthetic rows take their original visit's category. Columns are
    checked and made numeric; the table returned is marked (``attrs``) as canonical, so
    loading it again changes nothing.

    Parameters
    ----------
    data : path, dataset name or DataFrame
        A csv in the format of ``svm_labeled_2021-07-28.csv``, or a registered dataset name
        such as ``"svm_labeled_2021_07_28"`` (through :func:`spacekit.datasets.load`).
    require_label : bool
        Raise :class:`SchemaError` when there is no ``label`` column.
    rederive_det : bool
        Rebuild ``det`` from ``index`` (default True; the table may then leave ``det`` out).
    legacy_codes : bool, optional
        Whether ``cat`` holds upstream's 2021 codes (:data:`LEGACY_CATEGORY_CODES`). By default
        True for ``svm_labeled_2021_07_28`` and ``svm_unlabeled_2021_10_06`` (by name or file
        sha256); in any other table, each row of those two tables (recognised by its index,
        code and counts: in any order, subset or chunk, beside other rows) gets the canonical
        code its whole table gives, and other rows keep theirs (tables from :func:`ingest`
        use the canonical codes). False: no row is mapped.

    Returns
    -------
    pandas.DataFrame
        The cleaned feature table (a copy when a DataFrame was given).

    Raises
    ------
    DataNotFoundError
        A path that does not exist or is a folder.
    FormatError
        A file that is empty or not a csv.
    SchemaError
        Missing columns; missing, non-numeric or infinite values; labels other than 0, 1
        (or empty, unless ``require_label``); negative counts
        (numexp, nmatches, point, segment, gaia); ``wcs`` or ``cat`` codes that are not
        canonical (0-3 and 0-7).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({c: [1] for c in FEATURES} | {"index": ["hst_1_01_acs_wfc_total_j01"]})
    >>> int(load_feature_table(df)["det"].iloc[0])
    4
    """
    if isinstance(data, pd.DataFrame):
        frame, name = data.copy(), "table"
    else:
        from ....datasets.tables import resolve_table

        # a path or a registered dataset name; a folder, an empty file or a non-csv
        # (an .npz of images): spacekit errors
        frame = resolve_table(data, what="feature table", format="csv")
        name = str(data)
    if "index" not in frame.columns and frame.index.name == "index":
        frame = frame.reset_index()
    _check_rows(frame, name, require_label, rederive_det)
    _check_features(frame, name)
    if rederive_det:
        frame = rederive_detector(frame)
    legacy = _is_legacy_table(data, frame) if legacy_codes is None else bool(legacy_codes)
    canonical = isinstance(data, pd.DataFrame) and data.attrs.get(CODES_ATTR) == "canonical"
    if legacy_codes is None and not legacy and not canonical:
        frame = _map_legacy_rows(frame)  # rows of the 2021 tables in any order or subset
    frame = rederive_category(frame, legacy=legacy)
    if "label" in frame.columns:
        frame["label"] = _checked_labels(frame, name, require_label)
    frame = frame.reset_index(drop=True)
    frame.attrs[CODES_ATTR] = "canonical"
    return frame


def _check_rows(frame: pd.DataFrame, name: str, require_label: bool, rederive_det: bool) -> None:
    """:func:`load_feature_table`'s columns present, a row at least, a visit name in each."""
    required = [*FEATURES, "index"] + (["label"] if require_label else [])
    # det is rebuilt from the visit name: a table may leave it out
    missing = [c for c in required if c not in frame.columns and (c != "det" or not rederive_det)]
    if missing == ["label"]:
        raise SchemaError(
            f"{name}: training and scoring need a 'label' column (0 (aligned) or 1 "
            "(misaligned) per visit); it is missing. To flag unlabelled visits, use predict"
        )
    if missing:
        raise SchemaError(
            f"{name}: expected SVM feature columns {required}; missing {missing}. "
            "Build rows with spacekit.skopes.hst.svm.ingest"
        )
    if not len(frame):
        raise InputError(f"{name}: the feature table is empty")
    blank = frame["index"].isna() | (frame["index"].astype(str).str.strip() == "")
    if blank.any():  # a truncated file's last row: it said "visit name nan does not look..."
        rows = (np.flatnonzero(blank.to_numpy()) + 1).tolist()[:3]
        raise SchemaError(
            f"{name}: {int(blank.sum())} row(s) have no visit name in 'index' (rows {rows}, "
            "counting from 1 after the header); the file is truncated or those rows are "
            "incomplete: fix or drop them"
        )


def _check_features(frame: pd.DataFrame, name: str) -> None:
    """:func:`load_feature_table`'s features made numeric in place: finite, codes in range,
    counts not negative."""
    for col in FEATURES:
        if col in ("det",):
            continue
        values = pd.to_numeric(frame[col], errors="coerce")
        bad = ~np.isfinite(values.astype(float))
        if bad.any():
            rows = frame.loc[bad, "index"].astype(str).tolist()[:3]
            raise SchemaError(
                f"{name}: column {col!r} has {int(bad.sum())} missing, non-numeric or "
                f"infinite values (e.g. visits {rows}); fill or drop them before training or "
                "predicting"
            )
        if col in _CODE_RANGES:
            lo, hi = _CODE_RANGES[col]
            bad = (values < lo) | (values > hi) | (values % 1 != 0)
            what = f"integer codes {lo}-{hi}"
        else:
            bad = (values < 0) if col in _COUNTS else pd.Series(False, index=values.index)
            what = "counts >= 0"
        if bad.any():
            rows = frame.loc[bad, "index"].astype(str).tolist()[:3]
            found = sorted({float(v) for v in values[bad]})[:5]
            raise SchemaError(
                f"{name}: column {col!r} must hold {what}; found {found} (e.g. visits {rows}). "
                "Encode wcs and cat with spacekit.skopes.hst.svm.encode_features "
                "(WCSTYPE_CODES, CATEGORY_CODES) or fix the rows"
            )
        frame[col] = values


def _checked_labels(frame: pd.DataFrame, name: str, require_label: bool) -> pd.Series:
    """:func:`load_feature_table`'s ``label`` column as numbers: 0, 1 or empty (unlabelled)."""
    labels = pd.to_numeric(frame["label"], errors="coerce")
    given = frame["label"].notna() & (frame["label"].astype(str).str.strip() != "")
    bad = given & ~labels.isin([0, 1])
    if bad.any() or (require_label and labels.isna().any()):
        found = sorted({str(v) for v in frame.loc[bad | labels.isna(), "label"]})[:5]
        raise SchemaError(
            f"{name}: 'label' must hold 0 (aligned) or 1 (misaligned)"
            f"{'' if require_label else ', or be empty for unlabelled visits'}; found "
            f"{found}. Encode the labels first (e.g. (labels == 'misaligned').astype(int))"
        )
    return labels

"""The nine features of an HST calibration job, parsed exactly as the production pipeline does.

Two inputs are understood:

- a dataset's ``<ipppssoot>_MemModelFeatures.txt`` (``key=value`` lines written by the
  calibration pipeline) together with the ipppssoot itself, through
  :func:`parse_memmodel_features`;
- tables in the training-data format (``hst_cal_2021-05-11_latest.csv``) or the DynamoDB
  export format (same columns, other order, plus ``timestamp``), through :func:`prepare_table`.

The rules (from calcloud's ``JobPredict``): keys an instrument does not write are absent and
count as 0; ``total_mb`` is rounded to an integer; ``DETECTOR`` UVIS or WFC is 1, anything
else 0; ``SUBARRAY`` "True" is 1; ``DRIZCORR``/``PCTECORR`` "PERFORM" is 1; ``CRSPLIT``
"NaN" is 0, "1"/"1.0" is 1, anything else 2; ``dtype`` is 1 when the ipppssoot ends in 0;
``instr`` comes from its first letter (j ACS 0, l COS 1, o STIS 2, i WFC3 3).

What production maps silently (an unknown key, a spelling outside the known ones such as
``SUBARRAY=Yes``) is mapped the same way here, with a :class:`CalFeatureWarning` naming it.
What is really wrong (no ``n_files`` or ``total_mb``, a non-numeric value, a malformed
ipppssoot) raises :class:`~spacekit.exceptions.InputError` naming the dataset and the field.

This module needs only numpy (and pandas for tables, imported when used), so prediction
stays free of TensorFlow and scikit-learn. ``group_ids``, ``yeo_johnson`` and
``power_standardize`` live in :mod:`spacekit.transformer` (``identical_row_groups`` and
:mod:`spacekit.transformer.power`) and are re-exported here.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from ....exceptions import InputError, SchemaError

# Moved to the prepare layer (spacekit.transformer), re-exported here for the old import paths.
# Both modules need only numpy, so prediction stays free of scikit-learn and scipy.
from ....transformer.power import power_standardize, yeo_johnson
from ....transformer.splits import identical_row_groups as group_ids

__all__ = [
    "FEATURES",
    "TARGETS",
    "BIN_EDGES_GB",
    "BIN_QUEUES_GB",
    "INSTRUMENTS",
    "MAX_FEATURES_BYTES",
    "CalFeatureWarning",
    "parse_memmodel_features",
    "memmodel_pairs",
    "features_from_mapping",
    "check_ipppssoot",
    "memory_to_bin",
    "prepare_table",
    "group_ids",
    "yeo_johnson",
    "power_standardize",
]

#: The nine model inputs, in the order the models see them.
FEATURES: tuple[str, ...] = (
    "n_files",
    "total_mb",
    "drizcorr",
    "pctecorr",
    "crsplit",
    "subarray",
    "detector",
    "dtype",
    "instr",
)
#: The three targets: memory bin (0-3), peak memory (GB), wallclock (s).
TARGETS: tuple[str, ...] = ("mem_bin", "memory", "wallclock")
#: Upper memory limits (GB) of bins 0, 1 and 2: the 2/8/16 GB queues less container overhead.
BIN_EDGES_GB: tuple[float, ...] = (1.792, 7.168, 14.336)
#: The AWS Batch queue (GB) of each bin.
BIN_QUEUES_GB: tuple[int, ...] = (2, 8, 16, 64)
#: Largest MemModelFeatures file (bytes) read or parsed: real ones are ~100 bytes; anything
#: larger is refused before it is read (a 200 MB object or 2 million keys is not a features file).
MAX_FEATURES_BYTES: int = 64 * 1024
#: Most keys a MemModelFeatures mapping may hold (real files have at most 7).
MAX_FEATURES_KEYS: int = 256
#: First letter of an ipppssoot -> (instrument name, code).
INSTRUMENTS: dict[str, tuple[str, int]] = {
    "j": ("ACS", 0),
    "l": ("COS", 1),
    "o": ("STIS", 2),
    "i": ("WFC3", 3),
}
#: Valid codes of a table's categorical feature columns.
_TABLE_CODES: dict[str, tuple[int, ...]] = {
    "drizcorr": (0, 1),
    "pctecorr": (0, 1),
    "crsplit": (0, 1, 2),
    "subarray": (0, 1),
    "detector": (0, 1),
    "dtype": (0, 1),
    "instr": (0, 1, 2, 3),
}
_KNOWN_KEYS = ("n_files", "total_mb", "DETECTOR", "SUBARRAY", "DRIZCORR", "PCTECORR", "CRSPLIT")
_DETECTORS_1 = {"UVIS", "WFC"}
_DETECTORS_0 = {"IR", "HRC", "SBC", "NUV", "FUV", "NUV-MAMA", "FUV-MAMA", "CCD"}


class CalFeatureWarning(UserWarning):
    """A MemModelFeatures value was mapped the way production maps it, but is unusual."""


def _warn(msg: str) -> None:
    warnings.warn(msg, CalFeatureWarning, stacklevel=3)


def check_ipppssoot(ipst: str) -> str:
    """Validate an HST dataset name (ipppssoot) and return it in lower case.

    Parameters
    ----------
    ipst : str
        Nine characters whose first letter is an HST calibration instrument
        (j ACS, l COS, o STIS, i WFC3).

    Returns
    -------
    str
        The lower-case ipppssoot.

    Raises
    ------
    InputError
        When it is not a 9-character string or its first letter is not j, l, o or i.

    Examples
    --------
    >>> check_ipppssoot("J8ZS05020")
    'j8zs05020'
    """
    if not isinstance(ipst, str):
        raise InputError(f"ipppssoot: expected a 9-character string, got {type(ipst).__name__}")
    name = ipst.strip().lower()
    if len(name) != 9 or not name.isalnum():
        raise InputError(
            f"ipppssoot {ipst!r}: expected 9 letters/digits like 'j8zs05020', got "
            f"{len(name)} characters; pass the dataset name, not a file name"
        )
    if name[0] not in INSTRUMENTS:
        raise InputError(
            f"ipppssoot {ipst!r}: first letter {name[0]!r} is not an HST calibration "
            f"instrument (expected one of j=ACS, l=COS, o=STIS, i=WFC3)"
        )
    return name


def _number(value: Any, field: str, ipst: str) -> float:
    try:
        out = float(str(value).strip())
    except (TypeError, ValueError):
        raise InputError(
            f"dataset {ipst}: field {field} must be a number, got {value!r}; "
            "fix the MemModelFeatures file"
        ) from None
    if not math.isfinite(out) or out < 0:
        raise InputError(
            f"dataset {ipst}: field {field} must be a finite number >= 0, got {value!r}"
        )
    return out


def features_from_mapping(values: Mapping[str, Any], ipst: str) -> dict[str, int]:
    """Turn MemModelFeatures keys (``n_files``, ``total_mb``, ``DETECTOR``, ...) into 9 features.

    Parameters
    ----------
    values : mapping
        Raw keys and values as written in a MemModelFeatures file (strings or numbers).
        Absent optional keys count as 0.
    ipst : str
        The ipppssoot; gives ``instr`` and ``dtype``.

    Returns
    -------
    dict
        ``{feature: int}`` for the names in :data:`FEATURES`.

    Examples
    --------
    >>> f = features_from_mapping({"n_files": "3", "total_mb": "2.2752", "DETECTOR": "NUV",
    ...                            "SUBARRAY": "True"}, "la8p01010")
    >>> [f[k] for k in FEATURES]
    [3, 2, 0, 0, 0, 1, 0, 1, 1]
    """
    name = check_ipppssoot(ipst)
    if len(values) > MAX_FEATURES_KEYS:
        raise InputError(
            f"dataset {name}: {len(values)} keys, more than the {MAX_FEATURES_KEYS} a "
            "MemModelFeatures file may hold (real ones have at most 7: n_files, total_mb, "
            "DETECTOR, SUBARRAY, DRIZCORR, PCTECORR, CRSPLIT); check that this is a features file"
        )
    unknown = [key for key in values if key not in _KNOWN_KEYS]
    if unknown:
        shown = ", ".join(repr(k) for k in unknown[:10])
        more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        word = "key" if len(unknown) == 1 else "keys"
        _warn(f"dataset {name}: unknown {word} {shown}{more} ignored (production ignores them too)")
    for req in ("n_files", "total_mb"):
        if req not in values or str(values[req]).strip() == "":
            raise InputError(
                f"dataset {name}: required field {req} is missing; a MemModelFeatures file "
                f"must have n_files and total_mb lines (found keys {sorted(values)})"
            )
    n_files = _number(values["n_files"], "n_files", name)
    if n_files != int(n_files):
        raise InputError(
            f"dataset {name}: field n_files must be an integer, got {values['n_files']!r}"
        )
    total_mb = int(round(_number(values["total_mb"], "total_mb", name)))

    def text(key: str) -> str | None:
        v = values.get(key)
        return None if v is None else str(v).strip()

    det = text("DETECTOR")
    if det is not None and det not in _DETECTORS_1 | _DETECTORS_0:
        _warn(
            f"dataset {name}: DETECTOR={det!r} is not a known detector; mapped to 0 as in "
            "production"
        )
    detector = int(det in _DETECTORS_1)

    sub = text("SUBARRAY")
    if sub is not None and sub not in ("True", "False"):
        _warn(
            f"dataset {name}: SUBARRAY={sub!r} is neither 'True' nor 'False'; mapped to 0 as in "
            "production"
        )
    subarray = int(sub == "True")

    flags = {}
    for key in ("DRIZCORR", "PCTECORR"):
        v = text(key)
        if v is not None and v not in ("PERFORM", "OMIT", "COMPLETE"):
            _warn(f"dataset {name}: {key}={v!r} is not PERFORM/OMIT; mapped to 0 as in production")
        flags[key] = int(v == "PERFORM")

    cr = text("CRSPLIT")
    if cr is None or cr == "NaN":
        crsplit = 0
    elif cr in ("1", "1.0"):
        crsplit = 1
    else:
        try:
            ok = float(cr) > 1
        except ValueError:
            ok = False
        if not ok:
            _warn(
                f"dataset {name}: CRSPLIT={cr!r} is not NaN, 1 or a number > 1; mapped to 2 as in "
                "production"
            )
        crsplit = 2
    return {
        "n_files": int(n_files),
        "total_mb": total_mb,
        "drizcorr": flags["DRIZCORR"],
        "pctecorr": flags["PCTECORR"],
        "crsplit": crsplit,
        "subarray": subarray,
        "detector": detector,
        "dtype": int(name[-1] == "0"),
        "instr": INSTRUMENTS[name[0]][1],
    }


def memmodel_pairs(text: str | bytes, label: str = "file") -> dict[str, str]:
    """The ``key=value`` lines of a MemModelFeatures file as raw strings (nothing mapped yet).

    Blank and ``#`` lines are skipped, a leading byte-order mark is ignored, and a key given
    twice with different values keeps the last one with a :class:`CalFeatureWarning` (calcloud
    makes a dict of the lines). :func:`parse_memmodel_features` maps the result to the nine
    features; the dashboard fills its form from it.

    Parameters
    ----------
    text : str or bytes
        The file's contents (bytes must be UTF-8).
    label : str
        What to call the file in messages (e.g. ``"dataset la8p01010"``).

    Returns
    -------
    dict
        ``{key: value}``, both stripped.

    Examples
    --------
    >>> memmodel_pairs("n_files=5\\ntotal_mb=66.1\\n\\nDETECTOR=IR")
    {'n_files': '5', 'total_mb': '66.1', 'DETECTOR': 'IR'}
    """
    if isinstance(text, (str, bytes, bytearray)) and len(text) > MAX_FEATURES_BYTES:
        raise InputError(
            f"{label}: its MemModelFeatures text is {len(text)} bytes, more than the limit of "
            f"{MAX_FEATURES_BYTES} (real files are ~100 bytes of key=value lines); check that "
            "this is a features file"
        )
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{label}: its MemModelFeatures file is not UTF-8 text (byte "
                f"{text[exc.start : exc.start + 1]!r} at position {exc.start}); it holds ASCII "
                "key=value lines: re-write it as UTF-8"
            ) from None
    # A byte-order mark (an editor's "UTF-8 with BOM") would otherwise glue onto the first key.
    text = str(text).lstrip("\ufeff")
    values: dict[str, str] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            raise InputError(
                f"{label}: line {lineno} {line!r} of its MemModelFeatures file is not 'key=value'"
            )
        key, value = (part.strip() for part in line.split("=", 1))
        if key in values and values[key] != value:
            # calcloud makes a dict of the lines: the last one wins, silently.
            _warn(
                f"{label}: key {key!r} appears more than once ({values[key]!r}, then "
                f"{value!r}); the last value is used as in production: fix the MemModelFeatures "
                "file"
            )
        values[key] = value
    return values


def parse_memmodel_features(text: str, ipst: str) -> dict[str, int]:
    """Parse the text of a ``<ipst>_MemModelFeatures.txt`` file into the nine features.

    Parameters
    ----------
    text : str
        The file's contents: ``key=value`` lines.
    ipst : str
        The ipppssoot (9 characters, first letter j/l/o/i).

    Returns
    -------
    dict
        ``{feature: int}`` for the names in :data:`FEATURES`.

    Raises
    ------
    InputError
        A line that is not ``key=value``, a missing ``n_files``/``total_mb``, a non-numeric
        value, bytes that are not UTF-8 or a bad ipppssoot; the message names the dataset and
        the field. (A leading byte-order mark is ignored; a key given twice with different
        values keeps the last one, as production does, with a :class:`CalFeatureWarning`.)

    Examples
    --------
    >>> txt = "n_files=5\\ntotal_mb=66.1\\nDETECTOR=IR\\nSUBARRAY=False\\nDRIZCORR=PERFORM"
    >>> parse_memmodel_features(txt, "ib8t01010")["drizcorr"]
    1
    """
    name = check_ipppssoot(ipst)
    values = memmodel_pairs(text, f"dataset {name}")
    return features_from_mapping(values, name)


def _plain(value: Any) -> str:
    """``repr`` of a table value without numpy's wrapper (``7``, not ``np.int64(7)``)."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def memory_to_bin(memory_gb: Any) -> np.ndarray:
    """Memory bin (0-3) of peak memory values in GB (bins end at 1.792, 7.168, 14.336 GB).

    Examples
    --------
    >>> memory_to_bin([0.5, 2.0, 10.0, 20.0]).tolist()
    [0, 1, 2, 3]
    """
    return np.searchsorted(
        np.asarray(BIN_EDGES_GB), np.asarray(memory_gb, dtype=float), side="right"
    )


def prepare_table(data: Any, *, name: str | None = None, require_targets: bool = True):
    """Read and check a table of calibration jobs (training or DynamoDB-export format).

    Parameters
    ----------
    data : path or pandas.DataFrame
        A csv in the ``hst_cal_2021-05-11_latest.csv`` or DynamoDB-export layout (column
        order and extra columns do not matter), or such a DataFrame.
    name : str, optional
        Name used in messages (default: the file name).
    require_targets : bool
        Require ``memory`` and ``wallclock`` (training, evaluation). ``mem_bin`` is derived
        from ``memory`` when absent.

    Returns
    -------
    pandas.DataFrame
        The nine features (integers; ``total_mb`` rounded as production does), the targets
        when present, ``ipst`` and ``timestamp`` when present; rows with a missing target
        are dropped with a warning.

    Raises
    ------
    SchemaError
        A missing column, a non-numeric, negative or out-of-range value (flags 0/1, crsplit 0-2,
        instr 0-3, mem_bin 0-3; crsplit counts above 2 of old encodings map to 2 with a
        warning), or an ``instr``/``dtype`` other than the row's ``ipst`` gives; the message
        names the column, the value and the first such row's dataset.
    DataNotFoundError
        A path that does not exist or is a folder.
    FormatError
        A file that is empty or not a readable csv (from :func:`spacekit.io.read_table`).
    InputError
        ``data`` of another type.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"ipst": ["la8p01010"], "n_files": [3], "total_mb": [2.3],
    ...     "drizcorr": [0], "pctecorr": [0], "crsplit": [0], "subarray": [1],
    ...     "detector": [0], "dtype": [1], "instr": [1], "memory": [0.2], "wallclock": [30.0]})
    >>> prepare_table(df)[["total_mb", "mem_bin"]].values.tolist()
    [[2, 0]]
    """
    import pandas as pd

    df, label = _read_cal_table(data, name)
    _check_cal_columns(df, label, require_targets)
    out = pd.DataFrame(index=df.index)
    for col in FEATURES:
        out[col] = _checked_feature(df, col, label)
    if "ipst" in df.columns:
        _check_ipst(df, out, label)
    if "timestamp" in df.columns:
        out["timestamp"] = pd.to_numeric(df["timestamp"], errors="coerce")
    for col in ("memory", "wallclock"):
        if col in df.columns:
            out[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
    if "memory" in out.columns:
        _add_mem_bin(df, out, label)
    if require_targets:
        out = _drop_rows_without_targets(out, label)
    return out.reset_index(drop=True)


def _read_cal_table(data: Any, name: str | None) -> tuple[Any, str]:
    """The DataFrame of ``data`` (read from a csv path) and its label for messages."""
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data, name or "(DataFrame)"  # read only: the result is a new frame
    if not isinstance(data, (str, os.PathLike)):
        raise InputError(
            f"table {name or ''}: expected a csv path or a pandas.DataFrame, got "
            f"{type(data).__name__}"
            + ("; pass df.to_frame().T for one row" if isinstance(data, pd.Series) else "")
        )
    from pathlib import Path

    from ....io import read_table

    # spacekit.io says what is wrong with the file (missing, a folder, empty, not a csv)
    return read_table(data, format="csv"), name or Path(str(data)).name


def _check_cal_columns(df: Any, label: str, require_targets: bool) -> None:
    """Raise SchemaError when a feature (or a target, if required) column is missing."""
    missing = [c for c in FEATURES if c not in df.columns]
    if require_targets:
        missing += [c for c in ("memory", "wallclock") if c not in df.columns]
    if missing:
        raise SchemaError(
            f"table {label}: expected the columns {list(FEATURES)} (and memory, wallclock "
            f"for training/evaluation), missing {missing}; found {list(df.columns)[:20]}"
        )


def _where(df: Any, bad: Any) -> str:
    """'row 3 (dataset j8zs05020)' for the first bad row."""
    pos = int(np.flatnonzero(np.asarray(bad))[0])
    ds = f" (dataset {df['ipst'].iloc[pos]})" if "ipst" in df.columns else ""
    return f"row {pos}{ds}"


def _checked_feature(df: Any, col: str, label: str) -> np.ndarray:
    """Column ``col`` as int64 after the numeric and range checks (crsplit > 2 mapped to 2)."""
    import pandas as pd

    vals = pd.to_numeric(df[col], errors="coerce")
    bad = vals.isna()
    if bad.any():
        first = df.loc[bad, col].iloc[0]
        raise SchemaError(
            f"table {label}: column {col} must be numeric, found {int(bad.sum())} "
            f"non-numeric or empty value(s), first {_plain(first)} in {_where(df, bad)}; fix or "
            "drop those rows"
        )
    values = vals.to_numpy(dtype=float)
    bad = ~np.isfinite(values) | (values < 0)
    if col in _TABLE_CODES:
        bad |= ~np.isin(values, _TABLE_CODES[col])
    if col == "crsplit":
        bad &= ~((values > 2) & (values == np.round(values)))  # old encodings: the CRSPLIT count
    if bad.any():
        rule = (
            f"one of {list(_TABLE_CODES[col])}" if col in _TABLE_CODES else "a finite number >= 0"
        )
        raise SchemaError(
            f"table {label}: column {col} must be {rule}, found {int(bad.sum())} other "
            "value(s), "
            f"first {_plain(df[col].iloc[int(np.flatnonzero(bad)[0])])} in {_where(df, bad)}; fix "
            "or drop those rows"
        )
    if col == "crsplit" and (values > 2).any():
        _warn(
            f"table {label}: column crsplit holds {int((values > 2).sum())} value(s) > 2 (an "
            "old encoding's CRSPLIT count); mapped to 2 as production maps CRSPLIT > 1"
        )
        values = np.minimum(values, 2)
    return np.round(values).astype(np.int64)


def _check_ipst(df: Any, out: Any, label: str) -> None:
    """Add the cleaned ``ipst`` to ``out``; raise when it disagrees with ``instr``/``dtype``."""
    # numpy's vectorised string functions: pandas' .str and a map per row were most of the
    # time of a large table (2.4 of 3.9 s on 1e6 rows)
    ipst = np.char.lower(np.char.strip(df["ipst"].to_numpy(dtype=str)))
    chars = ipst.view("U1").reshape(len(ipst), ipst.dtype.itemsize // 4)
    first = chars[:, 0]
    last = chars[np.arange(len(ipst)), np.maximum(np.char.str_len(ipst) - 1, 0)]
    out["ipst"] = ipst.astype(object)
    bad = ~np.isin(first, list(INSTRUMENTS))
    if bad.any():
        raise SchemaError(
            f"table {label}: column ipst has {int(bad.sum())} value(s) that are not HST "
            f"calibration datasets, first {str(ipst[bad][0])!r}"
        )
    instr = np.zeros(len(ipst), dtype=np.int64)
    for letter, (_, code) in INSTRUMENTS.items():
        instr[first == letter] = code
    dtype = (last == "0").astype(np.int64)
    bad = (instr != out["instr"].to_numpy()) | (dtype != out["dtype"].to_numpy())
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise SchemaError(
            f"table {label}: {int(bad.sum())} row(s) have instr/dtype other than their ipst's "
            f"(first {_where(df, bad)}: instr={out['instr'].iloc[pos]}, "
            f"dtype={out['dtype'].iloc[pos]}, but "
            f"the ipst gives instr={instr[pos]}, dtype={dtype[pos]}); the columns are shifted "
            "or mislabelled: fix the table"
        )


def _add_mem_bin(df: Any, out: Any, label: str) -> None:
    """Set ``out['mem_bin']`` from ``memory``, keeping the table's own valid bins."""
    import pandas as pd

    out["mem_bin"] = memory_to_bin(out["memory"].fillna(0.0))
    if "mem_bin" in df.columns:
        given = pd.to_numeric(df["mem_bin"], errors="coerce")
        ok = given.notna()
        wrong = ok & ~given.isin([0, 1, 2, 3])
        if wrong.any():
            raise SchemaError(
                f"table {label}: column mem_bin must be a bin 0-3 (or empty: derived from "
                f"memory), found {int(wrong.sum())} other value(s), first "
                f"{_plain(df['mem_bin'][wrong].iloc[0])} in "
                f"{_where(df, wrong)}; fix those rows or drop the column"
            )
        out.loc[ok, "mem_bin"] = given[ok].astype(int)
    out["mem_bin"] = out["mem_bin"].astype(np.int64)


def _drop_rows_without_targets(out: Any, label: str) -> Any:
    """``out`` less (with a warning) the rows without memory >= 0 and a positive wallclock."""
    memory, wallclock = out["memory"], out["wallclock"]
    bad = memory.isna() | (memory < 0) | wallclock.isna() | (wallclock <= 0)
    if bad.all():
        raise SchemaError(f"table {label}: no row has both memory >= 0 and a positive wallclock")
    if bad.any():
        _warn(
            f"table {label}: {int(bad.sum())} row(s) without memory >= 0 or positive wallclock "
            "dropped"
        )
        out = out.loc[~bad]
    return out

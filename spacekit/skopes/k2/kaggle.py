"""The Kaggle "Exoplanet Hunting in Deep Space" K2 table format, written and read.

A table is a csv with a ``LABEL`` column (2 = a transiting planet, 1 = none) followed by
``FLUX.1 ... FLUX.<n>`` (3,197 cadences in the Kaggle set). spacekit's training-set builder
writes the same format (flux as parts-per-million deviations from the window's median) plus a
sidecar ``<stem>.meta.csv`` with one row per window (star, group, kind, injected transit
parameters, SNR), so the Kaggle tables and built sets feed the same code.

Examples
--------
>>> import numpy as np, tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "set.csv"
>>> _ = write_flux_table(p, np.ones((2, 5)), np.array([1, 0]))
>>> X, y, meta = read_flux_table_with_meta(p)
>>> X.shape, y.tolist(), meta is None
((2, 5), [1, 0], True)
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from ...exceptions import DataNotFoundError, FormatError, InputError
from ...utils.files import atomic_write

__all__ = ["write_flux_table", "read_flux_table_with_meta", "meta_path", "flux_columns"]


def flux_columns(n: int) -> list[str]:
    """The Kaggle flux column names ``FLUX.1 ... FLUX.n``.

    Parameters
    ----------
    n : int
        Number of flux points.

    Returns
    -------
    list of str
        The column names.

    Examples
    --------
    >>> flux_columns(3)
    ['FLUX.1', 'FLUX.2', 'FLUX.3']
    """
    return [f"FLUX.{i}" for i in range(1, int(n) + 1)]


def meta_path(path: str | os.PathLike) -> Path:
    """The metadata sidecar of a flux table: ``<stem>.meta.csv`` beside it.

    Parameters
    ----------
    path : path
        The flux table.

    Returns
    -------
    pathlib.Path
        The sidecar's path (it need not exist).

    Examples
    --------
    >>> meta_path("/data/k2-train.csv").name
    'k2-train.meta.csv'
    """
    path = Path(path)
    name = path.name
    for suffix in (".csv.gz", ".csv.zip", ".csv"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return path.with_name(f"{name}.meta.csv")


def write_flux_table(
    path: str | os.PathLike,
    X: np.ndarray,
    y: np.ndarray,
    *,
    meta: pd.DataFrame | None = None,
    ppm: bool = False,
) -> Path:
    """Write windows in the Kaggle K2 format (``LABEL`` 2/1, ``FLUX.1 ...``), atomically.

    Parameters
    ----------
    path : str or os.PathLike
        Output csv.
    X : numpy.ndarray
        Flux windows, shape ``(n_windows, n_cadences)``.
    y : numpy.ndarray
        1 (or True) for a transiting planet, 0 for none; written as LABEL 2 / 1.
    meta : pandas.DataFrame, optional
        One row per window, written to :func:`meta_path` (atomically too). Without it, a
        sidecar left there by an earlier table at ``path`` is removed.
    ppm : bool
        Write ``(X / median - 1) * 1e6`` per row (parts per million, two decimals) instead of
        ``X`` as given.

    Returns
    -------
    pathlib.Path
        The csv path.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> write_flux_table(p, np.ones((1, 3)), [1]).read_text().splitlines()[0]
    'LABEL,FLUX.1,FLUX.2,FLUX.3'
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y).astype(int).ravel()
    if X.ndim != 2:
        raise InputError(f"expected X of shape (n_windows, n_cadences), got shape {X.shape}")
    if y.shape[0] != X.shape[0]:
        raise InputError(f"X has {X.shape[0]} rows but y has {y.shape[0]} labels; pass one per row")
    if not set(np.unique(y)) <= {0, 1}:
        raise InputError(f"expected labels 0 (no planet) / 1 (planet), got {sorted(set(y))}")
    if meta is not None and len(meta) != X.shape[0]:
        raise InputError(f"meta has {len(meta)} rows but X has {X.shape[0]}; pass one per row")
    if ppm:
        med = np.median(X, axis=1, keepdims=True)
        if np.any(med == 0):
            raise InputError("a window has median flux 0: cannot express it in ppm; pass ppm=False")
        X = (X / med - 1.0) * 1e6
        fmt = "%.2f"
    else:
        fmt = "%.8g"
    path = Path(path)
    frame = pd.DataFrame(X, columns=flux_columns(X.shape[1]))
    frame.insert(0, "LABEL", np.where(y == 1, 2, 1))
    with atomic_write(path, "w", encoding="utf-8", newline="") as fh:
        frame.to_csv(fh, index=False, float_format=fmt)
    if meta is not None:
        with atomic_write(meta_path(path), "w", encoding="utf-8", newline="") as fh:
            meta.to_csv(fh, index=False)
    elif meta_path(path).is_file():
        # the sidecar described the table this one replaced: it would be read back as its meta
        meta_path(path).unlink()
    return path


def read_flux_table_with_meta(
    path: str | os.PathLike,
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame | None]:
    """Read a Kaggle-format flux table and its metadata sidecar when there is one.

    Parameters
    ----------
    path : str or os.PathLike
        A csv (or ``.csv.zip``/``.csv.gz``, as Zenodo ships the Kaggle tables).

    Returns
    -------
    X : numpy.ndarray
        float32 windows, shape ``(n, n_cadences)``.
    y : numpy.ndarray
        int labels: 1 = planet (LABEL 2), 0 = none (LABEL 1).
    meta : pandas.DataFrame or None
        The sidecar's rows, or None when the table has none (the Kaggle tables).

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = write_flux_table(p, np.zeros((3, 4)), [1, 1, 0])
    >>> read_flux_table_with_meta(p)[1].tolist()
    [1, 1, 0]
    """
    path = _checked_table_path(path)
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise FormatError(f"{path} is not a readable csv flux table: {exc}") from None
    fcols = _flux_columns(path, frame)
    if len(frame) == 0:
        raise FormatError(f"{path} has a header but no rows; expected one window per row")
    labels = frame["LABEL"].to_numpy()
    _check_labels(path, labels)
    X = _flux_values(path, frame, fcols)
    y = (labels == 2).astype(int)
    meta = None
    mp = meta_path(path)
    if mp.exists():
        meta = pd.read_csv(mp)
        if len(meta) != len(frame):
            raise FormatError(
                f"{mp} has {len(meta)} rows but {path} has {len(frame)}; rebuild the data set"
            )
    return X, y, meta


def _checked_table_path(path: object) -> Path:
    """``path`` as a Path to an existing file (InputError, DataNotFoundError if not)."""
    if not isinstance(path, (str, os.PathLike)):
        raise InputError(
            f"expected the path of a flux table (csv), got {type(path).__name__}; build one "
            "with `spacekit k2 build-dataset`"
        )
    path = Path(path)
    if not os.path.exists(path):  # False, not OSError, for a name over 255 bytes
        raise DataNotFoundError(
            f"flux table {path} does not exist; build one with `spacekit k2 build-dataset` "
            "or fetch the Kaggle tables with spacekit.datasets.fetch('k2_exoplanet_train')"
        )
    if os.path.isdir(path):
        raise DataNotFoundError(f"flux table {str(path)!r} is a folder, expected a csv file")
    return path


def _flux_columns(path: Path, frame: pd.DataFrame) -> list:
    """The FLUX.1 ... FLUX.n columns in cadence order (FormatError if LABEL or one is missing)."""
    if "LABEL" not in frame.columns:
        raise FormatError(
            f"{path} has no LABEL column (found {list(frame.columns[:4])}...); expected the "
            "Kaggle K2 format: LABEL (2 planet, 1 none), FLUX.1 ... FLUX.n"
        )
    fcols = [c for c in frame.columns if str(c).startswith("FLUX.")]
    if not fcols:
        raise FormatError(f"{path} has no FLUX.1 ... columns; expected the Kaggle K2 format")
    odd = [str(c) for c in fcols if not str(c)[5:].isdigit()]
    if odd:
        raise FormatError(
            f"{path}: flux columns must be named FLUX.<cadence number>, found {odd}; rename or "
            "drop them"
        )
    fcols = sorted(fcols, key=lambda c: int(str(c)[5:]))
    numbers = [int(str(c)[5:]) for c in fcols]
    if numbers != list(range(1, len(fcols) + 1)):
        missing = sorted(set(range(1, max(numbers) + 1)) - set(numbers))
        shown = ", ".join(f"FLUX.{i}" for i in missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise FormatError(
            f"{path}: expected consecutive flux columns FLUX.1 ... FLUX.{max(numbers)}, but "
            f"{len(missing) or 'some'} are missing or repeated ({shown or 'duplicates'}); every "
            "cadence needs its column, or the later cadences would shift"
        )
    return fcols


def _check_labels(path: Path, labels: np.ndarray) -> None:
    """Raise FormatError unless every LABEL is 2 (planet) or 1 (none)."""
    bad = sorted(set(pd.unique(labels).tolist()) - {1, 2}, key=str)
    if bad:
        shown = bad[:5]
        hint = (
            "; it looks like 0/1 labels: write LABEL + 1 (1 none, 2 planet)"
            if set(pd.unique(labels)) <= {0, 1}
            else ""
        )
        raise FormatError(f"{path}: LABEL must be 2 (planet) or 1 (none), found {shown}{hint}")


def _flux_values(path: Path, frame: pd.DataFrame, fcols: list) -> np.ndarray:
    """The flux columns as float32 (FormatError naming the first non-number or NaN count)."""
    try:
        X = frame[fcols].to_numpy(dtype=np.float32)
    except (TypeError, ValueError):
        num = frame[fcols].apply(pd.to_numeric, errors="coerce")
        rows, cols = np.nonzero((num.isna() & frame[fcols].notna()).to_numpy())
        where = ""
        if len(rows):
            value = frame[fcols].iat[rows[0], cols[0]]
            where = f" (row {int(rows[0])}, {fcols[int(cols[0])]}: {value!r})"
        raise FormatError(
            f"{path}: {len(rows)} flux values are not numbers{where}; expected numeric flux in "
            "every FLUX column"
        ) from None
    if not np.isfinite(X).all():
        raise FormatError(
            f"{path}: {int((~np.isfinite(X)).sum())} flux values are NaN/inf; fill or drop "
            "those windows first"
        )
    return X

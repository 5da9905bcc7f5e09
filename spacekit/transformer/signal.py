"""Signal transforms for flux tables (one light curve per row), vectorised over rows.

The K2/Kaggle exoplanet table has a ``LABEL`` column (2 = planet host, 1 = not) and
``FLUX.1 ... FLUX.N`` columns. These functions turn it into arrays for a 1-D CNN:
:func:`read_flux_table` -> :func:`scale_rows` -> :func:`add_smoothed_channel`, and
:func:`fft_features` for frequency-domain inputs.

Seed aliases (docs/design.rst, "Estimators, builders, names and plots"): ``hypersonic_pliers``
= :func:`read_flux_table`, ``thermo_fusion_chisel`` = :func:`scale_rows`,
``babel_fish_dispenser`` = :func:`add_smoothed_channel`, ``fast_fourier`` =
:func:`fft_features`.
"""

from __future__ import annotations

import os
import re
import warnings
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import DataNotFoundError, FormatError, InputError, SchemaError
from ..utils.checks import whole_number

__all__ = [
    "read_flux_table",
    "scale_rows",
    "add_smoothed_channel",
    "fft_features",
    "hypersonic_pliers",
    "thermo_fusion_chisel",
    "babel_fish_dispenser",
    "fast_fourier",
]


def _as_2d(X: Any, name: str = "X") -> np.ndarray:
    try:
        a = np.asarray(X, dtype=float)
    except (ValueError, TypeError) as exc:
        raise InputError(
            f"Expected {name} to hold numbers (rows of flux); {exc}. Convert or drop the "
            "non-numeric columns first (e.g. df.select_dtypes('number'))."
        ) from None
    if a.ndim == 1:
        raise InputError(
            f"Expected a 2D array (rows = light curves, columns = flux), got 1D array of shape "
            f"{a.shape} instead. Reshape your data with {name}.reshape(1, -1) for one light "
            "curve."
        )
    if a.ndim != 2:
        raise InputError(f"Expected a 2D array for {name}; got {a.ndim}D with shape {a.shape}.")
    return a


def _refuse_nonfinite(a: np.ndarray, what: str, *, allow_nan: bool = False) -> None:
    """Refuse inf (and NaN unless ``allow_nan``), naming the rows, before they silently turn a
    whole row into zeros or NaN."""
    bad = np.isinf(a) if allow_nan else ~np.isfinite(a)
    if bad.any():
        rows = np.flatnonzero(bad.any(axis=1))
        kinds = "infinite" if allow_nan else "NaN or infinite"
        raise InputError(
            f"{what} needs finite flux; {int(bad.sum())} {kinds} value(s) in row(s) "
            f"{rows[:10].tolist()}{' ...' if rows.size > 10 else ''}. Drop those rows or fill "
            "the gaps first (e.g. interpolate over them, or np.nan_to_num for a fixed value)."
        )


def read_flux_table(
    source: str | os.PathLike | pd.DataFrame,
    *,
    label: str = "LABEL",
    binary: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Load a flux table (``LABEL, FLUX.1 ... FLUX.N``) into ``X, y``.

    Parameters
    ----------
    source : path or DataFrame
        A csv file (or an already loaded table).
    label : str
        Name of the label column.
    binary : bool
        Map the Kaggle labels ``1, 2`` to ``0, 1`` (1 = planet host).

    Returns
    -------
    X : ndarray of float, shape (n_rows, n_flux)
        Flux columns in order ``FLUX.1 ... FLUX.N``.
    y : ndarray of int, shape (n_rows,)
        Labels.

    Raises
    ------
    SchemaError
        The label or flux columns are missing, or flux values are not numbers.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"LABEL": [2, 1], "FLUX.1": [1.0, 2.0], "FLUX.2": [3.0, 4.0]})
    >>> X, y = read_flux_table(df)
    >>> X.shape, y.tolist()
    ((2, 2), [1, 0])
    """
    if isinstance(source, pd.DataFrame):
        df = source
        where = "the table"
    else:
        if not os.path.exists(source):
            raise DataNotFoundError(f"flux table {str(source)!r} does not exist.")
        if os.path.isdir(source):
            raise DataNotFoundError(
                f"flux table {str(source)!r} is a folder; expected a csv file "
                "(LABEL, FLUX.1 ... FLUX.N): pass the file's path"
            )
        try:
            df = pd.read_csv(source)
        except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise FormatError(f"cannot parse {str(source)!r} as a csv flux table: {exc}") from exc
        where = repr(str(source))
    if label not in df.columns:
        raise SchemaError(
            f"{where} has no label column {label!r}; its first columns are "
            f"{list(df.columns[:5])}. Pass label=<name>."
        )
    # FLUX.1, FLUX_2, FLUX3 ...: not FLUX_ERR or FLUXERR, which are not flux samples
    flux_cols = [c for c in df.columns if re.fullmatch(r"FLUX[._-]?\d+", str(c).upper())]
    if not flux_cols:
        raise SchemaError(
            f"{where} has no FLUX.1 ... FLUX.N columns; expected the K2/Kaggle layout "
            f"(LABEL, FLUX.1, FLUX.2, ...), found {list(df.columns[:5])}..."
        )

    def order(c: str) -> int:
        return int(re.search(r"\d+$", str(c)).group())

    flux_cols = sorted(flux_cols, key=order)
    try:
        X = df[flux_cols].to_numpy(dtype=float)
    except (ValueError, TypeError) as exc:
        raise SchemaError(f"{where}: flux columns must be numbers ({exc}).") from exc
    y = df[label].to_numpy()
    if pd.isna(y).any():
        raise SchemaError(
            f"{where}: label column {label!r} has {int(pd.isna(y).sum())} missing value(s); "
            "drop or fill those rows first"
        )
    if binary:
        values = set(np.unique(y).tolist())
        if values <= {1, 2}:
            y = y - 1
        elif not values <= {0, 1}:
            raise SchemaError(
                f"{where}: binary=True expects labels in {{1, 2}} (Kaggle) or {{0, 1}}; found "
                f"{sorted(values)[:10]}. Pass binary=False to keep them."
            )
    try:
        y = np.asarray(y).astype(int)
    except (ValueError, TypeError):
        raise SchemaError(
            f"{where}: label column {label!r} must hold whole numbers; found "
            f"{sorted(set(map(str, y)))[:10]}. Encode the classes as integers first "
            "(e.g. pd.factorize(df[label]))"
        ) from None
    return X, y


def scale_rows(X: Any) -> np.ndarray:
    """Scale each row to zero mean and unit variance (a constant row becomes zeros).

    NaN values are left out of a row's mean and spread and stay NaN (an all-NaN row becomes
    zeros); infinite values are an :class:`~spacekit.exceptions.InputError` (they made the
    whole row zeros).

    Parameters
    ----------
    X : array-like of shape (n, m)
        Rows of flux.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, m)``, float64.

    Examples
    --------
    >>> scale_rows([[1.0, 2.0, 3.0], [5.0, 5.0, 5.0]]).round(3).tolist()
    [[-1.225, 0.0, 1.225], [0.0, 0.0, 0.0]]
    """
    a = _as_2d(X)
    _refuse_nonfinite(a, "scale_rows", allow_nan=True)
    with warnings.catch_warnings():  # an all-NaN row: no mean-of-empty-slice warning per row
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(a, axis=1, keepdims=True)
        std = np.nanstd(a, axis=1, keepdims=True)
    safe = np.where(std > 0, std, 1.0)
    return np.where(std > 0, (a - mean) / safe, 0.0)


def add_smoothed_channel(X: Any, size: int = 7, *, mode: str = "nearest") -> np.ndarray:
    """Stack each row with a uniform-filtered (running mean) copy: shape ``(n, m, 2)``.

    Parameters
    ----------
    X : array of shape (n, m)
        Rows of flux.
    size : int
        Width of the running mean in samples.
    mode : str
        How the running mean extends a row past its ends (``scipy.ndimage.uniform_filter1d``'s
        ``mode``): ``"nearest"`` repeats the end sample, ``"reflect"`` (the seed's
        :func:`babel_fish_dispenser`) mirrors the row.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, m, 2)``.

    Raises
    ------
    InputError
        NaN or infinite flux (a running mean spreads one NaN over the rest of the row: fill
        gaps first), or ``size`` not a whole number of at least 1.

    Examples
    --------
    >>> add_smoothed_channel([[0.0, 3.0, 0.0, 3.0]], size=3).shape
    (1, 4, 2)
    """
    from scipy.ndimage import uniform_filter1d

    a = _as_2d(X)
    size = whole_number(size, "size (running-mean width in samples)", minimum=1)
    _refuse_nonfinite(a, "add_smoothed_channel")
    if mode not in _FILTER_MODES:
        raise InputError(f"mode must be one of {list(_FILTER_MODES)}, got {mode!r}")
    smooth = uniform_filter1d(a, size=size, axis=1, mode=mode)
    return np.stack([a, smooth], axis=2)


_FILTER_MODES = ("nearest", "reflect", "mirror", "wrap", "constant")


def fft_features(X: Any, n: int | None = None, *, onesided: bool = True) -> np.ndarray:
    """FFT magnitude of each row: ``|rfft(row)|`` (or the full ``|fft(row)|``).

    Parameters
    ----------
    X : array of shape (n_rows, m)
        Rows of flux (scale them first to drop the zero-frequency term's dominance).
    n : int, optional
        FFT length (rows are cropped or zero-padded), default ``m``.
    onesided : bool
        Return the ``n // 2 + 1`` non-negative frequencies (default), or all ``n``.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_rows, n // 2 + 1)``, or ``(n_rows, n)`` two-sided.

    Raises
    ------
    InputError
        NaN or infinite flux (one would make the row's whole spectrum NaN: fill gaps
        first), or ``n`` not a whole number of at least 1.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.vstack([np.sin(np.arange(16) * np.pi / 2), np.zeros(16)])
    >>> f = fft_features(x)
    >>> f.shape, int(f[0].argmax()), float(f[1].max())
    ((2, 9), 4, 0.0)
    """
    a = _as_2d(X)
    if n is not None:
        n = whole_number(n, "n (FFT length)", minimum=1)
    _refuse_nonfinite(a, "fft_features")
    spec = np.fft.rfft(a, n=n, axis=1) if onesided else np.fft.fft(a, n=n, axis=1)
    return np.abs(spec)


#: Upstream spacekit 1.1.4's ``hypersonic_pliers`` arguments, which this one does not take.
_UPSTREAM_PLIERS = ("path_to_test", "y_col", "skip", "dlm", "encoding", "subtract_y", "reshape")


def hypersonic_pliers(path: str | os.PathLike | pd.DataFrame, *args: Any, **kwargs: Any):
    """Seed alias of :func:`read_flux_table` (same return: ``X, y`` with 0/1 labels).

    Upstream spacekit 1.1.4's version took a second table and returned ``X_train, X_test,
    y_train, y_test`` with raw labels shaped ``(n, 1, 1)`` (``path_to_test``, ``y_col``,
    ``skip``, ``dlm``, ``encoding``, ``subtract_y``, ``reshape``); those arguments raise an
    :class:`~spacekit.exceptions.InputError` saying how to call this one.

    Parameters
    ----------
    path : path or pandas.DataFrame
        As for :func:`read_flux_table`.
    *args
        Refused (upstream's second table): read each table with its own call.
    **kwargs
        As for :func:`read_flux_table`.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``X, y``.

    Examples
    --------
    A table in the Kaggle layout (``LABEL`` 2 = planet, then the flux columns):

    >>> import pandas as pd
    >>> pd.DataFrame({"LABEL": [2, 1], "FLUX.1": [1.0, 3.0], "FLUX.2": [2.0, 4.0]}).to_csv(
    ...     "exoTrain.csv", index=False)
    >>> X, y = hypersonic_pliers("exoTrain.csv")
    >>> X.shape, y.tolist()
    ((2, 2), [1, 0])
    """
    upstream = [k for k in _UPSTREAM_PLIERS if k in kwargs] + (["a second table"] if args else [])
    if upstream:
        raise InputError(
            f"hypersonic_pliers got upstream spacekit 1.1.4's {upstream}: this one reads one "
            "table and returns X, y with labels already 0/1 (no subtract_y) shaped (n,); call "
            "it once per table: X_train, y_train = hypersonic_pliers(train); X_test, y_test = "
            "hypersonic_pliers(test); y.reshape(-1, 1) for a column"
        )
    return read_flux_table(path, **kwargs)


def thermo_fusion_chisel(matrix1: Any, matrix2: Any = None):
    """Seed alias of :func:`scale_rows`; with two matrices returns both scaled.

    Parameters
    ----------
    matrix1 : array-like of shape (n, m)
        Rows of flux.
    matrix2 : array-like, optional
        A second matrix, scaled the same way.

    Returns
    -------
    numpy.ndarray or (numpy.ndarray, numpy.ndarray)
        The scaled matrix, or both.

    Examples
    --------
    >>> thermo_fusion_chisel([[1.0, 3.0]]).tolist()
    [[-1.0, 1.0]]
    """
    if matrix2 is None:
        return scale_rows(matrix1)
    return scale_rows(matrix1), scale_rows(matrix2)


def babel_fish_dispenser(
    matrix1: Any, matrix2: Any = None, step_size: int | None = None, axis: int = 2
):
    """Seed alias of :func:`add_smoothed_channel`, with the seed's numbers: a running mean
    ``step_size`` samples wide (default 200), mirrored at the row ends (``mode="reflect"``).

    The seed and upstream spacekit 1.1.4 both default to 200 samples and scipy's ``"reflect"``
    ends; :func:`add_smoothed_channel` defaults to 7 and ``"nearest"``.

    Parameters
    ----------
    matrix1 : array-like of shape (n, m)
        Rows of flux.
    matrix2 : array-like, optional
        A second matrix, treated the same way.
    step_size : int, optional
        Width of the running mean in samples (default 200).
    axis : int
        Where the two channels are stacked (the seed's ``numpy.stack`` axis): 2 (default) gives
        ``(n, m, 2)``, 1 gives ``(n, 2, m)``, 0 gives ``(2, n, m)``.

    Returns
    -------
    numpy.ndarray or (numpy.ndarray, numpy.ndarray)
        Shape ``(n, m, 2)`` (for ``axis=2``), or both.

    Examples
    --------
    >>> babel_fish_dispenser([[1.0, 2.0, 3.0]]).shape
    (1, 3, 2)
    >>> babel_fish_dispenser([[0.0, 3.0, 0.0]], step_size=3)[0, :, 1].tolist()
    [1.0, 1.0, 1.0]
    """
    size = 200 if step_size is None else step_size
    if axis not in (0, 1, 2, -1, -2, -3):
        raise InputError(f"axis must be 0, 1 or 2 (where the channels are stacked), got {axis!r}")

    def one(m: Any) -> np.ndarray:
        return np.moveaxis(add_smoothed_channel(m, size, mode="reflect"), 2, axis)

    if matrix2 is None:
        return one(matrix1)
    return one(matrix1), one(matrix2)


def fast_fourier(matrix: Any, bins: int | None = None) -> np.ndarray:
    """Seed alias of :func:`fft_features` with the full (two-sided) spectrum of length
    ``bins``.

    Changed from the 2020 seed: that version summed the spectra and wrote the same vector in
    every row, so all rows looked alike to a classifier; each row now gets its own spectrum.

    Parameters
    ----------
    matrix : array-like of shape (n, m)
        Rows of flux.
    bins : int, optional
        FFT length (default ``m``).

    Returns
    -------
    numpy.ndarray
        Shape ``(n, bins)``.

    Examples
    --------
    >>> fast_fourier([[1.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]]).tolist()
    [[1.0, 1.0, 1.0, 1.0], [4.0, 0.0, 0.0, 0.0]]
    """
    return fft_features(matrix, n=bins, onesided=False)

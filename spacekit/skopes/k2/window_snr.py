"""The SNR of each window of a built training set under every definition
(:func:`snr_definitions`, used by :mod:`spacekit.skopes.k2.cv` and the k2 app's ``score``).
Also importable from :mod:`spacekit.skopes.k2.dataset`."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ...exceptions import InputError
from ...utils.progress import progress
from .inject import transit_snr_definitions

__all__ = ["snr_definitions"]


def _relative_rows(X: np.ndarray, flux_unit: str) -> tuple[np.ndarray, str]:
    """The windows as fractional deviations (``ppm / 1e6`` or ``flux / median - 1``)."""
    if flux_unit not in ("auto", "ppm", "relative"):
        raise InputError(f"expected flux_unit 'auto', 'ppm' or 'relative', got {flux_unit!r}")
    if flux_unit == "auto":
        flux_unit = "relative" if float(np.median(X)) > 0.5 else "ppm"
    if flux_unit == "ppm":
        return X / 1e6, flux_unit
    med = np.median(X, axis=1, keepdims=True)
    if np.any(med <= 0):
        raise InputError(
            "a window has median flux <= 0: it is not relative flux around 1; pass flux_unit='ppm'"
        )
    return X / med - 1.0, flux_unit


def _injected_mask(x: np.ndarray, partner: np.ndarray | None, row: Any) -> np.ndarray:
    """In-transit cadences of one injected window, widened by one cadence on each side.

    With the window's un-injected copy (``partner``, same units), the points where the two
    differ by more than the table's rounding; otherwise the ephemeris on an evenly spaced
    time grid (exact for synthetic windows)."""
    from scipy.ndimage import binary_dilation

    n = x.size
    if partner is not None:
        ratio = (1.0 + x) / (1.0 + partner)
        mask = ratio < np.median(ratio) * (1.0 - 1e-6)  # above float32 and csv rounding
    else:
        cad = float(row.cadence_min) / 1440.0
        t = np.arange(n) * cad
        per = float(row.period_d)
        phase = (t - float(row.epoch_offset_d) + 0.5 * per) % per - 0.5 * per
        mask = np.abs(phase) < 0.5 * float(row.duration_h) / 24.0 + 0.5 * cad
    return binary_dilation(mask, iterations=1) if mask.any() else mask


def snr_definitions(
    X: np.ndarray,
    meta: pd.DataFrame,
    *,
    flux_unit: str = "auto",
    show_progress: bool | None = False,
) -> pd.DataFrame:
    """Each injected window's transit SNR under the issue's definition and two other readings.

    For every ``*_injected`` row of a built set,
    :func:`~spacekit.skopes.k2.inject.transit_snr_definitions` from the window's flux and its
    metadata (depth, duration, cadence, in-transit count); the flux table is only read. The
    in-transit points are found exactly: for real windows, where the flux differs from the
    window's un-injected copy (the ``real_noise`` row of copy 0 of the same star, segment and
    start); for synthetic windows (evenly spaced) from the ephemeris. Other rows (negatives,
    the hosts' real transits, whose ephemeris is not in the metadata) get NaN.

    Parameters
    ----------
    X : numpy.ndarray
        The windows, shape ``(n, length)``, as read by
        :func:`~spacekit.skopes.k2.read_flux_table_with_meta` (ppm of each window's median)
        or relative flux around 1.
    meta : pandas.DataFrame
        The set's metadata, one row per window (as written by :func:`build_training_set`).
    flux_unit : {"auto", "ppm", "relative"}
        Units of ``X``; "auto" takes rows around 1 as relative flux, others as ppm.
    show_progress : bool, optional
        Progress bar over the injected windows.

    Returns
    -------
    pandas.DataFrame
        Same index as ``meta``: ``snr`` (recomputed from the table: the issue's definition),
        ``snr_std``, ``snr_timescale``, ``sigma_white``, ``sigma_std``, ``sigma_duration``,
        ``beta`` and ``n_masked`` (points left out as in-transit).

    Examples
    --------
    >>> import tempfile
    >>> from spacekit.skopes.k2.dataset import build_training_set
    >>> from spacekit.skopes.k2.kaggle import read_flux_table_with_meta
    >>> ts = build_training_set(tempfile.mkdtemp(), stars=[], length=800, n_synthetic=4,
    ...                         show_progress=False)
    >>> X, y, meta = read_flux_table_with_meta(ts.path)
    >>> s = snr_definitions(X, meta)
    >>> int(s["snr_timescale"].notna().sum())  # the two injected windows
    2
    """
    X = np.asarray(X, dtype=float)
    meta = meta.reset_index(drop=True)
    if X.ndim != 2 or len(meta) != X.shape[0]:
        raise InputError(
            f"expected X of shape (len(meta)={len(meta)}, length), got {X.shape}; pass the set's "
            "own metadata"
        )
    need = {
        "kind",
        "cadence_min",
        "period_d",
        "epoch_offset_d",
        "duration_h",
        "depth",
        "n_in_transit",
    }
    missing = need - set(meta.columns)
    if missing:
        raise InputError(
            f"the metadata lacks {sorted(missing)}; pass the .meta.csv that build_training_set "
            "wrote"
        )
    R, _ = _relative_rows(X, flux_unit)
    cols = [
        "snr",
        "snr_std",
        "snr_timescale",
        "sigma_white",
        "sigma_std",
        "sigma_duration",
        "beta",
        "n_masked",
    ]
    out = pd.DataFrame(np.nan, index=meta.index, columns=cols)
    kind = meta["kind"].astype(str)
    rows = np.flatnonzero(
        kind.str.endswith("injected").to_numpy() & meta["period_d"].notna().to_numpy()
    )
    partners: dict[tuple, int] = {}
    if {"star", "segment", "start", "copy"} <= set(meta.columns):
        neg = meta[(kind == "real_noise") & (meta["copy"] == 0)]
        partners = {(str(r.star), int(r.segment), int(r.start)): int(i) for i, r in neg.iterrows()}
    for i in progress(rows, desc="k2 SNR definitions", total=len(rows), enabled=show_progress):
        row = meta.iloc[i]
        partner = None
        if kind.iloc[i] == "real_injected" and partners:
            j = partners.get((str(row.star), int(row.segment), int(row.start)))
            partner = None if j is None else R[j]
        mask = _injected_mask(R[i], partner, row)
        s = transit_snr_definitions(
            R[i],
            mask,
            depth=float(row.depth),
            duration=float(row.duration_h) * 60.0 / float(row.cadence_min),
            n_in_transit=int(row.n_in_transit),
        )
        out.iloc[i] = [s[c] for c in cols[:-1]] + [float(mask.sum())]
    return out

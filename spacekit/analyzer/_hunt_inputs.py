"""What :func:`~spacekit.analyzer.hunt.planet_hunter` searches: its settings checked, the
light curve read and cleaned, and the period range, trial durations and detrending window.

Part of :mod:`spacekit.analyzer.hunt`.
"""

from __future__ import annotations

import os
from typing import Any

import astropy.units as u
import numpy as np

from ..exceptions import InputError
from ..transformer.lightcurve import LightCurve, _as_lightcurve, to_days
from ..utils.checks import whole_number
from ._hunt_search import (
    _check_oversample,
    _sorted_cadence,
    central_duration,
    transit_duration_range,
)


def _is_text_file(path: Any) -> bool:
    """A file that is not FITS (by name or magic bytes): a csv or text light curve."""
    name = os.fspath(path).lower()
    if name.endswith((".fits", ".fit", ".fts", ".fits.gz", ".fit.gz")):
        return False
    try:
        with open(path, "rb") as fh:
            return fh.read(9) != b"SIMPLE  ="
    except OSError:
        return False  # read_lightcurve says what is wrong


def _prepare(lc: Any, *, time_format: str | None) -> LightCurve:
    """Read if needed, drop NaNs, sort by time, normalise and clip upward outliers."""
    if not isinstance(lc, LightCurve):
        if isinstance(lc, (str, os.PathLike)):
            from ..transformer import read_lightcurve

            if time_format is None and _is_text_file(lc):
                import warnings

                from ..transformer.readers import NoTimeSystemWarning

                warnings.warn(
                    f"{os.fspath(lc)!r} has no time system (a csv has no header to say it), so "
                    "it is searched in its own time numbers, read as days: periods and "
                    "durations hold, but the epoch is in the file's numbers, not a BJD. Pass "
                    "time_format= ('bkjd' for Kepler/K2, 'btjd' for TESS, 'bjd', 'jd', 'mjd') "
                    "for absolute epochs.",
                    NoTimeSystemWarning,
                    stacklevel=3,
                )
                time_format = "relative"
            lc = read_lightcurve(lc, time_format=time_format)
        elif _as_lightcurve(lc) is not None:
            lc = _as_lightcurve(lc)
        else:
            raise InputError(
                f"planet_hunter expects a LightCurve, an astropy TimeSeries, a lightkurve "
                f"LightCurve or a file path; got {type(lc).__name__}."
            )
    if lc.is_folded:
        raise InputError("planet_hunter needs a time-ordered light curve, not a folded one.")
    if lc._has_err() and not np.isfinite(lc._values("flux_err")).any():
        # no uncertainty anywhere (some HLSPs, a csv of zeros turned NaN): search unweighted
        # rather than drop every row, as from_lightkurve does with such a column
        lc = lc._derive(step="planet_hunter: flux_err has no finite value, not used")
        lc.remove_column("flux_err")
    finite = np.isfinite(lc._flux_values())
    if lc._has_err():
        finite &= np.isfinite(lc._values("flux_err"))
    n_ok = int(np.count_nonzero(finite))
    del finite
    if n_ok < 20:
        raise InputError(
            f"planet_hunter needs at least 20 finite flux values; this light curve has "
            f"{n_ok} of {len(lc)} (all-NaN flux or an aggressive quality mask?)."
        )
    # drop NaNs, sort by time (binning and epochs count from the first row), normalise and
    # clip upward outliers, in one copy of the light curve
    return lc._clean(5.0, "planet_hunter: sorted by time")


def _check_settings(
    engine: str,
    tls_kwargs: dict,
    max_planets: Any,
    fit: Any,
    objective: str,
    oversample: Any,
    threshold: Any,
    snr_threshold: Any,
) -> tuple[int, float]:
    """planet_hunter's settings checked before any work: ``(max_planets, oversample)``."""
    if engine not in ("bls", "tls"):
        raise InputError(f"engine must be 'bls' or 'tls'; got {engine!r}.")
    if engine == "bls" and tls_kwargs:
        raise InputError(
            f"planet_hunter got unexpected keyword argument(s) {sorted(tls_kwargs)}; extra "
            "keywords are passed to transitleastsquares and need engine='tls'. Check the "
            "spelling against planet_hunter's parameters (max_planets, period_min, "
            "period_max, durations, window, threshold, snr_threshold, oversample, "
            "objective, flatten, time_format)."
        )
    max_planets = whole_number(max_planets, "max_planets", minimum=1)
    if fit not in (True, False, "auto"):
        raise InputError(f"fit must be True, False or 'auto'; got {fit!r}.")
    if fit is True:
        from ..utils import optional_import

        optional_import("batman", "planet_hunter(fit=True)")
    if objective not in ("likelihood", "snr"):
        raise InputError(f"objective must be 'likelihood' or 'snr'; got {objective!r}.")
    oversample = _check_oversample(oversample)
    for name, value in (("threshold", threshold), ("snr_threshold", snr_threshold)):
        try:
            ok = np.isfinite(float(value))
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise InputError(f"{name} must be a finite number; got {value!r}.")
    return int(max_planets), oversample


def _trial_durations(durations: Any) -> np.ndarray | None:
    """``durations`` as positive, finite days (None: the default per period octave)."""
    if durations is None:
        return None
    try:
        dur = np.atleast_1d(
            durations.to_value(u.day) if isinstance(durations, u.Quantity) else durations
        ).astype(float)
    except u.UnitConversionError:
        raise InputError(
            f"durations must be times (e.g. [1, 2, 3] * u.hour) or floats in days; got "
            f"a Quantity in {durations.unit}."
        ) from None
    except (TypeError, ValueError):
        raise InputError(
            f"durations must be numbers of days or a time Quantity; got {durations!r}."
        ) from None
    if dur.size == 0 or not np.all(dur > 0) or not np.all(np.isfinite(dur)):
        raise InputError(f"durations must be positive, finite days; got {dur.tolist()}.")
    return dur


def _period_range(baseline: float, period_min: Any, period_max: Any) -> tuple[float, float]:
    """The periods searched, in days: ``period_min`` (default 0.5) to ``period_max``
    (default half the baseline, the longest period that can show two transits)."""
    pmin = 0.5 if period_min is None else to_days(period_min, "period_min")
    pmax = baseline / 2 if period_max is None else to_days(period_max, "period_max")
    if not pmin > 0:
        raise InputError(f"period_min must be a positive number of days; got {pmin:g}.")
    if period_max is not None and not pmax > 0:
        raise InputError(f"period_max must be a positive number of days; got {pmax:g}.")
    if period_max is not None and not pmax > pmin:
        raise InputError(
            f"period_max ({pmax:.4g} d) must exceed period_min ({pmin:.4g} d); swap them."
        )
    if period_max is not None and pmax > baseline:
        # no transit can repeat; the period grid alone would fill the memory (1e300 d)
        raise InputError(
            f"period_max ({pmax:.4g} d) is longer than the light curve's span ({baseline:.4g} "
            f"d), where no transit can repeat; lower it to at most {baseline:.4g} d (the "
            "default is half the span)."
        )
    # with the default period_max, this also says period_max > period_min
    if not baseline > 2 * pmin:
        raise InputError(
            f"the light curve spans {baseline:.3g} days, shorter than two transits of the "
            f"shortest period searched ({pmin:g} d); lower period_min below {baseline / 2:.3g} "
            "days or use a longer light curve."
        )
    return pmin, pmax


def _duration_bounds(
    dur: np.ndarray | None, pmin: float, pmax: float, engine: str, t_raw: np.ndarray
) -> tuple[np.ndarray | None, float, float]:
    """``(durations, shortest, longest)``: the given trial durations (below ``pmin`` for
    BLS), else the range :func:`transit_duration_range` gives from ``pmin`` to ``pmax``."""
    if dur is None:
        raw_cadence = _sorted_cadence(t_raw)
        dmin = float(transit_duration_range(pmin, raw_cadence)[0])
        dmax = float(transit_duration_range(pmax, raw_cadence)[1])
        return None, dmin, dmax
    dur = dur[dur < pmin] if engine == "bls" else dur
    if dur.size == 0:
        raise InputError(
            f"every trial duration is longer than period_min ({pmin:g} d); pass shorter "
            "durations or a longer period_min. Plain numbers are days: for hours pass a "
            "Quantity, e.g. durations=[1, 2, 4] * u.hour."
        )
    return dur, float(dur.min()), float(dur.max())


def _detrend_window(window: Any, pmax: float, dmax: float, *, durations_given: bool) -> float:
    """The running median's window (days): ``window``, else three central transit durations
    at ``pmax`` within 0.5-2 d (at least 2.5 times the longest given duration), so that
    detrending leaves every transit searched alone."""
    if window is not None:
        return to_days(window, "window")
    w = float(np.clip(central_duration(pmax, 3), 0.5, 2.0))
    return max(w, 2.5 * dmax) if durations_given else w

"""The period search of :func:`~spacekit.analyzer.hunt.planet_hunter`: the trial durations
and period grid, binning, box least squares (or transitleastsquares) and the peak
significance of its periodogram.

Part of :mod:`spacekit.analyzer.hunt`, which re-exports every public name.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from astropy.time import Time

from ..exceptions import InputError
from ..transformer.lightcurve import CHUNK_POINTS, LightCurve, _blocks, to_days
from ..utils.checks import positive_number
from ..utils.stats import robust_std

__all__ = ["central_duration", "transit_duration_range", "period_grid"]

log = logging.getLogger("spacekit.analyzer.hunt")


def central_duration(period: Any, scale: float = 1.0) -> Any:
    """``scale`` times the duration (days) of a central transit across a star of the Sun's
    density at ``period`` (days): ``13 h * (P / 365.25 d)**(1/3)``, the yardstick of every
    duration :func:`planet_hunter` searches (:func:`transit_duration_range`), of the period
    grid's step (:func:`period_grid`) and of the default detrending window.

    ``scale`` multiplies first (``scale * 13 / 24 * ...``, left to right), which is how each of
    those callers has always computed it, so their results stay bit-identical.

    Examples
    --------
    >>> round(central_duration(365.25) * 24, 6)
    13.0
    >>> round(float(central_duration(10.0, 0.3)) * 24, 2)
    1.18
    """
    return scale * 13.0 / 24.0 * (period / 365.25) ** (1 / 3)


def transit_duration_range(period: Any, cadence: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Shortest and longest transit durations (days) searched at ``period`` (days).

    A central transit of a Sun-density star lasts ``13 h * (P / 365.25 d)**(1/3)``; the range
    searched is 0.3 to 2.5 times that (dense M dwarfs, grazing transits, evolved stars), at
    least 30 minutes and two cadences, and at most a quarter of the period.

    Parameters
    ----------
    period : float or array-like
        Trial period(s) in days.
    cadence : float
        Sampling interval of the light curve in days (the shortest duration is at least two).

    Returns
    -------
    lo, hi : numpy.ndarray
        Shortest and longest durations in days, shaped like ``period``.

    Examples
    --------
    >>> lo, hi = transit_duration_range(10.0)
    >>> round(float(lo) * 24, 2), round(float(hi) * 24, 2)
    (1.18, 9.8)
    """
    p = np.asarray(period, dtype=float)
    dsun = central_duration(p)
    lo = np.maximum(0.3 * dsun, max(2.0 * cadence, 0.5 / 24))
    hi = np.maximum(np.minimum(2.5 * dsun, p / 4), 1.5 * lo)
    return lo, hi


def period_grid(
    baseline: float,
    period_min: float,
    period_max: float,
    duration_min: float | None = None,
    *,
    oversample: float = 2.0,
    cadence: float = 0.0,
) -> np.ndarray:
    """Trial periods (days) spaced by what a light curve of ``baseline`` days resolves.

    Consecutive periods differ by ``dP = P * d(P) / (oversample * baseline)``: over the whole
    baseline, the predicted transit moves by ``d(P) / oversample``, a fraction of the
    shortest transit duration ``d(P)`` searched at that period (``duration_min`` when given,
    else the lower bound of :func:`transit_duration_range`, which grows as ``P**(1/3)``).

    Parameters
    ----------
    baseline : float or Quantity
        Time span of the light curve (days).
    period_min, period_max : float or Quantity
        First and last trial periods (days).
    duration_min : float or Quantity, optional
        Shortest transit duration searched at every period (days); default the lower bound
        of :func:`transit_duration_range` at each period.
    oversample : float
        Trial periods per shortest-duration shift of the last transit (default 2).
    cadence : float
        Sampling interval (days); floors the shortest duration at two cadences.

    Returns
    -------
    numpy.ndarray
        Increasing trial periods in days, from ``period_min`` to ``period_max``.

    Examples
    --------
    >>> g = period_grid(27.0, 0.5, 13.5)
    >>> bool(g[0] == 0.5 and g[-1] == 13.5 and np.all(np.diff(g) > 0))
    True
    >>> len(g) < len(period_grid(27.0, 0.5, 13.5, oversample=4))
    True
    """
    baseline = to_days(baseline, "baseline")
    period_min = to_days(period_min, "period_min")
    period_max = to_days(period_max, "period_max")
    if duration_min is not None:
        duration_min = to_days(duration_min, "duration_min")
        if not duration_min > 0:
            raise InputError(f"duration_min must be a positive number of days; got {duration_min}.")
    _check_oversample(oversample)
    if not (period_max > period_min > 0):
        raise InputError(
            f"expected 0 < period_min < period_max; got period_min={period_min}, "
            f"period_max={period_max} days."
        )
    if not baseline > 0:
        raise InputError(f"baseline must be positive; got {baseline} days.")
    out = [float(period_min)]
    p = float(period_min)
    scale = 1.0 / (oversample * baseline)
    floor = max(2.0 * cadence, 0.5 / 24)
    while p < period_max:
        if duration_min is not None:
            d = float(duration_min)
        else:
            d = max(central_duration(p, 0.3), floor)
        p += p * d * scale
        out.append(p)
    grid = np.asarray(out)
    grid = grid[grid < period_max]
    return np.append(grid, float(period_max))


def _check_oversample(oversample: Any) -> float:
    """``oversample`` must be a finite positive number: zero divides by zero and a negative
    value makes the period grid run backwards forever."""
    return positive_number(
        oversample,
        "oversample",
        unit=(" (trial periods move the last transit by duration / oversample; 2 is the default)"),
    )


def _sde(power: np.ndarray, window: int = 0) -> tuple[np.ndarray, float, int]:
    """Detrend ``power`` by a running median, normalise to SDE; return (sde array, peak, idx)."""
    p = np.asarray(power, dtype=float)
    p = np.where(np.isfinite(p), p, np.nanmin(p[np.isfinite(p)]) if np.isfinite(p).any() else 0)
    n = p.size
    if n < 3:
        return np.zeros(n), 0.0, int(np.argmax(p)) if n else 0
    if window <= 0:
        window = max(3, min(n // 10, 501) | 1)
    if n > 3 * window:
        from scipy.ndimage import median_filter

        trend = median_filter(p, size=window, mode="nearest")
        sr = p - trend
    else:
        sr = p - np.median(p)
    med = np.median(sr)
    std = robust_std(sr)
    if not std > 0:
        std = np.std(sr)
    if not std > 0:
        return np.zeros(n), 0.0, int(np.argmax(p))
    s = (sr - med) / std
    i = int(np.argmax(s))
    return s, float(s[i]), i


def _bin_arrays(
    t: np.ndarray, y: np.ndarray, dy: np.ndarray, width: float, chunk: int | None = None
):
    """Weighted means in bins of ``width`` days (``t`` sorted); linear in points (no sort).

    Works through the points in blocks of about ``chunk`` (default
    :data:`~spacekit.transformer.lightcurve.CHUNK_POINTS`), each ending at a bin's edge, so
    every bin's sums add the same terms in the same order as one pass over all the points
    (the same numbers), with block-sized temporaries."""
    step = max(1, int(chunk or CHUNK_POINTS))
    n = t.size
    nbins = int(np.floor((t[-1] - t[0]) / width)) + 1
    counts = np.zeros(nbins, dtype=np.int64)
    sums = np.zeros((3, nbins))  # weights, weighted flux, time
    a = 0
    while a < n:
        b = min(a + step, n)
        idx = np.floor((t[a:b] - t[0]) / width).astype(np.int64)
        if b < n:  # end the block where its last bin starts; that bin goes to the next one
            cut = int(np.searchsorted(idx, idx[-1], side="left"))
            if cut > 0:
                b = a + cut
                idx = idx[:cut]
            else:  # one bin fills the whole block: take the rest of its points too
                while b < n:
                    nxt = np.floor((t[b : b + step] - t[0]) / width).astype(np.int64)
                    k = int(np.searchsorted(nxt, idx[-1], side="right"))
                    b += k
                    if k < nxt.size:
                        break
                idx = np.floor((t[a:b] - t[0]) / width).astype(np.int64)
        lo = int(idx[0])
        local = idx - lo
        m = int(local[-1]) + 1
        w = 1.0 / dy[a:b] ** 2
        counts[lo : lo + m] += np.bincount(local, minlength=m)
        sums[0, lo : lo + m] += np.bincount(local, weights=w, minlength=m)
        sums[1, lo : lo + m] += np.bincount(local, weights=y[a:b] * w, minlength=m)
        sums[2, lo : lo + m] += np.bincount(local, weights=t[a:b], minlength=m)
        a = b
    filled = counts > 0
    sw = sums[0][filled]
    tb = sums[2][filled] / counts[filled]
    yb = sums[1][filled] / sw
    dyb = 1.0 / np.sqrt(sw)
    return tb, yb, dyb


def _sorted_cadence(t: np.ndarray) -> float:
    """Median spacing of distinct consecutive times (days) of sorted ``t``, without a sort
    (the positive steps gathered block by block into one array, whose median works in it)."""
    n = max(t.size - 1, 0)
    steps = np.empty(n)
    k = 0
    for a, b in _blocks(n):
        d = np.diff(t[a : b + 1])
        d = d[d > 0]
        steps[k : k + d.size] = d
        k += d.size
    return float(np.median(steps[:k], overwrite_input=True)) if k else float("nan")


def _search_arrays(flat: LightCurve) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray]:
    """``(ref, t, y, dy)``: the first time, days since it, flux and its errors (the scatter
    of the flux where the light curve has no usable errors). ``y`` and ``dy`` are the light
    curve's own columns, not copies."""
    ref = flat.time[0]
    t = flat.time_days(ref)
    y = np.asarray(flat["flux"].value, dtype=float)
    err = np.asarray(flat["flux_err"].value, dtype=float) if "flux_err" in flat.colnames else None
    if err is not None and np.all(np.isfinite(err)) and np.all(err > 0):
        dy = err
    else:
        dy = np.full_like(y, max(float(np.std(y)), 1e-12))
    return ref, t, y, dy


def _binned_for_search(
    t: np.ndarray, y: np.ndarray, dy: np.ndarray, engine: str, cadence: float, width: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What BLS searches: fast-cadence data binned to ``width`` (a third of the shortest
    duration), which keeps the sensitivity and divides the cost; else ``(t, y, dy)``."""
    if engine == "bls" and np.isfinite(cadence) and cadence < width / 1.5:
        return _bin_arrays(t, y, dy, width)
    return t, y, dy


def _duration_chunks(periods: np.ndarray, cadence: float, n_dur: int = 5):
    """Split the grid into period octaves; trial durations of each from
    :func:`transit_duration_range` (below the chunk's shortest period)."""
    chunks = []
    start = 0
    while start < periods.size:
        stop = int(np.searchsorted(periods, periods[start] * 2.0, side="right"))
        stop = max(stop, start + 1)
        pc = periods[start:stop]
        dlo = float(transit_duration_range(pc[0], cadence)[0])
        dhi = float(transit_duration_range(pc[-1], cadence)[1])
        dhi = min(dhi, 0.3 * float(pc[0]))
        dc = np.geomspace(dlo, max(dhi, dlo * 1.01), n_dur)
        chunks.append((pc, dc))
        start = stop
    return chunks


def _search_once(
    t: np.ndarray,
    y: np.ndarray,
    dy: np.ndarray,
    *,
    engine: str,
    period_min: float,
    period_max: float,
    durations: np.ndarray | None,
    oversample: float,
    objective: str,
    tls_kwargs: dict,
) -> dict[str, Any]:
    """One period search of ``(t, y, dy)`` (days, flux, errors): the periodogram
    (``periods``, ``power``, ``sde_arr``: its peak significance) and the best signal
    (``period``, ``duration``, ``t0``, ``depth``, ``snr``, ``sde``; ``tls`` with TLS)."""
    if engine == "tls":
        return _search_tls(t, y, dy, period_min, period_max, tls_kwargs)
    return _search_bls(t, y, dy, period_min, period_max, durations, oversample, objective)


def _search_tls(
    t: np.ndarray,
    y: np.ndarray,
    dy: np.ndarray,
    period_min: float,
    period_max: float,
    tls_kwargs: dict,
) -> dict[str, Any]:
    """:func:`_search_once` with transitleastsquares."""
    import contextlib
    import io

    from ..utils import optional_import

    tls = optional_import("transitleastsquares", "planet_hunter(lc, engine='tls')")
    model = tls.transitleastsquares(t, y, dy)
    kw = {
        "period_min": period_min,
        "period_max": period_max,
        "show_progress_bar": False,
        "use_threads": os.cpu_count() or 1,
        **tls_kwargs,
    }
    # transitleastsquares prints a banner and grid details to stdout; a library must not
    # (it would corrupt `spacekit hunt --json`), so they go to the debug log instead.
    with contextlib.redirect_stdout(io.StringIO()) as chatter:
        r = model.power(**kw)
    if chatter.getvalue().strip():
        log.debug("transitleastsquares: %s", chatter.getvalue().strip())
    periods = np.asarray(r.periods, dtype=float)
    power = np.asarray(r.power, dtype=float)
    order = np.argsort(periods)
    periods, power = periods[order], power[order]
    sde_arr, _, _ = _sde(power)
    period = float(r.period)
    i = int(np.argmin(np.abs(periods - period)))
    return {
        "periods": periods,
        "power": power,
        "sde_arr": sde_arr,
        "period": period,
        "duration": float(r.duration),
        "t0": float(r.T0),
        "depth": float(1 - r.depth) if np.isfinite(r.depth) else float("nan"),
        "snr": float(r.snr) if np.isfinite(r.snr) else float("nan"),
        "sde": float(sde_arr[i]),
        "tls": _tls_statistics(r),
    }


def _search_bls(
    t: np.ndarray,
    y: np.ndarray,
    dy: np.ndarray,
    period_min: float,
    period_max: float,
    durations: np.ndarray | None,
    oversample: float,
    objective: str,
) -> dict[str, Any]:
    """:func:`_search_once` with astropy's box least squares: the grid of
    :func:`period_grid`, trial durations per period octave (or ``durations`` for all), then
    the best peak refined."""
    from astropy.timeseries import BoxLeastSquares

    baseline = float(t.max() - t.min())
    model = BoxLeastSquares(t, y, dy)
    cadence = float(np.median(np.diff(t))) if t.size > 1 else 0.0
    if durations is not None:
        periods = period_grid(
            baseline, period_min, period_max, float(durations.min()), oversample=oversample
        )
        chunks = [(periods, durations)]
    else:
        periods = period_grid(
            baseline, period_min, period_max, oversample=oversample, cadence=cadence
        )
        chunks = _duration_chunks(periods, cadence)
    power = np.concatenate(
        [
            np.asarray(model.power(pc, dc, objective=objective, oversample=2).power, float)
            for pc, dc in chunks
        ]
    )
    sde_arr, sde, i = _sde(power)
    return {
        "periods": periods,
        "power": power,
        "sde_arr": sde_arr,
        "sde": sde,
        **_refine_peak(model, periods, chunks, i, objective),
    }


def _refine_peak(
    model: Any, periods: np.ndarray, chunks: list, i: int, objective: str
) -> dict[str, float]:
    """The best signal near trial period ``i``: a grid 20x finer, three coarse steps either
    side, with the duration set of its chunk made twice as dense."""
    lo = periods[max(i - 3, 0)]
    hi = periods[min(i + 3, periods.size - 1)]
    fine = np.linspace(lo, hi, 121)
    dc = next(dc for pc, dc in chunks if pc[0] <= periods[i] <= pc[-1])
    dfine = np.geomspace(dc.min(), min(dc.max(), 0.99 * lo), 2 * dc.size)
    rf = model.power(fine, dfine, objective=objective, oversample=10)
    j = int(np.nanargmax(rf.power))
    depth = float(rf.depth[j])
    depth_err = float(rf.depth_err[j])
    return {
        "period": float(fine[j]),
        "duration": float(rf.duration[j]),
        "t0": float(rf.transit_time[j]),
        "depth": depth,
        "snr": depth / depth_err if depth_err > 0 else float("nan"),
    }


def _tls_absolute_times(stats: dict | None, ref: Time) -> dict | None:
    """TLS's transit times are days since ``ref`` (the search's zero): make them JDs."""
    if stats is None:
        return None
    out = dict(stats)
    out["transit_times"] = [float(ref.jd) + x for x in stats.get("transit_times", [])]
    return out


def _tls_statistics(r: Any) -> dict[str, Any]:
    """transitleastsquares' own numbers for its best period (its SDE and false-alarm
    probability, rp/rs, per-transit times in the search's days), JSON-ready."""

    def num(name: str) -> float:
        try:
            value = float(getattr(r, name))
        except (TypeError, ValueError, AttributeError):
            return float("nan")
        return value

    times = np.asarray(getattr(r, "transit_times", []) or [], dtype=float)
    return {
        "sde": num("SDE"),
        "fap": num("FAP"),
        "rp_rs": num("rp_rs"),
        "snr": num("snr"),
        "odd_even_mismatch": num("odd_even_mismatch"),
        "transit_count": int(num("transit_count")) if np.isfinite(num("transit_count")) else 0,
        "distinct_transit_count": int(num("distinct_transit_count"))
        if np.isfinite(num("distinct_transit_count"))
        else 0,
        "transit_times": times[np.isfinite(times)].tolist(),
    }


def _transit_mask(
    t: np.ndarray,
    period: float,
    duration: float,
    t0: float,
    factor: float,
    epochs: Sequence[int] | None = None,
):
    """Points within ``factor / 2`` durations of a transit (of the given ``epochs`` only,
    counted from ``t0``, when given); computed in blocks (no full-size float temporaries)."""
    near = np.empty(t.shape, dtype=bool)
    ep = None if epochs is None else np.asarray(epochs)
    for a, b in _blocks(t.size):
        tb = t[a:b]
        phase = (tb - t0 + 0.5 * period) % period - 0.5 * period
        nb = np.abs(phase) < 0.5 * factor * duration
        if ep is not None:
            nb &= np.isin(np.round((tb - t0) / period).astype(np.int64), ep)
        near[a:b] = nb
    return near

"""Scatter and slow trend of a flux series (the noise measurements of :mod:`spacekit.skopes.k2`).

The white-noise scatter from point-to-point differences (:func:`robust_scatter`), running
means and their scatter on a transit's timescale (:func:`running_means`,
:func:`running_mean_scatter`, :func:`timescale_scatter`), and the slow trend: one clipped
running median (:func:`clipped_running_median`) behind :func:`trend_residual`,
:func:`point_scatter` and :func:`spacekit.skopes.k2.whiten.robust_highpass`. Every name is
also importable from :mod:`spacekit.skopes.k2.noise`.

Examples
--------
>>> import numpy as np
>>> x = np.random.default_rng(1).normal(0, 0.01, 20000)
>>> round(robust_scatter(x), 3)
0.01
"""

from __future__ import annotations

import numpy as np

from ...exceptions import InputError
from ...utils.stats import MAD_TO_STD, robust_std

__all__ = [
    "robust_scatter",
    "TREND_WIDTH",
    "running_means",
    "running_mean_scatter",
    "clipped_running_median",
    "trend_residual",
    "point_scatter",
    "timescale_scatter",
]


def robust_scatter(flux: np.ndarray) -> float:
    """Per-point white-noise scatter of a flux series from its point-to-point differences.

    ``1.4826 * median(|diff - median(diff)|) / sqrt(2)``: insensitive to slow trends, transits
    and flares. NaNs are ignored.

    Parameters
    ----------
    flux : numpy.ndarray
        1-D flux series (relative or absolute).

    Returns
    -------
    float
        The scatter, in the units of ``flux``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(1).normal(0, 0.01, 20000)
    >>> round(robust_scatter(x), 3)
    0.01
    """
    d = np.diff(np.asarray(flux, dtype=float))
    d = d[np.isfinite(d)]
    if d.size == 0:
        return float("nan")
    return float(robust_std(d) / np.sqrt(2.0))


#: Width (cadences) of the running median removed before :func:`point_scatter` and
#: :func:`timescale_scatter`: the high-pass of the whitened search
#: (:func:`spacekit.skopes.k2.whiten.robust_highpass` with 3 x its longest trial duration,
#: 200 cadences), far longer than most transits; callers widen it to 3 transit durations for
#: longer transits (:func:`spacekit.skopes.k2.inject.transit_snr_definitions` does).
TREND_WIDTH = 600


def running_means(x: np.ndarray, width: int, *, valid: np.ndarray | None = None) -> np.ndarray:
    """Means of every ``width`` consecutive values of a series (a running mean, no padding).

    Parameters
    ----------
    x : numpy.ndarray
        One series.
    width : int
        Number of values averaged (rounded, at least 1).
    valid : numpy.ndarray of bool, optional
        Only running means whose ``width`` values are all valid are returned (e.g. the
        out-of-transit points); None keeps all ``len(x) - width + 1`` of them.

    Returns
    -------
    numpy.ndarray
        The running means, in order (empty when ``width`` exceeds the series).

    Examples
    --------
    >>> running_means(np.array([1.0, 2.0, 3.0, 4.0]), 2).tolist()
    [1.5, 2.5, 3.5]
    >>> running_means(np.array([1.0, 2.0, 3.0, 4.0]), 2,
    ...               valid=np.array([True, True, False, True])).tolist()
    [1.5]
    """
    x = np.asarray(x, dtype=float)
    d = max(1, int(round(width)))
    if d > x.size:
        return np.zeros(0)
    c = np.concatenate([[0.0], np.cumsum(x)])
    m = (c[d:] - c[:-d]) / d
    if valid is not None:
        valid = np.asarray(valid, dtype=bool)
        if valid.shape != x.shape:
            raise InputError(
                f"valid has shape {valid.shape} but the series {x.shape}; pass one flag per value"
            )
        bad = np.concatenate([[0], np.cumsum(~valid)])
        m = m[(bad[d:] - bad[:-d]) == 0]
    return m


def running_mean_scatter(
    x: np.ndarray, width: int, *, valid: np.ndarray | None = None, center: float | None = None
) -> float:
    """Robust standard deviation (1.4826 x MAD) of a series' ``width``-cadence running mean.

    For white noise of per-point sigma ``s`` it is ``s / sqrt(width)``; correlated ("red")
    noise makes it larger. ``running_mean_scatter(x, d) * sqrt(d) / robust_scatter(x)`` is the
    red-noise factor *beta* at width ``d``.

    Parameters
    ----------
    x : numpy.ndarray
        One series.
    width : int
        Averaging width in cadences.
    valid : numpy.ndarray of bool, optional
        As for :func:`running_means` (means touching an invalid point are left out).
    center : float, optional
        The deviations are taken from this value (e.g. 0 for a detrended series) instead of
        the median of the running means: with few independent means (a width near the series
        length) a median centre biases the scatter low.

    Returns
    -------
    float
        The scatter; NaN when fewer than 2 running means are left.

    Examples
    --------
    >>> x = np.random.default_rng(0).normal(0, 1.0, 40000)
    >>> round(running_mean_scatter(x, 16), 2)  # 1 / sqrt(16)
    0.25
    """
    m = running_means(x, width, valid=valid)
    if m.size < 2:
        return float("nan")
    if center is None:
        return robust_std(m)
    return float(MAD_TO_STD * np.median(np.abs(m - float(center))))


def _running_median(y: np.ndarray, width: int) -> np.ndarray:
    """Centred running median of ``width`` (odd) values ignoring NaNs, edges mirrored
    (``scipy.ndimage.median_filter``'s "reflect"); NaN where a window holds no value."""
    import pandas as pd

    pad = width // 2
    yp = np.pad(y, pad, mode="symmetric")
    med = pd.Series(yp).rolling(width, center=True, min_periods=1).median().to_numpy()
    return med[pad : pad + y.size]


def clipped_running_median(
    x: np.ndarray,
    width: int,
    *,
    keep: np.ndarray | None = None,
    n_iter: int = 3,
    clip: float = 3.0,
) -> np.ndarray:
    """The slow trend of a series: a running median iterated with sigma-clipping.

    A running median of ``width`` cadences (edges mirrored), iterated ``n_iter`` times with the
    points more than ``clip`` robust sigmas (``1.4826 x MAD`` of the residuals) off the current
    trend (flares, transits) replaced by the trend, so a dip does not drag the trend down with
    it. The one implementation behind :func:`trend_residual` and
    :func:`spacekit.skopes.k2.whiten.robust_highpass`.

    Parameters
    ----------
    x : numpy.ndarray
        One finite series.
    width : int
        Running-median window (cadences, at most the series length; an even width is used as
        given, as :func:`scipy.ndimage.median_filter` does).
    keep : numpy.ndarray of bool, optional
        Points the medians and the robust sigma are taken over (the others, e.g. a known
        transit, are skipped: each median over the kept points of its window; NaN where a
        window holds none). Default: every point.
    n_iter : int
        Clipping iterations.
    clip : float
        Clipping threshold in robust sigmas.

    Returns
    -------
    numpy.ndarray
        The trend, one value per point.

    Examples
    --------
    >>> t = np.arange(2000.0)
    >>> x = t / 2000 + 0.1 * np.sin(t / 400); x[1000:1010] -= 0.5
    >>> trend = clipped_running_median(x, 201)
    >>> bool(abs(trend - x)[100:900].max() < 0.01 and abs(trend[1005] - x[1005] - 0.5) < 0.05)
    True
    """
    if keep is None:
        from scipy.ndimage import median_filter

        def median(y: np.ndarray) -> np.ndarray:
            return median_filter(y, size=width, mode="reflect")

        y = x.copy()
    else:

        def median(y: np.ndarray) -> np.ndarray:
            return _running_median(y, width)

        y = np.where(keep, x, np.nan)
    trend = median(y)
    for _ in range(max(0, int(n_iter))):
        r = x - trend
        rk = r if keep is None else r[keep]
        s = robust_std(rk)
        s = s if s > 0 else float(np.std(rk)) or 1.0
        y = np.where(np.abs(r) > clip * s, trend, x)
        if keep is not None:
            y = np.where(keep, y, np.nan)
        trend = median(y)
    return trend


def trend_residual(
    flux: np.ndarray,
    *,
    in_transit: np.ndarray | None = None,
    width: int = TREND_WIDTH,
    n_iter: int = 3,
    clip: float = 3.0,
) -> np.ndarray:
    """A flux series minus its slow trend, with in-transit points kept out of the trend.

    The trend is the high-pass of the whitened search
    (:func:`spacekit.skopes.k2.whiten.robust_highpass`; both use
    :func:`clipped_running_median`): a running median of ``width``
    cadences, iterated ``n_iter`` times with the points more than ``clip`` robust sigmas off
    the trend (flares, deep dips) replaced by the trend. Here the running median skips the
    in-transit points (each median is taken over the out-of-transit points of its window),
    so a transit neither pulls the trend down nor leaves a gap to fill; in-transit points
    get NaN.

    Parameters
    ----------
    flux : numpy.ndarray
        One series of at least 64 finite values (any offset and units).
    in_transit : numpy.ndarray of bool, optional
        Points of a known transit.
    width : int
        Running-median width (cadences; made odd, capped at the series length).
    n_iter : int
        Clipping iterations.
    clip : float
        Clipping threshold in robust sigmas.

    Returns
    -------
    numpy.ndarray
        ``flux - trend`` (NaN in transit).

    Examples
    --------
    >>> t = np.arange(3000.0)
    >>> x = 1e-3 * np.sin(t / 2000) + np.random.default_rng(0).normal(0, 1e-4, t.size)
    >>> r = trend_residual(x)
    >>> bool(abs(np.std(r) / 1e-4 - 1) < 0.1)
    True
    """
    x = np.asarray(flux, dtype=float)
    if x.ndim != 1 or x.size < 64 or not np.isfinite(x).all():
        raise InputError(
            f"expected one finite series of at least 64 cadences, got shape {x.shape}"
            f"{'' if np.isfinite(x).all() else ' with NaN/inf values'}; fill or drop them first"
        )
    keep = np.ones(x.size, dtype=bool)
    if in_transit is not None:
        mask = np.asarray(in_transit, dtype=bool)
        if mask.shape != x.shape:
            raise InputError(
                f"in_transit has shape {mask.shape} but flux {x.shape}; pass one flag per cadence"
            )
        keep = ~mask
    if keep.sum() < 64:
        raise InputError(
            f"only {int(keep.sum())} out-of-transit points are left (at least 64 needed); "
            "pass a longer window or a narrower in-transit mask"
        )
    w = int(min(max(3, int(width)), x.size))
    w -= 1 - w % 2  # odd: a centred window
    trend = clipped_running_median(
        x, w, keep=None if in_transit is None else keep, n_iter=n_iter, clip=clip
    )
    return np.where(keep, x - trend, np.nan)


def point_scatter(
    flux: np.ndarray, *, in_transit: np.ndarray | None = None, width: int = TREND_WIDTH
) -> float:
    """Scatter of single points about the slow trend: red noise included, transits left out.

    ``1.4826 x MAD`` of :func:`trend_residual` over the out-of-transit points: the plain
    reading of "per-point scatter". Unlike :func:`robust_scatter` (point-to-point differences,
    which see the white part of the noise only) it includes the correlated noise faster than
    the trend; on white noise the two agree.

    Parameters
    ----------
    flux : numpy.ndarray
        One series (relative flux for a fractional scatter).
    in_transit : numpy.ndarray of bool, optional
        Points left out (a known transit).
    width : int
        Running-median width of the trend (cadences).

    Returns
    -------
    float

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> white = rng.normal(0, 1e-3, 3000)
    >>> round(point_scatter(white) / robust_scatter(white), 1)
    1.0
    >>> from spacekit.skopes.k2.noise import red_noise
    >>> red = white + red_noise(3000, rms=2e-3, alpha=1.0, rng=rng)
    >>> bool(point_scatter(red) > 1.3 * robust_scatter(red))
    True
    """
    r = trend_residual(flux, in_transit=in_transit, width=width)
    return robust_std(r[np.isfinite(r)])


def timescale_scatter(
    flux: np.ndarray,
    duration: float,
    *,
    in_transit: np.ndarray | None = None,
    width: int = TREND_WIDTH,
) -> float:
    """Scatter of the flux averaged over a transit's duration (a CDPP-like noise level).

    ``1.4826 x MAD`` of the ``duration``-cadence running means of :func:`trend_residual`
    that hold no in-transit point. White noise gives ``sigma / sqrt(duration)``; red noise,
    stellar variability and flares faster than the trend give more: this is the noise a
    transit of that duration competes with.

    Parameters
    ----------
    flux : numpy.ndarray
        One series (relative flux for a fractional scatter).
    duration : float
        Averaging width in cadences (rounded, at least 1).
    in_transit : numpy.ndarray of bool, optional
        Points left out (a known transit).
    width : int
        Running-median width of the trend (cadences).

    Returns
    -------
    float
        NaN when fewer than 2 running means avoid the transits.

    Examples
    --------
    >>> x = np.random.default_rng(2).normal(0, 1e-3, 20000)
    >>> round(timescale_scatter(x, 25) / 1e-3, 2)  # 1 / sqrt(25)
    0.2
    """
    r = trend_residual(flux, in_transit=in_transit, width=width)
    valid = np.isfinite(r)
    return running_mean_scatter(np.where(valid, r, 0.0), duration, valid=valid, center=0.0)

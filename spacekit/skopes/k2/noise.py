"""Documented noise generators for synthetic "no transit" flux windows.

The shared real light curves give only about a dozen non-overlapping 3,197-cadence windows,
so the training-set builder also draws windows from the generators below. Every generator
returns *relative* flux variations around 0 (multiply ``1 + signal`` into a light curve) and
is deterministic given a :class:`numpy.random.Generator`.

Generators and the ranges :func:`synthetic_window` draws from (all documented in
:data:`NOISE_RANGES`):

- **white noise** (always present): Gaussian, per-point sigma log-uniform in
  [5e-5, 3e-3] (Kepler bright star to faint TESS star);
- **red noise**: power-law (1/f^alpha) noise, alpha uniform in [1, 2], rms log-uniform in
  [0.3, 3] x the white sigma;
- **stellar variability**: quasi-periodic rotational spot modulation (fundamental plus first
  harmonic, amplitude and phase drifting on the spot lifetime), rotation period
  log-uniform in [0.5, 30] d, semi-amplitude log-uniform in [1e-4, 1e-2]; with probability
  0.3 also a coherent pulsation with period log-uniform in [0.02, 0.5] d and amplitude
  log-uniform in [3e-5, 1e-3];
- **flares**: a Poisson number of flares with rate log-uniform in [0.2, 3] per day, each a
  fast linear rise (1-10 min) and exponential decay (5-120 min), peak amplitude log-uniform in
  [1e-3, 5e-2], integrated over the cadence.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> t = np.arange(3197) * (29.4 / 1440)
>>> red_noise(t.size, rms=1e-3, alpha=1.5, rng=rng).shape
(3197,)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...exceptions import InputError
from ...utils.stats import MAD_TO_STD, robust_std

__all__ = [
    "NOISE_RANGES",
    "NOISE_KINDS",
    "CADENCES_MIN",
    "white_noise",
    "red_noise",
    "stellar_variability",
    "flares",
    "synthetic_window",
    "robust_scatter",
    "TREND_WIDTH",
    "running_means",
    "running_mean_scatter",
    "clipped_running_median",
    "trend_residual",
    "point_scatter",
    "timescale_scatter",
]

#: The cadences (minutes) synthetic windows are drawn at: those of the real data
#: (Kepler/K2 long cadence, TESS 2-min, Kepler short cadence).
CADENCES_MIN: tuple[float, ...] = (29.4244, 2.0, 0.9808)

#: Kinds of synthetic noise windows (each also has white noise).
NOISE_KINDS: tuple[str, ...] = ("white", "red", "variability", "flares", "mixed")

#: The documented ranges the generators draw from (see the module docstring).
NOISE_RANGES: dict[str, tuple[float, float]] = {
    "white_sigma": (5e-5, 3e-3),
    "red_alpha": (1.0, 2.0),
    "red_rms_over_white": (0.3, 3.0),
    "rotation_period_d": (0.5, 30.0),
    "rotation_amplitude": (1e-4, 1e-2),
    "pulsation_period_d": (0.02, 0.5),
    "pulsation_amplitude": (3e-5, 1e-3),
    "flare_rate_per_d": (0.2, 3.0),
    "flare_amplitude": (1e-3, 5e-2),
    "flare_rise_min": (1.0, 10.0),
    "flare_decay_min": (5.0, 120.0),
}


def _loguniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def _as_rng(rng: Any) -> np.random.Generator:
    """A Generator as given, or ``numpy.random.default_rng(seed)`` for an int seed."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise InputError(
        f"expected rng to be a numpy.random.Generator or an int seed, got {type(rng).__name__}; "
        "e.g. rng=np.random.default_rng(0) or rng=0"
    )


def _check_scale(name: str, value: float) -> float:
    v = float(value)
    if not np.isfinite(v) or v < 0:
        raise InputError(f"expected a finite {name} >= 0, got {value}")
    return v


def _check_n(n: int) -> int:
    if int(n) < 2:
        raise InputError(f"expected at least 2 cadences, got n={n}; pass a longer window")
    return int(n)


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


def white_noise(n: int, *, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Gaussian white noise with per-point standard deviation ``sigma``.

    Examples
    --------
    >>> import numpy as np
    >>> white_noise(4, sigma=0.0, rng=np.random.default_rng(0)).tolist()
    [0.0, 0.0, 0.0, 0.0]
    """
    return _as_rng(rng).normal(0.0, _check_scale("sigma", sigma), _check_n(n))


def red_noise(n: int, *, rms: float, alpha: float, rng: np.random.Generator) -> np.ndarray:
    """Power-law ("red", 1/f^alpha) noise scaled to standard deviation ``rms``.

    Made by shaping white Gaussian noise in Fourier space by ``f**(-alpha/2)``
    (``alpha = 0`` white, 1 pink, 2 brown).

    Parameters
    ----------
    n : int
        Number of cadences.
    rms : float
        Standard deviation of the returned series.
    alpha : float
        Spectral index of the power spectrum.
    rng : numpy.random.Generator or int
        Source of randomness (an int is a seed for ``numpy.random.default_rng``).

    Returns
    -------
    numpy.ndarray
        ``n`` values with mean 0 and standard deviation ``rms``.

    Examples
    --------
    >>> import numpy as np
    >>> x = red_noise(1000, rms=2e-3, alpha=2.0, rng=np.random.default_rng(3))
    >>> round(float(x.std()), 4)
    0.002
    """
    n = _check_n(n)
    rms = _check_scale("rms", rms)
    if not np.isfinite(float(alpha)):
        raise InputError(f"expected a finite spectral index alpha, got {alpha}")
    rng = _as_rng(rng)
    spec = rng.normal(size=n // 2 + 1) + 1j * rng.normal(size=n // 2 + 1)
    freq = np.fft.rfftfreq(n)
    freq[0] = freq[1]
    spec *= freq ** (-float(alpha) / 2.0)
    spec[0] = 0.0
    x = np.fft.irfft(spec, n=n)
    std = x.std()
    return x * (float(rms) / std) if std > 0 else x


def stellar_variability(
    time: np.ndarray,
    *,
    period: float,
    amplitude: float,
    rng: np.random.Generator,
    pulsation: tuple[float, float] | None = None,
) -> np.ndarray:
    """Quasi-periodic rotational modulation by evolving star spots (plus an optional pulsation).

    The signal is a fundamental and a first harmonic of the rotation ``period`` whose
    amplitudes and phases drift as smooth random walks on a spot lifetime of 2-5 rotations.

    Parameters
    ----------
    time : numpy.ndarray
        Times in days.
    period : float
        Rotation period in days.
    amplitude : float
        Semi-amplitude (relative flux) of the fundamental.
    rng : numpy.random.Generator or int
        Source of randomness (an int is a seed for ``numpy.random.default_rng``).
    pulsation : (period_d, amplitude), optional
        Adds a coherent sinusoid.

    Returns
    -------
    numpy.ndarray
        Relative flux variation, same length as ``time``.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.linspace(0, 10, 500)
    >>> x = stellar_variability(t, period=2.0, amplitude=1e-3, rng=np.random.default_rng(0))
    >>> bool(0.5e-3 < np.ptp(x) < 6e-3)
    True
    """
    t = np.asarray(time, dtype=float)
    rng = _as_rng(rng)
    _check_n(t.size)
    if not period > 0:
        raise InputError(f"expected a positive rotation period in days, got {period!r}")
    span = max(float(t[-1] - t[0]), 1e-6)
    lifetime = period * rng.uniform(2.0, 5.0)
    # smooth drifts: a few random Fourier modes slower than the spot lifetime
    n_modes = 3

    def drift(scale: float) -> np.ndarray:
        out = np.zeros_like(t)
        for k in range(1, n_modes + 1):
            f = k / max(lifetime * 2.0, span)
            out += rng.normal(0, scale / k) * np.sin(
                2 * np.pi * f * (t - t[0]) + rng.uniform(0, 2 * np.pi)
            )
        return out

    a1 = amplitude * np.clip(1.0 + drift(0.3), 0.2, None)
    a2 = amplitude * rng.uniform(0.1, 0.5) * np.clip(1.0 + drift(0.3), 0.0, None)
    phi1 = rng.uniform(0, 2 * np.pi) + drift(0.5)
    phi2 = rng.uniform(0, 2 * np.pi) + drift(0.5)
    w = 2 * np.pi / period
    x = a1 * np.sin(w * t + phi1) + a2 * np.sin(2 * w * t + phi2)
    if pulsation is not None:
        p_per, p_amp = pulsation
        x = x + p_amp * np.sin(2 * np.pi * t / p_per + rng.uniform(0, 2 * np.pi))
    return x


def flares(
    time: np.ndarray,
    *,
    rate: float,
    rng: np.random.Generator,
    amplitude_range: tuple[float, float] = NOISE_RANGES["flare_amplitude"],
    rise_min: tuple[float, float] = NOISE_RANGES["flare_rise_min"],
    decay_min: tuple[float, float] = NOISE_RANGES["flare_decay_min"],
) -> np.ndarray:
    """Stellar flares: fast linear rise, exponential decay, averaged over each cadence.

    Parameters
    ----------
    time : numpy.ndarray
        Times in days (evenly or unevenly spaced).
    rate : float
        Mean number of flares per day (Poisson).
    rng : numpy.random.Generator or int
        Source of randomness (an int is a seed for ``numpy.random.default_rng``).
    amplitude_range, rise_min, decay_min : (float, float)
        Log-uniform range of peak amplitude (relative flux), uniform ranges of rise time and
        log-uniform range of e-folding decay time (minutes).

    Returns
    -------
    numpy.ndarray
        Relative flux excess (>= 0), same length as ``time``.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(2000) * (2 / 1440)
    >>> x = flares(t, rate=3.0, rng=np.random.default_rng(2))
    >>> bool(x.min() >= 0 and x.max() > 0)
    True
    """
    t = np.asarray(time, dtype=float)
    rng = _as_rng(rng)
    _check_n(t.size)
    if rate < 0:
        raise InputError(f"expected a flare rate >= 0 per day, got {rate!r}")
    span = float(t[-1] - t[0])
    cadence = float(np.median(np.diff(t)))
    n_flares = rng.poisson(rate * span)
    out = np.zeros_like(t)
    # sample each flare on a fine sub-grid of every cadence, then average (exposure integration)
    sub = np.linspace(-0.5, 0.5, 7) * cadence
    for _ in range(n_flares):
        t_peak = rng.uniform(t[0], t[-1])
        amp = _loguniform(rng, *amplitude_range)
        rise = rng.uniform(*rise_min) / 1440.0
        decay = _loguniform(rng, *decay_min) / 1440.0
        near = (t > t_peak - rise - cadence) & (t < t_peak + 12 * decay + cadence)
        tt = t[near][:, None] + sub[None, :] - t_peak
        shape = np.where(
            tt < 0,
            np.clip(1.0 + tt / rise, 0.0, None),
            np.exp(-np.clip(tt, 0.0, None) / decay),
        )
        out[near] += amp * shape.mean(axis=1)
    return out


def synthetic_window(
    n: int,
    *,
    rng: np.random.Generator,
    kind: str | None = None,
    cadence_min: float | None = None,
) -> tuple[np.ndarray, np.ndarray, dict]:
    """Draw one synthetic "no transit" light-curve window from the documented generators.

    Parameters
    ----------
    n : int
        Number of cadences (3,197 for the Kaggle format).
    rng : numpy.random.Generator or int
        Source of randomness (the window is a pure function of its state); an int is a seed
        for ``numpy.random.default_rng``.
    kind : {"white", "red", "variability", "flares", "mixed"}, optional
        Which generator to add to the white noise; drawn uniformly when None.
    cadence_min : float, optional
        Cadence in minutes; drawn from :data:`CADENCES_MIN` when None.

    Returns
    -------
    time : numpy.ndarray
        Times in days from 0.
    flux : numpy.ndarray
        Relative flux around 1.
    params : dict
        What was drawn (kind, cadence, white sigma, ...), for the dataset metadata.

    Examples
    --------
    >>> import numpy as np
    >>> t, f, p = synthetic_window(3197, rng=np.random.default_rng(5), kind="flares")
    >>> f.shape, p["kind"]
    ((3197,), 'flares')
    """
    n = _check_n(n)
    rng = _as_rng(rng)
    if kind is None:
        kind = str(rng.choice(NOISE_KINDS))
    if kind not in NOISE_KINDS:
        raise InputError(f"expected kind in {NOISE_KINDS}, got {kind!r}")
    if cadence_min is None:
        cadence_min = float(rng.choice(CADENCES_MIN))
    t = np.arange(n) * (cadence_min / 1440.0)
    sigma = _loguniform(rng, *NOISE_RANGES["white_sigma"])
    params: dict = {"kind": kind, "cadence_min": cadence_min, "white_sigma": sigma}
    signal = white_noise(n, sigma=sigma, rng=rng)
    if kind in ("red", "mixed"):
        alpha = rng.uniform(*NOISE_RANGES["red_alpha"])
        rms = sigma * _loguniform(rng, *NOISE_RANGES["red_rms_over_white"])
        signal += red_noise(n, rms=rms, alpha=alpha, rng=rng)
        params.update(red_alpha=alpha, red_rms=rms)
    if kind in ("variability", "mixed"):
        prot = _loguniform(rng, *NOISE_RANGES["rotation_period_d"])
        amp = _loguniform(rng, *NOISE_RANGES["rotation_amplitude"])
        puls = None
        if rng.uniform() < 0.3:
            puls = (
                _loguniform(rng, *NOISE_RANGES["pulsation_period_d"]),
                _loguniform(rng, *NOISE_RANGES["pulsation_amplitude"]),
            )
            params.update(pulsation_period_d=puls[0], pulsation_amplitude=puls[1])
        signal += stellar_variability(t, period=prot, amplitude=amp, rng=rng, pulsation=puls)
        params.update(rotation_period_d=prot, rotation_amplitude=amp)
    if kind in ("flares", "mixed"):
        rate = _loguniform(rng, *NOISE_RANGES["flare_rate_per_d"])
        signal += flares(t, rate=rate, rng=rng)
        params.update(flare_rate_per_d=rate)
    return t, 1.0 + signal, params

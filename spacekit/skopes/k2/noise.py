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

The measurements of a series' scatter and slow trend (:func:`robust_scatter`,
:func:`trend_residual`, :func:`point_scatter`, :func:`timescale_scatter`, ...) live in
:mod:`spacekit.skopes.k2.scatter` and are importable from here too.

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
from .scatter import (  # noqa: F401  (the measurements, importable from here too)
    TREND_WIDTH,
    _running_median,
    clipped_running_median,
    point_scatter,
    robust_scatter,
    running_mean_scatter,
    running_means,
    timescale_scatter,
    trend_residual,
)

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


def white_noise(n: int, *, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Gaussian white noise with per-point standard deviation ``sigma``.

    Parameters
    ----------
    n : int
        Number of points.
    sigma : float
        Standard deviation per point.
    rng : numpy.random.Generator
        The random generator.

    Returns
    -------
    numpy.ndarray
        Shape ``(n,)``.

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

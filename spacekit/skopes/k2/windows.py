"""Fixed-length windows on plain arrays, and masking of known transits.

Windows are cut at the light curve's **native cadence** (no binning): ``length`` consecutive
valid cadences (NaNs and flagged cadences removed first), so one window spans
3,197 x 29.4 min = 65 d of Kepler/K2 long cadence, 4.4 d of TESS 2-min or 2.2 d of Kepler
short cadence. The Kaggle K2 table was made the same way from K2 long cadence.

Examples
--------
>>> import numpy as np
>>> window_starts(10, 4, step=3).tolist()
[0, 3, 6]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ...exceptions import InputError
from .noise import robust_scatter

__all__ = ["Ephemeris", "window_starts", "cut_windows", "in_transit", "mask_transits"]


@dataclass(frozen=True)
class Ephemeris:
    """A known planet's transit ephemeris: period, a mid-transit epoch and duration in days.

    ``epoch`` must be in the same time system as the times it is compared with (spacekit's
    builder uses Julian Date). ``depth`` (fraction) is optional.

    Parameters
    ----------
    period, epoch, duration : float
        Days.
    depth : float, optional
        Fractional depth.
    name : str
        The planet's name.

    Examples
    --------
    >>> Ephemeris(period=2.0, epoch=1.0, duration=0.1).period
    2.0
    """

    period: float
    epoch: float
    duration: float
    depth: float | None = None
    name: str = ""


def window_starts(n: int, length: int, *, step: int | None = None) -> np.ndarray:
    """Start indices of windows of ``length`` cadences every ``step`` cadences.

    Parameters
    ----------
    n : int
        Number of cadences available.
    length : int
        Window length.
    step : int, optional
        Spacing of window starts; ``length`` (non-overlapping) by default.

    Returns
    -------
    numpy.ndarray
        Integer start indices (empty when ``n < length``).

    Examples
    --------
    >>> window_starts(7000, 3197).tolist()
    [0, 3197]
    """
    length = int(length)
    step = length if step is None else int(step)
    if length < 2 or step < 1:
        raise InputError(f"expected length >= 2 and step >= 1, got length={length}, step={step}")
    if n < length:
        return np.zeros(0, dtype=int)
    return np.arange(0, n - length + 1, step, dtype=int)


def cut_windows(flux: np.ndarray, length: int = 3197, *, step: int | None = None) -> np.ndarray:
    """Cut a 1-D series into windows of ``length`` consecutive cadences.

    Parameters
    ----------
    flux : numpy.ndarray
        1-D series without gaps to fill (remove NaNs first).
    length : int
        Window length (3,197 = the Kaggle K2 format).
    step : int, optional
        Spacing of window starts (``length`` = non-overlapping).

    Returns
    -------
    numpy.ndarray
        Array of shape ``(n_windows, length)``.

    Examples
    --------
    >>> import numpy as np
    >>> cut_windows(np.arange(10.0), 4, step=3).shape
    (3, 4)
    """
    x = np.asarray(flux)
    if x.ndim != 1:
        raise InputError(f"expected a 1-D flux series, got shape {x.shape}; pass one light curve")
    starts = window_starts(x.size, length, step=step)
    if starts.size == 0:
        return np.zeros((0, int(length)), dtype=x.dtype)
    return np.stack([x[s : s + int(length)] for s in starts])


def in_transit(
    time: np.ndarray, ephemerides: Iterable[Ephemeris], *, factor: float = 1.0
) -> np.ndarray:
    """Boolean mask of cadences within ``factor`` x half a duration of any mid-transit.

    Parameters
    ----------
    time : numpy.ndarray
        Cadence times (same system as the epochs).
    ephemerides : iterable of Ephemeris
        The planets.
    factor : float
        Multiple of half a duration counted as in transit.

    Returns
    -------
    numpy.ndarray of bool
        Shape of ``time``.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(0, 4, 0.25)
    >>> in_transit(t, [Ephemeris(2.0, 1.0, 0.3)]).nonzero()[0].tolist()
    [4, 12]
    """
    t = np.asarray(time, dtype=float)
    mask = np.zeros(t.shape, dtype=bool)
    for eph in ephemerides:
        if not (eph.period > 0 and eph.duration > 0):
            raise InputError(f"ephemeris needs positive period and duration, got {eph}")
        phase = (t - eph.epoch + 0.5 * eph.period) % eph.period - 0.5 * eph.period
        mask |= np.abs(phase) < factor * eph.duration / 2
    return mask


def mask_transits(
    time: np.ndarray,
    flux: np.ndarray,
    ephemerides: Sequence[Ephemeris],
    *,
    rng: np.random.Generator,
    factor: float = 1.5,
) -> tuple[np.ndarray, np.ndarray]:
    """Replace in-transit cadences of known planets by interpolated flux plus matching noise.

    Each masked cadence gets the straight line between the nearest unmasked cadences on
    either side plus Gaussian noise of the series' point-to-point scatter, so a masked window
    is an honest "no transit" sample with the star's own noise level elsewhere.

    Parameters
    ----------
    time, flux : numpy.ndarray
        The light curve (days, any flux unit).
    ephemerides : sequence of Ephemeris
        Known planets.
    rng : numpy.random.Generator
        Source of the fill noise.
    factor : float
        Mask ``factor`` x the duration around each mid-transit (1.5: a margin for ephemeris
        and duration errors).

    Returns
    -------
    flux : numpy.ndarray
        The masked series (a copy).
    mask : numpy.ndarray
        Which cadences were replaced.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(0, 4, 0.01)
    >>> f = np.where(np.abs((t % 2) - 1) < 0.05, 0.99, 1.0)
    >>> g, m = mask_transits(t, f, [Ephemeris(2.0, 1.0, 0.1)], rng=np.random.default_rng(0))
    >>> bool(g.min() > 0.999 and m.sum() > 0)
    True
    """
    t = np.asarray(time, dtype=float)
    f = np.array(flux, dtype=float)
    mask = in_transit(t, ephemerides, factor=factor)
    if not mask.any():
        return f, mask
    if mask.all():
        raise InputError(
            "every cadence lies in a known transit: cannot make a no-transit series; "
            "check the ephemerides' durations (days) and the masking factor"
        )
    sigma = robust_scatter(f[~mask])
    f[mask] = np.interp(t[mask], t[~mask], f[~mask])
    if np.isfinite(sigma) and sigma > 0:
        f[mask] += rng.normal(0.0, sigma, int(mask.sum()))
    return f, mask

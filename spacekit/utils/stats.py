"""Robust statistics shared by the light-curve code.

Written here rather than calling :func:`scipy.stats.median_abs_deviation` because the
callers run it on many short arrays (per window, per bin): importing ``scipy.stats`` takes
about a second, and each call costs about 6x the numpy expression on a 3,000-point series.
"""

from __future__ import annotations

import numpy as np

__all__ = ["MAD_TO_STD", "robust_std"]

#: scale from the median absolute deviation to the standard deviation of Gaussian noise
#: (1 / the normal distribution's 75th percentile, 1.482602..., rounded as the project's
#: results were computed with it)
MAD_TO_STD = 1.4826


def robust_std(x, axis: int | None = None, *, ignore_nan: bool = False):
    """Standard deviation estimated from the median absolute deviation.

    ``MAD_TO_STD * median(|x - median(x)|)``: equals the standard deviation for Gaussian
    noise and ignores up to half of the points being outliers (transits, flares).

    Parameters
    ----------
    x : array_like
        Values.
    axis : int, optional
        Axis along which to compute; ``None`` uses all values and returns a float.
    ignore_nan : bool
        Skip NaNs (``numpy.nanmedian``). Otherwise a NaN gives NaN.

    Returns
    -------
    float or numpy.ndarray
        The robust scatter; NaN for an empty input.

    Examples
    --------
    >>> import numpy as np
    >>> round(robust_std(np.random.default_rng(0).normal(0, 2.0, 100_000)), 2)
    2.0
    >>> float(robust_std([1.0, 2.0, 3.0, 100.0]))
    1.4826
    >>> robust_std([[1.0, 2.0, 3.0], [0.0, 0.0, 4.0]], axis=1).round(3).tolist()
    [1.483, 0.0]
    """
    a = np.asarray(x, dtype=float)
    if a.size == 0 and axis is None:
        return float("nan")
    med = np.nanmedian if ignore_nan else np.median
    centre = med(a, axis=axis, keepdims=True)
    dev = np.subtract(a, centre)  # a new array: absolute values and the median work in place
    np.abs(dev, out=dev)
    out = MAD_TO_STD * med(dev, axis=axis, overwrite_input=True)
    return float(out) if axis is None else out

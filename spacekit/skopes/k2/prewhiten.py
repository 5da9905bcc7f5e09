"""The noise model of the whitened search (:mod:`spacekit.skopes.k2.whiten`, steps 1 and 2).

The robust high-pass (:func:`robust_highpass`: the clipped running median of
:func:`spacekit.skopes.k2.scatter.clipped_running_median` subtracted), the autoregressive
noise model (:func:`fit_ar`: Yule-Walker coefficients and innovation variance), the AR
whitening filter (:func:`ar_whiten`) and the whitened energy of a box (:func:`box_energy`).
Every name is also importable from :mod:`spacekit.skopes.k2.whiten`.

Examples
--------
>>> import numpy as np
>>> x = np.random.default_rng(0).normal(0, 1, 4000)
>>> phi, s2 = fit_ar(x, 4)
>>> bool(np.all(np.abs(phi) < 0.1) and abs(s2 - 1) < 0.1)
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...exceptions import InputError
from ...utils.stats import robust_std
from .scatter import clipped_running_median

__all__ = ["AR_ORDER", "robust_highpass", "fit_ar", "ar_whiten", "box_energy"]

#: Default AR order of the noise model.
AR_ORDER = 24


def _check_series(x: Any) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    if x.ndim != 1 or x.size < 64:
        raise InputError(f"expected one series of at least 64 cadences, got shape {x.shape}")
    if not np.isfinite(x).all():
        raise InputError("the series holds NaN/inf values; remove or fill them first")
    return x


def _mad_sigma(x: np.ndarray) -> float:
    s = robust_std(x)
    return s if s > 0 else float(np.std(x)) or 1.0


def robust_highpass(
    x: np.ndarray, width: int = 600, *, n_iter: int = 3, clip: float = 3.0
) -> np.ndarray:
    """Subtract a running median of ``width`` cadences, iterated with sigma-clipping.

    Points more than ``clip`` robust sigmas from the current trend (transits, flares) are
    replaced by the trend before the next running median, so a dip does not drag the trend
    down with it (:func:`~spacekit.skopes.k2.noise.clipped_running_median`, also behind
    :func:`~spacekit.skopes.k2.noise.trend_residual`).

    Parameters
    ----------
    x : numpy.ndarray
        One series (at least 64 cadences).
    width : int
        Running-median window (use about 3 x the longest trial duration).
    n_iter : int
        Clipping iterations.
    clip : float
        Clipping threshold in robust sigmas.

    Returns
    -------
    numpy.ndarray
        ``x`` minus the trend.

    Examples
    --------
    >>> t = np.arange(2000.0)
    >>> x = t / 2000 + 0.1 * np.sin(t / 400); x[1000:1010] -= 0.5
    >>> r = robust_highpass(x, 200)
    >>> bool(abs(r[100:900]).max() < 0.01 and r[1005] < -0.45)
    True
    """
    x = _check_series(x)
    width = int(max(3, min(int(width), x.size)))
    return x - clipped_running_median(x, width, n_iter=n_iter, clip=clip)


def fit_ar(
    x: np.ndarray, order: int = AR_ORDER, *, clip: float = 4.0, mask: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """Yule-Walker autoregressive model of a series' noise.

    The series is median-centred and winsorised at ``clip`` robust sigmas (so flares and
    deep transits weigh little); points in ``mask`` (a candidate's transits) are left out of
    the autocovariance (pairs are counted over the unmasked points only).

    Parameters
    ----------
    x : numpy.ndarray
        One series.
    order : int
        Number of AR coefficients.
    clip : float
        Winsorising threshold (robust sigmas).
    mask : numpy.ndarray of bool, optional
        Points to leave out (e.g. the in-transit points of the best candidate).

    Returns
    -------
    phi : numpy.ndarray
        Coefficients ``phi_1 .. phi_order`` (``x_t = sum_k phi_k x_{t-k} + e_t``).
    innovation_variance : float
        Variance of ``e``.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> e = rng.normal(size=20000); x = np.zeros_like(e)
    >>> for t in range(1, e.size): x[t] = 0.8 * x[t - 1] + e[t]
    >>> phi, s2 = fit_ar(x, 2)
    >>> round(float(phi[0]), 1), round(float(phi[1]), 1), round(s2, 1)
    (0.8, 0.0, 1.0)
    """
    from scipy.linalg import solve_toeplitz

    x = _check_series(x)
    order = int(order)
    if order < 1 or order >= x.size // 4:
        raise InputError(
            f"expected 1 <= order < {x.size // 4} (a quarter of the series), got {order}"
        )
    keep = np.ones(x.size, dtype=bool) if mask is None else ~np.asarray(mask, dtype=bool)
    if keep.sum() < 4 * order:
        keep = np.ones(x.size, dtype=bool)
    y = x - np.median(x[keep])
    s = _mad_sigma(y[keep])
    y = np.clip(y, -clip * s, clip * s)
    y = np.where(keep, y - y[keep].mean(), 0.0)
    n = y.size
    nfft = 1 << int(np.ceil(np.log2(2 * n)))
    f = np.fft.rfft(y, nfft)
    acov = np.fft.irfft(f * np.conj(f), nfft)[: order + 1]
    if keep.all():
        acov = acov / n
    else:  # biased estimate over the unmasked points: divide by their count
        acov = acov / keep.sum()
    if not acov[0] > 0:
        return np.zeros(order), 1.0
    try:
        phi = solve_toeplitz(acov[:order], acov[1 : order + 1])
    except np.linalg.LinAlgError:
        return np.zeros(order), float(acov[0])
    s2 = float(acov[0] - phi @ acov[1 : order + 1])
    return np.asarray(phi, dtype=float), max(s2, 1e-12 * float(acov[0]))


def ar_whiten(x: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """Apply the AR prediction-error filter ``e_t = x_t - sum_k phi_k x_{t-k}``.

    The first ``len(phi)`` outputs (no full history) are set to 0.

    Parameters
    ----------
    x : numpy.ndarray
        The series.
    phi : numpy.ndarray
        AR coefficients, lag 1 first.

    Returns
    -------
    numpy.ndarray
        The prediction errors, the shape of ``x``.

    Examples
    --------
    >>> ar_whiten(np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0])).tolist()
    [0.0, 1.0, 1.0, 1.0]
    """
    from scipy.signal import lfilter

    phi = np.asarray(phi, dtype=float)
    e = lfilter(np.concatenate([[1.0], -phi]), [1.0], np.asarray(x, dtype=float))
    e[: phi.size] = 0.0
    return e


def _double_whiten(x: np.ndarray, phi: np.ndarray, s2: float) -> np.ndarray:
    """``A^T A x / s2`` (the series the matched filter sums over boxes)."""
    from scipy.signal import lfilter

    a = np.concatenate([[1.0], -np.asarray(phi, dtype=float)])
    e = ar_whiten(x, phi)
    return lfilter(a, [1.0], e[::-1])[::-1] / s2


def box_energy(duration: int, phi: np.ndarray, s2: float) -> float:
    """``b^T C^-1 b`` of one box of ``duration`` cadences under the AR noise model.

    Parameters
    ----------
    duration : int
        Box length in cadences.
    phi : numpy.ndarray
        AR coefficients, lag 1 first.
    s2 : float
        Variance of the AR innovations.

    Returns
    -------
    float
        The energy.

    Examples
    --------
    >>> box_energy(4, np.zeros(3), 1.0)  # white noise: the number of points
    4.0
    """
    phi = np.asarray(phi, dtype=float)
    d = int(duration)
    b = np.zeros(d + 2 * phi.size + 2)
    b[phi.size + 1 : phi.size + 1 + d] = 1.0
    from scipy.signal import lfilter

    ab = lfilter(np.concatenate([[1.0], -phi]), [1.0], b)
    return float(ab @ ab / s2)

"""Periodic-search (folded) views of flux windows: the second input of the k2 classifier.

A CNN on an unfolded window sees transits one at a time, but the issue's transit SNR sums
over every transit in the window. Following AstroNet (Shallue & Vanderburg 2018), each
preprocessed window (see :func:`spacekit.skopes.k2.classifier.preprocess`) is searched for a
periodic box-shaped dip with :class:`astropy.timeseries.BoxLeastSquares`, in cadence units
(windows carry no time axis), on a log-uniform period grid in three duration-aware passes:

=====  =========================================  ==========================  =============
pass   durations (cadences)                       periods (cadences)           channel
=====  =========================================  ==========================  =============
A      2, 3, 4, 6                                 10 .. window length          short-trend
B      8, 12, 18, 27                              40 .. window length          short-trend
C      40, 60, 90, 135, 200, 300                  330 .. window length         long-trend
=====  =========================================  ==========================  =============

The pass with the highest folded SNR (``sqrt(2 x log-likelihood)`` of the box model, the
series being in units of its scatter) wins; the window is folded at its period and epoch and
binned into a *global view* (``n_global`` bins over the whole phase, transit at the centre)
and a *local view* (``n_local`` bins over +-2.5 durations), plus scalar features: the box
search's, a red-noise profile (:func:`noise_profile`) and the whitened matched-filter search
with its red-noise-aware statistics (:func:`spacekit.skopes.k2.whiten.whitened_features`,
which measures a dip against the noise's own covariance rather than the per-point scatter).

Examples
--------
>>> import numpy as np
>>> from spacekit.skopes.k2.classifier import preprocess
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(1, 1e-3, (1, 1000)); x[0, np.arange(1000) % 97 < 3] -= 1.5e-3
>>> f = fold_features(preprocess(x))
>>> f["global"].shape, f["local"].shape, f["scalars"].shape
((1, 201, 1), (1, 61, 1), (1, 57))
>>> round(float(f["period"][0]))
97
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from ...exceptions import InputError
from ...utils.stats import robust_std
from .whiten import WHITENED_NAMES, for_each_window, whitened_features

__all__ = ["SEARCH_PASSES", "SCALAR_NAMES", "fold_features", "fold_view", "noise_profile"]

log = logging.getLogger(__name__)

#: (durations in cadences, shortest period in cadences, number of periods, channel) per pass.
SEARCH_PASSES: tuple[tuple[tuple[int, ...], int, int, int], ...] = (
    ((3, 6, 12, 24), 30, 500, 2),
    ((40, 60, 90, 135, 200, 300), 330, 100, 0),
)
#: Coarse peaks of the short-duration pass searched again on a fine grid.
REFINE_PEAKS = 3
#: Periods of each fine grid (spanning +-1.5 coarse steps).
REFINE_PERIODS = 80
#: Durations (cadences) of the fine search.
REFINE_DURATIONS: tuple[int, ...] = (2, 3, 4, 6, 9, 13, 19, 27)

#: Names of the scalar features (columns of ``fold_features(...)["scalars"]``).
SCALAR_NAMES: tuple[str, ...] = (
    (
        "log1p_fold_snr",  # folded box SNR of the best period
        "log1p_sde",  # signal detection efficiency of the winning pass's periodogram
        "log1p_single_snr",  # strongest single box event (same duration), in scatter units
        "log_n_transits",  # transits of the best period inside the window
        "log_duration",  # log10 duration (cadences)
        "log_period_over_length",  # log10 period / window length
        "odd_even",  # odd-minus-even depth difference in units of its error
    )
    + tuple(
        f"{stat}_{chan}_{d}"
        for chan in ("long", "short")
        for d in (1, 2, 4, 8, 16, 32, 64, 128, 256)
        for stat in ("log_red", "single_red")
    )
    + WHITENED_NAMES
)  # the whitened matched-filter search (spacekit.skopes.k2.whiten)
#: Box widths (cadences) of the noise profile (see :func:`noise_profile`).
PROFILE_WIDTHS: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64, 128, 256)


def fold_view(
    series: np.ndarray, period: float, epoch: float, *, n_bins: int, half_width: float = 0.5
) -> np.ndarray:
    """Fold one series (cadence units) and bin it around the transit.

    Parameters
    ----------
    series : numpy.ndarray
        One preprocessed channel, shape ``(length,)``.
    period, epoch : float
        Period and mid-transit time in cadences.
    n_bins : int
        Output bins.
    half_width : float
        Half the binned phase range as a fraction of the period (0.5 = the whole orbit).

    Returns
    -------
    numpy.ndarray
        Bin means (empty bins 0), transit in the middle bin.

    Examples
    --------
    >>> s = np.zeros(100); s[::10] = -1
    >>> v = fold_view(s, 10.0, 0.0, n_bins=5)
    >>> v.argmin()
    np.int64(2)
    """
    t = np.arange(series.size, dtype=float)
    phase = (t - epoch) / period
    phase = phase - np.round(phase)  # [-0.5, 0.5], transit at 0
    sel = np.abs(phase) < half_width
    idx = np.floor((phase[sel] / half_width + 1.0) * 0.5 * n_bins).astype(int)
    idx = np.clip(idx, 0, n_bins - 1)
    counts = np.bincount(idx, minlength=n_bins)
    sums = np.bincount(idx, weights=series[sel], minlength=n_bins)
    return np.where(counts > 0, sums / np.maximum(counts, 1), 0.0)


def noise_profile(X: np.ndarray, widths: tuple[int, ...] = PROFILE_WIDTHS) -> np.ndarray:
    """How red each window's noise is, and its strongest dip in units of that noise.

    For every box width ``d``: ``log(beta_d)``, where ``beta_d`` = robust scatter of the
    ``d``-cadence running mean x sqrt(d) / robust per-point scatter (1 for white noise,
    larger for correlated noise), and the deepest ``d``-cadence dip divided by the robust
    scatter of the running mean (a single-event statistic that correlated noise does not
    inflate). Vectorised over windows.

    Parameters
    ----------
    X : numpy.ndarray
        Series, shape ``(n, length)``.
    widths : tuple of int
        Box widths in cadences (those longer than the series are skipped: zeros).

    Returns
    -------
    numpy.ndarray
        Shape ``(n, 2 * len(widths))``: ``log_red, single_red`` per width.

    Examples
    --------
    >>> p = noise_profile(np.random.default_rng(0).normal(0, 1, (3, 2000)))
    >>> p.shape, bool(abs(p[:, 0]).max() < 0.2)
    ((3, 18), True)
    """
    X = np.asarray(X, dtype=float)
    n, length = X.shape
    c = np.concatenate([np.zeros((n, 1)), np.cumsum(X, axis=1)], axis=1)
    s1 = np.maximum(robust_std(X, axis=1), 1e-12)
    out = np.zeros((n, 2 * len(widths)))
    for j, d in enumerate(widths):
        if d >= length:
            continue
        m = (c[:, d:] - c[:, :-d]) / d
        sd = np.maximum(robust_std(m, axis=1), 1e-12)
        out[:, 2 * j] = np.log(sd * np.sqrt(d) / s1 + 1e-6)
        out[:, 2 * j + 1] = np.clip(-(m.min(axis=1) - np.median(m, axis=1)) / sd, -50, 50) / 10.0
    return out


def _single_event_max(series: np.ndarray, duration: int) -> float:
    """Strongest single box dip of ``duration`` cadences, in units of the series scatter."""
    d = max(1, min(int(duration), series.size))
    c = np.concatenate([[0.0], np.cumsum(series)])
    mean = (c[d:] - c[:-d]) / d
    return float(max(0.0, -mean.min()) * np.sqrt(d))


def _top_peaks(power: np.ndarray, periods: np.ndarray, k: int, exclude: float = 0.02) -> list[int]:
    """Indices of the ``k`` highest peaks, each at least ``exclude`` (relative) from the others."""
    p = power.copy()
    out = []
    for _ in range(k):
        i = int(np.argmax(p))
        if p[i] <= 0:
            break
        out.append(i)
        p[np.abs(periods / periods[i] - 1.0) < exclude] = 0.0
    return out


def _bls(t: np.ndarray, y: np.ndarray, periods: np.ndarray, durations: np.ndarray):
    from astropy.timeseries import BoxLeastSquares

    res = BoxLeastSquares(t, y).power(
        periods, durations, method="fast", objective="likelihood", oversample=2
    )
    power = np.where(np.asarray(res.depth) > 0, np.asarray(res.power), 0.0)
    return res, power


def _search_one(z: np.ndarray) -> tuple[float, float, float, float, float, int]:
    """Best (snr, sde, period, epoch, duration, channel) over the passes for one window.

    Each pass runs a coarse log-uniform grid; the ``REFINE_PEAKS`` highest coarse peaks of
    the short-duration passes are searched again on a grid fine enough that a transit of
    the shortest duration stays in phase across the whole window.
    """
    length = z.shape[0]
    t = np.arange(length, dtype=float)
    best = (0.0, 0.0, float(length), 0.0, 2.0, 2)
    for durations, pmin, n_periods, channel in SEARCH_PASSES:
        durs = np.asarray([d for d in durations if d < pmin and d < length / 2], dtype=float)
        if durs.size == 0 or pmin >= length:
            continue
        periods = np.geomspace(pmin, length, n_periods)
        y = z[:, min(channel, z.shape[1] - 1)].astype(float)
        res, power = _bls(t, y, periods, durs)
        sd = float(power.std())
        mean = float(power.mean())
        k = int(np.argmax(power))
        cand = [
            (float(power[k]), float(periods[k]), float(res.transit_time[k]), float(res.duration[k]))
        ]
        if channel == 2:  # short durations: refine the coarse peaks
            step = np.log(length / pmin) / max(n_periods - 1, 1)
            fine_d = np.asarray([d for d in REFINE_DURATIONS if d < pmin], dtype=float)
            for j in _top_peaks(power, periods, REFINE_PEAKS):
                p0 = periods[j]
                fine = p0 * np.exp(np.linspace(-1.5 * step, 1.5 * step, REFINE_PERIODS))
                fine = fine[(fine > fine_d.max()) & (fine <= length)]
                if fine.size == 0:
                    continue
                r2, pw2 = _bls(t, y, fine, fine_d)
                m = int(np.argmax(pw2))
                cand.append(
                    (
                        float(pw2[m]),
                        float(fine[m]),
                        float(r2.transit_time[m]),
                        float(r2.duration[m]),
                    )
                )
        pk, period, epoch, duration = max(cand)
        snr = float(np.sqrt(max(2.0 * pk, 0.0)))
        sde = (pk - mean) / sd if sd > 0 else 0.0
        if snr > best[0]:
            best = (snr, sde, period, epoch, duration, channel)
    return best


def _odd_even(y: np.ndarray, period: float, epoch: float, duration: float) -> float:
    t = np.arange(y.size, dtype=float)
    n = np.round((t - epoch) / period)
    inside = np.abs(t - epoch - n * period) < 0.5 * duration
    odd, even = inside & (n % 2 == 1), inside & (n % 2 == 0)
    if odd.sum() < 1 or even.sum() < 1:
        return 0.0
    diff = y[odd].mean() - y[even].mean()
    err = np.sqrt(1.0 / odd.sum() + 1.0 / even.sum())
    return float(np.clip(diff / err, -20, 20))


def fold_features(
    Z: np.ndarray,
    *,
    n_global: int = 201,
    n_local: int = 61,
    show_progress: bool | None = False,
    workers: int = 1,
) -> dict[str, Any]:
    """Box-search, fold and bin every preprocessed window (see the module docstring).

    Parameters
    ----------
    Z : numpy.ndarray
        Preprocessed windows, shape ``(n, length, channels)`` (channel 0: long-trend detrended,
        channel 2: short-trend detrended, both in units of their scatter).
    n_global, n_local : int
        Bins of the global (whole orbit) and local (+-2.5 durations) views.
    show_progress : bool, optional
        Progress bar over windows.
    workers : int
        Threads searching windows at once (see
        :func:`~spacekit.skopes.k2.whiten.for_each_window`); the features are the same for
        any number.

    Returns
    -------
    dict
        ``global`` ``(n, n_global, 1)`` and ``local`` ``(n, n_local, 1)`` float32 views,
        ``scalars`` ``(n, len(SCALAR_NAMES))`` float32 (the box search's 7 features, the
        :func:`noise_profile` of channels 0 and 2, then the whitened search's
        :data:`~spacekit.skopes.k2.whiten.WHITENED_NAMES` on channel 0), and ``period``, ``epoch``,
        ``duration``, ``snr`` (float arrays, cadence units).

    Examples
    --------
    >>> fold_features(np.zeros((2, 500, 3)))["global"].shape
    (2, 201, 1)
    """
    Z = np.asarray(Z)
    if Z.ndim != 3 or Z.shape[1] < 64:
        raise InputError(
            f"expected preprocessed windows (n, length >= 64, channels), got shape {Z.shape}"
        )
    n, length, _ = Z.shape
    G = np.zeros((n, n_global, 1), dtype=np.float32)
    Lv = np.zeros((n, n_local, 1), dtype=np.float32)
    S = np.zeros((n, len(SCALAR_NAMES)), dtype=np.float32)
    n_box = 7
    n_prof = 4 * len(PROFILE_WIDTHS)
    S[:, n_box : n_box + n_prof] = np.hstack(
        [noise_profile(Z[:, :, 0]), noise_profile(Z[:, :, min(2, Z.shape[2] - 1)])]
    )
    S[:, n_box + n_prof :] = whitened_features(
        Z[:, :, 0], show_progress=show_progress, workers=workers
    )
    out = {k: np.zeros(n) for k in ("period", "epoch", "duration", "snr")}

    def one(i: int) -> None:
        z = Z[i]
        if not np.any(z):
            return
        snr, sde, period, epoch, duration, channel = _search_one(z)
        y = z[:, min(channel, z.shape[1] - 1)].astype(float)
        G[i, :, 0] = fold_view(y, period, epoch, n_bins=n_global)
        Lv[i, :, 0] = fold_view(
            y, period, epoch, n_bins=n_local, half_width=min(0.5, 2.5 * duration / period)
        )
        n_tr = np.floor((length - 1 - epoch) / period) - np.ceil(-epoch / period) + 1
        S[i, :n_box] = (
            np.log1p(snr),
            np.log1p(max(sde, 0.0)),
            np.log1p(_single_event_max(y, int(round(duration)))),
            np.log(max(n_tr, 1.0)),
            np.log10(duration),
            np.log10(period / length),
            _odd_even(y, period, epoch, duration) / 5.0,
        )
        out["period"][i], out["epoch"][i], out["duration"][i], out["snr"][i] = (
            period,
            epoch,
            duration,
            snr,
        )

    for_each_window(one, n, workers=workers, desc="k2 box search", show_progress=show_progress)
    return {"global": G, "local": Lv, "scalars": S, **out}

"""Detection of periodic box-shaped dips in *coloured* noise: pre-whitening and red-noise-aware
statistics (the ``network="whitened"`` features of the k2 classifier).

The box search of :mod:`spacekit.skopes.k2.folded` measures a dip against the per-point
scatter, which is right for white noise only: under red noise (power rising to low
frequencies), stellar variability or flares, a noise window holds dips many times deeper
than the per-point scatter predicts at the width of a transit. The classic detector of a
known shape in Gaussian coloured noise is the *whitened matched filter*: with the noise
covariance ``C``, the statistic of a template ``b`` is ``b^T C^-1 x / sqrt(b^T C^-1 b)``
(standard normal when there is no signal, whatever the noise colour). Here:

1. **robust high-pass** (:func:`robust_highpass`): subtract a running median of ``3 x`` the
   longest trial duration, iterated with sigma-clipping, so transits do not bias the trend;
   points far *above* it (flares, with their decay) are set to it and left out of the noise
   model (a transit is a dip, so none of it is lost);
2. **autoregressive noise model** (:func:`fit_ar`): Yule-Walker coefficients ``phi`` and
   innovation variance ``s2`` of the (winsorised) series, so ``C^-1 = A^T A / s2`` with ``A``
   the AR filter ``e_t = x_t - sum_k phi_k x_{t-k}`` (:func:`ar_whiten`);
3. **whitened box search** (:func:`whitened_box_search`): ``x' = A^T A x / s2`` is searched
   with :class:`astropy.timeseries.BoxLeastSquares` one duration at a time; the sum of ``x'``
   inside the boxes of a periodic train of ``N`` transits of ``d`` cadences is ``b^T C^-1 x``,
   and ``b^T C^-1 b = N e(d)`` (``C^-1`` is banded, so transits farther apart than the AR
   order do not interact), so each duration's BLS power converts to the whitened SNR
   ``sqrt(2 power d / e(d))`` (:func:`box_energy`);
4. **red-noise-aware statistics** of the best candidate (:func:`event_statistics`): the
   per-event whitened SNRs (a periodic transit has equal depths, a red-noise dip does not),
   the strongest single event, the 2nd best period's SNR relative to the best, the signal
   detection efficiency of the whitened periodogram, and the Pont et al. (2006) "pink" SNR
   ``depth / sqrt(s_w^2 / n_in + s_r^2 / N)`` with ``s_r`` measured by binning the
   out-of-transit residuals at the transit width.

:func:`whitened_features` returns all of them per window (:data:`WHITENED_NAMES`).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(0, 1, 3000); x[np.arange(3000) % 150 < 4] -= 1.5
>>> r = whitened_box_search(x)
>>> round(r["period"]), bool(r["snr"] > 10)
(150, True)
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from ...exceptions import InputError
from ...utils.progress import progress
from .prewhiten import (  # noqa: F401  (steps 1 and 2, importable from here too)
    AR_ORDER,
    _check_series,
    _double_whiten,
    _mad_sigma,
    ar_whiten,
    box_energy,
    fit_ar,
    robust_highpass,
)
from .scatter import running_means

__all__ = [
    "DURATIONS",
    "WHITENED_NAMES",
    "robust_highpass",
    "fit_ar",
    "ar_whiten",
    "box_energy",
    "whitened_box_search",
    "whitened_snr_at",
    "event_statistics",
    "whitened_features",
]

log = logging.getLogger(__name__)

#: Trial durations (cadences) of the whitened search, and the shortest period searched for
#: each (so at least ~2.5 durations separate transits).
DURATIONS: tuple[int, ...] = (2, 3, 5, 8, 12, 18, 27, 40, 60, 90, 135, 200)
#: Coarse periods per duration (log-uniform, shortest period to the window length).
N_PERIODS = 400
#: Coarse peaks refined on a fine grid.
REFINE_PEAKS = 3
#: Periods of each fine grid.
REFINE_PERIODS = 60

#: Cadences masked on either side of a flare's points (see ``flare_clip``).
FLARE_DILATION = 5

#: Names of the columns of :func:`whitened_features`.
WHITENED_NAMES: tuple[str, ...] = (
    "w_log1p_snr",  # whitened matched-filter SNR of the best periodic box train
    "w_log1p_sde",  # signal detection efficiency of the whitened SNR periodogram
    "w_second_ratio",  # best SNR of a period not within 2% (or a harmonic) of the best, / best
    "w_log1p_single",  # strongest single whitened box event (same duration)
    "w_log_n_events",  # transits of the best period in the window
    "w_log_duration",
    "w_log_period_over_length",
    "w_event_chi2",  # scatter of per-event SNRs about their mean (1: consistent depths)
    "w_event_dominance",  # strongest event's share of the summed event SNR
    "w_event_min_over_mean",  # weakest event SNR / mean event SNR
    "w_log1p_pink_snr",  # Pont et al. (2006) SNR with the box-scale red noise
    "w_log_beta",  # box-scale scatter / white expectation at the best duration
    "w_log_innovation",  # log innovation variance of the AR model (unit-variance input)
    "w_ar_sum",  # sum of the AR coefficients (1: random walk, 0: white)
)


def _bls_power(t: np.ndarray, y: np.ndarray, periods: np.ndarray, duration: float):
    from astropy.timeseries import BoxLeastSquares

    res = BoxLeastSquares(t, y).power(
        periods, duration, method="fast", objective="likelihood", oversample=4
    )
    power = np.where(np.asarray(res.depth) > 0, np.asarray(res.power), 0.0)
    return power, np.asarray(res.transit_time)


def _binned(y: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Sums of ``k`` consecutive values and their centre times (cadence units)."""
    m = y.size // k
    return (np.arange(m) * k + 0.5 * (k - 1)), y[: m * k].reshape(m, k).sum(axis=1)


def _flare_mask(r: np.ndarray, clip: float) -> np.ndarray:
    """Points above ``clip`` (unit-scatter series), grown forward along the flare's decay
    while the series stays above 1 sigma, then by ``FLARE_DILATION`` cadences either side."""
    from scipy.ndimage import binary_dilation

    m = r > clip
    if not m.any():
        return m
    high = r > 1.0
    for _ in range(r.size):
        grown = m | (np.concatenate([[False], m[:-1]]) & high)
        if (grown == m).all():
            break
        m = grown
    return binary_dilation(m, iterations=FLARE_DILATION)


def _candidate_mask(
    length: int, period: float, epoch: float, duration: float, factor: float = 1.5
) -> np.ndarray:
    """Points within ``factor`` x half a duration of the candidate's mid-transits."""
    t = np.arange(length, dtype=float)
    phase = (t - epoch + 0.5 * period) % period - 0.5 * period
    return np.abs(phase) < 0.5 * factor * max(duration, 1.0)


def _search(
    r: np.ndarray, phi: np.ndarray, s2: float, durs: list[int], n_periods: int
) -> dict[str, Any]:
    """One whitened search of ``r`` under the AR model ``(phi, s2)``."""
    xf = _double_whiten(r, phi, s2)
    best, per_duration, series = _coarse_search(xf, phi, s2, durs, n_periods)
    # refine the strongest coarse peaks of the winning duration (and neighbouring durations)
    d_best = int(best[3])
    cand = [best]
    for d, periods, snr, k in per_duration:
        if d == d_best:
            cand += _refined_peaks(periods, snr, d, series[k], k, r.size, phi, s2)
    snr_best, period, epoch, duration = max(cand)
    grid, env, sde, second = _periodogram_stats(per_duration, d_best, snr_best, period)
    return {
        "snr": snr_best,
        "period": period,
        "epoch": epoch,
        "duration": duration,
        "sde": sde,
        "second_ratio": second,
        "periods": grid,
        "snr_periodogram": env,
        "filtered": xf,
    }


def _coarse_search(
    xf: np.ndarray, phi: np.ndarray, s2: float, durs: list[int], n_periods: int
) -> tuple[tuple[float, float, float, float], list, dict]:
    """Best ``(snr, period, epoch, duration)`` on the coarse grids, each duration's SNRs, series."""
    length = xf.size
    t_full = np.arange(length, dtype=float)
    best: tuple[float, float, float, float] = (0.0, float(length), 0.0, float(durs[0]))
    per_duration = []
    series: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for d in durs:
        pmin = max(2.5 * d, 10.0)
        if pmin >= length:
            continue
        periods = np.geomspace(pmin, length, int(n_periods))
        k = max(1, d // 4)  # box sums are linear: bin by a quarter duration for long boxes
        if k not in series:
            if k == 1:
                series[k] = (t_full, xf)
            else:
                tb, yb = _binned(xf, k)
                series[k] = (tb, yb / k)  # means: BLS depth x d stays the box sum
        t, y = series[k]
        power, t0 = _bls_power(t, y, periods, float(d))
        factor = float(d) / box_energy(d, phi, s2) * k
        snr = np.sqrt(np.maximum(2.0 * power * factor, 0.0))
        per_duration.append((d, periods, snr, k))
        i = int(np.argmax(snr))
        if snr[i] > best[0]:
            best = (float(snr[i]), float(periods[i]), float(t0[i]), float(d))
    return best, per_duration, series


def _refined_peaks(
    periods: np.ndarray,
    snr: np.ndarray,
    d: int,
    ty: tuple[np.ndarray, np.ndarray],
    k: int,
    length: int,
    phi: np.ndarray,
    s2: float,
) -> list[tuple[float, float, float, float]]:
    """Candidates on fine period grids around duration ``d``'s strongest distinct peaks."""
    step = np.log(periods[-1] / periods[0]) / max(len(periods) - 1, 1)
    taken: list[float] = []
    cand = []
    for j in np.argsort(snr)[::-1]:
        if len(taken) >= REFINE_PEAKS or snr[j] <= 0:
            break
        if any(abs(periods[j] / p - 1) < 0.02 for p in taken):
            continue
        taken.append(float(periods[j]))
        fine = periods[j] * np.exp(np.linspace(-1.5 * step, 1.5 * step, REFINE_PERIODS))
        fine = fine[(fine >= max(2.5 * d, 10.0)) & (fine <= length)]
        if fine.size == 0:
            continue
        for dd in sorted({max(2, int(round(d * 0.8))), d, int(round(d * 1.25))}):
            if dd > length // 5:
                continue
            p2, tt = _bls_power(*ty, fine, float(dd))
            s = np.sqrt(np.maximum(2.0 * p2 * float(dd) / box_energy(dd, phi, s2) * k, 0.0))
            m = int(np.argmax(s))
            cand.append((float(s[m]), float(fine[m]), float(tt[m]), float(dd)))
    return cand


def _periodogram_stats(
    per_duration: list, d_best: int, snr_best: float, period: float
) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Envelope over durations on the winning duration's grid, its SDE and second-peak ratio."""
    grid, env = next((p, s.copy()) for d, p, s, _k in per_duration if d == d_best)
    for _d, periods, snr, _k in per_duration:
        env = np.maximum(env, np.interp(grid, periods, snr, left=0.0, right=0.0))
    sd = float(env.std())
    sde = float((snr_best - env.mean()) / sd) if sd > 0 else 0.0
    ratio = grid / period
    harmonic = np.zeros(grid.size, dtype=bool)
    for h in (0.25, 1 / 3, 0.5, 2 / 3, 1.0, 1.5, 2.0, 3.0, 4.0):
        harmonic |= np.abs(ratio / h - 1) < 0.02
    others = env[~harmonic]
    second = float(others.max() / snr_best) if others.size and snr_best > 0 else 0.0
    return grid, env, sde, second


def whitened_box_search(
    x: np.ndarray,
    *,
    durations: tuple[int, ...] = DURATIONS,
    order: int = AR_ORDER,
    n_periods: int = N_PERIODS,
    highpass: bool = True,
    mask_passes: int = 1,
    flare_clip: float | None = 3.0,
) -> dict[str, Any]:
    """Whitened matched-filter search for a periodic box train (see the module docstring).

    Parameters
    ----------
    x : numpy.ndarray
        One series in cadence units (e.g. a preprocessed window's long-trend channel).
    durations : tuple of int
        Trial durations (cadences); those longer than a fifth of the series are skipped.
    order : int
        AR order of the noise model.
    n_periods : int
        Coarse periods per duration, log-uniform from ``max(2.5 d, 10)`` to the series length.
    highpass : bool
        Apply :func:`robust_highpass` (width 3 x the longest duration) first.
    mask_passes : int
        Times the noise model is refitted without the best candidate's in-transit points
        (1.5 durations around each) and the series searched again: a long, deep transit
        would otherwise enter the autocovariance as "red noise" and whiten itself away.
    flare_clip : float or None
        Points more than this many robust sigmas *above* the trend, the decay after them
        (while above 1 sigma) and 5 cadences on either side are set to the trend and left out
        of the noise model (a transit is a dip, so nothing of it is lost); None keeps them.

    Returns
    -------
    dict
        ``snr`` (whitened SNR of the best train), ``period``, ``epoch``, ``duration``
        (cadences), ``sde``, ``second_ratio``, ``periods`` and ``snr_periodogram`` (the
        envelope over durations on the best duration's coarse grid), ``phi``, ``s2``,
        ``residual`` (the high-passed series, unit robust scatter) and ``filtered``
        (``A^T A residual / s2``).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> r = whitened_box_search(rng.normal(0, 1, 2000))
    >>> bool(r["snr"] < 7)
    True
    """
    x = _check_series(x)
    length = x.size
    durs = [int(d) for d in durations if int(d) <= length // 5]
    if not durs:
        raise InputError(
            f"no trial duration fits a series of {length} cadences; pass shorter durations"
        )
    r = robust_highpass(x, 3 * max(durs)) if highpass else x - np.median(x)
    r = r / _mad_sigma(r)
    flared = np.zeros(length, dtype=bool)
    if flare_clip is not None:
        flared = _flare_mask(r, float(flare_clip))
        r = np.where(flared, 0.0, r)
    order = min(int(order), length // 4 - 1)
    phi, s2 = fit_ar(r, order=order, mask=flared if flared.any() else None)
    res = _search(r, phi, s2, durs, n_periods)
    for _ in range(max(0, int(mask_passes))):
        mask = _candidate_mask(length, res["period"], res["epoch"], res["duration"]) | flared
        phi, s2 = fit_ar(r, order=order, mask=mask)
        res = _search(r, phi, s2, durs, n_periods)
    return {**res, "phi": phi, "s2": s2, "residual": r}


def whitened_snr_at(
    x: np.ndarray,
    period: float,
    epoch: float,
    duration: float,
    *,
    order: int = AR_ORDER,
    highpass_width: int = 3 * max(DURATIONS),
    flare_clip: float | None = 3.0,
) -> float:
    """Whitened matched-filter SNR of a *given* periodic box train (no search).

    The series goes through the same steps as :func:`whitened_box_search` (robust
    high-pass, flare clipping), the noise model is fitted without the train's in-transit
    points (1.5 durations around each), and the statistic is ``b^T C^-1 x / sqrt(b^T C^-1 b)``
    for the box train ``b`` (transits where ``x`` dips give positive values). Useful to vet a
    known ephemeris, or to ask how detectable an injected transit is in its noise.

    Parameters
    ----------
    x : numpy.ndarray
        One series (cadence units).
    period, epoch, duration : float
        The train, in cadences (epoch: a mid-transit, 0 = first cadence).
    order : int
        AR order of the noise model.
    highpass_width : int
        Running-median width of :func:`robust_highpass`.
    flare_clip : float or None
        As for :func:`whitened_box_search`.

    Returns
    -------
    float

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> x = rng.normal(0, 1, 3000); x[np.arange(3000) % 300 < 5] -= 1.0
    >>> bool(6 < whitened_snr_at(x, 300.0, 2.0, 5.0) < 9)  # 1 sigma x sqrt(5 x 10) ~ 7
    True
    """
    x = _check_series(x)
    if not (
        np.isfinite([period, epoch, duration]).all() and float(period) > 0 and float(duration) >= 0
    ):
        raise InputError(
            f"expected a finite period > 0, epoch and duration >= 0 (in cadences), got "
            f"period={period}, epoch={epoch}, duration={duration}"
        )
    length = x.size
    t = np.arange(length, dtype=float)
    phase = (t - float(epoch) + 0.5 * float(period)) % float(period) - 0.5 * float(period)
    d = max(float(duration), 1.0)
    box = (np.abs(phase) <= 0.5 * d).astype(float)
    if not box.any():
        return 0.0
    r = robust_highpass(x, int(highpass_width))
    r = r / _mad_sigma(r)
    flared = (
        _flare_mask(r, float(flare_clip))
        if flare_clip is not None
        else np.zeros(length, dtype=bool)
    )
    r = np.where(flared, 0.0, r)
    phi, s2 = fit_ar(r, min(int(order), length // 4 - 1), mask=(np.abs(phase) < 0.75 * d) | flared)
    ab = ar_whiten(box, phi)
    energy = float(ab @ ab / s2)
    return float(-(_double_whiten(r, phi, s2) @ box) / np.sqrt(energy)) if energy > 0 else 0.0


def event_statistics(
    residual: np.ndarray,
    filtered: np.ndarray,
    period: float,
    epoch: float,
    duration: float,
    phi: np.ndarray,
    s2: float,
) -> dict[str, float]:
    """Per-event and red-noise-aware statistics of one periodic box candidate.

    Parameters
    ----------
    residual : numpy.ndarray
        The high-passed series (unit robust scatter) the candidate was found in.
    filtered : numpy.ndarray
        ``A^T A residual / s2`` (from :func:`whitened_box_search`).
    period, epoch, duration : float
        The candidate (cadences).
    phi, s2 : numpy.ndarray, float
        The AR noise model.

    Returns
    -------
    dict
        ``n_events``; ``event_chi2`` (variance of the per-event whitened SNRs about their
        mean: about 1 for equal-depth transits in any noise, large when one dip carries the
        signal); ``dominance`` (strongest event / sum of positive events); ``min_over_mean``;
        ``single`` (strongest whitened single box of this duration anywhere);
        ``pink_snr`` (Pont et al. 2006: ``depth / sqrt(s_w^2 / n_in + s_r^2 / N)``, ``s_w``
        the per-point and ``s_r`` the box-scale red scatter of the out-of-transit points);
        ``beta`` (box-scale scatter / white expectation).

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> x = rng.normal(0, 1, 2000); x[np.arange(2000) % 200 < 5] -= 2.0
    >>> r = whitened_box_search(x)
    >>> s = event_statistics(r["residual"], r["filtered"], r["period"], r["epoch"],
    ...                      r["duration"], r["phi"], r["s2"])
    >>> s["n_events"], bool(s["dominance"] < 0.3)
    (10, True)
    """
    x = np.asarray(residual, dtype=float)
    xf = np.asarray(filtered, dtype=float)
    length = x.size
    d = max(1, int(round(duration)))
    e = box_energy(d, phi, s2)
    c = np.concatenate([[0.0], np.cumsum(xf)])
    # strongest single whitened event of this duration anywhere
    sums = c[d:] - c[:-d]
    single = float(max(0.0, -sums.min()) / np.sqrt(e))
    k0 = int(np.ceil((0 - epoch) / period - 1e-9))
    k1 = int(np.floor((length - 1 - epoch) / period + 1e-9))
    ev = []
    inside = np.zeros(length, dtype=bool)
    for k in range(k0 - 1, k1 + 2):
        a = int(round(epoch + k * period - 0.5 * d))
        a, b = max(a, 0), min(a + d, length)
        if 2 * (b - a) < d:  # less than half of this event inside the window
            continue
        ev.append(-(c[b] - c[a]) / np.sqrt(e if b - a == d else box_energy(b - a, phi, s2)))
        inside[a:b] = True
    ev_arr = np.asarray(ev, dtype=float)
    n_ev = int(ev_arr.size)
    if n_ev >= 2:
        mean = float(ev_arr.mean())
        chi2 = float(((ev_arr - mean) ** 2).sum() / (n_ev - 1))
        pos = np.clip(ev_arr, 0, None)
        dominance = float(pos.max() / pos.sum()) if pos.sum() > 0 else 1.0
        min_over_mean = float(np.clip(ev_arr.min() / mean, -5, 5)) if mean > 0 else -5.0
    else:
        chi2, dominance, min_over_mean = 1.0, 1.0, 1.0
    # Pont et al. (2006) SNR on the unwhitened residual
    out = x[~inside] if inside.any() and (~inside).sum() > 4 * d else x
    depth = float(np.median(out) - x[inside].mean()) if inside.any() else 0.0
    s_w = _mad_sigma(np.diff(out)) / np.sqrt(2.0)
    if out.size >= 4 * d and d > 1:
        s_d = _mad_sigma(running_means(out - out.mean(), d))
    else:
        s_d = s_w / np.sqrt(d)
    s_r2 = max(s_d**2 - s_w**2 / d, 0.0)
    n_in = max(int(inside.sum()), 1)
    pink = depth / np.sqrt(s_w**2 / n_in + s_r2 / max(n_ev, 1))
    beta = s_d * np.sqrt(d) / s_w if s_w > 0 else 1.0
    return {
        "n_events": n_ev,
        "event_chi2": chi2,
        "dominance": dominance,
        "min_over_mean": min_over_mean,
        "single": single,
        "pink_snr": float(pink),
        "beta": float(beta),
    }


def whitened_features(
    series: np.ndarray,
    *,
    order: int = AR_ORDER,
    durations: tuple[int, ...] = DURATIONS,
    n_periods: int = N_PERIODS,
    show_progress: bool | None = False,
    workers: int = 1,
) -> np.ndarray:
    """The whitened-search features (:data:`WHITENED_NAMES`) of each series.

    Parameters
    ----------
    series : numpy.ndarray
        Shape ``(n, length)``: one channel per window (the k2 classifier passes the
        long-trend channel of :func:`spacekit.skopes.k2.classifier.preprocess`).
    order, durations, n_periods
        As for :func:`whitened_box_search`.
    show_progress : bool, optional
        Progress bar over windows.
    workers : int
        Threads searching windows at once (see :func:`for_each_window`); the features are the
        same for any number.

    Returns
    -------
    numpy.ndarray
        float32, shape ``(n, len(WHITENED_NAMES))``; all-zero series give zeros.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> F = whitened_features(rng.normal(0, 1, (2, 1500)))
    >>> F.shape
    (2, 14)
    """
    S = np.asarray(series, dtype=float)
    if S.ndim != 2 or S.shape[1] < 64:
        raise InputError(f"expected series of shape (n, length >= 64), got {S.shape}")
    n, length = S.shape
    F = np.zeros((n, len(WHITENED_NAMES)), dtype=np.float32)

    def one(i: int) -> None:
        x = S[i]
        if not np.any(x) or not np.isfinite(x).all():
            return
        r = whitened_box_search(x, durations=durations, order=order, n_periods=n_periods)
        st = event_statistics(
            r["residual"], r["filtered"], r["period"], r["epoch"], r["duration"], r["phi"], r["s2"]
        )
        F[i] = (
            np.log1p(r["snr"]),
            np.log1p(max(r["sde"], 0.0)),
            r["second_ratio"],
            np.log1p(st["single"]),
            np.log(max(st["n_events"], 1)),
            np.log10(r["duration"]),
            np.log10(r["period"] / length),
            np.log(max(st["event_chi2"], 1e-3)),
            st["dominance"],
            st["min_over_mean"],
            np.sign(st["pink_snr"]) * np.log1p(abs(st["pink_snr"])),
            np.log(max(st["beta"], 1e-3)),
            np.log(max(r["s2"], 1e-12)),
            float(np.sum(r["phi"])),
        )

    for_each_window(one, n, workers=workers, desc="k2 whitened search", show_progress=show_progress)
    return F


def for_each_window(
    fn, n: int, *, workers: int = 1, desc: str = "", show_progress: bool | None = False
) -> None:
    """Call ``fn(i)`` for ``i`` in ``range(n)``, in ``workers`` threads, with a progress bar.

    The searches spend most of their time in numpy and astropy code that releases Python's
    lock, so threads overlap; measured here, 2 threads on the 2-core machine gave 1.2x at low
    load and were slower when other jobs held the cores, hence the default of 1.

    Examples
    --------
    >>> out = [0] * 4
    >>> for_each_window(lambda i: out.__setitem__(i, i * i), 4, workers=2)
    >>> out
    [0, 1, 4, 9]
    """
    if int(workers) < 1:
        raise InputError(f"expected workers >= 1, got {workers}")
    if int(workers) == 1 or n < 2:
        for i in progress(range(n), desc=desc, total=n, enabled=show_progress):
            fn(i)
        return
    with ThreadPoolExecutor(max_workers=int(workers)) as pool:
        for _ in progress(pool.map(fn, range(n)), desc=desc, total=n, enabled=show_progress):
            pass

"""skopes.k2 whitened matched-filter search and red-noise-aware statistics.

Small arrays (1,500-3,000 cadences), a handful of searches: a few seconds in all.
"""

from __future__ import annotations

import numpy as np
import pytest

from spacekit.exceptions import InputError
from spacekit.skopes.k2.noise import red_noise
from spacekit.skopes.k2.whiten import (
    WHITENED_NAMES,
    ar_whiten,
    box_energy,
    event_statistics,
    fit_ar,
    robust_highpass,
    whitened_box_search,
    whitened_features,
    whitened_snr_at,
)


def _low_high_power(x: np.ndarray) -> float:
    """Mean power of the lowest 2% of frequencies over that of the upper half."""
    p = np.abs(np.fft.rfft(x - x.mean())) ** 2
    k = max(2, p.size // 50)
    return float(p[1:k].mean() / p[p.size // 2 :].mean())


def test_fit_ar_recovers_an_ar1_process():
    rng = np.random.default_rng(0)
    e = rng.normal(size=6000)
    x = np.zeros_like(e)
    for t in range(1, e.size):
        x[t] = 0.7 * x[t - 1] + e[t]
    phi, s2 = fit_ar(x, 3)
    assert abs(phi[0] - 0.7) < 0.05 and np.abs(phi[1:]).max() < 0.05
    assert abs(s2 - 1.0) < 0.1


def test_whitening_removes_red_noise_power_but_keeps_the_box():
    rng = np.random.default_rng(1)
    n = 3000
    x = rng.normal(0, 1, n) + red_noise(n, rms=3.0, alpha=2.0, rng=rng)
    assert _low_high_power(x) > 100  # strongly red before
    phi, s2 = fit_ar(x, 24)
    w = ar_whiten(x, phi)[24:]
    assert _low_high_power(w) < 3  # nearly flat after
    # a box of 10 cadences, depth 1.5 sigma: its matched-filter SNR under the AR model is
    # the box energy's square root times the depth, and the search finds it at that SNR
    box = np.zeros(n)
    box[1500:1510] = -1.5
    r_noise = whitened_box_search(x, durations=(8, 12), n_periods=100)
    r_box = whitened_box_search(x + 4.0 * box, durations=(8, 12), n_periods=100)
    assert r_box["snr"] > r_noise["snr"] + 3
    ev = event_statistics(
        r_box["residual"],
        r_box["filtered"],
        r_box["period"],
        r_box["epoch"],
        r_box["duration"],
        r_box["phi"],
        r_box["s2"],
    )
    assert ev["single"] > 6


def test_box_energy_is_the_point_count_for_white_noise_and_smaller_for_red():
    assert box_energy(10, np.zeros(4), 1.0) == pytest.approx(10.0)
    # strong positive correlation: a box is mostly explained by the noise, less energy
    assert box_energy(10, np.array([0.9]), 1.0) < 3.0


def test_robust_highpass_removes_a_trend_but_keeps_a_dip():
    t = np.arange(3000.0)
    x = 0.5 * np.sin(2 * np.pi * t / 2500) + np.where((t > 1400) & (t < 1420), -1.0, 0.0)
    r = robust_highpass(x, 300)
    assert np.abs(r[300:1300]).max() < 0.05
    assert r[1410] < -0.9


def test_whitened_snr_ranks_a_periodic_box_above_a_red_noise_dip():
    # the same red noise (rms 2.5 x the white scatter, alpha 1.8) with and without a periodic
    # box train (depth 2.5 white sigma, 6 cadences, period 311). Measured: a search against
    # the per-point scatter scores the noise's own dips as high as the train (SNR ~50 both);
    # the whitened search, which knows the noise is red, ranks the train first
    rng = np.random.default_rng(0)
    n = 3000
    noise = rng.normal(0, 1, n) + red_noise(n, rms=2.5, alpha=1.8, rng=rng)
    t = np.arange(n)
    train = noise + np.where((t % 311) < 6, -2.5, 0.0)
    ra, rb = whitened_box_search(train), whitened_box_search(noise)
    assert abs(ra["period"] / 311 - 1) < 0.01
    assert ra["snr"] > rb["snr"] + 2
    ea = event_statistics(
        ra["residual"],
        ra["filtered"],
        ra["period"],
        ra["epoch"],
        ra["duration"],
        ra["phi"],
        ra["s2"],
    )
    eb = event_statistics(
        rb["residual"],
        rb["filtered"],
        rb["period"],
        rb["epoch"],
        rb["duration"],
        rb["phi"],
        rb["s2"],
    )
    assert ea["n_events"] >= 9 and ea["dominance"] < 0.3  # equal depths share the signal
    assert eb["dominance"] > ea["dominance"]


def test_flares_are_clipped_out_of_the_noise_model():
    # exponential flare decays look like strongly correlated noise to an AR fit; clipped,
    # the model stays white and a box keeps its whitened SNR
    from spacekit.skopes.k2.noise import flares

    rng = np.random.default_rng(7)
    n = 3000
    t = np.arange(n) * (2.0 / 1440)  # TESS 2-min cadence, flares of 0.3-15 sigma, 1 per day
    x = rng.normal(0, 1, n) + 300 * flares(t, rate=1.0, rng=rng)
    x[np.arange(n) % 400 < 8] -= 2.0
    kept = whitened_box_search(x, flare_clip=None)
    clipped = whitened_box_search(x)
    assert abs(np.sum(clipped["phi"])) < abs(np.sum(kept["phi"]))
    assert abs(clipped["period"] / 400 - 1) < 0.01
    assert clipped["snr"] > kept["snr"]


def test_whitened_snr_at_a_known_ephemeris_counts_the_noise_colour():
    rng = np.random.default_rng(8)
    n = 3000
    white = rng.normal(0, 1, n)
    red = white + red_noise(n, rms=3.0, alpha=1.5, rng=rng)
    train = np.where(np.arange(n) % 250 < 6, -1.0, 0.0)  # 12 transits: white SNR 1 x sqrt(72) = 8.5
    s_white = whitened_snr_at(white + train, 250.0, 2.5, 6.0)
    s_red = whitened_snr_at(red + train, 250.0, 2.5, 6.0)
    assert 6.5 < s_white < 10.5
    assert s_red < s_white - 2  # the same transits are less detectable in red noise
    assert abs(whitened_snr_at(white, 250.0, 2.5, 6.0)) < 3.5  # no transit: ~N(0, 1)


def test_whitened_features_shape_and_zero_rows():
    rng = np.random.default_rng(5)
    S = rng.normal(0, 1, (3, 1500))
    S[1] = 0.0
    F = whitened_features(S)
    assert F.shape == (3, len(WHITENED_NAMES)) and F.dtype == np.float32
    assert not F[1].any() and F[0].any()
    # threads change nothing but the wall time
    assert np.array_equal(whitened_features(S, workers=2), F)
    with pytest.raises(InputError, match="workers"):
        whitened_features(S, workers=0)


def test_fold_features_are_the_same_with_threads():
    from spacekit.skopes.k2.folded import fold_features

    rng = np.random.default_rng(6)
    Z = rng.normal(0, 1, (3, 1200, 3))
    Z[2, np.arange(1200) % 200 < 6, :] -= 3.0  # a periodic dip
    one, two = fold_features(Z), fold_features(Z, workers=2)
    assert all(np.array_equal(one[k], two[k]) for k in one)
    assert one["period"][2] == pytest.approx(200, rel=0.02)


def test_whitened_inputs_are_checked():
    with pytest.raises(InputError, match="at least 64"):
        whitened_box_search(np.zeros(10))
    with pytest.raises(InputError, match="NaN"):
        fit_ar(np.full(200, np.nan))
    with pytest.raises(InputError, match="order"):
        fit_ar(np.random.default_rng(0).normal(size=200), 100)
    with pytest.raises(InputError, match="shape"):
        whitened_features(np.zeros(100))


@pytest.mark.parametrize(
    "period, epoch, duration",
    [(-300.0, 2.0, 5.0), (np.nan, 2.0, 5.0), (300.0, np.inf, 5.0), (300.0, 2.0, np.nan)],
)
def test_whitened_snr_at_refuses_an_impossible_ephemeris(period, epoch, duration):
    # a negative period returned a (meaningless) SNR, NaN ones returned 0.0
    x = np.random.default_rng(3).normal(0, 1, 1000)
    with pytest.raises(InputError, match="period"):
        whitened_snr_at(x, period, epoch, duration)


def _old_robust_highpass(x, width, n_iter=3, clip=3.0):
    # robust_highpass before issue 17 folded it into clipped_running_median (reference)
    from scipy.ndimage import median_filter

    from spacekit.utils.stats import robust_std

    width = int(max(3, min(int(width), x.size)))
    trend = median_filter(x.copy(), size=width, mode="reflect")
    for _ in range(n_iter):
        r = x - trend
        s = robust_std(r)
        s = s if s > 0 else float(np.std(r)) or 1.0
        trend = median_filter(np.where(np.abs(r) > clip * s, trend, x), size=width, mode="reflect")
    return x - trend


def _old_trend_residual(x, keep, width, n_iter=3, clip=3.0):
    # trend_residual's loop before issue 17 (reference)
    from spacekit.skopes.k2.noise import _running_median
    from spacekit.utils.stats import robust_std

    w = int(min(max(3, int(width)), x.size))
    w -= 1 - w % 2
    trend = _running_median(np.where(keep, x, np.nan), w)
    for _ in range(n_iter):
        r = x - trend
        s = robust_std(r[keep])
        s = s if s > 0 else float(np.std(r[keep])) or 1.0
        y = np.where(keep, np.where(np.abs(r) > clip * s, trend, x), np.nan)
        trend = _running_median(y, w)
    return np.where(keep, x - trend, np.nan)


@pytest.mark.parametrize("n, width", [(3000, 201), (2000, 600), (500, 601), (64, 3), (900, 75)])
def test_one_clipped_running_median_behind_both_filters(n, width):
    # issue 17: trend_residual and robust_highpass share clipped_running_median, with the
    # results of their former separate implementations, bit for bit
    from spacekit.skopes.k2.noise import clipped_running_median, trend_residual

    rng = np.random.default_rng(n + width)
    x = np.cumsum(rng.normal(0, 1e-4, n)) + rng.normal(0, 1e-4, n)
    x[n // 2 : n // 2 + 8] -= 5e-3
    x[n // 3] += 1e-2  # a flare
    assert np.array_equal(robust_highpass(x, width), _old_robust_highpass(x, width))
    w = int(max(3, min(width, n)))
    assert np.array_equal(robust_highpass(x, width), x - clipped_running_median(x, w))
    keep = np.ones(n, dtype=bool)
    assert np.array_equal(trend_residual(x, width=width), _old_trend_residual(x, keep, width))
    mask = np.zeros(n, dtype=bool)
    mask[n // 2 - 2 : n // 2 + 10] = True
    if (~mask).sum() >= 64:
        assert np.array_equal(
            trend_residual(x, in_transit=mask, width=width),
            _old_trend_residual(x, ~mask, width),
            equal_nan=True,
        )
    if w % 2:  # an odd window: the same trend with or without the masked engine
        assert np.array_equal(trend_residual(x, width=width), robust_highpass(x, width))

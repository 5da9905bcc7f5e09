"""skopes.k2: the transit SNR under the issue's definition and two other readings of it
(per-point std, timescale / CDPP-like), per window and for a built set, and their use in the
leave-one-star-out report.

Small generated series and sets only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spacekit.exceptions import InputError
from spacekit.skopes.k2.classifier import ALTERNATIVE_SNRS, loso_metrics
from spacekit.skopes.k2.dataset import StarSpec, build_training_set, snr_definitions
from spacekit.skopes.k2.inject import transit_snr, transit_snr_definitions, transit_snr_timescale
from spacekit.skopes.k2.kaggle import read_flux_table_with_meta
from spacekit.skopes.k2.noise import (
    point_scatter,
    red_noise,
    robust_scatter,
    running_mean_scatter,
    running_means,
    timescale_scatter,
    trend_residual,
)

N = 3197


def _toy_lc(seed: int, n: int = 2400, sigma: float = 3e-4):
    from astropy.time import Time

    from spacekit.transformer import LightCurve

    rng = np.random.default_rng(seed)
    t = 2455000.0 + np.arange(n) * (2 / 1440)
    return LightCurve(
        time=Time(t, format="jd", scale="tdb"), flux=500.0 * (1 + rng.normal(0, sigma, n))
    )


@pytest.fixture(scope="module")
def small_set(tmp_path_factory):
    out = tmp_path_factory.mktemp("k2snr")
    stars = [
        StarSpec("a", [_toy_lc(0)], ephemerides=[]),
        StarSpec("b", [_toy_lc(1)], ephemerides=[]),
    ]
    # 2-min cadence, 800-cadence windows: injected transits last 30-240 cadences
    return build_training_set(
        out,
        stars=stars,
        length=800,
        step=800,
        injections_per_window=2,
        n_synthetic=24,
        seed=3,
        show_progress=False,
    )


def test_running_means_and_their_scatter():
    x = np.arange(10.0)
    assert running_means(x, 3).tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
    valid = np.ones(10, dtype=bool)
    valid[4] = False
    assert running_means(x, 3, valid=valid).tolist() == [1.0, 2.0, 6.0, 7.0, 8.0]
    assert running_means(x, 20).size == 0
    assert np.isnan(running_mean_scatter(x, 10))  # one mean: no scatter
    with pytest.raises(InputError, match="one flag per value"):
        running_means(x, 3, valid=valid[:5])
    rng = np.random.default_rng(0)
    w = rng.normal(0, 2.0, 50000)
    assert running_mean_scatter(w, 25) == pytest.approx(2.0 / 5, rel=0.05)
    # a known centre: deviations from it, not from the median of the means
    assert running_mean_scatter(w + 1.0, 25, center=0.0) > 2 * running_mean_scatter(w + 1.0, 25)


def test_point_and_timescale_scatter_on_white_and_red_noise():
    rng = np.random.default_rng(1)
    white = rng.normal(0, 1e-3, N)
    assert point_scatter(white) == pytest.approx(robust_scatter(white), rel=0.08)
    assert timescale_scatter(white, 16) == pytest.approx(1e-3 / 4, rel=0.15)
    red = white + red_noise(N, rms=2e-3, alpha=1.5, rng=rng)
    # single points see part of the red noise, duration-wide means much more of it
    assert point_scatter(red) > 1.3 * robust_scatter(red)
    beta = timescale_scatter(red, 16) * 4 / robust_scatter(red)
    assert beta > 2.0


def test_trend_residual_keeps_transits_out_of_the_trend():
    rng = np.random.default_rng(2)
    x = rng.normal(0, 1e-4, N)
    inside = np.zeros(N, dtype=bool)
    inside[1500:1900] = True  # a long transit, too shallow (2 sigma) to be clipped
    x[inside] -= 2e-4
    r = trend_residual(x, in_transit=inside)
    assert np.isnan(r[inside]).all() and np.isfinite(r[~inside]).all()
    # beside the transit the trend is not dragged down by it ...
    assert abs(np.mean(r[1300:1500])) < 2e-5 and abs(np.mean(r[1900:2100])) < 2e-5
    # ... as it is when the transit is not masked (the trend absorbs part of the dip)
    unmasked = trend_residual(x)
    assert np.mean(unmasked[1300:1500]) > 4e-5 and np.mean(unmasked[inside]) > -1.6e-4
    # the scatters ignore the in-transit points
    assert point_scatter(x, in_transit=inside) == pytest.approx(1e-4, rel=0.1)
    with pytest.raises(InputError, match="one flag per cadence"):
        trend_residual(x, in_transit=inside[:10])
    with pytest.raises(InputError, match="out-of-transit points are left"):
        trend_residual(x[:100], in_transit=np.ones(100, dtype=bool))
    with pytest.raises(InputError, match="NaN"):
        trend_residual(np.r_[x[:100], np.nan])


def test_transit_snr_definitions_agree_on_white_noise_only():
    rng = np.random.default_rng(3)
    inside = (np.arange(N) % 700) < 24
    depth = 1.5e-3
    white = rng.normal(0, 1e-3, N)
    s = transit_snr_definitions(
        np.where(inside, white - depth, white), inside, depth=depth, duration=24
    )
    expected = transit_snr(depth, 1e-3, int(inside.sum()))
    for key in ("snr", "snr_std", "snr_timescale"):
        assert s[key] == pytest.approx(expected, rel=0.15), key
    assert s["beta"] == pytest.approx(1.0, abs=0.15)
    red = white + red_noise(N, rms=3e-3, alpha=1.5, rng=rng)
    r = transit_snr_definitions(
        np.where(inside, red - depth, red), inside, depth=depth, duration=24
    )
    assert r["snr_timescale"] < r["snr_std"] < r["snr"]
    assert r["snr"] / r["snr_timescale"] == pytest.approx(r["beta"], rel=0.2)
    # integer transit count, and too little out-of-transit flux
    assert transit_snr_timescale(1e-3, 2.5e-4, 4) == pytest.approx(8.0)
    assert np.isnan(transit_snr_timescale(1e-3, 0.0, 4))
    short = transit_snr_definitions(white[:80], np.arange(80) < 30, depth=depth, duration=30)
    assert np.isnan(short["snr_std"]) and np.isnan(short["snr_timescale"]) and short["snr"] > 0


@pytest.mark.slow
def test_snr_definitions_of_a_built_set(small_set):
    X, y, meta = read_flux_table_with_meta(small_set.path)
    s = snr_definitions(X, meta)
    assert list(s.index) == list(meta.index)
    injected = meta["kind"].str.endswith("injected").to_numpy()
    assert injected.sum() >= 10
    assert s.loc[~injected].isna().all().all()  # negatives: no SNR
    got = s.loc[injected]
    ok = got["snr_std"].notna().to_numpy()
    assert ok.mean() > 0.8  # NaN only where a transit leaves < 64 out-of-transit points
    # every in-transit cadence of the SNR formula is left out of the noise
    assert (got["n_masked"] >= meta.loc[injected, "n_in_transit"]).all()
    # the SNR recomputed from the table matches the builder's column
    ratio = got["snr"] / meta.loc[injected, "snr"]
    assert np.nanmedian(ratio) == pytest.approx(1.0, abs=0.02)
    # white-noise windows (the toy stars and the white synthetic kind): definitions agree
    white = (meta.loc[injected, "noise_kind"].isin(["real", "white"])).to_numpy() & ok
    assert white.sum() >= 5
    assert np.median(got["snr_std"][white] / got["snr"][white]) == pytest.approx(1.0, abs=0.1)
    assert np.nanmedian(got["snr_timescale"][white] / got["snr"][white]) == pytest.approx(
        1.0, abs=0.2
    )
    # both real kinds: the injected window is paired with its un-injected copy
    assert set(meta.loc[injected, "kind"]) == {"real_injected", "synthetic_injected"}
    # units: relative flux around 1 gives the same numbers as ppm
    rel = snr_definitions(1.0 + X.astype(float) / 1e6, meta, flux_unit="auto")
    assert np.allclose(rel["snr_std"], s["snr_std"], rtol=1e-3, equal_nan=True)


def test_snr_definitions_errors(small_set):
    X, y, meta = read_flux_table_with_meta(small_set.path)
    with pytest.raises(InputError, match="flux_unit"):
        snr_definitions(X, meta, flux_unit="mag")
    with pytest.raises(InputError, match="lacks"):
        snr_definitions(X, meta.drop(columns=["depth"]))
    with pytest.raises(InputError, match="len\\(meta\\)"):
        snr_definitions(X[:3], meta)


def test_loso_metrics_adds_the_alternative_snr_tables_only_when_asked():
    rng = np.random.default_rng(4)
    n = 200
    label = np.r_[np.ones(n // 2, int), np.zeros(n // 2, int)]
    snr = np.r_[rng.uniform(0, 40, n // 2), np.full(n // 2, np.nan)]
    frame = pd.DataFrame(
        {
            "label": label,
            "snr": snr,
            "fold": "A",
            "group": "A",
            "kind": np.where(label == 1, "synthetic_injected", "synthetic_noise"),
            "proba": np.where(label == 1, np.clip(snr / 20, 0, 1), 0.05),
        }
    )
    plain = loso_metrics(frame)
    assert not any(k.startswith(("by_snr_std", "by_snr_timescale", "goal_snr")) for k in plain)
    frame["snr_std"] = frame["snr"] * 0.9
    frame["snr_timescale"] = frame["snr"] / 2  # a stricter noise: fewer planets reach 10
    m = loso_metrics(frame)
    assert m["goal"] == plain["goal"]  # the headline stays at the SNR
    for col in ALTERNATIVE_SNRS:
        assert [r["snr_min"] for r in m[f"by_{col}"]][:3] == [0, 3, 5]
    assert (
        m["goal_snr_timescale"]["n_planet"]
        < m["goal_snr_std"]["n_planet"]
        < plain["goal"]["n_planet"]
    )
    assert m["goal_snr_timescale"]["snr_min"] == 10.0
    # stricter cut, stronger planets: proba >= 1 for timescale SNR >= 10 here
    assert m["goal_snr_timescale"]["recall_at_precision_0.9"] == 1.0


# evaluate(snr_definitions=True) and `spacekit k2 evaluate --snr-definitions`: test_k2_pipeline
# (its CLI test), so that no extra network is trained here.

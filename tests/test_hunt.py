"""planet_hunter accuracy on real light curves, bad input, hunt_many on Dask, and the CLI."""

from __future__ import annotations

import json

import astropy.units as u
import numpy as np
import pytest
from astropy.io import fits
from astropy.time import Time

from spacekit.analyzer import (
    SIGNIFICANCE_THRESHOLD,
    HuntResult,
    hunt_many,
    period_grid,
    planet_hunter,
    transit_duration_range,
)
from spacekit.exceptions import FormatError, InputError, SpacekitError
from spacekit.transformer import LightCurve, read_lightcurve

TESS = "hlsp_tess-data-alerts_tess_phot_00025155310-s01_tess_v1_lc.fits"
HATP7 = "kplr010666592-2009131110544_slc.fits"
K2_3 = "EPIC201367065.csv"
K90_Q3 = "kplr011442793-2009350155506_llc.fits"
FLARE = "kplr010002792-2009259160929_llc.fits"


@pytest.fixture
def lcdir(shared_data):
    return shared_data / "lightcurves"


def injected(
    period=2.7, depth=0.005, duration=0.1, days=20.0, noise=1e-3, seed=1, trend=True, cadence=1 / 48
):
    rng = np.random.default_rng(seed)
    t = np.arange(0, days, cadence)
    f = 1 + noise * rng.standard_normal(t.size)
    if trend:
        f += 0.01 * np.sin(2 * np.pi * t / 9.0)
    phase = (t - 1.3 + 0.5 * period) % period - 0.5 * period
    f[np.abs(phase) < duration / 2] -= depth
    return LightCurve(time=Time(2458000.0 + t, format="jd", scale="tdb"), flux=500 * f)


# ----------------------------------------------------------------- accuracy (issue 5)
def test_wasp126b_tess(lcdir):
    res = planet_hunter(read_lightcurve(lcdir / TESS))
    assert isinstance(res, HuntResult)
    assert res.period.unit == u.day
    assert res.period.value == pytest.approx(3.2888, rel=1e-3)
    assert res.detected and res.peak_significance >= SIGNIFICANCE_THRESHOLD
    assert res.depth == pytest.approx(0.0063, rel=0.2)  # a fraction, not ppm
    # epoch is a BJD_TDB mid-transit time within the first period of the data
    assert res.epoch.scale == "tdb"
    start = res.flattened.time[0].jd
    assert start <= res.epoch.jd < start + res.period.value
    # the folded light curve dips at phase 0
    binned = res.folded.bin(0.02)
    centre = binned.flux.value[np.argmin(np.abs(binned.time_days()))]
    assert 1 - centre > 0.004
    assert len(res.periodogram) > 1000 and res.periodogram["period"].unit == u.day


def test_hatp7b_kepler_short_cadence(lcdir):
    res = planet_hunter(lcdir / HATP7)  # a path works too
    assert res.period.value == pytest.approx(2.2047299, rel=1e-3)
    assert res.detected


@pytest.mark.slow
def test_k2_3_b_then_c_after_masking_and_d_with_its_period_alias(lcdir):
    lc = read_lightcurve(lcdir / K2_3, time_format="bkjd")
    res = planet_hunter(lc, max_planets=3)
    assert res.period.value == pytest.approx(10.054, rel=1e-3)
    assert len(res.planets) == 3
    assert res.planets[1].period.value == pytest.approx(24.646, rel=5e-3)
    assert len(res.searches) == 3
    b, c, d = res.planets
    assert len(b.period_aliases) == 0 and len(c.period_aliases) == 0
    # d (44.556 d) transits twice in the 80 days; the transit between them falls in a gap, so
    # half its period fits as well: the search reports 22.27 d and names 44.54 d as an alias
    assert d.period.value == pytest.approx(44.556 / 2, rel=5e-3)
    assert d.period_aliases.to_value(u.day) == pytest.approx([44.556], rel=5e-3)
    assert d.to_dict()["period_aliases"] == pytest.approx([44.556], rel=5e-3)


def test_flare_star_is_not_a_detection(lcdir):
    res = planet_hunter(lcdir / FLARE)
    assert res.detected is False
    assert res.planets == []
    assert set(res.candidate.vetting) >= {"snr", "bump_ratio", "oot_structure"}


# ----------------------------------------------------------------- bad input
def test_bad_inputs(tmp_path):
    empty = tmp_path / "empty_llc.fits"
    empty.write_bytes(b"")
    with pytest.raises(FormatError, match="empty"):
        planet_hunter(empty)
    hdu = fits.BinTableHDU.from_columns([fits.Column("TIME", "D", array=np.arange(50.0))])
    hdu.header["BJDREFI"] = 2454833
    noflux = tmp_path / "noflux.fits"
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(noflux)
    with pytest.raises(FormatError, match="flux column"):
        planet_hunter(noflux)
    t = 2458000.0 + np.arange(100) / 48
    with pytest.raises(InputError, match="finite flux"):
        planet_hunter(LightCurve(time=t, flux=np.full(100, np.nan)))
    with pytest.raises(InputError, match="two transits"):
        planet_hunter(LightCurve(time=t, flux=np.ones(100)), period_min=1.5)
    with pytest.raises(InputError, match="engine"):
        planet_hunter(injected(), engine="fft")
    with pytest.raises(InputError, match="LightCurve"):
        planet_hunter(42)


def test_an_astropy_timeseries_is_searched_plotted_and_stitched():
    # TimeSeries.read(path, format="kepler.fits") gives a TimeSeries with pdcsap_flux; a
    # LightCurve is one, yet planet_hunter, plot_lightcurve and stitch refused it
    from astropy.timeseries import TimeSeries

    from spacekit.analyzer import plot_lightcurve
    from spacekit.transformer import stitch

    lc = injected()
    flux = lc.flux.value * u.electron / u.s
    ts = TimeSeries(time=lc.time, data={"pdcsap_flux": flux, "sap_flux": flux * 1.1})
    res = planet_hunter(ts, period_max=8, fit=False)
    assert res.period.value == pytest.approx(2.7, rel=2e-3) and res.detected
    assert plot_lightcurve(ts).axes[0].get_ylabel() == "flux (electron / s)"
    half = len(ts) // 2
    joined = stitch([ts[:half], ts[half:]])
    assert len(joined) == len(ts) and joined["segment"].tolist()[half - 1 : half + 1] == [0, 1]
    with pytest.raises(InputError, match="astropy TimeSeries.*got int"):
        planet_hunter(42)


def test_a_flux_err_column_of_nans_is_not_used_rather_than_emptying_the_light_curve():
    # every row was dropped for its NaN flux_err, then "needs at least 20 finite flux
    # values; this light curve has 0" blamed a flux that was fine
    lc = injected()
    lc["flux_err"] = np.full(len(lc), np.nan)
    res = planet_hunter(lc, period_max=8, fit=False)
    assert res.period.value == pytest.approx(2.7, rel=2e-3) and res.detected
    assert "flux_err" in lc.colnames  # the caller's light curve is unchanged


def test_injected_transit_and_no_signal():
    res = planet_hunter(injected(), period_max=8)
    assert res.period.value == pytest.approx(2.7, rel=2e-3)
    assert res.duration.to_value(u.day) == pytest.approx(0.1, rel=0.5)
    assert res.detected
    flat = planet_hunter(injected(depth=0.0, seed=3), period_max=8)
    assert not flat.detected
    d = res.to_dict()
    assert set(d) >= {"file", "period", "epoch", "duration", "depth", "peak_significance"}
    assert set(d) >= {"detected", "planets"}
    json.dumps(d)


def test_period_grid_resolution():
    g = period_grid(80.0, 0.5, 40.0)
    lo, _ = transit_duration_range(g[:-1])
    # each step moves the last transit by at most half the shortest duration (oversample 2)
    shift = np.diff(g) / g[:-1] * 80.0
    assert np.all(shift <= lo / 2.0 * 1.0001)
    assert len(g) < len(period_grid(80.0, 0.5, 40.0, oversample=6))
    with pytest.raises(InputError):
        period_grid(10.0, 5.0, 1.0)


# transitleastsquares warns that its stellar-density grid falls back to the Sun for this short
# synthetic light curve: expected, and not what the test is about
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:period_grid defaults to R_star=1:UserWarning")
def test_tls_engine_on_injected_transit(capsys):
    lc = injected(days=12.0, noise=5e-4)
    res = planet_hunter(
        lc, engine="tls", period_max=5.0, oversampling_factor=2, duration_grid_step=1.3
    )
    assert res.engine == "tls"
    assert res.period.value == pytest.approx(2.7, rel=5e-3)
    assert capsys.readouterr().out == ""  # TLS's banner goes to the debug log, not stdout
    # TLS's own statistics travel with the planet (issue 22 item 3): its SDE, FAP, rp/rs
    # and per-transit mid-times (JDs in the light curve's scale, one per period)
    tls = res.candidate.tls
    assert tls is not None and tls["sde"] > 9 and 0 <= tls["fap"] <= 1e-3
    assert 0 < tls["rp_rs"] < 1
    times = np.asarray(tls["transit_times"])
    assert times.size >= 3 and np.allclose(np.diff(times), res.period.value, rtol=1e-3)
    assert times[0] == pytest.approx(res.epoch.jd, abs=0.02)
    rec = res.to_dict()
    assert rec["tls"]["sde"] == tls["sde"] and json.loads(json.dumps(rec))["tls"]["rp_rs"] > 0
    # the project's own statistic, named for what it is (sde stays as a deprecated alias)
    with pytest.warns(DeprecationWarning):
        assert res.peak_significance == res.sde == rec["peak_significance"] == rec["sde"]
    assert planet_hunter(lc, period_max=5.0).candidate.tls is None


def test_the_statistic_is_not_called_sde_and_the_old_names_warn():
    """Issue 22: the statistic is a robust z-score of the periodogram peak, not TLS's SDE;
    its old names still read (one release) with a DeprecationWarning, the new ones never."""
    import warnings

    import spacekit.analyzer as analyzer
    from spacekit.analyzer import hunt

    res = planet_hunter(injected(days=12.0), period_max=5)
    z = res.peak_significance
    assert z == res.candidate.peak_significance and "peak_significance=" in repr(res)
    pg = res.periodogram
    assert "significance" in pg.colnames and "sde" not in pg.colnames
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the new names never warn
        rec = res.to_dict()
        assert rec["peak_significance"] == z and rec["planets"][0]["peak_significance"] == z
        json.dumps(rec)  # serialising reads no deprecated key
        table = hunt_many([injected(days=12.0)], period_max=5, progress=False)
        assert table["peak_significance"][0] == pytest.approx(z)
    olds = {
        "HuntResult.sde": lambda: res.sde,
        "Planet.sde": lambda: res.candidate.sde,
        'to_dict()["sde"]': lambda: rec["sde"],
        'to_dict().get("sde")': lambda: rec.get("sde"),
        'periodogram["sde"]': lambda: pg["sde"],
        "hunt.SDE_THRESHOLD": lambda: hunt.SDE_THRESHOLD,
        "analyzer.SDE_THRESHOLD": lambda: analyzer.SDE_THRESHOLD,
    }
    for name, read_old in olds.items():
        with pytest.warns(DeprecationWarning, match="not transitleastsquares's SDE"):
            value = read_old()
        if "THRESHOLD" in name:
            assert value == SIGNIFICANCE_THRESHOLD, name
        elif "periodogram" in name:
            assert np.array_equal(value, pg["significance"]), name
        else:
            assert value == z, name
    # a signal below the threshold fails the check by its new name
    weak = planet_hunter(injected(days=12.0), period_max=5, threshold=1e6)
    assert "peak_significance" in weak.candidate.vetting["failed"] and not weak.detected


# ----------------------------------------------------------------- batch on Dask
def test_hunt_many_in_process_with_an_error_record(tmp_path, capsys):
    bad = tmp_path / "empty.fits"
    bad.write_bytes(b"")
    table = hunt_many([injected(), bad, injected(depth=0.0, seed=5)], period_max=8, progress=True)
    assert "3/3" in capsys.readouterr().err  # the progress bar counted every light curve
    assert list(table["error"].isna()) == [True, False, True]
    assert "FormatError" in table.loc[1, "error"]
    assert table.loc[0, "period"] == pytest.approx(2.7, rel=2e-3)
    assert bool(table.loc[0, "detected"]) and not bool(table.loc[2, "detected"])


def test_hunt_many_refuses_a_single_path_or_light_curve(lcdir):
    # hunt_many("x.fits") searched "x", ".", "f"... (one error row per character), and
    # hunt_many(lc) one per row of the table
    path = lcdir / "kplr010666592-2009131110544_slc.fits"
    for one in (str(path), path, injected()):
        with pytest.raises(InputError, match=r"single .*Pass \[it\]"):
            hunt_many(one, progress=False)


def test_hunt_many_checks_the_settings_once_before_searching(tmp_path):
    # a misspelt keyword (max_planet=) or a bad value came back as one error row per light
    # curve, after reading each of them, instead of an error for the call
    missing = tmp_path / "missing.fits"
    with pytest.raises(InputError, match=r"\['max_planet'\]"):
        hunt_many([missing, missing], max_planet=2, progress=False)
    with pytest.raises(InputError, match="engine"):
        hunt_many([missing], engine="fft", progress=False)
    with pytest.raises(InputError, match="durations"):
        hunt_many([missing], durations=[-1.0], progress=False)
    table = hunt_many([missing], max_planets=2, progress=False)  # good settings: per item
    assert "DataNotFoundError" in table.loc[0, "error"]


def test_planet_hunter_shows_a_bar_over_its_searches(capsys):
    # max_planets=8 on Kepler-90's quarters searched for half a minute with no sign of life
    lc = injected()
    res = planet_hunter(lc, max_planets=3, period_max=8, fit=False, progress=True)
    err = capsys.readouterr().err
    n = len(res.searches)
    assert "planet_hunter" in err and f"{n}/{n}" in err and "found" in err  # ends full
    planet_hunter(lc, max_planets=3, period_max=8, fit=False, progress=False)
    planet_hunter(lc, period_max=8, fit=False, progress=True)  # one search: no bar
    assert capsys.readouterr().err == ""
    hunt_many([lc], max_planets=2, period_max=8, fit=False, progress=True)
    err = capsys.readouterr().err
    assert "1/1" in err and "search" not in err  # hunt_many's bar only, per light curve


@pytest.mark.slow
def test_hunt_many_on_a_distributed_cluster(tmp_path):
    import distributed

    # dashboard on a free port: None means distributed's default, 8787, and another
    # cluster on the machine (a survey benchmark, another test run) makes that a warning
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
    ) as cluster:
        with distributed.Client(cluster) as client:
            table = hunt_many([injected(), tmp_path / "missing.fits"], client, period_max=8)
            assert table.loc[0, "period"] == pytest.approx(2.7, rel=2e-3)
            assert "DataNotFoundError" in table.loc[1, "error"]
        # a scheduler address string is connected to (and the client closed afterwards)
        table2 = hunt_many([injected(seed=2)], cluster.scheduler_address, period_max=8)
        assert table2.loc[0, "error"] is None


# ----------------------------------------------------------------- CLI
def test_cli_json_and_bad_input(lcdir, tmp_path, capsys):
    from spacekit.cli import main

    rc = main(["hunt", "--json", str(lcdir / TESS)])
    out = capsys.readouterr().out.strip().splitlines()
    assert rc == 0 and len(out) == 1
    rec = json.loads(out[0])
    assert rec["period"] == pytest.approx(3.2888, rel=1e-3)
    assert 2458325 < rec["epoch"] < 2458330  # BJD_TDB, not BTJD
    assert 0 < rec["depth"] < 0.05 and rec["detected"] is True
    assert rec["planets"][0]["period"] == rec["period"]
    assert rec["file"].endswith(TESS)
    bad = tmp_path / "empty.fits"
    bad.write_bytes(b"")
    rc = main(["hunt", "--json", str(bad)])
    cap = capsys.readouterr()
    assert rc != 0 and cap.out == ""
    assert len(cap.err.strip().splitlines()) == 1 and "empty" in cap.err


def test_errors_are_spacekit_errors(lcdir, tmp_path):
    with pytest.raises(SpacekitError):
        planet_hunter(tmp_path / "missing.csv")
    with pytest.raises(SpacekitError):
        planet_hunter(lcdir / K2_3, time_format="kjd")


@pytest.mark.slow
def test_csv_without_time_system_is_searched_in_its_own_units(lcdir, capsys):
    """Issue 22 item 4: a plain two-column csv needs no time_format for a search; the period
    is the same, the epoch is in the file's numbers and a warning says so."""
    from spacekit.cli import main
    from spacekit.transformer import NoTimeSystemWarning

    kw = {"period_min": 8.0, "period_max": 12.0}
    with pytest.warns(NoTimeSystemWarning, match="time_format="):
        rel = planet_hunter(lcdir / K2_3, **kw)
    ref = planet_hunter(lcdir / K2_3, time_format="bkjd", **kw)
    assert rel.period.value == pytest.approx(ref.period.value, rel=1e-9)
    assert rel.detected == ref.detected
    assert rel.epoch.scale == "local"
    assert rel.to_dict()["epoch"] + 2454833.0 == pytest.approx(ref.to_dict()["epoch"], abs=1e-6)
    assert rel.to_dict()["time_system"] == "relative"
    assert ref.to_dict()["time_system"] == "BJD_TDB"
    rc = main(["hunt", "--period-min", "8", "--period-max", "12", str(lcdir / K2_3)])
    cap = capsys.readouterr()
    assert rc == 0
    assert "warning" in cap.err and "--time-format" in cap.err and "time_format=" not in cap.err
    assert "(file's time numbers)" in cap.out and "BJD_TDB" not in cap.out


def test_utc_times_are_not_reported_as_barycentric(tmp_path, capsys):
    # a csv of UTC Julian dates (--time-format jd) or a light curve of datetimes was reported
    # with time_system "BJD_TDB": converted to TDB, but never barycentred (up to 8 minutes)
    from spacekit.cli import main

    lc = injected()
    utc = LightCurve(time=Time(lc.time.jd, format="jd", scale="utc"), flux=lc.flux)
    rec = planet_hunter(utc, period_max=8, fit=False).to_dict()
    assert rec["time_system"] == "JD_TDB"
    assert planet_hunter(lc, period_max=8, fit=False).to_dict()["time_system"] == "BJD_TDB"
    path = tmp_path / "utc.csv"
    rows = zip(lc.time.jd, lc.flux.value, strict=True)
    path.write_text("time,flux\n" + "".join(f"{t:.10f},{f:.10f}\n" for t, f in rows))
    assert main(["hunt", "--time-format", "jd", "--period-max", "8", str(path)]) == 0
    out = capsys.readouterr().out
    assert "JD_TDB" in out and "BJD_TDB" not in out


@pytest.mark.slow
def test_row_order_does_not_change_the_result():
    lc = injected(days=12.0)
    shuffled = lc[np.random.default_rng(0).permutation(len(lc))]
    a = planet_hunter(lc, period_max=5)
    b = planet_hunter(shuffled, period_max=5)
    assert b.period.value == pytest.approx(a.period.value, rel=1e-9)
    assert b.peak_significance == pytest.approx(a.peak_significance, rel=1e-9)
    assert b.epoch.jd == pytest.approx(a.epoch.jd, abs=1e-9)


def test_period_bounds_are_checked_before_use():
    import warnings

    lc = injected(days=12.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning before the error
        with pytest.raises(InputError, match="period_min must be a positive"):
            planet_hunter(lc, period_min=-1)
    with pytest.raises(InputError, match="swap them"):
        planet_hunter(lc, period_min=3, period_max=2)


def test_search_settings_are_checked_and_typos_are_not_ignored():
    lc = injected(days=12.0)
    # oversample=0 divided by zero; a negative oversample made the period grid run
    # backwards forever (planet_hunter never returned)
    for bad in (0, -1, float("nan"), None):
        with pytest.raises(InputError, match="oversample must be a positive number"):
            planet_hunter(lc, period_max=5, oversample=bad)
        with pytest.raises(InputError, match="oversample"):
            period_grid(12.0, 0.5, 5.0, oversample=bad)
    # a misspelt keyword went to transitleastsquares' kwargs and was ignored with BLS
    with pytest.raises(InputError, match=r"unexpected keyword argument\(s\) \['max_planet'\]"):
        planet_hunter(lc, max_planet=3)
    for bad in (1.5, "2", True, 0):
        with pytest.raises(InputError, match="max_planets must be a whole number"):
            planet_hunter(lc, max_planets=bad)
    with pytest.raises(InputError, match="durations must be times"):
        planet_hunter(lc, durations=[1, 2] * u.m)
    with pytest.raises(InputError, match="durations must be numbers"):
        planet_hunter(lc, durations=["long"])
    # durations=[2, 3, 4] meant hours: the error said only that they exceed period_min
    with pytest.raises(InputError, match=r"Plain numbers are days.*\* u.hour"):
        planet_hunter(lc, durations=[2, 3, 4])
    with pytest.raises(InputError, match="threshold must be a finite number"):
        planet_hunter(lc, threshold=float("nan"))
    # period_grid takes Quantities like planet_hunter does
    assert np.array_equal(
        period_grid(12 * u.day, 12 * u.hour, 5 * u.day), period_grid(12.0, 0.5, 5.0)
    )


@pytest.mark.slow
def test_repeated_timestamps_and_plain_lists():
    # a light curve whose rows were appended twice (e.g. two overlapping downloads) made
    # the cadence 0 in vet_transit: ZeroDivisionError
    lc = injected(days=12.0)
    doubled = LightCurve(
        time=np.concatenate([lc.time.jd, lc.time.jd]),
        flux=np.concatenate([lc.flux.value, lc.flux.value]),
    )
    res = planet_hunter(doubled, period_max=5)
    assert res.period.value == pytest.approx(2.7, rel=2e-3)
    assert res.detected
    from spacekit.analyzer import vet_transit

    t = np.arange(0, 20, 0.02)
    y = np.where(np.abs((t - 1 + 1.5) % 3 - 1.5) < 0.05, 0.99, 1.0)
    v = vet_transit(list(t), list(y), 3.0, 0.1, 1.0, 0.01)  # was AttributeError: 'list'
    assert v["n_transits"] == 7
    assert set(vet_transit(t, y, 3.0, 0.1, 1.0, 0.0)) == set(v)  # same keys when nothing to vet
    with pytest.raises(InputError, match="one flux value per time"):
        vet_transit(t, y[:-1], 3.0, 0.1, 1.0, 0.01)


KEPLER90 = {  # published periods (days): b, c, i, d, e, f, g, h
    "b": 7.008151,
    "c": 8.719375,
    "i": 14.44912,
    "d": 59.73667,
    "e": 91.93913,
    "f": 124.9144,
    "g": 210.60697,
    "h": 331.60059,
}


def _published(period, rel=0.005):
    return any(abs(period - p) / p < rel for p in KEPLER90.values())


@pytest.mark.slow
def test_kepler90_stitched_quarters_find_d_and_e_and_nothing_false(lcdir):
    """Issue 22 item 2: the three shared quarters (Q4 truncated), stitched and searched."""
    from spacekit.transformer import stitch

    lc = stitch(sorted(lcdir.glob("kplr011442793-*_llc.fits")))
    res = planet_hunter(lc, max_planets=3, period_min=5.0)
    found = [p.period.to_value(u.day) for p in res.planets]
    assert any(abs(p - KEPLER90["d"]) < 0.05 for p in found), found
    assert any(abs(p - KEPLER90["e"]) < 0.05 for p in found), found
    assert all(_published(p) for p in found), found
    # g's and h's single transits, 114.6 d apart, paired by the search: rejected, masked
    paired = [p for p in res.rejected if abs(p.period.to_value(u.day) - 114.6) < 0.2]
    assert paired and "depth_consistency" in paired[0].vetting["failed"]
    assert res.detected and res.candidate is res.planets[0]
    rec = res.to_dict()
    assert rec["rejected"][0]["failed"] == paired[0].vetting["failed"]
    assert rec["planets"][0]["failed"] == []


@pytest.mark.slow
def test_kepler90_q3_alone_rejects_the_19_9_day_signal(lcdir):
    res = planet_hunter(lcdir / K90_Q3)
    assert abs(res.candidate.period.to_value(u.day) - 19.9) < 0.1
    assert not res.detected and res.planets == []
    assert "missing_transit" in res.candidate.vetting["failed"]
    assert res.candidate.vetting["missing_transits"] >= 1


def _batman_lc(rp=0.1, a=12.0, b=0.4, days=20.0, cadence=2 / 1440, noise=5e-4, seed=0):
    import batman

    t = np.arange(0.0, days, cadence)
    params = batman.TransitParams()
    params.t0, params.per, params.rp, params.a = 1.0, 3.0, rp, a
    params.inc = float(np.degrees(np.arccos(b / a)))
    params.ecc, params.w, params.limb_dark, params.u = 0.0, 90.0, "quadratic", [0.4, 0.26]
    y = batman.TransitModel(params, t).light_curve(params)
    y = y + noise * np.random.default_rng(seed).standard_normal(t.size)
    return t, y


def test_fit_transit_recovers_the_injected_geometry():
    """Issue 22 item 5: rp/rs, b and a/rs of a batman transit, within their uncertainties."""
    from spacekit.analyzer import fit_transit

    t, y = _batman_lc()
    fit = fit_transit(t, y, None, 3.0, 1.004, 0.12, 0.01, cadence=2 / 1440)
    assert fit["success"]
    assert abs(fit["rp_rs"] - 0.1) < max(3 * fit["rp_rs_err"], 0.003)
    assert abs(fit["b"] - 0.4) < max(3 * fit["b_err"], 0.1)
    assert abs(fit["a_rs"] - 12.0) < max(3 * fit["a_rs_err"], 1.0)
    assert fit["t0_shift"] == pytest.approx(-0.004, abs=5 * fit["t0_shift_err"] + 1e-4)
    assert 0.8 < fit["chi2_red"] < 1.2  # the default errors are the robust scatter
    assert fit["depth"] == pytest.approx(0.0117, rel=0.1)
    assert len(fit["model_phase"]) == len(fit["model_flux"])
    with pytest.raises(InputError, match="at least 10 points"):
        fit_transit(t[:5], y[:5], None, 3.0, 1.0, 0.12, 0.01)


@pytest.mark.slow
def test_planet_hunter_fits_detected_planets_only(monkeypatch):
    t, y = _batman_lc(days=15.0, cadence=10 / 1440)
    lc = LightCurve(time=2458000.0 + t, flux=y)
    res = planet_hunter(lc, period_max=5.0)
    assert res.detected and res.planets[0].fit is not None
    assert res.planets[0].fit["rp_rs"] == pytest.approx(0.1, abs=0.01)
    assert "fit_s" in res.timings and res.timings["fit_s"] <= res.timings["total_s"]
    rec = res.to_dict()
    assert "rp_rs" in rec["fit"] and "model_flux" not in rec["fit"]
    assert all("fit" not in r for r in rec["rejected"])
    assert planet_hunter(lc, period_max=5.0, fit=False).planets[0].fit is None
    with pytest.raises(InputError, match="fit must be"):
        planet_hunter(lc, fit="yes")
    import spacekit.analyzer.hunt as hunt

    monkeypatch.setattr(hunt, "_has_module", lambda name: False)  # batman absent: no fit
    assert planet_hunter(lc, period_max=5.0).planets[0].fit is None


# ----------------------------------------------------------------- at scale (issue 20)
def test_long_light_curves_are_kept_as_binned_copies_unless_asked(monkeypatch):
    """A HuntResult keeps what its plots need: binned copies of a long light curve (the full
    arrays with full_arrays=True), and the search's answer does not depend on it."""
    from spacekit.analyzer import hunt, plot_hunt

    lc = injected(days=12.0, cadence=2 / 1440)  # TESS's 2 minutes: 8,640 points
    monkeypatch.setattr(hunt, "KEEP_FULL_POINTS", 500)
    small = planet_hunter(lc, period_max=5, fit=False)
    full = planet_hunter(lc, period_max=5, fit=False, full_arrays=True)
    assert small.binned and not full.binned
    assert small.period == full.period and small.peak_significance == full.peak_significance
    assert len(full.raw) == len(full.flattened) == len(full.folded) == len(lc)
    assert len(small.raw) <= 501 and len(small.flattened) <= 501
    # the folded copy resolves the transit (a tenth of its duration) and still dips at phase 0
    assert 500 < len(small.folded) < len(lc) / 4
    ph = small.folded.time_days()
    f = small.folded.flux.value
    assert f[np.abs(ph) < 0.02].mean() < f[np.abs(ph) > 0.2].mean() - 0.003
    # the binned copies keep the time system, and the plots draw from them
    assert small.raw.time.scale == lc.time.scale and small.folded.is_folded
    plot_hunt(small)
    # a short light curve is kept whole by default
    monkeypatch.setattr(hunt, "KEEP_FULL_POINTS", 50_000)
    assert not planet_hunter(lc, period_max=5, fit=False).binned


def test_search_memory_is_bounded_by_a_few_copies_of_the_light_curve():
    """Issue 20 item 2: planet_hunter's peak memory is a few copies of the light curve (32
    bytes a point: time, flux, flux_err), not more: the full raw copy is binned before the
    search, the search's flux and errors are the flattened light curve's own columns, and
    flatten and bin make no copies of what is already sorted or finite (164 bytes a point
    before, 129 after, at 3e5 points)."""
    import tracemalloc

    n = 300_000
    rng = np.random.default_rng(0)
    t = 2458000.0 + np.arange(n) * (27.0 / n)
    f = 1 + 1e-3 * rng.standard_normal(n)
    f[np.abs(((t - 2458001.0 + 1.5) % 3.0) - 1.5) < 0.05] -= 0.003
    lc = LightCurve(time=t, flux=f, flux_err=np.full(n, 1e-3))
    planet_hunter(lc[::100], fit=False)  # first-call costs outside the measurement
    tracemalloc.start()
    try:
        res = planet_hunter(lc, fit=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert res.detected and res.binned
    assert peak / n < 145, f"planet_hunter peaked at {peak / n:.0f} bytes a point"


def test_fit_uncertainties_by_emcee_when_installed(monkeypatch):
    """Issue 22 item 5: with the mcmc extra the fit's errors come from an emcee posterior,
    in line with the covariance's; without it, from the covariance; asking for emcee when
    it is missing says how to install it."""
    from spacekit.analyzer import _hunt_fit, fit_transit
    from spacekit.exceptions import MissingDependencyError

    t, y = _batman_lc(days=10.0, cadence=10 / 1440)
    cov = fit_transit(t, y, None, 3.0, 1.004, 0.12, 0.01, uncertainties="covariance")
    post = fit_transit(t, y, None, 3.0, 1.004, 0.12, 0.01)  # "auto": emcee is installed
    assert cov["uncertainties"] == "covariance" and post["uncertainties"] == "emcee"
    assert 0.2 < post["mcmc_acceptance"] < 0.8
    assert post["rp_rs"] == cov["rp_rs"]  # the best fit is the least-squares one
    for name in ("rp_rs", "a_rs", "b", "depth", "duration"):
        assert 0 < post[f"{name}_err"] < np.inf, name
    for name in ("rp_rs", "depth", "duration"):  # well constrained: the two methods agree
        assert 0.33 < post[f"{name}_err"] / cov[f"{name}_err"] < 3, name
    # b and a/rs are degenerate at 10-minute cadence: the covariance, linear at a bound,
    # understates b's error; the posterior does not
    assert post["b_err"] >= cov["b_err"]
    assert abs(post["rp_rs"] - 0.1) < 3 * post["rp_rs_err"] + 0.002
    with pytest.raises(InputError, match="uncertainties must be"):
        fit_transit(t, y, None, 3.0, 1.004, 0.12, 0.01, uncertainties="bootstrap")
    monkeypatch.setattr(_hunt_fit, "_has_module", lambda name: name != "emcee")
    assert fit_transit(t, y, None, 3.0, 1.0, 0.12, 0.01)["uncertainties"] == "covariance"
    import sys

    monkeypatch.setitem(sys.modules, "emcee", None)  # not installed
    with pytest.raises(MissingDependencyError, match=r"spacekit\[mcmc\]"):
        fit_transit(t, y, None, 3.0, 1.0, 0.12, 0.01, uncertainties="emcee")


def test_the_default_threshold_is_the_calibrated_one():
    """Issue 22 item 3: SIGNIFICANCE_THRESHOLD is the value benchmarks/RESULTS.md records
    with its calibration command (change both or neither), and it is not TLS's 9."""
    from pathlib import Path

    results = (Path(__file__).resolve().parent.parent / "benchmarks" / "RESULTS.md").read_text()
    assert f"`SIGNIFICANCE_THRESHOLD = {SIGNIFICANCE_THRESHOLD:g}`" in results
    assert "bench_hunt_calibration.py run" in results
    assert SIGNIFICANCE_THRESHOLD != 9.0


def test_fit_of_many_points_is_binned_in_phase(monkeypatch):
    """Issue 20/22: the transit fit's cost is bounded: above FIT_MAX_POINTS points near the
    transits it fits them binned in phase, to the same geometry."""
    from spacekit.analyzer import _hunt_fit, fit_transit

    t, y = _batman_lc(days=10.0, cadence=2 / 1440)
    whole = fit_transit(t, y, None, 3.0, 1.004, 0.12, 0.01, uncertainties="covariance")
    monkeypatch.setattr(_hunt_fit, "FIT_MAX_POINTS", 300)  # the fit's module reads it
    binned = fit_transit(t, y, None, 3.0, 1.004, 0.12, 0.01, uncertainties="covariance")
    assert binned["n_points"] == whole["n_points"] > 300
    assert binned["rp_rs"] == pytest.approx(whole["rp_rs"], abs=2 * whole["rp_rs_err"])
    assert binned["depth"] == pytest.approx(whole["depth"], rel=0.05)
    assert binned["rp_rs_err"] == pytest.approx(whole["rp_rs_err"], rel=0.5)


def test_planet_repr_is_short_and_equality_is_kept():
    """print(planet) dumped every model_phase/model_flux float of planet.fit: the repr is one
    short line; equality and to_dict() are the dataclass's as before."""
    from spacekit.analyzer import Planet

    epoch = Time(2458326.2, format="jd", scale="tdb")
    fit = {"depth": 0.0101, "model_phase": np.linspace(-1, 1, 500), "model_flux": np.ones(500)}
    planet = Planet(3 * u.day, epoch, 0.1 * u.day, 0.01, 20.0, 30.0, 8, True, fit=fit)
    text = repr(planet)
    assert text == str(planet) and len(text) < 200 and "model_" not in text, text
    for part in ("period=3.000000 d", "depth=0.01", "snr=30.0", "detected=True"):
        assert part in text, text
    assert "n_transits=8" in text and "fitted=True" in text
    bare = Planet(3 * u.day, epoch, 0.1 * u.day, 0.01, 20.0, 30.0, 8, False)
    assert "fitted=False" in repr(bare) and "detected=False" in repr(bare)
    same = Planet(3 * u.day, epoch, 0.1 * u.day, 0.01, 20.0, 30.0, 8, False)
    assert bare == same and bare != Planet(4 * u.day, epoch, 0.1 * u.day, 0.01, 20, 30, 8, False)
    assert "model_phase" not in planet.to_dict()["fit"] and planet.to_dict()["fit"]["depth"]


def test_cli_text_prints_one_line_per_planet(monkeypatch, capsys):
    """``hunt --max-planets 3`` printed the first planet's values and "planets: 3": each planet
    found is a line of its own (period, depth, SNR, detected, aliases); --json is unchanged."""
    from spacekit.analyzer import Planet
    from spacekit.cli import main

    def planet(period, detected=True, aliases=(), failed=()):
        epoch = Time(2458001.3, format="jd", scale="tdb")
        vetting = {"alias_multiples": list(aliases), "failed": list(failed)}
        return Planet(
            period * u.day, epoch, 0.1 * u.day, 0.004, 40.0, 25.0, 6, detected, vetting=vetting
        )

    found = [planet(10.054), planet(24.646), planet(22.27, aliases=[2])]
    results = {
        "three.fits": HuntResult(found[0], found, None, None, None, None, 7.0, "bls"),
        "none.fits": HuntResult(
            planet(5.5, False, failed=["snr"]), [], None, None, None, None, 7.0, "bls"
        ),
    }
    monkeypatch.setattr("spacekit.analyzer.planet_hunter", lambda path, **kw: results[path])
    assert main(["hunt", "--max-planets", "3", "three.fits", "none.fits"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4, lines
    for line, period in zip(lines[:3], ("10.054000", "24.646000", "22.270000"), strict=True):
        assert line.startswith("three.fits: planet ") and f"P={period} d" in line, line
        assert "depth=4000 ppm" in line and "SNR=25.0" in line and "DETECTED" in line, line
    assert "planet 3 of 3" in lines[2] and "44.540000" in lines[2] and "44.54" not in lines[1]
    assert lines[3].startswith("none.fits: no planet detected") and "P=5.500000 d" in lines[3]
    assert "not detected" in lines[3] and "snr" in lines[3]
    assert main(["hunt", "--json", "--max-planets", "3", "three.fits"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert [p["period"] for p in rec["planets"]] == pytest.approx([10.054, 24.646, 22.27])
    assert rec["file"] == "three.fits" and rec["planets"][2]["period_aliases"] == [44.54]


def test_cli_help_is_short_and_documents_every_option_and_json_field(capsys):
    """``hunt --help``: --period-min/--period-max had no help and the description was one
    paragraph listing every JSON field; the description is short with an example, the
    fields are listed in the epilog (and in the docs, from the same list)."""
    from spacekit.cli import cmd_hunt, main

    with pytest.raises(SystemExit):
        main(["hunt", "--help"])
    out = capsys.readouterr().out
    description = out.split("positional arguments:")[0].split("\n\n", 1)[1]
    assert (
        len(description) < 500
        and "example" in description
        and "peak_significance" not in (description)
    ), description
    flat = " ".join(out.split())
    assert "--period-min DAYS shortest period searched" in flat, flat
    assert "--period-max DAYS longest period searched" in flat, flat
    epilog = out.split("--period-max", 1)[1]
    names = {name for name, _ in cmd_hunt.JSON_FIELDS}
    from spacekit.analyzer import Planet

    epoch = Time(2458001.3, format="jd", scale="tdb")
    p = Planet(3 * u.day, epoch, 0.1 * u.day, 0.004, 40.0, 25.0, 6, True, tls={}, fit={})
    result = HuntResult(p, [p], None, None, None, None, 7.0, "tls").to_dict()
    keys = set(result) | set(p.to_dict())
    assert keys <= names, keys - names  # every key of a --json record is explained
    for name in names:
        assert f"\n  {name}" in epilog and f"``{name}``" in cmd_hunt.__doc__, name


def test_search_steps_give_the_same_numbers_for_any_block_size():
    # binning, vetting and transit masks read the points in blocks; their numbers must not
    # depend on the block size
    from spacekit.analyzer._hunt_search import _bin_arrays, _transit_mask
    from spacekit.analyzer._hunt_vetting import vet_transit

    rng = np.random.default_rng(3)
    t = np.sort(rng.uniform(0, 27, 30_000))
    t[500:900] = t[500]  # repeated timestamps
    y = 1 + 1e-3 * rng.standard_normal(t.size)
    y[np.abs((t - 1.0 + 1.5) % 3.0 - 1.5) < 0.05] -= 0.003
    dy = rng.uniform(1e-3, 2e-3, t.size)
    whole = _bin_arrays(t, y, dy, 0.02, chunk=t.size)
    for chunk in (1, 13, 1000):
        part = _bin_arrays(t, y, dy, 0.02, chunk=chunk)
        assert all(a.tobytes() == b.tobytes() for a, b in zip(whole, part, strict=True))
    v_whole = vet_transit(t, y, 3.0, 0.1, 1.0, 0.003, chunk=t.size)
    for chunk in (7, 1000):
        assert vet_transit(t, y, 3.0, 0.1, 1.0, 0.003, chunk=chunk) == v_whole
    shuffled = rng.permutation(t.size)  # any order
    assert (
        vet_transit(t[shuffled], y[shuffled], 3.0, 0.1, 1.0, 0.003, chunk=11)["n_transits"]
        == v_whole["n_transits"]
    )
    assert np.array_equal(
        _transit_mask(t, 3.0, 0.1, 1.0, 2.0, epochs=[0, 2]),
        (np.abs((t - 1.0 + 1.5) % 3.0 - 1.5) < 0.1) & np.isin(np.round((t - 1.0) / 3.0), [0, 2]),
    )


def test_planet_hunter_peak_memory_per_point():
    # the extra peak memory of 2e5 more points, per point (fixed costs cancel): about 40
    # bytes, the light curve's one cleaned copy (32), the trend and block-sized temporaries;
    # it was about 100, with a copy per step and full-size temporaries in every step
    import tracemalloc

    def lc_of(n):
        rng = np.random.default_rng(0)
        t = 2458000.0 + np.arange(n) * (27.0 / n)
        f = 1 + 1e-3 * rng.standard_normal(n)
        f[np.abs((t - 2458001.0 + 1.5) % 3.0 - 1.5) < 0.05] -= 0.003
        return LightCurve(time=t, flux=f, flux_err=np.full(n, 1e-3))

    def peak(lc):
        tracemalloc.start()
        try:
            start, _ = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            res = planet_hunter(lc, fit=False)
            _, top = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert res.detected and abs(float(res.period.to_value("day")) - 3.0) < 0.01
        return top - start

    planet_hunter(lc_of(2000), fit=False)  # imports and first-call costs
    per_point = (peak(lc_of(400_000)) - peak(lc_of(200_000))) / 200_000
    assert per_point < 65, per_point

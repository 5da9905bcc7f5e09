"""LightCurve and read_lightcurve on real Kepler, K2 and TESS files and on synthetic ones."""

from __future__ import annotations

import warnings

import astropy.units as u
import numpy as np
import pytest
from astropy.io import fits
from astropy.time import Time, TimeDelta

from spacekit.exceptions import (
    DataNotFoundError,
    FormatError,
    InputError,
    SpacekitError,
)
from spacekit.transformer import TIME_FORMATS, LightCurve, read_lightcurve

TESS = "hlsp_tess-data-alerts_tess_phot_00025155310-s01_tess_v1_lc.fits"
HATP7 = "kplr010666592-2009131110544_slc.fits"
K90_Q3 = "kplr011442793-2009350155506_llc.fits"
K2_3 = "EPIC201367065.csv"


@pytest.fixture
def lcdir(shared_data):
    return shared_data / "lightcurves"


def _synthetic(n=2000, cadence=1 / 48, seed=0, period=3.0, depth=0.01, duration=0.12):
    rng = np.random.default_rng(seed)
    t = 2458000.0 + np.arange(n) * cadence
    f = 1000.0 * (1 + 0.005 * np.sin(2 * np.pi * (t - t[0]) / 7.0))
    f *= 1 + 2e-4 * rng.standard_normal(n)
    phase = ((t - 2458001.0 + period / 2) % period) - period / 2
    intransit = np.abs(phase) < duration / 2
    f[intransit] *= 1 - depth
    return LightCurve(time=t, flux=f * u.electron / u.s, flux_err=0.2 * np.ones(n)), intransit


# ---------------------------------------------------------------- readers: real files
def test_tess_alert_hlsp_time_from_header(lcdir):
    lc = read_lightcurve(lcdir / TESS)
    raw = fits.getdata(lcdir / TESS, 1)
    good = (raw["QUALITY"] == 0) & np.isfinite(raw["TIME"])
    assert len(lc) == good.sum()
    assert lc.time.scale == "tdb"
    # BTJD + 2457000 from BJDREFI/BJDREFF in the header
    assert lc.time[0].jd == pytest.approx(raw["TIME"][good][0] + 2457000.0, abs=1e-9)
    assert lc.flux.unit == u.electron / u.s
    assert lc.flux_err is not None
    assert lc.meta["mission"] == "TESS"
    assert lc.meta["flux_origin"] == "pdcsap_flux"
    assert lc.cadence == pytest.approx(2 / 1440, rel=1e-3)


def test_kepler_short_and_long_cadence(lcdir):
    slc = read_lightcurve(lcdir / HATP7)
    llc = read_lightcurve(lcdir / K90_Q3)
    assert slc.cadence == pytest.approx(0.000681, rel=1e-2)
    assert llc.cadence == pytest.approx(0.02043, rel=1e-2)
    raw = fits.getdata(lcdir / HATP7, 1)
    first = raw["TIME"][(raw["SAP_QUALITY"] == 0) & np.isfinite(raw["TIME"])][0]
    assert slc.time[0].jd == pytest.approx(first + 2454833.0, abs=1e-9)
    assert slc.meta["target"] == "KIC 10666592"


def test_sap_flux_and_quality_masks(lcdir):
    pdc = read_lightcurve(lcdir / TESS)
    sap = read_lightcurve(lcdir / TESS, flux="sap")
    allq = read_lightcurve(lcdir / TESS, quality_mask="none")
    bits = read_lightcurve(lcdir / TESS, quality_mask=1)
    assert sap.meta["flux_origin"] == "sap_flux"
    assert not np.allclose(sap.flux.value, pdc.flux.value, equal_nan=True)
    assert len(allq) > len(pdc)
    assert len(pdc) <= len(bits) <= len(allq)
    with pytest.raises(InputError, match="quality_mask"):
        read_lightcurve(lcdir / TESS, quality_mask="strict")


def test_csv_needs_time_format_and_uses_mission_offset(lcdir):
    with pytest.raises(InputError, match="time_format"):
        read_lightcurve(lcdir / K2_3)
    lc = read_lightcurve(lcdir / K2_3, time_format="bkjd")
    assert len(lc) == 3632
    assert lc.time[0].jd == pytest.approx(1977.26244947 + 2454833.0, abs=1e-8)
    assert TIME_FORMATS["btjd"][0] == 2457000.0
    with pytest.raises(InputError, match="unknown time_format"):
        read_lightcurve(lcdir / K2_3, time_format="kjd")


def test_csv_with_header_and_errors(tmp_path):
    p = tmp_path / "lc.csv"
    p.write_text("time,flux,flux_err\n1325.0,1.0,0.01\n1325.1,0.99,0.01\n1325.2,1.01,0.01\n")
    lc = read_lightcurve(p, time_format="btjd")
    assert lc.time[1].jd == pytest.approx(2458325.1)
    assert lc.flux_err.value.tolist() == [0.01, 0.01, 0.01]


# ---------------------------------------------------------------- readers: bad input
def test_bad_inputs_raise_clear_errors(tmp_path):
    with pytest.raises(DataNotFoundError, match="does not exist"):
        read_lightcurve(tmp_path / "missing.fits")
    empty = tmp_path / "empty.fits"
    empty.write_bytes(b"")
    with pytest.raises(FormatError, match="empty"):
        read_lightcurve(empty)
    junk = tmp_path / "junk.fits"
    junk.write_bytes(b"not a fits file at all" * 10)
    with pytest.raises(SpacekitError):
        read_lightcurve(junk)


def _write_fits(path, cols, header=None):
    hdu = fits.BinTableHDU.from_columns(cols)
    for k, v in (header or {"BJDREFI": 2457000, "BJDREFF": 0.0, "TIMESYS": "TDB"}).items():
        hdu.header[k] = v
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(path)
    return path


def test_fits_without_flux_column(tmp_path):
    t = np.arange(10.0)
    p = _write_fits(tmp_path / "noflux.fits", [fits.Column("TIME", "D", array=t)])
    with pytest.raises(FormatError, match="no flux column 'PDCSAP_FLUX'"):
        read_lightcurve(p)


def test_fits_all_nan_flux(tmp_path):
    t = np.arange(10.0)
    p = _write_fits(
        tmp_path / "nan.fits",
        [
            fits.Column("TIME", "D", array=t),
            fits.Column("PDCSAP_FLUX", "E", array=np.full(10, np.nan)),
        ],
    )
    with pytest.raises(FormatError, match="no finite flux"):
        read_lightcurve(p)


def test_fits_time_system_from_header_not_hardcoded(tmp_path):
    t = np.arange(10.0)
    cols = [fits.Column("TIME", "D", array=t), fits.Column("SAP_FLUX", "E", array=np.ones(10))]
    p = _write_fits(
        tmp_path / "ref.fits", cols, {"BJDREFI": 2400000, "BJDREFF": 0.5, "TIMESYS": "TDB"}
    )
    lc = read_lightcurve(p, flux="sap")
    assert lc.time[3].jd == pytest.approx(2400003.5)
    q = _write_fits(tmp_path / "noref.fits", cols, {"TIMESYS": "TDB"})
    with pytest.raises(FormatError, match="BJDREFI"):
        read_lightcurve(q, flux="sap")
    assert read_lightcurve(q, flux="sap", time_format="btjd").time[0].jd == 2457000.0


# ---------------------------------------------------------------- LightCurve methods
def test_methods_return_new_objects_and_record_history():
    lc, _ = _synthetic()
    lc["flux"][5] = np.nan
    before = lc.flux.value.copy()
    out = lc.remove_nans().normalize().remove_outliers()
    assert len(out) == len(lc) - 1
    np.testing.assert_array_equal(lc.flux.value, before)  # original untouched
    assert isinstance(out, LightCurve)
    assert out.flux.unit == u.dimensionless_unscaled
    assert abs(np.median(out.flux.value) - 1) < 1e-12
    assert [h.split(":")[0] for h in out.meta["history"]] == [
        "remove_nans",
        "normalize",
        "remove_outliers",
    ]
    assert lc.meta["history"] == []


def test_flux_reads_share_memory_and_are_read_only():
    """``lc.flux`` / ``lc.flux_err`` copied the column on every read (a 1e6-point light curve
    cost 8 MB and a copy per access); they are read-only views of the column: two reads share
    memory, writing through one raises instead of changing the light curve, and the column
    itself stays writable."""
    from astropy.utils.masked import Masked

    lc, _ = _synthetic()
    lc["flux_err"] = np.full(len(lc), 1e-3) * lc.flux.unit
    for name in ("flux", "flux_err"):
        a, b = getattr(lc, name), getattr(lc, name)
        assert np.shares_memory(a, b) and np.shares_memory(a, lc[name])
        assert np.shares_memory(a.value, lc[name])
        before = a.value.copy()
        with pytest.raises(ValueError, match="read-only"):
            a[0] = 5 * a.unit
        with pytest.raises(ValueError, match="read-only"):
            a.value[:] *= 2
        np.testing.assert_array_equal(getattr(lc, name).value, before)  # untouched
        mine = getattr(lc, name).copy()  # the documented way to an array of one's own
        mine[0] = 5 * mine.unit
        assert getattr(lc, name)[0] != 5 * mine.unit
        lc[name][0] = 7 * mine.unit  # the column itself is writable as before
        assert a[0] == 7 * mine.unit and getattr(lc, name)[0] == 7 * mine.unit
    plain = LightCurve(time=lc.time, flux=[1.0] * len(lc))
    assert plain.flux_err is None and not plain.flux.flags.writeable
    masked = LightCurve(time=lc.time[:3])
    masked["flux"] = Masked(np.arange(3.0) * u.Jy, mask=[False, True, False])
    view = masked.flux
    with pytest.raises(ValueError, match="read-only"):
        view.mask[0] = True
    assert masked["flux"].mask.tolist() == [False, True, False]
    masked["flux"].mask[0] = True  # the column's own mask stays writable
    assert view.mask[0]


def test_remove_outliers_keeps_transits_by_default():
    lc, intransit = _synthetic(depth=0.05)
    f = lc.flux.value.copy()
    f[7] *= 1.5
    lc["flux"] = f * lc.flux.unit
    flat = lc.flatten(1.0)
    kept = flat.remove_outliers(5)
    assert len(kept) == len(lc) - 1
    clipped = flat.remove_outliers(5, sigma_lower=5)
    assert len(clipped) <= len(lc) - intransit.sum()


def test_flatten_removes_trend_and_keeps_transit_depth():
    lc, intransit = _synthetic(depth=0.01)
    flat, trend = lc.normalize().flatten(0.75 * u.day, return_trend=True)
    out = flat.flux.value
    assert np.std(out[~intransit]) < 5e-4  # the 0.5% sinusoid is gone
    depth = 1 - np.median(out[intransit])
    assert depth == pytest.approx(0.01, rel=0.1)  # transits not eaten
    assert len(trend) == len(lc)
    with pytest.raises(InputError, match="window"):
        lc.flatten(-1)
    with pytest.raises(InputError, match="time"):
        lc.flatten(3 * u.m)


def test_flux_in_magnitudes_is_refused_with_the_conversion():
    # u.mag flux was divided by its median like a flux: transits became rises, and
    # planet_hunter searched the upside-down light curve and found nothing; u.ABmag failed
    # with "flux must hold numbers"
    from spacekit.analyzer import planet_hunter

    t = 2458326.0 + np.arange(200) / 48
    for mag in (np.full(200, 10.0) * u.mag, np.full(200, 10.0) * u.ABmag):
        with pytest.raises(InputError, match=r"not magnitudes.*10 \*\* \(-0.4"):
            LightCurve(time=t, flux=mag)
    lc = LightCurve(time=t, flux=np.ones(200))
    lc["flux"] = np.full(200, 10.0) * u.mag  # set after construction
    for step in (lc.normalize, lambda: planet_hunter(lc)):
        with pytest.raises(InputError, match="not magnitudes"):
            step()
    assert LightCurve(time=t, flux=np.ones(200) * u.percent).normalize().flux.unit == u.one


def test_flatten_warns_when_a_plain_window_is_longer_than_the_light_curve():
    # lc.flatten(401), as lightkurve's window_length=401 (cadences), was a 401-day window:
    # one median for the whole light curve, nothing flattened, and no word about it
    lc, _ = _synthetic(depth=0.01)
    span = float(np.ptp(lc.time_days()))
    with pytest.warns(UserWarning, match=r"401 \* lc.cadence"):
        flat = lc.normalize().flatten(401)
    assert np.std(flat.flux.value) == pytest.approx(np.std(lc.normalize().flux.value))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lc.flatten(401 * u.day)  # a Quantity says days: the caller meant it
        lc.flatten(span / 4)


def test_flatten_takes_lightkurves_window_length_in_cadences():
    # lc.flatten(window_length=401), lightkurve's spelling, was a TypeError
    lc, _ = _synthetic(depth=0.01)
    step = float(np.median(np.diff(lc.time_days())))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a window in cadences is not mistaken for days
        flat = lc.flatten(window_length=101)
    same = lc.flatten(101 * step * u.day)
    assert np.array_equal(flat.flux.value, same.flux.value)
    assert np.std(flat.flux.value) < np.std(lc.normalize().flux.value)
    with pytest.raises(InputError, match="not both"):
        lc.flatten(1.0, window_length=101)
    with pytest.raises(InputError, match="window_length"):
        lc.flatten(window_length=1)
    with pytest.warns(UserWarning, match=r"window_length=401"):
        lc.normalize().flatten(401)


def test_flatten_handles_gaps_and_mask():
    lc, intransit = _synthetic()
    t = lc.time_days()
    lc_gap = lc[(t < 10) | (t > 15)]
    flat = lc_gap.flatten(1.0, mask=np.zeros(len(lc_gap), bool))
    assert np.isfinite(flat.flux.value).all()
    with pytest.raises(InputError, match="mask"):
        lc.flatten(1.0, mask=np.zeros(3, bool))


def test_flatten_memory_is_bounded_and_unsorted_input_gives_the_same_trend():
    """flatten's working memory: about one result's worth beyond the result (32 bytes a
    point: time, flux, flux_err); it sorted copies of every array even when the light curve
    was time-ordered, and copied all the used points for the window medians (121 bytes a
    point in all; issue 20 item 2). An unsorted light curve still gives the same trend."""
    import tracemalloc

    n = 200_000
    rng = np.random.default_rng(0)
    t = 2458000.0 + np.arange(n) * (27.0 / n)
    f = 1 + 0.01 * np.sin(t) + 1e-3 * rng.standard_normal(n)
    lc = LightCurve(time=t, flux=f, flux_err=np.full(n, 1e-3))
    lc.flatten(0.5)  # first-call costs outside the measurement
    tracemalloc.start()
    try:
        flat = lc.flatten(0.5)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak / n < 96, f"flatten peaked at {peak / n:.0f} bytes a point"
    perm = rng.permutation(n)
    shuffled = LightCurve(time=t[perm], flux=f[perm], flux_err=np.full(n, 1e-3))
    mask = np.zeros(n, bool)
    mask[::7] = True
    assert np.array_equal(shuffled.flatten(0.5).flux.value, flat.flux.value[perm])
    assert np.array_equal(
        shuffled.flatten(0.5, mask=mask[perm]).flux.value,
        lc.flatten(0.5, mask=mask).flux.value[perm],
    )


def test_fold_and_bin():
    lc, intransit = _synthetic(period=3.0, depth=0.01)
    flat = lc.normalize().flatten(1.0)
    folded = flat.fold(3.0 * u.day, Time(2458001.0, format="jd", scale="tdb"))
    assert isinstance(folded.time, TimeDelta)
    ph = folded.time_days()
    assert ph.min() >= -1.5 and ph.max() < 1.5
    assert np.all(np.diff(ph) >= 0)
    assert folded.meta["fold"]["period_days"] == 3.0
    assert np.abs(folded.phase).max() <= 0.5
    binned = folded.bin(0.02)
    centre = binned.flux.value[np.argmin(np.abs(binned.time_days()))]
    assert centre == pytest.approx(0.99, abs=2e-3)
    tb = flat.bin(n_bins=50, method="median")
    assert len(tb) == 50
    assert isinstance(tb.time, Time) and tb.time.scale == "tdb"
    assert np.all(np.isfinite(tb.flux_err.value))
    lone = LightCurve(time=[2458000.0, 2458001.0], flux=[1.0, 2.0]).bin(0.1)
    assert lone.flux.value.tolist() == [1.0, 2.0] and np.isnan(lone.flux_err.value).all()
    with pytest.raises(InputError, match="already folded"):
        folded.fold(3.0)
    with pytest.raises(InputError, match="method"):
        flat.bin(method="max")


def test_normalize_and_construction_errors():
    with pytest.raises(InputError, match="all NaN"):
        LightCurve(time=[2458000.0, 2458000.1], flux=[np.nan, np.nan]).normalize()
    with pytest.raises(InputError, match="positive"):
        LightCurve(time=[2458000.0, 2458000.1], flux=[-1.0, -2.0]).normalize()
    with pytest.raises(InputError, match="one value per timestamp"):
        LightCurve(time=[2458000.0, 2458000.1], flux=[1.0])


def test_to_lightkurve_without_lightkurve_says_how_to_install():
    import importlib.util

    lc, _ = _synthetic(n=10)
    if importlib.util.find_spec("lightkurve") is None:
        from spacekit.exceptions import MissingDependencyError

        with pytest.raises(MissingDependencyError, match="pip install spacekit lightkurve"):
            lc.to_lightkurve()
    else:  # the interop venv: a round trip keeps time exactly
        back = LightCurve.from_lightkurve(lc.to_lightkurve())
        assert np.array_equal(back.time.jd2, lc.time.jd2)


def test_tess_spoc_layout(tmp_path):
    """A TESS SPOC ``*_lc.fits`` layout (no sample in the shared data): QUALITY, e-/s, BTJD."""
    n = 20
    t = 1325.0 + np.arange(n) / 720
    q = np.zeros(n, dtype=np.int32)
    q[[3, 4]] = [1, 4096]
    cols = [
        fits.Column("TIME", "D", unit="BJD - 2457000, days", array=t),
        fits.Column("SAP_FLUX", "E", unit="e-/s", array=np.full(n, 2.0)),
        fits.Column("PDCSAP_FLUX", "E", unit="e-/s", array=np.full(n, 1.0)),
        fits.Column("PDCSAP_FLUX_ERR", "E", unit="e-/s", array=np.full(n, 0.01)),
        fits.Column("QUALITY", "J", array=q),
    ]
    hdu = fits.BinTableHDU.from_columns(cols, name="LIGHTCURVE")
    hdu.header.update({"BJDREFI": 2457000, "BJDREFF": 0.0, "TIMESYS": "TDB", "TIMEUNIT": "d"})
    prim = fits.PrimaryHDU()
    prim.header.update({"TELESCOP": "TESS", "OBJECT": "TIC 1", "SECTOR": 1})
    path = tmp_path / "tess2018206045859-s0001-0000000000000001-0120-s_lc.fits"
    fits.HDUList([prim, hdu]).writeto(path)
    lc = read_lightcurve(path)
    assert len(lc) == n - 2
    assert lc.time[0].jd == pytest.approx(2458325.0)
    assert lc.flux.unit == u.electron / u.s and lc.meta["sector"] == 1
    assert len(read_lightcurve(path, quality_mask=4096)) == n - 1
    assert read_lightcurve(path, flux="sap").flux.value[0] == 2.0


def test_datetime_and_iso_times_are_not_read_as_julian_dates():
    import pandas as pd

    stamps = pd.to_datetime(["2020-01-01", "2020-01-02"])
    for times in (stamps, stamps.to_numpy(), ["2020-01-01", "2020-01-02"]):
        lc = LightCurve(time=times, flux=[1.0, 2.0])
        assert lc.time.isot[0].startswith("2020-01-01") and lc.time_days().tolist() == [0, 1]
    assert LightCurve(time=["2458326.0", "2458327"], flux=[1, 2]).time.jd.tolist() == [
        2458326.0,
        2458327.0,
    ]


def test_mission_day_numbers_warn_and_time_format_reads_them():
    # LightCurve(time=lk_lc.time.value, ...) took TESS's BTJD 1326.0 as JD 1326 (4709 BC):
    # folds and periods still worked, but the epoch planet_hunter reported as "BJD_TDB"
    # was 2457000 days off, without a word
    from spacekit.transformer import NoTimeSystemWarning

    btjd = 1326.0 + np.arange(4) / 48
    with pytest.warns(NoTimeSystemWarning, match=r"1326\.\.1326.* time_format='btjd'"):
        LightCurve(time=btjd, flux=np.ones(4))
    lc = LightCurve(time=btjd, flux=np.ones(4), time_format="btjd")
    assert lc.time.jd[0] == 2458326.0 and lc.time.scale == "tdb"
    assert lc.mission_time_format() == "btjd"
    kepler = LightCurve(time=[120.5, 121.0], flux=[1, 1], time_format="BKJD")
    assert kepler.time.jd.tolist() == [2454953.5, 2454954.0]
    relative = LightCurve(time=[0.0, 0.5], flux=[1, 1], time_format="relative")
    assert relative.time.scale == "local" and relative.time_days().tolist() == [0.0, 0.5]
    with pytest.raises(InputError, match="unknown time_format"):
        LightCurve(time=btjd, flux=np.ones(4), time_format="tjd")
    with pytest.raises(InputError, match="already an astropy Time"):
        LightCurve(time=lc.time, flux=np.ones(4), time_format="btjd")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LightCurve(time=2458326.0 + np.arange(4) / 48, flux=np.ones(4))  # JDs: no warning


def test_bad_time_flux_and_flux_err_are_input_errors():
    with pytest.raises(InputError, match="non-finite"):
        LightCurve(time=[2458326.0, np.nan], flux=[1.0, 2.0])
    with pytest.raises(InputError, match="ISO strings"):
        LightCurve(time=["soon", "later"], flux=[1.0, 2.0])
    with pytest.raises(InputError, match="flux must hold numbers"):
        LightCurve(time=[2458326.0, 2458327.0], flux=["a", "b"])
    with pytest.raises(InputError, match="convertible to flux"):
        LightCurve(
            time=[2458326.0, 2458327.0],
            flux=[1.0, 2.0] * u.electron / u.s,
            flux_err=[0.1, 0.1] * u.m,
        )


def test_empty_fold_one_point_bin_and_repeated_timestamps():
    with pytest.raises(InputError, match="empty light curve"):
        LightCurve(time=[], flux=[]).fold(1.0)
    # an empty light curve was said to hold "none (all NaN)"
    with pytest.raises(InputError, match="has no points at all"):
        LightCurve(time=[], flux=[]).normalize()
    with pytest.raises(InputError, match="none of its 2 points"):
        LightCurve(time=[2458326.0, 2458326.1], flux=[np.nan, np.nan]).normalize()
    assert LightCurve(time=[2458326.0], flux=[3.0]).bin().flux.value.tolist() == [3.0]
    t = 2458326.0 + np.repeat(np.arange(40) / 48, 2)  # every timestamp twice
    lc = LightCurve(time=t, flux=np.ones(80))
    assert lc.cadence == pytest.approx(1 / 48, rel=1e-6)
    assert len(lc.bin()) == 4
    assert lc.time_days(2458326.0)[-1] == pytest.approx(39 / 48)


def test_csv_reader_closes_the_file(tmp_path):
    import gc
    import warnings

    path = tmp_path / "lc.csv"
    path.write_text("2.0,1.0\n2.1,1.1\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lc = read_lightcurve(path, time_format="btjd")
        gc.collect()
    assert len(lc) == 2
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


def test_csv_quality_column_is_masked_like_fits(tmp_path):
    p = tmp_path / "lc.csv"
    p.write_text(
        "time,flux,flux_err,quality\n1325.0,1.0,0.01,0\n1325.1,0.5,0.01,128\n"
        "1325.2,1.01,0.01,0\n1325.3,1.02,0.01,4\n"
    )
    assert read_lightcurve(p, time_format="btjd").flux.value.tolist() == [1.0, 1.01]
    assert len(read_lightcurve(p, time_format="btjd", quality_mask="none")) == 4
    assert len(read_lightcurve(p, time_format="btjd", quality_mask=128)) == 3
    lc = read_lightcurve(p, time_format="btjd")
    assert lc.meta["quality_mask"] == "default" and "quality" in lc.meta["history"][0]
    with pytest.raises(InputError, match="quality_mask"):
        read_lightcurve(p, time_format="btjd", quality_mask="strict")
    # a bad mask is refused for a file without a quality column too (it was silently ignored)
    bare = tmp_path / "bare.csv"
    bare.write_text("time,flux\n1325.0,1.0\n1325.1,1.01\n")
    for bad in ("strict", 1.5, True):
        with pytest.raises(InputError, match="quality_mask"):
            read_lightcurve(bare, time_format="btjd", quality_mask=bad)
    assert len(read_lightcurve(bare, time_format="btjd", quality_mask=128)) == 2


def test_repr_is_a_one_line_summary_not_a_table():
    lc, _ = _synthetic(n=3000)
    lc.meta.update(target="WASP-126", mission="TESS")
    text = repr(lc)
    assert "\n" not in text and len(text) < 300
    assert text.startswith("<LightCurve") and "3000 points" in text and "WASP-126" in text
    assert "electron / s" in text and "flux_err" in text and "2458000.0" in text
    folded = repr(lc.fold(3.0, 2458001.0))
    assert "folded" in folded and "period 3 d" in folded and "\n" not in folded
    empty = repr(LightCurve(time=np.zeros(0) + 2458000.0, flux=np.zeros(0)))
    assert "0 points" in empty and "\n" not in empty
    assert "\n" in str(lc)  # print() still shows the table
    assert repr([lc, lc]).count("<LightCurve") == 2


def test_time_days_reference_in_another_scale_is_the_same_instant():
    # a UTC light curve (csv read with time_format='jd') measured from a TDB reference
    # subtracted the numbers of two scales: 69 s off
    t = Time(2458000.0 + np.arange(3) / 48, format="jd", scale="utc")
    lc = LightCurve(time=t, flux=np.ones(3))
    ref = t[0].tdb
    assert lc.time_days(ref)[0] == pytest.approx(0.0, abs=1e-9)
    assert lc.time_days(t[0])[0] == 0.0
    tdb = LightCurve(time=t.tdb, flux=np.ones(3))
    assert tdb.time_days(t[0])[0] == pytest.approx(0.0, abs=1e-9)


def test_cleaning_settings_are_checked():
    lc = LightCurve(time=2458000.0 + np.arange(100) / 48, flux=np.arange(100.0) + 1)
    # sigma <= 0 dropped most of the light curve, NaN dropped nothing, silently
    for bad in (0, -1, float("nan"), "5"):
        with pytest.raises(InputError, match="sigma must be a positive number"):
            lc.remove_outliers(bad)
    with pytest.raises(InputError, match="sigma_lower must be a positive number"):
        lc.remove_outliers(sigma_lower=-3)
    with pytest.raises(InputError, match="sigma must be a positive number"):
        lc.flatten(0.5, sigma=-1)
    for bad in (0, 1.5, True):  # iterations=0 still ran one pass
        with pytest.raises(InputError, match="iterations must be a whole number"):
            lc.flatten(0.5, iterations=bad)
    # both a width and a count: the width was silently ignored; 2.5 bins became 2
    with pytest.raises(InputError, match="either time_bin_size or n_bins"):
        lc.bin(0.1, n_bins=3)
    with pytest.raises(InputError, match="n_bins must be a whole number"):
        lc.bin(n_bins=2.5)
    assert len(lc.bin(n_bins=4.0)) == 4


# ---------------------------------------------------------------- lossless round trips
SHARED_LCS = [
    K2_3,
    TESS,
    "kplr010002792-2009259160929_llc.fits",
    HATP7,
    K90_Q3,
    "kplr011442793-2010009091648_llc.fits",
    "kplr011442793-2010174085026_llc.fits",
]


def _read_shared(lcdir, name):
    return read_lightcurve(lcdir / name, time_format="bkjd" if name.endswith(".csv") else None)


def _same_instants(a, b, tol_s=0.0):
    assert a.time.scale == b.time.scale
    if tol_s == 0.0:
        assert np.array_equal(a.time.jd1, b.time.jd1)
        assert np.array_equal(a.time.jd2, b.time.jd2)
    else:
        assert float(np.abs((a.time - b.time).sec).max()) <= tol_s


@pytest.mark.parametrize("name", SHARED_LCS)
def test_fits_round_trip_is_lossless(lcdir, tmp_path, name):
    """lc.write('lc.fits') then LightCurve.read: times bit for bit, scale, format, units, meta."""
    lc = _read_shared(lcdir, name)
    path = tmp_path / "lc.fits"
    lc.write(path)
    back = LightCurve.read(path)
    _same_instants(back, lc)
    assert back.time.format == lc.time.format
    assert back.colnames == lc.colnames
    for col in lc.colnames[1:]:
        assert back[col].unit == lc[col].unit
        assert np.array_equal(np.asarray(back[col]), np.asarray(lc[col]), equal_nan=True)
    assert back.meta == lc.meta
    # the mission-style file is also what read_lightcurve and plain FITS readers expect
    with fits.open(path) as hdul:
        assert hdul[1].header["TIMESYS"] == "TDB"
        assert hdul[1].header["BJDREFI"] in (2454833, 2457000)
        assert (hdul[1].columns["flux"].unit or "") == lc.flux.unit.to_string()
    again = read_lightcurve(path, flux="FLUX", time_format="bjd")
    _same_instants(again, lc)
    assert u.allclose(again.flux, lc.flux, equal_nan=True)
    with pytest.raises(InputError, match="exists"):
        lc.write(path)
    lc.write(path, overwrite=True)


@pytest.mark.parametrize("name", SHARED_LCS)
def test_ecsv_round_trip_is_lossless(lcdir, tmp_path, name):
    lc = _read_shared(lcdir, name)
    lc.write(tmp_path / "lc.ecsv")
    back = LightCurve.read(tmp_path / "lc.ecsv")
    _same_instants(back, lc)  # jd1/jd2 written: no 40-microsecond rounding
    assert back.flux.unit == lc.flux.unit
    assert back.meta == lc.meta


def test_read_of_a_numeric_csv_says_to_use_read_lightcurve(tmp_path):
    # LightCurve.read("lc.csv") on a csv of BKJD numbers ended in astropy's ValueError
    # listing the ten time formats it tried, none of them the way out
    path = tmp_path / "lc.csv"
    path.write_text("time,flux\n" + "".join(f"{120 + i / 48},{1 + i % 3}\n" for i in range(20)))
    with pytest.raises(InputError, match=r"read_lightcurve\(path, time_format='bkjd'\)"):
        LightCurve.read(path)
    assert len(read_lightcurve(path, time_format="bkjd")) == 20


@pytest.mark.parametrize("name", SHARED_LCS)
def test_pandas_round_trip_keeps_scale_units_meta(lcdir, name):
    """to_pandas states the scale (TDB was read back as UTC: 66.19 s off) and the units."""
    lc = _read_shared(lcdir, name)
    df = lc.to_pandas()
    assert df.attrs["time_scale"] == "tdb"
    assert df.attrs["units"]["flux"] == str(lc.flux.unit)
    back = LightCurve.from_pandas(df)
    _same_instants(back, lc, tol_s=1e-6)  # datetime64[ns] resolution
    assert back.flux.unit == lc.flux.unit
    assert back.meta == lc.meta
    assert np.array_equal(back.flux.value, lc.flux.value, equal_nan=True)
    # a DataFrame without attrs: the scale is the caller's to state (astropy's default UTC)
    plain = df.copy()
    plain.attrs = {}
    assert LightCurve.from_pandas(plain, time_scale="tdb").time.scale == "tdb"
    with pytest.raises(InputError, match="DatetimeIndex"):
        LightCurve.from_pandas(df.reset_index(drop=True))


def test_read_lightcurve_on_an_astropy_written_fits_table(lcdir, tmp_path):
    """astropy's own FITS serialisation of a Time column (jd1, jd2 pairs): read, not a raw
    numpy broadcast error."""
    from astropy.table import QTable
    from astropy.timeseries import TimeSeries

    lc = read_lightcurve(lcdir / HATP7)
    import warnings

    path = tmp_path / "astropy.fits"
    table = QTable(TimeSeries(time=lc.time, data={"flux": lc.flux, "flux_err": lc.flux_err}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # astropy: electron / s is not a FITS-standard unit
        table.write(path)
    back = read_lightcurve(path, flux="FLUX", time_format="bjd")
    _same_instants(back, lc)
    assert back.flux.unit == lc.flux.unit
    assert back.flux_err is not None
    assert LightCurve.read(path).flux.unit == lc.flux.unit


def test_astropy_timeseries_in(lcdir):
    """LightCurve(astropy TimeSeries from its Kepler reader): .flux is PDCSAP, units repaired."""
    import warnings

    from astropy.timeseries import TimeSeries

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ts = TimeSeries.read(lcdir / HATP7, format="kepler.fits")
    lc = LightCurve(ts)
    assert lc.flux.unit == u.electron / u.s
    assert lc.flux_err is not None
    assert lc.meta["flux_origin"] == "pdcsap_flux"
    assert "sap_flux" in lc.colnames  # the other columns are kept
    ours = read_lightcurve(lcdir / HATP7, quality_mask="none")
    good = np.isfinite(ours.flux.value)
    assert np.allclose(lc.flux.value[good], ours.flux.value[good])
    assert len(lc.remove_nans().normalize()) == int(good.sum())
    with pytest.raises(InputError, match="no 'flux' column"):
        _ = LightCurve(TimeSeries(time=ts.time[:3], data={"a": [1, 2, 3]})).flux


def test_mission_time_format():
    def mk(**meta):
        return LightCurve(time=[2458326.0, 2458326.1], flux=[1.0, 1.0], meta=meta)

    assert mk(bjdref=2454833.0).mission_time_format() == "bkjd"
    assert mk(mission="TESS").mission_time_format() == "btjd"
    assert mk(time_format="bkjd (Kepler/K2 ...)").mission_time_format() == "bkjd"
    assert mk().mission_time_format() is None


# ---------------------------------------------------------------- astropy argument names
def _astropy_phase(lc, **kw):
    from astropy.timeseries import TimeSeries

    ts = TimeSeries(time=lc.time, data={"flux": lc.flux})
    folded = ts.fold(**kw)
    t = folded.time
    return np.sort(t.value if kw.get("normalize_phase") else t.to_value(u.day))


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"epoch_phase": 0.3 * u.day},
        {"wrap_phase": 2.0 * u.day},
        {"epoch_phase": 0.25 * u.day, "wrap_phase": 0.5 * u.day},
        {"normalize_phase": True},
        {"normalize_phase": True, "epoch_phase": 0.2, "wrap_phase": 0.9},
    ],
)
def test_fold_takes_astropy_and_lightkurve_arguments(extra):
    """fold(period=..., epoch_time=...) was a bare TypeError; the phases match astropy's."""
    lc, _ = _synthetic(n=800)
    epoch = lc.time[0] + 0.4 * u.day
    ours = lc.fold(period=2.3 * u.day, epoch_time=epoch, **extra)
    theirs = _astropy_phase(lc, period=2.3 * u.day, epoch_time=epoch, **extra)
    mine = ours.phase if extra.get("normalize_phase") else ours.time_days()
    assert np.allclose(mine, theirs, atol=1e-9)
    assert isinstance(ours.time, TimeDelta)  # every method keeps working on the result
    assert len(ours.bin(n_bins=20)) == 20
    assert ours.meta["fold"]["normalize_phase"] is bool(extra.get("normalize_phase"))


def test_fold_argument_errors():
    lc, _ = _synthetic(n=200)
    with pytest.raises(InputError, match="epoch once"):
        lc.fold(3.0, lc.time[0], epoch_time=lc.time[0])
    with pytest.raises(InputError, match="needs a period"):
        lc.fold(epoch_time=lc.time[0])
    with pytest.raises(InputError, match="wrap_phase must lie between 0 and the period"):
        lc.fold(3.0, wrap_phase=1.5, normalize_phase=True)
    with pytest.raises(InputError, match="fraction of the period"):
        lc.fold(3.0, epoch_phase=1 * u.day, normalize_phase=True)
    # the positional form is unchanged
    assert np.allclose(lc.fold(3.0, lc.time[0]).time_days(), lc.fold(3.0).time_days())


def test_bin_aggregate_func():
    lc = LightCurve(time=2458326.0 + np.arange(100) / 48, flux=np.arange(100.0))
    assert np.allclose(
        lc.bin(n_bins=10, aggregate_func=np.nanmedian).flux.value,
        lc.bin(n_bins=10, method="median").flux.value,
    )
    sums = lc.bin(n_bins=10, aggregate_func=np.nansum).flux.value
    assert sums.sum() == pytest.approx(np.arange(100.0).sum())
    with pytest.raises(InputError, match="aggregate_func"):
        lc.bin(n_bins=10, aggregate_func="median")


def test_fold_refuses_a_mission_day_number_as_epoch(lcdir):
    """A BKJD epoch typed as a float (lightkurve's habit) would fold at the wrong phase."""
    lc = read_lightcurve(lcdir / HATP7)
    with pytest.raises(InputError, match=r"BKJD epoch add 2454833 \(epoch=2454954.3585\)"):
        lc.fold(period=2.2047299, epoch_time=121.3585)
    assert lc.fold(period=2.2047299, epoch_time=121.3585 + 2454833.0).is_folded
    # an MJD was told to add TESS's or Kepler's offset (a date centuries away)
    with pytest.raises(InputError, match=r"an MJD epoch add 2400000.5 \(epoch=2454954.3585\)"):
        lc.fold(2.2047299, 54953.8585)
    tess = read_lightcurve(
        lcdir / "hlsp_tess-data-alerts_tess_phot_00025155310-s01_tess_v1_lc.fits"
    )
    with pytest.raises(InputError, match=r"BTJD epoch add 2457000 .*format='btjd'"):
        tess.fold(3.2888, 1326.9)
    with pytest.raises(InputError, match="Pass a Julian date or an astropy Time"):
        tess.fold(3.2888, -3.0e5)  # no day number puts it near the data


# ---------------------------------------------------------------- stitch
def test_stitch_normalises_each_piece_and_keeps_gaps_and_columns():
    from spacekit.transformer import stitch

    a = LightCurve(time=2458326.0 + np.arange(50) / 48, flux=np.full(50, 100.0) * u.electron / u.s)
    b = LightCurve(time=2458340.0 + np.arange(30) / 48, flux=np.full(30, 250.0) * u.electron / u.s)
    b2 = b.copy()
    a["quality"] = np.zeros(50, dtype=np.int32)
    b2["quality"] = np.arange(30, dtype=np.int32)
    b2.meta["quarter"] = 4
    a.meta["source"] = "a.fits"
    lc = stitch([b2, a])  # any order: sorted by time
    assert len(lc) == 80
    assert np.all(np.diff(lc.time_days()) > 0)
    assert np.allclose(lc.flux.value, 1.0) and lc.flux.unit == u.dimensionless_unscaled
    assert lc["segment"].tolist() == [1] * 50 + [0] * 30
    assert lc["quality"].tolist() == [0] * 50 + list(range(30))  # shared columns kept
    gap = np.diff(lc.time_days()).max()
    assert gap == pytest.approx(14.0 - 49 / 48)  # nothing filled in the gap
    assert lc.meta["stitched"][0]["quarter"] == 4 and lc.meta["stitched"][0]["median_flux"] == 250
    assert lc.meta["history"][-1].startswith("stitch: 2 pieces")
    assert len(a.stitch(b)) == 80  # the method form
    raw = stitch([a, b], normalize=False)
    assert raw.flux.unit == u.electron / u.s and raw.flux.value.max() == 250.0
    assert "flux_err" not in raw.colnames and "quality" not in stitch([a, b]).colnames


def test_stitch_errors():
    from spacekit.transformer import stitch

    a = LightCurve(time=2458326.0 + np.arange(5) / 48, flux=np.ones(5))
    with pytest.raises(InputError, match="at least one"):
        stitch([])
    with pytest.raises(InputError, match="folded"):
        stitch([a, a.fold(1.0)])
    with pytest.raises(InputError, match="item 1"):
        stitch([a, 3])
    local = LightCurve(time=Time(np.arange(5.0), format="jd", scale="local"), flux=np.ones(5))
    with pytest.raises(InputError, match="cannot be converted"):
        stitch([a, local])
    with pytest.raises(InputError, match="units"):
        stitch([a, LightCurve(time=a.time, flux=np.ones(5) * u.electron / u.s)], normalize=False)
    with pytest.raises(InputError, match="positive median"):
        stitch([a, LightCurve(time=a.time, flux=-np.ones(5))])


def test_stitch_kepler90_quarters(lcdir):
    """Q3, the truncated Q4 and Q5: each normalised on its own, every cadence kept."""
    from spacekit.transformer import stitch

    names = sorted(p.name for p in lcdir.glob("kplr011442793-*_llc.fits"))
    pieces = [read_lightcurve(lcdir / n) for n in names]
    lc = stitch([lcdir / n for n in names])  # paths are read too
    assert len(lc) == sum(len(p) for p in pieces)
    assert [s["quarter"] for s in lc.meta["stitched"]] == [3, 4, 5]
    for i in range(3):
        seg = lc.flux.value[lc["segment"] == i]
        assert np.nanmedian(seg) == pytest.approx(1.0)
    assert np.all(np.diff(lc.time_days()) > 0)
    assert lc.time.scale == "tdb"


def test_stitch_refuses_pieces_of_different_stars(lcdir):
    # stitch(folder.glob("*.fits")) over two stars made one light curve of both, named
    # after the first, and planet_hunter searched it
    from spacekit.transformer import stitch

    kepler90 = sorted(lcdir.glob("kplr011442793-*_llc.fits"))[0]
    hat_p_7 = lcdir / "kplr010666592-2009131110544_slc.fits"
    with pytest.raises(InputError, match="keplerid 10666592, 11442793"):
        stitch([kepler90, hat_p_7])
    tess = lcdir / "hlsp_tess-data-alerts_tess_phot_00025155310-s01_tess_v1_lc.fits"
    wasp = read_lightcurve(tess)
    other = LightCurve(time=wasp.time, flux=wasp.flux, meta={**wasp.meta, "ticid": 1})
    with pytest.raises(InputError, match="ticid"):
        stitch([wasp, other])
    assert len(stitch([wasp, LightCurve(time=wasp.time, flux=wasp.flux)])) == 2 * len(wasp)


def test_slicing_keeps_no_time_index_and_the_same_values():
    """Issue 20: a LightCurve carries no automatic ``time`` index (astropy's TimeSeries
    rebuilds it row by row on every slice); the values of a slice are unchanged."""
    from astropy.timeseries import TimeSeries

    lc, _ = _synthetic(n=500)
    ts = TimeSeries(time=lc.time, data={"flux": lc.flux, "flux_err": lc.flux_err})
    assert ts.indices and not lc.indices
    keep = np.random.default_rng(1).random(len(lc)) > 0.3
    ours, theirs = lc._derive(keep, "test"), ts[keep]
    assert not ours.indices
    assert np.array_equal(ours.time.jd2, theirs.time.jd2)
    assert np.array_equal(ours.flux, theirs["flux"]) and np.array_equal(
        ours.flux_err, theirs["flux_err"]
    )
    order = np.argsort(-lc.time_days())
    assert np.array_equal(lc._derive(order).flux, ts[order]["flux"])
    for derived in (
        lc.remove_nans(),
        lc.normalize(),
        lc.fold(3.0),
        lc.bin(n_bins=10),
        LightCurve(ts),
    ):
        assert not derived.indices
    own = lc.copy()
    own.add_index("time")  # a caller may still ask for one
    assert own.loc[lc.time[3]]["flux"] == lc.flux[3]


def _long_lc(n: int, seed: int = 0) -> LightCurve:
    """n points over 27 days: a slow sine, 0.3% transits every 3 days, a gap, some NaNs."""
    rng = np.random.default_rng(seed)
    t = 2458000.0 + np.arange(n) * (27.0 / n)
    f = (1 + 1e-3 * rng.standard_normal(n)) * (1 + 0.01 * np.sin(2 * np.pi * (t - t[0]) / 5))
    f[np.abs((t - 2458001.0 + 1.5) % 3.0 - 1.5) < 0.05] -= 0.003
    f[rng.integers(0, n, n // 1000)] = np.nan
    keep = ~((t - t[0] > 10) & (t - t[0] < 11.5))
    return LightCurve(time=t[keep], flux=f[keep], flux_err=np.full(int(keep.sum()), 1e-3))


def test_flatten_trend_is_the_same_for_any_block_size():
    from spacekit.transformer.lightcurve import _running_median_trend

    lc = _long_lc(20_000)
    t, f = lc.time_days(), lc.flux.value
    excluded = ~np.isfinite(f)
    whole = _running_median_trend(t, f, excluded, 0.5, 3.0, 3, chunk=t.size)
    for chunk in (1, 7, 4096):
        blocks = _running_median_trend(t, f, excluded, 0.5, 3.0, 3, chunk=chunk)
        assert blocks.tobytes() == whole.tobytes()


def test_bin_sums_are_the_same_for_any_block_size():
    from spacekit.transformer.lightcurve import _bin_sums

    lc = _long_lc(20_000).fold(3.0, 2458001.0)  # phase bins gather points from everywhere
    tv, f, e = lc.time_days(), lc.flux.value, lc.flux_err.value.copy()
    e[::50] = np.nan
    t0 = float(np.nanmin(tv))
    whole = _bin_sums(tv, f, e, t0, 0.01, 301, chunk=tv.size)
    for chunk in (1, 7, 4096):
        part = _bin_sums(tv, f, e, t0, 0.01, 301, chunk=chunk)
        assert all(a.tobytes() == b.tobytes() for a, b in zip(whole, part, strict=True))


def test_flatten_peak_memory_is_one_copy_and_the_trend():
    # a flattened copy is 32 bytes a point (time jd1/jd2, flux, flux_err) and the trend 8;
    # flatten once made two more full-size copies of flux (72 bytes a point at its peak)
    import tracemalloc

    lc = _long_lc(200_000)
    lc.flatten(0.5)  # first-call costs
    tracemalloc.start()
    try:
        start, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        flat = lc.flatten(0.5)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (peak - start) / len(lc) < 50, (peak - start) / len(lc)
    assert np.isfinite(flat.flux.value).sum() > 0.99 * len(lc)


@pytest.mark.parametrize("case", ["float32", "unsorted", "flat"])
def test_clean_is_the_cleaning_steps_in_one_copy(case):
    # planet_hunter's one-copy cleaning gives the light curve, columns and history of
    # remove_nans -> sort -> normalize -> remove_outliers, to the bit
    rng = np.random.default_rng(4)
    n = 5_000
    t = 2458000.0 + np.arange(n) / 48.0
    f = 1000 * (1 + 1e-3 * rng.standard_normal(n))
    f[[10, 20, 4000]] = [1100.0, 1200.0, 990.0]  # two upward outliers, one dip
    f[::97] = np.nan
    err = np.full(n, 1.0)
    err[5::311] = np.nan
    if case == "flat":
        f = np.where(np.isfinite(f), 1000.0, np.nan)  # no spread: nothing clipped
    if case == "unsorted":
        order = rng.permutation(n)
        t, f, err = t[order], f[order], err[order]
        t[1] = t[0]  # a repeated timestamp: the stable sort keeps the rows' order
    dtype = np.float32 if case == "float32" else np.float64
    lc = LightCurve(
        time=t, flux=u.Quantity(f.astype(dtype), "electron/s"), flux_err=err.astype(dtype)
    )
    lc["quality"] = np.arange(n)
    steps = lc.remove_nans()
    if np.any(np.diff(steps.time_days()) < 0):
        steps = steps._derive(np.argsort(steps.time_days(), kind="stable"), "sorted")
    steps = steps.normalize().remove_outliers(5.0)
    once = lc._clean(5.0, "sorted")
    assert once.colnames == steps.colnames
    assert once.meta == steps.meta
    for name in steps.colnames:
        a, b = steps[name], once[name]
        if name == "time":
            assert a.jd1.tobytes() == b.jd1.tobytes() and a.jd2.tobytes() == b.jd2.tobytes()
        else:
            assert np.asarray(a).tobytes() == np.asarray(b).tobytes(), name
            assert getattr(a, "unit", None) == getattr(b, "unit", None)

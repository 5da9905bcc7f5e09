"""spacekit LightCurve <-> lightkurve LightCurve, and planet_hunter on a lightkurve object.

Runs in the interop venv (``make test-interop``: spacekit core + lightkurve).
"""

from __future__ import annotations

import astropy.units as u
import lightkurve as lk
import numpy as np
import pytest

from spacekit.analyzer import planet_hunter
from spacekit.transformer import LightCurve, read_lightcurve

TESS = "hlsp_tess-data-alerts_tess_phot_00025155310-s01_tess_v1_lc.fits"
KEPLER = "kplr011442793-2009350155506_llc.fits"


@pytest.fixture
def lcdir(shared_data):
    return shared_data / "lightcurves"


def test_round_trip_keeps_time_flux_and_errors(lcdir):
    ours = read_lightcurve(lcdir / TESS)
    theirs = ours.to_lightkurve()
    assert isinstance(theirs, lk.LightCurve)
    assert np.array_equal(theirs.time.jd1, ours.time.jd1)
    assert np.array_equal(theirs.time.jd2, ours.time.jd2)
    assert u.allclose(theirs.flux, ours.flux)
    assert u.allclose(theirs.flux_err, ours.flux_err)
    back = LightCurve.from_lightkurve(theirs)
    assert back.time.scale == "tdb"
    assert np.array_equal(back.time.jd2, ours.time.jd2)
    assert back.meta["history"][-1] == "from_lightkurve"


def test_same_times_as_lightkurve_reader(lcdir):
    """Both readers take the time system from the header: identical BJD_TDB timestamps."""
    theirs = lk.read(lcdir / KEPLER, quality_bitmask="hardest")
    theirs = theirs[np.isfinite(theirs.time.value)]
    ours = read_lightcurve(lcdir / KEPLER, quality_mask="none")
    common = np.intersect1d(
        np.round(theirs.time.tdb.jd, 8), np.round(ours.time.jd, 8), assume_unique=False
    )
    assert common.size == len(theirs)  # every lightkurve cadence is one of ours, to 1 ms
    assert theirs.time.format in ("bkjd", "btjd")


def test_planet_hunter_accepts_a_lightkurve_object(lcdir):
    theirs = lk.read(lcdir / TESS)
    # the target (repr, plot titles) was lost: lightkurve calls it OBJECT and LABEL
    assert LightCurve.from_lightkurve(theirs).meta["target"] == "TIC 25155310"
    res = planet_hunter(theirs)
    assert res.period.value == pytest.approx(3.2888, rel=1e-3)
    assert res.detected


def test_a_folded_lightkurve_object_is_refused(lcdir):
    # its phases (a TimeDelta) were read as Julian dates near 0: planet_hunter searched the
    # folded light curve and reported a "period" of 1.05 d at epoch JD -0.22
    from spacekit.exceptions import InputError

    folded = lk.read(lcdir / TESS).fold(3.2888)
    for call in (LightCurve.from_lightkurve, planet_hunter):
        with pytest.raises(InputError, match="folded"):
            call(folded)


SHARED_LCS = [
    "EPIC201367065.csv",
    TESS,
    "kplr010002792-2009259160929_llc.fits",
    "kplr010666592-2009131110544_slc.fits",
    KEPLER,
    "kplr011442793-2010009091648_llc.fits",
    "kplr011442793-2010174085026_llc.fits",
]


def _ours(lcdir, name):
    return read_lightcurve(lcdir / name, time_format="bkjd" if name.endswith(".csv") else None)


@pytest.mark.parametrize("name", SHARED_LCS)
def test_converted_object_works_with_every_lightkurve_method(lcdir, name):
    """bin (failed inside astropy on the TimeSeries index), flatten, fold, to_periodogram
    and stitch on to_lightkurve()'s result; time format as lightkurve.read gives."""
    ours = _ours(lcdir, name)
    theirs = ours.to_lightkurve()
    expected = "btjd" if name == TESS else "bkjd"
    assert theirs.time.format == expected
    if not name.endswith(".csv"):
        assert lk.read(lcdir / name).time.format == expected
    binned = theirs.bin(time_bin_size=0.1)
    assert 0 < int(np.isfinite(binned.flux.value).sum()) < len(theirs)
    assert len(theirs.flatten()) == len(theirs)
    folded = theirs.fold(period=3.0, epoch_time=float(theirs.time[0].value))
    assert len(folded) == len(theirs)
    assert len(theirs.to_periodogram().period) > 0
    stitched = lk.LightCurveCollection([theirs, theirs]).stitch()
    assert len(stitched) == 2 * len(theirs)
    back = LightCurve.from_lightkurve(theirs)
    assert back.time.scale == ours.time.scale
    assert np.array_equal(back.time.jd1, ours.time.jd1)
    assert np.array_equal(back.time.jd2, ours.time.jd2)
    assert u.allclose(back.flux, ours.flux, equal_nan=True)
    assert back.flux.unit == ours.flux.unit


def test_bkjd_epoch_folds_at_the_same_phase_as_ours(lcdir):
    """An epoch typed in BKJD, as lightkurve users do, means the same instant on both sides."""
    ours = _ours(lcdir, "kplr010666592-2009131110544_slc.fits")
    theirs = ours.to_lightkurve()
    period, epoch_bkjd = 2.2047299, 121.3585  # HAT-P-7 b, BKJD
    lk_fold = theirs.fold(period=period, epoch_time=epoch_bkjd)
    our_fold = ours.fold(period=period * u.day, epoch_time=epoch_bkjd + 2454833.0)
    lk_phase = np.sort(lk_fold.time.to_value(u.day))
    assert np.allclose(lk_phase, our_fold.time_days(), atol=1e-8)


def test_lightkurve_read_in_and_back_out(lcdir):
    theirs = lk.read(lcdir / KEPLER)
    ours = LightCurve.from_lightkurve(theirs)
    assert "quality" in ours.colnames  # lightkurve's extra columns are kept
    again = ours.to_lightkurve()
    assert again.time.format == "bkjd"
    assert np.array_equal(again.time.jd2, theirs.time.jd2)
    assert u.allclose(again.flux, u.Quantity(theirs.flux.filled(np.nan)), equal_nan=True)

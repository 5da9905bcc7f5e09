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
    res = planet_hunter(theirs)
    assert res.period.value == pytest.approx(3.2888, rel=1e-3)
    assert res.detected

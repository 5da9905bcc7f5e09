"""spacekit.radio MAST searches, replayed at the ``requests`` level with ``responses``.

The answers in ``tests/fixtures/mast_responses/`` follow the shapes of MAST's real JSON
(see the README there for how to re-record them live). Live tests are ``remote_data``.
"""

from __future__ import annotations

import re

import pytest
import responses

from spacekit import radio
from spacekit.config import conf
from spacekit.exceptions import DataNotFoundError, DownloadError, InputError

DOWNLOAD = "https://mast.stsci.edu/api/v0.1/Download/file"


@pytest.fixture
def mast(fake_mast):
    return fake_mast


def test_search_by_target_and_radius(mast):
    import astropy.units as u

    table = radio.search_mast(
        "Kepler-90", radius=3 * u.arcsec, mission="kepler", product_type="timeseries"
    )
    assert len(table) == 2
    assert set(table["obs_collection"]) == {"Kepler"}
    assert mast.resolved == ["Kepler-90"]
    req = mast.invocations[-1]
    assert req["service"] == "Mast.Caom.Filtered.Position"
    ra, dec, radius = (float(x) for x in req["params"]["position"].split(","))
    assert ra == pytest.approx(284.43367, abs=1e-4) and dec == pytest.approx(49.30554, abs=1e-4)
    assert radius == pytest.approx(3 / 3600)
    filters = {f["paramName"]: f["values"] for f in req["params"]["filters"]}
    assert filters["obs_collection"] == ["Kepler"]
    assert filters["dataproduct_type"] == ["timeseries"]
    assert filters["intentType"] == ["science"]


def test_search_by_coordinates_as_dataframe(mast):
    from astropy.coordinates import SkyCoord

    df = radio.search_mast(
        coordinates=SkyCoord(284.43367, 49.30555, unit="deg"),
        radius=0.001,
        mission="Kepler",
        as_dataframe=True,
    )
    assert list(df["target_name"]) == ["kplr011442793", "kplr011442793"]
    assert mast.resolved == []  # no name resolution for coordinates


def test_search_by_dataset_id(mast):
    table = radio.search_mast(obs_id="ib1f0a010", mission="HST")
    assert list(table["obs_id"]) == ["ib1f0a010"]
    assert table["instrument_name"][0] == "WFC3/IR"
    req = mast.invocations[-1]
    assert req["service"] == "Mast.Caom.Filtered"


def test_no_results_is_empty_with_warning(mast):
    with pytest.warns(radio.NoResultsWarning, match="matched no observations"):
        table = radio.search_mast(obs_id="zzzz99999", mission="HST")
    assert len(table) == 0


def test_unknown_target_raises(mast):
    with pytest.raises(DataNotFoundError, match="No-Such-Star-42"):
        radio.search_mast("No-Such-Star-42", mission="TESS")


def test_bad_arguments():
    with pytest.raises(InputError, match="not both"):
        radio.search_mast("Kepler-90", coordinates="10 20", mission="Kepler")
    with pytest.raises(InputError, match="angle"):
        import astropy.units as u

        radio.search_mast(coordinates="10 20", radius=3 * u.m, mission="Kepler")
    with pytest.raises(InputError, match="needs a position"):
        radio.search_mast(mission="HST", radius=5)
    with pytest.raises(InputError, match="Kepler, K2 or TESS"):
        radio.search_lightcurves("Kepler-90", mission="HST")


def test_unknown_field_is_input_error(mast):
    with pytest.raises(InputError, match="not_a_column"):
        radio.search_mast(mission="HST", not_a_column="x")


def test_products_and_filters(mast):
    obs = radio.search_mast(obs_id="ib1f0a010", mission="HST")
    products = radio.search_products(obs, product_subgroup=["asn", "DRZ"])
    assert list(products["productFilename"]) == ["ib1f0a010_asn.fits", "ib1f0a010_drz.fits"]
    df = radio.search_products("2003573627", extension="_flt.fits", as_dataframe=True)
    assert list(df["productFilename"]) == ["ib1f0aedq_flt.fits"]


def test_search_lightcurves(mast):
    lcs = radio.search_lightcurves("Kepler-90", mission="Kepler")
    assert list(lcs["productFilename"]) == [
        "kplr011442793-2009166043257_llc.fits",
        "kplr011442793-2009259160929_llc.fits",
    ]
    short = radio.search_lightcurves("Kepler-90", mission="Kepler", cadence="short")
    assert list(short["productFilename"]) == ["kplr011442793-2010265121752_slc.fits"]
    with pytest.warns(radio.NoResultsWarning, match="no TESS time series"):
        empty = radio.search_lightcurves("Kepler-90", mission="TESS")
    assert len(empty) == 0


def test_get_target_category(mast):
    assert radio.get_target_category("NGC-5139") == "STAR;GLOBULAR CLUSTER"
    with pytest.raises(DataNotFoundError, match="NOWHERE-1"):
        radio.get_target_category("NOWHERE-1")
    assert radio.get_target_category("NOWHERE-1", default="UNIDENTIFIED") == "UNIDENTIFIED"


def test_no_network_is_download_error():
    import requests

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        for method in (responses.GET, responses.POST):
            rsps.add(method, re.compile(".*"), body=requests.ConnectionError("no route to host"))
        with pytest.raises(DownloadError, match="could not reach MAST"):
            radio.search_mast(obs_id="ib1f0a010", mission="HST")
        with pytest.raises(DownloadError, match="could not reach MAST"):
            radio.search_lightcurves("Kepler-90", mission="TESS")


def test_unreachable_resolver_fails_within_timeout(closed_port_url, monkeypatch):
    from spacekit.radio import mast as mast_mod

    monkeypatch.setattr(mast_mod, "RESOLVER_URL", closed_port_url + "/Santa-war/query")
    with conf.set_temp("timeout", 2.0), pytest.raises(DownloadError, match="could not reach"):
        radio.resolve_target("Kepler-90")


@pytest.mark.timeout(60)
def test_hung_resolver_fails_within_timeout(silent_server_url, monkeypatch):
    from spacekit.radio import mast as mast_mod

    monkeypatch.setattr(mast_mod, "RESOLVER_URL", silent_server_url + "/Santa-war/query")
    with conf.set_temp("timeout", 1.0), pytest.raises(DownloadError, match="Kepler-90"):
        radio.search_mast("Kepler-90", mission="Kepler")


def test_mast_uri_to_s3():
    assert radio.mast_uri_to_s3("mast:HST/product/ib1f0aedq_flt.fits") == (
        "s3://stpubdata/hst/public/ib1f/ib1f0aedq/ib1f0aedq_flt.fits"
    )
    assert (
        radio.mast_uri_to_s3(
            "mast:K2/url/missions/k2/lightcurves/c1/201600000/73000/ktwo201673990-c01_llc.fits"
        )
        == "s3://stpubdata/k2/public/lightcurves/c1/201600000/73000/ktwo201673990-c01_llc.fits"
    )
    assert (
        radio.mast_uri_to_s3("mast:JWST/product/jw02733-o001_t001_nircam_clear-f090w_i2d.fits")
        is None
    )
    assert radio.mast_uri_to_s3("https://x/y") is None


def _serve_products(rsps, products):
    bodies = {}
    for row in products:
        data = bytes([len(bodies) + 1]) * int(row["size"])
        bodies[row["productFilename"]] = data
        rsps.add(
            responses.GET,
            f"{DOWNLOAD}?uri={row['dataURI']}",
            body=data,
            headers={"Content-Length": str(len(data))},
        )
    return bodies


def test_download_products_from_mast(mast, tmp_path):
    lcs = radio.search_lightcurves("Kepler-90", mission="Kepler")
    bodies = _serve_products(mast.rsps, lcs)
    paths = radio.download_products(lcs, tmp_path, source="mast")
    assert [p.name for p in paths] == list(bodies)
    for p in paths:
        assert p.read_bytes() == bodies[p.name]


def test_download_products_s3_and_auto_fallback(mast, s3_endpoint, tmp_path):
    import boto3

    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    try:
        client.create_bucket(Bucket="stpubdata")
    except client.exceptions.BucketAlreadyOwnedByYou:
        pass
    products = radio.search_products("2003573627", product_subgroup=["ASN", "FLT"])
    asn, flt = list(products["dataURI"])
    s3_asn = radio.mast_uri_to_s3(asn)
    radio.s3_upload(b"A" * 11520, s3_asn)  # the FLT file is not on "S3"
    mast.rsps.add(responses.GET, f"{DOWNLOAD}?uri={flt}", body=b"F" * 14400)
    paths = radio.download_products(products, tmp_path, source="auto")
    assert [p.read_bytes()[:1] for p in paths] == [b"A", b"F"]
    with pytest.raises(DataNotFoundError):
        radio.download_products(products[1:], tmp_path / "s3only", source="s3")
    with pytest.raises(InputError, match="source"):
        radio.download_products(products, tmp_path, source="ftp")


@pytest.mark.remote_data
def test_live_mast_search_and_category():
    table = radio.search_mast(obs_id="ib1f0a010", mission="HST")
    assert len(table) >= 1
    assert isinstance(radio.get_target_category(str(table["target_name"][0])), str)
    lcs = radio.search_lightcurves("Kepler-90", mission="Kepler")
    assert len(lcs) > 0

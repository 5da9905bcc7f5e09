"""spacekit.io: round trips for every format, schema checks, bad files, atomic writes."""

from __future__ import annotations

import json

import astropy.units as u
import numpy as np
import pandas as pd
import pytest
from astropy.table import Table
from astropy.time import Time

from spacekit import io
from spacekit.exceptions import (
    DataNotFoundError,
    FormatError,
    InputError,
    SchemaError,
    SpacekitError,
)
from spacekit.io import lightcurves


@pytest.fixture
def frame():
    return pd.DataFrame(
        {
            "ipst": ["j8zs05020", "ic0k06010", "oc3p011i0"],
            "n_files": [12, 3, 1],
            "total_mb": [1450.5, 88.25, 2.0],
            "drizcorr": [True, False, False],
        }
    )


# -- tables -------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".json", ".h5", ".fits", ".ecsv"])
def test_table_round_trip(frame, tmp_path, suffix):
    path = tmp_path / f"jobs{suffix}"
    io.write_table(frame, path)
    back = io.read_table(path)
    pd.testing.assert_frame_equal(back, frame, check_dtype=False)
    assert back["total_mb"].dtype.kind == "f"
    assert back["n_files"].dtype.kind in "iu"


@pytest.mark.parametrize("suffix", [".h5", ".fits", ".ecsv"])
def test_table_units_and_meta_survive(frame, tmp_path, suffix):
    path = tmp_path / f"jobs{suffix}"
    io.write_table(frame, path, units={"total_mb": "Mbyte"}, meta={"ORIGIN": "calcloud"})
    back = io.read_table(path)
    assert back.attrs["units"] == {"total_mb": "Mbyte"}
    assert back.attrs["meta"]["ORIGIN"] == "calcloud"
    # and the astropy view keeps them as real units
    if suffix == ".fits":
        table = io.read_fits_table(path)
    elif suffix == ".h5":
        table = io.read_hdf5(path)
    else:
        table = Table.read(path)
    assert table["total_mb"].unit == u.Mbyte
    assert list(table["ipst"]) == list(frame["ipst"])


def test_read_table_schema_checks(frame, tmp_path):
    path = io.write_table(frame, tmp_path / "jobs.csv")
    df = io.read_table(path, required=["ipst", "n_files"], dtypes={"total_mb": "float"})
    assert len(df) == 3
    with pytest.raises(SchemaError) as err:
        io.read_table(path, required=["ipst", "memory", "wallclock"])
    msg = str(err.value)
    assert "['memory', 'wallclock']" in msg and "jobs.csv" in msg
    with pytest.raises(SchemaError, match=r"'ipst' is (object|str).*expected numeric"):
        io.read_table(path, dtypes={"ipst": "numeric", "n_files": "int64"})


def test_check_schema_names_every_problem(frame):
    with pytest.raises(SchemaError) as err:
        io.check_schema(
            frame, required=["nope"], dtypes={"n_files": "float", "ipst": "string"}, name="t"
        )
    msg = str(err.value)
    assert "['nope']" in msg and "'n_files' is int64, expected float" in msg
    assert "'ipst'" not in msg.split("wrong type")[1]  # strings are fine
    assert io.check_schema(frame, dtypes={"n_files": np.int32, "drizcorr": "bool"}) is frame
    with pytest.raises(InputError):
        io.check_schema(frame, dtypes={"n_files": "no-such-type"})
    with pytest.raises(InputError, match="DataFrame"):
        io.check_schema(frame.to_numpy(), required=["a"])
    assert isinstance(SchemaError("x"), ValueError)


def test_read_table_real_data(shared_data):
    df = io.read_table(
        shared_data / "hst_cal" / "hst_cal_sample_20.csv",
        required=["ipst", "n_files", "total_mb", "mem_bin"],
        dtypes={"total_mb": "numeric"},
    )
    assert len(df) == 20


def test_fits_table_of_real_light_curve(shared_data):
    path = shared_data / "lightcurves" / "kplr010666592-2009131110544_slc.fits"
    table = io.read_fits_table(path)
    assert len(table) == 14280
    assert "PDCSAP_FLUX" in table.colnames
    assert table["PDCSAP_FLUX"].unit is not None
    assert io.read_fits_header(path)["OBJECT"].startswith("KIC")
    assert io.read_fits_header(path, hdu="LIGHTCURVE")["TELESCOP"] == "Kepler"
    with pytest.raises(DataNotFoundError, match="no HDU 7"):
        io.read_fits_table(path, hdu=7)
    with pytest.raises(FormatError, match="expected a FITS table"):
        io.read_fits_table(path, hdu=0)


# -- FITS images ----------------------------------------------------------------------
def test_fits_image_round_trip_is_exact_and_uncompressed(tmp_path):
    rng = np.random.default_rng(0)
    data = rng.normal(size=(32, 48)).astype("float32")
    path = io.write_fits_image(
        tmp_path / "img.fits", data * u.electron / u.s, header={"OBJECT": "WASP-126"}
    )
    np.testing.assert_array_equal(io.read_fits_image(path), data)
    hdr = io.read_fits_header(path)
    assert hdr["OBJECT"] == "WASP-126" and hdr["BUNIT"] == "electron / s"
    from astropy.io import fits

    with fits.open(path) as hdul:
        assert len(hdul) == 1 and not isinstance(hdul[0], fits.CompImageHDU)


def test_fits_compression_rice_is_lossy_for_floats_gzip_is_not(tmp_path):
    rng = np.random.default_rng(1)
    data = rng.normal(100.0, 5.0, size=(64, 64))
    rice = io.read_fits_image(io.write_fits_image(tmp_path / "r.fits", data, compress="rice"))
    gz = io.read_fits_image(io.write_fits_image(tmp_path / "g.fits", data, compress="gzip"))
    assert not np.array_equal(rice, data)
    np.testing.assert_allclose(rice, data, atol=1.0)
    np.testing.assert_array_equal(gz, data)
    ints = np.arange(64 * 64, dtype="int32").reshape(64, 64)
    back = io.read_fits_image(io.write_fits_image(tmp_path / "i.fits", ints, compress="rice"))
    np.testing.assert_array_equal(back, ints)
    with pytest.raises(InputError, match="compress"):
        io.write_fits_image(tmp_path / "x.fits", ints, compress="lzma")


# -- other formats --------------------------------------------------------------------
def test_json_round_trip(tmp_path):
    obj = {"bin": np.int64(2), "mem": np.float32(8.5), "vec": np.arange(3), "nan": float("nan")}
    back = io.read_json(io.write_json(tmp_path / "a.json", obj))
    assert back == {"bin": 2, "mem": 8.5, "vec": [0, 1, 2], "nan": None}


@pytest.mark.parametrize(
    "array",
    [
        np.arange(60, dtype="uint8").reshape(4, 5, 3),
        np.arange(80, dtype="uint8").reshape(4, 5, 4),
        np.arange(20, dtype="uint8").reshape(4, 5),
        np.arange(20, dtype="uint16").reshape(4, 5) * 3000,
    ],
    ids=["rgb", "rgba", "grey8", "grey16"],
)
def test_png_round_trip(tmp_path, array):
    back = io.read_png(io.write_png(tmp_path / "a.png", array))
    assert back.dtype == array.dtype
    np.testing.assert_array_equal(back, array)


def test_png_floats_and_bad_input(tmp_path):
    img = np.linspace(0, 1, 12).reshape(3, 4)
    back = io.read_png(io.write_png(tmp_path / "f.png", img))
    np.testing.assert_array_equal(back, np.round(img * 255).astype("uint8"))
    with pytest.raises(InputError, match=r"outside \[0, 1\]"):
        io.write_png(tmp_path / "bad.png", img * 10)
    with pytest.raises(InputError, match="shape"):
        io.write_png(tmp_path / "bad.png", np.zeros((2, 3, 3, 3)))
    assert not (tmp_path / "bad.png").exists()


def test_npz_round_trip_and_pickle_refused(tmp_path):
    images = np.random.default_rng(0).random((2, 3, 8, 8, 3)).astype("float32")
    index = np.array(["hst_a", "hst_b"])
    back = io.read_npz(io.write_npz(tmp_path / "a.npz", images=images, index=index))
    np.testing.assert_array_equal(back["images"], images)
    assert back["index"].tolist() == ["hst_a", "hst_b"]
    np.savez(tmp_path / "p.npz", obj=np.array([{"a": 1}], dtype=object))
    with pytest.raises(FormatError, match="allow_pickle"):
        io.read_npz(tmp_path / "p.npz")
    assert io.read_npz(tmp_path / "p.npz", allow_pickle=True)["obj"][0] == {"a": 1}


def test_asdf_round_trip_keeps_units_times_tables(tmp_path):
    table = Table({"flux": [1.0, 2.0] * u.Jy, "band": ["F606W", "F814W"]}, meta={"target": "M31"})
    tree = {
        "period": 3.2888 * u.day,
        "epoch": Time(2458326.1, format="jd", scale="tdb"),
        "image": np.arange(6.0).reshape(2, 3),
        "table": table,
        "meta": {"instrument": "WFC3", "n": 3},
    }
    back = io.read_asdf(io.write_asdf(tmp_path / "a.asdf", tree))
    assert back["period"] == 3.2888 * u.day
    assert back["epoch"].jd == pytest.approx(2458326.1) and back["epoch"].scale == "tdb"
    np.testing.assert_array_equal(back["image"], tree["image"])
    assert isinstance(back["image"], np.ndarray)
    assert back["table"]["flux"].unit == u.Jy and back["table"].meta["target"] == "M31"
    assert back["meta"] == {"instrument": "WFC3", "n": 3}


def test_hdf5_arrays_round_trip(tmp_path):
    path = tmp_path / "a.h5"
    io.write_hdf5(path, np.arange(12.0).reshape(3, 4), key="x", attrs={"unit": "s"})
    io.write_hdf5(path, {"a": np.arange(3), "names": np.array(["u", "v"])}, key="g", append=True)
    np.testing.assert_array_equal(io.read_hdf5(path, key="x"), np.arange(12.0).reshape(3, 4))
    group = io.read_hdf5(path, key="g")
    assert group["a"].tolist() == [0, 1, 2] and group["names"].tolist() == ["u", "v"]
    with pytest.raises(InputError, match="several keys"):
        io.read_hdf5(path)
    with pytest.raises(DataNotFoundError, match="no key 'z'"):
        io.read_hdf5(path, key="z")


# -- missing, empty, truncated, corrupt and wrong-format files -------------------------
def _valid_file(kind: str, tmp_path):
    df = pd.DataFrame({"a": np.arange(2000.0), "b": np.arange(2000)})
    path = tmp_path / f"good.{kind}"
    if kind == "fits":
        io.write_table(df, path)
    elif kind == "h5":
        io.write_table(df, path)
    elif kind == "png":
        io.write_png(path, np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype="uint8"))
    elif kind == "npz":
        io.write_npz(path, compressed=False, x=np.arange(5000.0))
    elif kind == "asdf":
        io.write_asdf(path, {"x": np.arange(5000.0)})
    elif kind == "json":
        io.write_json(path, {"x": list(range(100))})
    return path


READERS = {
    "fits": io.read_fits_table,
    "h5": io.read_hdf5,
    "png": io.read_png,
    "npz": io.read_npz,
    "asdf": io.read_asdf,
    "json": io.read_json,
    "csv": io.read_table,
}
FORMAT_NAMES = {
    "fits": "FITS",
    "h5": "HDF5",
    "png": "PNG",
    "npz": "npz",
    "asdf": "ASDF",
    "json": "JSON",
    "csv": "csv",
}


@pytest.mark.parametrize("kind", sorted(READERS))
def test_empty_file_raises_format_error(kind, tmp_path):
    path = tmp_path / f"empty.{kind}"
    path.write_bytes(b"")
    with pytest.raises(FormatError) as err:
        READERS[kind](path)
    assert str(path) in str(err.value) and FORMAT_NAMES[kind] in str(err.value)


@pytest.mark.parametrize("kind", sorted(READERS))
def test_missing_file_raises_not_found(kind, tmp_path):
    with pytest.raises(DataNotFoundError, match="does not exist"):
        READERS[kind](tmp_path / f"nope.{kind}")


@pytest.mark.parametrize("kind", ["fits", "h5", "png", "npz", "asdf", "json"])
def test_truncated_file_raises_format_error(kind, tmp_path):
    good = _valid_file(kind, tmp_path)
    READERS[kind](good)  # the whole file reads
    data = good.read_bytes()
    bad = tmp_path / f"truncated.{kind}"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(FormatError) as err:
        READERS[kind](bad)
    assert str(bad) in str(err.value) and FORMAT_NAMES[kind] in str(err.value)


@pytest.mark.parametrize("kind", sorted(READERS))
def test_wrong_format_raises_format_error(kind, tmp_path):
    other = "png" if kind != "png" else "npz"
    source = _valid_file(other, tmp_path)
    bad = tmp_path / f"wrong.{kind}"
    bad.write_bytes(source.read_bytes())
    with pytest.raises(FormatError) as err:
        READERS[kind](bad)
    assert str(bad) in str(err.value)


def test_fits_image_of_truncated_real_file(shared_data, tmp_path):
    data = (shared_data / "lightcurves" / "kplr011442793-2010009091648_llc.fits").read_bytes()
    bad = tmp_path / "cut.fits"
    bad.write_bytes(data[:20000])
    with pytest.raises(FormatError, match="cut.fits is truncated or not a FITS file"):
        io.read_fits_table(bad)


def test_corrupt_json_message(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"a": [1, 2')
    with pytest.raises(FormatError, match="could not be read as JSON"):
        io.read_json(path)
    with pytest.raises(FormatError):
        io.read_table(path)
    path.write_text("3")
    with pytest.raises(FormatError, match="JSON table"):
        io.read_table(path)


def test_unknown_suffix(tmp_path):
    with pytest.raises(InputError, match="pass format="):
        io.read_table(tmp_path / "a.xyz")
    path = io.write_table(pd.DataFrame({"a": [1]}), tmp_path / "a.dat", format="csv")
    assert io.read_table(path, format="csv")["a"].tolist() == [1]


# -- atomic writes --------------------------------------------------------------------
def test_failed_write_leaves_old_file_and_no_temp(tmp_path):
    path = tmp_path / "t.fits"
    io.write_table(pd.DataFrame({"a": [1.0]}), path)
    before = path.read_bytes()
    bad = pd.DataFrame({"a": [object(), object()]})
    with pytest.raises(Exception) as err:
        io.write_table(bad, path)
    assert not isinstance(err.value, AssertionError)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.fits"]


def test_interrupted_json_write_leaves_nothing(tmp_path):
    path = tmp_path / "a.json"

    class Boom:
        def tolist(self):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        io.write_json(path, {"x": Boom()})
    assert list(tmp_path.iterdir()) == []


def test_errors_are_spacekit_errors():
    for exc in (FormatError, SchemaError, DataNotFoundError):
        assert issubclass(exc, SpacekitError)
    assert json.loads(json.dumps({"ok": True}))["ok"]


@pytest.mark.parametrize("kind", ["png", "npz", "fits", "asdf", "h5"])
def test_corrupt_bytes_raise_format_error(kind, tmp_path):
    good = _valid_file(kind, tmp_path)
    data = bytearray(good.read_bytes())
    if kind in ("png", "npz"):
        mid = len(data) // 2  # inside the compressed stream: CRC / zlib errors
        data[mid : mid + 64] = b"\x00" * 64 if data[mid] else b"\xff" * 64
    else:
        data[:200] = b"#" * 200  # a damaged header / signature
    bad = tmp_path / f"corrupt.{kind}"
    bad.write_bytes(bytes(data))
    with pytest.raises(FormatError) as err:
        READERS[kind](bad)
    assert str(bad) in str(err.value)


# -- edge cases found by a demanding user (bug hunt) ------------------------------------
def test_tsv_round_trip_uses_tabs(tmp_path):
    df = pd.DataFrame({"a": [1, 2], "s": ["x, y", "z"]})
    path = io.write_table(df, tmp_path / "t.tsv")
    assert "\t" in path.read_text().splitlines()[0]
    back = io.read_table(path)
    assert list(back.columns) == ["a", "s"] and back["s"].tolist() == ["x, y", "z"]


def test_write_table_refuses_records_and_names_columns_as_text(tmp_path):
    with pytest.raises(InputError, match="DataFrame or astropy Table, got list"):
        io.write_table([{"a": 1}], tmp_path / "t.csv")
    back = io.read_table(io.write_table(pd.DataFrame(np.eye(2)), tmp_path / "t.fits"))
    assert list(back.columns) == ["0", "1"] and back["1"].tolist() == [0.0, 1.0]


def test_empty_json_table_keeps_its_columns(tmp_path):
    df = pd.DataFrame({"a": [1], "b": ["x"]}).iloc[:0]
    back = io.read_table(io.write_table(df, tmp_path / "e.json"))
    assert back.shape == (0, 2) and list(back.columns) == ["a", "b"]


@pytest.mark.parametrize("suffix", ["fits", "h5", "json"])
def test_datetime_column_round_trip(tmp_path, suffix):
    stamps = pd.to_datetime(["2021-05-11 03:00", "2021-05-12 04:30"])
    df = pd.DataFrame({"t": stamps, "x": [1.0, 2.0]})
    back = io.read_table(io.write_table(df, tmp_path / f"t.{suffix}"))
    assert pd.to_datetime(back["t"]).tolist() == stamps.tolist()


def test_required_as_one_string_is_one_column():
    df = pd.DataFrame({"a": [1], "b": [2]})
    with pytest.raises(SchemaError, match=r"\['ab'\]"):
        io.check_schema(df, required="ab")
    assert io.check_schema(df, required="a") is df


def test_hdf5_keeps_non_ascii_text(tmp_path):
    words = np.array(["Orion Nébula", "b"])
    assert io.read_hdf5(io.write_hdf5(tmp_path / "a.h5", words)).tolist() == words.tolist()
    grp = io.read_hdf5(io.write_hdf5(tmp_path / "b.h5", {"w": words}))
    assert grp["w"].tolist() == words.tolist()
    df = pd.DataFrame({"name": words})
    assert io.read_table(io.write_table(df, tmp_path / "t.h5"))["name"].tolist() == list(words)


def test_fits_non_ascii_text_and_bool_image(tmp_path):
    with pytest.raises(InputError, match=r"non-ASCII.*\['name'\]|\['name'\].*non-ASCII"):
        io.write_table(pd.DataFrame({"name": ["Nébula"]}), tmp_path / "t.fits")
    assert not (tmp_path / "t.fits").exists()
    mask = np.array([[True, False], [False, True]])
    back = io.read_fits_image(io.write_fits_image(tmp_path / "m.fits", mask))
    assert back.tolist() == [[1, 0], [0, 1]]


def test_write_json_timestamps_and_frames(tmp_path):
    obj = {
        "when": pd.Timestamp("2021-05-11 03:00"),
        "missing": pd.NaT,
        "rows": pd.DataFrame({"a": [1.0, np.nan]}),
        "counts": pd.Series([3, 4], index=["x", "y"]),
    }
    back = io.read_json(io.write_json(tmp_path / "a.json", obj))
    assert back == {
        "when": "2021-05-11T03:00:00",
        "missing": None,
        "rows": [{"a": 1.0}, {"a": None}],
        "counts": {"x": 3, "y": 4},
    }


def test_npz_ragged_and_empty_png_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="'x'.*pad the rows"):
        io.write_npz(tmp_path / "r.npz", x=[[1], [1, 2]])
    with pytest.raises(InputError, match="empty image"):
        io.write_png(tmp_path / "e.png", np.zeros((0, 4)))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("suffix", [".csv", ".json", ".h5", ".fits", ".ecsv"])
def test_write_table_index_true_keeps_the_index_in_every_format(tmp_path, suffix):
    df = pd.DataFrame({"a": [1.0, 2.0]}, index=pd.Index(["x", "y"], name="id"))
    back = io.read_table(io.write_table(df, tmp_path / f"t{suffix}", index=True))
    assert list(back.columns) == ["id", "a"]
    assert back["id"].tolist() == ["x", "y"]


def test_quantities_keep_their_unit_in_hdf5_and_npz_refuses_them(tmp_path):
    q = np.arange(3.0) * u.s
    back = io.read_hdf5(io.write_hdf5(tmp_path / "q.h5", q))
    assert isinstance(back, u.Quantity) and back.unit == u.s
    group = io.read_hdf5(io.write_hdf5(tmp_path / "g.h5", {"x": q, "n": np.arange(2)}))
    assert group["x"].unit == u.s and not isinstance(group["n"], u.Quantity)
    with pytest.raises(InputError, match="'x'.*unit.*s"):
        io.write_npz(tmp_path / "q.npz", x=q)
    assert not (tmp_path / "q.npz").exists()


@pytest.mark.parametrize("suffix", [".fits", ".h5", ".ecsv"])
def test_write_table_refuses_a_unit_it_cannot_parse(tmp_path, suffix):
    with pytest.raises(InputError, match="'parsecz'.*column 'a'"):
        io.write_table(pd.DataFrame({"a": [1.0]}), tmp_path / f"u{suffix}", units={"a": "parsecz"})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "call",
    [
        lambda: io.read_table(None),
        lambda: io.read_json(3),
        lambda: io.read_fits_table(pd.DataFrame()),
        lambda: io.write_hdf5(pd.DataFrame({"a": [1]}), "x.h5"),  # arguments swapped
        lambda: io.write_json(None, {"a": 1}),
        lambda: io.write_table(pd.DataFrame({"a": [1]}), None),
    ],
)
def test_not_a_path_is_an_input_error(call):
    # Path(None) / Path(df) used to escape as a bare TypeError from deep inside the reader
    with pytest.raises(InputError, match="expected the path of"):
        call()


def test_write_npz_refuses_object_arrays(tmp_path):
    # numpy pickles object arrays, which read_npz then refuses: refuse at write time instead
    with pytest.raises(InputError, match="object array"):
        io.write_npz(tmp_path / "a.npz", x=np.array([{"a": 1}, None], dtype=object))
    assert not (tmp_path / "a.npz").exists()


def test_write_hdf5_refuses_object_columns(tmp_path):
    frame = pd.DataFrame({"a": [1, 2], "b": [{"x": 1}, "s"]})
    with pytest.raises(InputError, match=r"object column\(s\) \['b'\]"):
        io.write_hdf5(tmp_path / "a.h5", frame)
    assert not (tmp_path / "a.h5").exists()
    io.write_hdf5(tmp_path / "a.h5", frame.astype({"b": str}))  # the fix the message names
    assert list(io.read_hdf5(tmp_path / "a.h5")["b"]) == ["{'x': 1}", "s"]


# -- one FITS opener (issue 17) --------------------------------------------------------
def _lightcurve_fits(path, n=5000):
    from astropy.io import fits

    table = fits.BinTableHDU.from_columns(
        [
            fits.Column(name="TIME", format="D", array=np.arange(n) * 0.02),
            fits.Column(name="PDCSAP_FLUX", format="E", array=np.ones(n)),
        ]
    )
    table.header["BJDREFI"] = 2457000
    fits.HDUList([fits.PrimaryHDU(), table]).writeto(path)
    return path


def test_light_curve_cut_at_a_fits_block_is_a_format_error(tmp_path):
    # cut on a 2880-byte block, the table's data short: was a raw ValueError from numpy
    from spacekit.transformer import read_lightcurve

    whole = _lightcurve_fits(tmp_path / "lc.fits").read_bytes()
    cut = tmp_path / "cut.fits"
    cut.write_bytes(whole[: len(whole) - 5 * 2880])
    with pytest.raises(FormatError, match="cut.fits could not be read as FITS"):
        read_lightcurve(cut)
    with pytest.raises(FormatError, match="cut.fits could not be read as FITS"):
        lightcurves.read_lightcurve_fits_table(cut)


def test_read_lightcurve_of_a_non_path_is_an_input_error():
    from spacekit.transformer import read_lightcurve

    with pytest.raises(InputError, match="got NoneType"):  # was TypeError from Path(None)
        read_lightcurve(None)


def test_light_curve_tables_come_from_io(tmp_path):
    lc = lightcurves.read_lightcurve_fits_table(_lightcurve_fits(tmp_path / "lc.fits", n=3))
    assert lc.columns == {"TIME": "TIME", "PDCSAP_FLUX": "PDCSAP_FLUX"}
    assert lc.hdu.data["TIME"].tolist() == [0.0, 0.02, 0.04]  # read while the file was open
    csv = tmp_path / "lc.csv"
    csv.write_text("# a comment\n1325.0 1.0 0.01\n1325.1 nan 0.01\n")
    df = lightcurves.read_lightcurve_csv(csv)
    assert list(df.columns) == ["time", "flux", "flux_err"] and df.attrs["rows"] == 2
    assert lightcurves.lightcurve_file_format(csv) == "csv"
    # a leading comment line was taken for a header naming neither time nor flux
    from spacekit.transformer import read_lightcurve

    assert len(read_lightcurve(csv, time_format="btjd")) == 2


def test_merge_fits_headers_takes_the_first_value_and_skips_absent_hdus(tmp_path):
    from astropy.io import fits

    path = tmp_path / "x.fits"
    sci = fits.ImageHDU(header=fits.Header({"A": 2, "B": 3}), name="SCI")
    fits.HDUList([fits.PrimaryHDU(header=fits.Header({"A": 1})), sci]).writeto(path)
    hdr = io.merge_fits_headers(path, (0, "ERR", "SCI"))
    assert (hdr["A"], hdr["B"]) == (1, 3)
    with pytest.raises(DataNotFoundError, match="does not exist"):
        io.merge_fits_headers(tmp_path / "none.fits")


def test_only_io_opens_fits_files():
    # every FITS file is opened by spacekit.io.open_fits, with its checks and error messages
    import ast
    from pathlib import Path

    import spacekit

    root = Path(spacekit.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        if path.relative_to(root).parts[0] == "io":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("open", "getheader", "getdata")
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "fits"
            ):
                offenders.append(f"{path.relative_to(root)}:{node.lineno}")
    assert offenders == [], f"open FITS files with spacekit.io.open_fits: {offenders}"


def test_a_wrong_reader_keyword_is_the_callers_error_not_a_corrupt_file(tmp_path):
    """A keyword the parser does not take used to read as "the file is corrupt, truncated or
    not a csv file"; the file is fine, the call is not."""
    from spacekit.exceptions import FormatError, InputError
    from spacekit.io import read_table

    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="unexpected keyword argument 'date_key'") as info:
        read_table(path, date_key="2022-02-14")
    assert not isinstance(info.value, FormatError) and "corrupt" not in str(info.value)

"""Property-based bad-input suite (issue 16): every public reader of :mod:`spacekit.io`, the
light-curve reader, the table resolver the apps share, each app's data loader, every CLI
command (except ``dashboard``, ``demo`` and radio's network commands) and the HST calibration
Lambda handler, fed generated truncated, mistyped, empty, huge (bounded) and odd-named inputs.

The properties:

- a library call returns a correct result or raises a :class:`SpacekitError`, never another
  exception;
- a writer that fails leaves nothing behind (no partial file, no temp file);
- a CLI command exits 0, 1 or 2 with a one-line ``error:`` message and no traceback, and a
  failed command leaves no partial output;
- the Lambda handler answers a fail-safe reply (never raises) for every event.

Hypothesis is derandomized (the same examples every run), with a fixed ``max_examples`` per
test, no deadline and no example database, so the suite is reproducible and its cost is
fixed (about a minute on 2 cores). Run it with
``pytest tests/test_fuzz_inputs.py --hypothesis-show-statistics`` to see the counts per
property (recorded in ``benchmarks/RESULTS.md``, "Reliability: bad inputs"). Each defect it
found has a plain regression test in ``tests/test_bad_inputs.py``.

Left out: ``dashboard`` and ``demo`` (servers and long runs, tested elsewhere), radio's
network commands, ``cal ingest`` (reads a DynamoDB table) and ``cal build-default-model``
(trains on the full table; no input to vary).
"""

from __future__ import annotations

import contextlib
import io as _pyio
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spacekit import io as skio
from spacekit.exceptions import SpacekitError

# The inputs are odd by design: the warnings they draw (an extrapolation, astropy's note on a
# damaged header) are the right answers here, not failures.
pytestmark = [
    pytest.mark.filterwarnings("ignore::spacekit.utils.manifest.OutOfRangeWarning"),
    pytest.mark.filterwarnings("ignore::astropy.io.fits.verify.VerifyWarning"),
]

#: Every property runs the same examples on every run; the count is fixed per test.
FUZZ = dict(
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    print_blob=True,
)


def fuzz(n: int):
    return settings(max_examples=n, **FUZZ)


# --------------------------------------------------------------------------- sample files
def _make_samples(folder: Path) -> dict[str, bytes]:
    """One small valid file of each format, as bytes (written with spacekit's own writers)."""
    from astropy.io import fits

    frame = pd.DataFrame({"a": [1.0, 2.5, 3.0], "b": [4, 5, 6], "name": ["x", "y", "z"]})
    arr = np.arange(12, dtype=np.float32).reshape(3, 4)
    paths = {
        "csv": skio.write_table(frame, folder / "t.csv"),
        "fits_table": skio.write_fits_table(frame[["a", "b"]], folder / "t.fits"),
        "fits_image": skio.write_fits_image(folder / "i.fits", arr),
        "hdf5": skio.write_hdf5(folder / "t.h5", {"x": arr}),
        "asdf": skio.write_asdf(folder / "t.asdf", {"x": arr, "n": 3}),
        "json": skio.write_json(folder / "t.json", {"a": [1, 2], "b": "c"}),
        "npz": skio.write_npz(folder / "t.npz", x=arr, y=np.arange(3)),
        "png": skio.write_png(folder / "t.png", (arr * 10).astype(np.uint8)),
    }
    out = {k: Path(p).read_bytes() for k, p in paths.items()}
    t = np.linspace(1325.0, 1330.0, 60)
    out["lc_csv"] = (
        "time,flux\n" + "".join(f"{a},{1 + 0.001 * i}\n" for i, a in enumerate(t))
    ).encode()
    cols = [
        fits.Column(name="TIME", format="D", array=t),
        fits.Column(name="PDCSAP_FLUX", format="E", array=np.ones_like(t)),
        fits.Column(name="QUALITY", format="J", array=np.zeros(len(t), dtype=np.int32)),
    ]
    hdu = fits.BinTableHDU.from_columns(cols, name="LIGHTCURVE")
    hdu.header["BJDREFI"], hdu.header["BJDREFF"], hdu.header["TIMESYS"] = 2457000, 0.0, "TDB"
    buf = _pyio.BytesIO()
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(buf)
    out["lc_fits"] = buf.getvalue()
    return out


_SAMPLES: dict[str, bytes] = {}


def samples() -> dict[str, bytes]:
    if not _SAMPLES:
        with tempfile.TemporaryDirectory() as d:
            _SAMPLES.update(_make_samples(Path(d)))
    return _SAMPLES


FORMATS = [
    "csv",
    "fits_table",
    "fits_image",
    "hdf5",
    "asdf",
    "json",
    "npz",
    "png",
    "lc_csv",
    "lc_fits",
]

# --------------------------------------------------------------------------- strategies
#: Names a user's files really have: unicode, spaces, '=', leading dashes, very long ones.
_NAME_CHARS = st.characters(
    blacklist_categories=("Cs", "Cc"), blacklist_characters="/\\\x00", max_codepoint=0x2FFFF
)
odd_stems = st.one_of(
    st.sampled_from(
        [
            "data",
            "run=1",
            "-h",
            "--model",
            "a b",
            "ümlaut",
            "日本",
            "x=y=z",
            " lead",
            "-",
            "=",
            "@f",
        ]
    ),
    st.text(_NAME_CHARS, min_size=1, max_size=40),
    st.integers(100, 200).map(lambda n: "L" * n),  # long, still a valid name (< 255 bytes)
).filter(lambda s: s.strip(".") != "" and len(s.encode("utf-8", "surrogatepass")) < 200)

#: How a valid file is spoiled: ("none",) keeps it whole.
mutations = st.one_of(
    st.just(("none",)),
    st.just(("empty",)),
    st.tuples(st.just("truncate"), st.floats(0.0, 0.99)),
    st.tuples(st.just("flip"), st.floats(0.0, 0.999), st.integers(0, 255)),
    st.tuples(st.just("junk"), st.binary(min_size=1, max_size=512)),
    st.tuples(st.just("text"), st.text(max_size=300)),
    st.tuples(st.just("other"), st.sampled_from(FORMATS)),
    # huge, bounded: up to 2 MiB of a repeated pattern, or a valid file with a long tail
    st.tuples(st.just("huge"), st.integers(1, 2**21), st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("tail"), st.integers(1, 2**20)),
)


def mutate(data: bytes, how: tuple) -> bytes:
    kind = how[0]
    if kind == "none":
        return data
    if kind == "empty":
        return b""
    if kind == "truncate":
        return data[: int(len(data) * how[1])]
    if kind == "flip":
        i = min(int(len(data) * how[1]), len(data) - 1)
        return data[:i] + bytes([data[i] ^ (how[2] or 1)]) + data[i + 1 :]
    if kind == "junk":
        return how[1]
    if kind == "text":
        return how[1].encode("utf-8", "surrogatepass")
    if kind == "other":
        return samples()[how[1]]
    if kind == "huge":
        return (how[2] * (how[1] // len(how[2]) + 1))[: how[1]]
    if kind == "tail":
        return data + b"\x00" * how[1]
    raise AssertionError(how)


def write_case(folder: Path, stem: str, suffix: str, content: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}{suffix}"
    path.write_bytes(content)
    return path


@contextlib.contextmanager
def case_dir():
    d = Path(tempfile.mkdtemp(prefix="fuzz-"))
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def spacekit_error_or_result(fn, *args, **kwargs):
    """Call ``fn``; a SpacekitError is fine (returns None), anything else fails the test."""
    try:
        return fn(*args, **kwargs), None
    except SpacekitError as exc:
        assert str(exc).strip(), f"{type(exc).__name__} without a message"
        return None, exc


# --------------------------------------------------------------------------- io readers
def _read_csv(p):
    return skio.read_table(p, format="csv")


READERS = {
    "csv": (".csv", _read_csv),
    "fits_table": (".fits", skio.read_fits_table),
    "fits_header": (".fits", skio.read_fits_header),
    "fits_image": (".fits", skio.read_fits_image),
    "hdf5": (".h5", skio.read_hdf5),
    "asdf": (".asdf", skio.read_asdf),
    "json": (".json", skio.read_json),
    "npz": (".npz", skio.read_npz),
    "png": (".png", skio.read_png),
    "table_by_suffix": (None, skio.read_table),
}
_SAMPLE_OF = {"fits_header": "fits_table", "table_by_suffix": "csv"}


def _expected(reader: str, path: Path):
    """The right answer for an unspoiled sample (checked against the writers' input)."""
    if reader in ("csv", "table_by_suffix"):
        return lambda r: list(r.columns) == ["a", "b", "name"] and r["b"].tolist() == [4, 5, 6]
    if reader == "fits_table":
        return lambda r: list(r["b"]) == [4, 5, 6]
    if reader == "fits_image":
        return lambda r: r.shape == (3, 4) and float(r[2, 3]) == 11.0
    if reader == "hdf5":
        return lambda r: np.asarray(r["x"]).shape == (3, 4)
    if reader == "asdf":
        return lambda r: r["n"] == 3 and np.asarray(r["x"]).shape == (3, 4)
    if reader == "json":
        return lambda r: r == {"a": [1, 2], "b": "c"}
    if reader == "npz":
        return lambda r: r["y"].tolist() == [0, 1, 2]
    if reader == "png":
        return lambda r: r.shape == (3, 4)
    return lambda r: True


@pytest.mark.parametrize("reader", sorted(READERS))
@fuzz(30)
@given(stem=odd_stems, how=mutations, wrong_suffix=st.booleans())
def test_io_reader_gives_result_or_spacekit_error(reader, stem, how, wrong_suffix):
    suffix, fn = READERS[reader]
    fmt = _SAMPLE_OF.get(reader, reader)
    if suffix is None:
        suffix = ".csv"
    if wrong_suffix:
        suffix = ".dat"
    with case_dir() as d:
        path = write_case(d, stem, suffix, mutate(samples()[fmt], how))
        before = sorted(os.listdir(d))
        result, err = spacekit_error_or_result(fn, path)
        if how == ("none",) and not (wrong_suffix and reader == "table_by_suffix"):
            assert err is None, f"a valid {fmt} file was refused: {err}"
            assert _expected(reader, path)(result)
        assert sorted(os.listdir(d)) == before  # a reader writes nothing


NOT_PATHS = st.one_of(
    st.none(),
    st.integers(),
    st.floats(allow_nan=True),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.just(pd.DataFrame({"a": [1]})),
    st.just(np.zeros(3)),
)
MISSING_PATHS = st.one_of(
    odd_stems.map(lambda s: f"/nonexistent-dir/{s}.csv"),
    odd_stems,
    st.integers(256, 400).map(lambda n: "N" * n + ".csv"),  # longer than any file name
    st.integers(4097, 5000).map(lambda n: "d/" * (n // 2)),  # longer than any path
    st.just(""),
)


@pytest.mark.parametrize("reader", sorted(READERS))
@fuzz(25)
@given(arg=st.one_of(NOT_PATHS, MISSING_PATHS))
def test_io_reader_refuses_non_paths_and_missing_files(reader, arg):
    _, fn = READERS[reader]
    result, err = spacekit_error_or_result(fn, arg)
    assert err is not None, f"{reader}({arg!r}) returned {type(result).__name__}"


# --------------------------------------------------------------------------- io writers
ODD_VALUES = st.one_of(
    st.none(),
    st.integers(-(2**70), 2**70),
    st.floats(),
    st.text(max_size=20),
    st.binary(max_size=20),
    st.lists(st.one_of(st.integers(), st.text(max_size=3), st.none()), max_size=4),
    st.just(object()),
    st.just(np.array([object(), 1], dtype=object)),
    st.just(np.array(["a", None], dtype=object)),
    st.just(pd.DataFrame({"o": [object(), 1]})),
    st.just(pd.DataFrame({"s": ["a", None], "n": [1.0, np.nan]})),
    st.just(pd.DataFrame()),
    st.just(np.zeros((0, 3))),
    st.just(np.zeros((2, 2, 2, 2))),
    st.just(np.array([1 + 2j])),
)


def _writer_calls(value):
    return {
        "table": lambda p: skio.write_table(value, p),
        "fits_table": lambda p: skio.write_fits_table(value, p),
        "fits_image": lambda p: skio.write_fits_image(p, value),
        "hdf5": lambda p: skio.write_hdf5(p, value),
        "asdf": lambda p: skio.write_asdf(p, value if isinstance(value, dict) else {"v": value}),
        "json": lambda p: skio.write_json(p, value),
        "npz": lambda p: skio.write_npz(p, v=value),
        "png": lambda p: skio.write_png(p, value),
    }


WRITER_SUFFIX = {
    "table": ".csv",
    "fits_table": ".fits",
    "fits_image": ".fits",
    "hdf5": ".h5",
    "asdf": ".asdf",
    "json": ".json",
    "npz": ".npz",
    "png": ".png",
}


@pytest.mark.parametrize("writer", sorted(WRITER_SUFFIX))
@fuzz(30)
@given(value=ODD_VALUES, stem=st.one_of(odd_stems, st.integers(230, 249).map(lambda n: "W" * n)))
def test_io_writer_writes_whole_file_or_nothing(writer, value, stem):
    with case_dir() as d:
        path = d / f"{stem}{WRITER_SUFFIX[writer]}"
        _, err = spacekit_error_or_result(_writer_calls(value)[writer], path)
        left = sorted(os.listdir(d))
        if err is not None:
            assert left == [], f"a failed write left {left}"
        else:
            assert left == [path.name], f"a write left {left}"
            assert path.stat().st_size > 0


# --------------------------------------------------------------------------- light curves
@fuzz(80)
@given(
    stem=odd_stems,
    how=mutations,
    fmt=st.sampled_from(["lc_csv", "lc_fits", "png", "npz", "csv", "hdf5", "json"]),
    suffix=st.sampled_from([".csv", ".fits", ".txt", ".png", ".npz", ""]),
    time_format=st.sampled_from([None, "btjd", "bkjd"]),
)
def test_read_lightcurve_gives_result_or_spacekit_error(stem, how, fmt, suffix, time_format):
    from spacekit.transformer import read_lightcurve

    with case_dir() as d:
        path = write_case(d, stem, suffix, mutate(samples()[fmt], how))
        lc, err = spacekit_error_or_result(read_lightcurve, path, time_format=time_format)
        if err is None:
            assert len(lc) > 0
            assert np.isfinite(lc.time.jd).all()
        if how == ("none",) and fmt == "lc_fits":
            assert err is None and len(lc) == 60
        if how == ("none",) and fmt == "lc_csv" and time_format and suffix in (".csv", ".txt", ""):
            assert err is None and len(lc) == 60
        if how == ("none",) and fmt in ("png", "npz", "hdf5", "json"):
            assert err is not None  # never read as a light curve


# --------------------------------------------------------------------------- table resolver
@fuzz(60)
@given(
    arg=st.one_of(NOT_PATHS, MISSING_PATHS, st.text(max_size=30)),
)
def test_table_resolver_gives_frame_or_spacekit_error(arg):
    from spacekit.datasets.tables import resolve_table_source

    src, err = spacekit_error_or_result(resolve_table_source, arg, what="data")
    if err is None:
        assert isinstance(src.frame, pd.DataFrame)


@fuzz(60)
@given(stem=odd_stems, how=mutations, fmt=st.sampled_from(["csv", "json", "npz", "fits_table"]))
def test_table_resolver_on_spoiled_files(stem, how, fmt):
    from spacekit.datasets.tables import resolve_table_source

    suffix = {"fits_table": ".fits"}.get(fmt, "." + fmt)
    with case_dir() as d:
        path = write_case(d, stem, suffix, mutate(samples()[fmt], how))
        src, err = spacekit_error_or_result(resolve_table_source, path, what="data")
        if how == ("none",) and fmt in ("csv", "fits_table"):
            assert err is None and len(src.frame) == 3


# --------------------------------------------------------------------------- app data loaders
def _cal_table_csv(shared: Path) -> bytes:
    return (shared / "hst_cal" / "hst_cal_sample_20.csv").read_bytes()


def _svm_table_csv(shared: Path) -> bytes:
    return b"".join(
        (shared / "hst_svm" / "svm_labeled_2021-07-28.csv").read_bytes().splitlines(True)[:30]
    )


def _jwst_table_csv() -> bytes:
    from spacekit.skopes.jwst.cal import model as jm

    cols = list(getattr(jm, "FEATURES", ["x"]))
    row = ",".join("1" for _ in cols)
    return (",".join(cols) + "\n" + row + "\n").encode()


def _k2_table_csv() -> bytes:
    head = "LABEL," + ",".join(f"FLUX.{i}" for i in range(1, 9))
    rows = [
        "2," + ",".join(str(1.0 + 0.01 * i) for i in range(8)),
        "1," + ",".join("1.0" for _ in range(8)),
    ]
    return (head + "\n" + "\n".join(rows) + "\n").encode()


def _loaders():
    from spacekit.skopes.hst.cal.app import _table as cal_table
    from spacekit.skopes.hst.cal.features import prepare_table
    from spacekit.skopes.hst.svm.images import load_image_arrays
    from spacekit.skopes.hst.svm.stages import load_feature_table
    from spacekit.skopes.jwst.cal.model import _read_table as jwst_table
    from spacekit.skopes.k2.kaggle import read_flux_table_with_meta

    return {
        "hst_cal": lambda p: prepare_table(cal_table(p)),
        "hst_svm": lambda p: load_feature_table(p),
        "hst_svm_images": load_image_arrays,
        "jwst_cal": jwst_table,
        "k2": read_flux_table_with_meta,
    }


@pytest.mark.parametrize("app", ["hst_cal", "hst_svm", "hst_svm_images", "jwst_cal", "k2"])
@fuzz(40)
@given(stem=odd_stems, how=mutations, other=st.sampled_from(["self", "csv", "npz", "json"]))
def test_app_loader_gives_table_or_spacekit_error(app, stem, how, other, shared_data):
    valid = {
        "hst_cal": lambda: _cal_table_csv(shared_data),
        "hst_svm": lambda: _svm_table_csv(shared_data),
        "hst_svm_images": lambda: _svm_images_npz(),
        "jwst_cal": _jwst_table_csv,
        "k2": _k2_table_csv,
    }[app]()
    content = valid if other == "self" else samples()[other]
    suffix = ".npz" if app == "hst_svm_images" else ".csv"
    with case_dir() as d:
        path = write_case(d, stem, suffix, mutate(content, how))
        result, err = spacekit_error_or_result(_loaders()[app], path)
        if how == ("none",) and other == "self" and app != "jwst_cal":
            assert err is None, err


@pytest.mark.parametrize("app", ["hst_cal", "hst_svm", "jwst_cal", "k2"])
@fuzz(20)
@given(arg=st.one_of(NOT_PATHS, MISSING_PATHS))
def test_app_loader_refuses_non_paths_and_missing_files(app, arg):
    result, err = spacekit_error_or_result(_loaders()[app], arg)
    if isinstance(arg, pd.DataFrame) and app != "k2":
        return  # a DataFrame is a valid input there: checked, or refused as a SpacekitError
    assert err is not None, f"{app} loaded {arg!r}"


_NPZ: list[bytes] = []


def _svm_images_npz() -> bytes:
    if not _NPZ:
        buf = _pyio.BytesIO()
        np.savez(
            buf,
            index=np.array(["hst_1_01_acs_wfc_total_j01"]),
            images=np.zeros((1, 3, 128, 128, 3), np.uint8),
        )
        _NPZ.append(buf.getvalue())
    return _NPZ[0]


# --------------------------------------------------------------------------- the CLI
#: Content for a command's DATA: never a whole valid table for train/cv (no real training).
BAD_CONTENT = st.one_of(
    st.just(("empty",)),
    st.tuples(st.just("junk"), st.binary(min_size=1, max_size=512)),
    st.tuples(st.just("text"), st.text(max_size=300)),
    st.tuples(st.just("other"), st.sampled_from(FORMATS)),
    st.tuples(st.just("huge"), st.integers(1, 2**20), st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("truncate"), st.floats(0.0, 0.05)),  # at most the header's start
)


def _cli_cases(d: Path, data: str, out: Path, model: str) -> dict[str, list[str]]:
    return {
        "cal train": ["cal", "train", data, "--runs", str(out), "--fast"],
        "cal cv": ["cal", "cv", data, "--runs", str(out), "--folds", "2", "--repeats", "1"],
        "cal score": ["cal", "score", data, "--model", model],
        "cal evaluate": ["cal", "evaluate", data, "--model", model],
        "cal predict": ["cal", "predict", "--model", model, data],
        "cal lambda-event": ["cal", "lambda-event", data],
        "datasets fetch": ["datasets", "fetch", Path(data).name],
        "datasets path": ["datasets", "path", Path(data).name],
        "datasets info": ["datasets", "info", Path(data).name],
        "hunt": ["hunt", data, "--time-format", "btjd"],
        "jwst scrape": ["jwst", "scrape", str(d), "--out", str(out / "products.csv")],
        "jwst train": ["jwst", "train", data, "--runs", str(out), "--fast"],
        "jwst cv": ["jwst", "cv", data, "--runs", str(out), "--fast", "--folds", "2"],
        "jwst score": ["jwst", "score", data, "--model", model],
        "jwst predict": ["jwst", "predict", data, "--model", model],
        "k2 build-dataset": [
            "k2",
            "build-dataset",
            str(out / "set.csv"),
            "--no-shared",
            "--lightcurve",
            f"S1={data}",
            "--time-format",
            "bkjd",
        ],
        "k2 train": ["k2", "train", data, "--runs", str(out), "--fast", "--epochs", "1"],
        "k2 cv": ["k2", "cv", data, "--runs", str(out), "--fast", "--epochs", "1"],
        "k2 evaluate": ["k2", "evaluate", data, "--runs", str(out), "--fast", "--epochs", "1"],
        "k2 score": ["k2", "score", data, "--model", model],
        "k2 predict": ["k2", "predict", data, "--model", model, "--time-format", "bkjd"],
        "svm train": ["svm", "train", data, "--runs", str(out), "--fast"],
        "svm cv": ["svm", "cv", data, "--runs", str(out), "--fast", "--folds", "2"],
        "svm evaluate": ["svm", "evaluate", data, "--runs", str(out), "--fast"],
        "svm score": ["svm", "score", data, "--model", model],
        "svm predict": ["svm", "predict", data, "--model", model, "--runs", str(out)],
        "svm train --images": [
            "svm",
            "train",
            "svm_labeled_2021_07_28",
            "--images",
            data,
            "--runs",
            str(out),
            "--fast",
        ],
        "svm ingest": ["svm", "ingest", data, "--images", str(d), "--out", str(out / "f.csv")],
        "import-upstream": ["import-upstream", data, "--out", str(out / "models")],
    }


CLI_COMMANDS = sorted(_cli_cases(Path("/d"), "x", Path("/o"), "m"))


def _leftovers(out: Path) -> list[str]:
    """Temporary or partial files, and run folders that claim to be whole or still running."""
    bad = []
    for p in out.rglob("*"):
        name = p.name
        if ".tmp" in name or name.endswith(".part"):
            bad.append(str(p.relative_to(out)))
        if name == "run.json":
            status = json.loads(p.read_text()).get("status")
            if status in ("complete", "running"):
                bad.append(f"{p.parent.name}: status {status}")
    return bad


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    from spacekit.cli import main

    try:
        rc = main(argv)
    except SystemExit as exc:  # argparse: usage errors exit 2, --help 0
        rc = exc.code if isinstance(exc.code, int) else 2
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.mark.parametrize("command", CLI_COMMANDS)
@fuzz(10)
@given(
    stem=odd_stems,
    how=BAD_CONTENT,
    suffix=st.sampled_from([".csv", ".json", ".fits", ".npz", ".txt", ""]),
    relative=st.booleans(),
    model=st.sampled_from(["none", "empty", "junk", "file", "trained", "long"]),
)
def test_cli_command_exits_cleanly(
    command, stem, how, suffix, relative, model, capsys, monkeypatch, cal_model_dir
):
    with case_dir() as d:
        base = {"json": "json", "npz": "npz", "fits": "lc_fits"}.get(suffix.lstrip("."), "csv")
        path = write_case(d / "in", stem, suffix, mutate(samples()[base], how))
        mdir = d / "model"
        if model == "empty":
            mdir.mkdir()
        elif model == "junk":
            mdir.mkdir()
            (mdir / "model.json").write_text("{not json")
            (mdir / "metadata.json").write_bytes(b"\x00\x01")
        elif model == "file":
            mdir.write_text("x")
        elif model == "long":  # a name longer than any file system allows
            mdir = d / ("M" * 300)
        elif model == "trained":  # an hst_cal model: the other apps refuse it as not theirs
            mdir = cal_model_dir
        outdir = d / "out"
        outdir.mkdir()
        if relative:
            monkeypatch.chdir(d / "in")
        data = path.name if relative else str(path)
        argv = _cli_cases(d / "in", data, outdir, str(mdir))[command]
        rc, out, err = run_cli(argv, capsys)
        assert "Traceback" not in err, err
        assert rc in (0, 1, 2), (rc, err)
        if rc == 1 and command == "cal lambda-event" and out.startswith("{"):
            assert json.loads(out)["failSafe"] is True  # the fail-safe reply, as Lambda answers
        elif rc == 1 and command == "cal predict" and not err.startswith("spacekit: error:"):
            # a batch: one "spacekit cal predict: error: PATH: ..." line per file that failed,
            # then a count
            assert err.startswith("spacekit cal predict: error: "), err
            assert "could not be predicted" in err, err
        elif rc == 1 and command == "hunt":  # one line per file that failed, then the rest
            assert all(
                ln.startswith("spacekit hunt: error:")
                for ln in err.splitlines()
                if ln.startswith("spacekit")
            ), err
        elif rc == 1:
            lines = [ln for ln in err.splitlines() if ln.startswith("spacekit: error:")]
            assert len(lines) == 1 and err.rstrip().endswith(lines[0]), err
        if rc == 2:
            assert "error:" in err or err == "", err
        if rc != 0:
            assert _leftovers(outdir) == [], (argv, _leftovers(outdir))


# --------------------------------------------------------------------------- the Lambda handler
JSON_VALUES = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)
    ),
    lambda kids: (
        st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=8), kids, max_size=3)
    ),
    max_leaves=8,
)
IPSTS = st.one_of(
    st.sampled_from(
        ["ib8t01010", "j8zs05020", "la8p01010", "oc3p011i0", "zz0000000", "", "IB8T01010"]
    ),
    st.text(max_size=12),
    st.integers(),
    st.none(),
)
MMF_BODY = st.one_of(
    st.just(b"n_files=2\ntotal_mb=4.032\nDETECTOR=UVIS\nSUBARRAY=False\nDRIZCORR=OMIT\n"),
    st.just(b"n_files=1000000000000\ntotal_mb=5\nDETECTOR=UVIS\n"),
    st.just(b"n_files=-3\ntotal_mb=nan\n"),
    st.just(b"n_files=inf\ntotal_mb=1e400\n"),
    st.binary(max_size=300),
    st.text(max_size=300).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.lists(st.tuples(st.text(max_size=10), st.text(max_size=10)), max_size=8).map(
        lambda kv: "\n".join(f"{k}={v}" for k, v in kv).encode("utf-8", "surrogatepass")
    ),
    st.integers(60_000, 70_000).map(lambda n: b"n_files=1\n" + b"#" * n),  # around the 64 KB cap
)


@pytest.fixture(scope="module")
def cal_model_dir(tmp_path_factory):
    from spacekit.skopes.hst.cal import train

    shared = Path(os.environ["SPACEKIT_DATA_MIRROR"])  # ../shared/data, set by conftest
    df = pd.read_csv(shared / "hst_cal" / "hst_cal_2021-05-11_latest.csv").sample(
        1500, random_state=1
    )
    return train(
        df, runs_dir=tmp_path_factory.mktemp("fuzz-runs"), seed=0, fast=True, name="fuzz"
    ).model_dir


@fuzz(100)
@given(
    shape=st.sampled_from(["calcloud", "upstream", "json", "partial"]),
    ipst=IPSTS,
    body=MMF_BODY,
    extra=JSON_VALUES,
    put=st.booleans(),
)
def test_lambda_handler_always_answers_failsafe(
    shape, ipst, body, extra, put, s3_bucket, s3_endpoint, cal_model_dir, monkeypatch
):
    import boto3

    from spacekit.skopes.hst.cal import calcloud as cc
    from spacekit.skopes.hst.cal import handler, predict

    monkeypatch.setenv("SPACEKIT_HST_CAL_MODEL_DIR", str(cal_model_dir))
    name = str(ipst)
    key = f"control/{name}/{name}_MemModelFeatures.txt"
    if put and name.strip("/"):
        client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
        with contextlib.suppress(Exception):  # keys S3 itself refuses are simply not put
            client.put_object(Bucket=s3_bucket, Key=key, Body=body)
    if shape == "calcloud":
        event = {"Bucket": s3_bucket, "Key": key, "Ipppssoot": ipst}
    elif shape == "upstream":
        event = {"Bucket": s3_bucket, "Key": key, "Dataset": ipst}
    elif shape == "partial":
        event = {"Bucket": extra, "Key": key} if isinstance(extra, str) else {"Key": extra}
    else:
        event = extra
    for fn in (handler.lambda_handler, predict.lambda_handler):
        reply = fn(event, None)
        assert set(reply) == set(handler.REPLY_KEYS)
        json.dumps(reply, allow_nan=False)  # what Lambda sends
        plan = cc.plan_job(reply)
        assert 0 <= plan["queue"] <= 3 and 60 <= plan["kill_time"] <= 172800
        if reply["failSafe"]:
            assert reply["error"]


@fuzz(15)
@given(folder=odd_stems, relative=st.booleans(), far=st.booleans())
def test_cli_cal_predict_reads_odd_named_folders(
    folder, relative, far, cal_model_dir, capsys, monkeypatch
):
    """A real features file under a folder named with '=', spaces, unicode or dashes is a
    path (never parsed as file text), predicted with exit 0; one far outside the training
    data is flagged in the output."""
    body = "n_files=1000000000000\n" if far else "n_files=2\n"
    with case_dir() as d:
        mmf = write_case(
            d / folder, "ib8t01010_MemModelFeatures", ".txt", (body + "total_mb=4\n").encode()
        )
        if relative:
            monkeypatch.chdir(d)
        arg = str(mmf.relative_to(d)) if relative else str(mmf)
        if arg.startswith("-"):
            arg = "./" + arg  # a leading dash is an option to any command line: ./ makes it a path
        rc, out, err = run_cli(["cal", "predict", "--model", str(cal_model_dir), arg], capsys)
        assert rc == 0 and "Traceback" not in err, err
        reply = json.loads(out)
        assert reply["ipst"] == "ib8t01010" and reply["features"]["total_mb"] == 4
        assert ("n_files" in reply["outOfRange"]) is far

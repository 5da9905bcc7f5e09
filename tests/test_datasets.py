"""spacekit.datasets: the registry, the lookup order cache -> mirror -> network, checksums."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import http.server
import io as _io
import threading
import types
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spacekit import datasets
from spacekit.datasets.registry import REGISTRY, DataFile, Dataset, Source
from spacekit.exceptions import ChecksumError, DataNotFoundError, UnknownDatasetError

CONTRACT_NAMES = [
    "hst_cal_2021_05_11",
    "hst_cal_ddb_export_2021_05_11",
    "hst_cal_categorized_subset_2021_08",
    "hst_cal_training_metadata_2021_05",
    "hst_cal_sample_20",
    "hst_cal_memmodel_features",
    "svm_labeled_2021_07_28",
    "svm_unlabeled_2021_10_06",
    "svm_raw_2021_11_02",
    "svm_img_pred_2samples",
    "svm_prep",
    "jwst_cal_encoder_pairs",
    "jwst_cal_tx_data_image",
    "jwst_cal_tx_data_spec",
    "lc_k2_3",
    "lc_wasp_126",
    "lc_hat_p_7",
    "lc_kepler_90_q3",
    "lc_kepler_90_q4",
    "lc_kepler_90_q5",
    "lc_kic_10002792",
    "k2_exoplanet_train",
    "k2_exoplanet_test",
]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A fresh, empty cache for one test."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("SPACEKIT_CACHE_DIR", str(folder))
    return folder


def _files_in(folder: Path) -> list[str]:
    """Files under ``folder``, without the (empty) download lock files under ``locks/``."""
    if not folder.exists():
        return []
    return sorted(
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file() and p.relative_to(folder).parts[0] != "locks"
    )


# -- the registry -------------------------------------------------------------------
def test_registry_has_every_contract_name():
    names = list(datasets.list_datasets()["name"])
    assert names == list(REGISTRY)
    assert set(CONTRACT_NAMES) == set(names)


def test_every_entry_is_documented():
    for entry in REGISTRY.values():
        assert entry.description and entry.credit and entry.license, entry.name
        for f in entry.files:
            assert f.source.url.startswith("https://"), entry.name
            if f.sha256 is not None:
                assert len(f.sha256) == 64 and f.size > 0
    assert REGISTRY["svm_raw_2021_11_02"].files[0].source.member.endswith("raw_svm_data.csv")
    assert "MAST" in REGISTRY["lc_wasp_126"].credit
    unknown = [e.name for e in REGISTRY.values() if not e.sha256_known]
    assert unknown == ["k2_exoplanet_train", "k2_exoplanet_test"]


def test_mirror_files_match_registry(shared_data, cache):
    """Every registered file in ../shared/data has the registered sha256 and size."""
    for entry in REGISTRY.values():
        if not entry.sha256_known:
            continue
        path = datasets.fetch(entry.name)
        assert path.exists(), entry.name
        assert str(path.resolve()).startswith(str(shared_data)), "a folder mirror is used in place"
    assert _files_in(cache) == []


def test_unknown_name_suggests_close_match():
    with pytest.raises(UnknownDatasetError, match=r"did you mean \['lc_k2_3'\]"):
        datasets.fetch("lc_k2-3")
    with pytest.raises(LookupError):
        datasets.info("nope")


def test_info_and_list():
    info = datasets.info("svm_img_pred_2samples")
    assert info["files"][0]["sha256"].startswith("7159d3b99ae5f14d")
    assert info["files"][0]["url"].startswith("https://raw.githubusercontent.com/")
    assert info["local"] and info["local"].endswith("svm_img_pred_2samples.npz")
    table = datasets.list_datasets()
    row = table.set_index("name").loc["hst_cal_2021_05_11"]
    assert row["size"] == 3057062 and row["sha256"] == "e48f89882177529f"


# -- loading from the mirror -----------------------------------------------------------
def test_load_tables_json_arrays_collections(cache):
    df = datasets.load("hst_cal_2021_05_11")
    assert isinstance(df, pd.DataFrame) and len(df) == 29191
    assert {"ipst", "memory", "wallclock", "mem_bin"} <= set(df.columns)
    assert len(datasets.load("svm_labeled_2021_07_28")) == 1791
    pairs = datasets.load("jwst_cal_encoder_pairs")
    assert isinstance(pairs, dict) and pairs
    arrays = datasets.load("svm_img_pred_2samples")
    assert arrays["images"].shape == (2, 3, 128, 128, 3)
    assert arrays["images"].dtype == np.float32
    feats = datasets.load("hst_cal_memmodel_features")
    assert len(feats) == 21 and "j8c601020" in feats
    assert "n_files=" in feats["j8c601020"].read_text()
    prep = datasets.load("svm_prep")
    assert set(prep) == {
        "scraped_fits",
        "scraped_mast",
        "scrubbed_cols",
        "single_reg",
        "single_scrub",
    }
    assert all(len(v) == 1 for v in prep.values())
    with pytest.raises(Exception, match="missing required"):
        datasets.load("hst_cal_sample_20", required=["no_such_column"])


def test_load_light_curve_passes_reader_kwargs(monkeypatch):
    import spacekit.transformer as tr

    calls = []

    def fake_read_lightcurve(path, **kwargs):
        calls.append((Path(path).name, kwargs))
        return "LC"

    monkeypatch.setattr(tr, "read_lightcurve", fake_read_lightcurve, raising=False)
    assert datasets.load("lc_k2_3") == "LC"
    assert datasets.load("lc_wasp_126", flux="sap") == "LC"
    assert calls == [
        ("EPIC201367065.csv", {"time_format": "bkjd"}),
        ("hlsp_tess-data-alerts_tess_phot_00025155310-s01_tess_v1_lc.fits", {"flux": "sap"}),
    ]


# -- verification on every path -----------------------------------------------------------
def _small_mirror(tmp_path, shared_data, corrupt: bool = False) -> Path:
    mirror = tmp_path / "mirror"
    target = mirror / "hst_cal" / "hst_cal_sample_20.csv"
    target.parent.mkdir(parents=True)
    data = (shared_data / "hst_cal" / "hst_cal_sample_20.csv").read_bytes()
    if corrupt:
        data = data.replace(b"0", b"1", 1)
    target.write_bytes(data)
    return mirror


def test_mirror_mismatch_raises_and_caches_nothing(tmp_path, shared_data, cache, monkeypatch):
    mirror = _small_mirror(tmp_path, shared_data, corrupt=True)
    monkeypatch.setenv("SPACEKIT_DATA_MIRROR", str(mirror))
    with pytest.raises(ChecksumError, match="expected 53c4f8f156febd76"):
        datasets.fetch("hst_cal_sample_20", allow_download=False)
    assert _files_in(cache) == []


def _bad_mirror(tmp_path, payload: bytes) -> Path:
    """A folder mirror whose nowhere/data.csv is a damaged copy of ``payload``."""
    target = tmp_path / "mirror" / "nowhere" / "data.csv"
    target.parent.mkdir(parents=True)
    target.write_bytes(payload.replace(b"2", b"7"))
    return target


def test_a_damaged_mirror_file_is_skipped_for_the_source(
    http_root, cache, monkeypatch, tmp_path, caplog
):
    """A damaged file in a folder mirror stopped every fetch with 'delete it and fetch
    again' (advice to delete from a shared mirror); the source is tried instead now."""
    payload = b"a,b\n1,2\n3,4\n"
    (http_root.root / "data.csv").write_bytes(payload)
    bad = _bad_mirror(tmp_path, payload)
    monkeypatch.setenv("SPACEKIT_DATA_MIRROR", str(tmp_path / "mirror"))
    monkeypatch.setitem(REGISTRY, "t_mir", _entry("t_mir", f"{http_root.url}/data.csv", payload))
    with caplog.at_level("WARNING", logger="spacekit.datasets"):
        path = datasets.fetch("t_mir")
    assert path == datasets.cache_path("t_mir") and path.read_bytes() == payload
    assert f"{bad} (from the data mirror" in caplog.text
    assert "downloading data.csv from its source instead" in caplog.text
    assert bad.read_bytes() != payload, "the mirror is never modified"
    assert datasets.fetch("t_mir") == path  # later calls: the verified cached copy


def test_a_damaged_mirror_file_with_the_source_down_names_both(cache, monkeypatch, tmp_path):
    from spacekit.config import conf

    payload = b"a,b\n1,2\n3,4\n"
    bad = _bad_mirror(tmp_path, payload)
    monkeypatch.setenv("SPACEKIT_DATA_MIRROR", str(tmp_path / "mirror"))
    entry = _entry("t_mir2", "http://127.0.0.1:1/data.csv", payload)  # nothing listens
    monkeypatch.setitem(REGISTRY, "t_mir2", entry)
    with conf.set_temp("retries", 1), conf.set_temp("timeout", 2):
        with pytest.raises(ChecksumError) as err:
            datasets.fetch("t_mir2")
    text = str(err.value)
    assert str(bad) in text and "replace the mirror's copy" in text and "delete it" not in text
    assert "the download from its source failed too" in text and "127.0.0.1:1" in text
    assert _files_in(cache) == []
    with pytest.raises(ChecksumError, match="replace the mirror's copy") as err:
        datasets.fetch("t_mir2", allow_download=False)
    assert "failed too" not in str(err.value)


def test_corrupt_cache_raises_and_is_removed(tmp_path, shared_data, cache, monkeypatch):
    monkeypatch.setenv("SPACEKIT_DATA_MIRROR", str(tmp_path / "empty-mirror"))
    cached = datasets.cache_path("hst_cal_sample_20")
    cached.parent.mkdir(parents=True)
    cached.write_text("not the data\n")
    with pytest.raises(ChecksumError, match="cached copy was removed"):
        datasets.fetch("hst_cal_sample_20", allow_download=False)
    assert _files_in(cache) == [], "a file failing verification is removed from the cache"
    with pytest.raises(DataNotFoundError, match="neither in the cache nor in the mirror"):
        datasets.fetch("hst_cal_sample_20", allow_download=False)
    monkeypatch.setenv("SPACEKIT_DATA_MIRROR", str(_small_mirror(tmp_path, shared_data)))
    assert datasets.fetch("hst_cal_sample_20").parent == tmp_path / "mirror" / "hst_cal"


def test_offline_unavailable(cache, monkeypatch, tmp_path):
    monkeypatch.setenv("SPACEKIT_DATA_MIRROR", str(tmp_path))
    assert datasets.locate("k2_exoplanet_train") is None
    with pytest.raises(DataNotFoundError, match="downloads are off"):
        datasets.fetch("lc_k2_3", allow_download=False)


# -- the network path (a real HTTP server on 127.0.0.1) ------------------------------------
@pytest.fixture
def http_root(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield types.SimpleNamespace(root=root, url=f"http://127.0.0.1:{server.server_address[1]}")
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    requests: list[str] = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        _QuietHandler.requests.append(self.path)
        super().do_GET()


def _entry(name, url, payload, *, sha=True, size=True, member=None, reader="csv"):
    spec = DataFile(
        "data.csv",
        hashlib.sha256(payload).hexdigest() if sha is True else sha,
        len(payload) if size else None,
        Source(url, member=member),
    )
    return Dataset(name, "table", reader, "nowhere/data.csv", (spec,), "test", "test", "test")


@pytest.fixture
def no_mirror(monkeypatch, tmp_path):
    monkeypatch.setenv("SPACEKIT_DATA_MIRROR", str(tmp_path / "no-mirror"))


def test_network_download_verified_and_cached(http_root, cache, no_mirror, monkeypatch):
    payload = b"a,b\n1,2\n3,4\n"
    (http_root.root / "data.csv").write_bytes(payload)
    monkeypatch.setitem(REGISTRY, "t_net", _entry("t_net", f"{http_root.url}/data.csv", payload))
    _QuietHandler.requests.clear()
    path = datasets.fetch("t_net")
    assert path == datasets.cache_path("t_net") and path.read_bytes() == payload
    assert datasets.load("t_net")["b"].tolist() == [2, 4]
    assert _QuietHandler.requests == ["/data.csv"], "the second use comes from the cache"
    assert _files_in(cache) == ["datasets/t_net/data.csv"]


def test_network_mismatch_leaves_nothing_in_cache(http_root, cache, no_mirror, monkeypatch):
    (http_root.root / "data.csv").write_bytes(b"a,b\n1,2\n")
    bad = _entry("t_bad", f"{http_root.url}/data.csv", b"a,b\n1,2\n", sha="0" * 64)
    monkeypatch.setitem(REGISTRY, "t_bad", bad)
    with pytest.raises(ChecksumError):
        datasets.fetch("t_bad")
    assert _files_in(cache) == []


def test_network_unknown_sha_warns_and_records(http_root, cache, no_mirror, monkeypatch):
    payload = b"LABEL,FLUX.1\n2,0.5\n1,0.25\n"
    (http_root.root / "data.csv").write_bytes(payload)
    entry = _entry("t_unk", f"{http_root.url}/data.csv", payload, sha=None, size=False)
    monkeypatch.setitem(REGISTRY, "t_unk", entry)
    with pytest.warns(UserWarning, match="no known sha256.*verified only by its format"):
        path = datasets.fetch("t_unk")
    sidecar = path.with_name(path.name + ".sha256")
    assert sidecar.read_text().strip() == hashlib.sha256(payload).hexdigest()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert datasets.fetch("t_unk") == path  # from the cache, checked against the record
    path.write_bytes(payload.replace(b"0.5", b"0.9"))
    with pytest.raises(ChecksumError, match="was recorded at its first download"):
        datasets.fetch("t_unk")
    assert not path.exists()
    with pytest.warns(UserWarning):  # downloaded again, verified by format only
        assert datasets.fetch("t_unk").read_bytes() == payload


def test_network_unknown_sha_bad_format_is_rejected(http_root, cache, no_mirror, monkeypatch):
    (http_root.root / "data.csv").write_bytes(b'\x00\x01\x02 not,a\ncsv\x00"\n"')
    entry = _entry("t_fmt", f"{http_root.url}/data.csv", b"", sha=None, size=False, reader="json")
    monkeypatch.setitem(REGISTRY, "t_fmt", entry)
    with pytest.raises(Exception, match="not a valid json file"):
        datasets.fetch("t_fmt")
    assert _files_in(cache) == []


def test_network_archive_member(http_root, cache, no_mirror, monkeypatch):
    payload = b"x,y\n5,6\n"
    buf = _io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("pkg/readme.txt", "hi")
        zf.writestr("pkg/data/table.csv", payload)
    (http_root.root / "bundle.zip").write_bytes(buf.getvalue())
    url = f"{http_root.url}/bundle.zip"
    good = _entry("t_zip", url, payload, member="pkg/data/table.csv")
    monkeypatch.setitem(REGISTRY, "t_zip", good)
    assert datasets.load("t_zip")["y"].tolist() == [6]
    # a member path that moved inside the archive is found by its file name
    moved = dataclasses.replace(
        good,
        name="t_zip2",
        files=(dataclasses.replace(good.files[0], source=Source(url, member="table.csv")),),
    )
    monkeypatch.setitem(REGISTRY, "t_zip2", moved)
    assert datasets.fetch("t_zip2").read_bytes() == payload
    wrong = _entry("t_zip3", url, b"other", member="pkg/data/table.csv")
    monkeypatch.setitem(REGISTRY, "t_zip3", wrong)
    with pytest.raises(ChecksumError):
        datasets.fetch("t_zip3")
    assert not any(p.startswith("t_zip3") for p in _files_in(cache))


# -- the S3 mirror -----------------------------------------------------------------------
def test_s3_mirror(s3_bucket, s3_endpoint, shared_data, cache, monkeypatch):
    import boto3

    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    for rel in [
        "hst_cal/hst_cal_sample_20.csv",
        *(f"hst_svm/prep/{f.filename}" for f in REGISTRY["svm_prep"].files),
    ]:
        client.put_object(
            Bucket=s3_bucket, Key=f"mirror/{rel}", Body=(shared_data / rel).read_bytes()
        )
    client.put_object(Bucket=s3_bucket, Key="mirror/jwst_cal/encoder_pairs.json", Body=b"{}")
    monkeypatch.setenv("SPACEKIT_DATA_MIRROR", f"s3://{s3_bucket}/mirror")
    # the damaged object's canonical source is unreachable (nothing listens on port 1)
    pairs = REGISTRY["jwst_cal_encoder_pairs"]
    monkeypatch.setitem(
        REGISTRY,
        "jwst_cal_encoder_pairs",
        dataclasses.replace(
            pairs,
            files=(
                dataclasses.replace(
                    pairs.files[0], source=Source("http://127.0.0.1:1/encoder_pairs.json")
                ),
            ),
        ),
    )

    path = datasets.fetch("hst_cal_sample_20")
    assert path == datasets.cache_path("hst_cal_sample_20")
    assert path.read_bytes() == (shared_data / "hst_cal/hst_cal_sample_20.csv").read_bytes()
    folder = datasets.fetch("svm_prep")
    assert folder == cache / "datasets" / "svm_prep"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f.filename for f in REGISTRY["svm_prep"].files
    )
    from spacekit.config import conf

    with conf.set_temp("retries", 1), conf.set_temp("timeout", 2):
        with pytest.raises(ChecksumError, match=r"s3://.*encoder_pairs.json.*failed too"):
            datasets.fetch("jwst_cal_encoder_pairs")
    assert (
        not (cache / "datasets" / "jwst_cal_encoder_pairs").exists()
        or _files_in(cache / "datasets" / "jwst_cal_encoder_pairs") == []
    )


# -- the demo step --------------------------------------------------------------------
def test_demo_summary(tmp_path, cache):
    from spacekit.datasets.demo import summary

    out = _io.StringIO()
    table = summary(tmp_path / "runs", out)
    text = out.getvalue()
    assert "29191 rows x 18 cols" in text
    assert "k2_exoplanet_train: skipped" in text
    assert f"{len(REGISTRY) - 2} of {len(REGISTRY)} registered datasets loaded" in text
    assert set(table.loc[table.status != "ok", "name"]) == {
        "k2_exoplanet_train",
        "k2_exoplanet_test",
    }
    assert not (tmp_path / "runs").exists(), "the datasets step writes no run folder"


def test_locate_never_downloads(s3_bucket, cache, monkeypatch):
    monkeypatch.setenv("SPACEKIT_DATA_MIRROR", f"s3://{s3_bucket}/mirror")
    assert datasets.locate("hst_cal_sample_20") is None
    assert datasets.info("hst_cal_sample_20")["local"] is None
    assert _files_in(cache) == []


@pytest.mark.remote_data
@pytest.mark.parametrize("name", ["hst_cal_sample_20", "jwst_cal_tx_data_image", "lc_k2_3"])
def test_download_from_public_source(name, cache, no_mirror):
    """Live: the canonical URL (and archive member) of an entry gives the registered bytes."""
    path = datasets.fetch(name)
    assert path.parent == cache / "datasets" / name
    spec = REGISTRY[name].files[0]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == spec.sha256


def test_load_real_light_curve():
    lc = datasets.load("lc_k2_3")
    assert len(lc) == 3632
    assert hasattr(lc, "flux") and hasattr(lc, "time")


def test_unreachable_source_names_a_missing_mirror_folder(cache, no_mirror, monkeypatch, tmp_path):
    from spacekit.config import conf
    from spacekit.exceptions import DownloadError

    payload = b"a,b\n1,2\n"
    entry = _entry("t_down", "http://127.0.0.1:1/data.csv", payload)  # nothing listens
    monkeypatch.setitem(REGISTRY, "t_down", entry)
    with conf.set_temp("retries", 1), conf.set_temp("timeout", 2):
        with pytest.raises(DownloadError, match=r"no-mirror \(SPACEKIT_DATA_MIRROR\) does not"):
            datasets.fetch("t_down")
        (tmp_path / "no-mirror").mkdir()
        with pytest.raises(DownloadError, match="has no nowhere/data.csv"):
            datasets.fetch("t_down")

"""spacekit.radio S3 I/O against a real S3-API server on 127.0.0.1 (moto server mode)."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from spacekit import radio
from spacekit.config import conf
from spacekit.exceptions import (
    ChecksumError,
    DataNotFoundError,
    DownloadError,
    InputError,
    RemoteAccessError,
    SpacekitError,
)


def _blob(n: int, seed: int = 0) -> bytes:
    import numpy as np

    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()


def test_parse_s3_url():
    assert radio.parse_s3_url("s3://stpubdata/hst/public/x.fits") == (
        "stpubdata",
        "hst/public/x.fits",
    )
    assert radio.parse_s3_url("s3://my.bucket-1/") == ("my.bucket-1", "")
    for bad in ("s3://Bad_Bucket/x", "s3://ab/x", "https://b/x", "s3://-abc/x", "s3://1.2.3.4/k"):
        with pytest.raises(InputError, match="s3"):
            radio.parse_s3_url(bad)


def test_upload_read_list_exists(s3_bucket):
    base = f"s3://{s3_bucket}"
    assert radio.s3_upload(b"hello", f"{base}/control/a/a.txt") == f"{base}/control/a/a.txt"
    assert radio.s3_upload("x\u00e9".encode(), f"{base}/control/b.txt")
    assert radio.s3_read_bytes(f"{base}/control/a/a.txt") == b"hello"
    assert radio.s3_read_text(f"{base}/control/b.txt") == "x\u00e9"
    assert radio.s3_list(f"{base}/control/") == [f"{base}/control/a/a.txt", f"{base}/control/b.txt"]
    assert radio.s3_list(f"{base}/nothing/") == []
    assert radio.s3_exists(f"{base}/control/a/a.txt")
    assert not radio.s3_exists(f"{base}/control/a/zzz.txt")
    assert radio.s3_exists(f"{base}/control/")
    assert not radio.s3_exists(f"{base}/other/")
    assert radio.s3_exists(base)


def test_upload_file_and_explicit_endpoint(s3_bucket, s3_endpoint, tmp_path, monkeypatch):
    src = tmp_path / "f.bin"
    src.write_bytes(_blob(3000))
    monkeypatch.delenv("SPACEKIT_S3_ENDPOINT_URL")
    url = f"s3://{s3_bucket}/f.bin"
    radio.s3_upload(src, url, endpoint_url=s3_endpoint)
    assert radio.s3_read_bytes(url, endpoint_url=s3_endpoint) == src.read_bytes()
    with pytest.raises(DataNotFoundError, match="expected an existing file"):
        radio.s3_upload(tmp_path / "missing.bin", url, endpoint_url=s3_endpoint)


def test_missing_key_and_bucket_name_the_url(s3_bucket):
    url = f"s3://{s3_bucket}/no/such.txt"
    with pytest.raises(DataNotFoundError, match="no/such.txt"):
        radio.s3_read_bytes(url)
    with pytest.raises(DataNotFoundError, match="does not exist"):
        radio.s3_read_bytes("s3://no-such-bucket-xyz/k.txt")
    with pytest.raises(DataNotFoundError):
        radio.s3_list("s3://no-such-bucket-xyz/")
    with pytest.raises(InputError, match="prefix"):
        radio.s3_read_bytes(f"s3://{s3_bucket}/folder/")


def test_read_text_bad_encoding(s3_bucket):
    from spacekit.exceptions import FormatError

    url = f"s3://{s3_bucket}/bin"
    radio.s3_upload(b"\xff\xfe\xfa", url)
    with pytest.raises(FormatError, match="s3_read_bytes"):
        radio.s3_read_text(url)


def test_access_denied(s3_denied_endpoint):
    url = "s3://private-bucket/secret.txt"
    with pytest.raises(RemoteAccessError, match="s3://private-bucket/secret.txt"):
        radio.s3_read_bytes(url, endpoint_url=s3_denied_endpoint)
    with pytest.raises(RemoteAccessError, match="access denied"):
        radio.s3_exists(url, endpoint_url=s3_denied_endpoint)
    with pytest.raises(RemoteAccessError):
        radio.s3_upload(b"x", url, endpoint_url=s3_denied_endpoint)


def test_unreachable_is_download_error(closed_port_url, tmp_path):
    with conf.set_temp("timeout", 2.0), conf.set_temp("retries", 2):
        with pytest.raises(DownloadError, match="could not reach") as info:
            radio.s3_read_bytes("s3://somebucket/k.txt", endpoint_url=closed_port_url)
        assert "s3://somebucket/k.txt" in str(info.value)
        assert isinstance(info.value, SpacekitError)
        with pytest.raises(DownloadError):
            radio.s3_download(
                "s3://somebucket/k.txt", tmp_path / "k.txt", endpoint_url=closed_port_url
            )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
@pytest.mark.timeout(60)  # a hang fails the test instead of blocking the suite
def test_hung_server_is_download_error(silent_server_url, tmp_path):
    with conf.set_temp("timeout", 1.0), conf.set_temp("retries", 2):
        with pytest.raises(DownloadError, match="s3://somebucket/k.txt"):
            radio.s3_download(
                "s3://somebucket/k.txt", tmp_path / "k.txt", endpoint_url=silent_server_url
            )
    assert list(tmp_path.iterdir()) == []


def test_download_to_cache_then_served_without_network(s3_bucket, _session_cache, monkeypatch):
    data = _blob(5000, 1)
    url = f"s3://{s3_bucket}/dir/obj.bin"
    radio.s3_upload(data, url)
    path = radio.s3_download(url, sha256=hashlib.sha256(data).hexdigest())
    assert path == _session_cache / "s3" / s3_bucket / "dir" / "obj.bin"
    assert path.read_bytes() == data
    assert radio.cache_path(url) == path
    # second request: the server is gone (an endpoint where nothing listens) and still served
    monkeypatch.setenv("SPACEKIT_S3_ENDPOINT_URL", "http://127.0.0.1:9")
    assert radio.s3_download(url) == path


def test_download_into_folder_and_overwrite(s3_bucket, tmp_path):
    url = f"s3://{s3_bucket}/a/b/c.txt"
    radio.s3_upload(b"one", url)
    path = radio.s3_download(url, tmp_path)
    assert path == tmp_path / "c.txt" and path.read_bytes() == b"one"
    radio.s3_upload(b"two", url)
    assert radio.s3_download(url, tmp_path).read_bytes() == b"one"  # cached
    assert radio.s3_download(url, tmp_path, overwrite=True).read_bytes() == b"two"


def test_corrupt_object_raises_and_caches_nothing(s3_bucket, tmp_path):
    good = _blob(4000, 2)
    bad = bytearray(good)
    bad[100] ^= 0xFF
    url = f"s3://{s3_bucket}/corrupt.bin"
    radio.s3_upload(bytes(bad), url)
    dest = tmp_path / "sub" / "corrupt.bin"
    with pytest.raises(ChecksumError, match="sha256"):
        radio.s3_download(url, dest, sha256=hashlib.sha256(good).hexdigest())
    assert not dest.exists()
    assert list(dest.parent.iterdir()) == []  # no .part, no sidecar
    with pytest.raises(ChecksumError, match="bytes"):
        radio.s3_download(url, dest, size=len(good) + 1)
    assert list(dest.parent.iterdir()) == []
    # into the cache: nothing is cached either
    cached = radio.cache_path(url)
    with pytest.raises(ChecksumError):
        radio.s3_download(url, sha256=hashlib.sha256(good).hexdigest())
    assert not cached.exists()
    assert list(cached.parent.iterdir()) == []


def test_cut_stream_resumes_within_call(s3_bucket, s3_server, cutting_proxy, tmp_path):
    data = _blob(3_000_000, 3)
    url = f"s3://{s3_bucket}/big.bin"
    radio.s3_upload(data, url)
    proxy = cutting_proxy(s3_server, cut_after=700_000, cuts=3)
    dest = tmp_path / "big.bin"
    out = radio.s3_download(
        url, dest, sha256=hashlib.sha256(data).hexdigest(), endpoint_url=proxy.url
    )
    assert proxy.cuts_done == 3
    assert out.read_bytes() == data
    ranges = [r for r in proxy.requests if "range: bytes=" in r.lower()]
    assert len(ranges) == 3
    assert sorted(os.listdir(tmp_path)) == ["big.bin"]


def test_resume_across_calls_from_part_file(s3_bucket, s3_server, cutting_proxy, tmp_path):
    data = _blob(2_000_000, 4)
    url = f"s3://{s3_bucket}/resume.bin"
    radio.s3_upload(data, url)
    dest = tmp_path / "resume.bin"
    # first call: the connection is cut every time -> fails, leaving a .part file
    proxy = cutting_proxy(s3_server, cut_after=600_000, cuts=100)
    with conf.set_temp("retries", 1), pytest.raises(DownloadError):
        radio.s3_download(url, dest, endpoint_url=proxy.url)
    assert not dest.exists()
    part = tmp_path / "resume.bin.part"
    have = part.stat().st_size
    assert 0 < have < len(data)
    assert json.loads((tmp_path / "resume.bin.part.json").read_text())["size"] == len(data)
    # second call through a clean proxy: only the missing bytes travel
    clean = cutting_proxy(s3_server, cut_after=0, cuts=0)
    out = radio.s3_download(url, dest, endpoint_url=clean.url)
    assert out.read_bytes() == data
    assert clean.bytes_to_client < len(data) - have + 10_000
    assert not part.exists()


def test_changed_object_restarts_part(s3_bucket, tmp_path):
    url = f"s3://{s3_bucket}/changing.bin"
    new = _blob(50_000, 6)
    radio.s3_upload(new, url)
    dest = tmp_path / "changing.bin"
    # a .part of an older version of the object (other ETag)
    (tmp_path / "changing.bin.part").write_bytes(b"old-bytes" * 100)
    (tmp_path / "changing.bin.part.json").write_text(
        json.dumps({"url": url, "etag": '"0123456789abcdef"', "size": 50_000})
    )
    assert radio.s3_download(url, dest).read_bytes() == new


@pytest.mark.slow
def test_server_ignoring_range_restarts_cleanly(s3_endpoint, http_files, tmp_path):
    """An S3-compatible server that answers a ranged GET with the whole object (200)."""
    data = _blob(1_500_000, 11)
    http_files.add("/plain-bucket/obj.bin", data)
    http_files.ignore_range = True
    http_files.cut_next, http_files.cut_at = 1, 600_000  # cut once: the resume asks a range
    url = "s3://plain-bucket/obj.bin"
    out = radio.s3_download(url, tmp_path / "obj.bin", endpoint_url=http_files.url)
    ranges = [h.get("Range") for _, h in http_files.requests]
    assert ranges[0] is None and ranges[1].startswith("bytes=") and len(ranges) == 2
    assert out.read_bytes() == data
    assert sorted(os.listdir(tmp_path)) == ["obj.bin"]


def test_download_many_refuses_two_urls_for_one_local_file(s3_bucket, tmp_path):
    a, b = f"s3://{s3_bucket}/a/data.txt", f"s3://{s3_bucket}/b/data.txt"
    radio.s3_upload(b"from a", a)
    radio.s3_upload(b"from b", b)
    with pytest.raises(InputError, match=r"would both be saved as .*data\.txt"):
        radio.download_many([a, b], tmp_path / "out")
    assert not (tmp_path / "out" / "data.txt").exists()
    # the cache keeps full paths, and explicit file dests are distinct: both fine
    cached = radio.download_many([a, b])
    assert [p.read_bytes() for p in cached] == [b"from a", b"from b"]
    named = radio.download_many(
        [{"url": a, "dest": tmp_path / "a.txt"}, {"url": b, "dest": tmp_path / "b.txt"}]
    )
    assert [p.read_bytes() for p in named] == [b"from a", b"from b"]
    # the same URL twice is still one download
    assert radio.download_many([a, a], tmp_path / "one") == [tmp_path / "one" / "data.txt"] * 2


def test_upload_of_objects_and_folders_says_what_it_takes(s3_bucket, tmp_path):
    url = f"s3://{s3_bucket}/p.json"
    with pytest.raises(InputError, match=r"json.dumps\(obj\).encode\(\)"):
        radio.s3_upload({"memBin": 1}, url)
    with pytest.raises(DataNotFoundError, match="found a folder"):
        radio.s3_upload(tmp_path, url)

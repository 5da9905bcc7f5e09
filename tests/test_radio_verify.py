"""Downloads are verified against what the server says about the *whole* object before they
enter the cache (issue 16, defect 1), and local write failures are clear errors (defect 6).

The S3 server is moto's (``s3_server``), the HTTP server ``http_files``; faults on the wire
come from the loopback proxy in ``fixtures/faults.py``.
"""

from __future__ import annotations

import builtins
import errno
import hashlib
import json
import os
import pathlib

import pytest

from spacekit import radio
from spacekit.config import conf
from spacekit.exceptions import ChecksumError, SpacekitError, WriteAccessError

SIZE = 1_500_000  # above RESUME_MIN_SIZE, so interrupted downloads keep a .part + sidecar


def _blob(n: int, seed: int = 0) -> bytes:
    import numpy as np

    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()


def _client(endpoint: str, *, checksum: bool = True):
    import boto3
    from botocore.config import Config

    mode = "when_supported" if checksum else "when_required"
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        config=Config(request_checksum_calculation=mode),
    )


def _put(endpoint: str, bucket: str, key: str, data: bytes, *, kind: str = "checksum") -> str:
    """Store an object: with a CRC32 checksum, with only its MD5 ETag, as a multipart upload
    without any whole-object checksum, or SSE-KMS encrypted (nothing identifies the content);
    return its ETag."""
    client = _client(endpoint, checksum=kind == "checksum")
    if kind == "multipart":
        part = 5 * 1024 * 1024
        up = client.create_multipart_upload(Bucket=bucket, Key=key)
        parts = []
        for i, start in enumerate(range(0, len(data), part), 1):
            r = client.upload_part(
                Bucket=bucket,
                Key=key,
                UploadId=up["UploadId"],
                PartNumber=i,
                Body=data[start : start + part],
            )
            parts.append({"PartNumber": i, "ETag": r["ETag"]})
        client.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=up["UploadId"], MultipartUpload={"Parts": parts}
        )
    elif kind == "kms":  # the ETag of an SSE-KMS object is not its MD5
        client.put_object(Bucket=bucket, Key=key, Body=data, ServerSideEncryption="aws:kms")
    else:
        client.put_object(Bucket=bucket, Key=key, Body=data)
    head = client.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    has_checksum = any(k.startswith("ChecksumCRC") or k.startswith("ChecksumSHA") for k in head)
    assert has_checksum == (kind == "checksum"), head
    return head["ETag"]


def _plant_part(dest, url: str, etag: str | None, garbage: bytes, size: int) -> None:
    dest.with_name(dest.name + ".part").write_bytes(garbage)
    meta = {"url": url, "size": size, "etag": etag}
    dest.with_name(dest.name + ".part.json").write_text(json.dumps(meta))


@pytest.fixture
def fast_retries(monkeypatch):
    monkeypatch.setattr("spacekit.radio._common.BACKOFF_BASE", 0.01)


# -- defect 1, S3 -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["checksum", "md5", "multipart"])
def test_s3_flipped_byte_is_checksum_error_and_keeps_nothing(
    kind, s3_bucket, s3_server, fault_proxy, tmp_path, fast_retries
):
    data = _blob(6 * 1024 * 1024 if kind == "multipart" else SIZE, 1)
    url = f"s3://{s3_bucket}/flip-{kind}.bin"
    _put(s3_server, s3_bucket, f"flip-{kind}.bin", data, kind=kind)
    proxy = fault_proxy(s3_server).inject("flip", at=700_000)
    dest = tmp_path / "f.bin"
    with pytest.raises(ChecksumError, match="corrupt"):
        radio.s3_download(url, dest, endpoint_url=proxy.url)
    assert proxy.applied["flip"] == 1
    assert os.listdir(tmp_path) == []  # neither the file nor a .part to resume from
    proxy.clear()
    assert radio.s3_download(url, dest, endpoint_url=proxy.url).read_bytes() == data


@pytest.mark.parametrize("kind", ["checksum", "md5"])
def test_s3_flip_inside_a_resumed_range_is_caught(
    kind, s3_bucket, s3_server, fault_proxy, tmp_path, fast_retries
):
    """A ranged GET carries no checksum of its own: the whole file is checked at the end."""
    data = _blob(SIZE, 2)
    url = f"s3://{s3_bucket}/range-{kind}.bin"
    _put(s3_server, s3_bucket, f"range-{kind}.bin", data, kind=kind)
    proxy = fault_proxy(s3_server)
    proxy.inject("cut", at=400_000).inject("flip", at=300_000)
    dest = tmp_path / "r.bin"
    with pytest.raises(ChecksumError):
        radio.s3_download(url, dest, endpoint_url=proxy.url)
    assert "range" in proxy.gets()[1]  # the flipped bytes came from a ranged GET
    assert os.listdir(tmp_path) == []
    proxy.clear()
    assert radio.s3_download(url, dest, endpoint_url=proxy.url).read_bytes() == data


@pytest.mark.parametrize("kind", ["checksum", "md5", "multipart", "kms"])
@pytest.mark.parametrize("have", [600_000, None])
def test_s3_garbage_part_with_valid_sidecar_is_never_finished(
    kind, have, s3_bucket, s3_server, fault_proxy, tmp_path
):
    size = 6 * 1024 * 1024 if kind == "multipart" else SIZE
    data = _blob(size, 3)
    key = f"garbage-{kind}.bin"
    url = f"s3://{s3_bucket}/{key}"
    etag = _put(s3_server, s3_bucket, key, data, kind=kind)
    dest = tmp_path / key
    garbage = _blob(have or size, 99)
    _plant_part(dest, url, etag, garbage, size)
    proxy = fault_proxy(s3_server)
    out = radio.s3_download(url, dest, endpoint_url=proxy.url)
    assert out.read_bytes() == data
    assert sorted(os.listdir(tmp_path)) == [key]
    assert "range" not in proxy.gets()[-1]  # the garbage was found and fetched again
    if kind == "kms":  # nothing identifies the whole object: the .part is not even used
        assert all("range" not in h for h in proxy.gets())


def test_s3_good_part_still_resumes(s3_bucket, s3_server, fault_proxy, tmp_path):
    """Verification does not cost the resume: a true prefix is completed with a range."""
    data = _blob(SIZE, 4)
    url = f"s3://{s3_bucket}/good.bin"
    etag = _put(s3_server, s3_bucket, "good.bin", data)
    dest = tmp_path / "good.bin"
    _plant_part(dest, url, etag, data[:900_000], SIZE)
    proxy = fault_proxy(s3_server)
    assert radio.s3_download(url, dest, endpoint_url=proxy.url).read_bytes() == data
    assert [h.get("range") for h in proxy.gets()] == ["bytes=900000-"]


def test_s3_read_bytes_flip_is_retried_then_checksum_error(
    s3_bucket, s3_server, fault_proxy, fast_retries
):
    data = _blob(200_000, 5)
    url = f"s3://{s3_bucket}/rb.bin"
    radio.s3_upload(data, url)
    proxy = fault_proxy(s3_server).inject("flip", at=1000)
    assert radio.s3_read_bytes(url, endpoint_url=proxy.url) == data  # one flip: retried
    proxy.inject("flip", at=1000, times=None)
    with conf.set_temp("retries", 2), pytest.raises(ChecksumError):
        radio.s3_read_bytes(url, endpoint_url=proxy.url)


# -- defect 1, HTTP -----------------------------------------------------------------------


def test_http_flip_is_caught_by_the_servers_digest(http_files, fault_proxy, tmp_path):
    data = _blob(SIZE, 6)
    http_files.add("/d.bin", data)
    http_files.digest = True
    proxy = fault_proxy(http_files.url).inject("flip", at=800_000)
    dest = tmp_path / "d.bin"
    with pytest.raises(ChecksumError, match="Repr-Digest"):
        radio.http_download(proxy.url + "/d.bin", dest)
    assert os.listdir(tmp_path) == []
    proxy.clear()
    assert radio.http_download(proxy.url + "/d.bin", dest).read_bytes() == data


@pytest.mark.parametrize("digest", [True, False])
def test_http_garbage_part_with_valid_sidecar_is_never_finished(digest, http_files, tmp_path):
    data = _blob(SIZE, 7)
    url = http_files.add("/g.bin", data)
    http_files.digest = digest
    dest = tmp_path / "g.bin"
    _plant_part(dest, url, '"v1"', _blob(700_000, 98), SIZE)
    if digest:
        b64 = __import__("base64").b64encode(hashlib.sha256(data).digest()).decode()
        meta = json.loads(dest.with_name("g.bin.part.json").read_text())
        meta["digest"] = {"alg": "sha256", "hex": hashlib.sha256(data).hexdigest(), "source": b64}
        dest.with_name("g.bin.part.json").write_text(json.dumps(meta))
    assert radio.http_download(url, dest).read_bytes() == data
    assert sorted(os.listdir(tmp_path)) == ["g.bin"]
    if not digest:  # nothing can check a resumed file: the .part is not used
        assert [h.get("Range") for _, h in http_files.requests] == [None]


def test_http_garbage_part_is_caught_by_caller_sha256(http_files, tmp_path):
    data = _blob(SIZE, 8)
    url = http_files.add("/s.bin", data)
    dest = tmp_path / "s.bin"
    _plant_part(dest, url, '"v1"', _blob(SIZE, 97), SIZE)  # complete, but garbage
    out = radio.http_download(url, dest, sha256=hashlib.sha256(data).hexdigest())
    assert out.read_bytes() == data


# -- defect 6: a cache folder that cannot be written ---------------------------------------


def _deny(monkeypatch, root) -> None:
    """Make writes under ``root`` fail as the OS does for a folder without write permission.

    As an ordinary user a real ``chmod`` does it; as root (CI containers) permissions do not
    stop writes, so the same ``PermissionError`` is raised where the OS would raise it.
    """
    root = os.path.abspath(root)
    if os.geteuid() != 0:
        os.chmod(root, 0o555)
        return

    def denied(path):
        return os.path.abspath(os.fspath(path)).startswith(root + os.sep)

    def err(path):
        return PermissionError(errno.EACCES, "Permission denied", os.fspath(path))

    real_mkdir = pathlib.Path.mkdir
    real_open = builtins.open

    def mkdir(self, *args, **kwargs):
        if denied(self) and not self.exists():
            raise err(self)
        return real_mkdir(self, *args, **kwargs)

    def fake_open(file, mode="r", *args, **kwargs):
        if isinstance(file, str | os.PathLike) and any(c in mode for c in "wax+") and denied(file):
            raise err(file)
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "mkdir", mkdir)
    monkeypatch.setattr(builtins, "open", fake_open)


@pytest.mark.parametrize("transport", ["s3", "http"])
@pytest.mark.parametrize("where", ["cache", "folder"])
def test_unwritable_folder_is_a_clear_error(
    transport, where, s3_bucket, http_files, tmp_path, monkeypatch
):
    data = b"x" * 5000
    if transport == "s3":
        url = f"s3://{s3_bucket}/w/x.bin"
        radio.s3_upload(data, url)
    else:
        url = http_files.add("/w/x.bin", data)
    root = tmp_path / "ro"
    root.mkdir()
    if where == "cache":  # the configured cache folder exists but cannot be written
        monkeypatch.setenv("SPACEKIT_CACHE_DIR", str(root))
        dest = None
    else:  # an explicit destination folder that cannot be written
        dest = root / "x.bin"
    _deny(monkeypatch, root)
    try:
        with pytest.raises(WriteAccessError) as info:
            radio.download(url, dest)
    finally:
        os.chmod(root, 0o755)
    assert isinstance(info.value, PermissionError) and isinstance(info.value, SpacekitError)
    msg = str(info.value)
    assert str(root) in msg and url in msg
    assert ("SPACEKIT_CACHE_DIR" in msg) == (where == "cache")


def test_read_only_file_system_is_a_write_access_error(tmp_path):
    """EROFS is an OSError, not a PermissionError: it is mapped all the same."""
    from spacekit.radio import _common

    target = tmp_path / "x.bin.part"
    with pytest.raises(WriteAccessError, match="Read-only file system") as info:
        with _common.local_writes("s3://b/k", tmp_path / "x.bin"):
            raise OSError(errno.EROFS, "Read-only file system", str(target))
    assert str(target) in str(info.value) and "dest=" in str(info.value)
    with pytest.raises(OSError) as other:  # other local errors are not disguised as this
        with _common.local_writes("s3://b/k", tmp_path / "x.bin"):
            raise OSError(errno.ENOSPC, "No space left on device")
    assert not isinstance(other.value, WriteAccessError)


def test_which_http_headers_name_the_whole_file():
    from spacekit.radio._common import http_digests

    sha = hashlib.sha256(b"abc").digest()
    b64 = __import__("base64").b64encode(sha).decode()
    md5 = __import__("base64").b64encode(hashlib.md5(b"abc").digest()).decode()
    assert http_digests({"Repr-Digest": f"sha-256=:{b64}:"}, 206) == [
        {"alg": "sha256", "hex": sha.hex(), "source": "Repr-Digest"}
    ]
    assert http_digests({"Digest": f"SHA-256={b64}"}, 200)[0]["alg"] == "sha256"
    assert http_digests({"Content-MD5": md5}, 200)[0]["alg"] == "md5"
    assert http_digests({"Content-MD5": md5}, 206) == []  # covers only the part sent
    etag = {"ETag": '"900150983cd24fb0d6963f7d28e17f72"'}
    assert http_digests(etag, 200) == []  # an ETag is opaque, except from S3
    s3 = http_digests({**etag, "x-amz-request-id": "1"}, 200)
    assert [d["alg"] for d in s3] == ["md5"]
    assert (
        http_digests(
            {**etag, "x-amz-request-id": "1", "x-amz-server-side-encryption": "aws:kms"}, 200
        )
        == []
    )
    composite = {"x-amz-checksum-crc32": "AAAAAA==-3", "x-amz-checksum-type": "COMPOSITE"}
    assert http_digests(composite, 200) == []
    gz = {"Repr-Digest": f"sha-256=:{b64}:", "Content-Encoding": "gzip"}
    assert http_digests(gz, 200) == []  # describes the gzip bytes, not the decoded ones
    assert http_digests({"x-goog-hash": f"md5={md5}"}, 200)[0]["source"] == "x-goog-hash"
    stored = {"x-goog-hash": f"md5={md5}", "x-goog-stored-content-encoding": "gzip"}
    assert http_digests(stored, 200) == []

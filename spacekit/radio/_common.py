"""Helpers shared by the S3 and HTTP downloaders: cache paths, ``.part`` files, checksums,
retry timing.

Nothing here imports boto3 or requests.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import errno
import hashlib
import json
import logging
import numbers
import os
import random
import re
import threading
import time
import zlib
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..exceptions import ChecksumError, InputError, SpacekitError, WriteAccessError

log = logging.getLogger(__name__)

__all__ = ["cache_path"]

#: Seconds of the first back-off pause; doubled after each failed attempt (with jitter).
BACKOFF_BASE = 0.2
#: Longest single back-off pause, in seconds.
BACKOFF_MAX = 5.0
#: Size of the blocks streamed to disk.
CHUNK_SIZE = 1 << 20
#: Files at least this large record a ``.part.json`` sidecar so that a later call can resume
#: them; smaller ones (cheaper to fetch again than to track) restart from zero.
RESUME_MIN_SIZE = 1 << 20


def backoff(attempt: int) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based): exponential, jittered."""
    pause = min(BACKOFF_MAX, BACKOFF_BASE * (2 ** (attempt - 1)))
    return pause * (0.5 + random.random() / 2)


class Deadline:
    """Tracks how long connection failures may keep being retried (``conf.timeout`` in all)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.start = time.monotonic()

    def remaining(self) -> float:
        return self.seconds - (time.monotonic() - self.start)

    def sleep_or_expire(self, pause: float) -> bool:
        """Sleep ``pause`` seconds and return True, or return False if that passes the deadline."""
        if self.remaining() <= pause:
            return False
        time.sleep(pause)
        return True


def _safe_parts(parts: list[str], url: str) -> list[str]:
    out = [p for p in parts if p not in ("", ".")]
    if any(p == ".." for p in out):
        raise InputError(
            f"expected a URL path without '..' segments, got {url!r}; "
            "pass an explicit dest to download it"
        )
    return out


def cache_path(url: str, cache_dir: str | os.PathLike | None = None) -> Path:
    """Return where a remote file is kept in the spacekit cache.

    ``s3://bucket/key`` maps to ``<cache>/s3/<bucket>/<key>`` and
    ``https://host/path`` to ``<cache>/http/<host>/<path>``; a query string (as in MAST's
    ``?uri=mast:HST/product/x.fits``) is folded into the file name so that different products
    never share a path.

    Parameters
    ----------
    url : str
        An ``s3://``, ``http://`` or ``https://`` URL.
    cache_dir : path-like, optional
        Root of the cache (default ``conf.cache_dir``).

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> cache_path("s3://stpubdata/hst/x.fits", cache_dir="/tmp/c").as_posix()
    '/tmp/c/s3/stpubdata/hst/x.fits'
    >>> cache_path("https://example.org/data/a.csv", cache_dir="/tmp/c").as_posix()
    '/tmp/c/http/example.org/data/a.csv'
    """
    if cache_dir is None:
        from ..config import conf

        cache_dir = conf.cache_dir
    root = Path(cache_dir)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "s3":
        segs = _safe_parts([parts.netloc, *unquote(parts.path).split("/")], url)
        if len(segs) < 2:
            raise InputError(f"expected s3://bucket/key naming an object, got {url!r}")
        return root.joinpath("s3", *segs)
    if scheme in ("http", "https"):
        segs = _safe_parts([parts.netloc, *unquote(parts.path).split("/")], url)
        if parts.query:
            # e.g. .../Download/file?uri=mast:HST/product/ib1f0a010_asn.fits
            query = unquote(parts.query)
            name = query.rsplit("/", 1)[-1].rsplit("=", 1)[-1] or "download"
            digest = hashlib.sha256(query.encode()).hexdigest()[:12]
            segs = [*segs, f"{digest}-{name}"]
        if len(segs) < 2:
            segs.append("index")
        return root.joinpath("http", *segs)
    raise InputError(f"expected an s3://, http:// or https:// URL, got {url!r}")


_dest_locks: dict[str, threading.Lock] = {}
_dest_locks_guard = threading.Lock()


#: Seconds between "still waiting" log lines while another process downloads the same file.
LOCK_NOTICE_EVERY = 30.0


def lock_path(dest: Path) -> Path:
    """The lock file guarding downloads to ``dest``: ``<cache_dir>/locks/<hash>.lock``.

    Kept in the cache rather than beside ``dest`` so that no lock files are left among a
    user's data files (the lock file itself is empty and harmless to delete when idle).
    """
    from ..config import conf

    digest = hashlib.sha256(os.path.abspath(dest).encode()).hexdigest()[:40]
    return Path(conf.cache_dir) / "locks" / f"{digest}.lock"


@contextlib.contextmanager
def dest_lock(dest: Path):
    """Serialise downloads to the same local file, within this process and across processes.

    Two writers must never append to one ``.part`` file: threads of this process wait on a
    :class:`threading.Lock`, other processes (two notebooks, a Dask worker pool) on an OS file
    lock from the ``filelock`` package (``flock`` on POSIX, ``msvcrt`` on Windows), released
    by the OS even if the holder is killed. The waiter logs who it waits for every
    :data:`LOCK_NOTICE_EVERY` seconds and, once it holds the lock, the caller re-checks the
    cache so a file another process finished is not fetched again.
    """
    from ..utils.deps import optional_import

    filelock = optional_import("filelock", "spacekit.radio downloads")
    key = os.path.abspath(dest)
    with _dest_locks_guard:
        lock = _dest_locks.setdefault(key, threading.Lock())
    with lock:
        path = lock_path(dest)
        path.parent.mkdir(parents=True, exist_ok=True)
        flock = filelock.FileLock(str(path))
        while True:
            try:
                flock.acquire(timeout=LOCK_NOTICE_EVERY)
                break
            except filelock.Timeout:
                log.info("%s: waiting for another process downloading it (lock %s)", dest, path)
        try:
            yield
        finally:
            flock.release()


def part_path(dest: Path) -> Path:
    """The ``.part`` file that holds the bytes of an unfinished download of ``dest``."""
    return dest.with_name(dest.name + ".part")


def meta_path(dest: Path) -> Path:
    """Sidecar JSON recording what the ``.part`` file is a prefix of (ETag, size, URL)."""
    return dest.with_name(dest.name + ".part.json")


def read_meta(dest: Path) -> dict:
    try:
        return json.loads(meta_path(dest).read_text())
    except (OSError, ValueError):
        return {}


def write_meta(dest: Path, meta: dict) -> None:
    tmp = meta_path(dest).with_suffix(".tmp")
    tmp.write_text(json.dumps(meta))
    os.replace(tmp, meta_path(dest))


def discard_part(dest: Path) -> None:
    for p in (part_path(dest), meta_path(dest)):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def check_expected(url: str, *, sha256: str | None, size: int | None) -> None:
    """Refuse a malformed expected ``sha256``/``size`` before anything is touched.

    A typo in a checksum would otherwise remove a good cached copy (it "does not match"),
    download the file again and only then fail.
    """
    if sha256 and not (
        isinstance(sha256, str)
        and len(sha256) == 64
        and all(c in "0123456789abcdefABCDEF" for c in sha256)
    ):
        raise InputError(
            f"{url}: expected sha256 should be 64 hexadecimal digits, got {sha256!r}; "
            "pass the full hex digest (e.g. from `sha256sum FILE`) or none"
        )
    if size is not None and (
        isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 0
    ):
        raise InputError(
            f"{url}: expected size should be a whole number of bytes >= 0, got {size!r}"
        )


def verify(path: Path, url: str, *, sha256: str | None, size: int | None) -> None:
    """Raise :class:`ChecksumError` if ``path`` does not have the expected size / sha256."""
    if size is not None:
        got = path.stat().st_size
        if got != int(size):
            raise ChecksumError(
                f"{url}: expected {int(size)} bytes, downloaded {got}; the remote file changed "
                "or the transfer was cut. Nothing was cached; retry, or update the expected size."
            )
    if sha256:
        from ..utils.files import file_sha256

        got = file_sha256(path)
        if got.lower() != sha256.lower():
            raise ChecksumError(
                f"{url}: expected sha256 {sha256.lower()}, got {got}; the download is corrupt "
                "or the remote file changed. Nothing was cached; retry, or update the checksum."
            )


def finish(
    part: Path,
    dest: Path,
    url: str,
    *,
    sha256: str | None,
    size: int | None,
    digest: dict | None = None,
) -> Path:
    """Verify a complete ``.part`` file and move it atomically to ``dest``.

    The file is checked against the expected ``size`` and ``sha256`` (the caller's) and, when
    the caller gave no sha256, against ``digest``: what the server says about the whole
    object (see :func:`check_digest`). On a checksum failure both the ``.part`` file and its
    sidecar are removed, so nothing corrupt is kept for a later resume.
    """
    try:
        verify(part, url, sha256=sha256, size=size)
        if digest and not sha256:
            check_digest(part, url, digest)
    except ChecksumError:
        discard_part(dest)
        raise
    with open(part, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(part, dest)
    with contextlib.suppress(FileNotFoundError):
        meta_path(dest).unlink()
    return dest


def cached_ok(dest: Path, url: str, *, sha256: str | None, size: int | None) -> bool:
    """True if ``dest`` exists and matches what is known about it (else it is removed when
    it is known to be wrong)."""
    if not dest.is_file():
        return False
    try:
        verify(dest, url, sha256=sha256, size=size)
    except ChecksumError:
        log.warning("cached %s does not match its checksum; downloading it again", dest)
        dest.unlink()
        return False
    return True


def resolve_dest(dest, url: str, name: str) -> Path:
    """``dest`` None → cache path; an existing folder or a path ending in '/' → folder/name."""
    if dest is None:
        return cache_path(url)
    text = os.fspath(dest)
    path = Path(text)
    if path.is_dir() or text.endswith(("/", os.sep)):
        if not name:
            raise InputError(f"cannot name a local file for {url!r}; pass dest as a file path")
        return path / name
    return path


# -- whole-object digests ------------------------------------------------------------------
#
# A digest is a dict {"alg": "crc32" | "md5" | "sha256" | ..., "hex": lower-case hex,
# "source": where the server said it (a header name)}. It is what the *server* says about the
# whole object, so it also covers bytes that arrived through ranged requests (which carry no
# checksum of their own) or that were kept in a ``.part`` file from an earlier call.


class _Crc32:
    def __init__(self) -> None:
        self.value = 0

    def update(self, data: bytes) -> None:
        self.value = zlib.crc32(data, self.value)

    def hexdigest(self) -> str:
        return f"{self.value & 0xFFFFFFFF:08x}"


class _BotocoreChecksum:
    """CRC32C / CRC64NVME through botocore's CRT-backed classes (needs awscrt)."""

    def __init__(self, cls) -> None:
        self.impl = cls()

    def update(self, data: bytes) -> None:
        self.impl.update(data)

    def hexdigest(self) -> str:
        return self.impl.digest().hex()


def _hasher(alg: str):
    """A hashlib-like object for ``alg``, or None when it cannot be computed here."""
    if alg in ("md5", "sha1", "sha256", "sha512"):
        return hashlib.new(alg)
    if alg == "crc32":
        return _Crc32()
    if alg in ("crc32c", "crc64nvme"):
        try:
            import awscrt  # noqa: F401
            from botocore import httpchecksum
        except ImportError:
            return None
        cls = {"crc32c": "CrtCrc32cChecksum", "crc64nvme": "CrtCrc64NvmeChecksum"}[alg]
        return _BotocoreChecksum(getattr(httpchecksum, cls))
    return None


def b64_to_hex(value: str) -> str | None:
    """Hex of a base64 digest as S3 and RFC 9530 headers carry it (None if not base64)."""
    try:
        return base64.b64decode(value.strip(), validate=True).hex()
    except (binascii.Error, ValueError):
        return None


def pick_digest(digests: list[dict]) -> dict | None:
    """The first digest in ``digests`` whose algorithm can be computed here (or None)."""
    for d in digests:
        if d.get("alg") == "s3-multipart" or _hasher(d.get("alg", "")) is not None:
            return d
    return None


def file_digest(path: Path, alg: str) -> str:
    """Hex digest of a file with ``alg`` (one of those :func:`pick_digest` accepts)."""
    h = _hasher(alg)
    if h is None:  # pragma: no cover - pick_digest never picks these
        raise InputError(f"cannot compute a {alg} digest here")
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(CHUNK_SIZE), b""):
            h.update(block)
    return h.hexdigest()


def check_digest(path: Path, url: str, digest: dict) -> None:
    """Raise :class:`ChecksumError` if ``path`` does not match the server's whole-object
    ``digest``."""
    got = file_digest(path, digest["alg"])
    if got != digest["hex"].lower():
        raise ChecksumError(
            f"{url}: the downloaded bytes do not match the server's {digest['source']} "
            f"({digest['alg']} {digest['hex']}, computed {got}): the transfer was corrupt. "
            "Nothing was cached and the partial file was removed; retry the download."
        )


def checksum_error(url: str, exc: BaseException) -> ChecksumError:
    """The error for a checksum failure detected while streaming (botocore's
    ``FlexibleChecksumError``)."""
    return ChecksumError(
        f"{url}: the server's checksum of the object did not match the bytes received "
        f"({exc}): the transfer was corrupt. Nothing was cached and the partial file was "
        "removed; retry the download."
    )


def http_digests(headers, status: int) -> list[dict]:
    """Whole-object digests named by an HTTP answer's headers, most trusted first.

    ``Repr-Digest`` (RFC 9530) and ``Digest`` (RFC 3230) describe the whole representation,
    also on a 206 answer; ``Content-MD5`` only on a 200 answer (it covers the body); Google
    Cloud Storage's ``x-goog-hash``; S3's ``x-amz-checksum-*`` (full-object ones only) and, from
    S3, an MD5 ``ETag`` of an object stored unencrypted in one part. None of them when the
    answer is content-encoded (or, for ``x-goog-hash``, stored gzip-encoded): they would
    describe other bytes than the decoded ones written to disk.
    """
    h = {str(k).lower(): str(v) for k, v in headers.items()}
    if h.get("content-encoding", "identity").strip().lower() not in ("", "identity"):
        return []  # the digests describe the encoded bytes, not the decoded ones written here
    names = {"sha-256": "sha256", "sha-512": "sha512", "sha": "sha1", "md5": "md5"}
    out: list[dict] = []
    for header in ("repr-digest", "digest"):
        for item in h.get(header, "").split(","):
            name, _, value = item.strip().partition("=")
            alg = names.get(name.strip().lower())
            hexv = b64_to_hex(value.strip().strip(":")) if alg else None
            if hexv:
                out.append({"alg": alg, "hex": hexv, "source": header.title()})
    if status == 200 and h.get("content-md5"):
        hexv = b64_to_hex(h["content-md5"])
        if hexv:
            out.append({"alg": "md5", "hex": hexv, "source": "Content-MD5"})
    stored_gzip = h.get("x-goog-stored-content-encoding", "identity").lower() != "identity"
    for item in "" if stored_gzip else h.get("x-goog-hash", "").split(","):
        name, _, value = item.strip().partition("=")
        if name.strip().lower() in ("md5", "crc32c"):
            hexv = b64_to_hex(value)
            if hexv:
                out.append({"alg": name.strip().lower(), "hex": hexv, "source": "x-goog-hash"})
    if any(k.startswith("x-amz-") for k in h):  # an S3 answer
        out.extend(
            s3_digests(
                {
                    "ETag": h.get("etag"),
                    "ChecksumType": h.get("x-amz-checksum-type"),
                    "ServerSideEncryption": h.get("x-amz-server-side-encryption"),
                    "SSECustomerAlgorithm": h.get(
                        "x-amz-server-side-encryption-customer-algorithm"
                    ),
                    **{
                        f"Checksum{alg}": h.get(f"x-amz-checksum-{alg.lower()}")
                        for alg in _S3_CHECKSUMS
                    },
                },
                multipart_ok=False,
            )
        )
    return out


_S3_CHECKSUMS = ("CRC64NVME", "CRC32C", "CRC32", "SHA256", "SHA1")


def s3_digests(resp: dict, *, multipart_ok: bool = True) -> list[dict]:
    """Whole-object digests in an S3 GetObject/HeadObject answer (boto3's dict), most
    trusted first.

    A ``Checksum*`` value counts when it is a full-object checksum (single-part objects, or
    ``ChecksumType`` FULL_OBJECT; a COMPOSITE ``xxx-N`` checksum is a checksum of part
    checksums). The ``ETag`` is the MD5 of the content only for an object stored in one part
    without SSE-KMS or SSE-C; a multipart ETag (``<md5 of the part MD5s>-N``) is returned as
    ``s3-multipart`` for the caller to check part by part.
    """
    etag = (resp.get("ETag") or "").strip()
    etag = etag.removeprefix("W/").strip('"').lower()
    multipart = re.fullmatch(r"[0-9a-f]{32}-(\d+)", etag)
    ctype = resp.get("ChecksumType")
    whole = ctype == "FULL_OBJECT" or (ctype is None and not multipart)
    out: list[dict] = []
    for alg in _S3_CHECKSUMS:
        value = resp.get(f"Checksum{alg}")
        if value and "-" not in value and whole:
            hexv = b64_to_hex(value)
            if hexv:
                out.append(
                    {"alg": alg.lower(), "hex": hexv, "source": f"x-amz-checksum-{alg.lower()}"}
                )
    encrypted = resp.get("SSECustomerAlgorithm") or resp.get("ServerSideEncryption") not in (
        None,
        "AES256",
    )
    if not encrypted:
        if re.fullmatch(r"[0-9a-f]{32}", etag):
            out.append({"alg": "md5", "hex": etag, "source": "ETag (the MD5 of the object)"})
        elif multipart and multipart_ok:
            out.append(
                {
                    "alg": "s3-multipart",
                    "hex": etag,
                    "parts": int(multipart.group(1)),
                    "source": "multipart ETag",
                }
            )
    return out


# -- local write failures ------------------------------------------------------------------

_WRITE_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS}


def is_write_denied(exc: BaseException) -> bool:
    """True for an OSError meaning "this local path may not be written"."""
    return (
        isinstance(exc, OSError)
        and not isinstance(exc, SpacekitError)
        and (isinstance(exc, PermissionError) or exc.errno in _WRITE_ERRNOS)
    )


@contextlib.contextmanager
def local_writes(url: str, dest: Path):
    """Turn "cannot write here" (permissions, read-only file system) into a
    :class:`~spacekit.exceptions.WriteAccessError` that names the folder and the fix."""
    try:
        yield
    except OSError as exc:
        if not is_write_denied(exc):
            raise
        from ..config import conf

        where = Path(exc.filename) if exc.filename else dest.parent
        cache = Path(conf.cache_dir).absolute()
        in_cache = where.absolute() == cache or cache in where.absolute().parents
        fix = (
            "set conf.cache_dir (environment: SPACEKIT_CACHE_DIR) to a folder you may write"
            if in_cache
            else "pass dest= a folder you may write"
        )
        raise WriteAccessError(
            f"{url}: cannot write {where} ({exc.strerror or exc}); expected a folder this "
            f"user may write, found one that refuses writes; {fix}"
        ) from exc

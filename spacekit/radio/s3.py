"""Read, write, list and download ``s3://bucket/key`` objects with boto3.

Every function takes ``endpoint_url`` (default: the setting ``conf.s3_endpoint_url``, empty
for AWS itself), so the same code talks to AWS or to any S3-compatible server. Credentials
come from boto3's usual chain (environment, ``~/.aws``, instance role); when none is found,
requests are sent unsigned, which is what public buckets such as ``stpubdata`` (Hubble,
Kepler/K2, TESS data on AWS) expect. A signed read that is refused is retried unsigned once.

Errors name the URL: a missing key or bucket raises
:class:`~spacekit.exceptions.DataNotFoundError`, a refusal
:class:`~spacekit.exceptions.RemoteAccessError`, a malformed URL or bucket name
:class:`~spacekit.exceptions.InputError`, and a server that cannot be reached
:class:`~spacekit.exceptions.DownloadError` after about ``conf.timeout`` seconds.

boto3 is imported inside the functions, never when this module is imported.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from pathlib import Path
from typing import Any

from ..exceptions import (
    ChecksumError,
    DataNotFoundError,
    DownloadError,
    InputError,
    RemoteAccessError,
    SpacekitError,
)
from . import _common
from ._common import Deadline, backoff

log = logging.getLogger(__name__)

__all__ = [
    "parse_s3_url",
    "s3_exists",
    "s3_list",
    "s3_download",
    "s3_read_bytes",
    "s3_read_text",
    "s3_upload",
]

_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")
_IP_RE = re.compile(r"^\d+\.\d+\.\d+\.\d+$")

#: Files larger than this are uploaded with boto3's multipart transfer.
MULTIPART_THRESHOLD = 64 * 1024 * 1024

_clients: dict[tuple, Any] = {}
_clients_lock = threading.Lock()

_NOT_FOUND = {"NoSuchKey", "404", "NotFound", "NoSuchBucket", "NoSuchVersion"}
_DENIED = {
    "AccessDenied",
    "403",
    "Forbidden",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "AllAccessDisabled",
    "AccountProblem",
    "ExpiredToken",
    "InvalidToken",
    "TokenRefreshRequired",
}
_TRANSIENT = {
    "InternalError",
    "ServiceUnavailable",
    "SlowDown",
    "RequestTimeout",
    "RequestTimeTooSkewed",
    "Throttling",
    "ThrottlingException",
    "500",
    "502",
    "503",
    "504",
}


def parse_s3_url(url: str) -> tuple[str, str]:
    """Split an ``s3://bucket/key`` URL into ``(bucket, key)``.

    The key may be empty (``s3://bucket`` or ``s3://bucket/``) or end in ``/`` for a prefix.

    Parameters
    ----------
    url : str
        The URL, e.g. ``"s3://stpubdata/hst/public/ib1f/ib1f0a010/ib1f0a010_asn.fits"``.

    Returns
    -------
    tuple of str
        ``(bucket, key)``.

    Raises
    ------
    InputError
        If the URL does not start with ``s3://`` or the bucket name breaks S3's naming rules
        (3-63 characters: lowercase letters, digits, dots and hyphens).

    Examples
    --------
    >>> parse_s3_url("s3://stpubdata/kepler/public/lightcurves/0007/x.fits")
    ('stpubdata', 'kepler/public/lightcurves/0007/x.fits')
    >>> parse_s3_url("s3://my-bucket")
    ('my-bucket', '')
    """
    if not isinstance(url, str) or not url.lower().startswith("s3://"):
        raise InputError(
            f"expected an S3 URL of the form s3://bucket/key, got {url!r}; add the s3:// prefix"
        )
    rest = url[5:]
    bucket, _, key = rest.partition("/")
    if not _BUCKET_RE.match(bucket) or ".." in bucket or _IP_RE.match(bucket):
        raise InputError(
            f"invalid S3 bucket name {bucket!r} in {url!r}: expected 3-63 lowercase letters, "
            "digits, dots or hyphens, starting and ending with a letter or digit; check the URL"
        )
    return bucket, key


# -- clients -------------------------------------------------------------------------------


def _endpoint(endpoint_url: str | None) -> str | None:
    if endpoint_url is None:
        from ..config import conf

        endpoint_url = conf.s3_endpoint_url
    return endpoint_url or None


def _client(endpoint_url: str | None, *, unsigned: bool | None = None):
    """Return ``(client, unsigned)``; clients are cached and shared between threads."""
    from ..config import conf

    env_key = tuple(
        os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_DEFAULT_REGION")
    )
    key = (endpoint_url, unsigned, float(conf.timeout), int(conf.max_workers), env_key)
    with _clients_lock:
        hit = _clients.get(key)
        if hit is not None:
            return hit
        from ..utils.deps import optional_import

        boto3 = optional_import("boto3", "spacekit.radio S3 access")
        import botocore
        from botocore.config import Config

        session = boto3.session.Session()
        if unsigned is None:
            unsigned = session.get_credentials() is None
        cfg = Config(
            connect_timeout=float(conf.timeout),
            read_timeout=float(conf.timeout),
            retries={"total_max_attempts": 1},  # spacekit retries itself, with resume
            max_pool_connections=max(10, 2 * int(conf.max_workers)),
            signature_version=botocore.UNSIGNED if unsigned else None,
        )
        client = session.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=session.region_name or "us-east-1",
            config=cfg,
        )
        _clients[key] = (client, unsigned)
        return client, unsigned


# -- errors --------------------------------------------------------------------------------


def _where(endpoint_url: str | None) -> str:
    return f"S3 endpoint {endpoint_url}" if endpoint_url else "AWS S3"


def _translate(exc: BaseException, url: str, endpoint_url: str | None) -> tuple[str, Exception]:
    """Classify an exception: ``(kind, spacekit_error)`` with kind one of
    "fatal", "transient", "connect", "precondition", "range", "checksum"."""
    import botocore.exceptions as bex

    if isinstance(exc, SpacekitError):
        return "fatal", exc
    if isinstance(exc, bex.FlexibleChecksumError):
        return "checksum", _common.checksum_error(url, exc)
    if _common.is_write_denied(exc):
        raise exc  # a local file cannot be written: s3_download names the folder
    if isinstance(exc, bex.ClientError):
        return _translate_client_error(exc, url, endpoint_url)
    if isinstance(exc, bex.NoCredentialsError | bex.PartialCredentialsError):
        return "fatal", RemoteAccessError(
            f"{url}: no usable AWS credentials ({exc}); set AWS_PROFILE or "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
        )
    if isinstance(exc, bex.ParamValidationError):
        return "fatal", InputError(f"{url}: {exc}")
    if isinstance(exc, bex.EndpointConnectionError | bex.ConnectTimeoutError):
        return "connect", DownloadError(
            f"{url}: could not reach {_where(endpoint_url)} ({exc}); check the network "
            "connection and the endpoint_url setting (conf.s3_endpoint_url)"
        )
    if isinstance(
        exc,
        bex.ReadTimeoutError
        | bex.ConnectionClosedError
        | bex.ResponseStreamingError
        | bex.IncompleteReadError
        | bex.ConnectionError
        | bex.HTTPClientError
        | ConnectionError
        | TimeoutError,
    ):
        return "transient", DownloadError(
            f"{url}: the connection to {_where(endpoint_url)} kept failing ({exc}); "
            "retry later or raise conf.retries / conf.timeout"
        )
    try:
        import urllib3.exceptions as uex

        if isinstance(exc, uex.HTTPError):
            return "transient", DownloadError(
                f"{url}: transfer from {_where(endpoint_url)} failed ({exc})"
            )
    except ImportError:  # pragma: no cover
        pass
    if isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError | PermissionError):
        return "transient", DownloadError(f"{url}: transfer failed ({exc})")
    raise exc


def _translate_client_error(exc: Any, url: str, endpoint_url: str | None) -> tuple[str, Exception]:
    """Classify an S3 error answer (botocore ClientError) by its code and HTTP status."""
    err = exc.response.get("Error", {})
    code = str(err.get("Code", ""))
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    msg = err.get("Message") or code
    if code == "NoSuchBucket":
        bucket = parse_s3_url(url)[0]
        return "fatal", DataNotFoundError(
            f"{url}: bucket {bucket!r} does not exist on {_where(endpoint_url)}; "
            "check the bucket name and the endpoint_url setting"
        )
    if code in _NOT_FOUND or status == 404:
        return "fatal", DataNotFoundError(
            f"{url}: no such object on {_where(endpoint_url)}; check the key "
            "(spacekit.radio.s3_list lists what is under a prefix)"
        )
    if code in _DENIED or status == 403:
        return "fatal", RemoteAccessError(
            f"{url}: access denied by {_where(endpoint_url)} ({code}: {msg}); expected a "
            "public bucket or credentials allowed to use it: set AWS_PROFILE or "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or check the bucket policy"
        )
    if code in ("PreconditionFailed", "412") or status == 412:
        return "precondition", DownloadError(f"{url}: the object changed during download")
    if code in ("InvalidRange", "416") or status == 416:
        return "range", DownloadError(f"{url}: the resume offset is past the object's end")
    if code == "InvalidBucketName":
        return "fatal", InputError(f"{url}: invalid bucket name ({msg}); check the URL")
    if code in _TRANSIENT or (status is not None and status >= 500) or status == 429:
        return "transient", DownloadError(
            f"{url}: {_where(endpoint_url)} kept failing ({code}: {msg}); "
            "retry later or raise conf.retries"
        )
    return "fatal", DownloadError(f"{url}: {_where(endpoint_url)} answered {code}: {msg}")


def _retrying(fn, url: str, endpoint_url: str | None):
    """Call ``fn()``; retry transient failures with back-off (``conf.retries`` attempts, and
    connection failures for at most about ``conf.timeout`` seconds)."""
    from ..config import conf

    deadline = Deadline(float(conf.timeout))
    attempt = 0
    while True:
        attempt += 1
        try:
            return fn()
        except Exception as exc:
            kind, err = _translate(exc, url, endpoint_url)
            if kind in ("fatal", "precondition", "range") or attempt >= conf.retries:
                raise err from (None if err is exc else exc)
            _back_off(kind, attempt, deadline, err, exc)
            log.debug("retrying %s after %s (attempt %d)", url, exc, attempt + 1)


def _read_call(endpoint_url, url, fn):
    """Run a read-only ``fn(client)`` with retries; retry unsigned once if a signed call is
    refused (a public bucket read with unrelated credentials)."""
    client, unsigned = _client(endpoint_url)
    try:
        return _retrying(lambda: fn(client), url, endpoint_url)
    except RemoteAccessError as first:
        if unsigned:
            raise
        anon, _ = _client(endpoint_url, unsigned=True)
        try:
            out = _retrying(lambda: fn(anon), url, endpoint_url)
        except SpacekitError:
            raise first from None
        log.info("%s: signed request refused, unsigned request worked", url)
        return out


# -- public API ----------------------------------------------------------------------------


def s3_exists(url: str, *, endpoint_url: str | None = None) -> bool:
    """Return whether an S3 object (or prefix, or bucket) exists.

    ``s3://bucket/key`` checks the object, ``s3://bucket/prefix/`` (trailing slash) whether
    any object lies under the prefix, and ``s3://bucket`` whether the bucket exists.

    Parameters
    ----------
    url : str
        ``s3://bucket/key`` URL.
    endpoint_url : str, optional
        S3-compatible endpoint (default ``conf.s3_endpoint_url``; empty for AWS).

    Returns
    -------
    bool

    Raises
    ------
    RemoteAccessError
        If the server refuses to say (S3 answers 403 for a missing key when the caller may
        not list the bucket).
    DownloadError
        If the server cannot be reached.

    Examples
    --------
    >>> s3_exists("s3://stpubdata/hst/public/ib1f/ib1f0a010/ib1f0a010_asn.fits")  # doctest: +SKIP
    True
    """
    bucket, key = parse_s3_url(url)
    endpoint_url = _endpoint(endpoint_url)

    def call(client):
        if not key:
            client.head_bucket(Bucket=bucket)
            return True
        if key.endswith("/"):
            resp = client.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1)
            return resp.get("KeyCount", 0) > 0
        client.head_object(Bucket=bucket, Key=key)
        return True

    try:
        return bool(_read_call(endpoint_url, url, call))
    except DataNotFoundError:
        return False


def s3_list(prefix_url: str, *, endpoint_url: str | None = None) -> list[str]:
    """List the objects under an S3 prefix, as sorted ``s3://`` URLs.

    Parameters
    ----------
    prefix_url : str
        ``s3://bucket/prefix`` (the prefix is matched literally, as S3 does: ``s3://b/ab``
        lists ``ab.txt`` and ``abc/x``; end it with ``/`` to list a "folder").
    endpoint_url : str, optional
        S3-compatible endpoint (default ``conf.s3_endpoint_url``).

    Returns
    -------
    list of str
        One URL per object (an empty list when nothing matches).

    Raises
    ------
    DataNotFoundError
        If the bucket does not exist.

    Examples
    --------
    >>> s3_list("s3://my-bucket/control/ib1f0a010/")  # doctest: +SKIP
    ['s3://my-bucket/control/ib1f0a010/ib1f0a010_MemModelFeatures.txt']
    """
    bucket, prefix = parse_s3_url(prefix_url)
    endpoint_url = _endpoint(endpoint_url)

    def call(client):
        keys: list[str] = []
        token = None
        while True:
            kwargs = {"Bucket": bucket, "Prefix": prefix}
            if token:
                kwargs["ContinuationToken"] = token
            resp = client.list_objects_v2(**kwargs)
            keys.extend(obj["Key"] for obj in resp.get("Contents", []))
            if not resp.get("IsTruncated"):
                return keys
            token = resp.get("NextContinuationToken")

    keys = _read_call(endpoint_url, prefix_url, call)
    return sorted(f"s3://{bucket}/{k}" for k in keys)


def s3_read_bytes(
    url: str, *, endpoint_url: str | None = None, max_bytes: int | None = None
) -> bytes:
    """Return the content of an S3 object.

    Parameters
    ----------
    url : str
        ``s3://bucket/key``.
    endpoint_url : str, optional
        S3-compatible endpoint (default ``conf.s3_endpoint_url``).
    max_bytes : int, optional
        Refuse an object larger than this, from its size as the server states it, before
        reading its body (and never read more than this many bytes).

    Returns
    -------
    bytes

    Raises
    ------
    DataNotFoundError
        If the object or the bucket does not exist.
    RemoteAccessError
        If access is refused.
    InputError
        If the object is larger than ``max_bytes``.

    Examples
    --------
    >>> s3_read_bytes("s3://my-bucket/control/x.txt")  # doctest: +SKIP
    b'...'
    """
    bucket, key = parse_s3_url(url)
    _require_key(url, key)
    endpoint_url = _endpoint(endpoint_url)

    def call(client):
        resp = client.get_object(Bucket=bucket, Key=key)
        if max_bytes is None:
            return resp["Body"].read()
        size = resp.get("ContentLength")
        if size is not None and size > max_bytes:
            resp["Body"].close()
            raise _too_large(url, size, max_bytes)
        data = resp["Body"].read(max_bytes + 1)
        resp["Body"].close()
        if len(data) > max_bytes:
            raise _too_large(url, f"more than {max_bytes}", max_bytes)
        return data

    return _read_call(endpoint_url, url, call)


def _too_large(url: str, size: Any, max_bytes: int) -> Exception:
    from ..exceptions import InputError

    return InputError(
        f"{url}: the object is {size} bytes, over the limit of {max_bytes} bytes asked for "
        "(max_bytes); it was not read: check the key, or raise max_bytes"
    )


def s3_read_text(
    url: str,
    *,
    encoding: str = "utf-8",
    endpoint_url: str | None = None,
    max_bytes: int | None = None,
) -> str:
    """Return the content of an S3 object decoded as text.

    Parameters
    ----------
    url : str
        ``s3://bucket/key``.
    encoding : str
        Text encoding (default UTF-8).
    endpoint_url : str, optional
        S3-compatible endpoint (default ``conf.s3_endpoint_url``).
    max_bytes : int, optional
        Refuse a larger object before reading it (see :func:`s3_read_bytes`).

    Returns
    -------
    str

    Raises
    ------
    FormatError
        If the bytes are not valid text in ``encoding``.

    Examples
    --------
    >>> s3_read_text(
    ...     "s3://my-bucket/control/ib1f0a010/ib1f0a010_MemModelFeatures.txt"
    ... )  # doctest: +SKIP
    'n_files=2\\n...'
    """
    data = s3_read_bytes(url, endpoint_url=endpoint_url, max_bytes=max_bytes)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        from ..exceptions import FormatError

        raise FormatError(
            f"{url}: expected {encoding} text, found undecodable bytes ({exc}); "
            "use s3_read_bytes for binary objects or pass encoding="
        ) from None


def s3_upload(
    src: str | os.PathLike | bytes | bytearray | memoryview,
    url: str,
    *,
    endpoint_url: str | None = None,
    content_type: str | None = None,
) -> str:
    """Upload a local file or bytes to ``s3://bucket/key``.

    Parameters
    ----------
    src : path-like or bytes
        A local file (uploaded in parts when larger than 64 MiB) or the bytes themselves.
        Text must be encoded first (``text.encode()``); a ``str`` is read as a path.
    url : str
        Destination ``s3://bucket/key``.
    endpoint_url : str, optional
        S3-compatible endpoint (default ``conf.s3_endpoint_url``).
    content_type : str, optional
        Content-Type stored with the object.

    Returns
    -------
    str
        The destination URL.

    Raises
    ------
    DataNotFoundError
        If ``src`` is a path that does not exist, or the bucket does not exist.
    RemoteAccessError
        If the bucket refuses the write.

    Examples
    --------
    >>> s3_upload(b'{"memBin": 1}', "s3://my-bucket/preds/ib1f0a010.json")  # doctest: +SKIP
    's3://my-bucket/preds/ib1f0a010.json'
    """
    bucket, key = parse_s3_url(url)
    _require_key(url, key)
    endpoint_url = _endpoint(endpoint_url)
    client, _ = _client(endpoint_url)
    extra = {"ContentType": content_type} if content_type else {}
    if isinstance(src, bytes | bytearray | memoryview):
        body = bytes(src)
        _retrying(
            lambda: client.put_object(Bucket=bucket, Key=key, Body=body, **extra), url, endpoint_url
        )
        return url
    if not isinstance(src, str | os.PathLike):
        raise InputError(
            f"s3_upload expects a file path or bytes, got {type(src).__name__}; serialise it "
            "first, e.g. json.dumps(obj).encode() for a dict"
        )
    path = Path(src)
    if not path.is_file():
        what = "a folder" if path.is_dir() else "none"
        raise DataNotFoundError(
            f"cannot upload {path} to {url}: expected an existing file (or bytes), found "
            f"{what}; a str is read as a path (encode text first: text.encode())"
        )
    if path.stat().st_size <= MULTIPART_THRESHOLD:

        def put():
            with open(path, "rb") as fh:
                return client.put_object(Bucket=bucket, Key=key, Body=fh, **extra)

        _retrying(put, url, endpoint_url)
        return url
    from boto3.exceptions import S3UploadFailedError
    from boto3.s3.transfer import TransferConfig

    from ..config import conf

    cfg = TransferConfig(max_concurrency=int(conf.max_workers))
    try:
        _retrying(
            lambda: client.upload_file(str(path), bucket, key, ExtraArgs=extra or None, Config=cfg),
            url,
            endpoint_url,
        )
    except S3UploadFailedError as exc:  # wraps the ClientError as text
        text = str(exc)
        if "AccessDenied" in text or "403" in text:
            raise RemoteAccessError(
                f"{url}: upload refused by {_where(endpoint_url)} ({text})"
            ) from None
        if "NoSuchBucket" in text:
            raise DataNotFoundError(f"{url}: bucket {bucket!r} does not exist ({text})") from None
        raise DownloadError(f"{url}: upload failed ({text})") from None
    return url


def _require_key(url: str, key: str) -> None:
    if not key or key.endswith("/"):
        raise InputError(
            f"expected s3://bucket/key naming one object, got the prefix {url!r}; "
            "use s3_list for prefixes"
        )


def s3_download(
    url: str,
    dest: str | os.PathLike | None = None,
    *,
    sha256: str | None = None,
    size: int | None = None,
    progress: bool | None = None,
    overwrite: bool = False,
    endpoint_url: str | None = None,
) -> Path:
    """Download an S3 object to a local file, atomically and resumably.

    Bytes are streamed into ``<dest>.part`` (with a ``<dest>.part.json`` sidecar recording the
    object's ETag). If the connection drops, the download resumes with a ranged GET
    (``If-Match`` the same ETag) within the call; a later call resumes from a ``.part`` left by
    an interrupted process when the finished file can be checked (below). Only a complete,
    verified file is renamed to ``dest``; a ``.part`` file is never returned.

    Verification: the finished file is checked against ``sha256`` when given, else against
    what the server says about the whole object: its full-object checksum
    (``ChecksumMode=ENABLED``), else its ETag where that is the MD5 of the content (one part,
    no SSE-KMS/SSE-C), else a multipart ETag recomputed part by part. A mismatch, or a
    checksum failure botocore detects while streaming, raises :class:`ChecksumError` and
    removes the ``.part`` file; a resumed ``.part`` from an earlier call that fails is first
    discarded and the object fetched once more from byte 0.

    Parameters
    ----------
    url : str
        ``s3://bucket/key``.
    dest : path-like, optional
        Target file, or an existing folder (the key's base name is used). Default: the cache,
        ``<conf.cache_dir>/s3/<bucket>/<key>``.
    sha256 : str, optional
        Expected hex sha256; a mismatch raises :class:`ChecksumError` and keeps nothing.
    size : int, optional
        Expected size in bytes, checked like ``sha256``.
    progress : bool, optional
        Show a tqdm bar (default: the setting ``conf.progress``).
    overwrite : bool
        If False (default) an existing ``dest`` is returned without any network access
        (after checking ``sha256``/``size`` when given; a mismatching file is fetched again).
    endpoint_url : str, optional
        S3-compatible endpoint (default ``conf.s3_endpoint_url``).

    Returns
    -------
    pathlib.Path
        The downloaded file.

    Raises
    ------
    DataNotFoundError, RemoteAccessError, ChecksumError, DownloadError
    WriteAccessError
        If ``dest``'s folder (or the cache) cannot be written.

    Examples
    --------
    >>> path = s3_download(
    ...     "s3://stpubdata/hst/public/ib1f/ib1f0a010/ib1f0a010_asn.fits", "/tmp/x/"
    ... )  # doctest: +SKIP
    """
    bucket, key = parse_s3_url(url)
    _require_key(url, key)
    dest = _common.resolve_dest(dest, url, key.rsplit("/", 1)[-1])
    _common.check_expected(url, sha256=sha256, size=size)
    with _common.local_writes(url, dest):
        return _s3_download(
            url, bucket, key, dest, sha256, size, progress, overwrite, _endpoint(endpoint_url)
        )


def _s3_download(url, bucket, key, dest, sha256, size, progress, overwrite, endpoint_url) -> Path:
    if not overwrite and _common.cached_ok(dest, url, sha256=sha256, size=size):
        log.debug("%s: using %s", url, dest)
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    with _common.dest_lock(dest):
        if not overwrite and _common.cached_ok(dest, url, sha256=sha256, size=size):
            return dest  # another thread finished it while this one waited
        client, unsigned = _client(endpoint_url)
        try:
            return _download(client, bucket, key, url, dest, sha256, size, progress, endpoint_url)
        except RemoteAccessError as first:
            if unsigned:
                raise
            anon, _ = _client(endpoint_url, unsigned=True)
            try:
                return _download(anon, bucket, key, url, dest, sha256, size, progress, endpoint_url)
            except RemoteAccessError:
                raise first from None


class _RestartDownload(Exception):
    """Internal: drop the ``.part`` file and download from byte 0."""


#: Largest number of parts whose sizes are asked for (one HEAD each) to check a multipart
#: ETag whose parts are not all the size of the first.
MAX_PART_HEADS = 32


def _range_start_and_total(resp: dict) -> tuple[int, int]:
    """(first byte, object size) of a GetObject answer; (0, length) when not partial."""
    rng = resp.get("ContentRange") or ""  # "bytes 1000-1999/2000"
    m = re.match(r"bytes (\d+)-\d+/(\d+)$", rng.strip())
    if m:
        return int(m.group(1)), int(m.group(2))
    return 0, int(resp["ContentLength"])


def _head_digest(client, bucket: str, key: str, etag: str) -> tuple[bool, dict | None]:
    """Ask the server about the whole object that ``etag`` names: ``(same, digest)``.

    ``same`` is False when the object changed (or cannot be asked about); ``digest`` is the
    whole-object checksum or MD5/multipart ETag to check a finished file against, or None.
    """
    try:
        head = client.head_object(Bucket=bucket, Key=key, IfMatch=etag, ChecksumMode="ENABLED")
    except Exception as exc:  # changed (412), gone, refused, unreachable: do not resume
        log.debug("s3://%s/%s: HEAD before resuming failed (%s)", bucket, key, exc)
        return False, None
    if head.get("ETag") != etag:
        return False, None
    return True, _common.pick_digest(_common.s3_digests(head))


def _multipart_etag_matches(client, bucket, key, etag, path: Path, total: int) -> bool | None:
    """Check a file against a multipart ETag (the MD5 of its parts' MD5s, then ``-N``).

    The part sizes come from ``HeadObject(PartNumber=...)``: the first part's size, and every
    part's when the parts are not all that size (up to :data:`MAX_PART_HEADS` parts).
    Returns True (matches), False (does not), or None (cannot tell).
    """
    import hashlib

    m = re.fullmatch(r"([0-9a-f]{32})-(\d+)", etag.strip('"').lower())
    if not m:
        return None
    n = int(m.group(2))
    etag = f'"{m.group(1)}-{n}"'

    def part_size(number: int) -> int:
        head = client.head_object(Bucket=bucket, Key=key, PartNumber=number, IfMatch=etag)
        if int(head.get("PartsCount") or n) != n:
            raise ValueError("parts count differs from the ETag's")
        return int(head["ContentLength"])

    def combined(sizes: list[int]) -> str:
        md5s = b""
        with open(path, "rb") as fh:
            for sz in sizes:
                h = hashlib.md5()
                left = sz
                while left:
                    block = fh.read(min(left, _common.CHUNK_SIZE))
                    if not block:
                        return ""
                    h.update(block)
                    left -= len(block)
                md5s += h.digest()
            if fh.read(1):
                return ""
        return hashlib.md5(md5s).hexdigest()

    try:
        first = part_size(1)
        if first <= 0:
            return None
        sizes = [first] * (n - 1) + [total - first * (n - 1)]
        if sizes[-1] > 0 and sizes[-1] <= first and combined(sizes) == m.group(1):
            return True
        if n > MAX_PART_HEADS:
            return None
        sizes = [first] + [part_size(i) for i in range(2, n + 1)]
        if sum(sizes) != total:
            return None
    except Exception as exc:  # the server does not answer PartNumber requests
        log.debug("%s: cannot learn the part sizes (%s)", etag, exc)
        return None
    return combined(sizes) == m.group(1)


class _InDoubt(Exception):
    """Internal: a file that includes bytes from an earlier call cannot be checked."""


def _download(client, bucket, key, url, dest, sha256, size, progress, endpoint_url) -> Path:
    """Transfer, then verify the whole file before it enters the cache.

    A file that used bytes kept from an earlier call and fails verification is fetched once
    more from byte 0 (the fault may lie in the old ``.part``); a file fetched entirely in
    this call that fails raises :class:`ChecksumError`.
    """
    fresh = False
    while True:
        total, digest, carried = _transfer(
            client, bucket, key, url, dest, progress, endpoint_url, fresh, bool(sha256)
        )
        part = _common.part_path(dest)
        try:
            if digest and digest["alg"] == "s3-multipart" and not sha256:
                ok = _multipart_etag_matches(client, bucket, key, digest["hex"], part, total)
                if ok is False:
                    _common.discard_part(dest)
                    raise ChecksumError(
                        f"{url}: the downloaded bytes do not match the object's multipart ETag "
                        f"{digest['hex']}: the transfer was corrupt. Nothing was cached and "
                        "the partial file was removed; retry the download."
                    )
                if ok is None and carried:
                    raise _InDoubt()
                digest = None
            return _common.finish(
                part,
                dest,
                url,
                sha256=sha256,
                size=size if size is not None else total,
                digest=digest,
            )
        except (ChecksumError, _InDoubt) as exc:
            if not carried or fresh:
                raise
            log.warning(
                "%s: the partial download kept from an earlier call %s; discarded it, "
                "downloading the whole file again",
                url,
                "cannot be checked" if isinstance(exc, _InDoubt) else "was corrupt",
            )
            _common.discard_part(dest)
            fresh = True


def _transfer(client, bucket, key, url, dest, progress, endpoint_url, fresh, checkable):
    """Stream the object into ``<dest>.part``; return ``(size, digest, carried)``.

    ``digest`` is what the server says about the whole object (None if nothing), ``carried``
    whether the file includes bytes kept from an earlier call.
    """
    from ..config import conf

    part = _common.part_path(dest)
    meta, digest, carried = _kept_part(client, bucket, key, url, dest, part, fresh, checkable)
    deadline = Deadline(float(conf.timeout))
    bar = None
    failures = 0
    restarts = 0
    try:
        while True:
            have = part.stat().st_size if part.exists() else 0
            total = meta.get("size")
            if total is not None and have > total:
                _common.discard_part(dest)
                meta, have = {}, 0
                total = None
                carried = False
            if total is not None and have == total:
                break
            start = have
            try:
                resp = client.get_object(**_get_kwargs(bucket, key, have, meta))
                first, total = _range_start_and_total(resp)
                if first != have:  # the server ignored (or moved) the range
                    _restart_from_zero(url, resp, first, have, part, bar)
                    have = start = 0
                    carried = False
                if first == 0:  # a whole-object answer names its checksum
                    digest = _common.pick_digest(_common.s3_digests(resp))
                meta = _remember_object(url, dest, resp, meta, total)
                if bar is None:
                    bar = _byte_bar(total, have, key.rsplit("/", 1)[-1], progress)
                with open(part, "ab") as fh:
                    for chunk in resp["Body"].iter_chunks(_common.CHUNK_SIZE):
                        fh.write(chunk)
                        have += len(chunk)
                        bar.update(len(chunk))
                if have == total:
                    break
                raise DownloadError(f"{url}: stream ended at {have} of {total} bytes")
            except Exception as exc:
                kind, err = _classify(exc, url, endpoint_url)
                if kind in ("precondition", "range"):
                    restarts += 1
                    _start_over(url, dest, err, exc, restarts, bar)
                    meta, digest, carried = {}, None, False
                    continue
                if kind in ("fatal", "checksum"):
                    _common.discard_part(dest)
                    raise err from (None if err is exc else exc)
                if have > start:
                    failures = 0  # progress was made: a cut stream, keep resuming
                    deadline = Deadline(float(conf.timeout))
                failures += 1
                _wait_to_retry(url, kind, err, exc, failures, deadline, have)
    finally:
        if bar is not None:
            bar.close()
    return total, digest, carried


def _kept_part(client, bucket, key, url, dest, part, fresh, checkable) -> tuple[dict, Any, bool]:
    """``(meta, digest, carried)`` of the ``.part`` kept from an earlier call, if trusted."""
    meta = _common.read_meta(dest)
    if fresh or (part.exists() and (meta.get("url") != url or not meta.get("etag"))):
        _common.discard_part(dest)
        meta = {}
    digest = None
    carried = False
    if part.exists():
        # bytes from an earlier call are used only if the finished file can be checked
        # against the whole object (or the caller's sha256); else they are not trusted
        same, digest = _head_digest(client, bucket, key, meta["etag"])
        if same and (digest or checkable):
            carried = True
        else:
            log.info(
                "%s: %s; not resuming from %s",
                url,
                "the object changed" if not same else "nothing identifies the whole object",
                part,
            )
            _common.discard_part(dest)
            meta, digest = {}, None
    return meta, digest, carried


def _get_kwargs(bucket: str, key: str, have: int, meta: dict) -> dict[str, Any]:
    """Arguments of ``get_object`` for the bytes from ``have`` on (guarded by the ETag)."""
    kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key, "ChecksumMode": "ENABLED"}
    if have:
        kwargs["Range"] = f"bytes={have}-"
        kwargs["IfMatch"] = meta["etag"]
    return kwargs


def _restart_from_zero(url: str, resp: dict, first: int, have: int, part, bar) -> None:
    """Empty ``.part`` for an answer from byte 0; _RestartDownload for any other offset."""
    log.info("%s: server answered from byte %d, not %d; restarting", url, first, have)
    if first != 0:
        resp["Body"].close()
        raise _RestartDownload()
    with open(part, "wb"):
        pass
    if bar is not None and hasattr(bar, "reset"):
        bar.reset()


def _remember_object(url: str, dest, resp: dict, meta: dict, total: int) -> dict:
    """The resume metadata after this answer, written beside ``.part`` when it changed."""
    etag = resp.get("ETag", "")
    if meta.get("etag") != etag or meta.get("size") != total:
        meta = {"url": url, "etag": etag, "size": total}
        if total >= _common.RESUME_MIN_SIZE:  # small files just start over
            _common.write_meta(dest, meta)
    return meta


def _byte_bar(total, have: int, desc: str, progress):
    """The download's byte progress bar, starting at ``have``."""
    from ..utils.progress import progress as make_bar

    return make_bar(
        None,
        total=total,
        initial=have,
        desc=desc,
        enabled=progress,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        leave=False,
    )


def _classify(exc: Exception, url: str, endpoint_url: str | None) -> tuple[str, Exception]:
    """``(kind, error)`` of a failed attempt (see :func:`_translate`)."""
    if isinstance(exc, _RestartDownload):
        return "range", DownloadError(f"{url}: the server cannot resume here")
    if isinstance(exc, DownloadError) and "stream ended" in str(exc):
        return "transient", exc
    return _translate(exc, url, endpoint_url)


def _start_over(url: str, dest, err: Exception, exc: Exception, restarts: int, bar) -> None:
    """Discard the partial bytes to fetch from byte 0 (``err`` after too many restarts)."""
    from ..config import conf

    if restarts > conf.retries:
        raise err from exc
    log.info("%s changed on the server; restarting the download", url)
    _common.discard_part(dest)
    if bar is not None and hasattr(bar, "reset"):
        bar.reset()


def _wait_to_retry(url, kind, err, exc, failures: int, deadline, have: int) -> None:
    """Back off before the next attempt, or raise ``err`` when the attempts are spent."""
    from ..config import conf

    if failures >= conf.retries:
        raise err from exc
    _back_off(kind, failures, deadline, err, exc)
    log.info("%s: %s; resuming at byte %d", url, exc, have)


def _back_off(kind: str, attempt: int, deadline, err: Exception, exc: BaseException) -> None:
    """Sleep before attempt ``attempt + 1``; a connection failure only while ``deadline``
    allows (else raise ``err``)."""
    pause = backoff(attempt)
    if kind == "connect":
        if not deadline.sleep_or_expire(pause):
            raise err from exc
    else:
        time.sleep(pause)

"""HTTP(S) downloads: cached, atomic, resumable (``Range``), retried, checksummed.

requests is imported inside the functions, never when this module is imported.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..exceptions import (
    ChecksumError,
    DataNotFoundError,
    DownloadError,
    RemoteAccessError,
    SpacekitError,
)
from . import _common
from ._common import Deadline, backoff

log = logging.getLogger(__name__)

__all__ = ["http_download"]

_local = threading.local()

#: Bytes per read: small enough that a dropped connection loses little of what arrived
#: (urllib3 discards a partly filled read), large enough to cost nothing in throughput.
_HTTP_CHUNK = 64 * 1024


def _session():
    """One requests session per thread (sessions are not guaranteed thread-safe)."""
    sess = getattr(_local, "session", None)
    if sess is None:
        from ..utils.deps import optional_import

        requests = optional_import("requests", "spacekit.radio.http_download")
        from ..config import conf

        sess = requests.Session()
        adapter = requests.adapters.HTTPAdapter(
            pool_connections=4, pool_maxsize=max(4, int(conf.max_workers)), max_retries=0
        )
        sess.mount("http://", adapter)
        sess.mount("https://", adapter)
        from .._version import __version__

        sess.headers["User-Agent"] = f"spacekit/{__version__}"
        _local.session = sess
    return sess


class _Transient(Exception):
    def __init__(self, error: SpacekitError, connect: bool = False) -> None:
        super().__init__(str(error))
        self.error = error
        self.connect = connect


class _Restart(Exception):
    pass


def _status_error(url: str, status: int, reason: str) -> Exception:
    if status in (404, 410):
        return DataNotFoundError(f"{url}: not found (HTTP {status}); check the URL or product name")
    if status in (401, 403):
        return RemoteAccessError(
            f"{url}: access refused (HTTP {status} {reason}); the file may be proprietary "
            "or need a login token"
        )
    if status == 429 or status >= 500:
        return _Transient(
            DownloadError(
                f"{url}: the server kept failing (HTTP {status} {reason}); retry later "
                "or raise conf.retries"
            )
        )
    return DownloadError(f"{url}: unexpected answer HTTP {status} {reason}")


def http_download(
    url: str,
    dest: str | os.PathLike | None = None,
    *,
    sha256: str | None = None,
    size: int | None = None,
    progress: bool | None = None,
    overwrite: bool = False,
    headers: dict[str, str] | None = None,
) -> Path:
    """Download a file over HTTP(S) into the cache (or ``dest``), safely.

    - Bytes go to ``<dest>.part`` (never returned as data) and only a complete file that
      passes its checks is renamed to ``dest``: the expected ``size`` and ``sha256`` when
      given, else the whole-file digest the server names (``Repr-Digest``, ``Digest``,
      ``Content-MD5`` on a 200 answer, ``x-goog-hash``, S3's checksum or MD5 ETag). A failed
      check raises :class:`~spacekit.exceptions.ChecksumError` and removes the partial bytes.
    - A dropped connection resumes with ``Range: bytes=N-`` (guarded by ``If-Range`` with the
      ETag or Last-Modified seen first) within the call, and across calls when the finished
      file can be checked (a digest from the server or ``sha256``; otherwise the old ``.part``
      is discarded); a server that ignores ranges gets a clean restart. A resumed ``.part``
      that fails its check is discarded and the file fetched once more from byte 0.
    - 5xx, 429 and connection errors are retried ``conf.retries`` times with exponential
      back-off; an unreachable host fails after about ``conf.timeout`` seconds with
      :class:`~spacekit.exceptions.DownloadError`.
    - A second request for an existing ``dest`` is answered from disk without network.

    Parameters
    ----------
    url : str
        ``http://`` or ``https://`` URL.
    dest : path-like, optional
        Target file or existing folder; default the cache
        (``<conf.cache_dir>/http/<host>/<path>``, see :func:`cache_path`).
    sha256 : str, optional
        Expected hex sha256.
    size : int, optional
        Expected size in bytes.
    progress : bool, optional
        Show a tqdm bar (default: the setting ``conf.progress``).
    overwrite : bool
        Download again even if ``dest`` exists.
    headers : dict, optional
        Extra request headers (e.g. an ``Authorization`` token for MAST).

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
    >>> from spacekit.radio import http_download
    >>> path = http_download(
    ...     "https://zenodo.org/records/14941394/files/exoTrain.csv", size=263_000_000
    ... )  # doctest: +SKIP
    """

    parts = urlsplit(url)
    name = unquote(parts.path).rsplit("/", 1)[-1]
    if "uri=" in parts.query:  # MAST: .../Download/file?uri=mast:HST/product/x.fits
        name = unquote(parts.query).split("uri=", 1)[1].split("&", 1)[0].rsplit("/", 1)[-1]
    dest = _common.resolve_dest(dest, url, name)
    _common.check_expected(url, sha256=sha256, size=size)
    with _common.local_writes(url, dest):
        if not overwrite and _common.cached_ok(dest, url, sha256=sha256, size=size):
            log.debug("%s: using %s", url, dest)
            return dest
        dest.parent.mkdir(parents=True, exist_ok=True)
        with _common.dest_lock(dest):
            if not overwrite and _common.cached_ok(dest, url, sha256=sha256, size=size):
                return dest  # another thread finished it while this one waited
            return _http_download(url, dest, name, sha256, size, progress, headers)


def _http_download(url, dest, name, sha256, size, progress, headers) -> Path:
    """Transfer, then verify the whole file before it enters the cache.

    A file that used bytes kept from an earlier call and fails verification is fetched once
    more from byte 0; one fetched entirely in this call that fails raises ChecksumError.
    """
    fresh = False
    while True:
        total, digest, carried = _transfer(url, dest, name, sha256, size, progress, headers, fresh)
        try:
            return _common.finish(
                _common.part_path(dest),
                dest,
                url,
                sha256=sha256,
                size=size if size is not None else total,
                digest=digest,
            )
        except ChecksumError:
            if not carried or fresh:
                raise
            log.warning(
                "%s: the partial download kept from an earlier call was corrupt; discarded "
                "it, downloading the whole file again",
                url,
            )
            fresh = True


def _transfer(url, dest, name, sha256, size, progress, headers, fresh):
    """Stream ``url`` into ``<dest>.part``; return ``(size, digest, carried)`` (see s3)."""
    from ..config import conf
    from ..utils.deps import optional_import

    requests = optional_import("requests", "spacekit.radio.http_download")
    sess = _session()
    part = _common.part_path(dest)
    meta, digest, carried = _kept_part(url, dest, part, sha256, fresh)
    deadline = Deadline(float(conf.timeout))
    failures = restarts = 0
    bar = None
    total = meta.get("size", size)
    try:
        while True:
            have = part.stat().st_size if part.exists() else 0
            if total is not None and have > total:
                _common.discard_part(dest)
                meta, have, carried = {}, 0, False
            if total is not None and have == total and have > 0 and meta:
                break
            start = have
            try:
                resp = _get(requests, sess, url, _request_headers(have, meta, headers))
                with resp:
                    status = resp.status_code
                    _check_status(url, dest, resp, have)
                    if status == 200 and have:
                        log.info("%s: server ignored the range request; restarting", url)
                        part.unlink()
                        have = start = 0
                        carried = False
                    named = _common.pick_digest(_common.http_digests(resp.headers, status))
                    if named is not None or status == 200:
                        digest = named  # a whole answer speaks for itself; a 206 may be silent
                    total = _answer_total(resp, status, have)
                    meta = _remember_answer(url, dest, resp, meta, total, digest)
                    if bar is None:
                        bar = _progress_bar(total, have, name, progress)
                    try:
                        with open(part, "ab") as fh:
                            for chunk in resp.iter_content(_HTTP_CHUNK):
                                fh.write(chunk)
                                have += len(chunk)
                                bar.update(len(chunk))
                    except (requests.RequestException, OSError) as exc:
                        if not isinstance(
                            exc, requests.RequestException | ConnectionError | TimeoutError
                        ):
                            raise
                        raise _Transient(
                            DownloadError(f"{url}: the transfer kept breaking off ({exc})")
                        ) from exc
                if total is None or have == total:
                    total = have
                    break
                raise _Transient(
                    DownloadError(f"{url}: the stream ended at byte {have} of {total}")
                )
            except _Restart:
                restarts += 1
                _start_over(url, dest, part, restarts, bar)
                meta, digest, carried = {}, None, False
                total = size
            except _Transient as exc:
                if have > start:
                    failures = 0
                    deadline = Deadline(float(conf.timeout))
                failures += 1
                _wait_to_retry(url, exc, failures, deadline, have)
    finally:
        if bar is not None:
            bar.close()
    return total, digest, carried


def _kept_part(url, dest, part, sha256, fresh) -> tuple[dict, str | None, bool]:
    """``(meta, digest, carried)`` of the ``.part`` kept from an earlier call, if trusted."""
    meta = _common.read_meta(dest)
    if fresh or (part.exists() and meta.get("url") != url):
        _common.discard_part(dest)
        meta = {}
    digest = meta.get("digest") or None
    carried = part.exists()
    if carried and not (sha256 or digest):
        # bytes kept from an earlier call are trusted only when the finished file can be
        # checked against the whole file (the server's digest or the caller's sha256)
        log.info("%s: nothing identifies the whole file; not resuming from %s", url, part)
        _common.discard_part(dest)
        meta, carried = {}, False
    return meta, digest, carried


def _request_headers(have: int, meta: dict, headers) -> dict:
    """Headers of a request for the bytes from ``have`` on (``Range``, ``If-Range``)."""
    req_headers = {"Accept-Encoding": "identity", **(headers or {})}
    if have:
        req_headers["Range"] = f"bytes={have}-"
        validator = meta.get("etag") or meta.get("last_modified")
        if validator:
            req_headers["If-Range"] = validator
    return req_headers


def _get(requests, sess, url: str, req_headers: dict):
    """The streamed answer to a GET; a connection failure or timeout raises _Transient."""
    from ..config import conf

    try:
        return sess.get(
            url,
            headers=req_headers,
            stream=True,
            timeout=(float(conf.timeout), float(conf.timeout)),
        )
    except (requests.ConnectionError, requests.Timeout) as exc:
        connect = isinstance(exc, requests.ConnectTimeout) or not isinstance(
            exc, requests.ReadTimeout
        )
        if connect:
            why = (
                f"could not reach the server ({exc}); check the network "
                f"connection (timeout conf.timeout={conf.timeout} s)"
            )
        else:  # connected, but no answer: not a network-connection problem
            why = (
                f"the server accepted the connection but sent no answer within "
                f"conf.timeout={conf.timeout} s, {conf.retries} attempts "
                f"({exc}); retry later or raise conf.timeout / conf.retries"
            )
        raise _Transient(DownloadError(f"{url}: {why}"), connect=connect) from exc


def _check_status(url: str, dest, resp, have: int) -> None:
    """Raise _Restart for a refused range, the status error (partial bytes gone if final)."""
    status = resp.status_code
    if status == 416 and have:
        raise _Restart()
    if status not in (200, 206):
        err = _status_error(url, status, resp.reason)
        if not isinstance(err, _Transient):
            _common.discard_part(dest)
        raise err


def _answer_total(resp, status: int, have: int) -> int | None:
    """The whole file's size from the answer (None if unknown); _Restart on a wrong range."""
    if status == 206:
        rng = resp.headers.get("Content-Range", "")
        first = rng.split(" ", 1)[-1].split("-", 1)[0]
        if not first.isdigit() or int(first) != have:
            raise _Restart()
        tail = rng.rsplit("/", 1)[-1]
        return int(tail) if tail.isdigit() else None
    length = resp.headers.get("Content-Length")
    return int(length) if length and length.isdigit() else None


def _remember_answer(url: str, dest, resp, meta: dict, total, digest) -> dict:
    """The resume metadata after this answer, written beside ``.part`` when it changed."""
    new_meta = {
        "url": url,
        "etag": resp.headers.get("ETag") or meta.get("etag"),
        "last_modified": resp.headers.get("Last-Modified") or meta.get("last_modified"),
        "size": total,
        "digest": digest,
    }
    if new_meta != meta:
        meta = new_meta
        if total is None or total >= _common.RESUME_MIN_SIZE:
            _common.write_meta(dest, meta)
    return meta


def _progress_bar(total, have: int, name: str | None, progress):
    """The download's byte progress bar, starting at ``have``."""
    from ..utils.progress import progress as make_bar

    return make_bar(
        None,
        total=total,
        initial=have,
        desc=name or "download",
        enabled=progress,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        leave=False,
    )


def _start_over(url: str, dest, part, restarts: int, bar) -> None:
    """Discard the partial bytes to fetch from byte 0 (DownloadError after too many restarts)."""
    from ..config import conf

    if restarts > conf.retries:
        raise DownloadError(
            f"{url}: could not resume a partial download; delete {part} and retry"
        ) from None
    _common.discard_part(dest)
    if bar is not None and hasattr(bar, "reset"):
        bar.reset()


def _wait_to_retry(url: str, exc: _Transient, failures: int, deadline, have: int) -> None:
    """Back off before the next attempt, or raise the error when the attempts are spent."""
    from ..config import conf

    if failures >= conf.retries:
        raise exc.error from exc.__cause__
    pause = backoff(failures)
    if exc.connect:
        if not deadline.sleep_or_expire(pause):
            raise exc.error from exc.__cause__
    else:
        time.sleep(pause)
    log.info("%s: %s; retrying from byte %d", url, exc, have)

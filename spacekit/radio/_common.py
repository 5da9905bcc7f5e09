"""Helpers shared by the S3 and HTTP downloaders: cache paths, ``.part`` files, checksums,
retry timing.

Nothing here imports boto3 or requests.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import numbers
import os
import random
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..exceptions import ChecksumError, InputError

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


def finish(part: Path, dest: Path, url: str, *, sha256: str | None, size: int | None) -> Path:
    """Verify a complete ``.part`` file and move it atomically to ``dest``.

    On a checksum failure both the ``.part`` file and its sidecar are removed, so nothing
    corrupt is kept for a later resume.
    """
    try:
        verify(part, url, sha256=sha256, size=size)
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

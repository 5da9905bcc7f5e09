"""One entry point for any remote file (``s3://``, ``https://``, ``mast:``) and a bounded
concurrent pool for many."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..exceptions import InputError, SpacekitError

log = logging.getLogger(__name__)

__all__ = ["download", "download_many", "MAST_DOWNLOAD_URL"]

#: MAST's file download service; a ``mast:`` URI is appended as ``?uri=...``.
MAST_DOWNLOAD_URL = "https://mast.stsci.edu/api/v0.1/Download/file"


def _mast_url(uri: str) -> str:
    return f"{MAST_DOWNLOAD_URL}?uri={uri}"


def download(
    url: str,
    dest: str | os.PathLike | None = None,
    *,
    sha256: str | None = None,
    size: int | None = None,
    progress: bool | None = None,
    overwrite: bool = False,
    endpoint_url: str | None = None,
) -> Path:
    """Download one remote file into the cache (or ``dest``), choosing the transport by scheme.

    ``s3://`` goes to :func:`s3_download`, ``http(s)://`` to :func:`http_download`, and a MAST
    data URI (``mast:HST/product/ib1f0a010_asn.fits``) to MAST's download service over HTTPS.
    All share the same guarantees: atomic, resumable, retried, verified, cached.

    Parameters
    ----------
    url : str
        ``s3://bucket/key``, ``https://...`` or ``mast:...``.
    dest : path-like, optional
        Target file or existing folder (default: the cache, see :func:`cache_path`).
    sha256, size : optional
        Expected checksum / size; a mismatch raises ``ChecksumError`` and caches nothing.
        Without them the file is still checked against the server's whole-object checksum
        or MD5 ETag where it names one (see :func:`s3_download`, :func:`http_download`).
    progress : bool, optional
        Show a tqdm bar (default ``conf.progress``).
    overwrite : bool
        Download again even when ``dest`` exists.
    endpoint_url : str, optional
        S3 endpoint for ``s3://`` URLs (default ``conf.s3_endpoint_url``).

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> from spacekit.radio import download
    >>> download("mast:HST/product/ib1f0a010_asn.fits")  # doctest: +SKIP
    PosixPath('.../http/mast.stsci.edu/api/v0.1/Download/file/...-ib1f0a010_asn.fits')
    """
    if not isinstance(url, str):
        raise InputError(f"expected a URL string, got {type(url).__name__} {url!r}")
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme == "s3":
        from .s3 import s3_download

        return s3_download(
            url,
            dest,
            sha256=sha256,
            size=size,
            progress=progress,
            overwrite=overwrite,
            endpoint_url=endpoint_url,
        )
    if scheme == "mast":
        url = _mast_url(url)
        scheme = "https"
    if scheme in ("http", "https"):
        from .http import http_download

        return http_download(
            url, dest, sha256=sha256, size=size, progress=progress, overwrite=overwrite
        )
    raise InputError(
        f"expected an s3://, http(s):// or mast: URL, got {url!r}; local files need no download"
    )


def _local_name(url: str) -> str:
    """The file name a download of ``url`` gets inside a folder (as s3/http name it)."""
    from urllib.parse import unquote, urlsplit

    if url.lower().startswith("mast:"):
        return url.rsplit("/", 1)[-1]
    parts = urlsplit(url)
    if "uri=" in parts.query:  # MAST download service
        return unquote(parts.query).split("uri=", 1)[1].split("&", 1)[0].rsplit("/", 1)[-1]
    return unquote(parts.path).rsplit("/", 1)[-1]


def _check_collisions(jobs: list[dict], dest_dir: Any) -> None:
    """Refuse two different URLs that would be written to the same file of a folder."""
    seen: dict[Path, str] = {}
    for job in jobs:
        target = job.get("dest") or dest_dir
        if target is None or not isinstance(job["url"], str):
            continue  # the cache keeps each URL's full path: no collision
        text = os.fspath(target)
        if job.get("dest") and not (Path(text).is_dir() or text.endswith(("/", os.sep))):
            path = Path(text)
        else:
            path = Path(text) / _local_name(job["url"])
        other = seen.setdefault(path, job["url"])
        if other != job["url"]:
            raise InputError(
                f"{other} and {job['url']} would both be saved as {path}, so one would "
                "silently stand for the other; download them into different folders, give "
                "each a 'dest' file path, or leave dest_dir unset (the cache keeps full paths)"
            )


def _normalise(item: Any) -> dict:
    if isinstance(item, str):
        return {"url": item}
    if isinstance(item, Mapping):
        if "url" not in item:
            raise InputError(f"expected a mapping with a 'url' key, got keys {sorted(item)}")
        return dict(item)
    if isinstance(item, tuple) and 1 <= len(item) <= 2:
        return {"url": item[0], "sha256": item[1] if len(item) == 2 else None}
    raise InputError(f"expected a URL, a (url, sha256) tuple or a dict with 'url', got {item!r}")


def download_many(
    items: Iterable[str | tuple | Mapping],
    dest_dir: str | os.PathLike | None = None,
    *,
    max_workers: int | None = None,
    progress: bool | None = None,
    overwrite: bool = False,
    endpoint_url: str | None = None,
) -> list[Path]:
    """Download many files concurrently with a bounded thread pool.

    Each item is downloaded exactly like :func:`download` (cache, resume, retries, checksum).
    One progress bar counts files; per-file bars are off.

    Parameters
    ----------
    items : iterable
        URLs, ``(url, sha256)`` tuples, or dicts with ``url`` and optionally ``sha256``,
        ``size`` and ``dest``.
    dest_dir : path-like, optional
        Folder for the files (each named after its URL's last part); default the cache.
    max_workers : int, optional
        Concurrent downloads (default ``conf.max_workers``).
    progress : bool, optional
        Show the overall bar (default ``conf.progress``).
    overwrite : bool
        Download again even if a file exists.
    endpoint_url : str, optional
        S3 endpoint for ``s3://`` URLs.

    Returns
    -------
    list of pathlib.Path
        Local paths, in the order of ``items``.

    Raises
    ------
    SpacekitError
        After every download has finished or failed: the one failure itself, or, when several
        failed, an error of the first failure's type listing each failed URL.

    Examples
    --------
    >>> from spacekit.radio import download_many, s3_list
    >>> paths = download_many(s3_list("s3://my-bucket/control/"))  # doctest: +SKIP
    """
    from concurrent.futures import ThreadPoolExecutor, as_completed

    from ..config import conf
    from ..utils.progress import progress as make_bar

    jobs = [_normalise(i) for i in items]
    _check_collisions(jobs, dest_dir)
    if dest_dir is not None:
        Path(dest_dir).mkdir(parents=True, exist_ok=True)
    workers = int(max_workers or conf.max_workers)
    if workers < 1:
        raise InputError(f"expected max_workers >= 1, got {max_workers}")
    results: list[Path | None] = [None] * len(jobs)
    errors: list[tuple[int, BaseException]] = []

    def run(job: dict) -> Path:
        return download(
            job["url"],
            job.get("dest") or dest_dir,
            sha256=job.get("sha256"),
            size=job.get("size"),
            progress=False,
            overwrite=overwrite,
            endpoint_url=endpoint_url,
        )

    # the same URL twice is fetched once (two writers must never share a .part file)
    first: dict[tuple, int] = {}
    unique: list[int] = []
    for i, job in enumerate(jobs):
        key = (job["url"], str(job.get("dest") or dest_dir))
        if key not in first:
            first[key] = i
            unique.append(i)
    bar = make_bar(None, total=len(unique), desc="downloads", enabled=progress, unit="file")
    try:
        with ThreadPoolExecutor(max_workers=min(workers, max(1, len(unique)))) as pool:
            futures = {pool.submit(run, jobs[i]): i for i in unique}
            for fut in as_completed(futures):
                i = futures[fut]
                try:
                    results[i] = fut.result()
                except SpacekitError as exc:
                    errors.append((i, exc))
                bar.update(1)
    finally:
        bar.close()
    if errors:
        errors.sort()
        if len(errors) == 1:
            raise errors[0][1]
        lines = "; ".join(f"{jobs[i]['url']}: {exc}" for i, exc in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise type(errors[0][1])(
            f"{len(errors)} of {len(unique)} downloads failed: {lines}{more}"
        ) from errors[0][1]
    for i, job in enumerate(jobs):
        if results[i] is None:
            results[i] = results[first[(job["url"], str(job.get("dest") or dest_dir))]]
    return results  # type: ignore[return-value]

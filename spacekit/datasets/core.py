"""fetch, load, list and describe registered datasets.

Lookup order for every file: the cache (``conf.cache_dir/datasets/<name>/``), then the
mirror (``conf.data_mirror``: a folder, used in place, or ``s3://bucket/prefix``, downloaded
into the cache through :func:`spacekit.radio.s3_download`), then the network (the canonical
public URL through :func:`spacekit.radio.http_download`; a file inside an archive is
extracted from the downloaded archive). Every path is verified against the registry's sha256
(and size); a mismatch raises :class:`~spacekit.exceptions.ChecksumError` and leaves nothing
in the cache. A mirror file that fails verification (damaged, or an outdated copy) is logged
and the file is downloaded from its source instead; only when that fails too is the
:class:`~spacekit.exceptions.ChecksumError` raised, naming the mirror file and the failed
download (the mirror is never modified).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import warnings
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd

from ..exceptions import (
    ChecksumError,
    DataNotFoundError,
    DownloadError,
    FormatError,
    InputError,
    MissingDependencyError,
    RemoteAccessError,
    UnknownDatasetError,
)
from ..utils.files import file_sha256
from ..utils.upstream_api import LOAD_KEYWORDS
from .registry import REGISTRY, DataFile, Dataset

__all__ = [
    "fetch",
    "load",
    "list_datasets",
    "info",
    "get_entry",
    "register",
    "cache_path",
    "locate",
    "verify_file",
]

log = logging.getLogger(__name__)

# (path, size, mtime_ns) -> sha256, so a file used in place is hashed once per process.
_HASHED: dict[tuple[str, int, int], str] = {}


def get_entry(name: str) -> Dataset:
    """Return the registry entry for ``name``.

    Parameters
    ----------
    name : str
        A registered name (a :class:`~spacekit.datasets.registry.Dataset` is returned as is).

    Returns
    -------
    Dataset
        The registry entry.

    Raises
    ------
    UnknownDatasetError
        When ``name`` is not registered (the message lists close matches).

    Examples
    --------
    >>> get_entry("hst_cal_sample_20").kind
    'table'
    """
    if isinstance(name, Dataset):
        return name
    try:
        return REGISTRY[name]
    except KeyError:
        import difflib

        from ..utils.upstream_api import DATASETS

        close = difflib.get_close_matches(str(name), list(REGISTRY), n=3, cutoff=0.5)
        hint = f"did you mean {close}? " if close else ""
        if name in DATASETS:  # upstream spacekit 1.1.4's collection names
            near = list(DATASETS[name]) or "none (no public JWST training data exists)"
            hint = f"{name!r} is upstream spacekit 1.1.4's collection; the nearest here: {near}; "
        raise UnknownDatasetError(
            f"no dataset named {name!r} in the registry; {hint}"
            "see spacekit.datasets.list_datasets() or `spacekit datasets list`"
        ) from None


def register(entry: Dataset, *, replace: bool = False) -> Dataset:
    """Add a :class:`~spacekit.datasets.registry.Dataset` to the registry (e.g. your own
    data on an S3 mirror). An existing name is kept unless ``replace=True``.

    Parameters
    ----------
    entry : Dataset
        The dataset to add.
    replace : bool
        Replace an entry of the same name.

    Returns
    -------
    Dataset
        ``entry``.

    Examples
    --------
    >>> e = get_entry("hst_cal_sample_20")
    >>> register(e, replace=True) is e
    True
    """
    if entry.name in REGISTRY and not replace:
        raise InputError(f"dataset {entry.name!r} is already registered; pass replace=True")
    REGISTRY[entry.name] = entry
    return entry


# -- verification ------------------------------------------------------------------
def _sha256(path: Path) -> str:
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _HASHED:
        _HASHED[key] = file_sha256(path)
    return _HASHED[key]


def verify_file(path: str | os.PathLike, spec: DataFile, *, where: str = "", fix: str = "") -> str:
    """Check ``path`` against the size and sha256 of ``spec``; return its sha256.

    ``where`` names the file's origin and ``fix`` what to do about a mismatch (default:
    delete it and fetch again) in the message.

    Parameters
    ----------
    path : path
        The file to check.
    spec : DataFile
        Its expected size and sha256 (None: not checked).
    where : str
        Where the file came from, for the message.
    fix : str
        What to do about a mismatch, for the message.

    Returns
    -------
    str
        The file's sha256 (hex).

    Raises
    ------
    ChecksumError
        When the size or sha256 differs (the message names both values and where the file
        came from).

    Examples
    --------
    >>> from spacekit.datasets.registry import DataFile, Source
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x"
    >>> _ = p.write_bytes(b"abc")
    >>> verify_file(p, DataFile("x", None, 3, Source("http://example")))[:8]
    'ba7816bf'
    """
    path = Path(path)
    origin = f" (from {where})" if where else ""
    fix = fix or "delete it and fetch again"
    size = path.stat().st_size
    if spec.size is not None and size != spec.size:
        raise ChecksumError(
            f"{path}{origin} has {size} bytes, expected {spec.size} for {spec.filename}: the "
            f"file is truncated or is not the registered one; {fix}"
        )
    digest = _sha256(path)
    if spec.sha256 and digest != spec.sha256:
        raise ChecksumError(
            f"{path}{origin} has sha256 {digest}, expected {spec.sha256} for "
            f"{spec.filename}: the file is corrupt or changed at its source; {fix}"
        )
    return digest


def _sniff_format(path: Path, reader: str, *, fate: str = "it was removed from the cache") -> None:
    """Cheap format check for files whose sha256 is unknown."""
    try:
        if reader in ("csv", "csv-collection"):
            frame = pd.read_csv(path, nrows=5)
            if frame.shape[1] < 1:
                raise ValueError("no columns")
        elif reader == "json":
            import json

            json.loads(path.read_text(encoding="utf-8"))
        elif reader == "npz":
            if not zipfile.is_zipfile(path):
                raise ValueError("not a zip/npz archive")
        elif path.suffix.lower() in (".fits", ".fit"):
            with open(path, "rb") as fh:
                if not fh.read(6) == b"SIMPLE":
                    raise ValueError("no FITS SIMPLE card")
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise FormatError(f"{path} is not a valid {reader} file ({exc}); {fate}") from None


# -- paths -------------------------------------------------------------------------
def _cache_root() -> Path:
    from ..config import conf

    return Path(conf.cache_dir) / "datasets"


def cache_path(name: str) -> Path:
    """The cache location of a dataset: its file, or its folder for a collection
    (whether or not it is there yet).

    Parameters
    ----------
    name : str
        A registered name.

    Returns
    -------
    pathlib.Path
        The file, or the folder of a collection, in the cache.

    Examples
    --------
    >>> cache_path("hst_cal_sample_20").name
    'hst_cal_sample_20.csv'
    """
    entry = get_entry(name)
    folder = _cache_root() / entry.name
    return folder if entry.is_collection else folder / entry.files[0].filename


def _mirror() -> str:
    from ..config import conf

    return str(conf.data_mirror or "").strip()


#: What to do about a mirror file that fails verification (the mirror is not ours to delete).
_MIRROR_FIX = (
    "replace the mirror's copy with the registered file, or unset "
    "SPACEKIT_DATA_MIRROR to download it from its source"
)


def _check_mirror_file(path: Path, spec: DataFile, entry: Dataset, mirror: str) -> None:
    """Verify a file of a folder mirror in place (ChecksumError/FormatError when bad)."""
    verify_file(path, spec, where=f"the data mirror {mirror}", fix=_MIRROR_FIX)
    if not spec.sha256:
        _sniff_format(path, entry.reader, fate=_MIRROR_FIX)


def _member_rel(entry: Dataset, spec: DataFile) -> str:
    return f"{entry.mirror_path}/{spec.filename}" if entry.is_collection else entry.mirror_path


def _remove(*paths: Path) -> None:
    for p in paths:
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def _install(tmp: Path, dest: Path, spec: DataFile, entry: Dataset, where: str) -> Path:
    """Verify ``tmp`` and move it to ``dest`` in the cache; remove it on any failure."""
    try:
        digest = verify_file(tmp, spec, where=where)
        if not spec.sha256:
            _sniff_format(tmp, entry.reader)
            warnings.warn(
                f"dataset {entry.name!r}: {spec.filename} has no known sha256 in the "
                "registry, so it was verified only by its "
                f"{'size and ' if spec.size else ''}format; its sha256 {digest} is recorded "
                "in the cache and checked from now on",
                UserWarning,
                stacklevel=4,
            )
            sidecar = dest.with_name(dest.name + ".sha256")
            sidecar.write_text(digest + "\n")
        os.replace(tmp, dest)
    except BaseException:
        _remove(tmp, dest.with_name(dest.name + ".sha256"))
        raise
    return dest


def _check_cached(path: Path, spec: DataFile) -> bool:
    """True when a cached file verifies; False when there is none.

    A cached file that fails verification is removed and :class:`ChecksumError` is raised
    (the next call obtains a fresh copy): a mismatch never passes silently.
    """
    if not path.is_file():
        return False
    try:
        verify_file(path, spec, where="the cache")
        sidecar = path.with_name(path.name + ".sha256")
        if not spec.sha256 and sidecar.is_file():
            recorded = sidecar.read_text().strip()
            digest = _sha256(path)
            if recorded and digest != recorded:
                raise ChecksumError(
                    f"{path} (from the cache) has sha256 {digest}, but {recorded} was recorded "
                    "at its first download"
                )
    except ChecksumError as exc:
        _remove(path, path.with_name(path.name + ".sha256"))
        raise ChecksumError(
            f"{exc} [the cached copy was removed; fetch again to obtain a fresh one]"
        ) from None
    return True


def _tmp_for(dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    # A stable name, so that radio's ``.part`` resume works across calls.
    return dest.with_name(f".{dest.name}.download")


def _from_s3(mirror: str, rel: str, dest: Path, spec: DataFile, entry: Dataset) -> Path | None:
    url = f"{mirror.rstrip('/')}/{rel}"
    try:
        from ..radio import s3_download
    except ImportError as exc:
        raise MissingDependencyError(
            f"the data mirror {mirror} needs spacekit.radio.s3_download (and boto3: pip "
            f"install spacekit[x]); import failed: {exc}"
        ) from exc
    tmp = _tmp_for(dest)
    try:
        s3_download(url, tmp, sha256=spec.sha256)
    except (DataNotFoundError, DownloadError, RemoteAccessError) as exc:
        _remove(tmp)
        log.info("mirror %s does not provide %s (%s); trying the network", mirror, rel, exc)
        return None
    except BaseException:
        _remove(tmp)
        raise
    return _install(tmp, dest, spec, entry, f"the data mirror {url}")


def _http(url: str, dest: Path, *, sha256: str | None, size: int | None) -> Path:
    try:
        from ..radio import http_download
    except ImportError as exc:
        raise MissingDependencyError(
            f"downloading {url} needs spacekit.radio.http_download; import failed: {exc}"
        ) from exc
    return Path(http_download(url, dest, sha256=sha256, size=size))


def _from_network(dest: Path, spec: DataFile, entry: Dataset) -> Path:
    src = spec.source
    tmp = _tmp_for(dest)
    if src.member is None:
        try:
            _http(src.url, tmp, sha256=spec.sha256, size=spec.size)
        except BaseException:
            _remove(tmp)
            raise
        return _install(tmp, dest, spec, entry, src.url)
    archive_name = PurePosixPath(src.url.split("?")[0]).name
    archive = _cache_root() / "_archives" / archive_name
    if not (archive.is_file() and _archive_ok(archive, src)):
        archive.parent.mkdir(parents=True, exist_ok=True)
        atmp = archive.with_name(f".{archive.name}.download")
        try:
            _http(src.url, atmp, sha256=src.archive_sha256, size=src.archive_size)
            os.replace(atmp, archive)
        except BaseException:
            _remove(atmp)
            raise
    try:
        _extract(archive, src.member, tmp)
    except BaseException:
        _remove(tmp)
        raise
    try:
        return _install(tmp, dest, spec, entry, f"{src.url} member {src.member}")
    except ChecksumError:
        _remove(archive)
        raise


def _archive_ok(archive: Path, src: Any) -> bool:
    if src.archive_size is not None and archive.stat().st_size != src.archive_size:
        return False
    return not src.archive_sha256 or _sha256(archive) == src.archive_sha256


def _extract(archive: Path, member: str, out: Path) -> None:
    try:
        with zipfile.ZipFile(archive) as zf:
            names = zf.namelist()
            if member not in names:
                same = [n for n in names if PurePosixPath(n).name == PurePosixPath(member).name]
                if len(same) != 1:
                    raise DataNotFoundError(
                        f"archive {archive} has no member {member!r} (members: {names[:10]}...)"
                    )
                member = same[0]
            with zf.open(member) as src, open(out, "wb") as dst:
                shutil.copyfileobj(src, dst)
    except zipfile.BadZipFile as exc:
        _remove(archive, out)
        raise FormatError(f"{archive} is not a valid zip archive ({exc}); fetch it again") from None


def _obtain(entry: Dataset, spec: DataFile, dest: Path, *, allow_download: bool) -> Path:
    """Put one verified file at ``dest`` in the cache (mirror copy or download).

    A mirror copy that fails verification (a damaged or outdated file in the mirror) is
    logged and skipped for the file's canonical source; when that fails too, the error names
    both.
    """
    if _check_cached(dest, spec):
        return dest
    mirror = _mirror()
    rel = _member_rel(entry, spec)
    bad_mirror: ChecksumError | FormatError | None = None
    if mirror.startswith("s3://"):
        try:
            got = _from_s3(mirror, rel, dest, spec, entry)
        except (ChecksumError, FormatError) as exc:
            bad_mirror, got = exc, None
        if got is not None:
            return got
    elif mirror:
        candidate = Path(mirror).expanduser() / rel
        if candidate.is_file():
            try:
                _check_mirror_file(candidate, spec, entry, mirror)
                tmp = _tmp_for(dest)
                shutil.copyfile(candidate, tmp)
                return _install(tmp, dest, spec, entry, f"the data mirror {mirror}")
            except (ChecksumError, FormatError) as exc:
                bad_mirror = exc
    if bad_mirror is not None:
        if not allow_download:
            raise bad_mirror
        log.warning("%s; downloading %s from its source instead", bad_mirror, spec.filename)
        try:
            return _from_network(dest, spec, entry)
        except (DownloadError, DataNotFoundError) as exc:
            raise type(bad_mirror)(
                f"{bad_mirror}; and the download from its source failed too: {exc}"
            ) from exc
    if not allow_download:
        raise DataNotFoundError(
            f"dataset {entry.name!r} ({spec.filename}) is neither in the cache nor in the "
            f"mirror {mirror or '(none set)'}, and downloads are off; set "
            "SPACEKIT_DATA_MIRROR or allow the download from " + spec.source.url
        )
    log.info("downloading %s for dataset %s", spec.source.url, entry.name)
    try:
        return _from_network(dest, spec, entry)
    except DownloadError as exc:
        if not mirror or mirror.startswith("s3://"):
            raise
        root = Path(mirror).expanduser()
        why = (
            "does not exist"
            if not root.exists()
            else "is not a folder"
            if not root.is_dir()
            else f"has no {rel}"
        )
        raise DownloadError(
            f"{exc}; and the data mirror {root} (SPACEKIT_DATA_MIRROR) {why}: point it at a "
            "folder laid out like the shared data folder to work offline"
        ) from exc


def locate(name: str) -> Path | None:
    """Return the local path of a dataset, verified, when it is in the cache or a folder
    mirror; None otherwise. Never downloads (not even from an S3 mirror).

    Parameters
    ----------
    name : str
        A registered name.

    Returns
    -------
    pathlib.Path or None
        The verified local file (or folder), or None when it would have to be fetched.

    Examples
    --------
    >>> locate("k2_exoplanet_train") is None  # doctest: +SKIP
    True
    """
    entry = get_entry(name)
    mirror = _mirror()
    candidates = [cache_path(entry.name)]
    if mirror and not mirror.startswith("s3://"):
        candidates.insert(0, Path(mirror).expanduser() / entry.mirror_path)
    for candidate in candidates:
        if entry.is_collection:
            files = [(candidate / f.filename, f) for f in entry.files]
        else:
            files = [(candidate, entry.files[0])]
        if not all(p.is_file() for p, _ in files):
            continue
        try:
            for p, spec in files:
                verify_file(p, spec)
        except ChecksumError as exc:
            log.warning("%s fails verification: %s", candidate, exc)
            continue
        return candidate
    return None


def fetch(name: str, *, allow_download: bool = True) -> Path:
    """Return a local path to a registered dataset, obtaining it when needed.

    The lookup order is the cache, then the mirror (``SPACEKIT_DATA_MIRROR``: a folder is
    used in place; an ``s3://bucket/prefix`` is downloaded into the cache), then the
    dataset's canonical public URL. Every file is checked against its registered sha256
    and size on every path.

    Parameters
    ----------
    name : str
        A registered name (see :func:`list_datasets`).
    allow_download : bool
        When False, only the cache and a folder or S3 mirror are tried.

    Returns
    -------
    pathlib.Path
        The file, or the folder for a collection.

    Raises
    ------
    UnknownDatasetError
        ``name`` is not registered.
    ChecksumError
        A file (in the cache or downloaded) does not match its registered sha256 or size;
        nothing is left in the cache (a bad cached copy is removed, so the next call obtains
        a fresh one). A bad mirror file is skipped for the source (a warning is logged);
        the error comes only when the source cannot be reached either (or
        ``allow_download=False``), and names the mirror file.
    DataNotFoundError
        The file is unavailable offline (``allow_download=False``).
    DownloadError
        The network download failed.

    Examples
    --------
    >>> from spacekit import datasets
    >>> datasets.fetch("hst_cal_sample_20").name
    'hst_cal_sample_20.csv'
    """
    entry = get_entry(name)
    mirror = _mirror()
    local_mirror = mirror and not mirror.startswith("s3://")
    if entry.is_collection:
        folder = _cache_root() / entry.name
        if local_mirror:
            mfolder = Path(mirror).expanduser() / entry.mirror_path
            if all((mfolder / f.filename).is_file() for f in entry.files):
                try:
                    for f in entry.files:
                        _check_mirror_file(mfolder / f.filename, f, entry, mirror)
                    return mfolder
                except (ChecksumError, FormatError):
                    pass  # each file below: good ones copied from the mirror, bad downloaded
        for f in entry.files:
            _obtain(entry, f, folder / f.filename, allow_download=allow_download)
        return folder
    spec = entry.files[0]
    dest = cache_path(entry.name)
    if _check_cached(dest, spec):
        return dest
    if local_mirror:
        candidate = Path(mirror).expanduser() / entry.mirror_path
        if candidate.is_file():
            try:
                _check_mirror_file(candidate, spec, entry, mirror)
                return candidate
            except (ChecksumError, FormatError):
                pass  # _obtain says so, then tries the source
    return _obtain(entry, spec, dest, allow_download=allow_download)


def _read(entry: Dataset, path: Path, **kwargs: Any) -> Any:
    opts = {**entry.reader_kwargs, **kwargs}
    if entry.reader == "csv":
        from ..io import read_table

        return read_table(path, format="csv", **opts)
    if entry.reader == "json":
        from ..io import read_json

        return read_json(path)
    if entry.reader == "npz":
        from ..io import read_npz

        return read_npz(path, **opts)
    if entry.reader == "lightcurve":
        try:
            from ..transformer import read_lightcurve
        except ImportError as exc:
            raise MissingDependencyError(
                f"loading {entry.name!r} needs spacekit.transformer.read_lightcurve, which "
                f"could not be imported ({exc}); use fetch({entry.name!r}) for the file"
            ) from exc
        return read_lightcurve(path, **opts)
    if entry.reader == "paths":
        return {f.filename.split("_")[0]: path / f.filename for f in entry.files}
    if entry.reader == "csv-collection":
        from ..io import read_table

        return {
            PurePosixPath(f.filename).stem: read_table(path / f.filename, format="csv", **opts)
            for f in entry.files
        }
    raise InputError(f"dataset {entry.name!r} has an unknown reader {entry.reader!r}")


def load(name: str, **kwargs: Any) -> Any:
    """Fetch a registered dataset and return it parsed.

    Tables (csv) come back as pandas DataFrames, JSON as a dict, npz as a dict of arrays
    (``allow_pickle=False``), light curves as :class:`spacekit.transformer.LightCurve`
    (through ``read_lightcurve(path, **reader_kwargs)``), ``hst_cal_memmodel_features`` as
    ``{ipst: Path}`` and ``svm_prep`` as ``{stem: DataFrame}``.

    Parameters
    ----------
    name : str
        A registered name.
    **kwargs
        Passed to the reader (overriding the entry's ``reader_kwargs``), e.g.
        ``required=[...]`` for a table or ``flux="sap"`` for a light curve.

    Returns
    -------
    object
        The parsed dataset, of the type described above.

    Examples
    --------
    >>> from spacekit import datasets
    >>> datasets.load("hst_cal_sample_20").shape
    (20, 22)
    """
    upstream = sorted(set(kwargs) & set(LOAD_KEYWORDS))
    if upstream:
        raise InputError(
            f"load() got upstream spacekit 1.1.4's keyword argument(s) {upstream}, which this "
            "load does not take: "
            + "; ".join(f"{k}: {LOAD_KEYWORDS[k]}" for k in upstream)
            + " (docs/upstream.rst)"
        )
    entry = get_entry(name)
    return _read(entry, fetch(entry.name), **kwargs)


def info(name: str) -> dict[str, Any]:
    """Describe a dataset: its files (sha256, size, source), description, credit, licence
    and where it is available locally (``local``: a path, or None).

    Parameters
    ----------
    name : str
        A registered name.

    Returns
    -------
    dict
        ``name``, ``kind``, ``reader``, ``reader_kwargs``, ``rows``, ``description``,
        ``credit``, ``license``, ``mirror_path``, ``files`` (one dict per file) and ``local``.

    Examples
    --------
    >>> info("lc_k2_3")["reader_kwargs"]
    {'time_format': 'bkjd'}
    """
    entry = get_entry(name)
    return {
        "name": entry.name,
        "kind": entry.kind,
        "reader": entry.reader,
        "reader_kwargs": dict(entry.reader_kwargs),
        "rows": entry.rows,
        "description": entry.description,
        "credit": entry.credit,
        "license": entry.license,
        "mirror_path": entry.mirror_path,
        "files": [
            {
                "filename": f.filename,
                "sha256": f.sha256,
                "size": f.size,
                "url": f.source.url,
                "member": f.source.member,
                "reference": f.source.reference,
            }
            for f in entry.files
        ],
        "local": _local_quiet(entry.name),
    }


def _local_quiet(name: str) -> str | None:
    try:
        path = locate(name)
    except Exception as exc:  # an unavailable mirror must not break a description
        log.debug("locate(%s) failed: %s", name, exc)
        return None
    return None if path is None else str(path)


def list_datasets() -> pd.DataFrame:
    """Return the registry as a table: name, kind, files, size in bytes, sha256 (first 16
    characters; "" for collections or when unknown), source and description.

    Returns
    -------
    pandas.DataFrame
        One row per registered dataset.

    Examples
    --------
    >>> df = list_datasets()
    >>> "hst_cal_2021_05_11" in set(df["name"])
    True
    """
    rows = []
    for entry in REGISTRY.values():
        sizes = [f.size for f in entry.files]
        first = entry.files[0]
        rows.append(
            {
                "name": entry.name,
                "kind": entry.kind,
                "files": len(entry.files),
                "size": sum(sizes) if None not in sizes else None,
                "sha256": (first.sha256 or "")[:16] if not entry.is_collection else "",
                "source": first.source.reference or first.source.url,
                "description": entry.description,
            }
        )
    frame = pd.DataFrame(rows)
    frame["size"] = frame["size"].astype("Int64")
    return frame

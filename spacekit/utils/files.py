"""Atomic writes and checksums."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..exceptions import SpacekitError, WriteAccessError

_UMASK: int | None = None


def _file_mode() -> int:
    """The mode a plain ``open(path, "w")`` would give (0o666 less the umask); mkstemp's
    temporary files are 0o600, which would leave results unreadable to a group or a container."""
    global _UMASK
    if _UMASK is None:
        _UMASK = os.umask(0)
        os.umask(_UMASK)
    return 0o666 & ~_UMASK


__all__ = ["atomic_write", "file_sha256", "write_access"]

#: Characters of the target's name kept in a temporary file's name: a name near the file
#: system's 255-byte limit would otherwise make the temporary name too long to create.
_TMP_NAME_CHARS = 64


#: errno -> why a local path cannot be written, in words
_CANNOT_WRITE = {
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "the file system is read-only",
    errno.ENOTDIR: "a file stands where a folder is needed",
    errno.EEXIST: "a file stands where a folder is needed",
    errno.EISDIR: "it is a folder",
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.ENAMETOOLONG: "the name is too long",
}


@contextlib.contextmanager
def write_access(path: str | os.PathLike, what: str = "file") -> Iterator[None]:
    """Turn "this local path cannot be written" (permissions, a read-only file system, a file
    where a folder should be, a full disk) into a
    :class:`~spacekit.exceptions.WriteAccessError` naming ``what``, the path and the fix.

    Other errors pass through unchanged.

    Parameters
    ----------
    path : path
        The file or folder being written (named in the message).
    what : str
        What it is, for the message (``"file"``, ``"run folder"``...).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> blocker = pathlib.Path(tempfile.mkdtemp()) / "a-file"
    >>> _ = blocker.write_text("x")
    >>> with write_access(blocker / "out.csv", "table"):
    ...     (blocker / "out.csv").write_text("y")
    Traceback (most recent call last):
    ...
    spacekit.exceptions.WriteAccessError: cannot write the table .../a-file/out.csv: ...
    """
    try:
        yield
    except OSError as exc:
        if isinstance(exc, SpacekitError) or exc.errno not in _CANNOT_WRITE:
            raise
        name = str(exc.filename or "")
        temporary = Path(name).name.startswith(".") and ".tmp" in Path(name).name
        where = f" ({name})" if name and name != str(path) and not temporary else ""
        fix = (
            "free some space or choose another location"
            if exc.errno in (errno.ENOSPC, errno.EDQUOT)
            else "choose a location this user may write"
        )
        error = WriteAccessError(
            f"cannot write the {what} {path}: {_CANNOT_WRITE[exc.errno]}{where}; {fix}"
        )
        error.reason = f"{_CANNOT_WRITE[exc.errno]}{where}"  # for a caller's own message
        raise error from None


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb", **open_kwargs):
    """Open a temporary file beside ``path`` and move it over ``path`` only on success.

    An exception inside the block removes the temporary file, so a failed or interrupted
    write never leaves a half file that looks whole. Use ``mode="w"`` for text.

    Parameters
    ----------
    path : path
        The file to write.
    mode : str
        ``"wb"`` or ``"w"``.
    **open_kwargs
        Passed to :func:`open` (e.g. ``encoding``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_write(target, "w") as fh:
    ...     _ = fh.write("hello")
    >>> target.read_text()
    'hello'
    """
    path = Path(path)
    with write_access(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            prefix=f".{path.name[:_TMP_NAME_CHARS]}.", suffix=".tmp", dir=path.parent
        )
    try:
        with os.fdopen(fd, mode, **open_kwargs) as fh:
            yield fh
            with write_access(path):
                fh.flush()
                os.fsync(fh.fileno())
        with write_access(path):
            os.chmod(tmp, _file_mode())
            os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield a temporary path beside ``path`` for a library that writes by file name;
    it is renamed to ``path`` on success and removed on failure.

    Parameters
    ----------
    path : path
        The file to write.
    """
    path = Path(path)
    with write_access(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            prefix=f".{path.stem[:_TMP_NAME_CHARS]}.",
            suffix=f".tmp{path.suffix[:_TMP_NAME_CHARS]}",
            dir=path.parent,
        )
    os.close(fd)
    os.unlink(tmp)
    try:
        yield Path(tmp)
        with write_access(path):
            if os.path.exists(tmp):
                os.chmod(tmp, _file_mode())
            os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def file_sha256(path: str | os.PathLike, chunk_size: int = 1 << 20) -> str:
    """Return the hex sha256 of a file, read in chunks.

    Parameters
    ----------
    path : path
        The file.
    chunk_size : int
        Bytes read at once.

    Returns
    -------
    str
        The sha256, 64 hex digits.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x"
    >>> _ = p.write_bytes(b"abc")
    >>> file_sha256(p)[:16]
    'ba7816bf8f01cfea'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk_size), b""):
            digest.update(block)
    return digest.hexdigest()

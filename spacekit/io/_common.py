"""Helpers shared by the readers and writers of :mod:`spacekit.io`."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from ..exceptions import DataNotFoundError, FormatError, InputError, SpacekitError

__all__ = ["as_path", "check_readable", "format_error", "reading"]

PathLike = str | os.PathLike


def as_path(path: PathLike, fmt: str) -> Path:
    """Return ``path`` as a Path, or raise :class:`InputError` when it is not a path at all.

    ``Path(None)`` and ``Path(df)`` fail with a bare TypeError deep inside a reader; this names
    what was expected instead.
    """
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not isinstance(path, str | os.PathLike):
        raise InputError(
            f"expected the path of a {fmt} file (a str or pathlib.Path), got "
            f"{type(path).__name__}; pass the file's path (writers take the path first: "
            "write_x(path, data))"
        )
    return Path(path)


def check_readable(path: PathLike, fmt: str) -> Path:
    """Return ``path`` as a Path after checking that it is an existing, non-empty file.

    Raises
    ------
    DataNotFoundError
        When ``path`` does not exist or is a folder.
    FormatError
        When the file is empty (0 bytes).
    InputError
        When ``path`` is not a path (None, a DataFrame, ...).
    """
    path = as_path(path, fmt)
    if not os.path.exists(path):  # False, not OSError, for a name over 255 bytes
        raise DataNotFoundError(
            f"{path} does not exist: expected a {fmt} file there; check the path "
            "(relative paths are resolved from the current working directory)"
        )
    if os.path.isdir(path):
        raise DataNotFoundError(f"{path} is a folder, expected a {fmt} file")
    if path.stat().st_size == 0:
        raise FormatError(
            f"{path} is empty (0 bytes), expected a {fmt} file; the file was probably "
            "not written completely: fetch or write it again"
        )
    return path


#: the first bytes of formats a file given in place of another often is
_SIGNATURES = (
    (b"SIMPLE  =", "FITS"),
    (b"PK\x03\x04", "zip archive (npz, wheel, zip)"),
    (b"\x89HDF\r\n\x1a\n", "HDF5"),
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\x93NUMPY", "numpy .npy"),
    (b"#ASDF", "ASDF"),
    (b"\x1f\x8b", "gzip-compressed"),
)


def _format_of(path: PathLike) -> str | None:
    """What the file's first bytes say it is (FITS, zip, HDF5...), or None."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except (OSError, TypeError, ValueError):
        return None
    return next((kind for magic, kind in _SIGNATURES if head.startswith(magic)), None)


def format_error(path: PathLike, fmt: str, exc: BaseException) -> FormatError:
    """Build the :class:`FormatError` for a file a parser could not read."""
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    kind = _format_of(path)
    if kind is not None and not kind.lower().startswith(fmt.lower()):
        # a FITS light curve given where a csv goes: say so, not "utf-8 codec can't decode"
        return FormatError(
            f"{path} could not be read as {fmt}: it is a {kind} file, not a {fmt} file "
            f"({type(exc).__name__}: {detail})"
        )
    return FormatError(
        f"{path} could not be read as {fmt}: {detail} ({type(exc).__name__}); the file is "
        f"corrupt, truncated or not a {fmt} file: check its format or fetch it again"
    )


@contextlib.contextmanager
def reading(path: PathLike, fmt: str) -> Iterator[None]:
    """Turn any parser exception raised inside the block into a :class:`FormatError`.

    spacekit's own errors (and MemoryError/KeyboardInterrupt) pass through unchanged.
    """
    try:
        yield
    except (SpacekitError, MemoryError):
        raise
    except TypeError as exc:
        if "unexpected keyword argument" in str(exc):  # the caller's argument, not the file
            raise InputError(
                f"reading {path} as {fmt}: {exc}; check the keyword arguments passed to the "
                "reader (they go to the parser)"
            ) from exc
        raise format_error(path, fmt, exc) from exc
    except Exception as exc:
        raise format_error(path, fmt, exc) from exc

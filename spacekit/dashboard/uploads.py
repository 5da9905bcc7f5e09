"""Uploaded files: size-checked before decoding, kept server-side, never sent back.

A Dash upload arrives as a base64 data URL inside a callback request. :func:`decode_upload`
refuses one whose encoded length already says it is over the limit, before decoding a byte;
:class:`UploadStore` keeps the decoded file in a private temporary folder and hands the page
a short token, so the file never travels back to the browser in a response (nor again in a
later request).

Examples
--------
>>> import base64
>>> url = "data:text/plain;base64," + base64.b64encode(b"n_files=2").decode()
>>> decode_upload(url, "x.txt", max_bytes=100)
b'n_files=2'
>>> store = UploadStore(keep=2)
>>> token = store.put("x.txt", b"abc")
>>> store.path(token).read_bytes()
b'abc'
>>> store.close()
"""

from __future__ import annotations

import base64
import binascii
import re
import shutil
import tempfile
import threading
import uuid
import weakref
from collections import OrderedDict
from pathlib import Path
from typing import Any

from ..exceptions import FormatError, InputError

__all__ = ["decode_upload", "encoded_size", "UploadStore"]


def encoded_size(contents: str) -> int:
    """The decoded size (bytes) of a base64 data URL, computed from its length alone.

    Parameters
    ----------
    contents : str
        A ``data:<type>;base64,<payload>`` URL.

    Returns
    -------
    int
        Bytes.

    Examples
    --------
    >>> encoded_size("data:text/plain;base64,YWJj")
    3
    """
    payload = contents.split(",", 1)[1] if "," in contents else contents
    padding = len(payload) - len(payload.rstrip("="))
    return max(0, len(payload) * 3 // 4 - padding)


def decode_upload(contents: Any, filename: Any, *, max_bytes: int) -> bytes:
    """Decode an upload's data URL, refusing it before decoding when it is too large.

    Parameters
    ----------
    contents : str
        ``data:<type>;base64,<payload>`` as ``dcc.Upload`` sends it.
    filename : str
        The name the browser gave (for messages only).
    max_bytes : int
        Largest decoded size accepted.

    Returns
    -------
    bytes
        The decoded file.

    Raises
    ------
    InputError
        Not a data URL string, or larger than ``max_bytes`` (judged from its length).
    FormatError
        The payload is not base64.

    Examples
    --------
    >>> decode_upload("data:text/plain;base64,YWJjZA==", "x", max_bytes=3)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    spacekit.exceptions.InputError: 'x' is 4 bytes; the dashboard accepts uploads up to 3 bytes ...
    """
    label = filename if isinstance(filename, str) and filename else "the upload"
    if not isinstance(contents, str) or not contents.startswith("data:") or "," not in contents:
        raise InputError(
            f"{label!r} did not arrive as a file upload (expected a base64 data URL, got "
            f"{type(contents).__name__}); drop the file on the upload box again"
        )
    size = encoded_size(contents)
    if size > max_bytes:
        raise InputError(
            f"{label!r} is {_size_text(size)}; the dashboard accepts uploads up to "
            f"{_size_text(max_bytes)} ({max_bytes / 1e6:.1f} MB): upload a smaller file"
        )
    try:
        return base64.b64decode(contents.split(",", 1)[1], validate=True)
    except (binascii.Error, ValueError):
        raise FormatError(
            f"{label!r} could not be decoded: the upload is not valid base64; upload it again"
        ) from None


def _size_text(n: int) -> str:
    return f"{n} bytes" if n < 10_000 else f"{n / 1e6:.1f} MB"


class UploadStore:
    """Uploaded files on disk in a private temporary folder, the newest ``keep`` of them.

    :meth:`put` returns a random token for the page to hold instead of the file; :meth:`path`
    turns a token back into the file, refusing any other value. The folder is removed by
    :meth:`close` or when the store is garbage-collected.

    Parameters
    ----------
    keep : int
        Number of files kept (the oldest are removed).

    Examples
    --------
    >>> store = UploadStore(keep=1)
    >>> first = store.put("a.csv", b"1")
    >>> second = store.put("b.csv", b"2")
    >>> store.path(first)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    spacekit.exceptions.InputError: the upload is no longer held by the dashboard ...
    >>> store.close()
    """

    def __init__(self, keep: int = 4) -> None:
        self.keep = max(1, int(keep))
        self._files: OrderedDict[str, Path] = OrderedDict()
        self._lock = threading.Lock()
        self._dir: Path | None = None
        self._finalizer: Any = None

    def _folder(self) -> Path:
        if self._dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix="spacekit-dashboard-uploads-"))
            self._finalizer = weakref.finalize(self, shutil.rmtree, self._dir, True)
        return self._dir

    def put(self, filename: str, data: bytes) -> str:
        """Keep ``data`` (named after ``filename``); return its token.

        Parameters
        ----------
        filename : str
            The name the browser gave.
        data : bytes
            The file's contents.

        Returns
        -------
        str
            The token.
        """
        token = uuid.uuid4().hex
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(str(filename)).name).lstrip(".") or "upload"
        with self._lock:
            folder = self._folder() / token
            folder.mkdir()
            path = folder / safe[:120]
            path.write_bytes(data)
            self._files[token] = path
            while len(self._files) > self.keep:
                _, old = self._files.popitem(last=False)
                shutil.rmtree(old.parent, ignore_errors=True)
        return token

    def path(self, token: Any) -> Path:
        """The file held under ``token``.

        Parameters
        ----------
        token : str
            A token from :meth:`put`.

        Returns
        -------
        pathlib.Path
            The file.
        """
        with self._lock:
            path = self._files.get(token) if isinstance(token, str) else None
        if path is None or not path.is_file():
            raise InputError(
                f"the upload is no longer held by the dashboard (it keeps the {self.keep} most "
                "recent uploads, or the server restarted); upload the file again"
            )
        return path

    def close(self) -> None:
        """Delete every held file and the folder."""
        with self._lock:
            self._files.clear()
            if self._finalizer is not None:
                self._finalizer()
            self._dir = None

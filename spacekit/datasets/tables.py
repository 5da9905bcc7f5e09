"""One table resolver: "a path, a DataFrame or a registered dataset name" → DataFrame.

Every app's ``data`` argument goes through :func:`resolve_table` (or
:func:`resolve_table_source` when the caller also records where the table came from, e.g. the
sha256 written into a run folder and a model manifest).

Examples
--------
>>> import pandas as pd
>>> resolve_table(pd.DataFrame({"a": [1]})).shape
(1, 1)
>>> src = resolve_table_source("hst_cal_sample_20")  # a registered dataset name
>>> len(src.frame), src.name
(20, 'hst_cal_sample_20')
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..exceptions import DataNotFoundError, InputError, UnknownDatasetError

__all__ = ["TableSource", "resolve_path", "resolve_table", "resolve_table_source", "frame_sha256"]

#: The accepted forms, for docstrings and error messages.
DATA_FORMS = "a path to a table file, a pandas DataFrame, or a registered dataset name"


@dataclass
class TableSource:
    """A resolved table: the frame, the sha256 of its file (or of its rows), a name to show,
    and the file (None for a DataFrame)."""

    frame: Any
    sha256: str
    name: str
    path: Path | None = None


def frame_sha256(frame: Any) -> str:
    """sha256 of a DataFrame's values (index ignored), for frames that have no file.

    Examples
    --------
    >>> import pandas as pd
    >>> len(frame_sha256(pd.DataFrame({"a": [1, 2]})))
    64
    """
    import pandas as pd

    return hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).to_numpy()).hexdigest()


def _looks_like_name(data: str) -> bool:
    return "/" not in data and "\\" not in data and not Path(data).suffix


def resolve_path(data: str | os.PathLike, *, what: str = "data") -> Path:
    """The local file meant by a path or a registered dataset name (fetched when needed).

    Raises
    ------
    DataNotFoundError
        A path that does not exist (or a name that is neither a file nor registered).

    Examples
    --------
    >>> resolve_path("hst_cal_sample_20").name.endswith(".csv")
    True
    """
    if not isinstance(data, (str, os.PathLike)):
        raise InputError(f"{what}: expected {DATA_FORMS}; got {type(data).__name__}")
    path = Path(os.path.expanduser(data))
    if os.path.exists(path):  # False, not OSError, for a name over 255 bytes
        if not os.path.isfile(path):
            raise DataNotFoundError(f"{what} {str(data)!r} is a folder, expected a table file")
        return path
    if isinstance(data, str) and _looks_like_name(data):
        from .core import fetch, get_entry

        try:
            get_entry(data)
        except UnknownDatasetError as exc:
            raise DataNotFoundError(
                f"{what} {data!r} is neither an existing file nor a registered dataset name "
                f"({exc}); expected {DATA_FORMS}"
            ) from None
        return Path(fetch(data))
    # a path (it has a suffix or a folder separator): never looked up as a dataset name
    raise DataNotFoundError(
        f"{what}: file not found: {str(data)!r} does not exist; expected {DATA_FORMS}"
    )


def resolve_table_source(data: Any, *, what: str = "data", **read_kwargs: Any) -> TableSource:
    """Resolve ``data`` (path, DataFrame or registered dataset name) into a
    :class:`TableSource`.

    Parameters
    ----------
    data : path, pandas.DataFrame or str
        The table. A DataFrame is copied (the caller's is never changed).
    what : str
        What the table is, for error messages ("training data", "feature table").
    **read_kwargs
        Passed to :func:`spacekit.io.read_table` for files (e.g. ``format="csv"``).

    Returns
    -------
    TableSource

    Examples
    --------
    >>> import pandas as pd
    >>> resolve_table_source(pd.DataFrame({"a": [1]})).name
    'DataFrame'
    """
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return TableSource(data.copy(), frame_sha256(data), "DataFrame", None)
    path = resolve_path(data, what=what)
    from ..io import read_table
    from ..utils.files import file_sha256

    read_kwargs.setdefault("format", "csv" if path.suffix.lower() in {".txt", ""} else None)
    if read_kwargs["format"] is None:
        del read_kwargs["format"]
    frame = read_table(path, **read_kwargs)
    name = str(data) if not os.path.exists(str(data)) else path.name
    return TableSource(frame, file_sha256(path), name, path)


def resolve_table(data: Any, *, what: str = "data", **read_kwargs: Any) -> Any:
    """``data`` (path, DataFrame or registered dataset name) as a pandas DataFrame.

    Examples
    --------
    >>> len(resolve_table("hst_cal_sample_20"))
    20
    """
    return resolve_table_source(data, what=what, **read_kwargs).frame

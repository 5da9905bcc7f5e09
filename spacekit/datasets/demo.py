"""The first step of ``spacekit demo``: load every registered dataset available offline and
write a summary table."""

from __future__ import annotations

import logging
import os
from typing import Any, TextIO

import pandas as pd

from ..exceptions import SpacekitError
from .core import fetch, load
from .registry import REGISTRY

__all__ = ["summary", "summarize_datasets", "describe_object"]

log = logging.getLogger(__name__)


def describe_object(obj: Any) -> str:
    """A short "rows or shape" text for a loaded dataset.

    Parameters
    ----------
    obj : object
        A loaded dataset.

    Returns
    -------
    str
        For example ``"20 rows x 22 cols"``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> describe_object(pd.DataFrame({"a": [1, 2]}))
    '2 rows x 1 cols'
    >>> describe_object({"images": np.zeros((2, 3))})
    'images (2, 3)'
    """
    if isinstance(obj, pd.DataFrame):
        return f"{len(obj)} rows x {obj.shape[1]} cols"
    if isinstance(obj, dict):
        if obj and all(
            hasattr(v, "shape") and not isinstance(v, pd.DataFrame) for v in obj.values()
        ):
            return ", ".join(f"{k} {tuple(v.shape)}" for k, v in obj.items())
        if obj and all(isinstance(v, pd.DataFrame) for v in obj.values()):
            return f"{len(obj)} tables ({sum(len(v) for v in obj.values())} rows)"
        if obj and all(isinstance(v, os.PathLike) for v in obj.values()):
            return f"{len(obj)} files"
        return f"{len(obj)} keys"
    if hasattr(obj, "__len__"):
        return f"{len(obj)} rows"
    return type(obj).__name__


def summarize_datasets(*, allow_download: bool = False) -> pd.DataFrame:
    """Load every registered dataset that is available (cache or mirror; the network too
    when ``allow_download``) and return one row per dataset: name, kind, rows or shape,
    sha256 prefix, source and status ("ok" or why it was skipped).

    Parameters
    ----------
    allow_download : bool
        Also download datasets that are not available locally.

    Returns
    -------
    pandas.DataFrame
        One row per dataset.

    Examples
    --------
    >>> summarize_datasets().columns.tolist()
    ['name', 'kind', 'rows_or_shape', 'sha256', 'source', 'status']
    """
    rows = []
    for entry in REGISTRY.values():
        first = entry.files[0]
        row = {
            "name": entry.name,
            "kind": entry.kind,
            "rows_or_shape": "",
            "sha256": "" if entry.is_collection else (first.sha256 or "unknown")[:12],
            "source": first.source.reference or first.source.url,
            "status": "ok",
        }
        try:
            fetch(entry.name, allow_download=allow_download)
            row["rows_or_shape"] = describe_object(load(entry.name))
        except SpacekitError as exc:
            row["status"] = "skipped: " + str(exc).split(";")[0]
            log.info("dataset %s skipped: %s", entry.name, exc)
        if entry.is_collection:
            row["sha256"] = f"{len(entry.files)} files"
        rows.append(row)
    return pd.DataFrame(rows)


def summary(runs_dir: str | os.PathLike | None, out: TextIO) -> pd.DataFrame:
    """Demo step: write the summary of every registered dataset to ``out``.

    Datasets not obtainable offline (the Kaggle K2 tables when no mirror holds them) are
    listed with a "skipped" line rather than failing the demo. ``runs_dir`` is accepted for
    the demo-step signature; this step writes no run folder.

    Parameters
    ----------
    runs_dir : path or None
        Unused (the demo-step signature).
    out : file-like
        Where the summary is written.

    Returns
    -------
    pandas.DataFrame
        The summary (see :func:`summarize_datasets`).

    Examples
    --------
    >>> import io
    >>> buf = io.StringIO()
    >>> _ = summary(None, buf)
    >>> "hst_cal_2021_05_11" in buf.getvalue()
    True
    """
    table = summarize_datasets(allow_download=False)
    ok = int((table["status"] == "ok").sum())
    shown = table[["name", "kind", "rows_or_shape", "sha256", "source"]]
    out.write(shown[table["status"] == "ok"].to_string(index=False, max_colwidth=60) + "\n")
    for _, row in table[table["status"] != "ok"].iterrows():
        out.write(f"{row['name']}: {row['status']}\n")
    out.write(f"{ok} of {len(table)} registered datasets loaded.\n")
    return table

"""The dataset registry: a name maps to its canonical public source, sha256, size, reader,
description and credit; :func:`load` returns the parsed object, :func:`fetch` a local path.

Lookup order: the cache (``SPACEKIT_CACHE_DIR``), then the mirror (``SPACEKIT_DATA_MIRROR``:
a folder, or ``s3://bucket/prefix``), then the network (the canonical public URL). Every file
is verified against its registered sha256 on every path; a mismatch raises
:class:`~spacekit.exceptions.ChecksumError` and leaves nothing in the cache. A dataset whose
sha256 is not known yet (the Kaggle K2 tables) is verified by size and format only, with a
warning, and its sha256 is recorded in the cache.

Layer 3 (data).

Examples
--------
>>> from spacekit import datasets
>>> "lc_k2_3" in set(datasets.list_datasets()["name"])
True
>>> datasets.info("hst_cal_2021_05_11")["rows"]
29191
"""

from ..utils.upstream_api import upstream_getattr
from .core import (
    cache_path,
    fetch,
    get_entry,
    info,
    list_datasets,
    load,
    locate,
    register,
    verify_file,
)
from .registry import REGISTRY, DataFile, Dataset, Source

__all__ = [
    "REGISTRY",
    "DataFile",
    "Dataset",
    "Source",
    "cache_path",
    "fetch",
    "get_entry",
    "info",
    "list_datasets",
    "load",
    "locate",
    "register",
    "verify_file",
]


# upstream spacekit 1.1.4's names of this module say what to use (docs/upstream.rst)
__getattr__ = upstream_getattr(__name__)

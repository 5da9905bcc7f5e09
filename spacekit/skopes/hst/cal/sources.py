"""Where a dataset's MemModelFeatures come from: a path, a folder, an s3:// URL, text or a dict.

:func:`read_features` finds and reads the production input of one dataset (refusing another
dataset's file and anything over :data:`~.features.MAX_FEATURES_BYTES` before it is read) and
returns its nine features, parsed by :func:`~.features.parse_memmodel_features`. S3 reads go
through :mod:`spacekit.radio`.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ....exceptions import DataNotFoundError, InputError
from .features import (
    FEATURES,
    MAX_FEATURES_BYTES,
    check_ipppssoot,
    features_from_mapping,
    parse_memmodel_features,
)

__all__ = ["read_features"]

_MMF_NAME = re.compile(r"^([A-Za-z0-9]{9})_MemModelFeatures\.txt$", re.IGNORECASE)


def _read_s3_bytes(url: str) -> bytes:
    """The object's bytes, refused unread when larger than :data:`~.features.MAX_FEATURES_BYTES`."""
    from ....radio import s3_read_bytes

    return s3_read_bytes(url, max_bytes=MAX_FEATURES_BYTES)


def _is_file_text(value: str) -> bool:
    """Whether a string given as features is the file's text rather than a path.

    Text has a newline, or a ``key=value`` shape with no path separator and no ``.txt``
    ending; an existing file or folder is always a path, so ``run=1/<ipst>_MemModelFeatures.txt``
    is read as the path it is.
    """
    if "\n" in value or "\r" in value:
        return True
    if "=" not in value:
        return False
    try:
        if Path(os.path.expanduser(value)).exists():
            return False
    except (OSError, ValueError):  # a name too long or with a NUL byte is no path
        return True
    looks_like_path = "/" in value or os.sep in value or value.lower().endswith(".txt")
    return not looks_like_path


def read_features(ipst: str, features: Any) -> dict[str, int]:
    """The nine features of dataset ``ipst`` from a path, ``s3://`` URL, text or dict.

    Parameters
    ----------
    ipst : str
        The ipppssoot.
    features : str, os.PathLike or mapping
        A MemModelFeatures file, a folder or ``s3://bucket/control/<ipst>/`` prefix holding
        ``<ipst>_MemModelFeatures.txt``, the file's text, a dict of its raw keys, or a dict of
        the nine features themselves.

    Raises
    ------
    InputError
        A file or URL named ``<other ipst>_MemModelFeatures.txt`` (another dataset's); a dict of
        the nine features with a value that is not finite, negative or out of range (flags 0/1,
        crsplit 0-2, instr 0-3), or whose ``instr``/``dtype`` contradict the ipppssoot; and
        what :func:`~.features.parse_memmodel_features` refuses; a file, object or text larger
        than :data:`~.features.MAX_FEATURES_BYTES` (64 KB; refused before it is read).
    DataNotFoundError
        A path that does not exist.

    Notes
    -----
    A string is the file's text when it has a newline, or a ``key=value`` shape without a path
    separator or ``.txt`` ending; an existing path is always a path, so a folder such as
    ``run=1/`` is read as a folder.

    Examples
    --------
    >>> text = "n_files=3\\ntotal_mb=2.2752\\nDETECTOR=NUV\\nSUBARRAY=True"
    >>> read_features("la8p01010", text)["subarray"]
    1
    """
    name = check_ipppssoot(ipst)
    fname = f"{name}_MemModelFeatures.txt"
    if isinstance(features, Mapping):
        if all(k in features for k in FEATURES):
            return _checked_features(features, name)
        return features_from_mapping(features, name)
    if isinstance(features, bytes):
        try:
            features = features.decode("utf-8")
        except UnicodeDecodeError:
            return parse_memmodel_features(features, name)  # says which byte, naming the dataset
    if isinstance(features, str) and features.startswith("s3://"):
        url = features if features.endswith(".txt") else features.rstrip("/") + "/" + fname
        _check_file_name(url.rsplit("/", 1)[-1], name, url)
        return parse_memmodel_features(_read_s3_bytes(url), name)
    if isinstance(features, str) and _is_file_text(features):
        return parse_memmodel_features(features, name)
    if isinstance(features, (str, os.PathLike)):
        p = Path(features)
        if p.is_dir():
            p = p / fname
        if not p.is_file():
            raise DataNotFoundError(
                f"dataset {name}: MemModelFeatures file {p} does not exist; pass a file, a "
                "folder holding <ipst>_MemModelFeatures.txt, an s3:// URL or the text itself"
            )
        _check_file_name(p.name, name, p)
        size = p.stat().st_size
        if size > MAX_FEATURES_BYTES:
            raise InputError(
                f"dataset {name}: {p} is {size} bytes, over the {MAX_FEATURES_BYTES}-byte limit "
                "of a MemModelFeatures file (real ones are ~100 bytes); it was not read: check "
                "the path"
            )
        with p.open("rb") as fh:
            return parse_memmodel_features(fh.read(MAX_FEATURES_BYTES + 1), name)
    raise InputError(
        f"dataset {name}: features must be a path, s3:// URL, text or dict, got "
        f"{type(features).__name__}"
    )


def _check_file_name(file_name: str, name: str, where: Any) -> None:
    """Refuse ``<other ipst>_MemModelFeatures.txt`` for dataset ``name`` (other names pass)."""
    m = _MMF_NAME.match(file_name)
    if m and m.group(1).lower() != name:
        raise InputError(
            f"dataset {name}: {where} is the MemModelFeatures file of dataset "
            f"{m.group(1).lower()}, "
            f"not of {name}; pass {name}_MemModelFeatures.txt, or the ipppssoot "
            f"{m.group(1).lower()}"
        )


#: Valid values of the categorical features of a nine-feature dict.
_FEATURE_VALUES = {
    "drizcorr": (0, 1),
    "pctecorr": (0, 1),
    "crsplit": (0, 1, 2),
    "subarray": (0, 1),
    "detector": (0, 1),
    "dtype": (0, 1),
    "instr": (0, 1, 2, 3),
}


def _checked_features(features: Mapping, name: str) -> dict[str, int]:
    """The nine features of a dict of them, checked: finite, >= 0, in range, and the
    ipppssoot's own ``instr`` and ``dtype``."""
    from .features import INSTRUMENTS

    out = {}
    for k in FEATURES:
        try:
            value = float(features[k])
        except (TypeError, ValueError):
            raise InputError(
                f"dataset {name}: feature {k} must be a number, got {features[k]!r}"
            ) from None
        if not math.isfinite(value) or value < 0:
            raise InputError(
                f"dataset {name}: feature {k} must be a finite number >= 0, got {features[k]!r}"
            )
        out[k] = int(round(value))
        allowed = _FEATURE_VALUES.get(k)
        if allowed is not None and (out[k] not in allowed or value != out[k]):
            raise InputError(
                f"dataset {name}: feature {k} must be one of {list(allowed)}, got {features[k]!r}"
            )
    instr_name, instr = INSTRUMENTS[name[0]]
    dtype = int(name[-1] == "0")
    if out["instr"] != instr or out["dtype"] != dtype:
        raise InputError(
            f"dataset {name}: features say instr={out['instr']}, dtype={out['dtype']} but the "
            f"ipppssoot says instr={instr} ({instr_name}), dtype={dtype} "
            f"({'association' if dtype else 'single exposure'}); "
            "the ipppssoot decides them in production: check that the features belong to this "
            "dataset"
        )
    return out

"""The default model folder shipped inside the package, and the one command that rebuilds it.

:func:`~spacekit.skopes.hst.cal.load_predictor` without a folder looks, in order, at
``$SPACEKIT_HST_CAL_MODEL_DIR``, ``<conf.model_dir>/hst_cal`` (when it exists) and then
:data:`DEFAULT_MODEL_DIR`, the folder inside the installed package; ``spacekit cal predict
--model DIR`` and the environment variable override it.

:func:`build_default_model` (``spacekit cal build-default-model``) trains it from the
registered public table ``hst_cal_2021_05_11`` with seed 0 and the default settings, and writes
it so that the same spacekit version on the same table gives the same bytes: the ``.npz`` files
are re-zipped with fixed timestamps and ``metadata.json`` carries a fixed ``created`` (the
table's date) and no training time. ``--check`` rebuilds into a temporary folder and compares
it with the folder given by :func:`model_folder_differences`: the ``.npz`` arrays bit for bit,
the JSON files value by value with the spacekit version ignored and floats equal to a relative
1e-9 (a metric summed in another order differs in its last bits), any other file byte for byte.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import math
import os
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from ....exceptions import InputError
from ....utils.files import write_access

__all__ = [
    "DEFAULT_MODEL_DIR",
    "DEFAULT_DATA",
    "build_default_model",
    "folder_digests",
    "model_folder_differences",
]

#: The model folder shipped inside the package (package data: see tests/test_packaging.py).
DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "default_model"
#: The registered table the default model is trained on.
DEFAULT_DATA = "hst_cal_2021_05_11"
#: ``created`` of the default model: the table's date (its export time stamp, 1620740441).
DEFAULT_CREATED = "2021-05-11T13:40:41+00:00"
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
#: JSON keys (at any depth) a check ignores: the version that built the folder.
_IGNORED_KEYS = frozenset({"spacekit_version"})
#: At most this many differences are listed per file.
_MAX_LISTED = 5


def _deterministic_npz(path: Path) -> None:
    """Re-write an .npz (a zip of .npy files) with fixed timestamps and sorted members."""
    with zipfile.ZipFile(path) as src:
        members = sorted((info.filename, src.read(info.filename)) for info in src.infolist())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as dst:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=_FIXED_ZIP_TIME)
            info.external_attr = 0o644 << 16
            dst.writestr(info, data)
    path.write_bytes(buf.getvalue())


def folder_digests(folder: str | os.PathLike) -> dict[str, str]:
    """``{file name: sha256}`` of every file of a model folder (README excluded).

    Parameters
    ----------
    folder : path
        A model folder.

    Returns
    -------
    dict of str to str
        sha256 (hex) by file name.

    Examples
    --------
    >>> digests = folder_digests(DEFAULT_MODEL_DIR)
    >>> "metadata.json" in digests, len(digests["metadata.json"])
    (True, 64)
    """
    folder = Path(folder)
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file() and p.name != "README.txt"
    }


def _json_differences(want: Any, have: Any, where: str, rtol: float) -> list[str]:
    """Where two JSON values differ: ``where: expected X, found Y`` for each difference."""
    if isinstance(want, dict) and isinstance(have, dict):
        out = []
        for key in sorted(set(want) | set(have)):
            if key in _IGNORED_KEYS:
                continue
            at = f"{where}.{key}" if where else key
            if key not in have:
                out.append(f"{at}: missing here, present in the rebuild")
            elif key not in want:
                out.append(f"{at}: not in the rebuild")
            else:
                out.extend(_json_differences(want[key], have[key], at, rtol))
        return out
    if isinstance(want, list) and isinstance(have, list):
        if len(want) != len(have):
            return [f"{where}: {len(have)} items, the rebuild has {len(want)}"]
        out = []
        for i, (w, h) in enumerate(zip(want, have, strict=True)):
            out.extend(_json_differences(w, h, f"{where}[{i}]", rtol))
        return out

    def number(v: Any) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    if number(want) and number(have) and (isinstance(want, float) or isinstance(have, float)):
        same = math.isclose(want, have, rel_tol=rtol, abs_tol=0.0) or (
            math.isnan(want) and math.isnan(have)
        )
    else:
        same = type(want) is type(have) and want == have
    return [] if same else [f"{where or 'the file'}: {have!r} here, {want!r} in the rebuild"]


def _npz_differences(want: Path, have: Path) -> list[str]:
    """Where two .npz files differ: member names, dtypes, shapes or any bit of the values."""
    import numpy as np

    with np.load(want, allow_pickle=False) as w, np.load(have, allow_pickle=False) as h:
        out = [
            f"{k}: missing here, present in the rebuild"
            for k in sorted(set(w.files) - set(h.files))
        ]
        out += [f"{k}: not in the rebuild" for k in sorted(set(h.files) - set(w.files))]
        for key in sorted(set(w.files) & set(h.files)):
            a, b = w[key], h[key]
            if a.dtype != b.dtype or a.shape != b.shape:
                found, rebuilt = f"{b.dtype}{list(b.shape)}", f"{a.dtype}{list(a.shape)}"
                out.append(f"{key}: {found} here, {rebuilt} in the rebuild")
            elif a.tobytes() != b.tobytes():
                bits_a = np.ascontiguousarray(a).view(np.uint8).reshape(a.size, -1)
                bits_b = np.ascontiguousarray(b).view(np.uint8).reshape(b.size, -1)
                n = int(np.count_nonzero((bits_a != bits_b).any(axis=1)))
                out.append(f"{key}: {n} of {a.size} values differ from the rebuild's")
        return out


def model_folder_differences(
    expected: str | os.PathLike, found: str | os.PathLike, *, rtol: float = 1e-9
) -> dict[str, list[str]]:
    """What differs between two model folders, file by file (README excluded).

    ``.npz`` arrays must be equal bit for bit (names, dtypes, shapes, values); JSON files
    value by value, ignoring ``spacekit_version`` and taking two floats as equal within the
    relative tolerance ``rtol``; any other file byte for byte.

    Parameters
    ----------
    expected : path
        The reference folder (a fresh rebuild, for ``build-default-model --check``).
    found : path
        The folder checked against it.
    rtol : float
        Relative tolerance of JSON floats (default 1e-9: last-bit differences of a metric
        summed in another order pass, a changed value does not).

    Returns
    -------
    dict of str to list of str
        For each file that differs, what differs (at most five entries per file, then a
        count); empty when the folders match.

    Examples
    --------
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> a, b = Path(tempfile.mkdtemp()), Path(tempfile.mkdtemp())
    >>> _ = (a / "m.json").write_text(json.dumps({"spacekit_version": "1", "rmse": 0.1}))
    >>> _ = (b / "m.json").write_text(json.dumps({"spacekit_version": "2", "rmse": 0.1 + 1e-17}))
    >>> model_folder_differences(a, b)
    {}
    >>> _ = (b / "m.json").write_text(json.dumps({"spacekit_version": "2", "rmse": 0.2}))
    >>> model_folder_differences(a, b)
    {'m.json': ['rmse: 0.2 here, 0.1 in the rebuild']}
    """
    want_dir, have_dir = Path(expected), Path(found)
    want, have = set(folder_digests(want_dir)), set(folder_digests(have_dir))
    out: dict[str, list[str]] = {}
    for name in sorted(want | have):
        if name not in have:
            out[name] = ["missing here, present in the rebuild"]
            continue
        if name not in want:
            out[name] = ["not in the rebuild"]
            continue
        w, h = want_dir / name, have_dir / name
        if w.read_bytes() == h.read_bytes():
            continue
        if name.endswith(".npz"):
            try:
                diffs = _npz_differences(w, h)
            except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
                diffs = [f"not a readable .npz ({type(exc).__name__}: {exc})"]
        elif name.endswith(".json"):
            try:
                diffs = _json_differences(
                    json.loads(w.read_text()), json.loads(h.read_text()), "", rtol
                )
            except (ValueError, UnicodeDecodeError) as exc:
                diffs = [f"not readable JSON ({exc})"]
        else:
            diffs = ["bytes differ"]
        if diffs:
            extra = len(diffs) - _MAX_LISTED
            out[name] = diffs[:_MAX_LISTED] + ([f"... and {extra} more"] if extra > 0 else [])
    return out


def build_default_model(
    out_dir: str | os.PathLike | None = None,
    *,
    data: Any = DEFAULT_DATA,
    fast: bool = False,
    check: bool = False,
) -> dict:
    """Train the default hst_cal model folder reproducibly (or check a folder against a rebuild).

    Parameters
    ----------
    out_dir : path, optional
        Where to write the folder (default :data:`DEFAULT_MODEL_DIR`). Its model files are
        replaced; other files (a README) are kept.
    data : str, path or DataFrame
        The training table (default: the registered ``hst_cal_2021_05_11``).
    fast : bool
        Small tree models (for tests).
    check : bool
        Do not write: rebuild into a temporary folder and compare with ``out_dir``.

    Returns
    -------
    dict
        ``folder``, ``files`` (name -> sha256) and, with ``check``, ``identical`` (bool),
        ``differ`` (names of the files that differ or exist on one side only) and
        ``differences`` (name -> what differs, see :func:`model_folder_differences`).

    Examples
    --------
    >>> build_default_model()  # doctest: +SKIP
    >>> build_default_model(check=True)["identical"]  # doctest: +SKIP
    True
    """
    from ....utils.manifest import feature_ranges
    from .features import FEATURES
    from .pipeline import EVALUATE_KEYS, _load, fit_pipeline, save_model, score_predictions

    target = Path(out_dir) if out_dir is not None else DEFAULT_MODEL_DIR
    if not check:  # refuse a folder that cannot be written before the minute of training
        with write_access(target, "model folder"):
            if target.exists() and not target.is_dir():
                raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(target))
            target.mkdir(parents=True, exist_ok=True)
            tempfile.TemporaryFile(dir=target).close()
    df, digest, label = _load(data)
    predictor, info = fit_pipeline(df, seed=0, fast=fast)
    oof = score_predictions(info["oof"], df["mem_bin"], df["memory"], df["wallclock"])
    with tempfile.TemporaryDirectory(prefix="spacekit-default-model-") as tmp:
        built = Path(tmp) / "model"
        save_model(
            predictor,
            built,
            extra={
                "created": DEFAULT_CREATED,
                "training_data": label,
                "training_data_sha256": digest,
                "metrics_out_of_fold": oof,
                "build_command": "spacekit cal build-default-model",
            },
            ranges=feature_ranges(df, FEATURES),  # predict flags inputs outside them
            headline_metrics={k: oof[k] for k in EVALUATE_KEYS},
        )
        for npz in built.glob("*.npz"):
            _deterministic_npz(npz)
        files = folder_digests(built)
        if check:
            if not target.is_dir():
                raise InputError(f"--check: {target} is not a folder to compare with")
            differences = model_folder_differences(built, target)
            return {
                "folder": str(target),
                "files": files,
                "identical": not differences,
                "differ": sorted(differences),
                "differences": differences,
            }
        with write_access(target, "model folder"):
            target.mkdir(parents=True, exist_ok=True)
            for old in target.iterdir():
                if old.is_file() and old.name != "README.txt":
                    old.unlink()
            # metadata.json last: a folder cut short while copied has no manifest, does not load
            for p in sorted(built.iterdir(), key=lambda q: (q.name == "metadata.json", q.name)):
                shutil.copy2(p, target / p.name)
    return {"folder": str(target), "files": files}

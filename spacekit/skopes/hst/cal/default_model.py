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
every file's sha256 with the folder given.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from ....exceptions import InputError

__all__ = ["DEFAULT_MODEL_DIR", "DEFAULT_DATA", "build_default_model", "folder_digests"]

#: The model folder shipped inside the package (holds only a README until models ship).
DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "default_model"
#: The registered table the default model is trained on.
DEFAULT_DATA = "hst_cal_2021_05_11"
#: ``created`` of the default model: the table's date (its export time stamp, 1620740441).
DEFAULT_CREATED = "2021-05-11T13:40:41+00:00"
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


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
        ``folder``, ``files`` (name -> sha256) and, with ``check``, ``identical`` (bool) and
        ``differ`` (names whose bytes differ or that exist on one side only).

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
            have = folder_digests(target)
            differ = sorted(k for k in set(files) | set(have) if files.get(k) != have.get(k))
            return {
                "folder": str(target),
                "files": files,
                "identical": not differ,
                "differ": differ,
            }
        target.mkdir(parents=True, exist_ok=True)
        for old in target.iterdir():
            if old.is_file() and old.name != "README.txt":
                old.unlink()
        # metadata.json last: a folder cut short while copied has no manifest and does not load
        for p in sorted(built.iterdir(), key=lambda q: (q.name == "metadata.json", q.name)):
            shutil.copy2(p, target / p.name)
    return {"folder": str(target), "files": files}

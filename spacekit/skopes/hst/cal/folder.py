"""The hst_cal model folder: its format, where it is, and what it holds.

A model folder holds ``metadata.json`` (format :data:`MODEL_FORMAT`, the feature transform,
the calibration and an entry per exported model) and one ``.npz`` per model
(:mod:`~spacekit.skopes.hst.cal.export`). :func:`resolve_model_dir` finds it from a model, run
or runs folder; :func:`~spacekit.skopes.hst.cal.predict.load_predictor` reads it through
:func:`_read_model_folder`, which checks it before anything is predicted.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ....exceptions import DataNotFoundError, ModelLoadError
from .export import load_exported

__all__ = ["MODEL_FORMAT", "resolve_model_dir"]

#: Format tag written in every model folder's ``metadata.json``. Version 2 added the
#: ``upper_quantile`` bin rule (``calibration.bin_rule``, ``memory_scale.npz``) and the linear
#: and average model kinds, which a version-1 reader would misread; version-1 folders load.
#: The optional ``upper_quantile_max`` rule (``calibration.bin_member_margins`` and the
#: ``memory_<kind>``/``memory_scale_<kind>`` models) came later within version 2: a reader
#: older than it loads such a folder and refuses to predict ("unknown bin rule").
MODEL_FORMAT = "spacekit.hst_cal/2"
_READABLE_FORMATS = ("spacekit.hst_cal/1", MODEL_FORMAT)
_TARGET_KEYS = ("bin", "memory", "wallclock")


def resolve_model_dir(path: str | os.PathLike) -> Path:
    """Find the model folder from a model folder, a run folder or a runs folder.

    A model folder holds ``metadata.json`` with ``format`` :data:`MODEL_FORMAT`; a run folder
    holds it under ``model/``; from a runs folder (``<runs>/hst_cal/<run>/model``) the newest
    run wins.

    Examples
    --------
    >>> resolve_model_dir("/nonexistent")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    spacekit.exceptions.DataNotFoundError: ...
    """
    from ....utils.runs import model_folder

    p = Path(os.path.expanduser(path))
    direct = model_folder(p, "metadata.json")  # a model folder, or a run folder around one
    if (direct / "metadata.json").is_file():
        return direct
    # A runs folder: the newest run (by folder name) holding a model, under hst_cal/ or directly.
    for base in (p / "hst_cal", p):
        if base.is_dir():
            runs = sorted(
                (q for q in base.iterdir() if (q / "model" / "metadata.json").is_file()),
                key=lambda q: q.name,
            )
            if runs:
                return runs[-1] / "model"
    from ....utils.upstream_api import upstream_model_hint

    raise DataNotFoundError(
        f"no hst_cal model folder at {p}: expected metadata.json there, in {p}/model, or in "
        f"{p}/hst_cal/<run>/model; train one with `spacekit cal train DATA --runs DIR`"
        f"{upstream_model_hint(p)}"
    )


def _read_model_folder(folder: Path) -> tuple[dict, dict]:
    """The checked ``metadata.json`` of model folder ``folder`` and its exported models.

    Raises :class:`~spacekit.exceptions.ModelLoadError` naming what is missing or mangled
    (metadata that is not a JSON object, another format, a model without its file or spec, an
    unreadable model file).
    """
    try:
        meta = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ModelLoadError(f"{folder}/metadata.json is not valid JSON: {exc}") from None
    if not isinstance(meta, dict):
        raise ModelLoadError(
            f"{folder}/metadata.json holds a JSON {type(meta).__name__}, expected an object with "
            "format, transform, calibration and models; the folder is not an hst_cal model folder: "
            "re-train it"
        )
    if meta.get("format") not in _READABLE_FORMATS:
        raise ModelLoadError(
            f"{folder} holds a model of format {meta.get('format')!r}, expected one of "
            f"{list(_READABLE_FORMATS)}; "
            "re-train it with this spacekit version"
        )
    entries = meta.get("models")
    entries = entries if isinstance(entries, dict) else {}
    missing = [
        k for k in _TARGET_KEYS if not isinstance(entries.get(k), dict) or "file" not in entries[k]
    ]
    if missing:
        raise ModelLoadError(
            f"{folder}/metadata.json lists no model file for {missing}; re-train the model folder"
        )
    no_spec = [
        k
        for k, v in entries.items()
        if isinstance(v, dict) and "file" in v and not isinstance(v.get("spec"), dict)
    ]
    if no_spec:
        raise ModelLoadError(
            f"{folder}/metadata.json lacks the model spec of {no_spec} (expected "
            "models.<name>.spec); the metadata is incomplete: copy the folder again or re-train it"
        )
    # The three targets, memory_scale and any upper_quantile_max members (memory_<kind>, ...).
    models = {
        k: load_exported(folder / v["file"], v["spec"])
        for k, v in entries.items()
        if isinstance(v, dict) and "file" in v
    }
    return meta, models

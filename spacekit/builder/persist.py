"""Save and load a trained model as one folder: ``model.keras`` + ``metadata.json``."""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import zipfile
from pathlib import Path
from typing import Any

from ..exceptions import InputError, ModelLoadError
from ..utils.runs import model_folder

__all__ = ["save_model", "load_model", "MODEL_FILE", "METADATA_FILE", "FORMAT_VERSION"]

log = logging.getLogger(__name__)

MODEL_FILE = "model.keras"
METADATA_FILE = "metadata.json"
#: Version of the folder layout and metadata keys; bumped only on incompatible changes.
FORMAT_VERSION = 1


def _major_minor(version: str) -> tuple[int, int]:
    parts = []
    for piece in str(version).split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    while len(parts) < 2:
        parts.append(0)
    return parts[0], parts[1]


def save_model(
    model: Any,
    folder: str | os.PathLike,
    *,
    metadata: dict | None = None,
    history: dict | None = None,
) -> Path:
    """Save a Keras model and its metadata into ``folder``.

    The folder holds ``model.keras`` (Keras 3 native format) and ``metadata.json``. Both are
    written atomically (temporary file, then rename), the metadata last, so an interrupted
    save never leaves a folder that looks complete.

    Parameters
    ----------
    model : keras.Model
        The trained model.
    folder : path
        Target folder (created; existing files of the same names are replaced).
    metadata : dict, optional
        What a user of the model needs, e.g. ``feature_names``, ``preprocessing`` (scaler
        parameters, window length), ``training_data_sha256``, ``metrics``, ``labels``,
        ``threshold``. Stored under the same keys.
    history : dict, optional
        Training history ``{metric: [values]}``; by default the history of the model's last
        :class:`Trainer` (or Keras) fit, if any.

    Returns
    -------
    pathlib.Path
        The folder.

    Notes
    -----
    spacekit adds ``spacekit_version``, ``keras_version``, ``backend``, ``format_version``,
    ``saved_at`` (UTC), ``model_name``, ``model_sha256``, ``input_shape``/``output_shape``
    and ``history``.

    Examples
    --------
    >>> import tempfile
    >>> from spacekit.builder import build_mlp, save_model, load_model
    >>> folder = save_model(build_mlp(3, hidden=(4,)), tempfile.mkdtemp(),
    ...                     metadata={"feature_names": ["a", "b", "c"]})
    >>> model, meta = load_model(folder)
    >>> meta["feature_names"]
    ['a', 'b', 'c']
    """
    from ..utils.deps import import_keras

    keras = import_keras()

    from .._version import __version__
    from ..utils.files import atomic_path, file_sha256
    from ..utils.runs import write_json
    from .trainer import history_of

    if not isinstance(model, keras.Model):
        raise InputError(f"save_model expects a keras.Model, got {type(model).__name__}")
    if metadata is not None and not isinstance(metadata, dict):
        raise InputError(f"metadata must be a dict, got {type(metadata).__name__}")
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InputError(
            f"save_model writes a folder (model.keras + metadata.json), but {folder} is a "
            "file; pass a folder path"
        )

    def _shape(t):
        try:
            return [None if d is None else int(d) for d in t]
        except TypeError:
            return str(t)

    # Everything that can fail is worked out before the folder is touched.
    try:
        input_shape = [_shape(t.shape) for t in model.inputs]
        output_shape = [_shape(t.shape) for t in model.outputs]
    except (AttributeError, ValueError) as exc:
        raise InputError(
            f"save_model: model {model.name!r} has not been built, so it has no inputs to "
            f"record ({exc}); start it with keras.Input(shape=...) or call/fit it on data first"
        ) from None
    if history is None:
        history = history_of(model)
    meta: dict[str, Any] = dict(metadata or {})
    meta.update(
        {
            "format_version": FORMAT_VERSION,
            "spacekit_version": __version__,
            "keras_version": keras.__version__,
            "backend": keras.backend.backend(),
            "saved_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "model_name": model.name,
            "model_file": MODEL_FILE,
            "input_shape": input_shape,
            "output_shape": output_shape,
            "history": history,
        }
    )
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_path(folder / MODEL_FILE) as tmp:
        model.save(tmp)
    meta["model_sha256"] = file_sha256(folder / MODEL_FILE)
    write_json(folder / METADATA_FILE, meta)
    log.info("saved model %s to %s", model.name, folder)
    return folder


def _resolve_folder(folder: Path) -> Path:
    if (folder / MODEL_FILE).is_file():
        return folder
    return model_folder(folder, METADATA_FILE)


def load_model(
    folder: str | os.PathLike,
    *,
    compile: bool = True,
    custom_objects: dict | None = None,
    check_sha256: bool = True,
) -> tuple[Any, dict]:
    """Load a model folder written by :func:`save_model`.

    Parameters
    ----------
    folder : path
        The model folder, or a run folder holding ``model/``.
    compile : bool
        Restore the compiled state (optimizer, loss) saved with the model.
    custom_objects : dict, optional
        Custom layers/functions the model needs (passed to ``keras.saving.load_model``).
    check_sha256 : bool
        Compare ``model.keras`` with the checksum recorded at save time.

    Returns
    -------
    (keras.Model, dict)
        The model and its metadata.

    Raises
    ------
    ModelLoadError
        The folder or one of its files is missing, ``metadata.json`` is not valid JSON,
        ``model.keras`` is corrupt or does not match its checksum, or the folder was written
        by a spacekit whose format this version cannot read (the message names the versions
        and what to do). A model saved by another spacekit version in the same format loads,
        with a log message.

    Examples
    --------
    >>> import tempfile
    >>> from spacekit.builder import build_mlp, save_model, load_model
    >>> folder = save_model(build_mlp(2, hidden=(3,)), tempfile.mkdtemp())
    >>> model, meta = load_model(folder)
    >>> meta["format_version"]
    1
    """
    from .._version import __version__
    from ..utils.files import file_sha256

    folder = Path(folder)
    if not os.path.isdir(folder):  # os.path: False, not OSError, for a name over 255 bytes
        what = "is a file, not a folder" if os.path.exists(folder) else "does not exist"
        hint = " (pass the folder that holds it)" if folder.name == MODEL_FILE else ""
        raise ModelLoadError(
            f"model folder {folder} {what}; expected a folder written by "
            f"spacekit.builder.save_model (holding model.keras and metadata.json){hint}"
        )
    folder = _resolve_folder(folder)
    meta_path = folder / METADATA_FILE
    model_path = folder / MODEL_FILE
    if not meta_path.is_file():
        legacy = sorted(p.name for p in folder.iterdir() if p.suffix in {".h5", ".pb"})
        hint = (
            f" It holds {legacy}: a Keras 2 / TensorFlow SavedModel from spacekit < 2, which "
            "Keras 3 cannot load; retrain with this spacekit, or load it with the old "
            "spacekit and re-save it."
            if legacy
            else ""
        )
        raise ModelLoadError(
            f"{meta_path} is missing: expected a model folder written by "
            f"spacekit.builder.save_model (model.keras + metadata.json).{hint}"
        )
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelLoadError(
            f"{meta_path} is corrupt (not valid JSON: {exc}); save the model again"
        ) from None
    if not isinstance(meta, dict):
        raise ModelLoadError(f"{meta_path} must hold a JSON object, found {type(meta).__name__}")

    fmt = meta.get("format_version")
    saved_by = meta.get("spacekit_version", "unknown")
    if not isinstance(fmt, int):
        raise ModelLoadError(
            f"{meta_path} has no integer 'format_version' (found {fmt!r}); it was not written "
            "by spacekit.builder.save_model"
        )
    if fmt > FORMAT_VERSION:
        raise ModelLoadError(
            f"{folder} was saved by spacekit {saved_by} in model-folder format {fmt}, but this "
            f"spacekit {__version__} reads formats up to {FORMAT_VERSION}; upgrade spacekit "
            f"(pip install -U spacekit) to load it"
        )
    saved_keras = meta.get("keras_version")
    from ..utils.deps import import_keras

    keras = import_keras()  # only now: a missing or broken folder is refused without Keras

    if saved_keras and _major_minor(saved_keras)[0] != _major_minor(keras.__version__)[0]:
        raise ModelLoadError(
            f"{model_path} was saved with Keras {saved_keras} but Keras {keras.__version__} "
            "is installed; Keras major versions cannot read each other's files: install "
            f"keras=={saved_keras.split('.')[0]}.* or retrain"
        )
    if _major_minor(saved_by) != _major_minor(__version__):
        log.info(
            "loading %s saved by spacekit %s with spacekit %s (same folder format %d)",
            folder,
            saved_by,
            __version__,
            fmt,
        )
    if not model_path.is_file():
        raise ModelLoadError(
            f"{model_path} is missing: the model folder is incomplete; save the model again"
        )
    expected = meta.get("model_sha256")
    if check_sha256 and expected and file_sha256(model_path) != expected:
        raise ModelLoadError(
            f"{model_path} does not match the sha256 recorded in {meta_path.name} "
            f"({expected[:12]}…): the file is corrupt or was replaced; save the model again, "
            "or pass check_sha256=False to load it anyway"
        )
    if not zipfile.is_zipfile(model_path):
        raise ModelLoadError(
            f"{model_path} could not be loaded: it is not a Keras archive (a .keras file is a "
            f"zip; this one, {model_path.stat().st_size} bytes, is truncated or corrupt); save "
            "the model again"
        )
    try:
        model = keras.saving.load_model(
            model_path, compile=compile, custom_objects=custom_objects, safe_mode=True
        )
    except Exception as exc:  # keras raises many types for a bad archive
        raise ModelLoadError(
            f"{model_path} could not be loaded by Keras {keras.__version__}: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    return model, meta

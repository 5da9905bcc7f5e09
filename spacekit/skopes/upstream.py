"""Import upstream spacekit 1.1.4's trained models into this project's model folders.

Upstream spacekit (the ``spacekit`` package on PyPI, version 1.1.4) ships trained Keras models
in its wheel, under ``spacekit/builder/trained_networks/``: ``hst_cal.zip`` (``mem_clf``,
``mem_reg``, ``wall_reg`` and the normalisation ``tx_data.json``), ``jwst_cal.zip``
(``img3_reg``, ``spec3_reg`` and ``tx_data-{image,spec}.json``) and ``svm_align.zip`` (the
``ensembleSVM`` MLP + 3D-CNN and its ``tx_data.json``).

:func:`import_upstream` reads the wheel (or its ``trained_networks`` folder, zipped or
extracted) and writes one model folder per app:

- ``hst_cal/``: the three dense networks as numpy arrays (served without TensorFlow by
  :func:`spacekit.skopes.hst.cal.load_predictor`), upstream's normalisation (Yeo-Johnson on
  ``n_files`` and ``total_mb``, standardised, rounded to 5 decimals), and upstream's output
  rules: ``memBin`` is the classifier's most probable bin (no margin), ``memVal`` the memory
  regressor rounded to 2 decimals, ``clockTime`` the wallclock regressor truncated to whole
  seconds;
- ``jwst_cal/``: the IMAGE and SPEC dense networks as numpy arrays with their normalisation,
  read by :func:`spacekit.skopes.jwst.cal.load_memory_model`; the folder records that its
  features follow upstream's definition (``feature_definition: "upstream"``, offsets in
  detector pixels, see :mod:`spacekit.skopes.jwst.cal.scrape`);
- ``hst_svm/``: the ensemble as a Keras model file (this project serves the SVM ensemble with
  Keras) with upstream's normalisation, read by :func:`spacekit.skopes.hst.svm.load_svm_model`.

Each folder holds a ``model.json`` manifest naming the source file and its sha256.

Examples
--------
Upstream's wheel comes from PyPI (``pip download spacekit==1.1.4 --no-deps``):

>>> import_upstream("spacekit-1.1.4-py3-none-any.whl", "models/upstream")  # doctest: +SKIP
{'hst_cal': PosixPath('models/upstream/hst_cal'), ...}
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from ..exceptions import DataNotFoundError, FormatError, InputError, MissingDependencyError

__all__ = ["import_upstream", "read_keras_dense", "UPSTREAM_VERSION"]

log = logging.getLogger(__name__)

UPSTREAM_VERSION = "1.1.4"
_MEMBER_DIR = "spacekit/builder/trained_networks/"
_APPS = ("hst_cal", "jwst_cal", "svm_align")
#: upstream's archive name -> this project's app name
_APP_NAMES = {"hst_cal": "hst_cal", "jwst_cal": "jwst_cal", "svm_align": "hst_svm"}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_archive(data: bytes, where: str) -> dict[str, bytes]:
    """Files of one upstream model archive (``hst_cal.zip``...) by base name."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return {Path(n).name: zf.read(n) for n in zf.namelist() if not n.endswith("/")}
    except zipfile.BadZipFile:
        raise FormatError(f"{where} is not a zip archive; the upstream wheel is damaged") from None


def _collect(source: Path) -> tuple[dict[str, dict[str, bytes]], dict]:
    """``{app: {file name: bytes}}`` and the source record from a wheel or a folder."""
    if not source.exists():
        raise DataNotFoundError(
            f"{source} does not exist; expected upstream's wheel (get it with `pip download "
            f"spacekit=={UPSTREAM_VERSION} --no-deps -d DIR`) or its trained_networks folder"
        )
    apps: dict[str, dict[str, bytes]] = {}
    one = next((a for a in _APPS if source.name in (a, f"{a}.zip")), None)
    if one is not None:  # one archive (hst_cal.zip) or its extracted folder (hst_cal/)
        return _collect_one(source, one)
    if source.is_file():
        data = source.read_bytes()
        record = {"file": source.name, "sha256": _sha256(data), "members": {}, "app_member": {}}
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile:
            raise FormatError(
                f"{source} is not a wheel (zip archive); pass spacekit-{UPSTREAM_VERSION}-py3-none-"
                "any.whl or the trained_networks folder"
            ) from None
        with zf:
            for app in _APPS:
                name = f"{_MEMBER_DIR}{app}.zip"
                if name in zf.namelist():
                    inner = zf.read(name)
                    record["members"][name] = _sha256(inner)
                    record["app_member"][app] = name
                    apps[app] = _read_archive(inner, f"{source}:{name}")
        if not apps:
            raise FormatError(
                f"{source} holds no {_MEMBER_DIR}{{hst_cal,jwst_cal,svm_align}}.zip; is it "
                f"upstream spacekit {UPSTREAM_VERSION}'s wheel?"
            )
        return apps, record
    record = {"file": str(source.name), "sha256": None, "members": {}, "app_member": {}}
    for app in _APPS:
        zipped, folder = source / f"{app}.zip", source / app
        if zipped.is_file():
            inner = zipped.read_bytes()
            record["members"][zipped.name] = _sha256(inner)
            record["app_member"][app] = zipped.name
            apps[app] = _read_archive(inner, str(zipped))
        elif folder.is_dir():
            files = {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}
            record["app_member"][app] = f"{app}/"  # each file's sha256 is in the manifest
            apps[app] = files
    if not apps:
        raise DataNotFoundError(
            f"{source} holds none of hst_cal.zip, jwst_cal.zip, svm_align.zip (or their extracted "
            "folders); pass upstream's wheel or its spacekit/builder/trained_networks folder"
        )
    return apps, record


def _collect_one(source: Path, app: str) -> tuple[dict[str, dict[str, bytes]], dict]:
    """One upstream archive (``hst_cal.zip``) or its extracted folder, given directly."""
    if source.is_file():
        data = source.read_bytes()
        record = {
            "file": source.name,
            "sha256": _sha256(data),
            "members": {source.name: _sha256(data)},
            "app_member": {app: source.name},
        }
        return {app: _read_archive(data, str(source))}, record
    files = {p.name: p.read_bytes() for p in sorted(source.iterdir()) if p.is_file()}
    record = {"file": source.name, "sha256": None, "members": {}, "app_member": {app: f"{app}/"}}
    return {app: files}, record


def read_keras_dense(keras_file: bytes | str | os.PathLike) -> Any:
    """Read a Keras 3 ``.keras`` file made of Input and Dense layers into a
    :class:`~spacekit.skopes.hst.cal.export.DenseNetwork` (numpy arrays; needs h5py, not Keras).

    Parameters
    ----------
    keras_file : bytes or path
        The ``.keras`` archive (its ``config.json`` and ``model.weights.h5``).

    Raises
    ------
    FormatError
        The archive is not a Keras 3 file, or holds layers other than Input, Dense and Dropout.

    Returns
    -------
    DenseNetwork
        The network, with a numpy ``predict``.

    Examples
    --------
    ``mem_clf.keras`` is one of upstream's trained networks (inside its 1.1.4 wheel):

    >>> import numpy as np
    >>> net = read_keras_dense("mem_clf.keras")  # doctest: +SKIP
    >>> net.predict(np.zeros((1, 9))).shape  # doctest: +SKIP
    (1, 4)
    """
    from .hst.cal.export import DenseNetwork

    try:
        import h5py
    except ImportError:
        raise MissingDependencyError(
            "reading Keras weights needs h5py: pip install spacekit[x]"
        ) from None
    data = keras_file if isinstance(keras_file, bytes) else Path(keras_file).read_bytes()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            config = json.loads(zf.read("config.json"))
            weights_blob = zf.read("model.weights.h5")
    except (zipfile.BadZipFile, KeyError) as exc:
        raise FormatError(
            f"not a Keras 3 .keras archive (expected config.json and model.weights.h5): {exc}"
        ) from None
    layers = config.get("config", {}).get("layers", [])
    dense = []
    for layer in layers:
        kind = layer.get("class_name")
        if kind in ("InputLayer", "Dropout"):
            continue
        if kind != "Dense":
            raise FormatError(
                f"layer {layer.get('config', {}).get('name')!r} is a {kind}; only Input, Dense "
                "and Dropout layers can be read into a numpy network"
            )
        cfg = layer["config"]
        if not cfg.get("use_bias", True):
            raise FormatError(f"Dense layer {cfg.get('name')!r} has no bias; not supported")
        dense.append(cfg)
    if not dense:
        raise FormatError("the Keras model has no Dense layer")
    weights = []
    with h5py.File(io.BytesIO(weights_blob), "r") as h5:
        # Keras 3 stores the i-th Dense layer's variables under layers/dense[_i]/vars/{0,1}
        for i, cfg in enumerate(dense):
            key = "layers/dense" + ("" if i == 0 else f"_{i}")
            if key not in h5:
                raise FormatError(f"model.weights.h5 lacks {key} (Dense layer {cfg['name']!r})")
            kernel = np.asarray(h5[f"{key}/vars/0"])
            bias = np.asarray(h5[f"{key}/vars/1"])
            if kernel.shape[1] != int(cfg["units"]):
                raise FormatError(
                    f"{key}: kernel {kernel.shape} does not match Dense layer {cfg['name']!r} "
                    f"of {cfg['units']} units"
                )
            if weights and weights[-1][0].shape[1] != kernel.shape[0]:
                raise FormatError(f"{key}: kernel {kernel.shape} does not follow the layer before")
            weights.append((kernel, bias, cfg.get("activation", "linear")))
    return DenseNetwork(weights)


def _tx(files: dict[str, bytes], name: str, where: str) -> dict:
    if name not in files:
        raise FormatError(f"{where} lacks {name} (upstream's normalisation parameters)")
    tx = json.loads(files[name])
    if not all(k in tx for k in ("lambdas", "mu", "sigma")):
        raise FormatError(f"{where}/{name} lacks lambdas, mu or sigma")
    return tx


def _source(record: dict, member: str, files: dict[str, bytes]) -> dict:
    """The manifest's ``source``: the file read, its sha256, the archive member and the
    sha256 of every upstream file used."""
    from ..utils.manifest import imported_source

    source = imported_source(record["file"], record["sha256"])
    source.update(
        {
            "from": f"spacekit {UPSTREAM_VERSION}",
            "member": member,
            "member_sha256": record["members"].get(member),
            "files": {k: _sha256(v) for k, v in sorted(files.items())},
        }
    )
    return source


def _import_hst_cal(
    files: dict[str, bytes], out: Path, member: str, bin_log_margin: float | None = None
) -> dict:
    from ..utils.runs import write_json
    from .hst.cal.export import save_exported
    from .hst.cal.predict import MODEL_FORMAT

    out.mkdir(parents=True, exist_ok=True)
    tx = _tx(files, "tx_data.json", member)
    entries = {}
    for key, name in (("bin", "mem_clf"), ("memory", "mem_reg"), ("wallclock", "wall_reg")):
        if f"{name}.keras" not in files:
            raise FormatError(f"{member} lacks {name}.keras")
        net = read_keras_dense(files[f"{name}.keras"])
        spec = save_exported(net, out / f"{name}.npz")
        entries[key] = {
            "file": f"{name}.npz",
            "kind": "dense",
            "spec": spec,
            "target_transform": "none",
            "upstream_name": name,
        }
    metadata = {
        "format": MODEL_FORMAT,
        "app": "hst_cal",
        "created": f"upstream spacekit {UPSTREAM_VERSION}",
        "imported_from": f"spacekit {UPSTREAM_VERSION}",
        # upstream's PowerX: Yeo-Johnson on n_files and total_mb, (x - mu) / sigma, rounded
        "transform": {
            "columns": [0, 1],
            "lambdas": [float(v) for v in tx["lambdas"]],
            "means": [float(v) for v in tx["mu"]],
            "scales": [float(v) for v in tx["sigma"]],
            "decimals": 5,
        },
        # upstream's outputs: argmax bin, memVal rounded to 2 decimals, clockTime truncated
        "calibration": {
            # upstream's rule; asked for a margin: the larger of that bin and memVal's
            # bin after multiplying memVal by exp(margin)
            "bin_rule": "classifier" if bin_log_margin is None else "classifier_max",
            "bin_log_margin": 0.0 if bin_log_margin is None else float(bin_log_margin),
            "memory_log_margin": 0.0,
            "wallclock_log_margin": 0.0,
            "under_bin_target": None,
            "wallclock_coverage": None,
            "rounding": "upstream",
        },
        "models": entries,
    }
    write_json(out / "metadata.json", metadata)
    return {"imported_from": f"spacekit {UPSTREAM_VERSION}"}


def _import_jwst_cal(files: dict[str, bytes], out: Path, member: str) -> dict:
    from ..utils.runs import write_json
    from .hst.cal.export import save_exported
    from .jwst.cal.encode import IMAGE_FEATURES, SPEC_FEATURES
    from .jwst.cal.model import APP, MAX_GB, SPEC_FILE

    out.mkdir(parents=True, exist_ok=True)
    norm_cols = {
        "IMAGE": (
            "offset",
            "max_offset",
            "mean_offset",
            "sigma_offset",
            "err_offset",
            "sigma1_mean",
        ),
        "SPEC": (
            "targ_max_offset",
            "offset",
            "max_offset",
            "mean_offset",
            "sigma_offset",
            "err_offset",
            "sigma1_mean",
        ),
    }
    feats = {"IMAGE": IMAGE_FEATURES, "SPEC": SPEC_FEATURES}
    networks = {}
    for kind, name in (("IMAGE", "img3_reg"), ("SPEC", "spec3_reg")):
        if f"{name}.keras" not in files:
            raise FormatError(f"{member} lacks {name}.keras")
        tx = _tx(files, f"tx_data-{kind.lower()}.json", member)
        if len(tx["lambdas"]) != len(norm_cols[kind]):
            raise FormatError(
                f"{member}/tx_data-{kind.lower()}.json has {len(tx['lambdas'])} lambdas, expected "
                f"{len(norm_cols[kind])} (one per column {list(norm_cols[kind])})"
            )
        net = read_keras_dense(files[f"{name}.keras"])
        if net.n_inputs != len(feats[kind]):
            raise FormatError(
                f"{name}.keras takes {net.n_inputs} inputs, expected {len(feats[kind])}"
            )
        spec = save_exported(net, out / f"{kind.lower()}.npz")
        networks[kind] = {
            "file": f"{kind.lower()}.npz",
            "spec": spec,
            "upstream_name": name,
            "transform": {
                "columns": [feats[kind].index(c) for c in norm_cols[kind]],
                "column_names": list(norm_cols[kind]),
                "lambdas": [float(v) for v in tx["lambdas"]],
                "means": [float(v) for v in tx["mu"]],
                "scales": [float(v) for v in tx["sigma"]],
                "decimals": 5,
            },
        }
    encoder_pairs = None
    try:  # the encoder table upstream's models were trained with (a registered dataset)
        from .jwst.cal.encode import load_encoder_pairs

        encoder_pairs = load_encoder_pairs(None)
    except Exception as exc:  # noqa: BLE001 - the folder still works with a table given later
        log.warning("JWST encoder table not found (%s); predict will load it when used", exc)
    write_json(
        out / SPEC_FILE,
        {
            "app": APP,
            "model_type": "dense",
            "kinds": sorted(networks),
            "features": {k: list(feats[k]) for k in networks},
            "feature_definition": "upstream",
            "target_transform": "none",
            "rounding": 2,
            "max_gb": MAX_GB,
            "networks": networks,
            "encoder_pairs": encoder_pairs,
            "imported_from": f"spacekit {UPSTREAM_VERSION}",
        },
    )
    return {"imported_from": f"spacekit {UPSTREAM_VERSION}", "feature_definition": "upstream"}


def _import_svm(files: dict[str, bytes], out: Path, member: str) -> dict:
    from ..utils.files import atomic_write
    from ..utils.runs import write_json
    from .hst.svm.model import SPEC_FILE

    out.mkdir(parents=True, exist_ok=True)
    if "ensembleSVM.keras" not in files:
        raise FormatError(f"{member} lacks ensembleSVM.keras")
    tx = _tx(files, "tx_data.json", member)
    with atomic_write(out / "upstream_ensemble.keras", "wb") as fh:
        fh.write(files["ensembleSVM.keras"])
    cols = [
        "numexp",
        "rms_ra",
        "rms_dec",
        "nmatches",
        "point",
        "segment",
        "gaia",
        "det",
        "wcs",
        "cat",
    ]
    write_json(
        out / SPEC_FILE,
        {
            "app": "hst_svm",
            "kind": "upstream_ensemble",
            "features": cols,
            "model_inputs": cols,
            "category_codes": "canonical",  # this project's codes are upstream's tables
            "threshold": 0.5,
            "keras_file": "upstream_ensemble.keras",
            "preprocessing": {
                "kind": "upstream_power",
                "columns": list(range(7)),
                "lambdas": [float(v) for v in tx["lambdas"]],
                "means": [float(v) for v in tx["mu"]],
                "scales": [float(v) for v in tx["sigma"]],
                "decimals": 5,
            },
            "imported_from": f"spacekit {UPSTREAM_VERSION}",
        },
    )
    return {"imported_from": f"spacekit {UPSTREAM_VERSION}"}


def import_upstream(
    source: str | os.PathLike,
    out: str | os.PathLike,
    *,
    apps: Any = None,
    bin_log_margin: float | None = None,
) -> dict[str, Path]:
    """Convert upstream spacekit 1.1.4's trained models into this project's model folders.

    Parameters
    ----------
    source : path
        Upstream's wheel (``spacekit-1.1.4-py3-none-any.whl``, from ``pip download
        spacekit==1.1.4 --no-deps``) or its ``spacekit/builder/trained_networks`` folder
        (holding ``hst_cal.zip``... or their extracted folders), or one of those archives or
        extracted folders itself (``hst_cal.zip``, ``svm_align/``...).
    out : path
        Folder to write ``hst_cal/``, ``jwst_cal/`` and ``hst_svm/`` into (created; existing
        model folders there are overwritten).
    apps : iterable of str, optional
        Only these of ``"hst_cal"``, ``"jwst_cal"``, ``"hst_svm"`` (default: all the source has).
    bin_log_margin : float, optional
        hst_cal only. Default: upstream's ``memBin``, the classifier's most probable bin, no
        margin. Given: ``memBin`` is the larger of that bin and the bin of
        ``memVal * exp(bin_log_margin)`` (bin rule ``"classifier_max"``), e.g. ``log(1.5)``
        for 50 % headroom.

    Returns
    -------
    dict
        ``{app: model folder}``.

    Raises
    ------
    DataNotFoundError
        ``source`` does not exist or holds no upstream model archive.
    FormatError
        An archive is damaged or not what upstream 1.1.4 ships.

    Examples
    --------
    Upstream's wheel comes from PyPI (``pip download spacekit==1.1.4 --no-deps``):

    >>> from spacekit.skopes.hst.cal import load_model
    >>> folders = import_upstream("spacekit-1.1.4-py3-none-any.whl", "out")  # doctest: +SKIP
    >>> sorted(folders)  # doctest: +SKIP
    ['hst_cal', 'hst_svm', 'jwst_cal']
    >>> model = load_model(folders["hst_cal"])  # doctest: +SKIP
    """
    source = Path(os.path.expanduser(source))
    out = Path(os.path.expanduser(out))
    wanted = set(_APP_NAMES.values()) if apps is None else {str(a) for a in apps}
    if bin_log_margin is not None:
        import math

        ok = isinstance(bin_log_margin, (int, float)) and not isinstance(bin_log_margin, bool)
        if not ok or not math.isfinite(bin_log_margin) or bin_log_margin < 0:
            raise InputError(
                f"bin_log_margin must be a finite number >= 0 (a log factor on memVal, e.g. "
                f"math.log(1.5)), got {bin_log_margin!r}; leave it out for upstream's rule"
            )
    unknown = wanted - set(_APP_NAMES.values())
    if unknown:
        raise InputError(
            f"unknown apps {sorted(unknown)}; expected some of {sorted(_APP_NAMES.values())}"
        )
    from ..utils.files import write_access
    from ..utils.manifest import writing_model

    archives, record = _collect(source)
    writers = {"hst_cal": _import_hst_cal, "jwst_cal": _import_jwst_cal, "svm_align": _import_svm}
    done: dict[str, Path] = {}
    for app, files in archives.items():
        name = _APP_NAMES[app]
        if name not in wanted:
            continue
        member = record["app_member"][app]
        folder = out / name
        with write_access(folder, "model folder"):
            folder.mkdir(parents=True, exist_ok=True)
            # model.json says "writing" until every file is written, then "complete"
            source_record = _source(record, member, files)
            with writing_model(folder, app=name, source=source_record) as manifest:
                extra = {"bin_log_margin": bin_log_margin} if app == "hst_cal" else {}
                manifest.details.update(writers[app](files, folder, member, **extra))
        done[name] = folder
        log.info("imported upstream %s into %s", app, done[name])
    missing = wanted - set(done)
    if apps is not None and missing:
        raise DataNotFoundError(f"{source} holds no model for {sorted(missing)}")
    return done

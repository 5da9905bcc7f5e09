"""Serving: load a model folder and predict with numpy alone.

:class:`CalPredictor` turns a MemModelFeatures file (local path, ``s3://`` URL, its text, or a
dict) and the ipppssoot into the calcloud contract ``{"memBin", "memVal", "clockTime"}`` plus
the details (argmax bin, bin probabilities, memory upper bound, wallclock point estimate,
calibrated kill time); ``clockTime`` is what calcloud multiplies into its kill time (see
:mod:`~spacekit.skopes.hst.cal.handler`).
Nothing here imports TensorFlow or scikit-learn; S3 reads go through :mod:`spacekit.radio`.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ....exceptions import DataNotFoundError, InputError, ModelLoadError
from ....transformer.power import power_standardize
from .export import DenseNetwork, load_exported, predict_dense
from .features import (
    BIN_QUEUES_GB,
    FEATURES,
    MAX_FEATURES_BYTES,
    check_ipppssoot,
    features_from_mapping,
    parse_memmodel_features,
)

__all__ = [
    "CalPredictor",
    "load_predictor",
    "resolve_model_dir",
    "read_features",
    "lambda_handler",
    "predict_many",
    "MODEL_FORMAT",
]

log = logging.getLogger(__name__)

#: Format tag written in every model folder's ``metadata.json``. Version 2 added the
#: ``upper_quantile`` bin rule (``calibration.bin_rule``, ``memory_scale.npz``) and the linear
#: and average model kinds, which a version-1 reader would misread; version-1 folders load.
#: The optional ``upper_quantile_max`` rule (``calibration.bin_member_margins`` and the
#: ``memory_<kind>``/``memory_scale_<kind>`` models) came later within version 2: a reader
#: older than it loads such a folder and refuses to predict ("unknown bin rule").
MODEL_FORMAT = "spacekit.hst_cal/2"
_READABLE_FORMATS = ("spacekit.hst_cal/1", MODEL_FORMAT)
_TARGET_KEYS = ("bin", "memory", "wallclock")
_MMF_NAME = re.compile(r"^([A-Za-z0-9]{9})_MemModelFeatures\.txt$", re.IGNORECASE)


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
    raise DataNotFoundError(
        f"no hst_cal model folder at {p}: expected metadata.json there, in {p}/model, or in "
        f"{p}/hst_cal/<run>/model; train one with `spacekit cal train --data CSV --out DIR`"
    )


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


class CalPredictor:
    """Predicts memory bin, memory and wallclock of HST calibration jobs (numpy only).

    Build it with :func:`load_predictor`. ``metadata`` is the model folder's
    ``metadata.json``; ``models`` maps ``bin``/``memory``/``wallclock`` to exported models.

    Examples
    --------
    >>> pred = load_predictor(model_dir)  # doctest: +SKIP
    >>> text = "n_files=3\\ntotal_mb=2.2\\nDETECTOR=NUV"
    >>> pred.predict("la8p01010", text)["memBin"]  # doctest: +SKIP
    0
    """

    def __init__(self, metadata: dict, models: dict, *, model_dir: str | None = None):
        self.metadata = metadata
        self.models = models
        self.model_dir = model_dir
        cal = metadata["calibration"]
        self.bin_log_margin = float(cal["bin_log_margin"])
        self.memory_log_margin = float(cal["memory_log_margin"])
        self.wallclock_log_margin = float(cal["wallclock_log_margin"])
        # Imported upstream models carry no calibration targets (None) and upstream's rounding.
        self.under_bin_target = _float_or_none(cal["under_bin_target"])
        # Model folders of the first release carry no rule: theirs was "classifier_max".
        self.bin_rule = cal.get("bin_rule", "classifier_max")
        self.bin_member_margins = {
            k: float(v) for k, v in cal.get("bin_member_margins", {}).items()
        }
        self.wallclock_coverage = _float_or_none(cal["wallclock_coverage"])
        self.rounding = cal.get("rounding", "spacekit")
        # The cost rule (spacekit.skopes.hst.cal.cost), when the folder was calibrated for it;
        # "margins" (the calibrated margins above) for folders without one (and imported ones).
        self.cost_rule = cal.get("cost_rule")
        self.decision = cal.get("decision", "margins")
        self.transform_params = metadata["transform"]
        self.target_transforms = {
            k: metadata["models"][k].get("target_transform", "none") for k in _TARGET_KEYS
        }

    @property
    def kill_time_coverage(self) -> float:
        """Share of held-out jobs the kill time covers: ``1 - kill_ceiling`` under the cost rule
        (its calibration target, on the whole held-out set and on 80% of group resamples) and
        under ``argmax`` (which uses its kill time), ``wallclock_coverage`` under the margins."""
        if self.decision in ("cost", "argmax") and self.cost_rule:
            return round(1.0 - float(self.cost_rule["kill_ceiling"]), 6)
        return self.wallclock_coverage

    def _repr_html_(self) -> str | None:
        """Notebook view: model folder, metadata and metrics."""
        from ....utils.display import model_html

        return model_html(self)

    def __repr__(self) -> str:
        kinds = {k: self.metadata["models"][k]["kind"] for k in _TARGET_KEYS}
        return f"CalPredictor({self.model_dir!r}, models={kinds})"

    # -- core, vectorised ----------------------------------------------------
    def predict_arrays(self, X: Any) -> dict[str, np.ndarray]:
        """Predict from raw feature rows (n, 9) in :data:`FEATURES` order; arrays per output."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != len(FEATURES):
            raise InputError(
                f"expected raw features of shape (n, {len(FEATURES)}) in the order "
                f"{list(FEATURES)}, got {X.shape}"
            )
        # Every row is predicted (no deduplication: see predict_batch for that), 65,536 rows
        # at a time into preallocated outputs, so the intermediates stay bounded.
        n = X.shape[0]
        if n <= _ROWS_PER_PASS:
            return self._predict_rows(X)
        res: dict[str, np.ndarray] = {}
        for start in range(0, n, _ROWS_PER_PASS):
            part = self._predict_rows(X[start : start + _ROWS_PER_PASS])
            for key, v in part.items():
                if key not in res:
                    res[key] = np.empty((n,) + v.shape[1:], dtype=v.dtype)
                res[key][start : start + len(v)] = v
        return res

    def _predict_rows(self, X: np.ndarray) -> dict[str, np.ndarray]:
        Z = power_standardize(X, self.transform_params)
        out = raw_outputs(self.models, self.target_transforms, Z)
        res = apply_margins(
            out,
            self.bin_log_margin,
            self.memory_log_margin,
            self.wallclock_log_margin,
            bin_rule=self.bin_rule,
            member_margins=self.bin_member_margins,
        )
        res = _apply_decision(res, self.decision, self.cost_rule)
        if self.rounding == "upstream":  # upstream's kill time: int() of the regressor's output
            res["clock_time"] = np.trunc(res["wallclock"])
        return res

    def predict(self, ipst: str, features: Any) -> dict:
        """Predict one dataset: the calcloud contract plus details.

        Parameters
        ----------
        ipst : str
            The ipppssoot (instrument and association come from it).
        features : path, s3:// URL, text or dict
            Its MemModelFeatures (see :func:`read_features`).

        Returns
        -------
        dict
            calcloud's reply contract (see :mod:`~spacekit.skopes.hst.cal.handler`):
            ``memBin`` (the bin to submit, by the folder's decision rule: the cost rule's,
            :mod:`~spacekit.skopes.hst.cal.cost`, below ``memBinArgmax`` only when that is
            expected to cost 5% less; with ``decision="margins"`` the calibrated safe bin, never
            below ``memBinArgmax``; with ``decision="argmax"`` ``memBinArgmax`` itself),
            ``clockTime`` (what calcloud multiplies by ``1 + wc_std`` = 6: ``(killTime + 0.5) /
            6``, so calcloud's kill time is ``killTime``; not a wallclock estimate),
            ``killTime`` (s, the calibrated kill time covering ``killTimeCoverage`` of held-out
            jobs), ``wcStd`` (5), ``clockTimePred`` (s, wallclock point estimate),
            ``memVal`` (GB, point estimate), ``memUpper`` (GB), ``memBinArgmax``,
            ``memBinProba``, ``underBinTarget``, ``queueGB``, the parsed ``features`` and
            ``modelVersion``.
            A model imported from upstream spacekit (:mod:`spacekit.skopes.upstream`) answers
            as upstream did: ``memBin`` the most probable bin, ``memVal`` rounded to 2
            decimals, ``clockTime`` the wallclock estimate truncated (so calcloud's kill time is
            ``killTime = 6 * clockTime``, as with upstream); its ``underBinTarget`` and
            ``killTimeCoverage`` are None.
        """
        from .calcloud import DEFAULT_WC_STD, clock_time_for_kill

        name = check_ipppssoot(ipst)
        feats = read_features(name, features)
        row = np.array([[feats[k] for k in FEATURES]], dtype=np.float64)
        r = self.predict_arrays(row)
        b = int(r["mem_bin"][0])
        upstream = self.rounding == "upstream"  # np.round(memory, 2), int(wallclock)
        if upstream:  # upstream answered the wallclock estimate; calcloud kills at 6x it
            clock = int(r["clock_time"][0])
            kill = int(clock * (1 + DEFAULT_WC_STD))
        else:
            kill = int(r["clock_time"][0])
            clock = clock_time_for_kill(kill, wc_std=DEFAULT_WC_STD)
        memory = float(r["memory"][0])
        return {
            "ipst": name,
            "memBin": b,
            "memVal": float(np.round(memory, 2)) if upstream else round(memory, 4),
            "clockTime": clock,
            "killTime": kill,
            "killTimeCoverage": self.kill_time_coverage,
            "wcStd": DEFAULT_WC_STD,
            "clockTimePred": round(float(r["wallclock"][0]), 1),
            "memBinArgmax": int(r["bin_argmax"][0]),
            "memBinProba": [round(float(p), 6) for p in r["bin_proba"][0]],
            "memUpper": round(float(r["memory_upper"][0]), 4),
            "underBinTarget": self.under_bin_target,
            "queueGB": BIN_QUEUES_GB[b],
            "features": feats,
            "modelVersion": self.metadata.get("created"),
        }

    def predict_batch(self, df: Any, *, client: Any = None, npartitions: int | None = None):
        """Predict every row of a table in the training-data format (extra columns are fine).

        The table is read, checked and predicted 65,536 rows at a time into preallocated
        columns, so memory stays bounded (about 100 bytes per row for the result, plus the
        ``ipst`` strings). Within a piece, identical feature vectors are predicted once when
        that saves work (rows are hashed, linear in the rows; a piece whose rows are mostly
        distinct is predicted row by row). With ``client`` (a ``distributed.Client``) the
        pieces are predicted on the cluster, ``npartitions`` pieces at least.

        Returns
        -------
        pandas.DataFrame
            ``ipst`` (when present), ``memBin``, ``memVal``, ``clockTime`` (calcloud's input,
            see :meth:`predict`), ``killTime``, ``memBinArgmax``, ``memUpper``,
            ``clockTimePred`` and ``p0``..``p3``; one row per input row, with the
            input DataFrame's index (an empty table gives an empty frame with these columns).
        """
        import pandas as pd

        from .calcloud import DEFAULT_WC_STD
        from .features import prepare_table

        prepared = not isinstance(df, pd.DataFrame)
        if prepared:  # a path: read and check it whole
            df = prepare_table(df, require_targets=False)
        n = len(df)
        step = _ROWS_PER_PASS
        if client is not None:
            parts = npartitions or max(1, len(getattr(client, "ncores", lambda: {0: 1})()) * 2)
            step = max(1, min(step, -(-n // parts)))
        spans = [(a, min(a + step, n)) for a in range(0, n, step)] or [(0, 0)]
        n_bins = len(BIN_QUEUES_GB)
        cols = {
            "memBin": np.empty(n, dtype=np.int64),
            "memVal": np.empty(n),
            "clockTime": np.empty(n),
            "killTime": np.empty(n, dtype=np.int64),
            "memBinArgmax": np.empty(n, dtype=np.int64),
            "memUpper": np.empty(n),
            "clockTimePred": np.empty(n),
        } | {f"p{k}": np.empty(n) for k in range(n_bins)}
        ipst = np.empty(n, dtype=object) if "ipst" in df.columns else None

        def features(a: int, b: int) -> np.ndarray:
            table = df.iloc[a:b]
            if not prepared:
                table = prepare_table(table, require_targets=False, name=_piece_name(a, b, n))
            if ipst is not None:
                ipst[a:b] = table["ipst"].to_numpy()
            return table[list(FEATURES)].to_numpy(dtype=np.float64)

        def store(a: int, res: dict) -> None:
            b = a + len(res["mem_bin"])
            cols["memBin"][a:b] = res["mem_bin"]
            cols["memVal"][a:b] = res["memory"]
            kill = res["clock_time"].astype(np.int64)
            cols["clockTime"][a:b] = np.round((kill + 0.5) / (1.0 + DEFAULT_WC_STD), 3)
            cols["killTime"][a:b] = kill
            cols["memBinArgmax"][a:b] = res["bin_argmax"]
            cols["memUpper"][a:b] = res["memory_upper"]
            cols["clockTimePred"][a:b] = res["wallclock"]
            for k in range(n_bins):
                cols[f"p{k}"][a:b] = res["bin_proba"][:, k]

        if client is None:
            for a, b in spans:
                store(a, self._predict_unique(features(a, b)))
        else:  # any accepted client form (Client, LocalCluster, address): one dispatcher
            from ....utils.parallel import run_tasks

            pieces = [(features(a, b),) for a, b in spans]
            for (a, _), res in zip(
                spans, run_tasks(self._predict_unique, pieces, client=client), strict=True
            ):
                store(a, res)
        out = pd.DataFrame(index=df.index)
        if ipst is not None:
            out["ipst"] = ipst
            del ipst
        for key in list(cols):  # pandas copies each column in: let go of ours as we go
            out[key] = cols.pop(key)
        return out

    def _predict_unique(self, X: np.ndarray) -> dict[str, np.ndarray]:
        """Predict rows ``X``, each distinct row once when that saves work (exact)."""
        if len(X) == 0:
            return self.predict_arrays(np.zeros((0, len(FEATURES))))
        first, inverse = _distinct_rows(X)
        if first is None:
            return self.predict_arrays(X)
        res = self.predict_arrays(X[first])
        return {k: v[inverse] for k, v in res.items()}


_ROWS_PER_PASS = 65536


def _piece_name(a: int, b: int, n: int) -> str:
    return "(DataFrame)" if (a, b) == (0, n) else f"(DataFrame rows {a}-{b - 1})"


def _distinct_rows(X: np.ndarray, max_share: float = 0.8):
    """Rows ``X[first]`` that are distinct, and ``inverse`` with ``X[first][inverse] == X``.

    Rows are hashed (their float64 bit patterns mixed into one 64-bit key) and the keys
    numbered with a hash table (``pandas.factorize``): linear in the rows, no sort. The
    result is then checked row for row, so a hash collision can cost time, never a wrong
    answer. Returns ``(None, None)`` when more than ``max_share`` of the rows are distinct
    (deduplicating would not pay) or a collision is found.
    """
    import pandas as pd

    bits = np.ascontiguousarray(X, dtype=np.float64).view(np.uint64)
    key = np.zeros(len(bits), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(bits.shape[1]):
            key ^= bits[:, j]
            key *= np.uint64(0x9E3779B97F4A7C15)  # odd multiplier (golden ratio), wraps
            key ^= key >> np.uint64(29)
    inverse, uniques = pd.factorize(key)
    if len(uniques) > max_share * len(X):
        return None, None
    first = np.empty(len(uniques), dtype=np.intp)
    first[inverse] = np.arange(len(X))  # a row of each key (any: all are checked below)
    if not np.array_equal(bits[first][inverse], bits):
        return None, None
    return first, inverse


def raw_outputs(models: dict, target_transforms: dict, Z: np.ndarray) -> dict[str, np.ndarray]:
    """Point predictions of the three exported models on standardised features ``Z``.

    With a ``memory_scale`` model (the typical log-memory error of a feature vector, used by
    the ``upper_quantile`` bin rule) its output is returned as ``memory_scale``; the members of
    the ``upper_quantile_max`` rule (models ``memory_<kind>`` and ``memory_scale_<kind>``) as
    ``memory_<kind>`` (GB) and ``memory_scale_<kind>``. When all three
    are networks they are evaluated together by
    :func:`~spacekit.skopes.hst.cal.export.predict_dense` (one pass over the rows, first
    layers fused).
    """
    keys = ("bin", "memory", "wallclock")
    if all(isinstance(models[k], DenseNetwork) for k in keys):
        preds = dict(zip(keys, predict_dense([models[k] for k in keys], Z), strict=True))
    else:
        preds = {k: models[k].predict(Z) for k in keys}
    p = np.asarray(preds["bin"], dtype=np.float64)
    classes = getattr(models["bin"], "classes", None)
    proba = np.zeros((Z.shape[0], len(BIN_QUEUES_GB)))
    if classes is not None and p.shape[1] == len(classes):
        proba[:, np.asarray(classes, dtype=int)] = p
    else:
        proba[:, : p.shape[1]] = p
    out = {"bin_proba": proba}
    for key in ("memory", "wallclock"):
        y = np.asarray(preds[key], dtype=np.float64).reshape(-1)
        if target_transforms.get(key) == "log":
            y = np.exp(y)
        out[key] = np.maximum(y, 1e-6)
    if models.get("memory_scale") is not None:
        out["memory_scale"] = np.asarray(
            models["memory_scale"].predict(Z), dtype=np.float64
        ).reshape(-1)
    for name, model in models.items():
        if name.startswith("memory_scale_"):
            out[name] = np.asarray(model.predict(Z), dtype=np.float64).reshape(-1)
        elif name.startswith("memory_") and name != "memory_scale":  # a member: log memory
            out[name] = np.maximum(
                np.exp(np.asarray(model.predict(Z), dtype=np.float64).reshape(-1)), 1e-6
            )
    return out


def apply_margins(
    out: dict,
    bin_margin: float,
    mem_margin: float,
    wall_margin: float,
    *,
    bin_rule: str = "classifier_max",
    member_margins: dict | None = None,
) -> dict:
    """Add the safe bin, memory upper bound and kill time to raw point predictions.

    The safe bin (``bin_rule="upper_quantile"``, what :func:`~.pipeline.train` calibrates by
    default) is the bin of the calibrated upper quantile ``memory * exp(bin_margin * scale)``,
    ``scale`` being ``out["memory_scale"]`` (the typical held-out log error of that feature vector);
    with ``"classifier"`` (upstream spacekit's rule, for its imported models) the classifier's most
    probable bin, no margin; with ``"upper_quantile_max"`` the largest of that bin and, for each
    ``kind`` of ``member_margins``, the bin of ``out["memory_<kind>"] * exp(member_margins[kind] *
    out["memory_scale_<kind>"])`` (other memory models, each calibrated alone); with
    ``"classifier_max"`` (the first release's rule) it is the larger of the classifier's most
    probable bin and the bin of ``memory * exp(bin_margin)``. Whatever the rule, the submitted bin
    ``mem_bin`` is never below the classifier's most probable bin ``bin_argmax`` (a margin that
    lowers a bin is not a safety margin); ``rule_bin`` is the rule's own bin before that floor. The
    memory upper bound is ``memory * exp(mem_margin)``; the kill time is ``ceil(wallclock *
    exp(wall_margin))``. The margins are calibrated on held-out groups by
    :func:`~spacekit.skopes.hst.cal.pipeline.fit_pipeline`.

    Examples
    --------
    >>> r = apply_margins({"bin_proba": np.array([[0.9, 0.1, 0, 0]]), "memory": np.array([1.5]),
    ...                    "wallclock": np.array([100.0])}, 0.2, 0.5, 1.0)
    >>> int(r["mem_bin"][0]), int(r["bin_argmax"][0]), int(r["clock_time"][0])
    (1, 0, 272)
    """
    from .features import memory_to_bin

    proba = out["bin_proba"]
    res = dict(out)
    res["bin_argmax"] = np.argmax(proba, axis=1)
    if bin_rule == "classifier":  # upstream spacekit's rule: the most probable bin, no margin
        res["mem_bin"] = res["bin_argmax"].copy()
    elif bin_rule in ("upper_quantile", "upper_quantile_max"):
        if "memory_scale" not in out:
            raise ModelLoadError(
                f"bin rule {bin_rule!r} needs the memory_scale model's output; the model folder "
                "lacks memory_scale.npz: re-train it"
            )
        res["mem_bin"] = memory_to_bin(out["memory"] * np.exp(bin_margin * out["memory_scale"]))
        if bin_rule == "upper_quantile_max":
            if not member_margins:
                raise ModelLoadError(
                    "bin rule 'upper_quantile_max' needs calibration.bin_member_margins (one "
                    "margin per member memory model), found none: re-train the model folder"
                )
            for kind, margin in member_margins.items():
                if f"memory_{kind}" not in out or f"memory_scale_{kind}" not in out:
                    raise ModelLoadError(
                        f"bin rule 'upper_quantile_max' needs the outputs of models memory_{kind} "
                        f"and memory_scale_{kind}; the model folder lacks memory_{kind}.npz or "
                        f"memory_scale_{kind}.npz: re-train it"
                    )
                member_bin = memory_to_bin(
                    out[f"memory_{kind}"] * np.exp(margin * out[f"memory_scale_{kind}"])
                )
                res["mem_bin"] = np.maximum(res["mem_bin"], member_bin)
    elif bin_rule == "classifier_max":
        res["mem_bin"] = np.maximum(
            res["bin_argmax"], memory_to_bin(out["memory"] * math.exp(bin_margin))
        )
    else:
        raise ModelLoadError(
            f"unknown bin rule {bin_rule!r}; expected 'upper_quantile', 'upper_quantile_max', "
            "'classifier_max' or 'classifier'"
        )
    # Interim rule (until the cost-optimal decision replaces it): a safety margin never lowers
    # the bin below the classifier's most probable one. ``rule_bin`` keeps the rule's own bin.
    res["rule_bin"] = res["mem_bin"]
    res["mem_bin"] = np.maximum(res["mem_bin"], res["bin_argmax"])
    res["memory_upper"] = out["memory"] * math.exp(mem_margin)
    res["clock_time"] = np.ceil(out["wallclock"] * math.exp(wall_margin))
    return res


#: Decision rules of :attr:`CalPredictor.decision`: ``"cost"`` (bin and kill time minimising the
#: expected GB-hours under the ceilings, :mod:`~spacekit.skopes.hst.cal.cost`), ``"margins"``
#: (the calibrated safety margins of :func:`apply_margins`) or ``"argmax"`` (the classifier's
#: most probable bin, no margin, with the calibrated kill time: the cost rule's where the folder
#: has one, else the margins').
DECISIONS = ("cost", "margins", "argmax")


def check_decision(decision: str) -> str:
    """``decision`` when it names a rule of :data:`DECISIONS`, else an :class:`InputError`.

    Examples
    --------
    >>> check_decision("argmax")
    'argmax'
    """
    if decision not in DECISIONS:
        raise InputError(
            f"decision must be one of {list(DECISIONS)}, got {decision!r}: 'cost' (least "
            "expected GB-hours under the retry and kill ceilings), 'margins' (calibrated safety "
            "margins) or 'argmax' (the classifier's most probable bin)"
        )
    return decision


def _apply_decision(res: dict, decision: str, cost_rule: dict | None) -> dict:
    """Replace the margins' ``mem_bin`` and ``clock_time`` by the decision rule's."""
    check_decision(decision)
    if decision == "margins":
        return res
    if decision == "argmax":
        res["mem_bin"] = res["bin_argmax"].copy()
        if cost_rule:  # the cost rule's calibrated kill time (the margins' otherwise)
            from .cost import cost_decisions

            res["clock_time"] = cost_decisions(res, cost_rule)["clock_time"]
        return res
    if not cost_rule:
        raise ModelLoadError(
            "decision 'cost' needs calibration.cost_rule in the model folder's metadata.json, "
            "found none (the folder predates the cost rule): re-train it, or set "
            "predictor.decision = 'margins'"
        )
    from .cost import cost_decisions

    res.update(cost_decisions(res, cost_rule))
    return res


def load_predictor(
    model_dir: str | os.PathLike | None = None, *, decision: str | None = None
) -> CalPredictor:
    """Load a model folder written by :func:`~spacekit.skopes.hst.cal.train` (reads only).

    Parameters
    ----------
    model_dir : path, optional
        A model folder, a run folder holding ``model/``, or a runs folder (newest hst_cal
        run). Default: ``$SPACEKIT_HST_CAL_MODEL_DIR``, else ``<conf.model_dir>/hst_cal`` when
        it exists, else the default model shipped in the package
        (:data:`~.default_model.DEFAULT_MODEL_DIR`) when it holds one.
    decision : {"cost", "margins", "argmax"}, optional
        The decision rule for ``memBin`` and the kill time (:data:`DECISIONS`); default the
        folder's own (``calibration.decision``). ``"cost"`` needs a folder calibrated for it.

    Examples
    --------
    >>> pred = load_predictor("models/hst_cal")  # doctest: +SKIP
    >>> load_predictor("models/hst_cal", decision="argmax").decision  # doctest: +SKIP
    'argmax'
    """
    if decision is not None:
        check_decision(decision)
    if model_dir is None:
        model_dir = os.environ.get("SPACEKIT_HST_CAL_MODEL_DIR")
    if not model_dir:
        from ....config import conf
        from .default_model import DEFAULT_MODEL_DIR

        base = conf.model_dir or (Path(conf.cache_dir or "~/.cache/spacekit") / "models")
        model_dir = Path(base) / "hst_cal"
        if not model_dir.exists() and (DEFAULT_MODEL_DIR / "metadata.json").is_file():
            model_dir = DEFAULT_MODEL_DIR
    folder = resolve_model_dir(model_dir)
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
    try:
        predictor = CalPredictor(meta, models, model_dir=str(folder))
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelLoadError(
            f"{folder}/metadata.json lacks or mangles {exc} (expected the transform and the "
            "calibrated "
            "margins bin_log_margin, memory_log_margin, wallclock_log_margin, under_bin_target, "
            "wallclock_coverage); the metadata is incomplete: copy the folder again or re-train it"
        ) from None
    if decision is not None:
        if decision == "cost" and not predictor.cost_rule:
            raise ModelLoadError(
                f"decision 'cost' needs calibration.cost_rule in {folder}/metadata.json, found "
                "none (the folder predates the cost rule or was imported): re-train it, or use "
                "decision 'margins' or 'argmax'"
            )
        predictor.decision = decision
    return predictor


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


def lambda_handler(event: Any, context: Any = None) -> dict:
    """AWS Lambda entry point: :func:`spacekit.skopes.hst.cal.handler.lambda_handler`.

    Kept here because upstream spacekit's Lambda images name
    ``spacekit.skopes.hst.cal.predict.lambda_handler``. It never raises: every event gets a
    reply calcloud can schedule (see :mod:`~spacekit.skopes.hst.cal.handler`).

    Examples
    --------
    >>> lambda_handler([])["failSafe"]
    True
    """
    from .handler import lambda_handler as handle

    return handle(event, context)


def _predict_chunk(predictor: CalPredictor, items: list) -> list:
    return [predictor.predict(ipst, src) for ipst, src in items]


def predict_many(
    items: Iterable[tuple[str, Any]] | Mapping[str, Any],
    model: CalPredictor | str | os.PathLike | None = None,
    *,
    client: Any = None,
    chunk_size: int = 64,
) -> list[dict]:
    """Predict many datasets (each a MemModelFeatures source) on Dask.

    Parameters
    ----------
    items : iterable of (ipst, features) or mapping ipst -> features
        Features as accepted by :meth:`CalPredictor.predict` (paths, s3:// URLs, text, dicts).
    model : CalPredictor or model folder
        Default: :func:`load_predictor`'s default.
    client : distributed.Client, distributed.LocalCluster or str, optional
        Run on this cluster (a scheduler address is accepted too); default: Dask's in-process
        threaded scheduler.
    chunk_size : int
        Datasets per task.

    Returns
    -------
    list of dict
        One prediction per item, in order.

    Examples
    --------
    >>> items = {"la8p01010": "n_files=3\\ntotal_mb=2\\nDETECTOR=NUV"}
    >>> predict_many(items, "model/")  # doctest: +SKIP
    """
    from ....utils.parallel import run_tasks

    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise InputError(
            "predict_many: chunk_size must be a positive number of datasets per task, got "
            f"{chunk_size!r}"
        )
    if isinstance(items, Mapping):
        pairs = list(items.items())
    else:
        pairs = []
        for i, item in enumerate(items):
            pair = (
                ()
                if isinstance(item, (str, bytes, os.PathLike)) or not isinstance(item, Iterable)
                else tuple(item)
            )
            if len(pair) != 2:  # a bare path or text would be unpacked character by character
                raise InputError(
                    f"predict_many: item {i} is {item!r}; expected (ipst, features) pairs or a "
                    "mapping ipst -> features, e.g. {p.name[:9]: p for p in paths}"
                )
            pairs.append(pair)
    predictor = model if isinstance(model, CalPredictor) else load_predictor(model)
    chunks = [pairs[i : i + chunk_size] for i in range(0, len(pairs), chunk_size)]
    results = run_tasks(_predict_chunk, [(predictor, c) for c in chunks], client=client)
    return [r for chunk in results for r in chunk]


# The app contract's ``cal.predict(model, data)``: Python also makes this module the package
# attribute ``predict``, so the module calls spacekit.skopes.hst.cal.app.predict (the same
# mechanism as upstream's module paths, spacekit.skopes._upstream.keep_callable).
from ... import _upstream  # noqa: E402

_upstream.keep_callable(__name__, "spacekit.skopes.hst.cal.app", "predict")


if __name__ == "__main__":  # upstream spacekit's entry point, deprecated
    from ... import _upstream

    _upstream.deprecated_entry(
        "spacekit.skopes.hst.cal.predict",
        _upstream.hst_cal_predict_argv(sys.argv[1:]),
        "spacekit cal predict [--model DIR] <ipst>_MemModelFeatures.txt",
    )

"""Serving: load a model folder and predict with numpy alone.

:class:`CalPredictor` turns a MemModelFeatures file (local path, ``s3://`` URL, its text, or a
dict) and the ipppssoot into the calcloud contract ``{"memBin", "memVal", "clockTime"}`` plus
the details (argmax bin, bin probabilities, memory upper bound, wallclock point estimate,
calibrated kill time); ``clockTime`` is what calcloud multiplies into its kill time (see
:mod:`~spacekit.skopes.hst.cal.handler`).
Nothing here imports TensorFlow or scikit-learn; S3 reads go through :mod:`spacekit.radio`.

The parts, each in its module and re-exported here (import them from here):
:mod:`~spacekit.skopes.hst.cal.sources` reads a dataset's features (:func:`read_features`),
:mod:`~spacekit.skopes.hst.cal.folder` finds and checks a model folder
(:func:`resolve_model_dir`, :data:`MODEL_FORMAT`), and
:mod:`~spacekit.skopes.hst.cal.decision` turns the models' outputs into the bin and kill time
(:func:`raw_outputs`, :func:`apply_margins`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ....exceptions import InputError, ModelLoadError
from ....transformer.power import power_standardize
from .decision import (
    DECISIONS,  # noqa: F401  (re-exported: its import path before the cut)
    _apply_decision,
    apply_margins,
    check_decision,
    raw_outputs,
)
from .features import BIN_QUEUES_GB, FEATURES, check_ipppssoot
from .folder import _TARGET_KEYS, MODEL_FORMAT, _read_model_folder, resolve_model_dir
from .history import history_jobs
from .sources import read_features

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


class CalPredictor:
    """Predicts memory bin, memory and wallclock of HST calibration jobs (numpy only).

    Build it with :func:`load_predictor`. ``metadata`` is the model folder's
    ``metadata.json``; ``models`` maps ``bin``/``memory``/``wallclock`` to exported models.

    Parameters
    ----------
    metadata : dict
        The model folder's ``metadata.json``.
    models : dict
        ``bin``/``memory``/``wallclock`` → exported model.
    model_dir : str, optional
        The folder it was loaded from.

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
        #: Bins finished jobs of the same inputs needed (a JobHistory): the cost rule then
        #: decides on the posterior (spacekit.skopes.hst.cal.history). None: the model alone.
        self.history = None
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
        """Predict from raw feature rows (n, 9) in :data:`FEATURES` order; arrays per output.

        Parameters
        ----------
        X : array-like
            Raw feature rows, shape (n, 9).

        Returns
        -------
        dict
            Output name → array of n values.
        """
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
        known = None
        if self.history is not None and self.decision == "cost" and self.cost_rule:
            known = self.history.known(X)
        res = _apply_decision(res, self.decision, self.cost_rule, known)
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
            ``memBinProba``, ``underBinTarget``, ``queueGB``, the parsed ``features``,
            ``modelVersion`` and ``historyJobs`` (finished jobs of this input in
            :attr:`history`, None without one).
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
            "historyJobs": history_jobs(self, row),
        }

    def predict_batch(self, df: Any, *, client: Any = None, npartitions: int | None = None):
        """Predict every row of a table in the training-data format (extra columns are fine).

        The table is read, checked and predicted 65,536 rows at a time into preallocated
        columns, so memory stays bounded (about 100 bytes per row for the result, plus the
        ``ipst`` strings). Within a piece, identical feature vectors are predicted once when
        that saves work: a random sample of 4,096 rows decides whether it can, and only then
        are all rows hashed (linear in the rows); a piece whose rows are mostly distinct is
        predicted row by row. Either way the results are the same. With ``client`` (a
        ``distributed.Client``) the pieces are predicted on the cluster, ``npartitions`` pieces
        at least.

        Parameters
        ----------
        df : pandas.DataFrame or path
            The jobs.
        client : distributed.Client, optional
            Predict the pieces on this cluster.
        npartitions : int, optional
            Least number of pieces on a cluster.

        Returns
        -------
        pandas.DataFrame
            ``ipst`` (when present), ``memBin``, ``memVal``, ``clockTime`` (calcloud's input,
            see :meth:`predict`), ``killTime``, ``memBinArgmax``, ``memUpper``,
            ``clockTimePred`` and ``p0``..``p3``; one row per input row, with the
            input DataFrame's index (an empty table gives an empty frame with these columns);
            the values :meth:`predict` gives (also for a model imported from upstream).
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

        upstream = self.rounding == "upstream"  # as predict(): upstream's own answers

        def store(a: int, res: dict) -> None:
            b = a + len(res["mem_bin"])
            cols["memBin"][a:b] = res["mem_bin"]
            cols["memVal"][a:b] = np.round(res["memory"], 2) if upstream else res["memory"]
            clock_or_kill = res["clock_time"].astype(np.int64)
            if upstream:  # upstream's truncated estimate; calcloud kills at 6x it
                cols["clockTime"][a:b] = clock_or_kill
                cols["killTime"][a:b] = clock_or_kill * int(1 + DEFAULT_WC_STD)
            else:
                cols["clockTime"][a:b] = np.round((clock_or_kill + 0.5) / (1 + DEFAULT_WC_STD), 3)
                cols["killTime"][a:b] = clock_or_kill
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


#: Rows sampled to decide whether hashing a whole piece can pay (pieces up to twice as many
#: rows are hashed whole).
_SAMPLE_ROWS = 4096


def _row_keys(bits: np.ndarray) -> np.ndarray:
    """One 64-bit key per row of ``bits`` (float64 rows viewed as uint64), mixing every column."""
    key = np.zeros(len(bits), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(bits.shape[1]):
            key ^= bits[:, j]
            key *= np.uint64(0x9E3779B97F4A7C15)  # odd multiplier (golden ratio), wraps
            key ^= key >> np.uint64(29)
    return key


def _dedup_may_pay(bits: np.ndarray, max_share: float) -> bool:
    """Whether a random sample of the rows suggests that deduplicating them all can pay.

    Each pair of identical rows of the piece lands in a sample of ``s`` of its ``n`` rows with
    probability ``s (s - 1) / (n (n - 1))``, so the identical pairs seen in the sample, scaled
    up by its inverse, estimate the piece's identical pairs. Deduplication removes at most as
    many rows as there are identical pairs (``m - 1 <= m (m - 1) / 2`` rows for a vector
    repeated ``m`` times), so when the estimate is under ``(1 - max_share) n`` the piece is
    mostly distinct and hashing it whole would not pay. Mostly distinct rows never show
    duplicates in the sample; heavily repeated ones (the real table: 803 vectors in 29,191
    rows) show many. The sample is drawn with a fixed seed, so the decision is reproducible;
    either way the results are the same, only the time differs.
    """
    n = len(bits)
    if n <= 2 * _SAMPLE_ROWS:
        return True  # sampling would cost about as much as hashing everything
    rows = np.random.default_rng(0).choice(n, _SAMPLE_ROWS, replace=False)
    s = len(rows)
    _, counts = np.unique(_row_keys(bits[rows]), return_counts=True)
    pairs = float(np.sum(counts * (counts - 1) // 2))
    return pairs * (n * (n - 1)) / (s * (s - 1)) >= (1.0 - max_share) * n


def _distinct_rows(X: np.ndarray, max_share: float = 0.8):
    """Rows ``X[first]`` that are distinct, and ``inverse`` with ``X[first][inverse] == X``.

    A random sample of the rows decides first whether deduplication can pay
    (:func:`_dedup_may_pay`); only then are all rows hashed (their float64 bit patterns mixed
    into one 64-bit key) and the keys numbered with a hash table (``pandas.factorize``):
    linear in the rows, no sort. The result is then checked row for row, so a hash collision
    can cost time, never a wrong answer. Returns ``(None, None)`` when the sample says the
    rows are mostly distinct, when more than ``max_share`` of the rows are distinct
    (deduplicating would not pay) or when a collision is found.
    """
    import pandas as pd

    bits = np.ascontiguousarray(X, dtype=np.float64).view(np.uint64)
    if not _dedup_may_pay(bits, max_share):
        return None, None
    inverse, uniques = pd.factorize(_row_keys(bits))
    if len(uniques) > max_share * len(X):
        return None, None
    first = np.empty(len(uniques), dtype=np.intp)
    first[inverse] = np.arange(len(X))  # a row of each key (any: all are checked below)
    if not np.array_equal(bits[first][inverse], bits):
        return None, None
    return first, inverse


def load_predictor(
    model_dir: str | os.PathLike | None = None,
    *,
    decision: str | None = None,
    history: Any = None,
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
    history : JobHistory or path, optional
        The bins finished jobs of the same inputs needed
        (:class:`~spacekit.skopes.hst.cal.history.JobHistory` or the file its ``save`` wrote):
        the cost rule then decides on the posterior (``predictor.history`` sets it later).

    Returns
    -------
    CalPredictor
        The loaded predictor.

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
    meta, models = _read_model_folder(folder)
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
    if history is not None:
        from .history import load_history

        predictor.history = load_history(history)
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
from ....utils.upstream_api import upstream_getattr  # noqa: E402
from ... import _upstream  # noqa: E402

_upstream.keep_callable(__name__, "spacekit.skopes.hst.cal.app", "predict")

# upstream spacekit 1.1.4's names of this module say what to use (docs/upstream.rst)
__getattr__ = upstream_getattr(__name__)

if __name__ == "__main__":  # upstream's entry point, deprecated: `spacekit legacy-entry` runs it
    os.execv(*_upstream.legacy_entry("spacekit.skopes.hst.cal.predict"))

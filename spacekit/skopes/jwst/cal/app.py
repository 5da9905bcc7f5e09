"""The app contract of the JWST Level-3 memory model (see :mod:`spacekit.skopes`): train,
cross-validate, score, predict, predict_batch and load_model.

``data`` is a products table (a path, a DataFrame or a registered dataset name; one row per
product with a ``kind`` column, the features of :data:`IMAGE_FEATURES` / :data:`SPEC_FEATURES`
and, to train or score, the measured memory in GB) or, to predict, a folder of uncal
exposures (scraped and grouped into products first).

Examples
--------
Train on made-up products (:func:`example_products`; a real model needs your own table of
products with measured memory), then predict two of them (a folder of uncal exposures works
the same way, see :mod:`spacekit.skopes.jwst.cal.model`):

>>> products = example_products(40)
>>> run = train(products, runs_dir="runs", fast=True)
>>> predict(run, products.head(2))[["product", "kind"]]
                   product   kind
0  jw90000-o001_t1_example   SPEC
1  jw90001-o001_t1_example  IMAGE
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ....exceptions import InputError, SchemaError
from ....utils.deprecation import warn_deprecated
from ....utils.runs import Run, tracks_runs
from ... import _app
from . import model as _model
from .model import APP, MAX_GB, JwstMemoryModel

__all__ = [*_app.CONTRACT, "example_products"]

log = logging.getLogger(__name__)

#: What the dashboard and reports show first (keys of :func:`score`).
HEADLINE_METRICS = ("rmse_gb", "mae_gb", "r2")
_TARGET = "imgsize_gb"


@tracks_runs  # the run folder ends complete, failed or interrupted
def train(
    data: Any,
    *,
    runs_dir: str | os.PathLike | None = None,
    name: str | None = None,
    seed: int = 0,
    fast: bool = False,
    progress: bool | None = None,
    target: str = _TARGET,
    max_gb: float = MAX_GB,
    test_size: float = 0.2,
    encoder_pairs: Any = None,
) -> Run:
    """Train the IMAGE and SPEC memory regressors from a table of products; write a run.

    Parameters
    ----------
    data : path, DataFrame or registered dataset name
        One row per product (see the module docstring) with the measured memory ``target``.
    runs_dir : path, optional
        Parent of run folders (default ``conf.runs_dir``).
    name : str, optional
        Run name (default ``"train"``).
    seed : int
        Seed of the split and the trees.
    fast : bool
        Few trees (tests, smoke runs).
    progress : bool, optional
        Accepted for the contract (training is a few seconds; no bar is shown).
    target, max_gb, test_size, encoder_pairs
        See :func:`spacekit.skopes.jwst.cal.model.train`.

    Returns
    -------
    Run
        With ``model/`` (loads with :func:`load_model`), ``metrics.json``,
        ``predictions.csv`` (held-out products) and their residuals against the measured
        memory (``figures/residuals_memory.png``, ``evaluation.json``).

    Examples
    --------
    >>> products = example_products(40)  # made up: use your own measured products
    >>> run = train(products, runs_dir="runs", fast=True)
    >>> run.path.parent.name, sorted(run.model_dir.glob("*.skops"))[0].name
    ('jwst_cal', 'image.skops')
    """
    return _model.train(
        data,
        target=target,
        runs_dir=runs_dir,
        max_gb=max_gb,
        seed=seed,
        fast=fast,
        test_size=test_size,
        encoder_pairs=encoder_pairs,
        name=name or "train",
    )


def _labelled(data: Any, target: str) -> pd.DataFrame:
    table = _model._read_table(data)
    for col in (target, "kind"):
        if col not in table.columns:
            raise SchemaError(
                f"scoring needs a {col!r} column (the measured memory in GB, and IMAGE/SPEC); "
                f"found {list(table.columns)[:12]}"
            )
    table[target] = pd.to_numeric(table[target], errors="coerce")
    measured = np.isfinite(table[target].astype(float))
    if not measured.all():  # scored without them, but said: n alone hides it
        log.warning(
            "%d of %d products have no measured %r (missing or not a number): they are left "
            "out of the scores",
            int((~measured).sum()),
            len(table),
            target,
        )
    return table[measured].reset_index(drop=True)


def _regression(y: np.ndarray, pred: np.ndarray) -> dict[str, Any]:
    from ....computer.metrics import regression_metrics

    m = regression_metrics(y, pred)
    return {"rmse_gb": m["rmse"], "mae_gb": m["mae"], "r2": m["r2"], "n": int(len(y))}


@tracks_runs  # the run folder ends complete, failed or interrupted
def cross_validate(
    data: Any,
    *,
    n_splits: int = 5,
    n_repeats: int = 3,
    seed: int = 0,
    runs_dir: str | os.PathLike | None = None,
    target: str = _TARGET,
    fast: bool = False,
    max_gb: float = MAX_GB,
    encoder_pairs: Any = None,
    name: str | None = None,
) -> Run:
    """Repeated grouped k-fold cross-validation (products with identical features stay on one
    side); a run folder with the mean, worst and per-fold RMSE/MAE/R² in GB.

    Parameters
    ----------
    data : path, DataFrame or registered dataset name
        A products table with measured memory.
    n_splits, n_repeats : int
        Folds per repeat, and repeats (each with another shuffle of the groups).
    seed : int
        Seed of the folds and the trees.
    runs_dir : path, optional
        Parent of run folders.
    target, fast, max_gb, encoder_pairs, name
        As for :func:`train`.

    Returns
    -------
    Run
        ``metrics.json``, ``predictions.csv`` (out-of-fold, first repeat) and their residuals
        (``figures/residuals_memory.png``, ``evaluation.json``).

    Examples
    --------
    >>> cv = cross_validate(example_products(40), n_splits=2, n_repeats=1, fast=True,
    ...                     runs_dir="runs")
    >>> cv.metrics["n_folds"], "rmse_gb_worst" in cv.metrics
    (2, True)
    """
    from ....utils.checks import whole_number
    from .encode import load_encoder_pairs

    n_splits = whole_number(n_splits, "n_splits", minimum=2)
    n_repeats = whole_number(n_repeats, "n_repeats", minimum=1)
    table = _labelled(data, target)
    kinds = table["kind"].astype(str).str.upper()
    feats = [c for c in table.columns if c not in (target, "product")]
    groups = pd.util.hash_pandas_object(table[feats], index=False).to_numpy()
    unique = np.unique(groups)
    if len(unique) < n_splits:
        raise InputError(
            f"cross-validation needs at least n_splits={n_splits} distinct products; the table "
            f"has {len(unique)}. Lower n_splits or add products"
        )
    pairs = load_encoder_pairs(encoder_pairs)
    y = table[target].to_numpy(float)
    folds, oof = [], np.full(len(table), np.nan)
    for r in range(n_repeats):
        order = np.random.default_rng(seed + r).permutation(unique)
        fold_of = {g: i % n_splits for i, g in enumerate(order)}
        assign = np.array([fold_of[g] for g in groups])
        for k in range(n_splits):
            te, tr = assign == k, assign != k
            if len(set(kinds[tr])) < len(set(kinds[te]) | set(kinds[tr])):
                continue  # a kind absent from training cannot be scored in this fold
            m = JwstMemoryModel(max_gb=max_gb, fast=fast, seed=seed, encoder_pairs=pairs)
            m.fit(table[tr], y[tr])
            p = m.predict(table[te])
            folds.append({"repeat": r, "fold": k, **_regression(y[te], p)})
            if r == 0:
                oof[te] = p
    if not folds:
        raise InputError("no fold could be scored: every kind needs products on both sides")
    rmse = np.array([f["rmse_gb"] for f in folds])
    metrics = {
        "rmse_gb": float(rmse.mean()),
        "rmse_gb_worst": float(rmse.max()),
        "mae_gb": float(np.mean([f["mae_gb"] for f in folds])),
        "r2": float(np.nanmean([np.nan if f["r2"] is None else f["r2"] for f in folds])),
        "n_folds": len(folds),
        "folds": folds,
    }
    run = Run.create(
        APP,
        name or "cv",
        runs_dir=runs_dir,
        parameters={"n_splits": n_splits, "n_repeats": n_repeats, "fast": fast, "target": target},
        seed=seed,
        data_sha256=_model._data_sha256(data),
    )
    run.write_metrics(metrics)
    done = np.isfinite(oof)
    run.write_predictions(
        pd.DataFrame(
            {
                "product": table["product"][done] if "product" in table else np.flatnonzero(done),
                "kind": kinds[done].to_numpy(),
                "gbSize": oof[done],
                "true_gb": y[done],
            }
        )
    )
    _model._report(run, y[done], oof[done], title="out-of-fold products:")
    return run


def load_model(path_or_run: Any = None) -> JwstMemoryModel:
    """Load a JWST memory model: a model folder, a run folder (or :class:`Run`), or a runs
    folder (its newest complete ``jwst_cal`` model); by default ``<conf.model_dir>/jwst_cal``
    (spacekit ships no JWST model: train one).

    Parameters
    ----------
    path_or_run : path, Run or model, optional
        A model folder, a run folder (or :class:`~spacekit.utils.runs.Run`), a runs folder
        (its newest complete model), or an already loaded model (returned as it is).

    Returns
    -------
    JwstMemoryModel
        The fitted model.

    Examples
    --------
    >>> products = example_products(40)  # made up: use your own measured products
    >>> run = train(products, runs_dir="runs", fast=True)
    >>> load_model("runs").models_.keys()  # the newest jwst_cal model under runs/
    dict_keys(['IMAGE', 'SPEC'])
    """
    if isinstance(path_or_run, JwstMemoryModel):
        return path_or_run
    default = None
    if path_or_run is None:
        from ....config import conf

        default = Path(conf.model_dir) / APP if conf.model_dir else None
    return JwstMemoryModel.load(_app.model_folder(path_or_run, APP, default=default))


def score(model: Any, data: Any, *, target: str = _TARGET) -> dict[str, Any]:
    """RMSE, MAE (GB) and R² of a trained model on products with measured memory, overall and
    per kind (``by_kind``).

    Parameters
    ----------
    model : JwstMemoryModel, Run or path
        A loaded model, or anything :func:`load_model` accepts.
    data : path, DataFrame or registered dataset name
        Products with their measured memory (the ``target`` column, in GB); products without
        a measurement are left out, with a logged warning saying how many.
    target : str
        The column of measured memory.

    Returns
    -------
    dict
        ``rmse_gb``, ``mae_gb``, ``r2``, ``n`` and ``by_kind`` (the same per kind).

    Examples
    --------
    >>> products = example_products(40)  # made up: use your own measured products
    >>> run = train(products, runs_dir="runs", fast=True)
    >>> scores = score(run, products)
    >>> list(scores)[:4], sorted(scores["by_kind"])
    (['rmse_gb', 'mae_gb', 'r2', 'n'], ['IMAGE', 'SPEC'])
    """
    m = load_model(model)
    table = _labelled(data, target)
    _check_ranges(m, table)
    y = table[target].to_numpy(float)
    pred = m.predict(table)
    kinds = table["kind"].astype(str).str.upper().to_numpy()
    return {
        **_regression(y, pred),
        "by_kind": {k: _regression(y[kinds == k], pred[kinds == k]) for k in sorted(set(kinds))},
    }


def _check_ranges(model: JwstMemoryModel, table: pd.DataFrame) -> list[str] | None:
    return _app.check_model_ranges(model, table, APP, encode=model.encoded)


def _products(data: Any, definition: str = "spacekit") -> pd.DataFrame:
    """A products table from a table (path, DataFrame, dataset name) or uncal folder(s);
    exposures are grouped with the offset-feature ``definition`` the model needs."""
    if isinstance(data, pd.DataFrame):
        if "product" not in data.columns and data.index.name == "product":
            return data.reset_index()  # set_index("product"): the names stay in the output
        return data.copy()
    if isinstance(data, (str, os.PathLike)) and Path(data).is_dir():
        return _model.scrape_products(data, definition=definition)
    if not isinstance(data, (str, os.PathLike)) and isinstance(data, Iterable):
        items = list(data)
        if items and all(Path(i).is_dir() for i in items):  # folders: one program each
            out = pd.concat(
                [_model.scrape_products(i, definition=definition) for i in items],
                ignore_index=True,
            )
            out.attrs["feature_definition"] = definition
            return out
        return _model.scrape_products(items, definition=definition)  # uncal files
    return _model._read_table(data)


def _definition(model: JwstMemoryModel) -> str:
    return getattr(model, "feature_definition_", "spacekit")


def _is_model(obj: Any) -> bool:
    from ....utils.manifest import is_model_folder

    if isinstance(obj, (JwstMemoryModel, Run)):
        return True
    if isinstance(obj, (str, os.PathLike)):
        p = Path(obj)
        return is_model_folder(p, APP) or is_model_folder(p / "model", APP)
    return False


def _frame(products: pd.DataFrame, gb: np.ndarray, digits: int = 3) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "product": products["product"].astype(str).to_numpy()
            if "product" in products
            else np.arange(len(products)),
            "kind": products["kind"].astype(str).str.upper().to_numpy(),
            "gbSize": np.round(gb, digits),  # upstream's imported models: 2
        }
    )


def predict(model: Any, data: Any, *, max_gb: float | None = None) -> pd.DataFrame:
    """Predict the memory of products → table ``product, kind, gbSize`` (GB, capped at
    ``max_gb``, the model's cap by default), plus ``out_of_range`` (the features outside the
    model's training ranges, ``""`` when none, with an ``OutOfRangeWarning``) for a model
    that keeps ranges.

    Parameters
    ----------
    model : JwstMemoryModel, Run or path
        A loaded model or anything :func:`load_model` accepts.
    data : path, DataFrame, dataset name, or folder(s) of uncal exposures
        Products (named by a ``product`` column, or an index named ``product``; rows are
        numbered without either), or the exposures to group into products.
    max_gb : float, optional
        Cap of the predictions.

    Returns
    -------
    pandas.DataFrame
        One row per product, in the order of ``data``. (The older call
        ``predict(source, model_dir)`` still works, deprecated, and returns
        ``{product: {"gbSize": value}}`` as before.)

    Examples
    --------
    >>> products = example_products(40)  # made up: use your own measured products
    >>> run = train(products, runs_dir="runs", fast=True)
    >>> predict(run, products.head(2)).columns.tolist()
    ['product', 'kind', 'gbSize', 'out_of_range']
    """
    if _is_model(data) and not _is_model(model):
        warn_deprecated(
            "jwst.cal.predict(source, model_dir) is deprecated; use predict(model, data), which "
            "returns a table (product, kind, gbSize)",
            since="2.0",
        )
        return _model.predict(model, data, max_gb=max_gb)
    m = load_model(model)
    if max_gb is not None:  # a copy: the caller's model keeps its own cap
        import copy

        m = copy.copy(m)
        m.max_gb = _model._check_max_gb(max_gb)
    products = _products(data, _definition(m))
    flags = _check_ranges(m, products)
    digits = int(getattr(m, "spec_", {}).get("rounding", 3))
    out = _frame(products, m.predict(products), digits)
    if flags is not None and len(flags) == len(out):
        out["out_of_range"] = flags  # the features outside the training ranges ("" when none)
    return _app.on_input_index(out, data)  # a DataFrame's own row labels, as hst.cal's


def _predict_chunk(model: Any, products: pd.DataFrame, max_gb: float | None) -> pd.DataFrame:
    return _app.quiet_out_of_range(predict, model, products, max_gb=max_gb)


def predict_batch(
    model: Any,
    data: Any,
    *,
    client: Any = None,
    chunk_size: int | None = None,
    max_gb: float | None = None,
) -> pd.DataFrame:
    """Predict many products on Dask: the table is cut in chunks predicted in parallel.

    Parameters
    ----------
    model : JwstMemoryModel, Run or path
        A loaded model or anything :func:`load_model` accepts.
    data : path, DataFrame, dataset name, or a list of uncal folders
        Products (folders are scraped first).
    client : None, str, distributed.Client or distributed.LocalCluster
        Where to run (:func:`spacekit.utils.parallel.run_tasks`).
    chunk_size : int, optional
        Products per task (default 500).
    max_gb : float, optional
        Cap of the predictions.

    Returns
    -------
    pandas.DataFrame
        As :func:`predict`. (The older call ``predict_batch(sources, model_dir)`` still works,
        deprecated, and returns ``{folder: {product: {"gbSize": value}}}``.)

    Examples
    --------
    >>> products = example_products(40)  # made up: use your own measured products
    >>> run = train(products, runs_dir="runs", fast=True)
    >>> predict_batch(run, products, chunk_size=20).shape  # 2 chunks, in-process
    (40, 4)
    """
    from ....utils.parallel import run_tasks

    if _is_model(data) and not _is_model(model):
        warn_deprecated(
            "jwst.cal.predict_batch(sources, model_dir) is deprecated; use "
            "predict_batch(model, data), which returns a table",
            since="2.0",
        )
        names = list(model)
        if not names:
            raise InputError("predict_batch got no folders")
        ref = str(data.path if isinstance(data, Run) else data)
        parts = run_tasks(
            _model.predict, [(str(s), ref) for s in names], client=client, scheduler="threads"
        )
        return {str(s): p for s, p in zip(names, parts, strict=True)}
    m = load_model(model)
    products = _products(data, _definition(m))
    _check_ranges(m, products)
    label, size = "chunk_size (products per task)", chunk_size
    kw = {"client": client, "chunk_size": size, "default_size": 500, "label": label}
    parts = _app.predict_in_chunks(_predict_chunk, m, products, extra=(max_gb,), **kw)
    if not parts:  # no products: predict's empty table, with the same columns
        return _predict_chunk(m, products, max_gb)
    return _app.on_input_index(pd.concat(parts, ignore_index=True), data)


def example_products(n: int = 120, *, seed: int = 0) -> pd.DataFrame:
    """A made-up table of ``n`` products (half IMAGE, half SPEC) whose memory ``imgsize_gb``
    grows with the number of exposures and the offsets: to try the app, since no public JWST
    training data exists. Use your own measured products for a real model.

    Parameters
    ----------
    n : int
        Number of products.
    seed : int
        Seed of the random values.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`IMAGE_FEATURES` / :data:`SPEC_FEATURES` (categorical values as
        header strings), ``product``, ``kind`` and ``imgsize_gb``.

    Examples
    --------
    >>> example_products(4)[["kind", "nexposur"]].shape
    (4, 2)
    """
    from .encode import IMAGE_FEATURES, SPEC_FEATURES

    rng = np.random.default_rng(seed)
    rows = []
    # the pointing-offset statistics (offset ... sigma1_mean, then targ_max_offset)
    features = dict.fromkeys(IMAGE_FEATURES + SPEC_FEATURES)
    offsets = [f for f in features if "offset" in f or f == "sigma1_mean"]
    for i in range(int(n)):
        kind = "IMAGE" if i % 2 else "SPEC"
        row = {
            "product": f"jw9{i:04d}-o001_t1_example",
            "kind": kind,
            "instr": rng.choice(["NIRCAM", "MIRI", "NIRISS"]) if kind == "IMAGE" else "NIRSPEC",
            "detector": "NRCA-M" if kind == "IMAGE" else "NRS1|NRS2",
            "visitype": "PRIME_TARGETED_FIXED",
            "filter": rng.choice(["F150W", "F444W"]),
            "pupil": "CLEAR",
            "channel": "NONE",
            "subarray": "FULL",
            "grating": "G140M",
            "band": "NONE",
            "bkgdtarg": 0,
            "nexposur": int(rng.integers(1, 40)),
            "numdthpt": int(rng.integers(1, 9)),
            **{k: float(rng.uniform(0, 30)) for k in offsets},
            "frac": float(rng.uniform(0.5, 1)),
            "targ_frac": 1.0,
        }
        row["imgsize_gb"] = 2.0 + 1.5 * row["nexposur"] + 0.2 * row["max_offset"]
        rows.append(row)
    return pd.DataFrame(rows)

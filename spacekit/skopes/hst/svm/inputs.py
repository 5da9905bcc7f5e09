"""Model inputs of the SVM alignment classifier (:mod:`spacekit.skopes.hst.svm.model`): the ten
table features plus the derived ones (:data:`DERIVED`, :func:`feature_matrix`), and the
proposal-grouped splits that keep every visit of a proposal on one side
(:func:`proposal_folds`, :func:`proposal_split`). Every name is also importable from
:mod:`spacekit.skopes.hst.svm.model`.

Examples
--------
>>> feature_names()[:2]
['numexp', 'rms_ra']
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ....exceptions import InputError, SchemaError
from ....utils.checks import seed_number, whole_number
from .encode import FEATURES, proposal_of

__all__ = [
    "DERIVED",
    "PIXEL_SCALE_MAS",
    "feature_matrix",
    "feature_names",
    "proposal_groups",
    "proposal_folds",
    "proposal_split",
]

#: Drizzled pixel scale of each detector code (:data:`~.encode.DETECTOR_CODES`), in
#: milliarcseconds (the unit of ``rms_ra``/``rms_dec``): hrc, ir, sbc, uvis, wfc.
PIXEL_SCALE_MAS: dict[int, float] = {0: 25.0, 1: 128.0, 2: 32.0, 3: 40.0, 4: 50.0}
#: Derived inputs added to the ten table features (trees cannot form ratios themselves).
#: The last seven (``rms_pix`` …) describe the alignment fit in the detector's own pixels
#: (``rms`` of 40 mas is 1 UVIS pixel but a third of an IR one); ``rms_ra``/``rms_dec`` of
#: -1 (older pipelines' "no fit") count as 0 there.
DERIVED: tuple[str, ...] = (
    "rms",
    "match_frac",
    "gaia_per_point",
    "seg_per_point",
    "match_per_point",
    "rms_per_match",
    "point_per_exp",
    "match_per_exp",
    "gaia_per_seg",
    "rms_pix",
    "rms_pix_per_match",
    "rms_asymmetry",
    "no_fit",
    "log_seg_per_point",
    "log_match_per_gaia",
    "log_gaia_per_point",
)
#: Model inputs of models saved before the fit-quality features were added.
DERIVED_V1: tuple[str, ...] = DERIVED[:9]


def feature_names() -> list[str]:
    """Names of the model's input columns (table features, then :data:`DERIVED`).

    Returns
    -------
    list of str
        The column names.

    Examples
    --------
    >>> feature_names()[-1]
    'log_gaia_per_point'
    """
    return [*FEATURES, *DERIVED]


def feature_matrix(frame: pd.DataFrame, names: Any = None) -> np.ndarray:
    """Return the float64 model input of a feature table.

    Parameters
    ----------
    frame : DataFrame
        A feature table holding the :data:`FEATURES` columns.
    names : sequence of str, optional
        Columns to return, in order (default :func:`feature_names`); a saved model passes
        the inputs it was trained on.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_rows, len(names))``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({c: [1.0] for c in FEATURES})
    >>> feature_matrix(df).shape
    (1, 26)
    >>> feature_matrix(df, ["numexp", "rms"]).shape
    (1, 2)
    """
    missing = [c for c in FEATURES if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"expected SVM feature columns {list(FEATURES)}; missing {missing} "
            "(load tables with spacekit.skopes.hst.svm.load_feature_table)"
        )
    f = frame[list(FEATURES)].apply(pd.to_numeric, errors="coerce").astype(float)
    if f.isna().any().any():
        bad = f.columns[f.isna().any()].tolist()
        raise SchemaError(f"SVM features {bad} hold missing or non-numeric values")
    rms = np.hypot(f["rms_ra"], f["rms_dec"])
    derived = {
        "rms": rms,
        "match_frac": f["nmatches"] / (f["gaia"] + 1.0),
        "gaia_per_point": f["gaia"] / (f["point"] + 1.0),
        "seg_per_point": f["segment"] / (f["point"] + 1.0),
        "match_per_point": f["nmatches"] / (f["point"] + 1.0),
        "rms_per_match": rms / np.sqrt(f["nmatches"] + 1.0),
        "point_per_exp": f["point"] / f["numexp"].clip(lower=1.0),
        "match_per_exp": f["nmatches"] / f["numexp"].clip(lower=1.0),
        "gaia_per_seg": f["gaia"] / (f["segment"] + 1.0),
    }
    rms_ra, rms_dec = f["rms_ra"].clip(lower=0.0), f["rms_dec"].clip(lower=0.0)
    fit_rms = np.hypot(rms_ra, rms_dec)
    pixel = f["det"].round().map(PIXEL_SCALE_MAS).fillna(np.mean(list(PIXEL_SCALE_MAS.values())))
    rms_pix = fit_rms / pixel
    derived.update(
        {
            "rms_pix": rms_pix,
            "rms_pix_per_match": rms_pix / np.sqrt(f["nmatches"].clip(lower=0.0) + 1.0),
            "rms_asymmetry": (rms_ra - rms_dec).abs() / (fit_rms + 1.0),
            "no_fit": ((f["nmatches"] <= 0) | (fit_rms <= 0)).astype(float),
            "log_seg_per_point": np.log1p(f["segment"].clip(lower=0.0))
            - np.log1p(f["point"].clip(lower=0.0)),
            "log_match_per_gaia": np.log1p(f["nmatches"].clip(lower=0.0))
            - np.log1p(f["gaia"].clip(lower=0.0)),
            "log_gaia_per_point": np.log1p(f["gaia"].clip(lower=0.0))
            - np.log1p(f["point"].clip(lower=0.0)),
        }
    )
    columns = {**{c: f[c] for c in FEATURES}, **derived}
    names = feature_names() if names is None else list(names)
    unknown = [n for n in names if n not in columns]
    if unknown:
        raise SchemaError(
            f"unknown SVM model inputs {unknown}; known: {list(columns)} (the model folder "
            "may come from a newer spacekit: upgrade, or retrain it with this version)"
        )
    return np.column_stack([np.asarray(columns[n], dtype=float) for n in names])


def proposal_groups(frame: pd.DataFrame) -> np.ndarray:
    """The proposal id of every row (from ``index``), the grouping of SVM splits.

    Parameters
    ----------
    frame : pandas.DataFrame
        A table with an ``index`` column of visit names.

    Returns
    -------
    numpy.ndarray of str
        One proposal id per row.

    Examples
    --------
    >>> proposal_groups(pd.DataFrame({"index": ["hst_11099_04_wfc3_ir_total_ia0m04"]}))
    array(['11099'], dtype=object)
    """
    if "index" not in frame.columns:
        raise SchemaError("a proposal-grouped split needs the 'index' column of visit names")
    return np.array([proposal_of(i) for i in frame["index"]], dtype=object)


def proposal_folds(
    frame: pd.DataFrame, y: Any, *, n_splits: int = 5, repeats: int = 1, seed: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified k-fold splits that keep all visits of a proposal on one side.

    Proposals are dealt, largest first (ties in a seeded random order), to the fold where
    their classes are least represented so far, so every fold gets a similar share of each
    class (scikit-learn's ``StratifiedGroupKFold`` does the same more slowly).

    Parameters
    ----------
    frame : pandas.DataFrame
        A table with an ``index`` column of visit names.
    y : array-like of int
        The class of each row.
    n_splits : int
        Folds per repeat.
    repeats : int
        Repeats, each with its own seeded order.
    seed : int
        Seed of the tie order.

    Returns
    -------
    list of (numpy.ndarray, numpy.ndarray)
        ``(train_rows, test_rows)`` per fold, ``n_splits * repeats`` of them.

    Examples
    --------
    >>> df = pd.DataFrame({"index": [f"hst_{p}_01_acs_wfc_total_j{p}" for p in range(10)]})
    >>> folds = proposal_folds(df, [0, 1] * 5, n_splits=5)
    >>> len(folds), sorted(np.concatenate([te for _, te in folds]).tolist()) == list(range(10))
    (5, True)
    """
    n_splits = whole_number(n_splits, "n_splits (one fold to test, the others to train)", minimum=2)
    repeats = whole_number(repeats, "repeats", minimum=1)
    seed = seed_number(seed)
    groups = proposal_groups(frame)
    y = np.asarray(y).astype(int)
    uniq, inv = np.unique(groups, return_inverse=True)
    if len(uniq) < n_splits:
        raise InputError(
            f"a {n_splits}-fold proposal-grouped split needs at least {n_splits} proposals; "
            f"the table has {len(uniq)}. Lower n_splits or add visits"
        )
    classes, yc = np.unique(y, return_inverse=True)
    counts = np.zeros((len(uniq), len(classes)))
    np.add.at(counts, (inv, yc), 1.0)
    totals = counts.sum(axis=0)
    out = []
    for r in range(int(repeats)):
        rng = np.random.default_rng(seed + r)
        order = rng.permutation(len(uniq))
        order = order[np.argsort(-counts[order].sum(axis=1), kind="stable")]
        fill = np.zeros((n_splits, len(classes)))
        assign = np.empty(len(uniq), dtype=int)
        for g in order:
            # the fold where this proposal's classes are least represented so far
            cost = (fill / totals) @ counts[g] + 1e-9 * fill.sum(axis=1)
            k = int(np.argmin(cost))
            assign[g] = k
            fill[k] += counts[g]
        row_fold = assign[inv]
        for k in range(n_splits):
            out.append((np.flatnonzero(row_fold != k), np.flatnonzero(row_fold == k)))
    return out


def proposal_split(
    frame: pd.DataFrame, y: Any, *, test_size: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """One train/test split (about ``test_size`` held out) that keeps proposals together.

    Parameters
    ----------
    frame : pandas.DataFrame
        A table with an ``index`` column of visit names.
    y : array-like of int
        The class of each row.
    test_size : float
        Share of rows to hold out (about; whole proposals move).
    seed : int
        Seed of the split.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        The train and test row positions.

    Examples
    --------
    >>> df = pd.DataFrame({"index": [f"hst_{p}_01_acs_wfc_total_j{p}" for p in range(10)]})
    >>> tr, te = proposal_split(df, [0, 1] * 5, test_size=0.2)
    >>> len(tr) + len(te)
    10
    """
    if not 0 < test_size < 1:
        raise InputError(f"test_size must be between 0 and 1, got {test_size}")
    n_splits = max(2, int(round(1.0 / test_size)))
    return proposal_folds(frame, y, n_splits=n_splits, seed=seed)[0]


def _noise_augment(scale: float):
    """Augmentation for balanced batches: Gaussian noise on 2-D tables, flips on images."""

    def augment(batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if batch.ndim == 2:
            return batch + rng.normal(0.0, scale, size=batch.shape).astype(batch.dtype)
        if batch.ndim == 5:
            from ....builder import augment_flip

            return augment_flip(batch, rng)
        return batch

    return augment

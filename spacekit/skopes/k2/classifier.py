"""Train, evaluate (leave-one-star-out) and apply the K2 transiting-planet classifier.

Preprocessing (:func:`preprocess`, stored with the model) turns raw flux windows — Kaggle
rows or light-curve windows alike — into the network's ``(length, 3)`` input:

1. subtract a slow trend: the median of blocks of ``trend_block`` cadences, running-median
   filtered over ``trend_blocks`` blocks (800 cadences by default, longer than any transit
   here, so even 8-hour transits at 1-minute cadence survive) and interpolated back;
2. express the residual in units of the window's point-to-point scatter and clip it to
   ``[clip_low, clip_high]`` (upper clipping removes most of a flare, never a transit);
3. :func:`spacekit.transformer.scale_rows` (zero mean, unit variance per row) and
   :func:`spacekit.transformer.add_smoothed_channel` (the seed's second channel);
4. a third channel: the same with a *short* trend (blocks of ``short_block`` cadences over
   ``short_blocks`` blocks, 80 cadences), which removes stellar variability and keeps
   transits shorter than about 40 cadences (every injected transit at 30-minute cadence).
   Windows carry no time axis, so the two time scales let the network handle any cadence.

The default network, ``network="folded"``, is
:func:`spacekit.skopes.k2.network.build_folded_cnn` (the window plus the folded views and
scalar features of :mod:`spacekit.skopes.k2.folded`: box search, red-noise profile and the
whitened matched-filter search of :mod:`spacekit.skopes.k2.whiten`) averaged with a
gradient-boosting classifier on the same features; ``network="global"`` is the window-only
:func:`spacekit.skopes.k2.network.build_transit_cnn` (global pooling, the default before the
folded option measured better leave-one-star-out) and ``network="seed"``
:func:`spacekit.builder.build_cnn1d` (the seed's 4-block CNN). The networks are trained
with :class:`spacekit.builder.Trainer` on balanced batches with circular-roll augmentation.

Examples
--------
>>> import numpy as np
>>> preprocess(np.random.default_rng(0).normal(1, 1e-3, (2, 1000))).shape
(2, 1000, 3)
"""

from __future__ import annotations

import logging
import os
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ...exceptions import DataNotFoundError, InputError, SpacekitError
from ...utils.progress import progress
from ...utils.runs import Run
from .cv import (
    ALTERNATIVE_SNRS,
    HEADLINE_METRICS,
    HEADLINE_SNRS,
    SNR_BINS,
    _binary_scores,
    _scores_by_snr,
    _snr_figure,
    evaluate,
    headline_metrics,
    leave_one_star_out_folds,
    loso_metrics,
)
from .inputs import BOOST_FILE, NETWORKS, boost_features, model_inputs
from .kaggle import read_flux_table_with_meta
from .model import (
    K2Classifier,
    _build_model,
    _check_min_snr_classes,
    _latest_model,
    _model_complete,
    _read,
    _SeriesRoll,
    _trainer,
    _training_mask,
    fit_members,
    load_classifier,
    window_events,
)
from .preprocessing import PREPROCESSING, _slow_trend, preprocess
from .settings import RUN_SETTINGS, fit_settings

__all__ = [
    "NETWORKS",
    "PREPROCESSING",
    "SNR_BINS",
    "ALTERNATIVE_SNRS",
    "K2Classifier",
    "preprocess",
    "model_inputs",
    "boost_features",
    "train",
    "evaluate",
    "leave_one_star_out_folds",
    "loso_metrics",
    "headline_metrics",
    "HEADLINE_METRICS",
    "fit_members",
    "load_classifier",
    "predict",
]

log = logging.getLogger(__name__)

#: The app name of k2 run folders.
APP = "k2"

#: Names that lived here before the module was cut by responsibility (:mod:`.preprocessing`,
#: :mod:`.inputs`, :mod:`.model`, :mod:`.cv`), still importable from here.
MOVED = (
    window_events,
    HEADLINE_SNRS,
    _binary_scores,
    _scores_by_snr,
    _snr_figure,
    _build_model,
    _check_min_snr_classes,
    _model_complete,
    _SeriesRoll,
    _trainer,
    _slow_trend,
)

#: More names of the model inputs (:mod:`.inputs`) still importable from here (read on use).
_FROM_INPUTS = ("BOOST_WEIGHT", "FEATURE_VERSION", "_fit_boost", "_inputs_cached", "_take")


def __getattr__(name: str) -> Any:
    if name in _FROM_INPUTS:
        from . import inputs

        return getattr(inputs, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def train(
    data: Any,
    *,
    runs_dir: str | os.PathLike | None = None,
    name: str = "train",
    **settings: Any,
) -> Run:
    """Train the classifier on a Kaggle-format flux table; write a ``k2`` run folder.

    Parameters
    ----------
    data : path or (X, y[, meta])
        A flux table (Kaggle K2 or :func:`~spacekit.skopes.k2.build_training_set` output).
    runs_dir : path, optional
        Parent of run folders (default ``conf.runs_dir``).
    name : str
        Run name.
    **settings
        The training settings ``epochs``, ``batch_size``, ``learning_rate``, ``seed``,
        ``fast``, ``network``, ``threshold``, ``train_min_snr`` and ``show_progress``:
        see :mod:`spacekit.skopes.k2.settings` (defaults:
        :data:`~spacekit.skopes.k2.settings.FIT_SETTINGS`).

    Returns
    -------
    Run
        Holds ``model/`` (Keras model + metadata), ``metrics.json`` (training metrics,
        throughput), ``run.json``.

    Examples
    --------
    >>> run = train("k2-train.csv", epochs=5)  # doctest: +SKIP
    >>> load_classifier(run.path).threshold  # doctest: +SKIP
    0.5
    """
    from ...builder import save_model
    from ...utils.manifest import trained_source, writing_model

    s = fit_settings(settings, where="train")
    X, y, meta, sha = _read(data)
    model, boost, history, trainer, metadata = fit_members(X, y, meta, sha=sha, **s)
    y = y[_training_mask(y, meta, s["train_min_snr"])]
    length = X.shape[1]
    params = {k: s[k] for k in RUN_SETTINGS}
    params.update(n_windows=int(len(y)), n_planet=int(y.sum()), window_length=int(length))
    run = Run.create(
        APP, name, runs_dir=runs_dir, parameters=params, seed=s["seed"], data_sha256=sha
    )
    with writing_model(
        run.model_dir,
        app=APP,
        source=trained_source(sha, run.info["created"]),
        features=[f"flux window ({int(length)} cadences)"],
        ranges=None,  # raw flux windows: no per-feature training range to check against
        details={"network": s["network"], "threshold": float(s["threshold"])},
    ):
        save_model(model, run.model_dir, metadata=metadata, history=history)
        if boost is not None:
            from ...utils.persist import save_estimator

            save_estimator(boost, run.model_dir / BOOST_FILE)
    run.write_metrics(
        {
            "train_loss": history.get("loss", [None])[-1],
            "train_accuracy": history.get("accuracy", [None])[-1],
            "train_samples_per_second": getattr(trainer, "samples_per_second_", None),
            "fit_seconds": getattr(trainer, "fit_seconds_", None),
        }
    )
    return run


def predict(
    paths: Sequence[str | os.PathLike],
    *,
    model: str | os.PathLike | K2Classifier | None = None,
    runs_dir: str | os.PathLike | None = None,
    read_kwargs: dict | None = None,
    show_progress: bool | None = None,
    search: bool = True,
) -> pd.DataFrame:
    """Planet probability of light-curve files (FITS/csv) or of the rows of flux tables.

    For a light curve, the classifier's probability comes with the period search's view of
    the same star (``search=True``): :func:`~spacekit.analyzer.planet_hunter` runs on it and
    its best period, whether it is detected and, if not, the vetting checks it fails are
    reported beside the probability, with one ``verdict`` that says where the two disagree.
    The classifier sees short windows and can take a flare's or a spot's dip for a transit;
    the search's vetting sees the whole light curve (its shape away from the dip, the depth
    of every transit), so a "transit" from the classifier alone is labelled as such (e.g.
    ``"transit? classifier only; the search rejects it: stellar variability (flares,
    spots)"``). When, besides, the classifier's best window holds flares and no dip of its
    own (every dip in it next to a flare, :func:`window_events`), the verdict says that its
    "transit" rests on flares.

    Parameters
    ----------
    paths : sequence of path
        Kepler/K2/TESS FITS or csv light curves (read with
        :func:`~spacekit.transformer.read_lightcurve`), or Kaggle-format tables (a csv with a
        ``LABEL``/``FLUX.1`` header; one result per row).
    model : path or K2Classifier, optional
        A model (run) folder; default: the latest ``k2`` run with a model under ``runs_dir``.
    runs_dir : path, optional
        Where to look for that latest run.
    read_kwargs : dict, optional
        For ``read_lightcurve`` (e.g. ``{"time_format": "bkjd"}`` for a headerless csv).
    show_progress : bool, optional
        Progress bars over the files and over a table's rows (default: the ``progress``
        setting; ``SPACEKIT_PROGRESS=0`` silences them).
    search : bool
        Also run the period search on each light curve (default True).

    Returns
    -------
    pandas.DataFrame
        One row per light curve (or table row): ``path``, ``source`` ("lightcurve" or
        "table"), ``row``, ``target``,
        ``probability``, ``planet`` (the classifier's call), ``n_windows``, ``label`` (tables
        only: nullable ``Int64``, ``<NA>`` for light curves), for light curves
        ``window_dips``, ``window_flares`` and ``flare_only`` (what the classifier's best
        window holds, :func:`window_events`), ``search_period`` (days),
        ``search_significance`` (the search's peak significance), ``search_detected``,
        ``search_failed`` (the vetting checks the search's best signal fails,
        comma-separated; or why the search could not run) and ``verdict``
        (``"transit"``, ``"no transit"``, or a ``"transit? ..."`` that says which side saw
        it and why the other did not). Tables (and ``search=False``) leave the search
        columns empty and the verdict the classifier's.

    Examples
    --------
    >>> predict(["kplr010666592-2009131110544_slc.fits"], model=run.path)  # doctest: +SKIP
    """
    if not paths:
        raise InputError("no path given: pass one or more light-curve files or flux tables")
    clf = (
        model
        if isinstance(model, K2Classifier)
        else load_classifier(model or _latest_model(runs_dir))
    )
    for p in paths:
        if not Path(p).exists():
            raise DataNotFoundError(f"{p} does not exist")
    rows = []
    for p in progress(paths, desc="k2 predict", total=len(paths), enabled=show_progress):
        p = Path(p)
        if _is_flux_table(p):
            X, y, _ = read_flux_table_with_meta(p)
            proba = clf.predict_proba(X, show_progress=show_progress)
            for i, pr in enumerate(proba):
                rows.append(
                    {
                        "path": str(p),
                        "source": "table",
                        "row": i,
                        "target": "",
                        "probability": float(pr),
                        "planet": bool(pr >= clf.threshold),
                        "n_windows": 1,
                        "label": int(y[i]),
                        **_no_search(bool(pr >= clf.threshold)),
                    }
                )
            continue
        from ...transformer import read_lightcurve

        lc = read_lightcurve(p, **dict(read_kwargs or {}))
        res = clf.predict_lightcurve(lc)
        rows.append(
            {
                "path": str(p),
                "source": "lightcurve",
                "row": 0,
                "target": str(lc.meta.get("target", "")),
                "probability": res["probability"],
                "planet": res["planet"],
                "n_windows": res["n_windows"],
                "label": None,
                "window_dips": res["window_dips"],
                "window_flares": res["window_flares"],
                "flare_only": res["flare_only"],
                **(_search_view(lc, res) if search else _no_search(res["planet"])),
            }
        )
    frame = pd.DataFrame(rows)
    # integer labels with <NA> for light curves (a mix made the column float with NaN)
    frame["label"] = frame["label"].astype("Int64")
    return frame


#: What each failed vetting check of the period search means, in a verdict.
_VETTING_WORDS = {
    "bump": "stellar variability (flares, spots)",
    "oot_structure": "stellar variability (flares, spots)",
    "single_event": "one event, not a periodic transit",
    "depth_consistency": "dips of different depths (different bodies)",
    "missing_transit": "a transit window without a dip",
    "n_transits": "fewer than two transits",
    "sde": "too weak",
    "peak_zscore": "too weak",
    "peak_significance": "too weak",
    "snr": "too weak",
}


def _no_search(planet: bool) -> dict[str, Any]:
    return {
        "search_period": float("nan"),
        "search_significance": float("nan"),
        "search_detected": None,
        "search_failed": "",
        "verdict": "transit" if planet else "no transit",
    }


def _search_view(lc: Any, res: dict) -> dict[str, Any]:
    """The period search on the same light curve, and one verdict from both (and from
    what the classifier's best window holds, ``res`` of :meth:`predict_lightcurve`)."""
    from ...analyzer import planet_hunter

    planet = res["planet"]
    flares = (
        f"; the classifier's best window holds only flares ({res['window_flares']}), no dip "
        "of its own"
        if planet and res.get("flare_only")
        else ""
    )

    try:
        hunt = planet_hunter(lc, fit=False)
    except SpacekitError as exc:
        out = _no_search(planet)
        out["search_failed"] = f"search not run: {exc}"
        if planet:
            out["verdict"] = "transit? classifier only; the period search could not run" + flares
        return out
    failed = list(hunt.candidate.vetting.get("failed", []))
    reasons = list(dict.fromkeys(_VETTING_WORDS.get(f, f) for f in failed))
    detected = bool(hunt.detected)
    if planet and detected:
        verdict = "transit"
    elif planet:
        verdict = "transit? classifier only; the search rejects it: " + ", ".join(reasons) + flares
    elif detected:
        verdict = (
            f"transit? search only (P = {hunt.period.to_value('day'):.5f} d); the classifier "
            "is below its threshold"
        )
    else:
        verdict = "no transit"
    return {
        "search_period": float(hunt.period.to_value("day")),
        "search_significance": float(hunt.candidate.peak_significance),
        "search_detected": detected,
        "search_failed": ", ".join(failed),
        "verdict": verdict,
    }


def _is_flux_table(path: Path) -> bool:
    """A Kaggle-format table: a csv (also ``.csv.gz``/``.csv.zip``) with a ``FLUX.1`` column
    anywhere in its header (after an index column, or without ``LABEL``: the table reader then
    says what is missing)."""
    name = path.name.lower()
    if not name.endswith((".csv", ".csv.gz", ".csv.zip")):
        return False
    try:
        header = pd.read_csv(path, nrows=0, encoding_errors="replace").columns
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):  # let read_lightcurve report it
        return False
    return "FLUX.1" in {str(c).strip() for c in header}


# ---------------------------------------------------------------------------- evaluation

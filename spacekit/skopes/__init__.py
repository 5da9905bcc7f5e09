"""Applications of the Hubble and Webb calibration pipelines and a K2 exoplanet classifier, each an
orchestration of the layers below.

- :mod:`spacekit.skopes.hst.cal`: memory bin, memory and wallclock of HST calibration jobs;
- :mod:`spacekit.skopes.hst.svm`: single-visit-mosaic alignment classifier;
- :mod:`spacekit.skopes.jwst.cal`: memory of JWST Level-3 products;
- :mod:`spacekit.skopes.k2`: transiting-planet classifier for flux series.

Every app has the same shape (the app contract; ``tests/test_app_contract.py`` checks it), so
a notebook cell written for one works for the others::

    run   = app.train(data, *, runs_dir=None, name=None, seed=0, fast=False, progress=None)
    cv    = app.cross_validate(data, *, n_splits=5, n_repeats=3, seed=0, runs_dir=None)
    score = app.score(model, data)       # HEADLINE_METRICS first
    pred  = app.predict(model, data)     # one item or a table
    preds = app.predict_batch(model, data, *, client=None, chunk_size=None)   # Dask
    model = app.load_model(path_or_run)  # model, run or runs folder (newest complete)
    app.HEADLINE_METRICS

``data`` is a path, a DataFrame or a registered dataset name
(:func:`spacekit.datasets.tables.resolve_table`); ``client`` is None (in-process), a
``distributed.Client``, a ``LocalCluster`` or a scheduler address
(:func:`spacekit.utils.parallel.run_tasks`); every model folder holds ``model.json``
(:mod:`spacekit.utils.manifest`). An app may add keyword-only settings after ``*`` (k2's
``cv="loso"``). The command line mirrors it: ``spacekit <app> train | cv | score | predict
DATA`` with ``--runs``, ``--model``, ``--kind``, ``--seed``, ``--json``.

Layer 6 (apps)."""

from __future__ import annotations

import importlib

#: The four apps of the contract (docs/design.rst, "The app contract"): run-folder app name
#: -> module.
APPS: dict[str, str] = {
    "hst_cal": "spacekit.skopes.hst.cal",
    "hst_svm": "spacekit.skopes.hst.svm",
    "jwst_cal": "spacekit.skopes.jwst.cal",
    "k2": "spacekit.skopes.k2",
}


def headline_metrics(app: str | None = None) -> tuple[str, ...]:
    """The ``HEADLINE_METRICS`` of one app (by its run-folder name), or of all four in order.

    Parameters
    ----------
    app : str, optional
        ``"hst_cal"``, ``"hst_svm"``, ``"jwst_cal"`` or ``"k2"``; None for all four.

    Returns
    -------
    tuple of str
        The metric names, headline first.

    Examples
    --------
    >>> headline_metrics("hst_svm")
    ('roc_auc', 'precision_misaligned', 'recall_misaligned')
    """
    names = [app] if app is not None else list(APPS)
    out: list[str] = []
    for name in names:
        for key in importlib.import_module(APPS[name]).HEADLINE_METRICS:
            if key not in out:
                out.append(key)
    return tuple(out)

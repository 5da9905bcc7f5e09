"""A Dash web dashboard over run folders and datasets: evaluate runs side by side, explore data,
predict HST calibration resources, analyse light curves.

Layer 7 (front). Dash and plotly load only when the app is built (:func:`create_app`), so
importing this package is light.

Examples
--------
>>> from spacekit.dashboard import create_app
>>> app = create_app(runs_dir="spacekit-runs")  # doctest: +SKIP
>>> app.run(port=8050)  # doctest: +SKIP

From the shell: ``spacekit dashboard --runs spacekit-runs`` (then open http://127.0.0.1:8050/).
"""

from .app import PAGES, DashboardContext, create_app, serve
from .data import (
    EXAMPLE_TABLES,
    LIGHTCURVE_DATASETS,
    evaluation_runs,
    flatten_metrics,
    load_example_table,
    load_svm_images,
    read_evaluation,
    summarize_runs,
)
from .jobs import JobManager

__all__ = [
    "EXAMPLE_TABLES",
    "LIGHTCURVE_DATASETS",
    "PAGES",
    "DashboardContext",
    "JobManager",
    "create_app",
    "evaluation_runs",
    "flatten_metrics",
    "load_example_table",
    "load_svm_images",
    "read_evaluation",
    "serve",
    "summarize_runs",
]

"""Every dashboard page driven in headless Chromium (Debian's chromium, through playwright):
the page loads, its plots render, the prediction form returns numbers and a light-curve upload
shows a period. Screenshots go to ``test-artifacts/`` at the repository root."""

from __future__ import annotations

import re

import numpy as np
import pytest
from test_dashboard import make_runs

from spacekit.dashboard import create_app
from spacekit.dashboard.pages import predict as predict_page
from spacekit.utils.runs import Run

PLOT = ".js-plotly-plot .main-svg"


@pytest.fixture
def dashboard(tmp_path, live_server):
    """(base URL, app) of a dashboard over a runs folder holding three evaluated runs."""
    make_runs(tmp_path / "runs")
    app = create_app(runs_dir=tmp_path / "runs", max_workers=2)
    yield live_server(app.server), app
    app.spacekit.jobs.shutdown(wait=False)


def _wait_plot(page, container: str, timeout: float = 30_000) -> None:
    page.wait_for_selector(f"{container} {PLOT}", timeout=timeout)


def _texts(page, selector: str) -> list[str]:
    """Text of SVG elements (plotly legends), which have no innerText."""
    return page.locator(selector).evaluate_all("els => els.map(e => e.textContent)")


def _shot(page, artifacts, name: str) -> None:
    path = artifacts / f"dashboard-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000


def test_runs_and_evaluate_pages(dashboard, page, artifacts):
    url, _ = dashboard
    page.goto(url + "/")
    page.wait_for_selector("#runs-table")
    assert page.locator("#runs-table tbody tr").count() == 3
    page.click("#nav-evaluate")
    for graph in (
        "#eval-roc",
        "#eval-pr",
        "#eval-history",
        "#eval-confusion",
        "#eval-residuals",
        "#eval-metrics-bar",
    ):
        _wait_plot(page, graph)
    # Two ROC curves side by side (plus the chance line), two confusion heatmaps.
    page.wait_for_function(
        "document.querySelectorAll('#eval-roc .scatterlayer .trace').length === 3"
    )
    legend = _texts(page, "#eval-roc .legendtext")
    assert any("AUC 0.850" in t for t in legend) and any("AUC 0.800" in t for t in legend)
    assert page.locator("#eval-confusion .heatmaplayer image, #eval-confusion .hm").count() >= 1
    table = page.locator("#eval-metrics-table").inner_text()
    assert "0.85" in table and "0.5" in table  # accuracy of cnn-b, rmse of the regressor
    _shot(page, artifacts, "evaluate")


def test_evaluate_page_of_a_run_with_many_metrics_keeps_the_page_width(
    tmp_path, live_server, page, artifacts
):
    """hst_cal training writes ~60 metrics: as table columns they made the page 11,450 px
    wide; metrics are rows now, and any wide table scrolls inside its card."""
    run = Run.create("hst_cal", "train", runs_dir=tmp_path / "runs")
    run.write_metrics({"out_of_fold": {f"some_long_metric_name_{i:02d}": i / 7 for i in range(60)}})
    app = create_app(runs_dir=tmp_path / "runs", max_workers=1)
    try:
        page.goto(live_server(app.server) + "/evaluate")
        page.wait_for_selector("#eval-metrics-table")
        _wait_plot(page, "#eval-metrics-bar")
        assert page.locator("#eval-metrics-table tbody tr").count() == 60
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1400, width
        _shot(page, artifacts, "evaluate-many-metrics")
    finally:
        app.spacekit.jobs.shutdown(wait=False)


def test_explore_page_plots_and_switches_plot_kind(dashboard, page, artifacts, shared_data):
    url, _ = dashboard
    page.goto(url + "/explore")
    _wait_plot(page, "#explore-graph", timeout=60_000)
    page.wait_for_function("document.querySelectorAll('#explore-graph .legendtext').length >= 4")
    legend = _texts(page, "#explore-graph .legendtext")
    assert {"ACS", "COS", "STIS", "WFC3"} <= set(legend)
    assert "29,191 rows" in page.locator("#explore-summary").inner_text()
    page.get_by_label("histogram").check()
    page.wait_for_function(
        "document.querySelector('#explore-graph .gtitle') && "
        "document.querySelector('#explore-graph .gtitle').textContent.includes('histogram')"
    )
    assert page.locator("#explore-graph .barlayer .trace").count() >= 4
    _shot(page, artifacts, "explore")
    # A run's predictions.csv is explorable too.
    page.click("#explore-dataset")
    page.locator(".dash-dropdown-option", has_text="predictions of k2").click()
    page.wait_for_function(
        "document.querySelector('#explore-graph .gtitle') && "
        "document.querySelector('#explore-graph .gtitle').textContent.startsWith('run:k2/')"
    )
    assert "40 rows" in page.locator("#explore-summary").inner_text()


class _Model:
    """A stand-in exported model: fixed probabilities or a linear function of the inputs."""

    def __init__(self, out):
        self.out = out

    def predict(self, Z):
        return self.out(np.asarray(Z))


def _stand_in_predictor():
    """A real :class:`CalPredictor` whose three exported models are small stand-ins (a real
    model trains in about a minute on this shared machine: too slow for a browser test)."""
    from spacekit.skopes.hst.cal.predict import CalPredictor

    meta = {
        "transform": {
            "columns": [0, 1],
            "lambdas": [0.0, 0.0],
            "means": [0.0, 0.0],
            "scales": [1.0, 1.0],
            "n_features_in": 9,
        },
        "calibration": {
            "bin_log_margin": 0.3,
            "memory_log_margin": 0.5,
            "wallclock_log_margin": 1.0,
            "under_bin_target": 0.005,
            "wallclock_coverage": 0.99,
        },
        "models": {
            k: {"kind": "stand-in", "target_transform": "none"}
            for k in ("bin", "memory", "wallclock")
        },
        "created": "stand-in",
    }
    models = {
        "bin": _Model(lambda Z: np.tile([0.2, 0.7, 0.08, 0.02], (len(Z), 1))),
        "memory": _Model(lambda Z: 1.5 + 0.1 * Z[:, 0]),
        "wallclock": _Model(lambda Z: 600.0 + 10.0 * Z[:, 1]),
    }
    return CalPredictor(meta, models, model_dir="stand-in")


def test_predict_page_upload_form_returns_numbers(
    dashboard, page, artifacts, shared_data, monkeypatch, tmp_path
):
    url, app = dashboard
    run = Run.create("hst_cal", "model", runs_dir=app.spacekit.runs_dir)
    run.model_dir.mkdir()
    predictor = _stand_in_predictor()
    monkeypatch.setattr(predict_page, "get_predictor", lambda ctx, model_dir: predictor)
    page.goto(url + "/predict")
    # SVM preview: the three frames of the first visit render as images.
    _wait_plot(page, "#svm-images")
    page.wait_for_function("document.querySelectorAll('#svm-images image').length === 3")
    # HST calibration: upload a real MemModelFeatures file; it fills the form.
    ipst = "id6q01020"  # WFC3/UVIS, CRSPLIT=1.0
    features = shared_data / "hst_cal" / "MemModelFeatures" / f"{ipst}_MemModelFeatures.txt"
    page.set_input_files("#pred-upload input[type=file]", str(features))
    page.wait_for_function(f"document.querySelector('#pred-ipst').value === '{ipst}'")
    assert page.input_value("#pred-n-files") == "9"
    assert page.input_value("#pred-crsplit") == "1.0"
    assert "instr = WFC3" in page.locator("#pred-derived").inner_text()
    page.click("#pred-submit")
    page.wait_for_selector("#pred-memval")
    memval = float(page.locator("#pred-memval").inner_text())
    expected = predictor.predict(ipst, features)
    assert memval == pytest.approx(expected["memVal"], abs=0.01)
    assert page.locator("#pred-membin").inner_text() == str(expected["memBin"])
    clock = int(page.locator("#pred-clocktime").inner_text().replace(",", ""))
    assert clock == expected["killTime"] > 0
    assert expected["features"]["crsplit"] == 1 and expected["features"]["detector"] == 1
    _wait_plot(page, "#pred-proba")
    assert ipst in page.locator("#pred-result h3").inner_text()
    _shot(page, artifacts, "predict")
    # Typing an impossible input shows the library's message instead of a number.
    page.fill("#pred-n-files", "0")
    page.click("#pred-submit")
    page.wait_for_function("document.querySelector('#pred-error').textContent.includes('n_files')")
    _shot(page, artifacts, "predict-error")


def test_lightcurve_upload_shows_period(dashboard, page, artifacts, shared_data):
    """Upload K2-3's light curve (csv, BKJD); the search runs in the background with a
    progress bar, and finds planet b (10.054 d) or c (24.646 d)."""
    url, _ = dashboard
    page.goto(url + "/lightcurves")
    page.set_input_files(
        "#lc-upload input[type=file]", str(shared_data / "lightcurves" / "EPIC201367065.csv")
    )
    page.wait_for_function(
        "document.querySelector('#lc-source').textContent.includes('EPIC201367065.csv')"
    )
    page.click("#lc-run")
    page.wait_for_selector("#lc-progress progress", state="visible")
    page.wait_for_selector("#lc-period", timeout=60_000)
    period = float(page.locator("#lc-period").inner_text())
    assert min(abs(period - 10.054), abs(period - 24.646)) < 0.05, period
    assert re.search(r"done in \d", page.locator("#lc-status").inner_text())
    for name in ("raw", "detrended", "periodogram", "folded"):
        _wait_plot(page, f"#lc-graph-{name}")
    _shot(page, artifacts, "lightcurves")

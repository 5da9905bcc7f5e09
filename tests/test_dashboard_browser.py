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

pytestmark = pytest.mark.slow  # the fast tier (make test-fast) leaves this file out

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
    summary = page.locator("#explore-summary").inner_text()
    assert (
        "29,191 rows" in summary and "29,191" in page.locator("#explore-summary-table").inner_text()
    )
    assert "e+0" not in summary  # counts in full (was 2.919e+04)
    titles = _texts(page, "#explore-graph .g-xtitle, #explore-graph .g-ytitle")
    assert "total_mb (MB)" in titles and "memory (GB)" in titles
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
        # 99.9% for bin 0 while the memory estimate with its margin needs bin 1 (the case a
        # user found confusing: the page must say why bin 1 is submitted)
        "bin": _Model(lambda Z: np.tile([0.999, 0.001, 0.0, 0.0], (len(Z), 1))),
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
    # bins are named by their queue, as the result is; the submitted bin is explained
    assert expected["memBin"] == 1 and expected["memBinArgmax"] == 0
    ticks = _texts(page, "#pred-proba .xtick text")
    assert "bin 1 · 8 GB queue (1.8-7.2 GB)" in ticks and "bin 0 · 2 GB queue" in ticks[0]
    assert "8 GB queue" in page.locator("#pred-result .stats").inner_text()
    note = page.locator("#pred-bin-note")
    assert note.is_visible()
    assert "Submitted bin 1 (8 GB queue), not the most likely bin 0 (2 GB queue" in (
        note.inner_text()
    )
    assert "99.9%" in note.inner_text()
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


# -- issue 21: what an astronomer sees ---------------------------------------------------
_COLORS_JS = """
ids => Object.fromEntries(ids.map(id => {
    const gd = document.querySelector('#' + id + ' .js-plotly-plot');
    return [id, gd._fullData.map(t => [t.name, (t.marker && t.type === 'bar')
        ? t.marker.color : (t.line ? t.line.color : t.marker.color)])];
}))
"""


def _polish_runs(runs_dir):
    """make_runs, with long run names, big confusion counts and a predict run (no metrics)."""
    runs = make_runs(runs_dir)
    big = Run.create("k2", "a-model-with-a-rather-long-descriptive-name-v2", runs_dir=runs_dir)
    big.write_metrics({"accuracy": 0.97})
    fpr = np.linspace(0, 1, 11)
    big.write_json(
        "evaluation.json",
        {
            "roc": {"fpr": fpr, "tpr": fpr**0.3, "auc": 0.93},
            "pr": {"precision": 1 - fpr / 3, "recall": fpr, "ap": 0.9},
            "confusion": {"labels": ["no", "yes"], "matrix": [[29191, 12], [40, 1070]]},
            "history": {"loss": [0.5, 0.3], "val_loss": [0.6, 0.4]},
        },
    )
    predict = Run.create("k2", "predict", runs_dir=runs_dir)
    predict.write_metrics({"model": "cnn-a"})  # no number: nothing to compare
    import pandas as pd

    predict.write_predictions(pd.DataFrame({"proba": [0.1, 0.9]}))
    runs["big"], runs["predict"] = big, predict
    return runs


def test_evaluate_one_colour_per_run_whole_counts_and_roomy_legends(
    tmp_path, live_server, page, artifacts
):
    runs = _polish_runs(tmp_path / "runs")
    app = create_app(runs_dir=tmp_path / "runs", max_workers=1)
    try:
        base = live_server(app.server)
        page.goto(base + "/evaluate")
        page.wait_for_selector("#eval-metrics-table")
        # the default selection: three runs with results, never the predict run
        header = page.locator("#eval-metrics-table thead th").all_inner_texts()
        assert len(header) == 4 and not any(runs["predict"].path.name in h for h in header)
        wanted = [f"k2/{runs['big'].path.name}", f"k2/{runs['cnn-b'].path.name}"]
        page.goto(base + "/evaluate?" + "&".join(f"run={k}" for k in wanted))
        for graph in ("#eval-roc", "#eval-pr", "#eval-history", "#eval-confusion"):
            _wait_plot(page, graph)
        _wait_plot(page, "#eval-metrics-bar")
        header = page.locator("#eval-metrics-table thead").inner_text()
        assert runs["big"].path.name in header and runs["cnn-b"].path.name in header
        colours = page.evaluate(
            _COLORS_JS, ["eval-metrics-bar", "eval-history", "eval-roc", "eval-pr"]
        )
        for key in ("big", "cnn-b"):
            label = f"k2 · {runs[key].path.name}"
            seen = {
                color
                for traces in colours.values()
                for name, color in traces
                if name.startswith(label)
            }
            assert len(seen) == 1, (key, colours)
            titles = page.evaluate(
                "[...document.querySelector('#eval-confusion .js-plotly-plot')"
                ".layout.annotations].map(a => a.text)"
            )
            title = next(t for t in titles if runs[key].path.name in t)
            assert f"color:{next(iter(seen))}" in title, (title, seen)
        # the two runs differ
        bar = dict(colours["eval-metrics-bar"])
        assert len(set(bar.values())) == len(bar) == 2
        # counts in full, never 1.07e+03
        confusion = page.locator("#eval-confusion").text_content()
        assert "29,191" in confusion and "1,070" in confusion and "e+0" not in confusion
        # legends under the ROC/PR plots: the plot keeps most of the card's width
        for graph in ("eval-roc", "eval-pr"):
            share = page.evaluate(
                f"(() => {{ const l = document.querySelector('#{graph} .js-plotly-plot')"
                "._fullLayout; return l._size.w / l.width; })()"
            )
            assert share > 0.8, (graph, share)  # was a third
        _shot(page, artifacts, "evaluate-colours")
    finally:
        app.spacekit.jobs.shutdown(wait=False)


def test_runs_table_links_to_a_run_and_empty_sections_are_hidden(
    tmp_path, live_server, page, artifacts
):
    runs = _polish_runs(tmp_path / "runs")
    app = create_app(runs_dir=tmp_path / "runs", max_workers=1)
    try:
        page.goto(live_server(app.server) + "/")
        page.wait_for_selector("#runs-table")
        assert page.locator("#runs-table tbody a").count() == 5  # every run links somewhere
        page.locator("#runs-table a", has_text=runs["regressor"].path.name).click()
        page.wait_for_url(f"**/evaluate?run=hst_cal/{runs['regressor'].path.name}")
        _wait_plot(page, "#eval-residuals")
        header = page.locator("#eval-metrics-table thead").inner_text()
        assert runs["regressor"].path.name in header and "cnn" not in header
        # the regression run has no history, ROC, PR or confusion: those cards are hidden
        for card in ("history", "roc", "pr", "confusion"):
            assert not page.locator(f"#eval-{card}-card").is_visible(), card
        assert page.locator("#eval-residuals-card").is_visible()
        residuals = page.locator("#eval-residuals").text_content()
        assert "true memory (GB)" in residuals and "predicted - true (GB)" in residuals
        _shot(page, artifacts, "evaluate-linked-regression")
        # a predict run links to its predictions on Explore
        page.goto(page.url.split("/evaluate")[0] + "/")
        page.locator("#runs-table a", has_text=runs["predict"].path.name).click()
        page.wait_for_url("**/explore?dataset=run:k2/*")
        page.wait_for_function(
            "document.querySelector('#explore-summary') && "
            "document.querySelector('#explore-summary').textContent.includes('2 rows')"
        )
    finally:
        app.spacekit.jobs.shutdown(wait=False)


def test_predict_shows_the_svm_misalignment_probability(
    tmp_path, live_server, page, artifacts, shared_data
):
    """With a trained hst_svm model in the runs folder (a small real one), the SVM section
    shows each visit's misalignment probability next to its frames."""
    from spacekit.datasets import load
    from spacekit.skopes.hst.svm import app as svm_app

    table = load("svm_labeled_2021_07_28")
    train = table.sample(300, random_state=0)
    run = svm_app.train(train, runs_dir=tmp_path / "runs", kind="gb", fast=True, seed=0)
    app = create_app(runs_dir=tmp_path / "runs", max_workers=1)
    try:
        page.goto(live_server(app.server) + "/predict")
        _wait_plot(page, "#svm-images")
        page.wait_for_selector("#svm-proba")
        shown = float(page.locator("#svm-proba").inner_text().rstrip("%")) / 100
        visit = page.locator("#svm-visit").inner_text().strip()
        expected = svm_app.predict_frame(run.model_dir, table[table["index"] == visit])[
            "probability"
        ].iloc[0]
        assert shown == pytest.approx(expected, abs=0.0006)
        assert "threshold 0.50" in page.locator("#svm-label").inner_text()
        _shot(page, artifacts, "predict-svm")
    finally:
        app.spacekit.jobs.shutdown(wait=False)


def test_lightcurves_say_why_nothing_was_detected(tmp_path, dashboard, page, artifacts):
    """Pure noise: the search reports its best period, 'detected: no', and the failed
    checks (HuntResult vetting) instead of a bare 'no'."""
    rng = np.random.default_rng(4)
    t = np.arange(0, 30, 0.0204)
    flux = 1 + rng.normal(0, 1e-3, t.size)
    path = tmp_path / "noise.csv"
    path.write_text(
        "time,flux\n" + "".join(f"{a:.5f},{b:.6f}\n" for a, b in zip(t, flux, strict=True))
    )
    url, _ = dashboard
    page.goto(url + "/lightcurves")
    page.set_input_files("#lc-upload input[type=file]", str(path))
    page.wait_for_function("document.querySelector('#lc-source').textContent.includes('noise.csv')")
    page.click("#lc-run")
    page.wait_for_selector("#lc-detected", timeout=120_000)
    assert page.locator("#lc-detected").inner_text() == "no"
    vetting = page.locator("#lc-vetting")
    assert vetting.is_visible() and vetting.locator("li").count() >= 1
    assert "below the detection threshold" in vetting.inner_text() or "SNR" in (
        vetting.inner_text()
    )
    _shot(page, artifacts, "lightcurves-not-detected")


def test_explore_page_draws_upstreams_kde_and_grouped_bars(dashboard, page, artifacts):
    """Issue 23 item 5: the kde and grouped-bars kinds render in the browser."""
    url, _ = dashboard
    page.goto(url + "/explore")
    _wait_plot(page, "#explore-graph", timeout=60_000)
    page.get_by_label("kde").check()
    page.wait_for_function(
        "document.querySelector('#explore-graph .gtitle') && "
        "document.querySelector('#explore-graph .gtitle').textContent.includes('density')"
    )
    legend = _texts(page, "#explore-graph .legendtext")
    assert any(t.startswith("WFC3 (n=") for t in legend)
    assert "log10(total_mb)" in _texts(page, "#explore-graph .g-xtitle")
    _shot(page, artifacts, "explore-kde")
    page.get_by_label("grouped bars").check()
    page.wait_for_function(  # x is total_mb: too many values for bars, and the figure says so
        "document.querySelector('#explore-graph') && "
        "document.querySelector('#explore-graph').textContent.includes('too many')"
    )
    page.click("#explore-x")
    page.locator(".dash-dropdown-option").get_by_text("detector", exact=True).click()
    page.wait_for_function(
        "document.querySelectorAll('#explore-graph .barlayer .trace').length >= 4"
    )
    assert {"ACS", "COS", "STIS", "WFC3"} <= set(_texts(page, "#explore-graph .legendtext"))
    _shot(page, artifacts, "explore-grouped-bars")

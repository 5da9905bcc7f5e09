"""Dashboard Explore page: upstream's kde, 3d scatter and grouped bars (issue 23, item 5),
driven through Dash's own callback endpoint."""

from __future__ import annotations

import json

import pytest

from spacekit.dashboard import create_app

TABLE = "svm_labeled_2021_07_28"


@pytest.fixture
def app(tmp_path):
    app = create_app(runs_dir=tmp_path)
    yield app
    app.spacekit.jobs.shutdown()


@pytest.fixture
def client(app):
    return app.server.test_client()


def _inputs(kind, x, y, color, logs, z):
    values = {
        "explore-dataset": TABLE,
        "explore-kind": kind,
        "explore-x": x,
        "explore-y": y,
        "explore-color": color,
        "explore-log": logs,
        "explore-z": z,
    }
    return [{"id": k, "property": "value", "value": v} for k, v in values.items()]


def _plot(client, kind, x, y=None, color=None, logs=(), z=None):
    body = {
        "output": "explore-graph.figure",
        "outputs": {"id": "explore-graph", "property": "figure"},
        "inputs": _inputs(kind, x, y, color, list(logs), z),
        "changedPropIds": ["explore-kind.value"],
        "state": [],
    }
    resp = client.post("/_dash-update-component", json=body)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    return json.loads(resp.get_data(as_text=True))["response"]["explore-graph"]["figure"]


def test_explore_offers_the_upstream_kinds_and_a_z_column(app, client):
    from spacekit.dashboard.pages import explore

    text = str(explore.layout(app.spacekit))
    for kind in ("kde", "3d scatter", "grouped bars"):
        assert f"'{kind}'" in text
    assert "explore-z" in text
    body = {
        "output": "..explore-z.options...explore-z.value..",
        "outputs": [
            {"id": "explore-z", "property": "options"},
            {"id": "explore-z", "property": "value"},
        ],
        "inputs": [{"id": "explore-dataset", "property": "value", "value": TABLE}],
        "changedPropIds": ["explore-dataset.value"],
        "state": [],
    }
    resp = client.post("/_dash-update-component", json=body).get_json()["response"]
    assert "gaia" in resp["explore-z"]["options"]
    assert resp["explore-z"]["value"] in resp["explore-z"]["options"]


def test_explore_draws_kde_3d_scatter_and_grouped_bars(client):
    kde = _plot(client, "kde", "rms_ra", color="alignment", logs=["x"])
    lines = [t for t in kde["data"] if t["type"] == "scatter"]
    assert len(lines) == 2 and all("n=" in t["name"] for t in lines)
    assert kde["layout"]["xaxis"]["title"]["text"] == "log10(rms_ra)"
    s3 = _plot(client, "3d scatter", "point", "segment", "alignment", z="gaia")
    assert {t["type"] for t in s3["data"]} == {"scatter3d"} and len(s3["data"]) == 2
    bars = _plot(client, "grouped bars", "detector", None, "alignment")
    assert {t["type"] for t in bars["data"]} == {"bar"} and bars["layout"]["barmode"] == "group"
    means = _plot(client, "grouped bars", "detector", "rms_ra", "alignment")
    assert means["layout"]["yaxis"]["title"]["text"] == "mean rms_ra"
    # what a plot cannot draw is said in the figure, not raised
    missing_z = _plot(client, "3d scatter", "point", "segment", None, z=None)
    assert "y and z" in missing_z["layout"]["annotations"][0]["text"]
    too_many = _plot(client, "grouped bars", "rms_ra", None, None)
    assert "too many" in too_many["layout"]["annotations"][0]["text"]

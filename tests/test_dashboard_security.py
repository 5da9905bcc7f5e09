"""Hostile requests to a served dashboard (issue 16, defects 2, 3 and 6): model choices only
from the runs folder, paths in a model folder confined to it, bounded caches, a request size
limit answered before the body is read, uploads refused before decoding and never echoed,
and values of the wrong type answered with a message instead of HTTP 500."""

from __future__ import annotations

import base64
import http.client
import json
import os
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from spacekit.dashboard import create_app, uploads
from spacekit.dashboard.app import DashboardContext
from spacekit.dashboard.data import check_model_folder
from spacekit.dashboard.pages import predict as predict_page
from spacekit.exceptions import InputError, ModelLoadError
from spacekit.utils.runs import Run


# -- helpers -------------------------------------------------------------------------------
def _post(url: str, body: bytes, headers: dict | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _callback(base: str, inputs: dict, state: dict | None = None) -> tuple[int, dict | bytes]:
    """Call the app's callback whose inputs are ``inputs`` ({"id.prop": value}) as the
    browser would (POST /_dash-update-component); return (status, JSON reply or raw body)."""
    with urllib.request.urlopen(base + "/_dash-dependencies", timeout=30) as resp:
        deps = json.load(resp)
    wanted = set(inputs)
    dep = next(d for d in deps if {f"{i['id']}.{i['property']}" for i in d["inputs"]} == wanted)
    outputs = []
    for part in dep["output"].strip(".").split("..."):
        oid, prop = part.split(".", 1)
        outputs.append({"id": oid, "property": prop})

    def items(specs, values):
        return [
            {
                "id": s["id"],
                "property": s["property"],
                "value": values.get(f"{s['id']}.{s['property']}"),
            }
            for s in specs
        ]

    payload = {
        "output": dep["output"],
        "outputs": outputs if dep["output"].startswith("..") else outputs[0],
        "inputs": items(dep["inputs"], inputs),
        "state": items(dep["state"], state or {}),
        "changedPropIds": list(inputs),
    }
    status, body = _post(base + "/_dash-update-component", json.dumps(payload).encode())
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body


def _hst_model_run(runs_dir: Path, name: str = "model") -> Run:
    run = Run.create("hst_cal", name, runs_dir=runs_dir)
    run.model_dir.mkdir()
    (run.model_dir / "metadata.json").write_text(
        json.dumps({"format": 1, "models": {"bin": {"file": "bin.npz", "spec": {}}}})
    )
    return run


@pytest.fixture
def served(tmp_path, live_server):
    """(base URL, app) of a dashboard with small limits: 20 kB requests, 4 kB uploads."""
    app = create_app(
        runs_dir=tmp_path / "runs", max_workers=1, max_request_bytes=20_000, max_upload_bytes=4000
    )
    yield live_server(app.server), app
    app.spacekit.jobs.shutdown(wait=False)
    app.spacekit.uploads.close()


# -- defect 2: model choices and paths inside a model folder -----------------------------
def test_predict_offers_only_listed_models_by_key(tmp_path):
    run = _hst_model_run(tmp_path / "runs")
    ctx = DashboardContext(runs_dir=tmp_path / "runs", jobs=None)
    choices = predict_page.model_choices(ctx)
    key = f"run:hst_cal/{run.path.name}"
    assert [c["value"] for c in choices] == [key]  # a key, never a server path
    assert predict_page.model_folder_for(ctx, key) == run.model_dir.resolve()
    elsewhere = _hst_model_run(tmp_path / "elsewhere").model_dir
    for value in (str(elsewhere), str(run.model_dir), "run:hst_cal/../../elsewhere", "/etc"):
        with pytest.raises(InputError, match="not a model this dashboard lists"):
            predict_page.model_folder_for(ctx, value)
    for value in ([key], {"a": 1}, 3):
        with pytest.raises(InputError, match="pick a model from the list"):
            predict_page.model_folder_for(ctx, value)


def test_a_model_folder_cannot_lead_a_loader_outside_it(tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("root:x:0:0")
    run = _hst_model_run(tmp_path / "runs")
    ctx = DashboardContext(runs_dir=tmp_path / "runs", jobs=None)
    key = f"run:hst_cal/{run.path.name}"
    meta = run.model_dir / "metadata.json"
    for bad in ("../../../../etc/passwd", "/etc/passwd", str(outside), ["a"]):
        meta.write_text(json.dumps({"format": 1, "models": {"bin": {"file": bad}}}))
        with pytest.raises(ModelLoadError, match="expected a file inside the model folder"):
            predict_page.model_folder_for(ctx, key)
    meta.write_text(json.dumps({"format": 1, "models": {"bin": {"file": "bin.npz"}}}))
    (run.model_dir / "bin.npz").symlink_to(outside)  # a link out of the folder
    with pytest.raises(ModelLoadError, match="bin.npz is a link to outside the model folder"):
        predict_page.model_folder_for(ctx, key)
    (run.model_dir / "bin.npz").unlink()
    (run.model_dir / "bin.npz").symlink_to(run.model_dir / "metadata.json")  # inside: fine
    assert check_model_folder(run.model_dir) == run.model_dir.resolve()
    # the model/ folder itself a link to a folder outside the runs folder
    other = _hst_model_run(tmp_path / "runs", "linked")
    os.rename(other.model_dir, tmp_path / "moved")
    os.symlink(tmp_path / "moved", other.model_dir)
    with pytest.raises(ModelLoadError, match="link to outside the runs folder"):
        predict_page.model_folder_for(ctx, f"run:hst_cal/{other.path.name}")


def test_predict_requests_with_hostile_model_values_get_a_message(served, monkeypatch):
    """A path, a list, or a listed model whose metadata names /etc/passwd: the page answers
    with a message (HTTP 200), no loader is ever called, nothing of the file is shown."""
    url, app = served
    run = _hst_model_run(app.spacekit.runs_dir)
    (run.model_dir / "metadata.json").write_text(
        json.dumps({"format": 1, "models": {"bin": {"file": "../../../../etc/passwd"}}})
    )
    import spacekit.skopes.hst.cal as cal

    loaded = []
    monkeypatch.setattr(cal, "load_predictor", lambda folder: loaded.append(folder))
    form = {
        "pred-ipst.value": "ic0k06010",
        "pred-n-files.value": 2,
        "pred-total-mb.value": 4.0,
    }
    cases = {
        str(run.model_dir): "not a model this dashboard lists",
        "/etc": "not a model this dashboard lists",
        f"run:hst_cal/{run.path.name}": "names the file '../../../../etc/passwd'",
    }
    for value, message in [*cases.items(), (["/etc"], "got a list"), ({"x": 1}, "got a dict")]:
        status, reply = _callback(
            url, {"pred-submit.n_clicks": 1}, {"pred-model.value": value, **form}
        )
        assert status == 200, (value, reply)
        error = reply["response"]["pred-error"]["children"]
        assert message in error and "root:" not in json.dumps(reply)
    assert loaded == []


def test_caches_are_bounded(tmp_path):
    ctx = DashboardContext(runs_dir=tmp_path, jobs=None, max_cached=3)
    for i in range(50):
        assert ctx.cached(f"model:{i}", lambda i=i: i) == i
    assert list(ctx.cache) == ["model:47", "model:48", "model:49"]
    ctx.cached("model:47", lambda: -1)  # a hit refreshes the entry: the oldest goes first
    ctx.cached("new", lambda: 0)
    assert list(ctx.cache) == ["model:49", "model:47", "new"]


# -- defect 3: request size, uploads -------------------------------------------------------
def test_an_oversized_request_is_refused_before_its_body_is_read(served):
    url, _ = served
    status, body = _post(url + "/_dash-update-component", b"x" * 30_000)
    assert status == 413 and b"upload a smaller file" in body, (status, body)
    # a body announced as 1 GB: answered 413 from the headers alone (no byte of it is sent)
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.putrequest("POST", "/_dash-update-component")
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(10**9))
        conn.endheaders()
        resp = conn.getresponse()
        assert resp.status == 413
    finally:
        conn.close()


def test_an_oversized_upload_is_refused_before_decoding(served, monkeypatch):
    url, app = served
    decoded = []
    real = uploads.base64.b64decode
    monkeypatch.setattr(
        uploads.base64, "b64decode", lambda *a, **k: decoded.append(1) or real(*a, **k)
    )
    big = "data:text/csv;base64," + base64.b64encode(b"1,2\n" * 1500).decode()  # 6 kB > 4 kB
    assert len(big) < 20_000  # under the request limit: the upload limit must catch it
    status, reply = _callback(url, {"lc-upload.contents": big}, {"lc-upload.filename": "big.csv"})
    assert status == 200
    assert "accepts uploads up to 4000 bytes" in reply["response"]["lc-error"]["children"]
    assert decoded == []  # refused from the length of the data URL
    monkeypatch.setattr(predict_page, "MAX_FEATURES_BYTES", 5000)  # 64 kB in real use
    status, reply = _callback(
        url, {"pred-upload.contents": big}, {"pred-upload.filename": "x_MemModelFeatures.txt"}
    )
    assert status == 200 and "6000 bytes" in json.dumps(reply) and decoded == []
    # the wrong type of value: a message, not HTTP 500
    status, reply = _callback(url, {"lc-upload.contents": ["a"]}, {"lc-upload.filename": 1})
    assert status == 200 and "did not arrive as a file upload" in json.dumps(reply)


def test_an_upload_is_kept_server_side_and_never_echoed(served):
    url, app = served
    csv = "".join(f"{t:.3f},{1 + 0.001 * (t % 3):.5f}\n" for t in range(200)).encode()
    payload = base64.b64encode(csv).decode()
    status, reply = _callback(
        url,
        {"lc-upload.contents": "data:text/csv;base64," + payload},
        {"lc-upload.filename": "../../lc.csv"},
    )
    assert status == 200
    text = json.dumps(reply)
    assert payload[:64] not in text and len(text) < 1000  # the file is not sent back
    store = reply["response"]["lc-upload-store"]["data"]
    assert set(store) == {"token", "filename"} and store["filename"] == "lc.csv"
    path = app.spacekit.uploads.path(store["token"])
    assert path.read_bytes() == csv and path.name == "lc.csv"
    assert app.spacekit.uploads._dir in path.parents  # stays in the store's folder
    # the search starts from the token; a forged token or a path is refused
    for bad in ({"token": "../../etc/passwd"}, {"token": ["x"]}, {"path": "/etc/passwd"}):
        status, reply = _callback(
            url,
            {"lc-run.n_clicks": 1},
            {
                "lc-upload-store.data": bad,
                "lc-engine.value": "bls",
                "lc-max-planets.value": 1,
                "lc-window.value": 1.0,
                "lc-time-format.value": "bkjd",
            },
        )
        assert status == 200
        error = reply["response"]["lc-error"]["children"]
        assert "upload the file again" in error or "Pick a built-in light curve" in error


def test_values_of_the_wrong_type_get_a_message_not_http_500(served):
    url, _ = served
    for inputs, state in (
        ({"explore-dataset.value": ["hst_cal_2021_05_11"]}, {}),
        ({"lc-poll.n_intervals": 1}, {"lc-job.data": {"id": 1}}),
        ({"pred-train-poll.n_intervals": 1}, {"pred-train-job.data": [1]}),
        ({"eval-runs.value": "k2"}, {}),
        ({"eval-runs.value": [["x"], 3]}, {}),
        ({"pred-ipst.value": ["ic0k06010"]}, {}),
        ({"svm-visit.value": ["v"], "svm-model.value": {"x": 1}}, {}),
        ({"eval-runs.value": ["k2/x"], "eval-metrics.value": [["a"]]}, {}),
        (
            {f"explore-{k}.value": [k] for k in ("dataset", "kind", "x", "y", "color", "log", "z")},
            {},
        ),
    ):
        status, reply = _callback(url, inputs, state)
        assert status in (200, 204), (inputs, state, reply)


def test_large_requests_are_handled_a_few_at_a_time(served):
    """Each large upload is held several times over while decoded; with eight request
    threads, eight at once took gigabytes. Two are handled at once, a third waits its turn
    (503, Retry-After) while the server stays responsive for everything else."""
    import threading

    from spacekit.dashboard.app import LargeRequestGate

    inside, release = threading.Semaphore(0), threading.Event()

    def slow(environ, start_response):
        inside.release()
        release.wait(10)
        start_response("200 OK", [])
        return [b"done"]

    gate = LargeRequestGate(slow, limit=2, large=100)
    big = {"CONTENT_LENGTH": "5000"}
    statuses = []
    threads = [
        threading.Thread(target=gate, args=(big, lambda s, h: statuses.append(s))) for _ in range(2)
    ]
    for t in threads:
        t.start()
    assert inside.acquire(timeout=10) and inside.acquire(timeout=10)  # both inside
    answer = gate(big, lambda s, h: statuses.append((s, dict(h))))
    assert b"retry" in answer[0] and statuses[-1][0].startswith("503")
    assert statuses[-1][1]["Retry-After"] == "5"
    release.set()
    for t in threads:
        t.join(10)
    assert statuses.count("200 OK") == 2
    assert gate(big, lambda s, h: statuses.append(s)) == [b"done"]  # free again
    # the served app has the gate in front of Flask
    _, app = served
    assert isinstance(app.server.wsgi_app, LargeRequestGate)


def test_run_folder_files_linked_outside_are_never_read(tmp_path):
    """The same class as a model folder's: a run's predictions.csv, metrics.json or figure
    that is a link to a file elsewhere on the server is refused, never shown."""
    from spacekit.dashboard import summarize_runs
    from spacekit.dashboard.data import find_run
    from spacekit.dashboard.pages import evaluate, explore
    from spacekit.exceptions import FormatError

    secret = tmp_path / "secret.csv"
    secret.write_text("user,password\nroot,hunter2\n")
    leaked = tmp_path / "leaked.json"
    leaked.write_text('{"password_digits": 1234}')
    runs = tmp_path / "runs"
    pred = Run.create("k2", "pred", runs_dir=runs)
    pred.predictions_path.symlink_to(secret)
    met = Run.create("k2", "met", runs_dir=runs)
    (met.path / "metrics.json").symlink_to(leaked)
    ctx = DashboardContext(runs_dir=runs, jobs=None)
    with pytest.raises(FormatError, match="predictions.csv is a link to outside the run folder"):
        explore.table(ctx, f"run:k2/{pred.path.name}")
    with pytest.raises(FormatError, match="metrics.json is a link"):
        find_run(runs, f"k2/{met.path.name}")
    table = summarize_runs(runs).set_index("run")
    assert "password_digits" not in table.columns
    assert "link to outside the run folder" in table.loc[met.path.name, "problem"]
    page = str(evaluate.layout(ctx))
    assert "1234" not in page and "hunter2" not in str(explore.layout(ctx))
    records, metrics, errors = evaluate._load(ctx, [f"k2/{met.path.name}"])
    assert not metrics and "link to outside" in errors[0]

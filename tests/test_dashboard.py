"""The dashboard without a browser: run summaries, figures, the job pool, the Predict helpers,
the app's HTTP routes, the ``spacekit dashboard`` command (the Docker image's entry command,
run as a subprocess) and the Dockerfile lint."""

from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from spacekit.dashboard import JobManager, create_app, flatten_metrics, summarize_runs
from spacekit.dashboard import figures as F
from spacekit.dashboard.data import (
    find_run,
    hst_cal_labels,
    load_example_table,
    load_svm_images,
    read_evaluation,
    run_id,
    svm_labels,
)
from spacekit.dashboard.pages import predict as predict_page
from spacekit.exceptions import DataNotFoundError, FormatError, InputError
from spacekit.utils.runs import Run

ROOT = Path(__file__).resolve().parents[1]


def make_runs(runs_dir: Path) -> dict[str, Run]:
    """Two binary-classification runs and one regression run with evaluation.json."""
    rng = np.random.default_rng(1)
    runs = {}
    for i, name in enumerate(["cnn-a", "cnn-b"]):
        run = Run.create("k2", name, runs_dir=runs_dir, seed=i)
        run.write_metrics({"accuracy": 0.8 + 0.05 * i, "loss": 0.4 - 0.1 * i})
        fpr = np.linspace(0, 1, 11)
        run.write_json(
            "evaluation.json",
            {
                "task": "binary",
                "history": {"loss": [0.9, 0.6, 0.4], "val_loss": [1.0, 0.7, 0.5]},
                "roc": {"fpr": fpr, "tpr": np.sqrt(fpr), "auc": 0.8 + 0.05 * i},
                "pr": {"precision": 1 - fpr / 2, "recall": fpr, "ap": 0.7},
                "confusion": {"labels": ["no", "yes"], "matrix": [[40, 4 + i], [6, 30]]},
            },
        )
        runs[name] = run
    import pandas as pd

    runs["cnn-a"].write_predictions(
        pd.DataFrame({"y_true": rng.integers(0, 2, 40), "proba": rng.uniform(0, 1, 40)})
    )
    reg = Run.create("hst_cal", "regressor", runs_dir=runs_dir)
    y = rng.gamma(2.0, 2.0, 50)
    reg.write_metrics({"rmse": 0.5, "r2": {"value": 0.9, "unit": ""}})
    reg.write_json(
        "evaluation.json", {"task": "regression", "residuals": {"y_true": y, "y_pred": y + 0.1}}
    )
    runs["regressor"] = reg
    return runs


# -- data ----------------------------------------------------------------------------------
def test_flatten_metrics_keeps_numbers_and_nests():
    out = flatten_metrics(
        {"a": 1, "b": {"c": 2.5, "d": "x"}, "e": True, "q": {"value": 3.0, "unit": "d"}}
    )
    assert out == {"a": 1.0, "b.c": 2.5, "q": 3.0}


def test_summarize_runs_lists_every_run_with_metrics(tmp_path):
    runs = make_runs(tmp_path)
    (runs["cnn-b"].path / "metrics.json").write_text("{not json")  # a corrupt file
    table = summarize_runs(tmp_path)
    assert len(table) == 3
    assert set(table["app"]) == {"k2", "hst_cal"}
    row = table.set_index("run").loc[runs["cnn-a"].path.name]
    assert row["accuracy"] == pytest.approx(0.8)
    assert bool(row["has_evaluation"])
    assert np.isnan(table.set_index("run").loc[runs["cnn-b"].path.name]["accuracy"])


def test_find_run_refuses_paths_outside_the_runs_folder(tmp_path):
    runs = make_runs(tmp_path / "runs")
    key = run_id(runs["cnn-a"], tmp_path / "runs")
    assert find_run(tmp_path / "runs", key) == runs["cnn-a"]
    with pytest.raises(InputError, match="outside the runs folder"):
        find_run(tmp_path / "runs", "../../etc")


def test_read_evaluation_rejects_non_object(tmp_path):
    run = Run.create("k2", "bad", runs_dir=tmp_path)
    (run.path / "evaluation.json").write_text("[1, 2]")
    with pytest.raises(FormatError, match="JSON object"):
        read_evaluation(run)


def test_label_columns():
    cal = hst_cal_labels(
        __import__("pandas").DataFrame(
            {
                "instr": [0, 1, 2, 3],
                "detector": [1, 0, 0, 1],
                "mem_bin": [0, 1, 2, 3],
                "dtype": [1, 0, 1, 0],
            }
        )
    )
    assert cal["instrument"].tolist() == ["ACS", "COS", "STIS", "WFC3"]
    assert cal["memory_bin"].iloc[3].startswith("bin 3 · 64 GB queue")
    svm = svm_labels(
        __import__("pandas").DataFrame(
            {"index": ["hst_12109_01_wfc3_uvis_total_ibfn01"], "label": [0.0]}
        )
    )
    assert svm[["instrument", "detector", "alignment"]].values.tolist() == [
        ["WFC3", "UVIS", "aligned"]
    ]


def test_example_tables_and_svm_images_from_the_real_data(shared_data):
    svm = load_example_table("svm_labeled_2021_07_28")
    assert len(svm) == 1791
    assert set(svm["detector"]) >= {"IR", "UVIS", "WFC"}
    cat = load_example_table("hst_cal_categorized_subset_2021_08")
    assert {"galaxy", "star"} <= set(cat["target_category"])
    images = load_svm_images()
    assert len(images) == 2
    frames = next(iter(images.values()))
    assert frames.shape == (3, 128, 128, 3) and frames.dtype == np.uint8
    assert frames.max() > 0
    with pytest.raises(InputError, match="unknown example table"):
        load_example_table("nope")


# -- figures -------------------------------------------------------------------------------
def test_figures_overlay_runs(tmp_path):
    runs = make_runs(tmp_path)
    records = {name: read_evaluation(run) for name, run in runs.items()}
    roc = F.roc_figure(records)
    assert [t.name for t in roc.data] == ["cnn-a (AUC 0.800)", "cnn-b (AUC 0.850)", "chance"]
    assert len(F.pr_figure(records).data) == 2
    assert len(F.history_figure(records).data) == 4
    conf = F.confusion_figure(records)
    assert len(conf.data) == 2 and conf.data[1].z.tolist() == [[40, 5], [6, 30]]
    res = F.residuals_figure(records)
    assert len(res.data) == 3  # scatter, residuals, y = x
    np.testing.assert_allclose(res.data[1].y, 0.1)  # predicted - true


def test_metrics_bars_give_each_metric_its_own_axis():
    """An RMSE in GB next to one in seconds: on one shared axis the GB bars were invisible."""
    import pandas as pd

    t = pd.DataFrame(
        {"memory.rmse": [3.9, 4.1], "wallclock.rmse": [17_700.0, 18_000.0]},
        index=["run a", "run b"],
    )
    fig = F.metrics_bar_figure(t, ["memory.rmse", "wallclock.rmse"])
    axes = {
        m: {bar.yaxis for bar in fig.data if bar.hovertemplate.startswith(m)} for m in t.columns
    }
    assert len(axes["memory.rmse"]) == 1 and axes["memory.rmse"] != axes["wallclock.rmse"]
    assert [b.name for b in fig.data if b.showlegend] == ["run a", "run b"]
    assert {b.marker.color for b in fig.data if b.name == "run a"} == {
        next(b.marker.color for b in fig.data if b.name == "run a")
    }


def test_figures_per_class_curves_and_empty_states():
    rec = {
        "m": {
            "roc": {
                "fpr": [[0, 1], [0, 0.5, 1]],
                "tpr": [[0, 1], [0, 0.9, 1]],
                "auc": [0.5, 0.7],
                "labels": ["a", "b"],
            }
        }
    }
    assert [t.name for t in F.roc_figure(rec).data][:2] == [
        "m [a] (AUC 0.500)",
        "m [b] (AUC 0.700)",
    ]
    rec = {"m": {"pr": {"a": {"precision": [1, 0], "recall": [0, 1], "ap": 0.5}}}}
    assert F.pr_figure(rec).data[0].name == "m [a] (AP 0.500)"
    assert F.confusion_figure({"m": {}}).layout.annotations[0].text.startswith("no confusion")
    with pytest.raises(InputError, match="pair up"):
        F.residuals_figure({"m": {"residuals": {"y_true": [1, 2], "y_pred": [1]}}})


def test_explore_figure_kinds_and_errors():
    import pandas as pd

    df = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [2.0, 3, 1, 5], "c": ["x", "y", "x", "y"]})
    assert F.explore_figure(df, "scatter", "a", "b", "c").data[0].type == "scattergl"
    assert F.explore_figure(df, "box", "c", "b").data[0].type == "box"
    assert F.explore_figure(df, "histogram", "a", None, "c").data[0].type == "histogram"
    with pytest.raises(InputError, match="not in the table"):
        F.explore_figure(df, "scatter", "a", "zz")
    with pytest.raises(InputError, match="plot kind"):
        F.explore_figure(df, "pie", "a", "b")


# -- jobs ----------------------------------------------------------------------------------
def test_job_manager_reports_progress_and_errors():
    jobs = JobManager(max_workers=2)
    gate = threading.Event()

    def slow(report):
        report(0.4, "working")
        gate.wait(10)
        return "ok"

    slow_id = jobs.submit(slow, label="slow")
    for _ in range(100):
        if jobs.status(slow_id)["message"] == "working":
            break
        time.sleep(0.02)
    snap = jobs.status(slow_id)
    assert snap["state"] == "running" and snap["progress"] == pytest.approx(0.4)
    # A second job finishes while the first still runs: nobody waits for another user's work.
    fast = jobs.submit(lambda report, x: x + 1, 1)
    assert jobs.wait(fast, timeout=10)["result"] == 2
    assert jobs.status(slow_id)["state"] == "running"
    gate.set()
    done = jobs.wait(slow_id, timeout=10)
    assert done["state"] == "done" and done["result"] == "ok" and done["progress"] == 1.0
    bad = jobs.wait(
        jobs.submit(lambda report: (_ for _ in ()).throw(InputError("bad input"))), timeout=10
    )
    assert bad["state"] == "failed" and bad["error"] == "bad input"
    with pytest.raises(InputError, match="no dashboard job"):
        jobs.status("missing")
    jobs.shutdown()


# -- predict helpers -----------------------------------------------------------------------
def test_parse_upload_of_a_real_memmodelfeatures_file(shared_data):
    path = shared_data / "hst_cal" / "MemModelFeatures" / "la8p01010_MemModelFeatures.txt"
    contents = "data:text/plain;base64," + base64.b64encode(path.read_bytes()).decode()
    values = predict_page.parse_upload(contents, path.name)
    assert values["ipst"] == "la8p01010"
    raw = dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    assert str(values["n_files"]) == raw["n_files"]
    ipst, mapping = predict_page.features_from_form(values)
    assert ipst == "la8p01010" and mapping["DETECTOR"] == raw["DETECTOR"]
    # saved by an editor with a byte-order mark: the same values
    bom = "data:text/plain;base64," + base64.b64encode(b"\xef\xbb\xbf" + path.read_bytes()).decode()
    assert predict_page.parse_upload(bom, path.name) == values
    # read as the pipeline reads it: a line that is not key=value, or bytes that are not UTF-8,
    # is a FormatError naming the file
    for bad in (b"n_files=2\ntotal_mb 4\n", b"n_files=2\xff\n"):
        with pytest.raises(FormatError, match="x_MemModelFeatures.txt"):
            predict_page.parse_upload(
                "data:text/plain;base64," + base64.b64encode(bad).decode(), "x_MemModelFeatures.txt"
            )
    with pytest.raises(FormatError, match="n_files"):
        predict_page.parse_upload(
            "data:text/plain;base64," + base64.b64encode(b"a=1").decode(), "x.txt"
        )
    with pytest.raises(InputError, match="9 characters"):
        predict_page.features_from_form({"ipst": "abc", "n_files": 1, "total_mb": 1})
    with pytest.raises(InputError, match="n_files"):
        predict_page.features_from_form({"ipst": "la8p01010", "n_files": 0, "total_mb": 1})


# -- the app -------------------------------------------------------------------------------
def test_create_app_routes(tmp_path):
    make_runs(tmp_path)
    app = create_app(runs_dir=tmp_path)
    client = app.server.test_client()
    health = client.get("/healthz").get_json()
    assert health == {"status": "ok", "runs_dir": str(tmp_path)}
    for path in ("/", "/evaluate", "/explore", "/predict", "/lightcurves"):
        assert client.get(path).status_code == 200
    layout = client.get("/_dash-layout").get_json()
    assert "url" in str(layout) and "page" in str(layout)
    app.spacekit.jobs.shutdown()
    with pytest.raises(InputError, match="folder of run folders"):
        create_app(runs_dir=tmp_path / "k2" / next(iter(os.listdir(tmp_path / "k2"))) / "run.json")


def test_cli_parser_has_dashboard():
    from spacekit.cli import build_parser

    args = build_parser().parse_args(["dashboard", "--host", "0.0.0.0", "--runs", "/runs"])
    assert (args.host, args.port, args.runs) == ("0.0.0.0", 8050, "/runs")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 5.0) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return resp.status, resp.read().decode("utf-8")


@pytest.mark.slow
def test_docker_entry_command_serves_pages(tmp_path):
    """The image runs ``spacekit dashboard --host 0.0.0.0 --port 8050 --runs /runs``: run that
    command (on a free port, with a temporary runs folder) and fetch pages over HTTP."""
    make_runs(tmp_path / "runs")
    port = _free_port()
    exe = Path(sys.executable).with_name("spacekit")
    cmd = [
        str(exe),
        "dashboard",
        "--host",
        "0.0.0.0",
        "--port",
        str(port),
        "--runs",
        str(tmp_path / "runs"),
    ]
    env = dict(os.environ, SPACEKIT_PROGRESS="0")
    proc = subprocess.Popen(
        cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = _get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    out = proc.stdout.read() if proc.poll() is not None else ""
                    pytest.fail(f"the dashboard did not start (rc {proc.poll()}): {out}")
                time.sleep(0.3)
        assert status == 200 and '"status":"ok"' in body.replace(" ", "")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as resp:
            assert resp.headers["Server"] == "spacekit"  # waitress, not Flask's dev server
        status, body = _get(f"http://127.0.0.1:{port}/evaluate")
        assert status == 200 and "<title>spacekit dashboard</title>" in body
        status, layout = _get(f"http://127.0.0.1:{port}/_dash-layout")
        assert status == 200 and "navbar" in layout
        # waitress refuses a body over the limit from its Content-Length alone (issue 16: one
        # 270 MB POST took 1.7 GB): none of the announced bytes is sent, the answer is 413
        import http.client

        from spacekit.dashboard.app import MAX_REQUEST_BYTES

        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.putrequest("POST", "/_dash-update-component")
        conn.putheader("Content-Length", str(MAX_REQUEST_BYTES + 1))
        conn.endheaders()
        assert conn.getresponse().status == 413
        conn.close()
    finally:
        proc.terminate()
        try:
            out, _ = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
    assert f"open http://127.0.0.1:{port}/ (listening on all interfaces (0.0.0.0)" in out


def test_entry_command_names_the_runs_folder_it_serves(tmp_path, capsys, monkeypatch):
    """The ready line said "runs: the runs_dir setting" without --runs: it names the folder."""
    from spacekit.cli import main
    from spacekit.config import conf

    served = []

    def fake_serve(runs_dir, *, on_ready, **kw):
        served.append(runs_dir)
        on_ready()

    monkeypatch.setattr("spacekit.dashboard.serve", fake_serve)
    monkeypatch.chdir(tmp_path)
    with conf.set_temp("runs_dir", "my-runs"):
        assert main(["dashboard"]) == 0
    out = capsys.readouterr().out
    assert f"runs: {tmp_path / 'my-runs'})" in out and "setting" not in out
    assert Path(served[0]) == tmp_path / "my-runs"
    assert main(["dashboard", "--runs", "other"]) == 0
    assert f"runs: {tmp_path / 'other'})" in capsys.readouterr().out


def test_entry_command_rejects_bad_workers(tmp_path, capsys):
    from spacekit.cli import main

    assert main(["dashboard", "--workers", "0", "--runs", str(tmp_path)]) == 1
    assert "--workers must be at least 1" in capsys.readouterr().err
    assert main(["dashboard", "--threads", "0", "--runs", str(tmp_path)]) == 1
    assert "--threads must be at least 1" in capsys.readouterr().err


@pytest.mark.parametrize("debug", [[], ["--debug"]])
def test_entry_command_on_a_taken_port_says_so(tmp_path, capsys, debug):
    """A second dashboard on the same port was an OSError traceback after the 'open http://…'
    line had already been printed."""
    from spacekit.cli import main

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        rc = main(["dashboard", "--port", str(port), "--runs", str(tmp_path)] + debug)
    out = capsys.readouterr()
    assert rc == 1
    assert f"port {port} is already in use" in out.err and "--port" in out.err
    assert "open http" not in out.out
    rc = main(
        ["dashboard", "--host", "10.255.255.1", "--port", str(port), "--runs", str(tmp_path)]
        + debug
    )
    out = capsys.readouterr()
    assert rc == 1 and "cannot listen on 10.255.255.1" in out.err and "0.0.0.0" in out.err


def test_dockerfile_lints_clean_and_matches_the_entry_command():
    dockerfile = ROOT / "docker" / "Dockerfile"
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    out = subprocess.run([hadolint, str(dockerfile)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    text = dockerfile.read_text()
    assert "EXPOSE 8050" in text and "HEALTHCHECK" in text and "/healthz" in text
    assert "USER 1000:1000" in text
    assert '"dashboard", "--host", "0.0.0.0", "--port", "8050", "--runs", "/runs"' in text
    compose = (ROOT / "docker" / "compose.yaml").read_text()
    assert ":/runs" in compose and ":/cache" in compose and "8050:8050" in compose
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    # issue 21: .venv-interop (736 MB) was sent as build context. Everything is excluded and
    # only what the image copies is let back in; .venv* named too.
    assert ignore[[i for i, line in enumerate(ignore) if not line.startswith("#")][0]] == "*"
    assert {"!pyproject.toml", "!README.md", "!LICENSE", "!spacekit", ".venv*", ".git"} <= set(
        ignore
    )
    # the image installs the dashboard extra, which has no TensorFlow (1.3 GB of a 2.75 GB
    # image the dashboard never imports); the HEALTHCHECK needs the docker format on podman
    assert '".[dashboard]"' in text and "--format docker" in text
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert not any("tensorflow" in dep or "keras" in dep for dep in extras["dashboard"])
    assert {"dash", "plotly", "waitress"} <= {
        dep.split(">")[0].split("[")[0] for dep in extras["dashboard"]
    }
    makefile = (ROOT / "Makefile").read_text()
    assert "image-check:" in makefile and "docker/image-check.sh" in makefile
    script = (ROOT / "docker" / "image-check.sh").read_text()
    assert "mmdebstrap" in script and "--isolation chroot" in script and "/healthz" in script
    # the build context has no git metadata: the checkout's version is passed in, and set for
    # setuptools-scm only when given (else pyproject.toml's fallback)
    assert "ARG SPACEKIT_VERSION=" in text and '--build-arg "SPACEKIT_VERSION=$VERSION"' in script
    assert 'export SETUPTOOLS_SCM_PRETEND_VERSION_FOR_SPACEKIT="$SPACEKIT_VERSION"' in text
    assert 'if [ -n "$SPACEKIT_VERSION" ]' in text


def test_quick_training_job_reports_progress_and_returns_the_model_folder(tmp_path, monkeypatch):
    """The Predict page's "Train a quick model" job, with a stand-in for the (minute-long on
    this machine) hst_cal training that writes a run folder the same way."""
    import spacekit.skopes.hst.cal as cal

    calls = []

    def fake_train(data, *, runs_dir=None, name=None, seed=0, fast=False, progress=None):
        calls.append((data, fast))
        run = Run.create("hst_cal", name or "train", runs_dir=runs_dir)
        run.model_dir.mkdir()
        return run

    monkeypatch.setattr(cal, "train", fake_train, raising=False)
    jobs = JobManager(max_workers=1)
    snap = jobs.wait(jobs.submit(predict_page.train_quick_model, tmp_path), timeout=30)
    jobs.shutdown()
    assert snap["state"] == "done", snap["error"]
    assert calls == [("hst_cal_2021_05_11", True)]
    assert Path(snap["result"]).name == "model" and Path(snap["result"]).is_dir()

    class Ctx:
        runs_dir = tmp_path

    run_folder = Path(snap["result"]).parent
    assert [c["value"] for c in predict_page.model_choices(Ctx)] == [
        f"run:hst_cal/{run_folder.name}"
    ]


def test_pages_stay_responsive_while_a_job_runs(tmp_path, live_server):
    """A long job in the pool does not hold up other requests of the threaded server."""
    make_runs(tmp_path)
    app = create_app(runs_dir=tmp_path, max_workers=1)
    url = live_server(app.server)
    gate = threading.Event()
    job = app.spacekit.jobs.submit(lambda report: gate.wait(30))
    try:
        status, body = _get(url + "/evaluate", timeout=20)
        assert status == 200 and "spacekit dashboard" in body
        assert app.spacekit.jobs.status(job)["state"] == "running"
    finally:
        gate.set()
        app.spacekit.jobs.shutdown()


@pytest.mark.slow
def test_reports_saved_by_computer_render(tmp_path):
    """Run folders written by ``computer.compute(...).save()`` (binary with history, multiclass,
    regression; plotly figures) feed every Evaluate figure."""
    from spacekit.computer import compute

    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 60)
    proba = np.clip(y * 0.6 + rng.uniform(0, 0.4, 60), 0, 1)
    compute(
        y,
        proba=proba,
        history={"loss": [0.7, 0.5], "val_loss": [0.8, 0.6]},
        name="binary",
        backend="plotly",
    ).save(tmp_path, app="k2")
    y3 = rng.integers(0, 3, 60)
    p3 = rng.dirichlet(np.ones(3), 60)
    compute(y3, proba=p3, task="multiclass", name="multi").save(tmp_path, app="hst_cal")
    t = rng.gamma(2.0, 2.0, 40)
    compute(t, y_pred=t * 1.1, task="regression", name="reg").save(tmp_path, app="hst_cal")

    table = summarize_runs(tmp_path)
    assert len(table) == 3 and table["has_evaluation"].all()
    from spacekit.dashboard.data import evaluation_runs
    from spacekit.dashboard.pages.evaluate import saved_figures

    records = {r.path.name: read_evaluation(r) for r in evaluation_runs(tmp_path)}
    names = [t.name for t in F.roc_figure(records).data]
    assert len(names) == 3 and any("micro-average" in n for n in names)
    assert len(F.confusion_figure(records).data) == 2
    assert len(F.history_figure(records).data) == 2
    assert len(F.residuals_figure(records).data) == 3

    class Ctx:
        runs_dir = tmp_path

    keys = [run_id(r, tmp_path) for r in evaluation_runs(tmp_path)]
    blocks = saved_figures(Ctx, keys)
    assert len(blocks) == 3  # every run saved figures (plotly JSON or PNG)

    def kinds(component) -> set[str]:
        found = {type(component).__name__}
        children = getattr(component, "children", None)
        for child in children if isinstance(children, list) else [children]:
            if child is not None and not isinstance(child, str):
                found |= kinds(child)
        return found

    shown = set().union(*(kinds(b) for b in blocks))
    assert {"Graph", "Img"} <= shown  # plotly specs redrawn natively, PNGs inline

    # an empty PNG (a run killed while saving) is named, not shown as a broken image
    png_run = next(
        r for r in evaluation_runs(tmp_path) if any(p.suffix == ".png" for p in r.figures())
    )
    pngs = [p for p in png_run.figures() if p.suffix == ".png"]
    pngs[0].write_bytes(b"")
    again = saved_figures(Ctx, [run_id(png_run, tmp_path)])
    text = str(again)
    assert f"{pngs[0].name} is not a readable PNG (0 bytes)" in text
    assert text.count("data:image/png;base64") == len(pngs) - 1


def test_explore_lists_run_predictions(tmp_path):
    from spacekit.dashboard.pages import explore

    runs = make_runs(tmp_path)

    from spacekit.dashboard.app import DashboardContext

    Ctx = DashboardContext(runs_dir=tmp_path, jobs=None)
    values = [o["value"] for o in explore.table_options(Ctx)]
    key = "run:" + run_id(runs["cnn-a"], tmp_path)
    assert (
        values[:3]
        == ["hst_cal_2021_05_11", "hst_cal_categorized_subset_2021_08", "svm_labeled_2021_07_28"]
        and key in values
    )
    frame = explore.table(Ctx, key)
    assert list(frame.columns) == ["y_true", "proba"] and len(frame) == 40
    with pytest.raises(DataNotFoundError, match="no predictions.csv"):
        explore.table(Ctx, "run:" + run_id(runs["cnn-b"], tmp_path))
    # a rewritten predictions.csv is read again and replaces the old copy in the cache
    path = runs["cnn-a"].predictions_path
    frame.head(10).to_csv(path, index=False)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert len(explore.table(Ctx, key)) == 10
    assert sum(k.startswith(f"table:{key}:") for k in Ctx.cache) == 1


def test_runs_whose_json_is_not_an_object_do_not_hide_the_others(tmp_path):
    good = Run.create("k2", "good", runs_dir=tmp_path)
    good.write_metrics({"accuracy": 0.9})
    bad_info = Run.create("k2", "bad-info", runs_dir=tmp_path)
    (bad_info.path / "run.json").write_text("[]")
    bad_metrics = Run.create("k2", "bad-metrics", runs_dir=tmp_path)
    (bad_metrics.path / "metrics.json").write_text("[1, 2]")
    table = summarize_runs(tmp_path)
    assert len(table) == 3
    assert table.set_index("run")["accuracy"].dropna().to_dict() == {good.path.name: 0.9}
    with pytest.raises(FormatError, match="JSON object"):
        flatten_metrics([1, 2])


def test_a_damaged_run_json_is_named_and_does_not_hide_good_metrics(tmp_path):
    from spacekit.dashboard.app import DashboardContext
    from spacekit.dashboard.pages import home

    run = Run.create("hst_cal", "broken", runs_dir=tmp_path)
    run.write_metrics({"accuracy": 0.5})
    (run.path / "run.json").write_text('{"app": "hst_cal", "crea')  # cut short
    bad = Run.create("k2", "x", runs_dir=tmp_path)
    (bad.path / "metrics.json").write_text("garbage")
    table = summarize_runs(tmp_path).set_index("run")
    assert table.loc[run.path.name, "accuracy"] == 0.5  # was NaN: metrics dropped too
    assert table.loc[run.path.name, "problem"].startswith("run.json is not valid JSON")
    assert table.loc[bad.path.name, "problem"].startswith("metrics.json is not valid JSON")
    page = str(home.layout(DashboardContext(runs_dir=tmp_path, jobs=None)))
    assert "problem" in page and "metrics.json is not valid JSON" in page


def test_a_runs_folder_pointed_at_the_wrong_level_says_which_to_use(tmp_path):
    from spacekit.dashboard.app import DashboardContext
    from spacekit.dashboard.pages import evaluate, home

    run = Run.create("hst_cal", "train", runs_dir=tmp_path / "runs")
    run.write_metrics({"accuracy": 0.5})
    root = (tmp_path / "runs").resolve()
    for folder, expected in (
        (run.path.parent, "folder of one app"),
        (run.path, "single run folder"),
        (tmp_path / "typo", "does not exist"),
    ):
        ctx = DashboardContext(runs_dir=folder, jobs=None)
        page = str(home.layout(ctx))
        assert expected in page, page
        if expected != "does not exist":
            assert f"--runs {root}" in page
            assert f"--runs {root}" in str(evaluate.layout(ctx))
    page = str(home.layout(DashboardContext(runs_dir=tmp_path / "runs", jobs=None)))
    assert "runs-table" in page and "problem" not in page


def test_explore_figure_of_a_huge_table_plots_a_labelled_sample():
    import pandas as pd

    n = 300_000
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"proba": rng.random(n), "y_true": rng.integers(0, 2, n)})
    for kind, y in (("scatter", "proba"), ("histogram", None), ("box", "proba")):
        x = "y_true" if kind == "box" else "proba"
        fig = F.explore_figure(df, kind, x, y, "y_true" if kind != "box" else None, title="t")
        points = sum(len(t.x if t.x is not None else t.y) for t in fig.data)
        assert points == F.EXPLORE_MAX_ROWS < n
        assert f"random {F.EXPLORE_MAX_ROWS:,} of {n:,} rows" in fig.layout.title.text
    small = F.explore_figure(df.head(50), "scatter", "proba", "y_true", title="t")
    assert small.layout.title.text == "t" and len(small.data[0].x) == 50


def test_malformed_evaluation_records_are_format_errors_naming_the_run():
    bad_matrix = {"r1": {"confusion": {"labels": ["a", "b"], "matrix": [[1, 2], [3]]}}}
    with pytest.raises(FormatError, match="r1.*confusion matrix.*square"):
        F.confusion_figure(bad_matrix)
    with pytest.raises(FormatError, match="r1.*confusion matrix.*square"):
        F.confusion_figure({"r1": {"confusion": {"matrix": [[1, 2, 3], [4, 5, 6]]}}})
    with pytest.raises(FormatError, match="numbers"):
        F.roc_figure({"r2": {"roc": {"fpr": [0, "x", 1], "tpr": [0, 0.5, 1]}}})
    with pytest.raises(FormatError, match="numbers"):
        F.history_figure({"r3": {"history": {"loss": ["a", "b"]}}})
    # labels that do not match the matrix (was drawn as a wrong 1x1 matrix), curves whose x
    # and y differ in length (plotly silently drew the shorter one)
    with pytest.raises(FormatError, match="r5.*2x2 but has 1 labels"):
        F.confusion_figure({"r5": {"confusion": {"labels": ["a"], "matrix": [[1, 2], [3, 4]]}}})
    with pytest.raises(FormatError, match="r6.*ROC curve has 3 x values but 2 y"):
        F.roc_figure({"r6": {"roc": {"fpr": [0, 0.5, 1], "tpr": [0, 1]}}})
    with pytest.raises(FormatError, match="r7.*precision-recall curve has 2 x values but 3 y"):
        F.pr_figure({"r7": {"pr": {"recall": [0, 1], "precision": [1, 0.5, 0.2]}}})
    ok = F.roc_figure({"r4": {"roc": {"fpr": [0, None, 1], "tpr": [0, 0.5, 1]}}})
    assert ok.data[0].name == "r4"


def test_evaluate_page_compares_hst_cal_headline_metrics_by_default():
    # an hst_cal training run writes ~60 metrics; the selection RMSEs of candidate models came
    # first and hid the numbers the app is judged by
    from spacekit.dashboard.pages.evaluate import _default_metrics

    columns = [
        "out_of_fold.n_rows",
        "out_of_fold.bin_accuracy",
        "out_of_fold.under_bin_rate",
        "out_of_fold.over_bin_rate",
        "out_of_fold.memory_rmse_gb",
        "out_of_fold.wallclock_mdape",
        "out_of_fold.wallclock_under_rate",
        "selection.memory.scores.trees.rmse",
        "selection.memory.scores.blend.rmse",
    ]
    assert _default_metrics(columns) == columns[1:7]
    assert _default_metrics(["loss", "accuracy", "n"]) == ["loss", "accuracy"]
    assert _default_metrics(["a", "b"]) == ["a", "b"]


def test_evaluate_selects_runs_with_results_by_default(tmp_path):
    """A predict run (predictions, no numeric metric) was selected by default and showed
    empty charts; it is listed, marked, and left out of the default selection."""
    from spacekit.dashboard.app import DashboardContext
    from spacekit.dashboard.data import evaluation_runs
    from spacekit.dashboard.pages.evaluate import default_runs, has_results, layout

    runs = make_runs(tmp_path)
    predict = Run.create("k2", "zz-predict", runs_dir=tmp_path)
    predict.write_metrics({"model": "cnn-a"})
    ctx = DashboardContext(runs_dir=tmp_path, jobs=None)
    listed = evaluation_runs(tmp_path)
    assert predict in listed and not has_results(predict) and has_results(runs["cnn-a"])
    chosen = default_runs(ctx, listed)
    assert len(chosen) == 3 and run_id(predict, tmp_path) not in chosen
    asked = run_id(predict, tmp_path)
    assert default_runs(ctx, listed, {"run": [asked, "k2/../../etc"]}) == [asked]
    assert "zz-predict (no metrics)" in str(layout(ctx))


def test_counts_print_whole_and_axes_name_units():
    from spacekit.dashboard.pages._common import data_table, format_number

    assert [format_number(v) for v in (29191.0, 1070, 0.85, 0.123456, 1234.5678)] == [
        "29,191",
        "1,070",
        "0.85",
        "0.1235",
        "1,235",
    ]
    assert "2.919e+04" not in str(data_table(__import__("pandas").DataFrame({"n": [29191.0]})))
    fig = F.confusion_figure({"a": {"confusion": {"matrix": [[1070, 3], [2, 29191]]}}})
    assert fig.data[0].text == (("1,070", "3"), ("2", "29,191")) or list(
        map(list, fig.data[0].text)
    ) == [["1,070", "3"], ["2", "29,191"]]
    import pandas as pd

    df = pd.DataFrame({"total_mb": [1.0, 2.0], "memory": [0.5, 3.0], "label": [0, 1]})
    fig = F.explore_figure(df, "scatter", "total_mb", "memory")
    assert (fig.layout.xaxis.title.text, fig.layout.yaxis.title.text) == (
        "total_mb (MB)",
        "memory (GB)",
    )
    assert fig.layout.yaxis.exponentformat == "none"
    fig = F.residuals_figure(
        {"r": {"residuals": {"y_true": [1, 2], "y_pred": [1, 2.5]}}},
        targets={"r": ("memory", "GB")},
    )
    assert fig.layout.xaxis.title.text == "true memory (GB)"
    fig = F.residuals_figure(
        {"r": {"residuals": {"y_true": [1], "y_pred": [2], "target": "wallclock", "unit": "s"}}}
    )
    assert fig.layout.yaxis2.title.text == "predicted - true (s)"


def test_runs_share_one_colour_across_evaluate_figures():
    records = {
        "a": {"roc": {"fpr": [0, 1], "tpr": [0, 1]}, "history": {"loss": [1, 0.5]}},
        "b": {"roc": {"fpr": [0, 1], "tpr": [0, 1]}, "residuals": {"y_true": [1], "y_pred": [1]}},
    }
    colors = F.run_colors(["b", "a"])  # the page's order, not each figure's
    roc = {t.name: t.line.color for t in F.roc_figure(records, colors=colors).data}
    hist = {t.name: t.line.color for t in F.history_figure(records, colors=colors).data}
    res = F.residuals_figure(records, colors=colors).data[0].marker.color
    assert roc["a"] == hist["a: loss"] == colors["a"] and roc["b"] == res == colors["b"]
    assert roc["a"] != roc["b"]
    assert F.roc_figure(records).layout.legend.orientation == "h"  # under the plot

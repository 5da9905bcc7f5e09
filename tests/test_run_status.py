"""Run folders carry a status; an interrupted or killed run never looks finished (issue 16)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from spacekit.exceptions import InputError
from spacekit.utils.runs import Run, list_runs, tracking_runs, tracks_runs


def test_a_new_run_is_running_until_finished(tmp_path):
    with tracking_runs():
        run = Run.create("demo", "a", runs_dir=tmp_path)
        assert run.status == "running" and not run.complete
        assert list_runs(tmp_path, complete=True) == []
    assert run.status == "complete"
    info = run.info
    assert info["finished"] and info["duration_s"] >= 0
    assert list_runs(tmp_path, complete=True) == [run]


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (ValueError("bad"), "failed"),
        (KeyboardInterrupt(), "interrupted"),
        (SystemExit(143), "interrupted"),
    ],
)
def test_tracking_records_how_the_run_ended(tmp_path, exc, status):
    run = Run.create("demo", runs_dir=tmp_path)
    with pytest.raises(type(exc)), run.tracking():
        raise exc
    assert run.status == status

    @tracks_runs
    def train():  # how the skopes' train and cross_validate are wrapped
        Run.create("demo", "inner", runs_dir=tmp_path / "scoped")
        raise exc

    with pytest.raises(type(exc)):
        train()
    (scoped,) = list_runs(tmp_path / "scoped")
    assert scoped.status == status
    assert run.status == status
    if status == "failed":
        assert run.info["error"] == "ValueError: bad"
    assert list_runs(tmp_path, complete=True) == []


def test_a_killed_run_reads_as_interrupted(tmp_path):
    # a child process creates a run and dies without finishing it (as SIGKILL would leave it)
    code = (
        "import os; from spacekit.utils.runs import Run, tracking_runs\n"
        "with tracking_runs():\n"
        f"    r = Run.create('demo', runs_dir={str(tmp_path)!r})\n"
        "    (r.figures_dir / '.loss.abc.tmp').write_text('half'); print(r.path, flush=True)\n"
        "    os._exit(9)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 9
    run = Run.open(out.stdout.strip())
    assert json.loads((run.path / "run.json").read_text())["status"] == "running"
    assert run.status == "interrupted"
    assert list_runs(tmp_path, complete=True) == []
    run.finish("interrupted")  # tidying a killed run removes its stray temp files
    assert not list(run.figures_dir.glob(".*.tmp*"))


def test_folders_from_before_statuses_read_as_complete(tmp_path):
    # also a user's own Run.create outside any tracking scope: nothing would ever finish it
    run = Run.create("demo", runs_dir=tmp_path)
    assert "status" not in run.info
    assert run.status == "complete"


def test_finish_refuses_unknown_statuses(tmp_path):
    run = Run.create("demo", runs_dir=tmp_path)
    with pytest.raises(InputError, match="finish"):
        run.finish("done")
    with pytest.raises(InputError):
        run.finish("running")


def test_unreadable_run_json_reads_as_failed(tmp_path):
    run = Run.create("demo", runs_dir=tmp_path)
    (run.path / "run.json").write_text("{half")
    assert run.status == "failed"


def test_the_command_line_turns_sigterm_into_an_interrupt():
    import os
    import signal

    from spacekit.cli import _sigterm_interrupts

    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt), _sigterm_interrupts():
        os.kill(os.getpid(), signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) is before  # restored afterwards


def test_interrupted_hst_cal_train_is_never_loaded(shared_data, tmp_path, monkeypatch):
    # issue 16: Ctrl-C during `cal train` after the model was written left a run folder that
    # load_predictor(runs) picked as the newest; now the run says interrupted and is skipped
    import pandas as pd

    from spacekit.exceptions import DataNotFoundError
    from spacekit.skopes.hst import cal
    from spacekit.skopes.hst.cal import pipeline

    df = pd.read_csv(shared_data / "hst_cal" / "hst_cal_2021-05-11_latest.csv").sample(
        1500, random_state=0
    )

    def ctrl_c(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "_save_figures", ctrl_c)  # after the model is written
    with pytest.raises(KeyboardInterrupt):
        cal.train(df, runs_dir=tmp_path, seed=0, fast=True, name="cut")
    (run,) = list_runs(tmp_path, app="hst_cal")
    assert (run.model_dir / "model.json").is_file()  # the model itself was complete
    assert run.status == "interrupted"
    with pytest.raises(DataNotFoundError, match="incomplete"):
        cal.load_model(tmp_path)

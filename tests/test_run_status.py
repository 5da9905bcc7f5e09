"""Run folders carry a status; an interrupted or killed run never looks finished (issue 16)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from spacekit.exceptions import InputError
from spacekit.utils.runs import Run, list_runs


def test_a_new_run_is_running_until_finished(tmp_path):
    run = Run.create("demo", "a", runs_dir=tmp_path)
    assert run.status == "running" and not run.complete
    assert list_runs(tmp_path, complete=True) == []
    run.finish()
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
    if status == "failed":
        assert run.info["error"] == "ValueError: bad"
    assert list_runs(tmp_path, complete=True) == []


def test_a_killed_run_reads_as_interrupted(tmp_path):
    # a child process creates a run and dies without finishing it (as SIGKILL would leave it)
    code = (
        "import sys; from spacekit.utils.runs import Run; "
        f"r = Run.create('demo', runs_dir={str(tmp_path)!r}); "
        "(r.figures_dir / '.loss.abc.tmp').write_text('half'); print(r.path)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    run = Run.open(out.stdout.strip())
    assert json.loads((run.path / "run.json").read_text())["status"] == "running"
    assert run.status == "interrupted"
    assert list_runs(tmp_path, complete=True) == []
    run.finish("interrupted")  # tidying a killed run removes its stray temp files
    assert not list(run.figures_dir.glob(".*.tmp*"))


def test_folders_from_before_statuses_read_as_complete(tmp_path):
    run = Run.create("demo", runs_dir=tmp_path)
    info = run.info
    for key in ("status", "pid", "host"):
        info.pop(key)
    (run.path / "run.json").write_text(json.dumps(info))
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

"""The command line under the inputs of a tired night shift: unwritable output folders, options
out of range, conflicting options. Each test failed before its fix (a traceback, or a run that
went on silently with a meaningless setting)."""

from __future__ import annotations

import errno
from pathlib import Path

import pandas as pd
import pytest

from spacekit.cli import main
from spacekit.exceptions import WriteAccessError

SAMPLE = "hst_cal/hst_cal_sample_20.csv"


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``spacekit ARGV`` (usage errors exit through argparse)."""
    try:
        rc = main(argv)
    except SystemExit as exc:
        rc = exc.code if isinstance(exc.code, int) else 2
    out, err = capsys.readouterr()
    return rc, out, err


def one_error_line(err: str) -> str:
    """The one ``spacekit: error:`` line of a failed command; no traceback."""
    assert "Traceback" not in err, err
    lines = [ln for ln in err.splitlines() if ln.startswith("spacekit: error:")]
    assert len(lines) == 1 and err.rstrip().endswith(lines[0]), err
    return lines[0]


def default_cal_model() -> str:
    from spacekit.skopes.hst.cal.default_model import DEFAULT_MODEL_DIR

    return str(DEFAULT_MODEL_DIR)


# --------------------------------------------------------------------------- unwritable output
def test_atomic_write_under_a_file_is_a_write_access_error(tmp_path):
    from spacekit import io as skio

    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(WriteAccessError, match="cannot write the file .*a file stands where"):
        skio.write_table(pd.DataFrame({"a": [1]}), blocker / "out.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_atomic_write_on_a_read_only_file_system(tmp_path, monkeypatch):
    from spacekit.utils import files

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(tmp_path / ".x.tmp"))

    monkeypatch.setattr(files.tempfile, "mkstemp", read_only)
    with pytest.raises(WriteAccessError, match="read-only; choose a location") as exc:
        with files.atomic_write(tmp_path / "x.json", "w") as fh:
            fh.write("{}")
    assert ".tmp" not in str(exc.value)  # the temporary name would only confuse
    assert list(tmp_path.iterdir()) == []


def test_run_folder_under_a_file_is_a_write_access_error(tmp_path):
    from spacekit.utils.runs import Run

    blocker = tmp_path / "runs.csv"
    blocker.write_text("x")
    with pytest.raises(WriteAccessError, match="cannot write the runs folder"):
        Run.create("hst_cal", "train", runs_dir=blocker)
    (tmp_path / "runs" / "hst_cal").mkdir(parents=True)
    (tmp_path / "runs" / "hst_cal" / "20260101-000000-train").write_text("x")
    # a run of the same second still gets a numbered folder beside an existing one
    when = pd.Timestamp("2026-01-01", tz="UTC").to_pydatetime()
    run = Run.create("hst_cal", "train", runs_dir=tmp_path / "runs", timestamp=when)
    assert run.path.name == "20260101-000000-train-2"


def test_cli_runs_folder_that_is_a_file(tmp_path, capsys, shared_data):
    blocker = tmp_path / "runs"
    blocker.write_text("x")
    argv = ["cal", "replay", str(shared_data / SAMPLE), "--model", default_cal_model()]
    rc, _, err = run_cli([*argv, "--boot", "5", "--runs", str(blocker)], capsys)
    assert rc == 1
    assert "cannot write the runs folder" in one_error_line(err)


def test_build_default_model_refuses_an_unwritable_folder_before_training(tmp_path):
    from spacekit.skopes.hst.cal.default_model import build_default_model

    blocker = tmp_path / "model"
    blocker.write_text("x")
    # the data does not exist: the folder is checked first, not after a minute of training
    with pytest.raises(WriteAccessError, match="cannot write the model folder"):
        build_default_model(blocker, data=str(tmp_path / "none.csv"), fast=True)
    assert blocker.read_text() == "x"


# --------------------------------------------------------------------------- seeds
SVM = "hst_svm/svm_labeled_2021-07-28.csv"


@pytest.mark.parametrize("seed", ["-1", str(2**32)])
@pytest.mark.parametrize(
    "argv",
    [
        ["cal", "train", SAMPLE, "--fast", "--runs", "{out}"],
        ["cal", "cv", SAMPLE, "--runs", "{out}"],
        ["cal", "replay", SAMPLE, "--model", "{model}", "--boot", "5"],
        ["svm", "train", SVM, "--fast", "--kind", "gb", "--runs", "{out}"],
        ["svm", "cv", SVM, "--fast", "--kind", "gb", "--runs", "{out}"],
        ["k2", "build-dataset", "{out}/k2.csv", "--n-synthetic", "4"],
    ],
    ids=lambda a: " ".join(a[:2]) if isinstance(a, list) else a,
)
def test_cli_seed_out_of_range_is_a_usage_error(argv, seed, tmp_path, capsys, shared_data):
    # cal train/cv and svm with 2**32: scikit-learn's InvalidParameterError as a traceback;
    # k2 build-dataset -1: numpy's "expected non-negative integer" traceback
    fill = {"out": str(tmp_path), "model": default_cal_model()}
    argv = [str(shared_data / a) if a in (SAMPLE, SVM) else a.format(**fill) for a in argv]
    rc, _, err = run_cli([*argv, "--seed", seed], capsys)
    assert rc == 2, err
    assert "Traceback" not in err
    assert f"argument --seed: expected a whole number from 0 to 4294967295, got '{seed}'" in err
    assert list(tmp_path.iterdir()) == []


def test_library_seeds_are_checked_before_any_work(shared_data, tmp_path):
    from spacekit.exceptions import InputError
    from spacekit.skopes.hst import cal
    from spacekit.skopes.hst.cal.replay import replay
    from spacekit.skopes.k2.dataset import build_training_set

    table = shared_data / SAMPLE
    with pytest.raises(
        InputError, match="seed must be a whole number of at least 0 and at most 4294967295"
    ):
        cal.train(table, runs_dir=tmp_path, fast=True, seed=-1)
    with pytest.raises(
        InputError, match="must be a whole number of at least 0 and at most 4294967295"
    ):
        cal.cross_validate(table, runs_dir=tmp_path, seed=2**32)
    with pytest.raises(InputError, match="seed must be a whole number of at least 0"):
        build_training_set(tmp_path / "k2", stars=[], n_synthetic=4, seed=-1)
    model = default_cal_model()
    with pytest.raises(InputError, match="seed must be a whole number of at least 0"):
        replay(table, model, seed=-1, figures=False)
    with pytest.raises(InputError, match="n_boot .* at least 0"):
        replay(table, model, n_boot=-1, figures=False)
    with pytest.raises(InputError, match="db_clock .* finite number of seconds >= 0"):
        replay(table, model, db_clock=float("nan"), figures=False)
    assert [p.name for p in tmp_path.iterdir() if p.name != "hst_cal"] == []


# --------------------------------------------------------------------------- monitor thresholds
@pytest.mark.parametrize(
    "option, value, message",
    [
        ("--retry-ceiling", "nan", "retry_ceiling must be a fraction of jobs in [0, 1]"),
        ("--kill-ceiling", "-1", "kill_ceiling must be a fraction of jobs in [0, 1]"),
        ("--cost-tolerance", "nan", "cost_tolerance (--cost-tolerance) must be a finite share"),
        ("--cost-tolerance", "-0.5", "cost_tolerance (--cost-tolerance) must be a finite share"),
        ("--db-clock", "nan", "db_clock (--db-clock, calcloud's floor on the kill time)"),
    ],
)
def test_cli_monitor_refuses_thresholds_that_never_alert(
    option, value, message, capsys, shared_data
):
    # a NaN ceiling or tolerance compared False with every rate: the drift check passed (exit
    # 0) whatever the jobs did; a negative one alerted on every run
    argv = ["cal", "monitor", str(shared_data / SAMPLE), "--model", default_cal_model()]
    rc, out, err = run_cli([*argv, option, value], capsys)
    assert rc == 1, (out, err)
    assert message in one_error_line(err)


# --------------------------------------------------------------------------- hunt
def _short_light_curve():
    import numpy as np
    from astropy.time import Time

    from spacekit.transformer import LightCurve

    t = np.arange(0, 6.0, 1 / 48)
    flux = 1 + 1e-3 * np.random.default_rng(0).standard_normal(t.size)
    return LightCurve(time=Time(2458000.0 + t, format="jd", scale="tdb"), flux=flux)


@pytest.mark.parametrize(
    "period_max, message",
    [
        (1e300, r"period_max \(1e\+300 d\) is longer than the light curve's span \(5\.979 d\)"),
        (-1, "period_max must be a positive number of days; got -1"),  # was: "swap them"
    ],
)
def test_hunt_period_max_beyond_the_span(period_max, message):
    from spacekit.analyzer import planet_hunter
    from spacekit.exceptions import InputError

    # 1e300 d built a period grid until the memory ran out (MemoryError after a minute)
    with pytest.raises(InputError, match=message):
        planet_hunter(_short_light_curve(), period_max=period_max)


# --------------------------------------------------------------------------- interruption
@pytest.mark.parametrize("converted", ["ValueError", "DownloadError"])
@pytest.mark.parametrize("signame", ["SIGINT", "SIGTERM"])
def test_an_interrupt_turned_into_another_error_still_reads_interrupted(
    converted, signame, monkeypatch, capsys
):
    # Ctrl-C inside scikit-learn's compiled code once came out as "ValueError: 'T{=d:sum_...'
    # is not a valid PEP 3118 buffer format string" with a traceback (cal train); a download
    # cut by the interrupt may come out as a DownloadError blaming the network
    import os
    import signal
    import time

    import spacekit.datasets
    from spacekit.exceptions import DownloadError

    def interrupted_inside_compiled_code():
        try:
            os.kill(os.getpid(), getattr(signal, signame))
            time.sleep(5)
        except KeyboardInterrupt:
            if converted == "ValueError":
                raise ValueError("'T{=d:sum_gradients:d}' is not a valid PEP 3118 buffer") from None
            raise DownloadError("https://x: the connection was reset") from None
        raise AssertionError("the signal did not arrive")

    monkeypatch.setattr(spacekit.datasets, "list_datasets", interrupted_inside_compiled_code)
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    rc, out, err = run_cli(["datasets", "list"], capsys)
    assert (rc, err) == (130, "spacekit: interrupted\n")
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


def test_a_bug_outside_an_interruption_keeps_its_traceback(monkeypatch):
    import spacekit.datasets

    def bug():
        raise ValueError("a bug")

    monkeypatch.setattr(spacekit.datasets, "list_datasets", bug)
    with pytest.raises(ValueError, match="a bug"):
        main(["datasets", "list"])


def test_cal_history_update_interrupted_keeps_the_history(
    tmp_path, capsys, monkeypatch, shared_data
):
    # the history was written in place (Path.write_text): Ctrl-C during `--update` left a
    # truncated JSON file, and the next predict refused it as "not a history"
    import os

    out = tmp_path / "history.json"
    assert main(["cal", "history", str(shared_data / SAMPLE), "--out", str(out)]) == 0
    before = out.read_bytes()

    def half_then_interrupt(self, text, *args, **kwargs):
        with open(self, "w") as fh:
            fh.write(text[: len(text) // 2])
        raise KeyboardInterrupt

    def interrupt(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(Path, "write_text", half_then_interrupt)
    monkeypatch.setattr(os, "fsync", interrupt)
    rc, _, err = run_cli(
        ["cal", "history", str(shared_data / SAMPLE), "--out", str(out), "--update"], capsys
    )
    assert (rc, err.splitlines()[-1]) == (130, "spacekit: interrupted")
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["history.json"]


# --------------------------------------------------------------------------- svm --images
@pytest.mark.parametrize("what", ["csv", "folder"])
def test_svm_images_that_are_not_an_npz(what, tmp_path, capsys, shared_data):
    # a csv was "pickled (object) data ... load it unsafely using allow_pickle=": advice to
    # run untrusted code for a file that is no archive at all; a folder "does not exist"
    images = tmp_path / "images.npz"
    if what == "csv":
        images.write_text("index,images\nv1,0\n")
    else:
        images.mkdir()
    argv = ["svm", "train", str(shared_data / SVM), "--images", str(images), "--fast"]
    rc, _, err = run_cli([*argv, "--runs", str(tmp_path / "runs")], capsys)
    line = one_error_line(err)
    assert rc == 1 and "pickle" not in line
    expected = "is not an .npz archive" if what == "csv" else "is a folder"
    assert expected in line and "expected an .npz file with arrays 'index' and 'images'" in line
    assert not (tmp_path / "runs").exists()


# --------------------------------------------------------------------------- conflicting options
@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["cal", "predict", "F", "--model", "A", "--models", "B"],
            "--models (deprecated) and --model",
        ),
        (
            ["cal", "predict", "F", "--models", "B", "--model", "A"],
            "--models (deprecated) and --model",
        ),
        (["cal", "score", "D", "--data", "E"], "--data (deprecated) and DATA (positional)"),
        (["cal", "train", "D", "--out", "A", "--runs", "B"], "--out (deprecated) and --runs"),
        (["k2", "train", "D", "--kind", "global", "--network", "seed"], "--network (deprecated)"),
        (
            ["svm", "train", "D", "--model", "mlp", "--kind", "gb"],
            "--model (deprecated) and --kind",
        ),
        (["svm", "predict", "D", "--model-dir", "A", "--model", "B"], "--model-dir (deprecated)"),
        (["jwst", "predict", "D", "--model", "A", "--models", "B"], "--models (deprecated)"),
    ],
)
def test_a_deprecated_option_contradicted_by_its_new_name_is_a_usage_error(argv, message, capsys):
    # the last one given won silently: `--model new --models old` predicted with the old model
    rc, out, err = run_cli(argv, capsys)
    assert rc == 2 and out == ""
    assert message in err and "give different values" in err and "pass only" in err
    assert "Traceback" not in err


def test_a_deprecated_option_that_agrees_still_runs(capsys, shared_data):
    model = default_cal_model()
    mmf = shared_data / "hst_cal" / "MemModelFeatures" / "ib8t01010_MemModelFeatures.txt"
    rc, out, err = run_cli(
        ["cal", "predict", str(mmf), "--models", model, "--model", model], capsys
    )
    assert rc == 0 and "ib8t01010" in out
    assert "--models is deprecated" in err


@pytest.mark.parametrize(
    "event, found", [("nope", "'nope' is neither a file nor JSON text"), (".", "'.' is a folder")]
)
def test_cal_lambda_event_names_what_it_was_given(event, found, capsys):
    # an empty argument printed "spacekit: error: : expected a .json file ..." (now a usage
    # error, see test_an_empty_argument_is_a_usage_error); a folder read as if it were missing
    rc, _, err = run_cli(["cal", "lambda-event", event], capsys)
    line = one_error_line(err)
    assert rc == 1 and f"the event {found}" in line and "expected a .json file or JSON" in line


def test_import_upstream_into_an_unwritable_folder(upstream_wheel, tmp_path, capsys):
    # a raw NotADirectoryError / OSError (read-only) traceback
    blocker = tmp_path / "models"
    blocker.write_text("x")
    rc, _, err = run_cli(["import-upstream", str(upstream_wheel), "--out", str(blocker)], capsys)
    assert rc == 1
    assert "cannot write the model folder" in one_error_line(err)


def test_svm_predict_with_an_ensemble_and_no_images_names_the_option(
    upstream_wheel, tmp_path, capsys, shared_data
):
    # the message ended "pass images=", a keyword a command-line user cannot pass
    assert main(["import-upstream", str(upstream_wheel), "--out", str(tmp_path / "m")]) == 0
    data = str(shared_data / "hst_svm" / "svm_unlabeled_2021-10-06.csv")
    argv = ["svm", "predict", data, "--model", str(tmp_path / "m" / "hst_svm")]
    rc, _, err = run_cli([*argv, "--runs", str(tmp_path / "runs")], capsys)
    assert rc == 1 and "--images FILE.npz" in one_error_line(err)


def test_cal_replay_missing_model_advises_the_current_options(tmp_path, capsys, shared_data):
    # the advice was `spacekit cal train --data CSV --out DIR`: two deprecated options
    argv = ["cal", "replay", str(shared_data / SAMPLE), "--model", str(tmp_path / "none")]
    rc, _, err = run_cli(argv, capsys)
    line = one_error_line(err)
    assert rc == 1 and "`spacekit cal train DATA --runs DIR`" in line and "--out" not in line


@pytest.mark.parametrize(
    "argv, name",
    [
        (["cal", "train", SAMPLE, "--fast", "--runs", ""], "--runs"),
        (["svm", "predict", SVM, "--model", "M", "--runs", ""], "--runs"),
        (["k2", "build-dataset", "", "--n-synthetic", "4"], "output"),
        (["cal", "history", SAMPLE, "--out", ""], "--out"),
        (["cal", "predict", "F", "--model", ""], "--model"),
        (["cal", "score", " ", "--model", "M"], "DATA"),
        (["hunt", "a.fits", ""], "PATH"),
        (["cal", "lambda-event", ""], "EVENT"),
    ],
)
def test_an_empty_argument_is_a_usage_error(argv, name, tmp_path, capsys, monkeypatch, shared_data):
    # `--runs "$RUNS"` with RUNS unset wrote the run folder into the working directory (an
    # empty path is "."), `k2 build-dataset ""` wrote k2-train.csv there, `hunt ""` said
    # ": is a folder"
    monkeypatch.chdir(tmp_path)
    argv = [str(shared_data / a) if a in (SAMPLE, SVM) else a for a in argv]
    rc, out, err = run_cli(argv, capsys)
    assert rc == 2 and out == ""
    assert f"argument {name}: expected a value, got an empty one" in one_error_line(err)
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- dashboard threads
@pytest.mark.parametrize("option", ["--threads", "--workers"])
@pytest.mark.parametrize("value", ["0", "1000000"])
def test_dashboard_thread_counts_out_of_range(option, value, tmp_path, capsys):
    # --threads 1000000: "RuntimeError: can't start new thread", then the process died
    # ("LLVM ERROR: pthread_create failed"); nothing is served, no port is opened
    argv = ["dashboard", "--runs", str(tmp_path), "--port", "1", option, value]
    rc, out, err = run_cli(argv, capsys)
    assert rc == 1 and out == ""
    assert f"{option} must be at least 1 and at most 1024" in one_error_line(err)


def test_dashboard_serve_refuses_a_million_threads(tmp_path):
    from spacekit.dashboard import serve
    from spacekit.exceptions import InputError

    with pytest.raises(InputError, match="threads must be between 1 and 1024"):
        serve(tmp_path, port=1, threads=10**6)


# --------------------------------------------------------------------------- k2 settings
@pytest.mark.parametrize("value", ["nan", "inf"])
def test_k2_train_min_snr_must_be_finite(value, tmp_path, capsys):
    # NaN compared False with every SNR: training silently kept every injected transit
    from spacekit.exceptions import InputError
    from spacekit.skopes.k2.settings import fit_settings

    with pytest.raises(InputError, match="expected train_min_snr to be a finite number"):
        fit_settings({"train_min_snr": float(value)}, where="train")
    table = tmp_path / "k2.csv"
    table.write_text("LABEL,FLUX.1,FLUX.2\n1,1,2\n2,3,4\n")
    argv = ["k2", "train", str(table), "--fast", "--train-min-snr", value]
    rc, _, err = run_cli([*argv, "--runs", str(tmp_path / "runs")], capsys)
    assert rc == 1 and "train_min_snr to be a finite number" in one_error_line(err)
    assert not (tmp_path / "runs").exists()


def test_a_diverged_training_is_an_error_not_a_nan_model():
    # k2 train --learning-rate 1e300 trained to loss=nan and saved a "complete" model whose
    # every prediction was NaN, exit 0
    import numpy as np

    from spacekit.builder import Trainer, build_mlp
    from spacekit.exceptions import InputError

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 4)), rng.integers(0, 2, 64)
    trainer = Trainer(
        loss="binary_crossentropy", learning_rate=1e300, epochs=2, progress=False, seed=0
    )
    with pytest.raises(InputError, match=r"diverged: the loss became nan at epoch 1; lower"):
        trainer.fit(lambda: build_mlp(4, hidden=(8,)), x, y)


# --------------------------------------------------------------------------- a full disk
class _FullDisk:
    """A standard output on a full disk (``spacekit ... > /dev/full``)."""

    def write(self, text):
        raise OSError(errno.ENOSPC, "No space left on device")

    def flush(self):
        pass


def test_output_to_a_full_disk_is_one_line_not_a_traceback(monkeypatch, capsys):
    # `spacekit datasets list > out.txt` on a full disk: "OSError: [Errno 28] No space left
    # on device" with a traceback
    import sys

    monkeypatch.setattr(sys, "stdout", _FullDisk())
    assert main(["datasets", "list"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err == (
        "spacekit: error: cannot write the standard output: No space left on device; free "
        "some space or send the output elsewhere\n"
    )


def test_vv_shows_an_errors_traceback_for_a_bug_report(capsys):
    # there was no way to see where an error was raised (no --debug)
    import logging

    logger = logging.getLogger("spacekit")
    level = logger.level
    try:
        assert main(["datasets", "fetch", "no_such_set", "-vv"]) == 1
    finally:  # -vv added a handler on this test's captured stderr: later tests must not log there
        for handler in [h for h in logger.handlers if getattr(h, "_spacekit_handler", False)]:
            logger.removeHandler(handler)
        logger.setLevel(level)
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "UnknownDatasetError" in err
    assert err.splitlines()[-1].startswith("spacekit: error: no dataset named 'no_such_set'")
    assert main(["datasets", "fetch", "no_such_set"]) == 1
    assert "Traceback" not in capsys.readouterr().err


# --------------------------------------------------------------------------- one format for another
LC_FITS = "lightcurves/kplr010666592-2009131110544_slc.fits"


def test_a_fits_file_given_for_a_csv_is_named_as_fits(tmp_path, capsys, shared_data):
    # "could not be read as csv: 'utf-8' codec can't decode byte 0xda in position 6111"
    import shutil

    from spacekit import io as skio
    from spacekit.exceptions import FormatError

    renamed = tmp_path / "jobs.csv"  # a light curve saved under a table's name
    shutil.copy(shared_data / LC_FITS, renamed)
    with pytest.raises(FormatError, match="could not be read as csv: it is a FITS file"):
        skio.read_table(renamed)
    rc, _, err = run_cli(["cal", "score", str(renamed), "--model", default_cal_model()], capsys)
    assert rc == 1 and "it is a FITS file, not a csv file" in one_error_line(err)


def test_svm_truncated_table_names_the_row_without_a_visit(tmp_path, capsys, shared_data):
    # a csv cut mid-row: "visit name nan does not look like hst_<prop>_..._<ipppss>"
    whole = (shared_data / SVM).read_text()
    cut = tmp_path / "visits.csv"
    cut.write_text(whole[: whole.index("\n", 300) + 40])  # header, some rows, half a row
    from spacekit.exceptions import SchemaError
    from spacekit.skopes.hst.svm.tables import load_feature_table

    with pytest.raises(SchemaError, match=r"1 row\(s\) have no visit name in 'index'"):
        load_feature_table(cut)

"""spacekit.config, spacekit.exceptions, spacekit.utils (logging, progress, files, runs)."""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

import numpy as np
import pytest

from spacekit import exceptions as ex
from spacekit.config import Settings, conf
from spacekit.utils import atomic_write, enable_logging, file_sha256, optional_import, progress
from spacekit.utils.runs import Run, list_runs, to_jsonable


def test_settings_priority(monkeypatch, tmp_path):
    s = Settings()
    assert s.timeout == 30.0
    monkeypatch.setenv("SPACEKIT_TIMEOUT", "7")
    assert s.timeout == 7.0
    s.timeout = 3
    assert s.timeout == 3.0
    s.reset("timeout")
    assert s.timeout == 7.0
    with s.set_temp("timeout", 1.5):
        assert s.timeout == 1.5
    assert s.timeout == 7.0


def test_settings_paths_and_defaults(monkeypatch, tmp_path):
    s = Settings()
    monkeypatch.setenv("SPACEKIT_CACHE_DIR", str(tmp_path / "c"))
    monkeypatch.delenv("SPACEKIT_MODEL_DIR", raising=False)
    assert s.cache_dir == tmp_path / "c"
    assert s.model_dir == tmp_path / "c" / "models"
    monkeypatch.setenv("SPACEKIT_PROGRESS", "off")
    assert s.progress is False


def test_settings_config_file(tmp_path):
    """The astropy config file is read below the environment, top-level keys only; keys under
    a section header are not read, and a warning says so."""
    import subprocess
    import sys

    cfg = tmp_path / ".astropy" / "config" / "spacekit.cfg"
    cfg.parent.mkdir(parents=True)
    cfg.write_text("retries = 7\nmax_workers = 3\n[spacekit]\ntimeout = 11\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPACEKIT_", "XDG_CONFIG"))}
    env.update(HOME=str(tmp_path), SPACEKIT_MAX_WORKERS="5")
    code = "from spacekit.config import conf; print(conf.timeout, conf.retries, conf.max_workers)"
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["30.0", "7", "5"]  # default, file, environment over file
    assert "['timeout'] are under a [spacekit] header and are ignored" in proc.stderr


def test_settings_errors(monkeypatch):
    s = Settings()
    with pytest.raises(AttributeError, match="known settings"):
        s.nope  # noqa: B018
    with pytest.raises(ex.ConfigError, match="positive number"):
        s.timeout = -1
    assert set(conf.describe()) >= {"cache_dir", "data_mirror", "timeout", "model_dir"}
    monkeypatch.setenv("SPACEKIT_TIMEOUT", "soon")
    with pytest.raises(ex.ConfigError, match="SPACEKIT_TIMEOUT"):
        s.timeout  # noqa: B018


def test_exceptions_are_also_builtins():
    assert issubclass(ex.SchemaError, ValueError)
    assert issubclass(ex.DataNotFoundError, FileNotFoundError)
    assert issubclass(ex.DownloadError, ConnectionError)
    assert issubclass(ex.MissingDependencyError, ImportError)
    for name in ex.__all__:
        assert issubclass(getattr(ex, name), ex.SpacekitError)


def test_optional_import_message():
    with pytest.raises(ex.MissingDependencyError, match=r"pip install spacekit\[x\]"):
        optional_import("no_such_module_xyz", "doing_things()")


def test_enable_logging_does_not_duplicate():
    logger = logging.getLogger("spacekit")
    h1 = enable_logging("INFO")
    h2 = enable_logging("DEBUG")
    try:
        assert h1 not in logger.handlers and h2 in logger.handlers
    finally:
        logger.removeHandler(h2)


def test_progress_silenceable(capsys):
    assert list(progress(range(3), enabled=False)) == [0, 1, 2]
    assert capsys.readouterr().err == ""


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "x.bin"
    with pytest.raises(RuntimeError):
        with atomic_write(target) as fh:
            fh.write(b"partial")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
    with atomic_write(target) as fh:
        fh.write(b"abc")
    assert target.read_bytes() == b"abc"
    mask = os.umask(0)
    os.umask(mask)
    # the mode of a plain open(), not mkstemp's 0o600
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask
    assert file_sha256(target).startswith("ba7816bf")


def test_run_folder_roundtrip(tmp_path):
    import pandas as pd

    run = Run.create("hst_cal", "my run", runs_dir=tmp_path, parameters={"a": 1}, seed=3)
    assert run.path.parent == tmp_path / "hst_cal"
    assert run.path.name.endswith("-my-run")
    run.write_metrics({"acc": np.float32(0.5)})
    run.write_metrics({"auc": 0.9})
    run.write_predictions(pd.DataFrame({"p": [0.1, 0.9]}))
    info = json.loads((run.path / "run.json").read_text())
    assert info["seed"] == 3 and info["parameters"] == {"a": 1} and info["app"] == "hst_cal"
    assert Run.open(run.path).metrics == {"acc": 0.5, "auc": 0.9}
    twin = Run.create("hst_cal", "my run", runs_dir=tmp_path, timestamp=None)
    assert twin.path != run.path
    assert [r.app for r in list_runs(tmp_path)] == ["hst_cal", "hst_cal"]
    assert list_runs(tmp_path / "missing") == []
    with pytest.raises(ex.DataNotFoundError, match="run.json"):
        Run.open(tmp_path)
    with pytest.raises(ex.InputError):
        Run.create("bad app/", runs_dir=tmp_path)


def test_run_save_figure(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    run = Run.create("demo", runs_dir=tmp_path)
    fig, ax = plt.subplots()
    ax.plot([1, 2])
    out = run.save_figure(fig, "line plot")
    plt.close(fig)
    assert out.suffix == ".png" and out.read_bytes()[:4] == b"\x89PNG"
    assert run.figures() == [out]
    with pytest.raises(ex.InputError, match="matplotlib or plotly"):
        run.save_figure(object(), "x")


def test_to_jsonable_quantity():
    import astropy.units as u

    assert to_jsonable(3 * u.day) == {"value": 3.0, "unit": "d"}
    assert to_jsonable(Path("a")) == "a"


def test_robust_std_matches_scipy_and_ignores_outliers():
    from scipy.stats import median_abs_deviation

    from spacekit.utils.stats import robust_std

    rng = np.random.default_rng(3)
    x = rng.normal(0.0, 2.0, (4, 5000))
    x[:, :100] = 1e3  # 2% outliers barely move it
    # the same estimator; the project's constant is 1.4826, scipy's 1.482602...
    np.testing.assert_allclose(
        robust_std(x, axis=1), median_abs_deviation(x, axis=1, scale="normal"), rtol=2e-6
    )
    assert abs(robust_std(x[0]) - 2.0) < 0.15
    assert np.isnan(robust_std([]))
    assert np.isnan(robust_std([1.0, np.nan, 3.0]))
    assert robust_std([1.0, np.nan, 3.0, 4.0], ignore_nan=True) == 1.4826
    assert robust_std(np.zeros((0, 5)), axis=1).shape == (0,)


def test_whole_number_setting_check():
    from spacekit.exceptions import InputError
    from spacekit.utils.checks import as_whole_number, whole_number

    assert whole_number(np.int32(4), "n", minimum=1) == 4 and whole_number(3.0, "n") == 3
    for bad in (2.5, "3", True, float("nan"), float("inf"), None):
        assert as_whole_number(bad) is None
        with pytest.raises(InputError, match=r"^n must be a whole number; got"):
            whole_number(bad, "n")
    with pytest.raises(InputError, match="n must be a whole number of at least 2; got 1"):
        whole_number(1, "n", minimum=2)


def test_positive_number_setting_check():
    from spacekit.exceptions import InputError
    from spacekit.utils.checks import positive_number

    assert positive_number(np.float32(0.5), "x") == 0.5
    assert positive_number(float("inf"), "sigma", finite=False) == float("inf")
    for bad in (0, -1.0, float("nan"), float("inf"), True, "5", None):
        with pytest.raises(InputError, match=r"^x must be a positive number of days; got .*\. Fix"):
            positive_number(bad, "x", unit=" of days", advice="Fix it.")

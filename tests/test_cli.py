"""The ``spacekit`` command: --version, datasets list|fetch|path|info, errors, the demo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import spacekit
from spacekit.cli import main


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"spacekit {spacekit.__version__}"


def test_datasets_list(capsys):
    assert main(["datasets", "list"]) == 0
    out = capsys.readouterr().out
    assert "hst_cal_2021_05_11" in out and "e48f89882177529f" in out and "lc_k2_3" in out
    assert main(["datasets", "list", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert {r["name"] for r in records} >= {"svm_prep", "k2_exoplanet_test"}


def test_datasets_fetch_path_info(capsys, shared_data):
    assert main(["datasets", "fetch", "hst_cal_sample_20"]) == 0
    fetched = Path(capsys.readouterr().out.strip())
    assert fetched.resolve() == shared_data / "hst_cal" / "hst_cal_sample_20.csv"
    assert main(["datasets", "path", "svm_prep"]) == 0
    assert Path(capsys.readouterr().out.strip()).resolve() == shared_data / "hst_svm" / "prep"
    assert main(["datasets", "info", "lc_hat_p_7"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["files"][0]["sha256"].startswith("b648bf31893ab3ec")
    assert "Kepler" in info["credit"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["datasets", "fetch", "no_such_set"], "no dataset named 'no_such_set'"),
        (["datasets", "info", "lc_k2-3"], "did you mean"),
        (["datasets", "path", "k2_exoplanet_train"], "not available locally"),
    ],
)
def test_errors_are_one_line_on_stderr(capsys, argv, message):
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("spacekit: error: ") and message in lines[0]


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["datasets", "fetch"])
    assert exc.value.code == 2
    assert main(["datasets"]) == 2
    assert main([]) == 2


def test_demo_datasets_step(capsys, tmp_path):
    assert main(["demo", "--only", "datasets", "--runs", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "== spacekit demo: datasets ==" in out
    assert "svm_img_pred_2samples" in out and "index (2,), images (2, 3, 128, 128, 3)" in out
    assert "k2_exoplanet_test: skipped" in out


def test_console_script_in_subprocess(tmp_path):
    exe = Path(sys.executable).with_name("spacekit")
    assert exe.exists(), f"console script {exe} is not installed: pip install -e ."
    env = dict(os.environ, SPACEKIT_CACHE_DIR=str(tmp_path))
    done = subprocess.run(
        [str(exe), "--version"], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0 and done.stdout.startswith("spacekit ")
    done = subprocess.run(
        [str(exe), "datasets", "fetch", "nope"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "spacekit: error: no dataset named 'nope' in the registry; see "
        "spacekit.datasets.list_datasets() or `spacekit datasets list`"
    ]


def test_global_flags_also_after_a_subcommand(capsys):
    from spacekit.cli import build_parser, main

    args = build_parser().parse_args(["datasets", "list", "-q", "-vv"])
    assert args.quiet is True and args.verbose == 2
    assert build_parser().parse_args(["-q", "datasets", "list"]).quiet is True
    assert main(["datasets", "list", "-q"]) == 0
    assert "hst_cal_2021_05_11" in capsys.readouterr().out


def test_datasets_list_json_does_not_escape_slashes(capsys):
    assert main(["datasets", "list", "--json"]) == 0
    out = capsys.readouterr().out
    assert "\\/" not in out and "calcloudML/data/" in out
    records = json.loads(out)
    assert all(isinstance(r["size"], int) or r["size"] is None for r in records)


@pytest.mark.parametrize("relative", [False, True])
def test_per_file_errors_name_the_file_once(tmp_path, capsys, monkeypatch, relative):
    """A missing file was reported as "error: P: P: cannot tell the dataset from its name" by
    ``cal predict`` and "spacekit hunt: error: P: P does not exist" by ``hunt``: each failed file
    is one line ``spacekit COMMAND: error: PATH: MESSAGE``, a missing one said to be missing."""
    monkeypatch.chdir(tmp_path)
    missing = "./nope.txt" if relative else str(tmp_path / "nope.txt")
    odd = tmp_path / "features.txt"  # exists, but its name does not say which dataset
    odd.write_text("n_files=3\n")
    for command, name, argv in (
        ("cal predict", missing, ["cal", "predict", missing, str(odd)]),
        ("hunt", missing.replace(".txt", ".fits"), ["hunt", missing.replace(".txt", ".fits")]),
    ):
        assert main(argv) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert err[0].startswith(f"spacekit {command}: error: {name}: does not exist"), err
        assert "cannot tell" not in err[0]
        assert err[0].count(name) == err[0].count(name.lstrip("./")) == 1, err
        if command == "cal predict":
            assert err[1].startswith(f"spacekit cal predict: error: {odd}: cannot tell"), err
            assert err[1].count(str(odd)) == 1, err
            assert err[2:] == ["spacekit cal predict: 2 of 2 datasets could not be predicted"]
        else:
            assert len(err) == 1, err


def test_top_level_help_says_where_each_commands_help_is(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "spacekit COMMAND --help" in out, out


def test_hunt_takes_options_between_its_files(monkeypatch, capsys):
    """``spacekit hunt A.csv --time-format bkjd B.fits`` failed with "unrecognized arguments:
    B.fits" (argparse ends a many-valued positional at the first option): every file is
    searched, with the option applied to each."""
    import astropy.units as u
    from astropy.time import Time

    from spacekit.analyzer import HuntResult, Planet

    epoch = Time(2458001.3, format="jd", scale="tdb")
    planet = Planet(3 * u.day, epoch, 0.1 * u.day, 0.004, 40.0, 25.0, 6, True)
    calls = []

    def fake_hunter(path, **kw):
        calls.append((path, kw["time_format"], kw["max_planets"]))
        return HuntResult(planet, [planet], None, None, None, None, 7.0, "bls")

    monkeypatch.setattr("spacekit.analyzer.planet_hunter", fake_hunter)
    argv = ["hunt", "A.csv", "--time-format", "bkjd", "B.fits", "--max-planets", "2", "C.csv"]
    assert main(argv) == 0
    assert calls == [("A.csv", "bkjd", 2), ("B.fits", "bkjd", 2), ("C.csv", "bkjd", 2)]
    out = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in out] == ["A.csv", "B.fits", "C.csv"]


@pytest.mark.parametrize(
    "module, func, argv, dest, values, option",
    [
        ("cmd_radio", "_download", ["radio", "download", "u1", "--out", "d", "u2"], "urls",
         ["u1", "u2"], ("out", "d")),
        ("cmd_radio", "_category", ["radio", "category", "NGC-1", "-q", "M31"], "target_name",
         ["NGC-1", "M31"], ("quiet", True)),
        ("cmd_jwst", "_ingest", ["jwst", "ingest", "a", "--sizes", "s.csv", "b"], "sources",
         ["a", "b"], ("sizes", "s.csv")),
        ("cmd_cal", "_predict", ["cal", "predict", "a", "--ipst", "x", "b"], "paths",
         ["a", "b"], ("ipst", "x")),
        ("cmd_k2", "run_predict", ["k2", "predict", "a", "--json", "b"], "paths", ["a", "b"],
         ("json", True)),
    ],
)  # fmt: skip
def test_many_valued_positionals_take_options_between_them(
    monkeypatch, module, func, argv, dest, values, option
):
    """Every command with a many-valued positional (files, URLs, names) takes options between
    its values, as ``hunt`` does; ``legacy-entry``'s arguments after ``--`` stay untouched."""
    import importlib

    seen = {}
    monkeypatch.setattr(
        importlib.import_module(f"spacekit.cli.{module}"), func, lambda a: seen.update(vars(a))
    )
    assert main(argv) == 0
    assert seen[dest] == values and seen[option[0]] == option[1]


def test_legacy_entry_keeps_arguments_after_double_dash(monkeypatch):
    from spacekit.cli import cmd_legacy

    seen = []
    monkeypatch.setattr(cmd_legacy, "run_legacy", lambda old, args: seen.append(args) or 0)
    old = "spacekit.skopes.hst.cal.predict"
    assert main(["legacy-entry", old, "--", "a", "--model", "m", "b"]) == 0
    assert seen == [["a", "--model", "m", "b"]]

"""Upstream spacekit's ``python -m spacekit.skopes...`` entry points: never a silent exit 0."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

MMF = "hst_cal/MemModelFeatures"


def _run(module, *args, cwd=None, env=None):
    full = dict(os.environ, **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env=full,
    )


@pytest.mark.parametrize(
    ("module", "args", "names"),
    [
        ("spacekit.skopes.hst.cal.predict", ["j8ny02020"], "spacekit cal predict"),
        ("spacekit.skopes.hst.cal.train", ["data/2021-11-04-1636048291"], "spacekit cal train"),
        ("spacekit.skopes.hst.svm.predict", ["data.csv", "img"], "spacekit svm predict"),
        ("spacekit.skopes.hst.svm.train", ["data.csv", "img"], "spacekit svm train"),
        ("spacekit.skopes.hst.svm.prep", ["svmdata"], "spacekit svm ingest"),
        ("spacekit.skopes.hst.svm.corrupt", ["svmdata"], "synthetic_misalignment"),
        ("spacekit.skopes.jwst.cal.predict", ["/in", "--pid", "1076"], "spacekit jwst predict"),
        ("spacekit.skopes.jwst.cal.train", ["-d", "data", "-o", "out"], "spacekit jwst train"),
        ("spacekit.analyzer.explore", ["data.csv", "index", "-e", "svm"], "plot_kde"),
    ],
)
def test_untranslatable_calls_exit_2_naming_the_command(module, args, names, tmp_path):
    out = _run(module, *args, cwd=tmp_path)
    assert out.returncode == 2, out
    assert "DeprecationWarning" in out.stderr and names in out.stderr
    assert out.stdout == "" and list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_hst_cal_predict_runs_the_spacekit_command(shared_data, tmp_path):
    import pandas as pd

    from spacekit.skopes.hst.cal import train

    df = pd.read_csv(shared_data / "hst_cal" / "hst_cal_2021-05-11_latest.csv").sample(
        3000, random_state=2
    )
    model = train(df, runs_dir=tmp_path / "runs", seed=0, fast=True, name="upstream").model_dir
    src = shared_data / MMF / "j8ny02020_MemModelFeatures.txt"
    work = tmp_path / "work"
    work.mkdir()
    (work / src.name).write_bytes(src.read_bytes())
    out = _run("spacekit.skopes.hst.cal.predict", "j8ny02020", "-m", str(model), cwd=work)
    assert out.returncode == 0, out.stderr
    assert "DeprecationWarning" in out.stderr and "spacekit cal predict" in out.stderr
    reply = json.loads(out.stdout.strip().splitlines()[-1])
    assert reply["ipst"] == "j8ny02020" and reply["memBin"] in (0, 1, 2, 3)
    # the model from the environment, the file from -k
    out = _run(
        "spacekit.skopes.hst.cal.predict",
        "j8ny02020",
        "-k",
        str(src),
        env={"SPACEKIT_HST_CAL_MODEL_DIR": str(model)},
    )
    assert out.returncode == 0 and json.loads(out.stdout)["killTime"] == reply["killTime"]
    # a model folder upstream's format: a clear error, exit 1
    out = _run("spacekit.skopes.hst.cal.predict", "j8ny02020", "-k", str(src), "-m", str(work))
    assert out.returncode == 1 and "DeprecationWarning" in out.stderr
    assert "no hst_cal model folder" in out.stderr


def test_jwst_predict_runs_the_spacekit_command(tmp_path):
    out = _run("spacekit.skopes.jwst.cal.predict", str(tmp_path / "missing"))
    assert "DeprecationWarning" in out.stderr and "spacekit jwst predict" in out.stderr
    assert out.returncode == 1  # spacekit jwst predict ran, and said what is missing


def test_shim_modules_imported_still_call_their_functions():
    # Importing an upstream module path binds the submodule over the package's function of the
    # same name (``cal.train`` becomes the module); the module object must then call the very
    # function the package exported, with its signature (the app contract's), so code that ran
    # ``cal.train(data, runs_dir=...)`` keeps working after ``import ...hst.cal.train``.
    code = (
        "import importlib, inspect, json\n"
        "pairs = [('spacekit.skopes.hst.svm', 'predict'), ('spacekit.skopes.hst.svm', 'train'),\n"
        "         ('spacekit.skopes.jwst.cal', 'predict'), ('spacekit.skopes.hst.cal', 'train'),\n"
        "         ('spacekit.skopes.hst.cal', 'predict')]\n"
        "res = {}\n"
        "for pkg_name, name in pairs:\n"
        "    pkg = importlib.import_module(pkg_name)\n"
        "    fn = getattr(importlib.import_module(f'{pkg_name}.app'), name)\n"
        "    importlib.import_module(f'{pkg_name}.{name}')\n"
        "    mod = getattr(pkg, name)\n"
        "    errors = []\n"
        "    for f in (mod, fn):\n"
        "        try:\n"
        "            f(*[None] * (2 if name == 'predict' else 1))\n"
        "            errors.append(None)\n"
        "        except Exception as e:\n"
        "            errors.append(type(e).__name__)\n"
        "    res[f'{pkg_name}.{name}'] = [inspect.isfunction(fn), callable(mod),\n"
        "        str(inspect.signature(mod)) == str(inspect.signature(fn)), *errors]\n"
        "print(json.dumps(res))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert len(res) == 5
    for name, (is_function, is_callable, same_signature, via_module, direct) in res.items():
        assert is_function and is_callable and same_signature, name
        assert via_module == direct and via_module not in ("AttributeError", "TypeError"), name


def test_library_only_builds_the_command_line(capsys):
    """DESIGN rule 3: the skopes layer neither prints nor exits; the CLI does."""
    from spacekit.skopes import _upstream

    assert not hasattr(_upstream, "deprecated_entry")
    prog, argv = _upstream.legacy_entry("spacekit.skopes.hst.cal.predict", ["j8ny02020", "-m", "x"])
    assert prog == sys.executable
    assert argv[:4] == [sys.executable, "-m", "spacekit", "legacy-entry"]
    assert argv[4:] == ["spacekit.skopes.hst.cal.predict", "--", "j8ny02020", "-m", "x"]
    assert capsys.readouterr() == ("", "")


def test_legacy_entry_subcommand_in_process(capsys, tmp_path, monkeypatch):
    from spacekit.cli import main

    monkeypatch.chdir(tmp_path)
    old = "spacekit.skopes.hst.svm.corrupt"
    assert main(["legacy-entry", old, "--", "svmdata", "-q"]) == 2
    out = capsys.readouterr()
    assert out.out == "" and "DeprecationWarning" in out.err
    assert "synthetic_misalignment" in out.err and "nothing was run" in out.err
    # a translated call runs the command through the same main: its error, its exit code
    missing = str(tmp_path / "missing")
    assert main(["legacy-entry", "spacekit.skopes.jwst.cal.predict", "--", missing]) == 1
    err = capsys.readouterr().err
    assert "running `spacekit jwst predict" in err and "spacekit: error:" in err
    assert list(tmp_path.iterdir()) == []


def test_legacy_entry_is_hidden_and_checks_its_module(capsys):
    from spacekit.cli import main

    with pytest.raises(SystemExit):
        main(["--help"])
    assert "legacy-entry" not in capsys.readouterr().out
    # nor in the list of commands a mistyped one prints (it was: 'k2', 'legacy-entry', ...)
    with pytest.raises(SystemExit) as exc:
        main(["no-such-command"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "invalid choice: 'no-such-command'" in err
    assert "'hunt'" in err and "'import-upstream'" in err and "legacy-entry" not in err
    with pytest.raises(SystemExit) as exc:
        main(["legacy-entry", "spacekit.skopes.k2.nothing"])
    assert exc.value.code == 2


def test_translations():
    from spacekit.cli.cmd_legacy import hst_cal_predict_argv, jwst_cal_predict_argv

    assert hst_cal_predict_argv(["j1", "-k", "f.txt", "-m", "M"]) == [
        "cal", "predict", "--model", "M", "f.txt", "--ipst", "j1",
    ]  # fmt: skip
    assert hst_cal_predict_argv(["j1", "-b", "s3://b/"])[2] == (
        "s3://b/control/j1/j1_MemModelFeatures.txt"
    )
    assert jwst_cal_predict_argv(["/in"]) == ["jwst", "predict", "/in"]
    assert jwst_cal_predict_argv(["-x"]) is None


def test_hst_cal_predict_key_control_is_upstreams_default_prefix():
    """Upstream's ``Predict(key="control")`` (its default) meant
    ``control/<ipst>/<ipst>_MemModelFeatures.txt``; ``-k control`` is translated the same way
    (it became the object ``s3://BUCKET/control``)."""
    from spacekit.cli.cmd_legacy import hst_cal_predict_argv

    argv = hst_cal_predict_argv(["j8ny02020", "-b", "s3://bucket/", "-k", "control"])
    assert argv[2] == "s3://bucket/control/j8ny02020/j8ny02020_MemModelFeatures.txt"
    argv = hst_cal_predict_argv(["j8ny02020", "-b", "bucket", "-k", "in/x_MemModelFeatures.txt"])
    assert argv[2] == "s3://bucket/in/x_MemModelFeatures.txt"

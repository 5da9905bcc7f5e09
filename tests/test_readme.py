"""Every snippet of README.md runs as written, against the installed spacekit.

A pip user has what ``pip install "spacekit[x] @ git+..."`` installs and nothing else: no clone,
no data files. So the snippets run in a temporary working folder, in fresh processes, with the
real data from ``../shared/data`` as the dataset mirror (the downloads a user's first ``load``
makes come from there instead, checked by the same sha256).

How each fenced block is covered (a block of any other kind fails
:func:`test_every_block_has_a_runner`, so a new kind of snippet cannot go untested):

- ``python``: every block runs in one fresh subprocess, each in its own namespace (a block
  must define everything it uses), and what the prose around them promises is checked.
- ``bash``/``sh``/``console`` (``$ `` prompts): each command runs in bash (``set -euo
  pipefail``), except
  - ``spacekit dashboard ...``: started as a subprocess on a free port, ``/healthz`` and the
    first page polled until they answer, then stopped with Ctrl-C (SIGINT), as the README
    says; the shutdown must be clean (the CLI's "interrupted" exit, no traceback);
  - ``pip install`` and ``git clone``: they need the network (the package index, GitHub),
    which tests never use. Instead each is checked for shape: the package is ``spacekit``,
    a git URL is the project's (``[project.urls] Source`` in pyproject.toml), every extra named
    exists in pyproject.toml, and every requirement of those extras is installed in this
    environment, so the install the snippets ran against is the one the line makes;
  - ``make TARGET``: the developer commands build a venv and run this suite (minutes, and
    ``make test`` would run this test), so only their targets are checked in the Makefile.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SHARED_DATA = (ROOT.parent / "shared" / "data").resolve()
BIN = Path(sys.executable).parent  # the venv's console scripts (spacekit)

#: Info strings of the fenced blocks this test knows how to run.
RUNNERS = {"python", "bash", "sh", "console"}

FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.M | re.S)


def readme_blocks() -> list[tuple[str, str, int]]:
    """``(info string, code, line number)`` of every fenced block of README.md."""
    text = README.read_text(encoding="utf-8")
    return [
        (m.group(1).strip(), m.group(2), text.count("\n", 0, m.start()) + 1)
        for m in FENCE.finditer(text)
    ]


def shell_commands(lang: str, code: str) -> list[str]:
    """The commands of a shell block: continuation lines joined, comment and blank lines
    dropped; in a ``console`` block only the ``$ `` lines (the rest is output)."""
    commands: list[str] = []
    pending = ""
    for raw in code.splitlines():
        line = raw.rstrip()
        if lang == "console" and not pending:
            if not line.startswith("$ "):
                continue
            line = line[2:]
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        commands.append((pending + line).strip())
        pending = ""
    assert not pending, f"a shell block ends in a continuation line: {pending!r}"
    return commands


def command_kind(command: str) -> str:
    words = shlex.split(command, comments=True)
    if words[:2] == ["pip", "install"] or words[:4] == ["python", "-m", "pip", "install"]:
        return "pip"
    if words[:2] == ["git", "clone"]:
        return "git"
    if words[:1] == ["make"]:
        return "make"
    if words[:2] == ["spacekit", "dashboard"]:
        return "dashboard"
    return "run"


def _commands_of_kind(kind: str) -> list[str]:
    return [
        c
        for lang, code, _ in readme_blocks()
        if lang != "python"
        for c in shell_commands(lang, code)
        if command_kind(c) == kind
    ]


def _pyproject() -> dict:
    import tomllib  # Python 3.11+, as the test venv

    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        SPACEKIT_DATA_MIRROR=str(SHARED_DATA),
        SPACEKIT_CACHE_DIR=str(tmp_path / "cache"),  # a first-time user's empty cache
        SPACEKIT_PROGRESS="0",
        MPLBACKEND="Agg",
        TF_CPP_MIN_LOG_LEVEL="3",
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
    )
    return env


@pytest.fixture
def workdir(tmp_path, shared_data) -> Path:
    """An empty working folder (the reader's, with none of the repository's files)."""
    work = tmp_path / "work"
    work.mkdir()
    return work


# ------------------------------------------------------------------------------------- shape


def test_every_block_has_a_runner():
    blocks = readme_blocks()
    assert blocks, "README.md has no code blocks"
    unknown = [(lang or "(none)", line) for lang, _, line in blocks if lang not in RUNNERS]
    assert not unknown, (
        f"README.md has code blocks this test does not run: {unknown} (info string, line). "
        f"Use one of {sorted(RUNNERS)}, or teach tests/test_readme.py to run the new kind."
    )
    # every kind of shell command the test handles specially really occurs, so none of those
    # branches is dead (a renamed command would otherwise silently fall back to 'run')
    for kind in ("pip", "make", "dashboard", "run"):
        assert _commands_of_kind(kind), f"no README command of kind {kind!r}"


def test_readme_is_a_short_guide():
    """The README is the five-minute start and a map of the docs; details and result history
    belong in docs/guide.md and docs/history.md (issue 21)."""
    text = README.read_text(encoding="utf-8")
    n = len(text.splitlines())
    assert n <= 250, f"README.md has {n} lines: move details to docs/guide.md or docs/history.md"
    first_screen = "\n".join(text.splitlines()[:30])
    for job in ("calcloud", "planet", "Keras", "dashboard"):
        assert job in first_screen, f"the first screen does not say the main job {job!r}"
    assert text.index("## Five-minute start") < text.index("## Documentation")


def test_relative_links_exist():
    text = README.read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    local = [link.split("#")[0] for link in links if not re.match(r"[a-z]+:", link)]
    assert local, "README.md links to no docs"
    missing = [link for link in local if not (ROOT / link).exists()]
    assert not missing, f"README.md links to files that do not exist: {missing}"
    # the docs pages that took over the README's sections are in the docs' table of contents
    index = (ROOT / "docs" / "index.rst").read_text(encoding="utf-8")
    assert "   guide\n" in index and "   history\n" in index


#: Distributions that stand in for a requirement: the GPU note (docs/guide.md, "Install") swaps
#: tensorflow-cpu for tensorflow, which installs the same ``tensorflow`` package.
SAME_PACKAGE = {"tensorflow-cpu": ("tensorflow",)}


def _requirement_met(req_text: str) -> tuple[bool, str]:
    from packaging.requirements import Requirement

    req = Requirement(req_text)
    if req.marker is not None and not req.marker.evaluate({"extra": ""}):
        return True, ""
    for name in (req.name, *SAME_PACKAGE.get(req.name, ())):
        try:
            version = metadata.version(name)
            break
        except metadata.PackageNotFoundError:
            continue
    else:
        return False, f"{req.name} is not installed"
    if req.specifier and not req.specifier.contains(version, prereleases=True):
        return False, f"{req.name} {version} does not satisfy {req.specifier}"
    return True, ""


def test_pip_install_lines_name_real_extras():
    """Not run (they need the package index or GitHub); checked for shape instead."""
    pyproject = _pyproject()
    extras = pyproject["project"]["optional-dependencies"]
    source = pyproject["project"]["urls"]["Source"].rstrip("/")
    commands = _commands_of_kind("pip")
    assert any("git+" in c for c in commands), "the README says how to install from git"
    for command in commands:
        words = shlex.split(command, comments=True)
        targets = [w for w in words[words.index("install") + 1 :] if not w.startswith("-")]
        assert targets, command
        for target in targets:
            m = re.fullmatch(r"(spacekit|\.)(?:\[([\w,-]+)\])?(?:\s*@\s*git\+(\S+))?", target)
            assert m, f"{command!r}: {target!r} is not spacekit from git or a checkout"
            name, named, url = m.groups()
            if url is not None:
                assert name == "spacekit"
                assert url.split("@")[0].removesuffix(".git").rstrip("/") == source, (
                    f"{command!r} installs from {url}, but pyproject's Source URL is {source}"
                )
            else:
                assert name == "." and (ROOT / "pyproject.toml").is_file(), command
            for extra in (named or "").split(","):
                if not extra:
                    continue
                assert extra in extras, (
                    f"{command!r} names the extra {extra!r}; pyproject has {sorted(extras)}"
                )
                unmet = [why for ok, why in map(_requirement_met, extras[extra]) if not ok]
                assert not unmet, f"[{extra}] is not what the tests run against: {unmet}"


def test_git_clone_lines_use_the_project_url():
    source = _pyproject()["project"]["urls"]["Source"].rstrip("/")
    for command in _commands_of_kind("git"):
        url = shlex.split(command, comments=True)[2]
        assert url.removesuffix(".git").rstrip("/") == source, command


def test_make_lines_are_targets():
    """Not run (they build a venv and run this suite); the targets must exist."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    phony = set(re.search(r"^\.PHONY:(.*)$", makefile, re.M).group(1).split())
    for command in _commands_of_kind("make"):
        targets = [w for w in shlex.split(command, comments=True)[1:] if not w.startswith("-")]
        for target in targets:
            assert target in phony and re.search(rf"^{re.escape(target)}:", makefile, re.M), (
                f"{command!r}: the Makefile has no target {target!r}"
            )


# --------------------------------------------------------------------------------------- run

_PY_RUNNER = """
import sys, traceback
blocks = {blocks!r}
for line, code in blocks:
    print(f"--- README.md block at line {{line}}", flush=True)
    try:
        exec(compile(code, f"README.md:{{line}}", "exec"), {{"__name__": "__main__"}})
    except BaseException:
        traceback.print_exc()
        sys.exit(f"README.md: the python block at line {{line}} failed")
print("--- all python blocks ran", flush=True)
"""


@pytest.mark.slow  # a period search with a transit fit and a 29,191-row table: ~15 s
def test_python_blocks_run(workdir, tmp_path):
    blocks = [(line, code) for lang, code, line in readme_blocks() if lang == "python"]
    assert blocks
    proc = subprocess.run(
        [sys.executable, "-c", _PY_RUNNER.format(blocks=blocks)],
        cwd=workdir,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, (proc.stdout[-3000:], proc.stderr[-5000:])
    assert "--- all python blocks ran" in proc.stdout
    out = proc.stdout
    # what the prose promises
    assert "hst_cal_2021_05_11" in out and "29191" in out  # the listing and describe()
    for period in ("10.05 d", "24.64 d", "22.27 d"):  # K2-3 b, c, and d's transits
        assert period in out, out[-2000:]
    assert (workdir / "k2-3.png").stat().st_size > 10_000
    # the HST prediction printed memBin, queueGB, memVal, killTime
    assert re.search(r"^[0-3] (2|8|16|64) [\d.]+ \d+$", out, re.M), out[-2000:]
    assert sorted(p.name for p in workdir.iterdir()) == ["k2-3.png"]  # nothing else written


def test_shell_blocks_run(workdir, tmp_path):
    ran = 0
    for lang, code, line in readme_blocks():
        if lang == "python":
            continue
        commands = [c for c in shell_commands(lang, code) if command_kind(c) == "run"]
        if not commands:
            continue
        script = "set -euo pipefail\n" + "\n".join(commands) + "\n"
        proc = subprocess.run(
            ["bash", "-c", script],
            cwd=workdir,
            env=_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert proc.returncode == 0, (f"README.md block at line {line}", script, proc.stderr)
        assert "Traceback" not in proc.stderr, proc.stderr
        ran += len(commands)
        if "spacekit cal predict" in script:
            assert '"memBin": ' in proc.stdout and '"killTime": ' in proc.stdout, proc.stdout
    assert ran


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return resp.status, resp.read().decode("utf-8")


@pytest.mark.parametrize("command", _commands_of_kind("dashboard") or ["(none)"])
def test_dashboard_line_serves_and_stops(command, workdir, tmp_path):
    assert command != "(none)", "the README no longer says how to open the dashboard"
    words = shlex.split(command, comments=True)
    port = _free_port()
    # the README's line as written, on a free port instead of 8050 (a later --port wins)
    argv = [str(BIN / words[0]), *words[1:], "--port", str(port)]
    proc = subprocess.Popen(
        argv,
        cwd=workdir,
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                status, body = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()
                    out, err = proc.communicate()
                    pytest.fail(f"{command!r} did not serve (rc {proc.returncode}): {out}{err}")
                time.sleep(0.3)
        assert status == 200 and '"status":"ok"' in body.replace(" ", "")
        status, page = _get(f"http://127.0.0.1:{port}/")
        assert status == 200 and "<title>spacekit dashboard</title>" in page
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # Ctrl-C, as the README says
        try:
            out, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            pytest.fail(f"{command!r} did not stop on Ctrl-C within 30 s: {out}{err}")
    assert f"open http://127.0.0.1:{port}/" in out
    assert proc.returncode in (0, 130), (proc.returncode, err)  # 130: the CLI's Ctrl-C exit
    assert "Traceback" not in err, err
    assert not (workdir / "spacekit-runs").exists() or not any(
        (workdir / "spacekit-runs").iterdir()
    )

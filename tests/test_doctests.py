"""Every docstring example in the package runs, collected from the whole package.

No module is listed by hand: ``pkgutil.walk_packages`` finds every module of ``spacekit``, and
each one's examples run as a test (in a fresh temporary folder, with this suite's fixtures, and
with warnings as errors like every other test). A new module's examples are collected the day it
is added. The rules the examples follow are in ``docs/design.rst`` ("Docstring examples").
"""

from __future__ import annotations

import doctest
import importlib
import os
import pkgutil
from pathlib import Path

import pytest

import spacekit
from spacekit.utils.upstream_api import STUBS

OPTIONFLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

# Every module but ``spacekit.__main__`` (importing it runs the command line).
MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(spacekit.__path__, prefix="spacekit.")
    if not m.name.endswith(".__main__") and m.name not in STUBS  # stubs raise on import
)
# Modules whose examples train models (2-4 s each): in the full suite, not the fast tier.
SLOW_MODULES = {
    "spacekit.builder.trainer",
    "spacekit.skopes.hst.svm.app",
    "spacekit.skopes.hst.svm.cv",
    "spacekit.skopes.jwst.cal.app",
}


def _examples(module_name: str) -> list[doctest.DocTest]:
    module = importlib.import_module(module_name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    return [t for t in finder.find(module, module_name) if t.examples]


def _run(module_name: str, folder: Path) -> tuple[int, int, str]:
    """Run a module's examples, each docstring in an empty folder of its own under ``folder``."""
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=OPTIONFLAGS)
    for i, test in enumerate(_examples(module_name)):
        (folder / str(i)).mkdir(parents=True)
        os.chdir(folder / str(i))
        runner.run(test, out=report.append, clear_globs=True)
    result = runner.summarize(verbose=False)
    return result.failed, result.attempted, "".join(report)


@pytest.fixture
def _sandbox(tmp_path, monkeypatch):
    """Examples run in empty folders (written files land there), with an empty cache."""
    monkeypatch.chdir(tmp_path)  # restores the working folder afterwards
    monkeypatch.setenv("SPACEKIT_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


@pytest.mark.parametrize(
    "module_name",
    [pytest.param(m, marks=[pytest.mark.slow] if m in SLOW_MODULES else []) for m in MODULES],
)
def test_docstring_examples(module_name, _sandbox):
    failed, _attempted, report = _run(module_name, _sandbox)
    assert failed == 0, f"{module_name}: {failed} failing example(s)\n{report}"


def test_the_whole_package_is_collected():
    # walk_packages found the subpackages (a missing __init__.py would hide a folder's modules).
    for expected in (
        "spacekit.computer.metrics",
        "spacekit.analyzer.explore",
        "spacekit.skopes.hst.cal.export",
        "spacekit.skopes.hst.svm.app",
        "spacekit.skopes.jwst.cal.app",
        "spacekit.skopes.k2.classifier",
        "spacekit.dashboard.app",
    ):
        assert expected in MODULES
    assert SLOW_MODULES <= set(MODULES)


# An example whose every line is a comment (``>>> # train(...)``) runs nothing (doctest drops
# it), so it can drift from the code without any test noticing. Show a real call on small
# made-up inputs instead, or mark a call that truly needs the network or a trained model with
# ``# doctest: +SKIP``. Narration belongs in the prose, or after the code on the same line.
def _comment_only_examples(module_name: str) -> list[str]:
    module = importlib.import_module(module_name)
    found = []
    for test in doctest.DocTestFinder(exclude_empty=False).find(module, module_name):
        for match in doctest.DocTestParser._EXAMPLE_RE.finditer(test.docstring or ""):
            lines = [line.strip()[4:] for line in match.group("source").splitlines()]
            if all(not line.strip() or line.lstrip().startswith("#") for line in lines):
                found.append(f"{test.name}: >>> {lines[0]}")
    return found


@pytest.mark.parametrize("module_name", MODULES)
def test_no_example_is_only_a_comment(module_name):
    found = _comment_only_examples(module_name)
    assert not found, "examples that run nothing:\n" + "\n".join(found)


def test_wrapped_callables_show_their_own_signature():
    # help() and numpydoc's validation read these signatures; a wrapper's (*args, **kwargs)
    # hid the parameters the docstrings document.
    import inspect

    from spacekit.builder import BalancedBatches
    from spacekit.utils.display import lightcurve_html, run_html

    assert list(inspect.signature(BalancedBatches).parameters)[:3] == ["x", "y", "batch_size"]
    assert list(inspect.signature(lightcurve_html).parameters) == ["lc"]
    assert list(inspect.signature(run_html).parameters) == ["run", "max_figures"]

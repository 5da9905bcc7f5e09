"""What the wheel must hold: every data file the package reads at run time.

A wheel built from a git checkout gets every tracked file under ``spacekit/`` (setuptools-scm's
file finder), but one built where there is no git metadata (a source archive from GitHub, the
Docker build context) gets only the ``[tool.setuptools.package-data]`` patterns of
``pyproject.toml``. These tests hold both to the same files: a data file the patterns miss
works in a clone and is missing from such a wheel.
"""

from __future__ import annotations

import ast
import fnmatch
from pathlib import Path, PurePosixPath

import spacekit

ROOT = Path(__file__).resolve().parent.parent
PKG = Path(spacekit.__file__).resolve().parent

#: Every module that finds a file of its own by ``__file__`` or ``importlib.resources``, and
#: the files (relative to the module's folder) it reads. A new one goes here, and its files
#: into ``[tool.setuptools.package-data]`` when no pattern there covers them.
RUNTIME_FILES = {
    "spacekit/skopes/hst/cal/default_model.py": [
        "default_model/model.json",
        "default_model/metadata.json",
        "default_model/bin.npz",
        "default_model/memory.npz",
        "default_model/memory_scale.npz",
        "default_model/wallclock.npz",
    ],
    "spacekit/skopes/hst/svm/tables.py": ["legacy_category_rows.txt"],
    "spacekit/dashboard/app.py": ["assets/style.css"],
}


def _package_data() -> dict[str, list[str]]:
    import tomllib  # Python 3.11+, as the test venv

    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["tool"]["setuptools"]["package-data"]


def _glob_matches(pattern: str, rel: str) -> bool:
    """Whether setuptools' package-data glob ``pattern`` (relative to a package folder)
    matches ``rel``: ``*`` stays within one folder, as in :func:`glob.glob`."""
    assert "**" not in pattern, f"extend _glob_matches for recursive patterns ({pattern!r})"
    want, have = PurePosixPath(pattern).parts, PurePosixPath(rel).parts
    return len(want) == len(have) and all(
        fnmatch.fnmatchcase(h, w) for h, w in zip(have, want, strict=True)
    )


def packaged(path: Path) -> bool:
    """Whether a file under ``spacekit/`` is in a wheel built without git metadata.

    Every folder under ``spacekit/`` is a package (``packages.find`` in ``pyproject.toml``
    finds namespace packages too), so a pattern of package ``P`` (or of ``"*"``, every
    package) applies to the files below ``P``'s folder, relative to it.
    """
    if path.suffix == ".py":
        return True
    patterns = _package_data()
    rel = path.relative_to(PKG.parent)
    for depth in range(1, len(rel.parts)):
        package = ".".join(rel.parts[:depth])
        inside = PurePosixPath(*rel.parts[depth:]).as_posix()
        for key in ("*", "", package):
            if any(_glob_matches(p, inside) for p in patterns.get(key, [])):
                return True
    return False


def _data_files() -> list[Path]:
    return sorted(
        p
        for p in PKG.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in {".py", ".pyc"}
    )


def test_every_data_file_of_the_package_is_package_data():
    missing = [str(p.relative_to(ROOT)) for p in _data_files() if not packaged(p)]
    assert not missing, (
        f"files under spacekit/ that no [tool.setuptools.package-data] pattern of "
        f"pyproject.toml covers: {missing}; a wheel built without git metadata would lack "
        "them. Add a pattern for them (or move them out of the package if nothing reads them)"
    )


def test_the_patterns_are_checked_as_setuptools_reads_them():
    """The check itself: ``*.txt`` of every package matches a file beside a module, not one in
    an unlisted extension, and ``default_model/*`` only below ``hst.cal``."""
    assert packaged(PKG / "skopes" / "hst" / "svm" / "legacy_category_rows.txt")
    assert packaged(PKG / "skopes" / "hst" / "cal" / "default_model" / "bin.npz")
    assert not packaged(PKG / "skopes" / "hst" / "svm" / "weights.npz")
    assert not packaged(PKG / "dashboard" / "assets" / "app.js")


def _locates_own_files(node: ast.AST) -> bool:
    """``__file__``, an import of ``importlib.resources`` or a use of ``pkgutil.get_data``."""
    if isinstance(node, ast.Name):
        return node.id == "__file__"
    if isinstance(node, ast.Import):
        return any(a.name.startswith("importlib.resources") for a in node.names)
    if isinstance(node, ast.ImportFrom):
        return (node.module or "").startswith("importlib.resources") or (
            node.module == "importlib" and any(a.name == "resources" for a in node.names)
        )
    return isinstance(node, ast.Attribute) and node.attr == "get_data"


def _modules_locating_own_files() -> set[str]:
    return {
        path.relative_to(PKG.parent).as_posix()
        for path in sorted(PKG.rglob("*.py"))
        if any(_locates_own_files(n) for n in ast.walk(ast.parse(path.read_text("utf-8"))))
    }


def test_every_module_reading_its_own_files_is_listed():
    found = _modules_locating_own_files()
    assert found == set(RUNTIME_FILES), (
        f"modules that locate files by __file__ or importlib.resources: {sorted(found)}; "
        f"listed in RUNTIME_FILES of tests/test_packaging.py: {sorted(RUNTIME_FILES)}. List "
        "each with the files it reads, so the wheel is checked to hold them"
    )


def test_every_file_read_at_run_time_exists_and_is_package_data():
    for module, names in RUNTIME_FILES.items():
        folder = (PKG.parent / module).parent
        for name in names:
            path = folder / name
            assert path.is_file(), f"{module} reads {name}, missing at {path}"
            assert packaged(path), f"{path.relative_to(ROOT)} is not in package-data"


def test_the_listed_files_are_the_ones_the_code_names():
    """The names of ``RUNTIME_FILES`` are those the modules hold, not a copy gone stale."""
    from spacekit.skopes.hst.cal.default_model import DEFAULT_MODEL_DIR
    from spacekit.skopes.hst.svm.tables import _LEGACY_ROWS_FILE

    shipped = sorted(
        f"default_model/{p.name}" for p in DEFAULT_MODEL_DIR.iterdir() if p.suffix != ".txt"
    )
    assert sorted(RUNTIME_FILES["spacekit/skopes/hst/cal/default_model.py"]) == shipped
    assert RUNTIME_FILES["spacekit/skopes/hst/svm/tables.py"] == [_LEGACY_ROWS_FILE]
    assets = sorted(f"assets/{p.name}" for p in (PKG / "dashboard" / "assets").iterdir())
    assert RUNTIME_FILES["spacekit/dashboard/app.py"] == assets

"""Layers (docs/design.rst, "Layers"): a lower layer never imports a higher one, not even
inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

import spacekit

PKG = Path(spacekit.__file__).parent

LAYERS = {
    "config": 0,
    "exceptions": 0,
    "utils": 0,
    "_version": 0,
    "_scm_version": 0,  # written by setuptools-scm at install
    "__init__": 0,
    "__main__": 7,
    "io": 1,
    "radio": 1,
    "transformer": 2,
    "datasets": 3,
    "builder": 4,
    "computer": 5,
    "analyzer": 5,
    "skopes": 6,
    "dashboard": 7,
    "cli": 7,
    # upstream spacekit 1.1.4's packages: stubs that raise on import (spacekit.utils.upstream_api)
    "extractor": 0,
    "preprocessor": 0,
    "generator": 0,
    "logger": 0,
}


def layer_of(dotted: str) -> int:
    parts = dotted.split(".")
    assert parts[0] == "spacekit"
    if len(parts) == 1:
        return 0
    name = parts[1]
    assert name in LAYERS, f"module spacekit.{name} has no layer in LAYERS (docs/design.rst)"
    return LAYERS[name]


def module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    return ".".join(rel.parts)


def imports_of(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    mod = module_name(path)
    package = mod.split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("spacekit")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
                if not node.module:
                    found += [(node.lineno, f"{target}.{a.name}") for a in node.names]
                    continue
            else:
                target = node.module or ""
            if target.startswith("spacekit"):
                found.append((node.lineno, target))
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "import_module":
            if node.args and isinstance(node.args[0], ast.Constant):
                target = str(node.args[0].value)
                if target.startswith("spacekit"):
                    found.append((node.lineno, target))
    return found


def test_relative_import_resolution():
    path = PKG / "utils" / "runs.py"
    targets = {t for _, t in imports_of(path)}
    assert "spacekit.exceptions" in targets


def test_no_upward_imports():
    bad = []
    for path in sorted(PKG.rglob("*.py")):
        mod = module_name(path)
        mine = layer_of(mod)
        for lineno, target in imports_of(path):
            theirs = layer_of(target)
            if theirs > mine:
                bad.append(f"{mod}:{lineno} (layer {mine}) imports {target} (layer {theirs})")
    assert not bad, "lower layers import higher ones:\n" + "\n".join(bad)


def test_only_the_command_line_prints_or_exits():
    """DESIGN rule 3: below ``spacekit.cli`` (and ``python -m spacekit``) nothing calls
    ``print``, ``sys.exit``/``exit``/``quit`` or ``os._exit`` (docstring examples aside)."""
    bad = []
    for path in sorted(PKG.rglob("*.py")):
        mod = module_name(path)
        if mod.startswith("spacekit.cli") or mod == "spacekit.__main__":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            name = f.id if isinstance(f, ast.Name) else None
            dotted = (
                f"{f.value.id}.{f.attr}"
                if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name)
                else None
            )
            if name in {"print", "exit", "quit"} or dotted in {"sys.exit", "os._exit"}:
                bad.append(f"{mod}:{node.lineno} calls {name or dotted}")
    assert not bad, "library code prints or exits (raise instead):\n" + "\n".join(bad)

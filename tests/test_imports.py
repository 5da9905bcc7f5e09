"""Light imports (docs/design.rst, "Light imports"): importing spacekit or any subpackage is
light and side-effect free."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import spacekit
from spacekit.utils.upstream_api import STUBS

PKG = Path(spacekit.__file__).parent
HEAVY = ("tensorflow", "keras", "dash", "plotly", "matplotlib", "boto3", "astroquery")


def _modules(packages_only: bool) -> list[str]:
    out = []
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        elif packages_only or parts[-1] == "__main__":
            continue
        out.append(".".join(parts))
    return out


# Upstream spacekit's module paths are stubs that raise on import (tests/test_upstream_api.py).
SUBPACKAGES = [m for m in _modules(packages_only=True) if m not in STUBS]
ALL_MODULES = [
    m
    for m in _modules(packages_only=False)
    if not any(m == s or m.startswith(s + ".") for s in STUBS)
]

# Modules whose whole purpose is a heavy library and that are only imported from inside
# functions. Each entry says why. Keep this list short.
HEAVY_ALLOWED: dict[str, str] = {}

PROBE = r"""
import json, logging, os, sys
mods = sys.argv[1:]
import importlib
HEAVY = json.loads(os.environ["SPACEKIT_TEST_HEAVY"])
before = set(os.listdir("."))
root_handlers = list(logging.root.handlers)
for m in mods:
    importlib.import_module(m)
import spacekit.config as c
print(json.dumps({
    "heavy": sorted({k.split(".")[0] for k in sys.modules} & set(HEAVY)),
    "new_files": sorted(set(os.listdir(".")) - before),
    "config_read": c.conf._astropy_conf is not None,
    "handlers": len(logging.getLogger("spacekit").handlers)
        + len(logging.root.handlers) - len(root_handlers),
}))
"""


def _probe(modules, tmp_path):
    env = dict(
        os.environ,
        HOME=str(tmp_path),
        PYTHONDONTWRITEBYTECODE="1",
        SPACEKIT_TEST_HEAVY=json.dumps(HEAVY),
    )
    env.pop("MPLBACKEND", None)
    out = subprocess.run(
        [sys.executable, "-c", PROBE, *modules],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_subpackages_found():
    assert "spacekit.skopes.hst.cal" in SUBPACKAGES
    assert "spacekit.io" in SUBPACKAGES


@pytest.mark.parametrize("module", ["spacekit", *SUBPACKAGES])
def test_import_is_light_and_side_effect_free(module, tmp_path):
    res = _probe([module], tmp_path)
    assert res["heavy"] == [], f"import {module} loads {res['heavy']}"
    assert res["new_files"] == [], f"import {module} wrote {res['new_files']}"
    assert not res["config_read"], f"import {module} read the configuration"
    assert res["handlers"] == 0, f"import {module} added a log handler"


@pytest.mark.slow
def test_every_module_is_light(tmp_path):
    mods = [m for m in ALL_MODULES if m not in HEAVY_ALLOWED]
    res = _probe(mods, tmp_path)
    assert res["heavy"] == [], f"importing all modules loads {res['heavy']}"


def test_lazy_attribute_access():
    assert spacekit.exceptions.SpacekitError.__name__ == "SpacekitError"
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        spacekit.nope  # noqa: B018

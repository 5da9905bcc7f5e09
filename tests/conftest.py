"""Test set-up shared by the whole suite.

- The real data in ``../shared/data`` is the dataset mirror (never copied into the repo).
- Caches go to a per-session temporary folder; progress bars are off; matplotlib is headless.
- Tests marked ``remote_data`` need the internet and run only with ``--remote-data``.
- Fixture modules in ``tests/fixtures/`` are loaded as plugins (one per topic: s3 server, ...).
"""

from __future__ import annotations

import os
import pkgutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = (ROOT.parent / "shared" / "data").resolve()

pytest_plugins = sorted(
    f"fixtures.{m.name}" for m in pkgutil.iter_modules([str(Path(__file__).parent / "fixtures")])
)


def pytest_addoption(parser):
    parser.addoption(
        "--remote-data", action="store_true", default=False, help="run tests that need the internet"
    )


def pytest_configure(config):
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ["SPACEKIT_PROGRESS"] = "0"
    os.environ.setdefault("SPACEKIT_DATA_MIRROR", str(SHARED_DATA))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--remote-data"):
        return
    skip = pytest.mark.skip(reason="needs the internet: run with --remote-data")
    for item in items:
        if "remote_data" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True, scope="session")
def _session_cache(tmp_path_factory):
    """Every test session gets an empty cache dir, so tests never touch ~/.cache."""
    cache = tmp_path_factory.mktemp("spacekit-cache")
    old = os.environ.get("SPACEKIT_CACHE_DIR")
    os.environ["SPACEKIT_CACHE_DIR"] = str(cache)
    yield cache
    if old is None:
        os.environ.pop("SPACEKIT_CACHE_DIR", None)
    else:
        os.environ["SPACEKIT_CACHE_DIR"] = old


@pytest.fixture
def shared_data() -> Path:
    """The folder of real data (``../shared/data``)."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"real data folder {SHARED_DATA} is missing: clone with ../shared beside it")
    return SHARED_DATA

"""docs/maintaining.rst stays true to the tree: every file or folder it names exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "maintaining.rst"
#: Inline literals that are repository paths (the folders a path may start with).
PATH = re.compile(r"``((?:spacekit|tests|docs|benchmarks|\.ci)/[^`\s<>]*)``")
#: Files the page names that an install writes (git-ignored), absent from a fresh clone.
GENERATED = {"spacekit/_scm_version.py"}


def test_every_path_the_page_names_exists():
    named = PATH.findall(PAGE.read_text(encoding="utf-8"))
    assert len(named) > 30, "the pattern no longer finds the page's paths"
    missing = [p for p in named if p not in GENERATED and not any(ROOT.glob(p.rstrip("/")))]
    assert not missing, f"docs/maintaining.rst names paths that do not exist: {missing}"


def test_the_page_is_in_the_table_of_contents():
    index = (ROOT / "docs" / "index.rst").read_text(encoding="utf-8")
    assert re.search(r"^\s+maintaining$", index, re.M)

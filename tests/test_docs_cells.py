"""The same notebook cells (train -> cross_validate -> score -> predict -> predict_batch ->
load_model) on each app's docs page run, on small data, and are the same cells for every app."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
PAGES = ["hst_cal.rst", "hst_svm.rst", "jwst_cal.rst", "k2.rst"]


def contract_cells(page: str) -> list[str]:
    text = (DOCS / page).read_text(encoding="utf-8")
    block = text.split(".. contract-cells-start", 1)[1].split(".. contract-cells-end", 1)[0]
    cells = []
    for part in block.split(".. code-block:: python")[1:]:
        lines = []
        for line in part.splitlines()[1:]:
            if line.strip() and not line.startswith("    "):
                break
            lines.append(line)
        cells.append(textwrap.dedent("\n".join(lines)).strip())
    return cells


def _calls(cell: str) -> list[str]:
    """The contract calls of a cell, without the app-specific keyword settings."""
    return re.findall(r"app\.(train|cross_validate|score|predict|predict_batch|load_model)\(", cell)


def test_every_page_shows_the_same_cells():
    calls = {page: _calls(contract_cells(page)[-1]) for page in PAGES}
    want = ["train", "cross_validate", "score", "predict", "predict_batch", "load_model"]
    assert all(c == want for c in calls.values()), calls


# one page's cells (the quickest) in the fast tier; every page's in the full suite
@pytest.mark.parametrize(
    "page", [p if p == "jwst_cal.rst" else pytest.param(p, marks=pytest.mark.slow) for p in PAGES]
)
def test_cells_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing written to the working directory
    namespace = {"runs": tmp_path / "runs"}
    for cell in contract_cells(page):
        exec(compile(cell, f"{page}:cell", "exec"), namespace)
    app = namespace["app"]
    assert list(namespace["scores"])[: len(app.HEADLINE_METRICS)] == list(app.HEADLINE_METRICS)
    assert len(namespace["preds"]) == len(namespace["pred"]) * (1 if page != "k2.rst" else 1)
    assert namespace["cv"].path.parent.parent == tmp_path / "runs"
    assert type(namespace["model"]) is type(app.load_model(namespace["run"]))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs"]

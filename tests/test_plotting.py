"""One plotting backend (spacekit.utils.plotting) behind the analyzer, computer and dashboard
figures: the same backend check, the same missing-dependency error, the same saving."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from spacekit.exceptions import InputError, MissingDependencyError
from spacekit.utils import plotting


def _lightcurve():
    from spacekit.transformer import LightCurve

    return LightCurve(time=2458000 + np.arange(20) / 48, flux=np.ones(20))


def _plot_calls():
    import pandas as pd

    from spacekit.analyzer import plot_kde, plot_lightcurve
    from spacekit.computer import plot_confusion_matrix, plot_history, plot_roc_pr

    return {
        "plot_lightcurve": lambda b: plot_lightcurve(_lightcurve(), backend=b),
        "plot_kde": lambda b: plot_kde(pd.DataFrame({"a": [1.0, 2, 3, 5]}), "a", backend=b),
        "plot_history": lambda b: plot_history({"loss": [1.0, 0.5]}, backend=b),
        "plot_confusion_matrix": lambda b: plot_confusion_matrix([0, 1], [0, 1], backend=b),
        "plot_roc_pr": lambda b: plot_roc_pr([0, 1, 1], [0.2, 0.7, 0.9], backend=b),
    }


def test_every_plot_refuses_an_unknown_backend_with_one_message():
    messages = set()
    for name, call in _plot_calls().items():
        with pytest.raises(InputError, match="backend must be 'matplotlib' or 'plotly'") as err:
            call("bokeh")
        messages.add(str(err.value).replace(name, ""))
    assert len(messages) == 1, messages  # analyzer and computer worded it differently


def test_a_missing_plotly_is_a_missing_dependency_error_everywhere(monkeypatch):
    # computer's plots imported plotly directly: a bare ModuleNotFoundError
    from spacekit.dashboard.figures import roc_figure

    for module in ("plotly", "plotly.graph_objects", "plotly.subplots"):
        monkeypatch.setitem(sys.modules, module, None)
    calls = _plot_calls()
    calls["roc_figure"] = lambda b: roc_figure({"a": {"roc": {"fpr": [0, 1], "tpr": [0, 1]}}})
    for name, call in calls.items():
        with pytest.raises(MissingDependencyError, match=r"needs plotly: pip install spacekit"):
            call("plotly")
            pytest.fail(f"{name} drew without plotly")


def test_figures_come_from_new_figure_so_they_display_inline_without_pyplot(monkeypatch):
    from matplotlib.figure import Figure

    made = []
    real = plotting.new_figure

    def spy(*args, **kwargs):
        made.append(real(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(plotting, "new_figure", spy)
    for name, call in _plot_calls().items():
        fig = call("matplotlib")
        assert isinstance(fig, Figure) and fig is made[-1], name
        assert plotting.figure_png(fig)[:4] == b"\x89PNG"


def test_save_figure_writes_png_or_html(tmp_path):
    from spacekit.computer import plot_history

    png = plotting.save_figure(plot_history({"loss": [1.0, 0.5]}), tmp_path / "history.v1")
    html = plotting.save_figure(
        plot_history({"loss": [1.0, 0.5]}, backend="plotly"), tmp_path / "history"
    )
    assert png.name == "history.v1.png" and png.read_bytes()[:4] == b"\x89PNG"
    assert html.name == "history.html" and "plotly" in html.read_text()
    with pytest.raises(InputError, match="matplotlib or plotly Figure"):
        plotting.save_figure(object(), tmp_path / "x")


def test_old_import_paths_of_the_figure_helpers_still_work():
    from spacekit.utils import display

    assert display.new_figure is plotting.new_figure
    assert display.figure_png is plotting.figure_png
    assert display.enable_inline_figures is plotting.enable_inline_figures


def _library_imports():
    """(module path, imported module, imported name) of every import in the package, function-
    local ones included (relative imports resolved to their spacekit module)."""
    import ast
    from pathlib import Path

    import spacekit

    root = Path(spacekit.__file__).parent
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent).with_suffix("")
        package = list(rel.parts[:-1])  # a module's package; an __init__'s own
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                for a in node.names:
                    yield rel.as_posix(), a.name, None
            elif isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level:
                    base = package[: len(package) - node.level + 1]
                    module = ".".join(base + ([module] if module else []))
                for a in node.names:
                    yield rel.as_posix(), module, a.name


def test_the_library_never_uses_pyplot():
    """Figures are made by new_figure without pyplot: pyplot's global figure manager (and the
    plt.close it then needs) has no place in the library."""
    found = sorted(
        where
        for where, module, name in _library_imports()
        if module.startswith("matplotlib.pyplot") or (module == "matplotlib" and name == "pyplot")
    )
    assert not found, f"modules importing matplotlib.pyplot: {found}; use new_figure"


def test_the_library_takes_the_figure_helpers_from_plotting():
    """utils.display re-exports new_figure, figure_png and enable_inline_figures for users'
    old imports; the library itself imports them from spacekit.utils.plotting."""
    moved = {"new_figure", "figure_png", "enable_inline_figures"}
    found = sorted(
        where
        for where, module, name in _library_imports()
        if module == "spacekit.utils.display" and name in moved
    )
    assert not found, f"modules importing figure helpers from utils.display: {found}"


def test_shared_docstring_parts_are_filled_in():
    from spacekit.analyzer import plot_kde
    from spacekit.computer import plot_roc_pr

    for func in (plot_kde, plot_roc_pr):
        assert "{figure_parameters}" not in func.__doc__
        assert 'backend : {"matplotlib", "plotly"}' in func.__doc__

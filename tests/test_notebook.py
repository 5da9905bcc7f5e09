"""Notebook use: figures display inline in a fresh Jupyter kernel with no setup, and spacekit's
objects have HTML reprs (executed for real with nbclient and ipykernel)."""

from __future__ import annotations

import base64
import os

import nbclient
import nbformat
import numpy as np
import pytest


def run_notebook(cells: list[str], *, cwd: str | os.PathLike, timeout: int = 300):
    """Execute code cells in a fresh python3 kernel; return the executed notebook."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    client = nbclient.NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
    )
    client.execute()
    return nb


def outputs(cell) -> dict:
    """Mime type -> data of a cell's display outputs (text of streams under 'stream')."""
    found: dict = {}
    for out in cell.outputs:
        if out.output_type in ("execute_result", "display_data"):
            found.update(out.data)
        elif out.output_type == "stream":
            found["stream"] = found.get("stream", "") + out.text
        elif out.output_type == "error":
            raise AssertionError(f"{out.ename}: {out.evalue}")
    return found


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """One fresh kernel (no pyplot, no %matplotlib) showing every plot and repr."""
    cwd = tmp_path_factory.mktemp("nb")
    cells = [
        # 0: a real light curve, nothing imported but spacekit
        "from spacekit import datasets\n"
        "from spacekit.analyzer import planet_hunter, plot_hunt, plot_lightcurve\n"
        "lc = datasets.load('lc_k2_3')\n"
        "plot_lightcurve(lc)",
        # 1
        "res = planet_hunter(lc, period_max=20)\nplot_hunt(res)",
        # 2
        "from spacekit.computer import compute, plot_history\n"
        "plot_history({'loss': [0.9, 0.5, 0.4], 'val_loss': [1.0, 0.7, 0.6]})",
        # 3
        "report = compute([0, 1, 1, 0, 1, 0], proba=[0.2, 0.9, 0.6, 0.4, 0.7, 0.1], name='demo')\n"
        "report.figures['roc_pr']",
        # 4: reprs
        "lc",
        # 5
        "res",
        # 6
        "report",
        # 7
        f"run = report.save({str(cwd)!r})\nrun",
        # 8
        "from spacekit.builder import Trainer\nTrainer(loss='mse', epochs=3, early_stopping=2)",
        # 9: an app model
        "from spacekit.skopes.jwst.cal.model import JwstMemoryModel\n"
        "JwstMemoryModel(fast=True, seed=3)",
        # 10: the figure module is in sys.modules but pyplot never was
        "import sys\nprint('pyplot' if 'matplotlib.pyplot' in sys.modules else 'no pyplot')",
        # 11: a progress bar is a notebook widget (ipywidgets is in the x extra)
        "from spacekit.utils import progress\nsum(progress(range(3), enabled=True))",
    ]
    return run_notebook(cells, cwd=cwd)


def _png_size(data: str) -> tuple[int, int]:
    raw = base64.b64decode(data)
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(raw[16:20], "big"), int.from_bytes(raw[20:24], "big")


@pytest.mark.slow
@pytest.mark.parametrize(
    "index, what", [(0, "plot_lightcurve"), (1, "plot_hunt"), (2, "plot_history"), (3, "report")]
)
def test_figures_display_inline_in_a_fresh_kernel(executed, index, what):
    # They used to show as the text "<Figure size 1100x1100 with 4 Axes>" until the user
    # imported pyplot or ran %matplotlib inline.
    out = outputs(executed.cells[index])
    assert "image/png" in out, f"{what} displayed only {sorted(out)}"
    width, height = _png_size(out["image/png"])
    assert width > 200 and height > 100


@pytest.mark.slow
def test_no_pyplot_is_imported_for_inline_display(executed):
    assert outputs(executed.cells[10])["stream"].strip() == "no pyplot"


@pytest.mark.slow
def test_html_reprs_in_a_fresh_kernel(executed):
    lc_html = outputs(executed.cells[4])["text/html"]
    assert "<h4>LightCurve</h4>" in lc_html and "<th>points</th><td>3632</td>" in lc_html
    assert "data:image/png;base64" in lc_html  # the small plot
    assert "<tr><th>time</th><td>JD" in lc_html
    assert lc_html.count("<tr>") < 40  # a summary, not astropy's raw table
    hunt_html = outputs(executed.cells[5])["text/html"]
    assert "HuntResult: planet detected" in hunt_html
    assert "10.05" in hunt_html and "<td>pass</td>" in hunt_html
    assert "data:image/png;base64" in hunt_html  # the folded light curve
    report_html = outputs(executed.cells[6])["text/html"]
    assert "<th>roc_auc</th><td>1</td>" in report_html
    assert report_html.count("data:image/png;base64") == 3  # confusion x2, roc_pr
    run_html = outputs(executed.cells[7])["text/html"]
    assert "<th>app</th><td>evaluation</td>" in run_html and "<th>roc_auc</th>" in run_html
    assert run_html.count("data:image/png;base64") == 3
    trainer_html = outputs(executed.cells[8])["text/html"]
    assert "<th>epochs</th><td>3</td><td>set</td>" in trainer_html
    assert "<th>early_stopping</th><td>2</td><td>set</td>" in trainer_html
    assert "<th>optimizer</th><td>adam</td><td></td>" in trainer_html
    # the text repr was "<spacekit.builder.trainer.Trainer at 0x...>"
    assert outputs(executed.cells[8])["text/plain"] == (
        "Trainer(loss='mse', epochs=3, early_stopping=2)"
    )
    model_html = outputs(executed.cells[9])["text/html"]
    assert "<h4>JwstMemoryModel</h4>" in model_html and "<th>seed</th><td>3</td>" in model_html
    assert "not fitted" in model_html
    for cell in executed.cells[4:10]:
        assert "text/plain" in outputs(cell)  # the text repr stays for consoles


@pytest.mark.slow
def test_progress_bars_are_widgets_without_warnings(executed):
    # tqdm.auto warned "IProgress not found. Please update jupyter and ipywidgets."
    cell = executed.cells[11]
    kinds = [out.output_type for out in cell.outputs]
    text = "".join(out.get("text", "") for out in cell.outputs if out.output_type == "stream")
    assert "IProgress" not in text and "TqdmWarning" not in text, text
    assert any(
        "application/vnd.jupyter.widget-view+json" in out.get("data", {}) for out in cell.outputs
    ), kinds


def test_inline_formatter_registration(monkeypatch):
    # Inside IPython (a fake shell here) the PNG formatter is registered once, and a
    # formatter registered by %matplotlib inline is kept.
    from IPython.core.formatters import PNGFormatter
    from matplotlib.figure import Figure

    from spacekit.utils import display

    class Shell:
        def __init__(self):
            self.display_formatter = type("F", (), {})()
            self.display_formatter.formatters = {"image/png": PNGFormatter()}

    shell = Shell()
    import IPython

    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    fig = display.new_figure((2, 2))
    fig.add_subplot().plot([0, 1], [1, 0])
    png = shell.display_formatter.formatters["image/png"](fig)
    assert png[:4] == b"\x89PNG"
    mine = lambda fig: b"inline"  # noqa: E731
    shell.display_formatter.formatters["image/png"].for_type(Figure, mine)
    display.new_figure((1, 1))
    assert shell.display_formatter.formatters["image/png"].lookup_by_type(Figure) is mine
    assert display.figure_png(Figure()) is None  # nothing drawn: no image
    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    assert display.enable_inline_figures() is False


def test_reprs_never_raise_and_fall_back_to_text():
    from spacekit.analyzer.hunt import HuntResult
    from spacekit.transformer import LightCurve
    from spacekit.utils.display import hunt_result_html, lightcurve_html

    broken = HuntResult.__new__(HuntResult)  # no attributes at all
    assert broken._repr_html_() is None and hunt_result_html(broken) is None
    lc = LightCurve(time=2458326.0 + np.arange(5) * 0.1, flux=[1.0, np.nan, 0.99, 1.0, 1.01])
    text = lightcurve_html(lc)
    assert "1 NaN" in text and "data:image/png" in text
    empty = LightCurve(time=np.array([]), flux=np.array([]))
    assert "<th>points</th><td>0</td>" in empty._repr_html_()


def test_every_app_model_has_a_notebook_view():
    from spacekit.skopes.hst.cal import CalModel
    from spacekit.skopes.k2.app import K2Model

    for model in (CalModel(fast=True, seed=2), K2Model()):
        text = model._repr_html_()
        assert f"<h4>{type(model).__name__}</h4>" in text and "not fitted" in text
    assert "<th>seed</th><td>2</td>" in CalModel(fast=True, seed=2)._repr_html_()


def test_hunt_result_html_shows_the_searchs_own_verdict():
    # The view recomputed each check against its default limit and left out the depth
    # checks: a result with snr_threshold=1e6, or one rejected for unequal transit depths
    # (Kepler-90's Q3), listed every check as "pass" beside "no planet detected". It also
    # read the deprecated Planet.sde (a DeprecationWarning at every display).
    import dataclasses
    import re
    import warnings

    from spacekit.analyzer import planet_hunter
    from spacekit.transformer import LightCurve
    from spacekit.utils.display import hunt_result_html

    t = 2458000.0 + np.arange(0, 20, 0.01)
    dip = np.abs((t - 2458001.0 + 1.5) % 3.0 - 1.5) < 0.05
    flux = 1 + 5e-4 * np.random.default_rng(0).standard_normal(t.size) - 0.003 * dip
    res = planet_hunter(LightCurve(time=t, flux=flux), fit=False, snr_threshold=1e6)
    assert not res.detected and res.candidate.vetting["failed"] == ["snr"]

    def verdicts(result):
        with warnings.catch_warnings():
            warnings.simplefilter("error", DeprecationWarning)
            html = hunt_result_html(result)
        rows = re.findall(r"<tr><th>([^<]*)</th>(.*?)</tr>", html.split("<b>checks</b>")[1])
        return {name: cells.rsplit("<td>", 1)[1][:4] for name, cells in rows if "<td>" in cells}

    got = verdicts(res)
    assert got["red-noise SNR"] == "FAIL" and got["peak significance"] == "pass", got
    vetting = dict(res.candidate.vetting, failed=["depth_consistency", "missing_transit"])
    odd = dataclasses.replace(res.candidate, vetting=vetting)
    got = verdicts(dataclasses.replace(res, candidate=odd))
    assert got["largest transit depth departure / mean"] == "FAIL", got
    assert got["covered transits without a dip"] == "FAIL", got
    assert got["red-noise SNR"] == "pass", got


def test_hunt_result_html_does_not_call_file_numbers_a_bjd():
    # a csv searched without time_format (scale "local") showed "epoch BJD 1977.26"
    import re

    from astropy.time import Time

    from spacekit.analyzer import planet_hunter
    from spacekit.transformer import LightCurve
    from spacekit.utils.display import hunt_result_html

    t = np.arange(0, 20, 0.01)
    dip = np.abs((t - 1.0 + 1.5) % 3.0 - 1.5) < 0.05
    flux = 1 + 5e-4 * np.random.default_rng(0).standard_normal(t.size) - 0.003 * dip
    for scale, shown in (("local", r"<td>\d\.\d{5} \(the file"), ("tdb", r"<td>BJD 24580\d\d\.")):
        time = Time(t + (0 if scale == "local" else 2458000.0), format="jd", scale=scale)
        html = hunt_result_html(planet_hunter(LightCurve(time=time, flux=flux), fit=False))
        epoch = html.split("<th>epoch</th>", 1)[1].split("</tr>", 1)[0]
        assert re.match(shown, epoch), epoch

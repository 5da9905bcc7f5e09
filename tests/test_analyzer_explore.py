"""spacekit.analyzer exploratory plots: KDE, 3D scatter, grouped bars (issue 23, item 5)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import gaussian_kde

from spacekit.analyzer import plot_grouped_bars, plot_kde, plot_scatter3d
from spacekit.exceptions import InputError


@pytest.fixture
def svm_table(shared_data):
    """The real labelled SVM table (1,791 visits)."""
    from spacekit.skopes.hst.svm import load_feature_table

    return load_feature_table(shared_data / "hst_svm" / "svm_labeled_2021-07-28.csv")


def test_kde_by_class_on_the_svm_table_matches_scipy(svm_table):
    from matplotlib.figure import Figure

    fig = plot_kde(svm_table, "rms_ra", by="label", log=True)
    assert isinstance(fig, Figure)
    lines = fig.axes[0].lines
    assert len(lines) == 2
    aligned = svm_table.loc[svm_table["label"] == 0, "rms_ra"].to_numpy(float)
    n_bad = int((aligned <= 0).sum())
    expect = f"0 (n={int((aligned > 0).sum()):,}" + (f", {n_bad} <= 0 left out)" if n_bad else ")")
    assert lines[0].get_label() == expect
    grid, dens = lines[0].get_data()
    want = gaussian_kde(np.log10(aligned[aligned > 0]))(grid)
    assert np.allclose(dens, want)
    assert fig.axes[0].get_xlabel() == "log10(rms_ra)"
    assert len(fig.axes[0].patches) > 10  # the histograms behind the curves
    bare = plot_kde(svm_table, ["point", "segment"], hist=False, backend="plotly")
    assert [t.type for t in bare.data] == ["scatter", "scatter"]
    assert bare.data[0].name == f"point (n={len(svm_table):,})"


def test_kde_refuses_what_it_cannot_estimate():
    df = pd.DataFrame({"a": [1.0, 1.0, 1.0], "t": ["x", "y", "z"], "b": [1, 2, 3]})
    with pytest.raises(InputError, match="two distinct values"):
        plot_kde(df, "a")
    with pytest.raises(InputError, match="must hold numbers"):
        plot_kde(df, "t")
    with pytest.raises(InputError, match="not in the table"):
        plot_kde(df, "nope")
    with pytest.raises(InputError, match="one column"):
        plot_kde(df, ["a", "b"], by="t")
    with pytest.raises(InputError, match="DataFrame"):
        plot_kde(np.zeros((3, 2)), "a")
    with pytest.raises(InputError, match="backend"):
        plot_kde(df, "b", backend="bokeh")
    many = pd.DataFrame({"v": np.arange(100.0), "k": np.arange(100)})
    with pytest.raises(InputError, match="too many"):
        plot_kde(many, "v", by="k")


def test_scatter3d_one_trace_per_class_in_both_backends(svm_table):
    fig = plot_scatter3d(svm_table, "point", "segment", "gaia", color="label")
    assert [t.type for t in fig.data] == ["scatter3d", "scatter3d"]
    assert [t.name for t in fig.data] == ["0", "1"]
    assert sum(len(t.x) for t in fig.data) == len(svm_table)
    assert fig.layout.scene.zaxis.title.text == "gaia"
    mpl = plot_scatter3d(svm_table, "point", "segment", "gaia", backend="matplotlib")
    assert mpl.axes[0].name == "3d"
    assert mpl.axes[0].get_zlabel() == "gaia"
    big = pd.DataFrame(np.random.default_rng(0).normal(size=(60_000, 3)), columns=list("abc"))
    fig = plot_scatter3d(big, "a", "b", "c")
    assert len(fig.data[0].x) == 50_000 and "random 50,000 of 60,000 rows" in fig.layout.title.text


def test_grouped_bars_count_and_mean_with_standard_errors(svm_table):
    counts = plot_grouped_bars(svm_table, "det", color="label", backend="plotly")
    dets = sorted(svm_table["det"].unique())
    assert list(counts.data[0].x) == [str(d) for d in dets]
    want = svm_table.groupby(["label", "det"]).size()
    assert list(counts.data[1].y) == [int(want.get((1, d), 0)) for d in dets]
    assert counts.layout.barmode == "group"
    means = plot_grouped_bars(svm_table, "det", color="label", y="rms_ra")
    ax = means.axes[0]
    heights = [p.get_height() for p in ax.patches]
    grouped = svm_table.groupby(["label", "det"])["rms_ra"]
    expect = [grouped.mean().get((lab, d), np.nan) for lab in (0, 1) for d in dets]
    assert np.allclose(heights, expect, equal_nan=True)
    assert ax.get_ylabel() == "mean rms_ra"
    sem = grouped.sem()
    errbars = [c for c in ax.containers if getattr(c, "errorbar", None) is not None]
    assert len(errbars) == 2
    seg = errbars[0].errorbar.lines[2][0].get_segments()[0]
    assert np.isclose(seg[1][1] - seg[0][1], 2 * sem.get((0, dets[0])))
    with pytest.raises(InputError, match="needs y"):
        plot_grouped_bars(svm_table, "det", stat="mean")
    with pytest.raises(InputError, match="stat"):
        plot_grouped_bars(svm_table, "det", stat="median")
    with pytest.raises(InputError, match="too many"):
        plot_grouped_bars(svm_table, "index")

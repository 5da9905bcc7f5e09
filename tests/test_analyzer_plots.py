"""Plots of the analyzer return figures (matplotlib and plotly) and never show them."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.time import Time

from spacekit.analyzer import (
    atomic_vector_plotter,
    make_specgram,
    planet_hunter,
    plot_hunt,
    plot_lightcurve,
    save_specgrams,
    specgram_array,
)
from spacekit.exceptions import InputError
from spacekit.transformer import LightCurve


@pytest.fixture(scope="module")
def result():
    rng = np.random.default_rng(4)
    t = np.arange(0, 15, 1 / 48)
    f = 1 + 8e-4 * rng.standard_normal(t.size)
    f[np.abs((t - 1.0 + 1.6) % 3.2 - 1.6) < 0.05] -= 0.004
    lc = LightCurve(time=Time(2458000 + t, format="jd", scale="tdb"), flux=f)
    lc.meta["target"] = "synthetic"
    return planet_hunter(lc, period_max=6)


def test_plot_hunt_matplotlib(result, tmp_path):
    from matplotlib.figure import Figure

    fig = plot_hunt(result)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 4
    assert "synthetic" in fig.axes[0].get_title()
    assert fig.axes[2].get_xscale() == "log"
    out = tmp_path / "hunt.png"
    fig.savefig(out)
    assert out.stat().st_size > 10_000


def test_plot_hunt_plotly(result):
    import plotly.graph_objects as go

    fig = plot_hunt(result, backend="plotly")
    assert isinstance(fig, go.Figure)
    assert len(fig.data) == 7  # 6 panels' traces + the transit fit of the detected planet
    assert fig.data[-1].name == "transit fit"
    import re

    shown = float(re.search(r"P = ([0-9.]+) d", fig.layout.title.text).group(1))
    assert shown == pytest.approx(3.2, rel=2e-3)
    with pytest.raises(InputError, match="backend"):
        plot_hunt(result, backend="bokeh")
    with pytest.raises(InputError, match="HuntResult"):
        plot_hunt(object())


def test_plot_lightcurve_folded_uses_hours(result):
    fig = plot_lightcurve(result.folded)
    assert fig.axes[0].get_xlabel() == "hours from mid-transit"
    assert plot_lightcurve(result.raw, backend="plotly").data[0].x.size == len(result.raw)


def test_atomic_vector_plotter_colours_by_class():
    X = np.random.default_rng(0).normal(size=(4, 60))
    fig = atomic_vector_plotter(X, labels=[0, 1, 0, 1], class_names={0: "none", 1: "planet"})
    ax = fig.axes[0]
    colours = {tuple(np.round(c.get_facecolor()[0], 3)) for c in ax.collections}
    assert len(colours) == 2
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["none", "planet"]
    pf = atomic_vector_plotter(X, labels=[0, 1, 0, 1], backend="plotly")
    assert len(pf.data) == 8 and sum(bool(d.showlegend) for d in pf.data) == 2
    with pytest.raises(InputError, match="labels"):
        atomic_vector_plotter(X, labels=[0])


def test_make_specgram_and_arrays_for_ml(tmp_path):
    x = np.sin(np.arange(4096) * 0.4) + 0.1 * np.random.default_rng(1).normal(size=4096)
    f, t, s = specgram_array(x, nfft=128, noverlap=64)
    assert s.shape == (65, f.size and t.size)
    assert abs(f[s.mean(axis=1).argmax()] - 0.4 * 2 / (2 * np.pi)) < 0.02  # the sine's line
    fig = make_specgram(x, nfft=128, noverlap=64, save_array=tmp_path / "spec.npy")
    assert len(fig.axes) == 2
    saved = np.load(tmp_path / "spec.npy", allow_pickle=False)
    assert saved.dtype == np.float32 and saved.shape == s.shape
    paths = save_specgrams(np.vstack([x, x]), tmp_path / "ml", names=["a", "b"], nfft=128)
    assert [p.name for p in paths] == ["a.npy", "b.npy"] and all(p.exists() for p in paths)
    assert make_specgram(x, nfft=128, backend="plotly").data[0].type == "heatmap"
    with pytest.raises(InputError, match="nfft"):
        specgram_array(x[:50], nfft=128)


def test_save_specgrams_refuses_duplicate_names_and_writes_nothing_on_a_bad_row(tmp_path):
    from spacekit.analyzer import save_specgrams

    x = np.sin(np.arange(1024) * 0.2)
    with pytest.raises(InputError, match="duplicate.*'s'"):
        save_specgrams(np.vstack([x, x]), tmp_path / "dup", names=["s", "s"], nfft=128)
    bad = np.vstack([x, x, np.r_[x[:50], np.full(974, np.nan)]])
    with pytest.raises(InputError, match="row 2 .*specgram_00002.*50 finite samples"):
        save_specgrams(bad, tmp_path / "partial", nfft=128)
    assert not (tmp_path / "partial").exists() or not list((tmp_path / "partial").iterdir())
    assert not (tmp_path / "dup").exists() or not list((tmp_path / "dup").iterdir())


def test_plots_of_the_wrong_type_say_what_they_expect():
    from spacekit.analyzer import atomic_vector_plotter, plot_lightcurve

    with pytest.raises(InputError, match="expects a LightCurve.*ndarray.*atomic_vector_plotter"):
        plot_lightcurve(np.arange(5.0))
    with pytest.raises(InputError, match="signal must hold numbers"):
        atomic_vector_plotter(["a", "b"])


def test_specgram_settings_are_checked_and_light_curves_use_their_cadence():
    x = np.sin(np.arange(4096) * 0.2)
    # an unknown colour map was matplotlib's (or plotly's) bare ValueError
    with pytest.raises(InputError, match=r"cmap must be a matplotlib colormap.*'copper'"):
        make_specgram(x, cmap="coper")
    with pytest.raises(InputError, match="plotly colorscale"):
        make_specgram(x, cmap="nope", backend="plotly")
    assert make_specgram(x, cmap="magma_r", nfft=128) is not None
    assert make_specgram(x, cmap="magma", nfft=128, backend="plotly").data[0].type == "heatmap"
    # fs <= 0 gave negative frequencies or ZeroDivisionError; a fractional nfft numpy's error
    for bad in (0, -2.0, float("nan"), "fast"):
        with pytest.raises(InputError, match="fs"):
            specgram_array(x, fs=bad)
    for bad in (0, 1, 100.5):
        with pytest.raises(InputError, match="nfft must be a whole number"):
            specgram_array(x, nfft=bad)
    with pytest.raises(InputError, match="1-D array of numbers"):
        specgram_array(["a"] * 300)
    with pytest.raises(InputError, match="Nothing was written"):
        save_specgrams([["a", "b"]], "unused-folder")
    # a LightCurve is sampled once per cadence: frequencies in 1/day (a 0.5 d sine at 2/d),
    # not the seed's fs=2 per sample
    t = 2458000.0 + np.arange(4096) / 48  # 30 min cadence
    lc = LightCurve(time=t, flux=1 + 0.01 * np.sin(2 * np.pi * (t - t[0]) / 0.5))
    f, times, s = specgram_array(lc, nfft=512)
    assert f[-1] == pytest.approx(24.0)  # Nyquist of 48 samples a day
    assert f[s.mean(axis=1).argmax()] == pytest.approx(2.0, abs=0.1)
    assert times[-1] < 4096 / 48
    ax = make_specgram(lc, nfft=512).axes[0]
    assert ax.get_ylabel() == "frequency (1/d)" and "d" in ax.get_xlabel()
    assert specgram_array(lc, nfft=512, fs=2.0)[0][-1] == pytest.approx(1.0)  # explicit fs wins


def test_atomic_vector_plotter_times_and_labels_are_checked():
    X = np.random.default_rng(0).normal(size=(2, 30))
    t = Time(2458000.0 + np.arange(30) / 48, format="jd", scale="tdb")
    # an astropy Time was numpy's "setting an array element with a sequence"
    fig = atomic_vector_plotter(X, time=t)
    assert fig.axes[1].get_xlabel() == "time (JD, TDB)"
    assert fig.axes[1].get_lines()[0].get_xdata()[0] == pytest.approx(2458000.0)
    with pytest.raises(InputError, match="time must be 1-D"):  # was matplotlib's size error
        atomic_vector_plotter(X, time=np.ones((30, 2)))
    with pytest.raises(InputError, match="time must be an astropy Time or a 1-D array"):
        atomic_vector_plotter(X, time=["a"] * 30)
    with pytest.raises(InputError, match="flat sequence"):  # was "unhashable type"
        atomic_vector_plotter(X, labels=np.array([[0], [1]]))
    lc = LightCurve(time=t, flux=np.ones(30))
    with pytest.raises(InputError, match="carries its own times"):  # time= was ignored
        atomic_vector_plotter(lc, time=np.arange(30))


def test_plot_hunt_periodogram_says_which_line_is_which(result):
    # the dotted period lines and the dashed threshold had colours but no legend
    ax = plot_hunt(result).axes[2]
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts[0].startswith("planet 1: P = 3.1") and texts[-1] == "significance threshold 12"
    notes = [a.text for a in plot_hunt(result, backend="plotly").layout.annotations]
    assert any(n.startswith("planet 1: P = 3.1") for n in notes)


def test_mission_light_curves_are_plotted_in_btjd_or_bkjd(shared_data):
    # time axes were JDs, 2.4 million under a matplotlib "+2.4583e6" offset, where TESS and
    # Kepler users (and lightkurve) read BTJD/BKJD; a csv in no time system was labelled JD
    from spacekit.transformer import read_lightcurve

    lcdir = shared_data / "lightcurves"
    tess = read_lightcurve(
        lcdir / "hlsp_tess-data-alerts_tess_phot_00025155310-s01_tess_v1_lc.fits"
    )
    ax = plot_lightcurve(tess).axes[0]
    assert ax.get_xlabel() == "time (BTJD = BJD - 2457000)"
    assert ax.get_lines()[0].get_xdata()[0] == pytest.approx(tess.time.jd[0] - 2457000.0)
    res = planet_hunter(tess, fit=False)
    fig = plot_hunt(res)
    assert [a.get_xlabel() for a in fig.axes[:2]] == ["time (BTJD = BJD - 2457000)"] * 2
    transits = fig.axes[1].get_lines()[1].get_xdata()  # the markers at each mid-transit
    assert transits[0] == pytest.approx(res.epoch.jd - 2457000.0)
    assert plot_hunt(res, backend="plotly").layout.xaxis.title.text.startswith("time (BTJD")
    kepler = read_lightcurve(lcdir / "kplr010666592-2009131110544_slc.fits")
    assert plot_lightcurve(kepler).axes[0].get_xlabel() == "time (BKJD = BJD - 2454833)"
    csv = read_lightcurve(lcdir / "EPIC201367065.csv", time_format="relative")
    assert "no time system" in plot_lightcurve(csv).axes[0].get_xlabel()
    plain = LightCurve(time=2458000 + np.arange(5.0), flux=np.ones(5))
    assert plot_lightcurve(plain).axes[0].get_xlabel() == "time (JD, TDB)"  # no mission

"""Light-curve plots: planet_hunter panels, flux vectors coloured by class, spectrograms.

Every function returns a figure (matplotlib :class:`~matplotlib.figure.Figure`, built without
pyplot so no global state changes, or a plotly ``Figure`` with ``backend="plotly"``) and
never shows it; saving is the caller's choice.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..exceptions import InputError
from ..transformer.lightcurve import LightCurve, _as_lightcurve
from ..utils.checks import positive_number, whole_number
from ..utils.plotting import (
    PALETTE,
    check_backend,
    mpl_subplots,
    plotly_axis_titles,
    plotly_modules,
    plotly_points,
    plotly_subplots,
)

__all__ = [
    "plot_hunt",
    "plot_lightcurve",
    "atomic_vector_plotter",
    "make_specgram",
    "specgram_array",
    "save_specgrams",
]


def _time_axis(lc: LightCurve) -> tuple[np.ndarray, str]:
    if lc.is_folded:
        return lc.time_days() * 24.0, "hours from mid-transit"
    offset, label = _time_offset(lc)
    return _days_after(lc.time, offset), label


#: BJD offsets of the mission day numbers (the missions' own definitions).
_MISSION_OFFSETS = {"bkjd": 2454833.0, "btjd": 2457000.0}


def _time_offset(lc: LightCurve) -> tuple[float, str]:
    """The number subtracted from the Julian dates on a time axis, and the axis label: the
    mission's day number for Kepler, K2 and TESS (BKJD, BTJD, as their archives and
    lightkurve plot them, not 2.4 million plus a matplotlib offset), the file's own numbers
    for a light curve in no time system, else the JD."""
    scale = lc.time.scale
    if scale == "local":
        return 0.0, "time (days, the file's own numbers: no time system)"
    fmt = lc.mission_time_format()
    if fmt in _MISSION_OFFSETS and scale == "tdb":
        offset = _MISSION_OFFSETS[fmt]
        return offset, f"time ({fmt.upper()} = BJD - {offset:.0f})"
    return 0.0, f"time (JD, {scale.upper()})"


def _days_after(time: Any, offset: float) -> np.ndarray:
    """Julian dates of ``time`` less ``offset`` (in that order, so no precision is lost)."""
    return np.asarray((time.jd1 - offset) + time.jd2, dtype=float).reshape(-1)


def _plain_times(time: Any) -> tuple[np.ndarray, str]:
    """x values from ``time=``: an astropy Time (as JD, labelled with its scale) or a 1-D
    array of numbers."""
    from astropy.time import Time

    if isinstance(time, Time):
        return np.atleast_1d(np.asarray(time.jd, dtype=float)), f"time (JD, {time.scale.upper()})"
    try:
        x = np.asarray(time, dtype=float)
    except (TypeError, ValueError):
        raise InputError(
            "time must be an astropy Time or a 1-D array of numbers (one per flux sample); got "
            f"{type(time).__name__} with non-numeric values."
        ) from None
    if x.ndim != 1:
        raise InputError(f"time must be 1-D (one value per flux sample); got shape {x.shape}.")
    return x, ""


def plot_lightcurve(lc: LightCurve, *, title: str = "", backend: str = "matplotlib"):
    """Flux against time (or phase, for a folded light curve).

    Parameters
    ----------
    lc : LightCurve, astropy TimeSeries or lightkurve LightCurve
        The light curve (folded or not).
    title : str
        Figure title.
    backend : {"matplotlib", "plotly"}
        Figure type.

    Returns
    -------
    matplotlib.figure.Figure or plotly.graph_objects.Figure
        The figure (never shown; saving is the caller's choice).

    Examples
    --------
    >>> import numpy as np
    >>> lc = LightCurve(time=2458000 + np.arange(50) / 48, flux=np.ones(50))
    >>> fig = plot_lightcurve(lc)
    >>> len(fig.axes)
    1
    """
    check_backend(backend)
    given = lc
    lc = _as_lightcurve(lc)
    if lc is None:
        raise InputError(
            f"plot_lightcurve expects a LightCurve (or an astropy TimeSeries or lightkurve "
            f"LightCurve); got {type(given).__name__}. Build one with LightCurve(time=..., "
            "flux=...) or read_lightcurve(path), or draw plain arrays with "
            "atomic_vector_plotter."
        )
    x, xlabel = _time_axis(lc)
    y = np.asarray(lc.flux.value, dtype=float)
    ylabel = f"flux ({lc.flux.unit})" if str(lc.flux.unit) else "relative flux"
    title = title or str(lc.meta.get("target", ""))
    if backend == "plotly":
        go, _ = plotly_modules()
        fig = go.Figure(plotly_points(go, x, y, name="flux", size=3))
        fig.update_layout(title=title, xaxis_title=xlabel, yaxis_title=ylabel)
        return fig
    fig, (ax,) = mpl_subplots((10, 3.5))
    ax.plot(x, y, ".", ms=2, color="k")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    return fig


def plot_hunt(result: Any, *, backend: str = "matplotlib", title: str = ""):
    """Four panels for a :func:`~spacekit.analyzer.planet_hunter` result: normalised flux,
    detrended flux with the transits marked, the periodogram with the chosen peak (and any
    further planets), and the folded light curve with binned points.

    Parameters
    ----------
    result : HuntResult
        What :func:`planet_hunter` returned.
    backend : {"matplotlib", "plotly"}
        Figure type.
    title : str
        Figure title (default: the target and the period found).

    Returns
    -------
    matplotlib.figure.Figure or plotly.graph_objects.Figure
        The four panels (never shown; saving is the caller's choice).

    Examples
    --------
    A 4 ppt transit every 3.2 days in 15 days of half-hour cadences:

    >>> import numpy as np
    >>> from spacekit.analyzer import planet_hunter
    >>> t = np.arange(0, 15, 1 / 48)
    >>> f = 1 + 8e-4 * np.random.default_rng(4).standard_normal(t.size)
    >>> f[np.abs((t - 1.0 + 1.6) % 3.2 - 1.6) < 0.05] -= 0.004
    >>> fig = plot_hunt(planet_hunter(LightCurve(time=2458000 + t, flux=f), period_max=6))
    >>> len(fig.axes), fig.axes[2].get_xscale()
    (4, 'log')
    """
    check_backend(backend)
    for attr in ("raw", "flattened", "periodogram", "folded", "candidate"):
        if not hasattr(result, attr):
            raise InputError(
                f"plot_hunt expects a HuntResult from planet_hunter; got {type(result).__name__} "
                f"without {attr!r}."
            )
    c = result.candidate
    period = float(c.period.to_value("day"))
    offset, xlab = _time_offset(result.raw)
    t_raw = _days_after(result.raw.time, offset)
    f_raw = np.asarray(result.raw.flux.value, dtype=float)
    t_flat = _days_after(result.flattened.time, offset)
    f_flat = np.asarray(result.flattened.flux.value, dtype=float)
    pg_p = np.asarray(result.periodogram["period"].value, dtype=float)
    pg = result.periodogram
    pg_s = np.asarray(
        pg["significance"] if "significance" in pg.colnames else pg["sde"], dtype=float
    )
    ph = result.folded.time_days() * 24.0
    f_fold = np.asarray(result.folded.flux.value, dtype=float)
    binned = result.folded.bin(max(float(c.duration.to_value("day")) / 8, 1e-4))
    ph_b, f_b = binned.time_days() * 24.0, np.asarray(binned.flux.value, dtype=float)
    epoch = float(_days_after(c.epoch, offset)[0])
    n0 = np.ceil((t_flat.min() - epoch) / period)
    n1 = np.floor((t_flat.max() - epoch) / period)
    mids = epoch + period * np.arange(n0, n1 + 1)
    target = str(result.raw.meta.get("target", ""))
    status = "detected" if c.detected else "not detected"
    title = (
        title
        or (
            f"{target}  P = {period:.5f} d, depth = {c.depth * 1e6:.0f} ppm, "
            f"significance = {c.peak_significance:.1f} "
            f"({status})"
        ).strip()
    )
    if backend == "plotly":
        go, _ = plotly_modules()
        fig = plotly_subplots(
            ["normalised flux", "detrended flux", "periodogram (peak significance)", "folded"],
            rows=4,
        )
        fig.add_trace(plotly_points(go, t_raw, f_raw, name="normalised"), row=1, col=1)
        fig.add_trace(plotly_points(go, t_flat, f_flat, name="detrended"), row=2, col=1)
        low = np.full(mids.size, np.nanmin(f_flat))
        transits = plotly_points(go, mids, low, name="transits", size=8, symbol="triangle-up")
        fig.add_trace(transits, row=2, col=1)
        fig.add_trace(go.Scattergl(x=pg_p, y=pg_s, mode="lines", name="significance"), row=3, col=1)
        for k, pl in enumerate(result.planets or [c]):
            pk = float(pl.period.to_value("day"))
            name = f"planet {k + 1}" if result.planets else "candidate"
            fig.add_vline(
                x=pk,
                line_dash="dot",
                line_color=PALETTE[k % len(PALETTE)],
                annotation_text=f"{name}: P = {pk:.5g} d",
                row=3,
                col=1,
            )
        fig.add_trace(plotly_points(go, ph, f_fold, name="folded"), row=4, col=1)
        fig.add_trace(go.Scatter(x=ph_b, y=f_b, mode="markers+lines", name="binned"), row=4, col=1)
        if getattr(c, "fit", None):  # the limb-darkened transit model of a detected planet
            fig.add_trace(
                go.Scatter(
                    x=np.asarray(c.fit["model_phase"]) * 24.0,
                    y=c.fit["model_flux"],
                    mode="lines",
                    name="transit fit",
                ),
                row=4,
                col=1,
            )
        xtitles = [xlab, xlab, "period (d)", "hours from mid-transit"]
        plotly_axis_titles(fig, [(x, "") for x in xtitles], stacked=True)
        fig.update_xaxes(type="log", row=3, col=1)
        fig.update_layout(title=title, height=1000, showlegend=False)
        return fig
    fig, axes = mpl_subplots((11, 11), nrows=4)
    axes[0].plot(t_raw, f_raw, ".", ms=1.5, color="0.3")
    axes[0].set(xlabel=xlab, ylabel="normalised flux", title=title)
    axes[1].plot(t_flat, f_flat, ".", ms=1.5, color="k")
    lo = np.nanpercentile(f_flat, 0.1) if f_flat.size else 0
    axes[1].plot(mids, np.full(mids.size, lo), "^", color=PALETTE[1], ms=6)
    axes[1].set(xlabel=xlab, ylabel="detrended flux")
    axes[2].plot(pg_p, pg_s, lw=0.7, color="k")
    for k, pl in enumerate(result.planets or [c]):
        pk = float(pl.period.to_value("day"))
        name = f"planet {k + 1}" if result.planets else "candidate"
        axes[2].axvline(
            pk, color=PALETTE[k % len(PALETTE)], ls=":", lw=1.5, label=f"{name}: P = {pk:.5g} d"
        )
    axes[2].axhline(
        result.threshold,
        color="0.5",
        ls="--",
        lw=0.8,
        label=f"significance threshold {result.threshold:g}",
    )
    axes[2].set(xscale="log", xlabel="period (d)", ylabel="significance (not TLS's SDE)")
    axes[2].legend(loc="upper left", fontsize="small")
    axes[3].plot(ph, f_fold, ".", ms=1.5, color="0.6")
    axes[3].plot(ph_b, f_b, "o-", ms=3, color=PALETTE[0])
    if getattr(c, "fit", None):  # the limb-darkened transit model of a detected planet
        axes[3].plot(
            np.asarray(c.fit["model_phase"]) * 24.0,
            c.fit["model_flux"],
            "-",
            lw=1.5,
            color=PALETTE[1],
            label=f"transit fit: rp/rs {c.fit['rp_rs']:.4f}, b {c.fit['b']:.2f}",
        )
        axes[3].legend(loc="lower left", fontsize="small")
    half = max(3 * float(c.duration.to_value("day")) * 24, 1.0)
    axes[3].set(xlim=(-half, half), xlabel="hours from mid-transit", ylabel="detrended flux")
    return fig


def atomic_vector_plotter(
    signal: Any,
    *,
    time: Any = None,
    labels: Sequence[Any] | None = None,
    class_names: dict | None = None,
    title: str = "",
    x_units: str = "time",
    y_units: str = "flux",
    backend: str = "matplotlib",
):
    """Flux against time as a scatter and a line panel, coloured by class.

    Parameters
    ----------
    signal : LightCurve, 1-D array, or 2-D array (one flux vector per row)
        What to draw.
    time : astropy Time or 1-D array, optional
        Common x values for array signals (default: sample index; a Time is drawn as JD).
        A LightCurve always uses its own times (passing ``time`` with one is an error).
    labels : sequence, optional
        One class per row (e.g. 0/1 from :func:`~spacekit.transformer.read_flux_table`).
    class_names : dict, optional
        Legend names per class, e.g. ``{0: "no planet", 1: "planet"}``.
    title, x_units, y_units : str
        Text.
    backend : {"matplotlib", "plotly"}
        Figure type.

    Returns
    -------
    matplotlib.figure.Figure or plotly.graph_objects.Figure
        The two panels (never shown; saving is the caller's choice).

    Examples
    --------
    >>> import numpy as np
    >>> fig = atomic_vector_plotter(np.random.default_rng(0).normal(size=(3, 100)),
    ...                             labels=[0, 1, 1], class_names={0: "no", 1: "yes"})
    >>> len(fig.axes)
    2
    """
    check_backend(backend)
    rows, x, x_units = _vector_rows(signal, time, x_units)
    labels = _vector_labels(labels, rows.shape[0])
    classes = sorted({lab for lab in labels if lab is not None}, key=str)
    colour = {cl: PALETTE[i % len(PALETTE)] for i, cl in enumerate(classes)}
    names = class_names or {}

    def legend(cl):
        return str(names.get(cl, cl)) if cl is not None else "signal"

    draw = _vector_plotly if backend == "plotly" else _vector_mpl
    return draw(x, rows, labels, colour, legend, title, x_units, y_units)


def _vector_rows(signal: Any, time: Any, x_units: str) -> tuple[np.ndarray, np.ndarray, str]:
    """``(rows, x, x_units)`` of :func:`atomic_vector_plotter`'s signal and times, checked."""
    if isinstance(signal, LightCurve):
        if time is not None:
            raise InputError(
                "a LightCurve carries its own times, so time= is used only with arrays; drop "
                "time=, or pass signal=lc.flux.value with the times you want."
            )
        x, xl = _time_axis(signal)
        rows = np.asarray(signal.flux.value, dtype=float)[None, :]
        x_units = x_units if x_units != "time" else xl
    else:
        rows = _signal_rows(
            signal, "signal must hold numbers (a LightCurve, or a 1-D or 2-D array of flux)"
        )
        if rows.ndim != 2:
            raise InputError(f"signal must be 1-D or 2-D; got shape {rows.shape}.")
        if time is None:
            x = np.arange(rows.shape[1])
        else:
            x, xl = _plain_times(time)
            x_units = x_units if x_units != "time" or not xl else xl
    if x.shape[0] != rows.shape[1]:
        raise InputError(f"time has {x.shape[0]} values but each signal has {rows.shape[1]}.")
    return rows, x, x_units


def _vector_labels(labels: Sequence[Any] | None, n: int) -> list:
    """One plain class (or None) per signal row, checked."""
    if labels is None:
        labels = [None] * n
    if np.ndim(labels) != 1:
        raise InputError(
            f"labels must be a flat sequence with one class per signal; got shape "
            f"{np.shape(labels)}. Flatten it (e.g. y.ravel())."
        )
    labels = [lab.item() if isinstance(lab, np.generic) else lab for lab in labels]
    if len(labels) != n:
        raise InputError(f"labels has {len(labels)} values for {n} signals.")
    return labels


def _vector_plotly(x, rows, labels, colour, legend, title, x_units, y_units):
    """The plotly figure of :func:`atomic_vector_plotter`: scatter above, lines below."""
    go, _ = plotly_modules()
    fig = plotly_subplots(["scatter", "line"], rows=2, shared_xaxes=True)
    seen = set()
    for r, cl in zip(rows, labels, strict=True):
        show = cl not in seen
        seen.add(cl)
        c = colour.get(cl, "black")
        dots = plotly_points(
            go, x, r, name=legend(cl), size=3, color=c, legendgroup=str(cl), showlegend=show
        )
        fig.add_trace(dots, row=1, col=1)
        fig.add_trace(
            go.Scattergl(
                x=x,
                y=r,
                mode="lines",
                line={"color": c, "width": 1},
                name=legend(cl),
                legendgroup=str(cl),
                showlegend=False,
            ),
            row=2,
            col=1,
        )
    fig.update_layout(title=title)
    plotly_axis_titles(fig, [("", y_units), (x_units, y_units)], stacked=True)
    return fig


def _vector_mpl(x, rows, labels, colour, legend, title, x_units, y_units):
    """The matplotlib figure of :func:`atomic_vector_plotter`: scatter above, lines below."""
    fig, (ax1, ax2) = mpl_subplots((12, 6), nrows=2, sharex=True)
    seen = set()
    for r, cl in zip(rows, labels, strict=True):
        c = colour.get(cl, "black")
        lab = None if cl in seen else legend(cl)
        seen.add(cl)
        ax1.scatter(x, r, s=2, color=c, label=lab)
        ax2.plot(x, r, lw=0.8, color=c)
    ax1.set(ylabel=y_units, title=title)
    ax2.set(xlabel=x_units, ylabel=y_units)
    if colour:
        ax1.legend(loc="upper right", markerscale=4)
    return fig


def _signal_rows(signal: Any, expected: str, after: str = "") -> np.ndarray:
    """``signal`` as float rows (a 1-D series becomes one row), or an InputError saying what
    was ``expected``."""
    try:
        rows = np.asarray(signal, dtype=float)
    except (TypeError, ValueError):
        raise InputError(
            f"{expected}; got {type(signal).__name__} with non-numeric values.{after}"
        ) from None
    return rows[None, :] if rows.ndim == 1 else rows


def _sampling_frequency(signal: Any, fs: Any) -> tuple[float, str]:
    """``(fs, unit)``: the given ``fs`` (unit "" = as given), or for a LightCurve without one,
    one sample per cadence in 1/day; for a plain array the seed's default, 2."""
    if fs is None:
        if isinstance(signal, LightCurve) and not signal.is_folded:
            cadence = signal.cadence
            if np.isfinite(cadence) and cadence > 0:
                return 1.0 / cadence, "d"
        return 2.0, ""
    value = positive_number(
        fs,
        "fs (sampling frequency, samples per unit time)",
        advice=("Leave it out for a LightCurve to use one sample per cadence (1/day)."),
    )
    return value, ""


def specgram_array(
    signal: Any,
    *,
    fs: float | None = None,
    nfft: int = 256,
    noverlap: int | None = None,
    mode: str = "psd",
    log: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Spectrogram of a 1-D flux series: ``(frequencies, times, power)``.

    ``power`` has shape ``(n_frequencies, n_segments)``; with ``log=True`` it is
    ``10*log10`` (dB), the usual input for an image classifier. Non-finite samples are
    dropped and the rest taken as evenly spaced.

    Parameters
    ----------
    signal : LightCurve or 1-D array
        The flux series.
    fs : float, optional
        Sampling frequency (samples per unit time). Default: for a LightCurve, one sample per
        cadence, so frequencies are in 1/day and times in days (samples times the cadence);
        for an array, the seed's 2.
    nfft, noverlap : int
        Segment length (at least 2) and overlap in samples (default: half a segment).
    mode : {"psd", "magnitude"}
        What to compute.
    log : bool
        Return ``10*log10(power)``.

    Returns
    -------
    frequencies, times, power : numpy.ndarray
        The frequency bins, the segment centres and the power, of shape
        ``(n_frequencies, n_segments)``.

    Examples
    --------
    >>> import numpy as np
    >>> f, t, s = specgram_array(np.sin(np.arange(2048) * 0.3), nfft=128, noverlap=64)
    >>> s.shape
    (65, 31)
    """
    from scipy.signal import spectrogram

    rate, _ = _sampling_frequency(signal, fs)
    nfft = whole_number(nfft, "nfft", minimum=2)
    try:
        x = np.asarray(signal.flux.value if isinstance(signal, LightCurve) else signal, dtype=float)
    except (TypeError, ValueError):
        raise InputError(
            "a spectrogram needs a LightCurve or a 1-D array of numbers; got "
            f"{type(signal).__name__} with non-numeric values."
        ) from None
    if x.ndim != 1:
        raise InputError(f"a spectrogram needs one 1-D series; got shape {x.shape}.")
    x = x[np.isfinite(x)]
    if x.size < nfft:
        raise InputError(
            f"the series has {x.size} finite samples, fewer than nfft={nfft}; pass a smaller nfft."
        )
    noverlap = nfft // 2 if noverlap is None else whole_number(noverlap, "noverlap", minimum=0)
    if not 0 <= noverlap < nfft:
        raise InputError(f"noverlap must be in [0, nfft); got {noverlap} with nfft={nfft}.")
    if mode not in ("psd", "magnitude"):
        raise InputError(f"mode must be 'psd' or 'magnitude'; got {mode!r}.")
    f, t, s = spectrogram(x - np.mean(x), fs=rate, nperseg=nfft, noverlap=noverlap, mode=mode)
    if log:
        s = 10 * np.log10(np.maximum(s, np.finfo(float).tiny))
    return f, t, s


def make_specgram(
    signal: Any,
    *,
    fs: float | None = None,
    nfft: int = 256,
    noverlap: int | None = None,
    mode: str = "psd",
    cmap: str = "viridis",
    colorbar: bool = True,
    title: str = "",
    save_array: str | os.PathLike | None = None,
    backend: str = "matplotlib",
):
    """Spectrogram figure of a flux series; optionally save the array for ML.

    Parameters
    ----------
    signal : LightCurve or 1-D array
        The flux series (evenly sampled; non-finite samples are dropped).
    fs : float, optional
        Sampling frequency. Default: for a LightCurve, one sample per cadence, so the axes
        are frequency in 1/day and time in days (samples times the cadence: data gaps are
        closed up, not drawn); for an array, the seed's 2 (axes in samples / fs).
    nfft, noverlap : int
        Segment length (at least 2) and overlap in samples (overlap default: half a
        segment).
    mode : {"psd", "magnitude"}
        What to show.
    cmap : str
        Colour map: a matplotlib colormap name (``matplotlib.colormaps``), or with
        ``backend="plotly"`` a plotly colorscale name. An unknown name is an
        :class:`~spacekit.exceptions.InputError`.
    colorbar : bool
        Draw a colour bar (matplotlib).
    title : str
        Figure title.
    save_array : path, optional
        Also write the (log) spectrogram as a ``.npy`` float32 array (atomically), the
        form image classifiers take; the seed's ``save_for_ML`` option.
    backend : {"matplotlib", "plotly"}
        Figure type.

    Returns
    -------
    matplotlib.figure.Figure or plotly.graph_objects.Figure
        The spectrogram (never shown; saving is the caller's choice).

    Examples
    --------
    >>> import numpy as np
    >>> fig = make_specgram(np.sin(np.arange(4096) * 0.2), nfft=128, noverlap=64)
    >>> len(fig.axes)
    2
    """
    check_backend(backend)
    if backend == "plotly":
        go, _ = plotly_modules()
        colorscale = _plotly_colorscale(go, cmap)
    else:
        colormap = _mpl_colormap(cmap)
    f, t, s = specgram_array(signal, fs=fs, nfft=nfft, noverlap=noverlap, mode=mode)
    _, unit = _sampling_frequency(signal, fs)
    xlabel = "time (samples x cadence, d)" if unit else "time (samples / fs)"
    ylabel = "frequency (1/d)" if unit else "frequency (fs units)"
    if save_array is not None:
        _save_npy(Path(save_array), s.astype(np.float32))
    label = "power (dB)"
    if backend == "plotly":
        fig = go.Figure(
            go.Heatmap(
                x=t, y=f, z=s, colorscale=colorscale, colorbar={"title": label}, showscale=colorbar
            )
        )
        fig.update_layout(title=title, xaxis_title=xlabel, yaxis_title=ylabel)
        return fig
    fig, (ax,) = mpl_subplots((9, 4))
    mesh = ax.pcolormesh(t, f, s, shading="auto", cmap=colormap)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    if colorbar:
        fig.colorbar(mesh, ax=ax, label=label)
    return fig


def _mpl_colormap(cmap: Any):
    from ..utils import optional_import

    matplotlib = optional_import("matplotlib", "spacekit.analyzer plots")
    from matplotlib.colors import Colormap

    if isinstance(cmap, Colormap):
        return cmap
    if isinstance(cmap, str) and cmap in matplotlib.colormaps:
        return matplotlib.colormaps[cmap]
    import difflib

    close = difflib.get_close_matches(str(cmap), list(matplotlib.colormaps), n=3)
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    raise InputError(
        f"cmap must be a matplotlib colormap name such as 'viridis', 'magma' or 'gray'; got "
        f"{cmap!r}.{hint} The names are listed by list(matplotlib.colormaps)."
    )


def _plotly_colorscale(go: Any, cmap: Any):
    try:
        go.Heatmap(colorscale=cmap)
    except ValueError:
        import difflib

        from plotly.colors import named_colorscales

        close = difflib.get_close_matches(str(cmap).lower(), named_colorscales(), n=3)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise InputError(
            f"cmap must be a plotly colorscale name such as 'viridis', 'magma' or 'greys' "
            f"with backend='plotly'; got {cmap!r}.{hint} The names are listed by "
            "plotly.colors.named_colorscales()."
        ) from None
    return cmap


def save_specgrams(
    signals: Any,
    output_dir: str | os.PathLike,
    *,
    names: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[Path]:
    """Write the spectrogram of each row of ``signals`` as ``<name>.npy`` in ``output_dir``.

    Returns the paths written (atomically). ``kwargs`` go to :func:`specgram_array`.
    Every spectrogram is computed before any file is written, so a row that cannot be
    transformed raises an :class:`~spacekit.exceptions.InputError` naming it and leaves no
    partial set; duplicate ``names`` are refused.

    Parameters
    ----------
    signals : 1-D or 2-D array
        One flux series per row.
    output_dir : path
        The folder written to.
    names : sequence of str, optional
        One file stem per row (default ``specgram_00000``, ``specgram_00001``...).
    **kwargs
        Passed to :func:`specgram_array` (``fs``, ``nfft``, ``noverlap``, ``mode``, ``log``).

    Returns
    -------
    list of pathlib.Path
        The files written, in row order.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> X = np.random.default_rng(0).normal(size=(2, 1024))
    >>> paths = save_specgrams(X, tempfile.mkdtemp(), nfft=128)
    >>> [p.name for p in paths], np.load(paths[0]).shape
    (['specgram_00000.npy', 'specgram_00001.npy'], (65, 15))
    """
    rows = _signal_rows(
        signals,
        "save_specgrams needs a 1-D or 2-D array of numbers (one flux series per row)",
        " Nothing was written.",
    )
    names = list(names) if names is not None else [f"specgram_{i:05d}" for i in range(len(rows))]
    if len(names) != len(rows):
        raise InputError(f"names has {len(names)} entries for {len(rows)} signals.")
    counts: dict[str, int] = {}
    for n in names:
        counts[str(n)] = counts.get(str(n), 0) + 1
    repeated = sorted(n for n, k in counts.items() if k > 1)
    if repeated:
        raise InputError(
            f"names has duplicate entries {repeated[:5]}: each would overwrite the file of "
            "the one before; pass one distinct name per signal."
        )
    out = Path(output_dir)
    arrays = []
    for i, (name, row) in enumerate(zip(names, rows, strict=True)):
        try:  # every spectrogram first: a bad row leaves no partial set of files
            arrays.append(specgram_array(row, **kwargs)[2].astype(np.float32))
        except InputError as exc:
            raise InputError(f"row {i} ({name!r}): {exc} Nothing was written.") from None
    paths = []
    for name, s in zip(names, arrays, strict=True):
        p = out / f"{name}.npy"
        _save_npy(p, s)
        paths.append(p)
    return paths


def _save_npy(path: Path, array: np.ndarray) -> None:
    from ..utils import atomic_write

    if path.suffix != ".npy":
        path = path.with_suffix(".npy")
    with atomic_write(path, "wb") as fh:
        np.save(fh, array, allow_pickle=False)

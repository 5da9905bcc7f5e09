"""Find transiting planets in light curves: :func:`planet_hunter` and :func:`hunt_many`.

How the search works:

1. **Clean and detrend.** Drop NaNs, normalise, clip upward outliers, then divide out slow
   variability with :meth:`~spacekit.transformer.LightCurve.flatten` (a robust running
   median that leaves transits alone; window three times the longest transit expected).
2. **Bin** fast-cadence data (TESS 2 min, Kepler 1 min) to a third of the shortest transit
   searched, which keeps the sensitivity and divides the cost.
3. **Period grid sized by resolution.** Consecutive trial periods differ by
   ``dP = P * d(P) / (oversample * baseline)``: the predicted last transit moves by a
   fraction of the shortest transit duration ``d(P)`` searched at that period, which grows as
   ``P**(1/3)`` like a transit across a star of fixed density
   (:func:`transit_duration_range`). This is far fewer periods than a fixed-oversampling
   frequency grid, with the same coverage; each period octave gets its own durations.
4. **Box least squares** (astropy ``BoxLeastSquares``; ``engine="tls"`` uses
   transitleastsquares), then the best peak is **refined** on a 20x finer grid.
5. **Detection.** ``detected`` needs all of: peak significance >= ``threshold`` (default
   :data:`SIGNIFICANCE_THRESHOLD`, see there), red-noise SNR >= ``snr_threshold`` (default
   :data:`SNR_THRESHOLD` = 7.1), at least two transits with data, no single transit carrying
   more than 80% of the summed depth, no box-shaped *rise* at the period half as large as
   the dip, a folded light curve flat away from the transit (scatter of its binned
   levels under 20% of the depth), and transits of one depth (not differing by more than
   50% of the mean depth and 3 sigma at once, nor 30% and 5 sigma, and no covered transit
   without a dip where the others say one would show at 3 sigma). The rise and flatness
   checks reject stellar variability that survives detrending (spotted or flaring stars),
   which BLS otherwise reports with a high SDE; the depth checks reject single transits of
   different planets that the search pairs into one period (Kepler-90 g and h as a 114.6 d
   "planet"; in Kepler-90's Q3 alone, three dips of different planets at 19.9 d with an
   empty fourth).
6. **More planets.** With ``max_planets > 1`` the in-transit points of each detected planet
   (twice its duration) are removed and the search repeats. A signal rejected only by the
   single-transit or depth checks is real dips that are not one periodic transit: its
   points are removed too and the search goes on (twice at most), so it does not hide
   weaker planets; any other rejection ends the search.
7. **Period aliases.** When the data cover only every m-th transit of a signal (the others
   fall in gaps or past the ends), periods m times longer fit the same transits equally well:
   each planet lists them in ``period_aliases`` (e.g. K2-3 d, 44.56 d, seen twice in K2's
   80 days with the transit between in a gap, is found at 22.27 d with the alias 44.54 d).

The **peak significance** (``Planet.peak_significance``; it was called SDE, and ``sde`` remains
an alias, but it is not transitleastsquares' SDE) is computed from the periodogram the same
way whatever the engine or objective: the power minus its running median over the period
grid, centred on its median and divided by its robust spread (1.4826 times the median
absolute deviation), read at the chosen peak. TLS's SDE divides by the plain standard
deviation of its own spectrum, so the two differ several-fold on the same star (K2-3 b: 146
here, 45.2 in TLS); with ``engine="tls"`` each planet also carries TLS's own SDE,
false-alarm probability, rp/rs and transit times in ``Planet.tls``. The robust spread keeps
a strong signal's own aliases from inflating the noise estimate, which hides planets seen
in few transits with a plain standard deviation.

The parts live in sibling modules by responsibility (settings and the light curve's
preparation, the period search, the vetting, the transit fit, the result classes); every
public name is imported from here, as it always was.
"""

from __future__ import annotations

import logging
import os
import time as _time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import astropy.units as u
import numpy as np
from astropy.time import TimeDelta

from ..exceptions import InputError
from ..transformer.lightcurve import LightCurve, _as_lightcurve, _blocks
from ._hunt_fit import FIT_MAX_POINTS as FIT_MAX_POINTS
from ._hunt_fit import LIMB_DARKENING, _has_module, fit_transit
from ._hunt_inputs import (
    _check_settings,
    _detrend_window,
    _duration_bounds,
    _period_range,
    _prepare,
    _trial_durations,
)
from ._hunt_result import HuntResult, Periodogram, Planet, _deprecated
from ._hunt_result import _Record as _Record  # pickles of to_dict() records name it here
from ._hunt_search import (
    _binned_for_search,
    _search_arrays,
    _search_once,
    _sorted_cadence,
    _tls_absolute_times,
    _transit_mask,
    period_grid,
    transit_duration_range,
)
from ._hunt_vetting import _MASKABLE, _MAX_MASKED_REJECTIONS, _failed_checks, vet_transit
from ._hunt_vetting import DEPTH_CONSISTENCY_LIMITS as DEPTH_CONSISTENCY_LIMITS
from ._hunt_vetting import MAX_BUMP_RATIO as MAX_BUMP_RATIO
from ._hunt_vetting import MAX_OOT_STRUCTURE as MAX_OOT_STRUCTURE
from ._hunt_vetting import MAX_SINGLE_EVENT_FRACTION as MAX_SINGLE_EVENT_FRACTION

__all__ = [
    "SIGNIFICANCE_THRESHOLD",
    "SNR_THRESHOLD",
    "vet_transit",
    "fit_transit",
    "LIMB_DARKENING",
    "transit_duration_range",
    "Planet",
    "HuntResult",
    "planet_hunter",
    "find_planets",
    "hunt_many",
    "period_grid",
]

log = logging.getLogger(__name__)

#: Default detection threshold on the peak significance (``Planet.peak_significance``, long
#: called SDE). Not transitleastsquares's 9, which is a false-alarm probability below 1e-4
#: *for TLS's SDE*: this statistic is a different one (a robust z-score of the detrended
#: periodogram), calibrated for itself by ``benchmarks/bench_hunt_calibration.py`` (null
#: searches of the shared light curves made transit-free, and injection-recovery into them).
#: 12 is the highest threshold that keeps every published planet of the shared light
#: curves; the false-alarm rates it gives, and why no threshold on this statistic reaches
#: 1e-4 while keeping Kepler-90 d and e, are in ``benchmarks/RESULTS.md`` ("The search
#: statistic and its threshold").
SIGNIFICANCE_THRESHOLD = 12.0


def __getattr__(name: str) -> Any:
    if name == "SDE_THRESHOLD":
        _deprecated("SDE_THRESHOLD", "SIGNIFICANCE_THRESHOLD")
        return SIGNIFICANCE_THRESHOLD
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: Default threshold on the red-noise signal-to-noise ratio (:func:`vet_transit`); 7.1 is the
#: Kepler pipeline's multiple-event-statistic threshold.
SNR_THRESHOLD = 7.1


def planet_hunter(
    lc: LightCurve | str | os.PathLike,
    *,
    max_planets: int = 1,
    engine: str = "bls",
    period_min: u.Quantity | float | None = None,
    period_max: u.Quantity | float | None = None,
    durations: Sequence[float] | u.Quantity | None = None,
    window: u.Quantity | float | None = None,
    threshold: float = SIGNIFICANCE_THRESHOLD,
    snr_threshold: float = SNR_THRESHOLD,
    oversample: float = 2.0,
    objective: str = "likelihood",
    flatten: bool = True,
    time_format: str | None = None,
    fit: bool | str = "auto",
    full_arrays: bool = False,
    progress: bool | None = None,
    **tls_kwargs: Any,
) -> HuntResult:
    """Search a light curve for periodic transits; return a :class:`HuntResult`.

    Steps: drop NaNs, normalise, clip upward outliers, detrend with a robust running median
    (``window``), bin fast-cadence data to a third of the shortest duration, then search a
    period grid sized by the baseline (see :func:`period_grid`) with astropy's
    ``BoxLeastSquares`` (``engine="bls"``) or with transitleastsquares (``engine="tls"``,
    needs ``pip install spacekit[x]``), and vet the best peak (module docstring). With
    ``max_planets > 1`` the in-transit points of each detected planet (twice its duration)
    are masked and the search runs again, until a search finds nothing that passes or
    ``max_planets`` planets are found.

    This replaces the seed's ``planet_hunter``, which ran BLS on raw flux (it fails on TESS
    data, where slow trends dominate) and returned only a plot; it now returns a result
    object and :func:`~spacekit.analyzer.plot_hunt` draws the plots.

    Parameters
    ----------
    lc : LightCurve, astropy TimeSeries, lightkurve LightCurve or path
        The light curve (a path is read with :func:`~spacekit.transformer.read_lightcurve`;
        a csv then needs ``time_format``). A TimeSeries from astropy's ``kepler.fits`` or
        ``tess.fits`` reader is searched on its PDCSAP flux, every cadence included (its
        reader applies no quality mask; ``read_lightcurve`` keeps ``QUALITY == 0``).
    max_planets : int
        Most planets to look for.
    engine : {"bls", "tls"}
        Search engine.
    period_min, period_max : Quantity or float, optional
        Period range (float: days). Default 0.5 d to half the baseline.
    durations : sequence of float or Quantity, optional
        Trial transit durations (days) for every period. Default: for each period octave,
        5 durations spanning :func:`transit_duration_range` (0.3 to 2.5 times a central
        transit across a Sun-density star, at least 30 min and two cadences).
    window : Quantity or float, optional
        Detrending window (float: days). Default: three times the central transit duration
        at ``period_max``, between 0.5 and 2 days (and at least 2.5 times the longest
        of ``durations`` when those are given).
    threshold : float
        Peak significance needed for ``detected`` (default :data:`SIGNIFICANCE_THRESHOLD`,
        calibrated for this statistic as a false-alarm probability; not TLS's SDE threshold).
    snr_threshold : float
        Red-noise SNR needed for ``detected`` (default :data:`SNR_THRESHOLD` = 7.1).
    oversample : float
        Period-grid density: trial periods move the last transit by
        ``duration / oversample``.
    objective : {"likelihood", "snr"}
        BLS objective.
    flatten : bool
        Detrend before searching (turn off only for already-flattened flux).
    time_format : str, optional
        Passed to :func:`read_lightcurve` when ``lc`` is a csv path. Without it a csv is
        searched in its own time numbers, read as days (``time_format="relative"``), with a
        :class:`~spacekit.transformer.NoTimeSystemWarning`: periods and durations are right,
        the epoch is in the file's numbers (``to_dict()["time_system"]`` is ``"relative"``
        rather than ``"BJD_TDB"``).
    fit : bool or "auto"
        Fit a limb-darkened transit model to each *detected* planet (:func:`fit_transit`:
        depth, duration, rp/rs, impact parameter, a/rs with uncertainties, in
        ``Planet.fit``). ``"auto"`` (default) fits when batman is installed
        (``spacekit[x]``); True requires it; False skips. The fit's time is
        ``timings["fit_s"]``, apart from the search's.
    full_arrays : bool
        Keep the full-resolution ``raw``, ``flattened`` and ``folded`` light curves in the
        result whatever their length. By default a light curve of more than
        :data:`KEEP_FULL_POINTS` points is kept as binned copies, which is all
        :func:`~spacekit.analyzer.plot_hunt` needs (``HuntResult.binned`` says which).
    progress : bool, optional
        With ``max_planets > 1``, a progress bar over the searches (each can take seconds
        on a long light curve); None (default) follows the ``conf.progress`` setting
        (``SPACEKIT_PROGRESS=0`` turns bars off). A single search shows none.
    **tls_kwargs
        Extra arguments to ``transitleastsquares.power`` (``engine="tls"`` only; with
        ``engine="bls"`` any extra keyword is an :class:`~spacekit.exceptions.InputError`, so a
        misspelt parameter such as ``max_planet=3`` is not silently ignored).

    Returns
    -------
    HuntResult

    Raises
    ------
    InputError
        No usable flux, an unknown engine, or a light curve shorter than two transits of the
        shortest period searched; a ``period_max`` longer than the light curve's span;
        ``oversample`` not a positive number, ``max_planets`` not
        a whole number of at least 1, ``durations`` not positive times, or an unknown keyword.

    Examples
    --------
    >>> import numpy as np
    >>> from spacekit.transformer import LightCurve
    >>> t = 2458000.0 + np.arange(0, 20, 0.01)  # 20 days at a 14.4-minute cadence
    >>> dip = np.abs((t - 2458001.0 + 1.5) % 3.0 - 1.5) < 0.05  # 2.4-h transits every 3 d
    >>> flux = 1 + 5e-4 * np.random.default_rng(0).standard_normal(t.size) - 0.003 * dip
    >>> result = planet_hunter(LightCurve(time=t, flux=flux), fit=False)
    >>> round(float(result.period.to_value("day")), 3), result.detected, result.candidate.n_transits
    (3.001, True, 7)

    A file is read first (``planet_hunter("tess_lc.fits")``; a csv needs ``time_format``).
    """
    t_start = _time.perf_counter()
    max_planets, oversample = _check_settings(
        engine, tls_kwargs, max_planets, fit, objective, oversample, threshold, snr_threshold
    )
    dur = _trial_durations(durations)
    raw = _prepare(lc, time_format=time_format)
    src = str(lc) if isinstance(lc, (str, os.PathLike)) else str(raw.meta.get("source", ""))
    t_raw = raw.time_days()
    baseline = float(t_raw.max() - t_raw.min())
    pmin, pmax = _period_range(baseline, period_min, period_max)
    dur, dmin, dmax = _duration_bounds(dur, pmin, pmax, engine, t_raw)
    del t_raw
    w = _detrend_window(window, pmax, dmax, durations_given=dur is not None)
    # the binned copy the plots need is made before detrending, while only ``raw`` is full
    # size; the full ``raw`` is then freed as soon as the flattened copy exists
    big = not full_arrays and len(raw) > KEEP_FULL_POINTS
    raw_b = raw.bin(baseline / KEEP_FULL_POINTS) if big else None
    if flatten and big:  # raw is this call's own copy, needed only binned from here
        flat = _finite(raw._flatten_in_place(w, KEEP_FULL_POINTS))
    else:
        flat = _finite(raw.flatten(w)) if flatten else raw.remove_nans()
    t_detrend = _time.perf_counter() - t_start
    binned = not full_arrays and len(flat) > KEEP_FULL_POINTS
    if binned:  # all the plots need: the full copy need not live through the search
        raw = raw_b
    del raw_b
    ref, t, y, dy = _search_arrays(flat)
    cadence = _sorted_cadence(t)
    searched = _binned_for_search(t, y, dy, engine, cadence, dmin / 3)
    t_search0 = _time.perf_counter()
    signals = _find_signals(
        t,
        y,
        searched,
        ref,
        max_planets=max_planets,
        threshold=threshold,
        snr_threshold=snr_threshold,
        progress=progress,
        search_kw={
            "engine": engine,
            "period_min": pmin,
            "period_max": pmax,
            "durations": dur,
            "oversample": oversample,
            "objective": objective,
            "tls_kwargs": tls_kwargs,
        },
    )
    t_search = _time.perf_counter() - t_search0
    del searched
    t_fit0 = _time.perf_counter()
    if signals.planets and fit is not False and (fit is True or _has_module("batman")):
        _fit_planets(signals.planets, t, y, dy, ref, cadence)
    t_fit = _time.perf_counter() - t_fit0
    del t, y, dy  # what the result keeps, and no more
    candidate = signals.candidate
    raw, flat, folded = _plot_copies(raw, flat, candidate, baseline, binned)
    return HuntResult(
        candidate=candidate,
        planets=signals.planets,
        periodogram=signals.searches[signals.candidate_search],
        folded=folded,
        flattened=flat,
        raw=raw,
        binned=binned,
        threshold=float(threshold),
        engine=engine,
        timings={
            "detrend_s": t_detrend,
            "search_s": t_search,
            "fit_s": t_fit,
            "total_s": _time.perf_counter() - t_start,
        },
        searches=signals.searches,
        source=src,
        rejected=signals.rejected,
    )


def _finite(flat: LightCurve) -> LightCurve:
    """``flat.remove_nans()``, without its full-size copy when there is nothing to drop
    (``flat`` is planet_hunter's own: its history gets the same line)."""
    f = flat._values("flux")
    err = flat._values("flux_err") if "flux_err" in flat.colnames else None
    if all(
        np.isfinite(f[a:b]).all() and (err is None or np.isfinite(err[a:b]).all())
        for a, b in _blocks(f.size)
    ):
        flat.meta["history"] = list(flat.meta.get("history", [])) + ["remove_nans: dropped 0 rows"]
        return flat
    return flat.remove_nans()


@dataclass
class _Signals:
    """What the searches of one light curve found (see :class:`HuntResult`)."""

    planets: list[Planet]
    rejected: list[Planet]
    searches: list[Periodogram]
    candidate: Planet
    candidate_search: int


def _find_signals(
    t: np.ndarray,
    y: np.ndarray,
    binned: tuple[np.ndarray, np.ndarray, np.ndarray],
    ref: Any,
    *,
    max_planets: int,
    threshold: float,
    snr_threshold: float,
    search_kw: dict[str, Any],
    progress: bool | None = None,
) -> _Signals:
    """Search, vet, mask and search again (module docstring, step 6) until a signal fails
    for a reason other than :data:`_MASKABLE`, ``max_planets`` are found, or too little data
    is left. ``binned`` is what is searched; ``(t, y)`` what is vetted."""
    from ..utils.progress import progress as progress_bar

    bar = progress_bar(
        total=max_planets,
        desc="planet_hunter",
        unit="search",
        enabled=False if max_planets == 1 else progress,
    )
    try:
        return _search_loop(
            t, y, binned, ref, max_planets, threshold, snr_threshold, search_kw, bar
        )
    finally:
        done = getattr(bar, "n", None)
        if done is not None and done < max_planets:  # stopped early: the bar ends full
            bar.total = done
            bar.refresh()
        bar.close()


def _search_loop(
    t: np.ndarray,
    y: np.ndarray,
    binned: tuple[np.ndarray, np.ndarray, np.ndarray],
    ref: Any,
    max_planets: int,
    threshold: float,
    snr_threshold: float,
    search_kw: dict[str, Any],
    bar: Any,
) -> _Signals:
    """:func:`_find_signals`' loop, counting each search on ``bar``."""
    tb, yb, dyb = binned
    pmin = search_kw["period_min"]
    t_first = t.min()
    keep = np.ones(tb.size, dtype=bool)
    keep_full = np.ones(t.size, dtype=bool)
    planets: list[Planet] = []
    rejected: list[Planet] = []
    searches: list[Periodogram] = []
    first_search: tuple[Planet, int] | None = None
    first_detected: tuple[Planet, int] | None = None
    while len(planets) < max_planets:
        if keep.sum() < 20 or float(tb[keep].max() - tb[keep].min()) < 2 * pmin:
            break
        found = _search_once(tb[keep], yb[keep], dyb[keep], **search_kw)
        k = len(searches)
        searches.append(
            Periodogram(
                {
                    "period": found["periods"] * u.day,
                    "power": found["power"],
                    "significance": found["sde_arr"],
                }
            )
        )
        P, d = found["period"], found["duration"]
        # epoch: the first transit mid-time at or after the first timestamp
        t0 = found["t0"] - np.floor((found["t0"] - t_first) / P) * P
        full = keep_full.all()  # nothing masked yet: vet the arrays themselves, not copies
        planet = _vetted_planet(
            found,
            t if full else t[keep_full],
            y if full else y[keep_full],
            t0,
            ref,
            threshold,
            snr_threshold,
        )
        log.info("search %d: %s", k + 1, planet)
        bar.update(1)
        if hasattr(bar, "set_postfix_str"):
            bar.set_postfix_str(f"{len(planets) + planet.detected} found", refresh=False)
        if first_search is None:
            first_search = (planet, k)
        if planet.detected and not planets:
            first_detected = (planet, k)
        if planet.detected:
            planets.append(planet)
            epochs = None
        else:
            rejected.append(planet)
            # real dips that are not one periodic signal (single transits of different
            # planets paired up, transits of unequal depth): mask them and search on, so
            # they do not hide weaker periodic planets. Noise or stellar variability ends
            # the search.
            failed = planet.vetting["failed"]
            if set(failed) - _MASKABLE or len(rejected) > _MAX_MASKED_REJECTIONS:
                break
            epochs = _real_dips(planet.vetting)
        keep &= ~_transit_mask(tb, P, d, t0, 2.0, epochs=epochs)
        keep_full &= ~_transit_mask(t, P, d, t0, 2.0, epochs=epochs)
    assert first_search is not None
    # the result's headline: the first detected planet, else the first search's best signal
    candidate, cand_search = first_detected or first_search
    return _Signals(planets, rejected, searches, candidate, cand_search)


def _vetted_planet(
    found: dict[str, Any],
    t: np.ndarray,
    y: np.ndarray,
    t0: float,
    ref: Any,
    threshold: float,
    snr_threshold: float,
) -> Planet:
    """The best signal of one search as a :class:`Planet`, with its vetting and verdict."""
    P, d, depth = found["period"], found["duration"], float(found["depth"])
    vet = vet_transit(t, y, P, d, t0, depth)
    failed = _failed_checks(float(found["sde"]), vet, threshold, snr_threshold)
    vet["failed"] = failed
    return Planet(
        period=P * u.day,
        epoch=ref + TimeDelta(t0, format="jd"),
        duration=d * u.day,
        depth=depth,
        peak_significance=float(found["sde"]),
        snr=float(vet["snr"]),
        n_transits=int(vet["n_transits"]),
        detected=not failed,
        vetting=vet,
        tls=_tls_absolute_times(found.get("tls"), ref),
    )


def _real_dips(vet: dict[str, Any]) -> list[int]:
    """Epochs of a rejected signal's transits that are real dips (3 sigma): only those are
    masked, not every epoch of a period that is not real (a predicted transit without a dip
    may hold another planet's)."""
    return [
        e
        for e, depth in zip(vet["transit_epochs"], vet["transit_depths"], strict=True)
        if depth > 3 * vet["transit_depth_error"]
    ]


def _fit_planets(
    planets: list[Planet],
    t: np.ndarray,
    y: np.ndarray,
    dy: np.ndarray,
    ref: Any,
    cadence: float,
) -> None:
    """Fit each detected planet's transits (:func:`fit_transit`, into ``Planet.fit``), on
    its own transits and the data away from every other planet's."""
    others = np.zeros(t.size, dtype=bool)
    spans = [(pl, float((pl.epoch - ref).jd)) for pl in planets]  # t0 in the search's days
    for pl, pt0 in spans:
        others |= _transit_mask(t, pl.period.to_value(u.day), pl.duration.to_value(u.day), pt0, 2.0)
    for pl, pt0 in spans:
        P, d = pl.period.to_value(u.day), pl.duration.to_value(u.day)
        own = _transit_mask(t, P, d, pt0, 4.0)
        use = ~others | own
        try:
            pl.fit = fit_transit(
                t[use], y[use], dy[use], P, pt0, d, pl.depth, cadence=float(cadence)
            )
        except (InputError, ValueError, np.linalg.LinAlgError) as exc:
            log.info("transit fit of the %.5f d planet failed: %s", P, exc)


#: Seed-style alias with a descriptive name.
find_planets = planet_hunter

#: A :class:`HuntResult` keeps light curves of up to this many points whole; longer ones as
#: binned copies (``planet_hunter(full_arrays=True)`` keeps them whole whatever their length).
KEEP_FULL_POINTS = 50_000


def _plot_copies(
    raw: LightCurve, flat: LightCurve, candidate: Planet, baseline: float, binned: bool
) -> tuple[LightCurve, LightCurve, LightCurve]:
    """(raw, flattened, folded) as the result keeps them: whole unless ``binned``, else
    ``flat`` binned in time to ``KEEP_FULL_POINTS`` points (``raw`` already is, see
    :func:`planet_hunter`) and, for the folded copy, to a tenth of the transit duration (at
    most four times as many points) before folding."""
    if not binned:
        return raw, flat, flat.fold(candidate.period, candidate.epoch)
    width = baseline / KEEP_FULL_POINTS
    flat_b = flat.bin(width)
    fine = max(float(candidate.duration.to_value(u.day)) / 10, width / 4)
    source = flat_b if fine >= width else flat.bin(fine)
    return raw, flat_b, source.fold(candidate.period, candidate.epoch)


def _hunt_one(item: Any, kwargs: dict) -> dict[str, Any]:
    name = (
        str(item)
        if isinstance(item, (str, os.PathLike))
        else str(
            getattr(item, "meta", {}).get("source", "")
            or getattr(item, "meta", {}).get("target", "")
        )
    )
    try:  # hunt_many's own bar counts light curves: none per search inside
        res = planet_hunter(item, **{"progress": False, **kwargs})
    except Exception as exc:  # one bad file must not crash the batch
        return {"file": name, "error": f"{type(exc).__name__}: {exc}"}
    out = dict(res.to_dict())  # a plain dict: pandas reads every key, "sde" included
    out["file"] = name
    out["error"] = None
    return out


def _check_batch_settings(kwargs: dict) -> None:
    """planet_hunter's settings checked once, before a batch: a misspelt keyword or a bad
    value is the caller's mistake for every item, not one error row per light curve."""
    import inspect

    try:
        bound = inspect.signature(planet_hunter).bind(None, **kwargs)
    except TypeError as exc:  # e.g. lc= among the settings
        raise InputError(
            f"hunt_many: {exc}; pass the light curves as its first argument."
        ) from None
    bound.apply_defaults()
    a = bound.arguments
    _check_settings(
        a["engine"],
        a["tls_kwargs"],
        a["max_planets"],
        a["fit"],
        a["objective"],
        a["oversample"],
        a["threshold"],
        a["snr_threshold"],
    )
    _trial_durations(a["durations"])


def hunt_many(
    items: Iterable[Any],
    client: Any = None,
    *,
    scheduler: str | None = None,
    progress: bool | None = None,
    **kwargs: Any,
):
    """Run :func:`planet_hunter` over many light curves with Dask; return a DataFrame.

    Parameters
    ----------
    items : iterable of paths or LightCurve
        What to search.
    client : distributed.Client, distributed.LocalCluster or str, optional
        A ``distributed`` client or cluster, or a scheduler address such as
        ``"tcp://host:8786"`` to connect to. None (default) runs in this process with Dask's
        threaded scheduler (:func:`spacekit.utils.parallel.run_tasks`).
    scheduler : str, optional
        In-process Dask scheduler when ``client`` is None: ``"threads"`` (default),
        ``"synchronous"`` or ``"processes"``.
    progress : bool, optional
        Show a progress bar (default: the ``conf.progress`` setting).
    **kwargs
        Passed to :func:`planet_hunter` (e.g. ``max_planets``, ``time_format``), and
        checked once before any search: a misspelt keyword or a bad value raises an
        :class:`~spacekit.exceptions.InputError` rather than filling every row's ``error``.

    Returns
    -------
    pandas.DataFrame
        One row per item, in order: ``file``, ``period``, ``epoch``, ``duration``, ``depth``,
        ``peak_significance``, ``sde`` (the same; its former name), ``snr``, ``n_transits``,
        ``detected``, ``planets`` and ``error`` (None, or ``"ExceptionType: message"`` for an
        item that failed; its other values are NaN).

    Examples
    --------
    >>> import numpy as np
    >>> from spacekit.transformer import LightCurve
    >>> t = 2458000.0 + np.arange(0, 20, 0.01)  # 20 days at a 14.4-minute cadence
    >>> dip = np.abs((t - 2458001.0 + 1.5) % 3.0 - 1.5) < 0.05  # 2.4-h transits every 3 d
    >>> flux = 1 + 5e-4 * np.random.default_rng(0).standard_normal(t.size) - 0.003 * dip
    >>> lcs = [LightCurve(time=t, flux=flux), LightCurve(time=t, flux=flux[::-1])]
    >>> table = hunt_many(lcs, scheduler="synchronous", progress=False, fit=False)
    >>> table["period"].round(2).tolist(), table["detected"].tolist()
    ([3.0, 3.0], [True, True])

    Paths work the same way; on a cluster, pass its client or scheduler address
    (``hunt_many(paths, client="tcp://scheduler:8786")``).
    """
    import pandas as pd

    from ..utils.parallel import run_tasks

    if isinstance(items, (str, os.PathLike)) or _as_lightcurve(items) is not None:
        what = "path" if isinstance(items, (str, os.PathLike)) else "light curve"
        raise InputError(
            f"hunt_many takes a list of light curves or paths; got a single {what} "
            f"({str(items)[:80]!r}), which it would search item by item (each character or "
            f"row). Pass [it], or search it with planet_hunter."
        )
    _check_batch_settings(kwargs)
    records = run_tasks(
        _hunt_one,
        [(it, kwargs) for it in items],
        client=client,
        scheduler=scheduler or "threads",
        progress=progress,
        desc="planet_hunter",
        unit="lc",
    )
    cols = [
        "file",
        "period",
        "epoch",
        "duration",
        "depth",
        "peak_significance",
        "sde",
        "snr",
        "n_transits",
        "detected",
        "planets",
        "error",
    ]
    return pd.DataFrame.from_records(list(records), columns=cols)

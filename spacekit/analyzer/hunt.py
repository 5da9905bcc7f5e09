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
   without a dip where the others say one would show at 3 sigma). The rise and flatness checks reject stellar
   variability that survives detrending (spotted or flaring stars), which BLS otherwise
   reports with a high SDE; the depth checks reject single transits of different planets
   that the search pairs into one period (Kepler-90 g and h as a 114.6 d "planet"; in
   Kepler-90's Q3 alone, three dips of different planets at 19.9 d with an empty fourth).
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
false-alarm probability, rp/rs and transit times in ``Planet.tls``. The robust spread keeps a strong signal's own aliases from inflating the
noise estimate, which hides planets seen in few transits with a plain standard deviation.
"""

from __future__ import annotations

import logging
import os
import time as _time
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import astropy.units as u
import numpy as np
from astropy.table import Table
from astropy.time import Time, TimeDelta

from ..exceptions import InputError
from ..transformer.lightcurve import LightCurve, to_days
from ..utils.checks import positive_number, whole_number
from ..utils.stats import robust_std

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
#: periodogram), calibrated for itself by ``benchmarks/bench_hunt_calibration.py``: null
#: searches of the shared light curves made transit-free (flux time-shuffled, or inverted
#: and rolled) and injection-recovery into them. 12 is the highest threshold that keeps
#: every published planet of the shared light curves (the weakest, Kepler-90 e in the
#: stitched quarters, scores 14.2). Over ~1,200 null searches the full detection rule (this
#: threshold and the vetting) then fires on ~6% of them, almost all shuffled Kepler-90 Q5
#: (deep single-cadence outliers scattered by the shuffle, which pass the vetting), and on
#: ~0.4% of the others (~1.2% at 9); the statistic alone reaches 12 in about a quarter of
#: them, so the vetting does most of the rejecting. No threshold on this statistic reaches a
#: false-alarm probability near 1e-4 while keeping Kepler-90 d and e (the highest null false
#: alarm scores 37.2; the null tail extrapolates to 1e-4 near 85). ``benchmarks/RESULTS.md``
#: has the command, the counts and the injection recovery.
SIGNIFICANCE_THRESHOLD = 12.0

_RENAMED = (
    "the statistic is a robust z-score of the periodogram peak, not transitleastsquares's "
    "SDE (renamed in spacekit 2.0; the old name goes in the next release)"
)


def _deprecated(old: str, new: str) -> None:
    warnings.warn(f"{old} is deprecated, use {new}: {_RENAMED}.", DeprecationWarning, stacklevel=3)


def __getattr__(name: str) -> Any:
    if name == "SDE_THRESHOLD":
        _deprecated("SDE_THRESHOLD", "SIGNIFICANCE_THRESHOLD")
        return SIGNIFICANCE_THRESHOLD
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _Record(dict):
    """A ``to_dict`` record whose deprecated ``"sde"`` key still reads, with a warning."""

    def __getitem__(self, key: Any) -> Any:
        if key == "sde":
            _deprecated('the "sde" key', '"peak_significance"')
        return super().__getitem__(key)

    def get(self, key: Any, default: Any = None) -> Any:
        if key == "sde":
            _deprecated('the "sde" key', '"peak_significance"')
        return super().get(key, default)


class Periodogram(Table):
    """The periodogram of one search (columns ``period``, ``power``, ``significance``): an
    astropy Table whose deprecated ``"sde"`` column name still reads ``"significance"``."""

    def __getitem__(self, item: Any) -> Any:
        if isinstance(item, str) and item == "sde" and "sde" not in self.colnames:
            _deprecated('the periodogram column "sde"', '"significance"')
            item = "significance"
        return super().__getitem__(item)


#: Default threshold on the red-noise signal-to-noise ratio (:func:`vet_transit`); 7.1 is the
#: Kepler pipeline's multiple-event-statistic threshold.
SNR_THRESHOLD = 7.1


@dataclass
class Planet:
    """One periodic transit signal found by :func:`planet_hunter`.

    Attributes
    ----------
    period : Quantity
        Orbital period (days).
    epoch : Time
        Mid-time of the first transit within the data (BJD, scale of the light curve).
    duration : Quantity
        Transit duration (days).
    depth : float
        Fractional depth (0.01 = 1 %, not ppm).
    peak_significance : float
        How far the periodogram peak stands above the rest: the detrended power at the peak
        in robust standard deviations (module docstring). This is *not* transitleastsquares'
        SDE (a mean/standard-deviation normalisation of TLS's own spectrum; K2-3 b scores
        about 146 here and 45 in TLS): ``sde`` is kept as an alias for compatibility, and
        with ``engine="tls"`` TLS's own SDE is ``tls["sde"]``.
    snr : float
        Depth over the red noise on the transit's time scale, times sqrt(``n_transits``).
    n_transits : int
        Transits with at least one data point.
    detected : bool
        Whether the signal passes every detection check (see the module docstring).
    vetting : dict
        The values of those checks (:func:`vet_transit`).
    period_aliases : Quantity
        Longer periods (multiples of ``period``) that fit the transits the data cover
        equally well, because only every m-th transit fell on data; empty when the data
        rule them out. A planet with aliases needs more data (or the published ephemeris)
        to pin its period.
    tls : dict or None
        With ``engine="tls"``, transitleastsquares' own statistics for this signal: ``sde``
        (TLS's SDE, on which its threshold of 9 means a false-alarm probability below
        1e-4), ``fap``, ``rp_rs``, ``snr``, ``odd_even_mismatch``, ``transit_count``,
        ``distinct_transit_count`` and ``transit_times`` (mid-times, Julian dates in the
        light curve's scale); None with ``engine="bls"``.
    fit : dict or None
        For a detected planet, the limb-darkened transit fit (:func:`fit_transit`):
        ``depth``, ``duration``, ``rp_rs``, ``b``, ``a_rs``, ``inc_deg`` with ``_err``
        uncertainties, ``chi2_red``...; None when not fitted (not detected, ``fit=False``,
        or batman not installed).
    """

    period: u.Quantity
    epoch: Time
    duration: u.Quantity
    depth: float
    peak_significance: float
    snr: float
    n_transits: int
    detected: bool
    vetting: dict = field(default_factory=dict)
    tls: dict | None = None
    fit: dict | None = None

    @property
    def sde(self) -> float:
        """Deprecated alias of :attr:`peak_significance` (the name it had; not TLS's SDE)."""
        _deprecated("Planet.sde", "Planet.peak_significance")
        return self.peak_significance

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values: period and duration in days, epoch as a BJD float.

        ``sde`` repeats ``peak_significance`` (its former name, deprecated: reading it from the
        returned dict warns); ``tls`` is present with
        ``engine="tls"``, ``fit`` (without the model curve) for a fitted planet.

        Examples
        --------
        >>> p = Planet(3 * u.day, Time(2458326.2, format="jd", scale="tdb"), 0.1 * u.day,
        ...            0.01, 20.0, 30.0, 8, True)
        >>> p.to_dict()["epoch"]
        2458326.2
        """
        return _Record(
            {
                "period": float(self.period.to_value(u.day)),
                "epoch": float(self.epoch.tdb.jd)
                if self.epoch.scale not in ("tdb", "local")
                else float(self.epoch.jd),
                "duration": float(self.duration.to_value(u.day)),
                "depth": float(self.depth),
                "peak_significance": float(self.peak_significance),
                "sde": float(self.peak_significance),
                "snr": float(self.snr),
                "n_transits": int(self.n_transits),
                "detected": bool(self.detected),
                "period_aliases": self.period_aliases.to_value(u.day).tolist(),
                "failed": list(self.vetting.get("failed", [])),
                **({"tls": dict(self.tls)} if self.tls is not None else {}),
                **(
                    {"fit": {k: v for k, v in self.fit.items() if not k.startswith("model_")}}
                    if self.fit is not None
                    else {}
                ),
            }
        )

    @property
    def period_aliases(self) -> u.Quantity:
        """Periods ``m * period`` (days) as consistent with the data as ``period`` itself."""
        return np.asarray(self.vetting.get("alias_multiples", []), dtype=float) * self.period


@dataclass
class HuntResult:
    """What :func:`planet_hunter` found.

    The scalar attributes (``period``, ``epoch``, ``duration``, ``depth``,
    ``peak_significance``,
    ``detected``) describe ``candidate``: the first detected planet, or, when none is
    detected, the first search's best signal; ``planets`` lists the detected signals in the
    order found (each after masking the previous ones), ``rejected`` the strong signals that
    failed vetting as real dips that are not one periodic transit (masked before searching
    on), with the reasons in ``vetting["failed"]``.

    Attributes
    ----------
    candidate : Planet
        The first detected planet, else the best signal of the first search.
    planets : list of Planet
        Detected planets.
    periodogram : astropy.table.Table
        Columns ``period`` (d), ``power`` and ``significance`` (the detrended, normalised
        power; ``"sde"`` still reads it, deprecated) of the
        search that found ``candidate``.
    folded : LightCurve
        The detrended light curve folded on the candidate.
    flattened : LightCurve
        The detrended light curve that was searched.
    raw : LightCurve
        The normalised light curve before detrending.
    threshold : float
        Peak-significance threshold used.
    engine : str
        ``"bls"`` or ``"tls"``.
    timings : dict
        Seconds spent detrending (``detrend_s``), searching (``search_s``), fitting the
        detected planets' transits (``fit_s``) and in total.
    searches : list of astropy.table.Table
        Periodogram of every search (one per signal examined).
    rejected : list of Planet
        Signals examined and not detected, in order (the last one ended the search unless
        ``max_planets`` were found).
    binned : bool
        True when ``raw``, ``flattened`` and ``folded`` are binned copies (a light curve of
        more than :data:`KEEP_FULL_POINTS` points: ``raw`` and ``flattened`` binned to that
        many, ``folded`` to a tenth of the transit duration), which is what the plots need;
        ``planet_hunter(..., full_arrays=True)`` keeps the full ones.
    """

    candidate: Planet
    planets: list[Planet]
    periodogram: Any
    folded: LightCurve
    flattened: LightCurve
    raw: LightCurve
    threshold: float
    engine: str
    timings: dict[str, float] = field(default_factory=dict)
    searches: list[Any] = field(default_factory=list)
    source: str = ""
    rejected: list[Planet] = field(default_factory=list)
    binned: bool = False

    @property
    def period(self) -> u.Quantity:
        return self.candidate.period

    @property
    def epoch(self) -> Time:
        return self.candidate.epoch

    @property
    def duration(self) -> u.Quantity:
        return self.candidate.duration

    @property
    def depth(self) -> float:
        return self.candidate.depth

    @property
    def peak_significance(self) -> float:
        return self.candidate.peak_significance

    @property
    def sde(self) -> float:
        """Deprecated alias of :attr:`peak_significance` (not TLS's SDE)."""
        _deprecated("HuntResult.sde", "HuntResult.peak_significance")
        return self.candidate.peak_significance

    @property
    def snr(self) -> float:
        return self.candidate.snr

    @property
    def detected(self) -> bool:
        return self.candidate.detected

    def to_dict(self) -> dict[str, Any]:
        """The ``spacekit hunt --json`` record: candidate values plus ``planets``.

        Examples
        --------
        >>> sorted(result.to_dict())  # doctest: +SKIP
        ['depth', 'detected', 'duration', 'epoch', 'failed', 'file', 'n_transits', 'peak_significance', 'period', 'period_aliases', 'planets', 'rejected', 'sde', 'snr', 'time_system']
        """
        out = _Record({"file": self.source, **self.candidate.to_dict()})
        out["planets"] = [p.to_dict() for p in self.planets]
        out["rejected"] = [p.to_dict() for p in self.rejected]
        out["time_system"] = "relative" if self.candidate.epoch.scale == "local" else "BJD_TDB"
        return out

    def _repr_html_(self) -> str | None:
        """Notebook view: the candidate, each detection check and the folded light curve."""
        from ..utils.display import hunt_result_html

        return hunt_result_html(self)

    def __repr__(self) -> str:
        c = self.candidate
        return (
            f"HuntResult(period={c.period.to_value(u.day):.6f} d, epoch={c.epoch.jd:.5f}, "
            f"depth={c.depth:.3g}, peak_significance={c.peak_significance:.1f}, "
            f"detected={c.detected}, "
            f"planets={len(self.planets)}, engine={self.engine!r})"
        )


def transit_duration_range(period: Any, cadence: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Shortest and longest transit durations (days) searched at ``period`` (days).

    A central transit of a Sun-density star lasts ``13 h * (P / 365.25 d)**(1/3)``; the range
    searched is 0.3 to 2.5 times that (dense M dwarfs, grazing transits, evolved stars), at
    least 30 minutes and two cadences, and at most a quarter of the period.

    Examples
    --------
    >>> lo, hi = transit_duration_range(10.0)
    >>> round(float(lo) * 24, 2), round(float(hi) * 24, 2)
    (1.18, 9.8)
    """
    p = np.asarray(period, dtype=float)
    dsun = 13.0 / 24.0 * (p / 365.25) ** (1 / 3)
    lo = np.maximum(0.3 * dsun, max(2.0 * cadence, 0.5 / 24))
    hi = np.maximum(np.minimum(2.5 * dsun, p / 4), 1.5 * lo)
    return lo, hi


def period_grid(
    baseline: float,
    period_min: float,
    period_max: float,
    duration_min: float | None = None,
    *,
    oversample: float = 2.0,
    cadence: float = 0.0,
) -> np.ndarray:
    """Trial periods (days) spaced by what a light curve of ``baseline`` days resolves.

    Consecutive periods differ by ``dP = P * d(P) / (oversample * baseline)``: over the whole
    baseline, the predicted transit moves by ``d(P) / oversample``, a fraction of the
    shortest transit duration ``d(P)`` searched at that period (``duration_min`` when given,
    else the lower bound of :func:`transit_duration_range`, which grows as ``P**(1/3)``).

    Examples
    --------
    >>> g = period_grid(27.0, 0.5, 13.5)
    >>> bool(g[0] == 0.5 and g[-1] == 13.5 and np.all(np.diff(g) > 0))
    True
    >>> len(g) < len(period_grid(27.0, 0.5, 13.5, oversample=4))
    True
    """
    baseline = to_days(baseline, "baseline")
    period_min = to_days(period_min, "period_min")
    period_max = to_days(period_max, "period_max")
    if duration_min is not None:
        duration_min = to_days(duration_min, "duration_min")
        if not duration_min > 0:
            raise InputError(f"duration_min must be a positive number of days; got {duration_min}.")
    _check_oversample(oversample)
    if not (period_max > period_min > 0):
        raise InputError(
            f"expected 0 < period_min < period_max; got period_min={period_min}, "
            f"period_max={period_max} days."
        )
    if not baseline > 0:
        raise InputError(f"baseline must be positive; got {baseline} days.")
    out = [float(period_min)]
    p = float(period_min)
    scale = 1.0 / (oversample * baseline)
    floor = max(2.0 * cadence, 0.5 / 24)
    while p < period_max:
        if duration_min is not None:
            d = float(duration_min)
        else:
            d = max(0.3 * 13.0 / 24.0 * (p / 365.25) ** (1 / 3), floor)
        p += p * d * scale
        out.append(p)
    grid = np.asarray(out)
    grid = grid[grid < period_max]
    return np.append(grid, float(period_max))


def _check_oversample(oversample: Any) -> float:
    """``oversample`` must be a finite positive number: zero divides by zero and a negative
    value makes the period grid run backwards forever."""
    return positive_number(
        oversample,
        "oversample",
        unit=(" (trial periods move the last transit by duration / oversample; 2 is the default)"),
    )


def _sde(power: np.ndarray, window: int = 0) -> tuple[np.ndarray, float, int]:
    """Detrend ``power`` by a running median, normalise to SDE; return (sde array, peak, idx)."""
    p = np.asarray(power, dtype=float)
    p = np.where(np.isfinite(p), p, np.nanmin(p[np.isfinite(p)]) if np.isfinite(p).any() else 0)
    n = p.size
    if n < 3:
        return np.zeros(n), 0.0, int(np.argmax(p)) if n else 0
    if window <= 0:
        window = max(3, min(n // 10, 501) | 1)
    if n > 3 * window:
        from scipy.ndimage import median_filter

        trend = median_filter(p, size=window, mode="nearest")
        sr = p - trend
    else:
        sr = p - np.median(p)
    med = np.median(sr)
    std = robust_std(sr)
    if not std > 0:
        std = np.std(sr)
    if not std > 0:
        return np.zeros(n), 0.0, int(np.argmax(p))
    s = (sr - med) / std
    i = int(np.argmax(s))
    return s, float(s[i]), i


def _prepare(lc: Any, *, time_format: str | None) -> LightCurve:
    """Read if needed, drop NaNs, sort by time, normalise and clip upward outliers."""
    if not isinstance(lc, LightCurve):
        if isinstance(lc, (str, os.PathLike)):
            from ..transformer import read_lightcurve

            if time_format is None and _is_text_file(lc):
                import warnings

                from ..transformer.readers import NoTimeSystemWarning

                warnings.warn(
                    f"{os.fspath(lc)!r} has no time system (a csv has no header to say it), so "
                    "it is searched in its own time numbers, read as days: periods and "
                    "durations hold, but the epoch is in the file's numbers, not a BJD. Pass "
                    "time_format= ('bkjd' for Kepler/K2, 'btjd' for TESS, 'bjd', 'jd', 'mjd') "
                    "for absolute epochs.",
                    NoTimeSystemWarning,
                    stacklevel=3,
                )
                time_format = "relative"
            lc = read_lightcurve(lc, time_format=time_format)
        elif hasattr(lc, "time") and hasattr(lc, "flux") and hasattr(lc, "meta"):
            lc = LightCurve.from_lightkurve(lc)
        else:
            raise InputError(
                f"planet_hunter expects a LightCurve, a lightkurve LightCurve or a file path; "
                f"got {type(lc).__name__}."
            )
    if lc.is_folded:
        raise InputError("planet_hunter needs a time-ordered light curve, not a folded one.")
    clean = lc.remove_nans()
    if len(clean) < 20:
        raise InputError(
            f"planet_hunter needs at least 20 finite flux values; this light curve has "
            f"{len(clean)} of {len(lc)} (all-NaN flux or an aggressive quality mask?)."
        )
    t = clean.time_days()
    if np.any(np.diff(t) < 0):  # binning and epochs count from the first row: sort by time
        clean = clean._derive(np.argsort(t, kind="stable"), "planet_hunter: sorted by time")
    return clean.normalize().remove_outliers(5.0)


#: Vetting limits (see :func:`vet_transit` for what each value measures).
MAX_SINGLE_EVENT_FRACTION = 0.8
MAX_BUMP_RATIO = 0.5
MAX_OOT_STRUCTURE = 0.2
#: Transits of one planet share a depth. A signal is dips of different bodies paired up when
#: its covered transits' depths differ both significantly and by much: reduced chi-square
#: of the per-transit depths above 9 (3 sigma) with one transit more than 50% off the mean,
#: or above 25 (5 sigma) with one more than 30% off. (Detrending leaves real transits of one
#: planet up to ~3.5 sigma and ~35% apart: Kepler-90 e's two in the shared quarters.)
DEPTH_CONSISTENCY_LIMITS = ((9.0, 0.5), (25.0, 0.3))
#: Rejections that are real dips but not one periodic signal: their transits are masked and
#: the search goes on (at most this many times), so they do not hide weaker planets.
_MASKABLE = {"single_event", "depth_consistency", "missing_transit"}
_MAX_MASKED_REJECTIONS = 2


def _failed_checks(
    significance: float, vet: dict, threshold: float, snr_threshold: float
) -> list[str]:
    """Names of the detection checks a signal fails (empty: detected)."""
    failed = []
    if not significance >= threshold:
        failed.append("peak_significance")
    if not vet["snr"] >= snr_threshold:
        failed.append("snr")
    if not vet["n_transits"] >= 2:
        failed.append("n_transits")
    if not vet["single_event_fraction"] <= MAX_SINGLE_EVENT_FRACTION:
        failed.append("single_event")
    if not vet["bump_ratio"] < MAX_BUMP_RATIO:
        failed.append("bump")
    if not vet["oot_structure"] < MAX_OOT_STRUCTURE:
        failed.append("oot_structure")
    if any(
        vet["depth_chi2"] > chi2 and vet["depth_spread"] > spread
        for chi2, spread in DEPTH_CONSISTENCY_LIMITS
    ):
        failed.append("depth_consistency")
    if vet.get("missing_transits", 0) > 0:
        failed.append("missing_transit")
    return failed


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def _is_text_file(path: Any) -> bool:
    """A file that is not FITS (by name or magic bytes): a csv or text light curve."""
    name = os.fspath(path).lower()
    if name.endswith((".fits", ".fit", ".fts", ".fits.gz", ".fit.gz")):
        return False
    try:
        with open(path, "rb") as fh:
            return fh.read(9) != b"SIMPLE  ="
    except OSError:
        return False  # read_lightcurve says what is wrong


def vet_transit(
    t: np.ndarray, y: np.ndarray, period: float, duration: float, t0: float, depth: float
) -> dict[str, float]:
    """Checks that separate a periodic transit from noise and stellar variability.

    Returns ``n_transits`` (transits with at least half their expected points),
    ``snr`` (depth over the scatter of out-of-transit flux averaged over one duration,
    times the square root of ``n_transits``: a signal-to-noise that counts red noise),
    ``single_event_fraction`` (the largest single transit's share of the summed depths),
    ``bump_ratio`` (the highest box-shaped *rise* in the folded light curve over the
    depth: near 1 for quasi-sinusoidal variability, small for transits) and
    ``oot_structure`` (the robust scatter of the folded light curve's binned levels away
    from the transit, over the depth), and ``alias_multiples``: the factors m > 1 for which
    every transit the data cover (at least half its expected points) is an m-th one, so that
    the period ``m * period`` fits the same data (divisors of the greatest common divisor of
    the covered transits' distances in periods); ``depth_chi2``, the reduced chi-square of
    the covered transits' depths about their weighted mean (each with the red noise of a
    duration-long average), and ``depth_spread``, the largest departure of one transit's
    depth from that mean over the mean: one planet's transits share a depth, while two
    single transits of different planets paired up by the search (Kepler-90 g and h at
    114.6 d) do not. ``t`` (days) and ``y`` may be in any order
    and may repeat timestamps; with a non-positive depth, period or duration, or fewer than 10
    points, every check holds its failing value (0 transits, infinite ratios).

    Examples
    --------
    >>> t = np.arange(0, 20, 0.02)
    >>> y = np.where(np.abs((t - 1 + 1.5) % 3 - 1.5) < 0.05, 0.99, 1.0)
    >>> v = vet_transit(t, y + 1e-4 * np.sin(t * 7), 3.0, 0.1, 1.0, 0.01)
    >>> v["n_transits"], v["bump_ratio"] < 0.1
    (7, True)
    >>> v["alias_multiples"]  # transits every 3 days all on data: no longer period fits
    []
    >>> on = t % 6 < 2  # data only on days 0-2, 6-8, 12-14, 18-20: transits at 1, 7, 13, 19
    >>> vet_transit(t[on], y[on], 3.0, 0.1, 1.0, 0.01)["alias_multiples"]  # so 6 d fits too
    [2]
    """
    out = {
        "n_transits": 0,
        "snr": 0.0,
        "single_event_fraction": 1.0,
        "bump_ratio": np.inf,
        "oot_structure": np.inf,
        "alias_multiples": [],
        "depth_chi2": np.inf,
        "depth_spread": np.inf,
        "missing_transits": 0,
        "transit_epochs": [],
        "transit_depths": [],
        "transit_depth_error": np.inf,
    }
    try:
        t = np.asarray(t, dtype=float).ravel()
        y = np.asarray(y, dtype=float).ravel()
    except (TypeError, ValueError):
        raise InputError("vet_transit needs t and y as arrays of numbers (days, flux).") from None
    if t.shape != y.shape:
        raise InputError(
            f"vet_transit needs one flux value per time; got {t.size} times and {y.size} fluxes."
        )
    if not (depth > 0 and period > 0 and duration > 0) or t.size < 10:
        return out
    # cadence from distinct sorted times: repeated timestamps are not a 0-day cadence
    steps = np.diff(t)
    if np.all(steps >= 0):  # sorted (planet_hunter's case): no sort needed
        steps = steps[steps > 0]
    else:
        steps = np.diff(np.unique(t))
    if steps.size == 0:
        return out
    cad = float(np.median(steps))
    ph = (t - t0 + 0.5 * period) % period - 0.5 * period
    intr = np.abs(ph) < 0.5 * duration
    oot = np.abs(ph) > duration
    epoch = np.round((t - t0) / period).astype(np.int64)
    expected = max(1.0, duration / cad)
    ep_in, counts = np.unique(epoch[intr], return_counts=True)
    full = ep_in[counts >= 0.5 * expected]
    depths = np.array([1 - np.mean(y[intr & (epoch == e)]) for e in full])
    n_tr = int(full.size)
    # red noise: scatter of duration-long averages of out-of-transit flux
    b = np.floor(t[oot] / duration).astype(np.int64)
    if b.size:
        b -= b.min()  # bins span the baseline / duration: bincount, not a sort
    c = np.bincount(b)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.bincount(b, weights=y[oot]) / c
    means = means[c >= max(0.5 * expected, 1e-9)]
    if means.size >= 3:
        sig = robust_std(means)
    else:
        sig = float(np.std(y[oot])) / np.sqrt(expected) if oot.any() else np.inf
    snr = depth / sig * np.sqrt(max(n_tr, 1)) if sig > 0 else np.inf
    pos = np.clip(depths, 0, None)
    single = float(pos.max() / pos.sum()) if pos.sum() > 0 else 1.0
    # do the covered transits share one depth? each transit's depth has the red noise of a
    # duration-long average (more when only part of it has data)
    chi2, spread, missing = 0.0, 0.0, 0
    if n_tr >= 2 and np.isfinite(sig) and sig > 0:
        npts = np.array([np.count_nonzero(intr & (epoch == e)) for e in full], dtype=float)
        w = np.minimum(npts / expected, 1.0) / sig**2
        mean_depth = float(np.sum(w * depths) / np.sum(w))
        err = 1.0 / np.sqrt(w)
        # a covered transit with no dip (under 2 sigma) where the others say one should be
        # seen (more than 3 sigma deeper): the period pairs unrelated dips
        missing = int(np.count_nonzero((depths < 2 * err) & (depths < mean_depth - 3 * err)))
        chi2 = float(np.sum(w * (depths - mean_depth) ** 2) / (n_tr - 1))
        spread = (
            float(np.max(np.abs(depths - mean_depth)) / mean_depth) if mean_depth > 0 else np.inf
        )
    # highest rise in the folded light curve, boxes of one duration
    nb = max(4, int(round(2 * period / duration)))
    idx = np.clip(((ph / period + 0.5) * nb).astype(np.int64), 0, nb - 1)
    cnt = np.bincount(idx, minlength=nb)
    sm = np.bincount(idx, weights=y, minlength=nb)
    ok = cnt > 0
    level = np.full(nb, np.nan)
    level[ok] = sm[ok] / cnt[ok]
    box = 0.5 * (level + np.roll(level, -1))
    base = np.nanmedian(box)
    bump = float(np.nanmax(box) - base) if np.isfinite(box).any() else 0.0
    # structure of the folded light curve away from the transit (variability, not noise)
    centres = (np.arange(nb) + 0.5) / nb - 0.5
    far = ok & (np.abs(centres * period) > duration)
    lv = level[far]
    structure = robust_std(lv) / depth if lv.size >= 3 else 0.0
    gap = int(np.gcd.reduce(np.diff(ep_in[counts >= 0.5 * expected]))) if n_tr >= 2 else 1
    out.update(
        alias_multiples=[m for m in range(2, gap + 1) if gap % m == 0],
        n_transits=n_tr,
        snr=float(snr),
        single_event_fraction=single,
        bump_ratio=max(bump, 0.0) / depth,
        oot_structure=structure,
        depth_chi2=chi2,
        depth_spread=spread,
        missing_transits=missing,
        transit_epochs=[int(e) for e in full],
        transit_depths=[float(x) for x in depths],
        transit_depth_error=float(sig),
    )
    return out


#: Quadratic limb darkening used by :func:`fit_transit` (a Sun-like star in the Kepler band;
#: the fit does not solve for it).
LIMB_DARKENING = (0.40, 0.26)


def fit_transit(
    t: np.ndarray,
    y: np.ndarray,
    dy: np.ndarray | None,
    period: float,
    t0: float,
    duration: float,
    depth: float,
    *,
    cadence: float = 0.0,
    uncertainties: str = "auto",
) -> dict[str, Any]:
    """Fit a limb-darkened transit model (batman) to the points near the transits.

    The period is held fixed (the search fixes it far better than one fit can); the free
    parameters are the mid-transit shift, ``rp/rs``, ``a/rs``, the impact parameter ``b``
    and the out-of-transit level, fitted by ``scipy.optimize.least_squares`` on the points
    within two durations of a transit, with a circular orbit and quadratic limb darkening
    :data:`LIMB_DARKENING`. Long cadences (over 10 minutes) are supersampled. Uncertainties
    come from the fit's covariance (the Jacobian, scaled by the reduced chi-square), and
    those of the derived depth and duration by drawing parameters from it; or, when emcee is
    installed (``pip install spacekit[mcmc]``), from an MCMC posterior (16 walkers, 400
    steps after 150 of burn-in, uniform priors within the fit's bounds, flux errors scaled
    by the reduced chi-square when it exceeds 1; above 500 points the likelihood uses the
    points binned in phase): each ``<name>_err`` is then half the 16-84% interval, and
    ``uncertainties`` says which method gave them. Above :data:`FIT_MAX_POINTS` points near
    the transits the least-squares fit, too, uses them binned in phase, so its cost stays
    bounded (``n_points`` still counts the points).

    Parameters
    ----------
    t, y : array
        Times (days, any zero point) and detrended, normalised flux.
    dy : array, optional
        Flux uncertainties (default: the robust scatter of ``y``).
    period, t0, duration, depth : float
        The search's period, a mid-transit time (in ``t``'s days), duration (days) and
        fractional depth: the starting point.
    cadence : float
        Exposure time in days (for supersampling).
    uncertainties : {"auto", "covariance", "emcee"}
        How the errors are estimated: ``"auto"`` (default) by emcee when it is installed,
        else from the covariance; ``"emcee"`` requires it.

    Returns
    -------
    dict
        ``rp_rs``, ``a_rs``, ``b``, ``inc_deg``, ``depth`` (fraction, the model's deepest
        point), ``duration`` (days, first to fourth contact), ``t0_shift`` (days to add to
        ``t0``), each with ``<name>_err`` where fitted or derived, plus ``chi2_red``,
        ``n_points``, ``success``, ``limb_darkening``, ``uncertainties`` (``"covariance"`` or
        ``"emcee"``, with ``mcmc_acceptance`` for the latter) and, for plots,
        ``model_phase`` and ``model_flux`` (the model on a grid of phase in days).

    Raises
    ------
    MissingDependencyError
        batman is not installed (``pip install spacekit[x]``).
    InputError
        Fewer than 10 points near the transits.

    Examples
    --------
    >>> fit = fit_transit(t, y, None, 3.0, 1.0, 0.1, 0.01)  # doctest: +SKIP
    >>> round(fit["rp_rs"], 2)  # doctest: +SKIP
    0.1
    """
    from scipy.optimize import least_squares

    from ..utils import optional_import

    batman = optional_import("batman", "fit_transit() / planet_hunter(fit=True)")
    if uncertainties not in ("auto", "covariance", "emcee"):
        raise InputError(
            f"uncertainties must be 'auto', 'covariance' or 'emcee'; got {uncertainties!r}."
        )
    if uncertainties == "emcee":
        optional_import("emcee", "fit_transit(uncertainties='emcee')", extra="mcmc")
    use_mcmc = uncertainties == "emcee" or (uncertainties == "auto" and _has_module("emcee"))
    t = np.asarray(t, dtype=float)
    y = np.asarray(y, dtype=float)
    phase = (t - t0 + 0.5 * period) % period - 0.5 * period
    near = (np.abs(phase) < 2.0 * duration) & np.isfinite(y)
    if np.count_nonzero(near) < 10:
        raise InputError(
            f"fit_transit needs at least 10 points within two durations of a transit; got "
            f"{int(np.count_nonzero(near))}."
        )
    x, yy = phase[near], y[near]
    if dy is None or not np.all(np.isfinite(np.asarray(dy, dtype=float)[near])):
        ee = np.full(x.size, max(float(robust_std(y[np.isfinite(y)])), 1e-12))
    else:
        ee = np.maximum(np.asarray(dy, dtype=float)[near], 1e-12)
    n_near = int(x.size)
    if x.size > FIT_MAX_POINTS:  # bin in phase (the period is fixed): the cost stays bounded
        x, yy, ee = _phase_binned(x, yy, ee, FIT_MAX_POINTS)
    params = batman.TransitParams()
    params.t0, params.per, params.rp, params.a = 0.0, float(period), 0.1, 10.0
    params.inc, params.ecc, params.w = 90.0, 0.0, 90.0
    params.limb_dark, params.u = "quadratic", list(LIMB_DARKENING)
    long_cadence = cadence > 10.0 / 1440.0
    model = batman.TransitModel(
        params,
        x,
        supersample_factor=7 if long_cadence else 1,
        exp_time=float(cadence) if long_cadence else 0.0,
    )

    def light_curve(p: np.ndarray, m: Any = model) -> np.ndarray:
        shift, k, a, b, level = p
        params.t0, params.rp, params.a = shift, k, a
        params.inc = float(np.degrees(np.arccos(min(b / a, 1.0))))
        return level * m.light_curve(params)

    a0 = float(np.clip(period / (np.pi * max(duration, 1e-3)), 1.5, 500.0))
    k0 = float(np.clip(np.sqrt(max(depth, 1e-6)), 2e-3, 0.45))
    lo = [-0.5 * duration, 1e-3, 1.2, 0.0, 0.98]
    hi = [0.5 * duration, 0.5, 1000.0, 1.0, 1.02]
    start = np.clip([0.0, k0, a0, 0.3, 1.0], np.add(lo, 1e-9), np.subtract(hi, 1e-9))
    fit = least_squares(lambda p: (yy - light_curve(p)) / ee, start, bounds=(lo, hi), x_scale="jac")
    dof = max(x.size - 5, 1)
    chi2_red = float(np.sum(fit.fun**2) / dof)
    try:
        cov = np.linalg.pinv(fit.jac.T @ fit.jac) * max(chi2_red, 1.0)
    except np.linalg.LinAlgError:
        cov = np.full((5, 5), np.nan)
    err = np.sqrt(np.clip(np.diag(cov), 0, None))
    shift, k, a, b, level = (float(v) for v in fit.x)

    def derived(k: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        sin_i = np.sqrt(np.clip(1 - (b / a) ** 2, 1e-12, 1))
        arg = np.sqrt(np.clip((1 + k) ** 2 - b**2, 0, None)) / (a * sin_i)
        t14 = period / np.pi * np.arcsin(np.clip(arg, 0, 1))
        return k**2, t14

    params.t0, params.rp, params.a = shift, k, a
    params.inc = float(np.degrees(np.arccos(min(b / a, 1.0))))
    centre = batman.TransitModel(params, np.array([shift]))
    depth_fit = float(1.0 - centre.light_curve(params)[0])
    _, t14 = derived(np.array(k), np.array(a), np.array(b))
    rng = np.random.default_rng(0)
    draws = (
        rng.multivariate_normal(fit.x, cov, size=400, check_valid="ignore")
        if np.all(np.isfinite(cov))
        else np.full((1, 5), np.nan)
    )
    kd, ad, bd = draws[:, 1], np.clip(draws[:, 2], 1.01, None), np.clip(draws[:, 3], 0, None)
    dd, td = derived(kd, ad, bd)
    grid = np.linspace(-2.0 * duration, 2.0 * duration, 201)
    grid_model = batman.TransitModel(params, grid)
    out = {
        "rp_rs": k,
        "rp_rs_err": float(err[1]),
        "a_rs": a,
        "a_rs_err": float(err[2]),
        "b": b,
        "b_err": float(err[3]),
        "inc_deg": float(params.inc),
        "depth": depth_fit,
        "depth_err": float(np.nanstd(dd) * depth_fit / max(float(np.nanmedian(dd)), 1e-12)),
        "duration": float(t14),
        "duration_err": float(np.nanstd(td)),
        "t0_shift": shift,
        "t0_shift_err": float(err[0]),
        "chi2_red": chi2_red,
        "n_points": n_near,
        "success": bool(fit.success),
        "limb_darkening": list(LIMB_DARKENING),
        "model_phase": grid.tolist(),
        "model_flux": (level * grid_model.light_curve(params)).tolist(),
        "uncertainties": "covariance",
    }
    if use_mcmc:
        post = _mcmc_errors(
            batman, x, yy, ee, fit.x, lo, hi, period, long_cadence, cadence, chi2_red, derived
        )
        post["depth_err"] = post.pop("depth_rel_err") * depth_fit
        out.update(post)
    return out


#: Above this many points near the transits, :func:`fit_transit` fits them binned in phase
#: to this many bins (weighted means; a tenth of a minute wide for a 1-hour transit at most).
FIT_MAX_POINTS = 20_000


def _phase_binned(
    x: np.ndarray, y: np.ndarray, e: np.ndarray, nb: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inverse-variance weighted means of ``(x, y)`` in ``nb`` equal bins of ``x``."""
    edges = np.linspace(x.min(), x.max() + 1e-12, nb + 1)
    idx = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, nb - 1)
    w = 1.0 / e**2
    sw = np.bincount(idx, weights=w, minlength=nb)
    ok = sw > 0
    xb = np.bincount(idx, weights=w * x, minlength=nb)[ok] / sw[ok]
    yb = np.bincount(idx, weights=w * y, minlength=nb)[ok] / sw[ok]
    return xb, yb, 1.0 / np.sqrt(sw[ok])


def _mcmc_errors(
    batman: Any,
    x: np.ndarray,
    y: np.ndarray,
    e: np.ndarray,
    best: np.ndarray,
    lo: list[float],
    hi: list[float],
    period: float,
    long_cadence: bool,
    cadence: float,
    chi2_red: float,
    derived: Any,
    *,
    walkers: int = 16,
    steps: int = 400,
    burn: int = 150,
    seed: int = 0,
) -> dict[str, Any]:
    """Posterior errors of :func:`fit_transit`'s parameters by emcee, started at ``best``."""
    import emcee

    if x.size > 500:  # bin in phase: the period is fixed, so little is lost but time
        x, y, e = _phase_binned(x, y, e, 500)
    e = e * np.sqrt(max(chi2_red, 1.0))
    params = batman.TransitParams()
    params.t0, params.per, params.rp, params.a = 0.0, float(period), 0.1, 10.0
    params.inc, params.ecc, params.w = 90.0, 0.0, 90.0
    params.limb_dark, params.u = "quadratic", list(LIMB_DARKENING)
    model = batman.TransitModel(
        params,
        x,
        supersample_factor=7 if long_cadence else 1,
        exp_time=float(cadence) if long_cadence else 0.0,
    )
    lo_a, hi_a = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)

    def log_prob(p: np.ndarray) -> float:
        if np.any(p <= lo_a) or np.any(p >= hi_a) or p[3] >= p[2]:
            return -np.inf
        shift, k, a, b, level = p
        params.t0, params.rp, params.a = shift, k, a
        params.inc = float(np.degrees(np.arccos(b / a)))
        r = (y - level * model.light_curve(params)) / e
        return -0.5 * float(r @ r)

    rng = np.random.default_rng(seed)
    span = hi_a - lo_a
    start = np.clip(best, lo_a + 1e-6 * span, hi_a - 1e-6 * span)
    p0 = start + 1e-4 * span * rng.standard_normal((walkers, start.size))
    p0 = np.clip(p0, lo_a + 1e-7 * span, hi_a - 1e-7 * span)
    p0[:, 3] = np.minimum(p0[:, 3], 0.999 * p0[:, 2])
    sampler = emcee.EnsembleSampler(walkers, start.size, log_prob)
    sampler.random_state = np.random.RandomState(seed).get_state()
    sampler.run_mcmc(p0, burn + steps, progress=False)
    chain = sampler.get_chain(discard=burn, flat=True)

    def half_interval(v: np.ndarray) -> float:
        q16, q84 = np.nanpercentile(v, [16, 84])
        return float(0.5 * (q84 - q16))

    depth_d, t14_d = derived(chain[:, 1], chain[:, 2], chain[:, 3])
    return {
        "t0_shift_err": half_interval(chain[:, 0]),
        "rp_rs_err": half_interval(chain[:, 1]),
        "a_rs_err": half_interval(chain[:, 2]),
        "b_err": half_interval(chain[:, 3]),
        "depth_rel_err": half_interval(depth_d) / max(float(np.nanmedian(depth_d)), 1e-12),
        "duration_err": half_interval(t14_d),
        "uncertainties": "emcee",
        "mcmc_acceptance": float(np.mean(sampler.acceptance_fraction)),
    }


def _bin_arrays(t: np.ndarray, y: np.ndarray, dy: np.ndarray, width: float):
    """Weighted means in bins of ``width`` days (``t`` sorted); linear in points (no sort)."""
    idx = np.floor((t - t[0]) / width).astype(np.int64)
    counts = np.bincount(idx)
    filled = counts > 0
    w = 1.0 / dy**2
    sw = np.bincount(idx, weights=w)[filled]
    tb = np.bincount(idx, weights=t)[filled] / counts[filled]
    yb = np.bincount(idx, weights=y * w)[filled] / sw
    dyb = 1.0 / np.sqrt(sw)
    return tb, yb, dyb


def _sorted_cadence(t: np.ndarray) -> float:
    """Median spacing of distinct consecutive times (days) of sorted ``t``, without a sort."""
    steps = np.diff(t)
    steps = steps[steps > 0]
    return float(np.median(steps)) if steps.size else float("nan")


def _duration_chunks(periods: np.ndarray, cadence: float, n_dur: int = 5):
    """Split the grid into period octaves; trial durations of each from
    :func:`transit_duration_range` (below the chunk's shortest period)."""
    chunks = []
    start = 0
    while start < periods.size:
        stop = int(np.searchsorted(periods, periods[start] * 2.0, side="right"))
        stop = max(stop, start + 1)
        pc = periods[start:stop]
        dlo = float(transit_duration_range(pc[0], cadence)[0])
        dhi = float(transit_duration_range(pc[-1], cadence)[1])
        dhi = min(dhi, 0.3 * float(pc[0]))
        dc = np.geomspace(dlo, max(dhi, dlo * 1.01), n_dur)
        chunks.append((pc, dc))
        start = stop
    return chunks


def _search_once(
    t: np.ndarray,
    y: np.ndarray,
    dy: np.ndarray,
    *,
    engine: str,
    period_min: float,
    period_max: float,
    durations: np.ndarray,
    oversample: float,
    objective: str,
    tls_kwargs: dict,
) -> dict[str, Any]:
    baseline = float(t.max() - t.min())
    if engine == "tls":
        from ..utils import optional_import

        tls = optional_import("transitleastsquares", "planet_hunter(lc, engine='tls')")
        model = tls.transitleastsquares(t, y, dy)
        kw = {
            "period_min": period_min,
            "period_max": period_max,
            "show_progress_bar": False,
            "use_threads": os.cpu_count() or 1,
            **tls_kwargs,
        }
        # transitleastsquares prints a banner and grid details to stdout; a library must not
        # (it would corrupt `spacekit hunt --json`), so they go to the debug log instead.
        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()) as chatter:
            r = model.power(**kw)
        if chatter.getvalue().strip():
            log.debug("transitleastsquares: %s", chatter.getvalue().strip())
        periods = np.asarray(r.periods, dtype=float)
        power = np.asarray(r.power, dtype=float)
        order = np.argsort(periods)
        periods, power = periods[order], power[order]
        sde_arr, _, _ = _sde(power)
        period = float(r.period)
        i = int(np.argmin(np.abs(periods - period)))
        sde = float(sde_arr[i])
        duration = float(r.duration)
        t0 = float(r.T0)
        depth = float(1 - r.depth) if np.isfinite(r.depth) else float("nan")
        snr = float(r.snr) if np.isfinite(r.snr) else float("nan")
        return {
            "periods": periods,
            "power": power,
            "sde_arr": sde_arr,
            "period": period,
            "duration": duration,
            "t0": t0,
            "depth": depth,
            "snr": snr,
            "sde": sde,
            "tls": _tls_statistics(r),
        }
    from astropy.timeseries import BoxLeastSquares

    model = BoxLeastSquares(t, y, dy)
    cadence = float(np.median(np.diff(t))) if t.size > 1 else 0.0
    if durations is not None:
        periods = period_grid(
            baseline, period_min, period_max, float(durations.min()), oversample=oversample
        )
        chunks = [(periods, durations)]
    else:
        periods = period_grid(
            baseline, period_min, period_max, oversample=oversample, cadence=cadence
        )
        chunks = _duration_chunks(periods, cadence)
    power = np.concatenate(
        [
            np.asarray(model.power(pc, dc, objective=objective, oversample=2).power, float)
            for pc, dc in chunks
        ]
    )
    sde_arr, sde, i = _sde(power)
    # refine the chosen peak on a grid 20x finer, three coarse steps either side, with the
    # duration set of its chunk made twice as dense
    lo = periods[max(i - 3, 0)]
    hi = periods[min(i + 3, periods.size - 1)]
    fine = np.linspace(lo, hi, 121)
    dc = next(dc for pc, dc in chunks if pc[0] <= periods[i] <= pc[-1])
    dfine = np.geomspace(dc.min(), min(dc.max(), 0.99 * lo), 2 * dc.size)
    rf = model.power(fine, dfine, objective=objective, oversample=10)
    j = int(np.nanargmax(rf.power))
    period = float(fine[j])
    duration = float(rf.duration[j])
    t0 = float(rf.transit_time[j])
    depth = float(rf.depth[j])
    depth_err = float(rf.depth_err[j])
    snr = depth / depth_err if depth_err > 0 else float("nan")
    return {
        "periods": periods,
        "power": power,
        "sde_arr": sde_arr,
        "period": period,
        "duration": duration,
        "t0": t0,
        "depth": depth,
        "snr": snr,
        "sde": sde,
    }


def _tls_absolute_times(stats: dict | None, ref: Time) -> dict | None:
    """TLS's transit times are days since ``ref`` (the search's zero): make them JDs."""
    if stats is None:
        return None
    out = dict(stats)
    out["transit_times"] = [float(ref.jd) + x for x in stats.get("transit_times", [])]
    return out


def _tls_statistics(r: Any) -> dict[str, Any]:
    """transitleastsquares' own numbers for its best period (its SDE and false-alarm
    probability, rp/rs, per-transit times in the search's days), JSON-ready."""

    def num(name: str) -> float:
        try:
            value = float(getattr(r, name))
        except (TypeError, ValueError, AttributeError):
            return float("nan")
        return value

    times = np.asarray(getattr(r, "transit_times", []) or [], dtype=float)
    return {
        "sde": num("SDE"),
        "fap": num("FAP"),
        "rp_rs": num("rp_rs"),
        "snr": num("snr"),
        "odd_even_mismatch": num("odd_even_mismatch"),
        "transit_count": int(num("transit_count")) if np.isfinite(num("transit_count")) else 0,
        "distinct_transit_count": int(num("distinct_transit_count"))
        if np.isfinite(num("distinct_transit_count"))
        else 0,
        "transit_times": times[np.isfinite(times)].tolist(),
    }


def _transit_mask(
    t: np.ndarray,
    period: float,
    duration: float,
    t0: float,
    factor: float,
    epochs: Sequence[int] | None = None,
):
    """Points within ``factor / 2`` durations of a transit (of the given ``epochs`` only,
    counted from ``t0``, when given)."""
    phase = (t - t0 + 0.5 * period) % period - 0.5 * period
    near = np.abs(phase) < 0.5 * factor * duration
    if epochs is not None:
        near &= np.isin(np.round((t - t0) / period).astype(np.int64), np.asarray(epochs))
    return near


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
    lc : LightCurve, lightkurve LightCurve or path
        The light curve (a path is read with :func:`~spacekit.transformer.read_lightcurve`;
        a csv then needs ``time_format``).
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
    fit : bool or "auto"
        Fit a limb-darkened transit model to each *detected* planet (:func:`fit_transit`:
        depth, duration, rp/rs, impact parameter, a/rs with uncertainties, in
        ``Planet.fit``). ``"auto"`` (default) fits when batman is installed
        (``spacekit[x]``); True requires it; False skips. The fit's time is
        ``timings["fit_s"]``, apart from the search's.
    time_format : str, optional
        Passed to :func:`read_lightcurve` when ``lc`` is a csv path. Without it a csv is
        searched in its own time numbers, read as days (``time_format="relative"``), with a
        :class:`~spacekit.transformer.NoTimeSystemWarning`: periods and durations are right,
        the epoch is in the file's numbers (``to_dict()["time_system"]`` is ``"relative"``
        rather than ``"BJD_TDB"``).
    full_arrays : bool
        Keep the full-resolution ``raw``, ``flattened`` and ``folded`` light curves in the
        result whatever their length. By default a light curve of more than
        :data:`KEEP_FULL_POINTS` points is kept as binned copies, which is all
        :func:`~spacekit.analyzer.plot_hunt` needs (``HuntResult.binned`` says which).
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
        shortest period searched; ``oversample`` not a positive number, ``max_planets`` not
        a whole number of at least 1, ``durations`` not positive times, or an unknown keyword.

    Examples
    --------
    >>> from spacekit.transformer import read_lightcurve  # doctest: +SKIP
    >>> lc = read_lightcurve("hlsp_tess-data-alerts_..._lc.fits")  # doctest: +SKIP
    >>> result = planet_hunter(lc)  # doctest: +SKIP
    >>> round(result.period.value, 3), result.detected  # doctest: +SKIP
    (3.289, True)
    """
    t_start = _time.perf_counter()
    if engine not in ("bls", "tls"):
        raise InputError(f"engine must be 'bls' or 'tls'; got {engine!r}.")
    if engine == "bls" and tls_kwargs:
        raise InputError(
            f"planet_hunter got unexpected keyword argument(s) {sorted(tls_kwargs)}; extra "
            "keywords are passed to transitleastsquares and need engine='tls'. Check the "
            "spelling against planet_hunter's parameters (max_planets, period_min, "
            "period_max, durations, window, threshold, snr_threshold, oversample, "
            "objective, flatten, time_format)."
        )
    max_planets = whole_number(max_planets, "max_planets", minimum=1)
    if fit not in (True, False, "auto"):
        raise InputError(f"fit must be True, False or 'auto'; got {fit!r}.")
    if fit is True:
        from ..utils import optional_import

        optional_import("batman", "planet_hunter(fit=True)")
    if objective not in ("likelihood", "snr"):
        raise InputError(f"objective must be 'likelihood' or 'snr'; got {objective!r}.")
    oversample = _check_oversample(oversample)
    for name, value in (("threshold", threshold), ("snr_threshold", snr_threshold)):
        try:
            ok = np.isfinite(float(value))
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise InputError(f"{name} must be a finite number; got {value!r}.")
    if durations is None:
        dur = None
    else:
        try:
            dur = np.atleast_1d(
                durations.to_value(u.day) if isinstance(durations, u.Quantity) else durations
            ).astype(float)
        except u.UnitConversionError:
            raise InputError(
                f"durations must be times (e.g. [1, 2, 3] * u.hour) or floats in days; got "
                f"a Quantity in {durations.unit}."
            ) from None
        except (TypeError, ValueError):
            raise InputError(
                f"durations must be numbers of days or a time Quantity; got {durations!r}."
            ) from None
        if dur.size == 0 or not np.all(dur > 0) or not np.all(np.isfinite(dur)):
            raise InputError(f"durations must be positive, finite days; got {dur.tolist()}.")
    raw = _prepare(lc, time_format=time_format)
    t_all = raw.time_days()
    baseline = float(t_all.max() - t_all.min())
    pmin = 0.5 if period_min is None else to_days(period_min, "period_min")
    pmax = baseline / 2 if period_max is None else to_days(period_max, "period_max")
    if not pmin > 0:
        raise InputError(f"period_min must be a positive number of days; got {pmin:g}.")
    if period_max is not None and not pmax > pmin:
        raise InputError(
            f"period_max ({pmax:.4g} d) must exceed period_min ({pmin:.4g} d); swap them."
        )
    if baseline < 2 * pmin:
        raise InputError(
            f"the light curve spans {baseline:.3g} days, shorter than two transits of the "
            f"shortest period searched ({pmin:g} d); lower period_min below {baseline / 2:.3g} "
            "days or use a longer light curve."
        )
    if not pmax > pmin:
        raise InputError(
            f"period_max ({pmax:.4g} d) must exceed period_min ({pmin:.4g} d); the light curve "
            f"spans {baseline:.4g} days, so periods up to {baseline / 2:.4g} d can show two "
            "transits."
        )
    if dur is not None:
        dur = dur[dur < pmin] if engine == "bls" else dur
        if dur.size == 0:
            raise InputError(
                f"every trial duration is longer than period_min ({pmin:g} d); pass shorter "
                "durations or a longer period_min."
            )
        dmin, dmax = float(dur.min()), float(dur.max())
    else:
        raw_cadence = _sorted_cadence(raw.time_days())
        dmin = float(transit_duration_range(pmin, raw_cadence)[0])
        dmax = float(transit_duration_range(pmax, raw_cadence)[1])
    if window is None:
        w = float(np.clip(3 * 13.0 / 24.0 * (pmax / 365.25) ** (1 / 3), 0.5, 2.0))
        w = max(w, 2.5 * dmax) if dur is not None else w
    else:
        w = to_days(window, "window")
    flat = (raw.flatten(w) if flatten else raw).remove_nans()
    t_detrend = _time.perf_counter() - t_start
    ref = flat.time[0]
    t = flat.time_days(ref)
    y = np.asarray(flat.flux.value, dtype=float)
    if (
        flat.flux_err is not None
        and np.all(np.isfinite(flat.flux_err.value))
        and np.all(flat.flux_err.value > 0)
    ):
        dy = np.asarray(flat.flux_err.value, dtype=float)
    else:
        dy = np.full_like(y, max(float(np.std(y)), 1e-12))
    cadence = _sorted_cadence(t)
    bin_width = dmin / 3
    if engine == "bls" and np.isfinite(cadence) and cadence < bin_width / 1.5:
        tb, yb, dyb = _bin_arrays(t, y, dy, bin_width)
    else:
        tb, yb, dyb = t, y, dy
    keep = np.ones(tb.size, dtype=bool)
    keep_full = np.ones(t.size, dtype=bool)
    planets: list[Planet] = []
    searches = []
    t_search0 = _time.perf_counter()

    rejected: list[Planet] = []
    first_search: tuple[Planet, int] | None = None
    first_detected: tuple[Planet, int] | None = None
    k = 0
    while len(planets) < int(max_planets):
        if keep.sum() < 20 or float(tb[keep].max() - tb[keep].min()) < 2 * pmin:
            break
        found = _search_once(
            tb[keep],
            yb[keep],
            dyb[keep],
            engine=engine,
            period_min=pmin,
            period_max=pmax,
            durations=dur,
            oversample=oversample,
            objective=objective,
            tls_kwargs=tls_kwargs,
        )
        searches.append(
            Periodogram(
                {
                    "period": found["periods"] * u.day,
                    "power": found["power"],
                    "significance": found["sde_arr"],
                }
            )
        )
        P, d, t0 = found["period"], found["duration"], found["t0"]
        # epoch: the first transit mid-time at or after the first timestamp
        t0 = t0 - np.floor((t0 - t.min()) / P) * P
        vet = vet_transit(t[keep_full], y[keep_full], P, d, t0, float(found["depth"]))
        failed = _failed_checks(float(found["sde"]), vet, threshold, snr_threshold)
        vet["failed"] = failed
        detected = not failed
        planet = Planet(
            period=P * u.day,
            epoch=ref + TimeDelta(t0, format="jd"),
            duration=d * u.day,
            depth=float(found["depth"]),
            peak_significance=float(found["sde"]),
            snr=float(vet["snr"]),
            n_transits=int(vet["n_transits"]),
            detected=detected,
            vetting=vet,
            tls=_tls_absolute_times(found.get("tls"), ref),
        )
        log.info("search %d: %s", k + 1, planet)
        if first_search is None:
            first_search = (planet, k)
        if detected and not planets:
            first_detected = (planet, k)
        k += 1
        if detected:
            planets.append(planet)
        else:
            rejected.append(planet)
            # real dips that are not one periodic signal (single transits of different
            # planets paired up, transits of unequal depth): mask them and search on, so
            # they do not hide weaker periodic planets. Noise or stellar variability ends
            # the search.
            if set(failed) - _MASKABLE or len(rejected) > _MAX_MASKED_REJECTIONS:
                break
            # mask only the transits that are real dips (3 sigma), not every epoch of a
            # period that is not real: a predicted transit without a dip may hold another
            # planet's
            dips = [
                e
                for e, depth in zip(vet["transit_epochs"], vet["transit_depths"], strict=True)
                if depth > 3 * vet["transit_depth_error"]
            ]
            keep &= ~_transit_mask(tb, P, d, t0, 2.0, epochs=dips)
            keep_full &= ~_transit_mask(t, P, d, t0, 2.0, epochs=dips)
            continue
        keep &= ~_transit_mask(tb, P, d, t0, 2.0)
        keep_full &= ~_transit_mask(t, P, d, t0, 2.0)
    assert first_search is not None
    # the result's headline: the first detected planet, else the first search's best signal
    candidate, cand_search = first_detected or first_search
    t_search = _time.perf_counter() - t_search0
    t_fit0 = _time.perf_counter()
    if planets and fit is not False and (fit is True or _has_module("batman")):
        others = np.zeros(t.size, dtype=bool)
        spans = [
            (pl, float((pl.epoch - ref).jd)) for pl in planets
        ]  # t0 of each, in the search's days
        for pl, pt0 in spans:
            others |= _transit_mask(
                t, pl.period.to_value(u.day), pl.duration.to_value(u.day), pt0, 2.0
            )
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
    t_fit = _time.perf_counter() - t_fit0
    src = str(lc) if isinstance(lc, (str, os.PathLike)) else str(raw.meta.get("source", ""))
    del t, y, dy, tb, yb, dyb, keep, keep_full  # what the result keeps, and no more
    raw, flat, folded, binned = _plot_copies(raw, flat, candidate, baseline, full_arrays)
    return HuntResult(
        candidate=candidate,
        planets=planets,
        periodogram=searches[cand_search],
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
        searches=searches,
        source=src,
        rejected=rejected,
    )


#: Seed-style alias with a descriptive name.
find_planets = planet_hunter

#: A :class:`HuntResult` keeps light curves of up to this many points whole; longer ones as
#: binned copies (``planet_hunter(full_arrays=True)`` keeps them whole whatever their length).
KEEP_FULL_POINTS = 50_000


def _plot_copies(
    raw: LightCurve, flat: LightCurve, candidate: Planet, baseline: float, full: bool
) -> tuple[LightCurve, LightCurve, LightCurve, bool]:
    """(raw, flattened, folded, binned?) as the result keeps them: whole when short or asked
    for, else binned in time to ``KEEP_FULL_POINTS`` points and, for the folded copy, to a
    tenth of the transit duration (at most four times as many points) before folding."""
    if full or len(flat) <= KEEP_FULL_POINTS:
        return raw, flat, flat.fold(candidate.period, candidate.epoch), False
    width = baseline / KEEP_FULL_POINTS
    raw_b = raw.bin(width)
    flat_b = flat.bin(width)
    fine = max(float(candidate.duration.to_value(u.day)) / 10, width / 4)
    source = flat_b if fine >= width else flat.bin(fine)
    return raw_b, flat_b, source.fold(candidate.period, candidate.epoch), True


def _hunt_one(item: Any, kwargs: dict) -> dict[str, Any]:
    name = (
        str(item)
        if isinstance(item, (str, os.PathLike))
        else str(
            getattr(item, "meta", {}).get("source", "")
            or getattr(item, "meta", {}).get("target", "")
        )
    )
    try:
        res = planet_hunter(item, **kwargs)
    except Exception as exc:  # one bad file must not crash the batch
        return {"file": name, "error": f"{type(exc).__name__}: {exc}"}
    out = dict(res.to_dict())  # a plain dict: pandas reads every key, "sde" included
    out["file"] = name
    out["error"] = None
    return out


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
        Passed to :func:`planet_hunter` (e.g. ``max_planets``, ``time_format``).

    Returns
    -------
    pandas.DataFrame
        One row per item, in order: ``file``, ``period``, ``epoch``, ``duration``, ``depth``,
        ``peak_significance``, ``sde`` (the same; its former name), ``snr``, ``n_transits``, ``detected``, ``planets`` and ``error`` (None, or
        ``"ExceptionType: message"`` for an item that failed; its other values are NaN).

    Examples
    --------
    >>> table = hunt_many(["a_llc.fits", "b_llc.fits"])  # doctest: +SKIP
    >>> table = hunt_many(paths, client="tcp://scheduler:8786")  # doctest: +SKIP
    """
    import pandas as pd

    from ..utils.parallel import run_tasks

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

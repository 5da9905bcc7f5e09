"""The results of :func:`~spacekit.analyzer.hunt.planet_hunter`: :class:`Planet` (one signal),
:class:`HuntResult` (a search) and the periodogram table, with the deprecated ``sde`` names.

Part of :mod:`spacekit.analyzer.hunt`, which re-exports every public name; import them from
there (or from :mod:`spacekit.analyzer`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import astropy.units as u
import numpy as np
from astropy.table import Table
from astropy.time import Time

from ..transformer.lightcurve import LightCurve

__all__ = ["Planet", "HuntResult", "Periodogram"]

_RENAMED = (
    "the statistic is a robust z-score of the periodogram peak, not transitleastsquares's "
    "SDE (renamed in spacekit 2.0; the old name goes in the next release)"
)


def _deprecated(old: str, new: str) -> None:
    warnings.warn(f"{old} is deprecated, use {new}: {_RENAMED}.", DeprecationWarning, stacklevel=3)


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


@dataclass
class Planet:
    """One periodic transit signal found by :func:`planet_hunter`.

    Parameters
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

    Attributes
    ----------
    period_aliases : Quantity
        Longer periods (multiples of ``period``) that fit the transits the data cover
        equally well, because only every m-th transit fell on data; empty when the data
        rule them out. A planet with aliases needs more data (or the published ephemeris)
        to pin its period.
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

    def __repr__(self) -> str:
        """One line: period, depth, SNR, detection, transits and whether it was fitted (not
        the fit's model curve, hundreds of floats; :meth:`to_dict` has every value).

        Examples
        --------
        >>> Planet(3 * u.day, Time(2458326.2, format="jd", scale="tdb"), 0.1 * u.day,
        ...        0.01, 20.0, 30.0, 8, True)
        Planet(period=3.000000 d, depth=0.01, snr=30.0, detected=True, n_transits=8, \
fitted=False)
        """
        return (
            f"Planet(period={self.period.to_value(u.day):.6f} d, depth={self.depth:.3g}, "
            f"snr={self.snr:.1f}, detected={self.detected}, n_transits={self.n_transits}, "
            f"fitted={self.fit is not None})"
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values: period and duration in days, epoch as a BJD float.

        ``sde`` repeats ``peak_significance`` (its former name, deprecated: reading it from the
        returned dict warns); ``tls`` is present with
        ``engine="tls"``, ``fit`` (without the model curve) for a fitted planet.

        Returns
        -------
        dict
            The planet's values (numbers, strings, lists and dicts only).

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

    Parameters
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
    source : str
        Where the light curve came from (a file name), when known.
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

        Returns
        -------
        dict
            ``file`` (the source), the candidate's values (:meth:`Planet.to_dict`), ``planets``
            and ``rejected`` (lists of those) and ``time_system`` (JSON-ready):
            ``"BJD_TDB"``, ``"JD_TDB"`` (times given in UTC, converted to TDB but not
            barycentred) or ``"relative"`` (no time system).

        Examples
        --------
        >>> import numpy as np
        >>> from spacekit.analyzer import planet_hunter
        >>> from spacekit.transformer import LightCurve
        >>> t = 2458000.0 + np.arange(0, 20, 0.01)
        >>> dip = np.abs((t - 2458001.0 + 1.5) % 3.0 - 1.5) < 0.05
        >>> flux = 1 + 5e-4 * np.random.default_rng(0).standard_normal(t.size) - 0.003 * dip
        >>> record = planet_hunter(LightCurve(time=t, flux=flux), fit=False).to_dict()
        >>> record["time_system"], record["detected"], len(record["planets"]), record["failed"]
        ('BJD_TDB', True, 1, [])
        """
        out = _Record({"file": self.source, **self.candidate.to_dict()})
        out["planets"] = [p.to_dict() for p in self.planets]
        out["rejected"] = [p.to_dict() for p in self.rejected]
        scale = self.candidate.epoch.scale
        # TDB times (Kepler, TESS, and plain JDs) are BJDs; times given in UTC (datetimes,
        # a csv read as 'jd' or 'mjd') are converted to TDB but were never barycentred
        out["time_system"] = {"local": "relative", "tdb": "BJD_TDB"}.get(scale, "JD_TDB")
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

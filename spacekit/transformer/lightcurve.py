"""The :class:`LightCurve` object: a photometric time series with chainable cleaning steps.

A :class:`LightCurve` is an :class:`astropy.timeseries.TimeSeries` whose ``time`` column is an
astropy :class:`~astropy.time.Time` (in the mission's own time scale, usually TDB, read from the
FITS header by :func:`~spacekit.transformer.read_lightcurve`), with a ``flux`` column and an
optional ``flux_err`` column carrying units. Every cleaning method returns a *new* object and
records what it did in ``meta["history"]``, so steps chain::

    lc.remove_nans().normalize().remove_outliers().flatten(1 * u.day).fold(period, epoch)
"""

from __future__ import annotations

import logging
import os
from typing import Any

import astropy.units as u
import numpy as np
from astropy.table import QTable
from astropy.time import Time, TimeDelta
from astropy.timeseries import TimeSeries

from ..exceptions import InputError, MissingDependencyError
from ..utils.checks import positive_number, whole_number
from ..utils.stats import MAD_TO_STD, robust_std

__all__ = ["LightCurve", "to_days", "as_time", "stitch"]

log = logging.getLogger(__name__)


def to_days(value: Any, name: str = "value") -> float:
    """Return ``value`` in days: a time :class:`~astropy.units.Quantity`, or a float in days.

    Examples
    --------
    >>> import astropy.units as u
    >>> to_days(12 * u.hour)
    0.5
    >>> to_days(2.0)
    2.0
    """
    if isinstance(value, TimeDelta):
        return float(value.to_value(u.day))
    if isinstance(value, u.Quantity):
        try:
            return float(value.to_value(u.day))
        except u.UnitConversionError as exc:
            raise InputError(
                f"{name} must be a time (e.g. 0.5 * u.day); got a Quantity in {value.unit}. "
                "Pass a time Quantity or a float in days."
            ) from exc
    try:
        out = float(value)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"{name} must be a time Quantity or a number of days; got {type(value).__name__} "
            f"{value!r}."
        ) from exc
    if not np.isfinite(out):
        raise InputError(f"{name} must be finite; got {out}.")
    return out


def as_time(value: Any, scale: str = "tdb", name: str = "epoch") -> Time:
    """Return ``value`` as an astropy :class:`~astropy.time.Time`.

    A float is read as a Julian date (e.g. a BJD such as 2458326.2) in ``scale``.

    Examples
    --------
    >>> float(as_time(2458326.2).jd)
    2458326.2
    """
    if isinstance(value, Time):
        return value
    try:
        return Time(float(value), format="jd", scale=scale)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"{name} must be an astropy Time or a Julian date (float); got {value!r}."
        ) from exc


#: Plain-number times below this Julian date (the year 763) are not JDs of photometry:
#: mission days (BTJD, BKJD), MJDs or relative days read as JDs without a time_format.
_EARLIEST_PLAIN_JD = 2.0e6


def _time_from_values(values: Any, time_format: str | None = None) -> Time:
    """Timestamps given as plain values: numbers are Julian dates in TDB, or in
    ``time_format`` (``"btjd"``, ``"bkjd"``, ``"mjd"``..., as for csv files); datetimes and
    ISO strings are read by astropy (UTC), never reinterpreted as Julian dates."""
    arr = np.asarray(values)
    try:
        if arr.dtype.kind in "Mm":  # datetime64 as a float would be nanoseconds, not a JD
            raise TypeError("datetimes")
        jd = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        if time_format is not None:
            raise InputError(
                f"time_format={time_format!r} says how to read numbers; these times are not "
                f"numbers ({arr.ravel()[:3].tolist()}...). Drop time_format."
            ) from None
        try:
            return Time(arr)
        except (TypeError, ValueError) as exc:
            raise InputError(
                "time must be an astropy Time, Julian dates (floats), datetimes or ISO "
                f"strings; could not read {arr.ravel()[:3].tolist()}... "
                f"({str(exc).splitlines()[0]})"
            ) from None
    if not np.isfinite(jd).all():
        raise InputError(
            f"time has {int((~np.isfinite(jd)).sum())} non-finite value(s) (NaN or inf); "
            "every point needs a timestamp: drop those rows first."
        )
    from .readers import TIME_FORMATS, NoTimeSystemWarning

    if time_format is not None:
        key = str(time_format).lower()
        if key not in TIME_FORMATS:
            raise InputError(
                f"unknown time_format {time_format!r}; expected one of {sorted(TIME_FORMATS)}."
            )
        offset, scale, _ = TIME_FORMATS[key]
        return Time(np.full(jd.shape, offset), jd, format="jd", scale=scale)
    if jd.size and float(np.max(jd)) < _EARLIEST_PLAIN_JD:
        import warnings

        warnings.warn(
            f"time values {float(np.min(jd)):.6g}..{float(np.max(jd)):.6g} are read as Julian "
            "dates, which dates them before the year 763: mission days or MJDs? Pass "
            "time_format='btjd' (TESS, BJD - 2457000), 'bkjd' (Kepler/K2, BJD - 2454833), "
            "'mjd', 'bjd', or 'relative' (days in no time system), or an astropy Time.",
            NoTimeSystemWarning,
            stacklevel=3,
        )
    return Time(jd, format="jd", scale="tdb")


def _check_epoch_is_a_jd(epoch: Any, lc: LightCurve) -> None:
    """A float epoch is a Julian date; one that is a mission day number (BKJD, BTJD, as
    lightkurve users type it) would fold silently at the wrong phase."""
    try:
        value = float(epoch)
    except (TypeError, ValueError):
        return  # as_time says what is wrong
    if len(lc) and float(lc.time.jd1[0]) > 2.0e6 and abs(value) < 1.0e6:
        # the day number whose offset puts the epoch among the light curve's times: an MJD
        # given to a TESS light curve is not a BTJD (adding 2457000 lands in 2174)
        middle = 0.5 * (float(np.min(lc.time.jd1)) + float(np.max(lc.time.jd1)))
        offsets = {"bkjd": 2454833.0, "btjd": 2457000.0, "mjd": 2400000.5}
        fmt = min(offsets, key=lambda k: abs(value + offsets[k] - middle))
        if abs(value + offsets[fmt] - middle) > 1.0e4:
            fmt = ""
        hint = offsets.get(fmt)
        how = "" if fmt == "mjd" else " with lightkurve imported"
        raise InputError(
            f"epoch {value!r} is not a Julian date, but this light curve's times are "
            f"(JD {float(lc.time.jd[0]):.1f}...); a float epoch is read as a JD. "
            + (
                f"For a{'n' if fmt == 'mjd' else ''} {fmt.upper()} epoch add {hint:.10g} "
                f"(epoch={value + hint!r}) or pass Time({value!r}, format='{fmt}'){how}."
                if hint
                else "Pass a Julian date or an astropy Time."
            )
        )


def _fraction(value: Any, name: str) -> float:
    """A phase given as a fraction of the period (float or dimensionless Quantity)."""
    if isinstance(value, u.Quantity):
        try:
            return float(value.to_value(u.dimensionless_unscaled))
        except u.UnitConversionError:
            raise InputError(
                f"{name} must be a fraction of the period when normalize_phase=True; got a "
                f"Quantity in {value.unit}. Pass a float, or normalize_phase=False for times."
            ) from None
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number; got {value!r}.") from None
    if not np.isfinite(out):
        raise InputError(f"{name} must be finite; got {out}.")
    return out


def _check_not_magnitudes(unit: Any, what: str) -> None:
    """Flux in magnitudes (``u.mag``, ``u.ABmag``...) is logarithmic and upside down: divided
    by its median or a trend, transits become rises of the wrong size."""
    if unit is None:
        return
    if unit == u.mag or isinstance(unit, u.FunctionUnitBase) or str(unit).startswith("mag"):
        raise InputError(
            f"{what} needs flux, not magnitudes (got {unit}): a transit is a rise in "
            "magnitudes and dividing by a median is meaningless. Convert first, e.g. "
            "flux = 10 ** (-0.4 * (mag - np.median(mag))) for a relative flux."
        )


def _positive_number(value: Any, name: str, example: float) -> float:
    """A clipping threshold: a positive number of standard deviations (NaN kept every point,
    zero or a negative value dropped most of them; infinity clips nothing)."""
    return positive_number(
        value, name, unit=f" of standard deviations (e.g. {example})", finite=False
    )


def _robust_std(x: np.ndarray) -> float:
    finite = np.isfinite(x)
    if not finite.all():
        x = x[finite]
    if x.size == 0:
        return float("nan")
    return robust_std(x)


class LightCurve(TimeSeries):
    """A light curve: ``time`` (astropy Time), ``flux`` and optional ``flux_err`` with units.

    Build one from arrays, or read a file with :func:`~spacekit.transformer.read_lightcurve`.
    Methods never modify the object; they return a new one and append what they did to
    ``meta["history"]``.

    Parameters
    ----------
    data : table-like, optional
        Passed to :class:`~astropy.timeseries.TimeSeries` (used when astropy copies or slices).
    time : astropy.time.Time or array-like, optional
        Timestamps. Floats are read as Julian dates in TDB (unless ``time_format`` says
        otherwise; numbers before JD 2,000,000 warn, as mission days read as JDs would);
        datetimes (numpy, pandas) and ISO strings as UTC.
    flux : array-like or Quantity, optional
        Flux values (a plain array is dimensionless).
    flux_err : array-like or Quantity, optional
        Flux uncertainties, in the unit of ``flux``.
    meta : dict, optional
        Metadata (mission, target, time system, flux origin, history).
    time_format : str, optional
        How to read plain-number ``time``: ``"btjd"`` (TESS, BJD - 2457000), ``"bkjd"``
        (Kepler/K2, BJD - 2454833), ``"bjd"``, ``"jd"``, ``"mjd"`` or ``"relative"`` (days in
        no time system), as for csv files (:data:`~spacekit.transformer.TIME_FORMATS`).
        What lightkurve's ``lc.time.value`` holds is BTJD or BKJD.
    **kwargs
        Passed to :class:`~astropy.timeseries.TimeSeries`.

    Examples
    --------
    >>> import numpy as np
    >>> from astropy.time import Time
    >>> t = Time(2458326.0 + np.arange(5) * 0.1, format="jd", scale="tdb")
    >>> lc = LightCurve(time=t, flux=[10.0, 10.5, np.nan, 9.5, 10.0])
    >>> lc.remove_nans().normalize().flux.value.round(3).tolist()
    [1.0, 1.05, 0.95, 1.0]
    >>> float(LightCurve(time=[1326.0, 1326.5], flux=[1, 1], time_format="btjd").time.jd[0])
    2458326.0
    """

    def __init__(
        self,
        data: Any = None,
        *,
        time: Any = None,
        flux: Any = None,
        flux_err: Any = None,
        meta: dict | None = None,
        time_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        if time_format is not None and (time is None or isinstance(time, Time)):
            raise InputError(
                "time_format says how to read plain-number times; "
                + (
                    "time is already an astropy Time: drop time_format."
                    if time is not None
                    else "pass them as time=..."
                )
            )
        if time is not None and not isinstance(time, Time):
            time = _time_from_values(time, time_format)
        super().__init__(data=data, time=time, meta=meta, **kwargs)
        if time_format is not None:
            self.meta.setdefault("time_format", str(time_format).lower())
        if "time" in self.colnames and self["time"].info.indices:
            self.remove_indices("time")  # e.g. an astropy TimeSeries' automatic index
        if flux is None and data is not None and "flux" not in self.colnames:
            self._adopt_flux_column()
        if flux is not None:
            _check_not_magnitudes(getattr(flux, "unit", None), "LightCurve")
            try:
                flux = u.Quantity(flux, dtype=float)
            except (TypeError, ValueError) as exc:
                raise InputError(
                    f"flux must hold numbers (or be a Quantity); {exc}. Convert the column "
                    "with pd.to_numeric(..., errors='coerce') first."
                ) from None
            if flux.shape != (len(self),):
                raise InputError(
                    f"flux must have one value per timestamp ({len(self)}); got shape {flux.shape}."
                )
            self["flux"] = flux
            if flux_err is not None:
                try:
                    err = flux_err if isinstance(flux_err, u.Quantity) else flux_err * flux.unit
                    err = u.Quantity(err, dtype=float)
                except (TypeError, ValueError) as exc:
                    raise InputError(f"flux_err must hold numbers; {exc}.") from None
                if err.shape != flux.shape:
                    raise InputError(
                        f"flux_err must match flux's shape {flux.shape}; got {err.shape}."
                    )
                try:
                    self["flux_err"] = err.to(flux.unit)
                except u.UnitConversionError:
                    raise InputError(
                        f"flux_err must be in a unit convertible to flux's ({flux.unit}); got "
                        f"{err.unit}. Pass flux_err in flux's unit, or as plain numbers."
                    ) from None
        self.meta.setdefault("history", [])

    def _repr_html_(self) -> str | None:
        """Notebook view: a summary table and a small plot (not the raw table)."""
        from ..utils.display import lightcurve_html

        return lightcurve_html(self)

    def __repr__(self) -> str:
        """One line: points, target, time span or fold, flux unit (``print`` shows the
        table)."""
        parts = [f"{len(self)} points"]
        for key in ("target", "mission"):
            if self.meta.get(key):
                parts.append(f"{key} {self.meta[key]!r}")
        try:
            if self.is_folded:
                fold = self.meta.get("fold", {})
                period = fold.get("period_days")
                parts.append("folded" + (f", period {period:.6g} d" if period else ""))
            elif len(self):
                t0, t1 = float(np.min(self.time.jd)), float(np.max(self.time.jd))
                parts.append(f"JD {t0:.6f}..{t1:.6f} ({self.time.scale}, {t1 - t0:.4g} d)")
            if "flux" in self.colnames:
                unit = u.Quantity(self["flux"]).unit.to_string() or "dimensionless"
                parts.append(f"flux [{unit}]")
            if "flux_err" in self.colnames:
                parts.append("flux_err")
        except Exception:  # a repr never raises; fall back to the columns
            parts.append(f"columns {self.colnames}")
        return f"<LightCurve {', '.join(parts)}>"

    # ------------------------------------------------------------------ accessors
    @property
    def flux(self) -> u.Quantity:
        """The ``flux`` column as a read-only Quantity view (no copy).

        Reading is free at any size; writing through it (``lc.flux[0] = 1``, ``y =
        lc.flux.value; y /= 2``) raises ``ValueError: assignment destination is read-only``,
        since it would change the light curve in place. Take ``lc.flux.copy()`` for an array
        of your own, or set the column: ``lc["flux"] = new_flux``.

        Examples
        --------
        >>> import numpy as np
        >>> from astropy.time import Time
        >>> lc = LightCurve(time=Time([2458326.0, 2458326.5], format="jd"), flux=[1.0, 2.0])
        >>> np.shares_memory(lc.flux, lc.flux), lc.flux.flags.writeable
        (True, False)
        >>> mine = lc.flux.copy()
        >>> mine[0] = 5.0
        >>> lc.flux.value.tolist()
        [1.0, 2.0]
        """
        if "flux" not in self.colnames:
            raise InputError(
                f"this light curve has no 'flux' column (columns: {self.colnames}); name the "
                "flux column 'flux' (lc['flux'] = lc['my_column']) or build it with "
                "LightCurve(time=..., flux=...)."
            )
        return self._read_only_view("flux")

    @property
    def flux_err(self) -> u.Quantity | None:
        """The ``flux_err`` column as a read-only Quantity view (no copy, as :attr:`flux`), or
        None when the light curve has none."""
        if "flux_err" not in self.colnames:
            return None
        return self._read_only_view("flux_err")

    def _read_only_view(self, name: str) -> u.Quantity:
        """Column ``name`` as a Quantity sharing its memory, with writing switched off on the
        view only (the column itself stays writable: ``lc[name][i] = ...`` still works)."""
        q = u.Quantity(self[name], copy=False)
        view = q.view(type(q))  # a new array object, so its flag is not the column's
        view.flags.writeable = False
        mask = getattr(view, "mask", None)  # a Masked column: its mask is a view too
        if isinstance(mask, np.ndarray):
            mask.flags.writeable = False
        return view

    @property
    def is_folded(self) -> bool:
        """True when ``time`` holds phase (a TimeDelta from mid-transit) after :meth:`fold`."""
        return isinstance(self.time, TimeDelta)

    @property
    def phase(self) -> np.ndarray:
        """Phase as a fraction of the period in ``[-0.5, 0.5)``, for a folded light curve."""
        if not self.is_folded:
            raise InputError("phase is defined only after fold(period, epoch).")
        return self.time_days() / self.meta["fold"]["period_days"]

    def time_days(self, reference: Time | None = None) -> np.ndarray:
        """Times as float days: since ``reference`` (default: the first timestamp), or the
        phase in days for a folded light curve.

        Parameters
        ----------
        reference : astropy.time.Time, optional
            Time of day 0 (default: the first timestamp).

        Returns
        -------
        numpy.ndarray
            Days, one per cadence.

        Examples
        --------
        >>> import numpy as np
        >>> from astropy.time import Time
        >>> lc = LightCurve(time=Time([2458326.0, 2458326.5], format="jd"), flux=[1.0, 1.0])
        >>> lc.time_days().tolist()
        [0.0, 0.5]
        """
        if self.is_folded:
            return np.asarray(self.time.to_value(u.day), dtype=float)
        if len(self) == 0:
            return np.zeros(0)
        ref = (
            self.time[0] if reference is None else as_time(reference, self.time.scale, "reference")
        )
        if ref.scale != self.time.scale:  # compare instants, not numbers of different scales
            try:
                ref = getattr(ref, self.time.scale)
            except Exception as exc:  # e.g. a 'local' scale converts to nothing
                raise InputError(
                    f"reference is in the {ref.scale!r} time scale, which cannot be converted to "
                    f"this light curve's {self.time.scale!r}; pass a Time in "
                    f"{self.time.scale!r}."
                ) from exc
        jd1, jd2 = self.time.jd1, self.time.jd2
        r1, r2 = ref.jd1, ref.jd2
        if jd1.ndim != 1 or np.ndim(r1) or np.ndim(r2):
            return np.asarray((jd1 - r1) + (jd2 - r2), dtype=float)
        out = np.empty(jd1.shape)
        for a, b in _blocks(jd1.size):  # the same sums, without full-size temporaries
            out[a:b] = (jd1[a:b] - r1) + (jd2[a:b] - r2)
        return out

    @property
    def cadence(self) -> float:
        """Median spacing of consecutive timestamps, in days (NaN with fewer than two)."""
        t = np.unique(self.time_days())  # sorted; repeated timestamps are not a 0-day cadence
        if t.size < 2:
            return float("nan")
        return float(np.median(np.diff(t)))

    def _flux_values(self) -> np.ndarray:
        if "flux" not in self.colnames:
            self.flux  # noqa: B018 (raises the error that says how to name a flux column)
        return self._values("flux")

    def _values(self, name: str) -> np.ndarray:
        """Column ``name``'s numbers as float: the column's own array where it is float64
        (no copy, and writable, unlike the read-only ``flux``/``flux_err`` views; read it,
        never write it)."""
        return np.asarray(u.Quantity(self[name], copy=False).value, dtype=float)

    def _flux_unit(self) -> u.UnitBase:
        return u.Quantity(self["flux"], copy=False).unit

    def _has_err(self) -> bool:
        return "flux_err" in self.colnames

    # astropy's TimeSeries keeps a sorted index on ``time`` (for ``ts.loc[...]``), re-added
    # whenever a column is added; every slice then rebuilds it row by row in Python
    # (``slice_indices`` -> ``replace_rows``), ~70% of planet_hunter's time at 3e5 points.
    # A LightCurve keeps no index unless the caller adds one (``lc.add_index("time")``).
    def add_column(self, *args: Any, **kwargs: Any) -> None:
        """See :meth:`astropy.table.Table.add_column` (no automatic ``time`` index).

        Parameters
        ----------
        *args, **kwargs
            As for astropy's method.
        """
        QTable.add_column(self, *args, **kwargs)

    def add_columns(self, *args: Any, **kwargs: Any) -> None:
        """See :meth:`astropy.table.Table.add_columns` (no automatic ``time`` index).

        Parameters
        ----------
        *args, **kwargs
            As for astropy's method.
        """
        QTable.add_columns(self, *args, **kwargs)

    def _adopt_flux_column(self) -> None:
        """A table or TimeSeries without a ``flux`` column (astropy's Kepler/TESS readers give
        ``pdcsap_flux`` and ``sap_flux``): copy the first of PDCSAP, SAP or a lone ``*flux``
        column (and its ``_err``) to ``flux``/``flux_err``, units repaired, originals kept."""
        lower = {c.lower(): c for c in self.colnames}
        fluxlike = [c for c in lower if c.endswith("flux") and c != "flux"]
        name = next((c for c in ("pdcsap_flux", "sap_flux") if c in lower), None)
        if name is None and len(fluxlike) == 1:
            name = fluxlike[0]
        if name is None:
            return
        col = self[lower[name]]
        unit = _repair_unit(getattr(col, "unit", None))
        self["flux"] = u.Quantity(_filled(col), unit)
        if name + "_err" in lower:
            self["flux_err"] = u.Quantity(_filled(self[lower[name + "_err"]]), unit)
        self.meta.setdefault("flux_origin", name)

    def _derive(self, keep: np.ndarray | None = None, step: str = "") -> LightCurve:
        if keep is None:  # a boolean take copies each column once (TimeSeries.copy: the
            keep = np.ones(len(self), dtype=bool)  # time twice, 40 bytes a point at peak)
        new = self[keep]
        new.meta = dict(self.meta)
        new.meta["history"] = list(self.meta.get("history", [])) + ([step] if step else [])
        return new

    # ------------------------------------------------------------------ cleaning
    def remove_nans(self) -> LightCurve:
        """Drop rows whose flux (or flux_err, when present) is not finite.

        Returns
        -------
        LightCurve
            A new light curve (this one is unchanged).

        Examples
        --------
        >>> import numpy as np
        >>> lc = LightCurve(time=[2458326.0, 2458326.1], flux=[1.0, np.nan])
        >>> len(lc.remove_nans())
        1
        """
        keep = np.isfinite(self._flux_values())
        if self._has_err():
            keep &= np.isfinite(self._values("flux_err"))
        return self._derive(keep, f"remove_nans: dropped {int((~keep).sum())} rows")

    def normalize(self) -> LightCurve:
        """Divide flux and flux_err by the median finite flux (result is dimensionless).

        Returns
        -------
        LightCurve
            A new light curve (this one is unchanged).

        Raises
        ------
        InputError
            When there is no finite flux, or its median is not positive.

        Examples
        --------
        >>> lc = LightCurve(time=[2458326.0, 2458326.1, 2458326.2], flux=[2.0, 4.0, 4.0])
        >>> lc.normalize().flux.value.tolist()
        [0.5, 1.0, 1.0]
        """
        _check_not_magnitudes(self._flux_unit(), "normalize()")
        f = self._flux_values()
        finite = np.isfinite(f)
        if not finite.any():
            what = f"none of its {f.size} points (all NaN)" if f.size else "no points at all"
            raise InputError(
                f"normalize() needs finite flux values; this light curve has {what}. "
                "Check the flux column or quality mask used when reading it, and the steps "
                "(remove_outliers, slicing) that came before."
            )
        med = float(np.median(f[finite]))
        if not med > 0:
            raise InputError(
                f"normalize() divides by the median flux, which must be positive; got {med}. "
                "Normalise only raw (not already mean-subtracted) flux."
            )
        new = self._derive(step=f"normalize: divided by median {med:.6g} {self._flux_unit()}")
        _divide_column(new, "flux", f, med)
        if self._has_err():
            _divide_column(new, "flux_err", self._values("flux_err"), med)
        return new

    def _clean(self, sigma: float, sort_step: str) -> LightCurve:
        """``remove_nans()``, sorted by time when it is not (``sort_step`` in the history),
        ``normalize()`` and ``remove_outliers(sigma)``, as one copy of the rows kept rather
        than one per step: the same light curve and history (planet_hunter's cleaning)."""
        f = self._flux_values()
        _check_not_magnitudes(self._flux_unit(), "planet_hunter")
        keep = np.isfinite(f)
        if self._has_err():
            keep &= np.isfinite(self._values("flux_err"))
        n_ok = int(np.count_nonzero(keep))
        if n_ok == 0:  # the steps one by one say what is wrong
            return self.remove_nans().normalize().remove_outliers(sigma)
        history = list(self.meta.get("history", []))
        history.append(f"remove_nans: dropped {len(self) - n_ok} rows")
        t = self.time_days(self.time[int(np.argmax(keep))])  # the NaN-free copy's days
        unsorted = bool(np.any(np.diff(t[keep]) < 0))
        if unsorted:
            history.append(sort_step)
        else:
            del t
        fc = f[keep]  # medians do not depend on the order
        med = float(np.median(fc))
        if not med > 0:
            raise InputError(
                f"normalize() divides by the median flux, which must be positive; got {med}. "
                "Normalise only raw (not already mean-subtracted) flux."
            )
        history.append(f"normalize: divided by median {med:.6g} {self._flux_unit()}")
        np.divide(fc, med, out=fc)
        upper = _positive_number(sigma, "sigma", 5)
        lower = _positive_number(np.inf, "sigma_lower", 5)
        centre = np.nanmedian(fc) if np.isfinite(fc).any() else np.nan
        std = _robust_std(fc)
        if not np.isfinite(std) or std == 0:
            history.append("remove_outliers: no spread, nothing removed")
        else:
            with np.errstate(invalid="ignore"):
                out = (fc > centre + upper * std) | (fc < centre - lower * std)
            history.append(
                f"remove_outliers: dropped {int(out.sum())} rows beyond -{lower}/+{upper} sigma"
            )
            keep[keep] = ~out
            del out
        del fc
        if unsorted:
            rows = np.flatnonzero(keep)
            rows = rows[np.argsort(t[rows], kind="stable")]
            del t, keep
            new = self[rows]
        else:
            new = self[keep]
        new.meta = dict(self.meta)
        new.meta["history"] = history
        _divide_column(new, "flux", new._flux_values(), med, in_place=True)
        if new._has_err():
            _divide_column(new, "flux_err", new._values("flux_err"), med, in_place=True)
        return new

    def remove_outliers(
        self,
        sigma: float = 5.0,
        *,
        sigma_lower: float | None = None,
        sigma_upper: float | None = None,
    ) -> LightCurve:
        """Drop points more than ``sigma`` robust standard deviations from the median.

        By default only *upward* outliers (cosmic rays, flares) are removed, because transits
        are downward excursions: ``sigma_lower`` defaults to infinity. Pass ``sigma_lower`` to
        clip low points too. The spread is the median absolute deviation times 1.4826.

        Parameters
        ----------
        sigma : float
            Upper clipping threshold (used when ``sigma_upper`` is None).
        sigma_lower, sigma_upper : float, optional
            Separate thresholds below and above the median.

        Returns
        -------
        LightCurve
            A new light curve (this one is unchanged).

        Examples
        --------
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> f = 1 + 1e-3 * rng.standard_normal(200)
        >>> f[10] = 1.1
        >>> lc = LightCurve(time=2458326.0 + np.arange(200) / 48, flux=f)
        >>> len(lc.remove_outliers())
        199
        """
        upper = sigma if sigma_upper is None else sigma_upper
        lower = np.inf if sigma_lower is None else sigma_lower
        upper = _positive_number(upper, "sigma" if sigma_upper is None else "sigma_upper", 5)
        lower = _positive_number(lower, "sigma_lower", 5)
        f = self._flux_values()
        med = np.nanmedian(f) if np.isfinite(f).any() else np.nan
        std = _robust_std(f)
        if not np.isfinite(std) or std == 0:
            return self._derive(step="remove_outliers: no spread, nothing removed")
        with np.errstate(invalid="ignore"):
            keep = ~((f > med + upper * std) | (f < med - lower * std))
        return self._derive(
            keep,
            f"remove_outliers: dropped {int((~keep).sum())} rows beyond -{lower}/+{upper} sigma",
        )

    def flatten(
        self,
        window: u.Quantity | float | None = None,
        *,
        window_length: int | None = None,
        sigma: float = 3.0,
        iterations: int = 3,
        mask: np.ndarray | None = None,
        return_trend: bool = False,
    ) -> LightCurve | tuple[LightCurve, LightCurve]:
        """Divide out slow variability with a robust running median that spares transits.

        The trend is the median of the points within ``window`` around knots spaced a third
        of a window apart, linearly interpolated, computed separately on each segment between
        data gaps longer than half a window. Points that deviate by more than ``sigma``
        robust standard deviations from the trend (transits, flares), and points in ``mask``,
        are left out of the next iteration's medians, so a transit shorter than about half the
        window does not pull the trend down. Choose a window about three times the longest
        transit you search for.

        Parameters
        ----------
        window : Quantity or float
            Width of the running window (float: days, not cadences as lightkurve's
            ``window_length``: a plain number longer than the light curve warns, since
            nothing is then flattened). Default 1 day.
        window_length : int, optional
            The window in cadences instead (lightkurve's argument): that many times the
            median time step. Give ``window`` or ``window_length``, not both. The trend is
            still this running median, not lightkurve's Savitzky-Golay filter.
        sigma : float
            Clipping threshold for excluding points from the trend.
        iterations : int
            Number of fit-and-clip passes.
        mask : array of bool, optional
            True for points to leave out of the trend (e.g. known transits); they are still
            divided by the interpolated trend.
        return_trend : bool
            Also return the trend as a light curve.

        Returns
        -------
        LightCurve or (LightCurve, LightCurve)
            The flattened light curve (flux / trend, dimensionless), and the trend if asked.

        Examples
        --------
        >>> import numpy as np
        >>> t = 2458326.0 + np.arange(2000) / 48
        >>> f = 100 * (1 + 0.01 * np.sin(2 * np.pi * (t - t[0]) / 10))
        >>> flat = LightCurve(time=t, flux=f).flatten(1.0)
        >>> bool(np.abs(flat.flux.value - 1).max() < 1e-3)
        True
        """
        if window_length is not None:
            window = self._cadences_to_days(window, window_length)
        elif window is None:
            window = 1.0 * u.day
        bare = not isinstance(window, (u.Quantity, TimeDelta))
        trend, w = self._trend(window, sigma, iterations, mask, warn_span=bare)
        f = self._flux_values()
        new = self._derive(step=f"flatten: running median, window {w:g} d")
        # divide in place, block by block, into the new light curve's own copies of the
        # columns: no full-length temporaries
        _divide_column(new, "flux", f, trend)
        if self._has_err():
            _divide_column(new, "flux_err", self._values("flux_err"), trend)
        if return_trend:
            tr = self._derive(step=f"trend: running median, window {w:g} d")
            tr["flux"] = u.Quantity(trend, self._flux_unit())
            if "flux_err" in tr.colnames:
                tr.remove_column("flux_err")
            return new, tr
        return new

    def _cadences_to_days(self, window: Any, window_length: Any) -> u.Quantity:
        """:meth:`flatten`'s ``window_length`` (cadences) as a window in days."""
        if window is not None:
            raise InputError(
                f"flatten() got both window={window!r} and window_length={window_length!r}: "
                "give the window in days (window) or in cadences (window_length), not both"
            )
        n = whole_number(window_length, "window_length (cadences)", minimum=2)
        t = self.time_days()
        steps = np.diff(np.sort(t[np.isfinite(t)]))
        steps = steps[steps > 0]
        if not steps.size:
            raise InputError("flatten(window_length=...) needs at least two distinct times")
        return n * float(np.median(steps)) * u.day

    def _trend(
        self,
        window: Any,
        sigma: Any,
        iterations: Any,
        mask: np.ndarray | None,
        *,
        warn_span: bool = False,
    ) -> tuple[np.ndarray, float]:
        """:meth:`flatten`'s trend (one value per point, in this light curve's order) and
        its window in days; ``warn_span``: warn when the window is longer than the light
        curve (a plain number given in cadences, as lightkurve's ``window_length``)."""
        if self.is_folded:
            raise InputError("flatten() needs a time-ordered light curve; call it before fold().")
        w = to_days(window, "window")
        if w <= 0:
            raise InputError(f"window must be positive; got {w} days.")
        sigma = _positive_number(sigma, "sigma", 3)
        iterations = whole_number(iterations, "iterations", minimum=1)
        t = self.time_days()
        f = self._flux_values()
        if warn_span and t.size > 1 and w >= float(np.max(t) - np.min(t)):
            import warnings

            warnings.warn(
                f"flatten(window={window!r}) reads a plain number as days, and {w:g} d is "
                f"longer than this light curve ({float(np.max(t) - np.min(t)):.4g} d): the "
                "trend is one median and nothing is flattened. For lightkurve's window_length "
                f"(a number of cadences) pass window_length={window!r} (or window={window!r} * "
                "lc.cadence); to mean days, pass a Quantity (e.g. 2 * u.day).",
                UserWarning,
                stacklevel=3,
            )
        if mask is not None:
            m = np.asarray(mask, dtype=bool)
            if m.shape != f.shape:
                raise InputError(f"mask must have one value per point ({f.size}); got {m.shape}.")
        # time-ordered already (the usual case): no sorted copies of time, flux and mask
        order = None if bool(np.all(t[1:] >= t[:-1])) else np.argsort(t, kind="stable")
        ts, fs = (t, f) if order is None else (t[order], f[order])
        excluded = ~np.isfinite(fs)
        if mask is not None:
            excluded |= m if order is None else m[order]
        trend = _running_median_trend(ts, fs, excluded, w, sigma, iterations)
        del t, ts, fs, excluded
        if order is not None:
            trend[order] = trend.copy()
        return trend, w

    def _flatten_in_place(self, window: float, min_points: int) -> LightCurve:
        """``flatten(window)``, divided into this light curve's own columns when more than
        ``min_points`` points stay finite (planet_hunter's cleaned copy, which it no longer
        needs whole: no second full-size copy); else a new light curve, as ``flatten``."""
        trend, w = self._trend(window, 3.0, 3, None)
        f = self._flux_values()
        err = self._values("flux_err") if self._has_err() else None
        finite = 0
        with np.errstate(invalid="ignore", divide="ignore"):
            for a, b in _blocks(f.size):
                ok = np.isfinite(f[a:b] / trend[a:b])
                if err is not None:
                    ok &= np.isfinite(err[a:b] / trend[a:b])
                finite += int(np.count_nonzero(ok))
        step = f"flatten: running median, window {w:g} d"
        if finite <= min_points:
            new = self._derive(step=step)
            _divide_column(new, "flux", f, trend)
            if err is not None:
                _divide_column(new, "flux_err", err, trend)
            return new
        _divide_column(self, "flux", f, trend, in_place=True)
        if err is not None:
            _divide_column(self, "flux_err", err, trend, in_place=True)
        self.meta["history"] = list(self.meta.get("history", [])) + [step]
        return self

    def fold(  # type: ignore[override]
        self,
        period: u.Quantity | float | None = None,
        epoch: Time | float | None = None,
        *,
        epoch_time: Time | float | None = None,
        epoch_phase: u.Quantity | float = 0,
        wrap_phase: u.Quantity | float | None = None,
        normalize_phase: bool = False,
    ) -> LightCurve:
        """Fold on ``period`` so that ``epoch`` (a mid-transit time) is at phase 0.

        The result's ``time`` column is a :class:`~astropy.time.TimeDelta` from mid-transit in
        ``[-period/2, period/2)``, sorted by phase; ``meta["fold"]`` keeps period and epoch,
        and :attr:`phase` gives the phase as a fraction of the period.

        astropy's and lightkurve's argument names work too (``fold(period=...,
        epoch_time=..., epoch_phase=..., wrap_phase=..., normalize_phase=...)``), with their
        meaning. One difference: with ``normalize_phase=True`` astropy replaces ``time`` by a
        dimensionless phase, whereas here ``time`` stays a TimeDelta (so every method keeps
        working) and :attr:`phase` holds the normalised phase; ``epoch_phase`` and
        ``wrap_phase`` are then fractions of the period.

        Parameters
        ----------
        period : Quantity or float
            Folding period (float: days).
        epoch : Time or float, optional
            A mid-transit time (float: Julian date in the light curve's time scale).
            Default: the first timestamp.
        epoch_time : Time or float, optional
            astropy's and lightkurve's name for ``epoch`` (pass one of the two).
        epoch_phase : Quantity or float
            Phase at which ``epoch`` lands (float: days; a fraction of the period when
            ``normalize_phase``). Default 0.
        wrap_phase : Quantity or float, optional
            Phase at which the fold wraps: phases lie in ``[wrap_phase - period, wrap_phase)``
            (float: days, between 0 and the period; a fraction between 0 and 1 when
            ``normalize_phase``). Default: half the period.
        normalize_phase : bool
            Read ``epoch_phase`` and ``wrap_phase`` as fractions of the period.

        Returns
        -------
        LightCurve
            A new light curve (this one is unchanged).

        Examples
        --------
        >>> import numpy as np
        >>> t = 2458326.0 + np.arange(100) * 0.1
        >>> folded = LightCurve(time=t, flux=np.ones(100)).fold(2.0, 2458326.0)
        >>> bool(folded.time_days().min() >= -1.0 and folded.time_days().max() < 1.0)
        True
        >>> f2 = LightCurve(time=t, flux=np.ones(100)).fold(
        ...     period=2.0, epoch_time=2458326.0, wrap_phase=1.0, normalize_phase=True)
        >>> bool(f2.phase.min() >= 0.0 and f2.phase.max() < 1.0)
        True
        """
        if self.is_folded:
            raise InputError("this light curve is already folded; fold the original instead.")
        if len(self) == 0:
            raise InputError(
                "cannot fold an empty light curve: it has no points (check the quality mask "
                "and remove_nans/remove_outliers steps that came before)."
            )
        if period is None:
            raise InputError("fold() needs a period, e.g. fold(3.2888 * u.day, epoch).")
        if epoch is not None and epoch_time is not None:
            raise InputError(
                f"pass the epoch once: epoch={epoch!r} and epoch_time={epoch_time!r} are the "
                "same argument (epoch_time is astropy's and lightkurve's name)."
            )
        if epoch is None:
            epoch = epoch_time
        p = to_days(period, "period")
        if p <= 0:
            raise InputError(f"period must be positive; got {p} days.")
        if not isinstance(epoch, (Time, type(None))):
            _check_epoch_is_a_jd(epoch, self)
        ep = self.time[0] if epoch is None else as_time(epoch, self.time.scale)
        if normalize_phase:
            ephase = _fraction(epoch_phase, "epoch_phase") * p
            wrap = 0.5 * p if wrap_phase is None else _fraction(wrap_phase, "wrap_phase") * p
        else:
            ephase = to_days(epoch_phase, "epoch_phase")
            wrap = 0.5 * p if wrap_phase is None else to_days(wrap_phase, "wrap_phase")
        if not 0 <= wrap <= p:
            raise InputError(
                f"wrap_phase must lie between 0 and the period ({p:g} d); got {wrap:g} d"
                + (" (as a fraction: between 0 and 1)." if normalize_phase else ".")
            )
        shift = p - wrap
        rel = np.mod(self.time_days(ep) + ephase + shift, p) - shift
        order = np.argsort(rel, kind="stable")
        folded = self._derive(order, f"fold: period {p:.8g} d, epoch JD {ep.jd:.6f}")
        with folded._delay_required_column_checks():
            folded.remove_column("time")
            folded.add_column(TimeDelta(rel[order], format="jd"), name="time", index=0)
        folded.meta["fold"] = {
            "period_days": p,
            "epoch_jd": float(ep.jd),
            "scale": ep.scale,
            "epoch_phase_days": float(ephase),
            "wrap_phase_days": float(wrap),
            "normalize_phase": bool(normalize_phase),
        }
        return folded

    def bin(
        self,
        time_bin_size: u.Quantity | float | None = None,
        *,
        n_bins: int | None = None,
        method: str = "mean",
        aggregate_func: Any = None,
    ) -> LightCurve:
        """Average the flux in bins of equal width in time (or phase, once folded).

        Empty bins are dropped. ``flux_err`` of a bin is the standard error of its points
        (their spread divided by the square root of their number; at least the propagated
        ``flux_err`` when the light curve has one), NaN for a single point without
        ``flux_err``.

        Parameters
        ----------
        time_bin_size : Quantity or float, optional
            Bin width (float: days; for a folded light curve, days of phase).
            Default: ten cadences.
        n_bins : int, optional
            Number of bins across the whole span instead of a width (pass one of the two).
        method : {"mean", "median"}
            How to combine the flux in a bin.
        aggregate_func : callable, optional
            astropy's and lightkurve's way to say the same: a function of an array returning
            one number (``np.nanmean``, ``np.nanmedian``, ``np.nansum``...), applied to the
            finite fluxes of each bin; overrides ``method``.

        Returns
        -------
        LightCurve
            A new light curve (this one is unchanged).

        Examples
        --------
        >>> import numpy as np
        >>> lc = LightCurve(time=2458326.0 + np.arange(100) / 48, flux=np.arange(100.0))
        >>> len(lc.bin(n_bins=10))
        10
        """
        if aggregate_func is not None:
            if not callable(aggregate_func):
                raise InputError(
                    f"aggregate_func must be a function such as np.nanmedian; got "
                    f"{aggregate_func!r}."
                )
            known = {np.mean: "mean", np.nanmean: "mean", np.median: "median"}
            known[np.nanmedian] = "median"
            method = known.get(aggregate_func, aggregate_func)
        elif method not in ("mean", "median"):
            raise InputError(f"method must be 'mean' or 'median'; got {method!r}.")
        if n_bins is not None and time_bin_size is not None:
            raise InputError(
                f"pass either time_bin_size or n_bins, not both (got {time_bin_size!r} and "
                f"{n_bins!r}): one fixes the width, the other the number of bins."
            )
        if n_bins is not None:
            n_bins = whole_number(n_bins, "n_bins")
        if len(self) == 0:
            raise InputError("cannot bin an empty light curve.")
        folded = self.is_folded
        tv = self.time_days()
        t0, t1 = float(np.nanmin(tv)), float(np.nanmax(tv))
        if n_bins is not None:
            if int(n_bins) < 1:
                raise InputError(f"n_bins must be at least 1; got {n_bins}.")
            nb = int(n_bins)
            width = (t1 - t0) / nb if t1 > t0 else 1.0
        elif time_bin_size is None and not self.cadence > 0:
            nb, width = 1, 1.0  # one distinct timestamp: no cadence to measure, one bin
        else:
            width = 10 * self.cadence if time_bin_size is None else to_days(time_bin_size)
            if not width > 0:
                raise InputError(f"time_bin_size must be positive; got {width}.")
            nb = max(1, int(np.floor((t1 - t0) / width)) + 1)
        f = self._flux_values()
        e = self._values("flux_err") if self._has_err() else None
        counts, sums, sq, esq, tsum = _bin_sums(tv, f, e, t0, width, nb)
        filled = counts > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = sums / counts
            var = np.maximum(sq / counts - mean**2, 0.0)
            sem = np.sqrt(var / np.maximum(counts - 1, 1))
        if method != "mean":
            idx = np.clip(((tv - t0) / width).astype(int), 0, nb - 1)
            good = np.isfinite(f)
            ig, fg = (idx, f) if good.all() else (idx[good], f[good])
            del idx
            func = np.median if method == "median" else method
            order = np.argsort(ig, kind="stable")
            fi, ii = fg[order], ig[order]
            starts = np.searchsorted(ii, np.arange(nb))
            ends = np.searchsorted(ii, np.arange(nb), side="right")
            mean = np.array(
                [
                    float(func(fi[s:e])) if e > s else np.nan
                    for s, e in zip(starts, ends, strict=True)
                ]
            )
        sem = np.where(counts > 1, sem, np.nan)  # one point says nothing about its spread
        if esq is not None:
            with np.errstate(invalid="ignore", divide="ignore"):
                prop = np.sqrt(esq) / counts
            sem = np.where(counts > 1, np.maximum(sem, prop), prop)
        with np.errstate(invalid="ignore", divide="ignore"):
            tmid = tsum / counts
        tmid, mean, sem = tmid[filled], mean[filled], sem[filled]
        unit = self._flux_unit()
        how = method if isinstance(method, str) else getattr(method, "__name__", "function")
        step = f"bin: {int(filled.sum())} bins of {width:.6g} ({how})"
        if folded:
            out = LightCurve(data={"time": TimeDelta(tmid, format="jd")}, meta=dict(self.meta))
        else:
            out = LightCurve(time=self.time[0] + TimeDelta(tmid, format="jd"), meta=dict(self.meta))
        out["flux"] = u.Quantity(mean, unit)
        out["flux_err"] = u.Quantity(sem, unit)
        out.meta["history"] = list(self.meta.get("history", [])) + [step]
        return out

    def stitch(self, *others: Any, normalize: bool = True) -> LightCurve:
        """This light curve and ``others`` joined, each normalised on its own
        (:func:`~spacekit.transformer.stitch`).

        Parameters
        ----------
        *others : LightCurve
            The light curves to append.
        normalize : bool
            Normalise each one before joining.

        Returns
        -------
        LightCurve
            The joined light curve, sorted by time.

        Examples
        --------
        >>> import numpy as np
        >>> a = LightCurve(time=2458326.0 + np.arange(5) / 48, flux=np.full(5, 100.0))
        >>> b = LightCurve(time=2458330.0 + np.arange(5) / 48, flux=np.full(5, 300.0))
        >>> len(a.stitch(b))
        10
        """
        return stitch([self, *others], normalize=normalize)

    # ------------------------------------------------------------------ interop
    def mission_time_format(self) -> str | None:
        """``"bkjd"`` (Kepler, K2: BJD - 2454833), ``"btjd"`` (TESS: BJD - 2457000) or None.

        Read from the BJD reference of the file (``meta["bjdref"]``), else from
        ``meta["mission"]`` or ``meta["time_format"]``. This is the time format lightkurve
        gives such light curves (:meth:`to_lightkurve` uses it).

        Returns
        -------
        str or None
            The format.

        Examples
        --------
        >>> LightCurve(time=[2458326.0, 2458326.1], flux=[1.0, 1.0],
        ...            meta={"mission": "TESS"}).mission_time_format()
        'btjd'
        """
        return _mission_time_format(self.meta)

    def to_pandas(self):  # type: ignore[override]
        """Return a :class:`pandas.DataFrame` indexed by time, with the time scale stated.

        As in astropy, the ``DatetimeIndex`` holds the timestamps *in the light curve's own
        time scale* (TDB for Kepler, K2 and TESS, not UTC); ``df.attrs`` says so and keeps
        what a DataFrame cannot: ``time_scale``, ``time_format``, the column ``units`` and the
        ``meta``. :meth:`from_pandas` reads them back, so the round trip keeps the instants
        (to the nanosecond of ``datetime64``), the units and the meta.

        Returns
        -------
        pandas.DataFrame
            As described above.

        Examples
        --------
        >>> import numpy as np
        >>> lc = LightCurve(time=[2458326.0, 2458326.5], flux=[1.0, 2.0])
        >>> df = lc.to_pandas()
        >>> df.attrs["time_scale"], df.attrs["units"]["flux"]
        ('tdb', '')
        >>> back = LightCurve.from_pandas(df)
        >>> back.time.scale, float(abs(back.time - lc.time).max().sec) < 1e-6
        ('tdb', True)
        """
        import copy

        from astropy.table import Table

        if self.is_folded:
            raise InputError(
                "to_pandas() needs a time-ordered light curve (a DataFrame index of datetimes); "
                "this one is folded. Use lc.to_table().to_pandas() or pd.DataFrame("
                "{'phase': lc.phase, 'flux': lc.flux.value})."
            )
        df = Table(self, copy=False).to_pandas(index="time")
        df.attrs["time_scale"] = self.time.scale
        df.attrs["time_format"] = self.time.format
        df.attrs["units"] = {
            name: str(getattr(self[name], "unit", None) or "")
            for name in self.colnames
            if name != "time" and isinstance(self[name], u.Quantity)
        }
        df.attrs["meta"] = copy.deepcopy(dict(self.meta))
        return df

    @classmethod
    def from_pandas(cls, df: Any, time_scale: str | None = None) -> LightCurve:  # type: ignore[override]
        """Build a light curve from a DataFrame with a ``DatetimeIndex`` (see :meth:`to_pandas`).

        Parameters
        ----------
        df : pandas.DataFrame
            Indexed by datetimes; a ``flux`` column (or ``pdcsap_flux``/``sap_flux``).
        time_scale : str, optional
            The time scale the datetimes are in. Default: ``df.attrs["time_scale"]`` (written
            by :meth:`to_pandas`), else ``"utc"`` (astropy's default for datetimes).

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"flux": [1.0, 2.0]},
        ...                   index=pd.to_datetime(["2020-01-01", "2020-01-02"]))
        >>> LightCurve.from_pandas(df, time_scale="tdb").time.scale
        'tdb'
        """
        import pandas as pd
        from astropy.table import Table

        if not isinstance(df, pd.DataFrame) or not isinstance(df.index, pd.DatetimeIndex):
            raise InputError(
                "from_pandas expects a pandas DataFrame indexed by datetimes (a DatetimeIndex, "
                f"as LightCurve.to_pandas() writes); got {type(df).__name__}"
                + (f" with a {type(df.index).__name__}" if hasattr(df, "index") else "")
                + ". Use df.set_index(pd.to_datetime(df['time'])) or LightCurve(time=..., "
                "flux=...)."
            )
        attrs = dict(getattr(df, "attrs", {}) or {})
        scale = time_scale or attrs.get("time_scale") or "utc"
        if scale not in Time.SCALES:
            raise InputError(f"time_scale must be one of {sorted(Time.SCALES)}; got {scale!r}.")
        time = Time(df.index.to_numpy(dtype="datetime64[ns]"), scale=scale)
        time.format = "jd"
        fmt = attrs.get("time_format")
        table = Table.from_pandas(df)
        units = attrs.get("units") or {}
        meta = dict(attrs.get("meta") or {})
        out = cls(time=time, data=table, meta=meta)
        for name, unit in units.items():
            if name in out.colnames and not isinstance(out[name], u.Quantity):
                out[name] = u.Quantity(np.asarray(out[name]), _repair_unit(unit or None))
        if fmt and fmt in Time.FORMATS:
            out.time.format = fmt
        return out

    def write(self, path: Any, *args: Any, format: str | None = None, **kwargs: Any) -> None:  # type: ignore[override]
        """Write the light curve; FITS files are mission-style and read back losslessly.

        A ``.fits`` path (or ``format="fits"``) is written (atomically) as a Kepler/TESS-style
        binary table that :meth:`read`, :func:`~spacekit.transformer.read_lightcurve` and
        plain FITS tools understand: ``TIME`` in days since ``BJDREFI + BJDREFF`` with
        ``TIMESYS``, every column with its unit, and the whole ``meta`` (as JSON in the
        ``SPKMETA`` keyword) besides ``OBJECT``/``TELESCOP``. Other formats (``.ecsv``,
        ``.h5``...) go through astropy's ``TimeSeries.write``; ECSV also round-trips exactly
        (its time column is written as the two parts of the Julian date, ``jd1`` and ``jd2``,
        which a single float would round by tens of microseconds). A csv holds the times as
        plain Julian dates with no time scale: read it back with
        ``read_lightcurve(path, time_format="bjd")`` (TDB, as Kepler and TESS times are).

        Parameters
        ----------
        path : str or path-like
            Where to write.
        *args
            Passed to astropy's ``TimeSeries.write`` (formats other than FITS).
        format : str, optional
            ``"fits"`` or an astropy table format (default from the file name).
        **kwargs
            ``overwrite=True`` replaces an existing file (default False); other keywords go to
            astropy's ``TimeSeries.write``.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> lc = LightCurve(time=[2458326.0, 2458326.1], flux=[1.0, 2.0], meta={"target": "x"})
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "lc.fits"
        >>> lc.write(p)
        >>> LightCurve.read(p).meta["target"]
        'x'
        """
        if _is_fits_target(path, format):
            from .readers import write_lightcurve_fits

            if args:
                raise InputError(f"write() takes the path and keywords only; got extra {args}.")
            write_lightcurve_fits(self, path, **kwargs)
            return
        if format in ("ascii.ecsv", "ecsv") or (
            format is None and str(path).lower().endswith(".ecsv")
        ):
            # a Time written as one float JD keeps ~40 microseconds; jd1/jd2 keep it exactly
            kwargs.setdefault("serialize_method", {"time": "jd1_jd2"})
        super().write(path, *args, format=format, **kwargs)

    @classmethod
    def read(cls, path: Any, *args: Any, format: str | None = None, **kwargs: Any) -> LightCurve:  # type: ignore[override]
        """Read a light curve file: FITS through :func:`read_lightcurve`, others via astropy.

        A FITS file (one written by :meth:`write`, a Kepler/K2/TESS light curve, or an
        astropy-written table with a ``time`` column) is read by
        :func:`~spacekit.transformer.read_lightcurve` (keywords ``flux``, ``time_format``,
        ``quality_mask`` are passed on; every cadence is kept unless ``quality_mask`` says
        otherwise). Other formats go to astropy's ``TimeSeries.read`` with
        ``time_column="time"`` by default.

        Parameters
        ----------
        path : path
            The file.
        *args
            Passed to astropy's ``TimeSeries.read`` (formats other than FITS).
        format : str, optional
            ``"fits"`` or an astropy table format (default from the file name).
        **kwargs
            ``flux``, ``time_format``, ``quality_mask`` for FITS (as for
            :func:`~spacekit.transformer.read_lightcurve`); else passed to astropy.

        Returns
        -------
        LightCurve
            The light curve.

        Examples
        --------
        >>> lc = LightCurve(time=[2458326.0, 2458326.1], flux=[1.0, 2.0])
        >>> lc.write("lc.fits"); lc.write("lc.ecsv")
        >>> LightCurve.read("lc.fits")["flux"].value.tolist(), len(LightCurve.read("lc.ecsv"))
        ([1.0, 2.0], 2)
        """
        if _is_fits_target(path, format) or _is_fits_file(path):
            from .readers import read_lightcurve

            if args:
                raise InputError(f"read() takes the path and keywords only; got extra {args}.")
            kwargs.setdefault("quality_mask", "none")
            return read_lightcurve(path, **kwargs)
        if format not in (None, "ascii.ecsv", "ecsv") or not str(path).lower().endswith(".ecsv"):
            kwargs.setdefault("time_column", "time")
        try:
            return super().read(path, *args, format=format, **kwargs)
        except ValueError as exc:
            if "time_format" in kwargs or isinstance(exc, InputError):
                raise
            # astropy lists every time format it tried, not what to do
            why = str(exc).splitlines()[0].rstrip(":")
            raise InputError(
                f"astropy could not read {os.fspath(path)!r} as a time series with times in "
                f"column {kwargs.get('time_column')!r} ({why}). For a csv "
                "of numbers (time, flux[, flux_err]) use read_lightcurve(path, "
                "time_format='bkjd'), 'btjd', 'bjd', 'jd' or 'mjd'; or tell astropy the time "
                "format here (time_format='jd', time_column='...')."
            ) from exc

    def to_lightkurve(self):
        """Return a ``lightkurve.LightCurve`` with the same time, flux, flux_err, columns, meta.

        The time is the same instants in the same scale, in lightkurve's own format for the
        mission (``bkjd`` for Kepler and K2, ``btjd`` for TESS, as ``lightkurve.read`` gives;
        else ``jd``), so an epoch typed in BKJD folds at the same phase. Every lightkurve
        method works on it (``bin``, ``flatten``, ``fold``, ``to_periodogram``, stitching a
        ``LightCurveCollection``). Needs lightkurve (optional; it conflicts with other pins
        of ``spacekit[x]``, so install it in its own environment:
        ``pip install spacekit lightkurve``).

        Returns
        -------
        lightkurve.LightCurve
            The same light curve.

        Examples
        --------
        >>> lk_lc = lc.to_lightkurve()  # doctest: +SKIP
        >>> lk_lc.time.format  # doctest: +SKIP
        'bkjd'
        """
        lk = _import_lightkurve("LightCurve.to_lightkurve()")
        if self.is_folded:
            raise InputError(
                "to_lightkurve() needs a time-ordered light curve; convert before fold() "
                "(lightkurve folds with lk_lc.fold(period, epoch_time))."
            )
        # a fresh Time: the column's own carries this TimeSeries' index, which breaks
        # lightkurve's bin() inside astropy
        time = Time(self.time.jd1.copy(), self.time.jd2.copy(), format="jd", scale=self.time.scale)
        fmt = self.mission_time_format()
        if fmt and fmt in Time.FORMATS:
            time.format = fmt
        kwargs = {"time": time, "flux": u.Quantity(self.flux, copy=True)}
        if self.flux_err is not None:
            kwargs["flux_err"] = u.Quantity(self.flux_err, copy=True)
        out = lk.LightCurve(**kwargs)
        for name in self.colnames:
            if name not in ("time", "flux", "flux_err") and name not in out.colnames:
                out[name] = self[name].copy()
        for key, value in self.meta.items():
            if key != "history":
                out.meta[key.upper()] = value
        out.meta.setdefault("LABEL", self.meta.get("target", ""))
        for key in ("keplerid", "ticid"):
            if self.meta.get(key) is not None:
                out.meta.setdefault("TARGETID", self.meta[key])
        out.meta["SPACEKIT_HISTORY"] = list(self.meta.get("history", []))
        return out

    @classmethod
    def from_lightkurve(cls, lk_lc: Any) -> LightCurve:
        """Build a :class:`LightCurve` from a ``lightkurve.LightCurve`` (time kept exactly).

        Time becomes format ``jd`` in the same scale (``bkjd``/``btjd`` are lightkurve's
        formats; :meth:`to_lightkurve` restores them); other 1-D columns (``quality``,
        centroids...) are kept; masked values become NaN.

        Parameters
        ----------
        lk_lc : lightkurve.LightCurve
            The light curve to convert.

        Returns
        -------
        LightCurve
            The same light curve.

        Examples
        --------
        >>> lc = LightCurve.from_lightkurve(lk_lc)  # doctest: +SKIP
        """
        try:
            time = lk_lc.time
            flux = u.Quantity(lk_lc.flux)
        except AttributeError as exc:
            raise InputError(
                f"from_lightkurve expects a lightkurve LightCurve (with .time and .flux); got "
                f"{type(lk_lc).__name__}."
            ) from exc
        if isinstance(time, TimeDelta) or not isinstance(time, Time):
            raise InputError(
                f"from_lightkurve needs a light curve in time; this {type(lk_lc).__name__} "
                "holds phases (a folded light curve: lk_lc.fold(...)). Convert the light curve "
                "before folding, and fold it here: LightCurve.from_lightkurve(lk_lc).fold("
                "period, epoch)."
            )
        time = Time(time.jd1, time.jd2, format="jd", scale=time.scale)
        err = getattr(lk_lc, "flux_err", None)
        if err is not None:
            err = u.Quantity(err)
            err = u.Quantity(_filled(err), err.unit)
            if np.all(~np.isfinite(err.value)):
                err = None
        flux = u.Quantity(_filled(flux), flux.unit)
        meta = {k.lower(): v for k, v in dict(lk_lc.meta).items() if _plain(v)}
        if not meta.get("target") and (meta.get("object") or meta.get("label")):
            meta["target"] = str(meta.get("object") or meta.get("label"))  # as our readers
        meta["history"] = list(lk_lc.meta.get("SPACEKIT_HISTORY", [])) + ["from_lightkurve"]
        out = cls(time=time, flux=flux, flux_err=err, meta=meta)
        for name in getattr(lk_lc, "colnames", []):
            if name in ("time", "flux", "flux_err") or name in out.colnames:
                continue
            col = lk_lc[name]
            if getattr(col, "ndim", 0) != 1 or isinstance(col, Time):
                continue
            try:
                unit = getattr(col, "unit", None)
                values = _filled(col)
                out[name] = u.Quantity(values, unit) if unit is not None else values
            except (TypeError, ValueError):
                continue
        return out


def stitch(
    lightcurves: Any,
    *,
    normalize: bool = True,
) -> LightCurve:
    """Join quarters, sectors or campaigns into one light curve, each normalised on its own.

    Each light curve is divided by its own median flux (``normalize=True``, the default:
    quarters and sectors differ in flux level by their aperture and detector), then all rows
    are concatenated and sorted by time. Nothing is filled or dropped: the gaps between the
    pieces stay gaps, the cadences a quality mask removed when reading stay removed, NaN
    fluxes stay (use :meth:`LightCurve.remove_nans`), and columns the pieces share (such as
    ``quality`` or centroids) are kept. A ``segment`` column says which piece each row came
    from (0, 1, ... in the order given), so a transit in one quarter only can be told apart;
    ``meta`` is the first piece's, with ``stitched`` listing each piece's source, quarter or
    sector and the median it was divided by.

    Parameters
    ----------
    lightcurves : sequence of LightCurve (or astropy TimeSeries, lightkurve LightCurves, or paths)
        The pieces, in any order. Paths are read with
        :func:`~spacekit.transformer.read_lightcurve`.
    normalize : bool
        Divide each piece by its median finite flux (its flux becomes dimensionless). With
        False the pieces must share a flux unit.

    Returns
    -------
    LightCurve

    Raises
    ------
    InputError
        No pieces, pieces of different stars (by their ``keplerid`` or ``ticid``), a folded
        piece, time scales that cannot be converted to the first's
        (e.g. a ``"relative"`` csv with a BJD light curve), or (``normalize=False``) flux
        units that differ.

    Examples
    --------
    >>> import numpy as np
    >>> a = LightCurve(time=2458326.0 + np.arange(5) / 48, flux=np.full(5, 100.0))
    >>> b = LightCurve(time=2458330.0 + np.arange(5) / 48, flux=np.full(5, 300.0))
    >>> lc = stitch([b, a])
    >>> lc.flux.value.tolist() == [1.0] * 10, lc["segment"].tolist()[:6]
    (True, [1, 1, 1, 1, 1, 0])
    """
    pieces = _stitch_pieces(lightcurves)
    scale = pieces[0].time.scale
    unit = pieces[0].flux.unit
    jd1, jd2, fluxes, errs, segs, info = [], [], [], [], [], []
    shared = [
        c
        for c in pieces[0].colnames
        if c not in ("time", "flux", "flux_err", "segment")
        and all(c in p.colnames for p in pieces[1:])
    ]
    extra: dict[str, list] = {c: [] for c in shared}
    with_err = all(p.flux_err is not None for p in pieces)
    for i, piece in enumerate(pieces):
        t = _piece_time(piece, i, scale)
        f = piece._flux_values()
        med = _piece_divisor(piece, i, f, normalize, unit)
        jd1.append(np.asarray(t.jd1))
        jd2.append(np.asarray(t.jd2))
        fluxes.append(f / med)
        if with_err:
            errs.append(np.asarray(piece.flux_err.value, dtype=float) / med)
        segs.append(np.full(len(piece), i, dtype=np.int64))
        for c in shared:
            extra[c].append(piece[c])
        info.append(_piece_entry(piece, med if normalize else None))
    time = Time(np.concatenate(jd1), np.concatenate(jd2), format="jd", scale=scale)
    order = np.argsort(time.jd1 - time.jd1.min() + time.jd2, kind="stable")
    out_unit = u.dimensionless_unscaled if normalize else unit
    meta = dict(pieces[0].meta)
    meta["stitched"] = info
    meta["history"] = list(pieces[0].meta.get("history", [])) + [
        f"stitch: {len(pieces)} pieces, {int(sum(len(p) for p in pieces))} rows"
        + (", each divided by its median flux" if normalize else "")
    ]
    out = LightCurve(
        time=time[order],
        flux=u.Quantity(np.concatenate(fluxes)[order], out_unit),
        flux_err=u.Quantity(np.concatenate(errs)[order], out_unit) if with_err else None,
        meta=meta,
    )
    out["segment"] = np.concatenate(segs)[order]
    _add_shared_columns(out, extra, order)
    out.meta["cadence_days"] = out.cadence
    return out


def _stitch_pieces(lightcurves: Any) -> list[LightCurve]:
    """The pieces as time-ordered LightCurves (paths read), all of one star."""
    pieces = []
    for i, item in enumerate(lightcurves if lightcurves is not None else []):
        if isinstance(item, (str, os.PathLike)):
            from .readers import read_lightcurve

            piece = read_lightcurve(item)
        else:
            piece = _as_lightcurve(item)
        if piece is None:
            raise InputError(
                f"stitch expects LightCurves (or astropy TimeSeries, lightkurve LightCurves, or "
                f"paths); item {i} is a {type(item).__name__}."
            )
        if piece.is_folded:
            raise InputError(f"stitch needs time-ordered light curves; item {i} is folded.")
        pieces.append(piece)
    if not pieces:
        raise InputError("stitch needs at least one light curve; got none.")
    for key in ("keplerid", "ticid"):  # mission star ids, as the readers keep them
        ids = {str(p.meta[key]) for p in pieces if p.meta.get(key) not in (None, "")}
        if len(ids) > 1:
            raise InputError(
                f"stitch joins pieces of one star; these are of {len(ids)} ({key} "
                f"{', '.join(sorted(ids))}). Stitch each star's quarters or sectors separately."
            )
    return pieces


def _piece_time(piece: LightCurve, i: int, scale: str) -> Time:
    """Piece ``i``'s times in the first piece's time ``scale``."""
    t = piece.time
    if t.scale != scale:
        try:
            t = getattr(t, scale)
        except Exception as exc:
            raise InputError(
                f"stitch: piece {i} is in the {t.scale!r} time scale, which cannot be "
                f"converted to the first piece's {scale!r}; read them all in one time system."
            ) from exc
    return t


def _piece_divisor(
    piece: LightCurve, i: int, f: np.ndarray, normalize: bool, unit: u.UnitBase
) -> float:
    """What piece ``i``'s flux ``f`` is divided by: its median finite flux, or 1."""
    med = 1.0
    if normalize:
        finite = f[np.isfinite(f)]
        med = float(np.median(finite)) if finite.size else float("nan")
        if not med > 0:
            raise InputError(
                f"stitch: piece {i} ({piece.meta.get('source', '')!r}) has no positive "
                f"median flux to normalise by (median {med}); pass normalize=False for "
                "flux already relative, or clean that piece."
            )
    elif piece.flux.unit != unit:
        raise InputError(
            f"stitch(normalize=False): piece {i} has flux in {piece.flux.unit}, the first "
            f"in {unit}; normalise, or convert the units first."
        )
    return med


def _piece_entry(piece: LightCurve, median_flux: float | None) -> dict:
    """The ``meta["stitched"]`` entry of a piece: source, size, quarter/sector, median."""
    entry = {"source": str(piece.meta.get("source", "")), "n_points": len(piece)}
    for key in ("quarter", "sector", "campaign"):
        if piece.meta.get(key) is not None:
            entry[key] = piece.meta[key]
    if median_flux is not None:
        entry["median_flux"] = median_flux
    return entry


def _add_shared_columns(out: LightCurve, extra: dict[str, list], order: np.ndarray) -> None:
    """Add the columns every piece has, joined and in time order (skipped if shapes differ)."""
    for c, parts in extra.items():
        try:
            col = np.concatenate([np.asarray(getattr(v, "value", v)) for v in parts])
        except ValueError:
            continue  # shapes differ between pieces: leave that column out
        cunit = getattr(parts[0], "unit", None)
        out[c] = u.Quantity(col[order], cunit) if cunit is not None else col[order]


def _as_lightcurve(obj: Any) -> LightCurve | None:
    """``obj`` as a :class:`LightCurve`: itself, a lightkurve LightCurve converted, or an
    astropy :class:`~astropy.timeseries.TimeSeries` (what ``TimeSeries.read(path,
    format="kepler.fits")`` or ``"tess.fits"`` gives: PDCSAP flux adopted as ``flux``);
    None for anything else."""
    if isinstance(obj, LightCurve):
        return obj
    if hasattr(obj, "time") and hasattr(obj, "flux"):  # lightkurve's (a TimeSeries too)
        return LightCurve.from_lightkurve(obj)
    if isinstance(obj, TimeSeries):
        return LightCurve(obj)
    return None


def _filled(col: Any) -> np.ndarray:
    """Values of a (possibly masked) column as a plain array, masked floats as NaN."""
    values = getattr(col, "value", col)
    mask = getattr(col, "mask", None)
    if mask is None and np.ma.isMaskedArray(values):
        mask = np.ma.getmaskarray(values)
    arr = np.array(np.ma.getdata(values) if np.ma.isMaskedArray(values) else values)
    if mask is not None and np.any(mask):
        if arr.dtype.kind != "f":
            arr = arr.astype(float) if arr.dtype.kind in "iub" else arr
        if arr.dtype.kind == "f":
            arr[np.asarray(mask, dtype=bool)] = np.nan
    return arr


def _repair_unit(unit: Any) -> u.UnitBase:
    """Units as archives spell them: ``e-/s`` (unrecognised by astropy) is electron / s."""
    if unit is None or unit == "":
        return u.dimensionless_unscaled
    if isinstance(unit, u.UnrecognizedUnit) or isinstance(unit, str):
        s = str(unit).strip()
        if s in ("e-/s", "electrons/s", "e/s", "e-s-1"):
            return u.electron / u.s
        try:
            return u.Unit(s)
        except ValueError:
            log.debug("unrecognised unit %r; using dimensionless", s)
            return u.dimensionless_unscaled
    return unit


#: BJD references of the missions' time systems (lightkurve's formats of the same names).
MISSION_TIME_FORMATS = {2454833.0: "bkjd", 2457000.0: "btjd"}


def _mission_time_format(meta: dict) -> str | None:
    ref = meta.get("bjdref")
    try:
        if ref is not None and float(ref) in MISSION_TIME_FORMATS:
            return MISSION_TIME_FORMATS[float(ref)]
    except (TypeError, ValueError):
        pass
    mission = str(meta.get("mission") or "").strip().lower()
    if mission in ("kepler", "k2"):
        return "bkjd"
    if mission == "tess":
        return "btjd"
    tf = str(meta.get("time_format") or "").strip().lower()
    for name in ("bkjd", "btjd"):
        if tf.startswith(name):
            return name
    return None


_FITS_SUFFIXES = (".fits", ".fit", ".fts", ".fits.gz", ".fit.gz")


def _is_fits_target(path: Any, format: str | None) -> bool:
    if format is not None:
        return str(format).lower() == "fits"
    return str(path).lower().endswith(_FITS_SUFFIXES)


def _is_fits_file(path: Any) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(9) == b"SIMPLE  ="
    except (OSError, TypeError):
        return False


def _plain(v: Any) -> bool:
    return isinstance(v, (str, int, float, bool, type(None), list, dict))


def _import_lightkurve(feature: str):
    try:
        import lightkurve
    except ImportError as exc:
        raise MissingDependencyError(
            f"{feature} needs lightkurve, which is optional and conflicts with other pins of "
            "spacekit[x]: install it in a separate environment with "
            "`pip install spacekit lightkurve`."
        ) from exc
    return lightkurve


#: Points per block when :func:`_running_median_trend` and :meth:`LightCurve.flatten` work
#: through full-length arrays: each block's temporaries stay in the CPU caches (a light curve
#: of 1e7 points would otherwise make several 80 MB arrays per pass). Element-wise steps give
#: the same numbers whatever the block size.
CHUNK_POINTS = 1 << 16


def _blocks(n: int, size: int | None = None):
    """``(start, stop)`` of consecutive blocks of at most ``size`` (default
    :data:`CHUNK_POINTS`) of ``n`` points."""
    step = max(1, int(size or CHUNK_POINTS))
    for a in range(0, n, step):
        yield a, min(a + step, n)


def _same_array(a: np.ndarray, b: np.ndarray) -> bool:
    return (
        a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
        and a.shape == b.shape
        and a.strides == b.strides
    )


def _divide_column(
    lc: LightCurve, name: str, num: np.ndarray, den: np.ndarray | float, in_place: bool = False
) -> None:
    """``lc[name] = num / den`` (dimensionless; ``den`` an array like ``num`` or a number),
    written block by block into ``lc``'s own float64 copy of the column when it has one (else
    into a new array); ``in_place``: ``num`` may be that column itself (``lc`` is the
    caller's own)."""
    col = lc[name]
    out = getattr(col, "value", None)
    if not (
        isinstance(out, np.ndarray)
        and out.dtype == np.float64
        and out.shape == num.shape
        and out.flags.writeable
        and (not np.shares_memory(out, num) or (in_place and _same_array(out, num)))
    ):
        out = np.empty(num.shape)
    scalar = np.ndim(den) == 0
    with np.errstate(invalid="ignore", divide="ignore"):
        for a, b in _blocks(num.size):
            np.divide(num[a:b], den if scalar else den[a:b], out=out[a:b])
    # replace_column(copy=False): ``lc[name] = ...`` would copy the new column once more
    QTable.replace_column(
        lc, name, u.Quantity(out, u.dimensionless_unscaled, copy=False), copy=False
    )


def _bin_sums(
    tv: np.ndarray,
    f: np.ndarray,
    e: np.ndarray | None,
    t0: float,
    width: float,
    nb: int,
    chunk: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
    """Per bin of :meth:`LightCurve.bin`: the number of finite fluxes, their sum, the sum of
    their squares, the sum of their errors squared (NaN as 0; None without ``e``) and of their
    times. Read in blocks; ``np.add.at`` adds the same terms in the same order as one
    ``np.bincount`` over all the points, so the sums are the same to the bit."""
    counts = np.zeros(nb, dtype=np.int64)
    sums, sq, tsum = np.zeros(nb), np.zeros(nb), np.zeros(nb)
    esq = None if e is None else np.zeros(nb)
    for a, b in _blocks(tv.size, chunk):
        ig = np.clip(((tv[a:b] - t0) / width).astype(int), 0, nb - 1)
        fg, tg = f[a:b], tv[a:b]
        good = np.isfinite(fg)
        eg = None if e is None else e[a:b]
        if not good.all():
            ig, fg, tg = ig[good], fg[good], tg[good]
            eg = None if eg is None else eg[good]
        counts += np.bincount(ig, minlength=nb)
        np.add.at(sums, ig, fg)
        np.add.at(sq, ig, fg**2)
        if esq is not None:
            np.add.at(esq, ig, np.nan_to_num(eg) ** 2)
        np.add.at(tsum, ig, tg)
    return counts, sums, sq, esq, tsum


def _robust_std_scratch(x: np.ndarray) -> float:
    """:func:`~spacekit.utils.stats.robust_std` of finite ``x``, overwriting ``x`` (a scratch
    copy) instead of making two more of its size; the same number (a median depends only on
    the values, not on their order)."""
    if x.size == 0:
        return float("nan")
    centre = np.median(x, overwrite_input=True)
    np.subtract(x, centre, out=x)
    np.abs(x, out=x)
    return float(MAD_TO_STD * np.median(x, overwrite_input=True))


def _running_median_trend(
    t: np.ndarray,
    f: np.ndarray,
    excluded: np.ndarray,
    window: float,
    sigma: float,
    iterations: int,
    chunk: int | None = None,
) -> np.ndarray:
    """Robust trend of sorted ``(t, f)``: running median at knots, clipped, interpolated.

    Full-length steps (interpolation, residuals, clipping) run in blocks of ``chunk`` points
    (default :data:`CHUNK_POINTS`), so their temporaries are block-sized: linear in time and
    memory up to 1e7 points, with the same trend for any block size."""
    n = t.size
    trend = np.full(n, np.nan)
    if n == 0:
        return trend
    finite_t = np.isfinite(t)
    gaps = np.flatnonzero(np.diff(t) > window / 2) + 1
    bounds = np.concatenate(([0], gaps, [n]))
    use = ~excluded & finite_t
    half = window / 2
    for _ in range(max(1, iterations)):
        for s, e in zip(bounds[:-1], bounds[1:], strict=True):
            ts, fs, us = t[s:e], f[s:e], use[s:e]
            if not us.any():
                continue
            span = ts[-1] - ts[0]
            nk = max(2, int(np.ceil(span / (window / 3))) + 1)
            knots = np.linspace(ts[0], ts[-1], nk)
            vals, pos = _window_medians(ts, fs, us, knots - half, knots + half)
            ok = np.isfinite(vals)
            if ok.sum() == 0:
                continue
            pos, vals = pos[ok], vals[ok]
            pos, first = np.unique(pos, return_index=True)
            vals = vals[first]
            if pos.size == 1:
                trend[s:e] = vals[0]
            else:
                _interp_into(trend[s:e], ts, pos, vals, chunk)
        use = _clipped_use(f, trend, use, finite_t, excluded, sigma, chunk)
        if use is None:
            break
    return trend


def _interp_into(
    out: np.ndarray, ts: np.ndarray, pos: np.ndarray, vals: np.ndarray, chunk: int | None
) -> None:
    """``out[:] = np.interp(ts, pos, vals)`` block by block, extrapolated linearly beyond the
    first/last knot position (``ts`` sorted, so those points are the first and last ones)."""
    for a, b in _blocks(ts.size, chunk):
        out[a:b] = np.interp(ts[a:b], pos, vals)
    nl = int(np.searchsorted(ts, pos[0], side="left"))  # ts < pos[0]
    nr = int(np.searchsorted(ts, pos[-1], side="right"))  # ts > pos[-1] from here
    if nl:
        slope = (vals[1] - vals[0]) / (pos[1] - pos[0])
        out[:nl] = vals[0] + slope * (ts[:nl] - pos[0])
    if nr < ts.size:
        slope = (vals[-1] - vals[-2]) / (pos[-1] - pos[-2])
        out[nr:] = vals[-1] + slope * (ts[nr:] - pos[-1])


def _clipped_use(
    f: np.ndarray,
    trend: np.ndarray,
    use: np.ndarray,
    finite_t: np.ndarray,
    excluded: np.ndarray,
    sigma: float,
    chunk: int | None,
) -> np.ndarray | None:
    """The points the next pass uses: within ``sigma`` robust standard deviations of the
    residuals of the used points; None when that changes nothing (or the spread is not
    positive). Residuals are made block by block: one array of the used points' residuals
    (for their median) is the only full-length temporary."""
    used = np.empty(int(np.count_nonzero(use)))
    k = 0
    for a, b in _blocks(f.size, chunk):
        r = f[a:b] - trend[a:b]
        r = r[use[a:b]]
        used[k : k + r.size] = r
        k += r.size
    # the residuals of used points are finite unless the trend is NaN there
    std = _robust_std(used) if not np.isfinite(used).all() else _robust_std_scratch(used)
    del used
    if not np.isfinite(std) or std == 0:
        return None
    new_use = np.empty_like(use)
    limit = sigma * std
    for a, b in _blocks(f.size, chunk):
        r = f[a:b] - trend[a:b]
        with np.errstate(invalid="ignore"):
            nu = np.abs(r, out=r) < limit
        nu &= finite_t[a:b]
        nu &= ~excluded[a:b]
        new_use[a:b] = nu
    if np.array_equal(new_use, use):
        return None
    return new_use


def _window_medians(
    t: np.ndarray, f: np.ndarray, use: np.ndarray, start: np.ndarray, stop: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Median flux of the used points of sorted ``t`` in each window ``[start, stop)``, and
    the median time of those points (NaN for an empty window). Each window's points are
    selected from its own slice, so no copy of all the used points is made (a light curve of
    1e7 points would need 160 MB for it)."""
    lo = np.searchsorted(t, start)
    hi = np.searchsorted(t, stop)
    vals = np.full(lo.size, np.nan)
    pos = np.full(lo.size, np.nan)
    for i, (a, b) in enumerate(zip(lo, hi, strict=True)):
        u_ab = use[a:b]
        tw, fw = t[a:b][u_ab], f[a:b][u_ab]
        if tw.size:
            # the median flux of a window is placed at the median time of its points, so
            # truncated windows at segment edges do not bias a sloping trend
            vals[i] = np.median(fw, overwrite_input=True)  # fw is a copy: no second one
            pos[i] = tw[(tw.size - 1) // 2]
    return vals, pos

"""Ephemerides of known planets in a star's light curves (:func:`find_ephemerides`), the windows
a training set masks or labels as real transits (:mod:`spacekit.skopes.k2.dataset`). Also
importable from :mod:`spacekit.skopes.k2.dataset`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .windows import Ephemeris

__all__ = ["find_ephemerides"]


def _quantity_days(value: Any) -> float:
    if value is None:
        return float("nan")
    if hasattr(value, "to_value"):
        try:
            return float(value.to_value("day"))
        except Exception:  # noqa: BLE001 - a dimensionless or odd unit: use its value
            return float(getattr(value, "value", value))
    return float(value)


def _time_jd(value: Any) -> float:
    if hasattr(value, "jd"):
        return float(value.jd)
    return float(value)


def _planet_ephemeris(obj: Any) -> Ephemeris | None:
    get = obj.get if isinstance(obj, Mapping) else (lambda k, d=None: getattr(obj, k, d))
    detected = get("detected", True)
    if detected is False:
        return None
    period, epoch, duration = get("period"), get("epoch"), get("duration")
    if period is None or epoch is None or duration is None:
        return None
    depth = get("depth")
    try:
        depth_v = None if depth is None else float(getattr(depth, "value", depth))
    except (TypeError, ValueError):
        depth_v = None
    eph = Ephemeris(
        period=_quantity_days(period),
        epoch=_time_jd(epoch),
        duration=_quantity_days(duration),
        depth=depth_v,
    )
    if not (np.isfinite(eph.period) and np.isfinite(eph.duration) and eph.duration > 0):
        return None
    return eph


def find_ephemerides(
    lightcurves: Sequence[Any], *, max_planets: int = 1, **hunt_kwargs: Any
) -> list[Ephemeris]:
    """Ephemerides of the planets :func:`spacekit.analyzer.planet_hunter` detects.

    Each light curve (segment) is searched separately; every detected planet's ephemeris is
    returned (epoch as JD), so masking with all of them covers every segment.

    Parameters
    ----------
    lightcurves : sequence of LightCurve
        The star's light curves.
    max_planets : int
        Planets to search for (0 returns no ephemeris).
    **hunt_kwargs
        Passed to ``planet_hunter``.

    Returns
    -------
    list of Ephemeris

    Examples
    --------
    >>> find_ephemerides([], max_planets=1)
    []
    """
    if max_planets <= 0 or not lightcurves:
        return []
    from ...analyzer import planet_hunter

    found: list[Ephemeris] = []
    for lc in lightcurves:
        if len(lc) < 100:
            continue
        # only the ephemerides are needed: no transit-model fit
        result = planet_hunter(
            lc, max_planets=max_planets, **{"fit": False, "progress": False, **hunt_kwargs}
        )
        planets = list(getattr(result, "planets", None) or [result])
        for planet in planets:
            eph = _planet_ephemeris(planet)
            if eph is not None:
                found.append(eph)
    return found

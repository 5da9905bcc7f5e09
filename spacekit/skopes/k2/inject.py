"""Physically shaped transits: limb-darkened models (batman-package), parameter draws, SNR.

Injected transits are computed with ``batman`` (Kreidberg 2015) for a circular orbit and a
quadratic limb-darkening law, integrated over the exposure of each cadence. Parameters are
drawn from the documented ranges in :data:`TRANSIT_RANGES`:

- period P: log-uniform in [0.5, 30] d;
- duration T14: log-uniform in [1, 8] h, capped at 0.15 P (a physical orbit);
- depth: log-uniform in [5e-5, 2e-2] (50 ppm to 2 %) — the *model's* depth at mid-transit,
  which limb darkening makes a little larger than (Rp/R*)^2;
- impact parameter b: uniform in [0, 0.9];
- limb darkening: Kipping (2013) q1, q2 uniform in [0, 1] (every physical quadratic law);
- epoch: uniform so that at least one mid-transit falls inside the window.

The transit signal-to-noise ratio follows the issue's definition:
``SNR = depth / sigma * sqrt(N_in)``, where ``sigma`` is the per-point scatter of the window
and ``N_in`` the number of its cadences inside a transit. The builder measures ``sigma`` with
:func:`spacekit.skopes.k2.noise.robust_scatter` (point-to-point differences: the *white*
part of the noise). :func:`transit_snr_definitions` also gives two other readings, for
comparison only (the builder's ``snr`` column keeps the definition above):

- **per-point std SNR**: the same formula with ``sigma`` the robust standard deviation of
  single out-of-transit points about the slow trend (red noise included,
  :func:`spacekit.skopes.k2.noise.point_scatter`);
- **timescale SNR** (CDPP-like): ``depth * sqrt(N_transits) / sigma_d``, with ``sigma_d`` the
  scatter of the out-of-transit flux averaged over the transit duration
  (:func:`spacekit.skopes.k2.noise.timescale_scatter`, :func:`transit_snr_timescale`).

On white noise all three agree; correlated noise lowers the last two.

Examples
--------
>>> import numpy as np
>>> t = np.arange(0, 5, 2 / 1440)
>>> m = transit_model(t, period=2.0, epoch=1.0, duration=3 / 24, depth=0.01)
>>> round(float(1 - m.min()), 3)
0.01
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ...exceptions import InputError
from ...utils.deps import optional_import
from ...utils.stats import robust_std
from .noise import TREND_WIDTH, robust_scatter, running_mean_scatter, trend_residual

__all__ = [
    "TRANSIT_RANGES",
    "TransitParams",
    "transit_model",
    "draw_transit",
    "inject_transit",
    "transit_snr",
    "transit_snr_timescale",
    "transit_snr_definitions",
]

#: Documented ranges injected transit parameters are drawn from (see module docstring).
TRANSIT_RANGES: dict[str, tuple[float, float]] = {
    "period_d": (0.5, 30.0),
    "duration_h": (1.0, 8.0),
    "depth": (5e-5, 2e-2),
    "impact": (0.0, 0.9),
    "q1": (0.0, 1.0),
    "q2": (0.0, 1.0),
}
#: Longest duration as a fraction of the period.
MAX_DUTY_CYCLE = 0.15


@dataclass
class TransitParams:
    """One transit signal: times in days, depth as a fraction of the flux.

    Parameters
    ----------
    period, epoch, duration : float
        Days (epoch in the same time system as the light curve).
    depth : float
        Requested fractional depth at mid-transit.
    impact : float
        Impact parameter b.
    u1, u2 : float
        Quadratic limb-darkening coefficients.
    """

    period: float
    epoch: float
    duration: float
    depth: float
    impact: float = 0.3
    u1: float = 0.4
    u2: float = 0.25

    def to_dict(self) -> dict:
        """The parameters as a plain dict.

        Returns
        -------
        dict
            The fields by name.
        """
        return asdict(self)


def _geometry(
    period: float, duration: float, depth: float, impact: float
) -> tuple[float, float, float]:
    """Rp/R*, a/R* and inclination (deg) giving total duration ``duration`` for a circular orbit."""
    k = float(np.sqrt(depth))
    b = float(impact)
    x = np.sin(np.pi * duration / period)
    chord2 = (1.0 + k) ** 2 - b**2
    if chord2 <= 0 or x <= 0:
        raise InputError(
            f"transit geometry impossible: impact {b} >= 1 + Rp/R* ({1 + k:.3f}); "
            "use an impact parameter below 1"
        )
    a = float(np.sqrt(chord2 / x**2 + b**2))
    inc = float(np.degrees(np.arccos(b / a)))
    return k, a, inc


def transit_model(
    time: np.ndarray,
    *,
    period: float,
    epoch: float,
    duration: float,
    depth: float,
    impact: float = 0.3,
    u1: float = 0.4,
    u2: float = 0.25,
    exposure: float | None = None,
) -> np.ndarray:
    """Limb-darkened transit light curve (relative flux, 1 out of transit) from batman.

    Parameters
    ----------
    time : numpy.ndarray
        Times in days.
    period, epoch, duration : float
        Orbital period, a mid-transit time and the total (first to fourth contact) duration,
        in days.
    depth : float
        Fractional depth at mid-transit (e.g. 0.01 for 1 %). Rp/R* is adjusted so the
        limb-darkened model reaches this depth.
    impact : float
        Impact parameter, 0 (central) to < 1.
    u1, u2 : float
        Quadratic limb-darkening coefficients.
    exposure : float, optional
        Exposure time in days to integrate over; defaults to the median spacing of ``time``
        when that is longer than 10 minutes (long cadence), else no integration.

    Returns
    -------
    numpy.ndarray
        Model flux, same length as ``time``.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.linspace(-0.2, 0.2, 401)
    >>> m = transit_model(t, period=3.0, epoch=0.0, duration=0.1, depth=2e-3, impact=0.0)
    >>> float(m[0]), round(float(1 - m[200]), 4)
    (1.0, 0.002)
    """
    batman = optional_import("batman", "injecting limb-darkened transits (spacekit.skopes.k2)")
    t = np.ascontiguousarray(time, dtype=float)
    if not (period > 0 and duration > 0 and depth > 0):
        raise InputError(
            f"expected positive period, duration and depth, got period={period}, "
            f"duration={duration}, depth={depth}"
        )
    if duration >= period / 2:
        raise InputError(
            f"duration {duration} d is not shorter than half the period {period} d; "
            "a transit lasts a small fraction of the orbit"
        )
    if exposure is None and t.size > 1:
        step = float(np.median(np.diff(t)))
        exposure = step if step > 10 / 1440 else None

    def evaluate(k_scale: float) -> tuple[np.ndarray, float]:
        k, a, inc = _geometry(period, duration, depth * k_scale**2, impact)
        p = batman.TransitParams()
        p.t0, p.per, p.rp, p.a, p.inc = float(epoch), float(period), k, a, inc
        p.ecc, p.w, p.u, p.limb_dark = 0.0, 90.0, [float(u1), float(u2)], "quadratic"
        # depth at mid-transit, without exposure smearing
        centre = batman.TransitModel(p, np.array([float(epoch)])).light_curve(p)
        if exposure:
            model = batman.TransitModel(
                p, t, supersample_factor=7, exp_time=float(exposure)
            ).light_curve(p)
        else:
            model = batman.TransitModel(p, t).light_curve(p)
        return model, float(1.0 - centre[0])

    model, got = evaluate(1.0)
    if got > 0:
        # limb darkening and grazing geometry change the depth: rescale Rp/R* once or twice
        for _ in range(2):
            scale = np.sqrt(depth / got)
            if abs(scale - 1) < 1e-3:
                break
            try:
                model, got = evaluate(scale)
            except InputError:
                break
    return np.minimum(np.asarray(model, dtype=float), 1.0)


def draw_transit(
    rng: np.random.Generator,
    *,
    t_start: float,
    t_end: float,
    ranges: dict[str, tuple[float, float]] | None = None,
) -> TransitParams:
    """Draw transit parameters from the documented ranges, with a mid-transit in the window.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    t_start, t_end : float
        First and last time of the window (days).
    ranges : dict, optional
        Overrides of :data:`TRANSIT_RANGES` entries (same keys).

    Returns
    -------
    TransitParams

    Examples
    --------
    >>> import numpy as np
    >>> p = draw_transit(np.random.default_rng(0), t_start=0.0, t_end=60.0)
    >>> bool(0.5 <= p.period <= 30 and 0 <= p.epoch <= 60)
    True
    """
    r = dict(TRANSIT_RANGES)
    if ranges:
        unknown = set(ranges) - set(r)
        if unknown:
            raise InputError(f"unknown transit range(s) {sorted(unknown)}; known: {sorted(r)}")
        r.update(ranges)

    def logu(key: str) -> float:
        lo, hi = r[key]
        return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))

    period = logu("period_d")
    duration = min(logu("duration_h") / 24.0, MAX_DUTY_CYCLE * period)
    depth = logu("depth")
    impact = float(rng.uniform(*r["impact"]))
    q1, q2 = float(rng.uniform(*r["q1"])), float(rng.uniform(*r["q2"]))
    u1, u2 = 2 * np.sqrt(q1) * q2, np.sqrt(q1) * (1 - 2 * q2)
    span = float(t_end - t_start)
    # a mid-transit inside the window, at least half a duration from its edges when possible
    margin = min(duration / 2, span / 4)
    first = t_start + margin + rng.uniform(0, max(min(period, span - 2 * margin), 1e-9))
    return TransitParams(
        period=period,
        epoch=float(first),
        duration=float(duration),
        depth=depth,
        impact=impact,
        u1=float(u1),
        u2=float(u2),
    )


def inject_transit(
    time: np.ndarray, flux: np.ndarray, params: TransitParams
) -> tuple[np.ndarray, np.ndarray]:
    """Multiply a transit model into a flux series.

    Parameters
    ----------
    time : numpy.ndarray
        Times in days.
    flux : numpy.ndarray
        Flux (any normalisation; the transit removes ``depth`` of it).
    params : TransitParams
        The transit.

    Returns
    -------
    flux : numpy.ndarray
        ``flux * model``.
    model : numpy.ndarray
        The model (1 out of transit).

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(0, 3, 0.01)
    >>> f, m = inject_transit(t, np.ones_like(t), TransitParams(1.0, 0.5, 0.1, 0.01))
    >>> bool(f.min() < 0.995)
    True
    """
    model = transit_model(np.asarray(time, dtype=float), **params.to_dict())
    return np.asarray(flux, dtype=float) * model, model


def transit_snr(depth: float, sigma: float, n_in_transit: int) -> float:
    """Transit signal-to-noise ratio: ``depth / sigma * sqrt(n_in_transit)``.

    Parameters
    ----------
    depth : float
        Fractional depth.
    sigma : float
        Per-point scatter (same units).
    n_in_transit : int
        Number of in-transit cadences in the window.

    Returns
    -------
    float

    Examples
    --------
    >>> transit_snr(1e-3, 1e-3, 16)
    4.0
    """
    if not sigma > 0:
        return float("nan")
    return float(depth / sigma * np.sqrt(max(int(n_in_transit), 0)))


def transit_snr_timescale(depth: float, sigma_duration: float, n_transits: float) -> float:
    """Timescale (CDPP-like) transit SNR: ``depth * sqrt(n_transits) / sigma_duration``.

    Parameters
    ----------
    depth : float
        Fractional depth.
    sigma_duration : float
        Scatter of the flux averaged over one transit duration (same units), e.g.
        :func:`spacekit.skopes.k2.noise.timescale_scatter`.
    n_transits : float
        Number of transits in the window (a fraction counts a partial transit in part).

    Returns
    -------
    float
        NaN when ``sigma_duration`` is not positive.

    Examples
    --------
    >>> transit_snr_timescale(1e-3, 2.5e-4, 4)  # white noise: 1e-3 / sqrt(16 / 4) per event
    8.0
    """
    if not sigma_duration > 0:
        return float("nan")
    return float(depth * np.sqrt(max(float(n_transits), 0.0)) / sigma_duration)


def transit_snr_definitions(
    flux: np.ndarray,
    in_transit: np.ndarray,
    *,
    depth: float,
    duration: float,
    n_transits: float | None = None,
    n_in_transit: int | None = None,
    width: int | None = None,
) -> dict[str, float]:
    """A window's transit SNR under the issue's definition and two other readings of it.

    All three use the same ``depth`` and count of in-transit points; they differ in the noise:

    - ``snr``: the issue's ``depth / sigma * sqrt(N_in)`` with ``sigma`` from
      :func:`~spacekit.skopes.k2.noise.robust_scatter` (point-to-point differences of the
      whole window: white noise only), as in the builder's ``snr`` column;
    - ``snr_std``: the same with ``sigma`` = :func:`~spacekit.skopes.k2.noise.point_scatter`
      (robust std of single out-of-transit points about the slow trend: red noise included);
    - ``snr_timescale``: :func:`transit_snr_timescale` with ``sigma_d`` =
      :func:`~spacekit.skopes.k2.noise.timescale_scatter` at the transit's duration and, by
      default, the number of transits counted as ``N_in / duration`` (so a transit cut by
      the window's edge counts in part, and on white noise ``snr_timescale`` equals ``snr``).

    The slow trend is a running median of ``max(TREND_WIDTH, 5 x duration)`` cadences
    (600 = the whitened search's high-pass) over the out-of-transit points. On white noise
    the timescale scatter of transits longer than ~100 cadences comes out a few percent low
    (the trend absorbs part of the noise at that scale; about 6% at 200 and 10-15% at 300-500
    cadences), which raises their ``snr_timescale`` as much.

    Parameters
    ----------
    flux : numpy.ndarray
        The window, relative flux (fractional units, any offset: e.g. ``ppm / 1e6``).
    in_transit : numpy.ndarray of bool
        The transit's points (left out of the noise estimates).
    depth : float
        Fractional depth.
    duration : float
        Transit duration in cadences.
    n_transits : float, optional
        Transits in the window (default ``n_in_transit / duration``).
    n_in_transit : int, optional
        In-transit cadences of the SNR formula (default: ``in_transit.sum()``).
    width : int, optional
        Trend width (default ``max(TREND_WIDTH, 5 * duration)``).

    Returns
    -------
    dict
        ``snr``, ``snr_std``, ``snr_timescale``, the noise levels ``sigma_white``,
        ``sigma_std`` and ``sigma_duration``, and ``beta`` = ``sigma_duration *
        sqrt(duration) / sigma_white`` (1 for white noise; about ``snr / snr_timescale``).
        The last two SNRs are NaN when fewer than 64 points are out of transit, and
        ``snr_timescale`` also when no duration-wide stretch is free of transits.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(0, 1e-3, 3197)
    >>> inside = np.arange(3197) % 800 < 20
    >>> x[inside] -= 1e-3
    >>> s = transit_snr_definitions(x, inside, depth=1e-3, duration=20)
    >>> round(s["snr"]), round(s["snr_std"]), bool(abs(s["snr_timescale"] - 8.9) < 1.5)
    (9, 9, True)
    """
    x = np.asarray(flux, dtype=float)
    mask = np.asarray(in_transit, dtype=bool)
    n_in = int(mask.sum()) if n_in_transit is None else int(n_in_transit)
    d = max(1, int(round(float(duration))))
    w = int(max(TREND_WIDTH, 5 * d)) if width is None else int(width)
    n_tr = n_in / max(float(duration), 1.0) if n_transits is None else float(n_transits)
    s_white = robust_scatter(x)
    if (~mask).sum() >= 64:
        r = trend_residual(x, in_transit=mask, width=w)  # what point_scatter / timescale_scatter do
        valid = np.isfinite(r)
        s_std = robust_std(r[valid])
        s_d = running_mean_scatter(np.where(valid, r, 0.0), d, valid=valid, center=0.0)
    else:  # too little out-of-transit flux to measure the noise on
        s_std = s_d = float("nan")
    return {
        "snr": transit_snr(depth, s_white, n_in),
        "snr_std": transit_snr(depth, s_std, n_in),
        "snr_timescale": transit_snr_timescale(depth, s_d, n_tr),
        "sigma_white": s_white,
        "sigma_std": s_std,
        "sigma_duration": s_d,
        "beta": float(s_d * np.sqrt(d) / s_white) if s_white > 0 else float("nan"),
    }

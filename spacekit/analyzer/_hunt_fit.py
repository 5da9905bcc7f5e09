"""The transit fit of :func:`~spacekit.analyzer.hunt.planet_hunter`'s detected planets:
:func:`fit_transit` (batman model, least squares, optional emcee posterior).

Part of :mod:`spacekit.analyzer.hunt`, which re-exports every public name.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..exceptions import InputError
from ..utils.stats import robust_std

__all__ = ["fit_transit", "LIMB_DARKENING"]


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


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
    >>> t = np.arange(0, 20, 0.01)  # days
    >>> dip = np.abs((t - 1.0 + 1.5) % 3.0 - 1.5) < 0.05  # 0.3% box dips of 0.1 d every 3 d
    >>> y = 1 + 5e-4 * np.random.default_rng(0).standard_normal(t.size) - 0.003 * dip
    >>> fit = fit_transit(t, y, None, 3.0, 1.0, 0.1, 0.003, uncertainties="covariance")
    >>> round(fit["duration"], 2), bool(0.003 < fit["depth"] < 0.004), fit["success"]
    (0.11, True, True)
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

"""The detection checks of :func:`~spacekit.analyzer.hunt.planet_hunter`:
:func:`vet_transit` (what each check measures) and the limits each must pass.

Part of :mod:`spacekit.analyzer.hunt`, which re-exports every public name.
"""

from __future__ import annotations

import numpy as np

from ..exceptions import InputError
from ..utils.stats import robust_std

__all__ = ["vet_transit"]

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

    Parameters
    ----------
    t, y : numpy.ndarray
        Times (days) and detrended, normalised flux.
    period, duration, t0 : float
        The signal's period, transit duration and a mid-transit time (days).
    depth : float
        The signal's fractional depth.

    Returns
    -------
    dict
        The checks named above, plus ``missing_transits``, ``transit_epochs``,
        ``transit_depths`` and ``transit_depth_error`` (each covered transit's epoch number
        and depth, and a depth's error).

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

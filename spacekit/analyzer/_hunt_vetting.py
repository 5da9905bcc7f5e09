"""The detection checks of :func:`~spacekit.analyzer.hunt.planet_hunter`:
:func:`vet_transit` (what each check measures) and the limits each must pass.

Part of :mod:`spacekit.analyzer.hunt`, which re-exports every public name.
"""

from __future__ import annotations

import numpy as np

from ..exceptions import InputError
from ..transformer.lightcurve import _blocks
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
    t: np.ndarray,
    y: np.ndarray,
    period: float,
    duration: float,
    t0: float,
    depth: float,
    *,
    chunk: int | None = None,
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
    points, every check holds its failing value (0 transits, infinite ratios). The points are
    read in blocks of ``chunk`` (default
    :data:`~spacekit.transformer.lightcurve.CHUNK_POINTS`), which changes no number, so the
    temporaries stay small however long the light curve.

    Parameters
    ----------
    t, y : numpy.ndarray
        Times (days) and detrended, normalised flux.
    period, duration, t0 : float
        The signal's period, transit duration and a mid-transit time (days).
    depth : float
        The signal's fractional depth.
    chunk : int, optional
        Points read per block (default :data:`~spacekit.transformer.lightcurve.CHUNK_POINTS`);
        it changes no number, only the memory used.

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
    cad = _cadence(t, chunk)
    if not np.isfinite(cad):
        return out
    expected = max(1.0, duration / cad)
    folded = _FoldedSums(t, y, period, duration, t0, chunk)
    ep_all, y_in = folded.ep_in, folded.y_in
    ep_in, counts = np.unique(ep_all, return_counts=True)
    full = ep_in[counts >= 0.5 * expected]
    depths = np.array([1 - np.mean(y_in[ep_all == e]) for e in full])
    n_tr = int(full.size)
    # red noise: scatter of duration-long averages of out-of-transit flux
    c, sums = folded.c, folded.sums
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / c
    means = means[c >= max(0.5 * expected, 1e-9)]
    if means.size >= 3:
        sig = robust_std(means)
    else:
        sig = float(np.std(y[folded.oot()])) / np.sqrt(expected) if folded.n_oot else np.inf
    snr = depth / sig * np.sqrt(max(n_tr, 1)) if sig > 0 else np.inf
    pos = np.clip(depths, 0, None)
    single = float(pos.max() / pos.sum()) if pos.sum() > 0 else 1.0
    # do the covered transits share one depth? each transit's depth has the red noise of a
    # duration-long average (more when only part of it has data)
    chi2, spread, missing = 0.0, 0.0, 0
    if n_tr >= 2 and np.isfinite(sig) and sig > 0:
        npts = np.array([np.count_nonzero(ep_all == e) for e in full], dtype=float)
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
    nb, cnt, sm = folded.nb, folded.cnt, folded.sm
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


def _cadence(t: np.ndarray, chunk: int | None) -> float:
    """Median spacing of distinct times (NaN with none): from the positive steps of sorted
    ``t`` (planet_hunter's case: read in blocks, no sort), else of ``np.unique(t)``."""
    n = t.size
    steps = np.empty(max(n - 1, 0))
    k = 0
    for a, b in _blocks(max(n - 1, 0), chunk):
        d = np.diff(t[a : b + 1])
        if not np.all(d >= 0):
            steps = np.diff(np.unique(t))
            k = steps.size
            break
        d = d[d > 0]
        steps[k : k + d.size] = d
        k += d.size
    steps = steps[:k]
    if steps.size == 0:
        return float("nan")
    return float(np.median(steps, overwrite_input=True))


class _FoldedSums:
    """What :func:`vet_transit` needs of all the points, gathered block by block: the
    in-transit points' epochs and flux (``ep_in``, ``y_in``, in the points' order), the counts
    and flux sums of out-of-transit points in duration-long time bins (``c``, ``sums``) and
    of all points in ``nb`` phase boxes (``cnt``, ``sm``). Sums add the same terms in the
    same order as one ``np.bincount`` over all the points (``np.add.at`` is sequential)."""

    def __init__(
        self,
        t: np.ndarray,
        y: np.ndarray,
        period: float,
        duration: float,
        t0: float,
        chunk: int | None,
    ) -> None:
        self.t, self.y, self.period, self.duration, self.t0 = t, y, period, duration, t0
        self.chunk = chunk
        nb = self.nb = max(4, int(round(2 * period / duration)))
        self.cnt = np.zeros(nb, dtype=np.int64)
        self.sm = np.zeros(nb)
        ep_in, y_in = [], []
        bmin, bmax, n_oot = None, None, 0
        for a, b, ph, oot in self._blocks():
            tb, yb = t[a:b], y[a:b]
            intr = np.abs(ph) < 0.5 * duration
            epoch = np.round((tb[intr] - t0) / period).astype(np.int64)
            ep_in.append(epoch)
            y_in.append(yb[intr])
            idx = np.clip(((ph / period + 0.5) * nb).astype(np.int64), 0, nb - 1)
            self.cnt += np.bincount(idx, minlength=nb)
            np.add.at(self.sm, idx, yb)
            if oot.any():
                bins = np.floor(tb[oot] / duration).astype(np.int64)
                lo, hi = int(bins.min()), int(bins.max())
                bmin = lo if bmin is None else min(bmin, lo)
                bmax = hi if bmax is None else max(bmax, hi)
                n_oot += int(np.count_nonzero(oot))
        self.ep_in = np.concatenate(ep_in) if ep_in else np.zeros(0, dtype=np.int64)
        self.y_in = np.concatenate(y_in) if y_in else np.zeros(0)
        self.n_oot = n_oot
        size = 0 if bmin is None else bmax - bmin + 1
        self.c = np.zeros(size, dtype=np.int64)
        self.sums = np.zeros(size)
        if size:
            for a, b, _ph, oot in self._blocks():
                if oot.any():
                    bins = np.floor(t[a:b][oot] / duration).astype(np.int64)
                    bins -= bmin
                    self.c += np.bincount(bins, minlength=size)
                    np.add.at(self.sums, bins, y[a:b][oot])

    def _blocks(self):
        for a, b in _blocks(self.t.size, self.chunk):
            ph = (self.t[a:b] - self.t0 + 0.5 * self.period) % self.period - 0.5 * self.period
            yield a, b, ph, np.abs(ph) > self.duration

    def oot(self) -> np.ndarray:
        """The out-of-transit mask of all the points (a full-size array; rarely needed)."""
        m = np.empty(self.t.size, dtype=bool)
        for a, b, _ph, oot in self._blocks():
            m[a:b] = oot
        return m

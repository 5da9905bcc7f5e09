"""Dips and flares in a window of K2 flux (:func:`window_events`): what
:meth:`~spacekit.skopes.k2.model.K2Classifier.predict_light_curve` reports beside the
probability, so a window whose only dip sits beside a flare is told apart from a transit. Also
importable from :mod:`spacekit.skopes.k2.model`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .noise import robust_scatter

__all__ = ["EVENT_MIN_CADENCES", "EVENT_SIGMA", "FLARE_NEIGHBOURHOOD", "window_events"]

#: A dip or flare is a run of at least this many consecutive cadences beyond
#: :data:`EVENT_SIGMA` robust standard deviations of a window's detrended flux.
EVENT_MIN_CADENCES = 2
EVENT_SIGMA = 3.0
#: A dip starting within this many cadences of a flare is the flare's (detrending around a
#: flare's decay digs a dip beside it), not a transit.
FLARE_NEIGHBOURHOOD = 12


def window_events(flux: np.ndarray) -> dict[str, Any]:
    """Dips and flares in one window of normalised flux.

    The window is detrended by a running median (a tenth of its length, at least 25
    cadences); a dip (flare) is a run of at least :data:`EVENT_MIN_CADENCES` cadences more
    than :data:`EVENT_SIGMA` robust standard deviations below (above) it. A dip starting or
    ending within :data:`FLARE_NEIGHBOURHOOD` cadences of a flare belongs to it.

    Parameters
    ----------
    flux : numpy.ndarray
        One window of normalised flux.

    Returns
    -------
    dict
        ``window_dips`` (dips not next to a flare), ``window_flares``, and ``flare_only``:
        True when the window has flares and no dip of its own, so whatever made a classifier
        call it a transit is flare-shaped.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> f = 1 + 1e-3 * rng.standard_normal(600)
    >>> f[300:306] += [0.02, 0.015, 0.01, 0.007, 0.005, 0.003]  # one flare
    >>> window_events(f)
    {'window_dips': 0, 'window_flares': 1, 'flare_only': True}
    >>> f[100:110] -= 0.01  # and a transit-like dip away from it
    >>> window_events(f)["flare_only"]
    False
    """
    from scipy.ndimage import median_filter

    f = np.asarray(flux, dtype=float)
    f = np.where(np.isfinite(f), f, np.nanmedian(f))
    size = max(25, f.size // 10) | 1
    r = f - median_filter(f, size=size, mode="nearest")
    sigma = robust_scatter(r)
    if not sigma > 0:
        return {"window_dips": 0, "window_flares": 0, "flare_only": False}

    def runs(mask: np.ndarray) -> list[tuple[int, int]]:
        edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
        pairs = list(zip(edges[::2], edges[1::2], strict=True))
        return [(a, b) for a, b in pairs if b - a >= EVENT_MIN_CADENCES]

    flares = runs(r > EVENT_SIGMA * sigma)
    dips = runs(r < -EVENT_SIGMA * sigma)
    near = FLARE_NEIGHBOURHOOD
    own = [
        (a, b) for a, b in dips if not any(fa - near <= b and a <= fb + near for fa, fb in flares)
    ]
    return {
        "window_dips": len(own),
        "window_flares": len(flares),
        "flare_only": bool(flares) and not own,
    }

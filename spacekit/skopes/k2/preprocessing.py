"""Preprocessing of raw flux windows into the classifier's three channels (see
:func:`preprocess`).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from ...exceptions import InputError
from .noise import robust_scatter

log = logging.getLogger(__name__)


#: Default preprocessing parameters (saved in the model's metadata).
PREPROCESSING: dict[str, Any] = {
    "trend_block": 160,
    "trend_blocks": 5,
    "short_block": 16,
    "short_blocks": 5,
    "clip_low": -30.0,
    "clip_high": 5.0,
}


def _slow_trend(X: np.ndarray, block: int, blocks: int) -> np.ndarray:
    from scipy.ndimage import median_filter

    n, length = X.shape
    nb = max(1, length // block)
    edges = np.linspace(0, length, nb + 1).astype(int)
    centres = 0.5 * (edges[:-1] + edges[1:] - 1)
    med = np.stack(
        [np.median(X[:, a:b], axis=1) for a, b in zip(edges[:-1], edges[1:], strict=True)], axis=1
    )
    if nb >= 3 and blocks > 1:
        med = median_filter(med, size=(1, min(blocks, nb)), mode="nearest")
    grid = np.arange(length)
    return np.stack([np.interp(grid, centres, row) for row in med])


def preprocess(X: np.ndarray, **params: Any) -> np.ndarray:
    """Turn raw flux windows into the classifier's input (see the module docstring).

    Parameters
    ----------
    X : numpy.ndarray
        Windows, shape ``(n, length)``: relative flux, ppm deviations (Kaggle rows) or any
        flux with a positive or zero-centred level.
    **params
        Overrides of :data:`PREPROCESSING`.

    Returns
    -------
    numpy.ndarray
        float32 array of shape ``(n, length, 3)``: long-trend detrended flux, its smoothed
        copy, short-trend detrended flux.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.ones((1, 1000)); x[0, 500:510] = 0.99
    >>> z = preprocess(x)
    >>> bool(z[0, 505, 0] < z[0, 100, 0])
    True
    """
    p = {**PREPROCESSING, **params}
    unknown = set(params) - set(PREPROCESSING)
    if unknown:
        raise InputError(
            f"unknown preprocessing parameter(s) {sorted(unknown)}; known: {sorted(PREPROCESSING)}"
        )
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[None, :]
    if X.ndim != 2 or X.shape[1] < 64:
        raise InputError(
            f"expected flux windows of shape (n, length >= 64), got shape {X.shape}; "
            "cut light curves into windows first"
        )
    if not np.isfinite(X).all():
        raise InputError(
            "flux windows hold NaN/inf values; remove or fill them before preprocessing"
        )
    from ...transformer import add_smoothed_channel, scale_rows

    def detrended(block: int, blocks: int) -> np.ndarray:
        resid = X - _slow_trend(X, block, blocks)
        # relative flux rows (level ~1) become fractional residuals; ppm rows (level ~0) are
        # already residuals: dividing by the scatter makes both unitless
        scatter = np.array([robust_scatter(r) for r in resid])
        scatter = np.where(np.isfinite(scatter) & (scatter > 0), scatter, 1.0)
        return scale_rows(np.clip(resid / scatter[:, None], p["clip_low"], p["clip_high"]))

    long = detrended(int(p["trend_block"]), int(p["trend_blocks"]))
    short = detrended(int(p["short_block"]), int(p["short_blocks"]))
    out = np.concatenate([add_smoothed_channel(long), short[:, :, None]], axis=2)
    return np.asarray(out, dtype=np.float32)


# ---------------------------------------------------------------------------------- model

"""Prepare data: the LightCurve object (normalise, quality mask, detrend, fold, bin), row
scaling, noise filters and FFT features for flux tables.

Layer 2 (prepare). Names are loaded lazily, so ``import spacekit.transformer`` stays light.

- ``LightCurve``: astropy TimeSeries with ``flux``/``flux_err``; chainable cleaning
- ``read_lightcurve``: Kepler/K2/TESS FITS (SPOC, alert HLSP) and csv readers
- ``read_flux_table``: K2/Kaggle ``LABEL, FLUX.1 ... FLUX.N`` table -> (X, y)
- ``scale_rows``: per-row zero mean, unit variance
- ``add_smoothed_channel``: stack a uniform-filtered copy as a second channel
- ``fft_features``: per-row FFT magnitudes

Seed aliases: ``hypersonic_pliers`` = :func:`read_flux_table`, ``thermo_fusion_chisel`` =
:func:`scale_rows`, ``babel_fish_dispenser`` = :func:`add_smoothed_channel`,
``fast_fourier`` = :func:`fft_features`.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "LightCurve": "lightcurve",
    "to_days": "lightcurve",
    "as_time": "lightcurve",
    "read_lightcurve": "readers",
    "TIME_FORMATS": "readers",
    "read_flux_table": "signal",
    "scale_rows": "signal",
    "add_smoothed_channel": "signal",
    "fft_features": "signal",
    "hypersonic_pliers": "signal",
    "thermo_fusion_chisel": "signal",
    "babel_fish_dispenser": "signal",
    "fast_fourier": "signal",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        module = importlib.import_module(f"{__name__}.{_EXPORTS[name]}")
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

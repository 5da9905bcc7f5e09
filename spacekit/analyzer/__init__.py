"""Analyse signals: period search for transiting planets (planet_hunter), light-curve plots
and spectrograms.

Layer 5 (judge). Names are loaded lazily, so ``import spacekit.analyzer`` stays light;
matplotlib and plotly are imported only by the plotting functions.

- ``planet_hunter``: detrend + BLS (or TLS) period search, returning a ``HuntResult``
- ``hunt_many``: many light curves on Dask (in-process or a ``distributed`` cluster)
- ``vet_transit``: the checks behind ``detected``
- ``plot_hunt``: raw / detrended / periodogram / folded panels (matplotlib or plotly)
- ``atomic_vector_plotter``: flux vs time (scatter and line), coloured by class
- ``make_specgram``: spectrogram figure of a flux series; ``specgram_array`` for ML inputs
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "planet_hunter": "hunt",
    "find_planets": "hunt",
    "hunt_many": "hunt",
    "HuntResult": "hunt",
    "Planet": "hunt",
    "period_grid": "hunt",
    "transit_duration_range": "hunt",
    "vet_transit": "hunt",
    "SDE_THRESHOLD": "hunt",
    "SNR_THRESHOLD": "hunt",
    "plot_hunt": "plots",
    "plot_lightcurve": "plots",
    "atomic_vector_plotter": "plots",
    "make_specgram": "plots",
    "specgram_array": "plots",
    "save_specgrams": "plots",
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

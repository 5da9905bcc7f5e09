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

from spacekit.utils.lazy import lazy_exports

_EXPORTS = {
    "planet_hunter": "hunt",
    "find_planets": "hunt",
    "hunt_many": "hunt",
    "HuntResult": "hunt",
    "Planet": "hunt",
    "period_grid": "hunt",
    "transit_duration_range": "hunt",
    "vet_transit": "hunt",
    "fit_transit": "hunt",
    "LIMB_DARKENING": "hunt",
    "SDE_THRESHOLD": "hunt",
    "SNR_THRESHOLD": "hunt",
    "plot_hunt": "plots",
    "plot_lightcurve": "plots",
    "atomic_vector_plotter": "plots",
    "make_specgram": "plots",
    "specgram_array": "plots",
    "save_specgrams": "plots",
}

__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)

"""Prepare data: the LightCurve object (normalise, quality mask, detrend, fold, bin), row
scaling, noise filters and FFT features for flux tables, scikit-learn transformers, and
train/test splits that do not leak.

Layer 2 (prepare). Names are loaded lazily, so ``import spacekit.transformer`` stays light.

- ``LightCurve``: astropy TimeSeries with ``flux``/``flux_err``; chainable cleaning
- ``read_lightcurve``: Kepler/K2/TESS FITS (SPOC, alert HLSP) and csv readers
- ``read_flux_table``: K2/Kaggle ``LABEL, FLUX.1 ... FLUX.N`` table -> (X, y)
- ``scale_rows``: per-row zero mean, unit variance
- ``add_smoothed_channel``: stack a uniform-filtered copy as a second channel
- ``fft_features``: per-row FFT magnitudes
- scikit-learn transformers (``Pipeline`` steps): ``PowerStandardizer`` (Yeo-Johnson +
  z-score of chosen columns, parameters as JSON), ``RowScaler``, ``SmoothedChannel``,
  ``FFTFeatures``; ``power_standardize`` applies saved parameters with numpy alone
- leak-free splits: ``identical_row_groups``, ``balanced_group_kfold``,
  ``RepeatedGroupKFold``, ``RepeatedStratifiedGroupKFold``

Seed aliases: ``hypersonic_pliers`` = :func:`read_flux_table`, ``thermo_fusion_chisel`` =
:func:`scale_rows`, ``babel_fish_dispenser`` = :func:`add_smoothed_channel`,
``fast_fourier`` = :func:`fft_features`.
"""

from __future__ import annotations

from spacekit.utils.lazy import lazy_exports

_EXPORTS = {
    "LightCurve": "lightcurve",
    "to_days": "lightcurve",
    "as_time": "lightcurve",
    "stitch": "lightcurve",
    "read_lightcurve": "readers",
    "TIME_FORMATS": "readers",
    "write_lightcurve_fits": "readers",
    "NoTimeSystemWarning": "readers",
    "read_flux_table": "signal",
    "scale_rows": "signal",
    "add_smoothed_channel": "signal",
    "fft_features": "signal",
    "hypersonic_pliers": "signal",
    "thermo_fusion_chisel": "signal",
    "babel_fish_dispenser": "signal",
    "fast_fourier": "signal",
    "PowerStandardizer": "estimators",
    "RowScaler": "estimators",
    "SmoothedChannel": "estimators",
    "FFTFeatures": "estimators",
    "yeo_johnson": "power",
    "power_standardize": "power",
    "identical_row_groups": "splits",
    "balanced_group_kfold": "splits",
    "RepeatedGroupKFold": "splits",
    "RepeatedStratifiedGroupKFold": "splits",
}

__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)

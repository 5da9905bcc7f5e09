"""A Dash web dashboard over run folders and datasets: evaluate runs side by side, explore data, predict HST calibration resources, analyse light curves.

Layer 7 (front). Dash and plotly load only when the app is built."""

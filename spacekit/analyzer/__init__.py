"""Analyse signals: light-curve plots, period search for transiting planets (planet_hunter), spectrograms and exploratory plots.

Layer 5 (judge)."""

"""Prepare data: the LightCurve object (normalise, quality mask, detrend, fold, bin), row scaling, noise filters, FFT features, encoders and power transforms as scikit-learn estimators, and train/test splits that do not leak.

Layer 2 (prepare)."""

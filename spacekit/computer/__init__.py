"""Judge models: predictions at a threshold, false-negative/false-positive rates, confusion matrices, ROC and precision-recall curves, training-history and residual plots, and compute(), a one-shot report saved as a run folder.

Layer 5 (judge)."""

"""Hubble Space Telescope applications: calibration job resources (cal) and single-visit mosaic alignment (svm)."""

"""Hubble Space Telescope applications.

Calibration job resources (cal) and single-visit mosaic alignment (svm).
"""

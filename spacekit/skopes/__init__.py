"""Applications of the Hubble and Webb calibration pipelines and a K2 exoplanet classifier, each an orchestration of the layers below with train, evaluate, predict and a CLI.

- :mod:`spacekit.skopes.hst.cal`: memory bin, memory and wallclock of HST calibration jobs;
- :mod:`spacekit.skopes.hst.svm`: single-visit-mosaic alignment classifier;
- :mod:`spacekit.skopes.jwst.cal`: memory of JWST Level-3 products;
- :mod:`spacekit.skopes.k2`: transiting-planet classifier for flux series.

Layer 6 (apps)."""

"""spacekit: machine learning for astronomy.

Fetch data from MAST and AWS (:mod:`spacekit.radio`), read every format astronomers use
(:mod:`spacekit.io`), name real datasets (:mod:`spacekit.datasets`), scrub and transform them
(:mod:`spacekit.transformer`), build and train Keras models (:mod:`spacekit.builder`), judge
them (:mod:`spacekit.computer`, :mod:`spacekit.analyzer`), and run the machine-learning
applications of the Hubble and Webb calibration pipelines (:mod:`spacekit.skopes`).

``import spacekit`` is deliberately cheap: subpackages load on first attribute access, and
nothing heavy (TensorFlow, matplotlib, boto3, ...) is imported until a function needs it.
"""

from ._version import __version__

_SUBPACKAGES = (
    "analyzer",
    "builder",
    "cli",
    "computer",
    "config",
    "dashboard",
    "datasets",
    "exceptions",
    "io",
    "radio",
    "skopes",
    "transformer",
    "utils",
)

__all__ = ["__version__", *_SUBPACKAGES]


def __getattr__(name: str):
    # Lazy subpackage access (the pattern of scikit-learn's ``__init__``).
    if name in _SUBPACKAGES:
        import importlib

        return importlib.import_module(f"spacekit.{name}")
    raise AttributeError(f"module 'spacekit' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)

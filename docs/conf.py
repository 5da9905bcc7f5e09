"""Sphinx configuration for spacekit's documentation (``make docs``)."""

import spacekit

project = "spacekit"
author = "spacekit developers"
copyright = "2026, spacekit developers"
version = release = spacekit.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "numpydoc",
]
autosummary_generate = False
numpydoc_show_class_members = False
autodoc_default_options = {"members": True, "undoc-members": False}
autodoc_typehints = "none"
intersphinx_mapping = {}
exclude_patterns = ["_build"]
html_theme = "alabaster"
suppress_warnings = ["autosectionlabel.*"]

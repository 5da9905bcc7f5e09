"""Sphinx configuration for spacekit's documentation (``make docs``)."""

import os
from pathlib import Path

import spacekit

# The tutorial notebooks (docs/tutorials) are executed at build time in a fresh kernel, which
# inherits this environment: the real data from ../shared/data beside a clone (as `make` sets
# it; a user's own setting wins), figures without a display, no progress bars in the pages.
_shared = Path(__file__).resolve().parents[2] / "shared" / "data"
if _shared.is_dir():
    os.environ.setdefault("SPACEKIT_DATA_MIRROR", str(_shared))
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("SPACEKIT_PROGRESS", "0")

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
    "myst_nb",
]
autosummary_generate = False
numpydoc_show_class_members = False
autodoc_default_options = {"members": True, "undoc-members": False}
autodoc_typehints = "none"
intersphinx_mapping = {}
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
# Notebooks: run every build, fail the (-W) build on an error in a cell.
nb_execution_mode = "force"
nb_execution_timeout = 300
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_kernel_rgx_aliases = {".*": "python3"}
# Markdown pages (guide.md, history.md) link to their own sections GitHub-style: #section-title
myst_heading_anchors = 3
html_theme = "alabaster"
suppress_warnings = ["autosectionlabel.*"]

# numpydoc validation (issue 17, item 5): a public function or class documented here whose
# Parameters section lacks, misnames or misorders its parameters, or that returns a value
# without a Returns section, is a warning, so the -W build fails.
numpydoc_validation_checks = {"PR01", "PR02", "PR03", "RT01"}
# Objects the check skips: the imported names ``Path`` and ``Any`` that autodoc reaches in the
# k2 modules (not spacekit's).
numpydoc_validation_exclude = {r"^spacekit\.skopes\.k2\.\w+\.(Path|Any)$"}

"""Deprecated: upstream spacekit's ``python -m spacekit.skopes.hst.svm.corrupt``; use
``spacekit.skopes.hst.svm.synthetic_misalignment`` (see :mod:`spacekit.skopes._upstream`).
"""

import os

from spacekit.skopes import _upstream
from spacekit.utils.upstream_api import upstream_getattr

# upstream spacekit 1.1.4's names of this module say what to use (docs/upstream.rst)
__getattr__ = upstream_getattr(__name__)

if __name__ == "__main__":  # `spacekit legacy-entry` takes over (it says what to use)
    os.execv(*_upstream.legacy_entry("spacekit.skopes.hst.svm.corrupt"))

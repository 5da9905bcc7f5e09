"""Deprecated: upstream spacekit's ``python -m spacekit.skopes.hst.svm.prep``; use ``spacekit svm
ingest`` (see :mod:`spacekit.skopes._upstream`).
"""

import os

from spacekit.skopes import _upstream

if __name__ == "__main__":  # `spacekit legacy-entry` takes over (it says what to use)
    os.execv(*_upstream.legacy_entry("spacekit.skopes.hst.svm.prep"))

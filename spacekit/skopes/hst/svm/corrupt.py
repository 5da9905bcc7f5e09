"""Deprecated: upstream spacekit's ``python -m spacekit.skopes.hst.svm.corrupt``; use
``spacekit.skopes.hst.svm.synthetic_misalignment (Python)``.

Run with ``python -m``, it hands over to ``spacekit legacy-entry``, which says so on stderr and
exits with status 2; see :mod:`spacekit.skopes._upstream`.
"""

from spacekit.skopes import _upstream

if __name__ == "__main__":  # the command line's hidden `legacy-entry` takes over
    import os
    import sys

    os.execv(
        sys.executable, _upstream.legacy_entry_argv("spacekit.skopes.hst.svm.corrupt", sys.argv[1:])
    )

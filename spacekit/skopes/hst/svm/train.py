"""Deprecated: upstream spacekit's ``python -m spacekit.skopes.hst.svm.train``; use ``spacekit svm
train --help``.

Run with ``python -m``, it hands over to ``spacekit legacy-entry``, which says so on stderr and
exits with status 2; see :mod:`spacekit.skopes._upstream`. Imported, the module object calls
:func:`spacekit.skopes.hst.svm.app.train`.
"""

from spacekit.skopes import _upstream

_upstream.keep_callable(__name__, "spacekit.skopes.hst.svm.app", "train")

if __name__ == "__main__":  # the command line's hidden `legacy-entry` takes over
    import os
    import sys

    os.execv(
        sys.executable, _upstream.legacy_entry_argv("spacekit.skopes.hst.svm.train", sys.argv[1:])
    )

"""Deprecated: upstream spacekit's ``python -m spacekit.skopes.jwst.cal.predict``; use ``spacekit
jwst predict FOLDER``.

Run with ``python -m``, it hands over to ``spacekit legacy-entry``, which says so on stderr and
runs the equivalent ``spacekit`` command when the arguments translate (else exits 2); see
:mod:`spacekit.skopes._upstream`. Imported, the module object calls
:func:`spacekit.skopes.jwst.cal.model.predict`.
"""

from spacekit.skopes import _upstream

_upstream.keep_callable(__name__, "spacekit.skopes.jwst.cal.model", "predict")

if __name__ == "__main__":  # the command line's hidden `legacy-entry` takes over
    import os
    import sys

    os.execv(
        sys.executable,
        _upstream.legacy_entry_argv("spacekit.skopes.jwst.cal.predict", sys.argv[1:]),
    )

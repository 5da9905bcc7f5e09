"""Deprecated: upstream spacekit's ``python -m spacekit.skopes.hst.svm.predict``; use ``spacekit
svm predict --help``.

Run with ``python -m``, it says so on stderr and exits with status 2; see
:mod:`spacekit.skopes._upstream`. Imported, the module object calls
:func:`spacekit.skopes.hst.svm.app.predict`.
"""

from spacekit.skopes import _upstream

_upstream.keep_callable(__name__, "spacekit.skopes.hst.svm.app", "predict")

if __name__ == "__main__":
    _upstream.deprecated_entry(
        "spacekit.skopes.hst.svm.predict",
        None,
        "spacekit svm predict --help",
    )

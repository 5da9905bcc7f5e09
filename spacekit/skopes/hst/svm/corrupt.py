"""Deprecated: upstream spacekit's ``python -m spacekit.skopes.hst.svm.corrupt``; use
``spacekit.skopes.hst.svm.synthetic_misalignment (Python)``.

Run with ``python -m``, it says so on stderr and exits with status 2; see
:mod:`spacekit.skopes._upstream`.
"""

from spacekit.skopes import _upstream

if __name__ == "__main__":
    _upstream.deprecated_entry(
        "spacekit.skopes.hst.svm.corrupt",
        None,
        "spacekit.skopes.hst.svm.synthetic_misalignment (Python)",
    )

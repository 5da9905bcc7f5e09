"""Deprecated: upstream spacekit's ``python -m spacekit.skopes.hst.cal.train``; use ``spacekit cal
train --help``.

Run with ``python -m``, it says so on stderr and exits with status 2; see
:mod:`spacekit.skopes._upstream`. Imported, the module object calls
:func:`spacekit.skopes.hst.cal.pipeline.train`.
"""

from spacekit.skopes import _upstream

_upstream.keep_callable(__name__, "spacekit.skopes.hst.cal.pipeline", "train")

if __name__ == "__main__":
    _upstream.deprecated_entry(
        "spacekit.skopes.hst.cal.train",
        None,
        "spacekit cal train --help",
    )

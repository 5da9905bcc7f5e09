"""Deprecated: upstream spacekit's ``python -m spacekit.skopes.jwst.cal.predict``; use ``spacekit
jwst predict FOLDER``.

Run with ``python -m``, it says so on stderr and runs the equivalent ``spacekit`` command when
the arguments translate (else exits 2); see :mod:`spacekit.skopes._upstream`. Imported, the
module object calls :func:`spacekit.skopes.jwst.cal.model.predict`.
"""

import sys

from spacekit.skopes import _upstream

_upstream.keep_callable(__name__, "spacekit.skopes.jwst.cal.model", "predict")

if __name__ == "__main__":
    _upstream.deprecated_entry(
        "spacekit.skopes.jwst.cal.predict",
        _upstream.jwst_cal_predict_argv(sys.argv[1:]),
        "spacekit jwst predict FOLDER",
    )

"""The lightkurve interop tests run in their own small venv (``make test-interop``).

lightkurve conflicts with other pins of ``spacekit[x]``, so the main test run does not have
it: there these modules are not collected at all (rather than skipped). In the interop venv
(``SPACEKIT_INTEROP=1``, set by the Makefile) they are always collected, so a missing
lightkurve fails loudly there instead of silently skipping.
"""

from __future__ import annotations

import importlib.util
import os

collect_ignore_glob: list[str] = []
if os.environ.get("SPACEKIT_INTEROP") != "1" and importlib.util.find_spec("lightkurve") is None:
    collect_ignore_glob = ["test_*.py"]

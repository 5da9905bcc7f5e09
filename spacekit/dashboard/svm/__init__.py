"""``spacekit.dashboard.svm``: upstream spacekit 1.1.4's, not part of this spacekit.

Importing it raises :class:`~spacekit.exceptions.UpstreamAPIError` naming what to use instead
(:mod:`spacekit.utils.upstream_api`, ``docs/upstream.rst``).
"""

from spacekit.utils.upstream_api import removed_module

removed_module(__name__)

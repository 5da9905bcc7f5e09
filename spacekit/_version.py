"""The package version, set from git tags by setuptools-scm when spacekit is installed.

setuptools-scm writes ``_scm_version.py`` (git-ignored) at install time: ``X.Y.Z`` on a release
tag ``vX.Y.Z``, ``X.Y.(Z+1).devN+g<hash>`` N commits after it; in a clone without tags, the
fallback version from ``pyproject.toml`` with the commit count (``2.0.0.devN+g<hash>``), and
the plain fallback where there is no git metadata (a source archive, the Docker build context).
"""

try:
    from ._scm_version import version as __version__
except ImportError:  # a source tree used without installing it
    __version__ = "0+unknown"

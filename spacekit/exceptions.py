"""The spacekit exception hierarchy.

Every error spacekit raises derives from :class:`SpacekitError` *and* from the builtin it
refines, so ``except ValueError`` keeps working for code that does not know spacekit.
Messages say what was expected, what was found and how to fix it.
"""

__all__ = [
    "SpacekitError",
    "ConfigError",
    "InputError",
    "SchemaError",
    "FormatError",
    "DataNotFoundError",
    "UnknownDatasetError",
    "ChecksumError",
    "DownloadError",
    "RemoteAccessError",
    "MissingDependencyError",
    "NotFittedError",
    "ModelLoadError",
    "WriteAccessError",
    "UpstreamAPIError",
]


class SpacekitError(Exception):
    """Base class of every exception raised by spacekit."""


class ConfigError(SpacekitError, ValueError):
    """A setting has a value that cannot be used."""


class InputError(SpacekitError, ValueError):
    """An argument or input record is invalid (wrong shape, type, range or content)."""


class SchemaError(InputError):
    """A table lacks required columns or has columns of the wrong type."""


class FormatError(SpacekitError, ValueError):
    """A file is empty, truncated, corrupt or not in the format expected."""


class DataNotFoundError(SpacekitError, FileNotFoundError):
    """A file, object or remote product does not exist."""


class UnknownDatasetError(SpacekitError, LookupError):
    """A dataset name is not in the registry."""


class ChecksumError(SpacekitError, ValueError):
    """Downloaded or cached bytes do not match their known sha256 or size."""


class DownloadError(SpacekitError, ConnectionError):
    """A remote service could not be reached or failed after retries."""


class RemoteAccessError(SpacekitError, PermissionError):
    """A remote service refused access (credentials, permissions, bucket policy)."""


class MissingDependencyError(SpacekitError, ImportError):
    """An optional dependency is needed for this call; the message has the install command."""


class NotFittedError(SpacekitError, ValueError, AttributeError):
    """An estimator was used before ``fit`` (same contract as scikit-learn's)."""


class ModelLoadError(SpacekitError, ValueError):
    """A saved model folder is incomplete or was written by an incompatible version."""


class WriteAccessError(SpacekitError, PermissionError):
    """A local file or folder cannot be written (no permission, or a read-only file system)."""


class UpstreamAPIError(SpacekitError, ImportError):
    """A module or name of upstream spacekit 1.1.4 that this spacekit does not have; the message
    names what to use instead (the table in ``docs/upstream.rst``)."""

"""Small shared helpers: logging, progress bars, optional imports, atomic file writes,
checksums and the run-folder format.

Nothing here imports a heavy dependency at module level.
"""

from .deps import optional_import
from .files import atomic_path, atomic_write, file_sha256
from .log import enable_logging, get_logger
from .progress import progress

__all__ = [
    "atomic_path",
    "atomic_write",
    "enable_logging",
    "file_sha256",
    "get_logger",
    "optional_import",
    "progress",
]

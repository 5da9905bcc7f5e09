"""Logging helpers.

spacekit logs through ``logging.getLogger(__name__)`` and adds no handler by itself (the
library never configures logging on import). :func:`enable_logging` is the one-liner for a
notebook user who wants to see spacekit's messages.
"""

from __future__ import annotations

import logging

__all__ = ["get_logger", "enable_logging"]


def get_logger(name: str) -> logging.Logger:
    """Return the logger for a spacekit module (``get_logger(__name__)``).

    Parameters
    ----------
    name : str
        The module's name.

    Returns
    -------
    logging.Logger
        The logger.

    Examples
    --------
    >>> get_logger("spacekit.io").name
    'spacekit.io'
    """
    return logging.getLogger(name)


def enable_logging(level: int | str = "INFO") -> logging.Handler:
    """Send spacekit's log records to stderr at ``level``; return the handler added.

    Calling it again replaces the handler it added before, so it never duplicates lines.

    Parameters
    ----------
    level : int or str
        The lowest level shown (``"DEBUG"``, ``"INFO"``, ...).

    Returns
    -------
    logging.Handler
        The handler added.

    Examples
    --------
    >>> handler = enable_logging("WARNING")
    >>> logging.getLogger("spacekit").removeHandler(handler)
    """
    logger = logging.getLogger("spacekit")
    for old in list(logger.handlers):
        if getattr(old, "_spacekit_handler", False):
            logger.removeHandler(old)
    handler = logging.StreamHandler()
    handler._spacekit_handler = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
    return handler

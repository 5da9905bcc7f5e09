"""tqdm progress bars that a user can silence.

Bars are shown when ``progress=True`` is passed, or when it is None and the setting
``conf.progress`` (env ``SPACEKIT_PROGRESS=0`` turns it off) is true. Without tqdm installed
the iterable is returned unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["progress", "progress_enabled"]


def progress_enabled(progress: bool | None = None) -> bool:
    """Resolve a ``progress`` argument against the global setting."""
    if progress is not None:
        return bool(progress)
    from ..config import conf

    return bool(conf.progress)


def progress(
    iterable: Iterable | None = None,
    *,
    total: int | None = None,
    desc: str | None = None,
    enabled: bool | None = None,
    **kwargs: Any,
):
    """Wrap ``iterable`` in a tqdm bar (or return a manual bar when ``iterable`` is None).

    Parameters
    ----------
    iterable : iterable, optional
        What to iterate over; None for a bar updated by hand.
    total : int, optional
        Number of items (default: ``len(iterable)`` when it has one).
    desc : str, optional
        Label of the bar.
    enabled : bool, optional
        Show the bar (default: the ``progress`` setting).
    **kwargs
        Passed to ``tqdm``.

    Returns
    -------
    iterable or bar
        The wrapped iterable, or a bar with ``update`` and ``close``.

    Examples
    --------
    >>> sum(progress(range(3), enabled=False))
    3
    """
    show = progress_enabled(enabled)
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is in the x extra
        if iterable is None:
            return _NullBar()
        return iterable
    return tqdm(iterable, total=total, desc=desc, disable=not show, **kwargs)


class _NullBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass

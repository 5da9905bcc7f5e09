"""Deprecations that keep old names, arguments and calling conventions working for one release.

- :func:`deprecated_renamed_argument`: a keyword renamed (astropy's pattern): the old keyword
  still works, with a :class:`DeprecationWarning` naming the new one.
- :func:`deprecated_alias`: an old function name calling the new function.
- :func:`warn_deprecated`: the warning itself, for calling conventions a decorator cannot
  express (an argument order that changed).

Examples
--------
>>> import warnings
>>> @deprecated_renamed_argument("model", "kind", since="2.0")
... def train(data, *, kind="gb"):
...     return kind
>>> with warnings.catch_warnings(record=True) as w:
...     warnings.simplefilter("always")
...     train("t.csv", model="mlp")
'mlp'
>>> "'model' was renamed to 'kind'" in str(w[0].message)
True
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable
from typing import Any

from ..exceptions import InputError

__all__ = ["deprecated_renamed_argument", "deprecated_alias", "warn_deprecated"]


def warn_deprecated(message: str, *, since: str, stacklevel: int = 3) -> None:
    """Issue a :class:`DeprecationWarning` saying what to use instead and since when.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     warn_deprecated("f(a, b) is deprecated; use f(b, a)", since="2.0")
    >>> str(w[0].message)
    'f(a, b) is deprecated; use f(b, a) (deprecated since spacekit 2.0; removed in a later release)'
    """
    warnings.warn(
        f"{message} (deprecated since spacekit {since}; removed in a later release)",
        DeprecationWarning,
        stacklevel=stacklevel,
    )


def deprecated_renamed_argument(
    old_name: str, new_name: str, since: str, *, convert: Callable[[Any], Any] | None = None
) -> Callable:
    """Decorator: keyword ``old_name`` is accepted as ``new_name`` with a DeprecationWarning.

    Parameters
    ----------
    old_name, new_name : str
        The old and the new keyword.
    since : str
        The spacekit version that renamed it.
    convert : callable, optional
        Turns an old value into the new one (when the meaning changed with the name).

    Examples
    --------
    >>> @deprecated_renamed_argument("show_progress", "progress", since="2.0")
    ... def run(*, progress=None):
    ...     return progress
    >>> run(progress=True)
    True
    """

    def decorate(func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if old_name in kwargs:
                if new_name in kwargs:
                    raise InputError(
                        f"{func.__name__}() got both {old_name!r} (deprecated) and {new_name!r}; "
                        f"pass {new_name!r} only"
                    )
                warn_deprecated(
                    f"{func.__name__}(): {old_name!r} was renamed to {new_name!r}",
                    since=since,
                )
                value = kwargs.pop(old_name)
                kwargs[new_name] = convert(value) if convert is not None else value
            return func(*args, **kwargs)

        return wrapper

    return decorate


def deprecated_alias(func: Callable, old_name: str, since: str, *, note: str = "") -> Callable:
    """An old name of ``func``: calls it with a DeprecationWarning naming the new one.

    Examples
    --------
    >>> def score(model, data):
    ...     return 1.0
    >>> evaluate = deprecated_alias(score, "evaluate", since="2.0")
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     evaluate("m", "d")
    1.0
    """

    @functools.wraps(func)
    def alias(*args: Any, **kwargs: Any) -> Any:
        warn_deprecated(f"{old_name}() is deprecated; use {func.__name__}(){note}", since=since)
        return func(*args, **kwargs)

    alias.__name__ = old_name
    alias.__qualname__ = old_name
    alias.__doc__ = (
        f"Deprecated alias of :func:`{func.__module__}.{func.__name__}` (since spacekit {since})."
        f"{note}\n\n" + inspect.cleandoc(func.__doc__ or "")
    )
    return alias

"""Lazy re-exports for subpackages (the pattern of scikit-learn's ``__init__``).

A subpackage lists which submodule holds each public name; the submodule is imported on
first attribute access, so importing the package stays light.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str,
    exports: Mapping[str, str] | Mapping[str, Iterable[str]],
    *,
    extra: Iterable[str] = (),
) -> tuple[Callable[[str], object], Callable[[], list[str]], list[str]]:
    """Return ``(__getattr__, __dir__, __all__)`` for ``package``.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    exports : mapping
        Either ``{name: submodule}`` or ``{submodule: [names]}``.
    extra : iterable of str
        Names defined in the package itself that belong in ``__all__``.

    Examples
    --------
    A package's ``__init__.py`` writes ``__getattr__, __dir__, __all__ = lazy_exports(
    __name__, {...})``; here for the standard library's ``json``:

    >>> getattr_, dir_, all_ = lazy_exports("json", {"JSONEncoder": "encoder"})
    >>> all_, getattr_("JSONEncoder").__module__
    (['JSONEncoder'], 'json.encoder')
    """
    where: dict[str, str] = {}
    for key, value in exports.items():
        if isinstance(value, str):
            where[key] = value
        else:
            where.update({name: key for name in value})
    names = sorted({*where, *extra})

    def __getattr__(name: str) -> object:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)  # cache: later lookups skip __getattr__
        return value

    def __dir__() -> list[str]:
        return names

    return __getattr__, __dir__, names

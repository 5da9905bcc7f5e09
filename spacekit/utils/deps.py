"""Optional dependencies: import them when used, fail with the install command."""

from __future__ import annotations

import importlib
from types import ModuleType

from ..exceptions import MissingDependencyError

__all__ = ["optional_import"]


def optional_import(module: str, feature: str, extra: str = "x") -> ModuleType:
    """Import ``module`` or raise :class:`MissingDependencyError` naming ``feature``.

    Parameters
    ----------
    module : str
        Importable module name, e.g. ``"transitleastsquares"``.
    feature : str
        What the user called, e.g. ``"planet_hunter(lc, engine='tls')"``.
    extra : str
        The pip extra that brings the module.

    Examples
    --------
    >>> optional_import("json", "reading JSON").__name__
    'json'
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"{feature} needs {module.split('.')[0]}: pip install spacekit[{extra}] "
            f"(import failed: {exc})"
        ) from exc

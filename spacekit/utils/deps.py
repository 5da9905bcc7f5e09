"""Optional dependencies: import them when used, fail with the install command."""

from __future__ import annotations

import importlib
import os
import sys
from types import ModuleType

from ..exceptions import MissingDependencyError

__all__ = ["optional_import", "quiet_tensorflow", "import_keras"]

#: Environment variables set (when the user has not set them) before spacekit imports
#: TensorFlow, so that its C++ start-up lines do not land in a notebook cell or a terminal.
TENSORFLOW_QUIET_ENV = {"TF_CPP_MIN_LOG_LEVEL": "2", "TF_ENABLE_ONEDNN_OPTS": "0"}


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

    Returns
    -------
    module
        The imported module.

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


def quiet_tensorflow() -> dict[str, str]:
    """Silence TensorFlow's C++ log lines before it is first imported; return what was set.

    Sets ``TF_CPP_MIN_LOG_LEVEL=2`` (no INFO or WARNING lines from TensorFlow's C++ core) and
    ``TF_ENABLE_ONEDNN_OPTS=0`` (TensorFlow prints its "oneDNN custom operations are on"
    notice before its log level applies, unless this variable is set; with it at 0 the
    CPU results also no longer depend on oneDNN's operation order). A variable the user has
    set, to any value, is left alone: ``TF_ENABLE_ONEDNN_OPTS=1`` keeps oneDNN's kernels
    (with their notice) and ``TF_CPP_MIN_LOG_LEVEL=0`` shows every line. Once TensorFlow is
    imported the variables no longer matter, so nothing is set then.

    Returns
    -------
    dict
        The variables this call set (empty when the user had set them, or TensorFlow was
        already imported).

    Examples
    --------
    >>> import os
    >>> _ = quiet_tensorflow()
    >>> "TF_CPP_MIN_LOG_LEVEL" in os.environ or "tensorflow" in sys.modules
    True
    """
    if "tensorflow" in sys.modules:
        return {}
    changed = {}
    for key, value in TENSORFLOW_QUIET_ENV.items():
        if key not in os.environ:
            os.environ[key] = changed[key] = value
    return changed


def import_keras(feature: str = "Keras models (spacekit.builder)") -> ModuleType:
    """Import Keras (and TensorFlow behind it) quietly: :func:`quiet_tensorflow`, then import.

    Every function of spacekit that needs Keras imports it through this function.

    Raises
    ------
    MissingDependencyError
        Keras is not installed (the message names ``feature`` and the install command).

    Examples
    --------
    >>> keras = import_keras()  # doctest: +SKIP
    """
    quiet_tensorflow()
    return optional_import("keras", feature)

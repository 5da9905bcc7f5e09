"""spacekit settings.

Each setting is resolved, highest priority first, from

1. a value set in code: ``conf.timeout = 5`` or ``with conf.set_temp("timeout", 5): ...``;
2. the environment variable ``SPACEKIT_<NAME>`` (e.g. ``SPACEKIT_DATA_MIRROR``);
3. top-level ``name = value`` lines of astropy's configuration file for spacekit
   (``spacekit.cfg`` in the folder ``astropy.config.get_config_dir()`` returns:
   ``~/.config/astropy/`` with astropy 8, ``~/.astropy/config/`` before; read through
   :class:`astropy.config.ConfigNamespace`; skipped when astropy is not installed, as in a
   minimal AWS Lambda package);
4. the built-in default.

Nothing is read until a setting is first used, so ``import spacekit`` stays free of side effects.

Examples
--------
>>> from spacekit.config import conf
>>> with conf.set_temp("timeout", 5.0):
...     conf.timeout
5.0
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from .exceptions import ConfigError

__all__ = ["conf", "Settings", "SETTINGS"]


def _default_cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "spacekit")


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"expected a boolean (1/0, true/false, yes/no), got {value!r}")


def _to_path(value: Any) -> Path | None:
    if value in (None, ""):
        return None
    return Path(os.path.expanduser(str(value)))


def _to_str(value: Any) -> str:
    return "" if value is None else str(value)


def _to_positive_float(value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"expected a positive number, got {value!r}") from None
    if not out > 0:
        raise ConfigError(f"expected a positive number, got {value!r}")
    return out


def _to_positive_int(value: Any) -> int:
    try:
        out = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"expected a positive integer, got {value!r}") from None
    if out < 1:
        raise ConfigError(f"expected a positive integer, got {value!r}")
    return out


# name: (default, converter, description)
SETTINGS: dict[str, tuple[Any, Any, str]] = {
    "cache_dir": (
        None,
        _to_path,
        "Folder for downloads and cached datasets (default ~/.cache/spacekit, or "
        "$XDG_CACHE_HOME/spacekit).",
    ),
    "data_mirror": (
        "",
        _to_str,
        "Local folder or s3://bucket/prefix tried before the network when fetching "
        "registered datasets (empty: none).",
    ),
    "timeout": (30.0, _to_positive_float, "Network timeout in seconds for one request."),
    "retries": (4, _to_positive_int, "Attempts for a transient network failure."),
    "max_workers": (8, _to_positive_int, "Concurrent downloads in one call."),
    "model_dir": (
        None,
        _to_path,
        "Folder where trained models are looked up (default <cache_dir>/models).",
    ),
    "runs_dir": ("spacekit-runs", _to_path, "Default parent folder of run folders."),
    "progress": (True, _to_bool, "Show tqdm progress bars on long work."),
    "s3_endpoint_url": (
        "",
        _to_str,
        "Endpoint of an S3-compatible server (empty: AWS).",
    ),
}


class Settings:
    """Lazily resolved spacekit settings; see the module docstring for the priority order."""

    def __init__(self) -> None:
        object.__setattr__(self, "_overrides", {})
        object.__setattr__(self, "_astropy_conf", None)

    # -- resolution ---------------------------------------------------------
    def _file_value(self, name: str) -> Any:
        conf = self._astropy_conf
        if conf is None:
            try:
                conf = _make_astropy_conf()
            except ImportError:  # no astropy (e.g. a minimal Lambda package): no file layer
                conf = _BuiltinDefaults()
            object.__setattr__(self, "_astropy_conf", conf)
        return getattr(conf, name)

    def __getattr__(self, name: str) -> Any:
        if name not in SETTINGS:
            raise AttributeError(
                f"unknown spacekit setting {name!r}; known settings: {', '.join(SETTINGS)}"
            )
        default, convert, _ = SETTINGS[name]
        if name in self._overrides:
            value = self._overrides[name]
        elif f"SPACEKIT_{name.upper()}" in os.environ:
            env = f"SPACEKIT_{name.upper()}"
            try:
                return self._finish(name, convert(os.environ[env]))
            except ConfigError as exc:
                raise ConfigError(f"environment variable {env}: {exc}") from None
        else:
            value = self._file_value(name)
        return self._finish(name, convert(value))

    def _finish(self, name: str, value: Any) -> Any:
        if name == "cache_dir" and value is None:
            return Path(_default_cache_dir())
        if name == "model_dir" and value is None:
            return self.cache_dir / "models"
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in SETTINGS:
            raise AttributeError(
                f"unknown spacekit setting {name!r}; known settings: {', '.join(SETTINGS)}"
            )
        SETTINGS[name][1](value)  # validate now, not at first use
        self._overrides[name] = value

    def reset(self, name: str | None = None) -> None:
        """Forget values set in code (one setting, or all when ``name`` is None).

        Parameters
        ----------
        name : str, optional
            The setting; None for all.
        """
        if name is None:
            self._overrides.clear()
        else:
            self._overrides.pop(name, None)

    @contextlib.contextmanager
    def set_temp(self, name: str, value: Any):
        """Set a setting inside a ``with`` block only.

        Parameters
        ----------
        name : str
            The setting.
        value : object
            Its value inside the block.

        Returns
        -------
        context manager
            Restores the previous value on exit.
        """
        missing = object()
        old = self._overrides.get(name, missing)
        setattr(self, name, value)
        try:
            yield
        finally:
            if old is missing:
                self._overrides.pop(name, None)
            else:
                self._overrides[name] = old

    def describe(self) -> dict[str, Any]:
        """Return every setting's current value (as a dict, for display).

        Returns
        -------
        dict
            Value by setting name.
        """
        return {name: getattr(self, name) for name in SETTINGS}

    def __dir__(self):
        return [*SETTINGS, "reset", "set_temp", "describe"]

    def __repr__(self) -> str:
        return f"<spacekit Settings: {', '.join(SETTINGS)}>"


class _BuiltinDefaults:
    """The built-in defaults, standing in for the configuration file when astropy is absent."""

    def __getattr__(self, name: str) -> Any:
        return SETTINGS[name][0]


def _make_astropy_conf():
    from astropy import config as _config

    items = {
        name: _config.ConfigItem("" if default is None else default, desc)
        for name, (default, _, desc) in SETTINGS.items()
    }

    class _Conf(_config.ConfigNamespace):
        rootname = "spacekit"

    for name, item in items.items():
        setattr(_Conf, name, item)
        item.name = name
        item.module = "spacekit"
    _warn_about_sections(_config)
    return _Conf()


def _warn_about_sections(astropy_config: Any) -> None:
    """Warn when spacekit.cfg puts settings under a section header, where they are not read
    (astropy reads a package's own settings from the top of its file)."""
    import warnings

    try:
        cfg = astropy_config.get_config("spacekit")
    except Exception:  # noqa: BLE001 - an unreadable file is astropy's to report
        return
    for section in getattr(cfg, "sections", []):
        keys = sorted(k for k in cfg[section] if k in SETTINGS)
        if keys:
            warnings.warn(
                f"{cfg.filename}: settings {keys} are under a [{section}] header and are ignored; "
                "put `name = value` lines at the top of the file, before any section",
                UserWarning,
                stacklevel=5,  # the line that read the setting
            )


conf = Settings()

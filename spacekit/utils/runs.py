"""The run folder: one format shared by :mod:`spacekit.computer`, every skope and the dashboard.

A run folder is ``<runs_dir>/<app>/<YYYYmmdd-HHMMSS>-<name>/`` and holds

- ``run.json``: app, name, creation time (UTC, ISO 8601), spacekit version, data sha256,
  parameters, seed, and the run's ``status``: ``running`` from creation, then ``complete``,
  ``failed`` (with ``error``) or ``interrupted``, with ``finished`` and ``duration_s`` (see
  :meth:`Run.finish` and :meth:`Run.tracking`). A run still ``running`` whose process is gone
  (killed) reads as ``interrupted``; folders written before statuses existed read as
  ``complete``. Loaders only take complete runs;
- ``metrics.json``: a flat or nested JSON object of numbers;
- ``figures/``: PNG (matplotlib) and HTML (plotly) figures;
- ``predictions.csv`` where there are predictions;
- ``model/`` where a model was trained.

Examples
--------
>>> import tempfile
>>> run = Run.create("demo", "example", runs_dir=tempfile.mkdtemp(), parameters={"epochs": 2})
>>> run.write_metrics({"accuracy": 0.9})
>>> Run.open(run.path).metrics["accuracy"]
0.9
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import json
import math
import os
import re
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..exceptions import DataNotFoundError, FormatError, InputError
from .files import atomic_write, write_access

__all__ = [
    "RUN_STATUSES",
    "Run",
    "tracking_runs",
    "tracks_runs",
    "list_runs",
    "model_folder",
    "to_jsonable",
    "write_json",
    "read_json",
]

#: The states of a run folder; only ``complete`` runs are picked by the model loaders.
RUN_STATUSES = ("running", "complete", "failed", "interrupted")

_NAME_RE = re.compile(r"[^A-Za-z0-9_.-]+")


def to_jsonable(obj: Any) -> Any:
    """Convert numpy scalars/arrays, Paths, Quantities and NaN into plain JSON values.

    Parameters
    ----------
    obj : object
        Any value; dicts, lists and tuples are converted recursively.

    Returns
    -------
    object
        A value :mod:`json` can write.

    Examples
    --------
    >>> import numpy as np
    >>> to_jsonable({"a": np.float32(0.5), "b": np.arange(2), "c": float("nan")})
    {'a': 0.5, 'b': [0, 1], 'c': None}
    """
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, float):
        return None if math.isnan(obj) or math.isinf(obj) else obj
    if isinstance(obj, (str, int, bool)) or obj is None:
        return obj
    if isinstance(obj, (_dt.datetime, _dt.date)):  # before Quantity: pd.Timestamp has .unit
        return None if obj != obj else obj.isoformat()  # pandas NaT is not equal to itself
    if hasattr(obj, "to_dict") and hasattr(obj, "columns"):  # pandas DataFrame: records
        return to_jsonable(obj.to_dict(orient="records"))
    if hasattr(obj, "to_dict") and hasattr(obj, "index"):  # pandas Series: {index: value}
        return to_jsonable(obj.to_dict())
    if hasattr(obj, "unit") and hasattr(obj, "value"):  # astropy Quantity
        return {"value": to_jsonable(obj.value), "unit": str(obj.unit)}
    if hasattr(obj, "tolist"):  # numpy scalar or array
        return to_jsonable(obj.tolist())
    return str(obj)


def write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` as indented JSON, atomically; return the path.

    Parameters
    ----------
    path : path
        The file to write.
    obj : object
        The value (converted by :func:`to_jsonable`).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    path = Path(path)
    with atomic_write(path, "w", encoding="utf-8") as fh:
        json.dump(to_jsonable(obj), fh, indent=2, sort_keys=False)
        fh.write("\n")
    return path


def read_json(path: str | os.PathLike) -> Any:
    """Read a JSON file, raising :class:`FormatError` naming the file when it is not JSON.

    Parameters
    ----------
    path : path
        The JSON file.

    Returns
    -------
    object
        The decoded value.
    """
    path = Path(path)
    if not path.exists():
        raise DataNotFoundError(f"{path} does not exist")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FormatError(f"{path} is not valid JSON: {exc}") from None


class Run:
    """A run folder (see the module docstring for its layout).

    Parameters
    ----------
    path : path
        The run folder.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    # -- creation / opening -------------------------------------------------
    @classmethod
    def create(
        cls,
        app: str,
        name: str = "run",
        *,
        runs_dir: str | os.PathLike | None = None,
        parameters: dict | None = None,
        seed: int | None = None,
        data_sha256: str | dict | None = None,
        timestamp: _dt.datetime | None = None,
    ) -> Run:
        """Create ``<runs_dir>/<app>/<YYYYmmdd-HHMMSS>-<name>/`` with its ``run.json``.

        ``runs_dir`` defaults to the setting ``conf.runs_dir``. An existing folder of the same
        second and name gets a numeric suffix rather than being overwritten.

        Parameters
        ----------
        app : str
            The application (the folder under ``runs_dir``).
        name : str
            The run's name (the end of its folder's name).
        runs_dir : path, optional
            Parent of the app folders.
        parameters : dict, optional
            Recorded in ``run.json``.
        seed : int, optional
            Recorded in ``run.json``.
        data_sha256 : str or dict, optional
            sha256 of the input data (one, or by name), recorded in ``run.json``.
        timestamp : datetime.datetime, optional
            The folder's time (default: now).

        Returns
        -------
        Run
            The new run, ``status`` ``"running"``.
        """
        from .._version import __version__

        if not app or _NAME_RE.sub("", app) != app:
            raise InputError(f"app must be a plain name like 'hst_cal', got {app!r}")
        if runs_dir is None:
            from ..config import conf

            runs_dir = conf.runs_dir
        when = timestamp or _dt.datetime.now(_dt.timezone.utc)
        safe = _NAME_RE.sub("-", name).strip("-") or "run"
        base = Path(runs_dir) / app / f"{when:%Y%m%d-%H%M%S}-{safe}"
        path, n = base, 1
        with write_access(runs_dir, "runs folder"):
            while True:
                try:
                    path.mkdir(parents=True, exist_ok=False)
                    break
                except FileExistsError:
                    if not path.parent.is_dir():  # a file where a folder goes
                        raise
                    n += 1
                    path = base.with_name(f"{base.name}-{n}")
            (path / "figures").mkdir()
        run = cls(path)
        write_json(
            path / "run.json",
            {
                "app": app,
                "name": name,
                "created": when.isoformat(timespec="seconds"),
                "spacekit_version": __version__,
                "data_sha256": data_sha256,
                "parameters": parameters or {},
                "seed": seed,
                **_tracked(run),
            },
        )
        return run

    @classmethod
    def open(cls, path: str | os.PathLike) -> Run:
        """Open an existing run folder (it must hold ``run.json``).

        Parameters
        ----------
        path : path
            The run folder.

        Returns
        -------
        Run
            The run.
        """
        path = Path(path)
        if not (path / "run.json").is_file():
            raise DataNotFoundError(
                f"{path} is not a spacekit run folder: it has no run.json "
                "(run folders are made by Run.create, computer.compute and the skopes)"
            )
        return cls(path)

    # -- contents -----------------------------------------------------------
    @property
    def info(self) -> dict:
        """The contents of ``run.json``."""
        return read_json(self.path / "run.json")

    @property
    def app(self) -> str:
        return self.info["app"]

    @property
    def status(self) -> str:
        """``running``, ``complete``, ``failed`` or ``interrupted`` (see the module docstring).

        A run whose ``run.json`` says ``running`` but whose process (same host) has ended was
        killed (SIGKILL, a crash, a closed kernel): it reads as ``interrupted``.
        """
        try:
            info = self.info
        except (FormatError, OSError):
            return "failed"  # run.json unreadable: nothing in the folder can be trusted
        status = info.get("status", "complete")  # folders from before statuses
        if status == "running" and not _alive(info.get("pid"), info.get("host")):
            return "interrupted"
        return status if status in RUN_STATUSES else "failed"

    @property
    def complete(self) -> bool:
        """True when the run finished normally (every file it meant to write is there)."""
        return self.status == "complete"

    def finish(self, status: str = "complete", *, error: str | None = None) -> None:
        """Record how the run ended: its ``status``, ``finished`` time and ``duration_s``.

        Also removes temporary files a killed write may have left in the folder.

        Parameters
        ----------
        status : str
            ``"complete"``, ``"failed"`` or ``"interrupted"``.
        error : str, optional
            What went wrong, for a run that did not complete.

        Examples
        --------
        >>> import tempfile
        >>> run = Run.create("demo", runs_dir=tempfile.mkdtemp())
        >>> run.finish("failed", error="out of memory")
        >>> run.status, run.info["error"], run.info["duration_s"] >= 0
        ('failed', 'out of memory', True)
        """
        if status not in RUN_STATUSES or status == "running":
            raise InputError(
                f"finish() takes one of {RUN_STATUSES[1:]}, got {status!r}; a run is "
                "'running' from its creation"
            )
        info = self.info
        now = _dt.datetime.now(_dt.timezone.utc)
        info["status"] = status
        info["finished"] = now.isoformat(timespec="seconds")
        try:
            created = _dt.datetime.fromisoformat(info["created"])
            info["duration_s"] = round(max((now - created).total_seconds(), 0.0), 3)
        except (KeyError, TypeError, ValueError):
            pass
        if error:
            info["error"] = str(error)[:2000]
        self.clean_temp()
        write_json(self.path / "run.json", info)

    @contextlib.contextmanager
    def tracking(self) -> Iterator[Run]:
        """Mark the run ``complete`` when the block ends normally, else ``failed`` or
        ``interrupted`` (KeyboardInterrupt, SystemExit), and re-raise.

        Examples
        --------
        >>> import tempfile
        >>> run = Run.create("demo", runs_dir=tempfile.mkdtemp())
        >>> with run.tracking():
        ...     run.write_metrics({"accuracy": 1.0})
        >>> run.status
        'complete'
        """
        try:
            yield self
        except (KeyboardInterrupt, SystemExit):
            self.finish("interrupted")
            raise
        except BaseException as exc:
            self.finish("failed", error=f"{type(exc).__name__}: {exc}")
            raise
        else:
            self.finish("complete")

    def clean_temp(self) -> list[Path]:
        """Remove the ``.*.tmp*`` files that interrupted atomic writes left in the folder.

        Returns
        -------
        list of pathlib.Path
            The files removed.
        """
        removed = []
        for p in self.path.rglob(".*.tmp*"):
            with contextlib.suppress(OSError):
                p.unlink()
                removed.append(p)
        return removed

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def metrics(self) -> dict:
        """The contents of ``metrics.json`` (empty when none was written)."""
        p = self.path / "metrics.json"
        return read_json(p) if p.exists() else {}

    @property
    def figures_dir(self) -> Path:
        return self.path / "figures"

    @property
    def model_dir(self) -> Path:
        return self.path / "model"

    @property
    def predictions_path(self) -> Path:
        return self.path / "predictions.csv"

    def figures(self) -> list[Path]:
        """PNG and HTML figure files of the run, sorted by name.

        Returns
        -------
        list of pathlib.Path
            The figure files.
        """
        if not self.figures_dir.exists():
            return []
        return sorted(p for p in self.figures_dir.iterdir() if p.suffix in {".png", ".html"})

    def write_metrics(self, metrics: dict, *, merge: bool = True) -> None:
        """Write ``metrics.json`` (merged into what is there unless ``merge=False``).

        Parameters
        ----------
        metrics : dict
            Metric values by name.
        merge : bool
            Keep the metrics already written (the new values win).
        """
        current = self.metrics if merge else {}
        current.update(to_jsonable(metrics))
        write_json(self.path / "metrics.json", current)

    def write_json(self, relname: str, obj: Any) -> Path:
        """Write any extra JSON document into the run folder.

        Parameters
        ----------
        relname : str
            File name inside the run folder.
        obj : object
            The value (converted by :func:`to_jsonable`).

        Returns
        -------
        pathlib.Path
            The file written.
        """
        return write_json(self.path / relname, obj)

    def save_figure(self, fig: Any, name: str, *, dpi: int = 110) -> Path:
        """Save a matplotlib figure as ``figures/<name>.png`` or a plotly one as ``.html``.

        Parameters
        ----------
        fig : matplotlib.figure.Figure or plotly.graph_objects.Figure
            The figure.
        name : str
            File name without suffix.
        dpi : int
            Resolution of a PNG.

        Returns
        -------
        pathlib.Path
            The file written.
        """
        from .plotting import save_figure

        safe = _NAME_RE.sub("-", name).strip("-")
        self.figures_dir.mkdir(exist_ok=True)
        out = save_figure(fig, self.figures_dir / safe, dpi=dpi)
        if out.suffix == ".html":
            # The JSON spec lets the dashboard redraw the figure natively.
            with atomic_write(self.figures_dir / f"{safe}.plotly.json", "w") as fh:
                fh.write(fig.to_json())
        return out

    def write_predictions(self, frame: Any) -> Path:
        """Write a pandas DataFrame as ``predictions.csv`` (atomically).

        Parameters
        ----------
        frame : pandas.DataFrame
            The predictions.

        Returns
        -------
        pathlib.Path
            The file written.
        """
        with atomic_write(self.predictions_path, "w", encoding="utf-8", newline="") as fh:
            frame.to_csv(fh, index=False)
        return self.predictions_path

    def _repr_html_(self) -> str | None:
        """Notebook view: what the run is, its parameters, metrics and figures."""
        from .display import run_html

        return run_html(self)

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Run) and self.path.resolve() == other.path.resolve()

    def __hash__(self) -> int:
        return hash(self.path.resolve())


def model_folder(folder: str | os.PathLike, marker: str) -> Path:
    """Return ``folder/model`` when ``folder`` is a run folder whose ``model/`` holds ``marker``,
    else ``folder`` itself (so loaders accept a model folder or the run folder around it).

    Parameters
    ----------
    folder : path
        A model folder or a run folder.
    marker : str
        A file every model folder of the app holds.

    Returns
    -------
    pathlib.Path
        The model folder.

    Examples
    --------
    >>> import tempfile
    >>> run = Run.create("demo", runs_dir=tempfile.mkdtemp())
    >>> run.model_dir.mkdir(); _ = (run.model_dir / "metadata.json").write_text("{}")
    >>> model_folder(run.path, "metadata.json") == run.model_dir
    True
    """
    folder = Path(folder)
    # os.path.isfile: False, not OSError, for a name over 255 bytes (the caller says not found)
    if not os.path.isfile(folder / marker) and os.path.isfile(folder / "model" / marker):
        return folder / "model"
    return folder


_SCOPES = threading.local()


def _tracked(run: Run) -> dict:
    """Register ``run`` with the enclosing :func:`tracking_runs` scopes; its status keys.

    A run made outside any scope (a user's own ``Run.create``) gets no status: it reads as
    complete, as folders did before statuses existed, since nothing would ever finish it.
    """
    scopes = getattr(_SCOPES, "stack", None)
    if not scopes:
        return {}
    for created in scopes:
        created.append(run)
    return {"status": "running", "pid": os.getpid(), "host": socket.gethostname()}


@contextlib.contextmanager
def tracking_runs() -> Iterator[list[Run]]:
    """Finish every run folder created inside the block: ``complete`` when it ends normally,
    ``interrupted`` on KeyboardInterrupt/SystemExit (Ctrl-C, SIGTERM on the command line),
    else ``failed`` with the error; the exception is re-raised.

    The skopes' ``train`` and ``cross_validate`` run inside one (:func:`tracks_runs`), so a run
    cut short never looks finished and the model loaders skip it.

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> with tracking_runs() as made:
    ...     run = Run.create("demo", runs_dir=d)
    ...     run.status
    'running'
    >>> run.status, made == [run]
    ('complete', True)
    """
    stack = _SCOPES.__dict__.setdefault("stack", [])
    created: list[Run] = []
    stack.append(created)

    def finish(status: str, error: str | None = None) -> None:
        for run in created:
            with contextlib.suppress(OSError, FormatError):
                if run.info.get("status") == "running":
                    run.finish(status, error=error)

    try:
        yield created
    except (KeyboardInterrupt, SystemExit):
        finish("interrupted")
        raise
    except BaseException as exc:
        finish("failed", f"{type(exc).__name__}: {exc}")
        raise
    else:
        finish("complete")
    finally:
        stack.remove(created)


def tracks_runs(func: Callable) -> Callable:
    """Decorator: run ``func`` inside :func:`tracking_runs`.

    Parameters
    ----------
    func : callable
        A function that creates runs.

    Returns
    -------
    callable
        The wrapped function.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with tracking_runs():
            return func(*args, **kwargs)

    return wrapper


def _alive(pid: Any, host: Any) -> bool:
    """Whether process ``pid`` on ``host`` may still be running (unknown hosts count as alive)."""
    if not isinstance(pid, int) or host != socket.gethostname():
        return True  # another machine (or no record): it may be running there
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists but belongs to another user
        return True
    return True


def list_runs(
    runs_dir: str | os.PathLike | None = None,
    app: str | None = None,
    *,
    complete: bool = False,
) -> list[Run]:
    """All run folders under ``runs_dir`` (optionally of one app), oldest first.

    With ``complete=True`` only the runs that finished normally (``Run.status == "complete"``).

    Parameters
    ----------
    runs_dir : path, optional
        The runs folder (default: the setting ``conf.runs_dir``).
    app : str, optional
        Only this application's runs.
    complete : bool
        Only the runs that finished normally.

    Returns
    -------
    list of Run
        Oldest first.

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> _ = Run.create("demo", "a", runs_dir=d)
    >>> [r.app for r in list_runs(d)]
    ['demo']
    """
    if runs_dir is None:
        from ..config import conf

        runs_dir = conf.runs_dir
    root = Path(runs_dir)
    if not root.is_dir():
        return []
    apps = [root / app] if app else sorted(p for p in root.iterdir() if p.is_dir())
    runs = []
    for app_dir in apps:
        if not app_dir.is_dir():
            continue
        runs.extend(Run(p) for p in sorted(app_dir.iterdir()) if (p / "run.json").is_file())
    if complete:
        runs = [r for r in runs if r.complete]
    return sorted(runs, key=lambda r: (r.path.name, r.path.parent.name))

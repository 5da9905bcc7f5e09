"""The Dash application: :func:`create_app` builds it, :func:`serve` runs it.

Pages
-----
``/``             overview of the run folders
``/evaluate``     metrics, training history, ROC/PR, confusion matrices, residuals of runs
``/explore``      interactive plots of the HST calibration and SVM tables
``/predict``      HST calibration resource prediction; SVM image preview
``/lightcurves``  period search (planet_hunter) on a picked or uploaded light curve

Examples
--------
>>> app = create_app(runs_dir="spacekit-runs")  # doctest: +SKIP
>>> app.run(host="127.0.0.1", port=8050)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..exceptions import InputError
from ..utils.deps import optional_import
from .jobs import JobManager

__all__ = [
    "create_app",
    "serve",
    "DashboardContext",
    "PAGES",
    "MAX_REQUEST_BYTES",
    "MAX_UPLOAD_BYTES",
]

log = logging.getLogger(__name__)

#: URL path -> (navigation title, page module name in ``spacekit.dashboard.pages``).
PAGES: dict[str, tuple[str, str]] = {
    "/": ("Runs", "home"),
    "/evaluate": ("Evaluate", "evaluate"),
    "/explore": ("Explore", "explore"),
    "/predict": ("Predict", "predict"),
    "/lightcurves": ("Light curves", "lightcurves"),
}


#: Largest HTTP request body the dashboard accepts (bytes), in waitress and in Flask: a
#: light-curve upload of :data:`MAX_UPLOAD_BYTES` travels base64-encoded (4/3 of its size)
#: inside a JSON callback request, plus room for the other callback values.
MAX_REQUEST_BYTES = 72 * 1024 * 1024
#: Largest uploaded file (bytes, decoded) a page accepts; checked from the length of the
#: base64 data URL before anything is decoded.
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
#: Entries kept in a :class:`DashboardContext` cache (loaded tables, models, image samples);
#: the least recently used one is dropped first.
CACHE_ENTRIES = 12
#: Requests with a body over :data:`LARGE_REQUEST_BYTES` handled at once; another one is
#: answered 503 "busy, retry" (each may hold a few times its size in memory while decoded).
LARGE_REQUESTS_AT_ONCE = 2
#: Bodies above this size (bytes) count as large for :data:`LARGE_REQUESTS_AT_ONCE`.
LARGE_REQUEST_BYTES = 1024 * 1024


class LargeRequestGate:
    """WSGI middleware: at most ``limit`` requests with a large body are handled at once.

    A large upload is held several times over while the app parses and decodes it (the JSON
    body, its text, the decoded file); bounding how many run together bounds the server's
    memory whatever the number of request threads. Others get 503 with a Retry-After.

    Parameters
    ----------
    app : callable
        The WSGI application.
    limit : int
        Large requests handled at once.
    large : int
        Body size (bytes) from which a request counts as large (0: the default).

    Examples
    --------
    >>> def app(environ, start_response):
    ...     start_response("200 OK", [])
    ...     return [b"ok"]
    >>> gate = LargeRequestGate(app, limit=1, large=10)
    >>> gate({"CONTENT_LENGTH": "5"}, lambda status, headers: None)
    [b'ok']
    """

    def __init__(self, app: Any, *, limit: int = LARGE_REQUESTS_AT_ONCE, large: int = 0):
        self.app = app
        self.large = int(large or LARGE_REQUEST_BYTES)
        self._slots = threading.BoundedSemaphore(max(1, int(limit)))

    def __call__(self, environ: dict, start_response: Any) -> Any:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length <= self.large:
            return self.app(environ, start_response)
        if not self._slots.acquire(blocking=False):
            body = (
                b'{"error": "the dashboard is handling other large uploads; retry in a few '
                b'seconds"}'
            )
            start_response(
                "503 Service Unavailable",
                [
                    ("Content-Type", "application/json"),
                    ("Content-Length", str(len(body))),
                    ("Retry-After", "5"),
                ],
            )
            return [body]
        try:
            # the app reads and parses the body while the answer is produced
            result = self.app(environ, start_response)
            try:
                return list(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        finally:
            self._slots.release()


@dataclass
class DashboardContext:
    """State shared by the pages of one app: the runs folder, the job pool, caches, limits.

    ``cache`` is bounded: at most ``max_cached`` entries, the least recently used dropped
    first, so requests naming ever new keys (files, models) cannot grow it without end.

    Parameters
    ----------
    runs_dir : pathlib.Path
        The runs folder the pages read.
    jobs : JobManager
        The background job pool.
    cache : collections.OrderedDict
        Cached values by key (see :meth:`cached`).
    lock : threading.Lock
        Guards ``cache``.
    max_cached : int
        Most entries ``cache`` keeps.
    max_upload_bytes : int
        Largest upload accepted.
    uploads : UploadStore, optional
        Where uploaded files are kept.
    """

    runs_dir: Path
    jobs: JobManager
    cache: OrderedDict[str, Any] = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    max_cached: int = CACHE_ENTRIES
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    uploads: Any = None

    def cached(self, key: str, make: Any, *, replaces: str | None = None) -> Any:
        """Return ``cache[key]``, computing it with ``make()`` once (thread-safe).

        ``replaces``: a key prefix whose other entries the new value supersedes (e.g. older
        versions of a file that was rewritten); they are dropped when it is stored. The cache
        keeps the ``max_cached`` most recently used entries.

        Parameters
        ----------
        key : str
            The cache key.
        make : callable
            ``make()`` computes the value.
        replaces : str, optional
            As described above.

        Returns
        -------
        object
            The cached value.
        """
        with self.lock:
            if key in self.cache:
                self.cache.move_to_end(key)
                return self.cache[key]
        value = make()
        with self.lock:
            if replaces is not None:
                for old in [k for k in self.cache if k.startswith(replaces) and k != key]:
                    del self.cache[old]
            value = self.cache.setdefault(key, value)
            self.cache.move_to_end(key)
            while len(self.cache) > max(1, int(self.max_cached)):
                self.cache.popitem(last=False)
            return value


def create_app(
    runs_dir: str | os.PathLike | None = None,
    *,
    max_workers: int = 4,
    title: str = "spacekit dashboard",
    max_request_bytes: int = MAX_REQUEST_BYTES,
    max_upload_bytes: int = MAX_UPLOAD_BYTES,
) -> Any:
    """Build the dashboard's Dash app over a runs folder; nothing is loaded until a page asks.

    Parameters
    ----------
    runs_dir : path, optional
        Folder of run folders (``<runs>/<app>/<YYYYmmdd-HHMMSS>-<name>/``); default the
        setting ``conf.runs_dir``. It may be empty or missing: pages say so.
    max_workers : int
        Background threads for long computations (training, period searches).
    title : str
        Browser tab title.
    max_request_bytes : int
        Largest request body accepted; a larger one is answered 413 before it is read
        (Flask's ``MAX_CONTENT_LENGTH``; :func:`serve` gives waitress the same limit).
    max_upload_bytes : int
        Largest uploaded file (decoded); checked from the upload's encoded length before
        decoding. Uploads are kept server-side and never sent back to the browser.

    Returns
    -------
    dash.Dash
        The app; ``app.server`` is its Flask server and ``app.spacekit`` its
        :class:`DashboardContext`.

    Examples
    --------
    >>> import tempfile
    >>> app = create_app(runs_dir=tempfile.mkdtemp())
    >>> app.server.test_client().get("/healthz").get_json()["status"]
    'ok'
    """
    dash = optional_import("dash", "spacekit.dashboard.create_app")
    from dash import Input, Output, dcc, html

    if runs_dir is None:
        from ..config import conf

        runs_dir = conf.runs_dir
    runs_dir = Path(runs_dir).expanduser()
    if runs_dir.exists() and not runs_dir.is_dir():
        raise InputError(f"runs_dir must be a folder of run folders, found a file: {runs_dir}")
    for name, value in (
        ("max_request_bytes", max_request_bytes),
        ("max_upload_bytes", max_upload_bytes),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError(f"{name} must be a positive whole number of bytes, got {value!r}")
    from .uploads import UploadStore

    ctx = DashboardContext(
        runs_dir=runs_dir,
        jobs=JobManager(max_workers=max_workers),
        max_upload_bytes=max_upload_bytes,
        uploads=UploadStore(),
    )

    app = dash.Dash(
        __name__,
        title=title,
        suppress_callback_exceptions=True,
        assets_folder=str(Path(__file__).parent / "assets"),
        update_title=None,
    )
    # Flask (and the Werkzeug server of --debug) answers 413 to a larger body before reading
    # it; waitress is given the same limit in serve().
    app.server.config["MAX_CONTENT_LENGTH"] = int(max_request_bytes)
    app.server.wsgi_app = LargeRequestGate(app.server.wsgi_app)
    modules = {path: _page_module(mod) for path, (_, mod) in PAGES.items()}
    nav = html.Nav(
        [html.Span("spacekit", className="brand")]
        + [
            dcc.Link(name, href=path, className="nav-link", id=f"nav-{mod}")
            for path, (name, mod) in PAGES.items()
        ],
        className="navbar",
    )
    app.layout = html.Div([dcc.Location(id="url"), nav, html.Main(id="page", className="page")])

    @app.callback(Output("page", "children"), Input("url", "pathname"), Input("url", "search"))
    def _route(pathname: str | None, search: str | None = None):
        from urllib.parse import parse_qs

        pathname = pathname if isinstance(pathname, str) else "/"
        query = parse_qs(search[1:] if isinstance(search, str) else "")
        module = modules.get((pathname or "/").rstrip("/") or "/")
        if module is None:
            return html.Div(
                [
                    html.H2("Page not found"),
                    html.P(f"No page at {pathname}. Pages: {', '.join(PAGES)}"),
                ],
                id="not-found",
            )
        return module.layout(ctx, query)

    for module in modules.values():
        module.register(app, ctx)

    @app.server.route("/healthz")
    def _healthz():
        return {"status": "ok", "runs_dir": str(ctx.runs_dir)}

    @app.server.errorhandler(413)
    def _too_large(_exc):
        limit = app.server.config["MAX_CONTENT_LENGTH"]
        return (
            {
                "error": f"request larger than the dashboard's limit of {limit / 1e6:.0f} MB; "
                "upload a smaller file"
            },
            413,
        )

    app.spacekit = ctx
    return app


def _page_module(name: str):
    import importlib

    return importlib.import_module(f"{__package__}.pages.{name}")


def serve(
    runs_dir: str | os.PathLike | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8050,
    debug: bool = False,
    max_workers: int = 4,
    threads: int = 8,
    on_ready: Callable[[], None] | None = None,
    max_request_bytes: int = MAX_REQUEST_BYTES,
) -> None:
    """Build the app and serve it until interrupted.

    The server is waitress, a production WSGI server in one process with ``threads`` request
    threads (pages stay responsive while background jobs run, and the jobs, held in this
    process, stay visible to every request). ``debug=True`` uses Flask's development server
    instead, with auto-reload and Dash's dev tools.

    The address is claimed before anything is served: a port already in use (another
    dashboard?) or a host this machine does not have is an :class:`InputError` saying so.
    ``on_ready()`` is called once the server listens (the CLI prints the address there).

    A request body over ``max_request_bytes`` is answered 413 by waitress as soon as its
    ``Content-Length`` says so (and by Flask too), before the body is read.

    Parameters
    ----------
    runs_dir : path, optional
        The runs folder (default: the setting ``conf.runs_dir``).
    host : str
        Address to listen on.
    port : int
        Port to listen on.
    debug : bool
        Flask's development server with auto-reload.
    max_workers : int
        Background jobs run at once.
    threads : int
        Request threads of the server.
    on_ready : callable, optional
        Called once the server listens.
    max_request_bytes : int
        Largest request body accepted.

    Examples
    --------
    >>> serve("spacekit-runs", host="127.0.0.1", port=8050)  # doctest: +SKIP
    """
    if not 0 < int(port) < 65536:
        raise InputError(f"port must be between 1 and 65535, got {port}")
    if not 1 <= int(threads) <= 1024:  # waitress starts them all at once
        raise InputError(
            f"threads must be between 1 and 1024 (operating-system threads), got {threads}"
        )
    app = create_app(runs_dir, max_workers=max_workers, max_request_bytes=max_request_bytes)
    try:
        if debug:
            _check_free(host, int(port))
            _ready(on_ready, host, port, app)
            app.run(host=host, port=int(port), debug=True, threaded=True)
        else:
            waitress = optional_import("waitress", "the dashboard server")
            try:
                server = waitress.create_server(
                    app.server,
                    host=host,
                    port=int(port),
                    threads=int(threads),
                    ident="spacekit",
                    max_request_body_size=int(max_request_bytes),
                )
            except OSError as exc:
                raise _address_error(host, int(port), exc) from None
            except ValueError:  # waitress: the host name does not resolve
                raise _address_error(
                    host, int(port), OSError(0, f"the host {host!r} does not resolve")
                ) from None
            _ready(on_ready, host, port, app)
            server.run()
    finally:
        app.spacekit.jobs.shutdown(wait=False)
        app.spacekit.uploads.close()


def _ready(on_ready: Callable[[], None] | None, host: str, port: int, app: Any) -> None:
    log.info(
        "serving the spacekit dashboard on http://%s:%s/ (runs: %s)",
        host,
        port,
        app.spacekit.runs_dir,
    )
    if on_ready is not None:
        on_ready()


def _address_error(host: str, port: int, exc: OSError) -> InputError:
    import errno

    if exc.errno == errno.EADDRINUSE:
        why = (
            f"port {port} is already in use on {host} (another dashboard or program holds "
            "it); pick a free port (spacekit dashboard --port N, or serve(port=N))"
        )
    else:
        why = (
            f"{exc.strerror or exc}; expected a host name or address of this machine "
            "(127.0.0.1 for this machine only, 0.0.0.0 for all interfaces)"
        )
    return InputError(f"cannot listen on {host}:{port}: {why}")


def _check_free(host: str, port: int) -> None:
    """Bind ``host:port`` once and let it go, so a taken address fails before Flask starts."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise _address_error(host, port, exc) from None
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            raise _address_error(host, port, exc) from None

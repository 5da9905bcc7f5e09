"""``spacekit dashboard``: serve the web dashboard over a runs folder."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser(
        "dashboard",
        help="serve the web dashboard (evaluate runs, explore data, predict, light curves)",
        description="Serve the spacekit Dash dashboard over a folder of run folders. "
        "Open http://HOST:PORT/ in a browser; stop with Ctrl-C.",
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="interface to listen on (default 127.0.0.1; 0.0.0.0 in Docker)",
    )
    p.add_argument("--port", type=int, default=8050, help="port (default 8050)")
    p.add_argument(
        "--runs",
        default=None,
        metavar="DIR",
        help="folder of run folders (default: the runs_dir setting, ./spacekit-runs)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=4,
        help="background threads for long computations (default 4)",
    )
    p.add_argument(
        "--threads", type=int, default=8, help="request threads of the server (waitress; default 8)"
    )
    p.add_argument(
        "--debug",
        action="store_true",
        help="Flask's development server with Dash debug mode (auto-reload, dev tools)",
    )
    p.set_defaults(func=run)


#: the most --workers or --threads (operating-system threads) the dashboard accepts
MAX_THREADS = 1024


def run(args) -> int:
    import os

    from ..config import conf
    from ..dashboard import serve
    from ..exceptions import InputError

    # each is an operating-system thread: a million of them crashes the process
    for option, value in (("--workers", args.workers), ("--threads", args.threads)):
        if not 1 <= value <= MAX_THREADS:
            raise InputError(
                f"{option} must be at least 1 and at most {MAX_THREADS} (threads), got {value}"
            )
    everywhere = args.host in ("0.0.0.0", "::")
    local = "127.0.0.1" if everywhere else args.host
    where = f"all interfaces ({args.host})" if everywhere else args.host
    # the folder itself, absolute, so the user knows where runs are read (default: the setting)
    runs = os.path.abspath(os.path.expanduser(args.runs or conf.runs_dir))

    def ready() -> None:
        print(
            f"spacekit dashboard: open http://{local}:{args.port}/ (listening on {where}, "
            f"runs: {runs}); Ctrl-C stops it",
            flush=True,
        )

    serve(
        runs,
        host=args.host,
        port=args.port,
        debug=args.debug,
        max_workers=args.workers,
        threads=args.threads,
        on_ready=ready,
    )
    return 0

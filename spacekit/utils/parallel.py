"""One Dask dispatcher for every batch job (light-curve searches, app batch predictions).

Every ``client=`` argument in spacekit accepts the same forms:

- ``None`` (default): Dask's in-process scheduler (threads, or ``scheduler=``);
- a ``distributed.Client``;
- a ``distributed.LocalCluster`` (or any cluster object with ``scheduler_address``):
  a client is opened on it for the call and closed after;
- a scheduler address string such as ``"tcp://scheduler:8786"``: the same.

Dask and distributed are imported only when a batch runs.

Examples
--------
>>> run_tasks(pow, [(2, 3), (3, 2)])
[8, 9]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ..exceptions import InputError
from .deps import optional_import

__all__ = ["run_tasks", "check_client", "CLIENT_FORMS"]

#: What a ``client=`` argument may be (for docstrings and error messages).
CLIENT_FORMS = (
    "None (in-process), a distributed.Client, a distributed.LocalCluster, or a scheduler "
    "address such as 'tcp://host:8786'"
)
_SCHEDULERS = ("threads", "synchronous", "processes")


def check_client(client: Any) -> None:
    """Raise :class:`InputError` unless ``client`` is one of the accepted forms.

    Examples
    --------
    >>> check_client(None); check_client("tcp://127.0.0.1:8786")
    >>> check_client(3)  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    spacekit.exceptions.InputError: ...
    """
    if client is None or isinstance(client, str):
        if isinstance(client, str) and "://" not in client and ":" not in client:
            raise InputError(
                f"client {client!r} is not a scheduler address; expected {CLIENT_FORMS}"
            )
        return
    if hasattr(client, "compute") and hasattr(client, "gather"):
        return
    if hasattr(client, "scheduler_address"):
        return
    raise InputError(f"client must be {CLIENT_FORMS}; got {type(client).__name__} {client!r}")


def run_tasks(
    func: Callable,
    arguments: Iterable[Sequence[Any]],
    *,
    client: Any = None,
    scheduler: str = "threads",
    progress: bool | None = False,
    desc: str = "tasks",
    unit: str = "task",
) -> list:
    """Call ``func(*args)`` for each ``args`` of ``arguments`` on Dask; return the results in
    order.

    Parameters
    ----------
    func : callable
        A picklable function (a cluster's workers import it by name).
    arguments : iterable of tuples
        The positional arguments of each call.
    client : None, str, distributed.Client or distributed.LocalCluster
        Where to run (see the module docstring).
    scheduler : {"threads", "synchronous", "processes"}
        The in-process scheduler when ``client`` is None.
    progress : bool, optional
        A progress bar over finished tasks (None: the ``conf.progress`` setting).
    desc, unit : str
        Progress bar text.

    Returns
    -------
    list
        ``[func(*args) for args in arguments]``, computed on Dask.

    Examples
    --------
    >>> run_tasks(divmod, [(7, 2), (9, 4)], scheduler="synchronous")
    [(3, 1), (2, 1)]
    """
    from .progress import progress as progress_bar

    check_client(client)
    if client is None and scheduler not in _SCHEDULERS:
        raise InputError(f"scheduler must be one of {list(_SCHEDULERS)}, got {scheduler!r}")
    dask = optional_import("dask", "batch work on Dask")
    tasks = [dask.delayed(func, pure=False)(*args) for args in arguments]
    if not tasks:
        return []
    bar = progress_bar(total=len(tasks), desc=desc, enabled=progress, unit=unit)
    try:
        if client is None:
            from dask.callbacks import Callback

            keys = {t.key for t in tasks}

            class _Tick(Callback):
                def _posttask(self, key, result, dsk, state, worker_id):
                    if key in keys:
                        bar.update(1)

            with _Tick():
                return list(dask.compute(*tasks, scheduler=scheduler))
        distributed = optional_import("distributed", "client= (a Dask cluster)")
        own = None
        if isinstance(client, str):
            own = client = distributed.Client(client)
        elif not hasattr(client, "compute"):  # a cluster object
            own = client = distributed.Client(client)
        try:
            futures = client.compute(tasks)
            for _ in distributed.as_completed(futures):
                bar.update(1)
            return list(client.gather(futures))
        finally:
            if own is not None:
                own.close()
    finally:
        bar.close()

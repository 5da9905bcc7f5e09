"""Background jobs for long dashboard computations (training, period searches).

A :class:`JobManager` runs callables on a thread pool, so one user's long computation never
blocks the web server's other requests; a page polls :meth:`JobManager.status` with a
``dcc.Interval`` and shows the job's progress. The callable receives a ``report(fraction,
message)`` function as its first argument to publish progress.

Examples
--------
>>> jobs = JobManager(max_workers=1)
>>> def work(report, n):
...     report(0.5, "half way")
...     return n * 2
>>> job = jobs.submit(work, 21)
>>> jobs.wait(job, timeout=5)["result"]
42
>>> jobs.shutdown()
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..exceptions import InputError, SpacekitError

__all__ = ["JobManager"]

log = logging.getLogger(__name__)


class JobManager:
    """Run callables in background threads and report their progress.

    Parameters
    ----------
    max_workers : int
        Threads in the pool: how many jobs run at once (others queue).
    keep : int
        Finished jobs kept for :meth:`status`; older ones are forgotten.

    Examples
    --------
    >>> jobs = JobManager(max_workers=2)
    >>> job = jobs.submit(lambda report: 1 / 0)
    >>> jobs.wait(job, timeout=5)["state"]
    'failed'
    >>> jobs.shutdown()
    """

    def __init__(self, max_workers: int = 4, keep: int = 200) -> None:
        if max_workers < 1:
            raise InputError(f"max_workers must be at least 1, got {max_workers}")
        self._pool = ThreadPoolExecutor(
            max_workers=max_workers, thread_name_prefix="spacekit-dashboard-job"
        )
        self._jobs: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._keep = keep

    def submit(self, func: Callable[..., Any], *args: Any, label: str = "", **kwargs: Any) -> str:
        """Queue ``func(report, *args, **kwargs)``; return the job id.

        Parameters
        ----------
        func : callable
            ``func(report, *args, **kwargs)``; ``report(fraction, message)`` updates the status.
        *args
            Passed to ``func``.
        label : str
            Shown with the job's status.
        **kwargs
            Passed to ``func``.

        Returns
        -------
        str
            The job id.
        """
        job_id = uuid.uuid4().hex
        record = {
            "id": job_id,
            "label": label,
            "state": "queued",
            "progress": 0.0,
            "message": "waiting for a free worker",
            "result": None,
            "error": None,
            "submitted": time.time(),
            "started": None,
            "finished": None,
        }
        with self._lock:
            self._jobs[job_id] = record
            self._forget_old()

        def report(fraction: float, message: str = "") -> None:
            with self._lock:
                record["progress"] = float(min(max(fraction, 0.0), 1.0))
                if message:
                    record["message"] = message

        def run() -> None:
            with self._lock:
                record.update(state="running", started=time.time(), message="started")
            try:
                result = func(report, *args, **kwargs)
            except SpacekitError as exc:
                self._finish(record, "failed", error=str(exc))
            except Exception as exc:  # noqa: BLE001 - shown to the user, logged in full
                log.exception("dashboard job %s (%s) failed", job_id, label)
                self._finish(record, "failed", error=f"{type(exc).__name__}: {exc}")
            else:
                self._finish(record, "done", result=result)

        self._pool.submit(run)
        return job_id

    def _finish(self, record: dict, state: str, *, result: Any = None, error: str | None = None):
        with self._lock:
            record.update(state=state, result=result, error=error, finished=time.time())
            if state == "done":
                record.update(progress=1.0, message="done")
            else:
                record["message"] = "failed"

    def _forget_old(self) -> None:
        finished = [j for j in self._jobs.values() if j["finished"] is not None]
        for job in sorted(finished, key=lambda j: j["finished"])[
            : max(0, len(finished) - self._keep)
        ]:
            self._jobs.pop(job["id"], None)

    def status(self, job_id: str) -> dict[str, Any]:
        """A snapshot of the job: state (queued/running/done/failed), progress 0-1, message,
        result, error, elapsed seconds.

        Parameters
        ----------
        job_id : str
            A job id from :meth:`submit`.

        Returns
        -------
        dict
            The snapshot.
        """
        with self._lock:
            record = self._jobs.get(job_id) if isinstance(job_id, str) else None
            if record is None:
                raise InputError(
                    f"no dashboard job {str(job_id)[:40]!r}: it finished long ago or the server "
                    "restarted; start it again"
                )
            snap = dict(record)
        start = snap["started"] or snap["submitted"]
        snap["elapsed"] = (snap["finished"] or time.time()) - start
        return snap

    def wait(self, job_id: str, timeout: float | None = None, poll: float = 0.05) -> dict:
        """Block until the job is done or failed (or ``timeout`` s pass); return its status.

        Parameters
        ----------
        job_id : str
            A job id from :meth:`submit`.
        timeout : float, optional
            Most seconds to wait (None: no limit).
        poll : float
            Seconds between checks.

        Returns
        -------
        dict
            The job's status, as :meth:`status` gives it.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            snap = self.status(job_id)
            if snap["state"] in ("done", "failed"):
                return snap
            if deadline is not None and time.monotonic() > deadline:
                return snap
            time.sleep(poll)

    def shutdown(self, wait: bool = True) -> None:
        """Stop accepting jobs; wait for running ones when ``wait``.

        Parameters
        ----------
        wait : bool
            Wait for the running jobs (queued ones are cancelled either way).
        """
        self._pool.shutdown(wait=wait, cancel_futures=True)

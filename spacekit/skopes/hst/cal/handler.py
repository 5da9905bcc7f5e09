"""The AWS Lambda handler calcloud calls: its reply contract and its fail-safe answers.

calcloud (``calcloud/plan.py``) invokes the Lambda with ``{"Bucket", "Key", "Ipppssoot"}``,
reads ``memBin`` and ``clockTime`` from the reply and never looks at the Lambda's error status:
a reply without those keys stops the dataset (``KeyError: 'clockTime'``). So this handler is
the one place in spacekit that answers instead of raising: every event gets a reply calcloud
can schedule, with the reason in ``error``/``warnings`` and a log line when it had to guess.

The reply (every key always present):

``memBin`` (int)
    The bin (queue 0-3: 2/8/16/64 GB) to submit, by the model folder's decision rule: the cost
    rule (:mod:`~spacekit.skopes.hst.cal.cost`: least expected GB-hours with memory retries
    and kills under their ceilings; below the classifier's most probable bin ``memBinArgmax``
    only when that is expected to cost 5% less), or with ``decision="margins"`` the calibrated
    safe bin, never below ``memBinArgmax``.
``clockTime`` (float, s)
    Chosen so that calcloud's arithmetic ends at the calibrated kill time: calcloud sets
    ``kill = min(max(clockTime * (1 + wc_std), db_clock), 48 h) * timeout_scale`` with
    ``wc_std = 5`` unless the dataset's DynamoDB row has one (calcloud's model-ingest writes
    none), so ``clockTime = (killTime + 0.5) / 6``
    (:func:`~spacekit.skopes.hst.cal.calcloud.clock_time_for_kill`) and calcloud's kill time is
    ``max(killTime, db_clock)`` clipped to 48 h. It is **not** a wallclock estimate.
``killTime`` (int, s)
    The calibrated kill time: covers ``killTimeCoverage`` of held-out jobs.
``killTimeCoverage`` (float)
    Its coverage on held-out jobs (the cost rule's ``1 - kill_ceiling``, 0.9995 by default;
    0.99 with ``decision="margins"``; 0.999 of the instrument's jobs in a fail-safe answer).
``wcStd`` (float)
    The ``wc_std`` ``clockTime`` was divided by (5, calcloud's default).
``clockTimePred`` (float or null, s)
    The wallclock point estimate.
``memVal`` (float or null, GB)
    The peak-memory point estimate; ``memUpper``: its calibrated upper bound.
``memBinArgmax``, ``memBinProba``
    The classifier's most probable bin and the four bin probabilities.
``queueGB``
    Memory of the queue ``memBin`` names.
``ipst``, ``features``, ``modelVersion``
    The dataset, its nine parsed features, the model's creation time.
``historyJobs`` (int or null)
    Finished jobs of the same input the answer learned from (``$SPACEKIT_HST_CAL_HISTORY``,
    a :class:`~spacekit.skopes.hst.cal.history.JobHistory` file, local or ``s3://``, read once
    per container); null without a history.
``failSafe`` (bool), ``error`` (str or null), ``warnings`` (list of str)
    ``failSafe`` is true when the answer is the conservative one below; ``error`` says why;
    ``warnings`` carries what parsing noticed (unknown keys, unusual values) and inputs
    outside the model's training ranges (an extrapolated answer, still not fail-safe).

Fail-safe answers (``failSafe: true``): when the object is missing, unreadable, larger than
64 KB (:data:`~.features.MAX_FEATURES_BYTES`, refused before reading) or not a features file,
when it lacks ``n_files``/``total_mb``, when the model folder cannot be loaded, or on any other
failure, the reply is :data:`FAILSAFE` for the dataset's instrument (the bin and kill time that
cover 99.9% of that instrument's jobs in the 2021-05-11 training table), or bin 3 and 48 h when
the instrument is unknown (no usable ipppssoot). Events that are not JSON objects or lack
``Bucket``/``Key`` (calcloud always sends them) get the same bin 3 / 48 h answer with
``error`` starting ``"invalid event"``.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ....exceptions import SpacekitError
from .calcloud import DEFAULT_WC_STD, MAX_KILL_S, QUEUE_MEMORY_GB, clock_time_for_kill

__all__ = ["lambda_handler", "failsafe_reply", "FAILSAFE", "FAILSAFE_UNKNOWN", "REPLY_KEYS"]

log = logging.getLogger(__name__)

#: Instrument letter -> (memBin, killTime s) covering 99.9% of that instrument's jobs in the
#: registered 2021-05-11 table (``hst_cal_2021_05_11``; bins: all jobs, kill: the 0.999
#: quantile of wallclock, method "higher"). ACS (j) 2,870 jobs, COS (l) 4,796, STIS (o) 4,979,
#: WFC3 (i) 16,546. ``tests/test_hst_cal_calcloud.py`` recomputes them from the table.
FAILSAFE: dict[str, tuple[int, int]] = {
    "j": (3, 44718),
    "l": (1, 1329),
    "o": (0, 248),
    "i": (3, 14501),
}
#: (memBin, killTime s) when the instrument is unknown: the largest queue, 48 hours.
FAILSAFE_UNKNOWN: tuple[int, int] = (3, MAX_KILL_S)
#: Coverage of the fail-safe answers.
FAILSAFE_COVERAGE = 0.999
#: Every reply carries these keys.
REPLY_KEYS: tuple[str, ...] = (
    "ipst",
    "memBin",
    "memVal",
    "clockTime",
    "killTime",
    "killTimeCoverage",
    "wcStd",
    "clockTimePred",
    "memBinArgmax",
    "memBinProba",
    "memUpper",
    "underBinTarget",
    "queueGB",
    "features",
    "modelVersion",
    "historyJobs",
    "failSafe",
    "error",
    "warnings",
)

_PREDICTORS: dict[tuple[str, str, bool], tuple[Any, str | None]] = {}


def failsafe_reply(ipst: str | None, error: str, warns: list[str] | None = None) -> dict:
    """The conservative reply for dataset ``ipst`` (bin and kill time of :data:`FAILSAFE`).

    Parameters
    ----------
    ipst : str or None
        The dataset; its first letter picks the instrument (unknown: bin 3, 48 h).
    error : str
        Why no prediction was made.
    warns : list of str, optional
        Warnings to pass on.

    Returns
    -------
    dict
        Every key of :data:`REPLY_KEYS`, ``failSafe`` true.

    Examples
    --------
    >>> r = failsafe_reply("ib8t01010", "object not found")
    >>> r["memBin"], r["killTime"], r["failSafe"]
    (3, 14501, True)
    >>> failsafe_reply(None, "invalid event")["killTime"]
    172800
    """
    letter = ipst[0].lower() if isinstance(ipst, str) and len(ipst) == 9 else ""
    mem_bin, kill = FAILSAFE.get(letter, FAILSAFE_UNKNOWN)
    return {
        "ipst": ipst,
        "memBin": mem_bin,
        "memVal": None,
        "clockTime": clock_time_for_kill(kill),
        "killTime": kill,
        "killTimeCoverage": FAILSAFE_COVERAGE if letter in FAILSAFE else None,
        "wcStd": DEFAULT_WC_STD,
        "clockTimePred": None,
        "memBinArgmax": None,
        "memBinProba": None,
        "memUpper": None,
        "underBinTarget": None,
        "queueGB": QUEUE_MEMORY_GB[mem_bin],
        "features": None,
        "modelVersion": None,
        "historyJobs": None,
        "failSafe": True,
        "error": error,
        "warnings": list(warns or []),
    }


def _dataset_name(event: Mapping) -> tuple[str | None, list[str]]:
    """The ipppssoot the event is about (``Ipppssoot``, else ``Dataset``, else from ``Key``)."""
    notes = []
    named = [str(event[k]) for k in ("Ipppssoot", "Dataset") if event.get(k)]
    from_key = Path(str(event.get("Key", ""))).name.split("_")[0] or None
    if len({n.lower() for n in named}) > 1:
        notes.append(f"event names two datasets {named}; used Ipppssoot {named[0]!r}")
    ipst = named[0] if named else from_key
    if not named:
        notes.append(f"event has no Ipppssoot; took {ipst!r} from the Key")
    return ipst, notes


def _model_dir_setting() -> tuple[str, str | None]:
    """The model folder setting and, when it came from upstream's ``MODEL_PATH``, a note."""
    key = os.environ.get("SPACEKIT_HST_CAL_MODEL_DIR", "")
    upstream = os.environ.get("MODEL_PATH", "")
    if key or not upstream:
        return key, None
    # upstream spacekit's handler read MODEL_PATH: a deployment that sets it means that folder
    return upstream, (
        f"model folder {upstream} from MODEL_PATH (upstream spacekit's setting, read because "
        "SPACEKIT_HST_CAL_MODEL_DIR is unset); set SPACEKIT_HST_CAL_MODEL_DIR instead"
    )


def _predictor():
    """The container's predictor, and what to say about it (the job history not used, the
    model folder taken from upstream's ``MODEL_PATH``; None when nothing); loaded once per
    model folder and history."""
    from .predict import load_predictor

    key, note = _model_dir_setting()
    history = os.environ.get("SPACEKIT_HST_CAL_HISTORY", "")
    cache_key = (key, history, note is not None)
    loaded = _PREDICTORS.get(cache_key)
    if loaded is None:
        try:
            pred, error = load_predictor(key or None), note
            if note:
                log.warning("%s", note)
        except SpacekitError as exc:
            if note is None:
                raise
            raise type(exc)(f"MODEL_PATH={key} (upstream spacekit's setting): {exc}") from exc
        if history:  # a history that cannot be read costs its help, never the answer
            from .history import JobHistory

            try:
                pred.history = JobHistory.load(history)
            except Exception as exc:  # noqa: BLE001 - answered by the model alone, with a warning
                error = "; ".join(filter(None, [note, f"job history {history} not used: {exc}"]))
                log.error("job history %s not used: %s", history, exc)
        loaded = _PREDICTORS[cache_key] = (pred, error)
    return loaded


def lambda_handler(event: Any, context: Any = None) -> dict:
    """AWS Lambda entry point for calcloud's job submitter (and upstream spacekit's event).

    Accepts ``{"Bucket", "Key": "control/<ipst>/<ipst>_MemModelFeatures.txt", "Ipppssoot"}``
    (calcloud) or ``{"Dataset", "Bucket", "Key"}`` (upstream spacekit). The model folder is
    ``$SPACEKIT_HST_CAL_MODEL_DIR``, else upstream spacekit's ``$MODEL_PATH`` (said in each
    reply's ``warnings``), else ``<conf.model_dir>/hst_cal``, loaded once per container.
    Never raises: see the module docstring for the reply and the fail-safe answers.

    Parameters
    ----------
    event : dict
        The Lambda event, one of the two forms above.
    context : object, optional
        The Lambda context (unused).

    Returns
    -------
    dict
        Every key of :data:`REPLY_KEYS`.

    Examples
    --------
    >>> lambda_handler({"Bucket": "b", "Key": "control/la8p01010/la8p01010_MemModelFeatures.txt",
    ...                 "Ipppssoot": "la8p01010"})  # doctest: +SKIP
    {'ipst': 'la8p01010', 'memBin': 0, 'clockTime': 200.083, 'killTime': 1200, ...}
    >>> lambda_handler("not an event")["error"][:13]
    'invalid event'
    """
    if not isinstance(event, Mapping):
        reply = failsafe_reply(
            None,
            f"invalid event: expected a JSON object {{'Bucket', 'Key', 'Ipppssoot'}}, got "
            f"{type(event).__name__}",
        )
        log.error("fail-safe reply: %s", reply["error"])
        return reply
    missing = [k for k in ("Bucket", "Key") if not event.get(k)]
    if missing:
        ipst = event.get("Ipppssoot") or event.get("Dataset")
        reply = failsafe_reply(
            None,
            f"invalid event: lacks {missing}; expected {{'Bucket', 'Key', 'Ipppssoot'}} "
            f"(calcloud) or {{'Dataset', 'Bucket', 'Key'}} (spacekit), got keys "
            f"{sorted(map(str, event))}",
        )
        reply["ipst"] = str(ipst) if ipst else None
        log.error("fail-safe reply: %s", reply["error"])
        return reply
    ipst, notes = _dataset_name(event)
    try:
        return _answer(event, ipst, notes)
    except Exception as exc:  # noqa: BLE001 - the one place that answers instead of raising
        reason = f"{type(exc).__name__}: {exc}"
        reply = failsafe_reply(ipst, reason, notes)
        log.warning(
            "fail-safe reply for %s (bin %d, kill %d s): %s",
            ipst,
            reply["memBin"],
            reply["killTime"],
            reason,
        )
        return reply


def _answer(event: Mapping, ipst: str | None, notes: list[str]) -> dict:
    from .features import check_ipppssoot

    name = check_ipppssoot(str(ipst))  # InputError (fail-safe) for a name that is not one
    key = str(event["Key"])
    bucket = str(event["Bucket"])
    if key.startswith("s3://"):
        from ....exceptions import InputError

        raise InputError(
            f"event Key {key!r} is a URL; send the object key inside the bucket, e.g. "
            f"'control/{name}/{name}_MemModelFeatures.txt'"
        )
    pred, history_error = _predictor()
    url = f"s3://{bucket}/{key.lstrip('/')}"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = pred.predict(name, url)
        try:  # an OutOfRangeWarning lands in the reply's warnings
            from .app import _check_ranges

            _check_ranges(pred, {k: [v] for k, v in result["features"].items()})
        except Exception as exc:  # noqa: BLE001 - checking ranges never costs the answer
            log.warning("%s: training ranges not checked: %s", name, exc)
    warns = notes + [str(w.message) for w in caught]
    if history_error:
        warns.append(history_error)
    reply = {k: result.get(k) for k in REPLY_KEYS}
    reply.update(ipst=name, failSafe=False, error=None, warnings=warns)
    for w in warns:
        log.warning("%s: %s", name, w)
    log.info("predicted %s: %s", name, {k: reply[k] for k in ("memBin", "clockTime", "killTime")})
    return reply

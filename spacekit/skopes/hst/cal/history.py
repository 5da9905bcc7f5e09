"""What past jobs of the same inputs needed: the cost rule's memory of outcomes (numpy only).

The nine features repeat: the 2021-05-11 table holds 29,191 jobs with 817 distinct feature
vectors, and the largest groups of identical inputs hold thousands of jobs. A model trained
without a group (a new kind of observation) can only judge it by its neighbours, and the retry
ceiling then moves a whole large group to a bigger queue on a few percent of doubt. calcloud
records each job's outcome (peak memory, wallclock) in its DynamoDB table, so the jobs of a
group that have finished say which bin the group needs. :class:`JobHistory` keeps, for each
distinct feature vector, how many finished jobs needed each bin and the longest wallclock among
them; the cost rule
(:func:`~spacekit.skopes.hst.cal.cost.cost_decisions`) then uses the posterior of the true bin

    p' = (w * p + c) / (w + sum(c))

(the model's probabilities ``p`` counted as ``w`` jobs, ``c`` the counts: a Dirichlet update)
at the rule's own retry price (an input never seen is decided as without a history), and the
kill time is never below ``6 x`` the longest wallclock of the input's finished jobs
(:data:`~spacekit.skopes.hst.cal.cost.HISTORY_KILL_FACTOR`: in random arrival order no job of
the 2021-05-11 table ran longer than 6x the longest of its input's earlier jobs, 1 of 3,497 in
the DynamoDB export; a model trained on other instruments kills 1.4% of the export's jobs).
Build one from a table or calcloud's DynamoDB table (:meth:`JobHistory.from_jobs`, ``spacekit
cal history``), attach it to a predictor (``load_predictor(model, history=...)``,
``$SPACEKIT_HST_CAL_HISTORY`` in the Lambda handler) and refresh it as jobs finish.
:mod:`~spacekit.skopes.hst.cal.arrival` replays that learning on a table of jobs (what
:func:`~spacekit.skopes.hst.cal.replay.replay` does with ``learn=True``).

Why counts and not a retrained model: a retrain takes minutes and a model folder; the counts
are a file of a few kilobytes that can be refreshed as often as jobs finish, and on the
2021-05-11 table a history learnt as the held-out jobs finish takes the cost rule from 1.217x
to 1.037x the per-input oracle's GB-hours, and the folds within both ceilings from 8 to 14 of
15 (``benchmarks/RESULTS.md``).

Examples
--------
>>> X = np.array([[1.0] * 9, [1.0] * 9, [2.0] * 9])
>>> h = JobHistory().update(X, memory=[1.0, 1.2, 9.0])
>>> h.counts(np.array([[1.0] * 9, [3.0] * 9])).tolist()
[[2.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]
>>> len(h), h.n_jobs
(2, 3)
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from ....exceptions import InputError
from .features import FEATURES, memory_to_bin

__all__ = ["JobHistory", "history_jobs", "load_history", "posterior_bins", "warn_if_counted"]

#: File format of :meth:`JobHistory.save`.
HISTORY_FORMAT = 1
_N_BINS = 4
_WALL = _N_BINS  # column of the longest wallclock (s) after the four counts


def _rows(X: Any) -> np.ndarray:
    X = np.ascontiguousarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != len(FEATURES):
        raise InputError(
            f"job history: expected raw features of shape (n, {len(FEATURES)}) in the order "
            f"{list(FEATURES)}, got {X.shape}"
        )
    return X


class JobHistory:
    """Counts of the memory bins finished jobs needed, per distinct feature vector.

    How much the model's own probabilities weigh against the counts (``w`` above) is a setting
    of the cost rule (``history_weight``, default 1 job), stored with it.

    Examples
    --------
    >>> h = JobHistory()
    >>> h.update(np.zeros((3, 9)), memory=[0.5, 0.7, 2.5]).counts(np.zeros((1, 9))).tolist()
    [[2.0, 1.0, 0.0, 0.0]]
    """

    def __init__(self):
        self._counts: dict[bytes, np.ndarray] = {}
        self._datasets: set[str] = set()  # the named jobs counted (each counts once)

    def __len__(self) -> int:
        return len(self._counts)

    @property
    def n_jobs(self) -> int:
        """Jobs counted."""
        return int(sum(c[:_N_BINS].sum() for c in self._counts.values()))

    def __repr__(self) -> str:
        return f"JobHistory({len(self)} inputs, {self.n_jobs} jobs)"

    def update(
        self, X: Any, memory: Any, wallclock: Any = None, datasets: Any = None
    ) -> JobHistory:
        """Count finished jobs: features ``X`` (n, 9), their peak memory (GB) and wallclock (s).

        Parameters
        ----------
        X : array-like
            Feature rows in :data:`~spacekit.skopes.hst.cal.features.FEATURES` order, as
            :func:`~spacekit.skopes.hst.cal.features.prepare_table` and the features files give
            them (``total_mb`` rounded to an integer): inputs are matched exactly.
        memory : array-like
            Each job's measured peak memory (GB).
        wallclock : array-like, optional
            Each job's wallclock (s); without it the longest wallclocks are left as they are.
        datasets : array-like of str, optional
            Each job's dataset name (``ipst``): a dataset already counted, here or before, is
            skipped, so adding an overlapping table again counts each job once.

        Returns
        -------
        JobHistory
            Itself (updated in place).
        """
        X = _rows(X)
        values = (
            {"memory": memory} if wallclock is None else {"memory": memory, "wallclock": wallclock}
        )
        for label, v in values.items():
            v = np.asarray(v, dtype=float).reshape(-1)
            if len(v) != len(X) or not np.all(np.isfinite(v)) or np.any(v < 0):
                raise InputError(
                    f"job history: need one finite {label} >= 0 per row, got {len(v)} values "
                    f"for {len(X)} rows"
                )
        memory = np.asarray(memory, dtype=float).reshape(-1)
        if wallclock is not None:
            wallclock = np.asarray(wallclock, dtype=float).reshape(-1)
        if datasets is not None:
            names = np.char.lower(np.char.strip(np.asarray(datasets, dtype=str).reshape(-1)))
            if len(names) != len(X):
                raise InputError(f"job history: {len(names)} dataset names for {len(X)} rows")
            keep = np.zeros(len(names), dtype=bool)
            keep[np.unique(names, return_index=True)[1]] = True  # the first of a repeated name
            if self._datasets:
                keep &= ~np.isin(names, list(self._datasets))
            self._datasets.update(names[keep].tolist())
            X, memory = X[keep], memory[keep]
            wallclock = None if wallclock is None else wallclock[keep]
        uniq, inverse = np.unique(X, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        add = np.zeros((len(uniq), _N_BINS + 1))
        np.add.at(add, (inverse, memory_to_bin(memory)), 1.0)
        if wallclock is not None:
            np.maximum.at(add[:, _WALL], inverse, wallclock)
        for row, a in zip(uniq, add, strict=True):
            self._add(row.tobytes(), a)
        return self

    def _add(self, key: bytes, add: np.ndarray) -> None:
        old = self._counts.get(key)
        if old is None:
            self._counts[key] = add.copy()
        else:
            old[:_N_BINS] += add[:_N_BINS]
            old[_WALL] = max(old[_WALL], add[_WALL])

    def merge(self, other: JobHistory) -> JobHistory:
        """Add another history's counts (jobs of another table or period; to add a table that
        may overlap this history, use :meth:`add_jobs`, which skips datasets already counted).

        Parameters
        ----------
        other : JobHistory
            The counts added.

        Returns
        -------
        JobHistory
            Itself (updated in place).

        Raises
        ------
        InputError
            When a dataset is counted in both (their counts cannot be told apart any more).
        """
        both = self._datasets & other._datasets
        if both:
            raise InputError(
                f"job history: {len(both)} dataset(s) are counted in both histories (e.g. "
                f"{sorted(both)[0]}); merging would count them twice: add the tables to one "
                "history with add_jobs (`spacekit cal history --update`), which skips them"
            )
        for key, c in other._counts.items():
            self._add(key, c)
        self._datasets |= other._datasets
        return self

    def _lookup(self, X: Any) -> np.ndarray:
        X = _rows(X)
        out = np.zeros((len(X), _N_BINS + 1))
        if not self._counts or not len(X):
            return out
        uniq, inverse = np.unique(X, axis=0, return_inverse=True)
        none = np.zeros(_N_BINS + 1)
        per = np.array([self._counts.get(r.tobytes(), none) for r in uniq])
        return per[inverse.reshape(-1)]

    def known(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`counts` and :meth:`max_wallclock` of the rows of ``X``, in one lookup.

        Parameters
        ----------
        X : array-like
            Feature rows (n, 9).

        Returns
        -------
        (numpy.ndarray, numpy.ndarray)
            Counts (n, 4) and longest wallclocks (n,).
        """
        k = self._lookup(X)
        return k[:, :_N_BINS], k[:, _WALL]

    def max_wallclock(self, X: Any) -> np.ndarray:
        """The longest wallclock (s) of the finished jobs of each row's input (0 if unseen).

        Parameters
        ----------
        X : array-like
            Feature rows (n, 9).

        Returns
        -------
        numpy.ndarray
            n values.
        """
        return self._lookup(X)[:, _WALL]

    def counts(self, X: Any) -> np.ndarray:
        """Counts (n, 4) of finished jobs per true bin for each row of ``X`` (zeros if unseen).

        Parameters
        ----------
        X : array-like
            Raw feature rows (n, 9).

        Returns
        -------
        numpy.ndarray
            One row of four counts per input row.
        """
        return self._lookup(X)[:, :_N_BINS]

    @classmethod
    def from_jobs(cls, data: Any) -> JobHistory:
        """A history of the jobs in a table: path, DataFrame, dataset name or ``dynamodb://``.

        Parameters
        ----------
        data : path, pandas.DataFrame, dataset name or ``scheme://`` source
            Jobs with the nine features and ``memory`` (training or DynamoDB-export layout;
            see :func:`~spacekit.skopes.hst.cal.replay.read_jobs`).

        Returns
        -------
        JobHistory
            The counts of those jobs.
        """
        h = cls()
        h.add_jobs(data)
        return h

    def add_jobs(self, data: Any) -> tuple[int, int]:
        """Count the jobs of a table (as :meth:`from_jobs` reads it), each dataset once.

        Parameters
        ----------
        data : path, pandas.DataFrame, dataset name or ``scheme://`` source
            Finished jobs with the nine features, ``memory``, ``wallclock`` and, to count each
            dataset once however often it is added, ``ipst``.

        Returns
        -------
        (int, int)
            Jobs added, and jobs skipped because their dataset was counted already.
        """
        from .replay import read_jobs

        df, _, _ = read_jobs(data)
        before = self.n_jobs
        self.update(
            df[list(FEATURES)].to_numpy(dtype=np.float64),
            df["memory"].to_numpy(dtype=float),
            df["wallclock"].to_numpy(dtype=float),
            datasets=df["ipst"].to_numpy(dtype=str) if "ipst" in df.columns else None,
        )
        added = self.n_jobs - before
        return added, len(df) - added

    def save(self, path: str | os.PathLike) -> Path:
        """Write the history as JSON (features, counts and longest wallclock per distinct input).

        Parameters
        ----------
        path : path or ``s3://`` URL
            The file written.

        Returns
        -------
        pathlib.Path or str
            ``path`` (the URL for ``s3://``).
        """
        rows = [
            np.frombuffer(k, dtype=np.float64).tolist()
            + v[:_N_BINS].astype(int).tolist()
            + [float(v[_WALL])]
            for k, v in sorted(self._counts.items())
        ]
        doc = {
            "format": HISTORY_FORMAT,
            "features": list(FEATURES),
            "rows": rows,
            "datasets": sorted(self._datasets),
        }
        text = json.dumps(doc, separators=(",", ":"))
        if str(path).startswith("s3://"):
            from ....radio import s3_upload

            return s3_upload(text.encode(), str(path), content_type="application/json")
        from ....utils.files import atomic_write

        path = Path(path)
        if not path.parent.is_dir():
            raise InputError(
                f"job history {path}: cannot write it (no folder {path.parent}); give a file "
                "path in an existing folder, or an s3:// URL"
            )
        try:
            # atomic: an interrupted --update keeps the history it was adding to
            with atomic_write(path, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            why = getattr(exc, "reason", None) or exc.strerror or exc
            raise InputError(
                f"job history {path}: cannot write it ({why}); give a file path in a folder "
                "this user may write, or an s3:// URL"
            ) from None
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> JobHistory:
        """Read a history written by :meth:`save`.

        Parameters
        ----------
        path : path or ``s3://`` URL
            A file written by :meth:`save`.

        Returns
        -------
        JobHistory
            The history.
        """
        try:
            if str(path).startswith("s3://"):
                from ....radio import s3_read_bytes

                text = s3_read_bytes(str(path)).decode()
            else:
                path = Path(path)
                text = path.read_text()
            doc = json.loads(text)
            fmt, feats, rows = doc["format"], doc["features"], doc["rows"]
            datasets = doc.get("datasets", [])
        except FileNotFoundError:
            raise InputError(f"job history {path}: no such file") from None
        except IsADirectoryError:
            raise InputError(f"job history {path} is a folder; give the history file") from None
        except (ValueError, KeyError, TypeError):
            raise InputError(
                f"job history {path} is not a history written by `spacekit cal history` (not "
                "JSON, or without its format, features and rows); rebuild it with `spacekit cal "
                "history JOBS --out FILE`"
            ) from None
        if fmt != HISTORY_FORMAT or feats != list(FEATURES):
            raise InputError(
                f"job history {path}: format {fmt!r} over {feats!r}; this spacekit reads format "
                f"{HISTORY_FORMAT} over {list(FEATURES)}: rebuild it with `spacekit cal history`"
            )
        h, n = cls(), len(FEATURES)
        for r in rows:
            try:
                row = np.asarray(r, dtype=np.float64).reshape(-1)
            except (TypeError, ValueError):
                row = np.zeros(0)
            if len(row) != n + _N_BINS + 1:
                raise InputError(
                    f"job history {path}: a row {str(r)[:60]} is not {n + 5} numbers (the "
                    "features, four counts, the longest wallclock); rebuild it with `spacekit cal "
                    "history`"
                )
            h._counts[row[:n].tobytes()] = row[n:].copy()
        h._datasets = set(map(str, datasets))
        return h


def load_history(history: Any) -> JobHistory | None:
    """``None``, a :class:`JobHistory`, or the path of one saved (:meth:`JobHistory.save`).

    Parameters
    ----------
    history : None, JobHistory or path
        What to load.

    Returns
    -------
    JobHistory or None
        The history.

    Examples
    --------
    >>> load_history(None) is None
    True
    """
    if history is None or isinstance(history, JobHistory):
        return history
    return JobHistory.load(history)


def history_jobs(predictor: Any, row: np.ndarray) -> int | None:
    """Finished jobs of ``row``'s input that a predictor's answer learned from (its reply's
    ``historyJobs``): None without a history, and None with a warning when its decision rule
    is not the cost rule (which alone uses one).

    Parameters
    ----------
    predictor : CalPredictor
        The predictor answering.
    row : numpy.ndarray
        The input's features (1, 9).

    Returns
    -------
    int or None
        The count.

    Examples
    --------
    >>> class P: history = None
    >>> history_jobs(P(), np.zeros((1, 9))) is None
    True
    """
    if predictor.history is None:
        return None
    if predictor.decision != "cost" or not predictor.cost_rule:
        import warnings

        from .features import CalFeatureWarning

        warnings.warn(
            f"the job history is not used: the decision rule is {predictor.decision!r}"
            + ("" if predictor.cost_rule else " and the model has no cost rule")
            + "; only the cost rule learns from finished jobs (decision 'cost')",
            CalFeatureWarning,
            stacklevel=3,
        )
        return None
    return int(predictor.history.counts(row).sum())


def warn_if_counted(history: JobHistory | None, df: Any) -> int:
    """Warn when jobs about to be replayed are counted in the history already (their own
    outcomes known in hindsight flatter the model); the number of such jobs.

    Parameters
    ----------
    history : JobHistory or None
        The history the replay starts from.
    df : pandas.DataFrame
        The replayed jobs (``ipst`` tells them apart).

    Returns
    -------
    int
        Jobs of ``df`` counted in ``history``.

    Examples
    --------
    >>> import pandas as pd
    >>> warn_if_counted(JobHistory(), pd.DataFrame({"ipst": ["ib1"]}))
    0
    """
    if history is None or not history._datasets or "ipst" not in df.columns:
        return 0
    both = int(np.isin(df["ipst"].to_numpy(dtype=str), list(history._datasets)).sum())
    if both:
        import warnings

        from .features import CalFeatureWarning

        warnings.warn(
            f"{both} of the {len(df)} replayed jobs are counted in the job history: their own "
            "outcomes are known in hindsight, so the replay flatters the model; build the "
            "history from jobs that finished before these",
            CalFeatureWarning,
            stacklevel=3,
        )
    return both


def posterior_bins(p: np.ndarray, counts: np.ndarray, prior_weight: float) -> np.ndarray:
    """The true bin's probabilities after ``counts`` finished jobs: ``(w p + c) / (w + sum c)``.

    Parameters
    ----------
    p : numpy.ndarray
        The model's probabilities (n, 4).
    counts : numpy.ndarray
        Finished jobs per true bin (n, 4).
    prior_weight : float
        ``w``: how many jobs the model counts for.

    Returns
    -------
    numpy.ndarray
        Probabilities (n, 4).

    Examples
    --------
    >>> posterior_bins(np.array([[0.9, 0.1, 0, 0]]), np.array([[9.0, 0, 0, 0]]), 1.0).tolist()
    [[0.99, 0.01, 0.0, 0.0]]
    """
    w = float(prior_weight)
    return (w * np.asarray(p, dtype=float) + counts) / (w + counts.sum(axis=1, keepdims=True))

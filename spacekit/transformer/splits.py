"""Train/test splits that do not leak: groups of rows always stay on one side.

A row-wise random split leaks when several rows are the same example in disguise: the same
feature vector seen again (HST calibration jobs: 29,191 rows but about 800 distinct feature
vectors), visits of one proposal, light curves of one star. A model then scores well on its
"test" rows because it has seen them. These splitters keep each group whole:

- :func:`identical_row_groups`: one group per distinct feature vector;
- :func:`balanced_group_kfold`: k folds of whole groups, balanced in rows, shuffled by a seed;
- :class:`RepeatedGroupKFold`: that k-fold repeated with new seeds (a scikit-learn splitter);
- :class:`RepeatedStratifiedGroupKFold`: scikit-learn's ``StratifiedGroupKFold``, repeated.

Both classes take ``groups`` like scikit-learn's splitters and, when it is not given, group
identical rows of ``X``. They work as ``cv=`` of ``cross_val_score`` or ``GridSearchCV``.

This module imports only numpy (scikit-learn is imported when a stratified split is made),
so model serving can use :func:`identical_row_groups` without scikit-learn.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from ..exceptions import InputError
from ..utils.checks import seed_number, whole_number

__all__ = [
    "identical_row_groups",
    "balanced_group_kfold",
    "RepeatedGroupKFold",
    "RepeatedStratifiedGroupKFold",
]

#: Seed step between repeats of :class:`RepeatedGroupKFold` (repeat ``r`` uses
#: ``random_state + REPEAT_SEED_STEP * r``), as HST calibration's cross-validation always did.
REPEAT_SEED_STEP = 1000


def identical_row_groups(X: Any) -> np.ndarray:
    """Integer group id per row: rows with identical feature vectors share a group.

    Ids run from 0 to ``n_groups - 1`` in the sorted order of the distinct rows.

    Parameters
    ----------
    X : array_like of shape (n_rows, n_features) or (n_rows,)
        Numeric features (encode text columns first).

    Returns
    -------
    numpy.ndarray of int64, shape (n_rows,)

    Raises
    ------
    InputError
        ``X`` is not 1-D or 2-D, or holds values numpy cannot compare row-wise (text objects).

    Examples
    --------
    >>> identical_row_groups([[1, 2], [3, 4], [1, 2]]).tolist()
    [0, 1, 0]
    """
    arr = np.ascontiguousarray(np.asarray(X))
    if arr.ndim not in (1, 2):
        raise InputError(
            f"identical_row_groups expects a 2-D array (rows, features); got shape {arr.shape}"
        )
    if arr.dtype == object:
        raise InputError(
            "identical_row_groups needs numeric (or fixed-width text) columns; got an object "
            "array. Encode the text columns first (e.g. pd.factorize), or pass "
            "df.to_numpy(dtype=float)"
        )
    _, inverse = np.unique(arr, axis=0, return_inverse=True)
    return inverse.reshape(-1).astype(np.int64)


def _n_splits(n_splits: Any) -> int:
    return whole_number(n_splits, "n_splits (one fold to test, the others to train)", minimum=2)


def _seed(seed: Any, name: str = "seed") -> int | None:
    """A seed for ``np.random.default_rng``: None, a whole number >= 0, or one drawn from a
    numpy ``RandomState``/``Generator`` (scikit-learn's ``random_state`` convention)."""
    if seed is None:
        return None
    if isinstance(seed, np.random.RandomState):
        return int(seed.randint(np.iinfo(np.int32).max))
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(np.iinfo(np.int32).max))
    return seed_number(seed, f"{name} (None, a seed or a numpy RandomState)")


def balanced_group_kfold(
    groups: Any, n_splits: int = 5, seed: int | None = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Split rows into ``n_splits`` folds of whole groups, shuffled by ``seed``, rows balanced.

    Groups are dealt largest first (equal sizes in a seeded random order), each to the fold
    with the fewest rows so far, so the test folds hold about the same number of rows even
    when group sizes are very uneven.

    Parameters
    ----------
    groups : array_like of shape (n_rows,)
        Group label of each row (e.g. :func:`identical_row_groups`).
    n_splits : int
        Number of folds (at least 2, at most the number of groups).
    seed : int or None
        Seed of the tie order (``None``: a fresh one).

    Returns
    -------
    list of (train_index, test_index)
        One pair of sorted row-index arrays per fold.

    Raises
    ------
    InputError
        Fewer groups than folds, or ``n_splits`` below 2.

    Examples
    --------
    >>> import numpy as np
    >>> folds = balanced_group_kfold(np.array([0, 0, 1, 2, 2, 3]), n_splits=2, seed=0)
    >>> sorted(len(t) for _, t in folds)
    [3, 3]
    """
    # Own code rather than scikit-learn's GroupKFold: GroupKFold balances rows only without
    # shuffling (so every repeat would be the same split), and with shuffle=True (sklearn
    # >= 1.6) it deals equal numbers of groups to the folds, not rows. On the HST calibration
    # table (29,191 rows in 803 groups, the largest 2,436 rows) its 5 shuffled test folds held
    # 2,270 to 9,717 rows over seeds 0-2, these 5,838 or 5,839 each. This is also the exact
    # split HST calibration's published models and cross-validation scores were made with.
    n_splits = _n_splits(n_splits)
    seed = _seed(seed)
    groups = np.asarray(groups)
    if groups.ndim != 1:
        raise InputError(f"groups must be 1-D (one label per row); got shape {groups.shape}")
    uniq, inv, counts = np.unique(groups, return_inverse=True, return_counts=True)
    if len(uniq) < n_splits:
        raise InputError(
            f"grouped k-fold: {n_splits} folds need at least {n_splits} groups, found "
            f"{len(uniq)}; lower n_splits or add data"
        )
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(uniq))
    # Greedy balance: largest groups first (random tie order), each into the lightest fold.
    order = order[np.argsort(-counts[order], kind="stable")]
    load = np.zeros(n_splits)
    fold_of = np.empty(len(uniq), dtype=int)
    for g in order:
        f = int(np.argmin(load + rng.random(n_splits) * 1e-6))
        fold_of[g] = f
        load[f] += counts[g]
    row_fold = fold_of[inv.reshape(-1)]
    return [(np.flatnonzero(row_fold != f), np.flatnonzero(row_fold == f)) for f in range(n_splits)]


def _groups_for(X: Any, y: Any, groups: Any, who: str) -> np.ndarray:
    """``groups`` as an array, or the identical-row groups of ``X``; lengths checked."""
    if groups is None:
        if X is None:
            raise InputError(
                f"{who}.split needs groups=... or the feature matrix X (whose identical rows "
                "then form the groups)"
            )
        groups = identical_row_groups(X)
    groups = np.asarray(groups)
    if groups.ndim != 1:
        raise InputError(f"groups must be 1-D (one label per row); got shape {groups.shape}")
    for name, other in (("X", X), ("y", y)):
        if other is not None and len(other) != len(groups):
            raise InputError(
                f"{who}.split: {name} has {len(other)} rows but groups has {len(groups)} labels; "
                "pass one group label per row"
            )
    return groups


class RepeatedGroupKFold:
    """Repeated k-fold of whole groups, balanced in rows (:func:`balanced_group_kfold`).

    A scikit-learn cross-validation splitter (``split`` and ``get_n_splits``): pass it as
    ``cv=`` to ``cross_val_score``, ``cross_validate`` or ``GridSearchCV``.

    Parameters
    ----------
    n_splits : int
        Folds per repeat (at least 2).
    n_repeats : int
        Repeats, each with its own seed: repeat ``r`` uses ``random_state + 1000 * r``.
    random_state : int, numpy RandomState or None
        Seed of the first repeat (``None``: fresh seeds, a different split each call; a
        ``RandomState``: a seed drawn from it at each :meth:`split`).

    Notes
    -----
    Without ``groups``, :meth:`split` groups identical rows of ``X``
    (:func:`identical_row_groups`): a feature vector seen in training never appears again in
    the test fold. scikit-learn has no repeated group k-fold; its ``GroupKFold`` does not
    balance rows when shuffled (see :func:`balanced_group_kfold`).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0], [0], [1], [2], [2], [3], [4], [4]])
    >>> cv = RepeatedGroupKFold(n_splits=2, n_repeats=2, random_state=0)
    >>> folds = list(cv.split(X))
    >>> len(folds) == cv.get_n_splits()
    True
    >>> all(not set(X[tr, 0]) & set(X[te, 0]) for tr, te in folds)
    True

    In a scikit-learn cross-validation:

    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.model_selection import cross_val_score
    >>> rng = np.random.default_rng(0)
    >>> X = rng.integers(0, 5, size=(60, 2)).astype(float)
    >>> y = X.sum(axis=1) + rng.normal(0, 0.1, 60)
    >>> cross_val_score(Ridge(), X, y, cv=RepeatedGroupKFold(n_splits=3, n_repeats=2)).shape
    (6,)
    """

    def __init__(self, n_splits: int = 5, n_repeats: int = 1, random_state: int | None = 0):
        self.n_splits = n_splits
        self.n_repeats = n_repeats
        self.random_state = random_state

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(n_splits={self.n_splits!r}, n_repeats={self.n_repeats!r}, "
            f"random_state={self.random_state!r})"
        )

    def _n_repeats(self) -> int:
        return whole_number(self.n_repeats, "n_repeats", minimum=1)

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """Number of (train, test) pairs :meth:`split` yields: ``n_splits * n_repeats``.

        Parameters
        ----------
        X, y, groups : object
            Ignored (the scikit-learn signature).

        Returns
        -------
        int
            ``n_splits * n_repeats``.
        """
        return _n_splits(self.n_splits) * self._n_repeats()

    def split(
        self, X: Any = None, y: Any = None, groups: Any = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(train_index, test_index)``: ``n_splits`` folds per repeat, repeats in order.

        Parameters
        ----------
        X : array_like, optional
            Features; their identical rows are the groups when ``groups`` is not given.
        y : array_like, optional
            Ignored (accepted for scikit-learn).
        groups : array_like of shape (n_rows,), optional
            Group label per row.
        """
        groups = _groups_for(X, y, groups, type(self).__name__)
        n_splits, n_repeats = _n_splits(self.n_splits), self._n_repeats()
        first = _seed(self.random_state, "random_state")
        for r in range(n_repeats):
            seed = None if first is None else first + REPEAT_SEED_STEP * r
            yield from balanced_group_kfold(groups, n_splits, seed)


class RepeatedStratifiedGroupKFold(RepeatedGroupKFold):
    """scikit-learn's ``StratifiedGroupKFold`` (shuffled), repeated with new shuffles.

    Each fold keeps groups whole and holds about the same share of every class as the whole
    data. A scikit-learn splitter (``cv=`` of ``cross_val_score``, ``GridSearchCV``).

    Parameters
    ----------
    n_splits : int
        Folds per repeat (at least 2).
    n_repeats : int
        Repeats; each shuffles the groups anew from one generator seeded by ``random_state``
        (as scikit-learn's ``RepeatedStratifiedKFold`` does).
    random_state : int, numpy RandomState or None
        Seed (``None``: a different split each call).

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0, 1] * 20)
    >>> groups = np.arange(40) // 2 * 2 + y  # 20 groups per class, two rows each
    >>> cv = RepeatedStratifiedGroupKFold(n_splits=4, n_repeats=2, random_state=0)
    >>> folds = list(cv.split(np.zeros((40, 1)), y, groups))
    >>> len(folds), sorted({float(y[te].mean()) for _, te in folds})
    (8, [0.5])
    """

    def split(
        self, X: Any = None, y: Any = None, groups: Any = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(train_index, test_index)``: ``n_splits`` folds per repeat, repeats in order.

        Parameters
        ----------
        X : array_like, optional
            Features; their identical rows are the groups when ``groups`` is not given.
        y : array_like of shape (n_rows,)
            Class labels to stratify on.
        groups : array_like of shape (n_rows,), optional
            Group label per row.
        """
        from sklearn.model_selection import StratifiedGroupKFold
        from sklearn.utils import check_random_state

        if y is None:
            raise InputError(
                "RepeatedStratifiedGroupKFold.split needs the class labels y to stratify on; "
                "use RepeatedGroupKFold for an unstratified split"
            )
        groups = _groups_for(X, y, groups, type(self).__name__)
        n_splits, n_repeats = _n_splits(self.n_splits), self._n_repeats()
        if len(np.unique(groups)) < n_splits:
            raise InputError(
                f"grouped k-fold: {n_splits} folds need at least {n_splits} groups, found "
                f"{len(np.unique(groups))}; lower n_splits or add data"
            )
        rs = self.random_state
        if not isinstance(rs, np.random.RandomState):  # None, a seed, or a Generator
            rs = _seed(rs, "random_state")
        rng = check_random_state(rs)
        Xs = np.zeros((len(groups), 1)) if X is None else X
        for _ in range(n_repeats):
            cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=rng)
            yield from cv.split(Xs, y, groups)

"""Gradient-boosted trees as numpy arrays: scikit-learn's ensembles, evaluated exactly.

Part of the numpy model export (:mod:`~spacekit.skopes.hst.cal.export`, which saves and loads
every kind): :class:`TreeEnsemble` holds a ``HistGradientBoosting*`` ensemble node by node and
reproduces its outputs exactly (same comparisons, same summation order), walking the trees
for a few rows and using lookup tables for batches. Nothing here imports scikit-learn:
:meth:`TreeEnsemble.from_sklearn` reads the fitted estimator's attributes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ....exceptions import InputError, ModelLoadError
from ....utils.checks import whole_number
from .dense import _MIN_ROWS_PER_THREAD, _usable_cpus

__all__ = ["TreeEnsemble"]

# Rows per block of the table lookups: an output's index and leaf buffers (trees x rows, 8
# bytes each) and its tables' rows then stay in the core's L2 cache.
_BLOCK_ROWS = 256
# Rows are evaluated once per distinct cell of the thresholds' grid when there are at most
# this share as many cells as rows in a pass of _PASS_ROWS rows (0: every row evaluated).
_CELL_SHARE = 0.5
_PASS_ROWS = 65536


def _running_sum(a: np.ndarray, out: np.ndarray) -> None:
    """``out = ((a[0] + a[1]) + a[2]) + ...``: a running sum over axis 0 of a 2-D array.

    ``np.add.reduce`` over the first axis adds whole rows one after the other (vectorised
    across the columns); a single column, though, it would sum pairwise, so that case is an
    ``accumulate`` (always sequential).
    """
    if a.shape[1] == 1:
        out[:] = np.add.accumulate(a[:, 0])[-1:]
    else:
        np.add.reduce(a, axis=0, out=out)


class TreeEnsemble:
    """A gradient-boosted tree ensemble (scikit-learn ``HistGradientBoosting*``) in numpy arrays.

    All trees' nodes are concatenated; a leaf points to itself with threshold +inf, so a few
    rows walk all trees at once, ``depth`` steps. Batches of 256 rows or more use lookup
    tables instead (per row and output: one row of a small table per feature group, for all
    the output's trees at once, and one value lookup per tree, in cache-sized blocks of rows;
    see ``_leaf_tables`` and ``_raw_codes``), and evaluate each cell of the grid of the
    thresholds once when a pass's rows share cells (``_cells``). Raw scores are summed
    tree by tree in the order scikit-learn uses, so outputs are identical, not merely close.

    Parameters
    ----------
    feature, threshold, left, right, missing_left, value : numpy.ndarray
        Node arrays (``left``/``right`` are global node indices).
    roots : numpy.ndarray
        Root node of each tree, in iteration-major order (iteration, then output).
    baseline : numpy.ndarray
        Initial raw score of each output.
    link : str
        ``identity`` (regression), ``exp`` (regression trained on a log target),
        ``softmax`` or ``sigmoid`` (classification).
    classes : numpy.ndarray, optional
        Class labels (classification).
    depth : int
        Maximum depth of the trees.

    Examples
    --------
    >>> t = TreeEnsemble(feature=np.array([0, 0, 0]), threshold=np.array([0.5, np.inf, np.inf]),
    ...     left=np.array([1, 1, 2]), right=np.array([2, 1, 2]),
    ...     missing_left=np.array([True, False, False]), value=np.array([0.0, -1.0, 1.0]),
    ...     roots=np.array([0]), baseline=np.array([10.0]), depth=1)
    >>> t.predict(np.array([[0.0], [1.0]])).tolist()
    [9.0, 11.0]
    """

    kind = "trees"

    def __init__(
        self,
        *,
        feature,
        threshold,
        left,
        right,
        missing_left,
        value,
        roots,
        baseline,
        link: str = "identity",
        classes=None,
        depth: int = 1,
    ):
        self.feature = np.asarray(feature, dtype=np.intp)
        self.threshold = np.asarray(threshold, dtype=np.float64)
        self.left = np.asarray(left, dtype=np.intp)
        self.right = np.asarray(right, dtype=np.intp)
        self.missing_left = np.asarray(missing_left, dtype=bool)
        self.value = np.asarray(value, dtype=np.float64)
        self.roots = np.asarray(roots, dtype=np.intp)
        self.baseline = np.asarray(baseline, dtype=np.float64).reshape(-1)
        self.link = link
        self.classes = None if classes is None else np.asarray(classes)
        self.depth = int(depth)
        if self.roots.size % self.baseline.size:
            raise InputError("tree ensemble: number of trees is not a multiple of the outputs")

    @property
    def n_outputs(self) -> int:
        return self.baseline.size

    @classmethod
    def from_sklearn(cls, est: Any, *, link: str | None = None) -> TreeEnsemble:
        """Export a fitted ``HistGradientBoosting{Regressor,Classifier}`` (numeric features).

        Parameters
        ----------
        est : HistGradientBoostingRegressor or HistGradientBoostingClassifier
            The fitted estimator.
        link : str, optional
            The link applied to raw scores (default: the estimator's own).

        Returns
        -------
        TreeEnsemble
            The trees as numpy arrays.
        """
        predictors = getattr(est, "_predictors", None)
        if predictors is None:
            raise InputError(
                "expected a fitted HistGradientBoostingRegressor/Classifier, got "
                f"{type(est).__name__}"
            )
        if (
            getattr(est, "_preprocessor", None) is not None
            or getattr(est, "is_categorical_", None) is not None
            and np.any(est.is_categorical_)
        ):
            raise InputError("tree export supports numeric features only (no categorical_features)")
        feats, thr, left, right, mleft, vals, roots = [], [], [], [], [], [], []
        offset, depth = 0, 1
        for it in predictors:
            for pred in it:
                nodes = pred.nodes
                n = len(nodes)
                leaf = nodes["is_leaf"].astype(bool)
                idx = np.arange(n) + offset
                feats.append(np.where(leaf, 0, nodes["feature_idx"]))
                thr.append(np.where(leaf, np.inf, nodes["num_threshold"]))
                left.append(np.where(leaf, idx, nodes["left"].astype(np.intp) + offset))
                right.append(np.where(leaf, idx, nodes["right"].astype(np.intp) + offset))
                mleft.append(np.where(leaf, True, nodes["missing_go_to_left"].astype(bool)))
                vals.append(np.where(leaf, nodes["value"], 0.0))
                roots.append(offset)
                depth = max(depth, int(nodes["depth"].max()))
                offset += n
        is_clf = hasattr(est, "classes_")
        if link is None:
            if is_clf:
                link = "softmax" if len(predictors[0]) > 1 else "sigmoid"
            else:
                name = getattr(est, "loss", "squared_error")
                link = {
                    "squared_error": "identity",
                    "absolute_error": "identity",
                    "quantile": "identity",
                    "poisson": "exp",
                    "gamma": "exp",
                }.get(name, "identity")
        return cls(
            feature=np.concatenate(feats),
            threshold=np.concatenate(thr),
            left=np.concatenate(left),
            right=np.concatenate(right),
            missing_left=np.concatenate(mleft),
            value=np.concatenate(vals),
            roots=np.array(roots),
            baseline=np.asarray(est._baseline_prediction).reshape(-1),
            link=link,
            classes=getattr(est, "classes_", None),
            depth=depth,
        )

    def _leaf_tables(self) -> dict | None:
        """The lookup tables of :func:`~.tree_tables.build_leaf_tables` (cached), or None."""
        cached = getattr(self, "_tables", None)
        if cached is None:
            from .tree_tables import build_leaf_tables

            cached = self._tables = build_leaf_tables(self) or False
        return cached or None

    @staticmethod
    def _codes(x: np.ndarray, tables: dict) -> list[np.ndarray]:
        """Each feature group's code for rows ``x``: its features' threshold counts below."""
        columns = np.ascontiguousarray(x.T)  # one contiguous column per feature
        codes = []
        for features in tables["features"]:
            code = np.zeros(x.shape[0], dtype=np.intp)
            for f, thr, n_codes in features:
                code *= n_codes
                if thr.size <= 4:  # flags and codes: a few comparisons beat a binary search
                    for t in thr:
                        np.add(code, columns[f] > t, out=code)
                else:
                    code += np.searchsorted(thr, columns[f], side="left")  # thresholds below
            codes.append(code)
        return codes

    @staticmethod
    def _cells(codes: list[np.ndarray], tables: dict) -> tuple[list[np.ndarray], np.ndarray] | None:
        """The distinct cells of rows with groups' codes ``codes``, or None (then: every row).

        A row's raw scores depend only on its groups' codes, i.e. on the cell of the grid of
        the ensemble's thresholds that it falls in (``HistGradientBoosting*`` bins each
        feature into at most 255 bins), not on its exact values. When the rows fall in at
        most ``_CELL_SHARE`` as many distinct cells as rows (one sort of an integer key, on
        at most ``_PASS_ROWS`` rows, so linear in the rows), returns the codes of one row of
        each cell and each row's cell: each cell is then evaluated once and its scores copied
        to its rows, the same bits as evaluating every row (the same lookups and sums).
        """
        n = codes[0].shape[0]
        sizes = [int(np.prod([nc for _f, _thr, nc in features])) for features in tables["features"]]
        if _CELL_SHARE <= 0 or n < 64 or float(np.prod(sizes, dtype=float)) >= 2.0**62:
            return None
        key = codes[0].copy()  # the cell's number
        for c, size in zip(codes[1:], sizes[1:], strict=True):
            key *= size
            key += c
        order = np.argsort(key, kind="stable")
        ks = key[order]
        new = np.empty(n, dtype=bool)
        new[0] = True
        np.not_equal(ks[1:], ks[:-1], out=new[1:])
        if np.count_nonzero(new) > _CELL_SHARE * n:
            return None
        first = order[new]  # a row of each cell
        cell_of = np.empty(n, dtype=np.intp)
        cell_of[order] = np.cumsum(new) - 1
        return [c[first] for c in codes], cell_of

    def _raw_codes(self, codes: list[np.ndarray], tables: dict, out: np.ndarray) -> None:
        """Raw scores into ``out`` (n, n_outputs) of the rows whose groups' codes are ``codes``.

        The trees are evaluated ``_BLOCK_ROWS`` rows at a time into buffers reused from block
        to block, so everything a block touches stays in the core's cache. Per block and
        output: one row gather per group (a row's part of the value index for all of the
        output's trees, int32), summed in place; one transposing copy to tree-major intp
        indices; one gather of the leaf values. Tree-major leaf values, shape (trees of an
        output, rows), are summed by one ``np.add.reduce`` over axis 0, tree by tree (a
        running sum across the rows, not a pairwise one): the baseline first, then the trees
        in scikit-learn's order.
        """
        k = self.n_outputs
        n_iter = self.roots.size // k
        values = tables["values"]
        rows = tables["rows"]
        n = codes[0].shape[0]
        block = min(n, _BLOCK_ROWS)
        part = np.empty(block * n_iter, dtype=np.int32)
        extra = [np.empty(block * n_iter, dtype=r.dtype) for r in rows[1:]]
        idx = np.empty(block * n_iter, dtype=np.intp)
        leaf = np.empty(block * n_iter, dtype=np.float64)
        for s in range(0, n, block):
            m = min(block, n - s)
            cs = [c[s : s + m] for c in codes]
            p = part[: m * n_iter].reshape(m, n_iter)
            ix = idx[: m * n_iter].reshape(n_iter, m)
            lv = leaf[: m * n_iter].reshape(n_iter, m)
            for j in range(k):
                np.take(rows[0][j], cs[0], axis=0, out=p, mode="clip")
                for r, code, buf in zip(rows[1:], cs[1:], extra, strict=True):
                    e = buf[: m * n_iter].reshape(m, n_iter)
                    np.take(r[j], code, axis=0, out=e, mode="clip")
                    np.add(p, e, out=p)
                np.copyto(ix, p.T)  # tree-major, as the indices numpy's take uses
                np.take(values, ix, out=lv, mode="clip")  # indices are in range by construction
                lv[0] += self.baseline[j]  # = baseline + first tree (addition commutes exactly)
                _running_sum(lv, out[s : s + m, j])

    def _leaf_walk(self, x: np.ndarray) -> np.ndarray:
        """Leaf values of every tree for rows ``x``, shape (n, n_trees); walks all trees at once."""
        node = np.broadcast_to(self.roots, (x.shape[0], self.roots.size)).copy()
        for _ in range(self.depth):
            xv = np.take_along_axis(x, self.feature[node], axis=1)
            go_left = xv <= self.threshold[node]
            nan = np.isnan(xv)
            if nan.any():
                go_left |= nan & self.missing_left[node]
            node = np.where(go_left, self.left[node], self.right[node])
        return self.value[node]

    def raw_predict(
        self, X: Any, *, chunk_size: int | None = None, n_threads: int | None = None
    ) -> np.ndarray:
        """Raw scores, shape (n, n_outputs): baseline plus the leaf values, tree by tree.

        Batches of 256 rows or more use the lookup tables (built on first use, ~0.1-0.3 s for
        a thousand trees); rows with a NaN, small batches and ensembles the tables cannot hold
        walk the trees. With the tables, rows go 65,536 per pass: each distinct cell of the
        thresholds' grid is evaluated once when the rows share cells (the same bits as every
        row evaluated), and the rows (or cells) are taken ``chunk_size`` at a time (default
        8,192, in cache-sized blocks of 256); the walk takes about 2 MB of leaf values per
        output at a time. Memory stays bounded whatever the batch, and batches of at least
        2 x 1024 rows (or cells) are shared between ``n_threads`` threads (default: the usable
        CPUs; numpy releases the GIL in the lookups and sums).

        Parameters
        ----------
        X : array-like
            Input rows, shape (n, n_features).
        chunk_size : int, optional
            Rows per chunk.
        n_threads : int, optional
            Threads for large batches.

        Returns
        -------
        numpy.ndarray
            Raw scores, shape (n, n_outputs).
        """
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2:
            raise InputError(f"expected a 2-D array (rows, features), got shape {X.shape}")
        n = X.shape[0]
        k = self.n_outputs
        n_iter = self.roots.size // k
        out = np.empty((n, k), dtype=np.float64)
        if n == 0:
            return out
        if n_iter == 0:
            out[:] = self.baseline
            return out
        # The tables cost a one-off build: worth it for batches, not for the single rows of a
        # fresh serving process.
        tables = self._leaf_tables() if n >= 256 else None
        if chunk_size is None:
            per_row = self.roots.size * (self.depth + 2)
            chunk_size = 8192 if tables is not None else max(256, (2 << 20) // (8 * per_row))
            chunk_size = min(8192, chunk_size)
        chunk = whole_number(chunk_size, "chunk_size (rows per chunk)", minimum=1)

        threads = _usable_cpus() if n_threads is None else int(n_threads)
        if tables is not None:
            self._raw_passes(X, tables, out, chunk, threads)
            return out

        def run(start: int) -> None:
            out[start : start + chunk] = self._raw_walk(X[start : start + chunk])

        starts = range(0, n, chunk)
        threads = max(1, min(threads, n // _MIN_ROWS_PER_THREAD, len(starts)))
        if threads == 1:
            for start in starts:
                run(start)
            return out
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(threads) as ex:
            for fut in [ex.submit(run, s) for s in starts]:
                fut.result()
        return out

    def _raw_passes(
        self, X: np.ndarray, tables: dict, out: np.ndarray, chunk: int, threads: int
    ) -> None:
        """Raw scores of ``X`` into ``out`` by the tables, ``_PASS_ROWS`` rows per pass.

        Per pass: the groups' codes (rows with a NaN coded as zeros, then walked), the
        distinct cells when they are few (``_cells``), and the rows (or cells) evaluated
        ``chunk`` at a time by ``_raw_codes``, shared between ``threads`` threads.
        """
        k = self.n_outputs
        ex = None
        try:
            for p0 in range(0, X.shape[0], _PASS_ROWS):
                x = X[p0 : p0 + _PASS_ROWS]
                o = out[p0 : p0 + _PASS_ROWS]
                nan_rows = np.isnan(x).any(axis=1)
                has_nan = bool(nan_rows.any())
                codes = self._codes(np.where(nan_rows[:, None], 0.0, x) if has_nan else x, tables)
                cells = self._cells(codes, tables)
                if cells is None:
                    todo, target = codes, o
                else:
                    todo, cell_of = cells
                    target = np.empty((todo[0].shape[0], k), dtype=np.float64)
                m = todo[0].shape[0]
                step = min(chunk, -(-m // max(1, threads)))
                starts = range(0, m, step)
                used = max(1, min(threads, m // _MIN_ROWS_PER_THREAD, len(starts)))

                def run(s: int, todo=todo, target=target, step=step) -> None:
                    part = [c[s : s + step] for c in todo]
                    self._raw_codes(part, tables, target[s : s + step])

                if used == 1:
                    for s in starts:
                        run(s)
                else:
                    if ex is None:
                        from concurrent.futures import ThreadPoolExecutor

                        ex = ThreadPoolExecutor(threads)
                    for fut in [ex.submit(run, s) for s in starts]:
                        fut.result()
                if cells is not None:
                    np.take(target, cell_of, axis=0, out=o, mode="clip")
                if has_nan:  # missing values: each node's direction
                    o[nan_rows] = self._raw_walk(x[nan_rows])
        finally:
            if ex is not None:
                ex.shutdown()

    def _raw_walk(self, x: np.ndarray) -> np.ndarray:
        """Raw scores of rows ``x`` by walking every tree (any rows, NaN included)."""
        k = self.n_outputs
        n_iter = self.roots.size // k
        leaf = self._leaf_walk(x).reshape(x.shape[0], n_iter, k)
        # baseline, then tree by tree in scikit-learn's order (a running sum, not a pairwise
        # one), so the result is bit for bit scikit-learn's
        terms = np.empty((x.shape[0], n_iter + 1, k), dtype=np.float64)
        terms[:, 0, :] = self.baseline
        terms[:, 1:, :] = leaf
        return np.add.accumulate(terms, axis=1)[:, -1, :]

    def predict(self, X: Any) -> np.ndarray:
        """Regression: predicted values (n,); classification: class probabilities (n, n_classes).

        Parameters
        ----------
        X : array-like
            Input rows, shape (n, n_features).

        Returns
        -------
        numpy.ndarray
            Values (n,) or probabilities (n, n_classes).
        """
        raw = self.raw_predict(X)
        if self.link == "identity":
            return raw[:, 0]
        if self.link == "exp":
            return np.exp(raw[:, 0])
        if self.link == "sigmoid":
            p = 1.0 / (1.0 + np.exp(-raw[:, 0]))
            return np.column_stack([1.0 - p, p])
        if self.link == "softmax":
            e = np.exp(raw - raw.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)
        raise ModelLoadError(f"unknown link {self.link!r} in tree ensemble")

    def to_arrays(self) -> tuple[dict[str, np.ndarray], dict]:
        arrays = {
            "feature": self.feature.astype(np.int32),
            "threshold": self.threshold,
            "left": self.left.astype(np.int32),
            "right": self.right.astype(np.int32),
            "missing_left": self.missing_left,
            "value": self.value,
            "roots": self.roots.astype(np.int32),
            "baseline": self.baseline,
        }
        if self.classes is not None:
            arrays["classes"] = np.asarray(self.classes).astype(np.int64)
        return arrays, {"kind": self.kind, "link": self.link, "depth": self.depth}

    @classmethod
    def from_arrays(cls, arrays: dict, spec: dict) -> TreeEnsemble:
        return cls(
            feature=arrays["feature"],
            threshold=arrays["threshold"],
            left=arrays["left"],
            right=arrays["right"],
            missing_left=arrays["missing_left"],
            value=arrays["value"],
            roots=arrays["roots"],
            baseline=arrays["baseline"],
            link=spec["link"],
            classes=arrays.get("classes"),
            depth=spec["depth"],
        )

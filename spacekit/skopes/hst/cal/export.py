"""Trained models as plain numpy arrays, evaluated by numpy alone.

Prediction must not import TensorFlow or scikit-learn (each costs seconds and hundreds of MB
in a fresh process). Keras dense networks are exported layer by layer (kernel, bias,
activation) into a :class:`DenseNetwork`; scikit-learn ``HistGradientBoosting*`` ensembles are
exported node by node into a :class:`TreeEnsemble`; ridge regressions on pairwise feature
products are a :class:`LinearModel`, and averages of regressors an :class:`AverageModel`.
All are saved as ``.npz`` files (read
with ``allow_pickle=False``) plus a small JSON spec, and reproduce the original models'
outputs: networks to float32 rounding (1e-5), trees exactly (same comparisons, same
summation order), linear models to float64 rounding.

The ``from_keras``/``from_sklearn`` exporters import nothing heavy themselves: they read
attributes of the model object they are given.
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from ....exceptions import InputError, ModelLoadError
from ....utils.checks import whole_number
from ....utils.files import atomic_write

__all__ = [
    "DenseNetwork",
    "TreeEnsemble",
    "LinearModel",
    "AverageModel",
    "pairwise_basis",
    "load_exported",
    "predict_dense",
    "save_exported",
]

_ACTIVATIONS = ("linear", "relu", "sigmoid", "softmax", "tanh")


def _apply_activation(h: np.ndarray, name: str) -> np.ndarray:
    if name == "linear":
        return h
    if name == "relu":
        return np.maximum(h, 0, out=h)
    if name == "sigmoid":
        np.negative(h, out=h)
        np.exp(h, out=h)
        h += 1
        return np.reciprocal(h, out=h)
    if name == "tanh":
        return np.tanh(h, out=h)
    if name == "softmax":
        h -= h.max(axis=1, keepdims=True)
        np.exp(h, out=h)
        h /= h.sum(axis=1, keepdims=True)
        return h
    raise InputError(f"activation {name!r} is not supported; expected one of {_ACTIVATIONS}")


class DenseNetwork:
    """A feed-forward stack of dense layers evaluated in float32 numpy.

    Parameters
    ----------
    weights : list of (kernel, bias, activation)
        ``kernel`` of shape (n_in, n_out), ``bias`` (n_out,), activation one of
        linear, relu, sigmoid, softmax, tanh.

    Examples
    --------
    >>> net = DenseNetwork([(np.eye(2), np.zeros(2), "relu")])
    >>> net.predict(np.array([[1.0, -1.0]])).tolist()
    [[1.0, 0.0]]
    """

    kind = "dense"

    def __init__(self, weights: list[tuple[np.ndarray, np.ndarray, str]]):
        self.layers = []
        for k, b, act in weights:
            k = np.ascontiguousarray(k, dtype=np.float32)
            b = np.ascontiguousarray(b, dtype=np.float32).reshape(-1)
            if k.ndim != 2 or k.shape[1] != b.shape[0]:
                raise InputError(f"dense layer: kernel {k.shape} does not match bias {b.shape}")
            if act not in _ACTIVATIONS:
                raise InputError(
                    f"activation {act!r} is not supported; expected one of {_ACTIVATIONS}"
                )
            self.layers.append((k, b, act))

    @property
    def n_inputs(self) -> int:
        return self.layers[0][0].shape[0]

    @property
    def flops_per_row(self) -> int:
        """Multiply-adds times two of one row (the matrix products only)."""
        return int(sum(2 * k.shape[0] * k.shape[1] for k, _, _ in self.layers))

    @classmethod
    def from_keras(cls, model: Any) -> DenseNetwork:
        """Export a Keras model made of Input, Dense and (inactive at inference) Dropout layers."""
        weights = []
        for layer in model.layers:
            kind = type(layer).__name__
            if kind in ("InputLayer", "Dropout"):
                continue
            if kind != "Dense":
                raise InputError(
                    f"cannot export Keras layer {layer.name!r} of type {kind}: only Dense and "
                    "Dropout layers are supported"
                )
            kernel, bias = layer.get_weights()
            act = getattr(layer.activation, "__name__", str(layer.activation))
            weights.append((kernel, bias, act))
        if not weights:
            raise InputError("the Keras model has no Dense layer to export")
        return cls(weights)

    def predict(
        self, X: Any, *, chunk_size: int = 4096, n_threads: int | None = None
    ) -> np.ndarray:
        """Outputs of the network for rows of ``X`` (float32, shape (n, n_outputs)).

        Rows are evaluated in chunks of ``chunk_size`` (cache-sized buffers reused from chunk
        to chunk), on ``n_threads`` threads for large batches (see :func:`predict_dense`).
        """
        return predict_dense([self], X, chunk_size=chunk_size, n_threads=n_threads)[0]

    def to_arrays(self) -> tuple[dict[str, np.ndarray], dict]:
        arrays = {}
        for i, (k, b, _) in enumerate(self.layers):
            arrays[f"kernel_{i}"] = k
            arrays[f"bias_{i}"] = b
        return arrays, {"kind": self.kind, "activations": [a for _, _, a in self.layers]}

    @classmethod
    def from_arrays(cls, arrays: dict, spec: dict) -> DenseNetwork:
        acts = spec["activations"]
        return cls([(arrays[f"kernel_{i}"], arrays[f"bias_{i}"], a) for i, a in enumerate(acts)])


# --------------------------------------------------------------------------- batch evaluation
# Rows per thread below which a batch is evaluated in the calling thread.
_MIN_ROWS_PER_THREAD = 1024
_blas_lock = threading.Lock()
_blas_state: dict = {"depth": 0, "limiter": None, "controller": None}


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@contextlib.contextmanager
def _single_threaded_blas():
    """Limit BLAS to one thread while our own threads share the rows (re-entrant, thread-safe).

    Each of our threads then runs its matrix products in itself, with no hand-off to BLAS's
    own pool for every small product: on a busy machine that hand-off (threads that spin
    waiting for each other) is what costs most. Without ``threadpoolctl`` (a scikit-learn
    dependency) nothing is limited. The limit is process-wide while it lasts.
    """
    with _blas_lock:
        if _blas_state["depth"] == 0:
            if _blas_state["controller"] is None:
                try:
                    from threadpoolctl import ThreadpoolController
                except ImportError:
                    _blas_state["controller"] = False
                else:
                    _blas_state["controller"] = ThreadpoolController()
            ctl = _blas_state["controller"]
            _blas_state["limiter"] = ctl.limit(limits=1, user_api="blas") if ctl else None
        _blas_state["depth"] += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_state["depth"] -= 1
            if _blas_state["depth"] == 0 and _blas_state["limiter"] is not None:
                _blas_state["limiter"].restore_original_limits()
                _blas_state["limiter"] = None


def _augmented_layers(net: DenseNetwork) -> list[tuple[np.ndarray, str, int, bool]]:
    """Kernels with the bias folded in: ``[h, 1] @ [[K, 0], [b, 1]] = [h @ K + b, 1]``.

    Each hidden layer gets one more input row (the bias) and one more output column that
    carries the constant 1 on to the next layer (relu(1) = 1, so it survives in-place
    activations for free), which saves a pass over the activations per layer. Returns
    (kernel, activation, n_outputs, is_last) per layer; cached on the network.
    """
    cached = net.__dict__.get("_augmented")
    if cached is not None:
        return cached
    out = []
    for i, (k, b, act) in enumerate(net.layers):
        last = i == len(net.layers) - 1
        n_in, n_out = k.shape
        K = np.zeros((n_in + 1, n_out + (0 if last else 1)), dtype=np.float32)
        K[:n_in, :n_out] = k
        K[n_in, :n_out] = b
        if not last:
            K[n_in, n_out] = 1.0
        out.append((K, act, n_out, last))
    net._augmented = out
    return out


def _activate(o: np.ndarray, act: str, n_out: int, last: bool) -> None:
    if last:
        _apply_activation(o, act)
    elif act == "relu":
        np.maximum(o, 0, out=o)
    elif act != "linear":
        _apply_activation(o[:, :n_out], act)  # leave the constant-1 column alone


class _Plan:
    """How a list of networks is evaluated: first layers fused into one product when possible."""

    def __init__(self, nets: list[DenseNetwork]):
        self.layers = [_augmented_layers(n) for n in nets]
        self.n_inputs = nets[0].n_inputs
        self.fused = None
        if len(nets) > 1 and all(len(la) > 1 for la in self.layers):
            firsts = [la[0] for la in self.layers]
            self.fused = np.ascontiguousarray(np.concatenate([f[0] for f in firsts], axis=1))
            edges = np.cumsum([0] + [f[0].shape[1] for f in firsts])
            self.slices = [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True)]
            self.fused_relu = all(f[1] == "relu" for f in firsts)
            self.rest = [la[1:] for la in self.layers]
        else:
            self.rest = self.layers

    def buffers(self, rows: int) -> dict:
        x = np.empty((rows, self.n_inputs + 1), dtype=np.float32)
        x[:, -1] = 1.0
        hidden = [
            [np.empty((rows, K.shape[1]), dtype=np.float32) for K, _, _, last in la if not last]
            for la in self.rest
        ]
        fused = (
            None if self.fused is None else np.empty((rows, self.fused.shape[1]), dtype=np.float32)
        )
        return {"x": x, "hidden": hidden, "fused": fused}

    def run(self, X: np.ndarray, start: int, stop: int, bufs: dict, outs: list[np.ndarray]) -> None:
        m = stop - start
        xa = bufs["x"][:m]
        xa[:, :-1] = X[start:stop]  # casts to float32 chunk by chunk
        if self.fused is not None:
            f = bufs["fused"][:m]
            np.matmul(xa, self.fused, out=f)
            inputs = [f[:, a:b] for a, b in self.slices]
            if self.fused_relu:
                np.maximum(f, 0, out=f)
            else:
                for h, la in zip(inputs, self.layers, strict=True):
                    _activate(h, la[0][1], la[0][2], False)
        else:
            inputs = [xa] * len(self.rest)
        for h, layers, hidden, out in zip(inputs, self.rest, bufs["hidden"], outs, strict=True):
            for j, (K, act, n_out, last) in enumerate(layers):
                o = out[start:stop] if last else hidden[j][:m]
                np.matmul(h, K, out=o)
                _activate(o, act, n_out, last)
                h = o


def predict_dense(
    nets: list[DenseNetwork], X: Any, *, chunk_size: int = 4096, n_threads: int | None = None
) -> list[np.ndarray]:
    """Evaluate several networks on the same rows in one pass (float32).

    Rows are taken ``chunk_size`` at a time into preallocated float32 buffers that are reused
    from chunk to chunk (so a chunk's activations stay in cache); the biases are folded into
    the matrix products; activations are applied in place; the networks' first layers (same
    inputs) are one matrix product; the last layer writes straight into the result. Batches
    of at least 2 x 1024 rows are shared between ``n_threads`` threads (default: the usable
    CPUs), each with its own buffers, BLAS limited to one thread meanwhile.

    Parameters
    ----------
    nets : list of DenseNetwork
        Networks with the same number of inputs.
    X : array-like, shape (n, n_inputs)
        Input rows (float64 input is cast chunk by chunk, never copied whole).
    chunk_size : int
        Rows per chunk (1024-8192 suits a 1 MB cache).
    n_threads : int, optional
        Threads for large batches; 1 evaluates in the calling thread.

    Returns
    -------
    list of numpy.ndarray
        One float32 array (n, n_outputs) per network.

    Examples
    --------
    >>> a = DenseNetwork(
    ...     [(np.eye(2), np.zeros(2), "relu"), (np.ones((2, 1)), np.zeros(1), "linear")]
    ... )
    >>> b = DenseNetwork(
    ...     [(-np.eye(2), np.ones(2), "relu"), (np.ones((2, 1)), np.zeros(1), "linear")]
    ... )
    >>> [o.ravel().tolist() for o in predict_dense([a, b], np.array([[1.0, 2.0]]))]
    [[3.0], [0.0]]
    """
    nets = list(nets)
    if not nets:
        raise InputError("predict_dense needs at least one DenseNetwork")
    chunk_size = whole_number(chunk_size, "chunk_size (rows per chunk)", minimum=1)
    X = np.asarray(X)
    if X.dtype not in (np.float32, np.float64):
        X = np.asarray(X, dtype=np.float32)
    d = nets[0].n_inputs
    if X.ndim != 2 or any(n.n_inputs != X.shape[1] for n in nets):
        raise InputError(
            f"expected an array of shape (n, {d}) (the networks' inputs: "
            f"{[n.n_inputs for n in nets]}), got {X.shape}"
        )
    n = X.shape[0]
    outs = [np.empty((n, net.layers[-1][0].shape[1]), dtype=np.float32) for net in nets]
    if n == 0:
        return outs
    plan = _Plan(nets)
    threads = _usable_cpus() if n_threads is None else int(n_threads)
    threads = max(1, min(threads, n // _MIN_ROWS_PER_THREAD))
    chunk = max(1, min(int(chunk_size), -(-n // threads)))
    if threads == 1:
        bufs = plan.buffers(min(chunk, n))
        for start in range(0, n, chunk):
            plan.run(X, start, min(start + chunk, n), bufs, outs)
        return outs
    starts = iter(range(0, n, chunk))
    lock = threading.Lock()

    def worker() -> None:
        bufs = plan.buffers(chunk)
        while True:
            with lock:
                start = next(starts, None)
            if start is None:
                return
            plan.run(X, start, min(start + chunk, n), bufs, outs)

    from concurrent.futures import ThreadPoolExecutor

    with _single_threaded_blas(), ThreadPoolExecutor(threads) as ex:
        for fut in [ex.submit(worker) for _ in range(threads)]:
            fut.result()
    return outs


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
    tables instead (per tree: one small-table lookup per feature group and one value lookup,
    see ``_leaf_tables``; for the calibration models 2.5x the per-feature bit-vector lookups of
    the previous release, which were 6x the node walk). Raw scores are
    summed tree by tree in the order scikit-learn uses, so outputs are identical, not merely
    close.

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
        """Export a fitted ``HistGradientBoosting{Regressor,Classifier}`` (numeric features)."""
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

    def _leaf_tables(self):  # noqa: C901
        """Lookup tables for batch prediction without walking the trees, or None (then: walk).

        Built once per ensemble and cached. Each tree's leaves are numbered left to right and
        a set of leaves is an unsigned integer with a bit per leaf. A node whose test is false
        (``x > threshold``: the row goes right) rules out its left subtree's leaves; the exit
        leaf is then the lowest leaf not ruled out. The nodes that fail for a row are, per
        feature, those whose threshold is below the row's value: a prefix of that feature's
        sorted thresholds, so the feature's *code* (its number of thresholds below the value,
        one ``searchsorted``) decides them. Features are grouped (the low-cardinality flags and
        codes share one joint code) and each group's code gives, per tree, the leaves it leaves
        open (the bit-vector scheme of QuickScorer, Lucchese et al. 2015).

        At prediction time no bit is touched: each tree's distinct open-leaf sets per group are
        numbered in advance, every combination's exit-leaf value is stored in one value array,
        and each group's table maps (tree, code) straight to that tree's part of the index into
        it. A row's leaf value in a tree is then ``values[sum of the groups' table entries]``:
        one small-table lookup per group and one value lookup per tree, vectorised over the
        rows and the trees. Comparisons are the node walk's, so the leaves are identical.

        Trees of more than 64 leaves, or value arrays of more than 2**22 entries, return None.
        """
        cached = getattr(self, "_tables", None)
        if cached is not None:
            return cached or None
        n_trees = self.roots.size
        k = self.n_outputs
        leaf_start = np.zeros(self.left.size, dtype=np.intp)
        leaf_stop = np.zeros(self.left.size, dtype=np.intp)
        tree_of = np.full(self.left.size, -1, dtype=np.intp)
        leaf_node, leaf_tree, leaf_pos, counts = [], [], [], []
        for t, root in enumerate(self.roots):
            count, stack = 0, [(int(root), False)]
            while stack:  # in-order walk: left subtree, node, right subtree
                node, after_left = stack.pop()
                tree_of[node] = t
                if after_left:
                    leaf_stop[node] = count
                elif self.left[node] == node:
                    leaf_node.append(node)
                    leaf_tree.append(t)
                    leaf_pos.append(count)
                    count += 1
                else:
                    leaf_start[node] = count
                    stack += [
                        (int(self.right[node]), False),
                        (node, True),
                        (int(self.left[node]), False),
                    ]
            counts.append(count)
        width = max(counts)
        if width > 64:
            self._tables = False
            return None
        leaf_values = np.zeros((n_trees, width))
        leaf_values[leaf_tree, leaf_pos] = self.value[leaf_node]
        internal = np.flatnonzero((tree_of >= 0) & (self.left != np.arange(self.left.size)))
        one = np.uint64(1)
        span = (leaf_stop[internal] - leaf_start[internal]).astype(np.uint64)  # < 64
        masks = ~(((one << span) - one) << leaf_start[internal].astype(np.uint64))
        full = np.iinfo(np.uint64).max
        per_feature = []  # (feature, sorted thresholds, open leaves (n_thresholds + 1, n_trees))
        for f in np.unique(self.feature[internal]):
            on_f = self.feature[internal] == f
            sel, m = internal[on_f], masks[on_f]
            thr, rank = np.unique(self.threshold[sel], return_inverse=True)
            table = np.full((thr.size + 1, n_trees), full, dtype=np.uint64)
            np.bitwise_and.at(table[1:], (rank, tree_of[sel]), m)
            np.bitwise_and.accumulate(table, axis=0, out=table)
            per_feature.append((int(f), thr, table))
        # Low-cardinality features (flags, codes) share joint codes: fewer lookups per row.
        per_feature.sort(key=lambda e: e[2].shape[0])
        # A group's table holds a small integer per (tree, code); a tree's row of it is read
        # once per row of data, so it should stay in the fastest cache: at most 6144 codes.
        groups, budget = [], 6144
        for f, thr, table in per_feature:
            g = groups[-1] if groups else None
            if g is not None and g["table"].shape[0] * table.shape[0] <= budget:
                g["table"] = (g["table"][:, None, :] & table[None, :, :]).reshape(-1, n_trees)
                g["features"].append((f, thr, table.shape[0]))
            else:
                groups.append({"features": [(f, thr, table.shape[0])], "table": table})
        # Trees output by output (iteration order within an output): an output's trees are
        # then one block of rows in every table.
        order = (np.arange(n_trees // k)[None, :] * k + np.arange(k)[:, None]).ravel()
        local, uniques = [], []
        for g in groups:  # number each tree's distinct open-leaf sets of this group
            tab = g["table"][:, order]
            srt = np.argsort(tab, axis=0, kind="stable")
            s = np.take_along_axis(tab, srt, axis=0)
            new = np.ones(s.shape, dtype=bool)
            new[1:] = s[1:] != s[:-1]
            rank = np.empty(s.shape, dtype=np.intp)
            np.put_along_axis(rank, srt, np.cumsum(new, axis=0) - 1, axis=0)
            local.append(rank.T)  # (n_trees, n_codes)
            uniques.append([s[new[:, t], t] for t in range(n_trees)])
        sizes = np.array([[len(u[t]) for u in uniques] for t in range(n_trees)], dtype=np.int64)
        per_tree = sizes.prod(axis=1)
        if per_tree.sum() > 1 << 22:
            self._tables = False
            return None
        start = np.concatenate([[0], np.cumsum(per_tree)[:-1]])
        values = np.empty(int(per_tree.sum()))
        lv = leaf_values[order]
        for t in range(n_trees):  # every combination of the groups' open-leaf sets
            open_ = np.array([full], dtype=np.uint64)
            for u in uniques:
                open_ = (open_[:, None] & u[t][None, :]).ravel()
            lowest = (open_ & (~open_ + one)).astype(np.float64)  # 2**leaf, exact
            values[start[t] : start[t] + per_tree[t]] = lv[t][np.frexp(lowest)[1] - 1]
        # index = start + sum over groups of (local number * stride), the last stride 1
        stride = np.ones(n_trees, dtype=np.int64)
        # The first group's table holds the trees' offsets (int32); the others the narrowest
        # unsigned type that holds their part (the last, stride 1, usually fits in a byte).
        index = [None] * len(groups)
        for gi in range(len(groups) - 1, -1, -1):
            part = local[gi] * stride[:, None]
            if gi == 0:
                index[gi] = np.ascontiguousarray(part + start[:, None], dtype=np.int32)
            else:
                small = next(
                    d for d in (np.uint8, np.uint16, np.int32) if part.max() <= np.iinfo(d).max
                )
                index[gi] = np.ascontiguousarray(part, dtype=small)
            stride *= sizes[:, gi]
        self._tables = {
            "features": [g["features"] for g in groups],
            "index": index,
            "values": values,
        }
        return self._tables

    def _raw_tables(self, x: np.ndarray, tables: dict, out: np.ndarray) -> None:
        """Raw scores of rows ``x`` (no NaN) into ``out`` (n, n_outputs) by table lookups.

        Leaf values come out tree-major, shape (trees of an output, rows), so one
        ``np.add.reduce`` over axis 0 sums them tree by tree (a running sum across the rows,
        not a pairwise one): the baseline first, then the trees in scikit-learn's order.
        """
        codes = []
        for features in tables["features"]:
            code = np.zeros(x.shape[0], dtype=np.intp)
            for f, thr, n_codes in features:
                code *= n_codes
                code += np.searchsorted(thr, x[:, f], side="left")  # thresholds below the value
            codes.append(code)
        k = self.n_outputs
        n_iter = self.roots.size // k
        values = tables["values"]
        for j in range(k):
            block = slice(j * n_iter, (j + 1) * n_iter)
            first = np.take(tables["index"][0][block], codes[0], axis=1)
            if len(codes) == 1:
                idx = first.astype(np.intp)
            else:  # int32 tables (half the cache), summed straight into intp indices
                idx = np.empty(first.shape, dtype=np.intp)
                np.add(first, np.take(tables["index"][1][block], codes[1], axis=1), out=idx)
                for index, code in zip(tables["index"][2:], codes[2:], strict=True):
                    idx += np.take(index[block], code, axis=1)
            leaf = values.take(idx)
            leaf[0] += self.baseline[j]  # = baseline + first tree (addition commutes exactly)
            _running_sum(leaf, out[:, j])

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
        walk the trees. Rows are taken ``chunk_size`` at a time (default: about 2 MB of leaf
        values per output, so memory stays bounded whatever the batch) and batches of at
        least 2 x 1024 rows are shared between ``n_threads`` threads (default: the usable
        CPUs; numpy releases the GIL in the lookups and sums).
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
            per_row = n_iter if tables is not None else self.roots.size * (self.depth + 2)
            chunk_size = min(8192, max(256, (2 << 20) // (8 * per_row)))
        chunk = whole_number(chunk_size, "chunk_size (rows per chunk)", minimum=1)

        def run(start: int) -> None:
            x = X[start : start + chunk]
            o = out[start : start + chunk]
            if tables is None:
                o[:] = self._raw_walk(x)
                return
            nan_rows = np.isnan(x).any(axis=1)
            if not nan_rows.any():
                self._raw_tables(x, tables, o)
                return
            self._raw_tables(np.where(nan_rows[:, None], 0.0, x), tables, o)
            o[nan_rows] = self._raw_walk(x[nan_rows])  # missing values: each node's direction

        starts = range(0, n, chunk)
        threads = _usable_cpus() if n_threads is None else int(n_threads)
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
        """Regression: predicted values (n,); classification: class probabilities (n, n_classes)."""
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


# --------------------------------------------------------------------------- linear models
def pairwise_basis(Z: Any, out: np.ndarray | None = None) -> np.ndarray:
    """The linear models' inputs: the nine standardised features, one-hot, and pairwise products.

    ``Z`` holds the features in :data:`~spacekit.skopes.hst.cal.features.FEATURES` order after
    :func:`~spacekit.transformer.power.power_standardize` (``n_files`` and ``total_mb``
    transformed, the categorical codes as they are). The base columns are ``n_files``,
    ``total_mb``, ``drizcorr``, ``pctecorr``, ``crsplit == 1``, ``crsplit == 2``, ``subarray``,
    ``detector``, ``dtype`` and ``instr == 1, 2, 3``; the basis is those 12, the squares of the
    two sizes and every product of two different base columns (80 columns). On a log-target
    this makes the prediction a product of per-feature factors with pairwise interactions,
    which extends to combinations of categorical values never seen together in training.
    ``out`` (float64, shape (n, 80)) receives the basis instead of a new array.

    Examples
    --------
    >>> pairwise_basis(np.zeros((2, 9))).shape
    (2, 80)
    """
    Z = np.asarray(Z, dtype=np.float64)
    if Z.ndim != 2 or Z.shape[1] != 9:
        raise InputError(f"expected standardised features of shape (n, 9), got {Z.shape}")
    base = [
        Z[:, 0],
        Z[:, 1],
        Z[:, 2],
        Z[:, 3],
        (Z[:, 4] == 1) * 1.0,
        (Z[:, 4] == 2) * 1.0,
        Z[:, 5],
        Z[:, 6],
        Z[:, 7],
    ] + [(Z[:, 8] == k) * 1.0 for k in (1, 2, 3)]
    if out is None:
        out = np.empty((Z.shape[0], 80))
    k = len(base)
    for c, col in enumerate(base):
        out[:, c] = col
    c = k
    for i in range(k):
        for j in range(i, k):
            if i == j and i >= 2:  # squares of 0/1 columns repeat the column
                continue
            np.multiply(base[i], base[j], out=out[:, c])
            c += 1
    return out


_BASES = {"pairwise": pairwise_basis}
_LINEAR_CHUNK = 8192


class LinearModel:
    """A linear regression on a fixed basis of the standardised features (numpy only).

    ``predict(Z) = link(((basis(Z) - mean) / scale) @ coef + intercept)``.

    Parameters
    ----------
    coef, mean, scale : numpy.ndarray
        Coefficients of the standardised basis columns and the standardisation.
    intercept : float
    basis : str
        Name of the basis function (``pairwise``: :func:`pairwise_basis`).
    link : str
        ``identity`` or ``exp``.
    log_sizes : array of shape (k, 4), optional
        Rows ``(column, lambda, mean, scale)`` of power-standardised columns (see
        :func:`~spacekit.transformer.power.power_standardize`) that enter the basis as
        ``log(1 + x)`` of the original value instead: the Yeo-Johnson transform is undone
        (``log(1 + x) = log(lambda * t + 1) / lambda``, ``t = z * scale + mean``). On a log
        target this makes the model a power law in the sizes, which extrapolates to unseen
        sizes more sensibly.

    Examples
    --------
    >>> m = LinearModel(coef=np.zeros(80), mean=np.zeros(80), scale=np.ones(80), intercept=1.5)
    >>> m.predict(np.zeros((1, 9))).tolist()
    [1.5]
    """

    kind = "linear"

    def __init__(
        self,
        *,
        coef,
        mean,
        scale,
        intercept: float,
        basis: str = "pairwise",
        link: str = "identity",
        log_sizes: Any = None,
    ):
        if basis not in _BASES:
            raise InputError(
                f"unknown linear-model basis {basis!r}; expected one of {sorted(_BASES)}"
            )
        if link not in ("identity", "exp"):
            raise InputError(f"unknown linear-model link {link!r}; expected 'identity' or 'exp'")
        self.coef = np.asarray(coef, dtype=np.float64).reshape(-1)
        self.mean = np.asarray(mean, dtype=np.float64).reshape(-1)
        self.scale = np.asarray(scale, dtype=np.float64).reshape(-1)
        if not self.coef.shape == self.mean.shape == self.scale.shape:
            raise InputError(
                f"linear model: coef {self.coef.shape}, mean {self.mean.shape} and scale "
                f"{self.scale.shape} must have the same length"
            )
        self.intercept = float(intercept)
        self.basis = basis
        self.link = link
        self.log_sizes = (
            None if log_sizes is None else np.asarray(log_sizes, dtype=np.float64).reshape(-1, 4)
        )

    def _inputs(self, Z: Any) -> np.ndarray:
        """``Z`` with the ``log_sizes`` columns replaced by ``log(1 + x)`` of the original sizes."""
        Z = np.asarray(Z, dtype=np.float64)
        if self.log_sizes is None or len(self.log_sizes) == 0:
            return Z
        Z = Z.copy()
        for col, lam, mu, sd in self.log_sizes:
            c = int(col)
            t = Z[:, c] * sd + mu
            Z[:, c] = t if abs(lam) < 1e-12 else np.log(np.maximum(lam * t + 1.0, 1e-300)) / lam
        return Z

    @classmethod
    def fit(
        cls,
        Z: Any,
        y: Any,
        *,
        sample_weight: Any = None,
        alpha: float = 1.0,
        basis: str = "pairwise",
        log_sizes: Any = None,
    ) -> LinearModel:
        """Weighted ridge regression (unpenalised intercept) on the standardised basis of ``Z``.

        Examples
        --------
        >>> Z = np.zeros((4, 9)); Z[:, 1] = [0.0, 1.0, 2.0, 3.0]
        >>> m = LinearModel.fit(Z, 2 * Z[:, 1] + 1, alpha=1e-9)
        >>> bool(np.allclose(m.predict(Z), 2 * Z[:, 1] + 1))
        True
        """
        if basis not in _BASES:
            raise InputError(
                f"unknown linear-model basis {basis!r}; expected one of {sorted(_BASES)}"
            )
        B = _BASES[basis](
            cls(coef=[], mean=[], scale=[], intercept=0.0, log_sizes=log_sizes)._inputs(Z)
        )
        y = np.asarray(y, dtype=np.float64).reshape(-1)
        w = (
            np.ones(len(y))
            if sample_weight is None
            else np.asarray(sample_weight, dtype=np.float64)
        )
        if len(y) != len(B) or len(w) != len(B):
            raise InputError(
                f"linear model: {len(B)} rows of features, {len(y)} targets, {len(w)} weights"
            )
        if np.any(w < 0) or not w.sum() > 0:
            raise InputError("linear model: sample weights must be >= 0 with a positive sum")
        wn = w / w.sum()
        mean = wn @ B
        sd = np.sqrt(wn @ (B - mean) ** 2)
        scale = np.where(sd > 1e-12, sd, 1.0)
        A = (B - mean) / scale
        A[:, sd <= 1e-12] = 0.0  # constant columns carry no information
        ym = float(wn @ y)
        # Minimises sum_i w_i (y_i - yhat_i)^2 + alpha * |coef|^2 (as scikit-learn's Ridge).
        gram = A.T @ (A * w[:, None])
        rhs = A.T @ (w * (y - ym))
        coef = np.linalg.solve(gram + alpha * np.eye(A.shape[1]), rhs)
        coef[sd <= 1e-12] = 0.0
        return cls(
            coef=coef, mean=mean, scale=scale, intercept=ym, basis=basis, log_sizes=log_sizes
        )

    def predict(self, Z: Any) -> np.ndarray:
        """Predicted values (n,).

        ``sum_c ((basis_c - mean_c) / scale_c) * coef_c`` is summed column by column in a
        fixed order (no BLAS product, whose rounding depends on how many rows it is given),
        so a row's prediction is the same bit for bit whatever the batch around it. Rows are
        taken 8192 at a time into one reused basis buffer, so memory stays bounded (the basis
        is 80 float64 columns per row).
        """
        Z = np.asarray(Z, dtype=np.float64)
        if Z.ndim != 2:
            raise InputError(f"expected a 2-D array (rows, features), got shape {Z.shape}")
        out = np.empty(Z.shape[0])
        buf = np.empty((self.coef.size, min(Z.shape[0], _LINEAR_CHUNK)))  # column-major basis
        weights = self.coef[:, None]
        for start in range(0, Z.shape[0], _LINEAR_CHUNK):
            z = Z[start : start + _LINEAR_CHUNK]
            b = buf[:, : z.shape[0]]
            _BASES[self.basis](self._inputs(z), out=b.T)
            b -= self.mean[:, None]
            b /= self.scale[:, None]
            b *= weights
            _running_sum(b, out[start : start + z.shape[0]])
        out += self.intercept
        return np.exp(out, out=out) if self.link == "exp" else out

    def to_arrays(self) -> tuple[dict[str, np.ndarray], dict]:
        arrays = {
            "coef": self.coef,
            "mean": self.mean,
            "scale": self.scale,
            "intercept": np.array([self.intercept]),
        }
        if self.log_sizes is not None:
            arrays["log_sizes"] = self.log_sizes
        return arrays, {"kind": self.kind, "basis": self.basis, "link": self.link}

    @classmethod
    def from_arrays(cls, arrays: dict, spec: dict) -> LinearModel:
        return cls(
            coef=arrays["coef"],
            mean=arrays["mean"],
            scale=arrays["scale"],
            intercept=float(np.asarray(arrays["intercept"]).reshape(-1)[0]),
            basis=spec["basis"],
            link=spec["link"],
            log_sizes=arrays.get("log_sizes"),
        )


class AverageModel:
    """A weighted mean of regressors' predictions (e.g. trees and a linear model on a log target).

    With ``max_deviation`` every member after the first is first clipped to within
    ``max_deviation`` of the first member's prediction (on a log target: a factor of
    ``exp(max_deviation)``), so a member extrapolating wildly on an unseen input moves the
    result by a bounded amount.

    Parameters
    ----------
    members : list
        Exported regressors (:class:`TreeEnsemble`, :class:`LinearModel`, :class:`DenseNetwork`
        with one output).
    weights : sequence of float, optional
        Weight of each member (default equal); they are normalised to sum to 1.
    max_deviation : float, optional
        Bound on each later member's distance from the first member's prediction.

    Examples
    --------
    >>> a = LinearModel(coef=np.zeros(80), mean=np.zeros(80), scale=np.ones(80), intercept=1.0)
    >>> b = LinearModel(coef=np.zeros(80), mean=np.zeros(80), scale=np.ones(80), intercept=3.0)
    >>> AverageModel([a, b]).predict(np.zeros((1, 9))).tolist()
    [2.0]
    """

    kind = "average"

    def __init__(self, members: list, *, weights: Any = None, max_deviation: float | None = None):
        if not members:
            raise InputError("an AverageModel needs at least one member model")
        for m in members:
            if isinstance(m, AverageModel):
                raise InputError("AverageModel members cannot be AverageModels themselves")
        self.members = list(members)
        w = (
            np.ones(len(members))
            if weights is None
            else np.asarray(weights, dtype=np.float64).reshape(-1)
        )
        if len(w) != len(members) or np.any(w < 0) or not w.sum() > 0:
            raise InputError(
                f"AverageModel: expected {len(members)} non-negative weights with a positive sum, "
                f"got {list(w)}"
            )
        self.weights = w / w.sum()
        if max_deviation is not None and not max_deviation > 0:
            raise InputError(
                f"AverageModel: max_deviation must be > 0 or None, got {max_deviation!r}"
            )
        self.max_deviation = None if max_deviation is None else float(max_deviation)

    def predict(self, Z: Any) -> np.ndarray:
        """Weighted mean of the members' (bounded) predictions (n,)."""
        # (n,) or (n, 1) member outputs -> (n,); reshape(len(Z), -1) cannot size an empty batch.
        preds = [
            np.asarray(m.predict(Z), dtype=np.float64).reshape(len(Z), -1)[:, 0]
            if len(Z)
            else np.zeros(0)
            for m in self.members
        ]
        if self.max_deviation is not None:
            d = self.max_deviation
            preds = [preds[0]] + [np.clip(p, preds[0] - d, preds[0] + d) for p in preds[1:]]
        out = np.zeros(len(preds[0]))
        for w, p in zip(self.weights, preds, strict=True):
            out += w * p
        return out

    def to_arrays(self) -> tuple[dict[str, np.ndarray], dict]:
        arrays, specs = {"weights": self.weights}, []
        for i, m in enumerate(self.members):
            a, spec = m.to_arrays()
            arrays.update({f"m{i}__{k}": v for k, v in a.items()})
            specs.append(spec)
        return arrays, {"kind": self.kind, "members": specs, "max_deviation": self.max_deviation}

    @classmethod
    def from_arrays(cls, arrays: dict, spec: dict) -> AverageModel:
        members = []
        for i, sub in enumerate(spec["members"]):
            prefix = f"m{i}__"
            sub_arrays = {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
            if sub.get("kind") not in _KINDS or sub.get("kind") == "average":
                raise ModelLoadError(f"average model member {i}: unknown kind {sub.get('kind')!r}")
            members.append(_KINDS[sub["kind"]].from_arrays(sub_arrays, sub))
        return cls(members, weights=arrays.get("weights"), max_deviation=spec.get("max_deviation"))


_KINDS = {
    "dense": DenseNetwork,
    "trees": TreeEnsemble,
    "linear": LinearModel,
    "average": AverageModel,
}


def save_exported(model: Any, path: str | os.PathLike) -> dict:
    """Write ``model`` to an ``.npz`` file atomically; return its JSON spec (kind, settings)."""
    arrays, spec = model.to_arrays()
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    with atomic_write(Path(path), "wb") as fh:
        fh.write(buf.getvalue())
    return spec


def load_exported(path: str | os.PathLike, spec: dict) -> Any:
    """Read a model written by :func:`save_exported` (no pickles, nothing written)."""
    path = Path(path)
    if spec.get("kind") not in _KINDS:
        raise ModelLoadError(
            f"{path}: unknown model kind {spec.get('kind')!r}; expected {sorted(_KINDS)}"
        )
    try:
        with (
            open(path, "rb") as fh,
            np.load(fh, allow_pickle=False) as data,
        ):  # our handle: np.load leaks its own on a corrupt zip
            arrays = {k: data[k] for k in data.files}
    except FileNotFoundError:
        raise ModelLoadError(
            f"model file {path} is missing; the model folder is incomplete"
        ) from None
    except (
        ValueError,
        OSError,
        EOFError,
        zipfile.BadZipFile,
    ) as exc:  # e.g. cut short while copied
        raise ModelLoadError(
            f"model file {path} is not a valid .npz ({type(exc).__name__}: {exc}); the model "
            "folder is damaged or half-written: copy it again or re-train"
        ) from None
    try:
        return _KINDS[spec["kind"]].from_arrays(arrays, spec)
    except KeyError as exc:
        raise ModelLoadError(
            f"model file {path} lacks array {exc}; re-train or re-export"
        ) from None

"""Dense networks as numpy arrays: a Keras network exported layer by layer, evaluated in float32.

Part of the numpy model export (:mod:`~spacekit.skopes.hst.cal.export`, which saves and loads
every kind): :class:`DenseNetwork` holds (kernel, bias, activation) per layer and reproduces
the Keras network's outputs to float32 rounding (1e-5); :func:`predict_dense` evaluates several
networks on the same rows in one pass, in cache-sized chunks, on threads for large batches.
Nothing here imports TensorFlow: :meth:`DenseNetwork.from_keras` reads the layers' weights.
"""

from __future__ import annotations

import contextlib
import os
import threading
from typing import Any

import numpy as np

from ....exceptions import InputError
from ....utils.checks import whole_number

__all__ = ["DenseNetwork", "predict_dense"]

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
        """Export a Keras model made of Input, Dense and (inactive at inference) Dropout layers.

        Parameters
        ----------
        model : keras.Model
            The fitted network.

        Returns
        -------
        DenseNetwork
            Its weights as numpy arrays.
        """
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

        Parameters
        ----------
        X : array-like
            Input rows, shape (n, n_inputs).
        chunk_size : int
            Rows per chunk.
        n_threads : int, optional
            Threads for large batches (default: the usable CPUs).

        Returns
        -------
        numpy.ndarray
            float32, shape (n, n_outputs).
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

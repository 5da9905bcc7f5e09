"""Balanced mini-batches with augmentation, as a ``keras.utils.PyDataset``."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..exceptions import InputError
from ..utils.checks import whole_number

__all__ = ["BalancedBatches", "batch_maker", "augment_roll", "augment_flip"]

log = logging.getLogger(__name__)

_PYDATASET_CLASSES: dict[type, type] = {}


def augment_roll(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Roll each series circularly along its time axis (axis 1) by a random shift.

    Parameters
    ----------
    x : ndarray
        A batch of series, shape ``(n, timesteps)`` or ``(n, timesteps, channels)``.
    rng : numpy.random.Generator
        Source of the shifts.

    Returns
    -------
    ndarray
        A new array of the same shape; every channel of one series moves by the same shift.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(8.0).reshape(2, 4)
    >>> out = augment_roll(x, np.random.default_rng(0))
    >>> sorted(out[0]) == sorted(x[0])
    True
    """
    x = np.asarray(x)
    n, t = x.shape[0], x.shape[1]
    shifts = rng.integers(0, t, size=n)
    out = np.empty_like(x)
    for i, k in enumerate(shifts.tolist()):  # two slice copies per row: much faster than
        out[i, k:] = x[i, : t - k]  # a fancy-indexed gather on long series
        out[i, :k] = x[i, t - k :]
    return out


def augment_flip(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Randomly flip images left-right and up-down and rotate them by multiples of 90°.

    Works on ``(n, height, width, channels)`` images and ``(n, frames, height, width,
    channels)`` stacks (all frames of one sample get the same transform). Rotations are used
    only for square images, so shapes never change.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(2 * 4 * 4 * 1.0).reshape(2, 4, 4, 1)
    >>> augment_flip(x, np.random.default_rng(0)).shape
    (2, 4, 4, 1)
    """
    x = np.array(x, copy=True)
    if x.ndim not in (4, 5):
        raise InputError(
            f"image augmentation expects (n, h, w, c) or (n, frames, h, w, c), got shape {x.shape}"
        )
    h_ax, w_ax = x.ndim - 4, x.ndim - 3  # height and width axes of one sample
    square = x.shape[-3] == x.shape[-2]
    for i in range(x.shape[0]):
        s = x[i]
        if rng.random() < 0.5:
            s = np.flip(s, axis=w_ax)
        if rng.random() < 0.5:
            s = np.flip(s, axis=h_ax)
        if square:
            k = int(rng.integers(0, 4))
            if k:
                s = np.rot90(s, k=k, axes=(h_ax, w_ax))
        x[i] = s
    return x


def _default_augment(arr: np.ndarray, kind: Any, multi: bool):
    """Choose the augmentation for one input array."""
    if kind in (None, False):
        return None
    if callable(kind):
        return kind
    if kind == "roll":
        return augment_roll if arr.ndim in (2, 3) else None
    if kind == "flip":
        return augment_flip if arr.ndim in (4, 5) else None
    if kind is True:
        if arr.ndim == 3 or (arr.ndim == 2 and not multi):
            return augment_roll
        if arr.ndim in (4, 5):
            return augment_flip
        return None
    raise InputError(
        f"augment must be None, True, 'roll', 'flip' or a callable(batch, rng), got {kind!r}"
    )


class BalancedBatches:
    """Mini-batches with (nearly) equal numbers of samples of each class, optionally augmented.

    An instance is a ``keras.utils.PyDataset`` (the Keras base class is mixed in when the
    first instance is created, so importing spacekit does not import Keras); pass it to
    ``model.fit`` directly, or use :class:`Trainer` with ``balanced=True``.

    Every batch draws ``batch_size // n_classes`` samples of each class (the remainder goes
    to randomly chosen classes). Within an epoch each class is walked in a shuffled order and
    restarted when exhausted, so minority samples are repeated and majority samples are
    covered in turn. Batches are deterministic given ``seed``, the epoch and the batch index,
    whatever order Keras asks for them in.

    Parameters
    ----------
    x : ndarray or sequence of ndarrays
        Inputs, first axis = samples. A list (e.g. ``[tabular, images]``) feeds a
        multi-input model.
    y : array-like
        Labels: integers (``(n,)`` or ``(n, 1)``) or one-hot ``(n, n_classes)``.
    batch_size : int
        Samples per batch (at least the number of classes).
    augment : None, True, "roll", "flip" or callable
        ``"roll"``: random circular shift along time for series ``(n, t)``/``(n, t, c)``;
        ``"flip"``: random flips and 90° rotations for images ``(n, h, w, c)`` or stacks
        ``(n, frames, h, w, c)``; ``True``: pick per input by its number of dimensions
        (2-D tabular inputs of a multi-input model are never augmented); a callable
        ``f(batch, rng) -> batch`` is applied to every input array.
    seed : int, optional
        Seed of the sampling and augmentation.
    steps_per_epoch : int, optional
        Batches per epoch; default ``n_samples // batch_size`` (at least 1).
    **kwargs
        Passed to ``keras.utils.PyDataset`` (``workers``, ``use_multiprocessing``,
        ``max_queue_size``).

    Notes
    -----
    The seed's ``fit_cnn`` passed ``steps_per_epoch = X_train.shape[1] // batch_size`` to
    Keras: the number of *timesteps* (3197) rather than of *samples*, so an "epoch" had
    nothing to do with the size of the training set. Here the default is
    ``n_samples // batch_size``. A subclass created for Keras is made on the fly, so use
    threads (``workers``), not ``use_multiprocessing=True``.

    Examples
    --------
    >>> import numpy as np
    >>> from spacekit.builder import BalancedBatches
    >>> x = np.random.default_rng(0).normal(size=(100, 50, 1))
    >>> y = np.r_[np.ones(10), np.zeros(90)]
    >>> batches = BalancedBatches(x, y, batch_size=20, augment="roll", seed=1)
    >>> len(batches)
    5
    >>> xb, yb = batches[0]
    >>> int(yb.sum()), xb.shape
    (10, (20, 50, 1))
    """

    def __new__(cls, *args: Any, **kwargs: Any):
        from ..utils.deps import import_keras

        keras = import_keras()

        base = keras.utils.PyDataset
        if not issubclass(cls, base):
            mixed = _PYDATASET_CLASSES.get(cls)
            if mixed is None:
                mixed = type(
                    cls.__name__,
                    (cls, base),
                    {"__module__": cls.__module__, "__qualname__": cls.__qualname__},
                )
                _PYDATASET_CLASSES[cls] = mixed
            cls = mixed
        return object.__new__(cls)

    def __init__(
        self,
        x: np.ndarray | Sequence[np.ndarray],
        y: Any,
        *,
        batch_size: int = 32,
        augment: bool | str | Callable | None = None,
        seed: int | None = None,
        steps_per_epoch: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.multi_input = isinstance(x, (list, tuple))
        xs = [np.asarray(a) for a in (x if self.multi_input else [x])]
        y = np.asarray(y)
        n = len(y)
        for i, a in enumerate(xs):
            where = f"x[{i}]" if self.multi_input else "x"
            if a.ndim < 2 or len(a) != n:
                raise InputError(
                    f"{where} must be an array with one row per "
                    f"label ({n} labels), got shape {a.shape}"
                )
            if a.dtype.kind not in "biuf":
                raise InputError(
                    f"{where} must hold numbers, found dtype {a.dtype}; convert or encode it "
                    "first (np.asarray(x, dtype='float32'))"
                )
        if y.ndim == 2 and y.shape[1] > 1:
            labels = y.argmax(axis=1)
        elif y.ndim <= 2:
            labels = y.reshape(n)
        else:
            raise InputError(f"y must be (n,), (n, 1) or one-hot (n, k), got shape {y.shape}")
        if labels.dtype.kind == "f" and np.isnan(labels).any():
            raise InputError(
                f"y has {int(np.isnan(labels).sum())} missing (NaN) label(s); drop those rows "
                "first: every sample needs a class"
            )
        self.classes_, codes = np.unique(labels, return_inverse=True)
        if len(self.classes_) < 2:
            raise InputError(
                f"balanced batches need at least two classes in y, found only {self.classes_.tolist()}"
            )
        batch_size = whole_number(batch_size, "batch_size")
        if batch_size < len(self.classes_):
            raise InputError(
                f"batch_size ({batch_size}) must be at least the number of classes "
                f"({len(self.classes_)}) so every batch can hold each class"
            )
        self.x = xs
        self.y = y
        self.batch_size = batch_size
        self.seed = seed
        self.augment = augment
        self._augmenters = [_default_augment(a, augment, self.multi_input) for a in xs]
        self._by_class = [np.flatnonzero(codes == k) for k in range(len(self.classes_))]
        self.n_samples = n
        if steps_per_epoch is None:
            steps_per_epoch = max(1, n // batch_size)
        steps_per_epoch = whole_number(steps_per_epoch, "steps_per_epoch", minimum=1)
        self.steps_per_epoch = steps_per_epoch
        self.epoch = 0
        self._base_seed = (
            whole_number(seed, "seed", minimum=0)
            if seed is not None
            else int(np.random.SeedSequence().entropy % (2**63))
        )
        self._orders: list[np.ndarray] | None = None

    # -- sampling -----------------------------------------------------------
    def _epoch_orders(self) -> list[np.ndarray]:
        """Per-class index streams for the current epoch, long enough for every batch."""
        if self._orders is None:
            rng = np.random.default_rng([self._base_seed, self.epoch, 0])
            need = self.steps_per_epoch * (self.batch_size // len(self.classes_) + 1)
            orders = []
            for idx in self._by_class:
                reps = -(-need // len(idx))
                orders.append(np.concatenate([rng.permutation(idx) for _ in range(reps)]))
            self._orders = orders
        return self._orders

    def batch_indices(self, index: int) -> np.ndarray:
        """Row indices of batch ``index`` of the current epoch (balanced, shuffled)."""
        if not 0 <= index < self.steps_per_epoch:
            raise IndexError(f"batch index {index} out of range 0..{self.steps_per_epoch - 1}")
        k = len(self.classes_)
        per, extra = divmod(self.batch_size, k)
        orders = self._epoch_orders()
        rng = np.random.default_rng([self._base_seed, self.epoch, 1, index])
        counts = np.full(k, per)
        if extra:
            counts[rng.choice(k, size=extra, replace=False)] += 1
        chosen = [orders[c][index * (per + 1) : index * (per + 1) + counts[c]] for c in range(k)]
        rows = np.concatenate(chosen)
        return rng.permutation(rows)

    def __len__(self) -> int:
        return self.steps_per_epoch

    def __getitem__(self, index: int):
        rows = self.batch_indices(int(index))
        rng = np.random.default_rng([self._base_seed, self.epoch, 2, int(index)])
        xs = []
        for a, aug in zip(self.x, self._augmenters, strict=True):
            b = a[rows]
            if aug is not None:
                b = aug(b, rng)
            xs.append(b)
        xb = tuple(xs) if self.multi_input else xs[0]
        return xb, self.y[rows]

    def on_epoch_end(self) -> None:
        """Advance to the next epoch's sampling order (called by Keras)."""
        self.epoch += 1
        self._orders = None

    def __repr__(self) -> str:
        return (
            f"BalancedBatches(n_samples={self.n_samples}, classes={self.classes_.tolist()}, "
            f"batch_size={self.batch_size}, steps_per_epoch={self.steps_per_epoch}, "
            f"augment={self.augment!r}, seed={self.seed!r})"
        )


def batch_maker(
    X_train: np.ndarray,
    y_train: Any,
    batch_size: int = 32,
    *,
    augment: bool | str | Callable | None = "roll",
    seed: int | None = None,
    steps_per_epoch: int | None = None,
) -> BalancedBatches:
    """Seed name of :class:`BalancedBatches`: half-positive, half-negative batches of series
    with a random circular roll along time.

    The calling convention ``batch_maker(X_train, y_train, batch_size)`` is kept. What
    changed from 2020: it returns a ``keras.utils.PyDataset`` (pass it to ``model.fit``
    without ``steps_per_epoch``) instead of an endless generator, and its length — the steps
    per epoch — is ``n_samples // batch_size``. The seed's ``fit_cnn`` computed the steps as
    ``X_train.shape[1] // batch_size``, i.e. from the number of *timesteps* (3197) rather than
    the number of *samples*, so an "epoch" was unrelated to the size of the training set.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=(64, 100, 2))
    >>> y = np.r_[np.ones(8), np.zeros(56)]
    >>> batches = batch_maker(x, y, 16, seed=0)
    >>> len(batches), int(batches[0][1].sum())
    (4, 8)
    """
    return BalancedBatches(
        X_train,
        y_train,
        batch_size=batch_size,
        augment=augment,
        seed=seed,
        steps_per_epoch=steps_per_epoch,
    )

"""Balanced mini-batches with augmentation, as a ``keras.utils.PyDataset``."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..exceptions import InputError
from ..utils.checks import whole_number

__all__ = [
    "BalancedBatches",
    "batch_maker",
    "augment_roll",
    "augment_flip",
    "augment_color_jitter",
    "augment_gaussian_noise",
    "augment_laplace_noise",
    "augment_logistic_noise",
    "AUGMENT_KINDS",
]

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

    Parameters
    ----------
    x : numpy.ndarray
        A batch, first axis = samples.
    rng : numpy.random.Generator
        Source of the randomness.

    Returns
    -------
    numpy.ndarray
        The augmented batch, the shape of ``x``.

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


def _image_batch(x: Any, what: str) -> np.ndarray:
    x = np.array(x, dtype=np.result_type(np.asarray(x).dtype, np.float32), copy=True)
    if x.ndim not in (4, 5):
        raise InputError(
            f"{what} expects images (n, h, w, c) or stacks (n, frames, h, w, c), got shape "
            f"{x.shape}"
        )
    return x


def augment_color_jitter(
    x: np.ndarray,
    rng: np.random.Generator,
    *,
    brightness: float = 0.4,
    contrast: float = 0.4,
    saturation: float = 0.4,
    value_range: tuple[float, float] | None = None,
) -> np.ndarray:
    """Randomly change the brightness, contrast and saturation of each image, then clip.

    Upstream spacekit's generator applied the same three changes (through TensorFlow's
    ``random_brightness``/``random_contrast``/``random_saturation``, at 0.8 times the given
    strengths) to the SVM image stacks; this is a NumPy version driven by ``rng``, so balanced
    batches stay reproducible. For each sample (all frames of a stack alike):

    - brightness: add ``d * (hi - lo)`` with ``d`` uniform in ``±0.8 * brightness``;
    - contrast: scale the distance from each frame's per-channel mean by a factor uniform in
      ``1 ± 0.8 * contrast``;
    - saturation (3-channel images only): scale the distance from the grey value (mean of
      the channels) by a factor uniform in ``1 ± 0.8 * saturation``;
    - clip to ``value_range``.

    Parameters
    ----------
    x : ndarray
        Images ``(n, h, w, c)`` or stacks ``(n, frames, h, w, c)``.
    rng : numpy.random.Generator
        Source of the random factors.
    brightness, contrast, saturation : float
        Strengths (0 turns a change off).
    value_range : (float, float), optional
        Valid pixel range ``(lo, hi)``; default ``(0, 1)`` when every value of the batch lies
        in it (scaled images, as the SVM ensemble trains on), else ``(0, 255)``.

    Returns
    -------
    ndarray
        A new float array of the same shape.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.full((2, 4, 4, 3), 0.5)
    >>> out = augment_color_jitter(x, np.random.default_rng(0))
    >>> out.shape, bool(out.min() >= 0.0 and out.max() <= 1.0), bool((out != x).any())
    ((2, 4, 4, 3), True, True)
    """
    x = _image_batch(x, "augment_color_jitter")
    for name, v in (("brightness", brightness), ("contrast", contrast), ("saturation", saturation)):
        if not (np.isfinite(v) and 0 <= v <= 1.25):
            raise InputError(f"{name} must be a strength in [0, 1.25], got {v!r}")
    if value_range is None:
        value_range = (0.0, 1.0) if x.size and x.min() >= 0 and x.max() <= 1 else (0.0, 255.0)
    lo, hi = (float(v) for v in value_range)
    if not hi > lo:
        raise InputError(f"value_range must be (low, high) with high > low, got {value_range!r}")
    n, dtype = x.shape[0], x.dtype
    spatial = tuple(range(x.ndim - 3, x.ndim - 1))  # height and width of one sample
    bright = rng.uniform(-0.8 * brightness, 0.8 * brightness, n) * (hi - lo)
    contr = rng.uniform(1 - 0.8 * contrast, 1 + 0.8 * contrast, n)
    sat = rng.uniform(1 - 0.8 * saturation, 1 + 0.8 * saturation, n)
    shape = (n,) + (1,) * (x.ndim - 1)
    x += bright.reshape(shape)
    mean = x.mean(axis=spatial, keepdims=True)
    x = mean + (x - mean) * contr.reshape(shape)
    if x.shape[-1] == 3 and saturation > 0:
        grey = x.mean(axis=-1, keepdims=True)
        x = grey + (x - grey) * sat.reshape(shape)
    return np.clip(x, lo, hi).astype(dtype, copy=False)


def _add_noise(x: Any, rng: np.random.Generator, scale: float, p: float, what: str, draw):
    """``x`` plus ``draw(scale, shape)`` on the samples chosen with probability ``p``."""
    x = np.array(x, dtype=np.result_type(np.asarray(x).dtype, np.float32), copy=True)
    if x.ndim < 1:
        raise InputError(f"{what} expects a batch (first axis = samples), got a scalar")
    if not (np.isfinite(scale) and scale >= 0):
        raise InputError(f"{what}: scale must be a finite number >= 0, got {scale!r}")
    if not 0 <= p <= 1:
        raise InputError(
            f"{what}: p (the share of samples that get noise) must be in [0, 1], got {p!r}"
        )
    chosen = rng.random(x.shape[0]) < p
    noise = draw(scale, x.shape).astype(x.dtype)
    x += noise * chosen.reshape((-1,) + (1,) * (x.ndim - 1))
    return x


def augment_gaussian_noise(
    x: np.ndarray, rng: np.random.Generator, *, scale: float = 0.05, p: float = 1.0
) -> np.ndarray:
    """Add zero-mean Gaussian noise of standard deviation ``scale`` to a share ``p`` of the
    samples (any shape; first axis = samples).

    Parameters
    ----------
    x : numpy.ndarray
        A batch, first axis = samples.
    rng : numpy.random.Generator
        Source of the randomness.
    scale : float
        Standard deviation of the noise.
    p : float
        Probability that a sample gets noise.

    Returns
    -------
    numpy.ndarray
        The augmented batch, the shape of ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> out = augment_gaussian_noise(np.zeros((1000, 3)), np.random.default_rng(0), scale=0.1)
    >>> round(float(out.std()), 2)
    0.1
    """
    return _add_noise(x, rng, scale, p, "augment_gaussian_noise", lambda s, n: rng.normal(0, s, n))


def augment_laplace_noise(
    x: np.ndarray, rng: np.random.Generator, *, scale: float = 0.05, p: float = 0.8
) -> np.ndarray:
    """Add Laplace (double-exponential) noise of scale ``scale`` to a share ``p`` of the
    samples: heavier tails than Gaussian noise of the same width.

    Upstream spacekit's generator drew ``numpy.random.laplace(x)`` (location ``x``, scale 1,
    from the global random state) for each tabular SVM feature with probability 0.8; here the
    noise is added to standardised inputs at a chosen scale, from the batch's seeded ``rng``.

    Parameters
    ----------
    x : ndarray
        A batch, first axis = samples (tables ``(n, features)``, series or images).
    rng : numpy.random.Generator
        Source of the noise.
    scale : float
        Scale ``b`` of the Laplace distribution (standard deviation ``sqrt(2) * b``).
    p : float
        Probability that a sample gets noise.

    Returns
    -------
    numpy.ndarray
        The augmented batch, the shape of ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> out = augment_laplace_noise(np.zeros((4, 3)), np.random.default_rng(0), p=1.0)
    >>> bool((out != 0).all())
    True
    """
    return _add_noise(x, rng, scale, p, "augment_laplace_noise", lambda s, n: rng.laplace(0, s, n))


def augment_logistic_noise(
    x: np.ndarray, rng: np.random.Generator, *, scale: float = 0.05, p: float = 0.8
) -> np.ndarray:
    """Add logistic noise of scale ``scale`` to a share ``p`` of the samples (standard
    deviation ``scale * pi / sqrt(3)``; tails between Gaussian and Laplace).

    Upstream's generator drew ``numpy.random.logistic(x)`` per tabular feature with
    probability 0.8; see :func:`augment_laplace_noise` for what changed.

    Parameters
    ----------
    x : numpy.ndarray
        A batch, first axis = samples.
    rng : numpy.random.Generator
        Source of the randomness.
    scale : float
        Scale of the logistic distribution.
    p : float
        Probability that a sample gets noise.

    Returns
    -------
    numpy.ndarray
        The augmented batch, the shape of ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> out = augment_logistic_noise(np.zeros((2000, 1)), rng, scale=0.1, p=0.5)
    >>> round(float((out != 0).mean()), 1)
    0.5
    """
    return _add_noise(
        x, rng, scale, p, "augment_logistic_noise", lambda s, n: rng.logistic(0, s, n)
    )


#: Augmentation names :class:`BalancedBatches` takes (alone or in a list), with the inputs
#: each applies to: ``"roll"`` series ``(n, t)``/``(n, t, c)``; ``"flip"`` (flips and 90°
#: rotations) and ``"jitter"`` (colour jitter) images and image stacks; ``"gaussian"``,
#: ``"laplace"`` and ``"logistic"`` noise every input.
AUGMENT_KINDS: dict[str, tuple[Callable, tuple[int, ...] | None]] = {
    "roll": (augment_roll, (2, 3)),
    "flip": (augment_flip, (4, 5)),
    "jitter": (augment_color_jitter, (4, 5)),
    "gaussian": (augment_gaussian_noise, None),
    "laplace": (augment_laplace_noise, None),
    "logistic": (augment_logistic_noise, None),
}


def _compose(funcs: list[Callable]) -> Callable:
    def augment(batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        for f in funcs:
            batch = f(batch, rng)
        return batch

    return augment


def _default_augment(arr: np.ndarray, kind: Any, multi: bool):
    """Choose the augmentation for one input array."""
    if kind in (None, False):
        return None
    if callable(kind):
        return kind
    if kind is True:
        if arr.ndim == 3 or (arr.ndim == 2 and not multi):
            return augment_roll
        if arr.ndim in (4, 5):
            return augment_flip
        return None
    kinds = list(kind) if isinstance(kind, (list, tuple)) else [kind]
    funcs = []
    for k in kinds:
        if callable(k):
            funcs.append(k)
            continue
        if not isinstance(k, str) or k not in AUGMENT_KINDS:
            raise InputError(
                "augment must be None, True, one of "
                f"{sorted(AUGMENT_KINDS)}, a callable(batch, rng), or a list of those; got "
                f"{kind!r}"
            )
        func, ndims = AUGMENT_KINDS[k]
        if ndims is None or arr.ndim in ndims:
            funcs.append(func)
    if not funcs:
        return None
    return funcs[0] if len(funcs) == 1 else _compose(funcs)


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
    augment : None, True, str, callable, or a list of str and callables
        ``"roll"``: random circular shift along time for series ``(n, t)``/``(n, t, c)``;
        ``"flip"``: random flips and 90° rotations for images ``(n, h, w, c)`` or stacks
        ``(n, frames, h, w, c)``; ``"jitter"``: colour jitter of images
        (:func:`augment_color_jitter`); ``"gaussian"``, ``"laplace"``, ``"logistic"``: noise
        on every input (:func:`augment_laplace_noise` …; standardise features first);
        ``True``: pick per input by its number of dimensions (2-D tabular inputs of a
        multi-input model are never augmented); a callable ``f(batch, rng) -> batch`` is
        applied to every input array. A list applies its items in order, each to the inputs
        it suits, e.g. ``["flip", "jitter", "laplace"]`` for ``[tabular, images]``: flips and
        jitter on the images, Laplace noise on both. Every draw comes from the batch's seeded
        generator, so batches are the same for the same ``seed``, epoch and index.
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
                "balanced batches need at least two classes in y, found only "
                f"{self.classes_.tolist()}"
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
        """Row indices of batch ``index`` of the current epoch (balanced, shuffled).

        Parameters
        ----------
        index : int
            The batch number within the epoch.

        Returns
        -------
        numpy.ndarray of int
            The rows, ``batch_size`` of them.
        """
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


# __new__(*args, **kwargs), where the Keras base class is mixed in, hides __init__'s signature
# from help() and the docs: state it on the class.
_init_signature = inspect.signature(BalancedBatches.__init__)
BalancedBatches.__signature__ = _init_signature.replace(
    parameters=list(_init_signature.parameters.values())[1:]
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

    Parameters
    ----------
    X_train : numpy.ndarray
        Training series, first axis = samples.
    y_train : array-like
        Their labels.
    batch_size : int
        Samples per batch.
    augment : bool, str or callable, optional
        As for :class:`BalancedBatches` (default ``"roll"``, the seed's random circular roll).
    seed : int, optional
        Seed of the batches.
    steps_per_epoch : int, optional
        Batches per epoch (default ``n_samples // batch_size``).

    Returns
    -------
    BalancedBatches
        The batches.

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

"""Compile and fit Keras models reproducibly.

:class:`Trainer`, :func:`fit_cnn`, :func:`set_seed`.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..exceptions import InputError
from ..utils.checks import seed_number, whole_number

__all__ = ["Trainer", "fit_cnn", "predict_batches", "set_seed"]

log = logging.getLogger(__name__)


def set_seed(seed: int, *, deterministic: bool = False) -> None:
    """Seed Python's, NumPy's and the Keras backend's random generators.

    Parameters
    ----------
    seed : int
        The seed.
    deterministic : bool
        Also ask TensorFlow for deterministic kernels
        (``tf.config.experimental.enable_op_determinism``); slower, and only needed for ops
        that are not deterministic by default (some GPU kernels).

    Examples
    --------
    >>> from spacekit.builder import set_seed
    >>> set_seed(42)
    """
    from ..utils.deps import import_keras

    keras = import_keras()

    seed = seed_number(seed)
    keras.utils.set_random_seed(seed)
    if deterministic:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


def _n_samples(x: Any) -> int:
    if isinstance(x, (list, tuple)):
        return len(x[0])
    if isinstance(x, dict):
        return len(next(iter(x.values())))
    return len(x)


def _check_labels(y: Any, what: str) -> np.ndarray:
    """Labels as a numeric array; text labels are refused with the way to encode them."""
    labels = np.asarray(y)
    if labels.dtype.kind in "OUS":
        try:
            return labels.astype(float)
        except (TypeError, ValueError):
            names = sorted(map(str, np.unique(labels.astype(str))))[:10]
            raise InputError(
                f"{what} holds text labels {names}; Keras needs numbers: encode them, e.g. "
                "classes, codes = np.unique(y, return_inverse=True), and train on codes "
                "(keep classes to name the predictions)"
            ) from None
    return labels


def _model_input_specs(model: Any) -> list[tuple[str, tuple]] | None:
    """``[(name, shape without the batch axis)]`` of the model's inputs (None if unknown)."""
    try:
        inputs = list(model.inputs)
    except (AttributeError, ValueError, TypeError):  # a Sequential that was never built
        return None
    specs = []
    for t in inputs:
        shape = tuple(None if d is None else int(d) for d in tuple(t.shape)[1:])
        name = str(getattr(t, "name", "") or "")
        specs.append((name, shape))
    return specs or None


def _shape_text(shape: tuple) -> str:
    return "(n, " + ", ".join("any" if d is None else str(d) for d in shape) + ")"


def _check_inputs(model: Any, x: Any, what: str = "x", *, finite: bool = False) -> Any:
    """Check ``x`` against the model's inputs before Keras sees it; return it as arrays.

    Refuses (with an :class:`InputError` naming the input, the expected and the found shape)
    a wrong number of inputs, text or object arrays, a wrong number of dimensions or
    features, arrays of different lengths and, with ``finite=True``, NaN or infinite values.
    """
    specs = _model_input_specs(model)
    n_in = len(specs) if specs else None
    keyed = isinstance(x, dict)
    # a list is several inputs, unless the model has one input and it is a list of rows
    multi = isinstance(x, (list, tuple)) and (
        n_in is None or n_in > 1 or (len(x) == 1 and np.ndim(x[0]) >= 2)
    )
    if keyed:
        items = [(str(k), np.asarray(v)) for k, v in x.items()]
    elif multi:
        items = [(f"{what}[{i}]", np.asarray(v)) for i, v in enumerate(x)]
    else:
        items = [(what, np.asarray(x))]
    if specs is not None and not keyed and len(items) != n_in:
        names = [n for n, _ in specs]
        raise InputError(
            f"the model takes {n_in} input(s) {names}, but {what} holds {len(items)} array(s); "
            f"pass a list of {n_in} arrays in that order (or a dict keyed by input name)"
        )
    for i, (label, arr) in enumerate(items):
        _check_input_array(label, arr, items[0] if i else None)
        if specs is not None:
            if keyed:
                match = [s for n, s in specs if n == label]
                input_name, expected = label, (match[0] if match else None)
            else:
                input_name, expected = specs[i]
            _check_input_shape(label, arr, input_name, expected)
        if finite:
            _check_finite_input(label, arr)
    if n_in == 1 and len(items) == 1:  # [x] or {"name": x} for a one-input model: x itself
        return items[0][1]
    if keyed:
        return dict(items)
    if multi:
        return [a for _, a in items]
    return items[0][1]


def _check_input_array(label: str, arr: np.ndarray, first: tuple[str, np.ndarray] | None) -> None:
    """Refuse a non-numeric or scalar input, or one with other rows than the ``first`` input."""
    if arr.dtype.kind not in "biuf":
        raise InputError(
            f"{label} must hold numbers, found dtype {arr.dtype} (e.g. "
            f"{arr.ravel()[:3].tolist()}); convert or encode it first (np.asarray(x, "
            "dtype='float32'), pd.to_numeric)"
        )
    if arr.ndim == 0:
        raise InputError(f"{label} must be an array with one row per sample, got a scalar")
    if first is not None and len(arr) != len(first[1]):
        raise InputError(
            f"{label} has {len(arr)} rows but {first[0]} has {len(first[1])}: every input "
            "needs one row per sample"
        )


def _check_input_shape(label: str, arr: np.ndarray, input_name: str, expected: Any) -> None:
    """Refuse an input whose shape differs from the model input's ``expected`` (with a hint)."""
    if expected is not None and (
        arr.ndim != len(expected) + 1
        or any(e is not None and e != d for e, d in zip(expected, arr.shape[1:], strict=False))
    ):
        raise InputError(
            f"{label} has shape {arr.shape}, but the model input {input_name!r} expects "
            f"{_shape_text(expected)}{_shape_hint(arr, expected)}; pass data shaped like the "
            "model's input, or build the model for this data's shape"
        )


def _shape_hint(arr: np.ndarray, expected: tuple) -> str:
    """A missing channel or sample axis, when that is what is wrong with ``arr``'s shape."""
    if (
        arr.ndim == len(expected)
        and expected[-1] == 1
        and all(e is None or e == d for e, d in zip(expected[:-1], arr.shape[1:], strict=True))
    ):
        return " (add the channel axis: x[..., None])"
    if arr.ndim == len(expected) and all(
        e is None or e == d for e, d in zip(expected, arr.shape, strict=True)
    ):
        return " (one sample? add the sample axis: x[None, ...])"
    return ""


def _check_finite_input(label: str, arr: np.ndarray) -> None:
    """Refuse a float input with NaN or infinite values (they turn every weight into NaN)."""
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        bad = ~np.isfinite(arr.reshape(len(arr), -1)).all(axis=1)
        raise InputError(
            f"{label} has NaN or infinite values in {int(bad.sum())} of {len(arr)} rows "
            f"(first row {int(np.flatnonzero(bad)[0])}); one such value turns every weight "
            "into NaN: drop or impute those rows first"
        )


def _check_targets(model: Any, labels: np.ndarray, loss: Any, what: str = "y") -> None:
    """Refuse labels whose columns cannot match the model's single output."""
    if labels.dtype.kind == "f" and not np.isfinite(labels).all():
        raise InputError(
            f"{what} has {int((~np.isfinite(labels)).sum())} NaN or infinite value(s); every "
            "sample needs a label or target: drop those rows first"
        )
    try:
        outputs = list(model.outputs)
    except (AttributeError, ValueError, TypeError):
        return
    if len(outputs) != 1 or len(tuple(outputs[0].shape)) != 2:
        return
    units = tuple(outputs[0].shape)[-1]
    if units is None:
        return
    units = int(units)
    loss_name = str(loss).lower()
    if labels.ndim == 2 and labels.shape[1] not in (1, units):
        raise InputError(
            f"{what} has {labels.shape[1]} columns but the model has {units} output unit(s); "
            + (
                "for a one-unit sigmoid output pass 0/1 labels of shape (n,), e.g. y.argmax(axis=1)"
                if units == 1
                else f"pass (n,) class codes or one-hot (n, {units}) labels"
            )
        )
    if labels.ndim == 1 and units > 1 and loss_name == "categorical_crossentropy":
        raise InputError(
            f"{what} holds class codes of shape (n,), but categorical_crossentropy needs one-hot "
            f"labels of shape (n, {units}); use loss='sparse_categorical_crossentropy' or "
            f"one-hot encode y (np.eye({units})[y])"
        )


class _ProgressCallback:
    """A tqdm bar over epochs showing the latest metrics (built lazily, keras imported)."""

    @staticmethod
    def make(epochs: int, enabled: bool):
        from ..utils.deps import import_keras

        keras = import_keras()

        from ..utils.progress import progress

        class _Bar(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                self.bar = progress(total=epochs, desc="training", unit="epoch", enabled=enabled)

            def on_epoch_end(self, epoch, logs=None):
                if logs:
                    self.bar.set_postfix(
                        {k: f"{v:.4g}" for k, v in logs.items() if isinstance(v, (int, float))}
                    )
                self.bar.update(1)

            def on_train_end(self, logs=None):
                bar = self.bar
                done = bar.n
                if not bar.disable and 0 < done < epochs:
                    # Stopped early (EarlyStopping, or model.stop_training): a bar left at
                    # "16% 13/80" reads as a crash (a notebook bar turns red), so the bar ends
                    # full at the epochs run and says why, keeping its elapsed time.
                    start = bar.start_t
                    bar.reset(total=done)
                    bar.start_t = start
                    bar.set_description_str(
                        f"training (stopped early after {done} of {epochs} epochs)",
                        refresh=False,
                    )
                    bar.update(done)
                bar.close()

        return _Bar()


def _atomic_checkpoint(folder: Path, monitor: str):
    """A callback saving the best model so far as ``folder/best.keras``, atomically, with
    ``folder/best.json`` naming the epoch and the monitored value."""
    from ..utils.deps import import_keras

    keras = import_keras()

    from ..utils.files import atomic_path
    from ..utils.runs import write_json

    folder.mkdir(parents=True, exist_ok=True)

    class _Checkpoint(keras.callbacks.Callback):
        best = float("inf")

        def on_epoch_end(self, epoch, logs=None):
            value = (logs or {}).get(monitor)
            if value is None or not float(value) < self.best:
                return
            self.best = float(value)
            with atomic_path(folder / "best.keras") as tmp:
                self.model.save(tmp)
            write_json(
                folder / "best.json", {"epoch": epoch + 1, "monitor": monitor, "value": self.best}
            )

    return _Checkpoint()


class Trainer:
    """Compile and fit a Keras model with the usual options in one place.

    Parameters
    ----------
    loss : str or keras loss
        E.g. ``"binary_crossentropy"``, ``"sparse_categorical_crossentropy"``, ``"mse"``.
    optimizer : str or keras.optimizers.Optimizer
        An optimizer name (built with ``learning_rate``) or instance.
    learning_rate : float
        Initial learning rate when ``optimizer`` is a name.
    metrics : sequence, optional
        Keras metrics; default ``["accuracy"]`` for cross-entropy losses, none otherwise.
    epochs : int
        Maximum number of epochs.
    batch_size : int
        Samples per batch.
    early_stopping : None, int, True or dict
        Stop when the monitored loss stops improving: an int is the patience, ``True`` means
        patience 5, a dict is passed to ``keras.callbacks.EarlyStopping``. Best weights are
        restored. The monitor is ``val_loss`` when there is validation data, else ``loss``.
    checkpoint_dir : path, optional
        Save the best model so far (lowest monitored loss) as ``<checkpoint_dir>/best.keras``
        after each epoch, atomically, with ``best.json`` giving its epoch and loss.
    lr_schedule : None, callable, "plateau", dict or keras LearningRateSchedule
        A callable ``f(epoch, lr) -> lr`` (``LearningRateScheduler``); ``"plateau"`` or a dict
        of ``ReduceLROnPlateau`` arguments; or a ``keras.optimizers.schedules`` object used as
        the optimizer's learning rate.
    class_weight : None, dict or "balanced"
        Per-class loss weights; ``"balanced"`` computes ``n / (k * count)`` from ``y``.
    seed : int, optional
        Seeds Python, NumPy and Keras before fitting (and before building, when ``fit`` is
        given a model *builder*), so a run is repeatable: same seed, same weights, same history.
    balanced : bool
        Feed :class:`BalancedBatches` (equal class counts per batch) instead of shuffled data.
    augment : None, True, str, list or callable
        Augmentation for balanced batches (see :class:`BalancedBatches`).
    steps_per_epoch : int, optional
        Batches per epoch for balanced batches (default ``n_samples // batch_size``).
    callbacks : sequence, optional
        Extra Keras callbacks.
    compile_options : dict, optional
        Further ``model.compile`` arguments (e.g. ``{"jit_compile": False}``,
        ``{"loss_weights": [...]}``).
    progress : bool, optional
        Show a tqdm bar over epochs; None follows ``conf.progress``. Keras' own output is off.

    Attributes
    ----------
    history_ : dict
        ``{metric: [value per epoch]}`` of the last fit (also kept on the model, so
        :func:`save_model` stores it).
    fit_seconds_ : float
        Wall time of the last fit.
    samples_per_second_ : float
        Training throughput of the last fit (samples seen / wall time).

    Examples
    --------
    >>> import numpy as np
    >>> from spacekit.builder import Trainer, build_mlp
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(64, 4)); y = (x[:, 0] > 0).astype(int)
    >>> trainer = Trainer(loss="binary_crossentropy", epochs=2, batch_size=16, seed=0,
    ...                   progress=False)
    >>> history = trainer.fit(lambda: build_mlp(4, hidden=(8,)), x, y)
    >>> sorted(history)
    ['accuracy', 'loss']
    """

    def __init__(
        self,
        *,
        loss: Any,
        optimizer: Any = "adam",
        learning_rate: float = 1e-3,
        metrics: Sequence[Any] | None = None,
        epochs: int = 10,
        batch_size: int = 32,
        early_stopping: int | bool | dict | None = None,
        checkpoint_dir: str | os.PathLike | None = None,
        lr_schedule: Any = None,
        class_weight: dict | str | None = None,
        seed: int | None = None,
        balanced: bool = False,
        augment: Any = None,
        steps_per_epoch: int | None = None,
        callbacks: Sequence[Any] | None = None,
        compile_options: dict | None = None,
        progress: bool | None = None,
    ) -> None:
        self.loss = loss
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.metrics = metrics
        self.epochs = epochs
        self.batch_size = batch_size
        self.early_stopping = early_stopping
        self.checkpoint_dir = checkpoint_dir
        self.lr_schedule = lr_schedule
        self.class_weight = class_weight
        self.seed = seed
        self.balanced = balanced
        self.augment = augment
        self.steps_per_epoch = steps_per_epoch
        self.callbacks = callbacks
        self.compile_options = compile_options
        self.progress = progress

    # -- helpers ------------------------------------------------------------
    def __repr__(self) -> str:
        """``Trainer(...)`` with the settings that differ from the defaults."""
        from ..utils.display import settings_repr

        return settings_repr(self)

    def _repr_html_(self) -> str | None:
        """Notebook view: every setting, the ones changed from the defaults first."""
        from ..utils.display import trainer_html

        return trainer_html(self)

    def _metrics(self) -> list:
        if self.metrics is not None:
            return list(self.metrics)
        return ["accuracy"] if "crossentropy" in str(self.loss).lower() else []

    def _optimizer(self):
        from ..utils.deps import import_keras

        keras = import_keras()

        lr: Any = float(self.learning_rate)
        if isinstance(self.lr_schedule, keras.optimizers.schedules.LearningRateSchedule):
            lr = self.lr_schedule
        if isinstance(self.optimizer, str):
            try:
                return keras.optimizers.get(
                    {"class_name": self.optimizer, "config": {"learning_rate": lr}}
                )
            except ValueError as exc:
                raise InputError(
                    f"unknown optimizer {self.optimizer!r} ({exc}); use a Keras optimizer name "
                    "such as 'adam', 'sgd', 'rmsprop' or pass an optimizer instance"
                ) from None
        return self.optimizer

    def _class_weight(self, y: np.ndarray) -> dict | None:
        cw = self.class_weight
        if cw is None or isinstance(cw, dict):
            return cw
        if cw != "balanced":
            raise InputError(f"class_weight must be None, a dict or 'balanced', got {cw!r}")
        labels = y.argmax(axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(len(y))
        classes, counts = np.unique(labels, return_counts=True)
        return {
            int(c): float(len(labels) / (len(classes) * n))
            for c, n in zip(classes, counts, strict=True)
        }

    def _callbacks(self, has_validation: bool) -> list:
        from ..utils.deps import import_keras

        keras = import_keras()

        monitor = "val_loss" if has_validation else "loss"
        cbs: list = []
        es = self.early_stopping
        if es is not None and es is not False:
            kw: dict = {"monitor": monitor, "restore_best_weights": True}
            if es is True:
                kw["patience"] = 5
            elif isinstance(es, dict):
                kw.update(es)
            else:
                kw["patience"] = whole_number(
                    es, "early_stopping (None, True, a patience in epochs or a dict)", minimum=0
                )
            cbs.append(keras.callbacks.EarlyStopping(**kw))
        if self.checkpoint_dir is not None:
            cbs.append(_atomic_checkpoint(Path(self.checkpoint_dir), monitor))
        sched = self.lr_schedule
        if sched is not None and not isinstance(
            sched, keras.optimizers.schedules.LearningRateSchedule
        ):
            if sched == "plateau" or isinstance(sched, dict):
                kw = {"monitor": monitor}
                kw.update(sched if isinstance(sched, dict) else {})
                cbs.append(keras.callbacks.ReduceLROnPlateau(**kw))
            elif callable(sched):
                cbs.append(keras.callbacks.LearningRateScheduler(sched))
            else:
                raise InputError(
                    "lr_schedule must be a callable f(epoch, lr), 'plateau', a dict of "
                    f"ReduceLROnPlateau arguments or a keras LearningRateSchedule, got {sched!r}"
                )
        cbs.extend(self.callbacks or [])
        return cbs

    # -- fitting ------------------------------------------------------------
    def compile(self, model):
        """Compile ``model`` with this trainer's loss, optimizer and metrics; return it.

        Parameters
        ----------
        model : keras.Model
            The model.

        Returns
        -------
        keras.Model
            ``model``, compiled.
        """
        options = dict(self.compile_options or {})
        reserved = {"loss", "optimizer", "metrics"} & set(options)
        if reserved:
            raise InputError(
                f"compile_options must not repeat {sorted(reserved)}: pass them as Trainer "
                "arguments (loss=, optimizer=, metrics=)"
            )
        if isinstance(self.loss, str):
            from ..utils.deps import import_keras

            keras = import_keras()

            try:
                keras.losses.get(self.loss)
            except (ValueError, TypeError):
                raise InputError(
                    f"unknown loss {self.loss!r}; use a Keras loss name such as "
                    "'binary_crossentropy', 'sparse_categorical_crossentropy', "
                    "'categorical_crossentropy', 'mse', 'mae' or pass a loss instance"
                ) from None
        model.compile(
            loss=self.loss, optimizer=self._optimizer(), metrics=self._metrics(), **options
        )
        return model

    def fit(
        self,
        model: Any,
        x: Any,
        y: Any = None,
        *,
        validation_data: tuple | None = None,
    ) -> dict[str, list[float]]:
        """Compile ``model`` with this trainer's settings and fit it; return the history.

        Parameters
        ----------
        model : keras.Model or callable
            A model, or a zero-argument builder called *after* seeding (so the initial
            weights are repeatable too). The fitted model is kept as ``self.model_``.
        x : array, list of arrays, or keras PyDataset
            Training inputs (a :class:`BalancedBatches` or other PyDataset needs ``y=None``).
        y : array-like
            Training labels/targets.
        validation_data : (x_val, y_val), optional
            Held-out data evaluated after each epoch (adds ``val_*`` entries).

        Returns
        -------
        dict
            ``{metric: [value per epoch]}``, e.g. ``{"loss": [...], "accuracy": [...],
            "val_loss": [...], "val_accuracy": [...]}``.

        Raises
        ------
        InputError
            Before any training: a setting that is not a whole number (``epochs``,
            ``batch_size``, ``steps_per_epoch``, ``early_stopping``, ``seed``), an unknown loss,
            text labels, NaN or infinite values in ``x``/``y`` or the validation data, inputs that
            do not fit the model (number of inputs, features, channel axis, rows) or labels whose
            columns do not match its output units.

        Examples
        --------
        >>> import numpy as np
        >>> from spacekit.builder import Trainer, build_mlp
        >>> x = np.random.default_rng(1).normal(size=(40, 3)); y = (x[:, 1] > 0).astype(int)
        >>> h = Trainer(loss="binary_crossentropy", epochs=1, progress=False).fit(
        ...     build_mlp(3, hidden=(4,)), x, y, validation_data=(x, y))
        >>> "val_loss" in h
        True
        """
        from ..utils.deps import import_keras

        keras = import_keras()

        from ..utils.progress import progress_enabled
        from .batches import BalancedBatches

        whole_number(self.epochs, "epochs", minimum=1)
        whole_number(self.batch_size, "batch_size", minimum=1)
        if self.steps_per_epoch is not None:
            whole_number(self.steps_per_epoch, "steps_per_epoch", minimum=1)
        if self.seed is not None:
            set_seed(self.seed)
        if callable(model) and not isinstance(model, keras.Model):
            model = model()
        if not isinstance(model, keras.Model):
            raise InputError(
                f"Trainer.fit expects a keras.Model or a function returning one, got "
                f"{type(model).__name__}"
            )
        is_dataset = isinstance(x, keras.utils.PyDataset)
        fit_kw: dict[str, Any] = {}
        if is_dataset:
            if y is not None:
                raise InputError("x is a PyDataset (it yields labels itself), so y must be None")
            data, n = x, len(x) * getattr(x, "batch_size", 1)
            labels = np.asarray(getattr(x, "y", np.zeros(1)))
        else:
            if y is None:
                raise InputError("y is required when x is an array (pass labels or targets)")
            labels = _check_labels(y, "y")
            x = _check_inputs(model, x, "x", finite=True)
            n = _n_samples(x)
            if n != len(labels):
                raise InputError(
                    f"x has {n} samples but y has {len(labels)}; they must have one label per row"
                )
            if n == 0:
                raise InputError("x and y hold no samples: there is nothing to train on")
            _check_targets(model, labels, self.loss, "y")
            if self.balanced:
                if self.class_weight is not None:
                    log.warning("class_weight with balanced batches weights the classes twice")
                data = BalancedBatches(
                    x,
                    labels,
                    batch_size=self.batch_size,
                    augment=self.augment,
                    seed=self.seed,
                    steps_per_epoch=self.steps_per_epoch,
                )
                n = len(data) * self.batch_size
            else:
                data = x
                fit_kw = {"y": labels, "batch_size": int(self.batch_size), "shuffle": True}
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise InputError("validation_data must be a pair (x_val, y_val)")
            y_val = _check_labels(validation_data[1], "validation y")
            x_val = _check_inputs(model, validation_data[0], "validation x", finite=True)
            if _n_samples(x_val) != len(y_val):
                raise InputError(
                    f"validation_data x has {_n_samples(x_val)} samples but y has "
                    f"{len(y_val)}; they must have one label per row"
                )
            _check_targets(model, y_val, self.loss, "validation y")
            validation_data = (x_val, y_val)

        self.compile(model)
        show = progress_enabled(self.progress)
        callbacks = self._callbacks(validation_data is not None)
        callbacks.append(_ProgressCallback.make(int(self.epochs), show))
        t0 = time.perf_counter()
        hist = model.fit(
            data,
            epochs=int(self.epochs),
            validation_data=validation_data,
            class_weight=self._class_weight(labels) if self.class_weight is not None else None,
            callbacks=callbacks,
            verbose=0,
            **fit_kw,
        )
        self.fit_seconds_ = time.perf_counter() - t0
        history = {k: [float(v) for v in vals] for k, vals in hist.history.items()}
        _check_converging(model, history, self.learning_rate)
        epochs_run = len(next(iter(history.values()), []))
        self.samples_per_second_ = (
            (n * epochs_run) / self.fit_seconds_ if self.fit_seconds_ else float("nan")
        )
        self.history_ = history
        self.model_ = model
        _remember_history(model, history)
        log.info("trained %s for %d epochs in %.1f s", model.name, epochs_run, self.fit_seconds_)
        return history


_HISTORIES: dict[int, tuple[Any, dict]] = {}


def _check_converging(model: Any, history: dict, learning_rate: Any) -> None:
    """Refuse a training whose loss became NaN or infinite: its weights are too, and every
    prediction of the saved model would be NaN."""
    bad = [i for i, v in enumerate(history.get("loss", [])) if not math.isfinite(v)]
    if bad:
        raise InputError(
            f"training {model.name} diverged: the loss became {history['loss'][bad[0]]} at "
            f"epoch {bad[0] + 1}; lower the learning rate (learning_rate={learning_rate}) or "
            "check the inputs for extreme values"
        )


def _remember_history(model: Any, history: dict) -> None:
    """Keep the history with the model object so save_model can store it."""
    import weakref

    key = id(model)
    _HISTORIES[key] = (weakref.ref(model, lambda _r, k=key: _HISTORIES.pop(k, None)), history)


def history_of(model: Any) -> dict | None:
    """The history of the last :class:`Trainer` fit of ``model`` (None if unknown).

    Parameters
    ----------
    model : keras.Model
        A model.

    Returns
    -------
    dict or None
        Metric name to one value per epoch.
    """
    entry = _HISTORIES.get(id(model))
    if entry is not None and entry[0]() is model:
        return entry[1]
    hist = getattr(model, "history", None)
    data = getattr(hist, "history", None)
    if isinstance(data, dict) and data:
        return {k: [float(v) for v in vals] for k, vals in data.items()}
    return None


def predict_batches(model: Any, x: Any, *, batch_size: int = 256) -> np.ndarray:
    """Outputs of a Keras model, called eagerly on fixed-size chunks of the rows.

    Unlike ``model.predict``, which traces a ``tf.function`` per input shape, this never
    retraces, so predicting many inputs of different lengths (folds, one light curve, a batch)
    neither slows down nor fills the log with TensorFlow's retracing warnings. The numbers are
    the same.

    Parameters
    ----------
    model : keras.Model
        Any model (one input or several).
    x : array-like, list or dict of array-like
        Inputs as ``model.predict`` takes them; every array has the same number of rows.
    batch_size : int
        Rows per call.

    Returns
    -------
    numpy.ndarray
        The outputs stacked over rows (float32 as the model gives them).

    Raises
    ------
    InputError
        ``x`` does not fit the model's inputs (number of inputs, dimensions, features, rows of
        each input, text values); the message names the input and the shape expected.

    Examples
    --------
    >>> import keras, numpy as np
    >>> m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    >>> predict_batches(m, np.zeros((5, 3)), batch_size=2).shape
    (5, 1)
    """
    b = whole_number(batch_size, "batch_size", minimum=1)
    x = _check_inputs(model, x, "x")
    if isinstance(x, dict):
        n = len(next(iter(x.values()))) if x else 0
        chunks = ({k: v[i : i + b] for k, v in x.items()} for i in range(0, n, b))
    elif isinstance(x, list):
        n = len(x[0]) if x else 0
        chunks = ([v[i : i + b] for v in x] for i in range(0, n, b))
    else:
        n = len(x)
        chunks = (x[i : i + b] for i in range(0, n, b))
    out = [np.asarray(model(c, training=False)) for c in chunks]
    if not out:
        shape = (
            tuple(int(d) for d in model.output_shape[1:]) if hasattr(model, "output_shape") else ()
        )
        return np.zeros((0, *shape), dtype=np.float32)
    return np.concatenate(out)


def fit_cnn(
    X_train: Any,
    y_train: Any,
    X_test: Any,
    y_test: Any,
    model: Any,
    *,
    epochs: int = 5,
    batch_size: int = 32,
    learning_rate: float = 1e-5,
    seed: int | None = None,
    progress: bool | None = None,
    **trainer_kw: Any,
) -> tuple[Any, dict[str, list[float]]]:
    """Seed name for training the K2 CNN: balanced, rolled batches, binary cross-entropy, Adam.

    Keeps the 2020 calling convention ``fit_cnn(X_train, y_train, X_test, y_test, model)`` and
    settings (Adam at 1e-5, 5 epochs, batches of 32 with equal classes, random roll along
    time, test set as validation). What changed: it returns ``(model, history_dict)`` instead
    of a Keras ``History`` object; the steps per epoch are ``n_samples // batch_size`` (the
    seed used the number of timesteps); and ``seed`` makes the run repeatable.

    Parameters
    ----------
    X_train, y_train, X_test, y_test : arrays
        Training and validation series ``(n, timesteps, channels)`` and 0/1 labels.
    model : keras.Model or callable
        E.g. ``build_cnn1d(X_train.shape[1:])``.
    epochs, batch_size, learning_rate, seed, progress
        See :class:`Trainer`.
    **trainer_kw
        Other :class:`Trainer` options (``early_stopping``, ``checkpoint_dir``, ...).

    Returns
    -------
    (keras.Model, dict)
        The fitted model and its history.

    Examples
    --------
    >>> import numpy as np
    >>> from spacekit.builder import build_cnn1d, fit_cnn
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(32, 64, 1)); y = np.r_[np.ones(8), np.zeros(24)]
    >>> model, history = fit_cnn(x, y, x, y, build_cnn1d((64, 1), filters=(4,), kernel_size=3),
    ...                          epochs=1, batch_size=8, seed=0, progress=False)
    >>> len(history["loss"])
    1
    """
    trainer_kw.setdefault("augment", "roll")
    trainer = Trainer(
        loss="binary_crossentropy",
        optimizer="adam",
        learning_rate=learning_rate,
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        balanced=True,
        progress=progress,
        **trainer_kw,
    )
    history = trainer.fit(model, X_train, y_train, validation_data=(X_test, y_test))
    return trainer.model_, history

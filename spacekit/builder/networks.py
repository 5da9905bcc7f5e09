"""Keras model builders: plain functions that return uncompiled Keras 3 models.

Compiling and fitting belong to :class:`spacekit.builder.Trainer` (docs/design.rst). Keras is
imported inside each function, so importing this module stays light.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from ..exceptions import InputError
from ..utils.checks import as_whole_number

__all__ = [
    "build_mlp",
    "build_cnn1d",
    "build_cnn",
    "build_cnn2d",
    "build_cnn3d",
    "build_ensemble",
]

log = logging.getLogger(__name__)


def _as_tuple(value: Any, n: int, what: str) -> tuple:
    """Broadcast a scalar to ``n`` items or check a sequence has ``n`` items."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        value = tuple(value)
        if len(value) != n:
            raise InputError(
                f"{what} must be one value or a sequence of {n} values (one per layer), "
                f"got {len(value)} values: {value!r}"
            )
        return value
    return (value,) * n


def _check_int(value: Any, what: str) -> int:
    """A positive whole number (``3``, ``np.int64(3)``, ``3.0``), else an InputError."""
    out = as_whole_number(value)
    if out is None or out < 1:
        raise InputError(f"{what} must be a positive integer, got {value!r}")
    return out


def _check_sizes(sizes: Any, what: str) -> tuple[int, ...]:
    try:
        items = tuple(sizes)
    except TypeError:
        raise InputError(f"{what} must be a sequence of positive integers, got {sizes!r}") from None
    out = tuple(as_whole_number(s) for s in items)
    if isinstance(sizes, str) or any(s is None or s < 1 for s in out):
        raise InputError(f"{what} must be a sequence of positive integers, got {sizes!r}")
    return out  # type: ignore[return-value]


def _check_rate(rate: Any, what: str) -> float:
    try:
        value = float(rate)
    except (TypeError, ValueError):
        value = float("nan")
    if not 0.0 <= value < 1.0:
        raise InputError(f"{what} must be a number in [0, 1), got {rate!r}")
    return value


def _check_activation(name: Any, what: str) -> Any:
    """Refuse an activation Keras does not know, before any layer is built."""
    from ..utils.deps import import_keras

    keras = import_keras()

    try:
        keras.activations.get(name)
    except (ValueError, TypeError):
        raise InputError(
            f"{what}={name!r} is not a Keras activation; use a name such as 'relu', 'tanh', "
            "'sigmoid', 'softmax', 'linear' or a callable"
        ) from None
    return name


def _kernel(value: Any, n: int, what: str) -> int | tuple[int, ...]:
    """One positive int, or a sequence of ``n`` (one per spatial axis)."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        sizes = _check_sizes(value, what)
        if len(sizes) != n:
            raise InputError(f"{what} must be one integer or {n} integers, got {value!r}")
        return sizes
    return _check_int(value, what)


def _mlp_branch(x, hidden, activation, dropout, batch_norm, prefix):
    from keras import layers

    drops = tuple(_check_rate(r, "dropout") for r in _as_tuple(dropout, len(hidden), "dropout"))
    for i, (units, rate) in enumerate(zip(hidden, drops, strict=True), start=1):
        x = layers.Dense(units, activation=activation, name=f"{prefix}dense{i}")(x)
        if batch_norm:
            x = layers.BatchNormalization(name=f"{prefix}bn{i}")(x)
        if rate > 0:
            x = layers.Dropout(rate, name=f"{prefix}drop{i}")(x)
    return x


def _output(x, units: int, activation: str, name: str = "output"):
    from keras import layers

    return layers.Dense(units, activation=activation, name=name)(x)


def build_mlp(
    input_dim: int,
    *,
    hidden: Sequence[int] = (18, 32, 64, 32, 18, 9),
    activation: str = "relu",
    dropout: float | Sequence[float] = 0.0,
    batch_norm: bool = False,
    output_units: int = 1,
    output_activation: str = "sigmoid",
    name: str = "mlp",
):
    """Build a fully connected network (multi-layer perceptron) for tabular features.

    Parameters
    ----------
    input_dim : int
        Number of input features.
    hidden : sequence of int
        Units of each hidden ``Dense`` layer, in order. The default is the spacekit HST
        calibration network.
    activation : str
        Activation of the hidden layers.
    dropout : float or sequence of float
        Dropout rate after each hidden layer (one value for all, or one per layer; 0: none).
    batch_norm : bool
        Add batch normalisation after each hidden layer.
    output_units : int
        Units of the output layer (1 for binary classification or one regression target,
        ``n_classes`` for softmax).
    output_activation : str
        ``"sigmoid"`` (binary), ``"softmax"`` (multiclass) or ``"linear"`` (regression).
    name : str
        Model name.

    Returns
    -------
    keras.Model
        An uncompiled functional model with input named ``"features"``.

    Examples
    --------
    >>> from spacekit.builder import build_mlp
    >>> model = build_mlp(9, hidden=(16, 8), output_units=4, output_activation="softmax")
    >>> model.output_shape
    (None, 4)
    """
    from ..utils.deps import import_keras

    keras = import_keras()

    input_dim = _check_int(input_dim, "input_dim (the number of features)")
    hidden = _check_sizes(hidden, "hidden")
    output_units = _check_int(output_units, "output_units")
    _check_activation(activation, "activation")
    _check_activation(output_activation, "output_activation")
    inputs = keras.Input(shape=(input_dim,), name="features")
    x = _mlp_branch(inputs, hidden, activation, dropout, batch_norm, prefix="")
    outputs = _output(x, output_units, output_activation)
    return keras.Model(inputs, outputs, name=name)


def _conv_out_length(length: int, kernel: int, padding: str, pool: int, strides: int) -> int:
    if padding == "valid":
        length = length - kernel + 1
    if length < pool:
        return 0
    return (length - pool) // strides + 1


def build_cnn1d(
    input_shape: int | Sequence[int],
    *,
    filters: Sequence[int] = (8, 16, 32, 64),
    kernel_size: int = 11,
    activation: str = "relu",
    padding: str = "valid",
    pool_size: int = 2,
    pool_strides: int = 4,
    batch_norm: bool = True,
    dense: Sequence[int] = (64, 64),
    dropout: float | Sequence[float] = (0.5, 0.25),
    output_units: int = 1,
    output_activation: str = "sigmoid",
    name: str = "cnn1d",
):
    """Build a 1D convolutional network for time series (light curves).

    The defaults are the seed's K2 exoplanet network: four ``Conv1D`` blocks of 8, 16, 32 and
    64 filters (kernel 11), each followed by max-pooling (window 2, stride 4) and batch
    normalisation; then ``Flatten``, dropout 0.5, ``Dense(64)``, dropout 0.25, ``Dense(64)``
    and one sigmoid unit.

    Parameters
    ----------
    input_shape : int or (int, int)
        ``(timesteps, channels)``; an int (Python or numpy) means ``(timesteps, 1)``. The seed used
        ``(3197, 2)``: the flux and its smoothed copy (``add_smoothed_channel``).
    filters : sequence of int
        Filters of each convolution block.
    kernel_size : int
        Width of every convolution kernel.
    activation : str
        Activation of convolution and dense layers.
    padding : {"valid", "same"}
        Convolution padding (the seed used ``"valid"``).
    pool_size, pool_strides : int
        Max-pooling window and stride after each convolution.
    batch_norm : bool
        Batch normalisation after each pooling layer.
    dense : sequence of int
        Units of the dense layers after ``Flatten``.
    dropout : float or sequence of float
        Dropout before each dense layer (one value for all, or one per dense layer).
    output_units, output_activation : int, str
        Output layer (one sigmoid unit for a binary classifier).
    name : str
        Model name.

    Returns
    -------
    keras.Model
        An uncompiled functional model with input named ``"series"``.

    Raises
    ------
    InputError
        When the series is too short for the convolution/pooling stack, or a size is not a
        positive integer, a dropout rate is outside [0, 1) or an activation is unknown
        (before any layer is built).

    Examples
    --------
    >>> from spacekit.builder import build_cnn1d
    >>> model = build_cnn1d((200, 2), filters=(4, 8), kernel_size=5)
    >>> model.output_shape
    (None, 1)
    """
    from ..utils.deps import import_keras

    keras = import_keras()
    from keras import layers

    if as_whole_number(input_shape) is not None:
        input_shape = (input_shape, 1)
    input_shape = _check_sizes(input_shape, "input_shape")
    if len(input_shape) != 2:
        raise InputError(
            f"build_cnn1d expects input_shape=(timesteps, channels), got {input_shape!r}; "
            "for a single-channel series pass (timesteps, 1)"
        )
    filters = _check_sizes(filters, "filters")
    dense = _check_sizes(dense, "dense")
    if padding not in {"valid", "same"}:
        raise InputError(f"padding must be 'valid' or 'same', got {padding!r}")
    kernel_size = _check_int(kernel_size, "kernel_size")
    pool_size = _check_int(pool_size, "pool_size")
    pool_strides = _check_int(pool_strides, "pool_strides")
    output_units = _check_int(output_units, "output_units")
    _check_activation(activation, "activation")
    _check_activation(output_activation, "output_activation")
    length = input_shape[0]
    for i in range(len(filters)):
        length = _conv_out_length(length, kernel_size, padding, pool_size, pool_strides)
        if length < 1:
            raise InputError(
                f"a series of {input_shape[0]} timesteps is too short for {len(filters)} "
                f"convolution blocks (kernel {kernel_size}, pool {pool_size}/stride "
                f"{pool_strides}): it vanishes after block {i + 1}; use fewer filters, a "
                "smaller kernel_size or pool_strides, or padding='same'"
            )
    drops = tuple(_check_rate(r, "dropout") for r in _as_tuple(dropout, len(dense), "dropout"))

    inputs = keras.Input(shape=input_shape, name="series")
    x = inputs
    for i, n in enumerate(filters, start=1):
        x = layers.Conv1D(n, kernel_size, activation=activation, padding=padding, name=f"conv{i}")(
            x
        )
        x = layers.MaxPooling1D(pool_size=pool_size, strides=pool_strides, name=f"pool{i}")(x)
        if batch_norm:
            x = layers.BatchNormalization(name=f"bn{i}")(x)
    x = layers.Flatten(name="flatten")(x)
    for i, (units, rate) in enumerate(zip(dense, drops, strict=True), start=1):
        if rate > 0:
            x = layers.Dropout(rate, name=f"drop{i}")(x)
        x = layers.Dense(units, activation=activation, name=f"dense{i}")(x)
    outputs = _output(x, output_units, output_activation)
    return keras.Model(inputs, outputs, name=name)


#: Seed name of :func:`build_cnn1d` (same defaults as the 2020 network).
build_cnn = build_cnn1d


def build_cnn2d(
    input_shape: Sequence[int],
    *,
    filters: Sequence[int] = (16, 32, 64),
    kernel_size: int | Sequence[int] = 3,
    activation: str = "relu",
    padding: str = "same",
    pool_size: int | Sequence[int] = 2,
    batch_norm: bool = True,
    global_pool: bool = True,
    dense: Sequence[int] = (64,),
    dropout: float | Sequence[float] = 0.25,
    output_units: int = 1,
    output_activation: str = "sigmoid",
    name: str = "cnn2d",
):
    """Build a 2D convolutional network for single images (spectrograms, one SVM frame).

    Each block is a ``Conv2D`` followed by ``MaxPooling2D`` and optional batch
    normalisation; then a global average pooling (or ``Flatten``), the dense layers with
    dropout before each, and the output layer.

    Parameters
    ----------
    input_shape : (int, int) or (int, int, int)
        ``(height, width, channels)``; ``(height, width)`` means one channel. A spectrogram
        from :func:`spacekit.analyzer.specgram_array` is ``(n_frequencies, n_segments, 1)``;
        one rendered SVM frame is ``(128, 128, 3)``.
    filters : sequence of int
        Filters of each convolution block.
    kernel_size : int or (int, int)
        Convolution kernel, one int for both axes or ``(height, width)``.
    activation : str
        Activation of convolution and dense layers.
    padding : {"same", "valid"}
        Convolution padding.
    pool_size : int or (int, int)
        Max-pooling window (and stride) after each convolution.
    batch_norm : bool
        Batch normalisation after each pooling layer.
    global_pool : bool
        End the convolution stack with ``GlobalAveragePooling2D`` (few weights, any image
        size) rather than ``Flatten``.
    dense : sequence of int
        Units of the dense layers after pooling (may be empty).
    dropout : float or sequence of float
        Dropout before each dense layer (one value for all, or one per dense layer).
    output_units, output_activation : int, str
        Output layer (one sigmoid unit for a binary classifier, ``n_classes`` softmax units
        for several classes).
    name : str
        Model name.

    Returns
    -------
    keras.Model
        An uncompiled functional model with input named ``"image"``.

    Raises
    ------
    InputError
        When the image is too small for the convolution/pooling stack, or a size is not a
        positive integer, a dropout rate is outside [0, 1) or an activation is unknown
        (before any layer is built).

    Notes
    -----
    Upstream spacekit's ``BuilderCNN2D`` was, despite its name, the K2 network of ``Conv1D``
    layers over ``(timesteps, channels)`` input; that network is :func:`build_cnn1d` here.
    This builder is a true two-dimensional network.

    Examples
    --------
    >>> from spacekit.builder import build_cnn2d
    >>> model = build_cnn2d((32, 32, 3), filters=(4, 8), dense=(8,))
    >>> model.output_shape
    (None, 1)
    """
    import keras
    from keras import layers

    if isinstance(input_shape, Sequence) and not isinstance(input_shape, str):
        if len(input_shape) == 2:
            input_shape = (*input_shape, 1)
    input_shape = _check_sizes(input_shape, "input_shape")
    if len(input_shape) != 3:
        raise InputError(
            f"build_cnn2d expects input_shape=(height, width, channels), got {input_shape!r}; "
            "for a one-channel image pass (height, width, 1), for a series use build_cnn1d"
        )
    filters = _check_sizes(filters, "filters")
    dense = _check_sizes(dense, "dense")
    if padding not in {"valid", "same"}:
        raise InputError(f"padding must be 'valid' or 'same', got {padding!r}")
    kernel = _kernel(kernel_size, 2, "kernel_size")
    pool = _kernel(pool_size, 2, "pool_size")
    kh, kw = kernel if isinstance(kernel, tuple) else (kernel, kernel)
    ph, pw = pool if isinstance(pool, tuple) else (pool, pool)
    output_units = _check_int(output_units, "output_units")
    _check_activation(activation, "activation")
    _check_activation(output_activation, "output_activation")
    h, w = input_shape[0], input_shape[1]
    for i in range(len(filters)):
        h = _conv_out_length(h, kh, padding, ph, ph)
        w = _conv_out_length(w, kw, padding, pw, pw)
        if h < 1 or w < 1:
            raise InputError(
                f"an image of {input_shape[0]}x{input_shape[1]} pixels is too small for "
                f"{len(filters)} convolution blocks (kernel {kh}x{kw}, pool {ph}x{pw}): it "
                f"vanishes after block {i + 1}; use fewer filters, a smaller kernel_size or "
                "pool_size, or padding='same'"
            )
    drops = tuple(_check_rate(r, "dropout") for r in _as_tuple(dropout, len(dense), "dropout"))

    inputs = keras.Input(shape=input_shape, name="image")
    x = inputs
    for i, n in enumerate(filters, start=1):
        x = layers.Conv2D(n, kernel, activation=activation, padding=padding, name=f"conv{i}")(x)
        x = layers.MaxPooling2D(pool_size=pool, name=f"pool{i}")(x)
        if batch_norm:
            x = layers.BatchNormalization(name=f"bn{i}")(x)
    if global_pool:
        x = layers.GlobalAveragePooling2D(name="gap")(x)
    else:
        x = layers.Flatten(name="flatten")(x)
    for i, (units, rate) in enumerate(zip(dense, drops, strict=True), start=1):
        if rate > 0:
            x = layers.Dropout(rate, name=f"drop{i}")(x)
        x = layers.Dense(units, activation=activation, name=f"dense{i}")(x)
    outputs = _output(x, output_units, output_activation)
    return keras.Model(inputs, outputs, name=name)


def _cnn3d_branch(x, filters, kernel_size, activation, pool_size, batch_norm, prefix):
    from keras import layers

    for i, n in enumerate(filters, start=1):
        x = layers.Conv3D(
            n, kernel_size, activation=activation, padding="same", name=f"{prefix}conv{i}"
        )(x)
        x = layers.MaxPooling3D(pool_size=pool_size, padding="same", name=f"{prefix}pool{i}")(x)
        if batch_norm:
            x = layers.BatchNormalization(name=f"{prefix}bn{i}")(x)
    return layers.GlobalAveragePooling3D(name=f"{prefix}gap")(x)


def _check_image_shape(image_shape) -> tuple[int, ...]:
    image_shape = _check_sizes(image_shape, "image_shape")
    if len(image_shape) != 4:
        raise InputError(
            "expected image input shape (frames, height, width, channels), e.g. (3, 128, 128, 3), "
            f"got {image_shape!r}"
        )
    return image_shape


def build_cnn3d(
    input_shape: Sequence[int] = (3, 128, 128, 3),
    *,
    filters: Sequence[int] = (32, 64, 128, 256),
    kernel_size: int | Sequence[int] = 3,
    activation: str = "relu",
    pool_size: Sequence[int] = (1, 2, 2),
    batch_norm: bool = True,
    dense: Sequence[int] = (512,),
    dropout: float | Sequence[float] = 0.3,
    output_units: int = 1,
    output_activation: str = "sigmoid",
    name: str = "cnn3d",
):
    """Build a 3D convolutional network for stacks of images (frames × height × width × rgb).

    The default reads the SVM app's three 128×128 RGB images of a visit (point sources,
    segmentation, GAIA overlay) as one ``(3, 128, 128, 3)`` volume.

    Parameters
    ----------
    input_shape : (int, int, int, int)
        ``(frames, height, width, channels)``.
    filters : sequence of int
        Filters of each ``Conv3D`` block (``padding="same"``), each followed by max-pooling
        and optional batch normalisation; a global average pooling ends the stack.
    kernel_size : int or sequence of int
        Convolution kernel, one int for all three axes or ``(frames, height, width)``.
    activation : str
        Activation of convolution and dense layers.
    pool_size : int or sequence of int
        3D pooling window, one int for all three axes or ``(frames, height, width)`` (the
        default keeps the frame axis and halves height and width).
    batch_norm : bool
        Batch normalisation after each pooling layer.
    dense : sequence of int
        Dense layers after pooling.
    dropout : float or sequence of float
        Dropout after each dense layer.
    output_units, output_activation : int, str
        Output layer.
    name : str
        Model name.

    Returns
    -------
    keras.Model
        An uncompiled model with input named ``"images"``.

    Examples
    --------
    >>> from spacekit.builder import build_cnn3d
    >>> model = build_cnn3d((3, 16, 16, 3), filters=(4,), dense=(8,))
    >>> model.output_shape
    (None, 1)
    """
    from ..utils.deps import import_keras

    keras = import_keras()

    input_shape = _check_image_shape(input_shape)
    filters = _check_sizes(filters, "filters")
    dense = _check_sizes(dense, "dense")
    kernel_size = _kernel(kernel_size, 3, "kernel_size")
    pool_size = _kernel(pool_size, 3, "pool_size")
    output_units = _check_int(output_units, "output_units")
    _check_activation(activation, "activation")
    _check_activation(output_activation, "output_activation")
    inputs = keras.Input(shape=input_shape, name="images")
    x = _cnn3d_branch(inputs, filters, kernel_size, activation, pool_size, batch_norm, "")
    x = _mlp_branch(x, dense, activation, dropout, False, prefix="head_")
    outputs = _output(x, output_units, output_activation)
    return keras.Model(inputs, outputs, name=name)


def build_ensemble(
    tabular_dim: int,
    image_shape: Sequence[int] = (3, 128, 128, 3),
    *,
    mlp_hidden: Sequence[int] = (18, 32, 64, 32, 18, 9),
    cnn_filters: Sequence[int] = (32, 64, 128, 256),
    cnn_kernel_size: int | Sequence[int] = 3,
    cnn_pool_size: Sequence[int] = (1, 2, 2),
    cnn_dense: Sequence[int] = (64,),
    activation: str = "relu",
    dropout: float = 0.0,
    batch_norm: bool = True,
    head: Sequence[int] = (9,),
    output_units: int = 1,
    output_activation: str = "sigmoid",
    name: str = "ensemble",
):
    """Build a two-branch model: an MLP on tabular features and a 3D CNN on image stacks,
    concatenated and followed by a small dense head (the SVM alignment classifier).

    Parameters
    ----------
    tabular_dim : int
        Number of tabular features (first input, named ``"tabular"``).
    image_shape : (int, int, int, int)
        ``(frames, height, width, channels)`` of the second input, named ``"images"``.
    mlp_hidden : sequence of int
        Hidden layers of the MLP branch.
    cnn_filters, cnn_kernel_size, cnn_pool_size : see :func:`build_cnn3d`
        Convolution stack of the image branch.
    cnn_dense : sequence of int
        Dense layers of the image branch after global pooling.
    activation : str
        Activation of hidden layers.
    dropout : float
        Dropout after each hidden dense layer of both branches and of the head.
    batch_norm : bool
        Batch normalisation in the image branch.
    head : sequence of int
        Dense layers after the concatenation.
    output_units, output_activation : int, str
        Output layer.
    name : str
        Model name.

    Returns
    -------
    keras.Model
        An uncompiled model taking ``[tabular, images]``.

    Examples
    --------
    >>> from spacekit.builder import build_ensemble
    >>> model = build_ensemble(10, (3, 16, 16, 3), mlp_hidden=(8,), cnn_filters=(4,),
    ...                        cnn_dense=(8,), head=(4,))
    >>> [tuple(t.shape) for t in model.inputs]
    [(None, 10), (None, 3, 16, 16, 3)]
    """
    from ..utils.deps import import_keras

    keras = import_keras()
    from keras import layers

    tabular_dim = _check_int(tabular_dim, "tabular_dim (the number of tabular features)")
    image_shape = _check_image_shape(image_shape)
    cnn_kernel_size = _kernel(cnn_kernel_size, 3, "cnn_kernel_size")
    cnn_pool_size = _kernel(cnn_pool_size, 3, "cnn_pool_size")
    output_units = _check_int(output_units, "output_units")
    _check_activation(activation, "activation")
    _check_activation(output_activation, "output_activation")
    mlp_hidden = _check_sizes(mlp_hidden, "mlp_hidden")
    cnn_filters = _check_sizes(cnn_filters, "cnn_filters")
    cnn_dense = _check_sizes(cnn_dense, "cnn_dense")
    head = _check_sizes(head, "head")

    tab_in = keras.Input(shape=(tabular_dim,), name="tabular")
    img_in = keras.Input(shape=image_shape, name="images")
    a = _mlp_branch(tab_in, mlp_hidden, activation, dropout, False, prefix="mlp_")
    b = _cnn3d_branch(
        img_in, cnn_filters, cnn_kernel_size, activation, cnn_pool_size, batch_norm, "cnn_"
    )
    b = _mlp_branch(b, cnn_dense, activation, dropout, False, prefix="cnn_head_")
    x = layers.Concatenate(name="concat")([a, b])
    x = _mlp_branch(x, head, activation, dropout, False, prefix="head_")
    outputs = _output(x, output_units, output_activation)
    return keras.Model([tab_in, img_in], outputs, name=name)

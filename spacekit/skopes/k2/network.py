"""A translation-invariant 1D CNN for transit detection (the k2 app's default network).

The seed's network (:func:`spacekit.builder.build_cnn1d`) ends in ``Flatten`` + dense
layers, so it must learn a transit detector separately for every position of the window,
and its pooling (window 2, stride 4) skips half the samples. A transit can sit anywhere in a
window, so this network keeps every position ("same" padding, pooling window = stride = 2)
and ends in *global* max and average pooling: one dip detector shared by all positions and
all time scales (each block halves the resolution, so deeper blocks see longer transits).
Both networks are available through ``train(..., network="seed"|"global")``.

Examples
--------
>>> model = build_transit_cnn((3197, 2))  # doctest: +SKIP
>>> model.output_shape  # doctest: +SKIP
(None, 1)
"""

from __future__ import annotations

from collections.abc import Sequence

from ...exceptions import InputError

__all__ = ["build_transit_cnn"]


def build_transit_cnn(
    input_shape: Sequence[int],
    *,
    filters: Sequence[int] = (16, 16, 32, 32, 64, 64),
    kernel_size: int = 7,
    dense: int = 32,
    dropout: float = 0.2,
    name: str = "k2_transit_cnn",
):
    """Build the k2 transit classifier: conv blocks, global pooling, one sigmoid unit.

    Parameters
    ----------
    input_shape : (int, int)
        ``(timesteps, channels)``, e.g. ``(3197, 2)``.
    filters : sequence of int
        Filters of each block (Conv1D "same" + batch norm + ReLU + max-pool 2).
    kernel_size : int
        Convolution width.
    dense : int
        Units of the hidden dense layer after global max and average pooling.
    dropout : float
        Dropout before the output.
    name : str
        Model name.

    Returns
    -------
    keras.Model
        Uncompiled; input named ``"series"``.

    Examples
    --------
    >>> m = build_transit_cnn((256, 2), filters=(4, 8))  # doctest: +SKIP
    >>> m.count_params() > 0  # doctest: +SKIP
    True
    """
    import keras
    from keras import layers

    shape = tuple(int(s) for s in input_shape)
    if len(shape) != 2 or shape[0] < 2 ** len(filters):
        raise InputError(
            f"expected input_shape (timesteps, channels) with timesteps >= {2 ** len(filters)} "
            f"for {len(filters)} pooling blocks, got {input_shape}"
        )
    inp = keras.Input(shape=shape, name="series")
    x = inp
    for i, f in enumerate(filters):
        x = layers.Conv1D(int(f), int(kernel_size), padding="same", use_bias=False, name=f"conv{i}")(x)
        x = layers.BatchNormalization(name=f"bn{i}")(x)
        x = layers.Activation("relu", name=f"relu{i}")(x)
        x = layers.MaxPooling1D(2, name=f"pool{i}")(x)
    x = layers.Concatenate(name="pooled")(
        [layers.GlobalMaxPooling1D(name="gmax")(x), layers.GlobalAveragePooling1D(name="gavg")(x)]
    )
    x = layers.Dense(int(dense), activation="relu", name="dense")(x)
    x = layers.Dropout(float(dropout), name="dropout")(x)
    out = layers.Dense(1, activation="sigmoid", name="output")(x)
    return keras.Model(inp, out, name=name)

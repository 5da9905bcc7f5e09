"""Translation-invariant 1D CNNs for transit detection (the k2 app's networks).

The seed's network (:func:`spacekit.builder.build_cnn1d`) ends in ``Flatten`` + dense
layers, so it must learn a transit detector separately for every position of the window,
and its pooling (window 2, stride 4) skips half the samples. A transit can sit anywhere in a
window, so this network keeps every position ("same" padding, pooling window = stride = 2)
and ends in *global* max and average pooling: one dip detector shared by all positions and
all time scales (each block halves the resolution, so deeper blocks see longer transits).
Both networks are available through ``train(..., network="seed"|"global")``; the default,
``network="folded"``, uses :func:`build_folded_cnn` (this window branch plus branches for the
folded views and scalar features of :mod:`spacekit.skopes.k2.folded`).

Examples
--------
>>> model = build_transit_cnn((3197, 2))  # doctest: +SKIP
>>> model.output_shape  # doctest: +SKIP
(None, 1)
"""

from __future__ import annotations

from collections.abc import Sequence

from ...exceptions import InputError

__all__ = ["build_transit_cnn", "build_folded_cnn"]


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
    from ...utils.deps import import_keras

    keras = import_keras()
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
        x = layers.Conv1D(
            int(f), int(kernel_size), padding="same", use_bias=False, name=f"conv{i}"
        )(x)
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


def build_folded_cnn(
    series_shape: Sequence[int],
    *,
    global_bins: int = 201,
    local_bins: int = 61,
    n_scalars: int = 43,
    filters: Sequence[int] = (16, 16, 32, 32, 64, 64),
    view_filters: Sequence[int] = (16, 32),
    kernel_size: int = 7,
    dense: int = 64,
    dropout: float = 0.2,
    name: str = "k2_folded_cnn",
):
    """Two-branch transit classifier: the window CNN plus its folded (box-search) views.

    Inputs, in this order: ``"series"`` ``(timesteps, channels)`` (as
    :func:`build_transit_cnn`), ``"global_view"`` ``(global_bins, 1)`` and ``"local_view"``
    ``(local_bins, 1)`` (folded at the best box-search period, transit centred: see
    :func:`spacekit.skopes.k2.folded.fold_features`), and ``"scalars"`` ``(n_scalars,)``.
    The views go through small conv stacks that are *not* translation invariant (flattened:
    the transit sits in the middle), the series through the global-pooling stack; all are
    concatenated into one dense layer and a sigmoid.

    Parameters
    ----------
    series_shape : (int, int)
        Shape of the unfolded window input.
    global_bins, local_bins, n_scalars : int
        Sizes of the folded inputs.
    filters : sequence of int
        Series branch (as :func:`build_transit_cnn`).
    view_filters : sequence of int
        Conv blocks (kernel 5, max-pool 2) of each view branch.
    kernel_size : int
        Kernel of the series branch (as :func:`build_transit_cnn`).
    dense, dropout : int, float
        Head.
    name : str
        Model name.

    Returns
    -------
    keras.Model
        Uncompiled, four inputs.

    Examples
    --------
    >>> m = build_folded_cnn((256, 3), filters=(4, 8))  # doctest: +SKIP
    >>> [i.shape for i in m.inputs]  # doctest: +SKIP
    [(None, 256, 3), (None, 201, 1), (None, 61, 1), (None, 43)]
    """
    from ...utils.deps import import_keras

    keras = import_keras()
    from keras import layers

    base = build_transit_cnn(
        series_shape, filters=filters, kernel_size=kernel_size, dense=dense, dropout=dropout
    )
    series_in = base.input
    series_feat = base.get_layer("pooled").output

    def view_branch(bins: int, tag: str):
        inp = keras.Input(shape=(int(bins), 1), name=f"{tag}_view")
        x = inp
        for i, f in enumerate(view_filters):
            x = layers.Conv1D(int(f), 5, padding="same", activation="relu", name=f"{tag}_conv{i}")(
                x
            )
            x = layers.MaxPooling1D(2, name=f"{tag}_pool{i}")(x)
        return inp, layers.Flatten(name=f"{tag}_flat")(x)

    g_in, g = view_branch(global_bins, "global")
    l_in, loc = view_branch(local_bins, "local")
    s_in = keras.Input(shape=(int(n_scalars),), name="scalars")
    x = layers.Concatenate(name="joined")([series_feat, g, loc, s_in])
    x = layers.Dense(int(dense), activation="relu", name="head_dense")(x)
    x = layers.Dropout(float(dropout), name="head_dropout")(x)
    out = layers.Dense(1, activation="sigmoid", name="head_output")(x)
    return keras.Model([series_in, g_in, l_in, s_in], out, name=name)

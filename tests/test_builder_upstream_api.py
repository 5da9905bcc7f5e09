"""Upstream spacekit's builder API that users reach for: a 2D CNN, a model diagram, and the
image/table augmentations of upstream's generator (issue 23, item 5)."""

from __future__ import annotations

import numpy as np
import pytest

from spacekit.builder import (
    build_cnn2d,
    build_ensemble,
    build_mlp,
    layer_table,
    model_diagram,
)
from spacekit.exceptions import InputError


# -- build_cnn2d ----------------------------------------------------------------------------
def test_build_cnn2d_layers_shapes_and_one_channel_default():
    import keras

    model = build_cnn2d((32, 24, 3), filters=(4, 8), kernel_size=(3, 5), dense=(6,))
    convs = [la for la in model.layers if isinstance(la, keras.layers.Conv2D)]
    assert [c.filters for c in convs] == [4, 8]
    assert convs[0].kernel_size == (3, 5)
    assert model.get_layer("pool2").output.shape == (None, 8, 6, 8)
    assert model.input_shape == (None, 32, 24, 3)
    assert model.output_shape == (None, 1)
    assert model.inputs[0].name == "image"
    gray = build_cnn2d(
        (20, 20), filters=(2,), dense=(), output_units=3, output_activation="softmax"
    )
    assert gray.input_shape == (None, 20, 20, 1)
    assert gray.output_shape == (None, 3)
    assert not any(isinstance(la, keras.layers.Dense) for la in gray.layers[:-1])
    flat = build_cnn2d((8, 8, 1), filters=(2,), global_pool=False, dense=(4,), dropout=0)
    assert flat.get_layer("flatten").output.shape == (None, 32)


def test_build_cnn2d_learns_to_tell_bright_corners(tmp_path):
    """A tiny network fits an easy image task: the class is which corner is bright (a
    position, so Flatten rather than global pooling, which forgets where things are)."""
    from spacekit.builder import Trainer

    rng = np.random.default_rng(0)
    x = rng.normal(0, 0.1, (64, 12, 12, 1)).astype("float32")
    y = np.r_[np.zeros(32), np.ones(32)]
    x[:32, :4, :4] += 1.0
    x[32:, -4:, -4:] += 1.0
    trainer = Trainer(
        loss="binary_crossentropy",
        learning_rate=1e-2,
        epochs=10,
        batch_size=16,
        seed=0,
        progress=False,
    )
    trainer.fit(
        lambda: build_cnn2d((12, 12, 1), filters=(4,), global_pool=False, dense=(4,), dropout=0),
        x,
        y,
    )
    p = trainer.model_.predict(x, verbose=0).ravel()
    assert ((p > 0.5) == y).mean() > 0.9


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: build_cnn2d((4, 4, 1), filters=(2, 2, 2)), "too small"),
        (lambda: build_cnn2d((10, 10, 10, 1)), "height, width, channels"),
        (lambda: build_cnn2d((16, 16, 1), padding="full"), "padding"),
        (lambda: build_cnn2d((16, 16, 1), kernel_size=(3, 3, 3)), "kernel_size"),
        (lambda: build_cnn2d((16, 16, 1), dense=(4, 4), dropout=(0.1,)), "dropout"),
        (lambda: build_cnn2d((16, 16, 1), activation="nope"), "activation"),
    ],
)
def test_build_cnn2d_refuses_bad_arguments(call, match):
    with pytest.raises(InputError, match=match):
        call()


# -- model diagram --------------------------------------------------------------------------
def test_layer_table_follows_the_graph_of_a_two_branch_model():
    model = build_ensemble(
        5, (3, 8, 8, 3), mlp_hidden=(4,), cnn_filters=(2,), cnn_dense=(3,), head=(2,)
    )
    rows = layer_table(model)
    by_name = {r["name"]: r for r in rows}
    assert by_name["tabular"]["type"] == "InputLayer" and by_name["tabular"]["depth"] == 0
    assert by_name["images"]["output_shape"] == "(None, 3, 8, 8, 3)"
    assert by_name["concat"]["inputs"] == ["mlp_dense1", "cnn_head_dense1"]
    assert by_name["output"]["depth"] == max(r["depth"] for r in rows)
    assert sum(r["params"] for r in rows) == model.count_params()
    assert by_name["mlp_dense1"]["params"] == 5 * 4 + 4


def test_model_diagram_draws_every_layer_with_shape_and_parameters(tmp_path):
    from matplotlib.figure import Figure

    model = build_cnn2d((16, 16, 1), filters=(4,), dense=(8,))
    fig = model_diagram(model)
    assert isinstance(fig, Figure)
    texts = [t.get_text() for t in fig.axes[0].texts if t.get_text()]
    assert len(texts) == len(layer_table(model))
    conv = next(t for t in texts if t.startswith("conv1"))
    assert conv == "conv1 (Conv2D)\noutput (None, 16, 16, 4)\n40 parameters"
    assert fig.axes[0].get_title() == f"cnn2d: {model.count_params():,} parameters"
    arrows = [t for t in fig.axes[0].texts if not t.get_text()]  # one per connection
    assert len(arrows) == sum(len(r["inputs"]) for r in layer_table(model)) == 7
    fig.savefig(tmp_path / "cnn2d.png")
    assert (tmp_path / "cnn2d.png").stat().st_size > 1000
    short = model_diagram(build_mlp(3, hidden=(2,)), show_shapes=False, show_params=False)
    assert [t.get_text() for t in short.axes[0].texts if t.get_text()] == [
        "features (InputLayer)",
        "dense1 (Dense)",
        "output (Dense)",
    ]


def test_model_diagram_of_a_sequential_model_and_a_wrong_object():
    import keras

    seq = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3), keras.layers.Dense(1)])
    rows = layer_table(seq)
    assert [r["type"] for r in rows] == ["InputLayer", "Dense", "Dense"]
    assert rows[2]["inputs"] == [rows[1]["name"]]
    assert model_diagram(seq).axes
    with pytest.raises(InputError, match="Keras model"):
        model_diagram("model.keras")
